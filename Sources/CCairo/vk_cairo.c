// cairo, loaded on first use: every vk_cairo_X forwards to cairo_X found by dlsym in the library vk_cairo_load
// opened. See vk_cairo.h.
#include "vk_cairo.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

// X(name, return type, parameters, arguments): the functions returning a value, then the others.
#define CAIRO_VALUE_FUNCTIONS(X)                                                                               \
    X(image_surface_create, cairo_surface_t *, (int f, int w, int h), (f, w, h))                               \
    X(surface_write_to_png, cairo_status_t, (cairo_surface_t * s, const char *p), (s, p))                      \
    X(status_to_string, const char *, (cairo_status_t s), (s))                                                 \
    X(create, cairo_t *, (cairo_surface_t * s), (s))
#define CAIRO_VOID_FUNCTIONS(X)                                                                                \
    X(surface_destroy, void, (cairo_surface_t * s), (s))                                                       \
    X(destroy, void, (cairo_t * c), (c))                                                                       \
    X(save, void, (cairo_t * c), (c))                                                                          \
    X(restore, void, (cairo_t * c), (c))                                                                       \
    X(set_source_rgb, void, (cairo_t * c, double r, double g, double b), (c, r, g, b))                         \
    X(set_source_rgba, void, (cairo_t * c, double r, double g, double b, double a), (c, r, g, b, a))           \
    X(set_line_width, void, (cairo_t * c, double w), (c, w))                                                   \
    X(paint, void, (cairo_t * c), (c))                                                                         \
    X(fill, void, (cairo_t * c), (c))                                                                          \
    X(stroke, void, (cairo_t * c), (c))                                                                        \
    X(rectangle, void, (cairo_t * c, double x, double y, double w, double h), (c, x, y, w, h))                 \
    X(move_to, void, (cairo_t * c, double x, double y), (c, x, y))                                             \
    X(line_to, void, (cairo_t * c, double x, double y), (c, x, y))                                             \
    X(arc, void, (cairo_t * c, double x, double y, double r, double a1, double a2), (c, x, y, r, a1, a2))      \
    X(translate, void, (cairo_t * c, double x, double y), (c, x, y))                                           \
    X(rotate, void, (cairo_t * c, double a), (c, a))                                                           \
    X(select_font_face, void, (cairo_t * c, const char *f, int s, int w), (c, f, s, w))                        \
    X(set_font_size, void, (cairo_t * c, double s), (c, s))                                                    \
    X(show_text, void, (cairo_t * c, const char *t), (c, t))                                                   \
    X(text_extents, void, (cairo_t * c, const char *t, cairo_text_extents_t *e), (c, t, e))
#define CAIRO_FUNCTIONS(X) CAIRO_VALUE_FUNCTIONS(X) CAIRO_VOID_FUNCTIONS(X)

#define SLOT(name, ret, params, args) ret(*name) params;
static struct { CAIRO_FUNCTIONS(SLOT) } fn;
#undef SLOT

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded = -1;
static char failure[512];

static void load(void) {
    const char *path = getenv("VITKIT_CAIRO");
    if (!path || !*path) path = "libcairo.so.2";
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(failure, sizeof failure, "cannot load cairo (%s): %s", path, e ? e : "unknown error");
        return;
    }
#define FIND(name, ret, params, args)                                                                          \
    if (!(*(void **)&fn.name = dlsym(lib, "cairo_" #name))) {                                                   \
        snprintf(failure, sizeof failure, "%s has no cairo_%s (cairo too old?)", path, #name);                  \
        return;                                                                                                \
    }
    CAIRO_FUNCTIONS(FIND)
#undef FIND
    loaded = 0;
}

int vk_cairo_load(char *err, size_t n) {
    pthread_once(&once, load);
    if (loaded != 0 && err && n) snprintf(err, n, "%s", failure);
    return loaded;
}

// The forwarders. Without cairo (vk_cairo_load failed or was not called) they draw nothing and return NULL,
// or for the PNG write a status that is not success, whose string says why.
#define FORWARD_VOID(name, ret, params, args)                                                                  \
    void vk_cairo_##name params {                                                                              \
        if (loaded == 0) fn.name args;                                                                         \
    }
CAIRO_VOID_FUNCTIONS(FORWARD_VOID)
#undef FORWARD_VOID

cairo_surface_t *vk_cairo_image_surface_create(int f, int w, int h) { return loaded == 0 ? fn.image_surface_create(f, w, h) : NULL; }
cairo_t *vk_cairo_create(cairo_surface_t *s) { return loaded == 0 ? fn.create(s) : NULL; }
cairo_status_t vk_cairo_surface_write_to_png(cairo_surface_t *s, const char *p) {
    return loaded == 0 ? fn.surface_write_to_png(s, p) : -1;
}
const char *vk_cairo_status_to_string(cairo_status_t s) {
    if (loaded == 0 && s >= 0) return fn.status_to_string(s);
    return loaded == 0 ? "unknown cairo status" : failure;
}
