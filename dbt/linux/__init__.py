"""Linux user-mode emulation, arch-neutral: syscalls, signals, process state."""

from __future__ import annotations


class GuestExit(Exception):
    """The guest asked to end with `status` (exit/exit_group)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"exit {status}")
        self.status = status


class GuestSignal(Exception):
    """A signal whose action is to terminate the guest (status 128 + signo)."""

    def __init__(self, signo: int, core: bool = False, sync: bool = False,
                 addr: int = 0) -> None:
        super().__init__(f"signal {signo}")
        self.signo = signo
        self.core = core
        # A synchronous trap of the current instruction (SIGILL, SIGTRAP): a guest
        # handler may catch it.  Otherwise the signal's action was to terminate.
        self.sync = sync
        self.addr = addr
