/*
 * test_medium.c — unit tests of medium/medium.c, the medium handle: create/open/close,
 * cluster write/read round trips, range and read-only errors, persistence of counters,
 * crash semantics of unsynced writes, corrupt table entries, O(1) ageing, fault
 * injection, layer status, host I/O failures through struct medium_io, and concurrency.
 *
 * Round trips use a profile whose error model is off (ser0 = 0, crosstalk = 0, no read
 * disturb), for which the model promises a noise-free read of a young, unworn cluster;
 * tests skip while the bd-re-dl preset is not built.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "medium_priv.h"

#define SMALL_BYTES (16ULL << 20) /* 256 clusters per layer */
#define CB MEDIUM_CLUSTER_BYTES

struct fixture {
    char dir[256];
    char path[320];
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
    snprintf(f->dir, sizeof f->dir, "%s/test_medium.XXXXXX", tmp ? tmp : "/tmp");
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

/* A profile with the error model switched off; skips while presets are missing. */
static void quiet_profile(struct medium_profile *p, uint64_t capacity)
{
    assert_int_equal(medium_profile_preset("bd-re-dl", p), 0);
    p->capacity_per_layer = capacity;
    p->seed = 20240611;
    p->model.ser0 = 0.0;
    p->model.crosstalk = 0.0;
    p->model.read_disturb_s = 0.0;
    p->model.cross_erase = 0.0;
    p->model.defect_density_per_cm2 = 1e-9; /* 0 would mean "derive from sputtering" */
}

static struct medium *create_quiet(const char *path, uint64_t capacity)
{
    struct medium_profile p;
    struct medium *m = NULL;
    quiet_profile(&p, capacity);
    struct medium_create_options opt = {.overwrite = true};
    int rc = medium_create(path, &p, &opt, &m);
    assert_int_equal(rc, 0);
    assert_non_null(m);
    return m;
}

static struct medium *open_image(const char *path, bool read_only, const struct medium_io *io)
{
    struct medium_open_options opt = {.io = io, .read_only = read_only};
    struct medium *m = NULL;
    assert_int_equal(medium_open(path, &opt, &m), 0);
    return m;
}

static void fill_random(uint8_t *b, size_t len, uint64_t key)
{
    struct util_rng r;
    util_rng_stream(&r, 99, 0x7e57, key, 0, 0);
    for (size_t i = 0; i < len; i += 8) {
        uint64_t v = util_rng_u64(&r);
        memcpy(b + i, &v, len - i < 8 ? len - i : 8);
    }
}

static unsigned diff_bits(const uint8_t *a, const uint8_t *b, size_t len)
{
    unsigned n = 0;
    for (size_t i = 0; i < len; i++)
        n += (unsigned)__builtin_popcount((unsigned)(a[i] ^ b[i]));
    return n;
}

/* The recorded bytes as the host file holds them. */
static void raw_cluster(const char *path, const struct medium *m, unsigned layer,
                        uint64_t index, uint8_t *out)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, out, CB, (off_t)image_cluster_offset(m, layer, index)),
                     (ssize_t)CB);
    close(fd);
}

/* Write random bytes and read them back: the read returns exactly what was recorded,
 * and what was recorded differs from what was asked only by the reported write errors. */
static void roundtrip(const char *path, struct medium *m, unsigned layer, uint64_t index,
                      uint64_t key)
{
    static uint8_t want[CB], got[CB], raw[CB];
    struct medium_write_report wr;
    struct medium_read_report rr;
    assert_false(faults_cluster_defective(m, layer, index));
    fill_random(want, CB, key);
    assert_int_equal(medium_cluster_write(m, layer, index, want, &wr), 0);
    assert_int_equal(medium_cluster_read(m, layer, index, got, &rr), 0);
    assert_false(rr.blank);
    assert_int_equal(rr.noise_bits + rr.retention_bits + rr.stuck_bits + rr.defect_bits, 0);
    raw_cluster(path, m, layer, index, raw);
    assert_memory_equal(got, raw, CB);
    assert_int_equal(diff_bits(want, raw, CB), wr.write_errors);
}

/* ---- host I/O injection ------------------------------------------------------------ */

static struct {
    bool fail_pwrite, fail_pread, fail_fsync, tear_next;
    size_t short_max; /* transfer at most this many bytes per call (0: all) */
    unsigned eintr_every, calls;
    unsigned pwrites, ftruncates;
} inj;

static int inj_open(const char *path, int flags, mode_t mode)
{
    return open(path, flags, mode);
}

static bool inj_eintr(void)
{
    return inj.eintr_every && ++inj.calls % inj.eintr_every == 0;
}

static ssize_t inj_pread(int fd, void *buf, size_t len, off_t off)
{
    if (inj_eintr()) {
        errno = EINTR;
        return -1;
    }
    if (inj.fail_pread) {
        errno = EIO;
        return -1;
    }
    if (inj.short_max && len > inj.short_max)
        len = inj.short_max;
    return pread(fd, buf, len, off);
}

static ssize_t inj_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    inj.pwrites++;
    if (inj_eintr()) {
        errno = EINTR;
        return -1;
    }
    if (inj.tear_next) { /* a power cut: 100 bytes land, then the device fails */
        inj.tear_next = false;
        inj.fail_pwrite = true;
        if (pwrite(fd, buf, len < 100 ? len / 2 : 100, off) < 0)
            return -1;
        errno = EIO;
        return -1;
    }
    if (inj.fail_pwrite) {
        errno = EIO;
        return -1;
    }
    if (inj.short_max && len > inj.short_max)
        len = inj.short_max;
    return pwrite(fd, buf, len, off);
}

static int inj_fsync(int fd)
{
    if (inj.fail_fsync) {
        errno = EIO;
        return -1;
    }
    return fsync(fd);
}

static int inj_ftruncate(int fd, off_t len)
{
    inj.ftruncates++;
    return ftruncate(fd, len);
}

/* close and fstat left NULL: libc is filled in */
static const struct medium_io inj_io = {
    .open = inj_open, .pread = inj_pread, .pwrite = inj_pwrite, .fsync = inj_fsync,
    .ftruncate = inj_ftruncate,
};

/* ---- tests ------------------------------------------------------------------------- */

static void test_medium_create_open_close_roundtrip(void **state)
{
    struct fixture *f = *state;
    struct medium *m = create_quiet(f->path, SMALL_BYTES);
    assert_true(medium_layer_clusters(m) == 256);
    struct medium_optics optics = *medium_optics_get(m);
    struct medium_material mat0 = *medium_material_get(m, 0);
    assert_null(medium_material_get(m, 2));
    assert_int_equal(medium_close(m), 0);
    assert_int_equal(medium_close(NULL), 0);

    m = open_image(f->path, false, NULL);
    const struct medium_profile *p = medium_profile_get(m);
    assert_true(p->seed == 20240611);
    assert_true(p->capacity_per_layer == SMALL_BYTES);
    assert_true(p->model.ser0 == 0.0);
    assert_true(medium_layer_clusters(m) == 256);
    /* the derivations are functions of the stored profile */
    assert_memory_equal(medium_optics_get(m), &optics, sizeof optics);
    assert_memory_equal(medium_material_get(m, 0), &mat0, sizeof mat0);
    struct medium_clock c;
    medium_clock_get(m, &c);
    assert_true(c.sim_s == 0.0 && c.equiv_s[0] == 0.0 && c.equiv_s[1] == 0.0);
    assert_int_equal(medium_close(m), 0);

    struct medium *none = (struct medium *)1;
    struct medium_open_options o = {0};
    char missing[400];
    snprintf(missing, sizeof missing, "%s/none.img", f->dir);
    assert_int_equal(medium_open(missing, &o, &none), -ENOENT);
    assert_null(none);
}

static void test_medium_write_read_roundtrip(void **state)
{
    struct fixture *f = *state;
    struct medium *m = create_quiet(f->path, SMALL_BYTES);
    uint64_t last = medium_layer_clusters(m) - 1;
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
        roundtrip(f->path, m, layer, 0, layer * 10 + 1);
        roundtrip(f->path, m, layer, last, layer * 10 + 2);
    }
    /* an overwrite replaces the bytes */
    roundtrip(f->path, m, 0, 0, 55);
    /* never written: blank, all zero */
    static uint8_t got[CB];
    struct medium_read_report rr;
    memset(got, 0xee, CB);
    assert_int_equal(medium_cluster_read(m, 1, 17, got, &rr), 0);
    assert_true(rr.blank);
    for (size_t i = 0; i < CB; i++)
        if (got[i])
            fail_msg("blank cluster byte %zu is %u", i, got[i]);
    assert_int_equal(medium_cluster_read(m, 1, 17, got, NULL), 0); /* rep may be NULL */
    assert_int_equal(medium_close(m), 0);

    /* and after reopening */
    m = open_image(f->path, true, NULL);
    static uint8_t raw[CB];
    assert_int_equal(medium_cluster_read(m, 1, last, got, NULL), 0);
    raw_cluster(f->path, m, 1, last, raw);
    assert_memory_equal(got, raw, CB);
    assert_int_equal(medium_close(m), 0);
}

static void test_medium_out_of_range(void **state)
{
    struct fixture *f = *state;
    struct medium *m = create_quiet(f->path, SMALL_BYTES);
    static uint8_t b[CB];
    uint64_t n = medium_layer_clusters(m);
    struct medium_cluster_info ci;
    struct medium_layer_status ls;
    assert_int_equal(medium_cluster_write(m, 2, 0, b, NULL), -ERANGE);
    assert_int_equal(medium_cluster_write(m, 0, n, b, NULL), -ERANGE);
    assert_int_equal(medium_cluster_write(m, 1, UINT64_MAX, b, NULL), -ERANGE);
    assert_int_equal(medium_cluster_read(m, 2, 0, b, NULL), -ERANGE);
    assert_int_equal(medium_cluster_read(m, 1, n, b, NULL), -ERANGE);
    assert_int_equal(medium_cluster_info(m, 0, n, &ci), -ERANGE);
    assert_int_equal(medium_layer_status(m, 2, &ls), -ERANGE);
    assert_true(isnan(medium_retention_loss(m, 2, 1.0, 25.0)));
    assert_int_equal(medium_close(m), 0);
}

static void test_medium_create_existing_fails(void **state)
{
    struct fixture *f = *state;
    struct medium_profile p;
    struct medium *m = create_quiet(f->path, SMALL_BYTES);
    assert_int_equal(medium_close(m), 0);
    quiet_profile(&p, SMALL_BYTES);
    struct medium_create_options keep = {.overwrite = false};
    assert_int_equal(medium_create(f->path, &p, &keep, &m), -EEXIST);
    assert_int_equal(medium_create(f->path, &p, NULL, &m), -EEXIST);
    /* the refused create left the image alone */
    m = open_image(f->path, true, NULL);
    assert_int_equal(medium_close(m), 0);
    /* overwrite makes a fresh image: the old counters are gone */
    m = open_image(f->path, false, NULL);
    static uint8_t b[CB];
    assert_int_equal(medium_cluster_write(m, 0, 4, b, NULL), 0);
    assert_int_equal(medium_close(m), 0);
    p.seed = 777;
    struct medium_create_options over = {.overwrite = true};
    assert_int_equal(medium_create(f->path, &p, &over, &m), 0);
    struct medium_cluster_info ci;
    assert_int_equal(medium_cluster_info(m, 0, 4, &ci), 0);
    assert_false(ci.written);
    assert_true(medium_profile_get(m)->seed == 777);
    assert_int_equal(medium_close(m), 0);
    /* an invalid profile is -EINVAL and makes no file */
    char other[400];
    snprintf(other, sizeof other, "%s/other.img", f->dir);
    p.capacity_per_layer = SMALL_BYTES + 1;
    assert_int_equal(medium_create(other, &p, NULL, &m), -EINVAL);
    assert_int_equal(access(other, F_OK), -1);
}

static void test_medium_read_only_never_writes(void **state)
{
    struct fixture *f = *state;
    struct medium *m = create_quiet(f->path, SMALL_BYTES);
    static uint8_t b[CB];
    fill_random(b, CB, 3);
    assert_int_equal(medium_cluster_write(m, 0, 3, b, NULL), 0);
    assert_int_equal(medium_close(m), 0);

    memset(&inj, 0, sizeof inj);
    m = open_image(f->path, true, &inj_io);
    assert_int_equal(medium_cluster_write(m, 0, 3, b, NULL), -EROFS);
    assert_int_equal(medium_age(m, 10.0, 25.0), -EROFS);
    struct medium_dust d = {.r_mm = 30, .angle_deg = 10, .diameter_um = 50};
    assert_int_equal(medium_inject_dust(m, &d), -EROFS);
    for (int i = 0; i < 3; i++)
        assert_int_equal(medium_cluster_read(m, 0, 3, b, NULL), 0);
    struct medium_cluster_info ci;
    assert_int_equal(medium_cluster_info(m, 0, 3, &ci), 0);
    assert_int_equal(ci.reads, 3); /* counted in memory for fresh noise */
    assert_int_equal(medium_sync(m), 0);
    assert_int_equal(medium_close(m), 0);
    assert_int_equal(inj.pwrites, 0);
    assert_int_equal(inj.ftruncates, 0);

    m = open_image(f->path, false, NULL);
    assert_int_equal(medium_cluster_info(m, 0, 3, &ci), 0);
    assert_int_equal(ci.reads, 0); /* nothing reached the image */
    assert_int_equal(ci.cycles, 1);
    assert_int_equal(medium_close(m), 0);
}

static void test_medium_counters_persist(void **state)
{
    struct fixture *f = *state;
    struct medium *m = create_quiet(f->path, SMALL_BYTES);
    static uint8_t b[CB];
    struct medium_write_report wr;
    for (uint32_t i = 1; i <= 3; i++) {
        fill_random(b, CB, i);
        assert_int_equal(medium_cluster_write(m, 1, 9, b, &wr), 0);
        assert_int_equal(wr.cycles, i);
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(medium_cluster_read(m, 1, 9, b, NULL), 0);
    assert_int_equal(medium_cluster_read(m, 0, 9, b, NULL), 0); /* blank, still counted */
    assert_int_equal(medium_close(m), 0);

    m = open_image(f->path, false, NULL);
    struct medium_cluster_info ci;
    assert_int_equal(medium_cluster_info(m, 1, 9, &ci), 0);
    assert_true(ci.written);
    assert_int_equal(ci.cycles, 3);
    assert_int_equal(ci.generation, 3);
    assert_int_equal(ci.reads, 2);
    assert_true(ci.radius_mm == faults_cluster_radius(m, 9));
    assert_int_equal(medium_cluster_info(m, 0, 9, &ci), 0);
    assert_false(ci.written);
    assert_int_equal(ci.reads, 1);
    assert_int_equal(ci.cycles, 0);
    assert_int_equal(medium_close(m), 0);
}

/* Crash semantics: the table describes a write only after medium_sync. */
/* A child process writes cluster 2 (and syncs if asked), then dies without closing: a
 * crash. The image lock goes with the process, so the parent can look. */
static void crash_after_write(const char *path, bool sync_first)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        static uint8_t b[CB];
        struct medium_open_options opt = {.read_only = false};
        struct medium *m = NULL;
        fill_random(b, CB, 8);
        if (medium_open(path, &opt, &m) < 0 || medium_cluster_write(m, 0, 2, b, NULL) < 0)
            _exit(1);
        if (sync_first && medium_sync(m) < 0)
            _exit(1);
        _exit(0);
    }
    int ws;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
}

static void test_medium_unsynced_write_not_in_table(void **state)
{
    struct fixture *f = *state;
    struct medium *m = create_quiet(f->path, SMALL_BYTES), *r;
    static uint8_t b[CB];
    struct medium_cluster_info ci;
    struct medium_read_report rr;
    assert_int_equal(medium_close(m), 0);
    /* what a crash right after the write leaves: the table still says "never written" */
    crash_after_write(f->path, false);
    r = open_image(f->path, true, NULL);
    assert_int_equal(medium_cluster_info(r, 0, 2, &ci), 0);
    assert_false(ci.written);
    assert_int_equal(medium_cluster_read(r, 0, 2, b, &rr), 0);
    assert_true(rr.blank);
    assert_int_equal(medium_close(r), 0);

    crash_after_write(f->path, true);
    r = open_image(f->path, true, NULL);
    assert_int_equal(medium_cluster_info(r, 0, 2, &ci), 0);
    assert_true(ci.written);
    assert_int_equal(ci.generation, 1);
    assert_int_equal(medium_close(r), 0);
}

/* image.c invariant 6 through the handle: one bad entry costs one cluster. */
static void test_medium_corrupt_entry_reads_euclean(void **state)
{
    struct fixture *f = *state;
    struct medium *m = create_quiet(f->path, SMALL_BYTES);
    static uint8_t b[CB];
    fill_random(b, CB, 7);
    assert_int_equal(medium_cluster_write(m, 0, 12, b, NULL), 0);
    assert_int_equal(medium_cluster_write(m, 0, 13, b, NULL), 0);
    uint64_t entry = m->meta_offset + 12 * 64;
    assert_int_equal(medium_close(m), 0);

    int fd = open(f->path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t x;
    assert_int_equal(pread(fd, &x, 1, (off_t)entry), 1);
    x ^= 0x40;
    assert_int_equal(pwrite(fd, &x, 1, (off_t)entry), 1);
    close(fd);

    m = open_image(f->path, false, NULL);
    struct medium_cluster_info ci;
    assert_int_equal(medium_cluster_read(m, 0, 12, b, NULL), -EUCLEAN);
    assert_int_equal(medium_cluster_info(m, 0, 12, &ci), -EUCLEAN);
    assert_int_equal(medium_cluster_read(m, 0, 13, b, NULL), 0);
    struct medium_layer_status ls;
    assert_int_equal(medium_layer_status(m, 0, &ls), 0);
    assert_true(ls.clusters_written == 1);
    /* a write re-initialises the entry (its history is lost) */
    roundtrip(f->path, m, 0, 12, 70);
    assert_int_equal(medium_cluster_info(m, 0, 12, &ci), 0);
    assert_int_equal(ci.cycles, 1);
    assert_int_equal(medium_close(m), 0);
    m = open_image(f->path, false, NULL);
    assert_int_equal(medium_cluster_read(m, 0, 12, b, NULL), 0);
    assert_int_equal(medium_close(m), 0);
}

static double median_age_s(struct medium *m)
{
    double t[5];
    for (int i = 0; i < 5; i++) {
        double t0 = now_s();
        assert_int_equal(medium_age(m, 3600.0, 60.0), 0);
        t[i] = now_s() - t0;
    }
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (t[j] < t[i]) {
                double x = t[i];
                t[i] = t[j];
                t[j] = x;
            }
    return t[2];
}

/* medium_age moves two accounts and stores one header, whatever the capacity. */
static void test_medium_age_constant_time(void **state)
{
    struct fixture *f = *state;
    char big[400];
    snprintf(big, sizeof big, "%s/big.img", f->dir);
    struct medium *s = create_quiet(f->path, SMALL_BYTES);
    struct medium *b = create_quiet(big, MEDIUM_REAL_LAYER_BYTES);
    double ts = median_age_s(s), tb = median_age_s(b);
    fprintf(stderr, "# medium_age: 16 MiB/layer %.3f ms, 25 GB/layer %.3f ms\n", ts * 1e3,
            tb * 1e3);
    assert_true(ts < 0.1 && tb < 0.1); /* generous: each is one 4 KiB write and an fsync */

    /* the clock moved by what was asked, and persists */
    struct medium_clock c;
    medium_clock_get(b, &c);
    assert_true(fabs(c.sim_s - 5 * 3600.0) < 1e-6);
    assert_true(c.equiv_s[0] > 5 * 3600.0 && c.equiv_s[1] > 5 * 3600.0); /* 60 C > 25 C */
    assert_true(c.temperature_c == 60.0);
    assert_int_equal(medium_close(b), 0);
    b = open_image(big, true, NULL);
    struct medium_clock c2;
    medium_clock_get(b, &c2);
    assert_memory_equal(&c, &c2, sizeof c);
    assert_int_equal(medium_close(b), 0);
    unlink(big);

    /* bad arguments change nothing */
    assert_int_equal(medium_age(s, -1.0, 25.0), -EINVAL);
    assert_int_equal(medium_age(s, NAN, 25.0), -EINVAL);
    assert_int_equal(medium_age(s, INFINITY, 25.0), -EINVAL);
    assert_int_equal(medium_age(s, 1.0, 200.5), -EINVAL);
    assert_int_equal(medium_age(s, 1.0, -41.0), -EINVAL);
    assert_int_equal(medium_age(s, 0.0, -40.0), 0);
    medium_clock_get(s, &c);
    assert_true(fabs(c.sim_s - 5 * 3600.0) < 1e-6);
    assert_int_equal(medium_close(s), 0);
}

static void test_medium_io_errors_give_eio(void **state)
{
    struct fixture *f = *state;
    struct medium_profile p;
    struct medium *m;
    static uint8_t b[CB], got[CB];
    quiet_profile(&p, SMALL_BYTES);

    /* short transfers and EINTR are retried, not errors */
    memset(&inj, 0, sizeof inj);
    inj.short_max = 1000;
    inj.eintr_every = 3;
    struct medium_create_options copt = {.io = &inj_io, .overwrite = true};
    int rc = medium_create(f->path, &p, &copt, &m);
    assert_int_equal(rc, 0);
    struct medium_write_report wr;
    fill_random(b, CB, 11);
    assert_int_equal(medium_cluster_write(m, 0, 5, b, NULL), 0);
    assert_int_equal(medium_cluster_write(m, 0, 5, b, NULL), 0); /* may read the old bytes */
    assert_int_equal(medium_cluster_write(m, 1, 5, b, &wr), 0);
    assert_int_equal(medium_cluster_read(m, 1, 5, got, NULL), 0);
    assert_int_equal(diff_bits(b, got, CB), wr.write_errors); /* noise-free, fresh */
    assert_int_equal(medium_age(m, 60.0, 30.0), 0);

    /* a failing device */
    inj.short_max = 0;
    inj.eintr_every = 0;
    inj.fail_pwrite = true;
    struct medium_clock c0, c1;
    medium_clock_get(m, &c0);
    assert_int_equal(medium_cluster_write(m, 1, 6, b, NULL), -EIO);
    assert_int_equal(medium_age(m, 60.0, 30.0), -EIO);
    medium_clock_get(m, &c1);
    assert_memory_equal(&c0, &c1, sizeof c0); /* not durable, so not done */
    struct medium_dust d = {.r_mm = 30, .angle_deg = 10, .diameter_um = 50};
    assert_int_equal(medium_inject_dust(m, &d), -EIO);
    struct medium_layer_status ls;
    assert_int_equal(medium_layer_status(m, 1, &ls), 0);
    assert_int_equal(ls.faults, 0);
    struct medium_cluster_info ci;
    assert_int_equal(medium_cluster_info(m, 1, 6, &ci), 0);
    assert_false(ci.written); /* a failed write leaves the entry alone */
    assert_int_equal(medium_sync(m), -EIO);
    inj.fail_pwrite = false;
    inj.fail_fsync = true;
    assert_int_equal(medium_sync(m), -EIO);
    inj.fail_fsync = false;
    assert_int_equal(medium_sync(m), 0); /* the dirty entries were kept and now land */
    inj.fail_pread = true;
    assert_int_equal(medium_cluster_read(m, 1, 5, got, NULL), -EIO);
    inj.fail_pread = false;

    /* a power cut in the middle of a header write loses only that update */
    inj.tear_next = true;
    assert_int_equal(medium_age(m, 1e6, 80.0), -EIO);
    inj.fail_pwrite = false;
    assert_int_equal(medium_close(m), 0);
    m = open_image(f->path, false, NULL);
    medium_clock_get(m, &c1);
    assert_memory_equal(&c0, &c1, sizeof c0);
    assert_int_equal(medium_cluster_info(m, 0, 5, &ci), 0);
    assert_int_equal(ci.cycles, 2);
    assert_int_equal(medium_close(m), 0);

    /* a create that fails leaves no file behind */
    char other[400];
    snprintf(other, sizeof other, "%s/other.img", f->dir);
    memset(&inj, 0, sizeof inj);
    inj.fail_pwrite = true;
    struct medium_create_options fopt = {.io = &inj_io};
    m = (struct medium *)1;
    assert_int_equal(medium_create(other, &p, &fopt, &m), -EIO);
    assert_null(m);
    assert_int_equal(access(other, F_OK), -1);
    memset(&inj, 0, sizeof inj);
}

struct worker {
    struct medium *m;
    unsigned id, threads;
    unsigned errors;
};

/* Each worker owns the clusters i with i % threads == id, on both layers. */
static void *worker_run(void *arg)
{
    struct worker *w = arg;
    uint8_t *want = malloc(CB), *got = malloc(CB);
    uint64_t n = medium_layer_clusters(w->m);
    if (!want || !got) {
        w->errors++;
        goto out;
    }
    for (unsigned round = 0; round < 3; round++)
        for (uint64_t i = w->id; i < n; i += w->threads * 7) {
            unsigned layer = (unsigned)(i + round) % MEDIUM_LAYER_COUNT;
            struct medium_write_report wr;
            fill_random(want, CB, i * 1000 + round * 10 + layer);
            if (medium_cluster_write(w->m, layer, i, want, &wr) < 0 ||
                medium_cluster_read(w->m, layer, i, got, NULL) < 0 ||
                diff_bits(want, got, CB) != wr.write_errors)
                w->errors++;
        }
out:
    free(want);
    free(got);
    return NULL;
}

static void *syncer_run(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 20; i++)
        if (medium_sync(w->m) < 0 || medium_age(w->m, 1.0, 25.0) < 0)
            w->errors++;
    return NULL;
}

static void test_medium_concurrent_clusters(void **state)
{
    struct fixture *f = *state;
    struct medium *m = create_quiet(f->path, SMALL_BYTES);
    enum { THREADS = 4 };
    pthread_t t[THREADS + 1];
    struct worker w[THREADS + 1];
    for (unsigned i = 0; i <= THREADS; i++) {
        w[i] = (struct worker){.m = m, .id = i, .threads = THREADS};
        assert_int_equal(pthread_create(&t[i], NULL, i < THREADS ? worker_run : syncer_run,
                                        &w[i]), 0);
    }
    for (unsigned i = 0; i <= THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].errors, 0);
    }
    /* every cluster a worker touched was written 3 times over its two layers */
    struct medium_layer_status s0, s1;
    assert_int_equal(medium_layer_status(m, 0, &s0), 0);
    assert_int_equal(medium_layer_status(m, 1, &s1), 0);
    uint64_t touched = 0;
    for (unsigned id = 0; id < THREADS; id++)
        for (uint64_t i = id; i < medium_layer_clusters(m); i += THREADS * 7)
            touched++;
    assert_true(s0.clusters_written == touched && s1.clusters_written == touched);
    assert_int_equal(medium_close(m), 0);
}

static void test_medium_inject_faults(void **state)
{
    struct fixture *f = *state;
    struct medium *m = create_quiet(f->path, SMALL_BYTES);
    struct medium_scratch s = {.r0_mm = 25, .angle0_deg = 0, .r1_mm = 40, .angle1_deg = 5,
                               .width_um = 50, .layer_mask = 3};
    struct medium_dust d = {.r_mm = 30, .angle_deg = 10, .diameter_um = 80};
    struct medium_defects df = {.count = 5, .length_bytes = 100, .layer_mask = 1};
    assert_int_equal(medium_inject_scratch(m, &s), 0);
    assert_int_equal(medium_inject_dust(m, &d), 0);
    assert_int_equal(medium_inject_defects(m, &df), 0);
    struct medium_dust bad = {.r_mm = -5, .angle_deg = 10, .diameter_um = 80};
    assert_int_equal(medium_inject_dust(m, &bad), -EINVAL);
    struct medium_layer_status l0, l1;
    assert_int_equal(medium_layer_status(m, 0, &l0), 0);
    assert_int_equal(medium_layer_status(m, 1, &l1), 0);
    assert_int_equal(l0.faults, 3);
    assert_int_equal(l1.faults, 2);
    assert_int_equal(medium_close(m), 0);

    m = open_image(f->path, false, NULL);
    assert_int_equal(m->fault_count, 3);
    assert_int_equal(m->faults[2].kind, FAULT_DEFECTS);
    assert_int_equal(m->faults[2].id, 3);
    assert_true(m->faults[0].u.scratch.r1_mm == 40);
    for (uint32_t i = 3; i < MEDIUM_MAX_FAULTS; i++)
        assert_int_equal(medium_inject_dust(m, &d), 0);
    assert_int_equal(medium_inject_dust(m, &d), -ENOSPC);
    assert_int_equal(medium_close(m), 0);
    m = open_image(f->path, true, NULL);
    assert_int_equal(m->fault_count, MEDIUM_MAX_FAULTS);
    assert_int_equal(m->faults[MEDIUM_MAX_FAULTS - 1].id, MEDIUM_MAX_FAULTS);
    assert_int_equal(medium_close(m), 0);
}

static void test_medium_layer_status_counts(void **state)
{
    struct fixture *f = *state;
    struct medium *m = create_quiet(f->path, SMALL_BYTES);
    static uint8_t b[CB];
    for (int i = 0; i < 3; i++)
        assert_int_equal(medium_cluster_write(m, 0, 0, b, NULL), 0);
    assert_int_equal(medium_cluster_write(m, 0, 5, b, NULL), 0);
    struct medium_layer_status l0, l1;
    assert_int_equal(medium_layer_status(m, 0, &l0), 0);
    assert_int_equal(medium_layer_status(m, 1, &l1), 0);
    assert_true(l0.clusters_written == 2);
    assert_int_equal(l0.cycles_max, 3);
    assert_true(l0.cycles_mean == 2.0); /* over the written clusters */
    assert_true(l1.clusters_written == 0 && l1.cycles_max == 0 && l1.cycles_mean == 0.0);
    uint64_t defective = 0;
    for (uint64_t i = 0; i < medium_layer_clusters(m); i++)
        defective += faults_cluster_defective(m, 0, i);
    assert_true(l0.defect_clusters == defective);
    assert_true(l0.raw_ber_fresh == m->model[0].ber_fresh);
    assert_true(l0.power_opt_mw == m->model[0].power_opt_mw);
    assert_int_equal(medium_close(m), 0);

    /* the scan of a real-size layer stays well under a second */
    char big[400];
    snprintf(big, sizeof big, "%s/big.img", f->dir);
    m = create_quiet(big, MEDIUM_REAL_LAYER_BYTES);
    double t0 = now_s();
    assert_int_equal(medium_layer_status(m, 0, &l0), 0);
    assert_int_equal(medium_layer_status(m, 1, &l1), 0);
    double t = (now_s() - t0) / 2;
    fprintf(stderr, "# medium_layer_status on 381,856 clusters: %.1f ms per layer\n", t * 1e3);
    assert_true(t < 2.0); /* generous bound on shared machines and sanitizer builds */
    assert_int_equal(medium_close(m), 0);
    unlink(big);
}

static void test_medium_electrical_unsupported(void **state)
{
    struct fixture *f = *state;
    struct medium_profile p;
    struct medium *m = (struct medium *)1;
    assert_int_equal(medium_profile_preset("pcm-2l", &p), 0);
    p.capacity_per_layer = SMALL_BYTES;
    assert_int_equal(medium_create(f->path, &p, NULL, &m), -EOPNOTSUPP);
    assert_null(m);
    assert_int_equal(access(f->path, F_OK), -1);
}

static void test_medium_retention_loss_uses_acceleration(void **state)
{
    struct fixture *f = *state;
    struct medium *m = create_quiet(f->path, SMALL_BYTES);
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        double want = model_retention_fraction(
            m, l, 1e7 * clock_acceleration(m->model[l].ea_ev, 85.0));
        assert_true(medium_retention_loss(m, l, 1e7, 85.0) == want);
        assert_true(medium_retention_loss(m, l, 0.0, 25.0) ==
                    model_retention_fraction(m, l, 0.0));
    }
    assert_true(isnan(medium_retention_loss(m, 0, -1.0, 25.0)));
    assert_int_equal(medium_close(m), 0);
}

/* A write heats the adjacent turns (physics.md §4.4): each neighbour's marks age by the
 * model's cross-erase time per write, and a cluster that is not a neighbour does not. */
static void test_medium_cross_erase_ages_neighbours(void **state)
{
    struct fixture *f = *state;
    struct medium_profile p;
    quiet_profile(&p, SMALL_BYTES);
    p.model.cross_erase = 0.25;
    struct medium_create_options opt = {.overwrite = true};
    struct medium *m = NULL;
    assert_int_equal(medium_create(f->path, &p, &opt, &m), 0);
    const unsigned layer = MEDIUM_LAYER_FAR;
    const uint64_t victim = 100;
    uint64_t nb[8];
    unsigned n = faults_cluster_neighbours(m, victim, nb, 8);
    assert_true(n > 0);
    uint64_t stranger = victim + 40; /* ~11 turns further out at ~3.6 clusters per turn */
    for (unsigned i = 0; i < n; i++)
        assert_true(nb[i] != stranger && nb[i] != victim);
    uint8_t *buf = calloc(1, MEDIUM_CLUSTER_BYTES);
    assert_non_null(buf);
    assert_int_equal(medium_cluster_write(m, layer, victim, buf, NULL), 0);
    assert_int_equal(medium_cluster_write(m, layer, stranger, buf, NULL), 0);
    struct medium_cluster_info before, after, stranger_info;
    assert_int_equal(medium_cluster_info(m, layer, victim, &before), 0);
    const double bump = m->model[layer].cross_erase_s;
    assert_true(bump > 0.0);
    const int writes = 5;
    for (int w = 0; w < writes; w++)
        assert_int_equal(medium_cluster_write(m, layer, nb[0], buf, NULL), 0);
    assert_int_equal(medium_cluster_info(m, layer, victim, &after), 0);
    double grown = after.age_equiv_s - before.age_equiv_s;
    unsigned times = 0; /* the victim lies beside nb[0] exactly once */
    uint64_t back[8];
    unsigned nback = faults_cluster_neighbours(m, nb[0], back, 8);
    for (unsigned i = 0; i < nback; i++)
        times += back[i] == victim;
    assert_int_equal(times, 1);
    assert_true(fabs(grown - writes * bump) <= 1e-9 * writes * bump);
    /* a cluster turns away from nb[0] is not heated */
    for (unsigned i = 0; i < nback; i++)
        assert_true(back[i] != stranger);
    assert_int_equal(medium_cluster_info(m, layer, stranger, &stranger_info), 0);
    assert_true(stranger_info.age_equiv_s == 0.0);
    free(buf);
    assert_int_equal(medium_close(m), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_medium_create_open_close_roundtrip),
        T(test_medium_write_read_roundtrip),
        T(test_medium_out_of_range),
        T(test_medium_create_existing_fails),
        T(test_medium_read_only_never_writes),
        T(test_medium_counters_persist),
        T(test_medium_unsynced_write_not_in_table),
        T(test_medium_corrupt_entry_reads_euclean),
        T(test_medium_age_constant_time),
        T(test_medium_io_errors_give_eio),
        T(test_medium_concurrent_clusters),
        T(test_medium_inject_faults),
        T(test_medium_layer_status_counts),
        T(test_medium_electrical_unsupported),
        T(test_medium_retention_loss_uses_acceleration),
        T(test_medium_cross_erase_ages_neighbours),
#undef T
    };
    return cmocka_run_group_tests_name("medium", tests, NULL, NULL);
}
