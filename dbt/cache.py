"""Translation cache: guest block key (pc with ISA mode bits) -> translated block."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from dbt.ir import Block


@dataclass(eq=False)
class TB:
    """A translated block: its IR and the callable that executes it."""

    key: int
    block: Block
    fn: Callable[[], int]
    tier: str
    count: int = 0          # executions dispatched from Python
    start: int = 0
    end: int = 0
    counters: object = None  # native execution counter array (native code only)
    index: int = 0

    @property
    def executions(self) -> int:
        return self.count + (self.counters[self.index] if self.counters is not None else 0)


@dataclass
class CacheStats:
    lookups: int = 0
    misses: int = 0
    translated: int = 0
    invalidations: int = 0


class TranslationCache:
    def __init__(self) -> None:
        self.blocks: dict[int, TB] = {}
        self.stats = CacheStats()
        # Blocks retired by invalidation keep their counts for the statistics.
        self.retired: list[TB] = []

    def insert(self, tb: TB) -> None:
        self.blocks[tb.key] = tb
        self.stats.translated += 1

    def invalidate(self, start: int, end: int) -> list[int]:
        """Drop every block with guest code in [start, end); returns their keys."""
        stale = [k for k, tb in self.blocks.items() if tb.start < end and tb.end > start]
        for k in stale:
            self.retired.append(self.blocks.pop(k))
        self.stats.invalidations += len(stale)
        return stale

    def all_blocks(self) -> list[TB]:
        return [*self.retired, *self.blocks.values()]
