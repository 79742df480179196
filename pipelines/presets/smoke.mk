# PRESET=smoke: every target and figure in a minute or two.
# 2,000 train images, a width-8 network, two epochs: the numbers mean
# little (the base model's probe lands near 20 %, above the 10 % of
# chance); the plumbing is what it checks.
N_TRAIN    = 2000
N_TEST     = 1000
N_MNIST    = 500
WIDTH      = 8
REP_DIM    = 32
HEAD_DIM   = 64
PROJ       = 64,64,64
EPOCHS     = 2
NB_EPOCHS  = 1
BATCH      = 128
OPTIM      = --optimizer adam --lr 1e-3
AUG_OPTS   =
TRAIN_OPTS =
PROBE_OPTS =
TSNE_OPTS  = --iterations 300
LAP_N      = 500
KMEANS_OPTS = --restarts 2
CURVE_EPOCHS = 1
