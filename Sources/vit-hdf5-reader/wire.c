#include "reader.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static unsigned char *buffer;
static size_t used, capacity, messageStart;
static struct timespec lastFlush;

static void reserve(size_t n) {
    if (used + n <= capacity) return;
    size_t next = capacity ? capacity : 1 << 16;
    while (next < used + n) next *= 2;
    unsigned char *p = realloc(buffer, next);
    if (!p) _exit(3);  // out of memory: the parent reports the exit status
    buffer = p;
    capacity = next;
}

static void put(const void *p, size_t n) {
    reserve(n);
    memcpy(buffer + used, p, n);
    used += n;
}

void wire_u8(uint8_t v) { put(&v, 1); }
void wire_u32(uint32_t v) { put(&v, 4); }  // x86-64 and arm64 are little-endian, as the wire is
void wire_u64(uint64_t v) { put(&v, 8); }

void wire_bytes(const void *p, size_t n) {
    wire_u32((uint32_t)n);
    put(p, n);
}

void wire_str(const char *s) { wire_bytes(s, strlen(s)); }

void wire_begin(uint32_t tag) {
    messageStart = used;
    wire_u32(tag);
    wire_u32(0);
}

void wire_abort(void) { used = messageStart; }

void wire_flush(void) {
    size_t done = 0;
    while (done < used) {
        ssize_t n = write(WIRE_FD, buffer + done, used - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(4);  // the parent went away
        done += (size_t)n;
    }
    used = 0;
    clock_gettime(CLOCK_MONOTONIC, &lastFlush);
}

void wire_end(void) {
    uint32_t length = (uint32_t)(used - messageStart - 8);
    memcpy(buffer + messageStart + 4, &length, 4);
    // Flush every 64 KiB and every 50 ms, so the parent's watchdog sees progress during a long walk.
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (now.tv_sec - lastFlush.tv_sec) * 1000 + (now.tv_nsec - lastFlush.tv_nsec) / 1000000;
    if (used >= (1 << 16) || ms >= 50) wire_flush();
}

static int read_exact(void *p, size_t n, int *fd) {
    size_t done = 0;
    while (done < n) {
        struct iovec iov = {(char *)p + done, n - done};
        union { char raw[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
        struct msghdr msg = {0};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        if (fd) {
            msg.msg_control = control.raw;
            msg.msg_controllen = sizeof control.raw;
        }
        ssize_t got = recvmsg(WIRE_FD, &msg, MSG_CMSG_CLOEXEC);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        if (fd) {
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && *fd < 0) memcpy(fd, CMSG_DATA(c), sizeof(int));
            }
        }
        done += (size_t)got;
    }
    return 0;
}

uint32_t wire_request(unsigned char **payload, uint32_t *length, int *fd) {
    uint32_t header[2];
    *fd = -1;
    *payload = NULL;
    if (read_exact(header, 8, fd) < 0) return 0;
    if (header[1] > (1u << 20)) return 0;  // requests are small: a path or an index
    *length = header[1];
    *payload = malloc(header[1] + 1);
    if (!*payload || read_exact(*payload, header[1], NULL) < 0) return 0;
    (*payload)[header[1]] = 0;
    return header[0];
}
