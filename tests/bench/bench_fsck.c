/*
 * bench_fsck.c — scan rate of fsck.phasefs --scan (src/health/scan.c): GB of recorded medium
 * read, decoded and summarised per second, against reading the same image file with
 * plain read() in the same run (both from the page cache, best of three). The image
 * (64 MiB of user data per layer, every cluster written) is built here with the medium
 * and sector APIs and removed at the end. Run by `make bench`, never by `make check`.
 *
 * Prints: BENCH fsck_scan <GB/s> GB/s ratio=<r> vs=read(<GB/s>)
 */
#include "health.h"
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LAYER_BYTES (64u << 20)
#define REPEATS 3

static int build(const char *path)
{
    struct medium_profile p;
    struct medium *m = NULL;
    struct sector_dev *dev = NULL;
    int rc = medium_profile_preset("bd-re-dl", &p);
    if (rc < 0)
        return rc;
    p.capacity_per_layer = LAYER_BYTES;
    struct medium_create_options co = {.io = NULL, .overwrite = true};
    if ((rc = medium_create(path, &p, &co, &m)) < 0)
        return rc;
    struct sector_options so;
    sector_options_default(&so);
    so.force_format = true;
    so.verify_after_write = false;
    if ((rc = sector_format(m, &so)) < 0 || (rc = sector_open(m, &so, &dev)) < 0)
        goto out;
    static uint8_t user[SECTOR_CLUSTER_USER_BYTES];
    uint64_t x = 12345;
    for (uint64_t lcn = 0; lcn < sector_logical_clusters(dev); lcn++) {
        for (size_t i = 0; i < sizeof user; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            user[i] = (uint8_t)(x >> 56);
        }
        if ((rc = sector_write(dev, lcn, user, NULL)) < 0)
            goto out;
    }
out:
    sector_close(dev);
    int crc = medium_close(m);
    return rc < 0 ? rc : crc;
}

static double read_file(const char *path, uint64_t *bytes)
{
    static uint8_t buf[1 << 20];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    double t0 = tool_now();
    ssize_t n;
    *bytes = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        *bytes += (uint64_t)n;
    double t = tool_now() - t0;
    close(fd);
    return n < 0 ? -1 : t;
}

int main(void)
{
    char path[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/bench_fsck.%d.img", tmp && *tmp ? tmp : "/tmp",
             (int)getpid());
    tool_set_progname("bench_fsck");
    int rc = build(path);
    if (rc < 0) {
        fprintf(stderr, "bench_fsck: %s: cannot build the image: %s\n", path, strerror(-rc));
        unlink(path);
        return 1;
    }
    double best_scan = 1e30, best_read = 1e30;
    uint64_t scanned = 0, file_bytes = 0;
    for (int r = 0; r < REPEATS; r++) {
        uint64_t b;
        double t = read_file(path, &b);
        if (t < 0) {
            fprintf(stderr, "bench_fsck: %s: read failed: %s\n", path, strerror(errno));
            unlink(path);
            return 1;
        }
        if (t < best_read)
            best_read = t, file_bytes = b;
        struct health_scan_options so = {.progress = false, .threads = 0, .owner = NULL,
                                       .owner_ctx = NULL, .cancel = NULL};
        struct health h;
        double t0 = tool_now();
        if (health_scan(path, &so, &h) < 0) {
            unlink(path);
            return 1;
        }
        t = tool_now() - t0;
        if (t < best_scan)
            best_scan = t, scanned = h.bytes_read;
        health_free(&h);
    }
    unlink(path);
    double scan_gbs = (double)scanned / best_scan / 1e9;
    double read_gbs = (double)file_bytes / best_read / 1e9;
    printf("BENCH fsck_scan %.3f GB/s ratio=%.3f vs=read(%.3f GB/s)\n", scan_gbs,
           scan_gbs / read_gbs, read_gbs);
    return 0;
}
