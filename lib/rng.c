/* rng.c - xoshiro256** (Blackman & Vigna), seeded with splitmix64. */
#include "rng.h"

#include <math.h>

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

void
rng_split(struct rng *out, uint64_t seed, uint64_t id)
{
	uint64_t x = seed ^ (id * 0xd1342543de82ef95ULL + 0x632be59bd9b4e019ULL);
	splitmix64(&x);
	rng_seed(out, x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t
rng_u64(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double rng_uniform(struct rng *r) { return (double)(rng_u64(r) >> 11) * 0x1.0p-53; }
float rng_uniform_f32(struct rng *r) { return (float)(rng_u64(r) >> 40) * 0x1.0p-24f; }
double rng_range(struct rng *r, double lo, double hi) { return lo + (hi - lo) * rng_uniform(r); }

uint64_t
rng_below(struct rng *r, uint64_t n)
{
	if (n <= 1)
		return 0;
	uint64_t lim = -n % n;        /* 2^64 mod n */
	for (;;) {
		uint64_t x = rng_u64(r);
		if (x >= lim)
			return x % n;
	}
}

double
rng_normal(struct rng *r)
{
	double u = rng_uniform(r), v = rng_uniform(r);
	return sqrt(-2.0 * log1p(-u)) * cos(2.0 * M_PI * v);
}

void
rng_shuffle_size(struct rng *r, size_t *a, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)rng_below(r, i);
		size_t t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}
