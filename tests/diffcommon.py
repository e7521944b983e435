"""Pieces the ARM and PowerPC differential harnesses share."""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable

# Register values both harnesses favour: the edges of signed and unsigned arithmetic.
EDGES = (0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x80000001, 0xFFFFFFFE, 0x7FFF,
         0x8000, 0xFFFF, 0xFFFF8000, 0x10000, 0x00FF00FF)

# A state override: a fixed value, a pool to pick from, or a function of the rng.
Spec = int | tuple | list | Callable[[random.Random], int]


def pick(rng: random.Random, spec: Spec) -> int:
    if isinstance(spec, int):
        return spec
    if isinstance(spec, (tuple, list)):
        return rng.choice(spec)
    return spec(rng)


def value(rng: random.Random) -> int:
    """A register value: edge cases often, small numbers sometimes, else anything."""
    r = rng.random()
    if r < 0.4:
        return rng.choice(EDGES)
    if r < 0.55:
        return rng.randrange(0, 70)
    return rng.getrandbits(32)



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
