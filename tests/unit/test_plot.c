/*
 * test_plot.c — the plotting module (src/plot): the kind from a file name, one drawing
 * written as PNG, SVG and PDF (each a well-formed file of its kind, the SVG with the
 * title as its <title>), a line chart with log axes and a legend (the general API the
 * lifetest and isotest charts will use), the colour ramp's ends, bad arguments, and a
 * write error reported as -EIO rather than lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_kind_of(void **state)
{
    (void)state;
    enum plot_kind k;
    assert_int_equal(plot_kind_of("a/map.png", &k), 0);
    assert_int_equal(k, PLOT_PNG);
    assert_int_equal(plot_kind_of("MAP.SVG", &k), 0);
    assert_int_equal(k, PLOT_SVG);
    assert_int_equal(plot_kind_of("x.pdf", &k), 0);
    assert_int_equal(k, PLOT_PDF);
    assert_int_equal(plot_kind_of("x.gif", &k), -EINVAL);
    assert_int_equal(plot_kind_of("png", &k), -EINVAL);
}

/* A survival-style chart: log-log axes, two series, a limit line, a legend. */
static int draw(FILE *f, enum plot_kind kind)
{
    struct plot *p;
    int rc = plot_open(f, kind, 400, 300, &p);
    if (rc < 0)
        return rc;
    rc = plot_set_title(p, "SER <vs> time & age", "a test chart");
    struct plot_axes a = {.x = 60, .y = 30, .w = 300, .h = 200, .x0 = 1, .x1 = 1e4,
                          .y0 = 1e-6, .y1 = 1e-2, .xlog = true, .ylog = true,
                          .xlabel = "years", .ylabel = "symbol error rate"};
    double x[50], y[50], y2[50];
    for (int i = 0; i < 50; i++) {
        x[i] = pow(10, i / 12.0);
        y[i] = 1e-6 * pow(x[i], 0.8);
        y2[i] = i == 20 ? NAN : 2e-6 * pow(x[i], 0.5); /* a gap breaks the line */
    }
    plot_text(p, 200, 18, 12, PLOT_CENTRE, true, 0x101010, "SER <vs> time & age");
    plot_axes_draw(p, &a);
    plot_line(p, &a, x, y, 50, 0x1f77b4, 1.5, PLOT_SOLID);
    plot_line(p, &a, x, y2, 50, 0xff7f0e, 1.5, PLOT_DASHED);
    plot_points(p, &a, x, y, 50, NULL, 0x1f77b4, PLOT_CROSS, 2);
    plot_hline(p, &a, 2e-4, 0xe41a1c, PLOT_DASHED, "limit");
    struct plot_legend_item items[] = {{"far", 0x1f77b4, PLOT_NONE, PLOT_SOLID},
                                       {"near", 0xff7f0e, PLOT_NONE, PLOT_DASHED}};
    plot_legend(p, &a, items, 2);
    int crc = plot_close(p);
    return rc ? rc : crc;
}

static char *render(enum plot_kind kind, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    assert_int_equal(draw(f, kind), 0);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void test_png(void **state)
{
    (void)state;
    size_t len;
    char *b = render(PLOT_PNG, &len);
    assert_true(len > 1000);
    assert_memory_equal(b, "\x89PNG\r\n\x1a\n", 8);
    assert_memory_equal(b + 12, "IHDR", 4);
    free(b);
}

static void test_svg(void **state)
{
    (void)state;
    size_t len;
    char *b = render(PLOT_SVG, &len);
    char *svg = strstr(b, "<svg");
    assert_non_null(svg);
    char *title = strstr(b, "<title>SER &lt;vs&gt; time &amp; age</title>");
    assert_non_null(title);
    assert_true(title > svg); /* the first child of <svg> */
    assert_non_null(strstr(b, "<desc>a test chart</desc>"));
    assert_non_null(strstr(b, "</svg>"));
    free(b);
}

static void test_pdf(void **state)
{
    (void)state;
    size_t len;
    char *b = render(PLOT_PDF, &len);
    assert_true(len > 1000);
    assert_memory_equal(b, "%PDF-", 5);
    free(b);
}

static void test_ramp(void **state)
{
    (void)state;
    assert_int_equal(plot_ramp(0), 0x440154);
    assert_int_equal(plot_ramp(1), 0xfde725);
    assert_int_equal(plot_ramp(-3), 0x440154);  /* clamped */
    assert_int_equal(plot_ramp(NAN), 0x440154);
    assert_int_not_equal(plot_ramp(0.5), plot_ramp(0.6));
}

static void test_bad_args(void **state)
{
    (void)state;
    struct plot *p = (struct plot *)&p;
    assert_int_equal(plot_open(NULL, PLOT_PNG, 10, 10, &p), -EINVAL);
    assert_null(p);
    assert_int_equal(plot_open(stdout, PLOT_PNG, 0, 10, &p), -EINVAL);
    assert_int_equal(plot_open(stdout, (enum plot_kind)9, 10, 10, &p), -EINVAL);
    assert_int_equal(plot_close(NULL), 0);
}

static void test_write_error(void **state)
{
    (void)state;
    FILE *f = fopen("/dev/full", "wb");
    if (!f)
        skip();
    for (int k = PLOT_PNG; k <= PLOT_PDF; k++)
        assert_int_equal(draw(f, (enum plot_kind)k), -EIO);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_of), cmocka_unit_test(test_png),
        cmocka_unit_test(test_svg),     cmocka_unit_test(test_pdf),
        cmocka_unit_test(test_ramp),    cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_write_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
