"""PowerPC floating-point semantics the lifted code does not inline: IR helpers (exact,
in rational arithmetic) for the rare cases -- a NaN result (PowerPC's NaN propagation
order and its positive default NaN differ from the host's), a directed rounding mode
(FPSCR[RN] != 0: the inline code rounds to nearest), and the time base.

Values cross as IEEE bit patterns (i64 for doubles) so no NaN payload is lost on the way.
Power ISA v2.07 Book I, Floating-Point Facility: "Rounding", "Floating-Point Exceptions"
(the NaN rules) and the individual arithmetic instructions."""

from __future__ import annotations

import math
import time
from fractions import Fraction

from dbt.ir import I32, I64, register_helper

# Operation codes of the ppc_fp helper (the A-form extended opcodes; FRSP its own).
FDIV, FSUB, FADD, FSQRT, FRE, FMUL, FRSQRTE = 18, 20, 21, 22, 24, 25, 26
FMSUB, FMADD, FNMSUB, FNMADD = 28, 29, 30, 31
FRSP = 12
SINGLE = 0x100            # or-ed in: round the result to single precision

RN_NEAREST, RN_ZERO, RN_UP, RN_DOWN = 0, 1, 2, 3
DEFAULT_NAN = 0x7FF8000000000000
QUIET = 1 << 51
M64 = (1 << 64) - 1
# (mantissa bits incl. the hidden one, minimum normal exponent, maximum exponent, bias)
DOUBLE = (53, -1022, 1023)
SINGLE_FMT = (24, -126, 127)


def is_nan(x: int) -> bool:
    return (x >> 52) & 0x7FF == 0x7FF and x & ((1 << 52) - 1) != 0


def _value(x: int) -> Fraction | float:
    """A non-NaN double's value: a Fraction, or +-inf as a float."""
    sign = -1 if x >> 63 else 1
    e = (x >> 52) & 0x7FF
    m = x & ((1 << 52) - 1)
    if e == 0x7FF:
        return sign * math.inf
    if e == 0:
        return sign * Fraction(m, 1 << 1074)
    return sign * Fraction(m | (1 << 52)) * Fraction(2) ** (e - 1075)


def round_bits(q: Fraction, mode: int, fmt: tuple[int, int, int]) -> int:
    """Round a non-zero rational to the format (DOUBLE or SINGLE_FMT) under an FPSCR
    rounding mode; returns the result as double bits (singles are exactly widened)."""
    prec, emin, emax = fmt
    neg = q < 0
    q = -q if neg else q
    n, d = q.numerator, q.denominator
    e = n.bit_length() - d.bit_length()
    if (n << max(0, -e)) < (d << max(0, e)):
        e -= 1
    e = max(e, emin)          # below the normal range: a fixed (subnormal) quantum
    scaled = q * Fraction(2) ** (prec - 1 - e)
    mi = scaled.numerator // scaled.denominator
    rem = scaled - mi
    if rem:
        if mode == RN_NEAREST:
            up = rem > Fraction(1, 2) or (rem == Fraction(1, 2) and mi & 1)
        else:
            up = (mode == RN_UP and not neg) or (mode == RN_DOWN and neg)
        mi += up
    if mi >> prec:
        mi >>= 1
        e += 1
    if e > emax:
        to_inf = mode == RN_NEAREST or (mode == RN_UP and not neg) or (mode == RN_DOWN and neg)
        if to_inf:
            return (neg << 63) | (0x7FF << 52)
        mi, e = (1 << prec) - 1, emax
    value = Fraction(mi) * Fraction(2) ** (e - prec + 1)
    return (neg << 63) | _double_bits_of(value)


def _double_bits_of(v: Fraction) -> int:
    """Bits of a positive rational that is exactly a double."""
    if v == 0:
        return 0
    n, d = v.numerator, v.denominator
    e = n.bit_length() - d.bit_length()
    if (n << max(0, -e)) < (d << max(0, e)):
        e -= 1
    if e < -1022:
        return int(v * (1 << 1074))
    m = int(v * Fraction(2) ** (52 - e))
    return ((e + 1023) << 52) | (m & ((1 << 52) - 1))


def _inf(neg: bool) -> int:
    return (int(neg) << 63) | (0x7FF << 52)


def _to_single_nan(x: int) -> int:
    """A quiet NaN rounded to single precision and widened back: the payload's top bits."""
    return x & ~((1 << 29) - 1)


def _sqrt(q: Fraction, mode: int, fmt: tuple[int, int, int]) -> int:
    """Correctly rounded square root of a positive rational."""
    n, d = q.numerator, q.denominator
    e = n.bit_length() - d.bit_length()
    k = fmt[0] + 4 - e // 2           # enough extra bits that a sticky half is exact
    num = n << (2 * k) if k >= 0 else n
    den = d if k >= 0 else d << (-2 * k)
    x, exact = divmod(num, den)
    r = math.isqrt(x)
    val = Fraction(r) if exact == 0 and r * r == x else Fraction(2 * r + 1, 2)
    return round_bits(val / Fraction(2) ** k, mode, fmt)


def _sum_zero_sign(x_neg: bool, y_neg: bool, mode: int) -> int:
    """The sign of an exact-zero sum x + y: x's when both are zeros of one sign, else
    +0 (-0 when rounding toward -infinity)."""
    if x_neg == y_neg:
        return int(x_neg) << 63
    return (mode == RN_DOWN) << 63


def _arith(op: int, a: int, b: int, c: int, mode: int, fmt: tuple[int, int, int]) -> int:
    """An arithmetic instruction on non-NaN operands (bits); returns the result bits
    before any fnm* negation."""
    va, vb, vc = _value(a), _value(b), _value(c)
    if op in (FADD, FSUB):
        if op == FSUB:
            vb, b = -vb, b ^ (1 << 63)
        if isinstance(va, float) or isinstance(vb, float):
            if isinstance(va, float) and isinstance(vb, float) and va != vb:
                return DEFAULT_NAN                       # inf - inf
            return _inf((va if isinstance(va, float) else vb) < 0)
        s = va + vb
        if s == 0:
            return _sum_zero_sign(bool(a >> 63), bool(b >> 63), mode)
        return round_bits(s, mode, fmt)
    if op == FMUL:
        neg = bool((a ^ c) >> 63)
        if isinstance(va, float) or isinstance(vc, float):
            if va == 0 or vc == 0:
                return DEFAULT_NAN                       # 0 * inf
            return _inf(neg)
        p = va * vc
        return round_bits(p, mode, fmt) if p else int(neg) << 63
    if op == FDIV:
        neg = bool((a ^ b) >> 63)
        if isinstance(va, float):
            return DEFAULT_NAN if isinstance(vb, float) else _inf(neg)
        if isinstance(vb, float):
            return int(neg) << 63
        if vb == 0:
            return DEFAULT_NAN if va == 0 else _inf(neg)
        return round_bits(va / vb, mode, fmt) if va else int(neg) << 63
    if op == FSQRT:
        if vb == 0:
            return b                                     # sqrt(-0) = -0
        if vb < 0:
            return DEFAULT_NAN
        if isinstance(vb, float):
            return b
        return _sqrt(vb, mode, fmt)
    if op == FRE:
        return _arith(FDIV, 0x3FF0000000000000, b, 0, mode, fmt)
    if op == FRSQRTE:
        s = _arith(FSQRT, 0, b, 0, mode, DOUBLE)
        if is_nan(s):
            return s
        return _arith(FDIV, 0x3FF0000000000000, s, 0, mode, fmt)
    if op == FRSP:
        return b if vb == 0 or isinstance(vb, float) else round_bits(vb, mode, fmt)
    # Multiply-add: (A * C) + B, or - B for the msub forms.
    if op in (FMSUB, FNMSUB):
        vb, b = -vb, b ^ (1 << 63)
    pneg = bool((a ^ c) >> 63)
    if isinstance(va, float) or isinstance(vc, float):
        if va == 0 or vc == 0:
            return DEFAULT_NAN                           # 0 * inf
        if isinstance(vb, float) and (vb < 0) != pneg:
            return DEFAULT_NAN                           # inf - inf
        return _inf(pneg)
    if isinstance(vb, float):
        return b
    p = va * vc
    s = p + vb
    if s == 0:
        if p == 0:
            return _sum_zero_sign(pneg, bool(b >> 63), mode)
        return (mode == RN_DOWN) << 63
    return round_bits(s, mode, fmt)


@register_helper("ppc_fp", (I32, I64, I64, I64, I32), I64)
def ppc_fp(op: int, a: int, b: int, c: int, fpscr: int) -> int:
    """The exact result of FP arithmetic instruction `op` (| SINGLE) on frA, frB, frC
    (bits) under FPSCR's rounding mode."""
    fmt = SINGLE_FMT if op & SINGLE else DOUBLE
    op &= 0xFF
    # The operands in NaN priority order (the first NaN wins, quieted).
    if op in (FADD, FSUB, FDIV):
        order = (a, b)
    elif op == FMUL:
        order = (a, c)
    elif op in (FSQRT, FRE, FRSQRTE, FRSP):
        order = (b,)
    else:
        order = (a, b, c)
    for x in order:
        if is_nan(x):
            r = x | QUIET
            return _to_single_nan(r) if fmt is SINGLE_FMT else r
    r = _arith(op, a, b, c, fpscr & 3, fmt)
    if op in (FNMADD, FNMSUB) and not is_nan(r):
        r ^= 1 << 63
    return r


@register_helper("ppc_fctiw", (I64, I32), I64)
def ppc_fctiw(x: int, fpscr: int) -> int:
    """fctiw: round to a 32-bit integer under FPSCR[RN], saturating; NaN gives
    0x80000000.  The high word is the sign extension (as qemu-ppc leaves it)."""
    if is_nan(x):
        return 0x80000000
    v = _value(x)
    if isinstance(v, float):
        i = 0x7FFFFFFF if v > 0 else -0x80000000
    else:
        mode = fpscr & 3
        fl = math.floor(v)
        if mode == RN_NEAREST:
            diff = v - fl
            i = fl + (diff > Fraction(1, 2) or (diff == Fraction(1, 2) and fl & 1))
        elif mode == RN_ZERO:
            i = math.trunc(v)
        elif mode == RN_UP:
            i = math.ceil(v)
        else:
            i = fl
        i = max(-0x80000000, min(0x7FFFFFFF, i))
    return i & M64


@register_helper("ppc_timebase", (), I64)
def ppc_timebase() -> int:
    """The time base: a 64-bit counter, here in nanoseconds of the host's monotonic clock."""
    return time.monotonic_ns() & M64
