/* Benchmark: repeated sieve of Eratosthenes over a byte array.
   Usage: sieve [repetitions] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#define LIMIT 200000

static unsigned char flags[LIMIT + 1];

static unsigned count_primes(unsigned limit)
{
    memset(flags, 1, limit + 1);
    flags[0] = flags[1] = 0;
    for (unsigned i = 2; i * i <= limit; i++)
        if (flags[i])
            for (unsigned j = i * i; j <= limit; j += i)
                flags[j] = 0;
    unsigned n = 0;
    for (unsigned i = 0; i <= limit; i++)
        n += flags[i];
    return n;
}

int main(int argc, char **argv)
{
    long reps = argc > 1 ? atol(argv[1]) : 1500;
    uint32_t check = 0;
    for (long r = 0; r < reps; r++) {
        /* vary the limit slightly so no repetition can be skipped */
        unsigned limit = LIMIT - (unsigned)(r % 7) * 1000;
        unsigned n = count_primes(limit);
        check = check * 31 + n;
    }
    printf("sieve reps=%ld primes<=%d: %u checksum=%08x\n", reps, LIMIT, count_primes(LIMIT), check);
    return 0;
}
