"""The persistent translation cache (dbt/pcache.py): a second run reuses what the first
stored, and nothing stale, foreign or broken is ever used.  (Every test program also
runs warm in tests/test_programs.py, compared with qemu's output.)"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dbt.engine import Machine, Options
from dbt.ir import PackedBlock, pack_body, unpack_body
from dbt.pcache import SUFFIX, PersistentCache, trim

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "testbins/bin/armel/hello"


def dbt(*args, **kw):
    return subprocess.run([sys.executable, "-m", "dbt", *args], capture_output=True,
                          cwd=ROOT, timeout=300, **kw)


def run_machine(cache: Path | None, tier: str = "interp", program: Path = HELLO) -> Machine:
    opts = Options(tier=tier, cache_dir=str(cache) if cache else None)
    return Machine(str(program), [str(program).encode()], [], opts, out=open(os.devnull, "w"))


def test_ir_compact_form_round_trips():
    m = run_machine(None)
    blocks = [m.lift(m.key)]
    for pc in (m.image.entry, m.image.entry + 8):
        blocks.append(m.arch.lift(m.mem, pc))
    for b in blocks:
        assert unpack_body(pack_body(b.body)) == b.body


def test_warm_run_reuses_blocks_and_matches(tmp_path):
    cache = tmp_path / "c"
    outs = []
    for _ in range(2):
        stats = tmp_path / "s.json"
        r = dbt("run", "--cache-dir", str(cache), "--stats-json", str(stats), str(HELLO))
        assert r.returncode == 0, r.stderr
        outs.append((r.stdout, json.loads(stats.read_text())))
    (out1, s1), (out2, s2) = outs
    assert out1 == out2 == b"Hello, world!\n"
    assert s1["persistent"]["blocks_reused"] == 0
    assert s2["persistent"]["blocks_reused"] == s2["blocks"]["translated"] > 100
    assert s2["persistent"]["file"].startswith(str(cache))
    assert len(list(cache.glob(f"*{SUFFIX}"))) == 1


def test_no_cache_writes_nothing(tmp_path):
    r = dbt("run", "--no-cache", "--cache-dir", str(tmp_path / "c"), "--stats", str(HELLO))
    assert r.returncode == 0
    assert b"persistent cache               off" in r.stderr
    assert not (tmp_path / "c").exists()


def test_changed_guest_bytes_are_not_reused(tmp_path):
    cache = tmp_path / "c"
    r = dbt("run", "--cache-dir", str(cache), str(HELLO))
    assert r.returncode == 0
    m = run_machine(cache)
    # A block that ran more than once (compiled, so its code object is cached too).
    pc = min(p for (p, mode), e in m.pcache.blocks.items()
             if mode == 0 and e[4] is not None and len(e[1]) >= 2)
    block = m.pcache.lookup(pc, 0, m.mem)
    assert isinstance(block, PackedBlock) and block.artifact is not None
    assert block.body == m.arch.lift(m.mem, pc).body
    original = m.mem.peek(pc + 4, 4)
    m.mem.poke(pc + 4, b"\x00\x00\xa0\xe1")  # the second instruction becomes a nop
    assert m.pcache.lookup(pc, 0, m.mem) is None
    m.mem.poke(pc + 4, original)
    assert m.pcache.lookup(pc, 0, m.mem) is not None
    m.mem.protect(pc & ~0xFFF, 0x1000, 1)  # readable, no longer executable
    assert m.pcache.lookup(pc, 0, m.mem) is None


def test_other_version_or_garbage_is_ignored_and_replaced(tmp_path):
    cache = tmp_path / "c"
    assert dbt("run", "--cache-dir", str(cache), str(HELLO)).returncode == 0
    (path,) = cache.glob(f"*{SUFFIX}")
    for junk in (b"not a cache file", b""):
        path.write_bytes(junk)
        stats = tmp_path / "s.json"
        r = dbt("run", "--cache-dir", str(cache), "--stats-json", str(stats), str(HELLO))
        assert r.returncode == 0 and r.stdout == b"Hello, world!\n"
        assert b"Traceback" not in r.stderr
        assert json.loads(stats.read_text())["persistent"]["blocks_reused"] == 0
        assert path.stat().st_size > 10000  # rewritten whole
    pc = PersistentCache(cache, str(HELLO), "armel")
    assert pc.blocks
    pc.version = "something else"
    pc.blocks = {}
    pc._load()
    assert pc.blocks == {}


def test_unwritable_cache_dir_is_reported_and_the_guest_unaffected(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = dbt("run", "--cache-dir", str(blocker / "sub"), str(HELLO))
    assert r.returncode == 0 and r.stdout == b"Hello, world!\n"
    assert b"dbt: translation cache" in r.stderr and b"not saved" in r.stderr
    assert b"Traceback" not in r.stderr


def test_trim_drops_least_recently_used(tmp_path):
    now = time.time()
    for i, name in enumerate(("old", "mid", "new")):
        p = tmp_path / f"{name}{SUFFIX}"
        p.write_bytes(b"x" * 1000)
        os.utime(p, (now - 100 + i, now - 100 + i))
    (tmp_path / "other.txt").write_bytes(b"y" * 5000)
    trim(tmp_path, 2500, keep=tmp_path / f"old{SUFFIX}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"new{SUFFIX}", f"old{SUFFIX}", "other.txt"]


@pytest.mark.parametrize("arch", ["armel", "ppc"])
def test_jit_warm_run_reuses_native_code(tmp_path, arch):
    prog = ROOT / f"testbins/bin/{arch}/hello"
    cache = tmp_path / "c"
    seen = []
    for _ in range(2):
        stats = tmp_path / "s.json"
        r = dbt("run", "--tier", "jit", "--cache-dir", str(cache), "--stats-json",
                str(stats), str(prog))
        assert r.returncode == 0 and r.stdout == b"Hello, world!\n", r.stderr
        seen.append(json.loads(stats.read_text())["persistent"])
    assert seen[0]["native_reused"] == 0
    assert seen[1]["native_reused"] > 10
