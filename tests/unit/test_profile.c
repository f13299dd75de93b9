/*
 * test_profile.c — unit tests of medium/profile.c and presets.c: the presets carry the
 * physics.md §7 figures, canonical text round-trips (invariant 2), a profile inherits
 * what it does not say, every error class names the right line and key, and no input
 * crashes the parser (invariant 1; run it under --enable-sanitizers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "medium_priv.h"

#define FMT_CAP (64 * 1024)

/* Field-by-field equality; strings compared as strings. */
static void assert_profile_equal(const struct medium_profile *a, const struct medium_profile *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->mode, b->mode);
    assert_true(a->seed == b->seed);
    assert_true(a->capacity_per_layer == b->capacity_per_layer);
    assert_true(a->temperature_c == b->temperature_c);
    assert_true(a->wavelength_nm == b->wavelength_nm);
    assert_true(a->na == b->na);
    assert_true(a->linear_velocity_m_s == b->linear_velocity_m_s);
    assert_true(a->read_power_mw == b->read_power_mw);
    assert_string_equal(a->sputter_gas, b->sputter_gas);
    assert_true(a->n2_fraction == b->n2_fraction);
    assert_true(a->o2_fraction == b->o2_fraction);
    for (int l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        const struct medium_layer_profile *x = &a->layer[l], *y = &b->layer[l];
        assert_string_equal(x->material, y->material);
        assert_true(x->peak_power_mw == y->peak_power_mw);
        assert_true(x->erase_power_mw == y->erase_power_mw);
        assert_true(x->bias_power_mw == y->bias_power_mw);
        assert_true(x->film_rate_nm_s == y->film_rate_nm_s);
        assert_true(x->dow_n0_cycles == y->dow_n0_cycles);
        assert_true(x->dow_beta == y->dow_beta);
    }
    assert_int_equal(a->film_count, b->film_count);
    for (unsigned i = 0; i < a->film_count; i++) {
        const struct medium_film *x = &a->films[i], *y = &b->films[i];
        assert_int_equal(x->role, y->role);
        assert_string_equal(x->material, y->material);
        assert_true(x->thickness_nm == y->thickness_nm);
        assert_true(x->n == y->n);
        assert_true(x->k == y->k);
        assert_int_equal(x->layer, y->layer);
    }
    assert_memory_equal(&a->electrical, &b->electrical, sizeof a->electrical);
    assert_memory_equal(&a->model, &b->model, sizeof a->model);
}

static int parse_str(const char *text, struct medium_profile *p, struct medium_parse_error *e)
{
    return medium_profile_parse(text, strlen(text), "t.profile", p, e);
}

static void test_profile_preset_names(void **state)
{
    (void)state;
    const char *const *n = medium_preset_names();
    assert_string_equal(n[0], "bd-re-dl");
    assert_string_equal(n[1], "pcm-2l");
    assert_null(n[2]);
    struct medium_profile p;
    assert_int_equal(medium_profile_preset("no-such", &p), -ENOENT);
}

/* physics.md §7.1, §7.2, §7.4, §3.1 and the model defaults of §4 */
static void test_profile_bd_re_dl_figures(void **state)
{
    (void)state;
    struct medium_profile p;
    assert_int_equal(medium_profile_preset("bd-re-dl", &p), 0);
    assert_string_equal(p.name, "bd-re-dl");
    assert_int_equal(p.mode, MEDIUM_MODE_OPTICAL);
    assert_true(p.seed == 1);
    assert_true(p.capacity_per_layer == 381856ULL * 65536ULL);
    assert_true(p.capacity_per_layer == 12219392ULL * 2048ULL);
    assert_true(p.temperature_c == 25);
    assert_true(p.wavelength_nm == 405 && p.na == 0.85 && p.linear_velocity_m_s == 4.917);
    assert_true(p.read_power_mw == 0.7);
    assert_string_equal(p.sputter_gas, "Ar");
    assert_string_equal(p.layer[MEDIUM_LAYER_NEAR].material, "Ge8Sb2Te11");
    assert_string_equal(p.layer[MEDIUM_LAYER_FAR].material, "(Sb70Te30)95Ge5");
    assert_true(p.layer[MEDIUM_LAYER_NEAR].peak_power_mw == 6.5);
    /* §7.4 says 2.8 mW (EST); the preset is OPC-calibrated to the model's optimum */
    assert_true(p.layer[MEDIUM_LAYER_NEAR].erase_power_mw == 2.8); /* §7.4 */
    assert_true(p.layer[MEDIUM_LAYER_NEAR].bias_power_mw == 0.2);
    assert_true(p.layer[MEDIUM_LAYER_FAR].peak_power_mw == 12);
    assert_true(p.layer[MEDIUM_LAYER_FAR].erase_power_mw == 5);
    assert_true(p.layer[MEDIUM_LAYER_FAR].bias_power_mw == 0.3);
    /* the 16 films of §7.2 */
    static const struct {
        enum medium_film_role role;
        double nm, n, k;
    } stack[16] = {
        {MEDIUM_FILM_COVER, 75000, 1.60, 0},       {MEDIUM_FILM_PROTECTIVE, 40, 2.30, 0},
        {MEDIUM_FILM_INTERFACE, 3, 2.20, 0},       {MEDIUM_FILM_RECORDING, 8, 0, 0},
        {MEDIUM_FILM_INTERFACE, 3, 2.20, 0},       {MEDIUM_FILM_PROTECTIVE, 10, 2.30, 0},
        {MEDIUM_FILM_REFLECTIVE, 10, 0.045, 2.182}, {MEDIUM_FILM_TRANSMITTANCE, 15, 2.60, 0},
        {MEDIUM_FILM_SEPARATING, 25000, 1.55, 0},  {MEDIUM_FILM_PROTECTIVE, 30, 2.30, 0},
        {MEDIUM_FILM_INTERFACE, 3, 2.20, 0},       {MEDIUM_FILM_RECORDING, 12, 0, 0},
        {MEDIUM_FILM_INTERFACE, 3, 2.20, 0},       {MEDIUM_FILM_PROTECTIVE, 10, 2.30, 0},
        {MEDIUM_FILM_REFLECTIVE, 80, 0.045, 2.182}, {MEDIUM_FILM_SUBSTRATE, 1.1e6, 1.631, 0},
    };
    assert_int_equal(p.film_count, 16);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(p.films[i].role, stack[i].role);
        assert_true(p.films[i].thickness_nm == stack[i].nm);
        if (stack[i].role != MEDIUM_FILM_RECORDING) {
            assert_true(p.films[i].n == stack[i].n);
            assert_true(p.films[i].k == stack[i].k);
            assert_int_equal(p.films[i].layer, -1);
        }
    }
    assert_int_equal(p.films[3].layer, MEDIUM_LAYER_NEAR);
    assert_int_equal(p.films[11].layer, MEDIUM_LAYER_FAR);
    assert_true(p.model.ser0 == 1e-5 && p.model.retention_sigma == 0.75);
    /* read disturb now comes from the read power (readout.c): no extra term; stuck
     * cells are off on the disc and the DOW bump is on (issue 8, recording.c) */
    assert_true(p.model.read_disturb_s == 0.0 && p.model.crosstalk == 1e-4);
    assert_true(p.model.cross_erase == 0.25 && p.model.defect_density_per_cm2 == 0);
    assert_true(p.model.stuck_onset == 0 && p.model.stuck_shape == 3);
    assert_true(p.model.dow_first_ser == 3e-5 && p.strategy_velocity_m_s == 4.917);
    assert_int_equal(medium_profile_validate(&p, NULL), 0);
}

/* physics.md §7.5 */
static void test_profile_pcm_2l_figures(void **state)
{
    (void)state;
    struct medium_profile p;
    assert_int_equal(medium_profile_preset("pcm-2l", &p), 0);
    assert_int_equal(p.mode, MEDIUM_MODE_ELECTRICAL);
    assert_true(p.capacity_per_layer == 1ULL << 30);
    const struct medium_electrical_profile *e = &p.electrical;
    assert_true(e->ia1_ma == 0.8 && e->ta1_ns == 30);
    assert_true(e->ia2_ma == 0.5 && e->ta2_ns == 30);
    assert_true(e->ic_ma == 0.25 && e->tc_ns == 300);
    assert_true(e->r_c1_ohm == 5000 && e->r_c2_ohm == 3000);
    assert_true(e->r_a1_ohm == 1e6 && e->r_a2_ohm == 5e5);
    assert_true(e->drift_nu1 == 0.10 && e->drift_nu2 == 0.08);
    assert_true(e->endurance_cycles == 1e8);
    assert_string_equal(p.layer[MEDIUM_LAYER_NEAR].material, "Ge8Sb2Te11");
    assert_string_equal(p.layer[MEDIUM_LAYER_FAR].material, "(Sb70Te30)95Ge5");
    assert_true(p.films[3].thickness_nm == 8 && p.films[11].thickness_nm == 12);
    assert_int_equal(medium_profile_validate(&p, NULL), 0);
}

static void roundtrip(const char *preset)
{
    struct medium_profile p, q;
    struct medium_parse_error e;
    char *buf = malloc(FMT_CAP), *buf2 = malloc(FMT_CAP);
    assert_non_null(buf);
    assert_non_null(buf2);
    assert_int_equal(medium_profile_preset(preset, &p), 0);
    int n = medium_profile_format(&p, buf, FMT_CAP);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(buf));
    int rc = medium_profile_parse(buf, (size_t)n, "canon", &q, &e);
    if (rc)
        fail_msg("%s:%u: %s: %s", e.file, e.line, e.key, e.message);
    assert_profile_equal(&p, &q);
    /* a fixed point: formatting the parsed profile gives the same text */
    assert_int_equal(medium_profile_format(&q, buf2, FMT_CAP), n);
    assert_string_equal(buf, buf2);
    /* too small a buffer */
    assert_int_equal(medium_profile_format(&p, buf2, (size_t)n), -ENOSPC);
    assert_int_equal(medium_profile_format(&p, buf2, (size_t)n + 1), n);
    free(buf);
    free(buf2);
}

static void test_profile_presets_round_trip(void **state)
{
    (void)state;
    roundtrip("bd-re-dl");
    roundtrip("pcm-2l");
    /* canonical text picks the largest exact unit: 381,856 x 64 KiB = 23,866 MiB */
    struct medium_profile p;
    char *buf = malloc(FMT_CAP);
    assert_non_null(buf);
    assert_int_equal(medium_profile_preset("bd-re-dl", &p), 0);
    assert_true(medium_profile_format(&p, buf, FMT_CAP) > 0);
    assert_non_null(strstr(buf, "capacity_per_layer = 23866M\n"));
    assert_non_null(strstr(buf, "resin       75um "));
    assert_non_null(strstr(buf, "PC          1.1mm "));
    assert_non_null(strstr(buf, "film = recording     near        8nm\n"));
    assert_non_null(strstr(buf, "ser0 = 1e-05\n"));
    free(buf);
}

static void test_profile_round_trip_awkward_values(void **state)
{
    (void)state;
    struct medium_profile p, q;
    char *buf = malloc(FMT_CAP);
    assert_non_null(buf);
    assert_int_equal(medium_profile_preset("bd-re-dl", &p), 0);
    p.temperature_c = 1.0 / 3;       /* needs 17 digits */
    p.na = 0.1 + 0.2;                /* 0.30000000000000004 */
    p.films[0].thickness_nm = 75000.000000001;
    p.films[15].thickness_nm = 1.2345678e6;
    p.seed = UINT64_MAX;
    p.capacity_per_layer = (1ULL << 20) + 65536; /* 17 * 64 KiB: no exact M suffix */
    p.model.ser0 = 1.23456789e-7;
    int n = medium_profile_format(&p, buf, FMT_CAP);
    assert_true(n > 0);
    assert_int_equal(medium_profile_parse(buf, (size_t)n, "x", &q, NULL), 0);
    assert_profile_equal(&p, &q);
    free(buf);
}

static void test_profile_inherits_unsaid_keys(void **state)
{
    (void)state;
    struct medium_profile base, p;
    struct medium_parse_error e;
    assert_int_equal(medium_profile_preset("bd-re-dl", &base), 0);
    assert_int_equal(parse_str("[layer.far]\nmaterial = Ag5In5Sb60Te30\n", &p, &e), 0);
    assert_string_equal(p.layer[MEDIUM_LAYER_FAR].material, "Ag5In5Sb60Te30");
    /* the far recording film now carries the new formula; everything else is base */
    assert_string_equal(p.films[11].material, "Ag5In5Sb60Te30");
    snprintf(base.layer[MEDIUM_LAYER_FAR].material, MEDIUM_FORMULA_MAX, "Ag5In5Sb60Te30");
    snprintf(base.films[11].material, MEDIUM_NAME_MAX, "Ag5In5Sb60Te30");
    assert_profile_equal(&base, &p);

    /* base = pcm-2l */
    assert_int_equal(parse_str("[medium]\nname = cell\nbase = pcm-2l\n", &p, &e), 0);
    assert_int_equal(p.mode, MEDIUM_MODE_ELECTRICAL);
    assert_string_equal(p.name, "cell");
    assert_true(p.capacity_per_layer == 1ULL << 30);

    /* an empty text is the default preset */
    assert_int_equal(medium_profile_parse("", 0, "empty", &p, &e), 0);
    assert_int_equal(medium_profile_preset("bd-re-dl", &base), 0);
    assert_profile_equal(&base, &p);
}

static void test_profile_stack_replaces_base(void **state)
{
    (void)state;
    struct medium_profile p;
    struct medium_parse_error e;
    int rc = parse_str("[stack]\n"
                       "film = cover resin 0.1mm 1.6 0\n"
                       "film = recording near 7nm\n"
                       "film = separating resin 25\xc2\xb5m 1.55\n"
                       "film = recording far 6.5nm\n"
                       "film = reflective Ag 0.08um 0.045 2.182\n"
                       "film = substrate PC 1.1mm 1.631 0\n",
                       &p, &e);
    if (rc)
        fail_msg("%u %s %s", e.line, e.key, e.message);
    assert_int_equal(p.film_count, 6);
    assert_true(p.films[0].thickness_nm == 1e5);
    assert_true(p.films[1].thickness_nm == 7 && p.films[1].layer == MEDIUM_LAYER_NEAR);
    assert_string_equal(p.films[1].material, "Ge8Sb2Te11");
    assert_true(p.films[2].thickness_nm == 25000 && p.films[2].k == 0);
    assert_true(p.films[3].thickness_nm == 6.5);
    assert_true(p.films[4].thickness_nm == 80 && p.films[4].k == 2.182);
    assert_true(p.films[5].thickness_nm == 1100000.0); /* "1.1mm" read as 1.1e6 exactly */
}

static void test_profile_values_and_units(void **state)
{
    (void)state;
    struct medium_profile p;
    struct medium_parse_error e;
    /* size suffixes, CRLF, tabs, inline comments, no newline at the end */
    const char *t = "[medium]\r\n"
                    "capacity_per_layer\t=\t64M   # 1024 clusters\r\n"
                    "seed = 18446744073709551615\r\n"
                    "temperature_c = -5.5\r\n"
                    "[production]\n"
                    "sputter_gas = Kr\n"
                    "n2_fraction = 5e-2\n"
                    "[drive]\n"
                    "na = 0.9";
    int rc = parse_str(t, &p, &e);
    if (rc)
        fail_msg("%u %s %s", e.line, e.key, e.message);
    assert_true(p.capacity_per_layer == 64ULL << 20);
    assert_true(p.seed == UINT64_MAX);
    assert_true(p.temperature_c == -5.5);
    assert_string_equal(p.sputter_gas, "Kr");
    assert_true(p.n2_fraction == 0.05);
    assert_true(p.na == 0.9);
    assert_int_equal(parse_str("[medium]\ncapacity_per_layer = 1G\n", &p, &e), 0);
    assert_true(p.capacity_per_layer == 1ULL << 30);
    assert_int_equal(parse_str("[medium]\ncapacity_per_layer = 25025314816\n", &p, &e), 0);
    assert_true(p.capacity_per_layer == 25025314816ULL);
    /* the real layer is the largest (medium.h MEDIUM_MAX_LAYER_BYTES): one cluster more,
     * or 1T, is refused, so no profile sizes tables beyond the real disc */
    assert_int_equal(parse_str("[medium]\ncapacity_per_layer = 25025380352\n", &p, &e),
                     -EINVAL);
    assert_string_equal(e.key, "medium.capacity_per_layer");
    assert_int_equal(parse_str("[medium]\ncapacity_per_layer = 1T\n", &p, &e), -EINVAL);
}

struct err_case {
    const char *text;
    unsigned line;
    const char *key;
    const char *msg; /* substring of the message */
};

static const struct err_case err_cases[] = {
    /* unknown section */
    {"[drive]\nna = 0.85\n[flux]\n", 3, "flux", "unknown section"},
    /* unknown key */
    {"[drive]\nflux_capacitor = 1\n", 2, "drive.flux_capacitor", "wavelength_nm"},
    {"[stack]\nlayer = 1\n", 2, "stack.layer", "film"},
    /* duplicate key, also across a reopened section */
    {"[drive]\nna = 0.85\n\nna = 0.9\n", 4, "drive.na", "line 2"},
    {"[drive]\nna = 0.85\n[model]\n[drive]\nna = 0.9\n", 5, "drive.na", "duplicate"},
    /* bad numbers */
    {"# comment\n[drive]\nwavelength_nm = blue\n", 3, "drive.wavelength_nm", "not a number"},
    {"[drive]\nwavelength_nm = 405nm\n", 2, "drive.wavelength_nm", "not a number"},
    {"[drive]\nwavelength_nm = nan\n", 2, "drive.wavelength_nm", "not a number"},
    {"[drive]\nwavelength_nm = 1e999\n", 2, "drive.wavelength_nm", "not a number"},
    {"[drive]\nwavelength_nm = 0x10\n", 2, "drive.wavelength_nm", "not a number"},
    {"[medium]\nseed = -1\n", 2, "medium.seed", "integer"},
    {"[medium]\nseed = 18446744073709551616\n", 2, "medium.seed", "integer"},
    {"[medium]\ncapacity_per_layer = 64Q\n", 2, "medium.capacity_per_layer", "suffix"},
    {"[medium]\ncapacity_per_layer = 99999999999T\n", 2, "medium.capacity_per_layer", "size"},
    {"[medium]\nmode = magnetic\n", 2, "medium.mode", "optical or electrical"},
    /* missing '=' and other line shapes */
    {"[model]\nser0 1e-5\n", 2, "model", "missing '='"},
    {"[model\n", 1, "", "']'"},
    {"na = 0.85\n", 1, "na", "outside a section"},
    {"[drive]\nna =\n", 2, "drive.na", "empty value"},
    {"[drive]\n= 3\n", 2, "drive", "missing key"},
    /* out of the usable range: the value's line */
    {"[drive]\nna = 2\n", 2, "drive.na", "0.1"},
    {"[drive]\nwavelength_nm = 150\n", 2, "drive.wavelength_nm", "200"},
    {"[drive]\nlinear_velocity_m_s = 0\n", 2, "drive.linear_velocity_m_s", "more than 0"},
    {"[production]\nn2_fraction = 1.5\n", 2, "production.n2_fraction", "1"},
    {"[production]\nn2_fraction = 0.6\no2_fraction = 0.6\n", 3, "production.o2_fraction",
     "at most 1"},
    {"[production]\nsputter_gas = He\n", 2, "production.sputter_gas", "Ar or Kr"},
    {"[medium]\ncapacity_per_layer = 1000000\n", 2, "medium.capacity_per_layer", "64 KiB"},
    {"[medium]\ncapacity_per_layer = 512K\n", 2, "medium.capacity_per_layer", "1M"},
    {"[medium]\nname = a#b\n", 0, "", ""}, /* '#' starts a comment: name "a" is fine */
    {"[model]\nretention_sigma = 0\n", 2, "model.retention_sigma", "more than 0"},
    {"[layer.near]\npeak_power_mw = -1\n", 2, "layer.near.peak_power_mw", "0"},
    {"[layer.far]\nfilm_rate_nm_s = 0\n", 2, "layer.far.film_rate_nm_s", "more than 0"},
    {"[electrical]\nic_ma = 0\n", 2, "electrical.ic_ma", "more than 0"},
    /* materials */
    {"[layer.near]\nmaterial = Xx9Qq2\n", 2, "layer.near.material", "unknown element"},
    {"[layer.far]\n\nmaterial = (Sb70Te30\n", 3, "layer.far.material", "unbalanced"},
    /* base */
    {"[medium]\nbase = dvd-ram\n", 2, "medium.base", "bd-re-dl or pcm-2l"},
    /* stack */
    {"[stack]\nfilm = cover resin 75 1.6 0\n", 2, "stack.film", "unit"},
    {"[stack]\nfilm = lens glass 1mm 1.5\n", 2, "stack.film", "unknown role"},
    {"[stack]\nfilm = cover resin 75um\n", 2, "stack.film", "N"},
    {"[stack]\nfilm = cover resin 75um x 0\n", 2, "stack.film", "bad N"},
    {"[stack]\nfilm = recording middle 8nm\n", 2, "stack.film", "near"},
    {"[stack]\nfilm = recording near 8nm 2.0 3.0\n", 2, "stack.film", "no N K"},
    {"[stack]\nfilm = cover\n", 2, "stack.film", "ROLE MATERIAL THICKNESS"},
    {"[stack]\nfilm = recording far 12nm\nfilm = recording near 8nm\n", 2, "stack.film",
     "before"},
    {"[stack]\nfilm = recording near 8nm\nfilm = recording far 12nm\n"
     "film = recording near 8nm\n", 4, "stack.film", "second recording film"},
    {"[stack]\nfilm = cover resin 75um 1.6\n\nfilm = recording near 8nm\n", 1, "stack.film",
     "far layer"},
    {"[stack]\nfilm = cover resin 0nm 1.6\nfilm = recording near 8nm\n"
     "film = recording far 8nm\n", 2, "stack.film", "thickness"},
    {"[stack]\nfilm = cover resin 1um -1.6\nfilm = recording near 8nm\n"
     "film = recording far 8nm\n", 2, "stack.film", "0 < n"},
    /* binary */
    {"[drive]\nna = 0.\x01" "85\n", 2, "drive", "control character"},
};

static void test_profile_errors_name_line_and_key(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        const struct err_case *c = &err_cases[i];
        struct medium_profile p;
        struct medium_parse_error e;
        memset(&e, 0x5a, sizeof e);
        int rc = parse_str(c->text, &p, &e);
        if (c->line == 0 && !c->key[0]) {
            if (rc != 0)
                fail_msg("case %zu should parse: %u %s %s", i, e.line, e.key, e.message);
            continue;
        }
        if (rc != -EINVAL)
            fail_msg("case %zu: rc %d, expected -EINVAL", i, rc);
        if (e.line != c->line || strcmp(e.key, c->key) || !strstr(e.message, c->msg) ||
            strcmp(e.file, "t.profile"))
            fail_msg("case %zu: got %s:%u key '%s' msg '%s'; expected line %u key '%s' "
                     "msg ~ '%s'", i, e.file, e.line, e.key, e.message, c->line, c->key,
                     c->msg);
    }
}

static void test_profile_nul_and_long_lines(void **state)
{
    (void)state;
    struct medium_profile p;
    struct medium_parse_error e;
    static const char nul_text[] = "[drive]\nna = 0.8\0 5\n";
    assert_int_equal(medium_profile_parse(nul_text, sizeof nul_text - 1, "n", &p, &e), -EINVAL);
    assert_int_equal(e.line, 2);
    assert_non_null(strstr(e.message, "NUL"));
    /* a NUL after a comment mark is part of the comment */
    static const char nul_comment[] = "[drive]\nna = 0.8 # \0\n";
    assert_int_equal(medium_profile_parse(nul_comment, sizeof nul_comment - 1, "n", &p, &e), 0);

    char *big = malloc(5000);
    assert_non_null(big);
    memcpy(big, "[drive]\n", 8);
    memset(big + 8, 'a', 5000 - 8);
    assert_int_equal(medium_profile_parse(big, 5000, "big", &p, &e), -EINVAL);
    assert_int_equal(e.line, 2);
    assert_non_null(strstr(e.message, "longer"));
    free(big);

    /* exactly len bytes, no terminator: the value ends at the buffer's end */
    const char *src = "[drive]\nna = 0.95";
    size_t len = strlen(src);
    char *exact = malloc(len);
    assert_non_null(exact);
    memcpy(exact, src, len);
    assert_int_equal(medium_profile_parse(exact, len, "exact", &p, &e), 0);
    assert_true(p.na == 0.95);
    /* cut mid-value: "na = 0." is a bad number */
    assert_int_equal(medium_profile_parse(exact, len - 2, "exact", &p, &e), -EINVAL);
    free(exact);
}

/* xorshift64*, fixed seed: the fuzz loop replays exactly */
static uint64_t fuzz_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static void test_profile_fuzz_never_crashes(void **state)
{
    (void)state;
    struct medium_profile base, p;
    char *canon = malloc(FMT_CAP), *out = malloc(FMT_CAP);
    assert_non_null(canon);
    assert_non_null(out);
    assert_int_equal(medium_profile_preset("bd-re-dl", &base), 0);
    int n = medium_profile_format(&base, canon, FMT_CAP);
    assert_true(n > 0);
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    unsigned ok = 0, bad = 0;
    for (int iter = 0; iter < 4000; iter++) {
        size_t len = (size_t)n;
        char *t = malloc(len + 64);
        assert_non_null(t);
        memcpy(t, canon, len);
        unsigned muts = 1 + (unsigned)(fuzz_next(&s) % 6);
        for (unsigned m = 0; m < muts && len > 0; m++) {
            size_t at = (size_t)(fuzz_next(&s) % len);
            switch (fuzz_next(&s) % 6) {
            case 0: t[at] = (char)fuzz_next(&s); break;                  /* random byte */
            case 1: t[at] ^= (char)(1u << (fuzz_next(&s) % 8)); break;  /* bit flip */
            case 2: memmove(t + at, t + at + 1, len - at - 1); len--; break; /* delete */
            case 3: len = at; break;                                     /* truncate */
            case 4: t[at] = "=[]#\n .-e0"[fuzz_next(&s) % 10]; break;  /* syntax */
            default:                                                     /* duplicate */
                if (len + 16 <= (size_t)n + 64 - 1 && at + 16 <= len) {
                    memmove(t + at + 16, t + at, len - at);
                    len += 16;
                }
                break;
            }
        }
        /* hand the parser exactly len bytes in their own allocation (ASan sees overreads) */
        char *exact = malloc(len ? len : 1);
        assert_non_null(exact);
        memcpy(exact, t, len);
        struct medium_parse_error e;
        int rc = medium_profile_parse(exact, len, "fuzz", &p, &e);
        if (rc == 0) {
            ok++;
            assert_int_equal(medium_profile_validate(&p, NULL), 0);
            int m = medium_profile_format(&p, out, FMT_CAP);
            assert_true(m > 0);
            struct medium_profile q;
            assert_int_equal(medium_profile_parse(out, (size_t)m, "again", &q, NULL), 0);
            assert_profile_equal(&p, &q);
        } else {
            bad++;
            assert_int_equal(rc, -EINVAL);
            assert_true(e.message[0] != '\0');
            assert_true(memchr(e.message, '\0', sizeof e.message) != NULL);
        }
        free(exact);
        free(t);
    }
    /* both outcomes were exercised */
    assert_true(ok > 50 && bad > 50);

    /* pure random bytes */
    for (int iter = 0; iter < 500; iter++) {
        size_t len = (size_t)(fuzz_next(&s) % 3000);
        unsigned char *r = malloc(len ? len : 1);
        assert_non_null(r);
        for (size_t i = 0; i < len; i++)
            r[i] = (unsigned char)fuzz_next(&s);
        struct medium_parse_error e;
        int rc = medium_profile_parse((const char *)r, len, "random", &p, &e);
        assert_true(rc == 0 || rc == -EINVAL);
        free(r);
    }
    free(canon);
    free(out);
}

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_profile.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_profile_load_preset_or_file(void **state)
{
    (void)state;
    struct medium_profile p;
    struct medium_parse_error e;
    char path[128];
    assert_int_equal(make_tmpdir(NULL), 0);

    assert_int_equal(medium_profile_load("pcm-2l", &p, &e), 0);
    assert_int_equal(p.mode, MEDIUM_MODE_ELECTRICAL);

    snprintf(path, sizeof path, "%s/x.profile", tmpdir);
    const char *text = "[medium]\nname = from-file\n";
    write_file(path, text, strlen(text));
    assert_int_equal(medium_profile_load(path, &p, &e), 0);
    assert_string_equal(p.name, "from-file");

    const char *bad = "[drive]\n\nna = 7\n";
    write_file(path, bad, strlen(bad));
    assert_int_equal(medium_profile_load(path, &p, &e), -EINVAL);
    assert_string_equal(e.file, path);
    assert_int_equal(e.line, 3);
    assert_string_equal(e.key, "drive.na");

    snprintf(path, sizeof path, "%s/missing.profile", tmpdir);
    assert_int_equal(medium_profile_load(path, &p, &e), -ENOENT);
    assert_string_equal(e.file, path);
    assert_int_equal(medium_profile_load("no-such-preset", &p, &e), -ENOENT);
    assert_int_equal(medium_profile_load(tmpdir, &p, &e), -ENOENT); /* a directory */

    /* larger than 1 MiB: refused before parsing */
    size_t big = (1u << 20) + 1;
    char *data = malloc(big);
    assert_non_null(data);
    memset(data, '#', big);
    for (size_t i = 63; i < big; i += 64)
        data[i] = '\n'; /* comment lines of 64 bytes */
    snprintf(path, sizeof path, "%s/big.profile", tmpdir);
    write_file(path, data, big);
    assert_int_equal(medium_profile_load(path, &p, &e), -EINVAL);
    assert_non_null(strstr(e.message, "too large"));
    /* exactly 1 MiB of comment is fine */
    write_file(path, data, big - 1);
    assert_int_equal(medium_profile_load(path, &p, &e), 0);
    free(data);
    unlink(path);
    snprintf(path, sizeof path, "%s/x.profile", tmpdir);
    unlink(path);
    rmdir(tmpdir);
}

static void test_profile_validate_programmatic(void **state)
{
    (void)state;
    struct medium_profile p;
    struct medium_parse_error e;
    assert_int_equal(medium_profile_preset("bd-re-dl", &p), 0);
    p.wavelength_nm = NAN;
    assert_int_equal(medium_profile_validate(&p, &e), -EINVAL);
    assert_string_equal(e.key, "drive.wavelength_nm");
    assert_int_equal(e.line, 0);

    assert_int_equal(medium_profile_preset("bd-re-dl", &p), 0);
    struct medium_film t = p.films[3];
    p.films[3] = p.films[11];
    p.films[11] = t;
    assert_int_equal(medium_profile_validate(&p, &e), -EINVAL);
    assert_string_equal(e.key, "stack.film");

    assert_int_equal(medium_profile_preset("bd-re-dl", &p), 0);
    snprintf(p.layer[MEDIUM_LAYER_NEAR].material, MEDIUM_FORMULA_MAX, "Ge8Sb2Te11(");
    assert_int_equal(medium_profile_validate(&p, &e), -EINVAL);
    assert_string_equal(e.key, "layer.near.material");

    assert_int_equal(medium_profile_preset("bd-re-dl", &p), 0);
    p.film_count = 0;
    assert_int_equal(medium_profile_validate(&p, &e), -EINVAL);

    assert_int_equal(medium_profile_preset("bd-re-dl", &p), 0);
    p.mode = (enum medium_mode)7;
    assert_int_equal(medium_profile_validate(&p, &e), -EINVAL);
    assert_string_equal(e.key, "medium.mode");

    assert_int_equal(medium_profile_preset("bd-re-dl", &p), 0);
    p.name[0] = '\0';
    assert_int_equal(medium_profile_validate(&p, &e), -EINVAL);
    assert_string_equal(e.key, "medium.name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_preset_names),
        cmocka_unit_test(test_profile_bd_re_dl_figures),
        cmocka_unit_test(test_profile_pcm_2l_figures),
        cmocka_unit_test(test_profile_presets_round_trip),
        cmocka_unit_test(test_profile_round_trip_awkward_values),
        cmocka_unit_test(test_profile_inherits_unsaid_keys),
        cmocka_unit_test(test_profile_stack_replaces_base),
        cmocka_unit_test(test_profile_values_and_units),
        cmocka_unit_test(test_profile_errors_name_line_and_key),
        cmocka_unit_test(test_profile_nul_and_long_lines),
        cmocka_unit_test(test_profile_fuzz_never_crashes),
        cmocka_unit_test(test_profile_load_preset_or_file),
        cmocka_unit_test(test_profile_validate_programmatic),
    };
    return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
