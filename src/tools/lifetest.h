/*
 * lifetest.h — the results of `phasectl lifetest` as plain data, shared by the file that
 * runs a campaign (phasectl_lifetest.c: data set, writing, ageing, verifying, scanning)
 * and the file that summarises, renders and merges it (phasectl_lifetest_report.c: text
 * table, JSON, CSV, shard merge). Reports are built as data, then rendered (STYLE.md
 * "Output: only tools speak"), so a merged campaign renders exactly as a whole one.
 */
#ifndef PHASEFS_LIFETEST_H
#define PHASEFS_LIFETEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "medium.h"

#define LT_YEAR_S 31557600.0 /* Julian year, as phasectl age counts years */
#define LT_TEXT_MAX 512

/* One step of the schedule: verify at t_s seconds after the data set was written, the
 * time since the previous step spent at celsius / rh. */
struct lt_step {
    double t_s;
    double celsius;
    double rh;
};

/* What the surface read of one layer's written clusters found at one step. */
struct lt_layer_result {
    uint64_t clusters;        /* clusters of the data set read on this layer */
    double ser_mean;          /* LDC symbols corrected / symbols read, whole layer */
    double ser_worst_zone;    /* the same in the worst radial zone */
    uint32_t max_corrected;   /* most symbols corrected in one codeword */
    int32_t margin;           /* least decode margin (-1: some cluster uncorrectable) */
    uint64_t uncorrectable;   /* clusters unreadable after every retry */
};

struct lt_step_result {
    bool mounted;             /* false: the filesystem did not mount, every file lost */
    int32_t mount_error;      /* pfs_mount's negative errno when not mounted, else 0 */
    bool scanned;             /* false: the sector layer did not open, no cluster read */
    uint64_t files_lost;      /* missing, unreadable in part, or not matching the manifest */
    uint64_t bytes_lost;      /* bytes of unreadable ranges, missing or wrong files */
    uint64_t xattr_mismatch;  /* fixity xattr unreadable or not the manifest's digest */
    struct lt_layer_result layer[MEDIUM_LAYER_COUNT];
};

struct lt_disc {
    uint64_t index;           /* 0 .. discs-1 in the campaign */
    uint64_t seed;            /* the medium's seed: campaign seed + index */
    struct lt_step_result *steps; /* one per schedule step (owned) */
};

/* A campaign: its configuration (identical in every shard) and the discs run. */
struct lt_campaign {
    char profile[MEDIUM_NAME_MAX];
    uint64_t capacity_per_layer;
    uint64_t seed;
    uint64_t discs_total;
    char data_source[16];     /* "generated" or "directory" */
    char data_path[LT_TEXT_MAX]; /* the directory ("" when generated) */
    uint64_t files, bytes;    /* the data set */
    struct lt_step *steps;    /* owned */
    size_t nsteps;
    uint64_t shard_k, shard_n; /* 0/0 when not a shard */
    struct lt_disc *discs;    /* owned, sorted by index */
    size_t ndiscs;
};

void lt_campaign_free(struct lt_campaign *c);

/* Render the campaign. Each returns 0 or a negative errno of writing. */
int lt_report_text(const struct lt_campaign *c, FILE *f);
int lt_report_json(const struct lt_campaign *c, FILE *f);
int lt_report_csv(const struct lt_campaign *c, FILE *f);

/* Write the requested reports (path "-" is stdout; others are written to a temporary
 * file and renamed, so a failed run leaves no half-written report). The text table
 * goes to stdout unless quiet or a report already uses stdout. Prints one line on
 * failure; returns a phasectl exit code. */
int lt_reports_write(const struct lt_campaign *c, const char *json_path, const char *csv_path,
                     bool quiet);

/* `phasectl lifetest merge`. */
int lt_merge_main(int argc, char **argv);

#endif /* PHASEFS_LIFETEST_H */
