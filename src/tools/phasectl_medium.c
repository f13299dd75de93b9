/*
 * phasectl_medium.c — the phasectl subcommands that act on an image: create, info,
 * age and inject. Each opens the image through libmedium, does one thing, and prints
 * one summary (or one error line). Exit codes: phasectl.h.
 */
#include "medium.h"
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

/* Format-level symbol error limit: SER < 2e-4 (physics.md §3.2 [S41]). */
#define FORMAT_SER_LIMIT 2e-4

int phasectl_open(const char *path, int read_only, struct medium **out)
{
    struct medium_open_options opt = {.io = NULL, .read_only = read_only != 0,
                                      .lock_wait_ms = MEDIUM_LOCK_WAIT_MS};
    int rc = medium_open(path, &opt, out);
    if (rc == 0)
        return 0;
    switch (-rc) {
    case EBUSY:
        tool_image_busy(path, read_only != 0);
        break;
    case ENOENT:
        tool_error(path, "no such image; create one with 'phasectl create %s'", path);
        break;
    case EUCLEAN:
        tool_error(path, "%s; the image cannot be used (recreate it, or keep it for "
                         "inspection)", tool_strerror(rc));
        break;
    case EPROTO:
        tool_error(path, "%s; use the phasefs version that created it", tool_strerror(rc));
        break;
    case EACCES:
    case EPERM:
        tool_error(path, "permission denied; check the file's mode or open it read-only");
        break;
    default:
        tool_error(path, "cannot open the image: %s", tool_strerror(rc));
        break;
    }
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
    struct medium_parse_error err;
    memset(&err, 0, sizeof err);
    int rc = medium_profile_load(spec, &p, &err);
    if (rc < 0)
        return phasectl_profile_error(spec, rc, &err);
    if (size_text) {
        uint64_t size;
        if (!strcmp(size_text, "full")) {
            size = MEDIUM_REAL_LAYER_BYTES;
        } else if (tool_parse_size(size_text, &size) < 0) {
            tool_error(size_text, "not a size; write e.g. 64M, 1G or 25G (binary units)");
            return PHASECTL_EXIT_USAGE;
        }
        if (size % MEDIUM_USER_BYTES_PER_CLUSTER || size < MEDIUM_MIN_LAYER_BYTES) {
            tool_error(size_text, "the size per layer must be a multiple of 64K and at least 1M");
            return PHASECTL_EXIT_USAGE;
        }
        p.capacity_per_layer = size;
    }
    if (seed_text && tool_parse_u64(seed_text, &p.seed) < 0) {
        tool_error(seed_text, "the seed must be a non-negative integer");
        return PHASECTL_EXIT_USAGE;
    }
    rc = medium_profile_validate(&p, &err);
    if (rc < 0)
        return phasectl_profile_error(spec, rc, &err);

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

static const char *layer_verdict(const struct medium_layer_status *s, double ser)
{
    /* Facts against the format's limit; fsck.phasefs makes the full judgement. */
    if (ser >= FORMAT_SER_LIMIT || s->write_error_rate * 8 >= FORMAT_SER_LIMIT)
        return "outside the format's error limit";
    if (ser >= FORMAT_SER_LIMIT / 4)
        return "within limits, little margin";
    return "within limits";
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

    if (json) {
        printf("{\n  \"format_version\": %d,\n  \"image\": ", PHASECTL_JSON_FORMAT_VERSION);
        tool_json_string(stdout, path);
        printf(",\n  \"profile\": ");
        tool_json_string(stdout, p->name);
        printf(",\n  \"mode\": \"%s\",\n  \"seed\": %llu,\n  \"clusters_per_layer\": %llu,\n"
               "  \"capacity_per_layer\": %llu,\n",
               p->mode == MEDIUM_MODE_OPTICAL ? "optical" : "electrical",
               (unsigned long long)p->seed, (unsigned long long)clusters,
               (unsigned long long)p->capacity_per_layer);
        printf("  \"clock\": {\"sim_s\": %.9g, \"equiv_s\": [%.9g, %.9g], \"env_equiv_s\": "
               "[%.9g, %.9g], \"temperature_c\": %.6g, \"humidity_pct\": %.6g},\n",
               clk.sim_s, clk.equiv_s[0], clk.equiv_s[1], clk.env_equiv_s[0], clk.env_equiv_s[1],
               clk.temperature_c, clk.humidity_pct);
        printf("  \"layers\": [\n");
        for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
            const struct medium_layer_status *s = &st[l];
            printf("    {\"layer\": \"%s\", \"name\": \"L%u\", \"material\": ", layer_names[l], l);
            tool_json_string(stdout, p->layer[l].material);
            printf(", \"Rc_eff\": %.6f, \"Ra_eff\": %.6f, \"power_opt_mw\": %.6g, "
                   "\"power_ratio\": %.6g, \"erase_completeness\": %.9g, "
                   "\"write_error_rate\": %.6g, \"raw_ber_fresh\": %.6g, \"raw_ser_fresh\": %.6g, "
                   "\"median_life_s\": %.6g, \"env_life_s\": %.6g, \"clusters_written\": %llu, "
                   "\"cycles_max\": %u, "
                   "\"cycles_mean\": %.6g, \"faults\": %u, \"defect_clusters\": %llu}%s\n",
                   o->layer[l].Rc_eff, o->layer[l].Ra_eff, s->power_opt_mw, s->power_ratio,
                   s->erase_completeness, s->write_error_rate, s->raw_ber_fresh, ser[l],
                   s->median_life_s, s->env_life_s, (unsigned long long)s->clusters_written,
                   s->cycles_max,
                   s->cycles_mean, s->faults, (unsigned long long)s->defect_clusters,
                   l + 1 < MEDIUM_LAYER_COUNT ? "," : "");
        }
        printf("  ]\n}\n");
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
        for (int l = MEDIUM_LAYER_COUNT - 1; l >= 0; l--) {
            const struct medium_layer_status *s = &st[l];
            printf("  %s  %s\n", layer_labels[l], p->layer[l].material);
            printf("    read        Rc %.4f Ra %.4f at the drive; raw BER %.3g (symbol rate "
                   "%.3g, format limit %.0e)\n",
                   o->layer[l].Rc_eff, o->layer[l].Ra_eff, s->raw_ber_fresh, ser[l],
                   FORMAT_SER_LIMIT);
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
            printf("    health      %s\n", layer_verdict(s, ser[l]));
        }
    }
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
