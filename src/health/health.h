/*
 * health.h — the medium's health as plain data, shared by every tool that reports it
 * (fsck.phasefs --scan, phasectl info, stats and health): the surface scan (scan.c), the
 * one verdict function over its result (verdict.c) and the per-file damage summary
 * (damage.c). The scan reads every written cluster read-only through the sector layer
 * and keeps, per cluster, what the decode found with the medium's facts; the verdict
 * rules and thresholds are documented in fsck.phasefs(8), "LAYER HEALTH". Rendering is
 * the tools' business (fsck/report.c, src/tools/phasectl_health.c).
 *
 * This module is tool-level code: it prints its one-line errors through tool_error
 * (STYLE.md "Output: only tools speak"); it never writes the medium.
 */
#ifndef PHASEFS_HEALTH_H
#define PHASEFS_HEALTH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "medium.h"
#include "sector.h"

/* ---- verdicts and thresholds (documented in fsck.phasefs(8), "LAYER HEALTH") ---------- */

enum health_verdict {
    HEALTH_VERDICT_GOOD = 0,
    HEALTH_VERDICT_DEGRADING,
    HEALTH_VERDICT_FAILING,
};

#define HEALTH_SER_LIMIT 2e-4           /* format limit, physics.md §3.2 [S41] */
#define HEALTH_SER_DEGRADING 5e-5       /* a quarter of the limit */
#define HEALTH_SER_WINDOW 10000u        /* LDC blocks averaged for the limit (§3.2) */
#define HEALTH_MARGIN_FAILING 4         /* min margin <= this: failing */
#define HEALTH_MARGIN_DEGRADING 16      /* min margin < this: degrading */
#define HEALTH_WEAK_MARGIN 8            /* the sector layer's verify threshold */
#define HEALTH_SPARES_DEGRADING 0.5     /* fraction of spares used */
#define HEALTH_YEARS_FAILING 1.0        /* projection at the profile temperature */
#define HEALTH_YEARS_DEGRADING 10.0
#define HEALTH_YEARS_CAP 1e9            /* projections beyond this read "more than" */
#define HEALTH_MARK_FRACTION 0.5        /* bits that are marks after scrambling */

#define HEALTH_PROJECTION_TEMPS 4       /* profile temperature, 25, 40, 60 C */
#define HEALTH_REASONS_MAX 8
#define HEALTH_REASON_LEN 120

/* One scanned cluster: what the scan keeps for percentiles, the map and projections. */
struct health_cluster {
    uint64_t lcn;
    uint64_t phys;
    double radius_mm;
    double age_equiv_s;      /* equivalent age of its marks at 25 C */
    double retention_loss;   /* fraction of marks crystallized so far */
    uint32_t cycles;
    uint32_t symbols;        /* LDC symbols corrected (of 304 x 248) */
    uint32_t erasures;
    uint32_t bis;            /* burst-indicator symbol errors */
    uint32_t bursts;
    uint16_t retries;
    uint8_t max_corrected;
    uint8_t layer;
    float angle_deg;         /* where its arc starts on the disc, 0-360 */
    float arc_deg;           /* how far it runs */
    int8_t margin;           /* -1: uncorrectable */
    uint8_t state;           /* enum health_cluster_state */
    uint16_t hist[SECTOR_HIST_BUCKETS]; /* LDC codewords by corrected symbols */
};

enum health_cluster_state {
    HEALTH_CLUSTER_UNWRITTEN = 0, /* not recorded: not read */
    HEALTH_CLUSTER_OK,
    HEALTH_CLUSTER_UNCORRECTABLE, /* failed its ECC or EDC after every retry */
    HEALTH_CLUSTER_CORRUPT_ENTRY, /* the medium's table entry of the cluster is corrupt */
};

/* Counters of one zone (radius band) or of a whole layer. */
struct health_zone {
    double r_inner_mm, r_outer_mm;
    uint64_t clusters;          /* written clusters scanned */
    uint64_t decoded;           /* of which decoded */
    uint64_t symbols;           /* LDC symbols corrected, decoded clusters */
    uint32_t max_corrected;
    uint64_t bis;
    uint64_t bursts;
    uint64_t erasures;
    uint64_t retries;
    uint64_t uncorrectable;     /* incl. corrupt table entries */
    uint64_t weak;              /* decoded with margin < HEALTH_WEAK_MARGIN */
    int32_t min_margin;         /* 32 when nothing was read, -1 with an uncorrectable */
    double ser;                 /* symbols / (decoded x 304 x 248); NAN: none decoded */
    uint64_t hist[SECTOR_HIST_BUCKETS];
};

struct health_projection {
    double temp_c;
    bool profile;        /* the profile's temperature */
    double years;        /* to the first uncorrectable cluster; INFINITY beyond the cap */
};

struct health_layer {
    unsigned layer;                  /* enum medium_layer */
    char material[MEDIUM_FORMULA_MAX];
    uint64_t physical_clusters;
    uint64_t user_clusters;
    uint64_t written;                /* logical clusters recorded (scanned) */
    struct health_zone total;
    struct health_zone zone[SECTOR_ZONES];
    double ser_window_max;           /* worst SER over HEALTH_SER_WINDOW consecutive clusters */
    /* spares (sector_stats_get) */
    uint64_t spares_used, spares_left, spares_total, spares_bad, defects;
    /* wear: overwrite cycles of written clusters (nearest-rank percentiles) */
    uint32_t cycles_min, cycles_median, cycles_p99, cycles_max;
    double n0_cycles;                /* the wear model's N0 for this layer's material */
    /* age of the written marks, equivalent seconds at 25 C */
    double age_median_s, age_max_s;
    double layer_equiv_s;            /* the layer's clock since creation */
    /* projection from the worst cluster */
    bool have_worst;
    uint64_t worst_lcn;
    int32_t worst_margin;
    double worst_loss;
    double worst_age_s;
    struct health_projection proj[HEALTH_PROJECTION_TEMPS];
    /* verdict and the rules that set it */
    enum health_verdict verdict;
    unsigned reason_count;
    char reasons[HEALTH_REASONS_MAX][HEALTH_REASON_LEN];
};

/* Names the file(s) a logical cluster belongs to, NUL-terminated in buf; returns 0,
 * or -ENOENT when no file owns it. Provided by the filesystem half. */
typedef int (*health_owner_fn)(void *ctx, uint64_t lcn, char *buf, size_t cap);

struct health_scan_options {
    bool progress;
    unsigned threads;                /* 0: one per online CPU, at most 8 */
    health_owner_fn owner;             /* NULL: list LCNs only */
    void *owner_ctx;
    volatile sig_atomic_t *cancel;   /* set to stop the scan; may be NULL */
    bool quiet_unformatted;          /* -ENODATA without an error line (the caller says) */
};

/* Why a cluster failed, from the medium's facts (medium_cluster_damage). */
enum health_cause {
    HEALTH_CAUSE_RETENTION = 1u << 0,   /* marks crystallized with age */
    HEALTH_CAUSE_SCRATCH = 1u << 1,
    HEALTH_CAUSE_DUST = 1u << 2,
    HEALTH_CAUSE_DEFECT = 1u << 3,      /* production or injected defect bursts */
    HEALTH_CAUSE_WEAR = 1u << 4,        /* cells stuck by overwrite cycles */
    HEALTH_CAUSE_TABLE = 1u << 5,       /* the medium's table entry is corrupt */
    HEALTH_CAUSE_NOISE = 1u << 6,       /* "unexplained": no mechanism of the medium's
                                         * accounts for it (noise, or recorded wrongly) */
};
#define HEALTH_CAUSE_COUNT 7
/* A cause counts when it flips at least this share of the cluster's damaged bits. */
#define HEALTH_CAUSE_SHARE 0.1
/* "retention", "scratch", ...: the name of one cause bit (JSON and text) */
const char *health_cause_name(unsigned bit);

/* A cluster that did not decode, for the report. */
struct health_bad {
    uint64_t lcn, phys;
    unsigned layer;
    double radius_mm;
    uint8_t state;
    uint16_t retries;
    unsigned causes;                 /* enum health_cause bits */
    unsigned cause;                  /* the main one (a single bit) */
    char owner[128];                 /* "" without the owner hook */
};

/* A file with clusters that did not decode (damage.c), like `zpool status -v`. */
struct health_file {
    char path[128];                  /* the owner's name, e.g. "/docs/a.txt" */
    uint64_t clusters;               /* its clusters lost */
    uint64_t bytes;                  /* their user bytes, 64 KiB each: an upper bound, as
                                      * a file's last cluster may hold less (the exact
                                      * ranges are the filesystem check's problems) */
    unsigned layers;                 /* bit l: a lost cluster on layer l */
    unsigned causes;                 /* enum health_cause bits of its lost clusters */
};

struct health {
    char profile[MEDIUM_NAME_MAX];
    uint64_t seed;
    double temperature_c;
    double sim_s;                    /* simulated time since creation */
    uint64_t logical_clusters;
    uint64_t scanned;                /* logical clusters looked at */
    bool complete;                   /* false: cancelled */
    uint64_t bytes_read;             /* recorded bytes read from the medium */
    struct health_layer layer[MEDIUM_LAYER_COUNT];
    struct health_bad *bad;            /* uncorrectable clusters, by LCN */
    size_t bad_count;
    struct health_file *files;         /* files of the bad clusters, by path */
    size_t file_count;
    uint64_t bad_unowned;              /* bad clusters of no file (metadata, free) */
    bool have_owners;                  /* the owner hook ran */
    double last_temp_c;                /* temperature of the last ageing step */
    double last_rh_pct;                /* and its relative humidity */
    unsigned dma_copies_valid;         /* of 4; 0: the defect list is lost */
    /* the medium's verdict (worst of the layers and the disc findings) */
    enum health_verdict verdict;
    unsigned reason_count;
    char reasons[HEALTH_REASONS_MAX][HEALTH_REASON_LEN]; /* disc findings */
    struct health_cluster *clusters;   /* by LCN; logical_clusters entries */
};

/* scan.c: open read-only, read every written cluster, fill *out (free with
 * health_free). Returns 0; -ECANCELED; or a negative errno of the layers below,
 * with a one-line error already printed for image. */
int health_scan(const char *image, const struct health_scan_options *opt,
              struct health *out);
void health_free(struct health *h);

/* verdict.c: THE verdict. Judge every layer (verdict, reasons) and the medium (the
 * worst layer, plus the disc's own findings such as lost DMA copies) from what the scan
 * measured; health_scan calls it, and nothing else sets a verdict. */
void health_judge(struct health *h);
const char *health_verdict_name(enum health_verdict v);

/* Why a zone's SER is not measured ("no cluster written", "no cluster decoded: 12
 * uncorrectable"), in buf; NULL when it was measured (z->ser is then finite). */
const char *health_ser_unmeasured(const struct health_zone *z, char *buf, size_t cap);

/* report.c: the report as text (golden-testable: no timings), and as one JSON object
 * (member key, or NULL in an array or at the top) with the per-cluster list only when
 * verbose. Schema: doc/schema/health.json. */
struct tool_json;
void health_text(FILE *f, const char *image, const struct health *h, bool verbose);
void health_json(struct tool_json *j, const char *key, const struct health *h, bool verbose);

/* damage.c: group h->bad by owning file into h->files (needs the owner hook). 0 or
 * -ENOMEM. Called by health_scan. */
int health_damage_files(struct health *h);


#endif /* PHASEFS_HEALTH_H */
