@ A counted loop for the --stats and --trace tests: 1000 iterations of a loop split
@ over two blocks (`loop` ends in a branch to `mid`), then exit(3000 & 0xff = 184).
@ Blocks: _start..`b mid` (4 instructions, once), mid (2, 1000 times),
@ loop (2, 999 times), done (3, once): 4005 instructions in 2001 blocks.
    .syntax unified
    .arm
    .text
    .global _start
_start:
    mov     r0, #0
    ldr     r1, =1000
loop:
    add     r0, r0, #3
    b       mid
mid:
    subs    r1, r1, #1
    bne     loop
done:
    mov     r7, #1
    str     r0, [sp, #-4]!
    svc     #0
