# PRESET=smoke: every target and figure in about a minute.
# A few hundred images, a tiny network, a couple of steps: the numbers
# mean nothing; the plumbing is what it checks.
N_TRAIN    = 512
N_TEST     = 256
N_MNIST    = 256
WIDTH      = 4
REP_DIM    = 32
HEAD_DIM   = 64
PROJ       = 64,64,64
EPOCHS     = 2
NB_EPOCHS  = 1
BATCH      = 64
OPTIM      = --optimizer adam --lr 1e-3
AUG_OPTS   =
TRAIN_OPTS =
PROBE_OPTS = --epochs 3
TSNE_OPTS  = --iterations 300 --perplexity 20
LAP_N      = 400
KMEANS_OPTS = --restarts 2
