"""Host signals sent to a running dbt reach the guest as the guest asked: its handler
runs (even while the guest spins in native code), SIG_IGN ignores, SIG_DFL ends it with
128 + the signal, a blocked signal stays pending until sigprocmask unblocks it, and
pause() returns -1/EINTR after the handler.  (SIGALRM from the guest's own timers is
testbins/src/alarm.c, a tests/test_programs.py case.)

testbins/src/waitsig.c catches SIGUSR1, SIGUSR2 and SIGINT, ignores SIGHUP, and prints
"ready" once it has; each test sends signals after that line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "testbins" / "bin"
TIERS = ("interp", "jit", "auto")


def start(arch: str, tier: str, *args: str) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-m", "dbt", "run", "--no-cache", "--tier", tier,
                          "--jit-threshold", "16", str(BIN / arch / "waitsig"), *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert p.stdout.readline() == b"ready\n"
    # Long enough for the auto tier to compile the loop the guest now spins in.
    time.sleep(0.5)
    return p


def finish(p: subprocess.Popen) -> tuple[int, str]:
    try:
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert b"Traceback" not in err, err
    return p.returncode, out.decode()


@pytest.mark.parametrize("arch", ["armel", "ppc"])
@pytest.mark.parametrize("tier", TIERS)
def test_handler_interrupts_a_spinning_guest(arch: str, tier: str) -> None:
    p = start(arch, tier)
    p.send_signal(signal.SIGUSR1)
    assert finish(p) == (0, "handled: 10\n")


@pytest.mark.parametrize("tier", TIERS)
def test_ignored_then_caught(tier: str) -> None:
    p = start("armel", tier)
    p.send_signal(signal.SIGHUP)      # the guest ignores it: without that, status 129
    time.sleep(0.3)
    p.send_signal(signal.SIGUSR2)
    assert finish(p) == (0, "handled: 12\n")


@pytest.mark.parametrize("tier", TIERS)
def test_sigint_runs_the_guest_handler(tier: str) -> None:
    p = start("armel", tier)
    p.send_signal(signal.SIGINT)      # no handler (tests/test_cli.py): status 130
    assert finish(p) == (0, "handled: 2\n")


@pytest.mark.parametrize("tier", TIERS)
def test_default_action_ends_the_guest(tier: str) -> None:
    p = start("armel", tier)
    p.send_signal(signal.SIGTERM)
    assert finish(p) == (-signal.SIGTERM, "")


@pytest.mark.parametrize("tier", TIERS)
def test_blocked_signal_waits_for_unblock(tier: str) -> None:
    p = start("armel", tier, "block")
    p.send_signal(signal.SIGUSR1)
    assert finish(p) == (0, "pending, handled: 0\nunblocked, handled: 10\n")


@pytest.mark.parametrize("arch", ["armel", "ppc"])
def test_pause_returns_eintr(arch: str) -> None:
    p = start(arch, "auto", "pause")
    # Until it ends: a signal that comes before the guest is in pause() does not end it.
    while p.poll() is None:
        p.send_signal(signal.SIGUSR1)
        time.sleep(0.3)
    assert finish(p) == (0, "pause: -1 EINTR, handled: 10\n")


def test_strace_shows_timers_and_signals() -> None:
    r = subprocess.run([sys.executable, "-m", "dbt", "run", "--no-cache", "--strace",
                        str(BIN / "armel/alarm")], capture_output=True, timeout=120,
                       cwd=ROOT)
    assert r.returncode == 128 + signal.SIGALRM
    err = r.stderr.decode()
    pid = r"\d+ "
    for line in (r"setitimer\(ITIMER_REAL,0x[0-9a-f]+,0x[0-9a-f]+\) = 0",
                 r"pause\(\) = -1 errno=4 \(Interrupted system call\)",
                 r"rt_sigsuspend\(0x[0-9a-f]+,8\) = -1 errno=4 \(Interrupted system call\)",
                 r"--- SIGALRM \{si_signo=SIGALRM, si_code=128\} ---"):
        assert re.search(pid + line, err), line


def run_here(program: str, *args: str) -> int:
    """Run a guest in this process (its stdout to /dev/null); returns its status."""
    from dbt.engine import Machine, Options
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1)
    os.dup2(devnull, 1)
    try:
        path = str(BIN / program)
        m = Machine(path, [path.encode(), *(a.encode() for a in args)], [],
                    Options(tier="jit"))
        return m.run()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def test_host_dispositions_are_restored_after_the_run() -> None:
    """Guests run in this process leave no disposition or timer behind: ^C is
    KeyboardInterrupt again, and no SIGALRM is on its way."""
    done = threading.Event()

    def send_until_done() -> None:
        # Again and again: one that comes before the guest's pause() is not the end.
        while not done.wait(0.2):
            if signal.getsignal(signal.SIGUSR1) != signal.SIG_DFL:
                os.kill(os.getpid(), signal.SIGUSR1)

    sender = threading.Thread(target=send_until_done, daemon=True)
    sender.start()
    try:
        assert run_here("armel/waitsig", "pause") == 0   # a SIGUSR1 ends its pause()
    finally:
        done.set()
        sender.join()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL
    assert run_here("armel/alarm") == 128 + signal.SIGALRM
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_each_run_routes_the_guests_signals_again() -> None:
    """A machine run twice (as the differential harnesses do) catches the signals its
    guest handles in both runs, and leaves the host as it found it after each."""
    from dbt.engine import Machine
    from dbt.linux import hostsig
    m = Machine.bare("armel")
    m.linux.sigactions[signal.SIGUSR1] = (0x1000, 0, 0, 0)   # a handler at 0x1000
    m.linux.sigactions[signal.SIGHUP] = (1, 0, 0, 0)         # SIG_IGN
    for _ in range(2):
        hostsig.attach(m)
        try:
            assert signal.getsignal(signal.SIGUSR1) not in (signal.SIG_DFL, signal.SIG_IGN)
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        finally:
            hostsig.detach(m)
        assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL
