"""Terminal settings (struct termios for TCGETS/TCSETS*) between the host kernel's layout
and the guest's.

ARM uses the generic layout and bit values, the same as the x86-64 host: only the byte
order of the four flag words can differ.  PowerPC has its own bit values, its own c_cc
order, c_line after c_cc, and explicit input/output speeds (44 bytes)."""

from __future__ import annotations

import struct

HOST_TERMIOS_SIZE = 36
_HOST = struct.Struct("<IIIIB19s")
_PPC = struct.Struct(">IIII19sBII")

# (host bits, ppc bits) for each flag or multi-bit field value that differs.
_IFLAG = ((0x200, 0x1000), (0x400, 0x200), (0x1000, 0x400))            # IUCLC IXON IXOFF
_IFLAG_SAME = 0x1FF | 0x800 | 0x2000 | 0x4000
_OFLAG = ((0x2, 0x4), (0x4, 0x2),                                        # OLCUC ONLCR
          (0x100, 0x100), (0x2000, 0x8000), (0x4000, 0x10000), (0x8000, 0x4000))
_OFLAG_SAME = 0x1 | 0x8 | 0x10 | 0x20 | 0x40 | 0x80
# Multi-bit delay fields: (host mask, ppc mask, [(host value, ppc value)]).
_OFLAG_FIELDS = (
    (0x600, 0x3000, ((0x200, 0x1000), (0x400, 0x2000), (0x600, 0x3000))),     # CRDLY
    (0x1800, 0xC00, ((0x800, 0x400), (0x1000, 0x800), (0x1800, 0xC00))),      # TABDLY
)
_CFLAG = ((0x40, 0x400), (0x80, 0x800), (0x100, 0x1000), (0x200, 0x2000),  # CSTOPB..PARODD
          (0x400, 0x4000), (0x800, 0x8000))                                 # HUPCL CLOCAL
_CFLAG_SAME = 0xE0000000                                                    # ADDRB CMSPAR CRTSCTS
_LFLAG = ((0x1, 0x80), (0x2, 0x100), (0x4, 0x4000), (0x8, 0x8), (0x10, 0x2), (0x20, 0x4),
          (0x40, 0x10), (0x80, 0x80000000), (0x100, 0x400000), (0x200, 0x40), (0x400, 0x20),
          (0x800, 0x1), (0x1000, 0x800000), (0x4000, 0x20000000), (0x8000, 0x400),
          (0x10000, 0x10000000))
# c_cc index in the host (generic) array for each PowerPC index 0..16.
_PPC_CC_FROM_HOST = (0, 1, 2, 3, 4, 6, 11, 5, 16, 7, 14, 12, 10, 8, 9, 15, 13)
# Baud rates by PowerPC CBAUD code (0..0x1e); the host code is the same up to 15 and
# 0x1001.. (CBAUDEX) after that.
_BAUD = (0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400,
         57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000,
         2000000, 2500000, 3000000, 3500000, 4000000)


def _map_bits(v: int, pairs: tuple, same: int, forward: bool) -> int:
    out = v & same
    for h, p in pairs:
        src, dst = (h, p) if forward else (p, h)
        if v & src:
            out |= dst
    return out


def _host_baud_to_ppc(code: int) -> int:
    if code & 0x1000:
        return 0x1F if code == 0x1000 else 15 + (code & 0xF)   # BOTHER, B57600..
    return code


def _ppc_baud_to_host(code: int) -> int:
    if code == 0x1F:
        return 0x1000
    return 0x1000 | (code - 15) if 15 < code < 0x1F else code & 0xF


def host_to_guest(host: bytes, family: str, big_endian: bool) -> bytes:
    iflag, oflag, cflag, lflag, line, cc = _HOST.unpack(host)
    if family != "ppc":
        return struct.pack((">" if big_endian else "<") + "IIIIB19s",
                           iflag, oflag, cflag, lflag, line, cc)
    pi = _map_bits(iflag, _IFLAG, _IFLAG_SAME, True)
    po = _map_bits(oflag, _OFLAG, _OFLAG_SAME, True)
    for hmask, _pmask, values in _OFLAG_FIELDS:
        po |= dict(values).get(oflag & hmask, 0)
    ospeed_code = _host_baud_to_ppc(cflag & 0x100F)
    pc = _map_bits(cflag, _CFLAG, _CFLAG_SAME, True) | (cflag & 0x30) << 4 | ospeed_code
    ispeed_code = ospeed_code   # CIBAUD 0 means "same as output"
    if cflag >> 16 & 0x100F:
        ispeed_code = _host_baud_to_ppc(cflag >> 16 & 0x100F)
        pc |= ispeed_code << 16
    pl = _map_bits(lflag, _LFLAG, 0, True)
    pcc = bytes(cc[i] for i in _PPC_CC_FROM_HOST) + bytes(2)
    return _PPC.pack(pi, po, pc, pl, pcc, line, _BAUD[ispeed_code], _BAUD[ospeed_code])


def guest_to_host(guest: bytes, family: str, big_endian: bool) -> bytes:
    if family != "ppc":
        fields = struct.unpack((">" if big_endian else "<") + "IIIIB19s", guest)
        return _HOST.pack(*fields)
    pi, po, pc, pl, pcc, line, _ispeed, _ospeed = _PPC.unpack(guest)
    iflag = _map_bits(pi, _IFLAG, _IFLAG_SAME, False)
    oflag = _map_bits(po, _OFLAG, _OFLAG_SAME, False)
    for _hmask, pmask, values in _OFLAG_FIELDS:
        oflag |= {p: h for h, p in values}.get(po & pmask, 0)
    cflag = (_map_bits(pc, _CFLAG, _CFLAG_SAME, False) | (pc & 0x300) >> 4
             | _ppc_baud_to_host(pc & 0xFF))
    if pc >> 16 & 0xFF:
        cflag |= _ppc_baud_to_host(pc >> 16 & 0xFF) << 16
    lflag = _map_bits(pl, _LFLAG, 0, False)
    cc = bytearray(19)
    for ppc_i, host_i in enumerate(_PPC_CC_FROM_HOST):
        cc[host_i] = pcc[ppc_i]
    return _HOST.pack(iflag, oflag, cflag, lflag, line, bytes(cc))
