"""A guest fault inside native code must leave exactly the state the real CPU has at the
faulting instruction.  Native regions keep guest registers in host registers and compute
flags only where they leave (backends/llvm_codegen.py), so the fault exit is where any
mistake would show: a loop that updates registers and flags every iteration walks a
pointer off the end of mapped memory, and dbt (each tier, native from the first few
iterations) must agree with unicorn on every register, flag, data byte and the pc.
Accesses at addresses known on block entry are checked there (a block that would
fault leaves for the interpreter); the others are checked where they run: both
kinds of fault are here."""
import random

import pytest

from armdiff import (
    CODE, CODE_SIZE, DATA, DATA_SIZE, REG_NAMES, Snippet, assemble, disassemble,
    new_unicorn, run_dbt, run_unicorn,
)
from dbt.engine import Machine, Options
from dbt.memory import PROT_EXEC, PROT_READ, PROT_WRITE
from diffcommon import data_difference, seed_of

SIGSEGV_STATUS = 128 + 11

LOOPS = {
    # load walks off the end of the data region; flags from an adds each iteration
    "load": f"""
        mov r2, #{DATA:#x}
    loop:
        add r1, r1, #3
        adds r4, r1, r5
        ldr r3, [r2], #16
        eor r6, r6, r3
        subs r7, r7, r4
        b loop
    """,
    # store walks off; the last flags come from a compare after the store
    "store": f"""
        mov r2, #{DATA:#x}
    loop:
        ldr r3, [r2]
        add r3, r3, r1
        str r3, [r2, #8]!
        cmp r3, r8
        addlt r9, r9, #1
        b loop
    """,
    # a conditional load (checked where it runs, not on block entry) walks off
    "conditional": f"""
        mov r2, #{DATA:#x}
    loop:
        adds r1, r1, #3
        tst r1, #4
        ldrne r3, [r2], #16
        addeq r2, r2, #8
        eor r6, r6, r3
        b loop
    """,
    # the second address depends on a load: checked at the access, after the first
    "dependent": f"""
        mov r2, #{DATA:#x}
    loop:
        ldr r3, [r2], #8
        and r3, r3, #0xff0
        ldr r4, [r2, r3]
        add r5, r5, r4
        subs r7, r7, r3
        b loop
    """,
}


def new_machine(code: bytes, tier: str):
    import io
    err = io.StringIO()
    m = Machine.bare("armel", Options(tier=tier, verify=True, jit_threshold=5), out=err)
    m.mem.map(CODE, CODE_SIZE, PROT_READ | PROT_EXEC)
    m.mem.poke(CODE, code)
    m.mem.map(DATA, DATA_SIZE, PROT_READ | PROT_WRITE)
    return m, err


@pytest.mark.parametrize("tier", ["interp", "jit", "auto"])
@pytest.mark.parametrize("name", sorted(LOOPS))
def test_fault_in_native_loop_matches_unicorn(name, tier):
    src = LOOPS[name] + "\n udf #0"
    code = assemble(src)
    snip = Snippet(src, nstates=3)
    uc = new_unicorn(code)
    m, err = new_machine(code, tier)
    for st in snip.states(random.Random(seed_of(name))):
        want = run_unicorn(uc, code, st)
        got = run_dbt(m, err, st)
        assert "UC_ERR" in want.note, want.note  # unicorn stopped at the fault
        assert f"exit status {SIGSEGV_STATUS}" in got.note, got.note
        diff = [f"{n}: unicorn {w:#x} dbt {g:#x}"
                for n, w, g in zip(REG_NAMES, want.regs, got.regs) if w != g]
        diff += [f"{k}: unicorn {want.flags[k]} dbt {got.flags[k]}"
                 for k in want.flags if want.flags[k] != got.flags[k]]
        if want.pc != got.pc:
            diff.append(f"pc: unicorn {want.pc:#x} dbt {got.pc:#x}")
        data = data_difference(want.data, got.data, DATA)
        if data:
            diff.append(data)
        assert not diff, f"{name} [{tier}]\n{disassemble(code)}\n" + "\n".join(diff)
    if tier != "interp":
        assert m.jit.blocks_compiled > 0
