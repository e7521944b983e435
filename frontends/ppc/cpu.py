"""PowerPC guest CPU (32-bit, big-endian, classic FPU): the state layout, the Linux ABI
(`sc` with r0 = number, r3-r8 = arguments, errors flagged in CR0.SO; TLS pointer in r2;
cache-geometry auxv entries) and the Arch object the core uses.

Block keys are guest pcs (always 4-aligned: no mode bits)."""

from __future__ import annotations

import struct

import capstone

from dbt.arch import UnsupportedInstruction
from dbt.ir import F64, I1, I32, Block
from dbt.memory import GuestMemory
from dbt.state import CPUState, StateLayout

# The FPU helpers (ppc_fp & co) must be registered before any IR that calls them runs:
# blocks loaded from the persistent cache arrive without the lifter being imported, and
# the JIT numbers its helper slots at start-up.
from . import fpu  # noqa: F401

GPRS = [f"r{i}" for i in range(32)]
# Each CR field is one i32 slot holding its 4 bits (LT=8, GT=4, EQ=2, SO=1): compares and
# record forms write one slot, and mfcr/mtcrf/mcrf move whole fields.  XER's SO, OV and
# CA are i1 slots; "xer" keeps its other bits (the lswx/stswx byte count among them).
# "icbi" holds a pending icbi's cache line | 1 (see PPCArch.syscall_args).
SLOTS = ([(r, I32) for r in GPRS]
         + [("lr", I32), ("ctr", I32), ("xer", I32), ("so", I1), ("ov", I1), ("ca", I1)]
         + [(f"cr{i}", I32) for i in range(8)]
         + [("fpscr", I32), ("res_addr", I32), ("res_valid", I1), ("pc", I32), ("icbi", I32)]
         + [(f"f{i}", F64) for i in range(32)])
LAYOUT = StateLayout.build(SLOTS)
SLOT = {name: i for i, name in enumerate(LAYOUT.names)}

# arch/powerpc/include/uapi/asm/cputable.h: only what the frontend implements.
PPC_FEATURE_32, PPC_FEATURE_HAS_FPU, PPC_FEATURE_HAS_MMU = 0x80000000, 0x08000000, 0x04000000
# include/uapi/linux/auxvec.h and arch/powerpc/include/uapi/asm/auxvec.h
AT_IGNOREPPC, AT_DCACHEBSIZE, AT_ICACHEBSIZE, AT_UCACHEBSIZE = 22, 19, 20, 21
CACHE_LINE = 32          # the 750's L1 line: dcbz clears this many bytes
PVR = 0x00080301         # PowerPC 750 (what qemu-ppc emulates by default); mfpvr reads it

# A pseudo system call number (no kernel has it) by which a block asks the core to
# invalidate the translations of one cache line after an icbi.
ICBI_SERVICE = 0x7FFF0001

_I = {name: LAYOUT.view_index(i) for i, name in enumerate(LAYOUT.names)
      if LAYOUT.view_code(i) == "I"}
XER_KEPT = 0x1FF3FFFF    # the XER bits besides SO/OV/CA that mtxer keeps (as qemu-ppc)
NR_SIGRETURN, NR_RT_SIGRETURN = 119, 172
USER_MSR = 0xF032        # EE PR FP ME IR DR RI: what a 32-bit user process runs with


# -- whole registers from their slots (for signal frames and the debugger) -------------
def get_cr(state: CPUState) -> int:
    return sum(state[f"cr{f}"] << (28 - 4 * f) for f in range(8))


def set_cr(state: CPUState, v: int) -> None:
    for f in range(8):
        state[f"cr{f}"] = v >> (28 - 4 * f) & 0xF


def get_xer(state: CPUState) -> int:
    return state["xer"] | state["so"] << 31 | state["ov"] << 30 | state["ca"] << 29


def set_xer(state: CPUState, v: int) -> None:
    state["so"], state["ov"], state["ca"] = v >> 31 & 1, v >> 30 & 1, v >> 29 & 1
    state["xer"] = v & XER_KEPT


def get_fpr(state: CPUState, n: int) -> int:
    return struct.unpack("<Q", struct.pack("<d", state[f"f{n}"]))[0]


def set_fpr(state: CPUState, n: int, bits: int) -> None:
    state[f"f{n}"] = struct.unpack("<d", struct.pack("<Q", bits & (1 << 64) - 1))[0]


# GDB's numbering for "org.gnu.gdb.power.core" (r0-r31 0-31, pc 64, msr 65, cr 66, lr 67,
# ctr 68, xer 69) and "org.gnu.gdb.power.fpu" (f0-f31 32-63, fpscr 70); the 'g' packet
# carries them in this order.
_GDB_SPECIAL = ["pc", "msr", "cr", "lr", "ctr", "xer"]
_GDB_REGS = ([(i, f"r{i}", 32) for i in range(32)] + [(32 + i, f"f{i}", 64) for i in range(32)]
             + [(64 + i, name, 32) for i, name in enumerate(_GDB_SPECIAL)] + [(70, "fpscr", 32)])
_GDB_TARGET_XML = """<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
  <architecture>powerpc:common</architecture>
  <osabi>GNU/Linux</osabi>
  <feature name="org.gnu.gdb.power.core">
""" + "".join(f'    <reg name="r{i}" bitsize="32" type="uint32" regnum="{i}"/>\n'
              for i in range(32)) + "".join(
    f'    <reg name="{name}" bitsize="32" regnum="{64 + i}"'
    + {"pc": ' type="code_ptr"', "lr": ' type="code_ptr"'}.get(name, ' type="uint32"') + "/>\n"
    for i, name in enumerate(_GDB_SPECIAL)) + """  </feature>
  <feature name="org.gnu.gdb.power.fpu">
""" + "".join(f'    <reg name="f{i}" bitsize="64" type="ieee_double" regnum="{32 + i}"/>\n'
              for i in range(32)) + """\
    <reg name="fpscr" bitsize="32" group="float" regnum="70"/>
  </feature>
</target>
"""


class PPCArch:
    name = "ppc"
    big_endian = True
    layout = LAYOUT
    pc_slot = SLOT["pc"]
    sp_slot = SLOT["r1"]
    link_slot = SLOT["lr"]
    uname_machine = "ppc"
    platform = "ppc750"
    hwcap = PPC_FEATURE_32 | PPC_FEATURE_HAS_FPU | PPC_FEATURE_HAS_MMU
    hwcap2 = 0

    def __init__(self) -> None:
        from .syscalls import SYSCALL_NAMES
        self.syscall_names = SYSCALL_NAMES
        self.cs = capstone.Cs(capstone.CS_ARCH_PPC,
                              capstone.CS_MODE_32 | capstone.CS_MODE_BIG_ENDIAN)
        self._service = False

    def key_pc(self, key: int) -> int:
        return key & ~3

    # -- decode -------------------------------------------------------------------
    def disasm(self, mem: GuestMemory, key: int, count: int) -> list[tuple[int, bytes, str]]:
        pc = key & ~3
        code = mem.peek(pc, 4 * count)
        return [(pc + off, code[off:off + 4], self.text(code[off:off + 4], pc + off))
                for off in range(0, len(code) - 3, 4)]

    def text(self, raw: bytes, pc: int) -> str:
        """Capstone's disassembly; a word it does not know (it lacks e.g. the OE forms,
        mcrxr, lswx, fcmpo) shows as data."""
        insn = next(self.cs.disasm(raw, pc), None)
        if insn is None:
            return f".long {int.from_bytes(raw, 'big'):#010x}"
        return f"{insn.mnemonic} {insn.op_str}".strip()

    def lift(self, mem: GuestMemory, key: int, limit: int = 0,
             stops: frozenset[int] | set[int] = frozenset()) -> Block:
        from .lift import MAX_INSNS, lift_block
        if key & 3:
            raise UnsupportedInstruction(key, mem.peek(key & ~3, 4), "(misaligned pc)")
        return lift_block(self, mem, key, limit or MAX_INSNS, stops)

    # -- debugger view (GDB remote protocol) --------------------------------------
    def gdb_target_xml(self) -> dict[str, str]:
        return {"target.xml": _GDB_TARGET_XML}

    def gdb_registers(self) -> list[tuple[int, str, int]]:
        return _GDB_REGS

    def gdb_get_register(self, state: CPUState, key: int, regnum: int) -> int:
        if regnum < 32:
            return state[f"r{regnum}"]
        if regnum < 64:
            return get_fpr(state, regnum - 32)
        name = "fpscr" if regnum == 70 else _GDB_SPECIAL[regnum - 64]
        if name == "pc":
            return key & ~3
        if name == "msr":
            return USER_MSR
        return {"cr": get_cr, "xer": get_xer}.get(name, lambda st: st[name])(state)

    def gdb_set_register(self, state: CPUState, key: int, regnum: int, value: int) -> int:
        if regnum < 32:
            state[f"r{regnum}"] = value
        elif regnum < 64:
            set_fpr(state, regnum - 32, value)
        else:
            name = "fpscr" if regnum == 70 else _GDB_SPECIAL[regnum - 64]
            if name == "pc":
                state["pc"] = value & ~3
                return value & ~3
            if name == "cr":
                set_cr(state, value)
            elif name == "xer":
                set_xer(state, value)
            elif name != "msr":
                state[name] = value
        return key

    # -- Linux ABI ----------------------------------------------------------------
    def syscall_args(self, state: CPUState) -> tuple[int, tuple[int, ...]]:
        v = state.views["I"]
        line = v[_I["icbi"]]
        if line:
            # Not a real syscall: an icbi ended its block to have the line retranslated.
            v[_I["icbi"]] = 0
            self._service = True
            return ICBI_SERVICE, (line & ~1,)
        return v[_I["r0"]], tuple(v[_I[f"r{i}"]] for i in range(3, 9))

    def set_syscall_result(self, state: CPUState, result: int) -> None:
        if self._service:
            self._service = False
            return
        # arch/powerpc/kernel/syscall.c: a result in [-4095, -1] is an error, returned as
        # the positive errno with CR0.SO set.
        v = state.views["I"]
        r = result & 0xFFFFFFFF
        cr0 = v[_I["cr0"]] & ~1
        if r >= 0xFFFFF001:
            r = -r & 0xFFFFFFFF
            cr0 |= 1
        v[_I["r3"]] = r
        v[_I["cr0"]] = cr0

    def set_tls(self, state: CPUState, value: int) -> None:
        state["r2"] = value

    def init_thread(self, state: CPUState, mem: GuestMemory, entry: int, sp: int) -> int:
        from .signal import map_trampoline
        map_trampoline(mem)
        state["r1"] = sp
        state["pc"] = entry
        return entry

    def extra_auxv(self) -> list[tuple[int, int]]:
        # ARCH_DLINFO (arch/powerpc/include/asm/elf.h), as qemu-ppc gives them.
        return [(AT_IGNOREPPC, AT_IGNOREPPC), (AT_IGNOREPPC, AT_IGNOREPPC),
                (AT_DCACHEBSIZE, CACHE_LINE), (AT_ICACHEBSIZE, CACHE_LINE),
                (AT_UCACHEBSIZE, 0)]

    def arch_syscall(self, nr: int, args: tuple[int, ...], machine) -> int | None:
        if nr == ICBI_SERVICE and self._service:
            machine.invalidate(args[0], args[0] + CACHE_LINE)
            return 0
        if nr in (NR_SIGRETURN, NR_RT_SIGRETURN):
            from .signal import restore_frame
            key, mask = restore_frame(machine, rt=nr == NR_RT_SIGRETURN)
            machine.linux.set_mask(mask)
            machine.redirect = key
            self._service = True   # the registers are the restored ones: no result
            return 0
        return None

    def setup_signal_frame(self, machine, sig: int, act: tuple[int, int, int, int],
                           code: int, addr: int, old_mask: int,
                           altstack: tuple[int, int, int], resume: int) -> int:
        from .signal import setup_frame
        return setup_frame(machine, sig, act, code, addr, old_mask, altstack, resume)
