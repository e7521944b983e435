/* Benchmark: call/return heavy recursion (naive Fibonacci plus Ackermann).
   Usage: fib [n] */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static unsigned fib(unsigned n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static unsigned ack(unsigned m, unsigned n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 39;
    unsigned f = fib(n);
    unsigned a = ack(2, n * 10);
    printf("fib(%u)=%u ack(2,%u)=%u\n", n, f, n * 10, a);
    return 0;
}
