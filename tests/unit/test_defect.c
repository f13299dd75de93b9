/*
 * test_defect.c — unit tests of src/sector/defect.c and stats.c without a medium: the
 * layout of a formatted layer (spare sizes from physics.md §3.7, the track path of
 * §3.6), the DMA payload round trip with its byte offsets checked against the
 * documented format (defect.c invariant 2), the choice of the newest valid copy
 * (invariant 7), CRC failures, inconsistent defect lists (invariants 3-6), the sorted
 * in-memory list, zones, and a fuzz of corrupt and truncated payloads that must never
 * crash (run it under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sector_priv.h"

#define PAYLOAD_CAP (2u * SECTOR_CLUSTER_USER_BYTES)

static void preset(struct medium_profile *p, uint64_t capacity)
{
    assert_int_equal(medium_profile_preset("bd-re-dl", p), 0);
    p->capacity_per_layer = capacity;
}

/* A 128-cluster layer with 8 + 8 spares: K = 1, user area [9, 119). */
static void small_layout(struct sector_layout *l)
{
    struct medium_profile p;
    preset(&p, 128 * 65536ULL);
    p.format.inner_spare_fraction = p.format.outer_spare_fraction = 0;
    p.format.inner_spare_bytes = p.format.outer_spare_bytes = 8 * 65536ULL;
    assert_int_equal(sector_layout_compute(&p, 128, l), 0);
}

static void test_defect_layout_default_spares(void **state)
{
    (void)state;
    struct medium_profile p;
    struct sector_layout l;
    /* physics.md §3.7: ISA 256 MiB, OSA 512 MiB of the real 381,856-cluster layer */
    preset(&p, MEDIUM_REAL_LAYER_BYTES);
    assert_int_equal(sector_layout_compute(&p, 381856, &l), 0);
    assert_int_equal(l.isa, 256 * 1024 * 1024 / 65536);
    assert_int_equal(l.osa, 512 * 1024 * 1024 / 65536);
    /* the DFL of 2 x 12,288 spares at 8 B plus 128 + 2,832 B: 199,568 B = 4 clusters */
    assert_int_equal(l.dma_clusters, 4);
    assert_int_equal(l.user, 381856 - 2 * 4 - 4096 - 8192);
    assert_int_equal(l.user_start, 4 + 4096);

    /* a 2 MiB layer: 1.07 % and 2.15 % of 32 clusters round to 0 and 1; at least 1 each */
    preset(&p, 2 << 20);
    assert_int_equal(sector_layout_compute(&p, 32, &l), 0);
    assert_int_equal(l.isa, 1);
    assert_int_equal(l.osa, 1);
    assert_int_equal(l.dma_clusters, 1);
    assert_int_equal(l.user, 28);

    /* sizes round up to whole clusters */
    assert_int_equal(sector_spare_clusters(0, 100000, 1000), 2);
    assert_int_equal(sector_spare_clusters(0.10, 0, 1000), 100);
    assert_int_equal(sector_spare_clusters(0, 0, 1000), 1);

    /* no user cluster left: refused */
    p.format.inner_spare_fraction = 0.5;
    p.format.outer_spare_fraction = 0.5;
    assert_int_equal(sector_layout_compute(&p, 32, &l), -EINVAL);
    assert_int_equal(sector_layout_compute(NULL, 32, &l), -EINVAL);
}

static void test_defect_layout_track_path(void **state)
{
    (void)state;
    struct sector_layout l;
    small_layout(&l);
    assert_int_equal(l.dma_clusters, 1);
    assert_int_equal(l.user_start, 9);
    assert_int_equal(l.user, 110);
    unsigned layer;
    uint64_t phys;
    /* L0 inner -> outer */
    sector_layout_map(&l, 0, &layer, &phys);
    assert_int_equal(layer, 0);
    assert_int_equal(phys, 9);
    sector_layout_map(&l, 109, &layer, &phys);
    assert_int_equal(layer, 0);
    assert_int_equal(phys, 118);
    /* then L1 outer -> inner */
    sector_layout_map(&l, 110, &layer, &phys);
    assert_int_equal(layer, 1);
    assert_int_equal(phys, 118);
    sector_layout_map(&l, 219, &layer, &phys);
    assert_int_equal(layer, 1);
    assert_int_equal(phys, 9);
    /* spares: ISA [1, 9), OSA [119, 127); DMA copies at 0 and 127 */
    assert_int_equal(sector_layout_spare_physical(&l, 0), 1);
    assert_int_equal(sector_layout_spare_physical(&l, 7), 8);
    assert_int_equal(sector_layout_spare_physical(&l, 8), 119);
    assert_int_equal(sector_layout_spare_physical(&l, 15), 126);
    for (uint64_t s = 0; s < 16; s++)
        assert_int_equal(sector_layout_spare_index(&l, sector_layout_spare_physical(&l, s)), s);
    assert_int_equal(sector_layout_spare_index(&l, 0), -1);
    assert_int_equal(sector_layout_spare_index(&l, 9), -1);
    assert_int_equal(sector_layout_spare_index(&l, 118), -1);
    assert_int_equal(sector_layout_spare_index(&l, 127), -1);
    assert_int_equal(sector_layout_dma_physical(&l, 0, 0), 0);
    assert_int_equal(sector_layout_dma_physical(&l, 1, 0), 127);
    assert_int_equal(sector_layout_dma_physical(&l, 2, 0), 0);
    assert_int_equal(sector_layout_dma_physical(&l, 3, 0), 127);
}

/* A DMA of the small layout with a few consistent entries. */
static void sample_dma(struct sector_dma *d, struct sector_dfl_entry *e, uint32_t cap)
{
    memset(d, 0, sizeof *d);
    d->generation = 0x0102030405060708ULL;
    d->copy = 2;
    d->layer_clusters = 128;
    d->dma_clusters = 1;
    d->isa = 8;
    d->osa = 8;
    d->spares_used[0] = 3;
    d->spares_used[1] = 9;
    d->dfl.e = e;
    d->dfl.cap = cap;
    assert_int_equal(sector_dfl_put(&d->dfl, SECTOR_DFL_REPLACED, 1, 50, 119), 0);
    assert_int_equal(sector_dfl_put(&d->dfl, SECTOR_DFL_REPLACED, 0, 20, 1), 0);
    assert_int_equal(sector_dfl_put(&d->dfl, SECTOR_DFL_BAD_SPARE, 0, 2, 0), 0);
    assert_int_equal(sector_dfl_put(&d->dfl, SECTOR_DFL_REPLACED, 0, 10, 3), 0);
    for (unsigned l = 0; l < 2; l++)
        for (unsigned z = 0; z < SECTOR_ZONES; z++) {
            struct sector_zone_stats *s = &d->counters.zone[l][z];
            s->reads = 1000 * l + z + 1;
            s->max_corrected = z;
            s->hist[SECTOR_HIST_FAILED] = 7 + z;
            s->erasures = 1ULL << 40;
        }
    d->counters.dma_writes[1] = 99;
}

static void test_defect_dma_round_trip(void **state)
{
    (void)state;
    struct sector_layout l;
    struct sector_dma d, back;
    struct sector_dfl_entry e[32], eb[32];
    uint8_t *buf = malloc(PAYLOAD_CAP);
    assert_non_null(buf);
    small_layout(&l);
    sample_dma(&d, e, 32);
    assert_int_equal(d.dfl.count, 4);
    assert_int_equal(sector_dma_encode(&d, buf, PAYLOAD_CAP), 0);

    /* the documented byte format (defect.c invariant 2), read independently */
    assert_memory_equal(buf, "PHFS-DMA", 8);
    assert_int_equal(util_le32_get(buf + 8), 1);
    assert_int_equal(util_le32_get(buf + 12), 128);
    assert_int_equal(buf[16], 0x08);
    assert_int_equal(buf[23], 0x01);
    assert_int_equal(util_le32_get(buf + 24), 2);
    assert_int_equal(util_le64_get(buf + 32), 128);
    assert_int_equal(util_le32_get(buf + 72), 4);
    size_t payload = 128 + 2u * (8u * 22u + 1u) * 8u + 4 * 8;
    assert_int_equal(util_le32_get(buf + 88), payload);
    assert_int_equal(util_le32_get(buf + 124), util_crc32(0, buf, 124));
    assert_int_equal(util_le32_get(buf + 120), util_crc32(0, buf + 128, payload - 128));
    /* the first DFL entry, sorted first: layer 0, cluster 2, a bad spare (type 2) */
    const uint8_t *dfl = buf + 128 + 2u * (8u * 22u + 1u) * 8u;
    assert_int_equal(util_le32_get(dfl), (2u << 30) | 2u);
    assert_int_equal(util_le32_get(dfl + 4), 0);
    /* the last: layer 1 cluster 50 -> 119 */
    assert_int_equal(util_le32_get(dfl + 24), (1u << 30) | (1u << 29) | 50u);
    assert_int_equal(util_le32_get(dfl + 28), 119);
    /* first stats counter: L0 zone 0 reads */
    assert_int_equal(util_le64_get(buf + 128), 1);

    memset(&back, 0, sizeof back);
    back.dfl.e = eb;
    back.dfl.cap = 32;
    assert_int_equal(sector_dma_decode(buf, PAYLOAD_CAP, &l, &back), 0);
    assert_int_equal(back.generation, d.generation);
    assert_int_equal(back.copy, 2);
    assert_int_equal(back.spares_used[0], 3);
    assert_int_equal(back.spares_used[1], 9);
    assert_int_equal(back.dfl.count, 4);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(back.dfl.e[i].type, d.dfl.e[i].type);
        assert_int_equal(back.dfl.e[i].layer, d.dfl.e[i].layer);
        assert_int_equal(back.dfl.e[i].defective, d.dfl.e[i].defective);
        assert_int_equal(back.dfl.e[i].replacement, d.dfl.e[i].replacement);
    }
    for (unsigned ly = 0; ly < 2; ly++)
        for (unsigned z = 0; z < SECTOR_ZONES; z++) {
            assert_int_equal(back.counters.zone[ly][z].reads, 1000 * ly + z + 1);
            assert_int_equal(back.counters.zone[ly][z].max_corrected, z);
            assert_int_equal(back.counters.zone[ly][z].hist[SECTOR_HIST_FAILED], 7 + z);
            assert_int_equal(back.counters.zone[ly][z].erasures, 1ULL << 40);
        }
    assert_int_equal(back.counters.dma_writes[1], 99);

    /* too small a buffer to encode into */
    assert_int_equal(sector_dma_encode(&d, buf, 200), -ENOSPC);
    /* a layout other than the one recorded (invariant 3) */
    struct sector_layout other = l;
    other.osa = 9;
    assert_int_equal(sector_dma_decode(buf, PAYLOAD_CAP, &other, &back), -EUCLEAN);
    /* truncated before the end of the payload */
    assert_int_equal(sector_dma_decode(buf, payload - 1, &l, &back), -EUCLEAN);
    assert_int_equal(sector_dma_decode(buf, 100, &l, &back), -EBADMSG);
    free(buf);
}

static void test_defect_dma_generation_pick(void **state)
{
    (void)state;
    int rc[4] = {0, 0, 0, 0};
    uint64_t gen[4] = {5, 7, 7, 6};
    assert_int_equal(sector_dma_pick(rc, gen, 4), 1); /* newest; lowest index on a tie */
    rc[1] = -EBADMSG;
    assert_int_equal(sector_dma_pick(rc, gen, 4), 2);
    rc[2] = -EUCLEAN;
    assert_int_equal(sector_dma_pick(rc, gen, 4), 3);
    rc[3] = -ENODATA;
    assert_int_equal(sector_dma_pick(rc, gen, 4), 0);
    rc[0] = -EIO;
    assert_int_equal(sector_dma_pick(rc, gen, 4), -1);
}

static void test_defect_dma_crc_detects_flips(void **state)
{
    (void)state;
    struct sector_layout l;
    struct sector_dma d, back;
    struct sector_dfl_entry e[32], eb[32];
    uint8_t *buf = malloc(PAYLOAD_CAP), *orig = malloc(PAYLOAD_CAP);
    assert_non_null(buf);
    assert_non_null(orig);
    small_layout(&l);
    sample_dma(&d, e, 32);
    assert_int_equal(sector_dma_encode(&d, orig, PAYLOAD_CAP), 0);
    size_t payload = util_le32_get(orig + 88);
    /* one bit anywhere in the DDS or the payload: the CRC catches it */
    for (size_t off = 0; off < payload; off += 7) {
        memcpy(buf, orig, PAYLOAD_CAP);
        buf[off] ^= (uint8_t)(1u << (off % 8));
        memset(&back, 0, sizeof back);
        back.dfl.e = eb;
        back.dfl.cap = 32;
        int rc = sector_dma_decode(buf, PAYLOAD_CAP, &l, &back);
        assert_true(rc == -EBADMSG || rc == -EUCLEAN || rc == -EPROTO);
        if (off >= 128)
            assert_int_equal(rc, -EBADMSG); /* past the DDS only the payload CRC guards */
    }
    /* bytes after the payload are ignored */
    memcpy(buf, orig, PAYLOAD_CAP);
    buf[payload + 10] ^= 0xff;
    back.dfl.e = eb;
    back.dfl.cap = 32;
    assert_int_equal(sector_dma_decode(buf, PAYLOAD_CAP, &l, &back), 0);
    free(buf);
    free(orig);
}

/* Re-seal the CRCs after editing fields, so the field checks themselves are tested. */
static void reseal(uint8_t *buf)
{
    uint32_t payload = util_le32_get(buf + 88);
    if (payload >= 128 && payload <= PAYLOAD_CAP)
        util_le32_put(buf + 120, util_crc32(0, buf + 128, payload - 128));
    util_le32_put(buf + 124, util_crc32(0, buf, 124));
}

static int decode_edited(const uint8_t *orig, void (*edit)(uint8_t *),
                         const struct sector_layout *l)
{
    static uint8_t buf[PAYLOAD_CAP];
    struct sector_dfl_entry eb[32];
    struct sector_dma back;
    memcpy(buf, orig, PAYLOAD_CAP);
    edit(buf);
    reseal(buf);
    memset(&back, 0, sizeof back);
    back.dfl.e = eb;
    back.dfl.cap = 32;
    return sector_dma_decode(buf, PAYLOAD_CAP, l, &back);
}

#define DFL_AT(b, i) ((b) + 128 + 2u * (8u * 22u + 1u) * 8u + 8u * (i))

static void swap_entries(uint8_t *b) /* (4) sorted */
{
    uint8_t t[8];
    memcpy(t, DFL_AT(b, 0), 8);
    memcpy(DFL_AT(b, 0), DFL_AT(b, 1), 8);
    memcpy(DFL_AT(b, 1), t, 8);
}
static void spare_not_taken(uint8_t *b) /* (5) replacement index >= spares used */
{
    util_le32_put(DFL_AT(b, 3) + 4, 119 + 7); /* spare index 15 > 9 used on L1 */
}
static void replacement_not_spare(uint8_t *b) /* (5) replacement in the user area */
{
    util_le32_put(DFL_AT(b, 3) + 4, 60);
}
static void defective_not_user(uint8_t *b) /* (5) a REPLACED entry of a spare */
{
    util_le32_put(DFL_AT(b, 3), (1u << 30) | (1u << 29) | 120u);
}
static void spare_twice(uint8_t *b) /* (6) L0 spare 3 (cluster 3) used twice */
{
    util_le32_put(DFL_AT(b, 2) + 4, 3); /* (0,10)->3 already; now (0,20)->3 too */
}
static void used_beyond_spares(uint8_t *b) /* (6) */
{
    util_le64_put(b + 56, 17);
}
static void bad_type(uint8_t *b) /* type 0 */
{
    util_le32_put(DFL_AT(b, 0), 2u);
}
static void bad_version(uint8_t *b)
{
    util_le32_put(b + 8, 2);
}
static void reserved_set(uint8_t *b)
{
    b[100] = 1;
}
static void entries_huge(uint8_t *b)
{
    util_le32_put(b + 72, 0xffffffffu);
}
static void generation_zero(uint8_t *b)
{
    util_le64_put(b + 16, 0);
}

static void test_defect_dma_inconsistent_list_rejected(void **state)
{
    (void)state;
    struct sector_layout l;
    struct sector_dma d;
    struct sector_dfl_entry e[32];
    uint8_t *orig = malloc(PAYLOAD_CAP);
    assert_non_null(orig);
    small_layout(&l);
    sample_dma(&d, e, 32);
    assert_int_equal(sector_dma_encode(&d, orig, PAYLOAD_CAP), 0);
    assert_int_equal(decode_edited(orig, reserved_set, NULL), -EUCLEAN);
    assert_int_equal(decode_edited(orig, swap_entries, &l), -EUCLEAN);
    assert_int_equal(decode_edited(orig, spare_not_taken, &l), -EUCLEAN);
    assert_int_equal(decode_edited(orig, replacement_not_spare, &l), -EUCLEAN);
    assert_int_equal(decode_edited(orig, defective_not_user, &l), -EUCLEAN);
    assert_int_equal(decode_edited(orig, spare_twice, &l), -EUCLEAN);
    assert_int_equal(decode_edited(orig, used_beyond_spares, &l), -EUCLEAN);
    assert_int_equal(decode_edited(orig, bad_type, &l), -EUCLEAN);
    assert_int_equal(decode_edited(orig, bad_version, &l), -EPROTO);
    assert_int_equal(decode_edited(orig, entries_huge, &l), -EUCLEAN);
    assert_int_equal(decode_edited(orig, generation_zero, &l), -EUCLEAN);
    free(orig);
}

static void test_defect_dma_fuzz_never_crashes(void **state)
{
    (void)state;
    struct sector_layout l;
    struct sector_dma d, back;
    struct sector_dfl_entry e[32], eb[32];
    uint8_t *orig = malloc(PAYLOAD_CAP), *buf = malloc(PAYLOAD_CAP);
    struct util_rng rng;
    unsigned accepted = 0;
    assert_non_null(orig);
    assert_non_null(buf);
    small_layout(&l);
    sample_dma(&d, e, 32);
    assert_int_equal(sector_dma_encode(&d, orig, PAYLOAD_CAP), 0);
    util_rng_stream(&rng, 42, 0xdefec7, 0, 0, 0);
    for (unsigned it = 0; it < 20000; it++) {
        memcpy(buf, orig, PAYLOAD_CAP);
        unsigned flips = 1 + (unsigned)util_rng_below(&rng, 8);
        for (unsigned f = 0; f < flips; f++) {
            /* mostly in the DDS and the DFL, where the fields are */
            size_t off = util_rng_below(&rng, 2) ? util_rng_below(&rng, 128)
                                                 : (size_t)(DFL_AT(buf, 0) - buf) +
                                                       util_rng_below(&rng, 40);
            buf[off] = (uint8_t)util_rng_u64(&rng);
        }
        if (util_rng_below(&rng, 4))
            reseal(buf);
        size_t len = util_rng_below(&rng, 5) ? PAYLOAD_CAP : util_rng_below(&rng, PAYLOAD_CAP);
        memset(&back, 0, sizeof back);
        back.dfl.e = eb;
        back.dfl.cap = 32;
        int rc = sector_dma_decode(buf, len, util_rng_below(&rng, 4) ? &l : NULL, &back);
        assert_true(rc == 0 || rc == -EBADMSG || rc == -EUCLEAN || rc == -EPROTO);
        if (rc == 0) {
            accepted++;
            assert_true(back.dfl.count <= 32);
        }
    }
    /* some resealed edits only touch counters or keep a consistent list */
    print_message("# fuzz: %u of 20000 corrupted payloads accepted as consistent\n", accepted);
    free(orig);
    free(buf);
}

static void test_defect_dfl_sorted_put_find(void **state)
{
    (void)state;
    struct sector_dfl_entry e[6];
    struct sector_dfl d = {e, 0, 6};
    const uint32_t keys[6][2] = {{1, 40}, {0, 90}, {1, 3}, {0, 5}, {0, 60}, {1, 100}};
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(sector_dfl_put(&d, SECTOR_DFL_REPLACED, keys[i][0], keys[i][1], i), 0);
    assert_int_equal(d.count, 6);
    const uint32_t sorted[6][2] = {{0, 5}, {0, 60}, {0, 90}, {1, 3}, {1, 40}, {1, 100}};
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(e[i].layer, sorted[i][0]);
        assert_int_equal(e[i].defective, sorted[i][1]);
    }
    const struct sector_dfl_entry *f = sector_dfl_find(&d, 1, 40);
    assert_non_null(f);
    assert_int_equal(f->replacement, 0);
    assert_null(sector_dfl_find(&d, 0, 40));
    assert_null(sector_dfl_find(&d, 1, 5));
    /* update in place, full list refuses a new key */
    assert_int_equal(sector_dfl_put(&d, SECTOR_DFL_REPLACED, 1, 40, 77), 0);
    assert_int_equal(d.count, 6);
    assert_int_equal(sector_dfl_find(&d, 1, 40)->replacement, 77);
    assert_int_equal(sector_dfl_put(&d, SECTOR_DFL_REPLACED, 1, 41, 1), -ENOSPC);
    assert_int_equal(sector_dfl_put(&d, SECTOR_DFL_REPLACED, 2, 41, 1), -EINVAL);
}

static void test_defect_zones_by_radius(void **state)
{
    (void)state;
    /* equal-area spread over 24-58 mm (physics.md §3.1): the median cluster sits at
     * sqrt((24^2 + 58^2) / 2) = 44.38 mm, zone floor((44.38 - 24) / 4.25) = 4 */
    assert_true(fabs(sector_cluster_radius_mm(1000, 499) - 44.38) < 0.05);
    assert_int_equal(sector_zone_of(1000, 500), 4);
    assert_int_equal(sector_zone_of(1000, 0), 0);
    assert_int_equal(sector_zone_of(1000, 999), SECTOR_ZONES - 1);
    /* the first band ends at 28.25 mm: (28.25^2 - 24^2) / (58^2 - 24^2) = 7.94 % */
    assert_int_equal(sector_zone_of(10000, 790), 0);
    assert_int_equal(sector_zone_of(10000, 797), 1);
    /* monotone in the index */
    unsigned prev = 0;
    for (uint64_t i = 0; i < 381856; i += 97) {
        unsigned z = sector_zone_of(381856, i);
        assert_true(z >= prev);
        prev = z;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defect_layout_default_spares),
        cmocka_unit_test(test_defect_layout_track_path),
        cmocka_unit_test(test_defect_dma_round_trip),
        cmocka_unit_test(test_defect_dma_generation_pick),
        cmocka_unit_test(test_defect_dma_crc_detects_flips),
        cmocka_unit_test(test_defect_dma_inconsistent_list_rejected),
        cmocka_unit_test(test_defect_dma_fuzz_never_crashes),
        cmocka_unit_test(test_defect_dfl_sorted_put_find),
        cmocka_unit_test(test_defect_zones_by_radius),
    };
    return cmocka_run_group_tests_name("defect", tests, NULL, NULL);
}
