/* conv_wcb.c - Winograd F(4x4,3x3), channel-blocked (see conv_wcb.h). */
#include <immintrin.h>
#include <omp.h>
#include <string.h>

#include "conv3x3.h"
#include "conv_wcb.h"
#include "hwc.h"
#include "wino_f4.h"

#define AVX __attribute__((target("avx2,fma")))
#define AVX_INLINE __attribute__((target("avx2,fma"), always_inline)) \
	static inline
#define AVX512 __attribute__((target("avx512f,fma")))
#define AVX512_INLINE __attribute__((target("avx512f,fma"), \
	always_inline)) static inline

/*
 * Tiles per chunk, and at most CHUNK_FLOATS of V and M together but at
 * least CHUNK_LEAST tiles: the forward pass and the input gradient keep
 * a chunk of the narrow layers in L2, and the wide ones (U [36, C, OC]
 * is 38 MB at 512 channels, streamed once per chunk) get rows enough
 * to pay for U's passes; the weight gradient, whose products sum over
 * the tiles, takes longer chunks (fewer passes over dU, fewer
 * barriers).
 */
#define CHUNK_TILES 64
#define CHUNK_FLOATS ((size_t)1 << 18)
#define CHUNK_LEAST 48
#define CHUNK_TILES_DW 512
#define CHUNK_FLOATS_DW ((size_t)1 << 20)
#define CHUNK_LEAST_DW 128

static int mode = CONV_WCB_AUTO;

void
conv_wcb_set(int m)
{
	mode = m;
}

/*
 * Where it beat conv3x3.c, conv_wino.c and im2col + BLIS (zen3,
 * bench/conv.sh and the CPU time of single layers, batch 128): every
 * part of every stride-1 layer at width 16 (one thread and two:
 * 1.4-2.6x the best of the others), and at width 64 the forward pass
 * and the input gradient everywhere (up to 2x), the weight gradient up
 * to 256 channels (1.1-1.3x).  The weight gradient of 512 channels on
 * 4x4 maps stays with conv_wino.c's F(2x2,3x3) (1.1x): there the
 * products' passes over dU [36, C, OC] (38 MB) cost more than BLIS's
 * packing.  With the AVX-512 products (2-core Xeon, `THREADS=1
 * CLOCK=cpu STAT=min REPS=3 STRIDE=1 bench/conv.sh 64 128`) that one
 * too: 51 ms against conv_wino.c's 64.
 */
static int
use_wcb(const struct conv2d_shape *s, int part)
{
	size_t c = s->C < s->OC ? s->C : s->OC;
	return part != CONV_WCB_DWEIGHT || c < 512 || conv_avx512();
}

/* 3x3 stride 1 padding 1, channels in 8s: what this file computes */
static int
shape_fits(const struct conv2d_shape *s)
{
	return s->KS == 3 && s->stride == 1 && s->pad == 1 && s->C % 8 == 0 &&
	    s->OC % 8 == 0;
}

int
conv_wcb_applies(const struct conv2d_shape *s, int part)
{
	if (!shape_fits(s) || mode == CONV_WCB_OFF || !conv3x3_cpu_ok())
		return 0;
	return mode == CONV_WCB_ON || use_wcb(s, part);
}

/*
 * One convolution Ci -> Co channels on [H, W] maps (the input gradient
 * is one of OC -> C), in 4x4 output tiles from 6x6 input tiles: the
 * input framed by zeros is P [Hp, Wp, Ci], the output before its
 * transpose Y [4 TH, 4 TW, Co].
 */
struct cgeo {
	size_t Ci, Co, H, W;
	size_t TH, TW, tpi;   /* tile rows, columns, tiles per image */
	size_t Hp, Wp;
	size_t nc, T;         /* images and tiles per chunk */
};

static void
cgeo_set(struct cgeo *g, size_t Ci, size_t Co, size_t H, size_t W,
    size_t tiles, size_t floats, size_t fewest)
{
	g->Ci = Ci;
	g->Co = Co;
	g->H = H;
	g->W = W;
	g->TH = (H + 3) / 4;
	g->TW = (W + 3) / 4;
	g->tpi = g->TH * g->TW;
	g->Hp = 4 * g->TH + 2;
	g->Wp = 4 * g->TW + 2;
	size_t nc = (tiles + g->tpi - 1) / g->tpi;
	size_t least = (fewest + g->tpi - 1) / g->tpi;
	while (nc > least && 36 * nc * g->tpi * (Ci + Co) > floats)
		nc--;
	/* a short chunk: whole blocks of 6 rows for the products, if
	 * that costs at most half of it */
	for (size_t k = nc; k * g->tpi < tiles && 2 * k > nc; k--)
		if (k * g->tpi % 6 == 0) {
			nc = k;
			break;
		}
	g->nc = nc;
	g->T = nc * g->tpi;
}

static void
cgeo_part(struct cgeo *g, const struct conv2d_shape *s, int part)
{
	if (part == CONV_WCB_DINP)
		cgeo_set(g, s->OC, s->C, s->H, s->W, CHUNK_TILES,
		    CHUNK_FLOATS, CHUNK_LEAST);
	else if (part == CONV_WCB_FWD)
		cgeo_set(g, s->C, s->OC, s->H, s->W, CHUNK_TILES,
		    CHUNK_FLOATS, CHUNK_LEAST);
	else
		cgeo_set(g, s->C, s->OC, s->H, s->W, CHUNK_TILES_DW,
		    CHUNK_FLOATS_DW, CHUNK_LEAST_DW);
}

static size_t
up16(size_t n)
{
	return (n + 15) / 16 * 16;
}

/*
 * Floats from one of the 36 planes of V (or M) to the next: one cache
 * line past a multiple of 16 floats, so that 36 streams a power of two
 * apart do not fall into the same few cache sets.
 */
static size_t
plane(size_t n)
{
	return up16(n) + 16;
}

/* per thread: P, Y, V [36, plane(T Ci)], M [36, plane(T Co)] */
static size_t
p_floats(const struct cgeo *g)
{
	return up16(g->Hp * g->Wp * g->Ci);
}

static size_t
y_floats(const struct cgeo *g)
{
	size_t c = g->Ci > g->Co ? g->Ci : g->Co;
	return up16(16 * g->tpi * c);
}

static size_t
thread_floats(const struct cgeo *g)
{
	return p_floats(g) + y_floats(g) + 36 * (plane(g->T * g->Ci) +
	    plane(g->T * g->Co));
}

/* U or dU [36, plane(C OC)] first */
static size_t
u_floats(const struct conv2d_shape *s)
{
	return 36 * plane(s->C * s->OC);
}

static size_t
per_floats(const struct conv2d_shape *s)
{
	size_t n = 0;
	for (int part = CONV_WCB_FWD; part <= CONV_WCB_DWEIGHT; part++) {
		struct cgeo g;
		cgeo_part(&g, s, part);
		size_t t = thread_floats(&g);
		n = t > n ? t : n;
	}
	return n;
}

size_t
conv_wcb_scratch_floats(const struct conv2d_shape *s, size_t threads)
{
	return u_floats(s) + (threads ? threads : 1) * per_floats(s);
}

/* ------------------------------------------------------- layout changes */

/* zero the frame of P [Hp, Wp, Ci] around the image [H, W] at (1, 1) */
static void
zero_frame(float *P, const struct cgeo *g)
{
	size_t Ci = g->Ci, row = g->Wp * Ci;
	memset(P, 0, row * sizeof *P);
	for (size_t h = 1; h <= g->H; h++) {
		float *r = P + h * row;
		memset(r, 0, Ci * sizeof *P);
		memset(r + (g->W + 1) * Ci, 0,
		    (g->Wp - g->W - 1) * Ci * sizeof *P);
	}
	memset(P + (g->H + 1) * row, 0, (g->Hp - g->H - 1) * row *
	    sizeof *P);
}

/* zero Q [4 TH, 4 TW, Co] outside the image [H, W] at (0, 0) */
static void
zero_outside(float *Q, const struct cgeo *g)
{
	size_t Co = g->Co, Wq = 4 * g->TW, row = Wq * Co;
	for (size_t h = 0; h < g->H; h++)
		memset(Q + h * row + g->W * Co, 0, (Wq - g->W) * Co *
		    sizeof *Q);
	memset(Q + g->H * row, 0, (4 * g->TH - g->H) * row * sizeof *Q);
}

/* ------------------------------------------------------------ transforms */

/*
 * The transforms (conv_wcb_tf.h) with AVX2, 8 channels a vector, and
 * with AVX-512, 16: the AVX-512 ones where the CPU has them and the
 * channels come in 16s.
 */
#define VEC __m256
#define VW 8
#define VOP(op) _mm256_##op##_ps
#define ATTR AVX
#define INLINE AVX_INLINE
#define TF(f) f##_avx2
#include "conv_wcb_tf.h"

#define VEC __m512
#define VW 16
#define VOP(op) _mm512_##op##_ps
#define ATTR AVX512
#define INLINE AVX512_INLINE
#define TF(f) f##_avx512
#include "conv_wcb_tf.h"

static int
wide(size_t channels)
{
	return channels % 16 == 0 && conv_avx512();
}

/* V [36, T, Ci] (plane vs) rows t0.. = B^T d B of P's tiles */
static void
transform_input(float *V, size_t vs, size_t t0, const float *P,
    const struct cgeo *g)
{
	if (wide(g->Ci))
		transform_input_avx512(V, vs, t0, P, g);
	else
		transform_input_avx2(V, vs, t0, P, g);
}

/* Y [4 TH, 4 TW, Co] = A^T m A of M [36, T, Co] rows t0.. */
static void
transform_output(float *Y, const float *M, size_t ms, size_t t0,
    const struct cgeo *g)
{
	if (wide(g->Co))
		transform_output_avx512(Y, M, ms, t0, g);
	else
		transform_output_avx2(Y, M, ms, t0, g);
}

/* Dg [36, T, Co] (plane ds) rows t0.. = A dY A^T of Q's tiles */
static void
transform_dout(float *Dg, size_t ds, size_t t0, const float *Q,
    const struct cgeo *g)
{
	if (wide(g->Co))
		transform_dout_avx512(Dg, ds, t0, Q, g);
	else
		transform_dout_avx2(Dg, ds, t0, Q, g);
}

/* y = G (a, b, c)^T for 8 channel pairs: wino_f4_g's operations */
AVX_INLINE void
g6(__m256 y[6], __m256 a, __m256 b, __m256 c)
{
	__m256 third = _mm256_set1_ps(1.0f / 3.0f);
	__m256 fifteenth = _mm256_set1_ps(1.0f / 15.0f);
	__m256 neg = _mm256_set1_ps(-0.0f);
	y[0] = a;
	y[1] = _mm256_mul_ps(_mm256_add_ps(_mm256_add_ps(a, b), c), third);
	y[2] = _mm256_xor_ps(_mm256_mul_ps(_mm256_add_ps(_mm256_sub_ps(a, b),
	    c), third), neg);
	y[3] = _mm256_xor_ps(_mm256_mul_ps(_mm256_add_ps(_mm256_add_ps(
	    _mm256_mul_ps(_mm256_set1_ps(16.0f), a), _mm256_mul_ps(
	    _mm256_set1_ps(8.0f), b)), _mm256_mul_ps(_mm256_set1_ps(4.0f), c)),
	    fifteenth), neg);
	y[4] = _mm256_mul_ps(_mm256_add_ps(_mm256_sub_ps(a, _mm256_mul_ps(
	    _mm256_set1_ps(2.0f), b)), _mm256_mul_ps(_mm256_set1_ps(4.0f), c)),
	    fifteenth);
	y[5] = c;
}

/*
 * Where column j of b [K, N] starts, and in *ld the floats from a row
 * to the next: b's ld bks, or for bks 0 b packed in panels of 32
 * columns, [N / 32, K, 32] (the last one narrower), each read in order
 */
static size_t
column(size_t bks, size_t N, size_t K, size_t j, size_t *ld)
{
	if (bks) {
		*ld = bks;
		return j;
	}
	size_t p0 = j / 32 * 32;
	*ld = N - p0 < 32 ? N - p0 : 32;
	return p0 * K + j - p0;
}

/*
 * U [36, Ci, Co] (plane plane(Ci Co)) = G g G^T per channel pair, 8
 * output channels at a time: g = weight [Co,Ci,3,3] [co][ci] (flip 0),
 * or the flipped weight [Ci,Co,3,3] [ci][co][2-u][2-v] (flip 1: the
 * input gradient's kernel).  Each plane in panels of 32 output
 * channels (column()): a panel's Ci rows are read in order, where rows
 * Co apart put the hardware prefetcher off (a 512-channel U, 38 MB,
 * came from L3 at 5 GB/s: products at 65 GFLOP/s, not 130)
 */
static AVX void
transform_weights(float *U, const float *weight, int flip,
    const struct cgeo *g, size_t threads)
{
	size_t Ci = g->Ci, Co = g->Co, pl = plane(Ci * Co);
	/* lane k reads pair co + k: 9 floats apart (flip) or Ci 9 */
	__m256i idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5,
	    6, 7), _mm256_set1_epi32((int)(flip ? 9 : Ci * 9)));
#pragma omp parallel for schedule(static) num_threads(threads) \
    if (Ci * Co >= 4096)
	for (size_t ci = 0; ci < Ci; ci++)
		for (size_t co = 0; co < Co; co += 8) {
			const float *w = weight + (flip ? ci * Co + co :
			    co * Ci + ci) * 9;
			__m256 gk[3][3], a[6][3];
			for (int u = 0; u < 3; u++)
				for (int v = 0; v < 3; v++)
					gk[u][v] = _mm256_i32gather_ps(w +
					    (flip ? (2 - u) * 3 + 2 - v :
					    u * 3 + v), idx, 4);
			for (int v = 0; v < 3; v++) {
				__m256 col[6];
				g6(col, gk[0][v], gk[1][v], gk[2][v]);
				for (int i = 0; i < 6; i++)
					a[i][v] = col[i];
			}
			size_t pw;
			float *u = U + column(0, Co, Ci, co, &pw) + ci * pw;
			for (int i = 0; i < 6; i++) {
				__m256 row[6];
				g6(row, a[i][0], a[i][1], a[i][2]);
				for (int j = 0; j < 6; j++)
					_mm256_storeu_ps(u + (size_t)(i * 6 +
					    j) * pl, row[j]);
			}
		}
}

/* -------------------------------------------------------------- products */

/*
 * c [R, 8 NV] (ld ldc) (= or += when beta) sum over k < K of
 * a (i, k) = a [i ars + k aks] times b [k bks + j]: R <= 6 rows in
 * registers, 8 or 16 columns; each sum in the order of k
 */
AVX_INLINE void
kernel(float *c, size_t ldc, const float *a, size_t ars, size_t aks,
    const float *b, size_t bks, size_t K, int beta, const char *pf,
    size_t npf, const int R, const int NV)
{
	__m256 acc[6][2];
#pragma GCC unroll 6
	for (int i = 0; i < R; i++)
#pragma GCC unroll 2
		for (int j = 0; j < NV; j++)
			acc[i][j] = beta ? _mm256_loadu_ps(c + i * ldc +
			    8 * j) : _mm256_setzero_ps();
	for (size_t k = 0; k < K; k++, a += aks, b += bks) {
		if (k < npf)
			_mm_prefetch(pf + 64 * k, _MM_HINT_T1);
		__m256 b0 = _mm256_loadu_ps(b);
		__m256 b1 = NV > 1 ? _mm256_loadu_ps(b + 8) : b0;
#pragma GCC unroll 6
		for (int i = 0; i < R; i++) {
			__m256 v = _mm256_broadcast_ss(a + i * ars);
			acc[i][0] = _mm256_fmadd_ps(v, b0, acc[i][0]);
			if (NV > 1)
				acc[i][1] = _mm256_fmadd_ps(v, b1, acc[i][1]);
		}
	}
#pragma GCC unroll 6
	for (int i = 0; i < R; i++)
#pragma GCC unroll 2
		for (int j = 0; j < NV; j++)
			_mm256_storeu_ps(c + i * ldc + 8 * j, acc[i][j]);
}

#define KERNEL_R(R) \
static AVX void \
kernel_##R(float *c, size_t ldc, const float *a, size_t ars, size_t aks, \
    const float *b, size_t bks, size_t K, int beta, const char *pf, \
    size_t npf, int nv) \
{ \
	if (nv == 2) \
		kernel(c, ldc, a, ars, aks, b, bks, K, beta, pf, npf, R, 2); \
	else \
		kernel(c, ldc, a, ars, aks, b, bks, K, beta, pf, npf, R, 1); \
}
KERNEL_R(1)
KERNEL_R(2)
KERNEL_R(3)
KERNEL_R(4)
KERNEL_R(5)
KERNEL_R(6)

typedef void kernel_fn(float *, size_t, const float *, size_t, size_t,
    const float *, size_t, size_t, int, const char *, size_t, int);
static kernel_fn *const kernels[7] = { NULL, kernel_1, kernel_2,
    kernel_3, kernel_4, kernel_5, kernel_6 };

/*
 * The same with AVX-512 (16 columns a vector, 32 registers): R <= 12
 * rows of 16 or 32 columns, enough sums in flight to cover the FMA's
 * latency on two 512-bit units, and 12 broadcasts for 24 FMAs (6 rows
 * of 32: 6 for 12, 20-45 % slower on the 2-core Xeon with the
 * operands in cache).  Each sum runs in the order of k with the same
 * FMAs as kernel(): the same bytes.
 */

AVX512_INLINE void
kernel16(float *c, size_t ldc, const float *a, size_t ars, size_t aks,
    const float *b, size_t bks, size_t K, int beta, const char *pf,
    size_t npf, const int R, const int NV)
{
	__m512 acc[12][2];
#pragma GCC unroll 12
	for (int i = 0; i < R; i++)
#pragma GCC unroll 2
		for (int j = 0; j < NV; j++)
			acc[i][j] = beta ? _mm512_loadu_ps(c + i * ldc +
			    16 * j) : _mm512_setzero_ps();
	for (size_t k = 0; k < K; k++, a += aks, b += bks) {
		/* b's row k + 8: U of 256 and 512 channels comes from L3
		 * (products of 512 channels 82 -> 136 GFLOP/s) */
		_mm_prefetch((const char *)(b + 8 * bks), _MM_HINT_T0);
		if (NV > 1)
			_mm_prefetch((const char *)(b + 8 * bks + 16),
			    _MM_HINT_T0);
		if (k < npf)
			_mm_prefetch(pf + 64 * k, _MM_HINT_T1);
		__m512 b0 = _mm512_loadu_ps(b);
		__m512 b1 = NV > 1 ? _mm512_loadu_ps(b + 16) : b0;
#pragma GCC unroll 12
		for (int i = 0; i < R; i++) {
			__m512 v = _mm512_set1_ps(a[i * ars]);
			acc[i][0] = _mm512_fmadd_ps(v, b0, acc[i][0]);
			if (NV > 1)
				acc[i][1] = _mm512_fmadd_ps(v, b1, acc[i][1]);
		}
	}
#pragma GCC unroll 12
	for (int i = 0; i < R; i++)
#pragma GCC unroll 2
		for (int j = 0; j < NV; j++)
			_mm512_storeu_ps(c + i * ldc + 16 * j, acc[i][j]);
}

/* kernel16 for R <= 12 rows of 16 or 32 (NV 2) columns */
#define KERNEL16_R(R, NV) \
static AVX512 void \
kernel16_##R##x##NV(float *c, size_t ldc, const float *a, size_t ars, \
    size_t aks, const float *b, size_t bks, size_t K, int beta, \
    const char *pf, size_t npf, int nv) \
{ \
	kernel16(c, ldc, a, ars, aks, b, bks, K, beta, pf, npf, R, NV); \
}
KERNEL16_R(1, 1) KERNEL16_R(2, 1) KERNEL16_R(3, 1) KERNEL16_R(4, 1)
KERNEL16_R(5, 1) KERNEL16_R(6, 1) KERNEL16_R(7, 1) KERNEL16_R(8, 1)
KERNEL16_R(9, 1) KERNEL16_R(10, 1) KERNEL16_R(11, 1) KERNEL16_R(12, 1)
KERNEL16_R(1, 2) KERNEL16_R(2, 2) KERNEL16_R(3, 2) KERNEL16_R(4, 2)
KERNEL16_R(5, 2) KERNEL16_R(6, 2) KERNEL16_R(7, 2) KERNEL16_R(8, 2)
KERNEL16_R(9, 2) KERNEL16_R(10, 2) KERNEL16_R(11, 2) KERNEL16_R(12, 2)

/* [nv - 1][rows]: up to 12 rows of 16 or 32 columns */
static kernel_fn *const kernels16[2][13] = {
	{ NULL, kernel16_1x1, kernel16_2x1, kernel16_3x1, kernel16_4x1,
	    kernel16_5x1, kernel16_6x1, kernel16_7x1, kernel16_8x1,
	    kernel16_9x1, kernel16_10x1, kernel16_11x1, kernel16_12x1 },
	{ NULL, kernel16_1x2, kernel16_2x2, kernel16_3x2, kernel16_4x2,
	    kernel16_5x2, kernel16_6x2, kernel16_7x2, kernel16_8x2,
	    kernel16_9x2, kernel16_10x2, kernel16_11x2, kernel16_12x2 },
};

/*
 * Lines of memory the products fetch into L2 while they compute, a
 * line per k of a kernel call (a burst of them before each call
 * waited on the line-fill buffers): the next chunk's input, then the
 * lines this chunk's output will be written to (both in L3 or memory
 * until the transposes touch them, which made those memory-bound).
 */
struct ahead {
	const char *p[2], *end[2];
	size_t step;                /* lines per kernel call, at most K */
};

/*
 * Channels in x out up to which the products fetch ahead: beyond, U
 * itself comes from L3 (512 x 512: 38 MB) and the extra lines slowed
 * the products by 3-8 % (bench/conv.sh shapes, one thread), where
 * they gave 2-8 % up to 128 channels and nothing at 256.
 */
#define AHEAD_MOST_CC (256 * 256)

/* f's step: all of its lines over `calls` kernel calls of K each */
static void
ahead_pace(struct ahead *f, size_t calls, size_t K)
{
	size_t lines = 0;
	for (int s = 0; s < 2; s++)
		lines += (size_t)(f->end[s] - f->p[s]) / 64;
	f->step = (lines + calls - 1) / calls;
	if (f->step > K)
		f->step = K;
}

/* *pf = the next lines of f (NULL: none); returns how many */
static size_t
ahead_take(struct ahead *f, const char **pf)
{
	*pf = NULL;
	if (f == NULL)
		return 0;
	for (int s = 0; s < 2; s++)
		if (f->p[s] < f->end[s]) {
			size_t left = (size_t)(f->end[s] - f->p[s]) / 64;
			size_t n = left < f->step ? left : f->step;
			*pf = f->p[s];
			f->p[s] += 64 * n;
			return n;
		}
	return 0;
}

/* kernel calls of product() for c [M, N] */
static size_t
product_calls(size_t M, size_t N)
{
	size_t j0 = 0, n = 0;
	if (conv_avx512())
		for (; j0 + 16 <= N; j0 += N - j0 >= 32 ? 32 : 16)
			n += (M + 11) / 12;
	for (; j0 < N; j0 += 16)
		n += (M + 5) / 6;
	return n;
}

/* c [M, N] (ld ldc) (= or +=) a [M, K] (strides ars, aks) b [K, N]
 * (ld bks, or 0: in panels, column()); N a multiple of 8: AVX-512
 * where the CPU has it, for all but a last 8 columns; each kernel call
 * fetches the next lines of f (or NULL) */
static void
product(float *c, size_t ldc, const float *a, size_t ars, size_t aks,
    const float *b, size_t bks, size_t M, size_t N, size_t K, int beta,
    struct ahead *f)
{
	size_t j0 = 0, ld;
	if (conv_avx512())
		while (j0 + 16 <= N) {
			int nv = N - j0 >= 32 ? 2 : 1;
			const float *bj = b + column(bks, N, K, j0, &ld);
			for (size_t i = 0; i < M; i += 12) {
				size_t r = M - i < 12 ? M - i : 12;
				const char *pf;
				size_t npf = ahead_take(f, &pf);
				kernels16[nv - 1][r](c + i * ldc + j0, ldc,
				    a + i * ars, ars, aks, bj, ld, K, beta, pf,
				    npf, nv);
			}
			j0 += 16 * (size_t)nv;
		}
	for (size_t j = j0; j < N; j += 16) {
		int nv = N - j >= 16 ? 2 : 1;
		const float *bj = b + column(bks, N, K, j, &ld);
		for (size_t i = 0; i < M; i += 6) {
			size_t r = M - i < 6 ? M - i : 6;
			const char *pf;
			size_t npf = ahead_take(f, &pf);
			kernels[r](c + i * ldc + j, ldc, a + i * ars, ars,
			    aks, bj, ld, K, beta, pf, npf, nv);
		}
	}
}

/* ---------------------------------------------------------------- passes */

/* P's image [H, W, Ci] (row pitch Wp) = x [Ci, H, W], through pre (nn.h)
 * if not NULL */
static void
read_input(float *P, size_t ld, const float *x, const struct conv_pre *pre,
    const struct cgeo *g)
{
	if (pre)
		hwc_from_chw_pre(P, ld, x, g->Ci, g->H, g->W, pre->scale,
		    pre->shift);
	else
		hwc_from_chw(P, ld, x, g->Ci, g->H, g->W);
}

/*
 * out [N, Co, H, W] (= + bias, or += when acc) the convolution of inp
 * [N, Ci, H, W] (through pre, or NULL) by U, then post on each image
 */
static void
run(float *out, float *scratch, const float *U, const float *inp,
    const struct conv_pre *pre, const float *bias, int acc, size_t N,
    const struct cgeo *g, size_t per, size_t threads,
    const struct conv_post *post)
{
	size_t Ci = g->Ci, Co = g->Co, HW = g->H * g->W;
	size_t upl = plane(Ci * Co);
	float *base = scratch + 36 * upl;
	/*
	 * chunks of at most g->nc images, as many for every thread: 128
	 * images of 4x4 maps went 48, 48, 32 to two threads (one waited
	 * a third of the time); every image's output is its own, so
	 * chunking changes no result
	 */
	size_t rounds = (N + threads * g->nc - 1) / (threads * g->nc);
	size_t cn = (N + threads * rounds - 1) / (threads * rounds);
	size_t nch = (N + cn - 1) / cn;
#pragma omp parallel for schedule(static, 1) num_threads(threads)
	for (size_t ch = 0; ch < nch; ch++) {
		float *P = base + (size_t)omp_get_thread_num() * per;
		float *Y = P + p_floats(g), *V = Y + y_floats(g);
		size_t n0 = ch * cn;
		size_t nc = N - n0 < cn ? N - n0 : cn;
		size_t T = nc * g->tpi;
		size_t vs = plane(T * Ci), ms = plane(T * Co);
		float *M = V + 36 * vs;
		zero_frame(P, g);
		for (size_t i = 0; i < nc; i++) {
			read_input(P + (g->Wp + 1) * Ci, g->Wp,
			    inp + (n0 + i) * Ci * HW, pre, g);
			transform_input(V, vs, i * g->tpi, P, g);
		}
		/* this thread's next chunk (static, 1) and this output */
		size_t m0 = ch + threads < nch ? (ch + threads) * cn : N;
		size_t m1 = N - m0 < cn ? N : m0 + cn;
		struct ahead f = {
			.p = { (const char *)(inp + m0 * Ci * HW),
			    (const char *)(out + n0 * Co * HW) },
			.end = { (const char *)(inp + m1 * Ci * HW),
			    (const char *)(out + (n0 + nc) * Co * HW) },
		};
		ahead_pace(&f, 36 * product_calls(T, Co), Ci);
		struct ahead *fp = Ci * Co <= AHEAD_MOST_CC ? &f : NULL;
		for (size_t xi = 0; xi < 36; xi++)
			product(M + xi * ms, Co, V + xi * vs, Ci, 1,
			    U + xi * upl, 0, T, Co, Ci, 0, fp);
		for (size_t i = 0; i < nc; i++) {
			float *y = out + (n0 + i) * Co * HW;
			transform_output(Y, M, ms, i * g->tpi, g);
			if (post)
				hwc_to_chw_post(y, Y, 4 * g->TW, Co, g->H, g->W,
				    bias, post, n0 + i);
			else
				hwc_to_chw(y, Y, 4 * g->TW, Co, g->H, g->W,
				    bias, acc);
		}
	}
}

size_t
conv_wcb_cache_floats(const struct conv2d_shape *s)
{
	return shape_fits(s) ? u_floats(s) : 0;
}

/*
 * U of the forward pass (flip 0) or the input gradient (flip 1): the
 * cache's if it was made from these weights, else transformed into the
 * cache (and the weights noted) or, without one, into scratch
 */
static const float *
weights_u(float *scratch, const float *weight, int flip,
    const struct cgeo *g, size_t threads, struct conv_cache *c)
{
	int make;
	float *U = conv_cache_take(c, flip, scratch, weight,
	    g->Ci * g->Co * 9, &make);
	if (make)
		transform_weights(U, weight, flip, g, threads);
	return U;
}

void
conv_wcb_forward_cached(float *out, float *scratch, const float *inp,
    const struct conv_pre *pre, const float *weight, const float *bias,
    size_t N, const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post, struct conv_cache *cache)
{
	struct cgeo g;
	cgeo_part(&g, s, CONV_WCB_FWD);
	threads = threads ? threads : 1;
	const float *U = weights_u(scratch, weight, 0, &g, threads, cache);
	run(out, scratch, U, inp, pre, bias, 0, N, &g, per_floats(s),
	    threads, post);
}

void
conv_wcb_forward(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post)
{
	conv_wcb_forward_cached(out, scratch, inp, NULL, weight, bias, N, s,
	    threads, post, NULL);
}

void
conv_wcb_backward_dinp_cached(float *dinp, float *scratch,
    const float *dout, const float *weight, size_t N,
    const struct conv2d_shape *s, size_t threads, int acc,
    struct conv_cache *cache)
{
	struct cgeo g;
	cgeo_part(&g, s, CONV_WCB_DINP);
	threads = threads ? threads : 1;
	const float *U = weights_u(scratch, weight, 1, &g, threads, cache);
	run(dinp, scratch, U, dout, NULL, NULL, acc, N, &g, per_floats(s),
	    threads, NULL);
}

void
conv_wcb_backward_dinp(float *dinp, float *scratch, const float *dout,
    const float *weight, size_t N, const struct conv2d_shape *s,
    size_t threads, int acc)
{
	conv_wcb_backward_dinp_cached(dinp, scratch, dout, weight, N, s,
	    threads, acc, NULL);
}

/*
 * wino_f4_gt on 8 columns: the same operations in the same order (no
 * FMA: the target has none, so none is contracted), the same bytes
 */
#define NOFMA __attribute__((target("avx2")))
static NOFMA inline void
gt8(__m256 y[3], const __m256 x[6])
{
	__m256 third = _mm256_set1_ps(1.0f / 3.0f);
	__m256 fifteenth = _mm256_set1_ps(1.0f / 15.0f);
	__m256 d12 = _mm256_sub_ps(x[1], x[2]);
	y[0] = _mm256_add_ps(_mm256_add_ps(x[0], _mm256_mul_ps(d12, third)),
	    _mm256_mul_ps(_mm256_sub_ps(x[4], _mm256_mul_ps(
	    _mm256_set1_ps(16.0f), x[3])), fifteenth));
	y[1] = _mm256_sub_ps(_mm256_mul_ps(_mm256_add_ps(x[1], x[2]), third),
	    _mm256_mul_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(8.0f),
	    x[3]), _mm256_mul_ps(_mm256_set1_ps(2.0f), x[4])), fifteenth));
	y[2] = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(d12, third),
	    _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(4.0f),
	    _mm256_sub_ps(x[4], x[3])), fifteenth)), x[5]);
}

/*
 * dweight [oc, c] += G^T u G for every oc, u [6, 6] = dU [., c, oc]:
 * 8 output channels at a time through a [3][6][OC] = G^T u (columns)
 */
static NOFMA void
dweight_from_du(float *dweight, float *a, const float *dU, size_t pl,
    size_t c, size_t C, size_t OC)
{
	for (size_t j = 0; j < 6; j++)
		for (size_t oc = 0; oc < OC; oc += 8) {
			__m256 x[6], y[3];
			for (size_t i = 0; i < 6; i++)
				x[i] = _mm256_loadu_ps(dU + (i * 6 + j) * pl +
				    c * OC + oc);
			gt8(y, x);
			for (size_t k = 0; k < 3; k++)
				_mm256_storeu_ps(a + (k * 6 + j) * OC + oc,
				    y[k]);
		}
	for (size_t k = 0; k < 3; k++)
		for (size_t oc = 0; oc < OC; oc += 8) {
			__m256 x[6], y[3];
			float t[3][8];
			for (size_t j = 0; j < 6; j++)
				x[j] = _mm256_loadu_ps(a + (k * 6 + j) * OC +
				    oc);
			gt8(y, x);
			for (size_t v = 0; v < 3; v++)
				_mm256_storeu_ps(t[v], y[v]);
			for (size_t l = 0; l < 8; l++) {
				float *dw = dweight + ((oc + l) * C + c) * 9 +
				    k * 3;
				for (size_t v = 0; v < 3; v++)
					dw[v] += t[v][l];
			}
		}
}

/*
 * dweight [OC,C,3,3] += G^T dU G, dU [36, C, OC] = the sum over all
 * tiles of V^T Dg, V from inp through pre (or NULL).  Chunks of images
 * go in order; in a chunk the transforms run over the images in
 * parallel and the 36 products over xi, each dU[xi] adding the chunks
 * in order: the same bytes on any number of threads.
 */
void
conv_wcb_backward_dweight(float *dweight, float *scratch,
    const float *dout, const float *inp, const struct conv_pre *pre,
    size_t N, const struct conv2d_shape *s, size_t threads)
{
	struct cgeo g;
	cgeo_part(&g, s, CONV_WCB_DWEIGHT);
	size_t C = g.Ci, OC = g.Co, HW = g.H * g.W, pl = plane(C * OC);
	size_t per = per_floats(s);
	float *dU = scratch, *base = scratch + 36 * pl;
	/* the chunk's V and Dg where thread 0 keeps its V and M */
	float *V = base + p_floats(&g) + y_floats(&g);
	threads = threads ? threads : 1;
#pragma omp parallel num_threads(threads)
	{
		float *P = base + (size_t)omp_get_thread_num() * per;
		float *Q = P + p_floats(&g);
		zero_frame(P, &g);
		zero_outside(Q, &g);
		for (size_t n0 = 0; n0 < N; n0 += g.nc) {
			size_t nc = N - n0 < g.nc ? N - n0 : g.nc;
			size_t T = nc * g.tpi;
			size_t vs = plane(T * C), ds = plane(T * OC);
			float *Dg = V + 36 * vs;
#pragma omp for schedule(dynamic, 1)
			for (size_t i = 0; i < nc; i++) {
				read_input(P + (g.Wp + 1) * C, g.Wp,
				    inp + (n0 + i) * C * HW, pre, &g);
				transform_input(V, vs, i * g.tpi, P, &g);
				hwc_from_chw(Q, 4 * g.TW, dout + (n0 + i) * OC * HW,
				    OC, g.H, g.W);
				transform_dout(Dg, ds, i * g.tpi, Q, &g);
			}
			/* the next chunk's share of this thread */
			size_t m0 = n0 + nc, m1 = N - m0 < g.nc ? N : m0 + g.nc;
			size_t t = (size_t)omp_get_thread_num(), nt =
			    (size_t)omp_get_num_threads();
			size_t lo = m0 + (m1 - m0) * t / nt;
			size_t hi = m0 + (m1 - m0) * (t + 1) / nt;
			struct ahead f = {
				.p = { (const char *)(inp + lo * C * HW),
				    (const char *)(dout + lo * OC * HW) },
				.end = { (const char *)(inp + hi * C * HW),
				    (const char *)(dout + hi * OC * HW) },
			};
			ahead_pace(&f, (36 + nt - 1) / nt *
			    product_calls(C, OC), T);
			struct ahead *fp = C * OC <= AHEAD_MOST_CC ? &f : NULL;
#pragma omp for schedule(static)
			for (size_t xi = 0; xi < 36; xi++)
				product(dU + xi * pl, OC, V + xi * vs, 1, C,
				    Dg + xi * ds, OC, C, OC, T, n0 > 0, fp);
		}
	}
#pragma omp parallel num_threads(threads) if (C * OC >= 4096)
	{
		/* a [3][6][OC] in the thread's scratch (its frame alone is
		 * 36 OC or more floats: per_floats() covers the input
		 * gradient's) */
		float *a = base + (size_t)omp_get_thread_num() * per;
#pragma omp for schedule(static)
		for (size_t c = 0; c < C; c++)
			dweight_from_du(dweight, a, dU, pl, c, C, OC);
	}
}
