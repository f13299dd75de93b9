/*
 * report.c — renders a health scan (struct health) as text or as a JSON object, for
 * fsck.phasefs --scan and phasectl health alike (STYLE.md "Output: only tools speak").
 * Both renderings carry the same figures in the same order (near layer first, as the
 * beam meets them); nothing is judged here (verdict.c) and nothing computed beyond unit
 * conversions. A figure that was not measured reads "not measured" with the reason in
 * text and null with a "_unmeasured" reason in JSON, never 0. The text holds no
 * timings, so golden tests can diff it; the JSON fields are described by
 * doc/schema/health.json and in fsck.phasefs(8).
 */
#include "health.h"
#include "tool.h"

#include <math.h>
#include <string.h>

#define YEAR_S 31557600.0
#define LIST_TEXT_MAX 10 /* files listed in the text report without -v */

static const char *const layer_names[MEDIUM_LAYER_COUNT] = {"far", "near"};
static const char *const layer_labels[MEDIUM_LAYER_COUNT] = {"L0 (far)", "L1 (near)"};
static const char *const hist_labels[SECTOR_HIST_BUCKETS] = {
    "0", "1", "2", "3-4", "5-8", "9-16", "17-32", "failed",
};

static const char *state_key(uint8_t state)
{
    return state == HEALTH_CLUSTER_CORRUPT_ENTRY ? "corrupt_entry" : "uncorrectable";
}

/* "scratch, dust" from cause bits, the main one first */
static void causes_text(char *buf, size_t cap, unsigned causes, unsigned main_cause)
{
    size_t n = 0;
    buf[0] = '\0';
    if (main_cause)
        n += (size_t)snprintf(buf, cap, "%s", health_cause_name(main_cause));
    for (unsigned b = 0; b < HEALTH_CAUSE_COUNT && n < cap; b++)
        if ((causes >> b & 1u) && (1u << b) != main_cause)
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "",
                                  health_cause_name(1u << b));
}

static void layers_text(char *buf, size_t cap, unsigned mask)
{
    snprintf(buf, cap, "%s%s%s", mask & 2u ? "L1" : "", mask == 3u ? "+" : "",
             mask & 1u ? "L0" : "");
}

/* "more than 1e+09 years", "0 years (already lost)", "3.2e+04 years" */
static void years_text(char *buf, size_t cap, double years)
{
    if (isnan(years))
        snprintf(buf, cap, "n/a");
    else if (isinf(years))
        snprintf(buf, cap, "more than %.0e years", HEALTH_YEARS_CAP);
    else if (years == 0)
        snprintf(buf, cap, "0 years (already lost)");
    else
        snprintf(buf, cap, "%.3g years", years);
}

static void ser_cell(char *buf, size_t cap, double ser)
{
    if (isfinite(ser))
        snprintf(buf, cap, "%.2e", ser);
    else
        snprintf(buf, cap, "-");
}

/* ---- text ------------------------------------------------------------------------- */

static void zone_row(FILE *f, const char *label, const struct health_zone *z)
{
    char ser[16];
    ser_cell(ser, sizeof ser, z->ser);
    fprintf(f, "    %-11s %8llu %9s %4u %7llu %6llu %8llu %7llu %6llu %5llu %6d\n", label,
            (unsigned long long)z->clusters, ser, z->max_corrected,
            (unsigned long long)z->bis, (unsigned long long)z->bursts,
            (unsigned long long)z->erasures, (unsigned long long)z->retries,
            (unsigned long long)z->uncorrectable, (unsigned long long)z->weak,
            z->clusters ? (int)z->min_margin : 32);
}

static void layer_text(FILE *f, const struct health_layer *L, bool dma_lost, bool verbose)
{
    const struct health_zone *t = &L->total;
    char buf[64], why[96];
    fprintf(f, "  %s  %s: %s\n", layer_labels[L->layer], L->material,
            health_verdict_name(L->verdict));
    for (unsigned i = 0; i < L->reason_count; i++)
        fprintf(f, "    because     %s\n", L->reasons[i]);
    fprintf(f, "    clusters    %llu written of %llu user clusters (%llu physical)\n",
            (unsigned long long)L->written, (unsigned long long)L->user_clusters,
            (unsigned long long)L->physical_clusters);
    if (health_ser_unmeasured(t, why, sizeof why))
        fprintf(f, "    errors      symbol error rate not measured (%s; format limit %.0e)\n",
                why, HEALTH_SER_LIMIT);
    else
        fprintf(f, "    errors      symbol error rate %.2e (worst %u-cluster window %.2e; "
                   "format limit %.0e)\n",
                t->ser, HEALTH_SER_WINDOW, L->ser_window_max, HEALTH_SER_LIMIT);
    fprintf(f, "                max %u corrected per codeword; %llu burst-indicator errors, "
               "%llu bursts, %llu erasures; %llu retries; %llu uncorrectable\n",
            t->max_corrected, (unsigned long long)t->bis, (unsigned long long)t->bursts,
            (unsigned long long)t->erasures, (unsigned long long)t->retries,
            (unsigned long long)t->uncorrectable);
    if (t->uncorrectable)
        fprintf(f, "    margin      -1: none left in the uncorrectable clusters; %llu weak clusters "
                   "(margin < %d)\n",
                (unsigned long long)t->weak, HEALTH_WEAK_MARGIN);
    else if (t->decoded)
        fprintf(f, "    margin      %d of %u parity symbols left in the worst codeword; %llu "
                   "weak clusters (margin < %d)\n",
                (int)t->min_margin, SECTOR_RS_PARITY, (unsigned long long)t->weak,
                HEALTH_WEAK_MARGIN);
    else
        fprintf(f, "    margin      not measured (no cluster decoded)\n");
    fprintf(f, "    codewords  ");
    for (unsigned b = 0; b < SECTOR_HIST_BUCKETS; b++)
        fprintf(f, " %s: %llu", hist_labels[b], (unsigned long long)t->hist[b]);
    fprintf(f, "  (by symbols corrected)\n");
    if (dma_lost)
        fprintf(f, "    spares      %llu in the layout; use unknown (the defect list is lost)\n",
                (unsigned long long)L->spares_total);
    else
        fprintf(f, "    spares      %llu used, %llu left of %llu; %llu clusters replaced, %llu "
                   "bad spares\n",
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
        for (unsigned i = 0; i < HEALTH_PROJECTION_TEMPS; i++) {
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
        const struct health_zone *zz = &L->zone[z];
        if (!verbose && !zz->clusters)
            continue;
        char label[24];
        snprintf(label, sizeof label, "%.1f-%.1f", zz->r_inner_mm, zz->r_outer_mm);
        zone_row(f, label, zz);
    }
    zone_row(f, "layer", t);
}

static void damage_text(FILE *f, const struct health *h, bool verbose)
{
    char causes[96], layers[8];
    if (!h->bad_count)
        return;
    if (h->have_owners) {
        uint64_t bytes = 0;
        for (size_t i = 0; i < h->file_count; i++)
            bytes += h->files[i].bytes;
        fprintf(f, "  damaged     %zu file%s, up to %llu bytes in %llu lost cluster%s",
                h->file_count, h->file_count == 1 ? "" : "s", (unsigned long long)bytes,
                (unsigned long long)(h->bad_count - h->bad_unowned),
                h->bad_count - h->bad_unowned == 1 ? "" : "s");
        if (h->bad_unowned)
            fprintf(f, "; %llu lost cluster%s of no file (filesystem metadata or free)",
                    (unsigned long long)h->bad_unowned, h->bad_unowned == 1 ? "" : "s");
        fprintf(f, "\n");
        size_t shown = verbose || h->file_count <= LIST_TEXT_MAX ? h->file_count : LIST_TEXT_MAX;
        for (size_t i = 0; i < shown; i++) {
            const struct health_file *d = &h->files[i];
            causes_text(causes, sizeof causes, d->causes, 0);
            layers_text(layers, sizeof layers, d->layers);
            fprintf(f, "    %s: up to %llu bytes lost (%llu cluster%s on %s; %s)\n", d->path,
                    (unsigned long long)d->bytes, (unsigned long long)d->clusters,
                    d->clusters == 1 ? "" : "s", layers, causes);
        }
        if (shown < h->file_count)
            fprintf(f, "    ... and %zu more files (all with -v or --json)\n",
                    h->file_count - shown);
    }
    if (!verbose) {
        fprintf(f, "  unreadable  %zu cluster%s (each with -v)\n", h->bad_count,
                h->bad_count == 1 ? "" : "s");
        return;
    }
    fprintf(f, "  unreadable clusters (%zu)\n", h->bad_count);
    for (size_t i = 0; i < h->bad_count; i++) {
        const struct health_bad *b = &h->bad[i];
        causes_text(causes, sizeof causes, b->causes, b->cause);
        fprintf(f, "    LCN %-8llu L%u cluster %-7llu %5.2f mm  %s after %u retries (%s)%s%s\n",
                (unsigned long long)b->lcn, b->layer, (unsigned long long)b->phys,
                b->radius_mm,
                b->state == HEALTH_CLUSTER_CORRUPT_ENTRY ? "corrupt cluster-table entry"
                                                          : "uncorrectable",
                b->retries, causes, b->owner[0] ? "; " : "", b->owner);
    }
}

void health_text(FILE *f, const char *image, const struct health *h, bool verbose)
{
    uint64_t written = h->layer[0].written + h->layer[1].written;
    fprintf(f, "Layer health of %s\n", image);
    fprintf(f, "  medium      profile %s, seed %llu, %llu logical clusters; %.3g years "
               "simulated, last at %.1f C; profile temperature %.1f C\n",
            h->profile, (unsigned long long)h->seed, (unsigned long long)h->logical_clusters,
            h->sim_s / YEAR_S, h->last_temp_c, h->temperature_c);
    fprintf(f, "  scan        %llu of %llu logical clusters%s, %llu written and read; %.1f MB "
               "of recorded data\n",
            (unsigned long long)h->scanned, (unsigned long long)h->logical_clusters,
            h->complete ? "" : " (cancelled)", (unsigned long long)written,
            (double)h->bytes_read / 1e6);
    fprintf(f, "  defect list %u of 4 DMA copies valid%s\n", h->dma_copies_valid,
            h->dma_copies_valid ? "" : "; the scan read every cluster at its place");
    for (int l = MEDIUM_LAYER_COUNT - 1; l >= 0; l--)
        layer_text(f, &h->layer[l], h->dma_copies_valid == 0, verbose);
    damage_text(f, h, verbose);
    fprintf(f, "  result      %s: L1 (near) %s, L0 (far) %s\n", health_verdict_name(h->verdict),
            health_verdict_name(h->layer[MEDIUM_LAYER_NEAR].verdict),
            health_verdict_name(h->layer[MEDIUM_LAYER_FAR].verdict));
    for (unsigned i = 0; i < h->reason_count; i++)
        fprintf(f, "    because     %s\n", h->reasons[i]);
}

/* ---- JSON ------------------------------------------------------------------------- */

static void ser_json(struct tool_json *j, const char *key, const struct health_zone *z,
                     double value)
{
    char why[96], ukey[48];
    const char *r = health_ser_unmeasured(z, why, sizeof why);
    snprintf(ukey, sizeof ukey, "%s_unmeasured", key);
    tool_json_num(j, key, r ? NAN : value);
    tool_json_str(j, ukey, r);
}

static void zone_json(struct tool_json *j, const char *key, const struct health_zone *z)
{
    tool_json_object(j, key);
    tool_json_num(j, "r_inner_mm", z->r_inner_mm);
    tool_json_num(j, "r_outer_mm", z->r_outer_mm);
    tool_json_uint(j, "clusters", z->clusters);
    tool_json_uint(j, "decoded", z->decoded);
    ser_json(j, "ser", z, z->ser);
    tool_json_uint(j, "symbols_corrected", z->symbols);
    tool_json_uint(j, "max_corrected", z->max_corrected);
    tool_json_uint(j, "bis_errors", z->bis);
    tool_json_uint(j, "bursts", z->bursts);
    tool_json_uint(j, "erasures", z->erasures);
    tool_json_uint(j, "retries", z->retries);
    tool_json_uint(j, "uncorrectable", z->uncorrectable);
    tool_json_uint(j, "weak", z->weak);
    if (z->decoded)
        tool_json_int(j, "min_margin", z->uncorrectable ? -1 : z->min_margin);
    else if (z->uncorrectable)
        tool_json_int(j, "min_margin", -1);
    else
        tool_json_null(j, "min_margin");
    tool_json_object(j, "histogram");
    for (unsigned b = 0; b < SECTOR_HIST_BUCKETS; b++)
        tool_json_uint(j, hist_labels[b], z->hist[b]);
    tool_json_end_object(j);
    tool_json_end_object(j);
}

static void reasons_json(struct tool_json *j, unsigned n, const char (*r)[HEALTH_REASON_LEN])
{
    tool_json_array(j, "reasons");
    for (unsigned i = 0; i < n; i++)
        tool_json_str(j, NULL, r[i]);
    tool_json_end_array(j);
}

static void causes_json(struct tool_json *j, unsigned causes)
{
    tool_json_array(j, "causes");
    for (unsigned b = 0; b < HEALTH_CAUSE_COUNT; b++)
        if (causes >> b & 1u)
            tool_json_str(j, NULL, health_cause_name(1u << b));
    tool_json_end_array(j);
}

static void layer_json(struct tool_json *j, const struct health_layer *L, bool dma_lost)
{
    tool_json_object(j, NULL);
    tool_json_str(j, "layer", layer_names[L->layer]);
    char name[8];
    snprintf(name, sizeof name, "L%u", L->layer);
    tool_json_str(j, "name", name);
    tool_json_str(j, "material", L->material);
    tool_json_str(j, "verdict", health_verdict_name(L->verdict));
    reasons_json(j, L->reason_count, L->reasons);
    tool_json_uint(j, "physical_clusters", L->physical_clusters);
    tool_json_uint(j, "user_clusters", L->user_clusters);
    tool_json_uint(j, "written", L->written);
    ser_json(j, "ser_window_max", &L->total, L->ser_window_max);
    tool_json_object(j, "spares"); /* null: unknown, the defect list is lost */
    tool_json_uint(j, "total", L->spares_total);
    if (dma_lost) {
        tool_json_null(j, "used");
        tool_json_null(j, "left");
        tool_json_null(j, "bad");
        tool_json_null(j, "replaced");
    } else {
        tool_json_uint(j, "used", L->spares_used);
        tool_json_uint(j, "left", L->spares_left);
        tool_json_uint(j, "bad", L->spares_bad);
        tool_json_uint(j, "replaced", L->defects);
    }
    tool_json_end_object(j);
    tool_json_object(j, "cycles");
    if (L->written) {
        tool_json_uint(j, "min", L->cycles_min);
        tool_json_uint(j, "median", L->cycles_median);
        tool_json_uint(j, "p99", L->cycles_p99);
        tool_json_uint(j, "max", L->cycles_max);
    } else {
        tool_json_null(j, "min");
        tool_json_null(j, "median");
        tool_json_null(j, "p99");
        tool_json_null(j, "max");
    }
    tool_json_num(j, "n0", L->n0_cycles);
    tool_json_end_object(j);
    tool_json_object(j, "age_equiv_25c_s");
    tool_json_num(j, "median", L->written ? L->age_median_s : NAN);
    tool_json_num(j, "max", L->written ? L->age_max_s : NAN);
    tool_json_num(j, "layer_clock", L->layer_equiv_s);
    tool_json_end_object(j);
    tool_json_object(j, "projection");
    if (L->have_worst) {
        tool_json_uint(j, "worst_lcn", L->worst_lcn);
        tool_json_int(j, "worst_margin", L->worst_margin);
        tool_json_num(j, "worst_retention_loss", L->worst_loss);
    } else {
        tool_json_null(j, "worst_lcn");
        tool_json_null(j, "worst_margin");
        tool_json_null(j, "worst_retention_loss");
    }
    tool_json_num(j, "years_cap", HEALTH_YEARS_CAP);
    tool_json_array(j, "first_loss");
    for (unsigned i = 0; i < HEALTH_PROJECTION_TEMPS; i++) {
        tool_json_object(j, NULL);
        tool_json_num(j, "temp_c", L->proj[i].temp_c);
        tool_json_bool(j, "profile", L->proj[i].profile);
        tool_json_num(j, "years", L->proj[i].years);
        tool_json_bool(j, "beyond_cap", isinf(L->proj[i].years));
        tool_json_end_object(j);
    }
    tool_json_end_array(j);
    tool_json_end_object(j);
    zone_json(j, "total", &L->total);
    tool_json_array(j, "zones");
    for (unsigned z = 0; z < SECTOR_ZONES; z++)
        zone_json(j, NULL, &L->zone[z]);
    tool_json_end_array(j);
    tool_json_end_object(j);
}

void health_json(struct tool_json *j, const char *key, const struct health *h, bool verbose)
{
    tool_json_object(j, key);
    tool_json_str(j, "profile", h->profile);
    tool_json_uint(j, "seed", h->seed);
    tool_json_num(j, "temperature_c", h->temperature_c);
    tool_json_num(j, "last_temperature_c", h->last_temp_c);
    tool_json_num(j, "simulated_s", h->sim_s);
    tool_json_uint(j, "logical_clusters", h->logical_clusters);
    tool_json_uint(j, "scanned", h->scanned);
    tool_json_bool(j, "complete", h->complete);
    tool_json_uint(j, "bytes_read", h->bytes_read);
    tool_json_uint(j, "dma_copies_valid", h->dma_copies_valid);
    tool_json_str(j, "verdict", health_verdict_name(h->verdict));
    reasons_json(j, h->reason_count, h->reasons);
    tool_json_object(j, "thresholds");
    tool_json_num(j, "ser_limit", HEALTH_SER_LIMIT);
    tool_json_num(j, "ser_degrading", HEALTH_SER_DEGRADING);
    tool_json_uint(j, "ser_window", HEALTH_SER_WINDOW);
    tool_json_int(j, "margin_failing", HEALTH_MARGIN_FAILING);
    tool_json_int(j, "margin_degrading", HEALTH_MARGIN_DEGRADING);
    tool_json_int(j, "weak_margin", HEALTH_WEAK_MARGIN);
    tool_json_num(j, "spares_degrading", HEALTH_SPARES_DEGRADING);
    tool_json_num(j, "years_failing", HEALTH_YEARS_FAILING);
    tool_json_num(j, "years_degrading", HEALTH_YEARS_DEGRADING);
    tool_json_num(j, "mark_fraction", HEALTH_MARK_FRACTION);
    tool_json_end_object(j);
    tool_json_array(j, "layers"); /* as in the text: near first */
    for (int l = MEDIUM_LAYER_COUNT - 1; l >= 0; l--)
        layer_json(j, &h->layer[l], h->dma_copies_valid == 0);
    tool_json_end_array(j);
    tool_json_uint(j, "unreadable_count", h->bad_count);
    if (h->have_owners) {
        tool_json_array(j, "files");
        for (size_t i = 0; i < h->file_count; i++) {
            const struct health_file *d = &h->files[i];
            tool_json_object(j, NULL);
            tool_json_str(j, "path", d->path);
            tool_json_uint(j, "clusters", d->clusters);
            tool_json_uint(j, "bytes", d->bytes);
            tool_json_array(j, "layers");
            for (int l = MEDIUM_LAYER_COUNT - 1; l >= 0; l--)
                if (d->layers >> l & 1u)
                    tool_json_str(j, NULL, layer_names[l]);
            tool_json_end_array(j);
            causes_json(j, d->causes);
            tool_json_end_object(j);
        }
        tool_json_end_array(j);
        tool_json_uint(j, "unowned_clusters", h->bad_unowned);
    } else {
        tool_json_null(j, "files");
        tool_json_null(j, "unowned_clusters");
    }
    if (verbose) {
        tool_json_array(j, "unreadable");
        for (size_t i = 0; i < h->bad_count; i++) {
            const struct health_bad *b = &h->bad[i];
            tool_json_object(j, NULL);
            tool_json_uint(j, "lcn", b->lcn);
            tool_json_str(j, "layer", layer_names[b->layer]);
            tool_json_uint(j, "physical_cluster", b->phys);
            tool_json_num(j, "radius_mm", b->radius_mm);
            tool_json_str(j, "state", state_key(b->state));
            tool_json_str(j, "cause", health_cause_name(b->cause));
            causes_json(j, b->causes);
            tool_json_uint(j, "retries", b->retries);
            tool_json_str(j, "file", b->owner[0] ? b->owner : NULL);
            tool_json_end_object(j);
        }
        tool_json_end_array(j);
    }
    tool_json_end_object(j);
}
