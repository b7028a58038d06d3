// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libFuzzer target: any byte string read as a trace (SWF, CSV, or sniffed)
 * yields jobs or a line-and-field error, never a crash, leak or hang; a
 * trace that reads is then simulated briefly (fcfs and easy on 8 slots),
 * so fuzzed jobs (zero runtimes, huge counts, odd estimates) reach the
 * simulator too.
 *   make fuzz && build/fuzz/fuzz_trace -max_total_time=60 tests/fuzz/corpus/trace
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/job.h"
#include "cpool/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum cpool_trace_format formats[] = { CPOOL_TRACE_AUTO, CPOOL_TRACE_SWF,
							   CPOOL_TRACE_CSV };

	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		struct cpool_trace t;
		struct cpool_error e;
		FILE *in = fmemopen((void *)data, size, "r");
		int ret;

		if (!in)
			return 0;
		ret = cpool_trace_read(in, formats[f], &t, &e);
		fclose(in);
		if (ret == -EINVAL && (!e.line || strncmp(e.msg, "field ", 6) != 0))
			abort(); /* an error must say where */
		if (!ret && t.n_jobs <= 64) {
			struct cpool_vserver vs;
			struct cpool_sim_config cfg = { .vs = &vs, .n_vs = 1 };
			struct cpool_sim_result r;

			cpool_sim_slots(8, &vs);
			cpool_policy_init(&cfg.policy);
			for (int p = 0; p < 2; p++) {
				cfg.policy.sched = p ? CPOOL_SCHED_EASY : CPOOL_SCHED_FCFS;
				ret = cpool_sim_run(&cfg, t.jobs, t.n_jobs, &r);
				if (ret && ret != -ERANGE)
					abort(); /* only an impossible span may refuse */
				cpool_sim_result_free(&r);
			}
		}
		cpool_trace_free(&t);
	}
	return 0;
}
