// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The bash completion (userspace/cpool/cpool.bash-completion), driven the
 * way readline drives it: bash in a subprocess sources it, sets COMP_WORDS
 * and COMP_CWORD and calls the function 'complete -p cpool' names.  The
 * commands and options must be those of the built cpool; VS names and job
 * ids those of a (fake) daemon; and with no daemon, nothing, silently.
 */
/* The shared fake daemon has helpers this test has no use for. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "cli_fake_daemon.h"

static char script[256];

/* Writes the driver: "$script WORD..." prints the completions of the last WORD, one a line. */
static void write_driver(void)
{
	const char *src = getenv("CPOOL_SRCDIR");
	FILE *f;

	snprintf(script, sizeof(script), "%s/complete.sh", fake.dir);
	f = fopen(script, "w");
	if (!f)
		bail_out("create %s", script);
	fprintf(f,
		"source '%s/userspace/cpool/cpool.bash-completion' || exit 9\n"
		"fn=$(complete -p cpool | sed -n 's/.*-F \\([^ ]*\\) cpool$/\\1/p')\n"
		"[ -n \"$fn\" ] || exit 8\n"
		"COMP_WORDS=(\"$@\")\n"
		"COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
		"COMP_LINE=\"$*\"\n"
		"COMP_POINT=${#COMP_LINE}\n"
		"\"$fn\" cpool \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD - 1]}\"\n"
		"printf '%%s\\n' \"${COMPREPLY[@]}\" | sort\n",
		src ? src : ".");
	fclose(f);
}

/* The completions of the words of @line (the last one may be ""), sorted, on one line. */
static const char *complete(const char *env, const char *line)
{
	static char flat[1 << 14];
	const char *build = getenv("CPOOL_BUILD");
	size_t n = 0;
	int st;

	st = sh("cd '%s' && %s PATH='%s':\"$PATH\" bash --norc --noprofile %s cpool %s 2>%s",
		fake.dir, env ? env : "", build ? build : "build", script, line, fake.err);
	if (st != 0)
		diag("the driver exited %d", st);
	for (const char *p = out; *p && n + 1 < sizeof(flat); p++)
		flat[n++] = *p == '\n' ? ' ' : *p;
	while (n > 0 && flat[n - 1] == ' ')
		n--;
	flat[n] = '\0';
	return flat;
}

static bool has_word(const char *list, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p++)
		if ((p == list || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return true;
	return false;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * The commands 'cpool --help' lists ("  NAME   summary" lines), sorted as
 * the completion prints them, on one line; those starting with @prefix.
 */
static const char *help_commands(const char *prefix, char *buf, size_t len)
{
	char *save = NULL, name[32], names[64][32];
	int n = 0;
	size_t used = 0;

	cli(NULL, "--help");
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "  ", 2) == 0 && line[2] != ' ' && n < 64 &&
		    sscanf(line, " %31s", name) == 1 && strncmp(name, prefix, strlen(prefix)) == 0)
			strcpy(names[n++], name);
	qsort(names, (size_t)n, sizeof(names[0]), compare_names);
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 i ? " " : "", names[i]);
	return buf;
}

static void test_commands(void)
{
	char want[1024], got[1024];

	help_commands("", want, sizeof(want));
	ok(strstr(want, "submit") && strstr(want, "stats"), "cpool --help lists commands: %s",
	   want);
	snprintf(got, sizeof(got), "%s", complete(NULL, "''"));
	is_str(got, want, "the commands of 'cpool --help'");
	help_commands("s", want, sizeof(want));
	snprintf(got, sizeof(got), "%s", complete(NULL, "s"));
	is_str(got, want, "a prefix");
	is_str(complete(NULL, "--"), "--help --version", "options before a command");
	is_str(complete(NULL, "-V"), "-V", "and their short names");
	is_str(complete(NULL, "vs ''"), "create destroy list resize", "vs: its verbs");
	is_str(complete(NULL, "policy ''"), "get set", "policy: its verbs");
	is_str(complete(NULL, "vs create web me"),
	       "memory= memory_high= mems=", "vs create: the keys of a [vserver] section");
}

/* Every option 'cpool CMD --help' shows is offered after "--". */
static void test_options(void)
{
	static const char *const cmds[] = { "submit", "sim", "metrics", "history", "top" };

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char line[64], help[1 << 15], *save = NULL;
		const char *got;
		int missing = 0, n = 0;

		snprintf(line, sizeof(line), "%s --", cmds[i]);
		got = complete(NULL, line);
		snprintf(help, sizeof(help), "%s", got);
		got = help;
		cli(NULL, "%s --help", cmds[i]);
		/* Words end at punctuation too: "with --format: replace". */
		for (char *w = strtok_r(out, " \n[],|():.", &save); w;
		     w = strtok_r(NULL, " \n[],|():.", &save)) {
			if (strncmp(w, "--", 2) != 0 || !w[2] || w[2] < 'a' || w[2] > 'z')
				continue;
			n++;
			if (!has_word(got, w)) {
				diag("cpool %s: %s not offered", cmds[i], w);
				missing++;
			}
		}
		ok(n > 2 && missing == 0,
		   "cpool %s --: every option its --help shows (%d mentions)", cmds[i], n);
	}
	is_str(complete(NULL, "submit --cp"), "--cpus", "an option's prefix");
	is_str(complete(NULL, "metrics --in"), "--interval", "metrics' option");
	is_str(complete(NULL, "sim --policy s"), "sjf srtf", "--policy's values");
	is_str(complete(NULL, "bench --placement b"), "balanced best-fit", "--placement's values");
	is_str(complete(NULL, "metrics -i ''"), "", "-i takes a value: no option offered");
	is_str(complete(NULL, "metrics --format ''"), "openmetrics prometheus",
	       "metrics --format: the formats it writes");
	is_str(complete(NULL, "metrics -f p"), "prometheus", "-f is --format's short name");
	is_str(complete(NULL, "sim --format ''"), "csv swf", "sim --format: the trace formats");
	ok(has_word(complete(NULL, "submit --cpus 2 -- ech"), "echo"),
	   "submit: the job's command is a command");
	is_str(complete(NULL, "submit --cpus 2 --pla"), "", "submit: no option of another command");
}

static void test_daemon(void)
{
	is_str(complete(NULL, "submit --vs ''"), "batch db", "submit --vs: the daemon's VSs");
	is_str(complete(NULL, "submit --cpus 2 --vs d"), "db", "a VS prefix");
	is_str(complete(NULL, "vs destroy ''"), "batch db", "vs destroy: the VSs");
	is_str(complete(NULL, "vs list ''"), "", "vs list takes no VS");
	is_str(complete(NULL, "wait ''"), "42 43", "wait: the job ids of ps");
	is_str(complete(NULL, "wait 42 ''"), "", "wait takes one id");
	is_str(complete(NULL, "cancel 42 4"), "42 43", "cancel: several ids");
}

static void test_no_daemon(void)
{
	char env[512], line[512], want[1024];

	snprintf(env, sizeof(env), "CPOOL_SOCKET=%s/nowhere.sock", fake.dir);
	is_str(complete(env, "submit --vs ''"), "", "no daemon: no VS names");
	is_str(err_out, "", "no daemon: nothing on stderr");
	is_str(complete(env, "wait ''"), "", "no daemon: no job ids");
	is_str(err_out, "", "no daemon: still nothing on stderr");
	help_commands("s", want, sizeof(want));
	is_str(complete(env, "s"), want, "no daemon: the commands still complete");
	snprintf(line, sizeof(line), "cancel --socket '%s' ''", fake.sock);
	is_str(complete(env, line), "42 43", "the --socket of the line is the one asked");
}

int main(void)
{
	fake_start();
	write_driver();
	test_commands();
	test_options();
	test_daemon();
	test_no_daemon();
	fake_stop();
	done_testing();
	return exit_status();
}
