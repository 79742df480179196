/* sched.c - learning-rate schedules (see sched.h for the formulas). */
#include "sched.h"

#include <math.h>
#include <string.h>

double
sched_lr(const struct sched *s, size_t t)
{
	if (t < s->warmup_steps)
		return s->lr * (double)(t + 1) / (double)s->warmup_steps;
	if (s->kind == SCHED_CONSTANT)
		return s->lr;
	if (s->total_steps <= s->warmup_steps)
		return s->lr;
	size_t span = s->total_steps - s->warmup_steps;
	size_t k = t - s->warmup_steps;
	if (k >= span)
		return 0.0;
	return s->lr * 0.5 * (1.0 + cos(M_PI * (double)k / (double)span));
}

int
sched_parse(const char *name, enum sched_kind *kind)
{
	if (strcmp(name, "constant") == 0)
		*kind = SCHED_CONSTANT;
	else if (strcmp(name, "cosine") == 0)
		*kind = SCHED_COSINE;
	else
		return -1;
	return 0;
}
