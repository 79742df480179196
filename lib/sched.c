/* sched.c - learning-rate schedules (see sched.h for the formulas). */
#include "sched.h"

#include "nn.h"

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

void
optim_step(enum optim_kind kind, float *param, float *m, float *v,
    const float *grad, size_t n, const struct adam_params *a, size_t t)
{
	if (kind == OPTIM_ADAM) {
		adam_update(param, m, v, grad, n, a, t);
		return;
	}
	struct adam_params plain = *a;
	float keep = (float)(1.0 - a->lr * a->weight_decay);
	plain.weight_decay = 0.0;
	#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		param[i] *= keep;
	adam_update(param, m, v, grad, n, &plain, t);
}
