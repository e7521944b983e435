/* printf formatting of integers, strings, characters and floats. */
#include <stdio.h>

int main(void)
{
    volatile int neg = -12345;
    volatile unsigned int big = 4000000000u;
    volatile long lg = -987654321L;
    volatile long long ll = -1234567890123456789LL;
    volatile unsigned long long ull = 18446744073709551615ULL;
    volatile double d = 3.14159265358979;
    volatile double tiny = 0.000012345;
    volatile double huge = 6.02214076e23;

    printf("d: [%d] [%5d] [%-7d] [%+d] [%07d]\n", neg, 42, 42, 42, -42);
    printf("u: [%u] [%10u]\n", big, 7u);
    printf("x: [%x] [%X] [%#x] [%08x] [%o]\n", 0xdeadbeefu, 0xcafeu, 255u, 0x1fu, 8u);
    printf("ld: [%ld] [%lu] [%lx]\n", lg, 3000000000UL, 0xabcdef01UL);
    printf("lld: [%lld] [%llu] [%llx] [%20lld]\n", ll, ull, 0x123456789abcdefULL, 77LL);
    printf("s: [%s] [%10s] [%-10s] [%.3s]\n", "abc", "right", "left", "truncate");
    printf("c: [%c] [%3c] [%-3c] [%%]\n", 'A', 'b', 'c');
    printf("f: [%f] [%.2f] [%10.4f] [%-10.1f] [%.0f]\n", d, d, d, d, d);
    printf("e: [%e] [%.3e] [%E] [%e]\n", huge, tiny, d, 0.0);
    printf("g: [%g] [%g] [%g] [%.3g] [%G]\n", d, tiny, huge, 1234567.0, 1e-10);
    printf("neg f: [%f] [%.3e] [%g]\n", -d, -huge, -0.5);
    printf("star: [%*d] [%-*d] [%.*f]\n", 6, 99, 6, 99, 3, d);
    printf("mixed: %s=%d, %c%c, %lld, %.5g\n", "x", -1, 'o', 'k', 1LL << 40, 2.0 / 3.0);
    int n = printf("count me\n");
    printf("printf returned %d\n", n);
    return 0;
}
