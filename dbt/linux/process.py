"""Process syscalls: identity, exit, fork/wait, signal state, resource limits, system
information, futexes and other small single-threaded process services.

The guest is one host process with one thread: its pid and tid are the host pid.
Signal actions, the mask and pending signals are kept here.  A signal is ignored, left
pending while blocked, queued for its guest handler (the engine enters the handler with
an arch signal frame once the current syscall, fault or block is done), or ends the
guest with GuestSignal.  Signals come from the guest itself (kill, tgkill, raise), from
faults and traps (the engine), or from the host: for a signal the guest catches, dbt
catches the host's (dbt.linux.hostsig) and it arrives here through `arrived`.

Blocking: pause and sigsuspend wait for a signal and return -EINTR after its handler;
nanosleep, clock_nanosleep and futex waits are cut short with -EINTR too.  Other
blocking host calls (read, wait4, poll, ...) are restarted by Python after a host
signal, so for them every guest handler behaves as if installed with SA_RESTART: the
handler runs when the call returns.  Standard and real-time signals alike are one
pending bit each (a second instance of a pending signal is merged, not queued)."""

from __future__ import annotations

import errno
import os
import resource
import sys
import time

from dbt.linux import GuestExit, GuestSignal, host, hostsig
from dbt.linux.base import SyscallBase, s32
from dbt.linux.signals import CORE_SIGNALS

NSIG = 64
SIG_DFL, SIG_IGN = 0, 1
SIGKILL, SIGSTOP = 9, 19
# Default action "ignore"; the stop signals are treated the same (no job control here).
_DEFAULT_IGNORED = frozenset({17, 18, 23, 28, 19, 20, 21, 22})
_UNBLOCKABLE = 1 << (SIGKILL - 1) | 1 << (SIGSTOP - 1)
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
SA_NODEFER, SA_RESETHAND = 0x40000000, 0x80000000
SI_USER, SI_KERNEL, SI_TKILL = 0, 0x80, -6
SIGALRM, SIGVTALRM, SIGPROF = 14, 26, 27
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31
MINSIGSTKSZ = 2048

RLIM32_INFINITY = 0xFFFFFFFF
RLIM64_INFINITY = (1 << 64) - 1
RLIMIT_STACK = 3
GUEST_STACK_LIMIT = 8 << 20     # the loader maps an 8 MiB stack

FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = 0, 1, 3, 4, 5
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 9, 10
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256

PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 2, 3, 4
PR_SET_NAME, PR_GET_NAME = 15, 16

CLONE_VM, CLONE_THREAD = 0x100, 0x10000
CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID = 0x100000, 0x200000, 0x1000000


def _bit(sig: int) -> int:
    return 1 << (sig - 1)


class ProcessSyscalls(SyscallBase):
    def __init__(self, machine) -> None:
        super().__init__(machine)
        # signo -> (handler, flags, restorer, mask) as the guest gave them.
        self.sigactions: dict[int, tuple[int, int, int, int]] = {}
        self.sigmask = 0
        self.sigpending = 0
        self.altstack = (0, SS_DISABLE, 0)
        self.clear_child_tid = 0
        self.rlimits: dict[int, tuple[int, int]] = {}
        self.comm = os.path.basename(os.fsencode(machine.image.path))[:15]
        self.pending_code: dict[int, int] = {}  # si_code of a pending signal, if not SI_TKILL
        # Signals to run guest handlers for, as (signo, si_code, address): the engine
        # enters them when the current syscall or fault is done.
        self.queued: list[tuple[int, int, int]] = []
        # Host signals caught for the guest, appended by the host handler: only the
        # engine's own code moves them into sigpending (`take_arrived`).
        self.arrived: list[int] = []
        # sigsuspend: the mask to restore after the handler (its frame saves this one).
        self.suspended_mask: int | None = None

    # -- identity -----------------------------------------------------------------
    def sys_getpid(self, *_: int) -> int:
        return os.getpid()

    sys_gettid = sys_getpid

    def sys_getppid(self, *_: int) -> int:
        return os.getppid()

    def _id(self, v: int) -> int:
        """ARM's getuid/getgid family are the old 16-bit calls (PowerPC's are 32-bit)."""
        if self.family == "arm":
            return v if v <= 0xFFFF else 65534     # the kernel's overflowuid
        return v

    def sys_getuid(self, *_: int) -> int:
        return self._id(os.getuid())

    def sys_geteuid(self, *_: int) -> int:
        return self._id(os.geteuid())

    def sys_getgid(self, *_: int) -> int:
        return self._id(os.getgid())

    def sys_getegid(self, *_: int) -> int:
        return self._id(os.getegid())

    def sys_getuid32(self, *_: int) -> int:
        return os.getuid()

    def sys_geteuid32(self, *_: int) -> int:
        return os.geteuid()

    def sys_getgid32(self, *_: int) -> int:
        return os.getgid()

    def sys_getegid32(self, *_: int) -> int:
        return os.getegid()

    def _put_ids(self, addrs: tuple[int, ...], ids: tuple[int, ...], wide: bool) -> int:
        for addr, v in zip(addrs, ids):
            if wide or self.family == "ppc":
                self.mem.write_u32(addr, v)
            else:
                self.mem.write_u16(addr, self._id(v))
        return 0

    def sys_getresuid32(self, r: int, e: int, s: int, *_: int) -> int:
        return self._put_ids((r, e, s), os.getresuid(), wide=True)

    def sys_getresgid32(self, r: int, e: int, s: int, *_: int) -> int:
        return self._put_ids((r, e, s), os.getresgid(), wide=True)

    def sys_getresuid(self, r: int, e: int, s: int, *_: int) -> int:
        return self._put_ids((r, e, s), os.getresuid(), wide=False)

    def sys_getresgid(self, r: int, e: int, s: int, *_: int) -> int:
        return self._put_ids((r, e, s), os.getresgid(), wide=False)

    def _getgroups(self, size: int, lst: int, wide: bool) -> int:
        groups = os.getgroups()
        if size == 0:
            return len(groups)
        if s32(size) < len(groups):
            return -errno.EINVAL
        step = 4 if wide or self.family == "ppc" else 2
        self._put_ids(tuple(lst + step * i for i in range(len(groups))), tuple(groups), wide)
        return len(groups)

    def sys_getgroups32(self, size: int, lst: int, *_: int) -> int:
        return self._getgroups(size, lst, wide=True)

    def sys_getgroups(self, size: int, lst: int, *_: int) -> int:
        return self._getgroups(size, lst, wide=False)

    def sys_getpgrp(self, *_: int) -> int:
        return os.getpgrp()

    def sys_getpgid(self, pid: int, *_: int) -> int:
        return os.getpgid(s32(pid))

    def sys_getsid(self, pid: int, *_: int) -> int:
        return os.getsid(s32(pid))

    def sys_setpgid(self, pid: int, pgid: int, *_: int) -> int:
        os.setpgid(s32(pid), s32(pgid))
        return 0

    def sys_setsid(self, *_: int) -> int:
        return os.setsid()

    def sys_set_tid_address(self, tidptr: int, *_: int) -> int:
        self.clear_child_tid = tidptr
        return os.getpid()

    def sys_set_robust_list(self, *_: int) -> int:
        return 0

    # -- life and death -----------------------------------------------------------
    def sys_exit_group(self, status: int, *_: int) -> int:
        raise GuestExit(status & 0xFF)

    sys_exit = sys_exit_group   # single-threaded: the thread is the process

    def sys_fork(self, *_: int) -> int:
        """The whole translator forks, guest memory included (it is a private mapping)."""
        self.machine.err.flush()
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            hostsig.forked()
        return pid

    sys_vfork = sys_fork    # a vfork child only execs or exits, which a fork child may too

    def sys_clone(self, flags: int, stack: int, ptid: int, _tls: int, ctid: int,
                  *_: int) -> int:
        if flags & (CLONE_VM | CLONE_THREAD) or stack:
            return -errno.ENOSYS   # shared memory or a new stack need a second guest CPU
        pid = self.sys_fork()
        if pid == 0:
            if flags & CLONE_CHILD_SETTID:
                self.mem.write_u32(ctid, os.getpid())
            if flags & CLONE_CHILD_CLEARTID:
                self.clear_child_tid = ctid
        elif flags & CLONE_PARENT_SETTID:
            self.mem.write_u32(ptid, pid)
        return pid

    def sys_wait4(self, pid: int, status: int, options: int, rusage: int, *_: int) -> int:
        got, st, ru = os.wait4(s32(pid), options)
        if status and got:
            self.put_i32(status, st)
        if rusage and got:
            self._put_rusage(rusage, ru)
        return got

    # -- signals ------------------------------------------------------------------
    def sys_rt_sigaction(self, sig: int, act: int, oact: int, sigsetsize: int, *_: int) -> int:
        lay = self.layout
        if sigsetsize != 8 or not 1 <= sig <= NSIG or (act and sig in (SIGKILL, SIGSTOP)):
            return -errno.EINVAL
        new = lay.sigaction_unpack(self.mem.read(act, lay.sigaction_size)) if act else None
        old = self.sigactions.get(sig, (SIG_DFL, 0, 0, 0))
        if oact:
            self.mem.write(oact, lay.sigaction(*old))
        if new is not None:
            self.sigactions[sig] = new
            if new[0] == SIG_IGN or (new[0] == SIG_DFL and sig in _DEFAULT_IGNORED):
                self.sigpending &= ~_bit(sig)
            self.route(sig)
        return 0

    def route(self, sig: int) -> None:
        """Give the host's `sig` the guest's action: caught for a guest handler, ignored
        for SIG_IGN, dbt's own disposition for SIG_DFL (the host's default action is
        then what the guest's would be: death by the signal, or nothing).  The signal of
        an interval timer the guest started is caught even for SIG_DFL: the guest still
        dies of it, but through dbt's own exit (statistics, translation cache)."""
        if not hostsig.routable(sig):
            return
        handler = self.sigactions.get(sig, (SIG_DFL,))[0]
        if handler == SIG_IGN:
            hostsig.ignore(sig)
        elif handler != SIG_DFL or sig in self.timer_signals():
            hostsig.catch(sig)
        else:
            hostsig.restore(sig)

    def sys_rt_sigprocmask(self, how: int, nset: int, oset: int, sigsetsize: int,
                           *_: int) -> int:
        if sigsetsize != 8:
            return -errno.EINVAL
        new = self.layout.sigset_unpack(self.mem.read(nset, 8)) if nset else None
        if new is not None and how not in (SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK):
            return -errno.EINVAL
        if oset:
            self.mem.write(oset, self.layout.sigset(self.sigmask))
        if new is not None:
            mask = {SIG_BLOCK: self.sigmask | new, SIG_UNBLOCK: self.sigmask & ~new,
                    SIG_SETMASK: new}[how]
            self.sigmask = mask & ~_UNBLOCKABLE
            self._deliver_pending()
        return 0

    def sys_rt_sigpending(self, nset: int, sigsetsize: int, *_: int) -> int:
        if sigsetsize > 8:
            return -errno.EINVAL
        self.mem.write(nset, self.layout.sigset(self.sigpending & self.sigmask)[:sigsetsize])
        return 0

    def sys_sigaltstack(self, ss: int, old_ss: int, *_: int) -> int:
        lay = self.layout
        new = lay.stack_t_unpack(self.mem.read(ss, 12)) if ss else None
        if old_ss:
            self.mem.write(old_ss, lay.stack_t(*self.altstack))
        if new is not None:
            sp, flags, size = new
            mode = flags & ~SS_AUTODISARM
            if mode not in (0, SS_ONSTACK, SS_DISABLE):
                return -errno.EINVAL
            if mode == SS_DISABLE:
                self.altstack = (0, SS_DISABLE, 0)
            elif size < MINSIGSTKSZ:
                return -errno.ENOMEM
            else:
                self.altstack = (sp, flags & SS_AUTODISARM, size)
        return 0

    def _to_self(self, pid: int) -> bool:
        return pid in (0, os.getpid()) or pid == -os.getpgrp()

    def sys_kill(self, pid: int, sig: int, *_: int) -> int:
        pid = s32(pid)
        if not 0 <= sig <= NSIG:
            return -errno.EINVAL
        if self._to_self(pid):
            return self.signal_self(sig, SI_USER)
        if pid == -1:
            return 0    # "everyone but me": not something to do to the host from a guest
        os.kill(pid, sig)
        return 0

    def sys_tkill(self, tid: int, sig: int, *_: int) -> int:
        return self.sys_tgkill(os.getpid(), tid, sig)

    def sys_tgkill(self, tgid: int, tid: int, sig: int, *_: int) -> int:
        if not 0 <= sig <= NSIG or s32(tid) <= 0:
            return -errno.EINVAL
        if s32(tid) == os.getpid() and s32(tgid) in (os.getpid(), -1):
            return self.signal_self(sig)
        return -errno.ESRCH

    def signal_self(self, sig: int, code: int = SI_TKILL) -> int:
        """The guest sent itself `sig`: ignore it, leave it pending, or act on it."""
        if sig == 0:
            return 0
        if self.sigmask & _bit(sig):
            self._make_pending(sig, code)
            return 0
        self.deliver_signal(sig, code)
        return 0

    def _make_pending(self, sig: int, code: int) -> None:
        self.sigpending |= _bit(sig)
        if code != SI_TKILL:
            self.pending_code[sig] = code
        else:
            self.pending_code.pop(sig, None)

    def _deliver_pending(self) -> None:
        ready = self.sigpending & ~self.sigmask
        while ready:
            sig = (ready & -ready).bit_length()
            self.sigpending &= ~_bit(sig)
            self.deliver_signal(sig, self.pending_code.pop(sig, SI_TKILL))
            ready = self.sigpending & ~self.sigmask

    def take_arrived(self) -> None:
        """Make the host signals caught since the last call pending, and deliver what
        the mask lets through (queued for handlers; GuestSignal if one kills)."""
        while self.arrived:
            sig = self.arrived.pop(0)
            # The host's timers are the kernel's; anything else was sent by a process.
            self._make_pending(sig, SI_KERNEL if sig in (SIGALRM, SIGVTALRM, SIGPROF)
                               else SI_USER)
        self._deliver_pending()

    def wait_for_signal(self, timeout: float | None = None) -> bool:
        """Sleep until a signal runs a guest handler (it is queued) or ends the guest, or
        `timeout` seconds (None: no limit) pass; True if a signal came."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self.take_arrived()
            if self.queued:
                return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            hostsig.wait(left)

    def sys_pause(self, *_: int) -> int:
        self.wait_for_signal()
        return -errno.EINTR

    def _suspend(self, mask: int) -> int:
        """Wait with `mask` as the signal mask; the handler's frame saves (and its
        sigreturn restores) the mask from before."""
        saved = self.sigmask
        self.sigmask = mask & ~_UNBLOCKABLE
        self.wait_for_signal()
        self.suspended_mask = saved
        return -errno.EINTR

    def sys_rt_sigsuspend(self, mask: int, sigsetsize: int, *_: int) -> int:
        if sigsetsize != 8:
            return -errno.EINVAL
        return self._suspend(self.layout.sigset_unpack(self.mem.read(mask, 8)))

    def sys_sigsuspend(self, a: int, b: int, c: int, *_: int) -> int:
        """The old call: an old_sigset_t (signals 1-32) in the last argument, which is
        the third on ARM (restart, oldmask, mask) and the only one on PowerPC."""
        return self._suspend(c if self.family == "arm" else a)

    def deliver_signal(self, sig: int, code: int = SI_TKILL, addr: int = 0) -> None:
        handler = self.sigactions.get(sig, (SIG_DFL,))[0]
        if sig == SIGSTOP:
            return
        if sig != SIGKILL and (handler == SIG_IGN
                               or (handler == SIG_DFL and sig in _DEFAULT_IGNORED)):
            return
        if sig != SIGKILL and handler not in (SIG_DFL, SIG_IGN):
            self.queued.append((sig, code, addr))
            return
        raise GuestSignal(sig, core=sig in CORE_SIGNALS)

    def catches(self, sig: int) -> bool:
        """Whether a synchronous `sig` (fault, trap) would run a guest handler: Linux
        kills instead when the signal is blocked or ignored."""
        handler = self.sigactions.get(sig, (SIG_DFL,))[0]
        return handler not in (SIG_DFL, SIG_IGN) and not self.sigmask & _bit(sig)

    def enter_handler(self, sig: int, code: int, addr: int, resume: int) -> int:
        """Set the guest up to run its handler for `sig` (signal frame, registers,
        mask); returns the key to continue at."""
        act = self.sigactions[sig]
        handler, flags, restorer, mask = act
        old = self.sigmask
        if self.suspended_mask is not None:
            old, self.suspended_mask = self.suspended_mask, None
        self.sigmask |= mask & ~_UNBLOCKABLE
        if not flags & SA_NODEFER:
            self.sigmask |= _bit(sig)
        if flags & SA_RESETHAND:
            self.sigactions[sig] = (SIG_DFL, 0, 0, 0)
            self.route(sig)
        if self.strace is not None:
            self.strace.signal(sig, code, addr)
        return self.machine.arch.setup_signal_frame(self.machine, sig, act, code, addr, old,
                                            self.altstack, resume)

    def set_mask(self, mask: int) -> None:
        """sigreturn restored the mask: signals it unblocks are delivered now."""
        self.sigmask = mask & ~_UNBLOCKABLE
        self._deliver_pending()

    # -- limits and usage ---------------------------------------------------------
    def _rlimit(self, res: int) -> tuple[int, int]:
        """Current (soft, hard) as 64-bit values, RLIM64_INFINITY for unlimited."""
        if res in self.rlimits:
            return self.rlimits[res]
        if not 0 <= res < 16:
            raise OSError(errno.EINVAL, "resource")
        soft, hard = resource.getrlimit(res)
        soft, hard = (RLIM64_INFINITY if v == resource.RLIM_INFINITY else v
                      for v in (soft, hard))
        if res == RLIMIT_STACK:
            soft = min(soft, GUEST_STACK_LIMIT)
        return soft, hard

    def sys_ugetrlimit(self, res: int, rlim: int, *_: int) -> int:
        soft, hard = self._rlimit(res)
        self.mem.write(rlim, self.layout.rlimit32(min(soft, RLIM32_INFINITY),
                                                  min(hard, RLIM32_INFINITY)))
        return 0

    def sys_getrlimit(self, res: int, rlim: int, *_: int) -> int:
        """The old call: limits above 2^31-1 read as 0x7fffffff."""
        soft, hard = self._rlimit(res)
        self.mem.write(rlim, self.layout.rlimit32(min(soft, 0x7FFFFFFF), min(hard, 0x7FFFFFFF)))
        return 0

    def _set_rlimit(self, res: int, soft: int, hard: int) -> int:
        if not 0 <= res < 16 or soft > hard:
            return -errno.EINVAL
        # Kept for the guest only: applying them would constrain the translator too.
        self.rlimits[res] = (soft, hard)
        return 0

    def sys_setrlimit(self, res: int, rlim: int, *_: int) -> int:
        soft, hard = (RLIM64_INFINITY if v == RLIM32_INFINITY else v
                      for v in self.layout.rlimit32_unpack(self.mem.read(rlim, 8)))
        return self._set_rlimit(res, soft, hard)

    def sys_prlimit64(self, pid: int, res: int, new: int, old: int, *_: int) -> int:
        if pid and s32(pid) != os.getpid():
            return -errno.ESRCH
        lay = self.layout
        limits = lay.rlimit64_unpack(self.mem.read(new, 16)) if new else None
        if old:
            self.mem.write(old, lay.rlimit64(*self._rlimit(res)))
        return self._set_rlimit(res, *limits) if limits else 0

    def _put_rusage(self, addr: int, ru: resource.struct_rusage) -> None:
        longs = [ru.ru_maxrss, ru.ru_ixrss, ru.ru_idrss, ru.ru_isrss, ru.ru_minflt,
                 ru.ru_majflt, ru.ru_nswap, ru.ru_inblock, ru.ru_oublock, ru.ru_msgsnd,
                 ru.ru_msgrcv, ru.ru_nsignals, ru.ru_nvcsw, ru.ru_nivcsw]
        self.mem.write(addr, self.layout.rusage(round(ru.ru_utime * 1e9),
                                                round(ru.ru_stime * 1e9), longs))

    def sys_getrusage(self, who: int, usage: int, *_: int) -> int:
        which = {0: resource.RUSAGE_SELF, -1: resource.RUSAGE_CHILDREN,
                 1: resource.RUSAGE_THREAD}.get(s32(who))
        if which is None:
            return -errno.EINVAL
        self._put_rusage(usage, resource.getrusage(which))
        return 0

    # -- system information -------------------------------------------------------
    def sys_uname(self, buf: int, *_: int) -> int:
        u = os.uname()
        try:
            with open("/proc/sys/kernel/domainname", "rb") as f:
                domain = f.read().strip()
        except OSError:
            domain = b"(none)"
        fields = [u.sysname, u.nodename, u.release, u.version,
                  self.machine.arch.uname_machine]
        self.mem.write(buf, self.layout.utsname([f.encode() for f in fields] + [domain]))
        return 0

    def sys_sysinfo(self, info: int, *_: int) -> int:
        si = host.sysinfo()
        ram = [si.totalram, si.freeram, si.sharedram, si.bufferram, si.totalswap, si.freeswap]
        high = [si.totalhigh, si.freehigh]
        unit = si.mem_unit
        # 32-bit fields: count in bigger units until the largest fits.
        while max(ram + high) > 0xFFFFFFFF:
            ram = [v >> 1 for v in ram]
            high = [v >> 1 for v in high]
            unit <<= 1
        loads = tuple(min(v, 0xFFFFFFFF) for v in si.loads)
        self.mem.write(info, self.layout.sysinfo(si.uptime, loads, tuple(ram), si.procs,
                                                 (high[0], high[1]), unit))
        return 0

    def sys_sched_getaffinity(self, pid: int, size: int, mask: int, *_: int) -> int:
        """One CPU, as one 32-bit long of mask."""
        if size < 4 or size & 3:
            return -errno.EINVAL
        self.mem.write_u32(mask, 1)
        return 4

    def sys_sched_setaffinity(self, *_: int) -> int:
        return 0

    def sys_sched_yield(self, *_: int) -> int:
        return 0

    def sys_sched_getscheduler(self, *_: int) -> int:
        return 0    # SCHED_OTHER

    def sys_getcpu(self, cpu: int, node: int, *_: int) -> int:
        for addr in (cpu, node):
            if addr:
                self.mem.write_u32(addr, 0)
        return 0

    def sys_getrandom(self, buf: int, count: int, flags: int, *_: int) -> int:
        if flags & ~7:
            return -errno.EINVAL
        n = min(count, 1 << 25)
        self.mem.write(buf, os.urandom(n))
        return n

    def sys_prctl(self, option: int, arg2: int, *_: int) -> int:
        if option == PR_SET_NAME:
            self.comm = self.mem.read_cstr(arg2, 16)[:15]
            return 0
        if option == PR_GET_NAME:
            self.mem.write(arg2, self.comm.ljust(16, b"\0"))
            return 0
        if option == PR_GET_DUMPABLE:
            return 1
        if option in (PR_SET_DUMPABLE, PR_SET_PDEATHSIG):
            return 0
        if option == PR_GET_PDEATHSIG:
            self.put_i32(arg2, 0)
            return 0
        return -errno.EINVAL

    # -- futexes (one thread: nobody else can wake a waiter) -----------------------
    def _futex(self, uaddr: int, op: int, val: int, timeout: int, uaddr2: int, val3: int,
               wide: bool) -> int:
        cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
        if uaddr & 3:
            return -errno.EINVAL
        if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
            if self.mem.read_u32(uaddr) != val:
                return -errno.EAGAIN
            if not timeout:
                return -errno.EINVAL    # would sleep forever: a single-thread deadlock
            # The waiting itself is the timed sleep; FUTEX_WAIT's timeout is relative,
            # FUTEX_WAIT_BITSET's absolute on the monotonic (or realtime) clock.
            clock = 0 if cmd == FUTEX_WAIT_BITSET and op & FUTEX_CLOCK_REALTIME else 1
            if self.sleep_timespec(timeout, wide, clock, absolute=cmd == FUTEX_WAIT_BITSET):
                return -errno.EINTR
            return -errno.ETIMEDOUT
        if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET, FUTEX_REQUEUE):
            return 0
        if cmd == FUTEX_CMP_REQUEUE:
            return -errno.EAGAIN if self.mem.read_u32(uaddr) != val3 else 0
        if cmd == FUTEX_WAKE_OP:
            self._futex_op(uaddr2, val3)
            return 0
        return -errno.ENOSYS

    def _futex_op(self, uaddr2: int, encoded: int) -> None:
        """FUTEX_WAKE_OP's update of *uaddr2 (the comparison only decides whom to wake)."""
        op, oparg = encoded >> 28 & 7, encoded >> 12 & 0xFFF
        if encoded >> 28 & 8:
            oparg = 1 << (oparg & 31)
        elif oparg & 0x800:
            oparg -= 0x1000
        old = self.mem.read_u32(uaddr2)
        new = {0: oparg, 1: old + oparg, 2: old | oparg, 3: old & ~oparg,
               4: old ^ oparg}.get(op)
        if new is None:
            raise OSError(errno.ENOSYS, "futex op")
        self.mem.write_u32(uaddr2, new)

    def sys_futex(self, uaddr: int, op: int, val: int, timeout: int, uaddr2: int, val3: int,
                  *_: int) -> int:
        return self._futex(uaddr, op, val, timeout, uaddr2, val3, wide=False)

    def sys_futex_time64(self, uaddr: int, op: int, val: int, timeout: int, uaddr2: int,
                         val3: int, *_: int) -> int:
        return self._futex(uaddr, op, val, timeout, uaddr2, val3, wide=True)
