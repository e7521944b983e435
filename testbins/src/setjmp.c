/* setjmp / longjmp across several frames */
#include <stdio.h>
#include <setjmp.h>

static jmp_buf env;
static int depth_reached;

static void dive(int n)
{
    volatile char pad[64];
    pad[0] = (char)n;
    depth_reached = n + pad[0] - pad[0];
    if (n > 1000)
        return; /* never: the longjmp below fires first */
    if (n == 50)
        longjmp(env, n * 2);
    dive(n + 1);
}

static jmp_buf env2;

static int thrower(int v)
{
    if (v > 3)
        longjmp(env2, v);
    return v * 10;
}

int main(void)
{
    volatile int counter = 0;
    int r = setjmp(env);
    counter++;
    if (r == 0) {
        printf("first return from setjmp: %d\n", r);
        dive(0);
        printf("not reached\n");
    } else {
        printf("longjmp returned %d, depth %d, counter %d\n", r, depth_reached, counter);
    }

    volatile int total = 0;
    for (volatile int i = 0; i < 6; i++) {
        int v = setjmp(env2);
        if (v == 0)
            total += thrower(i);
        else
            total += v * 1000;
    }
    printf("total=%d\n", total);

    /* longjmp with 0 must yield 1 */
    jmp_buf e3;
    volatile int seen = 0;
    int v = setjmp(e3);
    if (!seen) {
        seen = 1;
        longjmp(e3, 0);
    }
    printf("longjmp(0) gives %d\n", v);
    return 0;
}
