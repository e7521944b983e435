/* Asynchronous signals: SIGALRM from alarm() and setitimer() interrupting compute
   loops (native code in the jit tiers), pause(), sigsuspend(), nanosleep(), and a
   blocked SIGALRM staying pending until sigprocmask unblocks it.  Every wait is for a
   flag or a pending bit, so the output does not depend on timing. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t fired;
static volatile int blocked_in_handler;

static void on_alarm(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    blocked_in_handler = sigismember(&cur, sig);
    fired++;
}

static void arm_ms(long first, long every)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_usec = first * 1000;
    it.it_interval.tv_usec = every * 1000;
    setitimer(ITIMER_REAL, &it, NULL);
}

static unsigned long spin_until(int n)
{
    unsigned long spins = 0;
    while (fired < n)
        spins++;
    return spins;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);

    /* alarm(): the handler interrupts a loop that only reads memory */
    alarm(1);
    spin_until(1);
    printf("alarm: fired=%d, SIGALRM blocked in its handler: %d\n", fired,
           blocked_in_handler);

    /* the seconds left of an earlier alarm */
    alarm(100);
    printf("alarm(0) after alarm(100): %u\n", alarm(0));

    /* a periodic timer, then disarmed */
    fired = 0;
    arm_ms(10, 10);
    spin_until(3);
    struct itimerval cur;
    getitimer(ITIMER_REAL, &cur);
    printf("setitimer: 3 ticks, armed while ticking: %d\n",
           cur.it_interval.tv_usec == 10000);
    arm_ms(0, 0);
    getitimer(ITIMER_REAL, &cur);
    printf("disarmed: %ld %ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);

    /* pause() returns -1/EINTR once a handler has run (the timer is periodic: a tick
       that comes before the call starts does not leave it waiting forever) */
    fired = 0;
    arm_ms(20, 20);
    int r = pause();
    arm_ms(0, 0);
    printf("pause: %d %s, handler ran: %d\n", r, r == -1 && errno == EINTR ? "EINTR" : "?",
           fired > 0);

    /* nanosleep is cut short: -1/EINTR with the time left */
    fired = 0;
    arm_ms(20, 20);
    struct timespec req = {5, 0}, rem = {0, 0};
    r = nanosleep(&req, &rem);
    arm_ms(0, 0);
    printf("nanosleep: %d %s, handler ran: %d, time left: %d\n", r,
           r == -1 && errno == EINTR ? "EINTR" : "?", fired > 0,
           rem.tv_sec > 0 && rem.tv_sec < 5);

    /* blocked: pending, no handler, until unblocked */
    sigset_t alrm, old, pend;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, &old);
    fired = 0;
    arm_ms(10, 0);
    do
        sigpending(&pend);
    while (!sigismember(&pend, SIGALRM));
    printf("blocked: pending=1 fired=%d\n", fired);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("unblocked: fired=%d\n", fired);

    /* sigsuspend() waits with SIGALRM unblocked, then restores the mask */
    sigprocmask(SIG_BLOCK, &alrm, NULL);
    fired = 0;
    arm_ms(10, 0);
    sigset_t none;
    sigemptyset(&none);
    r = sigsuspend(&none);
    sigset_t after;
    sigprocmask(SIG_SETMASK, NULL, &after);
    printf("sigsuspend: %d %s fired=%d, blocked again after: %d\n", r,
           r == -1 && errno == EINTR ? "EINTR" : "?", fired, sigismember(&after, SIGALRM));
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* SIG_IGN: a timer signal nobody catches does nothing */
    signal(SIGALRM, SIG_IGN);
    arm_ms(10, 0);
    struct timespec nap = {0, 50 * 1000 * 1000};
    nanosleep(&nap, NULL);
    printf("ignored SIGALRM survived\n");

    /* SIG_DFL: the timer ends the program (status 142) */
    signal(SIGALRM, SIG_DFL);
    fflush(stdout);
    alarm(1);
    for (;;)
        ;
}
