/*
 * report.c — renders the layer-health report of fsck.phasefs (struct fsck_health, built
 * by scan.c) as text or as JSON with "format_version" first (STYLE.md "Output: only
 * tools speak"). Both renderings carry the same figures; nothing is computed here
 * beyond unit conversions. The text holds no timings, so golden tests can diff it
 * (tests/fsck/run.sh); the JSON adds raw counts and the thresholds used.
 */
#include "fsck.h"
#include "tool.h"

#include <math.h>
#include <string.h>

#define YEAR_S 31557600.0

static const char *const layer_names[MEDIUM_LAYER_COUNT] = {"far", "near"};
static const char *const layer_labels[MEDIUM_LAYER_COUNT] = {"L0 (far)", "L1 (near)"};
static const char *const hist_labels[SECTOR_HIST_BUCKETS] = {
    "0", "1", "2", "3-4", "5-8", "9-16", "17-32", "failed",
};

static const char *state_words(uint8_t state)
{
    return state == FSCK_CLUSTER_CORRUPT_ENTRY ? "corrupt cluster-table entry"
                                               : "uncorrectable";
}

static const char *state_key(uint8_t state)
{
    return state == FSCK_CLUSTER_CORRUPT_ENTRY ? "corrupt_entry" : "uncorrectable";
}

/* "more than 1e+09 years", "0 years (already lost)", "3.2e+04 years" */
static void years_text(char *buf, size_t cap, double years)
{
    if (isnan(years))
        snprintf(buf, cap, "n/a");
    else if (isinf(years))
        snprintf(buf, cap, "more than %.0e years", FSCK_YEARS_CAP);
    else if (years == 0)
        snprintf(buf, cap, "0 years (already lost)");
    else
        snprintf(buf, cap, "%.3g years", years);
}

/* ---- text ------------------------------------------------------------------------- */

static void zone_row(FILE *f, const char *label, const struct fsck_zone *z)
{
    fprintf(f, "    %-11s %8llu %9.2e %4u %7llu %6llu %8llu %7llu %6llu %5llu %6d\n", label,
            (unsigned long long)z->clusters, z->ser, z->max_corrected,
            (unsigned long long)z->bis, (unsigned long long)z->bursts,
            (unsigned long long)z->erasures, (unsigned long long)z->retries,
            (unsigned long long)z->uncorrectable, (unsigned long long)z->weak,
            z->clusters ? (int)z->min_margin : 32);
}

static void layer_text(FILE *f, const struct fsck_health *h, const struct fsck_layer *L,
                       bool verbose)
{
    const struct fsck_zone *t = &L->total;
    char buf[64];
    fprintf(f, "  %s  %s: %s\n", layer_labels[L->layer], L->material,
            fsck_verdict_name(L->verdict));
    for (unsigned i = 0; i < L->reason_count; i++)
        fprintf(f, "    because     %s\n", L->reasons[i]);
    fprintf(f, "    clusters    %llu written of %llu user clusters (%llu physical)\n",
            (unsigned long long)L->written, (unsigned long long)L->user_clusters,
            (unsigned long long)L->physical_clusters);
    fprintf(f, "    errors      symbol error rate %.2e (worst %u-cluster window %.2e; format "
               "limit %.0e)\n",
            t->ser, FSCK_SER_WINDOW, L->ser_window_max, FSCK_SER_LIMIT);
    fprintf(f, "                max %u corrected per codeword; %llu burst-indicator errors, "
               "%llu bursts, %llu erasures; %llu retries; %llu uncorrectable\n",
            t->max_corrected, (unsigned long long)t->bis, (unsigned long long)t->bursts,
            (unsigned long long)t->erasures, (unsigned long long)t->retries,
            (unsigned long long)t->uncorrectable);
    if (t->uncorrectable)
        fprintf(f, "    margin      -1: none left in the uncorrectable clusters; %llu weak clusters "
                   "(margin < %d)\n",
                (unsigned long long)t->weak, FSCK_WEAK_MARGIN);
    else if (t->decoded)
        fprintf(f, "    margin      %d of %u parity symbols left in the worst codeword; %llu "
                   "weak clusters (margin < %d)\n",
                (int)t->min_margin, SECTOR_RS_PARITY, (unsigned long long)t->weak,
                FSCK_WEAK_MARGIN);
    else
        fprintf(f, "    margin      n/a (no cluster decoded)\n");
    fprintf(f, "    codewords  ");
    for (unsigned b = 0; b < SECTOR_HIST_BUCKETS; b++)
        fprintf(f, " %s: %llu", hist_labels[b], (unsigned long long)t->hist[b]);
    fprintf(f, "  (by symbols corrected)\n");
    fprintf(f, "    spares      %llu used, %llu left of %llu; %llu clusters replaced, %llu bad "
               "spares\n",
            (unsigned long long)L->spares_used, (unsigned long long)L->spares_left,
            (unsigned long long)L->spares_total, (unsigned long long)L->defects,
            (unsigned long long)L->spares_bad);
    if (L->written)
        fprintf(f, "    wear        cycles min %u, median %u, p99 %u, max %u (N0 %.0f)\n",
                L->cycles_min, L->cycles_median, L->cycles_p99, L->cycles_max, L->n0_cycles);
    else
        fprintf(f, "    wear        n/a (nothing written; N0 %.0f)\n", L->n0_cycles);
    fprintf(f, "    age         equivalent at 25 C: marks median %.3g y, oldest %.3g y; layer "
               "clock %.3g y\n",
            L->age_median_s / YEAR_S, L->age_max_s / YEAR_S, L->layer_equiv_s / YEAR_S);
    if (L->have_worst || t->uncorrectable) {
        fprintf(f, "    projection  first uncorrectable cluster:");
        for (unsigned i = 0; i < FSCK_PROJECTION_TEMPS; i++) {
            years_text(buf, sizeof buf, L->proj[i].years);
            fprintf(f, "%s %s at %.0f C%s", i ? ";" : "", buf, L->proj[i].temp_c,
                    L->proj[i].profile ? " (profile)" : "");
        }
        fprintf(f, "\n");
        if (t->uncorrectable)
            fprintf(f, "                (the layer already holds uncorrectable clusters)\n");
        else
            fprintf(f, "                from LCN %llu: margin %d, retention loss %.3g\n",
                    (unsigned long long)L->worst_lcn, (int)L->worst_margin, L->worst_loss);
    } else {
        fprintf(f, "    projection  n/a (no cluster decoded)\n");
    }
    fprintf(f, "    %-11s %8s %9s %4s %7s %6s %8s %7s %6s %5s %6s\n", "zone (mm)", "clusters",
            "SER", "max", "BIS", "bursts", "erasures", "retries", "uncorr", "weak", "margin");
    for (unsigned z = 0; z < SECTOR_ZONES; z++) {
        const struct fsck_zone *zz = &L->zone[z];
        if (!verbose && !zz->clusters)
            continue;
        char label[24];
        snprintf(label, sizeof label, "%.1f-%.1f", zz->r_inner_mm, zz->r_outer_mm);
        zone_row(f, label, zz);
    }
    zone_row(f, "layer", t);
    (void)h;
}

void fsck_report_text(FILE *f, const char *image, const struct fsck_health *h, bool verbose)
{
    uint64_t written = h->layer[0].written + h->layer[1].written;
    fprintf(f, "Layer health of %s\n", image);
    fprintf(f, "  medium      profile %s, seed %llu, %llu logical clusters; %.3g years "
               "simulated; profile temperature %.1f C\n",
            h->profile, (unsigned long long)h->seed, (unsigned long long)h->logical_clusters,
            h->sim_s / YEAR_S, h->temperature_c);
    fprintf(f, "  scan        %llu of %llu logical clusters%s, %llu written and read; %.1f MB "
               "of recorded data\n",
            (unsigned long long)h->scanned, (unsigned long long)h->logical_clusters,
            h->complete ? "" : " (cancelled)", (unsigned long long)written,
            (double)h->bytes_read / 1e6);
    for (int l = MEDIUM_LAYER_COUNT - 1; l >= 0; l--)
        layer_text(f, h, &h->layer[l], verbose);
    if (h->bad_count) {
        size_t shown = verbose || h->bad_count <= FSCK_LIST_TEXT_MAX ? h->bad_count
                                                                       : FSCK_LIST_TEXT_MAX;
        fprintf(f, "  unreadable clusters (%zu)\n", h->bad_count);
        for (size_t i = 0; i < shown; i++) {
            const struct fsck_bad *b = &h->bad[i];
            fprintf(f, "    LCN %-8llu L%u cluster %-7llu %5.2f mm  %s after %u retries%s%s\n",
                    (unsigned long long)b->lcn, b->layer, (unsigned long long)b->phys,
                    b->radius_mm, state_words(b->state), b->retries, b->owner[0] ? "; " : "",
                    b->owner);
        }
        if (shown < h->bad_count)
            fprintf(f, "    ... and %zu more (all with -v or --json)\n", h->bad_count - shown);
    }
    fprintf(f, "  result      L1 (near) %s, L0 (far) %s\n",
            fsck_verdict_name(h->layer[MEDIUM_LAYER_NEAR].verdict),
            fsck_verdict_name(h->layer[MEDIUM_LAYER_FAR].verdict));
}

/* ---- JSON ------------------------------------------------------------------------- */

/* %.6g, or null for a value JSON cannot hold */
static void num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}

static void zone_json(FILE *f, const struct fsck_zone *z)
{
    fprintf(f, "{\"r_inner_mm\": %.4g, \"r_outer_mm\": %.4g, \"clusters\": %llu, "
               "\"decoded\": %llu, \"ser\": ",
            z->r_inner_mm, z->r_outer_mm, (unsigned long long)z->clusters,
            (unsigned long long)z->decoded);
    num(f, z->ser);
    fprintf(f, ", \"symbols_corrected\": %llu, \"max_corrected\": %u, \"bis_errors\": %llu, "
               "\"bursts\": %llu, \"erasures\": %llu, \"retries\": %llu, "
               "\"uncorrectable\": %llu, \"weak\": %llu, \"min_margin\": %d, \"histogram\": {",
            (unsigned long long)z->symbols, z->max_corrected, (unsigned long long)z->bis,
            (unsigned long long)z->bursts, (unsigned long long)z->erasures,
            (unsigned long long)z->retries, (unsigned long long)z->uncorrectable,
            (unsigned long long)z->weak, z->clusters ? (int)z->min_margin : 32);
    for (unsigned b = 0; b < SECTOR_HIST_BUCKETS; b++)
        fprintf(f, "%s\"%s\": %llu", b ? ", " : "", hist_labels[b],
                (unsigned long long)z->hist[b]);
    fprintf(f, "}}");
}

static void layer_json(FILE *f, const struct fsck_layer *L)
{
    fprintf(f, "    {\"layer\": \"%s\", \"name\": \"L%u\", \"material\": ", layer_names[L->layer],
            L->layer);
    tool_json_string(f, L->material);
    fprintf(f, ", \"verdict\": \"%s\", \"reasons\": [", fsck_verdict_name(L->verdict));
    for (unsigned i = 0; i < L->reason_count; i++) {
        fputs(i ? ", " : "", f);
        tool_json_string(f, L->reasons[i]);
    }
    fprintf(f, "],\n      \"physical_clusters\": %llu, \"user_clusters\": %llu, "
               "\"written\": %llu, \"ser_window_max\": ",
            (unsigned long long)L->physical_clusters, (unsigned long long)L->user_clusters,
            (unsigned long long)L->written);
    num(f, L->ser_window_max);
    fprintf(f, ",\n      \"spares\": {\"used\": %llu, \"left\": %llu, \"total\": %llu, "
               "\"bad\": %llu, \"replaced\": %llu},\n",
            (unsigned long long)L->spares_used, (unsigned long long)L->spares_left,
            (unsigned long long)L->spares_total, (unsigned long long)L->spares_bad,
            (unsigned long long)L->defects);
    fprintf(f, "      \"cycles\": {\"min\": %u, \"median\": %u, \"p99\": %u, \"max\": %u, "
               "\"n0\": ",
            L->cycles_min, L->cycles_median, L->cycles_p99, L->cycles_max);
    num(f, L->n0_cycles);
    fprintf(f, "},\n      \"age_equiv_25c_s\": {\"median\": ");
    num(f, L->age_median_s);
    fprintf(f, ", \"max\": ");
    num(f, L->age_max_s);
    fprintf(f, ", \"layer_clock\": ");
    num(f, L->layer_equiv_s);
    fprintf(f, "},\n      \"projection\": {");
    if (L->have_worst)
        fprintf(f, "\"worst_lcn\": %llu, \"worst_margin\": %d, \"worst_retention_loss\": ",
                (unsigned long long)L->worst_lcn, (int)L->worst_margin);
    else
        fprintf(f, "\"worst_lcn\": null, \"worst_margin\": null, \"worst_retention_loss\": ");
    num(f, L->have_worst ? L->worst_loss : NAN);
    fprintf(f, ", \"years_cap\": %.0e, \"first_loss\": [", FSCK_YEARS_CAP);
    for (unsigned i = 0; i < FSCK_PROJECTION_TEMPS; i++) {
        fprintf(f, "%s{\"temp_c\": %.4g, \"profile\": %s, \"years\": ", i ? ", " : "",
                L->proj[i].temp_c, L->proj[i].profile ? "true" : "false");
        num(f, L->proj[i].years);
        fprintf(f, ", \"beyond_cap\": %s}", isinf(L->proj[i].years) ? "true" : "false");
    }
    fprintf(f, "]},\n      \"total\": ");
    zone_json(f, &L->total);
    fprintf(f, ",\n      \"zones\": [\n");
    for (unsigned z = 0; z < SECTOR_ZONES; z++) {
        fprintf(f, "        ");
        zone_json(f, &L->zone[z]);
        fprintf(f, "%s\n", z + 1 < SECTOR_ZONES ? "," : "");
    }
    fprintf(f, "      ]}");
}

void fsck_report_json(FILE *f, const char *image, const struct fsck_health *h)
{
    fprintf(f, "{\n  \"format_version\": %d,\n  \"image\": ", FSCK_JSON_FORMAT_VERSION);
    tool_json_string(f, image);
    fprintf(f, ",\n  \"profile\": ");
    tool_json_string(f, h->profile);
    fprintf(f, ",\n  \"seed\": %llu,\n  \"temperature_c\": %.4g,\n  \"simulated_s\": ",
            (unsigned long long)h->seed, h->temperature_c);
    num(f, h->sim_s);
    fprintf(f, ",\n  \"logical_clusters\": %llu,\n  \"scanned\": %llu,\n  \"complete\": %s,\n"
               "  \"bytes_read\": %llu,\n",
            (unsigned long long)h->logical_clusters, (unsigned long long)h->scanned,
            h->complete ? "true" : "false", (unsigned long long)h->bytes_read);
    fprintf(f, "  \"thresholds\": {\"ser_limit\": %.0e, \"ser_degrading\": %.0e, "
               "\"ser_window\": %u, \"margin_failing\": %d, \"margin_degrading\": %d, "
               "\"weak_margin\": %d, \"spares_degrading\": %.2g, \"years_failing\": %.3g, "
               "\"years_degrading\": %.3g, \"mark_fraction\": %.2g},\n",
            FSCK_SER_LIMIT, FSCK_SER_DEGRADING, FSCK_SER_WINDOW, FSCK_MARGIN_FAILING,
            FSCK_MARGIN_DEGRADING, FSCK_WEAK_MARGIN, FSCK_SPARES_DEGRADING, FSCK_YEARS_FAILING,
            FSCK_YEARS_DEGRADING, FSCK_MARK_FRACTION);
    fprintf(f, "  \"layers\": [\n");
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        layer_json(f, &h->layer[l]);
        fprintf(f, "%s\n", l + 1 < MEDIUM_LAYER_COUNT ? "," : "");
    }
    fprintf(f, "  ],\n  \"unreadable\": [");
    for (size_t i = 0; i < h->bad_count; i++) {
        const struct fsck_bad *b = &h->bad[i];
        fprintf(f, "%s\n    {\"lcn\": %llu, \"layer\": \"%s\", \"physical_cluster\": %llu, "
                   "\"radius_mm\": %.4g, \"reason\": \"%s\", \"retries\": %u, \"files\": ",
                i ? "," : "", (unsigned long long)b->lcn, layer_names[b->layer],
                (unsigned long long)b->phys, b->radius_mm, state_key(b->state), b->retries);
        if (b->owner[0])
            tool_json_string(f, b->owner);
        else
            fputs("null", f);
        fputs("}", f);
    }
    fprintf(f, "%s],\n  \"result\": {\"near\": \"%s\", \"far\": \"%s\", \"exit_status\": %d}\n}\n",
            h->bad_count ? "\n  " : "", fsck_verdict_name(h->layer[MEDIUM_LAYER_NEAR].verdict),
            fsck_verdict_name(h->layer[MEDIUM_LAYER_FAR].verdict), fsck_health_exit(h));
}
