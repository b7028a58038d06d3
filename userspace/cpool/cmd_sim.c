// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool sim: replay a trace through a simulated pool under a policy. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_options.h"
#include "command.h"
#include "cpool/config.h"
#include "cpool/topology.h"
#include "cpool/job.h"
#include "cpool/policy.h"
#include "cpool/sim.h"
#include "cpool/units.h"

#define PROGRESS_MIN_JOBS 50000

#define PROG "cpool sim"

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage =
		"usage: cpool sim --trace FILE --policy NAME [--quantum MS] [--placement NAME]\n"
		"                 (--slots N | --pool SPEC | --config pool.ini [--topology FILE |\n"
		"                 --synthetic DESC]) [--json]\n"
		"                 [--switch-cost MS] [--aging MS] [--mlfq-quanta MS,MS,...]\n"
		"                 [--admit-p99 MS] [--fairshare-half-life MS] [--format csv|swf]",
	.about = "Replays the trace (CSV with a header row, or SWF) through a simulated pool\n"
		 "and prints each job (id, submit, start, end, wait, response, turnaround, in\n"
		 "seconds) and the pool summary.",
	.json_help = "{\"jobs\": [...], \"summary\": {...}}",
};

/* Milliseconds when bare ("100"), else any duration ("2s", "250us"). */
static int parse_ms(const char *text, int64_t *us)
{
	double s;
	char *end;

	strtod(text, &end);
	if (end != text && *end == '\0') {
		char buf[64];

		snprintf(buf, sizeof(buf), "%sms", text);
		if (cpool_parse_duration(buf, &s))
			return -EINVAL;
	} else if (cpool_parse_duration(text, &s)) {
		return -EINVAL;
	}
	*us = llround(s * CPOOL_USEC_PER_SEC);
	return 0;
}

static int parse_pool(const char *spec, struct cpool_vserver **out, int *n_out)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	struct cpool_vserver *vs = NULL;
	int n = 0, next_cpu = 0, ret = -EINVAL;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':'), *end;
		const char *count = colon ? colon + 1 : tok;
		struct cpool_vserver *grown;
		long c;

		c = strtol(count, &end, 10);
		if (end == count || *end || c < 1 || next_cpu + c > CPOOL_MAX_CPUS)
			goto out;
		grown = realloc(vs, (size_t)(n + 1) * sizeof(*vs));
		if (!grown) {
			ret = -ENOMEM;
			goto out;
		}
		vs = grown;
		memset(&vs[n], 0, sizeof(vs[n]));
		if (colon) {
			*colon = '\0';
			if (cpool_vs_name_check(tok))
				goto out;
			snprintf(vs[n].name, sizeof(vs[n].name), "%s", tok);
		} else {
			snprintf(vs[n].name, sizeof(vs[n].name), "vs%d", n);
		}
		cpool_cpuset_set_range(&vs[n].cpus, next_cpu, next_cpu + (int)c - 1);
		next_cpu += (int)c;
		n++;
	}
	ret = n ? 0 : -EINVAL;
out:
	free(copy);
	if (ret)
		free(vs);
	else
		*out = vs, *n_out = n;
	return ret;
}

static int parse_quanta(const char *text, struct cpool_policy *p)
{
	char *copy = strdup(text), *save = NULL, *tok;
	int n = 0, ret = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
		if (n == CPOOL_MLFQ_MAX_LEVELS || parse_ms(tok, &p->mlfq_quantum_us[n]))
			ret = -EINVAL;
		n++;
	}
	free(copy);
	if (!ret && n < 1)
		ret = -EINVAL;
	for (int l = 0; !ret && l < n - 1; l++)
		if (p->mlfq_quantum_us[l] <= 0)
			ret = -EINVAL;
	p->mlfq_levels = n;
	return ret;
}

/*
 * The planned pool: the config's VSs placed on the topology (the live
 * machine unless --topology or --synthetic), as "cpool plan" shows it.
 * Returns 0 or the exit status.
 */
static int plan_pool(const char *config, const char *xml, const char *synthetic,
		     struct cpool_vserver **vs, int *n_vs, enum cpool_place *place,
		     bool place_given)
{
	struct cpool_pool_config c;
	struct cpool_topology t;
	struct cpool_error why;
	int ret;

	if (cpool_config_load(&c, config, &why)) {
		fprintf(stderr, "cpool sim: %s\n", why.msg);
		return 1;
	}
	if (cpool_topology_load(&t, xml, synthetic, &why)) {
		fprintf(stderr, "cpool sim: %s\n", why.msg);
		cpool_config_free(&c);
		return 1;
	}
	ret = cpool_sim_pool_plan(&c, &t, vs, n_vs, &why);
	if (ret)
		fprintf(stderr, "cpool sim: %s on %s: %s\n", config, t.source, why.msg);
	else if (!place_given)
		*place = (enum cpool_place)c.placement; /* the fit names are shared */
	cpool_topology_free(&t);
	cpool_config_free(&c);
	return ret ? 1 : 0;
}

static void progress(size_t finished, size_t total, void *arg)
{
	(void)arg;
	fprintf(stderr, "\rcpool sim: %zu/%zu jobs finished", finished, total);
	if (finished + 4096 > total)
		fputc('\n', stderr);
}

/* Seconds, as short as exact: "3", "0.25", "12.000001". */
static void put_s(int64_t us, int width)
{
	char buf[48];
	char *e;

	snprintf(buf, sizeof(buf), "%.6f", cpool_us_to_s(us));
	e = buf + strlen(buf) - 1;
	while (*e == '0')
		*e-- = '\0';
	if (*e == '.')
		*e = '\0';
	printf("%*s", width, buf);
}

static void print_text(const struct cpool_sim_config *cfg, const struct cpool_sim_result *r)
{
	const struct cpool_pool_summary *s = &r->summary;

	printf("%-12s %12s %12s %12s %12s %12s %12s\n", "id", "submit", "start", "end", "wait",
	       "response", "turnaround");
	for (size_t i = 0; i < r->n_records; i++) {
		const struct cpool_sim_record *x = &r->records[i];
		int64_t ta = x->end_us - x->job->submit_us;

		printf("%-12s ", x->job->id);
		put_s(x->job->submit_us, 12);
		putchar(' ');
		put_s(x->first_start_us, 12);
		putchar(' ');
		put_s(x->end_us, 12);
		putchar(' ');
		put_s(ta - x->job->runtime_us, 12);
		putchar(' ');
		put_s(x->first_start_us - x->job->submit_us, 12);
		putchar(' ');
		put_s(ta, 12);
		putchar('\n');
	}
	printf("\npolicy %s, placement %s, %d CPUs in %d VS\n", cpool_sched_name(cfg->policy.sched),
	       cpool_place_name(cfg->policy.place), r->total_cpus, cfg->n_vs);
	printf("jobs %zu (skipped %zu), preemptions %llu\n", s->jobs, r->n_skipped,
	       (unsigned long long)r->preemptions);
	printf("makespan %.6g s, RUL %.4f, throughput %.6g jobs/s\n", s->makespan, s->rul,
	       s->throughput);
	printf("mean response %.6g s, mean turnaround %.6g s\n", s->mean_response,
	       s->mean_turnaround);
	printf("wait mean %.6g s, p50 %.6g s, p90 %.6g s, p99 %.6g s\n", s->mean_wait, s->p50_wait,
	       s->p90_wait, s->p99_wait);
	printf("slowdown mean %.6g, bounded (tau 10 s) %.6g\n", s->mean_slowdown,
	       s->mean_bounded_slowdown);
}

static int print_json(const struct cpool_sim_config *cfg, const struct cpool_sim_result *r)
{
	const struct cpool_pool_summary *s = &r->summary;
	json_t *root = json_object(), *jobs = json_array(), *sum;
	int ret;

	if (!root || !jobs)
		goto nomem;
	for (size_t i = 0; i < r->n_records; i++) {
		const struct cpool_sim_record *x = &r->records[i];
		struct cpool_job_metrics m;
		json_t *o;

		cpool_sim_record_metrics(x, &m);
		o = json_pack("{s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:s, s:f, s:f, s:i}",
			      "id", x->job->id, "submit", cpool_us_to_s(x->job->submit_us), "start",
			      cpool_us_to_s(x->first_start_us), "end", cpool_us_to_s(x->end_us),
			      "wait", m.wait, "response", m.response, "turnaround", m.turnaround,
			      "runtime", cpool_us_to_s(x->job->runtime_us), "cpus", x->job->cpus,
			      "vs", cfg->vs[x->vs].name, "slowdown", m.slowdown, "bounded_slowdown",
			      m.bounded_slowdown, "preemptions", (json_int_t)x->preemptions);
		if (!o || json_array_append_new(jobs, o))
			goto nomem;
	}
	sum = json_pack(
		"{s:s, s:s, s:i, s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
		"policy", cpool_sched_name(cfg->policy.sched), "placement",
		cpool_place_name(cfg->policy.place), "jobs", (json_int_t)s->jobs, "skipped",
		(json_int_t)r->n_skipped, "cpus", (json_int_t)r->total_cpus, "preemptions",
		(json_int_t)r->preemptions, "makespan", s->makespan, "rul", s->rul, "throughput",
		s->throughput, "mean_response", s->mean_response, "mean_turnaround",
		s->mean_turnaround, "mean_wait", s->mean_wait, "p50_wait", s->p50_wait, "p90_wait",
		s->p90_wait, "p99_wait", s->p99_wait, "mean_slowdown", s->mean_slowdown,
		"mean_bounded_slowdown", s->mean_bounded_slowdown);
	if (!sum || json_object_set_new(root, "jobs", jobs) ||
	    json_object_set_new(root, "summary", sum))
		goto nomem;
	ret = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	putchar('\n');
	json_decref(root);
	return ret ? -EIO : 0;
nomem:
	json_decref(root);
	json_decref(jobs);
	return -ENOMEM;
}

/* A duration in microseconds (parse_ms); above 0 when o->min is set. */
static int set_ms(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	int64_t *us = o->target;

	if (parse_ms(arg, us) || (o->min > 0 && *us <= 0))
		return cpool_error_set(e, -EINVAL, "'%s' is not a %sduration", arg,
				       o->min > 0 ? "positive " : "");
	return 0;
}

static int set_quanta(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	if (parse_quanta(arg, o->target))
		return cpool_error_set(e, -EINVAL,
				       "'%s' is not 1..%d durations, all but the last > 0", arg,
				       CPOOL_MLFQ_MAX_LEVELS);
	return 0;
}

static int set_format(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	enum cpool_trace_format *format = o->target;

	if (strcmp(arg, "csv") == 0)
		*format = CPOOL_TRACE_CSV;
	else if (strcmp(arg, "swf") == 0)
		*format = CPOOL_TRACE_SWF;
	else
		return cpool_error_set(e, -EINVAL, "'%s' is not csv or swf", arg);
	return 0;
}

#define SIM_MS(name_, var, min_, help_)                                       \
	{                                                                     \
		.name = (name_), .arg = "MS", .help = (help_), .set = set_ms, \
		.target = CLI_TARGET_(int64_t, var), .min = (min_)            \
	}

static int cmd_sim(int argc, char **argv)
{
	const char *trace_path = NULL, *config = NULL, *pool = NULL, *policy = NULL;
	const char *placement = NULL, *xml = NULL, *synthetic = NULL;
	enum cpool_trace_format format = CPOOL_TRACE_AUTO;
	struct cpool_sim_config cfg = { 0 };
	long long slots = 0;
	char policy_help[256], placement_help[256];
	const struct cli_option opts[] = {
		CLI_STRING(0, "trace", "FILE", &trace_path, "CSV (header row) or SWF trace"),
		CLI_STRING(0, "policy", "NAME", &policy, policy_help),
		CLI_STRING(0, "placement", "NAME", &placement, placement_help),
		SIM_MS("quantum", &cfg.policy.quantum_us, 1,
		       "rr quantum (default 100 ms); a bare number is ms"),
		CLI_INT(0, "slots", "N", &slots, 1, CPOOL_MAX_CPUS,
			"N one-CPU slots (one VS 'slots' of N CPUs)"),
		CLI_STRING(0, "pool", "SPEC", &pool,
			   "VSs by CPU count: '4,4,8' (named vs0, vs1, ...) or 'db:4,web:8'"),
		CLI_STRING(0, "config", "pool.ini", &config,
			   "the planned pool: the file's VSs placed by the planner\n"
			   "([pool] placement is also the default job placement)"),
		CLI_STRING(0, "topology", "FILE", &xml,
			   "plan on an hwloc XML export instead of this machine"),
		CLI_STRING(0, "synthetic", "DESC", &synthetic,
			   "plan on an hwloc synthetic machine ('pack:2 numa:2 core:8')"),
		SIM_MS("switch-cost", &cfg.switch_cost_us, 0,
		       "charged at every dispatch (default 0)"),
		SIM_MS("aging", &cfg.policy.aging_us, 0,
		       "priority policies: one level better per MS waited"),
		CLI_CUSTOM(0, "mlfq-quanta", "LIST", set_quanta, &cfg.policy,
			   "mlfq levels' quanta; 0 last = FCFS (default 100,200,0)"),
		SIM_MS("admit-p99", &cfg.policy.admit_p99_us, 0,
		       "hold jobs off VSs whose run-queue p99 is above MS"),
		SIM_MS("fairshare-half-life", &cfg.policy.fairshare_half_life_us, 0,
		       "fairshare: past usage halves every MS, e.g. 7d (default); 0 never"),
		CLI_CUSTOM(0, "format", "csv|swf", set_format, &format,
			   "the trace's format (default: from its content)"),
		CLI_END,
	};
	struct cpool_sim_result res = { 0 };
	struct cpool_trace trace = { 0 };
	struct cpool_error terr;
	struct cpool_vserver *vs = NULL;
	struct cli_args a;
	int ret, status = 1;

	snprintf(policy_help, sizeof(policy_help), "%s", cpool_sched_names());
	snprintf(placement_help, sizeof(placement_help), "%s (default first-fit)",
		 cpool_place_names());
	cpool_policy_init(&cfg.policy);
	ret = cli_parse(&cmd_spec, opts, argc, argv, &a);
	if (ret != CLI_PARSED)
		return ret;
	if (!trace_path || !policy)
		return cli_usage_error(PROG, "--trace and --policy are required");
	if (cpool_sched_parse(policy, &cfg.policy.sched))
		return cli_usage_error(PROG, "--policy: unknown '%s' (known: %s)", policy,
				       cpool_sched_names());
	if (placement && cpool_place_parse(placement, &cfg.policy.place))
		return cli_usage_error(PROG, "--placement: unknown '%s' (known: %s)", placement,
				       cpool_place_names());
	if (!!slots + !!pool + !!config != 1)
		return cli_usage_error(PROG, "give exactly one of --slots, --pool, --config");
	if ((xml || synthetic) && !config)
		return cli_usage_error(PROG, "--topology and --synthetic go with --config");
	if (xml && synthetic)
		return cli_usage_error(PROG, "--topology and --synthetic exclude each other");
	if (config) {
		ret = plan_pool(config, xml, synthetic, &vs, &cfg.n_vs, &cfg.policy.place,
				placement != NULL);
		if (ret)
			return ret;
	} else if (pool) {
		ret = parse_pool(pool, &vs, &cfg.n_vs);
		if (ret)
			return cli_usage_error(PROG,
					       "--pool: '%s' is not a list of CPU counts ('4,4' or "
					       "'db:4,web:8')",
					       pool);
	} else {
		vs = calloc(1, sizeof(*vs));
		if (!vs || cpool_sim_slots((int)slots, vs)) {
			fprintf(stderr, "cpool sim: out of memory\n");
			free(vs);
			return 1;
		}
		cfg.n_vs = 1;
	}
	cfg.vs = vs;

	ret = cpool_trace_load(trace_path, format, &trace, &terr);
	if (ret) {
		cli_fail_error(PROG, &terr);
		goto out;
	}
	if (trace.n_skipped)
		fprintf(stderr, "cpool sim: %s: skipped %zu job(s) that cannot run (first: %s)\n",
			trace_path, trace.n_skipped, trace.first_skip);
	if (trace.n_jobs >= PROGRESS_MIN_JOBS && isatty(STDERR_FILENO))
		cfg.progress = progress;

	ret = cpool_sim_run(&cfg, trace.jobs, trace.n_jobs, &res);
	if (ret) {
		fprintf(stderr, "cpool sim: simulating %s under %s: %s\n", trace_path, policy,
			ret == -EPROTO ?
				"the policy decided something impossible (a bug)" :
			ret == -ERANGE ?
				"the trace spans too long (submit + all runtimes) to simulate" :
				strerror(-ret));
		goto out;
	}
	if (res.n_skipped)
		fprintf(stderr,
			"cpool sim: skipped %zu job(s) no VS of this pool can hold (first: %s)\n",
			res.n_skipped, res.first_skip);
	if (a.json) {
		ret = print_json(&cfg, &res);
		if (ret) {
			fprintf(stderr, "cpool sim: writing JSON: %s\n", strerror(-ret));
			goto out;
		}
	} else {
		print_text(&cfg, &res);
	}
	status = fflush(stdout) ? 1 : 0;
out:
	cpool_sim_result_free(&res);
	cpool_trace_free(&trace);
	free(vs);
	return status;
}

CPOOL_COMMAND(sim, "sim", "replay a job trace through a simulated pool under a policy", cmd_sim);
