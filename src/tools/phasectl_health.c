/*
 * phasectl_health.c — `phasectl health IMAGE [--json] [-v] [--within YEARS]`: the
 * medium's health verdict with an exit status that monitoring can act on without
 * parsing (in the manner of smartctl's bits), and the scan that phasectl info and
 * stats take their verdict from. The verdict itself is src/health/verdict.c's, over a
 * read-only surface scan (src/health/scan.c), the same one fsck.phasefs --scan runs.
 * Exit bits (PHASECTL_HEALTH_*, phasectl(1) "EXIT STATUS"): 1 bad command line, 2 the
 * image could not be read, 4 a layer degrading, 8 the medium failing, 16 first loss
 * projected within YEARS at the profile temperature, 32 data already lost, 64 cancelled.
 */
#include "health.h"
#include "phasectl.h"
#include "tool.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

int phasectl_health_scan(const char *path, bool quiet_unformatted, struct health *h)
{
    struct health_scan_options so = {
        .progress = true,
        .cancel = tool_cancel_on_signals(),
        .quiet_unformatted = quiet_unformatted,
    };
    return health_scan(path, &so, h);
}

/* The earliest projected first loss at the profile temperature over both layers. */
static double first_loss_years(const struct health *h, unsigned *layer)
{
    double best = INFINITY;
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        double y = h->layer[l].proj[0].years;
        if (!isnan(y) && y < best) {
            best = y;
            *layer = l;
        }
    }
    return best;
}

int phasectl_health_bits(const struct health *h, double within_years)
{
    int bits = 0;
    unsigned l = 0;
    for (unsigned i = 0; i < MEDIUM_LAYER_COUNT; i++)
        if (h->layer[i].verdict == HEALTH_VERDICT_DEGRADING)
            bits |= PHASECTL_HEALTH_DEGRADING;
    if (h->verdict == HEALTH_VERDICT_DEGRADING)
        bits |= PHASECTL_HEALTH_DEGRADING;
    if (h->verdict == HEALTH_VERDICT_FAILING)
        bits |= PHASECTL_HEALTH_FAILING;
    if (first_loss_years(h, &l) < within_years)
        bits |= PHASECTL_HEALTH_SOON;
    if (h->bad_count)
        bits |= PHASECTL_HEALTH_LOST;
    if (!h->complete)
        bits |= PHASECTL_HEALTH_CANCELLED;
    return bits;
}

static const struct {
    int bit;
    const char *name;
} bit_names[] = {
    {PHASECTL_HEALTH_USAGE, "usage"},       {PHASECTL_HEALTH_UNREADABLE, "unreadable"},
    {PHASECTL_HEALTH_DEGRADING, "degrading"}, {PHASECTL_HEALTH_FAILING, "failing"},
    {PHASECTL_HEALTH_SOON, "first-loss-soon"}, {PHASECTL_HEALTH_LOST, "data-lost"},
    {PHASECTL_HEALTH_CANCELLED, "cancelled"},
};

static void health_usage(FILE *f)
{
    fprintf(f, "Usage: phasectl health IMAGE [--json] [-v] [--within YEARS]\n"
               "Scan every written cluster (read-only) and give the medium's health verdict,\n"
               "with an exit status made of bits (OR-ed) for monitoring:\n"
               "  1 bad command line, 2 the image could not be read, 4 a layer degrading,\n"
               "  8 the medium failing, 16 first loss projected within YEARS (default %g) at\n"
               "  the profile temperature, 32 data already lost, 64 cancelled; 0 good.\n"
               "  -v, --verbose    the full report (zones, damaged files, every lost cluster)\n"
               "      --json       the report as JSON (doc/schema/phasectl-health.json)\n"
               "      --within Y   the horizon of bit 16, in years\n",
            PHASECTL_HEALTH_WITHIN_YEARS);
}

static void summary_text(const char *path, const struct health *h, double within, int bits)
{
    static const char *const labels[MEDIUM_LAYER_COUNT] = {"L0 (far)", "L1 (near)"};
    printf("Health of %s: %s\n", path, health_verdict_name(h->verdict));
    for (unsigned i = 0; i < h->reason_count; i++)
        printf("  because     %s\n", h->reasons[i]);
    for (int l = MEDIUM_LAYER_COUNT - 1; l >= 0; l--) {
        const struct health_layer *L = &h->layer[l];
        printf("  %-10s  %s: %s\n", labels[l], L->material, health_verdict_name(L->verdict));
        for (unsigned i = 0; i < L->reason_count; i++)
            printf("    because   %s\n", L->reasons[i]);
    }
    unsigned fl = 0;
    double y = first_loss_years(h, &fl);
    if (isinf(y))
        printf("  first loss  more than %.0e years at %.1f C (profile)\n", HEALTH_YEARS_CAP,
               h->temperature_c);
    else if (y == 0)
        printf("  first loss  already happened on %s\n", labels[fl]);
    else if (!isnan(y))
        printf("  first loss  in %.3g years at %.1f C (profile), on %s; horizon %g years\n", y,
               h->temperature_c, labels[fl], within);
    else
        printf("  first loss  not projected (no cluster decoded)\n");
    if (h->bad_count)
        printf("  data lost   %zu cluster%s unreadable (fsck.phasefs --scan names the files)\n",
               h->bad_count, h->bad_count == 1 ? "" : "s");
    printf("  exit status %d", bits);
    const char *sep = ": ";
    for (size_t i = 0; i < sizeof bit_names / sizeof bit_names[0]; i++)
        if (bits & bit_names[i].bit) {
            printf("%s%s", sep, bit_names[i].name);
            sep = ", ";
        }
    printf("\n");
}

int phasectl_health(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},     {"verbose", no_argument, NULL, 'v'},
        {"within", required_argument, NULL, 'w'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, verbose = 0, c;
    double within = PHASECTL_HEALTH_WITHIN_YEARS;
    optind = 0;
    while ((c = getopt_long(argc, argv, "jvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'v': verbose = 1; break;
        case 'w':
            if (tool_parse_double(optarg, &within) < 0 || within < 0) {
                tool_error(optarg, "--within takes a number of years, 0 or more");
                return PHASECTL_HEALTH_USAGE;
            }
            break;
        case 'h': health_usage(stdout); return 0;
        default: health_usage(stderr); return PHASECTL_HEALTH_USAGE;
        }
    }
    if (optind + 1 != argc) {
        tool_error(NULL, optind >= argc ? "no IMAGE given; see 'phasectl health --help'"
                                        : "one IMAGE only; see 'phasectl health --help'");
        return PHASECTL_HEALTH_USAGE;
    }
    const char *path = argv[optind];
    struct health h;
    if (phasectl_health_scan(path, false, &h) < 0)
        return PHASECTL_HEALTH_UNREADABLE;
    int bits = phasectl_health_bits(&h, within);
    if (json) {
        struct tool_json j;
        tool_json_begin(&j, stdout);
        tool_json_object(&j, NULL);
        tool_json_int(&j, "format_version", PHASECTL_JSON_FORMAT_VERSION);
        tool_json_str(&j, "program", "phasectl health");
        tool_json_str(&j, "image", path);
        tool_json_num(&j, "within_years", within);
        tool_json_int(&j, "exit_status", bits);
        tool_json_array(&j, "exit_bits");
        for (size_t i = 0; i < sizeof bit_names / sizeof bit_names[0]; i++)
            if (bits & bit_names[i].bit)
                tool_json_str(&j, NULL, bit_names[i].name);
        tool_json_end_array(&j);
        health_json(&j, "health", &h, verbose);
        tool_json_end_object(&j);
        tool_json_finish(&j);
    } else if (verbose) {
        health_text(stdout, path, &h, true);
        summary_text(path, &h, within, bits);
    } else {
        summary_text(path, &h, within, bits);
    }
    health_free(&h);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        tool_error(NULL, "cannot write the report: %s", strerror(errno));
        bits |= PHASECTL_HEALTH_UNREADABLE;
    }
    return bits;
}
