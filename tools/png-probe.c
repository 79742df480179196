/*
 * png-probe - answer questions about a PNG file, for tests: its size
 * and chunks, a pixel, colour counts in a rectangle, where a colour is,
 * and the pixels of a rectangle as raw RGB.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "png_write.h"
#include "tool.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: png-probe size FILE\n"
"       png-probe info FILE\n"
"       png-probe pixel FILE X Y\n"
"       png-probe count [-t TOL] FILE X Y W H COLOR\n"
"       png-probe nonbg [-t TOL] [-b COLOR] FILE X Y W H\n"
"       png-probe colors FILE X Y W H\n"
"       png-probe find [-t TOL] FILE COLOR [X Y W H]\n"
"       png-probe crop [-s S] [--planar] FILE X Y W H\n"
"Decode a PNG (8-bit RGB after conversion) and print facts about it.\n"
"COLOR is #rrggbb.  A rectangle X Y W H must lie inside the image.\n"
"  -t, --tolerance T  channels may differ by up to T (0)\n"
"  -b, --background C nonbg: the background colour (#ffffff)\n"
"  -s, --block S      crop: S x S blocks must be uniform; one pixel each\n"
"      --planar       crop: write [3,H,W] planes instead of [H,W,3]\n"
"  -h, --help         this help\n"
"      --version      print the version\n");
}

static uint32_t
parse_color(const char *opt, const char *s)
{
	const char *p = s[0] == '#' ? s + 1 : s;
	char *end;
	if (strlen(p) != 6)
		die_usage("%s: expected #rrggbb, got '%s'", opt, s);
	unsigned long v = strtoul(p, &end, 16);
	if (*end != '\0')
		die_usage("%s: expected #rrggbb, got '%s'", opt, s);
	return (uint32_t)v;
}

struct image {
	uint8_t *rgb;
	size_t W, H;
	struct png_facts f;
};

static void
load(struct image *im, const char *path)
{
	char err[512];
	if (png_read_rgb(path, &im->rgb, &im->W, &im->H, &im->f, err,
	    sizeof err) < 0)
		die("%s", err);
}

static uint32_t
at(const struct image *im, size_t x, size_t y)
{
	const uint8_t *p = im->rgb + 3 * (y * im->W + x);
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static int
close_to(uint32_t a, uint32_t b, long tol)
{
	for (int s = 0; s < 24; s += 8) {
		long d = (long)((a >> s) & 255) - (long)((b >> s) & 255);
		if (d > tol || -d > tol)
			return 0;
	}
	return 1;
}

struct rect {
	size_t x, y, w, h;
};

/* X Y W H from argv, checked against the image. */
static struct rect
get_rect(char **argv, const struct image *im)
{
	struct rect r;
	r.x = opt_size("X", argv[0], 0, 1 << 20);
	r.y = opt_size("Y", argv[1], 0, 1 << 20);
	r.w = opt_size("W", argv[2], 1, 1 << 20);
	r.h = opt_size("H", argv[3], 1, 1 << 20);
	if (r.x + r.w > im->W || r.y + r.h > im->H)
		die("rectangle %zu %zu %zu %zu is outside the %zux%zu image",
		    r.x, r.y, r.w, r.h, im->W, im->H);
	return r;
}

static const char *
color_type_name(int t)
{
	switch (t) {
	case 0: return "gray";
	case 2: return "rgb";
	case 3: return "palette";
	case 4: return "gray-alpha";
	case 6: return "rgba";
	}
	return "unknown";
}

struct hist {
	uint32_t color;
	size_t n;
};

static int
hist_cmp(const void *pa, const void *pb)
{
	const struct hist *a = pa, *b = pb;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return a->color < b->color ? -1 : a->color > b->color;
}

static int
u32_cmp(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	return a < b ? -1 : a > b;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tolerance", required_argument, NULL, 't' },
		{ "background", required_argument, NULL, 'b' },
		{ "block", required_argument, NULL, 's' },
		{ "planar", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	long tol = 0;
	uint32_t bg = 0xffffff;
	size_t block = 1;
	int planar = 0, c;

	tool_init("png-probe");
	if (argc < 2)
		die_usage("missing command (size, info, pixel, count, nonbg, "
		    "colors, find or crop)");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		tool_version();
		return EXIT_OK;
	}
	const char *cmd = argv[1];
	argc--;
	argv++;
	optind = 0;             /* options may come anywhere after cmd */
	while ((c = getopt_long(argc, argv, "t:b:s:h", longopts, NULL)) != -1)
		switch (c) {
		case 't': tol = opt_ll("--tolerance", optarg, 0, 255); break;
		case 'b': bg = parse_color("--background", optarg); break;
		case 's': block = opt_size("--block", optarg, 1, 1024); break;
		case 'p': planar = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': tool_version(); return EXIT_OK;
		default: die_usage("bad option");
		}
	char **av = argv + optind;
	int ac = argc - optind;
	struct image im;

	static const struct { const char *name; int min, max; } cmds[] = {
		{ "size", 1, 1 }, { "info", 1, 1 }, { "pixel", 3, 3 },
		{ "count", 6, 6 }, { "nonbg", 5, 5 }, { "colors", 5, 5 },
		{ "find", 2, 6 }, { "crop", 5, 5 },
	};
	size_t k;
	for (k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
		if (strcmp(cmd, cmds[k].name) == 0)
			break;
	if (k == sizeof cmds / sizeof cmds[0])
		die_usage("unknown command '%s'", cmd);
	if (ac < cmds[k].min || ac > cmds[k].max ||
	    (k == 6 && ac != 2 && ac != 6))
		die_usage("%s: wrong number of arguments", cmd);
	load(&im, av[0]);

	if (strcmp(cmd, "size") == 0) {
		printf("%zu %zu\n", im.W, im.H);
	} else if (strcmp(cmd, "info") == 0) {
		printf("width\t%zu\nheight\t%zu\nbit_depth\t%d\n"
		    "color_type\t%s\ninterlaced\t%d\nsRGB\t%d\ngAMA\t%d\n"
		    "cHRM\t%d\ntIME\t%d\ntext\t%d\n", im.W, im.H,
		    im.f.bit_depth, color_type_name(im.f.color_type),
		    im.f.interlaced, im.f.has_srgb, im.f.has_gama,
		    im.f.has_chrm, im.f.has_time, im.f.has_text);
	} else if (strcmp(cmd, "pixel") == 0) {
		size_t x = opt_size("X", av[1], 0, 1 << 20);
		size_t y = opt_size("Y", av[2], 0, 1 << 20);
		if (x >= im.W || y >= im.H)
			die("pixel %zu %zu is outside the %zux%zu image", x, y,
			    im.W, im.H);
		printf("#%06x\n", (unsigned)at(&im, x, y));
	} else if (strcmp(cmd, "count") == 0 || strcmp(cmd, "nonbg") == 0) {
		int count = cmd[0] == 'c';
		struct rect r = get_rect(av + 1, &im);
		uint32_t want = count ? parse_color("COLOR", av[5]) : bg;
		size_t n = 0;
		for (size_t y = r.y; y < r.y + r.h; y++)
			for (size_t x = r.x; x < r.x + r.w; x++)
				n += close_to(at(&im, x, y), want, tol) == count;
		printf("%zu\n", n);
	} else if (strcmp(cmd, "colors") == 0) {
		struct rect r = get_rect(av + 1, &im);
		size_t n = r.w * r.h, u = 0;
		uint32_t *v = xmalloc_array(n, sizeof *v);
		struct hist *hs = xmalloc_array(n, sizeof *hs);
		for (size_t y = 0; y < r.h; y++)
			for (size_t x = 0; x < r.w; x++)
				v[y * r.w + x] = at(&im, r.x + x, r.y + y);
		qsort(v, n, sizeof *v, u32_cmp);
		for (size_t i = 0; i < n; i++) {
			if (u && hs[u - 1].color == v[i]) {
				hs[u - 1].n++;
				continue;
			}
			hs[u].color = v[i];
			hs[u++].n = 1;
		}
		qsort(hs, u, sizeof *hs, hist_cmp);
		for (size_t i = 0; i < u; i++)
			printf("#%06x\t%zu\n", (unsigned)hs[i].color, hs[i].n);
		free(v);
		free(hs);
	} else if (strcmp(cmd, "find") == 0) {
		uint32_t want = parse_color("COLOR", av[1]);
		struct rect r = { 0, 0, im.W, im.H };
		if (ac == 6)
			r = get_rect(av + 2, &im);
		size_t x0 = (size_t)-1, y0 = (size_t)-1, x1 = 0, y1 = 0, n = 0;
		for (size_t y = r.y; y < r.y + r.h; y++)
			for (size_t x = r.x; x < r.x + r.w; x++) {
				if (!close_to(at(&im, x, y), want, tol))
					continue;
				n++;
				x0 = x < x0 ? x : x0;
				y0 = y < y0 ? y : y0;
				x1 = x + 1 > x1 ? x + 1 : x1;
				y1 = y + 1 > y1 ? y + 1 : y1;
			}
		if (n == 0)
			die("no pixel of colour #%06x (tolerance %ld)",
			    (unsigned)want, tol);
		printf("%zu %zu %zu %zu %zu\n", x0, y0, x1, y1, n);
	} else {                /* crop */
		struct rect r = get_rect(av + 1, &im);
		if (r.w % block || r.h % block)
			die_usage("crop: W and H must be multiples of --block %zu",
			    block);
		size_t ow = r.w / block, oh = r.h / block;
		uint8_t *out = xmalloc_array(ow * oh, 3);
		for (size_t by = 0; by < oh; by++)
			for (size_t bx = 0; bx < ow; bx++) {
				size_t x = r.x + bx * block, y = r.y + by * block;
				uint32_t v = at(&im, x, y);
				for (size_t j = 0; j < block; j++)
					for (size_t i = 0; i < block; i++)
						if (at(&im, x + i, y + j) != v)
							die("block at %zu %zu is "
							    "not uniform", x, y);
				size_t o = by * ow + bx;
				for (int ch = 0; ch < 3; ch++) {
					uint8_t b = (uint8_t)(v >> (16 - 8 * ch));
					if (planar)
						out[(size_t)ch * ow * oh + o] = b;
					else
						out[3 * o + (size_t)ch] = b;
				}
			}
		out_init();
		if (fwrite(out, 3, ow * oh, stdout) != ow * oh)
			die_errno("write");
		free(out);
	}
	free(im.rgb);
	out_close();
	return EXIT_OK;
}
