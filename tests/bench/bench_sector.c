/*
 * bench_sector.c — single-core throughput of the cluster codec (src/sector): encode, clean
 * decode (and the same without the quick pass of cluster_codec.c invariant 9), decode at
 * the specified random symbol error rate (SER 2e-4, physics.md §3.2) and with 8 errors
 * in every LDC codeword, in MB/s of user data, each against memcpy of the same user
 * bytes over the same working set in the same run; then encode and clean decode again
 * with the bulk products forced to ISA-L (rs.c), the reference for the GFNI kernel.
 * Run by `make bench`, never by `make check`. It uses the layer's internal codec API
 * (sector_priv.h): the codec is what is measured, the handle above it does not exist yet.
 *
 * Prints: BENCH <name> <MB/s> MB/s ratio=<r> vs=memcpy(<MB/s>)
 */
#include "sector_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLUSTERS 48u /* working set: 3 MiB user, 3.5 MiB recorded */
#define PASSES 8u
#define REPEATS 3

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double mbps(double seconds, unsigned clusters)
{
    return (double)clusters * SECTOR_CLUSTER_USER_BYTES / seconds / 1e6;
}

static struct sector_address address_of(unsigned i)
{
    return (struct sector_address){.layer = i & 1, .physical_cluster = i, .logical_cluster = i};
}

static double memcpy_rate(const uint8_t *src, uint8_t *dst)
{
    double best = 1e30;
    for (int r = 0; r < REPEATS; r++) {
        double t0 = now();
        for (unsigned p = 0; p < PASSES; p++)
            for (unsigned i = 0; i < CLUSTERS; i++)
                memcpy(dst + (size_t)i * SECTOR_CLUSTER_USER_BYTES,
                       src + (size_t)i * SECTOR_CLUSTER_USER_BYTES, SECTOR_CLUSTER_USER_BYTES);
        __asm__ volatile("" : : "r"(dst) : "memory");
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    return mbps(best, CLUSTERS * PASSES);
}

typedef int (*decode_fn)(const struct sector_codec *, const struct sector_address *,
                         const uint8_t *, uint8_t *, uint8_t *, struct sector_decode_report *,
                         struct sector_scratch *);

/* Best-of-REPEATS rate of decode over the recorded clusters in rec; counts failures. */
static double decode_rate_with(decode_fn decode, const struct sector_codec *codec,
                               struct sector_scratch *sc, const uint8_t *rec, uint8_t *out,
                               const uint8_t *user, long *bad)
{
    double best = 1e30;
    *bad = 0;
    for (int r = 0; r < REPEATS; r++) {
        double t0 = now();
        for (unsigned p = 0; p < PASSES; p++)
            for (unsigned i = 0; i < CLUSTERS; i++) {
                struct sector_address a = address_of(i);
                struct sector_decode_report rep;
                if (decode(codec, &a, rec + (size_t)i * MEDIUM_CLUSTER_BYTES,
                           out + (size_t)i * SECTOR_CLUSTER_USER_BYTES, NULL, &rep, sc) != 0)
                    (*bad)++;
            }
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    if (memcmp(out, user, (size_t)CLUSTERS * SECTOR_CLUSTER_USER_BYTES) != 0)
        (*bad)++;
    return mbps(best, CLUSTERS * PASSES);
}

static double decode_rate(const struct sector_codec *codec, struct sector_scratch *sc,
                          const uint8_t *rec, uint8_t *out, const uint8_t *user, long *bad)
{
    return decode_rate_with(sector_cluster_decode, codec, sc, rec, out, user, bad);
}

static void line(const char *name, double rate, double ref)
{
    printf("BENCH %s %.0f MB/s ratio=%.3f vs=memcpy(%.0f)\n", name, rate, rate / ref, ref);
}

/* Best-of-REPEATS rate of encoding every user cluster into rec; -1 on a failure. */
static double encode_rate(const struct sector_codec *codec, struct sector_scratch *sc,
                          const uint8_t *user, uint8_t *rec)
{
    double best = 1e30;
    for (int r = 0; r < REPEATS; r++) {
        double t0 = now();
        for (unsigned p = 0; p < PASSES; p++)
            for (unsigned i = 0; i < CLUSTERS; i++) {
                struct sector_address a = address_of(i);
                if (sector_cluster_encode(codec, &a, user + (size_t)i * SECTOR_CLUSTER_USER_BYTES,
                                          NULL, rec + (size_t)i * MEDIUM_CLUSTER_BYTES, sc) != 0)
                    return -1;
            }
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    return mbps(best, CLUSTERS * PASSES);
}

int main(void)
{
    struct sector_codec *codec;
    struct sector_scratch *sc;
    if (sector_codec_create(&codec) < 0 || sector_scratch_create(&sc) < 0) {
        fprintf(stderr, "bench_sector: out of memory\n");
        return 1;
    }
    size_t user_bytes = (size_t)CLUSTERS * SECTOR_CLUSTER_USER_BYTES;
    size_t rec_bytes = (size_t)CLUSTERS * MEDIUM_CLUSTER_BYTES;
    uint8_t *user = malloc(user_bytes), *out = malloc(user_bytes);
    uint8_t *rec = malloc(rec_bytes), *damaged = malloc(rec_bytes);
    if (!user || !out || !rec || !damaged) {
        fprintf(stderr, "bench_sector: out of memory\n");
        return 1;
    }
    struct util_rng rng;
    util_rng_stream(&rng, 42, 0x5ec, 0, 0, 0);
    for (size_t i = 0; i < user_bytes; i += 8)
        util_le64_put(user + i, util_rng_u64(&rng));
    double ref = memcpy_rate(user, out);

    /* encode, with the kernel sector_rs_init chose (rs.c) */
    fprintf(stderr, "bench_sector: kernel %s\n",
            codec->ldc.kernel == SECTOR_RS_KERNEL_GFNI ? "gfni" : "isal");
    double rate = encode_rate(codec, sc, user, rec);
    if (rate < 0) {
        fprintf(stderr, "bench_sector: encode failed\n");
        return 1;
    }
    line("encode", rate, ref);

    long bad;
    rate = decode_rate(codec, sc, rec, out, user, &bad);
    line("decode_clean", rate, ref);
    if (bad)
        fprintf(stderr, "bench_sector: decode_clean: %ld failures\n", bad);
    /* the same without the quick pass (cluster_codec.c invariant 9), for comparison */
    rate = decode_rate_with(sector_cluster_decode_full, codec, sc, rec, out, user, &bad);
    line("decode_clean_full", rate, ref);
    if (bad)
        fprintf(stderr, "bench_sector: decode_clean_full: %ld failures\n", bad);

    /* random symbol errors at SER 2e-4 over the recorded bytes: geometric gaps */
    memcpy(damaged, rec, rec_bytes);
    uint64_t errors = 0;
    for (uint64_t o = util_rng_geometric(&rng, 2e-4); o < rec_bytes;
         o += 1 + util_rng_geometric(&rng, 2e-4), errors++)
        damaged[o] ^= (uint8_t)(1 + util_rng_below(&rng, 255));
    rate = decode_rate(codec, sc, damaged, out, user, &bad);
    line("decode_ser2e-4", rate, ref);
    if (bad)
        fprintf(stderr, "bench_sector: decode_ser2e-4: %ld failures\n", bad);
    fprintf(stderr, "bench_sector: SER 2e-4: %.1f symbol errors per cluster\n",
            (double)errors / CLUSTERS);

    /* 8 errors in every LDC codeword */
    memcpy(damaged, rec, rec_bytes);
    for (unsigned i = 0; i < CLUSTERS; i++)
        for (unsigned k = 0; k < SECTOR_LDC_CODEWORDS; k++) {
            uint8_t hit[SECTOR_LDC_N] = {0};
            for (int e = 0; e < 8;) {
                unsigned s = (unsigned)util_rng_below(&rng, SECTOR_LDC_N);
                if (hit[s])
                    continue;
                hit[s] = 1;
                damaged[(size_t)i * MEDIUM_CLUSTER_BYTES + sector_ldc_offset(k, s)] ^=
                    (uint8_t)(1 + util_rng_below(&rng, 255));
                e++;
            }
        }
    rate = decode_rate(codec, sc, damaged, out, user, &bad);
    line("decode_8err", rate, ref);
    if (bad)
        fprintf(stderr, "bench_sector: decode_8err: %ld failures\n", bad);

    /* the reference kernel on the same machine: ISA-L's products, same bytes */
    if (sector_rs_set_kernel(&codec->ldc, SECTOR_RS_KERNEL_ISAL) < 0 ||
        sector_rs_set_kernel(&codec->bis, SECTOR_RS_KERNEL_ISAL) < 0) {
        fprintf(stderr, "bench_sector: cannot select ISA-L\n");
        return 1;
    }
    rate = encode_rate(codec, sc, user, rec);
    if (rate < 0) {
        fprintf(stderr, "bench_sector: encode_isal failed\n");
        return 1;
    }
    line("encode_isal", rate, ref);
    rate = decode_rate(codec, sc, rec, out, user, &bad);
    line("decode_clean_isal", rate, ref);
    if (bad)
        fprintf(stderr, "bench_sector: decode_clean_isal: %ld failures\n", bad);

    free(user);
    free(out);
    free(rec);
    free(damaged);
    sector_scratch_destroy(sc);
    sector_codec_destroy(codec);
    return 0;
}
