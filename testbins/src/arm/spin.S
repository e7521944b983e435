@ Spins until killed (for interrupting a running guest from gdb): counts in r0.
    .syntax unified
    .arm
    .text
    .global _start
_start:
    mov     r0, #0
spin:
    add     r0, r0, #1
    b       spin
