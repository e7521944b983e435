"""--stats / --stats-json / --tb-cache-size on testbins/bin/armel/loop_count, whose
shape is known: 4 blocks (_start: 4 instructions once; mid: 2, 1000 times; loop: 2,
999 times; done: 3, once) -- 4005 instructions in 2001 block executions, exit 184."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dbt.engine import available_tiers

ROOT = Path(__file__).resolve().parent.parent
LOOP = ROOT / "testbins" / "bin" / "armel" / "loop_count"
HELLO = ROOT / "testbins" / "bin" / "armel" / "hello"
TIERS = available_tiers()
INSNS = 4 + 2 * 1000 + 2 * 999 + 3
BLOCKS = 1 + 1000 + 999 + 1


def symbols(path):
    """name -> address from the ELF symbol table (pyelftools, not dbt's loader)."""
    from elftools.elf.elffile import ELFFile
    with open(path, "rb") as f:
        return {s.name: s["st_value"] for s in ELFFile(f).get_section_by_name(".symtab")
                .iter_symbols() if s.name}


def run_stats(tmp_path, prog, *opts):
    out = tmp_path / "stats.json"
    p = subprocess.run([sys.executable, "-m", "dbt", "run", "--stats", "--stats-json",
                        str(out), *opts, str(prog)], capture_output=True, cwd=ROOT,
                       timeout=300, check=False)
    return p, json.loads(out.read_text())


@pytest.mark.parametrize("tier", TIERS)
def test_counts_from_first_principles(tmp_path, tier):
    p, d = run_stats(tmp_path, LOOP, "--tier", tier)
    assert p.returncode == 184 and p.stdout == b""
    assert d["schema"] == "dbt-stats/1" and d["exit_status"] == 184
    ins, bl, c, tr = d["instructions"], d["blocks"], d["cache"], d["transfers"]
    assert ins["total"] == INSNS == ins["interpreted"] + ins["native"]
    assert bl["executed"] == BLOCKS
    # Every dispatch is a lookup; a lookup that finds nothing is a miss.
    assert c["hits"] + c["misses"] == c["lookups"]
    assert c["hit_rate"] == pytest.approx(c["hits"] / c["lookups"])
    assert tr["looked_up"] == c["lookups"]
    assert tr["looked_up"] + tr["chained"] == BLOCKS
    assert c["invalidations"] == 0 and c["evictions"] == 0 and d["syscalls"] == 1
    assert bl["translated"] == 4
    if tier == "jit":
        # Every block is native: each dispatch returns to Python once, and the one
        # syscall (exit) is a return for that reason.
        assert sum(d["returns"].values()) == c["lookups"]
        assert d["returns"]["syscall"] == 1
        assert set(d["returns"]) <= {"syscall", "target not native"}
    if tier == "interp":
        assert d["returns"] == {}
        assert ins["native"] == 0 and tr["chained"] == 0 and bl["compiled"] == 0
        assert c["lookups"] == BLOCKS and c["misses"] == 4
        assert c["hits"] == BLOCKS - 4
    else:
        assert bl["compiled"] >= 1 and ins["native"] > 0
    if tier == "jit":
        assert ins["interpreted"] == 0
    hot = d["hot_blocks"]
    sym = symbols(LOOP)
    assert [(h["pc"], h["executions"]) for h in hot[:2]] == [(sym["mid"], 1000),
                                                              (sym["loop"], 999)]
    assert hot[0]["symbol"] == "mid" and hot[1]["symbol"] == "loop"
    assert hot[0]["share"] == pytest.approx(2000 / INSNS)
    assert [t for _, _, t in hot[0]["disasm"]] == ["subs r1, r1, #1",
                                                    f"bne #{sym['loop']:#x}"]
    t = d["time"]
    assert all(t[k] >= 0 for k in ("wall", "lift", "compile", "syscalls", "interpret",
                                    "native", "dispatch"))
    assert d["peak_rss_kib"] > 0
    text = p.stderr.decode()
    assert re.search(rf"guest instructions +{INSNS:,} ", text)
    assert re.search(rf"cache hits +{c['hits']:,} ", text)
    assert f"{sym['mid']:#010x} mid" in text and "subs r1, r1, #1" in text


@pytest.mark.parametrize("size, misses, evictions", [(1, BLOCKS, BLOCKS - 1), (2, 4, 2),
                                                     (0, 4, 0)])
def test_bounded_cache_fifo(tmp_path, size, misses, evictions):
    # FIFO: with room for one block, the loop's two blocks evict each other on every
    # transfer; with two, only `_start` and then `mid` (the oldest) are evicted.
    p, d = run_stats(tmp_path, LOOP, "--tier", "interp", "--tb-cache-size", str(size))
    assert p.returncode == 184
    c = d["cache"]
    assert (c["capacity"], c["misses"], c["evictions"]) == (size, misses, evictions)
    assert c["hits"] == BLOCKS - misses
    assert d["instructions"]["total"] == INSNS


@pytest.mark.parametrize("tier", TIERS)
def test_bounded_cache_keeps_behaviour(tmp_path, tier):
    p, d = run_stats(tmp_path, HELLO, "--tier", tier, "--tb-cache-size", "256")
    plain = subprocess.run([sys.executable, "-m", "dbt", "run", "--tier", tier, str(HELLO)],
                           capture_output=True, cwd=ROOT, timeout=300, check=False)
    assert (p.returncode, p.stdout) == (plain.returncode, plain.stdout)
    assert d["cache"]["evictions"] > 0 and d["blocks"]["live"] <= 256
    assert d["hot_blocks"][0]["symbol"]  # glibc has function symbols


def parse_callgrind(text):
    """A validating reader of the callgrind format (valgrind's "Callgrind Format
    Specification"): header lines, then ob/fl/fn specifications and cost lines of
    `positions` position columns followed by at most len(events) counts.  Returns
    ({header: value}, {function: {position: cost}})."""
    lines = text.splitlines()
    assert lines[0] == "# callgrind format"
    header, costs = {}, {}
    fn = None
    last_pos = None
    for line in lines[1:]:
        if not line.strip() or line.startswith("#"):
            continue
        m = re.fullmatch(r"(version|creator|cmd|pid|thread|part|desc|positions|events"
                         r"|summary|totals|event): ?(.*)", line)
        if m:
            assert m[1] not in ("positions", "events") or not costs, "header after costs"
            header[m[1]] = m[2]
            continue
        m = re.fullmatch(r"(c?ob|c?fl|fi|fe|c?fn)=(\(\d+\))? ?(.*)", line)
        if m:
            if m[1] == "fn":
                fn = m[3]
                costs.setdefault(fn, {})
            continue
        npos = len(header["positions"].split())
        events = header["events"].split()
        fields = line.split()
        assert fn is not None, f"cost line outside a function: {line!r}"
        assert npos < len(fields) <= npos + len(events), line
        pos = fields[0]
        if pos.startswith(("+", "-")):
            value = last_pos + int(pos, 0)
        elif pos == "*":
            value = last_pos
        else:
            value = int(pos, 0)
        last_pos = value
        counts = [int(x) for x in fields[npos:]]
        assert all(c >= 0 for c in counts)
        costs[fn][value] = costs[fn].get(value, 0) + counts[0]
    assert header.get("version") == "1" and header["positions"] == "instr"
    assert header["events"] == "Ir"
    total = sum(sum(c.values()) for c in costs.values())
    assert int(header["summary"]) == total == int(header.get("totals", total))
    return header, costs


@pytest.mark.parametrize("tier", TIERS)
def test_profile_out_callgrind(tmp_path, tier):
    out = tmp_path / "callgrind.out"
    p = subprocess.run([sys.executable, "-m", "dbt", "run", "--tier", tier,
                        "--profile-out", str(out), str(LOOP)], capture_output=True,
                       cwd=ROOT, timeout=300, check=False)
    assert p.returncode == 184
    header, costs = parse_callgrind(out.read_text())
    sym = symbols(LOOP)
    assert int(header["summary"]) == INSNS
    # loop's two instructions run 999 times as their own block, once in _start's.
    assert costs["loop"] == {sym["loop"]: 1000, sym["loop"] + 4: 1000}
    assert costs["mid"] == {sym["mid"]: 1000, sym["mid"] + 4: 1000}
    assert sum(costs["_start"].values()) == 2 and sum(costs["done"].values()) == 3


@pytest.mark.skipif(shutil.which("callgrind_annotate") is None,
                    reason="valgrind's callgrind_annotate is not installed")
def test_profile_opens_in_callgrind_annotate(tmp_path):
    out = tmp_path / "callgrind.out"
    subprocess.run([sys.executable, "-m", "dbt", "run", "--tier", "auto",
                    "--profile-out", str(out), str(HELLO)], capture_output=True,
                   cwd=ROOT, timeout=300, check=True)
    _, costs = parse_callgrind(out.read_text())
    a = subprocess.run(["callgrind_annotate", str(out)], capture_output=True, text=True,
                       check=True)
    total = sum(sum(c.values()) for c in costs.values())
    assert re.search(rf"^{total:,} \(100\.0%\) +PROGRAM TOTALS$", a.stdout, re.MULTILINE)
    top = max(costs, key=lambda f: sum(costs[f].values()))
    assert re.search(rf"^{sum(costs[top].values()):,} \([\d.]+%\) +\?\?\?:{top} ",
                     a.stdout, re.MULTILINE)


def test_invalidation_counted_in_every_tier(tmp_path):
    # arm_smc rewrites a hot function and flushes it with cacheflush: one block is
    # invalidated, and every tier runs the same instructions.
    prog = ROOT / "testbins" / "bin" / "armel" / "arm_smc"
    totals = set()
    for tier in TIERS:
        p, d = run_stats(tmp_path, prog, "--tier", tier)
        assert p.returncode == 0 and p.stdout.endswith(b"after patch  = 000007d0\n")
        c = d["cache"]
        assert c["invalidations"] == 1 and c["hits"] + c["misses"] == c["lookups"]
        if tier == "interp":
            assert c["misses"] == d["blocks"]["translated"]  # each miss translates once
        totals.add(d["instructions"]["total"])
    assert len(totals) == 1
