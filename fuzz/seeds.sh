#!/bin/sh
# fuzz/seeds.sh - (re)write the seed corpora fuzz/corpus/NAME/ from the
# built tools (run `make` first) and printf: small valid inputs and a
# few near-valid ones.  Run by hand from the top directory; the result
# is committed.  Needs data/ (make data) for the CIFAR and MNIST seeds.
set -eu
PATH=$PWD/bin:$PATH
C=fuzz/corpus
export OMP_NUM_THREADS=1
npy() { mkdir -p $C/npy; cat > "$C/npy/$1"; }

# --- tensor streams ---
printf '1 2 3\n4 5 6\n' | tensor from-text -t float32 | npy f32-2x3
printf '7\n' | tensor from-text -t int64 | npy i64-1
tensor const -t uint8 -s 2,3,2,2 9 | npy u8-4d
tensor const -t float64 -s 0,5 0 | npy f64-empty
tensor const -t int32 -s 1 -- -3 | npy i32-1
# a multi-array stream: images then labels, as cifar-decode writes
{ tensor const -t uint8 -s 2,3,1,1 1; tensor const -t uint8 -s 2 4; } |
    npy images-labels
# three arrays of three dtypes
{ tensor const -t float32 -s 2,2 1.5; tensor const -t int32 -s 3 2;
  tensor const -t float64 -s 1 0.25; } | npy three
# near-valid: truncated data, a v2.0 header, a fortran_order array
tensor const -t float32 -s 4,4 1 | head -c 160 | npy truncated
tensor const -t float32 -s 2 1 |
    sed 's/^\x93NUMPY\x01\x00\x76\x00/\x93NUMPY\x02\x00\x76\x00\x00\x00/' |
    npy v2
tensor const -t float32 -s 2 1 | sed "s/'fortran_order': False/'fortran_order': True /" |
    npy fortran
printf '\223NUMPY\001\000\030\000{"descr":"<f4","shape":()}\n' | npy short-dict

# --- CIFAR: batch files and archives of them ---
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p $C/cifar $T/cifar-10-batches-bin
# two records: label 3 and label 9, pixels from the real test batch
record() { printf "\\$(printf %03o "$1")"; head -c $((3073 * $2 + 1 + 3072)) "$3" | tail -c 3072; }
gzip -dc data/cifar-10-binary.tar.gz | head -c 60000000 | tail -c 30730 > $T/raw
{ record 3 0 $T/raw; record 9 1 $T/raw; } > $T/cifar-10-batches-bin/test_batch.bin
cp $T/cifar-10-batches-bin/test_batch.bin $C/cifar/test_batch.bin
printf 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n' \
    > $T/cifar-10-batches-bin/batches.meta.txt
(cd $T && tar --format=ustar -b 1 --mtime=@0 --owner=0 --group=0 --numeric-owner -cf one.tar cifar-10-batches-bin/test_batch.bin)
cp $T/one.tar $C/cifar/one.tar
(cd $T && tar --format=ustar -b 1 --mtime=@0 --owner=0 --group=0 --numeric-owner -czf meta.tar.gz \
    cifar-10-batches-bin/batches.meta.txt cifar-10-batches-bin/test_batch.bin)
cp $T/meta.tar.gz $C/cifar/meta.tar.gz
# long names: GNU 'L' records and pax path records
L=$T/cifar-10-batches-bin/a-directory-name-long-enough-to-need-more-than-a-hundred-bytes-in-a-tar-header-xxxxxxxxxxxxxxxxxxxxx
mkdir -p $L
printf 'airplane\n' > $L/batches.meta.txt
(cd $T && tar --format=gnu -b 1 --mtime=@0 --owner=0 --group=0 --numeric-owner -cf gnu.tar "${L#$T/}/batches.meta.txt")
(cd $T && tar --format=pax --pax-option=delete=atime,delete=ctime -b 1 --mtime=@0 --owner=0 --group=0 --numeric-owner -cf pax.tar "${L#$T/}/batches.meta.txt")
cp $T/gnu.tar $T/pax.tar $C/cifar/
# near-valid: a record too short, a label out of range
head -c 3000 $T/one.tar > $C/cifar/truncated.tar
{ record 12 0 $T/raw; } > $C/cifar/label12.bin

# --- IDX (MNIST): images [2,3,3] and labels [2], plain and gzip ---
mkdir -p $C/idx
printf '\0\0\10\3\0\0\0\2\0\0\0\3\0\0\0\3' > $C/idx/images
printf '\1\2\3\4\5\6\7\10\11\12\13\14\15\16\17\20\21\22' >> $C/idx/images
printf '\0\0\10\1\0\0\0\2\7\1' > $C/idx/labels
gzip -9nc $C/idx/images > $C/idx/images.gz
gzip -dc data/t10k-labels-idx1-ubyte.gz | head -c 40 > $C/idx/t10k-labels-head
printf '\0\0\10\3\0\0\0\0\0\1\0\0\0\1\0\0' > $C/idx/empty-4d-ish
printf '\0\0\10\2\0\0\0\3\0\0\0\2\1\2\3\4\5' > $C/idx/short

# --- checkpoints ---
mkdir -p $C/ckpt
cifar-decode -n 2 data/cifar-10-binary.tar.gz |
    augment -q -e 1 -b 2 -s 1 -t 1 > $T/pairs.npy
vicreg-train -q -o $T/w1.ck --width 1 --rep-dim 1 --head-dim 1 --proj 1 \
    --threads 1 < $T/pairs.npy
cp $T/w1.ck $C/ckpt/width1
# the same header with small counts, the CRC made right: gzip's
# trailer is the CRC-32 of its input (RFC 1952), little-endian
u64() { printf "$(printf '\\%03o' $(($2 & 255)) $(($2 >> 8 & 255)) 0 0 0 0 0 0)" |
    dd of="$1" bs=1 seek="$3" conv=notrunc status=none; }
small() {   # name n_params n_buffers n_moments
	head -c 512 $T/w1.ck > $T/s
	u64 $T/s "$2" 280; u64 $T/s "$3" 288; u64 $T/s "$4" 296
	head -c $((4 * ($2 * (1 + $4) + $3))) /dev/zero >> $T/s
	gzip -c < $T/s | tail -c 8 | head -c 4 >> $T/s
	cp $T/s "$C/ckpt/$1"
}
small p3b1 3 1 0
small p2b0m2 2 0 2
small empty 0 0 0
# near-valid: truncated, a bad CRC, a newer version
head -c 600 $T/w1.ck > $C/ckpt/truncated
cp $C/ckpt/p3b1 $C/ckpt/badcrc
printf '\377' | dd of=$C/ckpt/badcrc bs=1 seek=531 conv=notrunc status=none
cp $C/ckpt/empty $C/ckpt/version2
printf '\2' | dd of=$C/ckpt/version2 bs=1 seek=8 conv=notrunc status=none

# --- text: option numbers, tensor's lists and tables, --proj ---
# (the first byte of an opt or tensor_text input picks the parser)
seed() { mkdir -p "$C/$1"; printf -- "$3" > "$C/$1/$2"; }
seed opt size '\001512'
seed opt neg '\002-3'
seed opt float '\0031e-3'
seed opt space '\004 12'
seed opt junk '\00512abc'
seed opt huge '\00699999999999999999999'
seed opt nan '\007nan'
seed opt hex '\0020x10'
seed opt inf '\003-inf'
seed tensor_text table '\0001 2 3\n4,5,6\n# comment\n\n7\t8 9\r\n'
seed tensor_text table-i64 '\010-9223372036854775808 9223372036854775807\n'
seed tensor_text table-bad '\0041 2\n3 x\n'
seed tensor_text shape '\0013,32,32'
seed tensor_text shape-bad '\0011,,2,-3'
seed tensor_text rows '\0121,-1,0:3,:2,5:,-2:'
seed tensor_text rows-bad '\0061:2:3,'
seed tensor_text value '\003-1.5e3'
seed tensor_text value-u8 '\017256'
seed train_proj three '512,512,512'
seed train_proj one '8192'
seed train_proj empty-item '1,,2'
seed train_proj five '1,2,3,4,5'
seed train_proj zero '0,1'
seed plot_text lines 'step\nstep,loss,inv\n1,2.5,0.1\n2,,0.2\n3,nan,x\n'
seed plot_text ycols 'epoch,loss\nepoch,loss,var\n1,2,3\r\n2,3,4\r\n'
seed plot_text lim '-1.5,1e3'
seed plot_text bad-row 'a\na,b\n1,2,3\n'
