// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* The job options of cpool submit and cpool run, and their request (cli_submit.h). */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_submit.h"
#include "cpool/jobctl.h"
#include "cpool/protocol.h"

extern char **environ;

struct cli_job_opts {
	const char *vs, *name, *stdout_path, *stderr_path, *after, *array;
	bool hold;
	long long cpus, priority;
	uint64_t mem;
	double estimate, time_limit;
};

/* Room for the table job_options() fills, its end included. */
#define JOB_OPTIONS_MAX 16

/* An option cpool run recognises only to refuse: its target is the reason. */
static int refuse_option(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	return cpool_error_set(e, -EINVAL, "%s", (const char *)o->target);
}

static struct cli_option refused(struct cli_option o, const char *why)
{
	o.set = refuse_option;
	o.target = (void *)why;
	o.help = NULL; /* not in cpool run's --help; its man page section says why */
	return o;
}

/*
 * Sets @j to the defaults and fills @table with the options that set it.
 * With @attached the refused options stay in the table, so the parser
 * recognises them and says why, but out of --help.
 */
static void job_options(struct cli_job_opts *j, bool attached, struct cli_option *table)
{
	int n = 0;

	*j = (struct cli_job_opts){ .cpus = 1 };
	table[n++] = (struct cli_option)CLI_STRING(
		0, "vs", "NAME", &j->vs, "the virtual server (default: placement chooses)");
	table[n++] =
		(struct cli_option)CLI_INT(0, "cpus", "N", &j->cpus, 1, 4096, "CPUs (default 1)");
	table[n++] = (struct cli_option)CLI_SIZE(0, "mem", "SIZE", &j->mem, INT64_MAX,
						 "memory limit, e.g. 512M, 2G (default: the VS's)");
	table[n++] = (struct cli_option)CLI_DURATION(
		0, "estimate", "DUR", &j->estimate, 0, 0,
		"expected run time, e.g. 90s, 5m (for sjf, srtf, easy)");
	table[n++] = (struct cli_option)CLI_DURATION(
		0, "time", "DUR", &j->time_limit, 0, 0,
		"time limit: SIGTERM, then SIGKILL (default: the VS's default_time)");
	table[n++] = (struct cli_option)CLI_INT(0, "priority", "P", &j->priority, -20, 19,
						"-20..19, lower is more urgent (default 0)");
	table[n++] = (struct cli_option)CLI_STRING(0, "name", "NAME", &j->name,
						   "a label (default: the program's name)");
	{
		const struct cli_option queued[] = {
			CLI_STRING(0, "stdout", "FILE", &j->stdout_path,
				   "where the job's output goes (default cpool-%j.out in the\n"
				   "current directory; arrays cpool-%A_%a.out); %j job id, %A\n"
				   "array id, %a array index, %u user, %x name, %% a %"),
			CLI_STRING(0, "stderr", "FILE", &j->stderr_path,
				   "where its errors go (default: the --stdout file); patterns\n"
				   "as for --stdout"),
			CLI_FLAG(0, "hold", &j->hold,
				 "queue it held: it starts after 'cpool release ID'"),
			CLI_STRING(0, "after", "ID[:ok|notok|any][,...]", &j->after,
				   "start only once these jobs ended: ok (exit 0, the default),\n"
				   "notok (otherwise) or any; an array's ID stands for all its\n"
				   "elements.  One that can no longer be met cancels the job"),
			CLI_STRING(0, "array", "FIRST-LAST[:STEP][%MAX]", &j->array,
				   "an array of jobs, one per index, at most MAX running at once;\n"
				   "each has CPOOL_ARRAY_JOB_ID and CPOOL_ARRAY_TASK_ID"),
		};
		/* Why cpool run refuses each, in the order above. */
		static const char *const why_not_run[] = {
			"the job writes to this command's own stdout: redirect that",
			"the job writes to this command's own stderr: redirect that",
			"cpool run starts its job as soon as it may; use cpool submit --hold",
			"cpool run starts its job as soon as it may, not after others; use "
			"cpool submit --after, then cpool wait",
			"cpool run runs one job; use cpool submit --array, then cpool wait",
		};

		for (size_t i = 0; i < sizeof(queued) / sizeof(queued[0]); i++)
			table[n++] = attached ? refused(queued[i], why_not_run[i]) : queued[i];
	}
	table[n] = (struct cli_option)CLI_END;
}

/* Relative to the directory we were run in, as a person means it. */
static char *absolute(const char *path, const char *cwd)
{
	char *abs;

	if (path[0] == '/')
		return strdup(path);
	if (asprintf(&abs, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", path) < 0)
		return NULL;
	return abs;
}

static int set_path(json_t *args, const char *key, const char *path, const char *cwd)
{
	char *abs = absolute(path, cwd);

	if (!abs)
		return -ENOMEM;
	json_object_set_new(args, key, json_string(abs));
	free(abs);
	return 0;
}

static json_t *string_array(char **v, int n)
{
	json_t *arr = json_array();

	for (int i = 0; v[i] && (n < 0 || i < n); i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}

/* The usage errors the daemon would otherwise find: CLI_PARSED or CLI_EXIT_USAGE. */
static int check(const char *prog, const struct cli_job_opts *j, const struct cli_args *a)
{
	struct cpool_error e = { 0 };
	struct cpool_array_spec spec;
	struct cpool_dep *deps = NULL;
	size_t n;

	if (a->argc < 1 || !a->argv[0][0])
		return cli_usage_error(prog, "no command given: %s [OPTIONS] -- CMD [ARGS...]",
				       prog);
	if ((j->vs && !*j->vs) || (j->name && !*j->name) || (j->stdout_path && !*j->stdout_path) ||
	    (j->stderr_path && !*j->stderr_path))
		return cli_usage_error(prog, "an option's value is empty");
	if (j->after && cpool_deps_parse(j->after, &deps, &n, &e))
		return cli_usage_error(prog, "--after: %s", e.msg);
	free(deps);
	if (j->array && cpool_array_parse(j->array, &spec, &e))
		return cli_usage_error(prog, "--array: %s", e.msg);
	if (j->stdout_path && cpool_outpattern_check(j->stdout_path, &e))
		return cli_usage_error(prog, "--stdout: %s", e.msg);
	if (j->stderr_path && cpool_outpattern_check(j->stderr_path, &e))
		return cli_usage_error(prog, "--stderr: %s", e.msg);
	return CLI_PARSED;
}

/* The submit request's args for @j and the command in @a: CLI_PARSED, or an exit status. */
static int job_request(const char *prog, const struct cli_job_opts *j, const struct cli_args *a,
		       json_t **out)
{
	char cwd[PATH_MAX];
	json_t *args;
	size_t size;
	int r = check(prog, j, a);

	if (r != CLI_PARSED)
		return r;
	if (!getcwd(cwd, sizeof(cwd)))
		return cli_fail(prog, "cannot tell the current directory: %s", strerror(errno));
	args = json_object();
	json_object_set_new(args, "argv", string_array(a->argv, a->argc));
	json_object_set_new(args, "env", string_array(environ, -1));
	json_object_set_new(args, "cwd", json_string(cwd));
	json_object_set_new(args, "cpus", json_integer(j->cpus));
	json_object_set_new(args, "priority", json_integer(j->priority));
	if (j->mem)
		json_object_set_new(args, "mem", json_integer((json_int_t)j->mem));
	if (j->estimate > 0)
		json_object_set_new(args, "estimate", json_real(j->estimate));
	if (j->time_limit > 0)
		json_object_set_new(args, "time", json_real(j->time_limit));
	if (j->vs)
		json_object_set_new(args, "vs", json_string(j->vs));
	if (j->name)
		json_object_set_new(args, "name", json_string(j->name));
	if (j->hold)
		json_object_set_new(args, "hold", json_true());
	if (j->after)
		json_object_set_new(args, "after", json_string(j->after));
	if (j->array)
		json_object_set_new(args, "array", json_string(j->array));
	if ((j->stdout_path && set_path(args, "stdout", j->stdout_path, cwd)) ||
	    (j->stderr_path && set_path(args, "stderr", j->stderr_path, cwd))) {
		json_decref(args);
		return cli_fail(prog, "out of memory");
	}
	/*
	 * An oversized line makes the daemon drop the connection with no way to
	 * say why in terms of this command; say it here.  (The envelope around
	 * args, cpool run's "attach" included, is well under 100 bytes.)
	 */
	size = json_dumpb(args, NULL, 0, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (size + 100 > CPOOL_PROTO_MAX_LINE) {
		json_decref(args);
		return cli_fail(prog,
				"the command line and environment take %zu bytes, over the "
				"daemon's limit of %d; unset large environment variables "
				"(env -u NAME %s ...)",
				size, CPOOL_PROTO_MAX_LINE, prog);
	}
	*out = args;
	return CLI_PARSED;
}

int cli_job_parse(const struct cli_spec *spec, bool attached, int argc, char **argv,
		  struct cli_args *a, json_t **args)
{
	struct cli_option opts[JOB_OPTIONS_MAX];
	struct cli_job_opts job;
	int r;

	job_options(&job, attached, opts);
	r = cli_parse(spec, opts, argc, argv, a);
	if (r != CLI_PARSED)
		return r;
	return job_request(spec->prog, &job, a, args);
}
