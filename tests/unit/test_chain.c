/*
 * test_chain.c — cmocka tests of the metadata chain walker (src/fs/chain.c) and of the
 * writer's side of its limits (log.c rule 7), on a real image file: every test holds
 * the mount (pfs_mount, strict) and the check (pfs_check, tolerant) to the same verdict
 * on one image. Images are damaged the way a crafted or decayed medium is: a cluster
 * rewritten with a byte changed (its CRC fails), an anchor re-encoded with values beyond
 * the medium's geometry or another filesystem's UUID. Tests name the chain.c invariant
 * they check as "chain (n)".
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fs_priv.h"
#include "pfs.h"

#define LAYER_BYTES (16ULL << 20)

struct fx {
    char dir[64];
    char path[96];
    struct medium *m;
    struct pfs *fs;
    struct pfs_mount_options mo;
    int reports;
};

static const struct pfs_ctx root = {0, 0, 1, NULL, 0};

static void on_report(void *arg, int err, const char *path, uint64_t off, const char *what)
{
    (void)err;
    (void)path;
    (void)off;
    (void)what;
    ((struct fx *)arg)->reports++;
}

static int setup_size(void **state, uint64_t layer_bytes)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_chain.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/img", f->dir);
    struct medium_profile p;
    assert_int_equal(medium_profile_preset("bd-re-dl", &p), 0);
    p.capacity_per_layer = layer_bytes;
    struct medium_create_options co = {.overwrite = true};
    assert_int_equal(medium_create(f->path, &p, &co, &f->m), 0);
    assert_int_equal(pfs_mkfs(f->m, NULL, &root), 0);
    pfs_mount_options_default(&f->mo);
    f->mo.report = on_report;
    f->mo.report_arg = f;
    f->mo.commit_interval_ms = 60000; /* the tests decide when to commit */
    assert_int_equal(pfs_mount(f->m, &f->mo, &f->fs), 0);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_size(state, LAYER_BYTES);
}

/* room for a commit of FS_COMMIT_MAX_CLUSTERS pairs */
static int setup_large(void **state)
{
    return setup_size(state, 4 * LAYER_BYTES);
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

static void unmount(struct fx *f)
{
    assert_int_equal(pfs_unmount(f->fs), 0);
    f->fs = NULL;
}

static int mount_rw(struct fx *f)
{
    return pfs_mount(f->m, &f->mo, &f->fs);
}

/* One file "name" of len bytes, every byte (i * 7 + len) & 0xff. */
static uint64_t mkfile(struct pfs *fs, const char *name, size_t len)
{
    struct pfs_attr a;
    uint64_t fh;
    uint8_t *d = malloc(len + 1);
    assert_non_null(d);
    for (size_t i = 0; i < len; i++)
        d[i] = (uint8_t)(i * 7 + len);
    assert_int_equal(pfs_create(fs, &root, PFS_ROOT_INO, name, 0644, O_WRONLY, &a, &fh), 0);
    assert_int_equal(pfs_write(fs, a.ino, fh, d, len, 0), (ssize_t)len);
    assert_int_equal(pfs_release(fs, a.ino, fh), 0);
    free(d);
    return a.ino;
}

static uint64_t lookup_ino(struct pfs *fs, const char *name)
{
    struct pfs_attr a;
    return pfs_lookup(fs, &root, PFS_ROOT_INO, name, &a) == 0 ? a.ino : 0;
}

static bool exists(struct pfs *fs, const char *name)
{
    return lookup_ino(fs, name) != 0;
}

/* pfs_check, read-only or repairing; returns the problem count, report in *r. */
static size_t check(struct fx *f, bool repair, struct pfs_check_report *r)
{
    struct pfs_check_options o;
    pfs_check_options_default(&o);
    o.repair = repair;
    assert_int_equal(pfs_check(f->m, &o, r), 0);
    return r->count;
}

static void assert_clean(struct fx *f)
{
    struct pfs_check_report r;
    assert_int_equal(check(f, false, &r), 0);
    pfs_check_report_free(&r);
}

/* The check finds one problem, of class cls (at lcn unless FS_LCN_NONE, its detail
 * naming word), a repair repairs it and the filesystem is clean and mounts after it. */
static void one_problem_repaired(struct fx *f, enum pfs_check_class cls, uint64_t lcn,
                                 const char *word)
{
    struct pfs_check_report r;
    assert_int_equal(check(f, false, &r), 1);
    assert_int_equal(r.problems[0].cls, cls);
    if (lcn != FS_LCN_NONE)
        assert_int_equal(r.problems[0].lcn, lcn);
    assert_true(r.problems[0].repairable);
    assert_non_null(strstr(r.problems[0].detail, word));
    pfs_check_report_free(&r);
    assert_int_equal(check(f, true, &r), 1);
    assert_true(r.problems[0].repaired);
    pfs_check_report_free(&r);
    assert_clean(f);
    assert_int_equal(mount_rw(f), 0);
}

/* Read logical cluster src, let fn change it, write it to dst (the filesystem
 * unmounted). */
static void rewrite_to(struct fx *f, uint64_t src, uint64_t dst,
                       void (*fn)(uint8_t *cl, void *arg), void *arg)
{
    struct sector_dev *dev;
    uint8_t *cl = malloc(FS_CLUSTER);
    assert_non_null(cl);
    assert_int_equal(sector_open(f->m, NULL, &dev), 0);
    assert_int_equal(sector_read(dev, src, cl, NULL), 0);
    fn(cl, arg);
    assert_int_equal(sector_write(dev, dst, cl, NULL), 0);
    assert_int_equal(sector_close(dev), 0);
    free(cl);
}

static void rewrite(struct fx *f, uint64_t lcn, void (*fn)(uint8_t *cl, void *arg), void *arg)
{
    rewrite_to(f, lcn, lcn, fn, arg);
}

static void flip_byte(uint8_t *cl, void *arg)
{
    (void)arg;
    cl[20] ^= 0x5a; /* inside the header: its CRC fails */
}

/* The anchor slot holding the newest generation, and the LCN of slot s. */
static unsigned newest_slot(struct fx *f, struct pfs_check_report *r)
{
    struct sector_dev *dev;
    uint8_t *cl = malloc(FS_CLUSTER);
    unsigned best = 0;
    uint64_t gen = 0;
    assert_non_null(cl);
    assert_int_equal(sector_open(f->m, NULL, &dev), 0);
    for (unsigned s = 0; s < FS_ANCHORS; s++) {
        struct fs_anchor a;
        assert_int_equal(sector_read(dev, r->anchor_lcn[s], cl, NULL), 0);
        if (fs_anchor_decode(cl, &a) == 0 && a.generation > gen) {
            gen = a.generation;
            best = s;
        }
    }
    assert_int_equal(sector_close(dev), 0);
    free(cl);
    return best;
}

struct anchor_edit {
    uint64_t gen_add;
    uint32_t ckpt_clusters;   /* 0: unchanged */
    uint64_t ckpt_a;          /* 0: unchanged */
    bool foreign_uuid;
};

static void edit_anchor(uint8_t *cl, void *arg)
{
    const struct anchor_edit *e = arg;
    struct fs_anchor a;
    assert_int_equal(fs_anchor_decode(cl, &a), 0);
    a.generation += e->gen_add;
    if (e->ckpt_clusters)
        a.ckpt_clusters = e->ckpt_clusters;
    if (e->ckpt_a)
        a.ckpt_a = e->ckpt_a;
    if (e->foreign_uuid)
        for (int i = 0; i < 16; i++)
            a.uuid[i] ^= 0xa5;
    fs_anchor_encode(&a, cl); /* a valid CRC: only the walker's limits can refuse it */
}

static void populated(struct fx *f)
{
    mkfile(f->fs, "small", 3000);
    mkfile(f->fs, "big", 3 * FS_CLUSTER + 11);
    unmount(f);
}

/* chain (1): an anchor with a valid CRC whose counts or LCNs lie beyond the medium is
 * never used, by mount or check, and costs nothing (no allocation sized by it). */
static void anchor_beyond_geometry(struct fx *f, const struct anchor_edit *e)
{
    struct pfs_check_report r;
    populated(f);
    assert_int_equal(check(f, false, &r), 0);
    /* the newest anchor, re-encoded into an older one's slot (not the next one's, which
     * the checkpoint of the mount below writes) with a newer generation */
    unsigned s = newest_slot(f, &r);
    uint64_t lcn = r.anchor_lcn[(s + 3) % FS_ANCHORS];
    rewrite_to(f, r.anchor_lcn[s], lcn, edit_anchor, (void *)e);
    pfs_check_report_free(&r);
    /* the mount uses the genuine newest anchor, not the one beyond the geometry */
    assert_int_equal(mount_rw(f), 0);
    assert_true(exists(f->fs, "small") && exists(f->fs, "big"));
    unmount(f);
    /* the check sees one bad slot, and repairs it */
    one_problem_repaired(f, PFS_CHECK_ANCHOR, lcn, "outside the medium");
}

static void test_chain_anchor_counting_more_clusters_than_the_medium(void **state)
{
    struct anchor_edit e = {.gen_add = 5, .ckpt_clusters = UINT32_MAX};
    anchor_beyond_geometry(*state, &e);
}

static void test_chain_anchor_naming_a_cluster_beyond_the_medium(void **state)
{
    struct fx *f = *state;
    struct anchor_edit e = {.gen_add = 5, .ckpt_a = f->fs->total_lcns + 3};
    anchor_beyond_geometry(f, &e);
}

/* chain (2): one valid anchor with another UUID and a higher generation is another
 * filesystem's: the seven genuine anchors decide, for mount and check alike. */
static void test_chain_forged_anchor_outvoted(void **state)
{
    struct fx *f = *state;
    struct pfs_check_report r;
    populated(f);
    assert_int_equal(check(f, false, &r), 0);
    uint64_t gen = r.generation;
    unsigned s = newest_slot(f, &r);
    uint64_t lcn = r.anchor_lcn[(s + 3) % FS_ANCHORS];
    struct anchor_edit e = {.gen_add = 10, .foreign_uuid = true};
    rewrite_to(f, r.anchor_lcn[s], lcn, edit_anchor, &e);
    pfs_check_report_free(&r);
    assert_int_equal(mount_rw(f), 0);
    assert_true(exists(f->fs, "small") && exists(f->fs, "big"));
    unmount(f);
    assert_int_equal(check(f, false, &r), 1);
    assert_int_equal(r.generation, gen);
    assert_int_equal(r.anchors_valid, FS_ANCHORS - 1);
    pfs_check_report_free(&r);
    one_problem_repaired(f, PFS_CHECK_ANCHOR, lcn, "another filesystem");
}

/* n R_INODE records of ip appended to the log buffer: the bytes they take. */
static size_t append_records(struct pfs *fs, uint64_t ino, size_t n)
{
    pthread_mutex_lock(&fs->lock);
    struct fs_inode *ip = fs_iget(fs, ino);
    size_t before = fs->logbuf.len;
    for (size_t i = 0; i < n; i++)
        fs_log_inode(fs, ip);
    size_t len = fs->logbuf.len - before;
    pthread_mutex_unlock(&fs->lock);
    return len;
}

/* chain (4), log.c rule 7: a commit of exactly FS_COMMIT_MAX_CLUSTERS clusters is
 * written as log and replayed after a crash; one record more and the writer makes it
 * a checkpoint instead of a commit the reader would refuse. */
static void test_chain_commit_bound_shared_by_writer_and_reader(void **state)
{
    struct fx *f = *state;
    uint64_t ino = mkfile(f->fs, "f", 100);
    assert_int_equal(pfs_sync(f->fs), 0);
    size_t rec = append_records(f->fs, ino, 1);
    size_t n = (size_t)FS_COMMIT_MAX_CLUSTERS * FS_PAYLOAD / rec - 1; /* one went already */
    append_records(f->fs, ino, n);
    struct pfs_stats st0, st1;
    assert_int_equal(pfs_stats_get(f->fs, &st0), 0);
    /* (no assert with the lock held: a failure would leave it locked for teardown) */
    pthread_mutex_lock(&f->fs->lock);
    f->fs->log_limit = UINT32_MAX; /* keep the log: no checkpoint after this commit */
    size_t len = f->fs->logbuf.len;
    uint32_t before = f->fs->log_clusters;
    int rc = fs_commit(f->fs);
    uint32_t written = f->fs->log_clusters - before;
    pthread_mutex_unlock(&f->fs->lock);
    assert_true(len > (size_t)(FS_COMMIT_MAX_CLUSTERS - 1) * FS_PAYLOAD);
    assert_true(len <= (size_t)FS_COMMIT_MAX_CLUSTERS * FS_PAYLOAD);
    assert_int_equal(rc, 0);
    assert_int_equal(written, FS_COMMIT_MAX_CLUSTERS);
    assert_int_equal(pfs_stats_get(f->fs, &st1), 0);
    assert_int_equal(st1.commits, st0.commits + 1);
    assert_int_equal(st1.checkpoints, st0.checkpoints);
    pfs_test_abandon(f->fs); /* a crash: the 256-cluster commit is in the log only */
    f->fs = NULL;
    struct pfs_check_report r;
    assert_int_equal(check(f, false, &r), 0);
    assert_true(r.log_clusters >= FS_COMMIT_MAX_CLUSTERS);
    pfs_check_report_free(&r);
    assert_int_equal(mount_rw(f), 0);
    assert_int_equal(pfs_stats_get(f->fs, &st1), 0);
    assert_true(st1.log_records_replayed >= n + 1);
    assert_true(exists(f->fs, "f"));

    /* one record beyond the bound: a checkpoint, not a commit */
    assert_int_equal(pfs_sync(f->fs), 0);
    append_records(f->fs, ino, n + 2);
    assert_int_equal(pfs_stats_get(f->fs, &st0), 0);
    pthread_mutex_lock(&f->fs->lock);
    len = f->fs->logbuf.len;
    rc = fs_commit(f->fs);
    uint32_t log_after = f->fs->log_clusters;
    size_t buf_after = f->fs->logbuf.len;
    pthread_mutex_unlock(&f->fs->lock);
    assert_true(len > (size_t)FS_COMMIT_MAX_CLUSTERS * FS_PAYLOAD);
    assert_int_equal(rc, 0);
    assert_int_equal(log_after, 0);
    assert_int_equal(buf_after, 0);
    assert_int_equal(pfs_stats_get(f->fs, &st1), 0);
    assert_int_equal(st1.checkpoints, st0.checkpoints + 1);
    assert_int_equal(st1.commits, st0.commits);
    pfs_test_abandon(f->fs);
    f->fs = NULL;
    assert_clean(f);
    assert_int_equal(mount_rw(f), 0);
    assert_true(exists(f->fs, "f"));
}

/* A file "late" committed to the log after a checkpoint, then a crash; the log's first
 * pair in *a, *b, and the first data cluster of "big" in *data. */
static void late_commit(struct fx *f, uint64_t *a, uint64_t *b, uint64_t *data)
{
    struct pfs_check_report r;
    populated(f);
    assert_int_equal(mount_rw(f), 0);
    *data = pfs_test_file_lcn(f->fs, lookup_ino(f->fs, "big"), 0);
    assert_true(*data != FS_LCN_NONE);
    mkfile(f->fs, "late", 5000);
    assert_int_equal(pfs_sync(f->fs), 0);
    pfs_test_abandon(f->fs);
    f->fs = NULL;
    assert_int_equal(check(f, false, &r), 0);
    bool found = false;
    for (size_t i = 0; i < r.nmeta && !found; i++)
        if (r.meta[i].kind == FS_CHDR_LOG) {
            *a = r.meta[i].lcn_a;
            *b = r.meta[i].lcn_b;
            found = true;
        }
    assert_true(found && *a != *b);
    pfs_check_report_free(&r);
}

/* chain (6): a log pair damaged on both copies may hold acknowledged commits: a
 * read-write mount refuses it (-EBADMSG), a read-only mount cuts the log there, the
 * check reports it and its repair cuts the log for good. */
static void test_chain_log_pair_lost_on_both_copies(void **state)
{
    struct fx *f = *state;
    uint64_t a, b, data;
    late_commit(f, &a, &b, &data);
    rewrite(f, a, flip_byte, NULL);
    rewrite(f, b, flip_byte, NULL);
    assert_int_equal(mount_rw(f), -EBADMSG);
    assert_null(f->fs);
    struct pfs_mount_options ro = f->mo;
    ro.read_only = true;
    f->reports = 0;
    assert_int_equal(pfs_mount(f->m, &ro, &f->fs), 0);
    assert_true(f->reports > 0);
    assert_true(exists(f->fs, "big") && !exists(f->fs, "late"));
    unmount(f);
    one_problem_repaired(f, PFS_CHECK_LOG_LOST, a, "are lost");
    assert_true(exists(f->fs, "big") && !exists(f->fs, "late"));
}

static void stale_copy(uint8_t *cl, void *arg)
{
    memcpy(cl, arg, FS_CLUSTER);
}

/* chain (6): one copy damaged and the other never written (here: still holding a data
 * cluster) is a write a power cut tore: the normal end of the log, for both. */
static void test_chain_torn_log_write_ends_the_log(void **state)
{
    struct fx *f = *state;
    uint64_t a, b, data;
    late_commit(f, &a, &b, &data);
    uint8_t *old = malloc(FS_CLUSTER);
    assert_non_null(old);
    struct sector_dev *dev;
    assert_int_equal(sector_open(f->m, NULL, &dev), 0);
    assert_int_equal(sector_read(dev, data, old, NULL), 0);
    assert_int_equal(sector_close(dev), 0);
    rewrite(f, a, flip_byte, NULL);
    rewrite(f, b, stale_copy, old);
    free(old);
    struct pfs_check_report r;
    assert_int_equal(check(f, false, &r), 0);
    assert_int_equal(r.log_clusters, 0);
    pfs_check_report_free(&r);
    assert_int_equal(mount_rw(f), 0);
    assert_true(exists(f->fs, "big") && !exists(f->fs, "late"));
    unmount(f);
    assert_clean(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_chain_anchor_counting_more_clusters_than_the_medium, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_anchor_naming_a_cluster_beyond_the_medium,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_forged_anchor_outvoted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_commit_bound_shared_by_writer_and_reader,
                                        setup_large, teardown),
        cmocka_unit_test_setup_teardown(test_chain_log_pair_lost_on_both_copies, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_chain_torn_log_write_ends_the_log, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("chain", tests, NULL, NULL);
}
