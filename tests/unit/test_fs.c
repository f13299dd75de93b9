/*
 * test_fs.c — cmocka tests of libpfs (src/fs) against the real sector layer on a real
 * image file (a small bd-re-dl medium in a temporary directory): POSIX behaviour at the
 * API level, persistence across unmount/mount, crash consistency (images copied while
 * mounted, a filesystem abandoned without unmount, and power cuts at every host write
 * that drop, tear or reorder the writes not yet fsync'ed), a full medium, destroyed
 * metadata copies and an uncorrectable data cluster. Expected values are computed
 * independently (libsodium for digests, a model of what was fsync'ed for crashes).
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs_priv.h"
#include "pfs.h"

#define LAYER_BYTES (16ULL << 20)
#define CL 65536u

struct fx {
    char dir[64];
    char path[96];
    struct medium *m;
    struct pfs *fs;
    struct pfs_mount_options mo;
    int reports;
    char last_path[PFS_PATH_MAX];
    int last_err;
};

static const struct pfs_ctx root = {0, 0, 1, NULL, 0};
static const struct pfs_ctx alice = {1000, 1000, 2, NULL, 0};
static const struct pfs_ctx bob = {1001, 1001, 3, NULL, 0};

static void on_report(void *arg, int err, const char *path, uint64_t off, const char *what)
{
    struct fx *f = arg;
    (void)off;
    (void)what;
    f->reports++;
    f->last_err = err;
    snprintf(f->last_path, sizeof f->last_path, "%s", path);
}

static int make_medium(const char *path, uint64_t layer_bytes, struct medium **m)
{
    struct medium_profile p;
    int rc = medium_profile_preset("bd-re-dl", &p);
    if (rc < 0)
        return rc;
    p.capacity_per_layer = layer_bytes;
    struct medium_create_options co = {.overwrite = true};
    return medium_create(path, &p, &co, m);
}

static int mount_fx(struct fx *f)
{
    return pfs_mount(f->m, &f->mo, &f->fs);
}

static int setup_size(void **state, uint64_t layer_bytes)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_fs.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/img", f->dir);
    assert_int_equal(make_medium(f->path, layer_bytes, &f->m), 0);
    assert_int_equal(pfs_mkfs(f->m, NULL, &root), 0);
    pfs_mount_options_default(&f->mo);
    f->mo.report = on_report;
    f->mo.report_arg = f;
    f->mo.commit_interval_ms = 60000; /* tests decide when to commit */
    assert_int_equal(mount_fx(f), 0);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_size(state, LAYER_BYTES);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f->fs)
        assert_int_equal(pfs_unmount(f->fs), 0);
    medium_close(f->m);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void remount(struct fx *f)
{
    assert_int_equal(pfs_unmount(f->fs), 0);
    f->fs = NULL;
    assert_int_equal(mount_fx(f), 0);
}

/* ---- helpers ----------------------------------------------------------------------- */

static uint64_t mkfile(struct pfs *fs, const struct pfs_ctx *c, uint64_t parent,
                       const char *name, const void *data, size_t len)
{
    struct pfs_attr a;
    uint64_t fh;
    assert_int_equal(pfs_create(fs, c, parent, name, 0644, O_WRONLY | O_EXCL, &a, &fh), 0);
    if (len)
        assert_int_equal(pfs_write(fs, a.ino, fh, data, len, 0), (ssize_t)len);
    assert_int_equal(pfs_release(fs, a.ino, fh), 0);
    return a.ino;
}

static uint64_t mkdirp(struct pfs *fs, const struct pfs_ctx *c, uint64_t parent,
                       const char *name, mode_t mode)
{
    struct pfs_attr a;
    assert_int_equal(pfs_mkdir(fs, c, parent, name, mode, &a), 0);
    return a.ino;
}

static uint64_t lookup(struct pfs *fs, uint64_t parent, const char *name)
{
    struct pfs_attr a;
    int rc = pfs_lookup(fs, &root, parent, name, &a);
    return rc == 0 ? a.ino : 0;
}

static ssize_t readat(struct pfs *fs, uint64_t ino, void *buf, size_t len, uint64_t off)
{
    uint64_t fh;
    assert_int_equal(pfs_open(fs, &root, ino, O_RDONLY, &fh), 0);
    ssize_t n = pfs_read(fs, ino, fh, buf, len, off);
    assert_int_equal(pfs_release(fs, ino, fh), 0);
    return n;
}

static void writeat(struct pfs *fs, uint64_t ino, const void *buf, size_t len, uint64_t off)
{
    uint64_t fh;
    assert_int_equal(pfs_open(fs, &root, ino, O_WRONLY, &fh), 0);
    assert_int_equal(pfs_write(fs, ino, fh, buf, len, off), (ssize_t)len);
    assert_int_equal(pfs_release(fs, ino, fh), 0);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (uint8_t)x;
    }
}

static void check_content(struct pfs *fs, uint64_t ino, size_t len, uint32_t seed)
{
    uint8_t *want = malloc(len + 1), *got = malloc(len + 1);
    assert_non_null(want);
    assert_non_null(got);
    fill(want, len, seed);
    struct pfs_attr a;
    assert_int_equal(pfs_getattr(fs, ino, &a), 0);
    assert_int_equal(a.size, len);
    assert_int_equal(readat(fs, ino, got, len + 1, 0), (ssize_t)len);
    assert_memory_equal(want, got, len);
    free(want);
    free(got);
}

static uint64_t mkfile_seed(struct pfs *fs, uint64_t parent, const char *name, size_t len,
                            uint32_t seed)
{
    uint8_t *d = malloc(len + 1);
    assert_non_null(d);
    fill(d, len, seed);
    uint64_t ino = mkfile(fs, &root, parent, name, d, len);
    free(d);
    return ino;
}

struct names {
    char (*v)[PFS_NAME_MAX + 1];
    uint64_t *cookie;
    size_t n, cap;
    int stop_after;
};

static int collect(void *arg, const char *name, const struct pfs_attr *attr, uint64_t next)
{
    struct names *ns = arg;
    (void)attr;
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? ns->cap * 2 : 64;
        ns->v = realloc(ns->v, ns->cap * sizeof *ns->v);
        ns->cookie = realloc(ns->cookie, ns->cap * sizeof *ns->cookie);
    }
    snprintf(ns->v[ns->n], sizeof ns->v[0], "%s", name);
    ns->cookie[ns->n++] = next;
    if (ns->stop_after && --ns->stop_after == 0)
        return 1;
    return 0;
}

static size_t count_entries(struct pfs *fs, uint64_t dir)
{
    struct names ns = {0};
    assert_int_equal(pfs_readdir(fs, &root, dir, 0, collect, &ns), 0);
    size_t n = ns.n;
    free(ns.v);
    free(ns.cookie);
    return n;
}

static void copy_file(const char *from, const char *to)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "cp --sparse=always %s %s", from, to);
    assert_int_equal(system(cmd), 0);
}

/* Mount the image at path on a separate medium handle, returning both. */
static void mount_copy(const char *path, struct medium **m, struct pfs **fs)
{
    assert_int_equal(medium_open(path, NULL, m), 0);
    struct pfs_mount_options mo;
    pfs_mount_options_default(&mo);
    mo.commit_interval_ms = 60000;
    assert_int_equal(pfs_mount(*m, &mo, fs), 0);
}

static int mount_copy_on(struct medium *m, struct pfs **fs)
{
    struct pfs_mount_options mo;
    pfs_mount_options_default(&mo);
    mo.commit_interval_ms = 60000;
    return pfs_mount(m, &mo, fs);
}

/* Damage the recorded bytes of lcn on the medium so the sector layer cannot decode it. */
static void destroy_cluster(struct medium *m, uint64_t lcn)
{
    struct sector_dev *dev;
    struct sector_address a;
    assert_int_equal(sector_open(m, NULL, &dev), 0);
    assert_int_equal(sector_locate(dev, lcn, &a), 0);
    assert_int_equal(sector_close(dev), 0);
    uint8_t *junk = malloc(MEDIUM_CLUSTER_BYTES);
    assert_non_null(junk);
    fill(junk, MEDIUM_CLUSTER_BYTES, (uint32_t)lcn + 7);
    assert_int_equal(medium_cluster_write(m, a.layer, a.physical_cluster, junk, NULL), 0);
    free(junk);
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_fs_mkfs_mount_root(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    assert_int_equal(pfs_getattr(f->fs, PFS_ROOT_INO, &a), 0);
    assert_true(S_ISDIR(a.mode));
    assert_int_equal(a.nlink, 2);
    assert_int_equal(a.uid, 0);
    assert_int_equal(lookup(f->fs, PFS_ROOT_INO, ".."), PFS_ROOT_INO);
    struct statvfs sv;
    assert_int_equal(pfs_statfs(f->fs, &sv), 0);
    assert_int_equal(sv.f_namemax, 255);
    assert_true(sv.f_bavail > 0 && sv.f_bavail < sv.f_blocks);
    assert_int_equal(count_entries(f->fs, PFS_ROOT_INO), 2);
}

/* Mount options beyond the bounds pfs.h gives are refused, not clamped; the bounds
 * themselves mount (phasefs(8) shows the same numbers). */
static void test_fs_mount_option_bounds(void **state)
{
    struct fx *f = *state;
    struct pfs_mount_options mo;
    struct pfs *fs = NULL;
    assert_int_equal(pfs_unmount(f->fs), 0);
    f->fs = NULL;
    pfs_mount_options_default(&mo);
    mo.cache_clusters = PFS_CACHE_CLUSTERS_MAX + 1;
    assert_int_equal(pfs_mount(f->m, &mo, &fs), -EINVAL);
    assert_null(fs);
    pfs_mount_options_default(&mo);
    mo.commit_interval_ms = PFS_COMMIT_INTERVAL_MS_MAX + 1;
    assert_int_equal(pfs_mount(f->m, &mo, &fs), -EINVAL);
    assert_null(fs);
    pfs_mount_options_default(&mo);
    mo.cache_clusters = 4096;
    mo.commit_interval_ms = 3600000;
    assert_int_equal(pfs_mount(f->m, &mo, &f->fs), 0);
    assert_int_equal(lookup(f->fs, PFS_ROOT_INO, ".."), PFS_ROOT_INO);
}

static void test_fs_persistence_across_remount(void **state)
{
    struct fx *f = *state;
    uint64_t d = mkdirp(f->fs, &root, PFS_ROOT_INO, "dir", 0750);
    uint64_t small = mkfile_seed(f->fs, d, "small", 100, 1);
    uint64_t big = mkfile_seed(f->fs, d, "big", 3 * CL + 123, 2);
    uint64_t empty = mkfile(f->fs, &root, PFS_ROOT_INO, "empty", NULL, 0);
    remount(f);
    assert_int_equal(lookup(f->fs, PFS_ROOT_INO, "dir"), d);
    assert_int_equal(lookup(f->fs, d, "small"), small);
    assert_int_equal(lookup(f->fs, d, "big"), big);
    assert_int_equal(lookup(f->fs, PFS_ROOT_INO, "empty"), empty);
    check_content(f->fs, small, 100, 1);
    check_content(f->fs, big, 3 * CL + 123, 2);
    struct pfs_attr a;
    assert_int_equal(pfs_getattr(f->fs, d, &a), 0);
    assert_int_equal(a.mode, S_IFDIR | 0750);
    assert_int_equal(a.nlink, 2);
    assert_int_equal(pfs_getattr(f->fs, PFS_ROOT_INO, &a), 0);
    assert_int_equal(a.nlink, 3);
    /* a second life: more files, remount again; statfs does not move with it */
    mkfile_seed(f->fs, d, "later", 5000, 3);
    mkfile_seed(f->fs, d, "later2", 5 * CL, 3);
    assert_int_equal(pfs_sync(f->fs), 0);
    struct statvfs s1, s2;
    assert_int_equal(pfs_statfs(f->fs, &s1), 0);
    remount(f);
    assert_int_equal(pfs_statfs(f->fs, &s2), 0);
    assert_int_equal(s1.f_bfree, s2.f_bfree);
    assert_int_equal(s1.f_bavail, s2.f_bavail);
    check_content(f->fs, lookup(f->fs, d, "later"), 5000, 3);
    check_content(f->fs, big, 3 * CL + 123, 2);
}

static void test_fs_namespace_errors(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    uint64_t d = mkdirp(f->fs, &root, PFS_ROOT_INO, "d", 0755);
    uint64_t file = mkfile(f->fs, &root, d, "f", "x", 1);
    assert_int_equal(pfs_mkdir(f->fs, &root, PFS_ROOT_INO, "d", 0755, &a), -EEXIST);
    assert_int_equal(pfs_mkdir(f->fs, &root, d, "f", 0755, &a), -EEXIST);
    assert_int_equal(pfs_mkdir(f->fs, &root, file, "x", 0755, &a), -ENOTDIR);
    assert_int_equal(pfs_lookup(f->fs, &root, d, "nope", &a), -ENOENT);
    assert_int_equal(pfs_lookup(f->fs, &root, file, "x", &a), -ENOTDIR);
    assert_int_equal(pfs_rmdir(f->fs, &root, PFS_ROOT_INO, "d"), -ENOTEMPTY);
    assert_int_equal(pfs_rmdir(f->fs, &root, d, "f"), -ENOTDIR);
    assert_int_equal(pfs_unlink(f->fs, &root, PFS_ROOT_INO, "d"), -EISDIR);
    assert_int_equal(pfs_rmdir(f->fs, &root, d, "."), -EINVAL);
    assert_int_equal(pfs_unlink(f->fs, &root, d, "missing"), -ENOENT);
    uint64_t fh;
    assert_int_equal(pfs_create(f->fs, &root, d, "f", 0644, O_WRONLY | O_EXCL, &a, &fh),
                     -EEXIST);
    assert_int_equal(pfs_lookup(f->fs, &root, d, "..", &a), 0);
    assert_int_equal(a.ino, PFS_ROOT_INO);
    assert_int_equal(pfs_unlink(f->fs, &root, d, "f"), 0);
    assert_int_equal(pfs_getattr(f->fs, file, &a), -ENOENT);
    assert_int_equal(pfs_rmdir(f->fs, &root, PFS_ROOT_INO, "d"), 0);
    assert_int_equal(pfs_getattr(f->fs, PFS_ROOT_INO, &a), 0);
    assert_int_equal(a.nlink, 2);
    /* device nodes are root's */
    assert_int_equal(pfs_mknod(f->fs, &alice, PFS_ROOT_INO, "c", S_IFCHR | 0600, 0x0103, &a),
                     -EPERM);
    assert_int_equal(pfs_mknod(f->fs, &root, PFS_ROOT_INO, "fifo", S_IFIFO | 0600, 0, &a), 0);
    assert_true(S_ISFIFO(a.mode));
    assert_int_equal(pfs_mknod(f->fs, &root, PFS_ROOT_INO, "c", S_IFCHR | 0600, 0x0103, &a), 0);
    remount(f);
    assert_int_equal(pfs_lookup(f->fs, &root, PFS_ROOT_INO, "c", &a), 0);
    assert_true(S_ISCHR(a.mode));
    assert_int_equal(a.rdev, 0x0103);
}

static void test_fs_name_too_long(void **state)
{
    struct fx *f = *state;
    char name[300], target[PFS_PATH_MAX + 2];
    struct pfs_attr a;
    uint64_t fh;
    memset(name, 'n', sizeof name);
    name[256] = '\0';
    assert_int_equal(pfs_mkdir(f->fs, &root, PFS_ROOT_INO, name, 0755, &a), -ENAMETOOLONG);
    assert_int_equal(pfs_create(f->fs, &root, PFS_ROOT_INO, name, 0644, O_WRONLY, &a, &fh),
                     -ENAMETOOLONG);
    assert_int_equal(pfs_lookup(f->fs, &root, PFS_ROOT_INO, name, &a), -ENAMETOOLONG);
    name[255] = '\0';
    assert_int_equal(pfs_mkdir(f->fs, &root, PFS_ROOT_INO, name, 0755, &a), 0);
    assert_int_equal(lookup(f->fs, PFS_ROOT_INO, name), a.ino);
    memset(target, 't', sizeof target);
    target[PFS_PATH_MAX] = '\0'; /* 4096 bytes + NUL: longer than PATH_MAX allows */
    assert_int_equal(pfs_symlink(f->fs, &root, target, PFS_ROOT_INO, "l", &a), -ENAMETOOLONG);
    target[PFS_PATH_MAX - 1] = '\0';
    assert_int_equal(pfs_symlink(f->fs, &root, target, PFS_ROOT_INO, "l", &a), 0);
    assert_int_equal(pfs_symlink(f->fs, &root, "", PFS_ROOT_INO, "e", &a), -ENOENT);
    remount(f);
    assert_int_equal(lookup(f->fs, PFS_ROOT_INO, name) != 0, 1);
}

static void test_fs_hard_links(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    uint64_t d = mkdirp(f->fs, &root, PFS_ROOT_INO, "d", 0755);
    uint64_t ino = mkfile_seed(f->fs, PFS_ROOT_INO, "a", 70000, 9);
    assert_int_equal(pfs_link(f->fs, &root, ino, d, "b", &a), 0);
    assert_int_equal(a.nlink, 2);
    assert_int_equal(pfs_link(f->fs, &root, ino, d, "b", &a), -EEXIST);
    assert_int_equal(pfs_link(f->fs, &root, d, PFS_ROOT_INO, "dlink", &a), -EPERM);
    assert_int_equal(lookup(f->fs, d, "b"), ino);
    remount(f);
    assert_int_equal(pfs_getattr(f->fs, ino, &a), 0);
    assert_int_equal(a.nlink, 2);
    assert_int_equal(pfs_unlink(f->fs, &root, PFS_ROOT_INO, "a"), 0);
    assert_int_equal(pfs_getattr(f->fs, ino, &a), 0);
    assert_int_equal(a.nlink, 1);
    check_content(f->fs, ino, 70000, 9);
    remount(f);
    check_content(f->fs, lookup(f->fs, d, "b"), 70000, 9);
    assert_int_equal(pfs_unlink(f->fs, &root, d, "b"), 0);
    assert_int_equal(pfs_getattr(f->fs, ino, &a), -ENOENT);
}

static void test_fs_symlink_readlink(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    char buf[64];
    assert_int_equal(pfs_symlink(f->fs, &alice, "../some/where", PFS_ROOT_INO, "l", &a), -EACCES);
    assert_int_equal(pfs_symlink(f->fs, &root, "../some/where", PFS_ROOT_INO, "l", &a), 0);
    assert_true(S_ISLNK(a.mode));
    assert_int_equal(a.size, 13);
    assert_int_equal(pfs_readlink(f->fs, a.ino, buf, sizeof buf), 13);
    assert_memory_equal(buf, "../some/where", 13);
    assert_int_equal(pfs_readlink(f->fs, PFS_ROOT_INO, buf, sizeof buf), -EINVAL);
    remount(f);
    memset(buf, 0, sizeof buf);
    assert_int_equal(pfs_readlink(f->fs, lookup(f->fs, PFS_ROOT_INO, "l"), buf, sizeof buf), 13);
    assert_string_equal(buf, "../some/where");
}

static void test_fs_rename_basic(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    uint64_t d1 = mkdirp(f->fs, &root, PFS_ROOT_INO, "d1", 0755);
    uint64_t d2 = mkdirp(f->fs, &root, PFS_ROOT_INO, "d2", 0755);
    uint64_t sub = mkdirp(f->fs, &root, d1, "sub", 0755);
    uint64_t x = mkfile_seed(f->fs, d1, "x", 10, 1);
    uint64_t y = mkfile_seed(f->fs, d2, "y", 20, 2);
    /* within a directory */
    assert_int_equal(pfs_rename(f->fs, &root, d1, "x", d1, "x2", 0), 0);
    assert_int_equal(lookup(f->fs, d1, "x"), 0);
    assert_int_equal(lookup(f->fs, d1, "x2"), x);
    /* across directories, over an existing file: the victim goes */
    assert_int_equal(pfs_rename(f->fs, &root, d1, "x2", d2, "y", 0), 0);
    assert_int_equal(lookup(f->fs, d2, "y"), x);
    assert_int_equal(pfs_getattr(f->fs, y, &a), -ENOENT);
    /* directory moves: link counts and ".." follow */
    assert_int_equal(pfs_rename(f->fs, &root, d1, "sub", d2, "sub", 0), 0);
    assert_int_equal(pfs_getattr(f->fs, d1, &a), 0);
    assert_int_equal(a.nlink, 2);
    assert_int_equal(pfs_getattr(f->fs, d2, &a), 0);
    assert_int_equal(a.nlink, 3);
    assert_int_equal(lookup(f->fs, sub, ".."), d2);
    /* errors */
    mkdirp(f->fs, &root, d1, "full", 0755);
    mkfile(f->fs, &root, lookup(f->fs, d1, "full"), "inside", "z", 1);
    mkdirp(f->fs, &root, d1, "emptydir", 0755);
    mkfile(f->fs, &root, d1, "file", "q", 1);
    assert_int_equal(pfs_rename(f->fs, &root, d2, "sub", d1, "full", 0), -ENOTEMPTY);
    assert_int_equal(pfs_rename(f->fs, &root, d2, "sub", d1, "file", 0), -ENOTDIR);
    assert_int_equal(pfs_rename(f->fs, &root, d1, "file", d1, "emptydir", 0), -EISDIR);
    assert_int_equal(pfs_rename(f->fs, &root, PFS_ROOT_INO, "d2", sub, "loop", 0), -EINVAL);
    assert_int_equal(pfs_rename(f->fs, &root, PFS_ROOT_INO, "d2", d2, "self", 0), -EINVAL);
    assert_int_equal(pfs_rename(f->fs, &root, d1, "missing", d1, "m2", 0), -ENOENT);
    /* directory over an empty directory */
    uint64_t ed = lookup(f->fs, d1, "emptydir");
    assert_int_equal(pfs_rename(f->fs, &root, d2, "sub", d1, "emptydir", 0), 0);
    assert_int_equal(pfs_getattr(f->fs, ed, &a), -ENOENT);
    assert_int_equal(lookup(f->fs, d1, "emptydir"), sub);
    /* two names of one file: nothing happens */
    assert_int_equal(pfs_link(f->fs, &root, x, d2, "xl", &a), 0);
    assert_int_equal(pfs_rename(f->fs, &root, d2, "xl", d2, "y", 0), 0);
    assert_int_equal(lookup(f->fs, d2, "xl"), x);
    remount(f);
    assert_int_equal(lookup(f->fs, d1, "emptydir"), sub);
    assert_int_equal(lookup(f->fs, sub, ".."), d1);
    assert_int_equal(lookup(f->fs, d2, "y"), x);
    check_content(f->fs, x, 10, 1);
    assert_int_equal(pfs_getattr(f->fs, d1, &a), 0);
    assert_int_equal(a.nlink, 4); /* ., .., full, emptydir(sub) */
    assert_int_equal(pfs_getattr(f->fs, d2, &a), 0);
    assert_int_equal(a.nlink, 2);
}

static void test_fs_rename_noreplace_exchange(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    uint64_t d1 = mkdirp(f->fs, &root, PFS_ROOT_INO, "d1", 0755);
    uint64_t d2 = mkdirp(f->fs, &root, PFS_ROOT_INO, "d2", 0755);
    uint64_t file = mkfile_seed(f->fs, d1, "file", 33, 4);
    uint64_t dir = mkdirp(f->fs, &root, d2, "dir", 0755);
    assert_int_equal(pfs_rename(f->fs, &root, d1, "file", d2, "dir", PFS_RENAME_NOREPLACE),
                     -EEXIST);
    assert_int_equal(pfs_rename(f->fs, &root, d1, "file", d2, "new",
                                PFS_RENAME_NOREPLACE | PFS_RENAME_EXCHANGE), -EINVAL);
    assert_int_equal(pfs_rename(f->fs, &root, d1, "file", d2, "absent", PFS_RENAME_EXCHANGE),
                     -ENOENT);
    assert_int_equal(pfs_rename(f->fs, &root, d1, "file", d2, "dir", 4u), -EINVAL);
    assert_int_equal(pfs_rename(f->fs, &root, d1, "file", d2, "dir", PFS_RENAME_EXCHANGE), 0);
    assert_int_equal(lookup(f->fs, d1, "file"), dir);
    assert_int_equal(lookup(f->fs, d2, "dir"), file);
    assert_int_equal(lookup(f->fs, dir, ".."), d1);
    assert_int_equal(pfs_getattr(f->fs, d1, &a), 0);
    assert_int_equal(a.nlink, 3);
    assert_int_equal(pfs_getattr(f->fs, d2, &a), 0);
    assert_int_equal(a.nlink, 2);
    assert_int_equal(pfs_rename(f->fs, &root, d2, "dir", d2, "moved", PFS_RENAME_NOREPLACE), 0);
    remount(f);
    assert_int_equal(lookup(f->fs, d1, "file"), dir);
    assert_int_equal(lookup(f->fs, d2, "moved"), file);
    assert_int_equal(lookup(f->fs, dir, ".."), d1);
    check_content(f->fs, file, 33, 4);
    assert_int_equal(pfs_getattr(f->fs, d1, &a), 0);
    assert_int_equal(a.nlink, 3);
}

static void test_fs_permissions_other_uid(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    uint64_t fh;
    uint64_t d = mkdirp(f->fs, &root, PFS_ROOT_INO, "rootdir", 0755);
    uint64_t secret = mkfile(f->fs, &root, d, "secret", "s", 1);
    struct pfs_setattr sa = {.mode = 0600};
    assert_int_equal(pfs_setattr(f->fs, &root, secret, &sa, PFS_SET_MODE, &a), 0);
    assert_int_equal(pfs_create(f->fs, &alice, d, "mine", 0644, O_WRONLY, &a, &fh), -EACCES);
    assert_int_equal(pfs_mkdir(f->fs, &alice, d, "sub", 0755, &a), -EACCES);
    assert_int_equal(pfs_unlink(f->fs, &alice, d, "secret"), -EACCES);
    assert_int_equal(pfs_open(f->fs, &alice, secret, O_RDONLY, &fh), -EACCES);
    assert_int_equal(pfs_access(f->fs, &alice, secret, R_OK), -EACCES);
    assert_int_equal(pfs_access(f->fs, &alice, d, R_OK | X_OK), 0);
    assert_int_equal(pfs_access(f->fs, &alice, d, W_OK), -EACCES);
    assert_int_equal(pfs_access(f->fs, &root, secret, R_OK | W_OK), 0);
    assert_int_equal(pfs_access(f->fs, &root, secret, X_OK), -EACCES);
    /* search permission on the way */
    sa.mode = 0700;
    assert_int_equal(pfs_setattr(f->fs, &root, d, &sa, PFS_SET_MODE, &a), 0);
    assert_int_equal(pfs_lookup(f->fs, &alice, d, "secret", &a), -EACCES);
    struct names ns = {0};
    assert_int_equal(pfs_readdir(f->fs, &alice, d, 0, collect, &ns), -EACCES);
    /* group access through a supplementary group */
    sa.mode = 0770;
    sa.gid = 500;
    assert_int_equal(pfs_setattr(f->fs, &root, d, &sa, PFS_SET_MODE | PFS_SET_GID, &a), 0);
    gid_t groups[] = {42, 500};
    struct pfs_ctx member = {1002, 1002, 4, groups, 2};
    assert_int_equal(pfs_create(f->fs, &member, d, "grp", 0640, O_WRONLY, &a, &fh), 0);
    assert_int_equal(a.uid, 1002);
    assert_int_equal(a.gid, 1002);
    assert_int_equal(pfs_release(f->fs, a.ino, fh), 0);
    assert_int_equal(pfs_create(f->fs, &alice, d, "nope", 0644, O_WRONLY, &a, &fh), -EACCES);
    /* write permission on the file itself */
    uint64_t ro = mkfile(f->fs, &root, PFS_ROOT_INO, "ro", "r", 1);
    assert_int_equal(pfs_open(f->fs, &alice, ro, O_RDONLY, &fh), 0);
    assert_int_equal(pfs_write(f->fs, ro, fh, "x", 1, 0), -EBADF);
    assert_int_equal(pfs_release(f->fs, ro, fh), 0);
    assert_int_equal(pfs_open(f->fs, &alice, ro, O_WRONLY, &fh), -EACCES);
    assert_int_equal(pfs_open(f->fs, &alice, ro, O_RDONLY | O_TRUNC, &fh), -EACCES);
    sa.size = 0;
    assert_int_equal(pfs_setattr(f->fs, &alice, ro, &sa, PFS_SET_SIZE, &a), -EACCES);
    (void)bob;
}

static void test_fs_sticky_bit(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    uint64_t tmp = mkdirp(f->fs, &root, PFS_ROOT_INO, "tmp", 01777);
    assert_int_equal(pfs_getattr(f->fs, tmp, &a), 0);
    assert_int_equal(a.mode & 07777, 01777);
    uint64_t af = mkfile(f->fs, &alice, tmp, "alice", "a", 1);
    mkfile(f->fs, &alice, tmp, "alice2", "a", 1);
    mkfile(f->fs, &bob, tmp, "bob", "b", 1);
    assert_int_equal(pfs_unlink(f->fs, &bob, tmp, "alice"), -EPERM);
    assert_int_equal(pfs_rename(f->fs, &bob, tmp, "alice", tmp, "stolen", 0), -EPERM);
    assert_int_equal(pfs_rename(f->fs, &bob, tmp, "bob", tmp, "alice", 0), -EPERM);
    assert_int_equal(lookup(f->fs, tmp, "alice"), af);
    assert_int_equal(pfs_unlink(f->fs, &alice, tmp, "alice"), 0);
    assert_int_equal(pfs_unlink(f->fs, &root, tmp, "alice2"), 0); /* root may */
    /* the directory's owner may too */
    uint64_t own = mkdirp(f->fs, &bob, tmp, "bobs", 01777);
    mkfile(f->fs, &alice, own, "a", "a", 1);
    assert_int_equal(pfs_unlink(f->fs, &bob, own, "a"), 0);
}

static void test_fs_sgid_inheritance(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    uint64_t d = mkdirp(f->fs, &root, PFS_ROOT_INO, "shared", 0777);
    struct pfs_setattr sa = {.mode = 02777, .gid = 500};
    assert_int_equal(pfs_setattr(f->fs, &root, d, &sa, PFS_SET_MODE | PFS_SET_GID, &a), 0);
    assert_int_equal(a.mode & 07777, 02777);
    uint64_t fh;
    assert_int_equal(pfs_create(f->fs, &alice, d, "f", 0644, O_WRONLY, &a, &fh), 0);
    assert_int_equal(a.uid, 1000);
    assert_int_equal(a.gid, 500);
    assert_int_equal(a.mode & S_ISGID, 0);
    assert_int_equal(pfs_release(f->fs, a.ino, fh), 0);
    assert_int_equal(pfs_mkdir(f->fs, &alice, d, "sub", 0755, &a), 0);
    assert_int_equal(a.gid, 500);
    assert_int_equal(a.mode & 07777, 02755);
    /* a file asking for set-group-ID in a group its creator is not in loses it */
    assert_int_equal(pfs_mknod(f->fs, &alice, d, "g", S_IFREG | 02755, 0, &a), 0);
    assert_int_equal(a.mode & S_ISGID, 0);
    /* outside: the creator's own group */
    assert_int_equal(pfs_mkdir(f->fs, &root, PFS_ROOT_INO, "plain", 0777, &a), 0);
    assert_int_equal(pfs_mkdir(f->fs, &alice, a.ino, "x", 0755, &a), 0);
    assert_int_equal(a.gid, 1000);
    assert_int_equal(a.mode & S_ISGID, 0);
}

/* A handle open for writing grants truncation and "now" times even when the mode denies
 * writing (open(O_CREAT|O_RDWR, 0444) then ftruncate, as git and tar do); without the
 * handle, or with a read-only one, the mode decides. */
static void test_fs_ftruncate_through_write_handle(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a, pub;
    uint64_t wfh, rfh;
    assert_int_equal(pfs_mkdir(f->fs, &root, PFS_ROOT_INO, "pub", 0777, &pub), 0);
    assert_int_equal(pfs_create(f->fs, &alice, pub.ino, "ro", 0444, O_RDWR, &a, &wfh), 0);
    assert_int_equal(pfs_write(f->fs, a.ino, wfh, "hello", 5, 0), 5);
    struct pfs_setattr sa;
    memset(&sa, 0, sizeof sa);
    sa.size = 2;
    assert_int_equal(pfs_setattr(f->fs, &alice, a.ino, &sa, PFS_SET_SIZE, NULL), -EACCES);
    sa.fh = wfh;
    assert_int_equal(pfs_setattr(f->fs, &alice, a.ino, &sa, PFS_SET_SIZE | PFS_SET_FH, &a), 0);
    assert_int_equal(a.size, 2);
    assert_int_equal(pfs_setattr(f->fs, &alice, a.ino, &sa, PFS_SET_MTIME_NOW | PFS_SET_FH,
                                 NULL), 0);
    /* alice may read her 0444 file; a read-only handle grants nothing more */
    assert_int_equal(pfs_open(f->fs, &alice, a.ino, O_RDONLY, &rfh), 0);
    sa.fh = rfh;
    assert_int_equal(pfs_setattr(f->fs, &alice, a.ino, &sa, PFS_SET_SIZE | PFS_SET_FH, NULL),
                     -EACCES);
    /* a handle on another inode grants nothing either */
    struct pfs_attr other;
    uint64_t ofh;
    assert_int_equal(pfs_create(f->fs, &alice, pub.ino, "w", 0644, O_RDWR, &other, &ofh), 0);
    sa.fh = ofh;
    assert_int_equal(pfs_setattr(f->fs, &alice, a.ino, &sa, PFS_SET_SIZE | PFS_SET_FH, NULL),
                     -EACCES);
    assert_int_equal(pfs_release(f->fs, a.ino, rfh), 0);
    assert_int_equal(pfs_release(f->fs, a.ino, wfh), 0);
    assert_int_equal(pfs_release(f->fs, other.ino, ofh), 0);
}

static void test_fs_chmod_chown_utimes_rules(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    struct pfs_setattr sa;
    uint64_t pub = mkdirp(f->fs, &root, PFS_ROOT_INO, "pub", 0777);
    uint64_t ino = mkfile(f->fs, &alice, pub, "x", "data", 4);
    memset(&sa, 0, sizeof sa);
    sa.mode = 0666;
    assert_int_equal(pfs_setattr(f->fs, &bob, ino, &sa, PFS_SET_MODE, &a), -EPERM);
    assert_int_equal(pfs_setattr(f->fs, &alice, ino, &sa, PFS_SET_MODE, &a), 0);
    assert_int_equal(a.mode & 07777, 0666);
    /* chown: only root gives a file away; the owner may pick one of its groups */
    sa.uid = 1001;
    assert_int_equal(pfs_setattr(f->fs, &alice, ino, &sa, PFS_SET_UID, &a), -EPERM);
    gid_t g[] = {600};
    struct pfs_ctx alice2 = {1000, 1000, 2, g, 1};
    sa.gid = 600;
    assert_int_equal(pfs_setattr(f->fs, &alice, ino, &sa, PFS_SET_GID, &a), -EPERM);
    assert_int_equal(pfs_setattr(f->fs, &alice2, ino, &sa, PFS_SET_GID, &a), 0);
    assert_int_equal(a.gid, 600);
    assert_int_equal(pfs_setattr(f->fs, &bob, ino, &sa, PFS_SET_GID, &a), -EPERM);
    /* chmod by a non-member drops set-group-ID */
    sa.mode = 02755;
    assert_int_equal(pfs_setattr(f->fs, &alice, ino, &sa, PFS_SET_MODE, &a), 0);
    assert_int_equal(a.mode & 07777, 0755);
    assert_int_equal(pfs_setattr(f->fs, &alice2, ino, &sa, PFS_SET_MODE, &a), 0);
    assert_int_equal(a.mode & 07777, 02755);
    /* chown by the owner (non-root) clears set-ID bits */
    sa.mode = 06755;
    assert_int_equal(pfs_setattr(f->fs, &alice2, ino, &sa, PFS_SET_MODE, &a), 0);
    assert_int_equal(a.mode & 07777, 06755);
    sa.gid = 1000;
    assert_int_equal(pfs_setattr(f->fs, &alice2, ino, &sa, PFS_SET_GID, &a), 0);
    assert_int_equal(a.mode & 07777, 0755);
    /* root's chown keeps them; root may give the file away */
    sa.mode = 06755;
    assert_int_equal(pfs_setattr(f->fs, &alice, ino, &sa, PFS_SET_MODE, &a), 0);
    assert_int_equal(a.mode & 07777, 06755); /* alice is in the file's group 1000 */
    sa.uid = 1001;
    assert_int_equal(pfs_setattr(f->fs, &root, ino, &sa, PFS_SET_UID, &a), 0);
    assert_int_equal(a.uid, 1001);
    assert_int_equal(a.mode & S_ISUID, S_ISUID);
    /* a write by a non-root user clears set-user-ID */
    sa.mode = 04777;
    assert_int_equal(pfs_setattr(f->fs, &bob, ino, &sa, PFS_SET_MODE, &a), 0);
    uint64_t fh;
    assert_int_equal(pfs_open(f->fs, &alice, ino, O_WRONLY, &fh), 0);
    assert_int_equal(pfs_write(f->fs, ino, fh, "y", 1, 0), 1);
    assert_int_equal(pfs_release(f->fs, ino, fh), 0);
    assert_int_equal(pfs_getattr(f->fs, ino, &a), 0);
    assert_int_equal(a.mode & 07777, 0777);
    /* times: explicit values are the owner's; "now" needs write permission */
    memset(&sa, 0, sizeof sa);
    sa.mtime.tv_sec = 1000000;
    sa.atime.tv_sec = 2000000;
    assert_int_equal(pfs_setattr(f->fs, &alice, ino, &sa, PFS_SET_MTIME | PFS_SET_ATIME, &a),
                     -EPERM);
    assert_int_equal(pfs_setattr(f->fs, &bob, ino, &sa, PFS_SET_MTIME | PFS_SET_ATIME, &a), 0);
    assert_int_equal(a.mtime.tv_sec, 1000000);
    assert_int_equal(a.atime.tv_sec, 2000000);
    assert_int_equal(pfs_setattr(f->fs, &alice, ino, &sa, PFS_SET_MTIME_NOW | PFS_SET_ATIME_NOW,
                                 &a), 0); /* 0777: alice may write */
    assert_true(a.mtime.tv_sec > 1000000);
    sa.mode = 0755;
    assert_int_equal(pfs_setattr(f->fs, &bob, ino, &sa, PFS_SET_MODE, &a), 0);
    assert_int_equal(pfs_setattr(f->fs, &alice, ino, &sa, PFS_SET_MTIME_NOW, &a), -EACCES);
    remount(f);
    assert_int_equal(pfs_getattr(f->fs, ino, &a), 0);
    assert_int_equal(a.uid, 1001);
    assert_int_equal(a.mode & 07777, 0755);
}

/* open(O_TRUNC) of an existing empty file still marks mtime and ctime, as POSIX says
 * (`: > stamp` refreshes a make stamp). */
static void test_fs_o_trunc_empty_file_marks_times(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a, b;
    uint64_t fh;
    assert_int_equal(pfs_create(f->fs, &root, PFS_ROOT_INO, "stamp", 0644, O_WRONLY, &a, &fh), 0);
    assert_int_equal(pfs_release(f->fs, a.ino, fh), 0);
    assert_int_equal(pfs_getattr(f->fs, a.ino, &a), 0);
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    assert_int_equal(pfs_open(f->fs, &root, a.ino, O_WRONLY | O_TRUNC, &fh), 0);
    assert_int_equal(pfs_release(f->fs, a.ino, fh), 0);
    assert_int_equal(pfs_getattr(f->fs, a.ino, &b), 0);
    assert_int_equal(b.size, 0);
    assert_true(b.mtime.tv_sec > a.mtime.tv_sec ||
                (b.mtime.tv_sec == a.mtime.tv_sec && b.mtime.tv_nsec > a.mtime.tv_nsec));
    assert_true(b.ctime.tv_sec > a.ctime.tv_sec ||
                (b.ctime.tv_sec == a.ctime.tv_sec && b.ctime.tv_nsec > a.ctime.tv_nsec));
}

static void test_fs_truncate_and_sparse(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    struct pfs_setattr sa = {0};
    size_t n = 3 * CL;
    uint8_t *buf = malloc(4 * CL), *want = malloc(4 * CL);
    assert_non_null(buf);
    assert_non_null(want);
    uint64_t ino = mkfile_seed(f->fs, PFS_ROOT_INO, "t", n, 5);
    fill(want, n, 5);
    /* down, into the middle of a cluster */
    sa.size = CL + 1000;
    assert_int_equal(pfs_setattr(f->fs, &root, ino, &sa, PFS_SET_SIZE, &a), 0);
    assert_int_equal(a.size, CL + 1000);
    /* up again: the cut-off bytes read as zeros */
    sa.size = 3 * CL + 10;
    assert_int_equal(pfs_setattr(f->fs, &root, ino, &sa, PFS_SET_SIZE, &a), 0);
    memset(want + CL + 1000, 0, 2 * CL + 10 - 1000 + 10);
    assert_int_equal(readat(f->fs, ino, buf, 4 * CL, 0), 3 * CL + 10);
    assert_memory_equal(buf, want, 3 * CL + 10);
    /* a hole in the middle of a sparse file */
    uint64_t sp = mkfile(f->fs, &root, PFS_ROOT_INO, "sparse", NULL, 0);
    writeat(f->fs, sp, "head", 4, 0);
    writeat(f->fs, sp, "tail", 4, 10 * CL);
    assert_int_equal(pfs_getattr(f->fs, sp, &a), 0);
    assert_int_equal(a.size, 10 * CL + 4);
    assert_true(a.blocks <= 2 * CL / 512);
    memset(buf, 0xff, CL);
    assert_int_equal(readat(f->fs, sp, buf, CL, 5 * CL), CL);
    for (size_t i = 0; i < CL; i++)
        assert_int_equal(buf[i], 0);
    remount(f);
    assert_int_equal(readat(f->fs, ino, buf, 4 * CL, 0), 3 * CL + 10);
    assert_memory_equal(buf, want, 3 * CL + 10);
    assert_int_equal(readat(f->fs, sp, buf, 4, 10 * CL), 4);
    assert_memory_equal(buf, "tail", 4);
    assert_int_equal(readat(f->fs, sp, buf, 8, 0), 8);
    assert_memory_equal(buf, "head\0\0\0\0", 8);
    /* to zero and back to small */
    sa.size = 0;
    assert_int_equal(pfs_setattr(f->fs, &root, sp, &sa, PFS_SET_SIZE, &a), 0);
    assert_int_equal(a.blocks, 0);
    writeat(f->fs, sp, "again", 5, 0);
    remount(f);
    assert_int_equal(readat(f->fs, sp, buf, 100, 0), 5);
    assert_memory_equal(buf, "again", 5);
    sa.size = 1ULL << 51;
    assert_int_equal(pfs_setattr(f->fs, &root, sp, &sa, PFS_SET_SIZE, &a), -EFBIG);
    free(buf);
    free(want);
}

static void test_fs_large_file_beyond_4gib(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    uint8_t buf[3 * 4096], want[3 * 4096];
    uint64_t off = (5ULL << 30) + 12345; /* 5 GiB and a bit: past any 32-bit offset */
    fill(want, sizeof want, 77);
    uint64_t ino = mkfile(f->fs, &root, PFS_ROOT_INO, "big", "start", 5);
    writeat(f->fs, ino, want, sizeof want, off);
    assert_int_equal(pfs_getattr(f->fs, ino, &a), 0);
    assert_int_equal(a.size, off + sizeof want);
    remount(f);
    assert_int_equal(readat(f->fs, ino, buf, sizeof buf, off), (ssize_t)sizeof buf);
    assert_memory_equal(buf, want, sizeof want);
    assert_int_equal(readat(f->fs, ino, buf, 100, 4ULL << 30), 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(buf[i], 0);
    assert_int_equal(readat(f->fs, ino, buf, 5, 0), 5);
    assert_memory_equal(buf, "start", 5);
    assert_int_equal(readat(f->fs, ino, buf, 10, off + sizeof want), 0);
    /* a write that would pass the largest file size */
    uint64_t fh;
    assert_int_equal(pfs_open(f->fs, &root, ino, O_WRONLY, &fh), 0);
    assert_int_equal(pfs_write(f->fs, ino, fh, "x", 1, FS_MAX_FILE_SIZE), -EFBIG);
    assert_int_equal(pfs_release(f->fs, ino, fh), 0);
}

static void test_fs_small_files_packed_inline(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    struct pfs_stats st0, st1;
    assert_int_equal(pfs_stats_get(f->fs, &st0), 0);
    for (int i = 0; i < 50; i++) {
        char n[16];
        snprintf(n, sizeof n, "s%d", i);
        mkfile_seed(f->fs, PFS_ROOT_INO, n, 100 + (size_t)i * 10, (uint32_t)i);
    }
    assert_int_equal(pfs_sync(f->fs), 0);
    assert_int_equal(pfs_stats_get(f->fs, &st1), 0);
    assert_int_equal(st1.data_clusters, st0.data_clusters); /* no cluster per small file */
    uint64_t s0 = lookup(f->fs, PFS_ROOT_INO, "s0");
    assert_int_equal(pfs_test_file_lcn(f->fs, s0, 0), FS_LCN_NONE);
    /* growing past the inline limit moves it to clusters, content intact */
    uint8_t big[FS_INLINE_MAX + 100];
    fill(big, sizeof big, 0);
    writeat(f->fs, s0, big + 100, sizeof big - 100, 100);
    assert_int_equal(pfs_sync(f->fs), 0);
    assert_true(pfs_test_file_lcn(f->fs, s0, 0) != FS_LCN_NONE);
    remount(f);
    check_content(f->fs, s0, sizeof big, 0);
    for (int i = 1; i < 50; i++) {
        char n[16];
        snprintf(n, sizeof n, "s%d", i);
        check_content(f->fs, lookup(f->fs, PFS_ROOT_INO, n), 100 + (size_t)i * 10, (uint32_t)i);
    }
    assert_int_equal(pfs_getattr(f->fs, s0, &a), 0);
    assert_int_equal(a.blocks, CL / 512);
}

static void test_fs_xattr_create_replace_list_remove(void **state)
{
    struct fx *f = *state;
    char buf[256];
    uint64_t ino = mkfile(f->fs, &root, PFS_ROOT_INO, "x", "abc", 3);
    assert_int_equal(pfs_setxattr(f->fs, &root, ino, "user.a", "1", 1, XATTR_REPLACE), -ENODATA);
    assert_int_equal(pfs_setxattr(f->fs, &root, ino, "user.a", "1", 1, XATTR_CREATE), 0);
    assert_int_equal(pfs_setxattr(f->fs, &root, ino, "user.a", "2", 1, XATTR_CREATE), -EEXIST);
    assert_int_equal(pfs_setxattr(f->fs, &root, ino, "user.a", "22", 2, XATTR_REPLACE), 0);
    assert_int_equal(pfs_setxattr(f->fs, &root, ino, "user.b", "", 0, 0), 0);
    assert_int_equal(pfs_setxattr(f->fs, &root, ino, "trusted.t", "t", 1, 0), 0);
    assert_int_equal(pfs_setxattr(f->fs, &root, ino, "system.posix_acl_access", "t", 1, 0),
                     -EOPNOTSUPP);
    assert_int_equal(pfs_setxattr(f->fs, &root, ino, PFS_FIXITY_XATTR, "0", 1, 0), -EPERM);
    assert_int_equal(pfs_setxattr(f->fs, &alice, ino, "user.c", "1", 1, 0), -EACCES);
    assert_int_equal(pfs_getxattr(f->fs, &root, ino, "user.a", NULL, 0), 2);
    assert_int_equal(pfs_getxattr(f->fs, &root, ino, "user.a", buf, 1), -ERANGE);
    assert_int_equal(pfs_getxattr(f->fs, &root, ino, "user.a", buf, sizeof buf), 2);
    assert_memory_equal(buf, "22", 2);
    assert_int_equal(pfs_getxattr(f->fs, &root, ino, "user.zz", buf, sizeof buf), -ENODATA);
    assert_int_equal(pfs_getxattr(f->fs, &alice, ino, "trusted.t", buf, sizeof buf), -ENODATA);
    char big[PFS_XATTR_SIZE_MAX + 1];
    memset(big, 'v', sizeof big);
    assert_int_equal(pfs_setxattr(f->fs, &root, ino, "user.big", big, sizeof big, 0), -E2BIG);
    assert_int_equal(pfs_setxattr(f->fs, &root, ino, "user.big", big, PFS_XATTR_SIZE_MAX, 0), 0);
    remount(f);
    ssize_t n = pfs_listxattr(f->fs, &root, ino, NULL, 0);
    assert_true(n > 0);
    assert_int_equal(pfs_listxattr(f->fs, &root, ino, buf, 3), -ERANGE);
    assert_int_equal(pfs_listxattr(f->fs, &root, ino, buf, sizeof buf), n);
    /* names: user.a user.b trusted.t user.big, not the fixity digest (read by name only,
     * so copies made with cp -a or rsync -X do not carry it) */
    int found = 0;
    for (char *p = buf; p < buf + n; p += strlen(p) + 1) {
        found += !strcmp(p, "user.a") + !strcmp(p, "user.b") + !strcmp(p, "trusted.t") +
                 !strcmp(p, "user.big");
        assert_string_not_equal(p, PFS_FIXITY_XATTR);
    }
    assert_int_equal(found, 4);
    assert_int_equal(n, (ssize_t)(sizeof "user.a" + sizeof "user.b" + sizeof "trusted.t" +
                                  sizeof "user.big"));
    assert_int_equal(pfs_getxattr(f->fs, &root, ino, PFS_FIXITY_XATTR, NULL, 0), 64);
    n = pfs_listxattr(f->fs, &alice, ino, buf, sizeof buf);
    assert_true(n > 0 && memmem(buf, (size_t)n, "trusted.t", 9) == NULL);
    char *v = malloc(PFS_XATTR_SIZE_MAX);
    assert_int_equal(pfs_getxattr(f->fs, &root, ino, "user.big", v, PFS_XATTR_SIZE_MAX),
                     PFS_XATTR_SIZE_MAX);
    assert_memory_equal(v, big, PFS_XATTR_SIZE_MAX);
    free(v);
    assert_int_equal(pfs_removexattr(f->fs, &root, ino, "user.a"), 0);
    assert_int_equal(pfs_removexattr(f->fs, &root, ino, "user.a"), -ENODATA);
    assert_int_equal(pfs_removexattr(f->fs, &root, ino, PFS_FIXITY_XATTR), -EPERM);
    remount(f);
    assert_int_equal(pfs_getxattr(f->fs, &root, ino, "user.a", buf, sizeof buf), -ENODATA);
    assert_int_equal(pfs_getxattr(f->fs, &root, ino, "user.b", buf, sizeof buf), 0);
    /* directories take user xattrs; symlinks do not */
    assert_int_equal(pfs_setxattr(f->fs, &root, PFS_ROOT_INO, "user.d", "d", 1, 0), 0);
    struct pfs_attr a;
    assert_int_equal(pfs_symlink(f->fs, &root, "x", PFS_ROOT_INO, "l", &a), 0);
    assert_int_equal(pfs_setxattr(f->fs, &root, a.ino, "user.d", "d", 1, 0), -EPERM);
}

static void hexof(const uint8_t *data, size_t len, char out[65])
{
    uint8_t d[32];
    crypto_generichash(d, sizeof d, data, len, NULL, 0);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_fs_fixity_digest_matches_blake2b(void **state)
{
    struct fx *f = *state;
    char want[65], got[65];
    size_t n = 200000;
    uint8_t *d = malloc(n);
    fill(d, n, 31);
    /* sequential writes in odd chunks */
    struct pfs_attr a;
    uint64_t fh;
    assert_int_equal(pfs_create(f->fs, &root, PFS_ROOT_INO, "seq", 0644, O_WRONLY, &a, &fh), 0);
    for (size_t off = 0; off < n; off += 7001) {
        size_t k = n - off < 7001 ? n - off : 7001;
        assert_int_equal(pfs_write(f->fs, a.ino, fh, d + off, k, off), (ssize_t)k);
    }
    assert_int_equal(pfs_getxattr(f->fs, &root, a.ino, PFS_FIXITY_XATTR, got, 64), -ENODATA);
    assert_int_equal(pfs_release(f->fs, a.ino, fh), 0);
    hexof(d, n, want);
    memset(got, 0, sizeof got);
    assert_int_equal(pfs_getxattr(f->fs, &root, a.ino, PFS_FIXITY_XATTR, got, 64), 64);
    assert_string_equal(got, want);
    /* out-of-order writes: computed from the content at close */
    uint64_t ino2;
    assert_int_equal(pfs_create(f->fs, &root, PFS_ROOT_INO, "ooo", 0644, O_WRONLY, &a, &fh), 0);
    ino2 = a.ino;
    assert_int_equal(pfs_write(f->fs, ino2, fh, d + 100000, n - 100000, 100000),
                     (ssize_t)(n - 100000));
    assert_int_equal(pfs_write(f->fs, ino2, fh, d, 100000, 0), 100000);
    assert_int_equal(pfs_release(f->fs, ino2, fh), 0);
    memset(got, 0, sizeof got);
    assert_int_equal(pfs_getxattr(f->fs, &root, ino2, PFS_FIXITY_XATTR, got, 64), 64);
    assert_string_equal(got, want);
    /* small inline file and the empty file */
    uint64_t s = mkfile(f->fs, &root, PFS_ROOT_INO, "small", d, 10);
    hexof(d, 10, want);
    assert_int_equal(pfs_getxattr(f->fs, &root, s, PFS_FIXITY_XATTR, got, 64), 64);
    assert_string_equal(got, want);
    uint64_t e = mkfile(f->fs, &root, PFS_ROOT_INO, "empty", NULL, 0);
    hexof(d, 0, want);
    assert_int_equal(pfs_getxattr(f->fs, &root, e, PFS_FIXITY_XATTR, got, 64), 64);
    assert_string_equal(got, want);
    /* it survives a remount, and follows a truncate */
    remount(f);
    hexof(d, n, want);
    assert_int_equal(pfs_getxattr(f->fs, &root, ino2, PFS_FIXITY_XATTR, got, 64), 64);
    assert_string_equal(got, want);
    struct pfs_setattr sa = {.size = 1234};
    assert_int_equal(pfs_setattr(f->fs, &root, ino2, &sa, PFS_SET_SIZE, &a), 0);
    hexof(d, 1234, want);
    assert_int_equal(pfs_getxattr(f->fs, &root, ino2, PFS_FIXITY_XATTR, got, 64), 64);
    assert_string_equal(got, want);
    free(d);
}

static void test_fs_readdir_cookies_stable(void **state)
{
    struct fx *f = *state;
    uint64_t d = mkdirp(f->fs, &root, PFS_ROOT_INO, "d", 0755);
    for (int i = 0; i < 200; i++) {
        char n[16];
        snprintf(n, sizeof n, "e%03d", i);
        mkfile(f->fs, &root, d, n, NULL, 0);
    }
    /* read 50 at a time, deleting and adding between calls */
    struct names all = {0};
    uint64_t off = 0;
    int round = 0;
    for (;;) {
        struct names part = {0};
        part.stop_after = 50;
        assert_int_equal(pfs_readdir(f->fs, &root, d, off, collect, &part), 0);
        for (size_t i = 0; i < part.n; i++)
            collect(&all, part.v[i], NULL, part.cookie[i]);
        if (part.n == 0) {
            free(part.v);
            free(part.cookie);
            break;
        }
        off = part.cookie[part.n - 1];
        free(part.v);
        free(part.cookie);
        if (round >= 3)
            continue;
        char n[16];
        snprintf(n, sizeof n, "e%03d", 199 - round);
        assert_int_equal(pfs_unlink(f->fs, &root, d, n), 0);
        snprintf(n, sizeof n, "new%d", round++);
        mkfile(f->fs, &root, d, n, NULL, 0);
    }
    /* ".", "..", no name twice, every entry that lived throughout seen */
    assert_string_equal(all.v[0], ".");
    assert_string_equal(all.v[1], "..");
    for (size_t i = 0; i < all.n; i++)
        for (size_t j = i + 1; j < all.n; j++)
            assert_string_not_equal(all.v[i], all.v[j]);
    for (int i = 0; i < 190; i++) {
        char n[16];
        snprintf(n, sizeof n, "e%03d", i);
        bool seen = false;
        for (size_t k = 0; k < all.n && !seen; k++)
            seen = strcmp(all.v[k], n) == 0;
        assert_true(seen);
    }
    free(all.v);
    free(all.cookie);
}

static void test_fs_many_files_in_one_directory(void **state)
{
    struct fx *f = *state;
    uint64_t d = mkdirp(f->fs, &root, PFS_ROOT_INO, "big", 0755);
    struct pfs_attr a;
    uint64_t fh;
    for (int i = 0; i < 10000; i++) {
        char n[32];
        snprintf(n, sizeof n, "file-%05d", i);
        assert_int_equal(pfs_create(f->fs, &root, d, n, 0644, O_WRONLY | O_EXCL, &a, &fh), 0);
        assert_int_equal(pfs_release(f->fs, a.ino, fh), 0);
    }
    assert_int_equal(count_entries(f->fs, d), 10002);
    remount(f);
    assert_int_equal(count_entries(f->fs, d), 10002);
    for (int i = 0; i < 10000; i += 7) {
        char n[32];
        snprintf(n, sizeof n, "file-%05d", i);
        assert_true(lookup(f->fs, d, n) != 0);
    }
    assert_int_equal(lookup(f->fs, d, "file-10000"), 0);
    for (int i = 0; i < 10000; i += 2) {
        char n[32];
        snprintf(n, sizeof n, "file-%05d", i);
        assert_int_equal(pfs_unlink(f->fs, &root, d, n), 0);
    }
    remount(f);
    assert_int_equal(count_entries(f->fs, d), 5002);
}

static void test_fs_crash_image_copy_after_fsync(void **state)
{
    struct fx *f = *state;
    char copy[128];
    snprintf(copy, sizeof copy, "%s/copy", f->dir);
    uint64_t d = mkdirp(f->fs, &root, PFS_ROOT_INO, "d", 0755);
    uint64_t a = mkfile_seed(f->fs, d, "a", 150000, 1);
    uint64_t b = mkfile_seed(f->fs, d, "b", 300, 2);
    assert_int_equal(pfs_fsync(f->fs, a, 0), 0);
    copy_file(f->path, copy); /* the medium as a crash right now would leave it */
    /* later, unsynced changes that the copy must not need */
    mkfile_seed(f->fs, d, "c", 70000, 3);
    assert_int_equal(pfs_unlink(f->fs, &root, d, "b"), 0);
    struct medium *m2;
    struct pfs *fs2;
    mount_copy(copy, &m2, &fs2);
    assert_int_equal(lookup(fs2, PFS_ROOT_INO, "d"), d);
    check_content(fs2, lookup(fs2, d, "a"), 150000, 1);
    check_content(fs2, lookup(fs2, d, "b"), 300, 2);
    assert_int_equal(lookup(fs2, d, "b"), b);
    struct pfs_stats st;
    assert_int_equal(pfs_stats_get(fs2, &st), 0);
    assert_true(st.log_records_replayed > 0);
    assert_int_equal(pfs_unmount(fs2), 0);
    assert_int_equal(medium_close(m2), 0);
    /* and the copy mounts again, clean */
    mount_copy(copy, &m2, &fs2);
    check_content(fs2, lookup(fs2, d, "a"), 150000, 1);
    assert_int_equal(pfs_unmount(fs2), 0);
    assert_int_equal(medium_close(m2), 0);
}

static void test_fs_crash_abandon_without_unmount(void **state)
{
    struct fx *f = *state;
    struct pfs_stats st0, st1;
    uint64_t keep = mkfile_seed(f->fs, PFS_ROOT_INO, "keep", 100000, 4);
    remount(f);
    assert_int_equal(pfs_stats_get(f->fs, &st0), 0);
    uint64_t d = mkdirp(f->fs, &root, PFS_ROOT_INO, "new", 0700);
    uint64_t x = mkfile_seed(f->fs, d, "x", 200000, 5);
    writeat(f->fs, keep, "PATCH", 5, 70000);
    /* open, unlinked, then the crash: the file must not come back nor leak space */
    uint64_t tmp = mkfile_seed(f->fs, PFS_ROOT_INO, "tmp", 3 * CL, 6);
    uint64_t fh;
    assert_int_equal(pfs_open(f->fs, &root, tmp, O_RDONLY, &fh), 0);
    assert_int_equal(pfs_unlink(f->fs, &root, PFS_ROOT_INO, "tmp"), 0);
    assert_int_equal(pfs_fsync(f->fs, x, 1), 0);
    mkfile_seed(f->fs, d, "lost", 1000, 7); /* not synced: may be lost */
    pfs_test_abandon(f->fs);
    f->fs = NULL;
    assert_int_equal(mount_fx(f), 0);
    assert_int_equal(lookup(f->fs, PFS_ROOT_INO, "new"), d);
    check_content(f->fs, lookup(f->fs, d, "x"), 200000, 5);
    uint8_t buf[5];
    assert_int_equal(readat(f->fs, keep, buf, 5, 70000), 5);
    assert_memory_equal(buf, "PATCH", 5);
    struct pfs_attr a;
    assert_int_equal(pfs_getattr(f->fs, tmp, &a), -ENOENT);
    assert_int_equal(pfs_stats_get(f->fs, &st1), 0);
    /* data clusters: keep (2) + x (4); tmp's 3 are free again */
    assert_int_equal(st1.data_clusters, st0.data_clusters + 4);
}

/* ---- power cuts at the n-th write of the image file ------------------------------- */

/*
 * The host below the medium at a power cut, through the medium's host I/O table
 * (medium.h "Host I/O of the image"). In every mode what an fsync of the image returned
 * before the cut is on the file, and every write after the cut is lost.
 *   CUT_DROP     writes reach the file in order; the one at the cut is lost.
 *   CUT_TEAR     as CUT_DROP, but the write at the cut lands torn: each 2048-byte sector
 *                of it (aligned in the file) keeps its old bytes, takes the new ones, or
 *                mixes them (new up to a random byte and old after it, or the reverse).
 *   CUT_REORDER  a write-back cache: writes stay in memory (reads see them) until the
 *                medium fsyncs the image; at the cut a random subset of the writes since
 *                that fsync, the one at the cut included, reaches the file in a random
 *                order.
 * Every draw comes from the medium's seed, the mode, the cut point and the round, so a
 * failing trial replays.
 */
enum cut_mode { CUT_DROP, CUT_TEAR, CUT_REORDER };

#define CUT_SECTOR 2048u        /* SECTOR_USER_BYTES: the unit a torn write mixes */
#define CUT_RNG_DOMAIN 0x70c7u  /* this test's stream, apart from the medium's domains */

struct cut_write {
    off_t off;
    size_t len;
    uint8_t *p;
};

static struct {
    enum cut_mode mode;
    long after; /* the write the power fails on (counted from 0); -1: no counting */
    long seen;
    bool done;
    struct util_rng rng;
    struct cut_write *pend; /* CUT_REORDER: written since the last fsync, in order */
    size_t npend, cap;
    unsigned long kinds[3];      /* CUT_TEAR: sectors kept old, new, mixed */
    unsigned long kept, dropped; /* CUT_REORDER: pending writes persisted or lost */
} cut_host = {.after = -1};

static void cut_put(int fd, const void *buf, size_t len, off_t off)
{
    assert_int_equal(pwrite(fd, buf, len, off), (ssize_t)len);
}

static void cut_pend_clear(void)
{
    for (size_t i = 0; i < cut_host.npend; i++)
        free(cut_host.pend[i].p);
    cut_host.npend = 0;
}

static void cut_pend_push(const void *buf, size_t len, off_t off)
{
    if (cut_host.npend == cut_host.cap) {
        cut_host.cap = cut_host.cap ? 2 * cut_host.cap : 64;
        cut_host.pend = realloc(cut_host.pend, cut_host.cap * sizeof *cut_host.pend);
        assert_non_null(cut_host.pend);
    }
    struct cut_write *w = &cut_host.pend[cut_host.npend++];
    w->off = off;
    w->len = len;
    w->p = malloc(len ? len : 1);
    assert_non_null(w->p);
    memcpy(w->p, buf, len);
}

/* The host's atomic write unit inside a torn sector: 512 bytes, what image.c invariant 6
 * relies on (a table entry never straddles a 512-byte sector); TEST_FS_TEAR_UNIT=1 tears
 * at any byte, beyond what a disk does (see the report of issue 13). */
static size_t cut_unit(void)
{
    const char *s = getenv("TEST_FS_TEAR_UNIT");
    long u = s ? atol(s) : 512;
    return u >= 1 && u <= CUT_SECTOR ? (size_t)u : 512;
}

/* Where a sector of n bytes at file offset pos tears: a unit boundary strictly inside. */
static size_t cut_split(uint64_t pos, size_t n)
{
    size_t u = cut_unit(), first = (size_t)(u - pos % u) % u;
    if (first == 0)
        first = u;
    size_t choices = first >= n ? 0 : 1 + (n - 1 - first) / u;
    if (choices == 0)
        return n / 2 ? n / 2 : 1;
    return first + u * (size_t)util_rng_below(&cut_host.rng, choices);
}

static void cut_tear(int fd, const uint8_t *buf, size_t len, off_t off)
{
    for (size_t done = 0; done < len;) {
        uint64_t pos = (uint64_t)off + done;
        size_t n = CUT_SECTOR - pos % CUT_SECTOR;
        if (n > len - done)
            n = len - done;
        unsigned kind = (unsigned)util_rng_below(&cut_host.rng, 3);
        if (kind == 2 && n <= cut_unit())
            kind = 1; /* no boundary to tear at */
        if (kind == 1) {
            cut_put(fd, buf + done, n, (off_t)pos);
        } else if (kind == 2) {
            size_t split = cut_split(pos, n);
            if (util_rng_below(&cut_host.rng, 2))
                cut_put(fd, buf + done, split, (off_t)pos);
            else
                cut_put(fd, buf + done + split, n - split, (off_t)(pos + split));
        }
        cut_host.kinds[kind]++;
        done += n;
    }
}

static void cut_reorder(int fd)
{
    for (size_t i = cut_host.npend; i > 1; i--) {
        size_t j = (size_t)util_rng_below(&cut_host.rng, i);
        struct cut_write w = cut_host.pend[i - 1];
        cut_host.pend[i - 1] = cut_host.pend[j];
        cut_host.pend[j] = w;
    }
    for (size_t i = 0; i < cut_host.npend; i++) {
        if (util_rng_below(&cut_host.rng, 2)) {
            cut_put(fd, cut_host.pend[i].p, cut_host.pend[i].len, cut_host.pend[i].off);
            cut_host.kept++;
        } else {
            cut_host.dropped++;
        }
    }
    cut_pend_clear();
}

static ssize_t cut_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    if (cut_host.done)
        return (ssize_t)len; /* lost with the power */
    bool now = cut_host.after >= 0 && cut_host.seen++ >= cut_host.after;
    if (cut_host.mode == CUT_REORDER) {
        cut_pend_push(buf, len, off);
        if (now) {
            cut_reorder(fd);
            cut_host.done = true;
        }
        return (ssize_t)len;
    }
    if (!now)
        return pwrite(fd, buf, len, off);
    if (cut_host.mode == CUT_TEAR)
        cut_tear(fd, buf, len, off);
    cut_host.done = true;
    return (ssize_t)len;
}

/* The file, overlaid by the cache in write order. */
static ssize_t cut_pread(int fd, void *buf, size_t len, off_t off)
{
    ssize_t n = pread(fd, buf, len, off);
    if (n < 0)
        return n;
    for (size_t i = 0; i < cut_host.npend; i++) {
        const struct cut_write *w = &cut_host.pend[i];
        off_t lo = w->off > off ? w->off : off;
        off_t hi = (off_t)(w->off + (off_t)w->len) < (off_t)(off + (off_t)len)
                       ? (off_t)(w->off + (off_t)w->len)
                       : (off_t)(off + (off_t)len);
        if (lo >= hi)
            continue;
        if (lo - off > n)
            memset((uint8_t *)buf + n, 0, (size_t)(lo - off - n)); /* a hole past EOF */
        memcpy((uint8_t *)buf + (lo - off), w->p + (lo - w->off), (size_t)(hi - lo));
        if (hi - off > n)
            n = hi - off;
    }
    return n;
}

static int cut_fsync(int fd)
{
    if (cut_host.done)
        return 0;
    for (size_t i = 0; i < cut_host.npend; i++)
        cut_put(fd, cut_host.pend[i].p, cut_host.pend[i].len, cut_host.pend[i].off);
    cut_pend_clear();
    (void)fd;
    return 0; /* the host itself never fails here: a real fsync would only cost time */
}

static const struct medium_io cut_io = {
    .pread = cut_pread, .pwrite = cut_pwrite, .fsync = cut_fsync};

/* Seeded variants per cut point: TEST_FS_CUT_ROUNDS (default 1) for a longer campaign. */
static int cut_rounds(void)
{
    const char *s = getenv("TEST_FS_CUT_ROUNDS");
    int r = s ? atoi(s) : 1;
    return r > 0 ? r : 1;
}

/* pfs_check (what fsck.phasefs runs) on the image at path finds nothing at all, with
 * fixity set the digest of every file included. */
static void expect_fsck_clean(const char *path, bool fixity, int t, int round,
                              const char *when)
{
    struct medium *m;
    struct medium_open_options ro = {.read_only = true};
    struct pfs_check_options co;
    struct pfs_check_report rep;
    assert_int_equal(medium_open(path, &ro, &m), 0);
    pfs_check_options_default(&co);
    co.fixity = fixity;
    int rc = pfs_check(m, &co, &rep);
    if (rc < 0 || rep.count) {
        for (size_t i = 0; i < rep.count; i++)
            fprintf(stderr, "# %s %s lcn %lld: %s\n", pfs_check_class_name(rep.problems[i].cls),
                    rep.problems[i].path, (long long)rep.problems[i].lcn,
                    rep.problems[i].detail);
        fail_msg("cut at write %d round %d: fsck %s: rc %d, %zu problems", t, round, when, rc,
                 rep.count);
    }
    pfs_check_report_free(&rep);
    assert_int_equal(medium_close(m), 0);
}

/* The state of the root directory as one digest: names, sizes, contents. */
static void tree_digest(struct pfs *fs, uint8_t out[32])
{
    struct names ns = {0};
    assert_int_equal(pfs_readdir(fs, &root, PFS_ROOT_INO, 0, collect, &ns), 0);
    /* sort names for a stable digest */
    for (size_t i = 0; i < ns.n; i++)
        for (size_t j = i + 1; j < ns.n; j++)
            if (strcmp(ns.v[i], ns.v[j]) > 0) {
                char t[PFS_NAME_MAX + 1];
                memcpy(t, ns.v[i], sizeof t);
                memcpy(ns.v[i], ns.v[j], sizeof t);
                memcpy(ns.v[j], t, sizeof t);
            }
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    uint8_t *buf = malloc(400000);
    assert_non_null(buf);
    for (size_t i = 0; i < ns.n; i++) {
        if (ns.v[i][0] == '.')
            continue;
        uint64_t ino = lookup(fs, PFS_ROOT_INO, ns.v[i]);
        assert_true(ino != 0);
        ssize_t n = readat(fs, ino, buf, 400000, 0);
        assert_true(n >= 0);
        crypto_generichash_update(&st, (const uint8_t *)ns.v[i], strlen(ns.v[i]) + 1);
        crypto_generichash_update(&st, buf, (size_t)n);
    }
    crypto_generichash_final(&st, out, 32);
    free(buf);
    free(ns.v);
    free(ns.cookie);
}

#define CUT_OPS 24

/* One deterministic workload; returns the index of the op in progress at the cut (or
 * CUT_OPS) and the index of the last model known durable. Models: digest after op k. */
static int cut_workload(struct pfs *fs, uint8_t models[CUT_OPS + 1][32], int *durable)
{
    uint8_t *d = malloc(300000);
    assert_non_null(d);
    tree_digest(fs, models[0]);
    *durable = 0;
    int k;
    for (k = 0; k < CUT_OPS && !cut_host.done; k++) {
        char n[16];
        snprintf(n, sizeof n, "f%d", k % 7);
        int rc = 0;
        switch (k % 4) {
        case 0:
        case 1: { /* (re)write a whole file */
            size_t len = (size_t)((k * 37717) % 250000);
            fill(d, len, (uint32_t)k);
            struct pfs_attr a;
            uint64_t fh;
            rc = pfs_create(fs, &root, PFS_ROOT_INO, n, 0644, O_WRONLY | O_TRUNC, &a, &fh);
            if (rc == 0) {
                ssize_t w = pfs_write(fs, a.ino, fh, d, len, 0);
                rc = w == (ssize_t)len ? 0 : -EIO;
                pfs_release(fs, a.ino, fh);
            }
            break;
        }
        case 2: {
            char m[16];
            snprintf(m, sizeof m, "f%d", (k + 3) % 7);
            rc = pfs_rename(fs, &root, PFS_ROOT_INO, n, PFS_ROOT_INO, m, 0);
            break;
        }
        case 3:
            rc = pfs_unlink(fs, &root, PFS_ROOT_INO, n);
            break;
        }
        if (cut_host.done)
            break;
        (void)rc; /* ENOENT is part of the workload */
        tree_digest(fs, models[k + 1]);
        if (k % 3 == 2) {
            rc = pfs_sync(fs);
            if (rc == 0 && k % 12 == 11) { /* a checkpoint and its anchor are cut points too */
                pthread_mutex_lock(&fs->lock);
                rc = fs_checkpoint(fs);
                pthread_mutex_unlock(&fs->lock);
            }
            if (rc == 0 && !cut_host.done)
                *durable = k + 1;
        }
    }
    free(d);
    return k;
}

/* Cut the power at every write of cut_workload, the host behaving as mode says; leave_free
 * > 0 first fills the medium so that only about that many clusters stay available, which
 * makes freed clusters come back at once (alloc.c rule 1 is then what keeps the durable
 * state intact). After each cut fsck finds nothing, and the image mounts with the state
 * after some op between the last durable sync and the op the cut interrupted. */
static void power_cut_trials(struct fx *f, uint64_t leave_free, enum cut_mode mode)
{
    char img[128];
    uint8_t models[CUT_OPS + 1][32], want[CUT_OPS + 1][32];
    int durable;
    struct medium *m;
    struct pfs *fs;
    struct medium_open_options oo = {.io = &cut_io};
    const uint64_t seed = medium_profile_get(f->m)->seed;

    snprintf(img, sizeof img, "%s/cut", f->dir);
    if (leave_free) {
        struct statvfs sv;
        assert_int_equal(pfs_statfs(f->fs, &sv), 0);
        assert_true(sv.f_bavail > leave_free);
        mkfile_seed(f->fs, PFS_ROOT_INO, "filler", (sv.f_bavail - leave_free) * CL, 1);
    }
    assert_int_equal(pfs_unmount(f->fs), 0);
    f->fs = NULL;
    assert_int_equal(medium_sync(f->m), 0);
    /* a run without a cut counts the writes and records the models */
    copy_file(f->path, img);
    memset(&cut_host, 0, sizeof cut_host);
    cut_host.mode = mode;
    cut_host.after = LONG_MAX;
    assert_int_equal(medium_open(img, &oo, &m), 0);
    assert_int_equal(mount_copy_on(m, &fs), 0);
    assert_int_equal(cut_workload(fs, models, &durable), CUT_OPS);
    long total = cut_host.seen;
    pfs_test_abandon(fs);
    medium_close(m);
    cut_pend_clear();
    assert_true(total > 50);
    memcpy(want, models, sizeof want);
    /* every write of the workload is a cut point (the log, data, checkpoint and anchor
     * writes, and each medium table write between them) */
    const int trials = (int)total, rounds = mode == CUT_DROP ? 1 : cut_rounds();
    for (int t = 0; t < trials; t++) {
        for (int r = 0; r < rounds; r++) {
            copy_file(f->path, img);
            cut_host.done = false;
            cut_host.seen = 0;
            cut_host.after = t;
            util_rng_stream(&cut_host.rng, seed, CUT_RNG_DOMAIN, (uint64_t)mode, (uint64_t)t,
                            (uint64_t)r);
            assert_int_equal(medium_open(img, &oo, &m), 0);
            assert_int_equal(mount_copy_on(m, &fs), 0);
            int at = cut_workload(fs, models, &durable);
            pfs_test_abandon(fs);
            medium_close(m);
            cut_host.after = -1;
            cut_pend_clear(); /* the cut never came: the cache dies with the power too */
            expect_fsck_clean(img, true, t, r, "after the cut");
            /* power back: the image mounts, and shows the state after some op between the
             * last durable sync and the op the cut interrupted (log.c invariant 4) */
            struct medium *m2;
            struct pfs *fs2;
            mount_copy(img, &m2, &fs2);
            uint8_t got[32];
            tree_digest(fs2, got);
            bool match = false;
            for (int k = durable; k <= at && k <= CUT_OPS && !match; k++)
                match = memcmp(got, want[k], 32) == 0;
            if (getenv("FS_DEBUG"))
                fprintf(stderr, "cut %d/%ld round %d at op %d durable %d\n", t, total, r, at,
                        durable);
            if (!match)
                fail_msg("cut at write %d round %d (op %d, durable %d): state matches no "
                         "allowed model", t, r, at, durable);
            assert_int_equal(pfs_unmount(fs2), 0);
            assert_int_equal(medium_close(m2), 0);
            expect_fsck_clean(img, false, t, r, "after mount and unmount"); /* same data */
        }
    }
    if (getenv("FS_DEBUG"))
        fprintf(stderr, "mode %d: %d cut points x %d rounds; torn sectors old %lu new %lu "
                "mixed %lu; reordered writes kept %lu lost %lu\n", (int)mode, trials, rounds,
                cut_host.kinds[0], cut_host.kinds[1], cut_host.kinds[2], cut_host.kept,
                cut_host.dropped);
    if (mode == CUT_TEAR) /* each kind of torn sector came up */
        for (int k = 0; k < 3; k++)
            assert_true(cut_host.kinds[k] > 0);
    if (mode == CUT_REORDER) /* some cached writes persisted, some were lost */
        assert_true(cut_host.kept > 0 && cut_host.dropped > 0);
    free(cut_host.pend);
    memset(&cut_host, 0, sizeof cut_host);
    cut_host.after = -1;
}

static void test_fs_crash_power_cut_at_every_point(void **state)
{
    power_cut_trials(*state, 0, CUT_DROP);
}

static void test_fs_crash_power_cut_on_a_nearly_full_medium(void **state)
{
    power_cut_trials(*state, 24, CUT_DROP);
}

static void test_fs_crash_power_cut_tears_the_last_write(void **state)
{
    power_cut_trials(*state, 0, CUT_TEAR);
}

static void test_fs_crash_power_cut_tears_on_a_nearly_full_medium(void **state)
{
    power_cut_trials(*state, 24, CUT_TEAR);
}

static void test_fs_crash_power_cut_reorders_unsynced_writes(void **state)
{
    power_cut_trials(*state, 0, CUT_REORDER);
}

static void test_fs_crash_power_cut_reorders_on_a_nearly_full_medium(void **state)
{
    power_cut_trials(*state, 24, CUT_REORDER);
}

/* The trial that found chain.c invariant 7 (CUT_DROP at write 10, CUT_TEAR at write 9): the
 * table entry of one copy of the last log cluster never reached the image, so it read
 * blank while the other copy was good; mount replayed the commit, fsck called it
 * damage. Here the copy holds no log magic (foreign): mount and fsck must both end the
 * log before that commit, and fsck must find nothing. */
static void test_fs_crash_unlanded_log_copy_ends_log_for_mount_and_fsck(void **state)
{
    struct fx *f = *state;
    struct sector_dev *dev;
    struct pfs_check_options co;
    struct pfs_check_report rep;
    mkfile_seed(f->fs, PFS_ROOT_INO, "kept", 5000, 31);
    assert_int_equal(pfs_sync(f->fs), 0);
    mkfile_seed(f->fs, PFS_ROOT_INO, "cut", 7000, 32);
    assert_int_equal(pfs_sync(f->fs), 0);
    pfs_test_abandon(f->fs);
    f->fs = NULL;
    pfs_check_options_default(&co);
    assert_int_equal(pfs_check(f->m, &co, &rep), 0);
    assert_int_equal(rep.count, 0);
    assert_true(rep.nmeta > 0 && rep.meta[rep.nmeta - 1].kind == 2);
    uint64_t b = rep.meta[rep.nmeta - 1].lcn_b;
    pfs_check_report_free(&rep);
    uint8_t *cl = calloc(1, CL);
    assert_non_null(cl);
    assert_int_equal(sector_open(f->m, NULL, &dev), 0);
    assert_int_equal(sector_write(dev, b, cl, NULL), 0);
    assert_int_equal(sector_close(dev), 0);
    free(cl);
    assert_int_equal(pfs_check(f->m, &co, &rep), 0);
    for (size_t i = 0; i < rep.count; i++)
        fprintf(stderr, "# %s\n", rep.problems[i].detail);
    assert_int_equal(rep.count, 0);
    pfs_check_report_free(&rep);
    assert_int_equal(mount_fx(f), 0);
    check_content(f->fs, lookup(f->fs, PFS_ROOT_INO, "kept"), 5000, 31);
    assert_int_equal(lookup(f->fs, PFS_ROOT_INO, "cut"), 0);
}

static void test_fs_enospc_full_medium_stays_consistent(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    uint64_t fh;
    size_t chunk = 4 * CL;
    uint8_t *d = malloc(chunk);
    fill(d, chunk, 11);
    uint64_t small = mkfile_seed(f->fs, PFS_ROOT_INO, "small", 500, 12);
    assert_int_equal(pfs_create(f->fs, &root, PFS_ROOT_INO, "fill", 0644, O_WRONLY, &a, &fh), 0);
    uint64_t ino = a.ino, off = 0;
    ssize_t w;
    while ((w = pfs_write(f->fs, ino, fh, d, chunk, off)) > 0)
        off += (uint64_t)w;
    assert_int_equal(w, -ENOSPC);
    assert_true(off > 20 * CL);
    assert_int_equal(pfs_getattr(f->fs, ino, &a), 0);
    assert_int_equal(a.size, off); /* the refused write left nothing */
    assert_int_equal(pfs_write(f->fs, ino, fh, d, 1, off + 5 * CL), -ENOSPC);
    assert_int_equal(pfs_release(f->fs, ino, fh), 0);
    assert_int_equal(pfs_fsync(f->fs, ino, 0), 0);
    struct statvfs sv;
    assert_int_equal(pfs_statfs(f->fs, &sv), 0);
    assert_int_equal(sv.f_bavail, 0);
    /* metadata still commits: renames, unlinks and the unmount checkpoint */
    assert_int_equal(pfs_rename(f->fs, &root, PFS_ROOT_INO, "small", PFS_ROOT_INO, "s2", 0), 0);
    assert_int_equal(pfs_sync(f->fs), 0);
    remount(f);
    assert_int_equal(lookup(f->fs, PFS_ROOT_INO, "s2"), small);
    check_content(f->fs, small, 500, 12);
    uint8_t *got = malloc(chunk);
    for (uint64_t o = 0; o < off; o += chunk) {
        assert_int_equal(readat(f->fs, ino, got, chunk, o), (ssize_t)chunk);
        assert_memory_equal(got, d, chunk);
    }
    /* space comes back */
    assert_int_equal(pfs_unlink(f->fs, &root, PFS_ROOT_INO, "fill"), 0);
    assert_int_equal(pfs_sync(f->fs), 0);
    assert_int_equal(pfs_statfs(f->fs, &sv), 0);
    assert_true(sv.f_bavail * CL >= off - 2 * CL);
    mkfile_seed(f->fs, PFS_ROOT_INO, "again", 10 * CL, 13);
    remount(f);
    check_content(f->fs, lookup(f->fs, PFS_ROOT_INO, "again"), 10 * CL, 13);
    free(d);
    free(got);
}

static void populate(struct pfs *fs)
{
    uint64_t d = mkdirp(fs, &root, PFS_ROOT_INO, "docs", 0755);
    for (int i = 0; i < 40; i++) {
        char n[16];
        snprintf(n, sizeof n, "n%d", i);
        mkfile_seed(fs, d, n, (size_t)(i * 977), (uint32_t)(100 + i));
    }
    mkfile_seed(fs, PFS_ROOT_INO, "big", 2 * CL + 5, 99);
    assert_int_equal(pfs_setxattr(fs, &root, d, "user.tag", "v", 1, 0), 0);
}

static void check_populated(struct pfs *fs)
{
    uint64_t d = lookup(fs, PFS_ROOT_INO, "docs");
    assert_true(d != 0);
    for (int i = 0; i < 40; i++) {
        char n[16];
        snprintf(n, sizeof n, "n%d", i);
        check_content(fs, lookup(fs, d, n), (size_t)(i * 977), (uint32_t)(100 + i));
    }
    check_content(fs, lookup(fs, PFS_ROOT_INO, "big"), 2 * CL + 5, 99);
    char v[4];
    assert_int_equal(pfs_getxattr(fs, &root, d, "user.tag", v, sizeof v), 1);
}

/* The metadata clusters in use, read from a read-only mount: pairs (a, b). */
static size_t meta_of(struct fx *f, uint64_t *l, size_t cap)
{
    struct pfs *fs;
    struct pfs_mount_options mo;
    pfs_mount_options_default(&mo);
    mo.read_only = true;
    assert_int_equal(pfs_mount(f->m, &mo, &fs), 0);
    size_t n = pfs_test_meta_lcns(fs, l, cap);
    assert_int_equal(pfs_unmount(fs), 0);
    return n;
}

static void test_fs_metadata_copy_destroyed_still_mounts(void **state)
{
    struct fx *f = *state;
    uint64_t l[512];
    populate(f->fs);
    assert_int_equal(pfs_unmount(f->fs), 0);
    f->fs = NULL;
    size_t n = meta_of(f, l, 512);
    assert_true(n >= 4 && n % 2 == 0);
    /* format (3): copies on different layers */
    uint64_t half = LAYER_BYTES / CL; /* upper bound of U */
    (void)half;
    for (size_t i = 0; i < n; i += 2)
        destroy_cluster(f->m, l[i]); /* every first copy */
    f->reports = 0;
    assert_int_equal(mount_fx(f), 0);
    assert_true(f->reports >= (int)(n / 2) - 2); /* each lost copy was reported */
    check_populated(f->fs);
    mkfile_seed(f->fs, PFS_ROOT_INO, "after", 1000, 5);
    assert_int_equal(pfs_unmount(f->fs), 0);
    f->fs = NULL;
    /* the other copy of the new checkpoint this time */
    n = meta_of(f, l, 512);
    for (size_t i = 1; i < n; i += 2)
        destroy_cluster(f->m, l[i]);
    assert_int_equal(mount_fx(f), 0);
    check_populated(f->fs);
    check_content(f->fs, lookup(f->fs, PFS_ROOT_INO, "after"), 1000, 5);
    /* both copies of one checkpoint cluster gone: refused, with the checksum errno */
    assert_int_equal(pfs_unmount(f->fs), 0);
    f->fs = NULL;
    n = meta_of(f, l, 512);
    destroy_cluster(f->m, l[0]);
    destroy_cluster(f->m, l[1]);
    f->reports = 0;
    int rc = mount_fx(f);
    /* a read-write mount never builds on an older tree whose clusters may have been
     * reused: refused with the checksum errno, and reported */
    assert_int_equal(rc, -EBADMSG);
    assert_null(f->fs);
    assert_true(f->reports > 0);
    /* read-only, the previous checkpoint (if still intact) can be rescued */
    struct pfs_mount_options mo;
    pfs_mount_options_default(&mo);
    mo.read_only = true;
    mo.report = on_report;
    mo.report_arg = f;
    struct pfs *ro = NULL;
    rc = pfs_mount(f->m, &mo, &ro);
    assert_true(rc == 0 || rc == -EBADMSG);
    if (rc == 0) {
        check_populated(ro);
        assert_int_equal(pfs_unmount(ro), 0);
    }
}

static void test_fs_log_copy_destroyed_replays_other(void **state)
{
    struct fx *f = *state;
    uint64_t l[512];
    populate(f->fs);
    remount(f);
    uint64_t x = mkfile_seed(f->fs, PFS_ROOT_INO, "logged", 3 * CL + 17, 21);
    assert_int_equal(pfs_rename(f->fs, &root, PFS_ROOT_INO, "big", PFS_ROOT_INO, "big2", 0), 0);
    assert_int_equal(pfs_fsync(f->fs, x, 0), 0);
    pfs_test_abandon(f->fs);
    f->fs = NULL;
    size_t n = meta_of(f, l, 512); /* read-only: replays, writes nothing */
    assert_true(n >= 6);
    for (size_t i = 0; i < n; i += 2)
        destroy_cluster(f->m, l[i]);
    assert_int_equal(mount_fx(f), 0);
    check_content(f->fs, lookup(f->fs, PFS_ROOT_INO, "logged"), 3 * CL + 17, 21);
    assert_int_equal(lookup(f->fs, PFS_ROOT_INO, "big"), 0);
    check_content(f->fs, lookup(f->fs, PFS_ROOT_INO, "big2"), 2 * CL + 5, 99);
}

static void test_fs_uncorrectable_data_cluster_gives_eio_for_range(void **state)
{
    struct fx *f = *state;
    uint64_t d = mkdirp(f->fs, &root, PFS_ROOT_INO, "d", 0755);
    uint64_t v = mkfile_seed(f->fs, d, "victim", 3 * CL, 41);
    uint64_t other = mkfile_seed(f->fs, d, "other", 2 * CL, 42);
    assert_int_equal(pfs_sync(f->fs), 0);
    uint64_t lcn = pfs_test_file_lcn(f->fs, v, 1);
    assert_true(lcn != FS_LCN_NONE);
    assert_int_equal(pfs_unmount(f->fs), 0);
    f->fs = NULL;
    destroy_cluster(f->m, lcn);
    f->mo.sector.read_retries = 1;
    assert_int_equal(mount_fx(f), 0);
    uint8_t *buf = malloc(3 * CL), *want = malloc(3 * CL);
    fill(want, 3 * CL, 41);
    f->reports = 0;
    assert_int_equal(readat(f->fs, v, buf, CL, 0), CL);
    assert_memory_equal(buf, want, CL);
    assert_int_equal(readat(f->fs, v, buf, 100, CL + 5), -EIO);
    assert_int_equal(readat(f->fs, v, buf, CL, 2 * CL), CL);
    assert_memory_equal(buf, want + 2 * CL, CL);
    /* a read across it fails whole (a short count would mean end of file) */
    assert_int_equal(readat(f->fs, v, buf, 3 * CL, 100), -EIO);
    assert_int_equal(readat(f->fs, v, buf, CL - 100, 100), CL - 100);
    assert_true(f->reports >= 1);
    assert_int_equal(f->last_err, -EIO);
    assert_string_equal(f->last_path, "/d/victim");
    struct pfs_stats st;
    assert_int_equal(pfs_stats_get(f->fs, &st), 0);
    assert_true(st.io_errors >= 2);
    /* the rest of the filesystem carries on, and the damaged range can be rewritten */
    check_content(f->fs, other, 2 * CL, 42);
    writeat(f->fs, v, want + CL, CL, CL);
    remount(f);
    check_content(f->fs, v, 3 * CL, 41);
    free(buf);
    free(want);
}

static void test_fs_foreign_or_corrupt_image_refused(void **state)
{
    struct fx *f = *state;
    char p2[128];
    struct medium *m2;
    struct pfs *fs2 = NULL;
    snprintf(p2, sizeof p2, "%s/blank", f->dir);
    assert_int_equal(make_medium(p2, LAYER_BYTES, &m2), 0);
    assert_int_equal(pfs_mount(m2, NULL, &fs2), -EUCLEAN); /* never formatted */
    assert_int_equal(sector_format(m2, NULL), 0);
    assert_int_equal(pfs_mount(m2, NULL, &fs2), -EUCLEAN); /* sector layer only */
    assert_null(fs2);
    /* anchors that decode but are not ours */
    struct sector_dev *dev;
    assert_int_equal(sector_open(m2, NULL, &dev), 0);
    uint8_t *junk = malloc(CL);
    uint64_t U = sector_logical_clusters(dev) / 2;
    for (uint64_t i = 0; i < FS_ANCHORS_PER_LAYER; i++) {
        fill(junk, CL, (uint32_t)i);
        assert_int_equal(sector_write(dev, i, junk, NULL), 0);
        assert_int_equal(sector_write(dev, U + i, junk, NULL), 0);
    }
    assert_int_equal(sector_close(dev), 0);
    assert_int_equal(pfs_mount(m2, NULL, &fs2), -EUCLEAN);
    assert_int_equal(medium_close(m2), 0);
    /* ours, with every anchor destroyed */
    populate(f->fs);
    assert_int_equal(pfs_unmount(f->fs), 0);
    f->fs = NULL;
    assert_int_equal(sector_open(f->m, NULL, &dev), 0);
    U = sector_logical_clusters(dev) / 2;
    assert_int_equal(sector_close(dev), 0);
    for (uint64_t i = 0; i < FS_ANCHORS_PER_LAYER; i++) {
        destroy_cluster(f->m, i);
        destroy_cluster(f->m, U + i);
    }
    f->mo.sector.read_retries = 0;
    assert_int_equal(mount_fx(f), -EBADMSG);
    assert_null(f->fs);
    free(junk);
}

/* An orphan (unlinked while open) that outlives a checkpoint still writes log records
 * (EXTENT on write, FREE on release): after a crash, replay must find its inode, and the
 * filesystem mounts read-write with everything synced. */
static void test_fs_orphan_across_checkpoint_then_crash(void **state)
{
    struct fx *f = *state;
    static uint8_t buf[65536];
    memset(buf, 7, sizeof buf);
    struct pfs_attr a, b;
    uint64_t fh;
    assert_int_equal(pfs_create(f->fs, &root, PFS_ROOT_INO, "tmp", 0644, O_RDWR, &a, &fh), 0);
    assert_int_equal(pfs_write(f->fs, a.ino, fh, buf, sizeof buf, 0), (ssize_t)sizeof buf);
    assert_int_equal(pfs_unlink(f->fs, &root, PFS_ROOT_INO, "tmp"), 0);
    assert_int_equal(pfs_sync(f->fs), 0);
    struct pfs_stats st0, st1;
    assert_int_equal(pfs_stats_get(f->fs, &st0), 0);
    for (int i = 0; i < 200; i++) {
        char n[16];
        snprintf(n, sizeof n, "d%d", i);
        assert_int_equal(pfs_mkdir(f->fs, &root, PFS_ROOT_INO, n, 0755, &b), 0);
        assert_int_equal(pfs_sync(f->fs), 0);
        assert_int_equal(pfs_stats_get(f->fs, &st1), 0);
        if (st1.checkpoints >= st0.checkpoints + 2)
            break;
    }
    assert_true(st1.checkpoints >= st0.checkpoints + 2); /* the orphan crossed checkpoints */
    assert_int_equal(pfs_write(f->fs, a.ino, fh, buf, sizeof buf, 65536), (ssize_t)sizeof buf);
    assert_int_equal(pfs_release(f->fs, a.ino, fh), 0);
    assert_int_equal(pfs_mkdir(f->fs, &root, PFS_ROOT_INO, "synced", 0755, &b), 0);
    assert_int_equal(pfs_sync(f->fs), 0);
    pfs_test_abandon(f->fs); /* kill -9 */
    f->fs = NULL;
    assert_int_equal(mount_fx(f), 0);
    assert_int_equal(pfs_lookup(f->fs, &root, PFS_ROOT_INO, "synced", &b), 0);
    assert_int_equal(pfs_lookup(f->fs, &root, PFS_ROOT_INO, "tmp", &b), -ENOENT);
    remount(f);
    assert_int_equal(pfs_lookup(f->fs, &root, PFS_ROOT_INO, "synced", &b), 0);
}

static void test_fs_open_unlinked_file_lives_until_release(void **state)
{
    struct fx *f = *state;
    struct pfs_stats st0, st1;
    struct pfs_attr a;
    assert_int_equal(pfs_stats_get(f->fs, &st0), 0);
    uint64_t ino = mkfile_seed(f->fs, PFS_ROOT_INO, "t", 2 * CL, 8);
    uint64_t fh;
    assert_int_equal(pfs_open(f->fs, &root, ino, O_RDWR, &fh), 0);
    assert_int_equal(pfs_unlink(f->fs, &root, PFS_ROOT_INO, "t"), 0);
    assert_int_equal(pfs_getattr(f->fs, ino, &a), 0);
    assert_int_equal(a.nlink, 0);
    uint8_t buf[16], want[16];
    fill(want, sizeof want, 8);
    assert_int_equal(pfs_read(f->fs, ino, fh, buf, sizeof buf, 0), 16);
    assert_memory_equal(buf, want, 16);
    assert_int_equal(pfs_write(f->fs, ino, fh, "zz", 2, 0), 2);
    assert_int_equal(pfs_sync(f->fs), 0);
    assert_int_equal(pfs_release(f->fs, ino, fh), 0);
    assert_int_equal(pfs_getattr(f->fs, ino, &a), -ENOENT);
    assert_int_equal(pfs_release(f->fs, ino, fh), -EBADF);
    remount(f);
    assert_int_equal(pfs_stats_get(f->fs, &st1), 0);
    assert_int_equal(st1.data_clusters, st0.data_clusters);
    assert_int_equal(st1.inodes, st0.inodes);
}

static void test_fs_placement_metadata_near_data_by_option(void **state)
{
    struct fx *f = *state;
    uint64_t l[512];
    struct sector_dev *dev = pfs_sector(f->fs);
    uint64_t U = sector_logical_clusters(dev) / 2;
    populate(f->fs);
    assert_int_equal(pfs_sync(f->fs), 0);
    size_t n = pfs_test_meta_lcns(f->fs, l, 512);
    assert_true(n >= 2);
    for (size_t i = 0; i + 1 < n; i += 2) {
        struct sector_address a0, a1;
        assert_int_equal(sector_locate(dev, l[i], &a0), 0);
        assert_int_equal(sector_locate(dev, l[i + 1], &a1), 0);
        assert_int_equal(a0.layer, MEDIUM_LAYER_NEAR); /* AUTO: metadata on L1 */
        assert_int_equal(a1.layer, MEDIUM_LAYER_FAR);  /* its copy on the other layer */
    }
    remount(f);
    f->mo.placement = PFS_PLACE_FAR;
    remount(f);
    uint64_t x = mkfile_seed(f->fs, PFS_ROOT_INO, "far", 3 * CL, 1);
    assert_int_equal(pfs_sync(f->fs), 0);
    for (uint64_t k = 0; k < 3; k++)
        assert_true(pfs_test_file_lcn(f->fs, x, k) < U);
    f->mo.placement = PFS_PLACE_NEAR;
    remount(f);
    uint64_t y = mkfile_seed(f->fs, PFS_ROOT_INO, "near", 3 * CL, 2);
    assert_int_equal(pfs_sync(f->fs), 0);
    for (uint64_t k = 0; k < 3; k++)
        assert_true(pfs_test_file_lcn(f->fs, y, k) >= U);
    check_content(f->fs, x, 3 * CL, 1);
}

static void test_fs_no_hot_spot_rewrites_move(void **state)
{
    struct fx *f = *state;
    uint8_t d[CL];
    uint64_t seen[20];
    uint64_t ino = mkfile_seed(f->fs, PFS_ROOT_INO, "hot", CL, 3);
    /* the same cluster rewritten and synced: copy-on-write spreads it */
    for (int i = 0; i < 20; i++) {
        fill(d, CL, (uint32_t)i);
        writeat(f->fs, ino, d, CL, 0);
        assert_int_equal(pfs_fsync(f->fs, ino, 0), 0);
        seen[i] = pfs_test_file_lcn(f->fs, ino, 0);
    }
    int distinct = 0;
    for (int i = 0; i < 20; i++) {
        bool dup = false;
        for (int j = 0; j < i; j++)
            dup |= seen[j] == seen[i];
        distinct += !dup;
    }
    assert_true(distinct >= 10);
    /* anchors: 16 checkpoints spread over all 8 slots (format invariant 1) */
    for (int i = 0; i < 16; i++) {
        char n[16];
        snprintf(n, sizeof n, "c%d", i);
        mkfile(f->fs, &root, PFS_ROOT_INO, n, "x", 1);
        remount(f); /* the unmount writes a checkpoint and an anchor */
    }
    struct sector_dev *dev = pfs_sector(f->fs);
    uint64_t U = sector_logical_clusters(dev) / 2;
    uint32_t cmin = UINT32_MAX, cmax = 0;
    for (uint64_t s = 0; s < FS_ANCHORS; s++) {
        uint64_t lcn = (s & 1) ? U + s / 2 : s / 2;
        struct sector_address a;
        struct medium_cluster_info info;
        assert_int_equal(sector_locate(dev, lcn, &a), 0);
        assert_int_equal(medium_cluster_info(f->m, a.layer, a.physical_cluster, &info), 0);
        cmin = info.cycles < cmin ? info.cycles : cmin;
        cmax = info.cycles > cmax ? info.cycles : cmax;
    }
    assert_true(cmin >= 2);
    assert_true(cmax - cmin <= 2);
    check_content(f->fs, ino, CL, 19);
}

struct reader_arg {
    struct pfs *fs;
    uint64_t ino;
    size_t len;
    uint32_t seed;
    int errors;
};

static void *reader(void *p)
{
    struct reader_arg *r = p;
    uint8_t *want = malloc(r->len), *got = malloc(131072);
    fill(want, r->len, r->seed);
    uint64_t fh;
    if (pfs_open(r->fs, &root, r->ino, O_RDONLY, &fh) != 0) {
        r->errors++;
        goto out;
    }
    for (int pass = 0; pass < 4; pass++)
        for (size_t off = 0; off < r->len; off += 131072) {
            size_t n = r->len - off < 131072 ? r->len - off : 131072;
            if (pfs_read(r->fs, r->ino, fh, got, 131072, off) != (ssize_t)n ||
                memcmp(got, want + off, n) != 0)
                r->errors++;
        }
    if (pfs_release(r->fs, r->ino, fh) != 0)
        r->errors++;
out:
    free(want);
    free(got);
    return NULL;
}

static void test_fs_concurrent_readers_and_writer(void **state)
{
    struct fx *f = *state;
    size_t len = 40 * CL;
    uint64_t ino = mkfile_seed(f->fs, PFS_ROOT_INO, "shared", len, 55);
    f->mo.cache_clusters = 4; /* most reads go to the medium */
    remount(f);
    struct reader_arg ra[2] = {{f->fs, ino, len, 55, 0}, {f->fs, ino, len, 55, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, &ra[i]), 0);
    /* meanwhile another file is rewritten and committed over and over */
    for (int i = 0; i < 20; i++) {
        char n[16];
        snprintf(n, sizeof n, "w%d", i % 3);
        struct pfs_attr a;
        if (lookup(f->fs, PFS_ROOT_INO, n))
            assert_int_equal(pfs_unlink(f->fs, &root, PFS_ROOT_INO, n), 0);
        mkfile_seed(f->fs, PFS_ROOT_INO, n, 2 * CL + 3, (uint32_t)i);
        assert_int_equal(pfs_sync(f->fs), 0);
        (void)a;
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(ra[0].errors, 0);
    assert_int_equal(ra[1].errors, 0);
}

static void test_fs_read_only_mount_refuses_changes(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    uint64_t fh;
    uint64_t ino = mkfile_seed(f->fs, PFS_ROOT_INO, "r", 5000, 3);
    f->mo.read_only = true;
    remount(f);
    check_content(f->fs, ino, 5000, 3);
    assert_int_equal(pfs_mkdir(f->fs, &root, PFS_ROOT_INO, "d", 0755, &a), -EROFS);
    assert_int_equal(pfs_open(f->fs, &root, ino, O_WRONLY, &fh), -EROFS);
    assert_int_equal(pfs_unlink(f->fs, &root, PFS_ROOT_INO, "r"), -EROFS);
    assert_int_equal(pfs_setxattr(f->fs, &root, ino, "user.x", "1", 1, 0), -EROFS);
    assert_int_equal(pfs_access(f->fs, &root, ino, W_OK), -EROFS);
    struct statvfs sv;
    assert_int_equal(pfs_statfs(f->fs, &sv), 0);
    assert_true(sv.f_flag & ST_RDONLY);
    f->mo.read_only = false;
}


static void test_fs_periodic_commit_without_fsync(void **state)
{
    struct fx *f = *state;
    char copy[128];
    snprintf(copy, sizeof copy, "%s/copy", f->dir);
    f->mo.commit_interval_ms = 50;
    remount(f);
    uint64_t ino = mkfile_seed(f->fs, PFS_ROOT_INO, "lazy", 100000, 17);
    struct pfs_setattr sa = {.mtime = {.tv_sec = 1234567890, .tv_nsec = 5}};
    struct pfs_attr a;
    assert_int_equal(pfs_setattr(f->fs, &root, ino, &sa, PFS_SET_MTIME, &a), 0);
    struct pfs_stats st;
    for (int i = 0; i < 100; i++) { /* the commit thread, not us, makes it durable */
        assert_int_equal(pfs_stats_get(f->fs, &st), 0);
        if (st.commits > 0)
            break;
        usleep(20000);
    }
    assert_true(st.commits > 0);
    usleep(100000);
    copy_file(f->path, copy);
    struct medium *m2;
    struct pfs *fs2;
    mount_copy(copy, &m2, &fs2);
    check_content(fs2, lookup(fs2, PFS_ROOT_INO, "lazy"), 100000, 17);
    assert_int_equal(pfs_getattr(fs2, ino, &a), 0);
    assert_int_equal(a.mtime.tv_sec, 1234567890);
    assert_int_equal(a.mtime.tv_nsec, 5);
    assert_int_equal(pfs_unmount(fs2), 0);
    assert_int_equal(medium_close(m2), 0);
}


/* alloc.c rule 3 rests on fs->meta_bytes following the checkpoint size exactly. */
static void test_fs_reserve_tracks_checkpoint_size(void **state)
{
    struct fx *f = *state;
    struct pfs_attr a;
    populate(f->fs);
    uint64_t d = lookup(f->fs, PFS_ROOT_INO, "docs");
    for (int i = 0; i < 300; i++) {
        char n[40];
        snprintf(n, sizeof n, "entry-with-a-longer-name-%d", i);
        mkfile_seed(f->fs, d, n, (size_t)(i * 131) % 9000, (uint32_t)i);
        if (i % 3 == 0)
            assert_int_equal(pfs_setxattr(f->fs, &root, lookup(f->fs, d, n), "user.k", n,
                                          strlen(n), 0), 0);
        if (i % 5 == 0)
            assert_int_equal(pfs_unlink(f->fs, &root, d, n), 0);
        if (i % 7 == 0) {
            char l[16];
            snprintf(l, sizeof l, "sl%d", i);
            assert_int_equal(pfs_symlink(f->fs, &root, n, d, l, &a), 0);
        }
    }
    struct pfs_setattr sa = {.size = 3 * CL};
    assert_int_equal(pfs_setattr(f->fs, &root, lookup(f->fs, PFS_ROOT_INO, "big"), &sa,
                                 PFS_SET_SIZE, &a), 0);
    assert_int_equal(pfs_removexattr(f->fs, &root, d, "user.tag"), 0);
    assert_int_equal(pfs_rename(f->fs, &root, d, "n1", PFS_ROOT_INO, "moved", 0), 0);
    assert_int_equal(pfs_sync(f->fs), 0);
    pthread_mutex_lock(&f->fs->lock);
    struct fs_buf b = {0};
    int rc = fs_serialize(f->fs, &b);
    uint64_t est = f->fs->meta_bytes;
    pthread_mutex_unlock(&f->fs->lock);
    assert_int_equal(rc, 0);
    /* the head and end records (40 B) are all the estimate leaves out */
    assert_int_equal(b.len - est, 40);
    fs_buf_free(&b);
}


static void test_fs_mkfs_over_old_filesystem_starts_empty(void **state)
{
    struct fx *f = *state;
    populate(f->fs);
    for (int i = 0; i < 3; i++)
        remount(f); /* several anchors and checkpoints of the old filesystem */
    assert_int_equal(pfs_unmount(f->fs), 0);
    f->fs = NULL;
    assert_int_equal(pfs_mkfs(f->m, NULL, &alice), 0);
    assert_int_equal(mount_fx(f), 0);
    assert_int_equal(count_entries(f->fs, PFS_ROOT_INO), 2);
    struct pfs_attr a;
    assert_int_equal(pfs_getattr(f->fs, PFS_ROOT_INO, &a), 0);
    assert_int_equal(a.uid, 1000);
    assert_int_equal(a.gid, 1000);
    struct pfs_stats st;
    assert_int_equal(pfs_stats_get(f->fs, &st), 0);
    assert_int_equal(st.inodes, 1);
    assert_int_equal(st.data_clusters, 0);
}


/* alloc.c rules 1 and 2, white-box: a cluster the durable state may still reference,
 * or one being read outside the lock, is not handed out. */
static void test_fs_deferred_reuse_and_inflight_clusters(void **state)
{
    struct fx *f = *state;
    struct pfs *fs = f->fs;
    uint64_t x = 0, y = 0, l1 = 0, l2 = 0, n, bad = 0;
    int r[8];
    /* no assertion while fs->lock is held: a failure must not leave it locked */
    pthread_mutex_lock(&fs->lock);
    r[0] = fs_alloc_take(fs, FS_DATA, -1, &x);
    r[1] = fs_alloc_take(fs, FS_DATA, -1, &y);
    r[2] = fs_alloc_defer(fs, x) | fs_alloc_defer(fs, y) | fs_inflight_add(fs, y);
    fs_alloc_release(fs, false);
    n = fs_alloc_free_count(fs);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t t;
        if (fs_alloc_take(fs, FS_DATA, -1, &t) != 0 || t == x || t == y)
            bad++;
    }
    r[3] = fs_alloc_take(fs, FS_DATA, -1, &l1);
    /* a commit lands: x comes back, y only once its reader is done */
    fs->commits_done++;
    fs_alloc_release(fs, false);
    r[4] = fs_alloc_take(fs, FS_DATA, -1, &l1);
    r[5] = fs_alloc_take(fs, FS_DATA, -1, &l2);
    fs_inflight_del(fs, y);
    r[6] = fs_alloc_take(fs, FS_DATA, -1, &l2);
    pthread_mutex_unlock(&fs->lock);
    pfs_test_abandon(fs); /* the allocator was played with: write nothing */
    f->fs = NULL;
    assert_int_equal(r[0], 0);
    assert_int_equal(r[1], 0);
    assert_int_equal(r[2], 0);
    assert_true(n > 10);
    assert_int_equal(bad, 0);   /* neither came back before the commit */
    assert_int_equal(r[3], -ENOSPC);
    assert_int_equal(r[4], 0);
    assert_int_equal(l1, x);
    assert_int_equal(r[5], -ENOSPC); /* y is still being read */
    assert_int_equal(r[6], 0);
    assert_int_equal(l2, y);
}


/* Metadata whose checksums hold but whose records are nonsense (a bug, or a forged
 * image) is refused with an errno, never a crash: the decoder checks every field. */
static void test_fs_corrupt_records_with_valid_crc_refused_cleanly(void **state)
{
    struct fx *f = *state;
    uint64_t l[512];
    populate(f->fs);
    assert_int_equal(pfs_unmount(f->fs), 0);
    f->fs = NULL;
    size_t n = meta_of(f, l, 512);
    assert_true(n >= 4);
    struct sector_dev *dev;
    assert_int_equal(sector_open(f->m, NULL, &dev), 0);
    uint8_t *orig = malloc(CL), *cl = malloc(CL);
    assert_int_equal(sector_read(dev, l[0], orig, NULL), 0);
    struct fs_chdr h;
    assert_int_equal(fs_chdr_decode(orig, &h), 0);
    assert_int_equal(h.kind, FS_CHDR_CKPT);
    int refused = 0, mounted = 0;
    uint64_t x = 88172645463325252ULL;
    for (int t = 0; t < 40; t++) {
        memcpy(cl, orig, CL);
        struct fs_chdr hh;
        assert_int_equal(fs_chdr_decode(cl, &hh), 0);
        for (int k = 0; k < 1 + t % 4; k++) { /* flip a few payload bytes */
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            uint32_t at = (uint32_t)(x % hh.payload_len);
            cl[FS_CHDR_BYTES + at] ^= (uint8_t)(1u << (x >> 60 & 7));
        }
        fs_chdr_encode(&hh, cl + FS_CHDR_BYTES, cl); /* CRC made to match */
        assert_int_equal(sector_write(dev, l[0], cl, NULL), 0);
        assert_int_equal(sector_write(dev, l[1], cl, NULL), 0);
        assert_int_equal(sector_close(dev), 0);
        struct pfs *fs2 = NULL;
        struct pfs_mount_options mo;
        pfs_mount_options_default(&mo);
        mo.read_only = true;
        mo.report = on_report;
        mo.report_arg = f;
        f->reports = 0;
        int rc = pfs_mount(f->m, &mo, &fs2);
        if (rc == 0) {
            /* a flip that still decodes (a timestamp, a digest byte), or the checkpoint
             * refused and an older anchor mounted instead, reported */
            if (f->reports > 0)
                refused++;
            else
                mounted++;
            count_entries(fs2, PFS_ROOT_INO);
            assert_int_equal(pfs_unmount(fs2), 0);
        } else {
            assert_true(rc == -EUCLEAN || rc == -EBADMSG || rc == -EPROTO);
            refused++;
        }
        assert_int_equal(sector_open(f->m, NULL, &dev), 0);
    }
    assert_int_equal(sector_write(dev, l[0], orig, NULL), 0);
    assert_int_equal(sector_write(dev, l[1], orig, NULL), 0);
    assert_int_equal(sector_close(dev), 0);
    if (getenv("FS_DEBUG"))
        fprintf(stderr, "corrupt records: %d refused, %d harmless\n", refused, mounted);
    assert_true(refused > 10);
    assert_int_equal(mount_fx(f), 0);
    check_populated(f->fs);
    free(orig);
    free(cl);
}

static void test_fs_newer_format_version_refused_eproto(void **state)
{
    struct fx *f = *state;
    assert_int_equal(pfs_unmount(f->fs), 0);
    f->fs = NULL;
    struct sector_dev *dev;
    assert_int_equal(sector_open(f->m, NULL, &dev), 0);
    uint64_t U = sector_logical_clusters(dev) / 2;
    uint8_t *cl = malloc(CL);
    for (unsigned s = 0; s < FS_ANCHORS; s++) {
        uint64_t lcn = (s & 1) ? U + s / 2 : s / 2;
        assert_int_equal(sector_read(dev, lcn, cl, NULL), 0);
        util_le32_put(cl + 8, FS_FORMAT_VERSION + 1); /* a later format */
        util_le32_put(cl + 252, util_crc32(0, cl, 252));
        assert_int_equal(sector_write(dev, lcn, cl, NULL), 0);
    }
    assert_int_equal(sector_close(dev), 0);
    assert_int_equal(mount_fx(f), -EPROTO);
    free(cl);
}

/* ---- fixity: partial writes, the background worker, fsck's bound (issue 13) --------- */

static long eio_after = -1; /* host writes left before each one fails with EIO; -1 never */
static long eio_failed;

static ssize_t eio_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    if (eio_after == 0) {
        eio_failed++;
        errno = EIO;
        return -1;
    }
    if (eio_after > 0)
        eio_after--;
    return pwrite(fd, buf, len, off);
}

static const struct medium_io eio_io = {.pwrite = eio_pwrite};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The digest as getxattr gives it, or the error. */
static ssize_t digest_of(struct pfs *fs, uint64_t ino, char out[65])
{
    memset(out, 0, 65);
    return pfs_getxattr(fs, &root, ino, PFS_FIXITY_XATTR, out, 64);
}

/* BLAKE2b-256 in hex of what the file reads back (independent of the digest code). */
static void content_hex(struct pfs *fs, uint64_t ino, char out[65])
{
    struct pfs_attr a;
    assert_int_equal(pfs_getattr(fs, ino, &a), 0);
    uint8_t *buf = malloc(a.size + 1);
    assert_non_null(buf);
    assert_int_equal(readat(fs, ino, buf, a.size + 1, 0), (ssize_t)a.size);
    hexof(buf, a.size, out);
    free(buf);
}

/* pfs_check with fixity (as fsck -n -f) of the unmounted f->m. */
static int check_fixity_of(struct fx *f, volatile sig_atomic_t *cancel,
                           struct pfs_check_report *rep)
{
    struct pfs_check_options co;
    pfs_check_options_default(&co);
    co.fixity = true;
    co.cancel = cancel;
    return pfs_check(f->m, &co, rep);
}

/* Unmount, check: no problem and at least min_hashed files compared; mount again. */
static void check_no_fixity_problem(struct fx *f, uint64_t min_hashed)
{
    assert_int_equal(pfs_unmount(f->fs), 0);
    f->fs = NULL;
    struct pfs_check_report rep;
    assert_int_equal(check_fixity_of(f, NULL, &rep), 0);
    for (size_t i = 0; i < rep.count; i++)
        fprintf(stderr, "# problem %s: %s\n", rep.problems[i].path, rep.problems[i].detail);
    assert_int_equal(rep.count, 0);
    assert_true(rep.files_hashed >= min_hashed);
    pfs_check_report_free(&rep);
    assert_int_equal(mount_fx(f), 0);
}

static void test_fs_fixity_right_after_failed_multicluster_write(void **state)
{
    struct fx *f = *state;
    assert_int_equal(pfs_unmount(f->fs), 0);
    f->fs = NULL;
    assert_int_equal(medium_close(f->m), 0);
    struct medium_open_options oo = {.io = &eio_io};
    assert_int_equal(medium_open(f->path, &oo, &f->m), 0);
    assert_int_equal(mount_fx(f), 0);
    size_t n = 4 * CL + 1000;
    uint8_t *a = malloc(n), *b = malloc(n);
    fill(a, n, 5);
    fill(b, n, 6);
    int hit = 0;
    for (long t = 0; t < 8; t++) {
        char name[16], got[65], want[65];
        snprintf(name, sizeof name, "w%ld", t);
        uint64_t ino = mkfile(f->fs, &root, PFS_ROOT_INO, name, a, n);
        assert_int_equal(pfs_fsync(f->fs, ino, 0), 0);
        /* the host fails every write after the t-th, during one 4-cluster write */
        uint64_t fh;
        assert_int_equal(pfs_open(f->fs, &root, ino, O_WRONLY, &fh), 0);
        eio_failed = 0;
        eio_after = t;
        ssize_t rc = pfs_write(f->fs, ino, fh, b, n, 0);
        eio_after = -1;
        hit += eio_failed > 0 && rc != (ssize_t)n;
        assert_true(rc == -EIO || (rc >= 0 && rc <= (ssize_t)n));
        assert_int_equal(pfs_release(f->fs, ino, fh), 0);
        assert_int_equal(pfs_fsync(f->fs, ino, 0), 0);
        /* whatever landed, the digest is of it */
        content_hex(f->fs, ino, want);
        assert_int_equal(digest_of(f->fs, ino, got), 64);
        assert_string_equal(got, want);
    }
    assert_true(hit >= 3); /* the fault did land inside writes, not only around them */
    check_no_fixity_problem(f, 8);
    free(a);
    free(b);
}

/* A kernel without handle_killpriv asks, before a non-owner's write, for the set-ID
 * bits' removal as a chmod in the writer's name: that chmod, and only that one, needs
 * no more than write permission. */
static void test_fs_kill_suid_chmod_by_a_writer(void **state)
{
    struct fx *f = *state;
    uint64_t ino = mkfile(f->fs, &root, PFS_ROOT_INO, "suid", "x", 1);
    struct pfs_attr a;
    struct pfs_setattr sa = {.mode = 06777};
    assert_int_equal(pfs_setattr(f->fs, &root, ino, &sa, PFS_SET_MODE, &a), 0);
    sa.mode = 0777;
    assert_int_equal(pfs_setattr(f->fs, &alice, ino, &sa, PFS_SET_MODE, &a), 0);
    assert_int_equal(a.mode & 07777, 0777);
    sa.mode = 06777;
    assert_int_equal(pfs_setattr(f->fs, &alice, ino, &sa, PFS_SET_MODE, &a), -EPERM);
    assert_int_equal(pfs_setattr(f->fs, &root, ino, &sa, PFS_SET_MODE, &a), 0);
    sa.mode = 02776; /* clears set-user-ID and also other-execute: a real chmod */
    assert_int_equal(pfs_setattr(f->fs, &alice, ino, &sa, PFS_SET_MODE, &a), -EPERM);
    sa.mode = 04755;
    assert_int_equal(pfs_setattr(f->fs, &root, ino, &sa, PFS_SET_MODE, &a), 0);
    sa.mode = 0755; /* alice may not write it, so may not clear its bits either */
    assert_int_equal(pfs_setattr(f->fs, &alice, ino, &sa, PFS_SET_MODE, &a), -EPERM);
    assert_int_equal(pfs_getattr(f->fs, ino, &a), 0);
    assert_int_equal(a.mode & 07777, 04755);
}

struct xa_call {
    struct pfs *fs;
    uint64_t ino;
    ssize_t rc;
    double secs;
};

static void *getxattr_thread(void *arg)
{
    struct xa_call *c = arg;
    char got[65];
    double t0 = now_s();
    c->rc = digest_of(c->fs, c->ino, got);
    c->secs = now_s() - t0;
    return NULL;
}

static void test_fs_fixity_sparse_digest_costs_others_nothing(void **state)
{
    struct fx *f = *state;
    char got[65], want[65];
    uint64_t big = mkfile_seed(f->fs, PFS_ROOT_INO, "big", 70000, 8);
    struct pfs_attr a;
    struct pfs_setattr sa = {.size = 20ULL << 30};
    double t0 = now_s();
    assert_int_equal(pfs_setattr(f->fs, &root, big, &sa, PFS_SET_SIZE, &a), 0);
    assert_true(now_s() - t0 < 0.5);
    /* a getxattr of the 20 GiB digest waits, bounded, for that file only ... */
    struct xa_call c = {f->fs, big, 0, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, getxattr_thread, &c), 0);
    /* ... while everyone else goes on: lookups, listings, new files and their digests */
    double worst = 0;
    for (int i = 0; i < 20; i++) {
        char name[16];
        snprintf(name, sizeof name, "o%d", i);
        t0 = now_s();
        struct names ns = {0};
        assert_int_equal(pfs_readdir(f->fs, &root, PFS_ROOT_INO, 0, collect, &ns), 0);
        free(ns.v);
        free(ns.cookie);
        uint64_t o = mkfile_seed(f->fs, PFS_ROOT_INO, name, 1000, (uint32_t)i);
        assert_int_equal(pfs_getattr(f->fs, o, &a), 0);
        assert_int_equal(digest_of(f->fs, o, got), 64);
        double dt = now_s() - t0;
        worst = dt > worst ? dt : worst;
        usleep(50000);
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    print_message("# 20 GiB sparse: getxattr %zd after %.2f s; worst other op %.3f s\n", c.rc,
                  c.secs, worst);
    assert_true(worst < 0.5);
    assert_int_equal(c.rc, -EAGAIN); /* 20 GiB of zeros take longer than the wait */
    assert_true(c.secs >= 1.5 && c.secs < 10);
    /* a file queued behind the 20 GiB one gets its digest at its first turn */
    uint8_t *two = malloc(2 * CL);
    fill(two, 2 * CL, 12);
    uint64_t fh2;
    assert_int_equal(pfs_create(f->fs, &root, PFS_ROOT_INO, "behind", 0644, O_WRONLY, &a, &fh2),
                     0);
    assert_int_equal(pfs_write(f->fs, a.ino, fh2, two + CL, CL, CL), (ssize_t)CL);
    assert_int_equal(pfs_write(f->fs, a.ino, fh2, two, CL, 0), (ssize_t)CL);
    assert_int_equal(pfs_release(f->fs, a.ino, fh2), 0);
    t0 = now_s();
    assert_int_equal(digest_of(f->fs, a.ino, got), 64);
    print_message("# a 128 KiB file behind the 20 GiB one: digest after %.2f s\n", now_s() - t0);
    hexof(two, 2 * CL, want);
    assert_string_equal(got, want);
    free(two);
    /* shrinking it abandons the hash under way; the digest is then of the new content */
    sa.size = 70001;
    assert_int_equal(pfs_setattr(f->fs, &root, big, &sa, PFS_SET_SIZE, &a), 0);
    assert_int_equal(digest_of(f->fs, big, got), 64);
    content_hex(f->fs, big, want);
    assert_string_equal(got, want);
    /* an unlinked file's hash is abandoned too: the next file's digest does not wait */
    sa.size = 20ULL << 30;
    assert_int_equal(pfs_setattr(f->fs, &root, big, &sa, PFS_SET_SIZE, &a), 0);
    usleep(100000);
    assert_int_equal(pfs_unlink(f->fs, &root, PFS_ROOT_INO, "big"), 0);
    /* written out of order, so the worker must read it back */
    uint8_t *d = malloc(3 * CL);
    fill(d, 3 * CL, 9);
    uint64_t fh;
    assert_int_equal(pfs_create(f->fs, &root, PFS_ROOT_INO, "holey", 0644, O_WRONLY, &a, &fh),
                     0);
    uint64_t h = a.ino;
    uint64_t at = (5ULL << 20) + 3; /* data after a 5 MiB hole */
    assert_int_equal(pfs_write(f->fs, h, fh, d + CL, 2 * CL, at + CL), (ssize_t)(2 * CL));
    assert_int_equal(pfs_write(f->fs, h, fh, d, CL, at), (ssize_t)CL);
    assert_int_equal(pfs_release(f->fs, h, fh), 0);
    t0 = now_s();
    assert_int_equal(digest_of(f->fs, h, got), 64);
    assert_true(now_s() - t0 < 1.5);
    uint8_t *whole = calloc(1, at + 3 * CL);
    memcpy(whole + at, d, 3 * CL);
    hexof(whole, at + 3 * CL, want);
    assert_string_equal(got, want);
    /* it persists, and fsck agrees */
    remount(f);
    assert_int_equal(digest_of(f->fs, h, got), 64);
    assert_string_equal(got, want);
    check_no_fixity_problem(f, 20);
    free(whole);
    free(d);
}

struct cancel_after {
    volatile sig_atomic_t *flag;
    unsigned ms;
};

static void *cancel_thread(void *arg)
{
    struct cancel_after *c = arg;
    usleep(c->ms * 1000u);
    *c->flag = 1;
    return NULL;
}

static void test_fs_check_fixity_bounded_by_allocated_and_cancellable(void **state)
{
    struct fx *f = *state;
    /* an 8 TiB size with a digest, as one changed byte of a checkpoint would give */
    uint64_t huge = mkfile_seed(f->fs, PFS_ROOT_INO, "huge", 5000 + CL, 10);
    struct pfs_attr a;
    struct pfs_setattr sa = {.size = 8ULL << 40};
    assert_int_equal(pfs_setattr(f->fs, &root, huge, &sa, PFS_SET_SIZE, &a), 0);
    pthread_mutex_lock(&f->fs->lock);
    struct fs_inode *ip = fs_iget(f->fs, huge);
    ip->flags |= FS_I_DIGEST;
    fs_mark_dirty(f->fs, ip);
    pthread_mutex_unlock(&f->fs->lock);
    /* 900 MiB of holes: within the budget, hashed (a few seconds) */
    uint64_t mid = mkfile_seed(f->fs, PFS_ROOT_INO, "mid", 1000, 11);
    sa.size = 900ULL << 20;
    assert_int_equal(pfs_setattr(f->fs, &root, mid, &sa, PFS_SET_SIZE, &a), 0);
    char got[65];
    double t0 = now_s();
    ssize_t rc;
    while ((rc = digest_of(f->fs, mid, got)) == -EAGAIN && now_s() - t0 < 120)
        ;
    assert_int_equal(rc, 64);
    assert_int_equal(pfs_unmount(f->fs), 0);
    f->fs = NULL;

    struct pfs_check_report rep;
    t0 = now_s();
    assert_int_equal(check_fixity_of(f, NULL, &rep), 0);
    double full = now_s() - t0;
    print_message("# fsck -f with an 8 TiB sparse file and 900 MiB of holes: %.2f s\n", full);
    assert_int_equal(rep.count, 0);
    assert_int_equal(rep.files_sparse, 1); /* huge: noted, not hashed */
    assert_int_equal(rep.files_hashed, 1); /* mid */
    assert_true(full < 60);
    pfs_check_report_free(&rep);

    /* a signal's flag stops it soon, inside the holes of one file */
    volatile sig_atomic_t flag = 0;
    struct cancel_after ca = {&flag, 100};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, cancel_thread, &ca), 0);
    t0 = now_s();
    assert_int_equal(check_fixity_of(f, &flag, &rep), -ECANCELED);
    double cut = now_s() - t0;
    assert_int_equal(pthread_join(th, NULL), 0);
    pfs_check_report_free(&rep);
    print_message("# cancelled after %.2f s\n", cut);
    assert_true(cut < full && cut < 1.5);
    assert_int_equal(mount_fx(f), 0);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fs_mkfs_mount_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_mount_option_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_persistence_across_remount, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_namespace_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_name_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_hard_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_symlink_readlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_rename_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_rename_noreplace_exchange, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_permissions_other_uid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_sticky_bit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_sgid_inheritance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_chmod_chown_utimes_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_ftruncate_through_write_handle, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_truncate_and_sparse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_large_file_beyond_4gib, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_small_files_packed_inline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_xattr_create_replace_list_remove, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_fixity_digest_matches_blake2b, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_readdir_cookies_stable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_many_files_in_one_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_crash_image_copy_after_fsync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_crash_abandon_without_unmount, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_crash_power_cut_at_every_point, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_crash_power_cut_on_a_nearly_full_medium, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_crash_power_cut_tears_the_last_write, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_crash_power_cut_tears_on_a_nearly_full_medium,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_crash_power_cut_reorders_unsynced_writes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_fs_crash_power_cut_reorders_on_a_nearly_full_medium, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_fs_crash_unlanded_log_copy_ends_log_for_mount_and_fsck, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_enospc_full_medium_stays_consistent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_metadata_copy_destroyed_still_mounts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_log_copy_destroyed_replays_other, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_uncorrectable_data_cluster_gives_eio_for_range,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_foreign_or_corrupt_image_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_open_unlinked_file_lives_until_release, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_o_trunc_empty_file_marks_times, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_orphan_across_checkpoint_then_crash, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_placement_metadata_near_data_by_option, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_no_hot_spot_rewrites_move, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_concurrent_readers_and_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_read_only_mount_refuses_changes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_periodic_commit_without_fsync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_reserve_tracks_checkpoint_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_mkfs_over_old_filesystem_starts_empty, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_deferred_reuse_and_inflight_clusters, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_corrupt_records_with_valid_crc_refused_cleanly,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_newer_format_version_refused_eproto, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_fixity_right_after_failed_multicluster_write,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_fixity_sparse_digest_costs_others_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fs_kill_suid_chmod_by_a_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_check_fixity_bounded_by_allocated_and_cancellable,
                                        setup, teardown),
    };
    if (getenv("TEST_FS_FILTER")) /* e.g. '*power_cut*' with TEST_FS_CUT_ROUNDS */
        cmocka_set_test_filter(getenv("TEST_FS_FILTER"));
    return cmocka_run_group_tests_name("fs", tests, NULL, NULL);
}
