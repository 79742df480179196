/* canvas.c - RGB raster drawing: see canvas.h. */
#include "canvas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "font.h"

int
canvas_init(struct canvas *c, size_t W, size_t H, uint32_t bg)
{
	memset(c, 0, sizeof *c);
	if (W == 0 || H == 0 || W > 1 << 15 || H > 1 << 15)
		return -1;
	c->rgb = malloc(W * H * 3);
	c->mask = calloc(W * H, sizeof *c->mask);
	if (c->rgb == NULL || c->mask == NULL) {
		canvas_free(c);
		return -1;
	}
	c->W = W;
	c->H = H;
	for (size_t i = 0; i < W * H; i++) {
		c->rgb[3 * i + 0] = (uint8_t)(bg >> 16);
		c->rgb[3 * i + 1] = (uint8_t)(bg >> 8);
		c->rgb[3 * i + 2] = (uint8_t)bg;
	}
	canvas_unclip(c);
	return 0;
}

void
canvas_free(struct canvas *c)
{
	free(c->rgb);
	free(c->mask);
	c->rgb = NULL;
	c->mask = NULL;
}

void
canvas_unclip(struct canvas *c)
{
	c->cx0 = 0;
	c->cy0 = 0;
	c->cx1 = (long)c->W;
	c->cy1 = (long)c->H;
}

void
canvas_clip(struct canvas *c, long x0, long y0, long x1, long y1)
{
	c->cx0 = x0 < 0 ? 0 : x0;
	c->cy0 = y0 < 0 ? 0 : y0;
	c->cx1 = x1 > (long)c->W ? (long)c->W : x1;
	c->cy1 = y1 > (long)c->H ? (long)c->H : y1;
}

static inline uint8_t
mix(uint8_t d, uint8_t s, float a)
{
	return (uint8_t)lrintf((float)d + ((float)s - (float)d) * a);
}

void
canvas_blend(struct canvas *c, long x, long y, uint32_t color, float a)
{
	if (x < c->cx0 || y < c->cy0 || x >= c->cx1 || y >= c->cy1 || a <= 0)
		return;
	uint8_t *p = c->rgb + 3 * ((size_t)y * c->W + (size_t)x);
	if (a >= 1) {
		p[0] = (uint8_t)(color >> 16);
		p[1] = (uint8_t)(color >> 8);
		p[2] = (uint8_t)color;
		return;
	}
	p[0] = mix(p[0], (uint8_t)(color >> 16), a);
	p[1] = mix(p[1], (uint8_t)(color >> 8), a);
	p[2] = mix(p[2], (uint8_t)color, a);
}

uint32_t
canvas_get(const struct canvas *c, size_t x, size_t y)
{
	const uint8_t *p = c->rgb + 3 * (y * c->W + x);
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

void
canvas_fill_rect(struct canvas *c, long x0, long y0, long x1, long y1,
    uint32_t color, float alpha)
{
	for (long y = y0; y < y1; y++)
		for (long x = x0; x < x1; x++)
			canvas_blend(c, x, y, color, alpha);
}

void
canvas_stroke_rect(struct canvas *c, long x0, long y0, long x1, long y1,
    long t, uint32_t color)
{
	canvas_fill_rect(c, x0, y0, x1, y0 + t, color, 1);
	canvas_fill_rect(c, x0, y1 - t, x1, y1, color, 1);
	canvas_fill_rect(c, x0, y0 + t, x0 + t, y1 - t, color, 1);
	canvas_fill_rect(c, x1 - t, y0 + t, x1, y1 - t, color, 1);
}

/* Share of a pixel whose centre is d from the middle of a shape that
 * reaches half pixels out: a linear ramp one pixel wide at the edge. */
static inline float
coverage(double half, double d)
{
	double v = half + 0.5 - d;
	return v <= 0 ? 0.0f : v >= 1 ? 1.0f : (float)v;
}

void
canvas_disc(struct canvas *c, double x, double y, double r, uint32_t color,
    float alpha)
{
	if (!isfinite(x) || !isfinite(y))
		return;
	long xa = (long)floor(x - r - 1), xb = (long)ceil(x + r + 1);
	long ya = (long)floor(y - r - 1), yb = (long)ceil(y + r + 1);
	if (xa < c->cx0) xa = c->cx0;
	if (ya < c->cy0) ya = c->cy0;
	if (xb > c->cx1) xb = c->cx1;
	if (yb > c->cy1) yb = c->cy1;
	for (long j = ya; j < yb; j++) {
		double dy = j + 0.5 - y;
		for (long i = xa; i < xb; i++) {
			double dx = i + 0.5 - x;
			float cov = coverage(r, sqrt(dx * dx + dy * dy));
			if (cov > 0)
				canvas_blend(c, i, j, color, cov * alpha);
		}
	}
}

struct dirty {
	long x0, y0, x1, y1;
};

/* Coverage of one segment into the mask (maximum), growing the dirty box. */
static void
mask_segment(struct canvas *c, struct dirty *d, double ax, double ay,
    double bx, double by, double half)
{
	double pad = half + 1;
	long xa = (long)floor(fmin(ax, bx) - pad);
	long xb = (long)ceil(fmax(ax, bx) + pad);
	long ya = (long)floor(fmin(ay, by) - pad);
	long yb = (long)ceil(fmax(ay, by) + pad);
	if (xa < c->cx0) xa = c->cx0;
	if (ya < c->cy0) ya = c->cy0;
	if (xb > c->cx1) xb = c->cx1;
	if (yb > c->cy1) yb = c->cy1;
	if (xa >= xb || ya >= yb)
		return;
	if (xa < d->x0) d->x0 = xa;
	if (ya < d->y0) d->y0 = ya;
	if (xb > d->x1) d->x1 = xb;
	if (yb > d->y1) d->y1 = yb;
	double ex = bx - ax, ey = by - ay, len2 = ex * ex + ey * ey;
	for (long j = ya; j < yb; j++) {
		double py = j + 0.5 - ay;
		float *m = c->mask + (size_t)j * c->W;
		for (long i = xa; i < xb; i++) {
			double px = i + 0.5 - ax;
			double t = len2 > 0 ? (px * ex + py * ey) / len2 : 0;
			t = t < 0 ? 0 : t > 1 ? 1 : t;
			double qx = px - t * ex, qy = py - t * ey;
			float cov = coverage(half, sqrt(qx * qx + qy * qy));
			if (cov > m[i])
				m[i] = cov;
		}
	}
}

void
canvas_polyline(struct canvas *c, const double *xy, size_t n, double width,
    uint32_t color, float alpha, double dash, double gap)
{
	struct dirty d = { c->cx1, c->cy1, c->cx0, c->cy0 };
	double half = width / 2;
	double phase = 0;       /* distance along the dash pattern */
	for (size_t i = 1; i < n; i++) {
		double ax = xy[2 * i - 2], ay = xy[2 * i - 1];
		double bx = xy[2 * i], by = xy[2 * i + 1];
		if (!isfinite(ax) || !isfinite(ay) || !isfinite(bx) ||
		    !isfinite(by))
			continue;
		/* far outside the clip box: skip (keeps bounding boxes sane) */
		if (fabs(ax) > 1e6 || fabs(ay) > 1e6 || fabs(bx) > 1e6 ||
		    fabs(by) > 1e6)
			continue;
		if (dash <= 0) {
			mask_segment(c, &d, ax, ay, bx, by, half);
			continue;
		}
		double len = hypot(bx - ax, by - ay), s = 0;
		while (s < len) {
			double period = dash + gap;
			double in = fmod(phase, period);
			double step;
			if (in < dash) {
				step = fmin(dash - in, len - s);
				double t0 = s / len, t1 = (s + step) / len;
				mask_segment(c, &d, ax + t0 * (bx - ax),
				    ay + t0 * (by - ay), ax + t1 * (bx - ax),
				    ay + t1 * (by - ay), half);
			} else {
				step = fmin(period - in, len - s);
			}
			s += step;
			phase += step;
		}
	}
	for (long j = d.y0; j < d.y1; j++) {
		float *m = c->mask + (size_t)j * c->W;
		for (long i = d.x0; i < d.x1; i++) {
			if (m[i] > 0)
				canvas_blend(c, i, j, color, m[i] * alpha);
			m[i] = 0;
		}
	}
}

void
canvas_text(struct canvas *c, long x, long y, const char *s, size_t scale,
    uint32_t color)
{
	long sc = (long)scale;
	for (; *s; s++, x += FONT_W * sc) {
		const uint8_t *g = font_glyph((unsigned char)*s);
		for (long r = 0; r < FONT_H; r++)
			for (long col = 0; col < FONT_W; col++)
				if (g[r] & (0x80u >> col))
					canvas_fill_rect(c, x + col * sc,
					    y + r * sc, x + (col + 1) * sc,
					    y + (r + 1) * sc, color, 1);
	}
}

void
canvas_text_up(struct canvas *c, long x, long y, const char *s,
    size_t scale, uint32_t color)
{
	long sc = (long)scale;
	long wt = (long)font_text_width(s, scale);
	long u0 = 0;            /* offset along the text */
	for (; *s; s++, u0 += FONT_W * sc) {
		const uint8_t *g = font_glyph((unsigned char)*s);
		for (long r = 0; r < FONT_H; r++)
			for (long col = 0; col < FONT_W; col++) {
				if (!(g[r] & (0x80u >> col)))
					continue;
				long u = u0 + col * sc, v = r * sc;
				/* (u, v) -> (x + v, y + wt - u - sc) */
				canvas_fill_rect(c, x + v, y + wt - u - sc,
				    x + v + sc, y + wt - u, color, 1);
			}
	}
}

void
canvas_blit(struct canvas *c, long x, long y, const uint8_t *src, size_t W,
    size_t H, int planar, size_t scale)
{
	size_t plane = W * H;
	for (size_t j = 0; j < H * scale; j++) {
		long py = y + (long)j;
		if (py < c->cy0 || py >= c->cy1)
			continue;
		size_t sj = j / scale;
		for (size_t i = 0; i < W * scale; i++) {
			long px = x + (long)i;
			if (px < c->cx0 || px >= c->cx1)
				continue;
			size_t si = i / scale, k = sj * W + si;
			uint8_t *p = c->rgb + 3 * ((size_t)py * c->W +
			    (size_t)px);
			if (planar) {
				p[0] = src[k];
				p[1] = src[plane + k];
				p[2] = src[2 * plane + k];
			} else {
				memcpy(p, src + 3 * k, 3);
			}
		}
	}
}
