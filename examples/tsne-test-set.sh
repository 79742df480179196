#!/bin/sh
# tsne-test-set.sh MODEL OUT.png [N]: a trained model's representations
# of the first N CIFAR-10 test images (default 2000) through t-SNE into a
# scatter plot coloured by class -- one pipe, nothing kept on disk but
# the labels.
set -eu
model=$1 out=$2 n=${3:-2000}
cifar=${CIFAR:-data/cifar-10-binary.tar.gz}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cifar-decode --classes "$cifar" > "$tmp/classes.txt"
cifar-decode --split test --limit "$n" "$cifar" | tensor pick 1 > "$tmp/labels.npy"
cifar-decode --split test --limit "$n" --no-labels "$cifar" \
    | encode -m "$model" \
    | tsne \
    | tensor cat - "$tmp/labels.npy" \
    | plot scatter --classes "$tmp/classes.txt" \
        --title "t-SNE of $n test representations" -o "$out"
