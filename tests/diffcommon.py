"""Pieces the ARM and PowerPC differential harnesses share."""

from __future__ import annotations

import zlib


def seed_of(text: str) -> int:
    """A stable per-case seed, the same in every pytest-xdist worker."""
    return zlib.crc32(text.encode())


def data_difference(want: bytes, got: bytes, base: int) -> str | None:
    """One line describing where two data regions differ (None when equal)."""
    if want == got:
        return None
    bad = [i for i in range(len(want)) if want[i] != got[i]]
    lo, hi = bad[0] & ~3, min(bad[-1] + 4, bad[0] + 32) & ~3
    return (f"data differs at {len(bad)} bytes from {base + bad[0]:#x}: unicorn "
            f"{want[lo:hi].hex()} dbt {got[lo:hi].hex()} (from {base + lo:#x})")
