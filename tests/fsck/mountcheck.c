/*
 * mountcheck.c — mounts an image read-write through libpfs (pfs_mount, what the phasefs
 * daemon calls; the daemon adds only FUSE glue) and unmounts it again, for the fsck
 * golden cases' agreement check (tests/fsck/run.sh): an image mounts read-write exactly
 * when fsck.phasefs leaves no problem behind (exit without bit 4). It prints one line,
 * "mounted read-write, N entries in /" or "refused: ERROR", and changes nothing but
 * what a mount and an unmount write.
 *
 * Usage: mountcheck IMAGE     Exit 0 mounted, 1 refused, 2 usage or image error.
 */
#include "medium.h"
#include "pfs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct pfs_ctx root_ctx = {0, 0, 0, NULL, 0};

struct count {
    unsigned n;
};

static int count_one(void *ctx, const char *name, const struct pfs_attr *attr, uint64_t off)
{
    (void)name;
    (void)attr;
    (void)off;
    ((struct count *)ctx)->n++;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "Usage: mountcheck IMAGE\n");
        return 2;
    }
    struct medium *m = NULL;
    struct medium_open_options oo;
    memset(&oo, 0, sizeof oo);
    int rc = medium_open(argv[1], &oo, &m);
    if (rc < 0) {
        fprintf(stderr, "mountcheck: %s: %s\n", argv[1], strerror(-rc));
        return 2;
    }
    struct pfs_mount_options mo;
    pfs_mount_options_default(&mo);
    struct pfs *fs = NULL;
    rc = pfs_mount(m, &mo, &fs);
    if (rc < 0) {
        printf("refused: %s\n", strerror(-rc));
        (void)medium_close(m);
        return 1;
    }
    struct count c = {0};
    rc = pfs_readdir(fs, &root_ctx, PFS_ROOT_INO, 0, count_one, &c);
    int urc = pfs_unmount(fs);
    int crc = medium_close(m);
    if (rc < 0 || urc < 0 || crc < 0) {
        printf("refused: %s\n", strerror(rc < 0 ? -rc : urc < 0 ? -urc : -crc));
        return 1;
    }
    printf("mounted read-write, %u entries in /\n", c.n);
    return 0;
}
