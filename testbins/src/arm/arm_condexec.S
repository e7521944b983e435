@ Conditional execution, flag-setting instructions, carry arithmetic, and
@ LDM/STM in several addressing modes.  Prints each result in hex.
    .syntax unified
    .arm
    .text
    .global _start
_start:
    b       main

#include "common.inc"

main:
    @ 64-bit add with carry: 0x00000001_ffffffff + 0x00000002_00000001
    ldr     r0, =0xffffffff
    mov     r1, #1
    ldr     r2, =0x00000001
    mov     r3, #2
    adds    r4, r0, r2
    adc     r5, r1, r3
    show    l_add64lo, r4
    show    l_add64hi, r5

    @ 64-bit subtract with borrow: 0x5_00000000 - 0x1_00000001
    mov     r0, #0
    mov     r1, #5
    mov     r2, #1
    mov     r3, #1
    subs    r4, r0, r2
    sbc     r5, r1, r3
    show    l_sub64lo, r4
    show    l_sub64hi, r5

    @ rsb / rsc and carry from shifter
    mov     r0, #10
    rsbs    r1, r0, #3          @ 3 - 10, borrow -> C clear
    rsc     r2, r0, #100        @ 100 - 10 - !C = 89
    show    l_rsb, r1
    show    l_rsc, r2

    @ movs with shifter carry out: C = bit shifted out
    mov     r6, #0
    ldr     r0, =0x80000001
    movs    r1, r0, lsr #1      @ C = 1
    adc     r6, r6, #0
    movs    r1, r0, lsl #1      @ C = 1
    adc     r6, r6, r6
    movs    r1, r0, asr #2      @ C = 0
    adc     r6, r6, r6
    movs    r1, r0, ror #1      @ C = 1 (bit 0 rotated to 31)
    adc     r6, r6, r6
    show    l_shc, r6

    @ signed max/min/abs using conditional execution
    mvn     r0, #41             @ -42
    mov     r1, #17
    cmp     r0, r1
    movgt   r2, r0
    movle   r2, r1              @ max = 17
    movlt   r3, r0
    movge   r3, r1              @ min = -42
    cmp     r0, #0
    rsblt   r4, r0, #0          @ abs = 42
    movge   r4, r0
    show    l_max, r2
    show    l_min, r3
    show    l_abs, r4

    @ unsigned comparisons: hi/ls/hs/lo on 0xfffffff0 vs 5
    ldr     r0, =0xfffffff0
    mov     r1, #5
    mov     r2, #0
    cmp     r0, r1
    orrhi   r2, r2, #1
    orrls   r2, r2, #2
    orrhs   r2, r2, #4
    orrlo   r2, r2, #8
    orrgt   r2, r2, #16         @ signed: -16 > 5 false
    orrlt   r2, r2, #32
    orrmi   r2, r2, #64
    orrpl   r2, r2, #128
    show    l_cmpmask, r2

    @ overflow flag: 0x7fffffff + 1 sets V and N
    ldr     r0, =0x7fffffff
    mov     r2, #0
    adds    r1, r0, #1
    orrvs   r2, r2, #1
    orrvc   r2, r2, #2
    orrmi   r2, r2, #4
    orreq   r2, r2, #8
    orrcs   r2, r2, #16
    cmn     r0, #0x80000000     @ r0 + 0x80000000 = -1, no carry
    orrcc   r2, r2, #32
    orrmi   r2, r2, #64
    tst     r0, #0x80000000
    orreq   r2, r2, #128
    teq     r0, r0
    orreq   r2, r2, #256
    show    l_flags, r2

    @ count down with conditional accumulation of odd numbers
    mov     r0, #100
    mov     r1, #0
1:  tst     r0, #1
    addne   r1, r1, r0
    subs    r0, r0, #1
    bne     1b
    show    l_odds, r1          @ 1+3+...+99 = 2500

    @ STM/LDM: increment after, decrement before, writeback, and push/pop
    ldr     r8, =buffer
    mov     r0, #0x11
    mov     r1, #0x22
    mov     r2, #0x33
    mov     r3, #0x44
    stmia   r8!, {r0-r3}
    mov     r0, #0x55
    mov     r1, #0x66
    stmia   r8, {r0, r1}
    ldr     r9, =buffer
    sub     r9, r8, r9          @ writeback advanced by 16
    show    l_wb, r9
    ldr     r8, =buffer
    ldmia   r8, {r0-r5}
    add     r0, r0, r1, lsl #4
    add     r0, r0, r2, lsl #8
    add     r0, r0, r3, lsl #12
    add     r0, r0, r4, lsl #16
    add     r0, r0, r5, lsl #20
    show    l_ldmia, r0
    ldr     r8, =buffer + 24
    ldmdb   r8!, {r0, r1}       @ loads 0x55, 0x66; r8 -> buffer + 16
    ldmib   r8, {r2}            @ load buffer+20 = 0x66
    ldmda   r8, {r3}            @ load buffer+16 = 0x55
    add     r0, r0, r1, lsl #8
    add     r0, r0, r2, lsl #16
    add     r0, r0, r3, lsl #24
    show    l_ldmdb, r0
    ldr     r9, =buffer
    sub     r9, r8, r9
    show    l_wb2, r9

    mov     r0, #1
    mov     r1, #2
    mov     r2, #3
    push    {r0, r1, r2}
    mov     r0, #0
    mov     r1, #0
    mov     r2, #0
    pop     {r3, r4, r5}        @ r3=1, r4=2, r5=3
    add     r0, r3, r4, lsl #4
    add     r0, r0, r5, lsl #8
    show    l_pushpop, r0

    @ clz and multiply variants (ARMv5TE)
    ldr     r0, =0x00012345
    clz     r1, r0
    show    l_clz, r1
    mvn     r0, #0              @ -1
    mov     r1, #3
    smull   r2, r3, r0, r1      @ -3 as 64 bit
    show    l_smullhi, r3
    umull   r2, r3, r0, r1      @ 0x2_fffffffd
    show    l_umullhi, r3
    show    l_umulllo, r2

    mov     r0, #0
    b       sys_exit

    label   l_add64lo, "add64 lo = "
    label   l_add64hi, "add64 hi = "
    label   l_sub64lo, "sub64 lo = "
    label   l_sub64hi, "sub64 hi = "
    label   l_rsb, "rsbs     = "
    label   l_rsc, "rsc      = "
    label   l_shc, "shiftC   = "
    label   l_max, "max      = "
    label   l_min, "min      = "
    label   l_abs, "abs      = "
    label   l_cmpmask, "cmpmask  = "
    label   l_flags, "flags    = "
    label   l_odds, "odds     = "
    label   l_wb, "stm wb   = "
    label   l_ldmia, "ldmia    = "
    label   l_ldmdb, "ldmdb    = "
    label   l_wb2, "ldm wb   = "
    label   l_pushpop, "pushpop  = "
    label   l_clz, "clz      = "
    label   l_smullhi, "smull hi = "
    label   l_umullhi, "umull hi = "
    label   l_umulllo, "umull lo = "

    .ltorg

    .bss
    .balign 4
buffer:
    .space  64
