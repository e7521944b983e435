"""Host (x86-64 Linux) calls that Python's `os` module lacks, made through libc with
ctypes.  Each raises OSError with the host errno on failure, like `os` functions."""

from __future__ import annotations

import ctypes
import os

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

# x86-64 syscall numbers.
_SYS_GETDENTS64, _SYS_UTIMENSAT, _SYS_RENAMEAT2, _SYS_STATX, _SYS_FACCESSAT2 = (
    217, 280, 316, 332, 439)

STATX_SIZE = 256


def _syscall(nr: int, *args: int | bytes | None | ctypes.Array) -> int:
    conv = [a if isinstance(a, (bytes, ctypes.Array)) or a is None else ctypes.c_long(a)
            for a in args]
    r = _libc.syscall(ctypes.c_long(nr), *conv)
    if r < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return r


def _check(r: int) -> int:
    if r < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return r


def getdents64(fd: int, size: int) -> bytes:
    buf = ctypes.create_string_buffer(size)
    n = _syscall(_SYS_GETDENTS64, fd, buf, size)
    return buf.raw[:n]


def statx(dirfd: int, path: bytes, flags: int, mask: int) -> bytes:
    buf = ctypes.create_string_buffer(STATX_SIZE)
    _syscall(_SYS_STATX, dirfd, path, flags, mask, buf)
    return buf.raw


def faccessat2(dirfd: int, path: bytes, mode: int, flags: int) -> None:
    _syscall(_SYS_FACCESSAT2, dirfd, path, mode, flags)


def utimensat(dirfd: int, path: bytes | None, times: bytes | None, flags: int) -> None:
    """`times`: two host timespecs (16 bytes each, little-endian) or None for "now"."""
    tbuf = ctypes.create_string_buffer(times, len(times)) if times is not None else None
    _syscall(_SYS_UTIMENSAT, dirfd, path, tbuf, flags)


def renameat2(olddirfd: int, old: bytes, newdirfd: int, new: bytes, flags: int) -> None:
    _syscall(_SYS_RENAMEAT2, olddirfd, old, newdirfd, new, flags)


class StatFs(ctypes.Structure):
    _fields_ = [("f_type", ctypes.c_long), ("f_bsize", ctypes.c_long),
                ("f_blocks", ctypes.c_ulong), ("f_bfree", ctypes.c_ulong),
                ("f_bavail", ctypes.c_ulong), ("f_files", ctypes.c_ulong),
                ("f_ffree", ctypes.c_ulong), ("f_fsid", ctypes.c_int * 2),
                ("f_namelen", ctypes.c_long), ("f_frsize", ctypes.c_long),
                ("f_flags", ctypes.c_long), ("f_spare", ctypes.c_long * 4)]


def statfs(path: bytes) -> StatFs:
    out = StatFs()
    _check(_libc.statfs(path, ctypes.byref(out)))
    return out


def fstatfs(fd: int) -> StatFs:
    out = StatFs()
    _check(_libc.fstatfs(fd, ctypes.byref(out)))
    return out


class SysInfo(ctypes.Structure):
    _fields_ = [("uptime", ctypes.c_long), ("loads", ctypes.c_ulong * 3),
                ("totalram", ctypes.c_ulong), ("freeram", ctypes.c_ulong),
                ("sharedram", ctypes.c_ulong), ("bufferram", ctypes.c_ulong),
                ("totalswap", ctypes.c_ulong), ("freeswap", ctypes.c_ulong),
                ("procs", ctypes.c_ushort), ("pad", ctypes.c_ushort),
                ("totalhigh", ctypes.c_ulong), ("freehigh", ctypes.c_ulong),
                ("mem_unit", ctypes.c_uint), ("_f", ctypes.c_char * 4)]


def sysinfo() -> SysInfo:
    out = SysInfo()
    _check(_libc.sysinfo(ctypes.byref(out)))
    return out


class _PollFd(ctypes.Structure):
    _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]


def poll(entries: list[tuple[int, int]], timeout_ms: int) -> tuple[int, list[int]]:
    """poll(2) on (fd, events) pairs; returns the count and each entry's revents."""
    arr = (_PollFd * max(len(entries), 1))()
    for i, (fd, events) in enumerate(entries):
        arr[i].fd, arr[i].events = fd, events
    n = _check(_libc.poll(arr, ctypes.c_ulong(len(entries)), ctypes.c_int(timeout_ms)))
    return n, [arr[i].revents for i in range(len(entries))]
