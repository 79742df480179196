/* conv_s2.c - direct stride-2 convolutions (see conv_s2.h). */
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "conv3x3.h"
#include "conv_s2.h"

#define LANES 8
/* zeros after each plane: the last vector's taps read past it */
#define SLACK 16

static int kernels = CONV_S2_AUTO;

void
conv_s2_set_kernels(int which)
{
	kernels = which;
}

/* 1: AVX2 kernels, 0: plain C, -1: none */
static int
kernel_choice(void)
{
	switch (kernels) {
	case CONV_S2_AVX2:
		return 1;
	case CONV_S2_PLAIN:
		return 0;
	case CONV_S2_OFF:
		return -1;
	default:
		return conv3x3_cpu_ok() ? 1 : -1;
	}
}

/*
 * Where the direct kernels beat im2col + BLIS (zen3, one thread,
 * bench/conv.sh 16 and 64): the forward pass up to 128 input channels;
 * the input gradient, whose phase planes waste more of the flat rows,
 * up to 64 input channels; both gradients on maps of 8+ output
 * columns (on 4x4 outputs 1/3 of the flat run is wasted and the lane
 * sums come often).  The 1x1 shortcuts are one GEMM each, which BLIS
 * does as well or better.
 */
static int
use_s2(const struct conv2d_shape *s, int part)
{
	if (s->KS != 3)
		return 0;
	if (part == CONV_S2_DWEIGHT)
		return s->OW >= 8;
	if (part == CONV_S2_DINP)
		return s->OW >= 8 && s->C <= 64;
	return s->C <= 128;
}

int
conv_s2_applies(const struct conv2d_shape *s, int part)
{
	if (s->stride != 2 || !((s->KS == 3 && s->pad == 1) ||
	    (s->KS == 1 && s->pad == 0)))
		return 0;
	switch (kernels) {
	case CONV_S2_AVX2:
	case CONV_S2_PLAIN:
		return 1;
	case CONV_S2_OFF:
		return 0;
	default:
		return conv3x3_cpu_ok() && use_s2(s, part);
	}
}

static size_t
up(size_t a, size_t b)
{
	return (a + b - 1) / b * b;
}

static size_t
max2(size_t a, size_t b)
{
	return a > b ? a : b;
}

/*
 * A stride-2 conv of shape s in phase planes.  Forward tap t = ki KS + kj
 * reads a channel's planes [4, PS] at foff[t] + p.  The input gradient's
 * phase plane ph = 2 (r&1) + (c&1) of padded row r, column c is flat
 * [OH+1, Wd] and its k-th tap, dt[ph][k], reads the framed dout at
 * doff[ph][k] + q.
 */
struct geo {
	size_t C, H, W, OC, pad, OH, OW, nt;
	size_t Hq, Wq, PS;       /* planes [Hq, Wq], floats per plane */
	size_t P, Pr;            /* flat outputs OH*Wq, rounded to LANES */
	size_t Wd, DS;           /* framed dout [OH+2, Wd], floats each */
	size_t Qr;               /* floats per dx plane */
	size_t q0[2], nq[2];     /* by row parity: first flat dx-plane
	                          * output inside the image, vectors */
	size_t foff[9];
	size_t dn[4], dt[4][9], doff[4][9];
};

static void
geo_set(struct geo *g, const struct conv2d_shape *s)
{
	size_t KS = s->KS;
	g->C = s->C;
	g->H = s->H;
	g->W = s->W;
	g->OC = s->OC;
	g->pad = s->pad;
	g->OH = s->OH;
	g->OW = s->OW;
	g->nt = KS * KS;
	g->Hq = (s->H + 2 * s->pad + 1) / 2;
	g->Wq = (s->W + 2 * s->pad + 1) / 2;
	g->PS = g->Hq * g->Wq + SLACK;
	g->P = g->OH * g->Wq;
	g->Pr = up(g->P, LANES);
	g->Wd = g->OW + 1;
	g->DS = (g->OH + 2) * g->Wd + SLACK;
	/* the vectors from q0 may end up to LANES - 1 past the plane */
	g->Qr = up((g->OH + 1) * g->Wd, LANES) + LANES;
	for (size_t a = 0; a < 2; a++) {
		/* plane rows i with a padded row 2i + a in [pad, pad + H) */
		size_t i0 = (s->pad + 1 - a) / 2;
		size_t i1 = (s->pad + s->H + 1 - a) / 2;
		g->q0[a] = i0 * g->Wd;
		g->nq[a] = i1 > i0 ? up((i1 - i0) * g->Wd, LANES) / LANES : 0;
	}
	memset(g->dn, 0, sizeof g->dn);
	for (size_t t = 0; t < g->nt; t++) {
		size_t ki = t / KS, kj = t % KS;
		size_t ph = (ki & 1) * 2 + (kj & 1);
		g->foff[t] = ph * g->PS + (ki >> 1) * g->Wq + (kj >> 1);
		g->dt[ph][g->dn[ph]] = t;
		g->doff[ph][g->dn[ph]++] = (1 - (ki >> 1)) * g->Wd +
		    1 - (kj >> 1);
	}
}

/* packed weights of the forward conv [OCr/4, C, nt, 4] or of the input
 * gradient's 4 phases, each [Cr/4, OC, dn, 4] */
static size_t
packed_floats(const struct geo *g)
{
	return max2(up(g->OC, 4) * g->C, up(g->C, 4) * g->OC) * g->nt;
}

/* output channels per weight-gradient block */
#define DWO 4
/*
 * Images per weight-gradient group: enough for DW_VECS vectors per
 * lane-sum chain (lane sums and calls cost most on small maps), with
 * their planes and dout blocks [G, 4 C PS + DWO Pr] within DW_FLOATS,
 * a bound on the scratch.  (Longer chains measured no faster.)
 */
#define DW_VECS 64
#define DW_FLOATS ((size_t)1 << 20)

static size_t
dw_group(const struct geo *g)
{
	size_t nv = g->Pr / LANES, per = 4 * g->C * g->PS + DWO * g->Pr;
	size_t G = (DW_VECS + nv - 1) / nv;
	if (G > DW_FLOATS / per)
		G = DW_FLOATS / per;
	return G ? G : 1;
}

/*
 * per thread: planes [C, 4, PS] then outputs [OCr, Pr]; or the framed
 * dout [OC, DS] then dx planes [4, 4, Qr]; or the weight gradient's
 * planes [G, C, 4, PS] and dout blocks [G, DWO, Pr]
 */
static size_t
thread_floats(const struct geo *g)
{
	size_t nf = 4 * g->C * g->PS + up(g->OC, 4) * g->Pr;
	size_t nb = g->OC * g->DS + 16 * g->Qr;
	size_t nw = dw_group(g) * (4 * g->C * g->PS + DWO * g->Pr);
	return up(max2(max2(nf, nb), nw), 16);
}

size_t
conv_s2_scratch_floats(const struct conv2d_shape *s, size_t threads)
{
	struct geo g;
	geo_set(&g, s);
	return up(packed_floats(&g), 16) + (threads ? threads : 1) *
	    thread_floats(&g);
}

/* d[j] = s[2 j] for j < n */
static void
take_even(float *d, const float *s, size_t n)
{
#pragma omp simd
	for (size_t j = 0; j < n; j++)
		d[j] = s[2 * j];
}

/* d[2 j] += s[j] for j < n */
static void
add_even(float *d, const float *s, size_t n)
{
#pragma omp simd
	for (size_t j = 0; j < n; j++)
		d[2 * j] += s[j];
}

/*
 * xp [C, 4, PS]: the phase planes of x [C,H,W] framed by pad zeros.
 * Column w goes to column (w+p)>>1 of plane (w+p)&1: the even columns
 * of a row to plane p&1 from column 0, the odd ones to plane (p+1)&1
 * from column p (p <= 1).
 */
static void
split_image(float *xp, const float *x, const struct geo *g)
{
	size_t H = g->H, W = g->W, p = g->pad, Wq = g->Wq, PS = g->PS;
	memset(xp, 0, g->C * 4 * PS * sizeof *xp);
	for (size_t c = 0; c < g->C; c++, xp += 4 * PS)
		for (size_t h = 0; h < H; h++, x += W) {
			size_t r = h + p;
			float *d = xp + (r & 1) * 2 * PS + (r >> 1) * Wq;
			take_even(d + (p & 1) * PS, x, (W + 1) / 2);
			take_even(d + ((p + 1) & 1) * PS + p, x + 1, W / 2);
		}
}

/* wp: the forward weights [OCr/4, C, nt, 4], output channels past OC
 * zero */
static void
pack_forward(float *wp, const float *w, const struct geo *g)
{
	size_t OC = g->OC, C = g->C, nt = g->nt;
	for (size_t ob = 0; ob < up(OC, 4) / 4; ob++)
		for (size_t c = 0; c < C; c++)
			for (size_t k = 0; k < nt; k++)
				for (size_t i = 0; i < 4; i++) {
					size_t o = ob * 4 + i;
					*wp++ = o < OC ? w[(o * C + c) * nt +
					    k] : 0.0f;
				}
}

/* wp: per phase ph, [Cr/4, OC, dn[ph], 4] (input channels past C zero),
 * the phases one after another */
static void
pack_dinp(float *wp, const float *w, const struct geo *g)
{
	size_t OC = g->OC, C = g->C, nt = g->nt;
	for (size_t ph = 0; ph < 4; ph++)
		for (size_t cb = 0; cb < up(C, 4) / 4; cb++)
			for (size_t o = 0; o < OC; o++)
				for (size_t k = 0; k < g->dn[ph]; k++)
					for (size_t i = 0; i < 4; i++) {
						size_t c = cb * 4 + i;
						*wp++ = c < C ? w[(o * C + c) *
						    nt + g->dt[ph][k]] : 0.0f;
					}
}

/* ------------------------------------------------------------ kernels */

/*
 * t [4, ldt] (PB vectors each) = (cont: t +) sum over c < C, k < nt of
 * w [c, k, 0..4) * x [c*xs + off[k] + 0..8 PB), as fma chains in the
 * order c, k (cont: continuing the chains stored in t).
 */
__attribute__((target("avx2,fma"), always_inline)) static inline void
tap_avx2(float *t, size_t ldt, const float *x, size_t xs,
    const size_t *off, size_t nt, const float *w, size_t C, int cont,
    const int PB)
{
	__m256 acc[4][3];
#pragma GCC unroll 4
	for (int i = 0; i < 4; i++)
#pragma GCC unroll 3
		for (int j = 0; j < PB; j++)
			acc[i][j] = cont ? _mm256_loadu_ps(t + i * ldt +
			    LANES * j) : _mm256_setzero_ps();
	for (size_t c = 0; c < C; c++, x += xs)
		for (size_t k = 0; k < nt; k++, w += 4) {
			__m256 xv[3];
#pragma GCC unroll 3
			for (int j = 0; j < PB; j++)
				xv[j] = _mm256_loadu_ps(x + off[k] + LANES * j);
#pragma GCC unroll 4
			for (int i = 0; i < 4; i++) {
				__m256 wv = _mm256_broadcast_ss(w + i);
#pragma GCC unroll 3
				for (int j = 0; j < PB; j++)
					acc[i][j] = _mm256_fmadd_ps(wv, xv[j],
					    acc[i][j]);
			}
		}
#pragma GCC unroll 4
	for (int i = 0; i < 4; i++)
#pragma GCC unroll 3
		for (int j = 0; j < PB; j++)
			_mm256_storeu_ps(t + i * ldt + LANES * j, acc[i][j]);
}

__attribute__((target("avx2,fma"))) static void
tap_avx2_1(float *t, size_t ldt, const float *x, size_t xs,
    const size_t *off, size_t nt, const float *w, size_t C, int cont)
{
	tap_avx2(t, ldt, x, xs, off, nt, w, C, cont, 1);
}

__attribute__((target("avx2,fma"))) static void
tap_avx2_2(float *t, size_t ldt, const float *x, size_t xs,
    const size_t *off, size_t nt, const float *w, size_t C, int cont)
{
	tap_avx2(t, ldt, x, xs, off, nt, w, C, cont, 2);
}

__attribute__((target("avx2,fma"))) static void
tap_avx2_3(float *t, size_t ldt, const float *x, size_t xs,
    const size_t *off, size_t nt, const float *w, size_t C, int cont)
{
	tap_avx2(t, ldt, x, xs, off, nt, w, C, cont, 3);
}

/* the plain twin of tap_avx2: the same fma chain per element */
static void
tap_plain(float *t, size_t ldt, const float *x, size_t xs,
    const size_t *off, size_t nt, const float *w, size_t C, int cont,
    size_t PB)
{
	for (size_t i = 0; i < 4; i++)
		for (size_t e = 0; e < LANES * PB; e++) {
			float acc = cont ? t[i * ldt + e] : 0.0f;
			for (size_t c = 0; c < C; c++)
				for (size_t k = 0; k < nt; k++)
					acc = fmaf(w[(c * nt + k) * 4 + i],
					    x[c * xs + off[k] + e], acc);
			t[i * ldt + e] = acc;
		}
}

/* vectors in the tile at v of nv: 3, 2 or 1 (no 1 after a 3) */
static size_t
tile_vectors(size_t v, size_t nv)
{
	size_t left = nv - v;
	return left >= 3 && left != 4 ? 3 : left >= 2 ? 2 : 1;
}

static void
tap_tile(int avx, size_t pb, float *t, size_t ldt, const float *x,
    size_t xs, const size_t *off, size_t nt, const float *w, size_t C,
    int cont)
{
	if (!avx)
		tap_plain(t, ldt, x, xs, off, nt, w, C, cont, pb);
	else if (pb == 3)
		tap_avx2_3(t, ldt, x, xs, off, nt, w, C, cont);
	else if (pb == 2)
		tap_avx2_2(t, ldt, x, xs, off, nt, w, C, cont);
	else
		tap_avx2_1(t, ldt, x, xs, off, nt, w, C, cont);
}

/* t [4, ldt] for nv vectors from x + LANES v */
static void
tap_run(int avx, float *t, size_t ldt, const float *x, size_t xs,
    const size_t *off, size_t nt, const float *w, size_t C, size_t nv)
{
	for (size_t v = 0, pb; v < nv; v += pb) {
		pb = tile_vectors(v, nv);
		tap_tile(avx, pb, t + LANES * v, ldt, x + LANES * v, xs, off,
		    nt, w, C, 0);
	}
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
 * sums [DWO, NT]: for output channels i < DWO and taps k < NT, the sum
 * over images g < G and p < 8 nv of d[g][i][p] x[g][off[k] + p],
 * d[g][i] = d + g ds + i ldd, x[g] = x + g xs: per lane an fma chain
 * over images then vectors, then lane_sum (of all DWO NT sums at once,
 * as independent chains).
 */
__attribute__((target("avx2,fma"), always_inline)) static inline void
dw_avx2(float sums[DWO][9], const float *d, size_t ldd, size_t ds,
    const float *x, size_t xs, const size_t *off, size_t nv, size_t G,
    const int NT)
{
	float l[DWO][3][LANES], r[DWO][3];
	__m256 a[DWO][3];
#pragma GCC unroll 4
	for (int i = 0; i < DWO; i++)
#pragma GCC unroll 3
		for (int k = 0; k < NT; k++)
			a[i][k] = _mm256_setzero_ps();
	for (size_t g = 0; g < G; g++) {
		const float *dg = d + g * ds, *xg = x + g * xs;
		for (size_t v = 0; v < nv; v++) {
			size_t p = LANES * v;
			__m256 xv[3];
#pragma GCC unroll 3
			for (int k = 0; k < NT; k++)
				xv[k] = _mm256_loadu_ps(xg + off[k] + p);
#pragma GCC unroll 4
			for (int i = 0; i < DWO; i++) {
				__m256 dv = _mm256_loadu_ps(dg + i * ldd + p);
#pragma GCC unroll 3
				for (int k = 0; k < NT; k++)
					a[i][k] = _mm256_fmadd_ps(dv, xv[k],
					    a[i][k]);
			}
		}
	}
	for (int i = 0; i < DWO; i++)
		for (int k = 0; k < NT; k++)
			_mm256_storeu_ps(l[i][k], a[i][k]);
#pragma GCC unroll 4
	for (int i = 0; i < DWO; i++)
#pragma GCC unroll 3
		for (int k = 0; k < NT; k++)
			r[i][k] = l[i][k][0];
	for (int e = 1; e < LANES; e++)
#pragma GCC unroll 4
		for (int i = 0; i < DWO; i++)
#pragma GCC unroll 3
			for (int k = 0; k < NT; k++)
				r[i][k] += l[i][k][e];
	for (int i = 0; i < DWO; i++)
		for (int k = 0; k < NT; k++)
			sums[i][k] = r[i][k];
}

__attribute__((target("avx2,fma"))) static void
dw_avx2_3(float sums[DWO][9], const float *d, size_t ldd, size_t ds,
    const float *x, size_t xs, const size_t *off, size_t nv, size_t G)
{
	dw_avx2(sums, d, ldd, ds, x, xs, off, nv, G, 3);
}

__attribute__((target("avx2,fma"))) static void
dw_avx2_1(float sums[DWO][9], const float *d, size_t ldd, size_t ds,
    const float *x, size_t xs, const size_t *off, size_t nv, size_t G)
{
	dw_avx2(sums, d, ldd, ds, x, xs, off, nv, G, 1);
}

/* the plain twin of dw_avx2 */
static void
dw_plain(float sums[DWO][9], const float *d, size_t ldd, size_t ds,
    const float *x, size_t xs, const size_t *off, size_t nv, size_t G,
    size_t nt)
{
	for (size_t i = 0; i < DWO; i++)
		for (size_t k = 0; k < nt; k++) {
			float l[LANES];
			for (size_t e = 0; e < LANES; e++) {
				float acc = 0.0f;
				for (size_t g = 0; g < G; g++) {
					const float *dg = d + g * ds + i * ldd;
					const float *xt = x + g * xs + off[k];
					for (size_t v = 0; v < nv; v++)
						acc = fmaf(dg[LANES * v + e],
						    xt[LANES * v + e], acc);
				}
				l[e] = acc;
			}
			sums[i][k] = lane_sum(l);
		}
}

/* sums [DWO, nt]: dw_avx2 (or its twin) for taps in chunks of 3 (12
 * accumulators): 9 taps as 3 + 3 + 3, 1 as 1 */
static void
dw_taps(int avx, float sums[DWO][9], const float *d, size_t ldd,
    size_t ds, const float *x, size_t xs, const size_t *off, size_t nv,
    size_t G, size_t nt)
{
	for (size_t k0 = 0; k0 < nt; k0 += 3) {
		size_t n = nt - k0 < 3 ? nt - k0 : 3;
		float part[DWO][9];
		if (!avx)
			dw_plain(part, d, ldd, ds, x, xs, off + k0, nv, G, n);
		else if (n == 3)
			dw_avx2_3(part, d, ldd, ds, x, xs, off + k0, nv, G);
		else
			dw_avx2_1(part, d, ldd, ds, x, xs, off + k0, nv, G);
		for (size_t i = 0; i < DWO; i++)
			memcpy(sums[i] + k0, part[i], n * sizeof part[i][0]);
	}
}

/* ------------------------------------------------------------ drivers */

/*
 * Input channels per forward block: a tile's inputs from FWD_CB
 * channels stay in L1 while every output channel block uses them
 * (many channels: the planes of the image are in L2 only).
 */
#define FWD_CB 16

/* one image: out [OC, OH, OW] = x [C, H, W] (*) packed wp (+ bias);
 * xp [C, 4, PS], tmp [OCr, Pr] scratch */
static void
forward_image(float *out, float *xp, float *tmp, const float *x,
    const float *wp, const float *bias, const struct geo *g, int avx)
{
	size_t C = g->C, OC = g->OC, OH = g->OH, OW = g->OW, Wq = g->Wq;
	size_t nt = g->nt, Pr = g->Pr, nv = Pr / LANES;
	split_image(xp, x, g);
	for (size_t c0 = 0; c0 < C; c0 += FWD_CB) {
		size_t cb = C - c0 < FWD_CB ? C - c0 : FWD_CB;
		for (size_t v = 0, pb; v < nv; v += pb) {
			pb = tile_vectors(v, nv);
			for (size_t ob = 0; ob < up(OC, 4) / 4; ob++)
				tap_tile(avx, pb, tmp + ob * 4 * Pr +
				    LANES * v, Pr, xp + c0 * 4 * g->PS +
				    LANES * v, 4 * g->PS, g->foff, nt, wp +
				    (ob * C + c0) * nt * 4, cb, c0 > 0);
		}
	}
	for (size_t oc = 0; oc < OC; oc++) {
		float b = bias ? bias[oc] : 0.0f;
		for (size_t r = 0; r < OH; r++) {
			float *o = out + (oc * OH + r) * OW;
			const float *src = tmp + oc * Pr + r * Wq;
			if (bias)
				for (size_t j = 0; j < OW; j++)
					o[j] = src[j] + b;
			else
				memcpy(o, src, OW * sizeof *o);
		}
	}
}

void
conv_s2_forward(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post)
{
	struct geo g;
	geo_set(&g, s);
	int avx = kernel_choice() > 0;
	float *wp = scratch;
	size_t per = thread_floats(&g);
	float *base = scratch + up(packed_floats(&g), 16);
	size_t in_sz = g.C * g.H * g.W, out_sz = g.OC * g.OH * g.OW;
	pack_forward(wp, weight, &g);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads ? threads : 1)
	for (size_t n = 0; n < N; n++) {
		float *xp = base + (size_t)omp_get_thread_num() * per;
		float *tmp = xp + 4 * g.C * g.PS;
		forward_image(out + n * out_sz, xp, tmp, inp + n * in_sz, wp,
		    bias, &g, avx);
		conv_post_image(out + n * out_sz, n, g.OC, g.OH * g.OW, post);
	}
}

/* dp [OC, DS]: each channel of d [OC, OH, OW] framed as [OH+2, Wd]
 * by a zero row above, zero rows below and a zero column on the left */
static void
frame_dout(float *dp, const float *d, const struct geo *g)
{
	size_t OH = g->OH, OW = g->OW, Wd = g->Wd;
	memset(dp, 0, g->OC * g->DS * sizeof *dp);
	for (size_t o = 0; o < g->OC; o++)
		for (size_t r = 0; r < OH; r++)
			memcpy(dp + o * g->DS + (r + 1) * Wd + 1,
			    d + (o * OH + r) * OW, OW * sizeof *dp);
}

/* one image: dx [C, H, W] += the input gradient from d [OC, OH, OW];
 * dp [OC, DS], tmp [4 channels, 4 phases, Qr] scratch */
static void
dinp_image(float *dx, float *dp, float *tmp, const float *d,
    const float *wp, const struct geo *g, int avx)
{
	size_t C = g->C, OC = g->OC, H = g->H, W = g->W, p = g->pad;
	size_t Qr = g->Qr, Wd = g->Wd;
	frame_dout(dp, d, g);
	for (size_t cb = 0; cb < up(C, 4) / 4; cb++) {
		const float *w = wp;
		for (size_t ph = 0; ph < 4; ph++) {
			size_t n = g->dn[ph];
			size_t q0 = g->q0[ph / 2];
			if (n)
				tap_run(avx, tmp + ph * Qr + q0, 4 * Qr,
				    dp + q0, g->DS, g->doff[ph], n,
				    w + cb * OC * n * 4, OC, g->nq[ph / 2]);
			w += up(C, 4) * OC * n;
		}
		/* interleave the planes back, as split_image; phases
		 * without taps (1x1) add nothing */
		for (size_t i = 0; i < 4 && cb * 4 + i < C; i++) {
			const float *t = tmp + i * 4 * Qr;
			float *o = dx + (cb * 4 + i) * H * W;
			for (size_t h = 0; h < H; h++, o += W) {
				size_t r = h + p, ph = (r & 1) * 2;
				const float *src = t + (r >> 1) * Wd;
				size_t pe = ph + (p & 1);
				size_t po = ph + ((p + 1) & 1);
				if (g->dn[pe])
					add_even(o, src + pe * Qr, (W + 1) / 2);
				if (g->dn[po])
					add_even(o + 1, src + po * Qr + p,
					    W / 2);
			}
		}
	}
}

static void
dinp_run(float *dinp, float *scratch, const float *dout,
    const float *weight, size_t N, const struct geo *g, size_t threads)
{
	int avx = kernel_choice() > 0;
	float *wp = scratch;
	size_t per = thread_floats(g);
	float *base = scratch + up(packed_floats(g), 16);
	size_t in_sz = g->C * g->H * g->W, out_sz = g->OC * g->OH * g->OW;
	pack_dinp(wp, weight, g);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
	for (size_t n = 0; n < N; n++) {
		float *dp = base + (size_t)omp_get_thread_num() * per;
		float *tmp = dp + g->OC * g->DS;
		dinp_image(dinp + n * in_sz, dp, tmp, dout + n * out_sz, wp, g,
		    avx);
	}
}

/* dp [DWO, Pr]: dout channels o0.. of one image as flat [OH, Wq]
 * with zeros in the columns ow >= OW, past P, and for channels >= OC */
static void
pad_dout(float *dp, const float *d, size_t o0, const struct geo *g)
{
	size_t OH = g->OH, OW = g->OW, Wq = g->Wq;
	memset(dp, 0, DWO * g->Pr * sizeof *dp);
	for (size_t i = 0; i < DWO && o0 + i < g->OC; i++)
		for (size_t r = 0; r < OH; r++)
			memcpy(dp + i * g->Pr + r * Wq, d + ((o0 + i) * OH +
			    r) * OW, OW * sizeof *dp);
}

/*
 * dweight [OC,C,KS,KS] += sum over images, in groups of dw_group images
 * (one lane sum per group); blocks of DWO output channels split among
 * the threads, each splitting and walking every image.
 */
static void
dweight_run(float *dweight, float *scratch, const float *dout,
    const float *inp, size_t N, const struct geo *g, size_t threads)
{
	int avx = kernel_choice() > 0;
	size_t per = thread_floats(g);
	float *base = scratch + up(packed_floats(g), 16);
	size_t C = g->C, OC = g->OC, np = (OC + DWO - 1) / DWO, nt = g->nt;
	size_t in_sz = C * g->H * g->W, out_sz = OC * g->OH * g->OW;
	size_t nv = g->Pr / LANES, G = dw_group(g), xs = 4 * C * g->PS;
	if (threads > np)
		threads = np;
#pragma omp parallel num_threads(threads)
	{
		size_t T = (size_t)omp_get_num_threads();
		size_t th = (size_t)omp_get_thread_num();
		size_t q0 = np * th / T, q1 = np * (th + 1) / T;
		float *xp = base + th * per;       /* [G, C, 4, PS] */
		float *dp = xp + G * xs;           /* [G, DWO, Pr] */
		float sums[DWO][9];
		for (size_t n0 = 0; n0 < N && q0 < q1; n0 += G) {
			size_t gn = N - n0 < G ? N - n0 : G;
			for (size_t k = 0; k < gn; k++)
				split_image(xp + k * xs, inp + (n0 + k) *
				    in_sz, g);
			for (size_t q = q0; q < q1; q++) {
				for (size_t k = 0; k < gn; k++)
					pad_dout(dp + k * DWO * g->Pr, dout +
					    (n0 + k) * out_sz, DWO * q, g);
				for (size_t c = 0; c < C; c++) {
					dw_taps(avx, sums, dp, g->Pr,
					    DWO * g->Pr, xp + c * 4 * g->PS,
					    xs, g->foff, nv, gn, nt);
					for (size_t i = 0; i < DWO; i++) {
						size_t o = DWO * q + i;
						if (o >= OC)
							break;
						float *dw = dweight +
						    (o * C + c) * nt;
						for (size_t t = 0; t < nt; t++)
							dw[t] += sums[i][t];
					}
				}
			}
		}
	}
}

void
conv_s2_backward(float *dinp, float *dweight, float *scratch,
    const float *dout, const float *inp, const float *weight, size_t N,
    const struct conv2d_shape *s, size_t threads)
{
	struct geo g;
	geo_set(&g, s);
	if (threads == 0)
		threads = 1;
	if (dinp)
		dinp_run(dinp, scratch, dout, weight, N, &g, threads);
	if (dweight)
		dweight_run(dweight, scratch, dout, inp, N, &g, threads);
}
