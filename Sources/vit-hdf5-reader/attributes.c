// Attributes as numbers or strings: the C twin of Sources/ViTHDF5/HDF5AttributeReader.swift.
#include "reader.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    int kind;
    size_t count;
    int64_t *ints;
    double *floats;
    char **strings;
    size_t *lengths;
} Value;

static void value_free(Value *v) {
    free(v->ints);
    free(v->floats);
    if (v->strings) for (size_t i = 0; i < v->count; i++) free(v->strings[i]);
    free(v->strings);
    free(v->lengths);
    memset(v, 0, sizeof *v);
}

static void *checked_calloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size);
    if (!p) _exit(3);
    return p;
}

static int read_integers(hid_t attribute, hid_t type, H5T_class_t cls, Value *v, const char *name, const char *object) {
    size_t count = v->count;
    v->ints = checked_calloc(count, sizeof(int64_t));
    if (cls == H5T_INTEGER) {
        if (H5Tget_size(type) == 8 && H5Tget_sign(type) == H5T_SGN_NONE) {
            uint64_t *u = checked_calloc(count, 8);
            if (H5Aread(attribute, H5T_NATIVE_UINT64, u) < 0) { free(u); return fail_library("reading attribute '%s' of '%s'", name, object); }
            for (size_t i = 0; i < count; i++) {
                if (u[i] > (uint64_t)INT64_MAX) {
                    unsigned long long bad = u[i];
                    free(u);
                    return fail_attribute(object, name, "unsigned value %llu exceeds Int64", bad);
                }
                v->ints[i] = (int64_t)u[i];
            }
            free(u);
            return 0;
        }
        if (H5Aread(attribute, H5T_NATIVE_INT64, v->ints) < 0) return fail_library("reading attribute '%s' of '%s'", name, object);
        return 0;
    }
    hid_t base = H5Tget_super(type);
    if (base < 0) return fail_library("reading the base type of attribute '%s' of '%s'", name, object);
    if (H5Tget_class(base) != H5T_INTEGER) { H5Tclose(base); return fail_attribute(object, name, "enum over a non-integer type"); }
    int is_signed = H5Tget_sign(base) == H5T_SGN_2;
    H5Tclose(base);
    hid_t native = H5Tget_native_type(type, H5T_DIR_DEFAULT);
    if (native < 0) return fail_library("making a native type for attribute '%s' of '%s'", name, object);
    size_t size = H5Tget_size(native);
    if (size != 1 && size != 2 && size != 4 && size != 8) { H5Tclose(native); return fail_attribute(object, name, "%zu-byte enum", size); }
    unsigned char *bytes = checked_calloc(count, size);
    if (H5Aread(attribute, native, bytes) < 0) {
        free(bytes);
        H5Tclose(native);
        return fail_library("reading attribute '%s' of '%s'", name, object);
    }
    H5Tclose(native);
    for (size_t i = 0; i < count; i++) {
        unsigned char *p = bytes + i * size;
        int64_t x;
        switch (size) {
        case 1: x = is_signed ? (int64_t)*(int8_t *)p : (int64_t)*(uint8_t *)p; break;
        case 2: { int16_t s; uint16_t u; memcpy(&s, p, 2); memcpy(&u, p, 2); x = is_signed ? (int64_t)s : (int64_t)u; break; }
        case 4: { int32_t s; uint32_t u; memcpy(&s, p, 4); memcpy(&u, p, 4); x = is_signed ? (int64_t)s : (int64_t)u; break; }
        default: memcpy(&x, p, 8); break;
        }
        v->ints[i] = x;
    }
    free(bytes);
    return 0;
}

static int read_strings(hid_t attribute, hid_t type, hid_t space, Value *v, const char *name, const char *object) {
    size_t count = v->count;
    v->strings = checked_calloc(count, sizeof(char *));
    v->lengths = checked_calloc(count, sizeof(size_t));
    H5T_cset_t cset = H5Tget_cset(type);
    if (H5Tis_variable_str(type) > 0) {
        hid_t memory = H5Tcopy(H5T_C_S1);
        if (memory < 0) return fail_library("making a string type for attribute '%s' of '%s'", name, object);
        if (H5Tset_size(memory, H5T_VARIABLE) < 0 || H5Tset_cset(memory, cset) < 0) {
            fail_library("making a string type for attribute '%s' of '%s'", name, object);
            H5Tclose(memory);
            return -1;
        }
        char **pointers = checked_calloc(count, sizeof(char *));
        if (H5Aread(attribute, memory, pointers) < 0) {
            fail_library("reading attribute '%s' of '%s'", name, object);
            free(pointers);
            H5Tclose(memory);
            return -1;
        }
        for (size_t i = 0; i < count; i++) {
            const char *s = pointers[i] ? pointers[i] : "";
            v->lengths[i] = strlen(s);
            v->strings[i] = strdup(s);
            if (!v->strings[i]) _exit(3);
        }
        H5Dvlen_reclaim(memory, space, H5P_DEFAULT, pointers);
        free(pointers);
        H5Tclose(memory);
        return 0;
    }
    size_t size = H5Tget_size(type);
    H5T_str_t pad = H5Tget_strpad(type);
    unsigned char *bytes = checked_calloc(count, size);
    if (H5Aread(attribute, type, bytes) < 0) { free(bytes); return fail_library("reading attribute '%s' of '%s'", name, object); }
    for (size_t i = 0; i < count; i++) {
        unsigned char *e = bytes + i * size;
        size_t n = size;
        if (pad == H5T_STR_SPACEPAD) {
            while (n > 0 && e[n - 1] == 0x20) n--;
        } else {
            void *nul = memchr(e, 0, size);
            if (nul) n = (size_t)((unsigned char *)nul - e);
        }
        v->strings[i] = checked_calloc(n + 1, 1);
        memcpy(v->strings[i], e, n);
        v->lengths[i] = n;
    }
    free(bytes);
    return 0;
}

// Reads one open attribute; 0 with *v filled, -1 with a pending error.
static int read_value(hid_t attribute, const char *name, const char *object, Value *v) {
    memset(v, 0, sizeof *v);
    hid_t type = H5Aget_type(attribute);
    if (type < 0) return fail_library("reading the type of attribute '%s' of '%s'", name, object);
    hid_t space = H5Aget_space(attribute);
    if (space < 0) { fail_library("reading the dataspace of attribute '%s' of '%s'", name, object); H5Tclose(type); return -1; }
    int status = -1, scalar = 0;
    H5S_class_t extent = H5Sget_simple_extent_type(space);
    if (extent == H5S_SCALAR) scalar = 1;
    else if (extent == H5S_NULL) { fail_attribute(object, name, "empty (null dataspace)"); goto done; }
    else if (extent != H5S_SIMPLE) { fail_library("reading the dataspace of attribute '%s' of '%s'", name, object); goto done; }
    hssize_t points = H5Sget_simple_extent_npoints(space);
    if (points < 0) { fail_library("counting the elements of attribute '%s' of '%s'", name, object); goto done; }
    H5T_class_t cls = H5Tget_class(type);
    size_t size = H5Tget_size(type);
    if (cls == H5T_NO_CLASS || size == 0) { fail_library("reading the type of attribute '%s' of '%s'", name, object); goto done; }
    size_t element = cls == H5T_STRING && H5Tis_variable_str(type) > 0 ? sizeof(void *) : (size > 8 ? size : 8);
    size_t total;
    if (__builtin_mul_overflow((size_t)points, element, &total) || total > physical_memory()) {
        fail_attribute(object, name, "%lld elements of %zu bytes is too large", (long long)points, size);
        goto done;
    }
    v->count = (size_t)points;
    char scratch[64];
    switch (cls) {
    case H5T_INTEGER:
    case H5T_ENUM:
        v->kind = scalar ? ATTR_INT : ATTR_INTS;
        status = read_integers(attribute, type, cls, v, name, object);
        break;
    case H5T_FLOAT:
        v->kind = scalar ? ATTR_FLOAT : ATTR_FLOATS;
        v->floats = checked_calloc(v->count, sizeof(double));
        status = H5Aread(attribute, H5T_NATIVE_DOUBLE, v->floats) < 0 ? fail_library("reading attribute '%s' of '%s'", name, object) : 0;
        break;
    case H5T_STRING:
        v->kind = scalar ? ATTR_STRING : ATTR_STRINGS;
        status = read_strings(attribute, type, space, v, name, object);
        break;
    default:
        fail_attribute(object, name, "HDF5 class %s", class_name(cls, scratch, sizeof scratch));
        break;
    }
done:
    H5Sclose(space);
    H5Tclose(type);
    if (status < 0) value_free(v);
    return status;
}

static void wire_value(const Value *v) {
    wire_u8((uint8_t)v->kind);
    switch (v->kind) {
    case ATTR_INT: wire_u64(v->count ? (uint64_t)v->ints[0] : 0); break;
    case ATTR_FLOAT: { uint64_t bits = 0; if (v->count) memcpy(&bits, &v->floats[0], 8); wire_u64(bits); break; }
    case ATTR_STRING: if (v->count) wire_bytes(v->strings[0], v->lengths[0]); else wire_bytes("", 0); break;
    case ATTR_INTS: wire_u32((uint32_t)v->count); for (size_t i = 0; i < v->count; i++) wire_u64((uint64_t)v->ints[i]); break;
    case ATTR_FLOATS:
        wire_u32((uint32_t)v->count);
        for (size_t i = 0; i < v->count; i++) { uint64_t bits; memcpy(&bits, &v->floats[i], 8); wire_u64(bits); }
        break;
    default: wire_u32((uint32_t)v->count); for (size_t i = 0; i < v->count; i++) wire_bytes(v->strings[i], v->lengths[i]); break;
    }
}

static int attribute_name(hid_t attribute, const char *path, char **out) {
    ssize_t length = H5Aget_name(attribute, 0, NULL);
    if (length < 0) return fail_library("reading an attribute name of '%s'", path);
    *out = checked_calloc((size_t)length + 1, 1);
    if (H5Aget_name(attribute, (size_t)length + 1, *out) < 0) { free(*out); return fail_library("reading an attribute name of '%s'", path); }
    return 0;
}

int wire_attributes(hid_t object, const char *path) {
    H5O_info_t info;
    if (H5Oget_info2(object, &info, H5O_INFO_NUM_ATTRS) < 0) return fail_library("counting the attributes of '%s'", path);
    if (info.num_attrs > 0xFFFFFFFFull) return fail_library("counting the attributes of '%s'", path);
    wire_begin(MSG_ATTRIBUTES);
    wire_u32((uint32_t)info.num_attrs);
    for (hsize_t i = 0; i < info.num_attrs; i++) {
        hid_t attribute = H5Aopen_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT);
        if (attribute < 0) { fail_library("opening attribute #%llu of '%s'", (unsigned long long)i, path); wire_abort(); return -1; }
        char *name = NULL;
        Value v;
        int ok = attribute_name(attribute, path, &name) == 0 && read_value(attribute, name, path, &v) == 0;
        H5Aclose(attribute);
        if (!ok) { free(name); wire_abort(); return -1; }
        wire_str(name);
        wire_value(&v);
        value_free(&v);
        free(name);
    }
    wire_end();
    return 0;
}

int string_attribute(hid_t object, const char *name, const char *path, char **out) {
    htri_t exists = H5Aexists(object, name);
    if (exists < 0) return fail_library("looking for attribute '%s' of '%s'", name, path);
    if (exists == 0) return 0;
    hid_t attribute = H5Aopen(object, name, H5P_DEFAULT);
    if (attribute < 0) return fail_library("opening attribute '%s' of '%s'", name, path);
    Value v;
    int status = read_value(attribute, name, path, &v);
    H5Aclose(attribute);
    if (status < 0) {
        if (failure_kind() == ERR_UNSUPPORTED_ATTRIBUTE) { failure_clear(); return 0; }  // a non-string tag is no tag
        return -1;
    }
    int found = 0;
    if (v.kind == ATTR_STRING && v.count) { *out = v.strings[0]; v.strings[0] = NULL; found = 1; }
    value_free(&v);
    return found;
}
