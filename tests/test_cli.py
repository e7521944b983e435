"""User-facing errors: one clear line on stderr, status 1, no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "testbins/bin/armel/hello"


def dbt(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dbt", *args], capture_output=True,
                          text=True, timeout=120, **kw)


def check_error(r: subprocess.CompletedProcess, fragment: str) -> None:
    assert r.returncode == 1, r
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("dbt: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in r.stderr


def test_missing_file(tmp_path: Path) -> None:
    check_error(dbt("run", str(tmp_path / "nope")), "no such file")


def test_directory(tmp_path: Path) -> None:
    check_error(dbt("run", str(tmp_path)), "is a directory")


def test_not_elf(tmp_path: Path) -> None:
    p = tmp_path / "script.sh"
    p.write_text("#!/bin/sh\necho hi\n")
    check_error(dbt("run", str(p)), "not an ELF")


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty"
    p.write_bytes(b"")
    check_error(dbt("run", str(p)), "not an ELF")


def test_host_elf() -> None:
    check_error(dbt("run", sys.executable if os.path.exists(sys.executable) else "/bin/ls"),
                "x86-64 ELF; dbt runs")


def test_truncated_elf(tmp_path: Path) -> None:
    p = tmp_path / "trunc"
    p.write_bytes(HELLO.read_bytes()[:200])
    check_error(dbt("run", str(p)), "truncated")


def test_inconsistent_segment(tmp_path: Path) -> None:
    data = bytearray(HELLO.read_bytes())
    phoff = int.from_bytes(data[28:32], "little")
    phnum = int.from_bytes(data[44:46], "little")
    # The first PT_LOAD's p_filesz (offset 16 in an Elf32_Phdr) made huge.
    load = next(phoff + 32 * i for i in range(phnum)
                if int.from_bytes(data[phoff + 32 * i:phoff + 32 * i + 4], "little") == 1)
    data[load + 16:load + 20] = (0x7FFFFFF0).to_bytes(4, "little")
    p = tmp_path / "bad"
    p.write_bytes(bytes(data))
    check_error(dbt("run", str(p)), "ELF")


@pytest.mark.skipif(shutil.which("arm-linux-gnueabi-gcc") is None and
                    not Path("/usr/arm-linux-gnueabi/lib/ld-linux.so.3").exists(),
                    reason="needs an ARM dynamic binary")
def test_dynamic(tmp_path: Path) -> None:
    src = tmp_path / "d.c"
    src.write_text("int main(void){return 0;}\n")
    out = tmp_path / "d"
    subprocess.run(["arm-linux-gnueabi-gcc", "-o", str(out), str(src)], check=True)
    check_error(dbt("run", str(out)), "dynamically linked")


def test_bad_option() -> None:
    r = dbt("run", "--tier", "nonsense", str(HELLO))
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_bad_env_option() -> None:
    check_error(dbt("run", "-E", "NOEQUALS", str(HELLO)), "VAR=VALUE")


def test_unwritable_outputs_fail_before_running(tmp_path: Path) -> None:
    for option in ("--stats-json", "--profile-out", "--trace"):
        r = dbt("run", option, str(tmp_path / "missing-dir" / "out"), str(HELLO))
        check_error(r, "No such file or directory")


def test_trace_filters_need_trace() -> None:
    check_error(dbt("run", "--trace-count", "5", str(HELLO)), "need --trace")


def test_bad_trace_range() -> None:
    check_error(dbt("run", "--trace", "-", "--trace-range", "zz", str(HELLO)), "LO-HI")


@pytest.mark.parametrize("tier", ["interp", "jit", "auto"])
def test_ctrl_c_stops_a_spinning_guest(tier: str) -> None:
    """^C reaches dbt even while a native loop runs (status 130, like a shell)."""
    import signal
    import time
    p = subprocess.Popen([sys.executable, "-m", "dbt", "run", "--tier", tier,
                          str(ROOT / "testbins/bin/armel/spin")], stderr=subprocess.PIPE)
    try:
        time.sleep(2)  # long enough for the auto tier to compile the loop
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=20) == 130
        assert b"Traceback" not in p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
