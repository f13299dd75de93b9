/*
 * rs.c — Reed–Solomon codes over GF(2^8) for the LDC RS(248,216,33) and the BIS
 * RS(62,30,33) (physics.md §3.2; DESIGN.md "src/sector").
 *
 * Owns the generator polynomial, the encode and syndrome matrices with their ISA-L
 * tables and GFNI affine forms (gf.c's GFNI product when the CPU has it, ISA-L otherwise:
 * the same bytes), and the errors-and-erasures decoder of one codeword, which starts
 * from syndromes already computed in bulk: Berlekamp–Massey initialised with the erasure
 * locator, Chien search as one ISA-L dot product, Forney. It does not know the cluster
 * layout (cluster_codec.c). Generator: g(x) = prod_{i=0}^{31} (x - alpha^i), fcr = 0,
 * alpha = 2, the same code as libfec's init_rs_char(8, 0x11d, 0, 1, 32, pad), which the
 * tests use as oracle. Bounded-distance: a decode succeeds only if 2e + s <= 32.
 */
#include "sector_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/erasure_code.h>

/* Coefficients of x^(e) mod g(x) for e = nroots .. n-1, built by repeated shifts:
 * rem(x^(e+1)) = x * rem(x^e) reduced once by g. Column j of the parity matrix is the
 * remainder of x^(n-1-j); parity symbol k+r is the coefficient of x^(nroots-1-r). */
static void build_enc_matrix(const struct sector_rs *rs, uint8_t *enc)
{
    const struct sector_gf *gf = rs->gf;
    const int nr = rs->nroots;
    uint8_t rem[SECTOR_RS_MAX_ROOTS];
    /* x^nroots mod g = g(x) - x^nroots = g_0 .. g_{nroots-1} in characteristic 2. */
    memcpy(rem, rs->genpoly, (size_t)nr);
    for (int e = nr; e <= rs->n - 1; e++) {
        int j = rs->n - 1 - e; /* data position of degree e */
        if (j < rs->k)
            for (int r = 0; r < nr; r++)
                enc[r * rs->k + j] = rem[nr - 1 - r];
        uint8_t top = rem[nr - 1];
        for (int i = nr - 1; i > 0; i--)
            rem[i] = rem[i - 1];
        rem[0] = 0;
        for (int i = 0; i < nr; i++)
            rem[i] ^= sector_gf_mul(gf, top, rs->genpoly[i]);
    }
}

/* 64-byte aligned for the vector kernels; C11 wants the size a multiple of it. */
static void *alloc64(size_t size)
{
    return aligned_alloc(64, (size + 63) & ~(size_t)63);
}

int sector_rs_init(struct sector_rs *rs, const struct sector_gf *gf, int n, int k, int fcr)
{
    memset(rs, 0, sizeof *rs);
    if (!gf || n > 255 || k <= 0 || k >= n || n - k > SECTOR_RS_MAX_ROOTS ||
        (n - k) % 2 != 0 || fcr < 0 || fcr > 254)
        return -EINVAL;
    rs->gf = gf;
    rs->n = n;
    rs->k = k;
    rs->nroots = n - k;
    rs->fcr = fcr;
    rs->chien_len = n < SECTOR_RS_CHIEN_MIN ? SECTOR_RS_CHIEN_MIN : n;
    const int nr = rs->nroots;

    /* g(x) = prod (x + alpha^(fcr+i)), multiplied in one root at a time. */
    memset(rs->genpoly, 0, sizeof rs->genpoly);
    rs->genpoly[0] = 1;
    for (int i = 0; i < nr; i++) {
        uint8_t root = sector_gf_alpha_pow(gf, (unsigned)(fcr + i));
        for (int d = i + 1; d > 0; d--)
            rs->genpoly[d] = rs->genpoly[d - 1] ^ sector_gf_mul(gf, rs->genpoly[d], root);
        rs->genpoly[0] = sector_gf_mul(gf, rs->genpoly[0], root);
    }

    rs->enc_matrix = malloc((size_t)nr * (size_t)k);
    rs->syn_matrix = malloc((size_t)nr * (size_t)n);
    rs->enc_tables = alloc64((size_t)32 * nr * k);
    rs->syn_tables = alloc64((size_t)32 * nr * n);
    rs->enc_affine = alloc64(sizeof(uint64_t) * (size_t)nr * (size_t)k);
    rs->syn_affine = alloc64(sizeof(uint64_t) * (size_t)nr * (size_t)n);
    rs->chien = alloc64((size_t)(nr + 1) * (size_t)rs->chien_len);
    rs->syn_cols = alloc64((size_t)n * SECTOR_RS_SYND_COL);
    if (!rs->enc_matrix || !rs->syn_matrix || !rs->enc_tables || !rs->syn_tables ||
        !rs->enc_affine || !rs->syn_affine || !rs->chien || !rs->syn_cols) {
        sector_rs_fini(rs);
        return -ENOMEM;
    }
    build_enc_matrix(rs, rs->enc_matrix);
    for (int i = 0; i < nr; i++)
        for (int j = 0; j < n; j++)
            rs->syn_matrix[i * n + j] =
                sector_gf_alpha_pow(gf, (unsigned)((fcr + i) * (n - 1 - j)));
    ec_init_tables(k, nr, rs->enc_matrix, rs->enc_tables);
    ec_init_tables(n, nr, rs->syn_matrix, rs->syn_tables);
    for (int r = 0; r < nr; r++) {
        for (int j = 0; j < k; j++)
            rs->enc_affine[j * nr + r] = gf->affine[rs->enc_matrix[r * k + j]];
        for (int j = 0; j < n; j++)
            rs->syn_affine[j * nr + r] = gf->affine[rs->syn_matrix[r * n + j]];
    }
    rs->kernel = sector_gf_gfni_available() ? SECTOR_RS_KERNEL_GFNI : SECTOR_RS_KERNEL_ISAL;
    /* Column j of the syndrome matrix as a source of sector_rs_syndromes_strided; the
     * rows beyond nroots stay zero and so do their (unused) outputs. */
    memset(rs->syn_cols, 0, (size_t)n * SECTOR_RS_SYND_COL);
    for (int j = 0; j < n; j++) {
        rs->syn_col_rows[j] = rs->syn_cols + (size_t)j * SECTOR_RS_SYND_COL;
        for (int i = 0; i < nr; i++)
            rs->syn_col_rows[j][i] = rs->syn_matrix[i * n + j];
    }
    /* Position j has locator X_j = alpha^(n-1-j); the padding columns evaluate at
     * positions beyond the shortened code, whose roots are never accepted. */
    for (int i = 0; i <= nr; i++) {
        rs->chien_rows[i] = rs->chien + (size_t)i * rs->chien_len;
        for (int j = 0; j < rs->chien_len; j++) {
            unsigned d = (unsigned)((n - 1 - j) % 255 + 255) % 255;
            rs->chien_rows[i][j] = sector_gf_alpha_pow(gf, ((255u - d) * (unsigned)i) % 255u);
        }
    }
    return 0;
}

void sector_rs_fini(struct sector_rs *rs)
{
    if (!rs)
        return;
    free(rs->enc_matrix);
    free(rs->syn_matrix);
    free(rs->enc_tables);
    free(rs->syn_tables);
    free(rs->enc_affine);
    free(rs->syn_affine);
    free(rs->chien);
    free(rs->syn_cols);
    rs->enc_matrix = rs->syn_matrix = rs->enc_tables = rs->syn_tables = rs->chien = NULL;
    rs->enc_affine = rs->syn_affine = NULL;
    rs->syn_cols = NULL;
}

int sector_rs_set_kernel(struct sector_rs *rs, enum sector_rs_kernel kernel)
{
    if (kernel == SECTOR_RS_KERNEL_ISAL ||
        (kernel == SECTOR_RS_KERNEL_GFNI && sector_gf_gfni_available())) {
        rs->kernel = kernel;
        return 0;
    }
    return -EINVAL;
}

/* ISA-L takes non-const pointers but only reads the tables and the sources. */
void sector_rs_encode_rows(const struct sector_rs *rs, int len, uint8_t *const *rows)
{
    if (rs->kernel == SECTOR_RS_KERNEL_GFNI)
        sector_gf_gfni_product(len, rs->k, rs->nroots, rs->enc_affine, (size_t)rs->nroots, rows,
                               rows + rs->k);
    else
        ec_encode_data(len, rs->k, rs->nroots, rs->enc_tables, (unsigned char **)rows,
                       (unsigned char **)rows + rs->k);
}

void sector_rs_syndromes_rows(const struct sector_rs *rs, int len, uint8_t *const *rows,
                              uint8_t *const *synd)
{
    sector_rs_syndromes_rows_range(rs, 0, rs->nroots, len, rows, synd);
}

/* ec_init_tables lays its tables out row after row (32 bytes per coefficient, n per
 * row), so the tables of syndromes first .. first+count-1 are a contiguous slice; the
 * affine matrices are transposed, so there the range is an offset into each column. */
void sector_rs_syndromes_rows_range(const struct sector_rs *rs, int first, int count, int len,
                                    uint8_t *const *rows, uint8_t *const *synd)
{
    if (rs->kernel == SECTOR_RS_KERNEL_GFNI)
        sector_gf_gfni_product(len, rs->n, count, rs->syn_affine + first, (size_t)rs->nroots,
                               rows, synd);
    else
        ec_encode_data(len, rs->n, count, rs->syn_tables + (size_t)32 * (size_t)rs->n * first,
                       (unsigned char **)rows, (unsigned char **)synd);
}

/* The transposed product: the codeword's symbols are the coefficients (their multiply
 * tables are copies from gf->isal_mul) and the columns of the syndrome matrix are the
 * sources, so one 64-byte dot product yields all syndromes of one codeword: ~0.6 us
 * for the LDC with the strided gather, where Horner runs 32 chains of n dependent table
 * look-ups and the batched product costs the same for 1 codeword as for 64. */
void sector_rs_syndromes_strided(const struct sector_rs *rs, const uint8_t *cw, size_t stride,
                                 uint8_t *tbls, uint8_t *synd)
{
    const struct sector_gf *gf = rs->gf;
    for (int j = 0; j < rs->n; j++)
        memcpy(tbls + (size_t)32 * j, gf->isal_mul[cw[(size_t)j * stride]], 32);
    gf_vect_dot_prod(SECTOR_RS_SYND_COL, rs->n, tbls, (unsigned char **)rs->syn_col_rows, synd);
}

void sector_rs_syndromes(const struct sector_rs *rs, const uint8_t *cw, uint8_t *synd)
{
    const struct sector_gf *gf = rs->gf;
    for (int i = 0; i < rs->nroots; i++) {
        uint8_t root = sector_gf_alpha_pow(gf, (unsigned)(rs->fcr + i));
        uint8_t s = 0;
        for (int j = 0; j < rs->n; j++)
            s = sector_gf_mul(gf, s, root) ^ cw[j];
        synd[i] = s;
    }
}

/* sum_i p_i x^i for p given as logs (logp[i], SECTOR_GF_LOG_ZERO for 0), x = alpha^lx:
 * independent table look-ups instead of a Horner chain, so it runs at load throughput. */
static uint8_t eval_logpoly(const struct sector_gf *gf, const uint16_t *logp, int deg,
                            unsigned lx)
{
    uint8_t v = 0;
    unsigned e = 0; /* i * lx mod 255 */
    for (int i = 0; i <= deg; i++) {
        v ^= gf->exp[logp[i] + e];
        e += lx;
        if (e >= 255)
            e -= 255;
    }
    return v;
}

int sector_rs_decode(const struct sector_rs *rs, const uint8_t *synd, const uint8_t *eras,
                     int n_eras, struct sector_rs_fix *fix)
{
    const struct sector_gf *gf = rs->gf;
    const int nr = rs->nroots;
    const int top = nr + 1; /* highest coefficient index kept */
    uint8_t lambda[SECTOR_RS_MAX_ROOTS + 2] = {0};
    uint64_t is_erasure[4] = {0};

    fix->count = fix->errors = fix->erasures = 0;
    if (n_eras < 0 || n_eras > nr || (n_eras > 0 && !eras))
        return -EINVAL;
    for (int e = 0; e < n_eras; e++) {
        unsigned j = eras[e];
        if (j >= (unsigned)rs->n || (is_erasure[j >> 6] >> (j & 63) & 1))
            return -EINVAL;
        is_erasure[j >> 6] |= 1ull << (j & 63);
    }
    uint8_t any = 0;
    for (int i = 0; i < nr; i++)
        any |= synd[i];
    if (!any)
        return 0; /* a codeword: erased symbols, if any, happen to be right */

    /* Erasure locator Gamma(x) = prod (1 + X_e x), the starting point of BM. */
    lambda[0] = 1;
    for (int e = 0; e < n_eras; e++) {
        uint8_t x = sector_gf_alpha_pow(gf, (unsigned)(rs->n - 1 - eras[e]));
        for (int d = e + 1; d > 0; d--)
            lambda[d] ^= sector_gf_mul(gf, lambda[d - 1], x);
    }
    int L = n_eras;
    uint16_t logs[SECTOR_RS_MAX_ROOTS];
    for (int i = 0; i < nr; i++)
        logs[i] = gf->log[synd[i]];

    /* Berlekamp–Massey over S_s .. S_{nroots-1}; lambda stays a multiple of Gamma.
     * b is kept unnormalised with its discrepancy bdelta, so a length change costs a
     * copy instead of a scaling pass; x*b is a pointer step into a zeroed buffer; the
     * loops run only to the degrees in use. */
    uint8_t bbuf[2 * SECTOR_RS_MAX_ROOTS + 4] = {0};
    uint8_t *bp = bbuf + SECTOR_RS_MAX_ROOTS + 2; /* room for nroots shifts below */
    memcpy(bp, lambda, SECTOR_RS_MAX_ROOTS + 2);
    int ldeg = n_eras, bdeg = n_eras;
    uint8_t bdelta = 1;
    for (int r = n_eras; r < nr; r++) {
        uint8_t delta = 0;
        for (int i = 0; i <= ldeg && i <= r; i++)
            delta ^= gf->exp[gf->log[lambda[i]] + logs[r - i]];
        if (delta == 0) {
            *--bp = 0;
            bdeg++;
            continue;
        }
        /* lambda' = lambda + (delta / bdelta) x b */
        unsigned lc = gf->log[sector_gf_div(gf, delta, bdelta)];
        int tdeg = bdeg + 1 > ldeg ? bdeg + 1 : ldeg;
        if (tdeg > top)
            tdeg = top;
        if (2 * L <= r + n_eras) {
            uint8_t old[SECTOR_RS_MAX_ROOTS + 2];
            memcpy(old, lambda, sizeof old);
            for (int i = 1; i <= tdeg; i++)
                lambda[i] ^= gf->exp[lc + gf->log[bp[i - 1]]];
            L = r + 1 + n_eras - L;
            bp = bbuf + SECTOR_RS_MAX_ROOTS + 2;
            memcpy(bp, old, sizeof old);
            bdeg = ldeg;
            bdelta = delta;
        } else {
            for (int i = 1; i <= tdeg; i++)
                lambda[i] ^= gf->exp[lc + gf->log[bp[i - 1]]];
            *--bp = 0;
            bdeg++;
        }
        ldeg = tdeg;
    }

    /* Bounded distance: more than (nroots - s)/2 errors is a failure, not a guess. */
    if (L > nr || 2 * (L - n_eras) + n_eras > nr)
        return -EBADMSG;
    int deg = 0;
    for (int i = 0; i <= top; i++)
        if (lambda[i])
            deg = i;
    if (deg != L || L == 0)
        return -EBADMSG;

    /* Chien search: lambda(X_j^-1) for every position at once. */
    _Alignas(64) uint8_t tbls[(SECTOR_RS_MAX_ROOTS + 1) * 32];
    _Alignas(64) uint8_t eval[256 + 8];
    for (int i = 0; i <= L; i++)
        memcpy(tbls + 32 * i, gf->isal_mul[lambda[i]], 32);
    gf_vect_dot_prod(rs->chien_len, L + 1, tbls, (unsigned char **)rs->chien_rows, eval);
    uint8_t roots[SECTOR_RS_MAX_ROOTS];
    int nroots_found = 0;
    for (int j0 = 0; j0 < rs->n; j0 += 8) {
        /* 0x80 in exactly the zero bytes of 8 evaluations; most words have none */
        const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
        uint64_t w = util_le64_get(eval + j0);
        uint64_t z = ~(((w & lo7) + lo7) | w | lo7);
        while (z) {
            int j = j0 + __builtin_ctzll(z) / 8;
            z &= z - 1;
            if (j >= rs->n)
                break;
            if (nroots_found == L)
                return -EBADMSG;
            roots[nroots_found++] = (uint8_t)j;
        }
    }
    if (nroots_found != L)
        return -EBADMSG;

    /* Omega(x) = S(x) lambda(x) mod x^nroots; only degrees below L matter. Kept as
     * logs, as is lambda'(x) (characteristic 2: only odd terms, lambda_i x^(i-1)). */
    uint16_t log_omega[SECTOR_RS_MAX_ROOTS], log_dlambda[SECTOR_RS_MAX_ROOTS];
    for (int i = 0; i < L; i++) {
        uint8_t v = 0;
        for (int j = 0; j <= i; j++)
            v ^= gf->exp[gf->log[lambda[j]] + logs[i - j]];
        log_omega[i] = gf->log[v];
        log_dlambda[i] = (i & 1) ? SECTOR_GF_LOG_ZERO : gf->log[lambda[i + 1]];
    }

    /* Forney: Y = X^(1-fcr) Omega(X^-1) / lambda'(X^-1). */
    for (int k = 0; k < L; k++) {
        int j = roots[k];
        unsigned d = (unsigned)(rs->n - 1 - j);
        unsigned lxinv = (255u - d) % 255u;
        uint8_t num = eval_logpoly(gf, log_omega, L - 1, lxinv);
        uint8_t den = eval_logpoly(gf, log_dlambda, L - 1, lxinv);
        if (den == 0)
            return -EBADMSG;
        uint8_t y = sector_gf_div(gf, num, den);
        y = sector_gf_mul(gf, y, sector_gf_alpha_pow(gf, (d * (unsigned)(256 - rs->fcr)) % 255u));
        if (!(is_erasure[j >> 6] >> (j & 63) & 1)) {
            /* A located error of value 0 means the locator is not the true one. */
            if (y == 0)
                return -EBADMSG;
            fix->errors++;
        }
        if (y) {
            fix->pos[fix->count] = (uint8_t)j;
            fix->val[fix->count] = y;
            fix->count++;
        }
    }
    fix->erasures = n_eras;
    return fix->count;
}

int sector_rs_decode_codeword(const struct sector_rs *rs, uint8_t *cw, const uint8_t *eras,
                              int n_eras, struct sector_rs_fix *fix)
{
    struct sector_rs_fix local;
    uint8_t synd[SECTOR_RS_MAX_ROOTS];
    if (!fix)
        fix = &local;
    sector_rs_syndromes(rs, cw, synd);
    int rc = sector_rs_decode(rs, synd, eras, n_eras, fix);
    if (rc < 0)
        return rc;
    for (int i = 0; i < fix->count; i++)
        cw[fix->pos[i]] ^= fix->val[i];
    return rc;
}
