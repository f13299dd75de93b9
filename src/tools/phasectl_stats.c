/*
 * phasectl_stats.c — `phasectl stats IMAGE [--json]`: the sector layer's statistics of
 * a closed image, as saved in its defect management areas (src/sector/defect.c): the
 * layout, the defect list, spares used and left, and per layer and radius zone the
 * reads, writes, verifies, retries, uncorrectables, replacements and the corrected
 * symbols per codeword, with each layer's verdict from the health scan (src/health).
 * The image is opened read-only and nothing is repaired.
 * The report is gathered once as data (struct sector_stats), then rendered as text or
 * as JSON with "format_version" first. Exit codes: phasectl.h.
 */
#include "health.h"
#include "medium.h"
#include "phasectl.h"
#include "sector.h"
#include "tool.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char *const layer_names[MEDIUM_LAYER_COUNT] = {"far", "near"};
static const char *const layer_labels[MEDIUM_LAYER_COUNT] = {"L0 (far)", "L1 (near)"};
static const char *const hist_labels[SECTOR_HIST_BUCKETS] = {
    "0", "1", "2", "3-4", "5-8", "9-16", "17-32", "failed",
};

static void stats_usage(FILE *f)
{
    fprintf(f, "Usage: phasectl stats IMAGE [--json]\n"
               "Show the sector layer's statistics saved in the image: defect list, spares\n"
               "used and left, and per layer and radius zone the reads, writes, retries,\n"
               "uncorrectable clusters, replacements and corrected symbols per codeword.\n");
}

static void zone_json(struct tool_json *j, const char *key, const struct sector_zone_stats *z)
{
    tool_json_object(j, key);
    tool_json_num(j, "r_inner_mm", z->r_inner_mm);
    tool_json_num(j, "r_outer_mm", z->r_outer_mm);
    tool_json_uint(j, "reads", z->reads);
    tool_json_uint(j, "writes", z->writes);
    tool_json_uint(j, "verifies", z->verifies);
    tool_json_uint(j, "retries", z->retries);
    tool_json_uint(j, "uncorrectable", z->uncorrectable);
    tool_json_uint(j, "verify_failures", z->verify_failures);
    tool_json_uint(j, "weak", z->weak);
    tool_json_uint(j, "replacements", z->replacements);
    tool_json_uint(j, "decodes", z->decodes);
    tool_json_uint(j, "symbols_corrected", z->symbols_corrected);
    tool_json_uint(j, "max_corrected", z->max_corrected);
    tool_json_uint(j, "bis_corrected", z->bis_corrected);
    tool_json_uint(j, "bursts", z->bursts);
    tool_json_uint(j, "erasures", z->erasures);
    tool_json_object(j, "histogram");
    for (unsigned b = 0; b < SECTOR_HIST_BUCKETS; b++)
        tool_json_uint(j, hist_labels[b], z->hist[b]);
    tool_json_end_object(j);
    tool_json_end_object(j);
}

static void render_json(const char *path, const struct sector_stats *st, const struct health *h)
{
    struct tool_json j;
    tool_json_begin(&j, stdout);
    tool_json_object(&j, NULL);
    tool_json_int(&j, "format_version", PHASECTL_JSON_FORMAT_VERSION);
    tool_json_str(&j, "program", "phasectl stats");
    tool_json_str(&j, "image", path);
    tool_json_uint(&j, "stats_version", st->version);
    tool_json_uint(&j, "generation", st->generation);
    tool_json_uint(&j, "logical_clusters", st->logical_clusters);
    tool_json_uint(&j, "layer_clusters", st->layer_clusters);
    tool_json_uint(&j, "dma_clusters", st->dma_clusters);
    tool_json_uint(&j, "dma_copies_valid", st->dma_copies_valid);
    tool_json_uint(&j, "dfl_entries", st->dfl_entries);
    tool_json_str(&j, "verdict", health_verdict_name(h->verdict));
    tool_json_array(&j, "layers"); /* near first, as in the text */
    for (int l = MEDIUM_LAYER_COUNT - 1; l >= 0; l--) {
        const struct sector_layer_stats *s = &st->layer[l];
        char name[8];
        snprintf(name, sizeof name, "L%d", l);
        tool_json_object(&j, NULL);
        tool_json_str(&j, "layer", layer_names[l]);
        tool_json_str(&j, "name", name);
        tool_json_str(&j, "verdict", health_verdict_name(h->layer[l].verdict));
        tool_json_array(&j, "reasons");
        for (unsigned i = 0; i < h->layer[l].reason_count; i++)
            tool_json_str(&j, NULL, h->layer[l].reasons[i]);
        tool_json_end_array(&j);
        tool_json_uint(&j, "user_clusters", s->user_clusters);
        tool_json_uint(&j, "isa_clusters", s->isa_clusters);
        tool_json_uint(&j, "osa_clusters", s->osa_clusters);
        tool_json_uint(&j, "spares_used", s->spares_used);
        tool_json_uint(&j, "spares_left", s->spares_left);
        tool_json_uint(&j, "spares_bad", s->spares_bad);
        tool_json_uint(&j, "defects", s->defects);
        tool_json_uint(&j, "dma_writes", s->dma_writes);
        zone_json(&j, "total", &s->total);
        tool_json_array(&j, "zones");
        for (unsigned z = 0; z < st->zones && z < SECTOR_ZONES; z++)
            zone_json(&j, NULL, &s->zone[z]);
        tool_json_end_array(&j);
        tool_json_end_object(&j);
    }
    tool_json_end_array(&j);
    tool_json_end_object(&j);
    tool_json_finish(&j);
}

static void zone_line(const char *label, const struct sector_zone_stats *z)
{
    printf("    %-14s %8llu %8llu %8llu %7llu %6llu %6llu %5llu %5llu %9llu %4llu %7llu %7llu\n",
           label, (unsigned long long)z->reads, (unsigned long long)z->writes,
           (unsigned long long)z->verifies, (unsigned long long)z->retries,
           (unsigned long long)z->uncorrectable, (unsigned long long)z->verify_failures,
           (unsigned long long)z->weak, (unsigned long long)z->replacements,
           (unsigned long long)z->symbols_corrected, (unsigned long long)z->max_corrected,
           (unsigned long long)z->bis_corrected, (unsigned long long)z->erasures);
}

static void render_text(const char *path, const struct sector_stats *st, const struct health *h)
{
    const struct sector_layer_stats *l0 = &st->layer[0];
    printf("Sector layer of %s\n", path);
    printf("  layout        2 layers x %llu clusters: 2 DMA copies of %u cluster%s, ISA %llu + "
           "OSA %llu spares, %llu user clusters per layer; %llu logical clusters\n",
           (unsigned long long)st->layer_clusters, st->dma_clusters,
           st->dma_clusters == 1 ? "" : "s", (unsigned long long)l0->isa_clusters,
           (unsigned long long)l0->osa_clusters, (unsigned long long)l0->user_clusters,
           (unsigned long long)st->logical_clusters);
    printf("  defect list   %llu entries, generation %llu; %u of 4 DMA copies valid\n",
           (unsigned long long)st->dfl_entries, (unsigned long long)st->generation,
           st->dma_copies_valid);
    printf("  health        %s (surface scan; phasectl health)\n", health_verdict_name(h->verdict));
    for (int l = MEDIUM_LAYER_COUNT - 1; l >= 0; l--) {
        const struct sector_layer_stats *s = &st->layer[l];
        printf("  %s\n", layer_labels[l]);
        printf("    health      %s\n", health_verdict_name(h->layer[l].verdict));
        for (unsigned i = 0; i < h->layer[l].reason_count; i++)
            printf("                because %s\n", h->layer[l].reasons[i]);
        printf("    spares      %llu used, %llu left of %llu; %llu clusters replaced, %llu bad "
               "spares; DMA copies written %llu times\n",
               (unsigned long long)s->spares_used, (unsigned long long)s->spares_left,
               (unsigned long long)(s->isa_clusters + s->osa_clusters),
               (unsigned long long)s->defects, (unsigned long long)s->spares_bad,
               (unsigned long long)s->dma_writes);
        printf("    %-14s %8s %8s %8s %7s %6s %6s %5s %5s %9s %4s %7s %7s\n", "zone (mm)", "reads",
               "writes", "verifies", "retries", "uncorr", "vfail", "weak", "repl", "symbols",
               "max", "bis", "erasure");
        for (unsigned z = 0; z < st->zones && z < SECTOR_ZONES; z++) {
            char label[32];
            snprintf(label, sizeof label, "%u %.1f-%.1f", z, s->zone[z].r_inner_mm,
                     s->zone[z].r_outer_mm);
            zone_line(label, &s->zone[z]);
        }
        zone_line("total", &s->total);
        printf("    codewords by corrected symbols:");
        for (unsigned b = 0; b < SECTOR_HIST_BUCKETS; b++)
            printf(" %s: %llu", hist_labels[b], (unsigned long long)s->total.hist[b]);
        printf("\n");
    }
}

int phasectl_stats(int argc, char **argv)
{
    const char *path;
    int json;
    int rc = phasectl_image_args(argc, argv, stats_usage, &path, &json);
    if (rc >= 0)
        return rc;
    struct medium *m;
    rc = phasectl_open(path, 1, &m);
    if (rc)
        return rc;
    struct sector_options opt;
    sector_options_default(&opt);
    opt.read_only = true;
    opt.scratch_slots = 1;
    struct sector_dev *dev = NULL;
    rc = sector_open(m, &opt, &dev);
    if (rc < 0) {
        if (rc == -ENODATA)
            tool_error(path, "the sector layer was never formatted; create the medium with "
                             "'phasectl create' (without --no-format)");
        else if (rc == -EUCLEAN)
            tool_error(path, "all four defect management areas are lost or corrupt; the "
                             "defect list and statistics cannot be read");
        else if (rc == -EINVAL)
            tool_error(path, "the profile's [format] spare areas leave no user clusters");
        else
            tool_error(path, "cannot open the sector layer: %s", tool_strerror(rc));
        medium_close(m);
        return PHASECTL_EXIT_MEDIUM;
    }
    struct sector_stats st;
    rc = sector_stats_get(dev, &st);
    sector_close(dev);
    medium_close(m);
    if (rc < 0) {
        tool_error(path, "cannot read the statistics: %s", tool_strerror(rc));
        return PHASECTL_EXIT_MEDIUM;
    }
    /* the counters above are what the drive saved; the verdict is the health scan's,
     * the same every report shows */
    struct health h;
    if (phasectl_health_scan(path, false, &h) < 0)
        return PHASECTL_EXIT_MEDIUM;
    if (json)
        render_json(path, &st, &h);
    else
        render_text(path, &st, &h);
    health_free(&h);
    return PHASECTL_EXIT_OK;
}
