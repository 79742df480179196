/*
 * canvas.h - a raster of 8-bit RGB pixels and the few things a plot
 * draws on it: alpha-blended antialiased discs and lines, rectangles,
 * bitmap text and image blits.
 *
 * Coordinates: pixel (i, j) covers [i, i+1) x [j, j+1), x to the right,
 * y down; its centre is (i + 0.5, j + 0.5).  Shapes given in double
 * coordinates (discs, lines) are antialiased by the distance from each
 * pixel centre to the shape's edge; rectangles and text are given in
 * whole pixels and drawn crisp.  Blending is "over" in sRGB byte values
 * (as matplotlib's Agg does), rounded to nearest: results depend only on
 * the order of drawing calls, never on threads.
 *
 * Colours are 0xRRGGBB.  Everything is clipped to the clip rectangle
 * (the whole canvas unless canvas_clip narrows it).
 */
#ifndef CANVAS_H
#define CANVAS_H

#include <stddef.h>
#include <stdint.h>

struct canvas {
	size_t W, H;
	uint8_t *rgb;             /* [H,W,3] */
	float *mask;              /* [H,W] polyline coverage scratch, 0 */
	long cx0, cy0, cx1, cy1;  /* clip rectangle, half-open */
};

/* Allocate a W x H canvas filled with bg; 0, or -1 when out of memory. */
int canvas_init(struct canvas *c, size_t W, size_t H, uint32_t bg);
void canvas_free(struct canvas *c);

/* Restrict drawing to [x0,x1) x [y0,y1) (intersected with the canvas);
 * canvas_unclip restores the whole canvas. */
void canvas_clip(struct canvas *c, long x0, long y0, long x1, long y1);
void canvas_unclip(struct canvas *c);

/* Blend colour over pixel (x, y) with opacity a in [0, 1]. */
void canvas_blend(struct canvas *c, long x, long y, uint32_t color,
                  float a);
uint32_t canvas_get(const struct canvas *c, size_t x, size_t y);

/* Fill [x0,x1) x [y0,y1). */
void canvas_fill_rect(struct canvas *c, long x0, long y0, long x1, long y1,
                      uint32_t color, float alpha);
/* Outline of [x0,x1) x [y0,y1), t pixels thick, inside the rectangle. */
void canvas_stroke_rect(struct canvas *c, long x0, long y0, long x1,
                        long y1, long t, uint32_t color);

/* Antialiased disc of radius r centred at (x, y). */
void canvas_disc(struct canvas *c, double x, double y, double r,
                 uint32_t color, float alpha);

/*
 * Antialiased polyline through n points xy[2i], xy[2i+1], width in
 * pixels.  A NaN coordinate breaks the line.  Coverage is accumulated
 * as a maximum before blending, so joints and overlaps of one call are
 * blended once (a faint line stays uniformly faint).  dash > 0 draws a
 * dashed line: dash pixels on, gap pixels off, measured along the path.
 */
void canvas_polyline(struct canvas *c, const double *xy, size_t n,
                     double width, uint32_t color, float alpha,
                     double dash, double gap);

/*
 * Text in the built-in font at integer scale, one line, top-left corner
 * at (x, y).  canvas_text_up draws it rotated a quarter turn
 * counter-clockwise (reading bottom to top) with the rotated box's
 * top-left corner at (x, y).
 */
void canvas_text(struct canvas *c, long x, long y, const char *s,
                 size_t scale, uint32_t color);
void canvas_text_up(struct canvas *c, long x, long y, const char *s,
                    size_t scale, uint32_t color);

/*
 * Copy an image with nearest-neighbour upscaling by an integer factor:
 * src is [H,W,3] interleaved (planar = 0) or [3,H,W] (planar = 1).  Its
 * top-left corner lands on (x, y).
 */
void canvas_blit(struct canvas *c, long x, long y, const uint8_t *src,
                 size_t W, size_t H, int planar, size_t scale);

#endif
