/*
 * defect.c — defect management on the medium: the physical layout of a formatted layer
 * (DMA copies, inner and outer spare areas, user area), the defect management area
 * payload (DDS + statistics + DFL) with its explicit encoder and checking decoder, and
 * the sorted in-memory defect list. After Blu-ray's DMA with DDS and DFL, ISA/OSA spare
 * areas and cluster-level linear replacement (physics.md §3.7; DESIGN.md "src/sector").
 * It does no I/O and takes no lock: sector.c reads and writes the clusters and guards
 * the list; stats.c owns the meaning of the counters stored here.
 *
 * DMA FORMAT INVARIANTS (changing any of them changes the recorded format)
 *
 * (1) Placement. A layer of n clusters holds two DMA copies of K clusters each: copy
 *     2l at [0, K) and copy 2l + 1 at [n - K, n) of layer l. Cluster j of a copy carries
 *     payload bytes [65536 j, 65536 (j + 1)), recorded through the cluster codec at
 *     address (l, physical, SECTOR_DMA_LOGICAL) with zero control bytes, so the ECC and
 *     the address check protect it like any cluster. K is the smallest count that
 *     holds a full DFL (invariant 6) and follows from the profile alone.
 * (2) DDS, the first 128 payload bytes, little-endian:
 *       0 "PHFS-DMA"   8 le32 version (1)   12 le32 DDS bytes (128)
 *      16 le64 generation                   24 le32 copy index (0..3)
 *      28 le32 K       32 le64 n   40 le64 ISA clusters   48 le64 OSA clusters
 *      56 le64 spares used on L0   64 le64 spares used on L1
 *      72 le32 DFL entries   76 le32 zones (8)   80 le32 counters per zone (22)
 *      84 le32 statistics bytes   88 le32 payload bytes (128 + statistics + 8 entries)
 *      92..119 zero   120 le32 CRC-32 of payload [128, payload bytes)
 *     124 le32 CRC-32 of DDS [0, 124)
 *     Then the statistics: per layer, per zone the 22 le64 counters of
 *     sector_zone_to_array, then le64 DMA writes; then the DFL. Bytes past the payload
 *     are written as zero and ignored.
 * (3) Layout. K, n, ISA and OSA equal those derived from the image's profile
 *     (sector_layout_compute); a copy that disagrees is invalid.
 * (4) DFL entry: le32 (type << 30 | layer << 29 | defective), le32 replacement, with
 *     cluster numbers below 2^29. Entries are sorted strictly by (layer, defective).
 * (5) A REPLACED entry's defective cluster lies in its layer's user area and its
 *     replacement is a spare of the same layer whose index is below that layer's
 *     spares-used count. A BAD_SPARE entry's defective cluster is such a spare and its
 *     replacement is 0.
 * (6) Every spare appears in at most one entry, spares used <= ISA + OSA, so there are
 *     at most 2 (ISA + OSA) entries. Spares are taken in index order, ISA first.
 * (7) Generations. Format writes generation 1 to all copies; every change of the defect
 *     list (and every save of the statistics) writes generation + 1 to copies 0..3 in
 *     order, so a crash leaves at least one valid copy of the old or the new list. The
 *     valid copy of the newest generation wins (the lowest index on a tie); copies of
 *     one generation differ only in their copy index.
 */
#include "sector_priv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DDS_MAGIC "PHFS-DMA"
#define DMA_VERSION 1u
#define OFF_MAGIC 0
#define OFF_VERSION 8
#define OFF_DDS_BYTES 12
#define OFF_GENERATION 16
#define OFF_COPY 24
#define OFF_K 28
#define OFF_N 32
#define OFF_ISA 40
#define OFF_OSA 48
#define OFF_USED0 56
#define OFF_USED1 64
#define OFF_ENTRIES 72
#define OFF_ZONES 76
#define OFF_ZONE_COUNTERS 80
#define OFF_STATS_BYTES 84
#define OFF_PAYLOAD_BYTES 88
#define OFF_RESERVED 92
#define OFF_PAYLOAD_CRC 120
#define OFF_DDS_CRC 124

_Static_assert(OFF_DDS_CRC + 4 == SECTOR_DDS_BYTES, "the DDS is 128 bytes");
_Static_assert(OFF_RESERVED < OFF_PAYLOAD_CRC, "reserved run before the CRCs");
_Static_assert(SECTOR_STATS_BYTES == 2u * (8u * 22u + 1u) * 8u, "statistics block size");
_Static_assert(SECTOR_DFL_ENTRY_BYTES == 8u, "a DFL entry is two le32");
_Static_assert(MEDIUM_LAYER_COUNT == 2, "one layer bit in a DFL entry");

#define ENTRY_NUM_MASK 0x1fffffffu

/* ---- layout --------------------------------------------------------------------- */

uint64_t sector_spare_clusters(double fraction, uint64_t bytes, uint64_t n)
{
    uint64_t c;
    if (bytes > 0) {
        c = bytes / MEDIUM_USER_BYTES_PER_CLUSTER + (bytes % MEDIUM_USER_BYTES_PER_CLUSTER != 0);
    } else {
        double x = fraction > 0 && isfinite(fraction) ? fraction * (double)n : 0.0;
        c = x >= (double)n ? n : (uint64_t)llround(x);
    }
    return c < 1 ? 1 : c;
}

int sector_layout_compute(const struct medium_profile *p, uint64_t n, struct sector_layout *out)
{
    if (!p || !out || n == 0 || n - 1 > SECTOR_MAX_PHYSICAL)
        return -EINVAL;
    uint64_t isa = sector_spare_clusters(p->format.inner_spare_fraction,
                                         p->format.inner_spare_bytes, n);
    uint64_t osa = sector_spare_clusters(p->format.outer_spare_fraction,
                                         p->format.outer_spare_bytes, n);
    if (isa >= n || osa >= n)
        return -EINVAL;
    uint64_t payload = sector_dma_payload_bytes(2 * (isa + osa));
    uint64_t k = (payload + SECTOR_CLUSTER_USER_BYTES - 1) / SECTOR_CLUSTER_USER_BYTES;
    if (2 * k + isa + osa >= n) /* at least one user cluster per layer */
        return -EINVAL;
    memset(out, 0, sizeof *out);
    out->layer_clusters = n;
    out->dma_clusters = (uint32_t)k;
    out->isa = isa;
    out->osa = osa;
    out->user_start = k + isa;
    out->user = n - 2 * k - isa - osa;
    return 0;
}

uint64_t sector_layout_spare_physical(const struct sector_layout *l, uint64_t s)
{
    if (s < l->isa)
        return l->dma_clusters + s;
    return l->user_start + l->user + (s - l->isa);
}

int64_t sector_layout_spare_index(const struct sector_layout *l, uint64_t phys)
{
    if (phys >= l->dma_clusters && phys < l->user_start)
        return (int64_t)(phys - l->dma_clusters);
    uint64_t osa0 = l->user_start + l->user;
    if (phys >= osa0 && phys < osa0 + l->osa)
        return (int64_t)(l->isa + (phys - osa0));
    return -1;
}

uint64_t sector_layout_dma_physical(const struct sector_layout *l, unsigned c, uint32_t j)
{
    return (c % 2 == 0) ? j : l->layer_clusters - l->dma_clusters + j;
}

void sector_layout_map(const struct sector_layout *l, uint64_t lcn, unsigned *layer,
                       uint64_t *physical)
{
    if (lcn < l->user) {
        *layer = MEDIUM_LAYER_FAR; /* L0: inner -> outer */
        *physical = l->user_start + lcn;
    } else {
        *layer = MEDIUM_LAYER_NEAR; /* L1: outer -> inner */
        *physical = l->user_start + l->user - 1 - (lcn - l->user);
    }
}

/* ---- the defect list in memory ---------------------------------------------------- */

static int key_cmp(unsigned la, uint64_t da, unsigned lb, uint64_t db)
{
    if (la != lb)
        return la < lb ? -1 : 1;
    return da < db ? -1 : da > db ? 1 : 0;
}

/* Index of the first entry not below (layer, defective). */
static uint32_t lower_bound(const struct sector_dfl *d, unsigned layer, uint64_t defective)
{
    uint32_t lo = 0, hi = d->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (key_cmp(d->e[mid].layer, d->e[mid].defective, layer, defective) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct sector_dfl_entry *sector_dfl_find(const struct sector_dfl *d, unsigned layer,
                                               uint64_t defective)
{
    if (!d || d->count == 0)
        return NULL;
    uint32_t i = lower_bound(d, layer, defective);
    if (i < d->count && d->e[i].layer == layer && d->e[i].defective == defective)
        return &d->e[i];
    return NULL;
}

int sector_dfl_put(struct sector_dfl *d, uint8_t type, unsigned layer, uint64_t defective,
                   uint64_t replacement)
{
    if (!d || layer >= MEDIUM_LAYER_COUNT || defective > SECTOR_MAX_PHYSICAL ||
        replacement > SECTOR_MAX_PHYSICAL)
        return -EINVAL;
    uint32_t i = lower_bound(d, layer, defective);
    if (!(i < d->count && d->e[i].layer == layer && d->e[i].defective == defective)) {
        if (d->count >= d->cap)
            return -ENOSPC;
        memmove(&d->e[i + 1], &d->e[i], (size_t)(d->count - i) * sizeof d->e[0]);
        d->count++;
    }
    d->e[i].type = type;
    d->e[i].layer = (uint8_t)layer;
    d->e[i].defective = (uint32_t)defective;
    d->e[i].replacement = (uint32_t)replacement;
    return 0;
}

/* ---- DMA payload ------------------------------------------------------------------ */

size_t sector_dma_payload_bytes(uint64_t entries)
{
    return SECTOR_DDS_BYTES + SECTOR_STATS_BYTES + (size_t)entries * SECTOR_DFL_ENTRY_BYTES;
}

int sector_dma_encode(const struct sector_dma *d, uint8_t *buf, size_t cap)
{
    if (!d || !buf || (d->dfl.count && !d->dfl.e))
        return -EINVAL;
    size_t payload = sector_dma_payload_bytes(d->dfl.count);
    if (payload > cap || payload > UINT32_MAX)
        return -ENOSPC;
    memset(buf, 0, cap);
    memcpy(buf + OFF_MAGIC, DDS_MAGIC, 8);
    util_le32_put(buf + OFF_VERSION, DMA_VERSION);
    util_le32_put(buf + OFF_DDS_BYTES, SECTOR_DDS_BYTES);
    util_le64_put(buf + OFF_GENERATION, d->generation);
    util_le32_put(buf + OFF_COPY, d->copy);
    util_le32_put(buf + OFF_K, d->dma_clusters);
    util_le64_put(buf + OFF_N, d->layer_clusters);
    util_le64_put(buf + OFF_ISA, d->isa);
    util_le64_put(buf + OFF_OSA, d->osa);
    util_le64_put(buf + OFF_USED0, d->spares_used[0]);
    util_le64_put(buf + OFF_USED1, d->spares_used[1]);
    util_le32_put(buf + OFF_ENTRIES, d->dfl.count);
    util_le32_put(buf + OFF_ZONES, SECTOR_ZONES);
    util_le32_put(buf + OFF_ZONE_COUNTERS, SECTOR_ZONE_COUNTERS);
    util_le32_put(buf + OFF_STATS_BYTES, SECTOR_STATS_BYTES);
    util_le32_put(buf + OFF_PAYLOAD_BYTES, (uint32_t)payload);

    uint8_t *p = buf + SECTOR_DDS_BYTES;
    uint64_t v[SECTOR_ZONE_COUNTERS];
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        for (unsigned z = 0; z < SECTOR_ZONES; z++) {
            sector_zone_to_array(&d->counters.zone[l][z], v);
            for (unsigned i = 0; i < SECTOR_ZONE_COUNTERS; i++, p += 8)
                util_le64_put(p, v[i]);
        }
        util_le64_put(p, d->counters.dma_writes[l]);
        p += 8;
    }
    for (uint32_t i = 0; i < d->dfl.count; i++, p += SECTOR_DFL_ENTRY_BYTES) {
        const struct sector_dfl_entry *e = &d->dfl.e[i];
        if ((e->type != SECTOR_DFL_REPLACED && e->type != SECTOR_DFL_BAD_SPARE) ||
            e->layer >= MEDIUM_LAYER_COUNT || e->defective > ENTRY_NUM_MASK ||
            e->replacement > ENTRY_NUM_MASK)
            return -EINVAL;
        util_le32_put(p, (uint32_t)e->type << 30 | (uint32_t)e->layer << 29 | e->defective);
        util_le32_put(p + 4, e->replacement);
    }
    util_le32_put(buf + OFF_PAYLOAD_CRC,
                  util_crc32(0, buf + SECTOR_DDS_BYTES, payload - SECTOR_DDS_BYTES));
    util_le32_put(buf + OFF_DDS_CRC, util_crc32(0, buf, OFF_DDS_CRC));
    return 0;
}

/* Invariants 4-6 against layout l; used is a scratch bitmap of isa + osa bits. */
static int check_entries(const struct sector_dma *d, const struct sector_layout *l)
{
    uint64_t spares = l->isa + l->osa;
    size_t words = (size_t)((spares + 63) / 64);
    uint64_t *used[MEDIUM_LAYER_COUNT] = {NULL, NULL};
    int rc = 0;

    for (unsigned i = 0; i < MEDIUM_LAYER_COUNT; i++) {
        if (d->spares_used[i] > spares)
            return -EUCLEAN;
        used[i] = calloc(words ? words : 1, sizeof(uint64_t));
        if (!used[i]) {
            rc = -ENOMEM;
            goto out;
        }
    }
    if (d->dfl.count > 2 * spares) {
        rc = -EUCLEAN;
        goto out;
    }
    for (uint32_t i = 0; i < d->dfl.count; i++) {
        const struct sector_dfl_entry *e = &d->dfl.e[i];
        uint64_t spare_phys;
        if (i > 0 && key_cmp(d->dfl.e[i - 1].layer, d->dfl.e[i - 1].defective, e->layer,
                             e->defective) >= 0) {
            rc = -EUCLEAN; /* (4) sorted, no duplicates */
            goto out;
        }
        if (e->type == SECTOR_DFL_REPLACED) {
            if (e->defective < l->user_start || e->defective >= l->user_start + l->user) {
                rc = -EUCLEAN;
                goto out;
            }
            spare_phys = e->replacement;
        } else {
            if (e->replacement != 0) {
                rc = -EUCLEAN;
                goto out;
            }
            spare_phys = e->defective;
        }
        int64_t s = sector_layout_spare_index(l, spare_phys);
        if (s < 0 || (uint64_t)s >= d->spares_used[e->layer]) {
            rc = -EUCLEAN; /* (5) a spare already taken */
            goto out;
        }
        uint64_t *bm = used[e->layer];
        if (bm[s / 64] & (1ULL << (s % 64))) {
            rc = -EUCLEAN; /* (6) each spare once */
            goto out;
        }
        bm[s / 64] |= 1ULL << (s % 64);
    }
out:
    for (unsigned i = 0; i < MEDIUM_LAYER_COUNT; i++)
        free(used[i]);
    return rc;
}

int sector_dma_decode(const uint8_t *buf, size_t len, const struct sector_layout *l,
                      struct sector_dma *d)
{
    if (!buf || !d || (d->dfl.cap && !d->dfl.e))
        return -EINVAL;
    if (len < SECTOR_DDS_BYTES)
        return -EBADMSG;
    if (memcmp(buf + OFF_MAGIC, DDS_MAGIC, 8) != 0 ||
        util_crc32(0, buf, OFF_DDS_CRC) != util_le32_get(buf + OFF_DDS_CRC))
        return -EBADMSG;
    if (util_le32_get(buf + OFF_VERSION) != DMA_VERSION)
        return -EPROTO;
    for (unsigned i = OFF_RESERVED; i < OFF_PAYLOAD_CRC; i++)
        if (buf[i] != 0)
            return -EUCLEAN;
    uint32_t entries = util_le32_get(buf + OFF_ENTRIES);
    uint32_t payload = util_le32_get(buf + OFF_PAYLOAD_BYTES);
    if (util_le32_get(buf + OFF_DDS_BYTES) != SECTOR_DDS_BYTES ||
        util_le32_get(buf + OFF_ZONES) != SECTOR_ZONES ||
        util_le32_get(buf + OFF_ZONE_COUNTERS) != SECTOR_ZONE_COUNTERS ||
        util_le32_get(buf + OFF_STATS_BYTES) != SECTOR_STATS_BYTES ||
        util_le32_get(buf + OFF_COPY) >= SECTOR_DMA_COPIES ||
        payload != sector_dma_payload_bytes(entries) || payload > len)
        return -EUCLEAN;
    if (util_crc32(0, buf + SECTOR_DDS_BYTES, payload - SECTOR_DDS_BYTES) !=
        util_le32_get(buf + OFF_PAYLOAD_CRC))
        return -EBADMSG;
    if (entries > d->dfl.cap)
        return -EUCLEAN;

    struct sector_dma t;
    memset(&t, 0, sizeof t);
    t.generation = util_le64_get(buf + OFF_GENERATION);
    t.copy = util_le32_get(buf + OFF_COPY);
    t.dma_clusters = util_le32_get(buf + OFF_K);
    t.layer_clusters = util_le64_get(buf + OFF_N);
    t.isa = util_le64_get(buf + OFF_ISA);
    t.osa = util_le64_get(buf + OFF_OSA);
    t.spares_used[0] = util_le64_get(buf + OFF_USED0);
    t.spares_used[1] = util_le64_get(buf + OFF_USED1);
    if (t.generation == 0 || t.dma_clusters == 0 || t.layer_clusters == 0 ||
        t.layer_clusters - 1 > SECTOR_MAX_PHYSICAL || t.isa == 0 || t.osa == 0 ||
        t.isa >= t.layer_clusters || t.osa >= t.layer_clusters ||
        t.spares_used[0] > t.isa + t.osa || t.spares_used[1] > t.isa + t.osa)
        return -EUCLEAN;
    if (l && (t.dma_clusters != l->dma_clusters || t.layer_clusters != l->layer_clusters ||
              t.isa != l->isa || t.osa != l->osa))
        return -EUCLEAN; /* (3) */

    const uint8_t *p = buf + SECTOR_DDS_BYTES;
    uint64_t v[SECTOR_ZONE_COUNTERS];
    for (unsigned ly = 0; ly < MEDIUM_LAYER_COUNT; ly++) {
        for (unsigned z = 0; z < SECTOR_ZONES; z++) {
            for (unsigned i = 0; i < SECTOR_ZONE_COUNTERS; i++, p += 8)
                v[i] = util_le64_get(p);
            sector_zone_from_array(&t.counters.zone[ly][z], v);
        }
        t.counters.dma_writes[ly] = util_le64_get(p);
        p += 8;
    }
    t.dfl.e = d->dfl.e;
    t.dfl.cap = d->dfl.cap;
    /* every entry well-formed before anything reaches the caller's array */
    for (uint32_t i = 0; i < entries; i++, p += SECTOR_DFL_ENTRY_BYTES) {
        uint8_t type = (uint8_t)(util_le32_get(p) >> 30);
        if ((type != SECTOR_DFL_REPLACED && type != SECTOR_DFL_BAD_SPARE) ||
            util_le32_get(p + 4) > ENTRY_NUM_MASK)
            return -EUCLEAN;
    }
    p = buf + SECTOR_DDS_BYTES + SECTOR_STATS_BYTES;
    struct sector_dfl_entry *saved = NULL;
    if (l && entries) {
        /* checked against the layout in a copy, so *d is untouched on failure */
        saved = malloc((size_t)entries * sizeof *saved);
        if (!saved)
            return -ENOMEM;
        t.dfl.e = saved;
        t.dfl.cap = entries;
    }
    for (uint32_t i = 0; i < entries; i++, p += SECTOR_DFL_ENTRY_BYTES) {
        uint32_t w = util_le32_get(p);
        t.dfl.e[i].type = (uint8_t)(w >> 30);
        t.dfl.e[i].layer = (uint8_t)((w >> 29) & 1u);
        t.dfl.e[i].defective = w & ENTRY_NUM_MASK;
        t.dfl.e[i].replacement = util_le32_get(p + 4);
    }
    t.dfl.count = entries;
    if (l) {
        int rc = check_entries(&t, l);
        if (rc < 0) {
            free(saved);
            return rc;
        }
        if (saved) {
            memcpy(d->dfl.e, saved, (size_t)entries * sizeof *saved);
            free(saved);
        }
    }
    t.dfl.e = d->dfl.e;
    t.dfl.cap = d->dfl.cap;
    *d = t;
    return 0;
}

int sector_dma_pick(const int *rc, const uint64_t *gen, unsigned n)
{
    int best = -1;
    for (unsigned i = 0; i < n; i++)
        if (rc[i] == 0 && (best < 0 || gen[i] > gen[(unsigned)best]))
            best = (int)i;
    return best;
}
