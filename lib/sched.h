/*
 * sched.h - the learning-rate schedule: the rate for each optimiser
 * step, from the base rate, an optional linear warm-up and either a
 * constant rate (the study) or a cosine decay to zero.
 *
 *   t = step index, 0-based; W = warmup steps; T = total steps.
 *   warm-up (t < W):   lr * (t + 1) / W
 *   constant:          lr
 *   cosine (t >= W):   lr * 0.5 * (1 + cos(pi * (t - W) / (T - W)))
 *
 * The cosine form is the one of torch.optim.lr_scheduler's
 * CosineAnnealingLR with eta_min 0 (its documented closed form),
 * evaluated at the step, after a linear warm-up as in
 * transformers' get_cosine_schedule_with_warmup.
 */
#ifndef SCHED_H
#define SCHED_H

#include <stddef.h>

enum sched_kind { SCHED_CONSTANT = 0, SCHED_COSINE = 1 };

struct sched {
	enum sched_kind kind;
	double lr;              /* base (peak) rate */
	size_t warmup_steps;    /* W; 0 for none */
	size_t total_steps;     /* T: the cosine reaches 0 at T */
};

/* The rate for step t (0-based). */
double sched_lr(const struct sched *s, size_t t);
/* "constant" / "cosine" -> kind; -1 if unknown. */
int sched_parse(const char *name, enum sched_kind *kind);

#endif
