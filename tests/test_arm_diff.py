"""Differential tests of the ARM (A32) lifter: every instruction family, run from the
same random starting states in unicorn (the oracle) and in each dbt tier.

Each case is a list of snippets; `armdiff.check` runs each snippet from a few seeded
random states (with edge values forced where the family needs them) and compares
r0-r14, NZCVQ, the data region and the stop pc.  Conditions rotate through all 15
codes, so every family runs taken and not-taken."""

from __future__ import annotations

import itertools
import random

import pytest
from armdiff import (
    CODE,
    CONDS,
    DATA,
    UNKNOWN_SYSCALL,
    Case,
    Snippet,
    check,
    rol,
    seed_of,
    shift_amount,
)
from diffcommon import EDGES

from dbt.engine import available_tiers

TIERS = available_tiers()
LOW = [f"r{i}" for i in range(13)]
ANY = LOW + ["lr"]

_cond_cycle = itertools.cycle(CONDS)


def cond() -> str:
    """The next condition code: round-robin, so every family sees every code."""
    return next(_cond_cycle)


def regs(rng: random.Random, n: int, pool: list[str] = LOW) -> list[str]:
    return rng.sample(pool, n)


def halves(rng: random.Random) -> int:
    """A value whose 16-bit halves are interesting for the halfword multiplies."""
    h = (0, 1, 0x7FFF, 0x8000, 0xFFFF, 0x8001, rng.getrandbits(16))
    return (rng.choice(h) << 16) | rng.choice(h)


def cases(fn):
    """Collect a generator of cases into a list for pytest parametrization."""
    return list(fn())


# -- data processing --------------------------------------------------------------------
DP_OPS = ("and", "eor", "sub", "rsb", "add", "adc", "sbc", "rsc", "tst", "teq", "cmp",
          "cmn", "orr", "mov", "bic", "mvn")
COMPARES = ("tst", "teq", "cmp", "cmn")
MOVES = ("mov", "mvn")
# Immediates: plain, rotated, wrapping the rotation, and explicit "#imm8, rot" encodings
# (a non-zero rotation sets C from bit 31 even when the value is small or zero).
DP_IMMS = ("#0", "#1", "#0xff", "#0x3fc", "#0xff000000", "#0x80000000", "#0xf000000f",
           "#0xab0000", "#0, 2", "#1, 2", "#2, 2", "#255, 8", "#0x7f, 30")
DP_IMM_SHIFTS = ("lsl #0", "lsl #1", "lsl #31", "lsl #7", "lsr #1", "lsr #31", "lsr #32",
                 "asr #1", "asr #31", "asr #32", "ror #1", "ror #16", "ror #31", "rrx")
DP_REG_SHIFTS = ("lsl", "lsr", "asr", "ror")


def dp_insn(op: str, s: str, cc: str, rd: str, rn: str, op2: str) -> str:
    if op in COMPARES:
        return f"{op}{cc} {rn}, {op2}"
    if op in MOVES:
        return f"{op}{s}{cc} {rd}, {op2}"
    return f"{op}{s}{cc} {rd}, {rn}, {op2}"


@cases
def DP_CASES():
    for op in DP_OPS:
        for s in ("s",) if op in COMPARES else ("", "s"):
            name = f"dp-{op}{s}"
            rng = random.Random(seed_of(name))

            def three(rng: random.Random = rng) -> list[str]:
                # Sometimes alias the destination with a source: the lifter must read
                # every operand before it writes.
                rd, rn, rm = regs(rng, 3)
                if rng.random() < 0.25:
                    rd = rng.choice((rn, rm))
                return [rd, rn, rm]

            imm = []
            for op2 in DP_IMMS:
                rd, rn, _ = three()
                imm.append(Snippet(dp_insn(op, s, cond(), rd, rn, op2), nstates=3))
            yield Case(f"{name}-imm", imm)
            shifted = []
            for sh in DP_IMM_SHIFTS:
                rd, rn, rm = three()
                shifted.append(Snippet(dp_insn(op, s, cond(), rd, rn, f"{rm}, {sh}"),
                                       nstates=3))
            yield Case(f"{name}-shift-imm", shifted)
            for sh in DP_REG_SHIFTS:
                rd, rn, rm, rs = regs(rng, 4)
                yield Case(f"{name}-{sh}-reg", [Snippet(
                    dp_insn(op, s, cond(), rd, rn, f"{rm}, {sh} {rs}"),
                    fix={rs: shift_amount}, nstates=8)])


@cases
def DP_SPECIAL_CASES():
    yield Case("dp-shift-aliases", [
        Snippet(f"{op}{s}{cond()} r0, r1, {amt}", fix={"r2": shift_amount}, nstates=4)
        for op in ("lsl", "lsr", "asr", "ror") for s in ("", "s")
        for amt in ("r2", "#1", "#31")] + [
        Snippet(f"rrx{s}{cond()} r3, r4") for s in ("", "s")])
    # Register operands that are also the shift register or the destination.
    yield Case("dp-same-register", [
        Snippet("adds r0, r0, r0, lsl r0", fix={"r0": shift_amount}, nstates=6),
        Snippet("movs r1, r1, ror r1", fix={"r1": shift_amount}, nstates=6),
        Snippet("rsbs r2, r2, r2, asr #32"),
        Snippet("sbcs r3, r3, r3, rrx"),
    ])
    yield Case("dp-pc-operand", [
        Snippet("add r0, pc, #4\nmov r1, pc\nsub r2, pc, r3, lsl #2\nadr r4, there\n"
                "adds r5, pc, r6\nthere:"),
    ])
    # A computed jump: reading pc as +8 skips the nop straight into the table.
    yield Case("dp-add-pc-jumptable", [Snippet(
        "add pc, pc, r0, lsl #2\nnop\nb c0\nb c1\nb c2\n"
        "c0: add r1, r1, #1\nb end\nc1: add r1, r1, #2\nb end\nc2: add r1, r1, #3\nend:",
        overrides=[{"r0": 0}, {"r0": 1}, {"r0": 2}])])
    yield Case("movw-movt", [
        Snippet(f"movw{cond()} r{i}, #{v:#x}") for i, v in
        enumerate((0, 0xFFFF, 0x8000, 0x1234))] + [
        Snippet(f"movt{cond()} r{i}, #{v:#x}") for i, v in
        enumerate((0, 0xFFFF, 0x8001, 0xABCD), 4)] + [
        Snippet("movw r8, #0x5678\nmovt r8, #0x1234")])


# Every condition under all 16 NZCV combinations.
NZCV = [{"n": i >> 3 & 1, "z": i >> 2 & 1, "c": i >> 1 & 1, "v": i & 1} for i in range(16)]


@cases
def COND_CASES():
    for cc in CONDS[:-1]:
        yield Case(f"cond-{cc}", [
            Snippet(f"mov{cc} r0, #1\nadds{cc} r1, r2, r3", overrides=NZCV),
            Snippet(f"b{cc} skip\nmov r4, #7\nskip:", overrides=NZCV),
        ])


# -- multiplies, divides and the other data-processing families --------------------------
@cases
def MULTIPLY_CASES():
    rng = random.Random(seed_of("multiply"))
    for mn in ("mul", "muls", "mla", "mlas", "mls"):
        snips = []
        for _ in range(4):
            rd, rn, rm, ra = regs(rng, 4)
            if rng.random() < 0.3:
                rd = rn
            ops = f"{rd}, {rn}, {rm}" + (f", {ra}" if mn[:3] != "mul" else "")
            snips.append(Snippet(f"{mn[:3]}{mn[3:]}{cond()} {ops}", nstates=4))
        yield Case(f"mul-{mn}", snips)
    for mn in ("umull", "umulls", "umlal", "umlals", "smull", "smulls", "smlal", "smlals",
               "umaal"):
        snips = []
        for _ in range(4):
            lo, hi, rn, rm = regs(rng, 4)
            if rng.random() < 0.3:
                rn = rng.choice((lo, hi))
            base, s = (mn[:-1], "s") if mn.endswith("s") else (mn, "")
            snips.append(Snippet(f"{base}{s}{cond()} {lo}, {hi}, {rn}, {rm}", nstates=4))
        yield Case(f"mul-{mn}", snips)


@cases
def HALFWORD_MULTIPLY_CASES():
    rng = random.Random(seed_of("halfword"))
    hv = {"r1": halves, "r2": halves}
    for xy in ("bb", "bt", "tb", "tt"):
        yield Case(f"smul{xy}", [Snippet(f"smul{xy}{cond()} r0, r1, r2", fix=hv, nstates=6)])
        # Q is sticky; the first states force an overflow with Q clear.
        q_states = [{"r1": 0x80008000, "r2": 0x80008000, "r3": 0x40000000, "q": 0},
                    {"r1": 0x7FFF7FFF, "r2": 0x80008000, "r3": 0x80000000, "q": 0},
                    {"q": 0}, {"q": 1}, {}, {}, {}, {}]
        yield Case(f"smla{xy}", [Snippet(f"smla{xy}{cond()} r0, r1, r2, r3",
                                         fix={**hv, "r3": EDGES}, overrides=q_states)])
        lo, hi = regs(rng, 2, ["r0", "r3", "r4", "r5"])
        yield Case(f"smlal{xy}", [Snippet(f"smlal{xy}{cond()} {lo}, {hi}, r1, r2", fix=hv,
                                          nstates=6)])
    for y in "bt":
        yield Case(f"smulw{y}", [Snippet(f"smulw{y}{cond()} r0, r1, r2", fix={"r2": halves},
                                         nstates=6)])
        q_states = [{"r1": 0x7FFFFFFF, "r2": 0x7FFF7FFF, "r3": 0x7FFFFFFF, "q": 0},
                    {"r1": 0x80000000, "r2": 0x7FFF7FFF, "r3": 0x80000000, "q": 0},
                    {"q": 0}, {"q": 1}, {}, {}, {}, {}]
        yield Case(f"smlaw{y}", [Snippet(f"smlaw{y}{cond()} r0, r1, r2, r3",
                                         fix={"r2": halves, "r3": EDGES}, overrides=q_states)])
    for mn in ("smmul", "smmulr"):
        yield Case(mn, [Snippet(f"{mn}{cond()} r0, r1, r2", nstates=6),
                        Snippet(f"{mn}{cond()} r3, r3, r3", nstates=3)])
    for mn in ("smmla", "smmlar", "smmls", "smmlsr"):
        yield Case(mn, [Snippet(f"{mn}{cond()} r0, r1, r2, r3", nstates=6),
                        Snippet(f"{mn}{cond()} r4, r5, r6, r4", nstates=3)])


def divide_word(cc: str, unsigned: bool, rd: int, rn: int, rm: int) -> str:
    """SDIV/UDIV by hand: keystone's ARM mode lacks the hardware-divide feature."""
    c = CONDS.index(cc) if cc else 14
    base = 0x0730F010 if unsigned else 0x0710F010
    return f".word {(c << 28) | base | rd << 16 | rm << 8 | rn:#010x}"


@cases
def DIVIDE_CASES():
    for mn in ("sdiv", "udiv"):
        states = [{"r2": 0}, {"r1": 0x80000000, "r2": 0xFFFFFFFF}, {"r2": 1}, {"r1": 0},
                  {"r1": 0x7FFFFFFF, "r2": 0xFFFFFFFF}, {"r1": 7, "r2": 0xFFFFFFFE},
                  {"r1": 0xFFFFFFF9, "r2": 2}, {}, {}, {}]
        yield Case(mn, [
            Snippet(divide_word(cond(), mn == "udiv", 0, 1, 2), overrides=states),
            Snippet(divide_word(cond(), mn == "udiv", 3, 3, 4), nstates=4),
            Snippet(divide_word("", mn == "udiv", 5, 6, 5), nstates=4)])


@cases
def MISC_CASES():
    bitvals = {"r1": (0, 1, 0x80000000, 0xFFFFFFFF, 0x00010000, 0x7FFFFFFF, 0x80)}
    yield Case("clz", [Snippet(f"clz{cond()} r0, r1", fix=bitvals, nstates=8),
                       Snippet("clz r2, r2", nstates=3)])
    for mn in ("rev", "rev16", "revsh", "rbit"):
        yield Case(mn, [Snippet(f"{mn}{cond()} r0, r1", fix=bitvals, nstates=6),
                        Snippet(f"{mn} r2, r2", nstates=3)])
    for mn in ("sxtb", "sxth", "uxtb", "uxth"):
        yield Case(mn, [Snippet(f"{mn}{cond()} r0, r1" + (f", ror #{r}" if r else ""),
                                nstates=3) for r in (0, 8, 16, 24)])
    for mn in ("sxtab", "sxtah", "uxtab", "uxtah"):
        yield Case(mn, [Snippet(f"{mn}{cond()} r0, r1, r2" + (f", ror #{r}" if r else ""),
                                nstates=3) for r in (0, 8, 16, 24)]
                   + [Snippet(f"{mn} r3, r3, r3, ror #8", nstates=3)])
    fields = ((0, 1), (0, 32), (31, 1), (1, 31), (8, 8), (4, 12), (16, 16), (30, 2), (0, 16))
    for mn in ("ubfx", "sbfx", "bfi"):
        yield Case(mn, [Snippet(f"{mn}{cond()} r0, r1, #{lsb}, #{w}", nstates=3)
                        for lsb, w in fields])
    yield Case("bfc", [Snippet(f"bfc{cond()} r0, #{lsb}, #{w}", nstates=2)
                       for lsb, w in fields])


@cases
def SATURATE_CASES():
    q = {"q": (0, 0, 1)}
    ssat = ((1, ""), (8, ", lsl #3"), (16, ", asr #1"), (32, ""), (31, ", asr #32"),
            (2, ", lsl #31"), (17, ", asr #16"), (24, ", lsl #8"))
    yield Case("ssat", [Snippet(f"ssat{cond()} r0, #{n}, r1{sh}", fix=q, nstates=4)
                        for n, sh in ssat])
    usat = ((0, ""), (8, ""), (31, ", lsl #1"), (16, ", asr #32"), (1, ", asr #3"),
            (15, ", lsl #31"), (30, ""))
    yield Case("usat", [Snippet(f"usat{cond()} r0, #{n}, r1{sh}", fix=q, nstates=4)
                        for n, sh in usat])
    for mn in ("qadd", "qsub", "qdadd", "qdsub"):
        yield Case(mn, [
            Snippet(f"{mn}{cond()} r0, r1, r2", fix={**q, "r1": EDGES, "r2": EDGES},
                    nstates=8),
            Snippet(f"{mn} r3, r3, r4", fix={**q, "r4": EDGES}, nstates=4),
            Snippet(f"{mn} r5, r6, r5", fix=q, nstates=4)])


# -- loads and stores ---------------------------------------------------------------------
def base_ptr(rng: random.Random) -> int:
    """A word-aligned pointer in the middle of the data region: ±0x800 stays inside."""
    return DATA + 0x800 + 4 * rng.randrange(0x200)


def small_off(rng: random.Random) -> int:
    return 4 * rng.randrange(0x1F0)


def off_for_shift(sh: str):
    """An offset register value that, shifted by `sh`, is a small aligned offset (the
    bits a shift drops are random)."""
    kind, _, amt = sh.partition(" #")
    n = int(amt) if amt else 0

    def gen(rng: random.Random) -> int:
        k = 4 * rng.randrange(0x100)
        if kind == "lsl":
            return k >> n
        if kind == "lsr":
            return (k << n | rng.getrandbits(n)) & 0xFFFFFFFF if n < 32 else rng.getrandbits(32)
        if kind == "asr":
            if n == 32:  # all sign: offset 0 or -1
                return rng.getrandbits(31) | rng.choice((0, 0x80000000))
            return ((-k if rng.random() < 0.5 else k) << n | rng.getrandbits(n)) & 0xFFFFFFFF
        if kind == "ror":
            return rol(k, n)
        return k << 1 | rng.getrandbits(1)  # rrx, with C clear
    return gen


# (addressing-mode id, operand text, offset-register shift or None for an immediate)
WORD_MODES = (
    ("imm", "[{n}, #{imm}]", None),
    ("imm-neg", "[{n}, #-{imm}]", None),
    ("imm0", "[{n}]", None),
    ("pre", "[{n}, #{imm}]!", None),
    ("pre-neg", "[{n}, #-{imm}]!", None),
    ("post", "[{n}], #{imm}", None),
    ("post-neg", "[{n}], #-{imm}", None),
    ("reg", "[{n}, {m}]", ""),
    ("reg-neg", "[{n}, -{m}]", ""),
    ("reg-lsl2", "[{n}, {m}, lsl #2]", "lsl #2"),
    ("reg-neg-lsr3", "[{n}, -{m}, lsr #3]", "lsr #3"),
    ("reg-lsr32", "[{n}, {m}, lsr #32]", "lsr #32"),
    ("reg-asr1", "[{n}, {m}, asr #1]", "asr #1"),
    ("reg-asr32", "[{n}, -{m}, asr #32]", "asr #32"),
    ("reg-ror5", "[{n}, {m}, ror #5]", "ror #5"),
    ("reg-rrx", "[{n}, {m}, rrx]", "rrx"),
    ("reg-pre-lsl2", "[{n}, {m}, lsl #2]!", "lsl #2"),
    ("reg-pre-neg", "[{n}, -{m}]!", ""),
    ("reg-post", "[{n}], {m}", ""),
    ("reg-post-neg-asr2", "[{n}], -{m}, asr #2", "asr #2"),
)
EXTRA_MODES = tuple(m for m in WORD_MODES if m[2] in (None, "")) + (
    ("reg-pre", "[{n}, {m}]!", ""),)


def mem_snippet(rng: random.Random, insn: str, mode: tuple, rts: list[str], imm_max: int,
                align: int) -> Snippet:
    """`insn` with a random base (and offset) register distinct from the data registers
    `rts` (a load or writeback into the base is UNPREDICTABLE with writeback)."""
    _, text, shift = mode
    rn, rm = regs(rng, 2, [r for r in LOW if r not in rts])
    fix: dict = {rn: base_ptr}
    if shift is not None:
        fix[rm] = small_off if shift == "" else off_for_shift(shift)
        if shift == "rrx":
            fix["c"] = 0
    imm = align * rng.randrange(imm_max // align + 1)
    t = ", ".join(rts)
    return Snippet(f"{insn}{cond()} {t}, {text.format(n=rn, m=rm, imm=imm)}", fix=fix,
                   nstates=3)


@cases
def LOAD_STORE_CASES():
    rng = random.Random(seed_of("loadstore"))
    for mn in ("ldr", "str", "ldrb", "strb"):
        align = 4 if mn in ("ldr", "str") else 1
        yield Case(f"mem-{mn}", [mem_snippet(rng, mn, mode, regs(rng, 1), 0x7FF, align)
                                 for mode in WORD_MODES])
    for mn in ("ldrh", "strh", "ldrsh", "ldrsb"):
        align = 1 if mn == "ldrsb" else 2
        yield Case(f"mem-{mn}", [mem_snippet(rng, mn, mode, regs(rng, 1), 0xFF, align)
                                 for mode in EXTRA_MODES])
    for mn in ("ldrd", "strd"):
        snips = []
        for mode in EXTRA_MODES:
            t = 2 * rng.randrange(6)
            snips.append(mem_snippet(rng, mn, mode, [f"r{t}", f"r{t + 1}"], 0xFF, 4))
        yield Case(f"mem-{mn}", snips)
    yield Case("mem-imm12-extremes", [
        Snippet("ldr r0, [r1, #4095]\nstrb r2, [r1, #4095]\nldrb r3, [r4, #-4095]\n"
                "str r5, [r4, #-4092]", fix={"r1": DATA + 0x800, "r4": DATA + 0x1800}),
        Snippet("ldrh r0, [r1, #255]\nstrh r2, [r4, #-255]\nldrd r6, r7, [r4, #-252]\n"
                "strd r8, r9, [r1, #252]", fix={"r1": DATA + 0x800, "r4": DATA + 0x1800}),
    ])
    # Word and halfword accesses need not be aligned on ARMv6+ (SCTLR.U=1 as Linux runs).
    yield Case("mem-unaligned", [
        Snippet("ldr r0, [r1, #1]\nstr r2, [r1, #7]\nldrh r3, [r1, #3]\nstrh r4, [r1, #13]\n"
                "ldrsh r5, [r1, #17]\nldr r6, [r1, r7]", fix={"r1": base_ptr, "r7": (1, 2, 3)})])
    yield Case("mem-load-into-base", [
        Snippet("ldr r1, [r1]", fix={"r1": base_ptr}),
        Snippet("ldrb r2, [r2, #3]", fix={"r2": base_ptr}),
        Snippet("ldrh r3, [r3, r4]", fix={"r3": base_ptr, "r4": small_off}),
        Snippet("ldrd r4, r5, [r4, #8]", fix={"r4": base_ptr}),
    ])
    yield Case("mem-store-then-load", [
        Snippet("str r0, [r1, #4]\nldr r2, [r1, #4]\nstrb r3, [r1, #5]\nldrsb r4, [r1, #5]\n"
                "strh r5, [r1, #6]\nldrsh r6, [r1, #6]\nldr r7, [r1, #4]", fix={"r1": base_ptr}),
    ])
    # Loads relative to the pc (literals in the code) and stores of the pc (pc + 8).
    yield Case("mem-pc-relative", [
        Snippet("ldr r0, [pc, #4]\nldrb r1, [pc]\nldrh r2, [pc, #-2]\nb skip\n"
                ".word 0x89abcdef\n.word 0x01234567\nskip: ldrd r4, r5, [pc, #-16]\n"
                "ldrsb r6, [pc, #-13]\nldr r7, [pc, -r8]", fix={"r8": (0, 4, 8, 12)}),
        Snippet("str pc, [r1]\nstr pc, [r1, #-4]!\nstmib r1, {r0, pc}",
                fix={"r1": base_ptr}),
    ])
    yield Case("mem-sp-relative", [
        Snippet("str r0, [sp, #-4]!\nldr r1, [sp], #4\nstr r2, [sp, #8]\nldrb r3, [sp, #-1]"),
    ])


def _aligned8(rng: random.Random) -> int:
    """A doubleword-aligned pointer (exclusive doubleword accesses need it)."""
    return DATA + 0x800 + 8 * rng.randrange(0x100)


def reglist(rng: random.Random, exclude: str) -> str:
    pool = [r for r in ANY if r != exclude]
    return "{" + ", ".join(sorted(rng.sample(pool, rng.randrange(1, 9)), key=ANY.index)) + "}"


@cases
def BLOCK_TRANSFER_CASES():
    rng = random.Random(seed_of("ldm-stm"))
    for mn in ("ldm", "stm"):
        for mode in ("ia", "ib", "da", "db"):
            for wb in ("", "!"):
                snips = []
                for _ in range(3):
                    rn = rng.choice(LOW)
                    snips.append(Snippet(f"{mn}{mode}{cond()} {rn}{wb}, {reglist(rng, rn)}",
                                         fix={rn: base_ptr}, nstates=3))
                yield Case(f"{mn}{mode}{'-wb' if wb else ''}", snips)
    yield Case("ldm-stm-all-registers", [
        Snippet("stmdb r0, {r0-r12, lr}\nldmia r0, {r1-r12, lr}", fix={"r0": base_ptr}),
        Snippet("ldmib r13, {r0-r12, lr}", nstates=2),
    ])
    # The base in the list: a store writes its original value (defined when there is no
    # writeback, or with writeback when it is the lowest register); a load without
    # writeback leaves the loaded value.
    yield Case("ldm-stm-base-in-list", [
        Snippet("stmia r3, {r1, r3, r5}", fix={"r3": base_ptr}),
        Snippet("stmdb r3!, {r3, r4, r9}", fix={"r3": base_ptr}),
        Snippet("stmib r2!, {r2, lr}", fix={"r2": base_ptr}),
        Snippet("ldmia r4, {r2, r4, r6}", fix={"r4": base_ptr}),
        Snippet("ldmda r4, {r4}", fix={"r4": base_ptr}),
    ])
    yield Case("push-pop", [
        Snippet("push {r4-r11, lr}\npop {r0-r3, r5, r6, r8-r10}"),
        Snippet(f"push{cond()} {{r5}}\npop{cond()} {{r6}}", nstates=6),
        Snippet(f"push{cond()} {{r0, r2}}\npop{cond()} {{r1, r3}}", nstates=6),
        Snippet("stmfd sp!, {r1-r3}\nldmfd sp!, {r4-r6}\nstmda sp!, {r7}\nldmib sp!, {r8}"),
    ])


@cases
def EXCLUSIVE_CASES():
    for sz in ("", "b", "h", "d"):
        t, s = ("r2, r3", "r4, r5") if sz == "d" else ("r2", "r4")
        p = {"r1": _aligned8}
        yield Case(f"ldrex{sz}-strex{sz}", [
            Snippet(f"ldrex{sz} {t}, [r1]\nstrex{sz} r0, {s}, [r1]", fix=p),
            Snippet(f"ldrex{sz}{cond()} {t}, [r1]\nstrex{sz}{cond()} r0, {s}, [r1]", fix=p,
                    nstates=6),
            # strex without a preceding ldrex fails (status 1) and stores nothing.
            Snippet(f"strex{sz} r0, {s}, [r1]", fix=p),
            Snippet(f"ldrex{sz} {t}, [r1]\nclrex\nstrex{sz} r0, {s}, [r1]", fix=p),
            Snippet(f"ldrex{sz} {t}, [r1]\nstrex{sz} r0, {s}, [r1]\nstrex{sz} r7, {s}, [r1]",
                    fix=p),
            # Another address: IMPLEMENTATION DEFINED; dbt fails it as QEMU does.
            Snippet(f"ldrex{sz} {t}, [r1]\nadd r8, r1, #8\nstrex{sz} r0, {s}, [r8]", fix=p),
        ])


@cases
def SWAP_CASES():
    p = {"r1": base_ptr}
    yield Case("swp", [Snippet(f"swp{cond()} r0, r2, [r1]", fix=p, nstates=4),
                       Snippet("swp r3, r3, [r1]", fix=p)])
    yield Case("swpb", [Snippet(f"swpb{cond()} r0, r2, [r1]", fix=p, nstates=4),
                        Snippet("swpb r3, r3, [r1]", fix=p),
                        Snippet("swpb r4, r5, [r1]",
                                fix={"r1": lambda r: DATA + 1 + r.randrange(0x1000)})])


@cases
def STATUS_CASES():
    yield Case("mrs", [Snippet(f"mrs{cond()} r0, apsr", nstates=6) for _ in range(3)])
    yield Case("msr-reg", [
        Snippet(f"msr{cond()} apsr_nzcvq, r1", nstates=6),
        Snippet("msr apsr_nzcvq, r1\nmrs r2, apsr", nstates=4),
        Snippet("msr cpsr_f, r3\nmrs r2, cpsr", nstates=4),
    ])
    yield Case("mrc-tpidruro", [
        Snippet(f"mrc{cond()} p15, 0, r{i}, c13, c0, 3", nstates=3) for i in (0, 5, 12)])
    # Barriers, preloads and hints change nothing a single thread can see (YIELD, SEV,
    # WFE and WFI are left out: they stop unicorn with "invalid instruction").
    yield Case("hints-barriers", [
        Snippet("dmb ish\ndsb sy\nisb\npld [r2, #4]\npld [r2, r3]\npli [r2]\n"
                ".word 0xf592f000\nnop\nnopeq\nnopne\nadds r0, r0, r1",
                fix={"r2": DATA + 0x100, "r3": (0, 4, 0x100)})])
    yield Case("msr-imm", [
        Snippet(f"msr{cond()} apsr_nzcvq, #{v:#x}", nstates=3)
        for v in (0, 0xF8000000, 0x08000000, 0x50000000, 0xA0000000)])


# -- branches ---------------------------------------------------------------------------
@cases
def BRANCH_CASES():
    yield Case("b-backward", [Snippet(
        f"b fwd\nback: add r2, r2, #1\nb end\nfwd: cmp r0, r1\nb{cc} back\nadd r3, r3, #1\nend:",
        fix={"r0": EDGES, "r1": EDGES}, nstates=3) for cc in CONDS])
    yield Case("bl-bx-lr", [
        Snippet("bl func\nadd r0, r0, #1\nb end\nfunc: add r1, r1, #1\nbx lr\nend:"),
        # keystone mis-assembles a conditional BL to a label; give it the address of func.
        Snippet(f"bl{cond()} {CODE + 12:#x}\nadd r0, r0, #1\nb end\nfunc: add r1, r1, #1\n"
                "bx lr\nend:", nstates=6),
    ] + [Snippet(f"bl func\nb end\nfunc: add r1, r1, #1\nbx{cc} lr\nadd r2, r2, #1\nbx lr\nend:",
                 nstates=3) for cc in CONDS])
    yield Case("mov-pc-lr", [
        Snippet(f"bl func\nb end\nfunc: add r1, r1, #1\nmov{cc} pc, lr\nadd r2, r2, #1\n"
                "mov pc, lr\nend:", nstates=3) for cc in CONDS[::2]])
    yield Case("pop-pc", [
        Snippet(f"bl func\nb end\nfunc: push {{r4, lr}}\nmov r4, #5\npop{cc} {{r4, pc}}\n"
                "add r4, r4, #1\npop {r4, pc}\nend:", nstates=3) for cc in CONDS[1::2]])
    yield Case("ldm-pc", [Snippet(
        "bl func\nb end\nfunc: stmdb sp!, {r4-r6, lr}\nmov r4, #1\nmov r5, #2\n"
        "ldmia sp!, {r4-r6, pc}\nend:")])
    yield Case("ldr-pc", [
        Snippet(f"bl func\nb end\nfunc: str lr, [sp, #-4]!\nldr{cc} pc, [sp], #4\n"
                "add r5, r5, #1\nldr pc, [sp], #4\nend:", nstates=3) for cc in CONDS[::3]])
    yield Case("blx-reg", [
        Snippet(f"adr r3, func\nblx{cc} r3\nb end\nfunc: add r1, r1, #1\nbx lr\nend:",
                nstates=3) for cc in CONDS])
    yield Case("blx-lr", [Snippet("adr lr, func\nblx lr\nb end\n"
                                  "func: add r1, r1, #1\nbx lr\nend:")])
    yield Case("bx-reg", [
        Snippet(f"adr r3, there\nbx{cc} r3\nadd r1, r1, #1\nthere: add r2, r2, #1",
                nstates=3) for cc in CONDS[::2]])
    # Longer than one block (the lifter stops at 48 instructions).
    yield Case("block-split", [Snippet("\n".join(["adds r0, r0, r1", "adcs r2, r2, r3"] * 40))])


# -- every condition code on the families the cases above give only a few -------------------
EVERY_COND = {
    "clz": ("clz{cc} r0, r1", {}),
    "movw": ("movw{cc} r0, #0x8001", {}),
    "movt": ("movt{cc} r0, #0xfffe", {}),
    "mrs": ("mrs{cc} r3, apsr", {}),
    "msr": ("msr{cc} apsr_nzcvq, r1", {}),
    "mrc": ("mrc{cc} p15, 0, r2, c13, c0, 3", {}),
    "swp": ("swp{cc} r0, r2, [r1]", {"r1": base_ptr}),
    "swpb": ("swpb{cc} r0, r2, [r1]", {"r1": base_ptr}),
    "ldrex-strex": ("ldrex{cc} r2, [r1]\nstrex{cc} r0, r4, [r1]", {"r1": _aligned8}),
    "ldrexd-strexd": ("ldrexd{cc} r2, r3, [r1]\nstrexd{cc} r0, r4, r5, [r1]",
                      {"r1": _aligned8}),
    # An unknown syscall number: both engines answer -ENOSYS and go on after the svc.
    "svc": ("svc{cc} #0\nadd r1, r0, #1", {"r7": UNKNOWN_SYSCALL}),
    "smmlar": ("smmlar{cc} r0, r1, r2, r3", {}),
    "qdsub": ("qdsub{cc} r0, r1, r2", {"r1": EDGES, "r2": EDGES}),
}


@cases
def EVERY_COND_CASES():
    for name, (tpl, fix) in EVERY_COND.items():
        yield Case(f"every-cond-{name}", [Snippet(tpl.format(cc=cc), fix=fix, nstates=2)
                                          for cc in CONDS])
    yield Case("every-cond-udiv", [Snippet(divide_word(cc, True, 0, 1, 2), nstates=2)
                                   for cc in CONDS])


# -- random sequences -----------------------------------------------------------------------
def random_insn(rng: random.Random) -> str:
    """One random non-memory instruction: data processing, multiply, divide, extend,
    bitfield, saturate, reverse."""
    cc = rng.choice(CONDS) if rng.random() < 0.4 else ""
    d, n, m, a = (rng.choice(ANY) for _ in range(4))
    kind = rng.choices(("dp-imm", "dp-shift", "dp-reg", "movwt", "mul", "mull", "half",
                        "smm", "div", "misc", "ext", "bitfield", "sat", "qadd"),
                       (6, 6, 4, 1, 2, 2, 2, 1, 1, 2, 2, 2, 1, 1))[0]
    s = rng.choice(("", "s"))
    if kind == "dp-imm":
        imm = f"#{rng.getrandbits(8)}, {2 * rng.randrange(16)}"
        return dp_insn(rng.choice(DP_OPS), s, cc, d, n, imm)
    if kind == "dp-shift":
        sh = rng.choice((f"lsl #{rng.randrange(32)}", f"lsr #{rng.randrange(1, 33)}",
                         f"asr #{rng.randrange(1, 33)}", f"ror #{rng.randrange(1, 32)}",
                         "rrx"))
        return dp_insn(rng.choice(DP_OPS), s, cc, d, n, f"{m}, {sh}")
    if kind == "dp-reg":
        return dp_insn(rng.choice(DP_OPS), s, cc, d, n, f"{m}, {rng.choice(DP_REG_SHIFTS)} {a}")
    if kind == "movwt":
        return f"{rng.choice(('movw', 'movt'))}{cc} {d}, #{rng.getrandbits(16):#x}"
    if kind == "mul":
        mn = rng.choice(("mul", "mla", "mls"))
        return (f"{mn}{'' if mn == 'mls' else s}{cc} {d}, {n}, {m}"
                + ("" if mn == "mul" else f", {a}"))
    if kind == "mull":
        lo, hi = rng.sample(ANY, 2)
        mn = rng.choice(("umull", "umlal", "smull", "smlal", "umaal"))
        return f"{mn}{'' if mn == 'umaal' else s}{cc} {lo}, {hi}, {n}, {m}"
    if kind == "half":
        xy = rng.choice(("bb", "bt", "tb", "tt"))
        y = xy[1]
        lo, hi = rng.sample(ANY, 2)
        return rng.choice((f"smul{xy}{cc} {d}, {n}, {m}", f"smla{xy}{cc} {d}, {n}, {m}, {a}",
                           f"smulw{y}{cc} {d}, {n}, {m}", f"smlaw{y}{cc} {d}, {n}, {m}, {a}",
                           f"smlal{xy}{cc} {lo}, {hi}, {n}, {m}"))
    if kind == "smm":
        mn = rng.choice(("smmul", "smmla", "smmls")) + rng.choice(("", "r"))
        return f"{mn}{cc} {d}, {n}, {m}" + ("" if mn.startswith("smmul") else f", {a}")
    if kind == "div":
        num = {r: i for i, r in enumerate(LOW)} | {"lr": 14}
        return divide_word(cc, rng.random() < 0.5, num[d], num[n], num[m])
    if kind == "misc":
        return f"{rng.choice(('clz', 'rev', 'rev16', 'revsh', 'rbit'))}{cc} {d}, {m}"
    if kind == "ext":
        mn = rng.choice(("sxtb", "sxth", "uxtb", "uxth", "sxtab", "sxtah", "uxtab", "uxtah"))
        ops = f"{d}, {n}, {m}" if len(mn) == 5 else f"{d}, {m}"
        rot = rng.choice((0, 8, 16, 24))
        return f"{mn}{cc} {ops}" + (f", ror #{rot}" if rot else "")
    if kind == "bitfield":
        lsb = rng.randrange(32)
        w = rng.randrange(1, 33 - lsb)
        mn = rng.choice(("ubfx", "sbfx", "bfi", "bfc"))
        return f"bfc{cc} {d}, #{lsb}, #{w}" if mn == "bfc" else f"{mn}{cc} {d}, {n}, #{lsb}, #{w}"
    if kind == "sat":
        sh = rng.choice(("", f", lsl #{rng.randrange(32)}", f", asr #{rng.randrange(1, 33)}"))
        if rng.random() < 0.5:
            return f"ssat{cc} {d}, #{rng.randrange(1, 33)}, {n}{sh}"
        return f"usat{cc} {d}, #{rng.randrange(32)}, {n}{sh}"
    return f"{rng.choice(('qadd', 'qsub', 'qdadd', 'qdsub'))}{cc} {d}, {m}, {n}"


@cases
def RANDOM_CASES():
    for i in range(200):
        rng = random.Random(seed_of(f"random-{i}"))
        body = "\n".join(random_insn(rng) for _ in range(rng.randrange(4, 13)))
        yield Case(f"random-{i:03d}", [Snippet(body, nstates=2)])


GROUPS = {
    "data_processing": DP_CASES + DP_SPECIAL_CASES,
    "conditions": COND_CASES + EVERY_COND_CASES,
    "multiply": MULTIPLY_CASES + HALFWORD_MULTIPLY_CASES + DIVIDE_CASES,
    "misc": MISC_CASES + SATURATE_CASES,
    "memory": LOAD_STORE_CASES + BLOCK_TRANSFER_CASES + EXCLUSIVE_CASES + SWAP_CASES,
    "system": STATUS_CASES,
    "branch": BRANCH_CASES,
    "random": RANDOM_CASES,
}


def _params(group: str) -> list:
    return [pytest.param(c, id=c.id) for c in GROUPS[group]]


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("case", _params("data_processing"))
def test_data_processing(case: Case, tier: str) -> None:
    check(case, tier)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("case", _params("conditions"))
def test_condition_codes(case: Case, tier: str) -> None:
    check(case, tier)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("case", _params("multiply"))
def test_multiply_divide(case: Case, tier: str) -> None:
    check(case, tier)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("case", _params("misc"))
def test_extend_bitfield_saturate(case: Case, tier: str) -> None:
    check(case, tier)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("case", _params("memory"))
def test_load_store(case: Case, tier: str) -> None:
    check(case, tier)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("case", _params("system"))
def test_status_registers(case: Case, tier: str) -> None:
    check(case, tier)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("case", _params("branch"))
def test_branches(case: Case, tier: str) -> None:
    check(case, tier)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("case", _params("random"))
def test_random_sequences(case: Case, tier: str) -> None:
    check(case, tier)


def test_case_ids_unique() -> None:
    all_ids = [c.id for cs in GROUPS.values() for c in cs]
    assert len(all_ids) == len(set(all_ids))
