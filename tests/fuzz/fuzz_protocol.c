// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libFuzzer target: any byte string given to the request parser yields a
 * parsed request or an error, never a crash, leak or hang.
 *   make fuzz && build/fuzz/fuzz_protocol -max_total_time=60 \
 *	-seed_inputs=tests/fuzz/corpus/protocol/submit,tests/fuzz/corpus/protocol/vs_create
 */
#include <stddef.h>
#include <stdint.h>

#include "cpool/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpool_request req;
	struct cpool_error err;
	json_t *reply;
	char *line;

	if (cpool_request_parse((const char *)data, size, &req, &err) == 0)
		reply = cpool_reply_ok(req.id, NULL);
	else
		reply = cpool_reply_error(req.id, -22, "%s", err.msg);
	line = cpool_message_encode(reply);
	free(line);
	json_decref(reply);
	cpool_request_free(&req);
	return 0;
}
