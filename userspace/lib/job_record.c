// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Job states and the supervisor's records as JSON (see job_record.h). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cpool/enum_names.h"
#include "cpool/job_record.h"

static const char *const state_table[CPOOL_JOB__COUNT] = {
	[CPOOL_JOB_QUEUED] = "queued",	     [CPOOL_JOB_STARTING] = "starting",
	[CPOOL_JOB_RUNNING] = "running",     [CPOOL_JOB_FROZEN] = "frozen",
	[CPOOL_JOB_DONE] = "done",	     [CPOOL_JOB_FAILED] = "failed",
	[CPOOL_JOB_CANCELLED] = "cancelled", [CPOOL_JOB_TIMEOUT] = "timeout",
};

static struct cpool_enum_names state_names = CPOOL_ENUM_NAMES(state_table);

const char *cpool_job_state_name(enum cpool_job_state s)
{
	return cpool_enum_name(&state_names, (int)s) ?: "unknown";
}

int cpool_job_state_parse(const char *name, enum cpool_job_state *s)
{
	int v, err = cpool_enum_parse(&state_names, name, &v);

	if (!err)
		*s = (enum cpool_job_state)v;
	return err;
}

bool cpool_job_state_ended(enum cpool_job_state s)
{
	return s == CPOOL_JOB_DONE || s == CPOOL_JOB_FAILED || s == CPOOL_JOB_CANCELLED ||
	       s == CPOOL_JOB_TIMEOUT;
}

static const char *const origin_names[CPOOL_JOB_ORIGIN__COUNT] = {
	[CPOOL_JOB_ORIGIN_CPOOL] = "cpool",
	[CPOOL_JOB_ORIGIN_SLURM] = "slurm",
};

const char *cpool_job_origin_name(enum cpool_job_origin o)
{
	return (unsigned)o < CPOOL_JOB_ORIGIN__COUNT ? origin_names[o] : "unknown";
}

int cpool_job_origin_parse(const char *name, enum cpool_job_origin *o)
{
	for (int i = 0; i < CPOOL_JOB_ORIGIN__COUNT; i++) {
		if (strcmp(name, origin_names[i]) == 0) {
			*o = (enum cpool_job_origin)i;
			return 0;
		}
	}
	return -EINVAL;
}

char *cpool_job_record_encode(const struct cpool_job_record *r)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:I, s:i, s:I, s:i, s:I, s:f, s:b}", "job",
			      (json_int_t)r->job_id, "vs", r->vs, "leaf", r->leaf, "cpus", r->cpus,
			      "mem", (json_int_t)r->mem, "supervisor_pid", (int)r->supervisor_pid,
			      "supervisor_start", (json_int_t)r->supervisor_start, "job_pid",
			      (int)r->job_pid, "job_start", (json_int_t)r->job_start, "start_time",
			      r->start_time, "ended", r->ended);
	char *text;

	if (!o)
		return NULL;
	if (r->launch_failed) {
		json_object_set_new(o, "launch_failed", json_true());
		json_object_set_new(o, "error", json_string(r->error));
	} else if (r->error[0]) {
		json_object_set_new(o, "error", json_string(r->error));
	}
	if (r->ended) {
		const struct cpool_job_exit *x = &r->exit;

		json_object_set_new(o, "end_time", json_real(r->end_time));
		json_object_set_new(o, "exit",
				    json_pack("{s:b, s:i, s:i, s:b, s:b, s:I, s:I, s:b}", "exited",
					      x->exited, "status", x->status, "signal", x->signal,
					      "core_dumped", x->core_dumped, "oom_killed",
					      x->oom_killed, "cpu_usec", (json_int_t)x->cpu_usec,
					      "memory_peak", (json_int_t)x->memory_peak,
					      "have_memory_peak", x->have_memory_peak));
	}
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

static int copy_string(json_t *o, const char *key, char *dst, size_t len)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (!v || strlen(v) >= len)
		return -EINVAL;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

int cpool_job_record_decode(const char *text, struct cpool_job_record *r)
{
	json_int_t job = 0, sup_start = 0, job_start = 0, mem = 0, cpu = 0, peak = 0;
	int sup_pid = 0, job_pid = 0, ended = 0;
	json_error_t jerr;
	json_t *o, *x;

	memset(r, 0, sizeof(*r));
	o = json_loads(text, 0, &jerr);
	if (!o)
		return -EINVAL;
	if (json_unpack(o, "{s:I, s:I, s:i, s:I, s:i, s:I, s:F, s:b}", "job", &job, "mem", &mem,
			"supervisor_pid", &sup_pid, "supervisor_start", &sup_start, "job_pid",
			&job_pid, "job_start", &job_start, "start_time", &r->start_time, "ended",
			&ended) ||
	    copy_string(o, "vs", r->vs, sizeof(r->vs)) ||
	    copy_string(o, "leaf", r->leaf, sizeof(r->leaf)) ||
	    copy_string(o, "cpus", r->cpus, sizeof(r->cpus))) {
		json_decref(o);
		return -EINVAL;
	}
	r->job_id = job;
	r->mem = (uint64_t)mem;
	r->supervisor_pid = sup_pid;
	r->supervisor_start = (uint64_t)sup_start;
	r->job_pid = job_pid;
	r->job_start = (uint64_t)job_start;
	r->ended = ended;
	r->launch_failed = json_is_true(json_object_get(o, "launch_failed"));
	if (json_is_string(json_object_get(o, "error")))
		snprintf(r->error, sizeof(r->error), "%s",
			 json_string_value(json_object_get(o, "error")));
	x = json_object_get(o, "exit");
	if (r->ended) {
		int exited = 0, core = 0, oom = 0, have_peak = 0;

		if (json_unpack(o, "{s:F}", "end_time", &r->end_time) ||
		    json_unpack(x, "{s:b, s:i, s:i, s:b, s:b, s:I, s:I, s:b}", "exited", &exited,
				"status", &r->exit.status, "signal", &r->exit.signal, "core_dumped",
				&core, "oom_killed", &oom, "cpu_usec", &cpu, "memory_peak", &peak,
				"have_memory_peak", &have_peak)) {
			json_decref(o);
			return -EINVAL;
		}
		r->exit.exited = exited;
		r->exit.core_dumped = core;
		r->exit.oom_killed = oom;
		r->exit.cpu_usec = (uint64_t)cpu;
		r->exit.memory_peak = (uint64_t)peak;
		r->exit.have_memory_peak = have_peak;
	}
	json_decref(o);
	return 0;
}
