"""The profiler behind `--stats` / `--stats-json`: collects the engine's counters at exit
into one dict (the JSON document) and renders it as a readable report.

Counters come from first principles: every block the Python dispatcher runs is one
cache lookup (`TB.count`), a lookup that found nothing is a miss (`CacheStats.misses`),
so hits = lookups - misses.  Native code counts each block entry itself (`TB.counters`),
so native transfers not dispatched by Python are chained ones (direct link slots or the
inline hash table).  Times are measured around each kind of work: decode (capstone,
see TimedDecoder), lift, LLVM
compilation, other translation (interpreter code generation, region building),
syscalls, and -- with --stats only, by timing each call the dispatcher makes --
interpreted and native code (native time includes the blocks it chains to);
"dispatch" is the rest of the wall time (the dispatch loop, loading the program).

JSON schema (`--stats-json FILE`; every count an integer, every time in seconds):

    {"schema": "dbt-stats/1", "program": str, "arch": str, "tier": str,
     "exit_status": int,
     "instructions": {"total", "interpreted", "native"},
     "blocks": {"executed", "translated", "compiled", "live", "ipb"},
     "cache": {"capacity" (0 = unbounded), "lookups", "hits", "misses",
               "hit_rate" (0..1), "invalidations", "evictions"},
     "transfers": {"looked_up" (dispatched by Python), "chained" (native to native)},
     "returns": {reason: count} -- native code's returns to Python, by why: "target not
               native" (not compiled yet), "native target, not chained" (a hash-table
               collision, or --max-insns's budget), "exit request" (a signal or the
               debugger), "syscall", "trap", "fault", "interpreter fallback" (an access
               the block checks on entry would fault: the interpreter runs it),
     "syscalls": int,
     "persistent": {"file" (str | null: no persistent cache), "blocks_reused",
                    "native_reused"},
     "time": {"wall", "decode", "lift", "compile", "translate_other", "syscalls",
              "interpret", "native", "dispatch", "compile_per_block"},
     "peak_rss_kib": int,
     "hot_blocks": [{"pc", "end", "symbol" (str | null), "executions",
                     "instructions", "share" (0..1), "tier",
                     "disasm": [[pc, "hex bytes", "text"], ...]}, ...]}
"""

from __future__ import annotations

import bisect
import json
import resource
import time
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from dbt.engine import Machine

TOP_N = 10
SCHEMA = "dbt-stats/1"


class TimedDecoder:
    """Stands in for a frontend's capstone object (`arch.cs`, which both frontends
    decode through) to time decoding apart from lifting: capstone decodes lazily, as
    the lifter iterates, so each step of the iteration is timed."""

    def __init__(self, cs) -> None:
        self._cs = cs
        self.time = 0.0

    def __getattr__(self, name: str):
        return getattr(self._cs, name)

    def disasm(self, code, offset: int, count: int = 0):
        it = iter(self._cs.disasm(code, offset, count))
        clock = time.perf_counter
        while True:
            t0 = clock()
            insn = next(it, None)
            self.time += clock() - t0
            if insn is None:
                return
            yield insn


def time_decoding(machine: Machine) -> None:
    """With --stats: split decode time from lift time (frontends with an `cs`)."""
    cs = getattr(machine.arch, "cs", None)
    if cs is not None and not isinstance(cs, TimedDecoder):
        machine.arch.cs = TimedDecoder(cs)


class Symbolizer:
    """pc -> `name+offset` from the program's ELF symbol table: its functions, or for
    hand-written assembly without typed symbols, its code labels (sized by the next
    label).  Loaded on first use; None where no symbol covers the pc."""

    def __init__(self, image) -> None:
        self.image = image
        self._syms: list[tuple[int, int, str]] | None = None
        self._addrs: list[int] = []

    def _load(self) -> list[tuple[int, int, str]]:
        syms = list(self.image.symbols) if self.image is not None else []
        if not syms and self.image is not None:
            syms = _labels(self.image)
        self._syms = syms
        self._addrs = [a for a, _, _ in syms]
        return syms

    def __call__(self, pc: int) -> str | None:
        syms = self._syms if self._syms is not None else self._load()
        i = bisect.bisect_right(self._addrs, pc) - 1
        while i >= 0:
            addr, size, name = syms[i]
            if pc < addr + max(size, 1) or (size == 0 and pc - addr < 0x1000):
                return f"{name}+{pc - addr:#x}" if pc != addr else name
            if pc - addr > 0x10000:
                break
            i -= 1
        return None

    def lookup(self, name: str) -> tuple[int, int] | None:
        """(start, end) of the symbol `name`."""
        syms = self._syms if self._syms is not None else self._load()
        for addr, size, n in syms:
            if n == name:
                return addr, addr + max(size, 1)
        return None


def _labels(image) -> list[tuple[int, int, str]]:
    """Untyped labels in executable sections, each sized up to the next one."""
    from elftools.elf.elffile import ELFFile
    out = []
    with open(image.path, "rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        if symtab is None:
            return []
        for sym in symtab.iter_symbols():
            shndx = sym["st_shndx"]
            if (sym["st_info"]["type"] not in ("STT_NOTYPE", "STT_FUNC") or not sym.name
                    or sym.name.startswith("$") or not isinstance(shndx, int)):
                continue
            if not elf.get_section(shndx)["sh_flags"] & 4:  # SHF_EXECINSTR
                continue
            out.append((sym["st_value"] + image.load_bias, sym.name))
    out = sorted(set(out))
    return [(a, (out[i + 1][0] if i + 1 < len(out) else a + 0x1000) - a, n)
            for i, (a, n) in enumerate(out)]


def symbolizer(machine: Machine) -> Symbolizer:
    """The machine's shared Symbolizer."""
    sym = getattr(machine, "_symbolizer", None)
    if sym is None:
        sym = machine._symbolizer = Symbolizer(getattr(machine, "image", None))
    return sym


def symbolize(machine: Machine, pc: int) -> str | None:
    return symbolizer(machine)(pc)


def collect(machine: Machine, status: int | None = None, top: int = TOP_N) -> dict[str, Any]:
    """Every number of the report, as the JSON document described above."""
    tbs = machine.cache.all_blocks()
    cs = machine.cache.stats
    rs = machine.stats
    jit = getattr(machine, "jit", None)
    interp_execs = native_execs = lookups = py_native = 0
    interp_insns = native_insns = 0
    per_key: dict[int, dict[str, Any]] = {}
    for tb in tbs:
        n = tb.block.ninsns
        native = tb.native_executions
        interp = tb.interp if tb.counters is not None else tb.count
        lookups += tb.count
        if tb.counters is not None:
            py_native += tb.count - tb.interp
        interp_execs += interp
        native_execs += native
        interp_insns += interp * n
        native_insns += native * n
        e = per_key.setdefault(tb.key, {"tb": tb, "executions": 0, "instructions": 0})
        e["executions"] += interp + native
        e["instructions"] += (interp + native) * n
        if tb.counters is not None or e["tb"].counters is None:
            e["tb"] = tb  # describe the block by its native version when it has one
    total = interp_insns + native_insns
    hits = lookups - cs.misses
    wall = time.perf_counter() - rs.start
    compiled = jit.blocks_compiled if jit is not None else 0
    compile_time = jit.compile_time if jit is not None else 0.0
    other = max(0.0, rs.translate_time - rs.lift_time
                - (compile_time if machine.tier.hot is None else 0.0))
    dispatch = max(0.0, wall - rs.lift_time - compile_time - other - rs.syscall_time
                   - rs.interp_time - rs.native_time)
    decoder = getattr(machine.arch, "cs", None)
    decode = decoder.time if isinstance(decoder, TimedDecoder) else 0.0
    hot = sorted(per_key.items(), key=lambda kv: (-kv[1]["instructions"], kv[0]))[:top]
    hot_blocks = []
    for key, e in hot:
        tb = e["tb"]
        pc = machine.arch.key_pc(key)
        dis = machine.arch.disasm(machine.mem, key, max(tb.block.ninsns, 1))
        hot_blocks.append({
            "pc": pc, "end": tb.end, "symbol": symbolize(machine, pc),
            "executions": e["executions"], "instructions": e["instructions"],
            "share": e["instructions"] / total if total else 0.0, "tier": tb.tier,
            "disasm": [[a, raw.hex(), text] for a, raw, text in dis],
        })
    image = getattr(machine, "image", None)
    pc = machine.pcache
    return {
        "schema": SCHEMA,
        "program": image.path if image is not None else None,
        "arch": machine.arch.name,
        "tier": machine.options.tier,
        "exit_status": status,
        "instructions": {"total": total, "interpreted": interp_insns, "native": native_insns},
        "blocks": {"executed": interp_execs + native_execs, "translated": cs.translated,
                   "compiled": compiled, "live": len(machine.cache.blocks),
                   "ipb": total / (interp_execs + native_execs)
                   if interp_execs + native_execs else 0.0},
        "cache": {"capacity": machine.cache.capacity, "lookups": lookups, "hits": hits,
                  "misses": cs.misses, "hit_rate": hits / lookups if lookups else 0.0,
                  "invalidations": cs.invalidations, "evictions": cs.evictions},
        "transfers": {"looked_up": lookups, "chained": native_execs - py_native},
        "returns": dict(sorted(rs.returns.items(), key=lambda kv: (-kv[1], kv[0]))),
        "syscalls": rs.syscalls,
        "persistent": {"file": str(pc.path) if pc is not None else None,
                       "blocks_reused": pc.blocks_reused if pc is not None else 0,
                       "native_reused": pc.native_reused if pc is not None else 0},
        "time": {
            "wall": wall, "decode": decode, "lift": max(0.0, rs.lift_time - decode),
            "compile": compile_time,
            "syscalls": rs.syscall_time,
            "translate_other": other, "interpret": rs.interp_time, "native": rs.native_time,
            "dispatch": dispatch,
            "compile_per_block": compile_time / compiled if compiled else 0.0,
        },
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "hot_blocks": hot_blocks,
    }


def _pct(a: float, b: float) -> str:
    return f"{100.0 * a / b:.2f}%" if b else "-"


def _persistent(p: dict[str, Any]) -> str:
    if p["file"] is None:
        return "  persistent cache               off"
    return (f"  persistent cache     {p['blocks_reused']:>14,}   blocks reused, "
            f"{p['native_reused']:,} native regions reused")


def render(d: dict[str, Any]) -> str:
    ins, bl, c, t = d["instructions"], d["blocks"], d["cache"], d["time"]
    tr = d["transfers"]
    cap = c["capacity"] or "unbounded"
    wall = t["wall"]
    lines = [
        f"dbt statistics ({d['arch']}, tier {d['tier']})",
        (f"  guest instructions   {ins['total']:>14,}   interpreted {ins['interpreted']:,}"
        f" / native {ins['native']:,}"),
        f"  blocks executed      {bl['executed']:>14,}   ({bl['ipb']:.2f} instructions/block)",
        f"  blocks translated    {bl['translated']:>14,}   compiled to native {bl['compiled']:,}",
        f"  cache lookups        {c['lookups']:>14,}   (capacity {cap}, {bl['live']:,} live)",
        f"  cache hits           {c['hits']:>14,}   hit rate {_pct(c['hits'], c['lookups'])}",
        f"  cache misses         {c['misses']:>14,}",
        f"  invalidations        {c['invalidations']:>14,}",
        f"  evictions            {c['evictions']:>14,}",
        (f"  transfers            {tr['looked_up'] + tr['chained']:>14,}   looked up by the "
        f"dispatcher {tr['looked_up']:,} / chained natively {tr['chained']:,}"),
        f"  returns to Python    {sum(d['returns'].values()):>14,}   "
        + (", ".join(f"{why} {n:,}" for why, n in d["returns"].items()) or "-"),
        f"  syscalls             {d['syscalls']:>14,}",
        _persistent(d["persistent"]),
        f"  peak memory          {d['peak_rss_kib'] / 1024:>11.1f} MiB",
        (f"  time                 {wall:>12.3f} s   ({ins['total'] / wall if wall else 0:,.0f}"
        " guest instructions/s)"),
    ]
    for label, key in (("decode", "decode"), ("lift", "lift"), ("compile (LLVM)", "compile"),
                       ("codegen, other", "translate_other"), ("syscalls", "syscalls"),
                       ("interpret", "interpret"), ("native", "native"),
                       ("dispatch", "dispatch")):
        lines.append(f"    {label:<18} {t[key]:>12.3f} s  {_pct(t[key], wall):>7}")
    if bl["compiled"]:
        lines.append(f"    compile per block  {1000 * t['compile_per_block']:>12.3f} ms")
    if d["hot_blocks"]:
        lines.append(f"  hottest blocks (top {len(d['hot_blocks'])} by instructions executed)")
        lines.append(f"    {'pc':<10} {'symbol':<24} {'executions':>12} {'share':>7}  tier")
        for h in d["hot_blocks"]:
            sym = h["symbol"] or "?"
            lines.append(f"    {h['pc']:#010x} {sym[:24]:<24} {h['executions']:>12,} "
                         f"{100 * h['share']:>6.2f}%  {h['tier']}")
            for a, raw, text in h["disasm"]:
                lines.append(f"        {a:#010x}  {raw:<8}  {text}")
    return "\n".join(lines)


def report(machine: Machine, out: TextIO, status: int | None = None) -> None:
    print(render(collect(machine, status)), file=out)


def write_json(data: dict[str, Any], path: str) -> None:
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
