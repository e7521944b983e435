"""ELF loader: checks a guest executable, maps its PT_LOAD segments into guest memory
and builds the initial stack (argc, argv, envp, auxv) the way Linux does."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from dbt.arch import ARCHES, ArchInfo
from dbt.memory import (
    PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, GuestMemory, page_align,
)

STACK_TOP = 0xBF000000
STACK_SIZE = 8 << 20
PIE_BASE = 0x00400000

AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY = (
    0, 3, 4, 5, 6, 7, 8, 9)
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK = 11, 12, 13, 14, 15, 16, 17
AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN = 23, 25, 26, 31

_MACHINES = {"EM_ARM": "ARM", "EM_PPC": "PowerPC", "EM_X86_64": "x86-64", "EM_386": "i386",
             "EM_AARCH64": "AArch64", "EM_PPC64": "PowerPC64", "EM_MIPS": "MIPS",
             "EM_RISCV": "RISC-V"}


class LoadError(Exception):
    """A user-facing problem with the program file (one line, exit status 1)."""


@dataclass
class Image:
    arch: ArchInfo
    entry: int
    phdr: int
    phent: int
    phnum: int
    load_bias: int
    brk: int
    path: str
    _symbols: list[tuple[int, int, str]] | None = None

    @property
    def symbols(self) -> list[tuple[int, int, str]]:
        """(addr, size, name) of the program's functions, sorted; read on first use
        (pyelftools takes a while over a static glibc's symbol table)."""
        if self._symbols is None:
            self._symbols = []
            with open(self.path, "rb") as f:
                symtab = ELFFile(f).get_section_by_name(".symtab")
                if symtab is not None:
                    for sym in symtab.iter_symbols():
                        if sym["st_info"]["type"] == "STT_FUNC" and sym["st_value"]:
                            self._symbols.append((sym["st_value"] + self.load_bias,
                                                  sym["st_size"], sym.name))
            self._symbols.sort()
        return self._symbols


def identify(path: str) -> tuple[ELFFile, ArchInfo, object]:
    """Open and check `path`; returns the parsed ELF, its arch and the open file."""
    if not os.path.exists(path):
        raise LoadError(f"{path}: no such file")
    if os.path.isdir(path):
        raise LoadError(f"{path}: is a directory")
    try:
        f = open(path, "rb")
    except OSError as e:
        raise LoadError(f"{path}: {e.strerror}") from None
    head = f.read(64)
    if head[:4] != b"\x7fELF":
        raise LoadError(f"{path}: not an ELF executable")
    try:
        elf = ELFFile(f)
        machine = elf["e_machine"]
        etype = elf["e_type"]
        flags = elf["e_flags"]
    except (ELFError, struct.error, ValueError) as e:
        raise LoadError(f"{path}: malformed ELF header ({e})") from None
    endian = "big-endian" if not elf.little_endian else "little-endian"
    for info in ARCHES.values():
        if (info.elf_machine == machine and info.big_endian == (not elf.little_endian)
                and elf.elfclass == 32 and info.matches(flags)):
            break
    else:
        name = _MACHINES.get(machine, str(machine))
        raise LoadError(f"{path}: this is a {elf.elfclass}-bit {endian} {name} ELF; "
                        "dbt runs 32-bit ARM and big-endian PowerPC guests")
    if etype not in ("ET_EXEC", "ET_DYN"):
        raise LoadError(f"{path}: not an executable (ELF type {etype})")
    return elf, info, f


def load(path: str, mem: GuestMemory) -> Image:
    elf, info, f = identify(path)
    try:
        return _load(path, elf, info, f, mem)
    except (ELFError, struct.error, ValueError, OSError) as e:
        raise LoadError(f"{path}: truncated or inconsistent ELF ({e})") from None
    finally:
        f.close()


def _load(path: str, elf: ELFFile, info: ArchInfo, f, mem: GuestMemory) -> Image:
    size = os.fstat(f.fileno()).st_size
    if elf["e_phoff"] == 0 or elf["e_phnum"] == 0:
        raise LoadError(f"{path}: no program headers")
    if elf["e_phoff"] + elf["e_phnum"] * elf["e_phentsize"] > size:
        raise LoadError(f"{path}: truncated ELF (program headers past end of file)")
    segs = list(elf.iter_segments())
    if any(s["p_type"] == "PT_INTERP" for s in segs):
        raise LoadError(f"{path}: dynamically linked; dbt runs static programs "
                        "(build with -static)")
    loads = [s for s in segs if s["p_type"] == "PT_LOAD"]
    if not loads:
        raise LoadError(f"{path}: no loadable segments")
    bias = PIE_BASE if elf["e_type"] == "ET_DYN" else 0
    brk = 0
    phdr = 0
    for s in loads:
        vaddr, memsz, filesz, off = s["p_vaddr"] + bias, s["p_memsz"], s["p_filesz"], s["p_offset"]
        if filesz > memsz or off + filesz > size or vaddr + memsz > 1 << 32:
            raise LoadError(f"{path}: truncated or inconsistent ELF (bad PT_LOAD segment)")
        flags = s["p_flags"]
        prot = ((PROT_READ if flags & 4 else 0) | (PROT_WRITE if flags & 2 else 0)
                | (PROT_EXEC if flags & 1 else 0))
        start = vaddr & ~(PAGE_SIZE - 1)
        end = page_align(vaddr + memsz)
        # Segments may share a page: keep what an earlier segment put there.
        keep = mem.peek(start, end - start) if mem.is_mapped(start, end - start) else None
        old = bytes(mem.perm[start >> 12:end >> 12])
        mem.map(start, end - start, prot)
        if keep is not None:
            mem.poke(start, keep)
            for i, p in enumerate(old):
                if p:
                    mem.perm[(start >> 12) + i] |= p
        f.seek(off)
        mem.poke(vaddr, f.read(filesz))
        if memsz > filesz:  # .bss, including the tail of the last file page
            mem.poke(vaddr + filesz, bytes(end - (vaddr + filesz)))
        brk = max(brk, vaddr + memsz)
        if s["p_offset"] <= elf["e_phoff"] < s["p_offset"] + filesz:
            phdr = vaddr + elf["e_phoff"] - s["p_offset"]
    for s in segs:
        if s["p_type"] == "PT_PHDR":
            phdr = s["p_vaddr"] + bias
    return Image(info, elf["e_entry"] + bias, phdr, elf["e_phentsize"], elf["e_phnum"],
                 bias, page_align(brk), os.path.abspath(path))


def build_stack(mem: GuestMemory, image: Image, argv: list[bytes], envp: list[bytes],
                platform: str, hwcap: int, hwcap2: int, extra_auxv: list[tuple[int, int]],
                big_endian: bool) -> int:
    """Map the stack and lay out argc/argv/envp/auxv; returns the initial sp."""
    mem.map(STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE)
    sp = STACK_TOP
    word = struct.Struct(">I" if big_endian else "<I")

    def push_bytes(data: bytes) -> int:
        nonlocal sp
        sp -= len(data)
        mem.poke(sp, data)
        return sp

    execfn = push_bytes(os.fsencode(image.path) + b"\0")
    plat = push_bytes(platform.encode() + b"\0")
    rand = push_bytes(os.urandom(16))
    env_ptrs = [push_bytes(e + b"\0") for e in reversed(envp)][::-1]
    arg_ptrs = [push_bytes(a + b"\0") for a in reversed(argv)][::-1]
    sp &= ~15
    auxv = [(AT_PHDR, image.phdr), (AT_PHENT, image.phent), (AT_PHNUM, image.phnum),
            (AT_PAGESZ, PAGE_SIZE), (AT_BASE, 0), (AT_FLAGS, 0), (AT_ENTRY, image.entry),
            (AT_UID, os.getuid()), (AT_EUID, os.geteuid()), (AT_GID, os.getgid()),
            (AT_EGID, os.getegid()), (AT_HWCAP, hwcap), (AT_HWCAP2, hwcap2),
            (AT_CLKTCK, 100), (AT_SECURE, 0), (AT_RANDOM, rand), (AT_PLATFORM, plat),
            (AT_EXECFN, execfn), *extra_auxv, (AT_NULL, 0)]
    words = [len(argv), *arg_ptrs, 0, *env_ptrs, 0]
    for k, v in auxv:
        words += [k, v]
    sp -= 4 * len(words)
    sp &= ~15
    mem.poke(sp, b"".join(word.pack(w) for w in words))
    return sp
