"""ARM (A32) lifter: capstone identifies each instruction; the family functions below
decode its fields from the encoding and emit IR following the ARM ARM pseudocode.

One function per instruction family, registered by capstone instruction id.  PC reads
as the instruction's address + 8; writing PC ends the block (interworking: bit 0 of the
new value selects Thumb, as BX does)."""

from __future__ import annotations

from typing import Callable

from capstone import arm_const as A

from dbt.arch import UnsupportedInstruction
from dbt.ir import I1, I8, I16, I32, I64, Block, ExitKind, Value, const
from dbt.irbuild import IRBuilder, add_with_carry
from dbt.memory import PAGE_SIZE, PROT_EXEC, GuestFault, GuestMemory

from .cpu import SLOT

MAX_INSNS = 48
SIGILL, SIGTRAP = 4, 5
M32 = 0xFFFFFFFF
N, Z, C, V, Q = SLOT["n"], SLOT["z"], SLOT["c"], SLOT["v"], SLOT["q"]


def bits(w: int, hi: int, lo: int) -> int:
    return (w >> lo) & ((1 << (hi - lo + 1)) - 1)


def bit(w: int, n: int) -> int:
    return (w >> n) & 1


class Ctx:
    """Per-instruction lifting context: builder, encoding and the pc."""

    __slots__ = ("b", "w", "pc", "insn_id", "ends_block")

    def __init__(self, b: IRBuilder, word: int, pc: int, insn_id: int) -> None:
        self.b = b
        self.w = word
        self.pc = pc
        self.insn_id = insn_id  # capstone's
        self.ends_block = False

    # -- registers ----------------------------------------------------------------
    def r(self, n: int) -> Value:
        """Read register n (PC reads as this instruction + 8)."""
        if n == 15:
            return const(self.pc + 8)
        return self.b.get(n, I32)

    def set_r(self, n: int, v: Value) -> None:
        """Write register n; writing PC is an interworking branch that ends the block."""
        if n == 15:
            self.branch(v)
        else:
            self.b.put(n, v)

    def branch(self, target: Value) -> None:
        self.b.goto(target)
        self.ends_block = True

    def flag(self, slot: int) -> Value:
        return self.b.get(slot, I1)

    def set_nz(self, v: Value) -> None:
        self.b.put(N, self.b.trunc(self.b.lshr(v, const(31)), I1))
        self.b.put(Z, self.b.icmp("eq", v, const(0)))


# -- condition codes (ARM ARM A8.3) ---------------------------------------------------
def cond_value(b: IRBuilder, cond: int) -> Value:
    def f(slot: int) -> Value:
        return b.get(slot, I1)

    base = cond >> 1
    if base == 0:
        v = f(Z)
    elif base == 1:
        v = f(C)
    elif base == 2:
        v = f(N)
    elif base == 3:
        v = f(V)
    elif base == 4:
        v = b.bool_and(f(C), b.bool_not(f(Z)))
    elif base == 5:
        v = b.icmp("eq", f(N), f(V))
    elif base == 6:
        v = b.bool_and(b.bool_not(f(Z)), b.icmp("eq", f(N), f(V)))
    else:
        return const(1, I1)
    return b.bool_not(v) if cond & 1 else v


# -- shifter operands (A8.4.3 Shift_C) -------------------------------------------------
def shift_imm(ctx: Ctx, val: Value, stype: int, imm5: int, want_carry: bool
              ) -> tuple[Value, Value | None]:
    """DecodeImmShift + Shift_C with an immediate amount."""
    b = ctx.b
    carry: Value | None = None
    if stype == 0:  # LSL
        if imm5 == 0:
            return val, (ctx.flag(C) if want_carry else None)
        if want_carry:
            carry = b.trunc(b.lshr(val, const(32 - imm5)), I1)
        return b.shl(val, const(imm5)), carry
    if stype == 1:  # LSR (#0 means 32)
        n = imm5 or 32
        if want_carry:
            carry = b.trunc(b.lshr(val, const(n - 1)), I1)
        return b.lshr(val, const(n)), carry
    if stype == 2:  # ASR (#0 means 32)
        n = imm5 or 32
        if want_carry:
            carry = b.trunc(b.lshr(val, const(n - 1)), I1)
        return b.ashr(val, const(n)), carry
    if imm5 == 0:  # RRX
        if want_carry:
            carry = b.trunc(val, I1)
        return b.or_(b.lshr(val, const(1)), b.shl(b.zext(ctx.flag(C), I32), const(31))), carry
    r = b.rotr(val, const(imm5))
    if want_carry:
        carry = b.trunc(b.lshr(r, const(31)), I1)
    return r, carry


def shift_reg(ctx: Ctx, val: Value, stype: int, amount: Value, want_carry: bool
              ) -> tuple[Value, Value | None]:
    """Shift_C by a register amount (bottom byte of Rs)."""
    b = ctx.b
    amt = b.and_(amount, const(0xFF))
    if stype == 0:
        r = b.shl(val, amt)
        cbit = lambda: b.lshr(val, b.sub(const(32), amt))  # noqa: E731
    elif stype == 1:
        r = b.lshr(val, amt)
        cbit = lambda: b.lshr(val, b.sub(amt, const(1)))  # noqa: E731
    elif stype == 2:
        r = b.ashr(val, amt)
        cbit = lambda: b.ashr(val, b.sub(amt, const(1)))  # noqa: E731
    else:
        r = b.rotr(val, amt)
        cbit = lambda: b.lshr(r, const(31))  # noqa: E731
    carry = None
    if want_carry:
        carry = b.select(b.icmp("eq", amt, const(0)), ctx.flag(C), b.trunc(cbit(), I1))
    return r, carry


def operand2(ctx: Ctx, want_carry: bool) -> tuple[Value, Value | None]:
    """The data-processing shifter operand: immediate or (shifted) register."""
    w = ctx.w
    if (w >> 25) & 1:  # I: rotate(imm8, 2 * bits 11:8)
        rot = ((w >> 8) & 0xF) * 2
        imm = w & 0xFF
        val = ((imm >> rot) | (imm << (32 - rot))) & M32 if rot else imm
        carry = None
        if want_carry:
            carry = const(val >> 31, I1) if rot else ctx.flag(C)
        return const(val), carry
    m = w & 0xF
    rm = ctx.r(m)
    stype = (w >> 5) & 3
    if (w >> 4) & 1:  # shifted by Rs (bits 11:8)
        if m == 15:  # register-shifted PC reads pc + 12
            rm = const(ctx.pc + 12)
        return shift_reg(ctx, rm, stype, ctx.r((w >> 8) & 0xF), want_carry)
    return shift_imm(ctx, rm, stype, (w >> 7) & 0x1F, want_carry)


# -- families ---------------------------------------------------------------------------
Family = Callable[[Ctx], None]
FAMILIES: dict[int, Family] = {}


def family(*ids: int) -> Callable[[Family], Family]:
    def deco(fn: Family) -> Family:
        for i in ids:
            FAMILIES[i] = fn
        return fn
    return deco


LOGICAL = {0x0, 0x1, 0x8, 0x9, 0xC, 0xD, 0xE, 0xF}


@family(A.ARM_INS_AND, A.ARM_INS_EOR, A.ARM_INS_SUB, A.ARM_INS_RSB, A.ARM_INS_ADD,
        A.ARM_INS_ADC, A.ARM_INS_SBC, A.ARM_INS_RSC, A.ARM_INS_TST, A.ARM_INS_TEQ,
        A.ARM_INS_CMP, A.ARM_INS_CMN, A.ARM_INS_ORR, A.ARM_INS_MOV, A.ARM_INS_BIC,
        A.ARM_INS_MVN, A.ARM_INS_LSL, A.ARM_INS_LSR, A.ARM_INS_ASR, A.ARM_INS_ROR,
        A.ARM_INS_RRX, A.ARM_INS_ADR, A.ARM_INS_NOP, A.ARM_INS_SUBS, A.ARM_INS_MOVS)
def data_processing(ctx: Ctx) -> None:
    """A5.2.1-A5.2.3 data-processing (immediate, register, register-shifted register)."""
    w, b = ctx.w, ctx.b
    # cond:4 00 I opcode:4 S Rn:4 Rd:4 operand2:12 -- the commonest family, so its
    # fields (and operand2's) are shifted out inline rather than through bits().
    if (w >> 26) & 3:
        raise _Unsupported
    if (w >> 23) & 0x1F == 0b00110 and not (w >> 20) & 1:
        # Not TST..CMN without S but MOVW/MOVT or hints (A5.2.1): capstone 5 reports
        # MOVW as ARM_INS_MOV and NOP as ARM_INS_NOP.
        if not (w >> 21) & 1:
            return movw_movt(ctx)
        return
    opc, s, rn, rd = (w >> 21) & 0xF, (w >> 20) & 1, (w >> 16) & 0xF, (w >> 12) & 0xF
    if rd == 15 and s:
        raise _Unsupported  # SUBS pc, lr: exception return, not for user mode
    logical = opc in LOGICAL
    x = ctx.r(rn)
    y, shc = operand2(ctx, s and logical)
    carry = ov = None
    if opc == 0x0 or opc == 0x8:
        r = b.and_(x, y)
    elif opc == 0x1 or opc == 0x9:
        r = b.xor(x, y)
    elif opc == 0xC:
        r = b.or_(x, y)
    elif opc == 0xD:
        r = y
    elif opc == 0xE:
        r = b.and_(x, b.not_(y))
    elif opc == 0xF:
        r = b.not_(y)
    elif opc == 0x2 or opc == 0xA:  # SUB, CMP
        r, carry, ov = add_with_carry(b, x, b.not_(y), const(1, I1))
    elif opc == 0x3:  # RSB
        r, carry, ov = add_with_carry(b, y, b.not_(x), const(1, I1))
    elif opc == 0x4 or opc == 0xB:  # ADD, CMN
        r, carry, ov = add_with_carry(b, x, y, const(0, I1))
    elif opc == 0x5:
        r, carry, ov = add_with_carry(b, x, y, ctx.flag(C))
    elif opc == 0x6:
        r, carry, ov = add_with_carry(b, x, b.not_(y), ctx.flag(C))
    else:  # RSC
        r, carry, ov = add_with_carry(b, y, b.not_(x), ctx.flag(C))
    if s:
        ctx.set_nz(r)
        if logical:
            b.put(C, shc)
        else:
            b.put(C, carry)
            b.put(V, ov)
    if not (0x8 <= opc <= 0xB):
        ctx.set_r(rd, r)


@family(A.ARM_INS_MOVW, A.ARM_INS_MOVT)
def movw_movt(ctx: Ctx) -> None:
    """A8.8.106 MOVW / A8.8.109 MOVT."""
    w, b = ctx.w, ctx.b
    imm16 = (bits(w, 19, 16) << 12) | bits(w, 11, 0)
    rd = bits(w, 15, 12)
    if bit(w, 22):
        ctx.set_r(rd, b.or_(b.and_(ctx.r(rd), const(0xFFFF)), const(imm16 << 16)))
    else:
        ctx.set_r(rd, const(imm16))


@family(A.ARM_INS_MUL, A.ARM_INS_MLA, A.ARM_INS_MLS)
def multiply(ctx: Ctx) -> None:
    """A8.8.114 MUL, A8.8.100 MLA, A8.8.101 MLS (S: N and Z; C and V unchanged)."""
    w, b = ctx.w, ctx.b
    rd, ra, rm, rn = bits(w, 19, 16), bits(w, 15, 12), bits(w, 11, 8), bits(w, 3, 0)
    p = b.mul(ctx.r(rn), ctx.r(rm))
    op = bits(w, 23, 21)
    if op == 1:
        p = b.add(p, ctx.r(ra))
    elif op == 3:
        p = b.sub(ctx.r(ra), p)
    if bit(w, 20) and op != 3:
        ctx.set_nz(p)
    ctx.set_r(rd, p)


@family(A.ARM_INS_UMULL, A.ARM_INS_UMLAL, A.ARM_INS_SMULL, A.ARM_INS_SMLAL, A.ARM_INS_UMAAL)
def multiply_long(ctx: Ctx) -> None:
    """A8.8.257 UMULL, A8.8.256 UMLAL, A8.8.189 SMULL, A8.8.178 SMLAL, A8.8.255 UMAAL."""
    w, b = ctx.w, ctx.b
    hi, lo, rm, rn = bits(w, 19, 16), bits(w, 15, 12), bits(w, 11, 8), bits(w, 3, 0)
    op = bits(w, 23, 21)
    if op == 2:  # UMAAL
        r = b.add(b.add(b.mul64(ctx.r(rn), ctx.r(rm), False), b.zext(ctx.r(hi), I64)),
                  b.zext(ctx.r(lo), I64))
    else:
        r = b.mul64(ctx.r(rn), ctx.r(rm), signed=bool(op & 2))
        if op & 1:
            r = b.add(r, b.pair64(ctx.r(hi), ctx.r(lo)))
    if bit(w, 20) and op != 2:
        b.put(N, b.trunc(b.lshr(r, const(63, I64)), I1))
        b.put(Z, b.icmp("eq", r, const(0, I64)))
    ctx.set_r(lo, b.lo32(r))
    ctx.set_r(hi, b.hi32(r))


def _half(ctx: Ctx, v: Value, top: int) -> Value:
    """Signed 16-bit half of v (top=1: bits 31:16) as i32."""
    b = ctx.b
    return b.ashr(v, const(16)) if top else b.sext(b.trunc(v, I16), I32)


def _set_q_if(ctx: Ctx, overflow: Value) -> None:
    b = ctx.b
    b.put(Q, b.bool_or(ctx.flag(Q), overflow))


@family(A.ARM_INS_SMULBB, A.ARM_INS_SMULBT, A.ARM_INS_SMULTB, A.ARM_INS_SMULTT,
        A.ARM_INS_SMLABB, A.ARM_INS_SMLABT, A.ARM_INS_SMLATB, A.ARM_INS_SMLATT,
        A.ARM_INS_SMULWB, A.ARM_INS_SMULWT, A.ARM_INS_SMLAWB, A.ARM_INS_SMLAWT,
        A.ARM_INS_SMLALBB, A.ARM_INS_SMLALBT, A.ARM_INS_SMLALTB, A.ARM_INS_SMLALTT)
def halfword_multiply(ctx: Ctx) -> None:
    """A8.8.176 SMLAxy, A8.8.182 SMLAWy, A8.8.177 SMLALxy, A8.8.190 SMULxy,
    A8.8.191 SMULWy."""
    w, b = ctx.w, ctx.b
    rd, ra, rm, rn = bits(w, 19, 16), bits(w, 15, 12), bits(w, 11, 8), bits(w, 3, 0)
    op, y, x = bits(w, 22, 21), bit(w, 6), bit(w, 5)
    if op == 1:  # SMLAWy / SMULWy: (Rn * Rm.half) >> 16
        prod = b.mul64(ctx.r(rn), _half(ctx, ctx.r(rm), y), signed=True)
        r = b.trunc(b.ashr(prod, const(16, I64)), I32)
        if not x:  # SMLAW
            acc = ctx.r(ra)
            s, _, ov = add_with_carry(b, r, acc, const(0, I1))
            _set_q_if(ctx, ov)
            r = s
        ctx.set_r(rd, r)
        return
    prod = b.mul(_half(ctx, ctx.r(rn), x), _half(ctx, ctx.r(rm), y))
    if op == 3:  # SMULxy
        ctx.set_r(rd, prod)
    elif op == 0:  # SMLAxy
        s, _, ov = add_with_carry(b, prod, ctx.r(ra), const(0, I1))
        _set_q_if(ctx, ov)
        ctx.set_r(rd, s)
    else:  # SMLALxy: RdHi=rd, RdLo=ra
        r = b.add(b.sext(prod, I64), b.pair64(ctx.r(rd), ctx.r(ra)))
        ctx.set_r(ra, b.lo32(r))
        ctx.set_r(rd, b.hi32(r))


@family(A.ARM_INS_SMMUL, A.ARM_INS_SMMULR, A.ARM_INS_SMMLA, A.ARM_INS_SMMLAR,
        A.ARM_INS_SMMLS, A.ARM_INS_SMMLSR)
def most_significant_multiply(ctx: Ctx) -> None:
    """A8.8.184-A8.8.186 SMMLA, SMMLS, SMMUL (R: rounded)."""
    w, b = ctx.w, ctx.b
    rd, ra, rm, rn = bits(w, 19, 16), bits(w, 15, 12), bits(w, 11, 8), bits(w, 3, 0)
    prod = b.mul64(ctx.r(rn), ctx.r(rm), signed=True)
    sub = bit(w, 6)
    if ra != 15:
        acc = b.shl(b.zext(ctx.r(ra), I64), const(32, I64))
        prod = b.sub(acc, prod) if sub else b.add(acc, prod)
    if bit(w, 5):
        prod = b.add(prod, const(0x80000000, I64))
    ctx.set_r(rd, b.hi32(prod))


@family(A.ARM_INS_SDIV, A.ARM_INS_UDIV)
def divide(ctx: Ctx) -> None:
    """A8.8.165 SDIV, A8.8.248 UDIV (divide by zero gives 0)."""
    w, b = ctx.w, ctx.b
    rd, rm, rn = bits(w, 19, 16), bits(w, 11, 8), bits(w, 3, 0)
    ctx.set_r(rd, b.binop("udiv" if bit(w, 21) else "sdiv", ctx.r(rn), ctx.r(rm)))


@family(A.ARM_INS_CLZ)
def count_leading_zeros(ctx: Ctx) -> None:
    """A8.8.33 CLZ."""
    ctx.set_r(bits(ctx.w, 15, 12), ctx.b.unop("clz", ctx.r(bits(ctx.w, 3, 0))))


@family(A.ARM_INS_REV, A.ARM_INS_REV16, A.ARM_INS_REVSH, A.ARM_INS_RBIT)
def reverse(ctx: Ctx) -> None:
    """A8.8.141 REV, A8.8.142 REV16, A8.8.143 REVSH, A8.8.134 RBIT."""
    w, b = ctx.w, ctx.b
    m = ctx.r(bits(w, 3, 0))
    kind = (bit(w, 22), bit(w, 7))
    if kind == (0, 0):
        r = b.unop("bswap", m)
    elif kind == (0, 1):
        r = b.or_(b.and_(b.shl(m, const(8)), const(0xFF00FF00)),
                  b.and_(b.lshr(m, const(8)), const(0x00FF00FF)))
    elif kind == (1, 1):
        r = b.sext(b.unop("bswap", b.trunc(m, I16)), I32)
    else:  # RBIT: swap bits pairwise, then bytes
        r = m
        for sh, mask in ((1, 0x55555555), (2, 0x33333333), (4, 0x0F0F0F0F)):
            r = b.or_(b.and_(b.lshr(r, const(sh)), const(mask)),
                      b.shl(b.and_(r, const(mask)), const(sh)))
        r = b.unop("bswap", r)
    ctx.set_r(bits(w, 15, 12), r)


@family(A.ARM_INS_SXTB, A.ARM_INS_SXTH, A.ARM_INS_UXTB, A.ARM_INS_UXTH, A.ARM_INS_SXTAB,
        A.ARM_INS_SXTAH, A.ARM_INS_UXTAB, A.ARM_INS_UXTAH)
def extend(ctx: Ctx) -> None:
    """A8.8.223-A8.8.274 SXT*/UXT* with optional add and rotation."""
    w, b = ctx.w, ctx.b
    op = bits(w, 22, 20)
    if op in (0, 4):
        raise _Unsupported  # the 16-bit-lane forms (SXTB16/UXTB16) are not implemented
    m = b.rotr(ctx.r(bits(w, 3, 0)), const(bits(w, 11, 10) * 8))
    narrow = I8 if op & 3 == 2 else I16
    ext = b.sext if op < 4 else b.zext
    r = ext(b.trunc(m, narrow), I32)
    rn = bits(w, 19, 16)
    if rn != 15:
        r = b.add(ctx.r(rn), r)
    ctx.set_r(bits(w, 15, 12), r)


@family(A.ARM_INS_UBFX, A.ARM_INS_SBFX)
def bitfield_extract(ctx: Ctx) -> None:
    """A8.8.246 UBFX, A8.8.164 SBFX."""
    w, b = ctx.w, ctx.b
    width, lsb = bits(w, 20, 16) + 1, bits(w, 11, 7)
    if lsb + width > 32:
        raise _Unsupported
    v = b.shl(ctx.r(bits(w, 3, 0)), const(32 - lsb - width))
    shr = b.lshr if bit(w, 22) else b.ashr
    ctx.set_r(bits(w, 15, 12), shr(v, const(32 - width)))


@family(A.ARM_INS_BFI, A.ARM_INS_BFC)
def bitfield_insert(ctx: Ctx) -> None:
    """A8.8.21 BFI, A8.8.20 BFC."""
    w, b = ctx.w, ctx.b
    msb, lsb, rd, rn = bits(w, 20, 16), bits(w, 11, 7), bits(w, 15, 12), bits(w, 3, 0)
    if msb < lsb:
        raise _Unsupported
    mask = ((1 << (msb - lsb + 1)) - 1) << lsb
    src = const(0) if rn == 15 else b.and_(b.shl(ctx.r(rn), const(lsb)), const(mask))
    ctx.set_r(rd, b.or_(b.and_(ctx.r(rd), const(~mask & M32)), src))


def _signed_sat(b: IRBuilder, v64: Value, n: int) -> tuple[Value, Value]:
    """SignedSatQ: saturate a signed i64 to n bits; returns (i32 result, saturated)."""
    hi, lo = (1 << (n - 1)) - 1, -(1 << (n - 1))
    too_big = b.icmp("sgt", v64, const(hi, I64))
    too_small = b.icmp("slt", v64, const(lo, I64))
    r = b.select(too_big, const(hi, I64), b.select(too_small, const(lo, I64), v64))
    return b.trunc(r, I32), b.bool_or(too_big, too_small)


def _unsigned_sat(b: IRBuilder, v64: Value, n: int) -> tuple[Value, Value]:
    hi = (1 << n) - 1
    too_big = b.icmp("sgt", v64, const(hi, I64))
    too_small = b.icmp("slt", v64, const(0, I64))
    r = b.select(too_big, const(hi, I64), b.select(too_small, const(0, I64), v64))
    return b.trunc(r, I32), b.bool_or(too_big, too_small)


@family(A.ARM_INS_SSAT, A.ARM_INS_USAT)
def saturate(ctx: Ctx) -> None:
    """A8.8.193 SSAT, A8.8.252 USAT (Q set when saturating)."""
    w, b = ctx.w, ctx.b
    sat = bits(w, 20, 16)
    v, _ = shift_imm(ctx, ctx.r(bits(w, 3, 0)), bit(w, 6) * 2, bits(w, 11, 7), False)
    v64 = b.sext(v, I64)
    if bit(w, 22):
        r, q = _unsigned_sat(b, v64, sat)
    else:
        r, q = _signed_sat(b, v64, sat + 1)
    _set_q_if(ctx, q)
    ctx.set_r(bits(w, 15, 12), r)


@family(A.ARM_INS_QADD, A.ARM_INS_QSUB, A.ARM_INS_QDADD, A.ARM_INS_QDSUB)
def saturating_add_sub(ctx: Ctx) -> None:
    """A8.8.118 QADD, A8.8.125 QSUB, A8.8.120 QDADD, A8.8.121 QDSUB."""
    w, b = ctx.w, ctx.b
    op = bits(w, 22, 21)
    m = b.sext(ctx.r(bits(w, 3, 0)), I64)
    n = b.sext(ctx.r(bits(w, 19, 16)), I64)
    q: Value = const(0, I1)
    if op & 2:  # doubling
        n32, q = _signed_sat(b, b.add(n, n), 32)
        n = b.sext(n32, I64)
    r, q2 = _signed_sat(b, b.sub(m, n) if op & 1 else b.add(m, n), 32)
    _set_q_if(ctx, b.bool_or(q, q2))
    ctx.set_r(bits(w, 15, 12), r)


# -- loads and stores ---------------------------------------------------------------------
# The load/store fields are shifted out inline: these run for a third of all instructions.
def _address(ctx: Ctx, offset: Value) -> tuple[Value, Value]:
    """(access address, written-back base) for P/U/W addressing (A5.2.6)."""
    w, b = ctx.w, ctx.b
    base = ctx.r((w >> 16) & 0xF)                                          # Rn
    off_addr = b.add(base, offset) if (w >> 23) & 1 else b.sub(base, offset)  # U
    addr = off_addr if (w >> 24) & 1 else base                               # P
    return addr, off_addr


def _writeback(ctx: Ctx) -> bool:
    """P == 0 (post-indexed) or W == 1."""
    return not (ctx.w >> 24) & 1 or bool((ctx.w >> 21) & 1)


@family(A.ARM_INS_LDR, A.ARM_INS_LDRB, A.ARM_INS_STR, A.ARM_INS_STRB, A.ARM_INS_PUSH,
        A.ARM_INS_POP)
def load_store_word_byte(ctx: Ctx) -> None:
    """A8.8.62-A8.8.70 LDR/LDRB, A8.8.203-A8.8.207 STR/STRB (imm and register offset)."""
    w, b = ctx.w, ctx.b
    # cond:4 01 I P U B W L Rn:4 Rt:4 offset:12
    if (w >> 26) & 3 != 1:
        if (w >> 25) & 7 == 4:  # PUSH/POP with several registers are STM/LDM
            return block_transfer(ctx)
        raise _Unsupported
    if not (w >> 24) & 1 and (w >> 21) & 1:
        raise _Unsupported  # LDRT/STRT family
    if (w >> 25) & 1:
        off, _ = shift_imm(ctx, ctx.r(w & 0xF), (w >> 5) & 3, (w >> 7) & 0x1F, False)
    else:
        off = const(w & 0xFFF)
    addr, wb = _address(ctx, off)
    rt, rn = (w >> 12) & 0xF, (w >> 16) & 0xF
    byte, load = (w >> 22) & 1, (w >> 20) & 1
    if load:
        v = b.load(addr, I8 if byte else I32, "le")
        if byte:
            v = b.zext(v, I32)
        if _writeback(ctx):
            ctx.set_r(rn, wb)
        ctx.set_r(rt, v)
    else:
        v = ctx.r(rt)
        b.store(addr, b.trunc(v, I8) if byte else v, "le")
        if _writeback(ctx):
            ctx.set_r(rn, wb)


@family(A.ARM_INS_LDRH, A.ARM_INS_LDRSH, A.ARM_INS_LDRSB, A.ARM_INS_STRH, A.ARM_INS_LDRD,
        A.ARM_INS_STRD)
def load_store_extra(ctx: Ctx) -> None:
    """A8.8.80-A8.8.89 LDRH/LDRSH/LDRSB/LDRD, A8.8.208-A8.8.211 STRH/STRD."""
    w, b = ctx.w, ctx.b
    if not bit(w, 24) and bit(w, 21):
        raise _Unsupported  # LDRHT etc.
    if bit(w, 22):
        off = const((bits(w, 11, 8) << 4) | bits(w, 3, 0))
    else:
        off = ctx.r(bits(w, 3, 0))
    addr, wb = _address(ctx, off)
    rt, rn = bits(w, 15, 12), bits(w, 19, 16)
    load, sh = bit(w, 20), bits(w, 6, 5)
    if not load and sh in (2, 3):  # LDRD (sh=2) / STRD (sh=3) live in the store space
        if rt & 1 or rt == 14:
            raise _Unsupported
        if sh == 2:
            lo = b.load(addr, I32, "le")
            hi = b.load(b.add(addr, const(4)), I32, "le")
            if _writeback(ctx):
                ctx.set_r(rn, wb)
            ctx.set_r(rt, lo)
            ctx.set_r(rt + 1, hi)
        else:
            b.store(addr, ctx.r(rt), "le")
            b.store(b.add(addr, const(4)), ctx.r(rt + 1), "le")
            if _writeback(ctx):
                ctx.set_r(rn, wb)
        return
    if load:
        if sh == 1:
            v = b.zext(b.load(addr, I16, "le"), I32)
        elif sh == 2:
            v = b.sext(b.load(addr, I8, "le"), I32)
        else:
            v = b.sext(b.load(addr, I16, "le"), I32)
        if _writeback(ctx):
            ctx.set_r(rn, wb)
        ctx.set_r(rt, v)
    else:
        b.store(addr, b.trunc(ctx.r(rt), I16), "le")
        if _writeback(ctx):
            ctx.set_r(rn, wb)


@family(A.ARM_INS_LDM, A.ARM_INS_LDMDA, A.ARM_INS_LDMDB, A.ARM_INS_LDMIB, A.ARM_INS_STM,
        A.ARM_INS_STMDA, A.ARM_INS_STMDB, A.ARM_INS_STMIB)
def block_transfer(ctx: Ctx) -> None:
    """A8.8.58-A8.8.61 LDM*, A8.8.199-A8.8.202 STM* (PUSH/POP are aliases)."""
    w, b = ctx.w, ctx.b
    if bits(w, 27, 25) != 4 or bit(w, 22):
        if bits(w, 27, 26) == 1:  # single-register PUSH/POP are STR/LDR
            return load_store_word_byte(ctx)
        raise _Unsupported  # user-bank / exception-return forms
    regs = [i for i in range(16) if w >> i & 1]  # the register list, bits 15:0
    if not regs:
        raise _Unsupported
    rn, load, up, before = bits(w, 19, 16), bit(w, 20), bit(w, 23), bit(w, 24)
    base = ctx.r(rn)
    n = 4 * len(regs)
    if up:
        start = b.add(base, const(4)) if before else base
        new_base = b.add(base, const(n))
    else:
        start = b.sub(base, const(n - 4 if not before else n))
        new_base = b.sub(base, const(n))
    addrs = [b.add(start, const(4 * i)) for i in range(len(regs))]
    if load:
        vals = [b.load(a, I32, "le") for a in addrs]
        if bit(w, 21) and rn not in regs:
            ctx.set_r(rn, new_base)
        for r, v in zip(regs, vals):
            if r != 15:
                ctx.set_r(r, v)
        if 15 in regs:
            ctx.set_r(15, vals[-1])
    else:
        for r, a in zip(regs, addrs):
            b.store(a, ctx.r(r), "le")
        if bit(w, 21):
            ctx.set_r(rn, new_base)


@family(A.ARM_INS_LDREX, A.ARM_INS_LDREXB, A.ARM_INS_LDREXH, A.ARM_INS_LDREXD,
        A.ARM_INS_STREX, A.ARM_INS_STREXB, A.ARM_INS_STREXH, A.ARM_INS_STREXD)
def exclusive(ctx: Ctx) -> None:
    """A8.8.75-A8.8.78 LDREX*, A8.8.212-A8.8.215 STREX* (single-threaded monitor)."""
    w, b = ctx.w, ctx.b
    size = bits(w, 22, 21)  # 0 word, 1 doubleword, 2 byte, 3 halfword
    ty = {0: I32, 1: I32, 2: I8, 3: I16}[size]
    rn = bits(w, 19, 16)
    addr = ctx.r(rn)
    ea, ev = SLOT["excl_addr"], SLOT["excl_valid"]
    if bit(w, 20):
        rt = bits(w, 15, 12)
        v = b.zext(b.load(addr, ty, "le"), I32)
        if size == 1:
            hi = b.load(b.add(addr, const(4)), I32, "le")
            ctx.set_r(rt + 1, hi)
        ctx.set_r(rt, v)
        b.put(ea, addr)
        b.put(ev, const(1, I1))
        return
    rd, rt = bits(w, 15, 12), bits(w, 3, 0)
    ok = b.bool_and(b.get(ev, I1), b.icmp("eq", b.get(ea, I32), addr))
    val = ctx.r(rt)
    hi = ctx.r(rt + 1) if size == 1 else None
    with b.if_(ok):
        b.store(addr, b.trunc(val, ty), "le")
        if hi is not None:
            b.store(b.add(addr, const(4)), hi, "le")
    b.put(ev, const(0, I1))
    ctx.set_r(rd, b.zext(b.bool_not(ok), I32))


@family(A.ARM_INS_CLREX)
def clear_exclusive(ctx: Ctx) -> None:
    """A8.8.32 CLREX."""
    ctx.b.put(SLOT["excl_valid"], const(0, I1))


@family(A.ARM_INS_SWP, A.ARM_INS_SWPB)
def swap(ctx: Ctx) -> None:
    """A8.8.229 SWP/SWPB (deprecated, still in ARMv5 code)."""
    w, b = ctx.w, ctx.b
    ty = I8 if bit(w, 22) else I32
    addr = ctx.r(bits(w, 19, 16))
    old = b.load(addr, ty, "le")
    b.store(addr, b.trunc(ctx.r(bits(w, 3, 0)), ty), "le")
    ctx.set_r(bits(w, 15, 12), b.zext(old, I32))


# -- branches and system ------------------------------------------------------------------
@family(A.ARM_INS_B, A.ARM_INS_BL)
def branch_imm(ctx: Ctx) -> None:
    """A8.8.18 B, A8.8.25 BL."""
    w = ctx.w
    off = bits(w, 23, 0)
    off = (off - (1 << 24) if off >> 23 else off) << 2
    if bit(w, 24):
        ctx.b.put(14, const(ctx.pc + 4))
    ctx.branch(const(ctx.pc + 8 + off))


@family(A.ARM_INS_BLX, A.ARM_INS_BX)
def branch_exchange(ctx: Ctx) -> None:
    """A8.8.26 BLX (immediate and register), A8.8.27 BX."""
    w, b = ctx.w, ctx.b
    if bits(w, 31, 28) == 0xF:  # BLX imm: always to Thumb
        off = bits(w, 23, 0)
        off = (off - (1 << 24) if off >> 23 else off) << 2 | (bit(w, 24) << 1)
        b.put(14, const(ctx.pc + 4))
        ctx.branch(const((ctx.pc + 8 + off) | 1))
        return
    target = ctx.r(bits(w, 3, 0))
    if bit(w, 5):
        b.put(14, const(ctx.pc + 4))
    ctx.branch(target)


@family(A.ARM_INS_SVC)
def supervisor_call(ctx: Ctx) -> None:
    """A8.8.228 SVC: the Linux EABI syscall (number in r7)."""
    ctx.b.exit(ExitKind.SYSCALL, ctx.pc + 4)
    ctx.ends_block = True


@family(A.ARM_INS_BKPT, A.ARM_INS_UDF, A.ARM_INS_TRAP)
def breakpoint_or_undefined(ctx: Ctx) -> None:
    """A8.8.24 BKPT (SIGTRAP), A8.8.247 UDF (SIGILL)."""
    ctx.b.exit(ExitKind.TRAP, ctx.pc, SIGTRAP if ctx.insn_id == A.ARM_INS_BKPT else SIGILL)
    ctx.ends_block = True


@family(A.ARM_INS_MRC)
def coprocessor_read(ctx: Ctx) -> None:
    """A8.8.108 MRC: only the user-readable thread ID register (TPIDRURO, c13/c0/3)."""
    w = ctx.w
    cp, opc1, crn, crm, opc2 = (bits(w, 11, 8), bits(w, 23, 21), bits(w, 19, 16),
                               bits(w, 3, 0), bits(w, 7, 5))
    if (cp, opc1, crn, crm, opc2) != (15, 0, 13, 0, 3) or bits(w, 15, 12) == 15:
        raise _Unsupported
    ctx.set_r(bits(w, 15, 12), ctx.b.get(SLOT["tpidruro"], I32))


def apsr_value(b: IRBuilder) -> Value:
    v: Value = const(0x10)  # user mode bits, as the CPSR reads in user mode
    for slot, sh in ((N, 31), (Z, 30), (C, 29), (V, 28), (Q, 27)):
        v = b.or_(v, b.shl(b.zext(b.get(slot, I1), I32), const(sh)))
    return v


@family(A.ARM_INS_MRS)
def move_from_status(ctx: Ctx) -> None:
    """A8.8.109 MRS (APSR)."""
    if bit(ctx.w, 22):
        raise _Unsupported  # SPSR
    ctx.set_r(bits(ctx.w, 15, 12), apsr_value(ctx.b))


@family(A.ARM_INS_MSR)
def move_to_status(ctx: Ctx) -> None:
    """A8.8.112/A8.8.113 MSR APSR_nzcvq (immediate or register); GE bits ignored."""
    w, b = ctx.w, ctx.b
    if bit(w, 22):
        raise _Unsupported
    if bit(w, 25):
        rot, imm = bits(w, 11, 8) * 2, bits(w, 7, 0)
        v: Value = const(((imm >> rot) | (imm << (32 - rot))) & M32 if rot else imm)
    else:
        v = ctx.r(bits(w, 3, 0))
    if bit(w, 19):  # the flags byte
        for slot, sh in ((N, 31), (Z, 30), (C, 29), (V, 28), (Q, 27)):
            b.put(slot, b.trunc(b.lshr(v, const(sh)), I1))


@family(A.ARM_INS_DMB, A.ARM_INS_DSB, A.ARM_INS_ISB, A.ARM_INS_PLD, A.ARM_INS_PLI,
        A.ARM_INS_PLDW, A.ARM_INS_YIELD, A.ARM_INS_HINT, A.ARM_INS_WFE, A.ARM_INS_WFI,
        A.ARM_INS_SEV)
def no_effect(ctx: Ctx) -> None:
    """Barriers, preload hints and hints: no effect on a single-threaded guest."""


class _Unsupported(Exception):
    """Raised by a family for an encoding it does not implement."""


# Families valid also with cond=1111 (unconditional space).
UNCONDITIONAL_OK = {A.ARM_INS_BLX, A.ARM_INS_DMB, A.ARM_INS_DSB, A.ARM_INS_ISB,
                    A.ARM_INS_PLD, A.ARM_INS_PLI, A.ARM_INS_PLDW, A.ARM_INS_CLREX}


def lift_block(arch, mem: GuestMemory, key: int, limit: int = MAX_INSNS,
               stops: frozenset[int] | set[int] = frozenset()) -> Block:
    """Lift the block at `key`: at most `limit` instructions, ending before any address
    in `stops` (other than the first), at a page end, or after a branch."""
    pc0 = key & ~1
    b = IRBuilder(pc0, 0)
    page_end = (pc0 | (PAGE_SIZE - 1)) + 1
    n = min(limit, (page_end - pc0) // 4)
    if stops:
        n = min([n] + [(s - pc0) // 4 for s in stops if pc0 < s < pc0 + 4 * n])
    if not mem.perm[pc0 >> 12] & PROT_EXEC:
        raise GuestFault(pc0, False, pc0)
    code = mem.peek(pc0, 4 * n)
    ids = arch.insn_ids
    pc = pc0
    while pc < pc0 + 4 * n:
        raw = code[pc - pc0:pc - pc0 + 4]
        word = int.from_bytes(raw, "little")
        insn_id = ids.get(word)
        if insn_id is None:
            # An A32 word decodes the same wherever it is: capstone sees each word once.
            insn = next(arch.cs.disasm(raw, pc, 1), None)
            insn_id = ids[word] = insn.id if insn is not None else A.ARM_INS_INVALID
        fam = FAMILIES.get(insn_id)
        if fam is None:
            _unsupported(b, arch, pc, raw)
            break
        b.cur_pc = pc
        ctx = Ctx(b, word, pc, insn_id)
        cond = word >> 28
        mark = len(b._stack[0])
        try:
            if cond == 0xF and insn_id not in UNCONDITIONAL_OK:
                raise _Unsupported
            if cond >= 0xE:
                fam(ctx)
            else:
                with b.if_(cond_value(b, cond)):
                    fam(ctx)
        except _Unsupported:
            del b._stack[0][mark:]
            b.forget()
            _unsupported(b, arch, pc, raw)
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


def _unsupported(b: IRBuilder, arch, pc: int, raw: bytes) -> None:
    """End the block before an instruction we cannot lift: at the block start report it
    (the engine delivers SIGILL); later in a block just stop and let it start a block."""
    if b.insns:
        b.goto(pc)
        return
    insn = next(arch.cs.disasm(raw, pc, 1), None)
    text = f"{insn.mnemonic} {insn.op_str}".strip() if insn is not None else "(undefined)"
    raise UnsupportedInstruction(pc, raw, text)
