/*
 * bench_medium.c — throughput of libmedium's cluster write and read paths on a real
 * image file, each against memcpy of the same number of bytes measured in the same run
 * (the reference the issue asks for). Run by `make bench`, never by `make check`.
 *
 * Prints: BENCH <name> <value> <unit> ratio=<r> vs=<reference>
 */
#include "medium.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CLUSTERS 2048u /* per pass: 157 MB of recorded bytes */
#define REPEATS 3

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Best-of-REPEATS memcpy of CLUSTERS cluster-sized blocks out of a large source, so the
 * reference streams through memory as the medium's reads do. */
static double memcpy_rate(const uint8_t *src, uint8_t *dst)
{
    double best = 1e30;
    for (int r = 0; r < REPEATS; r++) {
        double t0 = now();
        for (uint64_t i = 0; i < CLUSTERS; i++)
            memcpy(dst, src + i * MEDIUM_CLUSTER_BYTES, MEDIUM_CLUSTER_BYTES);
        __asm__ volatile("" : : "r"(dst) : "memory");
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    return (double)CLUSTERS * MEDIUM_CLUSTER_BYTES / best;
}

static int run(const char *label, double ser0, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/bench-medium-%d.img", dir, (int)getpid());
    struct medium_profile p;
    if (medium_profile_preset("bd-re-dl", &p) < 0) {
        fprintf(stderr, "bench_medium: preset bd-re-dl missing\n");
        return 1;
    }
    p.capacity_per_layer = (uint64_t)CLUSTERS * MEDIUM_USER_BYTES_PER_CLUSTER;
    p.model.ser0 = ser0;
    struct medium_create_options copt = {.overwrite = true};
    struct medium *m;
    int rc = medium_create(path, &p, &copt, &m);
    if (rc < 0) {
        fprintf(stderr, "bench_medium: %s: cannot create: %s\n", path, strerror(-rc));
        return 1;
    }
    uint8_t *src = malloc((size_t)CLUSTERS * MEDIUM_CLUSTER_BYTES);
    uint8_t *buf = malloc(MEDIUM_CLUSTER_BYTES);
    if (!src || !buf) {
        fprintf(stderr, "bench_medium: out of memory\n");
        return 1;
    }
    /* Scrambled-looking data: marks and spaces balanced, as the sector layer records. */
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < (size_t)CLUSTERS * MEDIUM_CLUSTER_BYTES; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        src[i] = (uint8_t)x;
    }
    double ref = memcpy_rate(src, buf);

    double best_w = 1e30, best_r = 1e30;
    for (int r = 0; r < REPEATS; r++) {
        double t0 = now();
        for (uint64_t i = 0; i < CLUSTERS; i++)
            if (medium_cluster_write(m, MEDIUM_LAYER_NEAR, i, src + i * MEDIUM_CLUSTER_BYTES,
                                     NULL) < 0) {
                fprintf(stderr, "bench_medium: write failed\n");
                return 1;
            }
        double tw = now() - t0;
        t0 = now();
        for (uint64_t i = 0; i < CLUSTERS; i++)
            if (medium_cluster_read(m, MEDIUM_LAYER_NEAR, i, buf, NULL) < 0) {
                fprintf(stderr, "bench_medium: read failed\n");
                return 1;
            }
        double tr = now() - t0;
        if (tw < best_w)
            best_w = tw;
        if (tr < best_r)
            best_r = tr;
    }
    double bytes = (double)CLUSTERS * MEDIUM_CLUSTER_BYTES;
    printf("BENCH medium_write_%s %.1f MB/s ratio=%.3f vs=memcpy(%.1f MB/s)\n", label,
           bytes / best_w / 1e6, bytes / best_w / ref, ref / 1e6);
    printf("BENCH medium_read_%s %.1f MB/s ratio=%.3f vs=memcpy(%.1f MB/s)\n", label,
           bytes / best_r / 1e6, bytes / best_r / ref, ref / 1e6);
    if (medium_close(m) < 0)
        fprintf(stderr, "bench_medium: close failed\n");
    unlink(path);
    free(src);
    free(buf);
    return 0;
}

/* Cost of ageing a real-size medium (25 GB per layer) by 30 years: one step at the
 * office condition, then 30 one-year steps alternating 25 C / 50 % RH and 30 C / 80 % RH
 * (each a change of conditions, so each folds the clock's run). O(1): only the clock
 * accounts and one durable header write per step, whatever the capacity. */
static int age_bench(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/bench-age-%d.img", dir, (int)getpid());
    struct medium_profile p;
    if (medium_profile_preset("bd-re-dl", &p) < 0)
        return 1;
    struct medium_create_options copt = {.overwrite = true};
    struct medium *m;
    int rc = medium_create(path, &p, &copt, &m);
    if (rc < 0) {
        fprintf(stderr, "bench_medium: %s: cannot create: %s\n", path, strerror(-rc));
        return 1;
    }
    const double year = 31557600.0;
    double t0 = now();
    rc = medium_age_rh(m, 30 * year, 25.0, 50.0);
    double one = now() - t0;
    t0 = now();
    for (int y = 0; y < 30 && rc == 0; y++)
        rc = medium_age_rh(m, year, y % 2 ? 30.0 : 25.0, y % 2 ? 80.0 : 50.0);
    double steps = now() - t0;
    if (rc < 0) {
        fprintf(stderr, "bench_medium: ageing failed: %s\n", strerror(-rc));
        medium_close(m);
        unlink(path);
        return 1;
    }
    printf("BENCH medium_age_30y_25gb %.3f ms (one step; limit 1000 ms)\n", one * 1e3);
    printf("BENCH medium_age_30x1y_25gb %.3f ms (30 steps at changing conditions)\n",
           steps * 1e3);
    if (medium_close(m) < 0)
        fprintf(stderr, "bench_medium: close failed\n");
    unlink(path);
    return 0;
}

int main(void)
{
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    /* clean: the preset's error model (fresh layer, SER0 1e-5: a few noise flips per
     * read); noisefree: SER0 = 0, the bare path; ser1e-3: a worn-looking layer. */
    if (run("clean", 1e-5, dir) || run("noisefree", 0.0, dir) || run("ser1e-3", 1e-3, dir) ||
        age_bench(dir))
        return 1;
    return 0;
}
