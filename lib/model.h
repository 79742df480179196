/*
 * model.h - the study's encoder (a CIFAR ResNet-18) and projector, with
 * one VICReg training step (forward + backward) and eval-mode encoding.
 *
 * Encoder (torchvision ResNet-18, BasicBlock [2,2,2,2], widths
 * w,2w,4w,8w) with the study's changes:
 *   conv1 3x3 stride s (1) padding p (0) with bias -> BN2d -> ReLU,
 *   no max-pool, layer1..layer4, global average pool,
 *   fc Linear(8w, H) -> BN1d(H) -> ReLU -> Linear(H, D)  => rep [N,D].
 * Projector: Linear(D,P0) -> BN1d -> ReLU -> Linear(P0,P1) -> BN1d ->
 *   ReLU -> ... -> Linear(P[k-2],P[k-1])   (no BN/ReLU after the last).
 * The study: w 64, H 512, D 128, P = {512,512,512}: 11,498,240 encoder
 * and 593,408 projector parameters.
 *
 * Parameters live in one flat float block, in the order of PyTorch's
 * named_parameters() for the modules written in
 * tests/reference/gen_nn.py, which is:
 *   conv1.weight [w,3,3,3], conv1.bias [w], bn1.weight, bn1.bias,
 *   for layer l = 1..4, block b = 0..1:
 *     conv1.weight [C,Cin,3,3], bn1.weight, bn1.bias,
 *     conv2.weight [C,C,3,3],  bn2.weight, bn2.bias,
 *     (first block of layers 2..4) downsample conv [C,Cin,1,1],
 *     downsample bn weight, bias,
 *   fc.weight [H,8w], fc.bias [H], head bn.weight [H], bn.bias [H],
 *   head linear.weight [D,H], linear.bias [D],
 *   projector: for each layer i: linear.weight [P_i,P_{i-1}],
 *     linear.bias [P_i], then (except after the last) bn.weight, bn.bias.
 * Gradients have the same layout.  Buffers (BN running statistics) are
 * one flat block: for each BN in the same order, running_mean [C] then
 * running_var [C] (num_batches_tracked is not kept: with momentum 0.1
 * it is never used).
 *
 * Training: model_vicreg_step() writes gradients into model_grads();
 * the caller then runs adam_update() from nn.h over model_params(),
 * model_grads() and its own moment arrays of model_param_count() floats.
 *
 * Memory: model_create() allocates the saved activations of both views
 * (kept for the backward pass) and four gradient buffers for max_batch
 * images: model_activation_floats() per image, 2.35 M floats (9.4 MB)
 * at the study's configuration, i.e. 2.4 GB for batch 256 per view,
 * plus parameters, gradients (46 MB each) and im2col scratch (about
 * 80 MB at batch 256 on 2 threads).
 */
#ifndef MODEL_H
#define MODEL_H

#include <stddef.h>

#include "nn.h"
#include "rng.h"

#define MODEL_MAX_PROJ 4

struct model_config {
	size_t width;        /* w: channels of layer1 (64) */
	size_t rep_dim;      /* D: representation dimension (128) */
	size_t head_dim;     /* H: fc output / head BN width (512) */
	size_t stem_stride;  /* conv1 stride (1; 2 is a CPU-speed option) */
	size_t stem_pad;     /* conv1 zero padding (0) */
	size_t proj[MODEL_MAX_PROJ];   /* projector layer widths */
	size_t nproj;        /* number of projector Linear layers (3) */
};

/* The study's configuration. */
void model_config_default(struct model_config *c);
/* 0 if the configuration is usable, -1 otherwise (msg says why). */
int model_config_check(const struct model_config *c, char *msg, size_t len);

struct model;

/*
 * NULL on out of memory or a bad configuration.  Call blas_init()
 * first: the convolutions use blas_threads() threads (scratch is sized
 * for them here).  Results do not depend on the thread count except
 * through BLIS in the linear layers and the loss.
 */
struct model *model_create(const struct model_config *c, size_t max_batch);
/*
 * The same for model_encode() only: no gradients, no second view, one
 * gradient-sized buffer; model_activation_floats() is then about half
 * (1.1 M floats, 4.5 MB per image at the study's configuration).
 * model_grads() is NULL; model_vicreg_step/eval return NaN.
 */
struct model *model_create_eval(const struct model_config *c,
    size_t max_batch);
void model_free(struct model *m);
const struct model_config *model_get_config(const struct model *m);
size_t model_max_batch(const struct model *m);   /* as created */

size_t model_param_count(const struct model *m);          /* enc + proj */
size_t model_encoder_param_count(const struct model *m);  /* first ones */
size_t model_buffer_count(const struct model *m);
size_t model_activation_floats(const struct model *m);    /* per image */
/* The parameter tensors' sizes, in the flat order: returns their
 * number and points *sizes at an internal array. */
size_t model_param_tensors(const struct model *m, const size_t **sizes);
float *model_params(struct model *m);    /* [model_param_count] */
float *model_grads(struct model *m);     /* [model_param_count] */
float *model_buffers(struct model *m);   /* [model_buffer_count] */

/*
 * The study's model as PyTorch builds it, drawn in parameter order:
 * the block and downsample convs as torchvision's ResNet re-initialises
 * them, N(0, 2 / fan_out) (kaiming_normal_, mode fan_out, relu); the
 * stem conv and every Linear (replaced or added by the study) with the
 * nn.Conv2d / nn.Linear defaults (nn.h: init_default_layer); BN weight
 * 1, bias 0, running mean 0, running var 1.
 */
void model_init(struct model *m, struct rng *r);

/*
 * Eval-mode encoder (BN with running statistics):
 * x [N,3,32,32] normalised images -> rep [N,D]; any N (in pieces of
 * max_batch).
 */
void model_encode(struct model *m, const float *x, size_t N, float *rep);

/*
 * One training step's forward and backward: each view goes through
 * encoder and projector separately (BN batch statistics per view, as
 * the study), then the VICReg loss.  Gradients are written (not
 * accumulated) into model_grads(); BN running statistics are updated
 * (view 1 then view 2, as two PyTorch forward calls would).
 * x1, x2 [N,3,32,32]; 2 <= N <= max_batch.  Returns the loss and
 * parts[3] = inv, var, cov (NaN for an N out of range or an
 * eval-only model).
 */
float model_vicreg_step(struct model *m, const float *x1, const float *x2,
    size_t N, const struct vicreg_params *p, float parts[3]);

/*
 * Test loss as the study computed it: model.eval() then the loss, i.e.
 * BN uses running statistics (nothing is updated, no gradients).
 * 2 <= N <= max_batch.
 */
float model_vicreg_eval(struct model *m, const float *x1, const float *x2,
    size_t N, const struct vicreg_params *p, float parts[3]);

/*
 * Data-parallel training over dist_size() processes (lib/dist.h; all
 * of them make the same calls).  model_create_dist: batches of up to
 * max_batch pairs (at least dist_size()), of which each process holds
 * its dist_share, so activations are allocated for
 * ceil(max_batch / dist_size()) images; the loss works on the whole
 * batch (two [max_batch, Plast] gathers and gradients more).
 *
 * model_vicreg_step_dist: x1, x2 hold this process's share of a batch
 * of N pairs.  The result is model_vicreg_step's on the whole batch
 * up to float summation order: every batch norm uses the statistics
 * of the whole batch (nn.h: struct bn_sync; two sums per layer forward,
 * one backward), the projector outputs of all processes are gathered
 * so that each computes the same loss and its gradient, back-propagates
 * its own rows, and the parameter gradients are summed over processes.
 * Parameters, buffers and the returned loss are then the same in every
 * process.  model_vicreg_eval_dist: the same for the test loss (no
 * batch statistics; only the gather).  With one process these are
 * model_create, model_vicreg_step and model_vicreg_eval.  NaN if
 * N < dist_size().
 */
struct model *model_create_dist(const struct model_config *c,
    size_t max_batch);
float model_vicreg_step_dist(struct model *m, const float *x1,
    const float *x2, size_t N, const struct vicreg_params *p,
    float parts[3]);
float model_vicreg_eval_dist(struct model *m, const float *x1,
    const float *x2, size_t N, const struct vicreg_params *p,
    float parts[3]);

#endif
