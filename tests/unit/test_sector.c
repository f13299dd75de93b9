/*
 * test_sector.c — unit tests of src/sector/sector.c, the sector handle, on real image
 * files in a temporary directory: format and open, blank reads, round trips of every
 * logical cluster with the error model off and on, the track path (L0 inner -> outer,
 * L1 outer -> inner; physics.md §3.6) checked through the medium's own per-cluster
 * generation counters and radii, defect replacement after injected damage and its
 * persistence, spare exhaustion, loss of one to four DMA copies (defect.c invariant 7),
 * read retries, uncorrectable reads with their address, statistics against counts
 * made here, concurrency, and an end-to-end sweep of the raw symbol error rate that
 * prints where the first uncorrectable cluster appears (compare the Blu-ray format's
 * SER limit of 2e-4, physics.md §3.2 [S41]).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sector_priv.h"

#define USER SECTOR_CLUSTER_USER_BYTES
#define MIB (1ULL << 20)

struct fixture {
    char dir[256];
    char path[320];
    uint8_t *a, *b;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "%s/test_sector.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/medium.img", f->dir);
    f->a = malloc(USER);
    f->b = malloc(USER);
    if (!f->a || !f->b)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f->a);
    free(f->b);
    free(f);
    return 0;
}

/* The bd-re-dl preset at capacity, optionally with the error model switched off. */
static void profile(struct medium_profile *p, uint64_t capacity, bool quiet)
{
    assert_int_equal(medium_profile_preset("bd-re-dl", p), 0);
    p->capacity_per_layer = capacity;
    p->seed = 20251125;
    if (quiet) {
        p->model.ser0 = 0.0;
        p->model.crosstalk = 0.0;
        p->model.read_disturb_s = 0.0;
        p->model.cross_erase = 0.0;
        p->model.defect_density_per_cm2 = 1e-9; /* 0 would mean "derive from sputtering" */
    }
}

/* 128 clusters per layer, 8 + 8 spares: K = 1, user area [9, 119) on each layer. */
static void profile_8m(struct medium_profile *p, bool quiet)
{
    profile(p, 8 * MIB, quiet);
    p->format.inner_spare_fraction = p->format.outer_spare_fraction = 0;
    p->format.inner_spare_bytes = p->format.outer_spare_bytes = 8 * 65536ULL;
}

static struct medium *create(const char *path, const struct medium_profile *p)
{
    struct medium_create_options opt = {.overwrite = true};
    struct medium *m = NULL;
    int rc = medium_create(path, p, &opt, &m);
    assert_int_equal(rc, 0);
    return m;
}

static struct medium *reopen(const char *path, bool read_only)
{
    struct medium_open_options opt = {.read_only = read_only};
    struct medium *m = NULL;
    assert_int_equal(medium_open(path, &opt, &m), 0);
    return m;
}

static struct sector_dev *open_dev(struct medium *m, const struct sector_options *o)
{
    struct sector_dev *dev = NULL;
    assert_int_equal(sector_open(m, o, &dev), 0);
    assert_non_null(dev);
    return dev;
}

static void fill(uint8_t *b, uint64_t key)
{
    struct util_rng r;
    util_rng_stream(&r, 77, 0x5ec7, key, 0, 0);
    for (size_t i = 0; i < USER; i += 8) {
        uint64_t v = util_rng_u64(&r);
        memcpy(b + i, &v, 8);
    }
}

static void garbage_cluster(struct medium *m, unsigned layer, uint64_t phys, uint64_t key)
{
    uint8_t *g = malloc(MEDIUM_CLUSTER_BYTES);
    struct util_rng r;
    assert_non_null(g);
    util_rng_stream(&r, 5, 0x6a7b, key, 0, 0);
    for (size_t i = 0; i < MEDIUM_CLUSTER_BYTES; i++)
        g[i] = (uint8_t)util_rng_u64(&r);
    assert_int_equal(medium_cluster_write(m, layer, phys, g, NULL), 0);
    free(g);
}

static void round_trip_all(struct fixture *f, bool quiet)
{
    struct medium_profile p;
    profile(&p, 2 * MIB, quiet);
    struct medium *m = create(f->path, &p);
    assert_int_equal(sector_format(m, NULL), 0);
    struct sector_dev *dev = open_dev(m, NULL);
    uint64_t n = sector_logical_clusters(dev);
    assert_int_equal(n, 2 * (32 - 2 - 1 - 1)); /* 32 clusters - 2 DMA - ISA - OSA */
    for (uint64_t lcn = 0; lcn < n; lcn++) {
        struct sector_write_report wr;
        fill(f->a, lcn);
        assert_int_equal(sector_write(dev, lcn, f->a, &wr), 0);
        assert_true(wr.verified);
        assert_int_equal(wr.replacements, 0);
    }
    assert_int_equal(sector_close(dev), 0);
    assert_int_equal(medium_close(m), 0);
    m = reopen(f->path, false);
    dev = open_dev(m, NULL);
    for (uint64_t lcn = 0; lcn < n; lcn++) {
        struct sector_read_report rr;
        fill(f->a, lcn);
        assert_int_equal(sector_read(dev, lcn, f->b, &rr), 0);
        assert_false(rr.blank);
        assert_memory_equal(f->a, f->b, USER);
        if (quiet) {
            assert_int_equal(rr.margin, 32);
            assert_int_equal(rr.decode.symbols_corrected, 0);
        }
    }
    assert_int_equal(sector_close(dev), 0);
    assert_int_equal(medium_close(m), 0);
}

static void test_sector_round_trip_quiet(void **state)
{
    round_trip_all(*state, true);
}

static void test_sector_round_trip_preset_noise(void **state)
{
    round_trip_all(*state, false);
}

static void test_sector_format_open_blank(void **state)
{
    struct fixture *f = *state;
    struct medium_profile p;
    profile(&p, 2 * MIB, true);
    struct medium *m = create(f->path, &p);
    struct sector_dev *dev = NULL;
    assert_int_equal(sector_open(m, NULL, &dev), -ENODATA); /* never formatted */
    assert_null(dev);
    assert_int_equal(sector_format(m, NULL), 0);
    assert_int_equal(sector_format(m, NULL), -EEXIST);
    struct sector_options o;
    sector_options_default(&o);
    o.force_format = true;
    assert_int_equal(sector_format(m, &o), 0);
    dev = open_dev(m, NULL);
    /* a never-written cluster reads as zeros with blank set */
    struct sector_read_report rr;
    memset(f->b, 0xaa, USER);
    assert_int_equal(sector_read(dev, 3, f->b, &rr), 0);
    assert_true(rr.blank);
    for (size_t i = 0; i < USER; i++)
        assert_int_equal(f->b[i], 0);
    struct sector_stats st;
    assert_int_equal(sector_stats_get(dev, &st), 0);
    assert_int_equal(st.version, SECTOR_STATS_VERSION);
    assert_int_equal(st.generation, 1);
    assert_int_equal(st.dma_copies_valid, 4);
    assert_int_equal(st.dfl_entries, 0);
    assert_int_equal(st.layer[0].spares_left, 2);
    /* bad arguments */
    assert_int_equal(sector_read(dev, 56, f->b, NULL), -ERANGE);
    assert_int_equal(sector_write(dev, 56, f->a, NULL), -ERANGE);
    assert_int_equal(sector_read(dev, 0, NULL, NULL), -EINVAL);
    assert_int_equal(sector_write(NULL, 0, f->a, NULL), -EINVAL);
    o.min_margin = 40;
    struct sector_dev *bad = NULL;
    assert_int_equal(sector_open(m, &o, &bad), -EINVAL);
    assert_int_equal(sector_close(dev), 0);
    assert_int_equal(sector_close(NULL), 0);
    /* spares that leave no user cluster are refused */
    p.format.inner_spare_fraction = 0.5;
    p.format.outer_spare_fraction = 0.5;
    medium_close(m);
    struct medium_create_options co = {.overwrite = true};
    m = NULL;
    assert_int_equal(medium_create(f->path, &p, &co, &m), 0);
    assert_int_equal(sector_format(m, NULL), -EINVAL);
    medium_close(m);
}

static void test_sector_track_path_mapping(void **state)
{
    struct fixture *f = *state;
    struct medium_profile p;
    profile(&p, 2 * MIB, true);
    struct medium *m = create(f->path, &p);
    assert_int_equal(sector_format(m, NULL), 0);
    struct sector_dev *dev = open_dev(m, NULL);
    /* 32 clusters: DMA 0 and 31, ISA 1, OSA 30, user 2..29 (28 per layer) */
    for (uint64_t lcn = 0; lcn < 56; lcn++) {
        unsigned layer = lcn < 28 ? 0 : 1;
        uint64_t phys = lcn < 28 ? 2 + lcn : 29 - (lcn - 28);
        struct medium_cluster_info before, after;
        assert_int_equal(medium_cluster_info(m, layer, phys, &before), 0);
        fill(f->a, lcn);
        struct sector_write_report wr;
        assert_int_equal(sector_write(dev, lcn, f->a, &wr), 0);
        assert_int_equal(wr.address.layer, layer);
        assert_int_equal(wr.address.physical_cluster, phys);
        /* the medium itself saw exactly that cluster written */
        assert_int_equal(medium_cluster_info(m, layer, phys, &after), 0);
        assert_true(after.written);
        assert_int_equal(after.generation, before.generation + 1);
        struct sector_address a;
        assert_int_equal(sector_locate(dev, lcn, &a), 0);
        assert_int_equal(a.layer, layer);
        assert_int_equal(a.physical_cluster, phys);
    }
    /* L0 runs outwards, L1 inwards: radius rises then falls along the logical space */
    struct medium_cluster_info i0, i27, i28, i55;
    assert_int_equal(medium_cluster_info(m, 0, 2, &i0), 0);
    assert_int_equal(medium_cluster_info(m, 0, 29, &i27), 0);
    assert_int_equal(medium_cluster_info(m, 1, 29, &i28), 0);
    assert_int_equal(medium_cluster_info(m, 1, 2, &i55), 0);
    assert_true(i0.radius_mm < i27.radius_mm);
    assert_true(i28.radius_mm > i55.radius_mm);
    /* the zone mapping of stats.c uses the medium's radii */
    for (uint64_t c = 0; c < 32; c++) {
        struct medium_cluster_info ci;
        assert_int_equal(medium_cluster_info(m, 1, c, &ci), 0);
        assert_true(fabs(ci.radius_mm - sector_cluster_radius_mm(32, c)) < 1e-6);
        assert_int_equal(sector_zone_of(32, c), (unsigned)floor((ci.radius_mm - 24.0) / 4.25));
    }
    assert_int_equal(sector_close(dev), 0);
    medium_close(m);
}

/* Write every L0 cluster of an 8 MiB medium whose L0 carries 5 long injected bursts;
 * returns the number of writes that were replaced, and their lcns in moved[]. */
static unsigned write_l0_with_defects(struct fixture *f, struct medium **mo,
                                      struct sector_dev **devo, uint64_t *moved)
{
    struct medium_profile p;
    profile_8m(&p, true);
    struct medium *m = create(f->path, &p);
    assert_int_equal(sector_format(m, NULL), 0);
    struct medium_defects d = {.count = 5, .length_bytes = MEDIUM_CLUSTER_BYTES,
                               .layer_mask = 1u << MEDIUM_LAYER_FAR};
    assert_int_equal(medium_inject_defects(m, &d), 0);
    struct sector_dev *dev = open_dev(m, NULL);
    assert_int_equal(sector_logical_clusters(dev), 220);
    unsigned nmoved = 0;
    for (uint64_t lcn = 0; lcn < 110; lcn++) {
        struct sector_write_report wr;
        fill(f->a, lcn);
        assert_int_equal(sector_write(dev, lcn, f->a, &wr), 0);
        assert_true(wr.verified);
        if (wr.replacements) {
            assert_true(wr.verify_failures >= 1);
            moved[nmoved++] = lcn;
        }
    }
    *mo = m;
    *devo = dev;
    return nmoved;
}

static void test_sector_replacement_after_defects(void **state)
{
    struct fixture *f = *state;
    struct medium *m;
    struct sector_dev *dev;
    uint64_t moved[110];
    unsigned nmoved = write_l0_with_defects(f, &m, &dev, moved);
    print_message("# %u of 110 L0 clusters replaced after 5 injected bursts\n", nmoved);
    assert_true(nmoved >= 1);
    struct sector_stats st;
    assert_int_equal(sector_stats_get(dev, &st), 0);
    assert_int_equal(st.layer[0].defects, nmoved);
    assert_true(st.dfl_entries >= nmoved);
    assert_int_equal(st.layer[0].spares_used, nmoved + st.layer[0].spares_bad);
    assert_int_equal(st.layer[0].spares_left, 16 - st.layer[0].spares_used);
    assert_int_equal(st.layer[0].total.replacements, nmoved);
    assert_true(st.generation >= 2);

    struct sector_codec *codec;
    struct sector_scratch *sc;
    assert_int_equal(sector_codec_create(&codec), 0);
    assert_int_equal(sector_scratch_create(&sc), 0);
    uint8_t *raw = malloc(MEDIUM_CLUSTER_BYTES);
    assert_non_null(raw);
    for (unsigned i = 0; i < nmoved; i++) {
        struct sector_address a;
        assert_int_equal(sector_locate(dev, moved[i], &a), 0);
        /* now on a spare: ISA [1, 9) or OSA [119, 127) */
        assert_true((a.physical_cluster >= 1 && a.physical_cluster < 9) ||
                    (a.physical_cluster >= 119 && a.physical_cluster < 127));
        /* the home cluster really is damaged: decoded here, it fails or is weak */
        uint64_t home = 9 + moved[i];
        struct sector_address ha = {0, home, moved[i]};
        struct sector_decode_report dr;
        assert_int_equal(medium_cluster_read(m, 0, home, raw, NULL), 0);
        int rc = sector_cluster_decode(codec, &ha, raw, f->b, NULL, &dr, sc);
        assert_true(rc == -EBADMSG || dr.margin < 8);
    }
    free(raw);
    sector_scratch_destroy(sc);
    sector_codec_destroy(codec);

    /* the replacement survives close and open, data reads back through the spare */
    uint64_t gen = st.generation, entries = st.dfl_entries;
    assert_int_equal(sector_close(dev), 0);
    assert_int_equal(medium_close(m), 0);
    m = reopen(f->path, false);
    dev = open_dev(m, NULL);
    assert_int_equal(sector_stats_get(dev, &st), 0);
    assert_int_equal(st.dfl_entries, entries);
    assert_true(st.generation >= gen);
    for (uint64_t lcn = 0; lcn < 110; lcn++) {
        struct sector_read_report rr;
        fill(f->a, lcn);
        assert_int_equal(sector_read(dev, lcn, f->b, &rr), 0);
        assert_memory_equal(f->a, f->b, USER);
        bool was_moved = false;
        for (unsigned i = 0; i < nmoved; i++)
            was_moved |= moved[i] == lcn;
        assert_int_equal(rr.replaced, was_moved);
    }
    assert_int_equal(sector_close(dev), 0);
    medium_close(m);
}

static void test_sector_spares_exhausted_enospc(void **state)
{
    struct fixture *f = *state;
    struct medium_profile p;
    profile_8m(&p, true);
    struct medium *m = create(f->path, &p);
    assert_int_equal(sector_format(m, NULL), 0);
    /* every L0 cluster takes 8 bursts of up to a whole cluster: nothing there verifies */
    struct medium_defects d = {.count = 8 * 128, .length_bytes = MEDIUM_CLUSTER_BYTES,
                               .layer_mask = 1u << MEDIUM_LAYER_FAR};
    assert_int_equal(medium_inject_defects(m, &d), 0);
    struct sector_options o;
    sector_options_default(&o);
    o.max_spare_attempts = 100;
    struct sector_dev *dev = open_dev(m, &o);
    struct sector_write_report wr;
    fill(f->a, 1);
    assert_int_equal(sector_write(dev, 0, f->a, &wr), -ENOSPC);
    assert_int_equal(wr.replacements, 16); /* every spare tried, each verified and failed */
    assert_int_equal(wr.verify_failures, 17);
    assert_false(wr.verified);
    assert_int_equal(sector_write(dev, 1, f->a, &wr), -ENOSPC);
    assert_int_equal(wr.replacements, 0);
    struct sector_stats st;
    assert_int_equal(sector_stats_get(dev, &st), 0);
    assert_int_equal(st.layer[0].spares_left, 0);
    assert_int_equal(st.layer[0].spares_bad, 16);
    assert_int_equal(st.dfl_entries, 16);
    /* the other layer is untouched and still works */
    assert_int_equal(sector_write(dev, 150, f->a, &wr), 0);
    assert_int_equal(st.layer[1].spares_left, 16);
    assert_int_equal(sector_read(dev, 150, f->b, NULL), 0);
    assert_memory_equal(f->a, f->b, USER);
    /* with max_spare_attempts 4, a fresh format stops after 4 bad spares with -EIO */
    assert_int_equal(sector_close(dev), 0);
    o.force_format = true;
    o.max_spare_attempts = 4;
    assert_int_equal(sector_format(m, &o), 0);
    dev = open_dev(m, &o);
    assert_int_equal(sector_write(dev, 0, f->a, &wr), -EIO);
    assert_int_equal(wr.replacements, 4);
    assert_int_equal(sector_close(dev), 0);
    medium_close(m);
}

static void test_sector_weak_verify_replaced(void **state)
{
    struct fixture *f = *state;
    struct medium_profile p;
    profile_8m(&p, false);
    p.model.ser0 = 1e-3; /* ~50 byte errors a cluster: margins below 32 */
    struct medium *m = create(f->path, &p);
    assert_int_equal(sector_format(m, NULL), 0);
    struct sector_options o;
    sector_options_default(&o);
    o.min_margin = 32; /* anything corrected is "weak" */
    o.max_spare_attempts = 1;
    struct sector_dev *dev = open_dev(m, &o);
    struct sector_write_report wr;
    fill(f->a, 9);
    int rc = sector_write(dev, 5, f->a, &wr);
    assert_true(rc == 0 || rc == -EIO);
    assert_true(wr.verify_failures >= 1);
    assert_int_equal(wr.replacements, 1);
    assert_true(wr.margin < 32);
    assert_int_equal(sector_close(dev), 0);
    medium_close(m);
}

static void test_sector_uncorrectable_read_reports_address(void **state)
{
    struct fixture *f = *state;
    struct medium_profile p;
    profile(&p, 2 * MIB, true);
    struct medium *m = create(f->path, &p);
    assert_int_equal(sector_format(m, NULL), 0);
    struct sector_dev *dev = open_dev(m, NULL);
    fill(f->a, 40);
    assert_int_equal(sector_write(dev, 40, f->a, NULL), 0);
    /* lcn 40 is L1 cluster 29 - 12 = 17; overwrite it with garbage below the handle */
    garbage_cluster(m, 1, 17, 1);
    struct sector_read_report rr;
    memset(f->b, 0x55, USER);
    assert_int_equal(sector_read(dev, 40, f->b, &rr), -EIO);
    assert_true(rr.uncorrectable);
    assert_int_equal(rr.address.layer, 1);
    assert_int_equal(rr.address.physical_cluster, 17);
    assert_int_equal(rr.address.logical_cluster, 40);
    assert_int_equal(rr.reads, 5); /* 1 + read_retries (4) */
    assert_int_equal(rr.retries, 4);
    assert_int_equal(rr.margin, -1);
    for (size_t i = 0; i < USER; i++)
        assert_int_equal(f->b[i], 0); /* never partly returned */
    struct sector_stats st;
    assert_int_equal(sector_stats_get(dev, &st), 0);
    assert_int_equal(st.layer[1].total.uncorrectable, 1);
    assert_int_equal(st.layer[1].total.retries, 4);
    /* rewriting the cluster heals it (the medium itself is fine there) */
    assert_int_equal(sector_write(dev, 40, f->a, NULL), 0);
    assert_int_equal(sector_read(dev, 40, f->b, &rr), 0);
    assert_memory_equal(f->a, f->b, USER);
    assert_int_equal(sector_close(dev), 0);
    medium_close(m);
}

/* Lose copies 0 .. lost-1 of the DMA of a medium with a non-empty defect list. */
static void dma_loss(struct fixture *f, unsigned lost)
{
    struct medium *m;
    struct sector_dev *dev;
    uint64_t moved[110];
    unsigned nmoved = write_l0_with_defects(f, &m, &dev, moved);
    assert_true(nmoved >= 1);
    struct sector_stats before;
    assert_int_equal(sector_stats_get(dev, &before), 0);
    assert_int_equal(sector_close(dev), 0);
    struct sector_stats saved;
    dev = open_dev(m, NULL);
    assert_int_equal(sector_stats_get(dev, &saved), 0);
    assert_int_equal(saved.dma_copies_valid, 4);
    assert_int_equal(sector_close(dev), 0);
    /* copy c lies on layer c / 2 at cluster 0 (even c) or 127 (odd c) */
    for (unsigned c = 0; c < lost; c++)
        garbage_cluster(m, c / 2, c % 2 ? 127 : 0, 100 + c);
    assert_int_equal(medium_close(m), 0);

    m = reopen(f->path, false);
    struct sector_dev *d2 = NULL;
    int rc = sector_open(m, NULL, &d2);
    if (lost == 4) {
        assert_int_equal(rc, -EUCLEAN);
        assert_null(d2);
        medium_close(m);
        return;
    }
    assert_int_equal(rc, 0);
    struct sector_stats st;
    assert_int_equal(sector_stats_get(d2, &st), 0);
    assert_int_equal(st.dma_copies_valid, 4 - lost);
    assert_int_equal(st.dfl_entries, before.dfl_entries);
    assert_int_equal(st.layer[0].defects, before.layer[0].defects);
    assert_int_equal(st.layer[0].spares_used, before.layer[0].spares_used);
    assert_int_equal(st.layer[0].total.writes, before.layer[0].total.writes);
    for (unsigned i = 0; i < nmoved; i++) {
        fill(f->a, moved[i]);
        assert_int_equal(sector_read(d2, moved[i], f->b, NULL), 0);
        assert_memory_equal(f->a, f->b, USER);
    }
    assert_int_equal(sector_close(d2), 0);
    assert_int_equal(medium_close(m), 0);
    /* the bad copies were rewritten: all four valid on the next open */
    m = reopen(f->path, true);
    struct sector_options o;
    sector_options_default(&o);
    o.read_only = true;
    d2 = open_dev(m, &o);
    assert_int_equal(sector_stats_get(d2, &st), 0);
    assert_int_equal(st.dma_copies_valid, 4);
    assert_int_equal(st.dfl_entries, before.dfl_entries);
    assert_int_equal(sector_write(d2, 0, f->a, NULL), -EROFS);
    assert_int_equal(sector_close(d2), 0);
    medium_close(m);
}

static void test_sector_dma_loss_one(void **state)
{
    dma_loss(*state, 1);
}

static void test_sector_dma_loss_two(void **state)
{
    dma_loss(*state, 2);
}

static void test_sector_dma_loss_three(void **state)
{
    dma_loss(*state, 3);
}

static void test_sector_dma_loss_all_four(void **state)
{
    dma_loss(*state, 4);
}

/* Write n clusters with verify off at raw rate ser0, then read each once with the
 * given retries; returns uncorrectable reads, and the measured byte error rate of a
 * raw read of each cluster against its own encoding. */
struct sweep_result {
    int open_rc; /* sector_open: -EUCLEAN once not even the DMA copies read back */
    unsigned uncorrectable, retried_ok;
    uint64_t retries, max_corrected;
    double measured_ser;
};

static void sweep_point(struct fixture *f, double ser0, unsigned n, uint32_t retries,
                        struct sweep_result *out)
{
    struct medium_profile p;
    profile(&p, 2 * MIB, false);
    p.model.ser0 = ser0;
    struct medium *m = create(f->path, &p);
    assert_int_equal(sector_format(m, NULL), 0);
    struct sector_options o;
    sector_options_default(&o);
    o.verify_after_write = false; /* the raw rate is what is read */
    o.read_retries = retries;
    memset(out, 0, sizeof *out);
    struct sector_dev *dev = NULL;
    out->open_rc = sector_open(m, &o, &dev);
    if (out->open_rc == -EUCLEAN) {
        out->uncorrectable = n; /* nothing on the medium decodes */
        medium_close(m);
        return;
    }
    assert_int_equal(out->open_rc, 0);
    struct sector_codec *codec;
    struct sector_scratch *sc;
    assert_int_equal(sector_codec_create(&codec), 0);
    assert_int_equal(sector_scratch_create(&sc), 0);
    uint8_t *enc = malloc(MEDIUM_CLUSTER_BYTES), *raw = malloc(MEDIUM_CLUSTER_BYTES);
    assert_non_null(enc);
    assert_non_null(raw);
    uint64_t bad_bytes = 0, bytes = 0;
    for (uint64_t lcn = 0; lcn < n; lcn++) {
        fill(f->a, lcn + 1000);
        assert_int_equal(sector_write(dev, lcn, f->a, NULL), 0);
        struct sector_read_report rr;
        struct sector_address a;
        assert_int_equal(sector_locate(dev, lcn, &a), 0);
        struct medium_cluster_info before, after;
        assert_int_equal(medium_cluster_info(m, a.layer, a.physical_cluster, &before), 0);
        int rc = sector_read(dev, lcn, f->b, &rr);
        assert_int_equal(medium_cluster_info(m, a.layer, a.physical_cluster, &after), 0);
        assert_int_equal(after.reads - before.reads, rr.reads); /* retries really read */
        if (rc == 0) {
            assert_memory_equal(f->a, f->b, USER);
            if (rr.retries)
                out->retried_ok++;
        } else {
            assert_int_equal(rc, -EIO);
            assert_true(rr.uncorrectable);
            out->uncorrectable++;
        }
        out->retries += rr.retries;
        /* the raw rate, measured: one more read against the cluster's own encoding */
        assert_int_equal(sector_cluster_encode(codec, &a, f->a, NULL, enc, sc), 0);
        assert_int_equal(medium_cluster_read(m, a.layer, a.physical_cluster, raw, NULL), 0);
        for (size_t i = 0; i < MEDIUM_CLUSTER_BYTES; i++)
            bad_bytes += enc[i] != raw[i];
        bytes += MEDIUM_CLUSTER_BYTES;
    }
    struct sector_stats st;
    assert_int_equal(sector_stats_get(dev, &st), 0);
    out->max_corrected = st.layer[0].total.max_corrected > st.layer[1].total.max_corrected
                             ? st.layer[0].total.max_corrected
                             : st.layer[1].total.max_corrected;
    assert_int_equal(st.layer[0].total.retries + st.layer[1].total.retries, out->retries);
    assert_int_equal(st.layer[0].total.uncorrectable + st.layer[1].total.uncorrectable,
                     out->uncorrectable);
    out->measured_ser = (double)bad_bytes / (double)bytes;
    free(enc);
    free(raw);
    sector_scratch_destroy(sc);
    sector_codec_destroy(codec);
    assert_int_equal(sector_close(dev), 0);
    medium_close(m);
}

static void test_sector_ser_sweep(void **state)
{
    struct fixture *f = *state;
    static const double sers[] = {1e-5, 1e-4, 2e-4, 5e-4, 1e-3, 3e-3, 1e-2,
                                  1.5e-2, 2e-2, 2.5e-2, 3e-2, 4e-2, 5e-2};
    const unsigned n = 48;
    double first = 0;
    unsigned at_limit = 1, at_top = 0;
    for (size_t i = 0; i < sizeof sers / sizeof sers[0]; i++) {
        struct sweep_result r;
        sweep_point(f, sers[i], n, 0, &r);
        if (r.open_rc < 0)
            print_message("# ser=%.1e uncorrectable=%u/%u (not even the 4 DMA copies "
                          "decode: sector_open -EUCLEAN)\n", sers[i], r.uncorrectable, n);
        else
            print_message("# ser=%.1e measured_ser=%.3e uncorrectable=%u/%u "
                          "max_corrected=%llu\n", sers[i], r.measured_ser, r.uncorrectable,
                          n, (unsigned long long)r.max_corrected);
        if (r.uncorrectable && first == 0)
            first = sers[i];
        if (sers[i] == 2e-4)
            at_limit = r.uncorrectable;
        at_top = r.uncorrectable;
    }
    print_message("# first uncorrectable cluster at ser0=%.1e (format limit 2e-4)\n", first);
    assert_int_equal(at_limit, 0); /* the format's symbol-error limit is well corrected */
    assert_true(at_top > 0);       /* and the code does give out at the high end */
    assert_true(first > 2e-4);
}

static void test_sector_read_retries(void **state)
{
    struct fixture *f = *state;
    /* near the code's edge (physics.md §3.2: P(codeword fails) 1.5e-3 at SER 3e-2),
     * single reads fail now and then and fresh noise on a retry often succeeds */
    struct sweep_result none, some;
    sweep_point(f, 3e-2, 48, 0, &none);
    sweep_point(f, 3e-2, 48, 8, &some);
    print_message("# ser=3e-2: %u/48 uncorrectable without retries; with 8: %u, %u "
                  "recovered by %llu retries\n",
                  none.uncorrectable, some.uncorrectable, some.retried_ok,
                  (unsigned long long)some.retries);
    assert_true(none.uncorrectable > 0);
    assert_int_equal(none.retries, 0);
    assert_true(some.retried_ok > 0);
    assert_true(some.retries > 0);
    assert_true(some.uncorrectable < none.uncorrectable);
}

static void test_sector_stats_counted_and_saved(void **state)
{
    struct fixture *f = *state;
    struct medium_profile p;
    profile(&p, 2 * MIB, false);
    struct medium *m = create(f->path, &p);
    assert_int_equal(sector_format(m, NULL), 0);
    struct sector_dev *dev = open_dev(m, NULL);
    /* 10 writes on L0, 6 on L1; 3 reads each on L0 lcn 0..9; 1 blank read */
    for (uint64_t lcn = 0; lcn < 10; lcn++) {
        fill(f->a, lcn);
        assert_int_equal(sector_write(dev, lcn, f->a, NULL), 0);
    }
    for (uint64_t lcn = 50; lcn < 56; lcn++) {
        fill(f->a, lcn);
        assert_int_equal(sector_write(dev, lcn, f->a, NULL), 0);
    }
    for (int r = 0; r < 3; r++)
        for (uint64_t lcn = 0; lcn < 10; lcn++)
            assert_int_equal(sector_read(dev, lcn, f->b, NULL), 0);
    assert_int_equal(sector_read(dev, 20, f->b, NULL), 0); /* blank: not a medium decode */
    struct sector_stats st;
    assert_int_equal(sector_stats_get(dev, &st), 0);
    assert_int_equal(st.layer[0].total.writes, 10);
    assert_int_equal(st.layer[0].total.verifies, 10);
    assert_int_equal(st.layer[0].total.reads, 30);
    assert_int_equal(st.layer[0].total.decodes, 40);
    assert_int_equal(st.layer[1].total.writes, 6);
    assert_int_equal(st.layer[1].total.reads, 0);
    /* every decode's 304 LDC codewords land in the histogram */
    uint64_t cw = 0, zone_reads = 0;
    for (unsigned b = 0; b < SECTOR_HIST_BUCKETS; b++)
        cw += st.layer[0].total.hist[b];
    assert_int_equal(cw, 40 * 304);
    for (unsigned z = 0; z < SECTOR_ZONES; z++)
        zone_reads += st.layer[0].zone[z].reads;
    assert_int_equal(zone_reads, 30);
    /* L0 lcn 0..9 are clusters 2..11 of 32. Cluster i is centred at
     * r^2 = 24^2 + (i + 0.5) / 32 (58^2 - 24^2); the bands end at 28.25, 32.5, 36.75,
     * 41 mm, i.e. at i + 0.5 = 2.53, 5.51, 8.89, 12.68: zone 0 {2}, 1 {3-5}, 2 {6-8},
     * 3 {9-11} */
    static const uint64_t l0_zone_writes[SECTOR_ZONES] = {1, 3, 3, 3, 0, 0, 0, 0};
    /* lcn 50..55 are L1 clusters 7..2: zone 0 {2}, 1 {3-5}, 2 {6, 7} */
    static const uint64_t l1_zone_writes[SECTOR_ZONES] = {1, 3, 2, 0, 0, 0, 0, 0};
    for (unsigned z = 0; z < SECTOR_ZONES; z++) {
        assert_int_equal(st.layer[0].zone[z].writes, l0_zone_writes[z]);
        assert_int_equal(st.layer[1].zone[z].writes, l1_zone_writes[z]);
        assert_int_equal(st.layer[0].zone[z].reads, 3 * l0_zone_writes[z]);
    }
    assert_true(fabs(st.layer[0].zone[1].r_inner_mm - 28.25) < 1e-9);
    /* saved at close, read back from a read-only medium */
    assert_int_equal(sector_close(dev), 0);
    assert_int_equal(medium_close(m), 0);
    m = reopen(f->path, true);
    struct sector_options o;
    sector_options_default(&o);
    o.read_only = true;
    dev = open_dev(m, &o);
    struct sector_stats back;
    assert_int_equal(sector_stats_get(dev, &back), 0);
    assert_int_equal(back.layer[0].total.reads, 30);
    assert_int_equal(back.layer[0].total.decodes, 40);
    assert_int_equal(back.layer[1].total.writes, 6);
    assert_memory_equal(back.layer[0].total.hist, st.layer[0].total.hist,
                        sizeof st.layer[0].total.hist);
    assert_int_equal(back.layer[0].total.max_corrected, st.layer[0].total.max_corrected);
    assert_int_equal(back.layer[0].dma_writes, st.layer[0].dma_writes + 2);
    assert_int_equal(sector_close(dev), 0);
    medium_close(m);
}

static void test_sector_sync_interval(void **state)
{
    struct fixture *f = *state;
    struct medium_profile p;
    profile(&p, 2 * MIB, true);
    struct medium *m = create(f->path, &p);
    assert_int_equal(sector_format(m, NULL), 0);
    struct sector_options o;
    sector_options_default(&o);
    o.stats_sync_interval = 3;
    struct sector_dev *dev = open_dev(m, &o);
    struct sector_stats st;
    fill(f->a, 1);
    assert_int_equal(sector_write(dev, 1, f->a, NULL), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(sector_sync(dev), 0);
    assert_int_equal(sector_stats_get(dev, &st), 0);
    assert_int_equal(st.generation, 1); /* 2 syncs: not saved yet (DMA wear) */
    assert_int_equal(sector_sync(dev), 0);
    assert_int_equal(sector_stats_get(dev, &st), 0);
    assert_int_equal(st.generation, 2); /* the third saved them */
    assert_int_equal(sector_sync(dev), 0);
    assert_int_equal(sector_stats_get(dev, &st), 0);
    assert_int_equal(st.generation, 2); /* nothing changed since */
    assert_int_equal(sector_close(dev), 0);
    medium_close(m);
}

struct thread_arg {
    struct sector_dev *dev;
    unsigned first, count;
    int failures;
};

static void *worker(void *p)
{
    struct thread_arg *t = p;
    uint8_t *a = malloc(USER), *b = malloc(USER);
    if (!a || !b) {
        t->failures++;
        goto out;
    }
    for (int round = 0; round < 3; round++) {
        for (unsigned i = t->first; i < t->first + t->count; i++) {
            fill(a, i * 10 + (unsigned)round);
            if (sector_write(t->dev, i, a, NULL) != 0)
                t->failures++;
            if (sector_read(t->dev, i, b, NULL) != 0 || memcmp(a, b, USER) != 0)
                t->failures++;
        }
    }
out:
    free(a);
    free(b);
    return NULL;
}

static void test_sector_concurrent_threads(void **state)
{
    struct fixture *f = *state;
    struct medium_profile p;
    profile(&p, 2 * MIB, false);
    struct medium *m = create(f->path, &p);
    assert_int_equal(sector_format(m, NULL), 0);
    struct sector_options o;
    sector_options_default(&o);
    o.scratch_slots = 2; /* fewer slots than threads: callers wait for one */
    struct sector_dev *dev = open_dev(m, &o);
    pthread_t th[6];
    struct thread_arg args[6];
    for (unsigned i = 0; i < 6; i++) {
        args[i] = (struct thread_arg){dev, i * 9, 9, 0};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (unsigned i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    struct sector_stats st;
    assert_int_equal(sector_stats_get(dev, &st), 0);
    assert_int_equal(st.layer[0].total.writes + st.layer[1].total.writes, 6 * 9 * 3);
    assert_int_equal(st.layer[0].total.reads + st.layer[1].total.reads, 6 * 9 * 3);
    assert_int_equal(sector_close(dev), 0);
    medium_close(m);
}

/* sector_cluster_wear reports the overwrite cycles of the physical cluster behind an
 * LCN, counted independently here by the number of sector_write calls (verify off, so
 * each write records the cluster exactly once). */
static void test_sector_cluster_wear_counts_writes(void **state)
{
    struct fixture *f = *state;
    struct medium_profile p;
    profile_8m(&p, true);
    struct medium *m = create(f->path, &p);
    struct sector_options o;
    sector_options_default(&o);
    o.verify_after_write = false;
    assert_int_equal(sector_format(m, &o), 0);
    struct sector_dev *dev = open_dev(m, &o);
    uint32_t cycles = 99;
    assert_int_equal(sector_cluster_wear(dev, 3, &cycles), 0);
    assert_int_equal(cycles, 0);
    fill(f->a, 3);
    for (int i = 1; i <= 7; i++) {
        assert_int_equal(sector_write(dev, 3, f->a, NULL), 0);
        assert_int_equal(sector_cluster_wear(dev, 3, &cycles), 0);
        assert_int_equal(cycles, i);
    }
    assert_int_equal(sector_cluster_wear(dev, 4, &cycles), 0);
    assert_int_equal(cycles, 0);
    assert_int_equal(sector_cluster_wear(dev, sector_logical_clusters(dev), &cycles), -ERANGE);
    assert_int_equal(sector_cluster_wear(dev, 3, NULL), -EINVAL);
    assert_int_equal(sector_close(dev), 0);
    assert_int_equal(medium_close(m), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_sector_format_open_blank),
        T(test_sector_round_trip_quiet),
        T(test_sector_round_trip_preset_noise),
        T(test_sector_track_path_mapping),
        T(test_sector_replacement_after_defects),
        T(test_sector_spares_exhausted_enospc),
        T(test_sector_weak_verify_replaced),
        T(test_sector_uncorrectable_read_reports_address),
        T(test_sector_dma_loss_one),
        T(test_sector_dma_loss_two),
        T(test_sector_dma_loss_three),
        T(test_sector_dma_loss_all_four),
        T(test_sector_read_retries),
        T(test_sector_ser_sweep),
        T(test_sector_stats_counted_and_saved),
        T(test_sector_sync_interval),
        T(test_sector_concurrent_threads),
        T(test_sector_cluster_wear_counts_writes),
    };
    return cmocka_run_group_tests_name("sector", tests, NULL, NULL);
}
