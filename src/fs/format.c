/*
 * format.c — the on-medium structures of phasefs (DESIGN.md "src/fs"): the anchor,
 * the header of checkpoint and log clusters, and the record encoding shared by
 * checkpoints and the log. Everything is fixed-width little-endian, encoded and decoded
 * field by field, and covered by a CRC-32. It does not decide where structures go
 * (alloc.c, checkpoint.c) nor what records mean (meta.c).
 *
 * On-medium invariants (tests name them as "format (n)"):
 * (1) LCNs 0..3 (L0, inner edge) and U..U+3 (L1, outer edge) are the anchor slots;
 *     nothing else is ever written there. Anchor generation g goes to slot g mod 8, so
 *     consecutive anchors alternate layers and every slot is written once in 8
 *     checkpoints (no hot spot). An anchor is written only after the checkpoint it
 *     names is durable.
 * (2) An anchor is valid when its magic, version and CRC hold; the valid anchor of
 *     the highest generation whose checkpoint reads back completely is in force.
 * (3) Every checkpoint and log cluster exists in two copies (a, b) on different
 *     layers whenever both layers have room; each copy carries the fs UUID, the
 *     checkpoint generation, its sequence, the (a, b) pair of the next cluster, and a
 *     CRC over header and payload. Either copy may be read.
 * (4) A checkpoint is a chain of ckpt_clusters clusters (seq 0..n-1) whose payloads,
 *     concatenated, are one record stream of ckpt_bytes bytes that starts with
 *     CKPT_HEAD and ends with CKPT_END (which counts the records).
 * (5) The log after checkpoint generation g is a chain of clusters of generation g
 *     with consecutive seq starting at the anchor's log_seq. A commit is one or more
 *     consecutive clusters, the last flagged END; the concatenated payloads of a
 *     commit are one record stream. Replay applies whole commits only and stops at
 *     the first cluster that is missing, foreign (UUID), stale (gen or seq) or
 *     corrupt on both copies.
 * (6) Records: u16 type, u16 reserved (0), u32 body length, body. Unknown types are
 *     -EUCLEAN (a newer format bumps FS_FORMAT_VERSION instead).
 */
#include "fs_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t anchor_magic[8] = {'P', 'H', 'A', 'S', 'E', 'F', 'S', 'A'};
static const uint8_t ckpt_magic[4] = {'P', 'F', 'S', 'C'};
static const uint8_t log_magic[4] = {'P', 'F', 'S', 'L'};

/* Anchor layout (bytes):
 *   0 magic[8]  8 version u32  12 size u32  16 uuid[16]  32 generation u64
 *  40 ckpt_a u64  48 ckpt_b u64  56 ckpt_clusters u32  60 reserved u32
 *  64 ckpt_bytes u64  72 log_a u64  80 log_b u64  88 log_seq u64  96 total_lcns u64
 * 104 label[64]  168..252 reserved (0)  252 crc u32 over [0, 252) */
#define A_LABEL 104u
#define A_CRC 252u
_Static_assert(A_LABEL + PFS_LABEL_MAX <= A_CRC, "anchor label fits");
_Static_assert(A_CRC + 4u == FS_ANCHOR_BYTES, "anchor is 256 bytes");

/* Cluster header layout (bytes):
 *   0 magic[4]  4 version u16  6 flags u16  8 uuid[16]  24 gen u64  32 seq u64
 *  40 next_a u64  48 next_b u64  56 payload_len u32  60 crc u32 (header [0,60) + payload) */
#define H_CRC 60u
_Static_assert(H_CRC + 4u == FS_CHDR_BYTES, "cluster header is 64 bytes");
_Static_assert(FS_PAYLOAD + FS_CHDR_BYTES == SECTOR_CLUSTER_USER_BYTES, "payload fills it");

void fs_anchor_encode(const struct fs_anchor *a, uint8_t *cl)
{
    memset(cl, 0, FS_CLUSTER);
    memcpy(cl, anchor_magic, 8);
    util_le32_put(cl + 8, FS_FORMAT_VERSION);
    util_le32_put(cl + 12, FS_ANCHOR_BYTES);
    memcpy(cl + 16, a->uuid, 16);
    util_le64_put(cl + 32, a->generation);
    util_le64_put(cl + 40, a->ckpt_a);
    util_le64_put(cl + 48, a->ckpt_b);
    util_le32_put(cl + 56, a->ckpt_clusters);
    util_le64_put(cl + 64, a->ckpt_bytes);
    util_le64_put(cl + 72, a->log_a);
    util_le64_put(cl + 80, a->log_b);
    util_le64_put(cl + 88, a->log_seq);
    util_le64_put(cl + 96, a->total_lcns);
    memcpy(cl + A_LABEL, a->label, strnlen(a->label, PFS_LABEL_MAX - 1));
    util_le32_put(cl + A_CRC, util_crc32(0, cl, A_CRC));
}

int fs_anchor_decode(const uint8_t *cl, struct fs_anchor *a)
{
    memset(a, 0, sizeof *a);
    if (memcmp(cl, anchor_magic, 8) != 0)
        return -EBADMSG;
    if (util_le32_get(cl + A_CRC) != util_crc32(0, cl, A_CRC))
        return -EBADMSG;
    if (util_le32_get(cl + 8) != FS_FORMAT_VERSION)
        return -EPROTO;
    if (util_le32_get(cl + 12) != FS_ANCHOR_BYTES)
        return -EUCLEAN;
    memcpy(a->uuid, cl + 16, 16);
    a->generation = util_le64_get(cl + 32);
    a->ckpt_a = util_le64_get(cl + 40);
    a->ckpt_b = util_le64_get(cl + 48);
    a->ckpt_clusters = util_le32_get(cl + 56);
    a->ckpt_bytes = util_le64_get(cl + 64);
    a->log_a = util_le64_get(cl + 72);
    a->log_b = util_le64_get(cl + 80);
    a->log_seq = util_le64_get(cl + 88);
    a->total_lcns = util_le64_get(cl + 96);
    memcpy(a->label, cl + A_LABEL, PFS_LABEL_MAX - 1);
    a->label[PFS_LABEL_MAX - 1] = '\0';
    if (a->ckpt_clusters == 0 ||
        a->ckpt_bytes > (uint64_t)a->ckpt_clusters * FS_PAYLOAD)
        return -EUCLEAN;
    return 0;
}

void fs_chdr_encode(const struct fs_chdr *h, const uint8_t *payload, uint8_t *cl)
{
    memcpy(cl, h->kind == FS_CHDR_CKPT ? ckpt_magic : log_magic, 4);
    util_le16_put(cl + 4, FS_FORMAT_VERSION);
    util_le16_put(cl + 6, (uint16_t)h->flags);
    memcpy(cl + 8, h->uuid, 16);
    util_le64_put(cl + 24, h->gen);
    util_le64_put(cl + 32, h->seq);
    util_le64_put(cl + 40, h->next_a);
    util_le64_put(cl + 48, h->next_b);
    util_le32_put(cl + 56, h->payload_len);
    if (payload != cl + FS_CHDR_BYTES)
        memcpy(cl + FS_CHDR_BYTES, payload, h->payload_len);
    memset(cl + FS_CHDR_BYTES + h->payload_len, 0, FS_PAYLOAD - h->payload_len);
    uint32_t crc = util_crc32(0, cl, H_CRC);
    crc = util_crc32(crc, cl + FS_CHDR_BYTES, h->payload_len);
    util_le32_put(cl + H_CRC, crc);
}

int fs_chdr_decode(const uint8_t *cl, struct fs_chdr *h)
{
    memset(h, 0, sizeof *h);
    if (memcmp(cl, ckpt_magic, 4) == 0)
        h->kind = FS_CHDR_CKPT;
    else if (memcmp(cl, log_magic, 4) == 0)
        h->kind = FS_CHDR_LOG;
    else
        return -EBADMSG;
    h->payload_len = util_le32_get(cl + 56);
    if (h->payload_len > FS_PAYLOAD)
        return -EBADMSG;
    uint32_t crc = util_crc32(0, cl, H_CRC);
    crc = util_crc32(crc, cl + FS_CHDR_BYTES, h->payload_len);
    if (crc != util_le32_get(cl + H_CRC))
        return -EBADMSG;
    if (util_le16_get(cl + 4) != FS_FORMAT_VERSION)
        return -EPROTO;
    h->flags = util_le16_get(cl + 6);
    memcpy(h->uuid, cl + 8, 16);
    h->gen = util_le64_get(cl + 24);
    h->seq = util_le64_get(cl + 32);
    h->next_a = util_le64_get(cl + 40);
    h->next_b = util_le64_get(cl + 48);
    return 0;
}

/* ---- byte buffers ------------------------------------------------------------------ */

int fs_buf_reserve(struct fs_buf *b, size_t more)
{
    if (b->cap - b->len >= more)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < more) {
        if (cap > SIZE_MAX / 2)
            return -ENOMEM;
        cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        return -ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

int fs_buf_put(struct fs_buf *b, const void *p, size_t n)
{
    int rc = fs_buf_reserve(b, n);
    if (rc < 0)
        return rc;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

void fs_buf_free(struct fs_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- decoding cursor --------------------------------------------------------------- */

const uint8_t *fs_cur_bytes(struct fs_cur *c, size_t n)
{
    if (c->bad || c->len - c->off < n) {
        c->bad = true;
        return NULL;
    }
    const uint8_t *p = c->p + c->off;
    c->off += n;
    return p;
}

uint8_t fs_cur_u8(struct fs_cur *c)
{
    const uint8_t *p = fs_cur_bytes(c, 1);
    return p ? p[0] : 0;
}

uint16_t fs_cur_u16(struct fs_cur *c)
{
    const uint8_t *p = fs_cur_bytes(c, 2);
    return p ? util_le16_get(p) : 0;
}

uint32_t fs_cur_u32(struct fs_cur *c)
{
    const uint8_t *p = fs_cur_bytes(c, 4);
    return p ? util_le32_get(p) : 0;
}

uint64_t fs_cur_u64(struct fs_cur *c)
{
    const uint8_t *p = fs_cur_bytes(c, 8);
    return p ? util_le64_get(p) : 0;
}

/* ---- record writer ----------------------------------------------------------------- */

void fs_rec_begin(struct fs_rec *r, struct fs_buf *b, uint16_t type)
{
    uint8_t hdr[FS_REC_HDR] = {0};
    util_le16_put(hdr, type);
    r->b = b;
    r->start = b->len;
    r->err = fs_buf_put(b, hdr, sizeof hdr);
}

void fs_rec_bytes(struct fs_rec *r, const void *p, size_t n)
{
    if (r->err == 0)
        r->err = fs_buf_put(r->b, p, n);
}

void fs_rec_u16(struct fs_rec *r, uint16_t v)
{
    uint8_t x[2];
    util_le16_put(x, v);
    fs_rec_bytes(r, x, 2);
}

void fs_rec_u32(struct fs_rec *r, uint32_t v)
{
    uint8_t x[4];
    util_le32_put(x, v);
    fs_rec_bytes(r, x, 4);
}

void fs_rec_u64(struct fs_rec *r, uint64_t v)
{
    uint8_t x[8];
    util_le64_put(x, v);
    fs_rec_bytes(r, x, 8);
}

int fs_rec_end(struct fs_rec *r)
{
    if (r->err) {
        r->b->len = r->start; /* a record is all or nothing */
        return r->err;
    }
    util_le32_put(r->b->p + r->start + 4, (uint32_t)(r->b->len - r->start - FS_REC_HDR));
    return 0;
}
