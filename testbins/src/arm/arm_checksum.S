@ Loops over a data table computing checksums (FNV-1a over bytes, a rotating
@ word sum, and a bit-count), then prints them in hex with a hand-written routine.
    .syntax unified
    .arm
    .text
    .global _start
_start:
    b       main

#include "common.inc"

main:
    @ FNV-1a over the bytes of the table
    ldr     r4, =table
    mov     r5, #0
    ldr     r6, =0x811c9dc5
    ldr     r8, =0x01000193
1:  ldrb    r0, [r4, r5]
    eor     r6, r6, r0
    mul     r6, r8, r6
    add     r5, r5, #1
    cmp     r5, #table_len
    blo     1b
    show    l_fnv, r6

    @ rotating word sum with post-indexed loads and shifted operands
    ldr     r4, =table
    mov     r5, #table_len / 4
    mov     r7, #0
2:  ldr     r0, [r4], #4
    add     r7, r0, r7, ror #27
    eor     r7, r7, r0, lsr #3
    subs    r5, r5, #1
    bne     2b
    show    l_rot, r7

    @ population count of all words (clear lowest set bit loop)
    ldr     r4, =table
    mov     r5, #0
    mov     r9, #0
3:  ldr     r0, [r4, r5, lsl #2]
4:  cmp     r0, #0
    subne   r1, r0, #1
    andne   r0, r0, r1
    addne   r9, r9, #1
    bne     4b
    add     r5, r5, #1
    cmp     r5, #table_len / 4
    blt     3b
    show    l_pop, r9

    @ a longer arithmetic loop: x = x * 1103515245 + 12345, 5000 times,
    @ accumulating the high halves of 64-bit products with umull/umlal.
    ldr     r0, =12345
    ldr     r1, =1103515245
    ldr     r2, =5000
    mov     r10, #0          @ low accumulator
    mov     r11, #0          @ high accumulator
    ldr     r3, =12345
5:  mla     r12, r0, r1, r3
    mov     r0, r12
    umlal   r10, r11, r0, r1
    subs    r2, r2, #1
    bne     5b
    show    l_lcg, r0
    show    l_acclo, r10
    show    l_acchi, r11

    @ halfword and signed-byte loads
    ldr     r4, =table
    ldrh    r0, [r4, #2]
    ldrsh   r1, [r4, #6]
    ldrsb   r2, [r4, #7]
    add     r0, r0, r1
    add     r0, r0, r2
    show    l_half, r0

    @ a failing syscall returns -errno in r0: write(99, ...) -> -EBADF
    mov     r0, #99
    ldr     r1, =table
    mov     r2, #4
    mov     r7, #SYS_write
    svc     #0
    show    l_badwr, r0

    mov     r0, #0
    b       sys_exit

    label   l_fnv, "fnv1a  = "
    label   l_rot, "rotsum = "
    label   l_pop, "popcnt = "
    label   l_lcg, "lcg    = "
    label   l_acclo, "acc lo = "
    label   l_acchi, "acc hi = "
    label   l_half, "halves = "
    label   l_badwr, "badwr  = "

    .ltorg

    .section .rodata
    .balign 4
table:
    .word   0xdeadbeef, 0x01234567, 0x89abcdef, 0xfedcba98
    .word   0x00000000, 0xffffffff, 0x80000001, 0x7ffffffe
    .word   0x13579bdf, 0x2468ace0, 0x0f0f0f0f, 0xf0f0f0f0
    .ascii  "The quick brown fox jumps over the lazy dog!!!!!"
    .equ    table_len, . - table
