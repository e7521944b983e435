/* structs, unions, bitfields, struct passing and returning by value */
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <stddef.h>

struct point {
    int x, y;
};

struct mixed {
    char c;
    short s;
    int i;
    long long ll;
    double d;
    char tail[3];
};

struct flags {
    unsigned a : 1;
    unsigned b : 3;
    signed c : 5;
    unsigned d : 7;
    unsigned e : 16;
};

union pun {
    uint32_t u;
    float f;
    uint8_t bytes[4];
};

struct big {
    int v[16];
};

__attribute__((noinline)) static struct point add(struct point a, struct point b)
{
    struct point r = {a.x + b.x, a.y + b.y};
    return r;
}

__attribute__((noinline)) static struct big scale(struct big b, int k)
{
    for (int i = 0; i < 16; i++)
        b.v[i] *= k;
    return b;
}

int main(void)
{
    struct point p = add((struct point){3, 4}, (struct point){-10, 20});
    printf("point: %d %d\n", p.x, p.y);
    printf("sizeof mixed=%zu offsets c=%zu s=%zu i=%zu ll=%zu d=%zu tail=%zu\n", sizeof(struct mixed),
           offsetof(struct mixed, c), offsetof(struct mixed, s), offsetof(struct mixed, i),
           offsetof(struct mixed, ll), offsetof(struct mixed, d), offsetof(struct mixed, tail));

    volatile struct flags fl;
    memset((void *)&fl, 0, sizeof fl);
    fl.a = 1;
    fl.b = 5;
    fl.c = -7;
    fl.d = 100;
    fl.e = 0xbeef;
    printf("bitfields: a=%u b=%u c=%d d=%u e=%x sizeof=%zu\n", fl.a, fl.b, fl.c, fl.d, fl.e,
           sizeof(struct flags));
    fl.b += 4; /* wraps in 3 bits */
    fl.c -= 10; /* wraps in signed 5 bits (implementation-defined, gcc truncates) */
    printf("wrapped: b=%u c=%d\n", fl.b, fl.c);
    uint32_t raw;
    memcpy(&raw, (const void *)&fl, 4);
    printf("raw first word: %08x\n", raw);

    union pun u;
    u.f = 1.0f;
    printf("float 1.0 bits: %08x\n", u.u);
    u.u = 0x40490fdb;
    printf("bits 40490fdb as float: %.6f\n", (double)u.f);
    u.u = 0x11223344;
    printf("bytes of 0x11223344: %02x %02x %02x %02x\n", u.bytes[0], u.bytes[1], u.bytes[2], u.bytes[3]);

    struct big b;
    for (int i = 0; i < 16; i++)
        b.v[i] = i - 8;
    struct big c = scale(b, 3);
    int s = 0;
    for (int i = 0; i < 16; i++)
        s += c.v[i] * (i + 1);
    printf("big by value: orig v[0]=%d scaled v[0]=%d v[15]=%d weighted=%d\n", b.v[0], c.v[0], c.v[15], s);

    struct mixed arr[3];
    memset(arr, 0, sizeof arr);
    for (int i = 0; i < 3; i++) {
        arr[i].c = (char)('a' + i);
        arr[i].s = (short)(-1000 * i);
        arr[i].i = 100000 * i;
        arr[i].ll = (long long)i << 40;
        arr[i].d = i * 0.25;
        strcpy(arr[i].tail, "xy");
    }
    for (int i = 0; i < 3; i++)
        printf("arr[%d]: %c %d %d %lld %.2f %s\n", i, arr[i].c, arr[i].s, arr[i].i, arr[i].ll, arr[i].d,
               arr[i].tail);
    return 0;
}
