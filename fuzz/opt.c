/*
 * opt.c - fuzz the option number parsers of lib/tool.c: opt_size,
 * opt_ll, opt_u64 and opt_double (which die_usage on a bad value: the
 * exit is caught, see fuzz.h) and parse_ll / parse_double beneath them.
 * The first input byte picks a range, the rest is the argument.
 * Invariants: an accepted value is in its range and is what strtoll /
 * strtod / strtoull make of the whole string; a rejected one exits 2;
 * parse_* agree with opt_*.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tool.h"

static const struct {
	long long lo, hi;
} llr[] = {
	{ 0, 1 }, { 1, 1 << 20 }, { 0, LLONG_MAX }, { LLONG_MIN, LLONG_MAX },
	{ -5, 5 }, { 1, 1024 }, { 0, 0 }, { INT32_MIN, INT32_MAX },
};
static const struct {
	double lo, hi;
} dr[] = {
	{ 0, 1 }, { -HUGE_VAL, HUGE_VAL }, { 1e-12, 1e12 }, { -1, 1 },
	{ 0, 0 }, { -1e300, 1e300 },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned sel = data[0];
	const char *arg = fuzz_string(data + 1, size - 1);
	size_t nl = sizeof llr / sizeof llr[0], nd = sizeof dr / sizeof dr[0];
	long long lo = llr[sel % nl].lo, hi = llr[sel % nl].hi, v;
	double dlo = dr[sel % nd].lo, dhi = dr[sel % nd].hi, d;

	progname = "fuzz";
	/* opt_ll and parse_ll */
	int ok = parse_ll(arg, lo, hi, &v) == 0;
	if (FUZZ_TRY() == 0) {
		long long w = opt_ll("--opt", arg, lo, hi);
		FUZZ_CHECK(ok && w == v && w >= lo && w <= hi);
		char *end;
		errno = 0;
		FUZZ_CHECK(strtoll(arg, &end, 10) == w && *end == '\0' &&
		    errno == 0);
	} else {
		FUZZ_CHECK(!ok && fuzz_status == EXIT_USAGE);
	}
	FUZZ_END();

	/* opt_size: a size_t range */
	if (lo >= 0 && FUZZ_TRY() == 0) {
		size_t w = opt_size("--opt", arg, (size_t)lo, (size_t)hi);
		FUZZ_CHECK(ok && w == (size_t)v);
	} else if (lo >= 0) {
		FUZZ_CHECK(!ok && fuzz_status == EXIT_USAGE);
	}
	FUZZ_END();
	if (FUZZ_TRY() == 0) {
		size_t w = opt_size("--opt", arg, 0, SIZE_MAX);
		FUZZ_CHECK(w <= (size_t)LLONG_MAX);
	} else {
		FUZZ_CHECK(fuzz_status == EXIT_USAGE);
	}
	FUZZ_END();

	/* opt_u64: non-negative, the whole string */
	if (FUZZ_TRY() == 0) {
		uint64_t w = opt_u64("--opt", arg);
		char *end;
		errno = 0;
		FUZZ_CHECK(arg[0] != '-' && arg[0] != '\0');
		FUZZ_CHECK(strtoull(arg, &end, 10) == w && *end == '\0');
	} else {
		FUZZ_CHECK(fuzz_status == EXIT_USAGE);
	}
	FUZZ_END();

	/* opt_double and parse_double */
	ok = parse_double(arg, dlo, dhi, &d) == 0;
	if (FUZZ_TRY() == 0) {
		double w = opt_double("--opt", arg, dlo, dhi);
		FUZZ_CHECK(ok && isfinite(w) && w >= dlo && w <= dhi);
		FUZZ_CHECK(w == d || (isnan(w) && isnan(d)));
	} else {
		FUZZ_CHECK(!ok && fuzz_status == EXIT_USAGE);
	}
	FUZZ_END();
	return 0;
}
