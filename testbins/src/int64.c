/* 64-bit integer arithmetic: forces libgcc helpers on 32-bit targets */
#include <stdio.h>
#include <stdint.h>

int main(void)
{
    volatile int64_t a = 123456789012345LL, b = -987654321LL, c = 7;
    volatile uint64_t ua = 0xfedcba9876543210ULL, ub = 0x12345ULL, uc = 0xffffffffULL;
    volatile int sh = 13, sh2 = 40;

    printf("mul: %lld %lld\n", (long long)(a * b), (long long)(a * c));
    printf("umul: %llu\n", (unsigned long long)(ua * ub));
    printf("div: %lld %lld %lld\n", (long long)(a / b), (long long)(b / c), (long long)(a / c));
    printf("mod: %lld %lld %lld\n", (long long)(a % b), (long long)(b % c), (long long)(a % 1000003));
    printf("udiv: %llu %llu\n", (unsigned long long)(ua / ub), (unsigned long long)(ua / uc));
    printf("umod: %llu %llu\n", (unsigned long long)(ua % ub), (unsigned long long)(ua % uc));
    printf("shl: %llx %llx\n", (unsigned long long)(ua << sh), (unsigned long long)(ua << sh2));
    printf("lshr: %llx %llx\n", (unsigned long long)(ua >> sh), (unsigned long long)(ua >> sh2));
    printf("ashr: %llx %lld\n", (unsigned long long)((int64_t)ua >> sh), (long long)(b >> sh2));
    printf("add/sub: %llx %llx\n", (unsigned long long)(ua + uc), (unsigned long long)(ub - ua));
    printf("cmp: %d %d %d\n", a > b, ua > uc, (int64_t)ua < 0);
    printf("neg: %lld %lld\n", (long long)-a, (long long)-b);

    /* mixed 32x32->64 */
    volatile uint32_t x = 0xfffffff1u, y = 0xffffff07u;
    volatile int32_t sx = -2000000000, sy = 1999999999;
    printf("widen: %llu %lld\n", (unsigned long long)((uint64_t)x * y), (long long)((int64_t)sx * sy));

    /* conversions */
    volatile double d = -9.0e15;
    volatile float f = 1.5e10f;
    printf("conv: %lld %llu %lld\n", (long long)(int64_t)d, (unsigned long long)(uint64_t)f,
           (long long)(int64_t)(double)(int64_t)a);
    printf("tod: %.1f %.1f\n", (double)a, (double)ua);

    /* a loop mixing divisions */
    uint64_t acc = 1;
    for (volatile int i = 1; i < 200; i++) {
        uint64_t v = (uint64_t)i * 0x9e3779b97f4a7c15ULL;
        acc = acc * 6364136223846793005ULL + v / (uint64_t)(i + 3) + v % 97;
    }
    printf("loop: %016llx\n", (unsigned long long)acc);
    int64_t sacc = 0;
    for (volatile int i = -100; i < 100; i++) {
        int64_t v = (int64_t)i * 1000000007LL;
        sacc += v / 13 - v % 11;
    }
    printf("sloop: %lld\n", (long long)sacc);
    return 0;
}
