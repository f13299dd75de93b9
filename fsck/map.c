/*
 * map.c — the disc maps of fsck.phasefs --map FILE (.png, .svg or .pdf), drawn with the
 * shared plotting module (src/plot). Per layer, near first: a disc map of the decode
 * margin (angle x radius as the laser sees the disc, so a scratch or dust shows where
 * it lies), a wear map (overwrite cycles against the layer's N0) and the symbol error
 * rate of every cluster against radius with the format limit. One colour scale for
 * margin and wear, with swatches for unwritten, uncorrectable and corrupt-entry
 * clusters; uncorrectable clusters get a strip of their own above the SER chart, so
 * they never pile up over the data. The title names the image, profile, simulated age
 * and the conditions of the last ageing step. Nothing is judged here.
 */
#include "fsck.h"
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_W 1320.0
#define PAGE_H 1010.0
#define ROW_TOP 92.0
#define ROW_H 410.0
#define DISC_R 150.0
#define SER_FLOOR 1e-7
#define SER_CEIL 1e-1
#define YEAR_S 31557600.0
#define MAP_BIN_CLUSTERS 512 /* more per layer: a polar grid of the worst per cell */
#define MAP_RADII 170        /* 0.2 mm bands over the 34 mm data zone */
#define MAP_ANGLES 360

#define COL_UNWRITTEN 0xD9D9D9u
#define COL_UNCORRECTABLE 0xE41A1Cu
#define COL_CORRUPT 0xFF7F00u
#define COL_BACKGROUND 0xF2F2F2u /* spare and defect-management areas: not user data */

bool fsck_map_kind_ok(const char *path)
{
    enum plot_kind k;
    return plot_kind_of(path, &k) == 0;
}

static uint32_t margin_colour(const struct health_cluster *c)
{
    switch (c->state) {
    case HEALTH_CLUSTER_OK: return plot_ramp(c->margin / (double)SECTOR_RS_PARITY);
    case HEALTH_CLUSTER_UNCORRECTABLE: return COL_UNCORRECTABLE;
    case HEALTH_CLUSTER_CORRUPT_ENTRY: return COL_CORRUPT;
    default: return COL_UNWRITTEN;
    }
}

/* log scale from 1 cycle to the larger of N0 and the most-worn cluster */
static double wear_top(const struct health_layer *L)
{
    double top = L->n0_cycles > L->cycles_max ? L->n0_cycles : L->cycles_max;
    return top > 10 ? top : 10;
}

static uint32_t wear_colour(const struct health_cluster *c, double top)
{
    if (c->state == HEALTH_CLUSTER_UNWRITTEN)
        return COL_UNWRITTEN;
    if (c->state == HEALTH_CLUSTER_CORRUPT_ENTRY)
        return COL_CORRUPT;
    return plot_ramp(log10(c->cycles > 1 ? c->cycles : 1) / log10(top));
}

/* How bad a cluster looks on a map, for binning many into one cell: the worst wins.
 * -1 unwritten; margin map: 32 - margin, then corrupt entry, then uncorrectable;
 * wear map: cycles. */
static double badness(const struct health_cluster *c, bool wear)
{
    if (c->state == HEALTH_CLUSTER_UNWRITTEN)
        return -1;
    if (c->state == HEALTH_CLUSTER_CORRUPT_ENTRY)
        return wear ? 1e12 : 1e9 + 1;
    if (wear)
        return c->cycles;
    return c->state == HEALTH_CLUSTER_UNCORRECTABLE ? 1e9 + 2 : SECTOR_RS_PARITY - c->margin;
}

/* Over MAP_BIN_CLUSTERS clusters a layer is drawn as a polar grid, worst cluster per
 * cell: drawing every arc of a 25 GB layer would take minutes and a huge SVG. */
static int disc_cells(struct plot *p, const struct plot_disc *d, const struct health *h,
                      unsigned l, bool wear)
{
    double *worst = malloc((size_t)MAP_RADII * MAP_ANGLES * sizeof *worst);
    uint32_t *rgb = malloc((size_t)MAP_RADII * MAP_ANGLES * sizeof *rgb);
    const struct health_cluster **pick = malloc((size_t)MAP_RADII * MAP_ANGLES * sizeof *pick);
    if (!worst || !rgb || !pick) {
        free(worst), free(rgb), free(pick);
        return -ENOMEM;
    }
    for (size_t i = 0; i < (size_t)MAP_RADII * MAP_ANGLES; i++)
        worst[i] = -2, pick[i] = NULL;
    const double r0 = SECTOR_ZONE_R_IN_MM, r1 = SECTOR_ZONE_R_OUT_MM;
    for (uint64_t i = 0; i < h->logical_clusters; i++) {
        const struct health_cluster *c = &h->clusters[i];
        if (c->layer != l || !(c->radius_mm > 0))
            continue;
        double b = badness(c, wear);
        /* the bands its track turn covers, a pitch wide */
        int ir0 = (int)((c->radius_mm - d->pitch_mm / 2 - r0) / (r1 - r0) * MAP_RADII);
        int ir1 = (int)((c->radius_mm + d->pitch_mm / 2 - r0) / (r1 - r0) * MAP_RADII);
        ir0 = ir0 < 0 ? 0 : ir0 >= MAP_RADII ? MAP_RADII - 1 : ir0;
        ir1 = ir1 < ir0 ? ir0 : ir1 >= MAP_RADII ? MAP_RADII - 1 : ir1;
        int steps = (int)ceil(c->arc_deg / 360.0 * MAP_ANGLES) + 1;
        for (int ir = ir0; ir <= ir1; ir++) {
            for (int s = 0; s < steps; s++) {
                double a = fmod(c->angle_deg + c->arc_deg * s / (steps > 1 ? steps - 1 : 1),
                                360.0);
                size_t k = (size_t)ir * MAP_ANGLES +
                           (size_t)(a / 360.0 * MAP_ANGLES) % MAP_ANGLES;
                if (b > worst[k]) {
                    worst[k] = b;
                    pick[k] = c;
                }
            }
        }
    }
    double top = wear_top(&h->layer[l]);
    for (size_t i = 0; i < (size_t)MAP_RADII * MAP_ANGLES; i++)
        rgb[i] = !pick[i] ? PLOT_NO_CELL : wear ? wear_colour(pick[i], top) : margin_colour(pick[i]);
    int rc = plot_disc_cells(p, d, r0, r1, rgb, MAP_RADII, MAP_ANGLES);
    free(worst), free(rgb), free(pick);
    return rc;
}

static int disc(struct plot *p, const struct health *h, unsigned l, double cx, double cy,
                bool wear, const char *caption)
{
    const struct health_layer *L = &h->layer[l];
    double arcs = 0;
    uint64_t n = 0;
    for (uint64_t i = 0; i < h->logical_clusters; i++)
        if (h->clusters[i].layer == l && h->clusters[i].radius_mm > 0) {
            arcs += h->clusters[i].arc_deg;
            n++;
        }
    /* the spiral's turns over the whole layer, from the mean arc of a cluster */
    double turns = n ? arcs / (double)n * (double)L->physical_clusters / 360.0 : 1;
    struct plot_disc d = {
        .cx = cx, .cy = cy, .r = DISC_R, .r_in_mm = SECTOR_ZONE_R_IN_MM - 1,
        .r_out_mm = SECTOR_ZONE_R_OUT_MM + 1,
        .pitch_mm = (SECTOR_ZONE_R_OUT_MM - SECTOR_ZONE_R_IN_MM) / (turns > 1 ? turns : 1),
    };
    plot_disc_frame(p, &d, COL_BACKGROUND);
    if (n > MAP_BIN_CLUSTERS) {
        int rc = disc_cells(p, &d, h, l, wear);
        if (rc < 0)
            return rc;
    } else {
        double top = wear_top(L);
        for (uint64_t i = 0; i < h->logical_clusters; i++) {
            const struct health_cluster *c = &h->clusters[i];
            if (c->layer != l || !(c->radius_mm > 0))
                continue;
            plot_disc_arc(p, &d, c->radius_mm, c->angle_deg, c->arc_deg,
                          wear ? wear_colour(c, top) : margin_colour(c));
        }
    }
    plot_disc_overlay(p, &d);
    plot_text(p, cx, cy + DISC_R + 28, 10, PLOT_CENTRE, false, 0x202020, caption);
    return 0;
}

static int ser_chart(struct plot *p, const struct health *h, unsigned l, double x, double y)
{
    const struct health_layer *L = &h->layer[l];
    struct plot_axes a = {
        .x = x, .y = y + 30, .w = 470, .h = 290,
        .x0 = SECTOR_ZONE_R_IN_MM, .x1 = SECTOR_ZONE_R_OUT_MM,
        .y0 = SER_FLOOR, .y1 = SER_CEIL, .ylog = true,
        .xlabel = "radius (mm)", .ylabel = "symbol error rate per cluster (0 on the floor)",
    };
    size_t n = 0, nbad = 0;
    for (uint64_t i = 0; i < h->logical_clusters; i++)
        n += h->clusters[i].layer == l && h->clusters[i].state != HEALTH_CLUSTER_UNWRITTEN;
    double *xs = malloc((n + 1) * sizeof *xs), *ys = malloc((n + 1) * sizeof *ys);
    double *bx = malloc((n + 1) * sizeof *bx);
    uint32_t *cs = malloc((n + 1) * sizeof *cs);
    if (!xs || !ys || !bx || !cs) {
        free(xs), free(ys), free(bx), free(cs);
        return -ENOMEM;
    }
    size_t k = 0;
    for (uint64_t i = 0; i < h->logical_clusters; i++) {
        const struct health_cluster *c = &h->clusters[i];
        if (c->layer != l || c->state == HEALTH_CLUSTER_UNWRITTEN)
            continue;
        if (c->state != HEALTH_CLUSTER_OK) {
            bx[nbad++] = c->radius_mm;
            continue;
        }
        double ser = c->symbols / ((double)SECTOR_LDC_CODEWORDS * SECTOR_LDC_N);
        xs[k] = c->radius_mm;
        ys[k] = ser > SER_FLOOR ? ser : SER_FLOOR; /* 0 and below sit on the floor */
        cs[k] = plot_ramp(c->margin / (double)SECTOR_RS_PARITY);
        k++;
    }
    plot_axes_draw(p, &a);
    if (k > MAP_BIN_CLUSTERS) {
        /* one dot per 2-point cell of the chart, the worst margin's colour (the ramp
         * is monotone in margin, so the darker wins), so the file stays small */
        enum { BX = 235, BY = 145 };
        static uint32_t cell[BX * BY];
        size_t m = 0;
        memset(cell, 0xFF, sizeof cell);
        for (size_t i = 0; i < k; i++) {
            int cx = (int)((plot_x(&a, xs[i]) - a.x) / a.w * (BX - 1));
            int cy = (int)((plot_y(&a, ys[i]) - a.y) / a.h * (BY - 1));
            uint32_t *v = &cell[cy * BX + cx];
            if (*v == 0xFFFFFFFFu || (cs[i] & 0xFF00u) < (*v & 0xFF00u))
                *v = cs[i];
        }
        for (int cy = 0; cy < BY; cy++)
            for (int cx = 0; cx < BX; cx++)
                if (cell[cy * BX + cx] != 0xFFFFFFFFu) {
                    /* back from the cell's centre to data units along each axis */
                    xs[m] = a.x0 + (a.x1 - a.x0) * (cx + 0.5) / (BX - 1);
                    ys[m] = pow(10, log10(a.y1) - (log10(a.y1) - log10(a.y0)) * (cy + 0.5) /
                                                     (BY - 1));
                    cs[m++] = cell[cy * BX + cx];
                }
        k = m;
    }
    plot_points(p, &a, xs, ys, k, cs, 0, PLOT_DOT, 2.2);
    /* the zones' SER as steps */
    double zx[2 * SECTOR_ZONES], zy[2 * SECTOR_ZONES];
    for (unsigned z = 0; z < SECTOR_ZONES; z++) {
        zx[2 * z] = L->zone[z].r_inner_mm;
        zx[2 * z + 1] = L->zone[z].r_outer_mm;
        zy[2 * z] = zy[2 * z + 1] = L->zone[z].ser > 0 ? L->zone[z].ser : NAN;
    }
    plot_line(p, &a, zx, zy, 2 * SECTOR_ZONES, 0x202020, 1.4, PLOT_SOLID);
    plot_hline(p, &a, HEALTH_SER_LIMIT, COL_UNCORRECTABLE, PLOT_DASHED, "format limit 2e-4");
    plot_hline(p, &a, HEALTH_SER_DEGRADING, 0xB15928, PLOT_DOTTED, "degrading 5e-5");
    /* the uncorrectable clusters: a strip above the chart, crosses at their radius */
    struct plot_axes strip = a;
    strip.y = y + 6;
    strip.h = 18;
    strip.ylog = false;
    strip.y0 = 0;
    strip.y1 = 1;
    plot_rect(p, strip.x, strip.y, strip.w, strip.h, 0xFBE9E9);
    for (size_t i = 0; i < nbad; i++)
        ys[i] = 0.5;
    plot_points(p, &strip, bx, ys, nbad, NULL, COL_UNCORRECTABLE, PLOT_CROSS, 4);
    char buf[64];
    snprintf(buf, sizeof buf, "uncorrectable clusters: %zu", nbad);
    plot_text(p, strip.x + strip.w, strip.y - 3, 9, PLOT_RIGHT, false, COL_UNCORRECTABLE, buf);
    struct plot_legend_item items[] = {
        {"cluster (colour: margin)", plot_ramp(0.8), PLOT_DOT, PLOT_SOLID},
        {"zone SER", 0x202020, PLOT_NONE, PLOT_SOLID},
        {"format limit", COL_UNCORRECTABLE, PLOT_NONE, PLOT_DASHED},
        {"degrading threshold", 0xB15928, PLOT_NONE, PLOT_DOTTED},
    };
    plot_legend(p, &a, items, sizeof items / sizeof items[0]);
    free(xs), free(ys), free(bx), free(cs);
    return 0;
}

static int title(struct plot *p, const char *image, const struct health *h)
{
    char head[320], buf[320];
    snprintf(head, sizeof head, "Disc maps of %s", image);
    plot_text(p, 24, 30, 17, PLOT_LEFT, true, 0x101010, head);
    snprintf(buf, sizeof buf,
             "profile %s, seed %llu  \xc2\xb7  %.3g years simulated, last ageing step at "
             "%.1f \xc2\xb0""C and %.0f %% RH (profile %.1f \xc2\xb0""C)  \xc2\xb7  "
             "equivalent age at 25 \xc2\xb0""C: L1 %.3g y, L0 %.3g y",
             h->profile, (unsigned long long)h->seed, h->sim_s / YEAR_S, h->last_temp_c,
             h->last_rh_pct, h->temperature_c, h->layer[1].layer_equiv_s / YEAR_S,
             h->layer[0].layer_equiv_s / YEAR_S);
    plot_text(p, 24, 52, 11, PLOT_LEFT, false, 0x303030, buf);
    int rc = plot_set_title(p, head, buf);
    snprintf(buf, sizeof buf, "medium %s  \xc2\xb7  %llu of %llu logical clusters scanned%s"
                              "  \xc2\xb7  %u of 4 DMA copies valid",
             health_verdict_name(h->verdict), (unsigned long long)h->scanned,
             (unsigned long long)h->logical_clusters, h->complete ? "" : " (cancelled)",
             h->dma_copies_valid);
    plot_text(p, 24, 70, 11, PLOT_LEFT, false, h->verdict ? COL_UNCORRECTABLE : 0x303030, buf);
    return rc;
}

int fsck_map_write(FILE *out, const char *path, const char *image, const struct health *h)
{
    enum plot_kind kind;
    struct plot *p;
    int rc = plot_kind_of(path, &kind);
    if (rc < 0)
        return rc;
    rc = plot_open(out, kind, PAGE_W, PAGE_H, &p);
    if (rc < 0)
        return rc;
    rc = title(p, image, h);
    for (int row = 0; rc == 0 && row < MEDIUM_LAYER_COUNT; row++) {
        unsigned l = MEDIUM_LAYER_COUNT - 1 - (unsigned)row; /* near first */
        const struct health_layer *L = &h->layer[l];
        double y = ROW_TOP + row * ROW_H;
        char buf[160];
        snprintf(buf, sizeof buf, "%s  %s: %s", l ? "L1 (near)" : "L0 (far)", L->material,
                 health_verdict_name(L->verdict));
        plot_text(p, 24, y + 12, 13, PLOT_LEFT, true, 0x101010, buf);
        if (L->reason_count)
            plot_text(p, 380, y + 12, 10, PLOT_LEFT, false, 0x505050, L->reasons[0]);
        rc = disc(p, h, l, 24 + 20 + DISC_R, y + 40 + DISC_R, false,
                  "decode margin by position");
        if (rc == 0)
            rc = disc(p, h, l, 24 + 20 + 3 * DISC_R + 60, y + 40 + DISC_R, true,
                      "wear (overwrite cycles) by position");
        if (rc == 0)
            rc = ser_chart(p, h, l, 790, y + 20);
    }
    if (rc < 0) {
        plot_close(p);
        return rc;
    }
    static const char *const margin_ticks[] = {"0 (none left)", "8", "16", "24", "32 of 32"};
    static const struct plot_swatch sw[] = {
        {"unwritten", COL_UNWRITTEN},
        {"uncorrectable", COL_UNCORRECTABLE},
        {"corrupt entry", COL_CORRUPT},
        {"not user data", COL_BACKGROUND},
    };
    double sy = ROW_TOP + 2 * ROW_H + 20;
    plot_scale(p, 24, sy, 720, "decode margin (parity symbols left in the worst codeword)",
               margin_ticks, 5, sw, 4);
    char t0[32], t1[32], t2[32];
    double top = wear_top(&h->layer[0]) > wear_top(&h->layer[1]) ? wear_top(&h->layer[0])
                                                                 : wear_top(&h->layer[1]);
    snprintf(t0, sizeof t0, "1 cycle");
    snprintf(t1, sizeof t1, "%.0f", sqrt(top));
    snprintf(t2, sizeof t2, "%.0f (N0 or most worn)", top);
    const char *const wear_ticks[] = {t0, t1, t2};
    plot_scale(p, 790, sy, 470, "wear: overwrite cycles, log scale (per layer to its N0)",
               wear_ticks, 3, NULL, 0);
    return plot_close(p);
}
