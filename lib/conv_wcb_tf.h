/*
 * conv_wcb_tf.h - conv_wcb.c's Winograd transforms for one vector
 * width, included once per width: the includer defines VEC (the vector
 * type), VW (its floats), VOP(op) (the intrinsic of operation op, e.g.
 * _mm256_add_ps for add), ATTR and INLINE (the target attributes) and
 * TF(f) (the width's name for f); all are undefined at the end.  The
 * same operations in the same order at every width, on each channel
 * lane: the same bytes.
 */

#define v_add VOP(add)
#define v_sub VOP(sub)
#define v_mul VOP(mul)
#define v_fmadd VOP(fmadd)
#define v_fnmadd VOP(fnmadd)
#define v_fmsub VOP(fmsub)
#define v_set1 VOP(set1)
#define v_loadu VOP(loadu)
#define v_storeu VOP(storeu)

/* q = B^T c for 6 vectors (B^T of conv_wino.c's F(4x4,3x3)) */
INLINE void
TF(bt6)(VEC q[6], const VEC c[6])
{
	VEC h = v_set1(1.5f);
	VEC u = v_sub(c[4], c[2]), w = v_sub(c[3], c[1]);
	q[0] = v_fmadd(h, w, v_add(v_sub(c[0], c[2]), u));
	q[1] = v_fmadd(h, v_add(c[2], c[3]), v_add(u, w));
	q[2] = v_fmadd(h, v_sub(c[3], c[2]), v_sub(u, w));
	q[3] = v_fmadd(v_set1(2.0f), w, u);
	q[4] = v_fnmadd(v_set1(0.5f), w, u);
	q[5] = v_fmadd(h, u, v_sub(v_sub(c[5], c[3]), w));
}

/* s = A^T m for 6 vectors -> 4 */
INLINE void
TF(at6)(VEC s[4], const VEC m[6])
{
	VEC p = v_add(m[1], m[2]), q = v_sub(m[1], m[2]);
	s[0] = v_add(v_add(m[0], p), v_add(m[3], m[4]));
	s[1] = v_add(q, v_fmsub(v_set1(0.5f), m[3],
	    v_mul(v_set1(2.0f), m[4])));
	s[2] = v_add(p, v_fmadd(v_set1(0.25f), m[3],
	    v_mul(v_set1(4.0f), m[4])));
	s[3] = v_add(v_add(q, v_fmsub(v_set1(0.125f), m[3],
	    v_mul(v_set1(8.0f), m[4]))), m[5]);
}

/* p = A x for 4 vectors -> 6 (A = the transpose of A^T) */
INLINE void
TF(a4)(VEC p[6], const VEC x[4])
{
	VEC h = v_set1(0.5f), two = v_set1(2.0f);
	VEC e = v_add(x[0], x[2]), o = v_add(x[1], x[3]);
	p[0] = x[0];
	p[1] = v_add(e, o);
	p[2] = v_sub(e, o);
	p[3] = v_fmadd(h, v_fmadd(h, v_fmadd(h, x[3], x[2]), x[1]), x[0]);
	p[4] = v_fnmadd(two, v_fnmadd(two, v_fnmadd(two, x[3], x[2]), x[1]),
	    x[0]);
	p[5] = x[3];
}

/*
 * V [36, T, Ci] (plane vs) rows t0.. = B^T d B of the tiles of the
 * framed image P
 */
static ATTR void
TF(transform_input)(float *V, size_t vs, size_t t0, const float *P,
    const struct cgeo *g)
{
	size_t Ci = g->Ci, Wp = g->Wp;
	for (size_t ty = 0; ty < g->TH; ty++)
		for (size_t tx = 0; tx < g->TW; tx++) {
			size_t t = t0 + ty * g->TW + tx;
			const float *b = P + (4 * ty * Wp + 4 * tx) * Ci;
			for (size_t c0 = 0; c0 < Ci; c0 += VW) {
				VEC r[6][6];
#pragma GCC unroll 6
				for (int i = 0; i < 6; i++) {
					VEC d[6];
#pragma GCC unroll 6
					for (int j = 0; j < 6; j++)
						d[j] = v_loadu(b +
						    (i * Wp + j) * Ci + c0);
					TF(bt6)(r[i], d);
				}
#pragma GCC unroll 6
				for (int k = 0; k < 6; k++) {
					VEC col[6], o[6];
#pragma GCC unroll 6
					for (int i = 0; i < 6; i++)
						col[i] = r[i][k];
					TF(bt6)(o, col);
					float *q = V + k * vs + t * Ci + c0;
#pragma GCC unroll 6
					for (int i = 0; i < 6; i++, q += 6 * vs)
						v_storeu(q, o[i]);
				}
			}
		}
}

/* Y [4 TH, 4 TW, Co] = A^T m A of the products M [36, T, Co] rows t0.. */
static ATTR void
TF(transform_output)(float *Y, const float *M, size_t ms, size_t t0,
    const struct cgeo *g)
{
	size_t Co = g->Co, Wy = 4 * g->TW;
	for (size_t ty = 0; ty < g->TH; ty++)
		for (size_t tx = 0; tx < g->TW; tx++) {
			size_t t = t0 + ty * g->TW + tx;
			for (size_t o0 = 0; o0 < Co; o0 += VW) {
				VEC s[4][6];
#pragma GCC unroll 6
				for (int j = 0; j < 6; j++) {
					VEC m[6], r[4];
#pragma GCC unroll 6
					for (int i = 0; i < 6; i++)
						m[i] = v_loadu(M +
						    (i * 6 + j) * ms +
						    t * Co + o0);
					TF(at6)(r, m);
#pragma GCC unroll 4
					for (int a = 0; a < 4; a++)
						s[a][j] = r[a];
				}
#pragma GCC unroll 4
				for (int a = 0; a < 4; a++) {
					VEC y[4];
					TF(at6)(y, s[a]);
#pragma GCC unroll 4
					for (int b = 0; b < 4; b++)
						v_storeu(Y + ((4 * ty +
						    a) * Wy + 4 * tx + b) *
						    Co + o0, y[b]);
				}
			}
		}
}

/*
 * Dg [36, T, Co] (plane ds) rows t0.. = A dY A^T of the 4x4 tiles of
 * Q [4 TH, 4 TW, Co] (dout, zero outside the image): the gradient of
 * the loss with respect to each tile's 36 products
 */
static ATTR void
TF(transform_dout)(float *Dg, size_t ds, size_t t0, const float *Q,
    const struct cgeo *g)
{
	size_t Co = g->Co, Wq = 4 * g->TW;
	for (size_t ty = 0; ty < g->TH; ty++)
		for (size_t tx = 0; tx < g->TW; tx++) {
			size_t t = t0 + ty * g->TW + tx;
			const float *b = Q + (4 * ty * Wq + 4 * tx) * Co;
			for (size_t o0 = 0; o0 < Co; o0 += VW) {
				VEC p[4][6];
#pragma GCC unroll 4
				for (int j = 0; j < 4; j++) {
					VEC x[4], r[6];
#pragma GCC unroll 4
					for (int a = 0; a < 4; a++)
						x[a] = v_loadu(b +
						    (a * Wq + j) * Co + o0);
					TF(a4)(r, x);
#pragma GCC unroll 6
					for (int i = 0; i < 6; i++)
						p[j][i] = r[i];
				}
#pragma GCC unroll 6
				for (int i = 0; i < 6; i++) {
					VEC x[4], m[6];
#pragma GCC unroll 4
					for (int j = 0; j < 4; j++)
						x[j] = p[j][i];
					TF(a4)(m, x);
#pragma GCC unroll 6
					for (int k = 0; k < 6; k++)
						v_storeu(Dg + (i * 6 +
						    k) * ds + t * Co + o0,
						    m[k]);
				}
			}
		}
}

#undef v_add
#undef v_sub
#undef v_mul
#undef v_fmadd
#undef v_fnmadd
#undef v_fmsub
#undef v_set1
#undef v_loadu
#undef v_storeu
#undef VEC
#undef VW
#undef VOP
#undef ATTR
#undef INLINE
#undef TF
