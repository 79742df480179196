/*
 * model.c - the study's ResNet-18 encoder and projector (see model.h).
 *
 * Every layer is a record of offsets: into the flat parameter block
 * (weights), the buffer block (BN running statistics), the per-view
 * activation arena (saved tensors, each [max_batch, per-image]) and the
 * per-view BN statistics (batch mean, rstd).  Forward and backward walk
 * these records; the kernels are those of nn.h.
 *
 * Saved per image and view, for a block with input `in`:
 *   a1 = conv1(in), h1 = relu(bn1(a1)), a2 = conv2(h1),
 *   [d1 = dsconv(in)], out = relu(bn2(a2) + (d1 ? dsbn(d1) : in)).
 * bn outputs that are not saved are recomputed by batchnorm_backward
 * from the conv output and the saved statistics.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "dist.h"
#include "model.h"

#define NONE ((size_t)-1)
/* 4 stem + 8 blocks x 9 + 6 head + 4 x 4 projector, at most */
#define MODEL_MAX_TENSORS 128
/* convolutions: the stem, and 8 blocks of two or three */
#define MODEL_CONVS 25

struct convl {
	struct conv2d_shape s;
	size_t w, b;          /* parameter offsets (b NONE: no bias) */
	size_t ci;            /* its model's cache[ci] */
};

struct bnl {
	size_t C, HW;
	size_t w, b;          /* parameter offsets */
	size_t rm, rv;        /* buffer offsets */
	size_t st;            /* stats offset: mean [C] then rstd [C] */
};

struct linl {
	size_t IN, OUT, w, b;
};

struct block {
	struct convl c1, c2, ds;
	struct bnl b1, b2, bds;
	int has_ds;
	size_t a1, h1, a2, d1, out;   /* activation offsets */
	size_t in;                     /* activation offset of the input */
};

struct model {
	struct model_config cfg;
	size_t maxb, threads;
	int eval_only;        /* model_create_eval: no training buffers */
	size_t nparam, nenc, nbuf, nstat, nact, maxmap, nscratch, maxbn;
	size_t ntensor, tsize[MODEL_MAX_TENSORS];

	struct convl stem;
	struct bnl stem_bn;
	size_t c0, h0;
	struct block blk[8];
	size_t final_C, final_HW, gap;   /* gap output offset */
	struct linl fc, head;
	struct bnl head_bn;
	size_t f, hb, rep;
	struct linl proj[MODEL_MAX_PROJ];
	struct bnl proj_bn[MODEL_MAX_PROJ];
	size_t p[MODEL_MAX_PROJ], q[MODEL_MAX_PROJ];

	float *params, *grads, *bufs;
	float *act[2];        /* per view [nact * maxb] */
	float *stats[2];      /* per view [nstat] */
	float *g[4];          /* gradient buffers [maxmap * maxb] */
	float *dz[2];         /* [maxb, Plast] */
	float *scratch;       /* [nscratch] */
	float *post;          /* [2 maxbn]: eval-mode BN scale, shift */
	/* each convolution's transformed weights (nn.h) */
	struct conv_cache cache[MODEL_CONVS];
	const struct conv2d_shape *cshape[MODEL_CONVS];
	size_t nconv;

	/* model_create_dist with more than one process: this one's share
	 * of a batch is maxb at most, the whole batch maxg */
	int nproc;
	size_t maxg;
	float *zall[2];       /* both views' projector outputs [maxg, Plast] */
	float *dzall[2];      /* and their gradients [maxg, Plast] */
	struct bn_sync sync;  /* sum: dist_allreduce_sum_f64 */
	double *bnscratch;    /* [2 maxbn] */
};

void
model_config_default(struct model_config *c)
{
	memset(c, 0, sizeof *c);
	c->width = 64;
	c->rep_dim = 128;
	c->head_dim = 512;
	c->stem_stride = 1;
	c->stem_pad = 0;
	c->proj[0] = c->proj[1] = c->proj[2] = 512;
	c->nproj = 3;
}

int
model_config_check(const struct model_config *c, char *msg, size_t len)
{
	const char *why = NULL;
	if (c->width == 0 || c->width > 4096)
		why = "width must be 1..4096";
	else if (c->rep_dim == 0 || c->head_dim == 0)
		why = "rep_dim and head_dim must be positive";
	else if (c->stem_stride == 0 || c->stem_stride > 4)
		why = "stem stride must be 1..4";
	else if (c->stem_pad > 3)
		why = "stem padding must be 0..3";
	else if (c->nproj == 0 || c->nproj > MODEL_MAX_PROJ)
		why = "projector must have 1..4 layers";
	for (size_t i = 0; why == NULL && i < c->nproj; i++)
		if (c->proj[i] == 0)
			why = "projector widths must be positive";
	if (why == NULL) {
		struct conv2d_shape s;
		if (conv2d_shape_set(&s, 3, 32, 32, c->width, 3,
		    c->stem_stride, c->stem_pad) != 0)
			why = "stem does not fit a 32x32 image";
	}
	if (why && msg && len)
		snprintf(msg, len, "%s", why);
	return why ? -1 : 0;
}

static size_t
take(size_t *counter, size_t n)
{
	size_t o = *counter;
	*counter += n;
	return o;
}

/* a parameter tensor of n floats */
static size_t
param_make(struct model *m, size_t n)
{
	m->tsize[m->ntensor++] = n;
	return take(&m->nparam, n);
}

static void
conv_make(struct model *m, struct convl *l, size_t C, size_t H, size_t W,
    size_t OC, size_t KS, size_t stride, size_t pad, int bias)
{
	conv2d_shape_set(&l->s, C, H, W, OC, KS, stride, pad);
	l->ci = m->nconv++;
	m->cshape[l->ci] = &l->s;
	l->w = param_make(m, OC * C * KS * KS);
	l->b = bias ? param_make(m, OC) : NONE;
	size_t sc = conv2d_scratch_floats(&l->s, m->maxb, m->threads);
	if (sc > m->nscratch)
		m->nscratch = sc;
}

static void
bn_make(struct model *m, struct bnl *l, size_t C, size_t HW)
{
	l->C = C;
	l->HW = HW;
	l->w = param_make(m, C);
	l->b = param_make(m, C);
	l->rm = take(&m->nbuf, C);
	l->rv = take(&m->nbuf, C);
	l->st = take(&m->nstat, 2 * C);
	if (C > m->maxbn)
		m->maxbn = C;
}

static void
lin_make(struct model *m, struct linl *l, size_t IN, size_t OUT)
{
	l->IN = IN;
	l->OUT = OUT;
	l->w = param_make(m, OUT * IN);
	l->b = param_make(m, OUT);
}

/* an activation of n floats per image */
static size_t
act_make(struct model *m, size_t n)
{
	if (n > m->maxmap)
		m->maxmap = n;
	return take(&m->nact, n);
}

static void
model_layout(struct model *m)
{
	const struct model_config *c = &m->cfg;
	size_t w = c->width;

	conv_make(m, &m->stem, 3, 32, 32, w, 3, c->stem_stride, c->stem_pad,
	    1);
	size_t H = m->stem.s.OH, W = m->stem.s.OW;
	bn_make(m, &m->stem_bn, w, H * W);
	m->c0 = act_make(m, w * H * W);
	m->h0 = act_make(m, w * H * W);

	size_t cin = w, in = m->h0;
	for (size_t l = 0; l < 4; l++) {
		size_t C = w << l;
		for (size_t b = 0; b < 2; b++) {
			struct block *k = &m->blk[2 * l + b];
			size_t stride = (l > 0 && b == 0) ? 2 : 1;
			k->in = in;
			conv_make(m, &k->c1, cin, H, W, C, 3, stride, 1, 0);
			size_t OH = k->c1.s.OH, OW = k->c1.s.OW;
			bn_make(m, &k->b1, C, OH * OW);
			conv_make(m, &k->c2, C, OH, OW, C, 3, 1, 1, 0);
			bn_make(m, &k->b2, C, OH * OW);
			k->has_ds = stride != 1 || cin != C;
			if (k->has_ds) {
				conv_make(m, &k->ds, cin, H, W, C, 1, stride,
				    0, 0);
				bn_make(m, &k->bds, C, OH * OW);
			}
			k->a1 = act_make(m, C * OH * OW);
			k->h1 = act_make(m, C * OH * OW);
			k->a2 = act_make(m, C * OH * OW);
			k->d1 = k->has_ds ? act_make(m, C * OH * OW) : NONE;
			k->out = act_make(m, C * OH * OW);
			in = k->out;
			cin = C;
			H = OH;
			W = OW;
		}
	}
	m->final_C = cin;
	m->final_HW = H * W;
	m->gap = act_make(m, cin);
	lin_make(m, &m->fc, cin, c->head_dim);
	bn_make(m, &m->head_bn, c->head_dim, 1);
	lin_make(m, &m->head, c->head_dim, c->rep_dim);
	m->f = act_make(m, c->head_dim);
	m->hb = act_make(m, c->head_dim);
	m->rep = act_make(m, c->rep_dim);
	m->nenc = m->nparam;

	size_t pin = c->rep_dim;
	for (size_t i = 0; i < c->nproj; i++) {
		lin_make(m, &m->proj[i], pin, c->proj[i]);
		m->p[i] = act_make(m, c->proj[i]);
		if (i + 1 < c->nproj) {
			bn_make(m, &m->proj_bn[i], c->proj[i], 1);
			m->q[i] = act_make(m, c->proj[i]);
		}
		pin = c->proj[i];
	}
	size_t sc = vicreg_scratch_floats(m->maxg, pin);
	if (sc > m->nscratch)
		m->nscratch = sc;
}

static float *
falloc(size_t n)
{
	return calloc(n > 0 ? n : 1, sizeof(float));
}

static void
sum_f64(double *x, size_t n, void *ctx)
{
	(void)ctx;
	dist_allreduce_sum_f64(x, n);
}

/* nproc processes, each with its share of batches of max_batch */
static struct model *
create(const struct model_config *c, size_t max_batch, int eval_only,
    int nproc)
{
	if (model_config_check(c, NULL, 0) != 0 || max_batch < 1 ||
	    nproc < 1 || max_batch < (size_t)nproc)
		return NULL;
	struct model *m = calloc(1, sizeof *m);
	if (m == NULL)
		return NULL;
	m->cfg = *c;
	m->nproc = nproc;
	m->maxg = max_batch;
	m->maxb = (max_batch + (size_t)nproc - 1) / (size_t)nproc;
	m->threads = blas_threads();
	m->eval_only = eval_only;
	model_layout(m);
	size_t B = m->maxb, D = c->proj[c->nproj - 1];
	int ok = 1;
#define ALLOC(p, n) do { \
		(p) = falloc(n); \
		ok = ok && (p) != NULL; \
	} while (0)
	ALLOC(m->params, m->nparam);
	ALLOC(m->bufs, m->nbuf);
	ALLOC(m->scratch, m->nscratch);
	ALLOC(m->post, 2 * m->maxbn);
	ALLOC(m->act[0], m->nact * B);
	ALLOC(m->stats[0], m->nstat);
	ALLOC(m->g[0], m->maxmap * B);
	if (!eval_only) {
		ALLOC(m->grads, m->nparam);
		ALLOC(m->act[1], m->nact * B);
		ALLOC(m->stats[1], m->nstat);
		for (int v = 0; v < 2; v++)
			ALLOC(m->dz[v], B * D);
		for (int i = 1; i < 4; i++)
			ALLOC(m->g[i], m->maxmap * B);
	}
	if (nproc > 1) {
		for (int v = 0; v < 2; v++) {
			ALLOC(m->zall[v], m->maxg * D);
			ALLOC(m->dzall[v], m->maxg * D);
		}
		m->bnscratch = calloc(2 * m->maxbn, sizeof *m->bnscratch);
		ok = ok && m->bnscratch != NULL;
		m->sync.sum = sum_f64;
		m->sync.scratch = m->bnscratch;
	}
#undef ALLOC
	for (size_t i = 0; i < m->nconv; i++)
		ok = ok && conv2d_cache_init(&m->cache[i], m->cshape[i],
		    eval_only ? 1 : 2) == 0;
	if (!ok) {
		model_free(m);
		return NULL;
	}
	return m;
}

struct model *
model_create(const struct model_config *c, size_t max_batch)
{
	return create(c, max_batch, 0, 1);
}

struct model *
model_create_eval(const struct model_config *c, size_t max_batch)
{
	return create(c, max_batch, 1, 1);
}

struct model *
model_create_dist(const struct model_config *c, size_t max_batch)
{
	return create(c, max_batch, 0, dist_size());
}

void
model_free(struct model *m)
{
	if (m == NULL)
		return;
	free(m->params);
	free(m->grads);
	free(m->bufs);
	free(m->scratch);
	free(m->post);
	for (int v = 0; v < 2; v++) {
		free(m->act[v]);
		free(m->stats[v]);
		free(m->dz[v]);
		free(m->zall[v]);
		free(m->dzall[v]);
	}
	free(m->bnscratch);
	for (int i = 0; i < 4; i++)
		free(m->g[i]);
	for (size_t i = 0; i < m->nconv; i++)
		conv2d_cache_free(&m->cache[i]);
	free(m);
}

const struct model_config *
model_get_config(const struct model *m)
{
	return &m->cfg;
}

size_t model_max_batch(const struct model *m) { return m->maxg; }
size_t model_param_count(const struct model *m) { return m->nparam; }
size_t model_encoder_param_count(const struct model *m) { return m->nenc; }
size_t model_buffer_count(const struct model *m) { return m->nbuf; }
float *model_params(struct model *m) { return m->params; }

size_t
model_param_tensors(const struct model *m, const size_t **sizes)
{
	*sizes = m->tsize;
	return m->ntensor;
}
float *model_grads(struct model *m) { return m->grads; }
float *model_buffers(struct model *m) { return m->bufs; }

size_t
model_activation_floats(const struct model *m)
{
	/* both views' saved tensors + the four gradient buffers */
	if (m->eval_only)
		return m->nact + m->maxmap;
	return 2 * m->nact + 4 * m->maxmap;
}

/* ------------------------------------------------------------- init */

static void
init_bn(struct model *m, const struct bnl *l)
{
	for (size_t i = 0; i < l->C; i++) {
		m->params[l->w + i] = 1.0f;
		m->params[l->b + i] = 0.0f;
		m->bufs[l->rm + i] = 0.0f;
		m->bufs[l->rv + i] = 1.0f;
	}
}

/*
 * torchvision's ResNet initialises its convolutions with
 * kaiming_normal_(mode="fan_out", nonlinearity="relu"): N(0, 2/fan_out),
 * fan_out = OC*KS*KS (torchvision/models/resnet.py, ResNet.__init__);
 * the study's replaced stem conv and fc keep the nn.Conv2d/nn.Linear
 * defaults (nn.h: init_default_layer).
 */
static void
init_resnet_conv(struct model *m, const struct convl *l, struct rng *r)
{
	size_t fan_out = l->s.OC * l->s.KS * l->s.KS;
	init_normal(m->params + l->w, l->s.OC * l->s.C * l->s.KS * l->s.KS,
	    (float)sqrt(2.0 / (double)fan_out), r);
}

static void
init_lin(struct model *m, const struct linl *l, struct rng *r)
{
	init_default_layer(m->params + l->w, l->OUT * l->IN,
	    m->params + l->b, l->OUT, l->IN, r);
}

void
model_init(struct model *m, struct rng *r)
{
	const struct convl *s = &m->stem;
	init_default_layer(m->params + s->w,
	    s->s.OC * s->s.C * s->s.KS * s->s.KS,
	    m->params + s->b, s->s.OC, s->s.C * s->s.KS * s->s.KS, r);
	init_bn(m, &m->stem_bn);
	for (size_t i = 0; i < 8; i++) {
		struct block *k = &m->blk[i];
		init_resnet_conv(m, &k->c1, r);
		init_bn(m, &k->b1);
		init_resnet_conv(m, &k->c2, r);
		init_bn(m, &k->b2);
		if (k->has_ds) {
			init_resnet_conv(m, &k->ds, r);
			init_bn(m, &k->bds);
		}
	}
	init_lin(m, &m->fc, r);
	init_bn(m, &m->head_bn);
	init_lin(m, &m->head, r);
	for (size_t i = 0; i < m->cfg.nproj; i++) {
		init_lin(m, &m->proj[i], r);
		if (i + 1 < m->cfg.nproj)
			init_bn(m, &m->proj_bn[i]);
	}
}

/* ---------------------------------------------------------- forward */

enum { EVAL, TRAIN };

/* out = bn(inp), or relu(bn(inp) + residual) when relu is set */
static void
bn_fwd(struct model *m, int view, int mode, const struct bnl *l, float *out,
    const float *inp, const float *residual, int relu, size_t N)
{
	float *P = m->params, *Bf = m->bufs;
	if (mode == EVAL) {
		if (relu)
			batchnorm_relu_forward_eval(out, inp, residual,
			    Bf + l->rm, Bf + l->rv, P + l->w, P + l->b, N,
			    l->C, l->HW, BN_EPS);
		else
			batchnorm_forward_eval(out, inp, Bf + l->rm,
			    Bf + l->rv, P + l->w, P + l->b, N, l->C, l->HW,
			    BN_EPS);
	} else {
		float *st = m->stats[view] + l->st;
		batchnorm_train_sync(out, st, st + l->C, Bf + l->rm,
		    Bf + l->rv, inp, residual, relu, P + l->w, P + l->b, N,
		    l->C, l->HW, BN_MOMENTUM, BN_EPS,
		    m->nproc > 1 ? &m->sync : NULL);
	}
}

static void
conv_fwd(struct model *m, const struct convl *l, float *out,
    const float *inp, size_t N)
{
	conv2d_forward_cached(out, m->scratch, inp, m->params + l->w,
	    l->b == NONE ? NULL : m->params + l->b, N, &l->s, m->threads,
	    NULL, &m->cache[l->ci]);
}

static void
lin_fwd(struct model *m, const struct linl *l, float *out,
    const float *inp, size_t N)
{
	linear_forward(out, inp, m->params + l->w, m->params + l->b, N, l->IN,
	    l->OUT);
}

/*
 * out = bn(conv(inp)) (+ residual), then ReLU if relu.  Training: the
 * conv's output goes to c (kept for the backward pass), then the batch
 * norm pass.  Eval: one pass, the batch norm applied to each image's
 * output as it leaves the convolution (conv_post); c is not touched.
 */
static void
conv_bn_fwd(struct model *m, int v, int mode, const struct convl *cl,
    const struct bnl *bl, float *c, float *out, const float *inp,
    const float *residual, int relu, size_t N)
{
	if (mode == EVAL) {
		float *P = m->params, *Bf = m->bufs;
		float *sc = m->post, *sh = sc + bl->C;
		batchnorm_eval_affine(sc, sh, Bf + bl->rm, Bf + bl->rv,
		    P + bl->w, P + bl->b, bl->C, BN_EPS);
		struct conv_post p = { sc, sh, residual, relu };
		conv2d_forward_cached(out, m->scratch, inp, P + cl->w,
		    cl->b == NONE ? NULL : P + cl->b, N, &cl->s, m->threads,
		    &p, &m->cache[cl->ci]);
		return;
	}
	conv_fwd(m, cl, c, inp, N);
	bn_fwd(m, v, mode, bl, out, c, residual, relu, N);
}

/*
 * A block's h1 = relu(bn1(a1)) as conv2 reads it (nn.h: conv_pre), from
 * view v's bn1 statistics, in m->post.  In training, where conv2 can
 * (conv2d_pre_applies), h1 is never written: the forward pass and
 * conv2's weight gradient read a1 through this.
 */
static struct conv_pre
block_pre(struct model *m, int v, const struct block *k)
{
	const struct bnl *l = &k->b1;
	const float *st = m->stats[v] + l->st;
	float *sc = m->post, *sh = sc + l->C;
	batchnorm_train_affine(sc, sh, st, st + l->C, m->params + l->w,
	    m->params + l->b, l->C);
	return (struct conv_pre){ sc, sh };
}

/* pointer to activation tensor `off` of view v */
#define ACT(v, off) (m->act[v] + (off) * m->maxb)

/* Encoder forward of view v up to rep. */
static void
encoder_forward(struct model *m, int v, int mode, const float *x, size_t N)
{
	float *c0 = ACT(v, m->c0), *h0 = ACT(v, m->h0);
	conv_bn_fwd(m, v, mode, &m->stem, &m->stem_bn, c0, h0, x, NULL, 1, N);
	for (size_t i = 0; i < 8; i++) {
		struct block *k = &m->blk[i];
		const float *in = ACT(v, k->in);
		float *a1 = ACT(v, k->a1), *h1 = ACT(v, k->h1);
		float *a2 = ACT(v, k->a2), *out = ACT(v, k->out);
		const float *res = in;
		int pre = mode == TRAIN && conv2d_pre_applies(&k->c2.s);
		if (pre) {
			/* bn1's statistics; h1 is never written */
			conv_fwd(m, &k->c1, a1, in, N);
			bn_fwd(m, v, mode, &k->b1, NULL, a1, NULL, 1, N);
		} else
			conv_bn_fwd(m, v, mode, &k->c1, &k->b1, a1, h1, in,
			    NULL, 1, N);
		if (k->has_ds) {
			float *d1 = ACT(v, k->d1), *t = m->g[0];
			conv_bn_fwd(m, v, mode, &k->ds, &k->bds, d1, t, in,
			    NULL, 0, N);
			res = t;
		}
		if (pre) {
			struct conv_pre p = block_pre(m, v, k);
			const struct convl *c2 = &k->c2;
			conv2d_forward_pre(a2, m->scratch, a1, &p,
			    m->params + c2->w, c2->b == NONE ? NULL :
			    m->params + c2->b, N, &c2->s, m->threads,
			    &m->cache[c2->ci]);
			bn_fwd(m, v, mode, &k->b2, out, a2, res, 1, N);
		} else
			conv_bn_fwd(m, v, mode, &k->c2, &k->b2, a2, out, h1,
			    res, 1, N);
	}
	float *g = ACT(v, m->gap), *f = ACT(v, m->f), *hb = ACT(v, m->hb);
	gap_forward(g, ACT(v, m->blk[7].out), N, m->final_C, m->final_HW);
	lin_fwd(m, &m->fc, f, g, N);
	bn_fwd(m, v, mode, &m->head_bn, hb, f, NULL, 1, N);
	lin_fwd(m, &m->head, ACT(v, m->rep), hb, N);
}

/* Projector forward of view v; returns z [N, Plast]. */
static const float *
projector_forward(struct model *m, int v, int mode, size_t N)
{
	const float *in = ACT(v, m->rep);
	size_t k = m->cfg.nproj;
	for (size_t i = 0; i < k; i++) {
		float *p = ACT(v, m->p[i]);
		lin_fwd(m, &m->proj[i], p, in, N);
		if (i + 1 < k) {
			float *q = ACT(v, m->q[i]);
			bn_fwd(m, v, mode, &m->proj_bn[i], q, p, NULL, 1, N);
			in = q;
		} else {
			in = p;
		}
	}
	return in;
}

void
model_encode(struct model *m, const float *x, size_t N, float *rep)
{
	size_t D = m->cfg.rep_dim;
	/* more than max_batch images: in pieces (eval mode: no batch
	 * statistics, so the result is the same) */
	for (size_t n0 = 0; n0 < N; n0 += m->maxb) {
		size_t nb = N - n0 < m->maxb ? N - n0 : m->maxb;
		encoder_forward(m, 0, EVAL, x + n0 * 3 * 32 * 32, nb);
		memcpy(rep + n0 * D, ACT(0, m->rep), nb * D * sizeof *rep);
	}
}

/* --------------------------------------------------------- backward */

/* dinp is written, not added to: every caller's dinp is a fresh buffer */
static void
bn_bwd(struct model *m, int v, const struct bnl *l, float *dinp,
    const float *dout, const float *relu_out, const float *inp, size_t N)
{
	const float *st = m->stats[v] + l->st;
	batchnorm_backward_sync(dinp, m->grads + l->w, m->grads + l->b, dout,
	    relu_out, inp, st, st + l->C, m->params + l->w, N, l->C, l->HW,
	    m->nproc > 1 ? &m->sync : NULL, 0);
}

/* bn_bwd for relu(bn + residual), dres (or NULL) = the residual's
 * gradient (written) */
static void
bn_res_bwd(struct model *m, int v, const struct bnl *l, float *dinp,
    float *dres, const float *dout, const float *relu_out, const float *inp,
    size_t N)
{
	const float *st = m->stats[v] + l->st;
	batchnorm_residual_backward_sync(dinp, dres, m->grads + l->w,
	    m->grads + l->b, dout, relu_out, inp, st, st + l->C,
	    m->params + l->w, N, l->C, l->HW,
	    m->nproc > 1 ? &m->sync : NULL, 0);
}

/* bn_bwd for BN + ReLU with no residual: the mask from inp, so the
 * ReLU's output is not read */
static void
bn_relu_bwd(struct model *m, int v, const struct bnl *l, float *dinp,
    const float *dout, const float *inp, size_t N)
{
	const float *st = m->stats[v] + l->st;
	batchnorm_relu_backward_sync(dinp, m->grads + l->w, m->grads + l->b,
	    dout, inp, st, st + l->C, m->params + l->w, m->params + l->b, N,
	    l->C, l->HW, m->nproc > 1 ? &m->sync : NULL, 0);
}

/* dinp is added to if acc, else written */
static void
conv_bwd(struct model *m, const struct convl *l, float *dinp,
    const float *dout, const float *inp, size_t N, int acc)
{
	conv2d_backward_cached(dinp, m->grads + l->w,
	    l->b == NONE ? NULL : m->grads + l->b, m->scratch, dout, inp,
	    m->params + l->w, N, &l->s, m->threads, acc, &m->cache[l->ci]);
}

static void
lin_bwd(struct model *m, const struct linl *l, float *dinp,
    const float *dout, const float *inp, size_t N)
{
	linear_backward(dinp, m->grads + l->w, m->grads + l->b, dout, inp,
	    m->params + l->w, N, l->IN, l->OUT);
}

static void
zero(struct model *m, float *p, size_t n)
{
	zero_floats(p, n, m->threads);
}

/* Backward of view v (input x) from dz [N, Plast]; grads accumulate. */
static void
model_backward(struct model *m, int v, const float *x, const float *dz,
    size_t N)
{
	float *G = m->g[0], *Gn = m->g[1], *T1 = m->g[2], *T2 = m->g[3], *t;
	size_t k = m->cfg.nproj;

	memcpy(G, dz, N * m->cfg.proj[k - 1] * sizeof *G);
	for (size_t i = k; i-- > 0;) {
		const struct linl *l = &m->proj[i];
		const float *in = i ? ACT(v, m->q[i - 1]) : ACT(v, m->rep);
		zero(m, Gn, N * l->IN);
		lin_bwd(m, l, Gn, G, in, N);
		if (i) {
			bn_relu_bwd(m, v, &m->proj_bn[i - 1], G, Gn,
			    ACT(v, m->p[i - 1]), N);
		} else {
			t = G, G = Gn, Gn = t;
		}
	}
	/* G = d rep */
	zero(m, Gn, N * m->cfg.head_dim);
	lin_bwd(m, &m->head, Gn, G, ACT(v, m->hb), N);
	bn_relu_bwd(m, v, &m->head_bn, G, Gn, ACT(v, m->f), N);
	zero(m, Gn, N * m->final_C);
	lin_bwd(m, &m->fc, Gn, G, ACT(v, m->gap), N);
	zero(m, G, N * m->final_C * m->final_HW);
	gap_backward(G, Gn, N, m->final_C, m->final_HW);

	for (size_t i = 8; i-- > 0;) {
		struct block *k2 = &m->blk[i];
		const float *in = ACT(v, k2->in);
		const float *out = ACT(v, k2->out);
		/* without a shortcut conv, the block's input gets the
		 * masked G itself (written by b2's backward) + c1's */
		bn_res_bwd(m, v, &k2->b2, T1, k2->has_ds ? NULL : Gn, G, out,
		    ACT(v, k2->a2), N);
		if (conv2d_pre_applies(&k2->c2.s)) {
			const struct convl *c2 = &k2->c2;
			struct conv_pre p = block_pre(m, v, k2);
			conv2d_backward_pre(T2, m->grads + c2->w,
			    c2->b == NONE ? NULL : m->grads + c2->b,
			    m->scratch, T1, ACT(v, k2->a1), &p,
			    m->params + c2->w, N, &c2->s, m->threads, 0,
			    &m->cache[c2->ci]);
		} else
			conv_bwd(m, &k2->c2, T2, T1, ACT(v, k2->h1), N, 0);
		bn_relu_bwd(m, v, &k2->b1, T1, T2, ACT(v, k2->a1), N);
		conv_bwd(m, &k2->c1, Gn, T1, in, N, !k2->has_ds);
		if (k2->has_ds) {
			bn_bwd(m, v, &k2->bds, T2, G, out, ACT(v, k2->d1), N);
			conv_bwd(m, &k2->ds, Gn, T2, in, N, 1);
		}
		t = G, G = Gn, Gn = t;
	}
	/* G = d h0 */
	bn_relu_bwd(m, v, &m->stem_bn, T1, G, ACT(v, m->c0), N);
	conv_bwd(m, &m->stem, NULL, T1, x, N, 1);
}

float
model_vicreg_step(struct model *m, const float *x1, const float *x2,
    size_t N, const struct vicreg_params *p, float parts[3])
{
	size_t k = m->cfg.nproj, D = m->cfg.proj[k - 1];
	const float *z[2];
	if (m->eval_only || N < 2 || N > m->maxb) {
		parts[0] = parts[1] = parts[2] = NAN;
		return NAN;
	}
	encoder_forward(m, 0, TRAIN, x1, N);
	z[0] = projector_forward(m, 0, TRAIN, N);
	encoder_forward(m, 1, TRAIN, x2, N);
	z[1] = projector_forward(m, 1, TRAIN, N);
	float loss = vicreg_forward(parts, m->scratch, z[0], z[1], N, D, p);
	zero(m, m->dz[0], N * D);
	zero(m, m->dz[1], N * D);
	vicreg_backward(m->dz[0], m->dz[1], m->scratch, z[0], z[1], N, D, p);
	zero(m, m->grads, m->nparam);
	model_backward(m, 1, x2, m->dz[1], N);
	model_backward(m, 0, x1, m->dz[0], N);
	return loss;
}

float
model_vicreg_eval(struct model *m, const float *x1, const float *x2,
    size_t N, const struct vicreg_params *p, float parts[3])
{
	size_t k = m->cfg.nproj, D = m->cfg.proj[k - 1];
	const float *z[2];
	if (m->eval_only || N < 2 || N > m->maxb) {
		parts[0] = parts[1] = parts[2] = NAN;
		return NAN;
	}
	encoder_forward(m, 0, EVAL, x1, N);
	z[0] = projector_forward(m, 0, EVAL, N);
	encoder_forward(m, 1, EVAL, x2, N);
	z[1] = projector_forward(m, 1, EVAL, N);
	return vicreg_forward(parts, m->scratch, z[0], z[1], N, D, p);
}

/*
 * This process's forward of its share of both views, then the loss on
 * the whole batch (the projector outputs gathered); zall[v] + lo * D
 * are this process's rows.
 */
static float
dist_forward(struct model *m, int mode, const float *x1, const float *x2,
    size_t N, size_t lo, size_t n, const struct vicreg_params *p,
    float parts[3])
{
	size_t k = m->cfg.nproj, D = m->cfg.proj[k - 1];
	for (int v = 0; v < 2; v++) {
		encoder_forward(m, v, mode, v ? x2 : x1, n);
		const float *z = projector_forward(m, v, mode, n);
		memcpy(m->zall[v] + lo * D, z, n * D * sizeof *z);
		if (dist_allgather_rows_f32(m->zall[v], N, D) < 0) {
			parts[0] = parts[1] = parts[2] = NAN;
			return NAN;
		}
	}
	return vicreg_forward(parts, m->scratch, m->zall[0], m->zall[1], N,
	    D, p);
}

/* N pairs in the batch: this process's share, or -1 if it cannot run */
static int
dist_check(struct model *m, size_t N, size_t *lo, size_t *n, float parts[3])
{
	dist_share(N, dist_rank(), m->nproc, lo, n);
	if (m->eval_only || N < 2 || N > m->maxg || N < (size_t)m->nproc ||
	    *n > m->maxb) {
		parts[0] = parts[1] = parts[2] = NAN;
		return -1;
	}
	return 0;
}

float
model_vicreg_step_dist(struct model *m, const float *x1, const float *x2,
    size_t N, const struct vicreg_params *p, float parts[3])
{
	size_t lo, n, k = m->cfg.nproj, D = m->cfg.proj[k - 1];
	if (m->nproc == 1)
		return model_vicreg_step(m, x1, x2, N, p, parts);
	if (dist_check(m, N, &lo, &n, parts) < 0)
		return NAN;
	m->sync.total = N;
	float loss = dist_forward(m, TRAIN, x1, x2, N, lo, n, p, parts);
	if (isnan(loss) && isnan(parts[0]))
		return loss;
	/* every process has the whole loss; each back-propagates its rows */
	zero(m, m->dzall[0], N * D);
	zero(m, m->dzall[1], N * D);
	vicreg_backward(m->dzall[0], m->dzall[1], m->scratch, m->zall[0],
	    m->zall[1], N, D, p);
	zero(m, m->grads, m->nparam);
	model_backward(m, 1, x2, m->dzall[1] + lo * D, n);
	model_backward(m, 0, x1, m->dzall[0] + lo * D, n);
	dist_allreduce_sum_f32(m->grads, m->nparam);
	return loss;
}

float
model_vicreg_eval_dist(struct model *m, const float *x1, const float *x2,
    size_t N, const struct vicreg_params *p, float parts[3])
{
	size_t lo, n;
	if (m->nproc == 1)
		return model_vicreg_eval(m, x1, x2, N, p, parts);
	if (dist_check(m, N, &lo, &n, parts) < 0)
		return NAN;
	return dist_forward(m, EVAL, x1, x2, N, lo, n, p, parts);
}
