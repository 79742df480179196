/*
 * sched.h - the learning-rate schedule: the rate for each optimiser
 * step, from the base rate, an optional linear warm-up and either a
 * constant rate (the study) or a cosine decay to zero; and the
 * optimiser step built on nn.h's Adam (Adam, or AdamW).
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

/*
 * The optimiser.  OPTIM_ADAM is torch.optim.Adam (weight decay added
 * to the gradient as L2, nn.h's adam_update).  OPTIM_ADAMW is
 * torch.optim.AdamW: decoupled decay p *= 1 - lr wd, then Adam without
 * L2 (torch/optim/adamw.py: param.mul_(1 - lr * weight_decay)).
 */
enum optim_kind { OPTIM_ADAM = 0, OPTIM_ADAMW = 1 };

struct adam_params;
/* One step t (1, 2, ...) over n floats; m, v [n] start at zero. */
void optim_step(enum optim_kind kind, float *param, float *m, float *v,
    const float *grad, size_t n, const struct adam_params *a, size_t t);

#endif
