/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Subcommands of the cpool CLI register themselves with CPOOL_COMMAND() in
 * their own file, so adding a command never edits a shared table: the
 * linker gathers the pointers into the "cpool_commands" section.  A
 * command parses its options with cli_parse() (cli_options.h): one table
 * gives the parser, the --help text and the usage errors.
 */
#ifndef CPOOL_CLI_COMMAND_H
#define CPOOL_CLI_COMMAND_H

struct cpool_command {
	const char *name;
	const char *summary;
	/* argv[0] is the command name; returns the process exit status. */
	int (*run)(int argc, char **argv);
};

#define CPOOL_COMMAND(ident, cmdname, text, fn)                     \
	static const struct cpool_command cpool_cmd_##ident = {     \
		.name = (cmdname),                                  \
		.summary = (text),                                  \
		.run = (fn),                                        \
	};                                                          \
	static const struct cpool_command *const cpool_cmdp_##ident \
		__attribute__((used, section("cpool_commands"))) = &cpool_cmd_##ident

#endif /* CPOOL_CLI_COMMAND_H */
