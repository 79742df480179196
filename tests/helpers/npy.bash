# npy.bash - write .npy bytes from the shell, for building good and bad
# streams in the bats tests.  Source it: load helpers/npy

# npy_header DICT [VERSION]: magic, version (default 1), 2-byte header
# length, DICT, space padding and '\n' so the data starts on 64 bytes.
npy_header() {
	local dict=$1 major=${2:-1} total pad hlen
	total=$((10 + ${#dict} + 1))
	pad=$(((64 - total % 64) % 64))
	hlen=$((${#dict} + pad + 1))
	printf '\x93NUMPY'
	printf "\\x$(printf %02x "$major")\\x00"
	printf "\\x$(printf %02x $((hlen & 255)))\\x$(printf %02x $((hlen >> 8)))"
	printf '%s%*s\n' "$dict" "$pad" ''
}

# npy_u8 V...: a uint8 [n] array holding the values V.
npy_u8() {
	npy_header "{'descr': '|u1', 'fortran_order': False, 'shape': ($#,), }"
	local v
	for v in "$@"; do
		printf "\\x$(printf %02x "$v")"
	done
}

# npy_i32 V...: an int32 [n] array (little-endian), values 0..255 only.
npy_i32() {
	npy_header "{'descr': '<i4', 'fortran_order': False, 'shape': ($#,), }"
	local v
	for v in "$@"; do
		printf "\\x$(printf %02x "$v")\\x00\\x00\\x00"
	done
}

# ROOT of the repository, for data/ and tests/fixtures/.
ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
FIX=$ROOT/tests/fixtures/decode
CIFAR=$ROOT/data/cifar-10-binary.tar.gz
MNIST_IMG=$ROOT/data/t10k-images-idx3-ubyte.gz
MNIST_LBL=$ROOT/data/t10k-labels-idx1-ubyte.gz

# need_data: fail (never skip) when `make data` has not been run.
need_data() {
	local f
	for f in "$CIFAR" "$MNIST_IMG" "$MNIST_LBL"; do
		[ -r "$f" ] || { echo "missing $f: run 'make data'" >&2; return 1; }
	done
}
