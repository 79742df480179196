/*
 * tsne_fft.c - the t-SNE gradient with FFT-accelerated interpolation.
 *
 * The method is FIt-SNE's (G. C. Linderman et al., "Fast interpolation-
 * based t-SNE for improved visualization of single-cell RNA-seq data",
 * Nature Methods 16, 2019; defaults as openTSNE: 3 interpolation nodes
 * per box, box width <= 1, at least 50 boxes per axis).  With
 * w_ij = 1 / (1 + |y_i - y_j|^2), the repulsive sums
 *   sum_j w_ij^2 (y_i - y_j) = y_i phi_0(i) - phi_{1,2}(i),
 *   sum_j w_ij               = (1 + |y_i|^2) phi_0 - 2 y_i . phi_{1,2}
 *                              + phi_3
 * with phi_c(i) = sum_j w_ij^2 c_j for the charges c = 1, y_1, y_2,
 * |y|^2 (coordinates taken from the grid centre).  Each phi is the
 * kernel w^2 convolved with charges spread onto a uniform grid of
 * Lagrange nodes, evaluated back by the same interpolation; the grid
 * convolution is a 2-D FFT product (zero-padded to twice the grid).
 * Two real charge grids share one complex FFT (real and imaginary
 * parts), as the kernel's transform is real.
 *
 * The FFT is a Stockham autosort transform for lengths with factors 2,
 * 3 and 5 (radix 4, 2, 3, 5 butterflies); the grid sizes are chosen so
 * that every length qualifies.  tsne_fft_1d is the plain double
 * transform; the gradient's grids are single precision with real and
 * imaginary parts in separate planes, transformed CB signals at a time
 * (the lanes of the butterflies).  The column transforms run on the
 * grid itself (CB adjacent columns are CB lanes, element stride m), the
 * row transforms on rows transposed into lanes.  The batches are
 * compiled twice, plain (the reference twin) and for AVX2, chosen at
 * run time (tsne_simd).  Float rounding (relative ~1e-6 in the
 * potentials) is far below the interpolation error.
 */
#include "tsne.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif


/* the grids and their transforms are single precision, real and
 * imaginary parts in separate planes */
struct cpxf {
	float re, im;
};

struct tsne_fft {
	size_t N, nthreads, mmax;
	float *Ar, *Ai, *Br, *Bi;   /* [mmax,mmax] charge grids */
	float *kre;                 /* [mmax,mmax] kernel transform */
	struct tsne_cpx *tw;        /* [mmax] */
	struct cpxf *twf;           /* [mmax] the same, float */
	size_t twn;                 /* length the twiddles are for */
	float *scratch;             /* [nthreads, 4 CB mmax] */
	double *wgt;                /* [N,6] Lagrange weights x then y */
	size_t *node;               /* [N,2] first node of the point's box */
	double *attr;               /* [N,2] */
	double *rowkl;              /* [N] */
	double *rowz;               /* [N] */
	size_t boxes;
	size_t kern_m;              /* the grid kre was computed for */
	double kern_delta;
};

/* ---- FFT -------------------------------------------------------------- */

int
tsne_fft_size_ok(size_t n)
{
	if (n == 0)
		return 0;
	while (n % 2 == 0)
		n /= 2;
	while (n % 3 == 0)
		n /= 3;
	while (n % 5 == 0)
		n /= 5;
	return n == 1;
}

void
tsne_fft_twiddles(struct tsne_cpx *tw, size_t n)
{
	const double pi = 3.14159265358979323846;
	for (size_t k = 0; k < n; k++) {
		double a = -2.0 * pi * (double)k / (double)n;
		tw[k].re = cos(a);
		tw[k].im = sin(a);
	}
}

static size_t
fft_factor(size_t n, size_t *f)
{
	size_t c = 0;
	while (n % 4 == 0) {
		f[c++] = 4;
		n /= 4;
	}
	while (n % 2 == 0) {
		f[c++] = 2;
		n /= 2;
	}
	while (n % 3 == 0) {
		f[c++] = 3;
		n /= 3;
	}
	while (n % 5 == 0) {
		f[c++] = 5;
		n /= 5;
	}
	return c;
}

static inline struct tsne_cpx
cmul(struct tsne_cpx a, struct tsne_cpx b)
{
	struct tsne_cpx r = { a.re * b.re - a.im * b.im,
		a.re * b.im + a.im * b.re };
	return r;
}

/*
 * One Stockham autosort stage of radix R (2, 3, 4 or 5): Ns is the
 * product of the radices before it, q = n / R the stride of a
 * butterfly's inputs.  Input j = b Ns + k (k < Ns) is twiddled by
 * W_{Ns R}^{r k} and butterfly outputs go to b Ns R + k + r Ns.
 * sg = 1 forward (W = exp(-2 pi i / n)), -1 inverse.
 */
static inline __attribute__((always_inline)) void
fft_stage(struct tsne_cpx *dst, const struct tsne_cpx *src, size_t n,
    size_t R, size_t Ns, const struct tsne_cpx *tw, double sg)
{
	const size_t q = n / R, nblk = q / Ns, ts = n / (Ns * R);
	const double c3 = -0.5, s3 = 0.86602540378443864676;
	const double c51 = 0.30901699437494742410, c52 = -0.80901699437494742410;
	const double s51 = 0.95105651629515357212, s52 = 0.58778525229247312917;
	for (size_t b = 0; b < nblk; b++) {
		const struct tsne_cpx *in = src + b * Ns;
		struct tsne_cpx *out = dst + b * Ns * R;
		for (size_t k = 0; k < Ns; k++) {
			struct tsne_cpx v[5];
			v[0] = in[k];
			for (size_t r = 1; r < R; r++) {
				struct tsne_cpx w = tw[r * k * ts];
				w.im *= sg;
				v[r] = k ? cmul(in[k + r * q], w) : in[k + r * q];
			}
			if (R == 2) {
				out[k].re = v[0].re + v[1].re;
				out[k].im = v[0].im + v[1].im;
				out[k + Ns].re = v[0].re - v[1].re;
				out[k + Ns].im = v[0].im - v[1].im;
			} else if (R == 4) {
				double s02r = v[0].re + v[2].re;
				double s02i = v[0].im + v[2].im;
				double d02r = v[0].re - v[2].re;
				double d02i = v[0].im - v[2].im;
				double s13r = v[1].re + v[3].re;
				double s13i = v[1].im + v[3].im;
				/* -i sg (v1 - v3) */
				double e13r = sg * (v[1].im - v[3].im);
				double e13i = -sg * (v[1].re - v[3].re);
				out[k].re = s02r + s13r;
				out[k].im = s02i + s13i;
				out[k + 2 * Ns].re = s02r - s13r;
				out[k + 2 * Ns].im = s02i - s13i;
				out[k + Ns].re = d02r + e13r;
				out[k + Ns].im = d02i + e13i;
				out[k + 3 * Ns].re = d02r - e13r;
				out[k + 3 * Ns].im = d02i - e13i;
			} else if (R == 3) {
				double tr = v[1].re + v[2].re;
				double ti = v[1].im + v[2].im;
				double mr = v[0].re + c3 * tr;
				double mi = v[0].im + c3 * ti;
				/* -i sg s3 (v1 - v2) */
				double er = sg * s3 * (v[1].im - v[2].im);
				double ei = -sg * s3 * (v[1].re - v[2].re);
				out[k].re = v[0].re + tr;
				out[k].im = v[0].im + ti;
				out[k + Ns].re = mr + er;
				out[k + Ns].im = mi + ei;
				out[k + 2 * Ns].re = mr - er;
				out[k + 2 * Ns].im = mi - ei;
			} else {
				double a1r = v[1].re + v[4].re;
				double a1i = v[1].im + v[4].im;
				double b1r = v[1].re - v[4].re;
				double b1i = v[1].im - v[4].im;
				double a2r = v[2].re + v[3].re;
				double a2i = v[2].im + v[3].im;
				double b2r = v[2].re - v[3].re;
				double b2i = v[2].im - v[3].im;
				double m1r = v[0].re + c51 * a1r + c52 * a2r;
				double m1i = v[0].im + c51 * a1i + c52 * a2i;
				double m2r = v[0].re + c52 * a1r + c51 * a2r;
				double m2i = v[0].im + c52 * a1i + c51 * a2i;
				/* -i sg (s51 b1 + s52 b2), -i sg (s52 b1 - s51 b2) */
				double n1r = sg * (s51 * b1i + s52 * b2i);
				double n1i = -sg * (s51 * b1r + s52 * b2r);
				double n2r = sg * (s52 * b1i - s51 * b2i);
				double n2i = -sg * (s52 * b1r - s51 * b2r);
				out[k].re = v[0].re + a1r + a2r;
				out[k].im = v[0].im + a1i + a2i;
				out[k + Ns].re = m1r + n1r;
				out[k + Ns].im = m1i + n1i;
				out[k + 4 * Ns].re = m1r - n1r;
				out[k + 4 * Ns].im = m1i - n1i;
				out[k + 2 * Ns].re = m2r + n2r;
				out[k + 2 * Ns].im = m2i + n2i;
				out[k + 3 * Ns].re = m2r - n2r;
				out[k + 3 * Ns].im = m2i - n2i;
			}
		}
	}
}

void
tsne_fft_1d(struct tsne_cpx *x, struct tsne_cpx *work, size_t n,
    const struct tsne_cpx *tw, int inv)
{
	size_t f[64], nf = fft_factor(n, f), Ns = 1;
	struct tsne_cpx *src = x, *dst = work;
	for (size_t s = 0; s < nf; s++) {
		double sg = inv ? -1.0 : 1.0;
		/* constant radices, so that each stage is specialised */
		switch (f[s]) {
		case 4:
			fft_stage(dst, src, n, 4, Ns, tw, sg);
			break;
		case 2:
			fft_stage(dst, src, n, 2, Ns, tw, sg);
			break;
		case 3:
			fft_stage(dst, src, n, 3, Ns, tw, sg);
			break;
		default:
			fft_stage(dst, src, n, 5, Ns, tw, sg);
			break;
		}
		Ns *= f[s];
		struct tsne_cpx *t = src;
		src = dst;
		dst = t;
	}
	if (src != x)
		memcpy(x, src, n * sizeof *x);
}

/*
 * Batched transforms: CB signals of length n side by side, split real
 * and imaginary parts, x[i * CB + l] = element i of signal l.  Every
 * butterfly is then a loop over the CB lanes that the compiler turns
 * into vector instructions.  The same Stockham stages as fft_stage.
 */
#define CB 16

/* The butterflies of one (b, k) over the CB lanes, one function per
 * radix so that every pointer is a distinct restrict argument. */
#define TWL(K) float v##K##r = x##K##r[l] * wr[K] - x##K##i[l] * wi[K], \
	v##K##i = x##K##r[l] * wi[K] + x##K##i[l] * wr[K]
#define PIN(K) const float *restrict x##K##r, const float *restrict x##K##i
#define POUT(K) float *restrict y##K##r, float *restrict y##K##i

static inline __attribute__((always_inline)) void
lanes2(POUT(0), POUT(1), PIN(0), PIN(1), const float *wr,
    const float *wi)
{
	for (size_t l = 0; l < CB; l++) {
		float v0r = x0r[l], v0i = x0i[l];
		TWL(1);
		y0r[l] = v0r + v1r;
		y0i[l] = v0i + v1i;
		y1r[l] = v0r - v1r;
		y1i[l] = v0i - v1i;
	}
}

static inline __attribute__((always_inline)) void
lanes3(POUT(0), POUT(1), POUT(2), PIN(0), PIN(1), PIN(2),
    const float *wr, const float *wi, float sg, float c3, float s3)
{
	for (size_t l = 0; l < CB; l++) {
		float v0r = x0r[l], v0i = x0i[l];
		TWL(1);
		TWL(2);
		float tr = v1r + v2r, ti = v1i + v2i;
		float mr = v0r + c3 * tr, mi = v0i + c3 * ti;
		float er = sg * s3 * (v1i - v2i);
		float ei = -sg * s3 * (v1r - v2r);
		y0r[l] = v0r + tr;
		y0i[l] = v0i + ti;
		y1r[l] = mr + er;
		y1i[l] = mi + ei;
		y2r[l] = mr - er;
		y2i[l] = mi - ei;
	}
}

static inline __attribute__((always_inline)) void
lanes4(POUT(0), POUT(1), POUT(2), POUT(3), PIN(0), PIN(1), PIN(2),
    PIN(3), const float *wr, const float *wi, float sg)
{
	for (size_t l = 0; l < CB; l++) {
		float v0r = x0r[l], v0i = x0i[l];
		TWL(1);
		TWL(2);
		TWL(3);
		float s02r = v0r + v2r, s02i = v0i + v2i;
		float d02r = v0r - v2r, d02i = v0i - v2i;
		float s13r = v1r + v3r, s13i = v1i + v3i;
		float e13r = sg * (v1i - v3i);
		float e13i = -sg * (v1r - v3r);
		y0r[l] = s02r + s13r;
		y0i[l] = s02i + s13i;
		y2r[l] = s02r - s13r;
		y2i[l] = s02i - s13i;
		y1r[l] = d02r + e13r;
		y1i[l] = d02i + e13i;
		y3r[l] = d02r - e13r;
		y3i[l] = d02i - e13i;
	}
}

static inline __attribute__((always_inline)) void
lanes5(POUT(0), POUT(1), POUT(2), POUT(3), POUT(4), PIN(0), PIN(1),
    PIN(2), PIN(3), PIN(4), const float *wr, const float *wi, float sg,
    float c51, float c52, float s51, float s52)
{
	for (size_t l = 0; l < CB; l++) {
		float v0r = x0r[l], v0i = x0i[l];
		TWL(1);
		TWL(2);
		TWL(3);
		TWL(4);
		float a1r = v1r + v4r, a1i = v1i + v4i;
		float b1r = v1r - v4r, b1i = v1i - v4i;
		float a2r = v2r + v3r, a2i = v2i + v3i;
		float b2r = v2r - v3r, b2i = v2i - v3i;
		float m1r = v0r + c51 * a1r + c52 * a2r;
		float m1i = v0i + c51 * a1i + c52 * a2i;
		float m2r = v0r + c52 * a1r + c51 * a2r;
		float m2i = v0i + c52 * a1i + c51 * a2i;
		float n1r = sg * (s51 * b1i + s52 * b2i);
		float n1i = -sg * (s51 * b1r + s52 * b2r);
		float n2r = sg * (s52 * b1i - s51 * b2i);
		float n2i = -sg * (s52 * b1r - s51 * b2r);
		y0r[l] = v0r + a1r + a2r;
		y0i[l] = v0i + a1i + a2i;
		y1r[l] = m1r + n1r;
		y1i[l] = m1i + n1i;
		y4r[l] = m1r - n1r;
		y4i[l] = m1i - n1i;
		y2r[l] = m2r + n2r;
		y2i[l] = m2i + n2i;
		y3r[l] = m2r - n2r;
		y3i[l] = m2i - n2i;
	}
}
#undef TWL
#undef PIN
#undef POUT

static inline __attribute__((always_inline)) void
batch_stage(float *restrict dr, float *restrict di, size_t ds,
    const float *restrict sr, const float *restrict si, size_t ss, size_t n,
    size_t R, size_t Ns, const struct cpxf *tw, float sg)
{
	const size_t q = n / R, nblk = q / Ns, ts = n / (Ns * R);
	const float c3 = -0.5, s3 = 0.86602540378443864676;
	const float c51 = 0.30901699437494742410, c52 = -0.80901699437494742410;
	const float s51 = 0.95105651629515357212, s52 = 0.58778525229247312917;
	for (size_t b = 0; b < nblk; b++)
		for (size_t k = 0; k < Ns; k++) {
			const size_t j = b * Ns + k, o = b * Ns * R + k;
			float wr[5] = { 1, 1, 1, 1, 1 }, wi[5] = { 0, 0, 0, 0, 0 };
			for (size_t r = 1; r < R; r++) {
				wr[r] = tw[r * k * ts].re;
				wi[r] = sg * tw[r * k * ts].im;
			}
			const float *restrict a0r = sr + j * ss;
			const float *restrict a0i = si + j * ss;
			float *restrict b0r = dr + o * ds;
			float *restrict b0i = di + o * ds;
#define IN(r) (sr + (j + (r) * q) * ss), (si + (j + (r) * q) * ss)
#define OUT(r) (dr + (o + (r) * Ns) * ds), (di + (o + (r) * Ns) * ds)
			if (R == 2)
				lanes2(b0r, b0i, OUT(1), a0r, a0i, IN(1), wr, wi);
			else if (R == 4)
				lanes4(b0r, b0i, OUT(1), OUT(2), OUT(3), a0r, a0i,
				    IN(1), IN(2), IN(3), wr, wi, sg);
			else if (R == 3)
				lanes3(b0r, b0i, OUT(1), OUT(2), a0r, a0i, IN(1),
				    IN(2), wr, wi, sg, c3, s3);
			else
				lanes5(b0r, b0i, OUT(1), OUT(2), OUT(3), OUT(4),
				    a0r, a0i, IN(1), IN(2), IN(3), IN(4), wr, wi,
				    sg, c51, c52, s51, s52);
#undef IN
#undef OUT
		}
}

/*
 * CB signals of length n, element i of signal l at g[i * gs + l] (real
 * and imaginary planes), transformed in place: the first stage reads g,
 * the last writes g, the others ping-pong between x and w ([n,CB]
 * each).  gs = m lets the column transforms work on the grid itself.
 */
static inline __attribute__((always_inline)) void
fft_batch_body(float *gr, float *gi, size_t gs, float *xr, float *xi,
    float *wr, float *wi, size_t n, const struct cpxf *tw, int inv)
{
	size_t f[64], nf = fft_factor(n, f), Ns = 1;
	float *sr = gr, *si = gi, *dr = xr, *di = xi;
	size_t ss = gs, ds = CB;
	const float sg = inv ? -1.0f : 1.0f;
	for (size_t s = 0; s < nf; s++) {
		if (s + 1 == nf && nf > 1) {
			dr = gr;
			di = gi;
			ds = gs;
		}
		switch (f[s]) {
		case 4:
			batch_stage(dr, di, ds, sr, si, ss, n, 4, Ns, tw, sg);
			break;
		case 2:
			batch_stage(dr, di, ds, sr, si, ss, n, 2, Ns, tw, sg);
			break;
		case 3:
			batch_stage(dr, di, ds, sr, si, ss, n, 3, Ns, tw, sg);
			break;
		default:
			batch_stage(dr, di, ds, sr, si, ss, n, 5, Ns, tw, sg);
			break;
		}
		Ns *= f[s];
		/* the next stage reads what this one wrote and writes the
		 * scratch plane it did not read (x and w alternate) */
		float *nr = dr == xr ? wr : xr, *ni = dr == xr ? wi : xi;
		sr = dr;
		si = di;
		ss = ds;
		dr = nr;
		di = ni;
		ds = CB;
	}
	if (nf == 1)
		for (size_t i = 0; i < n; i++)
			for (size_t l = 0; l < CB; l++) {
				gr[i * gs + l] = xr[i * CB + l];
				gi[i * gs + l] = xi[i * CB + l];
			}
}

/* The same code compiled twice: plain (the reference twin, SSE2) and
 * for AVX2 (4 floats a vector), chosen at run time.  Without FMA
 * contraction (-std=c11 implies -ffp-contract=off) both give the same
 * bits. */
static void
fft_batch_plain(float *gr, float *gi, size_t gs, float *xr, float *xi,
    float *wr, float *wi, size_t n, const struct cpxf *tw, int inv)
{
	fft_batch_body(gr, gi, gs, xr, xi, wr, wi, n, tw, inv);
}

__attribute__((target("avx2"))) static void
fft_batch_avx2(float *gr, float *gi, size_t gs, float *xr, float *xi,
    float *wr, float *wi, size_t n, const struct cpxf *tw, int inv)
{
	fft_batch_body(gr, gi, gs, xr, xi, wr, wi, n, tw, inv);
}

static int simd_mode = -1;      /* -1: not yet probed */

int
tsne_simd(int on)
{
	if (simd_mode < 0)
		simd_mode = __builtin_cpu_supports("avx2") &&
		    __builtin_cpu_supports("fma");
	if (on == 0)
		simd_mode = 0;
	else if (on > 0)
		simd_mode = __builtin_cpu_supports("avx2") &&
		    __builtin_cpu_supports("fma");
	return simd_mode;
}

static void
fft_batch(float *gr, float *gi, size_t gs, float *xr, float *xi, float *wr,
    float *wi, size_t n, const struct cpxf *tw, int inv)
{
	if (simd_mode > 0)
		fft_batch_avx2(gr, gi, gs, xr, xi, wr, wi, n, tw, inv);
	else
		fft_batch_plain(gr, gi, gs, xr, xi, wr, wi, n, tw, inv);
}

#define NSCRATCH 6      /* [n,CB] planes per thread */

static float *
thread_scratch(struct tsne_fft *f)
{
	int t = 0;
#ifdef _OPENMP
	t = omp_get_thread_num();
#endif
	return f->scratch + (size_t)t * NSCRATCH * CB * f->mmax;
}

/* 1-D transforms of rows [r0, r1) of the grid (Gr, Gi) [m,m], in place,
 * CB rows at a time transposed into the lanes */
static void
fft_rows(struct tsne_fft *f, float *Gr, float *Gi, size_t m, size_t r0,
    size_t r1, int inv)
{
	size_t nbatch = (r1 - r0 + CB - 1) / CB;
#pragma omp parallel for schedule(static)
	for (size_t bi = 0; bi < nbatch; bi++) {
		float *gr = thread_scratch(f), *gi = gr + CB * m;
		float *xr = gi + CB * m, *xi = xr + CB * m;
		float *wr = xi + CB * m, *wi = wr + CB * m;
		size_t a = r0 + bi * CB, nr = r1 - a < CB ? r1 - a : CB;
		if (nr < CB) {
			memset(gr, 0, CB * m * sizeof *gr);
			memset(gi, 0, CB * m * sizeof *gi);
		}
		for (size_t l = 0; l < nr; l++) {
			const float *rr = Gr + (a + l) * m, *ri = Gi + (a + l) * m;
			for (size_t c = 0; c < m; c++) {
				gr[c * CB + l] = rr[c];
				gi[c * CB + l] = ri[c];
			}
		}
		fft_batch(gr, gi, CB, xr, xi, wr, wi, m, f->twf, inv);
		for (size_t l = 0; l < nr; l++) {
			float *rr = Gr + (a + l) * m, *ri = Gi + (a + l) * m;
			for (size_t c = 0; c < m; c++) {
				rr[c] = gr[c * CB + l];
				ri[c] = gi[c * CB + l];
			}
		}
	}
}

/* 1-D transforms of columns [0, c1) of the grid, in place: CB adjacent
 * columns are already CB lanes (element stride m), so full blocks are
 * transformed on the grid itself; a last partial block is copied */
static void
fft_cols(struct tsne_fft *f, float *Gr, float *Gi, size_t m, size_t c1,
    int inv)
{
	size_t nbatch = (c1 + CB - 1) / CB;
#pragma omp parallel for schedule(static)
	for (size_t bi = 0; bi < nbatch; bi++) {
		float *gr = thread_scratch(f), *gi = gr + CB * m;
		float *xr = gi + CB * m, *xi = xr + CB * m;
		float *wr = xi + CB * m, *wi = wr + CB * m;
		size_t c0 = bi * CB, nc = c1 - c0 < CB ? c1 - c0 : CB;
		if (nc == CB) {
			fft_batch(Gr + c0, Gi + c0, m, xr, xi, wr, wi, m,
			    f->twf, inv);
			continue;
		}
		for (size_t r = 0; r < m; r++) {
			size_t l = 0;
			for (; l < nc; l++) {
				gr[r * CB + l] = Gr[r * m + c0 + l];
				gi[r * CB + l] = Gi[r * m + c0 + l];
			}
			for (; l < CB; l++)
				gr[r * CB + l] = gi[r * CB + l] = 0;
		}
		fft_batch(gr, gi, CB, xr, xi, wr, wi, m, f->twf, inv);
		for (size_t r = 0; r < m; r++)
			for (size_t l = 0; l < nc; l++) {
				Gr[r * m + c0 + l] = gr[r * CB + l];
				Gi[r * m + c0 + l] = gi[r * CB + l];
			}
	}
}

/* ---- work space --------------------------------------------------------- */

struct tsne_fft *
tsne_fft_alloc(size_t N, size_t threads)
{
	struct tsne_fft *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	size_t nt = threads ? threads : 1;
#ifdef _OPENMP
	if ((size_t)omp_get_max_threads() > nt)
		nt = (size_t)omp_get_max_threads();
#endif
	tsne_simd(-1);
	f->N = N;
	f->nthreads = nt;
	f->mmax = 2 * TSNE_FFT_INTERP * TSNE_FFT_MAX_BOXES;
	size_t mm = f->mmax * f->mmax;
	f->Ar = malloc(mm * sizeof *f->Ar);
	f->Ai = malloc(mm * sizeof *f->Ai);
	f->Br = malloc(mm * sizeof *f->Br);
	f->Bi = malloc(mm * sizeof *f->Bi);
	f->kre = malloc(mm * sizeof *f->kre);
	f->tw = malloc(f->mmax * sizeof *f->tw);
	f->twf = malloc(f->mmax * sizeof *f->twf);
	f->scratch = malloc(nt * NSCRATCH * CB * f->mmax *
	    sizeof *f->scratch);
	f->wgt = malloc(6 * N * sizeof *f->wgt);
	f->node = malloc(2 * N * sizeof *f->node);
	f->attr = malloc(2 * N * sizeof *f->attr);
	f->rowkl = malloc(N * sizeof *f->rowkl);
	f->rowz = malloc(N * sizeof *f->rowz);
	if (!f->Ar || !f->Ai || !f->Br || !f->Bi || !f->kre || !f->tw || !f->twf || !f->scratch || !f->wgt ||
	    !f->node || !f->attr || !f->rowkl || !f->rowz) {
		tsne_fft_free(f);
		return NULL;
	}
	return f;
}

void
tsne_fft_free(struct tsne_fft *f)
{
	if (!f)
		return;
	free(f->Ar);
	free(f->Ai);
	free(f->Br);
	free(f->Bi);
	free(f->kre);
	free(f->tw);
	free(f->twf);
	free(f->scratch);
	free(f->wgt);
	free(f->node);
	free(f->attr);
	free(f->rowkl);
	free(f->rowz);
	free(f);
}

size_t
tsne_fft_boxes(const struct tsne_fft *f)
{
	return f->boxes;
}

/* ---- the gradient --------------------------------------------------------- */

static size_t
boxes_for(double span)
{
	double want = ceil(span);       /* box width <= 1 */
	size_t nb = want < TSNE_FFT_MIN_BOXES ? TSNE_FFT_MIN_BOXES :
	    want > TSNE_FFT_MAX_BOXES ? TSNE_FFT_MAX_BOXES : (size_t)want;
	while (!tsne_fft_size_ok(nb))
		nb++;
	return nb < TSNE_FFT_MAX_BOXES ? nb : TSNE_FFT_MAX_BOXES;
}

/* Lagrange weights at t in [0,1] for nodes (j + 0.5) / P */
static void
lagrange(double *w, double t)
{
	const double P = TSNE_FFT_INTERP;
	for (size_t j = 0; j < TSNE_FFT_INTERP; j++) {
		double xj = ((double)j + 0.5) / P, v = 1;
		for (size_t l = 0; l < TSNE_FFT_INTERP; l++) {
			if (l == j)
				continue;
			double xl = ((double)l + 0.5) / P;
			v *= (t - xl) / (xj - xl);
		}
		w[j] = v;
	}
}

void
tsne_gradient_fft(double *grad, const struct tsne_p *P, double exaggeration,
    const double *Y, size_t N, struct tsne_fft *f, double *kl)
{
	const size_t ip = TSNE_FFT_INTERP;
	double lo = Y[0], hi = Y[0];
	for (size_t i = 0; i < 2 * N; i++) {
		if (Y[i] < lo)
			lo = Y[i];
		if (Y[i] > hi)
			hi = Y[i];
	}
	double span = hi - lo;
	if (!(span > 1e-12))
		span = 1e-12;
	size_t nb = boxes_for(span);
	f->boxes = nb;
	const size_t n = ip * nb, m = 2 * n;
	/* the boxes tile [lo, hi] exactly, as FIt-SNE (boxes of width
	 * exactly 1 with the grid reaching past the points cost about 3 %
	 * in the final KL divergence in our runs) */
	const double bw = span / (double)nb;
	const double delta = bw / (double)ip;
	const double cen = lo + 0.5 * span;
	if (f->twn != m) {
		tsne_fft_twiddles(f->tw, m);
		for (size_t k = 0; k < m; k++) {
			f->twf[k].re = (float)f->tw[k].re;
			f->twf[k].im = (float)f->tw[k].im;
		}
		f->twn = m;
	}

	/* each point's box and weights */
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < N; i++)
		for (size_t d = 0; d < 2; d++) {
			double u = (Y[2 * i + d] - lo) / bw;
			size_t b = u <= 0 ? 0 : (size_t)u;
			if (b >= nb)
				b = nb - 1;
			f->node[2 * i + d] = b * ip;
			lagrange(f->wgt + 6 * i + 3 * d, u - (double)b);
		}

	/* kernel w^2 on the circulant grid, and its transform (real) */
	float *Ar = f->Ar, *Ai = f->Ai, *Br = f->Br, *Bi = f->Bi;
	if (f->kern_m == m && f->kern_delta == delta)
		goto have_kernel;       /* same grid as the last call */
	f->kern_m = m;
	f->kern_delta = delta;
#pragma omp parallel for schedule(static)
	for (size_t a = 0; a < m; a++) {
		double da = a < n ? (double)a : a > m - n ? (double)a -
		    (double)m : NAN;
		for (size_t b = 0; b < m; b++) {
			double db = b < n ? (double)b : b > m - n ? (double)b -
			    (double)m : NAN;
			double v = 0;
			if (!isnan(da) && !isnan(db)) {
				double r2 = (da * da + db * db) * delta * delta;
				v = 1.0 / ((1.0 + r2) * (1.0 + r2));
			}
			Ar[a * m + b] = (float)v;
			Ai[a * m + b] = 0;
		}
	}
	/* K is even in both axes: row m - a equals row a, so transform
	 * rows [0, n] and copy; the transform is even in the column
	 * frequency too, so only columns [0, m/2] are transformed */
	fft_rows(f, Ar, Ai, m, 0, n + 1, 0);
	for (size_t a = n + 1; a < m; a++) {
		memcpy(Ar + a * m, Ar + (m - a) * m, m * sizeof *Ar);
		memcpy(Ai + a * m, Ai + (m - a) * m, m * sizeof *Ai);
	}
	fft_cols(f, Ar, Ai, m, m / 2 + 1, 0);
	const double scale = 1.0 / ((double)m * (double)m);
#pragma omp parallel for schedule(static)
	for (size_t a = 0; a < m; a++)
		for (size_t b = 0; b < m; b++)
			f->kre[a * m + b] = (float)(Ar[a * m + (b <= m / 2 ?
			    b : m - b)] * scale);

have_kernel:
	/* spread the charges 1, y1 | y2, |y|^2 (serial: a scatter) */
	memset(Ar, 0, m * m * sizeof *Ar);
	memset(Ai, 0, m * m * sizeof *Ai);
	memset(Br, 0, m * m * sizeof *Br);
	memset(Bi, 0, m * m * sizeof *Bi);
	for (size_t i = 0; i < N; i++) {
		double y0 = Y[2 * i] - cen, y1 = Y[2 * i + 1] - cen;
		double q2 = y0 * y0 + y1 * y1;
		const double *wx = f->wgt + 6 * i, *wy = wx + 3;
		size_t gx = f->node[2 * i], gy = f->node[2 * i + 1];
		for (size_t jx = 0; jx < ip; jx++)
			for (size_t jy = 0; jy < ip; jy++) {
				double w = wx[jx] * wy[jy];
				size_t g = (gx + jx) * m + gy + jy;
				Ar[g] += w;
				Ai[g] += w * y0;
				Br[g] += w * y1;
				Bi[g] += w * q2;
			}
	}
	/* convolve: rows [0,n) are the only non-zero ones going in, and
	 * only rows and columns [0,n) are needed coming out */
	fft_rows(f, Ar, Ai, m, 0, n, 0);
	fft_rows(f, Br, Bi, m, 0, n, 0);
	fft_cols(f, Ar, Ai, m, m, 0);
	fft_cols(f, Br, Bi, m, m, 0);
#pragma omp parallel for schedule(static)
	for (size_t a = 0; a < m * m; a++) {
		Ar[a] *= f->kre[a];
		Ai[a] *= f->kre[a];
		Br[a] *= f->kre[a];
		Bi[a] *= f->kre[a];
	}
	fft_cols(f, Ar, Ai, m, m, 1);
	fft_cols(f, Br, Bi, m, m, 1);
	fft_rows(f, Ar, Ai, m, 0, n, 1);
	fft_rows(f, Br, Bi, m, 0, n, 1);

	/* the kernel between nodes of one box, for the self terms */
	double kself[2 * TSNE_FFT_INTERP - 1][2 * TSNE_FFT_INTERP - 1];
	for (size_t a = 0; a < 2 * ip - 1; a++)
		for (size_t b = 0; b < 2 * ip - 1; b++) {
			double da = ((double)a - (double)(ip - 1)) * delta;
			double db = ((double)b - (double)(ip - 1)) * delta;
			double r2 = da * da + db * db;
			kself[a][b] = 1.0 / ((1.0 + r2) * (1.0 + r2));
		}

	/* gather the potentials, repulsion and the normaliser */
	double *rep = grad;
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < N; i++) {
		const double *wx = f->wgt + 6 * i, *wy = wx + 3;
		size_t gx = f->node[2 * i], gy = f->node[2 * i + 1];
		double p0 = 0, p1 = 0, p2 = 0, p3 = 0;
		for (size_t jx = 0; jx < ip; jx++)
			for (size_t jy = 0; jy < ip; jy++) {
				double w = wx[jx] * wy[jy];
				size_t g = (gx + jx) * m + gy + jy;
				p0 += w * Ar[g];
				p1 += w * Ai[g];
				p2 += w * Br[g];
				p3 += w * Bi[g];
			}
		double y0 = Y[2 * i] - cen, y1 = Y[2 * i + 1] - cen;
		rep[2 * i] = y0 * p0 - p1;
		rep[2 * i + 1] = y1 * p0 - p2;
		/* the point's own interpolated interaction, which the
		 * charges sum to exactly (it would be 1 without the
		 * interpolation error): removed exactly */
		double self = 0;
		for (size_t jx = 0; jx < ip; jx++)
			for (size_t kx = 0; kx < ip; kx++)
				for (size_t jy = 0; jy < ip; jy++)
					for (size_t ky = 0; ky < ip; ky++)
						self += wx[jx] * wx[kx] * wy[jy] *
						    wy[ky] * kself[jx + ip - 1 -
						    kx][jy + ip - 1 - ky];
		f->rowz[i] = (1.0 + y0 * y0 + y1 * y1) * p0 -
		    2.0 * (y0 * p1 + y1 * p2) + p3 - self;
	}
	double Z = 0;
	for (size_t i = 0; i < N; i++)
		Z += f->rowz[i];
	if (!(Z > 1e-300))
		Z = 1e-300;

	tsne_attractive(f->attr, P, exaggeration, Y, N, kl ? f->rowkl : NULL);
	for (size_t i = 0; i < 2 * N; i++)
		grad[i] = 4.0 * (f->attr[i] - rep[i] / Z);
	if (kl) {
		double s = 0, psum = 0;
		for (size_t i = 0; i < N; i++)
			s += f->rowkl[i];
		for (size_t k = 0; k < P->indptr[N]; k++)
			psum += P->val[k];
		*kl = s + exaggeration * psum * log(Z);
	}
}
