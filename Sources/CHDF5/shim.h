#ifndef VITKIT_CHDF5_SHIM_H
#define VITKIT_CHDF5_SHIM_H
// What Swift cannot import from libhdf5: the H5T_NATIVE_* / H5T_IEEE_* globals behind macros
// (they call H5open()), and the H5P_DEFAULT / H5F_ACC_* / H5S_ALL macros.
#include <hdf5.h>

static inline hid_t vk_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t vk_H5S_ALL(void) { return H5S_ALL; }
static inline unsigned vk_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned vk_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned vk_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline hid_t vk_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline hid_t vk_H5P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t vk_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t vk_H5F_OBJ_ALL_FILES(void) { return (hid_t)H5F_OBJ_ALL; }
static inline unsigned vk_H5F_OBJ_FILE(void) { return H5F_OBJ_FILE; }
static inline hid_t vk_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t vk_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }

static inline hid_t vk_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t vk_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t vk_H5T_NATIVE_INT8(void) { return H5T_NATIVE_INT8; }
static inline hid_t vk_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t vk_H5T_NATIVE_INT16(void) { return H5T_NATIVE_INT16; }
static inline hid_t vk_H5T_NATIVE_UINT16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t vk_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t vk_H5T_NATIVE_UINT32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t vk_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t vk_H5T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t vk_H5T_NATIVE_LLONG(void) { return H5T_NATIVE_LLONG; }
static inline hid_t vk_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t vk_H5T_IEEE_F32BE(void) { return H5T_IEEE_F32BE; }
static inline hid_t vk_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t vk_H5T_IEEE_F64BE(void) { return H5T_IEEE_F64BE; }
static inline hid_t vk_H5T_STD_U16LE(void) { return H5T_STD_U16LE; }
static inline hid_t vk_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t vk_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t vk_H5T_STD_I8LE(void) { return H5T_STD_I8LE; }
static inline hid_t vk_H5T_STD_U8LE(void) { return H5T_STD_U8LE; }
static inline hid_t vk_H5T_STD_I16LE(void) { return H5T_STD_I16LE; }
static inline hid_t vk_H5T_STD_I32LE(void) { return H5T_STD_I32LE; }
static inline hid_t vk_H5T_STD_U32LE(void) { return H5T_STD_U32LE; }
static inline hid_t vk_H5T_STD_U64LE(void) { return H5T_STD_U64LE; }
static inline size_t vk_H5T_VARIABLE(void) { return H5T_VARIABLE; }

#endif
