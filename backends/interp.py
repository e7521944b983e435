"""Interpreter tier: turns each IR block into one Python function (generated source,
compiled once) with guest state reached through typed memoryviews and guest memory
through the host mmap.  Temporaries become Python locals.

The function returns the next block key (< 2**32), or for a syscall exit
(1 << 32 | next pc), or for a trap (signo << 40 | 2 << 32 | pc)."""

from __future__ import annotations

import marshal
import math
import struct
from typing import TYPE_CHECKING, Callable

from dbt.arch import Tier, register_tier
from dbt.ir import (
    F32, F64, HELPERS, I1, Block, Const, Exit, ExitKind, If, Op, Stmt, Temp, Ty, Value,
)
from dbt.memory import GuestFault

if TYPE_CHECKING:
    from dbt.engine import Machine


def _fault(addr: int, write: int, pc: int) -> None:
    raise GuestFault(addr & 0xFFFFFFFF, bool(write), pc)


def _rotr(a: int, b: int, bits: int) -> int:
    b %= bits
    return ((a >> b) | (a << (bits - b))) & ((1 << bits) - 1)


def _sdiv(a: int, b: int, bits: int) -> int:
    if b == 0:
        return 0
    sb = 1 << (bits - 1)
    a, b = (a ^ sb) - sb, (b ^ sb) - sb
    q = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        q = -q
    return q & ((1 << bits) - 1)


def _srem(a: int, b: int, bits: int) -> int:
    if b == 0:
        return 0
    sb = 1 << (bits - 1)
    a, b = (a ^ sb) - sb, (b ^ sb) - sb
    r = abs(a) % abs(b)
    return (-r if a < 0 else r) & ((1 << bits) - 1)


def _bswap(a: int, bits: int) -> int:
    return int.from_bytes(a.to_bytes(bits // 8, "little"), "big")


_F32 = struct.Struct("<f")
_U32 = struct.Struct("<I")
_F64 = struct.Struct("<d")
_U64 = struct.Struct("<Q")


def _f32_round(x: float) -> float:
    """Round a Python float (double) to the nearest f32 value."""
    try:
        return _F32.unpack(_F32.pack(x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def _fptoi(x: float, bits: int, signed: bool) -> int:
    """Float to integer, truncating, saturating, NaN -> 0 (ARM VCVT semantics)."""
    if x != x:
        return 0
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    v = lo if x <= lo else hi if x >= hi else int(x)
    return v & ((1 << bits) - 1)


def _bits_to_float(v: int, ty: Ty) -> float:
    return _F32.unpack(_U32.pack(v))[0] if ty is F32 else _F64.unpack(_U64.pack(v))[0]


def _float_to_bits(x: float, ty: Ty) -> int:
    return _U32.unpack(_F32.pack(x))[0] if ty is F32 else _U64.unpack(_F64.pack(x))[0]


def _fdiv(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _fsqrt(a: float) -> float:
    return math.sqrt(a) if a >= 0 or a != a else math.nan


_FCMP = {
    "oeq": "({a} == {b})", "one": "({a} < {b} or {a} > {b})", "olt": "({a} < {b})",
    "ole": "({a} <= {b})", "ogt": "({a} > {b})", "oge": "({a} >= {b})",
    "uno": "({a} != {a} or {b} != {b})", "ord": "({a} == {a} and {b} == {b})",
    "ueq": "(not ({a} < {b} or {a} > {b}))", "une": "({a} != {b})",
    "ult": "(not ({a} >= {b}))", "ule": "(not ({a} > {b}))",
    "ugt": "(not ({a} <= {b}))", "uge": "(not ({a} < {b}))",
}


def _special_exit(s: Exit) -> int:
    """The return value of a syscall or trap exit (see the module docstring)."""
    if s.kind is ExitKind.SYSCALL:
        return (1 << 32) | s.target.value
    return (s.info << 40) | (2 << 32) | s.target.value


class _Gen:
    def __init__(self, machine: "Machine", record: list | None = None) -> None:
        self.layout = machine.arch.layout
        self.lines: list[str] = []
        self.env: dict[str, object] = {}
        self.mem = machine.mem
        self.nconst = 0
        # name -> how to rebuild the bound object in another process (for the persistent
        # cache); None for objects that cannot be (then the code is not cacheable).
        self.specs: dict[str, tuple | None] = {}
        # The tracer's list: each load/store appends (kind "r"/"w", address, bytes,
        # value).  None (always, but for --trace) emits no recording code at all.
        self.rec = self.bind(record.append) if record is not None else None

    def v(self, x: Value) -> str:
        if isinstance(x, Temp):
            return f"t{x.id}"
        if x.ty.is_float:
            if math.isfinite(x.value):
                return repr(float(x.value))
            return self.bind(float(x.value), ("float", float(x.value)))
        return str(x.value)

    def bind(self, obj: object, spec: tuple | None = None) -> str:
        self.nconst += 1
        name = f"k{self.nconst}"
        self.env[name] = obj
        self.specs[name] = spec
        return name

    def emit(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def stmts(self, body: tuple[Stmt, ...], depth: int) -> None:
        start = len(self.lines)
        for s in body:
            if isinstance(s, If):
                self.emit(depth, f"if {self.v(s.cond)}:")
                self.stmts(s.body, depth + 1)
            elif isinstance(s, Exit):
                self.exit(s, depth)
            else:
                self.op(s, depth)
        if len(self.lines) == start:
            self.emit(depth, "pass")

    def exit(self, s: Exit, depth: int) -> None:
        if s.kind is ExitKind.GOTO or s.kind is ExitKind.JUMP:
            self.emit(depth, f"return {self.v(s.target)}")
        else:
            self.emit(depth, f"return {_special_exit(s)}")

    def op(self, s: Op, depth: int) -> None:
        o, a = s.opcode, [self.v(x) for x in s.args]
        d = f"t{s.dst.id}" if s.dst is not None else ""
        ty = s.dst.ty if s.dst is not None else None
        e = None
        if o == "get":
            slot = s.attr[0]
            e = f"S{self.layout.view_code(slot)}[{self.layout.view_index(slot)}]"
        elif o == "put":
            slot = s.attr[0]
            self.emit(depth, f"S{self.layout.view_code(slot)}[{self.layout.view_index(slot)}]"
                             f" = {a[0]}")
            return
        elif o == "load":
            self.load(s, a[0], d, depth)
            return
        elif o == "store":
            self.store(s, a[0], a[1], depth)
            return
        elif ty is I1 and o in ("and", "or", "xor"):
            e = f"({a[0]} {'&' if o == 'and' else '|' if o == 'or' else '^'} {a[1]})"
        elif ty is not None and not ty.is_float and o in ("add", "sub", "mul", "and", "or",
                                                           "xor", "shl", "lshr", "ashr",
                                                           "rotr", "udiv", "sdiv", "urem",
                                                           "srem", "not", "neg", "clz",
                                                           "bswap"):
            e = self.intop(o, a, s.args, ty)
        elif o == "zext" or o == "copy":
            e = a[0]
        elif o == "sext":
            sb = 1 << (s.args[0].ty.bits - 1)
            e = f"((({a[0]} ^ {sb}) - {sb}) & {ty.mask})"
        elif o == "trunc":
            e = f"({a[0]} & {ty.mask})"
        elif o == "icmp":
            e = self.icmp(s.attr[0], a, s.args[0].ty)
        elif o == "select":
            e = f"({a[1]} if {a[0]} else {a[2]})"
        elif o in ("fadd", "fsub", "fmul"):
            sym = {"fadd": "+", "fsub": "-", "fmul": "*"}[o]
            e = self.fround(f"({a[0]} {sym} {a[1]})", ty)
        elif o == "fdiv":
            e = self.fround(f"_fdiv({a[0]}, {a[1]})", ty)
        elif o == "fma":
            e = self.fround(f"_fma({a[0]}, {a[1]}, {a[2]})", ty)
        elif o == "fneg":
            e = f"(-{a[0]})"
        elif o == "fabs":
            e = f"_fabs({a[0]})"
        elif o == "fsqrt":
            e = self.fround(f"_fsqrt({a[0]})", ty)
        elif o == "fcmp":
            e = _FCMP[s.attr[0]].format(a=a[0], b=a[1])
        elif o == "fpext":
            e = a[0]
        elif o == "fptrunc":
            e = f"_f32r({a[0]})"
        elif o in ("fptosi", "fptoui"):
            e = f"_fptoi({a[0]}, {ty.bits}, {o == 'fptosi'})"
        elif o in ("sitofp", "uitofp"):
            src = s.args[0].ty
            x = a[0]
            if o == "sitofp":
                sb = 1 << (src.bits - 1)
                x = f"(({x} ^ {sb}) - {sb})"
            e = self.fround(f"float({x})", ty)
        elif o == "bitcast":
            if ty.is_float:
                e = f"_b2f({a[0]}, {self.bind(ty, ('ty', str(ty)))})"
            else:
                e = f"_f2b({a[0]}, {self.bind(s.args[0].ty, ('ty', str(s.args[0].ty)))})"
        elif o == "call":
            h = HELPERS[s.attr[0]]
            fn = self.bind(h.fn, ("helper", h.name))
            call = f"{fn}({', '.join(a)})"
            if d:
                e = call
            else:
                self.emit(depth, call)
                return
        if e is None:
            raise NotImplementedError(f"interp: no lowering for {s}")
        self.emit(depth, f"{d} = {e}")

    def fround(self, expr: str, ty: Ty) -> str:
        return f"_f32r({expr})" if ty is F32 else expr

    def intop(self, o: str, a: list[str], args: tuple[Value, ...], ty: Ty) -> str:
        m, bits = ty.mask, ty.bits
        sb = 1 << (bits - 1)
        if o == "add":
            return f"(({a[0]} + {a[1]}) & {m})"
        if o == "sub":
            return f"(({a[0]} - {a[1]}) & {m})"
        if o == "mul":
            return f"(({a[0]} * {a[1]}) & {m})"
        if o in ("and", "or", "xor"):
            return f"({a[0]} {dict(zip(('and', 'or', 'xor'), '&|^'))[o]} {a[1]})"
        if o == "shl":
            if isinstance(args[1], Const):
                return f"(({a[0]} << {a[1]}) & {m})" if args[1].value < bits else "0"
            return f"((({a[0]} << {a[1]}) & {m}) if {a[1]} < {bits} else 0)"
        if o == "lshr":
            return f"({a[0]} >> {a[1]})"
        if o == "ashr":
            return f"(((({a[0]} ^ {sb}) - {sb}) >> {a[1]}) & {m})"
        if o == "rotr":
            if isinstance(args[1], Const):
                r = args[1].value % bits
                return f"((({a[0]} >> {r}) | ({a[0]} << {bits - r})) & {m})"
            return f"_rotr({a[0]}, {a[1]}, {bits})"
        if o == "udiv":
            return f"({a[0]} // {a[1]} if {a[1]} else 0)"
        if o == "urem":
            return f"({a[0]} % {a[1]} if {a[1]} else 0)"
        if o == "sdiv":
            return f"_sdiv({a[0]}, {a[1]}, {bits})"
        if o == "srem":
            return f"_srem({a[0]}, {a[1]}, {bits})"
        if o == "not":
            return f"({a[0]} ^ {m})"
        if o == "neg":
            return f"((-{a[0]}) & {m})"
        if o == "clz":
            return f"({bits} - ({a[0]}).bit_length())"
        if o == "bswap":
            return f"_bswap({a[0]}, {bits})"
        raise NotImplementedError(o)

    def icmp(self, pred: str, a: list[str], ty: Ty) -> str:
        sym = {"eq": "==", "ne": "!=", "ult": "<", "ule": "<=", "ugt": ">", "uge": ">=",
               "slt": "<", "sle": "<=", "sgt": ">", "sge": ">="}[pred]
        if pred[0] == "s":
            sb = 1 << (ty.bits - 1)
            return f"(({a[0]} ^ {sb}) {sym} ({a[1]} ^ {sb}))"
        return f"({a[0]} {sym} {a[1]})"

    def accessor(self, ty: Ty, endian: str, store: bool) -> str:
        """Name of the machine's checked load/store function for this access."""
        name = _accessor_name(ty, endian, store)
        if name not in self.env:
            self.env[name] = _cached_accessor(self.mem, ty, endian, store)
            self.specs[name] = ("acc", str(ty), endian, store)
        return name

    def _access(self, ty: Ty, endian: str, store: bool) -> str:
        if ty.bits == 8:
            return ""
        code = {16: "H", 32: "I", 64: "Q"}[ty.bits]
        if ty is F32:
            code = "f"
        elif ty is F64:
            code = "d"
        st = struct.Struct(("<" if endian == "le" else ">") + code)
        return self.bind(st.pack_into if store else st.unpack_from)

    def load(self, s: Op, addr: str, d: str, depth: int) -> None:
        ty = s.dst.ty
        endian, pc = s.attr
        if not self.rec:  # one call: the check and the access (less code to compile)
            self.emit(depth, f"{d} = {self.accessor(ty, endian, False)}({addr}, {pc})")
            return
        self.emit(depth, f"if not PM[{addr} >> 12] & 1: _fault({addr}, 0, {pc})")
        if ty.bits == 8:
            self.emit(depth, f"{d} = M[{addr}]")
        else:
            self.emit(depth, f"{d} = {self._access(ty, endian, False)}(M, {addr})[0]")
        if self.rec:
            self.emit(depth, f"{self.rec}(('r', {addr}, {ty.bits // 8}, {d}))")

    def store(self, s: Op, addr: str, val: str, depth: int) -> None:
        ty = s.args[1].ty
        endian, pc = s.attr
        if not self.rec:
            self.emit(depth, f"{self.accessor(ty, endian, True)}({addr}, {val}, {pc})")
            return
        self.emit(depth, f"if not PM[{addr} >> 12] & 2: _fault({addr}, 1, {pc})")
        if ty.bits == 8:
            self.emit(depth, f"M[{addr}] = {val}")
        else:
            self.emit(depth, f"{self._access(ty, endian, True)}(M, {addr}, {val})")
        if self.rec:
            self.emit(depth, f"{self.rec}(('w', {addr}, {ty.bits // 8}, {val}))")


def _accessor(mem, ty: Ty, endian: str, store: bool) -> Callable:
    """A checked guest load `(addr, pc) -> value` or store `(addr, value, pc)`."""
    mm, perm = mem.mm, mem.perm
    if ty.bits == 8:
        if store:
            def st8(a: int, v: int, pc: int) -> None:
                if not perm[a >> 12] & 2:
                    _fault(a, 1, pc)
                mm[a] = v
            return st8

        def ld8(a: int, pc: int) -> int:
            if not perm[a >> 12] & 1:
                _fault(a, 0, pc)
            return mm[a]
        return ld8
    code = {F32: "f", F64: "d"}.get(ty) or {16: "H", 32: "I", 64: "Q"}[ty.bits]
    st = struct.Struct(("<" if endian == "le" else ">") + code)
    if store:
        pack = st.pack_into

        def store_(a: int, v: int | float, pc: int) -> None:
            if not perm[a >> 12] & 2:
                _fault(a, 1, pc)
            pack(mm, a, v)
        return store_
    unpack = st.unpack_from

    def load_(a: int, pc: int) -> int | float:
        if not perm[a >> 12] & 1:
            _fault(a, 0, pc)
        return unpack(mm, a)[0]
    return load_


def _accessor_name(ty: Ty, endian: str, store: bool) -> str:
    return f"_{'st' if store else 'ld'}{ty}{endian}"


def _cached_accessor(mem, ty: Ty, endian: str, store: bool) -> Callable:
    cache = mem.__dict__.setdefault("interp_accessors", {})
    name = _accessor_name(ty, endian, store)
    if name not in cache:
        cache[name] = _accessor(mem, ty, endian, store)
    return cache[name]


_TYS = {str(t): t for t in Ty}


def _base_env(machine: "Machine") -> dict[str, object]:
    """The names every block function may bind (built once per machine)."""
    env = machine.__dict__.get("interp_env")
    if env is not None:
        return env
    views = machine.state.views
    env = machine.__dict__["interp_env"] = {
        "SI": views["I"], "SQ": views["Q"], "Sf": views["f"], "Sd": views["d"],
        "M": machine.mem.mm, "PM": machine.mem.perm, "_fault": _fault, "_rotr": _rotr,
        "_sdiv": _sdiv, "_srem": _srem, "_bswap": _bswap, "_f32r": _f32_round,
        "_fdiv": _fdiv, "_fsqrt": _fsqrt, "_fabs": math.fabs, "_fma": _fma,
        "_fptoi": _fptoi, "_b2f": _bits_to_float, "_f2b": _float_to_bits}
    return env


def _resolve(spec: tuple, name: str, base: dict, machine: "Machine") -> object:
    kind = spec[0]
    if kind == "env":
        return base[name]
    if kind == "float":
        return spec[1]
    if kind == "ty":
        return _TYS[spec[1]]
    if kind == "helper":
        return HELPERS[spec[1]].fn
    if kind == "acc":
        return _cached_accessor(machine.mem, _TYS[spec[1]], spec[2], spec[3])
    raise ValueError(f"bad binding {spec!r}")


def _from_artifact(artifact: bytes, machine: "Machine") -> Callable[[], int]:
    """The block function from its persistent form: (code, names, how to bind each)."""
    code, names, specs = marshal.loads(artifact)
    base = _base_env(machine)
    ns = {n: _resolve(sp, n, base, machine) for n, sp in zip(names, specs)}
    exec(code, ns)
    return ns["fn"]


def _define(g: _Gen, machine: "Machine", params, body: str, name: str):
    """(function, code object, names bound) for generated `body`: the names it uses
    are bound as parameter defaults (locals are the fastest names)."""
    env = {**_base_env(machine), **g.env}
    used = {k: v for k, v in env.items() if k in body}
    src = f"def fn({', '.join([*params, *(f'{k}={k}' for k in used)])}):\n{body}\n"
    code = compile(src, name, "exec")
    ns: dict[str, object] = dict(used)
    exec(code, ns)
    fn = ns["fn"]
    fn.source = src  # for debugging
    return fn, code, used


def compile_block(block: Block, machine: "Machine", record: list | None = None
                  ) -> Callable[[], int]:
    pcache = machine.pcache if record is None else None
    artifact = getattr(block, "artifact", None)
    if artifact is not None and record is None:
        return _from_artifact(artifact, machine)
    g = _Gen(machine, record)
    g.stmts(block.body, 1)
    fn, code, used = _define(g, machine, (), "\n".join(g.lines), f"<block {block.pc:#x}>")
    if pcache is not None:
        specs = tuple(g.specs.get(k, ("env",)) for k in used)
        if all(sp is not None for sp in specs):
            pcache.set_artifact(block, marshal.dumps((code, tuple(used), specs)))
    return fn


def _fma(a: float, b: float, c: float) -> float:
    """Fused multiply-add with a single rounding (exact via fractions when finite)."""
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        return a * b + c
    from fractions import Fraction
    r = Fraction(a) * Fraction(b) + Fraction(c)
    if r == 0:
        return a * b + c  # keeps the IEEE sign-of-zero rules
    try:
        return float(r)
    except OverflowError:
        return math.inf if r > 0 else -math.inf


class _OpFns(dict):
    """Per machine: op shape -> a small function computing that op, compiled from the
    lowering `_Gen.op` gives it, so a walked block computes exactly what its compiled
    function would.  A shape is (opcode, result type, argument types, attributes); loads
    and stores are the machine's checked accessors, called with the guest pc last."""

    def __init__(self, machine: "Machine") -> None:
        super().__init__()
        self.machine = machine

    def __missing__(self, key: tuple) -> Callable:
        opcode = key[0]
        if opcode == "load" or opcode == "store":
            fn = _cached_accessor(self.machine.mem, key[2], key[1], opcode == "store")
        else:
            _, ty, arg_tys, attr = key
            n = len(arg_tys)
            g = _Gen(self.machine)
            dst = Temp(n, ty) if ty is not None else None
            g.op(Op(opcode, dst, tuple(Temp(i, t) for i, t in enumerate(arg_tys)), attr), 1)
            body = "\n".join(g.lines) + (f"\n    return t{n}" if dst is not None else "")
            fn = _define(g, self.machine, [f"t{i}" for i in range(n)], body, f"<op {opcode}>")[0]
        self[key] = fn
        return fn


def _walk(body: tuple[Stmt, ...], t: dict[int, object], fns: _OpFns) -> int | None:
    """Execute IR statements one by one (None: the end was reached without an exit)."""
    for s in body:
        if type(s) is Op:
            args = [t[a.id] if type(a) is Temp else a.value for a in s.args]
            o, dst = s.opcode, s.dst
            if o == "load" or o == "store":
                args.append(s.attr[1])
                key = (o, s.attr[0], dst.ty if dst is not None else s.args[1].ty)
            else:
                key = (o, dst.ty if dst is not None else None,
                       tuple([a.ty for a in s.args]), s.attr)
            r = fns[key](*args)
            if dst is not None:
                t[dst.id] = r
        elif type(s) is If:
            c = s.cond
            if t[c.id] if type(c) is Temp else c.value:
                r = _walk(s.body, t, fns)
                if r is not None:
                    return r
        elif s.kind is ExitKind.GOTO or s.kind is ExitKind.JUMP:
            return t[s.target.id] if type(s.target) is Temp else s.target.value
        else:
            return _special_exit(s)
    return None


def block_function(machine: "Machine", key: int, block: Block) -> Callable[[], int]:
    """The callable for a newly translated block.  Most blocks run once (start-up code),
    and compiling a block's Python function (~0.4 ms) costs as much as walking its IR
    six times: so the first WALKS runs walk the IR, and the next compiles the block,
    installs the compiled function in the block's cache entry and runs it."""
    if getattr(block, "artifact", None) is not None:
        return _from_artifact(block.artifact, machine)
    if not machine.options.walk_first:
        return compile_block(block, machine)
    fns = machine.__dict__.get("interp_ops")
    if fns is None:
        fns = machine.__dict__["interp_ops"] = _OpFns(machine)
    compiled = None
    walks = 0

    def first() -> int:
        nonlocal compiled, walks
        if compiled is None:
            if walks < WALKS:
                walks += 1
                return _walk(block.body, {}, fns)
            compiled = compile_block(block, machine)
            tb = machine.cache.blocks.get(key)
            if tb is not None and tb.fn is first:
                tb.fn = compiled
        return compiled()
    return first


WALKS = 3  # runs of a block walked before it is compiled (hello: 528 of 664 blocks run once)


def translate(machine: "Machine", key: int, block: Block) -> dict:
    return {key: (block, block_function(machine, key, block), None, 0)}


register_tier(Tier("interp", translate,
                   recording=lambda machine, key, block, rec: compile_block(block, machine, rec)))
