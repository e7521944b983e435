/* function pointers, callbacks, dispatch tables, varargs */
#include <stdio.h>
#include <stdarg.h>

typedef int (*binop)(int, int);

static int add(int a, int b) { return a + b; }
static int sub(int a, int b) { return a - b; }
static int mul(int a, int b) { return a * b; }
static int divi(int a, int b) { return b ? a / b : 0; }
static int maxi(int a, int b) { return a > b ? a : b; }

static const struct {
    const char *name;
    binop fn;
} table[] = {{"add", add}, {"sub", sub}, {"mul", mul}, {"div", divi}, {"max", maxi}};

__attribute__((noinline)) static int fold(binop f, const int *v, int n, int init)
{
    int acc = init;
    for (int i = 0; i < n; i++)
        acc = f(acc, v[i]);
    return acc;
}

static binop pick(char c)
{
    switch (c) {
    case '+': return add;
    case '-': return sub;
    case '*': return mul;
    default: return NULL;
    }
}

static int sum_varargs(int count, ...)
{
    va_list ap;
    va_start(ap, count);
    int s = 0;
    for (int i = 0; i < count; i++)
        s += va_arg(ap, int);
    va_end(ap);
    return s;
}

static double mixed_varargs(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    double s = 0;
    for (const char *p = fmt; *p; p++) {
        if (*p == 'i')
            s += va_arg(ap, int);
        else if (*p == 'd')
            s += va_arg(ap, double);
        else if (*p == 'l')
            s += (double)va_arg(ap, long long);
    }
    va_end(ap);
    return s;
}

static int many_args(int a, int b, int c, int d, int e, int f, int g, int h, int i, int j)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j;
}

static void (*volatile hook)(const char *);
static void say(const char *s) { printf("hook says %s\n", s); }

int main(void)
{
    int v[] = {5, 3, 8, 1, 9, 2};
    for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++)
        printf("%s: %d\n", table[i].name, fold(table[i].fn, v, 6, 100));
    const char *ops = "+-*?";
    for (const char *p = ops; *p; p++) {
        binop f = pick(*p);
        if (f)
            printf("%c -> %d\n", *p, f(7, 6));
        else
            printf("%c -> none\n", *p);
    }
    printf("varargs: %d %d\n", sum_varargs(3, 1, 2, 3), sum_varargs(8, 1, 2, 3, 4, 5, 6, 7, 8));
    printf("mixed varargs: %.3f\n", mixed_varargs("idlid", 1, 2.5, 1LL << 33, -4, 0.125));
    int (*volatile m)(int, int, int, int, int, int, int, int, int, int) = many_args;
    printf("many args: %d\n", m(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
    hook = say;
    hook("hello");
    return 0;
}
