/*
 * sector.h — the one public interface of libsector, the ECC layer between the medium and
 * the filesystem (DESIGN.md "src/sector").
 *
 * libsector turns 64 KiB of user data (32 sectors of 2048 B) into one recorded physical
 * cluster of MEDIUM_CLUSTER_BYTES and back, shaped like a Blu-ray ECC cluster (physics.md
 * §3.2): per-sector EDC, scrambling, LDC RS(248,216,33) x 304 and BIS RS(62,30,33) x 24
 * with picket burst indication. It knows nothing of files, never prints, never exits,
 * never reads the environment, and returns negative errno values (STYLE.md "Errors"):
 *   -EINVAL   bad argument            -ENOMEM  allocation failed
 *   -EBADMSG  data failed its ECC or EDC and is not returned
 * "Corrected but weak" is success; the detail goes in struct sector_decode_report.
 */
#ifndef PHASEFS_SECTOR_H
#define PHASEFS_SECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "medium.h"

#if defined(__GNUC__)
#define SECTOR_MUST_CHECK __attribute__((warn_unused_result))
#else
#define SECTOR_MUST_CHECK
#endif

/* ------------------------------------------------------------------------------------
 * Geometry (physics.md §3.2)
 * ---------------------------------------------------------------------------------- */

#define SECTOR_USER_BYTES 2048u                /* user bytes per sector */
#define SECTOR_EDC_BYTES 4u                    /* CRC-32 per sector */
#define SECTOR_FRAME_BYTES 2052u               /* one data frame: user + EDC */
#define SECTOR_PER_CLUSTER 32u
#define SECTOR_CLUSTER_USER_BYTES 65536u       /* 32 x 2048 */
#define SECTOR_CONTROL_BYTES_PER_SECTOR 18u    /* user control data in the BIS */
#define SECTOR_CLUSTER_CONTROL_BYTES 576u      /* 32 x 18 */

/* Long Distance Code: RS(248,216,33) over GF(2^8), 304 codewords per cluster. */
#define SECTOR_LDC_N 248u
#define SECTOR_LDC_K 216u
#define SECTOR_LDC_CODEWORDS 304u
/* Burst Indicating Subcode: RS(62,30,33), 24 codewords per cluster. */
#define SECTOR_BIS_N 62u
#define SECTOR_BIS_K 30u
#define SECTOR_BIS_CODEWORDS 24u
/* Both codes have 32 parity symbols: 16 errors, 32 erasures, or any 2e + s <= 32. */
#define SECTOR_RS_PARITY 32u

/* Recorded layout: 496 rows x 155 bytes = 152 LDC columns + 3 BIS picket columns. */
#define SECTOR_ROWS 496u
#define SECTOR_ROW_BYTES 155u

_Static_assert(SECTOR_ROWS * SECTOR_ROW_BYTES == MEDIUM_CLUSTER_BYTES,
               "an ECC cluster is one physical cluster of the medium");
_Static_assert(SECTOR_CLUSTER_USER_BYTES == MEDIUM_USER_BYTES_PER_CLUSTER,
               "the sector layer and the medium agree on user bytes per cluster");
_Static_assert(SECTOR_PER_CLUSTER * SECTOR_FRAME_BYTES == SECTOR_LDC_K * SECTOR_LDC_CODEWORDS,
               "32 data frames fill the LDC data symbols exactly");

/* ------------------------------------------------------------------------------------
 * Addresses and decode reports (plain data)
 * ---------------------------------------------------------------------------------- */

/*
 * Where a cluster belongs. The address is recorded in the BIS address units and mixed
 * into every sector's EDC and into the scrambler key, so data read back from the wrong
 * place (a misdirected write, a stale spare) fails its EDC instead of being returned.
 * The BIS address units hold 32 bits of each cluster number; larger values are -EINVAL.
 */
struct sector_address {
    uint32_t layer;            /* enum medium_layer */
    uint64_t physical_cluster; /* cluster index on the layer, as medium_cluster_read takes */
    uint64_t logical_cluster;  /* the filesystem's logical cluster number */
};

/* Buckets of struct sector_decode_report.hist: LDC codewords by corrected symbols. */
enum sector_hist_bucket {
    SECTOR_HIST_0 = 0,       /* no symbol changed (includes zero syndrome) */
    SECTOR_HIST_1,           /* 1 */
    SECTOR_HIST_2,           /* 2 */
    SECTOR_HIST_3_4,         /* 3-4 */
    SECTOR_HIST_5_8,         /* 5-8 */
    SECTOR_HIST_9_16,        /* 9-16 */
    SECTOR_HIST_17_32,       /* 17-32 (only possible with erasures) */
    SECTOR_HIST_FAILED,      /* uncorrectable */
    SECTOR_HIST_BUCKETS
};

/*
 * What one cluster decode found. Filled on success and on -EBADMSG alike (it is the
 * explanation of the failure); all zero when the arguments were rejected.
 */
struct sector_decode_report {
    uint32_t ldc_nonzero_syndrome;   /* LDC codewords that needed the decoder */
    uint32_t ldc_uncorrectable;      /* LDC codewords beyond the code's capability */
    uint32_t symbols_corrected;      /* LDC symbols changed, all codewords */
    uint32_t max_corrected;          /* most LDC symbols changed in one codeword */
    uint32_t erasures_used;          /* erasure positions handed to the LDC decoder */
    uint32_t erasure_overflow;       /* codewords with > 32 flags, decoded errors-only */
    uint32_t bis_symbols_corrected;  /* BIS symbols changed (each one an erroneous picket) */
    uint32_t bis_uncorrectable;      /* BIS codewords beyond capability (no burst info) */
    uint32_t bursts_flagged;         /* runs of LDC gaps erased by the picket rule */
    uint32_t bytes_flagged;          /* LDC bytes those runs cover */
    uint32_t failing_sector_mask;    /* bit i: sector i not returned */
    uint32_t address_units_ok;       /* BIS address units that decoded and match (0..16) */
    bool address_mismatch;           /* decodable address units name another cluster */
    /* 32 - max over LDC codewords of (2e + s), e = errors located, s = erasures used:
     * 32 for a clean cluster, 0 when some codeword was at the limit, -1 when a codeword
     * was uncorrectable. */
    int32_t margin;
    uint32_t hist[SECTOR_HIST_BUCKETS]; /* LDC codewords per bucket; sums to 304 */
};

/* ------------------------------------------------------------------------------------
 * The sector handle: one logical address space of 64 KiB clusters over both layers
 * of a struct medium, with defect management (spare areas and a defect list in four
 * redundant defect management areas), verify-after-write with replacement, read
 * retries and statistics per layer and zone (physics.md §3.6, §3.7; the on-medium
 * format is the invariants block of src/sector/defect.c).
 *
 * Physical layout of each layer of n clusters (the same on both layers; K DMA clusters
 * and the spare sizes follow from the profile's [format] section):
 *   [0, K)                 DMA copy (one per layer at the inner edge)
 *   [K, K + isa)           inner spare area (ISA)
 *   [K + isa, n - K - osa) user area
 *   [n - K - osa, n - K)   outer spare area (OSA)
 *   [n - K, n)             DMA copy (one per layer at the outer edge)
 * Logical clusters run over the L0 user area inner -> outer, then over the L1 user area
 * outer -> inner (opposite track path).
 *
 * Errors of the handle, beyond those above:
 *   -EIO      a cluster stayed uncorrectable after every retry (its address is in the
 *             read report), the medium's table entry of the cluster is corrupt, or
 *             the host image failed
 *   -ENOSPC   a layer's spare areas are exhausted
 *   -EUCLEAN  no valid defect management area copy
 *   -ENODATA  the medium was never formatted by sector_format
 *   -EROFS    the handle or the medium is read-only
 *   -ERANGE   logical cluster out of range
 *
 * Thread safety: sector_read and sector_write may be called from several threads at
 * once on different logical clusters (the same cluster must not be read and written
 * concurrently); sector_stats_get, sector_locate and sector_sync may run alongside
 * them. sector_open, sector_format and sector_close are not concurrent with anything
 * on the same handle or medium.
 * ---------------------------------------------------------------------------------- */

/* Radius bands of the statistics: SECTOR_ZONES equal bands of the data zone. */
#define SECTOR_ZONES 8u
#define SECTOR_ZONE_R_IN_MM 24.0  /* data zone 24-58 mm: physics.md §3.1 [S39] */
#define SECTOR_ZONE_R_OUT_MM 58.0

struct sector_dev;

struct sector_options {
    uint32_t read_retries;       /* extra reads of an uncorrectable cluster (4) */
    bool verify_after_write;     /* read back and decode every write (true) */
    int32_t min_margin;          /* verify passes at decode margin >= this (8), 0..32 */
    uint32_t max_spare_attempts; /* spares one write may try before -EIO (4), >= 1 */
    uint32_t scratch_slots;      /* concurrent read/write calls served at once (4), 1-256 */
    uint32_t stats_sync_interval;/* sector_sync persists changed statistics on every
                                  * Nth call (16; 1 = every call, 0 = only at close) */
    bool read_only;              /* never write: no DMA repair, no statistics saved */
    bool without_dma;            /* with read_only: open even when every DMA copy is lost,
                                  * with an empty defect list (a replaced cluster is read
                                  * at its original place); for surface scans */
    bool force_format;           /* sector_format: overwrite an existing format */
};

/* Fill *opt with the defaults given above. */
void sector_options_default(struct sector_options *opt);

/*
 * Format m: write four fresh DMA copies with an empty defect list and zeroed
 * statistics (generation 1). User clusters are not touched. opt may be NULL
 * (defaults). Returns 0, or
 *   -EEXIST  a DMA position already holds recorded data and opt->force_format is false
 *   -EINVAL  m NULL, or the layer is too small for its DMAs and spare areas (at least
 *            one user cluster per layer must remain), or a spare area's DFL would not
 *            fit a 32-bit cluster number
 *   -EROFS   the medium is read-only;  -EIO;  -ENOMEM
 */
int sector_format(struct medium *m, const struct sector_options *opt) SECTOR_MUST_CHECK;

/*
 * Open the sector layer of a formatted medium. Reads the four DMA copies (with
 * retries), takes the valid copy of the newest generation, and rewrites stale,
 * unreadable or weak copies unless read-only. m stays owned by the caller and must
 * outlive the handle. opt may be NULL (defaults). Returns 0 and *out, or
 *   -ENODATA  no DMA position was ever written: the medium is not formatted
 *   -EUCLEAN  DMA clusters are recorded but no copy is valid (all lost or corrupt),
 *             unless opt->read_only and opt->without_dma (sector_stats_get then counts
 *             0 valid copies)
 *   -EINVAL   NULL argument, bad option, or the profile's layout does not fit
 *   -EIO;  -ENOMEM
 * The four copies that were valid at open are counted in struct sector_stats.
 */
int sector_open(struct medium *m, const struct sector_options *opt,
                struct sector_dev **out) SECTOR_MUST_CHECK;

/*
 * Persist what changed (the DMA copies with the statistics, unless read-only) and
 * free the handle; the medium is not closed (nor synced: call medium_close). Accepts
 * NULL. Returns 0 or the first error of persisting (-EIO, -EROFS); freed either way.
 */
int sector_close(struct sector_dev *dev);

/*
 * Persist the defect list (always already written when it changed) and, per
 * opt.stats_sync_interval, the statistics into the DMA copies, then medium_sync.
 * Returns 0, -EIO, or -ENOMEM.
 */
int sector_sync(struct sector_dev *dev) SECTOR_MUST_CHECK;

/* Logical clusters of the handle (both user areas); 0 for NULL. */
uint64_t sector_logical_clusters(const struct sector_dev *dev);

/* Where a logical cluster is recorded now: its address, replacements applied.
 * Returns 0, -EINVAL (NULL), -ERANGE (lcn out of range). */
int sector_locate(struct sector_dev *dev, uint64_t lcn, struct sector_address *out)
    SECTOR_MUST_CHECK;

/* Overwrite cycles of the physical cluster recording lcn now (replacements applied), for
 * wear-aware allocation above. Returns 0, -EINVAL (NULL), -ERANGE, -EUCLEAN (the
 * medium's table entry for that cluster is corrupt). */
int sector_cluster_wear(struct sector_dev *dev, uint64_t lcn, uint32_t *cycles)
    SECTOR_MUST_CHECK;

/* What one sector_read did (plain data). */
struct sector_read_report {
    struct sector_address address;     /* where it was read (after replacement) */
    bool blank;                        /* never written: user data returned as zeros */
    bool replaced;                     /* read from a spare */
    bool uncorrectable;                /* the -EIO of an unreadable cluster */
    int medium_error;                  /* a failure of medium_cluster_read, or 0 */
    uint32_t reads;                    /* medium reads made (1 + retries) */
    uint32_t retries;                  /* reads beyond the first */
    int32_t margin;                    /* of the successful decode, -1 on failure */
    struct sector_decode_report decode; /* of the last decode */
};

/*
 * Read logical cluster lcn into user[SECTOR_CLUSTER_USER_BYTES]. A cluster that fails
 * to decode is read again (fresh noise) up to opt.read_retries times. rep may be NULL.
 * Returns 0 (data corrected, perhaps weakly: rep->margin; or blank: zeros), or
 *   -EIO     uncorrectable after every retry, or the medium's table entry of the
 *            cluster is corrupt (rep->medium_error = -EUCLEAN), or the host failed
 *            (rep->medium_error = -EIO); user is zeroed
 *   -EINVAL  NULL dev or user;  -ERANGE  lcn out of range
 */
int sector_read(struct sector_dev *dev, uint64_t lcn, uint8_t *user,
                struct sector_read_report *rep) SECTOR_MUST_CHECK;

/* What one sector_write did (plain data). */
struct sector_write_report {
    struct sector_address address;   /* where the data finally lies */
    uint32_t writes;                 /* medium writes made */
    uint32_t verify_failures;        /* verify reads that failed or were weak */
    uint32_t replacements;           /* spares taken by this write (incl. failed ones) */
    bool verified;                   /* the final copy passed verify */
    int32_t margin;                  /* margin of the last verify decode (32 if none) */
    struct medium_write_report medium; /* of the last medium write */
};

/*
 * Record user[SECTOR_CLUSTER_USER_BYTES] as logical cluster lcn. With verify on, the
 * cluster is read back; if it fails to decode or decodes with margin below
 * opt.min_margin it is replaced by the next free spare of its layer (itself
 * verified), the defect list grows, and all four DMA copies are rewritten
 * (generation + 1). rep may be NULL. Returns 0, or
 *   -ENOSPC  the layer's spares are exhausted (the data lies on the failing cluster)
 *   -EIO     opt.max_spare_attempts spares failed verify in a row, or the host failed
 *   -EROFS   read-only handle or medium;  -EINVAL  NULL;  -ERANGE  lcn out of range
 */
int sector_write(struct sector_dev *dev, uint64_t lcn, const uint8_t *user,
                 struct sector_write_report *rep) SECTOR_MUST_CHECK;

/* Counters of one zone or one whole layer. Decode counters cover every decode:
 * reads, retries and verifies. */
struct sector_zone_stats {
    double r_inner_mm, r_outer_mm;  /* the band (a layer total spans the data zone) */
    uint64_t reads;                 /* sector_read calls that reached the medium */
    uint64_t writes;                /* medium writes of user data (replacements too) */
    uint64_t verifies;              /* verify reads */
    uint64_t retries;               /* reads repeated after a failed decode */
    uint64_t uncorrectable;         /* sector_read calls that ended in -EIO */
    uint64_t verify_failures;       /* verifies that failed or were below min_margin */
    uint64_t weak;                  /* successful decodes below min_margin */
    uint64_t replacements;          /* clusters of this zone moved to a spare */
    uint64_t decodes;               /* cluster decodes */
    uint64_t symbols_corrected;     /* LDC symbols corrected */
    uint64_t max_corrected;         /* most LDC symbols corrected in one codeword */
    uint64_t bis_corrected;         /* burst-indicator (BIS) symbol errors */
    uint64_t bursts;                /* bursts flagged by the picket rule */
    uint64_t erasures;              /* erasures handed to the LDC decoder */
    uint64_t hist[SECTOR_HIST_BUCKETS]; /* LDC codewords by corrected symbols */
};

struct sector_layer_stats {
    uint64_t user_clusters;         /* logical clusters on this layer */
    uint64_t isa_clusters, osa_clusters;
    uint64_t spares_used;           /* spares taken (good and failed) */
    uint64_t spares_left;
    uint64_t spares_bad;            /* spares that failed their own verify */
    uint64_t defects;               /* user clusters replaced (defect list entries) */
    uint64_t dma_writes;            /* DMA copy rewrites on this layer (wear) */
    struct sector_zone_stats total; /* sum of the zones */
    struct sector_zone_stats zone[SECTOR_ZONES]; /* by the radius of the cluster read */
};

#define SECTOR_STATS_VERSION 1u

struct sector_stats {
    uint32_t version;               /* SECTOR_STATS_VERSION */
    uint32_t zones;                 /* SECTOR_ZONES */
    uint64_t generation;            /* of the defect management areas */
    uint64_t logical_clusters;
    uint64_t layer_clusters;        /* physical clusters per layer */
    uint32_t dma_clusters;          /* K: clusters per DMA copy */
    uint32_t dma_copies_valid;      /* valid copies found at open (0-4) */
    uint64_t dfl_entries;           /* defect list length (replacements + bad spares) */
    struct sector_layer_stats layer[MEDIUM_LAYER_COUNT];
};

/* Snapshot of the statistics, saved ones included. Returns 0 or -EINVAL (NULL). */
int sector_stats_get(struct sector_dev *dev, struct sector_stats *out) SECTOR_MUST_CHECK;

#endif /* PHASEFS_SECTOR_H */
