# make data: the two data sets, downloaded once and checksummed.
#
# The URLs and the expected sums are variables so that a mirror works,
# e.g. in local.mk (read by the top Makefile, never committed):
#   DATA_URL_BASE = file:///srv/mirror
#   DATA_SUM = sha256sum
#   CIFAR_SUM = ...
# Defaults: the official locations and the MD5s published with the data.

DATA      ?= data
DATA_SUM  ?= md5sum
CIFAR_URL ?= https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz
CIFAR_SUM ?= c32a1d4ab5d03f1284b67883e8d87530
MNIST_URL ?= http://yann.lecun.com/exdb/mnist
MNIST_TEST_IMAGES_SUM  ?= 9fb629c4189551a2d022fa330f9573f3
MNIST_TEST_LABELS_SUM  ?= ec29112dd5afa0611ce80d1b7f02629c
MNIST_TRAIN_IMAGES_SUM ?= f68b3c2dcbeaaa9fbdd348bbdeb94873
MNIST_TRAIN_LABELS_SUM ?= d53e105ee54ea40749a09fcbcd1e9432

CIFAR_TGZ        := $(DATA)/cifar-10-binary.tar.gz
MNIST_TEST_IMG   := $(DATA)/t10k-images-idx3-ubyte.gz
MNIST_TEST_LBL   := $(DATA)/t10k-labels-idx1-ubyte.gz
MNIST_TRAIN_IMG  := $(DATA)/train-images-idx3-ubyte.gz
MNIST_TRAIN_LBL  := $(DATA)/train-labels-idx1-ubyte.gz
DATA_FILES := $(CIFAR_TGZ) $(MNIST_TEST_IMG) $(MNIST_TEST_LBL) \
    $(MNIST_TRAIN_IMG) $(MNIST_TRAIN_LBL)

FETCH = DATA_SUM='$(DATA_SUM)' scripts/fetch

data: $(DATA_FILES)

$(CIFAR_TGZ):
	@$(FETCH) '$(CIFAR_URL)' '$(CIFAR_SUM)' $@
$(MNIST_TEST_IMG):
	@$(FETCH) '$(MNIST_URL)/$(notdir $@)' '$(MNIST_TEST_IMAGES_SUM)' $@
$(MNIST_TEST_LBL):
	@$(FETCH) '$(MNIST_URL)/$(notdir $@)' '$(MNIST_TEST_LABELS_SUM)' $@
$(MNIST_TRAIN_IMG):
	@$(FETCH) '$(MNIST_URL)/$(notdir $@)' '$(MNIST_TRAIN_IMAGES_SUM)' $@
$(MNIST_TRAIN_LBL):
	@$(FETCH) '$(MNIST_URL)/$(notdir $@)' '$(MNIST_TRAIN_LABELS_SUM)' $@
