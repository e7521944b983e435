"""Command line: `dbt run [options] PROGRAM [ARGS...]`."""

from __future__ import annotations

import argparse
import os
import sys

from dbt.arch import TIERS, load_plugins


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dbt", description="Run 32-bit ARM and PowerPC Linux "
                                "programs on this machine by dynamic binary translation.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run a guest program",
                         description="Run a static guest program; its stdout, stderr and "
                         "exit status are the program's own.")
    run.add_argument("--tier", default="interp",
                     help="execution tier: %(choices)s (default %(default)s)",
                     choices=sorted(TIERS))
    run.add_argument("--strace", action="store_true", help="log every syscall to stderr")
    run.add_argument("--stats", action="store_true",
                     help="print translation-cache statistics to stderr at exit")
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
    from dbt.stats import report

    try:
        envp = guest_env(args.setenv, args.unsetenv)
        opts = Options(tier=args.tier, strace=args.strace, stats=args.stats,
                       dump_ir=args.dump_ir, verify=args.verify_ir)
        machine = Machine(args.program, [os.fsencode(args.program)]
                          + [os.fsencode(a) for a in args.args], envp, opts)
    except (LoadError, ValueError) as e:
        print(f"dbt: {e}", file=sys.stderr)
        return 1
    status = machine.run()
    if args.stats:
        report(machine, sys.stderr)
    return status


def entry() -> None:
    try:
        status = main()
    except KeyboardInterrupt:
        status = 130
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
