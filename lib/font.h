/*
 * font.h - the built-in bitmap font: printable ASCII (32..126) in an
 * 8x13 cell, drawn for this project (no outside glyph data).
 *
 * Cell layout (rows top to bottom): row 0 is blank, capitals and digits
 * occupy rows 1..9 (the baseline is under row 9), lowercase x-height is
 * rows 4..9, descenders use rows 10..12.  Column 7 is always blank, so
 * glyphs set side by side keep at least one pixel between them.
 */
#ifndef VT_FONT_H
#define VT_FONT_H

#include <stddef.h>
#include <stdint.h>

#define FONT_W 8          /* cell width, pixels (advance) */
#define FONT_H 13         /* cell height, pixels (line height) */
#define FONT_BASELINE 10  /* first row below the baseline */

/*
 * The glyph of c as FONT_H row bitmasks (bit 7 - col is column col,
 * i.e. the most significant bit is the leftmost pixel).  Characters
 * outside 32..126 get the '?' glyph.
 */
const uint8_t *font_glyph(int c);

/* Width and height in pixels of s drawn at integer scale (one line). */
size_t font_text_width(const char *s, size_t scale);
size_t font_text_height(size_t scale);

#endif
