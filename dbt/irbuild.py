"""IRBuilder: the convenience API frontends use to emit IR.

It folds operations on constants, remembers the last value got from or put to each
state slot (so a block reads each guest register once), and keeps `If` nesting
structured.  The result is an immutable `ir.Block`."""

from __future__ import annotations

from dbt.ir import (
    I1, I32, I64, Block, Const, Exit, ExitKind, If, Op, Stmt, Temp, Ty, Value, const,
)


def _signed(v: int, bits: int) -> int:
    return v - (1 << bits) if v >> (bits - 1) & 1 else v


def fold(opcode: str, a: int, b: int, ty: Ty) -> int | None:
    """Constant-fold an integer binary op (None when not foldable here)."""
    bits, m = ty.bits, ty.mask
    if opcode == "add":
        return (a + b) & m
    if opcode == "sub":
        return (a - b) & m
    if opcode == "mul":
        return (a * b) & m
    if opcode == "and":
        return a & b
    if opcode == "or":
        return a | b
    if opcode == "xor":
        return a ^ b
    if opcode == "shl":
        return (a << b) & m if b < bits else 0
    if opcode == "lshr":
        return a >> b if b < bits else 0
    if opcode == "ashr":
        return (_signed(a, bits) >> min(b, bits - 1)) & m
    if opcode == "rotr":
        b %= bits
        return ((a >> b) | (a << (bits - b))) & m
    return None


_ICMP = {
    "eq": lambda a, b, n: a == b, "ne": lambda a, b, n: a != b,
    "ult": lambda a, b, n: a < b, "ule": lambda a, b, n: a <= b,
    "ugt": lambda a, b, n: a > b, "uge": lambda a, b, n: a >= b,
    "slt": lambda a, b, n: _signed(a, n) < _signed(b, n),
    "sle": lambda a, b, n: _signed(a, n) <= _signed(b, n),
    "sgt": lambda a, b, n: _signed(a, n) > _signed(b, n),
    "sge": lambda a, b, n: _signed(a, n) >= _signed(b, n),
}


# Temps are numbered from 1 in every block, so the same (id, type) pairs come back
# block after block: each is made once and shared, like the small constants (ir.const).
_TEMPS: dict[Ty, list[Temp]] = {ty: [] for ty in Ty}


def _new_temp(n: int, ty: Ty) -> Temp:
    """Temp `n` of type `ty`, making it and the ones below it that do not exist yet."""
    temps = _TEMPS[ty]
    temps.extend(Temp(i, ty) for i in range(len(temps), n + 1))
    return temps[n]


_TRUE = const(1, I1)
# Opcodes whose right operand 0 leaves the left one unchanged.
_ZERO_IDENTITY = frozenset({"add", "sub", "or", "xor", "shl", "lshr", "ashr", "rotr"})


class IRBuilder:
    def __init__(self, pc: int, mode: int = 0) -> None:
        self.pc = pc
        self.mode = mode
        self.insns: list[tuple[int, int]] = []
        self._stack: list[list[Stmt]] = [[]]
        self._body = self._stack[0]  # = self._stack[-1]: where statements go
        self._ntemps = 0
        # slot -> value currently known to be in it; one dict per If depth.
        self._known: list[dict[int, Value]] = [{}]
        self._put_in_if: list[set[int]] = []
        self.cur_pc = pc  # guest pc of the instruction being lifted (for fault reports)

    # -- plumbing -----------------------------------------------------------------
    def temp(self, ty: Ty) -> Temp:
        n = self._ntemps = self._ntemps + 1
        try:
            return _TEMPS[ty][n]
        except IndexError:
            return _new_temp(n, ty)

    def op(self, opcode: str, ty: Ty, *args: Value, attr: tuple = ()) -> Temp:
        # temp() inline: this is the hottest path of every lifter.
        n = self._ntemps = self._ntemps + 1
        try:
            d = _TEMPS[ty][n]
        except IndexError:
            d = _new_temp(n, ty)
        self._body.append(Op(opcode, d, args, attr))
        return d

    @property
    def closed(self) -> bool:
        """True once the current (top-level) statement list ends in an exit."""
        top = self._body
        return bool(top) and isinstance(top[-1], Exit)

    # -- integer ops --------------------------------------------------------------
    def binop(self, opcode: str, a: Value, b: Value) -> Value:
        ty = a.ty
        if type(b) is Const:
            if type(a) is Const:
                r = fold(opcode, a.value, b.value, ty)
                if r is not None:
                    return const(r, ty)
            if b.value == 0 and opcode in _ZERO_IDENTITY:
                return a
            if opcode == "and" and b.value == ty.mask:
                return a
        return self.op(opcode, ty, a, b)

    def add(self, a: Value, b: Value) -> Value:
        return self.binop("add", a, b)

    def sub(self, a: Value, b: Value) -> Value:
        return self.binop("sub", a, b)

    def mul(self, a: Value, b: Value) -> Value:
        return self.binop("mul", a, b)

    def and_(self, a: Value, b: Value) -> Value:
        return self.binop("and", a, b)

    def or_(self, a: Value, b: Value) -> Value:
        return self.binop("or", a, b)

    def xor(self, a: Value, b: Value) -> Value:
        return self.binop("xor", a, b)

    def shl(self, a: Value, b: Value) -> Value:
        return self.binop("shl", a, b)

    def lshr(self, a: Value, b: Value) -> Value:
        return self.binop("lshr", a, b)

    def ashr(self, a: Value, b: Value) -> Value:
        return self.binop("ashr", a, b)

    def rotr(self, a: Value, b: Value) -> Value:
        return self.binop("rotr", a, b)

    def not_(self, a: Value) -> Value:
        if type(a) is Const:
            return const(~a.value, a.ty)
        return self.op("not", a.ty, a)

    def unop(self, opcode: str, a: Value) -> Value:
        return self.op(opcode, a.ty, a)

    def zext(self, a: Value, ty: Ty) -> Value:
        if a.ty is ty:
            return a
        if type(a) is Const:
            # Not const(): the new constant keeps a's int object, as a marshalled block
            # (dbt.pcache) records it (shared objects are stored once).
            return Const(a.value, ty)
        return self.op("zext", ty, a)

    def sext(self, a: Value, ty: Ty) -> Value:
        if a.ty is ty:
            return a
        if type(a) is Const:
            return const(_signed(a.value, a.ty.bits), ty)
        return self.op("sext", ty, a)

    def trunc(self, a: Value, ty: Ty) -> Value:
        if a.ty is ty:
            return a
        if type(a) is Const:
            return const(a.value, ty)
        return self.op("trunc", ty, a)

    def icmp(self, pred: str, a: Value, b: Value) -> Value:
        if type(a) is Const and type(b) is Const:
            return const(_ICMP[pred](a.value, b.value, a.ty.bits), I1)
        return self.op("icmp", I1, a, b, attr=(pred,))

    def select(self, c: Value, a: Value, b: Value) -> Value:
        if type(c) is Const:
            return a if c.value else b
        if a == b:
            return a
        return self.op("select", a.ty, c, a, b)

    def bool_and(self, a: Value, b: Value) -> Value:
        if type(a) is Const:
            return b if a.value else a
        if type(b) is Const:
            return a if b.value else b
        return self.op("and", I1, a, b)

    def bool_or(self, a: Value, b: Value) -> Value:
        if type(a) is Const:
            return a if a.value else b
        if type(b) is Const:
            return b if b.value else a
        return self.op("or", I1, a, b)

    def bool_not(self, a: Value) -> Value:
        return self.xor(a, _TRUE)

    def mul64(self, a: Value, b: Value, signed: bool) -> Value:
        ext = self.sext if signed else self.zext
        return self.mul(ext(a, I64), ext(b, I64))

    def hi32(self, v: Value) -> Value:
        return self.trunc(self.lshr(v, const(32, I64)), I32)

    def lo32(self, v: Value) -> Value:
        return self.trunc(v, I32)

    def pair64(self, hi: Value, lo: Value) -> Value:
        return self.or_(self.shl(self.zext(hi, I64), const(32, I64)), self.zext(lo, I64))

    # -- state and memory ---------------------------------------------------------
    def get(self, slot: int, ty: Ty) -> Value:
        for known in reversed(self._known):
            v = known.get(slot)
            if v is not None:
                return v
        v = self.op("get", ty, attr=(slot,))
        self._known[-1][slot] = v
        return v

    def put(self, slot: int, v: Value) -> None:
        self._body.append(Op("put", None, (v,), (slot,)))
        self._known[-1][slot] = v
        if self._put_in_if:
            self._put_in_if[-1].add(slot)

    def forget(self) -> None:
        """Drop every remembered slot value (after a helper that may touch state)."""
        for k in self._known:
            k.clear()

    def load(self, addr: Value, ty: Ty, endian: str) -> Temp:
        return self.op("load", ty, addr, attr=(endian, self.cur_pc))

    def store(self, addr: Value, v: Value, endian: str) -> None:
        self._body.append(Op("store", None, (addr, v), (endian, self.cur_pc)))

    def call(self, name: str, ret: Ty | None, *args: Value) -> Temp | None:
        d = self.temp(ret) if ret is not None else None
        self._body.append(Op("call", d, args, (name,)))
        return d

    # -- control ------------------------------------------------------------------
    def if_(self, cond: Value) -> "_Conditional":
        """`with b.if_(cond):` -- statements emitted inside run only when `cond` (i1)
        is true."""
        return _Conditional(self, cond)

    def _open(self) -> None:
        """Start a nested statement list (an If body)."""
        self._body = []
        self._stack.append(self._body)
        self._known.append({})
        self._put_in_if.append(set())

    def _close(self) -> tuple[list[Stmt], set[int]]:
        """End the innermost statement list: (its statements, the slots it put)."""
        body = self._stack.pop()
        self._body = self._stack[-1]
        self._known.pop()
        return body, self._put_in_if.pop()

    def _end_if(self, cond: Value) -> None:
        """End the body opened for `if cond`: what it put is no longer known outside,
        and the If goes in unless the body is empty."""
        body, dirty = self._close()
        for k in self._known:
            for slot in dirty:
                k.pop(slot, None)
        if self._put_in_if:
            self._put_in_if[-1] |= dirty
        if body:
            self._body.append(If(cond, tuple(body)))

    def exit(self, kind: ExitKind, target: Value | int, info: int = 0) -> None:
        if isinstance(target, int):
            target = const(target)
        self._body.append(Exit(kind, target, info))

    def goto(self, target: Value | int) -> None:
        if isinstance(target, int) or type(target) is Const:
            self.exit(ExitKind.GOTO, target)
        else:
            self.exit(ExitKind.JUMP, target)

    def finish(self) -> Block:
        assert len(self._stack) == 1
        return Block(self.pc, self.mode, tuple(self.insns),
                     eliminate_dead(tuple(self._body), self._ntemps), self._ntemps)


class _Conditional:
    """The context `IRBuilder.if_` returns (a class rather than a generator-based context
    manager: lifters open one for every conditionally executed instruction)."""

    __slots__ = ("b", "cond")

    def __init__(self, b: IRBuilder, cond: Value) -> None:
        self.b = b
        self.cond = cond

    def __enter__(self) -> None:
        cond = self.cond
        if type(cond) is Const and cond.value:
            return  # always taken: the statements go where they are
        # Never taken (false constant): lift into a list that is then dropped, so the
        # lifter code stays simple.
        self.b._open()

    def __exit__(self, *exc: object) -> None:
        cond = self.cond
        if type(cond) is not Const:
            self.b._end_if(cond)
        elif not cond.value:
            self.b._close()  # and drop what the never-taken body collected


def add_with_carry(b: IRBuilder, x: Value, y: Value, cin: Value
                   ) -> tuple[Value, Value, Value]:
    """x + y + cin on i32 (ARM AddWithCarry, PowerPC adde & co.): the result, the carry
    out and the signed overflow, as i1."""
    if isinstance(cin, Const):
        r = b.add(b.add(x, y), const(cin.value))
        carry = b.icmp("ule" if cin.value else "ult", r, x)
    else:
        wide = b.add(b.add(b.zext(x, I64), b.zext(y, I64)), b.zext(cin, I64))
        r = b.trunc(wide, I32)
        carry = b.trunc(b.lshr(wide, const(32, I64)), I1)
    ov = b.trunc(b.lshr(b.and_(b.xor(x, r), b.xor(y, r)), const(31)), I1)
    return r, carry, ov


# Ops with an effect besides their result: never removed even when the result is unused
# (a load may fault, so it stays too).
_EFFECTS = frozenset({"load", "store", "put", "call"})


def eliminate_dead(body: tuple[Stmt, ...], ntemps: int) -> tuple[Stmt, ...]:
    """Drop pure ops whose results nobody uses (e.g. flags of a non-S add); the temps
    are numbered 1..ntemps."""
    used = bytearray(ntemps + 1)  # by temp id: 1 once a later statement reads it

    def walk(stmts: tuple[Stmt, ...]) -> tuple[Stmt, ...]:
        out: list[Stmt] = []
        keep = out.append
        for s in reversed(stmts):
            kind = type(s)
            if kind is Op:
                d = s.dst
                if d is not None and not used[d.id] and s.opcode not in _EFFECTS:
                    continue
                for a in s.args:
                    if type(a) is Temp:
                        used[a.id] = 1
            elif kind is Exit:
                if type(s.target) is Temp:
                    used[s.target.id] = 1
            else:
                inner = walk(s.body)
                if not inner:
                    continue
                if type(s.cond) is Temp:
                    used[s.cond.id] = 1
                s = If(s.cond, inner)
            keep(s)
        out.reverse()
        return tuple(out)

    return walk(body)
