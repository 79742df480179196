/*
 * png_write.h - PNG files through libpng: write 8-bit RGB with the sRGB
 * chunk (plus the gAMA and cHRM that png_set_sRGB_gAMA_and_cHRM adds)
 * and nothing time-dependent, so the same pixels give the same bytes;
 * read any PNG back as 8-bit RGB.
 *
 * Functions return 0, or -1 with a message in err (errlen bytes).
 */
#ifndef PNG_WRITE_H
#define PNG_WRITE_H

#include <stddef.h>
#include <stdint.h>

/* What a file declares, as read (before conversion to RGB). */
struct png_facts {
	size_t W, H;
	int bit_depth;
	int color_type;           /* PNG_COLOR_TYPE_* value */
	int interlaced;
	int has_srgb, has_gama, has_chrm, has_time, has_text;
};

/* Write rgb [H,W,3] to path ("-" is stdout). */
int png_write_rgb(const char *path, const uint8_t *rgb, size_t W, size_t H,
                  char *err, size_t errlen);

/*
 * Read path ("-" is stdin) into a new [H,W,3] buffer (caller frees):
 * palette and grey are expanded, 16-bit reduced to 8, alpha composited
 * over white.  facts, if not NULL, receives what the file declared.
 */
int png_read_rgb(const char *path, uint8_t **rgb, size_t *W, size_t *H,
                 struct png_facts *facts, char *err, size_t errlen);

#endif
