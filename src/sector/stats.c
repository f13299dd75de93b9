/*
 * stats.c — statistics of the sector layer: which zone a physical cluster lies in, how
 * one cluster decode adds to the counters, the fixed order in which a zone's counters
 * are persisted in the DMA (defect.c invariant 2), and the public snapshot.
 *
 * Zones are SECTOR_ZONES equal radius bands of the 24-58 mm data zone (physics.md
 * §3.1 [S39]); the medium spreads clusters evenly by area over that zone, so cluster i
 * of n has its centre at r = sqrt(24^2 + (i + 0.5) / n (58^2 - 24^2)) on either layer
 * (the same formula medium_cluster_info reports; test_sector checks that they agree).
 * It takes no lock: sector.c guards the counters (see struct sector_dev).
 */
#include "sector_priv.h"

#include <math.h>
#include <string.h>

#define ZONE_WIDTH_MM ((SECTOR_ZONE_R_OUT_MM - SECTOR_ZONE_R_IN_MM) / SECTOR_ZONES)

double sector_cluster_radius_mm(uint64_t n, uint64_t phys)
{
    const double r0 = SECTOR_ZONE_R_IN_MM, r1 = SECTOR_ZONE_R_OUT_MM;
    double s = n ? ((double)phys + 0.5) / (double)n : 0.0;
    return sqrt(r0 * r0 + s * (r1 * r1 - r0 * r0));
}

unsigned sector_zone_of(uint64_t n, uint64_t phys)
{
    double z = floor((sector_cluster_radius_mm(n, phys) - SECTOR_ZONE_R_IN_MM) / ZONE_WIDTH_MM);
    if (!(z >= 0))
        return 0;
    return z >= SECTOR_ZONES ? SECTOR_ZONES - 1 : (unsigned)z;
}

void sector_zone_add_decode(struct sector_zone_stats *z, const struct sector_decode_report *r)
{
    z->decodes++;
    z->symbols_corrected += r->symbols_corrected;
    if (r->max_corrected > z->max_corrected)
        z->max_corrected = r->max_corrected;
    z->bis_corrected += r->bis_symbols_corrected;
    z->bursts += r->bursts_flagged;
    z->erasures += r->erasures_used;
    for (unsigned b = 0; b < SECTOR_HIST_BUCKETS; b++)
        z->hist[b] += r->hist[b];
}

void sector_zone_merge(struct sector_zone_stats *a, const struct sector_zone_stats *b)
{
    uint64_t va[SECTOR_ZONE_COUNTERS], vb[SECTOR_ZONE_COUNTERS];
    uint64_t max = a->max_corrected > b->max_corrected ? a->max_corrected : b->max_corrected;
    sector_zone_to_array(a, va);
    sector_zone_to_array(b, vb);
    for (unsigned i = 0; i < SECTOR_ZONE_COUNTERS; i++)
        va[i] += vb[i];
    sector_zone_from_array(a, va);
    a->max_corrected = max;
}

/* The persisted order; one line per counter so the format is read off here. */
void sector_zone_to_array(const struct sector_zone_stats *z, uint64_t *v)
{
    unsigned i = 0;
    v[i++] = z->reads;
    v[i++] = z->writes;
    v[i++] = z->verifies;
    v[i++] = z->retries;
    v[i++] = z->uncorrectable;
    v[i++] = z->verify_failures;
    v[i++] = z->weak;
    v[i++] = z->replacements;
    v[i++] = z->decodes;
    v[i++] = z->symbols_corrected;
    v[i++] = z->max_corrected;
    v[i++] = z->bis_corrected;
    v[i++] = z->bursts;
    v[i++] = z->erasures;
    for (unsigned b = 0; b < SECTOR_HIST_BUCKETS; b++)
        v[i++] = z->hist[b];
}

_Static_assert(14u + SECTOR_HIST_BUCKETS == SECTOR_ZONE_COUNTERS,
               "every zone counter is persisted");

void sector_zone_from_array(struct sector_zone_stats *z, const uint64_t *v)
{
    unsigned i = 0;
    z->reads = v[i++];
    z->writes = v[i++];
    z->verifies = v[i++];
    z->retries = v[i++];
    z->uncorrectable = v[i++];
    z->verify_failures = v[i++];
    z->weak = v[i++];
    z->replacements = v[i++];
    z->decodes = v[i++];
    z->symbols_corrected = v[i++];
    z->max_corrected = v[i++];
    z->bis_corrected = v[i++];
    z->bursts = v[i++];
    z->erasures = v[i++];
    for (unsigned b = 0; b < SECTOR_HIST_BUCKETS; b++)
        z->hist[b] = v[i++];
}

void sector_stats_build(const struct sector_counters *c, const struct sector_layout *l,
                        const struct sector_dma *state, struct sector_stats *out)
{
    memset(out, 0, sizeof *out);
    out->version = SECTOR_STATS_VERSION;
    out->zones = SECTOR_ZONES;
    out->generation = state->generation;
    out->logical_clusters = 2 * l->user;
    out->layer_clusters = l->layer_clusters;
    out->dma_clusters = l->dma_clusters;
    out->dfl_entries = state->dfl.count;
    for (unsigned ly = 0; ly < MEDIUM_LAYER_COUNT; ly++) {
        struct sector_layer_stats *s = &out->layer[ly];
        s->user_clusters = l->user;
        s->isa_clusters = l->isa;
        s->osa_clusters = l->osa;
        s->spares_used = state->spares_used[ly];
        s->spares_left = l->isa + l->osa - state->spares_used[ly];
        s->dma_writes = c->dma_writes[ly];
        s->total.r_inner_mm = SECTOR_ZONE_R_IN_MM;
        s->total.r_outer_mm = SECTOR_ZONE_R_OUT_MM;
        for (unsigned z = 0; z < SECTOR_ZONES; z++) {
            s->zone[z] = c->zone[ly][z];
            s->zone[z].r_inner_mm = SECTOR_ZONE_R_IN_MM + z * ZONE_WIDTH_MM;
            s->zone[z].r_outer_mm = SECTOR_ZONE_R_IN_MM + (z + 1) * ZONE_WIDTH_MM;
            sector_zone_merge(&s->total, &s->zone[z]);
        }
    }
    for (uint32_t i = 0; i < state->dfl.count; i++) {
        const struct sector_dfl_entry *e = &state->dfl.e[i];
        if (e->layer >= MEDIUM_LAYER_COUNT)
            continue;
        if (e->type == SECTOR_DFL_REPLACED)
            out->layer[e->layer].defects++;
        else
            out->layer[e->layer].spares_bad++;
    }
}
