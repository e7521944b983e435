"""`dbt run --max-insns N`: the guest stops after exactly N executed instructions, the
same N in every tier, with one line on stderr and status 124.

Oracles nobody here wrote, or that count differently from the code under test:
unicorn running the same snippet with count=N (every register, flag and data byte);
the instruction tracer, which runs one instruction at a time (the limit stops at the
pc of its N-th line, 0-based, and the write syscall that prints is its line's
instruction); hand-counted snippets for the instructions a fault or trap does not
complete (they are not counted: the handler may run them again)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import unicorn
from unicorn import arm_const as U

import ppcdiff
from armdiff import CODE, CODE_SIZE, DATA, DATA_SIZE, REG_NAMES, assemble
from dbt.engine import INSN_LIMIT_STATUS, Machine, Options
from dbt.memory import PROT_EXEC, PROT_READ, PROT_WRITE

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "testbins" / "bin"
TIERS = ("interp", "jit", "auto")
MESSAGE = re.compile(r"dbt: instruction limit (\d+) reached at pc 0x([0-9a-f]{8})")
ENV = {"PATH": "/usr/bin:/bin"}   # the same environment for traced and limited runs
BIG = 10 ** 12


def dbt(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dbt", "run", "--no-cache", *args],
                          capture_output=True, timeout=300, cwd=ROOT, env=ENV)


def tier_args(tier: str) -> list[str]:
    # auto: compile after a few runs, so that the limit falls in native code too
    return ["--tier", tier] + (["--jit-threshold", "8"] if tier == "auto" else [])


def stop_pc(r: subprocess.CompletedProcess, n: int) -> int:
    """The pc of the limit message (checking the status and that it is the only line)."""
    assert r.returncode == INSN_LIMIT_STATUS, r
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1 and "Traceback" not in lines[0], r.stderr
    m = MESSAGE.fullmatch(lines[0])
    assert m and int(m[1]) == n, lines[0]
    return int(m[2], 16)


def trace(program: Path) -> list[dict]:
    r = subprocess.run([sys.executable, "-m", "dbt", "run", "--no-cache", "--trace", "-",
                        "--trace-format", "jsonl", str(program)], capture_output=True,
                       timeout=300, cwd=ROOT, env=ENV)
    return [json.loads(line) for line in r.stderr.decode().splitlines()
            if line.startswith("{")]


@pytest.mark.parametrize("tier", TIERS)
def test_status_and_message(tier: str) -> None:
    r = dbt(*tier_args(tier), "--max-insns", "1000", str(BIN / "armel/hello"))
    stop_pc(r, 1000)
    assert r.stdout == b""


def test_bad_count() -> None:
    r = dbt("--max-insns", "-3", str(BIN / "armel/hello"))
    assert r.returncode == 2 and b"--max-insns" in r.stderr and b"Traceback" not in r.stderr


@pytest.mark.parametrize("arch", ["armel", "ppc"])
def test_the_write_is_the_same_instruction_in_every_tier(arch: str) -> None:
    """hello prints with one write syscall: stopping just before it prints nothing,
    just after it prints the line -- at the count where the tracer saw the syscall."""
    program = BIN / arch / "hello"
    write = next(t for t in trace(program)
                 if t["asm"] in ("svc #0", "sc") and t["sym"].startswith("write+"))
    n = write["seq"]  # instructions before the syscall
    for tier in TIERS:
        before = dbt(*tier_args(tier), "--max-insns", str(n), str(program))
        assert stop_pc(before, n) == write["pc"], tier
        assert before.stdout == b"", tier
        after = dbt(*tier_args(tier), "--max-insns", str(n + 1), str(program))
        assert stop_pc(after, n + 1) == write["pc"] + 4, tier
        assert after.stdout == b"Hello, world!\n", tier


def test_loop_stops_where_the_tracer_says() -> None:
    """loop_count (4005 instructions, a loop over two blocks that goes native in the jit
    tiers): the limit stops at the pc of the tracer's N-th instruction, in every tier;
    with N = 4005 the exit syscall runs."""
    program = BIN / "armel/loop_count"
    pcs = [t["pc"] for t in trace(program)]
    assert len(pcs) == 4005
    for tier in TIERS:
        for n in (0, 1, 4, 5, 6, 7, 1001, 2002, 3003, 4001, 4004):
            assert stop_pc(dbt(*tier_args(tier), "--max-insns", str(n), str(program)),
                           n) == pcs[n], (tier, n)
        assert dbt(*tier_args(tier), "--max-insns", "4005", str(program)).returncode == 184


@pytest.mark.parametrize("tier", TIERS)
def test_tracers_stop_at_the_limit(tier: str) -> None:
    program = str(BIN / "armel/loop_count")
    r = dbt(*tier_args(tier), "--trace", "-", "--max-insns", "10", program)
    lines = r.stderr.decode().splitlines()
    assert r.returncode == INSN_LIMIT_STATUS and len(lines) == 11, r.stderr
    assert lines[-1].startswith("dbt: instruction limit 10 ")
    r = dbt(*tier_args(tier), "--trace-blocks", "--trace", "-", "--max-insns", "3001",
            program)
    lines = r.stderr.decode().splitlines()
    assert r.returncode == INSN_LIMIT_STATUS, r.stderr
    assert sum(int(line.split()[-1]) for line in lines[:-1]) == 3001


# -- snippets: exact state against unicorn; what faults and traps count -----------------
ARM_LOOP = f"""
    mov r2, #{DATA:#x}
    mov r1, #0
loop:
    add r1, r1, #3
    adds r4, r1, r5
    str r4, [r2], #4
    eor r6, r6, r4
    cmp r1, #300
    blt loop
"""  # 2 + 100 * 6 instructions, then the udf
ARM_LIMITS = (0, 1, 2, 3, 7, 8, 9, 50, 301, 599, 601, 602)


def arm_machine(tier: str, code: bytes) -> Machine:
    m = Machine.bare("armel", Options(tier=tier, verify=True, jit_threshold=5,
                                      max_insns=BIG), out=io.StringIO())
    m.mem.map(CODE, CODE_SIZE, PROT_READ | PROT_EXEC)
    m.mem.poke(CODE, code)
    m.mem.map(DATA, DATA_SIZE, PROT_READ | PROT_WRITE)
    return m


def run_limited(m: Machine, n: int) -> int:
    """Run from CODE with zeroed registers and data, at most n instructions."""
    m.state.buf[:] = bytes(len(m.state.buf))
    m.mem.poke(DATA, bytes(DATA_SIZE))
    m.key = CODE
    m.options.max_insns = m.insns_left = n
    return m.run()


def unicorn_state(code: bytes, n: int) -> tuple:
    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_ARM)
    uc.mem_map(CODE, CODE_SIZE, unicorn.UC_PROT_READ | unicorn.UC_PROT_EXEC)
    uc.mem_map(DATA, DATA_SIZE, unicorn.UC_PROT_READ | unicorn.UC_PROT_WRITE)
    uc.mem_write(CODE, code)
    uc.reg_write(U.UC_ARM_REG_CPSR, 0x10)
    uc.reg_write(U.UC_ARM_REG_PC, CODE)
    if n:
        uc.emu_start(CODE, CODE + len(code), count=n)
    cpsr = uc.reg_read(U.UC_ARM_REG_CPSR)
    regs = [uc.reg_read(getattr(U, f"UC_ARM_REG_{r.upper()}")) for r in REG_NAMES]
    return (regs, [cpsr >> b & 1 for b in (31, 30, 29, 28)],
            bytes(uc.mem_read(DATA, DATA_SIZE)), uc.reg_read(U.UC_ARM_REG_PC))


@pytest.mark.parametrize("tier", TIERS)
def test_state_at_the_limit_matches_unicorn(tier: str) -> None:
    code = assemble(ARM_LOOP + "\n udf #0")
    m = arm_machine(tier, code)
    for n in ARM_LIMITS:
        assert run_limited(m, n) == INSN_LIMIT_STATUS, n
        got = ([m.state[r] for r in REG_NAMES], [m.state[f] for f in "nzcv"],
               m.mem.peek(DATA, DATA_SIZE), m.key)
        assert got == unicorn_state(code, n), (tier, n)
    if tier != "interp":
        assert m.jit.blocks_compiled > 0


@pytest.mark.parametrize("tier", TIERS)
def test_a_fault_does_not_count_its_instruction(tier: str) -> None:
    """A load walks off the data region in the 513th iteration of a 5-instruction loop
    (SIGSEGV, status 139): 1 + 512 * 5 + 2 instructions completed, the load not."""
    code = assemble(f"""
        mov r2, #{DATA:#x}
    loop:
        add r1, r1, #3
        adds r4, r1, r5
        ldr r3, [r2], #16
        eor r6, r6, r3
        b loop
    """ + "\n udf #0")
    m = arm_machine(tier, code)
    done = 1 + 512 * 5 + 2
    load = CODE + 3 * 4
    assert run_limited(m, BIG) == 128 + 11 and m.key == load
    assert BIG - m.insns_left == done
    assert run_limited(m, done + 1) == 128 + 11 and m.insns_left == 1
    # With exactly `done` the load is never tried: the limit stops the guest there.
    assert run_limited(m, done) == INSN_LIMIT_STATUS and m.key == load


@pytest.mark.parametrize("tier", TIERS)
def test_a_trap_inside_a_block_does_not_count(tier: str) -> None:
    """PowerPC twi in the middle of a loop block traps when r3 reaches 50 (SIGTRAP,
    status 133): li, 49 iterations of 5, then the addi before the twi."""
    code = ppcdiff.assemble("""
        li r3, 0
    loop:
        addi r3, r3, 1
        twi 4, r3, 50
        addi r4, r4, 2
        cmpwi r3, 100
        blt loop
    """)
    m = Machine.bare("ppc", Options(tier=tier, verify=True, jit_threshold=5, max_insns=BIG),
                     out=io.StringIO())
    m.mem.map(ppcdiff.CODE, ppcdiff.CODE_SIZE, PROT_READ | PROT_EXEC)
    m.mem.poke(ppcdiff.CODE, code)
    done = 1 + 49 * 5 + 1
    twi = ppcdiff.CODE + 2 * 4
    for n, status in ((BIG, 128 + 5), (done + 1, 128 + 5), (done, INSN_LIMIT_STATUS),
                      (done - 1, INSN_LIMIT_STATUS)):
        m.state.buf[:] = bytes(len(m.state.buf))
        m.key = ppcdiff.CODE
        m.options.max_insns = m.insns_left = n
        assert m.run() == status, n
        assert n - m.insns_left == min(n, done), n
        assert (m.key, m.state["r3"], m.state["r4"]) == (
            (twi, 50, 98) if n >= done else (twi - 4, 49, 98)), n
    if tier != "interp":
        assert m.jit.blocks_compiled > 0
