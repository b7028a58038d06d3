// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool bench end to end: a trace built so that SJF must beat FCFS on mean
 * wait, replayed through a live cpoold on one CPU under both policies, and
 * under rr, which preempts.
 *
 * On a 1-CPU VS a long job starts first; while it runs a medium job
 * arrives, then three short ones.  FCFS runs the medium one next, SJF the
 * short ones: the short jobs' waits shrink by more than the medium one's
 * grows.  The measured mean wait must follow.  Under every policy the
 * calibrated prediction (the simulator told what the run measured, rr's
 * switches included) must be within 10 % of the measurement, and so must
 * its RUL under fcfs and sjf: the kernel's count of the jobs' CPU time
 * against the daemon's record of when they ran.
 */
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <sys/wait.h>

#include "cpool/apiclient.h"
#include "lab_cpoold.h"

static char dir[] = "/tmp/cpool-bench-lab.XXXXXX";
static char sock[256], ini[256], trace[256], out[256], logpath[256];
static const char *root;
static pid_t daemon_pid;

static void start_daemon(void)
{
	daemon_pid = lab_start_cpoold(dir, ini, root, "0600", false);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		bail_out("writing %s: %s", path, strerror(errno));
}

static json_t *run_by_policy(json_t *results, const char *policy)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(results, "runs"), i, r)
		if (strcmp(json_string_value(json_object_get(r, "policy")) ?: "", policy) == 0)
			return r;
	return NULL;
}

static double side(json_t *run, const char *which, const char *key)
{
	return json_number_value(json_object_get(json_object_get(run, which), key));
}

/* Measured start of job @id in @run; -1 when absent. */
static double measured_start(json_t *run, const char *id)
{
	size_t i;
	json_t *j;

	json_array_foreach(json_object_get(run, "jobs"), i, j)
		if (strcmp(json_string_value(json_object_get(j, "id")) ?: "", id) == 0) {
			json_t *m = json_object_get(j, "measured");

			return json_is_object(m) && json_object_get(m, "start") ?
				       json_number_value(json_object_get(m, "start")) :
				       -1;
		}
	return -1;
}

/*
 * Jobs the daemon says it started in the round right after an end on
 * their VS (the record's handover): with the four later jobs queued while
 * the long one runs, each start under a policy that never preempts.
 */
static int handovers(json_t *run)
{
	int n = 0;
	size_t i;
	json_t *j;

	/* Not the long one: it may follow the previous run's last job in the same way. */
	json_array_foreach(json_object_get(run, "jobs"), i, j)
		n += strcmp(json_string_value(json_object_get(j, "id")) ?: "", "long") != 0 &&
		     side(j, "measured", "handover") > 0;
	return n;
}

/*
 * Jobs whose record has the daemon's rounds in order: submitted, then
 * first queued in a round, then started by one, then running.
 */
static int rounds_in_order(json_t *run)
{
	int n = 0;
	size_t i;
	json_t *j;

	json_array_foreach(json_object_get(run, "jobs"), i, j) {
		double sub = side(j, "measured", "submit"),
		       first = side(j, "measured", "first_round"),
		       round = side(j, "measured", "start_round"),
		       start = side(j, "measured", "start");

		n += first > 0 && sub <= first && first <= round && round <= start;
	}
	return n;
}

/* Where the time went, when RUL is off: each job's measured life. */
static void dump_jobs(json_t *run)
{
	size_t i;
	json_t *j;

	json_array_foreach(json_object_get(run, "jobs"), i, j)
		diag("%-7s runtime %.2f  submit %.3f start %.3f end %.3f run_time %.3f cpu_time %.3f",
		     json_string_value(json_object_get(j, "id")),
		     json_number_value(json_object_get(j, "runtime")),
		     side(j, "measured", "submit"), side(j, "measured", "start"),
		     side(j, "measured", "end"), side(j, "measured", "run_time"),
		     side(j, "measured", "cpu_time"));
}

/*
 * Each job's own count of preemptions, from its daemon record, and their
 * sum; -1 when a job has none (a daemon that does not count them).
 */
static double sum_preemptions(json_t *run)
{
	double sum = 0;
	size_t i;
	json_t *j;

	json_array_foreach(json_object_get(run, "jobs"), i, j) {
		json_t *p = json_object_get(json_object_get(j, "measured"), "preemptions");

		if (!json_is_integer(p))
			return -1;
		sum += (double)json_integer_value(p);
	}
	return sum;
}

/* Every job's recorded CPU time is its work: the burner counts its own CPU clock. */
static void check_burn(json_t *run, const char *policy)
{
	int exact = 0, n = 0;
	size_t i;
	json_t *j;

	json_array_foreach(json_object_get(run, "jobs"), i, j) {
		double want = json_number_value(json_object_get(j, "runtime")) *
			      (double)json_integer_value(json_object_get(j, "cpus"));
		double got = side(j, "measured", "cpu_time");

		n++;
		/*
		 * Never less than the work (a job must not end early); above it by
		 * the exec and start-up of the cpool binary, which under TCG can
		 * take most of a second of system time.
		 */
		if (got >= want * 0.98 && got <= want * 1.1 + 1.0)
			exact++;
		else
			diag("%s job %s: cpu_time %.3f s for %.3f s of work", policy,
			     json_string_value(json_object_get(j, "id")), got, want);
	}
	is_int(exact, n, "every burner did its CPU-seconds of work, no more");
}

int main(void)
{
	char cmd[2048], path[512], log[16384];
	struct cpool_cg_pool pool;
	struct cpool_error e;
	json_error_t jerr;
	json_t *res, *fcfs, *sjf, *rr;
	int status;

	lab_require();
	root = lab_pool_root("bench");
	if (!mkdtemp(dir))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	snprintf(ini, sizeof(ini), "%s/pool.ini", dir);
	snprintf(trace, sizeof(trace), "%s/trace.csv", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(logpath, sizeof(logpath), "%s/cpoold.log", dir);
	write_file(ini, "[pool]\nname = benchlab\n\n[vserver one]\ncpus = 1\n");
	/* Seconds before --time-scale 2: work 4.4 s, 8.8 s live per policy. */
	write_file(trace, "id,submit,runtime,cpus,mem,priority,estimate\n"
			  "long,0,2.0,1,0,0,2.0\n"
			  "medium,0.1,1.5,1,0,0,1.5\n"
			  "short1,0.2,0.3,1,0,0,0.3\n"
			  "short2,0.3,0.3,1,0,0,0.3\n"
			  "short3,0.4,0.3,1,0,0,0.3\n");
	start_daemon();

	/*
	 * The burners are this binary (/proc/self/exe): run it and its
	 * libraries from tmpfs (bench passes LD_LIBRARY_PATH on), since the
	 * lab's checkout is 9p without a page cache, so every exec would read
	 * the binary from the host again, and every open of a library over 9p
	 * is a round trip to the host: under host load that left short burners
	 * off the CPU for half a second inside the measured jobs, and RUL
	 * below the prediction.
	 */
	snprintf(
		cmd, sizeof(cmd),
		"cp '%s/cpool' '%s/cpool' && mkdir '%s/lib' && "
		"ldd '%s/cpool' | awk '$2 == \"=>\" && $3 ~ /^\\// { print $3 }' | "
		"xargs -r cp -t '%s/lib' && LD_LIBRARY_PATH='%s/lib' '%s/cpool' bench --socket '%s' "
		"--trace '%s' --policies fcfs,sjf,rr --time-scale 2 --out '%s' > '%s/bench.out' 2>&1",
		getenv("CPOOL_BUILD") ?: "build", dir, dir, dir, dir, dir, dir, sock, trace, out,
		dir);
	status = system(cmd);
	snprintf(path, sizeof(path), "%s/bench.out", dir);
	diag("%s", lab_slurp(path, log, sizeof(log)));
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "cpool bench runs fcfs, sjf and rr (status %d)",
	   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	ok(strstr(log, "mean wait") && strstr(log, "A PRIORI") && strstr(log, "CALIBRATED") &&
		   strstr(log, "MEASURED"),
	   "and prints the a-priori, calibrated and measured table");

	snprintf(path, sizeof(path), "%s/results.json", out);
	res = json_load_file(path, 0, &jerr);
	ok(res != NULL, "results.json is JSON (%s)", res ? "ok" : jerr.text);
	fcfs = run_by_policy(res, "fcfs");
	sjf = run_by_policy(res, "sjf");
	rr = run_by_policy(res, "rr");
	ok(fcfs && sjf && rr, "the three runs are in the report");
	if (fcfs && sjf && rr) {
		double fw = side(fcfs, "measured", "mean_wait"),
		       sw = side(sjf, "measured", "mean_wait");

		is_int(json_integer_value(
			       json_object_get(json_object_get(fcfs, "measured"), "jobs")),
		       5, "fcfs: all five jobs measured");
		is_int(json_integer_value(
			       json_object_get(json_object_get(sjf, "measured"), "jobs")),
		       5, "sjf: all five jobs measured");
		ok(side(sjf, "predicted", "mean_wait") < side(fcfs, "predicted", "mean_wait"),
		   "the simulator predicts SJF's mean wait below FCFS's (%.3f < %.3f s)",
		   side(sjf, "predicted", "mean_wait"), side(fcfs, "predicted", "mean_wait"));
		ok(sw < fw, "measured: SJF's mean wait is below FCFS's (%.3f < %.3f s)", sw, fw);
		ok(measured_start(fcfs, "medium") < measured_start(fcfs, "short1"),
		   "fcfs ran the medium job before the short ones");
		ok(measured_start(sjf, "short3") < measured_start(sjf, "medium"),
		   "sjf ran the short jobs before the medium one");
		is_int(json_integer_value(json_object_get(json_object_get(rr, "measured"), "jobs")),
		       5, "rr: all five jobs measured");
		ok(side(json_object_get(rr, "calibrated"), "switches", "preemptions") > 0 &&
			   side(json_object_get(rr, "calibrated"), "switches", "thaws") > 0,
		   "rr: the daemon measured its switches (%.0f preemptions, %.0f thaws)",
		   side(json_object_get(rr, "calibrated"), "switches", "preemptions"),
		   side(json_object_get(rr, "calibrated"), "switches", "thaws"));
		/* The per-job counts the report compares with the simulation's are the daemon's. */
		is_double(sum_preemptions(rr),
			  side(json_object_get(rr, "calibrated"), "switches", "preemptions"), 0,
			  "rr: the jobs' own preemptions add up to the daemon's count");
		is_double(sum_preemptions(fcfs), 0, 0, "fcfs: no job was preempted");
		{
			/*
			 * The freeze the calibration models is the daemon's own:
			 * a preempted job holds its CPUs for the mean late round
			 * and freeze of this run, and works at most that long.
			 */
			json_t *cal = json_object_get(rr, "calibrated");
			double want = side(cal, "switches", "late") /
					      side(cal, "switches", "preemptions") +
				      side(cal, "switches", "freeze_wait") /
					      side(cal, "switches", "freezes");
			double got = json_number_value(json_object_get(cal, "freeze"));
			double ran = json_number_value(json_object_get(cal, "freeze_ran"));

			ok(got > 0 && fabs(got - want) < 1e-6 && ran > 0 && ran <= got,
			   "rr: a preempted job holds its CPUs for the daemon's late round and "
			   "freeze, %.3f s (%.3f), working %.3f s of it",
			   got, want, ran);
		}
		for (int k = 0; k < 3; k++) {
			static const char *const name[] = { "fcfs", "sjf", "rr" };
			json_t *run = k == 2 ? rr : k ? sjf : fcfs;

			/*
			 * RUL against the calibrated prediction, not the a-priori
			 * one: a priori the CPU never idles (1.000), but it does
			 * while the daemon launches each job, up to its exec, and
			 * under TCG a loaded host stretches that work in wall time
			 * (0.07 s a launch unloaded, 0.08-0.38 s loaded) while a
			 * burner's seconds, counted on its own CPU clock, do not
			 * stretch: measured RUL fell to 0.87 on a loaded host,
			 * although every figure was right.  The calibration knows
			 * the launches from the daemon's records (start, exec, end),
			 * the measurement counts the kernel's CPU time of the jobs'
			 * cgroups: they agree unless the CPU idled (or worked)
			 * where the daemon says a job ran.  Under rr the calibrated
			 * busy time is the jobs' CPU time itself (a frozen job's
			 * work), so only the makespans would be compared.
			 */
			if (k < 2) {
				double c = side(run, "calibrated", "rul"),
				       m = side(run, "measured", "rul");

				ok(rounds_in_order(run) == 5,
				   "%s: every job's record has its first and starting rounds, in order (%d)",
				   name[k], rounds_in_order(run));
				ok(handovers(run) == 4,
				   "%s: the four queued jobs each started right after an end, by the daemon's records (%d)",
				   name[k], handovers(run));

				if (!ok(c > 0 && fabs(m - c) <= 0.1 * c,
					"%s: measured RUL %.3f within 10%% of the calibrated %.3f (a priori %.3f)",
					name[k], m, c, side(run, "predicted", "rul")))
					dump_jobs(run);
			}
			check_burn(run, name[k]);
			/*
			 * The calibrated prediction (the simulator on the measured
			 * occupancies, dispatch delay and, under rr, switches)
			 * within 10 % of the measurement; under fcfs and sjf within
			 * 2 %: there every arrival, occupancy and handover is the
			 * run's own, placed at the daemon's rounds, so the two differ
			 * only where the simulator decides otherwise (0.0 % in the
			 * runs of 2026-12-03; the demo's nine runs at most 0.5 %).
			 */
			for (int f = 0; f < 2; f++) {
				const char *key = f ? "makespan" : "mean_wait";
				double c = side(run, "calibrated", key),
				       mm = side(run, "measured", key), bound = k < 2 ? 0.02 : 0.1;

				/*
				 * rr's wait too: it was a TODO at 9-23 % high while
				 * the daemon's idle counters over-counted (a turn
				 * overlapping the handover after it, a phantom end
				 * handover after an idle spell); fixed, ten lab runs
				 * on 6.1 and 6.12 read -2.1 to +6.3 % (the +6.3 on the
				 * most loaded host; docs/bench.md).
				 */
				if (!ok(mm > 0 && fabs(c - mm) <= bound * mm,
					"%s: calibrated %s %.3f s within %.0f%% of the measured %.3f s (a priori %.3f s)",
					name[k], key, c, bound * 100, mm,
					side(run, "predicted", key)))
					dump_jobs(run);
			}
		}
	}
	json_decref(res);
	snprintf(path, sizeof(path), "%s/results.csv", out);
	ok(strncmp(lab_read(path, log, sizeof(log)),
		   "policy,job,metric,predicted,measured,difference", 47) == 0,
	   "results.csv has its header");
	snprintf(path, sizeof(path), "%s/wait-cdf.png", out);
	ok(lab_exists(path), "gnuplot drew the wait CDF");
	snprintf(path, sizeof(path), "%s/utilization.svg", out);
	ok(lab_exists(path), "and the utilization plot as SVG");

	lab_cpoold_stop(daemon_pid, LAB_CPOOLD_STOP_S, NULL);
	if (cpool_cg_pool_open(&pool, root, &e) == 0 && cpool_cg_pool_destroy(&pool, 10000, &e))
		diag("cleanup: %s", e.msg);
	if (exit_status())
		diag("daemon log:\n%s", lab_slurp(logpath, log, sizeof(log)));
	/*
	 * Kept for a look afterwards (results.json, the daemon's log) when
	 * the build has a bench-keep directory: the guest's /tmp dies with
	 * it, the checkout's build is the host's.  tools/bench-recalibrate
	 * re-runs the calibration on a kept results.json.
	 */
	snprintf(cmd, sizeof(cmd),
		 "k='%s/bench-keep'; [ ! -d \"$k\" ] || cp -r '%s' \"$k/$(date +%%s)-$(uname -r)\"",
		 getenv("CPOOL_BUILD") ?: "build", dir);
	if (system(cmd))
		diag("keeping %s in bench-keep failed", dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		diag("cleanup of %s failed", dir);
	done_testing();
	return exit_status();
}
