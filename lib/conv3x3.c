/* conv3x3.c - direct 3x3 stride-1 convolutions (see conv3x3.h). */
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "conv3x3.h"

#define LANES 8
/* zeros after each padded channel: the last vector's taps read past it */
#define SLACK 16

static int kernels = CONV3X3_AUTO;

void
conv3x3_set_kernels(int which)
{
	kernels = which;
}

int
conv3x3_cpu_ok(void)
{
	static int ok = -1;
	if (ok < 0) {
		__builtin_cpu_init();
		ok = __builtin_cpu_supports("avx2") &&
		    __builtin_cpu_supports("fma");
	}
	return ok;
}

static int avx512_off;   /* conv_avx512_set(0) */

int
conv_avx512(void)
{
	static int ok = -1;
	if (ok < 0) {
		__builtin_cpu_init();
		ok = __builtin_cpu_supports("avx512f") &&
		    __builtin_cpu_supports("fma");
	}
	return ok && !avx512_off;
}

int
conv_avx512_set(int on)
{
	avx512_off = !on;
	return conv_avx512();
}

/* 1: AVX2 kernels, 0: plain C, -1: none */
static int
kernel_choice(void)
{
	switch (kernels) {
	case CONV3X3_AVX2:
		return 1;
	case CONV3X3_PLAIN:
		return 0;
	case CONV3X3_OFF:
		return -1;
	default:
		return conv3x3_cpu_ok() ? 1 : -1;
	}
}

/*
 * Where the direct kernels beat im2col + BLIS (zen3, one thread,
 * bench/conv.sh): rows shorter than a vector waste most of it (4x4:
 * half), the weight gradient's flat rows (Wp - OW)/Wp, and BLIS is
 * efficient for many channels (weight gradient, batch 128: 15x15 with
 * 32 channels 7.9 vs 12.9 ms; 4x4 with 128, 17 vs 12).
 */
static int
use_direct(const struct conv2d_shape *s, int part)
{
	size_t ch = s->C > s->OC ? s->C : s->OC;
	if (part == CONV3X3_DWEIGHT)
		return s->OW >= 8 && ch <= 64;
	return s->OW >= 8 && ch <= 128;
}

int
conv3x3_applies(const struct conv2d_shape *s, int part)
{
	if (s->KS != 3 || s->stride != 1 || s->pad > 2)
		return 0;
	switch (kernels) {
	case CONV3X3_AVX2:
	case CONV3X3_PLAIN:
		return 1;
	case CONV3X3_OFF:
		return 0;
	default:
		return conv3x3_cpu_ok() && use_direct(s, part);
	}
}

static size_t
up(size_t a, size_t b)
{
	return (a + b - 1) / b * b;
}

/* a 3x3 stride-1 conv C -> OC on [H, W] padded by pad, flat */
struct geo {
	size_t C, H, W, OC, pad;
	size_t Hp, Wp, OH, OW;
	size_t P, Pr;        /* flat outputs OH*Wp, rounded up to LANES */
	size_t XS;           /* floats per padded channel */
	size_t NV;           /* vectors per output row */
};

static void
geo_set(struct geo *g, size_t C, size_t H, size_t W, size_t OC, size_t pad)
{
	g->C = C;
	g->H = H;
	g->W = W;
	g->OC = OC;
	g->pad = pad;
	g->Hp = H + 2 * pad;
	g->Wp = W + 2 * pad;
	g->OH = g->Hp - 2;
	g->OW = g->Wp - 2;
	g->P = g->OH * g->Wp;
	g->Pr = up(g->P, LANES);
	g->XS = g->Hp * g->Wp + SLACK;
	g->NV = g->OW >= LANES ? (g->OW + LANES - 1) / LANES : 1;
}

/* the forward conv of s and the one giving its input gradient */
static void
geo_forward(struct geo *g, const struct conv2d_shape *s)
{
	geo_set(g, s->C, s->H, s->W, s->OC, s->pad);
}

static void
geo_dinp(struct geo *g, const struct conv2d_shape *s)
{
	geo_set(g, s->OC, s->OH, s->OW, s->C, 2 - s->pad);
}

static size_t
max2(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* packed weights [OCr/4, C, 9, 4] of either conv */
static size_t
packed_floats(const struct conv2d_shape *s)
{
	return max2(up(s->OC, 4) * s->C, up(s->C, 4) * s->OC) * 9;
}

/*
 * Images per weight-gradient group: their padded inputs and dout
 * rows [G, C*XS + DWO Pr] within DW_FLOATS (L2).
 */
#define DW_FLOATS ((size_t)1 << 16)
/* output channels per weight-gradient block */
#define DWO 4
/* floats of a block's lane sums for one input channel [3, DWO, 3, LANES] */
#define DW_SUMS (3 * DWO * 3 * LANES)

static size_t
dw_group(const struct geo *g)
{
	size_t G = DW_FLOATS / (g->C * g->XS + DWO * g->Pr);
	return G ? G : 1;
}

/* output-channel blocks of one of `threads` weight-gradient threads */
static size_t
dw_blocks(size_t OC, size_t threads)
{
	size_t np = (OC + DWO - 1) / DWO;
	return (np + threads - 1) / threads;
}

/*
 * per thread (of `threads`): padded image [C, XS]; or the weight
 * gradient's padded images [G, C, XS], dout rows [G, DWO, Pr] and sums
 * [dw_blocks, C, DW_SUMS]
 */
static size_t
thread_floats(const struct conv2d_shape *s, size_t threads)
{
	struct geo f, b;
	geo_forward(&f, s);
	geo_dinp(&b, s);
	size_t nf = f.C * f.XS;
	size_t nw = dw_group(&f) * (f.C * f.XS + DWO * f.Pr) +
	    dw_blocks(f.OC, threads) * f.C * DW_SUMS;
	size_t nb = b.C * b.XS;
	return up(max2(max2(nf, nw), nb), 16);
}

size_t
conv3x3_scratch_floats(const struct conv2d_shape *s, size_t threads)
{
	if (threads == 0)
		threads = 1;
	return up(packed_floats(s), 16) + threads * thread_floats(s,
	    threads);
}

/* xp [C, XS]: x [C,H,W] framed by pad zeros, SLACK zeros after */
static void
pad_image(float *xp, const float *x, const struct geo *g)
{
	size_t H = g->H, W = g->W, p = g->pad, Wp = g->Wp;
	for (size_t c = 0; c < g->C; c++) {
		float *d = xp + c * g->XS;
		const float *src = x + c * H * W;
		memset(d, 0, p * Wp * sizeof *d);
		d += p * Wp;
		for (size_t h = 0; h < H; h++, d += Wp, src += W) {
			for (size_t j = 0; j < p; j++)
				d[j] = 0.0f;
			memcpy(d + p, src, W * sizeof *d);
			for (size_t j = p + W; j < Wp; j++)
				d[j] = 0.0f;
		}
		memset(d, 0, (p * Wp + SLACK) * sizeof *d);
	}
}

/*
 * wp [OCr/4, C, 9, 4] from weight: flip 0, the conv's own weight
 * [OC,C,3,3]; flip 1, the forward weight [C,OC,3,3] of the conv whose
 * input gradient this conv computes (transposed, taps reversed).
 * Output channels past OC get zeros.
 */
static void
pack_weights(float *wp, const float *w, size_t OC, size_t C, int flip)
{
	for (size_t ob = 0; ob < up(OC, 4) / 4; ob++)
		for (size_t c = 0; c < C; c++)
			for (size_t t = 0; t < 9; t++)
				for (size_t i = 0; i < 4; i++) {
					size_t o = ob * 4 + i;
					float v = 0.0f;
					if (o < OC)
						v = flip ? w[(c * OC + o) * 9 +
						    8 - t] : w[(o * C + c) * 9 +
						    t];
					*wp++ = v;
				}
}

/* ------------------------------------------------------------ kernels */

/*
 * v stays in a register: without this gcc folds a vector's load into
 * each fma that uses it, and the kernels become bound by loads.
 */
#define KEEP(v) __asm__("" : "+x"(v))

/*
 * One vector of output pixels: the flat position of its first pixel in
 * the padded channel, that pixel's offset in the output channel, and
 * the lanes [lo, hi) it writes.  A row of OW >= 8 pixels is ceil(OW/8)
 * vectors, the last moved back to end at the row's end (its first lanes
 * repeat pixels of the one before); a shorter row is one vector of OW
 * lanes.
 */
struct span {
	size_t xo, oo;
	int lo, hi;
};

static void
span_set(struct span *sp, size_t k, const struct geo *g)
{
	size_t r = k / g->NV, q = k % g->NV, s = 0;
	sp->lo = 0;
	sp->hi = LANES;
	if (g->OW >= LANES) {
		s = LANES * q < g->OW - LANES ? LANES * q : g->OW - LANES;
		sp->lo = (int)(LANES * q - s);
	} else {
		sp->hi = (int)g->OW;
	}
	sp->xo = r * g->Wp + s;
	sp->oo = r * g->OW + s;
}

/* from lane_below + 8 - lo: lanes < lo have the sign bit set */
static const float lane_below[2 * LANES] = {
	-1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f,
};

/*
 * Output lanes [lo, hi) of v at o: o = v (+ bias b), or o += v when
 * accumulating.
 */
static void
store_lanes(float *o, const float *v, int lo, int hi, const float *b,
    int accumulate)
{
	for (int e = lo; e < hi; e++) {
		if (accumulate)
			o[e] += v[e];
		else
			o[e] = b ? v[e] + *b : v[e];
	}
}

/* acc [4][PB] to out as fwd_avx2 describes */
__attribute__((target("avx2,fma"), always_inline)) static inline void
fwd_store_avx2(float *out, size_t ldo, const struct span *sp,
    __m256 acc[4][3], const float *bias, int accumulate, size_t no,
    const int PB)
{
#pragma GCC unroll 4
	for (size_t i = 0; i < 4; i++)
#pragma GCC unroll 3
		for (int j = 0; j < PB && i < no; j++) {
			float *o = out + i * ldo + sp[j].oo;
			__m256 v = acc[i][j];
			if (sp[j].hi == LANES) {
				if (accumulate) {
					__m256 old = _mm256_loadu_ps(o);
					__m256 keep = _mm256_loadu_ps(
					    lane_below + LANES - sp[j].lo);
					v = _mm256_blendv_ps(_mm256_add_ps(old,
					    v), old, keep);
				} else if (bias)
					v = _mm256_add_ps(v,
					    _mm256_set1_ps(bias[i]));
				_mm256_storeu_ps(o, v);
			} else {
				float l[LANES];
				_mm256_storeu_ps(l, v);
				store_lanes(o, l, sp[j].lo, sp[j].hi,
				    bias ? bias + i : NULL, accumulate);
			}
		}
}

/*
 * For output channels i < no (of 4) and vectors j < PB <= 2 (sp[j]; PB 3
 * is fwd_avx2_3 below): the
 * sum over c < C, ki, kj of w [c, ki*3+kj, i] * x [c*xs + sp[j].xo +
 * ki*Wp + kj + 0..8), as fma chains in the order c, ki, kj; stored to
 * out + i ldo + sp[j].oo as store_lanes does (bias [no] or NULL).
 */
__attribute__((target("avx2,fma"), always_inline)) static inline void
fwd_avx2(float *out, size_t ldo, const struct span *sp, const float *x,
    size_t xs, size_t Wp, const float *w, size_t C, const float *bias,
    int accumulate, size_t no, const int PB)
{
	__m256 acc[4][3];
	const float *xj[3];
#pragma GCC unroll 3
	for (int j = 0; j < PB; j++)
		xj[j] = x + sp[j].xo;
#pragma GCC unroll 4
	for (int i = 0; i < 4; i++)
#pragma GCC unroll 3
		for (int j = 0; j < 3; j++)
			acc[i][j] = _mm256_setzero_ps();
	for (size_t c = 0; c < C; c++, w += 36) {
#pragma GCC unroll 3
		for (size_t ki = 0; ki < 3; ki++) {
#pragma GCC unroll 3
			for (size_t kj = 0; kj < 3; kj++) {
				__m256 xv[3];
				const float *wt = w + (ki * 3 + kj) * 4;
#pragma GCC unroll 3
				for (int j = 0; j < PB; j++) {
					xv[j] = _mm256_loadu_ps(xj[j] +
					    ki * Wp + kj);
					KEEP(xv[j]);
				}
#pragma GCC unroll 4
				for (int i = 0; i < 4; i++) {
					__m256 wv = _mm256_broadcast_ss(wt + i);
#pragma GCC unroll 3
					for (int j = 0; j < PB; j++)
						acc[i][j] = _mm256_fmadd_ps(wv,
						    xv[j], acc[i][j]);
				}
			}
		}
#pragma GCC unroll 3
		for (int j = 0; j < PB; j++)
			xj[j] += xs;
	}
	fwd_store_avx2(out, ldo, sp, acc, bias, accumulate, no, PB);
}

__attribute__((target("avx2,fma"))) static void
fwd_avx2_1(float *out, size_t ldo, const struct span *sp, const float *x,
    size_t xs, size_t Wp, const float *w, size_t C, const float *bias,
    int accumulate, size_t no)
{
	fwd_avx2(out, ldo, sp, x, xs, Wp, w, C, bias, accumulate, no, 1);
}

__attribute__((target("avx2,fma"))) static void
fwd_avx2_2(float *out, size_t ldo, const struct span *sp, const float *x,
    size_t xs, size_t Wp, const float *w, size_t C, const float *bias,
    int accumulate, size_t no)
{
	fwd_avx2(out, ldo, sp, x, xs, Wp, w, C, bias, accumulate, no, 2);
}

/*
 * fwd_avx2 with PB 3 holds 16 vectors (12 sums, 3 inputs, a weight),
 * and gcc then keeps a sum in memory (80 % of the fma peak); written
 * out, one channel's 9 taps in ymm0-15 run at 93 %.  Tap (ki, kj):
 * ymm12-14 = the 3 input vectors, ymm15 each weight in turn.
 */
#define TAP_X0 ")"
#define TAP_X1 ",%[wp],1)"
#define TAP_X2 ",%[wp],2)"
#define TAP_LOAD(ki, kj, j, r) \
	"vmovups 4*" #kj "(%[x" #j "]" TAP_X##ki ", %%ymm" #r "\n\t"
#define TAP_FMA(ki, kj, i) \
	"vbroadcastss 4*(4*(3*" #ki "+" #kj ")+" #i ")(%[w]), %%ymm15\n\t" \
	"vfmadd231ps %%ymm12, %%ymm15, %[a" #i "0]\n\t" \
	"vfmadd231ps %%ymm13, %%ymm15, %[a" #i "1]\n\t" \
	"vfmadd231ps %%ymm14, %%ymm15, %[a" #i "2]\n\t"
#define TAP(ki, kj) \
	TAP_LOAD(ki, kj, 0, 12) TAP_LOAD(ki, kj, 1, 13) \
	TAP_LOAD(ki, kj, 2, 14) TAP_FMA(ki, kj, 0) TAP_FMA(ki, kj, 1) \
	TAP_FMA(ki, kj, 2) TAP_FMA(ki, kj, 3)

__attribute__((target("avx2,fma"))) static void
fwd_avx2_3(float *out, size_t ldo, const struct span *sp, const float *x,
    size_t xs, size_t Wp, const float *w, size_t C, const float *bias,
    int accumulate, size_t no)
{
	__m256 a00, a01, a02, a10, a11, a12, a20, a21, a22, a30, a31, a32;
	const float *x0 = x + sp[0].xo, *x1 = x + sp[1].xo;
	const float *x2 = x + sp[2].xo;
	size_t wp = Wp * sizeof *x;
	a00 = a01 = a02 = a10 = a11 = a12 = _mm256_setzero_ps();
	a20 = a21 = a22 = a30 = a31 = a32 = _mm256_setzero_ps();
	for (size_t c = 0; c < C; c++, w += 36, x0 += xs, x1 += xs,
	    x2 += xs)
		__asm__(TAP(0, 0) TAP(0, 1) TAP(0, 2)
		    TAP(1, 0) TAP(1, 1) TAP(1, 2)
		    TAP(2, 0) TAP(2, 1) TAP(2, 2)
		    : [a00] "+x"(a00), [a01] "+x"(a01), [a02] "+x"(a02),
		      [a10] "+x"(a10), [a11] "+x"(a11), [a12] "+x"(a12),
		      [a20] "+x"(a20), [a21] "+x"(a21), [a22] "+x"(a22),
		      [a30] "+x"(a30), [a31] "+x"(a31), [a32] "+x"(a32)
		    : [x0] "r"(x0), [x1] "r"(x1), [x2] "r"(x2), [w] "r"(w),
		      [wp] "r"(wp)
		    : "xmm12", "xmm13", "xmm14", "xmm15", "memory");
	__m256 acc[4][3] = {
		{ a00, a01, a02 }, { a10, a11, a12 }, { a20, a21, a22 },
		{ a30, a31, a32 }
	};
	fwd_store_avx2(out, ldo, sp, acc, bias, accumulate, no, 3);
}

/* the plain twin of fwd_avx2: the same fma chain per element */
static void
fwd_plain(float *out, size_t ldo, const struct span *sp, const float *x,
    size_t xs, size_t Wp, const float *w, size_t C, const float *bias,
    int accumulate, size_t no, size_t PB)
{
	for (size_t i = 0; i < no; i++)
		for (size_t j = 0; j < PB; j++) {
			float l[LANES];
			for (size_t e = 0; e < LANES; e++) {
				float acc = 0.0f;
				const float *xc = x + sp[j].xo + e, *wc = w;
				for (size_t c = 0; c < C; c++, xc += xs,
				    wc += 36)
					for (size_t ki = 0; ki < 3; ki++)
						for (size_t kj = 0; kj < 3; kj++)
							acc = fmaf(wc[(ki * 3 +
							    kj) * 4 + i],
							    xc[ki * Wp + kj],
							    acc);
				l[e] = acc;
			}
			store_lanes(out + i * ldo + sp[j].oo, l, sp[j].lo,
			    sp[j].hi, bias ? bias + i : NULL, accumulate);
		}
}

static void
fwd_tile(int avx, size_t PB, float *out, size_t ldo, const struct span *sp,
    const float *x, size_t xs, size_t Wp, const float *w, size_t C,
    const float *bias, int accumulate, size_t no)
{
	if (!avx)
		fwd_plain(out, ldo, sp, x, xs, Wp, w, C, bias, accumulate, no,
		    PB);
	else if (PB == 3)
		fwd_avx2_3(out, ldo, sp, x, xs, Wp, w, C, bias, accumulate,
		    no);
	else if (PB == 2)
		fwd_avx2_2(out, ldo, sp, x, xs, Wp, w, C, bias, accumulate,
		    no);
	else
		fwd_avx2_1(out, ldo, sp, x, xs, Wp, w, C, bias, accumulate,
		    no);
}

/* lanes added in order */
static float
lane_sum(const float *l)
{
	float s = l[0];
	for (int i = 1; i < LANES; i++)
		s += l[i];
	return s;
}

/*
 * a [3 ki, DWO i, 3 kj, LANES] += for output channels i < DWO and taps
 * (ki, kj), per lane the products d[g][i][p] x[g][ki*Wp + kj + p] over
 * images g < G and p < 8 nv, d[g][i] = d + g ds + i ldd, x[g] = x + g
 * xs: per lane one fma chain, images then vectors, continued from a.
 * Per image one pass per row ki (its dout rows stay in L1 for the
 * three): 12 accumulators, 3 dout vectors in registers, the fourth read
 * by its fmas (16 registers).
 */
__attribute__((target("avx2,fma"))) static void
dw_avx2(float *a, const float *d, size_t ldd, size_t ds, const float *x,
    size_t xs, size_t Wp, size_t nv, size_t G)
{
	for (size_t g = 0; g < G; g++) {
		const float *dg = d + g * ds;
		for (size_t ki = 0; ki < 3; ki++) {
			const float *xg = x + g * xs + ki * Wp;
			float *ak = a + ki * DWO * 3 * LANES;
			__m256 s[DWO][3];
#pragma GCC unroll 4
			for (int i = 0; i < DWO; i++)
#pragma GCC unroll 3
				for (int t = 0; t < 3; t++)
					s[i][t] = _mm256_loadu_ps(ak +
					    (i * 3 + t) * LANES);
			for (size_t p = 0; p < LANES * nv; p += LANES) {
				__m256 d0 = _mm256_loadu_ps(dg + p);
				__m256 d1 = _mm256_loadu_ps(dg + ldd + p);
				__m256 d2 = _mm256_loadu_ps(dg + 2 * ldd + p);
				KEEP(d0);
				KEEP(d1);
				KEEP(d2);
#pragma GCC unroll 3
				for (size_t kj = 0; kj < 3; kj++) {
					__m256 xv = _mm256_loadu_ps(xg + kj +
					    p);
					KEEP(xv);
					s[0][kj] = _mm256_fmadd_ps(d0, xv,
					    s[0][kj]);
					s[1][kj] = _mm256_fmadd_ps(d1, xv,
					    s[1][kj]);
					s[2][kj] = _mm256_fmadd_ps(d2, xv,
					    s[2][kj]);
					s[3][kj] = _mm256_fmadd_ps(
					    _mm256_loadu_ps(dg + 3 * ldd + p),
					    xv, s[3][kj]);
				}
			}
#pragma GCC unroll 4
			for (int i = 0; i < DWO; i++)
#pragma GCC unroll 3
				for (int t = 0; t < 3; t++)
					_mm256_storeu_ps(ak + (i * 3 + t) *
					    LANES, s[i][t]);
		}
	}
}

/* the plain twin of dw_avx2 */
static void
dw_plain(float *a, const float *d, size_t ldd, size_t ds, const float *x,
    size_t xs, size_t Wp, size_t nv, size_t G)
{
	for (size_t ki = 0; ki < 3; ki++)
		for (size_t i = 0; i < DWO; i++)
			for (size_t kj = 0; kj < 3; kj++)
				for (size_t e = 0; e < LANES; e++) {
					float *acc = a + ((ki * DWO + i) * 3 +
					    kj) * LANES + e;
					for (size_t g = 0; g < G; g++) {
						const float *dg = d + g * ds +
						    i * ldd + e;
						const float *xt = x + g * xs +
						    ki * Wp + kj + e;
						for (size_t v = 0; v < nv; v++)
							*acc = fmaf(dg[LANES *
							    v], xt[LANES * v],
							    *acc);
					}
				}
}

/* ------------------------------------------------------------ drivers */

/*
 * One image: out [OC, OH*OW] = (or += when accumulate) the conv of
 * x [C, H, W] with packed weights wp (+ bias [OC] or NULL), written
 * straight from the registers.  xp [C, XS] scratch.  The output
 * vectors 3 at a time, each group through every block of 4 output
 * channels while its input rows are in L1.
 */
static void
conv_image(float *out, float *xp, const float *x, const float *wp,
    const float *bias, int accumulate, const struct geo *g, int avx)
{
	size_t C = g->C, OC = g->OC, ldo = g->OH * g->OW;
	size_t nv = g->OH * g->NV;
	pad_image(xp, x, g);
	for (size_t v = 0; v < nv;) {
		size_t left = nv - v;
		size_t pb = left >= 3 && left != 4 ? 3 : left >= 2 ? 2 : 1;
		struct span sp[3];
		for (size_t j = 0; j < pb; j++)
			span_set(sp + j, v + j, g);
		for (size_t o0 = 0; o0 < OC; o0 += 4)
			fwd_tile(avx, pb, out + o0 * ldo, ldo, sp, xp, g->XS,
			    g->Wp, wp + o0 * C * 9, C, bias ? bias + o0 : NULL,
			    accumulate, OC - o0 < 4 ? OC - o0 : 4);
		v += pb;
	}
}

/* images in parallel; weight packed first (flip: see pack_weights) */
static void
conv_run(float *out, float *scratch, const float *inp,
    const float *weight, int flip, const float *bias, int accumulate,
    size_t N, const struct geo *g, const struct conv2d_shape *s,
    size_t threads, const struct conv_post *post)
{
	int avx = kernel_choice() > 0;
	float *wp = scratch;
	size_t per = thread_floats(s, threads);
	float *base = scratch + up(packed_floats(s), 16);
	size_t in_sz = g->C * g->H * g->W, out_sz = g->OC * g->OH * g->OW;
	pack_weights(wp, weight, g->OC, g->C, flip);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
	for (size_t n = 0; n < N; n++) {
		float *xp = base + (size_t)omp_get_thread_num() * per;
		conv_image(out + n * out_sz, xp, inp + n * in_sz, wp, bias,
		    accumulate, g, avx);
		conv_post_image(out + n * out_sz, n, g->OC, g->OH * g->OW,
		    post);
	}
}

void
conv3x3_forward(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post)
{
	struct geo g;
	geo_forward(&g, s);
	conv_run(out, scratch, inp, weight, 0, bias, 0, N, &g, s,
	    threads ? threads : 1, post);
}

/* dp [DWO, Pr]: dout rows o0 .. o0+DWO-1 of one image as flat [OH, Wp]
 * with zeros in the columns ow >= OW, past P, and for channels >= OC */
static void
pad_dout(float *dp, const float *d, size_t o0, const struct geo *g)
{
	size_t OH = g->OH, OW = g->OW, Wp = g->Wp;
	for (size_t i = 0; i < DWO; i++) {
		float *r = dp + i * g->Pr;
		if (o0 + i >= g->OC) {
			memset(r, 0, g->Pr * sizeof *r);
			continue;
		}
		const float *src = d + (o0 + i) * OH * OW;
		for (size_t h = 0; h < OH; h++, r += Wp, src += OW) {
			memcpy(r, src, OW * sizeof *r);
			for (size_t j = OW; j < Wp; j++)
				r[j] = 0.0f;
		}
		for (size_t j = g->P; j < g->Pr; j++)
			dp[i * g->Pr + j] = 0.0f;
	}
}

/* dweight [OC,C,3,3] += block q's lane sums sq [C, DW_SUMS], lanes in order */
static void
dw_add(float *dweight, const float *sq, size_t q, const struct geo *g)
{
	size_t C = g->C;
	for (size_t i = 0; i < DWO && DWO * q + i < g->OC; i++)
		for (size_t c = 0; c < C; c++) {
			float *dw = dweight + ((DWO * q + i) * C + c) * 9;
			const float *a = sq + c * DW_SUMS;
			for (size_t t = 0; t < 9; t++)
				dw[t] += lane_sum(a + (((t / 3) * DWO + i) *
				    3 + t % 3) * LANES);
		}
}

/*
 * dweight [OC,C,3,3] += sum over images: the blocks of DWO output
 * channels split among `threads` slots (a thread may run several), each
 * walking the images in groups of dw_group (padded); every lane's fma
 * chain runs over all images, then the lanes are added in order.
 */
static void
dweight_run(float *dweight, float *scratch, const float *dout,
    const float *inp, size_t N, const struct geo *g,
    const struct conv2d_shape *s, size_t threads)
{
	int avx = kernel_choice() > 0;
	size_t per = thread_floats(s, threads);
	float *base = scratch + up(packed_floats(s), 16);
	size_t C = g->C, OC = g->OC, np = (OC + DWO - 1) / DWO;
	size_t in_sz = C * g->H * g->W, out_sz = OC * g->OH * g->OW;
	size_t nv = g->Pr / LANES, G = dw_group(g), xs = C * g->XS;
	size_t slots = threads < np ? threads : np;
#pragma omp parallel num_threads(slots)
	{
		size_t T = (size_t)omp_get_num_threads();
		size_t th = (size_t)omp_get_thread_num();
		float *xp = base + th * per;       /* [G, C, XS] */
		float *dp = xp + G * xs;           /* [G, DWO, Pr] */
		float *sum = dp + G * DWO * g->Pr; /* [blocks, C, DW_SUMS] */
		for (size_t sl = th; sl < slots; sl += T) {
			size_t q0 = np * sl / slots, q1 = np * (sl + 1) / slots;
			memset(sum, 0, (q1 - q0) * C * DW_SUMS * sizeof *sum);
			for (size_t n0 = 0; n0 < N; n0 += G) {
				size_t gn = N - n0 < G ? N - n0 : G;
				for (size_t k = 0; k < gn; k++)
					pad_image(xp + k * xs, inp + (n0 + k) *
					    in_sz, g);
				for (size_t q = q0; q < q1; q++) {
					float *sq = sum + (q - q0) * C * DW_SUMS;
					for (size_t k = 0; k < gn; k++)
						pad_dout(dp + k * DWO * g->Pr,
						    dout + (n0 + k) * out_sz,
						    DWO * q, g);
					for (size_t c = 0; c < C; c++) {
						float *a = sq + c * DW_SUMS;
						const float *xc = xp + c * g->XS;
						if (avx)
							dw_avx2(a, dp, g->Pr,
							    DWO * g->Pr, xc, xs,
							    g->Wp, nv, gn);
						else
							dw_plain(a, dp, g->Pr,
							    DWO * g->Pr, xc, xs,
							    g->Wp, nv, gn);
					}
				}
			}
			for (size_t q = q0; q < q1; q++)
				dw_add(dweight, sum + (q - q0) * C * DW_SUMS,
				    q, g);
		}
	}
}

void
conv3x3_backward(float *dinp, float *dweight, float *scratch,
    const float *dout, const float *inp, const float *weight, size_t N,
    const struct conv2d_shape *s, size_t threads)
{
	struct geo g;
	if (threads == 0)
		threads = 1;
	if (dinp) {
		geo_dinp(&g, s);
		conv_run(dinp, scratch, dout, weight, 1, NULL, 1, N, &g, s,
		    threads, NULL);
	}
	if (dweight) {
		geo_forward(&g, s);
		dweight_run(dweight, scratch, dout, inp, N, &g, s, threads);
	}
}
