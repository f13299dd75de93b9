/*
 * fs.c — the life of a mounted filesystem (DESIGN.md "src/fs"): mkfs, mount (load,
 * replay, the mount-time checkpoint after a crash), the background commit thread,
 * sync, unmount, statfs and statistics, plus the small shared helpers (buffer pool,
 * reports, clock). Namespace and data operations live in namei.c, file.c, xattr.c.
 *
 * The only clocks read here are CLOCK_REALTIME for file timestamps (the user's wall
 * clock, which POSIX tools compare) and CLOCK_MONOTONIC for the commit interval; no
 * simulated quantity depends on either. The fs UUID is libsodium randomness.
 */
#include "fs_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MIN_USER_CLUSTERS_PER_LAYER 16u

void pfs_mkfs_options_default(struct pfs_mkfs_options *opt)
{
    if (!opt)
        return;
    memset(opt, 0, sizeof *opt);
    sector_options_default(&opt->sector);
}

void pfs_mount_options_default(struct pfs_mount_options *opt)
{
    if (!opt)
        return;
    memset(opt, 0, sizeof *opt);
    opt->placement = PFS_PLACE_AUTO;
    opt->commit_interval_ms = 5000;
    opt->cache_clusters = 64;
    sector_options_default(&opt->sector);
    /* Every commit syncs the sector layer; saving its statistics on every 16th sync
     * would rewrite the DMA clusters in place at fixed positions about as often as the
     * log is committed: a metadata hot spot. Statistics are saved at unmount (the
     * defect list itself is still written whenever it changes). */
    opt->sector.stats_sync_interval = 0;
}

struct timespec fs_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t;
}

void fs_report(struct pfs *fs, int err, const char *path, uint64_t off, const char *what)
{
    if (fs->opt.report)
        fs->opt.report(fs->opt.report_arg, err, path ? path : "", off, what);
}

uint8_t *fs_pool_get(struct pfs *fs)
{
    uint8_t *b = NULL;
    pthread_mutex_lock(&fs->pool_lock);
    if (fs->npool)
        b = fs->pool[--fs->npool];
    pthread_mutex_unlock(&fs->pool_lock);
    return b ? b : malloc(FS_CLUSTER);
}

void fs_pool_put(struct pfs *fs, uint8_t *buf)
{
    if (!buf)
        return;
    pthread_mutex_lock(&fs->pool_lock);
    if (fs->npool == fs->pool_cap) {
        size_t cap = fs->pool_cap ? fs->pool_cap * 2 : 8;
        uint8_t **p = cap <= 64 ? realloc(fs->pool, cap * sizeof *p) : NULL;
        if (!p) {
            pthread_mutex_unlock(&fs->pool_lock);
            free(buf);
            return;
        }
        fs->pool = p;
        fs->pool_cap = cap;
    }
    fs->pool[fs->npool++] = buf;
    pthread_mutex_unlock(&fs->pool_lock);
}

/* ---- create / free ------------------------------------------------------------------ */

static void fs_free(struct pfs *fs)
{
    if (!fs)
        return;
    struct fs_itable *t = &fs->itab;
    for (size_t i = 0; t->slots && i < t->nslots; i++)
        if (t->slots[i] && t->slots[i]->ino)
            fs_inode_destroy(fs, t->slots[i]);
    fs_itable_free(t);
    fs_alloc_free(&fs->al);
    fs_cache_free(fs);
    free(fs->handles);
    free(fs->meta_lcns);
    fs_buf_free(&fs->logbuf);
    free(fs->iobuf);
    free(fs->iobuf2);
    for (size_t i = 0; i < fs->npool; i++)
        free(fs->pool[i]);
    free(fs->pool);
    fs_fixity_stop(fs, false);
    pthread_mutex_destroy(&fs->lock);
    pthread_mutex_destroy(&fs->pool_lock);
    pthread_cond_destroy(&fs->cond);
    free(fs);
}

static int fs_new(struct medium *m, struct sector_dev *dev, const struct pfs_mount_options *o,
                  struct pfs **out)
{
    /* refused, never clamped: the caller asked for a cache it would not get */
    if (o && (o->cache_clusters > PFS_CACHE_CLUSTERS_MAX ||
              o->commit_interval_ms > PFS_COMMIT_INTERVAL_MS_MAX))
        return -EINVAL;
    struct pfs *fs = calloc(1, sizeof *fs);
    if (!fs)
        return -ENOMEM;
    pthread_mutex_init(&fs->lock, NULL);
    pthread_mutex_init(&fs->pool_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&fs->cond, &ca);
    pthread_condattr_destroy(&ca);
    fs->m = m;
    fs->dev = dev;
    if (o)
        fs->opt = *o;
    else
        pfs_mount_options_default(&fs->opt);
    if (fs->opt.commit_interval_ms == 0)
        fs->opt.commit_interval_ms = 5000;
    if (fs->opt.cache_clusters == 0)
        fs->opt.cache_clusters = 64;
    fs->read_only = fs->opt.read_only;
    fs->total_lcns = sector_logical_clusters(dev);
    fs->per_layer = fs->total_lcns / 2;
    fs->next_ino = PFS_ROOT_INO + 1;
    fs->st.size = sizeof fs->st;
    randombytes_buf(fs->hashkey, sizeof fs->hashkey);
    fs->iobuf = malloc(FS_CLUSTER);
    fs->iobuf2 = malloc(FS_CLUSTER);
    int rc = fs_itable_init(&fs->itab);
    if (rc == 0 && (!fs->iobuf || !fs->iobuf2))
        rc = -ENOMEM;
    if (rc == 0)
        rc = fs_cache_init(fs);
    if (rc < 0) {
        fs->dev = NULL;
        fs_free(fs);
        return rc;
    }
    *out = fs;
    return 0;
}

/* ---- mkfs --------------------------------------------------------------------------- */

int pfs_mkfs(struct medium *m, const struct pfs_mkfs_options *opt, const struct pfs_ctx *ctx)
{
    struct pfs_mkfs_options def;
    struct sector_options so;
    struct sector_dev *dev = NULL;
    struct pfs *fs = NULL;
    int rc;

    if (!m)
        return -EINVAL;
    if (sodium_init() < 0)
        return -ENOMEM;
    if (!opt) {
        pfs_mkfs_options_default(&def);
        opt = &def;
    }
    so = opt->sector;
    so.force_format = true; /* mkfs destroys what the medium held */
    so.read_only = false;
    if ((rc = sector_format(m, &so)) < 0)
        return rc;
    if ((rc = sector_open(m, &so, &dev)) < 0)
        return rc;
    if (sector_logical_clusters(dev) / 2 < FS_ANCHORS_PER_LAYER + MIN_USER_CLUSTERS_PER_LAYER) {
        rc = -ENOSPC;
        goto out;
    }
    if ((rc = fs_new(m, dev, NULL, &fs)) < 0)
        goto out;
    randombytes_buf(fs->uuid, sizeof fs->uuid);
    memcpy(fs->label, opt->label, PFS_LABEL_MAX);
    fs->label[PFS_LABEL_MAX - 1] = '\0';
    if ((rc = fs_alloc_init(fs)) < 0 || (rc = fs_alloc_build(fs)) < 0)
        goto out;
    struct fs_inode *root = fs_inode_new(fs, PFS_ROOT_INO, S_IFDIR | 0755);
    if (!root) {
        rc = -ENOMEM;
        goto out;
    }
    root->uid = ctx ? ctx->uid : 0;
    root->gid = ctx ? ctx->gid : 0;
    root->nlink = 2;
    root->dir->parent = PFS_ROOT_INO;
    root->atime = root->mtime = root->ctime = fs_now();
    fs->log_limit = 8;
    /* the first checkpoint; its anchor then goes to every slot, so no anchor of an
     * earlier filesystem on this medium survives (format invariant 1) */
    if ((rc = fs_checkpoint(fs)) < 0)
        goto out;
    if ((rc = sector_read(dev, fs_anchor_lcn(fs, fs->gen % FS_ANCHORS), fs->iobuf2, NULL)) < 0)
        goto out;
    for (unsigned s = 0; s < FS_ANCHORS; s++) {
        if (s == fs->gen % FS_ANCHORS)
            continue;
        if ((rc = sector_write(dev, fs_anchor_lcn(fs, s), fs->iobuf2, NULL)) < 0)
            goto out;
    }
    rc = sector_sync(dev);
out:
    if (fs)
        fs->dev = NULL;
    fs_free(fs);
    int crc = sector_close(dev);
    return rc < 0 ? rc : crc;
}

/* ---- mount / unmount ---------------------------------------------------------------- */

static void *commit_thread(void *arg)
{
    struct pfs *fs = arg;
    pthread_mutex_lock(&fs->lock);
    while (!fs->stopping) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        uint64_t ns = (uint64_t)t.tv_nsec + (uint64_t)fs->opt.commit_interval_ms * 1000000u;
        t.tv_sec += (time_t)(ns / 1000000000u);
        t.tv_nsec = (long)(ns % 1000000000u);
        int w = pthread_cond_timedwait(&fs->cond, &fs->lock, &t);
        if (fs->stopping)
            break;
        if (w == ETIMEDOUT && fs_needs_commit(fs) && !fs->fatal) {
            int rc = fs_commit(fs);
            if (rc < 0)
                fs_report(fs, rc, "", 0, "periodic commit failed");
        }
    }
    pthread_mutex_unlock(&fs->lock);
    return NULL;
}

int pfs_mount(struct medium *m, const struct pfs_mount_options *opt, struct pfs **out)
{
    struct pfs_mount_options def;
    struct sector_options so;
    struct sector_dev *dev = NULL;
    struct pfs *fs = NULL;
    bool replayed = false;
    int rc;

    if (!m || !out)
        return -EINVAL;
    *out = NULL;
    if (sodium_init() < 0)
        return -ENOMEM;
    if (!opt) {
        pfs_mount_options_default(&def);
        opt = &def;
    }
    if ((unsigned)opt->placement > PFS_PLACE_SPREAD)
        return -EINVAL;
    so = opt->sector;
    so.read_only = so.read_only || opt->read_only;
    so.force_format = false;
    rc = sector_open(m, &so, &dev);
    if (rc == -ENODATA)
        return -EUCLEAN; /* not even formatted by the sector layer: not phasefs */
    if (rc < 0)
        return rc;
    if (sector_logical_clusters(dev) / 2 < FS_ANCHORS_PER_LAYER + MIN_USER_CLUSTERS_PER_LAYER ||
        sector_logical_clusters(dev) >= (1ULL << 32)) {
        sector_close(dev);
        return -EUCLEAN;
    }
    if ((rc = fs_new(m, dev, opt, &fs)) < 0) {
        sector_close(dev);
        return rc;
    }
    if ((rc = fs_load(fs, &replayed)) < 0)
        goto fail;
    if (replayed && !fs->read_only && (rc = fs_checkpoint(fs)) < 0)
        goto fail;
    if ((rc = fs_fixity_start(fs)) < 0)
        goto fail;
    if (!fs->read_only) {
        if (pthread_create(&fs->thread, NULL, commit_thread, fs) != 0) {
            rc = -ENOMEM;
            goto fail;
        }
        fs->thread_started = true;
    }
    *out = fs;
    return 0;
fail:
    fs->dev = NULL;
    fs_free(fs);
    sector_close(dev);
    return rc;
}

static void stop_thread(struct pfs *fs)
{
    if (!fs->thread_started)
        return;
    pthread_mutex_lock(&fs->lock);
    fs->stopping = true;
    pthread_cond_broadcast(&fs->cond);
    pthread_mutex_unlock(&fs->lock);
    pthread_join(fs->thread, NULL);
    fs->thread_started = false;
}

int pfs_unmount(struct pfs *fs)
{
    int rc = 0;
    if (!fs)
        return 0;
    /* its digests go into the last commit; a read-only mount could not store them */
    fs_fixity_stop(fs, !fs->read_only);
    stop_thread(fs);
    pthread_mutex_lock(&fs->lock);
    if (!fs->read_only) {
        rc = fs_commit(fs);
        /* a checkpoint at unmount: the next mount replays nothing, both copies fresh */
        if (rc == 0 && fs->log_clusters > 0)
            rc = fs_checkpoint(fs);
    }
    pthread_mutex_unlock(&fs->lock);
    int crc = sector_close(fs->dev);
    fs->dev = NULL;
    fs_free(fs);
    return rc < 0 ? rc : crc;
}

void pfs_test_abandon(struct pfs *fs)
{
    if (!fs)
        return;
    fs_fixity_stop(fs, false);
    stop_thread(fs);
    sector_close(fs->dev); /* sector statistics only; no filesystem structure */
    fs->dev = NULL;
    fs_free(fs);
}

int pfs_sync(struct pfs *fs)
{
    if (!fs)
        return -EINVAL;
    if (fs->read_only)
        return 0;
    pthread_mutex_lock(&fs->lock);
    int rc = fs_commit(fs);
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

int pfs_statfs(struct pfs *fs, struct statvfs *out)
{
    if (!fs || !out)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&fs->lock);
    /* Stable across commits and remounts: the log is counted as free (a checkpoint
     * gives it back) and metadata as its compacted size, twice. bavail keeps the
     * reserve of alloc.c rule 3 out, and never promises more than can be allocated. */
    uint64_t usable = fs->total_lcns - FS_ANCHORS;
    uint64_t used = fs->data_clusters + fs->dirty_clusters +
                    2 * ((fs->meta_bytes + FS_PAYLOAD - 1) / FS_PAYLOAD + 1);
    uint64_t bfree = usable > used ? usable - used : 0;
    uint64_t keep = 2 * ((fs->meta_bytes + FS_PAYLOAD - 1) / FS_PAYLOAD + 1) +
                    2 * ((uint64_t)fs->log_limit + 8);
    uint64_t bavail = bfree > keep ? bfree - keep : 0;
    uint64_t now_free = fs_alloc_free_count(fs) + fs->al.npend;
    uint64_t now_need = fs_alloc_reserve(fs, 0) + fs->dirty_clusters;
    uint64_t now_avail = now_free > now_need ? now_free - now_need : 0;
    if (bavail > now_avail)
        bavail = now_avail;
    out->f_bsize = FS_CLUSTER;
    out->f_frsize = FS_CLUSTER;
    out->f_blocks = usable;
    out->f_bfree = bfree;
    out->f_bavail = bavail;
    /* a new empty file costs ~200 B of metadata, written twice */
    out->f_files = fs->itab.count + out->f_bavail * (FS_CLUSTER / 512);
    out->f_ffree = out->f_bavail * (FS_CLUSTER / 512);
    out->f_favail = out->f_ffree;
    out->f_fsid = util_le64_get(fs->uuid);
    out->f_flag = fs->read_only ? ST_RDONLY : 0;
    out->f_namemax = PFS_NAME_MAX;
    pthread_mutex_unlock(&fs->lock);
    return 0;
}

int pfs_stats_get(struct pfs *fs, struct pfs_stats *out)
{
    if (!fs || !out)
        return -EINVAL;
    pthread_mutex_lock(&fs->lock);
    *out = fs->st;
    out->size = sizeof *out;
    out->inodes = fs->itab.count;
    out->clusters_total = fs->total_lcns;
    out->clusters_free = fs_alloc_free_count(fs) + fs->al.npend;
    out->metadata_clusters = fs->nmeta + FS_ANCHORS;
    out->data_clusters = fs->data_clusters;
    pthread_mutex_unlock(&fs->lock);
    return 0;
}

struct sector_dev *pfs_sector(struct pfs *fs)
{
    return fs ? fs->dev : NULL;
}

/* ---- test hooks --------------------------------------------------------------------- */

uint64_t pfs_test_file_lcn(struct pfs *fs, uint64_t ino, uint64_t idx)
{
    pthread_mutex_lock(&fs->lock);
    struct fs_inode *ip = fs_iget(fs, ino);
    uint64_t l = ip ? fs_ext_get(ip, idx) : FS_LCN_NONE;
    pthread_mutex_unlock(&fs->lock);
    return l;
}

size_t pfs_test_meta_lcns(struct pfs *fs, uint64_t *lcns, size_t cap)
{
    pthread_mutex_lock(&fs->lock);
    size_t n = fs->nmeta < cap ? fs->nmeta : cap;
    if (n)
        memcpy(lcns, fs->meta_lcns, n * sizeof *lcns);
    pthread_mutex_unlock(&fs->lock);
    return n;
}

/* For check.c: a filesystem object on dev without a load or a commit thread. */
int fs_object_new(struct medium *m, struct sector_dev *dev, const struct pfs_mount_options *o,
                  struct pfs **out)
{
    return fs_new(m, dev, o, out);
}

void fs_object_free(struct pfs *fs)
{
    fs_free(fs);
}
