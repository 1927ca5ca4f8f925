#include "reader.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The pending error. Strings are fixed buffers: no allocation on the failure path.
static struct {
    int kind;
    char a[4096], b[4096], c[4096];  // operation / dataset / object …, second and third fields
    uint64_t number;
    char stack[64][512];
    int depth;
} pending;

static herr_t collect(unsigned n, const H5E_error2_t *e, void *data) {
    (void)n;
    (void)data;
    if (pending.depth >= 64) return 0;
    char minor[256] = "";
    ssize_t got = H5Eget_msg(e->min_num, NULL, minor, sizeof minor);
    const char *function = e->func_name ? e->func_name : "?";
    const char *desc = e->desc ? e->desc : "";
    if (got > 0 && minor[0])
        snprintf(pending.stack[pending.depth], 512, "%s(): %s (%s)", function, desc, minor);
    else
        snprintf(pending.stack[pending.depth], 512, "%s(): %s", function, desc);
    pending.depth++;
    return 0;
}

int fail_library(const char *fmt, ...) {
    pending.kind = ERR_LIBRARY;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pending.a, sizeof pending.a, fmt, ap);
    va_end(ap);
    pending.depth = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect, NULL);
    H5Eclear2(H5E_DEFAULT);
    return -1;
}

int fail_unsupported_type(const char *dataset, const char *cls, const char *fmt, ...) {
    pending.kind = ERR_UNSUPPORTED_TYPE;
    snprintf(pending.a, sizeof pending.a, "%s", dataset);
    snprintf(pending.b, sizeof pending.b, "%s", cls);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pending.c, sizeof pending.c, fmt, ap);
    va_end(ap);
    return 0;
}

int fail_unknown_opaque(const char *dataset, size_t size, const char *tag) {
    pending.kind = ERR_UNKNOWN_OPAQUE;
    snprintf(pending.a, sizeof pending.a, "%s", dataset);
    snprintf(pending.b, sizeof pending.b, "%s", tag);
    pending.number = size;
    return 0;
}

int fail_dataspace(const char *dataset, const char *kind) {
    pending.kind = ERR_UNSUPPORTED_DATASPACE;
    snprintf(pending.a, sizeof pending.a, "%s", dataset);
    snprintf(pending.b, sizeof pending.b, "%s", kind);
    return 0;
}

int fail_link_cycle(const char *path) {
    pending.kind = ERR_LINK_CYCLE;
    snprintf(pending.a, sizeof pending.a, "%s", path);
    return -1;
}

int fail_attribute(const char *object, const char *attribute, const char *fmt, ...) {
    pending.kind = ERR_UNSUPPORTED_ATTRIBUTE;
    snprintf(pending.a, sizeof pending.a, "%s", object);
    snprintf(pending.b, sizeof pending.b, "%s", attribute);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pending.c, sizeof pending.c, fmt, ap);
    va_end(ap);
    return -1;
}

int failure_kind(void) { return pending.kind; }

void failure_clear(void) {
    pending.kind = ERR_LIBRARY;
    pending.depth = 0;
    pending.a[0] = pending.b[0] = pending.c[0] = 0;
}

void wire_failure(void) {
    wire_u8((uint8_t)pending.kind);
    switch (pending.kind) {
    case ERR_LIBRARY:
        wire_str(pending.a);
        wire_u32((uint32_t)pending.depth);
        for (int i = 0; i < pending.depth; i++) wire_str(pending.stack[i]);
        break;
    case ERR_UNSUPPORTED_TYPE:
    case ERR_UNSUPPORTED_ATTRIBUTE:
        wire_str(pending.a);
        wire_str(pending.b);
        wire_str(pending.c);
        break;
    case ERR_UNKNOWN_OPAQUE:
        wire_str(pending.a);
        wire_u64(pending.number);
        wire_str(pending.b);
        break;
    case ERR_UNSUPPORTED_DATASPACE:
        wire_str(pending.a);
        wire_str(pending.b);
        break;
    default:  // ERR_LINK_CYCLE
        wire_str(pending.a);
        break;
    }
}
