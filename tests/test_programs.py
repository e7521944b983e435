"""Run the guest test programs under the translator and compare with qemu.

For each case in testbins/cases.toml, each arch in ARCHES that has a binary
and recorded expected files, and each tier in TIERS (plus "auto-warm" and "jit-warm": the tier run
twice with a fresh persistent translation cache, the second run from what the first one
stored -- both runs must match), this runs

    python -m dbt run --no-cache --tier TIER testbins/bin/ARCH/PROGRAM ARGS...

with a clean environment (PATH plus the case's env, like ``env -i``), the
case's stdin (or /dev/null), core dumps disabled, and compares stdout,
stderr and the exit status (128+N for death by signal N) with
testbins/expected/ARCH/CASE.{stdout,stderr,status}, which `make -C testbins
expected` recorded under qemu-user.  Test ids look like ``armel-hello-interp``.

Arches the engine does not support yet are skipped, not failed.  Every test
is an independent subprocess, so the file parallelizes with pytest-xdist
(``pytest -n auto tests/test_programs.py``).
"""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTBINS = ROOT / "testbins"
ARCHES = ("armel", "armhf", "ppc")
TIMEOUT = 300

# Recording and checking share the case rules (env, stdin, status) in record.py.
_spec = importlib.util.spec_from_file_location("testbins_record", TESTBINS / "record.py")
record = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(record)

from dbt.engine import available_tiers, supported_arches  # noqa: E402

TIERS = list(available_tiers())
# Warm runs: the tiers whose translations the persistent cache stores (interpreter code
# in auto, native objects in both).
WARM = [f"{t}-warm" for t in ("auto", "jit") if t in TIERS]
SUPPORTED = set(supported_arches())
# Cases that exercise something not built yet: they must fail today (strict xfail), so
# the day they pass the marker has to go.
KNOWN_GAPS: dict[str, str] = {}


def _params():
    params = []
    for case in record.load_cases():
        for arch in ARCHES:
            if arch not in case["arches"]:
                continue
            if not record.binary_path(case, arch).exists():
                continue
            if not all(p.exists() for p in record.expected_paths(case, arch).values()):
                continue
            for tier in TIERS + WARM:
                gap = KNOWN_GAPS.get(case["name"])
                marks = [pytest.mark.xfail(reason=gap, strict=True)] if gap else []
                params.append(pytest.param(case, arch, tier, marks=marks,
                                           id=f"{arch}-{case['name']}-{tier}"))
    return params


def _text(b):
    return b.decode("utf-8", errors="backslashreplace")


def _check_stream(name, got, want, context=""):
    if got == want:
        return
    # Compare as text first for a readable diff; fall back to raw bytes if
    # the decoded forms happen to be equal.
    assert _text(got) == _text(want), f"{name} differs{context}"
    assert got == want, f"{name} differs (bytes){context}"


@pytest.mark.parametrize("case, arch, tier", _params())
def test_program(case, arch, tier, tmp_path):
    if arch not in SUPPORTED:
        pytest.skip(f"arch {arch} not supported by dbt.engine yet")
    binary = record.binary_path(case, arch)
    expected = record.expected_paths(case, arch)
    if tier.endswith("-warm"):
        cache = tmp_path / "cache"
        opts = ["--tier", tier[:-len("-warm")], "--cache-dir", str(cache)]
        _run_and_check(case, binary, expected, opts)  # cold: fills the cache
        stats = tmp_path / "stats.json"
        _run_and_check(case, binary, expected, opts + ["--stats-json", str(stats)])
        persistent = json.loads(stats.read_text())["persistent"]
        assert persistent["blocks_reused"] > 0, persistent
    else:
        _run_and_check(case, binary, expected, ["--tier", tier, "--no-cache"])


def _run_and_check(case, binary, expected, opts):
    cmd = [sys.executable, "-m", "dbt", "run", *opts, str(binary), *case["args"]]
    sp = record.stdin_path(case)
    stdin = open(sp, "rb") if sp else subprocess.DEVNULL
    try:
        # cwd = repository root so that "-m dbt" finds the package without
        # adding PYTHONPATH to the (guest-visible) environment.
        p = subprocess.run(cmd, stdin=stdin, capture_output=True, env=record.case_env(case),
                           cwd=ROOT, timeout=TIMEOUT, preexec_fn=record._no_core)
    finally:
        if sp:
            stdin.close()
    status = record.shell_status(p.returncode)

    # On a stdout mismatch show what went to stderr (e.g. a translator
    # traceback) and the status too, since those are checked only afterwards.
    context = f"; exit status {status}; stderr (last 2000 bytes):\n{_text(p.stderr[-2000:])}"
    _check_stream("stdout", p.stdout, expected["stdout"].read_bytes(), context)
    _check_stream("stderr", p.stderr, expected["stderr"].read_bytes())
    want_status = int(expected["status"].read_text())
    assert status == want_status, f"exit status {status}, expected {want_status}"
