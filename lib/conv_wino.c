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
	size_t Hq, Wq;        /* zero-framed input plane 2TH+2 x 2TW+2 */
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
	g->Hq = 2 * g->TH + 2;
	g->Wq = 2 * g->TW + 2;
	size_t nc = (WINO_TILES + g->tpi - 1) / g->tpi;
	size_t most = WINO_FLOATS / (16 * (C + OC) * g->tpi);
	if (nc > most)
		nc = most;
	g->nc = nc ? nc : 1;
	g->T = g->nc * g->tpi;
}

/* per thread: V [16, C, T], M [16, OC, T], plane [Hq, Wq],
 * R [Hq, 4, TW], 8 TW + 2 more for the transforms' rows */
static size_t
wthread_floats(const struct wgeo *g)
{
	size_t n = 16 * (g->C + g->OC) * g->T + g->Hq * g->Wq +
	    g->Hq * 4 * g->TW + 8 * g->TW + 2;
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
 * The transforms are adds and subtracts over tile columns (unit stride
 * once a plane row is split into even and odd columns), compiled for
 * AVX2 and for the baseline, chosen at run time; no multiplies, so
 * both give the same bytes.
 */
#define WINO_CLONES __attribute__((target_clones("avx2", "default")))

/*
 * V[xi][c][t0 + ty TW + tx] (ld T) = B^T d B of image x [C,H,W]'s
 * tiles, B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].  Scratch:
 * plane [Hq, Wq] (zero frame), R [Hq, 4, TW], eo [2, TW + 1].
 */
WINO_CLONES static void
transform_input(float *V, size_t T, size_t t0, const float *x, float *plane,
    float *R, float *eo, const struct wgeo *g)
{
	size_t H = g->H, W = g->W, TW = g->TW, Wq = g->Wq, Hq = g->Hq;
	size_t CT = g->C * T;
	float *E = eo, *O = eo + TW + 1;
	memset(plane, 0, Hq * Wq * sizeof *plane);
	for (size_t c = 0; c < g->C; c++, x += H * W) {
		/* the frame stays zero: only the interior is rewritten */
		for (size_t h = 0; h < H; h++)
			memcpy(plane + (h + 1) * Wq + 1, x + h * W,
			    W * sizeof *plane);
		/* columns: R[r][j][tx] from plane row r, cols 2tx..2tx+3 */
		for (size_t r = 0; r < Hq; r++) {
			const float *p = plane + r * Wq;
			float *r0 = R + r * 4 * TW, *r1 = r0 + TW;
			float *r2 = r1 + TW, *r3 = r2 + TW;
			for (size_t k = 0; k <= TW; k++) {
				E[k] = p[2 * k];
				O[k] = p[2 * k + 1];
			}
#pragma omp simd
			for (size_t tx = 0; tx < TW; tx++) {
				r0[tx] = E[tx] - E[tx + 1];
				r1[tx] = O[tx] + E[tx + 1];
				r2[tx] = E[tx + 1] - O[tx];
				r3[tx] = O[tx] - O[tx + 1];
			}
		}
		/* rows: tile row ty uses plane rows 2ty..2ty+3 */
		for (size_t ty = 0; ty < g->TH; ty++)
			for (size_t j = 0; j < 4; j++) {
				const float *a0 = R + (2 * ty) * 4 * TW + j * TW;
				const float *a1 = a0 + 4 * TW, *a2 = a1 + 4 * TW;
				const float *a3 = a2 + 4 * TW;
				float *v0 = V + j * CT + c * T + t0 + ty * TW;
				float *v1 = v0 + 4 * CT, *v2 = v1 + 4 * CT;
				float *v3 = v2 + 4 * CT;
#pragma omp simd
				for (size_t tx = 0; tx < TW; tx++) {
					v0[tx] = a0[tx] - a2[tx];
					v1[tx] = a1[tx] + a2[tx];
					v2[tx] = a2[tx] - a1[tx];
					v3[tx] = a1[tx] - a3[tx];
				}
			}
	}
}

/*
 * out [OC, H, W] (= or +=) A^T m A of the products M[xi][oc][t0 + t]
 * (ld T), A^T = [1 1 1 0; 0 1 -1 -1], + bias [OC] (or NULL).
 * Scratch: y [4, TW] (output rows 0, 1 x even, odd columns), row [2 TW].
 */
WINO_CLONES static void
transform_output(float *out, const float *M, size_t T, size_t t0,
    const float *bias, int accumulate, float *y, float *row,
    const struct wgeo *g)
{
	size_t H = g->H, W = g->W, TW = g->TW, OC = g->OC, st = OC * T;
	float *y0e = y, *y0o = y + TW, *y1e = y + 2 * TW, *y1o = y + 3 * TW;
	for (size_t oc = 0; oc < OC; oc++) {
		float b = bias ? bias[oc] : 0.0f;
		for (size_t ty = 0; ty < g->TH; ty++) {
			const float *m = M + oc * T + t0 + ty * TW;
#pragma omp simd
			for (size_t tx = 0; tx < TW; tx++) {
				float s0[4], s1[4];
				for (size_t j = 0; j < 4; j++) {
					float m0 = m[j * st + tx];
					float m1 = m[(4 + j) * st + tx];
					float m2 = m[(8 + j) * st + tx];
					float m3 = m[(12 + j) * st + tx];
					s0[j] = m0 + m1 + m2;
					s1[j] = m1 - m2 - m3;
				}
				y0e[tx] = s0[0] + s0[1] + s0[2];
				y0o[tx] = s0[1] - s0[2] - s0[3];
				y1e[tx] = s1[0] + s1[1] + s1[2];
				y1o[tx] = s1[1] - s1[2] - s1[3];
			}
			for (size_t i = 0; i < 2 && 2 * ty + i < H; i++) {
				const float *e = i ? y1e : y0e;
				const float *od = i ? y1o : y0o;
				float *o = out + (oc * H + 2 * ty + i) * W;
				for (size_t tx = 0; tx < TW; tx++) {
					row[2 * tx] = e[tx];
					row[2 * tx + 1] = od[tx];
				}
				if (accumulate) {
#pragma omp simd
					for (size_t w = 0; w < W; w++)
						o[w] += row[w];
				} else {
#pragma omp simd
					for (size_t w = 0; w < W; w++)
						o[w] = row[w] + b;
				}
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
		float *M = V + 16 * C * T;
		float *plane = M + 16 * OC * T, *R = plane + g->Hq * g->Wq;
		float *rows = R + g->Hq * 4 * g->TW;   /* [8 TW + 2] */
		for (size_t i = 0; i < nc; i++)
			transform_input(V, T, i * g->tpi, inp + (n0 + i) *
			    in_sz, plane, R, rows, g);
		for (size_t xi = 0; xi < 16; xi++)
			gemm1(0, OC, T, C, U + xi * OC * C, C, V + xi * C * T,
			    T, 0.0f, M + xi * OC * T, T);
		for (size_t i = 0; i < nc; i++)
			transform_output(out + (n0 + i) * out_sz, M, T,
			    i * g->tpi, bias, accumulate, rows,
			    rows + 4 * g->TW, g);
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
 * the loss with respect to the tile's product sums.  Scratch eo
 * [4, TW + 1].
 */
WINO_CLONES static void
transform_dout(float *Mg, size_t T, size_t t0, const float *d, float *eo,
    const struct wgeo *g)
{
	size_t H = g->H, W = g->W, TW = g->TW, OC = g->OC, st = OC * T;
	float *E0 = eo, *O0 = E0 + TW, *E1 = O0 + TW, *O1 = E1 + TW;
	for (size_t oc = 0; oc < OC; oc++, d += H * W)
		for (size_t ty = 0; ty < g->TH; ty++) {
			for (size_t i = 0; i < 2; i++) {
				float *e = i ? E1 : E0, *od = i ? O1 : O0;
				size_t h = 2 * ty + i;
				const float *row = d + h * W;
				for (size_t tx = 0; tx < TW; tx++) {
					size_t w = 2 * tx;
					e[tx] = h < H ? row[w] : 0.0f;
					od[tx] = h < H && w + 1 < W ?
					    row[w + 1] : 0.0f;
				}
			}
			float *m = Mg + oc * T + t0 + ty * TW;
#pragma omp simd
			for (size_t tx = 0; tx < TW; tx++) {
				/* rows of A dY: (p, q) pairs */
				float p[4], q[4];
				p[0] = E0[tx];
				q[0] = O0[tx];
				p[1] = E0[tx] + E1[tx];
				q[1] = O0[tx] + O1[tx];
				p[2] = E0[tx] - E1[tx];
				q[2] = O0[tx] - O1[tx];
				p[3] = -E1[tx];
				q[3] = -O1[tx];
				for (size_t i = 0; i < 4; i++) {
					m[(i * 4) * st + tx] = p[i];
					m[(i * 4 + 1) * st + tx] = p[i] + q[i];
					m[(i * 4 + 2) * st + tx] = p[i] - q[i];
					m[(i * 4 + 3) * st + tx] = -q[i];
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
	size_t off = 16 * (C + OC) * g.T;
	if (threads == 0)
		threads = 1;
	for (size_t n0 = 0; n0 < N; n0 += g.nc) {
		size_t nc = N - n0 < g.nc ? N - n0 : g.nc;
		size_t T = nc * g.tpi;
		float *V = base, *Mg = V + 16 * C * T;
		float beta = n0 ? 1.0f : 0.0f;
#pragma omp parallel num_threads(threads)
		{
			float *ts = base + (size_t)omp_get_thread_num() * per +
			    off;
			float *plane = ts, *R = plane + g.Hq * g.Wq;
			float *rows = R + g.Hq * 4 * g.TW;
#pragma omp for schedule(dynamic, 1)
			for (size_t i = 0; i < nc; i++) {
				transform_input(V, T, i * g.tpi, inp +
				    (n0 + i) * in_sz, plane, R, rows, &g);
				transform_dout(Mg, T, i * g.tpi, dout +
				    (n0 + i) * out_sz, rows, &g);
			}
#pragma omp for schedule(static)
			for (size_t xi = 0; xi < 16; xi++)
				gemm1(1, OC, C, T, Mg + xi * OC * T, T,
				    V + xi * C * T, T, beta, dU + xi * OC * C, C);
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
