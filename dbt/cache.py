"""Translation cache: guest block key (pc with ISA mode bits) -> translated block."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
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
    # Executions interpreted before the block went native (`count` then): native code
    # counts every later entry itself, including the ones Python dispatches.
    interp: int = 0
    native_base: int = 0  # native executions counted by code the block has since left
    # --tier auto, a block with an indirect jump (dbt.ir.indirect_jump): the keys the
    # dispatch loop has seen run after it (the region compiler may follow them).
    observed: set[int] | None = None

    @property
    def native_executions(self) -> int:
        return self.native_base + (self.counters[self.index] if self.counters is not None
                                   else 0)

    @property
    def executions(self) -> int:
        if self.counters is None:
            return self.count
        return self.interp + self.native_executions


@dataclass
class CacheStats:
    lookups: int = 0
    misses: int = 0
    translated: int = 0
    invalidations: int = 0
    evictions: int = 0


class TranslationCache:
    """`capacity` > 0 bounds the number of live blocks.  Eviction policy: FIFO -- when a
    translation takes the cache over capacity, the blocks translated longest ago go
    first (the dict keeps insertion order, so this is O(1) per block); an evicted block
    is simply retranslated on its next miss."""

    def __init__(self, capacity: int = 0) -> None:
        self.blocks: dict[int, TB] = {}
        self.capacity = capacity
        self.stats = CacheStats()
        # Blocks retired by invalidation or eviction keep their counts for the statistics.
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

    def drop(self, keys: set[int]) -> list[int]:
        """Invalidate the blocks with these keys (those still cached); returns them."""
        out = [k for k in keys if k in self.blocks]
        for k in out:
            self.retired.append(self.blocks.pop(k))
        self.stats.invalidations += len(out)
        return out

    def evict(self, keep: set[int] | frozenset[int] = frozenset()) -> list[int]:
        """Evict the oldest blocks (never those in `keep`, the batch just installed)
        until the cache is within capacity; returns their keys."""
        if not self.capacity or len(self.blocks) <= self.capacity:
            return []
        out = []
        oldest = list(islice(self.blocks, len(self.blocks) - self.capacity + len(keep)))
        for k in oldest:
            if len(self.blocks) <= self.capacity:
                break
            if k not in keep:
                self.retired.append(self.blocks.pop(k))
                out.append(k)
        self.stats.evictions += len(out)
        return out

    def all_blocks(self) -> list[TB]:
        return [*self.retired, *self.blocks.values()]
