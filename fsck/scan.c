/*
 * scan.c — the layer-health surface scan of fsck.phasefs (DESIGN.md "Tools": fsck).
 *
 * Opens the medium and the sector layer read-only (no write reaches the image, not even
 * read counters), reads every written logical cluster through sector_read with its
 * retries, and keeps per cluster what the decode found (physics.md §3.2) together with
 * the medium's facts (cycles, equivalent age, retention loss, radius). From those it
 * builds per layer and per radius zone the symbol error rate, margins, wear
 * percentiles (§4.3), ages and a retention projection (§4.1), and a verdict.
 * It does not look at files: the owner hook of struct fsck_scan_options names them.
 * Invariants:
 *  (1) The result does not depend on the number of threads: each cluster's reads draw
 *      noise keyed by that cluster alone, and totals are summed after the scan.
 *  (2) Nothing here writes: both handles are read-only.
 */
#include "fsck.h"
#include "tool.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define YEAR_S 31557600.0
#define CHUNK 8u
#define LDC_SYMBOLS_PER_CLUSTER ((double)SECTOR_LDC_CODEWORDS * SECTOR_LDC_N)

static const char *const layer_names[MEDIUM_LAYER_COUNT] = {"far", "near"};

/* ---- reading ------------------------------------------------------------------------ */

struct scan_ctx {
    struct medium *m;
    struct sector_dev *dev;
    struct fsck_cluster *cl;
    uint64_t n;
    atomic_uint_fast64_t next;
    atomic_uint_fast64_t done;
    atomic_uint_fast64_t bytes;
    atomic_int error;          /* first fatal error (negative errno) */
    volatile sig_atomic_t *cancel;
    struct tool_progress *progress; /* updated by the calling thread only */
};

/* Radius of a cluster whose table entry is corrupt: the medium lays clusters out at
 * equal area over the data zone, 24-58 mm (physics.md §3.1). */
static double radius_by_index(uint64_t index, uint64_t per_layer)
{
    double s = ((double)index + 0.5) / (double)(per_layer ? per_layer : 1);
    double r0 = SECTOR_ZONE_R_IN_MM, r1 = SECTOR_ZONE_R_OUT_MM;
    return sqrt(r0 * r0 + s * (r1 * r1 - r0 * r0));
}

static int scan_one(struct scan_ctx *x, uint64_t lcn, uint8_t *buf)
{
    struct fsck_cluster *c = &x->cl[lcn];
    struct sector_address a;
    struct medium_cluster_info info;
    struct sector_read_report rep;

    memset(c, 0, sizeof *c);
    c->lcn = lcn;
    c->margin = (int8_t)SECTOR_RS_PARITY;
    int rc = sector_locate(x->dev, lcn, &a);
    if (rc < 0)
        return rc;
    c->layer = (uint8_t)a.layer;
    c->phys = a.physical_cluster;
    rc = medium_cluster_info(x->m, a.layer, a.physical_cluster, &info);
    if (rc == -EUCLEAN) {
        c->state = FSCK_CLUSTER_CORRUPT_ENTRY;
        c->margin = -1;
        c->radius_mm = radius_by_index(a.physical_cluster, medium_layer_clusters(x->m));
        return 0;
    }
    if (rc < 0)
        return rc;
    c->radius_mm = info.radius_mm;
    if (!info.written)
        return 0;
    c->cycles = info.cycles;
    c->age_equiv_s = info.age_equiv_s;
    c->retention_loss = info.retention_loss;

    rc = sector_read(x->dev, lcn, buf, &rep);
    atomic_fetch_add(&x->bytes, (uint_fast64_t)rep.reads * MEDIUM_CLUSTER_BYTES);
    c->retries = (uint16_t)(rep.retries > UINT16_MAX ? UINT16_MAX : rep.retries);
    const struct sector_decode_report *d = &rep.decode;
    c->symbols = d->symbols_corrected;
    c->erasures = d->erasures_used;
    c->bis = d->bis_symbols_corrected;
    c->bursts = d->bursts_flagged;
    c->max_corrected = (uint8_t)(d->max_corrected > 255 ? 255 : d->max_corrected);
    for (unsigned b = 0; b < SECTOR_HIST_BUCKETS; b++)
        c->hist[b] = (uint16_t)(d->hist[b] > UINT16_MAX ? UINT16_MAX : d->hist[b]);
    if (rc == 0) {
        if (rep.blank) { /* written per the table, yet blank: nothing to judge */
            memset(c->hist, 0, sizeof c->hist);
            return 0;
        }
        c->state = FSCK_CLUSTER_OK;
        c->margin = (int8_t)(rep.margin < 0 ? 0 : rep.margin > 32 ? 32 : rep.margin);
        return 0;
    }
    if (rc == -EIO && (rep.uncorrectable || rep.medium_error == -EUCLEAN)) {
        c->state = rep.uncorrectable ? FSCK_CLUSTER_UNCORRECTABLE : FSCK_CLUSTER_CORRUPT_ENTRY;
        c->margin = -1;
        return 0;
    }
    return rc == -EIO && rep.medium_error ? rep.medium_error : rc;
}

static void *scan_worker(void *arg)
{
    struct scan_ctx *x = arg;
    uint8_t *buf = malloc(SECTOR_CLUSTER_USER_BYTES);
    if (!buf) {
        int zero = 0;
        atomic_compare_exchange_strong(&x->error, &zero, -ENOMEM);
        return NULL;
    }
    for (;;) {
        if (atomic_load(&x->error) || (x->cancel && *x->cancel))
            break;
        uint64_t first = atomic_fetch_add(&x->next, CHUNK);
        if (first >= x->n)
            break;
        uint64_t end = first + CHUNK < x->n ? first + CHUNK : x->n;
        for (uint64_t lcn = first; lcn < end; lcn++) {
            int rc = scan_one(x, lcn, buf);
            if (rc < 0) {
                int zero = 0;
                atomic_compare_exchange_strong(&x->error, &zero, rc);
                break;
            }
        }
        uint64_t done = atomic_fetch_add(&x->done, end - first) + (end - first);
        if (x->progress)
            tool_progress_update(x->progress, done);
    }
    free(buf);
    return NULL;
}

/* ---- summaries ---------------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least p % of the values at or below it. */
static size_t rank_of(size_t n, double p)
{
    size_t r = (size_t)ceil(p / 100.0 * (double)n);
    return r ? r - 1 : 0;
}

static unsigned zone_of(double r_mm)
{
    double w = (SECTOR_ZONE_R_OUT_MM - SECTOR_ZONE_R_IN_MM) / SECTOR_ZONES;
    double z = floor((r_mm - SECTOR_ZONE_R_IN_MM) / w);
    if (!(z >= 0))
        return 0;
    return z >= SECTOR_ZONES ? SECTOR_ZONES - 1 : (unsigned)z;
}

static void zone_init(struct fsck_zone *z, double r0, double r1)
{
    memset(z, 0, sizeof *z);
    z->r_inner_mm = r0;
    z->r_outer_mm = r1;
    z->min_margin = (int32_t)SECTOR_RS_PARITY;
}

static void zone_add(struct fsck_zone *z, const struct fsck_cluster *c)
{
    z->clusters++;
    z->retries += c->retries;
    z->bis += c->bis;
    z->bursts += c->bursts;
    z->erasures += c->erasures;
    for (unsigned b = 0; b < SECTOR_HIST_BUCKETS; b++)
        z->hist[b] += c->hist[b];
    if (c->state != FSCK_CLUSTER_OK) {
        z->uncorrectable++;
        z->min_margin = -1;
        return;
    }
    z->decoded++;
    z->symbols += c->symbols;
    if (c->max_corrected > z->max_corrected)
        z->max_corrected = c->max_corrected;
    if (c->margin < z->min_margin)
        z->min_margin = c->margin;
    z->weak += c->margin < FSCK_WEAK_MARGIN;
}

static void zone_finish(struct fsck_zone *z)
{
    z->ser = z->decoded ? (double)z->symbols / ((double)z->decoded * LDC_SYMBOLS_PER_CLUSTER) : 0;
}

/* ---- projection (documented in fsck.phasefs(8), "PROJECTION") ------------------------ */

/* Probability that a byte symbol holds at least one crystallized mark at loss f. */
static double symbol_loss(double f)
{
    return -expm1(8.0 * log1p(-FSCK_MARK_FRACTION * fmin(f, 1.0)));
}

/* Seconds at temp_c after which the layer's retention loss reaches target: bisection in
 * log time over the model (monotone in time). INFINITY if never within 1e40 s. */
static double time_to_loss(const struct medium *m, unsigned layer, double target, double temp_c)
{
    double lo = -6.0, hi = 40.0;
    if (!(medium_retention_loss(m, layer, pow(10.0, hi), temp_c) >= target))
        return INFINITY;
    if (medium_retention_loss(m, layer, pow(10.0, lo), temp_c) >= target)
        return 0.0;
    for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
        double mid = 0.5 * (lo + hi);
        if (medium_retention_loss(m, layer, pow(10.0, mid), temp_c) >= target)
            hi = mid;
        else
            lo = mid;
    }
    return pow(10.0, hi);
}

static void project(const struct medium *m, struct fsck_layer *L, double profile_temp_c,
                    bool any_bad)
{
    static const double temps[FSCK_PROJECTION_TEMPS - 1] = {25.0, 40.0, 60.0};
    for (unsigned i = 0; i < FSCK_PROJECTION_TEMPS; i++) {
        L->proj[i].temp_c = i == 0 ? profile_temp_c : temps[i - 1];
        L->proj[i].profile = i == 0;
        L->proj[i].years = NAN;
    }
    if (any_bad) {
        for (unsigned i = 0; i < FSCK_PROJECTION_TEMPS; i++)
            L->proj[i].years = 0.0;
        return;
    }
    if (!L->have_worst)
        return;
    /* errors the worst codeword can still take: 2(e + k) + s > 32 once 2k > margin */
    double k = floor(L->worst_margin / 2.0) + 1.0;
    double q_target = symbol_loss(L->worst_loss) + k / SECTOR_LDC_N;
    double f_target = q_target >= 1.0 ? INFINITY
                                      : -expm1(log1p(-q_target) / 8.0) / FSCK_MARK_FRACTION;
    /* equivalent seconds at 25 C that reach f_target, and the model's own time scale
     * at each temperature: the ratio of the times to the median loss */
    double t_target = f_target > 1.0 ? INFINITY : time_to_loss(m, L->layer, f_target, 25.0);
    double t_med25 = time_to_loss(m, L->layer, 0.5, 25.0);
    /* the stack's T + RH damage (physics.md §9.5) may end the layer first: the time at
     * which it alone lifts the worst zone to the format limit, at the profile's humidity */
    const double rh = medium_profile_get(m)->humidity_pct;
    for (unsigned i = 0; i < FSCK_PROJECTION_TEMPS; i++) {
        double t_med = time_to_loss(m, L->layer, 0.5, L->proj[i].temp_c);
        double scale = t_med25 > 0 && isfinite(t_med25) && t_med > 0 ? t_med / t_med25 : NAN;
        double years = (t_target - L->worst_age_s) * scale / YEAR_S;
        double env = medium_env_time_to_ser(m, L->layer, FSCK_SER_LIMIT, L->proj[i].temp_c, rh);
        if (!isnan(env))
            years = isnan(years) ? env / YEAR_S : fmin(years, env / YEAR_S);
        if (isnan(years) || years > FSCK_YEARS_CAP)
            years = INFINITY;
        L->proj[i].years = years < 0 ? 0.0 : years;
    }
}

/* ---- verdict ------------------------------------------------------------------------- */

static void reason(struct fsck_layer *L, enum fsck_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reason(struct fsck_layer *L, enum fsck_verdict v, const char *fmt, ...)
{
    if (v > L->verdict) {
        L->verdict = v;
        L->reason_count = 0; /* list only the reasons of the verdict given */
    } else if (v < L->verdict) {
        return;
    }
    if (L->reason_count >= FSCK_REASONS_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(L->reasons[L->reason_count++], FSCK_REASON_LEN, fmt, ap);
    va_end(ap);
}

static void judge(struct fsck_layer *L)
{
    const struct fsck_zone *t = &L->total;
    L->verdict = FSCK_VERDICT_GOOD;
    L->reason_count = 0;
    double years = L->proj[0].years;
    /* failing */
    if (t->uncorrectable)
        reason(L, FSCK_VERDICT_FAILING, "%llu uncorrectable cluster%s",
               (unsigned long long)t->uncorrectable, t->uncorrectable == 1 ? "" : "s");
    if (t->decoded && L->ser_window_max >= FSCK_SER_LIMIT)
        reason(L, FSCK_VERDICT_FAILING, "symbol error rate %.2e at or above the format limit %.0e",
               L->ser_window_max, FSCK_SER_LIMIT);
    if (t->decoded && !t->uncorrectable && t->min_margin <= FSCK_MARGIN_FAILING)
        reason(L, FSCK_VERDICT_FAILING, "margin %d at or below %d", (int)t->min_margin,
               FSCK_MARGIN_FAILING);
    if (L->spares_total && L->spares_left == 0)
        reason(L, FSCK_VERDICT_FAILING, "no spare cluster left");
    if (!t->uncorrectable && isfinite(years) && years < FSCK_YEARS_FAILING)
        reason(L, FSCK_VERDICT_FAILING, "first loss projected in %.2g years at %.0f C, under %.0f",
               years, L->proj[0].temp_c, FSCK_YEARS_FAILING);
    /* degrading */
    if (t->decoded && L->ser_window_max >= FSCK_SER_DEGRADING)
        reason(L, FSCK_VERDICT_DEGRADING, "symbol error rate %.2e at or above %.0e",
               L->ser_window_max, FSCK_SER_DEGRADING);
    if (t->decoded && t->min_margin < FSCK_MARGIN_DEGRADING)
        reason(L, FSCK_VERDICT_DEGRADING, "margin %d below %d", (int)t->min_margin,
               FSCK_MARGIN_DEGRADING);
    if (L->written && L->n0_cycles > 0 && L->cycles_max >= L->n0_cycles)
        reason(L, FSCK_VERDICT_DEGRADING, "most-worn cluster %u cycles, at or past N0 = %.0f",
               L->cycles_max, L->n0_cycles);
    if (L->spares_total &&
        (double)L->spares_used >= FSCK_SPARES_DEGRADING * (double)L->spares_total)
        reason(L, FSCK_VERDICT_DEGRADING, "%llu of %llu spare clusters used",
               (unsigned long long)L->spares_used, (unsigned long long)L->spares_total);
    if (isfinite(years) && years < FSCK_YEARS_DEGRADING)
        reason(L, FSCK_VERDICT_DEGRADING, "first loss projected in %.2g years at %.0f C, under %.0f",
               years, L->proj[0].temp_c, FSCK_YEARS_DEGRADING);
}

const char *fsck_verdict_name(enum fsck_verdict v)
{
    switch (v) {
    case FSCK_VERDICT_GOOD: return "good";
    case FSCK_VERDICT_DEGRADING: return "degrading";
    default: return "failing";
    }
}

int fsck_health_exit(const struct fsck_health *h)
{
    int rc = FSCK_EXIT_OK;
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++)
        if (h->layer[l].verdict == FSCK_VERDICT_FAILING)
            rc |= FSCK_EXIT_UNCORRECTED;
    if (!h->complete)
        rc |= FSCK_EXIT_CANCELLED;
    return rc;
}

/* ---- one layer from the cluster records --------------------------------------------- */

static int summarise_layer(const struct medium *m, struct fsck_health *h, unsigned l,
                           const struct sector_stats *st)
{
    struct fsck_layer *L = &h->layer[l];
    const double w = (SECTOR_ZONE_R_OUT_MM - SECTOR_ZONE_R_IN_MM) / SECTOR_ZONES;
    L->layer = l;
    zone_init(&L->total, SECTOR_ZONE_R_IN_MM, SECTOR_ZONE_R_OUT_MM);
    for (unsigned z = 0; z < SECTOR_ZONES; z++)
        zone_init(&L->zone[z], SECTOR_ZONE_R_IN_MM + z * w, SECTOR_ZONE_R_IN_MM + (z + 1) * w);
    const struct sector_layer_stats *s = &st->layer[l];
    L->user_clusters = s->user_clusters;
    L->spares_used = s->spares_used;
    L->spares_left = s->spares_left;
    L->spares_total = s->isa_clusters + s->osa_clusters;
    L->spares_bad = s->spares_bad;
    L->defects = s->defects;

    size_t count = 0;
    for (uint64_t i = 0; i < h->logical_clusters; i++)
        count += h->clusters[i].layer == l && h->clusters[i].state != FSCK_CLUSTER_UNWRITTEN;
    uint32_t *cycles = malloc((count ? count : 1) * sizeof *cycles);
    double *ages = malloc((count ? count : 1) * sizeof *ages);
    /* the window of FSCK_SER_WINDOW decoded clusters along the track (LCN order) */
    uint64_t *win = malloc(FSCK_SER_WINDOW * sizeof *win);
    if (!cycles || !ages || !win) {
        free(cycles);
        free(ages);
        free(win);
        return -ENOMEM;
    }
    size_t k = 0, wn = 0, wpos = 0;
    uint64_t wsum = 0;
    bool any_bad = false;
    L->ser_window_max = 0;
    for (uint64_t i = 0; i < h->logical_clusters; i++) {
        const struct fsck_cluster *c = &h->clusters[i];
        if (c->layer != l || c->state == FSCK_CLUSTER_UNWRITTEN)
            continue;
        zone_add(&L->total, c);
        zone_add(&L->zone[zone_of(c->radius_mm)], c);
        cycles[k] = c->cycles;
        ages[k] = c->age_equiv_s;
        k++;
        if (c->state != FSCK_CLUSTER_OK) {
            any_bad = true;
            continue;
        }
        if (wn == FSCK_SER_WINDOW)
            wsum -= win[wpos];
        else
            wn++;
        win[wpos] = c->symbols;
        wsum += c->symbols;
        wpos = (wpos + 1) % FSCK_SER_WINDOW;
        double ser = (double)wsum / ((double)wn * LDC_SYMBOLS_PER_CLUSTER);
        if (wn == FSCK_SER_WINDOW && ser > L->ser_window_max)
            L->ser_window_max = ser;
        /* worst cluster: lowest margin, then the most retention loss, then first LCN */
        if (!L->have_worst || c->margin < L->worst_margin ||
            (c->margin == L->worst_margin && c->retention_loss > L->worst_loss)) {
            L->have_worst = true;
            L->worst_lcn = c->lcn;
            L->worst_margin = c->margin;
            L->worst_loss = c->retention_loss;
            L->worst_age_s = c->age_equiv_s;
        }
    }
    free(win);
    zone_finish(&L->total);
    if (wn < FSCK_SER_WINDOW) /* a layer shorter than one window: the whole layer's */
        L->ser_window_max = L->total.ser;
    for (unsigned z = 0; z < SECTOR_ZONES; z++)
        zone_finish(&L->zone[z]);
    L->written = k;
    if (k) {
        qsort(cycles, k, sizeof *cycles, cmp_u32);
        qsort(ages, k, sizeof *ages, cmp_double);
        L->cycles_min = cycles[0];
        L->cycles_median = cycles[rank_of(k, 50)];
        L->cycles_p99 = cycles[rank_of(k, 99)];
        L->cycles_max = cycles[k - 1];
        L->age_median_s = ages[rank_of(k, 50)];
        L->age_max_s = ages[k - 1];
    }
    free(cycles);
    free(ages);
    project(m, L, h->temperature_c, any_bad);
    judge(L);
    return 0;
}

/* ---- the scan ------------------------------------------------------------------------- */

static int open_error(const char *image, int rc)
{
    switch (-rc) {
    case EBUSY:
        tool_image_busy(image, true);
        break;
    case ENOENT:
        tool_error(image, "no such image; check the path");
        break;
    case EUCLEAN:
        tool_error(image, "%s; the layers cannot be scanned", tool_strerror(rc));
        break;
    case EPROTO:
        tool_error(image, "%s; use the phasefs version that created it", tool_strerror(rc));
        break;
    case EACCES:
    case EPERM:
        tool_error(image, "permission denied; check the file's mode");
        break;
    default:
        tool_error(image, "cannot open the image: %s", tool_strerror(rc));
        break;
    }
    return rc;
}

static unsigned thread_count(unsigned asked)
{
    if (asked)
        return asked > 64 ? 64 : asked;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 8 ? 8 : (unsigned)n;
}

void fsck_health_free(struct fsck_health *h)
{
    if (!h)
        return;
    free(h->clusters);
    free(h->bad);
    h->clusters = NULL;
    h->bad = NULL;
}

int fsck_scan(const char *image, const struct fsck_scan_options *opt, struct fsck_health *out)
{
    struct medium *m = NULL;
    struct sector_dev *dev = NULL;
    pthread_t *tids = NULL;
    struct tool_progress progress;
    struct scan_ctx x;
    unsigned started = 0;
    int rc;

    memset(out, 0, sizeof *out);
    memset(&x, 0, sizeof x);
    struct medium_open_options mo = {.io = NULL, .read_only = true,
                                     .lock_wait_ms = MEDIUM_LOCK_WAIT_MS};
    rc = medium_open(image, &mo, &m);
    if (rc < 0)
        return open_error(image, rc);

    unsigned threads = thread_count(opt->threads);
    struct sector_options so;
    sector_options_default(&so);
    so.read_only = true;
    so.scratch_slots = threads;
    rc = sector_open(m, &so, &dev);
    if (rc < 0) {
        if (rc == -ENODATA)
            tool_error(image, "the sector layer was never formatted; there is nothing to scan");
        else if (rc == -EUCLEAN)
            tool_error(image, "all four defect management areas are lost or corrupt; the "
                              "clusters cannot be located");
        else if (rc == -EINVAL)
            tool_error(image, "the profile's spare areas do not fit the medium");
        else
            tool_error(image, "cannot open the sector layer: %s", tool_strerror(rc));
        goto out;
    }

    const struct medium_profile *p = medium_profile_get(m);
    struct medium_clock clk;
    medium_clock_get(m, &clk);
    snprintf(out->profile, sizeof out->profile, "%s", p->name);
    out->seed = p->seed;
    out->temperature_c = p->temperature_c;
    out->sim_s = clk.sim_s;
    out->logical_clusters = sector_logical_clusters(dev);
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        const struct medium_material *mat = medium_material_get(m, l);
        snprintf(out->layer[l].material, sizeof out->layer[l].material, "%s",
                 p->layer[l].material);
        out->layer[l].physical_clusters = medium_layer_clusters(m);
        out->layer[l].layer_equiv_s = clk.equiv_s[l];
        out->layer[l].n0_cycles = p->layer[l].dow_n0_cycles > 0 ? p->layer[l].dow_n0_cycles
                                  : mat                          ? mat->dow_n0_cycles
                                                                 : 0;
    }
    out->clusters = calloc(out->logical_clusters ? out->logical_clusters : 1,
                           sizeof *out->clusters);
    tids = calloc(threads, sizeof *tids);
    if (!out->clusters || !tids) {
        rc = -ENOMEM;
        tool_error(image, "out of memory for %llu cluster records",
                   (unsigned long long)out->logical_clusters);
        goto out;
    }

    x.m = m;
    x.dev = dev;
    x.cl = out->clusters;
    x.n = out->logical_clusters;
    x.cancel = opt->cancel;
    tool_progress_start(&progress, "scanning clusters", x.n, opt->progress);
    for (unsigned t = 1; t < threads; t++) {
        if (pthread_create(&tids[t], NULL, scan_worker, &x) != 0)
            break;
        started++;
    }
    x.progress = &progress; /* only this thread prints */
    scan_worker(&x);
    for (unsigned t = 1; t <= started; t++)
        pthread_join(tids[t], NULL);
    tool_progress_finish(&progress);
    out->bytes_read = atomic_load(&x.bytes);
    out->scanned = atomic_load(&x.done);
    out->complete = out->scanned >= x.n;
    rc = atomic_load(&x.error);
    if (rc < 0) {
        tool_error(image, "reading the medium failed: %s", tool_strerror(rc));
        goto out;
    }
    /* clusters a cancelled scan did not reach stay zero: unwritten, out of every figure */

    struct sector_stats st;
    rc = sector_stats_get(dev, &st);
    if (rc < 0) {
        tool_error(image, "cannot read the sector statistics: %s", tool_strerror(rc));
        goto out;
    }
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        rc = summarise_layer(m, out, l, &st);
        if (rc < 0) {
            tool_error(image, "out of memory while summarising the %s layer", layer_names[l]);
            goto out;
        }
    }
    size_t nbad = 0;
    for (uint64_t i = 0; i < x.n; i++)
        nbad += out->clusters[i].state >= FSCK_CLUSTER_UNCORRECTABLE;
    if (nbad) {
        out->bad = calloc(nbad, sizeof *out->bad);
        if (!out->bad) {
            rc = -ENOMEM;
            tool_error(image, "out of memory for the list of uncorrectable clusters");
            goto out;
        }
        for (uint64_t i = 0; i < x.n; i++) {
            const struct fsck_cluster *c = &out->clusters[i];
            if (c->state < FSCK_CLUSTER_UNCORRECTABLE)
                continue;
            struct fsck_bad *b = &out->bad[out->bad_count++];
            b->lcn = c->lcn;
            b->phys = c->phys;
            b->layer = c->layer;
            b->radius_mm = c->radius_mm;
            b->state = c->state;
            b->retries = c->retries;
            if (opt->owner && opt->owner(opt->owner_ctx, c->lcn, b->owner, sizeof b->owner) < 0)
                b->owner[0] = '\0';
        }
    }
    rc = 0;
out:
    free(tids);
    sector_close(dev);
    medium_close(m);
    if (rc < 0)
        fsck_health_free(out);
    return rc;
}
