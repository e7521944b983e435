"""LLVM tier: compiles regions of IR blocks with llvmlite (MCJIT) into host code that
chains natively, and registers the "jit" (compile everything before it runs) and
"auto" (interpret first, compile hot blocks) tiers.

Native runtime data all lives in rt, one 64 MiB reservation (an mmap, viewed as a ctypes
u64 array) that native code reaches only through its %rt parameter, so generated code
holds no host address (layout in llvm_codegen):
- control words: next_key, budget, fault address and info, stop request, trace ring
  (with --max-insns the code is compiled in counting mode: the budget counts guest
  instructions, see llvm_codegen);
- the helper table: a ctypes callback per IR helper, numbered by sorted name;
- the hash table (key, code) that computed exits probe inline;
- cells, allocated in compile order: per-block execution counters (incremented only
  under --stats and --profile-out), and link slots --
  one code pointer per direct exit, patched to the target's code once the target is
  native (until then the exit stub, which returns rt->next_key to Python).  Link
  bookkeeping keeps (rt, index) cells."""

from __future__ import annotations

import ctypes
import mmap
import time
from functools import partial
from typing import TYPE_CHECKING, Callable

from dbt import trace
from dbt.arch import Tier, register_tier
from dbt.engine import EXIT_FAULT, EXIT_INTERP, EXIT_SYSCALL, EXIT_TRAP
from dbt.ir import (F32, F64, HELPERS, I1, I8, I16, I32, I64, Block, Exit, ExitKind, If,
                    Stmt, return_sites)
from dbt.memory import MAP_NORESERVE

from .interp import translate as interp_translate
from .llvm_codegen import (
    FINFO_UNDONE_SHIFT, MAX_HELPERS, RT_CELLS, RT_HELPERS, RT_RING, RT_SIZE, RT_TABLE,
    TABLE_BITS, TRAP_UNDONE_SHIFT, RegionGen, define_sig, module_text, table_hash,
)

if TYPE_CHECKING:
    from dbt.engine import Machine

BUDGET = 1 << 62
# Special exits by what --stats calls them as returns to Python.
RETURN_KINDS = {EXIT_SYSCALL: "syscall", EXIT_TRAP: "trap", EXIT_FAULT: "fault",
                EXIT_INTERP: "interpreter fallback"}
REGION_MAX = 64
_CTYPES = {I1: ctypes.c_bool, I8: ctypes.c_uint8, I16: ctypes.c_uint16, I32: ctypes.c_uint32,
           I64: ctypes.c_uint64, F32: ctypes.c_float, F64: ctypes.c_double}
NATIVE_FN = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p, ctypes.c_void_p,
                             ctypes.c_void_p, ctypes.c_void_p)

_llvm = None


def _binding():
    """Import and initialise llvmlite once (it costs ~0.1 s, so only when needed)."""
    global _llvm
    if _llvm is None:
        import llvmlite.binding as llvm
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        _llvm = llvm
    return _llvm


def direct_targets(body: tuple[Stmt, ...]) -> list[int]:
    out = []
    for s in body:
        if isinstance(s, If):
            out += direct_targets(s.body)
        elif isinstance(s, Exit) and s.kind is ExitKind.GOTO:
            out.append(s.target.value)
    return out


def successors(block: Block) -> list[int]:
    """The blocks control can reach from this one without leaving its region: its direct
    exits, and where its calls return."""
    return direct_targets(block.body) + return_sites(block)


class JIT:
    """One per machine: the MCJIT engine, native runtime data and link bookkeeping."""

    def __init__(self, machine: "Machine") -> None:
        llvm = _binding()
        self.machine = machine
        self.llvm = llvm
        self.triple = llvm.get_process_triple()
        self._engines: dict[int, tuple] = {}
        self.datalayout = str(self._engine(0)[1].target_data)
        import llvmlite
        # What besides the IR text shapes object code (the persistent cache's key).
        self.target_id = (f"llvmlite {llvmlite.__version__} llvm {llvm.llvm_version_info} "
                          f"{self.triple} {self.datalayout}")
        # rt: control words, helper table, hash table, then counters and link slots;
        # reserved, not touched, so untouched cell pages cost nothing.
        self._rt_map = mmap.mmap(-1, RT_SIZE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
                                 | MAP_NORESERVE)
        self.rt = (ctypes.c_uint64 * (RT_SIZE // 8)).from_buffer(self._rt_map)
        self.rt[1] = BUDGET
        self.rt_addr = ctypes.addressof(self.rt)
        self.ncells = 0                           # cells used from RT_CELLS on
        size = 1 << TABLE_BITS
        self.table = (ctypes.c_uint64 * (2 * size)).from_buffer(self._rt_map, RT_TABLE)
        ctypes.memset(self.table, 0xFF, ctypes.sizeof(self.table))  # every key ~0: empty
        self.table_mask = size - 1
        self.callbacks: dict[str, object] = {}   # helper name -> its ctypes callback
        self.helper_index: dict[str, int] = {}   # helper name -> its rt helper slot
        for name in sorted(HELPERS):
            self._helper(name)
        self.native: dict[int, int] = {}          # key -> code address
        self.waiting: dict[int, list] = {}        # key -> link cells to patch
        self.linked: dict[int, list] = {}         # key -> link cells pointing at it
        self.regions_of: dict[int, list] = {}     # key -> keys of each region with it
        self.modules = []
        self.compile_time = 0.0
        self.blocks_compiled = 0
        self.stub = self._compile_stub()
        mem, st = machine.mem, machine.state
        self.args = (st.address, mem.base, mem.perm_base, self.rt_addr)
        self.count_insns = machine.options.max_insns is not None
        # Native code counts block executions only when the run reports them.
        self.count_blocks = machine.options.stats or machine.options.count_blocks

    def _engine(self, level: int) -> tuple:
        """(MCJIT engine, target machine) for an optimisation level: 0 compiles fast
        (a few cleanup passes, fast instruction selection and register allocation);
        2 runs LLVM's O2 pipeline and full code generation."""
        if level not in self._engines:
            llvm = self.llvm
            tm = llvm.Target.from_default_triple().create_target_machine(
                opt=level, codemodel="jitdefault")
            self._engines[level] = (llvm.create_mcjit_compiler(llvm.parse_assembly(""), tm), tm)
        return self._engines[level]

    def _compile_stub(self) -> int:
        sig = define_sig(self.machine.arch.layout.size)
        text = module_text([f"define i64 @exit_stub{sig} {{\n  %v = load i64, ptr %rt\n"
                            "  ret i64 %v\n}\n"], set(), self.triple, self.datalayout)
        engine = self._add(text, 0, cacheable=False)
        return engine.get_function_address("exit_stub")

    def _add(self, text: str, level: int, cacheable: bool = True):
        """Compile a module's text at `level` and load it into that level's engine.  With
        a persistent cache (dbt.pcache), the object code is looked up by the text first
        and stored after compiling: the text holds no host address, so equal text means
        code that works in any process."""
        llvm = self.llvm
        engine, tm = self._engine(level)
        pcache = self.machine.pcache if cacheable else None
        key = None
        if pcache is not None:
            key = pcache.native_key(text, level, self.target_id)
            obj = pcache.native_get(key)
            if obj is not None:
                return self._load_object(engine, obj)
        mod = llvm.parse_assembly(text)
        if level >= 1:
            pb = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(
                speed_level=level))
            pb.getModulePassManager().run(mod, pb)
        else:
            pb = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(speed_level=1))
            fpm = llvm.create_new_function_pass_manager()
            fpm.add_instruction_combine_pass()
            fpm.add_dead_store_elimination_pass()
            fpm.add_simplify_cfg_pass()
            for fn in mod.functions:
                if not fn.is_declaration:
                    fpm.run(fn, pb)
        if key is not None:
            obj = tm.emit_object(mod)
            pcache.native_put(key, obj)
            return self._load_object(engine, obj)
        engine.add_module(mod)
        engine.finalize_object()
        self.modules.append(mod)
        return engine

    def _load_object(self, engine, obj: bytes):
        ref = self.llvm.ObjectFileRef.from_data(obj)
        engine.add_object_file(ref)
        engine.finalize_object()
        self.modules.append(ref)
        return engine

    # -- compilation ----------------------------------------------------------------
    def compile(self, blocks: list[tuple[int, Block]], level: int, jumps: set[int] = frozenset()
                ) -> dict[int, tuple[Callable, object, int]]:
        """Compile (key, block) pairs as one module at optimisation `level`; returns
        key -> (callable, counter array, index)."""
        t0 = time.perf_counter()
        layout = self.machine.arch.layout
        pending_links: list[tuple[object, int, int]] = []
        counters = {}

        def alloc_link(target: int) -> int:
            i = self._cell(self.stub)
            pending_links.append((self.rt, i, target))
            return 8 * i

        items = []
        for key, block in blocks:
            i = self._cell(0)
            counters[key] = (self.rt, i)
            items.append((key, block, 8 * i if self.count_blocks else None))
        if trace.native_ring is not None:
            self.rt[RT_RING // 8] = trace.native_ring[0]
        name = f"r{len(self.modules)}_{blocks[0][0]:x}"
        keys = {key for key, _ in blocks}
        # Computed exits compare their target with these blocks before the hash table:
        # the region's call return sites, and the indirect-jump targets it took in.
        returns = {c for _, b in blocks for c in return_sites(b) if c in keys}
        returns |= jumps & keys
        g = RegionGen(name, items, layout, self.machine.arch.big_endian, alloc_link,
                      self.table_mask, self._helper, local_state=level >= 1,
                      count_insns=self.count_insns, returns=returns)
        text = g.generate()
        engine = self._add(module_text([text], g.intrinsics, self.triple, self.datalayout),
                           level)
        addr = engine.get_function_address(name)
        cfn = NATIVE_FN(addr)
        out = {}
        region = [key for key, _ in blocks]
        for key in region:
            self.regions_of.setdefault(key, []).append(region)
        for key, _ in blocks:
            self._publish(key, addr)
            carr, ci = counters[key]
            out[key] = (partial(_enter, self.rt, key, cfn, *self.args), carr, ci)
        for arr, i, target in pending_links:
            if target in self.native:
                arr[i] = self.native[target]
                self.linked.setdefault(target, []).append((arr, i))
            else:
                self.waiting.setdefault(target, []).append((arr, i))
        self.compile_time += time.perf_counter() - t0
        self.blocks_compiled += len(blocks)
        return out

    def _cell(self, init: int) -> int:
        """A fresh rt cell (counter or link slot) holding `init`: its u64 index in rt."""
        i = RT_CELLS // 8 + self.ncells
        if i >= RT_SIZE // 8:
            raise MemoryError("native runtime cells (counters, link slots) exhausted")
        self.ncells += 1
        self.rt[i] = init
        return i

    def _publish(self, key: int, addr: int) -> None:
        self.native[key] = addr
        h = table_hash(key, self.table_mask)
        self.table[2 * h] = key
        self.table[2 * h + 1] = addr
        for arr, i in self.waiting.pop(key, []):
            arr[i] = addr
            self.linked.setdefault(key, []).append((arr, i))

    def regions_with(self, key: int) -> set[int]:
        """Every key compiled into a region together with `key` (forgotten here): when
        `key`'s guest code changes, those regions branch to stale code inside them."""
        return {k for region in self.regions_of.pop(key, ()) for k in region} - {key}

    def unpublish(self, key: int) -> None:
        """Forget native code for `key`: unlink every jump into it."""
        if self.native.pop(key, None) is None:
            return
        h = table_hash(key, self.table_mask)
        if self.table[2 * h] == key:
            self.table[2 * h] = 0xFFFFFFFFFFFFFFFF
        for arr, i in self.linked.pop(key, []):
            arr[i] = self.stub
            self.waiting.setdefault(key, []).append((arr, i))

    def _helper(self, name: str):
        """(rt offset of its code pointer, return type, argument types) of an IR helper.
        The code is a ctypes callback into its Python implementation, kept alive as
        long as the JIT.  Slots follow the sorted helper names known when the JIT
        starts (a helper registered later takes the next free slot); generated code
        also names the helper it calls, so equal text always means equal code."""
        h = HELPERS[name]
        i = self.helper_index.get(name)
        if i is None:
            i = len(self.helper_index)
            if i >= MAX_HELPERS:
                raise MemoryError("too many IR helpers for the rt helper table")
            proto = ctypes.CFUNCTYPE(_CTYPES[h.ret] if h.ret is not None else None,
                                     *(_CTYPES[t] for t in h.args))
            cb = self.callbacks[name] = proto(h.fn)
            self.rt[RT_HELPERS // 8 + i] = ctypes.cast(cb, ctypes.c_void_p).value
            self.helper_index[name] = i
        return RT_HELPERS + 8 * i, h.ret, h.args

    def fault(self) -> tuple[int, bool, int]:
        info = self.rt[3]
        return self.rt[2], bool(info >> 32 & 1), info & 0xFFFFFFFF

    def return_reason(self, r: int) -> str:
        """Why native code returned `r` to Python (for --stats)."""
        if r > 0xFFFFFFFF:
            return RETURN_KINDS.get(r >> 32 & 0xFF, "other")
        if self.rt[4]:
            return "exit request"
        if r in self.native:
            return "native target, not chained"
        return "target not native"

    def request_exit(self) -> None:
        """Make running native code return to Python at its next back-edge or exit
        (counting mode: block start); safe from any thread (Machine.poke calls it, for
        host signals among others)."""
        self.rt[4] = 1

    def withdraw_exit(self) -> None:
        """Take a request_exit back (the dispatch loop has seen what it was for)."""
        self.rt[4] = 0

    def set_budget(self, n: int) -> None:
        """Native code makes at most `n` block transfers (counting mode: runs at most
        `n` guest instructions) before it returns."""
        self.rt[1] = n

    # -- counting mode (--max-insns) ---------------------------------------------------
    def budget(self) -> int:
        """What is left of the budget set_budget gave."""
        return self.rt[1]

    def undone(self, r: int) -> tuple[int, int]:
        """Of a special exit `r`: the guest instructions it was charged for but did not
        complete (a trap's or fault's instruction and those after it in its block), and
        `r` without that count."""
        kind = r >> 32 & 0xFF
        if kind == 2:  # trap
            return r >> TRAP_UNDONE_SHIFT, r & ((1 << TRAP_UNDONE_SHIFT) - 1)
        if kind == 3:  # fault
            return self.rt[3] >> FINFO_UNDONE_SHIFT, r
        return 0, r


def _enter(rt, key: int, cfn, *args) -> int:
    """Call native code from Python at block `key` (a region function dispatches on
    rt->next_key)."""
    rt[0] = key
    return cfn(*args)


def jit_of(machine: "Machine") -> JIT:
    jit = getattr(machine, "jit", None)
    if jit is None:
        jit = machine.jit = JIT(machine)
    return jit


def region(machine: "Machine", key: int, block: Block) -> list[tuple[int, Block]]:
    """The block plus blocks reachable from it by direct exits and returns from its
    calls (lifting them as needed, skipping any that cannot be lifted), up to
    REGION_MAX."""
    jit = jit_of(machine)
    out = [(key, block)]
    seen = {key}
    queue = successors(block)
    while queue and len(out) < REGION_MAX:
        k = queue.pop(0)
        if k in seen or k in jit.native:
            continue
        seen.add(k)
        tb = machine.cache.blocks.get(k)
        if tb is not None:
            b = tb.block
        else:
            try:
                b = machine.lift(k)
            except Exception:  # not code we can lift now: it is translated when reached
                continue
        out.append((k, b))
        queue += successors(b)
    return out



def translate_native(machine: "Machine", key: int, block: Block) -> dict:
    items = region(machine, key, block)
    compiled = jit_of(machine).compile(items, JIT_LEVEL)
    return {k: (b, *compiled[k]) for k, b in items}


def promote(machine: "Machine", key: int, block: Block) -> dict:
    """Compile a hot block into one function with the warm blocks it reaches by direct
    exits and returns from its calls -- already native ones included, so that nested
    loops end up in one region, and so that recursion (a call back to the region's
    code and the return to the call site) stays inside it."""
    jit = jit_of(machine)
    blocks = machine.cache.blocks
    jumped: dict[int, set[int]] = {}  # block -> the indirect-jump targets it was seen take

    def follow(k: int, b: Block) -> list[int]:
        observed = blocks[k].observed
        if not observed:
            return successors(b)
        jumped[k] = observed
        return successors(b) + sorted(observed)
    items = [(key, block)]
    succ = {key: follow(key, block)}
    queue = list(succ[key])
    warm = max(2, machine.hot_threshold // 8)
    while queue and len(items) < REGION_MAX:
        k = queue.pop(0)
        tb = blocks.get(k)
        # (A native block passes: it had `warm` executions when it was compiled,
        # whether or not native code counts the later ones.)
        if k in succ or tb is None or tb.executions < warm:
            continue
        items.append((k, tb.block))
        succ[k] = follow(k, tb.block)
        queue += succ[k]
    items = _loop_shaped(key, items, jit.native, succ, jumped)
    jumps = {t for k, _ in items for t in jumped.get(k, ())}
    compiled = jit.compile(items, HOT_LEVEL, jumps)
    return {k: (b, *compiled[k]) for k, b in items}


def _loop_shaped(key: int, items: list[tuple[int, Block]], native: dict[int, int],
                 succ: dict[int, list[int]], jumped: dict[int, set[int]]
                 ) -> list[tuple[int, Block]]:
    """Of a candidate region, keep the already-native blocks only where they lead back
    to the hot block (an inner loop of the loop being compiled, so the two become one
    function) -- recompiling every native block a new region reaches cost more compile
    time than it saved -- and then only what the hot block still reaches.  An observed
    indirect-jump target (`jumped`: block -> targets, also in `succ`) is followed only
    where it leads back too: the cases of a dispatch loop, not those of a jump table
    that leaves (memcpy's, say), whose compile time did not pay."""
    back = {key}
    changed = True
    while changed:
        changed = False
        for k, ts in succ.items():
            if k not in back and any(t in back for t in ts):
                back.add(k)
                changed = True
    kept = {k for k, _ in items if k not in native or k in back or k == key}
    reach, todo = {key}, [key]
    while todo:
        k = todo.pop()
        cases = jumped.get(k, ())
        for t in succ[k]:
            if t in kept and t not in reach and (t in back or t not in cases):
                reach.add(t)
                todo.append(t)
    return [(k, b) for k, b in items if k in reach]


DEFAULT_THRESHOLD = 1000  # executions before a block is compiled (--jit-threshold): a
# block costs ~5-10 ms to compile and ~3 us per interpreted run, so compiling pays off
# after a few thousand runs; below that the interpreter is cheaper
JIT_LEVEL = 0              # --tier jit: compile fast, everything
HOT_LEVEL = 1              # --tier auto: O1 has most of O2's gain at half the compile time
register_tier(Tier("jit", translate_native))
register_tier(Tier("auto", interp_translate,
                   promote, DEFAULT_THRESHOLD))
