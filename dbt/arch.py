"""What a frontend provides, and the registries the core finds frontends and backends in.

The core never imports a frontend or backend by name: `load_plugins()` imports every
module of the `dbt.frontends` and `dbt.backends` packages, and they register here."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Protocol

if TYPE_CHECKING:
    from dbt.ir import Block
    from dbt.memory import GuestMemory
    from dbt.state import CPUState, StateLayout


class UnsupportedInstruction(Exception):
    """The frontend met an instruction it cannot lift (reported, then SIGILL)."""

    def __init__(self, pc: int, raw: bytes, text: str) -> None:
        super().__init__(f"unsupported instruction at {pc:#010x}: {raw.hex()}  {text}")
        self.pc, self.raw, self.text = pc, raw, text


class Arch(Protocol):
    """A guest architecture: decode/lift plus its Linux ABI.

    Block keys: a guest pc with the ISA mode folded in the low bits (ARM: bit 0 = Thumb,
    as BX uses it), so exits return a single i32 key."""

    name: str                 # "armel", "armhf", "ppc"
    big_endian: bool
    layout: "StateLayout"
    pc_slot: int
    sp_slot: int
    link_slot: int            # where calls leave the return address (ARM lr, PPC lr)
    uname_machine: str
    platform: str
    hwcap: int
    hwcap2: int
    syscall_names: dict[int, str]

    def lift(self, mem: "GuestMemory", key: int, limit: int = 0,
             stops: frozenset[int] | set[int] = frozenset()) -> "Block":
        """Lift the block at `key`: at most `limit` instructions (0: the frontend's
        maximum), ending before any address in `stops` other than its first."""
        ...
    def disasm(self, mem: "GuestMemory", key: int, count: int) -> list[tuple[int, bytes, str]]: ...
    def key_pc(self, key: int) -> int: ...
    def syscall_args(self, state: "CPUState") -> tuple[int, tuple[int, ...]]: ...
    def set_syscall_result(self, state: "CPUState", result: int) -> None: ...
    def set_tls(self, state: "CPUState", value: int) -> None: ...
    def init_thread(self, state: "CPUState", mem: "GuestMemory", entry: int, sp: int) -> int: ...
    def extra_auxv(self) -> list[tuple[int, int]]: ...
    def arch_syscall(self, nr: int, args: tuple[int, ...], machine: object) -> int | None: ...
    def setup_signal_frame(self, machine: object, sig: int, act: tuple[int, int, int, int],
                           code: int, addr: int, old_mask: int,
                           altstack: tuple[int, int, int], resume: int) -> int:
        """Push the arch's signal frame for a guest handler and point the registers at
        it; returns the handler's key.  (sigreturn is the arch's arch_syscall: it
        restores the frame, calls machine.linux.set_mask and sets machine.redirect.)"""
        ...

    # The debugger view (dbt.gdbstub and dbt.trace).  Registers travel in the target's
    # byte order (`big_endian`); the pc is not a state slot but the block key.
    def gdb_target_xml(self) -> dict[str, str]:
        """GDB target description documents by annex name; "target.xml" is the root
        (it names the architecture and the features: e.g. org.gnu.gdb.arm.core,
        org.gnu.gdb.power.core)."""
        ...
    def gdb_registers(self) -> list[tuple[int, str, int]]:
        """(gdb register number, name, bits) of every described register, in the order
        of the 'g' packet."""
        ...
    def gdb_get_register(self, state: "CPUState", key: int, regnum: int) -> int: ...
    def gdb_set_register(self, state: "CPUState", key: int, regnum: int,
                         value: int) -> int:
        """Write a register; returns the (possibly changed) current block key."""
        ...


@dataclass
class ArchInfo:
    """How the loader recognises an ELF file for an architecture."""

    name: str
    elf_machine: str
    big_endian: bool
    matches: Callable[[int], bool]   # e_flags -> is this the arch
    factory: Callable[[], Arch] = field(repr=False)
    # False while the frontend cannot yet run this arch's programs (the loader still
    # recognises them, and the tests skip them).
    ready: bool = True


# A compiler turns a lifted block into callables: (machine, key, block) ->
# {key: Compiled} -- it may compile a whole region around the block.
Compiled = tuple["Block", Callable[[], int], object, int]  # block, fn, counters, index


@dataclass
class Tier:
    """An execution strategy: how a block is first translated, and (optionally) how a
    block that ran `threshold` times is recompiled."""

    name: str
    first: Callable
    hot: Callable | None = None
    threshold: int = 0
    # (machine, key, block, list) -> a callable for `block` that also appends each
    # memory access to the list, as ("r" | "w", address, bytes, value): the tracer's.
    recording: Callable | None = None


ARCHES: dict[str, ArchInfo] = {}
TIERS: dict[str, Tier] = {}


def register_arch(info: ArchInfo) -> None:
    ARCHES[info.name] = info


def register_tier(tier: Tier) -> None:
    TIERS[tier.name] = tier


_loaded = False


def load_plugins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for pkgname in ("dbt.frontends", "dbt.backends"):
        pkg = importlib.import_module(pkgname)
        for mod in pkgutil.iter_modules(pkg.__path__, pkgname + "."):
            importlib.import_module(mod.name)
