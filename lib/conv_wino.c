/* conv_wino.c - Winograd F(2x2, 3x3) and F(4x4, 3x3) convolutions (see
 * conv_wino.h). */
#include <blis.h>
#include <omp.h>
#include <string.h>

#include "blas.h"
#include "conv_wino.h"
#include "wino_f4.h"

/* tiles per chunk: at least WINO_TILES, and its transformed input and
 * products [nx, C+OC, tiles] within WINO_FLOATS */
#define WINO_TILES 256
#define WINO_FLOATS ((size_t)1 << 22)

static int mode = CONV_WINO_AUTO;

void
conv_wino_set(int m)
{
	mode = m;
}

/*
 * The output tile (2 or 4; 0: not Winograd) where it beat the direct
 * kernels and im2col + BLIS (zen3, bench/conv.sh at widths 16 and 64,
 * batch 128, on one thread and on two idle cores).  F(4x4,3x3) from
 * 15x15 maps on (1.2-1.6x F(2x2,3x3) at 64 and 128 channels), at 32
 * channels for the gradients (1.2x the direct kernels on one thread,
 * 0.95-0.97x on two; its forward pass made the whole width-16 encoder
 * 5 % slower in bench/model.sh); at 8x8 from 128 channels (1.2-1.4x).
 * At 64 channels on 8x8 the direct kernels take the forward pass and
 * the input gradient (1.2x on two threads, 0.95x on one) and
 * F(2x2,3x3) the weight gradient.  F(2x2,3x3) also on 4x4 maps from
 * 64 channels, where one F(4x4,3x3) tile per map costs more in
 * transforms and in its 36 planes of weights than its GEMMs save.
 */
static int
use_wino(const struct conv2d_shape *s, int part)
{
	size_t c = s->C < s->OC ? s->C : s->OC;
	if (s->H > 8 && s->W > 8)
		return c >= 64 || (c >= 32 && part != CONV_WINO_FWD) ? 4 : 0;
	if (s->H > 4 && s->W > 4) {
		if (c >= 128)
			return 4;
		return c >= 64 && part == CONV_WINO_DWEIGHT ? 2 : 0;
	}
	return c >= 64 ? 2 : 0;
}

static int
tile(const struct conv2d_shape *s, int part)
{
	if (s->KS != 3 || s->stride != 1 || s->pad != 1)
		return 0;
	switch (mode) {
	case CONV_WINO_OFF:
		return 0;
	case CONV_WINO_F2:
		return 2;
	case CONV_WINO_F4:
		return 4;
	case CONV_WINO_ON:
		return use_wino(s, part) ? use_wino(s, part) : 2;
	}
	return use_wino(s, part);
}

int
conv_wino_applies(const struct conv2d_shape *s, int part)
{
	return tile(s, part) != 0;
}

/*
 * a padding-1 3x3 conv C -> OC on [H, W] (output [H, W]) in m x m
 * output tiles from (m+2) x (m+2) input tiles: nx = (m+2)^2 GEMMs
 */
struct wgeo {
	size_t m, nx;
	size_t C, OC, H, W;
	size_t TH, TW, tpi;   /* tile rows, columns, tiles per image */
	size_t nc, T;         /* images and tiles per chunk */
};

static void
wgeo_set(struct wgeo *g, size_t m, size_t C, size_t H, size_t W, size_t OC)
{
	g->m = m;
	g->nx = (m + 2) * (m + 2);
	g->C = C;
	g->OC = OC;
	g->H = H;
	g->W = W;
	g->TH = (H + m - 1) / m;
	g->TW = (W + m - 1) / m;
	g->tpi = g->TH * g->TW;
	size_t nc = (WINO_TILES + g->tpi - 1) / g->tpi;
	size_t most = WINO_FLOATS / (g->nx * (C + OC) * g->tpi);
	if (nc > most)
		nc = most;
	g->nc = nc ? nc : 1;
	g->T = g->nc * g->tpi;
}

/*
 * Floats from one of the nx planes [C, T] of V (or M) to the next:
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

/*
 * the transforms' scratch: F(2x2,3x3) 16 rows of (TH+1)*TW, F(4x4,3x3)
 * 48
 */
static size_t
wtx_floats(const struct wgeo *g)
{
	size_t n = (g->TH + 1) * g->TW;
	return (g->m == 2 ? 16 : 48) * n;
}

/* per thread: V [nx, C, T], M [nx, OC, T], the transforms' scratch */
static size_t
wthread_floats(const struct wgeo *g)
{
	size_t n = g->nx * (pstride(g->C, g->T) + pstride(g->OC, g->T)) +
	    wtx_floats(g);
	return (n + 15) / 16 * 16;
}

static size_t
max2(size_t a, size_t b)
{
	return a > b ? a : b;
}

/*
 * The scratch is laid out for the tile sizes the three parts use now
 * (conv_wino_set changes them: set it before sizing the scratch).
 * U or dU [nx, OC, C] first.
 */
static size_t
wu_floats(const struct conv2d_shape *s)
{
	size_t n = 0;
	for (int part = CONV_WINO_FWD; part <= CONV_WINO_DWEIGHT; part++) {
		size_t m = tile(s, part);
		n = max2(n, m ? (m + 2) * (m + 2) * s->OC * s->C : 0);
	}
	return (n + 15) / 16 * 16;
}

/* then per thread, for every part */
static size_t
wper_floats(const struct conv2d_shape *s)
{
	size_t n = 0;
	for (int part = CONV_WINO_FWD; part <= CONV_WINO_DWEIGHT; part++) {
		size_t m = tile(s, part);
		struct wgeo g;
		if (m == 0)
			continue;
		if (part == CONV_WINO_DINP)
			wgeo_set(&g, m, s->OC, s->OH, s->OW, s->C);
		else
			wgeo_set(&g, m, s->C, s->H, s->W, s->OC);
		n = max2(n, wthread_floats(&g));
	}
	return n;
}

size_t
conv_wino_scratch_floats(const struct conv2d_shape *s, size_t threads)
{
	if (threads == 0)
		threads = 1;
	return wu_floats(s) + threads * wper_floats(s);
}

/*
 * F(4x4,3x3) from the interpolation points 0, 1, -1, 1/2, -2 and
 * infinity: A^T's columns are the powers 0..3 of the points (infinity:
 * (0 0 0 1)), G's rows p^k / prod over the other points q of (p - q),
 * and B^T then follows from requiring A^T [(G g) (.) (B^T d)] to be the
 * correlation of d with g (linear in B^T; solved and checked exactly in
 * rationals):
 *
 *   B^T = [1 -3/2   -2  3/2   1 0;   G = [    1     0     0;
 *          0   -1  1/2  5/2   1 0;          1/3   1/3   1/3;
 *          0    1 -5/2  1/2   1 0;         -1/3   1/3  -1/3;
 *          0   -2   -1    2   1 0;       -16/15 -8/15 -4/15;
 *          0  1/2   -1 -1/2   1 0;         1/15 -2/15  4/15;
 *          0    1 -3/2   -2 3/2 1]            0     0     1]
 *
 *   A^T = [1  1  1   1  1 0;
 *          0  1 -1 1/2 -2 0;
 *          0  1  1 1/4  4 0;
 *          0  1 -1 1/8 -8 1]
 *
 * Why these: the channel sums are the GEMMs' rounding, and A^T's
 * entries weigh it; with 0, +-1, +-2 (Lavin and Gray's) the +-8 of
 * both columns multiply the errors of two of the six sums per row,
 * with 1/2 for one of them only one.  In a float model of a 512-
 * channel layer (random tiles, against double sums) the worst error
 * fell 2.6 times and the rms 1.6 times against 0, +-1, +-2;
 * 0, +-1, +-1/2 was no better than +-2, and 0, 1, -1, 2, -1/2 (the
 * mirror image) as good.  Scaling rows of B^T and G by powers of two
 * changes no rounding, so they stay as derived.  A^T and A have only
 * powers of two; B^T has halves (exact) and 3/2, 5/2 (one rounding).
 */

/* y[i][k] = (G x)[i] for the 3 taps x_j[k] of 16 channels k */
static inline void
gmul16(float y[][16], const float *x0, const float *x1, const float *x2,
    size_t m)
{
	for (size_t k = 0; k < 16; k++) {
		float a = x0[k], b = x1[k], c = x2[k];
		if (m == 2) {
			y[0][k] = a;
			y[1][k] = 0.5f * (a + b + c);
			y[2][k] = 0.5f * (a - b + c);
			y[3][k] = c;
		} else {
			float g[6];
			wino_f4_g(g, a, b, c);
			for (size_t i = 0; i < 6; i++)
				y[i][k] = g[i];
		}
	}
}

/*
 * U [nx, OC, C] = G g G^T per (oc, c), G of F(2x2,3x3) [1 0 0; .5 .5
 * .5; .5 -.5 .5; 0 0 1] or of F(4x4,3x3) (above); g = w[oc][c] (flip
 * 0, w [OC,C,3,3]) or the transposed, reversed w[c][oc][2-u][2-v]
 * (flip 1, w [C,OC,3,3]).  Sixteen channels at a time, side by side
 * in a local block, so the arithmetic runs over them and each of the
 * nx planes gets whole rows (the planes are often 4 KiB apart).
 */
static void
transform_weights(float *U, const float *w, size_t OC, size_t C, int flip,
    size_t m, size_t threads)
{
	size_t al = m + 2, nx = al * al;
#pragma omp parallel for schedule(static) num_threads(threads) \
    if (OC * C >= 4096)
	for (size_t o = 0; o < OC; o++)
		for (size_t c0 = 0; c0 < C; c0 += 16) {
			/* g[u][v][k], a[v][i][k] = (G g)[i][v], blk */
			float g[3][3][16] = { 0 }, a[3][6][16];
			float blk[36][16];
			size_t nb = C - c0 < 16 ? C - c0 : 16;
			for (size_t k = 0; k < nb; k++) {
				size_t c = c0 + k;
				for (size_t u = 0; u < 3; u++)
					for (size_t v = 0; v < 3; v++)
						g[u][v][k] = flip ?
						    w[((c * OC + o) * 3 + 2 -
						    u) * 3 + 2 - v] :
						    w[((o * C + c) * 3 + u) *
						    3 + v];
			}
			for (size_t v = 0; v < 3; v++)
				gmul16(a[v], g[0][v], g[1][v], g[2][v], m);
			for (size_t i = 0; i < al; i++)
				gmul16(blk + i * al, a[0][i], a[1][i],
				    a[2][i], m);
			/* a constant size: vector moves, not rep movs */
			for (size_t xi = 0; xi < nx; xi++)
				if (nb == 16)
					memcpy(U + (xi * OC + o) * C + c0,
					    blk[xi], 16 * sizeof *U);
				else
					memcpy(U + (xi * OC + o) * C + c0,
					    blk[xi], nb * sizeof *U);
		}
}

/*
 * The transforms work on whole images: every step is an add or a
 * subtract over all tiles of one channel at once, as flat rows of
 * TH*TW (or (TH+1)*TW) floats, so the loops are long even for the 4x4
 * and 8x8 maps of the last layers.  Only the splitting of image rows
 * into even and odd columns, and its inverse for the output, touch
 * single floats (F(4x4,3x3): columns and rows by residue mod 4).
 * Compiled for AVX2 and for the baseline, chosen at run time; both
 * give the same bytes (and the same bytes as transforming tile by
 * tile): the only multiplies are by powers of two, which are exact,
 * and F(4x4,3x3)'s 3/2, which ISO C mode (-std=c11: no contraction
 * into fused multiply-adds) rounds the same in both.
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

/*
 * r[k][s] (ld n) = y[4s+k-o] for s < TW and k < nk (6 with o = 1: the
 * zero-framed row's columns of F(4x4,3x3)'s input tiles; 4 with o = 0:
 * a dout row's columns of the output tiles), zero outside y [W]
 */
static inline void
split4(float *r, size_t n, size_t nk, size_t o, const float *y, size_t W,
    size_t TW)
{
	/* whole groups in y for s in [s0, s1), single floats elsewhere */
	size_t s0 = o < TW ? o : TW;
	size_t s1 = W + o >= nk ? (W + o - nk) / 4 + 1 : 0;
	s1 = s1 < s0 ? s0 : s1 > TW ? TW : s1;
	for (size_t s = 0; s < TW; s++) {
		if (s == s0)
			s = s1;
		if (s == TW)
			break;
		for (size_t k = 0; k < nk; k++) {
			size_t j = 4 * s + k;
			r[k * n + s] = j >= o && j - o < W ? y[j - o] : 0.0f;
		}
	}
	const float *z = y + 4 * s0 - o;
	float *r0 = r + s0, *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n;
	float *r4 = r3 + n, *r5 = r4 + n;
	if (nk == 4)
		for (size_t i = 0; i < s1 - s0; i++) {
			r0[i] = z[4 * i];
			r1[i] = z[4 * i + 1];
			r2[i] = z[4 * i + 2];
			r3[i] = z[4 * i + 3];
		}
	else
		for (size_t i = 0; i < s1 - s0; i++) {
			r0[i] = z[4 * i];
			r1[i] = z[4 * i + 1];
			r2[i] = z[4 * i + 2];
			r3[i] = z[4 * i + 3];
			r4[i] = z[4 * i + 4];
			r5[i] = z[4 * i + 5];
		}
}

/*
 * V[xi][c][t0 + ty TW + tx] (ld T) = B^T d B of image x [C,H,W]'s 6x6
 * tiles for F(4x4,3x3): tile (ty, tx) reads rows and columns 4ty..4ty+5
 * and 4tx..4tx+5 of the zero-framed plane.  Framed row 4r+a is kept
 * split as S[a][k][r TW + s] (k < 6: column 4s+k), so the tile's row
 * l is residue l % 4 at flat offset (l / 4) TW.  Scratch ws
 * [wtx_floats].
 */
WINO_CLONES static void
transform_input4(float *V, size_t T, size_t t0, const float *x, float *ws,
    const struct wgeo *g)
{
	size_t H = g->H, W = g->W, TH = g->TH, TW = g->TW;
	size_t n = (TH + 1) * TW, tpi = g->tpi, CT = pstride(g->C, T);
	/* S[a][k]: split rows; Q[a][j]: column sums */
	float *S = ws, *Q = ws + 24 * n;
	for (size_t c = 0; c < g->C; c++, x += H * W) {
		for (size_t a = 0; a < 4; a++)
			for (size_t r = 0; r <= TH; r++) {
				size_t q = 4 * r + a;   /* image row q - 1 */
				float *sa = S + 6 * a * n + r * TW;
				if (q < 1 || q > H) {
					for (size_t k = 0; k < 6; k++)
						memset(sa + k * n, 0,
						    TW * sizeof *sa);
					continue;
				}
				split4(sa, n, 6, 1, x + (q - 1) * W, W, TW);
			}
		for (size_t a = 0; a < 4; a++) {
			const float *c0 = S + 6 * a * n, *c1 = c0 + n;
			const float *c2 = c1 + n, *c3 = c2 + n, *c4 = c3 + n;
			const float *c5 = c4 + n;
			float *q0 = Q + 6 * a * n, *q1 = q0 + n, *q2 = q1 + n;
			float *q3 = q2 + n, *q4 = q3 + n, *q5 = q4 + n;
#pragma omp simd
			for (size_t i = 0; i < n; i++) {
				float u = c4[i] - c2[i], w = c3[i] - c1[i];
				q0[i] = (c0[i] - c2[i]) + u + 1.5f * w;
				q1[i] = u + w + 1.5f * (c2[i] + c3[i]);
				q2[i] = u - w + 1.5f * (c3[i] - c2[i]);
				q3[i] = u + 2.0f * w;
				q4[i] = u - 0.5f * w;
				q5[i] = (c5[i] - c3[i]) - w + 1.5f * u;
			}
		}
		/* tile rows 0..5: residues 0 1 2 3 at row ty, 0 1 at ty+1 */
		for (size_t j = 0; j < 6; j++) {
			const float *l0 = Q + j * n, *l1 = Q + (6 + j) * n;
			const float *l2 = Q + (12 + j) * n;
			const float *l3 = Q + (18 + j) * n;
			const float *l4 = l0 + TW, *l5 = l1 + TW;
			float *v0 = V + j * CT + c * T + t0;
			float *v1 = v0 + 6 * CT, *v2 = v1 + 6 * CT;
			float *v3 = v2 + 6 * CT, *v4 = v3 + 6 * CT;
			float *v5 = v4 + 6 * CT;
#pragma omp simd
			for (size_t t = 0; t < tpi; t++) {
				float u = l4[t] - l2[t], w = l3[t] - l1[t];
				v0[t] = (l0[t] - l2[t]) + u + 1.5f * w;
				v1[t] = u + w + 1.5f * (l2[t] + l3[t]);
				v2[t] = u - w + 1.5f * (l3[t] - l2[t]);
				v3[t] = u + 2.0f * w;
				v4[t] = u - 0.5f * w;
				v5[t] = (l5[t] - l3[t]) - w + 1.5f * u;
			}
		}
	}
}

/*
 * out [OC, H, W] (= or +=) A^T m A of the F(4x4,3x3) products
 * M[xi][oc][t0 + t] (ld T), + bias [OC] (or NULL): the 16 outputs of
 * every tile as flat rows y[i][k] [TH*TW] (output row 4ty+i, column
 * 4tx+k), then interleaved into the image.  Scratch ws [wtx_floats].
 */
WINO_CLONES static void
transform_output4(float *out, const float *M, size_t T, size_t t0,
    const float *bias, int accumulate, float *ws, const struct wgeo *g)
{
	size_t H = g->H, W = g->W, TW = g->TW, OC = g->OC;
	size_t st = pstride(OC, T), tpi = g->tpi;
	/* S[i][j] = (A^T m)[i][j], then y[i][k] = (S A)[i][k] */
	float *S = ws + 16 * tpi;
	for (size_t oc = 0; oc < OC; oc++) {
		float b = bias ? bias[oc] : 0.0f;
		const float *m = M + oc * T + t0;
		for (size_t j = 0; j < 6; j++) {
			const float *m0 = m + j * st, *m1 = m0 + 6 * st;
			const float *m2 = m1 + 6 * st, *m3 = m2 + 6 * st;
			const float *m4 = m3 + 6 * st, *m5 = m4 + 6 * st;
			float *s0 = S + j * tpi, *s1 = s0 + 6 * tpi;
			float *s2 = s1 + 6 * tpi, *s3 = s2 + 6 * tpi;
#pragma omp simd
			for (size_t t = 0; t < tpi; t++) {
				float p = m1[t] + m2[t], q = m1[t] - m2[t];
				s0[t] = m0[t] + p + (m3[t] + m4[t]);
				s1[t] = q + (0.5f * m3[t] - 2.0f * m4[t]);
				s2[t] = p + (0.25f * m3[t] + 4.0f * m4[t]);
				s3[t] = q + (0.125f * m3[t] - 8.0f * m4[t]) +
				    m5[t];
			}
		}
		for (size_t i = 0; i < 4; i++) {
			const float *r0 = S + 6 * i * tpi, *r1 = r0 + tpi;
			const float *r2 = r1 + tpi, *r3 = r2 + tpi;
			const float *r4 = r3 + tpi, *r5 = r4 + tpi;
			float *y0 = ws + 4 * i * tpi, *y1 = y0 + tpi;
			float *y2 = y1 + tpi, *y3 = y2 + tpi;
#pragma omp simd
			for (size_t t = 0; t < tpi; t++) {
				float p = r1[t] + r2[t], q = r1[t] - r2[t];
				y0[t] = r0[t] + p + (r3[t] + r4[t]);
				y1[t] = q + (0.5f * r3[t] - 2.0f * r4[t]);
				y2[t] = p + (0.25f * r3[t] + 4.0f * r4[t]);
				y3[t] = q + (0.125f * r3[t] - 8.0f * r4[t]) +
				    r5[t];
			}
		}
		for (size_t h = 0; h < H; h++) {
			const float *y0 = ws + 4 * (h % 4) * tpi + h / 4 * TW;
			const float *y1 = y0 + tpi, *y2 = y1 + tpi;
			const float *y3 = y2 + tpi;
			float *o = out + (oc * H + h) * W;
			size_t w4 = W / 4;
			if (accumulate)
				for (size_t tx = 0; tx < w4; tx++) {
					o[4 * tx] += y0[tx];
					o[4 * tx + 1] += y1[tx];
					o[4 * tx + 2] += y2[tx];
					o[4 * tx + 3] += y3[tx];
				}
			else
				for (size_t tx = 0; tx < w4; tx++) {
					o[4 * tx] = y0[tx] + b;
					o[4 * tx + 1] = y1[tx] + b;
					o[4 * tx + 2] = y2[tx] + b;
					o[4 * tx + 3] = y3[tx] + b;
				}
			for (size_t w = 4 * w4; w < W; w++) {
				float v = y0[(w % 4) * tpi + w4];
				o[w] = accumulate ? o[w] + v : v + b;
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
    const struct wgeo *g, const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post)
{
	size_t per = wper_floats(s);
	size_t C = g->C, OC = g->OC, nx = g->nx;
	float *U = scratch;
	float *base = scratch + wu_floats(s);
	size_t in_sz = C * g->H * g->W, out_sz = OC * g->H * g->W;
	size_t nch = (N + g->nc - 1) / g->nc;
	if (threads == 0)
		threads = 1;
	transform_weights(U, weight, OC, C, flip, g->m, threads);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
	for (size_t ch = 0; ch < nch; ch++) {
		float *V = base + (size_t)omp_get_thread_num() * per;
		size_t n0 = ch * g->nc;
		size_t nc = N - n0 < g->nc ? N - n0 : g->nc;
		size_t T = nc * g->tpi;
		size_t vs = pstride(C, T), ms = pstride(OC, T);
		float *M = V + nx * vs;
		float *ws = M + nx * ms;
		for (size_t i = 0; i < nc; i++) {
			const float *x = inp + (n0 + i) * in_sz;
			if (g->m == 2)
				transform_input(V, T, i * g->tpi, x, ws, g);
			else
				transform_input4(V, T, i * g->tpi, x, ws, g);
		}
		for (size_t xi = 0; xi < nx; xi++)
			gemm1(0, OC, T, C, U + xi * OC * C, C, V + xi * vs,
			    T, 0.0f, M + xi * ms, T);
		for (size_t i = 0; i < nc; i++) {
			float *y = out + (n0 + i) * out_sz;
			if (g->m == 2)
				transform_output(y, M, T, i * g->tpi, bias,
				    accumulate, ws, g);
			else
				transform_output4(y, M, T, i * g->tpi, bias,
				    accumulate, ws, g);
			conv_post_image(y, n0 + i, OC, g->H * g->W, post);
		}
	}
}

void
conv_wino_forward(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post)
{
	struct wgeo g;
	wgeo_set(&g, tile(s, CONV_WINO_FWD), s->C, s->H, s->W, s->OC);
	wino_run(out, scratch, inp, weight, 0, bias, 0, N, &g, s, threads,
	    post);
}

void
conv_wino_backward_dinp(float *dinp, float *scratch, const float *dout,
    const float *weight, size_t N, const struct conv2d_shape *s,
    size_t threads)
{
	struct wgeo g;
	wgeo_set(&g, tile(s, CONV_WINO_DINP), s->OC, s->OH, s->OW, s->C);
	wino_run(dinp, scratch, dout, weight, 1, NULL, 1, N, &g, s, threads,
	    NULL);
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

/*
 * Mg[xi][oc][t0 + t] (ld T) = A dY A^T of dout d [OC,H,W]'s 4x4 tiles
 * for F(4x4,3x3) (zeros past the image), A the transpose of A^T above.
 * The tiles' 16 values go to flat rows D[a][b] first (row 4ty+a,
 * column 4tx+b).  Scratch ws [wtx_floats].
 */
WINO_CLONES static void
transform_dout4(float *Mg, size_t T, size_t t0, const float *d, float *ws,
    const struct wgeo *g)
{
	size_t H = g->H, W = g->W, TH = g->TH, TW = g->TW, OC = g->OC;
	size_t st = pstride(OC, T), tpi = g->tpi;
	/* D [4][4][tpi]: the tiles' values; P [6][4][tpi] */
	float *P = ws + 16 * tpi;
	for (size_t oc = 0; oc < OC; oc++, d += H * W) {
		for (size_t ty = 0; ty < TH; ty++)
			for (size_t a = 0; a < 4; a++) {
				float *r = ws + 4 * a * tpi + ty * TW;
				size_t h = 4 * ty + a;
				if (h >= H) {
					for (size_t b = 0; b < 4; b++)
						memset(r + b * tpi, 0,
						    TW * sizeof *r);
					continue;
				}
				split4(r, tpi, 4, 0, d + h * W, W, TW);
			}
		/* P[i][b] = (A dY)[i][b], then Mg = P A^T */
		for (size_t b = 0; b < 4; b++) {
			const float *x0 = ws + b * tpi, *x1 = x0 + 4 * tpi;
			const float *x2 = x1 + 4 * tpi, *x3 = x2 + 4 * tpi;
			float *p0 = P + b * tpi, *p1 = p0 + 4 * tpi;
			float *p2 = p1 + 4 * tpi, *p3 = p2 + 4 * tpi;
			float *p4 = p3 + 4 * tpi, *p5 = p4 + 4 * tpi;
#pragma omp simd
			for (size_t t = 0; t < tpi; t++) {
				float e = x0[t] + x2[t], o = x1[t] + x3[t];
				p0[t] = x0[t];
				p1[t] = e + o;
				p2[t] = e - o;
				p3[t] = x0[t] + 0.5f * (x1[t] + 0.5f * (x2[t] +
				    0.5f * x3[t]));
				p4[t] = x0[t] - 2.0f * (x1[t] - 2.0f * (x2[t] -
				    2.0f * x3[t]));
				p5[t] = x3[t];
			}
		}
		float *m = Mg + oc * T + t0;
		for (size_t i = 0; i < 6; i++) {
			const float *x0 = P + 4 * i * tpi, *x1 = x0 + tpi;
			const float *x2 = x1 + tpi, *x3 = x2 + tpi;
			float *m0 = m + 6 * i * st, *m1 = m0 + st;
			float *m2 = m1 + st, *m3 = m2 + st, *m4 = m3 + st;
			float *m5 = m4 + st;
#pragma omp simd
			for (size_t t = 0; t < tpi; t++) {
				float e = x0[t] + x2[t], o = x1[t] + x3[t];
				m0[t] = x0[t];
				m1[t] = e + o;
				m2[t] = e - o;
				m3[t] = x0[t] + 0.5f * (x1[t] + 0.5f * (x2[t] +
				    0.5f * x3[t]));
				m4[t] = x0[t] - 2.0f * (x1[t] - 2.0f * (x2[t] -
				    2.0f * x3[t]));
				m5[t] = x3[t];
			}
		}
	}
}

/* y [3] = G^T x for x [m+2] */
static void
gtmul(float y[3], const float *x, size_t m)
{
	if (m == 2) {
		y[0] = x[0] + 0.5f * (x[1] + x[2]);
		y[1] = 0.5f * (x[1] - x[2]);
		y[2] = 0.5f * (x[1] + x[2]) + x[3];
		return;
	}
	wino_f4_gt(y, x);
}

/*
 * dweight [OC,C,3,3] += G^T dU G with dU[xi][oc][c] = sum over all
 * tiles of Mg[xi][oc][t] V[xi][c][t].  Chunks of images go in order;
 * in a chunk the transforms run over the images in parallel and the
 * nx GEMMs over xi, each dU[xi] adding the chunks in order: the same
 * bytes on any number of threads.
 */
void
conv_wino_backward_dweight(float *dweight, float *scratch,
    const float *dout, const float *inp, size_t N,
    const struct conv2d_shape *s, size_t threads)
{
	struct wgeo g;
	wgeo_set(&g, tile(s, CONV_WINO_DWEIGHT), s->C, s->H, s->W, s->OC);
	size_t per = wper_floats(s);
	size_t C = g.C, OC = g.OC, m = g.m, al = m + 2, nx = g.nx;
	float *dU = scratch;
	float *base = scratch + wu_floats(s);
	size_t in_sz = C * g.H * g.W, out_sz = OC * g.H * g.W;
	/* thread t's transform scratch, past the largest V and Mg */
	size_t off = nx * (pstride(C, g.T) + pstride(OC, g.T));
	if (threads == 0)
		threads = 1;
	for (size_t n0 = 0; n0 < N; n0 += g.nc) {
		size_t nc = N - n0 < g.nc ? N - n0 : g.nc;
		size_t T = nc * g.tpi;
		size_t vs = pstride(C, T), ms = pstride(OC, T);
		float *V = base, *Mg = V + nx * vs;
		float beta = n0 ? 1.0f : 0.0f;
#pragma omp parallel num_threads(threads)
		{
			float *ts = base + (size_t)omp_get_thread_num() * per +
			    off;
#pragma omp for schedule(dynamic, 1)
			for (size_t i = 0; i < nc; i++) {
				const float *x = inp + (n0 + i) * in_sz;
				const float *d = dout + (n0 + i) * out_sz;
				if (m == 2) {
					transform_input(V, T, i * g.tpi, x,
					    ts, &g);
					transform_dout(Mg, T, i * g.tpi, d,
					    ts, &g);
				} else {
					transform_input4(V, T, i * g.tpi, x,
					    ts, &g);
					transform_dout4(Mg, T, i * g.tpi, d,
					    ts, &g);
				}
			}
#pragma omp for schedule(static)
			for (size_t xi = 0; xi < nx; xi++)
				gemm1(1, OC, C, T, Mg + xi * ms, T,
				    V + xi * vs, T, beta, dU + xi * OC * C, C);
		}
	}
#pragma omp parallel for schedule(static) num_threads(threads) \
    if (OC * C >= 4096)
	for (size_t oc = 0; oc < OC; oc++)
		for (size_t c = 0; c < C; c++) {
			/* a zeroed: GCC -O3 does not see that gtmul reads
			 * only the al (4 or 6) columns set */
			float u[6][6], a[3][6] = { { 0 } };
			for (size_t xi = 0; xi < nx; xi++)
				u[xi / al][xi % al] = dU[(xi * OC + oc) * C +
				    c];
			/* G^T u: columns j */
			for (size_t j = 0; j < al; j++) {
				float x[6], y[3];
				for (size_t i = 0; i < al; i++)
					x[i] = u[i][j];
				gtmul(y, x, m);
				for (size_t k = 0; k < 3; k++)
					a[k][j] = y[k];
			}
			float *dw = dweight + (oc * C + c) * 9;
			for (size_t k = 0; k < 3; k++) {
				float y[3];
				gtmul(y, a[k], m);
				for (size_t v = 0; v < 3; v++)
					dw[k * 3 + v] += y[v];
			}
		}
}
