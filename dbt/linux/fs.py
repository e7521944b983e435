"""File, directory and descriptor syscalls.  Guest descriptors are host descriptors and
guest paths are host paths, so most calls decode their arguments and call `os`."""

from __future__ import annotations

import errno
import fcntl
import os
import struct
import termios

from dbt.linux import host, terminal
from dbt.linux.base import SyscallBase, s32
from dbt.memory import PROT_WRITE

O_WRONLY, O_CREAT, O_TRUNC, O_CLOEXEC = 0o1, 0o100, 0o1000, 0o2000000
AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW = 0x100, 0x200, 0x400
AT_NO_AUTOMOUNT, AT_EMPTY_PATH = 0x800, 0x1000
IOV_MAX = 1024
O_NONBLOCK = 0o4000
SEEK_MAX = 4    # SEEK_HOLE
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL = 0, 1, 2, 3, 4
F_GETLK, F_SETLK, F_SETLKW = 5, 6, 7
F_GETLK64, F_SETLK64, F_SETLKW64 = 12, 13, 14
F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38
F_DUPFD_CLOEXEC = 1030
# fcntl commands whose argument and result are plain ints, numbered alike on every arch.
_FCNTL_INT = frozenset({8, 9, 10, 11, 1024, 1025, 1026, 1031, 1032, 1033, 1034})
_HOST_FLOCK = struct.Struct("<hh4xqqi4x")
_HOST_TIMESPECS = struct.Struct("<qqqq")


class FileSyscalls(SyscallBase):
    def host_path(self, p: bytes) -> bytes:
        """Paths naming the running program mean the guest program, not the translator."""
        if p in (b"/proc/self/exe", f"/proc/{os.getpid()}/exe".encode()):
            return os.fsencode(self.machine.image.path)
        return p

    # -- data transfer ------------------------------------------------------------
    def sys_read(self, fd: int, buf: int, count: int, *_: int) -> int:
        n = self.writable_prefix(buf, count)
        if count and not n:
            return -errno.EFAULT
        data = os.read(self.fd(fd), n)
        self.mem.write(buf, data)
        return len(data)

    def sys_write(self, fd: int, buf: int, count: int, *_: int) -> int:
        return os.write(self.fd(fd), self.mem.read(buf, count))

    def _iovecs(self, iov: int, cnt: int) -> list[tuple[int, int]]:
        if cnt > IOV_MAX:
            raise OSError(errno.EINVAL, "iovcnt")
        return self.layout.iovecs(self.mem.read(iov, 8 * cnt))

    def _scatter(self, vecs: list[tuple[int, int]], data: bytes) -> None:
        pos = 0
        for base, length in vecs:
            if pos >= len(data):
                break
            self.mem.write(base, data[pos:pos + length])
            pos += length

    def _readable_vecs(self, vecs: list[tuple[int, int]]) -> list[bytearray]:
        for base, length in vecs:
            self.mem.check(base, length, PROT_WRITE)
        return [bytearray(length) for _, length in vecs]

    def sys_readv(self, fd: int, iov: int, cnt: int, *_: int) -> int:
        vecs = self._iovecs(iov, cnt)
        bufs = self._readable_vecs(vecs)
        n = os.readv(self.fd(fd), bufs)
        self._scatter(vecs, b"".join(bufs)[:n])
        return n

    def sys_writev(self, fd: int, iov: int, cnt: int, *_: int) -> int:
        vecs = self._iovecs(iov, cnt)
        return os.writev(self.fd(fd), [self.mem.read(b, n) for b, n in vecs])

    def sys_pread64(self, fd: int, buf: int, count: int, _pad: int, lo: int, hi: int,
                    *_: int) -> int:
        n = self.writable_prefix(buf, count)
        if count and not n:
            return -errno.EFAULT
        data = os.pread(self.fd(fd), n, self.pair64(lo, hi))
        self.mem.write(buf, data)
        return len(data)

    def sys_pwrite64(self, fd: int, buf: int, count: int, _pad: int, lo: int, hi: int,
                     *_: int) -> int:
        return os.pwrite(self.fd(fd), self.mem.read(buf, count), self.pair64(lo, hi))

    def sys_preadv(self, fd: int, iov: int, cnt: int, pos_l: int, pos_h: int, *_: int) -> int:
        vecs = self._iovecs(iov, cnt)
        bufs = self._readable_vecs(vecs)
        n = os.preadv(self.fd(fd), bufs, pos_h << 32 | pos_l)
        self._scatter(vecs, b"".join(bufs)[:n])
        return n

    def sys_pwritev(self, fd: int, iov: int, cnt: int, pos_l: int, pos_h: int, *_: int) -> int:
        vecs = self._iovecs(iov, cnt)
        return os.pwritev(self.fd(fd), [self.mem.read(b, n) for b, n in vecs], pos_h << 32 | pos_l)

    def sys_lseek(self, fd: int, offset: int, whence: int, *_: int) -> int:
        if whence > SEEK_MAX:
            return -errno.EINVAL
        r = os.lseek(self.fd(fd), s32(offset), whence)
        return -errno.EOVERFLOW if r > 0x7FFFFFFF else r

    def sys__llseek(self, fd: int, hi: int, lo: int, result: int, whence: int, *_: int) -> int:
        if whence > SEEK_MAX:
            return -errno.EINVAL
        offset = hi << 32 | lo
        r = os.lseek(self.fd(fd), offset - (1 << 64) if offset >> 63 else offset, whence)
        self.mem.write_u64(result, r)
        return 0

    # -- opening and closing ------------------------------------------------------
    def _open(self, dirfd: int | None, path: int, flags: int, mode: int) -> int:
        p = self.host_path(self.path(path))
        fd = os.open(p, self.layout.open_flags_to_host(flags), mode & 0o7777, dir_fd=dirfd)
        if not flags & O_CLOEXEC:
            os.set_inheritable(fd, True)    # Python sets O_CLOEXEC on every fd it opens
        return fd

    def sys_open(self, path: int, flags: int, mode: int, *_: int) -> int:
        return self._open(None, path, flags, mode)

    def sys_openat(self, dirfd: int, path: int, flags: int, mode: int, *_: int) -> int:
        return self._open(self.dirfd(dirfd), path, flags, mode)

    def sys_creat(self, path: int, mode: int, *_: int) -> int:
        return self._open(None, path, O_CREAT | O_WRONLY | O_TRUNC, mode)

    def sys_close(self, fd: int, *_: int) -> int:
        os.close(self.fd(fd))
        return 0

    def sys_dup(self, fd: int, *_: int) -> int:
        return fcntl.fcntl(self.fd(fd), F_DUPFD, 0)

    def sys_dup2(self, old: int, new: int, *_: int) -> int:
        if old == new:
            os.fstat(self.fd(old))
            return self.fd(new)
        return os.dup2(self.fd(old), self.fd(new), inheritable=True)

    def sys_dup3(self, old: int, new: int, flags: int, *_: int) -> int:
        if flags & ~O_CLOEXEC or old == new:
            return -errno.EINVAL
        return os.dup2(self.fd(old), self.fd(new), inheritable=not flags & O_CLOEXEC)

    def sys_pipe(self, fds: int, *_: int) -> int:
        return self.sys_pipe2(fds, 0)

    def sys_pipe2(self, fds: int, flags: int, *_: int) -> int:
        if flags & ~(O_CLOEXEC | O_NONBLOCK | self.layout.o_direct):
            return -errno.EINVAL
        self.mem.check(fds, 8, PROT_WRITE)
        r, w = os.pipe2(self.layout.open_flags_to_host(flags))
        self.mem.write(fds, self.layout.i32s([r, w]))
        return 0

    def sys_fcntl64(self, fd: int, cmd: int, arg: int, *_: int) -> int:
        fd = self.fd(fd)
        if cmd in (F_DUPFD, F_DUPFD_CLOEXEC, F_SETFD) or cmd in _FCNTL_INT:
            return fcntl.fcntl(fd, cmd, s32(arg))
        if cmd == F_GETFD:
            return fcntl.fcntl(fd, F_GETFD)
        if cmd == F_GETFL:
            return self.layout.open_flags_from_host(fcntl.fcntl(fd, F_GETFL))
        if cmd == F_SETFL:
            return fcntl.fcntl(fd, F_SETFL, self.layout.open_flags_to_host(arg))
        if cmd in (F_GETLK, F_SETLK, F_SETLKW):
            return self._lock(fd, cmd, cmd, arg, wide=False)
        if cmd in (F_GETLK64, F_SETLK64, F_SETLKW64):
            return self._lock(fd, cmd, cmd - F_GETLK64 + F_GETLK, arg, wide=True)
        if cmd in (F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW):
            return self._lock(fd, cmd, cmd, arg, wide=True)
        return -errno.EINVAL

    sys_fcntl = sys_fcntl64

    def _lock(self, fd: int, cmd: int, host_cmd: int, arg: int, wide: bool) -> int:
        lay = self.layout
        size = lay.flock64_size if wide else lay.flock32_size
        fields = (lay.flock64_unpack if wide else lay.flock32_unpack)(self.mem.read(arg, size))
        out = _HOST_FLOCK.unpack(fcntl.fcntl(fd, host_cmd, _HOST_FLOCK.pack(*fields)))
        if cmd in (F_GETLK, F_GETLK64, F_OFD_GETLK):
            if not wide and not all(-(1 << 31) <= v < 1 << 31 for v in out[2:4]):
                return -errno.EOVERFLOW
            self.mem.write(arg, (lay.flock64 if wide else lay.flock32)(*out))
        return 0

    def sys_ioctl(self, fd: int, request: int, arg: int, *_: int) -> int:
        fd = self.fd(fd)
        lay = self.layout
        os.fstat(fd)    # EBADF before ENOTTY
        if request == lay.TCGETS:
            host_t = fcntl.ioctl(fd, termios.TCGETS, bytes(terminal.HOST_TERMIOS_SIZE))
            self.mem.write(arg, terminal.host_to_guest(host_t, self.family, self.mem.big_endian))
            return 0
        if request in (lay.TCSETS, lay.TCSETSW, lay.TCSETSF):
            host_req = (termios.TCSETS, termios.TCSETSW, termios.TCSETSF)[
                (lay.TCSETS, lay.TCSETSW, lay.TCSETSF).index(request)]
            guest_t = self.mem.read(arg, lay.termios_size)
            fcntl.ioctl(fd, host_req, terminal.guest_to_host(guest_t, self.family,
                                                             self.mem.big_endian))
            return 0
        if request == lay.TIOCGWINSZ:
            self.mem.write(arg, lay.winsize(fcntl.ioctl(fd, termios.TIOCGWINSZ, bytes(8))))
            return 0
        if request == lay.TIOCSWINSZ:
            fcntl.ioctl(fd, termios.TIOCSWINSZ, lay.winsize_to_host(self.mem.read(arg, 8)))
            return 0
        if request in (lay.FIONREAD, lay.TIOCGPGRP):
            host_req = termios.FIONREAD if request == lay.FIONREAD else termios.TIOCGPGRP
            value = struct.unpack("<i", fcntl.ioctl(fd, host_req, bytes(4)))[0]
            self.put_i32(arg, value)
            return 0
        return -errno.ENOTTY

    # -- metadata -----------------------------------------------------------------
    def _put_stat(self, buf: int, st: os.stat_result) -> int:
        self.mem.write(buf, self.layout.stat64(st))
        return 0

    def sys_stat64(self, path: int, buf: int, *_: int) -> int:
        return self._put_stat(buf, os.stat(self.host_path(self.path(path))))

    def sys_lstat64(self, path: int, buf: int, *_: int) -> int:
        return self._put_stat(buf, os.stat(self.host_path(self.path(path)),
                                           follow_symlinks=False))

    def sys_fstat64(self, fd: int, buf: int, *_: int) -> int:
        return self._put_stat(buf, os.fstat(self.fd(fd)))

    def sys_fstatat64(self, dirfd: int, path: int, buf: int, flags: int, *_: int) -> int:
        if flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH):
            return -errno.EINVAL
        p = self.host_path(self.path(path))
        d = self.dirfd(dirfd)
        if not p:
            if not flags & AT_EMPTY_PATH:
                return -errno.ENOENT
            return self._put_stat(buf, os.stat(".") if d is None else os.fstat(d))
        return self._put_stat(buf, os.stat(p, dir_fd=d,
                                           follow_symlinks=not flags & AT_SYMLINK_NOFOLLOW))

    def sys_statx(self, dirfd: int, path: int, flags: int, mask: int, buf: int, *_: int) -> int:
        p = b"" if path == 0 and flags & AT_EMPTY_PATH else self.host_path(self.path(path))
        self.mem.check(buf, host.STATX_SIZE, PROT_WRITE)
        self.mem.write(buf, self.layout.statx(host.statx(s32(dirfd), p, flags, mask)))
        return 0

    def sys_access(self, path: int, mode: int, *_: int) -> int:
        host.faccessat2(-100, self.host_path(self.path(path)), mode, 0)
        return 0

    def sys_faccessat(self, dirfd: int, path: int, mode: int, *_: int) -> int:
        return self.sys_faccessat2(dirfd, path, mode, 0)

    def sys_faccessat2(self, dirfd: int, path: int, mode: int, flags: int, *_: int) -> int:
        host.faccessat2(s32(dirfd), self.host_path(self.path(path)), mode, flags)
        return 0

    def _readlink(self, dirfd: int | None, path: int, buf: int, size: int) -> int:
        if s32(size) <= 0:
            return -errno.EINVAL
        p = self.path(path)
        mapped = self.host_path(p)
        target = mapped if mapped != p else os.readlink(p, dir_fd=dirfd)
        data = target[:size]
        self.mem.write(buf, data)
        return len(data)

    def sys_readlink(self, path: int, buf: int, size: int, *_: int) -> int:
        return self._readlink(None, path, buf, size)

    def sys_readlinkat(self, dirfd: int, path: int, buf: int, size: int, *_: int) -> int:
        return self._readlink(self.dirfd(dirfd), path, buf, size)

    def sys_getdents64(self, fd: int, dirp: int, count: int, *_: int) -> int:
        n = self.writable_prefix(dirp, count)
        if count and not n:
            return -errno.EFAULT
        data = host.getdents64(self.fd(fd), n)
        self.mem.write(dirp, self.layout.dirents64(data))
        return len(data)

    def _statfs(self, size: int, buf: int, fs: host.StatFs) -> int:
        if size != self.layout.statfs64_size:
            return -errno.EINVAL
        self.mem.write(buf, self.layout.statfs64(
            fs.f_type, fs.f_bsize, (fs.f_blocks, fs.f_bfree, fs.f_bavail, fs.f_files, fs.f_ffree),
            (fs.f_fsid[0], fs.f_fsid[1]), fs.f_namelen, fs.f_frsize, fs.f_flags))
        return 0

    def sys_statfs64(self, path: int, size: int, buf: int, *_: int) -> int:
        return self._statfs(size, buf, host.statfs(self.path(path)))

    def sys_fstatfs64(self, fd: int, size: int, buf: int, *_: int) -> int:
        return self._statfs(size, buf, host.fstatfs(self.fd(fd)))

    def _utimensat(self, dirfd: int, path: int, times: int, flags: int, wide: bool) -> int:
        ts = None
        if times:
            lay = self.layout
            if wide:
                a, b = lay.timespec64_unpack(self.mem.read(times, 16)), \
                    lay.timespec64_unpack(self.mem.read(times + 16, 16))
            else:
                a, b = lay.timespec32_unpack(self.mem.read(times, 8)), \
                    lay.timespec32_unpack(self.mem.read(times + 8, 8))
            ts = _HOST_TIMESPECS.pack(*a, *b)
        host.utimensat(s32(dirfd), self.path(path) if path else None, ts, flags)
        return 0

    def sys_utimensat(self, dirfd: int, path: int, times: int, flags: int, *_: int) -> int:
        return self._utimensat(dirfd, path, times, flags, wide=False)

    def sys_utimensat_time64(self, dirfd: int, path: int, times: int, flags: int,
                             *_: int) -> int:
        return self._utimensat(dirfd, path, times, flags, wide=True)

    # -- directory entries --------------------------------------------------------
    def sys_unlink(self, path: int, *_: int) -> int:
        os.unlink(self.path(path))
        return 0

    def sys_unlinkat(self, dirfd: int, path: int, flags: int, *_: int) -> int:
        if flags & ~AT_REMOVEDIR:
            return -errno.EINVAL
        remove = os.rmdir if flags & AT_REMOVEDIR else os.unlink
        remove(self.path(path), dir_fd=self.dirfd(dirfd))
        return 0

    def sys_mkdir(self, path: int, mode: int, *_: int) -> int:
        os.mkdir(self.path(path), mode & 0o7777)
        return 0

    def sys_mkdirat(self, dirfd: int, path: int, mode: int, *_: int) -> int:
        os.mkdir(self.path(path), mode & 0o7777, dir_fd=self.dirfd(dirfd))
        return 0

    def sys_rmdir(self, path: int, *_: int) -> int:
        os.rmdir(self.path(path))
        return 0

    def sys_rename(self, old: int, new: int, *_: int) -> int:
        os.rename(self.path(old), self.path(new))
        return 0

    def sys_renameat(self, olddir: int, old: int, newdir: int, new: int, *_: int) -> int:
        os.rename(self.path(old), self.path(new), src_dir_fd=self.dirfd(olddir),
                  dst_dir_fd=self.dirfd(newdir))
        return 0

    def sys_renameat2(self, olddir: int, old: int, newdir: int, new: int, flags: int,
                      *_: int) -> int:
        host.renameat2(s32(olddir), self.path(old), s32(newdir), self.path(new), flags)
        return 0

    def sys_link(self, old: int, new: int, *_: int) -> int:
        os.link(self.path(old), self.path(new), follow_symlinks=False)
        return 0

    def sys_linkat(self, olddir: int, old: int, newdir: int, new: int, flags: int,
                   *_: int) -> int:
        os.link(self.path(old), self.path(new), src_dir_fd=self.dirfd(olddir),
                dst_dir_fd=self.dirfd(newdir), follow_symlinks=bool(flags & AT_SYMLINK_FOLLOW))
        return 0

    def sys_symlink(self, target: int, linkpath: int, *_: int) -> int:
        os.symlink(self.path(target), self.path(linkpath))
        return 0

    def sys_symlinkat(self, target: int, newdir: int, linkpath: int, *_: int) -> int:
        os.symlink(self.path(target), self.path(linkpath), dir_fd=self.dirfd(newdir))
        return 0

    def sys_chmod(self, path: int, mode: int, *_: int) -> int:
        os.chmod(self.path(path), mode & 0o7777)
        return 0

    def sys_fchmod(self, fd: int, mode: int, *_: int) -> int:
        os.chmod(self.fd(fd), mode & 0o7777)
        return 0

    def sys_fchmodat(self, dirfd: int, path: int, mode: int, *_: int) -> int:
        os.chmod(self.path(path), mode & 0o7777, dir_fd=self.dirfd(dirfd))
        return 0

    def _owner(self, v: int, wide: bool) -> int:
        """A uid/gid argument; -1 (or 0xffff for ARM's 16-bit calls) means "unchanged"."""
        if wide or self.family == "ppc":
            return s32(v)
        v &= 0xFFFF
        return -1 if v == 0xFFFF else v

    def sys_chown32(self, path: int, uid: int, gid: int, *_: int) -> int:
        os.chown(self.path(path), self._owner(uid, True), self._owner(gid, True))
        return 0

    def sys_lchown32(self, path: int, uid: int, gid: int, *_: int) -> int:
        os.chown(self.path(path), self._owner(uid, True), self._owner(gid, True),
                 follow_symlinks=False)
        return 0

    def sys_fchown32(self, fd: int, uid: int, gid: int, *_: int) -> int:
        os.chown(self.fd(fd), self._owner(uid, True), self._owner(gid, True))
        return 0

    def sys_chown(self, path: int, uid: int, gid: int, *_: int) -> int:
        os.chown(self.path(path), self._owner(uid, False), self._owner(gid, False))
        return 0

    def sys_lchown(self, path: int, uid: int, gid: int, *_: int) -> int:
        os.chown(self.path(path), self._owner(uid, False), self._owner(gid, False),
                 follow_symlinks=False)
        return 0

    def sys_fchown(self, fd: int, uid: int, gid: int, *_: int) -> int:
        os.chown(self.fd(fd), self._owner(uid, False), self._owner(gid, False))
        return 0

    def sys_fchownat(self, dirfd: int, path: int, uid: int, gid: int, flags: int,
                     *_: int) -> int:
        os.chown(self.path(path), self._owner(uid, True), self._owner(gid, True),
                 dir_fd=self.dirfd(dirfd), follow_symlinks=not flags & AT_SYMLINK_NOFOLLOW)
        return 0

    def sys_getcwd(self, buf: int, size: int, *_: int) -> int:
        cwd = os.getcwdb() + b"\0"
        if len(cwd) > size:
            return -errno.ERANGE
        self.mem.write(buf, cwd)
        return len(cwd)

    def sys_chdir(self, path: int, *_: int) -> int:
        os.chdir(self.path(path))
        return 0

    def sys_fchdir(self, fd: int, *_: int) -> int:
        os.fchdir(self.fd(fd))
        return 0

    def sys_umask(self, mask: int, *_: int) -> int:
        return os.umask(mask & 0o777)

    # -- sizes and syncing --------------------------------------------------------
    def sys_ftruncate(self, fd: int, length: int, *_: int) -> int:
        os.ftruncate(self.fd(fd), s32(length))
        return 0

    def sys_ftruncate64(self, fd: int, _pad: int, lo: int, hi: int, *_: int) -> int:
        os.ftruncate(self.fd(fd), self.pair64(lo, hi))
        return 0

    def sys_truncate(self, path: int, length: int, *_: int) -> int:
        os.truncate(self.path(path), s32(length))
        return 0

    def sys_truncate64(self, path: int, _pad: int, lo: int, hi: int, *_: int) -> int:
        os.truncate(self.path(path), self.pair64(lo, hi))
        return 0

    def sys_fsync(self, fd: int, *_: int) -> int:
        os.fsync(self.fd(fd))
        return 0

    def sys_fdatasync(self, fd: int, *_: int) -> int:
        os.fdatasync(self.fd(fd))
        return 0

    def sys_sync(self, *_: int) -> int:
        os.sync()
        return 0

    def sys_arm_fadvise64_64(self, fd: int, *_: int) -> int:
        os.fstat(self.fd(fd))   # advice only: nothing to do beyond checking the fd
        return 0

    sys_fadvise64_64 = sys_fadvise64 = sys_arm_fadvise64_64

    # -- waiting for descriptors --------------------------------------------------
    def _poll(self, fds: int, nfds: int, timeout_ms: int) -> int:
        if nfds > 65536:
            return -errno.EINVAL
        entries = self.layout.pollfds(self.mem.read(fds, 8 * nfds)) if nfds else []
        self.mem.check(fds, 8 * nfds, PROT_WRITE)
        n, revents = host.poll([(fd, ev) for fd, ev, _ in entries], timeout_ms)
        if nfds:
            self.mem.write(fds, self.layout.pollfd_pack(
                [(fd, ev, r) for (fd, ev, _), r in zip(entries, revents)]))
        return n

    def sys_poll(self, fds: int, nfds: int, timeout: int, *_: int) -> int:
        return self._poll(fds, nfds, s32(timeout))

    def _ppoll_timeout(self, tsp: int, wide: bool) -> int:
        if not tsp:
            return -1
        lay = self.layout
        sec, nsec = (lay.timespec64_unpack(self.mem.read(tsp, 16)) if wide
                     else lay.timespec32_unpack(self.mem.read(tsp, 8)))
        if sec < 0 or not 0 <= nsec < 1_000_000_000:
            raise OSError(errno.EINVAL, "timeout")
        return min(sec * 1000 + (nsec + 999_999) // 1_000_000, 0x7FFFFFFF)

    def sys_ppoll(self, fds: int, nfds: int, tsp: int, *_: int) -> int:
        return self._poll(fds, nfds, self._ppoll_timeout(tsp, wide=False))

    def sys_ppoll_time64(self, fds: int, nfds: int, tsp: int, *_: int) -> int:
        return self._poll(fds, nfds, self._ppoll_timeout(tsp, wide=True))
