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
 * Sector handle API — reserved.
 *
 * Defect management (spares, defect list), the handle over a struct medium
 * (sector_open/sector_close, sector_cluster_read/sector_cluster_write with retries and
 * verify-after-write), struct sector_read_report and statistics are added here later.
 * The cluster codec they will use is internal (sector_priv.h).
 * ---------------------------------------------------------------------------------- */

#endif /* PHASEFS_SECTOR_H */
