# The study as pipelines: one target per experiment (doc/design.md).
#
#   make vicreg | ablation-novar | ablation-neighbors | laplacian |
#        retrieval | anomaly | clustering | report | recipe  [PRESET=smoke]
#
# Every intermediate result is a file under $(O) (out/PRESET), written
# to FILE.tmp and renamed when complete, so make rebuilds only what
# changed, an interrupted run resumes, and -j2 runs branches side by
# side.  Training checkpoints as it goes and resumes (--resume).

PRESET  ?= default
include pipelines/presets/$(PRESET).mk
O       ?= out/$(PRESET)
REPORT_DIR ?= report
THREADS ?= 2
SEED    ?= 1
B_      := bin

# Several tools run at once in a pipe (augment | vicreg-train) and under
# -j2: idle OpenMP threads should sleep rather than spin on the cores
# the other tools need.  But first spin a few microseconds: a training
# step runs hundreds of parallel regions back to back, and waking a
# sleeping thread for each cost a two-thread width-16 step 12 % (0.303
# against 0.266 s, bench/model.sh with and without GOMP_SPINCOUNT).
OMP_WAIT_POLICY ?= passive
GOMP_SPINCOUNT ?= 10000
export OMP_WAIT_POLICY GOMP_SPINCOUNT

SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -ec

# $(call step) ... $(done): time a recipe into $(O)/times.tsv and move
# the finished $@.tmp into place.
step = @mkdir -p $(@D); t0=$$(date +%s.%N); echo "== $@" >&2;
done = ; mv -f $@.tmp $@; awk -v a=$$t0 -v b=$$(date +%s.%N) -v t='$@' \
	'BEGIN { printf "%s\t%.1f\n", t, b - a }' >> $(O)/times.tsv

STUDY_TOOLS := $(addprefix bin/,cifar-decode mnist-decode tensor augment \
	vicreg-train encode pca tsne knn-graph laplacian kmeans silhouette \
	linprobe roc plot)

ARCH = --width $(WIDTH) --rep-dim $(REP_DIM) --head-dim $(HEAD_DIM) \
	--proj $(PROJ)

.PHONY: vicreg ablation-novar ablation-neighbors laplacian retrieval \
	anomaly clustering curve report results recipe study-clean
.DELETE_ON_ERROR:
.SECONDARY:

# --- data as streams --------------------------------------------------

$(O)/train.npy: $(CIFAR_TGZ) | $(STUDY_TOOLS)
	$(step) bin/cifar-decode --split train --limit $(N_TRAIN) $< > $@.tmp $(done)
$(O)/test.npy: $(CIFAR_TGZ) | $(STUDY_TOOLS)
	$(step) bin/cifar-decode --split test --limit $(N_TEST) $< > $@.tmp $(done)
$(O)/mnist.npy: $(MNIST_TEST_IMG) $(MNIST_TEST_LBL) | $(STUDY_TOOLS)
	$(step) bin/mnist-decode --limit $(N_MNIST) $(MNIST_TEST_IMG) $(MNIST_TEST_LBL) > $@.tmp $(done)
$(O)/classes.txt: $(CIFAR_TGZ) | $(STUDY_TOOLS)
	$(step) bin/cifar-decode --classes $< > $@.tmp $(done)
$(O)/%-labels.npy: $(O)/%.npy
	$(step) bin/tensor pick 1 < $< > $@.tmp $(done)
# The study's test loss: two augmented views of every test image, once.
$(O)/test-pairs.npy: $(O)/test.npy
	$(step) bin/augment --epochs 1 --batch $(BATCH) --seed 1000 $(AUG_OPTS) \
	    --threads $(THREADS) < $< > $@.tmp $(done)

# --- training: $(call model,NAME,EXTRA-OPTIONS,INPUT-PIPE) --------------
# The working checkpoint is NAME/train.ckpt (resumed after a kill); the
# target NAME/model.ckpt appears only when training has finished.

define model
$(O)/$(1)/model.ckpt: $(O)/train.npy $(O)/test-pairs.npy $(3)
	$$(step) $(4) | bin/vicreg-train $(ARCH) $(OPTIM) $(TRAIN_OPTS) $(2) \
	    --seed $(SEED) --threads $(THREADS) --resume -o $(O)/$(1)/train.ckpt \
	    --log $(O)/$(1)/loss.csv --test $(O)/test-pairs.npy \
	    --test-log $(O)/$(1)/test-loss.csv; \
	    cp $(O)/$(1)/train.ckpt $$@.tmp $$(done)
endef

AUGMENT = bin/augment --epochs $(EPOCHS) --batch $(BATCH) --seed $(SEED) \
	$(AUG_OPTS) --threads $(THREADS) < $(O)/train.npy
$(eval $(call model,vicreg,--keep-epochs,,$(AUGMENT)))
$(eval $(call model,novar,--var 0,,$(AUGMENT)))
# The neighbour ablation: pairs (image, one of its 3 nearest neighbours
# in the base model's representation space, self excluded), no
# augmentation, a fresh model, NB_EPOCHS epochs.
$(eval $(call model,neighbors,,$(O)/vicreg/knn3.npy,bin/augment --pairs \
	$(O)/vicreg/knn3.npy --epochs $(NB_EPOCHS) --batch $(BATCH) \
	--seed $(SEED) < $(O)/train.npy))

$(O)/vicreg/knn3.npy: $(O)/vicreg/train-rep.npy
	$(step) bin/tensor pick 0 < $< | bin/knn-graph -k 3 --threads $(THREADS) \
	    | bin/tensor pick 0 > $@.tmp $(done)

# --- representations and their analyses, per model ----------------------

$(O)/%/train-rep.npy: $(O)/%/model.ckpt $(O)/train.npy
	$(step) bin/encode -m $< --threads $(THREADS) < $(O)/train.npy | bin/tensor pick 0 > $@.tmp $(done)
$(O)/%/test-rep.npy: $(O)/%/model.ckpt $(O)/test.npy
	$(step) bin/encode -m $< --threads $(THREADS) < $(O)/test.npy | bin/tensor pick 0 > $@.tmp $(done)
$(O)/%/mnist-rep.npy: $(O)/%/model.ckpt $(O)/mnist.npy
	$(step) bin/encode -m $< --threads $(THREADS) < $(O)/mnist.npy | bin/tensor pick 0 > $@.tmp $(done)

$(O)/%/probe.txt: $(O)/%/train-rep.npy $(O)/%/test-rep.npy $(O)/train-labels.npy $(O)/test-labels.npy $(O)/classes.txt
	$(step) bin/tensor cat $(O)/$*/train-rep.npy $(O)/train-labels.npy > $(O)/$*/probe-train.npy; \
	    bin/tensor cat $(O)/$*/test-rep.npy $(O)/test-labels.npy > $(O)/$*/probe-test.npy; \
	    bin/linprobe $(PROBE_OPTS) --seed $(SEED) --threads $(THREADS) \
	    --classes $(O)/classes.txt --metrics $(O)/$*/probe.tsv \
	    $(O)/$*/probe-train.npy $(O)/$*/probe-test.npy > $@.tmp; \
	    rm -f $(O)/$*/probe-train.npy $(O)/$*/probe-test.npy $(done)

$(O)/%/pca.npy: $(O)/%/train-rep.npy
	$(step) bin/pca -d 2 --explained $(O)/$*/pca-explained.npy < $< > $@.tmp $(done)
$(O)/%/tsne.npy: $(O)/%/train-rep.npy
	$(step) bin/tsne $(TSNE_OPTS) --seed $(SEED) --threads $(THREADS) \
	    --metrics $(O)/$*/tsne.tsv < $< > $@.tmp $(done)

SCATTER = bin/plot scatter --classes $(O)/classes.txt
$(O)/%/pca.png: $(O)/%/pca.npy $(O)/train-labels.npy $(O)/classes.txt
	$(step) bin/tensor cat $< $(O)/train-labels.npy | $(SCATTER) \
	    --title "PCA of the train representations ($*)" -o $@.tmp $(done)
$(O)/%/tsne.png: $(O)/%/tsne.npy $(O)/train-labels.npy $(O)/classes.txt
	$(step) bin/tensor cat $< $(O)/train-labels.npy | $(SCATTER) \
	    --title "t-SNE of the train representations ($*)" -o $@.tmp $(done)
$(O)/%/pca-tsne.png: $(O)/%/pca.png $(O)/%/tsne.png
	$(step) bin/plot panels --cols 2 -o $@.tmp $^ $(done)

$(O)/%/loss.png: $(O)/%/model.ckpt
	$(step) bin/plot lines --csv $(O)/$*/loss.csv --x step --y loss --smooth 20 \
	    --title "Training loss ($*)" --xlabel step --ylabel loss -o $@.tmp $(done)
$(O)/%/loss-parts.png: $(O)/%/model.ckpt
	$(step) bin/plot lines --csv $(O)/$*/loss.csv --x step --y inv,var,cov --smooth 20 \
	    --logy --title "Training loss parts ($*)" --xlabel step -o $@.tmp $(done)
$(O)/%/test-loss.png: $(O)/%/model.ckpt
	$(step) bin/plot lines --csv $(O)/$*/test-loss.csv --x epoch --y loss,inv,var,cov \
	    --logy --title "Test loss per epoch ($*)" --xlabel epoch -o $@.tmp $(done)

# Results are named explicitly (not left as make's "intermediate" files),
# so removing one makes `make` redo it and what depends on it, no more.
MODEL_FILES = model.ckpt train-rep.npy test-rep.npy pca.npy tsne.npy \
	loss.png loss-parts.png test-loss.png pca.png tsne.png pca-tsne.png probe.txt
vicreg: $(addprefix $(O)/vicreg/,$(MODEL_FILES))
ablation-novar: $(addprefix $(O)/novar/,$(MODEL_FILES))
ablation-neighbors: $(addprefix $(O)/neighbors/,model.ckpt train-rep.npy \
	test-rep.npy loss.png probe.txt) $(O)/vicreg/knn3.npy

# --- Laplacian eigenmaps of pixels (no amortisation) --------------------

$(O)/laplacian/pixels.npy: $(O)/train.npy
	$(step) bin/tensor pick 0 < $< | bin/tensor take 0:$(LAP_N) \
	    | bin/tensor cast --dtype float32 --scale 0.00392156862745098 \
	    --reshape $(LAP_N),3072 > $@.tmp $(done)
$(O)/laplacian/labels.npy: $(O)/train-labels.npy
	$(step) bin/tensor take 0:$(LAP_N) < $< > $@.tmp $(done)
$(O)/laplacian/lap.npy: $(O)/laplacian/pixels.npy
	$(step) bin/laplacian -k 10 -d 2 --threads $(THREADS) < $< > $@.tmp $(done)
$(O)/laplacian/tsne.npy: $(O)/laplacian/pixels.npy
	$(step) bin/tsne $(TSNE_OPTS) --seed $(SEED) --threads $(THREADS) < $< > $@.tmp $(done)
$(O)/laplacian/%.png: $(O)/laplacian/%.npy $(O)/laplacian/labels.npy $(O)/classes.txt
	$(step) bin/tensor cat $< $(O)/laplacian/labels.npy | $(SCATTER) \
	    --title "$* of $(LAP_N) train images (pixels)" -o $@.tmp $(done)
$(O)/laplacian/lap-tsne.png: $(O)/laplacian/lap.png $(O)/laplacian/tsne.png
	$(step) bin/plot panels --cols 2 -o $@.tmp $^ $(done)
laplacian: $(addprefix $(O)/laplacian/,pixels.npy labels.npy lap.npy tsne.npy \
	lap.png tsne.png lap-tsne.png)

# --- retrieval: 5 nearest and 5 farthest of the first image per class ----

$(O)/queries.txt: $(O)/train-labels.npy
	$(step) bin/tensor print < $< | awk '!seen[$$1]++ { print $$1, NR - 1 }' \
	    | sort -n | cut -d' ' -f2 | paste -sd, > $@.tmp $(done)

define retrieval
$(O)/retrieval/$(1)-$(2).npy: $(O)/$(1)/train-rep.npy $(O)/queries.txt
	$$(step) bin/tensor take $$$$(cat $(O)/queries.txt) < $$< \
	    | bin/knn-graph $(3) -k 6 --base $$< --threads $(THREADS) \
	    | bin/tensor pick 0 > $$@.tmp $$(done)
$(O)/retrieval/$(1)-$(2).png: $(O)/retrieval/$(1)-$(2).npy $(O)/train.npy $(O)/classes.txt
	$$(step) idx=$$$$(bin/tensor print < $$< | tr -s ' \t' ',' | paste -sd,); \
	    bin/tensor pick 0 < $(O)/train.npy | bin/tensor take "$$$$idx" \
	    | bin/plot grid --cols 6 --scale 3 --col-labels query,1,2,3,4,5 \
	    --row-labels "$$$$(sed 's/^/query: /' $(O)/classes.txt | paste -sd,)" \
	    --title "$(1): $(2) train images" -o $$@.tmp $$(done)
endef
$(foreach m,vicreg neighbors,$(eval $(call retrieval,$(m),nearest,)))
$(foreach m,vicreg neighbors,$(eval $(call retrieval,$(m),farthest,--farthest)))
retrieval: $(O)/queries.txt $(foreach m,vicreg neighbors,$(foreach w,nearest farthest,\
	$(O)/retrieval/$(m)-$(w).npy $(O)/retrieval/$(m)-$(w).png))

# --- anomaly detection: CIFAR test (0) + MNIST test (1) -----------------

$(O)/anomaly/labels.npy: $(O)/test.npy $(O)/mnist.npy
	$(step) { bin/tensor const --dtype uint8 --shape $(N_TEST) 0; \
	    bin/tensor const --dtype uint8 --shape $(N_MNIST) 1; } | bin/tensor rows-cat > $@.tmp $(done)
$(O)/anomaly/%-score.npy: $(O)/%/test-rep.npy $(O)/%/mnist-rep.npy $(O)/%/train-rep.npy
	$(step) bin/tensor cat $(O)/$*/test-rep.npy $(O)/$*/mnist-rep.npy | bin/tensor rows-cat \
	    | bin/knn-graph --density -k 2 --base $(O)/$*/train-rep.npy --threads $(THREADS) > $@.tmp $(done)
$(O)/anomaly/%-roc.npy: $(O)/anomaly/%-score.npy $(O)/anomaly/labels.npy
	$(step) bin/tensor cat $^ | bin/roc --metrics $(O)/anomaly/$*-auc.tsv > $@.tmp $(done)
$(O)/anomaly/roc.png: $(O)/anomaly/vicreg-roc.npy $(O)/anomaly/neighbors-roc.npy
	$(step) for m in vicreg neighbors; do \
	      auc=$$(awk '$$1 == "auc" { printf "%.3f", $$2 }' $(O)/anomaly/$$m-auc.tsv); \
	      bin/tensor cols 1,2 < $(O)/anomaly/$$m-roc.npy > $(O)/anomaly/$$m-curve.npy; \
	      set -- "$$@" --series "$(O)/anomaly/$$m-curve.npy:$$m (AUC $$auc)"; \
	    done; bin/plot lines "$$@" --diagonal --xlabel "false positive rate" \
	    --ylabel "true positive rate" --title "CIFAR-10 test vs MNIST test" -o $@.tmp $(done)
$(O)/anomaly/%-top7.png: $(O)/anomaly/%-score.npy $(O)/test.npy $(O)/mnist.npy
	$(step) idx=$$(bin/tensor print < $< | awk '{ print NR - 1, $$1 }' | sort -k2,2gr -k1,1n \
	    | awk 'NR <= 7' | cut -d' ' -f1 | paste -sd,); \
	    { bin/tensor pick 0 < $(O)/test.npy; bin/tensor pick 0 < $(O)/mnist.npy; } \
	    | bin/tensor rows-cat | bin/tensor take "$$idx" \
	    | bin/plot grid --cols 7 --scale 3 --title "$*: the 7 most anomalous test images" -o $@.tmp $(done)
anomaly: $(O)/anomaly/roc.png $(O)/anomaly/labels.npy $(foreach m,vicreg neighbors,\
	$(O)/$(m)/mnist-rep.npy $(O)/anomaly/$(m)-score.npy $(O)/anomaly/$(m)-roc.npy \
	$(O)/anomaly/$(m)-top7.png)

# --- clustering ---------------------------------------------------------

$(O)/clustering/%-kmeans.npy: $(O)/%/train-rep.npy
	$(step) bin/kmeans -k 10 $(KMEANS_OPTS) --seed $(SEED) --threads $(THREADS) \
	    --metrics $(O)/clustering/$*-kmeans.tsv < $< > $@.tmp $(done)
$(O)/clustering/%-silhouette.tsv: $(O)/%/train-rep.npy $(O)/clustering/%-kmeans.npy
	$(step) bin/tensor pick 0 < $(O)/clustering/$*-kmeans.npy | bin/tensor cat $< - \
	    | bin/silhouette --threads $(THREADS) --metrics $@.tmp > /dev/null $(done)
$(O)/clustering/%.png: $(O)/clustering/%-kmeans.npy $(O)/%/tsne.npy $(O)/train-labels.npy $(O)/clustering/%-silhouette.tsv
	$(step) paste <(bin/tensor print $(O)/$*/tsne.npy) <(bin/tensor pick 0 < $< | bin/tensor print) \
	    | awk '{ x[$$3] += $$1; y[$$3] += $$2; n[$$3]++ } \
	    END { for (c in n) printf "%d %.9g %.9g\n", c, x[c] / n[c], y[c] / n[c] }' \
	    | sort -n | cut -d' ' -f2- | bin/tensor from-text -t float32 > $(O)/clustering/$*-centres.npy; \
	    bin/tensor pick 0 < $< | bin/tensor cat $(O)/$*/tsne.npy - | bin/plot scatter \
	    --marks $(O)/clustering/$*-centres.npy --class-names "$$(seq -s, -f 'cluster %g' 0 9)" \
	    --title "$*: t-SNE coloured by k-means cluster" -o $(O)/clustering/$*-by-cluster.png; \
	    bin/tensor cat $(O)/$*/tsne.npy $(O)/train-labels.npy | $(SCATTER) \
	    --marks $(O)/clustering/$*-centres.npy \
	    --title "$*: t-SNE coloured by class" -o $(O)/clustering/$*-by-class.png; \
	    bin/plot panels --cols 2 -o $@.tmp $(O)/clustering/$*-by-cluster.png \
	    $(O)/clustering/$*-by-class.png $(done)
clustering: $(foreach m,vicreg neighbors,$(O)/clustering/$(m)-kmeans.npy \
	$(O)/clustering/$(m)-silhouette.tsv $(O)/$(m)/tsne.npy $(O)/clustering/$(m).png)

# --- the epochs curve: the probe after epochs CURVE_EPOCHS of the base
# model (its kept checkpoints train.ckpt.eN) and at the end ---------------

$(O)/curve/e%.tsv: $(O)/vicreg/model.ckpt $(O)/train.npy $(O)/test.npy $(O)/classes.txt
	$(step) for s in train test; do \
	      bin/encode -m $(O)/vicreg/train.ckpt.e$* --threads $(THREADS) < $(O)/$$s.npy \
	      > $(O)/curve/e$*-$$s.npy; \
	    done; bin/linprobe $(PROBE_OPTS) --seed $(SEED) --threads $(THREADS) \
	    --classes $(O)/classes.txt --metrics $@.tmp \
	    $(O)/curve/e$*-train.npy $(O)/curve/e$*-test.npy > /dev/null; \
	    rm -f $(O)/curve/e$*-train.npy $(O)/curve/e$*-test.npy $(done)
$(O)/curve/curve.csv: $(foreach e,$(CURVE_EPOCHS),$(O)/curve/e$(e).tsv) $(O)/vicreg/probe.txt
	$(step) { echo epoch,probe; \
	    for e in $(CURVE_EPOCHS); do \
	      awk -F'\t' -v e=$$e '$$1 == "accuracy" { print e "," $$2 }' $(O)/curve/e$$e.tsv; \
	    done; awk -F'\t' -v e=$(EPOCHS) '$$1 == "accuracy" { print e "," $$2 }' \
	      $(O)/vicreg/probe.tsv; } > $@.tmp $(done)
$(O)/curve/curve.png: $(O)/curve/curve.csv
	$(step) bin/plot lines --csv $< --x epoch --y probe --title \
	    "Linear probe after each epoch (VICReg, width $(WIDTH))" \
	    --xlabel epoch --ylabel "probe accuracy (%)" -o $@.tmp $(done)
curve: $(O)/curve/curve.csv $(O)/curve/curve.png

# --- the report ---------------------------------------------------------

# `make report` runs the experiments JOBS at a time (a sub-make with
# -j$(JOBS)), every tool on JOB_THREADS threads.  On two cores two
# one-thread trainers side by side (the base model and the no-variance
# ablation) train about 1.2x more pairs per second than one trainer on
# two threads, whose second thread waits at each layer's barriers
# (bench/jobs.sh: 0.564 against 0.693 s per step on idle cores).
# JOBS=1 JOB_THREADS=2 runs one step at a time on both cores.
JOBS        ?= 2
JOB_THREADS ?= 1
EXPERIMENTS := vicreg ablation-novar ablation-neighbors laplacian retrieval \
	anomaly clustering curve
.PHONY: experiments
experiments: $(EXPERIMENTS)
report:
	$(MAKE) --no-print-directory -j$(JOBS) THREADS=$(JOB_THREADS) experiments
	RECIPE=$(RECIPE_DIR)/points.tsv JOBS=$(JOBS) THREADS=$(JOB_THREADS) \
	    scripts/report $(O) $(REPORT_DIR) $(PRESET)

# --- the recipe curve: short runs of the base model with one setting
# changed (RECIPE_POINTS, see scripts/recipe), each probed.  Not part of
# `report` (on the full data it takes hours): run it first, when choosing
# a preset's settings; the report shows its table when it exists.
RECIPE_POINTS ?= pipelines/presets/$(PRESET)-recipe.tsv
RECIPE_DIR    ?= $(O)-recipe
recipe: | $(STUDY_TOOLS)
	scripts/recipe $(RECIPE_POINTS) $(RECIPE_DIR) $(PRESET)

# The committed copy of a run (examples/results/PRESET): the numbers as
# Markdown and CSV, the figures shrunk to FIG_WIDTH pixels, the loss logs
# and the wall time of every step; no index.html (the figures inlined).
RESULTS_DIR ?= examples/results/$(PRESET)
FIG_WIDTH   ?= 900
results: report
	rm -rf $(RESULTS_DIR)
	RECIPE=$(RECIPE_DIR)/points.tsv FIG_WIDTH=$(FIG_WIDTH) HTML=0 \
	    JOBS=$(JOBS) THREADS=$(JOB_THREADS) scripts/report $(O) \
	    $(RESULTS_DIR) $(PRESET)

study-clean:
	rm -rf $(O)
