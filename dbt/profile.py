"""`--profile-out FILE`: the guest's instruction profile in callgrind format, which
KCachegrind / QCachegrind open (File > Open, or `kcachegrind FILE`) and
`callgrind_annotate FILE` prints.

Each executed guest instruction is a cost line (`positions: instr`: the address, then
the event count) under the function (ELF symbol) that contains it; the one event, Ir,
is instructions executed, counted per block (TB.executions, every tier) and given to
each instruction of the block.  Code outside any symbol is grouped per block as
`0x<pc>`.  No call edges: the profile is flat (self cost = inclusive cost).

Format reference: valgrind's docs/callgrind-format (Callgrind Format Specification)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbt.stats import symbolize

if TYPE_CHECKING:
    from dbt.engine import Machine


def instruction_counts(machine: Machine) -> tuple[dict[int, int], dict[int, int]]:
    """Guest instruction address -> times executed, and -> the lowest start of a block
    that contains it."""
    counts: dict[int, int] = {}
    owner: dict[int, int] = {}
    for tb in machine.cache.all_blocks():
        n = tb.executions
        if not n or not tb.block.ninsns:
            continue
        for pc, _, _ in machine.arch.disasm(machine.mem, tb.key, tb.block.ninsns):
            counts[pc] = counts.get(pc, 0) + n
            owner[pc] = min(owner.get(pc, tb.start), tb.start)
    return counts, owner


def write_callgrind(machine: Machine, path: str, argv: list[str] | None = None) -> None:
    counts, owner = instruction_counts(machine)
    by_fn: dict[str, list[tuple[int, int]]] = {}
    for pc in sorted(counts):
        sym = symbolize(machine, pc)
        name = sym.split("+")[0] if sym else None
        by_fn.setdefault(name or f"{owner[pc]:#x}", []).append((pc, counts[pc]))
    image = getattr(machine, "image", None)
    program = image.path if image is not None else "???"
    total = sum(counts.values())
    with open(path, "w") as f:
        f.write("# callgrind format\nversion: 1\ncreator: dbt\n")
        f.write(f"cmd: {' '.join(argv or [program])}\n")
        f.write("positions: instr\nevents: Ir\n")
        f.write(f"summary: {total}\n\n")
        f.write(f"ob={program}\nfl=???\n")
        for name in sorted(by_fn, key=lambda n: by_fn[n][0][0]):
            f.write(f"fn={name}\n")
            for pc, n in by_fn[name]:
                f.write(f"{pc:#x} {n}\n")
        f.write(f"totals: {total}\n")

