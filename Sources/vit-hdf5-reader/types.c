// What ViTKit makes of a dataset's HDF5 datatype: the C twin of Sources/ViTHDF5/HDF5Types.swift
// (same decisions, same messages).
#include "reader.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *class_name(H5T_class_t c, char *buffer, size_t size) {
    switch (c) {
    case H5T_INTEGER: return "INTEGER";
    case H5T_FLOAT: return "FLOAT";
    case H5T_TIME: return "TIME";
    case H5T_STRING: return "STRING";
    case H5T_BITFIELD: return "BITFIELD";
    case H5T_OPAQUE: return "OPAQUE";
    case H5T_COMPOUND: return "COMPOUND";
    case H5T_REFERENCE: return "REFERENCE";
    case H5T_ENUM: return "ENUM";
    case H5T_VLEN: return "VLEN";
    case H5T_ARRAY: return "ARRAY";
    default: snprintf(buffer, size, "unknown class %d", (int)c); return buffer;
    }
}

size_t dtype_size(uint8_t dtype) {
    switch (dtype) {
    case DT_F16: case DT_BF16: case DT_I16: case DT_U16: return 2;
    case DT_F32: case DT_I32: case DT_U32: return 4;
    case DT_F64: case DT_I64: case DT_U64: return 8;
    default: return 1;
    }
}

static int integer_dtype(size_t size, int is_signed) {
    switch (size) {
    case 1: return is_signed ? DT_I8 : DT_U8;
    case 2: return is_signed ? DT_I16 : DT_U16;
    case 4: return is_signed ? DT_I32 : DT_U32;
    case 8: return is_signed ? DT_I64 : DT_U64;
    default: return 0;
    }
}

static hid_t two_byte_float(size_t epos, size_t esize, size_t msize, size_t bias) {
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    if (t < 0) return fail_library("copying IEEE_F32LE");
    if (H5Tset_fields(t, 15, epos, esize, 0, msize) < 0) { fail_library("setting the fields of a 2-byte float type"); H5Tclose(t); return -1; }
    if (H5Tset_size(t, 2) < 0) { fail_library("shrinking a float type to 2 bytes"); H5Tclose(t); return -1; }
    if (H5Tset_ebias(t, bias) < 0) { fail_library("setting the exponent bias of a 2-byte float type"); H5Tclose(t); return -1; }
    return t;
}

hid_t little_endian_type(uint8_t dtype) {
    static hid_t half = -1, bfloat = -1;
    switch (dtype) {
    case DT_F16: if (half < 0) half = two_byte_float(10, 5, 10, 15); return half;
    case DT_BF16: if (bfloat < 0) bfloat = two_byte_float(7, 8, 7, 127); return bfloat;
    case DT_F32: return H5T_IEEE_F32LE;
    case DT_F64: return H5T_IEEE_F64LE;
    case DT_I8: return H5T_STD_I8LE;
    case DT_U8: return H5T_STD_U8LE;
    case DT_I16: return H5T_STD_I16LE;
    case DT_U16: return H5T_STD_U16LE;
    case DT_I32: return H5T_STD_I32LE;
    case DT_U32: return H5T_STD_U32LE;
    case DT_I64: return H5T_STD_I64LE;
    case DT_U64: return H5T_STD_U64LE;
    default: return fail_library("making a memory type");
    }
}

static void opaque_tag(hid_t type, char *out, size_t size) {
    char *p = H5Tget_tag(type);
    if (!p) { H5Eclear2(H5E_DEFAULT); out[0] = 0; return; }
    snprintf(out, size, "%s", p);
    H5free_memory(p);
}

// 1: a 1-byte integer ENUM with exactly the members 0 and 1; 0: not; -1: failure.
static int is_bool_enum(hid_t type, const char *path) {
    hid_t base = H5Tget_super(type);
    if (base < 0) return fail_library("reading the base type of enum dataset '%s'", path);
    int ok = H5Tget_class(base) == H5T_INTEGER && H5Tget_size(base) == 1;
    H5Tclose(base);
    if (!ok) return 0;
    int members = H5Tget_nmembers(type);
    if (members < 0) return fail_library("counting the members of enum dataset '%s'", path);
    if (members != 2) return 0;
    unsigned char v[2];
    for (unsigned i = 0; i < 2; i++) {
        if (H5Tget_member_value(type, i, &v[i]) < 0) return fail_library("reading a member of enum dataset '%s'", path);
    }
    return (v[0] == 0 && v[1] == 1) || (v[0] == 1 && v[1] == 0);
}

// 1 when the string attribute `dtype` of the dataset is "bfloat16", 0 when not, -1 on failure.
static int tagged_bfloat16(hid_t dataset, const char *path) {
    char *value = NULL;
    int found = string_attribute(dataset, "dtype", path, &value);
    if (found < 0) return -1;
    int yes = found == 1 && strcmp(value, "bfloat16") == 0;
    free(value);
    return yes;
}

static int planned(Plan *plan, uint8_t dtype, uint8_t memory, uint8_t memoryDType) {
    plan->dtype = dtype;
    plan->memory = memory;
    plan->memoryDType = memoryDType;
    return 1;
}

int plan_dataset(hid_t type, hid_t dataset, const char *path, Plan *plan) {
    H5T_class_t cls = H5Tget_class(type);
    if (cls == H5T_NO_CLASS) return fail_library("reading the type of dataset '%s'", path);
    size_t size = H5Tget_size(type);
    if (size == 0) return fail_library("reading the type size of dataset '%s'", path);
    char scratch[64];
    const char *cname = class_name(cls, scratch, sizeof scratch);
    switch (cls) {
    case H5T_FLOAT:
        if (size == 2) {
            size_t spos, epos, esize, mpos, msize;
            if (H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) < 0)
                return fail_library("reading the float fields of dataset '%s'", path);
            size_t bias = H5Tget_ebias(type);
            if (spos == 15 && epos == 10 && esize == 5 && mpos == 0 && msize == 10 && bias == 15) return planned(plan, DT_F16, MEM_STANDARD, DT_F16);
            if (spos == 15 && epos == 7 && esize == 8 && mpos == 0 && msize == 7 && bias == 127) return planned(plan, DT_BF16, MEM_STANDARD, DT_BF16);
            return fail_unsupported_type(path, cname, "2-byte float that is neither IEEE half nor bfloat16: sign bit %zu, exponent %zu bits at %zu, mantissa %zu bits, bias %zu",
                                         spos, esize, epos, msize, bias);
        }
        if (size == 4) return planned(plan, DT_F32, MEM_STANDARD, DT_F32);
        if (size == 8) return planned(plan, DT_F64, MEM_STANDARD, DT_F64);
        return fail_unsupported_type(path, cname, "%zu-byte float", size);
    case H5T_INTEGER: {
        H5T_sign_t sign = H5Tget_sign(type);
        if (sign == H5T_SGN_ERROR) return fail_library("reading the sign of dataset '%s'", path);
        int dtype = integer_dtype(size, sign == H5T_SGN_2);
        if (!dtype) return fail_unsupported_type(path, cname, "%zu-byte integer", size);
        if (dtype == DT_U16) {
            int tagged = tagged_bfloat16(dataset, path);
            if (tagged < 0) return -1;
            if (tagged) return planned(plan, DT_BF16, MEM_STANDARD, DT_U16);
        }
        return planned(plan, (uint8_t)dtype, MEM_STANDARD, (uint8_t)dtype);
    }
    case H5T_OPAQUE: {
        char tag[1024];
        opaque_tag(type, tag, sizeof tag);
        if (size == 2) {
            if (strcmp(tag, "bfloat16") == 0) return planned(plan, DT_BF16, MEM_STORED, DT_BF16);
            int tagged = tagged_bfloat16(dataset, path);
            if (tagged < 0) return -1;
            if (tagged) return planned(plan, DT_BF16, MEM_STORED, DT_BF16);
        }
        return fail_unknown_opaque(path, size, tag);
    }
    case H5T_ENUM: {
        int yes = is_bool_enum(type, path);
        if (yes < 0) return -1;
        if (yes) return planned(plan, DT_BOOL, MEM_STORED, DT_BOOL);
        return fail_unsupported_type(path, cname, "%zu-byte enum that is not a FALSE/TRUE bool", size);
    }
    case H5T_STRING:
        if (H5Tis_variable_str(type) > 0) return fail_unsupported_type(path, cname, "variable-length strings");
        return fail_unsupported_type(path, cname, "%zu-byte fixed-length strings", size);
    case H5T_COMPOUND: {
        int n = H5Tget_nmembers(type);
        return fail_unsupported_type(path, cname, "compound of %d members", n < 0 ? 0 : n);
    }
    case H5T_VLEN: return fail_unsupported_type(path, cname, "variable-length sequences");
    case H5T_ARRAY: return fail_unsupported_type(path, cname, "array elements");
    default: return fail_unsupported_type(path, cname, "%zu-byte elements", size);
    }
}
