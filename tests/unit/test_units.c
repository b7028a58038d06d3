// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>

#include "../tap.h"
#include "cpool/units.h"

static int64_t size_of(const char *s)
{
	uint64_t v;
	int err = cpool_parse_size(s, &v);

	return err ? err : (int64_t)v;
}

static double dur(const char *s)
{
	double v;

	return cpool_parse_duration(s, &v) ? -1 : v;
}

int main(void)
{
	char buf[32];

	is_int(size_of("4096"), 4096, "bare bytes");
	is_int(size_of("512K"), 512 * 1024, "K");
	is_int(size_of("2M"), 2 << 20, "M");
	is_int(size_of("1.5G"), 3LL << 29, "fractional G");
	is_int(size_of("1g"), 1LL << 30, "lower-case suffix");
	is_int(size_of("64MiB"), 64LL << 20, "MiB");
	is_int(size_of("10B"), 10, "B");
	is_int(size_of("2T"), 2LL << 40, "T");
	is_int(size_of("0"), 0, "zero parses (callers decide whether it is allowed)");
	is_int(size_of(""), -EINVAL, "empty refused");
	is_int(size_of("G"), -EINVAL, "suffix alone refused");
	is_int(size_of("-1G"), -EINVAL, "negative refused");
	is_int(size_of("1X"), -EINVAL, "unknown suffix refused");
	is_int(size_of("1.2.3M"), -EINVAL, "two dots refused");
	is_int(size_of("1e3"), -EINVAL, "exponent refused");
	is_int(size_of("0x10"), -EINVAL, "hex refused");
	is_int(size_of("99999E"), -ERANGE, "overflow refused");

	is_double(dur("100ms"), 0.1, 1e-12, "ms");
	is_double(dur("2"), 2, 0, "bare seconds");
	is_double(dur("1.5s"), 1.5, 0, "s");
	is_double(dur("5m"), 300, 0, "m");
	is_double(dur("2min"), 120, 0, "min");
	is_double(dur("1h"), 3600, 0, "h");
	is_double(dur("250us"), 250e-6, 1e-15, "us");
	is_double(dur("1d"), 86400, 0, "d");
	is_double(dur("5x"), -1, 0, "unknown unit refused");
	is_double(dur("-5"), -1, 0, "negative refused");

	cpool_format_size(512ULL << 20, buf, sizeof(buf));
	is_str(buf, "512M", "exact M");
	cpool_format_size(3ULL << 29, buf, sizeof(buf));
	is_str(buf, "1536M", "exact multiple keeps the exact unit");
	cpool_format_size(1000, buf, sizeof(buf));
	is_str(buf, "1000", "small sizes in bytes");
	cpool_format_size(1500000, buf, sizeof(buf));
	is_str(buf, "1.4M", "inexact sizes with one decimal");

	done_testing();
	return exit_status();
}
