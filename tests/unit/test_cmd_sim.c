// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool sim end to end: the built binary, its text and --json output, its errors. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"

static char dir[] = "/tmp/cpool-test-sim-XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		bail_out("writing %s", path);
}

/* Run "cpool ARGS" in the temp dir; stdout+stderr into @out; returns the exit status. */
static int run(const char *cpool, const char *args, char *out, size_t len)
{
	char cmd[1024];
	size_t n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "cd %s && %s %s 2>&1", dir, cpool, args);
	p = popen(cmd, "r");
	if (!p)
		bail_out("popen");
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
	static char out[1 << 16];
	const char *build = getenv("CPOOL_BUILD");
	char cpool[512];
	json_error_t jerr;
	json_t *root, *jobs, *sum;
	int st;

	if (!build || !*build) {
		skip(1, "CPOOL_BUILD is not set: run through make check-unit");
		done_testing();
		return exit_status();
	}
	snprintf(cpool, sizeof(cpool), "%s/cpool", build);
	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	/* Silberschatz, rr q = 4: waits 6, 4, 7. */
	write_file("rr.csv", "id,submit,runtime,cpus,mem,priority\n"
			     "P1,0,24,1,0,0\nP2,0,3,1,0,0\nP3,0,3,1,0,0\n");
	write_file("bad.csv", "id,submit,runtime,cpus,mem,priority\n"
			      "a,0,1,1,0,0\nb,0,soon,1,0,0\n");

	st = run(cpool, "sim --trace rr.csv --policy rr --quantum 4000 --slots 1 --json", out,
		 sizeof(out));
	is_int(st, 0, "sim --json exits 0");
	root = json_loads(out, 0, &jerr);
	ok(root, "--json output is JSON (%s)", root ? "ok" : jerr.text);
	jobs = json_object_get(root, "jobs");
	sum = json_object_get(root, "summary");
	ok(json_is_array(jobs) && json_array_size(jobs) == 3, "jobs: an array of 3");
	if (json_array_size(jobs) == 3) {
		static const double want_wait[] = { 6, 4, 7 }, want_end[] = { 30, 7, 10 };
		static const char *const fields[] = { "id",   "submit",	  "start",     "end",
						      "wait", "response", "turnaround" };

		for (size_t i = 0; i < 3; i++) {
			json_t *j = json_array_get(jobs, i);
			bool all = true;

			for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
				all &= json_object_get(j, fields[f]) != NULL;
			ok(all, "job %zu has id, submit, start, end, wait, response, turnaround",
			   i);
			is_double(json_number_value(json_object_get(j, "wait")), want_wait[i], 1e-9,
				  "job wait (textbook rr)");
			is_double(json_number_value(json_object_get(j, "end")), want_end[i], 1e-9,
				  "job end");
		}
	}
	is_double(json_number_value(json_object_get(sum, "mean_wait")), 17.0 / 3, 1e-6,
		  "summary mean_wait 17/3");
	is_double(json_number_value(json_object_get(sum, "rul")), 1, 1e-9, "summary rul");
	is_double(json_number_value(json_object_get(sum, "makespan")), 30, 1e-9,
		  "summary makespan");
	ok(json_object_get(sum, "p99_wait") && json_object_get(sum, "throughput") &&
		   json_object_get(sum, "mean_response"),
	   "summary has p99_wait, throughput, mean_response");
	json_decref(root);

	/* The planned pool: 2 nodes x 4 cores, CPU 0 reserved, VSs of 3 and 2. */
	write_file("pool.ini", "[pool]\nreserved_cpus = 0\nplacement = worst-fit\n"
			       "[vserver db]\ncpus = 3\nnuma = local\n[vserver web]\ncpus = 2\n");
	st = run(
		cpool,
		"sim --trace rr.csv --policy fcfs --config pool.ini --synthetic 'pack:1 numa:2 core:4 pu:1' --json",
		out, sizeof(out));
	root = json_loads(out, 0, &jerr);
	sum = json_object_get(root, "summary");
	ok(st == 0 && json_integer_value(json_object_get(sum, "cpus")) == 5,
	   "--config on a synthetic machine: the planned 5 CPUs");
	is_str(json_string_value(json_object_get(sum, "placement")), "worst-fit",
	       "--config: [pool] placement is the default");
	json_decref(root);
	write_file("huge.ini", "[vserver big]\ncpus = 64\n");
	st = run(
		cpool,
		"sim --trace rr.csv --policy fcfs --config huge.ini --synthetic 'pack:1 numa:2 core:4 pu:1'",
		out, sizeof(out));
	ok(st != 0 && strstr(out, "vserver big"),
	   "--config that does not fit: the planner's reason");

	st = run(cpool, "sim --trace rr.csv --policy sjf --slots 1", out, sizeof(out));
	ok(st == 0 && strstr(out, "turnaround") && strstr(out, "P2"), "text output has a table");

	st = run(cpool, "sim --trace bad.csv --policy fcfs --slots 1", out, sizeof(out));
	ok(st != 0 && strstr(out, "bad.csv:3: field runtime"),
	   "bad trace: names file, line and field (%s)", strtok(out, "\n"));
	st = run(cpool, "sim --trace rr.csv --policy lottery --slots 1", out, sizeof(out));
	ok(st == 2 && strstr(out, "lottery"), "unknown policy refused with its name");
	st = run(cpool, "sim --trace rr.csv --policy fcfs", out, sizeof(out));
	ok(st == 2 && strstr(out, "--slots"), "a pool is required");
	st = run(cpool, "sim --trace rr.csv --policy fcfs --pool 1,x", out, sizeof(out));
	ok(st == 2 && strstr(out, "--pool"), "a bad --pool is refused");

	snprintf(out, sizeof(out), "rm -rf %s", dir);
	if (system(out))
		diag("could not remove %s", dir);
	done_testing();
	return exit_status();
}
