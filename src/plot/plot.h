/*
 * plot.h — the one plotting module of the phasefs tools (libplot.a, over cairo): a
 * drawing written as PNG, SVG or PDF from the same calls, text in a real font found by
 * fontconfig (DejaVu Sans), line and scatter charts with linear or log axes, ticks,
 * grid and legend, disc maps (angle x radius, one arc per cluster) and colour scales
 * with both a continuous ramp and named swatches (unwritten, uncorrectable ...).
 * fsck.phasefs --map draws with it, and so must every later chart (lifetest survival,
 * SER against time). Coordinates are in points from the top left; colours 0xRRGGBB.
 * Functions return 0 or a negative errno; nothing here prints.
 */
#ifndef PHASEFS_PLOT_H
#define PHASEFS_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum plot_kind { PLOT_PNG = 0, PLOT_SVG, PLOT_PDF };

/* The kind a file name asks for by its extension (.png, .svg, .pdf, any case).
 * Returns 0 and *out, or -EINVAL. */
int plot_kind_of(const char *path, enum plot_kind *out);

struct plot;

/* A drawing of width x height points written to out (which stays the caller's, and
 * must stay open until plot_close), white background. Returns 0, -ENOMEM, -EINVAL. */
int plot_open(FILE *out, enum plot_kind kind, double width, double height, struct plot **p);
/* The drawing's title and description as document metadata: SVG <title> and <desc>,
 * PDF Title and Subject (a PNG carries them only as drawn text). 0 or -ENOMEM. */
int plot_set_title(struct plot *p, const char *title, const char *desc);
/* Finish and write the drawing; frees p (NULL accepted). 0, -EIO, -ENOMEM. */
int plot_close(struct plot *p);

enum plot_align { PLOT_LEFT = 0, PLOT_CENTRE, PLOT_RIGHT };

/* Text with its baseline at y; size in points. */
void plot_text(struct plot *p, double x, double y, double size, enum plot_align align,
               bool bold, uint32_t rgb, const char *text);
/* Text rotated a quarter turn (reading upwards), centred on (x, y). */
void plot_text_up(struct plot *p, double x, double y, double size, const char *text);
void plot_rect(struct plot *p, double x, double y, double w, double h, uint32_t fill);

/* ---- charts ---------------------------------------------------------------------- */

struct plot_axes {
    double x, y, w, h;          /* the data area on the page */
    double x0, x1, y0, y1;      /* data range (log axes: both > 0) */
    bool xlog, ylog;
    const char *xlabel, *ylabel;
};

/* Frame, grid, ticks with labels (decades on a log axis) and the axis labels. */
void plot_axes_draw(struct plot *p, const struct plot_axes *a);
/* Page coordinates of a data point (clamped into the data area). */
double plot_x(const struct plot_axes *a, double v);
double plot_y(const struct plot_axes *a, double v);

enum plot_marker { PLOT_DOT = 0, PLOT_CROSS, PLOT_NONE };
enum plot_dash { PLOT_SOLID = 0, PLOT_DASHED, PLOT_DOTTED };

/* A polyline through n points (non-finite points break the line). */
void plot_line(struct plot *p, const struct plot_axes *a, const double *x, const double *y,
               size_t n, uint32_t rgb, double width, enum plot_dash dash);
/* A marker at each point; rgb per point when rgbs is not NULL. */
void plot_points(struct plot *p, const struct plot_axes *a, const double *x, const double *y,
                 size_t n, const uint32_t *rgbs, uint32_t rgb, enum plot_marker marker,
                 double size);
/* A horizontal line across the data area at data value y, with a label at its right end. */
void plot_hline(struct plot *p, const struct plot_axes *a, double y, uint32_t rgb,
                enum plot_dash dash, const char *label);

struct plot_legend_item {
    const char *label;
    uint32_t rgb;
    enum plot_marker marker;   /* PLOT_NONE: a line sample */
    enum plot_dash dash;
};
/* A legend box in the top right corner of the data area. */
void plot_legend(struct plot *p, const struct plot_axes *a,
                 const struct plot_legend_item *items, size_t n);

/* ---- disc maps --------------------------------------------------------------------- */

struct plot_disc {
    double cx, cy, r;           /* centre and outer radius on the page */
    double r_in_mm, r_out_mm;   /* the radii drawn at the centre hole and at r */
    double pitch_mm;            /* radial width of one track turn (the arcs' width) */
};

/* The frame of a disc: background, hole, rings every 10 mm with labels, angle marks. */
void plot_disc_frame(struct plot *p, const struct plot_disc *d, uint32_t background);
/* One piece of the spiral track centred on radius r_mm, from angle a0_deg over arc_deg
 * (0 at 3 o'clock, counter-clockwise, as the medium counts angles), pitch_mm wide,
 * its radius growing a pitch per turn. */
void plot_disc_arc(struct plot *p, const struct plot_disc *d, double r_mm, double a0_deg,
                   double arc_deg, uint32_t rgb);
/* A disc map of many clusters as a polar grid: rgb[ir * na + ia] for radius band ir of
 * nr between r0_mm and r1_mm and angle band ia of na (from 0 degrees, counter-
 * clockwise); PLOT_NO_CELL leaves the background. Drawn as one raster image (embedded
 * in SVG and PDF), so a file's size does not grow with the medium's. 0 or -ENOMEM. */
#define PLOT_NO_CELL 0xFFFFFFFFu
int plot_disc_cells(struct plot *p, const struct plot_disc *d, double r0_mm, double r1_mm,
                    const uint32_t *rgb, unsigned nr, unsigned na);
/* Outline rings and angle labels over the arcs. */
void plot_disc_overlay(struct plot *p, const struct plot_disc *d);

/* ---- colour --------------------------------------------------------------------------- */

/* The continuous ramp (viridis-like, dark violet at 0 to yellow at 1), t clamped. */
uint32_t plot_ramp(double t);

struct plot_swatch {
    const char *label;
    uint32_t rgb;
};
/* A horizontal colour scale at (x, y) of width w: the ramp labelled from lo_label to
 * hi_label with ticks (n_ticks labels, evenly spaced), then the swatches. */
void plot_scale(struct plot *p, double x, double y, double w, const char *title,
                const char *const *tick_labels, size_t n_ticks,
                const struct plot_swatch *swatches, size_t n_swatches);

#endif /* PHASEFS_PLOT_H */
