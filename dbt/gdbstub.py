"""GDB remote stub (`dbt run --gdb PORT`, like `qemu-arm -g PORT`): serves the GDB
remote serial protocol on one TCP connection from loopback and drives the Machine
through its debugger hooks.

The guest stops before its first instruction.  Breakpoints are Machine stops (the
block at a stop address is a SIGTRAP trap in every tier; native code around it is
invalidated); single-step runs one interpreted one-instruction block (`Machine.step`).
Packets: qSupported, QStartNoAckMode, qXfer:features:read (the frontend's target
XML), ?, g/G, p/P, m/M/X, Z0/z0 (and Z1/z1, the same here), c/C/s/S, vCont (c, C, s,
S), qAttached, qC, qfThreadInfo, H, T, qOffsets, k/vKill, D.  Stop replies: T05 for a
breakpoint or step, T0b for a guest SIGSEGV, ...; the guest's exit is W, death by a
signal X.  ^C in gdb (a 0x03 byte while the guest runs) stops it with SIGINT at the
next block boundary: a thread watching the connection pokes the Machine (native code
returns to the dispatch loop), and the loop asks `poll` for the stop.  With
--max-insns, reaching the limit (also by single-steps) ends the guest: gdb sees an exit
with dbt's limit status.  Not supported: watchpoints.

What a frontend provides (see dbt.arch.Arch): gdb_target_xml, gdb_registers,
gdb_get_register, gdb_set_register, and big_endian for the byte order."""

from __future__ import annotations

import os
import select
import socket
import sys
import threading
from typing import TYPE_CHECKING

from dbt.arch import UnsupportedInstruction
from dbt.engine import InsnLimit
from dbt.linux import GuestExit, GuestSignal
from dbt.memory import GuestFault

if TYPE_CHECKING:
    from dbt.engine import Machine

SIGINT, SIGKILL, SIGTRAP, SIGILL, SIGSEGV = 2, 9, 5, 4, 11
PACKET_SIZE = 0x4000


class _Killed(Exception):
    """gdb sent `k`: end the guest now."""


class _Detached(Exception):
    """gdb detached or went away: the guest runs on undebugged."""


class GdbStub:
    def __init__(self, machine: Machine, port: int, host: str = "127.0.0.1",
                 log=None) -> None:
        if not hasattr(machine.arch, "gdb_registers"):
            raise ValueError(f"the {machine.arch.name} frontend does not describe its "
                             "registers for gdb yet")
        self.m = machine
        self.log = log
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((host, port))
        self.server.listen(1)
        self.port = self.server.getsockname()[1]
        self.conn: socket.socket | None = None
        self.buf = b""
        self.ack = True
        self.last_stop = SIGTRAP
        self.order = "big" if machine.arch.big_endian else "little"
        self.regs = {n: (name, bits) for n, name, bits in machine.arch.gdb_registers()}
        self.interrupted = threading.Event()
        self.watcher: threading.Thread | None = None
        self._wake = os.pipe()

    # -- top level ------------------------------------------------------------------
    def run(self) -> int:
        """Wait for gdb, then run the guest under its control; returns the exit status."""
        print(f"dbt: waiting for gdb on {self.server.getsockname()[0]}:{self.port}",
              file=sys.stderr, flush=True)
        self.conn, _ = self.server.accept()
        self.server.close()
        self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.m.debugger = self
        try:
            try:
                signo = self._serve(SIGTRAP)
            except _Detached:
                signo = 0
            if signo:
                self.killed(signo)
                return 128 + signo
            self._watch()
            return self.m.run()
        except GuestExit as e:  # the guest exited while gdb single-stepped it
            self.exited(e.status & 0xFF)
            return e.status & 0xFF
        except InsnLimit as e:  # a single-step was one instruction too many
            return self.m.insn_limit_reached(e)
        except _Killed:
            self._close()
            return 128 + SIGKILL

    # -- Machine.debugger callbacks ---------------------------------------------------
    def stopped(self, signo: int) -> int:
        """The guest took `signo` (SIGTRAP at a breakpoint): report it and serve gdb
        until it resumes; returns the signal to deliver (0: none)."""
        self._unwatch()
        self._send(self._stop_reply(signo))
        try:
            signo = self._serve(signo)
        except _Detached:
            return 0
        self._watch()
        return signo

    def exited(self, status: int) -> None:
        self._unwatch()
        self._send(f"W{status:02x}")
        self._close()

    def killed(self, signo: int) -> None:
        self._unwatch()
        self._send(f"X{signo:02x}")
        self._close()

    def poll(self) -> int:
        """The dispatch loop was poked: SIGINT after a ^C from gdb (0: not ours)."""
        if self.interrupted.is_set():
            self.interrupted.clear()
            return SIGINT
        return 0

    # -- running: ^C ----------------------------------------------------------------
    def _watch(self) -> None:
        """While the guest runs, a thread watches the connection for ^C."""
        if self.conn is None or self.watcher is not None:
            return
        self.watcher = threading.Thread(target=self._watcher, name="dbt-gdb-watch",
                                        daemon=True)
        self.watcher.start()

    def _unwatch(self) -> None:
        if self.watcher is not None:
            os.write(self._wake[1], b"x")
            self.watcher.join()
            os.read(self._wake[0], 1)
            self.watcher = None

    def _watcher(self) -> None:
        conn = self.conn
        while True:
            ready, _, _ = select.select([conn, self._wake[0]], [], [])
            if self._wake[0] in ready:
                return
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            if not data:  # gdb went away: the guest runs on; `_recv` sees the EOF
                return
            if b"\x03" in data:
                data = data.replace(b"\x03", b"")
                self.interrupted.set()
                self.m.poke()
            self.buf += data

    # -- protocol -----------------------------------------------------------------
    def _serve(self, signo: int) -> int:
        self.last_stop = signo
        while True:
            pkt = self._recv()
            if pkt is None:
                self._detach()
            try:
                reply, resume = self._handle(pkt)
            except (ValueError, IndexError, StopIteration):  # a malformed packet
                reply, resume = "E01", None
            if resume is not None:
                return resume
            if reply is not None:
                self._send(reply)

    def _handle(self, pkt: str) -> tuple[str | None, int | None]:
        """One packet -> (reply, None), or (None, signal) to resume with that signal."""
        m = self.m
        cmd = pkt[:1]
        if pkt.startswith("qSupported"):
            return (f"PacketSize={PACKET_SIZE:x};qXfer:features:read+;QStartNoAckMode+;"
                    "vContSupported+"), None
        if pkt == "QStartNoAckMode":
            self._send("OK")
            self.ack = False
            return None, None
        if pkt.startswith("qXfer:features:read:"):
            annex, _, span = pkt[len("qXfer:features:read:"):].rpartition(":")
            doc = m.arch.gdb_target_xml().get(annex)
            if doc is None:
                return "E00", None
            off, length = (int(x, 16) for x in span.split(","))
            data = doc.encode()[off:off + length]
            return ("l" if off + length >= len(doc.encode()) else "m") + _escape(data), None
        if pkt == "?":
            return self._stop_reply(self.last_stop), None
        if pkt == "qAttached":
            return "1", None
        if pkt == "qC":
            return "QC1", None
        if pkt == "qfThreadInfo":
            return "m1", None
        if pkt == "qsThreadInfo":
            return "l", None
        if pkt == "qOffsets":
            bias = m.image.load_bias if getattr(m, "image", None) is not None else 0
            return f"Text={bias:x};Data={bias:x};Bss={bias:x}", None
        if cmd == "H" or cmd == "T":
            return "OK", None
        if cmd == "g":
            return "".join(self._reg_hex(n) for n in self.regs), None
        if cmd == "G":
            data = bytes.fromhex(pkt[1:])
            off = 0
            for n, (_, bits) in self.regs.items():
                if off + bits // 8 > len(data):
                    break
                self._set_reg(n, data[off:off + bits // 8])
                off += bits // 8
            return "OK", None
        if cmd == "p":
            n = int(pkt[1:], 16)
            return (self._reg_hex(n) if n in self.regs else "E00"), None
        if cmd == "P":
            n, _, val = pkt[1:].partition("=")
            if int(n, 16) not in self.regs:
                return "E00", None
            self._set_reg(int(n, 16), bytes.fromhex(val))
            return "OK", None
        if cmd == "m":
            addr, length = (int(x, 16) for x in pkt[1:].split(","))
            if not length or not m.mem.is_mapped(addr, length) or addr + length > 1 << 32:
                return "E14", None
            return m.mem.peek(addr, length).hex(), None
        if cmd in ("M", "X"):
            head, _, body = pkt[1:].partition(":")
            addr, length = (int(x, 16) for x in head.split(","))
            data = bytes.fromhex(body) if cmd == "M" else _unescape(body.encode("latin-1"))
            if length and (not m.mem.is_mapped(addr, length) or addr + length > 1 << 32):
                return "E14", None
            m.mem.poke(addr, data[:length])
            return "OK", None
        if cmd in ("Z", "z") and pkt[1:2] in ("0", "1"):
            addr = int(pkt[3:].split(",")[0], 16)
            (m.add_stop if cmd == "Z" else m.remove_stop)(addr)
            return "OK", None
        if pkt == "vCont?":
            return "vCont;c;C;s;S", None
        if pkt.startswith("vCont;"):
            # One thread: the first action is the one for it.
            action = pkt[6:].split(";")[0].split(":")[0]
            return self._resume(action[0], action[1:], "")
        if cmd in ("c", "s"):
            return self._resume(cmd, "", pkt[1:])
        if cmd in ("C", "S"):
            sig, _, addr = pkt[1:].partition(";")
            return self._resume(cmd.lower(), sig, addr)
        if pkt == "k" or pkt.startswith("vKill"):
            if pkt.startswith("vKill"):
                self._send("OK")
            raise _Killed()
        if cmd == "D":
            self._send("OK")
            self._detach()
        return "", None

    def _resume(self, how: str, sig: str, addr: str) -> tuple[str | None, int | None]:
        how = how.lower()
        if addr:
            self.m.key = self.m.arch.gdb_set_register(
                self.m.state, self.m.key, self._pc_regnum(), int(addr, 16))
        signo = int(sig, 16) if sig else 0
        if how == "c":
            return None, signo
        # A step with a pending signal would run its handler; the guest has none, so
        # delivering it ends the guest as continuing would.
        if signo:
            return None, signo
        self.last_stop = self._step()
        return self._stop_reply(self.last_stop), None

    def _step(self) -> int:
        m = self.m
        try:
            m.step()
        except GuestFault as e:
            m.stop_at_fault(e)
            return SIGSEGV
        except GuestSignal as e:
            return e.signo
        except UnsupportedInstruction as e:
            print(f"dbt: {e}", file=m.err)
            return SIGILL
        return SIGTRAP

    def _pc_regnum(self) -> int:
        return next(n for n, (name, _) in self.regs.items() if name == "pc")

    def _stop_reply(self, signo: int) -> str:
        return f"T{signo:02x}thread:1;"

    def _reg_hex(self, n: int) -> str:
        bits = self.regs[n][1]
        v = self.m.arch.gdb_get_register(self.m.state, self.m.key, n)
        return (v & ((1 << bits) - 1)).to_bytes(bits // 8, self.order).hex()

    def _set_reg(self, n: int, raw: bytes) -> None:
        self.m.key = self.m.arch.gdb_set_register(self.m.state, self.m.key, n,
                                                  int.from_bytes(raw, self.order))

    def _detach(self) -> None:
        for pc in list(self.m.stops):
            self.m.remove_stop(pc)
        self.m.debugger = None
        self._close()
        raise _Detached()

    # -- packets ------------------------------------------------------------------
    def _recv(self) -> str | None:
        """The next packet's payload (acknowledged), None when gdb has gone."""
        while True:
            start = self.buf.find(b"$")
            if start >= 0:
                end = self.buf.find(b"#", start)
                if end >= 0 and len(self.buf) >= end + 3:
                    body = self.buf[start + 1:end]
                    csum = self.buf[end + 1:end + 3]
                    self.buf = self.buf[end + 3:]
                    if self.ack:
                        try:
                            ok = int(csum, 16) == sum(body) & 0xFF
                        except ValueError:
                            ok = False
                        self.conn.sendall(b"+" if ok else b"-")
                        if not ok:
                            continue
                    if self.log:
                        print(f"gdb> {body.decode('latin-1')}", file=self.log)
                    return body.decode("latin-1")
            else:
                self.buf = b""  # acks and ^C between packets
            try:
                data = self.conn.recv(65536) if self.conn is not None else b""
            except OSError:
                data = b""
            if not data:
                return None
            self.buf += data

    def _send(self, payload: str) -> None:
        if self.conn is None:
            return
        if self.log:
            print(f"gdb< {payload}", file=self.log)
        body = payload.encode("latin-1")
        try:
            self.conn.sendall(b"$" + body + b"#%02x" % (sum(body) & 0xFF))
        except OSError:
            self.conn = None

    def _close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None


def _escape(data: bytes) -> str:
    """Binary data in a reply: '#', '$', '}' and '*' escaped as '}' + (byte ^ 0x20)."""
    out = bytearray()
    for b in data:
        if b in b"#$}*":
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return out.decode("latin-1")


def _unescape(data: bytes) -> bytes:
    out = bytearray()
    it = iter(data)
    for b in it:
        out.append(next(it) ^ 0x20 if b == 0x7D else b)
    return bytes(out)
