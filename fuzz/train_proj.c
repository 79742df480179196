/*
 * train_proj.c - fuzz vicreg-train's --proj list ("512,512,512"),
 * parse_proj in tools/vicreg-train.c, which this includes (its main
 * renamed).  A bad list is die_usage: caught (fuzz.h), exit status 2.
 * Invariants: an accepted list has 1..MODEL_MAX_PROJ widths in
 * [1, 2^20], and as many as the string has commas plus one.
 */
#include "fuzz.h"

#define main vicreg_train_main
#include "../tools/vicreg-train.c"
#undef main

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = fuzz_string(data, size);
	struct model_config c;

	progname = "vicreg-train";
	model_config_default(&c);
	if (FUZZ_TRY() == 0) {
		parse_proj(&c, s);
		size_t commas = 0;
		for (const char *p = s; *p; p++)
			commas += *p == ',';
		FUZZ_CHECK(c.nproj >= 1 && c.nproj <= MODEL_MAX_PROJ);
		FUZZ_CHECK(c.nproj == commas + 1);
		for (size_t i = 0; i < c.nproj; i++)
			FUZZ_CHECK(c.proj[i] >= 1 && c.proj[i] <= 1 << 20);
	} else {
		FUZZ_CHECK(fuzz_status == EXIT_USAGE);
	}
	FUZZ_END();
	return 0;
}
