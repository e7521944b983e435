@ A tight integer loop for measuring raw translator speed: an LCG and a running
@ checksum over 1,000,000 iterations of 7 instructions, then prints the result.
    .syntax unified
    .arm
    .text
    .global _start
_start:
    b       main

#include "common.inc"

main:
    ldr     r4, =1000000          @ iterations
    ldr     r5, =12345            @ LCG state
    ldr     r6, =1103515245
    mov     r7, #0                @ checksum
1:  mla     r5, r6, r5, r4        @ state = state * a + i
    eor     r7, r7, r5, lsr #7
    add     r7, r7, r5, lsl #3
    and     r0, r5, #255
    add     r7, r7, r0
    subs    r4, r4, #1
    bne     1b
    mov     r0, r7
    bl      print_hex
    mov     r0, #0
    b       sys_exit
