/*
 * rng.h - the only source of randomness: xoshiro256** seeded through
 * splitmix64.  The whole state is this struct, so it can be saved in a
 * checkpoint and split into independent streams (rng_split) for
 * threads or epochs.
 */
#ifndef RNG_H
#define RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
/* A new generator for stream `id` of this seed (same seed, id -> same). */
void rng_split(struct rng *out, uint64_t seed, uint64_t id);
uint64_t rng_u64(struct rng *r);
double rng_uniform(struct rng *r);            /* [0, 1), 53 bits */
float rng_uniform_f32(struct rng *r);         /* [0, 1), 24 bits */
double rng_range(struct rng *r, double lo, double hi);   /* [lo, hi) */
uint64_t rng_below(struct rng *r, uint64_t n);  /* [0, n), unbiased */
double rng_normal(struct rng *r);             /* N(0, 1), Box-Muller */
void rng_shuffle_size(struct rng *r, size_t *a, size_t n);  /* Fisher-Yates */

#endif
