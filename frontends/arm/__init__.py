"""ARM guest (armel: ARMv5TE soft-float, armhf: ARMv7 hard-float EABI)."""

from dbt.arch import ArchInfo, register_arch

EF_ARM_ABI_FLOAT_HARD = 0x400


def _armel():
    from .cpu import ArmelArch
    return ArmelArch()


def _armhf():
    from .cpu import ArmhfArch
    return ArmhfArch()


register_arch(ArchInfo("armel", "EM_ARM", False,
                       lambda flags: not flags & EF_ARM_ABI_FLOAT_HARD, _armel))
register_arch(ArchInfo("armhf", "EM_ARM", False,
                       lambda flags: bool(flags & EF_ARM_ABI_FLOAT_HARD), _armhf,
                       ready=False))  # armhf code is Thumb-2, not lifted yet
