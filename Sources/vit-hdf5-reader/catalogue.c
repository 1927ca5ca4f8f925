// The walk: the C twin of Sources/ViTHDF5/HDF5Walker.swift (depth-first, HDF5 name order, soft and
// external links listed, not followed), streamed as GROUP / LINK / DATASET / UNREADABLE messages.
#include "reader.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

// The readable datasets in catalogue order: what a READ request's index names.
typedef struct { char *path; Plan plan; } Entry;
static Entry *entries;
static size_t entryCount, entryCapacity;

static void remember(const char *path, Plan plan) {
    if (entryCount == entryCapacity) {
        entryCapacity = entryCapacity ? entryCapacity * 2 : 256;
        entries = realloc(entries, entryCapacity * sizeof(Entry));
        if (!entries) _exit(3);
    }
    entries[entryCount].path = strdup(path);
    if (!entries[entryCount].path) _exit(3);
    entries[entryCount++].plan = plan;
}

typedef struct { char **names; H5L_type_t *types; size_t count, capacity; } LinkList;

static herr_t collect_link(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    (void)group;
    LinkList *list = data;
    if (list->count == list->capacity) {
        list->capacity = list->capacity ? list->capacity * 2 : 16;
        list->names = realloc(list->names, list->capacity * sizeof(char *));
        list->types = realloc(list->types, list->capacity * sizeof(H5L_type_t));
        if (!list->names || !list->types) _exit(3);
    }
    list->names[list->count] = strdup(name);
    if (!list->names[list->count]) _exit(3);
    list->types[list->count++] = info->type;
    return 0;
}

static void free_links(LinkList *list) {
    for (size_t i = 0; i < list->count; i++) free(list->names[i]);
    free(list->names);
    free(list->types);
}

// The raw data's file offset when the dataset's bytes on disk are exactly the tensor's bytes
// (contiguous, allocated, not external, stored type = memory type); UINT64_MAX otherwise.
static uint64_t direct_offset(hid_t dataset, hid_t type, Plan plan, uint64_t byteCount) {
    uint64_t none = UINT64_MAX;
    hid_t dcpl = H5Dget_create_plist(dataset);
    if (dcpl < 0) { H5Eclear2(H5E_DEFAULT); return none; }
    int contiguous = H5Pget_layout(dcpl) == H5D_CONTIGUOUS && H5Pget_external_count(dcpl) == 0;
    H5Pclose(dcpl);
    if (!contiguous) { H5Eclear2(H5E_DEFAULT); return none; }
    if (plan.memory == MEM_STANDARD) {
        hid_t memory = little_endian_type(plan.memoryDType);
        if (memory < 0 || H5Tequal(type, memory) <= 0) { failure_clear(); H5Eclear2(H5E_DEFAULT); return none; }
    }
    haddr_t offset = H5Dget_offset(dataset);
    if (offset == HADDR_UNDEF || H5Dget_storage_size(dataset) != byteCount) { H5Eclear2(H5E_DEFAULT); return none; }
    return (uint64_t)offset;
}

static void send_unreadable(const char *path) {
    wire_begin(MSG_UNREADABLE);
    wire_str(path);
    wire_failure();
    wire_end();
    failure_clear();
}

static int describe_dataset(hid_t group, const char *name, const char *path) {
    int status = -1;
    hid_t dataset = H5Dopen2(group, name, H5P_DEFAULT), type = -1, space = -1;
    if (dataset < 0) return fail_library("opening dataset '%s'", path);
    if ((type = H5Dget_type(dataset)) < 0) { fail_library("reading the type of dataset '%s'", path); goto done; }
    if ((space = H5Dget_space(dataset)) < 0) { fail_library("reading the dataspace of dataset '%s'", path); goto done; }
    Plan plan;
    int planned = plan_dataset(type, dataset, path, &plan);
    if (planned < 0) goto done;
    if (planned == 0) { send_unreadable(path); status = 0; goto done; }
    hsize_t dims[H5S_MAX_RANK];
    int rank = 0;
    H5S_class_t extent = H5Sget_simple_extent_type(space);
    if (extent == H5S_SIMPLE) {
        rank = H5Sget_simple_extent_ndims(space);
        if (rank < 0) { fail_library("reading the rank of dataset '%s'", path); goto done; }
        if (rank > H5S_MAX_RANK) { fail_library("reading the rank of dataset '%s'", path); goto done; }
        if (H5Sget_simple_extent_dims(space, dims, NULL) < 0) { fail_library("reading the shape of dataset '%s'", path); goto done; }
    } else if (extent == H5S_NULL) {
        fail_dataspace(path, "null");
        send_unreadable(path);
        status = 0;
        goto done;
    } else if (extent != H5S_SCALAR) {
        fail_library("reading the dataspace of dataset '%s'", path);
        goto done;
    }
    uint64_t bytes = dtype_size(plan.dtype), offset = UINT64_MAX;
    int overflow = 0;
    for (int i = 0; i < rank; i++) overflow |= __builtin_mul_overflow(bytes, (uint64_t)dims[i], &bytes);
    if (!overflow) offset = direct_offset(dataset, type, plan, bytes);
    wire_begin(MSG_DATASET);
    wire_str(path);
    wire_u8(plan.dtype);
    wire_u8(plan.memory);
    wire_u8(plan.memoryDType);
    wire_u32((uint32_t)rank);
    for (int i = 0; i < rank; i++) wire_u64((uint64_t)dims[i]);
    wire_u64(offset);
    wire_end();
    remember(path, plan);
    status = 0;
done:
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    H5Dclose(dataset);
    return status;
}

static int describe_link(hid_t group, const char *name, const char *path, H5L_type_t type) {
    H5L_info_t info;
    if (H5Lget_info(group, name, &info, H5P_DEFAULT) < 0) return fail_library("describing link '%s'", path);
    size_t size = info.u.val_size;
    char *value = calloc(size + 1, 1);
    if (!value) _exit(3);
    if (H5Lget_val(group, name, value, size, H5P_DEFAULT) < 0) { free(value); return fail_library("reading link '%s'", path); }
    wire_begin(MSG_LINK);
    if (type == H5L_TYPE_SOFT) {
        wire_u8(0);
        wire_str(path);
        wire_str(value);
    } else {
        unsigned flags;
        const char *targetFile = NULL, *targetObject = NULL;
        if (H5Lunpack_elink_val(value, size, &flags, &targetFile, &targetObject) < 0) {
            wire_abort();
            free(value);
            return fail_library("reading external link '%s'", path);
        }
        char *target = malloc(strlen(targetFile ? targetFile : "") + strlen(targetObject ? targetObject : "") + 2);
        if (!target) _exit(3);
        sprintf(target, "%s:%s", targetFile ? targetFile : "", targetObject ? targetObject : "");
        wire_u8(1);
        wire_str(path);
        wire_str(target);
        free(target);
    }
    wire_end();
    free(value);
    return 0;
}

static int walk_group(hid_t group, const char *path, haddr_t *ancestors, size_t depth) {
    LinkList links = {0};
    hsize_t index = 0;
    if (H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, collect_link, &links) < 0) {
        free_links(&links);
        return fail_library("listing group '%s'", path[0] ? path : "/");
    }
    int status = 0;
    for (size_t i = 0; i < links.count && status == 0; i++) {
        const char *name = links.names[i];
        char *child = malloc(strlen(path) + strlen(name) + 2);
        if (!child) _exit(3);
        sprintf(child, "%s/%s", path, name);
        if (links.types[i] == H5L_TYPE_HARD) {
            H5O_info_t info;
            if (H5Oget_info_by_name2(group, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
                status = fail_library("describing '%s'", child);
            } else if (info.type == H5O_TYPE_GROUP) {
                for (size_t a = 0; a < depth && status == 0; a++) if (ancestors[a] == info.addr) status = fail_link_cycle(child);
                if (status == 0) {
                    wire_begin(MSG_GROUP);
                    wire_str(child);
                    wire_end();
                    hid_t sub = H5Gopen2(group, name, H5P_DEFAULT);
                    if (sub < 0) {
                        status = fail_library("opening group '%s'", child);
                    } else {
                        haddr_t *chain = malloc((depth + 1) * sizeof(haddr_t));
                        if (!chain) _exit(3);
                        memcpy(chain, ancestors, depth * sizeof(haddr_t));
                        chain[depth] = info.addr;
                        status = walk_group(sub, child, chain, depth + 1);
                        free(chain);
                        H5Gclose(sub);
                    }
                }
            } else if (info.type == H5O_TYPE_DATASET) {
                status = describe_dataset(group, name, child);
            }  // a committed datatype: a type definition, not data
        } else if (links.types[i] == H5L_TYPE_SOFT || links.types[i] == H5L_TYPE_EXTERNAL) {
            status = describe_link(group, name, child, links.types[i]);
        } else {
            wire_begin(MSG_LINK);
            wire_u8(2);
            wire_str(child);
            wire_str("");
            wire_end();
        }
        free(child);
    }
    free_links(&links);
    return status;
}

int send_catalogue(hid_t file) {
    hid_t root = H5Gopen2(file, "/", H5P_DEFAULT);
    if (root < 0) return fail_library("opening the root group");
    H5O_info_t info;
    if (H5Oget_info2(root, &info, H5O_INFO_BASIC) < 0) { H5Gclose(root); return fail_library("describing the root group"); }
    haddr_t ancestors[1] = {info.addr};
    int status = walk_group(root, "", ancestors, 1);
    H5Gclose(root);
    if (status < 0) return -1;
    hid_t object = H5Oopen(file, "/", H5P_DEFAULT);
    if (object < 0) return fail_library("opening the root group");
    status = wire_attributes(object, "/");
    H5Oclose(object);
    return status;
}

int read_dataset(hid_t file, uint32_t index, int memfd) {
    if (index >= entryCount) return fail_library("reading dataset #%u (no such dataset)", index);
    const char *path = entries[index].path;
    Plan plan = entries[index].plan;
    struct stat st;
    if (fstat(memfd, &st) < 0) return fail_library("reading dataset '%s' (no shared memory)", path);
    hid_t dataset = H5Dopen2(file, path, H5P_DEFAULT);
    if (dataset < 0) return fail_library("opening dataset '%s'", path);
    int status = -1;
    hid_t stored = -1, space = -1, memory;
    if (plan.memory == MEM_STANDARD) {
        memory = little_endian_type(plan.memoryDType);
        if (memory < 0) goto done;
    } else {
        stored = H5Dget_type(dataset);
        if (stored < 0) { fail_library("reading the type of dataset '%s'", path); goto done; }
        memory = stored;
    }
    // The shared memory must hold every element in the memory type: H5Dread writes that many bytes.
    space = H5Dget_space(dataset);
    hssize_t points = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    uint64_t need;
    if (points < 0 || __builtin_mul_overflow((uint64_t)points, (uint64_t)H5Tget_size(memory), &need) || need != (uint64_t)st.st_size) {
        fail_library("reading dataset '%s' (its size changed)", path);
        goto done;
    }
    void *p = need ? mmap(NULL, need, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0) : NULL;
    if (p == MAP_FAILED) { fail_library("reading dataset '%s' (mapping shared memory failed)", path); goto done; }
    if (need && H5Dread(dataset, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, p) < 0) fail_library("reading dataset '%s'", path);
    else status = 0;
    if (p) munmap(p, need);
done:
    if (space >= 0) H5Sclose(space);
    if (stored >= 0) H5Tclose(stored);
    H5Dclose(dataset);
    return status;
}
