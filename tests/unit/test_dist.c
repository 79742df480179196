/*
 * test_dist.c - the batch split (dist_share), the single-process dist
 * stubs, and "sync BN" (nn.h: batchnorm_train_sync/backward_sync) with
 * a batch split between 1, 2 and 3 threads standing in for processes,
 * against the single-process layer on the whole batch.
 */
#include <pthread.h>
#include <string.h>

#include "check.h"
#include "dist.h"
#include "nn.h"
#include "rng.h"

static void
test_share(void)
{
	size_t Ns[] = { 0, 1, 2, 5, 16, 17, 255, 256, 50000,
	    (size_t)1 << 62 };
	for (size_t i = 0; i < sizeof Ns / sizeof *Ns; i++)
		for (int s = 1; s <= 8; s++) {
			size_t N = Ns[i], next = 0, lo, n, q = N / (size_t)s;
			for (int r = 0; r < s; r++) {
				dist_share(N, r, s, &lo, &n);
				CHECK(lo == next);              /* in order */
				CHECK(n == q || n == q + 1);    /* even */
				if (N < ((size_t)1 << 32))
					CHECK(lo == N * (size_t)r / (size_t)s);
				next = lo + n;
			}
			CHECK(next == N);                       /* covered */
		}
}

static void
test_stubs(void)
{
	float x[6] = { 1, 2, 3, 4, 5, 6 }, y[6];
	double d[2] = { -1.5, 2.5 };
	memcpy(y, x, sizeof x);
	CHECK(dist_init(NULL, NULL) == 1);
	CHECK(dist_size() == 1 && dist_rank() == 0);
	dist_allreduce_sum_f32(x, 6);
	dist_allreduce_sum_f64(d, 2);
	dist_allreduce_max_f64(d, 2);
	CHECK(dist_allgather_rows_f32(x, 3, 2) == 0);
	dist_barrier();
	CHECK(memcmp(x, y, sizeof x) == 0);
	CHECK(d[0] == -1.5 && d[1] == 2.5);
	dist_finalize();
}

/* ---- sync BN: threads as processes ---- */

#define NB 11    /* images in the whole batch */
#define C 5
#define HW 9
#define MAXP 3

struct world {
	int P;
	pthread_barrier_t bar;
	double *slot[MAXP];
	/* the whole batch */
	const float *inp, *res, *w, *b, *dout;
};

struct proc {
	struct world *w;
	int rank;
	size_t lo, n;
	double scratch[2 * C];
	float out[NB * C * HW], dinp[NB * C * HW];
	float mean[C], rstd[C], rm[C], rv[C], dw[C], db[C];
};

/* x = its sum over the threads, in rank order (every thread calls it) */
static void
sum_threads(double *x, size_t n, void *ctx)
{
	struct proc *p = ctx;
	struct world *w = p->w;
	double t[2 * C];
	w->slot[p->rank] = x;
	pthread_barrier_wait(&w->bar);
	for (size_t i = 0; i < n; i++) {
		t[i] = 0;
		for (int r = 0; r < w->P; r++)
			t[i] += w->slot[r][i];
	}
	pthread_barrier_wait(&w->bar);     /* all have read every slot */
	memcpy(x, t, n * sizeof *x);
}

static void *
proc_run(void *arg)
{
	struct proc *p = arg;
	struct world *w = p->w;
	struct bn_sync s = { sum_threads, p, NB, p->scratch };
	size_t o = p->lo * C * HW;
	for (size_t c = 0; c < C; c++) {
		p->rm[c] = 0.5f;
		p->rv[c] = 2.0f;
	}
	batchnorm_train_sync(p->out, p->mean, p->rstd, p->rm, p->rv,
	    w->inp + o, w->res + o, 1, w->w, w->b, p->n, C, HW, BN_MOMENTUM,
	    BN_EPS, &s);
	memset(p->dinp, 0, sizeof p->dinp);
	memset(p->dw, 0, sizeof p->dw);
	memset(p->db, 0, sizeof p->db);
	batchnorm_backward_sync(p->dinp, p->dw, p->db, w->dout + o, p->out,
	    w->inp + o, p->mean, p->rstd, w->w, p->n, C, HW, &s, 1);
	return NULL;
}

static void
test_sync_bn(void)
{
	static float inp[NB * C * HW], res[NB * C * HW], dout[NB * C * HW];
	static float out[NB * C * HW], dinp[NB * C * HW];
	float w[C], b[C], mean[C], rstd[C], rm[C], rv[C], dw[C], db[C];
	struct rng r;
	rng_seed(&r, 7);
	for (size_t i = 0; i < NB * C * HW; i++) {
		inp[i] = (float)rng_normal(&r) * 3.0f + 1.0f;
		res[i] = (float)rng_normal(&r);
		dout[i] = (float)rng_normal(&r);
	}
	for (size_t c = 0; c < C; c++) {
		w[c] = 0.5f + (float)c * 0.25f;
		b[c] = (float)c * 0.1f - 0.2f;
		rm[c] = 0.5f;
		rv[c] = 2.0f;
	}
	/* the single-process layer on the whole batch */
	batchnorm_relu_forward(out, mean, rstd, rm, rv, inp, res, w, b, NB, C,
	    HW, BN_MOMENTUM, BN_EPS);
	memset(dinp, 0, sizeof dinp);
	memset(dw, 0, sizeof dw);
	memset(db, 0, sizeof db);
	batchnorm_backward(dinp, dw, db, dout, out, inp, mean, rstd, w, NB, C,
	    HW);

	for (int P = 1; P <= MAXP; P++) {
		static struct proc ps[MAXP];
		pthread_t th[MAXP];
		struct world wd = { P, .inp = inp, .res = res, .w = w, .b = b,
		    .dout = dout };
		float gout[NB * C * HW], gdinp[NB * C * HW], sdw[C], sdb[C];
		char what[64];
		pthread_barrier_init(&wd.bar, NULL, (unsigned)P);
		for (int k = 0; k < P; k++) {
			ps[k].w = &wd;
			ps[k].rank = k;
			dist_share(NB, k, P, &ps[k].lo, &ps[k].n);
			CHECK(pthread_create(&th[k], NULL, proc_run,
			    &ps[k]) == 0);
		}
		for (int k = 0; k < P; k++)
			pthread_join(th[k], NULL);
		pthread_barrier_destroy(&wd.bar);
		memset(sdw, 0, sizeof sdw);
		memset(sdb, 0, sizeof sdb);
		for (int k = 0; k < P; k++) {
			size_t o = ps[k].lo * C * HW, len = ps[k].n * C * HW;
			memcpy(gout + o, ps[k].out, len * sizeof *gout);
			memcpy(gdinp + o, ps[k].dinp, len * sizeof *gdinp);
			for (size_t c = 0; c < C; c++) {
				sdw[c] += ps[k].dw[c];
				sdb[c] += ps[k].db[c];
			}
			/* every process has the same statistics */
			snprintf(what, sizeof what, "P=%d rank %d mean", P, k);
			check_close_f32(what, ps[k].mean, mean, C, 1e-6, 1e-5);
			snprintf(what, sizeof what, "P=%d rank %d rstd", P, k);
			check_close_f32(what, ps[k].rstd, rstd, C, 1e-6, 1e-5);
			snprintf(what, sizeof what, "P=%d rank %d running", P,
			    k);
			check_close_f32(what, ps[k].rm, rm, C, 1e-6, 1e-5);
			check_close_f32(what, ps[k].rv, rv, C, 1e-6, 1e-5);
		}
		snprintf(what, sizeof what, "P=%d out", P);
		check_close_f32(what, gout, out, NB * C * HW, 1e-6, 1e-5);
		snprintf(what, sizeof what, "P=%d dinp", P);
		check_close_f32(what, gdinp, dinp, NB * C * HW, 1e-6, 1e-5);
		snprintf(what, sizeof what, "P=%d dweight, dbias", P);
		check_close_f32(what, sdw, dw, C, 1e-5, 1e-5);
		check_close_f32(what, sdb, db, C, 1e-5, 1e-5);
		if (P == 1) {
			/* one process: the same float operations */
			CHECK(memcmp(gout, out, sizeof out) == 0);
			CHECK(memcmp(gdinp, dinp, sizeof dinp) == 0);
			CHECK(memcmp(ps[0].mean, mean, sizeof mean) == 0);
		}
	}
	/* a NULL sync is the plain layer */
	{
		static float o2[NB * C * HW];
		float m2[C], s2[C], rm2[C], rv2[C];
		for (size_t c = 0; c < C; c++) {
			rm2[c] = 0.5f;
			rv2[c] = 2.0f;
		}
		batchnorm_train_sync(o2, m2, s2, rm2, rv2, inp, res, 1, w, b,
		    NB, C, HW, BN_MOMENTUM, BN_EPS, NULL);
		CHECK(memcmp(o2, out, sizeof out) == 0);
		CHECK(memcmp(rv2, rv, sizeof rv) == 0);
	}
}

int
main(void)
{
	test_share();
	test_stubs();
	test_sync_bn();
	return check_done();
}
