"""The GDB stub (`dbt run --gdb PORT`) driven by the real gdb-multiarch in batch mode,
in every tier: breakpoints, continue, registers, stepi, memory, register writes and
the guest's exit or death as gdb reports them."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dbt.arch import ARCHES
from dbt.engine import available_tiers, supported_arches

ROOT = Path(__file__).resolve().parent.parent
BINS = ROOT / "testbins" / "bin"
BIN = BINS / "armel"
# arch -> (gdb's name for it, the register holding main's argc)
GDB_ARCH = {"armel": ("arm", "r0"), "ppc": ("powerpc:common", "r3")}
TIERS = available_tiers()
GDB = shutil.which("gdb-multiarch")

pytestmark = pytest.mark.skipif(GDB is None, reason="gdb-multiarch is not installed "
                                "(apt-get install gdb-multiarch)")


def symbols(path):
    from elftools.elf.elffile import ELFFile
    with open(path, "rb") as f:
        return {s.name: s["st_value"] for s in ELFFile(f).get_section_by_name(".symtab")
                .iter_symbols() if s.name}


def text_words(path, addr, n, big_endian=False):
    """n words of the program file at virtual address addr."""
    from elftools.elf.elffile import ELFFile
    with open(path, "rb") as f:
        for seg in ELFFile(f).iter_segments():
            start, size = seg["p_vaddr"], seg["p_filesz"]
            if seg["p_type"] == "PT_LOAD" and start <= addr < start + size:
                data = seg.data()[addr - seg["p_vaddr"]:][:4 * n]
                order = "big" if big_endian else "little"
                return [int.from_bytes(data[i:i + 4], order) for i in range(0, 4 * n, 4)]
    raise AssertionError(f"{addr:#x} not in the file")


def gdb_ready(arch):
    return arch in supported_arches() and hasattr(ARCHES[arch].factory(), "gdb_registers")


def debug(program, tier, commands, args=(), gdb_arch="arm", options=()):
    """Run `program` under `dbt --gdb 0` (and `options`) and gdb-multiarch with
    `commands`; returns (gdb output, dbt's exit status, dbt's stdout)."""
    dbt = subprocess.Popen([sys.executable, "-m", "dbt", "run", "--tier", tier, "--gdb", "0",
                            *options, str(program), *args], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = dbt.stderr.readline().decode()
        m = re.match(r"dbt: waiting for gdb on 127\.0\.0\.1:(\d+)$", line.strip())
        assert m, line
        cmd = [GDB, "-batch", "-nx", "-ex", f"set architecture {gdb_arch}",
               "-ex", f"file {program}",
               "-ex", f"target remote 127.0.0.1:{m.group(1)}"]
        for c in commands:
            cmd += ["-ex", c]
        g = subprocess.run(cmd, capture_output=True, timeout=240, cwd=ROOT, check=False)
        out, _ = dbt.communicate(timeout=240)
    finally:
        if dbt.poll() is None:
            dbt.kill()
            dbt.wait()
    return g.stdout.decode() + g.stderr.decode(), dbt.returncode, out


def reg(out, name):
    """Values of `info registers` lines for `name`, in order."""
    return [int(v, 16) for v in re.findall(rf"^{name} +0x([0-9a-f]+)", out, re.MULTILINE)]


@pytest.mark.parametrize("arch", sorted(GDB_ARCH))
@pytest.mark.parametrize("tier", TIERS)
def test_c_program(arch, tier):
    if not gdb_ready(arch):
        pytest.skip(f"the {arch} frontend has no gdb register description yet")
    gdb_arch, argc = GDB_ARCH[arch]
    prog = BINS / arch / "exit42"
    main = symbols(prog)["main"]
    out, status, stdout = debug(prog, tier, [
        f"break *{main:#x}", "continue", "info registers", "stepi", "stepi", "stepi",
        "info registers pc", "x/4xw main", "continue"], gdb_arch=gdb_arch)
    assert f"Breakpoint 1 at {main:#x}" in out
    assert f"Breakpoint 1, {main:#010x} in main ()" in out
    assert reg(out, "pc") == [main, main + 12]
    assert reg(out, argc) == [1]
    if arch == "armel":
        assert reg(out, "cpsr")[0] & 0x1F == 0x10         # user mode
        assert reg(out, "sp")[0] % 8 == 0 and reg(out, "sp")[0] > 0xB0000000
    words = re.search(rf"{main:#x} <main>:\s+(.*)", out).group(1).split()
    assert [int(w, 16) for w in words] == text_words(prog, main, 4, arch == "ppc")
    assert "[Inferior 1 (Remote target) exited with code 052]" in out
    assert status == 42 and stdout == b"about to exit with 42\n"


@pytest.mark.parametrize("tier", TIERS)
def test_breakpoints_in_hot_code_and_register_writes(tier):
    # loop_count runs its loop 1000 times (natively in the jit and auto tiers), stops
    # at `done`, is sent back into the loop for 3 more iterations with a breakpoint in
    # it, then exits with a status gdb set.
    prog = BIN / "loop_count"
    sym = symbols(prog)
    out, status, _ = debug(prog, tier, [
        "stepi", "stepi", "info registers r1 pc",
        "x/2xw $pc", "set {int}($sp - 4) = 0x12345678", "x/1xw $sp - 4",
        "break *{:#x}".format(sym["done"]), "continue", "info registers r0 r1",
        f"set $pc = {sym['loop']:#x}", "set $r1 = 3", "break *{:#x}".format(sym["mid"]), "continue",
        "info registers r0 r1", "continue", "info registers r1", "delete 2", "continue",
        "info registers r0", "set $r0 = 5", "continue"])
    assert f"{sym['_start']:#010x} in _start ()" in out
    assert reg(out, "pc")[0] == sym["loop"]
    assert reg(out, "r1") == [1000, 0, 3, 2]
    assert reg(out, "r0") == [3000, 3003, 3009]
    pc_words = re.search(rf"{sym['loop']:#x} <loop>:\s+(.*)", out).group(1).split()
    assert [int(w, 16) for w in pc_words] == text_words(prog, sym["loop"], 2)
    assert re.search(r"^0x[0-9a-f]{8}:\t0x12345678$", out, re.MULTILINE)  # written, read back
    assert out.count(f"Breakpoint 1, {sym['done']:#010x} in done ()") == 2
    assert out.count(f"Breakpoint 2, {sym['mid']:#010x} in mid ()") == 2
    assert "[Inferior 1 (Remote target) exited with code 05]" in out
    assert status == 5


@pytest.mark.parametrize("arch", sorted(GDB_ARCH))
@pytest.mark.parametrize("tier", TIERS)
def test_guest_sigsegv(arch, tier):
    if not gdb_ready(arch):
        pytest.skip(f"the {arch} frontend has no gdb register description yet")
    prog = BINS / arch / "segv"
    out, status, _ = debug(prog, tier, ["continue", "info registers pc", "continue"],
                           gdb_arch=GDB_ARCH[arch][0])
    assert "Program received signal SIGSEGV, Segmentation fault." in out
    assert "Program terminated with signal SIGSEGV, Segmentation fault." in out
    assert status == 128 + 11


def test_kill_and_detach():
    prog = BIN / "exit42"
    out, status, stdout = debug(prog, "interp", ["break main", "continue", "kill"])
    assert "Breakpoint 1," in out and stdout == b""
    assert status == 128 + 9
    out, status, stdout = debug(prog, "interp", ["break main", "continue", "detach"])
    assert "[Inferior 1 (Remote target) detached]" in out
    assert status == 42 and stdout == b"about to exit with 42\n"


class Raw:
    """A bare GDB remote protocol client, for packets gdb itself seldom sends."""

    def __init__(self, program, tier="interp"):
        import socket
        self.dbt = subprocess.Popen([sys.executable, "-m", "dbt", "run", "--tier", tier,
                                     "--gdb", "0", str(program)], cwd=ROOT,
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
        port = int(self.dbt.stderr.readline().split(b":")[-1])
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""

    def _read(self, n=1):
        while len(self.buf) < n:
            data = self.s.recv(65536)
            assert data, "connection closed"
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def raw(self, frame):
        """Send bytes as they are; return the ack byte."""
        self.s.sendall(frame)
        return self._read()

    def ask(self, payload, reply=True):
        body = payload.encode("latin-1") if isinstance(payload, str) else payload
        assert self.raw(b"$%s#%02x" % (body, sum(body) & 0xFF)) == b"+"
        if not reply:
            return None
        assert self._read() == b"$"
        data = b""
        while not data.endswith(b"#"):
            data += self._read()
        csum = self._read(2)
        data = data[:-1]
        assert int(csum, 16) == sum(data) & 0xFF
        self.s.sendall(b"+")
        return data.decode("latin-1")

    def finish(self):
        out, _ = self.dbt.communicate(timeout=120)
        return self.dbt.returncode, out


def test_protocol_packets():
    prog = BIN / "loop_count"
    sym = symbols(prog)
    c = Raw(prog)
    assert "qXfer:features:read+" in c.ask("qSupported:multiprocess+;swbreak+")
    assert c.ask("?") == "T05thread:1;"
    assert c.ask("qAttached") == "1" and c.ask("vCont?") == "vCont;c;C;s;S"
    xml = c.ask("qXfer:features:read:target.xml:0,fff")
    assert xml[0] == "l" and '<feature name="org.gnu.gdb.arm.core">' in xml
    assert c.ask("qXfer:features:read:target.xml:0,10")[0] == "m"   # more to come
    assert c.ask("qXfer:features:read:nosuch.xml:0,10").startswith("E")
    regs = c.ask("g")
    assert len(regs) == 17 * 8                     # r0-r15, cpsr
    assert int.from_bytes(bytes.fromhex(regs[15 * 8:16 * 8]), "little") == sym["_start"]
    assert c.raw(b"$g#00") == b"-"                  # bad checksum: NAK
    # G: set r1 = 0x11223344, everything else as it was; p reads it back (little-endian)
    new = regs[:8] + "44332211" + regs[16:]
    assert c.ask("G" + new) == "OK" and c.ask("p1") == "44332211"
    assert c.ask("p19") == regs[16 * 8:]            # cpsr is gdb register 25
    assert c.ask("P0=05000000") == "OK" and c.ask("p0") == "05000000"
    assert c.ask("p40").startswith("E")
    # memory: M (hex), X (binary, with escapes), m; unmapped -> error
    sp = int.from_bytes(bytes.fromhex(regs[13 * 8:14 * 8]), "little")
    assert c.ask(f"M{sp - 8:x},4:deadbeef") == "OK"
    assert c.ask(b"X%x,4:\x01}\x03}\x04}\x5d" % (sp - 4)) == "OK"  # 01 # $ } escaped
    assert c.ask(f"m{sp - 8:x},8") == "deadbeef0123247d"
    assert c.ask("Mzz").startswith("E")             # malformed: an error, not a crash
    assert c.ask("m0,4").startswith("E")
    # step twice (s, vCont;s), then run to a breakpoint with vCont;c
    assert c.ask("s") == "T05thread:1;"
    assert c.ask("vCont;s:1") == "T05thread:1;"
    pc = int.from_bytes(bytes.fromhex(c.ask("p f")), "little")
    assert pc == sym["loop"]
    assert c.ask("p1") == "e8030000"               # mov r1, #1000 ran
    assert c.ask("P0=05000000") == "OK"
    assert c.ask(f"Z0,{sym['done']:x},4") == "OK"
    assert c.ask("vCont;c") == "T05thread:1;"
    assert int.from_bytes(bytes.fromhex(c.ask("p f")), "little") == sym["done"]
    assert c.ask(f"z0,{sym['done']:x},4") == "OK"
    # r0 was set to 5 at the loop: 5 + 3 * 1000 = 3005 = 0xbbd; exit(0xbd)
    assert c.ask("p0") == "bd0b0000"
    assert c.ask("c") == "W" + f"{0xbd:02x}"
    assert c.finish() == (0xBD, b"")


@pytest.mark.parametrize("tier", TIERS)
def test_max_insns_ends_the_debugged_guest(tier):
    """--max-insns counts single-steps and continued runs alike; reaching it is an exit
    with status 124 (0174) for gdb.  loop_count: 2 + 1000 * 4 + 3 instructions."""
    prog = BIN / "loop_count"
    out, status, _ = debug(prog, tier, ["stepi 3", "info registers r0 r1", "continue"],
                           options=("--max-insns", "1003"))
    assert reg(out, "r0") == [3] and reg(out, "r1") == [1000]  # mov, ldr, add
    assert "exited with code 0174" in out, out
    assert status == 124
    out, status, _ = debug(prog, tier, ["stepi 5"], options=("--max-insns", "3"))
    assert "exited with code 0174" in out, out
    assert status == 124


@pytest.mark.parametrize("tier", TIERS)
def test_interrupt_running_guest(tier):
    # ^C (a 0x03 byte) while the guest runs: spin loops forever, in native code in the
    # jit and auto tiers.  (gdb's own `interrupt` cannot be scripted in batch mode: it
    # does not process the stop before the next command.)
    import time
    prog = BIN / "spin"
    sym = symbols(prog)
    c = Raw(prog, tier)
    for _ in range(2):
        c.s.sendall(b"$c#63")
        assert c._read() == b"+"
        time.sleep(1)
        c.s.sendall(b"\x03")
        assert c._read() == b"$"
        reply = b""
        while not reply.endswith(b"#"):
            reply += c._read()
        c._read(2)
        c.s.sendall(b"+")
        assert reply == b"T02thread:1;#"
        pc = int.from_bytes(bytes.fromhex(c.ask("p f")), "little")
        assert sym["spin"] <= pc <= sym["spin"] + 4
        assert int.from_bytes(bytes.fromhex(c.ask("p0")), "little") > 1000
    c.ask("k", reply=False)
    assert c.finish() == (128 + 9, b"")


@pytest.mark.parametrize("tier", TIERS)
def test_gdb_ctrl_c(tier):
    """^C in gdb (SIGINT to the gdb process, as a terminal sends it) stops the spinning
    guest; gdb drives dbt through its machine interface here, so the test knows when
    the guest is running."""
    import signal
    import time
    prog = BIN / "spin"
    sym = symbols(prog)
    dbt = subprocess.Popen([sys.executable, "-m", "dbt", "run", "--tier", tier, "--gdb", "0",
                            str(prog)], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    g = subprocess.Popen([GDB, "-nx", "-q", "--interpreter=mi2"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        port = int(dbt.stderr.readline().split(b":")[-1])

        def mi(command, until):
            if command:
                g.stdin.write(command + "\n")
                g.stdin.flush()
            out = ""
            while not re.search(until, out, re.MULTILINE):
                line = g.stdout.readline()
                assert line, out
                out += line
            return out

        mi(f"-file-exec-and-symbols {prog}", r"^\^done")
        mi(f"-target-select remote 127.0.0.1:{port}", r"^\^connected")
        mi("-exec-continue", r"^\*running")
        time.sleep(1)
        g.send_signal(signal.SIGINT)
        out = mi("", r"^\*stopped")
        assert 'reason="signal-received",signal-name="SIGINT"' in out
        assert 'func="spin"' in out
        out = mi("-data-list-register-values x 0 15", r"^\^done")
        r0, pc = (int(v, 16) for v in re.findall(r'value="(0x[0-9a-f]+)"', out))
        assert r0 > 1000 and sym["spin"] <= pc <= sym["spin"] + 4
        mi("kill", r"^\^done")
        g.stdin.write("-gdb-exit\n")
        g.stdin.flush()
        assert dbt.wait(timeout=60) == 128 + 9
    finally:
        for p in (g, dbt):
            if p.poll() is None:
                p.kill()
                p.wait()
