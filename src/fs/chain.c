/*
 * chain.c — the one metadata chain walker (DESIGN.md "src/fs": anchor → checkpoint →
 * log, strict for mount and tolerant for fsck, as e2fsprogs shares its journal recovery
 * with the kernel). It reads the anchor slots and decides which anchors are the
 * filesystem's, reads and judges every copy of the checkpoint and log clusters, holds
 * the chain to its limits, and applies whole record streams (fs_apply_record, meta.c)
 * — strictly for checkpoint.c (the mount), record by record for check.c (fsck). It
 * decides no repair and says nothing: what it sees goes to the caller's note callback.
 *
 * Invariants and limits (tests name them "chain (n)"), each from the medium's real
 * geometry or a writer's bound, checked before anything is sized or looped over:
 * (1) An anchor is valid when it decodes (format.c), its total_lcns is the medium's,
 *     every LCN it names lies inside the medium and off the anchor slots, and
 *     ckpt_clusters <= total_lcns - FS_ANCHORS (ckpt_bytes fits those, format.c).
 * (2) The filesystem's UUID is the one most valid anchors carry (a tie goes to the
 *     newest generation): a valid anchor with another UUID, whatever its generation, is
 *     another filesystem's and never used, by mount or fsck.
 * (3) A copy is good when it decodes with the kind, UUID, generation and sequence the
 *     chain expects; a checkpoint cluster must also end the chain exactly at its
 *     anchor's ckpt_clusters. Either good copy may be used.
 * (4) A commit is at most FS_COMMIT_MAX_CLUSTERS clusters: log.c writes a checkpoint
 *     instead of a longer one, so a run that long without END was not written by
 *     phasefs. Strict: -EUCLEAN. Tolerant: the log ends before the run. Memory for a
 *     commit is therefore at most FS_COMMIT_MAX_CLUSTERS payloads.
 * (5) The log after a checkpoint is at most total_lcns - FS_ANCHORS clusters long.
 * (6) The log ends at the first pair with no good copy of which at most one copy is
 *     damaged (CORRUPT or UNREADABLE): a power cut tore the write of an unfinished
 *     commit (copies are written one after the other). Both copies damaged is a lost
 *     pair whose commits may have been acknowledged: strict refuses a read-write mount
 *     (-EBADMSG, "run fsck"); a read-only mount and the tolerant walk end the log there.
 * (7) A log pair with a copy that is blank, stale or foreign ends the log, whatever its
 *     other copy holds: that copy is a write that never landed (a commit counts only
 *     once both copies, bytes and the medium's table entries, are synced, and log.c
 *     requires both copies written), so its commit was cut by a power failure before
 *     its sync returned. Replaying it from the other copy would leave a commit with one
 *     copy that fsck must call damage; strict and tolerant walks read both copies.
 */
#include "fs_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Inside the medium and off the anchor slots (invariant 1). */
static bool meta_lcn_ok(const struct pfs *fs, uint64_t lcn)
{
    if (lcn >= fs->total_lcns)
        return false;
    for (unsigned s = 0; s < FS_ANCHORS; s++)
        if (lcn == fs_anchor_lcn(fs, s))
            return false;
    return true;
}

static bool anchor_in_geometry(const struct pfs *fs, const struct fs_anchor *a)
{
    return meta_lcn_ok(fs, a->ckpt_a) && meta_lcn_ok(fs, a->ckpt_b) &&
           meta_lcn_ok(fs, a->log_a) && meta_lcn_ok(fs, a->log_b) &&
           a->ckpt_clusters <= fs->total_lcns - FS_ANCHORS;
}

int fs_anchors_read(struct pfs *fs, struct fs_anchors *set)
{
    memset(set, 0, sizeof *set);
    for (unsigned s = 0; s < FS_ANCHORS; s++) {
        struct sector_read_report rep;
        uint64_t lcn = fs_anchor_lcn(fs, s);
        int rc = sector_read(fs->dev, lcn, fs->iobuf, &rep);
        if (rc == -ENOMEM)
            return rc;
        if (rc < 0) {
            set->state[s] = FS_COPY_UNREADABLE;
            fs_report(fs, rc, "", lcn, "anchor slot unreadable");
            continue;
        }
        if (rep.blank) {
            set->state[s] = FS_COPY_BLANK;
            continue;
        }
        if (memcmp(fs->iobuf, "PHASEFSA", 8) != 0) {
            set->state[s] = FS_COPY_FOREIGN;
            continue;
        }
        rc = fs_anchor_decode(fs->iobuf, &set->a[s]);
        if (rc < 0) {
            set->state[s] = FS_COPY_CORRUPT;
            set->proto[s] = rc == -EPROTO;
            set->bad_gen[s] = util_le64_get(fs->iobuf + 32);
        } else if (set->a[s].total_lcns != fs->total_lcns) {
            set->state[s] = FS_COPY_STALE;
        } else if (!anchor_in_geometry(fs, &set->a[s])) {
            set->state[s] = FS_COPY_RANGE;
        } else {
            set->state[s] = FS_COPY_OK;
        }
    }
    /* invariant 2: the UUID of the most anchors, a tie to the newest generation */
    int pick = -1;
    unsigned pick_votes = 0;
    uint64_t pick_gen = 0;
    for (unsigned s = 0; s < FS_ANCHORS; s++) {
        if (set->state[s] != FS_COPY_OK)
            continue;
        unsigned votes = 0;
        uint64_t newest = 0;
        for (unsigned t = 0; t < FS_ANCHORS; t++)
            if (set->state[t] == FS_COPY_OK && !memcmp(set->a[t].uuid, set->a[s].uuid, 16)) {
                votes++;
                newest = set->a[t].generation > newest ? set->a[t].generation : newest;
            }
        if (votes > pick_votes || (votes == pick_votes && newest > pick_gen)) {
            pick = (int)s;
            pick_votes = votes;
            pick_gen = newest;
        }
    }
    if (pick < 0)
        return 0;
    memcpy(set->uuid, set->a[pick].uuid, 16);
    for (unsigned s = 0; s < FS_ANCHORS; s++) {
        if (set->state[s] != FS_COPY_OK)
            continue;
        if (memcmp(set->a[s].uuid, set->uuid, 16) != 0) {
            set->state[s] = FS_COPY_STALE;
            continue;
        }
        set->nvalid++;
        bool dup = false;
        for (unsigned i = 0; i < set->norder; i++)
            dup |= set->a[set->order[i]].generation == set->a[s].generation;
        if (dup)
            continue; /* the same anchor in several slots (mkfs) */
        unsigned j = set->norder++;
        for (; j > 0 && set->a[set->order[j - 1]].generation < set->a[s].generation; j--)
            set->order[j] = set->order[j - 1];
        set->order[j] = s;
    }
    return 0;
}

/* Judge one copy for (kind, fs->gen, seq); last >= 0 for a checkpoint cluster (whether
 * it must end the chain). buf gets its content. */
static enum fs_copy copy_read(struct pfs *fs, uint64_t lcn, uint32_t kind, uint64_t seq,
                              int last, uint8_t *buf, struct fs_chdr *h)
{
    struct sector_read_report rep;
    if (!meta_lcn_ok(fs, lcn))
        return FS_COPY_RANGE;
    int rc = sector_read(fs->dev, lcn, buf, &rep);
    if (rc < 0) {
        fs_report(fs, rc, "", lcn, "metadata cluster copy unreadable; trying the other");
        return FS_COPY_UNREADABLE;
    }
    if (rep.blank)
        return FS_COPY_BLANK;
    if (memcmp(buf, kind == FS_CHDR_CKPT ? "PFSC" : "PFSL", 4) != 0)
        return FS_COPY_FOREIGN;
    if (fs_chdr_decode(buf, h) < 0) {
        if (kind == FS_CHDR_CKPT)
            fs_report(fs, -EBADMSG, "", lcn, "checkpoint cluster copy corrupt");
        return FS_COPY_CORRUPT;
    }
    if (h->kind != kind || memcmp(h->uuid, fs->uuid, 16) != 0 || h->gen != fs->gen ||
        h->seq != seq || (last >= 0 && (bool)last != (h->next_a == FS_LCN_NONE)))
        return FS_COPY_STALE;
    return FS_COPY_OK;
}

static bool unlanded(enum fs_copy s)
{
    return s == FS_COPY_BLANK || s == FS_COPY_STALE || s == FS_COPY_FOREIGN;
}

/* Read a pair: 0 or 1, the good copy (content in fs->iobuf and *h), or -1. */
static int pair_read(struct fs_walk *w, uint32_t kind, uint64_t seq, int last, uint64_t a,
                     uint64_t b, struct fs_chdr *h, enum fs_copy st[2])
{
    struct pfs *fs = w->fs;
    struct fs_chdr hb;
    st[0] = copy_read(fs, a, kind, seq, last, fs->iobuf, h);
    st[1] = st[0];
    if (b != a && (st[0] != FS_COPY_OK || w->tolerant || kind == FS_CHDR_LOG))
        st[1] = copy_read(fs, b, kind, seq, last, fs->iobuf2, &hb);
    if (kind == FS_CHDR_LOG && (unlanded(st[0]) || unlanded(st[1])))
        return -1; /* invariant 7 */
    if (st[0] == FS_COPY_OK)
        return 0;
    if (st[1] != FS_COPY_OK)
        return -1;
    *h = hb;
    memcpy(fs->iobuf, fs->iobuf2, FS_CLUSTER);
    return 1;
}

static void note(struct fs_walk *w, const struct fs_walk_note *n)
{
    if (w->note)
        w->note(w, n);
}

static void note_pair(struct fs_walk *w, enum fs_walk_event ev, uint32_t kind, uint64_t seq,
                      uint64_t a, uint64_t b, const enum fs_copy st[2], int which)
{
    struct fs_walk_note n = {.ev = ev, .kind = kind, .seq = seq, .a = a, .b = b,
                             .which = which};
    if (st) {
        n.st[0] = st[0];
        n.st[1] = st[1];
    }
    note(w, &n);
}

/* A checkpoint's framing is wrong (format.c invariant 4): -EUCLEAN unless tolerant. */
static int shape(struct fs_walk *w, const char *why)
{
    struct fs_walk_note n = {.ev = FS_WALK_CKPT_SHAPE, .kind = FS_CHDR_CKPT,
                             .where = "checkpoint", .why = why};
    note(w, &n);
    return w->tolerant ? 0 : -EUCLEAN;
}

int fs_walk_stream(struct fs_walk *w, const uint8_t *p, size_t len, bool ckpt,
                   uint64_t last_seq, uint64_t *nrec)
{
    struct pfs *fs = w->fs;
    char where[64];
    size_t off = 0;
    uint64_t want_inodes = 0;
    bool head = false, ended = false, skipped = false;
    int rc;

    if (ckpt)
        snprintf(where, sizeof where, "checkpoint");
    else
        snprintf(where, sizeof where, "log commit ending at cluster %llu",
                 (unsigned long long)last_seq);
    *nrec = 0;
    while (off < len) {
        struct fs_walk_note n = {.kind = ckpt ? FS_CHDR_CKPT : FS_CHDR_LOG, .where = where};
        if (len - off < FS_REC_HDR) {
            n.ev = FS_WALK_STRAY;
            n.bytes = len - off;
            note(w, &n);
            return w->tolerant ? 0 : -EUCLEAN;
        }
        uint16_t type = util_le16_get(p + off);
        uint32_t blen = util_le32_get(p + off + 4);
        if (blen > len - off - FS_REC_HDR) {
            n.ev = FS_WALK_OVERRUN;
            n.type = type;
            note(w, &n);
            return w->tolerant ? 0 : -EUCLEAN;
        }
        struct fs_cur c = {p + off + FS_REC_HDR, blen, 0, false};
        bool reserved_ok = util_le16_get(p + off + 2) == 0;
        uint64_t ino = blen >= 8 ? util_le64_get(p + off + FS_REC_HDR) : 0;
        off += FS_REC_HDR + blen;
        if (ended && (rc = shape(w, "records follow its end record")) < 0)
            return rc;
        if (ckpt && *nrec == 0 && type != FS_REC_CKPT_HEAD &&
            (rc = shape(w, "it does not start with its head record")) < 0)
            return rc;
        if (ckpt && !head && type == FS_REC_CKPT_HEAD && *nrec == 0) {
            uint64_t next = fs_cur_u64(&c);
            want_inodes = fs_cur_u64(&c);
            head = true;
            (*nrec)++;
            if (c.bad || next <= PFS_ROOT_INO) {
                if ((rc = shape(w, "its head record names no next inode number")) < 0)
                    return rc;
            } else {
                fs->next_ino = next;
            }
            continue;
        }
        if (ckpt && type == FS_REC_CKPT_END && !ended) {
            uint64_t count = fs_cur_u64(&c);
            ended = true;
            (*nrec)++;
            if ((c.bad || count != *nrec || (head && !skipped && fs->itab.count != want_inodes)) &&
                (rc = shape(w, "its end record's counts do not match its records")) < 0)
                return rc;
            continue;
        }
        rc = reserved_ok ? fs_apply_record(fs, type, &c) : -EUCLEAN;
        if (rc == -ENOMEM)
            return rc;
        if (rc < 0) {
            n.ev = FS_WALK_RECORD;
            n.type = type;
            n.ino = ino;
            note(w, &n);
            if (!w->tolerant)
                return rc;
            skipped = true;
        }
        (*nrec)++;
    }
    if (ckpt && !ended)
        return shape(w, "it has no end record");
    return 0;
}

int fs_walk_checkpoint(struct fs_walk *w, const struct fs_anchor *a, struct fs_buf *b)
{
    struct pfs *fs = w->fs;
    uint64_t ca = a->ckpt_a, cb = a->ckpt_b;
    int rc;
    /* ckpt_clusters and ckpt_bytes were held to the geometry (invariant 1) */
    for (uint32_t i = 0; i < a->ckpt_clusters; i++) {
        struct fs_chdr h;
        enum fs_copy st[2];
        int which = pair_read(w, FS_CHDR_CKPT, i, i + 1 == a->ckpt_clusters, ca, cb, &h, st);
        note_pair(w, FS_WALK_PAIR, FS_CHDR_CKPT, i, ca, cb, st, which);
        if (which < 0)
            return -EBADMSG;
        if ((rc = w->pair(w, FS_CHDR_CKPT, i, ca, cb)) < 0 ||
            (rc = fs_buf_put(b, fs->iobuf + FS_CHDR_BYTES, h.payload_len)) < 0)
            return rc;
        ca = h.next_a;
        cb = h.next_b;
    }
    if (b->len != a->ckpt_bytes) {
        note_pair(w, FS_WALK_CKPT_BYTES, FS_CHDR_CKPT, 0, b->len, a->ckpt_bytes, NULL, -1);
        if (!w->tolerant)
            return -EUCLEAN;
    }
    return 0;
}

static bool damaged(enum fs_copy c)
{
    return c == FS_COPY_CORRUPT || c == FS_COPY_UNREADABLE;
}

int fs_walk_log(struct fs_walk *w, uint64_t a, uint64_t b, uint64_t seq)
{
    struct pfs *fs = w->fs;
    struct fs_buf commit = {0};
    /* the pairs of the commit being read: part of the state once it is complete */
    uint64_t *pend = malloc(2 * FS_COMMIT_MAX_CLUSTERS * sizeof *pend);
    size_t npend = 0;
    const uint64_t start = seq, max_log = fs->total_lcns - FS_ANCHORS;
    int rc = 0;

    if (!pend)
        return -ENOMEM;
    w->log_a = a;
    w->log_b = b;
    w->log_seq = seq;
    w->log_clusters = 0;
    w->found = false;
    w->log_records = 0;
    for (;;) {
        struct fs_chdr h;
        enum fs_copy st[2];
        bool too_long = seq - start >= max_log; /* invariant 5 */
        int which = too_long ? -1 : pair_read(w, FS_CHDR_LOG, seq, -1, a, b, &h, st);
        if (too_long || (which >= 0 && !(h.flags & FS_CHDR_END) &&
                         seq - w->log_seq + 1 >= FS_COMMIT_MAX_CLUSTERS)) {
            /* invariant 4 (or 5): not a commit phasefs writes */
            w->found = true;
            note_pair(w, FS_WALK_LOG_LONG, FS_CHDR_LOG, w->log_seq, w->log_a, w->log_b, NULL,
                      -1);
            if (!w->tolerant)
                rc = -EUCLEAN;
            break;
        }
        if (which < 0) {
            if (b != a && damaged(st[0]) && damaged(st[1])) {
                note_pair(w, FS_WALK_LOG_LOST, FS_CHDR_LOG, seq, a, b, st, which);
                if (!w->tolerant && !fs->read_only)
                    rc = -EBADMSG;
            }
            break; /* invariant 6: the end of the log */
        }
        note_pair(w, FS_WALK_PAIR, FS_CHDR_LOG, seq, a, b, st, which);
        w->found = true;
        pend[npend++] = a;
        pend[npend++] = b;
        if ((rc = fs_buf_put(&commit, fs->iobuf + FS_CHDR_BYTES, h.payload_len)) < 0)
            break;
        seq++;
        a = h.next_a;
        b = h.next_b;
        if (!(h.flags & FS_CHDR_END))
            continue;
        uint64_t nrec = 0;
        if ((rc = fs_walk_stream(w, commit.p, commit.len, false, seq - 1, &nrec)) < 0)
            break;
        w->log_records += nrec;
        for (size_t i = 0; i < npend && rc == 0; i += 2)
            rc = w->pair(w, FS_CHDR_LOG, w->log_seq + i / 2, pend[i], pend[i + 1]);
        if (rc < 0)
            break;
        w->log_clusters += (uint32_t)(npend / 2);
        npend = 0;
        commit.len = 0;
        w->log_a = a;
        w->log_b = b;
        w->log_seq = seq;
    }
    free(pend);
    fs_buf_free(&commit);
    return rc;
}
