"""CPU state: one flat block of host memory whose layout the frontend declares.

Each slot has a name and an IR type; i1..i32 and f32 slots take 4 bytes, i64 and f64
slots 8 (naturally aligned).  The interpreter reaches slots through typed memoryviews
of the same bytes that native code gets a pointer to, so both tiers share one state."""

from __future__ import annotations

import ctypes
import mmap
from dataclasses import dataclass

from dbt.ir import F32, F64, I64, Ty

_VIEW = {F32: "f", F64: "d", I64: "Q"}


@dataclass(frozen=True)
class StateLayout:
    names: tuple[str, ...]
    types: tuple[Ty, ...]
    offsets: tuple[int, ...]
    size: int

    @classmethod
    def build(cls, slots: list[tuple[str, Ty]]) -> "StateLayout":
        offsets, off = [], 0
        for _, ty in slots:
            width = 8 if ty.bits == 64 else 4
            off = (off + width - 1) // width * width
            offsets.append(off)
            off += width
        return cls(tuple(n for n, _ in slots), tuple(t for _, t in slots), tuple(offsets),
                   (off + 15) // 16 * 16)

    def index(self, name: str) -> int:
        return self.names.index(name)

    def view_code(self, slot: int) -> str:
        """The memoryview format used to reach `slot` ('I', 'Q', 'f' or 'd')."""
        return _VIEW.get(self.types[slot], "I")

    def view_index(self, slot: int) -> int:
        return self.offsets[slot] // (8 if self.types[slot].bits == 64 else 4)


class CPUState:
    def __init__(self, layout: StateLayout) -> None:
        self.layout = layout
        # Page-aligned (native code is told the state is 16-byte aligned).  Private: an
        # anonymous mmap is shared by default, and a guest fork() needs its own copy.
        self.buf = mmap.mmap(-1, layout.size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self.address = ctypes.addressof(ctypes.c_char.from_buffer(self.buf))
        raw = memoryview(self.buf)
        self.views = {code: raw.cast(code) for code in ("I", "Q", "f", "d")}
        self._slot = {name: i for i, name in enumerate(layout.names)}

    def __getitem__(self, name: str) -> int | float:
        i = self._slot[name]
        return self.views[self.layout.view_code(i)][self.layout.view_index(i)]

    def __setitem__(self, name: str, value: int | float) -> None:
        i = self._slot[name]
        code = self.layout.view_code(i)
        if code in "IQ":
            value = int(value) & self.layout.types[i].mask
        self.views[code][self.layout.view_index(i)] = value
