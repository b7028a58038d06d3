// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool submit: queue a command as a job in the pool; prints its id. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_common.h"
#include "command.h"
#include "cpool/units.h"

#define PROG "cpool submit"

extern char **environ;

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool submit [OPTIONS] [--] CMD [ARGS...]",
	.about = "Queue CMD as a job and print its id.  The job runs as you, in the current\n"
		 "directory, with this environment; no shell is involved.",
	.json_help = "print {\"job\": ID}",
	.socket = true,
	.operands = true,
	/* Options end at CMD, so "cpool submit ls -l" passes -l to ls. */
	.options_first = true,
};

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

static int cmd_submit(int argc, char **argv)
{
	const char *vs = NULL, *name = NULL, *out_path = NULL, *err_path = NULL;
	long long cpus = 1, priority = 0;
	uint64_t mem = 0;
	double estimate = 0, time_limit = 0;
	const struct cli_option opts[] = {
		CLI_STRING(0, "vs", "NAME", &vs, "the virtual server (default: placement chooses)"),
		CLI_INT(0, "cpus", "N", &cpus, 1, 4096, "CPUs (default 1)"),
		CLI_SIZE(0, "mem", "SIZE", &mem, INT64_MAX,
			 "memory limit, e.g. 512M, 2G (default: the VS's)"),
		CLI_DURATION(0, "estimate", "DUR", &estimate, 0, 0,
			     "expected run time, e.g. 90s, 5m (for sjf, srtf, easy)"),
		CLI_DURATION(0, "time", "DUR", &time_limit, 0, 0,
			     "time limit: SIGTERM, then SIGKILL (default: the VS's default_time)"),
		CLI_INT(0, "priority", "P", &priority, -20, 19,
			"-20..19, lower is more urgent (default 0)"),
		CLI_STRING(0, "name", "NAME", &name, "a label (default: the program's name)"),
		CLI_STRING(0, "stdout", "FILE", &out_path,
			   "where the job's output goes (default /dev/null)"),
		CLI_STRING(0, "stderr", "FILE", &err_path,
			   "where its errors go (default /dev/null)"),
		CLI_END,
	};
	char cwd[PATH_MAX];
	struct cli_args a;
	json_t *args, *result;
	size_t size;
	int r;

	r = cli_parse(&cmd_spec, opts, argc, argv, &a);
	if (r != CLI_PARSED)
		return r;
	if (a.argc < 1 || !a.argv[0][0])
		return cli_usage_error(PROG,
				       "no command given: cpool submit [OPTIONS] -- CMD [ARGS...]");
	if ((vs && !*vs) || (name && !*name) || (out_path && !*out_path) ||
	    (err_path && !*err_path))
		return cli_usage_error(PROG, "an option's value is empty");
	if (!getcwd(cwd, sizeof(cwd)))
		return cli_fail(PROG, "cannot tell the current directory: %s", strerror(errno));

	args = json_object();
	json_object_set_new(args, "argv", string_array(a.argv, a.argc));
	json_object_set_new(args, "env", string_array(environ, -1));
	json_object_set_new(args, "cwd", json_string(cwd));
	json_object_set_new(args, "cpus", json_integer(cpus));
	json_object_set_new(args, "priority", json_integer(priority));
	if (mem)
		json_object_set_new(args, "mem", json_integer((json_int_t)mem));
	if (estimate > 0)
		json_object_set_new(args, "estimate", json_real(estimate));
	if (time_limit > 0)
		json_object_set_new(args, "time", json_real(time_limit));
	if (vs)
		json_object_set_new(args, "vs", json_string(vs));
	if (name)
		json_object_set_new(args, "name", json_string(name));
	if ((out_path && set_path(args, "stdout", out_path, cwd)) ||
	    (err_path && set_path(args, "stderr", err_path, cwd))) {
		json_decref(args);
		return cli_fail(PROG, "out of memory");
	}
	/*
	 * An oversized line makes the daemon drop the connection with no way to
	 * say why in terms of this command; say it here.  (The envelope around
	 * args is well under 100 bytes.)
	 */
	size = json_dumpb(args, NULL, 0, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (size + 100 > CPOOL_PROTO_MAX_LINE) {
		json_decref(args);
		return cli_fail(PROG,
				"the command line and environment take %zu bytes, over the "
				"daemon's limit of %d; unset large environment variables "
				"(env -u NAME cpool submit ...)",
				size, CPOOL_PROTO_MAX_LINE);
	}
	r = cli_call(PROG, a.socket, CPOOL_OP_SUBMIT, args, &result);
	if (r)
		return r;
	if (!json_is_integer(json_object_get(result, "job"))) {
		json_decref(result);
		return cli_fail(PROG, "the daemon's reply has no job id");
	}
	if (a.json)
		cli_print_json(result);
	else
		printf("%lld\n", cli_json_int(result, "job", 0));
	json_decref(result);
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(submit, "submit", "queue a command as a job; prints its id", cmd_submit);
