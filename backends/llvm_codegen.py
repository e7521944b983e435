"""IR -> LLVM IR text.  One LLVM function per region of guest blocks (RegionGen), all
with the signature

    i64 @r<n>_<key>(ptr noalias %st, ptr noalias %mem, ptr noalias %perm, ptr noalias %rt)

returning the next block key (< 2**32) or a special exit code (as the interpreter's,
plus FAULT).  Direct exits tail-call through a link slot (patched to the target's code
once it is native, else the exit stub that returns rt->next_key); computed exits look
the target up in the native hash table inline.  Native code returns to Python when
rt->stop is set (checked on back-edges and region exits), and when a budget in rt runs
out.  The budget is compiled in only where Python needs it: under --trace-blocks it
counts block transfers, so that the ring of entered keys is drained before it wraps; in
counting mode (--max-insns) it counts guest instructions, and each block is charged its
instruction count before it runs -- when that does not fit, the block returns its own
key to Python unrun.  Likewise each block's execution counter is incremented only when
the run reports them (--stats, --profile-out): both cost a load and a store per block,
which LLVM cannot keep in a register across a loop's exits.  A counting-mode
trap or fault exit carries how many of the charged instructions it did not complete
(TRAP_UNDONE_SHIFT, FINFO_UNDONE_SHIFT).

Memory accesses check the page-permission byte.  Most are checked on block entry, one
branch for the block (see RegionGen.entry_check): if a page is missing the block returns
INTERP and the interpreter runs it; the others are checked where they run and, on
failure, record the fault in rt and return FAULT.  State, guest memory, permissions
and rt are separate TBAA classes, so LLVM keeps guest registers in host registers
within a function.

The generated text holds no host address: all native runtime data the code touches lives
in (or is reached through) rt, addressed as constant offsets from %rt, so the same text
means the same code in any process (object code can be cached, keyed by the text).
rt layout (byte offsets; u64 cells unless said):

    0  RT_NEXT     next block key (set by every caller of a region function)
    8  RT_BUDGET   block transfers (--trace-blocks) or guest instructions (counting
                   mode) left before native code returns to Python
    16 RT_FADDR    fault: guest address
    24 RT_FINFO    fault: pc | is_write << 32 (| undone << 40 in counting mode)
    32 RT_STOP     nonzero: another thread asks native code to return (read volatile)
    40 RT_RING     --trace-blocks: address of the ring of entered keys (dbt.trace)
    64 RT_HELPERS  helper function pointers, one per IR helper: slot i holds the i-th
                   name of dbt.ir.HELPERS in sorted order (as the JIT numbered them)
    RT_TABLE       the native hash table: 2**TABLE_BITS entries (key, code pointer),
                   key ~0 when empty, indexed by table_hash(key)
    RT_CELLS..     per-block execution counters (kept only when counted) and link
                   slots (code pointer per direct exit), allocated in compile order up
                   to RT_SIZE

Helpers called from native code must not compile or patch native code (they are plain
computations): rt is noalias, so LLVM may keep link slots and table entries loaded
across a helper call."""

from __future__ import annotations

import struct

from dbt import trace
from dbt.ir import F32, I1, Block, Const, Exit, ExitKind, If, Op, Stmt, Temp, Ty, Value

EXIT_FAULT = 3 << 32
EXIT_INTERP = 4 << 32  # | key: run that block once in the interpreter (dbt.engine)
TRAP_UNDONE_SHIFT = 48   # counting mode: in a trap exit code, above the signal number
FINFO_UNDONE_SHIFT = 40  # counting mode: in RT_FINFO, above the is-write bit
# rt layout (see the module docstring)
RT_NEXT, RT_BUDGET, RT_FADDR, RT_FINFO, RT_STOP, RT_RING = 0, 8, 16, 24, 32, 40
RT_HELPERS = 64
TABLE_BITS = 16
RT_TABLE = 4096
RT_CELLS = RT_TABLE + (16 << TABLE_BITS)
RT_SIZE = 64 << 20
MAX_HELPERS = (RT_TABLE - RT_HELPERS) // 8

LTY = {"i1": "i1", "i8": "i8", "i16": "i16", "i32": "i32", "i64": "i64",
       "f32": "float", "f64": "double"}
SIG = "(ptr %st, ptr %mem, ptr %perm, ptr %rt)"


def define_sig(state_size: int) -> str:
    """Parameters as defined: state and rt are private, writable and dereferenceable, so
    LLVM may hoist their loads and keep their stores in registers across a loop."""
    return (f"(ptr noalias nocapture writable align 16 dereferenceable({state_size}) %st, "
            "ptr noalias nocapture %mem, ptr noalias nocapture %perm, "
            f"ptr noalias nocapture writable align 16 dereferenceable({RT_SIZE}) %rt)")

PRELUDE = """
!0 = !{!"dbt"}
!1 = !{!"state", !0, i64 0}
!2 = !{!1, !1, i64 0}
!3 = !{!"guest", !0, i64 0}
!4 = !{!3, !3, i64 0}
!5 = !{!"perm", !0, i64 0}
!6 = !{!5, !5, i64 0}
!7 = !{!"rt", !0, i64 0}
!8 = !{!7, !7, i64 0}
!9 = !{!"link", !0, i64 0}
!10 = !{!9, !9, i64 0}
!11 = !{!"branch_weights", i32 100000, i32 1}
!12 = !{}
"""
TB_STATE, TB_GUEST, TB_PERM, TB_RT, TB_LINK = "!2", "!4", "!6", "!8", "!10"


def lty(ty: Ty) -> str:
    return LTY[str(ty)]


def fconst(v: float, ty: Ty) -> str:
    # LLVM spells float constants as the double with the same value, in hex.
    return "0x%016X" % struct.unpack("<Q", struct.pack("<d", v))[0]


class RegionGen:
    """Lowers a region -- blocks (key, block, rt offset of its execution counter, or
    None not to count) -- into one function.

    The function starts by switching on rt->next_key (which every caller sets) to the
    block to run; a direct exit to a block of the region is a plain branch, so a hot
    loop is a real loop that LLVM can keep in host registers.  A computed exit to one of
    `returns` (blocks of the region that its calls return to) is a branch too, so
    recursion runs inside the function.  Other exits leave through link slots or the
    hash table as described above.

    alloc_link(target) returns the rt offset of a new link slot for a direct exit to
    `target`; helper(name) returns (rt offset of the helper's function pointer, return
    type, argument types).  count_insns selects counting mode (see the module
    docstring)."""

    def __init__(self, name: str, items: list[tuple[int, Block, int]], layout,
                 big_endian: bool, alloc_link, table_mask: int, helper,
                 local_state: bool = False, count_insns: bool = False,
                 returns: set[int] = frozenset()) -> None:
        self.name = name
        self.returns = sorted(returns)
        self.local_state = local_state
        self.count_insns = count_insns
        self.items = items
        self.keys = {k: f"blk{i}" for i, (k, _, _) in enumerate(items)}
        self.prefix = ""
        self.key = items[0][0]
        self.layout = layout
        self.big_endian = big_endian
        self.alloc_link = alloc_link
        self.table_mask = table_mask
        self.helper = helper
        self.lines: list[str] = []
        self.n = 0
        self.intrinsics: set[str] = set()
        self.cur = "entry"  # the basic block being emitted (for phi operands)
        self.slots_used: set[int] = set()
        self.dirty: set[int] = set()     # slots the region writes
        self.exits: list[tuple[str, str, str]] = []  # local_state: (block, value, code)
        self.faults: list[tuple[str, str, int]] = []  # (from block, address, info)
        self.prechecked: set[int] = set()  # id() of accesses checked on block entry

    # -- helpers --------------------------------------------------------------------
    def tmp(self) -> str:
        self.n += 1
        return f"%x{self.n}"

    def label(self, what: str) -> str:
        self.n += 1
        return f"{what}{self.n}"

    def e(self, text: str) -> None:
        self.lines.append("  " + text)

    def start(self, label: str) -> None:
        self.lines.append(f"{label}:")
        self.cur = label

    def v(self, x: Value) -> str:
        if isinstance(x, Temp):
            return f"%{self.prefix}t{x.id}"
        if x.ty.is_float:
            return fconst(float(x.value), x.ty)
        if x.ty is I1:
            return "true" if x.value else "false"
        return str(x.value)

    def intr(self, decl: str) -> None:
        self.intrinsics.add(decl)

    def ring_append(self, key: int, size: int) -> None:
        """--trace-blocks (dbt.trace.BlockTracer): log the block's key in the ring of
        u64s whose address is in rt->ring -- [0] counts entries, [1 + n % size] holds
        the n-th key."""
        rp, ring, n, n1, i, i1, slot = (self.tmp() for _ in range(7))
        self.e(f"{rp} = getelementptr i8, ptr %rt, i64 {RT_RING}")
        self.e(f"{ring} = load ptr, ptr {rp}, !tbaa {TB_RT}")
        self.e(f"{n} = load i64, ptr {ring}, !tbaa {TB_RT}")
        self.e(f"{i} = and i64 {n}, {size - 1}")
        self.e(f"{i1} = add i64 {i}, 1")
        self.e(f"{slot} = getelementptr i64, ptr {ring}, i64 {i1}")
        self.e(f"store i64 {key}, ptr {slot}, !tbaa {TB_RT}")
        self.e(f"{n1} = add i64 {n}, 1")
        self.e(f"store i64 {n1}, ptr {ring}, !tbaa {TB_RT}")

    # -- generation -----------------------------------------------------------------
    def generate(self) -> str:
        first = self.keys[self.key]
        if len(self.items) > 1:
            self.e(f"%entry_key = load i64, ptr %rt, !tbaa {TB_RT}")
            cases = " ".join(f"i64 {k}, label %{lab}" for k, lab in self.keys.items()
                             if lab != first)
            self.e(f"switch i64 %entry_key, label %{first} [ {cases} ]")
        else:
            self.e(f"br label %{first}")
        for i, (key, block, counter) in enumerate(self.items):
            self.prefix = f"b{i}_"
            self.cur_key = key
            self.cur_block = block
            self.start(self.keys[key])
            body = self.entry_check(key, block.body)
            if self.count_insns:
                self.charge(key, block.ninsns)
            if counter is not None:
                cp, c0, c1 = self.tmp(), self.tmp(), self.tmp()
                self.e(f"{cp} = getelementptr i8, ptr %rt, i64 {counter}")
                self.e(f"{c0} = load i64, ptr {cp}, !tbaa {TB_RT}")
                self.e(f"{c1} = add i64 {c0}, 1")
                self.e(f"store i64 {c1}, ptr {cp}, !tbaa {TB_RT}")
            if trace.native_ring is not None:
                self.ring_append(key, trace.native_ring[1])
            if self.stmts(body):
                raise ValueError("block falls off its end")
        if self.faults:
            # One shared fault exit: record the address and pc, return FAULT.
            self.start("fault")
            fa = ", ".join(f"[ {a}, %{lab} ]" for lab, a, _ in self.faults)
            fi = ", ".join(f"[ {i}, %{lab} ]" for lab, _, i in self.faults)
            self.e(f"%fa = phi i32 {fa}")
            self.e(f"%fi = phi i64 {fi}")
            self.e("%fa64 = zext i32 %fa to i64")
            self.rt_store(RT_FADDR, "%fa64")
            self.rt_store(RT_FINFO, "%fi")
            self.leave(str(EXIT_FAULT))
        entry = []
        for i in sorted(self.slots_used):
            entry.append(f"  %slot{i} = getelementptr i8, ptr %st, i64 {self.layout.offsets[i]}")
            if self.local_state:
                t = self.slot_type(i)
                entry += [f"  %a{i} = alloca {t}",
                          f"  %i{i} = load {t}, ptr %slot{i}, !tbaa {TB_STATE}",
                          f"  store {t} %i{i}, ptr %a{i}"]
        if self.local_state:
            self.common_exit()
        body = "\n".join(entry + self.lines)
        sig = define_sig(self.layout.size)
        return f"define i64 @{self.name}{sig} nounwind {{\nentry:\n{body}\n}}\n"

    def entry_check(self, key: int, body: tuple[Stmt, ...]) -> tuple[Stmt, ...]:
        """Check on block entry, with one branch, the pages of the accesses every run of
        the block makes at addresses known on entry (pure functions of the registers it
        has not yet written: push/pop, [sp, #n], [rN, #n]!, ...); those accesses then
        need no check of their own.  Accesses with one base register share a check of
        the first and last page their offsets span.  If a page is missing, the block
        leaves native code before doing anything, and the interpreter runs it (and
        reports the fault at the exact instruction).  Returns the body left to emit:
        the ops that compute checked addresses are emitted here, first.  (Not in
        counting mode: a block that leaves unrun must have been charged nothing.)"""
        if self.count_insns:
            return body
        defs: dict[int, Op] = {}    # temp id -> pure top-level op that defines it
        written: set[int] = set()   # slots written so far
        groups: dict[tuple[Value, bool], list[tuple[int, Op]]] = {}
        for s in body:
            if type(s) is If:
                written |= _puts(s.body)
                continue
            if type(s) is Exit or s.opcode == "call":
                break  # a helper may change state we think we know
            o = s.opcode
            if o == "put":
                written.add(s.attr[0])
            elif o == "get":
                if s.attr[0] not in written:
                    defs[s.dst.id] = s
            elif o == "load" or o == "store":
                addr = s.args[0]
                if _known(addr, defs):
                    base, off = addr, 0
                    d = defs.get(addr.id) if type(addr) is Temp else None
                    if (d is not None and d.opcode in ("add", "sub")
                            and type(d.args[1]) is Const):
                        c = d.args[1].value
                        base, off = d.args[0], _signed32(c if d.opcode == "add" else -c)
                    groups.setdefault((base, o == "store"), []).append((off, s))
            elif s.dst is not None and o not in _UNSAFE:
                defs[s.dst.id] = s
        if not groups:
            return body
        need: list[Op] = []
        for base, _ in groups:
            _deps(base, defs, need)
        hoisted = {id(op) for op in need}
        for s in body:  # in program order: operands first
            if id(s) in hoisted:
                self.op(s)
        oks = []
        for (base, write), accesses in groups.items():
            accesses.sort(key=lambda a: a[0])
            lo = accesses[0][0]
            for i, (off, op) in enumerate(accesses):
                self.prechecked.add(id(op))
                last = i + 1 == len(accesses) or accesses[i + 1][0] - lo >= 4096
                if not last:
                    continue
                for o in (lo, off) if off != lo else (lo,):
                    oks.append(self.page_ok(self.offset(base, o), write))
                if i + 1 < len(accesses):
                    lo = accesses[i + 1][0]
        ok = oks[0]
        for x in oks[1:]:
            y = self.tmp()
            self.e(f"{y} = and i1 {ok}, {x}")
            ok = y
        go, slow = self.label("go"), self.label("slow")
        self.e(f"br i1 {ok}, label %{go}, label %{slow}, !prof !11")
        self.start(slow)
        self.leave(str(EXIT_INTERP | key))
        self.start(go)
        return tuple(s for s in body if id(s) not in hoisted)

    def offset(self, base: Value, off: int) -> str:
        if type(base) is Const:
            return str((base.value + off) & 0xFFFFFFFF)
        if off == 0:
            return self.v(base)
        a = self.tmp()
        self.e(f"{a} = add i32 {self.v(base)}, {off}")
        return a

    def page_ok(self, addr: str, write: bool) -> str:
        """An i1: may the guest read (write) the page of `addr`?"""
        pi, pp, pv, pm, ok = (self.tmp() for _ in range(5))
        self.e(f"{pi} = lshr i32 {addr}, 12")
        self.e(f"{pp} = getelementptr i8, ptr %perm, i32 {pi}")  # < 2**20: sign-safe
        self.e(f"{pv} = load i8, ptr {pp}, !tbaa {TB_PERM}")
        self.e(f"{pm} = and i8 {pv}, {2 if write else 1}")
        self.e(f"{ok} = icmp ne i8 {pm}, 0")
        return ok

    def stmts(self, body: tuple[Stmt, ...]) -> bool:
        """Emit statements; True when control fell off the end (no exit)."""
        for s in body:
            if isinstance(s, If):
                then, join = self.label("then"), self.label("join")
                self.e(f"br i1 {self.v(s.cond)}, label %{then}, label %{join}")
                self.start(then)
                if self.stmts(s.body):
                    self.e(f"br label %{join}")
                self.start(join)
            elif isinstance(s, Exit):
                self.exit(s)
                return False
            else:
                self.op(s)
        return True

    def slot_type(self, slot: int) -> str:
        """The slot's type in memory: integers narrower than 32 bits use a 32-bit word."""
        sty = self.layout.types[slot]
        return "i32" if sty.bits < 32 and not sty.is_float else lty(sty)

    def leave(self, value: str = "0", fn: str | None = None) -> None:
        """Leave the region: return `value`, or tail-call `fn` (a code pointer); with
        local_state, through the common exit."""
        if self.local_state:
            self.exits.append((self.cur, value, fn or "null"))
            self.e("br label %exit")
        elif fn is None:
            self.e(f"ret i64 {value}")
        else:
            r = self.tmp()
            self.e(f"{r} = musttail call i64 {fn}{SIG}")
            self.e(f"ret i64 {r}")

    def common_exit(self) -> None:
        """With local_state, guest registers live in allocas inside the function (SSA
        values after SROA, so a loop keeps them in host registers and flags nobody reads
        are computed only on the way out), and every way out of the region goes through
        this block: it writes back each slot the region writes, then returns or
        tail-calls the next code.  (One exit keeps the text small; writing back at
        every exit compiled 1.7x slower.)"""
        self.start("exit")
        xv = ", ".join(f"[ {v}, %{lab} ]" for lab, v, _ in self.exits)
        xf = ", ".join(f"[ {f}, %{lab} ]" for lab, _, f in self.exits)
        self.e(f"%xv = phi i64 {xv}")
        self.e(f"%xf = phi ptr {xf}")
        for i in sorted(self.dirty):
            t = self.slot_type(i)
            self.e(f"%w{i} = load {t}, ptr %a{i}")
            self.e(f"store {t} %w{i}, ptr %slot{i}, !tbaa {TB_STATE}")
        self.e("%tc = icmp ne ptr %xf, null")
        self.e("br i1 %tc, label %tail, label %done")
        self.start("tail")
        self.e(f"%tr = musttail call i64 %xf{SIG}")
        self.e("ret i64 %tr")
        self.start("done")
        self.e("ret i64 %xv")

    def state_ptr(self, slot: int) -> str:
        """The slot's address, computed once in the entry block."""
        self.slots_used.add(slot)
        return f"%a{slot}" if self.local_state else f"%slot{slot}"

    def op(self, s: Op) -> None:
        o = s.opcode
        a = [self.v(x) for x in s.args]
        d = f"%{self.prefix}t{s.dst.id}" if s.dst is not None else None
        ty = s.dst.ty if s.dst is not None else None
        t = lty(ty) if ty is not None else ""
        if o == "get":
            slot = s.attr[0]
            sty = self.layout.types[slot]
            p = self.state_ptr(slot)
            if sty.bits < 32 and not sty.is_float:
                w = self.tmp()
                self.e(f"{w} = load i32, ptr {p}, !tbaa {TB_STATE}")
                self.e(f"{d} = trunc i32 {w} to {t}")
            else:
                self.e(f"{d} = load {t}, ptr {p}, !tbaa {TB_STATE}")
        elif o == "put":
            slot = s.attr[0]
            sty = self.layout.types[slot]
            p = self.state_ptr(slot)
            if sty.bits < 32 and not sty.is_float:
                w = self.tmp()
                self.e(f"{w} = zext {lty(sty)} {a[0]} to i32")
                self.e(f"store i32 {w}, ptr {p}, !tbaa {TB_STATE}")
            else:
                self.e(f"store {lty(sty)} {a[0]}, ptr {p}, !tbaa {TB_STATE}")
            self.dirty.add(slot)
        elif o == "load":
            hp = self.guest_ptr(s, a[0], write=False)
            ty = s.dst.ty
            if ty.is_float:
                ity = f"i{ty.bits}"
                raw = self.tmp()
                self.e(f"{raw} = load {ity}, ptr {hp}, align 1, !tbaa {TB_GUEST}")
                raw = self.swap(raw, ty.bits, s.attr[0])
                self.e(f"{d} = bitcast {ity} {raw} to {t}")
            else:
                raw = self.tmp()
                self.e(f"{raw} = load {t}, ptr {hp}, align 1, !tbaa {TB_GUEST}")
                self.e(f"{d} = {self.swap_expr(raw, ty.bits, s.attr[0])}")
        elif o == "store":
            hp = self.guest_ptr(s, a[0], write=True)
            vty = s.args[1].ty
            val = a[1]
            ity = f"i{vty.bits}"
            if vty.is_float:
                c = self.tmp()
                self.e(f"{c} = bitcast {lty(vty)} {val} to {ity}")
                val = c
            val = self.swap(val, vty.bits, s.attr[0])
            self.e(f"store {ity} {val}, ptr {hp}, align 1, !tbaa {TB_GUEST}")
        elif o in ("add", "sub", "mul", "and", "or", "xor"):
            self.e(f"{d} = {o} {t} {a[0]}, {a[1]}")
        elif o in ("shl", "lshr", "ashr"):
            self.shift(o, d, t, ty.bits, s.args, a)
        elif o == "rotr":
            self.intr(f"declare {t} @llvm.fshr.{t}({t}, {t}, {t})")
            self.e(f"{d} = call {t} @llvm.fshr.{t}({t} {a[0]}, {t} {a[0]}, {t} {a[1]})")
        elif o in ("udiv", "urem", "sdiv", "srem"):
            self.divide(o, d, t, ty.bits, a)
        elif o == "not":
            self.e(f"{d} = xor {t} {a[0]}, -1")
        elif o == "neg":
            self.e(f"{d} = sub {t} 0, {a[0]}")
        elif o == "clz":
            self.intr(f"declare {t} @llvm.ctlz.{t}({t}, i1)")
            self.e(f"{d} = call {t} @llvm.ctlz.{t}({t} {a[0]}, i1 false)")
        elif o == "bswap":
            self.intr(f"declare {t} @llvm.bswap.{t}({t})")
            self.e(f"{d} = call {t} @llvm.bswap.{t}({t} {a[0]})")
        elif o in ("zext", "sext", "trunc", "fpext", "fptrunc", "sitofp", "uitofp", "bitcast"):
            self.e(f"{d} = {o} {lty(s.args[0].ty)} {a[0]} to {t}")
        elif o == "copy":
            self.e(f"{d} = {'fadd' if ty.is_float else 'add'} {t} {a[0]}, "
                   f"{'-0.0' if ty.is_float else '0'}")
        elif o == "icmp":
            self.e(f"{d} = icmp {s.attr[0]} {lty(s.args[0].ty)} {a[0]}, {a[1]}")
        elif o == "fcmp":
            self.e(f"{d} = fcmp {s.attr[0]} {lty(s.args[0].ty)} {a[0]}, {a[1]}")
        elif o == "select":
            self.e(f"{d} = select i1 {a[0]}, {t} {a[1]}, {t} {a[2]}")
        elif o in ("fadd", "fsub", "fmul", "fdiv"):
            self.e(f"{d} = {o} {t} {a[0]}, {a[1]}")
        elif o == "fneg":
            self.e(f"{d} = fneg {t} {a[0]}")
        elif o in ("fabs", "fsqrt"):
            name = "fabs" if o == "fabs" else "sqrt"
            suffix = "f32" if ty is F32 else "f64"
            self.intr(f"declare {t} @llvm.{name}.{suffix}({t})")
            self.e(f"{d} = call {t} @llvm.{name}.{suffix}({t} {a[0]})")
        elif o == "fma":
            suffix = "f32" if ty is F32 else "f64"
            self.intr(f"declare {t} @llvm.fma.{suffix}({t}, {t}, {t})")
            self.e(f"{d} = call {t} @llvm.fma.{suffix}({t} {a[0]}, {t} {a[1]}, {t} {a[2]})")
        elif o in ("fptosi", "fptoui"):
            src = s.args[0].ty
            sat = "fptosi.sat" if o == "fptosi" else "fptoui.sat"
            fs = "f32" if src is F32 else "f64"
            self.intr(f"declare {t} @llvm.{sat}.{t}.{fs}({lty(src)})")
            self.e(f"{d} = call {t} @llvm.{sat}.{t}.{fs}({lty(src)} {a[0]})")
        elif o == "call":
            name = s.attr[0]
            off, ret, argtys = self.helper(name)
            args = ", ".join(f"{lty(x.ty)} {v}" for x, v in zip(s.args, a))
            rt = lty(ret) if ret is not None else "void"
            # The pointer's value name carries the helper's name, so the text says
            # which helper it calls, not only which rt slot.
            hp = self.tmp()
            self.n += 1
            fp = f"%helper.{name}.{self.n}"
            self.e(f"{hp} = getelementptr i8, ptr %rt, i64 {off}")
            self.e(f"{fp} = load ptr, ptr {hp}, !tbaa {TB_LINK}, !invariant.load !12")
            self.e(f"{d + ' = ' if d else ''}call {rt} {fp}({args})")
        else:
            raise NotImplementedError(f"llvm: no lowering for {s}")

    def swap_expr(self, raw: str, bits: int, endian: str) -> str:
        t = f"i{bits}"
        if bits > 8 and endian == "be":
            self.intr(f"declare {t} @llvm.bswap.{t}({t})")
            return f"call {t} @llvm.bswap.{t}({t} {raw})"
        return f"add {t} {raw}, 0"

    def swap(self, val: str, bits: int, endian: str) -> str:
        if bits > 8 and endian == "be":
            t = f"i{bits}"
            self.intr(f"declare {t} @llvm.bswap.{t}({t})")
            r = self.tmp()
            self.e(f"{r} = call {t} @llvm.bswap.{t}({t} {val})")
            return r
        return val

    def shift(self, o: str, d: str, t: str, bits: int, args: tuple[Value, ...],
              a: list[str]) -> None:
        if isinstance(args[1], Const):
            n = args[1].value
            if n < bits:
                self.e(f"{d} = {o} {t} {a[0]}, {n}")
            elif o == "ashr":
                self.e(f"{d} = ashr {t} {a[0]}, {bits - 1}")
            else:
                self.e(f"{d} = add {t} 0, 0")
            return
        ok = self.tmp()
        self.e(f"{ok} = icmp ult {t} {a[1]}, {bits}")
        if o == "ashr":
            amt = self.tmp()
            self.e(f"{amt} = select i1 {ok}, {t} {a[1]}, {t} {bits - 1}")
            self.e(f"{d} = ashr {t} {a[0]}, {amt}")
            return
        r = self.tmp()
        self.e(f"{r} = {o} {t} {a[0]}, {a[1]}")
        self.e(f"{d} = select i1 {ok}, {t} {r}, {t} 0")

    def divide(self, o: str, d: str, t: str, bits: int, a: list[str]) -> None:
        z = self.tmp()
        self.e(f"{z} = icmp eq {t} {a[1]}, 0")
        bad = z
        if o[0] == "s":
            m1, mn, ov = self.tmp(), self.tmp(), self.tmp()
            bad = self.tmp()
            self.e(f"{m1} = icmp eq {t} {a[1]}, -1")
            self.e(f"{mn} = icmp eq {t} {a[0]}, {-(1 << (bits - 1))}")
            self.e(f"{ov} = and i1 {m1}, {mn}")
            self.e(f"{bad} = or i1 {z}, {ov}")
        dv = self.tmp()
        self.e(f"{dv} = select i1 {bad}, {t} 1, {t} {a[1]}")
        if o in ("urem", "srem"):
            self.e(f"{d} = {o} {t} {a[0]}, {dv}")
            return
        q = self.tmp()
        self.e(f"{q} = {o} {t} {a[0]}, {dv}")
        self.e(f"{d} = select i1 {z}, {t} 0, {t} {q}")

    def guest_ptr(self, s: Op, addr: str, write: bool) -> str:
        """The host address of an access; unless checked on block entry, first the
        page's permission (on failure: record the fault, return FAULT)."""
        if id(s) not in self.prechecked:
            ok = self.page_ok(addr, write)
            good = self.label("ok")
            self.e(f"br i1 {ok}, label %{good}, label %fault, !prof !11")
            self.faults.append((self.cur, addr, s.attr[1] | (int(write) << 32)
                                | (self.undone(s.attr[1]) << FINFO_UNDONE_SHIFT)))
            self.start(good)
        az, hp = self.tmp(), self.tmp()
        self.e(f"{az} = zext i32 {addr} to i64")
        self.e(f"{hp} = getelementptr i8, ptr %mem, i64 {az}")
        return hp

    def rt_store(self, off: int, val: str) -> None:
        p = self.tmp()
        self.e(f"{p} = getelementptr i8, ptr %rt, i64 {off}")
        self.e(f"store i64 {val}, ptr {p}, !tbaa {TB_RT}")

    def undone(self, pc: int) -> int:
        """Counting mode: the current block's instructions from the one at `pc` on, which
        an exit there (fault, trap) was charged for but does not complete."""
        if not self.count_insns:
            return 0
        return sum(1 for p, _ in self.cur_block.insns if p >= pc)

    def charge(self, key: int, n: int) -> None:
        """Counting mode, at a block's start: charge its `n` instructions to the budget;
        when they do not fit, or another thread asked native code to stop, return the
        block's own key to Python without running it."""
        bp, bud, nb, fits, ok = (self.tmp() for _ in range(5))
        self.e(f"{bp} = getelementptr i8, ptr %rt, i64 {RT_BUDGET}")
        self.e(f"{bud} = load i64, ptr {bp}, !tbaa {TB_RT}")
        self.e(f"{nb} = sub i64 {bud}, {n}")
        self.e(f"{fits} = icmp sge i64 {nb}, 0")
        self.e(f"{ok} = and i1 {fits}, {self.calm()}")
        self.yield_point(str(key), ok)
        self.e(f"store i64 {nb}, ptr {bp}, !tbaa {TB_RT}")

    def budget(self, key: str) -> None:
        """Spend one unit of budget (only under --trace-blocks); when it runs out, or
        another thread asked native code to stop (rt->stop, read volatile: a loop cannot
        keep it in a register), return `key` to Python."""
        if trace.native_ring is None:
            self.yield_point(key, self.calm())
            return
        bp, bud, nb, left, ok = (self.tmp() for _ in range(5))
        self.e(f"{bp} = getelementptr i8, ptr %rt, i64 {RT_BUDGET}")
        self.e(f"{bud} = load i64, ptr {bp}, !tbaa {TB_RT}")
        self.e(f"{nb} = sub i64 {bud}, 1")
        self.e(f"store i64 {nb}, ptr {bp}, !tbaa {TB_RT}")
        self.e(f"{left} = icmp sgt i64 {nb}, 0")
        self.e(f"{ok} = and i1 {left}, {self.calm()}")
        self.yield_point(key, ok)

    def yield_point(self, key: str, ok: str) -> None:
        """Go on if `ok`, else return `key` to Python."""
        go, stop = self.label("go"), self.label("stop")
        self.e(f"br i1 {ok}, label %{go}, label %{stop}")
        self.start(stop)
        self.leave(key)
        self.start(go)

    def calm(self) -> str:
        """An i1: no other thread asks native code to stop (rt->stop, read volatile: a
        loop cannot keep it in a register)."""
        sp, stop, calm = self.tmp(), self.tmp(), self.tmp()
        self.e(f"{sp} = getelementptr i8, ptr %rt, i64 {RT_STOP}")
        self.e(f"{stop} = load volatile i64, ptr {sp}, !tbaa {TB_RT}")
        self.e(f"{calm} = icmp eq i64 {stop}, 0")
        return calm

    def exit(self, s: Exit) -> None:
        if s.kind is ExitKind.SYSCALL:
            self.leave(str((1 << 32) | s.target.value))
            return
        if s.kind is ExitKind.TRAP:
            pc = s.target.value
            self.leave(str((self.undone(pc) << TRAP_UNDONE_SHIFT) | (s.info << 40)
                           | (2 << 32) | pc))
            return
        if s.kind is ExitKind.GOTO:
            target = s.target.value
            inside = self.keys.get(target)
            if inside is not None:
                # A back-edge lets Python in now and then (counting mode: the target's
                # charge does).
                if target <= self.cur_key and not self.count_insns:
                    self.budget(str(target))
                self.e(f"br label %{inside}")
                return
            if not self.count_insns:
                self.budget(str(target))
            self.rt_store(RT_NEXT, str(target))
            slot = self.alloc_link(target)
            sp, fp = self.tmp(), self.tmp()
            self.e(f"{sp} = getelementptr i8, ptr %rt, i64 {slot}")
            self.e(f"{fp} = load ptr, ptr {sp}, !tbaa {TB_LINK}")
            self.leave(fn=fp)
            return
        k = self.tmp()
        self.e(f"{k} = zext i32 {self.v(s.target)} to i64")
        if not self.count_insns:
            self.budget(k)
        if self.returns:
            # A return to a call site of this region: a branch, like a direct exit.
            look = self.label("lookup")
            cases = " ".join(f"i64 {c}, label %{self.keys[c]}" for c in self.returns)
            self.e(f"switch i64 {k}, label %{look} [ {cases} ]")
            self.start(look)
        h1, h2, h, ep, ek, hit = (self.tmp() for _ in range(6))
        self.e(f"{h1} = lshr i64 {k}, 1")
        self.e(f"{h2} = lshr i64 {k}, 13")
        self.e(f"{h} = xor i64 {h1}, {h2}")
        hm, tb = self.tmp(), self.tmp()
        self.e(f"{hm} = and i64 {h}, {self.table_mask}")
        self.e(f"{tb} = getelementptr i8, ptr %rt, i64 {RT_TABLE}")
        self.e(f"{ep} = getelementptr {{i64, ptr}}, ptr {tb}, i64 {hm}")
        self.e(f"{ek} = load i64, ptr {ep}, !tbaa {TB_LINK}")
        self.e(f"{hit} = icmp eq i64 {ek}, {k}")
        yes, no = self.label("hit"), self.label("miss")
        self.e(f"br i1 {hit}, label %{yes}, label %{no}")
        self.start(no)
        self.leave(k)
        self.start(yes)
        self.rt_store(RT_NEXT, k)
        fpp, fp = self.tmp(), self.tmp()
        self.e(f"{fpp} = getelementptr i8, ptr {ep}, i64 8")
        self.e(f"{fp} = load ptr, ptr {fpp}, !tbaa {TB_LINK}")
        self.leave(fn=fp)


# Ops not computed ahead of their place by entry_check (a division may trap in LLVM).
_UNSAFE = frozenset({"load", "store", "put", "call", "udiv", "sdiv", "urem", "srem"})


def _signed32(x: int) -> int:
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _puts(body: tuple[Stmt, ...]) -> set[int]:
    out: set[int] = set()
    for s in body:
        if type(s) is If:
            out |= _puts(s.body)
        elif type(s) is Op and s.opcode == "put":
            out.add(s.attr[0])
    return out


def _known(v: Value, defs: dict[int, Op]) -> bool:
    """Is `v` computed from constants and the block's entry state by pure ops?"""
    if type(v) is Const:
        return True
    d = defs.get(v.id)
    return d is not None and all(_known(a, defs) for a in d.args)


def _deps(v: Value, defs: dict[int, Op], out: list[Op]) -> None:
    if type(v) is Temp:
        d = defs[v.id]
        if d not in out:
            out.append(d)
            for a in d.args:
                _deps(a, defs, out)


def table_hash(key: int, mask: int) -> int:
    return ((key >> 1) ^ (key >> 13)) & mask


def module_text(functions: list[str], intrinsics: set[str], triple: str, datalayout: str,
                extra: str = "") -> str:
    return (f'target triple = "{triple}"\ntarget datalayout = "{datalayout}"\n'
            + "\n".join(sorted(intrinsics)) + "\n" + extra + "\n".join(functions) + PRELUDE)

