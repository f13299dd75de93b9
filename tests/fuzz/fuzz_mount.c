/*
 * fuzz_mount.c — libFuzzer target: the filesystem's metadata decoding and log replay.
 * An input patches the decoded anchors, checkpoint and log clusters of a small
 * formatted image (fsimage.c); the patched image is mounted (anchor choice, checkpoint
 * load, replay), and what mounted is walked as a user would — every directory, every
 * file's first clusters, links, xattrs — then changed and unmounted, which commits and
 * writes a checkpoint of the model the decoders built. A mount may fail (with
 * -EUCLEAN, -EBADMSG, -EPROTO, -EIO); nothing may crash or leak.
 *
 * Not read: the fixity xattr, whose value hashes the file's whole apparent size (a
 * patched size of terabytes would stall the run, issue 13 item 3).
 */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pfs.h"

#define WALK_MAX 256   /* inodes visited per run */
#define READ_MAX (3u * 65536u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct pfs_ctx root = {0, 0, 0, NULL, 0};

struct walk {
    struct pfs *fs;
    unsigned visited;
    uint64_t todo[WALK_MAX];
    unsigned ntodo;
};

static int fill(void *arg, const char *name, const struct pfs_attr *a, uint64_t next)
{
    struct walk *w = arg;
    (void)next;
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return 0;
    if (w->ntodo == WALK_MAX)
        return 1;
    w->todo[w->ntodo++] = a->ino;
    return 0;
}

static void visit(struct walk *w, uint64_t ino)
{
    static uint8_t buf[65536];
    struct pfs_attr a;
    if (pfs_getattr(w->fs, ino, &a) < 0)
        return;
    if (S_ISDIR(a.mode)) {
        (void)pfs_readdir(w->fs, &root, ino, 0, fill, w);
    } else if (S_ISREG(a.mode)) {
        uint64_t fh;
        if (pfs_open(w->fs, &root, ino, O_RDONLY, &fh) == 0) {
            for (uint64_t off = 0; off < a.size && off < READ_MAX; off += sizeof buf)
                (void)pfs_read(w->fs, ino, fh, buf, sizeof buf, off);
            (void)pfs_read(w->fs, ino, fh, buf, sizeof buf, a.size > 100 ? a.size - 100 : 0);
            (void)pfs_release(w->fs, ino, fh);
        }
    } else if (S_ISLNK(a.mode)) {
        (void)pfs_readlink(w->fs, ino, (char *)buf, sizeof buf);
    }
    char names[4096];
    ssize_t n = pfs_listxattr(w->fs, &root, ino, names, sizeof names);
    for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strnlen(names + i, (size_t)(n - i)) + 1) {
        if (strcmp(names + i, PFS_FIXITY_XATTR))
            (void)pfs_getxattr(w->fs, &root, ino, names + i, buf, sizeof buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned flags;
    struct medium *m = fsimage_patched(data, size, &flags);
    struct pfs_mount_options o;
    pfs_mount_options_default(&o);
    o.read_only = flags & 1;
    o.commit_interval_ms = 600000; /* commits happen where this run asks for them */
    o.sector.verify_after_write = false;
    o.sector.read_retries = 0;
    struct walk w = {.ntodo = 0};
    if (pfs_mount(m, &o, &w.fs) == 0) {
        struct statvfs sv;
        struct pfs_stats st;
        (void)pfs_statfs(w.fs, &sv);
        (void)pfs_stats_get(w.fs, &st);
        w.todo[w.ntodo++] = PFS_ROOT_INO;
        for (unsigned i = 0; i < w.ntodo; i++)
            visit(&w, w.todo[i]);
        if (!o.read_only) {
            struct pfs_attr a;
            uint64_t fh;
            if (pfs_create(w.fs, &root, PFS_ROOT_INO, "fuzz-new", 0644, O_RDWR, &a, &fh) == 0) {
                (void)pfs_write(w.fs, a.ino, fh, "written after replay", 20, 0);
                (void)pfs_release(w.fs, a.ino, fh);
            }
            (void)pfs_mkdir(w.fs, &root, PFS_ROOT_INO, "fuzz-dir", 0755, &a);
            (void)pfs_unlink(w.fs, &root, PFS_ROOT_INO, "last");
            (void)pfs_sync(w.fs);
        }
        (void)pfs_unmount(w.fs);
    }
    (void)medium_close(m);
    return 0;
}
