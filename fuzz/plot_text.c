/*
 * plot_text.c - fuzz the text parsers of tools/plot.c, which this
 * includes (its main renamed): the comma lists of --titles, --labels
 * and friends (strlist_split), --xlim/--ylim "LO,HI" (parse_lim) and
 * the CSV reader of `plot lines` (read_csv: a header row, then rows of
 * numbers, empty or text fields being gaps).  Input: a first line
 * "XCOL[,YCOLS...]" naming the columns (as -x and -y would), then the
 * CSV file.  die() and die_usage() are caught (fuzz.h); a FILE the
 * reader held when it died is closed here.  Invariants: a list has one
 * more item than separators; accepted limits have LO < HI; series have
 * their rows, labels and no more than the cap.
 */
#include "fuzz.h"

#define main plot_main
#include "../tools/plot.c"
#undef main

#define CAP 8

static void
fuzz_list(const char *s, char sep)
{
	struct strlist l = { 0 };
	size_t seps = 0;
	for (const char *p = s; *p; p++)
		seps += *p == sep;
	strlist_split(&l, s, sep);
	FUZZ_CHECK(l.n == seps + 1);
	for (size_t i = 0; i < l.n; i++)
		FUZZ_CHECK(strchr(l.s[i], sep) == NULL);
	strlist_free(&l);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = fuzz_string(data, size);
	const char *nl = memchr(data, '\n', size);
	char cols[256];
	double lim[2];

	progname = "plot";
	fuzz_list(s, ',');
	fuzz_list(s, '\n');
	if (FUZZ_TRY() == 0) {
		parse_lim("--xlim", s, lim);
		FUZZ_CHECK(lim[0] < lim[1]);
	} else {
		FUZZ_CHECK(fuzz_status == EXIT_USAGE);
	}
	FUZZ_END();

	/* the first line names the columns, the rest is the CSV */
	if (nl == NULL || (size_t)(nl - (const char *)data) >= sizeof cols)
		return 0;
	size_t cl = (size_t)(nl - (const char *)data);
	memcpy(cols, data, cl);
	cols[cl] = '\0';
	char *comma = strchr(cols, ',');
	if (comma)
		*comma = '\0';
	const char *path = fuzz_file(nl + 1, size - cl - 1);
	static struct series out[CAP];
	memset(out, 0, sizeof out);
	fuzz_fds_mark();
	if (FUZZ_TRY() == 0) {
		size_t n = read_csv(path, cols, comma ? comma + 1 : NULL,
		    NULL, out, CAP);
		FUZZ_CHECK(n >= 1 && n <= CAP);
		for (size_t k = 0; k < n; k++) {
			FUZZ_CHECK(out[k].label != NULL);
			FUZZ_CHECK(out[k].n == out[0].n);
			free(out[k].label);
			free(out[k].x);
			free(out[k].y);
		}
	} else {
		FUZZ_CHECK(fuzz_status == EXIT_DATA ||
		    fuzz_status == EXIT_USAGE);
	}
	FUZZ_END();
	fuzz_fds_close();
	return 0;
}
