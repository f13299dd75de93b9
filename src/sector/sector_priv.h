/*
 * sector_priv.h — declarations shared inside src/sector only: GF(2^8) tables (gf.c), the
 * Reed–Solomon codes (rs.c) and the cluster codec (cluster_codec.c). Nothing outside
 * src/sector includes it except the layer's own unit tests and benchmark.
 *
 * Everything here is immutable after creation and so may be shared by any number of
 * threads; the only mutable memory a decode touches is the caller's struct
 * sector_scratch, one per thread. The on-medium layout is defined by the invariants
 * block at the top of cluster_codec.c.
 */
#ifndef PHASEFS_SECTOR_PRIV_H
#define PHASEFS_SECTOR_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sector.h"
#include "util.h"

/* ------------------------------------------------------------------------------------
 * GF(2^8), primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d), alpha = 2: the field
 * ISA-L's erasure-code routines use, so its matrix products are ours.
 * ---------------------------------------------------------------------------------- */

#define SECTOR_GF_POLY 0x11d
#define SECTOR_GF_LOG_ZERO 510 /* log of 0: any sum with it indexes the zero tail of exp */

struct sector_gf {
    /* exp[i] = alpha^(i mod 255) for i < 510 and 0 for 510 <= i < 1024, so that
     * exp[log[a] + log[b]] is a*b for every a, b including 0, without a branch. */
    uint8_t exp[1024];
    uint16_t log[256]; /* log[0] = SECTOR_GF_LOG_ZERO */
    uint8_t inv[256];  /* inv[0] = 0 */
    /* ISA-L's 32-byte multiply table of every constant (gf_vect_mul_init format), so
     * building the tables of a dot product per codeword is a copy, not a computation. */
    uint8_t isal_mul[256][32];
    /* Multiplication by c as the 8x8 bit matrix operand of vgf2p8affineqb: byte 7 - i
     * holds, in bit j, bit i of c * x^j (output bit i is the parity of that byte AND
     * the input). The instruction's own multiply (vgf2p8mulb) reduces by 0x11b, not
     * our 0x11d, so the affine form is how GFNI multiplies in this field. */
    uint64_t affine[256];
};

/* Fill the tables. Cannot fail. */
void sector_gf_init(struct sector_gf *gf);

/* Whether this CPU (and OS) runs sector_gf_gfni_product: AVX-512F/BW and GFNI. */
bool sector_gf_gfni_available(void);

/*
 * dst[r][0..len-1] = XOR over j < nsrc of mats[j * mat_stride + r] (affine form, as in
 * struct sector_gf) applied to src[j][0..len-1], for r < ndst: the GF(2^8) matrix product
 * of ec_encode_data, bit for bit, with affine matrices for coefficients. Any len >= 1;
 * reads and writes exactly len bytes per row. Destinations must not overlap sources.
 * Only callable when sector_gf_gfni_available(); reentrant.
 */
void sector_gf_gfni_product(int len, int nsrc, int ndst, const uint64_t *mats,
                            size_t mat_stride, uint8_t *const *src, uint8_t *const *dst);

static inline uint8_t sector_gf_mul(const struct sector_gf *gf, uint8_t a, uint8_t b)
{
    return gf->exp[gf->log[a] + gf->log[b]];
}

/* a / b for b != 0 (b == 0 is a programming error; the result is then 0). */
static inline uint8_t sector_gf_div(const struct sector_gf *gf, uint8_t a, uint8_t b)
{
    return sector_gf_mul(gf, a, gf->inv[b]);
}

/* alpha^e for any integer e >= 0. */
static inline uint8_t sector_gf_alpha_pow(const struct sector_gf *gf, unsigned e)
{
    return gf->exp[e % 255u];
}

/* ------------------------------------------------------------------------------------
 * Reed–Solomon codes over that field (rs.c)
 *
 * g(x) = prod_{i=0}^{nroots-1} (x - alpha^(fcr+i)). A codeword is an array c[0..n-1]
 * with c[j] the coefficient of x^(n-1-j) (libfec's order): data c[0..k-1], parity
 * c[k..n-1]; shortened codes are the full (255, 255-nroots) code with leading zeros.
 * ---------------------------------------------------------------------------------- */

#define SECTOR_RS_FCR 0      /* first consecutive root alpha^0; libfec: fcr 0, prim 1 */
#define SECTOR_RS_MAX_ROOTS 32
#define SECTOR_RS_CHIEN_MIN 64 /* ISA-L's AVX-512 dot product needs >= 64 bytes */
#define SECTOR_RS_SYND_COL 64  /* bytes per syndrome-matrix column (same minimum) */

/* Who computes the bulk products (encode, syndromes): ISA-L everywhere, or our GFNI
 * kernel (gf.c), chosen by sector_rs_init when the CPU has it. */
enum sector_rs_kernel {
    SECTOR_RS_KERNEL_ISAL,
    SECTOR_RS_KERNEL_GFNI,
};

struct sector_rs {
    const struct sector_gf *gf;
    int n, k, nroots, fcr;
    enum sector_rs_kernel kernel;
    uint8_t genpoly[SECTOR_RS_MAX_ROOTS + 1]; /* g[i] = coefficient of x^i, g[nroots] = 1 */
    uint8_t *enc_matrix;  /* nroots x k: parity row r = sum_j enc[r][j] * data[j] */
    uint8_t *syn_matrix;  /* nroots x n: S_i = sum_j syn[i][j] * c[j] */
    uint8_t *enc_tables;  /* ec_init_tables(k, nroots, enc_matrix) */
    uint8_t *syn_tables;  /* ec_init_tables(n, nroots, syn_matrix) */
    /* The same matrices in affine form for the GFNI kernel, transposed: entry [j][r]
     * (index j * nroots + r), so one source row's coefficients are contiguous and the
     * rows first .. first+count-1 of a syndrome range are a plain offset. */
    uint64_t *enc_affine; /* k x nroots */
    uint64_t *syn_affine; /* n x nroots */
    /* Chien search as one ISA-L dot product: chien[i][j] = (alpha^-(n-1-j))^i, so
     * sum_i lambda_i chien[i][j] = lambda(X_j^-1); rows padded to chien_len bytes. */
    int chien_len;
    uint8_t *chien;
    uint8_t *chien_rows[SECTOR_RS_MAX_ROOTS + 1];
    /* Syndromes of one codeword as one ISA-L dot product: syn_col_rows[j] holds column
     * j of syn_matrix, zero-padded to SECTOR_RS_SYND_COL bytes. */
    uint8_t *syn_cols;
    uint8_t *syn_col_rows[255];
};

/* What the decoder found for one codeword: the symbols to XOR, and the load 2e + s. */
struct sector_rs_fix {
    int count;    /* positions whose value changes (entries in pos/val) */
    int errors;   /* e: error positions located outside the erasure list */
    int erasures; /* s: erasure positions used */
    uint8_t pos[SECTOR_RS_MAX_ROOTS];
    uint8_t val[SECTOR_RS_MAX_ROOTS];
};

/*
 * Build the code RS(n, k) with first consecutive root fcr. Allocates the matrices and
 * ISA-L tables. Returns 0, -EINVAL (n > 255, k >= n, n - k > 32 or odd, fcr > 254) or
 * -ENOMEM. On failure rs holds nothing to free.
 */
int sector_rs_init(struct sector_rs *rs, const struct sector_gf *gf, int n, int k, int fcr)
    SECTOR_MUST_CHECK;
/* Free what init allocated; accepts NULL and a zeroed struct. */
void sector_rs_fini(struct sector_rs *rs);

/* Choose the kernel of the bulk products; init picks GFNI when available. For tests and
 * the benchmark, to run both on one machine: call it before rs is shared. Both give the
 * same bytes. Returns 0, or -EINVAL for an unknown kernel or GFNI on a CPU without it. */
int sector_rs_set_kernel(struct sector_rs *rs, enum sector_rs_kernel kernel)
    SECTOR_MUST_CHECK;

/*
 * Systematic encode of len codewords at once laid out symbol-major: rows[j] points to
 * len bytes holding symbol j of every codeword. Reads rows[0..k-1], writes parity into
 * rows[k..n-1]. One matrix product (rs->kernel); with ISA-L len >= 64 is the fast path.
 */
void sector_rs_encode_rows(const struct sector_rs *rs, int len, uint8_t *const *rows);

/* All nroots syndromes of len symbol-major codewords: synd[i][c] = S_i of codeword c.
 * One matrix product; every S_i of a valid codeword is 0. */
void sector_rs_syndromes_rows(const struct sector_rs *rs, int len, uint8_t *const *rows,
                              uint8_t *const *synd);

/* Syndromes S_first .. S_first+count-1 only, into synd[0..count-1]: one product that
 * costs about count / nroots of the full one (0 <= first, first + count <= nroots). */
void sector_rs_syndromes_rows_range(const struct sector_rs *rs, int first, int count, int len,
                                    uint8_t *const *rows, uint8_t *const *synd);

/* All syndromes of one codeword whose symbol j is cw[j * stride] (a column of the
 * symbol-major layout), by one ISA-L dot product (~0.6 us for the LDC). tbls is the
 * caller's 64-byte aligned scratch of 32 * n bytes; synd receives SECTOR_RS_SYND_COL
 * bytes, S_0 .. S_{nroots-1} first and zeros after. Reentrant. */
void sector_rs_syndromes_strided(const struct sector_rs *rs, const uint8_t *cw, size_t stride,
                                 uint8_t *tbls, uint8_t *synd);

/* Syndromes of one contiguous codeword cw[0..n-1] (Horner; for tests and odd jobs). */
void sector_rs_syndromes(const struct sector_rs *rs, const uint8_t *cw, uint8_t *synd);

/*
 * Errors-and-erasures decode of one codeword from its syndromes synd[0..nroots-1]:
 * Berlekamp–Massey started from the erasure locator, Chien search (one ISA-L dot
 * product), Forney. eras lists n_eras distinct positions (0..n-1) known to be
 * unreliable. Fills fix and returns the number of symbols to change (>= 0), or
 * -EBADMSG when 2e + s > nroots could not be excluded (no consistent error locator in
 * range), or -EINVAL for n_eras > nroots or a position out of range or repeated.
 * The data is never touched; a success is always a codeword (within distance
 * (nroots - s)/2 of the input outside the erasures), but for inputs beyond the
 * capability it may be the wrong one — the EDC above catches that. Reentrant.
 */
int sector_rs_decode(const struct sector_rs *rs, const uint8_t *synd, const uint8_t *eras,
                     int n_eras, struct sector_rs_fix *fix);

/* sector_rs_syndromes + sector_rs_decode + apply, on one contiguous codeword. Same
 * returns; cw is modified only on success. fix may be NULL. */
int sector_rs_decode_codeword(const struct sector_rs *rs, uint8_t *cw, const uint8_t *eras,
                              int n_eras, struct sector_rs_fix *fix);

/* ------------------------------------------------------------------------------------
 * The cluster codec (cluster_codec.c)
 * ---------------------------------------------------------------------------------- */

#define SECTOR_LDC_DATA_BYTES (SECTOR_LDC_K * SECTOR_LDC_CODEWORDS)   /* 65,664 */
#define SECTOR_LDC_BYTES (SECTOR_LDC_N * SECTOR_LDC_CODEWORDS)        /* 75,392 */
#define SECTOR_BIS_BYTES (SECTOR_BIS_N * SECTOR_BIS_CODEWORDS)        /* 1,488 */
#define SECTOR_BIS_PAYLOAD_BYTES (SECTOR_BIS_K * SECTOR_BIS_CODEWORDS) /* 720 */
#define SECTOR_ADDRESS_UNITS 16u
#define SECTOR_ADDRESS_UNIT_BYTES 9u
#define SECTOR_BIS_STRIDE 64u /* BIS symbol-major rows padded for ISA-L's 64-byte path */
#define SECTOR_LDC_GAPS 4u    /* LDC runs per row: before, between and after 3 pickets */
/* The quick clean pass (cluster_codec.c invariant 9): syndromes S_0 .. S_3 of every LDC
 * codeword first; when more than SECTOR_LDC_QUICK_MAX codewords are flagged by them the
 * batched product of the other 28 is cheaper than one dot product per flagged codeword
 * (measured: ~1.0 us per flagged codeword against ~35 us + 0.4 us each; they meet at ~55). */
#define SECTOR_LDC_QUICK_ROOTS 4u
#define SECTOR_LDC_QUICK_MAX 48u

_Static_assert(SECTOR_LDC_BYTES + SECTOR_BIS_BYTES == MEDIUM_CLUSTER_BYTES, "155 x 496");
_Static_assert(SECTOR_CLUSTER_CONTROL_BYTES +
                   SECTOR_ADDRESS_UNITS * SECTOR_ADDRESS_UNIT_BYTES ==
                   SECTOR_BIS_PAYLOAD_BYTES,
               "BIS payload = 32 x 18 control + 16 x 9 address");

/* Precomputed, immutable tables of the cluster codec; share one per process. */
struct sector_codec {
    struct sector_gf gf;
    struct sector_rs ldc;
    struct sector_rs bis;
    uint8_t *prbs; /* scrambler sequence, see cluster_codec.c */
};

/*
 * Working memory of one encode or decode (about 100 KiB). The caller owns it, one per
 * thread at a time, so the codec is reentrant and the hot path never allocates.
 * Fields are internal to cluster_codec.c.
 */
struct sector_scratch {
    /* symbol-major, 248 x 304, then slack that the decoder's de-interleave spills into */
    _Alignas(64) uint8_t ldc[SECTOR_LDC_BYTES + 64];
    _Alignas(64) uint8_t ldc_synd[SECTOR_RS_PARITY * SECTOR_LDC_CODEWORDS];
    _Alignas(64) uint8_t bis[SECTOR_BIS_N * SECTOR_BIS_STRIDE];  /* symbol-major, 62 x 64 */
    _Alignas(64) uint8_t bis_synd[SECTOR_RS_PARITY * SECTOR_BIS_STRIDE];
    _Alignas(64) uint8_t nonzero[SECTOR_LDC_CODEWORDS];          /* OR of the syndromes */
    _Alignas(64) uint8_t row[2 * 152];                           /* one LDC row, twice */
    _Alignas(64) uint8_t dot_tbls[32 * SECTOR_LDC_N];            /* one codeword's tables */
    uint8_t picket_bad[SECTOR_BIS_BYTES];                        /* in track order */
    uint8_t gap_erased[SECTOR_ROWS * SECTOR_LDC_GAPS];
    uint8_t *ldc_rows[SECTOR_LDC_N];
    uint8_t *ldc_synd_rows[SECTOR_RS_PARITY];
    uint8_t *bis_rows[SECTOR_BIS_N];
    uint8_t *bis_synd_rows[SECTOR_RS_PARITY];
    /* How the last decode went, for tests and the benchmark: LDC codewords the quick
     * pass presumed clean from S_0 .. S_3 alone, and whether the complete decode ran
     * after it (it runs whenever the quick pass would have failed having presumed). */
    unsigned last_presumed;
    bool last_full_retry;
};

/* Allocate and initialise a codec. Returns 0 and *out, or -EINVAL (out NULL), -ENOMEM. */
int sector_codec_create(struct sector_codec **out) SECTOR_MUST_CHECK;
/* Accepts NULL. */
void sector_codec_destroy(struct sector_codec *codec);

/* Allocate a scratch area (64-byte aligned). Returns 0, -EINVAL or -ENOMEM. */
int sector_scratch_create(struct sector_scratch **out) SECTOR_MUST_CHECK;
/* Accepts NULL. */
void sector_scratch_destroy(struct sector_scratch *scratch);

/*
 * Encode one cluster: user[65536] (32 sectors) and control[576] (32 x 18 B of user
 * control data, or NULL for zeros) at address addr into recorded[MEDIUM_CLUSTER_BYTES].
 * Returns 0, or -EINVAL: a NULL pointer, addr->layer >= MEDIUM_LAYER_COUNT, or a cluster
 * number above UINT32_MAX. Reentrant given one scratch per concurrent call.
 */
int sector_cluster_encode(const struct sector_codec *codec, const struct sector_address *addr,
                          const uint8_t *user, const uint8_t *control, uint8_t *recorded,
                          struct sector_scratch *scratch) SECTOR_MUST_CHECK;

/*
 * Decode one recorded cluster expected at addr. The quick pass of invariant 9 first;
 * every failure is the verdict of the complete decode. On 0, user[65536] holds the 32 sectors,
 * every one of which passed its EDC, and control[576] (if not NULL) the user control
 * data. report (may be NULL) says what was corrected, also on failure. Returns:
 *   0        all data correct (possibly after correction: see report->margin)
 *   -EBADMSG an LDC codeword was uncorrectable, a sector failed its EDC (miscorrection
 *            or data of another address), the BIS address units name another cluster,
 *            or control was requested and a BIS codeword was uncorrectable. user (and
 *            control) are then zeroed, never partly returned.
 *   -EINVAL  a NULL pointer or a bad address (as for encode).
 * recorded is not modified. Reentrant given one scratch per concurrent call.
 */
int sector_cluster_decode(const struct sector_codec *codec, const struct sector_address *addr,
                          const uint8_t *recorded, uint8_t *user, uint8_t *control,
                          struct sector_decode_report *report,
                          struct sector_scratch *scratch) SECTOR_MUST_CHECK;

/* sector_cluster_decode without the quick pass: all syndromes of every LDC codeword.
 * Same contract and results; for tests and the benchmark to compare the two. */
int sector_cluster_decode_full(const struct sector_codec *codec,
                               const struct sector_address *addr, const uint8_t *recorded,
                               uint8_t *user, uint8_t *control,
                               struct sector_decode_report *report,
                               struct sector_scratch *scratch) SECTOR_MUST_CHECK;

/* Recorded byte offset of LDC codeword c (0..303), symbol s (0..247), and of BIS
 * codeword c (0..23), symbol s (0..61): the layout, exposed so tests can aim errors. */
size_t sector_ldc_offset(unsigned c, unsigned s);
size_t sector_bis_offset(unsigned c, unsigned s);

/* ------------------------------------------------------------------------------------
 * handle/defects: the physical layout of a formatted layer, the DMA payload and the
 * in-memory defect list (defect.c), statistics accumulation and zones (stats.c). The
 * handle itself (struct sector_dev) is private to sector.c. The on-medium format is
 * the invariants block at the top of defect.c.
 * ---------------------------------------------------------------------------------- */

#define SECTOR_DMA_COPIES 4u             /* L0 inner, L0 outer, L1 inner, L1 outer */
#define SECTOR_DMA_LOGICAL 0xffffffffULL /* logical number in every DMA cluster address */
#define SECTOR_DDS_BYTES 128u            /* disc definition structure at payload start */
#define SECTOR_DFL_ENTRY_BYTES 8u
#define SECTOR_ZONE_COUNTERS 22u         /* persisted u64 counters per zone */
#define SECTOR_LAYER_COUNTERS (SECTOR_ZONES * SECTOR_ZONE_COUNTERS + 1u) /* + dma_writes */
#define SECTOR_STATS_BYTES (MEDIUM_LAYER_COUNT * SECTOR_LAYER_COUNTERS * 8u)
#define SECTOR_MAX_PHYSICAL 0x1fffffffULL /* DFL cluster numbers are 29 bits */

/* Where everything lies on each layer (identical on both); derived from the profile's
 * [format] section and the layer size, never from the medium's contents. */
struct sector_layout {
    uint64_t layer_clusters; /* n */
    uint32_t dma_clusters;   /* K clusters per DMA copy */
    uint64_t isa, osa;       /* spare clusters, inner and outer */
    uint64_t user_start;     /* K + isa */
    uint64_t user;           /* user clusters per layer: n - 2K - isa - osa >= 1 */
};

/* Layout for profile p on layers of n clusters. Returns 0, or -EINVAL when the DMAs
 * and spares leave no user cluster or n exceeds SECTOR_MAX_PHYSICAL + 1. */
int sector_layout_compute(const struct medium_profile *p, uint64_t n, struct sector_layout *out)
    SECTOR_MUST_CHECK;
/* Spare clusters one [format] value gives a layer of n clusters: bytes rounded up to
 * clusters, or round(fraction * n); at least 1. */
uint64_t sector_spare_clusters(double fraction, uint64_t bytes, uint64_t n);
/* Physical cluster of spare index s (0 .. isa + osa - 1): the ISA first, then the OSA. */
uint64_t sector_layout_spare_physical(const struct sector_layout *l, uint64_t s);
/* Spare index of physical cluster phys, or -1 when it is not a spare. */
int64_t sector_layout_spare_index(const struct sector_layout *l, uint64_t phys);
/* Physical cluster j (0 .. K-1) of DMA copy c (0..3); its layer is c / 2. */
uint64_t sector_layout_dma_physical(const struct sector_layout *l, unsigned c, uint32_t j);
/* Home of logical cluster lcn < 2 * user: L0 inner -> outer, then L1 outer -> inner. */
void sector_layout_map(const struct sector_layout *l, uint64_t lcn, unsigned *layer,
                       uint64_t *physical);

enum sector_dfl_type {
    SECTOR_DFL_REPLACED = 1, /* a user cluster, now recorded on a spare */
    SECTOR_DFL_BAD_SPARE = 2 /* a spare that failed its own verify; never used again */
};

struct sector_dfl_entry {
    uint8_t type;         /* enum sector_dfl_type */
    uint8_t layer;
    uint32_t defective;   /* physical cluster */
    uint32_t replacement; /* REPLACED: the spare's physical cluster; BAD_SPARE: 0 */
};

/* The defect list in memory: sorted by (layer, defective), at most cap entries. */
struct sector_dfl {
    struct sector_dfl_entry *e;
    uint32_t count, cap;
};

/* Entry for (layer, defective), or NULL. O(log count). */
const struct sector_dfl_entry *sector_dfl_find(const struct sector_dfl *d, unsigned layer,
                                               uint64_t defective);
/* Insert or update the entry of (type, layer, defective). Returns 0 or -ENOSPC. */
int sector_dfl_put(struct sector_dfl *d, uint8_t type, unsigned layer, uint64_t defective,
                   uint64_t replacement) SECTOR_MUST_CHECK;

/* Statistics counters that persist: per layer and zone, and DMA wear per layer. */
struct sector_counters {
    struct sector_zone_stats zone[MEDIUM_LAYER_COUNT][SECTOR_ZONES];
    uint64_t dma_writes[MEDIUM_LAYER_COUNT];
};

/* One DMA copy's contents, decoded. dfl.e is the caller's array of dfl.cap entries. */
struct sector_dma {
    uint64_t generation;
    uint32_t copy;                               /* 0..3: which copy this was read from */
    uint64_t layer_clusters;
    uint32_t dma_clusters;
    uint64_t isa, osa;
    uint64_t spares_used[MEDIUM_LAYER_COUNT];    /* next free spare index per layer */
    struct sector_dfl dfl;
    struct sector_counters counters;
};

/* Payload bytes of a DMA holding entries DFL entries. */
size_t sector_dma_payload_bytes(uint64_t entries);

/* Encode d into buf[cap] (the rest of buf zeroed). Returns 0, or -ENOSPC when the
 * payload does not fit cap, -EINVAL for a NULL pointer. */
int sector_dma_encode(const struct sector_dma *d, uint8_t *buf, size_t cap) SECTOR_MUST_CHECK;

/*
 * Decode buf[len] into d (d->dfl.e and d->dfl.cap set by the caller). Every field is
 * checked; when l is not NULL the layout fields must match it and every DFL entry
 * must be consistent with it (defect.c invariants 4-6). Returns 0, or
 *   -EBADMSG a CRC failed or the magic is wrong;  -EPROTO an unknown version
 *   -EUCLEAN a field is out of range or inconsistent;  -EINVAL NULL;  -ENOMEM
 * d is fully written only on success.
 */
int sector_dma_decode(const uint8_t *buf, size_t len, const struct sector_layout *l,
                      struct sector_dma *d) SECTOR_MUST_CHECK;

/* Of n copies with decode results rc[i] and generations gen[i], the index of the
 * valid one (rc 0) with the newest generation, the lowest index on a tie; -1 if none. */
int sector_dma_pick(const int *rc, const uint64_t *gen, unsigned n);

/* Zone (0 .. SECTOR_ZONES-1) of physical cluster phys of a layer of n clusters, by its
 * radius: the medium spreads clusters evenly by area over 24-58 mm. */
unsigned sector_zone_of(uint64_t n, uint64_t phys);
/* Radius (mm) of the centre of physical cluster phys of n. */
double sector_cluster_radius_mm(uint64_t n, uint64_t phys);
/* Add one cluster decode to a zone's counters. */
void sector_zone_add_decode(struct sector_zone_stats *z, const struct sector_decode_report *r);
/* Fold b into a (counters summed, max_corrected maxed). */
void sector_zone_merge(struct sector_zone_stats *a, const struct sector_zone_stats *b);
/* Persisted counters of one zone, in the fixed order of the DMA (SECTOR_ZONE_COUNTERS). */
void sector_zone_to_array(const struct sector_zone_stats *z, uint64_t *v);
void sector_zone_from_array(struct sector_zone_stats *z, const uint64_t *v);
/* Public snapshot from counters and layout: radii, totals, spares. */
void sector_stats_build(const struct sector_counters *c, const struct sector_layout *l,
                        const struct sector_dma *state, struct sector_stats *out);

#endif /* PHASEFS_SECTOR_PRIV_H */
