// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool: the command-line front end.  Each subcommand lives in cmd_*.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "cpool/version.h"

extern const struct cpool_command *const __start_cpool_commands[];
extern const struct cpool_command *const __stop_cpool_commands[];

static int cmd_help(int argc, char **argv);
CPOOL_COMMAND(help, "help", "list the commands", cmd_help);

static const struct cpool_command *find_command(const char *name)
{
	for (const struct cpool_command *const *c = __start_cpool_commands;
	     c < __stop_cpool_commands; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

static int by_name(const void *a, const void *b)
{
	const struct cpool_command *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static void usage(FILE *out)
{
	size_t n = (size_t)(__stop_cpool_commands - __start_cpool_commands);
	const struct cpool_command **sorted = calloc(n, sizeof(*sorted));

	fprintf(out, "usage: cpool COMMAND [OPTIONS]\n\ncommands:\n");
	if (!sorted)
		return;
	memcpy(sorted, __start_cpool_commands, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), by_name);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %-10s %s\n", sorted[i]->name, sorted[i]->summary);
	fprintf(out, "\n'cpool COMMAND --help' describes one command.\n");
	free(sorted);
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const struct cpool_command *cmd;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("cpool %s\n", CPOOL_VERSION);
		return 0;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "cpool: '%s' is not a command; 'cpool help' lists them\n", argv[1]);
		return 2;
	}
	return cmd->run(argc - 1, argv + 1);
}
