"""The Linux syscall layer against the host's own behaviour, on a real GuestMemory and a
stand-in machine, for both the ARM (little-endian) and PowerPC (big-endian) ABIs."""

from __future__ import annotations

import errno
import io
import os
import pty
import resource
import struct
import termios
import time
from types import SimpleNamespace

import pytest
from dbt.frontends.arm.syscalls import SYSCALL_NAMES as ARM_NAMES
from dbt.frontends.ppc.syscalls import SYSCALL_NAMES as PPC_NAMES

from dbt.linux import GuestExit, GuestSignal
from dbt.linux.syscalls import Linux
from dbt.memory import PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, GuestFault, GuestMemory

SCRATCH = 0x10000000
SCRATCH_SIZE = 0x10000
BRK = 0x00200000
AT_FDCWD = 0xFFFFFF9C
UNMAPPED = 0xDEAD0000

ARCHES = {
    "arm": ("armhf", False, "armv7l", ARM_NAMES),
    "ppc": ("ppc", True, "ppc", PPC_NAMES),
}


class Guest:
    """A Linux instance on fresh guest memory, with helpers to call it by name."""

    def __init__(self, family: str, strace: bool = False, arch_syscall=None) -> None:
        name, big, machine_name, names = ARCHES[family]
        self.family = family
        self.e = ">" if big else "<"
        self.names = {v: k for k, v in names.items()}
        self.mem = GuestMemory(big_endian=big)
        self.mem.map(SCRATCH, SCRATCH_SIZE, PROT_READ | PROT_WRITE)
        self.invalidated: list[tuple[int, int]] = []
        self.err = io.StringIO()
        arch = SimpleNamespace(name=name, big_endian=big, uname_machine=machine_name,
                               syscall_names=names,
                               arch_syscall=arch_syscall or (lambda nr, args, m: None))
        self.machine = SimpleNamespace(
            mem=self.mem, arch=arch,
            image=SimpleNamespace(path=os.path.abspath(__file__), brk=BRK),
            invalidate=lambda s, e: self.invalidated.append((s, e)),
            options=SimpleNamespace(strace=strace), err=self.err)
        self.linux = Linux(self.machine)
        self._next = SCRATCH

    def __call__(self, name: str, *args: int) -> int:
        return self.linux.syscall(self.names[name], tuple(a & 0xFFFFFFFF for a in args))

    def alloc(self, data: bytes | int) -> int:
        """Scratch guest memory holding `data` (or that many zero bytes)."""
        raw = bytes(data) if isinstance(data, int) else data
        addr = self._next
        self._next += (len(raw) + 15) & ~15
        self.mem.write(addr, raw)
        return addr

    def cstr(self, s: str | bytes) -> int:
        return self.alloc(os.fsencode(s) + b"\0")

    def u32(self, addr: int) -> int:
        return struct.unpack(self.e + "I", self.mem.read(addr, 4))[0]

    def pair(self, v: int) -> tuple[int, int]:
        """A 64-bit value as the two registers the ABI passes it in."""
        lo, hi = v & 0xFFFFFFFF, v >> 32
        return (hi, lo) if self.e == ">" else (lo, hi)

    def o_directory(self) -> int:
        return 0o40000   # the same on ARM and PowerPC (not the x86 value)


@pytest.fixture(params=["arm", "ppc"])
def g(request) -> Guest:
    return Guest(request.param)


def test_tables_name_the_calls():
    assert ARM_NAMES[0xF0005] == "ARM_set_tls" and ARM_NAMES[0xF0002] == "ARM_cacheflush"
    assert ARM_NAMES[192] == "mmap2" and ARM_NAMES[140] == "_llseek"
    assert ARM_NAMES[197] == "fstat64" and ARM_NAMES[191] == "ugetrlimit"
    assert ARM_NAMES[403] == "clock_gettime64" and ARM_NAMES[397] == "statx"
    assert PPC_NAMES[192] == "mmap2" and PPC_NAMES[90] == "mmap" and PPC_NAMES[197] == "fstat64"
    assert PPC_NAMES[1] == "exit" and PPC_NAMES[234] == "exit_group"
    assert PPC_NAMES[383] == "statx" and PPC_NAMES[190] == "ugetrlimit"


def test_implemented_covers_the_brief(g):
    want = {"read", "write", "readv", "writev", "openat", "close", "_llseek", "pread64",
            "pwrite64", "fstat64", "stat64", "lstat64", "fstatat64", "statx", "faccessat",
            "faccessat2", "unlinkat", "mkdirat", "renameat", "getcwd", "chdir", "dup", "dup3",
            "pipe2", "fcntl64", "ioctl", "readlinkat", "getdents64", "brk", "mmap2", "munmap",
            "mprotect", "mremap", "madvise", "uname", "exit", "exit_group", "getpid",
            "getppid", "gettid", "getuid32", "geteuid32", "getgid32", "getegid32", "getuid",
            "set_tid_address", "set_robust_list", "rt_sigaction", "rt_sigprocmask",
            "sigaltstack", "kill", "tgkill", "tkill", "clock_gettime", "clock_gettime64",
            "gettimeofday", "nanosleep", "clock_nanosleep", "clock_nanosleep_time64",
            "getrandom", "ugetrlimit", "prlimit64", "sched_getaffinity", "sched_yield",
            "futex", "futex_time64", "umask", "sysinfo", "statfs64", "fstatfs64", "poll",
            "ppoll", "times", "getrusage", "prctl", "ftruncate64", "fsync", "fchmod",
            "utimensat", "clock_getres"}
    if g.family == "ppc":    # PowerPC never had 16-bit ids: its getuid is the 32-bit one
        want -= {"getuid32", "geteuid32", "getgid32", "getegid32"}
    assert want <= set(g.linux.implemented())


def test_write_to_pipe(g):
    r, w = os.pipe()
    try:
        buf = g.alloc(b"hello, pipe")
        assert g("write", w, buf, 11) == 11
        assert os.read(r, 100) == b"hello, pipe"
    finally:
        os.close(r)
        os.close(w)


def test_open_read_close(g, tmp_path):
    f = tmp_path / "data.txt"
    f.write_bytes(b"0123456789abcdef")
    fd = g("openat", AT_FDCWD, g.cstr(str(f)), 0, 0)
    assert fd >= 0
    buf = g.alloc(32)
    assert g("read", fd, buf, 32) == 16
    assert g.mem.read(buf, 16) == b"0123456789abcdef"
    assert g("_llseek", fd, 0, 4, buf, 0) == 0       # SEEK_SET 4, result written at buf
    assert struct.unpack(g.e + "Q", g.mem.read(buf, 8))[0] == 4
    assert g("read", fd, buf, 3) == 3 and g.mem.read(buf, 3) == b"456"
    assert g("pread64", fd, buf, 4, 0, *g.pair(10)) == 4 and g.mem.read(buf, 4) == b"abcd"
    assert g("close", fd) == 0
    assert g("close", fd) == -errno.EBADF


def test_open_missing_file(g):
    assert g("open", g.cstr("/nonexistent/dbt"), 0, 0) == -errno.ENOENT


def test_open_flags_translate(g, tmp_path):
    # O_DIRECTORY on a regular file must fail with ENOTDIR (the host bit means O_DIRECT).
    f = tmp_path / "plain"
    f.write_bytes(b"x")
    assert g("openat", AT_FDCWD, g.cstr(str(f)), g.o_directory(), 0) == -errno.ENOTDIR
    # O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC, then F_GETFL/F_GETFD report what was asked.
    fd = g("open", g.cstr(str(tmp_path / "new")), 0o1 | 0o100 | 0o2000 | 0o2000000, 0o640)
    assert fd >= 0
    assert g("fcntl64", fd, 3, 0) & 0o2003 == 0o2001
    assert g("fcntl64", fd, 1, 0) == 1
    assert os.stat(tmp_path / "new").st_mode & 0o777 == 0o640 & ~_umask()
    fd2 = g("dup", fd)
    assert g("fcntl64", fd2, 1, 0) == 0             # dup clears close-on-exec
    g("close", fd)
    g("close", fd2)


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def _decode_stat64(family: str, e: str, raw: bytes) -> dict[str, int]:
    assert len(raw) == 104
    if family == "arm":
        dev, ino32, mode, nlink, uid, _gid, _rdev, size, _bsz, blocks = struct.unpack_from(
            e + "Q4xIIIIIQ8xqI4xQ", raw)
        mtime, mtime_ns = struct.unpack_from(e + "II", raw, 80)
        ino = struct.unpack_from(e + "Q", raw, 96)[0]
        assert ino32 == ino & 0xFFFFFFFF
    else:
        dev, ino, mode, nlink, uid, _gid, _rdev, size, _blksize, blocks = struct.unpack_from(
            e + "QQIIIIQ8xqi4xq", raw)
        mtime, mtime_ns = struct.unpack_from(e + "iI", raw, 80)
    return {"dev": dev, "ino": ino, "mode": mode, "nlink": nlink, "uid": uid, "size": size,
            "mtime": mtime, "mtime_ns": mtime_ns, "blocks": blocks}


def test_fstat64_matches_host(g, tmp_path):
    f = tmp_path / "sized"
    f.write_bytes(b"z" * 12345)
    fd = os.open(f, os.O_RDONLY)
    try:
        buf = g.alloc(104)
        assert g("fstat64", fd, buf) == 0
        got = _decode_stat64(g.family, g.e, g.mem.read(buf, 104))
        st = os.stat(f)
        assert got["size"] == st.st_size == 12345
        assert got["mode"] == st.st_mode
        assert got["ino"] == st.st_ino
        assert got["dev"] == st.st_dev and got["nlink"] == st.st_nlink
        assert got["uid"] == st.st_uid and got["blocks"] == st.st_blocks
        assert got["mtime"] == int(st.st_mtime) and got["mtime_ns"] == st.st_mtime_ns % 10**9
        # stat64 by path and fstatat64 agree
        assert g("stat64", g.cstr(str(f)), buf) == 0
        assert _decode_stat64(g.family, g.e, g.mem.read(buf, 104))["ino"] == st.st_ino
        assert g("fstatat64", AT_FDCWD, g.cstr(str(f)), buf, 0) == 0
        assert _decode_stat64(g.family, g.e, g.mem.read(buf, 104))["size"] == 12345
    finally:
        os.close(fd)


def test_statx_matches_host(g, tmp_path):
    f = tmp_path / "sx"
    f.write_bytes(b"q" * 777)
    buf = g.alloc(256)
    assert g("statx", AT_FDCWD, g.cstr(str(f)), 0, 0x7FF, buf) == 0
    raw = g.mem.read(buf, 256)
    mask, = struct.unpack_from(g.e + "I", raw, 0)
    mode, = struct.unpack_from(g.e + "H", raw, 28)
    ino, size = struct.unpack_from(g.e + "QQ", raw, 32)
    st = os.stat(f)
    assert mask & 0x7FF == 0x7FF and mode == st.st_mode and ino == st.st_ino and size == 777


def test_brk_grows_and_shrinks(g):
    assert g("brk", 0) == BRK
    assert g("brk", BRK + 0x2800) == BRK + 0x2800
    g.mem.write(BRK + 0x2000, b"heap")                 # new pages are writable...
    assert g.mem.read(BRK, 4) == bytes(4)              # ...and zeroed
    assert g("brk", 0) == BRK + 0x2800
    assert g("brk", BRK + 0x1000) == BRK + 0x1000
    with pytest.raises(GuestFault):
        g.mem.read(BRK + 0x1000, 1)
    assert g("brk", BRK - 0x1000) == BRK + 0x1000      # below the start: refused
    g.mem.map(BRK + 0x3000, PAGE_SIZE, PROT_READ)       # something in the way
    assert g("brk", BRK + 0x5000) == BRK + 0x1000       # failure returns the old break


def test_mmap2_anonymous_and_munmap(g):
    addr = g("mmap2", 0, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0x22, -1, 0)
    assert 0 < addr < 0xFFFFF000 and addr % PAGE_SIZE == 0
    assert g.mem.read(addr, 3 * PAGE_SIZE) == bytes(3 * PAGE_SIZE)
    g.mem.write(addr + 5, b"ok")
    assert g("munmap", addr, 3 * PAGE_SIZE) == 0
    with pytest.raises(GuestFault):
        g.mem.read(addr, 1)
    # a free hint is honoured; MAP_FIXED replaces
    hint = 0x30000000
    assert g("mmap2", hint, PAGE_SIZE, PROT_READ, 0x22, -1, 0) == hint
    g.mem.poke(hint, b"old")
    assert g("mmap2", hint, PAGE_SIZE, PROT_READ, 0x32, -1, 0) == hint
    assert g.mem.read(hint, 3) == bytes(3)
    assert g("munmap", hint + 1, PAGE_SIZE) == -errno.EINVAL


def test_mmap_file_backed(g, tmp_path):
    f = tmp_path / "mapped"
    f.write_bytes(bytes(range(256)) * 40)     # 10240 bytes
    fd = os.open(f, os.O_RDONLY)
    try:
        addr = g("mmap2", 0, 8192, PROT_READ, 0x02, fd, 1)     # MAP_PRIVATE, page 1
        assert addr % PAGE_SIZE == 0
        assert g.mem.read(addr, 8192) == f.read_bytes()[4096:10240] + bytes(8192 - 6144)
        with pytest.raises(GuestFault):
            g.mem.write(addr, b"x")
    finally:
        os.close(fd)


def test_mprotect_and_mremap(g):
    addr = g("mmap2", 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0x22, -1, 0)
    g.mem.write(addr, b"keep me")
    assert g("mprotect", addr, PAGE_SIZE, PROT_READ | PROT_EXEC) == 0
    assert (addr, addr + PAGE_SIZE) in g.invalidated
    with pytest.raises(GuestFault):
        g.mem.write(addr, b"x")
    assert g("mprotect", addr, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE) == 0
    assert g("mprotect", 0x7000_0000, PAGE_SIZE, PROT_READ) == -errno.ENOMEM
    # grow without room and without MREMAP_MAYMOVE fails; with it, the data moves
    g.mem.map(addr + 2 * PAGE_SIZE, PAGE_SIZE, PROT_READ)
    assert g("mremap", addr, 2 * PAGE_SIZE, 4 * PAGE_SIZE, 0, 0) == -errno.ENOMEM
    new = g("mremap", addr, 2 * PAGE_SIZE, 4 * PAGE_SIZE, 1, 0)
    assert new != addr and new % PAGE_SIZE == 0
    assert g.mem.read(new, 7) == b"keep me"
    g.mem.write(new + 4 * PAGE_SIZE - 1, b"!")
    with pytest.raises(GuestFault):
        g.mem.read(addr, 1)
    # shrink in place, then grow in place into the freed room
    assert g("mremap", new, 4 * PAGE_SIZE, PAGE_SIZE, 0, 0) == new
    assert g("mremap", new, PAGE_SIZE, 2 * PAGE_SIZE, 0, 0) == new
    assert g("madvise", new, PAGE_SIZE, 4) == 0        # MADV_DONTNEED zeroes
    assert g.mem.read(new, 7) == bytes(7)


def test_bad_pointers_give_efault(g):
    r, w = os.pipe()
    try:
        assert g("write", w, UNMAPPED, 10) == -errno.EFAULT
        os.write(w, b"data")
        assert g("read", r, UNMAPPED, 4) == -errno.EFAULT
        assert os.read(r, 4) == b"data"          # nothing was consumed
    finally:
        os.close(r)
        os.close(w)
    assert g("stat64", UNMAPPED, g.alloc(104)) == -errno.EFAULT
    assert g("stat64", g.cstr("/"), UNMAPPED) == -errno.EFAULT
    assert g("open", 0, 0, 0) == -errno.EFAULT
    assert g("clock_gettime", 0, UNMAPPED) == -errno.EFAULT
    assert g("uname", UNMAPPED) == -errno.EFAULT


def test_unknown_syscall_is_enosys(g):
    assert g.linux.syscall(9999, (0, 0, 0, 0, 0, 0)) == -errno.ENOSYS
    assert g("socket", 2, 1, 0) == -errno.ENOSYS       # named, not implemented
    assert g("rseq", 0, 0, 0, 0) == -errno.ENOSYS


def test_arch_syscall_comes_first():
    seen = []

    def arch_syscall(nr, args, machine):
        seen.append(nr)
        return 7 if nr == 0xF0005 else None

    g = Guest("arm", arch_syscall=arch_syscall)
    assert g("ARM_set_tls", 0x1234) == 7
    assert g("getpid") == os.getpid()
    assert seen == [0xF0005, g.names["getpid"]]


def test_readlink_proc_self_exe(g):
    buf = g.alloc(512)
    n = g("readlink", g.cstr("/proc/self/exe"), buf, 512)
    assert g.mem.read(buf, n) == os.fsencode(os.path.abspath(__file__))
    assert g("readlinkat", AT_FDCWD, g.cstr("/proc/self/exe"), buf, 4) == 4


def test_uname(g):
    buf = g.alloc(390)
    assert g("uname", buf) == 0
    fields = [g.mem.read(buf + 65 * i, 65).split(b"\0")[0] for i in range(6)]
    assert fields[0] == b"Linux"
    assert fields[1] == os.uname().nodename.encode()
    assert fields[4] == g.machine.arch.uname_machine.encode()


def test_getdents64_lists_directory(g, tmp_path):
    names = {f"file{i}" for i in range(20)} | {"sub"}
    for n in names - {"sub"}:
        (tmp_path / n).write_bytes(b"")
    (tmp_path / "sub").mkdir()
    fd = g("openat", AT_FDCWD, g.cstr(str(tmp_path)), g.o_directory(), 0)
    assert fd >= 0
    seen = {}
    buf = g.alloc(256)       # small: needs several calls
    while True:
        n = g("getdents64", fd, buf, 256)
        assert n >= 0
        if n == 0:
            break
        raw = g.mem.read(buf, n)
        pos = 0
        while pos < n:
            ino, _off, reclen, dtype = struct.unpack_from(g.e + "QqHB", raw, pos)
            name = raw[pos + 19:pos + reclen].split(b"\0")[0].decode()
            seen[name] = (ino, dtype)
            pos += reclen
    g("close", fd)
    assert set(seen) == names | {".", ".."}
    assert seen["sub"][1] == 4 and seen["file3"][1] == 8     # DT_DIR, DT_REG
    assert seen["file3"][0] == os.stat(tmp_path / "file3").st_ino


def test_clock_gettime_is_now(g):
    ts = g.alloc(16)
    assert g("clock_gettime", 0, ts) == 0
    sec, nsec = struct.unpack(g.e + "ii", g.mem.read(ts, 8))
    assert abs(sec + nsec / 1e9 - time.time()) < 2
    assert g("clock_gettime64", 0, ts) == 0
    sec64, nsec64 = struct.unpack(g.e + "qq", g.mem.read(ts, 16))
    assert abs(sec64 + nsec64 / 1e9 - time.time()) < 2 and 0 <= nsec64 < 10**9
    assert g("clock_gettime", 1, ts) == 0
    assert g("clock_gettime", 12345, ts) == -errno.EINVAL
    assert g("gettimeofday", ts, 0) == 0
    sec, usec = struct.unpack(g.e + "ii", g.mem.read(ts, 8))
    assert abs(sec + usec / 1e6 - time.time()) < 2 and 0 <= usec < 10**6


def test_nanosleep_sleeps(g):
    req = g.alloc(struct.pack(g.e + "ii", 0, 20_000_000))
    t0 = time.monotonic()
    assert g("nanosleep", req, 0) == 0
    assert time.monotonic() - t0 >= 0.019
    bad = g.alloc(struct.pack(g.e + "ii", 0, 2_000_000_000))
    assert g("nanosleep", bad, 0) == -errno.EINVAL


def test_exit_and_strace():
    g = Guest("arm", strace=True)
    pid = os.getpid()
    assert g("openat", AT_FDCWD, g.cstr("/nonexistent"), 0, 0) == -errno.ENOENT
    g.linux.syscall(9999, (1, 2, 3, 4, 5, 6))
    with pytest.raises(GuestExit) as e:
        g("exit_group", 3)
    assert e.value.status == 3
    lines = g.err.getvalue().splitlines()
    assert lines[0] == (f'{pid} openat(AT_FDCWD,"/nonexistent",O_RDONLY) = -1 errno=2 '
                        "(No such file or directory)")
    assert lines[1] == f"{pid} Unknown syscall 9999 = -1 errno=38 (Function not implemented)"
    assert lines[2] == f"{pid} exit_group(3)"


def test_strace_brk_shows_pointer():
    g = Guest("ppc", strace=True)
    g("brk", 0)
    assert g.err.getvalue() == f"{os.getpid()} brk(NULL) = 0x{BRK:08x}\n"


def test_signals(g):
    abrt, usr1, chld = 6, 10, 17
    act = g.alloc(20)
    old = g.alloc(20)
    with pytest.raises(GuestSignal) as e:
        g("tgkill", os.getpid(), os.getpid(), abrt)
    assert e.value.signo == abrt and e.value.core
    assert g("kill", os.getpid(), chld) == 0            # default: ignore
    assert g("kill", os.getpid(), 0) == 0
    # SIG_IGN, stored and read back in the arch's layout
    g.mem.write(act, struct.pack(g.e + "IIIII", 1, 0x04000000, 0x1234, 1 << 4, 0))
    assert g("rt_sigaction", usr1, act, 0, 8) == 0
    assert g("kill", 0, usr1) == 0
    assert g("rt_sigaction", usr1, 0, old, 8) == 0
    assert struct.unpack(g.e + "IIIII", g.mem.read(old, 20)) == (1, 0x04000000, 0x1234,
                                                                   1 << 4, 0)
    assert g("rt_sigaction", 9, act, 0, 8) == -errno.EINVAL
    # blocked -> pending; unblocking delivers (default action for SIGUSR2: terminate)
    usr2 = 12
    mask = g.alloc(struct.pack(g.e + "II", 1 << (usr2 - 1), 0))
    oldmask = g.alloc(8)
    assert g("rt_sigprocmask", 0, mask, 0, 8) == 0
    assert g("kill", os.getpid(), usr2) == 0
    assert g("rt_sigpending", oldmask, 8) == 0
    assert struct.unpack(g.e + "II", g.mem.read(oldmask, 8)) == (1 << (usr2 - 1), 0)
    assert g("rt_sigprocmask", 2, 0, oldmask, 8) == 0
    assert struct.unpack(g.e + "II", g.mem.read(oldmask, 8)) == (1 << (usr2 - 1), 0)
    with pytest.raises(GuestSignal) as e:
        g("rt_sigprocmask", 1, mask, 0, 8)
    assert e.value.signo == usr2 and not e.value.core


def test_rlimits_and_misc(g):
    buf = g.alloc(64)
    assert g("ugetrlimit", 3, buf) == 0
    soft, hard = struct.unpack(g.e + "II", g.mem.read(buf, 8))
    assert soft == 8 << 20 and hard >= soft
    assert g("prlimit64", 0, 7, 0, buf) == 0
    soft64, _ = struct.unpack(g.e + "QQ", g.mem.read(buf, 16))
    assert soft64 == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    assert g("sched_getaffinity", 0, 128, buf) == 4
    assert g.u32(buf) == 1
    assert g("getrandom", buf, 32, 0) == 32
    assert g("set_tid_address", buf) == os.getpid()
    assert g("getuid32" if g.family == "arm" else "getuid") == os.getuid()
    assert g("gettid") == os.getpid()
    assert g("sysinfo", buf) == 0
    prev = _umask()
    assert g("umask", prev) == prev


def test_futex_single_thread(g):
    word = g.alloc(struct.pack(g.e + "I", 5))
    assert g("futex", word, 1 | 128, 1, 0, 0, 0) == 0                 # WAKE
    assert g("futex", word, 0 | 128, 4, 0, 0, 0) == -errno.EAGAIN     # value differs
    timeout = g.alloc(struct.pack(g.e + "ii", 0, 1_000_000))
    assert g("futex", word, 0, 5, timeout, 0, 0) == -errno.ETIMEDOUT


def test_iovecs_and_poll(g):
    r, w = os.pipe()
    try:
        a, b = g.alloc(b"abc"), g.alloc(b"defg")
        iov = g.alloc(struct.pack(g.e + "IIII", a, 3, b, 4))
        assert g("writev", w, iov, 2) == 7
        pfd = g.alloc(struct.pack(g.e + "ihh", r, 1, 0))
        assert g("poll", pfd, 1, 0) == 1
        assert struct.unpack(g.e + "ihh", g.mem.read(pfd, 8))[2] & 1
        c, d = g.alloc(2), g.alloc(8)
        iov2 = g.alloc(struct.pack(g.e + "IIII", c, 2, d, 8))
        assert g("readv", r, iov2, 2) == 7
        assert g.mem.read(c, 2) == b"ab" and g.mem.read(d, 5) == b"cdefg"
    finally:
        os.close(r)
        os.close(w)


def test_pipe_dup_and_ioctl(g):
    fds = g.alloc(8)
    assert g("pipe2", fds, 0o2000000) == 0
    r, w = struct.unpack(g.e + "ii", g.mem.read(fds, 8))
    try:
        assert g("fcntl64", r, 1, 0) == 1                        # FD_CLOEXEC
        assert g("ioctl", r, g.linux.layout.TCGETS, g.alloc(64)) == -errno.ENOTTY
        assert g("dup3", r, r, 0) == -errno.EINVAL
    finally:
        os.close(r)
        os.close(w)
    master, slave = pty.openpty()
    try:
        t = g.alloc(64)
        assert g("ioctl", slave, g.linux.layout.TCGETS, t) == 0
        lflag = struct.unpack_from(g.e + "I", g.mem.read(t, 16), 12)[0]
        icanon, echo = (0x100, 0x8) if g.family == "ppc" else (0x2, 0x8)
        host_lflag = termios.tcgetattr(slave)[3]
        assert bool(lflag & icanon) == bool(host_lflag & termios.ICANON)
        assert bool(lflag & echo) == bool(host_lflag & termios.ECHO)
        assert g("ioctl", slave, g.linux.layout.TCSETS, t) == 0
        ws = g.alloc(8)
        assert g("ioctl", slave, g.linux.layout.TIOCGWINSZ, ws) == 0
    finally:
        os.close(master)
        os.close(slave)


def test_files_and_directories(g, tmp_path):
    d = tmp_path / "made"
    assert g("mkdirat", AT_FDCWD, g.cstr(str(d)), 0o755) == 0 and d.is_dir()
    f = d / "f"
    f.write_bytes(b"0123456789")
    assert g("access", g.cstr(str(f)), 4) == 0
    assert g("faccessat", AT_FDCWD, g.cstr(str(d / "nope")), 0) == -errno.ENOENT
    fd = g("open", g.cstr(str(f)), 2, 0)
    assert g("ftruncate64", fd, 0, *g.pair(4)) == 0
    assert g("pwrite64", fd, g.alloc(b"XY"), 2, 0, *g.pair(1)) == 2
    assert g("fsync", fd) == 0
    assert g("fchmod", fd, 0o600) == 0
    g("close", fd)
    assert f.read_bytes() == b"0XY3" and f.stat().st_mode & 0o777 == 0o600
    assert g("renameat", AT_FDCWD, g.cstr(str(f)), AT_FDCWD, g.cstr(str(d / "g"))) == 0
    assert g("unlinkat", AT_FDCWD, g.cstr(str(d / "g")), 0) == 0
    assert g("unlinkat", AT_FDCWD, g.cstr(str(d)), 0x200) == 0 and not d.exists()
    buf = g.alloc(512)
    n = g("getcwd", buf, 512)
    assert g.mem.read(buf, n) == os.getcwdb() + b"\0"
    assert g("getcwd", buf, 2) == -errno.ERANGE
    sfs = g.alloc(96)
    size = 84 if g.family == "arm" else 88
    assert g("statfs64", g.cstr(str(tmp_path)), size, sfs) == 0
    assert g("statfs64", g.cstr(str(tmp_path)), 64, sfs) == -errno.EINVAL
    assert struct.unpack_from(g.e + "I", g.mem.read(sfs, 8), 4)[0] == os.statvfs(tmp_path).f_bsize


def test_fork_and_wait(g):
    status = g.alloc(4)
    pid = g("fork")
    if pid == 0:
        os._exit(7)
    assert pid > 0
    assert g("wait4", pid, status, 0, 0) == pid
    assert os.WEXITSTATUS(struct.unpack(g.e + "i", g.mem.read(status, 4))[0]) == 7
    assert g("wait4", -1, status, 0, 0) == -errno.ECHILD


def test_utimensat(g, tmp_path):
    f = tmp_path / "times"
    f.write_bytes(b"")
    os.utime(f, ns=(5 * 10**9, 6 * 10**9))
    omit = (1 << 30) - 2
    times = g.alloc(struct.pack(g.e + "iiii", 0, omit, 1_000_000, 250))
    assert g("utimensat", AT_FDCWD, g.cstr(str(f)), times, 0) == 0
    st = os.stat(f)
    assert st.st_atime_ns == 5 * 10**9 and st.st_mtime_ns == 1_000_000 * 10**9 + 250
    times64 = g.alloc(struct.pack(g.e + "qqqq", 7, 0, 8, omit))
    assert g("utimensat_time64", AT_FDCWD, g.cstr(str(f)), times64, 0) == 0
    st = os.stat(f)
    assert st.st_atime_ns == 7 * 10**9 and st.st_mtime_ns == 1_000_000 * 10**9 + 250
