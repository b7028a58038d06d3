// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A job's origin and Slurm ids: stored and read back, and a database from
 * before those columns upgraded in place, its jobs read as cpoold's own.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/store.h"

static char dir[] = "/tmp/cpool-test-origin.XXXXXX";
static char path[256];
static struct cpool_error err;

static int first_cb(const struct cpool_jobrec *job, void *ctx)
{
	struct cpool_jobrec *out = ctx;

	if (out->id)
		return 0;
	*out = *job;
	out->name = strdup(job->name ?: "");
	return 0;
}

int main(void)
{
	struct cpool_jobrec slurm = { .name = (char *)"burn",
				      .argv_json = (char *)"[]",
				      .cpus = 2,
				      .state = CPOOL_JOB_STARTING,
				      .submit_time = 1000,
				      .origin = CPOOL_JOB_ORIGIN_SLURM,
				      .slurm_job = 77,
				      .slurm_step = 0xfffffffb };
	struct cpool_jobrec got = { 0 };
	struct cpool_job_filter all = { .uid = -1 };
	struct cpool_store *s;
	sqlite3 *db;

	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	snprintf(path, sizeof(path), "%s/old.db", dir);
	/* The jobs table as schema version 1 first made it, with one job. */
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(
		    db,
		    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
		    "INSERT INTO meta VALUES('schema_version', '1');"
		    "CREATE TABLE jobs(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT,"
		    " uid INTEGER NOT NULL, gid INTEGER NOT NULL, argv TEXT NOT NULL, env TEXT,"
		    " cwd TEXT, stdout TEXT, stderr TEXT, vs TEXT, cpus INTEGER NOT NULL,"
		    " mem INTEGER NOT NULL, estimate REAL NOT NULL, priority INTEGER NOT NULL,"
		    " state TEXT NOT NULL, submit_time REAL NOT NULL, first_start REAL,"
		    " start_time REAL, end_time REAL, run_time REAL NOT NULL DEFAULT 0,"
		    " pid INTEGER, cgroup TEXT, cpuset TEXT, exit_code INTEGER, signal INTEGER,"
		    " oom INTEGER NOT NULL DEFAULT 0, cpu_usec INTEGER, peak_mem INTEGER,"
		    " rq_lat_sum_ns INTEGER, rq_lat_count INTEGER, rq_lat_p99_ns INTEGER,"
		    " error TEXT);"
		    "INSERT INTO jobs(name, uid, gid, argv, cpus, mem, estimate, priority, state,"
		    " submit_time) VALUES('old', 1, 1, '[\"x\"]', 1, 0, 0, 0, 'done', 1);",
		    NULL, NULL, NULL) != SQLITE_OK)
		bail_out("make the old database: %s", sqlite3_errmsg(db));
	sqlite3_close(db);

	is_int(cpool_store_open(path, &s, &err), 0, "a version-1 database opens");
	cpool_store_job_foreach(s, &all, first_cb, &got);
	is_str(got.name, "old", "its job is there");
	is_int(got.origin, CPOOL_JOB_ORIGIN_CPOOL, "and reads as cpoold's own");
	ok(got.slurm_job == -1 && got.slurm_step == -1, "with no Slurm ids");
	ok(got.launch_time == 0 && got.launch_idle == 0, "and no launch time or idle");
	free(got.name);

	is_int(cpool_store_job_insert(s, &slurm), 0, "a Slurm job is stored");
	is_int(cpool_store_job_get(s, slurm.id, &got), 0, "and read back");
	is_int(got.origin, CPOOL_JOB_ORIGIN_SLURM, "origin slurm");
	is_int(got.slurm_job, 77, "its Slurm job id");
	is_int(got.slurm_step, 0xfffffffbLL, "its Slurm step id, the batch step's whole");
	cpool_jobrec_free(&got);
	cpool_store_close(s);

	is_int(cpool_store_open(path, &s, &err), 0, "opened again: nothing to add");
	cpool_store_close(s);
	is_str(cpool_job_origin_name(CPOOL_JOB_ORIGIN_SLURM), "slurm", "origin name");
	unlink(path);
	snprintf(path, sizeof(path), "%s/old.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/old.db-shm", dir);
	unlink(path);
	rmdir(dir);
	done_testing();
	return exit_status();
}
