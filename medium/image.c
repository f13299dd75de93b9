/*
 * image.c — the on-image format of a medium (DESIGN.md "medium/", "Image"): two header
 * slots, the profile as canonical text, the fault table, the per-cluster metadata table
 * and the recorded bytes, each encoded and decoded field by field (STYLE.md "Files and
 * comments"), never by casting a buffer.
 *
 * It owns layout, encoding, checking and host I/O helpers. It does not lock (medium.c
 * holds state_lock for writing, or owns the handle alone, around every call here), does
 * not derive any physics, and trusts no byte it reads: a bad image is an error code.
 */
#include "medium_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * Layout (integers and doubles little-endian; "4K" = aligned to 4096 bytes):
 *
 *   0            header slot A   4096 B: the encoded header (IMAGE_HEADER_BYTES), then zeros
 *   4096         header slot B   4096 B
 *   8192         profile text    profile_bytes of medium_profile_format text, region 4K
 *   fault_offset fault table     MEDIUM_MAX_FAULTS records of 64 B (16 KiB)
 *   meta_offset  cluster table   2 x clusters_per_layer entries of 64 B, far layer first, 4K
 *   data_offset  recorded bytes  2 x clusters_per_layer x MEDIUM_CLUSTER_BYTES, packed,
 *                                far layer first; data_offset + data_bytes = image_bytes
 *
 * Invariants:
 * (1) A header slot is valid iff its magic matches, header_bytes lies in
 *     [IMAGE_HEADER_MIN, IMAGE_SLOT_BYTES], and the CRC-32 in its last 4 bytes covers the
 *     bytes before it. The version is trusted only in a valid slot, so a flipped version
 *     reads as corruption (-EUCLEAN), a real newer format as -EPROTO.
 * (2) The newest valid slot (highest generation) is the header. Generation g is written
 *     to slot g % 2, so a header write never touches the newest valid slot: a torn header
 *     write loses that one update, never the image.
 * (3) Regions lie in the order above, 4K-aligned, without overlap, exactly where
 *     layout(clusters_per_layer, profile_bytes) puts them; a header that disagrees, or
 *     whose sizes overflow, is corrupt. clusters_per_layer <= IMAGE_MAX_CLUSTERS (the
 *     real layer), profile_bytes <= IMAGE_PROFILE_MAX, fault_count <= MEDIUM_MAX_FAULTS,
 *     and a file shorter than image_bytes is truncated (-EUCLEAN): all of this is checked
 *     before anything is allocated or read by a size taken from the header.
 * (4) The profile text is written once, by image_format; its CRC is in every header, and
 *     it must parse to a profile with the header's seed and cluster count.
 * (5) Fault records are append-only; record i has id i + 1. The header's faults_crc
 *     covers records [0, fault_count) only, so a record appended (and made durable)
 *     before its header keeps the previous header consistent if the header is lost.
 * (6) A cluster-table entry of 64 zero bytes is "never written, never read" and needs no
 *     CRC: a fresh table is a hole of the sparse file. Any other entry carries a CRC over
 *     its entry number and its first 60 bytes, so torn or misplaced entries are caught.
 *     Entries never straddle a 512-byte sector. A corrupt entry does not fail the open:
 *     it loads as CLUSTER_FLAG_CORRUPT (memory only, never stored); reads of that cluster
 *     return -EUCLEAN and a write re-initialises it (its wear history is lost).
 * (7) image_format writes the header slots last, so a file without a valid slot is not an
 *     image, and it truncates to zero first, so no stale table entry survives a re-format.
 * (8) Durability order, kept by medium_sync: recorded bytes are fsync'ed before the table
 *     entries that describe them are written, and those are fsync'ed before sync returns;
 *     a durable entry never describes bytes that are not durable.
 */

#define IMAGE_MAGIC "PHFSMEDI"
/* Version 2 added humidity and the environmental accounts of the clock in bytes that
 * version 1 kept zero; a version-1 image opens with those accounts at zero and its
 * retention account as the base of the clock, and is written back as version 2. */
#define IMAGE_VERSION 2u
#define IMAGE_VERSION_V1 1u
#define IMAGE_SLOT_BYTES 4096u
#define IMAGE_ALIGN 4096u
#define IMAGE_PROFILE_OFFSET (2u * IMAGE_SLOT_BYTES)
#define IMAGE_PROFILE_MAX (64u * 1024u) /* canonical profile text is a few KiB */
#define IMAGE_HEADER_MIN 64u
#define IMAGE_FAULT_BYTES 64u
#define IMAGE_META_BYTES 64u
#define IMAGE_META_PAYLOAD 32u
#define IMAGE_MIN_CLUSTERS (MEDIUM_MIN_LAYER_BYTES / MEDIUM_USER_BYTES_PER_CLUSTER)
/* The real layer bounds every table sized from a header (medium.h MEDIUM_MAX_LAYER_BYTES):
 * a crafted header can make medium_open allocate no more than the real disc needs. */
#define IMAGE_MAX_CLUSTERS (MEDIUM_MAX_LAYER_BYTES / MEDIUM_USER_BYTES_PER_CLUSTER)

/* Header, version 2: byte offsets of its fields (version 1 ends at H_ENV_RESERVED_V1). */
enum {
    H_MAGIC = 0,             /* 8 bytes */
    H_VERSION = 8,           /* u32 */
    H_HEADER_BYTES = 12,     /* u32: the CRC sits in the last 4 of these */
    H_GENERATION = 16,       /* u64 */
    H_SEED = 24,             /* u64 */
    H_CLUSTERS = 32,         /* u64: clusters per layer */
    H_CLUSTER_BYTES = 40,    /* u32: MEDIUM_CLUSTER_BYTES */
    H_LAYERS = 44,           /* u32: MEDIUM_LAYER_COUNT */
    H_PROFILE_OFFSET = 48,   /* u64 */
    H_PROFILE_BYTES = 56,    /* u64 */
    H_FAULT_OFFSET = 64,     /* u64 */
    H_FAULT_COUNT = 72,      /* u32 */
    H_FAULT_RECORD = 76,     /* u32: IMAGE_FAULT_BYTES */
    H_META_OFFSET = 80,      /* u64 */
    H_META_BYTES = 88,       /* u64: region size, aligned */
    H_META_ENTRY = 96,       /* u32: IMAGE_META_BYTES */
    H_PROFILE_CRC = 100,     /* u32 */
    H_DATA_OFFSET = 104,     /* u64 */
    H_DATA_BYTES = 112,      /* u64 */
    H_IMAGE_BYTES = 120,     /* u64 */
    H_SIM_S = 128,           /* f64 */
    H_EQUIV_FAR = 136,       /* f64 */
    H_EQUIV_NEAR = 144,      /* f64 */
    H_TEMPERATURE = 152,     /* f64 */
    H_FAULTS_CRC = 160,      /* u32: records [0, fault_count) */
    H_FAULT_CAPACITY = 164,  /* u32: MEDIUM_MAX_FAULTS */
    H_ENV_RESERVED_V1 = 168, /* version 1: zeros from here up to the CRC */
    H_HUMIDITY = 168,        /* f64: % RH of the clock's current run */
    H_RUN_S = 176,           /* f64: seconds of the current run */
    H_BASE_EQUIV_FAR = 184,  /* f64: retention accounts before the run */
    H_BASE_EQUIV_NEAR = 192, /* f64 */
    H_ENV_FAR = 200,         /* f64: environmental accounts */
    H_ENV_NEAR = 208,        /* f64 */
    H_BASE_ENV_FAR = 216,    /* f64: environmental accounts before the run */
    H_BASE_ENV_NEAR = 224,   /* f64 */
    H_RESERVED = 232,        /* zeros up to the CRC */
    H_CRC = 252,             /* u32 over [0, 252) */
    IMAGE_HEADER_BYTES = 256,
};
_Static_assert(H_CRC + 4 == IMAGE_HEADER_BYTES, "header CRC closes the header");
_Static_assert(IMAGE_HEADER_BYTES <= IMAGE_SLOT_BYTES, "header fits its slot");
_Static_assert(H_ENV_RESERVED_V1 == H_FAULT_CAPACITY + 4, "no gap in version 1");
_Static_assert(H_RESERVED == H_BASE_ENV_NEAR + 8, "no gap before the reserved bytes");

/* Fault record: kind, id, five doubles and three u32 whose meaning depends on kind
 * (scratch: r0, angle0, r1, angle1, width; mask. dust: r, angle, diameter. defects:
 * count, length, mask), unused fields zero, CRC over the first 60 bytes. */
enum {
    F_KIND = 0, F_ID = 4, F_D = 8, F_U = 48, F_CRC = 60, F_END = 64,
};
_Static_assert(F_U == F_D + 5 * 8 && F_CRC == F_U + 3 * 4, "fault record fields packed");
_Static_assert(F_END == IMAGE_FAULT_BYTES, "fault record size");
_Static_assert((MEDIUM_MAX_FAULTS * IMAGE_FAULT_BYTES) % IMAGE_ALIGN == 0, "fault table 4K");

/* Cluster-table entry: the payload of struct medium_cluster_meta, reserved zeros, CRC. */
enum {
    M_CYCLES = 0, M_GENERATION = 4, M_READS = 8, M_FLAGS = 12, M_WRITE_EQUIV = 16,
    M_DISTURB = 24, M_RESERVED = 32, M_CRC = 60, M_END = 64,
};
_Static_assert(M_RESERVED == IMAGE_META_PAYLOAD, "entry payload size");
_Static_assert(M_END == IMAGE_META_BYTES, "entry size");
_Static_assert(512 % IMAGE_META_BYTES == 0, "entries never straddle a sector");

/* Flags that may be stored; anything else in an entry makes it corrupt. */
#define STORED_FLAGS CLUSTER_FLAG_WRITTEN

/* Decoded header (memory form of the fields above). */
struct image_header {
    uint32_t version, header_bytes;
    uint64_t generation, seed, clusters;
    uint32_t cluster_bytes, layers;
    uint64_t profile_offset, profile_bytes;
    uint64_t fault_offset;
    uint32_t fault_count, fault_record, fault_capacity;
    uint64_t meta_offset, meta_bytes;
    uint32_t meta_entry, profile_crc, faults_crc;
    uint64_t data_offset, data_bytes, image_bytes;
    struct medium_clock clock;
};

/* Where every region lies for a given geometry (invariant 3). */
struct image_layout {
    uint64_t profile_offset, fault_offset, meta_offset, meta_bytes;
    uint64_t data_offset, data_bytes, image_bytes;
};

/* ---- host I/O ---------------------------------------------------------------------- */

ssize_t image_read_at(const struct medium *m, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        if (off + done > (uint64_t)INT64_MAX)
            return -EIO;
        ssize_t n = m->io.pread(m->fd, p + done, len - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -EIO;
        }
        if (n == 0)
            break; /* end of file */
        done += (size_t)n;
    }
    return (ssize_t)done;
}

int image_write_at(const struct medium *m, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        if (off + done > (uint64_t)INT64_MAX)
            return -EIO;
        ssize_t n = m->io.pwrite(m->fd, p + done, len - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -EIO;
        }
        if (n == 0)
            return -EIO; /* no progress: treat as a failing device, never spin */
        done += (size_t)n;
    }
    return 0;
}

/* Read exactly len bytes; a short file is a truncated image. */
static int read_exact(const struct medium *m, void *buf, size_t len, uint64_t off)
{
    ssize_t n = image_read_at(m, buf, len, off);
    if (n < 0)
        return (int)n;
    return (size_t)n == len ? 0 : -EUCLEAN;
}

static int sync_fd(const struct medium *m)
{
    while (m->io.fsync(m->fd) < 0) {
        if (errno != EINTR)
            return -EIO;
    }
    return 0;
}

/* ---- layout ------------------------------------------------------------------------ */

static bool align_up(uint64_t v, uint64_t *out)
{
    if (v > UINT64_MAX - (IMAGE_ALIGN - 1))
        return false;
    *out = (v + IMAGE_ALIGN - 1) / IMAGE_ALIGN * IMAGE_ALIGN;
    return true;
}

/* Returns 0, or -EFBIG if the geometry does not fit the format (or an off_t). */
static int layout_compute(uint64_t clusters, uint64_t profile_bytes, struct image_layout *l)
{
    uint64_t entries, v;
    if (clusters == 0 || clusters > IMAGE_MAX_CLUSTERS || profile_bytes > IMAGE_PROFILE_MAX)
        return -EFBIG;
    entries = clusters * MEDIUM_LAYER_COUNT;
    l->profile_offset = IMAGE_PROFILE_OFFSET;
    if (!align_up(l->profile_offset + profile_bytes, &l->fault_offset))
        return -EFBIG;
    l->meta_offset = l->fault_offset + (uint64_t)MEDIUM_MAX_FAULTS * IMAGE_FAULT_BYTES;
    if (!align_up(entries * IMAGE_META_BYTES, &l->meta_bytes))
        return -EFBIG;
    l->data_offset = l->meta_offset + l->meta_bytes;
    if (__builtin_mul_overflow(entries, (uint64_t)MEDIUM_CLUSTER_BYTES, &l->data_bytes) ||
        __builtin_add_overflow(l->data_offset, l->data_bytes, &v) || v > (uint64_t)INT64_MAX)
        return -EFBIG;
    l->image_bytes = v;
    return 0;
}

uint64_t image_cluster_offset(const struct medium *m, unsigned layer, uint64_t index)
{
    return m->data_offset +
           ((uint64_t)layer * m->clusters_per_layer + index) * MEDIUM_CLUSTER_BYTES;
}

/* ---- header ------------------------------------------------------------------------ */

static void header_encode(const struct medium *m, uint64_t generation, uint32_t faults_crc,
                          uint8_t *b)
{
    struct image_layout l;
    memset(b, 0, IMAGE_SLOT_BYTES);
    /* the handle's geometry was checked when it was formatted or loaded */
    (void)layout_compute(m->clusters_per_layer, m->profile_bytes, &l);
    memcpy(b + H_MAGIC, IMAGE_MAGIC, 8);
    util_le32_put(b + H_VERSION, IMAGE_VERSION);
    util_le32_put(b + H_HEADER_BYTES, IMAGE_HEADER_BYTES);
    util_le64_put(b + H_GENERATION, generation);
    util_le64_put(b + H_SEED, m->profile.seed);
    util_le64_put(b + H_CLUSTERS, m->clusters_per_layer);
    util_le32_put(b + H_CLUSTER_BYTES, MEDIUM_CLUSTER_BYTES);
    util_le32_put(b + H_LAYERS, MEDIUM_LAYER_COUNT);
    util_le64_put(b + H_PROFILE_OFFSET, l.profile_offset);
    util_le64_put(b + H_PROFILE_BYTES, m->profile_bytes);
    util_le64_put(b + H_FAULT_OFFSET, l.fault_offset);
    util_le32_put(b + H_FAULT_COUNT, m->fault_count);
    util_le32_put(b + H_FAULT_RECORD, IMAGE_FAULT_BYTES);
    util_le64_put(b + H_META_OFFSET, l.meta_offset);
    util_le64_put(b + H_META_BYTES, l.meta_bytes);
    util_le32_put(b + H_META_ENTRY, IMAGE_META_BYTES);
    util_le32_put(b + H_PROFILE_CRC, m->profile_crc);
    util_le64_put(b + H_DATA_OFFSET, l.data_offset);
    util_le64_put(b + H_DATA_BYTES, l.data_bytes);
    util_le64_put(b + H_IMAGE_BYTES, l.image_bytes);
    util_lef64_put(b + H_SIM_S, m->clock.sim_s);
    util_lef64_put(b + H_EQUIV_FAR, m->clock.equiv_s[MEDIUM_LAYER_FAR]);
    util_lef64_put(b + H_EQUIV_NEAR, m->clock.equiv_s[MEDIUM_LAYER_NEAR]);
    util_lef64_put(b + H_TEMPERATURE, m->clock.temperature_c);
    util_lef64_put(b + H_HUMIDITY, m->clock.humidity_pct);
    util_lef64_put(b + H_RUN_S, m->clock.run_s);
    util_lef64_put(b + H_BASE_EQUIV_FAR, m->clock.base_equiv_s[MEDIUM_LAYER_FAR]);
    util_lef64_put(b + H_BASE_EQUIV_NEAR, m->clock.base_equiv_s[MEDIUM_LAYER_NEAR]);
    util_lef64_put(b + H_ENV_FAR, m->clock.env_equiv_s[MEDIUM_LAYER_FAR]);
    util_lef64_put(b + H_ENV_NEAR, m->clock.env_equiv_s[MEDIUM_LAYER_NEAR]);
    util_lef64_put(b + H_BASE_ENV_FAR, m->clock.base_env_equiv_s[MEDIUM_LAYER_FAR]);
    util_lef64_put(b + H_BASE_ENV_NEAR, m->clock.base_env_equiv_s[MEDIUM_LAYER_NEAR]);
    util_le32_put(b + H_FAULTS_CRC, faults_crc);
    util_le32_put(b + H_FAULT_CAPACITY, MEDIUM_MAX_FAULTS);
    util_le32_put(b + H_CRC, util_crc32(0, b, H_CRC));
}

/* Invariant 1: framing only. got = bytes of the slot actually read. */
static bool slot_valid(const uint8_t *b, size_t got)
{
    if (got < IMAGE_HEADER_MIN || memcmp(b + H_MAGIC, IMAGE_MAGIC, 8) != 0)
        return false;
    uint32_t hb = util_le32_get(b + H_HEADER_BYTES);
    if (hb < IMAGE_HEADER_MIN || hb > IMAGE_SLOT_BYTES || hb % 4 != 0 || hb > got)
        return false;
    return util_crc32(0, b, hb - 4) == util_le32_get(b + hb - 4);
}

static bool finite_nonneg(double v)
{
    return isfinite(v) && v >= 0.0;
}

/* Decode a valid version-1 or version-2 slot and check every field against the layout.
 * A version-1 clock comes back with humidity NAN (image_load takes the profile's).
 * Returns 0 or -EUCLEAN. */
static int header_decode(const uint8_t *b, struct image_header *h)
{
    struct image_layout l;
    h->version = util_le32_get(b + H_VERSION);
    h->header_bytes = util_le32_get(b + H_HEADER_BYTES);
    h->generation = util_le64_get(b + H_GENERATION);
    h->seed = util_le64_get(b + H_SEED);
    h->clusters = util_le64_get(b + H_CLUSTERS);
    h->cluster_bytes = util_le32_get(b + H_CLUSTER_BYTES);
    h->layers = util_le32_get(b + H_LAYERS);
    h->profile_offset = util_le64_get(b + H_PROFILE_OFFSET);
    h->profile_bytes = util_le64_get(b + H_PROFILE_BYTES);
    h->fault_offset = util_le64_get(b + H_FAULT_OFFSET);
    h->fault_count = util_le32_get(b + H_FAULT_COUNT);
    h->fault_record = util_le32_get(b + H_FAULT_RECORD);
    h->meta_offset = util_le64_get(b + H_META_OFFSET);
    h->meta_bytes = util_le64_get(b + H_META_BYTES);
    h->meta_entry = util_le32_get(b + H_META_ENTRY);
    h->profile_crc = util_le32_get(b + H_PROFILE_CRC);
    h->data_offset = util_le64_get(b + H_DATA_OFFSET);
    h->data_bytes = util_le64_get(b + H_DATA_BYTES);
    h->image_bytes = util_le64_get(b + H_IMAGE_BYTES);
    h->clock.sim_s = util_lef64_get(b + H_SIM_S);
    h->clock.equiv_s[MEDIUM_LAYER_FAR] = util_lef64_get(b + H_EQUIV_FAR);
    h->clock.equiv_s[MEDIUM_LAYER_NEAR] = util_lef64_get(b + H_EQUIV_NEAR);
    h->clock.temperature_c = util_lef64_get(b + H_TEMPERATURE);
    if (h->version == IMAGE_VERSION_V1) {
        h->clock.humidity_pct = NAN;
        h->clock.run_s = 0.0;
        for (unsigned i = 0; i < MEDIUM_LAYER_COUNT; i++) {
            h->clock.base_equiv_s[i] = h->clock.equiv_s[i];
            h->clock.env_equiv_s[i] = h->clock.base_env_equiv_s[i] = 0.0;
        }
    } else {
        h->clock.humidity_pct = util_lef64_get(b + H_HUMIDITY);
        h->clock.run_s = util_lef64_get(b + H_RUN_S);
        h->clock.base_equiv_s[MEDIUM_LAYER_FAR] = util_lef64_get(b + H_BASE_EQUIV_FAR);
        h->clock.base_equiv_s[MEDIUM_LAYER_NEAR] = util_lef64_get(b + H_BASE_EQUIV_NEAR);
        h->clock.env_equiv_s[MEDIUM_LAYER_FAR] = util_lef64_get(b + H_ENV_FAR);
        h->clock.env_equiv_s[MEDIUM_LAYER_NEAR] = util_lef64_get(b + H_ENV_NEAR);
        h->clock.base_env_equiv_s[MEDIUM_LAYER_FAR] = util_lef64_get(b + H_BASE_ENV_FAR);
        h->clock.base_env_equiv_s[MEDIUM_LAYER_NEAR] = util_lef64_get(b + H_BASE_ENV_NEAR);
    }
    h->faults_crc = util_le32_get(b + H_FAULTS_CRC);
    h->fault_capacity = util_le32_get(b + H_FAULT_CAPACITY);

    if (h->header_bytes != IMAGE_HEADER_BYTES || h->cluster_bytes != MEDIUM_CLUSTER_BYTES ||
        h->layers != MEDIUM_LAYER_COUNT || h->fault_record != IMAGE_FAULT_BYTES ||
        h->meta_entry != IMAGE_META_BYTES || h->fault_capacity != MEDIUM_MAX_FAULTS ||
        h->fault_count > MEDIUM_MAX_FAULTS)
        return -EUCLEAN;
    for (size_t i = h->version == IMAGE_VERSION_V1 ? H_ENV_RESERVED_V1 : H_RESERVED; i < H_CRC;
         i++)
        if (b[i] != 0)
            return -EUCLEAN;
    if (h->clusters < IMAGE_MIN_CLUSTERS || h->profile_bytes == 0 ||
        layout_compute(h->clusters, h->profile_bytes, &l) < 0)
        return -EUCLEAN;
    if (h->profile_offset != l.profile_offset || h->fault_offset != l.fault_offset ||
        h->meta_offset != l.meta_offset || h->meta_bytes != l.meta_bytes ||
        h->data_offset != l.data_offset || h->data_bytes != l.data_bytes ||
        h->image_bytes != l.image_bytes)
        return -EUCLEAN;
    if (!finite_nonneg(h->clock.sim_s) || !finite_nonneg(h->clock.equiv_s[0]) ||
        !finite_nonneg(h->clock.equiv_s[1]) || !isfinite(h->clock.temperature_c) ||
        h->clock.temperature_c < -273.15 || h->clock.temperature_c > 10000.0)
        return -EUCLEAN;
    if (h->version != IMAGE_VERSION_V1 &&
        (!finite_nonneg(h->clock.run_s) || !(h->clock.humidity_pct >= 0.0) ||
         !(h->clock.humidity_pct <= 100.0)))
        return -EUCLEAN;
    for (unsigned i = 0; i < MEDIUM_LAYER_COUNT; i++)
        if (!finite_nonneg(h->clock.base_equiv_s[i]) || !finite_nonneg(h->clock.env_equiv_s[i]) ||
            !finite_nonneg(h->clock.base_env_equiv_s[i]))
            return -EUCLEAN;
    return 0;
}

static bool version_known(uint32_t v)
{
    return v == IMAGE_VERSION || v == IMAGE_VERSION_V1;
}

/* Pick the header (invariant 2). Returns 0, -EUCLEAN, -EPROTO or -EIO. */
static int header_read(const struct medium *m, struct image_header *h)
{
    uint8_t slot[2][IMAGE_SLOT_BYTES];
    bool valid[2];
    for (unsigned s = 0; s < 2; s++) {
        ssize_t n = image_read_at(m, slot[s], IMAGE_SLOT_BYTES, (uint64_t)s * IMAGE_SLOT_BYTES);
        if (n < 0)
            return (int)n;
        valid[s] = slot_valid(slot[s], (size_t)n);
    }
    if (!valid[0] && !valid[1])
        return -EUCLEAN;
    unsigned best;
    if (valid[0] && valid[1])
        best = util_le64_get(slot[1] + H_GENERATION) > util_le64_get(slot[0] + H_GENERATION)
                   ? 1 : 0;
    else
        best = valid[1] ? 1 : 0;
    if (!version_known(util_le32_get(slot[best] + H_VERSION)))
        return -EPROTO;
    int rc = header_decode(slot[best], h);
    if (rc == 0 && h->generation % 2 != best)
        rc = -EUCLEAN; /* a slot holds only generations of its parity */
    if (rc < 0 && valid[0] && valid[1]) {
        /* the newest slot frames well but is inconsistent: fall back to the other one */
        unsigned other = 1 - best;
        if (!version_known(util_le32_get(slot[other] + H_VERSION)))
            return -EPROTO;
        rc = header_decode(slot[other], h);
        if (rc == 0 && h->generation % 2 != other)
            rc = -EUCLEAN;
    }
    return rc;
}

/* ---- fault table ------------------------------------------------------------------- */

static void fault_encode(const struct medium_fault *f, uint8_t *b)
{
    double d[5] = {0};
    uint32_t u[3] = {0};
    memset(b, 0, IMAGE_FAULT_BYTES);
    switch (f->kind) {
    case FAULT_SCRATCH:
        d[0] = f->u.scratch.r0_mm;
        d[1] = f->u.scratch.angle0_deg;
        d[2] = f->u.scratch.r1_mm;
        d[3] = f->u.scratch.angle1_deg;
        d[4] = f->u.scratch.width_um;
        u[0] = f->u.scratch.layer_mask;
        break;
    case FAULT_DUST:
        d[0] = f->u.dust.r_mm;
        d[1] = f->u.dust.angle_deg;
        d[2] = f->u.dust.diameter_um;
        break;
    case FAULT_DEFECTS:
        u[0] = f->u.defects.count;
        u[1] = f->u.defects.length_bytes;
        u[2] = f->u.defects.layer_mask;
        break;
    default:
        break;
    }
    util_le32_put(b + F_KIND, f->kind);
    util_le32_put(b + F_ID, f->id);
    for (int i = 0; i < 5; i++)
        util_lef64_put(b + F_D + 8 * i, d[i]);
    for (int i = 0; i < 3; i++)
        util_le32_put(b + F_U + 4 * i, u[i]);
    util_le32_put(b + F_CRC, util_crc32(0, b, F_CRC));
}

static bool mask_valid(uint32_t mask)
{
    return mask != 0 && (mask & ~((1u << MEDIUM_LAYER_COUNT) - 1)) == 0;
}

/* Structural check of record number i (geometry is faults_validate's, on open).
 * Returns 0 or -EUCLEAN. */
static int fault_decode(const uint8_t *b, uint32_t i, struct medium_fault *f)
{
    double d[5];
    uint32_t u[3];
    if (util_crc32(0, b, F_CRC) != util_le32_get(b + F_CRC))
        return -EUCLEAN;
    memset(f, 0, sizeof *f);
    f->kind = util_le32_get(b + F_KIND);
    f->id = util_le32_get(b + F_ID);
    for (int k = 0; k < 5; k++) {
        d[k] = util_lef64_get(b + F_D + 8 * k);
        if (!isfinite(d[k]))
            return -EUCLEAN;
    }
    for (int k = 0; k < 3; k++)
        u[k] = util_le32_get(b + F_U + 4 * k);
    if (f->id != i + 1)
        return -EUCLEAN;
    switch (f->kind) {
    case FAULT_SCRATCH:
        if (u[1] || u[2] || !mask_valid(u[0]))
            return -EUCLEAN;
        f->u.scratch = (struct medium_scratch){.r0_mm = d[0], .angle0_deg = d[1],
                                               .r1_mm = d[2], .angle1_deg = d[3],
                                               .width_um = d[4], .layer_mask = u[0]};
        return 0;
    case FAULT_DUST:
        if (d[3] != 0.0 || d[4] != 0.0 || u[0] || u[1] || u[2])
            return -EUCLEAN;
        f->u.dust = (struct medium_dust){.r_mm = d[0], .angle_deg = d[1],
                                         .diameter_um = d[2]};
        return 0;
    case FAULT_DEFECTS:
        for (int k = 0; k < 5; k++)
            if (d[k] != 0.0)
                return -EUCLEAN;
        if (!mask_valid(u[2]))
            return -EUCLEAN;
        f->u.defects = (struct medium_defects){.count = u[0], .length_bytes = u[1],
                                               .layer_mask = u[2]};
        return 0;
    default:
        return -EUCLEAN;
    }
}

/* Encode the whole table (zeros past fault_count) into b, return the CRC of the live
 * records (invariant 5). */
static uint32_t faults_encode(const struct medium *m, uint8_t *b)
{
    memset(b, 0, (size_t)MEDIUM_MAX_FAULTS * IMAGE_FAULT_BYTES);
    for (uint32_t i = 0; i < m->fault_count && i < MEDIUM_MAX_FAULTS; i++)
        fault_encode(&m->faults[i], b + (size_t)i * IMAGE_FAULT_BYTES);
    return util_crc32(0, b, (size_t)m->fault_count * IMAGE_FAULT_BYTES);
}

/* ---- cluster table ----------------------------------------------------------------- */

static uint32_t entry_crc(uint64_t entry, const uint8_t *b)
{
    uint8_t key[8];
    util_le64_put(key, entry);
    return util_crc32(util_crc32(0, key, sizeof key), b, M_CRC);
}

static void meta_encode(const struct medium_cluster_meta *meta, uint64_t entry, uint8_t *b)
{
    memset(b, 0, IMAGE_META_BYTES);
    util_le32_put(b + M_CYCLES, meta->cycles);
    util_le32_put(b + M_GENERATION, meta->generation);
    util_le32_put(b + M_READS, meta->reads);
    util_le32_put(b + M_FLAGS, meta->flags & STORED_FLAGS);
    util_lef64_put(b + M_WRITE_EQUIV, meta->write_equiv_s);
    util_lef64_put(b + M_DISTURB, meta->disturb_equiv_s);
    for (size_t i = 0; i < IMAGE_META_PAYLOAD; i++)
        if (b[i] != 0) {
            util_le32_put(b + M_CRC, entry_crc(entry, b));
            return;
        }
    /* an all-zero payload is stored as an all-zero entry (invariant 6) */
}

static bool all_zero(const uint8_t *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (b[i] != 0)
            return false;
    return true;
}

/* Decode one entry; a bad one loads as CLUSTER_FLAG_CORRUPT. Returns true if valid. */
static bool meta_decode(const uint8_t *b, uint64_t entry, struct medium_cluster_meta *meta)
{
    memset(meta, 0, sizeof *meta);
    if (all_zero(b, IMAGE_META_BYTES))
        return true;
    if (entry_crc(entry, b) != util_le32_get(b + M_CRC) ||
        !all_zero(b + M_RESERVED, M_CRC - M_RESERVED))
        goto corrupt;
    meta->cycles = util_le32_get(b + M_CYCLES);
    meta->generation = util_le32_get(b + M_GENERATION);
    meta->reads = util_le32_get(b + M_READS);
    meta->flags = util_le32_get(b + M_FLAGS);
    meta->write_equiv_s = util_lef64_get(b + M_WRITE_EQUIV);
    meta->disturb_equiv_s = util_lef64_get(b + M_DISTURB);
    if ((meta->flags & ~STORED_FLAGS) != 0 || !finite_nonneg(meta->write_equiv_s) ||
        !finite_nonneg(meta->disturb_equiv_s))
        goto corrupt;
    if (!(meta->flags & CLUSTER_FLAG_WRITTEN) &&
        (meta->cycles || meta->generation || meta->write_equiv_s != 0.0))
        goto corrupt;
    return true;
corrupt:
    memset(meta, 0, sizeof *meta);
    meta->flags = CLUSTER_FLAG_CORRUPT;
    return false;
}

static int tables_alloc(struct medium *m)
{
    uint64_t entries = m->clusters_per_layer * MEDIUM_LAYER_COUNT;
    if (entries > SIZE_MAX / sizeof *m->meta)
        return -ENOMEM;
    m->meta = calloc((size_t)entries, sizeof *m->meta);
    m->meta_dirty = calloc((size_t)((entries + 7) / 8), 1);
    if (!m->meta || !m->meta_dirty) {
        free(m->meta);
        free(m->meta_dirty);
        m->meta = NULL;
        m->meta_dirty = NULL;
        return -ENOMEM;
    }
    return 0;
}

/* ---- entry points ------------------------------------------------------------------ */

int image_header_store(struct medium *m)
{
    uint8_t slot[IMAGE_SLOT_BYTES];
    uint8_t *table;
    uint64_t gen = m->header_generation + 1;
    int rc;
    if (m->read_only)
        return -EROFS;
    table = malloc((size_t)MEDIUM_MAX_FAULTS * IMAGE_FAULT_BYTES);
    if (!table)
        return -ENOMEM;
    header_encode(m, gen, faults_encode(m, table), slot);
    free(table);
    rc = image_write_at(m, slot, IMAGE_SLOT_BYTES, (gen % 2) * IMAGE_SLOT_BYTES);
    if (rc == 0)
        rc = sync_fd(m);
    if (rc == 0)
        m->header_generation = gen;
    return rc;
}

int image_faults_store(struct medium *m)
{
    size_t len = (size_t)MEDIUM_MAX_FAULTS * IMAGE_FAULT_BYTES;
    uint8_t *table;
    int rc;
    if (m->read_only)
        return -EROFS;
    table = malloc(len);
    if (!table)
        return -ENOMEM;
    (void)faults_encode(m, table);
    rc = image_write_at(m, table, len, m->fault_offset);
    if (rc == 0)
        rc = sync_fd(m); /* durable before the header that counts it (invariant 5) */
    free(table);
    return rc;
}

int image_format(struct medium *m)
{
    struct image_layout l;
    char *text = NULL;
    int rc, len;

    if (m->read_only)
        return -EROFS;
    text = malloc(IMAGE_PROFILE_MAX);
    if (!text)
        return -ENOMEM;
    len = medium_profile_format(&m->profile, text, IMAGE_PROFILE_MAX);
    if (len < 0) {
        rc = len == -ENOSPC ? -EFBIG : len;
        goto out;
    }
    if (len == 0) {
        rc = -EINVAL;
        goto out;
    }
    rc = layout_compute(m->clusters_per_layer, (uint64_t)len, &l);
    if (rc < 0)
        goto out;
    m->profile_bytes = (uint64_t)len;
    m->profile_crc = util_crc32(0, text, (size_t)len);
    m->fault_offset = l.fault_offset;
    m->meta_offset = l.meta_offset;
    m->data_offset = l.data_offset;
    m->image_bytes = l.image_bytes;
    if (!m->meta) {
        rc = tables_alloc(m);
        if (rc < 0)
            goto out;
    }

    /* invariant 7: empty the file, size it sparsely, headers last */
    if (m->io.ftruncate(m->fd, 0) < 0 || m->io.ftruncate(m->fd, (off_t)l.image_bytes) < 0) {
        rc = errno == EFBIG ? -EFBIG : -EIO;
        goto out;
    }
    rc = image_write_at(m, text, (size_t)len, l.profile_offset);
    if (rc < 0)
        goto out;
    if (m->fault_count > 0) {
        rc = image_faults_store(m);
        if (rc < 0)
            goto out;
    }
    rc = sync_fd(m);
    if (rc < 0)
        goto out;
    /* both slots valid from the start: generation 1 in slot B, 2 in slot A */
    m->header_generation = 0;
    rc = image_header_store(m);
    if (rc == 0)
        rc = image_header_store(m);
out:
    free(text);
    return rc;
}

/* Read the profile text and parse it (invariant 4). */
static int profile_load(struct medium *m, const struct image_header *h)
{
    struct medium_parse_error err;
    char *text = malloc((size_t)h->profile_bytes);
    int rc;
    if (!text)
        return -ENOMEM;
    rc = read_exact(m, text, (size_t)h->profile_bytes, h->profile_offset);
    if (rc < 0)
        goto out;
    if (util_crc32(0, text, (size_t)h->profile_bytes) != h->profile_crc) {
        rc = -EUCLEAN;
        goto out;
    }
    rc = medium_profile_parse(text, (size_t)h->profile_bytes, "<image>", &m->profile, &err);
    if (rc < 0) {
        rc = rc == -ENOMEM ? -ENOMEM : -EUCLEAN;
        goto out;
    }
    if (m->profile.seed != h->seed ||
        m->profile.capacity_per_layer % MEDIUM_USER_BYTES_PER_CLUSTER != 0 ||
        m->profile.capacity_per_layer / MEDIUM_USER_BYTES_PER_CLUSTER != h->clusters)
        rc = -EUCLEAN;
out:
    free(text);
    return rc;
}

static int faults_load(struct medium *m, const struct image_header *h)
{
    size_t len = (size_t)MEDIUM_MAX_FAULTS * IMAGE_FAULT_BYTES;
    uint8_t *table = malloc(len);
    int rc;
    if (!table)
        return -ENOMEM;
    rc = read_exact(m, table, len, h->fault_offset);
    if (rc < 0)
        goto out;
    if (util_crc32(0, table, (size_t)h->fault_count * IMAGE_FAULT_BYTES) != h->faults_crc) {
        rc = -EUCLEAN;
        goto out;
    }
    memset(m->faults, 0, sizeof m->faults);
    for (uint32_t i = 0; i < h->fault_count; i++) {
        rc = fault_decode(table + (size_t)i * IMAGE_FAULT_BYTES, i, &m->faults[i]);
        if (rc < 0)
            goto out;
    }
    m->fault_count = h->fault_count;
out:
    free(table);
    return rc;
}

/* Read the cluster table in chunks; corrupt entries are marked, not fatal. */
static int meta_load(struct medium *m, const struct image_header *h)
{
    const size_t chunk_entries = 16384; /* 1 MiB per read */
    uint64_t entries = h->clusters * MEDIUM_LAYER_COUNT;
    uint8_t *buf = malloc(chunk_entries * IMAGE_META_BYTES);
    int rc = 0;
    if (!buf)
        return -ENOMEM;
    for (uint64_t first = 0; first < entries; first += chunk_entries) {
        size_t n = (size_t)(entries - first < chunk_entries ? entries - first : chunk_entries);
        rc = read_exact(m, buf, n * IMAGE_META_BYTES, h->meta_offset + first * IMAGE_META_BYTES);
        if (rc < 0)
            break;
        for (size_t i = 0; i < n; i++)
            (void)meta_decode(buf + i * IMAGE_META_BYTES, first + i, &m->meta[first + i]);
    }
    free(buf);
    return rc;
}

int image_load(struct medium *m)
{
    struct image_header h;
    struct stat st;
    int rc;

    if (m->io.fstat(m->fd, &st) < 0)
        return -EIO;
    rc = header_read(m, &h);
    if (rc < 0)
        return rc;
    if (st.st_size < 0 || (uint64_t)st.st_size < h.image_bytes)
        return -EUCLEAN; /* truncated (invariant 3) */
    rc = profile_load(m, &h);
    if (rc < 0)
        return rc;
    rc = faults_load(m, &h);
    if (rc < 0)
        return rc;
    m->clusters_per_layer = h.clusters;
    rc = tables_alloc(m);
    if (rc < 0)
        return rc;
    rc = meta_load(m, &h);
    if (rc < 0) {
        free(m->meta);
        free(m->meta_dirty);
        m->meta = NULL;
        m->meta_dirty = NULL;
        return rc;
    }
    m->clock = h.clock;
    if (isnan(m->clock.humidity_pct)) /* a version-1 image: its humidity is the profile's */
        m->clock.humidity_pct = m->profile.humidity_pct;
    m->header_generation = h.generation;
    m->profile_bytes = h.profile_bytes;
    m->profile_crc = h.profile_crc;
    m->fault_offset = h.fault_offset;
    m->meta_offset = h.meta_offset;
    m->data_offset = h.data_offset;
    m->image_bytes = h.image_bytes;
    return 0;
}

/* Write entries [first, first + n) from buf, then clear their dirty bits. */
static int flush_run(struct medium *m, const uint8_t *buf, uint64_t first, size_t n)
{
    int rc = image_write_at(m, buf, n * IMAGE_META_BYTES,
                            m->meta_offset + first * IMAGE_META_BYTES);
    if (rc < 0)
        return rc; /* the bits stay set: a later sync retries */
    for (uint64_t k = first; k < first + n; k++)
        m->meta_dirty[k >> 3] &= (uint8_t)~(1u << (k & 7));
    return 0;
}

int image_meta_flush(struct medium *m)
{
    const size_t chunk_entries = 1024; /* 64 KiB per write */
    uint64_t entries = m->clusters_per_layer * MEDIUM_LAYER_COUNT;
    uint64_t run_first = 0;
    size_t run_len = 0;
    uint8_t *buf;
    int rc = 0;

    if (m->read_only)
        return 0;
    buf = malloc(chunk_entries * IMAGE_META_BYTES);
    if (!buf)
        return -ENOMEM;
    for (uint64_t i = 0; i < entries; i++) {
        if ((i & 7) == 0 && m->meta_dirty[i >> 3] == 0) {
            i += 7; /* a clean byte of the bitmap; bits past the end are never set */
            continue;
        }
        if (!((m->meta_dirty[i >> 3] >> (i & 7)) & 1))
            continue;
        if (run_len > 0 && (run_first + run_len != i || run_len == chunk_entries)) {
            rc = flush_run(m, buf, run_first, run_len);
            if (rc < 0)
                goto out;
            run_len = 0;
        }
        if (run_len == 0)
            run_first = i;
        meta_encode(&m->meta[i], i, buf + run_len * IMAGE_META_BYTES);
        run_len++;
    }
    if (run_len > 0)
        rc = flush_run(m, buf, run_first, run_len);
out:
    free(buf);
    return rc;
}
