/* conv_wino.c - Winograd F(2x2, 3x3) convolutions (see conv_wino.h). */
#include <blis.h>
#include <omp.h>
#include <string.h>

#include "blas.h"
#include "conv_wino.h"

/* tiles per chunk: at least WINO_TILES, and its transformed input and
 * products [16, C+OC, tiles] within WINO_FLOATS */
#define WINO_TILES 256
#define WINO_FLOATS ((size_t)1 << 22)

static int mode = CONV_WINO_AUTO;

void
conv_wino_set(int m)
{
	mode = m;
}

/*
 * Where F(2x2,3x3) beats the direct kernels and im2col + BLIS (zen3,
 * bench/conv.sh): the 16 GEMMs have K = input channels, which BLIS
 * runs well from 64 on.
 */
static int
use_wino(const struct conv2d_shape *s)
{
	return s->C >= 64 && s->OC >= 64;
}

int
conv_wino_applies(const struct conv2d_shape *s, int part)
{
	(void)part;
	if (s->KS != 3 || s->stride != 1 || s->pad != 1)
		return 0;
	if (mode == CONV_WINO_ON)
		return 1;
	if (mode == CONV_WINO_OFF)
		return 0;
	return use_wino(s);
}

/* a padding-1 3x3 conv C -> OC on [H, W] (output [H, W]) in tiles */
struct wgeo {
	size_t C, OC, H, W;
	size_t TH, TW, tpi;   /* tile rows, columns, tiles per image */
	size_t nc, T;         /* images and tiles per chunk */
};

static void
wgeo_set(struct wgeo *g, size_t C, size_t H, size_t W, size_t OC)
{
	g->C = C;
	g->OC = OC;
	g->H = H;
	g->W = W;
	g->TH = (H + 1) / 2;
	g->TW = (W + 1) / 2;
	g->tpi = g->TH * g->TW;
	size_t nc = (WINO_TILES + g->tpi - 1) / g->tpi;
	size_t most = WINO_FLOATS / (16 * (C + OC) * g->tpi);
	if (nc > most)
		nc = most;
	g->nc = nc ? nc : 1;
	g->T = g->nc * g->tpi;
}

/*
 * Floats from one of the 16 planes [C, T] of V (or M) to the next:
 * C T is often a multiple of 4 KiB, and 16 streams that far apart
 * share the same few cache sets; one cache line further apart they
 * do not (the weight gradient of 64 channels at 8x8 ran twice as
 * fast, its forward pass a third faster).
 */
static size_t
pstride(size_t C, size_t T)
{
	return (C * T + 15) / 16 * 16 + 16;
}

/* the transforms' scratch: 16 rows of (TH+1)*TW */
static size_t
wtx_floats(const struct wgeo *g)
{
	return 16 * (g->TH + 1) * g->TW;
}

/* per thread: V [16, C, T], M [16, OC, T], the transforms' scratch */
static size_t
wthread_floats(const struct wgeo *g)
{
	size_t n = 16 * (pstride(g->C, g->T) + pstride(g->OC, g->T)) +
	    wtx_floats(g);
	return (n + 15) / 16 * 16;
}

static size_t
max2(size_t a, size_t b)
{
	return a > b ? a : b;
}

size_t
conv_wino_scratch_floats(const struct conv2d_shape *s, size_t threads)
{
	struct wgeo f, b;
	wgeo_set(&f, s->C, s->H, s->W, s->OC);
	wgeo_set(&b, s->OC, s->OH, s->OW, s->C);
	if (threads == 0)
		threads = 1;
	/* U [16, OC, C] first */
	return (16 * s->OC * s->C + 15) / 16 * 16 + threads *
	    max2(wthread_floats(&f), wthread_floats(&b));
}

/*
 * U [16, OC, C] = G g G^T per (oc, c) with G = [1 0 0; .5 .5 .5;
 * .5 -.5 .5; 0 0 1]; g = w[oc][c] (flip 0, w [OC,C,3,3]) or the
 * transposed, reversed w[c][oc][2-u][2-v] (flip 1, w [C,OC,3,3]).
 * Sixteen channels at a time go to a local block first, so each of
 * the 16 planes gets whole rows (the planes are often 4 KiB apart).
 */
static void
transform_weights(float *U, const float *w, size_t OC, size_t C, int flip,
    size_t threads)
{
#pragma omp parallel for schedule(static) num_threads(threads) \
    if (OC * C >= 4096)
	for (size_t o = 0; o < OC; o++)
		for (size_t c0 = 0; c0 < C; c0 += 16) {
			float blk[16][16];
			size_t nb = C - c0 < 16 ? C - c0 : 16;
			for (size_t k = 0; k < nb; k++) {
				size_t c = c0 + k;
				float g[3][3], a[4][3];
				for (size_t u = 0; u < 3; u++)
					for (size_t v = 0; v < 3; v++)
						g[u][v] = flip ?
						    w[((c * OC + o) * 3 + 2 -
						    u) * 3 + 2 - v] :
						    w[((o * C + c) * 3 + u) *
						    3 + v];
				for (size_t v = 0; v < 3; v++) {
					a[0][v] = g[0][v];
					a[1][v] = 0.5f * (g[0][v] + g[1][v] +
					    g[2][v]);
					a[2][v] = 0.5f * (g[0][v] - g[1][v] +
					    g[2][v]);
					a[3][v] = g[2][v];
				}
				for (size_t i = 0; i < 4; i++) {
					blk[i * 4][k] = a[i][0];
					blk[i * 4 + 1][k] = 0.5f * (a[i][0] +
					    a[i][1] + a[i][2]);
					blk[i * 4 + 2][k] = 0.5f * (a[i][0] -
					    a[i][1] + a[i][2]);
					blk[i * 4 + 3][k] = a[i][2];
				}
			}
			for (size_t xi = 0; xi < 16; xi++)
				memcpy(U + (xi * OC + o) * C + c0, blk[xi],
				    nb * sizeof *U);
		}
}

/*
 * The transforms work on whole images: every step is an add or a
 * subtract over all tiles of one channel at once, as flat rows of
 * TH*TW (or (TH+1)*TW) floats, so the loops are long even for the 4x4
 * and 8x8 maps of the last layers.  Only the splitting of image rows
 * into even and odd columns, and its inverse for the output, touch
 * single floats.  Compiled for AVX2 and for the baseline, chosen at
 * run time; no multiplies, so both give the same bytes (and the same
 * bytes as transforming tile by tile).
 */
#define WINO_CLONES __attribute__((target_clones("avx2", "default")))

/* ev[s] = y[2s], od[s] = y[2s+1] for s < TW, zero past W */
static void
deinterleave(float *ev, float *od, const float *y, size_t W, size_t TW)
{
	for (size_t s = 0; s < TW; s++) {
		ev[s] = 2 * s < W ? y[2 * s] : 0.0f;
		od[s] = 2 * s + 1 < W ? y[2 * s + 1] : 0.0f;
	}
}

/*
 * Row y of an image (NULL: a row of the zero frame) split for the
 * tiles: with q the row of the zero-framed plane (q[j] = y[j - 1]),
 * e0[s] = q[2s], o0[s] = q[2s+1], e1[s] = q[2s+2], o1[s] = q[2s+3]
 * for s < TW, zero outside the image.
 */
static void
split_row(float *e0, float *o0, float *e1, float *o1, const float *y,
    size_t W, size_t TW)
{
	if (y == NULL) {
		memset(e0, 0, TW * sizeof *e0);
		memset(o0, 0, TW * sizeof *o0);
		memset(e1, 0, TW * sizeof *e1);
		memset(o1, 0, TW * sizeof *o1);
		return;
	}
	deinterleave(o0, e1, y, W, TW);
	e0[0] = 0.0f;
	for (size_t s = 1; s < TW; s++)
		e0[s] = e1[s - 1];
	for (size_t s = 0; s + 1 < TW; s++)
		o1[s] = o0[s + 1];
	o1[TW - 1] = 0.0f;
}

/*
 * V[xi][c][t0 + ty TW + tx] (ld T) = B^T d B of image x [C,H,W]'s
 * tiles, B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].  Tile (ty, tx)
 * reads plane rows 2ty..2ty+3: rows 2r+a are kept as parity a, row r,
 * so each of the tile's rows is a flat offset (0 or TW) into one of
 * them.  Scratch ws [wtx_floats].
 */
WINO_CLONES static void
transform_input(float *V, size_t T, size_t t0, const float *x, float *ws,
    const struct wgeo *g)
{
	size_t H = g->H, W = g->W, TH = g->TH, TW = g->TW;
	size_t n = (TH + 1) * TW, tpi = g->tpi, CT = pstride(g->C, T);
	/* S[a][k]: split rows (k: e0 o0 e1 o1); Q[a][j]: column sums */
	float *S = ws, *Q = ws + 8 * n;
	for (size_t c = 0; c < g->C; c++, x += H * W) {
		for (size_t a = 0; a < 2; a++)
			for (size_t r = 0; r <= TH; r++) {
				size_t q = 2 * r + a;   /* image row q - 1 */
				float *s = S + 4 * a * n + r * TW;
				split_row(s, s + n, s + 2 * n, s + 3 * n,
				    q >= 1 && q <= H ? x + (q - 1) * W : NULL,
				    W, TW);
			}
		for (size_t a = 0; a < 2; a++) {
			const float *e0 = S + 4 * a * n, *o0 = e0 + n;
			const float *e1 = o0 + n, *o1 = e1 + n;
			float *q0 = Q + 4 * a * n, *q1 = q0 + n;
			float *q2 = q1 + n, *q3 = q2 + n;
#pragma omp simd
			for (size_t i = 0; i < n; i++) {
				q0[i] = e0[i] - e1[i];
				q1[i] = o0[i] + e1[i];
				q2[i] = e1[i] - o0[i];
				q3[i] = o0[i] - o1[i];
			}
		}
		/* tile rows 0..3: parity 0 row ty, 1 row ty, 0 row ty+1,
		 * 1 row ty+1 */
		for (size_t j = 0; j < 4; j++) {
			const float *a0 = Q + j * n, *a1 = Q + (4 + j) * n;
			const float *a2 = a0 + TW, *a3 = a1 + TW;
			float *v0 = V + j * CT + c * T + t0;
			float *v1 = v0 + 4 * CT, *v2 = v1 + 4 * CT;
			float *v3 = v2 + 4 * CT;
#pragma omp simd
			for (size_t t = 0; t < tpi; t++) {
				v0[t] = a0[t] - a2[t];
				v1[t] = a1[t] + a2[t];
				v2[t] = a2[t] - a1[t];
				v3[t] = a1[t] - a3[t];
			}
		}
	}
}

/*
 * out [OC, H, W] (= or +=) A^T m A of the products M[xi][oc][t0 + t]
 * (ld T), A^T = [1 1 1 0; 0 1 -1 -1], + bias [OC] (or NULL): the four
 * outputs of every tile as flat rows y[i][k] [TH*TW] (output row
 * 2ty+i, column 2tx+k), then interleaved into the image.  Scratch ws
 * [wtx_floats].
 */
WINO_CLONES static void
transform_output(float *out, const float *M, size_t T, size_t t0,
    const float *bias, int accumulate, float *ws, const struct wgeo *g)
{
	size_t H = g->H, W = g->W, TW = g->TW, OC = g->OC;
	size_t st = pstride(OC, T);
	size_t tpi = g->tpi;
	float *y00 = ws, *y01 = ws + tpi, *y10 = ws + 2 * tpi;
	float *y11 = ws + 3 * tpi;
	for (size_t oc = 0; oc < OC; oc++) {
		float b = bias ? bias[oc] : 0.0f;
		const float *m = M + oc * T + t0;
#pragma omp simd
		for (size_t t = 0; t < tpi; t++) {
			float s0[4], s1[4];
			for (size_t j = 0; j < 4; j++) {
				float m0 = m[j * st + t];
				float m1 = m[(4 + j) * st + t];
				float m2 = m[(8 + j) * st + t];
				float m3 = m[(12 + j) * st + t];
				s0[j] = m0 + m1 + m2;
				s1[j] = m1 - m2 - m3;
			}
			y00[t] = s0[0] + s0[1] + s0[2];
			y01[t] = s0[1] - s0[2] - s0[3];
			y10[t] = s1[0] + s1[1] + s1[2];
			y11[t] = s1[1] - s1[2] - s1[3];
		}
		for (size_t h = 0; h < H; h++) {
			size_t ty = h / 2;
			const float *e = (h & 1 ? y10 : y00) + ty * TW;
			const float *od = (h & 1 ? y11 : y01) + ty * TW;
			float *o = out + (oc * H + h) * W;
			size_t w2 = W / 2;
			if (accumulate) {
				for (size_t tx = 0; tx < w2; tx++) {
					o[2 * tx] += e[tx];
					o[2 * tx + 1] += od[tx];
				}
				if (W & 1)
					o[W - 1] += e[w2];
			} else {
				for (size_t tx = 0; tx < w2; tx++) {
					o[2 * tx] = e[tx] + b;
					o[2 * tx + 1] = od[tx] + b;
				}
				if (W & 1)
					o[W - 1] = e[w2] + b;
			}
		}
	}
}

/* row-major C = A op(B) + beta C on the calling thread only */
static void
gemm1(int tb, size_t M, size_t N, size_t K, const float *A, size_t lda,
    const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
	float one = 1.0f;
	rntm_t rntm;
	blas_rntm(&rntm, 1, K);
	bli_sgemm_ex(BLIS_NO_TRANSPOSE, tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
	    (dim_t)M, (dim_t)N, (dim_t)K, &one, (float *)A, (inc_t)lda, 1,
	    (float *)B, (inc_t)ldb, 1, &beta, C, (inc_t)ldc, 1, NULL, &rntm);
}

static void
wino_run(float *out, float *scratch, const float *inp, const float *weight,
    int flip, const float *bias, int accumulate, size_t N,
    const struct wgeo *g, const struct conv2d_shape *s, size_t threads)
{
	struct wgeo f, b;
	wgeo_set(&f, s->C, s->H, s->W, s->OC);
	wgeo_set(&b, s->OC, s->OH, s->OW, s->C);
	size_t per = max2(wthread_floats(&f), wthread_floats(&b));
	size_t C = g->C, OC = g->OC;
	float *U = scratch;
	float *base = scratch + (16 * s->OC * s->C + 15) / 16 * 16;
	size_t in_sz = C * g->H * g->W, out_sz = OC * g->H * g->W;
	size_t nch = (N + g->nc - 1) / g->nc;
	if (threads == 0)
		threads = 1;
	transform_weights(U, weight, OC, C, flip, threads);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
	for (size_t ch = 0; ch < nch; ch++) {
		float *V = base + (size_t)omp_get_thread_num() * per;
		size_t n0 = ch * g->nc;
		size_t nc = N - n0 < g->nc ? N - n0 : g->nc;
		size_t T = nc * g->tpi;
		size_t vs = pstride(C, T), ms = pstride(OC, T);
		float *M = V + 16 * vs;
		float *ws = M + 16 * ms;
		for (size_t i = 0; i < nc; i++)
			transform_input(V, T, i * g->tpi, inp + (n0 + i) *
			    in_sz, ws, g);
		for (size_t xi = 0; xi < 16; xi++)
			gemm1(0, OC, T, C, U + xi * OC * C, C, V + xi * vs,
			    T, 0.0f, M + xi * ms, T);
		for (size_t i = 0; i < nc; i++)
			transform_output(out + (n0 + i) * out_sz, M, T,
			    i * g->tpi, bias, accumulate, ws, g);
	}
}

void
conv_wino_forward(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads)
{
	struct wgeo g;
	wgeo_set(&g, s->C, s->H, s->W, s->OC);
	wino_run(out, scratch, inp, weight, 0, bias, 0, N, &g, s, threads);
}

void
conv_wino_backward_dinp(float *dinp, float *scratch, const float *dout,
    const float *weight, size_t N, const struct conv2d_shape *s,
    size_t threads)
{
	struct wgeo g;
	wgeo_set(&g, s->OC, s->OH, s->OW, s->C);
	wino_run(dinp, scratch, dout, weight, 1, NULL, 1, N, &g, s, threads);
}

/*
 * Mg[xi][oc][t0 + t] (ld T) = A dY A^T of dout d [OC,H,W]'s 2x2 tiles
 * (zeros past the image), A = [1 0; 1 1; 1 -1; 0 -1]: the gradient of
 * the loss with respect to the tile's product sums.  The tiles' four
 * values go to flat rows first (E0, O0: row 2ty, even and odd
 * columns; E1, O1: row 2ty+1).  Scratch ws [wtx_floats].
 */
WINO_CLONES static void
transform_dout(float *Mg, size_t T, size_t t0, const float *d, float *ws,
    const struct wgeo *g)
{
	size_t H = g->H, W = g->W, TH = g->TH, TW = g->TW, OC = g->OC;
	size_t st = pstride(OC, T), tpi = g->tpi;
	float *E0 = ws, *O0 = E0 + tpi, *E1 = O0 + tpi, *O1 = E1 + tpi;
	for (size_t oc = 0; oc < OC; oc++, d += H * W) {
		for (size_t ty = 0; ty < TH; ty++)
			for (size_t i = 0; i < 2; i++) {
				float *e = (i ? E1 : E0) + ty * TW;
				float *od = (i ? O1 : O0) + ty * TW;
				size_t h = 2 * ty + i;
				if (h >= H) {
					memset(e, 0, TW * sizeof *e);
					memset(od, 0, TW * sizeof *od);
					continue;
				}
				deinterleave(e, od, d + h * W, W, TW);
			}
		float *m = Mg + oc * T + t0;
#pragma omp simd
		for (size_t t = 0; t < tpi; t++) {
			/* rows of A dY: (p, q) pairs */
			float p[4], q[4];
			p[0] = E0[t];
			q[0] = O0[t];
			p[1] = E0[t] + E1[t];
			q[1] = O0[t] + O1[t];
			p[2] = E0[t] - E1[t];
			q[2] = O0[t] - O1[t];
			p[3] = -E1[t];
			q[3] = -O1[t];
			for (size_t i = 0; i < 4; i++) {
				m[(i * 4) * st + t] = p[i];
				m[(i * 4 + 1) * st + t] = p[i] + q[i];
				m[(i * 4 + 2) * st + t] = p[i] - q[i];
				m[(i * 4 + 3) * st + t] = -q[i];
			}
		}
	}
}

/* x [4] -> G^T x [3], G^T = [1 .5 .5 0; 0 .5 -.5 0; 0 .5 .5 1] */
static void
gt4(float y[3], const float x[4])
{
	y[0] = x[0] + 0.5f * (x[1] + x[2]);
	y[1] = 0.5f * (x[1] - x[2]);
	y[2] = 0.5f * (x[1] + x[2]) + x[3];
}

/*
 * dweight [OC,C,3,3] += G^T dU G with dU[xi][oc][c] = sum over all
 * tiles of Mg[xi][oc][t] V[xi][c][t].  Chunks of images go in order;
 * in a chunk the transforms run over the images in parallel and the
 * 16 GEMMs over xi, each dU[xi] adding the chunks in order: the same
 * bytes on any number of threads.
 */
void
conv_wino_backward_dweight(float *dweight, float *scratch,
    const float *dout, const float *inp, size_t N,
    const struct conv2d_shape *s, size_t threads)
{
	struct wgeo g, b;
	wgeo_set(&g, s->C, s->H, s->W, s->OC);
	wgeo_set(&b, s->OC, s->OH, s->OW, s->C);
	size_t per = max2(wthread_floats(&g), wthread_floats(&b));
	size_t C = g.C, OC = g.OC;
	float *dU = scratch;
	float *base = scratch + (16 * OC * C + 15) / 16 * 16;
	size_t in_sz = C * g.H * g.W, out_sz = OC * g.H * g.W;
	/* thread t's transform scratch, past the largest V and Mg */
	size_t off = 16 * (pstride(C, g.T) + pstride(OC, g.T));
	if (threads == 0)
		threads = 1;
	for (size_t n0 = 0; n0 < N; n0 += g.nc) {
		size_t nc = N - n0 < g.nc ? N - n0 : g.nc;
		size_t T = nc * g.tpi;
		size_t vs = pstride(C, T), ms = pstride(OC, T);
		float *V = base, *Mg = V + 16 * vs;
		float beta = n0 ? 1.0f : 0.0f;
#pragma omp parallel num_threads(threads)
		{
			float *ts = base + (size_t)omp_get_thread_num() * per +
			    off;
#pragma omp for schedule(dynamic, 1)
			for (size_t i = 0; i < nc; i++) {
				transform_input(V, T, i * g.tpi, inp +
				    (n0 + i) * in_sz, ts, &g);
				transform_dout(Mg, T, i * g.tpi, dout +
				    (n0 + i) * out_sz, ts, &g);
			}
#pragma omp for schedule(static)
			for (size_t xi = 0; xi < 16; xi++)
				gemm1(1, OC, C, T, Mg + xi * ms, T,
				    V + xi * vs, T, beta, dU + xi * OC * C, C);
		}
	}
#pragma omp parallel for schedule(static) num_threads(threads) \
    if (OC * C >= 4096)
	for (size_t oc = 0; oc < OC; oc++)
		for (size_t c = 0; c < C; c++) {
			float u[4][4], a[3][4];
			for (size_t xi = 0; xi < 16; xi++)
				u[xi / 4][xi % 4] = dU[(xi * OC + oc) * C + c];
			/* G^T u: columns j */
			for (size_t j = 0; j < 4; j++) {
				float x[4] = { u[0][j], u[1][j], u[2][j],
				    u[3][j] }, y[3];
				gt4(y, x);
				for (size_t k = 0; k < 3; k++)
					a[k][j] = y[k];
			}
			float *dw = dweight + (oc * C + c) * 9;
			for (size_t k = 0; k < 3; k++) {
				float y[3];
				gt4(y, a[k]);
				for (size_t v = 0; v < 3; v++)
					dw[k * 3 + v] += y[v];
			}
		}
}
