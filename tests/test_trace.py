"""--trace (instruction tracer: text and JSONL, filters) and --trace-blocks, on
testbins/bin/armel/loop_count (see its source for the shape) and on C programs whose
output qemu recorded (testbins/expected): tracing must not change it."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dbt.engine import available_tiers, supported_arches

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "testbins" / "bin" / "armel"
LOOP = BIN / "loop_count"
TIERS = available_tiers()


def symbols(path):
    from elftools.elf.elffile import ELFFile
    with open(path, "rb") as f:
        return {s.name: s["st_value"] for s in ELFFile(f).get_section_by_name(".symtab")
                .iter_symbols() if s.name}


def dbt(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "dbt", "run", *map(str, args)],
                          capture_output=True, cwd=ROOT, timeout=600, stdin=stdin,
                          check=False)


def trace(tmp_path, prog, *opts):
    out = tmp_path / "trace.out"
    p = dbt("--trace", out, *opts, prog)
    return p, out.read_text()


def test_text_lines_exact(tmp_path):
    s = symbols(LOOP)
    start, loop, mid = s["_start"], s["loop"], s["mid"]
    p, text = trace(tmp_path, LOOP, "--trace-count", "8")
    assert p.returncode == 184
    want = [
        f"       0 {start:08x} _start           0000a0e3  mov r0, #0",
        (f"       1 {start + 4:08x} _start+0x4       fa1fa0e3  mov r1, #0x3e8"
        "                r1=0x00000000->0x000003e8"),
        (f"       2 {loop:08x} loop             030080e2  add r0, r0, #3"
        "                r0=0x00000000->0x00000003"),
        f"       3 {loop + 4:08x} loop+0x4         ffffffea  b #{mid:#x}",
        (f"       4 {mid:08x} mid              011051e2  subs r1, r1, #1"
        "               r1=0x000003e8->0x000003e7  c=0->1"),
        f"       5 {mid + 4:08x} mid+0x4          fbffff1a  bne #{loop:#x}",
        (f"       6 {loop:08x} loop             030080e2  add r0, r0, #3"
        "                r0=0x00000003->0x00000006"),
        f"       7 {loop + 4:08x} loop+0x4         ffffffea  b #{mid:#x}",
    ]
    assert text.splitlines() == want


def test_text_tail_memory_and_syscall(tmp_path):
    s = symbols(LOOP)
    mid, done = s["mid"], s["done"]
    p, text = trace(tmp_path, LOOP, "--trace-after", "4000")
    assert p.returncode == 184
    lines = text.splitlines()
    assert lines[:3] == [
        (f"    4000 {mid:08x} mid              011051e2  subs r1, r1, #1"
        "               r1=0x00000001->0x00000000  z=0->1"),
        f"    4001 {mid + 4:08x} mid+0x4          fbffff1a  bne #{s['loop']:#x}",
        (f"    4002 {done:08x} done             0170a0e3  mov r7, #1"
        "                    r7=0x00000000->0x00000001"),
    ]
    m = re.fullmatch(rf"    4003 {done + 4:08x} done\+0x4         04002de5  str r0, \[sp, #-4\]!"
                     r" +sp=0x([0-9a-f]{8})->0x([0-9a-f]{8})  W4\[0x([0-9a-f]{8})\]=0x00000bb8",
                     lines[3])
    assert m and int(m[1], 16) - 4 == int(m[2], 16) == int(m[3], 16)
    # exit(): the last line, nothing changed (the process ends inside the syscall).
    assert lines[4:] == [f"    4004 {done + 8:08x} done+0x8         000000ef  svc #0"]


def test_syscall_result_is_a_change(tmp_path):
    _p, text = trace(tmp_path, BIN / "arm_checksum", "--trace-format", "jsonl")
    recs = [json.loads(line) for line in text.splitlines()]
    writes = [r for r in recs if r["asm"] == "svc #0" and "r0" in r["regs"]]
    # print_hex writes 9 bytes per line ("xxxxxxxx\n"): write() returns 9 in r0.
    assert any(r["regs"]["r0"][1] == 9 for r in writes)


def test_filters(tmp_path):
    s = symbols(LOOP)
    p, text = trace(tmp_path, LOOP, "--trace-symbol", "mid")
    lines = text.splitlines()
    assert p.returncode == 184 and len(lines) == 2000
    assert {int(line.split()[1], 16) for line in lines} == {s["mid"], s["mid"] + 4}
    p, text = trace(tmp_path, LOOP, "--trace-range", f"{s['loop']:#x}-{s['mid']:#x}",
                    "--trace-after", "100", "--trace-count", "5")
    lines = text.splitlines()
    assert [int(line.split()[0]) for line in lines] == [102, 103, 106, 107, 110]
    assert p.returncode == 184
    p = dbt("--trace", "-", "--trace-symbol", "nosuch", LOOP)
    assert p.returncode == 1 and p.stderr == b"dbt: --trace-symbol nosuch: no such symbol " \
        b"in the program\n"
    p = dbt("--trace", "-", "--trace-range", "0x20-0x10", LOOP)
    assert (p.returncode, p.stderr) == (1, b"dbt: --trace-range 0x20-0x10: empty range\n")


def test_jsonl_matches_block_trace_in_every_tier(tmp_path):
    """The instruction trace's pcs are exactly the executed blocks' instructions, as
    the block tracer sees them in each tier (native code logs its own blocks)."""
    prog = BIN / "hello"
    p, text = trace(tmp_path, prog, "--trace-format", "jsonl")
    recs = [json.loads(line) for line in text.splitlines()]
    assert [r["seq"] for r in recs] == list(range(len(recs)))
    pcs = [r["pc"] for r in recs]
    assert all(re.fullmatch(r"[0-9a-f]{8}", r["bytes"]) for r in recs)
    for tier in TIERS:
        out = tmp_path / f"blocks-{tier}"
        b = dbt("--tier", tier, "--trace-blocks", "--trace", out, prog)
        assert b.stdout == p.stdout and b.returncode == p.returncode
        expanded, tiers = [], set()
        for line in out.read_text().splitlines():
            _seq, pc, _sym, t, n = line.split()
            expanded += [int(pc, 16) + 4 * i for i in range(int(n))]
            tiers.add(t)
        assert expanded == pcs, tier
        assert ("native" in tiers) == (tier != "interp")


@pytest.mark.parametrize("arch, name", [
    *[("armel", n) for n in ("hello", "printf", "exit42", "arm_checksum", "segv", "strings")],
    *[("ppc", n) for n in ("hello", "exit42", "segv")]])
def test_tracing_keeps_behaviour(tmp_path, arch, name):
    # Compared with qemu's recorded run (the same bytes and status as untraced).
    if arch not in supported_arches():
        pytest.skip(f"{arch} is not supported yet")
    expected = ROOT / "testbins" / "expected" / arch
    p, _ = trace(tmp_path, ROOT / "testbins" / "bin" / arch / name, "--trace-format", "jsonl")
    assert p.stdout == (expected / f"{name}.stdout").read_bytes()
    status = 128 - p.returncode if p.returncode < 0 else p.returncode
    assert status == int((expected / f"{name}.status").read_text())


def test_cannot_combine_with_gdb():
    p = dbt("--trace", "-", "--gdb", "0", LOOP)
    assert p.returncode == 1 and b"cannot be combined" in p.stderr


def test_trace_agrees_with_unicorn(tmp_path):
    """Unicorn, stepping the same program from the same state, changes the same
    registers and flags and reads and writes the same memory, instruction by
    instruction."""
    unicorn = pytest.importorskip("unicorn")
    from elftools.elf.elffile import ELFFile
    from unicorn import arm_const as U

    prog = BIN / "arm_checksum"
    _, text = trace(tmp_path, prog, "--trace-format", "jsonl")
    recs = [json.loads(line) for line in text.splitlines()]
    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_ARM)
    with open(prog, "rb") as f:
        for seg in ELFFile(f).iter_segments():
            if seg["p_type"] == "PT_LOAD":
                lo = seg["p_vaddr"] & ~0xFFF
                hi = (seg["p_vaddr"] + seg["p_memsz"] + 0xFFF) & ~0xFFF
                uc.mem_map(lo, hi - lo)
                uc.mem_write(seg["p_vaddr"], seg.data())
    first_sp = next(r["regs"]["sp"][0] for r in recs if "sp" in r["regs"])
    uc.mem_map(0xBE000000, 0x1000000)
    # Our initial stack (argc, argv, envp, auxv) is not in unicorn: compare only what
    # the program computes, which in this program never reads the initial stack.
    names = [f"r{i}" for i in range(13)] + ["sp", "lr"]
    ids = [getattr(U, f"UC_ARM_REG_R{i}") for i in range(13)] + [U.UC_ARM_REG_SP,
                                                                 U.UC_ARM_REG_LR]
    uc.reg_write(U.UC_ARM_REG_CPSR, 0x10)  # user mode, flags clear (as dbt starts)
    uc.reg_write(U.UC_ARM_REG_SP, first_sp)
    accesses = []
    uc.hook_add(unicorn.UC_HOOK_MEM_WRITE,
                lambda uc, access, addr, size, value, data: accesses.append(
                    {"op": "w", "addr": addr, "size": size,
                     "value": value & ((1 << 8 * size) - 1)}))
    uc.hook_add(unicorn.UC_HOOK_MEM_READ,
                lambda uc, access, addr, size, value, data: accesses.append(
                    {"op": "r", "addr": addr, "size": size,
                     "value": int.from_bytes(uc.mem_read(addr, size), "little")}))

    def snapshot():
        cpsr = uc.reg_read(U.UC_ARM_REG_CPSR)
        regs = {n: uc.reg_read(i) for n, i in zip(names, ids)}
        regs.update({f: (cpsr >> b) & 1 for f, b in (("n", 31), ("z", 30), ("c", 29),
                                                       ("v", 28), ("q", 27))})
        return regs

    checked = 0
    for r in recs:
        assert uc.reg_read(U.UC_ARM_REG_PC) == r["pc"] or checked == 0
        before = snapshot()
        accesses.clear()
        if r["asm"] == "svc #0":
            # The kernel's part: take dbt's result (write() returns a count) and go on.
            for n, (_, new) in r["regs"].items():
                uc.reg_write(ids[names.index(n)], new)
            uc.reg_write(U.UC_ARM_REG_PC, r["pc"] + 4)
            continue
        uc.emu_start(r["pc"], 0, count=1)
        after = snapshot()
        changed = {n: [before[n], after[n]] for n in after if after[n] != before[n]}
        assert changed == r["regs"], (hex(r["pc"]), r["asm"])
        assert accesses == r["mem"], (hex(r["pc"]), r["asm"])
        checked += 1
    assert checked > 20000


@pytest.mark.parametrize("tier", TIERS)
def test_block_trace_filters(tmp_path, tier):
    s = symbols(LOOP)
    p, text = trace(tmp_path, LOOP, "--tier", tier, "--trace-blocks", "--trace-symbol",
                    "loop", "--trace-after", "100", "--trace-count", "3")
    assert p.returncode == 184
    # blocks: 0 _start, then mid, loop, mid, loop, ...: loop is every even block from 2
    assert [(int(f[0]), int(f[1], 16)) for f in map(str.split, text.splitlines())] == [
        (100, s["loop"]), (102, s["loop"]), (104, s["loop"])]
