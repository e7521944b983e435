/* double/float arithmetic and libm */
#include <stdio.h>
#include <math.h>

int main(void)
{
    volatile double a = 1.5, b = -2.25, c = 1e-3, z = 0.0;
    volatile float fa = 0.1f, fb = 3.0f;

    printf("arith: %.6f %.6f %.6f %.6f\n", a + b, a - b, a * b, a / b);
    printf("float: %.6f %.6f %.10g\n", (double)(fa * fb), (double)(fa / fb), (double)(fa + fb));
    printf("sqrt: %.10g %.10g\n", sqrt(2.0 * a), sqrt(1e10 + a));
    printf("sin/cos: %.6f %.6f %.6f\n", sin(a), cos(a), sin(b) * cos(b));
    printf("exp/log: %.10g %.10g %.10g\n", exp(a), log(a * 100), log10(1000.0 * a));
    printf("pow: %.10g %.10g %.10g\n", pow(a, 10.0), pow(2.0, -b), pow(10.0, 0.5));
    printf("fmod: %.6f %.6f\n", fmod(10.0 + a, 3.0), fmod(b, 0.5 + c));
    printf("floor/ceil: %.1f %.1f %.1f %.1f\n", floor(b), ceil(b), floor(a), ceil(a));
    printf("round/trunc: %.1f %.1f %.1f\n", round(b), trunc(b), rint(a + 1.0));
    printf("atan2: %.10g fabs: %.3f\n", atan2(a, b), fabs(b));
    printf("inf/nan: %f %f %d %d\n", a / z, -a / z, isnan(z / z), isinf(a / z));
    printf("cmp: %d %d %d\n", a > b, a == 1.5, b >= 0);
    printf("conv: %d %u %d %.3f\n", (int)b, (unsigned)(a * 1000), (int)(fa * 100), (double)(float)(1.0 / 3.0));
    printf("i2d: %.1f %.1f\n", (double)(int)-7, (double)3000000000u);

    /* a small numerical loop: Leibniz pi and a harmonic sum */
    double pi = 0, h = 0;
    for (volatile int i = 0; i < 500; i++) {
        pi += (i & 1 ? -4.0 : 4.0) / (2 * i + 1);
        h += 1.0 / (i + 1);
    }
    printf("pi~%.10f h~%.10f\n", pi, h);
    float fs = 0;
    for (volatile int i = 1; i <= 300; i++)
        fs += 1.0f / ((float)i * (float)i);
    printf("basel float: %.6f\n", (double)fs);
    /* newton sqrt */
    double x = 10.0, r = 10.0;
    for (int i = 0; i < 20; i++)
        r = 0.5 * (r + x / r);
    printf("newton: %.12f\n", r);
    return 0;
}
