/*
 * phasectl_stats.c — `phasectl stats IMAGE [--json]`: the sector layer's statistics of
 * a closed image, as saved in its defect management areas (src/sector/defect.c): the
 * layout, the defect list, spares used and left, and per layer and radius zone the
 * reads, writes, verifies, retries, uncorrectables, replacements and the corrected
 * symbols per codeword. The image is opened read-only and nothing is repaired.
 * The report is gathered once as data (struct sector_stats), then rendered as text or
 * as JSON with "format_version" first. Exit codes: phasectl.h.
 */
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

static void zone_json(const struct sector_zone_stats *z)
{
    printf("{\"r_inner_mm\": %.4g, \"r_outer_mm\": %.4g, \"reads\": %llu, \"writes\": %llu, "
           "\"verifies\": %llu, \"retries\": %llu, \"uncorrectable\": %llu, "
           "\"verify_failures\": %llu, \"weak\": %llu, \"replacements\": %llu, "
           "\"decodes\": %llu, \"symbols_corrected\": %llu, \"max_corrected\": %llu, "
           "\"bis_corrected\": %llu, \"bursts\": %llu, \"erasures\": %llu, \"histogram\": {",
           z->r_inner_mm, z->r_outer_mm, (unsigned long long)z->reads,
           (unsigned long long)z->writes, (unsigned long long)z->verifies,
           (unsigned long long)z->retries, (unsigned long long)z->uncorrectable,
           (unsigned long long)z->verify_failures, (unsigned long long)z->weak,
           (unsigned long long)z->replacements, (unsigned long long)z->decodes,
           (unsigned long long)z->symbols_corrected, (unsigned long long)z->max_corrected,
           (unsigned long long)z->bis_corrected, (unsigned long long)z->bursts,
           (unsigned long long)z->erasures);
    for (unsigned b = 0; b < SECTOR_HIST_BUCKETS; b++)
        printf("%s\"%s\": %llu", b ? ", " : "", hist_labels[b], (unsigned long long)z->hist[b]);
    printf("}}");
}

static void render_json(const char *path, const struct sector_stats *st)
{
    printf("{\n  \"format_version\": %d,\n  \"image\": ", PHASECTL_JSON_FORMAT_VERSION);
    tool_json_string(stdout, path);
    printf(",\n  \"stats_version\": %u,\n  \"generation\": %llu,\n  \"logical_clusters\": %llu,\n"
           "  \"layer_clusters\": %llu,\n  \"dma_clusters\": %u,\n  \"dma_copies_valid\": %u,\n"
           "  \"dfl_entries\": %llu,\n  \"layers\": [\n",
           st->version, (unsigned long long)st->generation,
           (unsigned long long)st->logical_clusters, (unsigned long long)st->layer_clusters,
           st->dma_clusters, st->dma_copies_valid, (unsigned long long)st->dfl_entries);
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        const struct sector_layer_stats *s = &st->layer[l];
        printf("    {\"layer\": \"%s\", \"name\": \"L%u\", \"user_clusters\": %llu, "
               "\"isa_clusters\": %llu, \"osa_clusters\": %llu, \"spares_used\": %llu, "
               "\"spares_left\": %llu, \"spares_bad\": %llu, \"defects\": %llu, "
               "\"dma_writes\": %llu,\n      \"total\": ",
               layer_names[l], l, (unsigned long long)s->user_clusters,
               (unsigned long long)s->isa_clusters, (unsigned long long)s->osa_clusters,
               (unsigned long long)s->spares_used, (unsigned long long)s->spares_left,
               (unsigned long long)s->spares_bad, (unsigned long long)s->defects,
               (unsigned long long)s->dma_writes);
        zone_json(&s->total);
        printf(",\n      \"zones\": [\n");
        for (unsigned z = 0; z < st->zones && z < SECTOR_ZONES; z++) {
            printf("        ");
            zone_json(&s->zone[z]);
            printf("%s\n", z + 1 < st->zones ? "," : "");
        }
        printf("      ]}%s\n", l + 1 < MEDIUM_LAYER_COUNT ? "," : "");
    }
    printf("  ]\n}\n");
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

static void render_text(const char *path, const struct sector_stats *st)
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
    for (int l = MEDIUM_LAYER_COUNT - 1; l >= 0; l--) {
        const struct sector_layer_stats *s = &st->layer[l];
        printf("  %s\n", layer_labels[l]);
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
    if (json)
        render_json(path, &st);
    else
        render_text(path, &st);
    return PHASECTL_EXIT_OK;
}
