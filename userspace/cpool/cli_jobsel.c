// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Job selection options, references and CSV: see cli_jobsel.h. */
#include <errno.h>
#include <string.h>

#include "cli_common.h"
#include "cli_jobsel.h"
#include "cpool/job_record.h"

int cli_set_sel_user(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	uid_t uid;
	int r = cli_parse_user(arg, &uid);

	if (r)
		return cpool_error_set(e, r, "%s '%s'", r == -ENOENT ? "no such user" : "not a uid",
				       arg);
	json_object_set_new(o->target, "uid", json_integer(uid));
	return 0;
}

int cli_set_sel_state(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	enum cpool_job_state st;

	if (cpool_job_state_parse(arg, &st))
		return cpool_error_set(e, -EINVAL,
				       "'%s' is not a state: queued, starting, running, frozen, "
				       "done, failed or cancelled",
				       arg);
	json_object_set_new(o->target, "state", json_string(arg));
	return 0;
}

static int set_text(const struct cli_option *o, const char *key, const char *arg,
		    struct cpool_error *e)
{
	if (!*arg)
		return cpool_error_set(e, -EINVAL, "an empty value");
	json_object_set_new(o->target, key, json_string(arg));
	return 0;
}

int cli_set_sel_vs(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	return set_text(o, "vs", arg, e);
}

int cli_set_sel_name(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	return set_text(o, "name", arg, e);
}

int cli_job_ref_args(const char *text, json_t *args)
{
	struct cpool_job_ref ref;

	if (cpool_job_ref_parse(text, &ref))
		return -EINVAL;
	json_object_set_new(args, "job", json_integer(ref.job));
	if (ref.task >= 0)
		json_object_set_new(args, "task", json_integer(ref.task));
	return 0;
}

void cli_job_label(const json_t *job, char *buf, size_t len)
{
	struct cpool_job_ref ref = { cli_json_int(job, "id", 0), -1 };

	if (json_object_get(job, "array_job")) {
		ref.job = cli_json_int(job, "array_job", 0);
		ref.task = cli_json_int(job, "array_task", -1);
	}
	cpool_job_ref_format(&ref, buf, len);
}

void cli_csv_field(FILE *out, const char *text, bool last)
{
	if (strpbrk(text, ",\"\r\n")) {
		fputc('"', out);
		for (const char *p = text; *p; p++) {
			if (*p == '"')
				fputc('"', out);
			fputc(*p, out);
		}
		fputc('"', out);
	} else {
		fputs(text, out);
	}
	fputs(last ? "\n" : ",", out);
}
