// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>

#include "../tap.h"
#include "cpool/fit.h"

int main(void)
{
	const long free[] = { 3, 8, 2, 8, 5 };
	enum cpool_fit f;

	is_int(cpool_fit_choose(CPOOL_FIT_FIRST, free, 5, 3), 0,
	       "first-fit takes the first that fits");
	is_int(cpool_fit_choose(CPOOL_FIT_FIRST, free, 5, 4), 1,
	       "first-fit skips what is too small");
	is_int(cpool_fit_choose(CPOOL_FIT_BEST, free, 5, 4), 4,
	       "best-fit takes the fullest that fits");
	is_int(cpool_fit_choose(CPOOL_FIT_BEST, free, 5, 1), 2, "best-fit with a small request");
	is_int(cpool_fit_choose(CPOOL_FIT_WORST, free, 5, 1), 1,
	       "worst-fit takes the emptiest, lowest index on ties");
	is_int(cpool_fit_choose(CPOOL_FIT_BALANCED, free, 5, 1), 1, "balanced takes the most free");
	is_int(cpool_fit_choose(CPOOL_FIT_BEST, free, 5, 9), -1, "nothing fits");
	is_int(cpool_fit_choose(CPOOL_FIT_FIRST, free, 0, 0), -1, "no candidates");

	for (int i = 0; i < CPOOL_FIT__COUNT; i++) {
		ok(cpool_fit_parse(cpool_fit_name((enum cpool_fit)i), &f) == 0 &&
			   f == (enum cpool_fit)i,
		   "name round trip: %s", cpool_fit_name((enum cpool_fit)i));
	}
	is_int(cpool_fit_parse("next-fit", &f), -EINVAL, "unknown name refused");
	ok(cpool_fit_name(CPOOL_FIT__COUNT) == NULL, "out-of-range has no name");

	done_testing();
	return exit_status();
}
