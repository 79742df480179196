#!/bin/sh
# nearest-images.sh MODEL INDEX OUT.png [N]: train image INDEX and its 8
# nearest neighbours among the first N train images (default 5000) in the
# model's representation space, as one row of pictures.
set -eu
model=$1 index=$2 out=$3 n=${4:-5000}
cifar=${CIFAR:-data/cifar-10-binary.tar.gz}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cifar-decode --split train --limit "$n" --no-labels "$cifar" > "$tmp/images.npy"
encode -m "$model" < "$tmp/images.npy" > "$tmp/rep.npy"
# the query is in the base set, so its nearest neighbour is itself
rows=$(tensor take "$index" < "$tmp/rep.npy" \
    | knn-graph -k 9 --base "$tmp/rep.npy" \
    | tensor pick 0 | tensor print | tr -s ' \t' ',')
tensor take "$rows" < "$tmp/images.npy" \
    | plot grid --cols 9 --scale 4 --col-labels query,1,2,3,4,5,6,7,8 \
        --title "train image $index and its nearest neighbours" -o "$out"
