/*
 * fsck.h — what the files of fsck.phasefs share: the exit codes (the fsck(8) bitmask),
 * the options, and the layer-health report as plain data (DESIGN.md "Tools": fsck).
 *
 * The program has two halves: the filesystem check (metadata checks and repairs through
 * libpfs's pfs_check, fscheck.c) and the layer-health scan (scan.c), which reads every written
 * cluster through the sector layer without changing the medium. The scan builds a
 * struct fsck_health; report.c renders it as text or JSON and map.c draws it. The
 * filesystem half plugs in through struct fsck_options (repair mode, path) and the
 * owner hook of struct fsck_scan_options, which names the files an LCN belongs to.
 */
#ifndef PHASEFS_FSCK_H
#define PHASEFS_FSCK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "medium.h"
#include "sector.h"

/* Exit status: the fsck(8) bitmask, OR-ed (e2fsck's FSCK_OK ... FSCK_CANCELED). */
enum fsck_exit {
    FSCK_EXIT_OK = 0,           /* no errors */
    FSCK_EXIT_CORRECTED = 1,    /* filesystem errors corrected */
    FSCK_EXIT_UNCORRECTED = 4,  /* errors left uncorrected (a failing layer) */
    FSCK_EXIT_OPERATIONAL = 8,  /* operational error: the image cannot be read */
    FSCK_EXIT_USAGE = 16,       /* usage or syntax error */
    FSCK_EXIT_CANCELLED = 32,   /* cancelled by the user (SIGINT, SIGTERM) */
};

#define FSCK_JSON_FORMAT_VERSION 1

/* How the filesystem check may repair (e2fsck's -n, -p/-a, -y); the scan never writes. */
enum fsck_repair {
    FSCK_REPAIR_ASK = 0, /* no option: ask (interactive) */
    FSCK_REPAIR_NONE,    /* -n */
    FSCK_REPAIR_PREEN,   /* -p, -a */
    FSCK_REPAIR_YES,     /* -y */
};

struct fsck_options {
    const char *image;
    enum fsck_repair repair;
    bool force;          /* -f */
    bool verbose;        /* -v */
    bool scan;           /* --scan */
    bool json;           /* --json */
    bool progress;       /* progress on stderr */
    const char *map;     /* --map FILE (.png or .svg) */
    const char *path;    /* --path P: filesystem check of one path */
    volatile sig_atomic_t *cancel; /* set by SIGINT/SIGTERM: stop, change nothing */
};

/* ---- verdicts and thresholds (documented in fsck.phasefs(8), "LAYER HEALTH") ---- */

enum fsck_verdict {
    FSCK_VERDICT_GOOD = 0,
    FSCK_VERDICT_DEGRADING,
    FSCK_VERDICT_FAILING,
};

#define FSCK_SER_LIMIT 2e-4           /* format limit, physics.md §3.2 [S41] */
#define FSCK_SER_DEGRADING 5e-5       /* a quarter of the limit */
#define FSCK_SER_WINDOW 10000u        /* LDC blocks averaged for the limit (§3.2) */
#define FSCK_MARGIN_FAILING 4         /* min margin <= this: failing */
#define FSCK_MARGIN_DEGRADING 16      /* min margin < this: degrading */
#define FSCK_WEAK_MARGIN 8            /* the sector layer's verify threshold */
#define FSCK_SPARES_DEGRADING 0.5     /* fraction of spares used */
#define FSCK_YEARS_FAILING 1.0        /* projection at the profile temperature */
#define FSCK_YEARS_DEGRADING 10.0
#define FSCK_YEARS_CAP 1e9            /* projections beyond this read "more than" */
#define FSCK_MARK_FRACTION 0.5        /* bits that are marks after scrambling */

#define FSCK_PROJECTION_TEMPS 4       /* profile temperature, 25, 40, 60 C */
#define FSCK_REASONS_MAX 8
#define FSCK_REASON_LEN 120
#define FSCK_LIST_TEXT_MAX 10         /* clusters listed in the text report without -v */

/* One scanned cluster: what the scan keeps for percentiles, the map and projections. */
struct fsck_cluster {
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
    int8_t margin;           /* -1: uncorrectable */
    uint8_t state;           /* enum fsck_cluster_state */
    uint16_t hist[SECTOR_HIST_BUCKETS]; /* LDC codewords by corrected symbols */
};

enum fsck_cluster_state {
    FSCK_CLUSTER_UNWRITTEN = 0, /* not recorded: not read */
    FSCK_CLUSTER_OK,
    FSCK_CLUSTER_UNCORRECTABLE, /* failed its ECC or EDC after every retry */
    FSCK_CLUSTER_CORRUPT_ENTRY, /* the medium's table entry of the cluster is corrupt */
};

/* Counters of one zone (radius band) or of a whole layer. */
struct fsck_zone {
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
    uint64_t weak;              /* decoded with margin < FSCK_WEAK_MARGIN */
    int32_t min_margin;         /* 32 when nothing was read, -1 with an uncorrectable */
    double ser;                 /* symbols / (decoded x 304 x 248) */
    uint64_t hist[SECTOR_HIST_BUCKETS];
};

struct fsck_projection {
    double temp_c;
    bool profile;        /* the profile's temperature */
    double years;        /* to the first uncorrectable cluster; INFINITY beyond the cap */
};

struct fsck_layer {
    unsigned layer;                  /* enum medium_layer */
    char material[MEDIUM_FORMULA_MAX];
    uint64_t physical_clusters;
    uint64_t user_clusters;
    uint64_t written;                /* logical clusters recorded (scanned) */
    struct fsck_zone total;
    struct fsck_zone zone[SECTOR_ZONES];
    double ser_window_max;           /* worst SER over FSCK_SER_WINDOW consecutive clusters */
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
    struct fsck_projection proj[FSCK_PROJECTION_TEMPS];
    /* verdict and the rules that set it */
    enum fsck_verdict verdict;
    unsigned reason_count;
    char reasons[FSCK_REASONS_MAX][FSCK_REASON_LEN];
};

/* Names the file(s) a logical cluster belongs to, NUL-terminated in buf; returns 0,
 * or -ENOENT when no file owns it. Provided by the filesystem half. */
typedef int (*fsck_owner_fn)(void *ctx, uint64_t lcn, char *buf, size_t cap);

struct fsck_scan_options {
    bool progress;
    unsigned threads;                /* 0: one per online CPU, at most 8 */
    fsck_owner_fn owner;             /* NULL: list LCNs only */
    void *owner_ctx;
    volatile sig_atomic_t *cancel;   /* set to stop the scan; may be NULL */
};

/* A cluster that did not decode, for the report. */
struct fsck_bad {
    uint64_t lcn, phys;
    unsigned layer;
    double radius_mm;
    uint8_t state;
    uint16_t retries;
    char owner[128];                 /* "" without the owner hook */
};

struct fsck_health {
    char profile[MEDIUM_NAME_MAX];
    uint64_t seed;
    double temperature_c;
    double sim_s;                    /* simulated time since creation */
    uint64_t logical_clusters;
    uint64_t scanned;                /* logical clusters looked at */
    bool complete;                   /* false: cancelled */
    uint64_t bytes_read;             /* recorded bytes read from the medium */
    struct fsck_layer layer[MEDIUM_LAYER_COUNT];
    struct fsck_bad *bad;            /* uncorrectable clusters, by LCN */
    size_t bad_count;
    struct fsck_cluster *clusters;   /* by LCN; logical_clusters entries */
};

/* scan.c: open read-only, read every written cluster, fill *out (free with
 * fsck_health_free). Returns 0; -ECANCELED; or a negative errno of the layers below,
 * with a one-line error already printed for image. */
int fsck_scan(const char *image, const struct fsck_scan_options *opt,
              struct fsck_health *out);
void fsck_health_free(struct fsck_health *h);

/* The exit bits a health report asks for (FSCK_EXIT_UNCORRECTED for a failing layer). */
int fsck_health_exit(const struct fsck_health *h);

const char *fsck_verdict_name(enum fsck_verdict v);

/* report.c */
void fsck_report_text(FILE *f, const char *image, const struct fsck_health *h, bool verbose);
void fsck_report_json(FILE *f, const char *image, const struct fsck_health *h);

/* map.c: draw the surface map to path (.png or .svg). Returns 0, -EINVAL (unknown
 * extension), -EIO (with errno's reason in *why), or -ENOMEM. */
int fsck_map_write(const char *path, const struct fsck_health *h);

/* ---- fscheck.c: the filesystem check (libpfs pfs_check) -------------------------- */

#include "pfs.h"

struct fsck_fs {
    struct pfs_check_report rep;
    bool ran;            /* pfs_check ran: rep is meaningful */
    bool opened;         /* the image could be opened */
    bool no_fs;          /* the medium holds no phasefs filesystem */
    bool repair;         /* -p/-a/-y: repairs were allowed */
    bool preen;          /* -p/-a: only the safe classes were allowed */
    bool fixity;         /* files were read against their digests (-f, --scan) */
};

/* Run the check on o->image with o's repair mode. Returns 0 (problems in out->rep), or
 * a negative errno with one error line already printed (-EUCLEAN: no filesystem, the
 * line left out under --scan; -ECANCELED: *o->cancel was set, nothing changed). Free
 * with fsck_fs_free in every case. */
int fsck_fs_check(const struct fsck_options *o, struct fsck_fs *out);
int fsck_fs_exit(const struct fsck_fs *f);
/* An fsck_owner_fn over a struct fsck_fs (ctx): the file, or "(filesystem metadata)",
 * that references lcn as the check loaded it. */
int fsck_fs_owner(void *ctx, uint64_t lcn, char *buf, size_t cap);
void fsck_fs_free(struct fsck_fs *f);
void fsck_fs_text(FILE *out, const char *image, const struct fsck_fs *f, const char *path);
/* The "filesystem" object (its lines indented by indent) and a whole JSON document. */
void fsck_fs_json_body(FILE *out, const struct fsck_fs *f, const char *indent);
void fsck_fs_json(FILE *out, const char *image, const struct fsck_fs *f, int status);

#endif /* PHASEFS_FSCK_H */
