/* non-zero exit status; also writes to stderr */
#include <stdio.h>

int main(void)
{
    printf("about to exit with 42\n");
    fprintf(stderr, "this goes to stderr\n");
    return 42;
}
