/*
 * verdict.c — the one verdict of phasefs's health reports (fsck.phasefs --scan,
 * phasectl info, stats and health all print what this decides). It judges each layer
 * from what the scan measured (uncorrectable clusters, the worst SER window, margins,
 * spares, wear, the projected first loss) and the medium as a whole: the worst layer,
 * plus findings of the disc itself (defect management copies lost). The rules and
 * thresholds are in health.h and fsck.phasefs(8), "LAYER HEALTH". A figure that was
 * not measured (no cluster decoded) never counts as a good one.
 */
#include "health.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Keep only the reasons of the worst verdict seen, in the order they were found. */
static void add(enum health_verdict *verdict, unsigned *count,
                char (*reasons)[HEALTH_REASON_LEN], enum health_verdict v, const char *fmt,
                va_list ap)
{
    if (v > *verdict) {
        *verdict = v;
        *count = 0;
    } else if (v < *verdict) {
        return;
    }
    if (*count >= HEALTH_REASONS_MAX)
        return;
    vsnprintf(reasons[(*count)++], HEALTH_REASON_LEN, fmt, ap);
}

static void reason(struct health_layer *L, enum health_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reason(struct health_layer *L, enum health_verdict v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add(&L->verdict, &L->reason_count, L->reasons, v, fmt, ap);
    va_end(ap);
}

static void finding(struct health *h, enum health_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void finding(struct health *h, enum health_verdict v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add(&h->verdict, &h->reason_count, h->reasons, v, fmt, ap);
    va_end(ap);
}

static void judge_layer(struct health_layer *L)
{
    const struct health_zone *t = &L->total;
    L->verdict = HEALTH_VERDICT_GOOD;
    L->reason_count = 0;
    double years = L->proj[0].years;
    /* failing */
    if (t->uncorrectable)
        reason(L, HEALTH_VERDICT_FAILING, "%llu of %llu written clusters uncorrectable%s",
               (unsigned long long)t->uncorrectable, (unsigned long long)t->clusters,
               t->decoded ? "" : " (none could be read)");
    if (t->decoded && L->ser_window_max >= HEALTH_SER_LIMIT)
        reason(L, HEALTH_VERDICT_FAILING, "symbol error rate %.2e at or above the format limit %.0e",
               L->ser_window_max, HEALTH_SER_LIMIT);
    if (t->decoded && !t->uncorrectable && t->min_margin <= HEALTH_MARGIN_FAILING)
        reason(L, HEALTH_VERDICT_FAILING, "margin %d at or below %d", (int)t->min_margin,
               HEALTH_MARGIN_FAILING);
    if (L->spares_total && L->spares_left == 0)
        reason(L, HEALTH_VERDICT_FAILING, "no spare cluster left");
    if (!t->uncorrectable && isfinite(years) && years < HEALTH_YEARS_FAILING)
        reason(L, HEALTH_VERDICT_FAILING, "first loss projected in %.2g years at %.0f C, under %.0f",
               years, L->proj[0].temp_c, HEALTH_YEARS_FAILING);
    /* degrading */
    if (t->decoded && L->ser_window_max >= HEALTH_SER_DEGRADING)
        reason(L, HEALTH_VERDICT_DEGRADING, "symbol error rate %.2e at or above %.0e",
               L->ser_window_max, HEALTH_SER_DEGRADING);
    if (t->decoded && t->min_margin < HEALTH_MARGIN_DEGRADING)
        reason(L, HEALTH_VERDICT_DEGRADING, "margin %d below %d", (int)t->min_margin,
               HEALTH_MARGIN_DEGRADING);
    if (L->written && L->n0_cycles > 0 && L->cycles_max >= L->n0_cycles)
        reason(L, HEALTH_VERDICT_DEGRADING, "most-worn cluster %u cycles, at or past N0 = %.0f",
               L->cycles_max, L->n0_cycles);
    if (L->spares_total &&
        (double)L->spares_used >= HEALTH_SPARES_DEGRADING * (double)L->spares_total)
        reason(L, HEALTH_VERDICT_DEGRADING, "%llu of %llu spare clusters used",
               (unsigned long long)L->spares_used, (unsigned long long)L->spares_total);
    if (isfinite(years) && years < HEALTH_YEARS_DEGRADING)
        reason(L, HEALTH_VERDICT_DEGRADING, "first loss projected in %.2g years at %.0f C, under %.0f",
               years, L->proj[0].temp_c, HEALTH_YEARS_DEGRADING);
}

void health_judge(struct health *h)
{
    h->verdict = HEALTH_VERDICT_GOOD;
    h->reason_count = 0;
    /* the disc's own findings first: they are about every layer */
    if (h->dma_copies_valid == 0)
        finding(h, HEALTH_VERDICT_FAILING, "all 4 defect management copies lost: the defect "
                                           "list is gone, replaced clusters read in place");
    else if (h->dma_copies_valid < 4)
        finding(h, HEALTH_VERDICT_DEGRADING, "%u of 4 defect management copies lost",
                4 - h->dma_copies_valid);
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        struct health_layer *L = &h->layer[l];
        judge_layer(L);
        if (L->verdict > h->verdict) /* the disc is as bad as its worst layer */
            h->verdict = L->verdict, h->reason_count = 0;
        if (L->verdict == h->verdict && h->reason_count < HEALTH_REASONS_MAX &&
            L->verdict != HEALTH_VERDICT_GOOD)
            snprintf(h->reasons[h->reason_count++], HEALTH_REASON_LEN, "L%u (%s) %s", l,
                     l == MEDIUM_LAYER_NEAR ? "near" : "far", health_verdict_name(L->verdict));
    }
}

const char *health_verdict_name(enum health_verdict v)
{
    switch (v) {
    case HEALTH_VERDICT_GOOD: return "good";
    case HEALTH_VERDICT_DEGRADING: return "degrading";
    default: return "failing";
    }
}

const char *health_ser_unmeasured(const struct health_zone *z, char *buf, size_t cap)
{
    if (z->decoded)
        return NULL;
    if (!z->clusters)
        snprintf(buf, cap, "no cluster written");
    else
        snprintf(buf, cap, "no cluster decoded: %llu uncorrectable",
                 (unsigned long long)z->uncorrectable);
    return buf;
}
