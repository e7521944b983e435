# Condition register, XER (CA/OV/SO) and CTR: carry chains, compares into
# several CR fields, CR logical ops, mfcr/mtcrf/mcrf, bdnz loops.
    .text
    .globl  _start
_start:
    b       main

#include "common.inc"

main:
    # 128-bit add: 0xffffffff_ffffffff_ffffffff_fffffffe + 3 (word 0 = low)
    li      3, -2               # low
    li      4, -1
    li      5, -1
    li      6, -1               # high
    li      7, 3
    li      8, 0
    addc    20, 3, 7
    adde    21, 4, 8
    adde    22, 5, 8
    adde    23, 6, 8
    li      24, 0
    addze   24, 24              # carry out of the top word
    show    l_a0, 20
    show    l_a1, 21
    show    l_a3, 23
    show    l_aco, 24

    # 64-bit subtract: 0x00000005_00000000 - 0x00000001_00000001
    li      3, 0
    li      4, 5
    li      5, 1
    li      6, 1
    subfc   20, 5, 3            # 3 - 5 (low) -> borrow
    subfe   21, 6, 4            # 4 - 6 - borrow
    show    l_s0, 20
    show    l_s1, 21

    # CA from addic / subfic / srawi, read through mfxer
    li      3, -1
    addic   4, 3, 1             # CA = 1
    mfxer   5
    rlwinm  5, 5, 3, 31, 31     # extract CA (bit 2 from the left)
    li      3, 10
    subfic  4, 3, 5             # 5 - 10: borrow -> CA = 0
    mfxer   6
    rlwinm  6, 6, 3, 31, 31
    li      3, -7
    srawi   4, 3, 1             # negative with 1 bits shifted out -> CA = 1
    mfxer   7
    rlwinm  7, 7, 3, 31, 31
    slwi    5, 5, 8
    slwi    6, 6, 4
    or      5, 5, 6
    or      5, 5, 7
    show    l_ca, 5
    show    l_sraw, 4

    # overflow: addo. sets OV and SO, SO sticks until cleared with mtxer
    lis     3, 0x7fff
    ori     3, 3, 0xffff
    li      4, 1
    addo.   5, 3, 4
    mfxer   6
    mfcr    7
    li      8, 0
    addo    9, 4, 4             # no overflow: OV cleared, SO still set
    mfxer   10
    mtxer   8                   # clear everything
    mfxer   11
    show    l_ovx, 6
    show    l_ovcr, 7
    show    l_ovx2, 10
    show    l_ovx3, 11

    # compares into different CR fields
    li      3, -5
    li      4, 7
    lis     5, 0x8000
    cmpw    0, 3, 4             # LT
    cmpw    1, 4, 3             # GT
    cmpw    5, 4, 4             # EQ
    cmplw   6, 3, 4             # unsigned: 0xfffffffb > 7 -> GT
    cmpwi   7, 5, 0             # 0x80000000 < 0 -> LT
    cmplwi  2, 5, 0             # GT
    cmpwi   3, 4, 7             # EQ
    cmplwi  4, 3, 100           # GT
    mfcr    12
    show    l_cr, 12

    # CR logical ops and branches on individual fields
    crand   0, 4, 5             # cr0.lt = cr1.lt & cr1.gt = 0
    cror    1, 4, 5             # cr0.gt = cr1.lt | cr1.gt = 1
    crxor   2, 22, 26           # cr0.eq = cr5.eq ^ cr6.eq = 1
    creqv   3, 0, 0             # cr0.so = 1
    crnot   31, 28              # cr7.so = !cr7.lt = 0
    mcrf    4, 5                # cr4 = cr5 (EQ)
    mfcr    12
    show    l_crlog, 12

    li      13, 0
    bgt     1, 1f
    ori     13, 13, 1
1:  beq     5, 2f
    ori     13, 13, 2
2:  blt     6, 3f               # cr6 is GT: not taken
    ori     13, 13, 4
3:  bso     0, 4f               # set by creqv above
    ori     13, 13, 8
4:  bne     3, 5f
    ori     13, 13, 16
5:  show    l_br, 13

    # mtcrf: replace only fields 2 and 7
    lis     3, 0x1234
    ori     3, 3, 0x5678
    mtcrf   0x21, 3
    mfcr    12
    show    l_mtcrf, 12

    # bdnz loop: sum of i*i for i = 100 down to 1
    li      3, 100
    mtctr   3
    li      4, 0
6:  mfctr   5
    mullw   6, 5, 5
    add     4, 4, 6
    bdnz    6b
    mfctr   7
    show    l_sumsq, 4
    show    l_ctr, 7

    # nested bdnz via saving ctr; also bdnzf/bdz style exits
    li      14, 0
    li      3, 12
    mtctr   3
7:  mfctr   15
    li      3, 5
    mtctr   3
8:  addi    14, 14, 1
    bdnz    8b
    mtctr   15
    bdnz    7b
    show    l_nest, 14
    li      3, 1000
    mtctr   3
    li      4, 0
9:  addi    4, 4, 1
    cmpwi   4, 37
    bdnzf   2, 9b               # loop while ctr != 0 and not equal
    mfctr   5
    show    l_bdnzf, 4
    show    l_bdnzf_ctr, 5

    # multiply/divide high parts and count leading zeros
    lis     3, 0x1234
    ori     3, 3, 0x5678
    lis     4, -0x100           # 0xff000000
    mulhw   5, 3, 4
    mulhwu  6, 3, 4
    mullw   7, 3, 4
    divw    8, 4, 3
    divwu   9, 4, 3
    cntlzw  10, 3
    show    l_mulhw, 5
    show    l_mulhwu, 6
    show    l_mullw, 7
    show    l_divw, 8
    show    l_divwu, 9
    show    l_cntlzw, 10
    # rlwimi insert
    lis     3, 0xaaaa
    ori     3, 3, 0xaaaa
    li      4, 0x55
    rlwimi  3, 4, 8, 16, 23     # insert 0x55 into bits 16..23
    show    l_rlwimi, 3

    li      3, 0
    b       sys_exit

    label   l_a0, "add128 w0 = "
    label   l_a1, "add128 w1 = "
    label   l_a3, "add128 w3 = "
    label   l_aco, "add128 co = "
    label   l_s0, "sub64 lo  = "
    label   l_s1, "sub64 hi  = "
    label   l_ca, "CA bits   = "
    label   l_sraw, "srawi     = "
    label   l_ovx, "xer ovf   = "
    label   l_ovcr, "cr ovf    = "
    label   l_ovx2, "xer so    = "
    label   l_ovx3, "xer clr   = "
    label   l_cr, "cr cmp    = "
    label   l_crlog, "cr logic  = "
    label   l_br, "branches  = "
    label   l_mtcrf, "mtcrf     = "
    label   l_sumsq, "sum sq    = "
    label   l_ctr, "ctr after = "
    label   l_nest, "nested    = "
    label   l_bdnzf, "bdnzf i   = "
    label   l_bdnzf_ctr, "bdnzf ctr = "
    label   l_mulhw, "mulhw     = "
    label   l_mulhwu, "mulhwu    = "
    label   l_mullw, "mullw     = "
    label   l_divw, "divw      = "
    label   l_divwu, "divwu     = "
    label   l_cntlzw, "cntlzw    = "
    label   l_rlwimi, "rlwimi    = "
