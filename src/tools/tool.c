/*
 * tool.c — shared helpers of the command-line tools: one-line errors, number and
 * size parsing, progress lines (JSON: json.c). See tool.h for the conventions.
 */
#include "tool.h"

#include "medium.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *progname = "phasefs";

void tool_set_progname(const char *argv0)
{
    const char *slash = strrchr(argv0, '/');
    progname = slash ? slash + 1 : argv0;
}

const char *tool_progname(void)
{
    return progname;
}

void tool_error(const char *object, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", progname);
    if (object && *object)
        fprintf(stderr, "%s: ", object);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

const char *tool_strerror(int neg_errno)
{
    switch (-neg_errno) {
    case EUCLEAN:
        return "the image is corrupt (a checksum or structure does not match)";
    case EPROTO:
        return "the image has a format version this build cannot read";
    case EBADMSG:
        return "data failed its error check";
    case EROFS:
        return "the medium is read-only or worn out";
    case ENOSPC:
        return "no space left";
    case EFBIG:
        return "size beyond what the format holds";
    case EOPNOTSUPP:
        return "not supported in this mode yet";
    case EBUSY:
        return "the image is in use by another process (mounted?)";
    case ENOLCK:
        return "the host filesystem cannot lock the image";
    default:
        return strerror(-neg_errno);
    }
}

void tool_image_busy(const char *image, bool read_only)
{
    if (read_only)
        tool_error(image, "in use by another process (mounted read-write?); unmount it "
                          "first, or remount it with -o ro, which read-only tools share");
    else
        tool_error(image, "in use by another process (mounted?); unmount it first "
                          "(fusermount3 -u MOUNTPOINT)");
}

void tool_profile_error(const char *spec, int rc, const struct medium_parse_error *err)
{
    if (rc == -ENOENT) {
        tool_error(spec, "no such preset or profile file; presets: bd-re-dl, pcm-2l "
                         "(phasefs-profile(5) describes the file format)");
    } else if (rc == -EINVAL && err->message[0]) {
        char where[320];
        const char *file = err->file[0] ? err->file : spec;
        if (err->line)
            snprintf(where, sizeof where, "%s:%u", file, err->line);
        else
            snprintf(where, sizeof where, "%s", file);
        if (err->key[0])
            tool_error(where, "%s: %s; see phasefs-profile(5)", err->key, err->message);
        else
            tool_error(where, "%s; see phasefs-profile(5)", err->message);
    } else {
        tool_error(spec, "cannot load the profile: %s", tool_strerror(rc));
    }
}

int tool_parse_size(const char *text, uint64_t *out)
{
    char *end;
    if (!text || !*text || *text == '-')
        return -EINVAL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || !(v >= 0) || !isfinite(v))
        return -EINVAL;
    double mult = 1;
    switch (*end) {
    case 'k': case 'K': mult = 1024.0; end++; break;
    case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
    }
    if (mult > 1 && (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0))
        end += strlen(end);
    else if (mult == 1 && strcmp(end, "B") == 0)
        end++;
    if (*end)
        return -EINVAL;
    double bytes = v * mult;
    if (bytes > 1.8e19 || bytes != floor(bytes))
        return -EINVAL;
    *out = (uint64_t)bytes;
    return 0;
}

int tool_profile_prepare(const char *spec, const char *size_text, const char *seed_text,
                         struct medium_profile *p)
{
    struct medium_parse_error err;
    memset(&err, 0, sizeof err);
    int rc = medium_profile_load(spec, p, &err);
    if (rc < 0) {
        tool_profile_error(spec, rc, &err);
        return -EINVAL;
    }
    if (size_text) {
        uint64_t size;
        if (!strcmp(size_text, "full")) {
            size = MEDIUM_REAL_LAYER_BYTES;
        } else if (tool_parse_size(size_text, &size) < 0) {
            tool_error(size_text, "not a size; write e.g. 64M, 1G or 25G (binary units)");
            return -EINVAL;
        }
        if (size % MEDIUM_USER_BYTES_PER_CLUSTER || size < MEDIUM_MIN_LAYER_BYTES) {
            tool_error(size_text, "the size per layer must be a multiple of 64K and at least 1M");
            return -EINVAL;
        }
        p->capacity_per_layer = size;
    }
    if (seed_text && tool_parse_u64(seed_text, &p->seed) < 0) {
        tool_error(seed_text, "the seed must be a non-negative integer");
        return -EINVAL;
    }
    if ((rc = medium_profile_validate(p, &err)) < 0) {
        tool_profile_error(spec, rc, &err);
        return -EINVAL;
    }
    return 0;
}

int tool_parse_double(const char *text, double *out)
{
    char *end;
    if (!text || !*text)
        return -EINVAL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v))
        return -EINVAL;
    *out = v;
    return 0;
}

int tool_parse_u64(const char *text, uint64_t *out)
{
    char *end;
    if (!text || !*text || *text == '-')
        return -EINVAL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno || end == text || *end)
        return -EINVAL;
    *out = v;
    return 0;
}

static volatile sig_atomic_t cancel_flag;

static void on_cancel(int sig)
{
    (void)sig;
    cancel_flag = 1;
}

volatile sig_atomic_t *tool_cancel_on_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_cancel;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return &cancel_flag;
}

void tool_open_error(const char *path, int rc, bool read_only)
{
    struct medium_probe pr;
    if (rc == -EBUSY) {
        tool_image_busy(path, read_only);
        return;
    }
    int prc = rc == -ENOENT || rc == -EACCES || rc == -EPERM ? rc : medium_probe(path, &pr);
    if (prc == 0) {
        switch (pr.kind) {
        case MEDIUM_PROBE_DIRECTORY:
            tool_error(path, "is a directory, not a medium image; give the image file");
            return;
        case MEDIUM_PROBE_NOT_FILE:
            tool_error(path, "is not a regular file; a medium image is a file made by "
                             "'phasectl create'");
            return;
        case MEDIUM_PROBE_EMPTY:
            tool_error(path, "is empty (0 bytes), not a medium image; create one with "
                             "'phasectl create'");
            return;
        case MEDIUM_PROBE_FOREIGN:
            tool_error(path, "is not a phasefs medium image (%llu bytes without its "
                             "signature); check the path",
                       (unsigned long long)pr.file_bytes);
            return;
        case MEDIUM_PROBE_TRUNCATED:
            tool_error(path, "the image is truncated: %llu of %llu bytes; restore it from a "
                             "copy",
                       (unsigned long long)pr.file_bytes, (unsigned long long)pr.image_bytes);
            return;
        case MEDIUM_PROBE_NEWER:
            tool_error(path, "%s; use the phasefs version that created it",
                       tool_strerror(-EPROTO));
            return;
        case MEDIUM_PROBE_CORRUPT:
            tool_error(path, "the image's headers are damaged (both copies); it cannot be "
                             "used");
            return;
        case MEDIUM_PROBE_IMAGE:
            break; /* the header is fine: the failure lies further in */
        }
    }
    switch (-rc) {
    case ENOENT:
        tool_error(path, "no such image; check the path or create one with 'phasectl create'");
        break;
    case EUCLEAN:
        tool_error(path, "%s; the image cannot be used (recreate it, or keep it for "
                         "inspection)", tool_strerror(rc));
        break;
    case EPROTO:
        tool_error(path, "%s; use the phasefs version that created it", tool_strerror(rc));
        break;
    case EACCES:
    case EPERM:
        tool_error(path, "permission denied; check the file's mode");
        break;
    case EOPNOTSUPP:
        tool_error(path, "the medium is in electrical mode, whose physics is not built yet");
        break;
    default:
        tool_error(path, "cannot open the image: %s", tool_strerror(rc));
        break;
    }
}

double tool_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void tool_progress_start(struct tool_progress *p, const char *what, uint64_t total,
                         bool enabled)
{
    memset(p, 0, sizeof *p);
    p->what = what;
    p->total = total ? total : 1;
    p->start_s = tool_now();
    p->last_decile = -1;
    p->tty = isatty(STDERR_FILENO) && !getenv("NO_PROGRESS");
    p->enabled = enabled;
    /* a phase shorter than this says nothing; tests set 0 to see the lines */
    const char *d = getenv("PHASEFS_PROGRESS_DELAY");
    double v;
    p->delay_s = d && tool_parse_double(d, &v) == 0 && v >= 0 ? v : TOOL_PROGRESS_DELAY_S;
    p->warm_s = -1;
}

void tool_progress_update(struct tool_progress *p, uint64_t done)
{
    if (!p->enabled)
        return;
    double now = tool_now(), elapsed = now - p->start_s;
    if (elapsed < p->delay_s)
        return;
    /* the rate is measured from the end of the warm-up (opening, caches, the first
     * clusters), so the first ETA is not skewed by it */
    if (p->warm_s < 0 && elapsed >= TOOL_PROGRESS_WARMUP_S) {
        p->warm_s = now;
        p->warm_done = done;
    }
    p->shown = true;
    double frac = (double)done / (double)p->total;
    if (p->tty) {
        double span = p->warm_s >= 0 ? now - p->warm_s : 0;
        double rate = span > 0.5 ? (double)(done - p->warm_done) / span : 0;
        if (rate > 0)
            fprintf(stderr, "\r%s: %5.1f%%  %.0f/s  ETA %.0fs   ", p->what, 100 * frac, rate,
                    (double)(p->total - (done < p->total ? done : p->total)) / rate);
        else
            fprintf(stderr, "\r%s: %5.1f%%  (measuring the rate)   ", p->what, 100 * frac);
        fflush(stderr);
        return;
    }
    int decile = (int)(frac * 10);
    if (decile > p->last_decile) {
        p->last_decile = decile;
        fprintf(stderr, "%s: %d%%\n", p->what, decile * 10);
    }
}

void tool_progress_finish(struct tool_progress *p)
{
    if (!p->enabled || !p->shown)
        return;
    if (p->tty)
        fprintf(stderr, "\r%s: done in %.1fs%*s\n", p->what, tool_now() - p->start_s, 30, "");
    else if (p->last_decile < 10)
        fprintf(stderr, "%s: 100%%\n", p->what);
}
