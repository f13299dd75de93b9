/*
 * fixity.c — the fixity digest of regular files (user.phasefs.blake2b: BLAKE2b-256 via
 * libsodium crypto_generichash, no key, of the content; equal to `b2sum -l 256`): the
 * streaming digest of a file written from offset 0 in order, the background worker that
 * hashes every other file outside every lock, and the content hasher both the worker
 * and fsck (check.c) use, which hashes holes as zeros without reading them.
 *
 * Rules:
 * (1) The digest is right or absent: every change of content (write, truncate, a write
 *     that failed part way) goes through fs_fixity_changed, which clears FS_I_DIGEST and
 *     bumps the inode's content generation, so a hash under way for the old content is
 *     abandoned rather than stored.
 * (2) A file written sequentially from offset 0 is hashed as it is written (ip->hs); at
 *     the last close the digest is final at once. Any other change leaves the file
 *     without a digest until the worker has read it back.
 * (3) The worker holds fs->lock only to queue, to pick a job, to copy one cluster (as a
 *     reader does: file.c rule 3) and to store the result; holes are zeros hashed with
 *     no lock held, so a huge sparse file costs its own getxattr time, nobody else's.
 *     It runs at a low CPU priority, in turns of FIXITY_SLICE_BYTES per file, round
 *     robin; between turns the progress is ip->hs (the digest state of the prefix
 *     [0, hs_off), as for a sequential writer), so a file never waits for a huge one
 *     to finish, and the huge one loses nothing by waiting.
 * (4) A getxattr of a digest not yet computed waits for that file only, with fs->lock
 *     released (a condition variable), at most FIXITY_WAIT_MS; then -EAGAIN, which
 *     phasefs(8) documents ("the digest is being computed; ask again").
 * Issue 12 (per-cluster digests, an incremental whole-file digest after random writes)
 * builds on fs_fixity_hash and the queue: a per-cluster table would replace reading
 * whole clusters back, the queue and abandon rules stay.
 */
#include "fs_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FIXITY_WAIT_MS 2000u        /* getxattr waits this long for a pending digest */
#define FIXITY_NICE 10              /* the worker thread's nice value */
/* One turn of the worker on one file (a fraction of a second): a huge file goes on
 * after the files queued behind it have had theirs, so it delays nobody's digest by
 * more than a turn. */
#define FIXITY_SLICE_BYTES (64ULL << 20)
#define FIXITY_POLL_BYTES (1u << 20) /* zeros hashed between two looks at cancel */
/* At unmount the queue is finished for files up to this apparent size (a few seconds
 * of hashing at most: 0.35 GB/s of BLAKE2b measured on this 2-core machine at load 6.5,
 * see fsck.phasefs(8)); larger ones stay without a digest until the next mount is
 * asked for it. */
#define FIXITY_UNMOUNT_MAX (1ULL << 30)

static const uint8_t zeros[FS_CLUSTER];

/* ---- the content hasher ------------------------------------------------------------ */

int fs_fixity_feed(const struct fs_fixity_src *src, crypto_generichash_state *st,
                   uint64_t from, uint64_t to, uint8_t *buf)
{
    uint64_t pos = from, polled = from;
    while (pos < to) {
        if (pos - polled >= FIXITY_POLL_BYTES || pos == from) {
            polled = pos;
            if (src->cancelled && src->cancelled(src->arg))
                return -ECANCELED;
        }
        uint64_t idx = pos >> FS_CLUSTER_SHIFT;
        uint64_t end = (idx + 1) << FS_CLUSTER_SHIFT;
        if (end > to)
            end = to;
        uint64_t data = src->next_data(src->arg, idx);
        if (data > idx) {
            /* holes: zeros, no read, no lock */
            uint64_t hole_end = data > (to - 1) >> FS_CLUSTER_SHIFT ? to
                                                                   : data << FS_CLUSTER_SHIFT;
            while (pos < hole_end) {
                uint64_t n = hole_end - pos < FS_CLUSTER ? hole_end - pos : FS_CLUSTER;
                crypto_generichash_update(st, zeros, n);
                pos += n;
                if (pos - polled >= FIXITY_POLL_BYTES) {
                    polled = pos;
                    if (src->cancelled && src->cancelled(src->arg))
                        return -ECANCELED;
                }
            }
            continue;
        }
        int rc = src->cluster(src->arg, idx, buf);
        if (rc < 0)
            return rc;
        crypto_generichash_update(st, buf + (pos & (FS_CLUSTER - 1)), end - pos);
        pos = end;
    }
    return 0;
}

int fs_fixity_hash(const struct fs_fixity_src *src, uint64_t size, uint8_t *buf,
                   uint8_t out[PFS_FIXITY_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, PFS_FIXITY_BYTES);
    int rc = fs_fixity_feed(src, &st, 0, size, buf);
    if (rc == 0)
        crypto_generichash_final(&st, out, PFS_FIXITY_BYTES);
    return rc;
}

uint64_t fs_fixity_next_data(const struct fs_inode *ip, uint64_t idx)
{
    uint64_t best = fs_ext_next(ip, idx);
    for (size_t i = 0; i < ip->ndirty; i++)
        if (ip->dirty[i].idx >= idx && ip->dirty[i].idx < best)
            best = ip->dirty[i].idx;
    return best;
}

/* ---- the streaming digest (rule 2) ------------------------------------------------- */

void fs_fixity_stream_drop(struct fs_inode *ip)
{
    free(ip->hs);
    ip->hs = NULL;
    ip->hs_off = 0;
}

void fs_fixity_stream_begin(struct fs_inode *ip)
{
    if (!ip->hs)
        ip->hs = aligned_alloc(64, (sizeof *ip->hs + 63) & ~(size_t)63);
    if (ip->hs) {
        crypto_generichash_init(ip->hs, NULL, 0, PFS_FIXITY_BYTES);
        ip->hs_off = 0;
    }
}

void fs_fixity_stream_feed(struct fs_inode *ip, uint64_t off, const uint8_t *src, size_t n)
{
    if (!ip->hs)
        return;
    if (off == ip->hs_off) {
        crypto_generichash_update(ip->hs, src, n);
        ip->hs_off = off + n;
    } else {
        fs_fixity_stream_drop(ip);
    }
}

/* ---- changes and the queue (rules 1, 3) -------------------------------------------- */

void fs_fixity_changed(struct pfs *fs, struct fs_inode *ip)
{
    ip->flags &= ~FS_I_DIGEST;
    ip->cgen++;
    ip->fx_err = 0;
    if (fs->fx.cur_ino == ip->ino)
        atomic_store(&fs->fx.abandon, true);
}

void fs_fixity_forget(struct pfs *fs, struct fs_inode *ip)
{
    if (fs->fx.cur_ino == ip->ino)
        atomic_store(&fs->fx.abandon, true);
}

/* Queue ip for the worker (once). Holds fs->lock. */
static int enqueue(struct pfs *fs, struct fs_inode *ip)
{
    struct fs_fixity *x = &fs->fx;
    if (ip->fx_queued) /* (the job under way may be abandoned: queue it again) */
        return 0;
    if (x->nq == x->qcap) {
        size_t cap = x->qcap ? 2 * x->qcap : 16;
        uint64_t *q = realloc(x->queue, cap * sizeof *q);
        if (!q)
            return -ENOMEM;
        x->queue = q;
        x->qcap = cap;
    }
    x->queue[x->nq++] = ip->ino;
    ip->fx_queued = true;
    pthread_cond_signal(&x->work);
    return 0;
}

int fs_fixity_settle(struct pfs *fs, struct fs_inode *ip)
{
    if (!S_ISREG(ip->mode) || (ip->flags & FS_I_DIGEST) || ip->writers)
        return 0;
    if (ip->flags & FS_I_INLINE) {
        /* at most FS_INLINE_MAX bytes in memory: cheaper than a trip to the worker */
        crypto_generichash(ip->digest, PFS_FIXITY_BYTES, ip->payload, ip->payload_len, NULL,
                           0);
    } else if (ip->hs && ip->hs_off == ip->size) {
        crypto_generichash_final(ip->hs, ip->digest, PFS_FIXITY_BYTES);
    } else {
        /* a partial stream (the prefix written in order, or a worker's slice) stays:
         * the worker goes on from there */
        return fs->fx.started ? enqueue(fs, ip) : -EAGAIN;
    }
    fs_fixity_stream_drop(ip);
    ip->flags |= FS_I_DIGEST;
    if (!fs->read_only)
        fs_mark_dirty(fs, ip);
    return 0;
}

int fs_fixity_wait(struct pfs *fs, uint64_t ino)
{
    struct fs_fixity *x = &fs->fx;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    uint64_t ns = (uint64_t)t.tv_nsec + (uint64_t)FIXITY_WAIT_MS * 1000000u;
    t.tv_sec += (time_t)(ns / 1000000000u);
    t.tv_nsec = (long)(ns % 1000000000u);
    for (;;) {
        struct fs_inode *ip = fs_iget(fs, ino);
        if (!ip)
            return -ENOENT;
        if (ip->flags & FS_I_DIGEST)
            return 0;
        if (ip->fx_err)
            return ip->fx_err;
        if (ip->writers)
            return -ENODATA; /* someone opened it for writing meanwhile */
        int rc = fs_fixity_settle(fs, ip);
        if (rc < 0)
            return rc;
        if (ip->flags & FS_I_DIGEST)
            return 0;
        if (pthread_cond_timedwait(&x->done, &fs->lock, &t) == ETIMEDOUT)
            return -EAGAIN;
    }
}

/* ---- the worker (rule 3) ----------------------------------------------------------- */

struct job {
    struct pfs *fs;
    uint64_t ino, cgen;
};

/* The job's inode if its content is still the one being hashed. Holds fs->lock. */
static struct fs_inode *job_inode(const struct job *j)
{
    struct fs_inode *ip = fs_iget(j->fs, j->ino);
    return ip && ip->cgen == j->cgen ? ip : NULL;
}

static int job_cluster(void *arg, uint64_t idx, uint8_t *buf)
{
    const struct job *j = arg;
    struct pfs *fs = j->fs;
    int rc = -ECANCELED;
    pthread_mutex_lock(&fs->lock);
    if (job_inode(j)) {
        ssize_t n = fs_read_locked(fs, j->ino, buf, FS_CLUSTER, idx << FS_CLUSTER_SHIFT);
        rc = n < 0 ? (int)n : job_inode(j) ? 0 : -ECANCELED;
    }
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

static uint64_t job_next_data(void *arg, uint64_t idx)
{
    const struct job *j = arg;
    pthread_mutex_lock(&j->fs->lock);
    struct fs_inode *ip = job_inode(j);
    uint64_t next = ip ? fs_fixity_next_data(ip, idx) : idx;
    pthread_mutex_unlock(&j->fs->lock);
    return next;
}

static bool job_cancelled(void *arg)
{
    const struct job *j = arg;
    return atomic_load(&j->fs->fx.abandon);
}

static void *worker(void *arg)
{
    struct pfs *fs = arg;
    struct fs_fixity *x = &fs->fx;
    /* Digests can wait: a low priority (nice 10, about a tenth of a CPU that others
     * want) rather than SCHED_IDLE, which would starve them on a busy machine. A
     * refusal leaves the normal priority; nothing depends on it. */
    (void)setpriority(PRIO_PROCESS, (id_t)gettid(), FIXITY_NICE);
    uint8_t *buf = malloc(FS_CLUSTER);
    crypto_generichash_state *st = aligned_alloc(64, (sizeof *st + 63) & ~(size_t)63);
    pthread_mutex_lock(&fs->lock);
    while (!x->stop) {
        if (x->nq == 0 || !buf || !st) {
            if (x->draining)
                break;
            pthread_cond_wait(&x->work, &fs->lock);
            continue;
        }
        uint64_t ino = x->queue[0];
        memmove(x->queue, x->queue + 1, --x->nq * sizeof *x->queue);
        struct fs_inode *ip = fs_iget(fs, ino);
        if (!ip)
            continue;
        ip->fx_queued = false;
        if ((ip->flags & FS_I_DIGEST) || ip->writers || !S_ISREG(ip->mode) ||
            (x->draining && ip->size > FIXITY_UNMOUNT_MAX))
            continue;
        struct job j = {fs, ino, ip->cgen};
        struct fs_fixity_src src = {job_cluster, job_next_data, job_cancelled, &j};
        uint64_t size = ip->size, from = 0;
        if (ip->hs) { /* go on from the prefix already hashed (rule 2) */
            memcpy(st, ip->hs, sizeof *st);
            from = ip->hs_off;
        } else {
            crypto_generichash_init(st, NULL, 0, PFS_FIXITY_BYTES);
        }
        uint64_t to = size - from > FIXITY_SLICE_BYTES ? from + FIXITY_SLICE_BYTES : size;
        x->cur_ino = ino;
        atomic_store(&x->abandon, false);
        pthread_mutex_unlock(&fs->lock);
        int rc = fs_fixity_feed(&src, st, from, to, buf);
        pthread_mutex_lock(&fs->lock);
        x->cur_ino = 0;
        ip = job_inode(&j);
        if (ip && rc == 0 && to < size) {
            /* a slice done: keep the progress, let the others have their turn */
            if (!ip->hs)
                fs_fixity_stream_begin(ip);
            if (ip->hs) {
                memcpy(ip->hs, st, sizeof *st);
                ip->hs_off = to;
            }
            if (!ip->writers)
                (void)enqueue(fs, ip);
        } else if (ip && rc == 0) {
            crypto_generichash_final(st, ip->digest, PFS_FIXITY_BYTES);
            fs_fixity_stream_drop(ip);
            ip->flags |= FS_I_DIGEST;
            if (!fs->read_only)
                fs_mark_dirty(fs, ip);
        } else if (ip && rc < 0 && rc != -ECANCELED) {
            ip->fx_err = rc; /* the read already reported the cluster */
        }
        pthread_cond_broadcast(&x->done);
    }
    pthread_mutex_unlock(&fs->lock);
    free(buf);
    free(st);
    return NULL;
}

int fs_fixity_start(struct pfs *fs)
{
    struct fs_fixity *x = &fs->fx;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&x->done, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&x->work, NULL);
    atomic_init(&x->abandon, false);
    x->inited = true;
    if (pthread_create(&x->thread, NULL, worker, fs) != 0)
        return -ENOMEM;
    x->started = true;
    return 0;
}

void fs_fixity_stop(struct pfs *fs, bool drain)
{
    struct fs_fixity *x = &fs->fx;
    if (x->started) {
        pthread_mutex_lock(&fs->lock);
        struct fs_inode *cur = x->cur_ino ? fs_iget(fs, x->cur_ino) : NULL;
        if (drain) {
            x->draining = true;
            if (cur && cur->size > FIXITY_UNMOUNT_MAX)
                atomic_store(&x->abandon, true);
        } else {
            x->stop = true;
            atomic_store(&x->abandon, true);
        }
        pthread_cond_broadcast(&x->work);
        pthread_cond_broadcast(&x->done);
        pthread_mutex_unlock(&fs->lock);
        pthread_join(x->thread, NULL);
        x->started = false;
    }
    if (x->inited) {
        pthread_cond_destroy(&x->work);
        pthread_cond_destroy(&x->done);
        x->inited = false;
    }
    free(x->queue);
    x->queue = NULL;
    x->nq = x->qcap = 0;
}
