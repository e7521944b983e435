/* catching SIGSEGV from a bad load and recovering with siglongjmp */
#include <stdio.h>
#include <signal.h>
#include <setjmp.h>
#include <string.h>
#include <stdint.h>

static sigjmp_buf jb;
static volatile uintptr_t fault_addr;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    fault_addr = (uintptr_t)si->si_addr;
    siglongjmp(jb, sig);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);

    volatile int total = 0;
    for (int i = 0; i < 3; i++) {
        int r = sigsetjmp(jb, 1);
        if (r == 0) {
            volatile int *bad = (volatile int *)(uintptr_t)(16 + 4 * i);
            total += *bad;
            printf("not reached\n");
        } else {
            printf("caught signal %d at address %lu\n", r, (unsigned long)fault_addr);
            total += 1;
        }
    }
    printf("recovered %d times\n", total);
    return 0;
}
