"""Command line: `dbt run [options] PROGRAM [ARGS...]`."""

from __future__ import annotations

import argparse
import gc
import os
import sys

from dbt.arch import TIERS, load_plugins


def _parser() -> argparse.ArgumentParser:
    from dbt.engine import INSN_LIMIT_STATUS
    p = argparse.ArgumentParser(prog="dbt", description="Run 32-bit ARM and PowerPC Linux "
                                "programs on this machine by dynamic binary translation.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run a guest program",
                         description="Run a static guest program; its stdout, stderr and "
                         "exit status are the program's own.")
    run.add_argument("--tier", default="auto",
                     help="execution tier: %(choices)s (default %(default)s)",
                     choices=sorted(TIERS))
    run.add_argument("--jit-threshold", type=int, default=0, metavar="N",
                     help="--tier auto: compile a block after N executions "
                     "(default: the tier's, 1000)")
    run.add_argument("--max-insns", type=_count, metavar="N",
                     help="stop the guest after exactly N executed instructions (the "
                     "same count in every tier; a syscall is the instruction that makes "
                     "it): dbt prints 'dbt: instruction limit N reached at pc ADDR' and "
                     f"exits with status {INSN_LIMIT_STATUS}")
    run.add_argument("--strace", action="store_true", help="log every syscall to stderr")
    run.add_argument("--stats", action="store_true",
                     help="print translation-cache statistics to stderr at exit")
    run.add_argument("--stats-json", metavar="FILE",
                     help="write the --stats numbers as JSON to FILE at exit")
    run.add_argument("--profile-out", metavar="FILE",
                     help="write the guest instruction profile to FILE in callgrind "
                     "format (open with kcachegrind/qcachegrind or callgrind_annotate)")
    run.add_argument("--tb-cache-size", type=int, default=0, metavar="N",
                     help="keep at most N translated blocks (FIFO eviction; default "
                     "unbounded)")
    run.add_argument("--cache-dir", metavar="DIR",
                     help="keep translations between runs in DIR (default: $DBT_CACHE_DIR, "
                     "else $XDG_CACHE_HOME/dbt, else ~/.cache/dbt)")
    run.add_argument("--no-cache", action="store_true",
                     help="neither use nor update the persistent translation cache")
    run.add_argument("--gdb", type=int, metavar="PORT",
                     help="wait for gdb on 127.0.0.1:PORT before the first instruction "
                     "(GDB remote protocol, like qemu's -g)")
    tr = run.add_argument_group("tracing")
    tr.add_argument("--trace", metavar="FILE",
                    help="write one line per executed guest instruction to FILE ('-': "
                    "stderr)")
    tr.add_argument("--trace-format", choices=("text", "jsonl"), default="text",
                    help="trace line format (default %(default)s)")
    tr.add_argument("--trace-range", metavar="LO-HI",
                    help="trace only instructions with LO <= pc < HI")
    tr.add_argument("--trace-symbol", metavar="NAME",
                    help="trace only instructions inside the ELF symbol NAME")
    tr.add_argument("--trace-after", type=int, default=0, metavar="N",
                    help="trace only from the N-th executed instruction on (0-based)")
    tr.add_argument("--trace-count", type=int, metavar="N",
                    help="stop tracing after N lines (the guest then runs at full speed)")
    tr.add_argument("--trace-blocks", action="store_true",
                    help="trace executed blocks instead of instructions (cheap, works "
                    "in native code) to the --trace FILE, or stderr")
    run.add_argument("--dump-ir", action="store_true",
                     help="print every lifted IR block to stderr")
    run.add_argument("--verify-ir", action="store_true", help="verify every lifted block")
    run.add_argument("-E", dest="setenv", action="append", default=[], metavar="VAR=VALUE",
                     help="set an environment variable for the guest")
    run.add_argument("-U", dest="unsetenv", action="append", default=[], metavar="VAR",
                     help="remove an environment variable for the guest")
    run.add_argument("program", help="the guest executable")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the guest")
    return p


def _count(text: str) -> int:
    try:
        n = int(text, 0)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return n


def guest_env(setenv: list[str], unsetenv: list[str]) -> list[bytes]:
    env = dict(os.environb)
    for item in setenv:
        if "=" not in item:
            raise ValueError(f"-E expects VAR=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        env[os.fsencode(k)] = os.fsencode(v)
    for k in unsetenv:
        env.pop(os.fsencode(k), None)
    return [k + b"=" + v for k, v in env.items()]


def main(argv: list[str] | None = None) -> int:
    load_plugins()
    args = _parser().parse_args(argv)
    from dbt.engine import Machine, Options
    from dbt.loader import LoadError
    from dbt import stats

    try:
        envp = guest_env(args.setenv, args.unsetenv)
        cache_dir = None
        if not args.no_cache:
            from dbt.pcache import default_dir
            cache_dir = args.cache_dir or default_dir()
        opts = Options(tier=args.tier, cache_dir=str(cache_dir) if cache_dir else None,
                       strace=args.strace,
                       stats=args.stats or bool(args.stats_json),
                       dump_ir=args.dump_ir, verify=args.verify_ir,
                       tb_cache_size=max(0, args.tb_cache_size),
                       jit_threshold=max(0, args.jit_threshold),
                       max_insns=args.max_insns, count_blocks=bool(args.profile_out))
        machine = Machine(args.program, [os.fsencode(args.program)]
                          + [os.fsencode(a) for a in args.args], envp, opts)
    except (LoadError, ValueError) as e:
        print(f"dbt: {e}", file=sys.stderr)
        return 1
    # Output files the run ends with: find out now, not after the guest has run.
    for option, path in (("--stats-json", args.stats_json), ("--profile-out", args.profile_out)):
        if path:
            try:
                open(path, "w").close()
            except OSError as e:
                print(f"dbt: {option} {path}: {e.strerror}", file=sys.stderr)
                return 1
    if not (args.trace or args.trace_blocks) and (
            args.trace_range or args.trace_symbol or args.trace_after or args.trace_count):
        print("dbt: the --trace-* filters need --trace", file=sys.stderr)
        return 1
    trace_out = None
    if args.trace or args.trace_blocks:
        from dbt import trace
        if args.gdb is not None:
            print("dbt: --trace and --gdb cannot be combined", file=sys.stderr)
            return 1
        try:
            trace_out = (sys.stderr if args.trace in (None, "-")
                         else open(args.trace, "w", buffering=1 << 16))
            filters = (trace.parse_range(args.trace_range) if args.trace_range else None,
                       args.trace_symbol, args.trace_after, args.trace_count)
            if args.trace_blocks:
                machine.tracer = trace.BlockTracer(machine, trace_out, *filters)
            else:
                machine.tracer = trace.InsnTracer(machine, trace_out, args.trace_format,
                                                  *filters)
        except (OSError, ValueError) as e:
            print(f"dbt: {e}", file=sys.stderr)
            return 1
    if args.stats or args.stats_json:
        stats.time_decoding(machine)
    # Everything made so far (modules, the loaded image, tables) lives as long as the run:
    # keep the cyclic collector from scanning it again and again while the run lifts
    # blocks (it was ~25% of cold lift time; IR cannot form cycles).
    gc.freeze()
    if args.gdb is not None:
        from dbt.gdbstub import GdbStub
        try:
            stub = GdbStub(machine, args.gdb)
        except (OSError, ValueError) as e:
            print(f"dbt: --gdb {args.gdb}: {getattr(e, 'strerror', None) or e}",
                  file=sys.stderr)
            return 1
        status = stub.run()
    else:
        status = machine.run()
    if trace_out is not None:
        trace_out.flush()
    if machine.pcache is not None:
        machine.pcache.save()
        if machine.pcache.error and (args.cache_dir or args.stats):
            print(f"dbt: translation cache {machine.pcache.path}: {machine.pcache.error}",
                  file=sys.stderr)
    if args.profile_out:
        from dbt.profile import write_callgrind
        write_callgrind(machine, args.profile_out, [args.program, *args.args])
    if args.stats or args.stats_json:
        data = stats.collect(machine, status)
        if args.stats:
            print(stats.render(data), file=sys.stderr)
        if args.stats_json:
            stats.write_json(data, args.stats_json)
    return status


def entry() -> None:
    try:
        status = main()
    except KeyboardInterrupt:
        status = 130
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
