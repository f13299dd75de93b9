/*
 * phasefs.c — the phasefs FUSE daemon: command line and -o options, the image
 * (medium_open then pfs_mount), the FUSE session, logging and shutdown (DESIGN.md
 * "src/daemon", STYLE.md "Options" and "Output"). The operations live in ops.c.
 *
 * Order of work, and why:
 *   1. parse IMAGE, MOUNTPOINT and options (fuse_opt table into struct
 *      phasefs_options via offsetof, then fuse_parse_cmdline), so -o options work
 *      from fstab and `mount -t fuse.phasefs` (mount.fuse3 runs `phasefs IMAGE MNT -o
 *      OPTS`);
 *   2. unless -f, fork now: the child does all the work and tells the waiting parent
 *      its status through a pipe once mounted, so a refused image gives mount(8) the
 *      documented exit code, and no thread of libpfs ever crosses a fork;
 *   3. open the image and mount libpfs (one error line and an exit code on failure),
 *      then mount the FUSE session and serve requests (multi-threaded unless -s);
 *   4. on unmount, SIGTERM, SIGINT or SIGHUP: leave the loop, unmount the session,
 *      pfs_unmount (commits everything) and medium_close (syncs the image).
 * Log lines go through fuse_log(): to stderr in the foreground, to syslog(3) once
 * daemonized.
 */
#include "daemon.h"
#include "medium.h"
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#define MAX_WRITE_BYTES (1u << 20)
#define MAX_RETRIES 100u /* phasefs(8)'s bound; libsector itself would take up to 1000 */

/* -o options of our own; the rest go to libfuse. Filled by fuse_opt_parse. Numbers are
 * taken as text and parsed strictly (fuse_opt's %u takes "-1" as 4294967295 and wraps
 * larger values), so every bound phasefs(8) gives is the one enforced. */
struct phasefs_options {
    char *placement;          /* auto | near | far | spread */
    char *verify;             /* on | off */
    char *retries;            /* NULL: libsector's default */
    char *commit_ms;          /* NULL or 0: libpfs's default (5000) */
    char *cache_clusters;     /* NULL or 0: libpfs's default (64) */
    int read_only;            /* -o ro (kept for the kernel too) */
    int fsname_given;         /* -o fsname=... given: do not add ours */
    int allow_other;          /* -o allow_other: other users reach the mount */
    int default_permissions;  /* -o default_permissions given */
    int show_help, show_version;
    char *image;              /* first non-option argument */
    char *mountpoint;         /* second (also left for fuse_parse_cmdline) */
    int nonopts;              /* non-option arguments seen */
    int too_many;
};

enum { KEY_RO, KEY_RW, KEY_FSNAME, KEY_ALLOW_OTHER, KEY_DEFAULT_PERMISSIONS, KEY_HELP,
       KEY_VERSION };

#define PHASEFS_OPT(t, field, v) {t, offsetof(struct phasefs_options, field), v}
static const struct fuse_opt phasefs_opts[] = {
    PHASEFS_OPT("placement=%s", placement, 0),
    PHASEFS_OPT("verify=%s", verify, 0),
    PHASEFS_OPT("retries=%s", retries, 0),
    PHASEFS_OPT("commit_ms=%s", commit_ms, 0),
    PHASEFS_OPT("cache_clusters=%s", cache_clusters, 0),
    FUSE_OPT_KEY("ro", KEY_RO),
    FUSE_OPT_KEY("rw", KEY_RW),
    FUSE_OPT_KEY("fsname=", KEY_FSNAME),
    FUSE_OPT_KEY("allow_other", KEY_ALLOW_OTHER),
    FUSE_OPT_KEY("default_permissions", KEY_DEFAULT_PERMISSIONS),
    FUSE_OPT_KEY("-h", KEY_HELP),
    FUSE_OPT_KEY("--help", KEY_HELP),
    FUSE_OPT_KEY("-V", KEY_VERSION),
    FUSE_OPT_KEY("--version", KEY_VERSION),
    FUSE_OPT_END,
};

/* ---- logging ---------------------------------------------------------------------- */

static int log_to_syslog;

static void log_handler(enum fuse_log_level level, const char *fmt, va_list ap)
{
    if (log_to_syslog)
        vsyslog((int)level, fmt, ap); /* fuse_log levels are syslog's */
    else
        vfprintf(stderr, fmt, ap);
}

/* libpfs met a problem and survived (an uncorrectable range gives EIO on that range
 * only): one log line naming the file. */
static void report_to_log(void *arg, int err, const char *path, uint64_t offset,
                          const char *what)
{
    const char *image = arg;
    fuse_log(FUSE_LOG_ERR, "phasefs: %s: %s%s offset %llu: %s: %s\n", image,
             path && *path ? path : "(metadata)", path && *path ? "," : "",
             (unsigned long long)offset, what ? what : "error",
             err ? strerror(err < 0 ? -err : err) : "recovered");
}

/* ---- command line ----------------------------------------------------------------- */

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
    (void)outargs;
    struct phasefs_options *o = data;
    switch (key) {
    case FUSE_OPT_KEY_NONOPT:
        o->nonopts++;
        if (o->nonopts == 1) { /* IMAGE: ours; MOUNTPOINT stays for fuse_parse_cmdline */
            o->image = strdup(arg);
            return o->image ? 0 : -1;
        }
        if (o->nonopts > 2) {
            o->too_many = 1;
            return 0;
        }
        o->mountpoint = strdup(arg);
        return o->mountpoint ? 1 : -1;
    case KEY_RO:
        o->read_only = 1;
        return 1; /* the kernel mount is read-only too */
    case KEY_RW:
        o->read_only = 0;
        return 1;
    case KEY_FSNAME:
        o->fsname_given = 1;
        return 1;
    case KEY_ALLOW_OTHER:
        o->allow_other = 1;
        return 1;
    case KEY_DEFAULT_PERMISSIONS:
        o->default_permissions = 1;
        return 1;
    case KEY_HELP:
        o->show_help = 1;
        return 0;
    case KEY_VERSION:
        o->show_version = 1;
        return 0;
    default:
        return 1;
    }
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: phasefs IMAGE MOUNTPOINT [-f] [-d] [-s] [-o OPTIONS]\n"
            "Mount the phasefs filesystem on the medium image IMAGE (made by mkfs.phasefs)\n"
            "on MOUNTPOINT. Unmount with 'fusermount3 -u MOUNTPOINT' or 'umount MOUNTPOINT';\n"
            "SIGTERM also unmounts, after flushing everything to the image.\n"
            "\n"
            "  -f                       stay in the foreground (log to stderr)\n"
            "  -d                       debug: foreground, and log every FUSE request\n"
            "  -s                       serve requests in one thread\n"
            "  -o OPT[,OPT...]          mount options: the usual FUSE ones (ro, allow_other,\n"
            "                           default_permissions, ...) and these:\n"
            "     placement=auto|near|far|spread\n"
            "                           where new clusters go (default auto)\n"
            "     verify=on|off         read back every cluster written (default on)\n"
            "     retries=N             extra reads of an unreadable cluster, 0-100\n"
            "                           (default 4)\n"
            "     commit_ms=N           commit unsynced metadata every N ms, 1-3600000\n"
            "                           (default 5000)\n"
            "     cache_clusters=N      64 KiB data clusters cached in memory, 1-4096\n"
            "                           (default 64)\n"
            "  -h, --help               this help, then libfuse's options\n"
            "  -V, --version            the version\n"
            "\n"
            "Exit status: 0 unmounted cleanly, 1 the session or the final flush failed,\n"
            "2 usage, 3 IMAGE cannot be opened or is in use, 4 no phasefs filesystem on IMAGE\n"
            "(or damaged), 5 cannot mount on MOUNTPOINT. See phasefs(8).\n");
}

static int parse_placement(const char *s, enum pfs_placement *out)
{
    static const struct {
        const char *name;
        enum pfs_placement value;
    } names[] = {
        {"auto", PFS_PLACE_AUTO},
        {"near", PFS_PLACE_NEAR},
        {"far", PFS_PLACE_FAR},
        {"spread", PFS_PLACE_SPREAD},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!strcmp(s, names[i].name)) {
            *out = names[i].value;
            return 0;
        }
    }
    return -EINVAL;
}

/* A decimal count no larger than max: digits only, so "-1", "+5", " 7" and "010" (which
 * strtoull would take as octal) are refused, not reinterpreted. */
static bool parse_count(const char *text, uint64_t max, uint64_t *out)
{
    if (!*text || strspn(text, "0123456789") != strlen(text) || strlen(text) > 19)
        return false;
    return tool_parse_u64(text, out) == 0 && (text[0] != '0' || !text[1]) && *out <= max;
}

/* Our options into libpfs's; one error line and PHASEFS_EXIT_USAGE on a bad value. */
static int mount_options(const struct phasefs_options *o, struct pfs_mount_options *mo)
{
    pfs_mount_options_default(mo);
    mo->read_only = o->read_only != 0;
    mo->sector.read_only = o->read_only != 0;
    if (o->placement && parse_placement(o->placement, &mo->placement) < 0) {
        tool_error(o->placement, "unknown placement; use placement=auto, near, far or spread");
        return PHASEFS_EXIT_USAGE;
    }
    if (o->verify) {
        if (!strcmp(o->verify, "on")) {
            mo->sector.verify_after_write = true;
        } else if (!strcmp(o->verify, "off")) {
            mo->sector.verify_after_write = false;
        } else {
            tool_error(o->verify, "verify takes on or off");
            return PHASEFS_EXIT_USAGE;
        }
    }
    uint64_t v;
    if (o->retries) {
        if (!parse_count(o->retries, MAX_RETRIES, &v)) {
            tool_error("retries", "%s: use an integer from 0 to %u", o->retries, MAX_RETRIES);
            return PHASEFS_EXIT_USAGE;
        }
        mo->sector.read_retries = (uint32_t)v;
    }
    if (o->commit_ms) {
        if (!parse_count(o->commit_ms, PFS_COMMIT_INTERVAL_MS_MAX, &v)) {
            tool_error("commit_ms", "%s: use an integer from 1 to %u (0: the default, 5000)",
                       o->commit_ms, PFS_COMMIT_INTERVAL_MS_MAX);
            return PHASEFS_EXIT_USAGE;
        }
        mo->commit_interval_ms = (uint32_t)v;
    }
    if (o->cache_clusters) {
        if (!parse_count(o->cache_clusters, PFS_CACHE_CLUSTERS_MAX, &v)) {
            tool_error("cache_clusters", "%s: use an integer from 1 to %u (0: the default, "
                       "64)", o->cache_clusters, PFS_CACHE_CLUSTERS_MAX);
            return PHASEFS_EXIT_USAGE;
        }
        mo->cache_clusters = (uint32_t)v;
    }
    return PHASEFS_EXIT_OK;
}

/* ---- the image -------------------------------------------------------------------- */

/* One daemon per image: medium_open locks it (exclusive, shared for -o ro) until
 * medium_close, after the final flush, so `flock IMAGE true` waits for that flush. A
 * mount right after `fusermount3 -u` waits for the old daemon to let go. */
static int open_image(const char *image, bool read_only, struct medium **out)
{
    struct medium_open_options opt = {.io = NULL, .read_only = read_only,
                                      .lock_wait_ms = MEDIUM_LOCK_WAIT_MS};
    int rc = medium_open(image, &opt, out);
    if (rc == 0)
        return PHASEFS_EXIT_OK;
    switch (-rc) {
    case EBUSY:
        tool_image_busy(image, read_only);
        break;
    case ENOENT:
        tool_error(image, "no such image; make one with 'mkfs.phasefs %s'", image);
        break;
    case EUCLEAN:
        tool_error(image, "not a phasefs medium image, or its header is corrupt; "
                          "check the path, or recreate it with mkfs.phasefs");
        break;
    case EPROTO:
        tool_error(image, "%s; use the phasefs version that created it", tool_strerror(rc));
        break;
    case EOPNOTSUPP:
        tool_error(image, "an electrical-mode medium, whose recording is not built yet");
        break;
    case EACCES:
    case EPERM:
    case EROFS:
        tool_error(image, "permission denied; check the file's mode, or mount with -o ro");
        break;
    case EISDIR:
        tool_error(image, "is a directory; give the medium image file");
        break;
    default:
        tool_error(image, "cannot open the image: %s", tool_strerror(rc));
        break;
    }
    return PHASEFS_EXIT_MEDIUM;
}

static int mount_fs(const char *image, struct medium *m, const struct pfs_mount_options *mo,
                    struct pfs **out)
{
    int rc = pfs_mount(m, mo, out);
    if (rc == 0)
        return PHASEFS_EXIT_OK;
    switch (-rc) {
    case ENODATA:
        tool_error(image, "the medium holds no phasefs filesystem; format it with "
                          "'mkfs.phasefs -f %s' (this destroys its contents)", image);
        break;
    case EUCLEAN:
    case EBADMSG:
        tool_error(image, "no phasefs filesystem found, or its metadata is damaged on "
                          "every copy; run fsck.phasefs, or format it with mkfs.phasefs");
        break;
    case EPROTO:
        tool_error(image, "the filesystem has a format version this build cannot read; "
                          "use the phasefs version that made it");
        break;
    case EROFS:
        tool_error(image, "the medium is read-only or worn out; mount it with -o ro");
        break;
    case EIO:
        tool_error(image, "the filesystem could not be read back (I/O error); run "
                          "fsck.phasefs");
        break;
    default:
        tool_error(image, "cannot mount the filesystem: %s", tool_strerror(rc));
        break;
    }
    return PHASEFS_EXIT_FS;
}

/* ---- daemon mode ------------------------------------------------------------------ */

/* Fork; the parent waits for the child's one-byte status and exits with it, so the
 * caller (a shell, mount(8)) sees whether the mount worked. Returns in the child
 * with *status_fd set, or never (parent). */
static int fork_daemon(int *status_fd)
{
    int p[2];
    if (pipe(p) < 0) {
        tool_error(NULL, "cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        tool_error(NULL, "cannot fork: %s", strerror(errno));
        return -1;
    }
    if (pid > 0) {
        close(p[1]);
        unsigned char code;
        ssize_t n;
        do {
            n = read(p[0], &code, 1);
        } while (n < 0 && errno == EINTR);
        if (n == 1)
            _exit(code);
        /* The child died before reporting: its own exit status says why. */
        int ws;
        while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
            ;
        _exit(WIFEXITED(ws) && WEXITSTATUS(ws) != 0 ? WEXITSTATUS(ws) : PHASEFS_EXIT_FAILED);
    }
    close(p[0]);
    *status_fd = p[1];
    return 0;
}

static void report_status(int *status_fd, int code)
{
    if (*status_fd < 0)
        return;
    unsigned char c = (unsigned char)code;
    ssize_t n;
    do {
        n = write(*status_fd, &c, 1);
    } while (n < 0 && errno == EINTR);
    close(*status_fd);
    *status_fd = -1;
}

/* After a successful mount: leave the terminal, log to syslog. */
static void detach(void)
{
    if (setsid() < 0)
        fuse_log(FUSE_LOG_WARNING, "phasefs: setsid: %s\n", strerror(errno));
    if (chdir("/") < 0)
        fuse_log(FUSE_LOG_WARNING, "phasefs: chdir /: %s\n", strerror(errno));
    openlog("phasefs", LOG_PID, LOG_DAEMON);
    log_to_syslog = 1;
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
}

/* ---- main ------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    struct phasefs_options o;
    struct fuse_cmdline_opts cmd;
    struct pfs_mount_options mo;
    struct phasefs d = {.fs = NULL, .attr_timeout_s = 1.0, .entry_timeout_s = 1.0,
                        .max_write = MAX_WRITE_BYTES};
    struct fuse_session *se = NULL;
    struct medium *m = NULL;
    char *image = NULL;
    int status_fd = -1, rc, code = PHASEFS_EXIT_USAGE;
    sigset_t stop_signals, old_mask;

    tool_set_progname("phasefs");
    fuse_set_log_func(log_handler);
    memset(&o, 0, sizeof o);
    memset(&cmd, 0, sizeof cmd);

    if (fuse_opt_parse(&args, &o, phasefs_opts, opt_proc) < 0)
        goto out; /* libfuse printed one line */
    if (o.show_help) {
        usage(stdout);
        printf("\nFUSE options:\n");
        fflush(stdout);
        fuse_cmdline_help();
        fuse_lowlevel_help();
        code = PHASEFS_EXIT_OK;
        goto out;
    }
    if (o.show_version) {
        printf("phasefs (%s) %s, libfuse %s\n", PACKAGE_NAME, PACKAGE_VERSION,
               fuse_pkgversion());
        code = PHASEFS_EXIT_OK;
        goto out;
    }
    if (o.too_many || !o.image || !o.mountpoint) {
        tool_error(NULL, "%s; usage: phasefs IMAGE MOUNTPOINT [-f] [-d] [-s] [-o OPTIONS] "
                   "(see phasefs --help)",
                   o.too_many ? "too many arguments" : !o.image ? "no IMAGE given"
                                                                : "no MOUNTPOINT given");
        goto out;
    }
    if (o.mountpoint) {
        struct stat st;
        if (stat(o.mountpoint, &st) < 0) {
            tool_error(o.mountpoint, "cannot use it as the mount point: %s; create the "
                                     "directory first", strerror(errno));
            code = PHASEFS_EXIT_MOUNT;
            goto out;
        }
        if (!S_ISDIR(st.st_mode)) {
            tool_error(o.mountpoint, "not a directory; mount on a directory");
            code = PHASEFS_EXIT_MOUNT;
            goto out;
        }
    }
    if (fuse_parse_cmdline(&args, &cmd) != 0)
        goto out; /* libfuse printed one line */
    if (!cmd.mountpoint) {
        tool_error(o.image, "no MOUNTPOINT given (see phasefs --help)");
        goto out;
    }
    code = mount_options(&o, &mo);
    if (code != PHASEFS_EXIT_OK)
        goto out;
    image = realpath(o.image, NULL);
    if (!image) {
        code = PHASEFS_EXIT_MEDIUM;
        if (errno == ENOENT)
            tool_error(o.image, "no such image; make one with 'mkfs.phasefs %s'", o.image);
        else
            tool_error(o.image, "cannot resolve the path: %s", strerror(errno));
        goto out;
    }
    mo.report = report_to_log;
    mo.report_arg = image;
    if (!o.fsname_given) {
        char *opt = NULL;
        if (fuse_opt_add_opt_escaped(&opt, image) < 0)
            goto nomem;
        size_t len = strlen(opt) + sizeof "-ofsname=";
        char *arg = malloc(len);
        if (!arg) {
            free(opt);
            goto nomem;
        }
        snprintf(arg, len, "-ofsname=%s", opt);
        free(opt);
        rc = fuse_opt_add_arg(&args, arg);
        free(arg);
        if (rc < 0)
            goto nomem;
    }

    /* With allow_other, some checks never reach the daemon: a path walk through names
     * the kernel has cached (entry_timeout) asks nothing, and a FIFO is opened by the
     * kernel alone. Only the kernel can check those, so it must (phasefs(8)). */
    if (o.allow_other && !o.default_permissions &&
        fuse_opt_add_arg(&args, "-odefault_permissions") < 0)
        goto nomem;

    /* Unknown -o options are found here, before anything is opened. */
    se = fuse_session_new(&args, &phasefs_ll_ops, sizeof phasefs_ll_ops, &d);
    if (!se) {
        code = PHASEFS_EXIT_USAGE; /* libfuse printed the unknown option */
        goto out;
    }

    if (!cmd.foreground && fork_daemon(&status_fd) < 0) {
        code = PHASEFS_EXIT_FAILED;
        goto out;
    }

    /* Threads that libpfs starts inherit a mask without the stop signals, so the
     * signal reaches the session loop's thread and ends the loop. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);

    code = open_image(image, o.read_only != 0, &m);
    if (code != PHASEFS_EXIT_OK)
        goto out_unblock;
    code = mount_fs(image, m, &mo, &d.fs);
    if (code != PHASEFS_EXIT_OK)
        goto out_unblock;
    if (fuse_set_signal_handlers(se) != 0) {
        tool_error(NULL, "cannot install signal handlers");
        code = PHASEFS_EXIT_FAILED;
        goto out_unblock;
    }
    if (fuse_session_mount(se, cmd.mountpoint) != 0) {
        code = PHASEFS_EXIT_MOUNT; /* libfuse said why */
        fuse_remove_signal_handlers(se);
        goto out_unblock;
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);

    report_status(&status_fd, PHASEFS_EXIT_OK);
    if (!cmd.foreground)
        detach();

    if (cmd.singlethread) {
        rc = fuse_session_loop(se);
    } else {
        struct fuse_loop_config *config = fuse_loop_cfg_create();
        if (!config) {
            rc = -ENOMEM;
        } else {
            fuse_loop_cfg_set_clone_fd(config, (unsigned)cmd.clone_fd);
            if (cmd.max_threads != UINT_MAX) /* UINT_MAX: not given, libfuse's default */
                fuse_loop_cfg_set_max_threads(config, cmd.max_threads);
            if (cmd.max_idle_threads != UINT_MAX)
                fuse_loop_cfg_set_idle_threads(config, cmd.max_idle_threads);
            rc = fuse_session_loop_mt(se, config);
            fuse_loop_cfg_destroy(config);
        }
    }
    /* rc > 0 is the signal that ended the loop: a normal stop. */
    code = PHASEFS_EXIT_OK;
    if (rc < 0) {
        fuse_log(FUSE_LOG_ERR, "phasefs: %s: the FUSE session failed: %s; flushing\n", image,
                 strerror(-rc));
        code = PHASEFS_EXIT_FAILED;
    }
    fuse_session_unmount(se);
    fuse_remove_signal_handlers(se);
    goto out;

out_unblock:
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    goto out;
nomem:
    tool_error(NULL, "out of memory");
    code = PHASEFS_EXIT_FAILED;
out:
    if (se)
        fuse_session_destroy(se);
    if (d.fs) {
        rc = pfs_unmount(d.fs);
        if (rc < 0) {
            fuse_log(FUSE_LOG_ERR, "phasefs: %s: flushing the filesystem failed: %s; run "
                                   "fsck.phasefs\n", image, tool_strerror(rc));
            code = PHASEFS_EXIT_FAILED;
        }
    }
    if (m) {
        rc = medium_close(m);
        if (rc < 0) {
            fuse_log(FUSE_LOG_ERR, "phasefs: %s: closing the image failed: %s\n", image,
                     tool_strerror(rc));
            code = PHASEFS_EXIT_FAILED;
        }
    }
    report_status(&status_fd, code);
    if (log_to_syslog)
        closelog();
    free(image);
    free(o.image);
    free(o.mountpoint);
    free(o.placement);
    free(o.verify);
    free(o.retries);
    free(o.commit_ms);
    free(o.cache_clusters);
    free(cmd.mountpoint);
    fuse_opt_free_args(&args);
    return code;
}
