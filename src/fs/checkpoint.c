/*
 * checkpoint.c — full checkpoints and anchors (DESIGN.md "src/fs": periodic full
 * checkpoints, anchors rotated over fixed slots on both layers), and the mount-time
 * load that finds the newest good anchor, reads its checkpoint (either copy of each
 * cluster), replays the log after it and rebuilds the free map. The cluster and
 * record formats are format.c's invariants; the log is log.c's.
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

static void model_reset(struct pfs *fs)
{
    struct fs_itable *t = &fs->itab;
    for (size_t i = 0; t->slots && i < t->nslots; i++) {
        struct fs_inode *ip = t->slots[i];
        if (ip && ip->ino)
            fs_inode_destroy(fs, ip);
    }
    fs_itable_free(t);
    fs_alloc_free(&fs->al);
    free(fs->meta_lcns);
    fs->meta_lcns = NULL;
    fs->nmeta = fs->meta_cap = 0;
    fs->meta_bytes = 0;
    fs->data_clusters = 0;
    fs->next_ino = PFS_ROOT_INO + 1;
    fs->log_clusters = 0;
    fs->st.log_records_replayed = 0;
}

/* Read the checkpoint chain of anchor a into b (fs->gen set to a->generation). */
static int read_checkpoint(struct pfs *fs, const struct fs_anchor *a, struct fs_buf *b)
{
    uint64_t ca = a->ckpt_a, cb = a->ckpt_b;
    int rc;
    for (uint32_t i = 0; i < a->ckpt_clusters; i++) {
        struct fs_chdr h;
        rc = fs_meta_read(fs, ca, cb, FS_CHDR_CKPT, fs->iobuf, &h);
        if (rc < 0)
            return rc == -EPROTO ? rc : -EBADMSG;
        if (h.seq != i || ((i + 1 == a->ckpt_clusters) != (h.next_a == FS_LCN_NONE)))
            return -EUCLEAN;
        if ((rc = fs_alloc_mark(fs, ca)) < 0 || (rc = fs_meta_track(fs, ca)) < 0)
            return rc;
        if (cb != ca && ((rc = fs_alloc_mark(fs, cb)) < 0 || (rc = fs_meta_track(fs, cb)) < 0))
            return rc;
        if ((rc = fs_buf_put(b, fs->iobuf + FS_CHDR_BYTES, h.payload_len)) < 0)
            return rc;
        ca = h.next_a;
        cb = h.next_b;
    }
    return b->len == a->ckpt_bytes ? 0 : -EUCLEAN;
}

static int apply_checkpoint(struct pfs *fs, const struct fs_buf *b)
{
    const uint8_t *p = b->p;
    size_t len = b->len, off = 0;
    uint64_t nrec = 0, want_inodes = 0;
    int rc;

    while (off < len) {
        if (len - off < FS_REC_HDR)
            return -EUCLEAN;
        uint16_t type = util_le16_get(p + off);
        uint32_t blen = util_le32_get(p + off + 4);
        if (blen > len - off - FS_REC_HDR)
            return -EUCLEAN;
        struct fs_cur c = {p + off + FS_REC_HDR, blen, 0, false};
        off += FS_REC_HDR + blen;
        if (nrec == 0) {
            if (type != FS_REC_CKPT_HEAD)
                return -EUCLEAN;
            uint64_t next = fs_cur_u64(&c);
            want_inodes = fs_cur_u64(&c);
            if (c.bad || next <= PFS_ROOT_INO)
                return -EUCLEAN;
            fs->next_ino = next;
        } else if (type == FS_REC_CKPT_END) {
            uint64_t count = fs_cur_u64(&c);
            if (c.bad || count != nrec + 1 || off != len || fs->itab.count != want_inodes)
                return -EUCLEAN;
            return 0;
        } else if ((rc = fs_apply_record(fs, type, &c)) < 0) {
            return rc;
        }
        nrec++;
    }
    return -EUCLEAN; /* no CKPT_END */
}

static int load_from(struct pfs *fs, const struct fs_anchor *a, bool *replayed)
{
    struct fs_buf b = {0};
    int rc;

    model_reset(fs);
    if ((rc = fs_itable_init(&fs->itab)) < 0 || (rc = fs_alloc_init(fs)) < 0)
        goto out;
    fs->gen = a->generation;
    if ((rc = read_checkpoint(fs, a, &b)) < 0)
        goto out;
    if ((rc = apply_checkpoint(fs, &b)) < 0)
        goto out;
    fs->ckpt_clusters = a->ckpt_clusters;
    fs->log_limit = compute_log_limit(fs, a->ckpt_clusters);
    if ((rc = fs_log_replay(fs, a->log_a, a->log_b, a->log_seq, replayed)) < 0)
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
    struct fs_anchor cand[FS_ANCHORS];
    unsigned cand_slot[FS_ANCHORS];
    unsigned ncand = 0, ours = 0;
    int proto = 0;

    *replayed = false;
    for (unsigned s = 0; s < FS_ANCHORS; s++) {
        struct sector_read_report rep;
        int rc = sector_read(fs->dev, fs_anchor_lcn(fs, s), fs->iobuf, &rep);
        if (rc < 0) {
            ours++; /* unreadable: may have been ours */
            fs_report(fs, rc, "", fs_anchor_lcn(fs, s), "anchor slot unreadable");
            continue;
        }
        if (rep.blank)
            continue;
        struct fs_anchor a;
        rc = fs_anchor_decode(fs->iobuf, &a);
        if (rc == -EPROTO)
            proto = rc;
        if (rc < 0) {
            if (memcmp(fs->iobuf, "PHASEFSA", 8) == 0)
                ours++;
            continue;
        }
        cand_slot[ncand] = s;
        cand[ncand++] = a;
    }
    if (ncand == 0)
        return proto ? proto : ours ? -EBADMSG : -EUCLEAN;
    /* newest first */
    for (unsigned i = 1; i < ncand; i++)
        for (unsigned j = i; j > 0 && cand[j].generation > cand[j - 1].generation; j--) {
            struct fs_anchor t = cand[j];
            cand[j] = cand[j - 1];
            cand[j - 1] = t;
            unsigned ts = cand_slot[j];
            cand_slot[j] = cand_slot[j - 1];
            cand_slot[j - 1] = ts;
        }
    int first = 0;
    for (unsigned i = 0; i < ncand; i++) {
        const struct fs_anchor *a = &cand[i];
        if (i > 0 && a->generation == cand[i - 1].generation &&
            memcmp(a->uuid, cand[i - 1].uuid, 16) == 0)
            continue; /* the same anchor in several slots (mkfs) */
        if (a->total_lcns != fs->total_lcns) {
            if (!first)
                first = -EUCLEAN;
            continue;
        }
        if (i > 0 && !fs->read_only) {
            /* The newest state is unreadable on both copies. An older tree may name data
             * clusters that have been reused since, so writing on top of it could make
             * wrong contents permanent: refuse, and let a read-only mount rescue it. */
            fs_report(fs, -EBADMSG, "", 0,
                      "newest checkpoint unreadable on both layers; mount read-only to "
                      "rescue the older tree (check files against their fixity digests)");
            return -EBADMSG;
        }
        memcpy(fs->uuid, a->uuid, 16);
        memcpy(fs->label, a->label, PFS_LABEL_MAX);
        int rc = load_from(fs, a, replayed);
        if (rc == 0) {
            fs->anchor_gen = a->generation;
            fs->anchor_slot = cand_slot[i];
            if (i > 0) {
                /* Read-only rescue of the older tree (a read-write mount was refused
                 * above): its data clusters may since have been reused, so fixity
                 * digests are the judge. */
                *replayed = true;
                fs->gen = cand[0].generation;
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
