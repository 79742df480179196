/*
 * test_canvas.c - the plotting library: nice ticks and their labels,
 * the font, antialiased drawing, blits and the PNG round trip.
 */
#include <string.h>
#include <unistd.h>

#include "axes.h"
#include "canvas.h"
#include "check.h"
#include "font.h"
#include "png_write.h"

static void
expect_ticks(double lo, double hi, size_t max, const double *want,
    size_t nwant, double want_step)
{
	double t[AXES_MAX_TICKS], step;
	char what[96];
	size_t n = axes_ticks(lo, hi, max, t, AXES_MAX_TICKS, &step);
	snprintf(what, sizeof what, "ticks [%g, %g] max %zu", lo, hi, max);
	CHECK(n == nwant);
	CHECK(n <= max);
	if (n == nwant)
		check_close_f64(what, t, want, n, 1e-12, 1e-9);
	check_close_f64("tick step", &step, &want_step, 1, 0, 1e-12);
}

static void
test_ticks(void)
{
	expect_ticks(0, 1, 6, (double[]){ 0, 0.2, 0.4, 0.6, 0.8, 1 }, 6, 0.2);
	expect_ticks(0, 3000, 7, (double[]){ 0, 500, 1000, 1500, 2000, 2500,
	    3000 }, 7, 500);
	expect_ticks(-31.7, 17.2, 8, (double[]){ -30, -20, -10, 0, 10 }, 5,
	    10);
	expect_ticks(0.0013, 0.0091, 5, (double[]){ 0.002, 0.004, 0.006,
	    0.008 }, 4, 0.002);
	expect_ticks(-0.05, 1.05, 12, (double[]){ 0, 0.1, 0.2, 0.3, 0.4, 0.5,
	    0.6, 0.7, 0.8, 0.9, 1 }, 11, 0.1);
	expect_ticks(95, 105, 6, (double[]){ 96, 98, 100, 102, 104 }, 5, 2);
	expect_ticks(-2e6, 8e6, 6, (double[]){ -2e6, 0, 2e6, 4e6, 6e6, 8e6 },
	    6, 2e6);

	/* every step is 1, 2 or 5 times a power of ten */
	for (double span = 1e-3; span < 1e4; span *= 1.37) {
		double t[AXES_MAX_TICKS], step;
		size_t n = axes_ticks(-0.3 * span, 0.7 * span, 7, t,
		    AXES_MAX_TICKS, &step);
		double m = step / pow(10, floor(log10(step) + 1e-9));
		CHECK(n >= 2 && n <= 7);
		CHECK(fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 ||
		    fabs(m - 5) < 1e-9);
		for (size_t i = 0; i < n; i++) {
			CHECK(t[i] >= -0.3 * span - 1e-9 * span);
			CHECK(t[i] <= 0.7 * span + 1e-9 * span);
		}
	}

	double lt[AXES_MAX_TICKS];
	size_t n = axes_log_ticks(1e-3, 1e3, lt, AXES_MAX_TICKS);
	CHECK(n == 7);
	check_close_f64("log ticks decades", lt, (double[]){ 1e-3, 1e-2, 1e-1,
	    1, 10, 100, 1000 }, 7, 0, 1e-12);
	n = axes_log_ticks(3, 30, lt, AXES_MAX_TICKS);
	CHECK(n == 3);
	check_close_f64("log ticks within a decade", lt, (double[]){ 5, 10,
	    20 }, 3, 0, 1e-12);
}

static void
expect_label(double v, double step, const char *want)
{
	char buf[64];
	axes_format(v, step, buf, sizeof buf);
	if (strcmp(buf, want) != 0) {
		fprintf(stderr, "label %.17g step %g: got '%s' want '%s'\n", v,
		    step, buf, want);
		check_failures++;
	}
}

static void
test_labels(void)
{
	expect_label(0.1 + 0.2, 0.1, "0.3");
	expect_label(-0.0, 0.5, "0");
	expect_label(2500, 500, "2500");
	expect_label(-15, 5, "-15");
	expect_label(0.004, 0.002, "0.004");
	expect_label(0.25, 0.05, "0.25");
	expect_label(4e6, 2e6, "4e+06");
	expect_label(0.001, 0, "0.001");
	expect_label(100, 0, "100");
	expect_label(1e5, 0, "1e+05");
	expect_label(1e-5, 0, "1e-05");
	expect_label(1.2e30, 2e29, "1.2e+30");
	expect_label(4e-5, 2e-5, "4e-05");
	/* a narrow range far from zero keeps the digits that differ */
	expect_label(1000000.02, 0.01, "1000000.02");
	expect_label(1000000.04, 0.02, "1000000.04");
}

static void
test_font(void)
{
	for (int ch = 32; ch < 127; ch++) {
		const uint8_t *g = font_glyph(ch);
		int ink = 0;
		for (int r = 0; r < FONT_H; r++) {
			ink += g[r] != 0;
			if (g[r] & 1) {     /* column 7 stays blank */
				fprintf(stderr, "glyph '%c' inks column 7\n",
				    ch);
				check_failures++;
			}
		}
		if ((ch == ' ') != (ink == 0)) {
			fprintf(stderr, "glyph '%c': %d inked rows\n", ch,
			    ink);
			check_failures++;
		}
		/* row 0 is the blank line gap */
		CHECK(g[0] == 0);
	}
	/* distinct glyphs for characters that must not be confused */
	const char *pairs[] = { "0O", "1l", "1I", "lI", "5S", "2Z", "8B",
	    ",.", ":;", "-_", "()", "[]" };
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
		CHECK(memcmp(font_glyph(pairs[i][0]), font_glyph(pairs[i][1]),
		    FONT_H) != 0);
	CHECK(font_glyph(200) == font_glyph('?'));
	CHECK(font_text_width("abc", 2) == 3 * FONT_W * 2);
}

static size_t
count_color(const struct canvas *c, uint32_t col, long x0, long y0,
    long x1, long y1)
{
	size_t n = 0;
	for (long y = y0; y < y1; y++)
		for (long x = x0; x < x1; x++)
			n += canvas_get(c, (size_t)x, (size_t)y) == col;
	return n;
}

static void
test_drawing(void)
{
	struct canvas c;
	CHECK(canvas_init(&c, 64, 48, 0xffffff) == 0);

	/* an opaque disc: its centre pixel has the exact colour, nothing
	 * beyond radius + 1 is touched */
	canvas_disc(&c, 10.5, 10.5, 3, 0x1f77b4, 1);
	CHECK(canvas_get(&c, 10, 10) == 0x1f77b4);
	CHECK(canvas_get(&c, 12, 10) == 0x1f77b4);
	CHECK(canvas_get(&c, 14, 10) == 0xffffff);
	CHECK(canvas_get(&c, 15, 10) == 0xffffff);
	CHECK(count_color(&c, 0xffffff, 0, 0, 64, 48) >= 64 * 48 - 49);

	/* half-transparent over white: 255 + (s - 255) / 2, rounded */
	canvas_disc(&c, 30.5, 10.5, 2, 0xd62728, 0.5f);
	uint32_t want = (uint32_t)lrintf(255 + (0xd6 - 255) * 0.5f) << 16 |
	    (uint32_t)lrintf(255 + (0x27 - 255) * 0.5f) << 8 |
	    (uint32_t)lrintf(255 + (0x28 - 255) * 0.5f);
	CHECK(canvas_get(&c, 30, 10) == want);
	/* twice: blended again, darker */
	canvas_disc(&c, 30.5, 10.5, 2, 0xd62728, 0.5f);
	CHECK(canvas_get(&c, 30, 10) != want);

	/* a horizontal polyline 3 px wide through pixel centres of row 30:
	 * rows 29..31 fully covered, rows 28 and 32 a quarter */
	double xy[6] = { 5, 30.5, 20, 30.5, 40, 30.5 };
	canvas_polyline(&c, xy, 3, 3, 0x2ca02c, 1, 0, 0);
	CHECK(count_color(&c, 0x2ca02c, 6, 29, 39, 32) == 33 * 3);
	CHECK(count_color(&c, 0x2ca02c, 6, 28, 39, 29) == 0);
	CHECK(canvas_get(&c, 20, 27) == 0xffffff);
	/* a faint polyline is blended once even where segments meet */
	double v[6] = { 50.5, 20, 50.5, 30, 50.5, 40 };
	canvas_polyline(&c, v, 3, 1, 0x000000, 0.5f, 0, 0);
	CHECK(canvas_get(&c, 50, 25) == canvas_get(&c, 50, 30));
	CHECK(canvas_get(&c, 50, 30) == 0x808080);
	/* mask is clean after drawing */
	size_t dirty = 0;
	for (size_t i = 0; i < c.W * c.H; i++)
		dirty += c.mask[i] != 0;
	CHECK(dirty == 0);

	/* clipping */
	canvas_clip(&c, 0, 0, 8, 8);
	canvas_fill_rect(&c, 0, 0, 64, 48, 0x000000, 1);
	canvas_unclip(&c);
	CHECK(count_color(&c, 0x000000, 0, 0, 64, 48) == 64 + 0 +
	    count_color(&c, 0x000000, 8, 0, 64, 48));
	canvas_free(&c);

	/* text stays inside its box; upright and rotated use equal ink */
	struct canvas t, u;
	CHECK(canvas_init(&t, 40, 20, 0xffffff) == 0);
	CHECK(canvas_init(&u, 20, 40, 0xffffff) == 0);
	canvas_text(&t, 2, 2, "Ab1", 1, 0);
	canvas_text_up(&u, 2, 2, "Ab1", 1, 0);
	size_t in = count_color(&t, 0, 2, 2, 2 + 3 * FONT_W, 2 + FONT_H);
	CHECK(in > 20);
	CHECK(count_color(&t, 0, 0, 0, 40, 20) == in);
	CHECK(count_color(&u, 0, 2, 2, 2 + FONT_H, 2 + 3 * FONT_W) == in);
	/* the first letter of rotated text is at the bottom */
	CHECK(count_color(&u, 0, 2, 2 + 2 * FONT_W, 2 + FONT_H, 2 + 3 *
	    FONT_W) == count_color(&t, 0, 2, 2, 2 + FONT_W, 2 + FONT_H));
	canvas_free(&t);
	canvas_free(&u);

	/* blit with upscaling: every block equals its source pixel */
	uint8_t src[3 * 2 * 3];         /* [3,2,3] planar */
	for (size_t i = 0; i < sizeof src; i++)
		src[i] = (uint8_t)(i * 13 + 7);
	struct canvas b;
	CHECK(canvas_init(&b, 20, 20, 0xffffff) == 0);
	canvas_blit(&b, 1, 2, src, 3, 2, 1, 4);
	int bad = 0;
	for (size_t y = 0; y < 8; y++)
		for (size_t x = 0; x < 12; x++) {
			size_t k = (y / 4) * 3 + x / 4;
			uint32_t w = (uint32_t)src[k] << 16 |
			    (uint32_t)src[6 + k] << 8 | src[12 + k];
			bad += canvas_get(&b, x + 1, y + 2) != w;
		}
	CHECK(bad == 0);
	CHECK(canvas_get(&b, 13, 2) == 0xffffff);
	CHECK(canvas_get(&b, 1, 10) == 0xffffff);

	/* PNG round trip: same pixels back, sRGB chunks, no time */
	char err[256], path[512];
	int fd = mkstemp(check_tmp_template(path, sizeof path,
	    "test_canvas_XXXXXX"));
	CHECK(fd >= 0);
	close(fd);
	CHECK(png_write_rgb(path, b.rgb, b.W, b.H, err, sizeof err) == 0);
	uint8_t *back = NULL;
	size_t W = 0, H = 0;
	struct png_facts f;
	CHECK(png_read_rgb(path, &back, &W, &H, &f, err, sizeof err) == 0);
	CHECK(W == 20 && H == 20);
	CHECK(back && memcmp(back, b.rgb, 20 * 20 * 3) == 0);
	CHECK(f.has_srgb && f.has_gama && f.has_chrm && !f.has_time);
	CHECK(f.bit_depth == 8 && f.color_type == 2);
	free(back);
	CHECK(png_read_rgb("/nonexistent/x.png", &back, &W, &H, NULL, err,
	    sizeof err) == -1);
	CHECK(strstr(err, "/nonexistent/x.png") != NULL);
	remove(path);
	canvas_free(&b);
}

int
main(void)
{
	test_ticks();
	test_labels();
	test_font();
	test_drawing();
	return check_done();
}
