"""Clock, sleep and interval-timer syscalls.  Guest clock ids are the generic Linux
ones, the same as the host's, so clocks are read from the host; the *_time64 variants
differ only in using 64-bit timespecs.

Interval timers (alarm, setitimer, getitimer) are the host's own, so their signals come
as host signals, which dbt catches once the guest starts a timer (dbt.linux.hostsig):
they run the guest's handler, or end the guest as its default action says.
ITIMER_VIRTUAL and ITIMER_PROF count dbt's CPU time, the guest's stand-in.  Sleeps end
early, with -EINTR, when a signal runs a guest handler."""

from __future__ import annotations

import errno
import os
import signal
import time

from dbt.linux.base import SyscallBase, s32

CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI = 0, 1, 7, 11
TIMER_ABSTIME = 1
_SLEEP_CLOCKS = frozenset({CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI})
_NS = 1_000_000_000
CLK_TCK = 100


# Interval timer -> the signal it sends.
ITIMERS = {signal.ITIMER_REAL: signal.SIGALRM, signal.ITIMER_VIRTUAL: signal.SIGVTALRM,
           signal.ITIMER_PROF: signal.SIGPROF}
_US = 1_000_000


class TimeSyscalls(SyscallBase):
    def __init__(self, machine) -> None:
        super().__init__(machine)
        self.timers_set: set[int] = set()   # host interval timers the guest started

    def timer_signals(self) -> set[int]:
        """The signals of the interval timers the guest has started."""
        return {ITIMERS[t] for t in self.timers_set}

    def _started(self, which: int) -> None:
        self.timers_set.add(which)
        self.route(ITIMERS[which])

    def _put_timespec(self, addr: int, ns: int, wide: bool) -> int:
        if wide:
            self.mem.write(addr, self.layout.timespec64(ns))
        elif ns // _NS > 0x7FFFFFFF:
            return -errno.EOVERFLOW     # past 2038: only the time64 calls can say it
        else:
            self.mem.write(addr, self.layout.timespec32(ns))
        return 0

    def read_timespec(self, addr: int, wide: bool) -> tuple[int, int]:
        lay = self.layout
        if wide:
            return lay.timespec64_unpack(self.mem.read(addr, 16))
        return lay.timespec32_unpack(self.mem.read(addr, 8))

    def sleep_timespec(self, addr: int, wide: bool, clock: int, absolute: bool) -> int:
        """Sleep for (or until, when `absolute`) the guest timespec at `addr`; returns
        the nanoseconds left when a signal for a guest handler ended it (0: it did not)."""
        sec, nsec = self.read_timespec(addr, wide)
        if not 0 <= nsec < _NS or (sec < 0 and not absolute):
            raise OSError(errno.EINVAL, "timespec")
        ns = sec * _NS + nsec
        if absolute:
            ns -= time.clock_gettime_ns(clock)
        if ns <= 0:
            return 0
        end = time.monotonic_ns() + ns
        if self.wait_for_signal(ns / _NS):
            return max(1, end - time.monotonic_ns())
        return 0

    # -- reading clocks -----------------------------------------------------------
    def _clock_gettime(self, clk: int, ts: int, wide: bool) -> int:
        return self._put_timespec(ts, time.clock_gettime_ns(s32(clk)), wide)

    def sys_clock_gettime(self, clk: int, ts: int, *_: int) -> int:
        return self._clock_gettime(clk, ts, wide=False)

    def sys_clock_gettime64(self, clk: int, ts: int, *_: int) -> int:
        return self._clock_gettime(clk, ts, wide=True)

    def _clock_getres(self, clk: int, res: int, wide: bool) -> int:
        ns = round(time.clock_getres(s32(clk)) * _NS)
        return self._put_timespec(res, ns, wide) if res else 0

    def sys_clock_getres(self, clk: int, res: int, *_: int) -> int:
        return self._clock_getres(clk, res, wide=False)

    def sys_clock_getres_time64(self, clk: int, res: int, *_: int) -> int:
        return self._clock_getres(clk, res, wide=True)

    def sys_gettimeofday(self, tv: int, tz: int, *_: int) -> int:
        if tv:
            self.mem.write(tv, self.layout.timeval32(time.time_ns()))
        if tz:
            self.mem.write(tz, bytes(8))    # minuteswest = dsttime = 0, as Linux reports
        return 0

    def sys_time(self, tloc: int, *_: int) -> int:
        now = time.time_ns() // _NS
        if tloc:
            self.mem.write_u32(tloc, now)
        return now

    def sys_times(self, buf: int, *_: int) -> int:
        t = os.times()
        if buf:
            self.mem.write(buf, self.layout.tms(
                [int(v * CLK_TCK) for v in (t.user, t.system, t.children_user,
                                            t.children_system)]))
        return int(t.elapsed * CLK_TCK) & 0xFFFFFFFF

    def sys_clock_settime(self, *_: int) -> int:
        return -errno.EPERM

    sys_settimeofday = sys_clock_settime64 = sys_clock_settime

    # -- sleeping -----------------------------------------------------------------
    def sys_nanosleep(self, req: int, rem: int, *_: int) -> int:
        left = self.sleep_timespec(req, False, CLOCK_MONOTONIC, absolute=False)
        if not left:
            return 0
        if rem:
            self._put_timespec(rem, left, False)
        return -errno.EINTR

    def _clock_nanosleep(self, clk: int, flags: int, req: int, rem: int, wide: bool) -> int:
        if clk not in _SLEEP_CLOCKS:
            return -errno.EINVAL
        absolute = bool(flags & TIMER_ABSTIME)
        left = self.sleep_timespec(req, wide, clk, absolute)
        if not left:
            return 0
        if rem and not absolute:
            self._put_timespec(rem, left, wide)
        return -errno.EINTR

    def sys_clock_nanosleep(self, clk: int, flags: int, req: int, rem: int, *_: int) -> int:
        return self._clock_nanosleep(clk, flags, req, rem, wide=False)

    def sys_clock_nanosleep_time64(self, clk: int, flags: int, req: int, rem: int,
                                   *_: int) -> int:
        return self._clock_nanosleep(clk, flags, req, rem, wide=True)

    # -- interval timers ----------------------------------------------------------
    def sys_alarm(self, seconds: int, *_: int) -> int:
        self._started(signal.ITIMER_REAL)
        return signal.alarm(seconds)

    def _put_itimerval(self, addr: int, value: float, interval: float) -> None:
        self.mem.write(addr, self.layout.itimerval(round(interval * _US), round(value * _US)))

    def sys_setitimer(self, which: int, new: int, old: int, *_: int) -> int:
        if s32(which) not in ITIMERS:
            return -errno.EINVAL
        value = interval = 0.0
        if new:   # (a NULL new value disarms the timer, as Linux still allows)
            (isec, iusec), (vsec, vusec) = self.layout.itimerval_unpack(
                self.mem.read(new, 16))
            if min(isec, vsec) < 0 or not (0 <= iusec < _US and 0 <= vusec < _US):
                return -errno.EINVAL
            value, interval = vsec + vusec / _US, isec + iusec / _US
        self._started(which)
        prev = signal.setitimer(which, value, interval)
        if old:
            self._put_itimerval(old, *prev)
        return 0

    def sys_getitimer(self, which: int, cur: int, *_: int) -> int:
        if s32(which) not in ITIMERS:
            return -errno.EINVAL
        self._put_itimerval(cur, *signal.getitimer(which))
        return 0
