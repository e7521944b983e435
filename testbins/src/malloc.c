/* heap allocation: small and large blocks, realloc, calloc */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

static uint32_t sparse_sum(const uint32_t *p, size_t nwords)
{
    /* sample one word per 4 KiB page (the words written below) plus the
       last word, to keep the loop short */
    uint32_t s = 0;
    for (size_t i = 0; i < nwords; i += 1024)
        s = s * 33 + p[i];
    return s * 33 + p[nwords - 1];
}

int main(void)
{
    /* many small blocks */
    void *ptrs[200];
    unsigned sum = 0;
    for (int i = 0; i < 200; i++) {
        size_t sz = 8 + (size_t)(i * 37) % 500;
        unsigned char *p = malloc(sz);
        for (size_t j = 0; j < sz; j += 16)
            p[j] = (unsigned char)(i + j);
        ptrs[i] = p;
    }
    for (int i = 0; i < 200; i++) {
        unsigned char *p = ptrs[i];
        sum = sum * 3 + p[0] + p[(8 + (size_t)(i * 37) % 500) / 32 * 16];
    }
    for (int i = 0; i < 200; i += 2)
        free(ptrs[i]);
    for (int i = 0; i < 200; i += 2)
        ptrs[i] = malloc(64);
    for (int i = 0; i < 200; i++)
        free(ptrs[i]);
    printf("small blocks checksum: %u\n", sum);

    /* calloc must be zeroed */
    uint32_t *z = calloc(10000, sizeof *z);
    uint32_t zs = 0;
    for (int i = 0; i < 10000; i += 7)
        zs |= z[i];
    printf("calloc zero check: %u\n", zs);
    free(z);

    /* realloc growth keeps contents */
    char *s = malloc(4);
    strcpy(s, "abc");
    for (int i = 0; i < 12; i++) {
        size_t n = (size_t)16 << i;
        s = realloc(s, n);
        s[n - 1] = 'z';
    }
    printf("realloc keeps: %s (last=%c)\n", s, s[(16 << 11) - 1]);
    free(s);

    /* large blocks: 8 MiB (mmap'ed by glibc) */
    size_t big = 8u << 20;
    uint32_t *b = malloc(big);
    if (!b) {
        printf("malloc 8MB failed\n");
        return 1;
    }
    /* fill the first 512 KiB, then write one word in every page */
    memset(b, 0x5a, 512u << 10);
    uint32_t fill = 0;
    for (size_t i = 1; i < (128u << 10); i += 4099)
        fill += b[i];
    printf("memset fill sample: %08x\n", fill);
    size_t nw = big / 4;
    for (size_t i = 0; i < nw; i += 1024)
        b[i] = (uint32_t)i * 2654435761u;
    b[nw - 1] = 0x12345678;
    printf("8MB block checksum: %08x\n", sparse_sum(b, nw));

    /* grow it to 16 MiB with realloc */
    b = realloc(b, 2 * big);
    if (!b) {
        printf("realloc 16MB failed\n");
        return 1;
    }
    for (size_t i = nw; i < 2 * nw; i += 1024)
        b[i] = (uint32_t)i ^ 0xa5a5a5a5u;
    b[2 * nw - 1] = b[nw - 1] + 1;
    printf("16MB block checksum: %08x\n", sparse_sum(b, 2 * nw));
    free(b);

    uint8_t *c = calloc(3u << 20, 1);
    size_t nz = 0;
    for (size_t i = 0; i < (3u << 20); i += 4096)
        nz += c[i] != 0;
    printf("calloc 3MB nonzero pages: %zu\n", nz);
    free(c);
    return 0;
}
