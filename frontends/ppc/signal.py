"""PowerPC (32-bit) signal frames: what the kernel pushes to run a guest signal handler
and what sigreturn/rt_sigreturn restore (arch/powerpc/kernel/signal_32.c, uapi
asm/ucontext.h and asm/sigcontext.h).

    sigframe:    struct sigcontext (32 bytes), struct mcontext, ABI gap
    rt_sigframe: siginfo (128 bytes), struct ucontext (mcontext at +192), ABI gap

struct mcontext: 48 saved registers (pt_regs order), f0-f31 and FPSCR as doubles, two
pad words, then the (16-byte aligned) vector registers.  The handler's r1 points 64
bytes (rt: 80) below the frame, at a back-chain word holding the interrupted r1; its LR
is a `li r0, nr; sc` trampoline on a page of its own (the stack is not executable)."""

from __future__ import annotations

import os
import struct

from dbt.memory import PROT_EXEC, PROT_READ

from .cpu import (
    NR_RT_SIGRETURN,
    NR_SIGRETURN,
    USER_MSR,
    get_cr,
    get_fpr,
    get_xer,
    set_cr,
    set_fpr,
    set_xer,
)

SA_SIGINFO, SA_ONSTACK = 0x4, 0x08000000
SIGINFO_SIZE = 128
SIGCONTEXT_SIZE = 32
MCONTEXT_SIZE = 48 * 4 + 33 * 8 + 2 * 4 + 33 * 16
UC_STACK, UC_REGS, UC_SIGMASK, UC_MCONTEXT = 8, 48, 52, 192
UC_SIZE = UC_MCONTEXT + MCONTEXT_SIZE
ABIGAP = 56 * 4
SIGNAL_FRAMESIZE = 64           # __SIGNAL_FRAMESIZE: the caller frame below a sigframe
# pt_regs slots in mc_gregs
PT_NIP, PT_MSR, PT_ORIG_R3, PT_CTR, PT_LNK, PT_XER, PT_CCR = 32, 33, 34, 35, 36, 37, 38
TRAMPOLINE = 0xFFFF0000         # li r0, sigreturn; sc; li r0, rt_sigreturn; sc
_TRAMPOLINE_CODE = struct.pack(">4I", 0x38000000 | NR_SIGRETURN, 0x44000002,
                               0x38000000 | NR_RT_SIGRETURN, 0x44000002)


def map_trampoline(mem) -> None:
    if not mem.is_mapped(TRAMPOLINE, 0x1000):
        mem.map(TRAMPOLINE, 0x1000, PROT_READ | PROT_EXEC)
        mem.poke(TRAMPOLINE, _TRAMPOLINE_CODE)


def mcontext(state, resume: int) -> bytes:
    gregs = [state[f"r{i}"] for i in range(32)] + [0] * 16
    gregs[PT_NIP], gregs[PT_MSR], gregs[PT_ORIG_R3] = resume, USER_MSR, state["r3"]
    gregs[PT_CTR], gregs[PT_LNK] = state["ctr"], state["lr"]
    gregs[PT_XER], gregs[PT_CCR] = get_xer(state), get_cr(state)
    fregs = [get_fpr(state, i) for i in range(32)] + [state["fpscr"]]
    return struct.pack(">48I33Q", *gregs, *fregs).ljust(MCONTEXT_SIZE, b"\0")


def setup_frame(machine, sig: int, act: tuple[int, int, int, int], code: int, addr: int,
                old_mask: int, altstack: tuple[int, int, int], resume: int) -> int:
    """Push a (rt_)sigframe and point the registers at the handler; returns its key."""
    state, mem = machine.state, machine.mem
    handler, flags, _, _ = act
    rt = bool(flags & SA_SIGINFO)
    map_trampoline(mem)
    sp = state["r1"]
    ss_sp, ss_flags, ss_size = altstack
    if flags & SA_ONSTACK and ss_size and not ss_sp <= sp < ss_sp + ss_size:
        sp = ss_sp + ss_size
    mc = mcontext(state, resume)
    mask = struct.pack(">II", old_mask & 0xFFFFFFFF, old_mask >> 32 & 0xFFFFFFFF)
    if rt:
        frame = (sp - (SIGINFO_SIZE + UC_SIZE + ABIGAP)) & ~0xF
        uc = frame + SIGINFO_SIZE
        info = bytearray(SIGINFO_SIZE)
        struct.pack_into(">iii", info, 0, sig, 0, code)
        if code <= 0:     # sent by a process (kill, tgkill, raise): its pid and uid
            struct.pack_into(">iI", info, 12, os.getpid(), os.getuid())
        else:             # a fault: the address
            struct.pack_into(">I", info, 12, addr)
        ucontext = bytearray(UC_MCONTEXT)
        struct.pack_into(">IiI", ucontext, UC_STACK, ss_sp, ss_flags, ss_size)
        struct.pack_into(">I", ucontext, UC_REGS, uc + UC_MCONTEXT)
        ucontext[UC_SIGMASK:UC_SIGMASK + 8] = mask
        mem.write(frame, bytes(info) + bytes(ucontext) + mc)
        newsp = frame - SIGNAL_FRAMESIZE - 16
        state["r4"], state["r5"], state["r6"] = frame, uc, frame
        state["lr"] = TRAMPOLINE + 8
    else:
        frame = (sp - (SIGCONTEXT_SIZE + MCONTEXT_SIZE + ABIGAP)) & ~0xF
        # _unused[4] (the last holds the mask's high word), signal, handler, oldmask, regs
        sc = struct.pack(">8I", 0, 0, 0, old_mask >> 32 & 0xFFFFFFFF, sig, handler,
                         old_mask & 0xFFFFFFFF, frame + SIGCONTEXT_SIZE)
        mem.write(frame, sc + mc)
        newsp = frame - SIGNAL_FRAMESIZE
        state["r4"] = frame
        state["lr"] = TRAMPOLINE
    mem.write(newsp, struct.pack(">I", state["r1"]))   # the back chain
    state["r1"] = newsp
    state["r3"] = sig
    state["fpscr"] = 0                                  # all FP exceptions off
    state["pc"] = handler & ~3
    return handler & ~3


def restore_frame(machine, rt: bool) -> tuple[int, int]:
    """sigreturn / rt_sigreturn: restore what the frame above r1 saved; returns (resume
    key, signal mask)."""
    state, mem = machine.state, machine.mem
    if rt:
        uc = state["r1"] + SIGNAL_FRAMESIZE + 16 + SIGINFO_SIZE
        lo, hi = struct.unpack(">II", mem.read(uc + UC_SIGMASK, 8))
        mc = mem.read_u32(uc + UC_REGS)
    else:
        sc = state["r1"] + SIGNAL_FRAMESIZE
        hi, lo, mc = struct.unpack(">I8xII", mem.read(sc + 12, 20))
    vals = struct.unpack(">48I33Q", mem.read(mc, 48 * 4 + 33 * 8))
    for i in range(32):
        state[f"r{i}"] = vals[i]
    state["ctr"], state["lr"] = vals[PT_CTR], vals[PT_LNK]
    set_xer(state, vals[PT_XER])
    set_cr(state, vals[PT_CCR])
    for i in range(32):
        set_fpr(state, i, vals[48 + i])
    state["fpscr"] = vals[80] & 0xFFFFFFFF
    state["pc"] = vals[PT_NIP]
    return vals[PT_NIP] & ~3, lo | hi << 32
