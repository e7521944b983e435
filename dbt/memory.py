"""Guest memory: the whole 32-bit guest address space as one host reservation.

Host address = `base` + guest address; the reservation is 4 GiB plus a guard, so no
guest address (even an access straddling the top) reaches other host memory.  Pages
are 4 KiB; `perm[page]` holds the guest's permission bits (PROT_READ=1, PROT_WRITE=2,
PROT_EXEC=4), checked in software by every tier: an access without permission raises
`GuestFault`, never a host crash.  Unmapping gives the pages back to the host
(MADV_DONTNEED), so a later mapping reads as zeros."""

from __future__ import annotations

import ctypes
import mmap
import struct

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
NPAGES = 1 << (32 - PAGE_SHIFT)
GUARD = 1 << 16
# Not exported by Python's mmap before 3.12; the Linux value.
MAP_NORESERVE = getattr(mmap, "MAP_NORESERVE", 0x4000)
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
# Search window for mmap(NULL, ...): top-down below the stack, like Linux.
MMAP_TOP = 0xB6000000
MMAP_BOTTOM = 0x01000000


class GuestFault(Exception):
    """A guest access to an address it may not touch (delivered as SIGSEGV)."""

    def __init__(self, addr: int, write: bool, pc: int | None = None) -> None:
        super().__init__(f"guest {'write to' if write else 'read of'} {addr:#010x}")
        self.addr = addr
        self.write = write
        self.pc = pc


def page_align(n: int) -> int:
    return (n + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)


class GuestMemory:
    def __init__(self, big_endian: bool = False) -> None:
        self.big_endian = big_endian
        self.mm = mmap.mmap(-1, (1 << 32) + GUARD,
                            flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_NORESERVE,
                            prot=mmap.PROT_READ | mmap.PROT_WRITE)
        self._anchor = ctypes.c_char.from_buffer(self.mm)
        self.base = ctypes.addressof(self._anchor)
        self.perm = bytearray(NPAGES)
        self.perm_base = ctypes.addressof(ctypes.c_char.from_buffer(self.perm))
        # Called with (start, end) when executable bytes change: the translation cache
        # subscribes to drop stale code.
        self.code_listeners: list = []
        e = ">" if big_endian else "<"
        self._u16 = struct.Struct(e + "H")
        self._u32 = struct.Struct(e + "I")
        self._u64 = struct.Struct(e + "Q")

    # -- mappings -----------------------------------------------------------------
    def map(self, addr: int, length: int, prot: int) -> None:
        """Map [addr, addr+length) (page aligned) zero-filled with `prot`."""
        first, last = addr >> PAGE_SHIFT, (addr + length - 1) >> PAGE_SHIFT
        self._discard(addr, length)
        self.perm[first:last + 1] = bytes([prot | 8]) * (last - first + 1)

    def unmap(self, addr: int, length: int) -> None:
        first, last = addr >> PAGE_SHIFT, (addr + length - 1) >> PAGE_SHIFT
        had_code = any(p & PROT_EXEC for p in self.perm[first:last + 1])
        self.perm[first:last + 1] = bytes(last - first + 1)
        self._discard(addr, length)
        if had_code:
            self._code_changed(addr, addr + length)

    def protect(self, addr: int, length: int, prot: int) -> bool:
        """Change permissions; False when part of the range is unmapped (ENOMEM)."""
        first, last = addr >> PAGE_SHIFT, (addr + length - 1) >> PAGE_SHIFT
        span = self.perm[first:last + 1]
        if not all(p & 8 for p in span):
            return False
        if any(p & PROT_EXEC for p in span) and not prot & PROT_EXEC:
            self._code_changed(addr, addr + length)
        self.perm[first:last + 1] = bytes([prot | 8]) * (last - first + 1)
        return True

    def is_mapped(self, addr: int, length: int) -> bool:
        first, last = addr >> PAGE_SHIFT, (addr + length - 1) >> PAGE_SHIFT
        return any(p & 8 for p in self.perm[first:last + 1])

    def is_free(self, addr: int, length: int) -> bool:
        first, last = addr >> PAGE_SHIFT, (addr + length - 1) >> PAGE_SHIFT
        return last < NPAGES and not any(self.perm[first:last + 1])

    def find_free(self, length: int, top: int = MMAP_TOP) -> int | None:
        """Highest free page-aligned range of `length` bytes below `top`."""
        n = page_align(length) >> PAGE_SHIFT
        i = self.perm.rfind(bytes(n), MMAP_BOTTOM >> PAGE_SHIFT, top >> PAGE_SHIFT)
        return None if i < 0 else i << PAGE_SHIFT

    def _discard(self, addr: int, length: int) -> None:
        start = addr & ~(PAGE_SIZE - 1)
        self.mm.madvise(mmap.MADV_DONTNEED, start, page_align(addr + length - start))

    def _code_changed(self, start: int, end: int) -> None:
        for fn in self.code_listeners:
            fn(start, end)

    # -- checked access (used by the loader, syscalls, helpers and debuggers) -----
    def check(self, addr: int, length: int, need: int) -> None:
        if length <= 0:
            return
        if addr + length > 1 << 32:
            raise GuestFault(addr, bool(need & PROT_WRITE))
        first, last = addr >> PAGE_SHIFT, (addr + length - 1) >> PAGE_SHIFT
        perm = self.perm
        for p in range(first, last + 1):
            if perm[p] & need != need:
                raise GuestFault(max(addr, p << PAGE_SHIFT), bool(need & PROT_WRITE))

    def read(self, addr: int, length: int) -> bytes:
        self.check(addr, length, PROT_READ)
        return self.mm[addr:addr + length]

    def write(self, addr: int, data: bytes) -> None:
        self.check(addr, len(data), PROT_WRITE)
        self.mm[addr:addr + len(data)] = data

    def poke(self, addr: int, data: bytes) -> None:
        """Write ignoring permissions (loader, debugger), noting code changes."""
        self.mm[addr:addr + len(data)] = data
        if any(p & PROT_EXEC for p in self.perm[addr >> PAGE_SHIFT:
                                                 ((addr + len(data) - 1) >> PAGE_SHIFT) + 1]):
            self._code_changed(addr, addr + len(data))

    def peek(self, addr: int, length: int) -> bytes:
        return self.mm[addr:addr + length]

    def read_u8(self, addr: int) -> int:
        return self.read(addr, 1)[0]

    def read_u16(self, addr: int) -> int:
        self.check(addr, 2, PROT_READ)
        return self._u16.unpack_from(self.mm, addr)[0]

    def read_u32(self, addr: int) -> int:
        self.check(addr, 4, PROT_READ)
        return self._u32.unpack_from(self.mm, addr)[0]

    def read_u64(self, addr: int) -> int:
        self.check(addr, 8, PROT_READ)
        return self._u64.unpack_from(self.mm, addr)[0]

    def write_u16(self, addr: int, v: int) -> None:
        self.check(addr, 2, PROT_WRITE)
        self._u16.pack_into(self.mm, addr, v & 0xFFFF)

    def write_u32(self, addr: int, v: int) -> None:
        self.check(addr, 4, PROT_WRITE)
        self._u32.pack_into(self.mm, addr, v & 0xFFFFFFFF)

    def write_u64(self, addr: int, v: int) -> None:
        self.check(addr, 8, PROT_WRITE)
        self._u64.pack_into(self.mm, addr, v & 0xFFFFFFFFFFFFFFFF)

    def read_cstr(self, addr: int, limit: int = 1 << 20) -> bytes:
        """A NUL-terminated string (without the NUL)."""
        out = bytearray()
        while len(out) < limit:
            chunk_end = min((addr | (PAGE_SIZE - 1)) + 1, addr + 256)
            chunk = self.read(addr, chunk_end - addr)
            nul = chunk.find(0)
            if nul >= 0:
                out += chunk[:nul]
                return bytes(out)
            out += chunk
            addr = chunk_end
        return bytes(out)
