/* 8/16-bit arithmetic, sign and zero extension, char signedness */
#include <stdio.h>
#include <stdint.h>

__attribute__((noinline)) static int widen_s8(int8_t x) { return x; }
__attribute__((noinline)) static unsigned widen_u8(uint8_t x) { return x; }
__attribute__((noinline)) static int widen_s16(int16_t x) { return x; }
__attribute__((noinline)) static unsigned widen_u16(uint16_t x) { return x; }
__attribute__((noinline)) static int8_t narrow_s8(int x) { return (int8_t)x; }
__attribute__((noinline)) static int16_t narrow_s16(int x) { return (int16_t)x; }

int main(void)
{
    volatile int8_t a = -100, b = 100;
    volatile uint8_t ua = 200, ub = 100;
    volatile int16_t sa = -30000, sb = 30000;
    volatile uint16_t usa = 60000, usb = 10000;

    printf("s8: %d %d %d %d\n", a + b, (int8_t)(a - b), (int8_t)(b + b), a * b);
    printf("u8: %u %u %u %u\n", ua + ub, (uint8_t)(ua + ub), (uint8_t)(ub - ua), ua * ub);
    printf("s16: %d %d %d\n", sa + sb, (int16_t)(sa - sb), (int16_t)(sb * 3));
    printf("u16: %u %u %u\n", usa + usb, (uint16_t)(usa + usb), (uint16_t)(usb - usa));
    printf("widen: %d %u %d %u\n", widen_s8(-1), widen_u8(255), widen_s16(-2), widen_u16(65535));
    printf("narrow: %d %d %d %d\n", narrow_s8(0x1ff), narrow_s8(0x80), narrow_s16(0x18000), narrow_s16(70000));

    volatile char c = (char)0xe9;
    printf("plain char 0xe9 as int: %d (char is %s)\n", (int)c, (char)-1 < 0 ? "signed" : "unsigned");
    volatile signed char sc = (signed char)0xe9;
    volatile unsigned char uc = 0xe9;
    printf("signed char: %d unsigned char: %d\n", sc, uc);

    /* arrays of small types: loads/stores of bytes and halfwords */
    int8_t s8[16];
    uint16_t u16[16];
    int16_t s16[16];
    for (int i = 0; i < 16; i++) {
        s8[i] = (int8_t)(i * 23 - 150);
        u16[i] = (uint16_t)(i * 5000 + 12345);
        s16[i] = (int16_t)(i * -4321 + 1000);
    }
    int sum8 = 0, sum16s = 0;
    unsigned sum16 = 0;
    for (int i = 0; i < 16; i++) {
        sum8 += s8[i];
        sum16 += u16[i];
        sum16s += s16[i];
    }
    printf("sums: %d %u %d\n", sum8, sum16, sum16s);
    printf("elems: %d %d %u %d\n", s8[0], s8[15], u16[15], s16[15]);

    /* byte-wise access of a word */
    volatile uint32_t w = 0x80ff017fu;
    const volatile int8_t *wb = (const volatile int8_t *)&w;
    const volatile int16_t *wh = (const volatile int16_t *)&w;
    printf("bytes of word: %d %d %d %d\n", wb[0], wb[1], wb[2], wb[3]);
    printf("halves of word: %d %d\n", wh[0], wh[1]);

    /* comparison after promotion */
    volatile uint8_t x = 255;
    volatile int8_t y = -1;
    printf("promo: %d %d %d\n", x == y, (uint8_t)y == x, (int8_t)x == y);
    volatile uint16_t h = 0xffff;
    printf("~h=%d ~(uint16)h=%u\n", ~h, (uint16_t)~h);
    return 0;
}
