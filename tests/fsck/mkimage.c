/*
 * mkimage.c — builds a medium image for the fsck golden tests from a recipe, so no image
 * is committed (STYLE.md "Tests": fsck golden cases). It uses libmedium and libsector
 * directly (no filesystem): user data is seeded pseudo-random bytes written through
 * sector_write to ranges of logical clusters.
 *
 * Usage: mkimage RECIPE IMAGE
 * Recipe: one directive per line, '#' starts a comment. Header (before any step):
 *   seed N                  medium seed (and of the user data)
 *   size SIZE               user capacity per layer, e.g. 8M
 *   profile NAME            preset to start from (bd-re-dl)
 *   set SECTION KEY VALUE   a profile key, as in phasefs-profile(5)
 * Steps, in order:
 *   verify on|off                        verify-after-write of later writes (on)
 *   write-all-clusters                   every logical cluster once
 *   write clusters A-B                   logical clusters A..B once
 *   overwrite N times clusters A-B       logical clusters A..B, N more times each
 *   age DURATION TEMP                    e.g. "age 30y 60C" (units y d h s; C)
 *   scratch R0:R1 A0:A1 WIDTH_UM [near|far|both]
 *   dust R A DIAMETER_UM
 *   defects COUNT LENGTH_BYTES [near|far|both]
 * Exit 0, or 1 with one line on stderr naming the recipe line.
 */
#include "medium.h"
#include "sector.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct state {
    const char *recipe;
    unsigned line;
    uint64_t seed;
    uint64_t size;
    char preset[64];
    char extra[4096]; /* profile text from "set" lines */
    size_t extra_len;
    struct medium *m;
    struct sector_dev *dev;
    bool verify;
    uint64_t pass; /* changes the data of every write */
};

static void fail(const struct state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(const struct state *s, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "mkimage: %s:%u: ", s->recipe, s->line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int parse_size(const char *t, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(t, &end, 10);
    uint64_t mult = 1;
    if (*end == 'K' || *end == 'k')
        mult = 1024, end++;
    else if (*end == 'M' || *end == 'm')
        mult = 1024 * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        mult = 1024ULL * 1024 * 1024, end++;
    if (end == t || *end)
        return -EINVAL;
    *out = v * mult;
    return 0;
}

static unsigned parse_layers(struct state *s, const char *t)
{
    if (!t || !strcmp(t, "both"))
        return 3;
    if (!strcmp(t, "far"))
        return 1u << MEDIUM_LAYER_FAR;
    if (!strcmp(t, "near"))
        return 1u << MEDIUM_LAYER_NEAR;
    fail(s, "layers must be near, far or both, not '%s'", t);
    return 0;
}

static void create(struct state *s, const char *image)
{
    struct medium_profile p;
    struct medium_parse_error err;
    char text[8192];
    memset(&err, 0, sizeof err);
    snprintf(text, sizeof text, "[medium]\nbase = %s\n%s", s->preset, s->extra);
    if (medium_profile_parse(text, strlen(text), s->recipe, &p, &err) < 0)
        fail(s, "profile: %s: %s", err.key, err.message);
    p.seed = s->seed;
    if (s->size)
        p.capacity_per_layer = s->size;
    if (medium_profile_validate(&p, &err) < 0)
        fail(s, "profile: %s: %s", err.key, err.message);
    struct medium_create_options co = {.io = NULL, .overwrite = true};
    int rc = medium_create(image, &p, &co, &s->m);
    if (rc < 0)
        fail(s, "cannot create %s: %s", image, strerror(-rc));
    struct sector_options so;
    sector_options_default(&so);
    so.force_format = true;
    rc = sector_format(s->m, &so);
    if (rc < 0)
        fail(s, "cannot format: %s", strerror(-rc));
}

static void open_dev(struct state *s)
{
    if (s->dev)
        return;
    struct sector_options so;
    sector_options_default(&so);
    so.verify_after_write = s->verify;
    int rc = sector_open(s->m, &so, &s->dev);
    if (rc < 0)
        fail(s, "cannot open the sector layer: %s", strerror(-rc));
}

static void close_dev(struct state *s)
{
    if (!s->dev)
        return;
    int rc = sector_close(s->dev);
    s->dev = NULL;
    if (rc < 0)
        fail(s, "cannot close the sector layer: %s", strerror(-rc));
}

static void write_range(struct state *s, uint64_t a, uint64_t b, uint64_t times)
{
    static uint8_t user[SECTOR_CLUSTER_USER_BYTES];
    open_dev(s);
    uint64_t n = sector_logical_clusters(s->dev);
    if (a > b || b >= n)
        fail(s, "clusters %llu-%llu outside 0-%llu", (unsigned long long)a,
             (unsigned long long)b, (unsigned long long)(n ? n - 1 : 0));
    for (uint64_t t = 0; t < times; t++) {
        s->pass++;
        for (uint64_t lcn = a; lcn <= b; lcn++) {
            uint64_t x = s->seed * 0x100000001b3ULL ^ lcn << 20 ^ s->pass;
            for (size_t i = 0; i < sizeof user; i += 8) {
                uint64_t v = splitmix(&x);
                memcpy(user + i, &v, 8);
            }
            int rc = sector_write(s->dev, lcn, user, NULL);
            if (rc < 0 && rc != -ENOSPC)
                fail(s, "writing LCN %llu: %s", (unsigned long long)lcn, strerror(-rc));
        }
    }
}

static void range(struct state *s, const char *t, uint64_t *a, uint64_t *b)
{
    unsigned long long x, y;
    if (!t || sscanf(t, "%llu-%llu", &x, &y) != 2)
        fail(s, "expected a range A-B, got '%s'", t ? t : "");
    *a = x;
    *b = y;
}

static double duration_s(struct state *s, const char *t)
{
    char *end;
    double v = t ? strtod(t, &end) : 0;
    if (!t || end == t)
        fail(s, "expected a duration such as 30y");
    switch (*end) {
    case 'y': return v * 31557600.0;
    case 'd': return v * 86400.0;
    case 'h': return v * 3600.0;
    case 's': return v;
    default: fail(s, "unknown time unit in '%s' (use y, d, h or s)", t);
    }
    return 0;
}

static void step(struct state *s, char **w, int n)
{
    int rc = 0;
    if (!strcmp(w[0], "verify") && n == 2) {
        close_dev(s);
        s->verify = !strcmp(w[1], "on");
    } else if (!strcmp(w[0], "write-all-clusters") && n == 1) {
        open_dev(s);
        uint64_t total = sector_logical_clusters(s->dev);
        write_range(s, 0, total - 1, 1);
    } else if (!strcmp(w[0], "write") && n == 3 && !strcmp(w[1], "clusters")) {
        uint64_t a, b;
        range(s, w[2], &a, &b);
        write_range(s, a, b, 1);
    } else if (!strcmp(w[0], "overwrite") && n == 5 && !strcmp(w[2], "times") &&
               !strcmp(w[3], "clusters")) {
        uint64_t a, b;
        range(s, w[4], &a, &b);
        write_range(s, a, b, strtoull(w[1], NULL, 10));
    } else if (!strcmp(w[0], "age") && n == 3) {
        close_dev(s);
        rc = medium_age(s->m, duration_s(s, w[1]), strtod(w[2], NULL));
    } else if (!strcmp(w[0], "scratch") && (n == 4 || n == 5)) {
        close_dev(s);
        struct medium_scratch sc;
        if (sscanf(w[1], "%lf:%lf", &sc.r0_mm, &sc.r1_mm) != 2 ||
            sscanf(w[2], "%lf:%lf", &sc.angle0_deg, &sc.angle1_deg) != 2)
            fail(s, "scratch R0:R1 A0:A1 WIDTH_UM [layers]");
        sc.width_um = strtod(w[3], NULL);
        sc.layer_mask = parse_layers(s, n == 5 ? w[4] : NULL);
        rc = medium_inject_scratch(s->m, &sc);
    } else if (!strcmp(w[0], "dust") && n == 4) {
        close_dev(s);
        struct medium_dust d = {strtod(w[1], NULL), strtod(w[2], NULL), strtod(w[3], NULL)};
        rc = medium_inject_dust(s->m, &d);
    } else if (!strcmp(w[0], "defects") && (n == 3 || n == 4)) {
        close_dev(s);
        struct medium_defects d = {(uint32_t)strtoul(w[1], NULL, 10),
                                   (uint32_t)strtoul(w[2], NULL, 10),
                                   parse_layers(s, n == 4 ? w[3] : NULL)};
        rc = medium_inject_defects(s->m, &d);
    } else {
        fail(s, "unknown step '%s' (or wrong number of words)", w[0]);
    }
    if (rc < 0)
        fail(s, "%s: %s", w[0], strerror(-rc));
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "Usage: mkimage RECIPE IMAGE\n");
        return 1;
    }
    struct state s;
    memset(&s, 0, sizeof s);
    s.recipe = argv[1];
    s.seed = 1;
    s.verify = true;
    strcpy(s.preset, "bd-re-dl");
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        fprintf(stderr, "mkimage: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    char buf[512];
    while (fgets(buf, sizeof buf, f)) {
        s.line++;
        char *hash = strchr(buf, '#');
        if (hash)
            *hash = '\0';
        char *w[8];
        int n = 0;
        for (char *tok = strtok(buf, " \t\r\n"); tok && n < 8; tok = strtok(NULL, " \t\r\n"))
            w[n++] = tok;
        if (n == 0)
            continue;
        if (!s.m && !strcmp(w[0], "seed") && n == 2) {
            s.seed = strtoull(w[1], NULL, 0);
        } else if (!s.m && !strcmp(w[0], "size") && n == 2) {
            if (parse_size(w[1], &s.size) < 0)
                fail(&s, "bad size '%s'", w[1]);
        } else if (!s.m && !strcmp(w[0], "profile") && n == 2) {
            snprintf(s.preset, sizeof s.preset, "%s", w[1]);
        } else if (!s.m && !strcmp(w[0], "set") && n == 4) {
            int k = snprintf(s.extra + s.extra_len, sizeof s.extra - s.extra_len,
                             "[%s]\n%s = %s\n", w[1], w[2], w[3]);
            if (k < 0 || (size_t)k >= sizeof s.extra - s.extra_len)
                fail(&s, "too many profile keys");
            s.extra_len += (size_t)k;
        } else {
            if (!s.m)
                create(&s, argv[2]);
            step(&s, w, n);
        }
    }
    fclose(f);
    if (!s.m)
        create(&s, argv[2]);
    close_dev(&s);
    int rc = medium_close(s.m);
    if (rc < 0) {
        fprintf(stderr, "mkimage: %s: cannot close: %s\n", argv[2], strerror(-rc));
        return 1;
    }
    return 0;
}
