#ifndef VITKIT_VK_CAIRO_H
#define VITKIT_VK_CAIRO_H
// The part of cairo ViTPlot draws its PNG figures with, loaded on first use (dlopen of libcairo.so.2) instead of
// linked: a tool that draws no figure maps none of cairo's libraries (pixman, freetype, fontconfig, X11 …,
// ~3 MiB of resident memory at every start). Types and constants are cairo's own (the same struct tags and
// values as <cairo.h>), so nothing here needs cairo's headers to build; each vk_cairo_X calls cairo_X.
#include <stddef.h>

typedef struct _cairo cairo_t;
typedef struct _cairo_surface cairo_surface_t;
typedef int cairo_status_t;
typedef struct {
    double x_bearing, y_bearing, width, height, x_advance, y_advance;
} cairo_text_extents_t;

#define CAIRO_STATUS_SUCCESS 0
#define CAIRO_FORMAT_RGB24 1
#define CAIRO_FONT_SLANT_NORMAL 0
#define CAIRO_FONT_WEIGHT_NORMAL 0
#define CAIRO_FONT_WEIGHT_BOLD 1

/// Loads cairo (once; thread-safe): the library `VITKIT_CAIRO` names if set, else libcairo.so.2, then every
/// function below. Returns 0, or -1 with a message (the loader's, or the missing symbol) in err[0..<n].
/// Call it before any vk_cairo_* function: those do nothing (or return NULL / an error status) without it.
int vk_cairo_load(char *err, size_t n);

cairo_surface_t *vk_cairo_image_surface_create(int format, int width, int height);
cairo_status_t vk_cairo_surface_write_to_png(cairo_surface_t *surface, const char *filename);
void vk_cairo_surface_destroy(cairo_surface_t *surface);
const char *vk_cairo_status_to_string(cairo_status_t status);
cairo_t *vk_cairo_create(cairo_surface_t *target);
void vk_cairo_destroy(cairo_t *cr);
void vk_cairo_save(cairo_t *cr);
void vk_cairo_restore(cairo_t *cr);
void vk_cairo_set_source_rgb(cairo_t *cr, double r, double g, double b);
void vk_cairo_set_source_rgba(cairo_t *cr, double r, double g, double b, double a);
void vk_cairo_set_line_width(cairo_t *cr, double width);
void vk_cairo_paint(cairo_t *cr);
void vk_cairo_fill(cairo_t *cr);
void vk_cairo_stroke(cairo_t *cr);
void vk_cairo_rectangle(cairo_t *cr, double x, double y, double w, double h);
void vk_cairo_move_to(cairo_t *cr, double x, double y);
void vk_cairo_line_to(cairo_t *cr, double x, double y);
void vk_cairo_arc(cairo_t *cr, double xc, double yc, double radius, double angle1, double angle2);
void vk_cairo_translate(cairo_t *cr, double tx, double ty);
void vk_cairo_rotate(cairo_t *cr, double angle);
void vk_cairo_select_font_face(cairo_t *cr, const char *family, int slant, int weight);
void vk_cairo_set_font_size(cairo_t *cr, double size);
void vk_cairo_show_text(cairo_t *cr, const char *utf8);
void vk_cairo_text_extents(cairo_t *cr, const char *utf8, cairo_text_extents_t *extents);
#endif
