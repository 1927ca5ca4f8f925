// The reader's confinement: resource limits and a seccomp filter (raw BPF). A memory-corruption bug in
// libhdf5 triggered by a hostile file runs in a process that cannot start programs, fork, trace, open
// sockets, create or write files (and, once the file is open, cannot open anything at all).
#include "reader.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <termios.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#define VK_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define VK_ARCH AUDIT_ARCH_AARCH64
#else
#error "vit-hdf5-reader: add this architecture's AUDIT_ARCH to sandbox.c"
#endif

size_t physical_memory(void) {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0) return SIZE_MAX;
    size_t bytes;
    return __builtin_mul_overflow((size_t)pages, (size_t)size, &bytes) ? SIZE_MAX : bytes;
}

static void limit(int resource, rlim_t value) {
    struct rlimit r = {value, value};  // hard = soft: the reader cannot raise it again
    setrlimit(resource, &r);
}

// PR_SET_PDEATHSIG would follow the *thread* that spawned the reader, and the parent's threads come and
// go: a thread of the reader's own watches the parent process instead (it only sleeps and calls getppid).
static pid_t parentAtStart;

static void *watch_parent(void *unused) {
    (void)unused;
    for (;;) {
        struct timespec second = {1, 0};
        nanosleep(&second, NULL);
        if (getppid() != parentAtStart) _exit(9);  // the parent is gone: never outlive it
    }
    return NULL;
}

void limit_resources(void) {
    parentAtStart = getppid();
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstacksize(&attributes, 64 * 1024);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&thread, &attributes, watch_parent, NULL) != 0) _exit(6);
    pthread_attr_destroy(&attributes);
    size_t memory = physical_memory();
    size_t slack = (size_t)1 << 30;
    limit(RLIMIT_AS, memory > SIZE_MAX - slack ? RLIM_INFINITY : memory + slack);
    limit(RLIMIT_CPU, 3600);   // a backstop only: hangs are cut by the parent's progress watchdog
    limit(RLIMIT_FSIZE, 0);    // no file can grow
    limit(RLIMIT_NOFILE, 32);  // stdio, the socket, the file, one shared-memory block at a time
    limit(RLIMIT_CORE, 0);     // a crash leaves no core file
}

#define LOAD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define LOAD_ARG(i) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args) + 8 * (i))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

enum { CAP = 256 };
static struct sock_filter program[CAP];
static unsigned short length;

static void emit(struct sock_filter f) {
    if (length < CAP) program[length++] = f;
}

// if (nr == number) return action;
static void deny(long number, unsigned action) {
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)number, 0, 1));
    emit((struct sock_filter)RET(action));
}

// if (nr == number) return (arg & mask) ? action : ALLOW;   (the nr is reloaded afterwards)
static void deny_flags(long number, int arg, unsigned mask, unsigned action) {
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)number, 0, 4));
    emit((struct sock_filter)LOAD_ARG(arg));
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, mask, 0, 1));
    emit((struct sock_filter)RET(action));
    emit((struct sock_filter)RET(SECCOMP_RET_ALLOW));
}

// if (nr == number) return arg == value ? ALLOW : action;
static void allow_only(long number, int arg, unsigned value, unsigned action) {
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)number, 0, 4));
    emit((struct sock_filter)LOAD_ARG(arg));
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, 0, 1));
    emit((struct sock_filter)RET(SECCOMP_RET_ALLOW));
    emit((struct sock_filter)RET(action));
}

static const long killed[] = {
    SYS_execve, SYS_execveat, SYS_clone, SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev,
    SYS_socket, SYS_socketpair, SYS_connect, SYS_bind, SYS_listen, SYS_accept, SYS_accept4,
    SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register, SYS_userfaultfd, SYS_bpf,
    SYS_perf_event_open, SYS_unshare, SYS_setns, SYS_mount, SYS_umount2, SYS_pivot_root, SYS_chroot,
    SYS_init_module, SYS_finit_module, SYS_delete_module, SYS_kexec_load, SYS_keyctl, SYS_add_key,
    SYS_request_key, SYS_pidfd_open, SYS_pidfd_getfd, SYS_pidfd_send_signal, SYS_open_by_handle_at,
    SYS_name_to_handle_at, SYS_personality,
#ifdef SYS_fork
    SYS_fork, SYS_vfork,
#endif
};

static const long refused[] = {
    SYS_unlinkat, SYS_renameat2, SYS_mkdirat, SYS_linkat, SYS_symlinkat, SYS_mknodat, SYS_truncate,
    SYS_ftruncate, SYS_fchmodat, SYS_fchmod, SYS_fchownat, SYS_fchown, SYS_utimensat, SYS_setxattr,
    SYS_lsetxattr, SYS_fsetxattr, SYS_removexattr, SYS_lremovexattr, SYS_fremovexattr, SYS_memfd_create,
    SYS_fallocate, SYS_openat2, SYS_clone3,
#ifdef SYS_unlink
    SYS_unlink, SYS_rename, SYS_renameat, SYS_mkdir, SYS_rmdir, SYS_link, SYS_symlink, SYS_mknod,
    SYS_chmod, SYS_chown, SYS_lchown, SYS_utime, SYS_utimes, SYS_futimesat, SYS_creat,
#endif
};

void sandbox(int stage) {
    length = 0;
    emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, VK_ARCH, 1, 0));
    emit((struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
    emit((struct sock_filter)LOAD_NR);
#if defined(__x86_64__)
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));  // x32 numbers
    emit((struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
#endif
    unsigned eacces = ERRNO(EACCES), eperm = ERRNO(EPERM);
    if (stage == 0) {
        for (size_t i = 0; i < sizeof killed / sizeof killed[0]; i++) deny(killed[i], SECCOMP_RET_KILL_PROCESS);
        for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
            deny(refused[i], refused[i] == SYS_openat2 || refused[i] == SYS_clone3 ? ERRNO(ENOSYS) : eperm);
        }
        unsigned writing = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_TMPFILE;
#ifdef SYS_open
        deny_flags(SYS_open, 1, writing, eacces);
        emit((struct sock_filter)LOAD_NR);
#endif
        deny_flags(SYS_openat, 2, writing, eacces);
        emit((struct sock_filter)LOAD_NR);
        unsigned self = (unsigned)getpid();
        allow_only(SYS_kill, 0, self, eperm);  // signals only to itself (abort)
        emit((struct sock_filter)LOAD_NR);
        allow_only(SYS_tgkill, 0, self, eperm);
        emit((struct sock_filter)LOAD_NR);
        emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_tkill, 0, 1));  // tkill(tid): a thread id
        emit((struct sock_filter)RET(eperm));
        emit((struct sock_filter)LOAD_NR);
        // ioctl(TIOCSTI) would push keystrokes into a terminal: refused.
        emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 4));
        emit((struct sock_filter)LOAD_ARG(1));
        emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 0, 1));
        emit((struct sock_filter)RET(eperm));
        emit((struct sock_filter)RET(SECCOMP_RET_ALLOW));
    } else {
#ifdef SYS_open
        deny(SYS_open, eacces);
#endif
        deny(SYS_openat, eacces);
    }
    emit((struct sock_filter)RET(SECCOMP_RET_ALLOW));
    if (length >= CAP) _exit(5);
    struct sock_fprog fprog = {length, program};
    // TSYNC: the filter applies to every thread of the reader (the parent watcher too).
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog) != 0) _exit(5);
}
