// vit-hdf5-reader: the isolated HDF5 reader. Opens one file with libhdf5 inside a seccomp sandbox and
// answers ViTKit's requests over the socket on fd 3. The wire format is documented in docs/hdf5.md
// ("The isolated reader") and parsed strictly by Sources/ViTHDF5/HDF5Wire.swift; keep them in step.
#ifndef VITKIT_HDF5_READER_H
#define VITKIT_HDF5_READER_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <hdf5/serial/hdf5.h>  /* Debian's path: no -I flag, so the package stays usable as a dependency */
#include <stddef.h>
#include <stdint.h>

enum { WIRE_FD = 3, WIRE_VERSION = 1 };

// Messages from the reader (u32 tag, u32 payload length, payload).
enum {
    MSG_OPENED = 1, MSG_GROUP = 2, MSG_LINK = 3, MSG_DATASET = 4, MSG_UNREADABLE = 5,
    MSG_ATTRIBUTES = 6, MSG_END = 7, MSG_ERROR = 8, MSG_READ_DONE = 9,
};
// Requests to the reader.
enum { REQ_READ = 101, REQ_ATTRIBUTES = 102 };
// Error kinds inside MSG_ERROR / MSG_UNREADABLE / attribute errors.
enum {
    ERR_LIBRARY = 0, ERR_UNSUPPORTED_TYPE = 1, ERR_UNKNOWN_OPAQUE = 2, ERR_UNSUPPORTED_DATASPACE = 3,
    ERR_LINK_CYCLE = 4, ERR_UNSUPPORTED_ATTRIBUTE = 5,
};
// Attribute value kinds.
enum { ATTR_INT = 0, ATTR_FLOAT = 1, ATTR_STRING = 2, ATTR_INTS = 3, ATTR_FLOATS = 4, ATTR_STRINGS = 5 };
// ViTKit dtypes as sent on the wire.
enum {
    DT_F16 = 1, DT_BF16 = 2, DT_F32 = 3, DT_F64 = 4, DT_I8 = 5, DT_U8 = 6, DT_I16 = 7, DT_U16 = 8,
    DT_I32 = 9, DT_U32 = 10, DT_I64 = 11, DT_U64 = 12, DT_BOOL = 13,
};
enum { MEM_STANDARD = 0, MEM_STORED = 1 };

// ---- wire.c: buffered output, one message at a time ----
void wire_begin(uint32_t tag);
void wire_u8(uint8_t v);
void wire_u32(uint32_t v);
void wire_u64(uint64_t v);
void wire_bytes(const void *p, size_t n);  // u32 length + bytes
void wire_str(const char *s);
void wire_end(void);                        // closes the message; flushes now and then
void wire_flush(void);
void wire_abort(void);                      // drops the message begun last
// Reads a request: returns its tag, fills payload (malloc'd, caller frees) and a passed descriptor (or -1).
// Returns 0 at end of stream or on a malformed request.
uint32_t wire_request(unsigned char **payload, uint32_t *length, int *fd);

// ---- failure.c: the one pending error, sent as MSG_ERROR or embedded ----
typedef struct Failure Failure;
// Records a libhdf5 failure: operation text plus libhdf5's error stack (outermost first); returns -1.
int fail_library(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fail_unsupported_type(const char *dataset, const char *cls, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int fail_unknown_opaque(const char *dataset, size_t size, const char *tag);
int fail_dataspace(const char *dataset, const char *kind);
int fail_link_cycle(const char *path);
int fail_attribute(const char *object, const char *attribute, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int failure_kind(void);     // the pending error's kind
void wire_failure(void);    // writes the pending error (kind + fields) into the current message
void failure_clear(void);

// ---- types.c ----
typedef struct { uint8_t dtype, memory, memoryDType; } Plan;
// 1: planned; 0: not a tensor (pending error is the dataset's); -1: libhdf5 failed (pending error).
int plan_dataset(hid_t type, hid_t dataset, const char *path, Plan *plan);
hid_t little_endian_type(uint8_t dtype);  // borrowed; -1 with a pending error
size_t dtype_size(uint8_t dtype);
const char *class_name(H5T_class_t c, char *buffer, size_t size);

// ---- attributes.c ----
// Writes `u32 count` then (name, value-or-error) pairs of every attribute of `object`; -1 on a fatal failure.
int wire_attributes(hid_t object, const char *path);
// The value of a string attribute: 1 found (malloc'd *out), 0 none / not a string, -1 failure.
int string_attribute(hid_t object, const char *name, const char *path, char **out);

// ---- catalogue.c ----
int send_catalogue(hid_t file);
int read_dataset(hid_t file, uint32_t index, int memfd);

// ---- sandbox.c ----
void limit_resources(void);
// stage 0: no exec/fork/ptrace/sockets/writes; stage 1 adds: no open at all.
void sandbox(int stage);

size_t physical_memory(void);
#endif
