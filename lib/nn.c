/*
 * nn.c - layer kernels (see nn.h).  Convolutions are im2col + GEMM
 * over chunks of images, one chunk per thread with a single-threaded
 * GEMM, except where conv_wcb.h (Winograd F(4x4,3x3) in a channel-
 * blocked layout, channels a multiple of 8), conv_wino.h (Winograd,
 * 64+ channels) or conv3x3.h (direct AVX2 kernels) take a part of a
 * 3x3 stride-1 convolution, or conv_s2c.h (channels last, AVX2 + FMA)
 * or conv_s2.h (direct AVX2 kernels over phase planes) a part of a
 * stride-2 one; BN statistics are float row sums added in double, one
 * channel per OpenMP iteration.  Results do not depend on the thread
 * count except through BLIS in linear_* and the VICReg loss.
 */
#include <blis.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "blas.h"
#include "conv3x3.h"
#include "conv_s2.h"
#include "conv_s2c.h"
#include "conv_wcb.h"
#include "conv_wino.h"
#include "nn.h"

static double row_sum(const float *x, size_t n);

/*
 * Element-wise loops run on several threads only from this many
 * elements: a parallel region costs a barrier, and on a shared machine
 * a barrier can wait for a descheduled thread.
 */
#define PAR_MIN ((size_t)1 << 18)

/* ---------------------------------------------------------------- conv */

/*
 * Images per GEMM: at least CONV_MIN_COLS columns (images x output
 * pixels) for an efficient GEMM, but at least CONV_MIN_CHUNKS chunks
 * so that the threads have work.  The chunking depends on N only, not
 * on the thread count: each chunk is computed by one thread with a
 * single-threaded GEMM and its weight gradient is summed in chunk
 * order, so results do not depend on the number of threads.
 */
#define CONV_MIN_COLS 2048
#define CONV_MIN_CHUNKS 4
/*
 * From this many output pixels per image, GEMMs go image by image
 * (N = OH*OW is wide enough) and read or write the NCHW tensors in
 * place, with no [OC, images*OHW] staging copy.
 */
#define CONV_DIRECT_OHW 256

int
conv2d_shape_set(struct conv2d_shape *s, size_t C, size_t H, size_t W,
    size_t OC, size_t KS, size_t stride, size_t pad)
{
	s->C = C;
	s->H = H;
	s->W = W;
	s->OC = OC;
	s->KS = KS;
	s->stride = stride;
	s->pad = pad;
	s->OH = s->OW = 0;
	if (KS == 0 || stride == 0 || H + 2 * pad < KS || W + 2 * pad < KS)
		return -1;
	s->OH = (H + 2 * pad - KS) / stride + 1;
	s->OW = (W + 2 * pad - KS) / stride + 1;
	return 0;
}

static size_t
conv_chunk(const struct conv2d_shape *s, size_t N)
{
	size_t ohw = s->OH * s->OW;
	size_t c = (CONV_MIN_COLS + ohw - 1) / ohw;
	size_t most = (N + CONV_MIN_CHUNKS - 1) / CONV_MIN_CHUNKS;
	if (c > most)
		c = most;
	return c ? c : 1;
}

/* per thread: col [K, chunk*OHW] and tmp [OC, chunk*OHW] */
static size_t
conv_thread_floats(const struct conv2d_shape *s, size_t N)
{
	size_t cols = conv_chunk(s, N) * s->OH * s->OW;
	return (s->C * s->KS * s->KS + s->OC) * cols;
}

/*
 * The files that take parts of some convolutions, each with its own
 * scratch: parts are numbered FWD, DINP, DWEIGHT (0, 1, 2) in each
 * file's enum.
 */
struct conv_file {
	int (*applies)(const struct conv2d_shape *, int);
	size_t (*floats)(const struct conv2d_shape *, size_t);
};
static const struct conv_file conv_files[] = {
	{ conv3x3_applies, conv3x3_scratch_floats },
	{ conv_wino_applies, conv_wino_scratch_floats },
	{ conv_wcb_applies, conv_wcb_scratch_floats },
	{ conv_s2_applies, conv_s2_scratch_floats },
	{ conv_s2c_applies, conv_s2c_scratch_floats },
};

/* the scratch of file f if it takes a part of s, else 0 */
static size_t
conv_file_floats(const struct conv_file *f, const struct conv2d_shape *s,
    size_t threads)
{
	for (int part = 0; part < 3; part++)
		if (f->applies(s, part))
			return f->floats(s, threads);
	return 0;
}

size_t
conv2d_scratch_floats(const struct conv2d_shape *s, size_t N,
    size_t threads)
{
	size_t chunk = conv_chunk(s, N), nch = (N + chunk - 1) / chunk;
	size_t K = s->C * s->KS * s->KS;
	if (threads == 0)
		threads = 1;
	/* + the chunks' weight gradients + the flipped weight */
	size_t n = threads * conv_thread_floats(s, N) + (nch + 1) * s->OC * K;
	for (size_t i = 0; i < sizeof conv_files / sizeof *conv_files; i++) {
		size_t d = conv_file_floats(&conv_files[i], s, threads);
		if (d > n)
			n = d;
	}
	return n;
}

/*
 * A stride-1 "same" convolution with as many input as output channels
 * gets its input gradient as a convolution of dout with the flipped,
 * transposed kernel: dx[c,ih,iw] = sum W[oc,c,ki,kj] dout[oc,ih-ki+p,
 * iw-kj+p] = sum Wf[c,oc,a,b] dout[oc,ih+a-p,iw+b-p] with Wf[c,oc,a,b]
 * = W[oc,c,KS-1-a,KS-1-b], since KS-1 = 2p.  The GEMM then writes
 * [C, pixels] instead of [C*KS*KS, pixels], and there is no col2im.
 */
static int
conv_dinp_as_conv(const struct conv2d_shape *s)
{
	return s->stride == 1 && 2 * s->pad + 1 == s->KS && s->C == s->OC &&
	    s->KS > 1;
}

/* row-major C = op(A) op(B) (+ beta C) on the calling thread only */
static void
gemm1(int ta, int tb, size_t M, size_t N, size_t K, const float *A,
    size_t lda, const float *B, size_t ldb, float beta, float *C,
    size_t ldc)
{
	float alpha = 1.0f;
	rntm_t rntm;
	blas_rntm(&rntm, 1, K);
	bli_sgemm_ex(ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
	    tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, (dim_t)M, (dim_t)N,
	    (dim_t)K, &alpha, (float *)A, (inc_t)lda, 1, (float *)B,
	    (inc_t)ldb, 1, &beta, C, (inc_t)ldc, 1, NULL, &rntm);
}

/* the output columns [lo, hi) whose input column is inside [0, W) */
static void
valid_range(size_t *lo, size_t *hi, size_t kj, const struct conv2d_shape *s)
{
	size_t st = s->stride, pad = s->pad, W = s->W, OW = s->OW;
	/* iw = ow st + kj - pad in [0, W) */
	size_t l = kj >= pad ? 0 : (pad - kj + st - 1) / st;
	size_t h = W + pad > kj ? (W + pad - kj - 1) / st + 1 : 0;
	if (h > OW)
		h = OW;
	if (l > h)
		l = h;
	*lo = l;
	*hi = h;
}

/*
 * col [C*KS*KS, ldc] from output rows [oh0, oh1) of one image x
 * [C,H,W], column (oh - oh0)*OW + ow; zero outside the image.  Rows
 * are short (OW <= 32 here): plain loops, not memcpy/memset calls.
 */
static void
im2col_rows(float *col, size_t ldc, const float *x, size_t oh0,
    size_t oh1, const struct conv2d_shape *s)
{
	size_t KS = s->KS, OW = s->OW, st = s->stride, pad = s->pad;
	size_t C = s->C, H = s->H, W = s->W;
	for (size_t c = 0; c < C; c++, x += H * W)
		for (size_t ki = 0; ki < KS; ki++)
			for (size_t kj = 0; kj < KS; kj++) {
				float *row = col + ((c * KS + ki) * KS + kj) *
				    ldc;
				size_t lo, hi;
				valid_range(&lo, &hi, kj, s);
				for (size_t oh = oh0; oh < oh1; oh++) {
					size_t ih = oh * st + ki;
					float *r = row + (oh - oh0) * OW;
					if (ih < pad || ih - pad >= H || lo == hi) {
#pragma omp simd
						for (size_t ow = 0; ow < OW; ow++)
							r[ow] = 0.0f;
						continue;
					}
					for (size_t ow = 0; ow < lo; ow++)
						r[ow] = 0.0f;
					/* xr: input column of output column lo */
					const float *xr = x + (ih - pad) * W +
					    lo * st + kj - pad;
					float *rl = r + lo;
					if (st == 1) {
#pragma omp simd
						for (size_t j = 0; j < hi - lo; j++)
							rl[j] = xr[j];
					} else {
						for (size_t j = 0; j < hi - lo; j++)
							rl[j] = xr[j * st];
					}
					for (size_t ow = hi; ow < OW; ow++)
						r[ow] = 0.0f;
				}
			}
}

/* col [C*KS*KS, ldc], columns i*OH*OW.. from image i of inp [nc,C,H,W] */
static void
im2col(float *col, size_t ldc, const float *inp, size_t nc,
    const struct conv2d_shape *s)
{
	size_t ohw = s->OH * s->OW, in_sz = s->C * s->H * s->W;
	for (size_t i = 0; i < nc; i++)
		im2col_rows(col + i * ohw, ldc, inp + i * in_sz, 0, s->OH, s);
}

/* x [C,H,W] += scatter of col [C*KS*KS, ldc] (output rows [oh0, oh1)) */
static void
col2im_rows(float *x, const float *col, size_t ldc, size_t oh0,
    size_t oh1, const struct conv2d_shape *s)
{
	size_t KS = s->KS, OW = s->OW, st = s->stride, pad = s->pad;
	size_t C = s->C, H = s->H, W = s->W;
	for (size_t c = 0; c < C; c++, x += H * W)
		for (size_t ki = 0; ki < KS; ki++)
			for (size_t kj = 0; kj < KS; kj++) {
				const float *row = col + ((c * KS + ki) * KS +
				    kj) * ldc;
				size_t lo, hi;
				valid_range(&lo, &hi, kj, s);
				if (lo == hi)
					continue;
				for (size_t oh = oh0; oh < oh1; oh++) {
					size_t ih = oh * st + ki;
					if (ih < pad || ih - pad >= H)
						continue;
					const float *r = row + (oh - oh0) * OW +
					    lo;
					float *xr = x + (ih - pad) * W +
					    (lo * st + kj - pad);
					if (st == 1) {
#pragma omp simd
						for (size_t j = 0; j < hi - lo; j++)
							xr[j] += r[j];
					} else {
						for (size_t j = 0; j < hi - lo; j++)
							xr[j * st] += r[j];
					}
				}
			}
}

/* dinp [nc,C,H,W] += scatter of col [C*KS*KS, ldc] */
static void
col2im(float *dinp, const float *col, size_t ldc, size_t nc,
    const struct conv2d_shape *s)
{
	size_t ohw = s->OH * s->OW, in_sz = s->C * s->H * s->W;
	for (size_t i = 0; i < nc; i++)
		col2im_rows(dinp + i * in_sz, col + i * ohw, ldc, 0, s->OH, s);
}

/*
 * Output rows per band on the per-image path: the band's im2col
 * columns [K, rows*OW] stay within CONV_BAND_FLOATS (in L2 for the
 * GEMM that reads them) but give the GEMM at least CONV_BAND_COLS
 * columns.
 */
#define CONV_BAND_FLOATS ((size_t)1 << 16)
#define CONV_BAND_COLS 256

static size_t
conv_band(const struct conv2d_shape *s)
{
	size_t K = s->C * s->KS * s->KS, OW = s->OW;
	size_t r = CONV_BAND_FLOATS / (K * OW);
	size_t least = (CONV_BAND_COLS + OW - 1) / OW;
	if (r < least)
		r = least;
	if (r > s->OH)
		r = s->OH;
	return r ? r : 1;
}

void
conv2d_forward(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads)
{
	conv2d_forward_post(out, scratch, inp, weight, bias, N, s, threads,
	    NULL);
}

int
conv2d_cache_init(struct conv_cache *c, const struct conv2d_shape *s,
    int parts)
{
	size_t nu = conv_wcb_cache_floats(s), nw = s->OC * s->C * 9;
	if (nu == 0)
		nu = conv_s2c_cache_floats(s);
	memset(c, 0, sizeof *c);
	if (nu == 0)
		return 0;
	for (int i = 0; i < parts && i < 2; i++) {
		c->u[i] = malloc(nu * sizeof *c->u[i]);
		c->w[i] = malloc(nw * sizeof *c->w[i]);
		if (c->u[i] == NULL || c->w[i] == NULL) {
			conv2d_cache_free(c);
			return -1;
		}
	}
	return 0;
}

float *
conv_cache_take(struct conv_cache *c, int i, float *scratch,
    const float *weight, size_t nw, int *make)
{
	*make = 1;
	if (c == NULL || c->u[i] == NULL)
		return scratch;
	if (c->valid[i] && memcmp(c->w[i], weight, nw * sizeof *weight) == 0)
		*make = 0;
	else {
		memcpy(c->w[i], weight, nw * sizeof *weight);
		c->valid[i] = 1;
	}
	return c->u[i];
}

void
conv2d_cache_free(struct conv_cache *c)
{
	for (int i = 0; i < 2; i++) {
		free(c->u[i]);
		free(c->w[i]);
	}
	memset(c, 0, sizeof *c);
}

void
conv2d_forward_post(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post)
{
	conv2d_forward_cached(out, scratch, inp, weight, bias, N, s, threads,
	    post, NULL);
}

void
conv2d_forward_cached(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post, struct conv_cache *cache)
{
	size_t OC = s->OC, ohw = s->OH * s->OW;
	size_t K = s->C * s->KS * s->KS;
	size_t in_sz = s->C * s->H * s->W, out_sz = OC * ohw;
	size_t chunk = conv_chunk(s, N), nch = (N + chunk - 1) / chunk;
	size_t per = conv_thread_floats(s, N);
	if (threads == 0)
		threads = 1;
	if (conv_wcb_applies(s, CONV_WCB_FWD)) {
		conv_wcb_forward_cached(out, scratch, inp, NULL, weight, bias,
		    N, s, threads, post, cache);
		return;
	}
	if (conv_wino_applies(s, CONV_WINO_FWD)) {
		conv_wino_forward(out, scratch, inp, weight, bias, N, s,
		    threads, post);
		return;
	}
	if (conv3x3_applies(s, CONV3X3_FWD)) {
		conv3x3_forward(out, scratch, inp, weight, bias, N, s, threads,
		    post);
		return;
	}
	if (conv_s2c_applies(s, CONV_S2C_FWD)) {
		conv_s2c_forward_cached(out, scratch, inp, weight, bias, N, s,
		    threads, post, cache);
		return;
	}
	if (conv_s2_applies(s, CONV_S2_FWD)) {
		conv_s2_forward(out, scratch, inp, weight, bias, N, s, threads,
		    post);
		return;
	}

#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
	for (size_t ch = 0; ch < nch; ch++) {
		float *col = scratch + (size_t)omp_get_thread_num() * per;
		float *tmp = col + K * chunk * ohw;
		size_t n0 = ch * chunk;
		size_t nc = N - n0 < chunk ? N - n0 : chunk;
		size_t cols = nc * ohw;
		if (ohw >= CONV_DIRECT_OHW) {
			/* wide images: bands of output rows, im2col then a
			 * GEMM straight into out */
			size_t band = conv_band(s), OW = s->OW;
			for (size_t i = 0; i < nc; i++)
				for (size_t r0 = 0; r0 < s->OH; r0 += band) {
					size_t r1 = r0 + band < s->OH ?
					    r0 + band : s->OH;
					size_t bc = (r1 - r0) * OW;
					im2col_rows(col, bc, inp + (n0 + i) *
					    in_sz, r0, r1, s);
					gemm1(0, 0, OC, bc, K, weight, K, col,
					    bc, 0.0f, out + (n0 + i) * out_sz +
					    r0 * OW, ohw);
				}
		} else if (nc == 1) {
			im2col(col, cols, inp + n0 * in_sz, nc, s);
			gemm1(0, 0, OC, ohw, K, weight, K, col, cols, 0.0f,
			    out + n0 * out_sz, ohw);
		} else {
			/* tmp [OC, nc, ohw] -> out [nc, OC, ohw] */
			im2col(col, cols, inp + n0 * in_sz, nc, s);
			gemm1(0, 0, OC, cols, K, weight, K, col, cols, 0.0f,
			    tmp, cols);
			for (size_t i = 0; i < nc; i++)
				for (size_t oc = 0; oc < OC; oc++)
					memcpy(out + (n0 + i) * out_sz +
					    oc * ohw, tmp + oc * cols + i * ohw,
					    ohw * sizeof *out);
		}
		if (bias)
			for (size_t i = 0; i < nc; i++)
				for (size_t oc = 0; oc < OC; oc++) {
					float *o = out + (n0 + i) * out_sz +
					    oc * ohw;
					float bv = bias[oc];
#pragma omp simd
					for (size_t j = 0; j < ohw; j++)
						o[j] += bv;
				}
		for (size_t i = 0; i < nc; i++)
			conv_post_image(out + (n0 + i) * out_sz, n0 + i, OC,
			    ohw, post);
	}
}

int
conv2d_pre_applies(const struct conv2d_shape *s)
{
	return conv_wcb_applies(s, CONV_WCB_FWD) &&
	    conv_wcb_applies(s, CONV_WCB_DWEIGHT);
}

void
conv2d_forward_pre(float *out, float *scratch, const float *x,
    const struct conv_pre *pre, const float *weight, const float *bias,
    size_t N, const struct conv2d_shape *s, size_t threads,
    struct conv_cache *cache)
{
	conv_wcb_forward_cached(out, scratch, x, pre, weight, bias, N, s,
	    threads ? threads : 1, NULL, cache);
}

void
conv2d_backward_pre(float *dinp, float *dweight, float *dbias,
    float *scratch, const float *dout, const float *x,
    const struct conv_pre *pre, const float *weight, size_t N,
    const struct conv2d_shape *s, size_t threads, int acc,
    struct conv_cache *cache)
{
	/* the input gradient and dbias read no input */
	conv2d_backward_cached(dinp, NULL, dbias, scratch, dout, NULL, weight,
	    N, s, threads, acc, cache);
	if (dweight)
		conv_wcb_backward_dweight(dweight, scratch, dout, x, pre, N, s,
		    threads ? threads : 1);
}

/* dbias [OC] += sum of dout [N,OC,OH,OW] over N, OH, OW (NULL: none) */
static void
conv_dbias(float *dbias, const float *dout, size_t N,
    const struct conv2d_shape *s, size_t threads)
{
	size_t OC = s->OC, ohw = s->OH * s->OW, out_sz = OC * ohw;
	if (dbias == NULL)
		return;
#pragma omp parallel for schedule(static) num_threads(threads ? threads : 1) \
    if (N * out_sz >= PAR_MIN)
	for (size_t oc = 0; oc < OC; oc++) {
		double acc = 0;
		for (size_t n = 0; n < N; n++)
			acc += row_sum(dout + n * out_sz + oc * ohw, ohw);
		dbias[oc] += (float)acc;
	}
}

/* dinp += (acc) or = (!acc): the paths that only add get a zeroed dinp */
void
conv2d_backward_cached(float *dinp, float *dweight, float *dbias,
    float *scratch, const float *dout, const float *inp,
    const float *weight, size_t N, const struct conv2d_shape *s,
    size_t threads, int acc, struct conv_cache *cache)
{
	size_t OC = s->OC, ohw = s->OH * s->OW;
	size_t K = s->C * s->KS * s->KS;
	size_t in_sz = s->C * s->H * s->W, out_sz = OC * ohw;
	size_t chunk = conv_chunk(s, N), nch = (N + chunk - 1) / chunk;
	size_t per = conv_thread_floats(s, N);
	if (dinp && conv_wcb_applies(s, CONV_WCB_DINP)) {
		conv_wcb_backward_dinp_cached(dinp, scratch, dout, weight, N,
		    s, threads, acc, cache);
		dinp = NULL;
	}
	if (dinp && conv_s2c_applies(s, CONV_S2C_DINP)) {
		conv_s2c_backward_dinp_cached(dinp, scratch, dout, weight, N,
		    s, threads, acc, cache);
		dinp = NULL;
	}
	if (dinp && !acc)
		zero_floats(dinp, N * in_sz, threads);
	if (dweight && conv_wcb_applies(s, CONV_WCB_DWEIGHT)) {
		conv_wcb_backward_dweight(dweight, scratch, dout, inp, NULL, N,
		    s, threads);
		dweight = NULL;
	}
	if (dweight && conv_s2c_applies(s, CONV_S2C_DWEIGHT)) {
		conv_s2c_backward_dweight(dweight, scratch, dout, inp, N, s,
		    threads);
		dweight = NULL;
	}
	if (dinp && conv_wino_applies(s, CONV_WINO_DINP)) {
		conv_wino_backward_dinp(dinp, scratch, dout, weight, N, s,
		    threads);
		dinp = NULL;
	}
	if (dweight && conv_wino_applies(s, CONV_WINO_DWEIGHT)) {
		conv_wino_backward_dweight(dweight, scratch, dout, inp, N, s,
		    threads);
		dweight = NULL;
	}
	/* the direct kernels' parts first (3x3 stride 1 or stride 2: at
	 * most one file applies), then the rest below */
	int s1 = s->stride == 1;
	int dd = dinp && (s1 ? conv3x3_applies(s, CONV3X3_DINP) :
	    conv_s2_applies(s, CONV_S2_DINP));
	int dw = dweight && (s1 ? conv3x3_applies(s, CONV3X3_DWEIGHT) :
	    conv_s2_applies(s, CONV_S2_DWEIGHT));
	if (dd || dw) {
		conv_dbias(dbias, dout, N, s, threads);
		(s1 ? conv3x3_backward : conv_s2_backward)(dd ? dinp : NULL,
		    dw ? dweight : NULL, scratch, dout, inp, weight, N, s,
		    threads ? threads : 1);
		dbias = NULL;
		if (dd)
			dinp = NULL;
		if (dw)
			dweight = NULL;
	}
	float *part = scratch + (threads ? threads : 1) * per;
	float *wf = part + nch * OC * K;    /* [C, OC*KS*KS] flipped */
	int tconv = dinp && conv_dinp_as_conv(s);
	struct conv2d_shape ts;             /* the transposed conv */
	if (threads == 0)
		threads = 1;
	if (tconv) {
		size_t KS = s->KS, C = s->C, kk = KS * KS;
		conv2d_shape_set(&ts, OC, s->OH, s->OW, C, KS, 1, s->pad);
		for (size_t c = 0; c < C; c++)
			for (size_t oc = 0; oc < OC; oc++)
				for (size_t a = 0; a < kk; a++)
					wf[(c * OC + oc) * kk + a] =
					    weight[(oc * C + c) * kk +
					    (kk - 1 - a)];
	}

	conv_dbias(dbias, dout, N, s, threads);
	if (dweight == NULL && dinp == NULL)
		return;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
	for (size_t ch = 0; ch < nch; ch++) {
		float *col = scratch + (size_t)omp_get_thread_num() * per;
		float *dt = col + K * chunk * ohw;
		size_t n0 = ch * chunk;
		size_t nc = N - n0 < chunk ? N - n0 : chunk;
		size_t cols = nc * ohw;
		const float *d;     /* [OC, cols] */
		if (ohw >= CONV_DIRECT_OHW) {
			/* wide images: bands of output rows, GEMMs on dout
			 * in place */
			size_t band = conv_band(s), OW = s->OW;
			for (size_t i = 0; i < nc; i++)
				for (size_t r0 = 0; r0 < s->OH; r0 += band) {
					size_t r1 = r0 + band < s->OH ?
					    r0 + band : s->OH;
					size_t bc = (r1 - r0) * OW;
					const float *di = dout + (n0 + i) *
					    out_sz + r0 * OW;
					if (dweight) {
						im2col_rows(col, bc, inp +
						    (n0 + i) * in_sz, r0, r1, s);
						gemm1(0, 1, OC, K, bc, di, ohw,
						    col, bc, i || r0 ? 1.0f :
						    0.0f, part + ch * OC * K, K);
					}
					if (tconv) {
						/* OC*KS*KS = K: col fits */
						im2col_rows(col, bc, dout +
						    (n0 + i) * out_sz, r0, r1,
						    &ts);
						gemm1(0, 0, s->C, bc, K, wf, K,
						    col, bc, 1.0f, dinp +
						    (n0 + i) * in_sz + r0 * OW,
						    ohw);
					} else if (dinp) {
						gemm1(1, 0, K, bc, OC, weight,
						    K, di, ohw, 0.0f, col, bc);
						col2im_rows(dinp + (n0 + i) *
						    in_sz, col, bc, r0, r1, s);
					}
				}
			continue;
		}
		if (nc == 1) {
			d = dout + n0 * out_sz;
		} else {
			for (size_t oc = 0; oc < OC; oc++)
				for (size_t i = 0; i < nc; i++)
					memcpy(dt + oc * cols + i * ohw,
					    dout + (n0 + i) * out_sz + oc * ohw,
					    ohw * sizeof *dt);
			d = dt;
		}
		if (dweight) {
			im2col(col, cols, inp + n0 * in_sz, nc, s);
			gemm1(0, 1, OC, K, cols, d, cols, col, cols, 0.0f,
			    part + ch * OC * K, K);
		}
		if (tconv) {
			/* col reused for dout's im2col; the result
			 * [C, cols] in dt (C == OC) or straight in dinp */
			im2col(col, cols, dout + n0 * out_sz, nc, &ts);
			if (nc == 1) {
				gemm1(0, 0, s->C, cols, K, wf, K, col, cols,
				    1.0f, dinp + n0 * in_sz, ohw);
			} else {
				gemm1(0, 0, s->C, cols, K, wf, K, col, cols,
				    0.0f, dt, cols);
				for (size_t i = 0; i < nc; i++)
					for (size_t c = 0; c < s->C; c++) {
						float *x = dinp + (n0 + i) *
						    in_sz + c * ohw;
						const float *y = dt + c * cols +
						    i * ohw;
#pragma omp simd
						for (size_t j = 0; j < ohw; j++)
							x[j] += y[j];
					}
			}
		} else if (dinp) {
			/* col reused as dcol [K, cols] */
			gemm1(1, 0, K, cols, OC, weight, K, d, cols, 0.0f,
			    col, cols);
			col2im(dinp + n0 * in_sz, col, cols, nc, s);
		}
	}
	if (dweight) {
		/* the chunks' partial sums, in chunk order */
#pragma omp parallel for schedule(static) num_threads(threads) \
    if (nch * OC * K >= PAR_MIN)
		for (size_t e = 0; e < OC * K; e++) {
			float sum = 0.0f;
			for (size_t ch = 0; ch < nch; ch++)
				sum += part[ch * OC * K + e];
			dweight[e] += sum;
		}
	}
}

void
conv2d_backward(float *dinp, float *dweight, float *dbias, float *scratch,
    const float *dout, const float *inp, const float *weight, size_t N,
    const struct conv2d_shape *s, size_t threads)
{
	conv2d_backward_cached(dinp, dweight, dbias, scratch, dout, inp,
	    weight, N, s, threads, 1, NULL);
}

void
conv2d_backward_set(float *dinp, float *dweight, float *dbias,
    float *scratch, const float *dout, const float *inp,
    const float *weight, size_t N, const struct conv2d_shape *s,
    size_t threads)
{
	conv2d_backward_cached(dinp, dweight, dbias, scratch, dout, inp,
	    weight, N, s, threads, 0, NULL);
}

void
conv2d_forward_ref(float *out, const float *inp, const float *weight,
    const float *bias, size_t N, const struct conv2d_shape *s)
{
	size_t C = s->C, H = s->H, W = s->W, OC = s->OC, KS = s->KS;
	size_t OH = s->OH, OW = s->OW;
	for (size_t n = 0; n < N; n++)
		for (size_t oc = 0; oc < OC; oc++)
			for (size_t oh = 0; oh < OH; oh++)
				for (size_t ow = 0; ow < OW; ow++) {
					double acc = bias ? bias[oc] : 0;
					for (size_t c = 0; c < C; c++)
						for (size_t ki = 0; ki < KS; ki++)
							for (size_t kj = 0; kj < KS; kj++) {
								long ih = (long)(oh * s->stride + ki) - (long)s->pad;
								long iw = (long)(ow * s->stride + kj) - (long)s->pad;
								if (ih < 0 || iw < 0 || ih >= (long)H || iw >= (long)W)
									continue;
								acc += (double)inp[((n * C + c) * H + (size_t)ih) * W + (size_t)iw] *
								    weight[((oc * C + c) * KS + ki) * KS + kj];
							}
					out[((n * OC + oc) * OH + oh) * OW + ow] = (float)acc;
				}
}

void
conv2d_backward_ref(float *dinp, float *dweight, float *dbias,
    const float *dout, const float *inp, const float *weight, size_t N,
    const struct conv2d_shape *s)
{
	size_t C = s->C, H = s->H, W = s->W, OC = s->OC, KS = s->KS;
	size_t OH = s->OH, OW = s->OW;
	for (size_t n = 0; n < N; n++)
		for (size_t oc = 0; oc < OC; oc++)
			for (size_t oh = 0; oh < OH; oh++)
				for (size_t ow = 0; ow < OW; ow++) {
					float d = dout[((n * OC + oc) * OH + oh) * OW + ow];
					if (dbias)
						dbias[oc] += d;
					for (size_t c = 0; c < C; c++)
						for (size_t ki = 0; ki < KS; ki++)
							for (size_t kj = 0; kj < KS; kj++) {
								long ih = (long)(oh * s->stride + ki) - (long)s->pad;
								long iw = (long)(ow * s->stride + kj) - (long)s->pad;
								if (ih < 0 || iw < 0 || ih >= (long)H || iw >= (long)W)
									continue;
								size_t xi = ((n * C + c) * H + (size_t)ih) * W + (size_t)iw;
								size_t wi = ((oc * C + c) * KS + ki) * KS + kj;
								if (dinp)
									dinp[xi] += d * weight[wi];
								if (dweight)
									dweight[wi] += d * inp[xi];
							}
				}
}

/* ----------------------------------------------------------- batchnorm */

/*
 * Row sums are float sums in 4 lanes, then rows are summed in double.
 * Lane k adds the values j = k mod 4 of a row's first n - n mod 4, lane
 * 0 then adds the rest, and the row's sum is ((((0 + l0) + l1) + l2) +
 * l3): the order of GCC's `omp simd` reductions with SSE, which the
 * release build always had, written out as GCC vectors, whose
 * arithmetic is element by element whatever the instructions.  Left to
 * `omp simd`, the lanes were whatever the build vectorised (none in
 * the sanitizer build, whose checks kept the loops scalar, so that
 * make test-asan checked other bytes than the release build's): now
 * every build on every CPU adds in this order (test_nn_torch:
 * test_bn_sum_order).
 */
typedef float v4f __attribute__((vector_size(16)));
typedef int v4i __attribute__((vector_size(16)));
#define LOAD4(v, x) memcpy(&(v), (x), sizeof(v4f))

/* a row's sum from its lanes */
#define LANES4(l) ((((0.0f + (l)[0]) + (l)[1]) + (l)[2]) + (l)[3])

/* sum x */
static double
row_sum(const float *x, size_t n)
{
	v4f l = { 0 };
	size_t j = 0;
	for (; j + 4 <= n; j += 4) {
		v4f v;
		LOAD4(v, x + j);
		l += v;
	}
	for (; j < n; j++)
		l[0] += x[j];
	return LANES4(l);
}

/* sum (x - m)^2 */
static double
row_sumsq(const float *x, float m, size_t n)
{
	v4f l = { 0 };
	size_t j = 0;
	for (; j + 4 <= n; j += 4) {
		v4f d;
		LOAD4(d, x + j);
		d -= m;
		l += d * d;
	}
	for (; j < n; j++) {
		float d = x[j] - m;
		l[0] += d * d;
	}
	return LANES4(l);
}

/*
 * A batch norm of channel mean and rstd as y = x a + b: the one
 * expression that the forward pass applies (bn_stats), that its
 * backward pass recomputes the ReLU's mask with (relu_of) and that a
 * convolution reads its input through (batchnorm_train_affine), so all
 * three agree to the bit.
 */
static void
bn_affine(float *a, float *b, float weight, float bias, float mean,
    float rstd)
{
	*a = weight * rstd;
	*b = bias - mean * *a;
}

/*
 * The ReLU after a batch norm, as its backward pass sees it: none, its
 * output y, or (from_x) recomputed from the norm's input x as x ra +
 * rb > 0, the forward pass's expression (affine_row) with its scale
 * and shift: the same mask, without reading y.
 */
struct relu_of {
	const float *y;
	int from_x;
	float ra, rb;
	float *gout;    /* not NULL: the masked gradient written there */
};

/* channel c's ReLU: relu_out's (may be NULL: none), or if bias is not
 * NULL recomputed from x with the forward pass's scale and shift */
static struct relu_of
relu_of(const float *relu_out, const float *bias, const float *weight,
    const float *mean, const float *rstd, size_t c)
{
	struct relu_of r = { relu_out, 0, 0.0f, 0.0f, NULL };
	if (bias) {
		r.from_x = 1;
		bn_affine(&r.ra, &r.rb, weight[c], bias[c], mean[c], rstd[c]);
	}
	return r;
}

/*
 * *sg += sum g, *sgx += sum g (x - m) over d [n] and x [n], g = d
 * masked by a ReLU: mask 0 none, 1 y's (its output), 2 x ra + rb's
 * (relu_of)
 */
static inline __attribute__((always_inline)) void
grad_sums(double *sg, double *sgx, const float *d, const float *x,
    const float *y, int mask, float ra, float rb, float m, size_t n)
{
	v4f a = { 0 }, b = { 0 };
	size_t j = 0;
	for (; j + 4 <= n; j += 4) {
		v4f g, xv, yv;
		LOAD4(g, d + j);
		LOAD4(xv, x + j);
		/* the bits of d, or of 0 where the ReLU's output is not > 0 */
		if (mask == 1) {
			LOAD4(yv, y + j);
			g = (v4f)((v4i)g & (yv > 0.0f));
		} else if (mask == 2) {
			g = (v4f)((v4i)g & (xv * ra + rb > 0.0f));
		}
		a += g;
		b += g * (xv - m);
	}
	for (; j < n; j++) {
		float g = d[j];
		if ((mask == 1 && !(y[j] > 0.0f)) ||
		    (mask == 2 && !(x[j] * ra + rb > 0.0f)))
			g = 0.0f;
		a[0] += g;
		b[0] += g * (x[j] - m);
	}
	*sg += LANES4(a);
	*sgx += LANES4(b);
}

/* grad_sums over the n values at offset o of dout and inp, masked by r
 * (its output at o too) */
static void
row_grad_sums(double *sg, double *sgx, const float *dout, const float *inp,
    size_t o, float m, const struct relu_of *r, size_t n)
{
	const float *d = dout + o, *x = inp + o;
	if (r->y)
		grad_sums(sg, sgx, d, x, r->y + o, 1, 0, 0, m, n);
	else if (r->from_x)
		grad_sums(sg, sgx, d, x, NULL, 2, r->ra, r->rb, m, n);
	else
		grad_sums(sg, sgx, d, x, NULL, 0, 0, 0, m, n);
}

/* r->gout + o [n] = dout + o masked by r */
static void
row_gout(const struct relu_of *r, const float *dout, const float *inp,
    size_t o, size_t n)
{
	const float *d = dout + o, *x = inp + o;
	const float *y = r->y ? r->y + o : NULL;
	float *g = r->gout + o;
	if (y) {
#pragma omp simd
		for (size_t j = 0; j < n; j++) {
			float dv = d[j];
			g[j] = y[j] > 0.0f ? dv : 0.0f;
		}
	} else if (r->from_x) {
		float ra = r->ra, rb = r->rb;
#pragma omp simd
		for (size_t j = 0; j < n; j++) {
			float dv = d[j];
			g[j] = x[j] * ra + rb > 0.0f ? dv : 0.0f;
		}
	} else {
		memcpy(g, d, n * sizeof *g);
	}
}

/* y [n] = x a + b (+ r), then max(y, 0) if relu; y may equal x */
static void
affine_row(float *y, const float *x, const float *r, int relu, float a,
    float b, size_t n)
{
	if (r) {
#pragma omp simd
		for (size_t j = 0; j < n; j++)
			y[j] = x[j] * a + b + r[j];
	} else {
#pragma omp simd
		for (size_t j = 0; j < n; j++)
			y[j] = x[j] * a + b;
	}
	if (relu)
#pragma omp simd
		for (size_t j = 0; j < n; j++)
			y[j] = y[j] > 0.0f ? y[j] : 0.0f;
}

static void
bn_apply(float *out, const float *inp, const float *residual, int relu,
    float a, float b, size_t N, size_t C, size_t HW, size_t c)
{
	for (size_t n = 0; n < N; n++) {
		size_t o = (n * C + c) * HW;
		affine_row(out + o, inp + o, residual ? residual + o : NULL,
		    relu, a, b, HW);
	}
}

void
conv_post_image(float *y, size_t n, size_t OC, size_t ohw,
    const struct conv_post *post)
{
	if (post == NULL)
		return;
	const float *r = post->residual ? post->residual + n * OC * ohw :
	    NULL;
	for (size_t oc = 0; oc < OC; oc++, y += ohw)
		affine_row(y, y, r ? r + oc * ohw : NULL, post->relu,
		    post->scale[oc], post->shift[oc], ohw);
}

/*
 * Channel c's statistics from s = sum x and ss = sum (x - (float)(s /
 * cnt))^2 over its cnt values: mean, rstd and the running statistics
 * stored; *a, *b the affine map y = x a + b that normalises it.
 */
static void
bn_stats(float *mean, float *rstd, float *running_mean, float *running_var,
    const float *weight, const float *bias, float momentum, float eps,
    size_t c, double s, double ss, size_t cnt, float *a, float *b)
{
	double mu = s / (double)cnt;
	float muf = (float)mu;
	/* sum (x - muf)^2 = sum (x - mu)^2 + cnt (muf - mu)^2 */
	double dm = (double)muf - mu;
	ss -= (double)cnt * dm * dm;
	if (ss < 0)
		ss = 0;
	double var = ss / (double)cnt;
	float rsd = (float)(1.0 / sqrt(var + (double)eps));
	mean[c] = muf;
	rstd[c] = rsd;
	if (running_mean) {
		double uvar = cnt > 1 ? ss / (double)(cnt - 1) : var;
		running_mean[c] = (1.0f - momentum) * running_mean[c] +
		    momentum * muf;
		running_var[c] = (1.0f - momentum) * running_var[c] +
		    momentum * (float)uvar;
	}
	bn_affine(a, b, weight[c], bias[c], muf, rsd);
}

/* bn_stats, then channel c's output */
static void
bn_channel(float *out, float *mean, float *rstd, float *running_mean,
    float *running_var, const float *inp, const float *residual, int relu,
    const float *weight, const float *bias, size_t N, size_t C, size_t HW,
    float momentum, float eps, size_t c, double s, double ss, size_t cnt)
{
	float a, b;
	bn_stats(mean, rstd, running_mean, running_var, weight, bias,
	    momentum, eps, c, s, ss, cnt, &a, &b);
	if (out)
		bn_apply(out, inp, residual, relu, a, b, N, C, HW, c);
}

/*
 * BatchNorm1d (HW = 1): a channel's values are a column of [N, C], so
 * the per-channel loops above would run over rows of one float.  These
 * go row by row over blocks of channels instead, with the same
 * operations in the same order per channel (the same bytes); the loops
 * have no branches, so they vectorise.
 */
#define BN_COLS 256

/* s [n] += x */
static void
cols_sum(double *restrict s, const float *restrict x, size_t n)
{
#pragma omp simd
	for (size_t j = 0; j < n; j++)
		s[j] += x[j];
}

/* q [n] += (x - m)^2, the square in float */
static void
cols_sumsq(double *restrict q, const float *restrict x,
    const float *restrict m, size_t n)
{
#pragma omp simd
	for (size_t j = 0; j < n; j++) {
		float d = x[j] - m[j];
		q[j] += d * d;
	}
}

/* y = x a + b (+ r), then max(y, 0) if relu */
static void
cols_affine(float *restrict y, const float *restrict x,
    const float *restrict r, int relu, const float *restrict a,
    const float *restrict b, size_t n)
{
	if (r) {
#pragma omp simd
		for (size_t j = 0; j < n; j++)
			y[j] = x[j] * a[j] + b[j] + r[j];
	} else {
#pragma omp simd
		for (size_t j = 0; j < n; j++)
			y[j] = x[j] * a[j] + b[j];
	}
	if (relu)
#pragma omp simd
		for (size_t j = 0; j < n; j++)
			y[j] = y[j] > 0.0f ? y[j] : 0.0f;
}

static void
bn_train_cols(float *out, float *mean, float *rstd, float *running_mean,
    float *running_var, const float *inp, const float *residual, int relu,
    const float *weight, const float *bias, size_t N, size_t C,
    float momentum, float eps)
{
	size_t nblk = (C + BN_COLS - 1) / BN_COLS;
#pragma omp parallel for schedule(static) if (N * C >= PAR_MIN)
	for (size_t blk = 0; blk < nblk; blk++) {
		size_t c0 = blk * BN_COLS;
		size_t nc = C - c0 < BN_COLS ? C - c0 : BN_COLS;
		double s[BN_COLS], ss[BN_COLS];
		float muf[BN_COLS], a[BN_COLS], b[BN_COLS];
		for (size_t j = 0; j < nc; j++)
			s[j] = ss[j] = 0;
		for (size_t n = 0; n < N; n++)
			cols_sum(s, inp + n * C + c0, nc);
		for (size_t j = 0; j < nc; j++)
			muf[j] = (float)(s[j] / (double)N);
		for (size_t n = 0; n < N; n++)
			cols_sumsq(ss, inp + n * C + c0, muf, nc);
		/* bn_channel's statistics; the rows are applied below */
		for (size_t j = 0; j < nc; j++)
			bn_stats(mean, rstd, running_mean, running_var, weight,
			    bias, momentum, eps, c0 + j, s[j], ss[j], N, &a[j],
			    &b[j]);
		for (size_t n = 0; out && n < N; n++)
			cols_affine(out + n * C + c0, inp + n * C + c0,
			    residual ? residual + n * C + c0 : NULL, relu, a, b,
			    nc);
	}
}

/*
 * Maps of at most BN_SMALL_HW pixels (rows of 16-64 floats, C HW
 * floats apart) go image by image over blocks of up to BN_BLOCK
 * channels, so that the rows are read in memory order, not a line per
 * row; each channel's sums still add its rows in the order of n with
 * the same row functions: the same bytes as per channel.
 */
#define BN_SMALL_HW 64
#define BN_BLOCK 64

/* thread t of T's channels [*c0, *c1) */
static void
channel_share(size_t *c0, size_t *c1, size_t C)
{
	size_t t = (size_t)omp_get_thread_num();
	size_t T = (size_t)omp_get_num_threads();
	*c0 = C * t / T;
	*c1 = C * (t + 1) / T;
}

static void
bn_train_small(float *out, float *mean, float *rstd, float *running_mean,
    float *running_var, const float *inp, const float *residual, int relu,
    const float *weight, const float *bias, size_t N, size_t C, size_t HW,
    float momentum, float eps)
{
	size_t cnt = N * HW;
#pragma omp parallel if (N * C * HW >= PAR_MIN)
	{
		size_t lo, hi;
		channel_share(&lo, &hi, C);
		for (size_t c0 = lo; c0 < hi; c0 += BN_BLOCK) {
			size_t nb = hi - c0 < BN_BLOCK ? hi - c0 : BN_BLOCK;
			double s[BN_BLOCK] = { 0 }, ss[BN_BLOCK] = { 0 };
			float muf[BN_BLOCK], a[BN_BLOCK], b[BN_BLOCK];
			for (size_t n = 0; n < N; n++)
				for (size_t j = 0; j < nb; j++)
					s[j] += row_sum(inp + (n * C + c0 + j) *
					    HW, HW);
			for (size_t j = 0; j < nb; j++)
				muf[j] = (float)(s[j] / (double)cnt);
			for (size_t n = 0; n < N; n++)
				for (size_t j = 0; j < nb; j++)
					ss[j] += row_sumsq(inp + (n * C + c0 +
					    j) * HW, muf[j], HW);
			for (size_t j = 0; j < nb; j++)
				bn_stats(mean, rstd, running_mean, running_var,
				    weight, bias, momentum, eps, c0 + j, s[j],
				    ss[j], cnt, &a[j], &b[j]);
			for (size_t n = 0; out && n < N; n++)
				for (size_t j = 0; j < nb; j++) {
					size_t o = (n * C + c0 + j) * HW;
					affine_row(out + o, inp + o, residual ?
					    residual + o : NULL, relu, a[j],
					    b[j], HW);
				}
		}
	}
}

static void
bn_train(float *out, float *mean, float *rstd, float *running_mean,
    float *running_var, const float *inp, const float *residual, int relu,
    const float *weight, const float *bias, size_t N, size_t C, size_t HW,
    float momentum, float eps)
{
	size_t cnt = N * HW;
	if (HW == 1) {
		bn_train_cols(out, mean, rstd, running_mean, running_var, inp,
		    residual, relu, weight, bias, N, C, momentum, eps);
		return;
	}
	if (HW <= BN_SMALL_HW) {
		bn_train_small(out, mean, rstd, running_mean, running_var,
		    inp, residual, relu, weight, bias, N, C, HW, momentum,
		    eps);
		return;
	}
#pragma omp parallel for schedule(static) if (N * C * HW >= PAR_MIN)
	for (size_t c = 0; c < C; c++) {
		double s = 0, ss = 0;
		for (size_t n = 0; n < N; n++)
			s += row_sum(inp + (n * C + c) * HW, HW);
		float muf = (float)(s / (double)cnt);
		for (size_t n = 0; n < N; n++)
			ss += row_sumsq(inp + (n * C + c) * HW, muf, HW);
		bn_channel(out, mean, rstd, running_mean, running_var, inp,
		    residual, relu, weight, bias, N, C, HW, momentum, eps, c,
		    s, ss, cnt);
	}
}

/* The same over a batch split between processes (nn.h). */
void
batchnorm_train_sync(float *out, float *mean, float *rstd,
    float *running_mean, float *running_var, const float *inp,
    const float *residual, int relu, const float *weight,
    const float *bias, size_t N, size_t C, size_t HW, float momentum,
    float eps, const struct bn_sync *sync)
{
	if (sync == NULL) {
		bn_train(out, mean, rstd, running_mean, running_var, inp,
		    residual, relu, weight, bias, N, C, HW, momentum, eps);
		return;
	}
	double *s = sync->scratch, *ss = s + C;
	size_t cnt = sync->total * HW;
	int par = N * C * HW >= PAR_MIN;
#pragma omp parallel for schedule(static) if (par)
	for (size_t c = 0; c < C; c++) {
		s[c] = 0;
		for (size_t n = 0; n < N; n++)
			s[c] += row_sum(inp + (n * C + c) * HW, HW);
	}
	sync->sum(s, C, sync->ctx);
#pragma omp parallel for schedule(static) if (par)
	for (size_t c = 0; c < C; c++) {
		float muf = (float)(s[c] / (double)cnt);
		ss[c] = 0;
		for (size_t n = 0; n < N; n++)
			ss[c] += row_sumsq(inp + (n * C + c) * HW, muf, HW);
	}
	sync->sum(ss, C, sync->ctx);
#pragma omp parallel for schedule(static) if (par)
	for (size_t c = 0; c < C; c++)
		bn_channel(out, mean, rstd, running_mean, running_var, inp,
		    residual, relu, weight, bias, N, C, HW, momentum, eps, c,
		    s[c], ss[c], cnt);
}

void
batchnorm_forward(float *out, float *mean, float *rstd,
    float *running_mean, float *running_var, const float *inp,
    const float *weight, const float *bias, size_t N, size_t C, size_t HW,
    float momentum, float eps)
{
	bn_train(out, mean, rstd, running_mean, running_var, inp, NULL, 0,
	    weight, bias, N, C, HW, momentum, eps);
}

void
batchnorm_relu_forward(float *out, float *mean, float *rstd,
    float *running_mean, float *running_var, const float *inp,
    const float *residual, const float *weight, const float *bias,
    size_t N, size_t C, size_t HW, float momentum, float eps)
{
	bn_train(out, mean, rstd, running_mean, running_var, inp, residual,
	    1, weight, bias, N, C, HW, momentum, eps);
}

static void
bn_eval(float *out, const float *inp, const float *residual, int relu,
    const float *running_mean, const float *running_var,
    const float *weight, const float *bias, size_t N, size_t C, size_t HW,
    float eps)
{
#pragma omp parallel for schedule(static) if (N * C * HW >= PAR_MIN)
	for (size_t c = 0; c < C; c++) {
		float a, b;
		batchnorm_eval_affine(&a, &b, running_mean + c,
		    running_var + c, weight + c, bias + c, 1, eps);
		bn_apply(out, inp, residual, relu, a, b, N, C, HW, c);
	}
}

void
batchnorm_train_affine(float *scale, float *shift, const float *mean,
    const float *rstd, const float *weight, const float *bias, size_t C)
{
	for (size_t c = 0; c < C; c++)
		bn_affine(scale + c, shift + c, weight[c], bias[c], mean[c],
		    rstd[c]);
}

void
batchnorm_eval_affine(float *scale, float *shift,
    const float *running_mean, const float *running_var,
    const float *weight, const float *bias, size_t C, float eps)
{
	for (size_t c = 0; c < C; c++)
		bn_affine(scale + c, shift + c, weight[c], bias[c],
		    running_mean[c], 1.0f / sqrtf(running_var[c] + eps));
}

void
batchnorm_forward_eval(float *out, const float *inp,
    const float *running_mean, const float *running_var,
    const float *weight, const float *bias, size_t N, size_t C, size_t HW,
    float eps)
{
	bn_eval(out, inp, NULL, 0, running_mean, running_var, weight, bias,
	    N, C, HW, eps);
}

void
batchnorm_relu_forward_eval(float *out, const float *inp,
    const float *residual, const float *running_mean,
    const float *running_var, const float *weight, const float *bias,
    size_t N, size_t C, size_t HW, float eps)
{
	bn_eval(out, inp, residual, 1, running_mean, running_var, weight,
	    bias, N, C, HW, eps);
}

/*
 * dinp = k (g - mg - (x - m) mgx) for channel c of images [n0, n1),
 * g = dout masked by the ReLU r (r->y: relu_out [N,C,HW]); added to
 * dinp if acc, else written over it.
 */
static void
bn_dx(float *dinp, const float *dout, const struct relu_of *r,
    const float *inp, float k, float mg, float m, float mgx, size_t n0,
    size_t n1, size_t C, size_t HW, size_t c, int acc)
{
	float ra = r->ra, rb = r->rb;
	for (size_t n = n0; n < n1; n++) {
		size_t o = (n * C + c) * HW;
		const float *d = dout + o, *x = inp + o;
		const float *y = r->y ? r->y + o : NULL;
		float *dx = dinp + o;
		/* d[j] loaded unconditionally: the select vectorises */
		if (y && acc) {
#pragma omp simd
			for (size_t j = 0; j < HW; j++) {
				float dv = d[j];
				float g = y[j] > 0.0f ? dv : 0.0f;
				dx[j] += k * (g - mg - (x[j] - m) * mgx);
			}
		} else if (y) {
#pragma omp simd
			for (size_t j = 0; j < HW; j++) {
				float dv = d[j];
				float g = y[j] > 0.0f ? dv : 0.0f;
				dx[j] = k * (g - mg - (x[j] - m) * mgx);
			}
		} else if (r->from_x && acc) {
#pragma omp simd
			for (size_t j = 0; j < HW; j++) {
				float dv = d[j];
				float g = x[j] * ra + rb > 0.0f ? dv : 0.0f;
				dx[j] += k * (g - mg - (x[j] - m) * mgx);
			}
		} else if (r->from_x) {
#pragma omp simd
			for (size_t j = 0; j < HW; j++) {
				float dv = d[j];
				float g = x[j] * ra + rb > 0.0f ? dv : 0.0f;
				dx[j] = k * (g - mg - (x[j] - m) * mgx);
			}
		} else if (acc) {
#pragma omp simd
			for (size_t j = 0; j < HW; j++)
				dx[j] += k * (d[j] - mg - (x[j] - m) * mgx);
		} else {
#pragma omp simd
			for (size_t j = 0; j < HW; j++)
				dx[j] = k * (d[j] - mg - (x[j] - m) * mgx);
		}
	}
}

/* g = d masked by y > 0 (y may be NULL: g = d), or if ra is not
 * NULL by x ra + rb > 0 */
static void
cols_mask(float *restrict g, const float *restrict d,
    const float *restrict y, const float *restrict x,
    const float *restrict ra, const float *restrict rb, size_t n)
{
	if (ra) {
#pragma omp simd
		for (size_t j = 0; j < n; j++) {
			float dv = d[j];
			g[j] = x[j] * ra[j] + rb[j] > 0.0f ? dv : 0.0f;
		}
		return;
	}
	if (y == NULL) {
		memcpy(g, d, n * sizeof *g);
		return;
	}
#pragma omp simd
	for (size_t j = 0; j < n; j++) {
		float dv = d[j];
		g[j] = y[j] > 0.0f ? dv : 0.0f;
	}
}

/* sg [n] += g, sgx [n] += g (x - m) */
static void
cols_grad_sums(double *restrict sg, double *restrict sgx,
    const float *restrict g, const float *restrict x,
    const float *restrict m, size_t n)
{
#pragma omp simd
	for (size_t j = 0; j < n; j++) {
		sg[j] += g[j];
		sgx[j] += g[j] * (x[j] - m[j]);
	}
}

/* dx (= or += if acc) k (g - mg - (x - m) mgx) */
static void
cols_dx(float *restrict dx, const float *restrict g, const float *restrict x,
    const float *restrict m, const float *restrict k,
    const float *restrict mg, const float *restrict mgx, int acc, size_t n)
{
	if (acc) {
#pragma omp simd
		for (size_t j = 0; j < n; j++)
			dx[j] += k[j] * (g[j] - mg[j] - (x[j] - m[j]) * mgx[j]);
	} else {
#pragma omp simd
		for (size_t j = 0; j < n; j++)
			dx[j] = k[j] * (g[j] - mg[j] - (x[j] - m[j]) * mgx[j]);
	}
}

/*
 * Channel c's gradient sums: sg = sum g, *sgx = sum g (x - m), scaled
 * here by rstd (sum g xh), added to dbias and dweight (each may be
 * NULL)
 */
static void
bn_grad_add(float *dweight, float *dbias, const float *rstd, size_t c,
    double sg, double *sgx)
{
	*sgx *= rstd[c];
	if (dbias)
		dbias[c] += (float)sg;
	if (dweight)
		dweight[c] += (float)*sgx;
}

/*
 * bn_dx's (and cols_dx's) k, mg, mgx for channel c from sums over cnt
 * values (sgx scaled): dx = k (g - mg - (x - m) rs mgx') with mgx' =
 * mean(g xh)
 */
static void
bn_dx_coefs(const float *weight, const float *rstd, size_t c, double sg,
    double sgx, size_t cnt, float *k, float *mg, float *mgx)
{
	float rs = rstd[c];
	*k = weight[c] * rs;
	*mg = (float)(sg / (double)cnt);
	*mgx = (float)(sgx / (double)cnt) * rs;
}

/* bn_grad_add, then bn_dx_coefs: a process's whole batch */
static void
bn_grad_done(float *dweight, float *dbias, const float *weight,
    const float *rstd, size_t c, double sg, double *sgx, size_t cnt,
    float *k, float *mg, float *mgx)
{
	bn_grad_add(dweight, dbias, rstd, c, sg, sgx);
	bn_dx_coefs(weight, rstd, c, sg, *sgx, cnt, k, mg, mgx);
}

/* bn_backward for HW = 1, row by row over blocks of channels (the same
 * operations per channel as bn_backward, in the same order) */
static void
bn_backward_cols(float *dinp, float *gout, float *dweight, float *dbias,
    const float *dout, const float *relu_out, const float *bias,
    const float *inp, const float *mean, const float *rstd,
    const float *weight, size_t N, size_t C, int acc)
{
	size_t nblk = (C + BN_COLS - 1) / BN_COLS;
#pragma omp parallel for schedule(static) if (N * C >= PAR_MIN)
	for (size_t blk = 0; blk < nblk; blk++) {
		size_t c0 = blk * BN_COLS;
		size_t nc = C - c0 < BN_COLS ? C - c0 : BN_COLS;
		double sg[BN_COLS], sgx[BN_COLS];
		float g[BN_COLS], k[BN_COLS], mg[BN_COLS], mgx[BN_COLS];
		float ra[BN_COLS], rb[BN_COLS];
		const float *m = mean + c0;
		for (size_t j = 0; j < nc; j++) {
			struct relu_of r = relu_of(relu_out, bias, weight,
			    mean, rstd, c0 + j);
			sg[j] = sgx[j] = 0;
			ra[j] = r.ra;
			rb[j] = r.rb;
		}
		for (size_t n = 0; n < N; n++) {
			size_t o = n * C + c0;
			cols_mask(g, dout + o, relu_out ? relu_out + o : NULL,
			    inp + o, bias ? ra : NULL, rb, nc);
			if (gout)
				memcpy(gout + o, g, nc * sizeof *g);
			cols_grad_sums(sg, sgx, g, inp + o, m, nc);
		}
		for (size_t j = 0; j < nc; j++)
			bn_grad_done(dweight, dbias, weight, rstd, c0 + j,
			    sg[j], &sgx[j], N, &k[j], &mg[j], &mgx[j]);
		if (dinp == NULL)
			continue;
		for (size_t n = 0; n < N; n++) {
			size_t o = n * C + c0;
			cols_mask(g, dout + o, relu_out ? relu_out + o : NULL,
			    inp + o, bias ? ra : NULL, rb, nc);
			cols_dx(dinp + o, g, inp + o, m, k, mg, mgx, acc, nc);
		}
	}
}

/* bn_backward for maps of at most BN_SMALL_HW pixels, image by image
 * over blocks of channels as bn_train_small: the same bytes */
static void
bn_backward_small(float *dinp, float *gout, float *dweight, float *dbias,
    const float *dout, const float *relu_out, const float *bias,
    const float *inp, const float *mean, const float *rstd,
    const float *weight, size_t N, size_t C, size_t HW, int acc)
{
	size_t cnt = N * HW;
#pragma omp parallel if (N * C * HW >= PAR_MIN)
	{
		size_t lo, hi;
		channel_share(&lo, &hi, C);
		for (size_t c0 = lo; c0 < hi; c0 += BN_BLOCK) {
			size_t nb = hi - c0 < BN_BLOCK ? hi - c0 : BN_BLOCK;
			double sg[BN_BLOCK] = { 0 }, sgx[BN_BLOCK] = { 0 };
			float k[BN_BLOCK], mg[BN_BLOCK], mgx[BN_BLOCK];
			struct relu_of r[BN_BLOCK];
			for (size_t j = 0; j < nb; j++) {
				r[j] = relu_of(relu_out, bias, weight, mean,
				    rstd, c0 + j);
				r[j].gout = gout;
			}
			for (size_t n = 0; n < N; n++)
				for (size_t j = 0; j < nb; j++) {
					size_t o = (n * C + c0 + j) * HW;
					row_grad_sums(&sg[j], &sgx[j], dout, inp,
					    o, mean[c0 + j], &r[j], HW);
					if (gout)
						row_gout(&r[j], dout, inp, o,
						    HW);
				}
			for (size_t j = 0; j < nb; j++)
				bn_grad_done(dweight, dbias, weight, rstd,
				    c0 + j, sg[j], &sgx[j], cnt, &k[j], &mg[j],
				    &mgx[j]);
			if (dinp == NULL)
				continue;
			for (size_t n = 0; n < N; n++)
				for (size_t j = 0; j < nb; j++)
					bn_dx(dinp, dout, &r[j], inp, k[j],
					    mg[j], mean[c0 + j], mgx[j], n,
					    n + 1, C, HW, c0 + j, acc);
		}
	}
}

/*
 * With xh = (x - mean) rstd, y = w xh + b, g = dL/dy:
 * dx = w rstd (g - mean(g) - xh mean(g xh)), dw = sum g xh, db = sum g.
 */
static void
bn_backward(float *dinp, float *gout, float *dweight, float *dbias,
    const float *dout, const float *relu_out, const float *bias,
    const float *inp, const float *mean, const float *rstd,
    const float *weight, size_t N, size_t C, size_t HW, int acc)
{
	size_t cnt = N * HW;
	if (HW == 1) {
		bn_backward_cols(dinp, gout, dweight, dbias, dout, relu_out,
		    bias, inp, mean, rstd, weight, N, C, acc);
		return;
	}
	if (HW <= BN_SMALL_HW) {
		bn_backward_small(dinp, gout, dweight, dbias, dout, relu_out,
		    bias, inp, mean, rstd, weight, N, C, HW, acc);
		return;
	}
#pragma omp parallel for schedule(static) if (N * C * HW >= PAR_MIN)
	for (size_t c = 0; c < C; c++) {
		double sg = 0, sgx = 0;
		float m = mean[c];
		struct relu_of r = relu_of(relu_out, bias, weight, mean, rstd,
		    c);
		r.gout = gout;
		for (size_t n = 0; n < N; n++) {
			size_t o = (n * C + c) * HW;
			row_grad_sums(&sg, &sgx, dout, inp, o, m, &r, HW);
			if (gout)
				row_gout(&r, dout, inp, o, HW);
		}
		float k, mg, mgx;
		bn_grad_done(dweight, dbias, weight, rstd, c, sg, &sgx, cnt,
		    &k, &mg, &mgx);
		if (dinp == NULL)
			continue;
		bn_dx(dinp, dout, &r, inp, k, mg, m, mgx, 0, N, C, HW, c, acc);
	}
}

void
batchnorm_backward(float *dinp, float *dweight, float *dbias,
    const float *dout, const float *relu_out, const float *inp,
    const float *mean, const float *rstd, const float *weight, size_t N,
    size_t C, size_t HW)
{
	bn_backward(dinp, NULL, dweight, dbias, dout, relu_out, NULL, inp,
	    mean, rstd, weight, N, C, HW, 1);
}

/*
 * Split between processes: dweight and dbias get this process's sums
 * (the caller sums parameter gradients over processes), dinp the
 * means over the whole batch.  bias not NULL: the ReLU's mask from inp.
 */
static void
bn_backward_sync(float *dinp, float *gout, float *dweight, float *dbias,
    const float *dout, const float *relu_out, const float *bias,
    const float *inp, const float *mean, const float *rstd,
    const float *weight, size_t N, size_t C, size_t HW,
    const struct bn_sync *sync, int acc)
{
	if (sync == NULL) {
		bn_backward(dinp, gout, dweight, dbias, dout, relu_out, bias,
		    inp, mean, rstd, weight, N, C, HW, acc);
		return;
	}
	double *sg = sync->scratch, *sgx = sg + C;
	size_t cnt = sync->total * HW;
	int par = N * C * HW >= PAR_MIN;
#pragma omp parallel for schedule(static) if (par)
	for (size_t c = 0; c < C; c++) {
		struct relu_of r = relu_of(relu_out, bias, weight, mean, rstd,
		    c);
		r.gout = gout;
		sg[c] = sgx[c] = 0;
		for (size_t n = 0; n < N; n++) {
			size_t o = (n * C + c) * HW;
			row_grad_sums(&sg[c], &sgx[c], dout, inp, o, mean[c],
			    &r, HW);
			if (gout)
				row_gout(&r, dout, inp, o, HW);
		}
		bn_grad_add(dweight, dbias, rstd, c, sg[c], &sgx[c]);
	}
	if (dinp == NULL)
		return;
	sync->sum(sg, 2 * C, sync->ctx);
#pragma omp parallel for schedule(static) if (par)
	for (size_t c = 0; c < C; c++) {
		struct relu_of r = relu_of(relu_out, bias, weight, mean, rstd,
		    c);
		float k, mg, mgx;
		bn_dx_coefs(weight, rstd, c, sg[c], sgx[c], cnt, &k, &mg, &mgx);
		bn_dx(dinp, dout, &r, inp, k, mg, mean[c], mgx, 0, N, C, HW, c,
		    acc);
	}
}

void
batchnorm_backward_sync(float *dinp, float *dweight, float *dbias,
    const float *dout, const float *relu_out, const float *inp,
    const float *mean, const float *rstd, const float *weight, size_t N,
    size_t C, size_t HW, const struct bn_sync *sync, int acc)
{
	bn_backward_sync(dinp, NULL, dweight, dbias, dout, relu_out, NULL,
	    inp, mean, rstd, weight, N, C, HW, sync, acc);
}

void
batchnorm_residual_backward_sync(float *dinp, float *dres, float *dweight,
    float *dbias, const float *dout, const float *relu_out,
    const float *inp, const float *mean, const float *rstd,
    const float *weight, size_t N, size_t C, size_t HW,
    const struct bn_sync *sync, int acc)
{
	bn_backward_sync(dinp, dres, dweight, dbias, dout, relu_out, NULL,
	    inp, mean, rstd, weight, N, C, HW, sync, acc);
}

void
batchnorm_relu_backward_sync(float *dinp, float *dweight, float *dbias,
    const float *dout, const float *inp, const float *mean,
    const float *rstd, const float *weight, const float *bias, size_t N,
    size_t C, size_t HW, const struct bn_sync *sync, int acc)
{
	bn_backward_sync(dinp, NULL, dweight, dbias, dout, NULL, bias, inp,
	    mean, rstd, weight, N, C, HW, sync, acc);
}

/* ------------------------------------------------ element-wise, pooling */

/* floats from which zero_floats splits a memset among the threads */
#define ZERO_PAR_MIN ((size_t)1 << 16)

void
zero_floats(float *p, size_t n, size_t threads)
{
	size_t T = threads ? threads : 1;
	if (n < ZERO_PAR_MIN || T < 2) {
		memset(p, 0, n * sizeof *p);
		return;
	}
#pragma omp parallel for schedule(static) num_threads(T)
	for (size_t t = 0; t < T; t++) {
		size_t a = n * t / T, b = n * (t + 1) / T;
		memset(p + a, 0, (b - a) * sizeof *p);
	}
}

void
relu_forward(float *out, const float *inp, size_t n)
{
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
	for (size_t i = 0; i < n; i++)
		out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void
relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
	for (size_t i = 0; i < n; i++) {
		float d = dout[i];
		dinp[i] += out[i] > 0.0f ? d : 0.0f;
	}
}

void
add_forward(float *out, const float *a, const float *b, size_t n)
{
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
	for (size_t i = 0; i < n; i++)
		out[i] = a[i] + b[i];
}

void
add_backward(float *da, float *db, const float *dout, size_t n)
{
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
	for (size_t i = 0; i < n; i++) {
		if (da)
			da[i] += dout[i];
		if (db)
			db[i] += dout[i];
	}
}

void
gap_forward(float *out, const float *inp, size_t N, size_t C, size_t HW)
{
#pragma omp parallel for schedule(static) if (N * C * HW >= PAR_MIN)
	for (size_t i = 0; i < N * C; i++) {
		double s = 0;
		for (size_t j = 0; j < HW; j++)
			s += inp[i * HW + j];
		out[i] = (float)(s / (double)HW);
	}
}

void
gap_backward(float *dinp, const float *dout, size_t N, size_t C, size_t HW)
{
#pragma omp parallel for schedule(static) if (N * C * HW >= PAR_MIN)
	for (size_t i = 0; i < N * C; i++) {
		float g = dout[i] / (float)HW;
		for (size_t j = 0; j < HW; j++)
			dinp[i * HW + j] += g;
	}
}

void
linear_forward(float *out, const float *inp, const float *weight,
    const float *bias, size_t N, size_t IN, size_t OUT)
{
	sgemm(0, 1, N, OUT, IN, 1.0f, inp, IN, weight, IN, 0.0f, out, OUT);
	if (bias)
		for (size_t n = 0; n < N; n++)
			for (size_t o = 0; o < OUT; o++)
				out[n * OUT + o] += bias[o];
}

void
linear_backward(float *dinp, float *dweight, float *dbias,
    const float *dout, const float *inp, const float *weight, size_t N,
    size_t IN, size_t OUT)
{
	if (dinp)
		sgemm(0, 0, N, IN, OUT, 1.0f, dout, OUT, weight, IN, 1.0f,
		    dinp, IN);
	if (dweight)
		sgemm(1, 0, OUT, IN, N, 1.0f, dout, OUT, inp, IN, 1.0f,
		    dweight, IN);
	if (dbias)
		for (size_t o = 0; o < OUT; o++) {
			double s = 0;
			for (size_t n = 0; n < N; n++)
				s += dout[n * OUT + o];
			dbias[o] += (float)s;
		}
}

/* -------------------------------------------------------------- VICReg */

void
vicreg_params_default(struct vicreg_params *p)
{
	p->lambda = 25.0f;
	p->mu = 25.0f;
	p->nu = 1.0f;
	p->gamma = 1.0f;
	p->eps = 1e-4f;
}

size_t
vicreg_scratch_floats(size_t N, size_t D)
{
	return N * D + D * D + D;
}

/*
 * zc [N,D] = z - column means; sd [D] = sqrt(unbiased var + eps);
 * cov [D,D] = zc^T zc / (N-1).
 */
static void
vicreg_stats(float *zc, float *cov, float *sd, const float *z, size_t N,
    size_t D, float eps)
{
#pragma omp parallel for schedule(static) if (N * D >= PAR_MIN)
	for (size_t j = 0; j < D; j++) {
		double s = 0;
		for (size_t i = 0; i < N; i++)
			s += z[i * D + j];
		float mu = (float)(s / (double)N);
		double ss = 0;
		for (size_t i = 0; i < N; i++) {
			float d = z[i * D + j] - mu;
			zc[i * D + j] = d;
			ss += (double)d * d;
		}
		sd[j] = (float)sqrt(ss / (double)(N - 1) + (double)eps);
	}
	sgemm(1, 0, D, D, N, 1.0f / (float)(N - 1), zc, D, zc, D, 0.0f, cov,
	    D);
}

float
vicreg_forward(float parts[3], float *scratch, const float *z1,
    const float *z2, size_t N, size_t D, const struct vicreg_params *p)
{
	float *zc = scratch, *cov = zc + N * D, *sd = cov + D * D;
	double inv = 0, var = 0, cv = 0;
	for (size_t i = 0; i < N * D; i++) {
		double d = (double)z1[i] - z2[i];
		inv += d * d;
	}
	inv /= (double)(N * D);
	for (int b = 0; b < 2; b++) {
		vicreg_stats(zc, cov, sd, b ? z2 : z1, N, D, p->eps);
		double v = 0, c = 0;
		for (size_t j = 0; j < D; j++)
			if (p->gamma - sd[j] > 0.0f)
				v += p->gamma - sd[j];
		var += v / (double)D;
		for (size_t j = 0; j < D; j++)
			for (size_t k = 0; k < D; k++)
				if (j != k)
					c += (double)cov[j * D + k] *
					    cov[j * D + k];
		cv += c / (double)D;
	}
	parts[0] = (float)inv;
	parts[1] = (float)var;
	parts[2] = (float)cv;
	return (float)(p->lambda * inv + p->mu * var + p->nu * cv);
}

/*
 * d inv / dz1 = 2 (z1 - z2) / (N D);
 * d var_b / dz_ij = -[gamma > sd_j] zc_ij / (D sd_j (N-1));
 * d cov_b / dz = 4 zc C_off / (D (N-1)), C_off = C with zero diagonal
 * (the column-mean terms vanish since the columns of zc sum to 0).
 */
void
vicreg_backward(float *dz1, float *dz2, float *scratch, const float *z1,
    const float *z2, size_t N, size_t D, const struct vicreg_params *p)
{
	float *zc = scratch, *cov = zc + N * D, *sd = cov + D * D;
	float ki = 2.0f * p->lambda / (float)(N * D);
	for (size_t i = 0; i < N * D; i++) {
		float g = ki * (z1[i] - z2[i]);
		dz1[i] += g;
		dz2[i] -= g;
	}
	for (int b = 0; b < 2; b++) {
		float *dz = b ? dz2 : dz1;
		vicreg_stats(zc, cov, sd, b ? z2 : z1, N, D, p->eps);
		for (size_t j = 0; j < D; j++)
			cov[j * D + j] = 0.0f;
		sgemm(0, 0, N, D, D, 4.0f * p->nu / (float)(D * (N - 1)), zc,
		    D, cov, D, 1.0f, dz, D);
		for (size_t j = 0; j < D; j++) {
			if (!(p->gamma - sd[j] > 0.0f))
				continue;
			float k = -p->mu / ((float)D * sd[j] * (float)(N - 1));
			for (size_t i = 0; i < N; i++)
				dz[i * D + j] += k * zc[i * D + j];
		}
	}
}

/* ---------------------------------------------------------------- Adam */

void
adam_params_default(struct adam_params *a)
{
	a->lr = 3e-4;
	a->beta1 = 0.9;
	a->beta2 = 0.999;
	a->eps = 1e-8;
	a->weight_decay = 1e-6;
}

/* torch/optim/adam.py, _single_tensor_adam (torch 1.13). */
void
adam_update(float *param, float *m, float *v, const float *grad, size_t n,
    const struct adam_params *a, size_t t)
{
	/* scalars are Python floats there, cast to float per use */
	double bc1 = 1.0 - pow(a->beta1, (double)t);
	double bc2 = 1.0 - pow(a->beta2, (double)t);
	float step = (float)(a->lr / bc1);
	float bc2s = (float)sqrt(bc2);
	float b1 = (float)a->beta1, c1 = (float)(1.0 - a->beta1);
	float b2 = (float)a->beta2, c2 = (float)(1.0 - a->beta2);
	float wd = (float)a->weight_decay, eps = (float)a->eps;
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
	for (size_t i = 0; i < n; i++) {
		float g = grad[i] + wd * param[i];
		m[i] = m[i] * b1 + c1 * g;
		v[i] = v[i] * b2 + c2 * (g * g);
		float den = sqrtf(v[i]) / bc2s + eps;
		param[i] -= step * (m[i] / den);
	}
}

/* ---------------------------------------------------------------- init */

void
init_uniform(float *x, size_t n, float bound, struct rng *r)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (float)rng_range(r, -(double)bound, (double)bound);
}

void
init_normal(float *x, size_t n, float std, struct rng *r)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(rng_normal(r) * std);
}

void
init_default_layer(float *weight, size_t nweight, float *bias,
    size_t nbias, size_t fan_in, struct rng *r)
{
	float bound = (float)(1.0 / sqrt((double)fan_in));
	init_uniform(weight, nweight, bound, r);
	if (bias)
		init_uniform(bias, nbias, bound, r);
}
