// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool sim: replay a trace through a simulated pool under a policy. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "cpool/config.h"
#include "cpool/topology.h"
#include "cpool/job.h"
#include "cpool/policy.h"
#include "cpool/sim.h"
#include "cpool/units.h"

#define PROGRESS_MIN_JOBS 50000

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cpool sim --trace FILE --policy NAME [--quantum MS] [--placement NAME]\n"
		"                 (--slots N | --pool SPEC | --config pool.ini [--topology FILE |\n"
		"                 --synthetic DESC]) [--json]\n"
		"                 [--switch-cost MS] [--aging MS] [--mlfq-quanta MS,MS,...]\n"
		"                 [--admit-p99 MS] [--format csv|swf]\n"
		"\n"
		"Replays the trace (CSV with a header row, or SWF) through a simulated pool\n"
		"and prints each job (id, submit, start, end, wait, response, turnaround, in\n"
		"seconds) and the pool summary.\n"
		"\n"
		"  --policy NAME       %s\n"
		"  --placement NAME    %s (default first-fit)\n"
		"  --quantum MS        rr quantum (default 100 ms); a bare number is ms\n"
		"  --slots N           N one-CPU slots (one VS 'slots' of N CPUs)\n"
		"  --pool SPEC         VSs by CPU count: '4,4,8' (named vs0, vs1, ...) or 'db:4,web:8'\n"
		"  --config pool.ini   the planned pool: the file's VSs placed by the planner\n"
		"                      ([pool] placement is also the default job placement)\n"
		"  --topology FILE     plan on an hwloc XML export instead of this machine\n"
		"  --synthetic DESC    plan on an hwloc synthetic machine ('pack:2 numa:2 core:8')\n"
		"  --switch-cost MS    charged at every dispatch (default 0)\n"
		"  --aging MS          priority policies: one level better per MS waited\n"
		"  --mlfq-quanta LIST  mlfq levels' quanta; 0 last = FCFS (default 100,200,0)\n"
		"  --admit-p99 MS      hold jobs off VSs whose run-queue p99 is above MS\n"
		"  --json              {\"jobs\": [...], \"summary\": {...}}\n",
		cpool_sched_names(), cpool_place_names());
}

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
	char why[512];
	int ret;

	if (cpool_config_load(&c, config, why, sizeof(why))) {
		fprintf(stderr, "cpool sim: %s\n", why);
		return 1;
	}
	if (cpool_topology_load(&t, xml, synthetic, why, sizeof(why))) {
		fprintf(stderr, "cpool sim: %s\n", why);
		cpool_config_free(&c);
		return 1;
	}
	ret = cpool_sim_pool_plan(&c, &t, vs, n_vs, why, sizeof(why));
	if (ret)
		fprintf(stderr, "cpool sim: %s on %s: %s\n", config, t.source, why);
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

static int cmd_sim(int argc, char **argv)
{
	enum {
		OPT_SWITCH = 256,
		OPT_AGING,
		OPT_QUANTA,
		OPT_ADMIT,
		OPT_FORMAT,
		OPT_TOPO,
		OPT_SYNTH
	};
	static const struct option opts[] = {
		{ "trace", required_argument, NULL, 't' },
		{ "policy", required_argument, NULL, 'p' },
		{ "quantum", required_argument, NULL, 'q' },
		{ "placement", required_argument, NULL, 'P' },
		{ "slots", required_argument, NULL, 'n' },
		{ "pool", required_argument, NULL, 'V' },
		{ "config", required_argument, NULL, 'c' },
		{ "topology", required_argument, NULL, OPT_TOPO },
		{ "synthetic", required_argument, NULL, OPT_SYNTH },
		{ "json", no_argument, NULL, 'j' },
		{ "switch-cost", required_argument, NULL, OPT_SWITCH },
		{ "aging", required_argument, NULL, OPT_AGING },
		{ "mlfq-quanta", required_argument, NULL, OPT_QUANTA },
		{ "admit-p99", required_argument, NULL, OPT_ADMIT },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *trace_path = NULL, *config = NULL, *pool = NULL, *policy = NULL;
	const char *xml = NULL, *synthetic = NULL;
	enum cpool_trace_format format = CPOOL_TRACE_AUTO;
	struct cpool_sim_config cfg = { 0 };
	struct cpool_sim_result res = { 0 };
	struct cpool_trace trace = { 0 };
	struct cpool_trace_error terr;
	struct cpool_vserver *vs = NULL;
	bool json = false, placement_given = false;
	int slots = 0, opt, ret, status = 1;
	char *end;

	cpool_policy_init(&cfg.policy);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			trace_path = optarg;
			break;
		case 'p':
			policy = optarg;
			if (cpool_sched_parse(optarg, &cfg.policy.sched)) {
				fprintf(stderr, "cpool sim: --policy: unknown '%s' (known: %s)\n",
					optarg, cpool_sched_names());
				return 2;
			}
			break;
		case 'P':
			placement_given = true;
			if (cpool_place_parse(optarg, &cfg.policy.place)) {
				fprintf(stderr,
					"cpool sim: --placement: unknown '%s' (known: %s)\n",
					optarg, cpool_place_names());
				return 2;
			}
			break;
		case 'q':
			if (parse_ms(optarg, &cfg.policy.quantum_us) ||
			    cfg.policy.quantum_us <= 0) {
				fprintf(stderr,
					"cpool sim: --quantum: '%s' is not a positive duration\n",
					optarg);
				return 2;
			}
			break;
		case 'n':
			slots = (int)strtol(optarg, &end, 10);
			if (end == optarg || *end || slots < 1 || slots > CPOOL_MAX_CPUS) {
				fprintf(stderr, "cpool sim: --slots: '%s' is not 1..%d\n", optarg,
					CPOOL_MAX_CPUS);
				return 2;
			}
			break;
		case 'V':
			pool = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case OPT_TOPO:
			xml = optarg;
			break;
		case OPT_SYNTH:
			synthetic = optarg;
			break;
		case 'j':
			json = true;
			break;
		case OPT_SWITCH:
			if (parse_ms(optarg, &cfg.switch_cost_us)) {
				fprintf(stderr,
					"cpool sim: --switch-cost: '%s' is not a duration\n",
					optarg);
				return 2;
			}
			break;
		case OPT_AGING:
			if (parse_ms(optarg, &cfg.policy.aging_us)) {
				fprintf(stderr, "cpool sim: --aging: '%s' is not a duration\n",
					optarg);
				return 2;
			}
			break;
		case OPT_QUANTA:
			if (parse_quanta(optarg, &cfg.policy)) {
				fprintf(stderr,
					"cpool sim: --mlfq-quanta: '%s' is not 1..%d durations, all but the last > 0\n",
					optarg, CPOOL_MLFQ_MAX_LEVELS);
				return 2;
			}
			break;
		case OPT_ADMIT:
			if (parse_ms(optarg, &cfg.policy.admit_p99_us)) {
				fprintf(stderr, "cpool sim: --admit-p99: '%s' is not a duration\n",
					optarg);
				return 2;
			}
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "csv") == 0) {
				format = CPOOL_TRACE_CSV;
			} else if (strcmp(optarg, "swf") == 0) {
				format = CPOOL_TRACE_SWF;
			} else {
				fprintf(stderr, "cpool sim: --format: '%s' is not csv or swf\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cpool sim: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!trace_path || !policy) {
		fprintf(stderr,
			"cpool sim: --trace and --policy are required ('cpool sim --help')\n");
		return 2;
	}
	if (!!slots + !!pool + !!config != 1) {
		fprintf(stderr, "cpool sim: give exactly one of --slots, --pool, --config\n");
		return 2;
	}
	if ((xml || synthetic) && !config) {
		fprintf(stderr, "cpool sim: --topology and --synthetic go with --config\n");
		return 2;
	}
	if (xml && synthetic) {
		fprintf(stderr, "cpool sim: --topology and --synthetic exclude each other\n");
		return 2;
	}
	if (config) {
		ret = plan_pool(config, xml, synthetic, &vs, &cfg.n_vs, &cfg.policy.place,
				placement_given);
		if (ret)
			return ret;
	} else if (pool) {
		ret = parse_pool(pool, &vs, &cfg.n_vs);
		if (ret) {
			fprintf(stderr,
				"cpool sim: --pool: '%s' is not a list of CPU counts ('4,4' or 'db:4,web:8')\n",
				pool);
			return 2;
		}
	} else {
		vs = calloc(1, sizeof(*vs));
		if (!vs || cpool_sim_slots(slots, vs)) {
			fprintf(stderr, "cpool sim: out of memory\n");
			free(vs);
			return 1;
		}
		cfg.n_vs = 1;
	}
	cfg.vs = vs;

	ret = cpool_trace_load(trace_path, format, &trace, &terr);
	if (ret == -EINVAL && terr.line) {
		fprintf(stderr, "cpool sim: %s:%zu: field %s: %s\n", trace_path, terr.line,
			terr.field, terr.message);
		goto out;
	} else if (ret) {
		fprintf(stderr, "cpool sim: reading %s: %s\n", trace_path, strerror(-ret));
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
	if (json) {
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
