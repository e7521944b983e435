/* Benchmark: build pseudo-random strings, sort them (own merge sort and
   libc qsort), dedupe and hash.  Usage: strsort [count] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

static uint32_t rng = 2463534242u;

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void merge_sort(char **a, char **tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(a, tmp, h);
    merge_sort(a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = strcmp(a[i], a[j]) <= 0 ? a[i++] : a[j++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static int cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 500000;
    char *pool = malloc(n * 16);
    char **a = malloc(n * sizeof *a), **b = malloc(n * sizeof *b), **tmp = malloc(n * sizeof *tmp);
    static const char alphabet[] = "abcdefghijklmnop";
    for (size_t i = 0; i < n; i++) {
        char *s = pool + 16 * i;
        size_t len = 3 + next() % 12;
        for (size_t k = 0; k < len; k++)
            s[k] = alphabet[next() & 15];
        s[len] = '\0';
        a[i] = b[i] = s;
    }
    merge_sort(a, tmp, n);
    qsort(b, n, sizeof *b, cmp);
    size_t mismatches = 0, unique = 0;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        mismatches += strcmp(a[i], b[i]) != 0;
        if (i == 0 || strcmp(a[i], a[i - 1]) != 0) {
            unique++;
            for (const char *p = a[i]; *p; p++)
                h = (h ^ (uint8_t)*p) * 16777619u;
        }
    }
    /* a little string building on top */
    char line[64];
    size_t total = 0;
    for (size_t i = 0; i < n; i += 3) {
        snprintf(line, sizeof line, "%s-%s", a[i], b[n - 1 - i]);
        total += strlen(line) + (strstr(line, "ab") != NULL);
    }
    printf("strsort n=%zu unique=%zu mismatches=%zu first=%s last=%s hash=%08x total=%zu\n", n, unique,
           mismatches, a[0], a[n - 1], h, total);
    return 0;
}
