// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/enum_names.h"
#include "cpool/cgroup.h"

int cpool_cg_flat_get(const char *text, const char *key, uint64_t *value)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (line && *line) {
		const char *end = strchr(line, '\n');

		if (strncmp(line, key, klen) == 0 && (line[klen] == ' ' || line[klen] == '\t')) {
			const char *p = line + klen;
			unsigned long long v;
			char *stop;

			while (*p == ' ' || *p == '\t')
				p++;
			/* strtoull would accept "-1" and wrap it: the kernel never writes a sign. */
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			errno = 0;
			v = strtoull(p, &stop, 10);
			if (errno)
				return -EINVAL;
			if (*stop != '\n' && *stop != '\0' && *stop != ' ')
				return -EINVAL;
			*value = v;
			return 0;
		}
		line = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

/* A missing key reads as 0: older kernels lack some counters (memory.events oom_group_kill etc.). */
static int flat_get_opt(const char *text, const char *key, uint64_t *value)
{
	int err = cpool_cg_flat_get(text, key, value);

	if (err == -ENOENT) {
		*value = 0;
		return 0;
	}
	return err;
}

int cpool_cg_events_parse(const char *text, struct cpool_cg_events *ev)
{
	uint64_t populated, frozen;
	int err;

	/* "populated" is in every cgroup.events since 4.5: without it this is not that file. */
	err = cpool_cg_flat_get(text, "populated", &populated);
	if (err)
		return -EINVAL;
	err = flat_get_opt(text, "frozen", &frozen);
	if (err || populated > 1 || frozen > 1)
		return -EINVAL;
	ev->populated = populated;
	ev->frozen = frozen;
	return 0;
}

int cpool_cg_cpu_stat_parse(const char *text, struct cpool_cg_cpu_stat *st)
{
	int err;

	memset(st, 0, sizeof(*st));
	err = cpool_cg_flat_get(text, "usage_usec", &st->usage_usec);
	if (err)
		return -EINVAL;
	if (flat_get_opt(text, "user_usec", &st->user_usec) ||
	    flat_get_opt(text, "system_usec", &st->system_usec) ||
	    flat_get_opt(text, "nr_periods", &st->nr_periods) ||
	    flat_get_opt(text, "nr_throttled", &st->nr_throttled) ||
	    flat_get_opt(text, "throttled_usec", &st->throttled_usec))
		return -EINVAL;
	return 0;
}

int cpool_cg_memory_events_parse(const char *text, struct cpool_cg_memory_events *ev)
{
	memset(ev, 0, sizeof(*ev));
	/* "max" is the one counter every memory.events has had; use it to recognise the file. */
	if (cpool_cg_flat_get(text, "max", &ev->max))
		return -EINVAL;
	if (flat_get_opt(text, "low", &ev->low) || flat_get_opt(text, "high", &ev->high) ||
	    flat_get_opt(text, "oom", &ev->oom) || flat_get_opt(text, "oom_kill", &ev->oom_kill))
		return -EINVAL;
	return 0;
}

int cpool_cg_pids_events_parse(const char *text, uint64_t *max)
{
	return cpool_cg_flat_get(text, "max", max) ? -EINVAL : 0;
}

static const char *const partition_table[] = {
	[CPOOL_CG_PART_MEMBER] = "member",
	[CPOOL_CG_PART_ROOT] = "root",
	[CPOOL_CG_PART_ISOLATED] = "isolated",
	[CPOOL_CG_PART_ROOT_INVALID] = "root invalid",
	[CPOOL_CG_PART_ISOLATED_INVALID] = "isolated invalid",
};

static struct cpool_enum_names partition_names = CPOOL_ENUM_NAMES(partition_table);

const char *cpool_cg_partition_name(enum cpool_cg_partition kind)
{
	return cpool_enum_name(&partition_names, (int)kind);
}

int cpool_cg_partition_parse(const char *text, struct cpool_cg_partition_state *st)
{
	static const struct {
		const char *word;
		enum cpool_cg_partition valid, invalid;
	} words[] = {
		{ "member", CPOOL_CG_PART_MEMBER, CPOOL_CG_PART_MEMBER },
		{ "root", CPOOL_CG_PART_ROOT, CPOOL_CG_PART_ROOT_INVALID },
		{ "isolated", CPOOL_CG_PART_ISOLATED, CPOOL_CG_PART_ISOLATED_INVALID },
	};
	const char *p = text;

	memset(st, 0, sizeof(*st));
	while (*p == ' ')
		p++;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i].word);
		const char *q = p + n;

		if (strncmp(p, words[i].word, n) != 0)
			continue;
		if (*q == '\n' || *q == '\0') {
			st->kind = words[i].valid;
			return 0;
		}
		/* "root invalid" (6.1 and up may add " (reason)"); "member" is never invalid. */
		if (i == 0 || strncmp(q, " invalid", 8) != 0)
			return -EINVAL;
		q += 8;
		st->kind = words[i].invalid;
		if (*q == '\n' || *q == '\0')
			return 0;
		if (q[0] != ' ' || q[1] != '(')
			return -EINVAL;
		q += 2;
		{
			const char *close = strrchr(q, ')');
			size_t len;

			if (!close)
				return -EINVAL;
			len = (size_t)(close - q);
			if (len >= sizeof(st->reason))
				len = sizeof(st->reason) - 1;
			memcpy(st->reason, q, len);
			st->reason[len] = '\0';
		}
		return 0;
	}
	return -EINVAL;
}

bool cpool_cg_partition_is_valid_root(const struct cpool_cg_partition_state *st)
{
	return st->kind == CPOOL_CG_PART_ROOT || st->kind == CPOOL_CG_PART_ISOLATED;
}
