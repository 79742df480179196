/*
 * nn.c - layer kernels (see nn.h).  Convolutions are im2col + sgemm
 * over chunks of images; BN statistics are summed in double, one
 * channel per OpenMP iteration, so results do not depend on the
 * thread count except through BLIS.
 */
#include <math.h>
#include <string.h>

#include "blas.h"
#include "nn.h"

/* ---------------------------------------------------------------- conv */

/* Aim for at least this many GEMM columns (images x output pixels). */
#define CONV_MIN_COLS 512

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

/* images per GEMM */
static size_t
conv_chunk(const struct conv2d_shape *s, size_t N)
{
	size_t ohw = s->OH * s->OW;
	size_t c = (CONV_MIN_COLS + ohw - 1) / ohw;
	if (c > N)
		c = N;
	return c ? c : 1;
}

size_t
conv2d_scratch_floats(const struct conv2d_shape *s, size_t N)
{
	size_t cols = conv_chunk(s, N) * s->OH * s->OW;
	size_t K = s->C * s->KS * s->KS;
	return K * cols + s->OC * cols;
}

/*
 * col [C*KS*KS, ldc] (columns off..off+OH*OW) from one image
 * inp [C,H,W]; zero outside.
 */
static void
im2col(float *col, size_t ldc, const float *inp,
    const struct conv2d_shape *s)
{
	size_t KS = s->KS, OH = s->OH, OW = s->OW;
	size_t C = s->C, H = s->H, W = s->W;
	long pad = (long)s->pad, st = (long)s->stride;
#pragma omp parallel for schedule(static)
	for (size_t c = 0; c < C; c++) {
		const float *x = inp + c * H * W;
		for (size_t ki = 0; ki < KS; ki++)
			for (size_t kj = 0; kj < KS; kj++) {
				float *row = col + ((c * KS + ki) * KS + kj) *
				    ldc;
				for (size_t oh = 0; oh < OH; oh++) {
					long ih = (long)oh * st - pad +
					    (long)ki;
					float *r = row + oh * OW;
					if (ih < 0 || ih >= (long)H) {
						memset(r, 0, OW * sizeof *r);
						continue;
					}
					const float *xr = x + (size_t)ih * W;
					for (size_t ow = 0; ow < OW; ow++) {
						long iw = (long)ow * st - pad +
						    (long)kj;
						r[ow] = (iw < 0 || iw >= (long)W) ?
						    0.0f : xr[iw];
					}
				}
			}
	}
}

/* dinp [C,H,W] += scatter of col [C*KS*KS, ldc] */
static void
col2im(float *dinp, const float *col, size_t ldc,
    const struct conv2d_shape *s)
{
	size_t KS = s->KS, OH = s->OH, OW = s->OW;
	size_t C = s->C, H = s->H, W = s->W;
	long pad = (long)s->pad, st = (long)s->stride;
#pragma omp parallel for schedule(static)
	for (size_t c = 0; c < C; c++) {
		float *x = dinp + c * H * W;
		for (size_t ki = 0; ki < KS; ki++)
			for (size_t kj = 0; kj < KS; kj++) {
				const float *row = col + ((c * KS + ki) * KS +
				    kj) * ldc;
				for (size_t oh = 0; oh < OH; oh++) {
					long ih = (long)oh * st - pad +
					    (long)ki;
					if (ih < 0 || ih >= (long)H)
						continue;
					const float *r = row + oh * OW;
					float *xr = x + (size_t)ih * W;
					for (size_t ow = 0; ow < OW; ow++) {
						long iw = (long)ow * st - pad +
						    (long)kj;
						if (iw >= 0 && iw < (long)W)
							xr[iw] += r[ow];
					}
				}
			}
	}
}

void
conv2d_forward(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s)
{
	size_t OC = s->OC, ohw = s->OH * s->OW;
	size_t K = s->C * s->KS * s->KS;
	size_t in_sz = s->C * s->H * s->W, out_sz = OC * ohw;
	size_t chunk = conv_chunk(s, N);
	float *col = scratch;
	float *tmp = scratch + K * chunk * ohw;

	for (size_t n0 = 0; n0 < N; n0 += chunk) {
		size_t nc = N - n0 < chunk ? N - n0 : chunk;
		size_t cols = nc * ohw;
		for (size_t i = 0; i < nc; i++)
			im2col(col + i * ohw, cols, inp + (n0 + i) * in_sz, s);
		if (nc == 1) {
			sgemm(0, 0, OC, ohw, K, 1.0f, weight, K, col, cols,
			    0.0f, out + n0 * out_sz, ohw);
		} else {
			/* tmp [OC, nc, ohw] -> out [nc, OC, ohw] */
			sgemm(0, 0, OC, cols, K, 1.0f, weight, K, col, cols,
			    0.0f, tmp, cols);
#pragma omp parallel for schedule(static)
			for (size_t oc = 0; oc < OC; oc++)
				for (size_t i = 0; i < nc; i++)
					memcpy(out + (n0 + i) * out_sz +
					    oc * ohw, tmp + oc * cols + i * ohw,
					    ohw * sizeof *out);
		}
		if (bias) {
#pragma omp parallel for schedule(static)
			for (size_t i = 0; i < nc; i++)
				for (size_t oc = 0; oc < OC; oc++) {
					float *o = out + (n0 + i) * out_sz +
					    oc * ohw;
					for (size_t j = 0; j < ohw; j++)
						o[j] += bias[oc];
				}
		}
	}
}

void
conv2d_backward(float *dinp, float *dweight, float *dbias, float *scratch,
    const float *dout, const float *inp, const float *weight, size_t N,
    const struct conv2d_shape *s)
{
	size_t OC = s->OC, ohw = s->OH * s->OW;
	size_t K = s->C * s->KS * s->KS;
	size_t in_sz = s->C * s->H * s->W, out_sz = OC * ohw;
	size_t chunk = conv_chunk(s, N);
	float *col = scratch;
	float *dt = scratch + K * chunk * ohw;

	if (dbias) {
#pragma omp parallel for schedule(static)
		for (size_t oc = 0; oc < OC; oc++) {
			double acc = 0;
			for (size_t n = 0; n < N; n++) {
				const float *d = dout + n * out_sz + oc * ohw;
				for (size_t j = 0; j < ohw; j++)
					acc += d[j];
			}
			dbias[oc] += (float)acc;
		}
	}
	if (dweight == NULL && dinp == NULL)
		return;
	for (size_t n0 = 0; n0 < N; n0 += chunk) {
		size_t nc = N - n0 < chunk ? N - n0 : chunk;
		size_t cols = nc * ohw;
		const float *d;     /* [OC, cols] */
		if (nc == 1) {
			d = dout + n0 * out_sz;
		} else {
#pragma omp parallel for schedule(static)
			for (size_t oc = 0; oc < OC; oc++)
				for (size_t i = 0; i < nc; i++)
					memcpy(dt + oc * cols + i * ohw,
					    dout + (n0 + i) * out_sz + oc * ohw,
					    ohw * sizeof *dt);
			d = dt;
		}
		if (dweight) {
			for (size_t i = 0; i < nc; i++)
				im2col(col + i * ohw, cols,
				    inp + (n0 + i) * in_sz, s);
			sgemm(0, 1, OC, K, cols, 1.0f, d, cols, col, cols,
			    1.0f, dweight, K);
		}
		if (dinp) {
			/* col reused as dcol [K, cols] */
			sgemm(1, 0, K, cols, OC, 1.0f, weight, K, d, cols,
			    0.0f, col, cols);
			for (size_t i = 0; i < nc; i++)
				col2im(dinp + (n0 + i) * in_sz, col + i * ohw,
				    cols, s);
		}
	}
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

void
batchnorm_forward(float *out, float *mean, float *rstd,
    float *running_mean, float *running_var, const float *inp,
    const float *weight, const float *bias, size_t N, size_t C, size_t HW,
    float momentum, float eps)
{
	size_t cnt = N * HW;
#pragma omp parallel for schedule(static)
	for (size_t c = 0; c < C; c++) {
		double s = 0, ss = 0;
		for (size_t n = 0; n < N; n++) {
			const float *x = inp + (n * C + c) * HW;
			for (size_t j = 0; j < HW; j++)
				s += x[j];
		}
		double mu = s / (double)cnt;
		for (size_t n = 0; n < N; n++) {
			const float *x = inp + (n * C + c) * HW;
			for (size_t j = 0; j < HW; j++) {
				double d = x[j] - mu;
				ss += d * d;
			}
		}
		double var = ss / (double)cnt;
		float rs = (float)(1.0 / sqrt(var + (double)eps));
		float m = (float)mu;
		mean[c] = m;
		rstd[c] = rs;
		if (running_mean) {
			double uvar = cnt > 1 ? ss / (double)(cnt - 1) : var;
			running_mean[c] = (1.0f - momentum) * running_mean[c] +
			    momentum * m;
			running_var[c] = (1.0f - momentum) * running_var[c] +
			    momentum * (float)uvar;
		}
		float a = weight[c] * rs, b = bias[c] - m * a;
		for (size_t n = 0; n < N; n++) {
			const float *x = inp + (n * C + c) * HW;
			float *y = out + (n * C + c) * HW;
			for (size_t j = 0; j < HW; j++)
				y[j] = x[j] * a + b;
		}
	}
}

void
batchnorm_forward_eval(float *out, const float *inp,
    const float *running_mean, const float *running_var,
    const float *weight, const float *bias, size_t N, size_t C, size_t HW,
    float eps)
{
#pragma omp parallel for schedule(static)
	for (size_t c = 0; c < C; c++) {
		float rs = 1.0f / sqrtf(running_var[c] + eps);
		float a = weight[c] * rs, b = bias[c] - running_mean[c] * a;
		for (size_t n = 0; n < N; n++) {
			const float *x = inp + (n * C + c) * HW;
			float *y = out + (n * C + c) * HW;
			for (size_t j = 0; j < HW; j++)
				y[j] = x[j] * a + b;
		}
	}
}

/*
 * With xh = (x - mean) rstd, y = w xh + b, g = dL/dy:
 * dx = w rstd (g - mean(g) - xh mean(g xh)), dw = sum g xh, db = sum g.
 */
void
batchnorm_backward(float *dinp, float *dweight, float *dbias,
    const float *dout, const float *relu_out, const float *inp,
    const float *mean, const float *rstd, const float *weight, size_t N,
    size_t C, size_t HW)
{
	size_t cnt = N * HW;
#pragma omp parallel for schedule(static)
	for (size_t c = 0; c < C; c++) {
		double sg = 0, sgx = 0;
		float m = mean[c], rs = rstd[c];
		for (size_t n = 0; n < N; n++) {
			size_t o = (n * C + c) * HW;
			for (size_t j = 0; j < HW; j++) {
				float g = dout[o + j];
				if (relu_out && !(relu_out[o + j] > 0.0f))
					g = 0.0f;
				sg += g;
				sgx += (double)g * ((inp[o + j] - m) * rs);
			}
		}
		if (dbias)
			dbias[c] += (float)sg;
		if (dweight)
			dweight[c] += (float)sgx;
		if (dinp == NULL)
			continue;
		float mg = (float)(sg / (double)cnt);
		float mgx = (float)(sgx / (double)cnt);
		float k = weight[c] * rs;
		for (size_t n = 0; n < N; n++) {
			size_t o = (n * C + c) * HW;
			for (size_t j = 0; j < HW; j++) {
				float g = dout[o + j];
				if (relu_out && !(relu_out[o + j] > 0.0f))
					g = 0.0f;
				float xh = (inp[o + j] - m) * rs;
				dinp[o + j] += k * (g - mg - xh * mgx);
			}
		}
	}
}

/* ------------------------------------------------ element-wise, pooling */

void
relu_forward(float *out, const float *inp, size_t n)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void
relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		if (out[i] > 0.0f)
			dinp[i] += dout[i];
}

void
add_forward(float *out, const float *a, const float *b, size_t n)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		out[i] = a[i] + b[i];
}

void
add_backward(float *da, float *db, const float *dout, size_t n)
{
#pragma omp parallel for schedule(static)
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
#pragma omp parallel for schedule(static)
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
#pragma omp parallel for schedule(static)
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
#pragma omp parallel for schedule(static)
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
#pragma omp parallel for schedule(static)
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
