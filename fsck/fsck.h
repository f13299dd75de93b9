/*
 * fsck.h — what the files of fsck.phasefs share: the exit codes (the fsck(8) bitmask),
 * the options, and the layer-health report as plain data (DESIGN.md "Tools": fsck).
 *
 * The program has two halves: the filesystem check (metadata checks and repairs through
 * libpfs's pfs_check, fscheck.c) and the layer-health scan (scan.c), which reads every written
 * cluster through the sector layer without changing the medium. The scan builds a
 * struct health; report.c renders it as text or JSON and map.c draws it. The
 * filesystem half plugs in through struct fsck_options (repair mode, path) and the
 * owner hook of struct health_scan_options, which names the files an LCN belongs to.
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

/* 2: one document for both halves ("filesystem", "health", "exit_status"); SER null
 * when not measured; layers near first; per-file damage (doc/schema/fsck.json) */
#define FSCK_JSON_FORMAT_VERSION 2

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
    const char *map;     /* --map FILE (.png, .svg or .pdf) */
    const char *path;    /* --path P: filesystem check of one path */
    volatile sig_atomic_t *cancel; /* set by SIGINT/SIGTERM: stop, change nothing */
};

#include "health.h"

#define FSCK_LIST_TEXT_MAX 10 /* clusters listed in the text report without -v */

/* The exit bits a health report asks for (FSCK_EXIT_UNCORRECTED for a failing medium). */
int fsck_health_exit(const struct health *h);

/* map.c: draw the disc maps of both layers to out (opened on path, whose extension
 * .png, .svg or .pdf picks the kind) with the title's image name. Returns 0, -EIO,
 * -ENOMEM. */
int fsck_map_write(FILE *out, const char *path, const char *image, const struct health *h);
/* The kind of picture path asks for by its extension: true when map.c can draw it. */
bool fsck_map_kind_ok(const char *path);

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
/* An health_owner_fn over a struct fsck_fs (ctx): the file, or "(filesystem metadata)",
 * that references lcn as the check loaded it. */
int fsck_fs_owner(void *ctx, uint64_t lcn, char *buf, size_t cap);
void fsck_fs_free(struct fsck_fs *f);
void fsck_fs_text(FILE *out, const char *image, const struct fsck_fs *f, const char *path);
/* The "filesystem" object of the JSON document (schema doc/schema/fsck.json). */
struct tool_json;
void fsck_fs_json(struct tool_json *j, const char *key, const struct fsck_fs *f);

#endif /* PHASEFS_FSCK_H */
