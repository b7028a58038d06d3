// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool history reads the daemon's pages one after the other, so the user sees one list. */
#include "cli_common.h"
#include "history_pages.h"

int cli_history_all(const char *prog, const char *socket, json_t *args, json_t **result)
{
	struct cpool_apiclient *c = cli_connect(prog, socket);
	json_t *all = json_array(), *page = NULL;
	json_int_t next = 0;

	*result = NULL;
	if (!c) {
		json_decref(args);
		json_decref(all);
		return CLI_EXIT_FAILED;
	}
	do {
		json_t *req = json_deep_copy(args);

		if (next)
			json_object_set_new(req, "after", json_integer(next));
		if (cli_request(c, prog, CPOOL_OP_HISTORY, req, &page, CLI_TIMEOUT_MS)) {
			cpool_apiclient_close(c);
			json_decref(args);
			json_decref(all);
			return CLI_EXIT_FAILED;
		}
		json_array_extend(all, json_object_get(page, "jobs"));
		/* A cursor that does not advance would loop forever: trust only progress. */
		next = json_integer_value(json_object_get(page, "next")) > next ?
			       json_integer_value(json_object_get(page, "next")) :
			       0;
		json_decref(page);
	} while (next);
	cpool_apiclient_close(c);
	json_decref(args);
	*result = json_pack("{s:o}", "jobs", all);
	return CLI_EXIT_OK;
}
