/*
 * phasectl.h — the subcommands of phasectl(1) and its exit codes, shared by the files
 * that implement them (phasectl.c dispatches, phasectl_profile.c, phasectl_medium.c,
 * phasectl_stats.c and phasectl_lifetest*.c implement). The exit codes are listed in one place here and in
 * the man page's EXIT STATUS; scripts depend on them.
 */
#ifndef PHASEFS_PHASECTL_H
#define PHASEFS_PHASECTL_H

#include <stdbool.h>
#include <stdio.h>

enum phasectl_exit {
    PHASECTL_EXIT_OK = 0,       /* done; for `profile check`: every claim holds */
    PHASECTL_EXIT_FAILED = 1,   /* `profile check`: at least one claim fails */
    PHASECTL_EXIT_USAGE = 2,    /* bad command line or bad input (profile, size ...) */
    PHASECTL_EXIT_MEDIUM = 3,   /* the image could not be created, opened or updated */
    PHASECTL_EXIT_FULL = 4,     /* `lifetest`: the data set does not fit on the disc */
};

/* Format-level symbol error limit: SER < 2e-4 (physics.md §3.2 [S41]). */
#define PHASECTL_FORMAT_SER_LIMIT 2e-4

/* JSON documents printed by phasectl carry this version first (doc/schema/phasectl-*.json).
 * 2: "program" member, layers near first, info's verdicts from the health scan, profile
 * optics nested, stats' verdicts. */
#define PHASECTL_JSON_FORMAT_VERSION 2
/* The lifetest report (and the shards `lifetest merge` reads back) keeps its own. */
#define PHASECTL_LIFETEST_FORMAT_VERSION 1

/* `phasectl health` exits with these bits OR-ed (smartctl-like; phasectl(1)). */
enum phasectl_health_bits {
    PHASECTL_HEALTH_USAGE = 1,       /* the command line did not parse */
    PHASECTL_HEALTH_UNREADABLE = 2,  /* the image could not be opened or scanned */
    PHASECTL_HEALTH_DEGRADING = 4,   /* a layer (or the medium) is degrading */
    PHASECTL_HEALTH_FAILING = 8,     /* the medium is failing */
    PHASECTL_HEALTH_SOON = 16,       /* first loss projected within --within years */
    PHASECTL_HEALTH_LOST = 32,       /* clusters already unreadable */
    PHASECTL_HEALTH_CANCELLED = 64,  /* SIGINT or SIGTERM stopped the scan */
};
#define PHASECTL_HEALTH_WITHIN_YEARS 10.0 /* default horizon of PHASECTL_HEALTH_SOON */

int phasectl_profile(int argc, char **argv);
int phasectl_create(int argc, char **argv);
int phasectl_info(int argc, char **argv);
int phasectl_age(int argc, char **argv);
int phasectl_inject(int argc, char **argv);
int phasectl_stats(int argc, char **argv);
int phasectl_health(int argc, char **argv);

/* The health scan behind info, stats and health (read-only; progress on stderr; SIGINT
 * stops it), with its one-line error printed on failure (none for -ENODATA, a medium
 * never formatted, with quiet_unformatted). Returns 0 (free h with health_free) or
 * -errno. */
struct health;
int phasectl_health_scan(const char *path, bool quiet_unformatted, struct health *h);
/* The exit bits of a health report. */
int phasectl_health_bits(const struct health *h, double within_years);
int phasectl_lifetest(int argc, char **argv);

/* Print a profile-load failure as one line; returns PHASECTL_EXIT_USAGE. */
struct medium_parse_error;
int phasectl_profile_error(const char *spec, int rc, const struct medium_parse_error *err);

/* Parse `IMAGE [--json]` for a subcommand (argv[0] is its name). Returns -1 to go on
 * with *path and *json set, or the exit code to return (help printed, usage error). */
int phasectl_image_args(int argc, char **argv, void (*usage)(FILE *), const char **path,
                        int *json);

/* Open an image, printing one line on failure. Returns 0 or PHASECTL_EXIT_MEDIUM. */
struct medium;
int phasectl_open(const char *path, int read_only, struct medium **out);

#endif /* PHASEFS_PHASECTL_H */
