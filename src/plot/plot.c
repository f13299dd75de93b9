/*
 * plot.c — the plotting module over cairo (plot.h): one drawing routine for PNG (an
 * image surface written as PNG at close), SVG and PDF (vector surfaces on the caller's
 * stream). Text goes through cairo's font selection, which fontconfig resolves to
 * DejaVu Sans (Debian fonts-dejavu-core). Charts map data to the page with linear or
 * log scales; disc maps draw each cluster as an arc of track. Nothing is printed.
 */
#include "plot.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FONT "DejaVu Sans"
#define PNG_SCALE 1.5 /* PNG pixels per point: sharp text at a moderate file size */

/* Drawings open in the process (the tools draw from one thread, as cairo's font caches
 * are shared state). */
static unsigned open_count;

struct plot {
    enum plot_kind kind;
    FILE *out;
    FILE *svg;          /* SVG: cairo writes here first, so the title can go in */
    char *svg_buf;
    size_t svg_len;
    char *title, *desc;
    cairo_surface_t *surface;
    cairo_t *cr;
    int error;
};

int plot_kind_of(const char *path, enum plot_kind *out)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot)
        return -EINVAL;
    if (!strcasecmp(dot, ".png"))
        *out = PLOT_PNG;
    else if (!strcasecmp(dot, ".svg"))
        *out = PLOT_SVG;
    else if (!strcasecmp(dot, ".pdf"))
        *out = PLOT_PDF;
    else
        return -EINVAL;
    return 0;
}

static cairo_status_t to_file(void *closure, const unsigned char *data, unsigned int len)
{
    FILE *f = closure;
    return fwrite(data, 1, len, f) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static void set_rgb(cairo_t *cr, uint32_t rgb)
{
    cairo_set_source_rgb(cr, (rgb >> 16 & 0xFF) / 255.0, (rgb >> 8 & 0xFF) / 255.0,
                         (rgb & 0xFF) / 255.0);
}

int plot_open(FILE *out, enum plot_kind kind, double width, double height, struct plot **pp)
{
    *pp = NULL;
    if (!out || !(width > 0) || !(height > 0))
        return -EINVAL;
    struct plot *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->kind = kind;
    p->out = out;
    switch (kind) {
    case PLOT_PNG:
        p->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)ceil(width * PNG_SCALE),
                                                (int)ceil(height * PNG_SCALE));
        break;
    case PLOT_SVG:
        p->svg = open_memstream(&p->svg_buf, &p->svg_len);
        if (!p->svg) {
            free(p);
            return -ENOMEM;
        }
        p->surface = cairo_svg_surface_create_for_stream(to_file, p->svg, width, height);
        break;
    case PLOT_PDF:
        p->surface = cairo_pdf_surface_create_for_stream(to_file, out, width, height);
        break;
    default:
        free(p);
        return -EINVAL;
    }
    p->cr = cairo_create(p->surface);
    if (cairo_status(p->cr) != CAIRO_STATUS_SUCCESS) {
        cairo_destroy(p->cr);
        cairo_surface_destroy(p->surface);
        if (p->svg)
            fclose(p->svg);
        free(p->svg_buf);
        free(p);
        return -ENOMEM;
    }
    open_count++;
    if (kind == PLOT_PNG)
        cairo_scale(p->cr, PNG_SCALE, PNG_SCALE);
    set_rgb(p->cr, 0xFFFFFF);
    cairo_paint(p->cr);
    cairo_select_font_face(p->cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    *pp = p;
    return 0;
}

int plot_set_title(struct plot *p, const char *title, const char *desc)
{
    free(p->title);
    free(p->desc);
    p->title = strdup(title ? title : "");
    p->desc = strdup(desc ? desc : "");
    if (!p->title || !p->desc)
        return -ENOMEM;
    if (p->kind == PLOT_PDF) {
        cairo_pdf_surface_set_metadata(p->surface, CAIRO_PDF_METADATA_TITLE, p->title);
        cairo_pdf_surface_set_metadata(p->surface, CAIRO_PDF_METADATA_SUBJECT, p->desc);
        cairo_pdf_surface_set_metadata(p->surface, CAIRO_PDF_METADATA_CREATOR, "phasefs");
    }
    return 0;
}

/* XML text with &, < and > escaped. */
static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else
            fputc(*s, f);
    }
}

/* The SVG as cairo wrote it, with <title> and <desc> as the first children of <svg>
 * (SVG 1.1 §5.4: the document's accessible name; cairo has no call for them). */
static int svg_flush(struct plot *p)
{
    if (fclose(p->svg) != 0)
        return -ENOMEM;
    p->svg = NULL;
    const char *root = p->svg_buf ? strstr(p->svg_buf, "<svg") : NULL;
    const char *end = root ? strchr(root, '>') : NULL;
    if (!end)
        return -EIO;
    size_t head = (size_t)(end + 1 - p->svg_buf);
    fwrite(p->svg_buf, 1, head, p->out);
    if (p->title) {
        fputs("\n<title>", p->out);
        xml_text(p->out, p->title);
        fputs("</title>\n<desc>", p->out);
        xml_text(p->out, p->desc);
        fputs("</desc>", p->out);
    }
    fwrite(p->svg_buf + head, 1, p->svg_len - head, p->out);
    return 0;
}

int plot_close(struct plot *p)
{
    if (!p)
        return 0;
    int rc = cairo_status(p->cr) == CAIRO_STATUS_SUCCESS ? 0 : -ENOMEM;
    cairo_destroy(p->cr);
    if (rc == 0 && p->kind == PLOT_PNG &&
        cairo_surface_write_to_png_stream(p->surface, to_file, p->out) != CAIRO_STATUS_SUCCESS)
        rc = -EIO;
    cairo_surface_finish(p->surface); /* SVG and PDF are written here */
    if (rc == 0 && cairo_surface_status(p->surface) != CAIRO_STATUS_SUCCESS)
        rc = cairo_surface_status(p->surface) == CAIRO_STATUS_NO_MEMORY ? -ENOMEM : -EIO;
    cairo_surface_destroy(p->surface);
    if (p->svg) {
        int src = svg_flush(p);
        rc = rc ? rc : src;
        if (p->svg)
            fclose(p->svg);
    }
    if (rc == 0 && (fflush(p->out) != 0 || ferror(p->out)))
        rc = -EIO;
    free(p->svg_buf);
    free(p->title);
    free(p->desc);
    free(p);
    /* cairo and fontconfig keep font caches for the process; with no drawing open they
     * can go (the next drawing loads them again), so leak checkers see a clean exit */
    if (--open_count == 0) {
        cairo_debug_reset_static_data();
        FcFini();
    }
    return rc;
}

void plot_text(struct plot *p, double x, double y, double size, enum plot_align align,
               bool bold, uint32_t rgb, const char *text)
{
    cairo_t *cr = p->cr;
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t e;
    cairo_text_extents(cr, text, &e);
    double dx = align == PLOT_CENTRE ? -e.x_advance / 2 : align == PLOT_RIGHT ? -e.x_advance : 0;
    set_rgb(cr, rgb);
    cairo_move_to(cr, x + dx, y);
    cairo_show_text(cr, text);
}

void plot_text_up(struct plot *p, double x, double y, double size, const char *text)
{
    cairo_t *cr = p->cr;
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -M_PI / 2);
    plot_text(p, 0, size / 3, size, PLOT_CENTRE, false, 0x202020, text);
    cairo_restore(cr);
}

void plot_rect(struct plot *p, double x, double y, double w, double h, uint32_t fill)
{
    set_rgb(p->cr, fill);
    cairo_rectangle(p->cr, x, y, w, h);
    cairo_fill(p->cr);
}

/* ---- charts ---------------------------------------------------------------------- */

static double frac(double v, double lo, double hi, bool log_scale)
{
    if (log_scale)
        return (log10(v) - log10(lo)) / (log10(hi) - log10(lo));
    return (v - lo) / (hi - lo);
}

static double clamp01(double t)
{
    return t < 0 ? 0 : t > 1 ? 1 : t;
}

double plot_x(const struct plot_axes *a, double v)
{
    if (a->xlog && !(v > 0))
        return a->x;
    return a->x + a->w * clamp01(frac(v, a->x0, a->x1, a->xlog));
}

double plot_y(const struct plot_axes *a, double v)
{
    if (a->ylog && !(v > 0))
        return a->y + a->h;
    return a->y + a->h * (1 - clamp01(frac(v, a->y0, a->y1, a->ylog)));
}

static void set_dash(cairo_t *cr, enum plot_dash dash)
{
    static const double dashed[] = {6, 4}, dotted[] = {1.5, 3};
    if (dash == PLOT_DASHED)
        cairo_set_dash(cr, dashed, 2, 0);
    else if (dash == PLOT_DOTTED)
        cairo_set_dash(cr, dotted, 2, 0);
    else
        cairo_set_dash(cr, NULL, 0, 0);
}

static void tick_label(char *buf, size_t cap, double v, bool log_scale)
{
    if (log_scale)
        snprintf(buf, cap, "1e%d", (int)lround(log10(v)));
    else
        snprintf(buf, cap, "%g", v);
}

/* Nice linear step for about n ticks over span. */
static double nice_step(double span, int n)
{
    double raw = span / n, mag = pow(10, floor(log10(raw))), r = raw / mag;
    return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

static void axis_ticks(struct plot *p, const struct plot_axes *a, bool horizontal)
{
    cairo_t *cr = p->cr;
    double lo = horizontal ? a->x0 : a->y0, hi = horizontal ? a->x1 : a->y1;
    bool lg = horizontal ? a->xlog : a->ylog;
    double v, step = lg ? 1 : nice_step(hi - lo, 6);
    double start = lg ? ceil(log10(lo) - 1e-9) : ceil(lo / step - 1e-9) * step;
    double end = lg ? log10(hi) + 1e-9 : hi + step * 1e-9;
    char buf[32];
    for (double t = start; t <= end; t += step) {
        v = lg ? pow(10, t) : t;
        if (fabs(v) < step * 1e-9)
            v = 0;
        tick_label(buf, sizeof buf, v, lg);
        set_dash(cr, PLOT_SOLID);
        cairo_set_line_width(cr, 0.5);
        set_rgb(cr, 0xE4E4E4);
        if (horizontal) {
            double x = plot_x(a, v);
            cairo_move_to(cr, x, a->y);
            cairo_line_to(cr, x, a->y + a->h);
            cairo_stroke(cr);
            plot_text(p, x, a->y + a->h + 13, 9, PLOT_CENTRE, false, 0x404040, buf);
        } else {
            double y = plot_y(a, v);
            cairo_move_to(cr, a->x, y);
            cairo_line_to(cr, a->x + a->w, y);
            cairo_stroke(cr);
            plot_text(p, a->x - 4, y + 3, 9, PLOT_RIGHT, false, 0x404040, buf);
        }
    }
}

void plot_axes_draw(struct plot *p, const struct plot_axes *a)
{
    cairo_t *cr = p->cr;
    axis_ticks(p, a, true);
    axis_ticks(p, a, false);
    set_dash(cr, PLOT_SOLID);
    cairo_set_line_width(cr, 1);
    set_rgb(cr, 0x303030);
    cairo_rectangle(cr, a->x, a->y, a->w, a->h);
    cairo_stroke(cr);
    if (a->xlabel)
        plot_text(p, a->x + a->w / 2, a->y + a->h + 28, 10, PLOT_CENTRE, false, 0x202020,
                  a->xlabel);
    if (a->ylabel)
        plot_text_up(p, a->x - 40, a->y + a->h / 2, 10, a->ylabel);
}

void plot_line(struct plot *p, const struct plot_axes *a, const double *x, const double *y,
               size_t n, uint32_t rgb, double width, enum plot_dash dash)
{
    cairo_t *cr = p->cr;
    bool pen = false;
    cairo_save(cr);
    cairo_rectangle(cr, a->x, a->y, a->w, a->h);
    cairo_clip(cr);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) {
            pen = false;
            continue;
        }
        if (pen)
            cairo_line_to(cr, plot_x(a, x[i]), plot_y(a, y[i]));
        else
            cairo_move_to(cr, plot_x(a, x[i]), plot_y(a, y[i]));
        pen = true;
    }
    set_rgb(cr, rgb);
    set_dash(cr, dash);
    cairo_set_line_width(cr, width);
    cairo_stroke(cr);
    cairo_restore(cr);
}

static void marker(cairo_t *cr, double x, double y, enum plot_marker m, double size)
{
    if (m == PLOT_CROSS) {
        cairo_move_to(cr, x - size, y - size);
        cairo_line_to(cr, x + size, y + size);
        cairo_move_to(cr, x - size, y + size);
        cairo_line_to(cr, x + size, y - size);
        cairo_set_line_width(cr, 1.2);
        cairo_stroke(cr);
    } else if (m == PLOT_DOT) {
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, size, 0, 2 * M_PI);
        cairo_fill(cr);
    }
}

void plot_points(struct plot *p, const struct plot_axes *a, const double *x, const double *y,
                 size_t n, const uint32_t *rgbs, uint32_t rgb, enum plot_marker m, double size)
{
    cairo_t *cr = p->cr;
    set_dash(cr, PLOT_SOLID);
    set_rgb(cr, rgb);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        if (rgbs)
            set_rgb(cr, rgbs[i]);
        marker(cr, plot_x(a, x[i]), plot_y(a, y[i]), m, size);
    }
}

void plot_hline(struct plot *p, const struct plot_axes *a, double y, uint32_t rgb,
                enum plot_dash dash, const char *label)
{
    cairo_t *cr = p->cr;
    double py = plot_y(a, y);
    set_rgb(cr, rgb);
    set_dash(cr, dash);
    cairo_set_line_width(cr, 1.2);
    cairo_move_to(cr, a->x, py);
    cairo_line_to(cr, a->x + a->w, py);
    cairo_stroke(cr);
    set_dash(cr, PLOT_SOLID);
    if (label)
        plot_text(p, a->x + a->w - 4, py - 4, 9, PLOT_RIGHT, false, rgb, label);
}

void plot_legend(struct plot *p, const struct plot_axes *a,
                 const struct plot_legend_item *items, size_t n)
{
    cairo_t *cr = p->cr;
    double w = 0;
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 9);
    for (size_t i = 0; i < n; i++) {
        cairo_text_extents_t e;
        cairo_text_extents(cr, items[i].label, &e);
        if (e.x_advance > w)
            w = e.x_advance;
    }
    double bw = w + 36, bh = 14.0 * (double)n + 8, bx = a->x + a->w - bw - 6, by = a->y + 6;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
    cairo_rectangle(cr, bx, by, bw, bh);
    cairo_fill_preserve(cr);
    set_rgb(cr, 0xA0A0A0);
    cairo_set_line_width(cr, 0.5);
    set_dash(cr, PLOT_SOLID);
    cairo_stroke(cr);
    for (size_t i = 0; i < n; i++) {
        double y = by + 12 + 14.0 * (double)i;
        set_rgb(cr, items[i].rgb);
        if (items[i].marker == PLOT_NONE) {
            set_dash(cr, items[i].dash);
            cairo_set_line_width(cr, 1.5);
            cairo_move_to(cr, bx + 6, y - 3);
            cairo_line_to(cr, bx + 24, y - 3);
            cairo_stroke(cr);
            set_dash(cr, PLOT_SOLID);
        } else {
            marker(cr, bx + 15, y - 3, items[i].marker, 2.5);
        }
        plot_text(p, bx + 30, y, 9, PLOT_LEFT, false, 0x202020, items[i].label);
    }
}

/* ---- disc maps --------------------------------------------------------------------- */

static double disc_px(const struct plot_disc *d, double r_mm)
{
    return d->r * r_mm / d->r_out_mm;
}

void plot_disc_frame(struct plot *p, const struct plot_disc *d, uint32_t background)
{
    cairo_t *cr = p->cr;
    set_rgb(cr, background);
    cairo_new_sub_path(cr);
    cairo_arc(cr, d->cx, d->cy, d->r, 0, 2 * M_PI);
    cairo_new_sub_path(cr);
    cairo_arc_negative(cr, d->cx, d->cy, disc_px(d, d->r_in_mm), 2 * M_PI, 0);
    cairo_fill(cr);
}

void plot_disc_arc(struct plot *p, const struct plot_disc *d, double r_mm, double a0_deg,
                   double arc_deg, uint32_t rgb)
{
    cairo_t *cr = p->cr;
    /* a piece of the spiral: the radius grows by one pitch per turn, so neighbouring
     * clusters meet edge to edge; angles as the medium counts them (phasectl inject):
     * 0 degrees at 3 o'clock, growing counter-clockwise */
    double w = disc_px(d, d->pitch_mm);
    int steps = (int)ceil(fabs(arc_deg) / 2.0);
    steps = steps < 1 ? 1 : steps;
    set_rgb(cr, rgb);
    set_dash(cr, PLOT_SOLID);
    cairo_set_line_width(cr, w < 0.6 ? 0.6 : w);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_new_path(cr);
    for (int i = 0; i <= steps; i++) {
        double f = (double)i / steps;
        double r = disc_px(d, r_mm + d->pitch_mm * arc_deg / 360.0 * (f - 0.5));
        double a = (a0_deg + arc_deg * f) * M_PI / 180;
        double x = d->cx + r * cos(a), y = d->cy - r * sin(a);
        if (i)
            cairo_line_to(cr, x, y);
        else
            cairo_move_to(cr, x, y);
    }
    cairo_stroke(cr);
}

int plot_disc_cells(struct plot *p, const struct plot_disc *d, double r0_mm, double r1_mm,
                    const uint32_t *rgb, unsigned nr, unsigned na)
{
    const double px_per_pt = 2.0;
    int size = (int)ceil(2 * d->r * px_per_pt);
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, size, size);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return -ENOMEM;
    }
    cairo_surface_flush(img);
    unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    double c = size / 2.0, mm_per_px = d->r_out_mm / (d->r * px_per_pt);
    for (int y = 0; y < size; y++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)y * (size_t)stride);
        for (int x = 0; x < size; x++) {
            double dx = x + 0.5 - c, dy = c - (y + 0.5);
            double r = hypot(dx, dy) * mm_per_px;
            row[x] = 0; /* transparent */
            if (r < r0_mm || r >= r1_mm)
                continue;
            double a = atan2(dy, dx) * 180 / M_PI;
            a = a < 0 ? a + 360 : a;
            unsigned ir = (unsigned)((r - r0_mm) / (r1_mm - r0_mm) * nr);
            unsigned ia = (unsigned)(a / 360.0 * na);
            uint32_t v = rgb[(ir < nr ? ir : nr - 1) * na + (ia < na ? ia : na - 1)];
            if (v != PLOT_NO_CELL)
                row[x] = 0xFF000000u | v; /* opaque: premultiplied alpha is the colour */
        }
    }
    cairo_surface_mark_dirty(img);
    cairo_t *cr = p->cr;
    cairo_save(cr);
    cairo_translate(cr, d->cx - d->r, d->cy - d->r);
    cairo_scale(cr, 1 / px_per_pt, 1 / px_per_pt);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
    return 0;
}

void plot_disc_overlay(struct plot *p, const struct plot_disc *d)
{
    cairo_t *cr = p->cr;
    char buf[16];
    set_dash(cr, PLOT_SOLID);
    cairo_set_line_width(cr, 0.6);
    for (double r = ceil(d->r_in_mm / 10) * 10; r <= d->r_out_mm; r += 10) {
        cairo_set_source_rgba(cr, 1, 1, 1, 0.7);
        cairo_new_sub_path(cr);
        cairo_arc(cr, d->cx, d->cy, disc_px(d, r), 0, 2 * M_PI);
        cairo_stroke(cr);
        snprintf(buf, sizeof buf, "%.0f mm", r);
        plot_text(p, d->cx + 2, d->cy - disc_px(d, r) + 9, 7, PLOT_LEFT, false, 0x303030, buf);
    }
    set_rgb(cr, 0x303030);
    cairo_set_line_width(cr, 0.8);
    cairo_new_sub_path(cr);
    cairo_arc(cr, d->cx, d->cy, d->r, 0, 2 * M_PI);
    cairo_stroke(cr);
    for (int deg = 0; deg < 360; deg += 90) {
        double a = deg * M_PI / 180;
        snprintf(buf, sizeof buf, "%d\xc2\xb0", deg);
        plot_text(p, d->cx + (d->r + 13) * cos(a), d->cy - (d->r + 10) * sin(a) + 3, 8,
                  PLOT_CENTRE, false, 0x404040, buf);
    }
}

/* ---- colour --------------------------------------------------------------------------- */

uint32_t plot_ramp(double t)
{
    /* viridis at nine stops (matplotlib's published table, sampled) */
    static const uint32_t stops[] = {0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c,
                                     0x28ae80, 0x5ec962, 0xaddc30, 0xfde725};
    const int n = sizeof stops / sizeof stops[0];
    t = clamp01(isfinite(t) ? t : 0) * (n - 1);
    int i = (int)floor(t);
    if (i >= n - 1)
        return stops[n - 1];
    double f = t - i;
    uint32_t a = stops[i], b = stops[i + 1], out = 0;
    for (int s = 16; s >= 0; s -= 8) {
        double ca = a >> s & 0xFF, cb = b >> s & 0xFF;
        out |= (uint32_t)lround(ca + (cb - ca) * f) << s;
    }
    return out;
}

void plot_scale(struct plot *p, double x, double y, double w, const char *title,
                const char *const *tick_labels, size_t n_ticks,
                const struct plot_swatch *swatches, size_t n_swatches)
{
    cairo_t *cr = p->cr;
    double rw = w - 110.0 * (double)n_swatches, h = 12;
    if (rw < 80)
        rw = 80;
    plot_text(p, x, y, 9, PLOT_LEFT, true, 0x202020, title);
    y += 5;
    cairo_pattern_t *g = cairo_pattern_create_linear(x, 0, x + rw, 0);
    for (int i = 0; i <= 16; i++) {
        uint32_t c = plot_ramp(i / 16.0);
        cairo_pattern_add_color_stop_rgb(g, i / 16.0, (c >> 16 & 0xFF) / 255.0,
                                         (c >> 8 & 0xFF) / 255.0, (c & 0xFF) / 255.0);
    }
    cairo_set_source(cr, g);
    cairo_rectangle(cr, x, y, rw, h);
    cairo_fill(cr);
    cairo_pattern_destroy(g);
    for (size_t i = 0; i < n_ticks; i++) {
        double tx = n_ticks > 1 ? x + rw * (double)i / (double)(n_ticks - 1) : x;
        plot_text(p, tx, y + h + 10, 8, i == 0 ? PLOT_LEFT : i + 1 == n_ticks ? PLOT_RIGHT
                                                                           : PLOT_CENTRE,
                  false, 0x303030, tick_labels[i]);
    }
    double sx = x + rw + 16;
    for (size_t i = 0; i < n_swatches; i++) {
        plot_rect(p, sx, y, 14, h, swatches[i].rgb);
        set_rgb(cr, 0x808080);
        cairo_set_line_width(cr, 0.5);
        cairo_rectangle(cr, sx, y, 14, h);
        cairo_stroke(cr);
        plot_text(p, sx + 18, y + 10, 8, PLOT_LEFT, false, 0x303030, swatches[i].label);
        sx += 110;
    }
}
