/*
 * vicreg-train - train the encoder and projector with the VICReg loss on
 * a stream of augmented pairs; write a checkpoint.
 *
 * stdin: a plan int64 [4] (epochs, steps per epoch, batch, images), then
 * one float32 [B,2,3,32,32] per step (view 1, view 2 of each image).
 *
 * Built with MPI (make MPI=1) and started by mpirun, every process
 * reads the same stream on its own stdin and trains on its share of
 * each batch (model_vicreg_step_dist); process 0 writes the checkpoint
 * and the logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blas.h"
#include "ckpt.h"
#include "dist.h"
#include "model.h"
#include "nn.h"
#include "rng.h"
#include "sched.h"
#include "tool.h"

#define IMG (3 * 32 * 32)           /* floats per view */

struct opts {
	struct model_config cfg;
	struct vicreg_params loss;
	struct adam_params adam;
	enum optim_kind optim;
	struct sched sched;             /* lr, warmup; total from the plan */
	const char *out, *log, *test, *test_log;
	size_t every;                   /* checkpoint every N steps */
	int every_set;
	int keep_epochs;                /* also write FILE.eN after epoch N */
	size_t stop;                    /* --steps: 0 = the whole plan */
	size_t threads;
	uint64_t seed;
	int verbose, quiet, resume;
};

struct plan {
	size_t epochs, steps_per_epoch, batch, n;
};

/* Everything the loop works on. */
struct trainer {
	struct opts *o;
	struct plan plan;
	struct model *model;
	float *m, *v;                   /* Adam moments [P] */
	size_t P, NB;                   /* parameter and buffer counts */
	struct rng rng;
	size_t step;                    /* optimiser steps done */
	size_t saved_step;              /* step of the last checkpoint */
	float *pairs, *x1, *x2;         /* [B,2,3,32,32], [B,3,32,32] x2 */
	FILE *log, *test_log;
};

static volatile sig_atomic_t got_signal;
static int nproc = 1, rank0 = 1;    /* processes; this one is rank 0 */

static void
on_signal(int sig)
{
	got_signal = sig;
}

static void
usage(void)
{
	printf(
"usage: vicreg-train -o FILE [options] < pairs\n"
"Train a ResNet-18 encoder and projector with VICReg on a pair stream\n"
"(augment's output) and write a checkpoint.\n"
"\n"
"  -o, --output FILE        checkpoint to write (atomically)\n"
"      --resume             continue from FILE if it exists\n"
"      --checkpoint-every N also save every N steps (default: each\n"
"                           epoch; 0: only at the end)\n"
"      --keep-epochs        also keep each epoch's checkpoint as FILE.eN\n"
"      --steps N            stop after step N of the plan\n"
"architecture:\n"
"      --width W            layer1 channels (64)\n"
"      --rep-dim D          representation dimension (128)\n"
"      --head-dim H         encoder head width (512)\n"
"      --proj A,B,...       projector widths (512,512,512)\n"
"      --stem-stride S      first conv stride (1)\n"
"      --stem-pad P         first conv zero padding (0)\n"
"loss:\n"
"      --inv X --var X --cov X   term weights (25, 25, 1)\n"
"      --gamma X --eps X         std target and epsilon (1, 1e-4)\n"
"optimiser:\n"
"      --optimizer adam|adamw    (adam)\n"
"      --lr X --wd X             rate and weight decay (3e-4, 1e-6)\n"
"      --beta1 X --beta2 X       (0.9, 0.999)\n"
"      --adam-eps X              (1e-8)\n"
"      --schedule constant|cosine  (constant)\n"
"      --warmup-steps N          linear warm-up (0)\n"
"output and running:\n"
"      --log FILE           per-step CSV: step,epoch,loss,inv,var,cov,lr\n"
"      --test FILE          test pair stream, evaluated after each epoch\n"
"      --test-log FILE      per-epoch CSV: epoch,loss,inv,var,cov\n"
"      --seed S             initialisation seed (0)\n"
"      --threads N          threads (0 = all cores)\n"
"  -q, --quiet              no parameter count or progress lines\n"
"  -v, --verbose            report the BLIS set-up, memory, step times\n"
"  -h, --help               this help\n"
"      --version            version\n");
}

enum {
	OPT_RESUME = 256, OPT_EVERY, OPT_KEEP, OPT_STEPS, OPT_WIDTH, OPT_REP,
	OPT_HEAD, OPT_PROJ, OPT_STRIDE, OPT_PAD, OPT_INV, OPT_VAR, OPT_COV,
	OPT_GAMMA, OPT_EPS, OPT_OPTIM, OPT_LR, OPT_WD, OPT_BETA1, OPT_BETA2,
	OPT_ADAM_EPS, OPT_SCHED, OPT_WARMUP, OPT_LOG, OPT_TEST, OPT_TEST_LOG,
	OPT_SEED, OPT_THREADS, OPT_VERSION
};

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "checkpoint-every", required_argument, NULL, OPT_EVERY },
	{ "keep-epochs", no_argument, NULL, OPT_KEEP },
	{ "steps", required_argument, NULL, OPT_STEPS },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ "rep-dim", required_argument, NULL, OPT_REP },
	{ "head-dim", required_argument, NULL, OPT_HEAD },
	{ "proj", required_argument, NULL, OPT_PROJ },
	{ "stem-stride", required_argument, NULL, OPT_STRIDE },
	{ "stem-pad", required_argument, NULL, OPT_PAD },
	{ "inv", required_argument, NULL, OPT_INV },
	{ "var", required_argument, NULL, OPT_VAR },
	{ "cov", required_argument, NULL, OPT_COV },
	{ "gamma", required_argument, NULL, OPT_GAMMA },
	{ "eps", required_argument, NULL, OPT_EPS },
	{ "optimizer", required_argument, NULL, OPT_OPTIM },
	{ "lr", required_argument, NULL, OPT_LR },
	{ "wd", required_argument, NULL, OPT_WD },
	{ "beta1", required_argument, NULL, OPT_BETA1 },
	{ "beta2", required_argument, NULL, OPT_BETA2 },
	{ "adam-eps", required_argument, NULL, OPT_ADAM_EPS },
	{ "schedule", required_argument, NULL, OPT_SCHED },
	{ "warmup-steps", required_argument, NULL, OPT_WARMUP },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "test", required_argument, NULL, OPT_TEST },
	{ "test-log", required_argument, NULL, OPT_TEST_LOG },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* "512,512,512" -> widths; a usage error if malformed. */
static void
parse_proj(struct model_config *c, const char *arg)
{
	char *copy = xmalloc(strlen(arg) + 1), *save = NULL;
	strcpy(copy, arg);
	c->nproj = 0;
	for (char *t = strtok_r(copy, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		long long v;
		if (c->nproj == MODEL_MAX_PROJ)
			die_usage("--proj: at most %d layers", MODEL_MAX_PROJ);
		if (parse_ll(t, 1, 1 << 20, &v) < 0)
			die_usage("--proj: '%s' is not a width in [1, %d]", t,
			    1 << 20);
		c->proj[c->nproj++] = (size_t)v;
	}
	if (c->nproj == 0 || arg[strlen(arg) - 1] == ',' || arg[0] == ',' ||
	    strstr(arg, ",,") != NULL)
		die_usage("--proj: '%s' is not a list like 512,512,512", arg);
	for (size_t i = c->nproj; i < MODEL_MAX_PROJ; i++)
		c->proj[i] = 0;
	free(copy);
}

static void
parse_opts(struct opts *o, int argc, char **argv)
{
	int c;
	const size_t BIG = (size_t)1 << 40;

	memset(o, 0, sizeof *o);
	model_config_default(&o->cfg);
	vicreg_params_default(&o->loss);
	adam_params_default(&o->adam);
	o->optim = OPTIM_ADAM;
	o->sched.kind = SCHED_CONSTANT;
	o->sched.lr = o->adam.lr;
	while ((c = getopt_long(argc, argv, "o:qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case OPT_RESUME: o->resume = 1; break;
		case OPT_EVERY:
			o->every = opt_size("--checkpoint-every", optarg, 0,
			    BIG);
			o->every_set = 1;
			break;
		case OPT_KEEP: o->keep_epochs = 1; break;
		case OPT_STEPS:
			o->stop = opt_size("--steps", optarg, 1, BIG);
			break;
		case OPT_WIDTH:
			o->cfg.width = opt_size("--width", optarg, 1, 4096);
			break;
		case OPT_REP:
			o->cfg.rep_dim = opt_size("--rep-dim", optarg, 1,
			    1 << 20);
			break;
		case OPT_HEAD:
			o->cfg.head_dim = opt_size("--head-dim", optarg, 1,
			    1 << 20);
			break;
		case OPT_PROJ: parse_proj(&o->cfg, optarg); break;
		case OPT_STRIDE:
			o->cfg.stem_stride = opt_size("--stem-stride", optarg,
			    1, 8);
			break;
		case OPT_PAD:
			o->cfg.stem_pad = opt_size("--stem-pad", optarg, 0, 8);
			break;
		case OPT_INV:
			o->loss.lambda = (float)opt_double("--inv", optarg, 0,
			    1e6);
			break;
		case OPT_VAR:
			o->loss.mu = (float)opt_double("--var", optarg, 0, 1e6);
			break;
		case OPT_COV:
			o->loss.nu = (float)opt_double("--cov", optarg, 0, 1e6);
			break;
		case OPT_GAMMA:
			o->loss.gamma = (float)opt_double("--gamma", optarg, 0,
			    1e6);
			break;
		case OPT_EPS:
			o->loss.eps = (float)opt_double("--eps", optarg, 0,
			    1);
			break;
		case OPT_OPTIM:
			if (strcmp(optarg, "adam") == 0)
				o->optim = OPTIM_ADAM;
			else if (strcmp(optarg, "adamw") == 0)
				o->optim = OPTIM_ADAMW;
			else if (strcmp(optarg, "lars") == 0)
				die_usage("--optimizer: lars is not "
				    "implemented (adam or adamw)");
			else
				die_usage("--optimizer: '%s' is not adam or "
				    "adamw", optarg);
			break;
		case OPT_LR:
			o->sched.lr = opt_double("--lr", optarg, 0, 10);
			o->adam.lr = o->sched.lr;
			break;
		case OPT_WD:
			o->adam.weight_decay = opt_double("--wd", optarg,
			    0, 1);
			break;
		case OPT_BETA1:
			o->adam.beta1 = opt_double("--beta1", optarg, 0,
			    0.999999);
			break;
		case OPT_BETA2:
			o->adam.beta2 = opt_double("--beta2", optarg, 0,
			    0.999999);
			break;
		case OPT_ADAM_EPS:
			o->adam.eps = opt_double("--adam-eps", optarg,
			    1e-30, 1);
			break;
		case OPT_SCHED: {
			enum sched_kind k;
			if (sched_parse(optarg, &k) < 0)
				die_usage("--schedule: '%s' is not constant or "
				    "cosine", optarg);
			o->sched.kind = k;
			break;
		}
		case OPT_WARMUP:
			o->sched.warmup_steps = opt_size("--warmup-steps",
			    optarg, 0, BIG);
			break;
		case OPT_LOG: o->log = optarg; break;
		case OPT_TEST: o->test = optarg; break;
		case OPT_TEST_LOG: o->test_log = optarg; break;
		case OPT_SEED: o->seed = opt_u64("--seed", optarg); break;
		case OPT_THREADS:
			o->threads = opt_size("--threads", optarg, 0, 1024);
			break;
		case 'q': o->quiet = 1; break;
		case 'v': o->verbose = 1; break;
		case 'h': usage(); exit(EXIT_OK);
		case OPT_VERSION: tool_version(); exit(EXIT_OK);
		default: die_usage("bad option");
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (o->out == NULL)
		die_usage("-o FILE is required");
	if ((o->test == NULL) != (o->test_log == NULL))
		die_usage("--test and --test-log go together");
	if (o->test != NULL && strcmp(o->test, "-") == 0)
		die_usage("--test: must be a file (it is read every epoch)");
	char msg[256];
	if (model_config_check(&o->cfg, msg, sizeof msg) < 0)
		die_usage("%s", msg);
}

/* ---- the stream ---- */

/* The plan array, first on the stream: int64 [4]. */
static void
read_plan(struct npy_reader *r, struct plan *p)
{
	char got[96];
	int rc = npy_next(r);
	if (rc < 0)
		die("%s", r->err);
	if (rc == 0)
		die("%s: empty stream (expected the plan, int64 [4], then "
		    "the pairs)", r->name);
	if (r->h.dtype != NPY_I64 || r->h.ndim != 1 || r->h.shape[0] != 4)
		die("%s: expected the plan, int64 [4], first; got %s", r->name,
		    npy_header_str(&r->h, got, sizeof got));
	int64_t v[4];
	stream_read_rows(r, v, 4);
	if (v[0] < 1 || v[1] < 1 || v[2] < 2 || v[3] < 2)
		die("%s: bad plan (%lld epochs, %lld steps per epoch, batch "
		    "%lld, %lld images): each must be >= 1, batch and images "
		    ">= 2", r->name, (long long)v[0], (long long)v[1],
		    (long long)v[2], (long long)v[3]);
	if (v[0] > ((int64_t)1 << 32) || v[1] > ((int64_t)1 << 32) ||
	    v[2] > ((int64_t)1 << 20))
		die("%s: bad plan: implausibly large", r->name);
	p->epochs = (size_t)v[0];
	p->steps_per_epoch = (size_t)v[1];
	p->batch = (size_t)v[2];
	p->n = (size_t)v[3];
}

/*
 * Start the next step's array and check its shape.  Returns the batch
 * size, 0 at the end of the stream, or -1 with a message in msg.
 */
static long
next_pairs(struct npy_reader *r, size_t batch, char *msg, size_t len)
{
	char got[96];
	int rc = npy_next(r);
	if (rc <= 0) {
		if (rc < 0)
			snprintf(msg, len, "%s", r->err);
		return rc;
	}
	const struct npy_header *h = &r->h;
	if (h->dtype != NPY_F32 || h->ndim != 5 || h->shape[1] != 2 ||
	    h->shape[2] != 3 || h->shape[3] != 32 || h->shape[4] != 32) {
		snprintf(msg, len, "%s: array %d: expected pairs float32 "
		    "[B,2,3,32,32], got %s", r->name, r->index,
		    npy_header_str(h, got, sizeof got));
		return -1;
	}
	if (h->shape[0] < 2 || h->shape[0] > batch) {
		snprintf(msg, len, "%s: array %d: batch of %zu pairs, the "
		    "plan allows 2 to %zu", r->name, r->index, h->shape[0],
		    batch);
		return -1;
	}
	return (long)h->shape[0];
}

/*
 * Read B pairs and split this process's share of them (all of them
 * with one process) into the two views; -1 on bad data.
 */
static int
read_views(struct npy_reader *r, float *pairs, float *x1, float *x2,
    size_t B, char *msg, size_t len)
{
	size_t lo, n;
	if (npy_read_rows(r, pairs, B) < 0) {
		snprintf(msg, len, "%s", r->err);
		return -1;
	}
	for (size_t i = 0; i < 2 * B * IMG; i++)
		if (!isfinite(pairs[i])) {
			snprintf(msg, len, "%s: array %d: NaN or Inf in pair "
			    "%zu", r->name, r->index, i / (2 * IMG));
			return -1;
		}
	dist_share(B, dist_rank(), nproc, &lo, &n);
	for (size_t b = 0; b < n; b++) {
		memcpy(x1 + b * IMG, pairs + (2 * (lo + b)) * IMG,
		    IMG * sizeof *x1);
		memcpy(x2 + b * IMG, pairs + (2 * (lo + b) + 1) * IMG,
		    IMG * sizeof *x2);
	}
	return 0;
}

/* ---- checkpoints ---- */

static void
info_fill(struct ckpt_info *in, const struct trainer *t)
{
	const struct opts *o = t->o;
	memset(in, 0, sizeof *in);
	in->width = o->cfg.width;
	in->rep_dim = o->cfg.rep_dim;
	in->head_dim = o->cfg.head_dim;
	in->stem_stride = o->cfg.stem_stride;
	in->stem_pad = o->cfg.stem_pad;
	in->nproj = o->cfg.nproj;
	for (size_t i = 0; i < o->cfg.nproj; i++)
		in->proj[i] = o->cfg.proj[i];
	in->inv_weight = o->loss.lambda;
	in->var_weight = o->loss.mu;
	in->cov_weight = o->loss.nu;
	in->gamma = o->loss.gamma;
	in->eps = o->loss.eps;
	in->optimizer = o->optim == OPTIM_ADAMW ? CKPT_ADAMW : CKPT_ADAM;
	in->lr = o->sched.lr;
	in->weight_decay = o->adam.weight_decay;
	in->beta1 = o->adam.beta1;
	in->beta2 = o->adam.beta2;
	in->adam_eps = o->adam.eps;
	in->schedule = o->sched.kind == SCHED_COSINE ? CKPT_COSINE :
	    CKPT_CONSTANT;
	in->warmup_steps = o->sched.warmup_steps;
	in->total_steps = o->sched.total_steps;
	in->seed = o->seed;
	in->plan[0] = t->plan.epochs;
	in->plan[1] = t->plan.steps_per_epoch;
	in->plan[2] = t->plan.batch;
	in->plan[3] = t->plan.n;
	in->n_params = t->P;
	in->n_buffers = t->NB;
	in->n_moments = 2;
	in->step = t->step;
	in->epoch = t->step / t->plan.steps_per_epoch;
	in->rng = t->rng;
}

/* Only process 0 writes (the others hold the same floats). */
static void
save_as(struct trainer *t, const char *path)
{
	struct ckpt_info in;
	char err[CKPT_ERR_LEN];
	if (!rank0)
		return;
	info_fill(&in, t);
	if (ckpt_save(path, &in, model_params(t->model),
	    model_buffers(t->model), t->m, t->v, err, sizeof err) < 0)
		die("%s", err);
}

static void
save(struct trainer *t)
{
	save_as(t, t->o->out);
	t->saved_step = t->step;
}

/* --keep-epochs: a copy of the checkpoint after epoch N as FILE.eN. */
static void
save_epoch(struct trainer *t, size_t epoch)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof path, "%s.e%zu", t->o->out,
	    epoch) >= sizeof path)
		die("%s: file name too long", t->o->out);
	save_as(t, path);
}

/* Save if anything changed since the last save, then die. */
static void
save_and_die(struct trainer *t, const char *msg)
{
	if (t->step > t->saved_step) {
		save(t);
		if (rank0)
			warnx("saved %s at step %zu", t->o->out, t->step);
	}
	die("%s", msg);
}

/*
 * The same when every process stops together (say: this one prints
 * msg): all wait until process 0 has saved and everyone has spoken,
 * since mpirun ends the job when the first one exits.
 */
static void
stop_all(struct trainer *t, const char *msg, int say)
{
	if (t->step > t->saved_step) {
		save(t);
		if (rank0)
			warnx("saved %s at step %zu", t->o->out, t->step);
	}
	if (say)
		warnx("%s", msg);
	fflush(stderr);
	/* a clean MPI exit: mpirun then waits for every process and
	 * forwards all their messages (an exit without it may drop the
	 * message of the process whose read failed) */
	dist_barrier();
	dist_finalize();
	exit(EXIT_DATA);
}

/*
 * With several processes, before a step: each reports how its read
 * went (status 0 ok, 1 a signal, 2 an error), its batch size and a
 * checksum of the pairs.  Returns the worst status, or 3 if the
 * processes read different batches; *sig is the largest signal number
 * any of them got.  With one process: status, got_signal.
 */
static int
agree(int status, long B, const float *pairs, int *sig)
{
	*sig = got_signal;
	if (nproc == 1)
		return status;
	double sum = 0;
	if (status == 0)
		for (size_t i = 0; i < 2 * (size_t)B * IMG; i++)
			sum += pairs[i];
	double v[6] = { status, (double)B, -(double)B, sum, -sum, *sig };
	dist_allreduce_max_f64(v, 6);
	*sig = (int)v[5];
	if (v[0] > 0)
		return (int)v[0];
	return v[1] != -v[2] || v[3] != -v[4] ? 3 : 0;
}

static void
warn_differs(const char *what, double file, double given)
{
	if (rank0 && (float)file != (float)given)
		warnx("resuming with %s %g (the checkpoint was trained with "
		    "%g)", what, given, file);
}

/* --resume: load the checkpoint if it exists.  Returns 1 if loaded. */
static int
resume(struct trainer *t)
{
	struct ckpt_reader r;
	struct ckpt_info want;
	char msg[256];
	const char *path = t->o->out;

	if (access(path, F_OK) != 0) {
		if (errno != ENOENT)
			die_errno("%s", path);
		return 0;
	}
	if (ckpt_open(&r, path) < 0)
		die("%s", r.err);
	info_fill(&want, t);
	const struct ckpt_info *in = &r.info;
	if (ckpt_arch_compare(in, &want, msg, sizeof msg) < 0)
		die("%s: architecture differs from the options: %s", path, msg);
	if (memcmp(in->plan, want.plan, sizeof want.plan) != 0)
		die("%s: trained on a plan of %llu epochs x %llu steps, batch "
		    "%llu, %llu images; stdin has %zu x %zu, batch %zu, %zu",
		    path, (unsigned long long)in->plan[0],
		    (unsigned long long)in->plan[1],
		    (unsigned long long)in->plan[2],
		    (unsigned long long)in->plan[3], t->plan.epochs,
		    t->plan.steps_per_epoch, t->plan.batch, t->plan.n);
	if (in->n_params != t->P || in->n_buffers != t->NB)
		die("%s: corrupt checkpoint (%llu parameters and %llu buffers, "
		    "the architecture has %zu and %zu)", path,
		    (unsigned long long)in->n_params,
		    (unsigned long long)in->n_buffers, t->P, t->NB);
	if (in->n_moments != 2)
		die("%s: has no optimiser state to resume from", path);
	if (in->step > t->plan.epochs * t->plan.steps_per_epoch)
		die("%s: corrupt checkpoint (step %llu beyond the plan)", path,
		    (unsigned long long)in->step);
	if (ckpt_read(&r, model_params(t->model), model_buffers(t->model),
	    t->m, t->v) < 0)
		die("%s", r.err);
	ckpt_close(&r);
	warn_differs("--inv", in->inv_weight, want.inv_weight);
	warn_differs("--var", in->var_weight, want.var_weight);
	warn_differs("--cov", in->cov_weight, want.cov_weight);
	warn_differs("--gamma", in->gamma, want.gamma);
	warn_differs("--eps", in->eps, want.eps);
	warn_differs("--lr", in->lr, want.lr);
	warn_differs("--wd", in->weight_decay, want.weight_decay);
	warn_differs("--beta1", in->beta1, want.beta1);
	warn_differs("--beta2", in->beta2, want.beta2);
	warn_differs("--adam-eps", in->adam_eps, want.adam_eps);
	warn_differs("--warmup-steps", (double)in->warmup_steps,
	    (double)want.warmup_steps);
	if (rank0 && in->optimizer != want.optimizer)
		warnx("resuming with --optimizer %s (the checkpoint used %s)",
		    ckpt_optimizer_name(want.optimizer),
		    ckpt_optimizer_name(in->optimizer));
	if (rank0 && in->schedule != want.schedule)
		warnx("resuming with --schedule %s (the checkpoint used %s)",
		    ckpt_schedule_name(want.schedule),
		    ckpt_schedule_name(in->schedule));
	t->rng = in->rng;
	t->step = t->saved_step = in->step;
	return 1;
}

/* Fail early, before any training, if -o cannot be written. */
static void
check_writable(const char *path)
{
	size_t len = strlen(path) + 5;
	char *tmp = xmalloc(len);
	struct stat st;
	/* saving renames FILE.tmp over FILE: never over a device */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		die("%s: not a regular file", path);
	snprintf(tmp, len, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT, 0666);
	if (fd < 0)
		die_errno("%s", tmp);
	close(fd);
	unlink(tmp);
	free(tmp);
}

/* ---- logs ---- */

/*
 * Open a CSV log.  On resume keep the header and the rows whose first
 * column is <= keep (rows past the checkpoint are redone); otherwise
 * start afresh.
 */
static FILE *
log_open(const char *path, const char *header, int resuming, size_t keep)
{
	FILE *fp;
	if (resuming && (fp = fopen(path, "r")) != NULL) {
		char line[512];
		size_t len = strlen(path) + 5;
		char *tmp = xmalloc(len);
		snprintf(tmp, len, "%s.tmp", path);
		FILE *out = fopen(tmp, "w");
		if (out == NULL)
			die_errno("%s", tmp);
		fprintf(out, "%s\n", header);
		while (fgets(line, sizeof line, fp) != NULL) {
			char *end;
			unsigned long long k = strtoull(line, &end, 10);
			if (end != line && *end == ',' && k <= keep)
				fputs(line, out);
		}
		if (ferror(fp))
			die_errno("%s", path);
		fclose(fp);
		if (fclose(out) != 0)
			die_errno("%s", tmp);
		if (rename(tmp, path) < 0)
			die_errno("%s", path);
		free(tmp);
		fp = fopen(path, "a");
		if (fp == NULL)
			die_errno("%s", path);
		return fp;
	}
	fp = fopen(path, "w");
	if (fp == NULL)
		die_errno("%s", path);
	fprintf(fp, "%s\n", header);
	if (fflush(fp) != 0)
		die_errno("%s", path);
	return fp;
}

static void
log_close(FILE *fp, const char *path)
{
	if (fp != NULL && (fflush(fp) != 0 || ferror(fp) || fclose(fp) != 0))
		die_errno("%s", path);
}

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the test set ---- */

/* Largest batch of the test stream's plan (checked again per batch). */
static size_t
test_batch(const char *path)
{
	FILE *fp = xfopen(path, "rb");
	struct npy_reader r;
	struct plan p;
	npy_reader_init(&r, fp, path);
	read_plan(&r, &p);
	fclose(fp);
	return p.batch;
}

/* Mean over the test stream's batches of the eval-mode loss and parts. */
static void
test_eval(struct trainer *t, size_t epoch)
{
	const struct opts *o = t->o;
	FILE *fp = xfopen(o->test, "rb");
	struct npy_reader r;
	struct plan p;
	char msg[512];
	double sum[4] = { 0, 0, 0, 0 };
	size_t batches = 0;
	long B;

	double t0 = now();
	npy_reader_init(&r, fp, o->test);
	read_plan(&r, &p);
	while ((B = next_pairs(&r, model_max_batch(t->model), msg,
	    sizeof msg)) > 0) {
		float parts[3];
		if (read_views(&r, t->pairs, t->x1, t->x2, (size_t)B, msg,
		    sizeof msg) < 0)
			save_and_die(t, msg);
		if (B < nproc) {
			snprintf(msg, sizeof msg, "%s: array %d: batch of %ld "
			    "pairs for %d processes (each needs one)", o->test,
			    r.index, B, nproc);
			save_and_die(t, msg);
		}
		float loss = model_vicreg_eval_dist(t->model, t->x1, t->x2,
		    (size_t)B, &o->loss, parts);
		sum[0] += loss;
		for (int k = 0; k < 3; k++)
			sum[k + 1] += parts[k];
		batches++;
	}
	if (B < 0)
		save_and_die(t, msg);
	fclose(fp);
	if (batches == 0) {
		snprintf(msg, sizeof msg, "%s: no pairs after the plan",
		    o->test);
		save_and_die(t, msg);
	}
	if (t->test_log == NULL)        /* not process 0 */
		return;
	fprintf(t->test_log, "%zu,%.9g,%.9g,%.9g,%.9g\n", epoch,
	    sum[0] / (double)batches, sum[1] / (double)batches,
	    sum[2] / (double)batches, sum[3] / (double)batches);
	if (fflush(t->test_log) != 0)
		die_errno("%s", o->test_log);
	if (!o->quiet)
		fprintf(stderr, "%s%s: epoch %zu: test loss %.4f (%zu batches, "
		    "%.1f s)\n", isatty(STDERR_FILENO) ? "\r\033[K" : "",
		    progname, epoch, sum[0] / (double)batches, batches,
		    now() - t0);
}

/* ---- progress ---- */

/* "1,234,567" */
static const char *
commas(char *buf, size_t len, size_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%zu", v);
	size_t o = 0;
	for (int i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

static void
progress(const struct trainer *t, size_t total, size_t stop, float loss,
    double images, double secs, int final)
{
	static double last = -1;
	double tnow = now();
	if (t->o->quiet || (!final && last >= 0 && tnow - last < 1.0))
		return;
	last = tnow;
	double rate = secs > 0 ? images / secs : 0;
	double per_step = t->step > 0 && images > 0 ? secs / images *
	    (double)t->plan.batch : 0;
	double eta = per_step * (double)(stop > t->step ? stop - t->step : 0);
	int tty = isatty(STDERR_FILENO);
	fprintf(stderr, "%s%s: step %zu/%zu epoch %zu/%zu loss %.4f "
	    "%.1f img/s ETA %dh%02dm%02ds%s", tty ? "\r" : "", progname,
	    t->step, total, t->step / t->plan.steps_per_epoch +
	    (t->step % t->plan.steps_per_epoch != 0),
	    t->plan.epochs, loss, rate, (int)(eta / 3600),
	    (int)fmod(eta / 60, 60), (int)fmod(eta, 60),
	    tty && !final ? "" : "\n");
	fflush(stderr);
}

/* --resume: read past the batches the checkpoint has already seen. */
static void
skip_done(struct trainer *t, struct npy_reader *in)
{
	char msg[512];
	for (size_t s = 0; s < t->step; s++) {
		long B = next_pairs(in, t->plan.batch, msg, sizeof msg);
		if (B > 0 && npy_read_rows(in, t->pairs, (size_t)B) == 0)
			continue;
		if (B > 0)
			snprintf(msg, sizeof msg, "%s", in->err);
		if (got_signal)
			exit(128 + got_signal);
		if (B == 0)
			snprintf(msg, sizeof msg, "stdin: stream ended at step "
			    "%zu, before the %zu steps %s has done", s, t->step,
			    t->o->out);
		die("%s", msg);
	}
}

/*
 * One optimiser step on the views in t->x1, t->x2 (B pairs): forward,
 * backward, update, log line.  Returns the loss.
 */
static float
train_step(struct trainer *t, size_t B)
{
	const struct opts *o = t->o;
	float parts[3];
	double ts = now();
	struct adam_params ap = o->adam;
	double lr = sched_lr(&o->sched, t->step);
	ap.lr = lr;
	float loss = model_vicreg_step_dist(t->model, t->x1, t->x2, B,
	    &o->loss, parts);
	if (!isfinite(loss)) {
		if (t->saved_step > 0)
			die("loss is %s at step %zu; %s keeps step %zu",
			    isnan(loss) ? "NaN" : "Inf", t->step + 1, o->out,
			    t->saved_step);
		die("loss is %s at step %zu; no checkpoint written",
		    isnan(loss) ? "NaN" : "Inf", t->step + 1);
	}
	optim_step(o->optim, model_params(t->model), t->m, t->v,
	    model_grads(t->model), t->P, &ap, t->step + 1);
	t->step++;
	if (o->verbose)
		fprintf(stderr, "%s: step %zu: %zu pairs in %.3f s\n",
		    progname, t->step, B, now() - ts);
	if (t->log != NULL) {
		fprintf(t->log, "%zu,%zu,%.9g,%.9g,%.9g,%.9g,%.9g\n", t->step,
		    (t->step - 1) / t->plan.steps_per_epoch + 1, loss,
		    parts[0], parts[1], parts[2], lr);
		if (fflush(t->log) != 0)
			die_errno("%s", o->log);
	}
	return loss;
}

/* ---- main ---- */

int
main(int argc, char **argv)
{
	struct opts o;
	struct trainer t;
	struct npy_reader in;
	char msg[512], a[32], b[32];

	tool_init("vicreg-train");
	parse_opts(&o, argc, argv);
	nproc = dist_init(&argc, &argv);
	rank0 = dist_rank() == 0;
	if (!rank0) {                   /* process 0 reports */
		o.quiet = 1;
		o.verbose = 0;
	}
	memset(&t, 0, sizeof t);
	t.o = &o;
	if (rank0)
		check_writable(o.out);
	blas_init(o.threads, o.verbose);

	npy_reader_init(&in, stdin, "stdin");
	read_plan(&in, &t.plan);
	size_t total = t.plan.epochs * t.plan.steps_per_epoch;
	size_t stop = o.stop && o.stop < total ? o.stop : total;
	size_t every = o.every_set ? o.every : t.plan.steps_per_epoch;
	o.sched.total_steps = total;

	size_t max_batch = t.plan.batch;
	if (o.test != NULL) {
		size_t tb = test_batch(o.test);
		if (tb > max_batch)
			max_batch = tb;
	}
	if (max_batch < (size_t)nproc)
		die("stdin: batch of %zu pairs for %d processes (each needs "
		    "one)", max_batch, nproc);
	t.model = model_create_dist(&o.cfg, max_batch);
	if (t.model == NULL)
		die("out of memory for the model (batch %zu)", max_batch);
	t.P = model_param_count(t.model);
	t.NB = model_buffer_count(t.model);
	t.m = xcalloc(t.P, sizeof *t.m);
	t.v = xcalloc(t.P, sizeof *t.v);
	t.pairs = xmalloc_array(max_batch * 2 * IMG, sizeof *t.pairs);
	t.x1 = xmalloc_array(max_batch * IMG, sizeof *t.x1);
	t.x2 = xmalloc_array(max_batch * IMG, sizeof *t.x2);

	rng_seed(&t.rng, o.seed);
	model_init(t.model, &t.rng);
	int resumed = o.resume && resume(&t);
	size_t enc = model_encoder_param_count(t.model);
	if (!o.quiet)
		fprintf(stderr, "%s: encoder %s + projector %s parameters\n",
		    progname, commas(a, sizeof a, enc), commas(b, sizeof b, t.P - enc));
	if (o.verbose)
		/* model_activation_floats counts both views already */
		fprintf(stderr, "%s: %zu activation floats per image: %.0f MB "
		    "for 2 views of batch %zu\n", progname,
		    model_activation_floats(t.model),
		    4.0 * (double)max_batch *
		    (double)model_activation_floats(t.model) / 1e6, max_batch);
	if (nproc > 1 && !o.quiet)
		fprintf(stderr, "%s: %d processes, batch %zu: %zu to %zu pairs "
		    "each\n", progname, nproc, t.plan.batch,
		    t.plan.batch / (size_t)nproc,
		    (t.plan.batch + (size_t)nproc - 1) / (size_t)nproc);
	if (resumed && !o.quiet)
		fprintf(stderr, "%s: resuming %s at step %zu of %zu\n",
		    progname, o.out, t.step, total);

	if (o.log != NULL && rank0)
		t.log = log_open(o.log, "step,epoch,loss,inv,var,cov,lr",
		    resumed, t.step);
	if (o.test_log != NULL && rank0)
		t.test_log = log_open(o.test_log, "epoch,loss,inv,var,cov",
		    resumed, t.step / t.plan.steps_per_epoch);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);     /* no SA_RESTART: reads stop */
	sigaction(SIGTERM, &sa, NULL);

	skip_done(&t, &in);

	double t0 = now(), images = 0;
	float loss = NAN;
	int sig = 0;
	while (t.step < stop) {
		long B = next_pairs(&in, t.plan.batch, msg, sizeof msg);
		int st = got_signal ? 1 : B <= 0 ? 2 : 0;
		if (B == 0)
			snprintf(msg, sizeof msg, "stdin: stream ended after "
			    "%zu of %zu steps", t.step, total);
		if (st == 0 && read_views(&in, t.pairs, t.x1, t.x2, (size_t)B,
		    msg, sizeof msg) < 0)
			st = got_signal ? 1 : 2;
		int mine = st;
		st = agree(st, B, t.pairs, &sig);
		if (st == 1)
			break;
		int say = mine == 2 || rank0;
		if (st == 2 && mine != 2)
			snprintf(msg, sizeof msg, "step %zu: another process "
			    "could not read its stream", t.step + 1);
		if (st == 3)
			snprintf(msg, sizeof msg, "step %zu: the processes "
			    "read different pairs (each must run the same "
			    "augment, same seed, on the same images)",
			    t.step + 1);
		if (st == 0 && B < nproc) {
			snprintf(msg, sizeof msg, "stdin: array %d: batch of "
			    "%ld pairs for %d processes (each needs one)",
			    in.index, B, nproc);
			st = 2;
			say = rank0;
		}
		if (st != 0)
			stop_all(&t, msg, say);
		loss = train_step(&t, (size_t)B);
		images += (double)B;
		progress(&t, total, stop, loss, images, now() - t0, 0);
		int epoch_end = t.step % t.plan.steps_per_epoch == 0;
		if (epoch_end && o.test_log != NULL)
			test_eval(&t, t.step / t.plan.steps_per_epoch);
		if (epoch_end && o.keep_epochs)
			save_epoch(&t, t.step / t.plan.steps_per_epoch);
		if (every != 0 && t.step % every == 0 && t.step < stop)
			save(&t);
		/* several processes stop together at the next agree() */
		if (nproc == 1 && (sig = got_signal) != 0)
			break;
	}
	if (nproc == 1)
		sig = got_signal;
	else if (sig == 0 && t.step == stop)
		agree(0, 0, NULL, &sig);   /* a signal during the last step */
	if (sig != 0) {
		if (t.step > t.saved_step)
			save(&t);
		dist_barrier();
		if (rank0)
			warnx("%s: saved %s at step %zu", strsignal(sig),
			    o.out, t.step);
		dist_finalize();
		exit(128 + sig);
	}
	if (stop == total) {
		int st = npy_expect_end(&in) < 0 ? 2 : 0, mine = st;
		snprintf(msg, sizeof msg, "%s", in.err);
		st = agree(st, 0, NULL, &sig);
		if (st != 0 && mine == 0)
			snprintf(msg, sizeof msg, "another process's stream "
			    "did not end after step %zu", total);
		if (st != 0)
			stop_all(&t, msg, mine != 0 || rank0);
	}
	save(&t);
	if (images > 0)
		progress(&t, total, stop, loss, images, now() - t0,
		    1);
	log_close(t.log, o.log);
	log_close(t.test_log, o.test_log);
	model_free(t.model);
	free(t.m);
	free(t.v);
	free(t.pairs);
	free(t.x1);
	free(t.x2);
	dist_finalize();
	return EXIT_OK;
}
