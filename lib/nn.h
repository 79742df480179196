/*
 * nn.h - neural-network layers as forward/backward pairs (llm.c style).
 *
 * Argument order: outputs first, then saved activations, inputs,
 * parameters, dimensions last.  The caller owns every buffer; kernels
 * never allocate (scratch is passed in) and keep no hidden state.
 *
 * Gradient convention: every backward ACCUMULATES (+=) into all of its
 * gradient outputs (dinp, dweight, dbias), as llm.c does; the caller
 * zeroes them first when it wants a plain result.  A NULL gradient
 * output is skipped.  Activations are NCHW float32.
 */
#ifndef NN_H
#define NN_H

#include <stddef.h>

#include "rng.h"

/* ---- conv2d: square kernel, any stride and zero padding ---- */

struct conv2d_shape {
	size_t C, H, W;       /* input channels and size */
	size_t OC;            /* output channels */
	size_t KS;            /* kernel size (KS x KS) */
	size_t stride, pad;
	size_t OH, OW;        /* filled by conv2d_shape_set */
};

/* Fills OH, OW; returns -1 if the kernel does not fit. */
int conv2d_shape_set(struct conv2d_shape *s, size_t C, size_t H, size_t W,
    size_t OC, size_t KS, size_t stride, size_t pad);
/*
 * Floats of scratch conv2d_forward/backward need for a batch of N on
 * `threads` threads (0 counts as 1).
 */
size_t conv2d_scratch_floats(const struct conv2d_shape *s, size_t N,
    size_t threads);

/*
 * out [N,OC,OH,OW] = inp [N,C,H,W] (*) weight [OC,C,KS,KS] + bias [OC]
 * (bias may be NULL).  Images go in chunks (of at least 2048 output
 * pixels, at least 4 chunks when N allows), one chunk per thread:
 * im2col, then one single-threaded GEMM; images of 256 or more output
 * pixels go band of output rows by band (im2col kept in L2), GEMM
 * straight into out.  scratch [conv2d_scratch_floats(s, N, threads)].
 * The result does not depend on the thread count.
 */
void conv2d_forward(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads);
/*
 * What follows a convolution in eval mode (batch norm with running
 * statistics folded to a per-channel scale and shift, the residual, the
 * ReLU), applied to each image's output by conv2d_forward_post right
 * after the image is computed, while it is still in cache:
 * y = x scale[oc] + shift[oc] (+ residual), then max(y, 0) if relu.
 * The same bytes as conv2d_forward then batchnorm_relu_forward_eval.
 */
struct conv_post {
	const float *scale, *shift;   /* [OC] */
	const float *residual;        /* [N,OC,OH,OW] or NULL */
	int relu;
};
void conv2d_forward_post(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post);
/* image n's output y [OC, ohw] in place (post may be NULL: nothing) */
void conv_post_image(float *y, size_t n, size_t OC, size_t ohw,
    const struct conv_post *post);
/*
 * dinp [N,C,H,W] +=, dweight [OC,C,KS,KS] +=, dbias [OC] += (each may be
 * NULL) from dout [N,OC,OH,OW], inp [N,C,H,W], weight.  For stride 1,
 * KS = 2 pad + 1 and C = OC, dinp is computed as the convolution of
 * dout with the flipped kernel (no col2im).  3x3 stride-1 convolutions
 * use conv_wino.h or conv3x3.h per part where those are faster (both
 * forward and backward); results never depend on the thread count.
 */
void conv2d_backward(float *dinp, float *dweight, float *dbias,
    float *scratch, const float *dout, const float *inp,
    const float *weight, size_t N, const struct conv2d_shape *s,
    size_t threads);
/* The same with dinp written, not added to (no need to zero it first). */
void conv2d_backward_set(float *dinp, float *dweight, float *dbias,
    float *scratch, const float *dout, const float *inp,
    const float *weight, size_t N, const struct conv2d_shape *s,
    size_t threads);
/*
 * A layer's weights as its convolution transforms them (conv_wcb.c's U
 * for the forward pass and for the input gradient, conv_s2c.c's
 * panels for both), kept between calls:
 * a call takes them when its weights are byte for byte those they were
 * made from (the two views of a training step, the batches of an
 * encoding), else makes them again.  conv2d_cache_init allocates for
 * shape s, the forward pass and (parts 2) the input gradient (no memory
 * where no path keeps any; -1: out of memory); zeroed, it keeps none.
 * The results are the same bytes as without a cache.
 */
struct conv_cache {
	float *u[2];      /* [0] forward, [1] input gradient */
	float *w[2];      /* the weights u[i] was made from */
	int valid[2];
};
int conv2d_cache_init(struct conv_cache *c, const struct conv2d_shape *s,
    int parts);
void conv2d_cache_free(struct conv_cache *c);
/*
 * For the paths that keep weights (conv_wcb.c, conv_s2c.c): where part
 * i of the weights' transform goes, c->u[i], or scratch if c is NULL
 * or keeps no part i.  *make is 0 if c->u[i] was made from these nw
 * weights, byte for byte; else 1 (the weights are noted as the
 * part's), and the caller makes the transform there.
 */
float *conv_cache_take(struct conv_cache *c, int i, float *scratch,
    const float *weight, size_t nw, int *make);
/* conv2d_forward_post and conv2d_backward (acc 1) or conv2d_backward_set
 * (acc 0) with a cache (may be NULL) */
void conv2d_forward_cached(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post, struct conv_cache *cache);
void conv2d_backward_cached(float *dinp, float *dweight, float *dbias,
    float *scratch, const float *dout, const float *inp,
    const float *weight, size_t N, const struct conv2d_shape *s,
    size_t threads, int acc, struct conv_cache *cache);
/*
 * A convolution whose input is relu(x scale[c] + shift[c]) (a batch
 * norm and ReLU of x: batchnorm_train_affine), applied as x is read:
 * the same bytes as the convolution of that tensor written out by
 * batchnorm_relu_forward, which need not be, forward or backward.
 * Where conv2d_pre_applies(s) (conv_wcb.c does the forward pass and
 * the weight gradient); the input gradient is the plain one.
 */
struct conv_pre {
	const float *scale, *shift;   /* [C] */
};
int conv2d_pre_applies(const struct conv2d_shape *s);
void conv2d_forward_pre(float *out, float *scratch, const float *x,
    const struct conv_pre *pre, const float *weight, const float *bias,
    size_t N, const struct conv2d_shape *s, size_t threads,
    struct conv_cache *cache);
void conv2d_backward_pre(float *dinp, float *dweight, float *dbias,
    float *scratch, const float *dout, const float *x,
    const struct conv_pre *pre, const float *weight, size_t N,
    const struct conv2d_shape *s, size_t threads, int acc,
    struct conv_cache *cache);
/* Plain loops, no scratch: the reference twins for tests. */
void conv2d_forward_ref(float *out, const float *inp, const float *weight,
    const float *bias, size_t N, const struct conv2d_shape *s);
void conv2d_backward_ref(float *dinp, float *dweight, float *dbias,
    const float *dout, const float *inp, const float *weight, size_t N,
    const struct conv2d_shape *s);

/* ---- batch norm over N and HW per channel (HW = 1 for BatchNorm1d) ---- */

#define BN_EPS 1e-5f
#define BN_MOMENTUM 0.1f

/*
 * Training mode: normalise with the batch mean and biased variance,
 * saving mean [C] and rstd [C] = 1/sqrt(var + eps); update
 * running_mean/var [C] (may be NULL) with momentum as PyTorch:
 * r = (1 - momentum) r + momentum * stat, the variance unbiased
 * (N*HW / (N*HW - 1)).  out may equal inp.  inp, out [N,C,HW].
 */
void batchnorm_forward(float *out, float *mean, float *rstd,
    float *running_mean, float *running_var, const float *inp,
    const float *weight, const float *bias, size_t N, size_t C, size_t HW,
    float momentum, float eps);
/*
 * The same fused with what follows BN in a ResNet:
 * out = relu(bn(inp) + residual), residual [N,C,HW] or NULL.
 */
void batchnorm_relu_forward(float *out, float *mean, float *rstd,
    float *running_mean, float *running_var, const float *inp,
    const float *residual, const float *weight, const float *bias,
    size_t N, size_t C, size_t HW, float momentum, float eps);
/* Eval mode: running statistics.  out may equal inp. */
void batchnorm_forward_eval(float *out, const float *inp,
    const float *running_mean, const float *running_var,
    const float *weight, const float *bias, size_t N, size_t C, size_t HW,
    float eps);
void batchnorm_relu_forward_eval(float *out, const float *inp,
    const float *residual, const float *running_mean,
    const float *running_var, const float *weight, const float *bias,
    size_t N, size_t C, size_t HW, float eps);
/* scale [C], shift [C]: the training-mode batch norm of a forward pass
 * (its mean and rstd) as y = x scale + shift, the operations it applied */
void batchnorm_train_affine(float *scale, float *shift, const float *mean,
    const float *rstd, const float *weight, const float *bias, size_t C);
/* scale [C], shift [C]: eval-mode batch norm as y = x scale + shift */
void batchnorm_eval_affine(float *scale, float *shift,
    const float *running_mean, const float *running_var,
    const float *weight, const float *bias, size_t C, float eps);
/*
 * Training-mode backward.  When relu_out is not NULL the layer is
 * BN followed by ReLU, relu_out [N,C,HW] its output, and dout is the
 * gradient after the ReLU (the mask relu_out > 0 is applied here).
 * dinp [N,C,HW] +=, dweight [C] +=, dbias [C] +=.  dinp must not alias
 * dout.
 */
void batchnorm_backward(float *dinp, float *dweight, float *dbias,
    const float *dout, const float *relu_out, const float *inp,
    const float *mean, const float *rstd, const float *weight, size_t N,
    size_t C, size_t HW);

/*
 * "Sync BN" for data-parallel training: the batch is split between
 * processes, each passes its own N images, and the statistics are
 * those of the whole batch.  sum(x, n, ctx) must replace x [n] by its
 * element-wise sum over all processes (every process calls the layer
 * at the same point); total is the number of images in the whole
 * batch; scratch [2C] doubles.  The forward sums sum x, then
 * sum (x - mean)^2; the backward sums sum g and sum g xh (only if dinp
 * is not NULL) and adds this process's own sums to dweight, dbias.
 * A NULL sync is the single-process layer above.  The backward adds to
 * dinp if acc, else writes it (no need to clear it first).
 */
struct bn_sync {
	void (*sum)(double *x, size_t n, void *ctx);
	void *ctx;
	size_t total;
	double *scratch;
};
/* batchnorm_forward (relu 0, residual NULL) or batchnorm_relu_forward;
 * out NULL: the statistics alone (mean, rstd, the running ones) */
void batchnorm_train_sync(float *out, float *mean, float *rstd,
    float *running_mean, float *running_var, const float *inp,
    const float *residual, int relu, const float *weight,
    const float *bias, size_t N, size_t C, size_t HW, float momentum,
    float eps, const struct bn_sync *sync);
void batchnorm_backward_sync(float *dinp, float *dweight, float *dbias,
    const float *dout, const float *relu_out, const float *inp,
    const float *mean, const float *rstd, const float *weight, size_t N,
    size_t C, size_t HW, const struct bn_sync *sync, int acc);
/*
 * The same for out = relu(bn(inp) + residual), relu_out = out, that
 * also writes the residual's gradient: dres [N,C,HW] = dout masked by
 * relu_out > 0 (written, not added; the caller adds the rest of that
 * input's gradient to it), the mask read once for both.
 */
void batchnorm_residual_backward_sync(float *dinp, float *dres,
    float *dweight, float *dbias, const float *dout, const float *relu_out,
    const float *inp, const float *mean, const float *rstd,
    const float *weight, size_t N, size_t C, size_t HW,
    const struct bn_sync *sync, int acc);
/*
 * The same for BN followed by ReLU with no residual, without reading
 * the ReLU's output: its mask is recomputed from inp as the forward
 * pass computed it (inp scale + shift > 0, scale and shift from mean,
 * rstd, weight and bias), the same mask, so the same result as
 * batchnorm_backward_sync with relu_out.
 */
void batchnorm_relu_backward_sync(float *dinp, float *dweight, float *dbias,
    const float *dout, const float *inp, const float *mean,
    const float *rstd, const float *weight, const float *bias, size_t N,
    size_t C, size_t HW, const struct bn_sync *sync, int acc);

/* ---- element-wise, pooling, linear ---- */

/* p [n] = 0, the memset split among `threads` threads (0 counts as 1)
 * when n is large: a memset is bound by a core's memory bandwidth, and
 * each core has its own L2 */
void zero_floats(float *p, size_t n, size_t threads);
void relu_forward(float *out, const float *inp, size_t n);  /* may alias */
/* dinp += dout * (out > 0) */
void relu_backward(float *dinp, const float *dout, const float *out,
    size_t n);
void add_forward(float *out, const float *a, const float *b, size_t n);
/* da += dout, db += dout */
void add_backward(float *da, float *db, const float *dout, size_t n);

/* out [N,C] = mean over HW of inp [N,C,HW] */
void gap_forward(float *out, const float *inp, size_t N, size_t C,
    size_t HW);
/* dinp [N,C,HW] += dout [N,C] / HW */
void gap_backward(float *dinp, const float *dout, size_t N, size_t C,
    size_t HW);

/* out [N,OUT] = inp [N,IN] weight^T + bias; weight [OUT,IN] (PyTorch),
 * bias [OUT] or NULL. */
void linear_forward(float *out, const float *inp, const float *weight,
    const float *bias, size_t N, size_t IN, size_t OUT);
/* dinp [N,IN] +=, dweight [OUT,IN] +=, dbias [OUT] += (each may be NULL) */
void linear_backward(float *dinp, float *dweight, float *dbias,
    const float *dout, const float *inp, const float *weight, size_t N,
    size_t IN, size_t OUT);

/* ---- VICReg loss ---- */

struct vicreg_params {
	float lambda, mu, nu;   /* inv, var, cov weights (25, 25, 1) */
	float gamma, eps;       /* std target (1) and eps (1e-4) */
};
void vicreg_params_default(struct vicreg_params *p);

/* Floats of scratch for the loss on [N,D]: N D + D D + D. */
size_t vicreg_scratch_floats(size_t N, size_t D);
/*
 * z1, z2 [N,D], N >= 2.  inv = mean (z1 - z2)^2 over N*D; var = sum
 * over both branches of mean_j max(0, gamma - sqrt(var_j + eps)) with
 * the unbiased variance; cov = sum over both branches of the squared
 * off-diagonal entries of the unbiased covariance, / D.  Returns
 * lambda inv + mu var + nu cov and parts[3] = inv, var, cov.
 */
float vicreg_forward(float parts[3], float *scratch, const float *z1,
    const float *z2, size_t N, size_t D, const struct vicreg_params *p);
/* dz1, dz2 [N,D] += the gradient of the loss (scale 1). */
void vicreg_backward(float *dz1, float *dz2, float *scratch,
    const float *z1, const float *z2, size_t N, size_t D,
    const struct vicreg_params *p);

/* ---- Adam (torch.optim.Adam semantics, weight decay as L2) ---- */

struct adam_params {
	double lr, beta1, beta2, eps, weight_decay;   /* as Python floats */
};
/* The study's: lr 3e-4, betas (0.9, 0.999), eps 1e-8, wd 1e-6. */
void adam_params_default(struct adam_params *a);
/*
 * One step t (1, 2, ...) over n floats: g' = g + wd p;
 * m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
 * p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
 * m, v start at zero.
 */
void adam_update(float *param, float *m, float *v, const float *grad,
    size_t n, const struct adam_params *a, size_t t);

/* ---- initialisation (PyTorch defaults), drawn in index order ---- */

/* U(-bound, bound) */
void init_uniform(float *x, size_t n, float bound, struct rng *r);
/* N(0, std^2) */
void init_normal(float *x, size_t n, float std, struct rng *r);
/*
 * nn.Conv2d / nn.Linear default: weight kaiming_uniform_(a = sqrt(5)),
 * i.e. bound = gain sqrt(3 / fan_in) with gain = sqrt(2 / (1 + 5)),
 * = 1 / sqrt(fan_in); bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
 * (torch/nn/modules/conv.py, linear.py: reset_parameters.)
 */
void init_default_layer(float *weight, size_t nweight, float *bias,
    size_t nbias, size_t fan_in, struct rng *r);

#endif
