// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libFuzzer target: the job-record decoder.  A supervisor's start and exit
 * records are files the daemon reads back after a restart, and decides from
 * them whom to watch, what to kill and how a job ended: any text there must
 * decode to a bounded record or an error, never a crash; and what decodes
 * must encode and decode again to the same record (no field lost, no string
 * unterminated).
 *   make fuzz && build/fuzz/fuzz_job_record -max_total_time=60 tests/fuzz/corpus/job_record
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/job_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpool_job_record *a = calloc(2, sizeof(*a)), *b = a + 1;
	char *text = malloc(size + 1), *once = NULL, *twice = NULL;

	if (!a || !text)
		goto out;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cpool_job_record_decode(text, a))
		goto out;
	/* Every string bounded by its array. */
	if (strnlen(a->vs, sizeof(a->vs)) == sizeof(a->vs) ||
	    strnlen(a->leaf, sizeof(a->leaf)) == sizeof(a->leaf) ||
	    strnlen(a->cpus, sizeof(a->cpus)) == sizeof(a->cpus) ||
	    strnlen(a->error, sizeof(a->error)) == sizeof(a->error))
		abort();
	once = cpool_job_record_encode(a);
	if (!once)
		goto out;
	if (cpool_job_record_decode(once, b))
		abort(); /* what we write we must read */
	twice = cpool_job_record_encode(b);
	if (!twice || strcmp(once, twice) != 0)
		abort(); /* a field changed on the way round */
out:
	free(once);
	free(twice);
	free(text);
	free(a);
	return 0;
}
