/*
 * test_cluster_codec.c — unit tests of src/sector/cluster_codec.c: round trip, scrambler
 * balance, the layout (every recorded byte used once; each LDC/BIS codeword gathered by
 * the documented offsets is a libfec codeword), correction at the limit in every
 * codeword at once (errors, BIS-flagged erasures, mixed), long bursts that only the
 * burst indicator saves, beyond-limit damage that must give -EBADMSG and never wrong
 * data (RS miscorrections caught by the EDC), the quick clean pass (invariant 9:
 * patterns its four syndromes cannot see are still corrected or refused, and its
 * results and reports equal the complete decode's), wrong addresses, report fields,
 * and concurrent decodes. Expected erasure flags are recomputed here from the documented
 * rule (cluster_codec.c invariant 8) over recorded offsets, not taken from the codec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <fec.h>

#include "sector_priv.h"

#define REC MEDIUM_CLUSTER_BYTES
#define USER SECTOR_CLUSTER_USER_BYTES
#define NCW SECTOR_LDC_CODEWORDS
#define NBIS SECTOR_BIS_CODEWORDS

struct ctx {
    struct sector_codec *codec;
    struct sector_scratch *sc;
    void *fec_ldc, *fec_bis;
    uint8_t *user, *out, *rec, *orig_rec;
    uint8_t control[SECTOR_CLUSTER_CONTROL_BYTES];
    uint8_t flagged[REC]; /* expected erasure flags per recorded byte */
    uint8_t bad_picket[SECTOR_BIS_BYTES];
    struct util_rng rng;
};

static const struct sector_address addr0 = {.layer = 1, .physical_cluster = 1234,
                                            .logical_cluster = 987};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    if (sector_codec_create(&c->codec) < 0 || sector_scratch_create(&c->sc) < 0)
        return -1;
    c->fec_ldc = init_rs_char(8, 0x11d, SECTOR_RS_FCR, 1, 32, 255 - 248);
    c->fec_bis = init_rs_char(8, 0x11d, SECTOR_RS_FCR, 1, 32, 255 - 62);
    c->user = malloc(USER);
    c->out = malloc(USER);
    c->rec = malloc(REC);
    c->orig_rec = malloc(REC);
    if (!c->fec_ldc || !c->fec_bis || !c->user || !c->out || !c->rec || !c->orig_rec)
        return -1;
    util_rng_stream(&c->rng, 7, 1, 0, 0, 0);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    sector_codec_destroy(c->codec);
    sector_scratch_destroy(c->sc);
    free_rs_char(c->fec_ldc);
    free_rs_char(c->fec_bis);
    free(c->user);
    free(c->out);
    free(c->rec);
    free(c->orig_rec);
    free(c);
    return 0;
}

static uint8_t nonzero(struct util_rng *rng)
{
    return (uint8_t)(1 + util_rng_below(rng, 255));
}

/* Fresh random user data and control, encoded at addr0 into rec and orig_rec. */
static void fresh_cluster(struct ctx *c)
{
    for (size_t i = 0; i < USER; i += 8)
        util_le64_put(c->user + i, util_rng_u64(&c->rng));
    for (size_t i = 0; i < sizeof c->control; i++)
        c->control[i] = (uint8_t)util_rng_u64(&c->rng);
    assert_int_equal(sector_cluster_encode(c->codec, &addr0, c->user, c->control, c->rec, c->sc),
                     0);
    memcpy(c->orig_rec, c->rec, REC);
}

static size_t picket_offset(unsigned b)
{
    static const unsigned col[3] = {38, 77, 116};
    return (size_t)(b / 3) * SECTOR_ROW_BYTES + col[b % 3];
}

/* The documented rule, in recorded offsets: the LDC bytes strictly between two pickets
 * consecutive along the track are flagged when both are bad; before the first and
 * after the last picket one bad picket suffices. */
static void expected_flags(struct ctx *c)
{
    memset(c->flagged, 0, sizeof c->flagged);
    for (unsigned q = 0; q <= SECTOR_BIS_BYTES; q++) {
        int left = q == 0 || c->bad_picket[q - 1];
        int right = q == SECTOR_BIS_BYTES || c->bad_picket[q];
        if (!left || !right)
            continue;
        size_t from = q == 0 ? 0 : picket_offset(q - 1) + 1;
        size_t to = q == SECTOR_BIS_BYTES ? REC : picket_offset(q);
        memset(c->flagged + from, 1, to - from);
    }
}

static int flags_of(struct ctx *c, unsigned cw)
{
    int n = 0;
    for (unsigned s = 0; s < SECTOR_LDC_N; s++)
        n += c->flagged[sector_ldc_offset(cw, s)];
    return n;
}

static void corrupt_pickets(struct ctx *c)
{
    for (unsigned b = 0; b < SECTOR_BIS_BYTES; b++)
        if (c->bad_picket[b])
            c->rec[picket_offset(b)] ^= nonzero(&c->rng);
}

static unsigned bucket_of(int n)
{
    return n <= 2 ? (unsigned)n : n <= 4 ? 3 : n <= 8 ? 4 : n <= 16 ? 5 : 6;
}

static int decode(struct ctx *c, struct sector_decode_report *rep, uint8_t *control)
{
    return sector_cluster_decode(c->codec, &addr0, c->rec, c->out, control, rep, c->sc);
}

/* ---- clean path and layout ---- */

static void test_cluster_codec_roundtrip_clean(void **state)
{
    struct ctx *c = *state;
    struct sector_decode_report rep;
    uint8_t control[SECTOR_CLUSTER_CONTROL_BYTES];
    for (int t = 0; t < 4; t++) {
        fresh_cluster(c);
        assert_int_equal(decode(c, &rep, control), 0);
        assert_memory_equal(c->out, c->user, USER);
        assert_memory_equal(control, c->control, sizeof control);
        assert_int_equal(rep.margin, 32);
        assert_int_equal(rep.hist[SECTOR_HIST_0], NCW);
        assert_int_equal(rep.ldc_nonzero_syndrome, 0);
        assert_int_equal(rep.address_units_ok, 16);
        assert_int_equal(rep.failing_sector_mask, 0);
        assert_memory_equal(c->rec, c->orig_rec, REC); /* decode does not write it */
    }
    /* NULL control records zeros. */
    assert_int_equal(sector_cluster_encode(c->codec, &addr0, c->user, NULL, c->rec, c->sc), 0);
    assert_int_equal(decode(c, NULL, control), 0);
    for (size_t i = 0; i < sizeof control; i++)
        assert_int_equal(control[i], 0);
}

static void test_cluster_codec_layout_is_a_bijection(void **state)
{
    (void)state;
    uint8_t *seen = calloc(REC, 1);
    assert_non_null(seen);
    for (unsigned cw = 0; cw < NCW; cw++)
        for (unsigned s = 0; s < SECTOR_LDC_N; s++) {
            size_t o = sector_ldc_offset(cw, s);
            assert_true(o < REC);
            seen[o]++;
        }
    for (unsigned cw = 0; cw < NBIS; cw++)
        for (unsigned s = 0; s < SECTOR_BIS_N; s++) {
            size_t o = sector_bis_offset(cw, s);
            unsigned col = (unsigned)(o % SECTOR_ROW_BYTES);
            assert_true(col == 38 || col == 77 || col == 116);
            seen[o]++;
        }
    for (size_t i = 0; i < REC; i++)
        assert_int_equal(seen[i], 1);
    /* Consecutive LDC bytes along a row belong to different codewords (bursts spread),
     * and a column repeated over all rows hits each codeword at most twice. */
    int per_cw[NCW] = {0};
    for (unsigned cw = 0; cw < NCW; cw++)
        for (unsigned s = 0; s < SECTOR_LDC_N; s++)
            if (sector_ldc_offset(cw, s) % SECTOR_ROW_BYTES == 5)
                per_cw[cw]++;
    for (unsigned cw = 0; cw < NCW; cw++)
        assert_true(per_cw[cw] <= 2);
    free(seen);
}

/* Each codeword gathered from the recorded cluster by the documented offsets is a
 * codeword of libfec's code: encoder, interleave and layout agree with an independent
 * implementation. */
static void test_cluster_codec_codewords_match_libfec(void **state)
{
    struct ctx *c = *state;
    fresh_cluster(c);
    uint8_t cw[256], par[32];
    for (unsigned k = 0; k < NCW; k++) {
        for (unsigned s = 0; s < SECTOR_LDC_N; s++)
            cw[s] = c->rec[sector_ldc_offset(k, s)];
        encode_rs_char(c->fec_ldc, cw, par);
        assert_memory_equal(par, cw + SECTOR_LDC_K, 32);
    }
    for (unsigned k = 0; k < NBIS; k++) {
        for (unsigned s = 0; s < SECTOR_BIS_N; s++)
            cw[s] = c->rec[sector_bis_offset(k, s)];
        encode_rs_char(c->fec_bis, cw, par);
        assert_memory_equal(par, cw + SECTOR_BIS_K, 32);
    }
}

static double ones_fraction(const uint8_t *p, size_t n)
{
    uint64_t ones = 0;
    for (size_t i = 0; i < n; i++)
        ones += (uint64_t)__builtin_popcount(p[i]);
    return (double)ones / (8.0 * (double)n);
}

static void test_cluster_codec_scramble_balances_marks(void **state)
{
    struct ctx *c = *state;
    const uint8_t fill[2] = {0x00, 0xff};
    for (int f = 0; f < 2; f++) {
        memset(c->user, fill[f], USER);
        for (uint64_t a = 0; a < 8; a++) {
            struct sector_address ad = {.layer = (uint32_t)(a & 1), .physical_cluster = a * 977,
                                        .logical_cluster = a};
            assert_int_equal(sector_cluster_encode(c->codec, &ad, c->user, NULL, c->rec, c->sc),
                             0);
            double ones = ones_fraction(c->rec, REC);
            assert_true(ones > 0.45 && ones < 0.55);
            /* and locally: every row-sized stretch of 4 KiB is balanced too */
            for (size_t o = 0; o + 4096 <= REC; o += 4096) {
                double w = ones_fraction(c->rec + o, 4096);
                assert_true(w > 0.45 && w < 0.55);
            }
            /* the BIS alone (address units, zero control) too */
            uint8_t bis[SECTOR_BIS_BYTES];
            for (unsigned b = 0; b < SECTOR_BIS_BYTES; b++)
                bis[b] = c->rec[picket_offset(b)];
            double wb = ones_fraction(bis, sizeof bis);
            assert_true(wb > 0.45 && wb < 0.55);
            struct sector_decode_report rep;
            assert_int_equal(
                sector_cluster_decode(c->codec, &ad, c->rec, c->out, NULL, &rep, c->sc), 0);
            assert_memory_equal(c->out, c->user, USER);
        }
    }
}

/* ---- at the limit, in every codeword ---- */

static void test_cluster_codec_corrects_16_errors_every_codeword(void **state)
{
    struct ctx *c = *state;
    for (int t = 0; t < 3; t++) {
        fresh_cluster(c);
        for (unsigned k = 0; k < NCW; k++) {
            uint8_t hit[SECTOR_LDC_N] = {0};
            for (int e = 0; e < 16;) {
                unsigned s = (unsigned)util_rng_below(&c->rng, SECTOR_LDC_N);
                if (hit[s])
                    continue;
                hit[s] = 1;
                c->rec[sector_ldc_offset(k, s)] ^= nonzero(&c->rng);
                e++;
            }
        }
        struct sector_decode_report rep;
        assert_int_equal(decode(c, &rep, NULL), 0);
        assert_memory_equal(c->out, c->user, USER);
        assert_int_equal(rep.symbols_corrected, 16 * NCW);
        assert_int_equal(rep.max_corrected, 16);
        assert_int_equal(rep.margin, 0);
        assert_int_equal(rep.hist[SECTOR_HIST_9_16], NCW);
        assert_int_equal(rep.ldc_nonzero_syndrome, NCW);
        assert_int_equal(rep.erasures_used, 0);
        assert_int_equal(rep.bis_symbols_corrected, 0);
    }
}

/*
 * Bad pickets that flag exactly R/2 symbols of every codeword: all pickets of rows
 * 0..R-1 (with the cluster start, everything up to picket 2 of row R-1: rows 0..R-1
 * except the 38 bytes after that picket), plus the one 38-byte run inside a later row
 * that holds exactly the codewords those 38 bytes would have held. The expected flags
 * are then recomputed from the rule and checked, so a wrong construction fails here.
 */
static void flag_half_rows(struct ctx *c, unsigned R)
{
    memset(c->bad_picket, 0, sizeof c->bad_picket);
    if (R > 0) {
        for (unsigned b = 0; b < 3 * R; b++)
            c->bad_picket[b] = 1;
        unsigned s_missing = (R - 1) / 2;
        unsigned r2 = 2 * ((s_missing + 76) % 152) + 1;
        assert_true(r2 > R);
        c->bad_picket[3 * r2] = c->bad_picket[3 * r2 + 1] = 1;
    }
    expected_flags(c);
    for (unsigned k = 0; k < NCW; k++)
        assert_int_equal(flags_of(c, k), (int)R / 2);
}

/* Mixed damage with s = R/2 flags and e = (32 - s)/2 unflagged errors per codeword,
 * flagged bytes corrupted with probability 3/4. Checks exact correction and the
 * report against what was injected. */
static void run_mixed(struct ctx *c, unsigned R)
{
    fresh_cluster(c);
    flag_half_rows(c, R);
    int s_per = (int)R / 2, e_per = (32 - s_per) / 2;
    uint32_t exp_hist[SECTOR_HIST_BUCKETS] = {0};
    uint32_t exp_total = 0, exp_max = 0, exp_bis = 0;
    for (unsigned k = 0; k < NCW; k++) {
        int changed = 0;
        uint8_t hit[SECTOR_LDC_N] = {0};
        for (unsigned s = 0; s < SECTOR_LDC_N; s++) {
            size_t o = sector_ldc_offset(k, s);
            if (c->flagged[o]) {
                hit[s] = 1;
                if (util_rng_below(&c->rng, 4) != 0) {
                    c->rec[o] ^= nonzero(&c->rng);
                    changed++;
                }
            }
        }
        for (int e = 0; e < e_per;) {
            unsigned s = (unsigned)util_rng_below(&c->rng, SECTOR_LDC_N);
            if (hit[s])
                continue;
            hit[s] = 1;
            c->rec[sector_ldc_offset(k, s)] ^= nonzero(&c->rng);
            e++, changed++;
        }
        exp_hist[bucket_of(changed)]++;
        exp_total += (uint32_t)changed;
        if ((uint32_t)changed > exp_max)
            exp_max = (uint32_t)changed;
    }
    corrupt_pickets(c);
    for (unsigned b = 0; b < SECTOR_BIS_BYTES; b++)
        exp_bis += c->bad_picket[b];

    struct sector_decode_report rep;
    assert_int_equal(decode(c, &rep, NULL), 0);
    assert_memory_equal(c->out, c->user, USER);
    assert_int_equal(rep.erasures_used, (uint32_t)s_per * NCW);
    assert_int_equal(rep.margin, 32 - (2 * e_per + s_per));
    assert_int_equal(rep.symbols_corrected, exp_total);
    assert_int_equal(rep.max_corrected, exp_max);
    assert_memory_equal(rep.hist, exp_hist, sizeof exp_hist);
    assert_int_equal(rep.bis_symbols_corrected, exp_bis);
    assert_int_equal(rep.erasure_overflow, 0);
    assert_int_equal(rep.ldc_uncorrectable, 0);
    if (R > 0)
        assert_int_equal(rep.bursts_flagged, 2);
}

static void test_cluster_codec_corrects_32_erasures_every_codeword(void **state)
{
    struct ctx *c = *state;
    /* Every flagged byte wrong: 32 erasures, all in error, in all 304 codewords. */
    fresh_cluster(c);
    flag_half_rows(c, 64);
    for (size_t o = 0; o < REC; o++)
        if (c->flagged[o])
            c->rec[o] ^= nonzero(&c->rng);
    corrupt_pickets(c);
    struct sector_decode_report rep;
    assert_int_equal(decode(c, &rep, NULL), 0);
    assert_memory_equal(c->out, c->user, USER);
    assert_int_equal(rep.erasures_used, 32 * NCW);
    assert_int_equal(rep.symbols_corrected, 32 * NCW);
    assert_int_equal(rep.max_corrected, 32);
    assert_int_equal(rep.hist[SECTOR_HIST_17_32], NCW);
    assert_int_equal(rep.margin, 0);
    /* With 3/4 of the flagged bytes wrong as well. */
    run_mixed(c, 64);
}

static void test_cluster_codec_corrects_mixed_limit_every_codeword(void **state)
{
    struct ctx *c = *state;
    for (unsigned R = 0; R <= 64; R += 4) /* s = 0, 2, ..., 32 and e = 16 ... 0 */
        run_mixed(c, R);
}

/* ---- bursts along the track ---- */

static void burst(struct ctx *c, size_t start, size_t len)
{
    for (size_t o = start; o < start + len; o++)
        c->rec[o] ^= nonzero(&c->rng); /* every byte wrong, pickets included */
}

static void test_cluster_codec_corrects_long_bursts(void **state)
{
    struct ctx *c = *state;
    const size_t lens[] = {3000, 6000, 9000};
    for (int li = 0; li < 3; li++) {
        for (int t = 0; t < 12; t++) {
            fresh_cluster(c);
            size_t start = (size_t)util_rng_below(&c->rng, REC - lens[li]);
            burst(c, start, lens[li]);
            uint8_t *damaged = malloc(REC);
            assert_non_null(damaged);
            memcpy(damaged, c->rec, REC);
            struct sector_decode_report rep;
            assert_int_equal(decode(c, &rep, NULL), 0);
            assert_memory_equal(c->out, c->user, USER);
            assert_true(rep.erasures_used > 0);
            assert_true(rep.bursts_flagged >= 1);
            assert_true(rep.bytes_flagged + 160 >= lens[li] * 152 / 155);
            assert_int_equal(rep.bis_uncorrectable, 0);
            /* Without the burst indicator (pickets restored) errors-only must fail for
             * 6000 and 9000 bytes: ~20 and ~29 errors per codeword. */
            for (unsigned b = 0; b < SECTOR_BIS_BYTES; b++)
                damaged[picket_offset(b)] = c->orig_rec[picket_offset(b)];
            memcpy(c->rec, damaged, REC);
            int rc = decode(c, &rep, NULL);
            if (lens[li] >= 6000) {
                assert_int_equal(rc, -EBADMSG);
                assert_true(rep.ldc_uncorrectable > 0);
                assert_int_equal(rep.erasures_used, 0);
            } else {
                assert_int_equal(rc, 0); /* ~10 per codeword: errors-only copes */
                assert_memory_equal(c->out, c->user, USER);
            }
            free(damaged);
        }
    }
}

/* A defect repeating in one column of every row (a stuck channel position) is spread by
 * the diagonal shift: at most 2 symbols per codeword. */
static void test_cluster_codec_corrects_stuck_column(void **state)
{
    struct ctx *c = *state;
    fresh_cluster(c);
    for (unsigned r = 0; r < SECTOR_ROWS; r++)
        c->rec[(size_t)r * SECTOR_ROW_BYTES + 100] ^= 0x5a;
    struct sector_decode_report rep;
    assert_int_equal(decode(c, &rep, NULL), 0);
    assert_memory_equal(c->out, c->user, USER);
    assert_true(rep.max_corrected <= 2);
    assert_int_equal(rep.symbols_corrected, SECTOR_ROWS);
}

/* ---- beyond the limit ---- */

static long g_trials, g_codeword_trials, g_rs_miscorrections;

/* A decode of damage beyond the capability: -EBADMSG with zeroed output, or (never
 * expected) 0 with every byte right. */
static int check_beyond(struct ctx *c, struct sector_decode_report *rep)
{
    memset(c->out, 0xa5, USER);
    int rc = decode(c, rep, NULL);
    if (rc == 0) {
        assert_memory_equal(c->out, c->user, USER);
        return 0;
    }
    assert_int_equal(rc, -EBADMSG);
    for (size_t i = 0; i < USER; i++)
        assert_int_equal(c->out[i], 0);
    return rc;
}

/* Random errors with 2e + s in 33..40 in every codeword (errors only, BIS clean). */
static void test_cluster_codec_beyond_limit_random_errors(void **state)
{
    struct ctx *c = *state;
    const int clusters = 340;
    long ok = 0, mis = 0;
    for (int t = 0; t < clusters; t++) {
        fresh_cluster(c);
        for (unsigned k = 0; k < NCW; k++) {
            int e = 17 + (int)util_rng_below(&c->rng, 4);
            uint8_t hit[SECTOR_LDC_N] = {0};
            for (int i = 0; i < e;) {
                unsigned s = (unsigned)util_rng_below(&c->rng, SECTOR_LDC_N);
                if (hit[s])
                    continue;
                hit[s] = 1;
                c->rec[sector_ldc_offset(k, s)] ^= nonzero(&c->rng);
                i++;
            }
        }
        struct sector_decode_report rep;
        if (check_beyond(c, &rep) == 0)
            ok++;
        g_rs_miscorrections += (long)(NCW - rep.ldc_uncorrectable);
        mis += (long)(NCW - rep.ldc_uncorrectable);
        g_trials++;
        g_codeword_trials += NCW;
    }
    print_message("# 17-20 errors in every codeword: %d clusters, %ld codewords, %ld RS "
                  "miscorrections\n", clusters, (long)clusters * NCW, mis);
    assert_int_equal(ok, 0);
}

/*
 * Forced RS miscorrections: add to codeword k a non-zero codeword w minus t <= 16 of
 * its symbols. The received word is then t symbols from orig + w, a valid but wrong
 * codeword, and any bounded-distance decoder lands there. Only the EDC can object.
 */
static void test_cluster_codec_edc_catches_miscorrection(void **state)
{
    struct ctx *c = *state;
    const int clusters = 400;
    long caught = 0;
    for (int t = 0; t < clusters; t++) {
        fresh_cluster(c);
        int victims = 1 + (int)util_rng_below(&c->rng, 4);
        for (int v = 0; v < victims; v++) {
            unsigned k = (unsigned)(t * 7 + v * 76) % NCW; /* distinct victims */
            uint8_t w[256];
            for (unsigned j = 0; j < SECTOR_LDC_K; j++)
                w[j] = (uint8_t)util_rng_u64(&c->rng);
            encode_rs_char(c->fec_ldc, w, w + SECTOR_LDC_K);
            int keep = 1 + (int)util_rng_below(&c->rng, 16);
            for (int i = 0; i < keep; i++)
                w[util_rng_below(&c->rng, SECTOR_LDC_N)] = 0;
            for (unsigned s = 0; s < SECTOR_LDC_N; s++)
                c->rec[sector_ldc_offset(k, s)] ^= w[s];
        }
        struct sector_decode_report rep;
        assert_int_equal(check_beyond(c, &rep), -EBADMSG);
        /* the RS layer believed it had corrected everything: it was the EDC */
        assert_int_equal(rep.ldc_uncorrectable, 0);
        assert_int_not_equal(rep.failing_sector_mask, 0);
        caught += victims;
        g_trials++;
        g_codeword_trials += victims;
        g_rs_miscorrections += victims;
    }
    print_message("# forced miscorrections caught by the EDC: %ld in %d clusters\n", caught,
                  clusters);
}

/* 32 flagged erasures plus one unflagged error in some codewords: with every parity
 * symbol spent on erasures the RS decoder cannot see the error and "succeeds"; other
 * codewords get 2e + s = 34..40 through extra errors. */
static void test_cluster_codec_beyond_limit_with_erasures(void **state)
{
    struct ctx *c = *state;
    const int clusters = 120;
    long mis = 0, cws = 0;
    for (int t = 0; t < clusters; t++) {
        fresh_cluster(c);
        flag_half_rows(c, 64);
        for (size_t o = 0; o < REC; o++)
            if (c->flagged[o])
                c->rec[o] ^= nonzero(&c->rng);
        corrupt_pickets(c);
        int beyond = 0;
        for (unsigned k = 0; k < NCW; k++) {
            if (util_rng_below(&c->rng, 8) != 0)
                continue;
            int extra = 1 + (int)util_rng_below(&c->rng, 4);
            for (int i = 0; i < extra; i++) {
                unsigned s;
                do
                    s = (unsigned)util_rng_below(&c->rng, SECTOR_LDC_N);
                while (c->flagged[sector_ldc_offset(k, s)]);
                c->rec[sector_ldc_offset(k, s)] ^= nonzero(&c->rng);
            }
            beyond++;
        }
        if (beyond == 0) {
            unsigned k = 7, s;
            do
                s = (unsigned)util_rng_below(&c->rng, SECTOR_LDC_N);
            while (c->flagged[sector_ldc_offset(k, s)]);
            c->rec[sector_ldc_offset(k, s)] ^= nonzero(&c->rng);
            beyond = 1;
        }
        struct sector_decode_report rep;
        assert_int_equal(check_beyond(c, &rep), -EBADMSG);
        g_trials++;
        g_codeword_trials += beyond;
        /* a codeword given up on is retried errors-only, which must fail too; what the
         * RS layer accepted was wrong, and the EDC refused it */
        assert_true(rep.ldc_uncorrectable <= (uint32_t)beyond);
        g_rs_miscorrections += beyond - (long)rep.ldc_uncorrectable;
        mis += beyond - (long)rep.ldc_uncorrectable;
        cws += beyond;
    }
    print_message("# 32 erasures + 1-4 errors: %d clusters, %ld codewords, %ld RS "
                  "miscorrections caught by the EDC\n", clusters, cws, mis);
    print_message("# beyond limit total: %ld cluster trials, %ld beyond-limit codewords, %ld "
                  "RS miscorrections, all reported -EBADMSG\n",
                  g_trials, g_codeword_trials, g_rs_miscorrections);
}

/* ---- the quick clean pass (cluster_codec.c invariant 9) ---- */

/* GF(2^8) product, poly 0x11d, bit by bit: independent of the codec's tables. */
static uint8_t gf_mul_slow(uint8_t a, uint8_t b)
{
    unsigned p = 0, x = a;
    for (; b; b >>= 1) {
        if (b & 1)
            p ^= x;
        x <<= 1;
        if (x & 0x100)
            x ^= 0x11d;
    }
    return (uint8_t)p;
}

/* e[0..247] (symbol j = coefficient of x^(247-j)) = x^shift g4(x) q(x), where
 * g4 = (x - 1)(x - a)(x - a^2)(x - a^3) and q has degree qdeg with random non-zero
 * coefficients: S_0 .. S_3 of e vanish. Returns the weight of e. */
static int aligned_pattern(struct ctx *c, unsigned shift, unsigned qdeg, uint8_t *e)
{
    uint8_t g4[5] = {1}, root = 1; /* g4[i] = coefficient of x^i */
    for (int i = 0; i < 4; i++) {
        for (int d = i + 1; d > 0; d--)
            g4[d] = (uint8_t)(g4[d - 1] ^ gf_mul_slow(g4[d], root));
        g4[0] = gf_mul_slow(g4[0], root);
        root = gf_mul_slow(root, 2);
    }
    uint8_t poly[256] = {0}; /* g4 q, coefficient of x^i */
    for (unsigned i = 0; i <= qdeg; i++) {
        uint8_t qi = nonzero(&c->rng);
        for (unsigned d = 0; d < 5; d++)
            poly[i + d] ^= gf_mul_slow(qi, g4[d]);
    }
    assert_true(shift + qdeg + 4 < SECTOR_LDC_N);
    memset(e, 0, SECTOR_LDC_N);
    int weight = 0;
    for (unsigned i = 0; i <= qdeg + 4; i++) {
        e[SECTOR_LDC_N - 1 - shift - i] = poly[i];
        weight += poly[i] != 0;
    }
    /* The premise, checked with the codec's Horner syndromes: S_0 .. S_3 vanish, the
     * pattern is no codeword (degree < 32 + shift is too low for a multiple of g). */
    uint8_t synd[SECTOR_RS_PARITY];
    sector_rs_syndromes(&c->codec->ldc, e, synd);
    uint8_t high = 0;
    for (unsigned i = 0; i < SECTOR_RS_PARITY; i++) {
        if (i < SECTOR_LDC_QUICK_ROOTS)
            assert_int_equal(synd[i], 0);
        else
            high |= synd[i];
    }
    assert_int_not_equal(high, 0);
    return weight;
}

static void add_pattern(struct ctx *c, unsigned k, const uint8_t *e)
{
    for (unsigned s = 0; s < SECTOR_LDC_N; s++)
        c->rec[sector_ldc_offset(k, s)] ^= e[s];
}

static void assert_reports_equal(const struct sector_decode_report *a,
                                 const struct sector_decode_report *b)
{
    assert_int_equal(a->ldc_nonzero_syndrome, b->ldc_nonzero_syndrome);
    assert_int_equal(a->ldc_uncorrectable, b->ldc_uncorrectable);
    assert_int_equal(a->symbols_corrected, b->symbols_corrected);
    assert_int_equal(a->max_corrected, b->max_corrected);
    assert_int_equal(a->erasures_used, b->erasures_used);
    assert_int_equal(a->erasure_overflow, b->erasure_overflow);
    assert_int_equal(a->bis_symbols_corrected, b->bis_symbols_corrected);
    assert_int_equal(a->bis_uncorrectable, b->bis_uncorrectable);
    assert_int_equal(a->bursts_flagged, b->bursts_flagged);
    assert_int_equal(a->bytes_flagged, b->bytes_flagged);
    assert_int_equal(a->failing_sector_mask, b->failing_sector_mask);
    assert_int_equal(a->address_units_ok, b->address_units_ok);
    assert_int_equal(a->address_mismatch, b->address_mismatch);
    assert_int_equal(a->margin, b->margin);
    assert_memory_equal(a->hist, b->hist, sizeof a->hist);
}

/* The two helpers the quick pass is built on agree with the Horner syndromes: a slice
 * of the batched product, and one codeword's syndromes by one dot product. */
static void test_cluster_codec_partial_and_single_syndromes_agree(void **state)
{
    struct ctx *c = *state;
    const struct sector_rs *ldc = &c->codec->ldc;
    fresh_cluster(c);
    for (int i = 0; i < 2000; i++) /* not codewords, so the syndromes are not all zero */
        c->rec[util_rng_below(&c->rng, REC)] ^= nonzero(&c->rng);
    static uint8_t sym[SECTOR_LDC_N * NCW], synd[SECTOR_RS_PARITY * NCW];
    uint8_t *rows[SECTOR_LDC_N], *srows[SECTOR_RS_PARITY];
    for (unsigned s = 0; s < SECTOR_LDC_N; s++) {
        rows[s] = sym + (size_t)s * NCW;
        for (unsigned k = 0; k < NCW; k++)
            rows[s][k] = c->rec[sector_ldc_offset(k, s)];
    }
    for (unsigned i = 0; i < SECTOR_RS_PARITY; i++)
        srows[i] = synd + (size_t)i * NCW;
    memset(synd, 0xee, sizeof synd);
    sector_rs_syndromes_rows_range(ldc, 0, 4, NCW, rows, srows);
    sector_rs_syndromes_rows_range(ldc, 4, 28, NCW, rows, srows + 4);
    uint8_t *tbls = aligned_alloc(64, 32 * SECTOR_LDC_N);
    assert_non_null(tbls);
    for (unsigned k = 0; k < NCW; k++) {
        uint8_t cw[SECTOR_LDC_N], want[SECTOR_RS_PARITY];
        _Alignas(64) uint8_t one[SECTOR_RS_SYND_COL];
        for (unsigned s = 0; s < SECTOR_LDC_N; s++)
            cw[s] = rows[s][k];
        sector_rs_syndromes(ldc, cw, want);
        sector_rs_syndromes_strided(ldc, sym + k, NCW, tbls, one);
        assert_memory_equal(one, want, SECTOR_RS_PARITY);
        for (unsigned i = 0; i < SECTOR_RS_PARITY; i++)
            assert_int_equal(srows[i][k], want[i]);
    }
    free(tbls);
}

/*
 * Error patterns that S_0 .. S_3 cannot see: x^m g4(x) q(x), no codeword. The quick
 * pass presumes those codewords clean, the EDC refuses the result, and the complete
 * decode must then correct them (weight <= 16) and return the exact data, or refuse
 * (weight > 16) without returning any. Fails if the fallback of invariant 9 is gone.
 */
static void test_cluster_codec_quick_pass_misses_aligned_errors_edc_recovers(void **state)
{
    struct ctx *c = *state;
    uint8_t e[SECTOR_LDC_N];
    struct sector_decode_report rep, full;
    for (int t = 0; t < 24; t++) {
        fresh_cluster(c);
        /* 1-3 codewords with an invisible pattern of weight 5..16 in the data symbols,
         * plus 0-6 ordinary errors elsewhere (so the quick pass also decodes some) */
        int victims = 1 + t % 3, total = 0, most = 0;
        for (int v = 0; v < victims; v++) {
            unsigned k = (unsigned)(t * 37 + v * 101) % NCW;
            unsigned qdeg = (unsigned)util_rng_below(&c->rng, 12);
            unsigned shift = 32 + (unsigned)util_rng_below(&c->rng, 200);
            int w = aligned_pattern(c, shift, qdeg, e); /* <= qdeg + 5 <= 16 symbols */
            add_pattern(c, k, e);
            total += w;
            most = w > most ? w : most;
        }
        int ordinary = t % 7;
        for (int i = 0; i < ordinary; i++) {
            unsigned k = (unsigned)(t * 37 + 50 + i * 13) % NCW, s = (unsigned)(i * 31);
            c->rec[sector_ldc_offset(k, s)] ^= nonzero(&c->rng);
        }
        assert_int_equal(decode(c, &rep, NULL), 0);
        assert_memory_equal(c->out, c->user, USER);
        assert_true(c->sc->last_full_retry); /* the quick pass failed ... */
        assert_int_equal(rep.symbols_corrected, (uint32_t)(total + ordinary));
        assert_int_equal(rep.max_corrected, (uint32_t)most); /* most >= 5 > 1 */
        assert_int_equal(rep.margin, 32 - 2 * most);
        assert_int_equal(rep.failing_sector_mask, 0);
        /* ... and what is returned is the complete decode's, report included */
        uint8_t *out2 = malloc(USER);
        assert_non_null(out2);
        assert_int_equal(sector_cluster_decode_full(c->codec, &addr0, c->rec, out2, NULL, &full,
                                                    c->sc),
                         0);
        assert_memory_equal(out2, c->user, USER);
        assert_reports_equal(&rep, &full);
        free(out2);
    }
    /* Beyond the capability: weight 17..40 invisible to S_0 .. S_3; never data. */
    for (int t = 0; t < 24; t++) {
        fresh_cluster(c);
        unsigned k = (unsigned)util_rng_below(&c->rng, NCW);
        int w = aligned_pattern(c, 32 + (unsigned)util_rng_below(&c->rng, 100),
                                16 + (unsigned)util_rng_below(&c->rng, 20), e);
        assert_true(w > 16);
        add_pattern(c, k, e);
        assert_int_equal(check_beyond(c, &rep), -EBADMSG);
        assert_true(c->sc->last_full_retry);
        assert_int_not_equal(rep.failing_sector_mask, 0);
        /* the report is the complete decode's: the codeword was seen */
        assert_true(rep.ldc_nonzero_syndrome >= 1);
    }
}

/* Random correctable damage, from one codeword to all: the quick pass returns what the
 * complete decode returns, report field by field, and for few flagged codewords it is
 * the quick pass that did so (no retry, the rest presumed clean). */
static void test_cluster_codec_quick_pass_report_matches_full(void **state)
{
    struct ctx *c = *state;
    static const unsigned counts[] = {0, 1, 2, 7, 20, SECTOR_LDC_QUICK_MAX,
                                      SECTOR_LDC_QUICK_MAX + 1, 150, NCW};
    uint8_t *out2 = malloc(USER);
    assert_non_null(out2);
    for (int t = 0; t < 36; t++) {
        unsigned m = counts[t % (int)(sizeof counts / sizeof counts[0])];
        fresh_cluster(c);
        uint8_t chosen[NCW] = {0};
        for (unsigned n = 0; n < m;) {
            unsigned k = (unsigned)util_rng_below(&c->rng, NCW);
            if (chosen[k])
                continue;
            chosen[k] = 1;
            n++;
            /* with the burst's ~5 erasures per codeword, 2e + s stays <= 32 */
            int errs = 1 + (int)util_rng_below(&c->rng, t % 4 == 3 ? 10 : 16);
            uint8_t hit[SECTOR_LDC_N] = {0};
            for (int i = 0; i < errs;) {
                unsigned s = (unsigned)util_rng_below(&c->rng, SECTOR_LDC_N);
                if (hit[s])
                    continue;
                hit[s] = 1;
                c->rec[sector_ldc_offset(k, s)] ^= nonzero(&c->rng);
                i++;
            }
        }
        if (t % 4 == 3) /* a burst the BIS flags: erasures on top */
            burst(c, (size_t)util_rng_below(&c->rng, REC - 1500), 1500);
        struct sector_decode_report rep, full;
        uint8_t ctl[SECTOR_CLUSTER_CONTROL_BYTES], ctl2[SECTOR_CLUSTER_CONTROL_BYTES];
        int rc = decode(c, &rep, ctl);
        unsigned presumed = c->sc->last_presumed;
        bool retried = c->sc->last_full_retry;
        int rc2 = sector_cluster_decode_full(c->codec, &addr0, c->rec, out2, ctl2, &full, c->sc);
        assert_int_equal(rc, 0);
        assert_int_equal(rc2, 0);
        assert_memory_equal(c->out, c->user, USER);
        assert_memory_equal(out2, c->user, USER);
        assert_memory_equal(ctl, c->control, sizeof ctl);
        assert_memory_equal(ctl2, c->control, sizeof ctl2);
        assert_reports_equal(&rep, &full);
        assert_false(retried);
        if (rep.ldc_nonzero_syndrome <= SECTOR_LDC_QUICK_MAX)
            assert_int_equal(presumed, NCW - rep.ldc_nonzero_syndrome);
        else
            assert_int_equal(presumed, 0);
        uint32_t sum = 0;
        for (unsigned b = 0; b < SECTOR_HIST_BUCKETS; b++)
            sum += rep.hist[b];
        assert_int_equal(sum, NCW);
    }
    free(out2);
}

/* ---- addresses, control data, arguments ---- */

static void test_cluster_codec_wrong_address_fails_edc(void **state)
{
    struct ctx *c = *state;
    fresh_cluster(c);
    struct sector_address wrong[3] = {addr0, addr0, addr0};
    wrong[0].physical_cluster++;
    wrong[1].logical_cluster ^= 0x100;
    wrong[2].layer = 0;
    struct sector_decode_report rep;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sector_cluster_decode(c->codec, &wrong[i], c->rec, c->out, NULL, &rep,
                                               c->sc),
                         -EBADMSG);
        assert_int_equal(rep.failing_sector_mask, UINT32_MAX);
        assert_true(rep.address_mismatch);
        assert_int_equal(rep.address_units_ok, 0);
    }
    /* Two addresses that share a scrambler offset (found by search: identical scrambled
     * first data row) still differ in the EDC, which names the address. */
    memset(c->user, 0, USER);
    static uint8_t first[128][SECTOR_LDC_CODEWORDS];
    static struct sector_address cand[128];
    int found = -1, other = -1;
    for (int a = 0; a < 128 && found < 0; a++) {
        cand[a] = (struct sector_address){.layer = 0, .physical_cluster = 5000 + (uint64_t)a,
                                          .logical_cluster = 77};
        assert_int_equal(sector_cluster_encode(c->codec, &cand[a], c->user, NULL, c->rec, c->sc),
                         0);
        for (unsigned k = 0; k < SECTOR_LDC_CODEWORDS; k++)
            first[a][k] = c->rec[sector_ldc_offset(k, 0)];
        for (int b = 0; b < a; b++)
            if (!memcmp(first[a], first[b], sizeof first[a]))
                found = a, other = b;
    }
    if (found >= 0) {
        assert_int_equal(sector_cluster_decode(c->codec, &cand[other], c->rec, c->out, NULL,
                                               &rep, c->sc),
                         -EBADMSG);
        assert_int_equal(rep.failing_sector_mask, UINT32_MAX);
        assert_int_equal(rep.ldc_nonzero_syndrome, 0); /* the ECC saw nothing wrong */
    }
    print_message("# scrambler-offset collision %s\n", found >= 0 ? "found and caught"
                                                                   : "not found in 128");
}

static void test_cluster_codec_bis_failure_withholds_control(void **state)
{
    struct ctx *c = *state;
    fresh_cluster(c);
    /* 20 errors in BIS codeword 3: beyond its capability; LDC untouched. */
    for (unsigned s = 0; s < 20; s++)
        c->rec[sector_bis_offset(3, s * 3)] ^= nonzero(&c->rng);
    uint8_t control[SECTOR_CLUSTER_CONTROL_BYTES];
    struct sector_decode_report rep;
    assert_int_equal(decode(c, &rep, NULL), 0);
    assert_memory_equal(c->out, c->user, USER);
    assert_int_equal(rep.bis_uncorrectable, 1);
    assert_int_equal(decode(c, &rep, control), -EBADMSG);
    /* 16 errors in it are corrected, control returned exact */
    memcpy(c->rec, c->orig_rec, REC);
    for (unsigned s = 0; s < 16; s++)
        c->rec[sector_bis_offset(3, s * 3)] ^= nonzero(&c->rng);
    assert_int_equal(decode(c, &rep, control), 0);
    assert_memory_equal(control, c->control, sizeof control);
    assert_int_equal(rep.bis_symbols_corrected, 16);
    assert_int_equal(rep.erasures_used, 0); /* isolated pickets flag nothing */
}

static void test_cluster_codec_rejects_bad_arguments(void **state)
{
    struct ctx *c = *state;
    struct sector_address bad = addr0;
    struct sector_decode_report rep;
    assert_int_equal(sector_cluster_encode(NULL, &addr0, c->user, NULL, c->rec, c->sc),
                     -EINVAL);
    assert_int_equal(sector_cluster_encode(c->codec, NULL, c->user, NULL, c->rec, c->sc),
                     -EINVAL);
    assert_int_equal(sector_cluster_encode(c->codec, &addr0, c->user, NULL, c->rec, NULL),
                     -EINVAL);
    bad.layer = MEDIUM_LAYER_COUNT;
    assert_int_equal(sector_cluster_encode(c->codec, &bad, c->user, NULL, c->rec, c->sc),
                     -EINVAL);
    bad = addr0;
    bad.physical_cluster = (uint64_t)UINT32_MAX + 1;
    assert_int_equal(sector_cluster_decode(c->codec, &bad, c->rec, c->out, NULL, &rep, c->sc),
                     -EINVAL);
    assert_int_equal(sector_cluster_decode(c->codec, &addr0, NULL, c->out, NULL, &rep, c->sc),
                     -EINVAL);
    assert_int_equal(sector_codec_create(NULL), -EINVAL);
    sector_codec_destroy(NULL);
    sector_scratch_destroy(NULL);
}

/* ---- reentrancy ---- */

struct worker {
    struct ctx *c;
    const uint8_t *rec;
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct sector_scratch *sc;
    uint8_t *out = malloc(USER);
    if (sector_scratch_create(&sc) < 0 || !out) {
        w->failures = 1000;
        return NULL;
    }
    for (int i = 0; i < 40; i++) {
        struct sector_decode_report rep;
        if (sector_cluster_decode(w->c->codec, &addr0, w->rec, out, NULL, &rep, sc) != 0 ||
            memcmp(out, w->c->user, USER) != 0 || rep.symbols_corrected != 8 * NCW)
            w->failures++;
    }
    sector_scratch_destroy(sc);
    free(out);
    return NULL;
}

static void test_cluster_codec_concurrent_decodes(void **state)
{
    struct ctx *c = *state;
    fresh_cluster(c);
    for (unsigned k = 0; k < NCW; k++)
        for (unsigned s = 0; s < 8; s++)
            c->rec[sector_ldc_offset(k, s * 30 + k % 30)] ^= nonzero(&c->rng);
    struct worker w[2] = {{c, c->rec, 0}, {c, c->rec, 0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(w[0].failures + w[1].failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_codec_roundtrip_clean),
        cmocka_unit_test(test_cluster_codec_layout_is_a_bijection),
        cmocka_unit_test(test_cluster_codec_codewords_match_libfec),
        cmocka_unit_test(test_cluster_codec_scramble_balances_marks),
        cmocka_unit_test(test_cluster_codec_corrects_16_errors_every_codeword),
        cmocka_unit_test(test_cluster_codec_corrects_32_erasures_every_codeword),
        cmocka_unit_test(test_cluster_codec_corrects_mixed_limit_every_codeword),
        cmocka_unit_test(test_cluster_codec_corrects_long_bursts),
        cmocka_unit_test(test_cluster_codec_corrects_stuck_column),
        cmocka_unit_test(test_cluster_codec_beyond_limit_random_errors),
        cmocka_unit_test(test_cluster_codec_edc_catches_miscorrection),
        cmocka_unit_test(test_cluster_codec_beyond_limit_with_erasures),
        cmocka_unit_test(test_cluster_codec_partial_and_single_syndromes_agree),
        cmocka_unit_test(test_cluster_codec_quick_pass_misses_aligned_errors_edc_recovers),
        cmocka_unit_test(test_cluster_codec_quick_pass_report_matches_full),
        cmocka_unit_test(test_cluster_codec_wrong_address_fails_edc),
        cmocka_unit_test(test_cluster_codec_bis_failure_withholds_control),
        cmocka_unit_test(test_cluster_codec_rejects_bad_arguments),
        cmocka_unit_test(test_cluster_codec_concurrent_decodes),
    };
    return cmocka_run_group_tests_name("cluster_codec", tests, setup, teardown);
}
