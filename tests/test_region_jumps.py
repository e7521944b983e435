"""A dispatch loop through a jump table (a bytecode interpreter's switch) becomes one
native region: the dispatch loop records the targets its indirect jump took, and a
region takes in those that lead back to the loop, and branches to them inside its
function instead of looking them up.  A case first seen after the region compiled
(here: opcodes the first programs never use) must still run, through the lookup.  Each
run is compared with unicorn (every register, flag and data byte), on ARM and PowerPC."""
import random

import ppcdiff
import pytest

from armdiff import CODE, DATA, STACK, State, assemble, differences, new_dbt, new_unicorn, \
    run_dbt, run_unicorn

SRC = """
    mov r4, #0x20000
    mov r0, #0
loop:
    ldrb r3, [r4], #1
    cmp r3, #5
    addls pc, pc, r3, lsl #2
    b done
    b done
    b op_inc
    b op_dbl
    b op_sub3
    b op_xor
    b op_call
op_inc:
    add r0, r0, #1
    b loop
op_dbl:
    add r0, r0, r0
    b loop
op_sub3:
    sub r0, r0, #3
    b loop
op_xor:
    eor r0, r0, r7
    b loop
op_call:
    bl table
    b loop
table:
    and r1, r0, #3
    add pc, pc, r1, lsl #2
    nop
    b t0
    b t1
    b t2
    b t3
t0:
    add r0, r0, #5
    bx lr
t1:
    eor r0, r0, #0x55
    bx lr
t2:
    sub r0, r0, #7
    bx lr
t3:
    mov r0, r0, ror #3
    bx lr
done:
"""


def program(ops: list[int]) -> bytes:
    return (bytes(ops) + b"\0").ljust(0x2000, b"\0")


# The first programs use opcodes 1-3 and 5; the last brings in 4 (op_xor) too.
PROGRAMS = [[1, 2, 3, 5] * 60, [2, 1, 1, 3, 5, 5] * 40, [1, 2, 3, 4, 5, 4] * 40]


def _dispatch_regions(m, dispatch: int) -> list[int]:
    """For each region holding the dispatch block: how many of its observed targets it
    holds."""
    seen = m.cache.blocks[dispatch].observed or set()
    regions = {tuple(r) for rs in m.jit.regions_of.values() for r in rs}
    return [len(seen & set(r)) for r in regions if dispatch in r]


@pytest.mark.parametrize("tier", ["interp", "jit", "auto"])
def test_jump_table_loop(tier):
    code = assemble(SRC)
    uc = new_unicorn(code)
    m, err = new_dbt(code, tier)
    if tier == "auto":
        m.options.jit_threshold = 40
    udf = CODE + len(code) - 4
    for r7, ops in enumerate(PROGRAMS):
        st = State([0] * 7 + [r7 + 0x1234] + [0] * 5 + [STACK, 0],
                   dict.fromkeys("nzcvq", 0), program(ops), 0)
        want, got = run_unicorn(uc, code, st), run_dbt(m, err, st)
        assert not differences(want, got, udf), (r7, differences(want, got, udf))
        assert got.regs[4] == DATA + len(ops) + 1
    if tier == "auto":
        dispatch = CODE + 8  # the ldrb that starts the loop
        assert m.cache.blocks[dispatch].observed, "the dispatch block records no targets"
        # Some region runs the loop with its cases inside: op_inc, op_dbl, op_sub3 and
        # op_call's table entries lead back to the loop.
        assert max(_dispatch_regions(m, dispatch), default=0) >= 4, \
            _dispatch_regions(m, dispatch)


PPC_SRC = """
    lis r4, 2
    addi r4, r4, -1
    li r3, 0
    bl base
base:
    mflr r6
loop:
    lbzu r5, 1(r4)
    cmplwi r5, 4
    bgt done
    rlwinm r5, r5, 2, 0, 29
    add r5, r5, r6
    addi r5, r5, 36
    mtctr r5
    bcctr 20, 0
    b done
    b op_inc
    b op_dbl
    b op_sub
    b op_xor
op_inc:
    addi r3, r3, 1
    b loop
op_dbl:
    add r3, r3, r3
    b loop
op_sub:
    addi r3, r3, -3
    b loop
op_xor:
    xor r3, r3, r7
    b loop
done:
"""


@pytest.mark.parametrize("tier", ["interp", "jit", "auto"])
def test_jump_table_loop_ppc(tier):
    # The same loop on PowerPC (opcodes 0-4): bcctr into a table of branches whose
    # address comes from mflr.
    code = ppcdiff.assemble(PPC_SRC)
    uc = ppcdiff.new_unicorn(code)
    m, err = ppcdiff.new_machine(code, tier)
    if tier == "auto":
        m.options.jit_threshold = 40
    trap = CODE + len(code) - 4
    rng = random.Random(5)
    for r7, ops in enumerate(PROGRAMS):
        regs = ppcdiff.base_state(rng)
        regs["r7"] = r7 + 0x1234
        st = ppcdiff.State(regs, program([op if op != 5 else 2 for op in ops]))
        want, got = ppcdiff.run_unicorn(uc, code, st), ppcdiff.run_dbt(m, err, st)
        diff = ppcdiff.differences(want, got, trap, 0)
        assert not diff, (r7, diff)
    if tier == "auto":
        dispatch = CODE + 32  # rlwinm .. bcctr: the block after the bound check
        assert m.cache.blocks[dispatch].observed, "the dispatch block records no targets"
        assert max(_dispatch_regions(m, dispatch), default=0) >= 3, \
            _dispatch_regions(m, dispatch)
