/*
 * tool.h — what every phasefs command-line tool shares: the one-line error format
 * `prog: OBJECT: what went wrong; what to do` (STYLE.md "Output: only tools speak"),
 * size and number parsing, JSON string escaping, and progress lines.
 *
 * Libraries never print; tools print only through these helpers.
 */
#ifndef PHASEFS_TOOL_H
#define PHASEFS_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Set once from main(): the program name used in every message. */
void tool_set_progname(const char *argv0);
const char *tool_progname(void);

/* Print "prog: object: message" (message printf-style) to stderr, one line. */
void tool_error(const char *object, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Describe a negative errno from libmedium in user words (never NULL). */
const char *tool_strerror(int neg_errno);

/*
 * Say, as one line, that libmedium refused image because another process holds its
 * lock (medium_open or medium_create returned -EBUSY after MEDIUM_LOCK_WAIT_MS). For
 * a read-only tool (shared lock) the line names the mount that may share the image,
 * -o ro; for a tool that modifies it, only unmounting helps.
 */
void tool_image_busy(const char *image, bool read_only);

/* Print why a profile did not load (medium_profile_load's rc and err) as one line:
 * the file, line and key when known, and where the format is described. */
struct medium_parse_error;
void tool_profile_error(const char *spec, int rc, const struct medium_parse_error *err);

/*
 * Parse a size such as "64M", "25G", "1048576", "512K" (binary multiples: K, M, G,
 * T; optional trailing "iB" or "B"). Returns 0 and *out, or -EINVAL.
 */
int tool_parse_size(const char *text, uint64_t *out);

/* Parse a finite double / an unsigned 64-bit integer, whole string. 0 or -EINVAL. */
int tool_parse_double(const char *text, double *out);
int tool_parse_u64(const char *text, uint64_t *out);

/* Write s as a JSON string literal (quotes included) to f. */
void tool_json_string(FILE *f, const char *s);

/* Progress on long work: on a terminal, one rewritten line with percent, rate and
 * ETA; otherwise a plain line every 10 %. */
struct tool_progress {
    const char *what;
    uint64_t total;
    double start_s;
    int last_decile;
    bool tty;
    bool enabled;
};
void tool_progress_start(struct tool_progress *p, const char *what, uint64_t total,
                         bool enabled);
void tool_progress_update(struct tool_progress *p, uint64_t done);
void tool_progress_finish(struct tool_progress *p);

/* Monotonic seconds. */
double tool_now(void);

#endif /* PHASEFS_TOOL_H */
