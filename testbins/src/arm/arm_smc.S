@ Self-modifying code: a loop calls a function that lives in an RWX page; the
@ function is rewritten and the cache flushed with the ARM cacheflush syscall, and
@ the loop must then run the new code (in every tier: it is hot, so compiled, by then).
    .syntax unified
    .arm
    .text
    .global _start
_start:
    b       main

#include "common.inc"

    label   l_sum1, "before patch = "
    label   l_sum2, "after patch  = "

main:
    mov     r0, #0
    mov     r1, #4096
    mov     r2, #7                @ PROT_READ | PROT_WRITE | PROT_EXEC
    mov     r3, #0x22             @ MAP_PRIVATE | MAP_ANONYMOUS
    mvn     r4, #0
    mov     r5, #0
    mov     r7, #192              @ mmap2
    svc     #0
    mov     r8, r0
    ldr     r1, =func
    ldr     r2, [r1]
    str     r2, [r8]
    ldr     r2, [r1, #4]
    str     r2, [r8, #4]
    bl      flush

    mov     r6, #0
    ldr     r4, =1000
1:  blx     r8
    add     r6, r6, r0
    subs    r4, r4, #1
    bne     1b
    show    l_sum1, r6

    ldr     r2, =0xe3a00002       @ mov r0, #2
    str     r2, [r8]
    bl      flush

    mov     r6, #0
    ldr     r4, =1000
2:  blx     r8
    add     r6, r6, r0
    subs    r4, r4, #1
    bne     2b
    show    l_sum2, r6
    mov     r0, #0
    b       sys_exit

@ cacheflush(r8, r8 + 8, 0)
flush:
    push    {r7, lr}
    mov     r0, r8
    add     r1, r8, #8
    mov     r2, #0
    ldr     r7, =0xf0002
    svc     #0
    pop     {r7, pc}

func:
    mov     r0, #1
    bx      lr
