#!/bin/sh
# augmented-views.sh OUT.png [SEED]: what the network sees -- eight train
# images, each with two views drawn by the study's augmentation chain.
set -eu
out=$1 seed=${2:-1}
cifar=${CIFAR:-data/cifar-10-binary.tar.gz}

cifar-decode --split train --limit 8 --no-labels "$cifar" \
    | augment --uint8 --batch 8 --seed "$seed" -q \
    | tensor pick 1 \
    | tensor cast --reshape 16,3,32,32 \
    | plot grid --cols 4 --scale 4 --col-labels "view 1,view 2,view 1,view 2" \
        --title "two augmented views per image" -o "$out"
