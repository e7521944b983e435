"""Interpreter tier: runs IR blocks in Python.

A new block's first runs walk its IR through a plan built once (`_plan`: each op is a
call of a small function for its op shape); a block that keeps running is compiled
into one Python function (generated source, compiled once) with guest state reached
through typed memoryviews and guest memory through the host mmap, temporaries as
Python locals or folded into the expression that uses them.

Both return the next block key (< 2**32), or for a syscall exit (1 << 32 | next pc),
or for a trap (signo << 40 | 2 << 32 | pc)."""

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


# -- Python expressions with only the parentheses they need -----------------------------
# CPython's parser is most of the cost of compiling a block, and every statement and
# every parenthesised group adds to it: a lowering builds (text, precedence) pairs and
# an operand is parenthesised only where Python's grammar needs it.
Expr = tuple[str, int]
COND, OR, AND, NOT, CMP, BOR, BXOR, BAND, SHIFT, ARITH, TERM, UNARY, ATOM = range(13)
_BINARY = {"|": BOR, "^": BXOR, "&": BAND, "<<": SHIFT, ">>": SHIFT, "+": ARITH,
           "-": ARITH, "*": TERM, "//": TERM, "%": TERM}


def _at(level: int, e: Expr | int) -> str:
    """The text of `e` as an operand that must bind at least as tightly as `level`
    (an int is a non-negative literal)."""
    if type(e) is int:
        return str(e)
    return e[0] if e[1] >= level else f"({e[0]})"


def _bin(x: Expr | int, sym: str, y: Expr | int) -> Expr:
    """x sym y, for one of Python's left-associative binary operators."""
    p = _BINARY[sym]
    return f"{_at(p, x)} {sym} {_at(p + 1, y)}", p


def _cmp(x: Expr | int, sym: str, y: Expr | int) -> Expr:
    """A comparison; its operands bind tighter (Python chains `a < b < c`)."""
    return f"{_at(BOR, x)} {sym} {_at(BOR, y)}", CMP


def _call(fn: str, *args: Expr | int) -> Expr:
    return f"{fn}({', '.join(_at(COND, a) for a in args)})", ATOM


def _select(c: Expr, x: Expr, y: Expr) -> Expr:
    return f"{_at(OR, x)} if {_at(OR, c)} else {_at(COND, y)}", COND


def _not(x: Expr) -> Expr:
    return f"not {_at(NOT, x)}", NOT


def _or(x: Expr, y: Expr) -> Expr:
    return f"{_at(OR, x)} or {_at(AND, y)}", OR


def _and(x: Expr, y: Expr) -> Expr:
    return f"{_at(AND, x)} and {_at(NOT, y)}", AND


def _fcmp(pred: str, a: Expr, b: Expr) -> Expr:
    """An fcmp predicate on Python floats (NaN compares false: the unordered
    predicates are the negated ordered ones).  `a` and `b` are names or literals:
    some predicates read them twice."""
    if pred == "uno":
        return _or(_cmp(a, "!=", a), _cmp(b, "!=", b))
    if pred == "ord":
        return _and(_cmp(a, "==", a), _cmp(b, "==", b))
    if pred in ("one", "ueq"):
        e = _or(_cmp(a, "<", b), _cmp(a, ">", b))
        return e if pred == "one" else _not(e)
    if pred[0] == "o":
        return _cmp(a, {"oeq": "==", "olt": "<", "ole": "<=", "ogt": ">", "oge": ">="}[pred], b)
    if pred == "une":
        return _cmp(a, "!=", b)
    return _not(_cmp(a, {"ult": ">=", "ule": ">", "ugt": "<=", "uge": "<"}[pred], b))


def _special_exit(s: Exit) -> int:
    """The return value of a syscall or trap exit (see the module docstring)."""
    if s.kind is ExitKind.SYSCALL:
        return (1 << 32) | s.target.value
    return (s.info << 40) | (2 << 32) | s.target.value


class _Gen:
    """Python source for IR statements: `compile_block` emits a block's body, `_OpFns`
    one op.  With `uses` (temp id -> how often it is read), a pure value read once is
    not assigned to a local but folded into the expression that reads it (fewer
    statements: cheaper to compile and to run); it then runs there, later than its op,
    which no side effect can tell apart: it reads only temporaries and never raises."""

    def __init__(self, machine: "Machine", record: list | None = None,
                 uses: dict[int, int] | None = None) -> None:
        self.layout = machine.arch.layout
        self.lines: list[str] = []
        self.depth = 1  # indentation of the next line
        self.env: dict[str, object] = {}
        self.mem = machine.mem
        self.nconst = 0
        # name -> how to rebuild the bound object in another process (for the persistent
        # cache); None for objects that cannot be (then the code is not cacheable).
        self.specs: dict[str, tuple | None] = {}
        # The tracer's list: each load/store appends (kind "r"/"w", address, bytes,
        # value).  None (always, but for --trace) emits no recording code at all.
        self.rec = self.bind(record.append) if record is not None else None
        self.uses = uses or {}
        # Temp id -> its expression, for the temporaries that are not locals.
        self.exprs: dict[int, Expr] = {}

    def v(self, x: Value) -> Expr:
        if type(x) is Temp:
            return self.exprs.get(x.id) or (f"t{x.id}", ATOM)
        if x.ty.is_float:
            if math.isfinite(x.value):
                text = repr(float(x.value))
                return text, UNARY if text[0] == "-" else ATOM
            return self.bind(float(x.value), ("float", float(x.value))), ATOM
        return str(x.value), ATOM

    def atom(self, x: Value) -> Expr:
        """`x` as a name or a literal, for a lowering that reads it twice: a folded
        value is assigned to its local here."""
        e = self.v(x)
        if type(x) is Const or e[0].isidentifier():
            return e
        name = f"t{x.id}"
        self.emit(f"{name} = {e[0]}")
        e = self.exprs[x.id] = name, ATOM
        return e

    def bind(self, obj: object, spec: tuple | None = None) -> str:
        self.nconst += 1
        name = f"k{self.nconst}"
        self.env[name] = obj
        self.specs[name] = spec
        return name

    def emit(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    def stmts(self, body: tuple[Stmt, ...]) -> None:
        start = len(self.lines)
        for s in body:
            if type(s) is If:
                self.emit(f"if {self.v(s.cond)[0]}:")
                self.depth += 1
                self.stmts(s.body)
                self.depth -= 1
            elif type(s) is Exit:
                self.exit(s)
            else:
                self.op(s)
        if len(self.lines) == start:
            self.emit("pass")

    def exit(self, s: Exit) -> None:
        if s.kind is ExitKind.GOTO or s.kind is ExitKind.JUMP:
            self.emit(f"return {self.v(s.target)[0]}")
        else:
            self.emit(f"return {_special_exit(s)}")

    def op(self, s: Op) -> None:
        o, args, dst = s.opcode, s.args, s.dst
        ty = dst.ty if dst is not None else None
        if o == "get":
            e = self.slot(s.attr[0]), ATOM
        elif o == "put":
            self.emit(f"{self.slot(s.attr[0])} = {self.v(args[0])[0]}")
            return
        elif o == "load":
            self.load(s)
            return
        elif o == "store":
            self.store(s)
            return
        elif o == "call":
            h = HELPERS[s.attr[0]]
            e = _call(self.bind(h.fn, ("helper", h.name)), *map(self.v, args))
            if dst is None:
                self.emit(e[0])
                return
        else:
            e = self.pure(o, s, ty)
        if o not in _IMPURE and (self.uses.get(dst.id) == 1 and len(e[0]) <= _FOLD_CHARS
                                 or o in _COPIES and (type(args[0]) is Const
                                                      or e[0].isidentifier())):
            self.exprs[dst.id] = e
        else:
            self.emit(f"t{dst.id} = {e[0]}")

    def slot(self, slot: int) -> str:
        return f"S{self.layout.view_code(slot)}[{self.layout.view_index(slot)}]"

    def pure(self, o: str, s: Op, ty: Ty) -> Expr:
        """The expression of an op without side effects."""
        args = s.args
        if ty is I1 and o in ("and", "or", "xor"):
            return _bin(self.v(args[0]), _BITWISE[o], self.v(args[1]))
        if not ty.is_float and o in _INTOPS:
            return self.intop(o, args, ty)
        if o in _COPIES:
            return self.v(args[0])
        if o == "sext":
            sb = 1 << (args[0].ty.bits - 1)
            return _bin(_bin(_bin(self.v(args[0]), "^", sb), "-", sb), "&", ty.mask)
        if o == "trunc":
            return _bin(self.v(args[0]), "&", ty.mask)
        if o == "icmp":
            return self.icmp(s.attr[0], self.v(args[0]), self.v(args[1]), args[0].ty)
        if o == "select":
            return _select(*map(self.v, args))
        if o in ("fadd", "fsub", "fmul"):
            sym = {"fadd": "+", "fsub": "-", "fmul": "*"}[o]
            return self.fround(_bin(self.v(args[0]), sym, self.v(args[1])), ty)
        if o == "fdiv":
            return self.fround(_call("_fdiv", *map(self.v, args)), ty)
        if o == "fma":
            return self.fround(_call("_fma", *map(self.v, args)), ty)
        if o == "fneg":
            return f"-{_at(UNARY, self.v(args[0]))}", UNARY
        if o == "fabs":
            return _call("_fabs", self.v(args[0]))
        if o == "fsqrt":
            return self.fround(_call("_fsqrt", self.v(args[0])), ty)
        if o == "fcmp":
            return _fcmp(s.attr[0], self.atom(args[0]), self.atom(args[1]))
        if o == "fptrunc":
            return _call("_f32r", self.v(args[0]))
        if o in ("fptosi", "fptoui"):
            return _call("_fptoi", self.v(args[0]), ty.bits, (str(o == "fptosi"), ATOM))
        if o in ("sitofp", "uitofp"):
            x = self.v(args[0])
            if o == "sitofp":
                sb = 1 << (args[0].ty.bits - 1)
                x = _bin(_bin(x, "^", sb), "-", sb)
            return self.fround(_call("float", x), ty)
        if o == "bitcast":
            if ty.is_float:
                return _call("_b2f", self.v(args[0]), (self.bind(ty, ("ty", str(ty))), ATOM))
            src = args[0].ty
            return _call("_f2b", self.v(args[0]), (self.bind(src, ("ty", str(src))), ATOM))
        raise NotImplementedError(f"interp: no lowering for {s}")

    def fround(self, e: Expr, ty: Ty) -> Expr:
        return _call("_f32r", e) if ty is F32 else e

    def intop(self, o: str, args: tuple[Value, ...], ty: Ty) -> Expr:
        m, bits = ty.mask, ty.bits
        if o in ("add", "sub", "mul"):
            return _bin(_bin(self.v(args[0]), _ARITH[o], self.v(args[1])), "&", m)
        if o in ("and", "or", "xor"):
            return _bin(self.v(args[0]), _BITWISE[o], self.v(args[1]))
        if o == "shl":
            if type(args[1]) is Const:
                if args[1].value >= bits:
                    return "0", ATOM
                return _bin(_bin(self.v(args[0]), "<<", self.v(args[1])), "&", m)
            n = self.atom(args[1])
            return _select(_cmp(n, "<", bits), _bin(_bin(self.v(args[0]), "<<", n), "&", m),
                           ("0", ATOM))
        if o == "lshr":
            return _bin(self.v(args[0]), ">>", self.v(args[1]))
        if o == "ashr":
            sb = 1 << (bits - 1)
            signed = _bin(_bin(self.v(args[0]), "^", sb), "-", sb)
            return _bin(_bin(signed, ">>", self.v(args[1])), "&", m)
        if o == "rotr":
            if type(args[1]) is Const:
                r = args[1].value % bits
                a = self.atom(args[0])
                return _bin(_bin(_bin(a, ">>", r), "|", _bin(a, "<<", bits - r)), "&", m)
            return _call("_rotr", self.v(args[0]), self.v(args[1]), bits)
        if o in ("udiv", "urem"):
            a = self.v(args[0])
            d = self.atom(args[1])
            return _select(d, _bin(a, "//" if o == "udiv" else "%", d), ("0", ATOM))
        if o == "sdiv":
            return _call("_sdiv", self.v(args[0]), self.v(args[1]), bits)
        if o == "srem":
            return _call("_srem", self.v(args[0]), self.v(args[1]), bits)
        if o == "not":
            return _bin(self.v(args[0]), "^", m)
        if o == "neg":
            return _bin((f"-{_at(UNARY, self.v(args[0]))}", UNARY), "&", m)
        if o == "clz":
            return f"{bits} - ({self.v(args[0])[0]}).bit_length()", ARITH
        if o == "bswap":
            return _call("_bswap", self.v(args[0]), bits)
        raise NotImplementedError(o)

    def icmp(self, pred: str, a: Expr, b: Expr, ty: Ty) -> Expr:
        sym = {"eq": "==", "ne": "!=", "ult": "<", "ule": "<=", "ugt": ">", "uge": ">=",
               "slt": "<", "sle": "<=", "sgt": ">", "sge": ">="}[pred]
        if pred[0] == "s":
            sb = 1 << (ty.bits - 1)
            return _cmp(_bin(a, "^", sb), sym, _bin(b, "^", sb))
        return _cmp(a, sym, b)

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

    def load(self, s: Op) -> None:
        ty = s.dst.ty
        d = f"t{s.dst.id}"
        endian, pc = s.attr
        if not self.rec:  # one call: the check and the access (less code to compile)
            self.emit(f"{d} = {_call(self.accessor(ty, endian, False), self.v(s.args[0]), pc)[0]}")
            return
        addr = self.atom(s.args[0])[0]
        self.emit(f"if not PM[{addr} >> 12] & 1: _fault({addr}, 0, {pc})")
        if ty.bits == 8:
            self.emit(f"{d} = M[{addr}]")
        else:
            self.emit(f"{d} = {self._access(ty, endian, False)}(M, {addr})[0]")
        self.emit(f"{self.rec}(('r', {addr}, {ty.bits // 8}, {d}))")

    def store(self, s: Op) -> None:
        ty = s.args[1].ty
        endian, pc = s.attr
        if not self.rec:
            acc = self.accessor(ty, endian, True)
            self.emit(_call(acc, self.v(s.args[0]), self.v(s.args[1]), pc)[0])
            return
        addr = self.atom(s.args[0])[0]
        val = self.atom(s.args[1])[0]
        self.emit(f"if not PM[{addr} >> 12] & 2: _fault({addr}, 1, {pc})")
        if ty.bits == 8:
            self.emit(f"M[{addr}] = {val}")
        else:
            self.emit(f"{self._access(ty, endian, True)}(M, {addr}, {val})")
        self.emit(f"{self.rec}(('w', {addr}, {ty.bits // 8}, {val}))")


# Ops whose value cannot be folded into a later expression: what they read may change
# (state, memory) or they may do more than compute it (a helper).
_IMPURE = frozenset({"get", "load", "call"})
_COPIES = frozenset({"zext", "copy", "fpext"})  # the value is the operand's
_FOLD_CHARS = 120  # longest expression folded (bounds nesting for CPython's parser)
_INTOPS = frozenset({"add", "sub", "mul", "and", "or", "xor", "shl", "lshr", "ashr", "rotr",
                     "udiv", "sdiv", "urem", "srem", "not", "neg", "clz", "bswap"})
_ARITH = {"add": "+", "sub": "-", "mul": "*"}
_BITWISE = {"and": "&", "or": "|", "xor": "^"}


def _uses(body: tuple[Stmt, ...], counts: dict[int, int]) -> dict[int, int]:
    """Add how often `body` reads each temporary to `counts`."""
    for s in body:
        kind = type(s)
        if kind is Op:
            vals = s.args
        elif kind is If:
            vals = (s.cond,)
            _uses(s.body, counts)
        else:
            vals = (s.target,)
        for x in vals:
            if type(x) is Temp:
                counts[x.id] = counts.get(x.id, 0) + 1
    return counts


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
    g = _Gen(machine, record, _uses(block.body, {}))
    g.stmts(block.body)
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
    """Per machine: op shape -> the step function `(v, d, a, b, c)` a plan calls for an
    op of that shape (see `_plan`).  A shape is (opcode, result type, argument types...,
    attributes), types by name; get/put steps are per state slot and read or write its
    view as the compiled code does; load/store steps call the machine's checked
    accessors; the others are compiled from the lowering `_Gen` gives the op, so a
    walked block computes exactly what its compiled function would."""

    def __init__(self, machine: "Machine") -> None:
        super().__init__()
        self.machine = machine

    def __missing__(self, key: tuple) -> Callable:
        opcode = key[0]
        machine = self.machine
        if opcode == "get" or opcode == "put":
            layout = machine.arch.layout
            view = machine.state.views[layout.view_code(key[1])]
            fn = (_put_step if opcode == "put" else _get_step)(view, layout.view_index(key[1]))
        elif opcode == "load" or opcode == "store":
            acc = _cached_accessor(machine.mem, Ty[key[2]], key[1], opcode == "store")
            fn = (_store_step if opcode == "store" else _load_step)(acc)
        else:
            ty, arg_tys, attr = key[1], key[2:-1], key[-1]
            n = len(arg_tys)
            g = _Gen(machine, uses={n: 1})
            for i in range(n):  # operands: indices into v, or one tuple of them
                g.exprs[i] = (f"v[{'abc'[i]}]" if n <= 3 else f"v[a[{i}]]"), ATOM
            dst = Temp(n, Ty[ty]) if ty is not None else None
            g.op(Op(opcode, dst, tuple(Temp(i, Ty[t]) for i, t in enumerate(arg_tys)), attr))
            if dst is not None:
                g.emit(f"v[d] = {g.v(dst)[0]}")
            fn = _define(g, machine, ("v", "d", "a", "b", "c"), "\n".join(g.lines),
                         f"<op {opcode}>")[0]
        self[key] = fn
        return fn


def _get_step(view: memoryview, i: int) -> Callable:
    def get(v: list, d: int, a: int, b: int, c: int) -> None:
        v[d] = view[i]
    return get


def _put_step(view: memoryview, i: int) -> Callable:
    def put(v: list, d: int, a: int, b: int, c: int) -> None:
        view[i] = v[a]
    return put


def _load_step(load: Callable) -> Callable:
    def step(v: list, d: int, a: int, pc: int, c: int) -> None:
        v[d] = load(v[a], pc)
    return step


def _store_step(store: Callable) -> Callable:
    def step(v: list, d: int, a: int, b: int, pc: int) -> None:
        store(v[a], v[b], pc)
    return step


Plan = tuple[list, "int | None"]


def _plan(body: tuple[Stmt, ...], fns: _OpFns, slots: dict[int, int], v: list) -> Plan:
    """The steps that walk `body`, and the index in `v` of its exit's result (None: the
    body has no exit).  `v` holds the block's values: each temporary has an index
    (`slots`: temp id -> index), each constant operand one preset to it.  A step is
    (function, d, a, b, c), called with v: an op's function reads its operands at
    indices a, b, c (more than three: `a` holds their indices) and stores its result
    at d; load and store steps get the guest pc in place of their last operand.  The
    step of an If is (None, its body's plan, index of the condition, 0, 0).

    This runs once for every block, and most blocks then run only once: so it spells
    out the common shapes (up to three operands), without loops."""
    steps = []
    for s in body:
        kind = type(s)
        if kind is Op:
            o, dst, args, attr = s.opcode, s.dst, s.args, s.attr
            n = len(args)
            a = _index(args[0], slots, v) if n else 0
            b = _index(args[1], slots, v) if n > 1 else 0
            c = _index(args[2], slots, v) if n > 2 else 0
            d = 0
            if dst is not None:
                d = slots[dst.id] = len(v)
                v.append(None)
            # Shape keys name the types: an Enum member hashes in Python code.
            if o == "get" or o == "put":
                fn = fns[o, attr[0]]
            elif o == "load":
                fn = fns[o, attr[0], dst.ty._name_]
                b = attr[1]
            elif o == "store":
                fn = fns[o, attr[0], args[1].ty._name_]
                c = attr[1]
            elif n == 2:
                fn = fns[o, dst.ty._name_, args[0].ty._name_, args[1].ty._name_, attr]
            elif n == 1:
                fn = fns[o, dst.ty._name_, args[0].ty._name_, attr]
            else:
                fn = fns[(o, dst.ty._name_ if dst is not None else None,
                          *[x.ty._name_ for x in args], attr)]
                if n > 3:
                    a, b, c = (a, b, c, *[_index(x, slots, v) for x in args[3:]]), 0, 0
            steps.append((fn, d, a, b, c))
        elif kind is If:
            steps.append((None, _plan(s.body, fns, slots, v), _index(s.cond, slots, v), 0, 0))
        elif s.kind is ExitKind.GOTO or s.kind is ExitKind.JUMP:
            return steps, _index(s.target, slots, v)
        else:
            v.append(_special_exit(s))
            return steps, len(v) - 1
    return steps, None


def _index(x: Value, slots: dict[int, int], v: list) -> int:
    """The index in `v` of a temporary, or of a new one preset to a constant."""
    if type(x) is Temp:
        return slots[x.id]
    v.append(x.value)
    return len(v) - 1


def _run(plan: Plan, v: list) -> int | None:
    """Walk a plan (None: its end was reached without an exit)."""
    steps, x = plan
    for fn, d, a, b, c in steps:
        if fn is not None:
            fn(v, d, a, b, c)
        elif v[a]:
            r = _run(d, v)
            if r is not None:
                return r
    return None if x is None else v[x]


def block_function(machine: "Machine", key: int, block: Block) -> Callable[[], int]:
    """The callable for a newly translated block.  Most blocks run once (start-up code),
    and compiling a block's Python function costs much more than walking its IR: so
    the first WALKS runs walk the IR (the first builds the plan they walk), and the
    next compiles the block, installs the compiled function in the block's cache entry
    and runs it."""
    if getattr(block, "artifact", None) is not None:
        return _from_artifact(block.artifact, machine)
    if not machine.options.walk_first:
        return compile_block(block, machine)
    fns = machine.__dict__.get("interp_ops")
    if fns is None:
        fns = machine.__dict__["interp_ops"] = _OpFns(machine)
    # The walk's values: no run reads a value an earlier run left (each temporary is
    # written before it is read), so every run reuses the list.
    v: list = []
    plan: Plan | None = None
    compiled = None
    walks = 0

    def first() -> int:
        nonlocal plan, compiled, walks
        if compiled is None:
            if walks < WALKS:
                walks += 1
                if plan is None:
                    plan = _plan(block.body, fns, {}, v)
                return _run(plan, v)
            compiled = compile_block(block, machine)
            tb = machine.cache.blocks.get(key)
            if tb is not None and tb.fn is first:
                tb.fn = compiled
        return compiled()
    return first


# Runs of a block walked before it is compiled.  Ski rental: walk while the walks have
# cost less than a compile.  In real runs a compile costs ~300-400 us (mostly CPython's
# parser), a walk ~6 us and a compiled run ~3 us: break-even after ~100 runs.  Whole
# runs (callgrind instructions, sum of armel hello, printf and malloc) put the best a
# little lower: 30 to 60 within 0.3% of each other, 100 1.4% worse, 3 (the old value, for
# walks without plans) 12% worse.
WALKS = 40


def translate(machine: "Machine", key: int, block: Block) -> dict:
    return {key: (block, block_function(machine, key, block), None, 0)}


register_tier(Tier("interp", translate,
                   recording=lambda machine, key, block, rec: compile_block(block, machine, rec)))
