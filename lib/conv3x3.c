/* conv3x3.c - direct 3x3 stride-1 convolutions (see conv3x3.h). */
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "conv3x3.h"

#define LANES 8
/* zeros after each padded channel: the last vector's taps read past it */
#define SLACK 16
/* a band's outputs [OCr, R*Wp] stay within this many floats (in L2) */
#define BAND_FLOATS ((size_t)1 << 14)

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
 * bench/conv.sh): the flat rows waste (Wp - OW)/Wp of the work and
 * the weight gradient's per-image lane sums cost most on small maps,
 * while BLIS is efficient for many channels.
 */
static int
use_direct(const struct conv2d_shape *s, int part)
{
	size_t ch = s->C > s->OC ? s->C : s->OC;
	if (part == CONV3X3_DWEIGHT)
		return s->OW >= 16 && ch <= 64;
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
	size_t R, BP;        /* band rows, band floats per output channel */
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
	size_t r = BAND_FLOATS / (up(OC, 4) * g->Wp);
	size_t least = (3 * LANES + g->Wp - 1) / g->Wp;
	if (r < least)
		r = least;
	if (r > g->OH)
		r = g->OH;
	g->R = r ? r : 1;
	g->BP = up(g->R * g->Wp, LANES);
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
 * rows [G, C*XS + DWO Pr] within DW_FLOATS (L2), so that small maps
 * get long fma chains before a lane sum.
 */
#define DW_FLOATS ((size_t)1 << 16)
/* output channels per weight-gradient block */
#define DWO 4

static size_t
dw_group(const struct geo *g)
{
	size_t G = DW_FLOATS / (g->C * g->XS + DWO * g->Pr);
	return G ? G : 1;
}

/* per thread: padded image [C, XS] then band outputs [OCr, BP]; or
 * the weight gradient's padded images [G, C, XS], dout rows [G, DWO, Pr] */
static size_t
thread_floats(const struct conv2d_shape *s)
{
	struct geo f, b;
	geo_forward(&f, s);
	geo_dinp(&b, s);
	size_t nf = f.C * f.XS + up(f.OC, 4) * f.BP;
	size_t nw = dw_group(&f) * (f.C * f.XS + DWO * f.Pr);
	size_t nb = b.C * b.XS + up(b.OC, 4) * b.BP;
	return up(max2(max2(nf, nw), nb), 16);
}

size_t
conv3x3_scratch_floats(const struct conv2d_shape *s, size_t threads)
{
	return up(packed_floats(s), 16) + (threads ? threads : 1) *
	    thread_floats(s);
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
 * t [4, ldt] (PB vectors each) = sum over c < C, ki, kj of
 * w [c, ki*3+kj, 0..4) * x [c*xs + ki*Wp + kj + 0..8 PB), as
 * fma chains in the order c, ki, kj.
 */
__attribute__((target("avx2,fma"), always_inline)) static inline void
fwd_avx2(float *t, size_t ldt, const float *x, size_t xs, size_t Wp,
    const float *w, size_t C, const int PB)
{
	__m256 acc[4][3];
#pragma GCC unroll 4
	for (int i = 0; i < 4; i++)
#pragma GCC unroll 3
		for (int j = 0; j < 3; j++)
			acc[i][j] = _mm256_setzero_ps();
	for (size_t c = 0; c < C; c++, x += xs, w += 36) {
#pragma GCC unroll 3
		for (size_t ki = 0; ki < 3; ki++) {
			const float *xr = x + ki * Wp;
#pragma GCC unroll 3
			for (size_t kj = 0; kj < 3; kj++) {
				__m256 xv[3];
				const float *wt = w + (ki * 3 + kj) * 4;
#pragma GCC unroll 3
				for (int j = 0; j < PB; j++) {
					xv[j] = _mm256_loadu_ps(xr + kj +
					    LANES * j);
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
	}
#pragma GCC unroll 4
	for (int i = 0; i < 4; i++)
#pragma GCC unroll 3
		for (int j = 0; j < PB; j++)
			_mm256_storeu_ps(t + i * ldt + LANES * j, acc[i][j]);
}

__attribute__((target("avx2,fma"))) static void
fwd_avx2_1(float *t, size_t ldt, const float *x, size_t xs, size_t Wp,
    const float *w, size_t C)
{
	fwd_avx2(t, ldt, x, xs, Wp, w, C, 1);
}

__attribute__((target("avx2,fma"))) static void
fwd_avx2_2(float *t, size_t ldt, const float *x, size_t xs, size_t Wp,
    const float *w, size_t C)
{
	fwd_avx2(t, ldt, x, xs, Wp, w, C, 2);
}

__attribute__((target("avx2,fma"))) static void
fwd_avx2_3(float *t, size_t ldt, const float *x, size_t xs, size_t Wp,
    const float *w, size_t C)
{
	fwd_avx2(t, ldt, x, xs, Wp, w, C, 3);
}

/* the plain twin of fwd_avx2: the same fma chain per element */
static void
fwd_plain(float *t, size_t ldt, const float *x, size_t xs, size_t Wp,
    const float *w, size_t C, size_t PB)
{
	for (size_t i = 0; i < 4; i++)
		for (size_t e = 0; e < LANES * PB; e++) {
			float acc = 0.0f;
			const float *xc = x, *wc = w;
			for (size_t c = 0; c < C; c++, xc += xs, wc += 36)
				for (size_t ki = 0; ki < 3; ki++)
					for (size_t kj = 0; kj < 3; kj++)
						acc = fmaf(wc[(ki * 3 + kj) * 4 +
						    i], xc[ki * Wp + kj + e], acc);
			t[i * ldt + e] = acc;
		}
}

static void
fwd_tile(int avx, size_t PB, float *t, size_t ldt, const float *x,
    size_t xs, size_t Wp, const float *w, size_t C)
{
	if (!avx)
		fwd_plain(t, ldt, x, xs, Wp, w, C, PB);
	else if (PB == 3)
		fwd_avx2_3(t, ldt, x, xs, Wp, w, C);
	else if (PB == 2)
		fwd_avx2_2(t, ldt, x, xs, Wp, w, C);
	else
		fwd_avx2_1(t, ldt, x, xs, Wp, w, C);
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
 * sums [DWO, 9]: for output channels i < DWO and taps (ki, kj), the sum
 * over images g < G and p < 8 nv of d[g][i][p] x[g][ki*Wp + kj + p],
 * d[g][i] = d + g ds + i ldd, x[g] = x + g xs: per lane an fma chain
 * over images then vectors, then lane_sum.  Per image one pass per row
 * ki (its dout rows stay in L1 for the three): 12 accumulators, 3 dout
 * vectors in registers, the fourth read by its fmas (16 registers).
 */
__attribute__((target("avx2,fma"))) static void
dw_avx2(float sums[DWO][9], const float *d, size_t ldd, size_t ds,
    const float *x, size_t xs, size_t Wp, size_t nv, size_t G)
{
	__m256 acc[3][DWO][3];
	float l[LANES];
	for (int ki = 0; ki < 3; ki++)
		for (int i = 0; i < DWO; i++)
			for (int t = 0; t < 3; t++)
				acc[ki][i][t] = _mm256_setzero_ps();
	for (size_t g = 0; g < G; g++) {
		const float *dg = d + g * ds;
		for (size_t ki = 0; ki < 3; ki++) {
			const float *xg = x + g * xs + ki * Wp;
			__m256 a[DWO][3];
#pragma GCC unroll 4
			for (int i = 0; i < DWO; i++)
#pragma GCC unroll 3
				for (int t = 0; t < 3; t++)
					a[i][t] = acc[ki][i][t];
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
					a[0][kj] = _mm256_fmadd_ps(d0, xv,
					    a[0][kj]);
					a[1][kj] = _mm256_fmadd_ps(d1, xv,
					    a[1][kj]);
					a[2][kj] = _mm256_fmadd_ps(d2, xv,
					    a[2][kj]);
					a[3][kj] = _mm256_fmadd_ps(
					    _mm256_loadu_ps(dg + 3 * ldd + p),
					    xv, a[3][kj]);
				}
			}
#pragma GCC unroll 4
			for (int i = 0; i < DWO; i++)
#pragma GCC unroll 3
				for (int t = 0; t < 3; t++)
					acc[ki][i][t] = a[i][t];
		}
	}
	for (int ki = 0; ki < 3; ki++)
		for (int i = 0; i < DWO; i++)
			for (int t = 0; t < 3; t++) {
				_mm256_storeu_ps(l, acc[ki][i][t]);
				sums[i][ki * 3 + t] = lane_sum(l);
			}
}

/* the plain twin of dw_avx2 */
static void
dw_plain(float sums[DWO][9], const float *d, size_t ldd, size_t ds,
    const float *x, size_t xs, size_t Wp, size_t nv, size_t G)
{
	for (size_t i = 0; i < DWO; i++)
		for (size_t t = 0; t < 9; t++) {
			float l[LANES];
			for (size_t e = 0; e < LANES; e++) {
				float acc = 0.0f;
				for (size_t g = 0; g < G; g++) {
					const float *dg = d + g * ds + i * ldd;
					const float *xt = x + g * xs +
					    (t / 3) * Wp + t % 3;
					for (size_t v = 0; v < nv; v++)
						acc = fmaf(dg[LANES * v + e],
						    xt[LANES * v + e], acc);
				}
				l[e] = acc;
			}
			sums[i][t] = lane_sum(l);
		}
}

/* ------------------------------------------------------------ drivers */

/*
 * One image: out [OC, OH*OW] = (or += when accumulate) the conv of
 * x [C, H, W] with packed weights wp (+ bias [OC] or NULL).
 * xp [C, XS], tmp [OCr, BP] scratch.
 */
static void
conv_image(float *out, float *xp, float *tmp, const float *x,
    const float *wp, const float *bias, int accumulate,
    const struct geo *g, int avx)
{
	size_t C = g->C, OC = g->OC, OH = g->OH, OW = g->OW, Wp = g->Wp;
	size_t nob = up(OC, 4) / 4;
	pad_image(xp, x, g);
	for (size_t r0 = 0; r0 < OH; r0 += g->R) {
		size_t r1 = r0 + g->R < OH ? r0 + g->R : OH;
		size_t nv = up((r1 - r0) * Wp, LANES) / LANES;
		const float *xb = xp + r0 * Wp;
		for (size_t ob = 0; ob < nob; ob++) {
			float *t = tmp + ob * 4 * g->BP;
			const float *w = wp + ob * C * 36;
			for (size_t v = 0; v < nv;) {
				size_t left = nv - v;
				size_t pb = left >= 3 && left != 4 ? 3 :
				    left >= 2 ? 2 : 1;
				fwd_tile(avx, pb, t + LANES * v, g->BP,
				    xb + LANES * v, g->XS, Wp, w, C);
				v += pb;
			}
		}
		for (size_t oc = 0; oc < OC; oc++)
			for (size_t r = r0; r < r1; r++) {
				float *o = out + (oc * OH + r) * OW;
				const float *src = tmp + oc * g->BP +
				    (r - r0) * Wp;
				if (accumulate) {
					for (size_t j = 0; j < OW; j++)
						o[j] += src[j];
				} else if (bias) {
					float b = bias[oc];
					for (size_t j = 0; j < OW; j++)
						o[j] = src[j] + b;
				} else {
					memcpy(o, src, OW * sizeof *o);
				}
			}
	}
}

/* images in parallel; weight packed first (flip: see pack_weights) */
static void
conv_run(float *out, float *scratch, const float *inp,
    const float *weight, int flip, const float *bias, int accumulate,
    size_t N, const struct geo *g, const struct conv2d_shape *s,
    size_t threads)
{
	int avx = kernel_choice() > 0;
	float *wp = scratch;
	size_t per = thread_floats(s);
	float *base = scratch + up(packed_floats(s), 16);
	size_t in_sz = g->C * g->H * g->W, out_sz = g->OC * g->OH * g->OW;
	pack_weights(wp, weight, g->OC, g->C, flip);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
	for (size_t n = 0; n < N; n++) {
		float *xp = base + (size_t)omp_get_thread_num() * per;
		float *tmp = xp + g->C * g->XS;
		conv_image(out + n * out_sz, xp, tmp, inp + n * in_sz, wp,
		    bias, accumulate, g, avx);
	}
}

void
conv3x3_forward(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads)
{
	struct geo g;
	geo_forward(&g, s);
	conv_run(out, scratch, inp, weight, 0, bias, 0, N, &g, s,
	    threads ? threads : 1);
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

/*
 * dweight [OC,C,3,3] += sum over images, in groups of dw_group images
 * (one lane sum per group); blocks of DWO output channels split among the
 * threads, each padding and walking every image.
 */
static void
dweight_run(float *dweight, float *scratch, const float *dout,
    const float *inp, size_t N, const struct geo *g,
    const struct conv2d_shape *s, size_t threads)
{
	int avx = kernel_choice() > 0;
	size_t per = thread_floats(s);
	float *base = scratch + up(packed_floats(s), 16);
	size_t C = g->C, OC = g->OC, np = (OC + DWO - 1) / DWO;
	size_t in_sz = C * g->H * g->W, out_sz = OC * g->OH * g->OW;
	size_t nv = g->Pr / LANES, G = dw_group(g), xs = C * g->XS;
	if (threads > np)
		threads = np;
#pragma omp parallel num_threads(threads)
	{
		size_t T = (size_t)omp_get_num_threads();
		size_t th = (size_t)omp_get_thread_num();
		size_t q0 = np * th / T, q1 = np * (th + 1) / T;
		float *xp = base + th * per;       /* [G, C, XS] */
		float *dp = xp + G * xs;           /* [G, DWO, Pr] */
		float sums[DWO][9];
		for (size_t n0 = 0; n0 < N && q0 < q1; n0 += G) {
			size_t gn = N - n0 < G ? N - n0 : G;
			for (size_t k = 0; k < gn; k++)
				pad_image(xp + k * xs, inp + (n0 + k) * in_sz,
				    g);
			for (size_t q = q0; q < q1; q++) {
				for (size_t k = 0; k < gn; k++)
					pad_dout(dp + k * DWO * g->Pr, dout +
					    (n0 + k) * out_sz, DWO * q, g);
				for (size_t c = 0; c < C; c++) {
					const float *xc = xp + c * g->XS;
					if (avx)
						dw_avx2(sums, dp, g->Pr,
						    DWO * g->Pr, xc, xs, g->Wp,
						    nv, gn);
					else
						dw_plain(sums, dp, g->Pr,
						    DWO * g->Pr, xc, xs, g->Wp,
						    nv, gn);
					for (size_t i = 0; i < DWO; i++) {
						size_t o = DWO * q + i;
						if (o >= OC)
							break;
						float *dw = dweight +
						    (o * C + c) * 9;
						for (size_t t = 0; t < 9; t++)
							dw[t] += sums[i][t];
					}
				}
			}
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
		    threads);
	}
	if (dweight) {
		geo_forward(&g, s);
		dweight_run(dweight, scratch, dout, inp, N, &g, s, threads);
	}
}
