// vit-hdf5-reader FILE — the isolated HDF5 reader ViTKit starts for every HDF5 file it opens.
//
// Not meant to be run by hand: it talks the binary protocol of docs/hdf5.md on fd 3 (a socket from its
// parent). It opens FILE read-only inside a sandbox (sandbox.c), streams the catalogue, then answers
// READ (into shared memory the parent passes) and ATTRIBUTES requests until the socket closes.
#include "reader.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <signal.h>
#include <unistd.h>

static void send_error(void) {
    wire_begin(MSG_ERROR);
    wire_failure();
    wire_end();
    wire_flush();
    failure_clear();
}

static void serve(hid_t file) {
    for (;;) {
        unsigned char *payload;
        uint32_t length;
        int fd;
        uint32_t tag = wire_request(&payload, &length, &fd);
        if (tag == REQ_READ && length == 12 && fd >= 0) {
            uint32_t index;
            memcpy(&index, payload, 4);
            if (read_dataset(file, index, fd) < 0) {
                send_error();
            } else {
                wire_begin(MSG_READ_DONE);
                wire_end();
                wire_flush();
            }
        } else if (tag == REQ_ATTRIBUTES && length > 0) {
            const char *path = (const char *)payload;
            hid_t object = H5Oopen(file, path, H5P_DEFAULT);
            if (object < 0) {
                fail_library("opening '%s'", path);
                send_error();
            } else {
                if (wire_attributes(object, path) < 0) send_error(); else wire_flush();
                H5Oclose(object);
            }
        } else {
            free(payload);
            if (fd >= 0) close(fd);
            return;  // end of stream, or a request this reader does not know: stop
        }
        free(payload);
        if (fd >= 0) close(fd);
    }
}

// `--sandbox-check ACTION FILE`: for the tests. Sandboxes itself as for reading FILE, then tries ACTION.
// Forbidden-and-fatal actions end with SIGSYS; refused ones exit 0 when refused, 10 when allowed.
static int sandbox_check(const char *action, const char *path) {
    limit_resources();
    H5open();
    sandbox(0);
    if (strcmp(action, "create") == 0) {
        int fd = open(path, O_WRONLY | O_CREAT, 0600);
        return fd < 0 && errno == EACCES ? 0 : 10;
    }
    if (strcmp(action, "write") == 0) {
        int fd = open(path, O_RDWR);
        return fd < 0 && errno == EACCES ? 0 : 10;
    }
    if (strcmp(action, "kill") == 0) return kill(getppid(), 0) < 0 && errno == EPERM ? 0 : 10;
    if (strcmp(action, "exec") == 0) { execl("/bin/true", "true", (char *)NULL); return 10; }
    if (strcmp(action, "fork") == 0) { pid_t p = fork(); if (p == 0) _exit(0); return 10; }
    if (strcmp(action, "socket") == 0) { socket(AF_INET, SOCK_STREAM, 0); return 10; }
    if (strcmp(action, "ptrace") == 0) { ptrace(PTRACE_TRACEME, 0, NULL, NULL); return 10; }
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) return 11;
    sandbox(1);
    if (strcmp(action, "open") == 0) {
        int fd = open(path, O_RDONLY);
        return fd < 0 && errno == EACCES ? 0 : 10;
    }
    return 12;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--sandbox-check") == 0) return sandbox_check(argv[2], argv[3]);
    if (argc != 2 || fcntl(WIRE_FD, F_GETFD) < 0 || isatty(WIRE_FD) || lseek(WIRE_FD, 0, SEEK_CUR) >= 0) {
        fprintf(stderr, "vit-hdf5-reader: ViTKit's isolated HDF5 reader; it is started by ViTKit, not by hand\n");
        return 2;
    }
    limit_resources();
    if (getppid() == 1) return 4;  // the parent is already gone
    H5open();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    sandbox(0);
    hid_t file = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        fail_library("opening the file");
        send_error();
        return 0;
    }
    sandbox(1);
    wire_begin(MSG_OPENED);
    wire_u32(WIRE_VERSION);
    wire_end();
    if (send_catalogue(file) < 0) {
        send_error();
        return 0;
    }
    wire_begin(MSG_END);
    wire_end();
    wire_flush();
    serve(file);
    return 0;
}
