"""A native region holds the blocks its calls return to, and a return (a computed exit)
to one of them is a branch inside the region's function: recursion runs without leaving
native code.  A return somewhere else -- here to an address the callee wrote over its
saved link register -- must still leave through the lookup.  Each run is compared with
unicorn (every register, flag and data byte)."""
import pytest

from armdiff import CODE, STACK, State, assemble, differences, new_dbt, new_unicorn, \
    run_dbt, run_unicorn

from dbt.backends.llvm import return_sites

SRC = """
    mov r4, #0
    mov r5, #0x20000
    mov r0, #11
    bl fib
    mov r6, r0
    mov r0, r7
    bl twisted
    add r4, r4, #1000
alt:
    add r4, r4, r0
    b done
fib:
    cmp r0, #1
    bxls lr
    push {r0, lr}
    sub r0, r0, #1
    bl fib
    str r0, [r5], #4
    mov r1, r0
    pop {r0}
    push {r1}
    sub r0, r0, #2
    bl fib
    pop {r1}
    add r0, r0, r1
    pop {pc}
twisted:
    push {r0, lr}
    add r0, r0, #1
    tst r0, #1
    beq keep
    adr r1, alt
    str r1, [sp, #4]
keep:
    pop {r0, pc}
done:
"""


def _regions_with_returns(m) -> int:
    """How many compiled regions hold a block that another of their blocks calls out of."""
    regions = {tuple(r) for rs in m.jit.regions_of.values() for r in rs}
    return sum(1 for r in regions
               if any(c in r for k in r for c in return_sites(m.cache.blocks[k].block)))


@pytest.mark.parametrize("tier", ["interp", "jit", "auto"])
def test_returns_inside_a_region(tier):
    code = assemble(SRC)
    uc = new_unicorn(code)
    m, err = new_dbt(code, tier)
    if tier == "auto":
        m.options.jit_threshold = 20
    udf = CODE + len(code) - 4
    for r7 in (0, 1, 2, 3, 4, 5):  # twisted returns to its call site, or to alt
        st = State([0] * 7 + [r7] + [0] * 5 + [STACK, 0], dict.fromkeys("nzcvq", 0),
                   bytes(0x2000), 0)
        want, got = run_unicorn(uc, code, st), run_dbt(m, err, st)
        assert not differences(want, got, udf), (r7, differences(want, got, udf))
        assert got.regs[6] == 89  # fib(11)
    if tier != "interp":
        assert _regions_with_returns(m) > 0
