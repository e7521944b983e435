/* integer overflow/wraparound (unsigned, and signed via -fwrapv-free tricks) */
#include <stdio.h>
#include <stdint.h>
#include <limits.h>

int main(void)
{
    volatile unsigned u = UINT_MAX;
    volatile int i = INT_MAX, j = INT_MIN;
    volatile uint64_t u64 = UINT64_MAX;
    printf("unsigned wrap: %u %u %u\n", u + 1u, 0u - 1u, u * 3u);
    printf("u64 wrap: %llu %llx\n", (unsigned long long)(u64 + 1), (unsigned long long)(u64 * 5));
    /* signed overflow done through unsigned arithmetic (well-defined conversion in gcc) */
    printf("int wrap: %d %d %d\n", (int)((unsigned)i + 1u), (int)((unsigned)j - 1u), (int)((unsigned)i * 2u));
    printf("limits: %d %d %u %lld\n", INT_MAX, INT_MIN, UINT_MAX, LLONG_MIN);
    printf("abs(INT_MIN) via unsigned: %u\n", 0u - (unsigned)j);
    printf("neg: %d %u\n", -i, -(unsigned)1);

    /* builtin overflow checks */
    int r;
    printf("add_overflow: %d", __builtin_add_overflow(i, 1, &r));
    printf(" r=%d", r);
    printf(" sub_overflow: %d", __builtin_sub_overflow(j, 1, &r));
    printf(" mul_overflow: %d", __builtin_mul_overflow(i, 2, &r));
    int ovf = __builtin_add_overflow(1000, 2000, &r);
    printf(" no-ovf: %d r=%d\n", ovf, r);
    unsigned ur;
    int o1 = __builtin_add_overflow(u, 1u, &ur);
    int o2 = __builtin_mul_overflow(65536u, 65536u, &ur);
    printf("uadd_overflow: %d umul_overflow: %d\n", o1, o2);

    /* division edge cases */
    volatile int a = -7, b = 2;
    printf("div: %d %d %d %d\n", a / b, a % b, -a / b, -a % -b);
    volatile unsigned ua = 0xfffffff9u;
    printf("udiv: %u %u\n", ua / 2u, ua % 10u);

    /* shifts */
    volatile int s = -16;
    volatile unsigned us = 0x80000000u;
    volatile int amt = 31;
    printf("shift: %d %u %x %x\n", s >> 2, us >> amt, us >> 4, (unsigned)s << 3);
    printf("rotate: %08x\n", (us >> 3) | (us << 29));

    /* hashing with wraparound */
    uint32_t h = 2166136261u;
    for (int k = 0; k < 1000; k++) {
        h ^= (uint32_t)k;
        h *= 16777619u;
    }
    printf("fnv: %08x\n", h);
    /* counters wrapping */
    uint8_t c8 = 250;
    uint16_t c16 = 65530;
    for (int k = 0; k < 10; k++) {
        c8++;
        c16++;
    }
    printf("u8 wrap: %u u16 wrap: %u\n", c8, c16);
    return 0;
}
