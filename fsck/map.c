/*
 * map.c — the surface map of fsck.phasefs --map FILE: both layers side by side, each a
 * plot of the symbol error rate of every scanned cluster against its radius (log axis,
 * the format limit of physics.md §3.2 dashed), dots coloured by decode margin, with a
 * strip below of the margin along the layer's physical addresses, a colour scale and a
 * legend. One drawing routine paints through a small canvas with two back ends: SVG
 * text, or an RGB raster written as PNG by the encoder here (signature, IHDR, IDAT by
 * zlib compress2, IEND; chunk CRCs by zlib crc32; PNG specification, ISO/IEC 15948).
 * The raster uses its own 5x7 font, upper case only. Dots are binned per 2-pixel cell
 * (the worst margin wins), so the file stays small for a full 25 GB layer.
 */
#include "fsck.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#define W 1000
#define H 560
#define PLOT_W 380
#define PLOT_H 280
#define PLOT_TOP 70
#define STRIP_TOP 420
#define STRIP_H 18
#define CELL 2
#define LOG_MIN (-7.0)
#define LOG_MAX (-1.0)

/* ---- canvas ----------------------------------------------------------------------- */

struct canvas {
    FILE *svg;    /* SVG back end, or NULL */
    uint8_t *rgb; /* raster back end: W x H x 3 */
};

static uint32_t rgb_of(unsigned r, unsigned g, unsigned b)
{
    return (r << 16) | (g << 8) | b;
}

static void put(struct canvas *c, int x, int y, uint32_t col)
{
    if (x < 0 || y < 0 || x >= W || y >= H)
        return;
    uint8_t *p = c->rgb + ((size_t)y * W + (size_t)x) * 3;
    p[0] = (uint8_t)(col >> 16);
    p[1] = (uint8_t)(col >> 8);
    p[2] = (uint8_t)col;
}

static void rect(struct canvas *c, int x, int y, int w, int h, uint32_t col)
{
    if (c->svg) {
        fprintf(c->svg, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#%06x\"/>\n",
                x, y, w, h, col);
        return;
    }
    for (int j = y; j < y + h; j++)
        for (int i = x; i < x + w; i++)
            put(c, i, j, col);
}

/* Horizontal or vertical lines only; dashed: 6 on, 4 off. */
static void line(struct canvas *c, int x0, int y0, int x1, int y1, uint32_t col, bool dashed)
{
    if (c->svg) {
        fprintf(c->svg, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#%06x\"%s/>\n",
                x0, y0, x1, y1, col, dashed ? " stroke-dasharray=\"6,4\"" : "");
        return;
    }
    int n = abs(x1 - x0) > abs(y1 - y0) ? abs(x1 - x0) : abs(y1 - y0);
    for (int k = 0; k <= n; k++) {
        if (dashed && k % 10 >= 6)
            continue;
        int x = n ? x0 + (x1 - x0) * k / n : x0;
        int y = n ? y0 + (y1 - y0) * k / n : y0;
        put(c, x, y, col);
    }
}

static void dot(struct canvas *c, int x, int y, uint32_t col)
{
    if (c->svg) {
        fprintf(c->svg, "<circle cx=\"%d\" cy=\"%d\" r=\"2\" fill=\"#%06x\"/>\n", x, y, col);
        return;
    }
    for (int j = -2; j <= 2; j++)
        for (int i = -2; i <= 2; i++)
            if (i * i + j * j <= 5)
                put(c, x + i, y + j, col);
}

static void cross(struct canvas *c, int x, int y, uint32_t col)
{
    if (c->svg) {
        fprintf(c->svg, "<path d=\"M%d %dL%d %dM%d %dL%d %d\" stroke=\"#%06x\" "
                        "stroke-width=\"1.5\"/>\n",
                x - 3, y - 3, x + 3, y + 3, x - 3, y + 3, x + 3, y - 3, col);
        return;
    }
    for (int k = -3; k <= 3; k++) {
        put(c, x + k, y + k, col);
        put(c, x + k, y - k, col);
    }
}

/* 5x7 glyphs, one byte per row, bit 4 = leftmost column. */
struct glyph {
    char ch;
    uint8_t row[7];
};
static const struct glyph font[] = {
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}}, {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}}, {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}}, {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}}, {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}}, {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'A', {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}}, {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
    {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}}, {'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
    {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}}, {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
    {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}}, {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
    {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}}, {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
    {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}}, {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
    {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}}, {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
    {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}}, {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
    {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}}, {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
    {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}}, {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
    {'Y', {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}}, {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
    {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}}, {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
    {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}}, {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}},
    {':', {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}}, {'+', {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00}},
    {'/', {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}}, {',', {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08}},
    {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}}, {'=', {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}},
    {'<', {0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02}}, {'>', {0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08}},
};

static const uint8_t *glyph_of(char ch)
{
    ch = (char)toupper((unsigned char)ch);
    for (size_t i = 0; i < sizeof font / sizeof font[0]; i++)
        if (font[i].ch == ch)
            return font[i].row;
    return NULL; /* space and anything unknown: blank */
}

enum anchor { LEFT, MIDDLE, RIGHT };

/* Text with its baseline-free top at y (raster: 2x scaled glyphs, 12 px per character). */
static void text(struct canvas *c, int x, int y, enum anchor a, uint32_t col, const char *s)
{
    if (c->svg) {
        static const char *const anchors[] = {"start", "middle", "end"};
        fprintf(c->svg, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" fill=\"#%06x\">", x, y + 12,
                anchors[a], col);
        for (; *s; s++) {
            if (*s == '&')
                fputs("&amp;", c->svg);
            else if (*s == '<')
                fputs("&lt;", c->svg);
            else if (*s == '>')
                fputs("&gt;", c->svg);
            else if ((unsigned char)*s >= 0x20)
                fputc(*s, c->svg);
        }
        fputs("</text>\n", c->svg);
        return;
    }
    int w = (int)strlen(s) * 12;
    int x0 = a == LEFT ? x : a == MIDDLE ? x - w / 2 : x - w;
    for (int k = 0; s[k]; k++) {
        const uint8_t *g = glyph_of(s[k]);
        if (!g)
            continue;
        for (int r = 0; r < 7; r++)
            for (int b = 0; b < 5; b++)
                if (g[r] & (0x10 >> b))
                    rect(c, x0 + k * 12 + b * 2, y + r * 2, 2, 2, col);
    }
}

/* ---- the drawing ------------------------------------------------------------------- */

#define BLACK 0x000000u
#define GREY 0x808080u
#define LIGHT 0xdcdcdcu
#define WHITE 0xffffffu
#define LIMIT_RED 0xc00000u

/* Margin 0 red, 16 yellow, 32 green; uncorrectable black. */
static uint32_t margin_colour(int margin)
{
    if (margin < 0)
        return BLACK;
    static const unsigned stops[3][3] = {{215, 48, 39}, {254, 224, 50}, {26, 152, 80}};
    double t = (margin > 32 ? 32 : margin) / 16.0;
    unsigned i = t >= 1.0 ? 1 : 0;
    double u = t - i;
    unsigned rgb[3];
    for (unsigned k = 0; k < 3; k++)
        rgb[k] = (unsigned)lround(stops[i][k] + u * ((double)stops[i + 1][k] - stops[i][k]));
    return rgb_of(rgb[0], rgb[1], rgb[2]);
}

static int x_of_radius(int x0, double r)
{
    double t = (r - SECTOR_ZONE_R_IN_MM) / (SECTOR_ZONE_R_OUT_MM - SECTOR_ZONE_R_IN_MM);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return x0 + (int)lround(t * (PLOT_W - 1));
}

static int y_of_ser(double ser)
{
    double l = ser > 0 ? log10(ser) : LOG_MIN;
    l = l < LOG_MIN ? LOG_MIN : l > LOG_MAX ? LOG_MAX : l;
    return PLOT_TOP + PLOT_H - 1 - (int)lround((l - LOG_MIN) / (LOG_MAX - LOG_MIN) * (PLOT_H - 1));
}

#define GX (PLOT_W / CELL)
#define GY (PLOT_H / CELL)

static int panel(struct canvas *c, const struct fsck_health *h, unsigned layer, int x0)
{
    const struct fsck_layer *L = &h->layer[layer];
    char buf[128];
    /* worst margin per cell: 33 = empty */
    int8_t *grid = malloc((size_t)GX * GY);
    int8_t strip[PLOT_W];
    bool written[PLOT_W];
    if (!grid)
        return -ENOMEM;
    memset(grid, 33, (size_t)GX * GY);
    memset(strip, 33, sizeof strip);
    memset(written, 0, sizeof written);
    bool bad_at[PLOT_W];
    memset(bad_at, 0, sizeof bad_at);
    uint64_t per_layer = L->physical_clusters ? L->physical_clusters : 1;

    for (uint64_t i = 0; i < h->logical_clusters; i++) {
        const struct fsck_cluster *cl = &h->clusters[i];
        if (cl->layer != layer || cl->state == FSCK_CLUSTER_UNWRITTEN)
            continue;
        /* the columns of the cluster's address span, at least one */
        int s0 = (int)((double)cl->phys / (double)per_layer * PLOT_W);
        int s1 = (int)((double)(cl->phys + 1) / (double)per_layer * PLOT_W);
        s0 = s0 < 0 ? 0 : s0 >= PLOT_W ? PLOT_W - 1 : s0;
        s1 = s1 <= s0 ? s0 + 1 : s1 > PLOT_W ? PLOT_W : s1;
        for (int sx = s0; sx < s1; sx++) {
            written[sx] = true;
            if (cl->margin < strip[sx])
                strip[sx] = cl->margin;
        }
        int px = x_of_radius(0, cl->radius_mm);
        if (cl->state != FSCK_CLUSTER_OK) {
            bad_at[px] = true;
            continue;
        }
        double ser = (double)cl->symbols / ((double)SECTOR_LDC_CODEWORDS * SECTOR_LDC_N);
        int gx = px / CELL, gy = (y_of_ser(ser) - PLOT_TOP) / CELL;
        gx = gx >= GX ? GX - 1 : gx;
        gy = gy < 0 ? 0 : gy >= GY ? GY - 1 : gy;
        int8_t *g = &grid[(size_t)gy * GX + (size_t)gx];
        if (cl->margin < *g)
            *g = cl->margin;
    }

    /* title, frame, grid lines and ticks */
    snprintf(buf, sizeof buf, "L%u (%s) %s: %s", layer, layer ? "near" : "far", L->material,
             fsck_verdict_name(L->verdict));
    text(c, x0 + PLOT_W / 2, PLOT_TOP - 38, MIDDLE, BLACK, buf);
    rect(c, x0, PLOT_TOP, PLOT_W, PLOT_H, WHITE);
    for (int e = (int)LOG_MIN; e <= (int)LOG_MAX; e++) {
        int y = y_of_ser(pow(10.0, e));
        line(c, x0, y, x0 + PLOT_W - 1, y, LIGHT, false);
        line(c, x0 - 5, y, x0, y, BLACK, false);
        /* a cluster without a corrected symbol sits on the lowest line */
        snprintf(buf, sizeof buf, e == (int)LOG_MIN ? "<=1e%d" : "1e%d", e);
        text(c, x0 - 8, y - 7, RIGHT, BLACK, buf);
    }
    for (int r = 25; r <= 55; r += 5) {
        int x = x_of_radius(x0, r);
        line(c, x, PLOT_TOP, x, PLOT_TOP + PLOT_H - 1, LIGHT, false);
        line(c, x, PLOT_TOP + PLOT_H, x, PLOT_TOP + PLOT_H + 5, BLACK, false);
        snprintf(buf, sizeof buf, "%d", r);
        text(c, x, PLOT_TOP + PLOT_H + 8, MIDDLE, BLACK, buf);
    }
    text(c, x0 + PLOT_W / 2, PLOT_TOP + PLOT_H + 26, MIDDLE, BLACK, "radius (mm)");
    /* the format limit */
    int ylim = y_of_ser(FSCK_SER_LIMIT);
    line(c, x0, ylim, x0 + PLOT_W - 1, ylim, LIMIT_RED, true);
    text(c, x0 + PLOT_W - 4, ylim - 16, RIGHT, LIMIT_RED, "format limit 2e-4");
    /* the clusters */
    for (int gy = 0; gy < GY; gy++)
        for (int gx = 0; gx < GX; gx++) {
            int8_t m = grid[(size_t)gy * GX + (size_t)gx];
            if (m <= 32)
                dot(c, x0 + gx * CELL + CELL / 2, PLOT_TOP + gy * CELL + CELL / 2,
                    margin_colour(m));
        }
    for (int px = 0; px < PLOT_W; px++)
        if (bad_at[px])
            cross(c, x0 + px, PLOT_TOP + 5, BLACK);
    /* axes */
    line(c, x0, PLOT_TOP, x0, PLOT_TOP + PLOT_H - 1, BLACK, false);
    line(c, x0, PLOT_TOP + PLOT_H - 1, x0 + PLOT_W - 1, PLOT_TOP + PLOT_H - 1, BLACK, false);
    line(c, x0 + PLOT_W - 1, PLOT_TOP, x0 + PLOT_W - 1, PLOT_TOP + PLOT_H - 1, BLACK, false);
    line(c, x0, PLOT_TOP, x0 + PLOT_W - 1, PLOT_TOP, BLACK, false);
    text(c, x0, PLOT_TOP - 18, LEFT, BLACK, "symbol error rate");
    /* the address strip: worst margin along the physical clusters */
    for (int sx = 0; sx < PLOT_W; sx++)
        rect(c, x0 + sx, STRIP_TOP, 1, STRIP_H, written[sx] ? margin_colour(strip[sx]) : LIGHT);
    line(c, x0, STRIP_TOP + STRIP_H, x0 + PLOT_W - 1, STRIP_TOP + STRIP_H, BLACK, false);
    text(c, x0, STRIP_TOP + STRIP_H + 4, LEFT, BLACK, "0");
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)L->physical_clusters);
    text(c, x0 + PLOT_W, STRIP_TOP + STRIP_H + 4, RIGHT, BLACK, buf);
    text(c, x0 + PLOT_W / 2, STRIP_TOP + STRIP_H + 4, MIDDLE, BLACK, "address");
    free(grid);
    return 0;
}

static int draw(struct canvas *c, const struct fsck_health *h)
{
    rect(c, 0, 0, W, H, WHITE);
    text(c, W / 2, 8, MIDDLE, BLACK, "phasefs surface map: symbol error rate by radius");
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        int rc = panel(c, h, l, 90 + (int)l * 490);
        if (rc < 0)
            return rc;
    }
    /* colour scale */
    int sx0 = 90, sy = 490, sw = 320;
    for (int i = 0; i < sw; i++)
        rect(c, sx0 + i, sy, 1, 14, margin_colour((int)lround(i * 32.0 / (sw - 1))));
    for (int m = 0; m <= 32; m += 8) {
        int x = sx0 + (int)lround(m * (sw - 1) / 32.0);
        line(c, x, sy + 14, x, sy + 18, BLACK, false);
        char buf[8];
        snprintf(buf, sizeof buf, "%d", m);
        text(c, x, sy + 20, MIDDLE, BLACK, buf);
    }
    text(c, sx0 + sw / 2, sy - 18, MIDDLE, BLACK, "margin (parity symbols left)");
    /* legend */
    int lx = 500, ly = 474;
    dot(c, lx + 6, ly + 7, margin_colour(32));
    text(c, lx + 18, ly, LEFT, BLACK, "cluster");
    cross(c, lx + 6, ly + 29, BLACK);
    text(c, lx + 18, ly + 22, LEFT, BLACK, "uncorrectable");
    line(c, lx + 200, ly + 7, lx + 220, ly + 7, LIMIT_RED, true);
    text(c, lx + 226, ly, LEFT, BLACK, "format limit");
    rect(c, lx + 200, ly + 24, 20, 10, LIGHT);
    text(c, lx + 226, ly + 22, LEFT, BLACK, "not written");
    return 0;
}

/* ---- PNG ------------------------------------------------------------------------- */

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static bool chunk(FILE *f, const char *type, const uint8_t *data, size_t len)
{
    uint8_t head[8], tail[4];
    be32(head, (uint32_t)len);
    memcpy(head + 4, type, 4);
    uLong crc = crc32(0L, (const Bytef *)type, 4);
    if (len)
        crc = crc32(crc, data, (uInt)len);
    be32(tail, (uint32_t)crc);
    return fwrite(head, 1, 8, f) == 8 && (!len || fwrite(data, 1, len, f) == len) &&
           fwrite(tail, 1, 4, f) == 4;
}

static int png_write(FILE *f, const uint8_t *rgb)
{
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const size_t row = 1 + (size_t)W * 3, raw_len = row * H;
    uint8_t ihdr[13];
    be32(ihdr, W);
    be32(ihdr + 4, H);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* colour type: RGB */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering, filter type 0 (None) on every row */
    ihdr[12] = 0; /* no interlace */
    uint8_t *raw = malloc(raw_len);
    uLongf zlen = compressBound((uLong)raw_len);
    uint8_t *z = malloc(zlen);
    int rc = -ENOMEM;
    if (!raw || !z)
        goto out;
    for (size_t y = 0; y < H; y++) {
        raw[y * row] = 0;
        memcpy(raw + y * row + 1, rgb + y * (size_t)W * 3, (size_t)W * 3);
    }
    if (compress2(z, &zlen, raw, (uLong)raw_len, 6) != Z_OK)
        goto out;
    rc = -EIO;
    if (fwrite(signature, 1, 8, f) != 8 || !chunk(f, "IHDR", ihdr, sizeof ihdr) ||
        !chunk(f, "IDAT", z, zlen) || !chunk(f, "IEND", NULL, 0))
        goto out;
    rc = 0;
out:
    free(raw);
    free(z);
    return rc;
}

int fsck_map_write(const char *path, const struct fsck_health *h)
{
    const char *dot_ext = strrchr(path, '.');
    bool svg;
    if (dot_ext && !strcasecmp(dot_ext, ".svg"))
        svg = true;
    else if (dot_ext && !strcasecmp(dot_ext, ".png"))
        svg = false;
    else
        return -EINVAL;
    FILE *f = fopen(path, "wb");
    if (!f)
        return -errno;
    struct canvas c = {.svg = NULL, .rgb = NULL};
    int rc;
    if (svg) {
        c.svg = f;
        fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                   "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"14\">\n",
                   W, H, W, H);
        rc = draw(&c, h);
        fputs("</svg>\n", f);
    } else {
        c.rgb = malloc((size_t)W * H * 3);
        rc = c.rgb ? draw(&c, h) : -ENOMEM;
        if (rc == 0)
            rc = png_write(f, c.rgb);
        free(c.rgb);
    }
    if (ferror(f) && rc == 0)
        rc = -EIO;
    if (fclose(f) != 0 && rc == 0)
        rc = -EIO;
    if (rc < 0)
        remove(path);
    return rc;
}
