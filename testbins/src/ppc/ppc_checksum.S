# Checksums over a table (FNV-1a with lbzu, rotate-and-add with rotlw,
# population count), a recursive function with real stack frames, and
# byte/halfword loads with sign extension.  Prints results in hex.
    .text
    .globl  _start
_start:
    b       main

#include "common.inc"

# fact(r3) -> r3, recursive, with a standard stack frame
fact:
    cmpwi   3, 1
    ble     1f
    stwu    1, -16(1)
    mflr    0
    stw     0, 20(1)
    stw     31, 12(1)
    mr      31, 3
    addi    3, 3, -1
    bl      fact
    mullw   3, 3, 31
    lwz     31, 12(1)
    lwz     0, 20(1)
    mtlr    0
    addi    1, 1, 16
    blr
1:  li      3, 1
    blr

# sumdown(r3) = r3 + sumdown(r3 - 1), depth r3 (exercises many frames)
sumdown:
    cmpwi   3, 0
    beqlr
    stwu    1, -16(1)
    mflr    0
    stw     0, 20(1)
    stw     31, 12(1)
    mr      31, 3
    addi    3, 3, -1
    bl      sumdown
    add     3, 3, 31
    lwz     31, 12(1)
    lwz     0, 20(1)
    mtlr    0
    addi    1, 1, 16
    blr

main:
    # FNV-1a over the table bytes with pre-increment loads
    lis     20, table@ha
    addi    20, 20, table@l
    addi    4, 20, -1
    li      3, table_len
    mtctr   3
    lis     21, 0x811c
    ori     21, 21, 0x9dc5
    lis     22, 0x0100
    ori     22, 22, 0x0193
1:  lbzu    5, 1(4)
    xor     21, 21, 5
    mullw   21, 21, 22
    bdnz    1b
    show    l_fnv, 21

    # rotate-and-add over words
    li      3, table_len / 4
    mtctr   3
    addi    4, 20, -4
    li      23, 0
    li      6, 5
2:  lwzu    5, 4(4)
    rotlw   23, 23, 6
    add     23, 23, 5
    srwi    7, 5, 3
    xor     23, 23, 7
    bdnz    2b
    show    l_rot, 23

    # popcount of all words with the x &= x - 1 loop
    li      24, 0
    li      3, table_len / 4
    mtctr   3
    addi    4, 20, -4
3:  lwzu    5, 4(4)
4:  cmpwi   5, 0
    beq     5f
    addi    6, 5, -1
    and     5, 5, 6
    addi    24, 24, 1
    b       4b
5:  bdnz    3b
    show    l_pop, 24

    # loads of different widths (big-endian)
    lhz     3, 0(20)
    lha     4, 4(20)
    lbz     5, 7(20)
    lwz     6, 0(20)
    extsb   7, 6
    extsh   8, 6
    show    l_lhz, 3
    show    l_lha, 4
    show    l_lbz, 5
    show    l_extsb, 7
    show    l_extsh, 8

    # byte-reversed load and store, indexed forms
    li      9, 8
    lwbrx   10, 20, 9
    lis     11, scratch@ha
    addi    11, 11, scratch@l
    stwbrx  10, 0, 11
    lwz     12, 0(11)
    sth     10, 4(11)
    stb     10, 6(11)
    lwz     13, 4(11)
    show    l_lwbrx, 10
    show    l_stwbrx, 12
    show    l_sthb, 13

    # recursion
    li      3, 10
    bl      fact
    mr      25, 3
    show    l_fact, 25
    li      3, 2000
    bl      sumdown
    mr      25, 3
    show    l_sumdown, 25

    li      3, 0
    b       sys_exit

    label   l_fnv, "fnv1a    = "
    label   l_rot, "rotsum   = "
    label   l_pop, "popcnt   = "
    label   l_lhz, "lhz      = "
    label   l_lha, "lha      = "
    label   l_lbz, "lbz      = "
    label   l_extsb, "extsb    = "
    label   l_extsh, "extsh    = "
    label   l_lwbrx, "lwbrx    = "
    label   l_stwbrx, "stwbrx   = "
    label   l_sthb, "sth/stb  = "
    label   l_fact, "fact(10) = "
    label   l_sumdown, "sumdown  = "

    .section .rodata
    .balign 4
table:
    .long   0xdeadbeef, 0x01234567, 0x89abcdef, 0xfedcba98
    .long   0x00000000, 0xffffffff, 0x80000001, 0x7ffffffe
    .long   0x13579bdf, 0x2468ace0, 0x0f0f0f0f, 0xf0f0f0f0
    .ascii  "The quick brown fox jumps over the lazy dog!!!!!"
    .equ    table_len, . - table

    .bss
    .balign 4
scratch:
    .space  16
