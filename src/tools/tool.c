/*
 * tool.c — shared helpers of the command-line tools: one-line errors, number and
 * size parsing, JSON escaping, progress lines. See tool.h for the conventions.
 */
#include "tool.h"

#include "medium.h"

#include <errno.h>
#include <math.h>
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

void tool_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
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
    p->what = what;
    p->total = total ? total : 1;
    p->start_s = tool_now();
    p->last_decile = -1;
    p->tty = isatty(STDERR_FILENO) && !getenv("NO_PROGRESS");
    p->enabled = enabled;
}

void tool_progress_update(struct tool_progress *p, uint64_t done)
{
    if (!p->enabled)
        return;
    double frac = (double)done / (double)p->total;
    double elapsed = tool_now() - p->start_s;
    if (p->tty) {
        double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
        fprintf(stderr, "\r%s: %5.1f%%  %.1f/s  ETA %.0fs   ", p->what, 100 * frac,
                elapsed > 0 ? (double)done / elapsed : 0.0, eta);
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
    if (!p->enabled)
        return;
    if (p->tty)
        fprintf(stderr, "\r%s: done in %.1fs%*s\n", p->what, tool_now() - p->start_s, 20, "");
    else if (p->last_decile < 10)
        fprintf(stderr, "%s: 100%%\n", p->what);
}
