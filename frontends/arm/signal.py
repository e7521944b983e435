"""ARM signal frames: what the kernel pushes when it runs a guest signal handler, and
what sigreturn/rt_sigreturn restore (layout as in the Linux ARM signal ABI:
siginfo, then a ucontext whose mcontext is struct sigcontext, then the return code)."""

from __future__ import annotations

import struct

SA_SIGINFO, SA_RESTORER = 0x4, 0x04000000
SIGINFO_SIZE = 128
# struct ucontext: uc_flags, uc_link, uc_stack (3 words), uc_mcontext (21 words),
# uc_sigmask (8 bytes, padded to 128), uc_regspace (512 bytes, 8-aligned).
UC_STACK, UC_MCONTEXT, UC_SIGMASK, UC_SIZE = 8, 20, 104, 744
RETCODE_SIZE = 16
NR_SIGRETURN, NR_RT_SIGRETURN = 119, 173
_MCONTEXT = struct.Struct("<21I")   # trap_no, error_code, oldmask, r0-r15, cpsr, fault_address
_REGS = [f"r{i}" for i in range(13)] + ["sp", "lr", "pc"]
_FLAGS = (("n", 31), ("z", 30), ("c", 29), ("v", 28), ("q", 27))


def cpsr(state) -> int:
    v = 0x10  # user mode
    for name, bit in _FLAGS:
        v |= (state[name] & 1) << bit
    return v


def setup_frame(machine, sig: int, act: tuple[int, int, int, int], code: int, addr: int,
                old_mask: int, altstack: tuple[int, int, int], resume: int) -> int:
    """Push a (rt_)sigframe and point the registers at the handler; returns its key."""
    state, mem = machine.state, machine.mem
    handler, flags, restorer, _ = act
    rt = bool(flags & SA_SIGINFO)
    sp = state["sp"]
    ss_sp, ss_flags, ss_size = altstack
    if flags & 0x08000000 and ss_size and not ss_sp <= sp < ss_sp + ss_size:  # SA_ONSTACK
        sp = ss_sp + ss_size
    size = (SIGINFO_SIZE if rt else 0) + UC_SIZE + RETCODE_SIZE
    frame = (sp - size) & ~7
    uc = frame + (SIGINFO_SIZE if rt else 0)
    regs = [state[r] for r in _REGS]
    regs[15] = resume
    mc = _MCONTEXT.pack(0, 0, old_mask & 0xFFFFFFFF, *regs, cpsr(state), addr)
    ucontext = bytearray(UC_SIZE)
    ucontext[UC_STACK:UC_STACK + 12] = struct.pack("<IiI", ss_sp, ss_flags, ss_size)
    ucontext[UC_MCONTEXT:UC_MCONTEXT + len(mc)] = mc
    ucontext[UC_SIGMASK:UC_SIGMASK + 8] = struct.pack("<II", old_mask & 0xFFFFFFFF,
                                                      old_mask >> 32 & 0xFFFFFFFF)
    retcode = uc + UC_SIZE
    nr = NR_RT_SIGRETURN if rt else NR_SIGRETURN
    code_words = struct.pack("<4I", 0xE3A07000 | nr, 0xEF000000, 0, 0)  # mov r7,#nr; svc 0
    data = bytes(ucontext) + code_words
    if rt:
        info = bytearray(SIGINFO_SIZE)
        struct.pack_into("<iii", info, 0, sig, 0, code)
        struct.pack_into("<I", info, 12, addr)
        data = bytes(info) + data
    mem.write(frame, data)
    if rt:
        state["r1"], state["r2"] = frame, uc
    state["r0"] = sig
    state["sp"] = frame
    state["lr"] = restorer if flags & SA_RESTORER else retcode
    state["pc"] = handler & ~1
    return handler


def restore_frame(machine, rt: bool) -> tuple[int, int]:
    """sigreturn / rt_sigreturn: restore the registers saved at sp; returns (resume key,
    signal mask)."""
    state, mem = machine.state, machine.mem
    uc = state["sp"] + (SIGINFO_SIZE if rt else 0)
    mc = _MCONTEXT.unpack(mem.read(uc + UC_MCONTEXT, _MCONTEXT.size))
    lo, hi = struct.unpack("<II", mem.read(uc + UC_SIGMASK, 8))
    for name, value in zip(_REGS, mc[3:19]):
        state[name] = value
    psr = mc[19]
    for name, bit in _FLAGS:
        state[name] = psr >> bit & 1
    pc = mc[18] | (1 if psr & 0x20 else 0)
    return pc, lo | hi << 32
