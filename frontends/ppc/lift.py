"""PowerPC (32-bit, big-endian) lifter: each instruction word is decoded by its primary
and extended opcode fields -- the decode structure of the Power ISA itself; capstone's
PowerPC ids are mostly simplified mnemonics (bdnz, blr, mr, ...) of a few real
encodings, so capstone only provides disassembly text.  The family functions read
their fields from the encoding and emit IR following the Power ISA v2.07 pseudocode of
the named section (Book I unless said otherwise).

Blocks end after a branch, sc, an unconditional trap or icbi.  Bit numbers in comments
are the ISA's (0 = most significant); the code uses shifts from the least significant
end."""

from __future__ import annotations

import math
from collections.abc import Callable

from dbt.arch import UnsupportedInstruction
from dbt.ir import F32, F64, I1, I8, I16, I32, I64, Block, Const, ExitKind, Value, const
from dbt.irbuild import IRBuilder, add_with_carry
from dbt.memory import PAGE_SIZE, PROT_EXEC, GuestFault, GuestMemory

from . import fpu
from .cpu import CACHE_LINE, PVR, SLOT, XER_KEPT

MAX_INSNS = 48
SIGTRAP = 5
M32 = 0xFFFFFFFF
LR, CTR, XER = SLOT["lr"], SLOT["ctr"], SLOT["xer"]
SO, OV, CA = SLOT["so"], SLOT["ov"], SLOT["ca"]
CR0 = SLOT["cr0"]
FPSCR = SLOT["fpscr"]
F0 = SLOT["f0"]
RES_ADDR, RES_VALID = SLOT["res_addr"], SLOT["res_valid"]
ICBI = SLOT["icbi"]

# FPSCR bits (as masks; the ISA numbers them 32-63 from the top).
FX, FEX, VX = 1 << 31, 1 << 30, 1 << 29
VXSNAN, VXVC, VXCVI = 1 << 24, 1 << 19, 1 << 8
FPCC = 0xF << 12
VX_ALL = 0x01F80700       # VXSNAN VXISI VXIDI VXZDZ VXIMZ VXVC VXSOFT VXSQRT VXCVI
EXC_ALL = 0x1FF80700      # OX UX ZX XX and the VX* bits: set FX when they turn on
ENABLES = 0xF8            # VE OE UE ZE XE, below VX OX UX ZX XX by 22 bits
TWO52 = 4503599627370496.0


def field(w: int, lo: int, width: int = 5) -> int:
    """`width` bits of w starting at bit `lo` counted from the least significant end."""
    return (w >> lo) & ((1 << width) - 1)


def sext16(v: int) -> int:
    return (v & 0xFFFF) - ((v & 0x8000) << 1)


def mask32(mb: int, me: int) -> int:
    """MASK(mb, me) of the rotate instructions: ones from bit mb to bit me (wrapping)."""
    hi = M32 >> mb
    lo = (M32 << (31 - me)) & M32
    return hi & lo if mb <= me else hi | lo


class Lifter:
    """Per-block state shared by the instructions of one block."""

    def __init__(self, b: IRBuilder) -> None:
        self.b = b
        self.rn_memo: tuple[Value, Value] | None = None


class Ctx:
    """Per-instruction lifting context: builder, encoding, pc and decoded fields."""

    __slots__ = ("lifter", "b", "w", "pc", "ends_block", "rt", "ra", "rb", "rc", "oe")

    def __init__(self, lifter: Lifter, word: int, pc: int) -> None:
        self.lifter = lifter
        self.b = lifter.b
        self.w = word
        self.pc = pc
        self.ends_block = False
        # The common fields, made for every instruction: field() inline.
        self.rt = (word >> 21) & 31    # also RS, FRT, FRS, BO, TO
        self.ra = (word >> 16) & 31    # also BI, FRA
        self.rb = (word >> 11) & 31    # also SH, NB, FRB
        self.rc = word & 1             # Rc: record
        self.oe = (word >> 10) & 1

    # -- registers ----------------------------------------------------------------
    def r(self, n: int) -> Value:
        return self.b.get(n, I32)

    def r0(self, n: int) -> Value:
        """(RA|0): register n, or 0 for r0."""
        return const(0) if n == 0 else self.r(n)

    def set_r(self, n: int, v: Value) -> None:
        self.b.put(n, v)

    def flag(self, slot: int) -> Value:
        return self.b.get(slot, I1)

    def cr(self, f: int) -> Value:
        return self.b.get(CR0 + f, I32)

    def set_cr(self, f: int, v: Value) -> None:
        self.b.put(CR0 + f, v)

    def crbit(self, bi: int) -> Value:
        """CR bit bi (0 = cr0.LT) as i1."""
        return self.b.trunc(self.b.lshr(self.cr(bi >> 2), const(3 - (bi & 3))), I1)

    def set_crbit(self, bt: int, v: Value) -> None:
        b = self.b
        sh = 3 - (bt & 3)
        kept = b.and_(self.cr(bt >> 2), const(~(1 << sh) & 0xF))
        self.set_cr(bt >> 2, b.or_(kept, b.shl(b.zext(v, I32), const(sh))))

    def f(self, n: int) -> Value:
        return self.b.get(F0 + n, F64)

    def set_f(self, n: int, v: Value) -> None:
        self.b.put(F0 + n, v)

    def fpscr(self) -> Value:
        return self.b.get(FPSCR, I32)

    def branch(self, target: Value) -> None:
        self.b.goto(target)
        self.ends_block = True

    # -- condition register results -----------------------------------------------
    def compare_field(self, lt: Value, gt: Value) -> Value:
        """LT/GT/EQ from two i1 results, with SO copied from XER."""
        b = self.b
        v = b.select(lt, const(8), b.select(gt, const(4), const(2)))
        return b.or_(v, b.zext(self.flag(SO), I32))

    def record(self, v: Value) -> None:
        """Rc=1: CR0 <- signed comparison of the result with 0, and XER[SO]."""
        b = self.b
        self.set_cr(0, self.compare_field(b.icmp("slt", v, const(0)),
                                          b.icmp("sgt", v, const(0))))

    def set_overflow(self, ov: Value) -> None:
        """OE=1: XER[OV] <- ov; XER[SO] |= ov."""
        self.b.put(OV, ov)
        self.b.put(SO, self.b.bool_or(self.flag(SO), ov))

    # -- floating point -------------------------------------------------------------
    def directed(self) -> Value:
        """i1: FPSCR[RN] is not round-to-nearest (computed once per FPSCR value)."""
        fpscr = self.fpscr()
        memo = self.lifter.rn_memo
        if memo is not None and memo[0] == fpscr:
            return memo[1]
        b = self.b
        v = b.icmp("ne", b.and_(fpscr, const(3)), const(0))
        if len(b._stack) == 1:   # a value computed in an If body is not visible after it
            self.lifter.rn_memo = (fpscr, v)
        return v

    def set_fpscr(self, v: Value) -> None:
        """Write FPSCR with its summary bits recomputed: VX is the OR of the VX*
        exception bits, FEX the OR of the enabled exceptions."""
        b = self.b
        v = b.and_(v, const(~(FEX | VX) & M32))
        vx = b.icmp("ne", b.and_(v, const(VX_ALL)), const(0))
        v = b.or_(v, b.select(vx, const(VX), const(0)))
        fex = b.icmp("ne", b.and_(b.lshr(v, const(22)), b.and_(v, const(ENABLES))), const(0))
        self.b.put(FPSCR, b.or_(v, b.select(fex, const(FEX), const(0))))

    def fp_raise(self, bits: Value) -> None:
        """Set FPSCR exception bits; FX too when one of them was clear."""
        b = self.b
        old = self.fpscr()
        fresh = b.icmp("ne", b.and_(bits, b.not_(old)), const(0))
        self.set_fpscr(b.or_(b.or_(old, bits), b.select(fresh, const(FX), const(0))))

    def record_fp(self) -> None:
        """Rc=1 on an FP instruction: CR1 <- FPSCR[FX FEX VX OX]."""
        if self.rc:
            self.set_cr(1, self.b.lshr(self.fpscr(), const(28)))


# -- families -----------------------------------------------------------------------------
Family = Callable[[Ctx], None]
FAMILIES: dict[int | tuple, Family] = {}


def family(*keys: int | tuple) -> Callable[[Family], Family]:
    """Register a family for primary opcodes (int) or (primary, extended opcode) pairs;
    A-form floating-point keys are (primary, xo, "A")."""
    def deco(fn: Family) -> Family:
        for k in keys:
            FAMILIES[k] = fn
        return fn
    return deco


def xo(*codes: int) -> list[tuple[int, int]]:
    return [(31, c) for c in codes]


def xo_oe(*codes: int) -> list[tuple[int, int]]:
    """XO-form: the 9-bit extended opcode, with OE=0 and OE=1."""
    return [(31, c | oe) for c in codes for oe in (0, 0x200)]


def decode(w: int) -> Family | None:
    op = w >> 26
    if op in (31, 19):
        return FAMILIES.get((op, field(w, 1, 10)))
    if op == 59 or (op == 63 and field(w, 1) >= 16):
        return FAMILIES.get((op, field(w, 1), "A"))
    if op == 63:
        return FAMILIES.get((op, field(w, 1, 10)))
    return FAMILIES.get(op)


class _Unsupported(Exception):
    """Raised by a family for an encoding it does not implement."""


# -- integer arithmetic (Fixed-Point Arithmetic Instructions) -----------------------------
@family(14, 15)
def add_immediate(ctx: Ctx) -> None:
    """addi, addis: RT <- (RA|0) + EXTS(SI) (|| 0x0000 for addis)."""
    si = sext16(ctx.w)
    imm = si << 16 if ctx.w >> 26 == 15 else si
    ctx.set_r(ctx.rt, ctx.b.add(ctx.r0(ctx.ra), const(imm)))


@family(12, 13, 8)
def add_immediate_carrying(ctx: Ctx) -> None:
    """addic, addic., subfic: CA from the carry out; addic. records."""
    b = ctx.b
    op = ctx.w >> 26
    imm = const(sext16(ctx.w))
    if op == 8:    # subfic: ~(RA) + SI + 1
        r, ca, _ = add_with_carry(b, b.not_(ctx.r(ctx.ra)), imm, const(1, I1))
    else:
        r, ca, _ = add_with_carry(b, ctx.r(ctx.ra), imm, const(0, I1))
    b.put(CA, ca)
    if op == 13:
        ctx.record(r)
    ctx.set_r(ctx.rt, r)


@family(7)
def multiply_low_immediate(ctx: Ctx) -> None:
    """mulli: RT <- low 32 bits of (RA) * EXTS(SI)."""
    ctx.set_r(ctx.rt, ctx.b.mul(ctx.r(ctx.ra), const(sext16(ctx.w))))


# 9-bit XO -> (complement RA, second addend: "b" = RB or a constant, carry in: 0/1/"ca",
# sets CA)
_ADD_FORMS = {
    266: (False, "b", 0, False),        # add
    10: (False, "b", 0, True),          # addc
    138: (False, "b", "ca", True),      # adde
    234: (False, M32, "ca", True),      # addme
    202: (False, 0, "ca", True),        # addze
    40: (True, "b", 1, False),          # subf
    8: (True, "b", 1, True),            # subfc
    136: (True, "b", "ca", True),       # subfe
    232: (True, M32, "ca", True),       # subfme
    200: (True, 0, "ca", True),         # subfze
    104: (True, 0, 1, False),           # neg
}


@family(*xo_oe(*_ADD_FORMS))
def add_subtract(ctx: Ctx) -> None:
    """add[c|e|me|ze][o][.], subf[c|e|me|ze][o][.], neg[o][.]: all are
    RT <- (~)(RA) + (RB | 0 | -1) + (0 | 1 | CA)."""
    b = ctx.b
    inv, second, cin, sets_ca = _ADD_FORMS[field(ctx.w, 1, 9)]
    x = ctx.r(ctx.ra)
    if inv:
        x = b.not_(x)
    y = ctx.r(ctx.rb) if second == "b" else const(second)
    carry_in = ctx.flag(CA) if cin == "ca" else const(cin, I1)
    r, ca, ov = add_with_carry(b, x, y, carry_in)
    if sets_ca:
        b.put(CA, ca)
    if ctx.oe:
        ctx.set_overflow(ov)
    if ctx.rc:
        ctx.record(r)
    ctx.set_r(ctx.rt, r)


@family(*xo_oe(235, 491, 459), *xo(75, 11))
def multiply_divide(ctx: Ctx) -> None:
    """mullw[o][.], mulhw[.], mulhwu[.], divw[o][.], divwu[o][.].  A divide by zero (or
    0x80000000 / -1) sets OV and, as qemu-ppc computes it, returns the dividend."""
    b = ctx.b
    code = field(ctx.w, 1, 9)
    a, c = ctx.r(ctx.ra), ctx.r(ctx.rb)
    ov: Value | None = None
    if code == 235:      # mullw
        p = b.mul64(a, c, signed=True)
        r = b.lo32(p)
        ov = b.icmp("ne", p, b.sext(r, I64))
    elif code == 75:     # mulhw
        r = b.hi32(b.mul64(a, c, signed=True))
    elif code == 11:     # mulhwu
        r = b.hi32(b.mul64(a, c, signed=False))
    elif code == 491:    # divw
        ov = b.bool_or(b.icmp("eq", c, const(0)),
                       b.bool_and(b.icmp("eq", a, const(0x80000000)),
                                  b.icmp("eq", c, const(M32))))
        r = b.binop("sdiv", a, b.select(ov, const(1), c))
    else:                # divwu
        ov = b.icmp("eq", c, const(0))
        r = b.binop("udiv", a, b.select(ov, const(1), c))
    if ctx.oe and ov is not None:
        ctx.set_overflow(ov)
    if ctx.rc:
        ctx.record(r)
    ctx.set_r(ctx.rt, r)


# -- compares (Fixed-Point Compare Instructions) --------------------------------------
@family(11, 10, *xo(0, 32))
def compare(ctx: Ctx) -> None:
    """cmpi, cmpli, cmp, cmpl: CR[BF] <- LT GT EQ || SO (the L bit is ignored, as a
    32-bit implementation does)."""
    b = ctx.b
    op = ctx.w >> 26
    a = ctx.r(ctx.ra)
    if op == 11:
        other, signed = const(sext16(ctx.w)), True
    elif op == 10:
        other, signed = const(ctx.w & 0xFFFF), False
    else:
        other, signed = ctx.r(ctx.rb), field(ctx.w, 1, 10) == 0
    s = "s" if signed else "u"
    ctx.set_cr(field(ctx.w, 23, 3), ctx.compare_field(b.icmp(s + "lt", a, other),
                                                      b.icmp(s + "gt", a, other)))


# -- traps (Fixed-Point Trap Instructions) ----------------------------------------------
@family(3, *xo(4))
def trap(ctx: Ctx) -> None:
    """twi, tw: SIGTRAP when any condition selected by TO holds (TO=31: always)."""
    b = ctx.b
    to = ctx.rt
    a = ctx.r(ctx.ra)
    other = const(sext16(ctx.w)) if ctx.w >> 26 == 3 else ctx.r(ctx.rb)
    if to == 31:
        b.exit(ExitKind.TRAP, ctx.pc, SIGTRAP)
        ctx.ends_block = True
        return
    cond: Value = const(0, I1)
    for bit, pred in ((16, "slt"), (8, "sgt"), (4, "eq"), (2, "ult"), (1, "ugt")):
        if to & bit:
            cond = b.bool_or(cond, b.icmp(pred, a, other))
    with b.if_(cond):
        b.exit(ExitKind.TRAP, ctx.pc, SIGTRAP)


# -- logical (Fixed-Point Logical Instructions) ---------------------------------------
@family(24, 25, 26, 27, 28, 29)
def logical_immediate(ctx: Ctx) -> None:
    """ori, oris, xori, xoris, andi., andis.: RA <- (RS) op UI (shifted for the -is
    forms); the and forms always record."""
    b = ctx.b
    op = ctx.w >> 26
    imm = const((ctx.w & 0xFFFF) << (16 if op & 1 else 0))
    s = ctx.r(ctx.rt)
    if op < 26:
        r = b.or_(s, imm)
    elif op < 28:
        r = b.xor(s, imm)
    else:
        r = b.and_(s, imm)
        ctx.record(r)
    ctx.set_r(ctx.ra, r)


_LOGICAL = {28: "and", 60: "andc", 444: "or", 412: "orc", 316: "xor", 476: "nand",
            124: "nor", 284: "eqv"}


@family(*xo(*_LOGICAL))
def logical(ctx: Ctx) -> None:
    """and, andc, or, orc, xor, nand, nor, eqv [.]: RA <- (RS) op (RB)."""
    b = ctx.b
    name = _LOGICAL[field(ctx.w, 1, 10)]
    s, t = ctx.r(ctx.rt), ctx.r(ctx.rb)
    if name in ("andc", "orc"):
        t = b.not_(t)
    if name in ("and", "andc", "nand"):
        r = b.and_(s, t)
    elif name in ("or", "orc", "nor"):
        r = b.or_(s, t)
    else:
        r = b.xor(s, t)
    if name in ("nand", "nor", "eqv"):
        r = b.not_(r)
    if ctx.rc:
        ctx.record(r)
    ctx.set_r(ctx.ra, r)


@family(*xo(954, 922, 26))
def extend_count(ctx: Ctx) -> None:
    """extsb, extsh, cntlzw [.]."""
    b = ctx.b
    code = field(ctx.w, 1, 10)
    s = ctx.r(ctx.rt)
    if code == 954:
        r = b.sext(b.trunc(s, I8), I32)
    elif code == 922:
        r = b.sext(b.trunc(s, I16), I32)
    else:
        r = b.unop("clz", s)
    if ctx.rc:
        ctx.record(r)
    ctx.set_r(ctx.ra, r)


# -- rotates and shifts (Fixed-Point Rotate and Shift Instructions) ------------------------
def rotl(b: IRBuilder, v: Value, n: Value) -> Value:
    return b.rotr(v, b.sub(const(32), n)) if not isinstance(n, Const) else \
        b.rotr(v, const((32 - n.value) % 32))


@family(20, 21, 23)
def rotate(ctx: Ctx) -> None:
    """rlwimi, rlwinm, rlwnm [.]: r <- ROTL32((RS), n) & MASK(MB, ME); rlwimi merges
    into RA under the mask."""
    b = ctx.b
    op = ctx.w >> 26
    m = mask32(field(ctx.w, 6), field(ctx.w, 1))
    n = b.and_(ctx.r(ctx.rb), const(31)) if op == 23 else const(ctx.rb)
    r = b.and_(rotl(b, ctx.r(ctx.rt), n), const(m))
    if op == 20:
        r = b.or_(r, b.and_(ctx.r(ctx.ra), const(~m & M32)))
    if ctx.rc:
        ctx.record(r)
    ctx.set_r(ctx.ra, r)


@family(*xo(24, 536, 792, 824))
def shift(ctx: Ctx) -> None:
    """slw, srw, sraw, srawi [.]: amounts of 32-63 shift everything out; the algebraic
    forms set CA when a negative value loses 1 bits."""
    b = ctx.b
    code = field(ctx.w, 1, 10)
    s = ctx.r(ctx.rt)
    n = const(ctx.rb) if code == 824 else b.and_(ctx.r(ctx.rb), const(0x3F))
    if code == 24:
        r = b.shl(s, n)
    elif code == 536:
        r = b.lshr(s, n)
    else:
        r = b.ashr(s, n)
        lost = b.and_(s, b.not_(b.shl(const(M32), n)))
        b.put(CA, b.bool_and(b.icmp("slt", s, const(0)), b.icmp("ne", lost, const(0))))
    if ctx.rc:
        ctx.record(r)
    ctx.set_r(ctx.ra, r)


# -- condition register (Condition Register Instructions; Move To/From System Register) --
_CR_LOGICAL = {257: "crand", 129: "crandc", 289: "creqv", 225: "crnand", 33: "crnor",
               449: "cror", 417: "crorc", 193: "crxor"}


@family(*[(19, c) for c in _CR_LOGICAL])
def cr_logical(ctx: Ctx) -> None:
    """crand, crandc, creqv, crnand, crnor, cror, crorc, crxor: CR[BT] <- CR[BA] op CR[BB]."""
    b = ctx.b
    name = _CR_LOGICAL[field(ctx.w, 1, 10)]
    x, y = ctx.crbit(ctx.ra), ctx.crbit(ctx.rb)
    if name in ("crandc", "crorc"):
        y = b.bool_not(y)
    if name in ("crand", "crandc", "crnand"):
        r = b.bool_and(x, y)
    elif name in ("cror", "crorc", "crnor"):
        r = b.bool_or(x, y)
    else:
        r = b.xor(x, y)
    if name in ("crnand", "crnor", "creqv"):
        r = b.bool_not(r)
    ctx.set_crbit(ctx.rt, r)


@family((19, 0))
def move_cr_field(ctx: Ctx) -> None:
    """mcrf: CR[BF] <- CR[BFA]."""
    ctx.set_cr(field(ctx.w, 23, 3), ctx.cr(field(ctx.w, 18, 3)))


@family(*xo(19))
def move_from_cr(ctx: Ctx) -> None:
    """mfcr; mfocrf (bit 20 set, one FXM bit) reads just that field, the rest 0 (the
    ISA leaves it undefined; this is what qemu-ppc gives)."""
    b = ctx.b
    fxm = field(ctx.w, 12, 8)
    one = ctx.w & 0x00100000 and fxm and not fxm & (fxm - 1)
    v: Value = const(0)
    for i in range(8):
        if not one or fxm & (0x80 >> i):
            v = b.or_(v, b.shl(ctx.cr(i), const(28 - 4 * i)))
    ctx.set_r(ctx.rt, v)


@family(*xo(144))
def move_to_cr(ctx: Ctx) -> None:
    """mtcrf / mtocrf: the CR fields selected by FXM <- the matching bits of (RS)."""
    b = ctx.b
    fxm = field(ctx.w, 12, 8)
    s = ctx.r(ctx.rt)
    for i in range(8):
        if fxm & (0x80 >> i):
            ctx.set_cr(i, b.and_(b.lshr(s, const(28 - 4 * i)), const(0xF)))


@family(*xo(512))
def move_to_cr_from_xer(ctx: Ctx) -> None:
    """mcrxr: CR[BF] <- SO OV CA 0; SO, OV, CA <- 0."""
    b = ctx.b
    v = b.or_(b.or_(b.shl(b.zext(ctx.flag(SO), I32), const(3)),
                    b.shl(b.zext(ctx.flag(OV), I32), const(2))),
              b.shl(b.zext(ctx.flag(CA), I32), const(1)))
    ctx.set_cr(field(ctx.w, 23, 3), v)
    for slot in (SO, OV, CA):
        b.put(slot, const(0, I1))


def xer_value(ctx: Ctx) -> Value:
    b = ctx.b
    v = b.get(XER, I32)
    for slot, sh in ((SO, 31), (OV, 30), (CA, 29)):
        v = b.or_(v, b.shl(b.zext(ctx.flag(slot), I32), const(sh)))
    return v


def _spr(w: int) -> int:
    return field(w, 16) | (field(w, 11) << 5)


@family(*xo(339, 371))
def move_from_spr(ctx: Ctx) -> None:
    """mfspr (XER, LR, CTR; the PVR as the kernel emulates it) and mftb/mftbu (Book II
    Time Base)."""
    b = ctx.b
    spr = _spr(ctx.w)
    if spr == 1:
        v = xer_value(ctx)
    elif spr == 8:
        v = b.get(LR, I32)
    elif spr == 9:
        v = b.get(CTR, I32)
    elif spr in (268, 269):
        tb = b.call("ppc_timebase", I64)
        v = b.lo32(tb) if spr == 268 else b.hi32(tb)
    elif spr == 287:
        v = const(PVR)
    else:
        raise _Unsupported
    ctx.set_r(ctx.rt, v)


@family(*xo(467))
def move_to_spr(ctx: Ctx) -> None:
    """mtspr (XER, LR, CTR)."""
    b = ctx.b
    spr = _spr(ctx.w)
    s = ctx.r(ctx.rt)
    if spr == 1:
        b.put(XER, b.and_(s, const(XER_KEPT)))
        for slot, sh in ((SO, 31), (OV, 30), (CA, 29)):
            b.put(slot, b.trunc(b.lshr(s, const(sh)), I1))
    elif spr == 8:
        b.put(LR, s)
    elif spr == 9:
        b.put(CTR, s)
    else:
        raise _Unsupported


# -- branches (Branch Instructions) -----------------------------------------------------
@family(18)
def branch(ctx: Ctx) -> None:
    """b, ba, bl, bla."""
    w = ctx.w
    li = w & 0x03FFFFFC
    li -= (li & 0x02000000) << 1
    target = (li if w & 2 else ctx.pc + li) & M32
    if w & 1:
        ctx.b.put(LR, const(ctx.pc + 4))
    ctx.branch(const(target))


def branch_condition(ctx: Ctx) -> Value:
    """The BO/BI test of the bc* family, decrementing CTR when BO_2 = 0."""
    b = ctx.b
    bo = ctx.rt
    ok: Value = const(1, I1)
    if not bo & 4:
        ctr = b.sub(b.get(CTR, I32), const(1))
        b.put(CTR, ctr)
        ok = b.icmp("eq" if bo & 2 else "ne", ctr, const(0))
    if not bo & 16:
        bit = ctx.crbit(ctx.ra)
        ok = b.bool_and(ok, bit if bo & 8 else b.bool_not(bit))
    return ok


def conditional_branch(ctx: Ctx, target: Value) -> None:
    b = ctx.b
    if ctx.w & 1:
        b.put(LR, const(ctx.pc + 4))
    cond = branch_condition(ctx)
    with b.if_(cond):
        b.goto(target)
    ctx.ends_block = True


@family(16)
def branch_conditional(ctx: Ctx) -> None:
    """bc, bca, bcl, bcla."""
    bd = sext16(ctx.w & 0xFFFC)
    target = (bd if ctx.w & 2 else ctx.pc + bd) & M32
    conditional_branch(ctx, const(target))


@family((19, 16), (19, 528))
def branch_conditional_register(ctx: Ctx) -> None:
    """bclr[l], bcctr[l]: the target is LR or CTR (read before LK updates LR)."""
    b = ctx.b
    src = LR if field(ctx.w, 1, 10) == 16 else CTR
    if src == CTR and not ctx.rt & 4:
        raise _Unsupported     # bcctr with CTR decrement is an invalid form
    conditional_branch(ctx, b.and_(b.get(src, I32), const(~3 & M32)))


@family(17)
def system_call(ctx: Ctx) -> None:
    """sc: the Linux system call (number in r0, arguments r3-r8)."""
    ctx.b.exit(ExitKind.SYSCALL, ctx.pc + 4)
    ctx.ends_block = True


# -- loads and stores (Fixed-Point / Floating-Point Load and Store Instructions) ----------
# Access kinds: word, halfword, halfword algebraic, byte, FP single, FP double, FP as
# integer word (stfiwx).
_W, _H, _HA, _B, _FS, _FD, _FIW = "w", "h", "ha", "b", "fs", "fd", "fiw"
# D-form: primary opcode -> (kind, store); the odd opcodes are the update forms.
_D_FORMS = {32: (_W, False), 33: (_W, False), 34: (_B, False), 35: (_B, False),
            40: (_H, False), 41: (_H, False), 42: (_HA, False), 43: (_HA, False),
            36: (_W, True), 37: (_W, True), 38: (_B, True), 39: (_B, True),
            44: (_H, True), 45: (_H, True), 48: (_FS, False), 49: (_FS, False),
            50: (_FD, False), 51: (_FD, False), 52: (_FS, True), 53: (_FS, True),
            54: (_FD, True), 55: (_FD, True)}
# X-form: extended opcode -> (kind, store, update)
_X_FORMS = {23: (_W, False, False), 55: (_W, False, True), 87: (_B, False, False),
            119: (_B, False, True), 279: (_H, False, False), 311: (_H, False, True),
            343: (_HA, False, False), 375: (_HA, False, True), 151: (_W, True, False),
            183: (_W, True, True), 215: (_B, True, False), 247: (_B, True, True),
            407: (_H, True, False), 439: (_H, True, True), 535: (_FS, False, False),
            567: (_FS, False, True), 599: (_FD, False, False), 631: (_FD, False, True),
            663: (_FS, True, False), 695: (_FS, True, True), 727: (_FD, True, False),
            759: (_FD, True, True), 983: (_FIW, True, False)}
# byte-reversed X-form: extended opcode -> (kind, store)
_REVERSED = {534: (_W, False), 790: (_H, False), 662: (_W, True), 918: (_H, True)}


def single_to_double(b: IRBuilder, word: Value) -> tuple[Value, Value]:
    """A single's bits widened exactly: (the double, an i1 that is set for a NaN, whose
    double must be built from the bits to keep a signalling NaN signalling)."""
    d = b.op("fpext", F64, b.op("bitcast", F32, word))
    return d, b.op("fcmp", I1, d, d, attr=("uno",))


def nan_single_to_double(b: IRBuilder, word: Value) -> Value:
    w64 = b.zext(word, I64)
    bits = b.or_(b.or_(b.shl(b.and_(w64, const(0x80000000, I64)), const(32, I64)),
                       const(0x7FF0000000000000, I64)),
                 b.shl(b.and_(w64, const(0x7FFFFF, I64)), const(29, I64)))
    return b.op("bitcast", F64, bits)


def double_to_single(b: IRBuilder, d: Value) -> Value:
    """The word stfs stores: the ISA's bit selection (no rounding), denormalizing
    singles that are too small and flushing what is smaller still (as qemu-ppc)."""
    x = b.op("bitcast", I64, d)
    e = b.and_(b.lshr(x, const(52, I64)), const(0x7FF, I64))
    normal = b.or_(b.and_(b.lshr(x, const(32, I64)), const(0xC0000000, I64)),
                   b.and_(b.lshr(x, const(29, I64)), const(0x3FFFFFFF, I64)))
    sign = b.and_(b.lshr(x, const(32, I64)), const(0x80000000, I64))
    frac = b.or_(b.and_(x, const((1 << 52) - 1, I64)), const(1 << 52, I64))
    denorm = b.lshr(frac, b.sub(const(926, I64), e))
    small = b.select(b.icmp("uge", e, const(874, I64)), b.or_(sign, denorm), sign)
    return b.trunc(b.select(b.icmp("ugt", e, const(896, I64)), normal, small), I32)


def load_value(ctx: Ctx, kind: str, addr: Value, dest: int, endian: str = "be") -> None:
    b = ctx.b
    if kind == _FD:
        ctx.set_f(dest, b.load(addr, F64, endian))
    elif kind == _FS:
        word = b.load(addr, I32, endian)
        d, nan = single_to_double(b, word)
        ctx.set_f(dest, d)
        with b.if_(nan):
            ctx.set_f(dest, nan_single_to_double(b, word))
    elif kind == _W:
        ctx.set_r(dest, b.load(addr, I32, endian))
    elif kind == _B:
        ctx.set_r(dest, b.zext(b.load(addr, I8, endian), I32))
    elif kind == _H:
        ctx.set_r(dest, b.zext(b.load(addr, I16, endian), I32))
    else:
        ctx.set_r(dest, b.sext(b.load(addr, I16, endian), I32))


def store_value(ctx: Ctx, kind: str, addr: Value, src: int, endian: str = "be") -> None:
    b = ctx.b
    if kind == _FD:
        b.store(addr, ctx.f(src), endian)
    elif kind == _FS:
        b.store(addr, double_to_single(b, ctx.f(src)), endian)
    elif kind == _FIW:
        b.store(addr, b.trunc(b.op("bitcast", I64, ctx.f(src)), I32), endian)
    elif kind == _W:
        b.store(addr, ctx.r(src), endian)
    elif kind == _B:
        b.store(addr, b.trunc(ctx.r(src), I8), endian)
    else:
        b.store(addr, b.trunc(ctx.r(src), I16), endian)


def access(ctx: Ctx, kind: str, store: bool, update: bool, addr: Value) -> None:
    """One load or store at addr; the update forms then write addr back to RA (after
    the load, as qemu-ppc orders the invalid RA = RT case)."""
    if store:
        store_value(ctx, kind, addr, ctx.rt)
    else:
        load_value(ctx, kind, addr, ctx.rt)
    if update:
        ctx.set_r(ctx.ra, addr)


@family(*_D_FORMS)
def load_store_d(ctx: Ctx) -> None:
    """D-form loads and stores, with update (odd opcodes): EA <- (RA|0) + EXTS(D)."""
    op = ctx.w >> 26
    kind, store = _D_FORMS[op]
    update = bool(op & 1)
    base = ctx.r(ctx.ra) if update else ctx.r0(ctx.ra)
    access(ctx, kind, store, update, ctx.b.add(base, const(sext16(ctx.w))))


@family(*xo(*_X_FORMS))
def load_store_x(ctx: Ctx) -> None:
    """X-form (indexed) loads and stores, with update: EA <- (RA|0) + (RB)."""
    kind, store, update = _X_FORMS[field(ctx.w, 1, 10)]
    base = ctx.r(ctx.ra) if update else ctx.r0(ctx.ra)
    access(ctx, kind, store, update, ctx.b.add(base, ctx.r(ctx.rb)))


@family(*xo(*_REVERSED))
def load_store_reversed(ctx: Ctx) -> None:
    """lwbrx, lhbrx, stwbrx, sthbrx (Load and Store with Byte Reversal): little-endian
    accesses."""
    kind, store = _REVERSED[field(ctx.w, 1, 10)]
    addr = ctx.b.add(ctx.r0(ctx.ra), ctx.r(ctx.rb))
    if store:
        store_value(ctx, kind, addr, ctx.rt, "le")
    else:
        load_value(ctx, kind, addr, ctx.rt, "le")


@family(46, 47)
def load_store_multiple(ctx: Ctx) -> None:
    """lmw, stmw (Load and Store Multiple): registers RT..r31 from/to EA, EA+4, ..."""
    b = ctx.b
    ea = b.add(ctx.r0(ctx.ra), const(sext16(ctx.w)))
    regs = range(ctx.rt, 32)
    if ctx.w >> 26 == 46:
        vals = [b.load(b.add(ea, const(4 * i)), I32, "be") for i in range(len(regs))]
        for r, v in zip(regs, vals):
            ctx.set_r(r, v)
    else:
        for i, r in enumerate(regs):
            b.store(b.add(ea, const(4 * i)), ctx.r(r), "be")


@family(*xo(597, 725))
def string_immediate(ctx: Ctx) -> None:
    """lswi, stswi (Move Assist): NB bytes (0 means 32) from/to RT, RT+1, ... (wrapping
    to r0), four per register from the top; a load zeroes the rest of the last one."""
    b = ctx.b
    n = ctx.rb or 32
    ea = ctx.r0(ctx.ra)
    load = field(ctx.w, 1, 10) == 597
    for k in range((n + 3) // 4):
        reg = (ctx.rt + k) % 32
        nbytes = min(4, n - 4 * k)
        if load:
            v: Value = const(0)
            for i in range(nbytes):
                byte = b.zext(b.load(b.add(ea, const(4 * k + i)), I8, "be"), I32)
                v = b.or_(v, b.shl(byte, const(24 - 8 * i)))
            ctx.set_r(reg, v)
        else:
            s = ctx.r(reg)
            for i in range(nbytes):
                b.store(b.add(ea, const(4 * k + i)),
                        b.trunc(b.lshr(s, const(24 - 8 * i)), I8), "be")


@family(*xo(533, 661))
def string_indexed(ctx: Ctx) -> None:
    """lswx, stswx (Move Assist): like lswi/stswi with the byte count in XER[25:31]
    (0: nothing moves), unrolled over the 128 possible bytes."""
    b = ctx.b
    ea = b.add(ctx.r0(ctx.ra), ctx.r(ctx.rb))
    n = b.and_(b.get(XER, I32), const(0x7F))
    load = field(ctx.w, 1, 10) == 533
    for k in range(32):
        reg = (ctx.rt + k) % 32
        with b.if_(b.icmp("ugt", n, const(4 * k))):
            if load:
                ctx.set_r(reg, const(0))
            for i in range(4):
                with b.if_(b.icmp("ugt", n, const(4 * k + i))):
                    addr = b.add(ea, const(4 * k + i))
                    if load:
                        byte = b.zext(b.load(addr, I8, "be"), I32)
                        ctx.set_r(reg, b.or_(ctx.r(reg), b.shl(byte, const(24 - 8 * i))))
                    else:
                        b.store(addr, b.trunc(b.lshr(ctx.r(reg), const(24 - 8 * i)), I8),
                                "be")


@family(*xo(20, 150))
def load_reserve_store_conditional(ctx: Ctx) -> None:
    """lwarx, stwcx. (Book II Load And Reserve / Store Conditional): one reservation;
    stwcx. stores if it is held for EA, and reports success in CR0[EQ]."""
    b = ctx.b
    ea = b.add(ctx.r0(ctx.ra), ctx.r(ctx.rb))
    if field(ctx.w, 1, 10) == 20:
        v = b.load(ea, I32, "be")
        b.put(RES_ADDR, ea)
        b.put(RES_VALID, const(1, I1))
        ctx.set_r(ctx.rt, v)
        return
    ok = b.bool_and(b.get(RES_VALID, I1), b.icmp("eq", b.get(RES_ADDR, I32), ea))
    s = ctx.r(ctx.rt)
    with b.if_(ok):
        b.store(ea, s, "be")
    b.put(RES_VALID, const(0, I1))
    ctx.set_cr(0, b.or_(b.select(ok, const(2), const(0)), b.zext(ctx.flag(SO), I32)))


@family(*xo(598, 854, 278, 246, 758), (19, 150))
def no_effect(ctx: Ctx) -> None:
    """sync/lwsync, eieio, isync (Book II barriers) and the cache hints dcbt, dcbtst,
    dcba: nothing to do for a single-threaded guest."""


def touch_line(ctx: Ctx) -> Value:
    """EA of an X-form cache instruction, read like a load (it faults where a load would:
    the ISA treats dcbf/dcbst/icbi as loads for protection) -- the result is unused."""
    b = ctx.b
    ea = b.add(ctx.r0(ctx.ra), ctx.r(ctx.rb))
    b.load(ea, I8, "be")
    return ea


@family(*xo(86, 54))
def data_cache_block_store(ctx: Ctx) -> None:
    """dcbf, dcbst (Book II): memory is always coherent here; only the access check."""
    touch_line(ctx)


@family(*xo(1014))
def data_cache_block_zero(ctx: Ctx) -> None:
    """dcbz (Book II): zero the cache line (AT_DCACHEBSIZE bytes) holding EA."""
    b = ctx.b
    line = b.and_(b.add(ctx.r0(ctx.ra), ctx.r(ctx.rb)), const(~(CACHE_LINE - 1) & M32))
    for off in range(0, CACHE_LINE, 8):
        b.store(b.add(line, const(off)), const(0, I64), "be")


@family(*xo(982))
def instruction_cache_block_invalidate(ctx: Ctx) -> None:
    """icbi (Book II): code in the line may have changed, so its translations go.  The
    block ends with a request the core services (see PPCArch.syscall_args)."""
    b = ctx.b
    line = b.and_(touch_line(ctx), const(~(CACHE_LINE - 1) & M32))
    b.put(ICBI, b.or_(line, const(1)))
    b.exit(ExitKind.SYSCALL, ctx.pc + 4)
    ctx.ends_block = True


# -- floating point (Floating-Point Facility) ----------------------------------------------
def _bits(b: IRBuilder, v: Value) -> Value:
    return b.op("bitcast", I64, v)


def _round_single(b: IRBuilder, v: Value) -> Value:
    return b.op("fpext", F64, b.op("fptrunc", F32, v))


_ARITH = (18, 20, 21, 22, 25, 28, 29, 30, 31)


# fres (single) and frsqrte (double) are the 750's estimates; fre and frsqrtes came with
# POWER5 and are not there (SIGILL, as under qemu-ppc's 750).
@family(*[(op, x, "A") for op in (59, 63) for x in _ARITH], (59, 24, "A"), (63, 26, "A"))
def fp_arithmetic(ctx: Ctx) -> None:
    """fadd, fsub, fmul, fdiv, fsqrt, f[n]madd, f[n]msub and their single forms, fres,
    frsqrte [.] (Floating-Point Arithmetic Instructions): computed inline rounding to
    nearest; a NaN result or a directed rounding mode takes the exact helper, which
    follows the ISA's NaN rules and FPSCR[RN].  Status bits (FPRF, FR, FI, exceptions)
    are not updated."""
    b = ctx.b
    single = ctx.w >> 26 == 59
    code = field(ctx.w, 1)
    zero = Const(0.0, F64)
    # Only the operands the instruction has (the helper gets 0.0 for the others).
    a = ctx.f(ctx.ra) if code not in (fpu.FSQRT, fpu.FRE, fpu.FRSQRTE) else zero
    bb = ctx.f(ctx.rb) if code != fpu.FMUL else zero
    c = ctx.f(field(ctx.w, 6)) if code == fpu.FMUL or code >= fpu.FMSUB else zero
    one = Const(1.0, F64)
    if code == fpu.FDIV:
        r = b.op("fdiv", F64, a, bb)
    elif code == fpu.FSUB:
        r = b.op("fsub", F64, a, bb)
    elif code == fpu.FADD:
        r = b.op("fadd", F64, a, bb)
    elif code == fpu.FSQRT:
        r = b.op("fsqrt", F64, bb)
    elif code == fpu.FRE:
        r = b.op("fdiv", F64, one, bb)
    elif code == fpu.FMUL:
        r = b.op("fmul", F64, a, c)
    elif code == fpu.FRSQRTE:
        r = b.op("fdiv", F64, one, b.op("fsqrt", F64, bb))
    else:
        sub = code in (fpu.FMSUB, fpu.FNMSUB)
        r = b.op("fma", F64, a, c, b.op("fneg", F64, bb) if sub else bb)
        if code in (fpu.FNMADD, fpu.FNMSUB):
            r = b.op("fneg", F64, r)
    if single:
        r = _round_single(b, r)
    ctx.set_f(ctx.rt, r)
    slow = b.bool_or(b.op("fcmp", I1, r, r, attr=("uno",)), ctx.directed())
    with b.if_(slow):
        exact = b.call("ppc_fp", I64, const(code | (fpu.SINGLE if single else 0)),
                       _bits(b, a), _bits(b, bb), _bits(b, c), ctx.fpscr())
        ctx.set_f(ctx.rt, b.op("bitcast", F64, exact))
    ctx.record_fp()


@family((63, 23, "A"))
def fp_select(ctx: Ctx) -> None:
    """fsel [.]: FRT <- FRC if FRA >= 0 (not NaN; -0 counts) else FRB."""
    b = ctx.b
    ge = b.op("fcmp", I1, ctx.f(ctx.ra), Const(0.0, F64), attr=("oge",))
    ctx.set_f(ctx.rt, b.select(ge, ctx.f(field(ctx.w, 6)), ctx.f(ctx.rb)))
    ctx.record_fp()


@family((63, 72), (63, 40), (63, 264), (63, 136))
def fp_move(ctx: Ctx) -> None:
    """fmr, fneg, fabs, fnabs [.] (Floating-Point Move Instructions): sign-bit only."""
    b = ctx.b
    code = field(ctx.w, 1, 10)
    v = ctx.f(ctx.rb)
    if code in (264, 136):
        v = b.op("fabs", F64, v)
    if code in (40, 136):
        v = b.op("fneg", F64, v)
    ctx.set_f(ctx.rt, v)
    ctx.record_fp()


@family((63, 12))
def fp_round_single(ctx: Ctx) -> None:
    """frsp [.]: round to single precision under FPSCR[RN]."""
    b = ctx.b
    x = ctx.f(ctx.rb)
    ctx.set_f(ctx.rt, _round_single(b, x))
    with b.if_(ctx.directed()):
        exact = b.call("ppc_fp", I64, const(fpu.FRSP | fpu.SINGLE), const(0, I64), _bits(b, x),
                       const(0, I64), ctx.fpscr())
        ctx.set_f(ctx.rt, b.op("bitcast", F64, exact))
    ctx.record_fp()


# The doubles past which fctiw[z] is out of range, per rounding mode (nearest, zero, +inf,
# -inf): invalid when x >= HI or x <= LO.
_CVT_HI = (2147483647.5, 2147483648.0, math.nextafter(2147483647.0, math.inf), 2147483648.0)
_CVT_LO = (math.nextafter(-2147483648.5, -math.inf), -2147483649.0, -2147483649.0,
           math.nextafter(-2147483648.0, -math.inf))


@family((63, 14), (63, 15))
def fp_convert_to_integer(ctx: Ctx) -> None:
    """fctiw, fctiwz [.]: to a 32-bit integer (fctiw under FPSCR[RN], fctiwz toward
    zero), saturating; NaN gives 0x80000000 and NaN or out-of-range sets VXCVI (and
    VXSNAN for a signalling NaN).  The high word is the sign extension (as qemu-ppc)."""
    b = ctx.b
    x = ctx.f(ctx.rb)
    toward_zero = field(ctx.w, 1, 10) == 15
    r = x
    if not toward_zero:
        # Round half to even while |x| < 2**52 (bigger doubles are integers already).
        ax = b.op("fabs", F64, x)
        t = b.op("fsub", F64, b.op("fadd", F64, ax, Const(TWO52, F64)), Const(TWO52, F64))
        t = b.select(b.op("fcmp", I1, ax, Const(TWO52, F64), attr=("olt",)), t, ax)
        neg = b.op("fcmp", I1, x, Const(0.0, F64), attr=("olt",))
        r = b.select(neg, b.op("fneg", F64, t), t)
    nan = b.op("fcmp", I1, x, x, attr=("uno",))
    i = b.sext(b.op("fptosi", I32, r), I64)
    ctx.set_f(ctx.rt, b.op("bitcast", F64, b.select(nan, const(0x80000000, I64), i)))
    if toward_zero:
        hi, lo = Const(_CVT_HI[1], F64), Const(_CVT_LO[1], F64)
    else:
        with b.if_(ctx.directed()):
            exact = b.call("ppc_fctiw", I64, _bits(b, x), ctx.fpscr())
            ctx.set_f(ctx.rt, b.op("bitcast", F64, exact))
        rn = b.and_(ctx.fpscr(), const(3))
        hi, lo = Const(_CVT_HI[3], F64), Const(_CVT_LO[3], F64)
        for mode in (2, 1, 0):
            is_mode = b.icmp("eq", rn, const(mode))
            hi = b.select(is_mode, Const(_CVT_HI[mode], F64), hi)
            lo = b.select(is_mode, Const(_CVT_LO[mode], F64), lo)
    out = b.bool_or(b.op("fcmp", I1, x, hi, attr=("oge",)), b.op("fcmp", I1, x, lo, attr=("ole",)))
    with b.if_(b.bool_or(nan, out)):
        ctx.fp_raise(b.select(is_snan(b, x), const(VXCVI | VXSNAN), const(VXCVI)))
    ctx.record_fp()


def is_snan(b: IRBuilder, v: Value) -> Value:
    x = b.op("bitcast", I64, v)
    exp_quiet = b.and_(x, const(0x7FF8000000000000, I64))
    return b.bool_and(b.icmp("eq", exp_quiet, const(0x7FF0000000000000, I64)),
                      b.icmp("ne", b.and_(x, const((1 << 51) - 1, I64)), const(0, I64)))


@family((63, 0), (63, 32))
def fp_compare(ctx: Ctx) -> None:
    """fcmpu, fcmpo (Floating-Point Compare Instructions): CR[BF] and FPSCR[FPCC] <-
    FL FG FE FU; a NaN operand sets VXSNAN (signalling) and, for fcmpo, VXVC."""
    b = ctx.b
    x, y = ctx.f(ctx.ra), ctx.f(ctx.rb)
    lt = b.op("fcmp", I1, x, y, attr=("olt",))
    gt = b.op("fcmp", I1, x, y, attr=("ogt",))
    eq = b.op("fcmp", I1, x, y, attr=("oeq",))
    c = b.select(lt, const(8), b.select(gt, const(4), b.select(eq, const(2), const(1))))
    ctx.set_cr(field(ctx.w, 23, 3), c)
    fpscr = ctx.fpscr()
    b.put(FPSCR, b.or_(b.and_(fpscr, const(~FPCC & M32)), b.shl(c, const(12))))
    with b.if_(b.op("fcmp", I1, x, y, attr=("uno",))):
        snan = b.bool_or(is_snan(b, x), is_snan(b, y))
        bits = b.select(snan, const(VXSNAN), const(0))
        if field(ctx.w, 1, 10) == 32:
            # fcmpo: VXVC for any NaN, unless a signalling one traps (VE=1).
            ve = b.icmp("ne", b.and_(ctx.fpscr(), const(0x80)), const(0))
            bits = b.or_(bits, b.select(b.bool_and(snan, ve), const(0), const(VXVC)))
        with b.if_(b.icmp("ne", bits, const(0))):
            ctx.fp_raise(bits)


@family((63, 583))
def move_from_fpscr(ctx: Ctx) -> None:
    """mffs [.]: FRT <- 0x00000000 || FPSCR.  The ISA 3.0 variants in the same opcode
    (mffscrn, mffsl, ...) act as mffs, as pre-POWER9 cores treat them."""
    b = ctx.b
    ctx.set_f(ctx.rt, b.op("bitcast", F64, b.zext(ctx.fpscr(), I64)))
    ctx.record_fp()


@family((63, 711))
def move_to_fpscr_fields(ctx: Ctx) -> None:
    """mtfsf [.]: the FPSCR fields selected by FLM <- the low word of FRB (FEX and VX
    follow the usual rules)."""
    b = ctx.b
    flm = field(ctx.w, 17, 8)
    m = 0
    for i in range(8):
        if flm & (0x80 >> i):
            m |= 0xF << (28 - 4 * i)
    src = b.trunc(b.op("bitcast", I64, ctx.f(ctx.rb)), I32)
    ctx.set_fpscr(b.or_(b.and_(ctx.fpscr(), const(~m & M32)), b.and_(src, const(m))))
    ctx.record_fp()


@family((63, 134))
def move_to_fpscr_field_immediate(ctx: Ctx) -> None:
    """mtfsfi [.]: FPSCR field BF <- U."""
    b = ctx.b
    sh = 28 - 4 * field(ctx.w, 23, 3)
    u = field(ctx.w, 12, 4)
    ctx.set_fpscr(b.or_(b.and_(ctx.fpscr(), const(~(0xF << sh) & M32)), const(u << sh)))
    ctx.record_fp()


@family((63, 70), (63, 38))
def move_to_fpscr_bit(ctx: Ctx) -> None:
    """mtfsb0, mtfsb1 [.]: clear or set FPSCR bit BT; setting an exception bit that was
    clear sets FX."""
    b = ctx.b
    bit = 1 << (31 - ctx.rt)
    if field(ctx.w, 1, 10) == 70:
        ctx.set_fpscr(b.and_(ctx.fpscr(), const(~bit & M32)))
    elif bit & EXC_ALL:
        ctx.fp_raise(const(bit))
    else:
        ctx.set_fpscr(b.or_(ctx.fpscr(), const(bit)))
    ctx.record_fp()


@family((63, 64))
def move_to_cr_from_fpscr(ctx: Ctx) -> None:
    """mcrfs: CR[BF] <- FPSCR field BFA, whose exception bits are then cleared."""
    b = ctx.b
    sh = 28 - 4 * field(ctx.w, 18, 3)
    fpscr = ctx.fpscr()
    ctx.set_cr(field(ctx.w, 23, 3), b.and_(b.lshr(fpscr, const(sh)), const(0xF)))
    clear = (0xF << sh) & (FX | EXC_ALL)
    ctx.set_fpscr(b.and_(fpscr, const(~clear & M32)))


# -- the block lifter -----------------------------------------------------------------------
def lift_block(arch, mem: GuestMemory, key: int, limit: int = MAX_INSNS,
               stops: frozenset[int] | set[int] = frozenset()) -> Block:
    """Lift the block at `key`: at most `limit` instructions, ending before any address
    in `stops` (other than the first), at a page end, or after a branch."""
    pc0 = key & ~3
    b = IRBuilder(pc0, 0)
    lifter = Lifter(b)
    page_end = (pc0 | (PAGE_SIZE - 1)) + 1
    n = min(limit, (page_end - pc0) // 4)
    if stops:
        n = min([n] + [(s - pc0) // 4 for s in stops if pc0 < s < pc0 + 4 * n])
    if not mem.perm[pc0 >> 12] & PROT_EXEC:
        raise GuestFault(pc0, False, pc0)
    code = mem.peek(pc0, 4 * n)
    pc = pc0
    for i in range(n):
        word = int.from_bytes(code[4 * i:4 * i + 4], "big")
        fam = decode(word)
        if fam is None:
            _unsupported(b, arch, pc, word)
            break
        b.cur_pc = pc
        ctx = Ctx(lifter, word, pc)
        mark = len(b._stack[0])
        try:
            fam(ctx)
        except _Unsupported:
            del b._stack[0][mark:]
            b.forget()
            lifter.rn_memo = None
            _unsupported(b, arch, pc, word)
            break
        b.insns.append((pc, 4))
        pc += 4
        if ctx.ends_block:
            if not b.closed:  # a conditional branch falls through
                b.goto(pc)
            break
    else:
        b.goto(pc)
    return b.finish()


def _unsupported(b: IRBuilder, arch, pc: int, word: int) -> None:
    """End the block before an instruction we cannot lift: at the block start report it
    (the engine delivers SIGILL); later in a block just stop and let it start a block."""
    if b.insns:
        b.goto(pc)
        return
    raw = word.to_bytes(4, "big")
    raise UnsupportedInstruction(pc, raw, arch.text(raw, pc))
