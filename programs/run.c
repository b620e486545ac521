/*
 * heapmin run: runs a program with the preload agent. It only prepares the
 * environment (HEAPMIN_AUTO from the options, the agent added to
 * LD_PRELOAD) and execs, so the program's exit status is heapmin run's.
 *
 * Where LD_PRELOAD cannot load the agent (a static executable, one for
 * another machine, a musl program, a setuid, setgid or capability-raising
 * one, for which the loader ignores LD_PRELOAD) it says so first and runs
 * the program unchanged.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../agent/config.h"
#include "commands.h"

/* heapmin run's own failures, before the program runs (as env(1)). */
#define EXIT_CANNOT_RUN 125
#define EXIT_NOT_EXECUTABLE 126
#define EXIT_NOT_FOUND 127

/* What matters in an executable's header for loading the agent into it. */
struct exe {
    int elf;          /* 1: ELF; 0: a script ("#!") or something else */
    int cls, machine; /* ELFCLASS32/64, EM_* */
    int has_interp;   /* a dynamic loader is named (PT_INTERP) */
    char interp[256]; /* the loader, or a script's interpreter */
};

static int read_exe(const char *path, struct exe *e)
{
    unsigned char h[64];
    int fd = open(path, O_RDONLY | O_CLOEXEC), i, n;
    ssize_t got;

    memset(e, 0, sizeof *e);
    if (fd < 0)
        return -1;
    got = pread(fd, h, sizeof h, 0);
    if (got >= 2 && h[0] == '#' && h[1] == '!') {
        /* The interpreter: the first word after "#!". */
        char line[256];
        got = pread(fd, line, sizeof line - 1, 2);
        line[got > 0 ? got : 0] = '\0';
        sscanf(line, " %255[^ \t\n]", e->interp);
    } else if (got >= 52 && memcmp(h, ELFMAG, SELFMAG) == 0) {
        unsigned long long phoff;
        unsigned phsize, phnum;
        e->elf = 1;
        e->cls = h[EI_CLASS];
        if (e->cls == ELFCLASS64) {
            Elf64_Ehdr *x = (Elf64_Ehdr *)h;
            e->machine = x->e_machine;
            phoff = x->e_phoff;
            phsize = x->e_phentsize;
            phnum = x->e_phnum;
        } else {
            Elf32_Ehdr *x = (Elf32_Ehdr *)h;
            e->machine = x->e_machine;
            phoff = x->e_phoff;
            phsize = x->e_phentsize;
            phnum = x->e_phnum;
        }
        for (i = 0; i < (int)phnum && phsize <= sizeof h; i++) {
            unsigned long long off, size;
            unsigned type;
            if (pread(fd, h, phsize, (off_t)(phoff + (unsigned)i * phsize)) !=
                (ssize_t)phsize)
                break;
            if (e->cls == ELFCLASS64) {
                Elf64_Phdr *p = (Elf64_Phdr *)h;
                type = p->p_type, off = p->p_offset, size = p->p_filesz;
            } else {
                Elf32_Phdr *p = (Elf32_Phdr *)h;
                type = p->p_type, off = p->p_offset, size = p->p_filesz;
            }
            if (type == PT_INTERP && size < sizeof e->interp) {
                n = (int)pread(fd, e->interp, size, (off_t)off);
                e->interp[n > 0 ? n : 0] = '\0';
                e->has_interp = 1;
            }
        }
    }
    close(fd);
    return 0;
}

/* Why the agent cannot work in path (NULL: it can). */
static const char *why_not(const char *path, int depth)
{
    static char why[512];
    struct exe e, self;
    struct stat st;

    if (stat(path, &st) != 0 || read_exe(path, &e) != 0)
        return NULL; /* exec will say what is wrong */
    if (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
        ((st.st_mode & S_ISGID) && st.st_gid != getegid()))
        return "it is setuid or setgid, and the loader ignores LD_PRELOAD "
               "there";
    if (getxattr(path, "security.capability", NULL, 0) >= 0)
        return "it has file capabilities, and the loader ignores LD_PRELOAD "
               "there";
    if (!e.elf)
        return e.interp[0] == '/' && depth == 0 ? why_not(e.interp, 1) : NULL;
    if (read_exe("/proc/self/exe", &self) == 0 && self.elf &&
        (e.cls != self.cls || e.machine != self.machine)) {
        snprintf(why, sizeof why,
                 "it is built for another machine (ELF class %d, machine %d; "
                 "the agent: class %d, machine %d)",
                 e.cls, e.machine, self.cls, self.machine);
        return why;
    }
    if (!e.has_interp)
        return "it is a static executable: there is no dynamic loader to "
               "preload the agent";
    if (strstr(e.interp, "musl") != NULL)
        return "it is a musl program, and the agent is built for glibc";
    return NULL;
}

/* PROGRAM as execvp would find it, into out. */
static int find_program(const char *name, char *out, size_t size)
{
    const char *p = getenv("PATH");

    if (strchr(name, '/') != NULL)
        return snprintf(out, size, "%s", name) < (int)size ? 0 : -1;
    if (p == NULL)
        p = "/usr/local/bin:/usr/bin:/bin";
    while (*p != '\0') {
        size_t n = strcspn(p, ":");
        if (snprintf(out, size, "%.*s%s%s", (int)n, p, n ? "/" : "", name) <
                (int)size &&
            access(out, X_OK) == 0)
            return 0;
        p += n + (p[n] == ':');
    }
    return -1;
}

/* The agent beside this command: in the build tree, or installed. */
static const char *agent_path(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

    self[n > 0 ? n : 0] = '\0';
    return strcmp(self, HEAPMIN_BUILD_COMMAND) == 0 ? HEAPMIN_BUILD_AGENT
                                                    : HEAPMIN_INSTALLED_AGENT;
}

/* Says what is wrong with the command line; main prints the usage. */
static int bad(char *problem, size_t size, const char *what)
{
    snprintf(problem, size, "%s", what);
    return HEAPMIN__EXIT_USAGE;
}

/*
 * Adds key=value to the HEAPMIN_AUTO being built, checked on its own.
 * Returns 0, or HEAPMIN__EXIT_USAGE with the problem.
 */
static int add(char *conf, size_t size, const char *option, const char *key,
               const char *value, char *problem, size_t psize)
{
    struct heapmin__agent_config c;
    char item[600], err[256];
    size_t len = strlen(conf);

    snprintf(item, sizeof item, "%s=%s", key, value);
    if (strchr(value, ',') != NULL ||
        heapmin__agent_parse(item, &c, err, sizeof err) != 0) {
        snprintf(item, sizeof item, "run: %s \"%s\": %s", option, value,
                 strchr(value, ',') ? "a comma cannot be passed on" : err);
        return bad(problem, psize, item);
    }
    if (len + strlen(item) + 2 > size)
        return bad(problem, psize, "run: options too long");
    snprintf(conf + len, size - len, "%s%s", len ? "," : "", item);
    return 0;
}

int heapmin__run(int argc, char **argv, char *problem, size_t size)
{
    const char *env = getenv("HEAPMIN_AUTO"), *agent, *why, *old;
    char conf[2048], program[PATH_MAX], abs[PATH_MAX], err[256];
    char preload[2 * PATH_MAX];
    struct heapmin__agent_config c;
    int i = 0, rc = 0;

    snprintf(conf, sizeof conf, "%s", env != NULL ? env : "");
    if (heapmin__agent_parse(conf, &c, err, sizeof err) != 0) {
        snprintf(abs, sizeof abs, "run: HEAPMIN_AUTO in the environment: %s",
                 err);
        return bad(problem, size, abs);
    }
    for (; i < argc && rc == 0 && argv[i][0] == '-'; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--") == 0) {
            i++;
            break;
        } else if (strcmp(o, "--no-pressure") == 0) {
            rc = add(conf, sizeof conf, o, "pressure", "off", problem,
                     size);
            continue;
        } else if (strcmp(o, "--no-control") == 0) {
            rc = add(conf, sizeof conf, o, "control", "off", problem,
                     size);
            continue;
        } else if (strcmp(o, "--interval") != 0 && strcmp(o, "--budget") != 0 &&
                   strcmp(o, "--max-stall") != 0 && strcmp(o, "--log") != 0) {
            snprintf(abs, sizeof abs, "run: unknown option %s", o);
            return bad(problem, size, abs);
        }
        if (v == NULL) {
            snprintf(abs, sizeof abs, "run: %s needs a value", o);
            return bad(problem, size, abs);
        }
        i++;
        if (strcmp(o, "--log") == 0 && strcmp(v, "-") == 0)
            v = "stderr";
        else if (strcmp(o, "--log") == 0 && v[0] != '/') {
            /* The agent opens it in the program, and its children in
             * theirs: a path that does not depend on where they run. */
            char cwd[PATH_MAX];
            if (getcwd(cwd, sizeof cwd) == NULL ||
                snprintf(abs, sizeof abs, "%s/%s", cwd, v) >= (int)sizeof abs)
                return bad(problem, size, "run: --log: path too long");
            v = abs;
        }
        rc = add(conf, sizeof conf, o,
                 strcmp(o, "--max-stall") == 0 ? "max_stall" : o + 2, v,
                 problem, size);
    }
    if (rc != 0)
        return rc;
    if (i >= argc)
        return bad(problem, size, "run: no PROGRAM given");
    if (find_program(argv[i], program, sizeof program) != 0) {
        fprintf(stderr, "heapmin run: %s: command not found\n", argv[i]);
        return EXIT_NOT_FOUND;
    }
    why = why_not(program, 0);
    if (why != NULL) {
        fprintf(stderr,
                "heapmin run: %s: %s; running it without automatic "
                "trimming\n",
                program, why);
    } else {
        agent = agent_path();
        /* The loader splits LD_PRELOAD at both. */
        if (strpbrk(agent, ": ") != NULL) {
            fprintf(stderr,
                    "heapmin run: the agent's path %s has a colon or a "
                    "space, which LD_PRELOAD cannot carry\n",
                    agent);
            return EXIT_CANNOT_RUN;
        }
        if (access(agent, R_OK) != 0) {
            fprintf(stderr, "heapmin run: the agent %s: %s\n", agent,
                    strerror(errno));
            return EXIT_CANNOT_RUN;
        }
        old = getenv("LD_PRELOAD");
        snprintf(preload, sizeof preload, "%s%s%s", old ? old : "",
                 old && *old ? ":" : "", agent);
        if (setenv("HEAPMIN_AUTO", conf, 1) != 0 ||
            setenv("LD_PRELOAD", preload, 1) != 0) {
            perror("heapmin run: setenv");
            return EXIT_CANNOT_RUN;
        }
    }
    execv(program, argv + i);
    fprintf(stderr, "heapmin run: %s: %s\n", program, strerror(errno));
    return errno == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
}
