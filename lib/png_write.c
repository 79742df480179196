/* png_write.c - PNG output and input through libpng: see png_write.h. */
#include "png_write.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctx {
	char *err;
	size_t errlen;
	const char *path;
};

static void
on_error(png_structp png, png_const_charp msg)
{
	struct ctx *x = png_get_error_ptr(png);
	snprintf(x->err, x->errlen, "%s: %s", x->path, msg);
	png_longjmp(png, 1);
}

/* libpng's own reader says only "Read Error" for a file cut short */
static void
read_data(png_structp png, png_bytep data, size_t n)
{
	FILE *fp = png_get_io_ptr(png);
	if (fread(data, 1, n, fp) != n)
		png_error(png, ferror(fp) ? strerror(errno) :
		    "truncated PNG data");
}

static void
on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;             /* warnings (e.g. a bad optional chunk) */
}

/* fwrite with the system's reason on failure (libpng says only
 * "Write Error"). */
static void
write_fn(png_structp png, png_bytep data, size_t n)
{
	FILE *fp = png_get_io_ptr(png);
	errno = 0;
	if (fwrite(data, 1, n, fp) != n)
		png_error(png, errno ? strerror(errno) : "write error");
}

static void
flush_fn(png_structp png)
{
	FILE *fp = png_get_io_ptr(png);
	errno = 0;
	if (fflush(fp) != 0)
		png_error(png, errno ? strerror(errno) : "write error");
}

int
png_write_rgb(const char *path, const uint8_t *rgb, size_t W, size_t H,
    char *err, size_t errlen)
{
	int to_stdout = strcmp(path, "-") == 0;
	struct ctx x = { err, errlen, to_stdout ? "stdout" : path };
	FILE *volatile fp = to_stdout ? stdout : fopen(path, "wb");
	png_structp png = NULL;
	png_infop info = NULL;
	png_bytep *volatile rows = NULL;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (W == 0 || H == 0 || W > 0x7fffffff || H > 0x7fffffff) {
		snprintf(err, errlen, "%s: bad image size %zux%zu", path, W, H);
		goto fail_file;
	}
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &x, on_error,
	    on_warning);
	if (png == NULL || (info = png_create_info_struct(png)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	rows = malloc(H * sizeof *rows);
	if (rows == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (setjmp(png_jmpbuf(png)))
		goto fail;
	for (size_t j = 0; j < H; j++)
		rows[j] = (png_bytep)(rgb + 3 * W * j);
	png_set_write_fn(png, fp, write_fn, flush_fn);
	png_set_IHDR(png, info, (png_uint_32)W, (png_uint_32)H, 8,
	    PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	/* sRGB, with the gAMA 1/2.2 and cHRM the PNG spec recommends
	 * writers add for readers that ignore sRGB (PNG spec 11.3.3.5). */
	png_set_sRGB_gAMA_and_cHRM(png, info, PNG_sRGB_INTENT_PERCEPTUAL);
	png_set_compression_level(png, 6);
	png_write_info(png, info);
	png_write_image(png, rows);
	png_write_end(png, NULL);
	png_write_flush(png);
	png_destroy_write_struct(&png, &info);
	free(rows);
	if (to_stdout) {
		if (fflush(fp) != 0 || ferror(fp)) {
			snprintf(err, errlen, "%s: %s", "stdout",
			    strerror(errno));
			return -1;
		}
		return 0;
	}
	if (ferror(fp) || fclose(fp) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
fail:
	png_destroy_write_struct(&png, &info);
	free(rows);
fail_file:
	if (!to_stdout)
		fclose(fp);
	return -1;
}

int
png_read_rgb(const char *path, uint8_t **out, size_t *outW, size_t *outH,
    struct png_facts *facts, char *err, size_t errlen)
{
	struct ctx x = { err, errlen, path };
	int from_stdin = strcmp(path, "-") == 0;
	FILE *volatile fp = from_stdin ? stdin : fopen(path, "rb");
	png_structp png = NULL;
	png_infop info = NULL;
	png_bytep *volatile rows = NULL;
	uint8_t *volatile px = NULL;
	uint8_t *volatile rgb = NULL;
	unsigned char sig[8];

	*out = NULL;
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fread(sig, 1, 8, fp) != 8 || png_sig_cmp(sig, 0, 8) != 0) {
		/* a read error (a directory) is not a wrong signature */
		if (ferror(fp))
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		else
			snprintf(err, errlen, "%s: not a PNG file", path);
		goto fail_file;
	}
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &x, on_error,
	    on_warning);
	if (png == NULL || (info = png_create_info_struct(png)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (setjmp(png_jmpbuf(png)))
		goto fail;
	png_set_read_fn(png, fp, read_data);
	png_set_sig_bytes(png, 8);
	png_set_user_limits(png, 1u << 15, 1u << 15);
	png_read_info(png, info);

	size_t W = png_get_image_width(png, info);
	size_t H = png_get_image_height(png, info);
	int color = png_get_color_type(png, info);
	if (facts) {
		memset(facts, 0, sizeof *facts);
		facts->W = W;
		facts->H = H;
		facts->bit_depth = png_get_bit_depth(png, info);
		facts->color_type = color;
		facts->interlaced = png_get_interlace_type(png, info) !=
		    PNG_INTERLACE_NONE;
		facts->has_srgb = png_get_valid(png, info, PNG_INFO_sRGB) != 0;
		facts->has_gama = png_get_valid(png, info, PNG_INFO_gAMA) != 0;
		facts->has_chrm = png_get_valid(png, info, PNG_INFO_cHRM) != 0;
		facts->has_time = png_get_valid(png, info, PNG_INFO_tIME) != 0;
		facts->has_text = png_get_text(png, info, NULL, NULL) > 0;
	}
	png_set_expand(png);
	png_set_strip_16(png);
	if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA)
		png_set_gray_to_rgb(png);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	size_t ch = png_get_channels(png, info);
	size_t rowbytes = png_get_rowbytes(png, info);
	if ((ch != 3 && ch != 4) || rowbytes != W * ch) {
		snprintf(err, errlen, "%s: unsupported pixel layout", path);
		goto fail;
	}
	px = malloc(H * rowbytes);
	rows = malloc(H * sizeof *rows);
	rgb = malloc(W * H * 3);
	if (px == NULL || rows == NULL || rgb == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	for (size_t j = 0; j < H; j++)
		rows[j] = px + j * rowbytes;
	png_read_image(png, rows);
	png_read_end(png, NULL);
	for (size_t i = 0; i < W * H; i++) {
		if (ch == 3) {
			memcpy(rgb + 3 * i, px + 3 * i, 3);
			continue;
		}
		/* composite over white, rounded: v*a/255 + 255*(1-a/255) */
		unsigned a = px[4 * i + 3];
		for (size_t k = 0; k < 3; k++) {
			unsigned v = px[4 * i + k];
			rgb[3 * i + k] = (uint8_t)((v * a + 255u * (255u - a) +
			    127u) / 255u);
		}
	}
	png_destroy_read_struct(&png, &info, NULL);
	free(rows);
	free(px);
	if (!from_stdin)
		fclose(fp);
	*out = rgb;
	*outW = W;
	*outH = H;
	return 0;
fail:
	png_destroy_read_struct(&png, &info, NULL);
	free(rows);
	free(px);
	free(rgb);
fail_file:
	if (!from_stdin)
		fclose(fp);
	return -1;
}
