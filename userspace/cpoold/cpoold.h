/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * cpoold's state, shared by its files:
 *   main.c    options, start-up, signals, the event loop
 *   pool.c    virtual servers: plan, cgroups, CPUs given to jobs
 *   jobs.c    the job table, persistence, supervisors, recovery
 *   sched.c   the policy: snapshot in, decisions out, applied
 *   api.c     the requests of the API socket
 *   metrics.c the collector's measurements, per VS, CPU and job
 *   http.c    /metrics for Prometheus (its own thread, a published copy)
 *   log.c     messages on stderr (the journal under systemd)
 * Everything runs on one thread, in the event loop, except libmicrohttpd's
 * thread in http.c, which touches nothing but the documents it is given,
 * and jobctl.c's replay of the queue by the simulator for ps, which
 * touches nothing but the copy it is given.
 */
#ifndef CPOOLD_H
#define CPOOLD_H

#include <stdbool.h>
#include <stdint.h>

#include "cpool/apiserver.h"
#include "cpool/cgroup.h"
#include "cpool/collector.h"
#include "cpool/config.h"
#include "cpool/evloop.h"
#include "cpool/fairshare.h"
#include "cpool/job.h"
#include "cpool/planner.h"
#include "cpool/policy.h"
#include "cpool/store.h"
#include "cpool/supervise.h"
#include "cpool/topology.h"
#include "crash.h"

/* ---- log.c ---- */
/* Not LOG_ERR and friends: those are <syslog.h>'s, with other values. */
enum log_level { CPOOLD_LOG_ERR, CPOOLD_LOG_WARN, CPOOLD_LOG_INFO, CPOOLD_LOG_DEBUG };
extern enum log_level log_threshold;
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Copies @in to @out with control characters as \xNN and '\' doubled, so
 * text from users can neither end a log line nor forge one; truncates to
 * fit.  Returns the length written.  log_msg() applies it to every message.
 */
size_t log_escape(const char *in, char *out, size_t outlen);
#define log_err(...) log_msg(CPOOLD_LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(CPOOLD_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(CPOOLD_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(CPOOLD_LOG_DEBUG, __VA_ARGS__)

struct waiter {
	struct cpool_client *client;
	json_int_t id;
	struct waiter *next;
};

struct vsrv {
	struct cpool_vs_spec spec; /* as configured or created */
	struct cpool_vserver vs; /* as placed: cpus, mems, limits */
	struct cpool_cg_vs_state cg;
	struct cpool_cpuset busy; /* CPUs given to running jobs */
	bool measured;
	double rul;
	int64_t rq_p50_us, rq_p99_us;
	bool destroying; /* vs_destroy.c: killed, waiting to be empty; takes no job */
	int n_running, n_queued; /* its jobs as of the last scheduling round (sched.c) */
	/* switchcost.c: CPUs given back by freezes, by ends, since the last round; the first at */
	int n_released, n_ended;
	double released_at, ended_at;
};

struct djob {
	struct cpool_jobrec rec; /* what the store keeps */
	struct cpool_job pol; /* the policy's view of the job */
	struct cpool_pjob pj;
	struct cpool_supervisor sup;
	struct cpool_evsource *sup_src;
	struct cpool_evsource *report_src; /* the supervisor's start report, while STARTING */
	struct cpool_evsource *start_timer; /* the start timeout, while STARTING */
	bool start_timed_out; /* its leaf was killed: it ends failed, rec.error says why */
	bool reconciling; /* after a restart: its supervisor has not written a record yet */
	bool awaiting_exec; /* adopted while starting: its start record will show the exec */
	struct cpool_evsource *freeze_src; /* cgroup.events while a freeze or thaw completes */
	int freeze_fd;
	bool freeze_want;
	bool cpus_held; /* its CPUs (cpus) are counted busy in its VS */
	/*
	 * Decided: its CPUs are taken and it is STARTING in memory, but its
	 * launch (leaf, STARTING stored, the supervisor's fork) waits for the
	 * launch callback, one job a loop iteration (jobs.c).  No leaf yet.
	 */
	bool launch_pending;
	bool releasing; /* preempted: its CPUs are given back once the freeze completed */
	struct cpool_evsource *release_timer; /* ... or when the freeze takes too long */
	struct cpool_cpuset cpus; /* its CPUs while running */
	/* switchcost.c: the freeze or thaw being timed, asked at, the leaf's CPU time then */
	bool switch_timed, switch_freeze;
	double switch_asked_at, switch_cpu_s;
	/* switchcost.c: its turn on the CPUs, open from its start or resume to its freeze */
	bool turn_open, turn_launch;
	double turn_at, turn_cpu_s;
	char leaf[2 * CPOOL_VS_NAME_MAX + 2]; /* "vs/job-ID" */
	struct waiter *waiters;
	uint64_t rq_hist[CPOOL_KMETRICS_HIST_SLOTS]; /* its run-queue waits so far */
	bool cancel_requested; /* killed; its end is accounted as cancelled */
	struct jobctl *ctl; /* jobctl.c: hold, dependencies, array, why it waits; NULL: none */
	struct attach_watch *attach; /* origin slurm: its leaf's cgroup.events (attach.c) */
	/* walltime.c: its time limit (rec.time_limit) */
	struct cpoold *daemon;
	struct cpool_evsource *walltime_timer; /* to the deadline, then to the end of the grace */
	int64_t run_since_us; /* rec.start_time on the timers' clock */
	bool timed_out; /* SIGTERM sent at the limit: it ends TIMEOUT */
	bool walltime_killed; /* the grace is over: its leaf was killed */
	int unsaved_tries; /* ended, but the store has not taken its end yet (unsaved.c) */
	uint64_t unsaved_seq; /* ... since the d->unsaved_seq-th such end */
	/* run.c: cpool run's stdin/stdout/stderr, held until its supervisor forks */
	bool has_stdio;
	int stdio[3];
	struct cpool_client *attached; /* the connection whose close cancels it */
	struct djob *next;
};

/* switchcost.c: what switching jobs cost, cumulative (seconds) */
struct switch_cost {
	long long preemptions, freezes, handovers, thaws, end_handovers, launches;
	double late_s, freeze_wait_s, freeze_ran_s, handover_wait_s, thaw_wait_s, thaw_ran_s;
	double end_handover_wait_s, launch_wait_s;
	/*
	 * Turns that a freeze ended, launches (a job's first) and resumes
	 * apart: their length and the part of it the job did not run.
	 */
	long long launch_turns, resume_turns;
	double launch_turn_s, launch_turn_idle_s, resume_turn_s, resume_turn_idle_s;
};

struct cpoold {
	/* options */
	const char *config_path;
	const char *socket_path;
	mode_t socket_mode;
	const char *state_dir;
	const char *record_dir;
	const char *cgroup_root; /* NULL: cpool_cg_default_root() */
	bool foreground;
	int start_timeout_ms; /* a launch not exec'd by then fails, its leaf killed */

	struct cpool_evloop *loop;
	struct cpool_apiserver *api;
	struct cpool_store *store;

	struct cpool_topology *topo;
	struct cpool_pool_config cfg;
	struct cpool_planner *planner;
	struct cpool_cg_pool pool;
	bool pool_created; /* this start made the pool root: a failed start removes it */
	struct vsrv *vs;
	int n_vs;

	struct cpool_policy policy;
	struct djob *jobs; /* live: queued, running, frozen; in id order */
	struct djob *jobs_last; /* the last of them (jobs.c) */
	uint64_t next_seq;
	struct cpool_collector *collector;
	struct cpool_kmetrics_snapshot last, window; /* last read; last interval's delta */
	bool have_last;
	struct metrics_export *export; /* cumulative figures for /metrics (metrics.c) */
	struct http_server *http; /* /metrics server, NULL when off (http.c) */
	struct cpool_evsource *sched_timer;
	struct cpool_evsource *launch_timer; /* launches the decided jobs, one per iteration */
	int n_launch_pending;
	int64_t wake_at; /* when the policy asked to be called again */
	double round_wall; /* wall time of the scheduling round under way; 0 outside one */
	bool sched_pending;
	bool stopping;
	struct user_bucket *buckets; /* limits.c: submissions per uid */
	int n_buckets;
	struct cpool_evsource *reconcile_timer; /* retries jobs still reconciling */
	struct leaf_gc *leaf_gc; /* killed leaves waiting to be empty to be removed */
	struct sample_buffer *samples; /* samples.c: metric samples not yet written */
	struct djob *unsaved; /* unsaved.c: ended jobs whose end the store has not taken */
	uint64_t unsaved_seq; /* ends kept there so far */
	uint64_t jobs_gen; /* jobs that left the table so far: a held pointer may be stale */
	struct ps_stream *ps_waiting; /* api.c: ps listings waiting for the expected starts */
	struct cpool_evsource *unsaved_timer;
	uint64_t unsaved_backoff_ns;
	struct cpool_evsource *retention_timer; /* retention.c */
	long long retention_pruned_samples, retention_pruned_jobs; /* this pass */
	struct cpool_fairshare fs; /* share.c: decayed CPU time per uid */
	bool fs_dirty; /* charged since it was last stored */
	int64_t fs_stored_us; /* when it was last stored (now_us()) */
	json_t *last_reload; /* reload.c: the outcome of the last reload, for stats */
	struct switch_cost switches;
};

/* pool.c */
int pool_setup(struct cpoold *d);
void pool_teardown(struct cpoold *d);
struct vsrv *pool_find(struct cpoold *d, const char *name);
int pool_index(struct cpoold *d, const char *name);
/* Choose @n CPUs of @v not busy; -ENOSPC when too few. */
int pool_take_cpus(struct vsrv *v, int n, struct cpool_cpuset *out);
void pool_give_cpus(struct vsrv *v, const struct cpool_cpuset *cpus);
/* The keys of a vs.create or vs.resize request onto @spec (the fuzz target's entry too). */
int pool_spec_apply(struct cpool_vs_spec *spec, json_t *keys, struct cpool_error *error);
int pool_vs_create(struct cpoold *d, const char *name, json_t *spec, struct cpool_error *error);
int pool_vs_resize(struct cpoold *d, const char *name, json_t *spec, struct cpool_error *error);
/*
 * Cancel the VS's jobs and kill its subtree; the request is answered on
 * @c (vs_destroy.c) once it is empty and removed.  Non-zero: refused now.
 */
int pool_vs_destroy(struct cpoold *d, const char *name, struct cpool_client *c, json_int_t req_id,
		    struct cpool_error *error);
/* The VS, empty, removed: cgroups, planner, store, table. */
int pool_vs_remove(struct cpoold *d, const char *name, struct cpool_error *error);
/* Jobs pinned to @v: running, and queued or frozen. */
void pool_vs_jobs(struct cpoold *d, const struct vsrv *v, int *running, int *queued);
json_t *pool_vs_json(struct cpoold *d, const struct vsrv *v);
/* For reload.c: a placed VS into d->vs; its store row; the list of the API's VSs. */
int pool_vs_add(struct cpoold *d, const struct cpool_vs_spec *spec, const struct cpool_vserver *vs);
int pool_vs_persist(struct cpoold *d, const struct vsrv *v);
void pool_vs_log_partition(const struct vsrv *v);
int pool_save_api_vservers(struct cpoold *d);

/* switchcost.c */
/* A freeze (preemption) or thaw (resume) of @j is about to be asked for: time it from @at. */
void switchcost_asked(struct cpoold *d, struct djob *j, bool freeze, double at);
/* ... and cgroup.events says it is done. */
void switchcost_done(struct cpoold *d, struct djob *j, bool frozen);
/* A preemption decided at @decided_us, its freeze asked for at @asked_us (timers' clock). */
void switchcost_late(struct cpoold *d, int64_t decided_us, int64_t asked_us);
/* @j was just started (launch) or resumed (@resume): its turn begins. */
void switchcost_turn_begun(struct cpoold *d, struct djob *j, bool resume);
/* A completed freeze gave back CPUs of @v; a job started or resumed on @v. */
void switchcost_released(struct vsrv *v);
/* A job that held CPUs of @v ended at @end (the supervisor's wall clock). */
void switchcost_ended(struct vsrv *v, double end);
double switchcost_started(struct cpoold *d, struct vsrv *v, double at);
void switchcost_round_end(struct cpoold *d);
/* A launched job exec'd @wait seconds after its start (STARTING to RUNNING). */
void switchcost_launched(struct cpoold *d, double wait);
json_t *switchcost_json(const struct cpoold *d);

/* jobs.c */
int jobs_recover(struct cpoold *d);
/* @j's policy view (pol, pj) from its stored record, as at submission or recovery. */
void jobs_policy_view(struct cpoold *d, struct djob *j);
struct djob *jobs_find(struct cpoold *d, int64_t id);
int jobs_submit(struct cpoold *d, const struct cpool_submit_req *s, uid_t uid, gid_t gid,
		int64_t *id, struct cpool_error *error);
/* Start or resume @j on VS @vs_index (a START decision). */
int jobs_start(struct cpoold *d, struct djob *j, int vs_index);
/* Stop @j and free its CPUs (a PREEMPT decision): its cgroup is frozen. */
int jobs_preempt(struct cpoold *d, struct djob *j);
int jobs_cancel(struct cpoold *d, struct djob *j, struct cpool_error *error);
json_t *jobs_json(const struct cpool_jobrec *r);
int jobs_add_waiter(struct djob *j, struct cpool_client *c, json_int_t id);
void jobs_forget_client(struct cpoold *d, struct cpool_client *c);
/* Starting or running: it holds CPUs of its VS. */
bool jobs_running(const struct djob *j);
/* Kill and remove a job leaf ("vs/job-N") without waiting: rmdir once cgroup.events says empty. */
void jobs_leaf_remove(struct cpoold *d, const char *leaf);
int jobs_count(struct cpoold *d, enum cpool_job_state state);
/* Drop @j from the table and free it (a submission rolled back): nothing is stored. */
void jobs_forget(struct cpoold *d, struct djob *j);
/* A job made outside jobs.c (attach.c), its record stored: into the table. */
void jobs_link(struct cpoold *d, struct djob *j);
/* Its end is in j->rec: CPUs back, stored, waiters answered, freed. */
void jobs_end(struct cpoold *d, struct djob *j);

/* attach.c: processes Slurm forked, made jobs of a VS (origin slurm) */
json_t *attach_handle(struct cpoold *d, struct cpool_client *c, const struct cpool_peer *p,
		      const struct cpool_request *req);
int attach_cancel(struct cpoold *d, struct djob *j, struct cpool_error *error);
json_t *attach_started_handle(struct cpoold *d, const struct cpool_peer *p,
			      const struct cpool_request *req);
/* After a restart: watch the leaves of attached jobs again, or end those already empty. */
void attach_recover(struct cpoold *d);
/* Adds origin and the Slurm ids to a job's JSON. */
void attach_json(const struct cpool_jobrec *r, json_t *o);
/* Frees a job off the table: its record, its waiters, itself. */
void jobs_free(struct djob *j);

/* sched.c */
void sched_init(struct cpoold *d);
/* Ask for a scheduling round soon (after the current event). */
void sched_kick(struct cpoold *d);
/* The policy's and the timers' clock: CLOCK_MONOTONIC, microseconds. */
int64_t now_us(void);
/* Wall-clock unix seconds, for the records people read. */
double now_s(void);
/* A wall-clock instant (unix seconds) on the policy's clock. */
int64_t wall_to_mono_us(double wall_s);

/* metrics.c */
int metrics_init(struct cpoold *d);
void metrics_close(struct cpoold *d);
json_t *metrics_top_cpus(struct cpoold *d);
bool metrics_degraded(struct cpoold *d);
/*
 * What the metrics ticks cost, for the stats op: on the loop's thread CPU
 * clock, and on the wall clock (what the loop waited) split into reading
 * the collector, folding its delta, and storing (samples, fair share),
 * summed and for the longest tick.
 */
struct metrics_tick_cost {
	uint64_t ticks, cpu_ns, last_cpu_ns, max_cpu_ns;
	uint64_t read_ns, fold_ns, store_ns;
	uint64_t max_wall_ns, max_read_ns, max_fold_ns, max_store_ns;
};
void metrics_tick_cost(struct cpoold *d, struct metrics_tick_cost *out);
/* Renders /metrics's documents now and publishes them (http.c asks, for a scrape). */
void metrics_publish(struct cpoold *d);
/* A job ended (done, failed, cancelled): its wait and response for /metrics. */
void metrics_job_ended(struct cpoold *d, const struct cpool_jobrec *r);

/* retention.c: [pool] retention, pruned in small batches on the loop's timer */
int retention_start(struct cpoold *d);
/* One batch; true when it was full (more to delete). */
bool retention_batch(struct cpoold *d);

/* unsaved.c: ended jobs whose end the store refused, kept and retried */
/* Takes @j (ended, off the job table, its waiters answered) until its end is stored. */
void unsaved_keep(struct cpoold *d, struct djob *j);
struct djob *unsaved_find(struct cpoold *d, int64_t id);
/* One try for each (the timer's work); returns how many are still not stored. */
int unsaved_retry(struct cpoold *d);
void unsaved_free(struct cpoold *d);

/* samples.c: per-VS samples, written to the store in batches */
/* Queue one; returns the duration of the batch write it caused (s), 0, or a negative errno. */
double samples_add(struct cpoold *d, const struct cpool_vs_sample *s);
double samples_flush(struct cpoold *d);
/* Writes what is left and frees the buffer. */
void samples_free(struct cpoold *d);

/* http.c: /metrics served from documents the loop publishes. */
int http_start(struct cpoold *d, const char *listen);
/* Takes @text and @om (malloc'd) for the next scrapes; NULL, NULL: nothing to show yet. */
void http_publish(struct cpoold *d, char *text, size_t text_len, char *om, size_t om_len);
void http_stop(struct cpoold *d);

/* limits.c: [limits] of pool.ini, for everyone but root */
/* 0, or why @uid may not submit @s now (-EPERM, -EDQUOT, -EAGAIN) in @error. */
int limits_check_submit(struct cpoold *d, uid_t uid, const struct cpool_submit_req *s,
			struct cpool_error *error);
/* True when starting @j would take its user past running_cpus_per_user: it stays queued. */
bool limits_refuse_start(struct cpoold *d, const struct djob *j);
void limits_free(struct cpoold *d);

/* jobctl.c: hold, dependencies, arrays, outputs and environment, why a job waits */
int jobctl_submit(struct cpoold *d, const struct cpool_submit_req *s, uid_t uid, gid_t gid,
		  json_t **result, struct cpool_error *e);
/* A job read back from the store after a restart: its hold, dependencies, array. */
void jobctl_loaded(struct cpoold *d, struct djob *j);
void jobctl_free(struct djob *j);
/* Expands the job's output patterns into @out and @errp (PATH_MAX) and adds CPOOL_* to @env. */
int jobctl_launch_prepare(struct cpoold *d, struct djob *j, const char *vs, const char *cpus,
			  char ***env, char *out, char *errp, size_t len, struct cpool_error *e);
/* A scheduling round: judge dependencies (cancelling the hopeless), count array elements. */
void jobctl_round_begin(struct cpoold *d);
/* May queued @j be shown to the policy this round?  No: held, dependency, array limit. */
bool jobctl_admit(struct cpoold *d, struct djob *j);
void jobctl_set_reason(struct djob *j, const char *reason);
/* Before the decisions are applied: why each queued job the policy passed over waits. */
void jobctl_round_end(struct cpoold *d, const struct cpool_snapshot *s,
		      const struct cpool_decision *dec, int n);
/* The simulator's expected start of the jobs the policy passes over; once per round, here. */
void jobctl_estimate(struct cpoold *d);
/* Scheduling rounds so far: what an estimate is of. */
uint64_t jobctl_round_epoch(void);
/*
 * True when the expected starts ps shows are of round @since or a later
 * one.  Else one is computed on a thread of its own, and
 * api_estimate_ready() is called once it is applied (ask again then).
 */
bool jobctl_estimate_ready(struct cpoold *d, uint64_t since);
/* Replays of the simulator so far. */
uint64_t jobctl_estimate_runs(void);
/* Waits for an estimate still running and forgets it (the daemon's tests). */
void jobctl_estimate_close(void);
void jobctl_json(const struct djob *j, json_t *o);
void jobctl_json_stored(struct cpoold *d, int64_t id, json_t *o);
struct cpool_jobctl_row;
/* The same from a row read with the job (cpool_store_job_foreach_ctl). */
void jobctl_json_row(const struct cpool_jobctl_row *row, json_t *o);
bool jobctl_selected(const struct djob *j, const struct cpool_job_select *sel);
typedef json_t *jobctl_single_fn(struct cpoold *d, struct cpool_client *c,
				 const struct cpool_peer *p, const struct cpool_request *req);
/* cancel, wait, hold, release, signal, array: ID, ID_N or a whole array; @single does one job. */
json_t *jobctl_handle(struct cpoold *d, struct cpool_client *c, const struct cpool_peer *p,
		      const struct cpool_request *req, jobctl_single_fn *single);
/* kill.c: cgroup.kill, or its fallback (freeze, SIGKILL, again once frozen) without a wait */
int kill_cgroup(struct cpoold *d, const char *rel, struct cpool_error *e);
/* Kills waiting for their second pass. */
int kill_pending(void);

/* vs_destroy.c: the wait for a destroyed VS to be empty, in the loop */
int vs_destroy_start(struct cpoold *d, struct vsrv *v, struct cpool_client *c, json_int_t req_id,
		     struct cpool_error *error);
void vs_destroy_forget_client(struct cpool_client *c);

/* walltime.c: time limits (the rule for frozen time is in its header comment) */
/* The time limit of submission @s: --time, else the VS's default; refused above max_time. */
int walltime_resolve(struct cpoold *d, const struct cpool_submit_req *s, double *time_limit,
		     struct cpool_error *error);
/* Started, resumed or adopted: a timer to its deadline (at once when past). */
void walltime_arm(struct cpoold *d, struct djob *j);
/* Preempted or ended: its clock stops. */
void walltime_disarm(struct djob *j);
/* At its end (rec.run_time final): whether it is accounted TIMEOUT. */
bool walltime_ended_late(const struct djob *j);
/* share.c: fair share (usage per uid, the factor of each queued job) */
void share_init(struct cpoold *d);
void share_set_half_life(struct cpoold *d, double seconds);
/* A job of @uid ran @cpu_ns (the collector's last interval, its leaf). */
void share_charge(struct cpoold *d, uid_t uid, uint64_t cpu_ns);
/* Stores the usage when it changed. */
void share_flush(struct cpoold *d);
/* The same, once its last store is 10 s old: what each metrics tick calls. */
void share_flush_due(struct cpoold *d);
void share_set_factors(struct cpoold *d, struct cpool_pjob *const *queued, size_t n);
/* The "share" reply: every known user's usage, share and factor. */
json_t *share_json(struct cpoold *d);
void share_free(struct cpoold *d);

/* reload.c: pool.ini applied to the live pool, all or nothing */
/*
 * 0 and *@result ({"config", "changes"}), or a negative errno and why in
 * @e (nothing changed when refused).  Logged either way.
 */
int reload_run(struct cpoold *d, json_t **result, struct cpool_error *e);
/* policy, placement, quantum of @c where the file changed them; half-life always. */
void reload_policy_settings(struct cpoold *d, const struct cpool_pool_config *c, json_t *changes);

/* run.c: cpool run's attached jobs (their stdio passed over the socket) */
/* Stands for the paths of an attached job in the store: a restart knows it. */
#define RUN_ATTACHED_PATH "(cpool run)"
json_t *run_submit(struct cpoold *d, struct cpool_client *c, const struct cpool_peer *p,
		   const struct cpool_request *req);
/* The connection @c closed: its attached job is cancelled. */
void run_client_closed(struct cpoold *d, struct cpool_client *c);
/* At launch: the descriptors into @spec; -ENXIO when an attached job lost them. */
struct cpool_launch_spec;
int run_launch_stdio(struct djob *j, struct cpool_launch_spec *spec, struct cpool_error *e);
/* Closes the daemon's copies (after the fork, or when the job goes). */
void run_release_stdio(struct djob *j);

/* api.c */
json_t *api_handle(struct cpool_client *c, const struct cpool_peer *peer,
		   const struct cpool_request *req, void *data);
void api_client_closed(struct cpool_client *c, void *data);
/* jobctl.c applied an estimate: the ps listings waiting for one go on. */
void api_estimate_ready(struct cpoold *d);

#endif /* CPOOLD_H */
