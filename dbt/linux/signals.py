"""Guest signal numbers and names (Linux generic numbering, shared by ARM and PowerPC)."""

from __future__ import annotations

SIGNAL_NAMES = {
    1: "Hangup", 2: "Interrupt", 3: "Quit", 4: "Illegal instruction", 5: "Trace/breakpoint trap",
    6: "Aborted", 7: "Bus error", 8: "Floating point exception", 9: "Killed",
    10: "User defined signal 1", 11: "Segmentation fault", 12: "User defined signal 2",
    13: "Broken pipe", 14: "Alarm clock", 15: "Terminated",
}
# Signals whose default action dumps core (the shell says "core dumped").
CORE_SIGNALS = frozenset({3, 4, 5, 6, 7, 8, 11, 24, 25, 31})


def signal_name(signo: int) -> str:
    return SIGNAL_NAMES.get(signo, f"Real-time signal {signo - 34}" if signo >= 34
                            else f"Signal {signo}")
