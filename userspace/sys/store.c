// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* SQLite persistence for cpoold: see include/cpool/store.h. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpool/store.h"
#include "cpool/store_jobctl.h"
#include "store_internal.h"

#define SCHEMA_VERSION 1
/* unixepoch('subsec') needs SQLite 3.42; Debian 12 has 3.40. */
#define SQL_NOW "((julianday('now') - 2440587.5) * 86400.0)"

struct cpool_store {
	sqlite3 *db;
	sqlite3_stmt *job_insert, *job_update, *job_get;
	sqlite3_stmt *sample_insert; /* prepared at the first sample */
	sqlite3_stmt *jobctl_get; /* prepared at the first look-up (store_jobctl.c) */
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS vservers(name TEXT PRIMARY KEY, spec TEXT, cpus TEXT,"
	"  mems TEXT, updated REAL NOT NULL DEFAULT " SQL_NOW ");"
	"CREATE TABLE IF NOT EXISTS jobs("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, uid INTEGER NOT NULL,"
	"  gid INTEGER NOT NULL, argv TEXT NOT NULL, env TEXT, cwd TEXT, stdout TEXT,"
	"  stderr TEXT, vs TEXT, cpus INTEGER NOT NULL, mem INTEGER NOT NULL,"
	"  estimate REAL NOT NULL, priority INTEGER NOT NULL, state TEXT NOT NULL,"
	"  submit_time REAL NOT NULL, first_start REAL, start_time REAL, end_time REAL,"
	"  run_time REAL NOT NULL DEFAULT 0, pid INTEGER, cgroup TEXT, cpuset TEXT,"
	"  exit_code INTEGER, signal INTEGER, oom INTEGER NOT NULL DEFAULT 0,"
	"  cpu_usec INTEGER, peak_mem INTEGER, rq_lat_sum_ns INTEGER,"
	"  rq_lat_count INTEGER, rq_lat_p99_ns INTEGER, error TEXT);"
	"CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);"
	"CREATE INDEX IF NOT EXISTS jobs_submit ON jobs(submit_time);"
	"CREATE TABLE IF NOT EXISTS samples(time REAL NOT NULL, vs TEXT NOT NULL, rul REAL,"
	"  cpu_usec INTEGER, rq_p50_ns INTEGER, rq_p99_ns INTEGER, queued INTEGER,"
	"  running INTEGER, degraded INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS samples_time ON samples(vs, time);"
	/* For retention: the oldest rows found without a scan of the table. */
	"CREATE INDEX IF NOT EXISTS samples_by_time ON samples(time);"
	"CREATE INDEX IF NOT EXISTS jobs_end ON jobs(end_time);";

#define JOB_COLUMNS                                                                        \
	"id, name, uid, gid, argv, env, cwd, stdout, stderr, vs, cpus, mem, estimate,"     \
	" priority, state, submit_time, first_start, start_time, end_time, run_time, pid," \
	" cgroup, cpuset, exit_code, signal, oom, cpu_usec, peak_mem, rq_lat_sum_ns,"      \
	" rq_lat_count, rq_lat_p99_ns, error, time_limit, origin, slurm_job, slurm_step,"  \
	" launch_time, launch_idle, handover, first_round, start_round, start_report,"     \
	" preemptions, resume_turns, resume_turn_idle, resume_turn"
#define JOB_NCOLUMNS 46

static int sql_error(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	default:
		return -EIO;
	}
}

int store_sql_error(int rc)
{
	return sql_error(rc);
}

sqlite3 *store_db(struct cpool_store *store)
{
	return store->db;
}

sqlite3_stmt **store_jobctl_get_stmt(struct cpool_store *store)
{
	return &store->jobctl_get;
}

const char *cpool_store_errmsg(struct cpool_store *store)
{
	return sqlite3_errmsg(store->db);
}

static int exec(struct cpool_store *store, const char *sql)
{
	return sql_error(sqlite3_exec(store->db, sql, NULL, NULL, NULL));
}

/*
 * Columns added after the first release: an older database gets them with
 * their default, so no schema version change is needed.
 */
static int add_columns(struct cpool_store *store)
{
	static const char *const added[][2] = {
		/* cpool submit --time, seconds (0: none); fixed at submission */
		{ "time_limit", "REAL NOT NULL DEFAULT 0" },
		/* attach (Slurm's tasks): NULL origin is cpoold's own job, no Slurm ids */
		{ "origin", "TEXT" },
		{ "slurm_job", "INTEGER" },
		{ "slurm_step", "INTEGER" },
		/* from the first start to the exec, seconds; NULL: not exec'd (or older) */
		{ "launch_time", "REAL" },
		/* idle of its first turn when a freeze ended it, seconds; NULL: none */
		{ "launch_idle", "REAL" },
		/* end of the job before it to its first start, seconds; NULL: not so started */
		{ "handover", "REAL" },
		/* wall times of the round that first had it queued, and of its starting round */
		{ "first_round", "REAL" },
		{ "start_round", "REAL" },
		/* its exec to the daemon's read of the start report, seconds; NULL: not read */
		{ "start_report", "REAL" },
		/* times it was frozen for another job; 0 in an older database */
		{ "preemptions", "INTEGER NOT NULL DEFAULT 0" },
		/* its resumed turns ended by a freeze, and their idle seconds per CPU */
		{ "resume_turns", "INTEGER NOT NULL DEFAULT 0" },
		{ "resume_turn_idle", "REAL NOT NULL DEFAULT 0" },
		{ "resume_turn", "REAL NOT NULL DEFAULT 0" },
	};
	sqlite3_stmt *st = NULL;
	int r = 0;

	for (size_t i = 0; i < sizeof(added) / sizeof(added[0]) && !r; i++) {
		char sql[256];
		bool present;

		r = sql_error(sqlite3_prepare_v2(
			store->db, "SELECT 1 FROM pragma_table_info('jobs') WHERE name=?1", -1, &st,
			NULL));
		if (r)
			break;
		sqlite3_bind_text(st, 1, added[i][0], -1, SQLITE_STATIC);
		present = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (present)
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE jobs ADD COLUMN %s %s", added[i][0],
			 added[i][1]);
		r = exec(store, sql);
	}
	return r;
}

static int prepare_statements(struct cpool_store *store)
{
	int rc;

	rc = sqlite3_prepare_v2(
		store->db,
		"INSERT INTO jobs(name, uid, gid, argv, env, cwd, stdout, stderr, vs, cpus, mem,"
		" estimate, priority, state, submit_time, time_limit, origin, slurm_job, slurm_step)"
		" VALUES(:name, :uid, :gid, :argv, :env, :cwd, :stdout, :stderr, :vs, :cpus, :mem,"
		" :estimate, :priority, :state, :submit_time, :time_limit, :origin, :slurm_job,"
		" :slurm_step)",
		-1, &store->job_insert, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(
			store->db,
			"UPDATE jobs SET vs=:vs, state=:state, first_start=:first_start,"
			" start_time=:start_time, end_time=:end_time, run_time=:run_time, pid=:pid,"
			" cgroup=:cgroup, cpuset=:cpuset, exit_code=:exit_code, signal=:signal,"
			" oom=:oom, cpu_usec=:cpu_usec, peak_mem=:peak_mem,"
			" rq_lat_sum_ns=:rq_lat_sum_ns, rq_lat_count=:rq_lat_count,"
			" rq_lat_p99_ns=:rq_lat_p99_ns, error=:error, launch_time=:launch_time,"
			" launch_idle=:launch_idle, handover=:handover, first_round=:first_round,"
			" start_round=:start_round, start_report=:start_report,"
			" preemptions=:preemptions, resume_turns=:resume_turns,"
			" resume_turn_idle=:resume_turn_idle, resume_turn=:resume_turn"
			" WHERE id=:id",
			-1, &store->job_update, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(store->db, "SELECT " JOB_COLUMNS " FROM jobs WHERE id=:id",
					-1, &store->job_get, NULL);
	return sql_error(rc);
}

/*
 * PRAGMA journal_mode answers the mode it ended in: a file system without
 * the shared memory WAL needs, or a database another process holds in
 * another mode, leaves it at "delete" without an error.  The durability
 * this file promises is WAL's, so anything else refuses to start.
 */
static int set_wal(struct cpool_store *store, const char *path, struct cpool_error *e)
{
	const unsigned char *mode;
	sqlite3_stmt *st;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(store->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		return cpool_error_set(e, sql_error(rc), "set WAL on %s: %s", path,
				       sqlite3_errmsg(store->db));
	}
	rc = sqlite3_step(st);
	mode = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	if (rc != SQLITE_ROW) {
		r = cpool_error_set(e, sql_error(rc) ?: -EIO, "set WAL on %s: %s", path,
				    sqlite3_errmsg(store->db));
	} else if (!mode || strcmp((const char *)mode, "wal") != 0) {
		r = cpool_error_set(e, -EOPNOTSUPP,
				    "%s: journal_mode is %s, not wal (does its file system support "
				    "the shared memory of SQLite's WAL?)",
				    path, mode ? (const char *)mode : "unknown");
	}
	sqlite3_finalize(st);
	return r;
}

/*
 * The database and its -wal and -shm are the daemon's alone (0600 at most,
 * whatever the umask or an older cpoold left), and never a symlink: SQLite
 * would follow one.  SQLite gives -wal and -shm the database's mode when it
 * creates them; existing ones are tightened too.
 */
static int own_file(const char *path, bool create, struct cpool_error *e)
{
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | (create ? O_CREAT : 0),
		      0600);
	struct stat st;

	if (fd < 0 && !create && errno == ENOENT)
		return 0;
	if (fd < 0) {
		int r = -errno;

		return cpool_error_set(e, r, "open %s: %s", path,
				       r == -ELOOP ? "a symlink; refusing to follow it" :
						     strerror(-r));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cpool_error_set(e, -EINVAL, "%s: not a regular file", path);
	}
	if ((st.st_mode & 077) && fchmod(fd, st.st_mode & 0700) < 0) {
		int r = -errno;

		close(fd);
		return cpool_error_set(e, r, "chmod %s to 0600: %s", path, strerror(-r));
	}
	close(fd);
	return 0;
}

int cpool_store_open(const char *path, struct cpool_store **out, struct cpool_error *e)
{
	struct cpool_store *store = calloc(1, sizeof(*store));
	char *version = NULL, side[4200];
	int rc, r;

	if (!store)
		return -ENOMEM;
	if ((r = own_file(path, true, e)))
		goto fail;
	for (int i = 0; i < 2; i++) {
		snprintf(side, sizeof(side), "%s%s", path, i ? "-shm" : "-wal");
		if ((r = own_file(side, false, e)))
			goto fail;
	}
	rc = sqlite3_open_v2(path, &store->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		r = sql_error(rc);
		cpool_error_set(e, r, "open %s: %s", path,
				store->db ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(store->db, 5000);
	/*
	 * WAL + synchronous=NORMAL survives a crash of the daemon (kill -9):
	 * committed transactions are in the WAL file, which the OS keeps.  Only
	 * a power loss can lose the last transactions, never corrupt the file.
	 */
	if ((r = set_wal(store, path, e)))
		goto fail;
	if ((r = exec(store, "PRAGMA synchronous=NORMAL;")) || (r = exec(store, schema)) ||
	    (r = add_columns(store)) || (r = store_jobctl_schema(store->db))) {
		cpool_error_set(e, r, "initialise %s: %s", path, sqlite3_errmsg(store->db));
		goto fail;
	}
	version = cpool_store_setting_get(store, "schema_version");
	if (!version) {
		char v[16];

		snprintf(v, sizeof(v), "%d", SCHEMA_VERSION);
		r = cpool_store_setting_put(store, "schema_version", v);
		if (r) {
			cpool_error_set(e, r, "initialise %s: %s", path, sqlite3_errmsg(store->db));
			goto fail;
		}
	} else if (atoi(version) != SCHEMA_VERSION) {
		r = cpool_error_set(e, -EPROTO, "%s: schema version %s, this cpoold knows %d", path,
				    version, SCHEMA_VERSION);
		goto fail;
	}
	r = prepare_statements(store);
	if (r) {
		cpool_error_set(e, r, "prepare statements on %s: %s", path,
				sqlite3_errmsg(store->db));
		goto fail;
	}
	free(version);
	*out = store;
	return 0;
fail:
	free(version);
	cpool_store_close(store);
	return r;
}

void cpool_store_close(struct cpool_store *store)
{
	if (!store)
		return;
	sqlite3_finalize(store->job_insert);
	sqlite3_finalize(store->job_update);
	sqlite3_finalize(store->job_get);
	sqlite3_finalize(store->sample_insert);
	sqlite3_finalize(store->jobctl_get);
	sqlite3_close(store->db);
	free(store);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* Named parameters: a column added to a statement cannot shift the others. */
static int param(sqlite3_stmt *st, const char *name)
{
	return sqlite3_bind_parameter_index(st, name);
}

void store_set_text(sqlite3_stmt *st, const char *name, const char *s)
{
	bind_text(st, param(st, name), s);
}

void store_set_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	sqlite3_bind_int64(st, param(st, name), v);
}

static void set_double(sqlite3_stmt *st, const char *name, double v)
{
	sqlite3_bind_double(st, param(st, name), v);
}

/* 0 means "not yet" for times: stored as NULL so queries can tell. */
static void set_time(sqlite3_stmt *st, const char *name, double t)
{
	if (t > 0)
		set_double(st, name, t);
	else
		sqlite3_bind_null(st, param(st, name));
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : sql_error(rc);
}

int cpool_store_job_insert(struct cpool_store *store, struct cpool_jobrec *job)
{
	sqlite3_stmt *st = store->job_insert;
	int r;

	store_set_text(st, ":name", job->name);
	store_set_int(st, ":uid", job->uid);
	store_set_int(st, ":gid", job->gid);
	store_set_text(st, ":argv", job->argv_json);
	store_set_text(st, ":env", job->env_json);
	store_set_text(st, ":cwd", job->cwd);
	store_set_text(st, ":stdout", job->stdout_path);
	store_set_text(st, ":stderr", job->stderr_path);
	store_set_text(st, ":vs", job->vs);
	store_set_int(st, ":cpus", job->cpus);
	store_set_int(st, ":mem", (int64_t)job->mem);
	set_double(st, ":estimate", job->estimate);
	store_set_int(st, ":priority", job->priority);
	store_set_text(st, ":state", cpool_job_state_name(job->state));
	set_double(st, ":submit_time", job->submit_time);
	set_double(st, ":time_limit", job->time_limit);
	/* NULL for cpoold's own jobs: the rows of a database from before the column. */
	if (job->origin == CPOOL_JOB_ORIGIN_SLURM) {
		store_set_text(st, ":origin", cpool_job_origin_name(job->origin));
		if (job->slurm_job >= 0)
			store_set_int(st, ":slurm_job", job->slurm_job);
		if (job->slurm_step >= 0)
			store_set_int(st, ":slurm_step", job->slurm_step);
	}
	r = step_done(st);
	if (!r)
		job->id = sqlite3_last_insert_rowid(store->db);
	return r;
}

int cpool_store_job_update(struct cpool_store *store, const struct cpool_jobrec *job)
{
	sqlite3_stmt *st = store->job_update;
	bool ended = cpool_job_state_ended(job->state);
	int r;

	store_set_text(st, ":vs", job->vs);
	store_set_text(st, ":state", cpool_job_state_name(job->state));
	set_time(st, ":first_start", job->first_start);
	set_time(st, ":start_time", job->start_time);
	set_time(st, ":end_time", job->end_time);
	set_double(st, ":run_time", job->run_time);
	set_time(st, ":launch_time", job->launch_time);
	set_time(st, ":launch_idle", job->launch_idle);
	set_time(st, ":handover", job->handover);
	set_time(st, ":first_round", job->first_round);
	set_time(st, ":start_round", job->start_round);
	set_time(st, ":start_report", job->start_report);
	store_set_int(st, ":preemptions", job->preemptions);
	store_set_int(st, ":resume_turns", job->resume_turns);
	set_double(st, ":resume_turn_idle", job->resume_turn_idle);
	set_double(st, ":resume_turn", job->resume_turn);
	if (job->pid > 0)
		store_set_int(st, ":pid", job->pid);
	store_set_text(st, ":cgroup", job->cgroup);
	store_set_text(st, ":cpuset", job->cpuset);
	/* Exit accounting only exists once the job has ended: NULL before. */
	if (ended) {
		store_set_int(st, ":exit_code", job->exit_code);
		store_set_int(st, ":signal", job->signal);
		store_set_int(st, ":cpu_usec", (int64_t)job->cpu_usec);
		store_set_int(st, ":peak_mem", (int64_t)job->peak_mem);
		store_set_int(st, ":rq_lat_sum_ns", (int64_t)job->rq_lat_sum_ns);
		store_set_int(st, ":rq_lat_count", (int64_t)job->rq_lat_count);
		store_set_int(st, ":rq_lat_p99_ns", (int64_t)job->rq_lat_p99_ns);
	}
	store_set_int(st, ":oom", job->oom);
	store_set_text(st, ":error", job->error);
	store_set_int(st, ":id", job->id);
	r = step_done(st);
	if (!r && sqlite3_changes(store->db) == 0)
		r = -ENOENT;
	return r;
}

static char *dup_col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? strdup((const char *)s) : NULL;
}

static void read_job(sqlite3_stmt *st, struct cpool_jobrec *job)
{
	const unsigned char *state;

	memset(job, 0, sizeof(*job));
	job->id = sqlite3_column_int64(st, 0);
	job->name = dup_col(st, 1);
	job->uid = (uid_t)sqlite3_column_int64(st, 2);
	job->gid = (gid_t)sqlite3_column_int64(st, 3);
	job->argv_json = dup_col(st, 4);
	job->env_json = dup_col(st, 5);
	job->cwd = dup_col(st, 6);
	job->stdout_path = dup_col(st, 7);
	job->stderr_path = dup_col(st, 8);
	job->vs = dup_col(st, 9);
	job->cpus = sqlite3_column_int(st, 10);
	job->mem = (uint64_t)sqlite3_column_int64(st, 11);
	job->estimate = sqlite3_column_double(st, 12);
	job->priority = sqlite3_column_int(st, 13);
	state = sqlite3_column_text(st, 14);
	if (!state || cpool_job_state_parse((const char *)state, &job->state))
		job->state = CPOOL_JOB_FAILED;
	job->submit_time = sqlite3_column_double(st, 15);
	job->first_start = sqlite3_column_double(st, 16);
	job->start_time = sqlite3_column_double(st, 17);
	job->end_time = sqlite3_column_double(st, 18);
	job->run_time = sqlite3_column_double(st, 19);
	job->pid = sqlite3_column_int(st, 20);
	job->cgroup = dup_col(st, 21);
	job->cpuset = dup_col(st, 22);
	job->exit_code = sqlite3_column_int(st, 23);
	job->signal = sqlite3_column_int(st, 24);
	job->oom = sqlite3_column_int(st, 25);
	job->cpu_usec = (uint64_t)sqlite3_column_int64(st, 26);
	job->peak_mem = (uint64_t)sqlite3_column_int64(st, 27);
	job->rq_lat_sum_ns = (uint64_t)sqlite3_column_int64(st, 28);
	job->rq_lat_count = (uint64_t)sqlite3_column_int64(st, 29);
	job->rq_lat_p99_ns = (uint64_t)sqlite3_column_int64(st, 30);
	job->error = dup_col(st, 31);
	job->time_limit = sqlite3_column_double(st, 32);
	state = sqlite3_column_text(st, 33);
	if (!state || cpool_job_origin_parse((const char *)state, &job->origin))
		job->origin = CPOOL_JOB_ORIGIN_CPOOL;
	job->slurm_job =
		sqlite3_column_type(st, 34) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 34);
	job->slurm_step =
		sqlite3_column_type(st, 35) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 35);
	job->launch_time = sqlite3_column_double(st, 36);
	job->launch_idle = sqlite3_column_double(st, 37);
	job->handover = sqlite3_column_double(st, 38);
	job->first_round = sqlite3_column_double(st, 39);
	job->start_round = sqlite3_column_double(st, 40);
	job->start_report = sqlite3_column_double(st, 41);
	job->preemptions = (unsigned)sqlite3_column_int64(st, 42);
	job->resume_turns = (unsigned)sqlite3_column_int64(st, 43);
	job->resume_turn_idle = sqlite3_column_double(st, 44);
	job->resume_turn = sqlite3_column_double(st, 45);
}

int cpool_store_job_get(struct cpool_store *store, int64_t id, struct cpool_jobrec *job)
{
	sqlite3_stmt *st = store->job_get;
	int rc, r = 0;

	store_set_int(st, ":id", id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_job(st, job);
	else
		r = rc == SQLITE_DONE ? -ENOENT : sql_error(rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

void cpool_jobrec_free(struct cpool_jobrec *job)
{
	free(job->name);
	free(job->argv_json);
	free(job->env_json);
	free(job->cwd);
	free(job->stdout_path);
	free(job->stderr_path);
	free(job->vs);
	free(job->cgroup);
	free(job->cpuset);
	free(job->error);
	memset(job, 0, sizeof(*job));
}

/* The job-control filters (until, state, vs, name, an array or one element of it). */
#define JOB_SELECT_CLAUSE                                                                   \
	" AND (:until <= 0 OR submit_time < :until) AND (:state IS NULL OR state = :state)" \
	" AND (:vs IS NULL OR vs = :vs) AND (:name IS NULL OR name = :name)"                \
	" AND (:job = 0 OR (:task < 0 AND id = :job) OR id IN (SELECT id FROM job_ctl"      \
	" WHERE array_id = :job AND (:task < 0 OR array_task = :task)))"

/*
 * The jobs of @f in id order.  With @ctl, each with its job-control row,
 * joined here: one look-up a job (history's pages) was as costly as the
 * row itself.
 */
static int job_foreach(struct cpool_store *store, const struct cpool_job_filter *f, bool ctl,
		       int (*fn)(const struct cpool_jobrec *job, void *ctx),
		       int (*fn_ctl)(const struct cpool_jobrec *job,
				     const struct cpool_jobctl_row *row, void *ctx),
		       void *ctx)
{
	const char *state_clause = "";
	char sql[1280];
	sqlite3_stmt *st;
	int rc, r = 0;

	if (f->active_only)
		state_clause = " AND state IN ('queued','starting','running','frozen')";
	else if (f->finished_only)
		/*
		 * "+state": not through jobs_state, which made SQLite sort every
		 * ended row for each history page (TEMP B-TREE FOR ORDER BY) in
		 * place of walking ids from the cursor and stopping at the page.
		 */
		state_clause = " AND +state IN ('done','failed','cancelled','timeout')";
	snprintf(sql, sizeof(sql),
		 "SELECT " JOB_COLUMNS "%s FROM jobs%s WHERE submit_time >= :since"
		 " AND (:uid < 0 OR uid = :uid) AND id > :after%s%s" JOB_SELECT_CLAUSE
		 " ORDER BY id LIMIT :limit",
		 ctl ? ", c.after, c.array_id, c.array_task, c.reason" : "",
		 ctl ? " LEFT JOIN job_ctl AS c USING(id)" : "",
		 /* In the text, not "(:upto <= 0 OR ...)": a range the walk stops at. */
		 f->upto_id > 0 ? " AND id <= :upto" : "", state_clause);
	rc = sqlite3_prepare_v2(store->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sql_error(rc);
	set_double(st, ":since", f->since);
	store_set_int(st, ":uid", f->uid);
	store_set_int(st, ":after", f->after_id);
	if (f->upto_id > 0)
		store_set_int(st, ":upto", f->upto_id);
	store_set_int(st, ":limit", f->limit > 0 ? f->limit : -1);
	set_double(st, ":until", f->until);
	store_set_text(st, ":state", f->state);
	store_set_text(st, ":vs", f->vs);
	store_set_text(st, ":name", f->name);
	store_set_int(st, ":job", f->job);
	store_set_int(st, ":task", f->task);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cpool_jobrec job;

		read_job(st, &job);
		if (ctl) {
			struct cpool_jobctl_row row = {
				.id = job.id,
				.after = dup_col(st, JOB_NCOLUMNS),
				.array_id = sqlite3_column_int64(st, JOB_NCOLUMNS + 1),
				.array_task =
					sqlite3_column_type(st, JOB_NCOLUMNS + 2) == SQLITE_NULL ?
						-1 :
						sqlite3_column_int64(st, JOB_NCOLUMNS + 2),
				.reason = dup_col(st, JOB_NCOLUMNS + 3),
			};

			r = fn_ctl(&job, &row, ctx);
			cpool_jobctl_row_free(&row);
		} else {
			r = fn(&job, ctx);
		}
		cpool_jobrec_free(&job);
		if (r)
			break;
	}
	if (!r && rc != SQLITE_DONE)
		r = sql_error(rc);
	sqlite3_finalize(st);
	return r;
}

int cpool_store_job_foreach(struct cpool_store *store, const struct cpool_job_filter *f,
			    int (*fn)(const struct cpool_jobrec *job, void *ctx), void *ctx)
{
	return job_foreach(store, f, false, fn, NULL, ctx);
}

int cpool_store_job_foreach_ctl(struct cpool_store *store, const struct cpool_job_filter *f,
				int (*fn)(const struct cpool_jobrec *job,
					  const struct cpool_jobctl_row *row, void *ctx),
				void *ctx)
{
	return job_foreach(store, f, true, NULL, fn, ctx);
}

int cpool_store_job_id_ahead(struct cpool_store *store, int64_t after_id, int n, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	rc = sqlite3_prepare_v2(store->db,
				"SELECT id FROM jobs WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?", -1,
				&st, NULL);
	if (rc != SQLITE_OK)
		return sql_error(rc);
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int(st, 2, n > 0 ? n - 1 : 0);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_error(rc);
}

static int exec_bound(struct cpool_store *store, const char *sql, int n, const char *const *texts)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(store->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sql_error(rc);
	for (int i = 0; i < n; i++)
		bind_text(st, i + 1, texts[i]);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_error(rc);
}

int cpool_store_vs_put(struct cpool_store *store, const char *name, const char *spec_json,
		       const char *cpus, const char *mems)
{
	const char *v[] = { name, spec_json, cpus, mems };

	return exec_bound(store,
			  "INSERT INTO vservers(name, spec, cpus, mems) VALUES(?,?,?,?)"
			  " ON CONFLICT(name) DO UPDATE SET spec=excluded.spec, cpus=excluded.cpus,"
			  " mems=excluded.mems, updated=" SQL_NOW,
			  4, v);
}

int cpool_store_vs_delete(struct cpool_store *store, const char *name)
{
	const char *v[] = { name };
	int r = exec_bound(store, "DELETE FROM vservers WHERE name=?", 1, v);

	if (!r && sqlite3_changes(store->db) == 0)
		r = -ENOENT;
	return r;
}

static int bind_sample(sqlite3_stmt *st, const struct cpool_vs_sample *s)
{
	int rc;

	set_double(st, ":time", s->time);
	store_set_text(st, ":vs", s->vs);
	set_double(st, ":rul", s->rul);
	store_set_int(st, ":cpu_usec", (int64_t)s->cpu_usec);
	store_set_int(st, ":rq_p50_ns", (int64_t)s->rq_p50_ns);
	store_set_int(st, ":rq_p99_ns", (int64_t)s->rq_p99_ns);
	store_set_int(st, ":queued", s->queued);
	store_set_int(st, ":running", s->running);
	store_set_int(st, ":degraded", s->degraded);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : sql_error(rc);
}

#define SAMPLE_INSERT                                                                         \
	"INSERT INTO samples(time, vs, rul, cpu_usec, rq_p50_ns, rq_p99_ns, queued, running," \
	" degraded) VALUES(:time, :vs, :rul, :cpu_usec, :rq_p50_ns, :rq_p99_ns, :queued,"     \
	" :running, :degraded)"

int cpool_store_samples_insert(struct cpool_store *store, const struct cpool_vs_sample *s, size_t n)
{
	int r = 0;

	if (!store->sample_insert &&
	    (r = sql_error(sqlite3_prepare_v2(store->db, SAMPLE_INSERT, -1, &store->sample_insert,
					      NULL))))
		return r;
	/* One transaction: one WAL commit for the lot, not one per row. */
	if (n > 1 && (r = exec(store, "BEGIN IMMEDIATE")))
		return r;
	for (size_t i = 0; i < n && !r; i++)
		r = bind_sample(store->sample_insert, &s[i]);
	if (n > 1) {
		if (r)
			exec(store, "ROLLBACK");
		else
			r = exec(store, "COMMIT");
	}
	return r;
}

int cpool_store_setting_put(struct cpool_store *store, const char *key, const char *value)
{
	const char *v[] = { key, value };

	return exec_bound(store,
			  "INSERT INTO meta(key, value) VALUES(?,?)"
			  " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
			  2, v);
}

char *cpool_store_setting_get(struct cpool_store *store, const char *key)
{
	sqlite3_stmt *st;
	char *value = NULL;

	if (sqlite3_prepare_v2(store->db, "SELECT value FROM meta WHERE key=?", -1, &st, NULL))
		return NULL;
	bind_text(st, 1, key);
	if (sqlite3_step(st) == SQLITE_ROW)
		value = dup_col(st, 0);
	sqlite3_finalize(st);
	return value;
}

int cpool_store_refuse_writes(struct cpool_store *store, bool refuse)
{
	return exec(store, refuse ? "PRAGMA query_only=1" : "PRAGMA query_only=0");
}

static int prune(struct cpool_store *store, const char *sql, double before, int batch)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(store->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sql_error(rc);
	sqlite3_bind_double(st, 1, before);
	sqlite3_bind_int(st, 2, batch);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_error(rc);
	return sqlite3_changes(store->db);
}

int cpool_store_prune_samples(struct cpool_store *store, double before, int batch)
{
	return prune(store,
		     "DELETE FROM samples WHERE rowid IN"
		     " (SELECT rowid FROM samples WHERE time < ?1 ORDER BY time LIMIT ?2)",
		     before, batch);
}

int cpool_store_prune_jobs(struct cpool_store *store, double before, int batch)
{
	/* Not by the names of the end states: an active job is never pruned, whatever ends exist. */
	return prune(store,
		     "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE end_time < ?1 AND"
		     " state NOT IN ('queued','starting','running','frozen')"
		     " ORDER BY end_time LIMIT ?2)",
		     before, batch);
}
