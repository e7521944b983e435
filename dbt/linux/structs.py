"""How the guest kernel ABI encodes things, per arch family ("arm" = ARM EABI, "ppc" =
32-bit PowerPC) and byte order: struct layouts, open(2) flag bits and ioctl numbers.

Everything arch-specific about bytes in guest memory lives here, so the syscall code
reads host values, hands them to a `Layout` and writes the bytes it returns."""

from __future__ import annotations

import os
import struct

AT_FDCWD = -100

# open(2) flags whose bit differs between the guest families and the x86-64 host:
# (name, arm bit, ppc bit, host bit).  All other O_* bits are the same everywhere.
# O_LARGEFILE stays last: open_flags_from_host leaves it out.
_OPEN_FLAG_BITS = (
    ("O_DIRECTORY", 0o40000, 0o40000, 0o200000),
    ("O_NOFOLLOW", 0o100000, 0o100000, 0o400000),
    ("O_DIRECT", 0o200000, 0o400000, 0o40000),
    ("O_LARGEFILE", 0o400000, 0o200000, 0o100000),
)
# The common bits.
_OPEN_FLAG_COMMON = {
    "O_CREAT": 0o100, "O_EXCL": 0o200, "O_NOCTTY": 0o400, "O_TRUNC": 0o1000,
    "O_APPEND": 0o2000, "O_NONBLOCK": 0o4000, "O_DSYNC": 0o10000, "O_ASYNC": 0o20000,
    "O_NOATIME": 0o1000000, "O_CLOEXEC": 0o2000000, "__O_SYNC": 0o4000000,
    "O_PATH": 0o10000000, "__O_TMPFILE": 0o20000000,
}
# The order qemu's -strace lists them in.
_OPEN_FLAG_ORDER = ("O_APPEND", "O_CREAT", "O_DIRECTORY", "O_EXCL", "O_LARGEFILE", "O_NOCTTY",
                    "O_NOFOLLOW", "O_NONBLOCK", "O_DSYNC", "__O_SYNC", "O_ASYNC", "O_DIRECT",
                    "O_NOATIME", "O_CLOEXEC", "O_PATH", "__O_TMPFILE", "O_TRUNC")


def _ioc(dirbits: int, typ: str, nr: int, size: int) -> int:
    """PowerPC _IOC encoding: 3 direction bits at 29 (1 none, 2 read, 4 write), 13 size bits."""
    return dirbits << 29 | size << 16 | ord(typ) << 8 | nr


class Layout:
    """Encoders/decoders of guest kernel structs for one arch family and byte order."""

    def __init__(self, family: str, big_endian: bool) -> None:
        if family not in ("arm", "ppc"):
            raise ValueError(f"unknown arch family {family!r}")
        self.family = family
        self.big_endian = big_endian
        e = self.e = ">" if big_endian else "<"
        self._i32 = struct.Struct(e + "i")
        self._u32x2 = struct.Struct(e + "II")
        self._ts32 = struct.Struct(e + "ii")
        self._ts64 = struct.Struct(e + "qq")
        self._u64x2 = struct.Struct(e + "QQ")
        self._sigaction_head = struct.Struct(e + "III")
        self._sigset = struct.Struct(e + "II")
        self._pollfd = struct.Struct(e + "ihh")
        self._winsize = struct.Struct(e + "HHHH")
        self._flock32 = struct.Struct(e + "hhiii")
        self._flock64 = struct.Struct(e + "hh4xqqi4x")
        self._dirent_head = struct.Struct(e + "QqHB")
        self._sysinfo = struct.Struct(e + "i3I6IHH2II8x")
        if family == "arm":
            # arch/arm/include/uapi/asm/stat.h: 32-bit __st_ino early, the real one last.
            self._stat64 = struct.Struct(e + "Q4xIIIIIQ4x4xqI4xQIIIIIIQ")
            # ARM packs statfs64 to 4-byte alignment (no tail padding): 84 bytes.
            self._statfs64 = struct.Struct(e + "IIQQQQQiiIII4I")
            self.termios_size = 36
            self.TCGETS, self.TCSETS, self.TCSETSW, self.TCSETSF = 0x5401, 0x5402, 0x5403, 0x5404
            self.TIOCGWINSZ, self.TIOCSWINSZ, self.FIONREAD = 0x5413, 0x5414, 0x541B
            self.TIOCGPGRP = 0x540F
            col = 1
        else:
            # arch/powerpc/include/uapi/asm/stat.h (32-bit struct stat64).
            self._stat64 = struct.Struct(e + "QQIIIIQH6xqi4xqIIIIIIII")
            self._statfs64 = struct.Struct(e + "IIQQQQQiiIII4I4x")
            self.termios_size = 44
            self.TCGETS = _ioc(2, "t", 19, 44)
            self.TCSETS, self.TCSETSW, self.TCSETSF = (_ioc(4, "t", n, 44) for n in (20, 21, 22))
            self.TIOCGWINSZ, self.TIOCSWINSZ = _ioc(2, "t", 104, 8), _ioc(4, "t", 103, 8)
            self.FIONREAD, self.TIOCGPGRP = _ioc(2, "f", 127, 4), _ioc(2, "t", 119, 4)
            col = 2
        self.statfs64_size = self._statfs64.size
        self._open_bits = tuple((g[col], g[3]) for g in _OPEN_FLAG_BITS)
        self.o_direct = _OPEN_FLAG_BITS[2][col]
        bits = {g[0]: g[col] for g in _OPEN_FLAG_BITS} | _OPEN_FLAG_COMMON
        self.open_flag_names = tuple((name, bits[name]) for name in _OPEN_FLAG_ORDER)
        self._open_guest_mask = sum(b for b, _ in self._open_bits)
        self._open_host_mask = sum(h for _, h in self._open_bits)

    # -- scalars ------------------------------------------------------------------
    def i32(self, v: int) -> bytes:
        return self._i32.pack(v)

    def i32s(self, values: list[int]) -> bytes:
        return struct.pack(f"{self.e}{len(values)}i", *values)

    def u32s(self, data: bytes) -> tuple[int, ...]:
        return struct.unpack(f"{self.e}{len(data) // 4}I", data)

    def u32_pack(self, values: list[int]) -> bytes:
        return struct.pack(f"{self.e}{len(values)}I", *(v & 0xFFFFFFFF for v in values))

    # -- open(2) flags ------------------------------------------------------------
    def open_flags_to_host(self, flags: int) -> int:
        out = flags & ~(self._open_guest_mask | self._open_host_mask)
        for g, h in self._open_bits:
            if flags & g:
                out |= h
        return out

    def open_flags_from_host(self, flags: int) -> int:
        """For F_GETFL.  The 64-bit host forces O_LARGEFILE on every file; a 32-bit guest
        kernel reports it only when asked for, so it is left out (as qemu does)."""
        out = flags & ~(self._open_guest_mask | self._open_host_mask)
        for g, h in self._open_bits[:-1]:
            if flags & h:
                out |= g
        return out

    # -- files --------------------------------------------------------------------
    def stat64(self, st: os.stat_result) -> bytes:
        ino = st.st_ino & 0xFFFFFFFFFFFFFFFF
        times = []
        for ns in (st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns):
            sec, nsec = divmod(ns, 1_000_000_000)
            times += [sec & 0xFFFFFFFF, nsec]
        common = (st.st_mode, st.st_nlink, st.st_uid, st.st_gid, st.st_rdev)
        if self.family == "arm":
            return self._stat64.pack(st.st_dev, ino & 0xFFFFFFFF, *common, st.st_size,
                                     st.st_blksize, st.st_blocks, *times, ino)
        return self._stat64.pack(st.st_dev, ino, *common, 0, st.st_size, st.st_blksize,
                                 st.st_blocks, *times, 0, 0)

    def statfs64(self, f_type: int, f_bsize: int, blocks: tuple[int, ...], fsid: tuple[int, int],
                 f_namelen: int, f_frsize: int, f_flags: int) -> bytes:
        """`blocks` = (f_blocks, f_bfree, f_bavail, f_files, f_ffree)."""
        return self._statfs64.pack(f_type & 0xFFFFFFFF, f_bsize & 0xFFFFFFFF, *blocks, *fsid,
                                   f_namelen & 0xFFFFFFFF, f_frsize & 0xFFFFFFFF,
                                   f_flags & 0xFFFFFFFF, 0, 0, 0, 0)

    def statx(self, host: bytes) -> bytes:
        """Re-encode a host (x86-64, little-endian) struct statx: same layout, guest order."""
        if not self.big_endian:
            return host
        return struct.pack(">" + _STATX_FIELDS, *struct.unpack("<" + _STATX_FIELDS, host))

    def dirents64(self, host: bytes) -> bytes:
        """Re-encode host linux_dirent64 records (the layout is arch-neutral)."""
        if not self.big_endian:
            return host
        out = bytearray(host)
        pos = 0
        while pos < len(host):
            ino, off, reclen, dtype = struct.unpack_from("<QqHB", host, pos)
            self._dirent_head.pack_into(out, pos, ino, off, reclen, dtype)
            pos += reclen
        return bytes(out)

    def iovecs(self, data: bytes) -> list[tuple[int, int]]:
        words = self.u32s(data)
        return list(zip(words[0::2], words[1::2]))

    def flock32_unpack(self, data: bytes) -> tuple[int, ...]:
        return self._flock32.unpack(data)

    def flock32(self, typ: int, whence: int, start: int, length: int, pid: int) -> bytes:
        return self._flock32.pack(typ, whence, start, length, pid)

    def flock64_unpack(self, data: bytes) -> tuple[int, ...]:
        return self._flock64.unpack(data)

    def flock64(self, typ: int, whence: int, start: int, length: int, pid: int) -> bytes:
        return self._flock64.pack(typ, whence, start, length, pid)

    @property
    def flock32_size(self) -> int:
        return self._flock32.size

    @property
    def flock64_size(self) -> int:
        return self._flock64.size

    def pollfds(self, data: bytes) -> list[tuple[int, int, int]]:
        return [self._pollfd.unpack_from(data, i) for i in range(0, len(data), 8)]

    def pollfd_pack(self, entries: list[tuple[int, int, int]]) -> bytes:
        return b"".join(self._pollfd.pack(*e) for e in entries)

    def winsize(self, host: bytes) -> bytes:
        return self._winsize.pack(*struct.unpack("<HHHH", host))

    def winsize_to_host(self, guest: bytes) -> bytes:
        return struct.pack("<HHHH", *self._winsize.unpack(guest))

    # -- time ---------------------------------------------------------------------
    def timespec32(self, ns: int) -> bytes:
        sec, nsec = divmod(ns, 1_000_000_000)
        return self._ts32.pack(s32(sec), nsec)

    def timespec64(self, ns: int) -> bytes:
        sec, nsec = divmod(ns, 1_000_000_000)
        return self._ts64.pack(sec, nsec)

    def timespec32_unpack(self, data: bytes) -> tuple[int, int]:
        return self._ts32.unpack(data)

    def timespec64_unpack(self, data: bytes) -> tuple[int, int]:
        # A 32-bit kernel ignores the upper half of tv_nsec (it is padding there).
        sec, nsec = self._ts64.unpack(data)
        nsec &= 0xFFFFFFFF
        return sec, nsec - (1 << 32) if nsec & 0x80000000 else nsec

    def timeval32(self, ns: int) -> bytes:
        sec, nsec = divmod(ns, 1_000_000_000)
        return self._ts32.pack(s32(sec), nsec // 1000)

    def itimerval(self, interval_us: int, value_us: int) -> bytes:
        """struct itimerval: it_interval, then it_value, each a 32-bit timeval."""
        return b"".join(self._ts32.pack(*divmod(us, 1_000_000))
                        for us in (interval_us, value_us))

    def itimerval_unpack(self, data: bytes) -> tuple[tuple[int, int], tuple[int, int]]:
        """((interval sec, usec), (value sec, usec))."""
        return self._ts32.unpack(data[:8]), self._ts32.unpack(data[8:16])

    def tms(self, ticks: list[int]) -> bytes:
        return self.u32_pack(ticks)

    def rusage(self, utime_ns: int, stime_ns: int, longs: list[int]) -> bytes:
        return self.timeval32(utime_ns) + self.timeval32(stime_ns) + self.i32s(
            [s32(v) for v in longs])

    # -- process ------------------------------------------------------------------
    def rlimit32(self, cur: int, mx: int) -> bytes:
        return self._u32x2.pack(cur, mx)

    def rlimit32_unpack(self, data: bytes) -> tuple[int, int]:
        return self._u32x2.unpack(data)

    def rlimit64(self, cur: int, mx: int) -> bytes:
        return self._u64x2.pack(cur, mx)

    def rlimit64_unpack(self, data: bytes) -> tuple[int, int]:
        return self._u64x2.unpack(data)

    @staticmethod
    def utsname(fields: list[bytes]) -> bytes:
        """sysname, nodename, release, version, machine, domainname: 65 bytes each."""
        return b"".join(f[:64].ljust(65, b"\0") for f in fields)

    def sysinfo(self, uptime: int, loads: tuple[int, int, int], ram: tuple[int, ...],
                procs: int, high: tuple[int, int], mem_unit: int) -> bytes:
        """`ram` = totalram, freeram, sharedram, bufferram, totalswap, freeswap."""
        return self._sysinfo.pack(s32(uptime), *loads, *ram, procs, 0, *high, mem_unit)

    # -- signals ------------------------------------------------------------------
    # The kernel's struct sigaction for rt_sigaction: handler, flags, restorer, 8-byte
    # mask, in this order on both ARM and PowerPC (both define SA_RESTORER).
    sigaction_size = 20

    def sigaction_unpack(self, data: bytes) -> tuple[int, int, int, int]:
        return (*self._sigaction_head.unpack_from(data), self.sigset_unpack(data[12:20]))

    def sigaction(self, handler: int, flags: int, restorer: int, mask: int) -> bytes:
        return self._sigaction_head.pack(handler, flags, restorer) + self.sigset(mask)

    def sigset_unpack(self, data: bytes) -> int:
        """A 64-signal sigset_t is two longs; long 0 holds signals 1..32."""
        lo, hi = self._sigset.unpack(data)
        return lo | hi << 32

    def sigset(self, mask: int) -> bytes:
        return self._sigset.pack(mask & 0xFFFFFFFF, mask >> 32 & 0xFFFFFFFF)

    def stack_t(self, sp: int, flags: int, size: int) -> bytes:
        return struct.pack(self.e + "IiI", sp, flags, size)

    def stack_t_unpack(self, data: bytes) -> tuple[int, int, int]:
        return struct.unpack(self.e + "IiI", data)


# struct statx (include/uapi/linux/stat.h), 256 bytes, arch-neutral apart from byte order.
_STATX_FIELDS = "IIQIIIHHQQQQ" + "qIi" * 4 + "IIII" + "Q" + "II" + "Q" + "IIII" + "II" + "8Q"
assert struct.calcsize("<" + _STATX_FIELDS) == 256


def s32(v: int) -> int:
    """Truncate to a signed 32-bit value, as a 32-bit kernel's int or long would."""
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def family_of(arch_name: str) -> str:
    return "ppc" if arch_name.startswith("ppc") else "arm"
