/* A forked child has signals of its own: its SIGALRM handler interrupts a loop that
   only reads memory (native code in the jit tiers) and its pause() returns EINTR;
   the parent's SIGCHLD handler runs when the child exits, and waitpid reports the
   child's status.  The timer is periodic, so no wait depends on timing. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t fired, children;

static void on_alarm(int sig)
{
    (void)sig;
    fired++;
}

static void on_child(int sig)
{
    (void)sig;
    children++;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_child;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGALRM, on_alarm);
        struct itimerval it = {{0, 10000}, {0, 10000}};
        setitimer(ITIMER_REAL, &it, NULL);
        while (fired < 3)
            ;
        int r = pause();
        printf("child: 3 ticks, then pause: %d %s\n", r,
               r == -1 && errno == EINTR ? "EINTR" : "?");
        return 7;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    printf("parent: child exited with %d, SIGCHLD handled: %d\n", WEXITSTATUS(status),
           children > 0);
    return 0;
}
