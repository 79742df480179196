# PRESET=default: the full data on a 2-core machine, the whole
# `make report` within about 3 hours.  Departures from the study's
# recipe (seed.mk) are listed in doc/recipe.md with their reasons.
N_TRAIN    = 50000
N_TEST     = 10000
N_MNIST    = 10000
WIDTH      = 16
REP_DIM    = 128
HEAD_DIM   = 512
PROJ       = 512,512,512
EPOCHS     = 28
NB_EPOCHS  = 1
BATCH      = 128
OPTIM      = --optimizer adam --lr 3e-3 --schedule constant --warmup-steps 391
AUG_OPTS   = --no-blur
TRAIN_OPTS =
PROBE_OPTS =
TSNE_OPTS  =
LAP_N      = 50000
KMEANS_OPTS =
CURVE_EPOCHS = 1 3 5 8 12 16 20 24
