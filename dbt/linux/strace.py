"""The --strace syscall log, in the style of qemu-user's -strace:
`<pid> name(arg,arg,...) = result`, errors as `= -1 errno=N (message)`.

The call half is written before the syscall runs (so a call that never returns, like
exit_group, still shows) and the result half after.  A signal that runs a guest handler
shows as `<pid> --- SIGNAME {si_signo=SIGNAME, si_code=N[, si_addr=A]} ---`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from dbt.linux.structs import s32
from dbt.memory import GuestFault

if TYPE_CHECKING:
    from dbt.linux.structs import Layout
    from dbt.memory import GuestMemory

# How to show each argument: d signed, u unsigned, x hex, p pointer, a address (padded),
# s C string, f dirfd, o octal mode, O open flags, P mmap prot, S signal, c clock id,
# W lseek whence, H sigprocmask how, A *at() flags, k access mode, X statx mask,
# F fcntl command, I ioctl request, T interval timer.  Syscalls not listed show six
# signed numbers.
ARG_FORMATS: dict[str, str] = {
    "read": "dpu", "write": "dpu", "readv": "dpd", "writev": "dpd", "pread64": "dpuxxx",
    "pwrite64": "dpuxxx", "open": "sOo", "openat": "fsOo", "creat": "so", "close": "d",
    "lseek": "ddW", "_llseek": "duupW", "stat64": "sp", "lstat64": "sp", "fstat64": "dp",
    "fstatat64": "fspA", "statx": "fsAXp", "access": "sk", "faccessat": "fsk",
    "faccessat2": "fskA", "unlink": "s", "unlinkat": "fsA", "mkdir": "so", "mkdirat": "fso",
    "rmdir": "s", "rename": "ss", "renameat": "fsfs", "renameat2": "fsfsx", "getcwd": "pu",
    "chdir": "s", "fchdir": "d", "dup": "d", "dup2": "dd", "dup3": "ddO", "pipe": "p",
    "pipe2": "pO", "fcntl64": "dFx", "fcntl": "dFx", "ioctl": "dIp", "readlink": "spu",
    "readlinkat": "fspu", "getdents64": "dpu", "brk": "a", "mmap2": "auPxdu",
    "mmap": "auPxdu", "munmap": "au", "mprotect": "auP", "mremap": "auuxa", "madvise": "aud",
    "uname": "p", "exit": "d", "exit_group": "d", "getpid": "", "getppid": "", "gettid": "",
    "set_tid_address": "p", "set_robust_list": "pu", "rt_sigaction": "Sppu",
    "rt_sigprocmask": "Hppu", "sigaltstack": "pp", "kill": "dS", "tkill": "dS",
    "tgkill": "ddS", "clock_gettime": "cp", "clock_gettime64": "cp", "clock_getres": "cp",
    "clock_getres_time64": "cp", "gettimeofday": "pp", "time": "p", "nanosleep": "pp",
    "clock_nanosleep": "cdpp", "clock_nanosleep_time64": "cdpp", "getrandom": "puu",
    "ugetrlimit": "dp", "getrlimit": "dp", "setrlimit": "dp", "prlimit64": "ddpp",
    "sched_getaffinity": "dup", "sched_yield": "", "futex": "pdupxp", "futex_time64": "pdupxp",
    "umask": "o", "sysinfo": "p", "statfs64": "sup", "fstatfs64": "dup", "poll": "pud",
    "ppoll": "pupp", "ppoll_time64": "pupp", "times": "p", "getrusage": "dp",
    "ftruncate64": "dxxx", "truncate64": "sxxx", "ftruncate": "du", "truncate": "su",
    "fsync": "d", "fdatasync": "d", "fchmod": "do", "chmod": "so", "fchmodat": "fso",
    "utimensat": "fspA", "utimensat_time64": "fspA", "getuid32": "", "geteuid32": "",
    "getgid32": "", "getegid32": "", "getuid": "", "geteuid": "", "getgid": "",
    "getegid": "", "rseq": "pudx", "prctl": "dxxxx", "link": "ss", "symlink": "ss",
    "linkat": "fsfsA", "symlinkat": "sfs", "wait4": "dpdp", "fork": "", "vfork": "",
    "clone": "xpppp", "execve": "spp", "getpgrp": "", "getpgid": "d", "getsid": "d",
    "setsid": "", "setpgid": "dd", "chown32": "sdd", "lchown32": "sdd", "fchown32": "ddd",
    "fchownat": "fsddA", "ARM_set_tls": "p", "ARM_cacheflush": "ppd",
    "alarm": "u", "setitimer": "Tpp", "getitimer": "Tp", "pause": "", "rt_sigsuspend": "pu",
    "rt_sigpending": "pu",
}
POINTER_RESULTS = frozenset({"brk", "mmap", "mmap2", "mremap", "shmat"})

_AT_FLAGS = (("AT_EMPTY_PATH", 0x1000), ("AT_NO_AUTOMOUNT", 0x800),
             ("AT_REMOVEDIR", 0x200), ("AT_SYMLINK_FOLLOW", 0x400),
             ("AT_SYMLINK_NOFOLLOW", 0x100))
_ACCESS = (("R_OK", 4), ("W_OK", 2), ("X_OK", 1))
_FCNTL = {0: "F_DUPFD", 1: "F_GETFD", 2: "F_SETFD", 3: "F_GETFL", 4: "F_SETFL",
          5: "F_GETLK", 6: "F_SETLK", 7: "F_SETLKW", 8: "F_SETOWN", 9: "F_GETOWN",
          12: "F_GETLK64", 13: "F_SETLK64", 14: "F_SETLKW64", 1030: "F_DUPFD_CLOEXEC"}
# fcntl commands that take no argument (qemu leaves it out).
_FCNTL_NO_ARG = frozenset({1, 3, 9, 11, 1025, 1032, 1034})
STATX_BASIC_STATS = 0x7FF
O_CREAT, O_TMPFILE = 0o100, 0o20000000
_PROT = (("PROT_READ", 1), ("PROT_WRITE", 2), ("PROT_EXEC", 4))
_CLOCKS = ("CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID",
           "CLOCK_THREAD_CPUTIME_ID", "CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE",
           "CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME")
_SIGNALS = ("", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
            "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM",
            "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN",
            "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
            "SIGIO", "SIGPWR", "SIGSYS")
_FAULT_SIGNALS = frozenset({4, 5, 7, 8, 11})   # their siginfo holds the address
_ITIMERS = ("ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF")


def _flags(v: int, names: tuple[tuple[str, int], ...]) -> str:
    parts = []
    for name, bit in names:
        if v & bit == bit and bit:
            parts.append(name)
            v &= ~bit
    if v or not parts:
        parts.append(f"{v:#x}")
    return "|".join(parts)


def _quote(data: bytes, limit: int = 256) -> str:
    text = data[:limit].decode("latin-1")
    out = text.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return f'"{out}"' + ("..." if len(data) > limit else "")


class Strace:
    def __init__(self, out, mem: GuestMemory, layout: Layout) -> None:
        self.out = out
        self.mem = mem
        self.layout = layout

    def call(self, nr: int, name: str | None, args: tuple[int, ...], ends: bool) -> None:
        """Log the call; `ends` when no result will follow (exit, exit_group)."""
        if name is None:
            text = f"{os.getpid()} Unknown syscall {nr}"
        else:
            fmt = ARG_FORMATS.get(name, "dddddd")
            # open's mode and some fcntl arguments are only shown when they mean something
            no_mode = name in ("open", "openat") and not args[len(fmt) - 2] & (O_CREAT
                                                                                | O_TMPFILE)
            no_arg = name in ("fcntl", "fcntl64") and args[1] in _FCNTL_NO_ARG
            if no_mode or no_arg:
                fmt = fmt[:-1]
            shown = ",".join(self._arg(k, a) for k, a in zip(fmt, args))
            text = f"{os.getpid()} {name}({shown})"
        self.out.write(text + ("\n" if ends else ""))
        self.out.flush()

    def result(self, name: str | None, res: int) -> None:
        if -4096 < res < 0:
            text = f" = -1 errno={-res} ({os.strerror(-res)})"
        elif name in POINTER_RESULTS:
            text = f" = 0x{res & 0xFFFFFFFF:08x}"
        else:
            text = f" = {res}"
        self.out.write(text + "\n")
        self.out.flush()

    def signal(self, sig: int, code: int, addr: int) -> None:
        """A signal about to run its guest handler."""
        name = self._arg("S", sig)
        where = f", si_addr=0x{addr:08x}" if sig in _FAULT_SIGNALS else ""
        self.out.write(f"{os.getpid()} --- {name} {{si_signo={name}, si_code={code}{where}}}"
                       " ---\n")
        self.out.flush()

    def _arg(self, kind: str, a: int) -> str:
        if kind == "d":
            return str(s32(a))
        if kind == "u":
            return str(a)
        if kind == "x":
            return f"{a:#x}"
        if kind == "p":
            return "NULL" if a == 0 else f"{a:#x}"
        if kind == "a":
            return "NULL" if a == 0 else f"0x{a:08x}"
        if kind == "s":
            if a == 0:
                return "NULL"
            try:
                return _quote(self.mem.read_cstr(a, 4096))
            except GuestFault:
                return f"{a:#x}"
        if kind == "f":
            return "AT_FDCWD" if s32(a) == -100 else str(s32(a))
        if kind == "o":
            return f"0{a:o}"
        if kind == "O":
            acc = ("O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE")[a & 3]
            rest = a & ~3
            return acc + ("|" + _flags(rest, self.layout.open_flag_names) if rest else "")
        if kind == "P":
            return _flags(a, _PROT) if a else "PROT_NONE"
        if kind == "A":
            return _flags(a, _AT_FLAGS) if a else "0"
        if kind == "S":
            return _SIGNALS[a] if 0 < a < len(_SIGNALS) else str(s32(a))
        if kind == "c":
            return _CLOCKS[a] if a < len(_CLOCKS) else str(s32(a))
        if kind == "W":
            return ("SEEK_SET", "SEEK_CUR", "SEEK_END")[a] if a < 3 else str(a)
        if kind == "k":
            return _flags(a, _ACCESS) if a else "F_OK"
        if kind == "X":
            return "STATX_BASIC_STATS" if a == STATX_BASIC_STATS else f"{a:#x}"
        if kind == "F":
            return _FCNTL.get(a, str(a))
        if kind == "I":
            lay = self.layout
            names = {lay.TCGETS: "TCGETS", lay.TCSETS: "TCSETS", lay.TCSETSW: "TCSETSW",
                     lay.TCSETSF: "TCSETSF", lay.TIOCGWINSZ: "TIOCGWINSZ",
                     lay.TIOCSWINSZ: "TIOCSWINSZ", lay.FIONREAD: "FIONREAD"}
            return names.get(a, f"{a:#x}")
        if kind == "T":
            return _ITIMERS[a] if a < len(_ITIMERS) else str(s32(a))
        if kind == "H":
            return ("SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK")[a] if a < 3 else str(a)
        raise ValueError(f"unknown strace argument kind {kind!r}")
