# Exit status computed from the condition register, plus the PowerPC
# syscall error convention: a failing syscall sets CR0.SO and returns a
# positive errno in r3.  Expected status: 0x40 | (EBADF=9 << 1) | 1 = 83.
    .text
    .globl  _start
_start:
    li      31, 0
    # write(-1, msg, 1) must fail with EBADF and set CR0.SO
    li      3, -1
    lis     4, msg@ha
    addi    4, 4, msg@l
    li      5, 1
    li      0, 4
    sc
    bns     1f
    ori     31, 31, 1           # SO set
1:  slwi    3, 3, 1             # errno << 1
    or      31, 31, 3
    # successful write must leave CR0.SO clear
    li      3, 1
    lis     4, msg@ha
    addi    4, 4, msg@l
    li      5, msg_len
    li      0, 4
    sc
    bso     2f
    cmpwi   3, msg_len
    bne     2f
    ori     31, 31, 0x40
2:  # CR field test: 3 compares, collected with mfcr and folded
    li      3, 3
    cmpwi   1, 3, 4             # cr1 = LT (8)
    cmpwi   2, 3, 3             # cr2 = EQ (2)
    cmpwi   3, 3, 2             # cr3 = GT (4)
    mfcr    4
    rlwinm  5, 4, 8, 28, 31     # cr1 field
    rlwinm  6, 4, 12, 28, 31    # cr2 field
    rlwinm  7, 4, 16, 28, 31    # cr3 field
    cmpwi   5, 8
    bne     3f
    cmpwi   6, 2
    bne     3f
    cmpwi   7, 4
    bne     3f
    b       4f
3:  li      31, 255             # mismatch: obviously wrong status
4:  mr      3, 31
    li      0, 1
    sc

    .section .rodata
msg:
    .ascii  "exit status from CR and syscall errors\n"
    .equ    msg_len, . - msg
