/* uncaught SIGSEGV: null pointer store kills the process (status 139) */
#include <stdio.h>

int main(void)
{
    printf("before fault\n");
    fflush(stdout);
    *(volatile int *)0 = 1;
    printf("not reached\n");
    return 0;
}
