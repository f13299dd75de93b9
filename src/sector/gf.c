/*
 * gf.c — GF(2^8) arithmetic for the sector layer's Reed–Solomon codes.
 *
 * Owns the exp/log/inverse tables over the primitive polynomial 0x11d with generator
 * alpha = 2 (the field of the Blu-ray LDC/BIS and of ISA-L's erasure code, physics.md
 * §3.2), ISA-L's 32-byte multiply table and the GFNI affine matrix of every constant,
 * and the AVX-512 + GFNI matrix product that rs.c prefers to ISA-L's (whose AVX-512
 * kernel spends ~5 nibble-table operations where vgf2p8affineqb spends one). It does not
 * choose between the two (rs.c does) and reads no environment. The tables live in the
 * caller's struct, not in globals, so nothing here is mutable shared state.
 */
#include "sector_priv.h"

#include <string.h>

#include <immintrin.h>
#include <isa-l/gf_vect_mul.h>

/* The product is compiled for these extensions alone, so the rest of the build stays
 * generic and the function is reached only after sector_gf_gfni_available(). */
#define GFNI_TARGET __attribute__((target("avx512f,avx512bw,gfni")))
#define GFNI_INLINE static inline __attribute__((always_inline)) GFNI_TARGET

/* Multiplication by c is linear over GF(2): column j of its bit matrix is c * x^j. The
 * instruction computes output bit i as parity(matrix byte (7 - i) AND input), so bit j
 * of byte 7 - i is bit i of c * x^j. test_rs checks this for all 65,536 products. */
static uint64_t affine_of(const struct sector_gf *gf, uint8_t c)
{
    uint64_t m = 0;
    for (unsigned j = 0; j < 8; j++) {
        uint8_t col = sector_gf_mul(gf, c, (uint8_t)(1u << j));
        for (unsigned i = 0; i < 8; i++)
            if (col >> i & 1u)
                m |= 1ull << (8 * (7 - i) + j);
    }
    return m;
}

void sector_gf_init(struct sector_gf *gf)
{
    memset(gf, 0, sizeof *gf);
    unsigned x = 1;
    for (unsigned i = 0; i < 255; i++) {
        gf->exp[i] = (uint8_t)x;
        gf->exp[i + 255] = (uint8_t)x;
        gf->log[x] = (uint16_t)i;
        x <<= 1;
        if (x & 0x100)
            x ^= SECTOR_GF_POLY;
    }
    /* exp[510..1023] stay 0: the landing zone of any product with log[0]. */
    gf->log[0] = SECTOR_GF_LOG_ZERO;
    gf->inv[0] = 0;
    for (unsigned a = 1; a < 256; a++)
        gf->inv[a] = gf->exp[(255u - gf->log[a]) % 255u];
    for (unsigned c = 0; c < 256; c++) {
        gf_vect_mul_init((unsigned char)c, gf->isal_mul[c]);
        gf->affine[c] = affine_of(gf, (uint8_t)c);
    }
}

/* libgcc's check includes the OS's XCR0 state for the zmm and mask registers. */
bool sector_gf_gfni_available(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("gfni");
}

/* ---- the GFNI product ---------------------------------------------------------------
 *
 * Register blocking: up to 16 destination rows accumulate in zmm registers over one
 * 64-byte column block while every source row of that block is loaded once. Per source
 * and destination one vgf2p8affineqb with the matrix broadcast by a load (a load-port
 * uop, not an ALU one); sources go in pairs so one vpternlogq folds both products into
 * the accumulator: 1.5 vector ALU operations per coefficient and 64 bytes, not 2. 16
 * accumulators + 2 sources + 2 matrices + 2 products fit the 32 zmm registers; the LDC's
 * 32 parity rows are two groups. That is the ALU bound: the LDC encode product (51,840
 * such operations on the two 512-bit ports) takes ~9 us here against ISA-L's ~35 us. A
 * column tail (304 = 4 x 64 + 48) is one more block with masked loads and stores, which
 * neither read nor write a byte beyond len. */

#define GROUP_MAX 16 /* accumulators, rows x blocks, per call */
#define BLOCKS_MAX 4  /* column blocks per call */

/* x times the constant whose affine matrix is m, in every byte. */
GFNI_INLINE __m512i mul_by(__m512i x, uint64_t m)
{
    return _mm512_gf2p8affine_epi64_epi8(x, _mm512_set1_epi64((long long)m), 0);
}

GFNI_INLINE __m512i load_block(const uint8_t *p, int full, __mmask64 mask)
{
    return full ? _mm512_loadu_si512(p) : _mm512_maskz_loadu_epi8(mask, p);
}

/* g destination rows over nb consecutive column blocks at off; g and nb are compile-time
 * constants at every call, so acc[] lives in registers. A masked tail is one block. */
GFNI_INLINE void product_block(const int g, const int nb, const int full, __mmask64 mask,
                               int nsrc, const uint64_t *mats, size_t stride,
                               uint8_t *const *src, uint8_t *const *dst, size_t off)
{
    __m512i acc[GROUP_MAX];
#pragma GCC unroll 16
    for (int a = 0; a < g * nb; a++)
        acc[a] = _mm512_setzero_si512();
    int j = 0;
    for (; j + 1 < nsrc; j += 2) {
        __m512i x0[BLOCKS_MAX], x1[BLOCKS_MAX];
#pragma GCC unroll 4
        for (int b = 0; b < nb; b++) {
            x0[b] = load_block(src[j] + off + 64 * b, full, mask);
            x1[b] = load_block(src[j + 1] + off + 64 * b, full, mask);
        }
        const uint64_t *m0 = mats + (size_t)j * stride, *m1 = m0 + stride;
        /* Hide that m1 = m0 + stride: otherwise GCC 12 keeps stride + 8 r for every r
         * in a register of its own, runs out and parks them in xmm registers, which
         * costs ~20 % of the LDC encode; with m1 opaque both are base + displacement. */
        __asm__("" : "+r"(m1));
#pragma GCC unroll 16
        for (int r = 0; r < g; r++) {
            __m512i a0 = _mm512_set1_epi64((long long)m0[r]);
            __m512i a1 = _mm512_set1_epi64((long long)m1[r]);
#pragma GCC unroll 4
            for (int b = 0; b < nb; b++) {
                __m512i p0 = _mm512_gf2p8affine_epi64_epi8(x0[b], a0, 0);
                __m512i p1 = _mm512_gf2p8affine_epi64_epi8(x1[b], a1, 0);
                /* 0x96: a ^ b ^ c */
                acc[b * g + r] = _mm512_ternarylogic_epi64(acc[b * g + r], p0, p1, 0x96);
            }
        }
    }
    if (j < nsrc) {
        const uint64_t *m0 = mats + (size_t)j * stride;
#pragma GCC unroll 16
        for (int r = 0; r < g; r++)
#pragma GCC unroll 4
            for (int b = 0; b < nb; b++)
                acc[b * g + r] = _mm512_xor_si512(
                    acc[b * g + r],
                    mul_by(load_block(src[j] + off + 64 * b, full, mask), m0[r]));
    }
#pragma GCC unroll 16
    for (int r = 0; r < g; r++)
#pragma GCC unroll 4
        for (int b = 0; b < nb; b++) {
            if (full)
                _mm512_storeu_si512(dst[r] + off + 64 * b, acc[b * g + r]);
            else
                _mm512_mask_storeu_epi8(dst[r] + off + 64 * b, mask, acc[b * g + r]);
        }
}

/* Full 64-byte blocks: blocks outside, groups inside, so after the first group a block's
 * sources come from L1 (the LDC's 248 x 64 bytes are 15.5 KiB; all 304 columns would not
 * fit). A group smaller than 16 rows would then load a broadcast matrix per 1 or 2
 * products and be load-bound; when ndst <= 4 (the quick pass's S_0 .. S_3) each call
 * takes 4 blocks and uses each broadcast 4 times. */
GFNI_INLINE void product_full(int g, int nb, int nsrc, const uint64_t *mats, size_t stride,
                              uint8_t *const *src, uint8_t *const *dst, size_t off)
{
    const __mmask64 all = ~(__mmask64)0;
    switch (g * 8 + nb) {
    case 16 * 8 + 1:
        product_block(16, 1, 1, all, nsrc, mats, stride, src, dst, off);
        break;
    case 8 * 8 + 1:
        product_block(8, 1, 1, all, nsrc, mats, stride, src, dst, off);
        break;
    case 4 * 8 + 1:
        product_block(4, 1, 1, all, nsrc, mats, stride, src, dst, off);
        break;
    case 4 * 8 + 4:
        product_block(4, 4, 1, all, nsrc, mats, stride, src, dst, off);
        break;
    case 2 * 8 + 1:
        product_block(2, 1, 1, all, nsrc, mats, stride, src, dst, off);
        break;
    case 2 * 8 + 4:
        product_block(2, 4, 1, all, nsrc, mats, stride, src, dst, off);
        break;
    case 1 * 8 + 4:
        product_block(1, 4, 1, all, nsrc, mats, stride, src, dst, off);
        break;
    default:
        product_block(1, 1, 1, all, nsrc, mats, stride, src, dst, off);
        break;
    }
}

/* The masked tail, one block per group. */
GFNI_INLINE void product_tail(int g, __mmask64 mask, int nsrc, const uint64_t *mats,
                              size_t stride, uint8_t *const *src, uint8_t *const *dst,
                              size_t off)
{
    switch (g) {
    case 16:
        product_block(16, 1, 0, mask, nsrc, mats, stride, src, dst, off);
        break;
    case 8:
        product_block(8, 1, 0, mask, nsrc, mats, stride, src, dst, off);
        break;
    case 4:
        product_block(4, 1, 0, mask, nsrc, mats, stride, src, dst, off);
        break;
    case 2:
        product_block(2, 1, 0, mask, nsrc, mats, stride, src, dst, off);
        break;
    default:
        product_block(1, 1, 0, mask, nsrc, mats, stride, src, dst, off);
        break;
    }
}

/* Groups of 16, 8, 4, 2 and 1 rows cover any ndst. */
static inline int group_rows(int left)
{
    return left >= 16 ? 16 : left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
}

GFNI_TARGET void sector_gf_gfni_product(int len, int nsrc, int ndst, const uint64_t *mats,
                                        size_t mat_stride, uint8_t *const *src,
                                        uint8_t *const *dst)
{
    const size_t blocks = (size_t)len / 64, tail = (size_t)len % 64;
    const size_t wide = ndst <= 4 ? BLOCKS_MAX : 1; /* groups of <= 4 rows only */
    for (size_t b = 0; b < blocks;) {
        size_t nb = blocks - b >= wide ? wide : 1;
        for (int r0 = 0; r0 < ndst;) {
            int g = group_rows(ndst - r0);
            product_full(g, (int)nb, nsrc, mats + r0, mat_stride, src, dst + r0, b * 64);
            r0 += g;
        }
        b += nb;
    }
    if (tail)
        for (int r0 = 0; r0 < ndst;) {
            int g = group_rows(ndst - r0);
            product_tail(g, (1ull << tail) - 1, nsrc, mats + r0, mat_stride, src, dst + r0,
                         blocks * 64);
            r0 += g;
        }
}
