/* deep recursion with a small frame, plus mutual recursion */
#include <stdio.h>

__attribute__((noinline)) static unsigned long deep(unsigned n)
{
    /* the volatile local read after the call keeps gcc from turning this
       into a loop (tail recursion with accumulator) */
    volatile unsigned keep = n & 7;
    if (n == 0)
        return 0;
    unsigned long r = deep(n - 1);
    return r + keep;
}

static int is_even(unsigned n);
__attribute__((noinline)) static int is_odd(unsigned n)
{
    volatile int k = 1;
    if (n == 0)
        return 0;
    int r = is_even(n - 1);
    return r & k;
}
__attribute__((noinline)) static int is_even(unsigned n)
{
    volatile int k = 1;
    if (n == 0)
        return 1;
    int r = is_odd(n - 1);
    return r & k;
}

__attribute__((noinline)) static unsigned ackermann(unsigned m, unsigned n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

__attribute__((noinline)) static int fib(int n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(void)
{
    volatile unsigned depth = 100000;
    printf("deep(%u) = %lu\n", depth, deep(depth));
    volatile unsigned m = 10001;
    printf("is_even(%u)=%d is_odd(%u)=%d\n", m, is_even(m), m, is_odd(m));
    volatile unsigned a = 2, b = 3;
    printf("ackermann(%u,%u) = %u\n", a, b, ackermann(a, b));
    volatile int f = 18;
    printf("fib(%d) = %d\n", f, fib(f));
    return 0;
}
