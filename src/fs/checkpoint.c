/*
 * checkpoint.c — full checkpoints and anchors (DESIGN.md "src/fs": periodic full
 * checkpoints, anchors rotated over fixed slots on both layers), and the mount-time
 * load: the newest anchor of the filesystem, its checkpoint and the log after it, read
 * and applied by chain.c's walker in its strict mode (the one fsck runs tolerantly),
 * then the free map rebuilt. The cluster and record formats are format.c's
 * invariants; the log is log.c's.
 *
 * Checkpoint protocol (caller holds fs->lock):
 * (1) Dirty data is written and synced first; the whole in-memory model is then
 *     encoded as one record stream (inodes first, so every later record finds its
 *     inode) and written as a chain of fresh cluster pairs of generation gen + 1,
 *     plus a fresh pair for the new log head; sector_sync.
 * (2) Only then the anchor of generation gen + 1 is written to slot (gen + 1) mod 8
 *     (never over the slot of the anchor in force) and synced. The new state is now
 *     the durable one: the previous checkpoint, the old log chain and every deferred
 *     free are released.
 * (3) A crash before (2) completes leaves the old anchor in force, whose checkpoint
 *     and log were not touched: the new clusters were free ones.
 */
#include "fs_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- encoding ---------------------------------------------------------------------- */

/* Every inode goes into a checkpoint, orphans (unlinked while still open) included: the
 * log after the checkpoint may still carry their EXTENT, XATTR and FREE records, and replay
 * must find the inode they name. Mount frees orphans left without a name
 * (fs_meta_finish), so saving them costs nothing after a crash. */
static bool live(const struct fs_inode *ip)
{
    return ip != NULL;
}

int fs_serialize(struct pfs *fs, struct fs_buf *b)
{
    struct fs_itable *t = &fs->itab;
    struct fs_rec r;
    uint64_t nrec = 0, ninodes = 0;
    int rc;

    for (size_t i = 0; i < t->nslots; i++)
        if (t->slots[i] && t->slots[i]->ino && live(t->slots[i]))
            ninodes++;
    fs_rec_begin(&r, b, FS_REC_CKPT_HEAD);
    fs_rec_u64(&r, fs->next_ino);
    fs_rec_u64(&r, ninodes);
    if ((rc = fs_rec_end(&r)) < 0)
        return rc;
    nrec++;
    /* pass 0: inodes; pass 1: directory entries, extents, xattrs */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < t->nslots; i++) {
            struct fs_inode *ip = t->slots[i];
            if (!ip || !ip->ino || !live(ip))
                continue;
            if (pass == 0) {
                if ((rc = fs_encode_inode(b, ip)) < 0)
                    return rc;
                nrec++;
                continue;
            }
            for (size_t k = 0; ip->dir && k < ip->dir->n; k++) {
                const struct fs_dirent *de = &ip->dir->ents[k];
                if (!de->ino)
                    continue;
                fs_rec_begin(&r, b, FS_REC_DIRENT_ADD);
                fs_rec_u64(&r, ip->ino);
                fs_rec_u64(&r, de->ino);
                fs_rec_u16(&r, de->namelen);
                fs_rec_bytes(&r, de->name, de->namelen);
                if ((rc = fs_rec_end(&r)) < 0)
                    return rc;
                nrec++;
            }
            for (size_t k = 0; k < ip->next; k++) {
                fs_rec_begin(&r, b, FS_REC_EXTENT);
                fs_rec_u64(&r, ip->ino);
                fs_rec_u64(&r, ip->ext[k].idx);
                fs_rec_u64(&r, ip->ext[k].lcn);
                if ((rc = fs_rec_end(&r)) < 0)
                    return rc;
                nrec++;
            }
            for (size_t k = 0; k < ip->nxa; k++) {
                size_t nl = strlen(ip->xa[k].name);
                fs_rec_begin(&r, b, FS_REC_XATTR_SET);
                fs_rec_u64(&r, ip->ino);
                fs_rec_u16(&r, (uint16_t)nl);
                fs_rec_u32(&r, ip->xa[k].size);
                fs_rec_bytes(&r, ip->xa[k].name, nl);
                fs_rec_bytes(&r, ip->xa[k].value, ip->xa[k].size);
                if ((rc = fs_rec_end(&r)) < 0)
                    return rc;
                nrec++;
            }
        }
    }
    fs_rec_begin(&r, b, FS_REC_CKPT_END);
    fs_rec_u64(&r, nrec + 1);
    return fs_rec_end(&r);
}

static uint32_t compute_log_limit(const struct pfs *fs, uint32_t ckpt_clusters)
{
    uint64_t l = ckpt_clusters > 64 ? ckpt_clusters : 64;
    if (l > fs->total_lcns / 32)
        l = fs->total_lcns / 32;
    return l < 8 ? 8 : (uint32_t)l;
}

static int write_anchor(struct pfs *fs, const struct fs_anchor *a, unsigned slot)
{
    fs_anchor_encode(a, fs->iobuf);
    uint64_t lcn = fs_anchor_lcn(fs, slot);
    struct sector_write_report rep;
    int rc = sector_write(fs->dev, lcn, fs->iobuf, &rep);
    fs_wear_note(fs, lcn, rep.medium.cycles);
    return rc;
}

int fs_checkpoint(struct pfs *fs)
{
    struct fs_buf b = {0};
    uint64_t *old = fs->meta_lcns, *pairs = NULL;
    size_t nold = fs->nmeta;
    bool swapped = false;
    int rc;

    if (fs->read_only)
        return 0;
    if ((rc = fs_flush_data(fs, NULL)) < 0)
        return rc;
    if ((rc = fs_serialize(fs, &b)) < 0)
        goto out_nolist;
    size_t n = (b.len + FS_PAYLOAD - 1) / FS_PAYLOAD;
    pairs = malloc((n + 1) * 2 * sizeof *pairs);
    if (!pairs) {
        rc = -ENOMEM;
        goto out_nolist;
    }
    fs->meta_lcns = NULL;
    fs->nmeta = fs->meta_cap = 0;
    swapped = true;
    for (size_t i = 0; i <= n; i++)
        if ((rc = fs_meta_pair(fs, &pairs[2 * i], &pairs[2 * i + 1])) < 0)
            goto out;
    if (fs->data_unsynced && (rc = sector_sync(fs->dev)) < 0)
        goto out;
    fs->data_unsynced = false;
    uint64_t gen = fs->gen + 1;
    for (size_t i = 0; i < n; i++) {
        size_t off = i * FS_PAYLOAD;
        size_t len = b.len - off < FS_PAYLOAD ? b.len - off : FS_PAYLOAD;
        struct fs_chdr h = {
            .kind = FS_CHDR_CKPT,
            .gen = gen,
            .seq = i,
            .next_a = i + 1 < n ? pairs[2 * i + 2] : FS_LCN_NONE,
            .next_b = i + 1 < n ? pairs[2 * i + 3] : FS_LCN_NONE,
            .payload_len = (uint32_t)len,
        };
        memcpy(h.uuid, fs->uuid, 16);
        fs_chdr_encode(&h, b.p + off, fs->iobuf);
        if ((rc = fs_meta_write(fs, pairs[2 * i], pairs[2 * i + 1], fs->iobuf, false)) < 0)
            goto out;
    }
    if ((rc = sector_sync(fs->dev)) < 0)
        goto out;
    struct fs_anchor a;
    memset(&a, 0, sizeof a);
    memcpy(a.uuid, fs->uuid, 16);
    a.generation = gen;
    a.ckpt_a = pairs[0];
    a.ckpt_b = pairs[1];
    a.ckpt_clusters = (uint32_t)n;
    a.ckpt_bytes = b.len;
    a.log_a = pairs[2 * n];
    a.log_b = pairs[2 * n + 1];
    a.log_seq = fs->log_seq;
    a.total_lcns = fs->total_lcns;
    memcpy(a.label, fs->label, PFS_LABEL_MAX);
    rc = -EIO;
    unsigned written_slot = 0;
    for (unsigned k = 0; k < FS_ANCHORS && rc < 0; k++) {
        unsigned slot = (unsigned)((gen + k) % FS_ANCHORS);
        if (fs->anchor_gen && slot == fs->anchor_slot)
            continue; /* never over the anchor in force */
        rc = write_anchor(fs, &a, slot);
        if (rc == 0)
            written_slot = slot;
        if (rc < 0)
            fs_report(fs, rc, "", fs_anchor_lcn(fs, slot), "anchor slot could not be written");
    }
    if (rc < 0)
        goto out;
    if ((rc = sector_sync(fs->dev)) < 0) {
        /* The new anchor may be on the medium already and names this attempt's clusters:
         * they must never be reused. Keep them, leave the old ones allocated too, and stop
         * changing the filesystem (the next mount picks whichever anchor is intact). */
        fs->fatal = rc;
        swapped = false;
        free(old);
        goto out;
    }
    /* (2): the new checkpoint is in force */
    for (size_t i = 0; i < nold; i++)
        fs_alloc_put(fs, old[i]);
    free(old);
    swapped = false;
    fs->gen = fs->anchor_gen = gen;
    fs->anchor_slot = written_slot;
    fs->log_a = a.log_a;
    fs->log_b = a.log_b;
    fs->log_clusters = 0;
    fs->ckpt_clusters = (uint32_t)n;
    fs->log_limit = compute_log_limit(fs, (uint32_t)n);
    fs->logbuf.len = 0;
    fs_dirty_clear(fs);
    fs->meta_bytes = b.len;
    fs->commits_done++;
    fs_alloc_release(fs, true);
    fs->st.checkpoints++;
    rc = 0;
out:
    if (swapped) {
        /* failed: give back what this attempt took, keep the old chain in force */
        for (size_t i = 0; i < fs->nmeta; i++)
            fs_alloc_put(fs, fs->meta_lcns[i]);
        free(fs->meta_lcns);
        fs->meta_lcns = old;
        fs->nmeta = fs->meta_cap = nold;
    }
out_nolist:
    free(pairs);
    fs_buf_free(&b);
    return rc;
}

/* ---- loading ---------------------------------------------------------------------- */

/* The mount's side of the walker (chain.c): strict, every pair it keeps is allocated. */
static int mount_pair(struct fs_walk *w, uint32_t kind, uint64_t seq, uint64_t a, uint64_t b)
{
    struct pfs *fs = w->fs;
    int rc;
    (void)kind;
    (void)seq;
    if ((rc = fs_alloc_mark(fs, a)) < 0 || (rc = fs_meta_track(fs, a)) < 0)
        return rc;
    if (b != a && ((rc = fs_alloc_mark(fs, b)) < 0 || (rc = fs_meta_track(fs, b)) < 0))
        return rc;
    return 0;
}

static void mount_note(struct fs_walk *w, const struct fs_walk_note *n)
{
    if (n->ev == FS_WALK_LOG_LOST && w->fs->read_only)
        fs_report(w->fs, -EBADMSG, "", n->a,
                  "log cluster lost on both copies; mounted read-only with the log cut "
                  "before it (fsck.phasefs -y cuts it for good)");
}

static int load_from(struct pfs *fs, const struct fs_anchor *a, bool *replayed)
{
    struct fs_buf b = {0};
    struct fs_walk w = {.fs = fs, .note = mount_note, .pair = mount_pair};
    uint64_t nrec;
    int rc;

    fs_model_reset(fs);
    if ((rc = fs_itable_init(&fs->itab)) < 0 || (rc = fs_alloc_init(fs)) < 0)
        goto out;
    fs->gen = a->generation;
    if ((rc = fs_walk_checkpoint(&w, a, &b)) < 0)
        goto out;
    if ((rc = fs_walk_stream(&w, b.p, b.len, true, 0, &nrec)) < 0)
        goto out;
    fs->ckpt_clusters = a->ckpt_clusters;
    fs->log_limit = compute_log_limit(fs, a->ckpt_clusters);
    if ((rc = fs_walk_log(&w, a->log_a, a->log_b, a->log_seq)) < 0)
        goto out;
    *replayed = w.found;
    fs->st.log_records_replayed = w.log_records;
    fs->log_a = w.log_a;
    fs->log_b = w.log_b;
    fs->log_seq = w.log_seq;
    fs->log_clusters = w.log_clusters;
    /* where the next commit goes: named by the last complete cluster */
    if ((rc = mount_pair(&w, FS_CHDR_LOG, w.log_seq, w.log_a, w.log_b)) < 0)
        goto out;
    if ((rc = fs_meta_finish(fs)) < 0)
        goto out;
    if (rc > 0)
        *replayed = true;
    rc = fs_alloc_build(fs);
out:
    fs_buf_free(&b);
    return rc;
}

int fs_load(struct pfs *fs, bool *replayed)
{
    struct fs_anchors set;
    int rc;

    *replayed = false;
    if ((rc = fs_anchors_read(fs, &set)) < 0)
        return rc;
    if (set.norder == 0) {
        bool proto = false, ours = false;
        for (unsigned s = 0; s < FS_ANCHORS; s++) {
            proto |= set.proto[s];
            ours |= set.state[s] == FS_COPY_CORRUPT || set.state[s] == FS_COPY_UNREADABLE ||
                    set.state[s] == FS_COPY_RANGE;
        }
        return proto ? -EPROTO : ours ? -EBADMSG : -EUCLEAN;
    }
    memcpy(fs->uuid, set.uuid, 16);
    int first = 0;
    for (unsigned i = 0; i < set.norder; i++) {
        const struct fs_anchor *a = &set.a[set.order[i]];
        if (i > 0 && !fs->read_only) {
            /* The newest state does not load. An older tree may name data clusters that
             * have been reused since, so writing on top of it could make wrong contents
             * permanent: refuse, and let a read-only mount rescue it. */
            fs_report(fs, first, "", 0,
                      first == -EBADMSG
                          ? "newest checkpoint or log unreadable on both layers; mount "
                            "read-only to rescue the older tree (check files against "
                            "their fixity digests)"
                          : "newest metadata inconsistent; run fsck.phasefs (a read-only "
                            "mount may rescue an older tree)");
            return first;
        }
        memcpy(fs->label, a->label, PFS_LABEL_MAX);
        rc = load_from(fs, a, replayed);
        if (rc == 0) {
            fs->anchor_gen = a->generation;
            fs->anchor_slot = set.order[i];
            if (i > 0) {
                /* Read-only rescue of the older tree (a read-write mount was refused
                 * above): its data clusters may since have been reused, so fixity
                 * digests are the judge. */
                *replayed = true;
                fs->gen = set.a[set.order[0]].generation;
                fs_report(fs, first, "", 0, "newest anchor unusable; mounted an older one");
            }
            return 0;
        }
        if (rc == -ENOMEM)
            return rc;
        if (!first)
            first = rc;
    }
    return first ? first : -EUCLEAN;
}
