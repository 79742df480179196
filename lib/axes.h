/*
 * axes.h - a 2-D plot's frame: data limits mapped onto a pixel
 * rectangle, tick positions at "nice" numbers (1, 2 or 5 times a power
 * of ten; decades on a log axis), their labels, axis labels, a title and
 * a legend box, all in the built-in font on a canvas.
 */
#ifndef AXES_H
#define AXES_H

#include <stddef.h>
#include <stdint.h>

#include "canvas.h"

#define AXES_MAX_TICKS 64

struct axes {
	long left, top, right, bottom;  /* plot area [left,right) x [top,bottom) */
	double x0, x1, y0, y1;          /* data limits (y0 at the bottom) */
	int logy;                       /* y mapped through log10 */
	const char *title, *xlabel, *ylabel;   /* NULL: none */
	int grid;                       /* light grid lines at the ticks */
	size_t nx, ny;                  /* ticks, filled by axes_layout */
	double xt[AXES_MAX_TICKS], yt[AXES_MAX_TICKS];
	double xstep, ystep;            /* linear tick steps (0 on log) */
};

/*
 * Nice ticks in [lo, hi]: the smallest step of 1, 2 or 5 times a power
 * of ten that gives at most max_ticks of them.  Writes up to cap ticks
 * (multiples of the step) and the step; returns the count.
 */
size_t axes_ticks(double lo, double hi, size_t max_ticks, double *ticks,
                  size_t cap, double *step);
/*
 * Log-axis ticks in [lo, hi] (lo > 0): every power of ten, adding 2x
 * and 5x when fewer than two decades fall in the range.
 */
size_t axes_log_ticks(double lo, double hi, double *ticks, size_t cap);
/* A tick label for v on an axis with step (0: log axis). */
void axes_format(double v, double step, char *buf, size_t len);

/*
 * Place the plot area in a W x H figure, leaving room for the title,
 * axis labels, tick labels and reserve_right pixels on the right (a
 * legend outside the plot), and choose the ticks.  Limits must be set.
 */
void axes_layout(struct axes *a, size_t W, size_t H, long reserve_right);

/* Data to pixel coordinates (continuous: pixel i covers [i, i+1)). */
double axes_px(const struct axes *a, double x);
double axes_py(const struct axes *a, double y);

/* The grid, drawn under the data. */
void axes_draw_grid(struct canvas *c, const struct axes *a);
/* Frame, ticks, tick labels, axis labels and title, drawn over it. */
void axes_draw_frame(struct canvas *c, const struct axes *a);

enum legend_kind { LEGEND_POINT, LEGEND_LINE, LEGEND_DASH, LEGEND_LINE_POINT };

struct legend_item {
	const char *label;
	uint32_t color;
	enum legend_kind kind;
};

/* Size of the legend box for n items. */
void legend_size(const struct legend_item *it, size_t n, long *w, long *h);
/* Draw the box with its top-left corner at (x, y). */
void legend_draw(struct canvas *c, long x, long y,
                 const struct legend_item *it, size_t n);

enum legend_where {
	LEGEND_BEST, LEGEND_UPPER_RIGHT, LEGEND_UPPER_LEFT,
	LEGEND_LOWER_LEFT, LEGEND_LOWER_RIGHT, LEGEND_OUTSIDE, LEGEND_NONE
};
/* Parse "best", "upper-right", ..., "outside", "none"; -1 if unknown. */
int legend_where_parse(const char *s, enum legend_where *w);

/*
 * Top-left corner for a w x h legend inside the plot area.  For
 * LEGEND_BEST, the corner covering the fewest of the n pixel positions
 * pxy [n,2] (ties: upper right, upper left, lower left, lower right).
 */
void legend_place(const struct axes *a, enum legend_where where, long w,
                  long h, const double *pxy, size_t n, long *x, long *y);

#endif
