/*
 * test_rs.c — unit tests of src/sector's GF(2^8) tables and Reed–Solomon codes (gf.c,
 * rs.c). Independent references: a bitwise GF multiply, the generator's defining roots,
 * and libfec (init_rs_char(8, 0x11d, fcr 0, prim 1, 32, pad)) as a second encoder and
 * decoder. Beyond the capability the decoder must fail or land on another codeword
 * within its decoding radius; those miscorrections are counted here and caught by the
 * EDC in test_cluster_codec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <fec.h>

#include "sector_priv.h"

#define NR 32

struct fixture {
    struct sector_gf gf;
    struct sector_rs ldc, bis;
    void *fec_ldc, *fec_bis;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    sector_gf_init(&fx->gf);
    if (sector_rs_init(&fx->ldc, &fx->gf, 248, 216, SECTOR_RS_FCR) < 0 ||
        sector_rs_init(&fx->bis, &fx->gf, 62, 30, SECTOR_RS_FCR) < 0)
        return -1;
    fx->fec_ldc = init_rs_char(8, 0x11d, SECTOR_RS_FCR, 1, NR, 255 - 248);
    fx->fec_bis = init_rs_char(8, 0x11d, SECTOR_RS_FCR, 1, NR, 255 - 62);
    if (!fx->fec_ldc || !fx->fec_bis)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    sector_rs_fini(&fx->ldc);
    sector_rs_fini(&fx->bis);
    free_rs_char(fx->fec_ldc);
    free_rs_char(fx->fec_bis);
    free(fx);
    return 0;
}

/* GF(2^8) product by shift-and-add, sharing nothing with gf.c's tables. */
static uint8_t slow_mul(uint8_t a, uint8_t b)
{
    unsigned r = 0, x = a;
    for (int i = 0; i < 8; i++) {
        if (b & (1u << i))
            r ^= x;
        x <<= 1;
        if (x & 0x100)
            x ^= 0x11d;
    }
    return (uint8_t)r;
}

static uint8_t slow_pow(uint8_t a, unsigned e)
{
    uint8_t r = 1;
    while (e--)
        r = slow_mul(r, a);
    return r;
}

static void random_codeword(struct fixture *fx, const struct sector_rs *rs, void *fec,
                            struct util_rng *rng, uint8_t *cw)
{
    (void)fx;
    for (int j = 0; j < rs->k; j++)
        cw[j] = (uint8_t)util_rng_u64(rng);
    encode_rs_char(fec, cw, cw + rs->k);
}

/* Choose m distinct positions out of n (partial Fisher–Yates). */
static void pick_positions(struct util_rng *rng, int n, int m, uint8_t *out)
{
    uint8_t perm[256];
    for (int i = 0; i < n; i++)
        perm[i] = (uint8_t)i;
    for (int i = 0; i < m; i++) {
        int j = i + (int)util_rng_below(rng, (uint64_t)(n - i));
        uint8_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        out[i] = perm[i];
    }
}

static int all_zero(const uint8_t *p, int n)
{
    uint8_t any = 0;
    for (int i = 0; i < n; i++)
        any |= p[i];
    return !any;
}

/* ---- field and code construction ---- */

static void test_rs_gf_tables_match_bitwise_multiply(void **state)
{
    struct fixture *fx = *state;
    for (unsigned a = 0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++)
            assert_int_equal(sector_gf_mul(&fx->gf, (uint8_t)a, (uint8_t)b),
                             slow_mul((uint8_t)a, (uint8_t)b));
    for (unsigned a = 1; a < 256; a++)
        assert_int_equal(slow_mul((uint8_t)a, fx->gf.inv[a]), 1);
    /* alpha = 2 is primitive: its powers visit all 255 non-zero elements. */
    int seen[256] = {0};
    for (unsigned e = 0; e < 255; e++)
        seen[slow_pow(2, e)]++;
    for (unsigned a = 1; a < 256; a++)
        assert_int_equal(seen[a], 1);
}

static void test_rs_generator_has_32_roots(void **state)
{
    struct fixture *fx = *state;
    const struct sector_rs *codes[2] = {&fx->ldc, &fx->bis};
    for (int c = 0; c < 2; c++) {
        const uint8_t *g = codes[c]->genpoly;
        assert_int_equal(g[NR], 1); /* monic of degree 32 */
        for (unsigned i = 0; i < 40; i++) {
            uint8_t x = slow_pow(2, SECTOR_RS_FCR + i), v = 0;
            for (int d = NR; d >= 0; d--)
                v = slow_mul(v, x) ^ g[d];
            if (i < NR)
                assert_int_equal(v, 0);
            else
                assert_int_not_equal(v, 0); /* exactly those 32 roots */
        }
    }
}

static void test_rs_init_rejects_bad_parameters(void **state)
{
    struct fixture *fx = *state;
    struct sector_rs rs;
    assert_int_equal(sector_rs_init(&rs, &fx->gf, 256, 224, 0), -EINVAL);
    assert_int_equal(sector_rs_init(&rs, &fx->gf, 100, 100, 0), -EINVAL);
    assert_int_equal(sector_rs_init(&rs, &fx->gf, 100, 60, 0), -EINVAL); /* 40 roots */
    assert_int_equal(sector_rs_init(&rs, &fx->gf, 100, 69, 0), -EINVAL); /* odd */
    assert_int_equal(sector_rs_init(&rs, NULL, 248, 216, 0), -EINVAL);
    sector_rs_fini(&rs);
    sector_rs_fini(NULL);
}

/* ---- encoding and syndromes ---- */

static void check_matrix_encode(struct fixture *fx, const struct sector_rs *rs, void *fec,
                                int ncw)
{
    struct util_rng rng;
    util_rng_stream(&rng, 1, 1, (uint64_t)rs->n, (uint64_t)ncw, 0);
    uint8_t *buf = malloc((size_t)rs->n * (size_t)ncw);
    uint8_t *synd = malloc((size_t)NR * (size_t)ncw);
    uint8_t *rows[256], *srows[NR];
    uint8_t cw[256];
    assert_non_null(buf);
    assert_non_null(synd);
    for (int j = 0; j < rs->n; j++)
        rows[j] = buf + (size_t)j * ncw;
    for (int i = 0; i < NR; i++)
        srows[i] = synd + (size_t)i * ncw;
    for (int rep = 0; rep < 4; rep++) {
        for (int j = 0; j < rs->k; j++)
            for (int c = 0; c < ncw; c++)
                rows[j][c] = (uint8_t)util_rng_u64(&rng);
        sector_rs_encode_rows(rs, ncw, rows);
        sector_rs_syndromes_rows(rs, ncw, rows, srows);
        for (int c = 0; c < ncw; c++) {
            for (int j = 0; j < rs->k; j++)
                cw[j] = rows[j][c];
            encode_rs_char(fec, cw, cw + rs->k);
            for (int j = rs->k; j < rs->n; j++)
                assert_int_equal(rows[j][c], cw[j]);
            for (int i = 0; i < NR; i++)
                assert_int_equal(srows[i][c], 0);
        }
        /* One error in each codeword: every syndrome non-zero, and equal to the scalar
         * Horner evaluation. */
        for (int c = 0; c < ncw; c++)
            rows[util_rng_below(&rng, (uint64_t)rs->n)][c] ^=
                (uint8_t)(1 + util_rng_below(&rng, 255));
        sector_rs_syndromes_rows(rs, ncw, rows, srows);
        for (int c = 0; c < ncw; c++) {
            uint8_t s[NR];
            for (int j = 0; j < rs->n; j++)
                cw[j] = rows[j][c];
            sector_rs_syndromes(rs, cw, s);
            for (int i = 0; i < NR; i++) {
                assert_int_equal(srows[i][c], s[i]);
                assert_int_not_equal(s[i], 0);
            }
        }
    }
    free(buf);
    free(synd);
    (void)fx;
}

static void test_rs_matrix_encode_matches_libfec(void **state)
{
    struct fixture *fx = *state;
    check_matrix_encode(fx, &fx->ldc, fx->fec_ldc, 304); /* the cluster's shape */
    check_matrix_encode(fx, &fx->ldc, fx->fec_ldc, 40);  /* ISA-L's short-vector path */
    check_matrix_encode(fx, &fx->bis, fx->fec_bis, 64);  /* BIS rows as padded */
}

/* ---- correction at the limit, against libfec ---- */

/* Damage cw with e errors (outside the erasures) and s erasures, decode with ours and
 * libfec, and require both to return the original exactly. */
static void run_limit_case(struct fixture *fx, const struct sector_rs *rs, void *fec,
                           struct util_rng *rng, int e, int s)
{
    uint8_t orig[256], cw[256], theirs[256], pos[256];
    random_codeword(fx, rs, fec, rng, orig);
    memcpy(cw, orig, (size_t)rs->n);
    pick_positions(rng, rs->n, e + s, pos);
    for (int i = 0; i < e; i++)
        cw[pos[i]] ^= (uint8_t)(1 + util_rng_below(rng, 255));
    for (int i = e; i < e + s; i++)
        cw[pos[i]] = (uint8_t)util_rng_u64(rng); /* an erasure may happen to be right */
    memcpy(theirs, cw, (size_t)rs->n);

    struct sector_rs_fix fix;
    int rc = sector_rs_decode_codeword(rs, cw, pos + e, s, &fix);
    assert_true(rc >= 0);
    assert_memory_equal(cw, orig, (size_t)rs->n);
    if (e + s > 0)
        assert_int_equal(fix.errors, e);
    int fec_eras[NR];
    for (int i = 0; i < s; i++)
        fec_eras[i] = pos[e + i];
    int frc = decode_rs_char(fec, theirs, s ? fec_eras : NULL, s);
    assert_memory_equal(theirs, orig, (size_t)rs->n);
    if (e + s > 0)
        assert_int_equal(frc, rc); /* both count the symbols actually changed */
}

static void test_rs_corrects_16_errors(void **state)
{
    struct fixture *fx = *state;
    struct util_rng rng;
    util_rng_stream(&rng, 2, 2, 0, 0, 0);
    for (int t = 0; t < 2000; t++)
        run_limit_case(fx, &fx->ldc, fx->fec_ldc, &rng, 16, 0);
    for (int t = 0; t < 500; t++)
        run_limit_case(fx, &fx->bis, fx->fec_bis, &rng, 16, 0);
}

static void test_rs_corrects_32_erasures(void **state)
{
    struct fixture *fx = *state;
    struct util_rng rng;
    util_rng_stream(&rng, 2, 3, 0, 0, 0);
    for (int t = 0; t < 2000; t++)
        run_limit_case(fx, &fx->ldc, fx->fec_ldc, &rng, 0, 32);
    for (int t = 0; t < 500; t++)
        run_limit_case(fx, &fx->bis, fx->fec_bis, &rng, 0, 32);
}

static void test_rs_corrects_every_mixed_split_at_limit(void **state)
{
    struct fixture *fx = *state;
    struct util_rng rng;
    util_rng_stream(&rng, 2, 4, 0, 0, 0);
    for (int e = 0; e <= 16; e++) {
        for (int t = 0; t < 300; t++)
            run_limit_case(fx, &fx->ldc, fx->fec_ldc, &rng, e, NR - 2 * e);
        for (int t = 0; t < 50; t++)
            run_limit_case(fx, &fx->bis, fx->fec_bis, &rng, e, NR - 2 * e);
    }
    /* and a spread below the limit, including the clean codeword */
    for (int t = 0; t < 2000; t++) {
        int e = (int)util_rng_below(&rng, 17);
        int s = (int)util_rng_below(&rng, (uint64_t)(NR - 2 * e + 1));
        run_limit_case(fx, &fx->ldc, fx->fec_ldc, &rng, e, s);
    }
}

static void test_rs_decode_rejects_bad_erasure_lists(void **state)
{
    struct fixture *fx = *state;
    uint8_t synd[NR] = {1}, eras[40];
    struct sector_rs_fix fix;
    for (int i = 0; i < 40; i++)
        eras[i] = (uint8_t)i;
    assert_int_equal(sector_rs_decode(&fx->ldc, synd, eras, 33, &fix), -EINVAL);
    eras[1] = 0;
    assert_int_equal(sector_rs_decode(&fx->ldc, synd, eras, 2, &fix), -EINVAL);
    eras[1] = 248;
    assert_int_equal(sector_rs_decode(&fx->ldc, synd, eras, 2, &fix), -EINVAL);
    eras[1] = 62;
    assert_int_equal(sector_rs_decode(&fx->bis, synd, eras, 2, &fix), -EINVAL);
}

/* ---- beyond the limit ---- */

#define BEYOND_TRIALS 100000

/* Hamming distance between a and b over the positions not listed in skip. */
static int distance_outside(const uint8_t *a, const uint8_t *b, int n, const uint8_t *skip,
                            int nskip)
{
    uint8_t erased[256] = {0};
    for (int i = 0; i < nskip; i++)
        erased[skip[i]] = 1;
    int d = 0;
    for (int j = 0; j < n; j++)
        d += !erased[j] && a[j] != b[j];
    return d;
}

static void test_rs_beyond_limit_never_silent(void **state)
{
    struct fixture *fx = *state;
    struct util_rng rng;
    util_rng_stream(&rng, 2, 5, 0, 0, 0);
    const struct sector_rs *rs = &fx->ldc;
    long failed = 0, miscorrected = 0, by_kind[4] = {0};
    for (long t = 0; t < BEYOND_TRIALS; t++) {
        int e, s, kind = (int)(t % 4);
        switch (kind) {
        case 0: /* 17 errors */
            e = 17, s = 0;
            break;
        case 1: /* 33 bad symbols, 32 of them flagged: 2e + s = 34 */
            e = 1, s = 32;
            break;
        default: /* random 2e + s in 33..40 */
            do {
                int load = 33 + (int)util_rng_below(&rng, 8);
                e = (int)util_rng_below(&rng, (uint64_t)(load / 2 + 1));
                s = load - 2 * e;
            } while (s > NR);
            break;
        }
        uint8_t orig[256], cw[256], pos[256];
        random_codeword(fx, rs, fx->fec_ldc, &rng, orig);
        memcpy(cw, orig, 248);
        pick_positions(&rng, rs->n, e + s, pos);
        for (int i = 0; i < e + s; i++)
            cw[pos[i]] ^= (uint8_t)(1 + util_rng_below(&rng, 255)); /* all truly wrong */
        uint8_t rx[256];
        memcpy(rx, cw, 248);
        struct sector_rs_fix fix;
        int rc = sector_rs_decode_codeword(rs, cw, pos + e, s, &fix);
        if (rc < 0) {
            assert_int_equal(rc, -EBADMSG);
            assert_memory_equal(cw, rx, 248); /* untouched on failure */
            failed++;
            continue;
        }
        /* Success beyond the limit must be another codeword inside the radius. */
        uint8_t synd[NR];
        sector_rs_syndromes(rs, cw, synd);
        assert_true(all_zero(synd, NR));
        assert_memory_not_equal(cw, orig, 248);
        assert_true(2 * distance_outside(cw, rx, 248, pos + e, s) + s <= NR);
        miscorrected++;
        by_kind[kind]++;
    }
    /* 33 erasures cannot even be expressed: the cluster falls back to errors-only. */
    uint8_t synd[NR] = {1}, eras[33];
    struct sector_rs_fix fix;
    for (int i = 0; i < 33; i++)
        eras[i] = (uint8_t)(i * 7);
    assert_int_equal(sector_rs_decode(rs, synd, eras, 33, &fix), -EINVAL);

    print_message("# beyond limit: %ld trials, %ld failed, %ld miscorrected "
                  "(17 err: %ld, 32 eras + 1 err: %ld, random 2e+s 33-40: %ld)\n",
                  (long)BEYOND_TRIALS, failed, miscorrected, by_kind[0], by_kind[1],
                  by_kind[2] + by_kind[3]);
    assert_int_equal(failed + miscorrected, BEYOND_TRIALS);
    /* 17 errors miscorrect with probability ~1/16! per trial: essentially never. */
    assert_true(by_kind[0] <= 2);
    /* With all 32 parity symbols spent on erasures nothing is left to detect the one
     * extra error: these always "succeed" wrongly — the EDC's job. */
    assert_int_equal(by_kind[1], BEYOND_TRIALS / 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rs_gf_tables_match_bitwise_multiply),
        cmocka_unit_test(test_rs_generator_has_32_roots),
        cmocka_unit_test(test_rs_init_rejects_bad_parameters),
        cmocka_unit_test(test_rs_matrix_encode_matches_libfec),
        cmocka_unit_test(test_rs_corrects_16_errors),
        cmocka_unit_test(test_rs_corrects_32_erasures),
        cmocka_unit_test(test_rs_corrects_every_mixed_split_at_limit),
        cmocka_unit_test(test_rs_decode_rejects_bad_erasure_lists),
        cmocka_unit_test(test_rs_beyond_limit_never_silent),
    };
    return cmocka_run_group_tests_name("rs", tests, setup, teardown);
}
