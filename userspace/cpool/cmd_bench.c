// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool bench: replay a trace through cpoold as live processes (cpool
 * burn), one policy after another, and next to each run the simulator's
 * prediction for the same trace, pool and policy.
 *
 * One connection, one loop per run: submit each job at its (scaled)
 * instant, sample `top` every second, watch `ps` until the run's jobs have
 * left it, then read their accounting from `history`.  The pool is drained
 * before each run so that runs never overlap.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli_common.h"
#include "command.h"
#include "cpool/sim.h"
#include "cpool/units.h"

#define PROG "cpool bench"
#define POLL_PS_S 0.25
#define POLL_TOP_S 1.0

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool bench --trace FILE --policies NAME,NAME,... [--placement NAME]\n"
		 "                   [--time-scale X] [--repeat N] [--out DIR] [--run-timeout S]\n"
		 "                   [--placements LIST] [--noise VS:THREADS] [--no-warm-up]\n"
		 "                   [--socket PATH]",
	.about = "Replays the trace through cpoold as live processes ('cpool burn' doing each\n"
		 "job's CPU-seconds on its CPUs), once per policy, draining the pool between\n"
		 "runs, and runs the simulator on the same trace, pool and policy.  Writes\n"
		 "results.json, results.csv and plots (gnuplot, PNG and SVG) to DIR and prints\n"
		 "predicted and measured figures side by side.  Changing the policy needs root.",
	.socket = true,
};

/* ---- the pool and the policy as the daemon has them ------------------------ */

static int load_pool(struct cpool_apiclient *c, struct bench *b)
{
	json_t *res, *v;
	size_t i;
	int ret = cli_request(c, PROG ": vs.list", CPOOL_OP_VS_LIST, NULL, &res, CLI_TIMEOUT_MS);

	if (ret)
		return ret;
	b->n_vs = (int)json_array_size(json_object_get(res, "vservers"));
	b->vs = calloc((size_t)(b->n_vs ?: 1), sizeof(*b->vs));
	if (!b->vs) {
		json_decref(res);
		return -ENOMEM;
	}
	json_array_foreach(json_object_get(res, "vservers"), i, v) {
		struct cpool_vserver *x = &b->vs[i];
		const char *cpus = cli_json_str(v, "cpus", "");

		snprintf(x->name, sizeof(x->name), "%s", cli_json_str(v, "name", "?"));
		if (cpool_cpuset_parse(&x->cpus, cpus, NULL) || cpool_cpuset_count(&x->cpus) < 1) {
			cli_fail(PROG, "vs.list: VS '%s' has CPU list '%s', which is not one",
				 x->name, cpus);
			json_decref(res);
			return -EPROTO;
		}
		cpool_cpuset_parse(&x->mems, cli_json_str(v, "mems", ""), NULL);
		b->total_cpus += cpool_cpuset_count(&x->cpus);
	}
	json_decref(res);
	if (!b->n_vs) {
		cli_fail(PROG, "the pool has no virtual server to run jobs in");
		return -ENOENT;
	}
	return 0;
}

/* The daemon's policy, to start from (placement, quantum) and to restore. */
static int load_policy(struct cpool_apiclient *c, struct cpool_policy *p, json_t **saved)
{
	json_t *res;
	int ret = cli_request(c, PROG ": policy.get", CPOOL_OP_POLICY_GET, NULL, &res,
			      CLI_TIMEOUT_MS);

	if (ret)
		return ret;
	cpool_policy_init(p);
	cpool_sched_parse(cli_json_str(res, "policy", "fcfs"), &p->sched);
	cpool_place_parse(cli_json_str(res, "placement", "first-fit"), &p->place);
	if (cli_json_num(res, "quantum", 0) > 0)
		p->quantum_us = llround(cli_json_num(res, "quantum", 0) * CPOOL_USEC_PER_SEC);
	p->admit_p99_us = llround(cli_json_num(res, "admit_p99", 0) * CPOOL_USEC_PER_SEC);
	*saved = res;
	return 0;
}

/* ---- the trace ------------------------------------------------------------- */

static int by_submit(const void *a, const void *b)
{
	const struct cpool_job *x = a, *y = b;

	if (x->submit_us != y->submit_us)
		return x->submit_us < y->submit_us ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/*
 * The trace as it is replayed: times scaled, the first submission at 0,
 * in submission order (so daemon ids, which grow, follow the array).
 */
static int scale_trace(struct bench *b, const struct cpool_trace *t)
{
	int64_t first = INT64_MAX;

	b->jobs = calloc(t->n_jobs ?: 1, sizeof(*b->jobs));
	if (!b->jobs)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_jobs; i++)
		if (t->jobs[i].submit_us < first)
			first = t->jobs[i].submit_us;
	for (size_t i = 0; i < t->n_jobs; i++) {
		struct cpool_job *j = &b->jobs[i];

		*j = t->jobs[i];
		j->submit_us = llround((double)(j->submit_us - first) * b->time_scale);
		j->runtime_us = llround((double)j->runtime_us * b->time_scale);
		j->estimate_us = llround((double)j->estimate_us * b->time_scale);
		if (j->estimate_us < 1)
			j->estimate_us = 1;
	}
	qsort(b->jobs, t->n_jobs, sizeof(*b->jobs), by_submit);
	b->n_jobs = t->n_jobs;
	return 0;
}

/* ---- the prediction -------------------------------------------------------- */

static int predict(const struct bench *b, struct bench_run *r)
{
	struct cpool_sim_config cfg = { .vs = b->vs,
					.n_vs = b->n_vs,
					.policy = r->policy,
					.background = &b->noise_bg,
					.n_background = b->n_noise_bg };
	struct cpool_sim_result res = { 0 };
	int ret = cpool_sim_run(&cfg, b->jobs, b->n_jobs, &res);

	if (ret) {
		cli_fail(PROG, "simulating %s: %s", bench_run_label(r),
			 ret == -EPROTO ? "the policy decided something impossible (a bug)" :
					  strerror(-ret));
		cpool_sim_result_free(&res);
		return ret;
	}
	for (size_t i = 0; i < res.n_records; i++) {
		const struct cpool_sim_record *x = &res.records[i];
		struct bench_job *j = &r->jobs[x->job - b->jobs];

		j->p_start = cpool_us_to_s(x->first_start_us);
		j->p_end = cpool_us_to_s(x->end_us);
		j->p_vs = x->vs;
	}
	if (res.n_skipped)
		fprintf(stderr, "%s: %zu job(s) can never run on this pool (first: %s); left out\n",
			PROG, res.n_skipped, res.first_skip);
	cpool_sim_result_free(&res);
	return 0;
}

/* ---- progress -------------------------------------------------------------- */

struct progress {
	bool tty;
	double last;
	double started;
	double ratio; /* measured / predicted makespan of the runs so far */
};

static void progress_show(struct progress *pg, const struct bench *b, size_t run, size_t submitted,
			  size_t done, double elapsed, bool force)
{
	double now = cli_now(), left = 0;
	char e[32], l[32];

	if (!force && now - pg->last < (pg->tty ? 0.25 : 10.0))
		return;
	pg->last = now;
	left = fmax(0, b->runs[run].pred.makespan * pg->ratio - elapsed);
	for (size_t i = run + 1; i < b->n_runs; i++)
		left += b->runs[i].pred.makespan * pg->ratio + 1;
	cli_format_duration(now - pg->started, e, sizeof(e));
	cli_format_duration(left, l, sizeof(l));
	fprintf(stderr,
		"%s%s: run %zu/%zu %-8s %zu/%zu submitted, %zu done, %s elapsed, ~%s left%s",
		pg->tty ? "\r" : "", PROG, run + 1, b->n_runs, bench_run_label(&b->runs[run]),
		submitted, b->n_jobs, done, e, l, pg->tty ? "   " : "\n");
	fflush(stderr);
}

static void progress_end(struct progress *pg)
{
	if (pg->tty)
		fputc('\n', stderr);
}

/* ---- the live run ---------------------------------------------------------- */

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL); /* a signal cuts it short: the loop looks at the flag */
}

/*
 * Jobs in the pool, all users' (root) or ours; -errno when ps fails.  Each
 * of ours is tallied running or frozen (bench_run_calibrate).
 */
static int count_in_pool(struct cpool_apiclient *c, struct bench_run *r, size_t submitted,
			 int *ours)
{
	json_t *res, *j;
	size_t i;
	int ret = cli_request(c, PROG ": ps", CPOOL_OP_PS, NULL, &res, CLI_TIMEOUT_MS);

	if (ret)
		return ret;
	*ours = 0;
	json_array_foreach(json_object_get(res, "jobs"), i, j) {
		long long id = cli_json_int(j, "id", -1);

		for (size_t k = 0; k < submitted; k++)
			if (r && r->jobs[k].daemon_id == id) {
				const char *state = cli_json_str(j, "state", "");

				r->jobs[k].m_seen_running += strcmp(state, "running") == 0;
				r->jobs[k].m_seen_frozen += strcmp(state, "frozen") == 0;
				(*ours)++;
				break;
			}
	}
	ret = (int)json_array_size(json_object_get(res, "jobs"));
	json_decref(res);
	return ret;
}

static int drain(struct cpool_apiclient *c, struct progress *pg)
{
	bool said = false;
	int n, ours;

	while ((n = count_in_pool(c, NULL, 0, &ours)) > 0 && !interrupted) {
		if (!said) {
			if (pg->tty)
				fputc('\n', stderr);
			fprintf(stderr, "%s: waiting for %d job(s) to leave the pool\n", PROG, n);
			said = true;
		}
		sleep_s(POLL_PS_S);
	}
	return n < 0 ? n : 0;
}

static int set_policy(struct cpool_apiclient *c, const struct cpool_policy *p)
{
	json_t *args = json_pack("{s:s, s:s, s:f, s:f}", "policy", cpool_sched_name(p->sched),
				 "placement", cpool_place_name(p->place), "quantum",
				 cpool_us_to_s(p->quantum_us), "admit_p99",
				 cpool_us_to_s(p->admit_p99_us)),
	       *res = NULL;
	int ret = cli_request(c, PROG ": policy.set", CPOOL_OP_POLICY_SET, args, &res,
			      CLI_TIMEOUT_MS);

	if (ret == -EPERM)
		fprintf(stderr, "%s: changing the policy needs root (run as root or with sudo)\n",
			PROG);
	json_decref(res);
	return ret;
}

/*
 * The burners' environment: a PATH, and the bench's own LD_LIBRARY_PATH
 * when it has one, so that a bench run from a copy of cpool and its
 * libraries on a fast file system (the lab's tools/demo and test_bench:
 * 9p is slow to open a file under load) starts its burners from there too.
 */
static json_t *burner_env(void)
{
	const char *lib = getenv("LD_LIBRARY_PATH");
	json_t *env = json_pack("[s]", "PATH=/usr/local/bin:/usr/bin:/bin");
	char buf[4096];

	if (env && lib && *lib && strlen(lib) < sizeof(buf) - 17) {
		snprintf(buf, sizeof(buf), "LD_LIBRARY_PATH=%s", lib);
		json_array_append_new(env, json_string(buf));
	}
	return env;
}

static int submit_job(struct cpool_apiclient *c, const char *self, const struct bench_run *r,
		      struct bench_job *j)
{
	const struct cpool_job *t = j->job;
	char secs[32], cpus[16], mem[32], name[64];
	json_t *argv, *args, *res;
	int ret;

	snprintf(secs, sizeof(secs), "%.6f", cpool_us_to_s(t->runtime_us));
	snprintf(cpus, sizeof(cpus), "%d", t->cpus);
	snprintf(name, sizeof(name), "bench-%s-%s", cpool_sched_name(r->policy.sched), t->id);
	argv = json_pack("[s, s, s, s, s, s]", self, "burn", "--cpu-seconds", secs, "--cpus", cpus);
	if (t->mem) {
		snprintf(mem, sizeof(mem), "%llu", (unsigned long long)t->mem);
		json_array_append_new(argv, json_string("--mem"));
		json_array_append_new(argv, json_string(mem));
	}
	/*
	 * Output to /dev/null, named: a job's default is cpool-%j.out in its
	 * cwd, and "/" is not writable everywhere (the lab's root is not).
	 */
	args = json_pack("{s:o, s:o, s:s, s:s, s:s, s:i, s:f, s:i}", "argv", argv, "env",
			 burner_env(), "cwd", "/", "stdout", "/dev/null", "name", name, "cpus",
			 t->cpus, "estimate", cpool_us_to_s(t->estimate_us), "priority",
			 t->priority < -20 ? -20 :
			 t->priority > 19  ? 19 :
					     t->priority);
	/* The burner's own heap, stacks and binary on top of what it touches. */
	if (t->mem)
		json_object_set_new(args, "mem", json_integer((json_int_t)(t->mem + (64 << 20))));
	if (t->vs[0])
		json_object_set_new(args, "vs", json_string(t->vs));
	ret = cli_request(c, PROG ": submit", CPOOL_OP_SUBMIT, args, &res, CLI_TIMEOUT_MS);
	if (ret)
		return ret;
	j->daemon_id = cli_json_int(res, "job", 0);
	json_decref(res);
	return j->daemon_id > 0 ? 0 : -EPROTO;
}

static int vs_index(const struct bench *b, const char *name)
{
	for (int v = 0; v < b->n_vs; v++)
		if (strcmp(b->vs[v].name, name) == 0)
			return v;
	return -1;
}

static int sample_top(struct cpool_apiclient *c, const struct bench *b, struct bench_run *r)
{
	json_t *res, *v;
	size_t i;
	double *row;
	int ret = cli_request(c, PROG ": top", CPOOL_OP_TOP, NULL, &res, CLI_TIMEOUT_MS);

	if (ret)
		return ret;
	if (r->n_util == r->cap_util) {
		size_t cap = r->cap_util ? r->cap_util * 2 : 64;
		double *t = realloc(r->util_t, cap * sizeof(*t));
		double *u = t ? realloc(r->util, cap * (size_t)b->n_vs * sizeof(*u)) : NULL;

		if (t)
			r->util_t = t;
		if (!u) {
			json_decref(res);
			return -ENOMEM;
		}
		r->util = u;
		r->cap_util = cap;
	}
	row = &r->util[r->n_util * (size_t)b->n_vs];
	for (int k = 0; k < b->n_vs; k++)
		row[k] = NAN;
	json_array_foreach(json_object_get(res, "vservers"), i, v) {
		int k = vs_index(b, cli_json_str(v, "name", ""));

		if (k >= 0)
			row[k] = cli_json_num(v, "rul", NAN);
	}
	r->util_t[r->n_util++] = cli_json_num(res, "time", cli_now()) - r->t0;
	json_decref(res);
	return 0;
}

/*
 * The daemon's switch counters (`stats`: cumulative since it started);
 * have stays false with a daemon that does not report them.
 */
static int read_switches(struct cpool_apiclient *c, struct bench_switches *sw)
{
	json_t *res;
	int ret = cli_request(c, PROG ": stats", CPOOL_OP_STATS, NULL, &res, CLI_TIMEOUT_MS);

	memset(sw, 0, sizeof(*sw));
	if (ret)
		return ret;
	bench_switches_from_json(sw, json_object_get(res, "switches"));
	json_decref(res);
	return 0;
}

/* @after - @before, field by field: what one run's switches cost. */
static void switches_during(struct bench_switches *after, const struct bench_switches *before)
{
	after->have = after->have && before->have;
	after->preemptions -= before->preemptions;
	after->freezes -= before->freezes;
	after->handovers -= before->handovers;
	after->thaws -= before->thaws;
	after->late -= before->late;
	after->freeze_wait -= before->freeze_wait;
	after->freeze_ran -= before->freeze_ran;
	after->handover_wait -= before->handover_wait;
	after->thaw_wait -= before->thaw_wait;
	after->thaw_ran -= before->thaw_ran;
	after->end_handovers -= before->end_handovers;
	after->launches -= before->launches;
	after->launch_wait -= before->launch_wait;
	after->end_handover_wait -= before->end_handover_wait;
	after->launch_turns -= before->launch_turns;
	after->launch_turn -= before->launch_turn;
	after->launch_turn_idle -= before->launch_turn_idle;
	after->resume_turns -= before->resume_turns;
	after->resume_turn -= before->resume_turn;
	after->resume_turn_idle -= before->resume_turn_idle;
}

static struct bench_job *find_job(struct bench_run *r, long long id)
{
	size_t lo = 0, hi = r->n_jobs;

	/* Ids grow with submission, and jobs are in submission order. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		long long x = r->jobs[mid].daemon_id;

		if (x == id)
			return &r->jobs[mid];
		if (x == 0 || x > id)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int read_history(struct cpool_apiclient *c, struct bench_run *r)
{
	json_t *res, *rec;
	size_t i;
	int ret = cli_request(c, PROG ": history", CPOOL_OP_HISTORY,
			      json_pack("{s:f}", "since", r->t0 - 5), &res, CLI_TIMEOUT_MS);

	if (ret)
		return ret;
	json_array_foreach(json_object_get(res, "jobs"), i, rec) {
		struct bench_job *j = find_job(r, cli_json_int(rec, "id", -1));

		if (!j)
			continue;
		bench_job_from_record(j, rec, r->t0);
		j->m_rq_p99_us = cli_json_num(rec, "rq_latency_p99_us", -1);
		j->m_ok = strcmp(j->m_state, "done") == 0 &&
			  cli_json_int(rec, "exit_code", -1) == 0 &&
			  cli_json_num(rec, "start", 0) > 0;
	}
	json_decref(res);
	return 0;
}

static void cancel_job(struct cpool_apiclient *c, long long id)
{
	json_t *res = NULL;
	struct cpool_error err;

	cpool_apiclient_call(c, CPOOL_OP_CANCEL, json_pack("{s:I}", "job", (json_int_t)id), &res,
			     CLI_TIMEOUT_MS, &err);
	json_decref(res);
}

/*
 * --noise: one job on the noise VS that asks for one CPU and spins
 * noise_threads threads for longer than any run, cancelled at the run's
 * end.  The daemon counts one CPU taken; the kernel's run queue sees more.
 */
static int start_noise(struct cpool_apiclient *c, const char *self, struct bench *b)
{
	char threads[16];
	json_t *res = NULL;
	int ret;

	if (!b->noise_threads)
		return 0;
	snprintf(threads, sizeof(threads), "%d", b->noise_threads);
	ret = cli_request(c, PROG ": submit (noise)", CPOOL_OP_SUBMIT,
			  json_pack("{s:[s, s, s, s, s, s], s:o, s:s, s:s, s:s, s:s, s:i}", "argv",
				    self, "burn", "--cpu-seconds", "86400", "--cpus", threads,
				    "env", burner_env(), "cwd", "/", "stdout", "/dev/null", "name",
				    "bench-noise", "vs", b->noise_vs, "cpus", 1),
			  &res, CLI_TIMEOUT_MS);
	if (ret)
		return ret;
	b->noise_id = cli_json_int(res, "job", 0);
	json_decref(res);
	return b->noise_id > 0 ? 0 : -EPROTO;
}

static void stop_noise(struct cpool_apiclient *c, struct bench *b)
{
	if (b->noise_id > 0)
		cancel_job(c, b->noise_id);
	b->noise_id = 0;
}

static void cancel_ours(struct cpool_apiclient *c, struct bench_run *r, size_t submitted)
{
	for (size_t k = 0; k < submitted; k++)
		cancel_job(c, r->jobs[k].daemon_id);
}

static int run_live(struct cpool_apiclient *c, const char *self, struct bench *b, size_t idx,
		    double timeout, struct progress *pg)
{
	struct bench_run *r = &b->runs[idx];
	struct bench_switches sw_before;
	double next_top = 0, next_ps = POLL_PS_S, limit;
	size_t next = 0;
	int ret, ours = 0;

	ret = drain(c, pg);
	if (!ret)
		ret = set_policy(c, &r->policy);
	if (!ret)
		ret = start_noise(c, self, b);
	if (!ret)
		ret = read_switches(c, &sw_before);
	if (ret)
		return ret;
	limit = timeout > 0 ? timeout : 5 * r->pred.makespan + 60;
	r->t0 = cli_now();
	for (;;) {
		double now = cli_now() - r->t0, wake;

		if (interrupted || now > limit) {
			progress_end(pg);
			if (!interrupted)
				fprintf(stderr,
					"%s: run %s passed its limit of %.0f s; cancelling its jobs\n",
					PROG, bench_run_label(r), limit);
			cancel_ours(c, r, next);
			stop_noise(c, b);
			return interrupted ? -EINTR : -ETIMEDOUT;
		}
		while (next < r->n_jobs && cpool_us_to_s(r->jobs[next].job->submit_us) <= now) {
			ret = submit_job(c, self, r, &r->jobs[next]);
			if (ret) {
				cancel_ours(c, r, next);
				stop_noise(c, b);
				return ret;
			}
			next++;
		}
		if (now >= next_top) {
			ret = sample_top(c, b, r);
			if (ret)
				return ret;
			next_top += POLL_TOP_S;
		}
		if (now >= next_ps) {
			ret = count_in_pool(c, r, next, &ours);
			if (ret < 0)
				return ret;
			if (next == r->n_jobs && ours == 0)
				break;
			next_ps += POLL_PS_S;
		}
		progress_show(pg, b, idx, next, next - (size_t)ours, now, false);
		wake = fmin(next_top, next_ps);
		if (next < r->n_jobs)
			wake = fmin(wake, cpool_us_to_s(r->jobs[next].job->submit_us));
		sleep_s(wake - (cli_now() - r->t0));
	}
	sample_top(c, b, r);
	stop_noise(c, b);
	progress_show(pg, b, idx, next, next, cli_now() - r->t0, true);
	ret = read_history(c, r);
	if (!ret)
		ret = read_switches(c, &r->sw);
	if (ret)
		return ret;
	switches_during(&r->sw, &sw_before);
	r->measured = true;
	ret = bench_run_calibrate(b, r);
	if (ret)
		cli_fail(PROG, "calibrating %s: %s", bench_run_label(r), strerror(-ret));
	return bench_run_summarise(b, r);
}

/*
 * One short burner on every VS before the first run, waited for: what a
 * first job pays once (the burner's binary and libraries read into the
 * page cache, the daemon's first launch into each VS) is then not charged
 * to the first policy.
 */
static int warm_up(struct cpool_apiclient *c, const char *self, const struct bench *b,
		   struct progress *pg)
{
	int ret;

	ret = drain(c, pg);
	for (int v = 0; !ret && v < b->n_vs; v++) {
		json_t *res = NULL;

		ret = cli_request(c, PROG ": submit (warm-up)", CPOOL_OP_SUBMIT,
				  json_pack("{s:[s, s, s, s], s:o, s:s, s:s, s:s, s:s, s:f}",
					    "argv", self, "burn", "--cpu-seconds", "0.05", "env",
					    burner_env(), "cwd", "/", "stdout", "/dev/null", "name",
					    "bench-warm-up", "vs", b->vs[v].name, "estimate", 0.05),
				  &res, CLI_TIMEOUT_MS);
		json_decref(res);
	}
	return ret ? ret : drain(c, pg);
}

/* ---- options --------------------------------------------------------------- */

static int parse_policies(const char *list, const struct cpool_policy *base, struct bench *b)
{
	char *copy = strdup(list), *save = NULL;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		struct bench_run *grown = realloc(b->runs, (b->n_runs + 1) * sizeof(*grown));

		if (!grown) {
			ret = -ENOMEM;
			break;
		}
		b->runs = grown;
		memset(&b->runs[b->n_runs], 0, sizeof(b->runs[0]));
		b->runs[b->n_runs].policy = *base;
		if (cpool_sched_parse(tok, &b->runs[b->n_runs].policy.sched)) {
			cli_usage_error(PROG, "--policies: unknown '%s' (known: %s)", tok,
					cpool_sched_names());
			ret = -EINVAL;
		}
		b->n_runs++;
	}
	free(copy);
	if (!ret && !b->n_runs) {
		cli_usage_error(PROG, "--policies: no policy named");
		ret = -EINVAL;
	}
	return ret;
}

/*
 * One entry of --placements: NAME, or NAME+admit:DURATION, that placement
 * with admission by run-queue p99 (a VS whose measured p99 is above
 * DURATION takes no job).
 */
static int parse_placement(char *tok, struct cpool_policy *p)
{
	char *admit = strstr(tok, "+admit:");
	double s = 0;

	if (admit) {
		*admit = '\0';
		admit += strlen("+admit:");
		if (cpool_parse_duration(admit, &s) || s <= 0 || s > 3600)
			return -EINVAL;
	}
	p->admit_p99_us = llround(s * CPOOL_USEC_PER_SEC);
	return cpool_place_parse(tok, &p->place) ? -EINVAL : 0;
}

/* --placements: every policy under every placement, policy after policy. */
static int add_placements(const char *list, struct bench *b)
{
	char *copy = strdup(list), *save = NULL;
	struct cpool_policy places[2 * CPOOL_PLACE__COUNT];
	size_t n_places = 0, n;
	struct bench_run *runs;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char given[64];

		snprintf(given, sizeof(given), "%s", tok);
		if (n_places == 2 * CPOOL_PLACE__COUNT || parse_placement(tok, &places[n_places])) {
			cli_usage_error(PROG,
					"--placements: '%s' is not one of %s, optionally with "
					"+admit:DURATION (up to 1h)",
					given, cpool_place_names());
			free(copy);
			return -EINVAL;
		}
		n_places++;
	}
	free(copy);
	if (!n_places) {
		cli_usage_error(PROG, "--placements: no placement named");
		return -EINVAL;
	}
	n = b->n_runs * n_places;
	runs = calloc(n, sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		runs[i] = b->runs[i / n_places];
		runs[i].policy.place = places[i % n_places].place;
		runs[i].policy.admit_p99_us = places[i % n_places].admit_p99_us;
		runs[i].place_given = true;
	}
	free(b->runs);
	b->runs = runs;
	b->n_runs = n;
	return 0;
}

/* --noise VS:THREADS */
static int set_noise(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	struct bench *b = o->target;
	const char *colon = strrchr(arg, ':');
	char *end;
	long threads;

	if (!colon || colon == arg || (size_t)(colon - arg) > CPOOL_VS_NAME_MAX)
		return cpool_error_set(e, -EINVAL, "'%s' is not VS:THREADS", arg);
	threads = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || threads < 2 || threads > 1024)
		return cpool_error_set(
			e, -EINVAL,
			"'%s': THREADS must be 2-1024 (more than the one CPU it asks for)", arg);
	snprintf(b->noise_vs, sizeof(b->noise_vs), "%.*s", (int)(colon - arg), arg);
	b->noise_threads = (int)threads;
	return 0;
}

/*
 * The simulator sees the noise job as what it is: a job the daemon counts
 * (one CPU of its VS taken for the whole run) that keeps THREADS threads
 * runnable on that CPU, the VS's first (the daemon gives a job the first
 * CPUs its VS has free, and the VS is idle when the noise starts).  Its
 * VS's RUL and run-queue latency show it (sim_share.c).
 */
static int noise_in_pool(struct bench *b)
{
	for (int v = 0; v < b->n_vs; v++) {
		struct cpool_vserver *x = &b->vs[v];

		if (strcmp(x->name, b->noise_vs) != 0)
			continue;
		if (cpool_cpuset_count(&x->cpus) < 2) {
			cli_fail(PROG,
				 "--noise: VS '%s' has one CPU; the noise would take all of it",
				 x->name);
			return -EINVAL;
		}
		memset(&b->noise_bg, 0, sizeof(b->noise_bg));
		cpool_cpuset_set(&b->noise_bg.cpus, cpool_cpuset_first(&x->cpus));
		b->noise_bg.threads = b->noise_threads;
		b->noise_bg.held = true;
		b->n_noise_bg = 1;
		b->total_cpus--;
		return 0;
	}
	cli_fail(PROG, "--noise: the pool has no VS '%s'", b->noise_vs);
	return -ENOENT;
}

/* N rounds of the policies: runs[rep * n_policies + p]. */
static int add_repeats(struct bench *b, long long repeats)
{
	size_t n = b->n_runs * (size_t)repeats;
	struct bench_run *grown = realloc(b->runs, n * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	b->runs = grown;
	b->n_policies = b->n_runs;
	b->n_repeats = (int)repeats;
	for (size_t i = b->n_runs; i < n; i++)
		b->runs[i] = b->runs[i % b->n_policies];
	for (size_t i = 0; i < n; i++)
		b->runs[i].repeat = (int)(i / b->n_policies);
	b->n_runs = n;
	return 0;
}

static int make_dirs(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static void bench_free(struct bench *b)
{
	for (size_t i = 0; i < b->n_runs; i++) {
		free(b->runs[i].jobs);
		free(b->runs[i].util_t);
		free(b->runs[i].util);
	}
	free(b->runs);
	free(b->jobs);
	free(b->vs);
}

/* A number above 0 (and at most o->max when set): --time-scale, --run-timeout. */
static int set_positive(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	double *v = o->target;
	char *end;

	*v = strtod(arg, &end);
	if (end == arg || *end || !(*v > 0) || (o->max > 0 && *v > o->max))
		return cpool_error_set(e, -EINVAL, "'%s' is not a number above 0", arg);
	return 0;
}

static int set_placement(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	enum cpool_place place;

	if (cpool_place_parse(arg, &place))
		return cpool_error_set(e, -EINVAL, "unknown '%s' (known: %s)", arg,
				       cpool_place_names());
	*(const char **)o->target = arg;
	return 0;
}

static int cmd_bench(int argc, char **argv)
{
	const char *policies = NULL, *placement = NULL, *placements = NULL, *out = NULL;
	struct bench b = { .time_scale = 1 };
	double timeout = 0;
	long long repeats = 1;
	bool no_warm_up = false;
	char policies_help[256], placement_help[256];
	const struct cli_option opts[] = {
		CLI_STRING(0, "trace", "FILE", &b.trace_path, "CSV (header row) or SWF trace"),
		CLI_STRING(0, "policies", "LIST", &policies, policies_help),
		CLI_CUSTOM(0, "placement", "NAME", set_placement, &placement, placement_help),
		{ .name = "time-scale",
		  .arg = "X",
		  .set = set_positive,
		  .target = &b.time_scale,
		  .max = 1e6,
		  .help = "multiply submit times, runtimes and estimates by X\n"
			  "(default 1; 0.1 replays a 10-minute trace in 1 minute)" },
		CLI_INT(0, "repeat", "N", &repeats, 1, 100,
			"replay every policy N times (default 1), round after round;\n"
			"the report gives the mean and standard deviation"),
		CLI_STRING(0, "out", "DIR", &out,
			   "where the report goes (default build/bench-YYYYmmdd-HHMMSS)"),
		CLI_CUSTOM(0, "run-timeout", "S", set_positive, &timeout,
			   "give up on a run after S seconds (default: 5 x the\n"
			   "predicted makespan + 60 s); its jobs are cancelled"),
		CLI_STRING(0, "placements", "LIST", &placements,
			   "run every policy under each of these placements\n"
			   "(first-fit,lowest-latency,...), instead of --placement;\n"
			   "NAME+admit:DURATION adds admission by run-queue p99"),
		CLI_CUSTOM(0, "noise", "VS:THREADS", set_noise, &b,
			   "during every run, a job on VS that asks for one CPU but\n"
			   "spins THREADS threads (a noisy neighbour)"),
		CLI_FLAG(0, "no-warm-up", &no_warm_up,
			 "skip the short job run on every VS before the first run\n"
			 "(which keeps first-time costs out of the first policy)"),
		CLI_END,
	};
	struct cpool_trace trace = { 0 };
	struct cpool_error terr;
	struct cpool_apiclient *c = NULL;
	struct cpool_policy base;
	struct progress pg = { .ratio = 1.1 };
	struct cli_args a;
	json_t *saved = NULL;
	char self[PATH_MAX];
	int ret, status = CLI_EXIT_FAILED;
	ssize_t n;

	snprintf(policies_help, sizeof(policies_help), "scheduling policies, in order: %s",
		 cpool_sched_names());
	snprintf(placement_help, sizeof(placement_help),
		 "%s\n(default: the daemon's current placement)", cpool_place_names());
	ret = cli_parse(&cmd_spec, opts, argc, argv, &a);
	if (ret != CLI_PARSED)
		return ret;
	if (!b.trace_path || !policies)
		return cli_usage_error(PROG, "--trace and --policies are required");
	/* Validate the names before touching anything. */
	cpool_policy_init(&base);
	if (parse_policies(policies, &base, &b)) {
		bench_free(&b);
		return CLI_EXIT_USAGE;
	}
	if (placements && placement) {
		bench_free(&b);
		return cli_usage_error(PROG, "--placement and --placements exclude each other");
	}
	if (placements && (ret = add_placements(placements, &b))) {
		bench_free(&b);
		return ret == -ENOMEM ? cli_fail(PROG, "out of memory") : CLI_EXIT_USAGE;
	}
	if (add_repeats(&b, repeats)) {
		bench_free(&b);
		return cli_fail(PROG, "out of memory");
	}

	ret = cpool_trace_load(b.trace_path, CPOOL_TRACE_AUTO, &trace, &terr);
	if (ret) {
		cli_fail_error(PROG, &terr);
		goto out;
	}
	if (trace.n_skipped)
		fprintf(stderr, "%s: %s: skipped %zu job(s) that cannot run (first: %s)\n", PROG,
			b.trace_path, trace.n_skipped, trace.first_skip);
	if (!trace.n_jobs) {
		cli_fail(PROG, "%s: no job to replay", b.trace_path);
		goto out;
	}
	if (scale_trace(&b, &trace)) {
		cli_fail(PROG, "out of memory");
		goto out;
	}

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		cli_fail(PROG, "finding the cpool binary (/proc/self/exe): %s", strerror(errno));
		goto out;
	}
	self[n] = '\0';

	c = cli_connect(PROG, a.socket);
	if (!c)
		goto out;
	if (load_pool(c, &b) || load_policy(c, &base, &saved))
		goto out;
	if (placement)
		cpool_place_parse(placement, &base.place);
	if (b.noise_threads && noise_in_pool(&b))
		goto out;

	if (out) {
		snprintf(b.out_dir, sizeof(b.out_dir), "%s", out);
	} else {
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(b.out_dir, sizeof(b.out_dir), "build/bench-%Y%m%d-%H%M%S", &tm);
	}
	ret = make_dirs(b.out_dir);
	if (ret) {
		cli_fail(PROG, "creating %s: %s", b.out_dir, strerror(-ret));
		goto out;
	}

	for (size_t i = 0; i < b.n_runs; i++) {
		struct bench_run *r = &b.runs[i];
		enum cpool_sched s = r->policy.sched;
		enum cpool_place pl = r->policy.place;
		int64_t admit_us = r->policy.admit_p99_us;
		char admit[40] = "";

		r->policy = base;
		r->policy.sched = s;
		if (r->place_given) {
			r->policy.place = pl;
			r->policy.admit_p99_us = admit_us;
		}
		if (r->place_given && admit_us) {
			strcpy(admit, "+admit:");
			cli_format_duration(cpool_us_to_s(admit_us), admit + strlen(admit),
					    sizeof(admit) - strlen(admit));
		}
		snprintf(r->label, sizeof(r->label), "%s%s%s%s", cpool_sched_name(s),
			 r->place_given ? "/" : "", r->place_given ? cpool_place_name(pl) : "",
			 admit);
		r->n_jobs = b.n_jobs;
		r->jobs = calloc(b.n_jobs, sizeof(*r->jobs));
		if (!r->jobs) {
			cli_fail(PROG, "out of memory");
			goto out;
		}
		for (size_t k = 0; k < b.n_jobs; k++) {
			r->jobs[k].job = &b.jobs[k];
			r->jobs[k].p_vs = -1;
			r->jobs[k].c_vs = -1;
			r->jobs[k].m_preemptions = -1;
			r->jobs[k].m_rq_mean_us = -1;
			r->jobs[k].m_rq_p99_us = -1;
		}
		if (predict(&b, r) || bench_run_summarise(&b, r))
			goto out;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pg.tty = isatty(STDERR_FILENO);
	pg.started = cli_now();
	fprintf(stderr,
		"%s: %zu jobs x %zu policies x %d repeat(s) on %d VS (%d CPUs), placement %s, scale %g\n",
		PROG, b.n_jobs, b.n_policies, b.n_repeats, b.n_vs, b.total_cpus,
		cpool_place_name(base.place), b.time_scale);
	if (!no_warm_up) {
		ret = warm_up(c, self, &b, &pg);
		if (ret)
			goto restore;
	}
	for (size_t i = 0; i < b.n_runs; i++) {
		ret = run_live(c, self, &b, i, timeout, &pg);
		if (ret == -EINTR) {
			fprintf(stderr, "%s: interrupted; the runs so far are in the report\n",
				PROG);
			break;
		}
		if (ret && ret != -ETIMEDOUT)
			goto restore;
		if (b.runs[i].measured && b.runs[i].pred.makespan > 0) {
			double ratio = b.runs[i].meas.makespan / b.runs[i].pred.makespan;

			pg.ratio = i == 0 ? ratio : (pg.ratio + ratio) / 2;
		}
	}
	progress_end(&pg);

	ret = bench_write_results(&b, PROG);
	if (!ret) {
		int err = bench_write_classes(&b);

		if (err)
			ret = cli_fail(PROG, "writing %s/classes.csv: %s", b.out_dir,
				       strerror(-err));
	}
	bench_print_table(&b, stdout);
	bench_print_classes(&b, stdout);
	printf("\nreport: %s/results.json, results.csv, *.png, *.svg\n", b.out_dir);
	status = ret || interrupted ? CLI_EXIT_FAILED : CLI_EXIT_OK;
	for (size_t i = 0; i < b.n_runs; i++)
		if (!b.runs[i].measured || b.runs[i].meas_failed)
			status = CLI_EXIT_FAILED;

restore:
	stop_noise(c, &b);
	/* Leave the daemon with the policy it had. */
	if (saved) {
		json_t *res = NULL;
		struct cpool_error err;

		json_object_del(saved, "quantum_us");
		if (cpool_apiclient_call(c, CPOOL_OP_POLICY_SET, json_incref(saved), &res,
					 CLI_TIMEOUT_MS, &err))
			fprintf(stderr, "%s: restoring the policy: %s\n", PROG, err.msg);
		json_decref(res);
	}
out:
	json_decref(saved);
	if (c)
		cpool_apiclient_close(c);
	cpool_trace_free(&trace);
	bench_free(&b);
	return status;
}

CPOOL_COMMAND(bench, "bench",
	      "replay a trace as live jobs under several policies, next to the simulator",
	      cmd_bench);
