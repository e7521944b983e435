"""Persistent translation cache: what one run translated, reused by the next run of the
same program, so start-up does not pay again for decoding, lifting and compiling.

One file per (guest program, architecture) under the cache directory, named by a hash of
the program file's bytes.  It holds, per guest block (pc, ISA mode): the block's guest
bytes, its IR in compact form and the interpreter's code object for it; and, per
native region, the host object code keyed by a hash of the region's LLVM IR text (which
contains no host addresses, so equal text means interchangeable code).

Nothing stale is ever used:
- the file records a hash of dbt's own sources, the Python version and llvmlite's; any
  difference and the file is ignored (then overwritten);
- a cached block is used only if the guest bytes it was lifted from are, byte for byte,
  in executable guest memory now (so self-modifying or run-time generated code is simply
  lifted afresh).  A block never spans pages, and a shorter block than a fresh lift
  would give is still exact (it ends with a jump to the next instruction).
Blocks lifted around breakpoints or for single steps never enter the cache.

Files are written whole to a temporary name and renamed, so concurrent runs never see a
torn file (the last writer wins).  The directory is trimmed to `MAX_BYTES`, least
recently used files first."""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from pathlib import Path

from dbt.ir import PackedBlock, pack_body

FORMAT = 1
MAX_BYTES = 512 << 20
# Native objects a file keeps beyond those the saving run used: runs with other
# arguments or environments may compile regions in another order (other text), and
# their variants should not pile up without bound.
MAX_NATIVE_BYTES = 64 << 20
SUFFIX = ".dbtc"


def default_dir() -> Path | None:
    """$DBT_CACHE_DIR, else $XDG_CACHE_HOME/dbt, else ~/.cache/dbt (None: no home)."""
    env = os.environ.get("DBT_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "dbt"
    home = os.path.expanduser("~")
    if home == "~" or not home:
        return None
    return Path(home) / ".cache" / "dbt"


_code_version: str | None = None


def code_version() -> str:
    """A stamp of everything that decides what a translation looks like: dbt's sources
    (core, frontends, backends: path, size and modification time of each, so any edit
    starts a fresh cache) and the Python version (code objects).  Native objects are
    further keyed by LLVM's version and target (`native_key`)."""
    global _code_version
    if _code_version is None:
        h = hashlib.blake2b(digest_size=16)
        h.update(f"{FORMAT} {sys.version} {sys.implementation.cache_tag}".encode())
        import dbt.backends
        import dbt.frontends
        roots = [Path(__file__).parent, *map(Path, dbt.frontends.__path__),
                 *map(Path, dbt.backends.__path__)]
        for root in roots:
            for p in sorted(root.rglob("*.py")):
                st = p.stat()
                h.update(f"{p} {st.st_size} {st.st_mtime_ns}\n".encode())
        _code_version = h.hexdigest()
    return _code_version


class PersistentCache:
    def __init__(self, directory: Path, program: str, arch: str) -> None:
        self.directory = Path(directory)
        with open(program, "rb") as f:
            digest = hashlib.file_digest(f, "blake2b").hexdigest()[:32]
        self.path = self.directory / f"{arch}-{digest}{SUFFIX}"
        self.version = code_version()
        self.blocks: dict[tuple[int, int], tuple] = {}   # as loaded
        self.native: dict[str, bytes] = {}
        self.new_blocks: dict[tuple[int, int], list] = {}  # [block, bytes, code artifact]
        self.new_native: dict[str, bytes] = {}
        self.native_used: set[str] = set()
        # For --stats: what this run took from the file, and what it added.
        self.blocks_reused = 0
        self.native_reused = 0
        self.error: str | None = None
        self._load()

    def _load(self) -> None:
        try:
            data = marshal.loads(self.path.read_bytes())
        except FileNotFoundError:
            return
        except (OSError, ValueError, EOFError, TypeError) as e:
            self.error = f"unreadable, ignored: {e}"
            return
        if not (isinstance(data, dict) and data.get("version") == self.version):
            return  # another dbt (or Python) wrote it: start afresh
        self.blocks = data["blocks"]
        self.native = data["native"]
        try:
            os.utime(self.path)  # recently used: trimmed last
        except OSError:
            pass

    # -- blocks -------------------------------------------------------------------
    def lookup(self, pc: int, mode: int, mem) -> PackedBlock | None:
        """The cached block at (pc, mode) if its guest bytes are there and executable."""
        e = self.blocks.get((pc, mode))
        if e is None:
            return None
        data, insns, ntemps, ir, code = e
        end = pc + len(data)
        if not mem.perm[pc >> 12] & 4 or (end - 1) >> 12 != pc >> 12:
            return None
        if mem.mm[pc:end] != data:
            return None
        self.blocks_reused += 1
        return PackedBlock(pc, mode, insns, ntemps, ir, code)

    def remember(self, block, mem) -> None:
        """A block just lifted from guest memory (its bytes are read now)."""
        end = block.end
        if end <= block.pc or (end - 1) >> 12 != block.pc >> 12:
            return
        self.new_blocks[(block.pc, block.mode)] = [block, mem.mm[block.pc:end], None]

    def set_artifact(self, block, artifact: bytes) -> None:
        """The interpreter's code for a block (marshalled) -- one lifted this run, or one
        loaded without code (a --tier jit run stored only its IR)."""
        where = (block.pc, block.mode)
        e = self.new_blocks.get(where)
        if e is not None and e[0] is block:
            e[2] = artifact
        elif isinstance(block, PackedBlock) and where in self.blocks:
            self.new_blocks[where] = [block, self.blocks[where][0], artifact]

    # -- native code --------------------------------------------------------------
    @staticmethod
    def native_key(text: str, level: int, target: str) -> str:
        """The key of a region's object code: its LLVM IR text, the optimisation level
        and `target` (LLVM version, triple, CPU: whatever else shapes the code)."""
        h = hashlib.blake2b(f"{level}\n{target}\n".encode(), digest_size=20)
        h.update(text.encode())
        return h.hexdigest()

    def native_get(self, key: str) -> bytes | None:
        obj = self.new_native.get(key) or self.native.get(key)
        if obj is not None:
            self.native_reused += 1
            self.native_used.add(key)
        return obj

    def native_put(self, key: str, obj: bytes) -> None:
        self.new_native[key] = obj

    # -- saving -------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return bool(self.new_native or self.new_blocks)

    def save(self) -> None:
        """Write what this run added (a no-op when it added nothing).  Errors are
        reported once on `self.error` and otherwise ignored: the cache is an aid."""
        if not self.dirty:
            return
        blocks = dict(self.blocks)
        for (pc, mode), (block, data, code) in self.new_blocks.items():
            old = blocks.get((pc, mode))
            if code is None and old is not None and old[0] == data:
                continue  # the same block: keep the code an earlier run stored
            blocks[(pc, mode)] = (data, tuple(block.insns), block.ntemps,
                                  marshal.dumps(pack_body(block.body)), code)
        native = {**self.native, **self.new_native}
        if sum(map(len, native.values())) > MAX_NATIVE_BYTES:
            native = {k: v for k, v in native.items()
                      if k in self.new_native or k in self.native_used}
        payload = marshal.dumps({"version": self.version, "blocks": blocks,
                                 "native": native})
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(payload)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
            trim(self.directory, MAX_BYTES, keep=self.path)
        except OSError as e:
            self.error = f"not saved: {e}"


def trim(directory: Path, limit: int, keep: Path | None = None) -> None:
    """Delete the least recently used cache files until the directory holds <= limit
    bytes (never `keep`, the file just written)."""
    files = []
    for p in directory.glob(f"*{SUFFIX}"):
        try:
            st = p.stat()
        except OSError:
            continue
        files.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in files)
    for _, size, p in sorted(files):
        if total <= limit:
            break
        if p == keep:
            continue
        try:
            p.unlink()
            total -= size
        except OSError:
            pass
