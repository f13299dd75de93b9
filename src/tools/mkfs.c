/*
 * mkfs.c — mkfs.phasefs(8): create a medium image (libmedium, from a preset or a
 * profile file, with a size per layer and a seed) and format it (libpfs: sector layer
 * and an empty filesystem with a label), then mount it once to check the result and
 * print a summary (DESIGN.md "Tools").
 *
 * It never leaves a half-made image behind: if formatting fails, the file it created
 * is removed. It refuses to replace an existing file unless --force. Output goes
 * through the tool_ helpers; the exit codes are enum mkfs_exit, listed in the man page.
 */
#include "medium.h"
#include "pfs.h"
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

enum mkfs_exit {
    MKFS_EXIT_OK = 0,     /* the image was created, formatted and checked */
    MKFS_EXIT_FORMAT = 1, /* formatting failed (medium too small, I/O): image removed */
    MKFS_EXIT_USAGE = 2,  /* bad command line or bad input (profile, size, label) */
    MKFS_EXIT_MEDIUM = 3, /* the image file could not be created (exists, permission) */
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: mkfs.phasefs [-p PRESET|PROFILE] [-s SIZE] [-L LABEL] [--seed N] [-f] IMAGE\n"
            "Create a simulated two-layer phase-change medium image and format it with an\n"
            "empty phasefs filesystem.\n"
            "\n"
            "  -p, --profile SPEC  preset (bd-re-dl, pcm-2l) or profile file; default bd-re-dl\n"
            "  -s, --size SIZE     user capacity per layer, a multiple of 64K, e.g. 256M, 1G,\n"
            "                      25G; 'full' is the real 25,025,314,816 B; default: profile\n"
            "  -L, --label LABEL   filesystem label, up to %d bytes\n"
            "      --seed N        random seed of the medium (default: the profile's)\n"
            "  -f, --force         replace an existing IMAGE\n"
            "  -h, --help          this help;  -V, --version  the version\n"
            "\n"
            "Exit status: 0 success, 1 formatting failed (the image is removed), 2 usage or\n"
            "bad input, 3 the image file could not be created or is in use (mounted).\n"
            "See mkfs.phasefs(8).\n",
            PFS_LABEL_MAX - 1);
}

static int create_error(const char *path, int rc, const struct medium_profile *p)
{
    switch (-rc) {
    case EEXIST:
        tool_error(path, "the file exists; use --force to replace it (its contents are lost)");
        break;
    case EBUSY:
        tool_image_busy(path, false); /* the image is left as it was */
        break;
    case EOPNOTSUPP:
        tool_error(path, "profile %s is in electrical mode, whose recording physics is not "
                         "built yet; use an optical profile such as bd-re-dl", p->name);
        break;
    case EACCES:
    case EPERM:
        tool_error(path, "permission denied; choose a writable directory");
        break;
    case ENOENT:
    case ENOTDIR:
        tool_error(path, "the directory does not exist; create it first");
        break;
    case EISDIR:
        tool_error(path, "is a directory; give a file name for the image");
        break;
    default:
        tool_error(path, "cannot create the image: %s", tool_strerror(rc));
        break;
    }
    return MKFS_EXIT_MEDIUM;
}

/* Formatting failed after the image was created: say why, remove the half-made file. */
static int format_error(const char *path, const char *step, int rc)
{
    if (rc == -ENOSPC)
        tool_error(path, "%s failed: the medium is too small for a filesystem; give a "
                         "larger --size (the image is removed)", step);
    else
        tool_error(path, "%s failed: %s; the image is removed", step, tool_strerror(rc));
    unlink(path);
    return MKFS_EXIT_FORMAT;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"profile", required_argument, NULL, 'p'}, {"size", required_argument, NULL, 's'},
        {"label", required_argument, NULL, 'L'},   {"seed", required_argument, NULL, 'S'},
        {"force", no_argument, NULL, 'f'},         {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},       {NULL, 0, NULL, 0},
    };
    const char *spec = "bd-re-dl", *size_text = NULL, *seed_text = NULL, *label = "";
    int force = 0, c, rc;

    tool_set_progname(argv[0]);
    while ((c = getopt_long(argc, argv, "p:s:L:fhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': spec = optarg; break;
        case 's': size_text = optarg; break;
        case 'L': label = optarg; break;
        case 'S': seed_text = optarg; break;
        case 'f': force = 1; break;
        case 'h': usage(stdout); return MKFS_EXIT_OK;
        case 'V': printf("mkfs.phasefs (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
                  return MKFS_EXIT_OK;
        default: usage(stderr); return MKFS_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        if (optind >= argc)
            tool_error(NULL, "no IMAGE given");
        else
            tool_error(argv[optind + 1], "unexpected argument; give one IMAGE");
        usage(stderr);
        return MKFS_EXIT_USAGE;
    }
    const char *path = argv[optind];
    if (strlen(label) >= PFS_LABEL_MAX) {
        tool_error(label, "the label is %zu bytes long; at most %d are allowed",
                   strlen(label), PFS_LABEL_MAX - 1);
        return MKFS_EXIT_USAGE;
    }

    struct medium_profile p;
    if (tool_profile_prepare(spec, size_text, seed_text, &p) < 0)
        return MKFS_EXIT_USAGE;

    /* The new handle holds the image lock (an existing image is locked before it is
     * touched), so no daemon mounts the half-made image and none is formatted under. */
    double t0 = tool_now();
    struct medium_create_options copt = {.io = NULL, .overwrite = force != 0,
                                         .lock_wait_ms = MEDIUM_LOCK_WAIT_MS};
    struct medium *m = NULL;
    rc = medium_create(path, &p, &copt, &m);
    if (rc < 0)
        return create_error(path, rc, &p);
    uint64_t clusters = medium_layer_clusters(m);

    struct pfs_mkfs_options fopt;
    pfs_mkfs_options_default(&fopt);
    snprintf(fopt.label, sizeof fopt.label, "%s", label);
    const struct pfs_ctx owner = {
        .uid = getuid(), .gid = getgid(), .pid = getpid(), .groups = NULL, .ngroups = 0,
    };
    rc = pfs_mkfs(m, &fopt, &owner);
    if (rc < 0) {
        medium_close(m);
        return format_error(path, "formatting", rc);
    }

    /* Mount once: the format must be readable, and statfs gives the usable space. */
    struct pfs_mount_options mopt;
    pfs_mount_options_default(&mopt);
    struct pfs *fs = NULL;
    struct statvfs sv;
    rc = pfs_mount(m, &mopt, &fs);
    if (rc < 0) {
        medium_close(m);
        return format_error(path, "checking the new filesystem", rc);
    }
    rc = pfs_statfs(fs, &sv);
    int urc = pfs_unmount(fs);
    if (rc == 0)
        rc = urc;
    if (rc < 0) {
        medium_close(m);
        return format_error(path, "checking the new filesystem", rc);
    }
    rc = medium_close(m);
    if (rc < 0)
        return format_error(path, "closing the image", rc);

    struct stat st;
    double allocated = 0;
    if (stat(path, &st) == 0)
        allocated = (double)st.st_blocks * 512.0;
    printf("formatted %s: phasefs%s%s%s on profile %s, 2 layers x %llu clusters "
           "(%.3f GB of user data per layer), seed %llu\n",
           path, label[0] ? " \"" : "", label, label[0] ? "\"" : "", p.name,
           (unsigned long long)clusters,
           (double)clusters * MEDIUM_USER_BYTES_PER_CLUSTER / 1e9, (unsigned long long)p.seed);
    printf("filesystem: %.3f GB free of %.3f GB, %llu inodes free; image file %.1f MB "
           "allocated (sparse); made in %.2f s\n",
           (double)sv.f_bavail * (double)sv.f_frsize / 1e9,
           (double)sv.f_blocks * (double)sv.f_frsize / 1e9, (unsigned long long)sv.f_favail,
           allocated / 1e6, tool_now() - t0);
    printf("mount it with: phasefs %s MOUNTPOINT\n", path);
    return MKFS_EXIT_OK;
}
