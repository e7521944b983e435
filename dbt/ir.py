"""The IR: the one contract between frontends (which lift guest code into it) and
backends (which execute it).

A `Block` is straight-line code for one guest basic block: a tuple of statements
(`Op`, `If`, `Exit`) ending in an unconditional `Exit`.  Values are SSA temporaries
(`Temp`) or constants (`Const`), each with a type.  `If` holds a nested body that runs
when its i1 condition is true (conditional execution); temporaries defined in an `If`
body are not visible after it, so guest state carries values out through put/get.

Semantics every backend must implement exactly:
- integers are unsigned bit patterns of their width; arithmetic wraps;
- shl/lshr by an amount >= width give 0, ashr gives the sign fill; rotr is modulo width;
- udiv/sdiv/urem/srem by zero give 0; sdiv of INT_MIN by -1 gives INT_MIN (srem: 0);
- clz of 0 is the width;
- load/store take an i32 guest address; the result/stored type sets the size, and the
  op's `endian` attribute ("le"/"be") the byte order.  An access to a page without the
  needed permission is a guest fault reported at the op's guest `pc`;
- get/put read/write a CPU-state slot (by index) of the slot's type;
- call invokes a registered helper (see `HELPERS`) by name.
"""

from __future__ import annotations

import marshal
from dataclasses import MISSING, dataclass, field, fields
from enum import Enum
from typing import Callable, Union


class Ty(Enum):
    I1 = ("i1", 1)
    I8 = ("i8", 8)
    I16 = ("i16", 16)
    I32 = ("i32", 32)
    I64 = ("i64", 64)
    F32 = ("f32", 32)
    F64 = ("f64", 64)

    def __init__(self, label: str, bits: int) -> None:
        # Plain attributes: the lifters and backends read these constantly.
        self.bits = bits
        self.mask = (1 << bits) - 1
        self.is_float = label[0] == "f"

    def __str__(self) -> str:
        return self.value[0]

    # Members are singletons, so identity hashing is exact -- and C-level: Enum's own
    # __hash__ (hash of the name) is Python code that every dict keyed by a type, or by
    # a Temp/Const holding one, would call.  No hash is kept across processes.
    __hash__ = object.__hash__


I1, I8, I16, I32, I64, F32, F64 = Ty.I1, Ty.I8, Ty.I16, Ty.I32, Ty.I64, Ty.F32, Ty.F64


def _init_through_slots(cls: type) -> type:
    """Give a frozen slotted dataclass an __init__ that stores each field through its slot
    descriptor, with the same parameters and defaults (written out the way dataclasses
    writes its own).  The generated one goes through object.__setattr__ per field (the
    class is frozen), at nearly twice the cost; lifting makes an IR node for every
    statement and for many values."""
    params, body, env = [], [], {}
    for f in fields(cls):
        env[f"_set_{f.name}"] = cls.__dict__[f.name].__set__
        if f.default is MISSING:
            params.append(f.name)
        else:
            env[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        body.append(f"    _set_{f.name}(self, {f.name})\n")
    exec(f"def __init__(self, {', '.join(params)}):\n{''.join(body)}", env)
    env["__init__"].__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = env["__init__"]
    return cls


@_init_through_slots
@dataclass(frozen=True, slots=True)
class Temp:
    id: int
    ty: Ty

    def __str__(self) -> str:
        return f"t{self.id}"


@_init_through_slots
@dataclass(frozen=True, slots=True)
class Const:
    value: int | float
    ty: Ty

    def __str__(self) -> str:
        if self.ty.is_float:
            return f"{self.value!r}:{self.ty}"
        return f"{self.value:#x}:{self.ty}"


Value = Union[Temp, Const]


# Lifters make constants all the time, mostly small ones (shift amounts, flags, offsets):
# those are made once and shared, one object per value and type.  A larger value gets a
# fresh object each time: sharing it would share its int object, which marshal
# (dbt.pcache) writes once and then refers to, so a cached block's bytes would change.
_SMALL_CONSTS = {ty: [Const(v, ty) for v in range(min(ty.mask, 256) + 1)] for ty in Ty}


def const(value: int, ty: Ty = I32) -> Const:
    """The constant `value` (wrapped to the type's width) of type `ty`."""
    v = value & ty.mask
    small = _SMALL_CONSTS[ty]
    return small[v] if v < len(small) else Const(v, ty)


# Opcode -> kind used by the verifier:
#   "bin": two args of the result type; "cmp": icmp (attr pred); "un": one arg of the
#   result type; "cast": one arg of another type; others are checked one by one.
BINARY = ("add", "sub", "mul", "and", "or", "xor", "shl", "lshr", "ashr", "rotr",
          "udiv", "sdiv", "urem", "srem")
UNARY = ("not", "neg", "clz", "bswap")
CASTS = ("zext", "sext", "trunc")
FBINARY = ("fadd", "fsub", "fmul", "fdiv")
FUNARY = ("fneg", "fabs", "fsqrt")
FCASTS = ("fpext", "fptrunc", "fptosi", "fptoui", "sitofp", "uitofp", "bitcast")
ICMP_PREDS = ("eq", "ne", "ult", "ule", "ugt", "uge", "slt", "sle", "sgt", "sge")
# Ordered/unordered float predicates as in LLVM ("uno" is true when either is NaN).
FCMP_PREDS = ("oeq", "one", "olt", "ole", "ogt", "oge", "uno", "ord", "ueq", "une",
              "ult", "ule", "ugt", "uge")
OPCODES = frozenset(BINARY + UNARY + CASTS + FBINARY + FUNARY + FCASTS + (
    "icmp", "fcmp", "select", "load", "store", "get", "put", "call", "fma", "copy"))


@_init_through_slots
@dataclass(frozen=True, slots=True)
class Op:
    """`dst = opcode(args)`; `attr` holds the non-value operands:
    icmp/fcmp: (pred,); load/store: (endian, guest_pc); get/put: (slot,); call: (name,)."""

    opcode: str
    dst: Temp | None
    args: tuple[Value, ...]
    attr: tuple = ()

    def __str__(self) -> str:
        lhs = f"{self.dst}:{self.dst.ty} = " if self.dst is not None else ""
        extra = "".join(f" [{a if not isinstance(a, int) else hex(a)}]" for a in self.attr)
        return f"{lhs}{self.opcode} {', '.join(map(str, self.args))}{extra}"


@_init_through_slots
@dataclass(frozen=True, slots=True)
class If:
    cond: Value
    body: tuple["Stmt", ...]


class ExitKind(Enum):
    GOTO = "goto"        # target is a constant guest pc: chainable
    JUMP = "jump"        # target is computed (return, jump table, register branch)
    SYSCALL = "syscall"  # perform a system call, then continue at target (a constant)
    TRAP = "trap"        # deliver signal `info` to the guest with pc = target


@_init_through_slots
@dataclass(frozen=True, slots=True)
class Exit:
    kind: ExitKind
    target: Value
    info: int = 0

    def __str__(self) -> str:
        return f"exit {self.kind.value} {self.target}" + (f" [{self.info}]" if self.info else "")


Stmt = Union[Op, If, Exit]


@dataclass(frozen=True)
class Block:
    """A lifted guest basic block.  `mode` is the ISA mode (e.g. ARM=0, Thumb=1);
    `insns` lists (pc, size) of each guest instruction in it."""

    pc: int
    mode: int
    insns: tuple[tuple[int, int], ...]
    body: tuple[Stmt, ...]
    ntemps: int = 0

    @property
    def ninsns(self) -> int:
        return len(self.insns)

    @property
    def end(self) -> int:
        return self.insns[-1][0] + self.insns[-1][1] if self.insns else self.pc

    def dump(self, slot_names: list[str] | None = None) -> str:
        lines = [f"block {self.pc:#010x} mode={self.mode} insns={self.ninsns}"]

        def emit(stmts: tuple[Stmt, ...], depth: int) -> None:
            pad = "  " * depth
            for s in stmts:
                if isinstance(s, If):
                    lines.append(f"{pad}if {s.cond}:")
                    emit(s.body, depth + 1)
                elif isinstance(s, Op) and slot_names and s.opcode in ("get", "put"):
                    name = slot_names[s.attr[0]]
                    lhs = f"{s.dst}:{s.dst.ty} = " if s.dst is not None else ""
                    lines.append(f"{pad}{lhs}{s.opcode} {name}"
                                 + (f", {s.args[0]}" if s.args else ""))
                else:
                    lines.append(f"{pad}{s}")

        emit(self.body, 1)
        return "\n".join(lines)


@dataclass(frozen=True)
class Helper:
    """A helper callable from IR: its Python implementation (ints/floats in, int/float
    out) and its signature."""

    name: str
    args: tuple[Ty, ...]
    ret: Ty | None
    fn: Callable = field(compare=False)


HELPERS: dict[str, Helper] = {}


def register_helper(name: str, args: tuple[Ty, ...], ret: Ty | None) -> Callable:
    def deco(fn: Callable) -> Callable:
        HELPERS[name] = Helper(name, args, ret, fn)
        return fn
    return deco


class VerifyError(Exception):
    pass


def return_sites(block: Block) -> list[int]:
    """Where the block's calls return: the constants it puts into a register that equal
    the pc right after it (ARM BL/BLX and PowerPC bl set the link register so; the low
    bit allows a Thumb return address)."""
    out = []

    def scan(body: tuple[Stmt, ...]) -> None:
        for s in body:
            if type(s) is If:
                scan(s.body)
            elif (type(s) is Op and s.opcode == "put" and type(s.args[0]) is Const
                  and s.args[0].value & ~1 == block.end):
                out.append(s.args[0].value)
    scan(block.body)
    return out


def indirect_jump(block: Block, link_slot: int, sp_slot: int) -> bool:
    """Whether the block has a computed exit that is neither a call (the block sets no
    return address: return_sites) nor a return (a target read from the link register,
    or loaded from the stack): a jump table or a branch through a register, whose
    targets a region may follow once they are seen."""
    flat: list[Stmt] = []

    def walk(body: tuple[Stmt, ...]) -> None:
        for s in body:
            if type(s) is If:
                walk(s.body)
            else:
                flat.append(s)
    walk(block.body)
    jumps = [s.target for s in flat if type(s) is Exit and s.kind is ExitKind.JUMP]
    if not jumps or return_sites(block):
        return False
    defs = {s.dst.id: s for s in flat if type(s) is Op and s.dst is not None}

    def returns(t: Value) -> bool:
        while type(t) is Temp and t.id in defs:
            d = defs[t.id]
            if d.opcode == "get":
                return d.attr[0] == link_slot
            if d.opcode == "load":
                a = d.args[0]
                while type(a) is Temp and a.id in defs and defs[a.id].opcode in ("add", "sub"):
                    a = defs[a.id].args[0]
                g = defs.get(a.id) if type(a) is Temp else None
                return g is not None and g.opcode == "get" and g.attr[0] == sp_slot
            if d.opcode not in ("and", "or", "copy"):
                return False
            t = d.args[0]
        return False
    return not all(returns(t) for t in jumps)


def verify(block: Block, slot_types: list[Ty]) -> None:
    """Check the block is well formed: types agree, every temp is defined once before
    use and visible where used, and the block ends in an unconditional exit."""
    defined_once: set[int] = set()

    def fail(msg: str, s: object) -> None:
        raise VerifyError(f"block {block.pc:#x}: {msg}: {s}")

    def check(stmts: tuple[Stmt, ...], visible: set[int], top: bool) -> None:
        visible = set(visible)

        def val(v: Value, s: object) -> Ty:
            if isinstance(v, Temp):
                if v.id not in visible:
                    fail(f"use of undefined {v}", s)
            elif isinstance(v, Const):
                if not v.ty.is_float and not (0 <= v.value <= v.ty.mask):
                    fail("constant out of range", s)
            else:
                fail("bad value", s)
            return v.ty

        for i, s in enumerate(stmts):
            if isinstance(s, If):
                if val(s.cond, s) is not I1:
                    fail("if condition is not i1", s)
                check(s.body, visible, False)
                continue
            if isinstance(s, Exit):
                t = val(s.target, s)
                if t is not I32:
                    fail("exit target is not i32", s)
                if s.kind is not ExitKind.JUMP and not isinstance(s.target, Const):
                    fail("only jump exits may have a computed target", s)
                if i != len(stmts) - 1:
                    fail("statements after an exit", s)
                continue
            if not isinstance(s, Op) or s.opcode not in OPCODES:
                fail("unknown statement", s)
            tys = [val(a, s) for a in s.args]
            d = s.dst
            o = s.opcode
            n = len(tys)
            if o in BINARY:
                ok = n == 2 and tys[0] == tys[1] == d.ty and not d.ty.is_float
            elif o in UNARY or o == "copy":
                ok = n == 1 and tys[0] == d.ty
            elif o in ("zext", "sext"):
                ok = n == 1 and not tys[0].is_float and tys[0].bits < d.ty.bits
            elif o == "trunc":
                ok = n == 1 and not tys[0].is_float and tys[0].bits > d.ty.bits
            elif o in FBINARY:
                ok = n == 2 and tys[0] == tys[1] == d.ty and d.ty.is_float
            elif o in FUNARY:
                ok = n == 1 and tys[0] == d.ty and d.ty.is_float
            elif o == "fma":
                ok = n == 3 and tys[0] == tys[1] == tys[2] == d.ty and d.ty.is_float
            elif o in ("fpext", "fptrunc"):
                ok = n == 1 and tys[0].is_float and d.ty.is_float and tys[0] != d.ty
            elif o in ("fptosi", "fptoui"):
                ok = n == 1 and tys[0].is_float and not d.ty.is_float
            elif o in ("sitofp", "uitofp"):
                ok = n == 1 and not tys[0].is_float and d.ty.is_float
            elif o == "bitcast":
                ok = n == 1 and tys[0].bits == d.ty.bits and tys[0].is_float != d.ty.is_float
            elif o == "icmp":
                ok = (n == 2 and tys[0] == tys[1] and d.ty is I1 and not tys[0].is_float
                      and s.attr[0] in ICMP_PREDS)
            elif o == "fcmp":
                ok = (n == 2 and tys[0] == tys[1] and tys[0].is_float and d.ty is I1
                      and s.attr[0] in FCMP_PREDS)
            elif o == "select":
                ok = n == 3 and tys[0] is I1 and tys[1] == tys[2] == d.ty
            elif o == "load":
                ok = (n == 1 and tys[0] is I32 and d.ty is not I1
                      and s.attr[0] in ("le", "be") and isinstance(s.attr[1], int))
            elif o == "store":
                ok = (n == 2 and tys[0] is I32 and tys[1] is not I1 and d is None
                      and s.attr[0] in ("le", "be") and isinstance(s.attr[1], int))
            elif o == "get":
                ok = n == 0 and 0 <= s.attr[0] < len(slot_types) and slot_types[s.attr[0]] == d.ty
            elif o == "put":
                ok = (n == 1 and d is None and 0 <= s.attr[0] < len(slot_types)
                      and slot_types[s.attr[0]] == tys[0])
            elif o == "call":
                h = HELPERS.get(s.attr[0])
                ok = (h is not None and tuple(tys) == h.args
                      and (d.ty if d is not None else None) == h.ret)
            else:
                ok = False
            if not ok:
                fail("ill-typed op", s)
            if d is not None:
                if d.id in defined_once:
                    fail(f"{d} defined twice", s)
                defined_once.add(d.id)
                visible.add(d.id)
        if top and (not stmts or not isinstance(stmts[-1], Exit)):
            fail("block does not end in an exit", block.pc)

    check(block.body, set(), True)


# -- compact form (for the persistent translation cache) ---------------------------------
# A block's statements as nested tuples of ints and strings, which `marshal` stores and
# loads fast: a value is (1, id, ty) for a temp or (0, value, ty) for a constant; a
# statement is ("op", opcode, dst value or None, args, attr), ("if", cond, body) or
# ("exit", kind, target, info).

def _pack_value(v: Value) -> tuple:
    return (1, v.id, v.ty.value[0]) if isinstance(v, Temp) else (0, v.value, v.ty.value[0])


def pack_body(body: tuple[Stmt, ...]) -> tuple:
    out = []
    for s in body:
        if isinstance(s, Op):
            out.append(("op", s.opcode, _pack_value(s.dst) if s.dst is not None else None,
                        tuple(_pack_value(a) for a in s.args), s.attr))
        elif isinstance(s, If):
            out.append(("if", _pack_value(s.cond), pack_body(s.body)))
        else:
            out.append(("exit", s.kind.value, _pack_value(s.target), s.info))
    return tuple(out)


_TY_BY_LABEL = {t.value[0]: t for t in Ty}


def unpack_body(packed: tuple) -> tuple[Stmt, ...]:
    values: dict[tuple, Value] = {}

    def val(p: tuple) -> Value:
        v = values.get(p)
        if v is None:
            ty = _TY_BY_LABEL[p[2]]
            v = values[p] = Temp(p[1], ty) if p[0] else Const(p[1], ty)
        return v

    def body(items: tuple) -> tuple[Stmt, ...]:
        out: list[Stmt] = []
        for s in items:
            if s[0] == "op":
                out.append(Op(s[1], val(s[2]) if s[2] is not None else None,
                              tuple(val(a) for a in s[3]), tuple(s[4])))
            elif s[0] == "if":
                out.append(If(val(s[1]), body(s[2])))
            else:
                out.append(Exit(ExitKind(s[1]), val(s[2]), s[3]))
        return tuple(out)

    return body(packed)


class PackedBlock:
    """A `Block` loaded from the persistent cache: pc, mode and insns at once, the body
    decoded from its compact form (`pack_body`, marshalled) on first use -- most cached blocks only
    ever run their cached interpreter code, so their IR is never needed."""

    __slots__ = ("pc", "mode", "insns", "ntemps", "artifact", "_packed", "_body")

    def __init__(self, pc: int, mode: int, insns: tuple, ntemps: int, packed: bytes,
                 artifact: bytes | None = None) -> None:
        self.pc, self.mode, self.insns, self.ntemps = pc, mode, insns, ntemps
        self.artifact = artifact  # the interpreter's cached code for it, if any
        self._packed = packed
        self._body: tuple[Stmt, ...] | None = None

    @property
    def body(self) -> tuple[Stmt, ...]:
        if self._body is None:
            self._body = unpack_body(marshal.loads(self._packed))
        return self._body

    ninsns = Block.ninsns
    end = Block.end
    dump = Block.dump
