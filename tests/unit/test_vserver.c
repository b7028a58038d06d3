// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>

#include "../tap.h"
#include "cpool/vserver.h"

int main(void)
{
	is_int(cpool_vs_name_check("db"), 0, "plain name");
	is_int(cpool_vs_name_check("web-2.prod_a"), 0, "dash, dot, underscore");
	is_int(cpool_vs_name_check(""), -EINVAL, "empty");
	is_int(cpool_vs_name_check("."), -EINVAL, "dot");
	is_int(cpool_vs_name_check(".."), -EINVAL, "dot-dot");
	is_int(cpool_vs_name_check(".hidden"), -EINVAL, "leading dot");
	is_int(cpool_vs_name_check("a/b"), -EINVAL, "slash");
	is_int(cpool_vs_name_check("a b"), -EINVAL, "space");
	is_int(cpool_vs_name_check("x\n"), -EINVAL, "newline");
	is_int(cpool_vs_name_check(
		       "0123456789012345678901234567890123456789012345678901234567890123"),
	       0, "64 characters");
	is_int(cpool_vs_name_check(
		       "01234567890123456789012345678901234567890123456789012345678901234"),
	       -EINVAL, "65 characters");
	done_testing();
	return exit_status();
}
