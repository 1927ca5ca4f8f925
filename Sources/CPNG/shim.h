#ifndef VITKIT_CPNG_SHIM_H
#define VITKIT_CPNG_SHIM_H
// libpng's reader behind two calls that never exit the process: libpng's errors longjmp back here
// (setjmp must live in C, Swift cannot call it) and its warnings are dropped. Each call returns 0 on
// success, otherwise 1 with libpng's message in `message` (VITKIT_PNG_MESSAGE_LENGTH bytes).
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <png.h>

#define VITKIT_PNG_MESSAGE_LENGTH 200

typedef struct {
    unsigned int width, height;
    int bitDepth;      ///< 1, 2, 4, 8 or 16
    int colorType;     ///< PNG_COLOR_TYPE_* (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA)
    int interlaced;    ///< 1 for Adam7
    unsigned char exif[4096];  ///< the start of an eXIf chunk read before the image data (TIFF bytes), if any
    unsigned int exifLength;   ///< bytes in `exif` (0: none)
} vitkit_png_info;

typedef struct {
    const unsigned char *data;
    size_t size, offset;
    char *message;
} vitkit_png_reader;

static void vitkit_png_read(png_structp png, png_bytep out, png_size_t count) {
    vitkit_png_reader *r = (vitkit_png_reader *)png_get_io_ptr(png);
    if (count > r->size - r->offset) png_error(png, "file ends early (truncated)");
    memcpy(out, r->data + r->offset, count);
    r->offset += count;
}

static void vitkit_png_error(png_structp png, png_const_charp text) {
    vitkit_png_reader *r = (vitkit_png_reader *)png_get_error_ptr(png);
    snprintf(r->message, VITKIT_PNG_MESSAGE_LENGTH, "%s", text);
    png_longjmp(png, 1);
}

static void vitkit_png_warning(png_structp png, png_const_charp text) { (void)png; (void)text; }

/// Opens the PNG in `data` up to its header chunks; `rows` null reads only the header.
/// `rows` non-null: decodes to 8-bit RGBA rows of width × 4 bytes into `rows` (capacity bytes): palette expanded,
/// grey replicated, tRNS turned into alpha, opaque 255 added when there is no alpha, 16-bit samples cut to their
/// high byte, Adam7 deinterlaced; no gamma or colour management (as Pillow).
static inline int vitkit_png_run(const unsigned char *data, size_t size, vitkit_png_info *info,
                                 unsigned char *rows, size_t capacity, char *message) {
    vitkit_png_reader reader = {data, size, 0, message};
    message[0] = 0;
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(message, VITKIT_PNG_MESSAGE_LENGTH, "not a PNG signature");
        return 1;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, vitkit_png_error, vitkit_png_warning);
    if (!png) { snprintf(message, VITKIT_PNG_MESSAGE_LENGTH, "out of memory"); return 1; }
    png_infop pinfo = png_create_info_struct(png);
    if (!pinfo) { png_destroy_read_struct(&png, NULL, NULL); snprintf(message, VITKIT_PNG_MESSAGE_LENGTH, "out of memory"); return 1; }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &pinfo, NULL);
        return 1;
    }
    png_set_read_fn(png, &reader, vitkit_png_read);
    png_read_info(png, pinfo);
    info->width = png_get_image_width(png, pinfo);
    info->height = png_get_image_height(png, pinfo);
    info->bitDepth = png_get_bit_depth(png, pinfo);
    info->colorType = png_get_color_type(png, pinfo);
    info->interlaced = png_get_interlace_type(png, pinfo) == PNG_INTERLACE_ADAM7;
    info->exifLength = 0;
#ifdef PNG_eXIf_SUPPORTED
    png_uint_32 exifCount = 0;
    png_bytep exif = NULL;
    if (png_get_eXIf_1(png, pinfo, &exifCount, &exif) && exif && exifCount > 0) {
        info->exifLength = exifCount < sizeof(info->exif) ? exifCount : (unsigned int)sizeof(info->exif);
        memcpy(info->exif, exif, info->exifLength);
    }
#endif
    if (rows) {
        png_set_expand(png);            // palette → RGB, grey 1/2/4 → 8, tRNS → alpha
        png_set_strip_16(png);
        png_set_gray_to_rgb(png);
        png_set_add_alpha(png, 0xFF, PNG_FILLER_AFTER);  // no effect when alpha is already there
        int passes = png_set_interlace_handling(png);
        png_read_update_info(png, pinfo);
        size_t stride = png_get_rowbytes(png, pinfo);
        if (stride != (size_t)info->width * 4 || stride * info->height > capacity) {
            snprintf(message, VITKIT_PNG_MESSAGE_LENGTH, "decoded rows of %zu bytes do not fit the buffer", stride);
            png_destroy_read_struct(&png, &pinfo, NULL);
            return 1;
        }
        for (int pass = 0; pass < passes; pass++)
            for (unsigned int y = 0; y < info->height; y++)
                png_read_row(png, rows + stride * y, NULL);
    }
    png_destroy_read_struct(&png, &pinfo, NULL);
    return 0;
}
#endif
