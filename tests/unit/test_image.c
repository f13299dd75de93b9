/*
 * test_image.c — unit tests of medium/image.c, the on-image format: format/load round
 * trip, header slot selection (invariants 1, 2), version and consistency checks (1, 3),
 * truncation, random corruption (never a crash: run under ASan), corrupt cluster-table
 * entries (6), the sparse 25 GB-per-layer image, and crafted headers whose sizes (cluster
 * count, table offsets past the end, profile length) would size huge allocations or loops
 * (3: refused from the header alone).
 *
 * The handle is filled by hand (medium_priv.h), so only image.c and the profile text
 * functions are exercised; tests skip while the bd-re-dl preset is not built.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "medium_priv.h"

/* Field offsets of the version-1 header, as the layout comment of image.c documents. */
#define SLOT_BYTES 4096u
#define HDR_VERSION 8u
#define HDR_BYTES 12u
#define HDR_CLUSTERS 32u
#define HDR_META_OFFSET 80u
#define HDR_FAULT_COUNT 72u
#define HDR_FAULTS_CRC 160u
#define HDR_SIM_S 128u
#define SMALL_BYTES (16ULL << 20) /* 256 clusters per layer */

struct fixture {
    char dir[256];
    char path[320];
};

static int libc_open(const char *path, int flags, mode_t mode)
{
    return open(path, flags, mode);
}

static const struct medium_io libc_io = {
    .open = libc_open, .close = close, .pread = pread, .pwrite = pwrite,
    .fsync = fsync, .ftruncate = ftruncate, .fstat = fstat,
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "%s/test_image.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/medium.img", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* A handle with only what image.c needs: fd, io, read_only. */
static struct medium *handle_new(const char *path, int flags)
{
    struct medium *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->io = libc_io;
    m->fd = open(path, flags, 0644);
    assert_true(m->fd >= 0);
    m->read_only = (flags & O_ACCMODE) == O_RDONLY;
    return m;
}

static void handle_drop(struct medium *m)
{
    if (!m)
        return;
    close(m->fd);
    free(m->meta);
    free(m->meta_dirty);
    free(m);
}

/* Format a fresh image of capacity bytes per layer; skips while presets are missing. */
static struct medium *format_new(const char *path, uint64_t capacity)
{
    struct medium_profile p;
    assert_int_equal(medium_profile_preset("bd-re-dl", &p), 0);
    p.capacity_per_layer = capacity;
    p.seed = 0x5eed1234abcdULL;
    struct medium *m = handle_new(path, O_RDWR | O_CREAT | O_TRUNC);
    m->profile = p;
    m->clusters_per_layer = capacity / MEDIUM_USER_BYTES_PER_CLUSTER;
    m->clock.temperature_c = p.temperature_c;
    int rc = image_format(m);
    assert_int_equal(rc, 0);
    return m;
}

/* Load path into a fresh handle; returns image_load's result and the handle. */
static int load(const char *path, struct medium **out)
{
    struct medium *m = handle_new(path, O_RDONLY);
    int rc = image_load(m);
    *out = m;
    return rc;
}

static void set_dirty(struct medium *m, uint64_t g)
{
    m->meta_dirty[g >> 3] |= (uint8_t)(1u << (g & 7));
}

static void file_read(const char *path, uint64_t off, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
    close(fd);
}

static void file_write(const char *path, uint64_t off, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
    close(fd);
}

/* Recompute the CRC of a header slot after a test edited it (invariant 1 framing). */
static void slot_reseal(uint8_t *slot)
{
    uint32_t hb = util_le32_get(slot + HDR_BYTES);
    assert_true(hb >= 64 && hb <= SLOT_BYTES);
    util_le32_put(slot + hb - 4, util_crc32(0, slot, hb - 4));
}

/* Give m a few faults and cluster-table entries, stored through image.c. */
static void populate(struct medium *m)
{
    m->faults[0] = (struct medium_fault){.kind = FAULT_DUST, .id = 1,
                                         .u.dust = {.r_mm = 30.5, .angle_deg = 12.0,
                                                    .diameter_um = 80.0}};
    m->faults[1] = (struct medium_fault){.kind = FAULT_SCRATCH, .id = 2,
                                         .u.scratch = {.r0_mm = 25, .angle0_deg = 1,
                                                       .r1_mm = 40, .angle1_deg = 3,
                                                       .width_um = 50, .layer_mask = 3}};
    m->faults[2] = (struct medium_fault){.kind = FAULT_DEFECTS, .id = 3,
                                         .u.defects = {.count = 7, .length_bytes = 300,
                                                       .layer_mask = 2}};
    m->fault_count = 3;
    assert_int_equal(image_faults_store(m), 0);
    m->clock.sim_s = 3600.0;
    m->clock.equiv_s[0] = 7200.5;
    m->clock.equiv_s[1] = 1800.25;
    m->clock.temperature_c = 60.0;
    assert_int_equal(image_header_store(m), 0);

    uint64_t cpl = m->clusters_per_layer;
    uint64_t idx[] = {0, 1, 9, cpl - 1, cpl, 2 * cpl - 1};
    for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++) {
        struct medium_cluster_meta *e = &m->meta[idx[i]];
        e->cycles = (uint32_t)(10 + i);
        e->generation = (uint32_t)(10 + i);
        e->reads = (uint32_t)(100 * i);
        e->flags = CLUSTER_FLAG_WRITTEN;
        e->write_equiv_s = 1000.0 * (double)i + 0.125;
        e->disturb_equiv_s = 0.5 * (double)i;
        set_dirty(m, idx[i]);
    }
    /* read but never written: a non-zero entry without the WRITTEN flag */
    m->meta[5].reads = 3;
    set_dirty(m, 5);
    assert_int_equal(image_meta_flush(m), 0);
    for (uint64_t b = 0; b < (2 * cpl + 7) / 8; b++)
        assert_int_equal(m->meta_dirty[b], 0);
}

static void test_image_format_load_roundtrip(void **state)
{
    struct fixture *f = *state;
    struct medium *m = format_new(f->path, SMALL_BYTES), *r;
    populate(m);

    assert_int_equal(load(f->path, &r), 0);
    assert_true(r->clusters_per_layer == SMALL_BYTES / MEDIUM_USER_BYTES_PER_CLUSTER);
    assert_true(r->header_generation == m->header_generation);
    assert_true(r->meta_offset == m->meta_offset);
    assert_true(r->data_offset == m->data_offset);
    assert_true(r->fault_offset == m->fault_offset);
    assert_true(r->image_bytes == m->image_bytes);
    assert_true(r->data_offset % 4096 == 0 && r->meta_offset % 4096 == 0);
    assert_true(r->image_bytes == r->data_offset + 2 * r->clusters_per_layer *
                                                        (uint64_t)MEDIUM_CLUSTER_BYTES);
    assert_true(image_cluster_offset(r, 1, 3) ==
                r->data_offset + (r->clusters_per_layer + 3) * (uint64_t)MEDIUM_CLUSTER_BYTES);
    /* clock */
    assert_true(r->clock.sim_s == 3600.0);
    assert_true(r->clock.equiv_s[0] == 7200.5 && r->clock.equiv_s[1] == 1800.25);
    assert_true(r->clock.temperature_c == 60.0);
    /* profile: its canonical text is the same */
    static char a[65536], b[65536];
    int la = medium_profile_format(&m->profile, a, sizeof a);
    int lb = medium_profile_format(&r->profile, b, sizeof b);
    assert_true(la > 0 && la == lb);
    assert_memory_equal(a, b, (size_t)la);
    assert_true(r->profile.seed == 0x5eed1234abcdULL);
    /* faults */
    assert_int_equal(r->fault_count, 3);
    assert_int_equal(r->faults[0].kind, FAULT_DUST);
    assert_true(r->faults[0].u.dust.r_mm == 30.5 && r->faults[0].u.dust.diameter_um == 80.0);
    assert_int_equal(r->faults[1].kind, FAULT_SCRATCH);
    assert_true(r->faults[1].u.scratch.r1_mm == 40 && r->faults[1].u.scratch.layer_mask == 3);
    assert_int_equal(r->faults[2].u.defects.length_bytes, 300);
    assert_int_equal(r->faults[2].id, 3);
    /* every entry, written or not */
    for (uint64_t g = 0; g < 2 * r->clusters_per_layer; g++) {
        const struct medium_cluster_meta *x = &m->meta[g], *y = &r->meta[g];
        assert_int_equal(y->cycles, x->cycles);
        assert_int_equal(y->generation, x->generation);
        assert_int_equal(y->reads, x->reads);
        assert_int_equal(y->flags, x->flags);
        assert_true(y->write_equiv_s == x->write_equiv_s);
        assert_true(y->disturb_equiv_s == x->disturb_equiv_s);
    }
    assert_int_equal(r->meta[5].reads, 3);
    handle_drop(r);
    handle_drop(m);
}

/* Invariant 2: the newest valid slot wins, the other one is the fallback. */
static void test_image_slot_a_corrupt_uses_slot_b(void **state)
{
    struct fixture *f = *state;
    struct medium *m = format_new(f->path, SMALL_BYTES), *r;
    m->clock.sim_s = 100.0;
    assert_int_equal(image_header_store(m), 0); /* generation 3: slot B */
    m->clock.sim_s = 200.0;
    assert_int_equal(image_header_store(m), 0); /* generation 4: slot A */
    assert_true(m->header_generation == 4);

    assert_int_equal(load(f->path, &r), 0);
    assert_true(r->clock.sim_s == 200.0);
    handle_drop(r);

    /* a torn write of slot A: its second half is garbage */
    uint8_t junk[128];
    memset(junk, 0xa5, sizeof junk);
    file_write(f->path, 200, junk, sizeof junk);
    assert_int_equal(load(f->path, &r), 0);
    assert_true(r->clock.sim_s == 100.0);
    assert_true(r->header_generation == 3);
    assert_true(r->clusters_per_layer == m->clusters_per_layer);
    handle_drop(r);

    /* and the older slot corrupt while the newer is fine */
    m->clock.sim_s = 300.0;
    m->header_generation = 3;
    assert_int_equal(image_header_store(m), 0); /* rewrites slot A (generation 4) */
    file_write(f->path, SLOT_BYTES + 20, junk, 8);
    assert_int_equal(load(f->path, &r), 0);
    assert_true(r->clock.sim_s == 300.0);
    handle_drop(r);
    handle_drop(m);
}

static void test_image_both_slots_corrupt(void **state)
{
    struct fixture *f = *state;
    struct medium *m = format_new(f->path, SMALL_BYTES), *r;
    uint8_t x = 0xff;
    file_write(f->path, 40, &x, 1);
    file_write(f->path, SLOT_BYTES + 130, &x, 1);
    assert_int_equal(load(f->path, &r), -EUCLEAN);
    handle_drop(r);
    /* magic gone altogether */
    uint8_t zero[SLOT_BYTES * 2] = {0};
    file_write(f->path, 0, zero, sizeof zero);
    assert_int_equal(load(f->path, &r), -EUCLEAN);
    handle_drop(r);
    handle_drop(m);
}

/* Invariant 1: a well-framed slot of another version is -EPROTO; a version flipped
 * without a matching CRC is plain corruption. */
static void test_image_unknown_version(void **state)
{
    struct fixture *f = *state;
    struct medium *m = format_new(f->path, SMALL_BYTES), *r;
    uint8_t slots[2][SLOT_BYTES];
    file_read(f->path, 0, slots, sizeof slots);

    uint8_t edited[2][SLOT_BYTES];
    memcpy(edited, slots, sizeof slots);
    for (int s = 0; s < 2; s++)
        util_le32_put(edited[s] + HDR_VERSION, 3); /* versions 1 and 2 are read */
    file_write(f->path, 0, edited, sizeof edited);
    assert_int_equal(load(f->path, &r), -EUCLEAN);
    handle_drop(r);

    for (int s = 0; s < 2; s++)
        slot_reseal(edited[s]);
    file_write(f->path, 0, edited, sizeof edited);
    assert_int_equal(load(f->path, &r), -EPROTO);
    handle_drop(r);

    file_write(f->path, 0, slots, sizeof slots);
    assert_int_equal(load(f->path, &r), 0);
    handle_drop(r);
    handle_drop(m);
}

/* Invariant 3: a file shorter than its layout, wherever it was cut, is -EUCLEAN. */
static void test_image_truncated(void **state)
{
    struct fixture *f = *state;
    struct medium *m = format_new(f->path, SMALL_BYTES), *r;
    populate(m);
    const uint64_t cuts[] = {
        0, 1, 100, SLOT_BYTES - 1, SLOT_BYTES + 150, 2 * SLOT_BYTES,
        2 * SLOT_BYTES + 7, m->fault_offset, m->fault_offset + 100, m->meta_offset + 1000,
        m->meta_offset + 64 * 300 + 17, m->data_offset - 1, m->data_offset + 5,
        m->image_bytes - MEDIUM_CLUSTER_BYTES, m->image_bytes - 1,
    };
    /* keep the bytes so every cut starts from the whole image */
    size_t keep = (size_t)m->data_offset;
    uint8_t *copy = malloc(keep);
    assert_non_null(copy);
    file_read(f->path, 0, copy, keep);
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        assert_int_equal(truncate(f->path, (off_t)cuts[i]), 0);
        int rc = load(f->path, &r);
        if (rc != -EUCLEAN)
            fail_msg("cut at %llu: load returned %d", (unsigned long long)cuts[i], rc);
        handle_drop(r);
        assert_int_equal(truncate(f->path, (off_t)m->image_bytes), 0);
        file_write(f->path, 0, copy, keep);
    }
    assert_int_equal(load(f->path, &r), 0);
    handle_drop(r);
    free(copy);
    handle_drop(m);
}

/* Invariant 3: CRC-valid headers whose fields disagree with the layout are refused. */
static void test_image_inconsistent_fields(void **state)
{
    struct fixture *f = *state;
    struct medium *m = format_new(f->path, SMALL_BYTES), *r;
    populate(m);
    uint8_t orig[2][SLOT_BYTES], ed[2][SLOT_BYTES];
    file_read(f->path, 0, orig, sizeof orig);
    struct { unsigned off; uint64_t value; bool wide; } cases[] = {
        {HDR_META_OFFSET, 4096, true},              /* overlaps the profile */
        {HDR_META_OFFSET, UINT64_MAX - 100, true},  /* points past everything */
        {HDR_CLUSTERS, 1ULL << 40, true},           /* beyond the format */
        {HDR_CLUSTERS, 512, true},                  /* offsets then disagree */
        {HDR_CLUSTERS, 0, true},
        {HDR_FAULT_COUNT, MEDIUM_MAX_FAULTS + 1, false},
        {HDR_FAULT_COUNT, 5, false},                /* records 3, 4 are empty */
        {HDR_FAULTS_CRC, 12345, false},
        {44, 0, false},                             /* layer count 0 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(ed, orig, sizeof orig);
        for (int s = 0; s < 2; s++) {
            if (cases[i].wide)
                util_le64_put(ed[s] + cases[i].off, cases[i].value);
            else
                util_le32_put(ed[s] + cases[i].off, (uint32_t)cases[i].value);
            slot_reseal(ed[s]);
        }
        file_write(f->path, 0, ed, sizeof ed);
        int rc = load(f->path, &r);
        if (rc != -EUCLEAN)
            fail_msg("case %zu: load returned %d", i, rc);
        handle_drop(r);
    }
    /* NaN in the clock */
    memcpy(ed, orig, sizeof orig);
    for (int s = 0; s < 2; s++) {
        util_lef64_put(ed[s] + HDR_SIM_S, NAN);
        slot_reseal(ed[s]);
    }
    file_write(f->path, 0, ed, sizeof ed);
    assert_int_equal(load(f->path, &r), -EUCLEAN);
    handle_drop(r);
    file_write(f->path, 0, orig, sizeof orig);

    /* a fault record of an unknown kind, with its own CRC and the header's made good */
    uint8_t rec[64];
    file_read(f->path, m->fault_offset + 64, rec, sizeof rec);
    util_le32_put(rec, 9);
    util_le32_put(rec + 60, util_crc32(0, rec, 60));
    file_write(f->path, m->fault_offset + 64, rec, sizeof rec);
    uint8_t table[3 * 64];
    file_read(f->path, m->fault_offset, table, sizeof table);
    memcpy(ed, orig, sizeof orig);
    for (int s = 0; s < 2; s++) {
        util_le32_put(ed[s] + HDR_FAULTS_CRC, util_crc32(0, table, sizeof table));
        slot_reseal(ed[s]);
    }
    file_write(f->path, 0, ed, sizeof ed);
    assert_int_equal(load(f->path, &r), -EUCLEAN);
    handle_drop(r);
    handle_drop(m);
}

/* Invariant 6: a bad entry is marked, the rest of the table loads. */
static void test_image_corrupt_entry_marked(void **state)
{
    struct fixture *f = *state;
    struct medium *m = format_new(f->path, SMALL_BYTES), *r;
    populate(m);
    uint8_t x;
    file_read(f->path, m->meta_offset + 9 * 64 + 2, &x, 1);
    x ^= 0x10;
    file_write(f->path, m->meta_offset + 9 * 64 + 2, &x, 1);
    /* an entry copied to the wrong place fails its CRC too (the CRC covers its number) */
    uint8_t e[64];
    file_read(f->path, m->meta_offset + 1 * 64, e, sizeof e);
    file_write(f->path, m->meta_offset + 20 * 64, e, sizeof e);
    /* a reserved byte set in an otherwise empty entry */
    x = 1;
    file_write(f->path, m->meta_offset + 30 * 64 + 40, &x, 1);

    assert_int_equal(load(f->path, &r), 0);
    assert_int_equal(r->meta[9].flags, CLUSTER_FLAG_CORRUPT);
    assert_int_equal(r->meta[20].flags, CLUSTER_FLAG_CORRUPT);
    assert_int_equal(r->meta[30].flags, CLUSTER_FLAG_CORRUPT);
    assert_int_equal(r->meta[1].flags, CLUSTER_FLAG_WRITTEN);
    assert_int_equal(r->meta[1].cycles, m->meta[1].cycles);
    unsigned corrupt = 0;
    for (uint64_t g = 0; g < 2 * r->clusters_per_layer; g++)
        corrupt += (r->meta[g].flags & CLUSTER_FLAG_CORRUPT) != 0;
    assert_int_equal(corrupt, 3);
    handle_drop(r);

    /* the flag is never stored: rewriting the entry repairs it */
    m->meta[9].cycles = 77;
    set_dirty(m, 9);
    assert_int_equal(image_meta_flush(m), 0);
    assert_int_equal(load(f->path, &r), 0);
    assert_int_equal(r->meta[9].cycles, 77);
    assert_int_equal(r->meta[9].flags, CLUSTER_FLAG_WRITTEN);
    handle_drop(r);
    handle_drop(m);
}

/* Random byte flips in headers and tables, some with the header CRC made good again so
 * the field checks see garbage: every load returns 0 or an error, never crashes. */
static void test_image_random_flips_never_crash(void **state)
{
    struct fixture *f = *state;
    struct medium *m = format_new(f->path, SMALL_BYTES), *r;
    populate(m);
    size_t keep = (size_t)m->data_offset;
    uint8_t *orig = malloc(keep), *img = malloc(keep);
    assert_non_null(orig);
    assert_non_null(img);
    file_read(f->path, 0, orig, keep);
    struct util_rng rng;
    util_rng_stream(&rng, 77, 1, 2, 3, 4);
    unsigned ok = 0, bad = 0;
    const uint64_t meta_end = m->meta_offset + 2 * m->clusters_per_layer * 64;
    for (int trial = 0; trial < 600; trial++) {
        memcpy(img, orig, keep);
        int flips = 1 + (int)util_rng_below(&rng, 4);
        bool reseal = util_rng_below(&rng, 2) == 0;
        for (int k = 0; k < flips; k++) {
            uint64_t off;
            switch (util_rng_below(&rng, 5)) {
            case 0: case 1: off = util_rng_below(&rng, 256) + SLOT_BYTES * util_rng_below(&rng, 2);
                break;
            case 2: off = 2 * SLOT_BYTES + util_rng_below(&rng, m->profile_bytes); break;
            case 3: off = m->fault_offset + util_rng_below(&rng, 4 * 64); break;
            default: off = m->meta_offset + util_rng_below(&rng, meta_end - m->meta_offset);
                break;
            }
            img[off] ^= (uint8_t)(1 + util_rng_below(&rng, 255));
        }
        if (reseal)
            for (int s = 0; s < 2; s++)
                if (util_le32_get(img + s * SLOT_BYTES + HDR_BYTES) >= 64 &&
                    util_le32_get(img + s * SLOT_BYTES + HDR_BYTES) <= SLOT_BYTES)
                    slot_reseal(img + s * SLOT_BYTES);
        file_write(f->path, 0, img, keep);
        int rc = load(f->path, &r);
        if (rc == 0) {
            ok++;
            /* a successful load has a geometry that fits the file */
            assert_true(r->image_bytes <= m->image_bytes);
            assert_true(r->fault_count <= MEDIUM_MAX_FAULTS);
        } else {
            bad++;
            if (rc != -EUCLEAN && rc != -EPROTO && rc != -ENOMEM)
                fail_msg("trial %d: load returned %d", trial, rc);
        }
        handle_drop(r);
    }
    fprintf(stderr, "# random flips: %u loads refused, %u accepted\n", bad, ok);
    assert_true(bad > 0);
    free(orig);
    free(img);
    handle_drop(m);
}

/* ---- crafted headers: every size bounded before it sizes an allocation or a loop --- */

/* Host I/O that shows a file of fake_bytes, sparse past the real end (zeros), as a
 * filesystem with huge files would, and counts what is read. A read budget stops a
 * loop sized by a crafted header with -EIO instead of letting it run for hours. */
static uint64_t fake_bytes, bytes_read;
#define READ_BUDGET (64ULL << 20)

static ssize_t sparse_pread(int fd, void *buf, size_t len, off_t off)
{
    if (bytes_read + len > READ_BUDGET) {
        errno = EIO;
        return -1;
    }
    bytes_read += len;
    ssize_t n = pread(fd, buf, len, off);
    if (n < 0)
        return n;
    uint64_t end = (uint64_t)off + len;
    if (end > fake_bytes)
        end = (uint64_t)off > fake_bytes ? (uint64_t)off : fake_bytes;
    if ((uint64_t)off + (uint64_t)n < end) { /* a hole of the big sparse file */
        memset((uint8_t *)buf + n, 0, (size_t)(end - (uint64_t)off - (uint64_t)n));
        n = (ssize_t)(end - (uint64_t)off);
    }
    return n;
}

static int sparse_fstat(int fd, struct stat *st)
{
    if (fstat(fd, st) < 0)
        return -1;
    if ((uint64_t)st->st_size < fake_bytes)
        st->st_size = (off_t)fake_bytes;
    return 0;
}

static const struct medium_io sparse_io = {
    .open = libc_open, .close = close, .pread = sparse_pread, .pwrite = pwrite,
    .fsync = fsync, .ftruncate = ftruncate, .fstat = sparse_fstat,
};

/* The layout of image.c's comment, computed here a second time. */
struct test_layout {
    uint64_t fault_offset, meta_offset, meta_bytes, data_offset, data_bytes, image_bytes;
};

static uint64_t up4k(uint64_t v)
{
    return (v + 4095) / 4096 * 4096;
}

static struct test_layout test_layout(uint64_t clusters, uint64_t profile_bytes)
{
    struct test_layout l;
    l.fault_offset = up4k(2 * SLOT_BYTES + profile_bytes);
    l.meta_offset = l.fault_offset + (uint64_t)MEDIUM_MAX_FAULTS * 64;
    l.meta_bytes = up4k(2 * clusters * 64);
    l.data_offset = l.meta_offset + l.meta_bytes;
    l.data_bytes = 2 * clusters * (uint64_t)MEDIUM_CLUSTER_BYTES;
    l.image_bytes = l.data_offset + l.data_bytes;
    return l;
}

/*
 * Rewrite the image at path so that both header slots describe clusters per layer and a
 * profile text of profile_bytes (CRC profile_crc), every offset consistent with them and
 * both CRCs valid: only the sizes themselves are wrong. Returns the layout it wrote.
 */
static struct test_layout craft_header(const char *path, uint64_t clusters,
                                       uint64_t profile_bytes, uint32_t profile_crc)
{
    uint8_t slots[2][SLOT_BYTES];
    struct test_layout l = test_layout(clusters, profile_bytes);
    file_read(path, 0, slots, sizeof slots);
    for (int s = 0; s < 2; s++) {
        uint8_t *b = slots[s];
        util_le64_put(b + HDR_CLUSTERS, clusters);
        util_le64_put(b + 56, profile_bytes);
        util_le64_put(b + 64, l.fault_offset);
        util_le64_put(b + HDR_META_OFFSET, l.meta_offset);
        util_le64_put(b + 88, l.meta_bytes);
        util_le32_put(b + 100, profile_crc);
        util_le64_put(b + 104, l.data_offset);
        util_le64_put(b + 112, l.data_bytes);
        util_le64_put(b + 120, l.image_bytes);
        slot_reseal(b);
    }
    file_write(path, 0, slots, sizeof slots);
    return l;
}

static int load_sparse(const char *path, uint64_t apparent, struct medium **out)
{
    struct medium *m = handle_new(path, O_RDONLY);
    m->io = sparse_io;
    fake_bytes = apparent;
    bytes_read = 0;
    int rc = image_load(m);
    *out = m;
    return rc;
}

/* Craft a header of clusters and profile_bytes, on a file whose apparent size is the
 * layout's (sparse) or the real one: image_load must refuse it from the two slots alone,
 * allocating no table. */
static void expect_refused_by_header(const char *path, uint64_t clusters,
                                     uint64_t profile_bytes, uint32_t profile_crc,
                                     bool sparse)
{
    struct medium *r;
    struct test_layout l = craft_header(path, clusters, profile_bytes, profile_crc);
    int rc = load_sparse(path, sparse ? l.image_bytes : 0, &r);
    if (rc != -EUCLEAN)
        fail_msg("%llu clusters, profile of %llu bytes: load returned %d",
                 (unsigned long long)clusters, (unsigned long long)profile_bytes, rc);
    if (bytes_read > 2 * SLOT_BYTES)
        fail_msg("%llu clusters, profile of %llu bytes: %llu bytes read",
                 (unsigned long long)clusters, (unsigned long long)profile_bytes,
                 (unsigned long long)bytes_read);
    assert_null(r->meta);
    handle_drop(r);
}

/* A header (and a profile text) claiming 2^28 clusters per layer, 16 TiB, on a file
 * whose apparent size matches: refused from the header alone; nothing sized by that
 * count is allocated or looped over. So is one cluster more than the real layer. */
static void test_image_crafted_huge_cluster_count(void **state)
{
    struct fixture *f = *state;
    struct medium *m = format_new(f->path, SMALL_BYTES);
    const uint64_t clusters = 1ULL << 28;
    struct medium_profile p = m->profile;
    p.capacity_per_layer = clusters * MEDIUM_USER_BYTES_PER_CLUSTER;
    static char text[65536];
    int len = medium_profile_format(&p, text, sizeof text);
    assert_true(len > 0);
    file_write(f->path, 2 * SLOT_BYTES, text, (size_t)len);
    expect_refused_by_header(f->path, clusters, (uint64_t)len,
                             util_crc32(0, text, (size_t)len), true);
    const uint64_t real = MEDIUM_MAX_LAYER_BYTES / MEDIUM_USER_BYTES_PER_CLUSTER;
    expect_refused_by_header(f->path, real + 1, m->profile_bytes, m->profile_crc, true);
    handle_drop(m);
}

/* Tables and the profile past the end of the real file: -EUCLEAN before any of them is
 * read, whatever the header says (here: the real layer's 381,856 clusters on a 16 MiB
 * image, and the 2^36 the format allowed before). */
static void test_image_crafted_tables_past_eof(void **state)
{
    struct fixture *f = *state;
    struct medium *m = format_new(f->path, SMALL_BYTES);
    expect_refused_by_header(f->path, MEDIUM_MAX_LAYER_BYTES / MEDIUM_USER_BYTES_PER_CLUSTER,
                             m->profile_bytes, m->profile_crc, false);
    expect_refused_by_header(f->path, 1ULL << 36, m->profile_bytes, m->profile_crc, false);
    handle_drop(m);
}

/* Absurd profile lengths with every offset made to agree: refused before the text is
 * read or a buffer of that length is allocated. */
static void test_image_crafted_profile_length(void **state)
{
    struct fixture *f = *state;
    struct medium *m = format_new(f->path, SMALL_BYTES), *r;
    const uint64_t lens[] = {0, 64 * 1024 + 1, 1ULL << 32, 1ULL << 40, UINT64_MAX / 2};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        expect_refused_by_header(f->path, m->clusters_per_layer, lens[i], m->profile_crc,
                                 true);
    /* the honest header again loads, through the same I/O */
    struct test_layout l = craft_header(f->path, m->clusters_per_layer, m->profile_bytes,
                                        m->profile_crc);
    assert_true(l.image_bytes == m->image_bytes);
    assert_int_equal(load_sparse(f->path, 0, &r), 0);
    handle_drop(r);
    handle_drop(m);
}

/* A 25 GB-per-layer image is made in about a second and stays sparse. */
static void test_image_sparse_25gb_fast(void **state)
{
    struct fixture *f = *state;
    double t0 = now_s();
    struct medium *m = format_new(f->path, MEDIUM_REAL_LAYER_BYTES), *r;
    double t_create = now_s() - t0;
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_true(m->clusters_per_layer == 381856);
    assert_true((uint64_t)st.st_size == m->image_bytes);
    assert_true(m->image_bytes > 58700000000ULL);
    /* headers, profile text: a few pages; never the tables or the data */
    assert_true((uint64_t)st.st_blocks * 512 < 1024 * 1024);
    t0 = now_s();
    assert_int_equal(load(f->path, &r), 0);
    double t_load = now_s() - t0;
    assert_true(r->clusters_per_layer == 381856);
    handle_drop(r);
    fprintf(stderr, "# 25 GB/layer image: created in %.1f ms, loaded in %.1f ms, "
                  "%.1f GB apparent, %llu KiB allocated\n",
                  t_create * 1e3, t_load * 1e3, (double)st.st_size / 1e9,
                  (unsigned long long)st.st_blocks / 2);
    assert_true(t_create < 5.0);
    handle_drop(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_image_format_load_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_slot_a_corrupt_uses_slot_b, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_both_slots_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_unknown_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_inconsistent_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_corrupt_entry_marked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_random_flips_never_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_sparse_25gb_fast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_crafted_huge_cluster_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_crafted_tables_past_eof, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_crafted_profile_length, setup, teardown),
    };
    return cmocka_run_group_tests_name("image", tests, NULL, NULL);
}
