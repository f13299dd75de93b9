/*
 * log.c — the metadata log (DESIGN.md "src/fs": append-only checksummed log): record
 * emission as operations change the in-memory model, the commit that makes them
 * durable, and the replay that brings them back at mount. The record format and the
 * chain layout are format.c's; checkpoints are checkpoint.c's.
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
 * (7) A copy of a log cluster that reads blank, stale (another generation or sequence)
 *     or foreign (no log magic) is a write that never landed: (3) makes both copies
 *     durable, bytes and the medium's table entries, before a commit counts, and damage
 *     makes a copy unreadable or fail its CRC, never blank or stale. Such a pair ends the
 *     log even when its other copy is good: that commit was cut by a power failure
 *     before its sync returned, so dropping it is (4), and keeping it would leave a
 *     commit with one copy in the chain, which fsck would have to call damage. Mount and
 *     fsck (check.c judge_pair) apply the same rule; (6) makes it safe for writers.
 */
#include "fs_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Longest commit replay accepts: 16 MiB of records, 64x the early-commit size. */
#define REPLAY_COMMIT_MAX_CLUSTERS 256u
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

int fs_meta_read(struct pfs *fs, uint64_t a, uint64_t b, uint32_t kind, uint8_t *buf,
                 struct fs_chdr *h)
{
    uint64_t l[2] = {a, b};
    int rc = -ENODATA;
    for (int i = 0; i < 2; i++) {
        struct sector_read_report rep;
        if (l[i] >= fs->total_lcns)
            continue;
        int r = sector_read(fs->dev, l[i], buf, &rep);
        if (r < 0) {
            rc = -EBADMSG;
            fs_report(fs, r, "", l[i], "metadata cluster copy unreadable; trying the other");
            continue;
        }
        if (rep.blank)
            continue;
        r = fs_chdr_decode(buf, h);
        if (r < 0) {
            rc = r == -EPROTO ? r : -EBADMSG;
            if (kind == FS_CHDR_CKPT)
                fs_report(fs, rc, "", l[i], "checkpoint cluster copy corrupt");
            continue;
        }
        if (h->kind != kind || memcmp(h->uuid, fs->uuid, 16) != 0 || h->gen != fs->gen) {
            rc = rc == -ENODATA ? -ESTALE : rc;
            continue;
        }
        return 0;
    }
    return rc;
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
        rc = write_log(fs);
        if (rc == 0)
            rc = sector_sync(fs->dev);
        if (rc < 0) {
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

/* ---- replay ---------------------------------------------------------------------- */

enum { LOG_COPY_GOOD, LOG_COPY_UNWRITTEN, LOG_COPY_DAMAGED };

/* Read and judge one copy of log cluster seq (rule 7). */
static int log_copy_read(struct pfs *fs, uint64_t lcn, uint64_t seq, uint8_t *buf,
                         struct fs_chdr *h)
{
    struct sector_read_report rep;
    if (lcn >= fs->total_lcns)
        return LOG_COPY_DAMAGED;
    int r = sector_read(fs->dev, lcn, buf, &rep);
    if (r < 0) {
        fs_report(fs, r, "", lcn, "metadata cluster copy unreadable; trying the other");
        return LOG_COPY_DAMAGED;
    }
    if (rep.blank)
        return LOG_COPY_UNWRITTEN;
    if (fs_chdr_decode(buf, h) < 0) /* h->kind is set only when the magic matched */
        return h->kind == FS_CHDR_LOG ? LOG_COPY_DAMAGED : LOG_COPY_UNWRITTEN;
    if (h->kind != FS_CHDR_LOG || memcmp(h->uuid, fs->uuid, 16) != 0 || h->gen != fs->gen ||
        h->seq != seq)
        return LOG_COPY_UNWRITTEN;
    return LOG_COPY_GOOD;
}

/* Log cluster seq of pair (a, b) into fs->iobuf and *h; false where the log ends. */
static bool log_pair_read(struct pfs *fs, uint64_t a, uint64_t b, uint64_t seq,
                          struct fs_chdr *h)
{
    struct fs_chdr hb;
    int sa = log_copy_read(fs, a, seq, fs->iobuf, h);
    if (sa == LOG_COPY_UNWRITTEN)
        return false;
    if (b == a)
        return sa == LOG_COPY_GOOD;
    int sb = log_copy_read(fs, b, seq, fs->iobuf2, &hb);
    if (sb == LOG_COPY_UNWRITTEN)
        return false;
    if (sa == LOG_COPY_GOOD)
        return true;
    if (sb != LOG_COPY_GOOD)
        return false;
    *h = hb;
    memcpy(fs->iobuf, fs->iobuf2, FS_CLUSTER);
    return true;
}

int fs_log_replay(struct pfs *fs, uint64_t a, uint64_t b, uint64_t seq, bool *found)
{
    struct fs_buf commit = {0};
    uint64_t nrec = 0;
    int rc = 0;
    /* pairs of the commit being read: tracked only once the commit is complete */
    uint64_t *pairs = NULL;
    size_t npairs = 0, pcap = 0;

    fs->log_a = a;
    fs->log_b = b;
    fs->log_seq = seq;
    for (;;) {
        struct fs_chdr h;
        if (!log_pair_read(fs, a, b, seq, &h))
            break;
        *found = true;
        if (npairs + 2 > pcap) {
            pcap = pcap ? pcap * 2 : 16;
            uint64_t *p = realloc(pairs, pcap * sizeof *p);
            if (!p) {
                rc = -ENOMEM;
                goto out;
            }
            pairs = p;
        }
        pairs[npairs++] = a;
        pairs[npairs++] = b;
        if ((rc = fs_buf_put(&commit, fs->iobuf + FS_CHDR_BYTES, h.payload_len)) < 0)
            goto out;
        seq++;
        a = h.next_a;
        b = h.next_b;
        if (h.flags & FS_CHDR_END) {
            rc = fs_apply_stream(fs, commit.p, commit.len, &nrec);
            if (rc < 0)
                goto out;
            commit.len = 0;
            for (size_t i = 0; i < npairs; i++) {
                if ((rc = fs_alloc_mark(fs, pairs[i])) < 0 ||
                    (rc = fs_meta_track(fs, pairs[i])) < 0)
                    goto out;
            }
            fs->log_clusters += (uint32_t)(npairs / 2);
            npairs = 0;
            fs->log_a = a;
            fs->log_b = b;
            fs->log_seq = seq;
        }
        /* A commit we write is at most FS_COMMIT_BYTES plus one operation's records (a few
         * clusters); a longer one was not written by us, and buffering it would let a
         * crafted image make mount allocate as much as the medium holds. */
        if (seq - fs->log_seq > REPLAY_COMMIT_MAX_CLUSTERS) {
            rc = -EUCLEAN;
            goto out;
        }
    }
    /* where the next commit goes: referenced by the last complete cluster */
    if ((rc = fs_alloc_mark(fs, fs->log_a)) < 0 || (rc = fs_meta_track(fs, fs->log_a)) < 0)
        goto out;
    if (fs->log_b != fs->log_a &&
        ((rc = fs_alloc_mark(fs, fs->log_b)) < 0 || (rc = fs_meta_track(fs, fs->log_b)) < 0))
        goto out;
    fs->st.log_records_replayed += nrec;
out:
    free(pairs);
    fs_buf_free(&commit);
    return rc;
}
