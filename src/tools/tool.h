/*
 * tool.h — what every phasefs command-line tool shares: the one-line error format
 * `prog: OBJECT: what went wrong; what to do` (STYLE.md "Output: only tools speak"),
 * size and number parsing, JSON string escaping, and progress lines.
 *
 * Libraries never print; tools print only through these helpers.
 */
#ifndef PHASEFS_TOOL_H
#define PHASEFS_TOOL_H

#include <signal.h>
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

/* The one error line for an image medium_open refused with rc: in use (-EBUSY, as
 * tool_image_busy), a directory, an empty file, a foreign file, a truncated image ("N
 * of M bytes") and so on each get their own words (medium_probe); every tool opening
 * an image prints through this. */
void tool_open_error(const char *path, int rc, bool read_only);

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
 * The profile of a new medium from the command line: load spec (preset or file), apply
 * size_text (per layer, a multiple of 64K of at least 1M; "full" is the real 25 GB) and
 * seed_text when not NULL, and validate. Prints one line on failure. Returns 0 or
 * -EINVAL (every failure is bad input: the tools' usage exit code).
 */
struct medium_profile;
int tool_profile_prepare(const char *spec, const char *size_text, const char *seed_text,
                         struct medium_profile *p);

/*
 * Parse a size such as "64M", "25G", "1048576", "512K" (binary multiples: K, M, G,
 * T; optional trailing "iB" or "B"). Returns 0 and *out, or -EINVAL.
 */
int tool_parse_size(const char *text, uint64_t *out);

/* Parse a finite double / an unsigned 64-bit integer, whole string. 0 or -EINVAL. */
int tool_parse_double(const char *text, double *out);
int tool_parse_u64(const char *text, uint64_t *out);

/* Write s as a JSON string literal (quotes included) to f; bytes that are not UTF-8
 * become U+FFFD. NULL writes "". */
void tool_json_string(FILE *f, const char *s);

/*
 * The JSON writer (json.c) every --json document goes through: nesting, commas,
 * escaping and layout (two spaces per level, one member per line). key is the member
 * name inside an object and ignored inside an array or at the top. Numbers that are
 * not finite are written as null. Usage:
 *   struct tool_json j; tool_json_begin(&j, stdout); tool_json_object(&j, NULL);
 *   tool_json_int(&j, "format_version", 2); ... tool_json_end_object(&j);
 *   rc = tool_json_finish(&j);   0, -EIO (write error), -EINVAL (unbalanced), -E2BIG
 */
#define TOOL_JSON_DEPTH 16
struct tool_json {
    FILE *f;
    unsigned depth;
    bool first[TOOL_JSON_DEPTH];  /* no member written yet at this depth */
    bool object[TOOL_JSON_DEPTH]; /* an object (keys), not an array */
    int error;
};
void tool_json_begin(struct tool_json *j, FILE *f);
void tool_json_object(struct tool_json *j, const char *key);
void tool_json_array(struct tool_json *j, const char *key);
void tool_json_end_object(struct tool_json *j);
void tool_json_end_array(struct tool_json *j);
void tool_json_str(struct tool_json *j, const char *key, const char *s); /* NULL: null */
void tool_json_int(struct tool_json *j, const char *key, int64_t v);
void tool_json_uint(struct tool_json *j, const char *key, uint64_t v);
void tool_json_num(struct tool_json *j, const char *key, double v);
void tool_json_bool(struct tool_json *j, const char *key, bool v);
void tool_json_null(struct tool_json *j, const char *key);
int tool_json_finish(struct tool_json *j);

/* Progress on long work: on a terminal, one rewritten line with percent, rate and
 * ETA; otherwise a plain line every 10 %. Nothing is shown for a phase shorter than
 * TOOL_PROGRESS_DELAY_S (env PHASEFS_PROGRESS_DELAY overrides, in seconds); the rate,
 * and so the ETA, is measured from TOOL_PROGRESS_WARMUP_S on. */
#define TOOL_PROGRESS_DELAY_S 1.0
#define TOOL_PROGRESS_WARMUP_S 1.0
struct tool_progress {
    const char *what;
    uint64_t total;
    double start_s;
    double delay_s;
    double warm_s;       /* when the warm-up ended (-1: not yet) */
    uint64_t warm_done;  /* work done by then */
    int last_decile;
    bool tty;
    bool enabled;
    bool shown;          /* a line was printed */
};
void tool_progress_start(struct tool_progress *p, const char *what, uint64_t total,
                         bool enabled);
void tool_progress_update(struct tool_progress *p, uint64_t done);
void tool_progress_finish(struct tool_progress *p);

/* SIGINT and SIGTERM set the returned flag instead of killing the program, so long
 * work can stop and still report what it did. Call once from main or a subcommand. */
volatile sig_atomic_t *tool_cancel_on_signals(void);

/* Monotonic seconds. */
double tool_now(void);

#endif /* PHASEFS_TOOL_H */
