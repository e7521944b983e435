#!/usr/bin/env python3
"""Record reference results for the guest test programs under qemu-user.

For every case in cases.toml and every arch that has a binary, runs
``qemu-arm`` / ``qemu-ppc`` with the case's arguments, stdin and a clean
environment (only PATH plus the case's env), in a scratch working
directory, and writes expected/<arch>/<case>.stdout, .stderr and .status.
The status is what a shell reports: the exit code, or 128+N for a death by
signal N.  qemu's own "qemu: uncaught target signal ..." line is dropped
from stderr, since it is not something the guest program printed.

tests/test_programs.py imports load_cases(), case_env() and friends from
this file so that recording and checking use the same rules.

Usage: record.py [--arch ARCH ...] [CASE ...]
"""
import argparse
import resource
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARCHES = ("armel", "armhf", "ppc")
QEMU = {"armel": "qemu-arm", "armhf": "qemu-arm", "ppc": "qemu-ppc"}
BASE_ENV = {"PATH": "/usr/bin:/bin"}
TIMEOUT = 120


def load_cases(path=HERE / "cases.toml"):
    """Return a list of case dicts with every key filled in."""
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    cases = []
    for name, spec in raw.items():
        unknown = set(spec) - {"program", "args", "stdin", "env", "arches"}
        if unknown:
            raise ValueError(f"case {name}: unknown keys {sorted(unknown)}")
        arches = list(spec.get("arches", ARCHES))
        bad = set(arches) - set(ARCHES)
        if bad:
            raise ValueError(f"case {name}: unknown arches {sorted(bad)}")
        cases.append({
            "name": name,
            "program": spec.get("program", name),
            "args": [str(a) for a in spec.get("args", [])],
            "stdin": spec.get("stdin"),
            "env": {str(k): str(v) for k, v in spec.get("env", {}).items()},
            "arches": arches,
        })
    return cases


def case_env(case):
    env = dict(BASE_ENV)
    env.update(case["env"])
    return env


def binary_path(case, arch):
    return HERE / "bin" / arch / case["program"]


def stdin_path(case):
    return HERE / case["stdin"] if case["stdin"] else None


def expected_paths(case, arch):
    base = HERE / "expected" / arch / case["name"]
    return {k: base.with_name(f"{case['name']}.{k}") for k in ("stdout", "stderr", "status")}


def shell_status(returncode):
    return 128 - returncode if returncode < 0 else returncode


def strip_qemu_noise(stderr):
    lines = stderr.splitlines(keepends=True)
    return b"".join(line for line in lines
                    if not line.startswith(b"qemu: uncaught target signal"))


def _no_core():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_case(cmd, case, timeout=TIMEOUT):
    """Run cmd (argv list) the way a case says; return (stdout, stderr, status)."""
    sp = stdin_path(case)
    with tempfile.TemporaryDirectory(prefix="dbt-case-") as cwd:
        stdin = open(sp, "rb") if sp else subprocess.DEVNULL
        try:
            p = subprocess.run(cmd, stdin=stdin, capture_output=True, env=case_env(case),
                               cwd=cwd, timeout=timeout, preexec_fn=_no_core)
        finally:
            if sp:
                stdin.close()
    return p.stdout, p.stderr, shell_status(p.returncode)


# mffs-family (primary opcode 63, extended opcode 583) variants, selected by
# instruction bits 11-15 in IBM numbering, i.e. (w >> 16) & 31: mffsce=1,
# mffscdrn=20, mffscdrni=21, mffscrn=22, mffscrni=23, mffsl=24.  Plain mffs
# has 0 there (and 0 in the FRB/immediate field, bits 16-20 = (w >> 11) & 31).
_MFFS_VARIANTS = {1, 20, 21, 22, 23, 24}


def patch_ppc_mffs(data):
    """Return (patched bytes, count) with ISA 3.0 mffs variants made plain mffs."""
    data = bytearray(data)
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 2:
        return bytes(data), 0  # not ELF32 big-endian
    shoff = int.from_bytes(data[0x20:0x24], "big")
    shentsize = int.from_bytes(data[0x2E:0x30], "big")
    shnum = int.from_bytes(data[0x30:0x32], "big")
    count = 0
    for i in range(shnum):
        sh = shoff + i * shentsize
        sh_type = int.from_bytes(data[sh + 4:sh + 8], "big")
        flags = int.from_bytes(data[sh + 8:sh + 12], "big")
        offset = int.from_bytes(data[sh + 16:sh + 20], "big")
        size = int.from_bytes(data[sh + 20:sh + 24], "big")
        if sh_type != 1 or not flags & 0x4:  # PROGBITS + SHF_EXECINSTR
            continue
        for off in range(offset, offset + size - 3, 4):
            w = int.from_bytes(data[off:off + 4], "big")
            if w >> 26 == 63 and (w >> 1) & 0x3FF == 583 and (w >> 16) & 0x1F in _MFFS_VARIANTS:
                w &= ~(0x1F << 11) & ~(0x1F << 16) & 0xFFFFFFFF  # drop variant + FRB/imm
                data[off:off + 4] = w.to_bytes(4, "big")
                count += 1
    return bytes(data), count


def record(case, arch):
    binary = binary_path(case, arch)
    if arch == "ppc":
        patched, n = patch_ppc_mffs(binary.read_bytes())
        if n:
            with tempfile.TemporaryDirectory(prefix="dbt-ppc-") as tmp:
                copy = Path(tmp) / case["program"]
                copy.write_bytes(patched)
                copy.chmod(0o755)
                out, err, status = run_case([QEMU[arch], str(copy), *case["args"]], case)
            return _save(case, arch, out, err, status)
    out, err, status = run_case([QEMU[arch], str(binary), *case["args"]], case)
    return _save(case, arch, out, err, status)


def _save(case, arch, out, err, status):
    err = strip_qemu_noise(err)
    paths = expected_paths(case, arch)
    paths["stdout"].parent.mkdir(parents=True, exist_ok=True)
    paths["stdout"].write_bytes(out)
    paths["stderr"].write_bytes(err)
    paths["status"].write_text(f"{status}\n")
    return status


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", action="append", choices=ARCHES)
    ap.add_argument("cases", nargs="*")
    opts = ap.parse_args()
    arches = opts.arch or ARCHES
    cases = load_cases()
    names = {c["name"] for c in cases}
    for c in opts.cases:
        if c not in names:
            ap.error(f"unknown case {c}")
    n = 0
    for case in cases:
        if opts.cases and case["name"] not in opts.cases:
            continue
        for arch in arches:
            if arch not in case["arches"]:
                continue
            if not binary_path(case, arch).exists():
                print(f"skip {arch}/{case['name']}: no binary", file=sys.stderr)
                continue
            status = record(case, arch)
            n += 1
            print(f"{arch}/{case['name']}: status {status}")
    print(f"recorded {n} results")


if __name__ == "__main__":
    main()
