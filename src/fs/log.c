/*
 * log.c — the metadata log (DESIGN.md "src/fs": append-only checksummed log): record
 * emission as operations change the in-memory model and the commit that makes them
 * durable. The record format and the chain layout are format.c's; reading the chain
 * back (mount's replay, fsck's check) is chain.c's walker; checkpoints are
 * checkpoint.c's.
 *
 * Commit protocol (invariants; caller holds fs->lock throughout):
 * (1) Operations append records to fs->logbuf as they change memory; attribute-only
 *     changes mark the inode and are emitted as one R_INODE at commit. A record that
 *     needs an inode (dirent, extent, xattr) always follows that inode's creation in
 *     the stream, so a replay applies every prefix of whole commits cleanly.
 * (2) A commit first writes every dirty data cluster to a fresh LCN (copy-on-write)
 *     and appends its R_EXTENT, then syncs the sector layer, so no log record ever
 *     names data that is not durable.
 * (3) The commit's records are cut into log clusters written, both copies, to the LCN
 *     pair the previous log cluster (or the anchor) already names, each naming a
 *     freshly allocated pair for its successor; the last carries END. Then
 *     sector_sync. Only then is the commit complete: fsync returns, and clusters
 *     the commit stopped referencing become reusable (alloc.c rule 1).
 * (4) A crash before (3) completes leaves a chain whose last commit lacks END or a
 *     readable cluster: replay drops it whole, and the state is the previous commit's.
 * (5) When the log since the checkpoint reaches log_limit clusters, a checkpoint
 *     follows (checkpoint.c), which starts a new chain and frees the old one.
 * (6) If a log cluster cannot be written on both copies, the commit falls back to a
 *     checkpoint; if that fails too the filesystem refuses further changes (fs->fatal).
 * (7) A commit is never longer than FS_COMMIT_MAX_CLUSTERS clusters, the bound every
 *     reader holds it to (chain.c invariant 4): a longer one is written as a
 *     checkpoint, which holds all of memory, the log buffer included.
 */
#include "fs_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

static void rec_end(struct pfs *fs, struct fs_rec *r)
{
    int rc = fs_rec_end(r);
    if (rc < 0 && !fs->fatal)
        fs->fatal = rc; /* memory and log would disagree: stop changing anything */
}

static void put_ts(struct fs_rec *r, struct timespec t)
{
    fs_rec_u64(r, (uint64_t)(int64_t)t.tv_sec);
    fs_rec_u32(r, (uint32_t)t.tv_nsec);
}

int fs_encode_inode(struct fs_buf *b, const struct fs_inode *ip)
{
    struct fs_rec r;
    fs_rec_begin(&r, b, FS_REC_INODE);
    fs_rec_u64(&r, ip->ino);
    fs_rec_u32(&r, ip->mode);
    fs_rec_u32(&r, ip->uid);
    fs_rec_u32(&r, ip->gid);
    fs_rec_u32(&r, ip->flags);
    fs_rec_u32(&r, ip->nlink);
    fs_rec_u64(&r, ip->rdev);
    fs_rec_u64(&r, ip->size);
    put_ts(&r, ip->atime);
    put_ts(&r, ip->mtime);
    put_ts(&r, ip->ctime);
    fs_rec_bytes(&r, ip->digest, PFS_FIXITY_BYTES);
    fs_rec_u32(&r, ip->payload_len);
    fs_rec_bytes(&r, ip->payload, ip->payload_len);
    return fs_rec_end(&r);
}

static void dirty_unlink(struct pfs *fs, struct fs_inode *ip)
{
    if (!ip->attr_dirty)
        return;
    if (ip->dprev)
        ip->dprev->dnext = ip->dnext;
    else
        fs->dirty_head = ip->dnext;
    if (ip->dnext)
        ip->dnext->dprev = ip->dprev;
    ip->dnext = ip->dprev = NULL;
    ip->attr_dirty = false;
}

void fs_dirty_clear(struct pfs *fs)
{
    while (fs->dirty_head)
        dirty_unlink(fs, fs->dirty_head);
    fs->dirty_est = 0;
}

void fs_log_inode(struct pfs *fs, struct fs_inode *ip)
{
    int rc = fs_encode_inode(&fs->logbuf, ip);
    if (rc < 0 && !fs->fatal)
        fs->fatal = rc;
    dirty_unlink(fs, ip);
}

void fs_mark_dirty(struct pfs *fs, struct fs_inode *ip)
{
    if (ip->attr_dirty)
        return;
    ip->attr_dirty = true;
    ip->dprev = NULL;
    ip->dnext = fs->dirty_head;
    if (fs->dirty_head)
        fs->dirty_head->dprev = ip;
    fs->dirty_head = ip;
    /* bound of what its R_INODE will weigh at commit (inline data may still grow) */
    fs->dirty_est += 128u + ((ip->flags & FS_I_INLINE) ? FS_INLINE_MAX : ip->payload_len);
}

void fs_log_free(struct pfs *fs, uint64_t ino)
{
    struct fs_rec r;
    fs_rec_begin(&r, &fs->logbuf, FS_REC_FREE);
    fs_rec_u64(&r, ino);
    rec_end(fs, &r);
}

void fs_log_dirent_add(struct pfs *fs, uint64_t dir, const char *name, size_t len,
                       uint64_t ino)
{
    struct fs_rec r;
    fs_rec_begin(&r, &fs->logbuf, FS_REC_DIRENT_ADD);
    fs_rec_u64(&r, dir);
    fs_rec_u64(&r, ino);
    fs_rec_u16(&r, (uint16_t)len);
    fs_rec_bytes(&r, name, len);
    rec_end(fs, &r);
}

void fs_log_dirent_del(struct pfs *fs, uint64_t dir, const char *name, size_t len)
{
    struct fs_rec r;
    fs_rec_begin(&r, &fs->logbuf, FS_REC_DIRENT_DEL);
    fs_rec_u64(&r, dir);
    fs_rec_u16(&r, (uint16_t)len);
    fs_rec_bytes(&r, name, len);
    rec_end(fs, &r);
}

void fs_log_extent(struct pfs *fs, uint64_t ino, uint64_t idx, uint64_t lcn)
{
    struct fs_rec r;
    fs_rec_begin(&r, &fs->logbuf, FS_REC_EXTENT);
    fs_rec_u64(&r, ino);
    fs_rec_u64(&r, idx);
    fs_rec_u64(&r, lcn);
    rec_end(fs, &r);
}

void fs_log_trunc(struct pfs *fs, uint64_t ino, uint64_t from_idx)
{
    struct fs_rec r;
    fs_rec_begin(&r, &fs->logbuf, FS_REC_TRUNC);
    fs_rec_u64(&r, ino);
    fs_rec_u64(&r, from_idx);
    rec_end(fs, &r);
}

void fs_log_xattr_set(struct pfs *fs, uint64_t ino, const struct fs_xattr *x)
{
    struct fs_rec r;
    size_t nl = strlen(x->name);
    fs_rec_begin(&r, &fs->logbuf, FS_REC_XATTR_SET);
    fs_rec_u64(&r, ino);
    fs_rec_u16(&r, (uint16_t)nl);
    fs_rec_u32(&r, x->size);
    fs_rec_bytes(&r, x->name, nl);
    fs_rec_bytes(&r, x->value, x->size);
    rec_end(fs, &r);
}

void fs_log_xattr_del(struct pfs *fs, uint64_t ino, const char *name)
{
    struct fs_rec r;
    size_t nl = strlen(name);
    fs_rec_begin(&r, &fs->logbuf, FS_REC_XATTR_DEL);
    fs_rec_u64(&r, ino);
    fs_rec_u16(&r, (uint16_t)nl);
    fs_rec_bytes(&r, name, nl);
    rec_end(fs, &r);
}

/* ---- metadata cluster I/O ----------------------------------------------------------- */

int fs_meta_track(struct pfs *fs, uint64_t lcn)
{
    if (fs->nmeta == fs->meta_cap) {
        size_t cap = fs->meta_cap ? fs->meta_cap * 2 : 64;
        uint64_t *p = realloc(fs->meta_lcns, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        fs->meta_lcns = p;
        fs->meta_cap = cap;
    }
    fs->meta_lcns[fs->nmeta++] = lcn;
    return 0;
}

int fs_meta_pair(struct pfs *fs, uint64_t *a, uint64_t *b)
{
    int rc = fs_alloc_take(fs, FS_META, -1, a);
    if (rc < 0)
        return rc;
    rc = fs_alloc_take(fs, FS_META, (int)fs_lcn_layer(fs, *a), b);
    if (rc < 0)
        return rc;
    if ((rc = fs_meta_track(fs, *a)) < 0 || (rc = fs_meta_track(fs, *b)) < 0)
        return rc;
    return 0;
}

int fs_meta_write(struct pfs *fs, uint64_t a, uint64_t b, const uint8_t *buf, bool both)
{
    int good = 0, err = -EIO;
    uint64_t l[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        struct sector_write_report rep;
        int rc = sector_write(fs->dev, l[i], buf, &rep);
        fs_wear_note(fs, l[i], rep.medium.cycles);
        if (rc == 0) {
            good++;
        } else {
            err = rc;
            fs_report(fs, rc, "", l[i], "metadata cluster copy could not be written");
        }
    }
    return good == 2 || (good && !both) ? 0 : err;
}

/* ---- commit ---------------------------------------------------------------------- */

bool fs_needs_commit(const struct pfs *fs)
{
    return fs->logbuf.len || fs->dirty_head || fs->dirty_clusters || fs->data_unsynced;
}

int fs_commit_maybe(struct pfs *fs)
{
    /* The operation that got here is done in memory; a failed commit is the next
     * fsync's error (and fs->fatal's), not this operation's. */
    if (fs->logbuf.len + fs->dirty_est >= FS_COMMIT_BYTES ||
        fs->dirty_clusters >= FS_DIRTY_MAX(fs->opt.cache_clusters)) {
        int rc = fs_commit(fs);
        if (rc < 0)
            fs_report(fs, rc, "", 0, "early commit failed");
    }
    return 0;
}

/* Write fs->logbuf as log clusters (protocol 3). */
static int write_log(struct pfs *fs)
{
    size_t off = 0, len = fs->logbuf.len;
    while (off < len) {
        size_t n = len - off < FS_PAYLOAD ? len - off : FS_PAYLOAD;
        uint64_t na, nb;
        int rc = fs_meta_pair(fs, &na, &nb);
        if (rc < 0)
            return rc;
        struct fs_chdr h = {
            .kind = FS_CHDR_LOG,
            .flags = off + n == len ? FS_CHDR_END : 0,
            .gen = fs->gen,
            .seq = fs->log_seq,
            .next_a = na,
            .next_b = nb,
            .payload_len = (uint32_t)n,
        };
        memcpy(h.uuid, fs->uuid, 16);
        fs_chdr_encode(&h, fs->logbuf.p + off, fs->iobuf);
        rc = fs_meta_write(fs, fs->log_a, fs->log_b, fs->iobuf, true);
        if (rc < 0)
            return rc;
        fs->log_a = na;
        fs->log_b = nb;
        fs->log_seq++;
        fs->log_clusters++;
        off += n;
    }
    return 0;
}

int fs_commit(struct pfs *fs)
{
    int rc;
    if (fs->read_only)
        return 0;
    if (fs->fatal)
        return fs->fatal;
    rc = fs_flush_data(fs, NULL);
    if (rc < 0)
        return rc;
    while (fs->dirty_head) {
        struct fs_inode *ip = fs->dirty_head;
        fs_log_inode(fs, ip);
    }
    fs->dirty_est = 0;
    if (fs->fatal)
        return fs->fatal;
    if (fs->data_unsynced || fs->logbuf.len) {
        rc = sector_sync(fs->dev);
        if (rc < 0)
            return rc;
        fs->data_unsynced = false;
    }
    if (fs->logbuf.len) {
        bool too_long = fs->logbuf.len > (size_t)FS_COMMIT_MAX_CLUSTERS * FS_PAYLOAD;
        rc = too_long ? -EFBIG : write_log(fs); /* rule 7 */
        if (rc == 0)
            rc = sector_sync(fs->dev);
        if (rc < 0) {
            if (!too_long)
                fs_report(fs, rc, "", 0, "log write failed; writing a checkpoint instead");
            rc = fs_checkpoint(fs); /* it holds all of memory, the log buffer included */
            if (rc < 0)
                fs->fatal = rc == -ENOSPC ? -ENOSPC : -EIO;
            return rc;
        }
        fs->logbuf.len = 0;
        fs->st.commits++;
    }
    fs->commits_done++;
    fs_alloc_release(fs, false);
    if (fs->log_clusters >= fs->log_limit) {
        /* the commit is durable whatever happens here; a failed checkpoint leaves the
         * old chain in force and is tried again after the next commit */
        rc = fs_checkpoint(fs);
        if (rc < 0)
            fs_report(fs, rc, "", 0, "checkpoint failed; the log goes on");
    }
    return 0;
}
