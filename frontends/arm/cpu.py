"""ARM guest CPU: the state layout, the Linux ABI (EABI syscalls, TLS, kuser helpers,
auxv) and the Arch object the core uses."""

from __future__ import annotations

import struct

import capstone

from dbt.arch import UnsupportedInstruction
from dbt.ir import I1, I32, Block
from dbt.memory import PROT_EXEC, PROT_READ, GuestMemory
from dbt.state import CPUState, StateLayout

REGS = [f"r{i}" for i in range(13)] + ["sp", "lr", "pc"]
SLOTS = ([(r, I32) for r in REGS]
         + [("n", I1), ("z", I1), ("c", I1), ("v", I1), ("q", I1),
            ("tpidruro", I32), ("excl_addr", I32), ("excl_valid", I1)])
LAYOUT = StateLayout.build(SLOTS)
SLOT = {name: i for i, name in enumerate(LAYOUT.names)}

# HWCAP bits (arch/arm/include/uapi/asm/hwcap.h): only what the frontend implements.
HWCAP_SWP, HWCAP_HALF, HWCAP_THUMB, HWCAP_FAST_MULT, HWCAP_EDSP, HWCAP_TLS = (
    1 << 0, 1 << 1, 1 << 2, 1 << 4, 1 << 7, 1 << 15)
HWCAP_IDIVA = 1 << 17

KUSER_PAGE = 0xFFFF0000
# The kuser helpers, as ARM code at the addresses the kernel ABI fixes (single-threaded
# guest, so plain loads/stores are atomic enough):
_KUSER = {
    # __kuser_cmpxchg64(oldp=r0, newp=r1, ptr=r2): push {r4-r7}; ldrd r4,r5,[r0];
    # ldrd r6,r7,[r2]; cmp r6,r4; cmpeq r7,r5; ldrdeq r4,r5,[r1]; strdeq r4,r5,[r2];
    # moveq r0,#0; movne r0,#1; rsbs r3,r0,#0 (C set on success); pop {r4-r7}; bx lr
    0xFFFF0F60: [0xE92D00F0, 0xE1C040D0, 0xE1C260D0, 0xE1560004, 0x01570005, 0x01C140D0,
                 0x01C240F0, 0x03A00000, 0x13A00001, 0xE2703000, 0xE8BD00F0, 0xE12FFF1E],
    # __kuser_memory_barrier: bx lr
    0xFFFF0FA0: [0xE12FFF1E],
    # __kuser_cmpxchg(old=r0, new=r1, ptr=r2): ldr r3,[r2]; subs r3,r3,r0;
    # streq r1,[r2]; rsbs r0,r3,#0; bx lr
    0xFFFF0FC0: [0xE5923000, 0xE0533000, 0x05821000, 0xE2730000, 0xE12FFF1E],
    # __kuser_get_tls: mrc p15,0,r0,c13,c0,3; bx lr
    0xFFFF0FE0: [0xEE1D0F70, 0xE12FFF1E],
    # __kuser_helper_version: number of helpers
    0xFFFF0FFC: [5],
}


# GDB's register numbering for the "org.gnu.gdb.arm.core" feature: r0-r12, sp, lr, pc
# are 0-15 and cpsr is 25 (16-24 were the FPA registers); the 'g' packet carries them
# in this order.  No VFP feature: the armel frontend has no VFP state yet.
_GDB_REGS = [(i, name, 32) for i, name in enumerate(REGS)] + [(25, "cpsr", 32)]
_GDB_TARGET_XML = """<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
  <architecture>arm</architecture>
  <osabi>GNU/Linux</osabi>
  <feature name="org.gnu.gdb.arm.core">
""" + "".join(
    f'    <reg name="{name}" bitsize="32"'
    + {"sp": ' type="data_ptr"', "pc": ' type="code_ptr"'}.get(name, "")
    + (' regnum="25"' if name == "cpsr" else "") + "/>\n"
    for _, name, _ in _GDB_REGS) + """  </feature>
</target>
"""


class ARMArch:
    big_endian = False
    layout = LAYOUT
    pc_slot = SLOT["pc"]
    sp_slot = SLOT["sp"]
    link_slot = SLOT["lr"]
    platform = "v5l"

    def key_pc(self, key: int) -> int:
        return key & ~1

    # -- decode -------------------------------------------------------------------
    def disasm(self, mem: GuestMemory, key: int, count: int) -> list[tuple[int, bytes, str]]:
        pc = key & ~1
        code = mem.peek(pc, 4 * count)
        out = []
        for i in self._cs.disasm(code, pc):
            out.append((i.address, bytes(i.bytes), f"{i.mnemonic} {i.op_str}".strip()))
        if len(out) < count and len(out) * 4 < len(code):
            a = pc + 4 * len(out)
            out.append((a, code[4 * len(out):4 * len(out) + 4], "(undefined)"))
        return out

    def lift(self, mem: GuestMemory, key: int, limit: int = 0,
             stops: frozenset[int] | set[int] = frozenset()) -> Block:
        from .lift import MAX_INSNS, lift_block
        if key & 1:
            raise UnsupportedInstruction(key & ~1, mem.peek(key & ~1, 2),
                                         "(Thumb state is not supported yet)")
        return lift_block(self, mem, key, limit or MAX_INSNS, stops)

    # -- debugger view (GDB remote protocol) --------------------------------------
    def gdb_target_xml(self) -> dict[str, str]:
        return {"target.xml": _GDB_TARGET_XML}

    def gdb_registers(self) -> list[tuple[int, str, int]]:
        return _GDB_REGS

    def gdb_get_register(self, state: CPUState, key: int, regnum: int) -> int:
        if regnum == 15:
            return key & ~1
        if regnum == 25:
            # CPSR: NZCVQ from their slots, T from the key; user mode (0b10000).
            return (state["n"] << 31 | state["z"] << 30 | state["c"] << 29
                    | state["v"] << 28 | state["q"] << 27 | (key & 1) << 5 | 0x10)
        return state[REGS[regnum]]

    def gdb_set_register(self, state: CPUState, key: int, regnum: int, value: int) -> int:
        if regnum == 15:
            state["pc"] = value & ~1
            return (value & ~1) | (key & 1)
        if regnum == 25:
            for i, flag in enumerate(("n", "z", "c", "v", "q")):
                state[flag] = (value >> (31 - i)) & 1
            return (key & ~1) | ((value >> 5) & 1)
        state[REGS[regnum]] = value
        return key

    # -- Linux ABI ----------------------------------------------------------------
    def syscall_args(self, state: CPUState) -> tuple[int, tuple[int, ...]]:
        v = state.views["I"]
        return v[7], (v[0], v[1], v[2], v[3], v[4], v[5])

    def set_syscall_result(self, state: CPUState, result: int) -> None:
        state.views["I"][0] = result & 0xFFFFFFFF

    def set_tls(self, state: CPUState, value: int) -> None:
        state["tpidruro"] = value

    def init_thread(self, state: CPUState, mem: GuestMemory, entry: int, sp: int) -> int:
        mem.map(KUSER_PAGE, 0x1000, PROT_READ | PROT_EXEC)
        for addr, words in _KUSER.items():
            mem.poke(addr, struct.pack(f"<{len(words)}I", *words))
        state["sp"] = sp
        state["pc"] = entry & ~1
        return entry

    def extra_auxv(self) -> list[tuple[int, int]]:
        return []

    def arch_syscall(self, nr: int, args: tuple[int, ...], machine) -> int | None:
        if nr == 0xF0005:  # set_tls
            self.set_tls(machine.state, args[0])
            return 0
        if nr == 0xF0002:  # cacheflush(start, end, flags)
            machine.invalidate(args[0], args[1])
            return 0
        if nr in (119, 173):  # sigreturn, rt_sigreturn
            from .signal import restore_frame
            key, mask = restore_frame(machine, rt=nr == 173)
            machine.linux.set_mask(mask)
            machine.redirect = key
            return machine.state["r0"]  # the syscall "returns" the restored r0
        return None

    def setup_signal_frame(self, machine, sig: int, act: tuple[int, int, int, int],
                           code: int, addr: int, old_mask: int,
                           altstack: tuple[int, int, int], resume: int) -> int:
        from .signal import setup_frame
        return setup_frame(machine, sig, act, code, addr, old_mask, altstack, resume)


class ArmelArch(ARMArch):
    name = "armel"
    uname_machine = "armv5tel"
    platform = "v5l"
    hwcap = HWCAP_SWP | HWCAP_HALF | HWCAP_FAST_MULT | HWCAP_EDSP | HWCAP_TLS
    hwcap2 = 0

    def __init__(self) -> None:
        from .syscalls import SYSCALL_NAMES
        self.syscall_names = SYSCALL_NAMES
        self._cs = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_ARM)
        self.cs = self._cs
        # Instruction word -> capstone instruction id (ARM_INS_INVALID: capstone cannot
        # decode it), filled as the lifter meets words (lift.lift_block).
        self.insn_ids: dict[int, int] = {}


class ArmhfArch(ArmelArch):
    name = "armhf"
    uname_machine = "armv7l"
    platform = "v7l"
