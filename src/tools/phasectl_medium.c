/*
 * phasectl_medium.c — the phasectl subcommands that act on an image: create, info,
 * age and inject. Each opens the image through libmedium, does one thing, and prints
 * one summary (or one error line). Exit codes: phasectl.h.
 */
#include "medium.h"
#include "health.h"
#include "phasectl.h"
#include "sector.h"
#include "tool.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const layer_names[MEDIUM_LAYER_COUNT] = {"far", "near"};
static const char *const layer_labels[MEDIUM_LAYER_COUNT] = {"L0 (far)", "L1 (near)"};


int phasectl_open(const char *path, int read_only, struct medium **out)
{
    struct medium_open_options opt = {.io = NULL, .read_only = read_only != 0,
                                      .lock_wait_ms = MEDIUM_LOCK_WAIT_MS};
    int rc = medium_open(path, &opt, out);
    if (rc == 0)
        return 0;
    tool_open_error(path, rc, read_only != 0);
    return PHASECTL_EXIT_MEDIUM;
}

/* ---- create ------------------------------------------------------------------------ */

static void create_usage(FILE *f)
{
    fprintf(f, "Usage: phasectl create [-p PRESET|PROFILE] [-s SIZE] [--seed N] [--force] "
               "[--no-format] IMAGE\n"
               "  -p, --profile SPEC  preset (bd-re-dl, pcm-2l) or profile file; default bd-re-dl\n"
               "  -s, --size SIZE     user capacity per layer, multiple of 64K, e.g. 64M, 1G,\n"
               "                      25G; 'full' is the real 25,025,314,816 B; default: profile\n"
               "      --seed N        random seed (default: the profile's)\n"
               "  -f, --force         replace an existing IMAGE\n"
               "      --no-format     leave the medium raw: no sector-layer format (spare\n"
               "                      areas and defect management areas)\n");
}

int phasectl_create(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"profile", required_argument, NULL, 'p'}, {"size", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'S'},    {"force", no_argument, NULL, 'f'},
        {"no-format", no_argument, NULL, 'N'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *spec = "bd-re-dl", *size_text = NULL, *seed_text = NULL;
    int force = 0, no_format = 0, c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "p:s:fh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': spec = optarg; break;
        case 's': size_text = optarg; break;
        case 'S': seed_text = optarg; break;
        case 'f': force = 1; break;
        case 'N': no_format = 1; break;
        case 'h': create_usage(stdout); return PHASECTL_EXIT_OK;
        default: create_usage(stderr); return PHASECTL_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        create_usage(stderr);
        return PHASECTL_EXIT_USAGE;
    }
    const char *path = argv[optind];
    struct medium_profile p;
    if (tool_profile_prepare(spec, size_text, seed_text, &p) < 0)
        return PHASECTL_EXIT_USAGE;
    int rc;

    double t0 = tool_now();
    struct medium_create_options opt = {.io = NULL, .overwrite = force != 0,
                                        .lock_wait_ms = MEDIUM_LOCK_WAIT_MS};
    struct medium *m = NULL;
    rc = medium_create(path, &p, &opt, &m);
    if (rc == -EEXIST) {
        tool_error(path, "the file exists; use --force to replace it");
        return PHASECTL_EXIT_MEDIUM;
    }
    if (rc == -EBUSY) {
        tool_image_busy(path, false);
        return PHASECTL_EXIT_MEDIUM;
    }
    if (rc == -EOPNOTSUPP) {
        tool_error(path, "profile %s is in electrical mode, whose recording physics is not "
                         "built yet; use an optical profile such as bd-re-dl", p.name);
        return PHASECTL_EXIT_MEDIUM;
    }
    if (rc < 0) {
        tool_error(path, "cannot create the image: %s", tool_strerror(rc));
        return PHASECTL_EXIT_MEDIUM;
    }
    uint64_t clusters = medium_layer_clusters(m);
    if (!no_format) {
        /* the sector layer's spare areas and defect management areas (phasectl stats) */
        struct sector_options sopt;
        sector_options_default(&sopt);
        sopt.force_format = true; /* a new image: nothing to keep */
        rc = sector_format(m, &sopt);
        if (rc < 0) {
            if (rc == -EINVAL)
                tool_error(path, "the profile's [format] spare areas leave no user clusters on "
                                 "a layer of %llu clusters; use a larger size or smaller spares",
                           (unsigned long long)clusters);
            else
                tool_error(path, "cannot format the sector layer: %s", tool_strerror(rc));
            medium_close(m);
            unlink(path);
            return rc == -EINVAL ? PHASECTL_EXIT_USAGE : PHASECTL_EXIT_MEDIUM;
        }
    }
    rc = medium_close(m);
    if (rc < 0) {
        tool_error(path, "cannot finish the image: %s", tool_strerror(rc));
        return PHASECTL_EXIT_MEDIUM;
    }
    struct stat st;
    double apparent = 0, allocated = 0;
    if (stat(path, &st) == 0) {
        apparent = (double)st.st_size;
        allocated = (double)st.st_blocks * 512.0;
    }
    printf("created %s: profile %s, 2 layers x %llu clusters (%.3f GB of user data per layer), "
           "seed %llu\n",
           path, p.name, (unsigned long long)clusters,
           (double)clusters * MEDIUM_USER_BYTES_PER_CLUSTER / 1e9, (unsigned long long)p.seed);
    printf("image file: %.3f GB apparent, %.1f MB allocated (sparse), made in %.2f s\n",
           apparent / 1e9, allocated / 1e6, tool_now() - t0);
    return PHASECTL_EXIT_OK;
}

/* ---- info -------------------------------------------------------------------------- */

static void info_usage(FILE *f)
{
    fprintf(f, "Usage: phasectl info IMAGE [--json]\n"
               "Show the medium's profile, simulated clock, faults and each layer's health.\n");
}

int phasectl_image_args(int argc, char **argv, void (*usage)(FILE *), const char **path,
                        int *json)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c;
    *json = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': *json = 1; break;
        case 'h': usage(stdout); return PHASECTL_EXIT_OK;
        default: usage(stderr); return PHASECTL_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return PHASECTL_EXIT_USAGE;
    }
    *path = argv[optind];
    return -1;
}

/* The verdict line of a layer: the health scan's, or why there is none. */
static void verdict_text(const struct health *h, int hrc, unsigned l)
{
    if (hrc == -ENODATA) {
        printf("    health      not judged: the sector layer was never formatted\n");
        return;
    }
    if (hrc < 0) {
        printf("    health      not judged: %s\n", tool_strerror(hrc));
        return;
    }
    const struct health_layer *L = &h->layer[l];
    printf("    health      %s (surface scan of %llu written clusters; phasectl health)\n",
           health_verdict_name(L->verdict), (unsigned long long)L->written);
    for (unsigned i = 0; i < L->reason_count; i++)
        printf("                because %s\n", L->reasons[i]);
}

int phasectl_info(int argc, char **argv)
{
    const char *path;
    int json;
    int rc = phasectl_image_args(argc, argv, info_usage, &path, &json);
    if (rc >= 0)
        return rc;
    struct medium *m;
    rc = phasectl_open(path, 1, &m);
    if (rc)
        return rc;
    const struct medium_profile *p = medium_profile_get(m);
    struct medium_clock clk;
    medium_clock_get(m, &clk);
    struct medium_layer_status st[MEDIUM_LAYER_COUNT];
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        rc = medium_layer_status(m, l, &st[l]);
        if (rc < 0) {
            tool_error(path, "cannot read the %s layer's state: %s", layer_names[l],
                       tool_strerror(rc));
            medium_close(m);
            return PHASECTL_EXIT_MEDIUM;
        }
    }
    const struct medium_optics *o = medium_optics_get(m);
    uint64_t clusters = medium_layer_clusters(m);
    double ser[MEDIUM_LAYER_COUNT];
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) /* P(byte has >= 1 bit error) */
        ser[l] = 1.0 - pow(1.0 - st[l].raw_ber_fresh, 8.0);
    /* the verdict is the health scan's, the one every report shows; a medium that was
     * never formatted has none. The scan's error line is printed; info goes on. */
    struct health h;
    int hrc = phasectl_health_scan(path, true, &h);

    if (json) {
        struct tool_json j;
        tool_json_begin(&j, stdout);
        tool_json_object(&j, NULL);
        tool_json_int(&j, "format_version", PHASECTL_JSON_FORMAT_VERSION);
        tool_json_str(&j, "program", "phasectl info");
        tool_json_str(&j, "image", path);
        tool_json_str(&j, "profile", p->name);
        tool_json_str(&j, "mode", p->mode == MEDIUM_MODE_OPTICAL ? "optical" : "electrical");
        tool_json_uint(&j, "seed", p->seed);
        tool_json_uint(&j, "clusters_per_layer", clusters);
        tool_json_uint(&j, "capacity_per_layer", p->capacity_per_layer);
        tool_json_object(&j, "clock");
        tool_json_num(&j, "sim_s", clk.sim_s);
        tool_json_num(&j, "equiv_far_s", clk.equiv_s[MEDIUM_LAYER_FAR]);
        tool_json_num(&j, "equiv_near_s", clk.equiv_s[MEDIUM_LAYER_NEAR]);
        tool_json_num(&j, "env_equiv_far_s", clk.env_equiv_s[MEDIUM_LAYER_FAR]);
        tool_json_num(&j, "env_equiv_near_s", clk.env_equiv_s[MEDIUM_LAYER_NEAR]);
        tool_json_num(&j, "temperature_c", clk.temperature_c);
        tool_json_num(&j, "humidity_pct", clk.humidity_pct);
        tool_json_end_object(&j);
        tool_json_str(&j, "verdict", hrc == 0 ? health_verdict_name(h.verdict) : NULL);
        tool_json_str(&j, "verdict_unjudged", hrc == 0 ? NULL
                                              : hrc == -ENODATA ? "the sector layer was never formatted"
                                                                : tool_strerror(hrc));
        tool_json_array(&j, "layers"); /* near first, as in the text */
        for (int l = MEDIUM_LAYER_COUNT - 1; l >= 0; l--) {
            const struct medium_layer_status *s = &st[l];
            char name[8];
            snprintf(name, sizeof name, "L%d", l);
            tool_json_object(&j, NULL);
            tool_json_str(&j, "layer", layer_names[l]);
            tool_json_str(&j, "name", name);
            tool_json_str(&j, "material", p->layer[l].material);
            tool_json_num(&j, "Rc_eff", o->layer[l].Rc_eff);
            tool_json_num(&j, "Ra_eff", o->layer[l].Ra_eff);
            tool_json_num(&j, "power_opt_mw", s->power_opt_mw);
            tool_json_num(&j, "power_ratio", s->power_ratio);
            tool_json_num(&j, "erase_completeness", s->erase_completeness);
            tool_json_num(&j, "write_error_rate", s->write_error_rate);
            tool_json_num(&j, "raw_ber_fresh", s->raw_ber_fresh);
            tool_json_num(&j, "raw_ser_fresh", ser[l]);
            tool_json_num(&j, "median_life_s", s->median_life_s);
            tool_json_num(&j, "env_life_s", s->env_life_s);
            tool_json_uint(&j, "clusters_written", s->clusters_written);
            tool_json_uint(&j, "cycles_max", s->cycles_max);
            tool_json_num(&j, "cycles_mean", s->cycles_mean);
            tool_json_uint(&j, "faults", s->faults);
            tool_json_uint(&j, "defect_clusters", s->defect_clusters);
            if (hrc == 0) {
                const struct health_layer *L = &h.layer[l];
                tool_json_str(&j, "verdict", health_verdict_name(L->verdict));
                tool_json_array(&j, "reasons");
                for (unsigned i = 0; i < L->reason_count; i++)
                    tool_json_str(&j, NULL, L->reasons[i]);
                tool_json_end_array(&j);
                tool_json_uint(&j, "uncorrectable", L->total.uncorrectable);
            } else {
                tool_json_null(&j, "verdict");
                tool_json_null(&j, "reasons");
                tool_json_null(&j, "uncorrectable");
            }
            tool_json_end_object(&j);
        }
        tool_json_end_array(&j);
        tool_json_end_object(&j);
        tool_json_finish(&j);
    } else {
        printf("Medium %s\n", path);
        printf("  profile       %s (%s), seed %llu\n", p->name,
               p->mode == MEDIUM_MODE_OPTICAL ? "optical" : "electrical",
               (unsigned long long)p->seed);
        printf("  geometry      2 layers x %llu clusters, %.3f GB user data per layer\n",
               (unsigned long long)clusters,
               (double)clusters * MEDIUM_USER_BYTES_PER_CLUSTER / 1e9);
        printf("  clock         %.3f years simulated (last step at %.1f C, %.0f %% RH); "
               "equivalent age at 25 C: L0 %.4g y, L1 %.4g y; at 25 C / 50 %% RH: L0 %.4g y, "
               "L1 %.4g y\n",
               clk.sim_s / 31557600.0, clk.temperature_c, clk.humidity_pct,
               clk.equiv_s[0] / 31557600.0, clk.equiv_s[1] / 31557600.0,
               clk.env_equiv_s[0] / 31557600.0, clk.env_equiv_s[1] / 31557600.0);
        if (hrc == 0)
            printf("  health        %s%s\n", health_verdict_name(h.verdict),
                   h.dma_copies_valid < 4 ? " (defect management copies lost)" : "");
        for (int l = MEDIUM_LAYER_COUNT - 1; l >= 0; l--) {
            const struct medium_layer_status *s = &st[l];
            printf("  %s  %s\n", layer_labels[l], p->layer[l].material);
            printf("    read        Rc %.4f Ra %.4f at the drive; raw BER of a fresh cluster "
                   "%.3g (symbol rate %.3g, format limit %.0e)\n",
                   o->layer[l].Rc_eff, o->layer[l].Ra_eff, s->raw_ber_fresh, ser[l],
                   PHASECTL_FORMAT_SER_LIMIT);
            printf("    write       optimum peak %.2f mW, configured %.2fx; write errors %.3g "
                   "per bit; erase completeness %.6f\n",
                   s->power_opt_mw, s->power_ratio, s->write_error_rate, s->erase_completeness);
            printf("    retention   median mark life %.3g years at %.1f C; stack damage "
                   "(D = 1) after %.3g years at %.1f C / %.0f %% RH\n",
                   s->median_life_s / 31557600.0, p->temperature_c, s->env_life_s / 31557600.0,
                   p->temperature_c, p->humidity_pct);
            printf("    use         %llu of %llu clusters written, cycles max %u mean %.1f; "
                   "%llu clusters with production defects; %u injected faults\n",
                   (unsigned long long)s->clusters_written, (unsigned long long)clusters,
                   s->cycles_max, s->cycles_mean, (unsigned long long)s->defect_clusters,
                   s->faults);
            verdict_text(&h, hrc, (unsigned)l);
        }
    }
    if (hrc == 0)
        health_free(&h);
    medium_close(m);
    return PHASECTL_EXIT_OK;
}

/* ---- age --------------------------------------------------------------------------- */

static void age_usage(FILE *f)
{
    fprintf(f, "Usage: phasectl age IMAGE (--years Y | --days D | --hours H | --seconds S) "
               "[--celsius C] [--rh R]\n"
               "Age the medium by that much simulated time at C degrees Celsius and R %% relative\n"
               "humidity (defaults: the profile's temperature and humidity). Cost is independent\n"
               "of the medium's size.\n");
}

int phasectl_age(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"years", required_argument, NULL, 'y'},   {"days", required_argument, NULL, 'd'},
        {"hours", required_argument, NULL, 'H'},   {"seconds", required_argument, NULL, 's'},
        {"celsius", required_argument, NULL, 'c'}, {"rh", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    double seconds = 0, celsius = NAN, rh = NAN;
    int have_time = 0, c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "y:d:H:s:c:r:h", longopts, NULL)) != -1) {
        double v, unit = 1;
        switch (c) {
        case 'y': unit = 31557600.0; goto add_time;
        case 'd': unit = 86400.0; goto add_time;
        case 'H': unit = 3600.0; goto add_time;
        case 's':
        add_time:
            if (tool_parse_double(optarg, &v) < 0 || v < 0) {
                tool_error(optarg, "the duration must be a non-negative number");
                return PHASECTL_EXIT_USAGE;
            }
            seconds += v * unit;
            have_time = 1;
            break;
        case 'c':
            if (tool_parse_double(optarg, &celsius) < 0) {
                tool_error(optarg, "the temperature must be a number of degrees Celsius");
                return PHASECTL_EXIT_USAGE;
            }
            break;
        case 'r':
            if (tool_parse_double(optarg, &rh) < 0 || rh < 0 || rh > 100) {
                tool_error(optarg, "the humidity must be a relative humidity from 0 to 100 %%");
                return PHASECTL_EXIT_USAGE;
            }
            break;
        case 'h': age_usage(stdout); return PHASECTL_EXIT_OK;
        default: age_usage(stderr); return PHASECTL_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || !have_time) {
        age_usage(stderr);
        return PHASECTL_EXIT_USAGE;
    }
    if (!isnan(celsius) && (celsius < -40 || celsius > 200)) {
        tool_error("--celsius", "%.1f C is outside the model's range of -40 to 200 C", celsius);
        return PHASECTL_EXIT_USAGE;
    }
    const char *path = argv[optind];
    struct medium *m;
    int rc = phasectl_open(path, 0, &m);
    if (rc)
        return rc;
    if (isnan(celsius))
        celsius = medium_profile_get(m)->temperature_c;
    if (isnan(rh))
        rh = medium_profile_get(m)->humidity_pct;
    rc = medium_age_rh(m, seconds, celsius, rh);
    if (rc < 0) {
        tool_error(path, "cannot age the medium: %s", tool_strerror(rc));
        medium_close(m);
        return rc == -EINVAL ? PHASECTL_EXIT_USAGE : PHASECTL_EXIT_MEDIUM;
    }
    struct medium_clock clk;
    medium_clock_get(m, &clk);
    rc = medium_close(m);
    if (rc < 0) {
        tool_error(path, "cannot save the clock: %s", tool_strerror(rc));
        return PHASECTL_EXIT_MEDIUM;
    }
    printf("aged %s by %.6g years at %.1f C, %.0f %% RH; simulated %.6g years in all; "
           "equivalent age at 25 C: L0 %.6g y, L1 %.6g y; at 25 C / 50 %% RH: L0 %.6g y, "
           "L1 %.6g y\n",
           path, seconds / 31557600.0, celsius, rh, clk.sim_s / 31557600.0,
           clk.equiv_s[0] / 31557600.0, clk.equiv_s[1] / 31557600.0,
           clk.env_equiv_s[0] / 31557600.0, clk.env_equiv_s[1] / 31557600.0);
    return PHASECTL_EXIT_OK;
}

/* ---- inject ------------------------------------------------------------------------ */

static void inject_usage(FILE *f)
{
    fprintf(f,
            "Usage: phasectl inject IMAGE scratch --radius R0:R1 --angle A0:A1 --width UM "
            "[--layers L]\n"
            "       phasectl inject IMAGE dust --radius R --angle A --diameter UM\n"
            "       phasectl inject IMAGE defects --count N [--length BYTES] [--layers L]\n"
            "Radii in mm (data zone 24-58), angles in degrees, widths in micrometres;\n"
            "L is near, far or both (default both). Faults act on every later read.\n");
}

/* "a:b" or "a" (then b = a). */
static int parse_pair(const char *text, double *a, double *b)
{
    char buf[64];
    if (strlen(text) >= sizeof buf)
        return -EINVAL;
    strcpy(buf, text);
    char *colon = strchr(buf, ':');
    if (colon)
        *colon = '\0';
    if (tool_parse_double(buf, a) < 0)
        return -EINVAL;
    if (!colon) {
        *b = *a;
        return 0;
    }
    return tool_parse_double(colon + 1, b);
}

static int parse_layers(const char *text, unsigned *mask)
{
    if (!strcmp(text, "near"))
        *mask = 1u << MEDIUM_LAYER_NEAR;
    else if (!strcmp(text, "far"))
        *mask = 1u << MEDIUM_LAYER_FAR;
    else if (!strcmp(text, "both"))
        *mask = (1u << MEDIUM_LAYER_NEAR) | (1u << MEDIUM_LAYER_FAR);
    else
        return -EINVAL;
    return 0;
}

static const char *option_name(const struct option *opts, int val)
{
    for (; opts->name; opts++)
        if (opts->val == val)
            return opts->name;
    return "?";
}

int phasectl_inject(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"radius", required_argument, NULL, 'r'}, {"angle", required_argument, NULL, 'a'},
        {"width", required_argument, NULL, 'w'},  {"diameter", required_argument, NULL, 'd'},
        {"count", required_argument, NULL, 'n'},  {"length", required_argument, NULL, 'l'},
        {"layers", required_argument, NULL, 'L'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    double r0 = NAN, r1 = NAN, a0 = NAN, a1 = NAN, width = NAN, diameter = NAN;
    uint64_t count = 0, length = 64;
    unsigned mask = (1u << MEDIUM_LAYER_NEAR) | (1u << MEDIUM_LAYER_FAR);
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "r:a:w:d:n:l:L:h", longopts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'r': bad = parse_pair(optarg, &r0, &r1); break;
        case 'a': bad = parse_pair(optarg, &a0, &a1); break;
        case 'w': bad = tool_parse_double(optarg, &width); break;
        case 'd': bad = tool_parse_double(optarg, &diameter); break;
        case 'n': bad = tool_parse_u64(optarg, &count); break;
        case 'l': bad = tool_parse_u64(optarg, &length); break;
        case 'L': bad = parse_layers(optarg, &mask); break;
        case 'h': inject_usage(stdout); return PHASECTL_EXIT_OK;
        default: inject_usage(stderr); return PHASECTL_EXIT_USAGE;
        }
        if (bad) {
            tool_error(optarg, "bad value for --%s; see 'phasectl inject --help'",
                       option_name(longopts, c));
            return PHASECTL_EXIT_USAGE;
        }
    }
    if (optind + 2 != argc) {
        inject_usage(stderr);
        return PHASECTL_EXIT_USAGE;
    }
    const char *path = argv[optind], *kind = argv[optind + 1];
    struct medium *m;
    int rc;
    char what[160];
    if (!strcmp(kind, "scratch")) {
        if (isnan(r0) || isnan(a0) || isnan(width)) {
            tool_error("scratch", "needs --radius R0:R1, --angle A0:A1 and --width UM");
            return PHASECTL_EXIT_USAGE;
        }
        struct medium_scratch s = {.r0_mm = r0, .r1_mm = r1, .angle0_deg = a0,
                                   .angle1_deg = a1, .width_um = width, .layer_mask = mask};
        if ((rc = phasectl_open(path, 0, &m)))
            return rc;
        rc = medium_inject_scratch(m, &s);
        snprintf(what, sizeof what, "scratch %.2f-%.2f mm, %.1f-%.1f deg, %.1f um wide", r0, r1,
                 a0, a1, width);
    } else if (!strcmp(kind, "dust")) {
        if (isnan(r0) || isnan(a0) || isnan(diameter)) {
            tool_error("dust", "needs --radius R, --angle A and --diameter UM");
            return PHASECTL_EXIT_USAGE;
        }
        struct medium_dust d = {.r_mm = r0, .angle_deg = a0, .diameter_um = diameter};
        if ((rc = phasectl_open(path, 0, &m)))
            return rc;
        rc = medium_inject_dust(m, &d);
        snprintf(what, sizeof what, "dust %.1f um at %.2f mm, %.1f deg", diameter, r0, a0);
    } else if (!strcmp(kind, "defects")) {
        if (count == 0 || count > UINT32_MAX || length == 0 || length > UINT32_MAX) {
            tool_error("defects", "needs --count N (N > 0) and optionally --length BYTES");
            return PHASECTL_EXIT_USAGE;
        }
        struct medium_defects d = {.count = (uint32_t)count, .length_bytes = (uint32_t)length,
                                   .layer_mask = mask};
        if ((rc = phasectl_open(path, 0, &m)))
            return rc;
        rc = medium_inject_defects(m, &d);
        snprintf(what, sizeof what, "%llu defects of up to %llu bytes",
                 (unsigned long long)count, (unsigned long long)length);
    } else {
        tool_error(kind, "unknown fault; use scratch, dust or defects");
        return PHASECTL_EXIT_USAGE;
    }
    if (rc < 0) {
        if (rc == -EINVAL)
            tool_error(kind, "the geometry is outside the disc or out of range; radii 0-60 mm, "
                             "positive widths (see 'phasectl inject --help')");
        else if (rc == -ENOSPC)
            tool_error(path, "the fault table is full (%d faults)", 256);
        else
            tool_error(path, "cannot record the fault: %s", tool_strerror(rc));
        medium_close(m);
        return rc == -EINVAL ? PHASECTL_EXIT_USAGE : PHASECTL_EXIT_MEDIUM;
    }
    rc = medium_close(m);
    if (rc < 0) {
        tool_error(path, "cannot save the fault: %s", tool_strerror(rc));
        return PHASECTL_EXIT_MEDIUM;
    }
    printf("injected %s into %s\n", what, path);
    return PHASECTL_EXIT_OK;
}
