/* snprintf / sscanf / strtol / strtoul / atoi / strtod */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

int main(void)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%d-%s-%x", 42, "abc", 255);
    printf("snprintf: [%s] %d\n", buf, n);
    volatile size_t small = 8;
    n = snprintf(buf, small, "%s", "truncated string");
    printf("snprintf trunc: [%s] %d\n", buf, n);
    n = snprintf(NULL, 0, "%lld", -1234567890123LL);
    printf("snprintf len only: %d\n", n);

    int a, b;
    char word[16];
    float f;
    double d;
    n = sscanf("12 -34 hello 2.5 1e-3", "%d %d %15s %f %lf", &a, &b, word, &f, &d);
    printf("sscanf: n=%d a=%d b=%d word=%s f=%.2f d=%g\n", n, a, b, word, (double)f, d);
    unsigned x;
    long long ll;
    n = sscanf("ff:123456789012", "%x:%lld", &x, &ll);
    printf("sscanf hex/ll: n=%d %u %lld\n", n, x, ll);
    char c;
    n = sscanf("key=value", "%15[^=]=%c", word, &c);
    printf("sscanf set: n=%d %s %c\n", n, word, c);
    n = sscanf("abc", "%d", &a);
    printf("sscanf fail: %d\n", n);

    char *end;
    long v = strtol("  -12345xyz", &end, 10);
    printf("strtol: %ld rest=[%s]\n", v, end);
    printf("strtol hex: %ld %ld %ld\n", strtol("0x1F", NULL, 16), strtol("0x1F", NULL, 0), strtol("777", NULL, 8));
    printf("strtol base36: %ld\n", strtol("zz", NULL, 36));
    errno = 0;
    v = strtol("99999999999999999999", NULL, 10);
    printf("strtol overflow: %ld erange=%d\n", v, errno == ERANGE);
    printf("strtoul: %lu\n", strtoul("4294967295", NULL, 10));
    printf("strtoll: %lld strtoull: %llu\n", strtoll("-9223372036854775807", NULL, 10),
           strtoull("18446744073709551615", NULL, 10));
    printf("atoi: %d %d %d\n", atoi("123"), atoi("-0042"), atoi("7up"));
    printf("atol: %ld\n", atol("2147483647"));
    double dd = strtod("3.25e2rest", &end);
    printf("strtod: %.3f rest=[%s]\n", dd, end);
    printf("atof: %.4f\n", atof("-0.0625"));

    /* integer to string round trip */
    unsigned long sum = 0;
    for (int i = -500; i < 500; i += 7) {
        snprintf(buf, sizeof buf, "%d", i * 1237);
        sum += (unsigned long)strtol(buf, NULL, 10) + strlen(buf);
    }
    printf("round trip sum: %lu\n", sum);
    return 0;
}
