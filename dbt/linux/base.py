"""What every group of syscall implementations shares: the machine, guest memory, the
guest's struct layouts, and helpers to decode arguments.

Handlers are methods named `sys_<kernel name>` taking the raw argument registers as
unsigned ints; they return the result or -errno.  A GuestFault raised while touching
guest memory becomes -EFAULT and an OSError from the host becomes -errno (done once, in
`Linux.syscall`), so handlers just let those propagate."""

from __future__ import annotations

import errno
import os

from dbt.linux.structs import AT_FDCWD, Layout, family_of, s32
from dbt.memory import PROT_WRITE, GuestFault, GuestMemory

PATH_MAX = 4096


def s64(v: int) -> int:
    v &= 0xFFFFFFFFFFFFFFFF
    return v - (1 << 64) if v >> 63 else v


class SyscallBase:
    def __init__(self, machine) -> None:
        self.machine = machine
        self.mem: GuestMemory = machine.mem
        self.family = family_of(machine.arch.name)
        self.layout = Layout(self.family, machine.mem.big_endian)

    # -- arguments ------------------------------------------------------------------
    def pair64(self, first: int, second: int) -> int:
        """A 64-bit argument passed in two consecutive registers (signed).

        Both EABI and PPC32 put it in an even/odd register pair, in memory order: the
        low word first on little-endian ARM, the high word first on PowerPC."""
        if self.mem.big_endian:
            return s64(first << 32 | second)
        return s64(second << 32 | first)

    def path(self, addr: int) -> bytes:
        if addr == 0:
            raise GuestFault(0, False)
        p = self.mem.read_cstr(addr, PATH_MAX + 1)
        if len(p) > PATH_MAX:
            raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG))
        return p

    @staticmethod
    def fd(v: int) -> int:
        """A descriptor argument (Python's fcntl module rejects negative ones itself)."""
        fd = s32(v)
        if fd < 0:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        return fd

    @staticmethod
    def dirfd(v: int) -> int | None:
        """An *at() directory fd for os functions (None = the current directory)."""
        fd = s32(v)
        return None if fd == AT_FDCWD else fd

    # -- guest memory ---------------------------------------------------------------
    def writable_prefix(self, addr: int, length: int) -> int:
        """How many bytes from `addr` the guest may write, up to `length` (0 if none):
        reads into a buffer that runs into an unmapped page fill what fits, as Linux does."""
        length = min(length, (1 << 32) - addr)
        try:
            self.mem.check(addr, length, PROT_WRITE)
            return length
        except GuestFault as e:
            return max(0, e.addr - addr) if e.addr >= addr else 0

    def put_i32(self, addr: int, v: int) -> None:
        self.mem.write(addr, self.layout.i32(s32(v)))
