/*
 * test_rs.c — unit tests of src/sector's GF(2^8) tables and Reed–Solomon codes (gf.c,
 * rs.c). Independent references: a bitwise GF multiply, the generator's defining roots,
 * libfec (init_rs_char(8, 0x11d, fcr 0, prim 1, 32, pad)) as a second encoder and
 * decoder, and ISA-L's ec_encode_data for the GFNI matrix product (those tests skip on a
 * CPU without AVX-512BW + GFNI; the rest run on both kernels). Beyond the capability
 * the decoder must fail or land on another codeword within its decoding radius; those
 * miscorrections are counted here and caught by the EDC in test_cluster_codec.
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
#include <immintrin.h>
#include <isa-l/erasure_code.h>

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

/* Both kernels of the bulk products must give libfec's parity and zero syndromes. */
static void test_rs_matrix_encode_matches_libfec_isal(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(sector_rs_set_kernel(&fx->ldc, SECTOR_RS_KERNEL_ISAL), 0);
    assert_int_equal(sector_rs_set_kernel(&fx->bis, SECTOR_RS_KERNEL_ISAL), 0);
    check_matrix_encode(fx, &fx->ldc, fx->fec_ldc, 304);
    check_matrix_encode(fx, &fx->ldc, fx->fec_ldc, 40);
    check_matrix_encode(fx, &fx->bis, fx->fec_bis, 64);
    enum sector_rs_kernel best =
        sector_gf_gfni_available() ? SECTOR_RS_KERNEL_GFNI : SECTOR_RS_KERNEL_ISAL;
    assert_int_equal(sector_rs_set_kernel(&fx->ldc, best), 0);
    assert_int_equal(sector_rs_set_kernel(&fx->bis, best), 0);
    assert_int_equal(sector_rs_set_kernel(&fx->ldc, (enum sector_rs_kernel)7), -EINVAL);
}

/* ---- the GFNI kernel against the table multiply and ISA-L ---- */

/* The instruction as the Intel SDM defines it, per byte: output bit i is the parity of
 * matrix byte (7 - i) AND the input byte. */
static uint8_t affine_model(uint64_t m, uint8_t x)
{
    uint8_t y = 0;
    for (unsigned i = 0; i < 8; i++)
        y |= (uint8_t)((__builtin_popcount((unsigned)(m >> (8 * (7 - i)) & 0xffu) & x) & 1)
                       << i);
    return y;
}

__attribute__((target("avx512f,avx512bw,gfni"))) static void affine_hw(uint64_t m,
                                                                        uint8_t *out)
{
    _Alignas(64) uint8_t x[256];
    for (unsigned i = 0; i < 256; i++)
        x[i] = (uint8_t)i;
    for (unsigned b = 0; b < 256; b += 64) {
        __m512i v = _mm512_load_si512(x + b);
        __m512i y = _mm512_gf2p8affine_epi64_epi8(v, _mm512_set1_epi64((long long)m), 0);
        _mm512_storeu_si512(out + b, y);
    }
}

static void test_rs_gfni_affine_matches_table_multiply(void **state)
{
    struct fixture *fx = *state;
    for (unsigned c = 0; c < 256; c++)
        for (unsigned x = 0; x < 256; x++)
            assert_int_equal(affine_model(fx->gf.affine[c], (uint8_t)x),
                             sector_gf_mul(&fx->gf, (uint8_t)c, (uint8_t)x));
    if (!sector_gf_gfni_available())
        skip();
    /* and the hardware agrees with the model: all 65,536 products once more */
    for (unsigned c = 0; c < 256; c++) {
        uint8_t y[256];
        affine_hw(fx->gf.affine[c], y);
        for (unsigned x = 0; x < 256; x++)
            assert_int_equal(y[x], slow_mul((uint8_t)c, (uint8_t)x));
    }
}

#define GUARD 64 /* bytes after each row that neither product may touch */

/* ndst x nsrc coefficients coef (row-major) on len bytes: the GFNI product with affine
 * matrices at stride mat_stride, offset first, against ec_encode_data, bit for bit and
 * without writing past len. */
static void check_product(struct fixture *fx, struct util_rng *rng, int nsrc, int ndst,
                          int len, const uint8_t *coef)
{
    size_t row = (size_t)len + GUARD;
    uint8_t *src = malloc(row * (size_t)nsrc), *ours = malloc(row * (size_t)ndst);
    uint8_t *theirs = malloc(row * (size_t)ndst);
    uint8_t *tbls = malloc((size_t)32 * (size_t)nsrc * (size_t)ndst);
    const size_t stride = (size_t)ndst + 3; /* not the group size: offsets must hold */
    uint64_t *mats = malloc(sizeof *mats * stride * (size_t)nsrc);
    uint8_t *srows[256], *orows[SECTOR_RS_MAX_ROOTS], *trows[SECTOR_RS_MAX_ROOTS];
    assert_true(src && ours && theirs && tbls && mats);
    for (size_t i = 0; i < row * (size_t)nsrc; i++)
        src[i] = (uint8_t)util_rng_u64(rng);
    memset(ours, 0xa5, row * (size_t)ndst);
    memset(theirs, 0xa5, row * (size_t)ndst);
    for (int j = 0; j < nsrc; j++) {
        srows[j] = src + (size_t)j * row;
        for (size_t r = 0; r < stride; r++)
            mats[(size_t)j * stride + r] = r >= 1 && r <= (size_t)ndst
                                               ? fx->gf.affine[coef[(r - 1) * nsrc + j]]
                                               : util_rng_u64(rng); /* never read */
    }
    for (int r = 0; r < ndst; r++) {
        orows[r] = ours + (size_t)r * row;
        trows[r] = theirs + (size_t)r * row;
    }
    sector_gf_gfni_product(len, nsrc, ndst, mats + 1, stride, srows, orows);
    ec_init_tables(nsrc, ndst, (unsigned char *)coef, tbls);
    ec_encode_data(len, nsrc, ndst, tbls, srows, trows);
    assert_memory_equal(ours, theirs, row * (size_t)ndst);
    for (int r = 0; r < ndst; r++)
        for (int g = 0; g < GUARD; g++)
            assert_int_equal(orows[r][len + g], 0xa5);
    free(src);
    free(ours);
    free(theirs);
    free(tbls);
    free(mats);
}

static void random_product(struct fixture *fx, struct util_rng *rng, int nsrc, int ndst,
                           int len)
{
    uint8_t coef[SECTOR_RS_MAX_ROOTS * 255];
    for (int i = 0; i < nsrc * ndst; i++)
        coef[i] = (uint8_t)util_rng_u64(rng);
    check_product(fx, rng, nsrc, ndst, len, coef);
}

static void test_rs_gfni_product_matches_isal(void **state)
{
    struct fixture *fx = *state;
    if (!sector_gf_gfni_available())
        skip();
    struct util_rng rng;
    util_rng_stream(&rng, 3, 1, 0, 0, 0);
    /* the real shapes with random coefficients: LDC encode, full syndromes, the quick
     * pass's prefix and the rest, BIS encode and syndromes on 64-byte padded rows */
    random_product(fx, &rng, 216, 32, 304);
    random_product(fx, &rng, 248, 32, 304);
    random_product(fx, &rng, 248, 4, 304);
    random_product(fx, &rng, 248, 28, 304);
    random_product(fx, &rng, 30, 32, 64);
    random_product(fx, &rng, 62, 32, 64);
    /* and the real matrices, all coefficients non-zero */
    check_product(fx, &rng, 216, 32, 304, fx->ldc.enc_matrix);
    check_product(fx, &rng, 248, 32, 304, fx->ldc.syn_matrix);
    check_product(fx, &rng, 62, 32, 64, fx->bis.syn_matrix);
    /* odd lengths through every group size (16, 8, 4, 2, 1) and odd source counts */
    static const int lens[] = {1, 63, 64, 65, 304, 1000};
    for (unsigned l = 0; l < sizeof lens / sizeof lens[0]; l++)
        for (int ndst = 1; ndst <= 32; ndst++) {
            int nsrc = 1 + (int)util_rng_below(&rng, 255);
            random_product(fx, &rng, nsrc, ndst, lens[l]);
        }
    random_product(fx, &rng, 1, 32, 304);
    random_product(fx, &rng, 2, 31, 65);
    random_product(fx, &rng, 255, 32, 1000);
}

/* Syndrome ranges (the quick pass's S_0 .. S_3, then S_4 .. S_31) and encode: the same
 * bytes from both kernels through the rs.c entry points. */
static void test_rs_gfni_rows_match_isal_rows(void **state)
{
    struct fixture *fx = *state;
    if (!sector_gf_gfni_available())
        skip();
    struct util_rng rng;
    util_rng_stream(&rng, 3, 2, 0, 0, 0);
    const struct {
        struct sector_rs *rs;
        int len;
    } shapes[] = {{&fx->ldc, 304}, {&fx->bis, 64}, {&fx->ldc, 1}, {&fx->ldc, 65}};
    for (unsigned t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        struct sector_rs *rs = shapes[t].rs;
        const int len = shapes[t].len, n = rs->n;
        uint8_t *buf[2], *synd[2], *rows[2][256], *srows[2][NR];
        for (int v = 0; v < 2; v++) {
            buf[v] = malloc((size_t)n * (size_t)len);
            synd[v] = calloc((size_t)NR, (size_t)len);
            assert_true(buf[v] && synd[v]);
            for (int j = 0; j < n; j++)
                rows[v][j] = buf[v] + (size_t)j * len;
            for (int i = 0; i < NR; i++)
                srows[v][i] = synd[v] + (size_t)i * len;
        }
        for (size_t i = 0; i < (size_t)n * (size_t)len; i++)
            buf[0][i] = (uint8_t)util_rng_u64(&rng);
        memcpy(buf[1], buf[0], (size_t)n * (size_t)len);
        for (int v = 0; v < 2; v++) {
            assert_int_equal(sector_rs_set_kernel(rs, v ? SECTOR_RS_KERNEL_ISAL
                                                        : SECTOR_RS_KERNEL_GFNI), 0);
            sector_rs_encode_rows(rs, len, rows[v]);
            buf[v][(size_t)(n / 2) * len] ^= 0x5a; /* some syndromes non-zero */
            sector_rs_syndromes_rows_range(rs, 0, 4, len, rows[v], srows[v]);
            sector_rs_syndromes_rows_range(rs, 4, NR - 4, len, rows[v], srows[v] + 4);
        }
        assert_memory_equal(buf[0], buf[1], (size_t)n * (size_t)len);
        assert_memory_equal(synd[0], synd[1], (size_t)NR * (size_t)len);
        assert_int_not_equal(synd[0][0], 0);
        assert_int_equal(sector_rs_set_kernel(rs, SECTOR_RS_KERNEL_GFNI), 0);
        for (int v = 0; v < 2; v++) {
            free(buf[v]);
            free(synd[v]);
        }
    }
}

/* The whole cluster codec on each kernel: identical recorded bytes, and identical
 * results and reports of both decoders for clean, damaged, erased and failing input. */
static void test_rs_cluster_codec_same_on_both_kernels(void **state)
{
    (void)state;
    struct sector_codec *codec[2];
    struct sector_scratch *sc;
    assert_int_equal(sector_codec_create(&codec[0]), 0);
    assert_int_equal(sector_codec_create(&codec[1]), 0);
    assert_int_equal(sector_scratch_create(&sc), 0);
    assert_int_equal(sector_rs_set_kernel(&codec[1]->ldc, SECTOR_RS_KERNEL_ISAL), 0);
    assert_int_equal(sector_rs_set_kernel(&codec[1]->bis, SECTOR_RS_KERNEL_ISAL), 0);
    if (!sector_gf_gfni_available())
        print_message("# no GFNI here: both codecs run ISA-L\n");
    uint8_t *user = malloc(SECTOR_CLUSTER_USER_BYTES), *ctl = malloc(SECTOR_CLUSTER_CONTROL_BYTES);
    uint8_t *rec[2], *out[2], *dmg = malloc(MEDIUM_CLUSTER_BYTES);
    assert_true(user && ctl && dmg);
    for (int v = 0; v < 2; v++) {
        rec[v] = malloc(MEDIUM_CLUSTER_BYTES);
        out[v] = malloc(SECTOR_CLUSTER_USER_BYTES);
        assert_true(rec[v] && out[v]);
    }
    struct util_rng rng;
    util_rng_stream(&rng, 3, 3, 0, 0, 0);
    for (int t = 0; t < 8; t++) {
        struct sector_address a = {.layer = (unsigned)t & 1, .physical_cluster = 1000u + t,
                                   .logical_cluster = 77u * t};
        for (size_t i = 0; i < SECTOR_CLUSTER_USER_BYTES; i++)
            user[i] = (uint8_t)util_rng_u64(&rng);
        for (size_t i = 0; i < SECTOR_CLUSTER_CONTROL_BYTES; i++)
            ctl[i] = (uint8_t)util_rng_u64(&rng);
        for (int v = 0; v < 2; v++)
            assert_int_equal(sector_cluster_encode(codec[v], &a, user, ctl, rec[v], sc), 0);
        assert_memory_equal(rec[0], rec[1], MEDIUM_CLUSTER_BYTES);

        memcpy(dmg, rec[0], MEDIUM_CLUSTER_BYTES);
        int expect_ok = 1;
        switch (t % 4) {
        case 0: /* clean */
            break;
        case 1: /* 16 errors in every LDC codeword: the batched syndromes after S_0..S_3 */
            for (unsigned c = 0; c < SECTOR_LDC_CODEWORDS; c++) {
                uint8_t pos[256];
                pick_positions(&rng, SECTOR_LDC_N, 16, pos);
                for (int e = 0; e < 16; e++)
                    dmg[sector_ldc_offset(c, pos[e])] ^= (uint8_t)(1 + util_rng_below(&rng, 255));
            }
            break;
        case 2: /* a burst: the pickets turn it into erasures */
            memset(dmg + 20000, 0, 6000);
            break;
        default: /* one codeword beyond the limit */
            for (unsigned s = 0; s < 40; s++)
                dmg[sector_ldc_offset(5, s)] ^= (uint8_t)(1 + util_rng_below(&rng, 255));
            expect_ok = 0;
            break;
        }
        for (int full = 0; full < 2; full++) {
            struct sector_decode_report rep[2];
            int rc[2];
            for (int v = 0; v < 2; v++)
                rc[v] = (full ? sector_cluster_decode_full : sector_cluster_decode)(
                    codec[v], &a, dmg, out[v], NULL, &rep[v], sc);
            assert_int_equal(rc[0], rc[1]);
            assert_int_equal(rc[0], expect_ok ? 0 : -EBADMSG);
            assert_memory_equal(out[0], out[1], SECTOR_CLUSTER_USER_BYTES);
            assert_memory_equal(&rep[0], &rep[1], sizeof rep[0]);
            if (expect_ok)
                assert_memory_equal(out[0], user, SECTOR_CLUSTER_USER_BYTES);
        }
    }
    for (int v = 0; v < 2; v++) {
        free(rec[v]);
        free(out[v]);
        sector_codec_destroy(codec[v]);
    }
    free(user);
    free(ctl);
    free(dmg);
    sector_scratch_destroy(sc);
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
        cmocka_unit_test(test_rs_matrix_encode_matches_libfec_isal),
        cmocka_unit_test(test_rs_gfni_affine_matches_table_multiply),
        cmocka_unit_test(test_rs_gfni_product_matches_isal),
        cmocka_unit_test(test_rs_gfni_rows_match_isal_rows),
        cmocka_unit_test(test_rs_cluster_codec_same_on_both_kernels),
        cmocka_unit_test(test_rs_corrects_16_errors),
        cmocka_unit_test(test_rs_corrects_32_erasures),
        cmocka_unit_test(test_rs_corrects_every_mixed_split_at_limit),
        cmocka_unit_test(test_rs_decode_rejects_bad_erasure_lists),
        cmocka_unit_test(test_rs_beyond_limit_never_silent),
    };
    return cmocka_run_group_tests_name("rs", tests, setup, teardown);
}
