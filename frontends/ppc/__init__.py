"""32-bit big-endian PowerPC guest: decode/lift and its Linux ABI."""

from dbt.arch import ArchInfo, register_arch


def _ppc():
    from .cpu import PPCArch
    return PPCArch()


register_arch(ArchInfo("ppc", "EM_PPC", True, lambda flags: True, _ppc))
