// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * docs/grafana-cpool.json asks only for what cpoold exports: every cpool_*
 * metric named in a panel's query is a sample name of the renderer's full
 * output (a daemon's, every family present).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../tap.h"
#include "cpool/promfamilies.h"

/* Whether "@name " or "@name{" starts a line of @doc: a sample of that name. */
static bool exported(const char *doc, const char *name)
{
	size_t n = strlen(name);

	for (const char *s = doc; (s = strstr(s, name)); s++)
		if ((s == doc || s[-1] == '\n') && (s[n] == ' ' || s[n] == '{'))
			return true;
	return false;
}

static struct cpool_prom full_output(void)
{
	static const uint64_t hist[CPOOL_KMETRICS_HIST_SLOTS];
	static const struct cpool_kmetrics_cpu cpu = { .cpu = 0, .busy_ns = 1, .idle_ns = 1 };
	static const struct cpool_prom_state_count st = { "queued", 1 };
	static const struct cpool_prom_seconds sec;
	struct cpool_prom_vs vs = { .name = "a", .have_rul = true, .rul = 0.5, .rq_hist = hist };
	struct cpool_prom_input in = { .cpus = &cpu,
				       .ncpus = 1,
				       .vs = &vs,
				       .nvs = 1,
				       .daemon = true,
				       .live = &st,
				       .nlive = 1,
				       .ended = &st,
				       .nended = 1,
				       .job_wait = &sec,
				       .job_response = &sec };
	struct cpool_prom p;

	cpool_prom_init(&p, false);
	cpool_prom_render(&p, &in);
	cpool_prom_finish(&p);
	return p;
}

int main(void)
{
	const char *src = getenv("CPOOL_SRCDIR");
	struct cpool_prom out = full_output();
	json_error_t jerr;
	json_t *dash, *panel, *target;
	char path[1024];
	size_t i, k, queries = 0, names = 0, missing = 0;

	if (!src) {
		skip(1, "CPOOL_SRCDIR is not set");
		done_testing();
		return exit_status();
	}
	for (k = 0; cpool_prom_family_names[k]; k++)
		ok(strstr(out.buf, cpool_prom_family_names[k]) != NULL, "%s is in the output",
		   cpool_prom_family_names[k]);
	snprintf(path, sizeof(path), "%s/docs/grafana-cpool.json", src);
	dash = json_load_file(path, 0, &jerr);
	if (!ok(dash != NULL, "docs/grafana-cpool.json is JSON")) {
		diag("%s:%d: %s", path, jerr.line, jerr.text);
		done_testing();
		return exit_status();
	}
	json_array_foreach(json_object_get(dash, "panels"), i, panel) {
		json_array_foreach(json_object_get(panel, "targets"), k, target) {
			const char *expr = json_string_value(json_object_get(target, "expr"));

			if (!expr)
				continue;
			queries++;
			for (const char *s = expr; (s = strstr(s, "cpool_"));) {
				char name[128];
				size_t n = 0;

				if (s > expr && (isalnum((unsigned char)s[-1]) || s[-1] == '_')) {
					s++;
					continue;
				}
				while ((isalnum((unsigned char)s[n]) || s[n] == '_') &&
				       n < sizeof(name) - 1)
					n++;
				memcpy(name, s, n);
				name[n] = '\0';
				s += n;
				names++;
				if (!exported(out.buf, name)) {
					missing++;
					diag("panel '%s' asks for %s, which is not exported",
					     json_string_value(json_object_get(panel, "title")),
					     name);
				}
			}
		}
	}
	ok(queries >= 7, "the dashboard has its queries (%zu)", queries);
	ok(names >= queries, "each names a cpool metric (%zu names)", names);
	is_int((int64_t)missing, 0, "every metric a query names is exported");
	json_decref(dash);
	cpool_prom_free(&out);
	done_testing();
	return exit_status();
}
