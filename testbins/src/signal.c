/* signal delivery to handlers: raise, sigaction, masks, siglongjmp */
#include <stdio.h>
#include <signal.h>
#include <setjmp.h>
#include <string.h>

static volatile sig_atomic_t got, count;
static volatile int info_signo;
static sigjmp_buf jb;

static void handler(int sig)
{
    got = sig;
    count++;
}

static void info_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    got = sig;
    info_signo = si->si_signo;
}

static void jump_handler(int sig)
{
    siglongjmp(jb, sig);
}

int main(void)
{
    signal(SIGUSR1, handler);
    raise(SIGUSR1);
    printf("after raise: got=%d count=%d\n", got, count);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
    got = 0;
    raise(SIGUSR2);
    printf("siginfo: got=%d si_signo=%d\n", got, info_signo);

    /* blocked signals stay pending until unblocked */
    sigset_t set, old, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    got = 0;
    raise(SIGUSR1);
    sigpending(&pend);
    printf("while blocked: got=%d pending=%d\n", got, sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("after unblock: got=%d count=%d\n", got, count);

    /* ignored signal */
    signal(SIGUSR2, SIG_IGN);
    raise(SIGUSR2);
    printf("ignored SIGUSR2 survived\n");

    /* leave a handler with siglongjmp; the mask must be restored */
    signal(SIGUSR1, jump_handler);
    int r = sigsetjmp(jb, 1);
    if (r == 0) {
        raise(SIGUSR1);
        printf("not reached\n");
    } else {
        sigset_t cur;
        sigprocmask(SIG_SETMASK, NULL, &cur);
        printf("siglongjmp from handler: %d, USR1 blocked after: %d\n", r, sigismember(&cur, SIGUSR1));
    }

    /* previous handler returned by sigaction */
    struct sigaction prev;
    sigaction(SIGUSR1, &sa, &prev);
    printf("previous handler is jump_handler: %d\n", prev.sa_handler == jump_handler);
    return 0;
}
