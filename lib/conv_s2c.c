/* conv_s2c.c - stride-2 3x3 convolutions, channels last (see conv_s2c.h). */
#include <immintrin.h>
#include <omp.h>
#include <string.h>

#include "conv3x3.h"
#include "conv_s2c.h"
#include "hwc.h"

#define AVX __attribute__((target("avx2,fma")))
#define AVX_INLINE __attribute__((target("avx2,fma"), always_inline)) \
	static inline
#define AVX512 __attribute__((target("avx512f,fma")))
#define AVX512_INLINE __attribute__((target("avx512f,fma"), \
	always_inline)) static inline

/*
 * Floats of a chunk's channels-last images and results (per thread,
 * but one chunk for all in the weight gradient): about half of a 512
 * KB L2, so that the products, which read the chunk once per block of
 * 16 output channels, find it there.
 */
#define CHUNK_FLOATS ((size_t)1 << 16)
/* floats of the weights a pass of the products reads: half of L1 */
#define PANEL_FLOATS ((size_t)4096)
/* output pixels of a chunk, at least: the panel's reuse */
#define MIN_PIXELS 96
/*
 * Floats of the input and dout rows of a band of output rows: the
 * weight gradient's blocks of sums pass over the chunk a band at a
 * time, each block in turn, so that the band stays in cache between
 * them (16K floats measured best: 5-25 % less time than whole chunks).
 */
#define BAND_FLOATS 16384

static int mode = CONV_S2C_AUTO;

void
conv_s2c_set(int m)
{
	mode = m;
}

/*
 * Where it beat what ran before (conv_s2.c, or im2col + BLIS where
 * conv_s2.c does not apply), zen3, one thread, bench/conv.sh 16 and 64
 * at batch 128 (CPU clock, busy machine): every part at width 16, where
 * three input rows (3 (W + 2) C floats) fit in 12 KB: 3-34 % less time;
 * at width 64 the forward pass on maps of 8 output columns or fewer
 * (8-12 %), the input gradient of 128 channels there (23-25 %) and
 * the weight gradient up to 128 channels (13-22 %).  The input gradient
 * of 256 channels on 8x8 maps ties with BLIS, the forward pass and the
 * input gradient of 64 channels on 30x30 maps tie with conv_s2.c, and
 * the weight gradient of 256 channels on 8x8 maps loses to BLIS (its
 * 4.7 MB of sums pass through the cache once per band).
 *
 * With the AVX-512 kernels (2-core Xeon, `THREADS=1 CLOCK=cpu STAT=min
 * REPS=3 STRIDE=2 bench/conv.sh 64 128`), every part up to 128 input
 * channels, ms s2c / best other: 64->128 30x30 47 / 56 (forward), 42 /
 * 50 (input gradient), 46 / 65 (weight gradient); 128->256 15x15 50 /
 * 63, 41 / 51, 57 / 56; and none at 256: 50 / 44, 47 / 46, 93 / 50
 * (BLIS).  With the kernel of 8 pixels x 32 channels, the forward pass
 * and the input gradient at 256 too (256->512 8x8, two runs each,
 * ms s2c / BLIS: one thread 35.7 / 37.5 and 34.2 / 35.5 forward, 33.0
 * / 37.6 and 32.4 / 38.1 input gradient; two threads, wall clock 19.0
 * / 22.0 and 20.3 / 23.4, 18.2 / 20.0 and 19.5 / 21.4); the weight
 * gradient there still loses (74-76 / 38-39).
 */
static int
use_s2c(const struct conv2d_shape *s, int part)
{
	if (s->C * (s->W + 2) <= 1024)
		return 1;
	if (conv_avx512())
		return s->C <= 128 || (s->C <= 256 &&
		    part != CONV_S2C_DWEIGHT);
	switch (part) {
	case CONV_S2C_FWD:
		return s->OW <= 8;
	case CONV_S2C_DINP:
		return s->OW <= 8 && s->C <= 128;
	default:
		return s->C <= 128;
	}
}

/* 3x3 stride 2 padding 1, channels in 8s: what this file computes */
static int
shape_fits(const struct conv2d_shape *s)
{
	return s->KS == 3 && s->stride == 2 && s->pad == 1 && s->C % 8 == 0 &&
	    s->OC % 8 == 0;
}

int
conv_s2c_applies(const struct conv2d_shape *s, int part)
{
	if (!shape_fits(s) || mode == CONV_S2C_OFF || !conv3x3_cpu_ok())
		return 0;
	return mode == CONV_S2C_ON || use_s2c(s, part);
}

/*
 * One stride-2 layer: the framed input X [Hp, Wp, C] (the image at
 * (1, 1)), the output Y [OH, OW, OC], the framed dout D [OH+1, OW+1,
 * OC] (zeros in the last row and column) and the input gradient DX [H,
 * W, C]; floats per image of each, and images per chunk by part.
 */
struct geo {
	size_t C, H, W, OC, OH, OW;
	size_t Hp, Wp, Dw;
	size_t xs, ys, ds, dxs;
	size_t nf, nd, nw;
	size_t band;      /* weight gradient: output rows to a pass */
};

/*
 * Images per chunk of `per` floats each with `pixels` pixels to a pass
 * over the weights' panel: CHUNK_FLOATS, but at least `fewest` pixels
 * (the wide layers' chunks outgrow L2, but a pass reads only a block
 * of their channels), cut to whole runs of 6 pixels if that costs at
 * most half
 */
static size_t
chunk_images(size_t per, size_t pixels, size_t fewest)
{
	size_t n = CHUNK_FLOATS / per, least = (fewest + pixels - 1) / pixels;
	if (n < least)
		n = least;
	for (size_t k = n; 2 * k > n; k--)
		if (k * pixels % 6 == 0)
			return k;
	return n;
}

static void
geo_set(struct geo *g, const struct conv2d_shape *s)
{
	g->C = s->C;
	g->H = s->H;
	g->W = s->W;
	g->OC = s->OC;
	g->OH = s->OH;
	g->OW = s->OW;
	g->Hp = s->H + 2;
	g->Wp = s->W + 2;
	g->Dw = s->OW + 1;
	g->xs = g->Hp * g->Wp * g->C;
	g->ys = g->OH * g->OW * g->OC;
	g->ds = (g->OH + 1) * g->Dw * g->OC;
	g->dxs = g->H * g->W * g->C;
	g->nf = chunk_images(g->xs + g->ys, g->OH * g->OW, MIN_PIXELS);
	g->nd = chunk_images(g->ds + g->dxs, g->OH * g->OW, MIN_PIXELS);
	g->nw = chunk_images(g->xs + g->ys, 1, 1);
	g->band = BAND_FLOATS / (2 * g->Wp * g->C + g->OW * g->OC);
	if (g->band < 1)
		g->band = 1;
}

static size_t
up16(size_t n)
{
	return (n + 15) / 16 * 16;
}

/* the weights rearranged (forward, input gradient) or the weight
 * gradient [9 C, OC], first in scratch */
static size_t
w_floats(const struct geo *g)
{
	return up16(9 * g->C * g->OC);
}

static size_t
fwd_floats(const struct geo *g)
{
	return up16(g->nf * (g->xs + g->ys));
}

static size_t
dinp_floats(const struct geo *g)
{
	return up16(g->nd * (g->ds + g->dxs));
}

size_t
conv_s2c_scratch_floats(const struct conv2d_shape *s, size_t threads)
{
	struct geo g;
	geo_set(&g, s);
	threads = threads ? threads : 1;
	size_t f = threads * fwd_floats(&g), d = threads * dinp_floats(&g);
	size_t w = g.nw * (g.xs + g.ys);
	size_t n = f > d ? f : d;
	return w_floats(&g) + (n > w ? n : w);
}

/* ------------------------------------------------------------ products */

/*
 * Where row r, column o of a matrix [rows, Co] goes when it is stored
 * as panels of 16 columns, [Co / 16, rows, 16] (the last one 8 wide if
 * Co is not a multiple of 16): the products read a panel's rows in
 * order, contiguous, instead of 16 floats every Co (a stride that for
 * 128 and more channels put every row into the same few L1 sets).
 */
static size_t
panel_at(size_t rows, size_t Co, size_t r, size_t o)
{
	size_t j = o / 16 * 16, wj = Co - j < 16 ? Co - j : 16;
	return j * rows + r * wj + o - j;
}

/*
 * c[i] [8 NV] (i < R) (= or += when beta) the sum over taps t < nt and
 * k < K of a[i] [toff[t] + k] times b [t bts + k ldb + 8 NV]: R <= 6
 * pixels x 8 or 16 channels in registers, each sum in the order of
 * (t, k)
 */
AVX_INLINE void
kernel(float *const *c, const float *const *a, const ptrdiff_t *toff,
    size_t nt, size_t K, const float *b, size_t ldb, size_t bts, int beta,
    const int R, const int NV)
{
	__m256 acc[6][2];
#pragma GCC unroll 6
	for (int i = 0; i < R; i++)
#pragma GCC unroll 2
		for (int j = 0; j < NV; j++)
			acc[i][j] = beta ? _mm256_loadu_ps(c[i] + 8 * j) :
			    _mm256_setzero_ps();
	for (size_t t = 0; t < nt; t++) {
		const float *p[6], *bt = b + t * bts;
#pragma GCC unroll 6
		for (int i = 0; i < R; i++)
			p[i] = a[i] + toff[t];
		for (size_t k = 0; k < K; k++, bt += ldb) {
			__m256 b0 = _mm256_loadu_ps(bt);
			__m256 b1 = NV > 1 ? _mm256_loadu_ps(bt + 8) : b0;
#pragma GCC unroll 6
			for (int i = 0; i < R; i++) {
				__m256 v = _mm256_broadcast_ss(p[i] + k);
				acc[i][0] = _mm256_fmadd_ps(v, b0, acc[i][0]);
				if (NV > 1)
					acc[i][1] = _mm256_fmadd_ps(v, b1,
					    acc[i][1]);
			}
		}
	}
#pragma GCC unroll 6
	for (int i = 0; i < R; i++)
#pragma GCC unroll 2
		for (int j = 0; j < NV; j++)
			_mm256_storeu_ps(c[i] + 8 * j, acc[i][j]);
}

#define KERNEL_R(R) \
static AVX void \
kernel_##R(float *const *c, const float *const *a, const ptrdiff_t *toff, \
    size_t nt, size_t K, const float *b, size_t ldb, size_t bts, int beta, \
    int nv) \
{ \
	if (nv == 2) \
		kernel(c, a, toff, nt, K, b, ldb, bts, beta, R, 2); \
	else \
		kernel(c, a, toff, nt, K, b, ldb, bts, beta, R, 1); \
}
KERNEL_R(1)
KERNEL_R(2)
KERNEL_R(3)
KERNEL_R(4)
KERNEL_R(5)
KERNEL_R(6)

typedef void kernel_fn(float *const *, const float *const *,
    const ptrdiff_t *, size_t, size_t, const float *, size_t, size_t, int,
    int);
static kernel_fn *const kernels[7] = { NULL, kernel_1, kernel_2,
    kernel_3, kernel_4, kernel_5, kernel_6 };

/*
 * kernel() with AVX-512 where the CPU has it: R <= 8 pixels x 16
 * channels of one panel (NP 1), or x 32 channels of two panels pst
 * floats apart (NP 2), a register each (8 sums in flight cover the
 * FMA's latency on two units, and the 8 pointers stay in registers;
 * two panels take 10 loads for 16 FMAs where one took 9 for 8).  The
 * same FMAs in the same order: the same bytes.
 */
#define RUN16 8
AVX512_INLINE void
kernel16(float *const *c, const float *const *a, const ptrdiff_t *toff,
    size_t nt, size_t K, const float *b, size_t ldb, size_t bts, int beta,
    size_t pst, const int R, const int NP)
{
	__m512 acc[RUN16][2];
#pragma GCC unroll 8
	for (int i = 0; i < R; i++)
#pragma GCC unroll 2
		for (int j = 0; j < NP; j++)
			acc[i][j] = beta ? _mm512_loadu_ps(c[i] + 16 * j) :
			    _mm512_setzero_ps();
	for (size_t t = 0; t < nt; t++) {
		const float *p[RUN16], *bt = b + t * bts;
#pragma GCC unroll 8
		for (int i = 0; i < R; i++)
			p[i] = a[i] + toff[t];
		for (size_t k = 0; k < K; k++, bt += ldb) {
			__m512 b0 = _mm512_loadu_ps(bt);
			__m512 b1 = NP > 1 ? _mm512_loadu_ps(bt + pst) : b0;
#pragma GCC unroll 8
			for (int i = 0; i < R; i++) {
				__m512 v = _mm512_set1_ps(p[i][k]);
				acc[i][0] = _mm512_fmadd_ps(v, b0, acc[i][0]);
				if (NP > 1)
					acc[i][1] = _mm512_fmadd_ps(v, b1,
					    acc[i][1]);
			}
		}
	}
#pragma GCC unroll 8
	for (int i = 0; i < R; i++)
#pragma GCC unroll 2
		for (int j = 0; j < NP; j++)
			_mm512_storeu_ps(c[i] + 16 * j, acc[i][j]);
}

/* kernel16 for R pixels of NP panels */
#define KERNEL16_R(R, NP) \
static AVX512 void \
kernel16_##R##x##NP(float *const *c, const float *const *a, \
    const ptrdiff_t *toff, size_t nt, size_t K, const float *b, size_t ldb, \
    size_t bts, int beta, size_t pst) \
{ \
	kernel16(c, a, toff, nt, K, b, ldb, bts, beta, pst, R, NP); \
}
KERNEL16_R(1, 1) KERNEL16_R(2, 1) KERNEL16_R(3, 1) KERNEL16_R(4, 1)
KERNEL16_R(5, 1) KERNEL16_R(6, 1) KERNEL16_R(7, 1) KERNEL16_R(8, 1)
KERNEL16_R(1, 2) KERNEL16_R(2, 2) KERNEL16_R(3, 2) KERNEL16_R(4, 2)
KERNEL16_R(5, 2) KERNEL16_R(6, 2) KERNEL16_R(7, 2) KERNEL16_R(8, 2)

typedef void kernel16_fn(float *const *, const float *const *,
    const ptrdiff_t *, size_t, size_t, const float *, size_t, size_t, int,
    size_t);
/* [panels - 1][pixels] */
static kernel16_fn *const kernels16[2][RUN16 + 1] = {
	{ NULL, kernel16_1x1, kernel16_2x1, kernel16_3x1, kernel16_4x1,
	    kernel16_5x1, kernel16_6x1, kernel16_7x1, kernel16_8x1 },
	{ NULL, kernel16_1x2, kernel16_2x2, kernel16_3x2, kernel16_4x2,
	    kernel16_5x2, kernel16_6x2, kernel16_7x2, kernel16_8x2 },
};

/*
 * The pixels of one pass: nc images x nh rows x nw columns; pixel
 * (n, y, x) reads a + n an + y ay + x ax and writes c + n cn + y cy +
 * x cx (all in floats).
 */
struct walk {
	size_t nc, nh, nw;
	const float *a;
	size_t an, ay, ax;
	float *c;
	size_t cn, cy, cx;
};

/*
 * Every pixel of w: Co (a multiple of 8) channels = the sum over nt
 * taps at offsets toff from the pixel's a of K channels each times
 * b [nt K, Co] (in panels, panel_at).  Blocks of 16 channels (with
 * AVX-512, 32: two panels); in each, the K channels in equal blocks of
 * at most PANEL_FLOATS / (16 nt) (a multiple of 8), so that the part
 * of b's panels they read stays in L1 over all the pixels, in runs of
 * 6 in the order of (n, y, x) (of RUN16 with AVX-512).
 */
static void
walk_run(const struct walk *w, const ptrdiff_t *toff, size_t nt, size_t K,
    const float *b, size_t Co)
{
	size_t total = w->nc * w->nh * w->nw;
	size_t most = PANEL_FLOATS / (16 * nt), nb = (K + most - 1) / most;
	size_t kb = ((K + nb - 1) / nb + 7) / 8 * 8;
	int wide = conv_avx512();
	for (size_t j = 0; j < Co; ) {
		int nv = Co - j >= 16 ? 2 : 1;
		/* AVX-512: two panels at a time where there are two */
		int np = wide && nv == 2 ? (Co - j >= 32 ? 2 : 1) : 0;
		size_t run = np ? RUN16 : 6, pst = 16 * nt * K;
		for (size_t k0 = 0; k0 < K; k0 += kb) {
			size_t kn = K - k0 < kb ? K - k0 : kb;
			const float *bj = b + j * nt * K + k0 * 8 * nv;
			size_t n = 0, y = 0, x = 0;
			for (size_t q = 0; q < total; q += run) {
				const float *a[RUN16];
				float *c[RUN16];
				int r = total - q < run ? (int)(total - q) :
				    (int)run;
				for (int i = 0; i < r; i++) {
					a[i] = w->a + n * w->an + y * w->ay +
					    x * w->ax + k0;
					c[i] = w->c + n * w->cn + y * w->cy +
					    x * w->cx + j;
					if (++x == w->nw) {
						x = 0;
						if (++y == w->nh) {
							y = 0;
							n++;
						}
					}
				}
				if (np)
					kernels16[np - 1][r](c, a, toff, nt,
					    kn, bj, 16, 16 * K, k0 > 0, pst);
				else
					kernels[r](c, a, toff, nt, kn, bj,
					    8 * nv, K * 8 * nv, k0 > 0, nv);
			}
		}
		j += np == 2 ? 32 : 16;
	}
}

/* ------------------------------------------------------------- forward */

/* wf [9 C, OC] (in panels) = weight [OC, C, 3, 3] */
static void
weights_forward(float *wf, const float *w, const struct geo *g,
    size_t threads)
{
	size_t C = g->C, OC = g->OC;
#pragma omp parallel for schedule(static) num_threads(threads) \
    if (C * OC >= 4096)
	for (size_t c = 0; c < C; c++)
		for (size_t t = 0; t < 9; t++)
			for (size_t oc = 0; oc < OC; oc++)
				wf[panel_at(9 * C, OC, t * C + c, oc)] =
				    w[(oc * C + c) * 9 + t];
}

static void weights_dinp(float *wd, const float *w, const struct geo *g,
    size_t threads);

/*
 * The weights in panels, part 0 (forward) or 1 (input gradient):
 * cache's if made from these weights, else made again (into the cache
 * where there is one, else into scratch)
 */
static const float *
weights_part(float *scratch, const float *weight, int part,
    const struct geo *g, size_t threads, struct conv_cache *c)
{
	int make;
	float *w = conv_cache_take(c, part, scratch, weight, 9 * g->C * g->OC,
	    &make);
	if (make && part == 0)
		weights_forward(w, weight, g, threads);
	else if (make)
		weights_dinp(w, weight, g, threads);
	return w;
}

size_t
conv_s2c_cache_floats(const struct conv2d_shape *s)
{
	if (!shape_fits(s))
		return 0;
	struct geo g;
	geo_set(&g, s);
	return w_floats(&g);
}

void
conv_s2c_forward(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post)
{
	conv_s2c_forward_cached(out, scratch, inp, weight, bias, N, s,
	    threads, post, NULL);
}

void
conv_s2c_forward_cached(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post, struct conv_cache *cache)
{
	struct geo g;
	geo_set(&g, s);
	threads = threads ? threads : 1;
	size_t C = g.C, OC = g.OC, ohw = g.OH * g.OW, per = fwd_floats(&g);
	size_t in_sz = C * g.H * g.W, nch = (N + g.nf - 1) / g.nf;
	float *base = scratch + w_floats(&g);
	/* the 3 taps of a kernel row read 3 C consecutive floats */
	ptrdiff_t toff[3];
	for (size_t ky = 0; ky < 3; ky++)
		toff[ky] = (ptrdiff_t)(ky * g.Wp * C);
	const float *wf = weights_part(scratch, weight, 0, &g, threads,
	    cache);
#pragma omp parallel num_threads(threads)
	{
		float *X = base + (size_t)omp_get_thread_num() * per;
		float *Y = X + g.nf * g.xs;
		/* the frames stay zero: only the images are written */
		memset(X, 0, g.nf * g.xs * sizeof *X);
#pragma omp for schedule(dynamic, 1)
		for (size_t ch = 0; ch < nch; ch++) {
			size_t n0 = ch * g.nf;
			size_t nc = N - n0 < g.nf ? N - n0 : g.nf;
			for (size_t i = 0; i < nc; i++)
				hwc_from_chw(X + i * g.xs + (g.Wp + 1) * C,
				    g.Wp, inp + (n0 + i) * in_sz, C, g.H,
				    g.W);
			struct walk w = { nc, g.OH, g.OW, X, g.xs,
			    2 * g.Wp * C, 2 * C, Y, g.ys, g.OW * OC, OC };
			walk_run(&w, toff, 3, 3 * C, wf, OC);
			for (size_t i = 0; i < nc; i++) {
				float *y = out + (n0 + i) * OC * ohw;
				hwc_to_chw_post(y, Y + i * g.ys, g.OW, OC,
				    g.OH, g.OW, bias, post, n0 + i);
			}
		}
	}
}

/* ------------------------------------------------------ input gradient */

/*
 * Phase ph = 2 py + px holds the pixels (h, w) of dinp with padded row
 * h + 1 of parity py and column w + 1 of parity px; its taps are those
 * with ky = py (mod 2), kx = px (mod 2), ky-major and kx descending
 * (kx 2 reads the dout pixel left of kx 0's: the two are 2 OC
 * consecutive floats).
 */
static size_t
phase_taps(size_t ph, size_t tap[4])
{
	size_t py = ph >> 1, px = ph & 1, n = 0;
	for (size_t ky = py; ky < 3; ky += 2)
		for (int kx = 2 - (int)px; kx >= 0; kx -= 2)
			tap[n++] = ky * 3 + (size_t)kx;
	return n;
}

/* wd = weight [OC, C, 3, 3] transposed, per phase [taps OC, C] (in
 * panels), the phases in order */
static void
weights_dinp(float *wd, const float *w, const struct geo *g,
    size_t threads)
{
	size_t C = g->C, OC = g->OC, order[9], base[9], rows[9], r0[9];
	size_t n = 0;
	for (size_t ph = 0; ph < 4; ph++) {
		size_t nt = phase_taps(ph, order + n);
		for (size_t i = 0; i < nt; i++) {
			base[n + i] = n * OC * C;
			rows[n + i] = nt * OC;
			r0[n + i] = i * OC;
		}
		n += nt;
	}
#pragma omp parallel for schedule(static) num_threads(threads) \
    if (C * OC >= 4096)
	for (size_t oc = 0; oc < OC; oc++)
		for (size_t i = 0; i < 9; i++)
			for (size_t c = 0; c < C; c++)
				wd[base[i] + panel_at(rows[i], C, r0[i] + oc,
				    c)] = w[(oc * C + c) * 9 + order[i]];
}

/*
 * DX of nc images = the input gradient from their framed dout D, a
 * phase at a time: dinp pixel (2y + 1 - py, 2x + 1 - px) is framed
 * dout pixel (y + 1 - py, x + 1 - px) minus (ky/2, kx/2) per tap
 */
static void
dinp_chunk(float *DX, const float *D, const float *wd, size_t nc,
    const struct geo *g)
{
	size_t C = g->C, OC = g->OC, W = g->W, Dw = g->Dw;
	const float *b = wd;
	for (size_t ph = 0; ph < 4; ph++) {
		size_t py = ph >> 1, px = ph & 1, tap[4];
		size_t nt = phase_taps(ph, tap), nr = py ? 1 : 2;
		/* a run of 2 - px taps per kernel row, from its first */
		ptrdiff_t toff[2];
		for (size_t r = 0; r < nr; r++) {
			size_t t = tap[r * (2 - px)];
			toff[r] = -(ptrdiff_t)(((t / 3) / 2 * Dw +
			    (t % 3) / 2) * OC);
		}
		size_t nh = py ? (g->H + 1) / 2 : g->H / 2;
		size_t nw = px ? (W + 1) / 2 : W / 2;
		struct walk w = { nc, nh, nw,
		    D + ((1 - py) * Dw + 1 - px) * OC, g->ds, Dw * OC, OC,
		    DX + ((1 - py) * W + 1 - px) * C, g->dxs, 2 * W * C,
		    2 * C };
		if (nh && nw)
			walk_run(&w, toff, nr, (2 - px) * OC, b, C);
		b += nt * OC * C;
	}
}

void
conv_s2c_backward_dinp(float *dinp, float *scratch, const float *dout,
    const float *weight, size_t N, const struct conv2d_shape *s,
    size_t threads, int acc)
{
	conv_s2c_backward_dinp_cached(dinp, scratch, dout, weight, N, s,
	    threads, acc, NULL);
}

void
conv_s2c_backward_dinp_cached(float *dinp, float *scratch,
    const float *dout, const float *weight, size_t N,
    const struct conv2d_shape *s, size_t threads, int acc,
    struct conv_cache *cache)
{
	struct geo g;
	geo_set(&g, s);
	threads = threads ? threads : 1;
	size_t C = g.C, OC = g.OC, per = dinp_floats(&g);
	size_t in_sz = C * g.H * g.W, out_sz = OC * g.OH * g.OW;
	size_t nch = (N + g.nd - 1) / g.nd;
	float *base = scratch + w_floats(&g);
	const float *wd = weights_part(scratch, weight, 1, &g, threads,
	    cache);
#pragma omp parallel num_threads(threads)
	{
		float *D = base + (size_t)omp_get_thread_num() * per;
		float *DX = D + g.nd * g.ds;
		memset(D, 0, g.nd * g.ds * sizeof *D);
#pragma omp for schedule(dynamic, 1)
		for (size_t ch = 0; ch < nch; ch++) {
			size_t n0 = ch * g.nd;
			size_t nc = N - n0 < g.nd ? N - n0 : g.nd;
			for (size_t i = 0; i < nc; i++)
				hwc_from_chw(D + i * g.ds, g.Dw, dout +
				    (n0 + i) * out_sz, OC, g.OH, g.OW);
			dinp_chunk(DX, D, wd, nc, &g);
			for (size_t i = 0; i < nc; i++)
				hwc_to_chw(dinp + (n0 + i) * in_sz, DX +
				    i * g.dxs, g.W, C, g.H, g.W, NULL, acc);
		}
	}
}

/* ----------------------------------------------------- weight gradient */

/*
 * dw [6, 8 NV] (ld ldw) (= or += when beta) the sum over the output
 * rows r0 .. r0 + nr - 1 of the chunk (image r / OH, row r % OH) and
 * their pixels ox, in order, of x [6 floats at framed pixel (2 oy,
 * 2 ox) of the image] times dy [the output pixel's 8 NV channels]
 */
AVX_INLINE void
dw_kernel(float *dw, size_t ldw, const float *x, const float *dy,
    size_t r0, size_t nr, const struct geo *g, int beta, const int NV)
{
	size_t C = g->C, OC = g->OC, n = r0 / g->OH, oy = r0 % g->OH;
	__m256 acc[6][2];
#pragma GCC unroll 6
	for (int i = 0; i < 6; i++)
#pragma GCC unroll 2
		for (int j = 0; j < NV; j++)
			acc[i][j] = beta ? _mm256_loadu_ps(dw + i * ldw +
			    8 * j) : _mm256_setzero_ps();
	for (size_t r = r0; r < r0 + nr; r++) {
		const float *a = x + n * g->xs + 2 * oy * g->Wp * C;
		const float *b = dy + r * g->OW * OC;
		for (size_t ox = 0; ox < g->OW; ox++, a += 2 * C, b += OC) {
			__m256 b0 = _mm256_loadu_ps(b);
			__m256 b1 = NV > 1 ? _mm256_loadu_ps(b + 8) : b0;
#pragma GCC unroll 6
			for (int i = 0; i < 6; i++) {
				__m256 v = _mm256_broadcast_ss(a + i);
				acc[i][0] = _mm256_fmadd_ps(v, b0, acc[i][0]);
				if (NV > 1)
					acc[i][1] = _mm256_fmadd_ps(v, b1,
					    acc[i][1]);
			}
		}
		if (++oy == g->OH) {
			oy = 0;
			n++;
		}
	}
#pragma GCC unroll 6
	for (int i = 0; i < 6; i++)
#pragma GCC unroll 2
		for (int j = 0; j < NV; j++)
			_mm256_storeu_ps(dw + i * ldw + 8 * j, acc[i][j]);
}

/* dw_kernel with AVX-512: 12 rows x 16 channels, a register each; the
 * same FMAs in the same order */
static AVX512 void
dw_kernel16(float *dw, size_t ldw, const float *x, const float *dy,
    size_t r0, size_t nr, const struct geo *g, int beta)
{
	size_t C = g->C, OC = g->OC, n = r0 / g->OH, oy = r0 % g->OH;
	__m512 acc[12];
#pragma GCC unroll 12
	for (int i = 0; i < 12; i++)
		acc[i] = beta ? _mm512_loadu_ps(dw + i * ldw) :
		    _mm512_setzero_ps();
	for (size_t r = r0; r < r0 + nr; r++) {
		const float *a = x + n * g->xs + 2 * oy * g->Wp * C;
		const float *b = dy + r * g->OW * OC;
		for (size_t ox = 0; ox < g->OW; ox++, a += 2 * C, b += OC) {
			__m512 b0 = _mm512_loadu_ps(b);
#pragma GCC unroll 12
			for (int i = 0; i < 12; i++)
				acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i]),
				    b0, acc[i]);
		}
		if (++oy == g->OH) {
			oy = 0;
			n++;
		}
	}
#pragma GCC unroll 12
	for (int i = 0; i < 12; i++)
		_mm512_storeu_ps(dw + i * ldw, acc[i]);
}

static AVX void
dw_kernel_2(float *dw, size_t ldw, const float *x, const float *dy,
    size_t r0, size_t nr, const struct geo *g, int beta)
{
	dw_kernel(dw, ldw, x, dy, r0, nr, g, beta, 2);
}

static AVX void
dw_kernel_1(float *dw, size_t ldw, const float *x, const float *dy,
    size_t r0, size_t nr, const struct geo *g, int beta)
{
	dw_kernel(dw, ldw, x, dy, r0, nr, g, beta, 1);
}

/* 6 rows by the AVX2 kernels: 16 channels (wide) or 8 */
static void
dw_rows6(float *dw, size_t ldw, const float *x, const float *dy,
    size_t r0, size_t nr, const struct geo *g, int beta, int wide)
{
	if (wide)
		dw_kernel_2(dw, ldw, x, dy, r0, nr, g, beta);
	else
		dw_kernel_1(dw, ldw, x, dy, r0, nr, g, beta);
}

/*
 * dweight [OC,C,3,3] += dW [9 C, OC], dW's row ky 3 C + kx C + c the
 * sum over all output pixels of framed input pixel (2 oy + ky, 2 ox +
 * kx) channel c times dout's pixel: so the 3 C rows of a ky are the 3 C
 * consecutive floats of pixels (2 oy + ky, 2 ox .. 2 ox + 2).  Chunks
 * of images go in order (transposed in parallel over the images); the
 * blocks of 6 rows x 16 channels are split among the threads, each
 * thread passing its blocks over a chunk a band of output rows at a
 * time, adding to what the bands before left: every sum runs over the
 * images and pixels in order, on any number of threads.
 */
void
conv_s2c_backward_dweight(float *dweight, float *scratch,
    const float *dout, const float *inp, size_t N,
    const struct conv2d_shape *s, size_t threads)
{
	struct geo g;
	geo_set(&g, s);
	threads = threads ? threads : 1;
	size_t C = g.C, OC = g.OC, in_sz = C * g.H * g.W;
	size_t out_sz = OC * g.OH * g.OW;
	/* blocks of 12 rows with AVX-512 (9 C is a multiple of 72) */
	int wide = conv_avx512();
	size_t rows = wide ? 12 : 6;
	size_t ob = (OC + 15) / 16, nb = 9 * C / rows * ob;
	if (N == 0)
		return;
	float *dW = scratch, *X = scratch + w_floats(&g);
	float *Y = X + g.nw * g.xs;
#pragma omp parallel num_threads(threads)
	{
#pragma omp for schedule(static)
		for (size_t i = 0; i < g.nw; i++)
			memset(X + i * g.xs, 0, g.xs * sizeof *X);
		for (size_t n0 = 0; n0 < N; n0 += g.nw) {
			size_t nc = N - n0 < g.nw ? N - n0 : g.nw;
#pragma omp for schedule(dynamic, 1)
			for (size_t i = 0; i < nc; i++) {
				hwc_from_chw(X + i * g.xs + (g.Wp + 1) * C,
				    g.Wp, inp + (n0 + i) * in_sz, C, g.H,
				    g.W);
				hwc_from_chw(Y + i * g.ys, g.OW, dout +
				    (n0 + i) * out_sz, OC, g.OH, g.OW);
			}
			/* this thread's blocks, a band of rows at a time */
			size_t T = (size_t)omp_get_num_threads();
			size_t th = (size_t)omp_get_thread_num();
			size_t b0 = nb * th / T, b1 = nb * (th + 1) / T;
			for (size_t r0 = 0; r0 < nc * g.OH; r0 += g.band) {
				size_t nr = nc * g.OH - r0 < g.band ?
				    nc * g.OH - r0 : g.band;
				for (size_t blk = b0; blk < b1; blk++) {
					size_t r = blk / ob * rows;
					size_t o = blk % ob * 16;
					size_t ky = r / (3 * C), j = r % (3 * C);
					const float *x = X + ky * g.Wp * C + j;
					float *d = dW + r * OC + o;
					int beta = n0 > 0 || r0 > 0;
					if (OC - o >= 16 && wide)
						dw_kernel16(d, OC, x, Y + o, r0,
						    nr, &g, beta);
					else
						for (size_t h = 0; h < rows;
						    h += 6)
							dw_rows6(d + h * OC,
							    OC, x + h, Y + o,
							    r0, nr, &g, beta,
							    OC - o >= 16);
				}
			}
#pragma omp barrier
		}
	}
#pragma omp parallel for schedule(static) num_threads(threads) \
    if (C * OC >= 4096)
	for (size_t oc = 0; oc < OC; oc++)
		for (size_t c = 0; c < C; c++)
			for (size_t t = 0; t < 9; t++)
				dweight[(oc * C + c) * 9 + t] +=
				    dW[(t * C + c) * OC + oc];
}
