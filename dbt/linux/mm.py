"""Address-space syscalls: brk, mmap/mmap2, munmap, mprotect, mremap, madvise.

Mappings are guest pages in GuestMemory.  A file mapping is a private copy of the file's
bytes at map time (MAP_SHARED writes do not reach the file).  Whenever pages that held
code are replaced, zapped or change protection, the machine's translations of them are
dropped."""

from __future__ import annotations

import errno
import fcntl
import os
import stat

from dbt.linux.base import SyscallBase
from dbt.memory import PAGE_SHIFT, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, page_align

MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE = 1, 2, 3
MAP_FIXED, MAP_ANONYMOUS, MAP_FIXED_NOREPLACE = 0x10, 0x20, 0x100000
MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP = 1, 2, 4
MADV_DONTNEED = 4
# The lowest address a mapping may have (Linux's default vm.mmap_min_addr).
MMAP_MIN_ADDR = 0x10000
_MAPPED = 8     # GuestMemory.perm bit: page is mapped
_TOP = 1 << 32


class MemorySyscalls(SyscallBase):
    def __init__(self, machine) -> None:
        super().__init__(machine)
        self.brk_start = self.brk_cur = machine.image.brk

    def _pages(self, start: int, size: int) -> bytearray:
        return self.mem.perm[start >> PAGE_SHIFT:(start + size) >> PAGE_SHIFT]

    def _has_code(self, start: int, size: int) -> bool:
        return any(p & PROT_EXEC for p in self._pages(start, size))

    def _drop_code(self, start: int, size: int) -> None:
        self.machine.invalidate(start, start + size)

    # -- the heap -----------------------------------------------------------------
    def sys_brk(self, addr: int, *_: int) -> int:
        cur = self.brk_cur
        if addr < self.brk_start:
            return cur
        old_top, new_top = page_align(cur), page_align(addr)
        if new_top > old_top:
            if new_top > _TOP or not self.mem.is_free(old_top, new_top - old_top):
                return cur
            self.mem.map(old_top, new_top - old_top, PROT_READ | PROT_WRITE)
        elif new_top < old_top:
            self.mem.unmap(new_top, old_top - new_top)
        self.brk_cur = addr
        return addr

    # -- mappings -----------------------------------------------------------------
    def sys_mmap2(self, addr: int, length: int, prot: int, flags: int, fd: int, pgoff: int,
                  *_: int) -> int:
        return self._mmap(addr, length, prot, flags, fd, pgoff * PAGE_SIZE)

    def sys_mmap(self, addr: int, length: int, prot: int, flags: int, fd: int, offset: int,
                 *_: int) -> int:
        """PowerPC's mmap: the offset in bytes.  (ARM EABI has no mmap, only mmap2.)"""
        if offset & (PAGE_SIZE - 1):
            return -errno.EINVAL
        return self._mmap(addr, length, prot, flags, fd, offset)

    def _mmap(self, addr: int, length: int, prot: int, flags: int, fd: int,
              offset: int) -> int:
        size = page_align(length)
        if length == 0 or size > _TOP or flags & 3 not in (MAP_SHARED, MAP_PRIVATE,
                                                           MAP_SHARED_VALIDATE):
            return -errno.EINVAL
        prot &= PROT_READ | PROT_WRITE | PROT_EXEC
        data = b""
        if not flags & MAP_ANONYMOUS:
            fd = self.fd(fd)
            access = fcntl.fcntl(fd, fcntl.F_GETFL) & 3
            if access == os.O_WRONLY or (flags & 3 != MAP_PRIVATE and prot & PROT_WRITE
                                         and access != os.O_RDWR):
                return -errno.EACCES
            if stat.S_ISDIR(os.fstat(fd).st_mode):
                return -errno.ENODEV
            data = os.pread(fd, size, offset)
        if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE):
            if addr & (PAGE_SIZE - 1) or addr + size > _TOP:
                return -errno.EINVAL
            if addr < MMAP_MIN_ADDR:
                return -errno.EPERM
            if flags & MAP_FIXED_NOREPLACE and not flags & MAP_FIXED and \
                    not self.mem.is_free(addr, size):
                return -errno.EEXIST
            start = addr
        else:
            hint = addr & ~(PAGE_SIZE - 1)
            if hint >= MMAP_MIN_ADDR and hint + size <= _TOP and self.mem.is_free(hint, size):
                start = hint
            else:
                found = self.mem.find_free(size)
                if found is None:
                    return -errno.ENOMEM
                start = found
        had_code = self._has_code(start, size)
        self.mem.map(start, size, prot)
        if data:
            self.mem.poke(start, data)
        if had_code:
            self._drop_code(start, size)
        return start

    def sys_munmap(self, addr: int, length: int, *_: int) -> int:
        if addr & (PAGE_SIZE - 1) or length == 0 or addr + page_align(length) > _TOP:
            return -errno.EINVAL
        self.mem.unmap(addr, page_align(length))   # tells the code listeners itself
        return 0

    def sys_mprotect(self, addr: int, length: int, prot: int, *_: int) -> int:
        if addr & (PAGE_SIZE - 1):
            return -errno.EINVAL
        size = page_align(length)
        if size == 0:
            return 0
        if addr + size > _TOP:
            return -errno.ENOMEM
        prot &= PROT_READ | PROT_WRITE | PROT_EXEC
        had_code = self._has_code(addr, size)
        if not self.mem.protect(addr, size, prot):
            return -errno.ENOMEM
        if had_code or prot & PROT_EXEC:
            self._drop_code(addr, size)
        return 0

    def sys_mremap(self, old: int, old_size: int, new_size: int, flags: int, new_addr: int,
                   *_: int) -> int:
        if old & (PAGE_SIZE - 1) or flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP):
            return -errno.EINVAL
        if flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) and not flags & MREMAP_MAYMOVE:
            return -errno.EINVAL
        old_size, new_size = page_align(old_size), page_align(new_size)
        if old_size == 0 or new_size == 0 or old + old_size > _TOP:
            return -errno.EINVAL
        pages = self._pages(old, old_size)
        # Linux needs the old range inside one mapping; here: mapped, one protection.
        if not pages[0] & _MAPPED or pages.count(pages[0]) != len(pages):
            return -errno.EFAULT
        prot = pages[0] & 7
        if flags & MREMAP_FIXED:
            if new_addr & (PAGE_SIZE - 1) or new_addr + new_size > _TOP or \
                    (new_addr < old + old_size and old < new_addr + new_size):
                return -errno.EINVAL
            return self._move(old, old_size, new_addr, new_size, prot, flags)
        if flags & MREMAP_DONTUNMAP:
            found = self.mem.find_free(new_size)
            return -errno.ENOMEM if found is None else \
                self._move(old, old_size, found, new_size, prot, flags)
        if new_size <= old_size:
            if new_size < old_size:
                self.mem.unmap(old + new_size, old_size - new_size)
            return old
        grow = new_size - old_size
        if old + new_size <= _TOP and self.mem.is_free(old + old_size, grow):
            self.mem.map(old + old_size, grow, prot)
            return old
        if not flags & MREMAP_MAYMOVE:
            return -errno.ENOMEM
        found = self.mem.find_free(new_size)
        if found is None:
            return -errno.ENOMEM
        return self._move(old, old_size, found, new_size, prot, flags)

    def _move(self, old: int, old_size: int, new: int, new_size: int, prot: int,
              flags: int) -> int:
        data = self.mem.peek(old, min(old_size, new_size))
        if self.mem.is_mapped(new, new_size):
            self.mem.unmap(new, new_size)
        self.mem.map(new, new_size, prot)
        self.mem.poke(new, data)
        if flags & MREMAP_DONTUNMAP:
            self.mem.map(old, old_size, prot)   # the old range stays, emptied
            if prot & PROT_EXEC:
                self._drop_code(old, old_size)
        else:
            self.mem.unmap(old, old_size)
        return new

    def sys_madvise(self, addr: int, length: int, advice: int, *_: int) -> int:
        if addr & (PAGE_SIZE - 1):
            return -errno.EINVAL
        size = page_align(length)
        if addr + size > _TOP:
            return -errno.EINVAL
        if advice == MADV_DONTNEED and size:
            # Private pages read back as zeros afterwards; programs rely on that.
            pages = bytes(self._pages(addr, size))
            run = 0
            for i in range(1, len(pages) + 1):
                if i == len(pages) or pages[i] != pages[run]:
                    if pages[run] & _MAPPED:
                        self.mem.map(addr + run * PAGE_SIZE, (i - run) * PAGE_SIZE,
                                     pages[run] & 7)
                    run = i
            if self._has_code(addr, size):
                self._drop_code(addr, size)
            if not all(p & _MAPPED for p in pages):
                return -errno.ENOMEM
        return 0

    def sys_msync(self, *_: int) -> int:
        return 0

    sys_mlock = sys_munlock = sys_mlockall = sys_munlockall = sys_mlock2 = sys_msync
