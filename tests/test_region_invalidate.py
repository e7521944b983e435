"""Invalidating one block of a native region (self-modifying code, cacheflush, icbi)
must retire the whole region: its other blocks branch to the stale block inside the
region's function, without looking anything up."""
import pytest

from armdiff import CODE, DATA, State, assemble, new_dbt, run_dbt

# The loop calls `body` with a direct bl, so both are in one region; then `body` is
# patched (add #1 -> add #2) and invalidated, and the loop must run the new code.
SRC = """
    mov r0, #0
    mov r4, #300
loop:
    bl body
    subs r4, r4, #1
    bne loop
    b done
body:
    add r0, r0, #1
    bx lr
done:
"""


@pytest.mark.parametrize("tier", ["interp", "jit", "auto"])
def test_patched_block_inside_a_region_runs_new_code(tier):
    code = assemble(SRC)
    m, err = new_dbt(code, tier)
    if tier == "auto":
        m.options.jit_threshold = 50
    st = State([0] * 13 + [DATA + 0x800, 0], dict.fromkeys("nzcvq", 0), bytes(0x1000), 0)
    assert run_dbt(m, err, st).regs[0] == 300
    body = CODE + code.index(assemble("add r0, r0, #1")[:4])
    m.mem.poke(body, assemble("add r0, r0, #2")[:4])
    m.invalidate(body, body + 4)
    assert run_dbt(m, err, st).regs[0] == 600
    if tier != "interp":
        assert m.jit.blocks_compiled > 0
