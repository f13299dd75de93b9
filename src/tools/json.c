/*
 * json.c — the one JSON writer of the phasefs tools (RFC 8259): every --json document
 * of fsck.phasefs and phasectl is built through it, never by splicing strings. It
 * keeps the nesting and the commas, escapes strings (quote, backslash, control
 * characters; bytes that are not UTF-8 become U+FFFD, so any path prints as valid
 * JSON), writes non-finite numbers as null, and indents two spaces per level with one
 * member per line. It does not check that keys are unique: the callers' schemas
 * (doc/schema/) say what each document holds.
 */
#include "tool.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

void tool_json_begin(struct tool_json *j, FILE *f)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    j->first[0] = true;
}

/* UTF-8 sequence length at s (1-4), or 0 when s does not start a valid one. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, min = 0x10000;
    else
        return 0;
    unsigned cp = c & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

void tool_json_string(FILE *f, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    fputc('"', f);
    while (*s) {
        unsigned c = *s;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc((int)c, f);
        } else if (c == '\n') {
            fputs("\\n", f);
        } else if (c == '\t') {
            fputs("\\t", f);
        } else if (c == '\r') {
            fputs("\\r", f);
        } else if (c < 0x20 || c == 0x7F) {
            fprintf(f, "\\u%04x", c);
        } else if (c >= 0x80) {
            size_t n = utf8_len(s);
            if (!n) {
                fputs("\\ufffd", f);
                s++;
                continue;
            }
            fwrite(s, 1, n, f);
            s += n;
            continue;
        } else {
            fputc((int)c, f);
        }
        s++;
    }
    fputc('"', f);
}

/* Comma, newline and indent before a value; its key when inside an object. */
static void lead(struct tool_json *j, const char *key)
{
    if (j->depth > 0) {
        fputs(j->first[j->depth] ? "\n" : ",\n", j->f);
        for (unsigned i = 0; i < j->depth; i++)
            fputs("  ", j->f);
    }
    j->first[j->depth] = false;
    if (key && j->depth > 0 && j->object[j->depth]) {
        tool_json_string(j->f, key);
        fputs(": ", j->f);
    }
}

static void open_(struct tool_json *j, const char *key, char c, bool object)
{
    lead(j, key);
    fputc(c, j->f);
    if (j->depth + 1 >= TOOL_JSON_DEPTH) {
        j->error = -E2BIG;
        return;
    }
    j->depth++;
    j->first[j->depth] = true;
    j->object[j->depth] = object;
}

static void close_(struct tool_json *j, char c)
{
    if (!j->depth) {
        j->error = -EINVAL;
        return;
    }
    bool empty = j->first[j->depth];
    j->depth--;
    if (!empty) {
        fputc('\n', j->f);
        for (unsigned i = 0; i < j->depth; i++)
            fputs("  ", j->f);
    }
    fputc(c, j->f);
}

void tool_json_object(struct tool_json *j, const char *key)
{
    open_(j, key, '{', true);
}

void tool_json_array(struct tool_json *j, const char *key)
{
    open_(j, key, '[', false);
}

void tool_json_end_object(struct tool_json *j)
{
    close_(j, '}');
}

void tool_json_end_array(struct tool_json *j)
{
    close_(j, ']');
}

void tool_json_str(struct tool_json *j, const char *key, const char *s)
{
    lead(j, key);
    if (s)
        tool_json_string(j->f, s);
    else
        fputs("null", j->f);
}

void tool_json_int(struct tool_json *j, const char *key, int64_t v)
{
    lead(j, key);
    fprintf(j->f, "%" PRId64, v);
}

void tool_json_uint(struct tool_json *j, const char *key, uint64_t v)
{
    lead(j, key);
    fprintf(j->f, "%" PRIu64, v);
}

void tool_json_num(struct tool_json *j, const char *key, double v)
{
    lead(j, key);
    if (!isfinite(v)) {
        fputs("null", j->f);
        return;
    }
    /* %.9g round-trips the figures we print; a plain integer gets no exponent */
    char buf[40];
    snprintf(buf, sizeof buf, "%.9g", v);
    fputs(buf, j->f);
}

void tool_json_bool(struct tool_json *j, const char *key, bool v)
{
    lead(j, key);
    fputs(v ? "true" : "false", j->f);
}

void tool_json_null(struct tool_json *j, const char *key)
{
    lead(j, key);
    fputs("null", j->f);
}

int tool_json_finish(struct tool_json *j)
{
    if (j->depth && !j->error)
        j->error = -EINVAL; /* an object or array left open: a bug in the caller */
    fputc('\n', j->f);
    if (!j->error && ferror(j->f))
        j->error = -EIO;
    return j->error;
}
