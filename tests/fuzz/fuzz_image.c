/*
 * fuzz_image.c — libFuzzer target: medium_open on a mutated image (header slots,
 * profile text, fault table, cluster table), then what a tool does with what opened:
 * layer status, cluster info and a read of every cluster, ageing, a write, a close.
 *
 * An input is the image's leading bytes: it replaces the start of a small base image
 * (1 MiB per layer, a few clusters written, a scratch and dust recorded) whose recorded
 * bytes follow; the seed is the base image's own header and tables. The image is in
 * memory (memimage.c), so a run costs microseconds, not a file.
 */
#include "fuzz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *base, *work;
static size_t base_len;

static void must(int rc, const char *what)
{
    if (rc < 0) {
        fprintf(stderr, "fuzz_image: %s: %s\n", what, strerror(-rc));
        exit(1);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct medium_profile p;
    struct medium *m;
    struct medium_create_options co = {.io = memimage_io(), .overwrite = true};
    static uint8_t cl[MEDIUM_CLUSTER_BYTES];

    must(medium_profile_preset("bd-re-dl", &p), "preset");
    p.capacity_per_layer = MEDIUM_MIN_LAYER_BYTES;
    p.seed = 7;
    must(medium_create(MEMIMAGE_PATH, &p, &co, &m), "create");
    for (unsigned i = 0; i < sizeof cl; i++)
        cl[i] = (uint8_t)(i * 2654435761u >> 13);
    must(medium_cluster_write(m, MEDIUM_LAYER_FAR, 0, cl, NULL), "write");
    must(medium_cluster_write(m, MEDIUM_LAYER_NEAR, 3, cl, NULL), "write");
    struct medium_scratch s = {30, 0, 40, 10, 50, 3};
    struct medium_dust d = {35, 90, 40};
    must(medium_inject_scratch(m, &s), "scratch");
    must(medium_inject_dust(m, &d), "dust");
    must(medium_age(m, 3.15e7, 40), "age");
    must(medium_close(m), "close");
    const uint8_t *img = memimage_bytes(&base_len);
    base = malloc(base_len);
    work = malloc(base_len);
    if (!base || !work)
        must(-ENOMEM, "base copy");
    memcpy(base, img, base_len);

    const char *seeds = fuzz_seed_dir(*argc, *argv);
    if (seeds) {
        /* the header slots, profile text, fault table and cluster table: everything
         * before the first recorded cluster */
        size_t head = base_len - 2 * (size_t)p.capacity_per_layer /
                                     MEDIUM_USER_BYTES_PER_CLUSTER * MEDIUM_CLUSTER_BYTES;
        if (fuzz_write_file(seeds, "seed-base", base, head) < 0) {
            perror(seeds);
            exit(1);
        }
        exit(0);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t cl[MEDIUM_CLUSTER_BYTES];
    struct medium_open_options oo = {.io = memimage_io()};
    struct medium *m;

    /* the input is the head of the file; a longer one makes a longer file */
    size_t len = size > base_len ? size : base_len;
    uint8_t *img = size > base_len ? malloc(len) : work;
    if (!img)
        return 0;
    memcpy(img, base, base_len);
    memcpy(img, data, size);
    memimage_load(img, len);
    if (img != work)
        free(img);

    if (medium_open(MEMIMAGE_PATH, &oo, &m) < 0)
        return 0;
    struct medium_layer_status st;
    struct medium_cluster_info ci;
    struct medium_clock ck;
    uint64_t n = medium_layer_clusters(m);
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
        (void)medium_layer_status(m, layer, &st);
        for (uint64_t i = 0; i < n && i < 64; i++) {
            (void)medium_cluster_info(m, layer, i, &ci);
            (void)medium_cluster_read(m, layer, i, cl, NULL);
        }
    }
    medium_clock_get(m, &ck);
    (void)medium_retention_loss(m, MEDIUM_LAYER_FAR, 1e6, 60);
    (void)medium_age(m, 3600, 25);
    (void)medium_cluster_write(m, MEDIUM_LAYER_NEAR, 1, cl, NULL);
    (void)medium_close(m);
    return 0;
}
