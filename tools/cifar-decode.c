/*
 * cifar-decode - the CIFAR-10 binary version as a tensor stream:
 * images uint8 [N,3,32,32] then labels [N].
 *
 * Record layout (from the CIFAR-10 page, "Binary version"): 1 label byte
 * then 1024 red, 1024 green and 1024 blue bytes, rows of 32 pixels; each
 * batch file holds 10,000 records.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tar.h"
#include "tool.h"

#define PIXELS 3072               /* 3 x 32 x 32 */
#define RECORD (1 + PIXELS)
#define CLASSES 10
#define CHUNK 256                 /* records per read */

static const char *train_members[] = {
	"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
	"data_batch_4.bin", "data_batch_5.bin",
};
static const char *test_members[] = { "test_batch.bin" };

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cifar-decode [-s train|test] [-n N] [-l TYPE] [--no-labels]\n"
	    "                    [ARCHIVE | BATCH.bin ...]\n"
	    "       cifar-decode --classes [ARCHIVE | BATCH.bin]\n"
	    "Decode CIFAR-10 (binary version) into images uint8 [N,3,32,32]\n"
	    "then labels [N].  ARCHIVE is cifar-10-binary.tar.gz (default\n"
	    "stdin); .bin arguments are extracted batch files, decoded in order.\n"
	    "  -s, --split S        train (data_batch_1..5) or test (test_batch)\n"
	    "  -n, --limit N        only the first N images\n"
	    "  -l, --label-type T   uint8 (default), int32 or int64\n"
	    "      --no-labels      write the images only\n"
	    "      --classes        print the 10 class names (text)\n"
	    "  -h, --help           this help\n"
	    "      --version        print the version\n");
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The decoding state shared by the archive and the batch-file paths. */
struct decode {
	size_t n;                 /* images to write */
	size_t done;              /* images written */
	uint8_t *labels;          /* [n] */
	uint8_t *buf;             /* [CHUNK, RECORD] */
	uint8_t *img;             /* [CHUNK, 3, 32, 32] */
};

/* Split CHUNK records into images and labels, checking each label. */
static void
decode_records(struct decode *d, size_t k, const char *src,
    const char *member, size_t first)
{
	for (size_t i = 0; i < k; i++) {
		const uint8_t *rec = d->buf + i * RECORD;
		if (rec[0] >= CLASSES)
			die("%s: %s: record %zu: label %u out of range 0..9",
			    src, member, first + i, rec[0]);
		d->labels[d->done + i] = rec[0];
		memcpy(d->img + i * PIXELS, rec + 1, PIXELS);
	}
	out_data(d->img, k * PIXELS);
	d->done += k;
}

static void
write_header(size_t n)
{
	struct npy_header h;
	npy_header_set(&h, NPY_U8, 4, n, (size_t)3, (size_t)32, (size_t)32);
	out_header(&h);
}

static void
write_labels(struct decode *d, enum npy_dtype t)
{
	struct npy_header h;
	npy_header_set(&h, t, 1, d->n);
	void *lab = xmalloc_array(d->n, npy_dtype_size(t));
	npy_convert(t, lab, NPY_U8, d->labels, d->n);
	out_array(&h, lab);
	free(lab);
}

/* Find a member, going back to the start once if it is not ahead. */
static void
find_member(struct tar_reader *t, const char *path, const char *base)
{
	int rc = tar_find(t, base);
	if (rc == 0 && strcmp(path, "-") != 0) {
		tar_close(t);
		if (tar_open(t, path) < 0)
			die("%s", t->err);
		rc = tar_find(t, base);
	}
	if (rc < 0)
		die("%s", t->err);
	if (rc == 0)
		die("%s: missing member %s", t->name, base);
}

static void
print_classes(FILE *fp, const char *src, char *text, size_t len)
{
	size_t count = 0;
	text[len] = '\0';
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		size_t n = strlen(line);
		while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' ||
		    line[n - 1] == '\t'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (fprintf(fp, "%s\n", line) < 0)
			die_errno("write");
		count++;
	}
	if (count != CLASSES)
		die("%s: batches.meta.txt: %zu class names, expected %d", src,
		    count, CLASSES);
}

static void
classes_archive(const char *path)
{
	struct tar_reader t;
	if (tar_open(&t, path) < 0)
		die("%s", t.err);
	find_member(&t, path, "batches.meta.txt");
	if (t.size > 1 << 16)
		die("%s: batches.meta.txt: too large (%llu bytes)", t.name,
		    (unsigned long long)t.size);
	char *text = xmalloc((size_t)t.size + 1);
	if (tar_read(&t, text, (size_t)t.size) < 0)
		die("%s", t.err);
	print_classes(stdout, t.name, text, (size_t)t.size);
	free(text);
	tar_close(&t);
}

static void
classes_dir(const char *bin)
{
	const char *slash = strrchr(bin, '/');
	size_t dlen = slash ? (size_t)(slash - bin + 1) : 0;
	char *path = xmalloc(dlen + sizeof "batches.meta.txt");
	memcpy(path, bin, dlen);
	strcpy(path + dlen, "batches.meta.txt");
	FILE *fp = xfopen(path, "r");
	char text[1 << 16];
	size_t n = fread(text, 1, sizeof text - 1, fp);
	if (ferror(fp))
		die_errno("%s", path);
	fclose(fp);
	print_classes(stdout, path, text, n);
	free(path);
}

static void
decode_archive(struct decode *d, const char *path, const char **members,
    size_t nmembers, size_t limit, int labels, enum npy_dtype lt)
{
	struct tar_reader t;
	uint64_t batch = 0;       /* records per batch, from the first */

	if (tar_open(&t, path) < 0)
		die("%s", t.err);
	for (size_t m = 0; m < nmembers; m++) {
		if (m > 0 && d->done == d->n)
			break;
		find_member(&t, path, members[m]);
		if (t.size % RECORD)
			die("%s: %s: truncated record (%llu bytes is not a "
			    "whole number of %d-byte records)", t.name,
			    members[m], (unsigned long long)t.size, RECORD);
		if (m == 0) {
			batch = t.size / RECORD;
			uint64_t total = batch * nmembers;
			d->n = total < limit ? (size_t)total : limit;
			d->labels = xmalloc(d->n);
			write_header(d->n);
		} else if (t.size / RECORD != batch) {
			die("%s: %s: %llu records, but %s has %llu", t.name,
			    members[m], (unsigned long long)(t.size / RECORD),
			    members[0], (unsigned long long)batch);
		}
		size_t rec = 0;
		while (rec < batch && d->done < d->n) {
			size_t k = batch - rec < CHUNK ? (size_t)(batch - rec) :
			    CHUNK;
			if (k > d->n - d->done)
				k = d->n - d->done;
			if (tar_read(&t, d->buf, k * RECORD) < 0)
				die("%s", t.err);
			decode_records(d, k, t.name, members[m], rec);
			rec += k;
		}
	}
	tar_close(&t);
	if (labels)
		write_labels(d, lt);
}

static void
decode_bins(struct decode *d, char **paths, size_t npaths, size_t limit,
    int labels, enum npy_dtype lt)
{
	uint64_t total = 0;
	for (size_t i = 0; i < npaths; i++) {
		struct stat st;
		if (stat(paths[i], &st) < 0)
			die_errno("%s", paths[i]);
		if (!S_ISREG(st.st_mode))
			die("%s: not a regular file", paths[i]);
		if ((uint64_t)st.st_size % RECORD)
			die("%s: truncated record (%llu bytes is not a whole "
			    "number of %d-byte records)", paths[i],
			    (unsigned long long)st.st_size, RECORD);
		total += (uint64_t)st.st_size / RECORD;
	}
	d->n = total < limit ? (size_t)total : limit;
	d->labels = xmalloc(d->n);
	write_header(d->n);
	for (size_t i = 0; i < npaths && d->done < d->n; i++) {
		FILE *fp = xfopen(paths[i], "rb");
		size_t rec = 0, k;
		for (;;) {
			k = CHUNK;
			if (k > d->n - d->done)
				k = d->n - d->done;
			if (k == 0)
				break;
			size_t got = fread(d->buf, 1, k * RECORD, fp);
			if (ferror(fp))
				die_errno("%s", paths[i]);
			if (got % RECORD)
				die("%s: truncated record %zu", paths[i],
				    rec + got / RECORD);
			k = got / RECORD;
			if (k == 0)
				break;
			decode_records(d, k, paths[i], "batch", rec);
			rec += k;
		}
		fclose(fp);
	}
	if (d->done != d->n)
		die("%s: file shrank while reading (%zu of %zu records)",
		    paths[npaths - 1], d->done, d->n);
	if (labels)
		write_labels(d, lt);
}

int
main(int argc, char **argv)
{
	enum { OPT_NO_LABELS = 256, OPT_CLASSES, OPT_VERSION };
	static const struct option longopts[] = {
		{ "split", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "label-type", required_argument, NULL, 'l' },
		{ "no-labels", no_argument, NULL, OPT_NO_LABELS },
		{ "classes", no_argument, NULL, OPT_CLASSES },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char **members = train_members;
	size_t nmembers = 5, limit = SIZE_MAX;
	enum npy_dtype lt = NPY_U8;
	int labels = 1, classes = 0, c;

	tool_init("cifar-decode");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:n:l:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strcmp(optarg, "train") == 0) {
				members = train_members;
				nmembers = 5;
			} else if (strcmp(optarg, "test") == 0) {
				members = test_members;
				nmembers = 1;
			} else {
				die_usage("--split: '%s' is not train or test",
				    optarg);
			}
			break;
		case 'n':
			limit = opt_size("--limit", optarg, 0, SIZE_MAX);
			break;
		case 'l':
			if (npy_dtype_parse(optarg, &lt) < 0 || (lt != NPY_U8 &&
			    lt != NPY_I32 && lt != NPY_I64))
				die_usage("--label-type: '%s' is not uint8, "
				    "int32 or int64", optarg);
			break;
		case OPT_NO_LABELS:
			labels = 0;
			break;
		case OPT_CLASSES:
			classes = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case OPT_VERSION:
			tool_version();
			return EXIT_OK;
		case ':':
			die_usage("option '%s' needs an argument",
			    argv[optind - 1]);
		default:
			if (optopt)
				die_usage("unknown option '-%c'", optopt);
			die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;

	int bins = 0;
	for (int i = 0; i < argc; i++)
		bins += ends_with(argv[i], ".bin");
	if (bins && bins != argc)
		die_usage("give either one archive or .bin batch files");
	if (!bins && argc > 1)
		die_usage("give one archive (or .bin batch files)");
	const char *archive = argc ? argv[0] : "-";

	if (classes) {
		if (bins)
			classes_dir(argv[0]);
		else
			classes_archive(archive);
		if (fflush(stdout) != 0 || fclose(stdout) != 0)
			die_errno("write");
		return EXIT_OK;
	}

	out_init();
	struct decode d = { 0 };
	d.buf = xmalloc_array(CHUNK, RECORD);
	d.img = xmalloc_array(CHUNK, PIXELS);
	if (bins)
		decode_bins(&d, argv, (size_t)argc, limit, labels, lt);
	else
		decode_archive(&d, archive, members, nmembers, limit, labels,
		    lt);
	out_close();
	free(d.buf);
	free(d.img);
	free(d.labels);
	return EXIT_OK;
}
