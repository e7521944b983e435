/* byte order, unaligned access, bit operations */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

int main(void)
{
    uint32_t w = 0x01020304;
    unsigned char b[4];
    memcpy(b, &w, 4);
    printf("byte order: %02x %02x %02x %02x (%s endian)\n", b[0], b[1], b[2], b[3],
           b[0] == 4 ? "little" : "big");
    uint64_t q = 0x0102030405060708ULL;
    unsigned char bq[8];
    memcpy(bq, &q, 8);
    printf("u64 first byte: %02x\n", bq[0]);

    volatile uint32_t x = 0x12345678;
    printf("bswap32: %08x bswap16: %04x bswap64: %016llx\n", __builtin_bswap32(x),
           __builtin_bswap16((uint16_t)x), (unsigned long long)__builtin_bswap64((uint64_t)x << 16));
    printf("clz: %d %d ctz: %d %d\n", __builtin_clz(x), __builtin_clz(1u), __builtin_ctz(x), __builtin_ctz(0x80000000u));
    printf("popcount: %d %d parity: %d\n", __builtin_popcount(x), __builtin_popcountll(0xffffffffffULL),
           __builtin_parity(x));
    printf("clzll: %d ctzll: %d\n", __builtin_clzll(1ULL << 40), __builtin_ctzll(1ULL << 40));

    /* unaligned loads via memcpy from a byte buffer */
    unsigned char buf[16];
    for (int i = 0; i < 16; i++)
        buf[i] = (unsigned char)(0x10 + i);
    uint32_t u;
    uint16_t h;
    memcpy(&u, buf + 1, 4);
    memcpy(&h, buf + 3, 2);
    printf("unaligned u32 at 1: %08x u16 at 3: %04x\n", u, h);
    /* explicit little- and big-endian decode */
    uint32_t le = buf[4] | buf[5] << 8 | buf[6] << 16 | (uint32_t)buf[7] << 24;
    uint32_t be = (uint32_t)buf[4] << 24 | buf[5] << 16 | buf[6] << 8 | buf[7];
    printf("decode le=%08x be=%08x\n", le, be);
    return 0;
}
