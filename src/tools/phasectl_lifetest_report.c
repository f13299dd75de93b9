/*
 * phasectl_lifetest_report.c — what `phasectl lifetest` says about a campaign: the summary
 * over discs (time to first loss and to 50 % of files lost: median and 5-95 % band), the
 * text table, the JSON report (format_version first; doubles printed so they read back
 * exactly) and the CSV, and `phasectl lifetest merge`, which reads shard reports (json-c)
 * back into the same data and renders them as one campaign. Running the discs is
 * phasectl_lifetest.c's job; this file never touches a medium.
 */
#include "lifetest.h"
#include "phasectl.h"
#include "tool.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const layer_names[MEDIUM_LAYER_COUNT] = {"L0", "L1"};

void lt_campaign_free(struct lt_campaign *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ndiscs; i++)
        free(c->discs[i].steps);
    free(c->discs);
    free(c->steps);
    memset(c, 0, sizeof *c);
}

/* ---- summary ------------------------------------------------------------------------ */

/* Time of the first step at which at least `need` files were lost, INFINITY if none. */
static double time_to_loss(const struct lt_campaign *c, const struct lt_disc *d,
                           uint64_t need)
{
    for (size_t s = 0; s < c->nsteps; s++)
        if (d->steps[s].files_lost >= need)
            return c->steps[s].t_s;
    return INFINITY;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile q of sorted v[n] by linear interpolation between order statistics (R type 7);
 * INFINITY (a disc that never lost) wins any interpolation it takes part in. */
static double quantile(const double *v, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    double frac = h - (double)lo;
    if (frac == 0 || lo + 1 >= n)
        return v[lo];
    if (isinf(v[lo + 1]))
        return INFINITY;
    return v[lo] + (v[lo + 1] - v[lo]) * frac;
}

struct lt_dist {
    size_t observed;          /* discs that reached the loss within the schedule */
    double median_s, p5_s, p95_s;
};

static void dist_compute(const struct lt_campaign *c, bool half, struct lt_dist *out)
{
    memset(out, 0, sizeof *out);
    out->median_s = out->p5_s = out->p95_s = INFINITY;
    if (!c->ndiscs)
        return;
    double *v = malloc(c->ndiscs * sizeof *v);
    if (!v)
        return;
    uint64_t need = half ? (c->files + 1) / 2 : 1;
    for (size_t i = 0; i < c->ndiscs; i++) {
        v[i] = time_to_loss(c, &c->discs[i], need);
        out->observed += !isinf(v[i]);
    }
    qsort(v, c->ndiscs, sizeof *v, cmp_double);
    out->median_s = quantile(v, c->ndiscs, 0.5);
    out->p5_s = quantile(v, c->ndiscs, 0.05);
    out->p95_s = quantile(v, c->ndiscs, 0.95);
    free(v);
}

/* One step over every disc: mean survival, mean SER, worst of the rest. */
struct lt_step_summary {
    double files_ok, bytes_ok; /* fractions readable, mean over discs */
    /* per layer: ser_mean is the mean over the discs scanned, the rest the worst */
    size_t unmounted, unscanned;
    struct lt_layer_result layer[MEDIUM_LAYER_COUNT];
};

static void step_summary(const struct lt_campaign *c, size_t s, struct lt_step_summary *o)
{
    memset(o, 0, sizeof *o);
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++)
        o->layer[l].margin = 32;
    for (size_t i = 0; i < c->ndiscs; i++) {
        const struct lt_step_result *r = &c->discs[i].steps[s];
        o->files_ok += c->files ? 1 - (double)r->files_lost / (double)c->files : 1;
        o->bytes_ok += c->bytes ? 1 - (double)r->bytes_lost / (double)c->bytes : 1;
        o->unmounted += !r->mounted;
        o->unscanned += !r->scanned;
        for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
            const struct lt_layer_result *a = &r->layer[l];
            struct lt_layer_result *b = &o->layer[l];
            b->clusters += a->clusters;
            b->ser_mean += r->scanned ? a->ser_mean : 0;
            b->ser_worst_zone = fmax(b->ser_worst_zone, a->ser_worst_zone);
            b->max_corrected = a->max_corrected > b->max_corrected ? a->max_corrected
                                                                    : b->max_corrected;
            b->margin = a->margin < b->margin ? a->margin : b->margin;
            b->uncorrectable += a->uncorrectable;
        }
    }
    double n = c->ndiscs ? (double)c->ndiscs : 1;
    double scanned = c->ndiscs > o->unscanned ? (double)(c->ndiscs - o->unscanned) : 1;
    o->files_ok /= n;
    o->bytes_ok /= n;
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++)
        o->layer[l].ser_mean /= scanned;
}

/* ---- text --------------------------------------------------------------------------- */

static void text_dist(FILE *f, const char *what, const struct lt_campaign *c,
                      const struct lt_dist *d)
{
    double last_y = c->nsteps ? c->steps[c->nsteps - 1].t_s / LT_YEAR_S : 0;
    fprintf(f, "%s: %zu of %zu discs within the schedule", what, d->observed, c->ndiscs);
    if (isinf(d->median_s)) {
        fprintf(f, "; median beyond %.6g y\n", last_y);
        return;
    }
    fprintf(f, "; median %.4g y, 5-95 %%: %.4g", d->median_s / LT_YEAR_S, d->p5_s / LT_YEAR_S);
    if (isinf(d->p95_s))
        fprintf(f, " - beyond %.6g y\n", last_y);
    else
        fprintf(f, " - %.4g y\n", d->p95_s / LT_YEAR_S);
}

int lt_report_text(const struct lt_campaign *c, FILE *f)
{
    fprintf(f, "lifetest: profile %s, %llu B per layer, %zu of %llu discs (seeds from %llu)",
            c->profile, (unsigned long long)c->capacity_per_layer, c->ndiscs,
            (unsigned long long)c->discs_total, (unsigned long long)c->seed);
    if (c->shard_n)
        fprintf(f, ", shard %llu/%llu", (unsigned long long)c->shard_k,
                (unsigned long long)c->shard_n);
    fprintf(f, "\ndata set: %llu files, %llu bytes (%s%s%s)\n", (unsigned long long)c->files,
            (unsigned long long)c->bytes, c->data_source, *c->data_path ? " " : "",
            c->data_path);
    fprintf(f, "%9s %6s %5s %8s %8s  %-5s %8s %10s %10s %5s %6s %6s\n", "years", "C", "RH",
            "files_ok", "bytes_ok", "layer", "clusters", "SER_mean", "SER_worst", "maxc",
            "margin", "uncorr");
    for (size_t s = 0; s < c->nsteps; s++) {
        struct lt_step_summary o;
        step_summary(c, s, &o);
        for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
            const struct lt_layer_result *L = &o.layer[l];
            if (l == 0)
                fprintf(f, "%9.4g %6.1f %5.1f %7.2f%% %7.2f%%", c->steps[s].t_s / LT_YEAR_S,
                        c->steps[s].celsius, c->steps[s].rh, 100 * o.files_ok,
                        100 * o.bytes_ok);
            else
                fprintf(f, "%9s %6s %5s %8s %8s", "", "", "", "", "");
            fprintf(f, "  %-5s %8llu %10.3e %10.3e %5u %6d %6llu\n", layer_names[l],
                    (unsigned long long)L->clusters, L->ser_mean, L->ser_worst_zone,
                    L->max_corrected, L->margin, (unsigned long long)L->uncorrectable);
        }
        if (o.unmounted)
            fprintf(f, "%9s the filesystem did not mount on %zu disc(s): every file lost\n",
                    "", o.unmounted);
        if (o.unscanned)
            fprintf(f, "%9s the sector layer did not open on %zu disc(s): no cluster read\n",
                    "", o.unscanned);
    }
    struct lt_dist d;
    dist_compute(c, false, &d);
    text_dist(f, "time to first file lost", c, &d);
    dist_compute(c, true, &d);
    text_dist(f, "time to 50 % of files lost", c, &d);
    fprintf(f, "format limit: SER %.0e (LDC symbol errors per symbol)\n",
            PHASECTL_FORMAT_SER_LIMIT);
    return ferror(f) ? -EIO : 0;
}

/* ---- JSON --------------------------------------------------------------------------- */

/* The shortest of %.15g / %.17g that reads back as the same double, so a merged
 * report recomputes exactly what the shards computed; null for infinity and NaN. */
static void json_double(FILE *f, double x)
{
    if (!isfinite(x)) {
        fputs("null", f);
        return;
    }
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", x);
    if (strtod(buf, NULL) != x)
        snprintf(buf, sizeof buf, "%.17g", x);
    fputs(buf, f);
}

static void json_dist(FILE *f, const char *key, const struct lt_dist *d)
{
    fprintf(f, "    \"%s\": {\"observed\": %zu, \"median_s\": ", key, d->observed);
    json_double(f, d->median_s);
    fputs(", \"p5_s\": ", f);
    json_double(f, d->p5_s);
    fputs(", \"p95_s\": ", f);
    json_double(f, d->p95_s);
    fputs("}", f);
}

static void json_layer(FILE *f, unsigned l, const struct lt_layer_result *L)
{
    fprintf(f, "{\"layer\": \"%s\", \"clusters\": %llu, \"ser_mean\": ", layer_names[l],
            (unsigned long long)L->clusters);
    json_double(f, L->ser_mean);
    fputs(", \"ser_worst_zone\": ", f);
    json_double(f, L->ser_worst_zone);
    fprintf(f, ", \"max_corrected\": %u, \"margin\": %d, \"uncorrectable\": %llu}",
            L->max_corrected, L->margin, (unsigned long long)L->uncorrectable);
}

int lt_report_json(const struct lt_campaign *c, FILE *f)
{
    fprintf(f, "{\n  \"format_version\": %d,\n  \"tool\": \"phasectl lifetest\",\n",
            PHASECTL_LIFETEST_FORMAT_VERSION);
    fputs("  \"campaign\": {\"profile\": ", f);
    tool_json_string(f, c->profile);
    fprintf(f, ", \"capacity_per_layer\": %llu, \"seed\": %llu, \"discs\": %llu,\n",
            (unsigned long long)c->capacity_per_layer, (unsigned long long)c->seed,
            (unsigned long long)c->discs_total);
    fputs("    \"data\": {\"source\": ", f);
    tool_json_string(f, c->data_source);
    fputs(", \"path\": ", f);
    tool_json_string(f, c->data_path);
    fprintf(f, ", \"files\": %llu, \"bytes\": %llu},\n    \"ser_limit\": ",
            (unsigned long long)c->files, (unsigned long long)c->bytes);
    json_double(f, PHASECTL_FORMAT_SER_LIMIT);
    fputs(",\n    \"schedule\": [", f);
    for (size_t s = 0; s < c->nsteps; s++) {
        fputs(s ? ",\n      {\"t_s\": " : "\n      {\"t_s\": ", f);
        json_double(f, c->steps[s].t_s);
        fputs(", \"celsius\": ", f);
        json_double(f, c->steps[s].celsius);
        fputs(", \"rh\": ", f);
        json_double(f, c->steps[s].rh);
        fputs("}", f);
    }
    fputs("\n    ]},\n  \"shard\": ", f);
    if (c->shard_n)
        fprintf(f, "{\"k\": %llu, \"n\": %llu}", (unsigned long long)c->shard_k,
                (unsigned long long)c->shard_n);
    else
        fputs("null", f);
    fputs(",\n  \"discs\": [", f);
    for (size_t i = 0; i < c->ndiscs; i++) {
        const struct lt_disc *d = &c->discs[i];
        fprintf(f, "%s\n    {\"index\": %llu, \"seed\": %llu, \"first_loss_s\": ", i ? "," : "",
                (unsigned long long)d->index, (unsigned long long)d->seed);
        json_double(f, time_to_loss(c, d, 1));
        fputs(", \"half_loss_s\": ", f);
        json_double(f, time_to_loss(c, d, (c->files + 1) / 2));
        fputs(", \"steps\": [", f);
        for (size_t s = 0; s < c->nsteps; s++) {
            const struct lt_step_result *r = &d->steps[s];
            fprintf(f, "%s\n      {\"mounted\": %s, \"mount_error\": %d, \"scanned\": %s, "
                    "\"files_lost\": %llu, \"bytes_lost\": %llu, \"xattr_mismatch\": %llu, "
                    "\"layers\": [",
                    s ? "," : "", r->mounted ? "true" : "false", r->mount_error,
                    r->scanned ? "true" : "false",
                    (unsigned long long)r->files_lost, (unsigned long long)r->bytes_lost,
                    (unsigned long long)r->xattr_mismatch);
            for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
                fputs(l ? ", " : "", f);
                json_layer(f, l, &r->layer[l]);
            }
            fputs("]}", f);
        }
        fputs("\n    ]}", f);
    }
    fputs("\n  ],\n  \"summary\": {\n", f);
    struct lt_dist dist;
    dist_compute(c, false, &dist);
    json_dist(f, "first_loss", &dist);
    fputs(",\n", f);
    dist_compute(c, true, &dist);
    json_dist(f, "half_loss", &dist);
    fputs(",\n    \"steps\": [", f);
    for (size_t s = 0; s < c->nsteps; s++) {
        struct lt_step_summary o;
        step_summary(c, s, &o);
        fputs(s ? ",\n      {\"t_s\": " : "\n      {\"t_s\": ", f);
        json_double(f, c->steps[s].t_s);
        fputs(", \"files_ok\": ", f);
        json_double(f, o.files_ok);
        fputs(", \"bytes_ok\": ", f);
        json_double(f, o.bytes_ok);
        fputs(", \"layers\": [", f);
        for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
            fputs(l ? ", " : "", f);
            json_layer(f, l, &o.layer[l]);
        }
        fputs("]}", f);
    }
    fputs("\n    ]\n  }\n}\n", f);
    return ferror(f) ? -EIO : 0;
}

/* ---- CSV ---------------------------------------------------------------------------- */

int lt_report_csv(const struct lt_campaign *c, FILE *f)
{
    fputs("disc,seed,t_s,years,celsius,rh,mounted,scanned,files,files_lost,bytes,bytes_lost,"
          "xattr_mismatch,layer,clusters,ser_mean,ser_worst_zone,max_corrected,margin,"
          "uncorrectable\n", f);
    for (size_t i = 0; i < c->ndiscs; i++) {
        const struct lt_disc *d = &c->discs[i];
        for (size_t s = 0; s < c->nsteps; s++) {
            const struct lt_step_result *r = &d->steps[s];
            for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
                const struct lt_layer_result *L = &r->layer[l];
                fprintf(f, "%llu,%llu,%.17g,%.9g,%.9g,%.9g,%d,%d,%llu,%llu,%llu,%llu,%llu,%s,"
                        "%llu,%.9g,%.9g,%u,%d,%llu\n",
                        (unsigned long long)d->index, (unsigned long long)d->seed,
                        c->steps[s].t_s, c->steps[s].t_s / LT_YEAR_S, c->steps[s].celsius,
                        c->steps[s].rh, r->mounted, r->scanned, (unsigned long long)c->files,
                        (unsigned long long)r->files_lost, (unsigned long long)c->bytes,
                        (unsigned long long)r->bytes_lost,
                        (unsigned long long)r->xattr_mismatch, layer_names[l],
                        (unsigned long long)L->clusters, L->ser_mean, L->ser_worst_zone,
                        L->max_corrected, L->margin, (unsigned long long)L->uncorrectable);
            }
        }
    }
    return ferror(f) ? -EIO : 0;
}

/* ---- writing reports ---------------------------------------------------------------- */

static int write_one(const struct lt_campaign *c, const char *path,
                     int (*render)(const struct lt_campaign *, FILE *))
{
    if (!strcmp(path, "-")) {
        int rc = render(c, stdout);
        return rc < 0 || fflush(stdout) ? -EIO : 0;
    }
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return -ENAMETOOLONG;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -errno;
    int rc = render(c, f);
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0)
        unlink(tmp);
    return rc;
}

int lt_reports_write(const struct lt_campaign *c, const char *json_path, const char *csv_path,
                     bool quiet)
{
    int rc;
    if (json_path && (rc = write_one(c, json_path, lt_report_json)) < 0) {
        tool_error(json_path, "cannot write the JSON report: %s", strerror(-rc));
        return PHASECTL_EXIT_MEDIUM;
    }
    if (csv_path && (rc = write_one(c, csv_path, lt_report_csv)) < 0) {
        tool_error(csv_path, "cannot write the CSV report: %s", strerror(-rc));
        return PHASECTL_EXIT_MEDIUM;
    }
    bool stdout_used = (json_path && !strcmp(json_path, "-")) ||
                       (csv_path && !strcmp(csv_path, "-"));
    if (!quiet && !stdout_used && lt_report_text(c, stdout) < 0)
        return PHASECTL_EXIT_MEDIUM;
    return PHASECTL_EXIT_OK;
}

/* ---- merge -------------------------------------------------------------------------- */

static void merge_usage(FILE *f)
{
    fprintf(f, "Usage: phasectl lifetest merge [--json FILE] [--csv FILE] [-q] SHARD.json...\n"
               "Combine the JSON reports of 'phasectl lifetest --shard K/N' runs of one\n"
               "campaign into one report (the same as a run of every disc at once).\n");
}

/* Field readers: each returns false when the key is missing or of the wrong type. */
static bool get_u64(json_object *o, const char *key, uint64_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int) ||
        json_object_get_int64(v) < 0)
        return false;
    *out = json_object_get_uint64(v); /* seeds reach 2^64 - 1: int64 would clamp them */
    return true;
}

static bool get_double(json_object *o, const char *key, double *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
        return false;
    *out = json_object_get_double(v);
    return true;
}

static bool get_string(json_object *o, const char *key, char *out, size_t cap)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string) ||
        (size_t)json_object_get_string_len(v) >= cap)
        return false;
    memcpy(out, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
    return true;
}

static json_object *get_array(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
        return NULL;
    return v;
}

static bool read_campaign(json_object *root, struct lt_campaign *c)
{
    json_object *camp, *data, *sched;
    if (!json_object_object_get_ex(root, "campaign", &camp) ||
        !json_object_object_get_ex(camp, "data", &data) || !(sched = get_array(camp, "schedule")))
        return false;
    if (!get_string(camp, "profile", c->profile, sizeof c->profile) ||
        !get_u64(camp, "capacity_per_layer", &c->capacity_per_layer) ||
        !get_u64(camp, "seed", &c->seed) || !get_u64(camp, "discs", &c->discs_total) ||
        !get_string(data, "source", c->data_source, sizeof c->data_source) ||
        !get_string(data, "path", c->data_path, sizeof c->data_path) ||
        !get_u64(data, "files", &c->files) || !get_u64(data, "bytes", &c->bytes))
        return false;
    c->nsteps = json_object_array_length(sched);
    if (!c->nsteps || !(c->steps = calloc(c->nsteps, sizeof *c->steps)))
        return false;
    for (size_t s = 0; s < c->nsteps; s++) {
        json_object *st = json_object_array_get_idx(sched, s);
        if (!get_double(st, "t_s", &c->steps[s].t_s) ||
            !get_double(st, "celsius", &c->steps[s].celsius) ||
            !get_double(st, "rh", &c->steps[s].rh))
            return false;
    }
    return true;
}

static bool read_disc(json_object *o, size_t nsteps, struct lt_disc *d)
{
    json_object *steps = get_array(o, "steps");
    if (!get_u64(o, "index", &d->index) || !get_u64(o, "seed", &d->seed) || !steps ||
        json_object_array_length(steps) != nsteps ||
        !(d->steps = calloc(nsteps, sizeof *d->steps)))
        return false;
    for (size_t s = 0; s < nsteps; s++) {
        json_object *st = json_object_array_get_idx(steps, s), *m, *sc, *me, *layers;
        struct lt_step_result *r = &d->steps[s];
        if (!json_object_object_get_ex(st, "mounted", &m) ||
            !json_object_is_type(m, json_type_boolean) ||
            !json_object_object_get_ex(st, "scanned", &sc) ||
            !json_object_is_type(sc, json_type_boolean) ||
            !json_object_object_get_ex(st, "mount_error", &me) ||
            !json_object_is_type(me, json_type_int) ||
            !get_u64(st, "files_lost", &r->files_lost) ||
            !get_u64(st, "bytes_lost", &r->bytes_lost) ||
            !get_u64(st, "xattr_mismatch", &r->xattr_mismatch) ||
            !(layers = get_array(st, "layers")) ||
            json_object_array_length(layers) != MEDIUM_LAYER_COUNT)
            return false;
        r->mounted = json_object_get_boolean(m);
        r->scanned = json_object_get_boolean(sc);
        r->mount_error = json_object_get_int(me);
        for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
            json_object *L = json_object_array_get_idx(layers, l);
            struct lt_layer_result *x = &r->layer[l];
            uint64_t maxc;
            json_object *mg;
            if (!get_u64(L, "clusters", &x->clusters) || !get_double(L, "ser_mean", &x->ser_mean) ||
                !get_double(L, "ser_worst_zone", &x->ser_worst_zone) ||
                !get_u64(L, "max_corrected", &maxc) || maxc > UINT32_MAX ||
                !json_object_object_get_ex(L, "margin", &mg) ||
                !json_object_is_type(mg, json_type_int) ||
                !get_u64(L, "uncorrectable", &x->uncorrectable))
                return false;
            x->max_corrected = (uint32_t)maxc;
            x->margin = (int32_t)json_object_get_int(mg);
        }
    }
    return true;
}

static int cmp_disc(const void *a, const void *b)
{
    uint64_t x = ((const struct lt_disc *)a)->index, y = ((const struct lt_disc *)b)->index;
    return (x > y) - (x < y);
}

int lt_merge_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", required_argument, NULL, 'j'}, {"csv", required_argument, NULL, 'c'},
        {"quiet", no_argument, NULL, 'q'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *json_path = NULL, *csv_path = NULL;
    bool quiet = false;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': json_path = optarg; break;
        case 'c': csv_path = optarg; break;
        case 'q': quiet = true; break;
        case 'h': merge_usage(stdout); return PHASECTL_EXIT_OK;
        default: merge_usage(stderr); return PHASECTL_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        merge_usage(stderr);
        return PHASECTL_EXIT_USAGE;
    }
    struct lt_campaign camp;
    memset(&camp, 0, sizeof camp);
    json_object *first_campaign = NULL;
    int ex = PHASECTL_EXIT_USAGE;
    for (int i = optind; i < argc; i++) {
        const char *path = argv[i];
        json_object *root = json_object_from_file(path), *cj = NULL, *discs;
        uint64_t version;
        char tool[64];
        if (!root) {
            const char *why = json_util_get_last_err();
            int len = why ? (int)strcspn(why, "\n") : 0; /* json-c ends it with a newline */
            tool_error(path, "not a readable JSON report: %.*s", len, why ? why : "");
            goto out;
        }
        if (!get_u64(root, "format_version", &version) ||
            !get_string(root, "tool", tool, sizeof tool) || strcmp(tool, "phasectl lifetest") ||
            !json_object_object_get_ex(root, "campaign", &cj) ||
            !(discs = get_array(root, "discs"))) {
            tool_error(path, "not a phasectl lifetest report");
            json_object_put(root);
            goto out;
        }
        if (version != PHASECTL_LIFETEST_FORMAT_VERSION) {
            tool_error(path, "report format_version %llu; this phasectl reads %d",
                       (unsigned long long)version, PHASECTL_LIFETEST_FORMAT_VERSION);
            json_object_put(root);
            goto out;
        }
        if (!first_campaign) {
            if (!read_campaign(root, &camp)) {
                tool_error(path, "the report's campaign is incomplete or malformed");
                json_object_put(root);
                goto out;
            }
            first_campaign = json_object_get(cj);
        } else if (!json_object_equal(first_campaign, cj)) {
            tool_error(path, "a shard of another campaign (profile, data set, schedule, "
                       "seed or discs differ from %s)", argv[optind]);
            json_object_put(root);
            goto out;
        }
        size_t n = json_object_array_length(discs);
        struct lt_disc *g = realloc(camp.discs, (camp.ndiscs + n + 1) * sizeof *g);
        if (!g) {
            tool_error(path, "out of memory");
            json_object_put(root);
            goto out;
        }
        camp.discs = g;
        for (size_t k = 0; k < n; k++) {
            struct lt_disc *d = &camp.discs[camp.ndiscs];
            memset(d, 0, sizeof *d);
            camp.ndiscs++;
            if (!read_disc(json_object_array_get_idx(discs, k), camp.nsteps, d)) {
                tool_error(path, "disc %zu of the report is malformed", k + 1);
                json_object_put(root);
                goto out;
            }
        }
        json_object_put(root);
    }
    qsort(camp.discs, camp.ndiscs, sizeof *camp.discs, cmp_disc);
    for (size_t i = 0; i < camp.ndiscs; i++) {
        if (i && camp.discs[i].index == camp.discs[i - 1].index) {
            tool_error(NULL, "disc %llu appears in two shards; give each shard once",
                       (unsigned long long)camp.discs[i].index);
            goto out;
        }
    }
    if (camp.ndiscs != camp.discs_total ||
        (camp.ndiscs && camp.discs[camp.ndiscs - 1].index != camp.discs_total - 1)) {
        uint64_t missing = 0;
        for (size_t i = 0; i < camp.ndiscs && camp.discs[i].index == missing; i++)
            missing++;
        tool_error(NULL, "the shards hold %zu of the campaign's %llu discs (disc %llu is "
                   "missing); give every shard; no report was written", camp.ndiscs,
                   (unsigned long long)camp.discs_total, (unsigned long long)missing);
        goto out;
    }
    ex = lt_reports_write(&camp, json_path, csv_path, quiet);
out:
    json_object_put(first_campaign);
    lt_campaign_free(&camp);
    return ex;
}
