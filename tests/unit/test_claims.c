/*
 * test_claims.c — unit tests of medium/claims.c: both presets hold every applicable
 * claim; each claim fails when its parameter leaves the claimed range and holds again at
 * the range's boundary values (the bounds are the patent's, written here independently
 * of claims.c); mode decides which claims apply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "medium_priv.h"

static const char *const all_ids[] = {
    "near.family", "near.a", "near.b", "near.te", "near.m2", "near.m3", "near.c",
    "far.family", "far.x", "far.y", "far.m1", "far.tm_below_near", "near.thickness",
    "far.thickness", "near.transmittance", "cover.thickness", "substrate.thickness",
    "drive.wavelength", "drive.linear_velocity", "drive.na", "production.sputter_gas",
    "near.film_rate", "far.film_rate", "elec.current_order", "elec.pulse_width",
};
#define NIDS (sizeof all_ids / sizeof all_ids[0])

static bool optics_available(void)
{
    struct medium_profile p;
    struct medium_optics o;
    if (medium_profile_preset("bd-re-dl", &p) != 0)
        return false;
    return medium_optics_compute(&p, &o) != -ENOSYS;
}

static struct medium_claim find(const struct medium_profile *p, const char *id)
{
    struct medium_claim c[MEDIUM_MAX_CLAIMS];
    int n = medium_claims_check(p, c, MEDIUM_MAX_CLAIMS);
    assert_true(n > 0);
    for (int i = 0; i < n; i++)
        if (!strcmp(c[i].id, id))
            return c[i];
    fail_msg("claim %s not listed", id);
    return c[0];
}

/* The claim must apply and hold (want = true) or apply and fail (want = false). */
static void expect(const struct medium_profile *p, const char *id, bool want)
{
    struct medium_claim c = find(p, id);
    if (!c.applicable)
        fail_msg("%s not applicable", id);
    if (c.pass != want)
        fail_msg("%s: %s with value '%s' (allowed %s)", id, c.pass ? "holds" : "fails",
                 c.value, c.range);
}

static void preset(const char *name, struct medium_profile *p)
{
    assert_int_equal(medium_profile_preset(name, p), 0);
}

static void set_material(struct medium_profile *p, int layer, const char *formula)
{
    snprintf(p->layer[layer].material, MEDIUM_FORMULA_MAX, "%s", formula);
}

static void check_preset_passes(const char *name)
{
    struct medium_profile p;
    struct medium_claim c[MEDIUM_MAX_CLAIMS];
    preset(name, &p);
    int n = medium_claims_check(&p, c, MEDIUM_MAX_CLAIMS);
    assert_int_equal(n, (int)NIDS);
    for (int i = 0; i < n; i++) {
        assert_string_equal(c[i].id, all_ids[i]);
        assert_true(c[i].text[0] && c[i].range[0] && c[i].value[0]);
        if (!c[i].applicable)
            continue;
        if (!c[i].pass)
            fail_msg("%s: %s fails with value '%s' (allowed %s)", name, c[i].id, c[i].value,
                     c[i].range);
    }
}

static void test_claims_bd_re_dl_holds_every_claim(void **state)
{
    (void)state;
    check_preset_passes("bd-re-dl");
}

static void test_claims_pcm_2l_holds_every_claim(void **state)
{
    (void)state;
    check_preset_passes("pcm-2l");
}

static void test_claims_mode_decides_applicability(void **state)
{
    (void)state;
    static const char *const optical_only[] = {"near.transmittance", "cover.thickness",
                                               "substrate.thickness", "drive.wavelength",
                                               "drive.linear_velocity", "drive.na"};
    static const char *const electrical_only[] = {"elec.current_order", "elec.pulse_width"};
    struct medium_profile o, e;
    preset("bd-re-dl", &o);
    preset("pcm-2l", &e);
    for (size_t i = 0; i < sizeof optical_only / sizeof optical_only[0]; i++) {
        assert_true(find(&o, optical_only[i]).applicable);
        assert_false(find(&e, optical_only[i]).applicable);
    }
    for (size_t i = 0; i < sizeof electrical_only / sizeof electrical_only[0]; i++) {
        assert_false(find(&o, electrical_only[i]).applicable);
        assert_true(find(&e, electrical_only[i]).applicable);
    }
    assert_true(find(&e, "far.thickness").applicable);
    /* an out-of-range optical value does not matter in electrical mode */
    e.wavelength_nm = 650;
    assert_false(find(&e, "drive.wavelength").applicable);
}

static void test_claims_small_buffer(void **state)
{
    (void)state;
    struct medium_profile p;
    struct medium_claim c[4];
    preset("bd-re-dl", &p);
    assert_int_equal(medium_claims_check(&p, c, 4), -ENOSPC);
    assert_int_equal(medium_claims_check(&p, NULL, 0), -ENOSPC);
}

/* ---- near layer composition: Ge_a Sb_b Te_(3+a), 0<=a<=10, 1.5<=b<=4 ---- */

static void near_formula(const char *formula, const char *id, bool want)
{
    struct medium_profile p;
    preset("bd-re-dl", &p);
    set_material(&p, MEDIUM_LAYER_NEAR, formula);
    expect(&p, id, want);
}

static void test_claims_near_family(void **state)
{
    (void)state;
    near_formula("(Sb70Te30)95Ge5", "near.family", false);
    near_formula("Ag5In5Sb60Te30", "near.family", false);
    near_formula("Ge15Sb85", "near.family", false);
    near_formula("Ge8Sb2Te11", "near.family", true);
    near_formula("(Ge-Sn)8Sb2Te11", "near.family", true);
}

static void test_claims_near_a(void **state)
{
    (void)state;
    near_formula("Ge11Sb2Te14", "near.a", false);
    near_formula("Ge10.5Sb2Te13.5", "near.a", false);
    near_formula("Ge10Sb2Te13", "near.a", true); /* a = 10 */
    near_formula("Sb2Te3", "near.a", true);      /* a = 0 */
    near_formula("Ge0Sb2Te3", "near.a", true);
}

static void test_claims_near_b(void **state)
{
    (void)state;
    near_formula("Ge8Sb1Te11", "near.b", false);
    near_formula("Ge8Sb4.5Te11", "near.b", false);
    near_formula("Ge8Sb1.5Te11", "near.b", true);
    near_formula("Ge8Sb4Te11", "near.b", true);
}

static void test_claims_near_te(void **state)
{
    (void)state;
    near_formula("Ge8Sb2Te12", "near.te", false);
    near_formula("Ge2Sb2Te6", "near.te", false);
    near_formula("Ge2Sb2Te5", "near.te", true);
    near_formula("(Ge2Sb2Te5)95Bi5", "near.te", true);  /* additive leaves Te = 3+a */
    near_formula("(Ge-Sn)4Sb2Te7", "near.te", true);    /* a counts Ge + M2 */
    near_formula("GeTe4", "near.te", true);             /* b = 0: Te from the Ge site */
}

static void test_claims_near_m2(void **state)
{
    (void)state;
    near_formula("(Ge-Cu)8Sb2Te11", "near.m2", false);
    near_formula("(Ge-Sn)8Sb2Te11", "near.m2", true);
    near_formula("(Ge-Pb)8Sb2Te11", "near.m2", true);
    near_formula("(Ge-Si)8Sb2Te11", "near.m2", true);
    near_formula("Ge8Sb2Te11", "near.m2", true); /* none */
}

static void test_claims_near_m3(void **state)
{
    (void)state;
    near_formula("(Ge8Sb2Te11)95Cu5", "near.m3", false);
    near_formula("(Ge8Sb2Te11)95Te5", "near.m3", false);
    static const char *const ok[] = {"Bi", "In", "Sn", "Ag", "Au", "Se", "Ga", "Al", "Mn", "N"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char f[48];
        snprintf(f, sizeof f, "(Ge8Sb2Te11)95%s5", ok[i]);
        near_formula(f, "near.m3", true);
    }
}

static void test_claims_near_c(void **state)
{
    (void)state;
    near_formula("(Ge8Sb2Te11)79Bi21", "near.c", false);
    near_formula("(Ge8Sb2Te11)100Bi0", "near.c", false); /* 0 < c */
    near_formula("(Ge8Sb2Te11)80Bi20", "near.c", true);  /* c = 20 */
    near_formula("(Ge8Sb2Te11)99.9Bi0.1", "near.c", true);
}

/* ---- far layer: (Sb_x Te_(100-x))_(100-y) M1_y, 50<=x<=95, 0<y<=20 ---- */

static void far_formula(const char *formula, const char *id, bool want)
{
    struct medium_profile p;
    preset("bd-re-dl", &p);
    set_material(&p, MEDIUM_LAYER_FAR, formula);
    expect(&p, id, want);
}

static void test_claims_far_family(void **state)
{
    (void)state;
    far_formula("Ge2Sb2Te5", "far.family", false);
    far_formula("Ge15Sb85", "far.family", false);
    far_formula("Ag5In5Sb60Te30", "far.family", true);
}

static void test_claims_far_x(void **state)
{
    (void)state;
    far_formula("(Sb40Te60)95Ge5", "far.x", false);
    far_formula("(Sb49Te51)95Ge5", "far.x", false);
    far_formula("(Sb96Te4)95Ge5", "far.x", false);
    far_formula("(Sb50Te50)95Ge5", "far.x", true);
    far_formula("(Sb95Te5)95Ge5", "far.x", true);
    /* flat form normalised: Sb 47.5 Te 47.5 Ge 5 -> x = 50 */
    far_formula("Ge5Sb47.5Te47.5", "far.x", true);
}

static void test_claims_far_y(void **state)
{
    (void)state;
    far_formula("(Sb70Te30)79Ge21", "far.y", false);
    far_formula("Sb70Te30", "far.y", false); /* y = 0 */
    far_formula("(Sb70Te30)80Ge20", "far.y", true);
    far_formula("(Sb70Te30)99.5Ge0.5", "far.y", true);
}

static void test_claims_far_m1(void **state)
{
    (void)state;
    far_formula("(Sb70Te30)95Cu5", "far.m1", false);
    far_formula("Ag5Cu5Sb60Te30", "far.m1", false);
    static const char *const ok[] = {"Ag", "In", "Ge", "Sn", "Se", "Bi", "Au", "Mn"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char f[48];
        snprintf(f, sizeof f, "(Sb70Te30)95%s5", ok[i]);
        far_formula(f, "far.m1", true);
    }
}

static void test_claims_far_melts_below_near(void **state)
{
    (void)state;
    struct medium_profile p;
    struct medium_material near, far;
    preset("bd-re-dl", &p);
    /* a far layer that melts above a GeSb2Te4 near layer (both inside their families) */
    set_material(&p, MEDIUM_LAYER_NEAR, "GeSb2Te4");
    set_material(&p, MEDIUM_LAYER_FAR, "(Sb95Te5)80Ge20");
    assert_int_equal(medium_material_derive("GeSb2Te4", 405, 0, 0, &near, NULL, 0), 0);
    assert_int_equal(medium_material_derive("(Sb95Te5)80Ge20", 405, 0, 0, &far, NULL, 0), 0);
    assert_true(far.tm_k >= near.tm_k);
    expect(&p, "far.tm_below_near", false);
    /* swapping roles of the same materials is no way out: GST-type in the far layer */
    set_material(&p, MEDIUM_LAYER_NEAR, "Ge8Sb2Te11");
    set_material(&p, MEDIUM_LAYER_FAR, "GeTe");
    expect(&p, "far.tm_below_near", false);
    set_material(&p, MEDIUM_LAYER_FAR, "Ag5In5Sb60Te30");
    expect(&p, "far.tm_below_near", true);
}

/* ---- thicknesses: near <= 9 nm, far 6-15 nm, cover 10-800 um, substrate 400-1300 um ---- */

static void film_thickness(int film, double nm, const char *id, bool want)
{
    struct medium_profile p;
    preset("bd-re-dl", &p);
    p.films[film].thickness_nm = nm;
    expect(&p, id, want);
}

static void test_claims_near_thickness(void **state)
{
    (void)state;
    film_thickness(3, 9.5, "near.thickness", false);
    film_thickness(3, 10, "near.thickness", false);
    film_thickness(3, 9, "near.thickness", true);
    film_thickness(3, 0.5, "near.thickness", true);
}

static void test_claims_far_thickness(void **state)
{
    (void)state;
    film_thickness(11, 5.9, "far.thickness", false);
    film_thickness(11, 15.1, "far.thickness", false);
    film_thickness(11, 6, "far.thickness", true);
    film_thickness(11, 15, "far.thickness", true);
}

static void test_claims_cover_thickness(void **state)
{
    (void)state;
    film_thickness(0, 9.9e3, "cover.thickness", false);
    film_thickness(0, 801e3, "cover.thickness", false);
    film_thickness(0, 10e3, "cover.thickness", true);
    film_thickness(0, 800e3, "cover.thickness", true);
}

static void test_claims_substrate_thickness(void **state)
{
    (void)state;
    film_thickness(15, 399e3, "substrate.thickness", false);
    film_thickness(15, 1301e3, "substrate.thickness", false);
    film_thickness(15, 400e3, "substrate.thickness", true);
    film_thickness(15, 1300e3, "substrate.thickness", true);
}

static void test_claims_near_transmittance(void **state)
{
    (void)state;
    /* a 40 nm near layer absorbs most of the light: (Tc+Ta)/2 far below 0.40 (with k ~2.5
     * at 405 nm, exp(-4 pi k d / lambda) ~ 0.04) */
    film_thickness(3, 40, "near.transmittance", false);
    assert_true(optics_available());
    struct medium_profile p;
    struct medium_optics o;
    preset("bd-re-dl", &p);
    expect(&p, "near.transmittance", true);
    assert_int_equal(medium_optics_compute(&p, &o), 0);
    /* physics.md §2.3 / §7.2: (Tc+Ta)/2 = 0.520 for this stack (DER) */
    assert_true(fabs(o.near_transmittance_avg - 0.52) < 0.01);
    /* thinner near layer transmits more: still passes */
    film_thickness(3, 6, "near.transmittance", true);
}

/* ---- drive: 390-430 nm, 3-30 m/s, NA 0.5-1.1 ---- */

static void test_claims_wavelength(void **state)
{
    (void)state;
    static const struct {
        double v;
        bool want;
    } cases[] = {{389, false}, {431, false}, {650, false}, {390, true}, {430, true}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct medium_profile p;
        preset("bd-re-dl", &p);
        p.wavelength_nm = cases[i].v;
        expect(&p, "drive.wavelength", cases[i].want);
    }
}

static void test_claims_linear_velocity(void **state)
{
    (void)state;
    static const struct {
        double v;
        bool want;
    } cases[] = {{2.9, false}, {30.1, false}, {3, true}, {30, true}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct medium_profile p;
        preset("bd-re-dl", &p);
        p.linear_velocity_m_s = cases[i].v;
        expect(&p, "drive.linear_velocity", cases[i].want);
    }
}

static void test_claims_na(void **state)
{
    (void)state;
    static const struct {
        double v;
        bool want;
    } cases[] = {{0.49, false}, {1.11, false}, {0.5, true}, {1.1, true}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct medium_profile p;
        preset("bd-re-dl", &p);
        p.na = cases[i].v;
        expect(&p, "drive.na", cases[i].want);
    }
}

/* ---- production: Ar or Kr; film rates 0.1-3 nm/s near, 0.3-10 nm/s far ---- */

static void test_claims_sputter_gas(void **state)
{
    (void)state;
    static const struct {
        const char *gas;
        bool want;
    } cases[] = {{"Xe", false}, {"Ne", false}, {"ar", false}, {"Ar", true}, {"Kr", true}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct medium_profile p;
        preset("bd-re-dl", &p);
        snprintf(p.sputter_gas, sizeof p.sputter_gas, "%s", cases[i].gas);
        expect(&p, "production.sputter_gas", cases[i].want);
    }
}

static void film_rate(int layer, double v, const char *id, bool want)
{
    struct medium_profile p;
    preset("bd-re-dl", &p);
    p.layer[layer].film_rate_nm_s = v;
    expect(&p, id, want);
}

static void test_claims_near_film_rate(void **state)
{
    (void)state;
    film_rate(MEDIUM_LAYER_NEAR, 0.09, "near.film_rate", false);
    film_rate(MEDIUM_LAYER_NEAR, 3.1, "near.film_rate", false);
    film_rate(MEDIUM_LAYER_NEAR, 0.1, "near.film_rate", true);
    film_rate(MEDIUM_LAYER_NEAR, 3, "near.film_rate", true);
}

static void test_claims_far_film_rate(void **state)
{
    (void)state;
    film_rate(MEDIUM_LAYER_FAR, 0.29, "far.film_rate", false);
    film_rate(MEDIUM_LAYER_FAR, 10.1, "far.film_rate", false);
    film_rate(MEDIUM_LAYER_FAR, 0.3, "far.film_rate", true);
    film_rate(MEDIUM_LAYER_FAR, 10, "far.film_rate", true);
}

/* ---- electrical: Ic < Ia2 < Ia1, ta1 <= tc or ta2 <= tc ---- */

static void test_claims_current_order(void **state)
{
    (void)state;
    struct medium_profile p;
    preset("pcm-2l", &p);
    p.electrical.ic_ma = 0.5; /* Ic = Ia2 */
    expect(&p, "elec.current_order", false);
    preset("pcm-2l", &p);
    p.electrical.ia2_ma = 0.9; /* Ia2 > Ia1 */
    expect(&p, "elec.current_order", false);
    preset("pcm-2l", &p);
    p.electrical.ia2_ma = 0.8; /* Ia2 = Ia1 */
    expect(&p, "elec.current_order", false);
    preset("pcm-2l", &p);
    p.electrical.ic_ma = 0.49; /* just below Ia2 */
    expect(&p, "elec.current_order", true);
    preset("pcm-2l", &p);
    p.electrical.ia2_ma = 0.79; /* just below Ia1 */
    expect(&p, "elec.current_order", true);
}

static void test_claims_pulse_width(void **state)
{
    (void)state;
    struct medium_profile p;
    preset("pcm-2l", &p);
    p.electrical.ta1_ns = 301;
    p.electrical.ta2_ns = 301;
    expect(&p, "elec.pulse_width", false);
    p.electrical.ta1_ns = 300; /* ta1 = tc */
    expect(&p, "elec.pulse_width", true);
    p.electrical.ta1_ns = 301;
    p.electrical.ta2_ns = 300; /* ta2 = tc */
    expect(&p, "elec.pulse_width", true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claims_bd_re_dl_holds_every_claim),
        cmocka_unit_test(test_claims_pcm_2l_holds_every_claim),
        cmocka_unit_test(test_claims_mode_decides_applicability),
        cmocka_unit_test(test_claims_small_buffer),
        cmocka_unit_test(test_claims_near_family),
        cmocka_unit_test(test_claims_near_a),
        cmocka_unit_test(test_claims_near_b),
        cmocka_unit_test(test_claims_near_te),
        cmocka_unit_test(test_claims_near_m2),
        cmocka_unit_test(test_claims_near_m3),
        cmocka_unit_test(test_claims_near_c),
        cmocka_unit_test(test_claims_far_family),
        cmocka_unit_test(test_claims_far_x),
        cmocka_unit_test(test_claims_far_y),
        cmocka_unit_test(test_claims_far_m1),
        cmocka_unit_test(test_claims_far_melts_below_near),
        cmocka_unit_test(test_claims_near_thickness),
        cmocka_unit_test(test_claims_far_thickness),
        cmocka_unit_test(test_claims_cover_thickness),
        cmocka_unit_test(test_claims_substrate_thickness),
        cmocka_unit_test(test_claims_near_transmittance),
        cmocka_unit_test(test_claims_wavelength),
        cmocka_unit_test(test_claims_linear_velocity),
        cmocka_unit_test(test_claims_na),
        cmocka_unit_test(test_claims_sputter_gas),
        cmocka_unit_test(test_claims_near_film_rate),
        cmocka_unit_test(test_claims_far_film_rate),
        cmocka_unit_test(test_claims_current_order),
        cmocka_unit_test(test_claims_pulse_width),
    };
    return cmocka_run_group_tests_name("claims", tests, NULL, NULL);
}
