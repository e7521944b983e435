/* sieve of Eratosthenes */
#include <stdio.h>
#include <string.h>

#define N 30000

static unsigned char composite[N + 1];

int main(void)
{
    memset(composite, 0, sizeof composite);
    for (int i = 2; i * i <= N; i++)
        if (!composite[i])
            for (int j = i * i; j <= N; j += i)
                composite[j] = 1;
    int count = 0, last = 0;
    unsigned long sum = 0;
    for (int i = 2; i <= N; i++)
        if (!composite[i]) {
            count++;
            sum += i;
            last = i;
        }
    printf("primes below %d: %d\n", N, count);
    printf("sum: %lu largest: %d\n", sum, last);
    printf("first ten:");
    for (int i = 2, k = 0; k < 10; i++)
        if (!composite[i]) {
            printf(" %d", i);
            k++;
        }
    printf("\n");
    int twins = 0;
    for (int i = 3; i + 2 <= N; i += 2)
        twins += !composite[i] && !composite[i + 2];
    printf("twin prime pairs: %d\n", twins);
    return 0;
}
