"""Execution tracers: `--trace` (one line per guest instruction) and `--trace-blocks`
(one line per executed block, in any tier).

The instruction tracer runs the guest one instruction at a time, each as an
interpreted one-instruction block (`Machine.lift(key, limit=1)`) compiled with memory
access recording, and diffs the CPU state around it.  Its output, per instruction:
sequence number (0-based, counting every executed instruction), pc, symbol+offset,
raw bytes, disassembly, the state slots it changed (old -> new; for a syscall
instruction this includes the kernel's result) and the memory it read or wrote.
Filters choose which instructions are printed, not which run: `--trace-range LO-HI`
(pc in [LO, HI)), `--trace-symbol NAME`, `--trace-after N` (sequence >= N),
`--trace-count N` (at most N lines; then the guest continues untraced at full speed).

Text line:   SEQ  PC  SYMBOL  BYTES  DISASSEMBLY  [CHANGES] [MEMORY]
             e.g. "      16 000100b4 done+0x4        e52d0004  str r0, [sp, #-4]!"
                  "    sp=0xbefff7a0->0xbefff79c  W4[0xbefff79c]=0x00000bb8"
JSONL:       {"seq", "pc", "sym", "bytes", "asm", "regs": {slot: [old, new]},
              "mem": [{"op": "r"|"w", "addr", "size", "value"}]}

The block tracer (`--trace-blocks`) prints "SEQ PC SYMBOL TIER N" per executed block
(N instructions; SEQ counts blocks, and the same filters apply to block pcs).
Blocks dispatched by Python are logged as they run; native code logs each block it
enters into a ring buffer (backends.llvm_codegen) that Python drains whenever native
code returns, and the native budget is kept small enough that the ring cannot
overflow in between.

Tracing does not change what the guest does: the same instructions run with the same
state and memory, only in smaller blocks.  Both tracers honour --max-insns (the run
ends after the same instruction as untraced) and deliver host signals to the guest at
their block boundaries, as the engine's loop does."""

from __future__ import annotations

import ctypes
import json
from functools import partial
from typing import TYPE_CHECKING, TextIO

from dbt.arch import TIERS, UnsupportedInstruction
from dbt.engine import InsnLimit
from dbt.memory import GuestFault
from dbt.stats import symbolizer

if TYPE_CHECKING:
    from dbt.engine import Machine

SIGILL = 4
# (address, entries) of the active BlockTracer's ring, read by the native code
# generator when it compiles a block (None: native code logs nothing).
native_ring: tuple[int, int] | None = None


def parse_range(text: str) -> tuple[int, int]:
    """"LO-HI" (numbers in any Python base notation, e.g. 0x10074-0x10090)."""
    lo, sep, hi = text.partition("-")
    if not sep:
        raise ValueError(f"--trace-range expects LO-HI, got {text!r}")
    a, b = int(lo, 0), int(hi, 0)
    if b <= a:
        raise ValueError(f"--trace-range {text}: empty range")
    return a, b


def _ranges(sym, pc_range: tuple[int, int] | None, symbol: str | None
            ) -> list[tuple[int, int]]:
    """The pc ranges a traced instruction or block must lie in (all of them)."""
    ranges = [pc_range] if pc_range else []
    if symbol is not None:
        r = sym.lookup(symbol)
        if r is None:
            raise ValueError(f"--trace-symbol {symbol}: no such symbol in the program")
        ranges.append(r)
    return ranges


class InsnTracer:
    def __init__(self, machine: Machine, out: TextIO, fmt: str = "text",
                 pc_range: tuple[int, int] | None = None, symbol: str | None = None,
                 after: int = 0, count: int | None = None) -> None:
        if fmt not in ("text", "jsonl"):
            raise ValueError(f"unknown trace format {fmt!r} (text or jsonl)")
        self.m = machine
        self.out = out
        self.jsonl = fmt == "jsonl"
        self.sym = symbolizer(machine)
        self.ranges = _ranges(self.sym, pc_range, symbol)
        self.after = after
        self.count = count
        self.seq = 0
        self.emitted = 0
        self.rec: list[tuple[str, int, int, int | float]] = []
        self.blocks: dict[int, tuple] = {}
        layout = machine.arch.layout
        self.slots = [(i, name, layout.view_code(i), layout.view_index(i), layout.types[i])
                      for i, name in enumerate(layout.names) if i != machine.arch.pc_slot]
        machine.mem.code_listeners.append(self._invalidate)

    def _invalidate(self, start: int, end: int) -> None:
        for k in [k for k, e in self.blocks.items() if e[3] < end and e[3] + 4 > start]:
            del self.blocks[k]

    def _translate(self, key: int) -> tuple:
        m = self.m
        block = m.lift(key, limit=1)
        fn = TIERS["interp"].recording(m, key, block, self.rec)
        pc = m.arch.key_pc(key)
        dis = m.arch.disasm(m.mem, key, 1)
        raw, text = (dis[0][1], dis[0][2]) if dis else (m.mem.peek(pc, 4), "(undefined)")
        entry = (fn, raw, text, pc, self.sym(pc), block)
        self.blocks[key] = entry
        return entry

    def _wanted(self, pc: int) -> bool:
        if self.seq < self.after:
            return False
        return all(lo <= pc < hi for lo, hi in self.ranges)

    def loop(self, m: Machine) -> None:
        """Machine._loop's stand-in while tracing (same exits: returns never; raises
        GuestExit/GuestSignal/GuestFault as the engine does)."""
        key = m.key
        views = m.state.views
        interrupts = m.interrupts
        try:
            while True:
                if self.count is not None and self.emitted >= self.count:
                    m.tracer = None  # done: the rest runs untraced, in the normal loop
                    m.key = key
                    return m._loop()
                if interrupts:
                    key = m.interrupt(key)
                if m.insns_left == 0:
                    raise InsnLimit(m.arch.key_pc(key))
                entry = self.blocks.get(key)
                if entry is None:
                    try:
                        entry = self._translate(key)
                    except UnsupportedInstruction as e:
                        print(f"dbt: {e}", file=m.err)
                        m._deliver(SIGILL, e.pc)
                fn, raw, text, pc, sym, block = entry
                if m.insns_left is not None:
                    fn = partial(m.run_interp, fn, block)
                if not self._wanted(pc):
                    r = fn()
                    self.rec.clear()
                    if r > 0xFFFFFFFF:
                        r = m._special(r)
                    self.seq += 1
                    key = r
                    continue
                before = [views[c][i] for _, _, c, i, _ in self.slots]
                self.rec.clear()
                try:
                    r = fn()
                    if r > 0xFFFFFFFF:
                        m.key = key
                        r = m._special(r)
                except GuestFault as e:
                    self._emit(pc, sym, raw, text, before, f"fault at {e.addr:#010x}")
                    raise
                except BaseException:
                    self._emit(pc, sym, raw, text, before)
                    raise
                self._emit(pc, sym, raw, text, before)
                key = r
        finally:
            m.key = key & 0xFFFFFFFF

    def _emit(self, pc: int, sym: str | None, raw: bytes, text: str, before: list,
              note: str | None = None) -> None:
        views = self.m.state.views
        changes = []
        for (_, name, c, i, ty), old in zip(self.slots, before):
            new = views[c][i]
            if new != old:
                changes.append((name, ty, old, new))
        seq = self.seq
        self.seq += 1
        self.emitted += 1
        if self.jsonl:
            rec = {"seq": seq, "pc": pc, "sym": sym, "bytes": raw.hex(), "asm": text,
                   "regs": {n: [o, v] for n, _, o, v in changes},
                   "mem": [{"op": k, "addr": a, "size": s, "value": v}
                           for k, a, s, v in self.rec]}
            if note:
                rec["note"] = note
            self.out.write(json.dumps(rec) + "\n")
            return
        parts = [f"{seq:>8} {pc:08x} {(sym or '?'):<16} {raw.hex():<8}  {text:<28}"]
        parts += [f"{n}={_fmt(o, ty)}->{_fmt(v, ty)}" for n, ty, o, v in changes]
        parts += [f"{k.upper()}{s}[{a:#010x}]={_fmt_mem(v, s)}" for k, a, s, v in self.rec]
        if note:
            parts.append(f"!{note}")
        self.out.write("  ".join(parts).rstrip() + "\n")


def _fmt(v: float, ty) -> str:
    if isinstance(v, float):
        return repr(v)
    if ty.bits == 1:
        return str(v)
    return f"{v:#0{ty.bits // 4 + 2}x}"


def _fmt_mem(v: float, size: int) -> str:
    return repr(v) if isinstance(v, float) else f"{v:#0{2 * size + 2}x}"


class BlockTracer:
    """`--trace-blocks`: the normal loop, plus a line per executed block."""

    RING = 1 << 16

    def __init__(self, machine: Machine, out: TextIO,
                 pc_range: tuple[int, int] | None = None, symbol: str | None = None,
                 after: int = 0, count: int | None = None) -> None:
        self.m = machine
        self.out = out
        self.sym = symbolizer(machine)
        self.ranges = _ranges(self.sym, pc_range, symbol)
        self.after = after
        self.count = count
        self.emitted = 0
        self.seq = 0
        # ring[0] counts entries; ring[1 + i % RING] holds the keys native code entered.
        self.ring = (ctypes.c_uint64 * (self.RING + 1))()
        self.seen = 0
        self.lost = 0
        global native_ring
        native_ring = (ctypes.addressof(self.ring), self.RING)

    def _line(self, key: int, tier: str, n: int) -> None:
        pc = self.m.arch.key_pc(key)
        seq = self.seq
        self.seq += 1
        if (seq < self.after or (self.count is not None and self.emitted >= self.count)
                or not all(lo <= pc < hi for lo, hi in self.ranges)):
            return
        self.emitted += 1
        sym = self.sym(pc) or "?"
        self.out.write(f"{seq:>8} {pc:08x} {sym:<20} {tier:<6} {n}\n")

    def _drain(self) -> None:
        total = self.ring[0]
        if total - self.seen > self.RING:
            self.lost += total - self.seen - self.RING
            self.out.write(f"# {total - self.seen - self.RING} blocks lost\n")
            self.seen = total - self.RING
        blocks = self.m.cache.blocks
        for i in range(self.seen, total):
            key = self.ring[1 + i % self.RING]
            tb = blocks.get(key)
            self._line(key, "native", tb.block.ninsns if tb is not None else 0)
        self.seen = total

    def loop(self, m: Machine) -> None:
        """Machine._loop (or _loop_counted) with logging: the same lookups, translations
        and promotions."""
        blocks = m.cache.blocks
        key = m.key
        hot = m.hot_threshold if m.tier.hot is not None else -1
        interrupts = m.interrupts
        counted = m.insns_left is not None
        # Native code returns to Python at least every `budget` block transfers
        # (a region of at most 64 blocks can run between two): the ring never wraps.
        # (Counting it in instructions bounds the blocks too: each has one at least.)
        budget = self.RING // 64 - 1
        try:
            while True:
                if interrupts:
                    key = m.interrupt(key)
                tb = blocks.get(key)
                if tb is None:
                    tb = m.miss(key)
                if counted and tb.block.ninsns > m.insns_left:
                    if m.insns_left:
                        self._line(key, "interp", m.insns_left)
                    key = m.run_short(key)
                    if key > 0xFFFFFFFF:
                        key = m._special(key)
                    continue
                tb.count += 1
                if tb.count == hot and tb.counters is None:
                    m.promote(tb)
                if tb.counters is None:
                    self._line(key, tb.tier, tb.block.ninsns)
                    key = m.run_interp(tb.fn, tb.block) if counted else tb.fn()
                else:
                    try:
                        if counted:
                            key = m.run_native(tb.fn, budget)
                        else:
                            m.jit.set_budget(budget)
                            key = tb.fn()
                    finally:
                        self._drain()
                if key > 0xFFFFFFFF:
                    key = m._special(key)
        finally:
            m.key = key & 0xFFFFFFFF
