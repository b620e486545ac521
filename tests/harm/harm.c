/*
 * Programs that do what real programs do to their own process, for
 * harm.py to run plainly and under the agent and compare:
 *
 *   closefds   after start-up, closes every descriptor above 2 (as daemons
 *              and supervisors do), then opens a pipe and a listening
 *              socket and uses them for 3 s: bytes read, connections
 *              accepted, descriptors someone else closed, CPU time used
 *   exit-main  the main thread ends with pthread_exit(); a worker ends
 *              0.2 s later: the process must end with it
 *   fork-thread  a thread forks; the child's only thread ends: the child
 *              must end
 *   setuid     (root) switches to uid and gid 65534 after start-up
 *   mlock      mlockall(MCL_CURRENT | MCL_FUTURE); prints VmLck
 *   forks      forks 2 children that exit at once, then counts its threads
 *              (under RLIMIT_NPROC or a small pids.max)
 *   exit-children  forks 5 children that leave by _exit() after 0.2 s
 *   clone          clone() with namespace flags; each child counts its
 *                  threads, unshares a UTS namespace and switches user
 *
 * Each prints what it saw on stdout; those that idle afterwards print
 * "ready PID" first and wait for their standard input to close.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void nap_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

static int threads_here(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;

    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n - 2; /* . and .. */
}

static void idle(void)
{
    char c;

    printf("ready %ld\n", (long)getpid());
    fflush(stdout);
    while (read(0, &c, 1) > 0)
        ;
}

/* ---- closefds -------------------------------------------------------- */

#define CHUNKS 30
#define CHUNK 64
#define CONNECTIONS 10

static int pipe_w;
static struct sockaddr_in addr;

static void *feeder(void *arg)
{
    char chunk[CHUNK];
    int i;

    (void)arg;
    memset(chunk, 'x', sizeof chunk);
    for (i = 0; i < CHUNKS; i++) {
        if (write(pipe_w, chunk, sizeof chunk) != (ssize_t)sizeof chunk)
            break;
        if (i % 3 == 0 && i / 3 < CONNECTIONS) {
            int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (connect(s, (struct sockaddr *)&addr, sizeof addr) != 0)
                perror("connect");
            close(s);
        }
        nap_ms(100);
    }
    close(pipe_w);
    return NULL;
}

struct kept {
    int fd;
    dev_t dev;
    ino_t ino;
};

static int still(const struct kept *k)
{
    struct stat st;

    return fstat(k->fd, &st) == 0 && st.st_dev == k->dev && st.st_ino == k->ino;
}

static void keep(struct kept *k, int fd)
{
    struct stat st;

    fstat(fd, &st);
    k->fd = fd;
    k->dev = st.st_dev;
    k->ino = st.st_ino;
}

static int closefds(void)
{
    struct kept k[3];
    struct rusage before, after;
    socklen_t alen = sizeof addr;
    pthread_t t;
    int p[2], l, got = 0, accepted = 0, lost = 0, i, fd;
    long cpu_ms;
    char buf[256];

    /* Long enough for an agent to have opened everything it opens. */
    nap_ms(1000);
    for (fd = 3; fd < 4096; fd++)
        close(fd);
    if (pipe(p) != 0)
        return 1;
    l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(l, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(l, 16) != 0 ||
        getsockname(l, (struct sockaddr *)&addr, &alen) != 0)
        return 1;
    keep(&k[0], p[0]);
    keep(&k[1], p[1]);
    keep(&k[2], l);
    pipe_w = p[1];
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    getrusage(RUSAGE_SELF, &before);
    pthread_create(&t, NULL, feeder, NULL);
    for (i = 0; i < 400; i++) {
        ssize_t n;
        int c;

        while ((n = read(p[0], buf, sizeof buf)) > 0)
            got += (int)n;
        while ((c = accept(l, NULL, NULL)) >= 0) {
            accepted++;
            close(c);
        }
        if (!still(&k[0]) || !still(&k[2]))
            break;
        nap_ms(10);
        if (n == 0 && accepted == CONNECTIONS)
            break;
    }
    pthread_join(t, NULL);
    /* The pipe's write end was closed by the feeder, as planned. */
    lost = !still(&k[0]) + !still(&k[2]);
    /* Idle with the new descriptors: a thread polling closed numbers
     * would show here. */
    nap_ms(2000);
    getrusage(RUSAGE_SELF, &after);
    cpu_ms = (after.ru_utime.tv_sec - before.ru_utime.tv_sec) * 1000L +
             (after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1000 +
             (after.ru_stime.tv_sec - before.ru_stime.tv_sec) * 1000L +
             (after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1000;
    printf("read %d of %d bytes, accepted %d of %d, closed by someone else "
           "%d\n",
           got, CHUNKS * CHUNK, accepted, CONNECTIONS, lost);
    fprintf(stderr, "cpu_ms %ld\n", cpu_ms);
    idle();
    return 0;
}

/* ---- exit-main, fork-thread ----------------------------------------- */

static void *late_worker(void *arg)
{
    (void)arg;
    nap_ms(200);
    printf("worker done\n");
    fflush(stdout);
    return NULL;
}

static int exit_main(void)
{
    pthread_t t;

    nap_ms(500); /* the agent is up */
    pthread_create(&t, NULL, late_worker, NULL);
    pthread_exit(NULL);
}

static void *forking(void *arg)
{
    pid_t *child = arg;

    *child = fork();
    if (*child == 0) {
        /* The child's only thread: when it returns, the child ends. */
        printf("child %s\n", "running");
        fflush(stdout);
    }
    return NULL;
}

static int fork_thread(void)
{
    pthread_t t;
    pid_t child = -1;
    int status;

    nap_ms(500);
    pthread_create(&t, NULL, forking, &child);
    pthread_join(t, NULL);
    if (child <= 0)
        return child == 0 ? 0 : 1;
    if (waitpid(child, &status, 0) != child)
        return 1;
    printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}

/* ---- setuid, mlock, forks, exit-children ------------------------------ */

static int switch_user(void)
{
    nap_ms(1000);
    if (setgid(65534) != 0 || setuid(65534) != 0) {
        perror("setuid");
        return 1;
    }
    idle();
    return 0;
}

static int lock_all(void)
{
    FILE *f;
    char line[256];

    nap_ms(500);
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
        printf("mlockall: %s\n", strerror(errno));
        return 0;
    }
    nap_ms(500);
    f = fopen("/proc/self/status", "r");
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmLck:", 6) == 0)
            printf("%s", line);
    if (f != NULL)
        fclose(f);
    return 0;
}

static int forks(int n, int leave_by_exit, long live_ms)
{
    int i, failed = 0, status;

    nap_ms(500);
    for (i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0) {
            nap_ms(live_ms);
            if (leave_by_exit)
                _exit(0);
            exit(0);
        }
        if (p < 0) {
            printf("fork: %s\n", strerror(errno));
            failed++;
        }
    }
    while (wait(&status) > 0)
        failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    printf("%d children, %d failed\n", n, failed);
    if (leave_by_exit)
        idle();
    return failed != 0;
}

/* ---- clone ----------------------------------------------------------- */

/* In the clone child: one thread of its own, calls that need a single
 * thread work, and so does a set*id() (glibc applies it to every thread). */
static int clone_child(void *arg)
{
    int pipe_w = *(int *)arg;
    char line[128];
    int n = snprintf(line, sizeof line, "threads %d unshare %s setuid %s\n",
                     threads_here(),
                     unshare(CLONE_NEWUTS) == 0 ? "ok" : strerror(errno),
                     setuid(0) == 0 ? "ok" : strerror(errno));

    if (write(pipe_w, line, (size_t)n) != n)
        return 1;
    return 0;
}

static int clones(void)
{
    static const struct {
        const char *name;
        int flags;
    } kinds[] = {{"CLONE_NEWUSER", CLONE_NEWUSER},
                 {"CLONE_NEWUSER|CLONE_NEWNS", CLONE_NEWUSER | CLONE_NEWNS},
                 {"CLONE_NEWNS|CLONE_NEWPID", CLONE_NEWNS | CLONE_NEWPID}};
    size_t i;

    nap_ms(300); /* the agent's trimmer has begun */
    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t size = 256 * 1024;
        char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        char line[128] = "";
        int fds[2], status = -1;
        pid_t pid;
        ssize_t n;

        if (stack == MAP_FAILED || pipe(fds) != 0)
            return 1;
        pid = clone(clone_child, stack + size, kinds[i].flags | SIGCHLD,
                    &fds[1]);
        close(fds[1]);
        if (pid < 0) {
            printf("%s: clone: %s\n", kinds[i].name, strerror(errno));
        } else {
            n = read(fds[0], line, sizeof line - 1);
            line[n > 0 ? n : 0] = '\0';
            line[strcspn(line, "\n")] = '\0';
            waitpid(pid, &status, 0);
            printf("%s: %s, exit %d\n", kinds[i].name, line,
                   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        }
        close(fds[0]);
        munmap(stack, size);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";

    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(120); /* nothing here may hang a test run */
    if (strcmp(what, "closefds") == 0)
        return closefds();
    if (strcmp(what, "exit-main") == 0)
        return exit_main();
    if (strcmp(what, "fork-thread") == 0)
        return fork_thread();
    if (strcmp(what, "setuid") == 0)
        return switch_user();
    if (strcmp(what, "mlock") == 0)
        return lock_all();
    if (strcmp(what, "forks") == 0) {
        int failed = forks(2, 0, 0);

        /* Under the agent, none of its threads may be left. */
        printf("threads %d\n", threads_here());
        return failed;
    }
    if (strcmp(what, "exit-children") == 0)
        return forks(5, 1, 200);
    if (strcmp(what, "clone") == 0)
        return clones();
    fprintf(stderr, "usage: harm closefds|exit-main|fork-thread|setuid|mlock|"
                    "forks|exit-children|clone\n");
    return 2;
}
