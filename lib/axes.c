/* axes.c - ticks, layout, frame and legend of a 2-D plot: see axes.h. */
#include "axes.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "font.h"

#define TICK_LEN 5          /* tick marks, outside the frame */
#define TICK_GAP 3          /* tick mark to its label */
#define PAD 10              /* figure edge to the outermost text */
#define FRAME 0x000000u
#define GRID 0xe6e6e6u
#define TEXT 0x000000u

size_t
axes_ticks(double lo, double hi, size_t max_ticks, double *ticks,
    size_t cap, double *step)
{
	static const double mult[3] = { 1, 2, 5 };
	if (!(hi > lo) || max_ticks < 2) {
		*step = 0;
		if (cap)
			ticks[0] = lo;
		return cap ? 1 : 0;
	}
	double span = hi - lo;
	double e = floor(log10(span / (double)max_ticks)) - 1;
	double best = 0;
	for (int k = 0; k < 5 && best == 0; k++, e += 1)
		for (int m = 0; m < 3; m++) {
			double s = mult[m] * pow(10, e);
			double i0 = ceil(lo / s - 1e-9), i1 = floor(hi / s + 1e-9);
			if (i1 - i0 + 1 <= (double)max_ticks) {
				best = s;
				break;
			}
		}
	*step = best;
	double i0 = ceil(lo / best - 1e-9), i1 = floor(hi / best + 1e-9);
	size_t n = 0;
	for (double i = i0; i <= i1 && n < cap; i += 1) {
		double v = i * best;
		ticks[n++] = fabs(v) < best * 1e-9 ? 0.0 : v;
	}
	return n;
}

size_t
axes_log_ticks(double lo, double hi, double *ticks, size_t cap)
{
	size_t n = 0;
	if (!(lo > 0) || !(hi > lo))
		return 0;
	double e0 = floor(log10(lo) + 1e-9), e1 = floor(log10(hi) + 1e-9);
	int decades = 0;
	for (double e = e0; e <= e1; e += 1)
		decades += pow(10, e) >= lo * (1 - 1e-9);
	static const double mult[3] = { 1, 2, 5 };
	int nm = decades >= 2 ? 1 : 3;
	for (double e = e0; e <= e1 && n < cap; e += 1)
		for (int m = 0; m < nm && n < cap; m++) {
			double v = mult[m] * pow(10, e);
			if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9))
				ticks[n++] = v;
		}
	return n;
}

void
axes_format(double v, double step, char *buf, size_t len)
{
	if (v == 0) {
		snprintf(buf, len, "0");
		return;
	}
	if (step == 0) {        /* log axis: plain within 1e-4..1e4 */
		double e = log10(fabs(v));
		if (e >= -4 - 1e-9 && e <= 4 + 1e-9)
			snprintf(buf, len, "%.*f", e < 0 ? (int)ceil(-e - 1e-9)
			    : 0, v);
		else
			snprintf(buf, len, "%.0e", v);
		return;
	}
	double big = fmax(fabs(v), step);
	if (big >= 1e6 || step < 1e-4) {
		/* as many significant digits as tell neighbours apart */
		int p = (int)(floor(log10(big)) - floor(log10(step))) + 1;
		snprintf(buf, len, "%.*g", p < 1 ? 1 : p > 17 ? 17 : p, v);
		return;
	}
	int dec = (int)ceil(-log10(step) - 1e-9);
	snprintf(buf, len, "%.*f", dec < 0 ? 0 : dec, v);
}

double
axes_px(const struct axes *a, double x)
{
	return (double)a->left + (x - a->x0) / (a->x1 - a->x0) *
	    (double)(a->right - a->left);
}

double
axes_py(const struct axes *a, double y)
{
	double t;
	if (a->logy)
		t = (log10(y) - log10(a->y0)) / (log10(a->y1) - log10(a->y0));
	else
		t = (y - a->y0) / (a->y1 - a->y0);
	return (double)a->bottom - t * (double)(a->bottom - a->top);
}

static size_t
widest_label(const double *t, size_t n, double step)
{
	size_t w = 0;
	char buf[64];
	for (size_t i = 0; i < n; i++) {
		axes_format(t[i], step, buf, sizeof buf);
		size_t tw = font_text_width(buf, 1);
		if (tw > w)
			w = tw;
	}
	return w;
}

void
axes_layout(struct axes *a, size_t W, size_t H, long reserve_right)
{
	long top = PAD + 2;
	if (a->title)
		top += 2 * FONT_H + 10;
	long below = PAD + FONT_H + TICK_GAP + TICK_LEN;
	if (a->xlabel)
		below += FONT_H + 6;
	long bottom = (long)H - below;
	long ph = bottom - top;
	size_t maxy = ph > 0 ? (size_t)ph / 45 : 2;
	maxy = maxy < 3 ? 3 : maxy > 12 ? 12 : maxy;
	if (a->logy) {
		a->ny = axes_log_ticks(a->y0, a->y1, a->yt, AXES_MAX_TICKS);
		a->ystep = 0;
	} else {
		a->ny = axes_ticks(a->y0, a->y1, maxy, a->yt, AXES_MAX_TICKS,
		    &a->ystep);
	}
	long left = PAD + (long)widest_label(a->yt, a->ny, a->ystep) +
	    TICK_GAP + TICK_LEN + 2;
	if (a->ylabel)
		left += FONT_H + 8;
	long right = (long)W - 20 - reserve_right;
	long pw = right - left;
	size_t maxx = pw > 0 ? (size_t)pw / 60 : 2;
	maxx = maxx < 3 ? 3 : maxx > 12 ? 12 : maxx;
	for (;;) {
		a->nx = axes_ticks(a->x0, a->x1, maxx, a->xt, AXES_MAX_TICKS,
		    &a->xstep);
		size_t lw = widest_label(a->xt, a->nx, a->xstep) + 16;
		if (maxx <= 2 || (long)(lw * a->nx) <= pw)
			break;
		maxx--;
	}
	a->left = left;
	a->top = top;
	a->right = right > left + 10 ? right : left + 10;
	a->bottom = bottom > top + 10 ? bottom : top + 10;
}

static long
col_of(const struct axes *a, double x)
{
	long i = (long)floor(axes_px(a, x));
	return i < a->left ? a->left : i >= a->right ? a->right - 1 : i;
}

static long
row_of(const struct axes *a, double y)
{
	long j = (long)floor(axes_py(a, y));
	return j < a->top ? a->top : j >= a->bottom ? a->bottom - 1 : j;
}

void
axes_draw_grid(struct canvas *c, const struct axes *a)
{
	if (!a->grid)
		return;
	for (size_t i = 0; i < a->nx; i++) {
		long x = col_of(a, a->xt[i]);
		canvas_fill_rect(c, x, a->top, x + 1, a->bottom, GRID, 1);
	}
	for (size_t i = 0; i < a->ny; i++) {
		long y = row_of(a, a->yt[i]);
		canvas_fill_rect(c, a->left, y, a->right, y + 1, GRID, 1);
	}
}

void
axes_draw_frame(struct canvas *c, const struct axes *a)
{
	char buf[64];
	/* the frame sits just outside the plot area */
	canvas_stroke_rect(c, a->left - 1, a->top - 1, a->right + 1,
	    a->bottom + 1, 1, FRAME);
	for (size_t i = 0; i < a->nx; i++) {
		long x = col_of(a, a->xt[i]);
		canvas_fill_rect(c, x, a->bottom + 1, x + 1,
		    a->bottom + 1 + TICK_LEN, FRAME, 1);
		axes_format(a->xt[i], a->xstep, buf, sizeof buf);
		long w = (long)font_text_width(buf, 1);
		canvas_text(c, x - w / 2, a->bottom + 1 + TICK_LEN + TICK_GAP -
		    1, buf, 1, TEXT);
	}
	for (size_t i = 0; i < a->ny; i++) {
		long y = row_of(a, a->yt[i]);
		canvas_fill_rect(c, a->left - 1 - TICK_LEN, y, a->left - 1,
		    y + 1, FRAME, 1);
		axes_format(a->yt[i], a->ystep, buf, sizeof buf);
		long w = (long)font_text_width(buf, 1);
		canvas_text(c, a->left - 1 - TICK_LEN - TICK_GAP - w, y - 5,
		    buf, 1, TEXT);
	}
	if (a->logy) {          /* unlabelled minor ticks at 2..9 x 10^k */
		double e0 = floor(log10(a->y0)), e1 = ceil(log10(a->y1));
		for (double e = e0; e <= e1; e += 1)
			for (int m = 2; m <= 9; m++) {
				double v = m * pow(10, e);
				if (v < a->y0 || v > a->y1)
					continue;
				long y = row_of(a, v);
				canvas_fill_rect(c, a->left - 1 - TICK_LEN / 2 -
				    1, y, a->left - 1, y + 1, FRAME, 1);
			}
	}
	long mid = (a->left + a->right) / 2;
	if (a->title) {
		long w = (long)font_text_width(a->title, 2);
		canvas_text(c, mid - w / 2, PAD, a->title, 2, TEXT);
	}
	if (a->xlabel) {
		long w = (long)font_text_width(a->xlabel, 1);
		canvas_text(c, mid - w / 2, a->bottom + 1 + TICK_LEN +
		    TICK_GAP + FONT_H + 5, a->xlabel, 1, TEXT);
	}
	if (a->ylabel) {         /* next to the widest tick label */
		long h = (long)font_text_width(a->ylabel, 1);
		long x = a->left - 1 - TICK_LEN - TICK_GAP -
		    (long)widest_label(a->yt, a->ny, a->ystep) - 6 - FONT_H;
		canvas_text_up(c, x < PAD ? PAD : x, (a->top + a->bottom) / 2 -
		    h / 2, a->ylabel, 1, TEXT);
	}
}

#define LG_PAD 6
#define LG_SWATCH 22
#define LG_ROW (FONT_H + 5)

void
legend_size(const struct legend_item *it, size_t n, long *w, long *h)
{
	size_t tw = 0;
	for (size_t i = 0; i < n; i++) {
		size_t x = font_text_width(it[i].label, 1);
		if (x > tw)
			tw = x;
	}
	*w = LG_PAD + LG_SWATCH + LG_PAD + (long)tw + LG_PAD;
	*h = n ? 2 * LG_PAD + (long)n * LG_ROW - 5 : 0;
}

void
legend_draw(struct canvas *c, long x, long y, const struct legend_item *it,
    size_t n)
{
	long w, h;
	if (n == 0)
		return;
	legend_size(it, n, &w, &h);
	canvas_fill_rect(c, x, y, x + w, y + h, 0xffffffu, 0.85f);
	canvas_stroke_rect(c, x, y, x + w, y + h, 1, 0xccccccu);
	for (size_t i = 0; i < n; i++) {
		long ty = y + LG_PAD + (long)i * LG_ROW;
		double cy = (double)ty + 6;     /* mid cap height */
		double sx = (double)(x + LG_PAD);
		if (it[i].kind == LEGEND_POINT) {
			canvas_disc(c, sx + LG_SWATCH / 2.0, cy, 4.5,
			    it[i].color, 1);
		} else {
			double xy[4] = { sx, cy, sx + LG_SWATCH, cy };
			int dash = it[i].kind == LEGEND_DASH;
			canvas_polyline(c, xy, 2, 2, it[i].color, 1,
			    dash ? 5 : 0, 3);
			if (it[i].kind == LEGEND_LINE_POINT)
				canvas_disc(c, sx + LG_SWATCH / 2.0, cy, 3,
				    it[i].color, 1);
		}
		canvas_text(c, x + LG_PAD + LG_SWATCH + LG_PAD, ty,
		    it[i].label, 1, TEXT);
	}
}

int
legend_where_parse(const char *s, enum legend_where *w)
{
	static const char *names[] = { "best", "upper-right", "upper-left",
	    "lower-left", "lower-right", "outside", "none" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i]) == 0) {
			*w = (enum legend_where)i;
			return 0;
		}
	return -1;
}

void
legend_place(const struct axes *a, enum legend_where where, long w, long h,
    const double *pxy, size_t n, long *x, long *y)
{
	const long m = 8;
	long xs[4] = { a->right - m - w, a->left + m, a->left + m,
	    a->right - m - w };
	long ys[4] = { a->top + m, a->top + m, a->bottom - m - h,
	    a->bottom - m - h };
	int k = 0;
	switch (where) {
	case LEGEND_UPPER_RIGHT: k = 0; break;
	case LEGEND_UPPER_LEFT: k = 1; break;
	case LEGEND_LOWER_LEFT: k = 2; break;
	case LEGEND_LOWER_RIGHT: k = 3; break;
	case LEGEND_OUTSIDE:
	case LEGEND_NONE:
		*x = a->right + 12;
		*y = a->top;
		return;
	case LEGEND_BEST: {
		size_t best = (size_t)-1;
		for (int q = 0; q < 4; q++) {
			size_t cnt = 0;
			for (size_t i = 0; i < n; i++) {
				double px = pxy[2 * i], py = pxy[2 * i + 1];
				cnt += px >= xs[q] - m && px < xs[q] + w + m &&
				    py >= ys[q] - m && py < ys[q] + h + m;
			}
			if (cnt < best) {
				best = cnt;
				k = q;
			}
		}
		break;
	}
	}
	*x = xs[k];
	*y = ys[k];
}
