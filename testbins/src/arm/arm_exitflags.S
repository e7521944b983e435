@ Computes an exit status from condition flags: each test contributes one bit,
@ and the NZCV flags of a final add (read back with mrs) fill bits 6-7
@ (status is truncated to 8 bits).  Writes one message line.
@ Expected status: 1+2+8+16+32 + (C=1)<<7 = 187.
    .syntax unified
    .arm
    .text
    .global _start
_start:
    mov     r4, #0              @ status accumulator

    mov     r0, #5
    cmp     r0, #5
    orreq   r4, r4, #1          @ Z set -> bit0

    mov     r0, #3
    cmp     r0, #7
    orrlt   r4, r4, #2          @ signed less -> bit1
    orrcs   r4, r4, #4          @ C clear on borrow -> bit2 not set

    ldr     r0, =0x80000000
    subs    r0, r0, #1          @ overflow: V set
    orrvs   r4, r4, #8          @ bit3

    mov     r0, #0
    subs    r0, r0, #1          @ -1: N set, C clear
    orrmi   r4, r4, #16         @ bit4
    orrcc   r4, r4, #32         @ bit5

    mvn     r0, #0
    adds    r0, r0, #1          @ 0 with carry: Z and C set
    mrs     r1, cpsr
    mov     r1, r1, lsr #28     @ NZCV = 0110
    orr     r4, r4, r1, lsl #6  @ bits 6..9 (status is taken mod 256)

    ldr     r1, =msg
    mov     r2, #msg_len
    mov     r0, #1
    mov     r7, #4
    svc     #0

    @ exit status = r4 & 0xff
    and     r0, r4, #0xff
    mov     r7, #1
    svc     #0
1:  b       1b

    .ltorg
    .section .rodata
msg:
    .ascii  "computing exit status from flags\n"
    .equ    msg_len, . - msg
