"""The engine: owns one guest process (memory, CPU state, syscalls, translation cache)
and runs it: look the next block up, translate on a miss, execute, handle the exit.

Between blocks the dispatch loop looks at `interrupts`, which `poke()` fills from any
thread or signal handler (a host signal for the guest, gdb's ^C): native code is asked
to return at its next check, and the loop then enters the guest's signal handlers.
With --max-insns (`Options.max_insns`) a second loop charges every block's instructions
before it runs and ends the run after exactly that many (InsnLimit)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from dbt.arch import ARCHES, TIERS, Arch, UnsupportedInstruction, load_plugins
from dbt.cache import TB, TranslationCache
from dbt.ir import Block, Exit, ExitKind, const, indirect_jump, verify
from dbt.linux import GuestExit, GuestSignal, hostsig
from dbt.loader import Image, build_stack, load
from dbt.memory import GuestFault, GuestMemory
from dbt.state import CPUState

SIGILL, SIGTRAP, SIGSEGV = 4, 5, 11
SEGV_MAPERR, SEGV_ACCERR = 1, 2
EXIT_SYSCALL, EXIT_TRAP, EXIT_FAULT, EXIT_INTERP = 1, 2, 3, 4
INSN_LIMIT_STATUS = 124  # --max-insns reached: timeout(1)'s status for "ran out of time"


@dataclass
class Options:
    tier: str = "auto"
    strace: bool = False
    stats: bool = False
    dump_ir: bool = False
    verify: bool = False
    jit_threshold: int = 0   # 0: the tier's default
    tb_cache_size: int = 0   # 0: unbounded (see TranslationCache for the policy)
    cache_dir: str | None = None  # the persistent translation cache (None: not used)
    # Run a new block's first execution by walking its IR (most blocks run once); off,
    # blocks are compiled before their first run (tests use it to cover both paths).
    walk_first: bool = True
    max_insns: int | None = None  # stop after this many guest instructions (None: never)
    # Count every block execution, native ones included (stats does too): what
    # --profile-out reports.  Off, native code skips the count, and TB.executions of a
    # native block stops at the executions before it was compiled.
    count_blocks: bool = False


class InsnLimit(Exception):
    """--max-insns: the guest has executed all the instructions it may; `pc` is the
    next one, not executed."""

    def __init__(self, pc: int) -> None:
        super().__init__(f"instruction limit reached at pc {pc:#010x}")
        self.pc = pc


@dataclass
class RunStats:
    start: float = field(default_factory=time.perf_counter)
    translate_time: float = 0.0
    compile_time: float = 0.0
    lift_time: float = 0.0      # decode + lift (inside translate and region building)
    syscall_time: float = 0.0
    interp_time: float = 0.0    # with --stats: in blocks the dispatcher ran, by tier
    native_time: float = 0.0    # (native time includes the blocks native code chains to)
    syscalls: int = 0
    # With --stats: how often native code returned to Python, by reason (see
    # backends.llvm.JIT.return_reason).
    returns: dict[str, int] = field(default_factory=dict)


def _before(block: Block, pc: int | None) -> int:
    """How many of the block's instructions precede the one at `pc` (a fault's or a
    trap's: those completed)."""
    return 0 if pc is None else sum(1 for p, _ in block.insns if p < pc)


def available_tiers() -> list[str]:
    load_plugins()
    return sorted(TIERS)


def supported_arches() -> set[str]:
    load_plugins()
    return {name for name, info in ARCHES.items() if info.ready}


def _timed(fn, stats: RunStats, reason=None):
    """With --stats, a block's callable that adds its run time to the statistics;
    native ones (`reason` given: return value -> why native code returned) also count
    their returns to Python by reason."""
    clock = time.perf_counter
    if reason is not None:
        returns = stats.returns

        def call() -> int:
            t0 = clock()
            try:
                r = fn()
            finally:
                stats.native_time += clock() - t0
            why = reason(r)
            returns[why] = returns.get(why, 0) + 1
            return r
    else:
        def call() -> int:
            t0 = clock()
            try:
                return fn()
            finally:
                stats.interp_time += clock() - t0
    return call


class Machine:
    def __init__(self, path: str, argv: list[bytes], envp: list[bytes],
                 options: Options | None = None, out=None) -> None:
        from dbt.loader import identify
        load_plugins()
        _, info, f = identify(path)
        f.close()
        self._setup(info.name, options, out)
        if self.options.cache_dir:
            from dbt.pcache import PersistentCache
            self.pcache = PersistentCache(self.options.cache_dir, path, info.name)
        self.image: Image = load(path, self.mem)
        sp = build_stack(self.mem, self.image, argv, envp, self.arch.platform,
                         self.arch.hwcap, self.arch.hwcap2, self.arch.extra_auxv(),
                         info.big_endian)
        self.key = self.arch.init_thread(self.state, self.mem, self.image.entry, sp)
        from dbt.linux.syscalls import Linux
        self.linux = Linux(self)

    @classmethod
    def bare(cls, arch: str, options: Options | None = None, out=None) -> "Machine":
        """A machine with empty memory and no program: for running code snippets
        (tests map memory, poke code, set `key` and registers, then call `run`)."""
        load_plugins()
        m = cls.__new__(cls)
        m._setup(arch, options, out)
        # No program: a stand-in image so the syscall layer has a name and a heap.
        m.image = Image(ARCHES[arch], 0, 0, 0, 0, 0, 0x40000000, "(snippet)")
        m.key = 0
        from dbt.linux.syscalls import Linux
        m.linux = Linux(m)
        return m

    def _setup(self, arch: str, options: Options | None, out) -> None:
        self.options = options or Options()
        if self.options.tier not in TIERS:
            raise ValueError(f"unknown tier {self.options.tier!r} "
                             f"(available: {', '.join(sorted(TIERS))})")
        self.tier = TIERS[self.options.tier]
        self.err = out or sys.stderr
        info = ARCHES[arch]
        self.mem = GuestMemory(big_endian=info.big_endian)
        self.arch: Arch = info.factory()
        self.state = CPUState(self.arch.layout)
        # Where a tier compiles hot regions, blocks with indirect jumps record their
        # targets (TB.observed), so regions can take a jump table's cases in.
        self.observe_jumps = self.tier.hot is not None
        self.cache = TranslationCache(self.options.tb_cache_size)
        self.pcache = None  # dbt.pcache.PersistentCache when the run uses one
        self.mem.code_listeners.append(self.invalidate)
        self.stats = RunStats()
        self.stops: set[int] = set()
        self.redirect: int | None = None  # where sigreturn resumes after its syscall
        # A debugger (the GDB stub) gets `stopped(signo)` when the guest takes a signal
        # and `exited(status)` at the end; `stopped` returns the signal to deliver (0: none).
        # When the loop is poked it asks `poll()` for a signal to stop with (0: none).
        self.debugger = None
        # Non-empty: something asked the dispatch loop to stop before the next block.
        self.interrupts: list[int] = []
        self.insns_left: int | None = self.options.max_insns
        # An instruction/block tracer (dbt.trace) runs the guest in place of `_loop`.
        self.tracer = None

    @property
    def hot_threshold(self) -> int:
        """Executions after which the tier recompiles a block (auto: with LLVM)."""
        return self.options.jit_threshold or self.tier.threshold

    # -- translation --------------------------------------------------------------
    def lift(self, key: int, limit: int = 0):
        pc = self.arch.key_pc(key)
        if pc in self.stops and limit != 1:
            # A breakpoint: the block is just a trap there (retranslated when removed).
            return Block(pc, 0, (), (Exit(ExitKind.TRAP, const(pc), SIGTRAP),))
        t0 = time.perf_counter()
        pcache = self.pcache if not (limit or self.stops or self.options.dump_ir) else None
        block = None
        if pcache is not None:
            block = pcache.lookup(pc, key - pc, self.mem)
        if block is None:
            block = self.arch.lift(self.mem, key, limit, self.stops)
            if pcache is not None:
                pcache.remember(block, self.mem)
        self.stats.lift_time += time.perf_counter() - t0
        if self.options.verify:
            verify(block, list(self.arch.layout.types))
        if self.options.dump_ir:
            print(block.dump(list(self.arch.layout.names)), file=self.err)
        return block

    def _install(self, compiled: dict, tier: str) -> None:
        for k, (block, fn, counters, index) in compiled.items():
            if self.options.stats:
                fn = _timed(fn, self.stats,
                            self.jit.return_reason if counters is not None else None)
            tb = self.cache.blocks.get(k)
            if tb is None:
                pc = self.arch.key_pc(k)
                tb = TB(k, block, fn, tier, start=pc, end=max(block.end, pc + 1),
                        counters=counters, index=index)
                if self.observe_jumps and indirect_jump(block, self.arch.link_slot,
                                                        self.arch.sp_slot):
                    tb.observed = set()
                self.cache.insert(tb)
            else:
                if tb.counters is not None:  # recompiled into a bigger region
                    tb.native_base += tb.counters[tb.index]
                else:
                    tb.interp = tb.count
                tb.fn, tb.tier, tb.counters, tb.index = fn, tier, counters, index
        if self.cache.capacity:
            for k in self.cache.evict(set(compiled)):
                self._unpublish(k)

    def miss(self, key: int) -> TB:
        """A cache miss in a dispatch loop: translate, or report an instruction we
        cannot lift and deliver SIGILL."""
        self.cache.stats.misses += 1
        try:
            return self.translate(key)
        except UnsupportedInstruction as e:
            print(f"dbt: {e}", file=self.err)
            self._deliver(SIGILL, e.pc)
            raise  # not reached: _deliver raises

    def translate(self, key: int) -> TB:
        t0 = time.perf_counter()
        self._install(self.tier.first(self, key, self.lift(key)), self.tier.name
                      if self.tier.hot is None else "interp")
        self.stats.translate_time += time.perf_counter() - t0
        return self.cache.blocks[key]

    def promote(self, tb: TB) -> None:
        t0 = time.perf_counter()
        self._install(self.tier.hot(self, tb.key, tb.block), "jit")
        tb.interp = tb.count - 1  # the dispatch that promoted it runs native code
        self.stats.compile_time += time.perf_counter() - t0

    def add_stop(self, pc: int) -> None:
        """Stop (SIGTRAP) before the instruction at `pc` executes, in every tier."""
        self.stops.add(pc)
        self.invalidate(pc - 4 * 64, pc + 1)

    def remove_stop(self, pc: int) -> None:
        self.stops.discard(pc)
        self.invalidate(pc - 4 * 64, pc + 1)

    def step(self) -> None:
        """Execute exactly one guest instruction at `key` (stops do not apply), through a
        one-instruction block interpreted outside the cache."""
        block = self.lift(self.key, limit=1)
        fn = self.interpreted(self.key, block)
        if self.insns_left is None:
            r = fn()
        elif not self.insns_left:
            raise InsnLimit(self.arch.key_pc(self.key))
        else:
            r = self.run_interp(fn, block)
        self.key = self._special(r) if r > 0xFFFFFFFF else r

    def invalidate(self, start: int, end: int) -> None:
        stale = self.cache.invalidate(start, end)
        jit = getattr(self, "jit", None)
        while stale:
            key = stale.pop()
            self._unpublish(key)
            if jit is not None:  # native regions that hold a copy of the stale code
                stale += self.cache.drop(jit.regions_with(key))

    def _unpublish(self, key: int) -> None:
        jit = getattr(self, "jit", None)
        if jit is not None:
            jit.unpublish(key)

    # -- execution ----------------------------------------------------------------
    def run(self) -> int:
        """Run the guest to its end; returns the exit status as a shell reports it."""
        hostsig.attach(self)
        try:
            return self._run()
        finally:
            hostsig.detach(self)

    def insn_limit_reached(self, e: InsnLimit) -> int:
        """Report the end of a --max-insns run; returns its exit status."""
        print(f"dbt: instruction limit {self.options.max_insns} reached at pc {e.pc:#010x}",
              file=self.err)
        if self.debugger is not None:
            self.debugger.exited(INSN_LIMIT_STATUS)
        return INSN_LIMIT_STATUS

    def _run(self) -> int:
        while True:
            try:
                self._loop()
            except InsnLimit as e:
                return self.insn_limit_reached(e)
            except GuestFault as e:
                self.stop_at_fault(e)
                signo, sync = SIGSEGV, True
                code, addr = (SEGV_ACCERR if self.mem.is_mapped(e.addr, 1) else SEGV_MAPERR,
                              e.addr)
            except GuestSignal as e:
                signo, sync, code, addr = e.signo, e.sync, 0, e.addr
            except GuestExit as e:
                if self.debugger is not None:
                    self.debugger.exited(e.status & 0xFF)
                return e.status & 0xFF
            if self.debugger is not None:
                signo = self.debugger.stopped(signo)
                if not signo:
                    continue
            if sync and self.linux.catches(signo):
                self.key = self.linux.enter_handler(signo, code, addr, self.key)
                continue
            # Like the real machine, nothing is printed: the shell reports the signal.
            if self.debugger is not None:
                self.debugger.killed(signo)
            return 128 + signo

    def poke(self) -> None:
        """Ask the dispatch loop to look at its interrupts before the next block, and
        native code to return to it (safe from any thread and from signal handlers)."""
        jit = getattr(self, "jit", None)
        if jit is not None:
            jit.request_exit()
        # After the request: the loop withdraws requests only when it sees an interrupt,
        # so a request is never left behind to send native code back on every check.
        self.interrupts.append(1)

    def interrupt(self, key: int) -> int:
        """The loop was poked: withdraw the exit request from native code, stop if the
        debugger asks, and enter the guest handlers of the signals now deliverable;
        returns the key to continue at (`key`, the block not yet run, or a handler)."""
        self.interrupts.clear()
        jit = getattr(self, "jit", None)
        if jit is not None:
            jit.withdraw_exit()
        self.key = key
        if self.debugger is not None:
            signo = self.debugger.poll()
            if signo:
                raise GuestSignal(signo)
        linux = self.linux
        linux.take_arrived()
        while linux.queued:
            key = linux.enter_handler(*linux.queued.pop(0), key)
        return key

    def _loop(self) -> None:
        if self.tracer is not None:
            return self.tracer.loop(self)
        if self.insns_left is not None:
            return self._loop_counted()
        blocks = self.cache.blocks
        key = self.key
        hot = self.hot_threshold if self.tier.hot is not None else -1
        interrupts = self.interrupts
        jumped = None  # the observed targets of the block that ran last (TB.observed)
        try:
            while True:
                if interrupts:
                    key = self.interrupt(key)
                tb = blocks.get(key)
                if tb is None:
                    tb = self.miss(key)
                if jumped is not None:
                    jumped.add(key)
                tb.count += 1
                if tb.count == hot and tb.counters is None:
                    self.promote(tb)
                jumped = tb.observed
                key = tb.fn()
                if key > 0xFFFFFFFF:
                    key = self._special(key)
        finally:
            self.key = key & 0xFFFFFFFF

    def _loop_counted(self) -> None:
        """`_loop` under --max-insns: each block is charged its instructions before it
        runs (native code charges itself), and where the limit falls inside a block,
        its first instructions run as a shorter block."""
        blocks = self.cache.blocks
        key = self.key
        hot = self.hot_threshold if self.tier.hot is not None else -1
        interrupts = self.interrupts
        try:
            while True:
                if interrupts:
                    key = self.interrupt(key)
                tb = blocks.get(key)
                if tb is None:
                    tb = self.miss(key)
                if tb.block.ninsns > self.insns_left:
                    key = self.run_short(key)
                else:
                    tb.count += 1
                    if tb.count == hot and tb.counters is None:
                        self.promote(tb)
                    key = (self.run_interp(tb.fn, tb.block) if tb.counters is None
                           else self.run_native(tb.fn))
                if key > 0xFFFFFFFF:
                    key = self._special(key)
        finally:
            self.key = key & 0xFFFFFFFF

    def run_interp(self, fn, block: Block) -> int:
        """Run an interpreted block under --max-insns and charge what it completed: all
        its instructions, or those before the one that faulted or trapped."""
        try:
            r = fn()
        except GuestFault as e:
            self.insns_left -= _before(block, e.pc)
            raise
        if r > 0xFFFFFFFF and (r >> 32) & 0xFF == EXIT_TRAP:
            self.insns_left -= _before(block, r & 0xFFFFFFFF)
        else:
            self.insns_left -= block.ninsns
        return r

    def run_native(self, fn, cap: int | None = None) -> int:
        """Run native code under --max-insns with a budget of the instructions left (at
        most `cap`): it charges each block before running it and returns at the first
        that does not fit."""
        jit = self.jit
        give = self.insns_left if cap is None else min(cap, self.insns_left)
        jit.set_budget(give)
        r = fn()
        spent = give - jit.budget()
        if r > 0xFFFFFFFF:
            undone, r = jit.undone(r)
            spent -= undone
        self.insns_left -= spent
        return r

    def run_short(self, key: int) -> int:
        """Run the last `insns_left` instructions of a --max-insns run (they start the
        block at `key`) as one interpreted block outside the cache; InsnLimit when
        none are left."""
        if not self.insns_left:
            raise InsnLimit(self.arch.key_pc(key))
        block = self.lift(key, limit=self.insns_left)
        return self.run_interp(self.interpreted(key, block), block)

    def interpreted(self, key: int, block: Block):
        """The interpreter's callable for `block`, outside the cache (steps, the short
        last block of --max-insns, blocks native code declined)."""
        return TIERS["interp"].first(self, key, block)[key][1]

    def _special(self, r: int) -> int:
        kind = (r >> 32) & 0xFF
        target = r & 0xFFFFFFFF
        if kind == EXIT_FAULT:
            addr, write, pc = self.jit.fault()
            self.key = pc
            raise GuestFault(addr, write, pc)
        if kind == EXIT_SYSCALL:
            self.stats.syscalls += 1
            self.key = target
            nr, args = self.arch.syscall_args(self.state)
            t0 = time.perf_counter()
            try:
                result = self.linux.syscall(nr, args)
            finally:
                self.stats.syscall_time += time.perf_counter() - t0
            self.arch.set_syscall_result(self.state, result)
            if self.redirect is not None:  # sigreturn
                target, self.redirect = self.redirect, None
            while self.linux.queued:  # signals the syscall raised, with guest handlers
                target = self.linux.enter_handler(*self.linux.queued.pop(0), target)
            self.key = target
            return target
        if kind == EXIT_INTERP:
            # Native code declined the block at `target` (one of its accesses would
            # fault): the interpreter runs it once, and faults at the exact instruction.
            self.key = target
            r = self.interpreted(target, self.lift(target))()
            return self._special(r) if r > 0xFFFFFFFF else r
        if kind == EXIT_TRAP:
            self.key = target
            self._deliver(r >> 40, target)
        raise AssertionError(f"bad block exit {r:#x}")

    def _deliver(self, signo: int, pc: int) -> None:
        """Deliver a synchronous signal raised by the guest at `pc`."""
        self.state[self.arch.layout.names[self.arch.pc_slot]] = pc
        raise GuestSignal(signo, core=True, sync=True)

    def stop_at_fault(self, e: GuestFault) -> None:
        """Point key and the pc slot at the instruction that faulted."""
        pc = e.pc if e.pc is not None else self.arch.key_pc(self.key)
        self.key = pc
        self.state[self.arch.layout.names[self.arch.pc_slot]] = pc
