/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Names of an enum's values, from one table indexed by value: the name of
 * a value, the value of a name, and the "a, b, c" list that an error
 * message offers ("unknown 'x' (known: a, b, c)").  A module declares
 *
 *	static const char *const fit_table[CPOOL_FIT__COUNT] = {
 *		[CPOOL_FIT_FIRST] = "first-fit", ...
 *	};
 *	static struct cpool_enum_names fit_names = CPOOL_ENUM_NAMES(fit_table);
 *
 * and its name/parse/list functions are one line each.
 */
#ifndef CPOOL_ENUM_NAMES_H
#define CPOOL_ENUM_NAMES_H

#define CPOOL_ENUM_LIST_MAX 512

struct cpool_enum_names {
	const char *const *names; /* by value; a NULL entry is no value */
	int count;
	char list[CPOOL_ENUM_LIST_MAX]; /* built on first use by cpool_enum_list() */
};

#define CPOOL_ENUM_NAMES(table)                                                      \
	{                                                                            \
		.names = (table), .count = (int)(sizeof(table) / sizeof((table)[0])) \
	}

/* The name of @value, or NULL when it has none. */
const char *cpool_enum_name(const struct cpool_enum_names *e, int value);
/* 0 and *@value, or -EINVAL when @name is no value's name. */
int cpool_enum_parse(const struct cpool_enum_names *e, const char *name, int *value);
/* Every name in value order, "a, b, c". */
const char *cpool_enum_list(struct cpool_enum_names *e);

#endif /* CPOOL_ENUM_NAMES_H */
