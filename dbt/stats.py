"""The statistics report printed by `--stats`."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from dbt.engine import Machine


def report(machine: "Machine", out: TextIO) -> None:
    tbs = machine.cache.all_blocks()
    cs = machine.cache.stats
    executed = sum(tb.executions for tb in tbs)
    insns = sum(tb.executions * tb.block.ninsns for tb in tbs)
    lookups = executed
    hits = lookups - cs.translated
    wall = time.perf_counter() - machine.stats.start
    lines = [
        "dbt statistics",
        f"  guest instructions   {insns}",
        f"  blocks executed      {executed}",
        f"  blocks translated    {cs.translated}",
        f"  cache lookups        {lookups}",
        f"  cache hits           {hits} ({100.0 * hits / lookups if lookups else 0:.2f}%)",
        f"  cache misses         {cs.translated}",
        f"  invalidations        {cs.invalidations}",
        f"  syscalls             {machine.stats.syscalls}",
        f"  translate time       {machine.stats.translate_time:.3f} s",
        f"  wall time            {wall:.3f} s",
        f"  guest insns/second   {insns / wall if wall else 0:,.0f}",
    ]
    print("\n".join(lines), file=out)
