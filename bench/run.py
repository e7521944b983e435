"""Benchmark runner: each compute-bound guest program under dbt (per tier), qemu-user
(when installed) and as a native x86-64 build; checks that the outputs agree and prints
wall time, peak memory and ratios as a Markdown table.

    python bench/run.py [--arch armel] [--tiers auto,jit] [--runs 3] [--programs a,b]

Times are medians over --runs runs.  A tier runs without the persistent translation
cache (--no-cache: every run translates from scratch, as qemu does) unless it is named
TIER-warm: then one unmeasured run fills a fresh cache first and the measured runs start
from it (what a user re-running a test binary sees).  The interpreter tier is too slow for these
programs; its speed is reported as guest instructions per second on a tight integer
loop (bench-interp-loop, via --stats), unless --tiers names it explicitly.  dbt's
bytecode is written before anything is measured (compile_bytecode)."""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "testbins" / "bin"
QEMU = {"armel": "qemu-arm", "armhf": "qemu-arm", "ppc": "qemu-ppc"}


def run_once(cmd: list[str], timeout: float) -> tuple[float, bytes, int, str]:
    """(wall seconds, stdout, status, stderr) of one run."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise
    wall = time.perf_counter() - t0
    return wall, out, p.returncode, err.decode(errors="replace")


def measure(cmd: list[str], runs: int, timeout: float) -> dict:
    walls, rss, out, status = [], 0, b"", 0
    for _ in range(runs):
        # Run in a fresh helper process so ru_maxrss is this command's alone.
        helper = [sys.executable, __file__, "--measure-one", str(timeout), "--", *cmd]
        r = subprocess.run(helper, capture_output=True, timeout=timeout + 30)
        head, _, rest = r.stdout.partition(b"\n")
        if not head.startswith(b"OK "):
            return {"error": (r.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]}
        _, wall, peak, st = head.split()
        walls.append(float(wall))
        rss = max(rss, int(peak))
        out, status = rest, int(st)
    return {"wall": statistics.median(walls), "rss": rss, "out": out, "status": status}


def _measure_one(timeout: float, cmd: list[str]) -> None:
    import resource
    try:
        wall, out, status, err = run_once(cmd, timeout)
    except subprocess.TimeoutExpired:
        print(f"timeout after {timeout:.0f} s", file=sys.stderr)
        sys.exit(1)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stdout.buffer.write(f"OK {wall:.6f} {peak} {status}\n".encode() + out)
    if status != 0:
        sys.stderr.write(err)


def interp_speed(arch: str, runs: int) -> tuple[float, int] | None:
    """Interpreter guest instructions per second on bench-interp-loop: the count from
    one --stats-json run, the time from plain runs (the stats timers cost time)."""
    import json
    import tempfile
    prog = BIN / arch / "bench-interp-loop"
    if not prog.exists():
        return None
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run(dbt_cmd("interp", str(prog), None)[:-1] + ["--stats-json", f.name,
                                                                   str(prog)],
                       capture_output=True, timeout=600)
        insns = json.load(open(f.name))["instructions"]["total"]
    r = measure(dbt_cmd("interp", str(prog), None), runs, 600)
    if "wall" not in r:
        return None
    return insns / r["wall"], insns


def dbt_cmd(tier: str, guest: str, cache: str | None) -> list[str]:
    opts = ["--cache-dir", cache] if cache else ["--no-cache"]
    return [sys.executable, "-m", "dbt", "run", "--tier", tier, *opts, guest]


def measure_dbt(tier: str, guest: str, runs: int, timeout: float) -> dict:
    """`tier` or `tier-warm` (see the module docstring)."""
    import tempfile
    if not tier.endswith("-warm"):
        return measure(dbt_cmd(tier, guest, None), runs, timeout)
    with tempfile.TemporaryDirectory(prefix="dbt-bench-cache-") as cache:
        cmd = dbt_cmd(tier[:-len("-warm")], guest, cache)
        warmup = measure(cmd, 1, timeout)
        return warmup if "error" in warmup else measure(cmd, runs, timeout)


def hello_times(arch: str, runs: int) -> str | None:
    prog = BIN / arch / "hello"
    if not prog.exists():
        return None
    cold = measure(dbt_cmd("auto", str(prog), None), runs, 60)
    warm = measure_dbt("auto-warm", str(prog), runs, 60)
    if "wall" not in cold or "wall" not in warm:
        return None
    return (f"hello (dbt auto): {cold['wall']:.2f} s without the persistent cache, "
            f"{warm['wall']:.2f} s from a warm cache (median of {runs})")


def compile_bytecode() -> None:
    """Write the bytecode of dbt's modules, as an installed tool has it: pip writes it
    at install time, and Python on the first import -- unless the environment says not to
    (PYTHONDONTWRITEBYTECODE), in which case every measured run would compile dbt's
    sources again (~0.13 s) and time that instead of dbt."""
    import compileall
    import importlib.util
    for name in ("dbt", "dbt.backends", "dbt.frontends"):
        spec = importlib.util.find_spec(name)
        for d in (spec.submodule_search_locations or []) if spec else []:
            compileall.compile_dir(d, quiet=1)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--measure-one":
        _measure_one(float(sys.argv[2]), sys.argv[4:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", default="armel")
    ap.add_argument("--tiers", default="auto,auto-warm,jit")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--programs", default="")
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()
    tiers = [t for t in args.tiers.split(",") if t]
    progs = sorted(p.name for p in (BIN / args.arch).glob("bench-*")
                   if p.name != "bench-interp-loop")
    if args.programs:
        wanted = {f"bench-{p}" if not p.startswith("bench-") else p
                  for p in args.programs.split(",")}
        progs = [p for p in progs if p in wanted]
    compile_bytecode()
    qemu = shutil.which(QEMU[args.arch])
    cols = [f"dbt {t}" for t in tiers] + (["qemu"] if qemu else []) + ["native"]
    print(f"arch {args.arch}, median of {args.runs} runs; wall seconds (peak RSS MiB)\n")
    head = "| program | " + " | ".join(cols) + " | " + " | ".join(
        f"{t}/qemu" for t in tiers if qemu) + " |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    ratios: dict[str, list[float]] = {t: [] for t in tiers}
    for prog in progs:
        guest = str(BIN / args.arch / prog)
        results = {}
        for t in tiers:
            results[f"dbt {t}"] = measure_dbt(t, guest, args.runs, args.timeout)
        if qemu:
            results["qemu"] = measure([qemu, guest], args.runs, args.timeout)
        native = BIN / "native" / prog
        results["native"] = (measure([str(native)], args.runs, args.timeout)
                             if native.exists() else {"error": "no native build"})
        ref = results.get("qemu") or results["native"]
        cells = []
        for c in cols:
            r = results[c]
            if "error" in r:
                cells.append(f"error: {r['error'][:40]}")
                continue
            mark = "" if "out" not in ref or r["out"] == ref["out"] else " MISMATCH"
            cells.append(f"{r['wall']:.2f} ({r['rss'] / 1024:.0f}){mark}")
        rcells = []
        if qemu:
            for t in tiers:
                a, q = results[f"dbt {t}"], results["qemu"]
                if "wall" in a and "wall" in q:
                    ratios[t].append(a["wall"] / q["wall"])
                    rcells.append(f"{a['wall'] / q['wall']:.2f}")
                else:
                    rcells.append("-")
        print(f"| {prog} | " + " | ".join(cells) + (" | " + " | ".join(rcells) if rcells else "")
              + " |")
    if qemu:
        for t in tiers:
            if ratios[t]:
                g = math.exp(sum(map(math.log, ratios[t])) / len(ratios[t]))
                print(f"\ngeometric mean dbt {t}/qemu: {g:.2f}")
    hello = hello_times(args.arch, max(args.runs, 5))
    if hello:
        print(f"\n{hello}")
    speed = interp_speed(args.arch, args.runs)
    if speed:
        print(f"\ninterpreter: {speed[0] / 1e6:.2f} M guest instructions/s "
              f"(bench-interp-loop: {speed[1]:,} instructions, including start-up; "
              f"median of {args.runs})")


if __name__ == "__main__":
    main()
