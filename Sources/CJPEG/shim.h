#ifndef VITKIT_CJPEG_SHIM_H
#define VITKIT_CJPEG_SHIM_H
// libjpeg-turbo's decompressor behind two calls that never exit the process: libjpeg's `error_exit`
// longjmps back here (setjmp must live in C, Swift cannot call it), and a premature end of data, which
// libjpeg only warns about and pads with grey, is an error too (as in Pillow). Each call returns 0 on
// success, otherwise 1 with libjpeg's message in `message` (VITKIT_JPEG_MESSAGE_LENGTH bytes).
#include <stddef.h>
#include <stdio.h>
#include <setjmp.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

#define VITKIT_JPEG_MESSAGE_LENGTH JMSG_LENGTH_MAX

/// What the header says, and the output size for the requested scale.
typedef struct {
    int width, height;            ///< the stored image size
    int components;               ///< colour components in the file (1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK)
    int colorSpace;               ///< libjpeg's J_COLOR_SPACE of the file
    int adobe;                    ///< 1 when an Adobe APP14 marker was seen (CMYK stored inverted)
    int outputWidth, outputHeight;///< after DCT scaling by 1/scaleDenom
} vitkit_jpeg_info;

struct vitkit_jpeg_error {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char *message;
};

static void vitkit_jpeg_error_exit(j_common_ptr cinfo) {
    struct vitkit_jpeg_error *e = (struct vitkit_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->message);
    longjmp(e->jump, 1);
}

static void vitkit_jpeg_emit_message(j_common_ptr cinfo, int level) {
    struct vitkit_jpeg_error *e = (struct vitkit_jpeg_error *)cinfo->err;
    if (level >= 0) return;  // trace messages
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        (*cinfo->err->format_message)(cinfo, e->message);
        longjmp(e->jump, 1);
    }
    cinfo->err->num_warnings++;
}

static inline void vitkit_jpeg_setup(struct jpeg_decompress_struct *cinfo, struct vitkit_jpeg_error *err, char *message) {
    cinfo->err = jpeg_std_error(&err->pub);
    err->pub.error_exit = vitkit_jpeg_error_exit;
    err->pub.emit_message = vitkit_jpeg_emit_message;
    err->message = message;
    message[0] = 0;
}

/// Reads the header of the JPEG in `data` and the output size at 1/`scaleDenom` (1, 2, 4 or 8).
static inline int vitkit_jpeg_header(const unsigned char *data, unsigned long size, int scaleDenom,
                                     vitkit_jpeg_info *info, char *message) {
    struct jpeg_decompress_struct cinfo;
    struct vitkit_jpeg_error err;
    vitkit_jpeg_setup(&cinfo, &err, message);
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    info->components = cinfo.num_components;
    info->colorSpace = (int)cinfo.jpeg_color_space;
    info->adobe = cinfo.saw_Adobe_marker ? 1 : 0;
    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned int)scaleDenom;
    jpeg_calc_output_dimensions(&cinfo);
    info->outputWidth = (int)cinfo.output_width;
    info->outputHeight = (int)cinfo.output_height;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

/// Decodes the JPEG in `data` into `out` (rows of outputWidth × channels bytes): RGB (channels 3, grey and
/// YCbCr converted by libjpeg with its default islow DCT and fancy upsampling, as Pillow) or, for CMYK/YCCK
/// files, CMYK (channels 4, as stored). Fails when `capacity` is too small for the output.
static inline int vitkit_jpeg_decode(const unsigned char *data, unsigned long size, int scaleDenom, int channels,
                                     unsigned char *out, size_t capacity, char *message) {
    struct jpeg_decompress_struct cinfo;
    struct vitkit_jpeg_error err;
    vitkit_jpeg_setup(&cinfo, &err, message);
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = channels == 4 ? JCS_CMYK : JCS_RGB;
    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned int)scaleDenom;
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    if (cinfo.output_components != channels || stride * (size_t)cinfo.output_height > capacity) {
        snprintf(message, JMSG_LENGTH_MAX, "output of %ux%u with %d components does not fit the buffer",
                 cinfo.output_width, cinfo.output_height, cinfo.output_components);
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}
#endif
