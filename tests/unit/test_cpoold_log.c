// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpoold's log: user text cannot end a line or forge a journal priority. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "../../userspace/cpoold/cpoold.h"

/* What log_msg writes for @text, read back from a temporary stderr. */
static char *logged(const char *text)
{
	static char buf[16384];
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	if (!tmp || saved < 0)
		bail_out("tmpfile: %s", strerror(errno));
	fflush(stderr);
	dup2(fileno(tmp), 2);
	log_info("job 7 named %s ended", text);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return buf;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

int main(void)
{
	char out[64], big[3000], *line;

	plan(13);
	setenv("JOURNAL_STREAM", "8:1234", 1);

	log_escape("a\nb", out, sizeof(out));
	is_str(out, "a\\x0ab", "a newline becomes \\x0a");
	log_escape("\t\r\x1b[31m\x7f", out, sizeof(out));
	is_str(out, "\\x09\\x0d\\x1b[31m\\x7f", "tab, CR, ESC and DEL are escaped");
	log_escape("C:\\x0a", out, sizeof(out));
	is_str(out, "C:\\\\x0a", "a literal backslash is doubled, so it cannot fake an escape");
	log_escape("naïve ok", out, sizeof(out));
	is_str(out, "naïve ok", "printable text and UTF-8 pass unchanged");
	is_int((int64_t)log_escape("\n\n\n\n", out, 10), 8, "truncated at a whole escape");
	is_str(out, "\\x0a\\x0a", "never half an escape");

	line = logged("x\n<0>cpoold: emergency: forged");
	is_int(count_lines(line), 1, "a newline in user text does not start a second line");
	ok(strncmp(line, "<6>cpoold: info: ", 17) == 0, "the line keeps its own priority prefix");
	ok(strstr(line, "x\\x0a<0>cpoold: emergency: forged ended") != NULL,
	   "the injected text is logged, escaped");
	ok(strchr(line + 1, '<') == strstr(line, "<0>"), "no other prefix appears");

	line = logged("a\rb");
	ok(strchr(line, '\r') == NULL, "a carriage return is escaped");

	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	line = logged(big);
	is_int(count_lines(line), 1, "a message of nothing but newlines is still one line");
	ok(strlen(line) < 4 * 2048 + 64, "and bounded");
	return exit_status();
}
