// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Crash injection: for every crash point build/cpoold-crash names
 * (--crash-points), ROUNDS times (pass 1, 2, 3 of the point), the daemon
 * is killed there by its own SIGKILL while a workload runs that goes
 * through submit, launch, exit, preemption (rr), resume, cancel, hold,
 * release, a dependency never satisfied, a time limit's SIGTERM and kill,
 * an attach (as the Slurm plugin's), a VS's create, resize and destroy,
 * and a reload that does the same to another.  Then a normal cpoold starts
 * on the same
 * state and every job must end exactly once, exec'd at most once, with
 * its exact exit status, and `cpool ps` / `cpool history --json` must tell
 * what the jobs' own files tell.  Meanwhile a sampler watches that no CPU
 * of the exclusive VS is in two running leaves.
 *
 * Each job appends a line to its own file each time it is exec'd and
 * exits with a status of its own.  A point the workload never reaches is
 * a failure, named: a crash point nobody can trigger proves nothing.
 *
 * Rounds per point: 1, or CPOOL_CRASH_ROUNDS (make check-crash: 3).
 * CPOOL_CRASH_ONLY narrows a run to some points: names, or prefixes ending
 * in '.' such as "reload.", separated by commas.  CPOOL_CRASH_TRACE=1
 * prints where each round's time goes (daemon start, workload steps,
 * restart, settling, checks, cleanup).
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "lab_cpoold.h"

#define NOBODY 65534
#define MAX_POINTS 128
#define MAX_JOBS 64
#define ITERATIONS 3 /* each step of the workload passes at least 3 times */
#define REPLY_MS 10000
/*
 * How often the test asks ps whether a job has started or ended: each ask
 * costs the one emulated CPU a little, each wait a whole interval.
 */
#define POLL_MS 50

enum kind {
	SHORT, /* must end done, with its status, exec'd exactly once */
	CANCELLED, /* cancelled by us: cancelled, or done if it ended first; at most once */
	IN_DESTROYED_VS, /* its VS is destroyed under it: ended, at most once */
	TIMED_OUT, /* ignores SIGTERM past its time limit: timeout, exec'd at most once */
};

struct job {
	char name[32];
	enum kind kind;
	uid_t owner;
	int status; /* what its command exits with */
	const char *vs;
	int64_t id; /* 0 while unacknowledged: the crash may have taken the reply */
};

struct round {
	char dir[64], sock[128], ini[128], root[96];
	const char *point;
	int pass;
	pid_t daemon, sampler;
	int died_status;
	bool died;
	struct job jobs[MAX_JOBS];
	int n_jobs;
};

static char crash_bin[PATH_MAX], normal_bin[PATH_MAX], cli_bin[PATH_MAX];
static bool tracing; /* CPOOL_CRASH_TRACE: where a round's time goes, step by step */

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* True once the crash daemon is gone; its wait status in rd->died_status. */
static bool daemon_dead(struct round *rd)
{
	if (!rd->died && waitpid(rd->daemon, &rd->died_status, WNOHANG) == rd->daemon)
		rd->died = true;
	return rd->died;
}

static void trace(const char *step)
{
	static double last;
	double now = mono_s();

	if (tracing && last)
		diag("  %-28s %6.2f s", step, now - last);
	last = now;
}

static int request(struct round *rd, uid_t uid, const char *op, json_t *args, json_t **res)
{
	return lab_request(rd->sock, uid, op, args, res, REPLY_MS);
}

/*
 * The first CPU is the system's, x (exclusive) and s take one each, and
 * the workload's VS t (or, by a reload, r) the last: 2x2 and 4x1 both have
 * 4 CPUs.  @extra: more sections.
 */
static void write_ini(struct round *rd, const char *extra)
{
	FILE *f = fopen(rd->ini, "w");

	if (!f)
		bail_out("%s: %s", rd->ini, strerror(errno));
	fprintf(f,
		"[pool]\nname = crashpool\n\n[vserver x]\ncpus = 1\nsmt = threads\n\n"
		"[vserver s]\ncpus = 1\nexclusive = no\nsmt = threads\nkill_grace = 1s\n%s",
		extra);
	fclose(f);
}

static void simple(struct round *rd, uid_t uid, const char *op, json_t *args)
{
	json_t *res;

	request(rd, uid, op, args, &res);
	json_decref(res);
}

/*
 * A submission with time limit @time_limit (0: none) and @extra's keys
 * (hold, after) added; steals @extra (may be NULL).
 */
static struct job *submit_with(struct round *rd, enum kind kind, uid_t owner, const char *vs,
			       const char *tail, double time_limit, json_t *extra)
{
	struct job *j = &rd->jobs[rd->n_jobs];
	char script[512];
	json_t *res, *args;

	if (rd->n_jobs == MAX_JOBS)
		bail_out("more than %d jobs in a round", MAX_JOBS);
	snprintf(j->name, sizeof(j->name), "w%d", rd->n_jobs);
	j->kind = kind;
	j->owner = owner;
	j->status = 10 + rd->n_jobs;
	j->vs = vs;
	snprintf(script, sizeof(script), "echo $$ >> %s/exec-%s; %s; exit %d", rd->dir, j->name,
		 tail, j->status);
	args = json_pack("{s:[s,s,s], s:[s], s:s, s:s, s:s, s:f}", "argv", "/bin/sh", "-c", script,
			 "env", "PATH=/usr/bin:/bin", "cwd", rd->dir, "vs", vs, "name", j->name,
			 "time", time_limit);
	if (extra)
		json_object_update(args, extra);
	json_decref(extra);
	if (request(rd, owner, "submit", args, &res) == 0)
		j->id = lab_jint(res, "job");
	json_decref(res);
	rd->n_jobs++;
	return j;
}

/*
 * A process of ours attached to @vs as the Slurm plugin would, then killed
 * (its leaf empties, its record ends), and waited for until ps no longer
 * lists it: the attach points are reached, and its CPU is free again.
 */
static void attach_and_end(struct round *rd, const char *vs)
{
	struct cpool_apiclient *c;
	struct cpool_error e = { 0 };
	json_t *res = NULL;
	pid_t pid = fork();
	int pidfd;

	if (pid == 0) {
		for (;;)
			pause();
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0 && cpool_apiclient_connect(rd->sock, &c, &e) == 0) {
		cpool_apiclient_call_fds(c, CPOOL_OP_ATTACH,
					 json_pack("{s:s, s:i, s:i, s:i}", "vs", vs, "uid", 0,
						   "slurm_job", 1, "slurm_step", 0),
					 &pidfd, 1, &res, REPLY_MS, &e);
		cpool_apiclient_close(c);
	}
	json_decref(res);
	if (pidfd >= 0)
		close(pidfd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	for (int64_t end = lab_mono_ms() + 10000; lab_mono_ms() < end && !daemon_dead(rd);) {
		bool listed = false;
		size_t i;
		json_t *j;

		if (request(rd, 0, "ps", NULL, &res))
			break;
		json_array_foreach(json_object_get(res, "jobs"), i, j)
			listed |= strcmp(lab_jstr(j, "origin"), "slurm") == 0;
		json_decref(res);
		if (!listed)
			break;
		lab_sleep_ms(POLL_MS);
	}
}

static struct job *submit(struct round *rd, enum kind kind, uid_t owner, const char *vs,
			  const char *tail)
{
	return submit_with(rd, kind, owner, vs, tail, 0, NULL);
}

static struct job *submit_timed(struct round *rd, enum kind kind, uid_t owner, const char *vs,
				const char *tail, double time_limit)
{
	return submit_with(rd, kind, owner, vs, tail, time_limit, NULL);
}

/* What a client would do again after a crash: release every job still held. */
static void release_held(struct round *rd)
{
	json_t *res, *j;
	size_t i;

	if (request(rd, 0, "ps", NULL, &res))
		return;
	json_array_foreach(json_object_get(res, "jobs"), i, j)
		if (json_is_true(json_object_get(j, "held")))
			simple(rd, 0, "release", json_pack("{s:I}", "job", lab_jint(j, "id")));
	json_decref(res);
}

/* The job's state in root's ps, "" when it is not listed. */
static void ps_state(struct round *rd, int64_t id, char *state, size_t len)
{
	json_t *res, *j;
	size_t i;

	state[0] = '\0';
	if (request(rd, 0, "ps", NULL, &res))
		return;
	json_array_foreach(json_object_get(res, "jobs"), i, j)
		if (lab_jint(j, "id") == id)
			snprintf(state, len, "%s", lab_jstr(j, "state"));
	json_decref(res);
}

static void wait_running(struct round *rd, const struct job *j)
{
	char state[32];

	for (int64_t end = lab_mono_ms() + 5000;
	     lab_mono_ms() < end && j->id > 0 && !daemon_dead(rd);) {
		ps_state(rd, j->id, state, sizeof(state));
		if (strcmp(state, "running") == 0)
			return;
		lab_sleep_ms(POLL_MS);
	}
}

/*
 * Until job @j has ended (it is no longer in root's ps), the daemon is
 * gone or @timeout_ms passed.
 */
static void wait_ended(struct round *rd, const struct job *j, int timeout_ms)
{
	char state[32];

	for (int64_t end = lab_mono_ms() + timeout_ms;
	     lab_mono_ms() < end && j && j->id > 0 && !daemon_dead(rd);) {
		ps_state(rd, j->id, state, sizeof(state));
		if (!state[0])
			return;
		lab_sleep_ms(POLL_MS);
	}
}

static void cancel(struct round *rd, const struct job *j)
{
	if (j->id > 0)
		simple(rd, j->owner, "cancel", json_pack("{s:I}", "job", (json_int_t)j->id));
}

/*
 * The workload's phases, in order.  Each waits for its own jobs to end (or
 * leaves them to be cancelled and destroyed) before the next begins, so a
 * phase starts with nothing of an earlier one queued or running: a round
 * whose point fires first in a later phase starts there, and its passes 2
 * and 3 come without re-running the rr phase, most of a pass's time under
 * TCG.  A point put in too late a phase goes unreached, which fails.
 */
enum phase {
	PHASE_RR, /* submissions to x and s under rr: launch, preempt, resume, exit, timeout */
	PHASE_JOBCTL, /* fcfs: cancels of a running and a queued job, hold, release, --after */
	PHASE_VS, /* a VS created, attached to, given a job, resized, destroyed */
	PHASE_RELOAD, /* the same by reloads */
};

static enum phase first_phase(const char *point)
{
	static const struct {
		const char *prefix;
		enum phase phase;
	} late[] = {
		{ "cancel.", PHASE_JOBCTL },	 { "submit.jobctl-", PHASE_JOBCTL },
		{ "hold.", PHASE_JOBCTL },	 { "release.", PHASE_JOBCTL },
		{ "dependency.", PHASE_JOBCTL }, { "attach.", PHASE_VS },
		{ "vs-resize.", PHASE_VS },	 { "vs-destroy.", PHASE_VS },
		{ "reload.", PHASE_RELOAD },
	};

	for (size_t i = 0; i < sizeof(late) / sizeof(late[0]); i++)
		if (strncmp(point, late[i].prefix, strlen(late[i].prefix)) == 0)
			return late[i].phase;
	return PHASE_RR;
}

/*
 * Submissions from two users to both VSs, more jobs than the exclusive VS
 * has CPUs, under rr: preempt and resume; and a job past its time limit.
 */
static void phase_rr(struct round *rd)
{
	struct job *timed, *on_x[4] = { NULL };

	/* At its limit: SIGTERM, ignored, then the kill after s's kill_grace. */
	timed = submit_timed(rd, TIMED_OUT, NOBODY, "s", "trap '' TERM; sleep 30", 1);
	for (int i = 0; i < 4 && !daemon_dead(rd); i++)
		on_x[i] = submit(rd, SHORT, i % 2 ? NOBODY : 0, "x", "sleep 0.3");
	/*
	 * s's short jobs end at their first turn: each turn they took froze
	 * the timed job, whose clock stops while frozen, and so held up the
	 * whole phase by seconds under TCG.
	 */
	for (int i = 0; i < 2 && !daemon_dead(rd); i++)
		submit(rd, SHORT, i % 2 ? 0 : NOBODY, "s", "true");
	/*
	 * x's jobs take turns under rr until they end: a launch under TCG
	 * outlasts the submissions above, and a starting job is not
	 * preempted, so switching to fcfs now would leave preemption and
	 * resumption unreached.
	 */
	trace("submitted rr jobs");
	for (int i = 0; i < 4 && !daemon_dead(rd); i++)
		wait_ended(rd, on_x[i], 30000);
	trace("x's jobs ended");
	wait_ended(rd, timed, 30000);
	trace("timed-out job ended");
}

/* Under fcfs the second waits behind the first: a cancel of a queued job. */
static void phase_jobctl(struct round *rd)
{
	struct job *running, *queued, *held;

	simple(rd, 0, "policy.set", json_pack("{s:s}", "policy", "fcfs"));
	running = submit(rd, CANCELLED, NOBODY, "s", "sleep 30");
	wait_running(rd, running);
	trace("fcfs job running");
	queued = submit(rd, CANCELLED, 0, "s", "true");
	/* Job control's durable steps: a held submission, hold, release, a hopeless --after. */
	held = submit_with(rd, SHORT, NOBODY, "s", "true", 0, json_pack("{s:b}", "hold", 1));
	if (queued->id > 0) {
		char after[32];

		simple(rd, 0, "hold", json_pack("{s:I}", "job", (json_int_t)queued->id));
		snprintf(after, sizeof(after), "%lld:ok", (long long)queued->id);
		submit_with(rd, CANCELLED, 0, "s", "true", 0, json_pack("{s:s}", "after", after));
	}
	if (held->id > 0)
		simple(rd, NOBODY, "release", json_pack("{s:I}", "job", (json_int_t)held->id));
	cancel(rd, queued);
	cancel(rd, running);
	trace("job control and cancels");
	simple(rd, 0, "policy.set", json_pack("{s:s, s:f}", "policy", "rr", "quantum", 0.1));
}

static void phase_vs(struct round *rd)
{
	struct job *doomed;

	simple(rd, 0, "vs.create",
	       json_pack("{s:s, s:{s:s, s:s, s:s}}", "name", "t", "spec", "cpus", "1", "exclusive",
			 "no", "smt", "threads"));
	trace("vs t created");
	attach_and_end(rd, "t");
	trace("attach ended");
	doomed = submit(rd, IN_DESTROYED_VS, NOBODY, "t", "sleep 30");
	wait_running(rd, doomed);
	trace("job in t running");
	simple(rd, 0, "vs.resize",
	       json_pack("{s:s, s:{s:s}}", "name", "t", "spec", "memory", "256M"));
	simple(rd, 0, "vs.destroy", json_pack("{s:s}", "name", "t"));
	trace("t resized, destroyed");
}

/* A reload creates r on t's CPU, resizes it, and removes it again. */
static void phase_reload(struct round *rd)
{
	write_ini(rd, "[vserver r]\ncpus = 1\nexclusive = no\nsmt = threads\n");
	simple(rd, 0, "reload", NULL);
	write_ini(rd, "[vserver r]\ncpus = 1\nexclusive = no\nsmt = threads\n"
		      "memory = 256M\n");
	simple(rd, 0, "reload", NULL);
	write_ini(rd, "");
	simple(rd, 0, "reload", NULL);
	trace("three reloads");
}

/*
 * ITERATIONS passes of the phases from @from on, each pass in order.
 * Stops as soon as the daemon is gone.
 */
static void workload(struct round *rd, enum phase from)
{
	static void (*const phases[])(struct round *) = {
		[PHASE_RR] = phase_rr,
		[PHASE_JOBCTL] = phase_jobctl,
		[PHASE_VS] = phase_vs,
		[PHASE_RELOAD] = phase_reload,
	};

	trace(NULL);
	simple(rd, 0, "policy.set", json_pack("{s:s, s:f}", "policy", "rr", "quantum", 0.1));
	for (int it = 0; it < ITERATIONS && !daemon_dead(rd); it++)
		for (size_t p = from; p < sizeof(phases) / sizeof(phases[0]) && !daemon_dead(rd);
		     p++)
			phases[p](rd);
}

/*
 * No job of ours left in root's ps (or the daemon gone): true when all
 * ended.  The limit is wall time, not the sum of the sleeps: each ps may
 * itself take seconds on a loaded host.
 */
static bool wait_all_ended(struct round *rd, int timeout_ms, bool stop_on_death)
{
	int64_t end = lab_mono_ms() + timeout_ms;

	do {
		json_t *res;
		int r;

		if (stop_on_death && daemon_dead(rd))
			return false;
		r = request(rd, 0, "ps", NULL, &res);
		if (r == 0 && json_array_size(json_object_get(res, "jobs")) == 0) {
			json_decref(res);
			return true;
		}
		json_decref(res);
		lab_sleep_ms(POLL_MS);
	} while (lab_mono_ms() < end);
	return false;
}

/*
 * The sampler: every 50 ms, the exclusive VS's running leaves (populated,
 * not frozen) with the CPUs the daemon gave them (cpuset.cpus) and the
 * kernel's (cpuset.cpus.effective).  An overlap seen in two samples in a
 * row is written to DIR/overlaps: one alone may be the instant between a
 * preemption's freeze and the next job's thaw.
 */
struct leaf {
	char name[32], freeze[8];
	struct cpool_cpuset cpus, effective;
};

static int sample_leaves(const char *vsdir, struct leaf *out, int max)
{
	DIR *d = opendir(vsdir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) && n < max) {
		char sub[512], buf[256];

		if (strncmp(de->d_name, "job-", 4) || strlen(de->d_name) >= sizeof(out[n].name))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", vsdir, de->d_name);
		{
			char ev[256], path[sizeof(sub) + 32];

			snprintf(path, sizeof(path), "%s/cgroup.events", sub);
			lab_slurp(path, ev, sizeof(ev));
			if (!strstr(ev, "populated 1") || !strstr(ev, "frozen 0"))
				continue;
		}
		memcpy(out[n].name, de->d_name, strlen(de->d_name) + 1);
		lab_read2(sub, "cgroup.freeze", out[n].freeze, sizeof(out[n].freeze));
		if (cpool_cpuset_parse(&out[n].cpus,
				       lab_read2(sub, "cpuset.cpus", buf, sizeof(buf)), NULL) ||
		    cpool_cpuset_parse(&out[n].effective,
				       lab_read2(sub, "cpuset.cpus.effective", buf, sizeof(buf)),
				       NULL))
			continue; /* removed while we read it */
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void __attribute__((noreturn)) sampler(const char *root, const char *dir)
{
	char vsdir[256], out[PATH_MAX], seen[PATH_MAX], prev[4096] = "";

	snprintf(vsdir, sizeof(vsdir), "/sys/fs/cgroup/%s/x", root);
	snprintf(out, sizeof(out), "%s/overlaps", dir);
	snprintf(seen, sizeof(seen), "%s/sampled", dir);
	for (;;) {
		struct leaf l[32];
		char now[4096] = "";
		int n = sample_leaves(vsdir, l, 32);

		if (n && !lab_exists(seen))
			fclose(fopen(seen, "we"));
		for (int a = 0; a < n; a++)
			for (int b = a + 1; b < n; b++) {
				struct cpool_cpuset both, both_eff;
				char line[256], s1[64], s2[64];

				cpool_cpuset_and(&both, &l[a].cpus, &l[b].cpus);
				cpool_cpuset_and(&both_eff, &l[a].effective, &l[b].effective);
				if (cpool_cpuset_empty(&both) && cpool_cpuset_empty(&both_eff))
					continue;
				cpool_cpuset_format(&l[a].cpus, s1, sizeof(s1));
				cpool_cpuset_format(&l[b].cpus, s2, sizeof(s2));
				/* cgroup.freeze 1 while not yet frozen: its tasks still run. */
				snprintf(line, sizeof(line),
					 "%s (cpus %s, cgroup.freeze %s) and %s (cpus %s, "
					 "cgroup.freeze %s)\n",
					 l[a].name, s1, l[a].freeze, l[b].name, s2, l[b].freeze);
				if (strstr(prev, line)) {
					FILE *f = fopen(out, "ae");

					if (f) {
						fputs(line, f);
						fclose(f);
					}
				}
				if (strlen(now) + strlen(line) < sizeof(now))
					strcat(now, line);
			}
		strcpy(prev, now);
		lab_sleep_ms(50);
	}
}

static int count_lines(const char *path)
{
	char buf[4096];
	int n = 0;

	for (const char *p = lab_slurp(path, buf, sizeof(buf)); *p; p++)
		n += *p == '\n';
	return n;
}

/* The CLI's JSON answer to `cpool ARGS` on the round's socket. */
static json_t *cli_json(struct round *rd, const char *args)
{
	char cmd[PATH_MAX + 512], *out = NULL;
	size_t cap = 0, used = 0;
	FILE *p;
	json_t *j;

	snprintf(cmd, sizeof(cmd), "CPOOL_SOCKET='%s' '%s' %s", rd->sock, cli_bin, args);
	p = popen(cmd, "r");
	if (!p)
		return NULL;
	for (;;) {
		if (used + 4096 > cap)
			out = realloc(out, cap = cap * 2 + 8192);
		size_t n = fread(out + used, 1, cap - used - 1, p);

		if (!n)
			break;
		used += n;
	}
	pclose(p);
	out[used] = '\0';
	j = json_loads(out, 0, NULL);
	free(out);
	return j;
}

/* How often the log says job @id reached an end state. */
static int ends_logged(struct round *rd, int64_t id)
{
	static char log[1 << 20];
	char path[PATH_MAX], needle[64];
	int n = 0;

	snprintf(path, sizeof(path), "%s/cpoold.log", rd->dir);
	lab_slurp(path, log, sizeof(log));
	for (const char *state = "done\0failed\0cancelled\0"; *state; state += strlen(state) + 1) {
		snprintf(needle, sizeof(needle), "job %lld %s (exit", (long long)id, state);
		for (const char *p = log; (p = strstr(p, needle)); p++)
			n++;
	}
	return n;
}

/* Every check after the restart; returns how many failed (each said in a diag). */
static int check_round(struct round *rd)
{
	json_t *hist = cli_json(rd, "history --json"), *ps = cli_json(rd, "ps --json");
	json_t *jobs = json_object_get(hist, "jobs");
	char path[PATH_MAX], buf[4096];
	int bad = 0, ran_on_x = 0;

	if (!json_is_array(jobs)) {
		diag("cpool history --json gave no job list");
		bad++;
	}
	if (json_array_size(json_object_get(ps, "jobs")) != 0 || !ps) {
		diag("cpool ps --json still lists jobs after all ended: %s",
		     ps ? json_dumps(ps, JSON_COMPACT) : "(no answer)");
		bad++;
	}
	for (int k = 0; k < rd->n_jobs; k++) {
		struct job *j = &rd->jobs[k];
		json_t *rec = NULL, *r;
		int records = 0, lines;
		const char *state;
		size_t i;

		snprintf(path, sizeof(path), "%s/exec-%s", rd->dir, j->name);
		lines = count_lines(path);
		ran_on_x += lines && strcmp(j->vs, "x") == 0;
		json_array_foreach(jobs, i, r)
			if (strcmp(lab_jstr(r, "name"), j->name) == 0) {
				rec = r;
				records++;
			}
		if (lines > 1) {
			diag("job %s (id %lld) was exec'd %d times", j->name, (long long)j->id,
			     lines);
			bad++;
		}
		if (records > 1) {
			diag("job %s is in the history %d times", j->name, records);
			bad++;
		}
		if (!rec) {
			if (j->id > 0 || lines) {
				diag("job %s (id %lld, exec'd %d times) has no end in the history",
				     j->name, (long long)j->id, lines);
				bad++;
			}
			continue; /* the crash took the submission before it was stored */
		}
		if (j->id > 0 && lab_jint(rec, "id") != j->id) {
			diag("job %s: submitted as id %lld, the history says %lld", j->name,
			     (long long)j->id, (long long)lab_jint(rec, "id"));
			bad++;
		}
		if (ends_logged(rd, lab_jint(rec, "id")) > 1) {
			diag("job %s (id %lld) was ended %d times in the log", j->name,
			     (long long)lab_jint(rec, "id"), ends_logged(rd, lab_jint(rec, "id")));
			bad++;
		}
		state = lab_jstr(rec, "state");
		if (lines && !json_object_get(rec, "start")) {
			diag("job %s ran but its record has no start", j->name);
			bad++;
		}
		if (j->kind == TIMED_OUT) {
			if (strcmp(state, "timeout") || lines > 1) {
				diag("job %s (past its time limit, exec'd %d times) ended %s: %s",
				     j->name, lines, state, json_dumps(rec, JSON_COMPACT));
				bad++;
			}
		} else if (strcmp(state, "done") == 0) {
			if (lines != 1 || lab_jint(rec, "exit_code") != j->status ||
			    lab_jint(rec, "signal") != 0) {
				diag("job %s: done, exit %lld signal %lld, exec'd %d times; it exits %d",
				     j->name, (long long)lab_jint(rec, "exit_code"),
				     (long long)lab_jint(rec, "signal"), lines, j->status);
				bad++;
			}
		} else if (j->kind == SHORT ||
			   (j->kind == CANCELLED && strcmp(state, "cancelled")) ||
			   (j->kind == IN_DESTROYED_VS && strcmp(state, "cancelled") &&
			    strcmp(state, "failed"))) {
			diag("job %s (exits %d, exec'd %d times) ended %s: %s", j->name, j->status,
			     lines, state, json_dumps(rec, JSON_COMPACT));
			bad++;
		}
	}
	snprintf(path, sizeof(path), "%s/sampled", rd->dir);
	if (ran_on_x && !lab_exists(path)) {
		diag("%d jobs ran on x, but the sampler never saw a running leaf there", ran_on_x);
		bad++;
	}
	snprintf(path, sizeof(path), "%s/overlaps", rd->dir);
	if (lab_slurp(path, buf, sizeof(buf))[0]) {
		diag("CPUs of the exclusive VS in two running leaves at once:\n%s", buf);
		bad++;
	}
	json_decref(hist);
	json_decref(ps);
	return bad;
}

static void cleanup(struct round *rd, pid_t daemon)
{
	struct cpool_cg_pool pool;
	struct cpool_error e;
	char cmd[256];

	if (rd->sampler > 0)
		lab_kill_reap(rd->sampler, LAB_CPOOLD_REAP_MS, NULL);
	if (daemon > 0)
		lab_cpoold_stop(daemon, LAB_CPOOLD_STOP_S, NULL);
	if (cpool_cg_pool_open(&pool, rd->root, &e) == 0 && cpool_cg_pool_destroy(&pool, 10000, &e))
		diag("cleanup of %s: %s", rd->root, e.msg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rd->dir);
	if (system(cmd))
		diag("cleanup of %s failed", rd->dir);
}

static void run_round(const char *point, int pass, int seq)
{
	struct round rd = { .point = point, .pass = pass };
	char crash_at[160];
	double t0 = mono_s(), t_up = t0, t_crash, t_restart, t_settled, t_checked;
	pid_t normal = 0;
	bool ok_up;
	int bad = 0;

	snprintf(rd.dir, sizeof(rd.dir), "/tmp/crash-lab.XXXXXX");
	if (!mkdtemp(rd.dir) || chmod(rd.dir, 01777))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(rd.sock, sizeof(rd.sock), "%s/cpool.sock", rd.dir);
	snprintf(rd.ini, sizeof(rd.ini), "%s/pool.ini", rd.dir);
	snprintf(rd.root, sizeof(rd.root), "cpool-lab-crash-%d-%d", (int)getpid(), seq);
	write_ini(&rd, "");
	snprintf(crash_at, sizeof(crash_at), "%s:%d", point, pass);

	rd.sampler = fork();
	if (rd.sampler == 0) {
		/*
		 * It shares the test's stdout, prove's pipe: if the test dies, it
		 * must too, or prove waits for that pipe's EOF for ever.
		 */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() == 1)
			_exit(1);
		sampler(rd.root, rd.dir);
	}
	rd.daemon = lab_spawn_cpoold(crash_bin, rd.dir, rd.ini, rd.root, "0666", true, crash_at);
	if (lab_cpoold_up(rd.dir, rd.daemon) || daemon_dead(&rd)) {
		t_up = mono_s();
		workload(&rd, first_phase(point));
		wait_all_ended(&rd, 60000, true);
	}
	t_crash = mono_s();
	if (!daemon_dead(&rd)) {
		ok(0, "%s: the workload reaches it (pass %d)", crash_at, pass);
		diag("crash point %s is not reached by this test's workload: extend the workload "
		     "or drop the point",
		     crash_at);
		lab_cpoold_log_tail(rd.dir, 3000);
		cleanup(&rd, rd.daemon);
		return;
	}
	if (!WIFSIGNALED(rd.died_status) || WTERMSIG(rd.died_status) != SIGKILL) {
		diag("%s: the crash daemon ended otherwise than by SIGKILL (status 0x%x)", crash_at,
		     rd.died_status);
		bad++;
	}
	normal = lab_spawn_cpoold(normal_bin, rd.dir, rd.ini, rd.root, "0666", true, NULL);
	ok_up = lab_cpoold_up(rd.dir, normal);
	t_restart = mono_s();
	if (!ok_up) {
		ok(0, "%s: cpoold restarts after the crash", crash_at);
		lab_cpoold_log_tail(rd.dir, 4000);
		/* Up or not, it must not outlive the test (it would hold the round's cgroups). */
		cleanup(&rd, normal);
		return;
	}
	/* What a client would do again: the cancels and the destroy the crash may have eaten. */
	for (int k = 0; k < rd.n_jobs; k++)
		if (rd.jobs[k].kind == CANCELLED)
			cancel(&rd, &rd.jobs[k]);
	release_held(&rd);
	simple(&rd, 0, "vs.destroy", json_pack("{s:s}", "name", "t"));
	if (!wait_all_ended(&rd, 90000, false)) {
		diag("%s: jobs still active 90 s after the restart", crash_at);
		bad++;
	}
	t_settled = mono_s();
	bad += check_round(&rd);
	t_checked = mono_s();
	ok(bad == 0, "%s: %d jobs, each ended once with its own status, ran at most once (%.1f s)",
	   crash_at, rd.n_jobs, mono_s() - t0);
	if (bad)
		lab_cpoold_log_tail(rd.dir, 6000);
	cleanup(&rd, normal);
	diag("%s: up %.2f, workload to crash %.2f, restart %.2f, settle %.2f, check %.2f, "
	     "cleanup %.2f s",
	     crash_at, t_up - t0, t_crash - t_up, t_restart - t_crash, t_settled - t_restart,
	     t_checked - t_settled, mono_s() - t_checked);
}

/* @point is in @only: names and prefixes ending in '.', separated by commas. */
static bool selected(const char *only, const char *point)
{
	for (const char *p = only; *p;) {
		size_t len = strcspn(p, ",");

		if (len && (p[len - 1] == '.' ? strncmp(p, point, len) == 0 :
						strlen(point) == len && !strncmp(p, point, len)))
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

int main(void)
{
	const char *build = getenv("CPOOL_BUILD") ?: "build";
	const char *only = getenv("CPOOL_CRASH_ONLY");
	/*
	 * One round a point in make check-lab (four lab runs: each point four
	 * times, twice per kernel); make check-crash runs three a point on each
	 * kernel: 108 rounds in 28 min on 6.12 under TCG on a loaded host.
	 */
	int rounds = atoi(getenv("CPOOL_CRASH_ROUNDS") ?: "1");
	int n = 0, seq = 0;
	char cmd[PATH_MAX + 32], line[160], *points[MAX_POINTS];
	double t0 = mono_s();
	FILE *p;

	lab_require();
	tracing = getenv("CPOOL_CRASH_TRACE") != NULL;
	snprintf(crash_bin, sizeof(crash_bin), "%s/cpoold-crash", build);
	snprintf(normal_bin, sizeof(normal_bin), "%s/cpoold", build);
	snprintf(cli_bin, sizeof(cli_bin), "%s/cpool", build);
	if (!lab_exists(crash_bin)) {
		ok(0, "%s exists (the daemon built with crash points)", crash_bin);
		done_testing();
		return exit_status();
	}
	snprintf(cmd, sizeof(cmd), "'%s' --crash-points", crash_bin);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p) && n < MAX_POINTS) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] && (!only || selected(only, line)))
			points[n++] = strdup(line);
	}
	if (!p || pclose(p) != 0 || n == 0) {
		ok(0, "%s --crash-points lists the crash points", crash_bin);
		done_testing();
		return exit_status();
	}
	diag("%d crash points, %d rounds each", n, rounds);
	for (int i = 0; i < n; i++)
		for (int pass = 1; pass <= rounds; pass++)
			run_round(points[i], pass, seq++);
	diag("%d rounds in %.0f s", seq, mono_s() - t0);
	for (int i = 0; i < n; i++)
		free(points[i]);
	done_testing();
	return exit_status();
}
