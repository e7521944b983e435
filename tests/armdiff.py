"""Differential testing of the ARM (A32) frontend against unicorn.

A `Snippet` is a few lines of ARM assembly (keystone syntax; `.word` for encodings
keystone cannot produce) followed by a UDF.  `check` runs it from the same starting
state -- r0-r14, NZCVQ, a data region of random bytes -- in unicorn and in dbt, and
compares every register, flag and data byte, and that both stopped at the UDF.

Unicorn runs in user mode (CPSR.M = 0x10, as a Linux process sees it), so MRS reads the
same mode bits in both engines."""

from __future__ import annotations

import functools
import io
import random
import signal
from dataclasses import dataclass, field

import capstone
import keystone
import unicorn
from unicorn import arm_const as U

from dbt.engine import Machine, Options
from dbt.memory import PROT_EXEC, PROT_READ, PROT_WRITE
from diffcommon import Spec, pick, value, data_difference, seed_of

CODE = 0x10000
CODE_SIZE = 0x1000
DATA = 0x20000
DATA_SIZE = 0x2000
STACK = DATA + 0x1000          # sp points here: pushes and pops stay inside the region
UDF = 0xE7F000F0               # udf #0: dbt traps with SIGILL, unicorn stops before it
CLREX_STUB = CODE + CODE_SIZE - 8  # clrex; udf -- resets unicorn's exclusive monitor
SIGILL_STATUS = 128 + 4
WATCHDOG_SECONDS = 10          # a snippet runs in microseconds: longer means a loop

EXCP_SWI = 2                   # unicorn's interrupt number for SVC
ENOSYS = 38
UNKNOWN_SYSCALL = 0x7F00       # r7 for SVC snippets: no such Linux syscall

REG_NAMES = [f"r{i}" for i in range(13)] + ["sp", "lr"]
FLAG_BITS = {"n": 31, "z": 30, "c": 29, "v": 28, "q": 27}
USER_MODE = 0x10
UC_REGS = [getattr(U, f"UC_ARM_REG_R{i}") for i in range(13)] + [U.UC_ARM_REG_SP,
                                                                  U.UC_ARM_REG_LR]

CONDS = ("eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt",
         "le", "")
SHIFT_AMOUNTS = (0, 1, 31, 32, 33, 255)



def shift_amount(rng: random.Random) -> int:
    """A register shift amount: only the bottom byte counts, so add junk above it."""
    amt = rng.choice(SHIFT_AMOUNTS) if rng.random() < 0.7 else rng.randrange(256)
    return amt | (rng.getrandbits(24) << 8 if rng.random() < 0.3 else 0)


def rol(v: int, n: int) -> int:
    n %= 32
    return ((v << n) | (v >> (32 - n))) & 0xFFFFFFFF if n else v


@dataclass
class State:
    regs: list[int]                      # r0-r12, sp, lr
    flags: dict[str, int]                # n z c v q -> 0/1
    data: bytes
    tls: int                             # TPIDRURO, the user read-only thread register

    def describe(self) -> str:
        regs = " ".join(f"{n}={v:#x}" for n, v in zip(REG_NAMES, self.regs))
        flags = "".join(k.upper() if v else k for k, v in self.flags.items())
        return f"{regs} flags={flags} tpidruro={self.tls:#x}"


@dataclass
class Result:
    regs: list[int]
    flags: dict[str, int]
    data: bytes
    pc: int
    note: str = ""


@dataclass
class Snippet:
    """Assembly to run, and how to shape its starting states: `fix` maps a register or
    flag name to a Spec applied on top of a random state; `overrides` (one dict per
    state) pins states exactly where a case must see particular inputs."""

    src: str
    fix: dict[str, Spec] = field(default_factory=dict)
    nstates: int = 4
    overrides: list[dict[str, Spec]] | None = None

    def states(self, rng: random.Random) -> list[State]:
        out = []
        for extra in self.overrides or [{}] * self.nstates:
            regs = [value(rng) for _ in range(13)] + [STACK, value(rng)]
            flags = {k: rng.getrandbits(1) for k in FLAG_BITS}
            for name, spec in {**self.fix, **extra}.items():
                v = pick(rng, spec)
                if name in FLAG_BITS:
                    flags[name] = v & 1
                else:
                    regs[REG_NAMES.index(name)] = v & 0xFFFFFFFF
            out.append(State(regs, flags, rng.randbytes(DATA_SIZE), rng.getrandbits(32)))
        return out


@dataclass
class Case:
    id: str
    snippets: list[Snippet]


# -- assembling ------------------------------------------------------------------------
_ks = keystone.Ks(keystone.KS_ARCH_ARM, keystone.KS_MODE_ARM)
_cs = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_ARM)


@functools.cache
def assemble(src: str) -> bytes:
    """Assemble at CODE and append the UDF the run stops at."""
    try:
        encoding, _ = _ks.asm(src, CODE)
    except keystone.KsError as e:
        raise ValueError(f"keystone cannot assemble {src!r}: {e}") from None
    if not encoding:
        raise ValueError(f"keystone produced nothing for {src!r}")
    return bytes(encoding) + UDF.to_bytes(4, "little")


def disassemble(code: bytes) -> str:
    lines = []
    for off in range(0, len(code), 4):
        word = code[off:off + 4]
        insn = next(_cs.disasm(word, CODE + off), None)
        text = f"{insn.mnemonic} {insn.op_str}" if insn else "(capstone: undecodable)"
        lines.append(f"  {CODE + off:#x}: {word[::-1].hex()}  {text}")
    return "\n".join(lines)


# -- the two engines ---------------------------------------------------------------------
def new_unicorn(code: bytes) -> unicorn.Uc:
    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_ARM)
    uc.mem_map(CODE, CODE_SIZE, unicorn.UC_PROT_READ | unicorn.UC_PROT_EXEC)
    uc.mem_map(DATA, DATA_SIZE, unicorn.UC_PROT_READ | unicorn.UC_PROT_WRITE)
    uc.mem_write(CODE, code)
    uc.mem_write(CLREX_STUB, bytes.fromhex("1ff07ff5") + UDF.to_bytes(4, "little"))
    uc.hook_add(unicorn.UC_HOOK_INTR, _unicorn_svc)
    return uc


def _unicorn_svc(uc: unicorn.Uc, intno: int, _: object) -> None:
    """SVC as Linux answers a syscall number it does not know: r0 = -ENOSYS, carry on
    after the svc (snippets use only such numbers, so dbt's syscall layer agrees)."""
    if intno == EXCP_SWI:
        uc.reg_write(U.UC_ARM_REG_R0, -ENOSYS & 0xFFFFFFFF)
    else:
        uc.emu_stop()


def run_unicorn(uc: unicorn.Uc, code: bytes, st: State) -> Result:
    # Set CPSR first: switching to user mode swaps in the user-bank sp and lr.
    cpsr = USER_MODE | sum(v << FLAG_BITS[k] for k, v in st.flags.items())
    uc.reg_write(U.UC_ARM_REG_CPSR, cpsr)
    uc.emu_start(CLREX_STUB, CLREX_STUB + 4)  # no exclusive access left open
    uc.reg_write(U.UC_ARM_REG_CPSR, cpsr)
    uc.reg_write(U.UC_ARM_REG_C13_C0_3, st.tls)
    for reg, v in zip(UC_REGS, st.regs):
        uc.reg_write(reg, v)
    uc.mem_write(DATA, st.data)
    udf = CODE + len(code) - 4
    note = ""
    try:
        uc.emu_start(CODE, udf, count=10_000)
    except unicorn.UcError as e:
        note = f"unicorn: {e}"
    cpsr = uc.reg_read(U.UC_ARM_REG_CPSR)
    return Result([uc.reg_read(r) for r in UC_REGS],
                  {k: (cpsr >> b) & 1 for k, b in FLAG_BITS.items()},
                  bytes(uc.mem_read(DATA, DATA_SIZE)), uc.reg_read(U.UC_ARM_REG_PC), note)


def new_dbt(code: bytes, tier: str) -> tuple[Machine, io.StringIO]:
    err = io.StringIO()
    m = Machine.bare("armel", Options(tier=tier, verify=True, walk_first=tier != "interp"), out=err)
    m.mem.map(CODE, CODE_SIZE, PROT_READ | PROT_EXEC)
    m.mem.poke(CODE, code)
    m.mem.map(DATA, DATA_SIZE, PROT_READ | PROT_WRITE)
    return m, err


def run_dbt(m: Machine, err: io.StringIO, st: State) -> Result:
    """Run on a machine that may have run the snippet before: its translations (and
    a tier's hotness counters) carry over, every guest-visible bit of state is reset."""
    m.state.buf[:] = bytes(len(m.state.buf))
    err.seek(0)
    err.truncate()
    m.mem.poke(DATA, st.data)
    for name, v in zip(REG_NAMES, st.regs):
        m.state[name] = v
    for name, v in st.flags.items():
        m.state[name] = v
    m.state["tpidruro"] = st.tls
    m.key = CODE
    old = signal.signal(signal.SIGALRM, _watchdog)
    signal.alarm(WATCHDOG_SECONDS)
    try:
        status = m.run()
    except _Hung:
        status = -1
        m.state["pc"] = m.key & ~1
        err.write(f"still running after {WATCHDOG_SECONDS} s (last block {m.key:#x})")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    note = err.getvalue().strip()
    if status != SIGILL_STATUS:
        note = f"dbt exit status {status}; {note}"
    return Result([m.state[n] for n in REG_NAMES], {k: m.state[k] for k in FLAG_BITS},
                  m.mem.peek(DATA, DATA_SIZE), m.state["pc"], note)


class _Hung(Exception):
    pass


def _watchdog(signo: int, frame: object) -> None:
    raise _Hung


def differences(want: Result, got: Result, udf: int) -> list[str]:
    out = []
    if want.note:
        out.append(want.note)
    if want.pc != udf:
        out.append(f"unicorn stopped at {want.pc:#x}, not at the udf {udf:#x}")
    if got.pc != udf:
        out.append(f"dbt stopped at {got.pc:#x}, not at the udf {udf:#x} ({got.note})")
    for name, w, g in zip(REG_NAMES, want.regs, got.regs):
        if w != g:
            out.append(f"{name}: unicorn {w:#010x} dbt {g:#010x}")
    for k in FLAG_BITS:
        if want.flags[k] != got.flags[k]:
            out.append(f"{k.upper()}: unicorn {want.flags[k]} dbt {got.flags[k]}")
    data = data_difference(want.data, got.data, DATA)
    if data:
        out.append(data)
    return out


def check(case: Case, tier: str) -> None:
    """Run every snippet of the case from each of its states in both engines."""
    for snip in case.snippets:
        code = assemble(snip.src)
        uc = new_unicorn(code)
        m, err = new_dbt(code, tier)
        udf = CODE + len(code) - 4
        for i, st in enumerate(snip.states(random.Random(seed_of(case.id + snip.src)))):
            want = run_unicorn(uc, code, st)
            got = run_dbt(m, err, st)
            diff = differences(want, got, udf)
            if diff:
                raise AssertionError(
                    f"{case.id} [{tier}] state {i}: {snip.src!r}\n{disassemble(code)}\n"
                    f"start: {st.describe()}\n  " + "\n  ".join(diff))
