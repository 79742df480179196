#!/bin/sh
# anomaly-auc.sh MODEL [N]: how well the model's k-NN density (mean
# distance to the 2 nearest of N CIFAR train representations, default
# 5000) tells N/5 MNIST test digits from N/5 CIFAR-10 test images.
# Prints the AUC.
set -eu
model=$1 n=${2:-5000} m=$(( ${2:-5000} / 5 ))
data=${DATA:-data}
cifar=$data/cifar-10-binary.tar.gz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cifar-decode --split train --limit "$n" --no-labels "$cifar" | encode -m "$model" > "$tmp/base.npy"
{
	cifar-decode --split test --limit "$m" --no-labels "$cifar"
	mnist-decode --limit "$m" "$data/t10k-images-idx3-ubyte.gz"
} | tensor rows-cat | encode -m "$model" \
    | knn-graph --density -k 2 --base "$tmp/base.npy" > "$tmp/score.npy"
{
	tensor const -t uint8 -s "$m" 0
	tensor const -t uint8 -s "$m" 1
} | tensor rows-cat | tensor cat "$tmp/score.npy" - \
    | roc --metrics "$tmp/auc.tsv" > /dev/null
awk -F'\t' '$1 == "auc" { print $2 }' "$tmp/auc.tsv"
