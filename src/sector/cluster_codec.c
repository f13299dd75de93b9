/*
 * cluster_codec.c — one 64 KiB user cluster <-> one recorded physical cluster of
 * MEDIUM_CLUSTER_BYTES: data frames with EDC, address-keyed scrambling, LDC + BIS
 * encoding and interleaving, and on the way back burst indication by the BIS pickets,
 * errors-and-erasures decoding and the EDC check that turns any miscorrection into
 * -EBADMSG. Shaped after the Blu-ray ECC cluster (physics.md §3.2; DESIGN.md
 * "src/sector"). It does not touch the medium, spares or statistics (the sector handle
 * above it does) and keeps no mutable state: tables in struct sector_codec, working
 * memory in the caller's struct sector_scratch.
 *
 * ON-MEDIUM LAYOUT INVARIANTS (changing any of them changes the recorded format)
 *
 * (1) Data frames. Sector f (0..31) is the frame of 2052 bytes at offset 2052 f of the
 *     65,664 LDC data symbols: 2048 user bytes, then EDC = CRC-32 (zlib/gzip CRC,
 *     little-endian) over the 2048 user bytes followed by the 20-byte trailer
 *     le64 physical cluster, le64 logical cluster, u8 layer, u8 f, 2 zero bytes.
 * (2) Scrambling. The 65,664 frame bytes are XORed with PRBS[o .. o+65,663] where
 *     o = 64 * (key >> 20 mod 1024), key = mix(mix(mix(layer + 1) ^ physical) ^ logical)
 *     (mix = util_mix64) and PRBS is the xorshift64 byte stream of make_prbs(). The BIS
 *     payload is XORed with the fixed PRBS[PRBS_BIS_OFFSET ..], so the address units
 *     stay readable without knowing the address. Scrambling precedes the RS encoding,
 *     so parity of pseudo-random data is pseudo-random too: ~50 % marks everywhere.
 * (3) LDC. The data symbols, taken in order, are symbol-major: symbol s (0..215) of
 *     codeword c (0..303) is data byte 304 s + c. RS(248,216,33), fcr 0 (rs.c); codeword
 *     symbol s = 216..247 is parity.
 * (4) BIS payload (720 B): 576 B user control data (18 B per sector), then 16 address
 *     units of 9 B: u8 (unit << 4 | layer), le32 physical, le32 logical. Payload byte q
 *     is symbol q / 24 of BIS codeword q % 24; RS(62,30,33), fcr 0.
 * (5) Rows. The cluster is 496 rows of 155 bytes along the track. Row r holds LDC
 *     columns 0-37, picket 0, LDC 38-75, picket 1, LDC 76-113, picket 2, LDC 114-151:
 *     pickets at byte 38, 77, 116 of the row.
 * (6) LDC interleave. Row r carries symbol s = r / 2 of the codewords of half h = r % 2
 *     (codewords 152 h .. 152 h + 151), two codewords per column; LDC column L of row r
 *     holds codeword 152 h + ((L + s) mod 152). Consecutive bytes along the track hit
 *     consecutive codewords, so a burst of B bytes costs each codeword about B / 310
 *     symbols; the diagonal shift by s spreads a defect that repeats every row (a stuck
 *     column) over all codewords instead of ruining two.
 * (7) BIS interleave. Picket p of row r is BIS byte b = 3 r + p (track order), and BIS
 *     byte b is symbol b / 24 of BIS codeword b % 24: 24 consecutive pickets (8 rows)
 *     go to 24 different codewords, so BIS survives bursts ~2x longer than the LDC can
 *     fill with erasures.
 * (8) Burst indication (decoder rule, not format). A picket is bad when the BIS decoder
 *     changed it. The LDC run between two pickets consecutive in track order is erased
 *     when both are bad: the 38-byte runs inside a row, and the 76-byte run formed by
 *     the end of row r and the start of row r+1 (between picket 2 of r and picket 0 of
 *     r+1). The run before the first and after the last picket of the cluster needs its
 *     one picket. A codeword with more than 32 flags is decoded errors-only; a failed
 *     decode with erasures is retried errors-only.
 * (9) Quick clean pass (decoder rule, not format). The syndrome product is most of a
 *     clean decode, so S_0 .. S_3 are computed for all 304 LDC codewords first and the
 *     other 28 only for the codewords they flag (one dot product each; the batched
 *     product when more than SECTOR_LDC_QUICK_MAX are flagged). A codeword with
 *     S_0 .. S_3 = 0 is presumed clean. That is safe because the presumption is
 *     checked: an error pattern with S_0 .. S_3 = 0 is a non-zero multiple of
 *     (x - 1)(x - a)(x - a^2)(x - a^3), so it has >= 5 symbols (BCH bound) and a random
 *     one passes with probability 2^-32; left uncorrected it then must also pass a
 *     CRC-32 EDC. Any failure of a pass that presumed (uncorrectable codeword, EDC,
 *     address, control) repeats the whole decode with all 32 syndromes of every
 *     codeword, whose result and report are returned: the quick pass can turn neither
 *     a correctable cluster into -EBADMSG nor a failure into data, and every -EBADMSG
 *     is the complete decode's. On success the report equals the complete decode's
 *     except in the 2^-32 case of such a pattern confined to parity symbols (data
 *     right, its symbols not counted). ldc_nonzero_syndrome counts the codewords whose
 *     computed syndromes were non-zero: on the quick pass those flagged by S_0 .. S_3,
 *     the same set unless a presumption was wrong.
 */
#include "sector_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/crc.h>

#define LDC_COLS 152u
#define LDC_RUN 38u        /* LDC bytes between pickets within a row */
#define HALF_CODEWORDS 152u
#define EDC_TRAILER_BYTES 20u
#define SCRAMBLE_OFFSETS 1024u
#define SCRAMBLE_STEP 64u
#define PRBS_BIS_OFFSET (SCRAMBLE_OFFSETS * SCRAMBLE_STEP + SECTOR_LDC_DATA_BYTES)
#define PRBS_BYTES (PRBS_BIS_OFFSET + SECTOR_BIS_PAYLOAD_BYTES + 48u) /* multiple of 64 */
#define PRBS_SEED 0x5ec7095c7a3b1e2dULL

_Static_assert(PRBS_BYTES % 64 == 0, "PRBS length keeps 64-byte granularity");
_Static_assert(SECTOR_ROW_BYTES == LDC_COLS + 3, "3 pickets per row");
_Static_assert(SECTOR_ROWS == 2 * SECTOR_LDC_N, "two codewords per LDC column");
_Static_assert(SECTOR_BIS_BYTES == 3 * SECTOR_ROWS, "one BIS byte per picket");

static const unsigned picket_col[3] = {38, 77, 116};

/* ---- layout ---------------------------------------------------------------------- */

size_t sector_ldc_offset(unsigned c, unsigned s)
{
    unsigned h = c / HALF_CODEWORDS, idx = c % HALF_CODEWORDS;
    unsigned r = 2 * s + h;
    unsigned L = (idx + LDC_COLS - s % LDC_COLS) % LDC_COLS;
    return (size_t)r * SECTOR_ROW_BYTES + L + L / LDC_RUN;
}

size_t sector_bis_offset(unsigned c, unsigned s)
{
    unsigned b = s * SECTOR_BIS_CODEWORDS + c;
    return (size_t)(b / 3) * SECTOR_ROW_BYTES + picket_col[b % 3];
}

/* Symbol-major BIS position of track-order picket b. */
static inline size_t bis_index(unsigned b)
{
    return (size_t)(b / SECTOR_BIS_CODEWORDS) * SECTOR_BIS_STRIDE + b % SECTOR_BIS_CODEWORDS;
}

static void set_row_pointers(struct sector_scratch *sc)
{
    for (unsigned j = 0; j < SECTOR_LDC_N; j++)
        sc->ldc_rows[j] = sc->ldc + (size_t)j * SECTOR_LDC_CODEWORDS;
    for (unsigned i = 0; i < SECTOR_RS_PARITY; i++) {
        sc->ldc_synd_rows[i] = sc->ldc_synd + (size_t)i * SECTOR_LDC_CODEWORDS;
        sc->bis_synd_rows[i] = sc->bis_synd + (size_t)i * SECTOR_BIS_STRIDE;
    }
    for (unsigned j = 0; j < SECTOR_BIS_N; j++)
        sc->bis_rows[j] = sc->bis + (size_t)j * SECTOR_BIS_STRIDE;
}

/* Symbol-major LDC/BIS -> recorded rows (invariants 5-7). Constant-size copies only:
 * the row is doubled so the diagonal rotation is a plain offset. */
static void interleave(struct sector_scratch *sc, uint8_t *rec)
{
    for (unsigned r = 0; r < SECTOR_ROWS; r++) {
        unsigned s = r >> 1, h = r & 1, rot = s % LDC_COLS;
        const uint8_t *src = sc->ldc + (size_t)s * SECTOR_LDC_CODEWORDS + h * HALF_CODEWORDS;
        memcpy(sc->row, src, LDC_COLS);
        memcpy(sc->row + LDC_COLS, src, LDC_COLS);
        const uint8_t *in = sc->row + rot;
        uint8_t *out = rec + (size_t)r * SECTOR_ROW_BYTES;
        memcpy(out, in, LDC_RUN);
        memcpy(out + 39, in + 38, LDC_RUN);
        memcpy(out + 78, in + 76, LDC_RUN);
        memcpy(out + 117, in + 114, LDC_RUN);
        for (unsigned p = 0; p < 3; p++)
            out[picket_col[p]] = sc->bis[bis_index(3 * r + p)];
    }
}

/*
 * Recorded rows -> symbol-major LDC/BIS. Row r fills sc->ldc[152 r .. 152 r + 151]
 * (symbol s = r / 2 of half h: 304 s + 152 h = 152 r), and its LDC run q (columns
 * 38 q .. 38 q + 37, recorded at 39 q) lands at (38 q + rot) mod 152. With
 * rot = 38 a + b, run qw = (3 - a) mod 4 starts at 114 + b: it is copied whole, its last
 * b bytes spilling into row r + 1's place (rewritten next; the slack after the last
 * row), and those b bytes are copied again to the row's start from the recorded run,
 * as 38 bytes of which the 38 - b after them are overwritten by run qw + 1, which starts
 * at b. All copies are of fixed size and read only the recorded row: staging the row
 * and reading it back rotated made loads straddle earlier stores, a store-forwarding
 * stall each, ~5 us per cluster.
 */
static void deinterleave(struct sector_scratch *sc, const uint8_t *rec)
{
    /* The second copy of run 3 would read past the row: fine inside the cluster (row
     * r + 1 follows), and the last row's qw is 1. */
    _Static_assert((7 - (SECTOR_LDC_N - 1) % LDC_COLS / LDC_RUN) % 4 != 3,
                   "the last row never reads beyond the cluster");
    for (unsigned r = 0; r < SECTOR_ROWS; r++) {
        unsigned rot = (r >> 1) % LDC_COLS, a = rot / LDC_RUN, b = rot % LDC_RUN;
        const uint8_t *in = rec + (size_t)r * SECTOR_ROW_BYTES;
        uint8_t *dst = sc->ldc + (size_t)r * LDC_COLS;
        unsigned qw = (7 - a) % 4;
        memcpy(dst + LDC_COLS - LDC_RUN + b, in + (LDC_RUN + 1) * qw, LDC_RUN);
        memcpy(dst, in + (LDC_RUN + 1) * qw + LDC_RUN - b, LDC_RUN);
        for (unsigned i = 1; i < 4; i++) {
            unsigned q = (qw + i) % 4;
            memcpy(dst + (LDC_RUN * q + rot) % LDC_COLS, in + (LDC_RUN + 1) * q, LDC_RUN);
        }
        for (unsigned p = 0; p < 3; p++)
            sc->bis[bis_index(3 * r + p)] = in[picket_col[p]];
    }
}

/* ---- scrambling and EDC ------------------------------------------------------------ */

/* The scrambler stream (invariant 2): xorshift64 from a fixed seed, 8 bytes per step,
 * least significant byte first. Defined here, not borrowed, because it is format. */
static void make_prbs(uint8_t *prbs)
{
    uint64_t x = PRBS_SEED;
    for (size_t i = 0; i < PRBS_BYTES; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        util_le64_put(prbs + i, x);
    }
}

static size_t scramble_offset(const struct sector_address *a)
{
    uint64_t key = util_mix64(util_mix64(util_mix64((uint64_t)a->layer + 1) ^
                                         a->physical_cluster) ^
                              a->logical_cluster);
    return (size_t)((key >> 20) % SCRAMBLE_OFFSETS) * SCRAMBLE_STEP;
}

static uint32_t sector_edc(const struct sector_address *a, unsigned f, const uint8_t *user)
{
    uint8_t trailer[EDC_TRAILER_BYTES] = {0};
    util_le64_put(trailer, a->physical_cluster);
    util_le64_put(trailer + 8, a->logical_cluster);
    trailer[16] = (uint8_t)a->layer;
    trailer[17] = (uint8_t)f;
    uint32_t crc = crc32_gzip_refl(0, user, SECTOR_USER_BYTES);
    return crc32_gzip_refl(crc, trailer, sizeof trailer);
}

static void xor_bytes(uint8_t *restrict dst, const uint8_t *restrict a,
                      const uint8_t *restrict b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = a[i] ^ b[i];
}

static void address_unit(const struct sector_address *a, unsigned u, uint8_t *out)
{
    out[0] = (uint8_t)(u << 4 | a->layer);
    util_le32_put(out + 1, (uint32_t)a->physical_cluster);
    util_le32_put(out + 5, (uint32_t)a->logical_cluster);
}

static int check_address(const struct sector_address *a)
{
    if (!a || a->layer >= MEDIUM_LAYER_COUNT || a->physical_cluster > UINT32_MAX ||
        a->logical_cluster > UINT32_MAX)
        return -EINVAL;
    return 0;
}

/* ---- codec and scratch lifetime ---------------------------------------------------- */

int sector_codec_create(struct sector_codec **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    struct sector_codec *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    int rc;
    sector_gf_init(&c->gf);
    rc = sector_rs_init(&c->ldc, &c->gf, SECTOR_LDC_N, SECTOR_LDC_K, SECTOR_RS_FCR);
    if (rc < 0)
        goto out;
    rc = sector_rs_init(&c->bis, &c->gf, SECTOR_BIS_N, SECTOR_BIS_K, SECTOR_RS_FCR);
    if (rc < 0)
        goto out;
    c->prbs = aligned_alloc(64, PRBS_BYTES);
    if (!c->prbs) {
        rc = -ENOMEM;
        goto out;
    }
    make_prbs(c->prbs);
    *out = c;
    c = NULL;
    rc = 0;
out:
    sector_codec_destroy(c);
    return rc;
}

void sector_codec_destroy(struct sector_codec *codec)
{
    if (!codec)
        return;
    sector_rs_fini(&codec->ldc);
    sector_rs_fini(&codec->bis);
    free(codec->prbs);
    free(codec);
}

int sector_scratch_create(struct sector_scratch **out)
{
    if (!out)
        return -EINVAL;
    /* sizeof is a multiple of the 64-byte alignment of its first member. */
    struct sector_scratch *sc = aligned_alloc(64, sizeof *sc);
    if (!sc) {
        *out = NULL;
        return -ENOMEM;
    }
    /* The BIS rows' padding columns are computed on but never read back; zero them so
     * no uninitialised byte is ever touched. */
    memset(sc, 0, sizeof *sc);
    *out = sc;
    return 0;
}

void sector_scratch_destroy(struct sector_scratch *scratch)
{
    free(scratch);
}

/* ---- encode ------------------------------------------------------------------------ */

int sector_cluster_encode(const struct sector_codec *codec, const struct sector_address *addr,
                          const uint8_t *user, const uint8_t *control, uint8_t *recorded,
                          struct sector_scratch *sc)
{
    if (!codec || !user || !recorded || !sc || check_address(addr) < 0)
        return -EINVAL;
    set_row_pointers(sc);
    const uint8_t *prbs = codec->prbs + scramble_offset(addr);

    for (unsigned f = 0; f < SECTOR_PER_CLUSTER; f++) {
        const uint8_t *u = user + (size_t)f * SECTOR_USER_BYTES;
        uint8_t *frame = sc->ldc + (size_t)f * SECTOR_FRAME_BYTES;
        const uint8_t *key = prbs + (size_t)f * SECTOR_FRAME_BYTES;
        xor_bytes(frame, u, key, SECTOR_USER_BYTES);
        uint8_t edc[SECTOR_EDC_BYTES];
        util_le32_put(edc, sector_edc(addr, f, u));
        xor_bytes(frame + SECTOR_USER_BYTES, edc, key + SECTOR_USER_BYTES, SECTOR_EDC_BYTES);
    }
    sector_rs_encode_rows(&codec->ldc, SECTOR_LDC_CODEWORDS, sc->ldc_rows);

    uint8_t payload[SECTOR_BIS_PAYLOAD_BYTES];
    if (control)
        memcpy(payload, control, SECTOR_CLUSTER_CONTROL_BYTES);
    else
        memset(payload, 0, SECTOR_CLUSTER_CONTROL_BYTES);
    for (unsigned u = 0; u < SECTOR_ADDRESS_UNITS; u++)
        address_unit(addr, u,
                     payload + SECTOR_CLUSTER_CONTROL_BYTES + u * SECTOR_ADDRESS_UNIT_BYTES);
    for (unsigned q = 0; q < SECTOR_BIS_PAYLOAD_BYTES; q++)
        sc->bis[bis_index(q)] = payload[q] ^ codec->prbs[PRBS_BIS_OFFSET + q];
    sector_rs_encode_rows(&codec->bis, SECTOR_BIS_STRIDE, sc->bis_rows);

    interleave(sc, recorded);
    return 0;
}

/* ---- decode ------------------------------------------------------------------------ */

/* Decode the 24 BIS codewords in place; mark the pickets they corrected (invariant 8).
 * bis_ok[c] says whether codeword c is now trustworthy. */
static void decode_bis(const struct sector_codec *codec, struct sector_scratch *sc,
                       uint8_t *bis_ok, struct sector_decode_report *rep)
{
    sector_rs_syndromes_rows(&codec->bis, SECTOR_BIS_STRIDE, sc->bis_rows, sc->bis_synd_rows);
    memset(sc->picket_bad, 0, sizeof sc->picket_bad);
    for (unsigned c = 0; c < SECTOR_BIS_CODEWORDS; c++) {
        uint8_t synd[SECTOR_RS_PARITY];
        uint8_t any = 0;
        for (unsigned i = 0; i < SECTOR_RS_PARITY; i++)
            any |= synd[i] = sc->bis_synd[i * SECTOR_BIS_STRIDE + c];
        bis_ok[c] = 1;
        if (!any)
            continue;
        struct sector_rs_fix fix;
        if (sector_rs_decode(&codec->bis, synd, NULL, 0, &fix) < 0) {
            bis_ok[c] = 0;
            rep->bis_uncorrectable++;
            continue;
        }
        for (int i = 0; i < fix.count; i++) {
            unsigned b = fix.pos[i] * SECTOR_BIS_CODEWORDS + c;
            sc->bis[bis_index(b)] ^= fix.val[i];
            sc->picket_bad[b] = 1;
        }
        rep->bis_symbols_corrected += (uint32_t)fix.count;
    }
}

/* Turn bad pickets into erased LDC gaps (invariant 8). Returns whether any is erased.
 * Gap q (0..1488) lies just before picket q in track order; gap 1488 ends the cluster. */
static int flag_gaps(struct sector_scratch *sc, struct sector_decode_report *rep)
{
    /* Pickets are marked only where the BIS decoder changed one: none, nothing erased
     * (gap_erased is read only when this returns 1). The usual case, so skip the scan. */
    if (rep->bis_symbols_corrected == 0)
        return 0;
    memset(sc->gap_erased, 0, sizeof sc->gap_erased);
    int any = 0, in_run = 0;
    for (unsigned q = 0; q <= SECTOR_BIS_BYTES; q++) {
        /* At the cluster's ends the neighbour beyond is in another cluster: unknown. */
        int left = q == 0 || sc->picket_bad[q - 1];
        int right = q == SECTOR_BIS_BYTES || sc->picket_bad[q];
        int erased = left && right;
        if (!erased) {
            in_run = 0;
            continue;
        }
        any = 1;
        if (!in_run)
            rep->bursts_flagged++;
        in_run = 1;
        unsigned r = q / 3, p = q % 3;
        if (p == 0) {
            /* end of the previous row and start of this one */
            if (r > 0) {
                sc->gap_erased[(r - 1) * SECTOR_LDC_GAPS + 3] = 1;
                rep->bytes_flagged += LDC_RUN;
            }
            if (r < SECTOR_ROWS) {
                sc->gap_erased[r * SECTOR_LDC_GAPS + 0] = 1;
                rep->bytes_flagged += LDC_RUN;
            }
        } else {
            sc->gap_erased[r * SECTOR_LDC_GAPS + p] = 1;
            rep->bytes_flagged += LDC_RUN;
        }
    }
    return any;
}

static unsigned hist_bucket(int corrected)
{
    if (corrected <= 2)
        return (unsigned)corrected;
    if (corrected <= 4)
        return SECTOR_HIST_3_4;
    if (corrected <= 8)
        return SECTOR_HIST_5_8;
    if (corrected <= 16)
        return SECTOR_HIST_9_16;
    return SECTOR_HIST_17_32;
}

/* Decode LDC codeword c from its syndromes synd[0..31], not all zero. Returns 0 or
 * -EBADMSG. */
static int decode_ldc_codeword(const struct sector_codec *codec, struct sector_scratch *sc,
                               unsigned c, const uint8_t *synd, int have_gaps,
                               struct sector_decode_report *rep, int *max_load)
{
    uint8_t eras[SECTOR_LDC_N];
    int n_eras = 0;
    if (have_gaps) {
        unsigned h = c / HALF_CODEWORDS, idx = c % HALF_CODEWORDS;
        for (unsigned s = 0; s < SECTOR_LDC_N; s++) {
            unsigned r = 2 * s + h;
            unsigned L = (idx + LDC_COLS - s % LDC_COLS) % LDC_COLS;
            if (sc->gap_erased[r * SECTOR_LDC_GAPS + L / LDC_RUN])
                eras[n_eras++] = (uint8_t)s;
        }
        if (n_eras > (int)SECTOR_RS_PARITY) {
            rep->erasure_overflow++;
            n_eras = 0;
        }
    }
    struct sector_rs_fix fix;
    int rc = sector_rs_decode(&codec->ldc, synd, eras, n_eras, &fix);
    if (rc < 0 && n_eras > 0)
        rc = sector_rs_decode(&codec->ldc, synd, NULL, 0, &fix);
    if (rc < 0) {
        rep->ldc_uncorrectable++;
        rep->hist[SECTOR_HIST_FAILED]++;
        return -EBADMSG;
    }
    for (int i = 0; i < fix.count; i++)
        sc->ldc[(size_t)fix.pos[i] * SECTOR_LDC_CODEWORDS + c] ^= fix.val[i];
    rep->symbols_corrected += (uint32_t)fix.count;
    if ((uint32_t)fix.count > rep->max_corrected)
        rep->max_corrected = (uint32_t)fix.count;
    rep->erasures_used += (uint32_t)fix.erasures;
    rep->hist[hist_bucket(fix.count)]++;
    int load = 2 * fix.errors + fix.erasures;
    if (load > *max_load)
        *max_load = load;
    return 0;
}

/* nonzero[c] |= OR of codeword c's syndromes S_from .. S_to-1 (nonzero[] is cleared
 * when from is 0), 8 codewords per 64-bit word (the rows are 304 = 38 x 8 bytes), so
 * the clean path spends ~1 us here, not ~10. Returns the codewords now flagged. */
static unsigned or_syndrome_rows(struct sector_scratch *sc, unsigned from, unsigned to)
{
    enum { WORDS = SECTOR_LDC_CODEWORDS / 8 };
    _Static_assert(SECTOR_LDC_CODEWORDS % 8 == 0, "whole words");
    uint64_t acc[WORDS] = {0};
    if (from > 0)
        memcpy(acc, sc->nonzero, sizeof acc);
    for (unsigned i = from; i < to; i++) {
        const uint8_t *row = sc->ldc_synd + (size_t)i * SECTOR_LDC_CODEWORDS;
        for (unsigned w = 0; w < WORDS; w++) {
            uint64_t v;
            memcpy(&v, row + 8 * w, 8);
            acc[w] |= v;
        }
    }
    memcpy(sc->nonzero, acc, sizeof acc);
    /* 0x80 in each non-zero byte: OR of the byte's bits folded into its top bit */
    const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
    unsigned flagged = 0;
    for (unsigned w = 0; w < WORDS; w++)
        flagged += (unsigned)__builtin_popcountll((((acc[w] & lo7) + lo7) | acc[w]) & ~lo7);
    return flagged;
}

/*
 * The LDC (invariant 9): syndromes, then the decoder for every codeword whose computed
 * syndromes are not all zero. quick: S_0 .. S_3 first, the rest only for the codewords
 * they flag, unless more than SECTOR_LDC_QUICK_MAX are flagged. *presumed receives the
 * codewords taken as clean without all their syndromes. Returns 0 or -EBADMSG.
 */
static int decode_ldc(const struct sector_codec *codec, struct sector_scratch *sc, int quick,
                      int have_gaps, struct sector_decode_report *rep, unsigned *presumed)
{
    const struct sector_rs *ldc = &codec->ldc;
    unsigned done = quick ? SECTOR_LDC_QUICK_ROOTS : SECTOR_RS_PARITY;
    sector_rs_syndromes_rows_range(ldc, 0, (int)done, SECTOR_LDC_CODEWORDS, sc->ldc_rows,
                                   sc->ldc_synd_rows);
    unsigned flagged = or_syndrome_rows(sc, 0, done);
    if (done < SECTOR_RS_PARITY && flagged > SECTOR_LDC_QUICK_MAX) {
        sector_rs_syndromes_rows_range(ldc, (int)done, (int)(SECTOR_RS_PARITY - done),
                                       SECTOR_LDC_CODEWORDS, sc->ldc_rows,
                                       sc->ldc_synd_rows + done);
        flagged = or_syndrome_rows(sc, done, SECTOR_RS_PARITY);
        done = SECTOR_RS_PARITY;
    }
    *presumed = done < SECTOR_RS_PARITY ? SECTOR_LDC_CODEWORDS - flagged : 0;

    int rc = 0, max_load = 0;
    for (unsigned c = 0; c < SECTOR_LDC_CODEWORDS; c++) {
        if (c % 8 == 0 && util_le64_get(sc->nonzero + c) == 0) {
            rep->hist[SECTOR_HIST_0] += 8;
            c += 7;
            continue;
        }
        if (!sc->nonzero[c]) {
            rep->hist[SECTOR_HIST_0]++;
            continue;
        }
        rep->ldc_nonzero_syndrome++;
        _Alignas(64) uint8_t synd[SECTOR_RS_SYND_COL];
        if (done < SECTOR_RS_PARITY) {
            sector_rs_syndromes_strided(ldc, sc->ldc + c, SECTOR_LDC_CODEWORDS, sc->dot_tbls,
                                        synd);
        } else {
            for (unsigned i = 0; i < SECTOR_RS_PARITY; i++)
                synd[i] = sc->ldc_synd[i * SECTOR_LDC_CODEWORDS + c];
        }
        if (decode_ldc_codeword(codec, sc, c, synd, have_gaps, rep, &max_load) < 0)
            rc = -EBADMSG;
    }
    rep->margin = rc < 0 ? -1 : (int32_t)SECTOR_RS_PARITY - max_load;
    return rc;
}

/* Check the BIS address units against addr (invariant 4). */
static void check_address_units(const struct sector_codec *codec, struct sector_scratch *sc,
                                const struct sector_address *addr, const uint8_t *bis_ok,
                                struct sector_decode_report *rep)
{
    unsigned valid = 0, match = 0;
    for (unsigned u = 0; u < SECTOR_ADDRESS_UNITS; u++) {
        unsigned q0 = SECTOR_CLUSTER_CONTROL_BYTES + u * SECTOR_ADDRESS_UNIT_BYTES;
        uint8_t want[SECTOR_ADDRESS_UNIT_BYTES];
        address_unit(addr, u, want);
        int ok = 1, same = 1;
        for (unsigned i = 0; i < SECTOR_ADDRESS_UNIT_BYTES; i++) {
            unsigned q = q0 + i;
            ok &= bis_ok[q % SECTOR_BIS_CODEWORDS];
            uint8_t v = sc->bis[bis_index(q)] ^ codec->prbs[PRBS_BIS_OFFSET + q];
            same &= v == want[i];
        }
        valid += (unsigned)ok;
        match += (unsigned)(ok && same);
    }
    rep->address_units_ok = match;
    rep->address_mismatch = valid - match > match;
}

/* One decode attempt, quick or complete, filling rep from scratch; user may hold
 * garbage on failure (the caller zeroes it). *presumed as for decode_ldc. */
static int decode_pass(const struct sector_codec *codec, const struct sector_address *addr,
                       const uint8_t *recorded, uint8_t *user, uint8_t *control,
                       struct sector_decode_report *rep, struct sector_scratch *sc, int quick,
                       unsigned *presumed)
{
    memset(rep, 0, sizeof *rep);
    deinterleave(sc, recorded);

    uint8_t bis_ok[SECTOR_BIS_CODEWORDS];
    decode_bis(codec, sc, bis_ok, rep);
    int have_gaps = flag_gaps(sc, rep);
    check_address_units(codec, sc, addr, bis_ok, rep);

    if (decode_ldc(codec, sc, quick, have_gaps, rep, presumed) < 0) {
        /* Every sector has symbols in every codeword: none can be vouched for. */
        rep->failing_sector_mask = UINT32_MAX;
        return -EBADMSG;
    }

    /* Descramble into the caller's buffer and check every EDC. */
    const uint8_t *prbs = codec->prbs + scramble_offset(addr);
    for (unsigned f = 0; f < SECTOR_PER_CLUSTER; f++) {
        uint8_t *u = user + (size_t)f * SECTOR_USER_BYTES;
        const uint8_t *frame = sc->ldc + (size_t)f * SECTOR_FRAME_BYTES;
        const uint8_t *key = prbs + (size_t)f * SECTOR_FRAME_BYTES;
        xor_bytes(u, frame, key, SECTOR_USER_BYTES);
        uint8_t edc[SECTOR_EDC_BYTES];
        xor_bytes(edc, frame + SECTOR_USER_BYTES, key + SECTOR_USER_BYTES, SECTOR_EDC_BYTES);
        if (util_le32_get(edc) != sector_edc(addr, f, u))
            rep->failing_sector_mask |= 1u << f;
    }
    if (rep->failing_sector_mask || rep->address_mismatch)
        return -EBADMSG;
    if (control) {
        if (rep->bis_uncorrectable)
            return -EBADMSG;
        for (unsigned q = 0; q < SECTOR_CLUSTER_CONTROL_BYTES; q++)
            control[q] = sc->bis[bis_index(q)] ^ codec->prbs[PRBS_BIS_OFFSET + q];
    }
    return 0;
}

static int cluster_decode(const struct sector_codec *codec, const struct sector_address *addr,
                          const uint8_t *recorded, uint8_t *user, uint8_t *control,
                          struct sector_decode_report *report, struct sector_scratch *sc,
                          int quick)
{
    struct sector_decode_report local;
    struct sector_decode_report *rep = report ? report : &local;
    memset(rep, 0, sizeof *rep);
    if (!codec || !recorded || !user || !sc || check_address(addr) < 0)
        return -EINVAL;
    set_row_pointers(sc);

    unsigned presumed;
    int rc = decode_pass(codec, addr, recorded, user, control, rep, sc, quick, &presumed);
    sc->last_presumed = presumed;
    sc->last_full_retry = false;
    if (rc < 0 && presumed > 0) {
        /* Invariant 9: a codeword presumed clean may hold errors the quick syndromes
         * cannot see; the complete decode gives the verdict and the report. */
        sc->last_full_retry = true;
        rc = decode_pass(codec, addr, recorded, user, control, rep, sc, 0, &presumed);
    }
    if (rc < 0) {
        memset(user, 0, SECTOR_CLUSTER_USER_BYTES);
        if (control)
            memset(control, 0, SECTOR_CLUSTER_CONTROL_BYTES);
    }
    return rc;
}

int sector_cluster_decode(const struct sector_codec *codec, const struct sector_address *addr,
                          const uint8_t *recorded, uint8_t *user, uint8_t *control,
                          struct sector_decode_report *report, struct sector_scratch *sc)
{
    return cluster_decode(codec, addr, recorded, user, control, report, sc, 1);
}

int sector_cluster_decode_full(const struct sector_codec *codec,
                               const struct sector_address *addr, const uint8_t *recorded,
                               uint8_t *user, uint8_t *control,
                               struct sector_decode_report *report, struct sector_scratch *sc)
{
    return cluster_decode(codec, addr, recorded, user, control, report, sc, 0);
}
