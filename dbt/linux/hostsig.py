"""Host signals: the one place dbt changes the host's signal dispositions, and the
wakeup pipe that lets a signal reach Python while native code or a sleep has the CPU.

- For every signal with a Python-level handler (^C's KeyboardInterrupt, and the ones
  routed to the guest below), CPython's C handler writes the signal number to a wakeup
  pipe (`signal.set_wakeup_fd`).  A relay thread reads it, pokes the running Machine
  (`Machine.poke`: native code returns at its next check, and the dispatch loop looks
  at its interrupts before the next block) and wakes `wait`.
- `catch(sig)` routes a host signal to the guest: the Python handler only appends the
  number to the running machine's `linux.arrived` list (it runs between any two
  bytecodes of the main thread, so it must not touch guest state); the engine turns
  it into a pending guest signal at the next block boundary or in a blocking syscall.
  `ignore(sig)` makes the host ignore it, `restore(sig)` puts back what dbt started
  with (so a guest SIG_DFL for SIGINT is ^C's KeyboardInterrupt again, status 130).

Dispositions can only change in the main thread: elsewhere (a machine driven from
another thread) nothing is routed and `wait` just sleeps."""

from __future__ import annotations

import os
import select
import signal
import threading
import time
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dbt.engine import Machine

# Synchronous signals are the translator's own business (a host SIGSEGV is a dbt bug;
# guest faults are raised by dbt itself), and SIGKILL/SIGSTOP cannot be caught.
_NEVER = frozenset({signal.SIGILL, signal.SIGTRAP, signal.SIGBUS, signal.SIGFPE,
                    signal.SIGKILL, signal.SIGSEGV, signal.SIGSTOP, signal.SIGSYS})

_target: weakref.ref | None = None       # the Machine whose guest is running
_original: dict[int, object] = {}        # signal -> disposition before dbt changed it
_notify: tuple[int, int] | None = None   # the relay's pipe to `wait`
_fds: tuple[int, ...] = ()               # both pipes' descriptors
_pid = 0                                 # the process the relay thread runs in


def routable(sig: int) -> bool:
    """Whether a guest handler (or SIG_IGN) for `sig` can be given the host's signal."""
    return (sig not in _NEVER and sig in signal.valid_signals()
            and threading.current_thread() is threading.main_thread())


def attach(machine: Machine) -> None:
    """`machine` runs its guest now: host signals go to it, as its signal actions say
    (starts the relay once per process, from the main thread)."""
    global _target
    _target = weakref.ref(machine)
    if _pid != os.getpid() and threading.current_thread() is threading.main_thread():
        _start()
    for sig in machine.linux.sigactions:  # a run after `detach` (test harnesses)
        machine.linux.route(sig)


def detach(machine: Machine) -> None:
    """The guest of `machine` has ended: host dispositions it changed go back, and its
    interval timers stop (they would fire into the next run or into the host)."""
    global _target
    if _target is not None and _target() is machine:
        _target = None
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in list(_original):
        restore(sig)
    for which in machine.linux.timers_set:
        signal.setitimer(which, 0)
    machine.linux.timers_set.clear()


def catch(sig: int) -> None:
    _original.setdefault(sig, signal.getsignal(sig))
    signal.signal(sig, _arrived)


def ignore(sig: int) -> None:
    _original.setdefault(sig, signal.getsignal(sig))
    signal.signal(sig, signal.SIG_IGN)


def restore(sig: int) -> None:
    if sig in _original:
        signal.signal(sig, _original.pop(sig))


def _arrived(sig: int, _frame) -> None:
    m = _target() if _target is not None else None
    if m is not None:
        m.linux.arrived.append(sig)
        m.poke()
    # Wake `wait` after the append too: the relay may have woken it before this ran
    # (the signal hit another thread), and the check it then made found nothing.
    _notify_wait()


def _notify_wait() -> None:
    if _notify is not None:
        try:
            os.write(_notify[1], b"!")
        except BlockingIOError:  # already full: `wait` will wake anyway
            pass


def wait(timeout: float | None) -> None:
    """Sleep until the relay sees a host signal, or `timeout` seconds (None: no limit)
    pass.  Callers loop: check what they wait for, then wait (a signal that came in
    between leaves the pipe readable, so the next wait returns at once)."""
    if _notify is None or _pid != os.getpid():
        if timeout is None:
            signal.pause()
        else:
            time.sleep(timeout)
        return
    ready, _, _ = select.select([_notify[0]], [], [], timeout)
    if ready:
        os.read(_notify[0], 4096)


def forked() -> None:
    """In the child of a guest fork: a relay of its own (threads do not survive fork,
    and the parent's pipe is no use to the child)."""
    if _pid and threading.current_thread() is threading.main_thread():
        _start()


def _start() -> None:
    """The wakeup pipe and its relay thread."""
    global _notify, _fds, _pid
    r, w = os.pipe()
    os.set_blocking(w, False)
    nr, nw = os.pipe()
    os.set_blocking(nr, False)
    os.set_blocking(nw, False)
    signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    for fd in _fds:  # a forked child's copies of its parent's pipes
        os.close(fd)
    _notify, _fds, _pid = (nr, nw), (r, w, nr, nw), os.getpid()

    def relay() -> None:
        while os.read(r, 64):
            m = _target() if _target is not None else None
            if m is not None:
                m.poke()
            _notify_wait()
    threading.Thread(target=relay, name="dbt-signal-relay", daemon=True).start()
