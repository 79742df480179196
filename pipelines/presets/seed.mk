# PRESET=seed: the study's exact recipe (REFERENCE.md, "Training"):
# ResNet-18 width 64, 30 epochs, batch 256, Adam 3e-4, wd 1e-6, no
# schedule, the full augmentation chain.  Long on a CPU (see README):
# it checkpoints every epoch and resumes where it stopped.
N_TRAIN    = 50000
N_TEST     = 10000
N_MNIST    = 10000
WIDTH      = 64
REP_DIM    = 128
HEAD_DIM   = 512
PROJ       = 512,512,512
EPOCHS     = 30
NB_EPOCHS  = 1
BATCH      = 256
OPTIM      = --optimizer adam --lr 3e-4
AUG_OPTS   =
TRAIN_OPTS =
PROBE_OPTS =
TSNE_OPTS  =
LAP_N      = 10000
KMEANS_OPTS =
CURVE_EPOCHS = 1 5 10 20
