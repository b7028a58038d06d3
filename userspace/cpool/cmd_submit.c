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

static void usage(FILE *out)
{
	fprintf(out, "usage: cpool submit [OPTIONS] [--] CMD [ARGS...]\n"
		     "\n"
		     "Queue CMD as a job and print its id.  The job runs as you, in the current\n"
		     "directory, with this environment; no shell is involved.\n"
		     "\n"
		     "  --vs NAME          the virtual server (default: placement chooses)\n"
		     "  --cpus N           CPUs (default 1)\n"
		     "  --mem SIZE         memory limit, e.g. 512M, 2G (default: the VS's)\n"
		     "  --estimate DUR     expected run time, e.g. 90s, 5m (for sjf, srtf, easy)\n"
		     "  --priority P       -20..19, lower is more urgent (default 0)\n"
		     "  --name NAME        a label (default: the program's name)\n"
		     "  --stdout FILE      where the job's output goes (default /dev/null)\n"
		     "  --stderr FILE      where its errors go (default /dev/null)\n"
		     "  --json             print {\"job\": ID}\n" CLI_SOCKET_HELP
		     "  --help             this text\n");
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

static int cmd_submit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vs", required_argument, NULL, 'v' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "mem", required_argument, NULL, 'm' },
		{ "estimate", required_argument, NULL, 'e' },
		{ "priority", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "stdout", required_argument, NULL, 'o' },
		{ "stderr", required_argument, NULL, 'E' },
		CLI_JSON_OPTION,
		CLI_SOCKET_OPTION,
		CLI_HELP_OPTION,
		{ 0 },
	};
	const char *vs = NULL, *name = NULL, *out_path = NULL, *err_path = NULL, *socket = NULL;
	long long cpus = 1, priority = 0;
	uint64_t mem = 0;
	double estimate = 0;
	char cwd[PATH_MAX];
	bool json = false;
	json_t *args, *result;
	size_t size;
	int c, r;

	/* '+': options end at CMD, so "cpool submit ls -l" passes -l to ls. */
	while ((c = cli_getopt(argc, argv, PROG, "+", opts)) != -1) {
		switch (c) {
		case 'v':
			vs = optarg;
			break;
		case 'c':
			if (cli_parse_long(optarg, 1, 4096, &cpus))
				return cli_usage_error(PROG, "--cpus: '%s' is not a number 1..4096",
						       optarg);
			break;
		case 'm':
			if (cpool_parse_size(optarg, &mem) || mem > INT64_MAX)
				return cli_usage_error(
					PROG, "--mem: '%s' is not a size like 512M or 2G", optarg);
			break;
		case 'e':
			if (cpool_parse_duration(optarg, &estimate))
				return cli_usage_error(
					PROG, "--estimate: '%s' is not a duration like 90s or 5m",
					optarg);
			break;
		case 'p':
			if (cli_parse_long(optarg, -20, 19, &priority))
				return cli_usage_error(
					PROG, "--priority: '%s' is not a number -20..19", optarg);
			break;
		case 'n':
			name = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'E':
			err_path = optarg;
			break;
		case CLI_OPT_JSON:
			json = true;
			break;
		case CLI_OPT_SOCKET:
			socket = optarg;
			break;
		case CLI_OPT_HELP:
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc || !argv[optind][0])
		return cli_usage_error(PROG,
				       "no command given: cpool submit [OPTIONS] -- CMD [ARGS...]");
	if ((vs && !*vs) || (name && !*name) || (out_path && !*out_path) ||
	    (err_path && !*err_path))
		return cli_usage_error(PROG, "an option's value is empty");
	if (!getcwd(cwd, sizeof(cwd)))
		return cli_fail(PROG, "cannot tell the current directory: %s", strerror(errno));

	args = json_object();
	json_object_set_new(args, "argv", string_array(argv + optind, argc - optind));
	json_object_set_new(args, "env", string_array(environ, -1));
	json_object_set_new(args, "cwd", json_string(cwd));
	json_object_set_new(args, "cpus", json_integer(cpus));
	json_object_set_new(args, "priority", json_integer(priority));
	if (mem)
		json_object_set_new(args, "mem", json_integer((json_int_t)mem));
	if (estimate > 0)
		json_object_set_new(args, "estimate", json_real(estimate));
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
	r = cli_call(PROG, socket, CPOOL_OP_SUBMIT, args, &result);
	if (r)
		return r;
	if (!json_is_integer(json_object_get(result, "job"))) {
		json_decref(result);
		return cli_fail(PROG, "the daemon's reply has no job id");
	}
	if (json)
		cli_print_json(result);
	else
		printf("%lld\n", cli_json_int(result, "job", 0));
	json_decref(result);
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(submit, "submit", "queue a command as a job; prints its id", cmd_submit);
