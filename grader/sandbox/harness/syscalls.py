"""The worker's seccomp filter (SANDBOX.md rule 5), installed by child.py before any student
code runs: no new processes, no exec, no sockets, no signals to other processes, no
namespace tricks; threads stay."""
import errno
import os


def install_seccomp():
    """Deny new processes, exec, sockets, signals to others and namespace tricks; threads stay."""
    import ctypes.util

    # find_library would run ldconfig in a subprocess; the loader finds the soname itself.
    find_library = ctypes.util.find_library
    ctypes.util.find_library = lambda name: {"seccomp": "libseccomp.so.2",
                                             "c": "libc.so.6"}.get(name) or find_library(name)
    try:
        import pyseccomp as sc
    finally:
        ctypes.util.find_library = find_library

    f = sc.SyscallFilter(defaction=sc.ALLOW)
    # Every way to signal or inspect another process is denied (SANDBOX.md rule 5): kill,
    # tkill, pidfd_*, ptrace and process_vm_*; tgkill and the sigqueueinfo calls only
    # for this process itself (abort() and raise() use tgkill on their own process).
    denied = ["fork", "vfork", "execve", "execveat", "socket", "socketpair", "connect", "bind",
              "listen", "accept", "accept4", "kill", "tkill", "pidfd_send_signal",
              "pidfd_open", "pidfd_getfd", "ptrace", "process_vm_readv",
              "process_vm_writev", "mount", "umount2", "unshare", "setns", "bpf",
              "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
              "inotify_add_watch", "fanotify_init", "pivot_root", "chroot", "reboot"]
    for name in denied:
        try:
            f.add_rule(sc.ERRNO(errno.EPERM), name)
        except Exception:  # a syscall this architecture lacks
            pass
    own = os.getpid()
    for name in ("tgkill", "rt_tgsigqueueinfo", "rt_sigqueueinfo"):
        f.add_rule(sc.ERRNO(errno.EPERM), name, sc.Arg(0, sc.NE, own))
    # glibc falls back to clone() when clone3 says ENOSYS; clone is allowed only for threads.
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    clone_thread = 0x00010000
    f.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, clone_thread, 0))
    f.load()
