// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool(1) and 'cpool CMD --help' cannot drift apart: for every command
 * that 'cpool --help' lists, the options its --help shows (usage lines and
 * the option table) are exactly those of its "## cpool CMD" section of
 * docs/man/cpool.1.scd (synopsis lines and the definition terms), and the
 * page has a section for no command that does not exist.  cpoold(8) is
 * held to 'cpoold --help' the same way.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"

#define MAX_OPTS 64
#define MAX_CMDS 64

struct optset {
	int n;
	char name[MAX_OPTS][40];
};

static char build[1024], srcdir[1024];

static void optset_add(struct optset *s, const char *name, size_t len)
{
	if (len >= sizeof(s->name[0]))
		len = sizeof(s->name[0]) - 1;
	for (int i = 0; i < s->n; i++)
		if (strlen(s->name[i]) == len && strncmp(s->name[i], name, len) == 0)
			return;
	if (s->n == MAX_OPTS)
		bail_out("more than %d options", MAX_OPTS);
	memcpy(s->name[s->n], name, len);
	s->name[s->n][len] = '\0';
	s->n++;
}

static bool optset_has(const struct optset *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->name[i], name) == 0)
			return true;
	return false;
}

/*
 * Every "-x" and "--long-name" of @text that starts a word ("first-fit"
 * and "-20" are not options; scdoc's * and _ do not count as word letters).
 */
static void scan_options(const char *text, size_t len, struct optset *s)
{
	for (size_t i = 0; i < len; i++) {
		size_t j;

		if (text[i] != '-' ||
		    (i > 0 && (isalnum((unsigned char)text[i - 1]) || text[i - 1] == '-')))
			continue;
		if (i + 1 < len && text[i + 1] == '-') {
			j = i + 2;
			if (j >= len || !islower((unsigned char)text[j]))
				continue;
			while (j < len && (isalnum((unsigned char)text[j]) || text[j] == '-'))
				j++;
		} else {
			j = i + 1;
			if (j >= len || !isalpha((unsigned char)text[j]))
				continue;
			j++;
			if (j < len && (isalnum((unsigned char)text[j]) || text[j] == '-'))
				continue; /* a word such as -foo is not a short option */
		}
		optset_add(s, text + i, j - i);
		i = j - 1;
	}
}

/* Runs @cmd; its stdout and stderr together into @buf. */
static void run(const char *cmd, char *buf, size_t len)
{
	char full[2048];
	size_t n;
	FILE *f;

	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	f = popen(full, "r");
	if (!f)
		bail_out("popen %s", cmd);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	pclose(f);
}

/*
 * The options a --help text shows: every option in its usage block (from
 * "usage:" to the first empty line) and in the option column of its table
 * (lines that start, after indentation, with an option; the column ends at
 * two spaces), never those mentioned in the prose.
 */
static void help_options(const char *help, struct optset *s)
{
	bool in_usage = false;

	for (const char *line = help; *line;) {
		const char *end = strchr(line, '\n'), *p = line;
		size_t len;

		if (!end)
			end = line + strlen(line);
		len = (size_t)(end - line);
		if (strncmp(line, "usage:", 6) == 0)
			in_usage = true;
		else if (len == 0)
			in_usage = false;
		while (p < end && *p == ' ')
			p++;
		if (in_usage) {
			scan_options(line, len, s);
		} else if (p > line && p < end && *p == '-') {
			const char *col = strstr(p, "  ");

			scan_options(p, (size_t)((col && col < end ? col : end) - p), s);
		}
		line = *end ? end + 1 : end;
	}
}

/*
 * The options a page section documents: its synopsis lines ("*cpool ...",
 * "*cpoold ...") and definition terms ("*--opt* _ARG_" lines).
 */
static void page_options(const char *sect, size_t sect_len, struct optset *s)
{
	const char *end_all = sect + sect_len;

	for (const char *line = sect; line < end_all;) {
		const char *end = memchr(line, '\n', (size_t)(end_all - line));

		if (!end)
			end = end_all;
		if (strncmp(line, "*-", 2) == 0 || strncmp(line, "*cpool", 6) == 0)
			scan_options(line, (size_t)(end - line), s);
		line = end + 1;
	}
}

/* The text of "## cpool CMD" up to the next heading, or NULL. */
static const char *page_section(const char *page, const char *cmd, size_t *len)
{
	char head[128];
	const char *start, *next;

	snprintf(head, sizeof(head), "\n## cpool %s\n", cmd);
	start = strstr(page, head);
	if (!start)
		return NULL;
	start += strlen(head);
	next = strstr(start, "\n#");
	*len = next ? (size_t)(next - start) + 1 : strlen(start);
	return start;
}

static void compare(const char *what, const struct optset *help, const struct optset *page)
{
	int missing = 0, extra = 0;

	for (int i = 0; i < help->n; i++)
		if (!optset_has(page, help->name[i])) {
			diag("%s: %s is in --help but not in the man page", what, help->name[i]);
			missing++;
		}
	for (int i = 0; i < page->n; i++)
		if (!optset_has(help, page->name[i])) {
			diag("%s: %s is in the man page but not in --help", what, page->name[i]);
			extra++;
		}
	ok(missing == 0 && extra == 0, "%s: the man page and --help show the same %d options", what,
	   help->n);
}

static char *slurp_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		bail_out("open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		bail_out("read %s", path);
	fclose(f);
	return buf;
}

static void test_cpool(void)
{
	static char help[1 << 16], cmd_help[1 << 16];
	char cmds[MAX_CMDS][32], path[2048], cmd[2048];
	char *page, *line, *save = NULL;
	int ncmds = 0;

	snprintf(path, sizeof(path), "%s/docs/man/cpool.1.scd", srcdir);
	page = slurp_file(path);
	snprintf(cmd, sizeof(cmd), "%s/cpool --help", build);
	run(cmd, help, sizeof(help));
	for (line = strtok_r(help, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[32];

		/* "  NAME       summary" lines list the commands. */
		if (strncmp(line, "  ", 2) == 0 && line[2] != ' ' && ncmds < MAX_CMDS &&
		    sscanf(line, " %31s", name) == 1)
			strcpy(cmds[ncmds++], name);
	}
	ok(ncmds >= 10, "cpool --help lists %d commands", ncmds);
	for (int i = 0; i < ncmds; i++) {
		struct optset h = { 0 }, p = { 0 };
		const char *sect;
		size_t len;

		snprintf(cmd, sizeof(cmd), "%s/cpool %s --help", build, cmds[i]);
		run(cmd, cmd_help, sizeof(cmd_help));
		sect = page_section(page, cmds[i], &len);
		if (!ok(sect, "cpool.1 has a section '## cpool %s'", cmds[i]))
			continue;
		help_options(cmd_help, &h);
		page_options(sect, len, &p);
		snprintf(cmd, sizeof(cmd), "cpool %s", cmds[i]);
		compare(cmd, &h, &p);
	}
	/* And no section for a command that is gone. */
	for (const char *s = strstr(page, "\n## cpool "); s; s = strstr(s + 1, "\n## cpool ")) {
		char name[32] = "";
		bool listed = false;

		sscanf(s, "\n## cpool %31s", name);
		for (int i = 0; i < ncmds; i++)
			listed |= strcmp(cmds[i], name) == 0;
		ok(listed, "cpool.1's section 'cpool %s' is a command of cpool --help", name);
	}
	free(page);
}

static void test_cpoold(void)
{
	static char help[1 << 16];
	struct optset h = { 0 }, p = { 0 };
	char path[2048], cmd[2048];
	const char *opts;
	char *page;

	snprintf(cmd, sizeof(cmd), "%s/cpoold", build);
	if (access(cmd, X_OK) != 0) {
		skip(1, "no cpoold built");
		return;
	}
	snprintf(path, sizeof(path), "%s/docs/man/cpoold.8.scd", srcdir);
	page = slurp_file(path);
	snprintf(cmd, sizeof(cmd), "%s/cpoold --help", build);
	run(cmd, help, sizeof(help));
	help_options(help, &h);
	opts = strstr(page, "\n# SYNOPSIS\n");
	if (opts)
		page_options(opts, strlen(opts), &p);
	compare("cpoold", &h, &p);
	free(page);
}

/* Each page renders through man(1) with groff's warnings on, and says nothing on stderr. */
static void test_render(const char *page)
{
	static char out[1 << 17];
	char cmd[2048], errpath[64] = "/tmp/cpool-man-err.XXXXXX", errtext[4096] = "";
	FILE *f;
	int fd = mkstemp(errpath);

	if (fd < 0)
		bail_out("mkstemp");
	close(fd);
	/* The subshell keeps man's stderr in the file: run() merges only the outer one. */
	snprintf(cmd, sizeof(cmd), "(MANWIDTH=80 man --warnings -l '%s/man/%s' 2>%s)", build, page,
		 errpath);
	run(cmd, out, sizeof(out));
	f = fopen(errpath, "r");
	if (f) {
		errtext[fread(errtext, 1, sizeof(errtext) - 1, f)] = '\0';
		fclose(f);
	}
	unlink(errpath);
	ok(strstr(out, "NAME") && strstr(out, "SEE ALSO"), "man -l %s renders", page);
	if (!ok(errtext[0] == '\0', "man -l %s: no warnings", page))
		diag("%s", errtext);
}

int main(void)
{
	snprintf(build, sizeof(build), "%s", getenv("CPOOL_BUILD") ?: "build");
	snprintf(srcdir, sizeof(srcdir), "%s", getenv("CPOOL_SRCDIR") ?: ".");
	test_cpool();
	test_cpoold();
	test_render("cpool.1");
	test_render("cpoold.8");
	test_render("cpool.ini.5");
	done_testing();
	return exit_status();
}
