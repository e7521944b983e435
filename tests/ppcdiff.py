"""Differential testing of the PowerPC frontend against unicorn's PPC32 big-endian CPU.

A `Snippet` is a few lines of PowerPC assembly followed by `trap`.  `check` runs it from
the same starting state -- r0-r31, CR, XER, LR, CTR, FPSCR, f0-f31 and a data region of
random bytes -- in unicorn and in dbt, and compares every register, the data bytes and
that both stopped at the trap.

The snippets are assembled here (`assemble`): keystone lacks much of the 32-bit ISA
(the OE forms, mcrxr, the string instructions, ...), and a small table of the ISA's
encodings is easy to check -- `test_assembler_agrees_with_capstone` disassembles every
form and compares the mnemonics.

Unicorn quirks worked around (unicorn 2.1, qemu 5.0 inside):
- its XER register reads and writes skip SO/OV/CA (qemu keeps them apart), so the
  starting XER is set by running `mtxer` and the final one read with `mfxer`;
- writing FPSCR directly does not change the rounding mode, so it is set with `mtfsf`;
- lwarx/stwcx. keep a reservation across runs: a `stwcx.` to a scratch page drops it;
- a taken trap stops it with the pc just past the trap instruction."""

from __future__ import annotations

import io
import random
import re
import signal
import struct
from dataclasses import dataclass, field

import capstone
import unicorn
from unicorn import ppc_const as U

from dbt.engine import Machine, Options
from dbt.memory import PROT_EXEC, PROT_READ, PROT_WRITE
from diffcommon import Spec, pick, value, data_difference, seed_of

CODE = 0x10000
CODE_SIZE = 0x1000
DATA = 0x20000
DATA_SIZE = 0x2000
SCRATCH = 0x30000
PAD = 0x7000                 # a landing pad for the absolute branches: addi r30, r30, 7; blr
TRAP = 0x7FE00008
PROLOGUE = CODE + 0xF00      # mtxer r3; mtfsf 0xff, f0; stwcx. r0, 0, r4
EPILOGUE = CODE + 0xF80      # mfxer r3
SIGTRAP_STATUS = 128 + 5
MSR_FP = 0x2000
WATCHDOG_SECONDS = 10
M32 = 0xFFFFFFFF

GPR = [f"r{i}" for i in range(32)]
FPR = [f"f{i}" for i in range(32)]
SPECIAL = ["cr", "xer", "lr", "ctr", "fpscr"]

FX, FEX, VX, FI = 1 << 31, 1 << 30, 1 << 29, 1 << 17
VX_ALL = 0x01F80700
# FPSCR bits that only record what arithmetic did (FX FEX VX, the exception bits, FR,
# FI, FPRF): dbt does not compute them for arithmetic, so most FP cases ignore them.
FPSCR_STATUS = 0xFFFFF800 | (1 << 10) | (1 << 9) | (1 << 8)


def d2b(x: float) -> int:
    return struct.unpack(">Q", struct.pack(">d", x))[0]


def f2b(x: float) -> int:
    """A single value as the double bits an FPR holds."""
    return d2b(struct.unpack(">f", struct.pack(">f", x))[0])


QNAN, SNAN = 0x7FF8000000000000, 0x7FF0000000000001
INF, NINF = 0x7FF0000000000000, 0xFFF0000000000000
FP_SPECIALS = (0, 1 << 63, d2b(1.0), d2b(-1.0), d2b(1.5), d2b(-2.5), d2b(0.1), d2b(3.0),
               d2b(1 / 3), d2b(1e308), d2b(-1e308), 0x7FEFFFFFFFFFFFFF, 0x0010000000000000,
               0x0000000000000001, 0x800FFFFFFFFFFFFF, 0x0008000000000000, INF, NINF, QNAN,
               QNAN | (1 << 63), QNAN | 0x123, SNAN, SNAN | (1 << 63) | 0x456,
               d2b(2147483647.5), d2b(-2147483648.5), d2b(2147483648.0), d2b(4.5),
               d2b(5.5), d2b(-4.5), d2b(-0.5), d2b(2.0 ** 52 + 1), d2b(1e-310),
               d2b(65504.0), d2b(3.4028234663852886e38), d2b(1e-40))
SINGLE_SPECIALS = (0, 1 << 63, f2b(1.0), f2b(-1.0), f2b(0.1), f2b(3.0), f2b(1 / 3),
                   f2b(3.4e38), f2b(-3.4e38), f2b(1.17549435e-38), f2b(1e-40), f2b(1e-45),
                   INF, NINF, QNAN, QNAN | (1 << 63), QNAN | (0x123 << 29), f2b(2.5),
                   f2b(-7.25), f2b(16777217.0), f2b(1e10))



def fp_value(rng: random.Random) -> int:
    """Double bits: special values often, else a random finite double."""
    if rng.random() < 0.6:
        return rng.choice(FP_SPECIALS)
    return d2b(rng.uniform(-1e6, 1e6) * 2.0 ** rng.randrange(-60, 60))


def single_value(rng: random.Random) -> int:
    """A double that is exactly a single (what the single-precision forms expect)."""
    if rng.random() < 0.6:
        return rng.choice(SINGLE_SPECIALS)
    return f2b(rng.uniform(-1e4, 1e4) * 2.0 ** rng.randrange(-30, 30))


@dataclass
class State:
    regs: dict[str, int]          # r0-r31, f0-f31 (bits), cr, xer, lr, ctr, fpscr
    data: bytes

    def describe(self) -> str:
        return " ".join(f"{k}={v:#x}" for k, v in self.regs.items())


@dataclass
class Result:
    regs: dict[str, int]
    data: bytes
    pc: int
    note: str = ""


def base_state(rng: random.Random) -> dict[str, int]:
    regs = {r: value(rng) for r in GPR}
    regs.update({f: fp_value(rng) for f in FPR})
    regs["cr"] = rng.getrandbits(32)
    regs["xer"] = (rng.getrandbits(3) << 29) | rng.getrandbits(7)
    regs["lr"] = value(rng)
    regs["ctr"] = value(rng)
    regs["fpscr"] = 0
    return regs


@dataclass
class Snippet:
    """Assembly to run and how to shape its starting states: `fix` maps a register name
    to a Spec applied on top of a random state; `overrides` (one dict per state) pins
    states exactly.  `fpscr_mask` selects the FPSCR bits compared."""

    src: str
    fix: dict[str, Spec] = field(default_factory=dict)
    nstates: int = 4
    overrides: list[dict[str, Spec]] | None = None
    fpscr_mask: int = M32
    stops: bool = False        # a trap or fault may stop it early (at the same pc in both)

    def states(self, rng: random.Random) -> list[State]:
        out = []
        for extra in self.overrides or [{}] * self.nstates:
            regs = base_state(rng)
            for name, spec in {**self.fix, **extra}.items():
                regs[name] = pick(rng, spec) & (M32 if name[0] != "f" or name == "fpscr"
                                                else (1 << 64) - 1)
            regs["fpscr"] = fpscr_as_set(regs["fpscr"])
            out.append(State(regs, rng.randbytes(DATA_SIZE)))
        return out


def fpscr_as_set(v: int) -> int:
    """The FPSCR that `mtfsf 0xff` of v leaves, which is how unicorn gets it: VX and FEX
    recomputed from the bits they summarize, and FI clear (unicorn's qemu clears FI
    after any instruction that was exact, mtfsf included)."""
    v &= ~(FEX | VX | FI)
    if v & VX_ALL:
        v |= VX
    if (v >> 22) & v & 0xF8:
        v |= FEX
    return v


@dataclass
class Case:
    id: str
    snippets: list[Snippet]


# -- the assembler -------------------------------------------------------------------------
XO = {"add": 266, "addc": 10, "adde": 138, "addme": 234, "addze": 202, "subf": 40,
      "subfc": 8, "subfe": 136, "subfme": 232, "subfze": 200, "neg": 104, "mullw": 235,
      "mulhw": 75, "mulhwu": 11, "divw": 491, "divwu": 459}
XO_UNARY = {"addme", "addze", "subfme", "subfze", "neg"}
X_RSB = {"and": 28, "andc": 60, "or": 444, "orc": 412, "xor": 316, "nand": 476, "nor": 124,
         "eqv": 284, "slw": 24, "srw": 536, "sraw": 792}
X_RS = {"extsb": 954, "extsh": 922, "cntlzw": 26}
D_ARITH = {"addi": 14, "addis": 15, "addic": 12, "addic.": 13, "subfic": 8, "mulli": 7}
D_LOGIC = {"ori": 24, "oris": 25, "xori": 26, "xoris": 27, "andi.": 28, "andis.": 29}
D_MEM = {"lwz": 32, "lwzu": 33, "lbz": 34, "lbzu": 35, "stw": 36, "stwu": 37, "stb": 38,
         "stbu": 39, "lhz": 40, "lhzu": 41, "lha": 42, "lhau": 43, "sth": 44, "sthu": 45,
         "lmw": 46, "stmw": 47, "lfs": 48, "lfsu": 49, "lfd": 50, "lfdu": 51, "stfs": 52,
         "stfsu": 53, "stfd": 54, "stfdu": 55}
X_MEM = {"lwzx": 23, "lwzux": 55, "lbzx": 87, "lbzux": 119, "lhzx": 279, "lhzux": 311,
         "lhax": 343, "lhaux": 375, "stwx": 151, "stwux": 183, "stbx": 215, "stbux": 247,
         "sthx": 407, "sthux": 439, "lfsx": 535, "lfsux": 567, "lfdx": 599, "lfdux": 631,
         "stfsx": 663, "stfsux": 695, "stfdx": 727, "stfdux": 759, "stfiwx": 983,
         "lwbrx": 534, "lhbrx": 790, "stwbrx": 662, "sthbrx": 918, "lwarx": 20,
         "stwcx.": 150, "lswx": 533, "stswx": 661}
X_CACHE = {"dcbz": 1014, "dcbf": 86, "dcbst": 54, "dcbt": 278, "dcbtst": 246, "icbi": 982}
CR_OPS = {"crand": 257, "crandc": 129, "creqv": 289, "crnand": 225, "crnor": 33,
          "cror": 449, "crorc": 417, "crxor": 193}
FP_A = {"fdiv": 18, "fsub": 20, "fadd": 21, "fsqrt": 22, "fsel": 23, "fre": 24, "fres": 24,
        "fmul": 25, "frsqrte": 26, "frsqrtes": 26, "fmsub": 28, "fmadd": 29, "fnmsub": 30,
        "fnmadd": 31}
FP_X_DB = {"frsp": 12, "fctiw": 14, "fctiwz": 15, "fneg": 40, "fmr": 72, "fnabs": 136,
           "fabs": 264}
SPRS = {"xer": 1, "lr": 8, "ctr": 9}
CR0_BRANCHES = {"blt": (12, 0), "bgt": (12, 1), "beq": (12, 2), "bge": (4, 0), "ble": (4, 1),
                "bne": (4, 2), "bdnz": (16, 0), "bdz": (18, 0)}


def _num(tok: str, labels: dict[str, int]) -> int:
    tok = tok.strip()
    if tok in labels:
        return labels[tok]
    return int(tok, 0)


def _reg(tok: str) -> int | None:
    """A register or number operand (None for what is neither, e.g. `8(r1)`)."""
    tok = tok.strip().lower()
    for p in ("cr", "r", "f"):
        if tok.startswith(p) and tok[len(p):].isdigit():
            return int(tok[len(p):])
    try:
        return int(tok, 0)
    except ValueError:
        return None


def _mem(tok: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(-?\w+)\((\w+)\)\s*", tok)
    if not m:
        raise ValueError(f"bad memory operand {tok!r}")
    return int(m.group(1), 0) & 0xFFFF, _reg(m.group(2))


def encode(text: str, pc: int, labels: dict[str, int]) -> int:
    """One instruction's encoding (the mnemonics used by the tests; `.long` for raw)."""
    mn, _, rest = text.strip().partition(" ")
    ops = [o.strip() for o in rest.split(",")] if rest.strip() else []
    if mn == ".long":
        return _num(ops[0], labels) & M32
    rc = 0
    base = mn
    if base.endswith(".") and base not in D_ARITH and base not in D_LOGIC \
            and base not in X_MEM:
        base, rc = base[:-1], 1
    r = [_reg(o) for o in ops]

    def x(op: int, a: int, b_: int, c: int, xo: int) -> int:
        return op << 26 | a << 21 | b_ << 16 | c << 11 | xo << 1 | rc

    if base in XO or (base.endswith("o") and base[:-1] in XO):
        oe = int(base not in XO)
        name = base[:-1] if oe else base
        rb = 0 if name in XO_UNARY else r[2]
        return 31 << 26 | r[0] << 21 | r[1] << 16 | rb << 11 | oe << 10 | XO[name] << 1 | rc
    if base in X_RSB:
        return x(31, r[1], r[0], r[2], X_RSB[base])
    if base in X_RS:
        return x(31, r[1], r[0], 0, X_RS[base])
    if base == "srawi":
        return x(31, r[1], r[0], r[2], 824)
    if base in D_ARITH:
        return D_ARITH[base] << 26 | r[0] << 21 | r[1] << 16 | (_num(ops[2], labels) & 0xFFFF)
    if base in D_LOGIC:
        return D_LOGIC[base] << 26 | r[1] << 21 | r[0] << 16 | (_num(ops[2], labels) & 0xFFFF)
    if base in ("li", "lis"):
        return (14 if base == "li" else 15) << 26 | r[0] << 21 | (_num(ops[1], labels) & 0xFFFF)
    if base == "mr":
        return x(31, r[1], r[0], r[1], 444)
    if base in ("cmpw", "cmplw", "cmpwi", "cmplwi") and len(ops) == 2:
        ops, r = ["cr0", *ops], [0, *r]     # the CR field defaults to cr0
    if base in ("cmpw", "cmplw"):
        return x(31, r[0] << 2, r[1], r[2], 0 if base == "cmpw" else 32)
    if base in ("cmpwi", "cmplwi"):
        return (11 if base == "cmpwi" else 10) << 26 | r[0] << 23 | r[1] << 16 | (
            _num(ops[2], labels) & 0xFFFF)
    if base in ("rlwinm", "rlwimi", "rlwnm"):
        op = {"rlwinm": 21, "rlwimi": 20, "rlwnm": 23}[base]
        return op << 26 | r[1] << 21 | r[0] << 16 | r[2] << 11 | r[3] << 6 | r[4] << 1 | rc
    if base in CR_OPS:
        return x(19, r[0], r[1], r[2], CR_OPS[base])
    if base == "mcrf":
        return x(19, r[0] << 2, r[1] << 2, 0, 0)
    if base == "mcrxr":
        return x(31, r[0] << 2, 0, 0, 512)
    if base == "mfcr":
        return x(31, r[0], 0, 0, 19)
    if base == "mfocrf":
        return 31 << 26 | r[0] << 21 | 1 << 20 | r[1] << 12 | 19 << 1
    if base in ("mtcrf", "mtocrf"):
        return 31 << 26 | r[1] << 21 | (base == "mtocrf") << 20 | r[0] << 12 | 144 << 1
    alias = base[:2] in ("mf", "mt") and base[2:] in SPRS
    if base in ("mfspr", "mtspr", "mftb") or alias:
        if alias:
            spr, rt = SPRS[base[2:]], r[0]
            base = base[:2] + "spr"
        elif base == "mftb":
            spr, rt = (r[1] if len(r) > 1 else 268), r[0]
        else:
            spr, rt = (r[1], r[0]) if base == "mfspr" else (r[0], r[1])
        xo = {"mfspr": 339, "mtspr": 467, "mftb": 371}[base]
        return 31 << 26 | rt << 21 | (spr & 31) << 16 | (spr >> 5) << 11 | xo << 1
    if base in ("b", "bl", "ba", "bla"):
        target = _num(ops[0], labels)
        off = target if "a" in base else target - pc
        return 18 << 26 | (off & 0x03FFFFFC) | ("a" in base) << 1 | ("l" in base)
    if base in ("bc", "bcl", "bca", "bcla"):
        target = _num(ops[2], labels)
        off = target if "a" in base else target - pc
        return 16 << 26 | r[0] << 21 | r[1] << 16 | (off & 0xFFFC) | ("a" in base) << 1 | (
            "l" in base)
    if base in ("bclr", "bclrl", "bcctr", "bcctrl"):
        xo = 16 if "lr" in base else 528
        return 19 << 26 | r[0] << 21 | r[1] << 16 | xo << 1 | base.endswith("l")
    if base == "blr":
        return 0x4E800020
    if base in CR0_BRANCHES:
        bo, bi = CR0_BRANCHES[base]
        return 16 << 26 | bo << 21 | bi << 16 | ((_num(ops[0], labels) - pc) & 0xFFFC)
    if base in D_MEM:
        d, ra = _mem(ops[1])
        return D_MEM[base] << 26 | r[0] << 21 | ra << 16 | d
    if base in X_MEM or mn in X_MEM:
        return x(31, r[0], r[1], r[2], X_MEM[mn if mn in X_MEM else base]) | (mn == "stwcx.")
    if base in ("lswi", "stswi"):
        return x(31, r[0], r[1], r[2], 597 if base == "lswi" else 725)
    if base in X_CACHE:
        return x(31, 0, r[0], r[1], X_CACHE[base])
    if base in ("sync", "lwsync", "isync", "eieio"):
        return {"sync": 0x7C0004AC, "lwsync": 0x7C2004AC, "isync": 0x4C00012C,
                "eieio": 0x7C0006AC}[base]
    if base == "tw":
        return x(31, r[0], r[1], r[2], 4)
    if base == "twi":
        return 3 << 26 | r[0] << 21 | r[1] << 16 | (_num(ops[2], labels) & 0xFFFF)
    if base == "trap":
        return TRAP
    if base == "sc":
        return 0x44000002
    if base in FP_A or (base.endswith("s") and base[:-1] in FP_A):
        single = base not in FP_A or base in ("fres", "frsqrtes")
        name = base if base in FP_A else base[:-1]
        op = 59 if single else 63
        a = b_ = c = 0
        if name in ("fadd", "fsub", "fdiv"):
            a, b_ = r[1], r[2]
        elif name == "fmul":
            a, c = r[1], r[2]
        elif name in ("fsqrt", "fre", "fres", "frsqrte", "frsqrtes"):
            b_ = r[1]
        else:
            a, c, b_ = r[1], r[2], r[3]
        return op << 26 | r[0] << 21 | a << 16 | b_ << 11 | c << 6 | FP_A[name] << 1 | rc
    if base in FP_X_DB:
        return x(63, r[0], 0, r[1], FP_X_DB[base])
    if base in ("fcmpu", "fcmpo"):
        return x(63, r[0] << 2, r[1], r[2], 0 if base == "fcmpu" else 32)
    if base == "mffs":
        return x(63, r[0], 0, 0, 583)
    if base == "mtfsf":
        return 63 << 26 | r[0] << 17 | r[1] << 11 | 711 << 1 | rc
    if base == "mtfsfi":
        return 63 << 26 | r[0] << 23 | r[1] << 12 | 134 << 1 | rc
    if base in ("mtfsb0", "mtfsb1"):
        return x(63, r[0], 0, 0, 70 if base == "mtfsb0" else 38)
    if base == "mcrfs":
        return x(63, r[0] << 2, r[1] << 2, 0, 64)
    raise ValueError(f"the test assembler does not know {text!r}")


def assemble(src: str, org: int = CODE) -> bytes:
    """Assemble at `org` (lines or ';'-separated; `name:` labels) and append a trap."""
    lines = [s.strip() for s in re.split(r"[;\n]", src) if s.strip()]
    labels: dict[str, int] = {}
    insns: list[str] = []
    for line in lines:
        while ":" in line and re.match(r"^\w+:", line):
            name, line = line.split(":", 1)
            labels[name] = org + 4 * len(insns)
            line = line.strip()
        if line:
            insns.append(line)
    words = [encode(t, org + 4 * i, labels) for i, t in enumerate(insns)] + [TRAP]
    return b"".join(w.to_bytes(4, "big") for w in words)


PAD_CODE = assemble("addi r30, r30, 7; blr", PAD)
_cs = capstone.Cs(capstone.CS_ARCH_PPC, capstone.CS_MODE_32 | capstone.CS_MODE_BIG_ENDIAN)


def disassemble(code: bytes, org: int = CODE) -> str:
    lines = []
    for off in range(0, len(code), 4):
        word = code[off:off + 4]
        insn = next(_cs.disasm(word, org + off), None)
        text = f"{insn.mnemonic} {insn.op_str}" if insn else "(capstone: undecodable)"
        lines.append(f"  {org + off:#x}: {word.hex()}  {text}")
    return "\n".join(lines)


# -- the two engines ---------------------------------------------------------------------
_UC_GPR = [getattr(U, f"UC_PPC_REG_{i}") for i in range(32)]
_UC_FPR = [getattr(U, f"UC_PPC_REG_FPR{i}") for i in range(32)]


def new_unicorn(code: bytes) -> unicorn.Uc:
    uc = unicorn.Uc(unicorn.UC_ARCH_PPC, unicorn.UC_MODE_PPC32 | unicorn.UC_MODE_BIG_ENDIAN)
    uc.mem_map(CODE, CODE_SIZE, unicorn.UC_PROT_ALL)
    uc.mem_map(DATA, DATA_SIZE, unicorn.UC_PROT_READ | unicorn.UC_PROT_WRITE)
    uc.mem_map(SCRATCH, 0x1000, unicorn.UC_PROT_READ | unicorn.UC_PROT_WRITE)
    uc.mem_map(PAD, 0x1000, unicorn.UC_PROT_ALL)
    uc.mem_write(PAD, PAD_CODE)
    uc.mem_write(CODE, code)
    uc.mem_write(PROLOGUE, assemble("mtxer r3; mtfsf 0xff, f0; stwcx. r0, 0, r4"))
    uc.mem_write(EPILOGUE, assemble("mfxer r3"))
    uc.reg_write(U.UC_PPC_REG_MSR, uc.reg_read(U.UC_PPC_REG_MSR) | MSR_FP)
    return uc


def run_unicorn(uc: unicorn.Uc, code: bytes, st: State) -> Result:
    regs = st.regs
    uc.reg_write(_UC_GPR[3], regs["xer"])
    uc.reg_write(_UC_FPR[0], regs["fpscr"])
    uc.reg_write(_UC_GPR[4], SCRATCH)
    uc.emu_start(PROLOGUE, PROLOGUE + 12)
    for i in range(32):
        uc.reg_write(_UC_GPR[i], regs[f"r{i}"])
        uc.reg_write(_UC_FPR[i], regs[f"f{i}"])
    uc.reg_write(U.UC_PPC_REG_CR, regs["cr"])
    uc.reg_write(U.UC_PPC_REG_LR, regs["lr"])
    uc.reg_write(U.UC_PPC_REG_CTR, regs["ctr"])
    uc.mem_write(DATA, st.data)
    trap = CODE + len(code) - 4
    note = ""
    try:
        uc.emu_start(CODE, trap, count=10_000)
    except unicorn.UcError as e:
        note = f"unicorn: {e}"
    pc = uc.reg_read(U.UC_PPC_REG_PC)
    out = {f"r{i}": uc.reg_read(_UC_GPR[i]) for i in range(32)}
    out.update({f"f{i}": uc.reg_read(_UC_FPR[i]) for i in range(32)})
    out["cr"] = uc.reg_read(U.UC_PPC_REG_CR)
    out["lr"] = uc.reg_read(U.UC_PPC_REG_LR)
    out["ctr"] = uc.reg_read(U.UC_PPC_REG_CTR)
    out["fpscr"] = uc.reg_read(U.UC_PPC_REG_FPSCR)
    uc.emu_start(EPILOGUE, EPILOGUE + 4)
    out["xer"] = uc.reg_read(_UC_GPR[3])
    return Result(out, bytes(uc.mem_read(DATA, DATA_SIZE)), pc, note)


def new_machine(code: bytes, tier: str) -> tuple[Machine, io.StringIO]:
    """A dbt machine with the snippet mapped; it serves every state of the snippet (the
    translations stay, which keeps the jit tier's compile cost to one per snippet)."""
    err = io.StringIO()
    m = Machine.bare("ppc", Options(tier=tier, verify=True, walk_first=tier != "interp"), out=err)
    m.mem.map(CODE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC)
    m.mem.poke(CODE, code)
    m.mem.map(PAD, 0x1000, PROT_READ | PROT_EXEC)
    m.mem.poke(PAD, PAD_CODE)
    m.mem.map(DATA, DATA_SIZE, PROT_READ | PROT_WRITE)
    return m, err


def run_dbt(m: Machine, err: io.StringIO, st: State) -> Result:
    err.seek(0)
    err.truncate()
    m.mem.poke(DATA, st.data)
    s = m.state
    s.buf[:] = bytes(len(s.buf))
    regs = st.regs
    for i in range(32):
        s[f"r{i}"] = regs[f"r{i}"]
        s[f"f{i}"] = struct.unpack("<d", struct.pack("<Q", regs[f"f{i}"]))[0]
    for f in range(8):
        s[f"cr{f}"] = (regs["cr"] >> (28 - 4 * f)) & 0xF
    xer = regs["xer"]
    s["so"], s["ov"], s["ca"] = xer >> 31 & 1, xer >> 30 & 1, xer >> 29 & 1
    s["xer"] = xer & 0x1FF3FFFF
    s["lr"], s["ctr"], s["fpscr"] = regs["lr"], regs["ctr"], regs["fpscr"]
    m.key = CODE
    old = signal.signal(signal.SIGALRM, _watchdog)
    signal.alarm(WATCHDOG_SECONDS)
    try:
        status = m.run()
    except _Hung:
        status = -1
        s["pc"] = m.key
        err.write(f"still running after {WATCHDOG_SECONDS} s (last block {m.key:#x})")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    note = err.getvalue().strip()
    if status != SIGTRAP_STATUS:
        note = f"dbt exit status {status}; {note}"
    out = {f"r{i}": s[f"r{i}"] for i in range(32)}
    out.update({f"f{i}": struct.unpack("<Q", struct.pack("<d", s[f"f{i}"]))[0]
                for i in range(32)})
    out["cr"] = sum(s[f"cr{f}"] << (28 - 4 * f) for f in range(8))
    out["lr"], out["ctr"], out["fpscr"] = s["lr"], s["ctr"], s["fpscr"]
    out["xer"] = s["xer"] | s["so"] << 31 | s["ov"] << 30 | s["ca"] << 29
    return Result(out, m.mem.peek(DATA, DATA_SIZE), s["pc"], note)


class _Hung(Exception):
    pass


def _watchdog(signo: int, frame: object) -> None:
    raise _Hung


def differences(want: Result, got: Result, trap: int, fpscr_mask: int) -> list[str]:
    out = []
    if want.note:
        out.append(want.note)
    if want.pc != trap:
        out.append(f"unicorn stopped at {want.pc:#x}, not at the trap {trap:#x}")
    if got.pc != trap:
        out.append(f"dbt stopped at {got.pc:#x}, not at the trap {trap:#x} ({got.note})")
    for name in GPR + SPECIAL + FPR:
        w, g = want.regs[name], got.regs[name]
        if name == "fpscr":
            w, g = w & fpscr_mask, g & fpscr_mask
        if w != g:
            width = 18 if name[0] == "f" and name != "fpscr" else 10
            out.append(f"{name}: unicorn {w:#0{width}x} dbt {g:#0{width}x}")
    data = data_difference(want.data, got.data, DATA)
    if data:
        out.append(data)
    return out


def check(case: Case, tier: str) -> None:
    """Run every snippet of the case from each of its states in both engines."""
    for snip in case.snippets:
        code = assemble(snip.src)
        uc = new_unicorn(code)
        m, err = new_machine(code, tier)
        trap = CODE + len(code) - 4
        for i, st in enumerate(snip.states(random.Random(seed_of(case.id + snip.src)))):
            want = run_unicorn(uc, code, st)
            got = run_dbt(m, err, st)
            stop = trap
            if snip.stops and want.note.endswith("(UC_ERR_EXCEPTION)"):
                # A trap taken: unicorn reports the pc after the trapping instruction.
                want.note, want.pc = "", want.pc - 4
                stop = want.pc
            elif snip.stops and want.note.endswith("_UNMAPPED)"):
                want.note, stop = "", want.pc
            diff = differences(want, got, stop, snip.fpscr_mask)
            if diff:
                raise AssertionError(
                    f"{case.id} [{tier}] state {i}: {snip.src!r}\n{disassemble(code)}\n"
                    f"start: {st.describe()}\n  " + "\n  ".join(diff))
