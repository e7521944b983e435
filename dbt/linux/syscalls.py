"""The arch-neutral Linux syscall layer: `Linux(machine).syscall(nr, args)`.

The number is named by the arch's table (`machine.arch.syscall_names`) and the name
picks a `sys_<name>` method from the groups below; an arch's private calls go to
`machine.arch.arch_syscall` first.  Results follow the kernel convention: a value, or
-errno.  Unknown numbers and unimplemented names return -ENOSYS."""

from __future__ import annotations

import errno
from collections.abc import Callable

from dbt.linux import GuestSignal
from dbt.linux.fs import FileSyscalls
from dbt.linux.mm import MemorySyscalls
from dbt.linux.process import ProcessSyscalls
from dbt.linux.strace import Strace
from dbt.linux.timing import TimeSyscalls
from dbt.memory import GuestFault

# Calls that do not return to the guest: strace ends their line before they run.
_NO_RESULT = frozenset({"exit", "exit_group"})


class Linux(FileSyscalls, MemorySyscalls, ProcessSyscalls, TimeSyscalls):
    def __init__(self, machine) -> None:
        super().__init__(machine)
        self.arch = machine.arch
        self.names: dict[int, str] = machine.arch.syscall_names
        self.handlers: dict[int, Callable[..., int]] = {}
        for nr, name in self.names.items():
            fn = getattr(self, "sys_" + name, None)
            if fn is not None:
                self.handlers[nr] = fn
        self.strace = (Strace(machine.err, self.mem, self.layout)
                       if machine.options.strace else None)

    def syscall(self, nr: int, args: tuple[int, ...]) -> int:
        args = tuple(args) + (0,) * (6 - len(args))
        name = self.names.get(nr)
        trace = self.strace
        if trace is not None:
            trace.call(nr, name, args, ends=name in _NO_RESULT)
        try:
            result = self._run(nr, args)
        except GuestSignal:
            if trace is not None:     # the kill itself succeeded; its signal ends the guest
                trace.result(name, 0)
            raise
        if trace is not None:
            trace.result(name, result)
        return result

    def _run(self, nr: int, args: tuple[int, ...]) -> int:
        try:
            result = self.arch.arch_syscall(nr, args, self.machine)
            if result is not None:
                return result
            fn = self.handlers.get(nr)
            if fn is None:
                return -errno.ENOSYS
            return fn(*args)
        except GuestFault:
            return -errno.EFAULT
        except OSError as e:
            return -(e.errno or errno.EIO)
        except OverflowError:
            return -errno.EINVAL     # a value the host call cannot even represent

    def implemented(self) -> list[str]:
        """Names in the arch's table that have an implementation (for docs and tests)."""
        return sorted(self.names[nr] for nr in self.handlers)
