/* For tests/test_signals.py (not a cases.toml case: it waits for a signal from
   outside).  Catches SIGUSR1, SIGUSR2 and SIGINT, ignores SIGHUP, leaves SIGTERM at its
   default; prints "ready", then:
     (no argument)  spins in a compute loop until a handler has run;
     block          blocks SIGUSR1 and polls sigpending until it is pending, then
                    unblocks it (its handler runs only then);
     pause          waits in pause(). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_signal(int sig)
{
    got = sig;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    sigset_t usr1, pend;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    if (!strcmp(mode, "block"))
        sigprocmask(SIG_BLOCK, &usr1, NULL);
    printf("ready\n");
    fflush(stdout);
    if (!strcmp(mode, "block")) {
        do
            sigpending(&pend);
        while (!sigismember(&pend, SIGUSR1));
        printf("pending, handled: %d\n", got);
        sigprocmask(SIG_UNBLOCK, &usr1, NULL);
        printf("unblocked, handled: %d\n", got);
        return 0;
    }
    if (!strcmp(mode, "pause")) {
        int r = pause();
        printf("pause: %d %s, handled: %d\n", r, r == -1 && errno == EINTR ? "EINTR" : "?",
               got);
        return 0;
    }
    unsigned long spins = 0;
    while (!got)
        spins++;
    printf("handled: %d\n", got);
    return 0;
}
