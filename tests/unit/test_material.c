/*
 * test_material.c — unit tests of medium/material.c: every formula form the claims
 * write parses into the right family, parameters and atomic percents (computed here by
 * hand), junk is rejected with a reason, the preset materials give the physics.md §7.3
 * figures, dopants from the sputtering gas move Tx and Ea the way §1.4 says.
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

#define assert_near(a, b, tol)                                                               \
    do {                                                                                     \
        double a_ = (a), b_ = (b);                                                           \
        if (!(fabs(a_ - b_) <= (tol)))                                                       \
            fail_msg("%s = %.12g, expected %.12g +- %g", #a, a_, b_, (double)(tol));         \
    } while (0)

static double pct(const struct medium_material *m, const char *sym)
{
    for (unsigned i = 0; i < m->element_count; i++)
        if (!strcmp(m->elements[i].symbol, sym))
            return m->elements[i].atomic_percent;
    return 0;
}

static void derive_ok(const char *formula, struct medium_material *m)
{
    char why[160] = "";
    int rc = medium_material_derive(formula, 405, 0, 0, m, why, sizeof why);
    if (rc != 0)
        fail_msg("%s: rc %d (%s)", formula, rc, why);
}

static void test_material_parses_gesbte_compounds(void **state)
{
    (void)state;
    struct medium_material m;

    derive_ok("Ge8Sb2Te11", &m);
    assert_int_equal(m.family, MEDIUM_FAMILY_GESBTE);
    assert_near(m.ge_a, 8, 0);
    assert_near(m.sb_b, 2, 0);
    assert_near(m.m3_c, 0, 0);
    assert_string_equal(m.m2, "");
    assert_string_equal(m.m3, "");
    assert_int_equal(m.element_count, 3);
    assert_near(pct(&m, "Ge"), 100.0 * 8 / 21, 1e-9); /* 38.095 */
    assert_near(pct(&m, "Sb"), 100.0 * 2 / 21, 1e-9);
    assert_near(pct(&m, "Te"), 100.0 * 11 / 21, 1e-9);

    derive_ok("Ge2Sb2Te5", &m);
    assert_int_equal(m.family, MEDIUM_FAMILY_GESBTE);
    assert_near(m.ge_a, 2, 0);
    assert_near(m.sb_b, 2, 0);
    assert_near(pct(&m, "Te"), 55.5555555556, 1e-8);

    derive_ok("GeSb2Te4", &m);
    assert_int_equal(m.family, MEDIUM_FAMILY_GESBTE);
    assert_near(m.ge_a, 1, 0);
    assert_near(m.sb_b, 2, 0);
    assert_near(pct(&m, "Ge"), 14.2857142857, 1e-8);
    assert_near(pct(&m, "Sb"), 28.5714285714, 1e-8);

    /* a = 0 on the GeTe-Sb2Te3 line: Sb2Te3 = Ge0 Sb2 Te3 */
    derive_ok("Sb2Te3", &m);
    assert_int_equal(m.family, MEDIUM_FAMILY_GESBTE);
    assert_near(m.ge_a, 0, 0);
    assert_near(m.sb_b, 2, 0);
}

static void test_material_parses_site_sharing(void **state)
{
    (void)state;
    struct medium_material m;

    /* equal split: (Ge-Sn)4 = Ge2 Sn2, total 4 + 2 + 7 = 13 */
    derive_ok("(Ge-Sn)4Sb2Te7", &m);
    assert_int_equal(m.family, MEDIUM_FAMILY_GESBTE);
    assert_near(m.ge_a, 4, 0);
    assert_near(m.sb_b, 2, 0);
    assert_string_equal(m.m2, "Sn");
    assert_near(pct(&m, "Ge"), 200.0 / 13, 1e-9);
    assert_near(pct(&m, "Sn"), 200.0 / 13, 1e-9);
    assert_near(pct(&m, "Sb"), 200.0 / 13, 1e-9);
    assert_near(pct(&m, "Te"), 700.0 / 13, 1e-9);

    /* weighted split: (Ge3-Sn1)4 = Ge3 Sn1 */
    derive_ok("(Ge3-Sn1)4Sb2Te7", &m);
    assert_near(m.ge_a, 4, 0);
    assert_near(pct(&m, "Ge"), 300.0 / 13, 1e-9);
    assert_near(pct(&m, "Sn"), 100.0 / 13, 1e-9);

    /* a missing weight counts as 1: (Ge3-Sn)4 is the same */
    derive_ok("(Ge3-Sn)4Sb2Te7", &m);
    assert_near(pct(&m, "Sn"), 100.0 / 13, 1e-9);
}

static void test_material_parses_additive_forms(void **state)
{
    (void)state;
    struct medium_material m;

    /* (Ge2Sb2Te5)95Bi5: 95 at.% GST, 5 at.% Bi */
    derive_ok("(Ge2Sb2Te5)95Bi5", &m);
    assert_int_equal(m.family, MEDIUM_FAMILY_GESBTE);
    assert_near(m.ge_a, 2, 0);
    assert_near(m.sb_b, 2, 0);
    assert_near(m.m3_c, 5, 0);
    assert_string_equal(m.m3, "Bi");
    assert_near(pct(&m, "Ge"), 95.0 * 2 / 9, 1e-9);
    assert_near(pct(&m, "Te"), 95.0 * 5 / 9, 1e-9);
    assert_near(pct(&m, "Bi"), 5, 1e-12);

    /* (Sb70Te30)95Ge5: x = 70, y = 5, M1 = Ge; Sb 66.5, Te 28.5, Ge 5 at.% */
    derive_ok("(Sb70Te30)95Ge5", &m);
    assert_int_equal(m.family, MEDIUM_FAMILY_SBTE);
    assert_near(m.sbte_x, 70, 1e-12);
    assert_near(m.sbte_y, 5, 1e-12);
    assert_int_equal(m.m1_count, 1);
    assert_string_equal(m.m1[0], "Ge");
    assert_near(pct(&m, "Sb"), 66.5, 1e-9);
    assert_near(pct(&m, "Te"), 28.5, 1e-9);
    assert_near(pct(&m, "Ge"), 5, 1e-12);

    /* N written as M3 */
    derive_ok("(Ge2Sb2Te5)95N5", &m);
    assert_int_equal(m.family, MEDIUM_FAMILY_GESBTE);
    assert_string_equal(m.m3, "N");
}

static void test_material_parses_flat_sbte(void **state)
{
    (void)state;
    struct medium_material m;

    /* AIST: x = 100*60/90 = 66.67, y = 10, M1 = Ag, In */
    derive_ok("Ag5In5Sb60Te30", &m);
    assert_int_equal(m.family, MEDIUM_FAMILY_SBTE);
    assert_near(m.sbte_x, 200.0 / 3, 1e-9);
    assert_near(m.sbte_y, 10, 1e-9);
    assert_int_equal(m.m1_count, 2);
    assert_string_equal(m.m1[0], "Ag");
    assert_string_equal(m.m1[1], "In");
    assert_near(pct(&m, "Sb"), 60, 1e-9);
    assert_near(pct(&m, "Ag"), 5, 1e-9);

    /* decimals */
    derive_ok("Sb69.5Te30.5", &m);
    assert_int_equal(m.family, MEDIUM_FAMILY_SBTE);
    assert_near(m.sbte_x, 69.5, 1e-12);
    assert_near(m.sbte_y, 0, 0);
    assert_near(pct(&m, "Te"), 30.5, 1e-9);

    /* the flat form of the far preset normalises to the same x, y */
    derive_ok("Ge5Sb66.5Te28.5", &m);
    assert_int_equal(m.family, MEDIUM_FAMILY_SBTE);
    assert_near(m.sbte_x, 70, 1e-9);
    assert_near(m.sbte_y, 5, 1e-9);

    /* percent form of a Te-rich SbTe stays SbTe (x = 40) */
    derive_ok("(Sb40Te60)95Ge5", &m);
    assert_int_equal(m.family, MEDIUM_FAMILY_SBTE);
    assert_near(m.sbte_x, 40, 1e-12);
}

static void test_material_formula_parse_direct(void **state)
{
    (void)state;
    struct material_formula f;
    char why[128];
    assert_int_equal(material_formula_parse("(Ge-Pb)6Sb3Te9", &f, why, sizeof why), 0);
    assert_int_equal(f.family, MEDIUM_FAMILY_GESBTE);
    assert_near(f.a, 6, 0);
    assert_near(f.b, 3, 0);
    assert_string_equal(f.m2, "Pb");
    /* four levels of parentheses are allowed (five are not: see rejects_junk) */
    assert_int_equal(material_formula_parse("((((Ge2Sb2Te5))))", &f, why, sizeof why), 0);
    assert_int_equal(f.family, MEDIUM_FAMILY_GESBTE);
    /* spaces between terms are ignored */
    assert_int_equal(material_formula_parse("Ag5 In5 Sb60 Te30", &f, why, sizeof why), 0);
    assert_int_equal(f.family, MEDIUM_FAMILY_SBTE);
    /* nested groups are normalised level by level: ((GeTe)50(Sb2Te3)50)90Bi10 */
    assert_int_equal(material_formula_parse("((GeTe)50(Sb2Te3)50)90Bi10", &f, why, sizeof why),
                     0);
    /* GeTe half: Ge 25 Te 25; Sb2Te3 half: Sb 20 Te 30; times 0.9 */
    assert_near(f.elements[0].atomic_percent, 22.5, 1e-9);
    assert_string_equal(f.elements[0].symbol, "Ge");
}

static void test_material_rejects_junk(void **state)
{
    (void)state;
    static const struct {
        const char *formula, *reason;
    } cases[] = {
        {"Xx9Qq2", "unknown element"},
        {"Ge8Sb2Qq11", "unknown element"},
        {"(Ge2Sb2Te5", "unbalanced"},
        {"Ge2Sb2Te5)", "unbalanced"},
        {"()", "empty group"},
        {"Ge()2Te", "empty group"},
        {"(Ge-)4Sb2Te7", "empty member"},
        {"(-Sn)4Sb2Te7", "empty member"},
        {"Ge0Sb0Te0", "zero"},
        {"(Ge0-Sn0)4", "zero"},
        {"Ge2Sb2Te5!", "unexpected '!'"},
        {"Ge2Sb2Te5 junk", "expected an element symbol"},
        {"(((((Ge2Sb2Te5)))))", "nested"},
        {"Ge99999Te1", "absurdly large"},
        {"Ge1234567890123Te", "too long"},
        {"", "empty formula"},
        {"   ", "empty formula"},
        {"Ge2.Te", "digits after"},
        {"Ge.5Te", "start with a digit"},
        {"ge2sb2te5", "expected an element symbol"},
        {"HHeLiBeBCNOFNeNaMgAlSi", "more than 12"},
        {"Ge1Sb1Te1Ge1Sb1Te1Ge1Sb1Te1Ge1Sb1Te1Ge1Sb1Te1Ge1Sb1Te1Ge1Sb1Te1X", "longer than"},
        {"Ge\xc2\xb5Te", "unexpected byte"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct medium_material m;
        char why[160] = "";
        int rc = medium_material_derive(cases[i].formula, 405, 0, 0, &m, why, sizeof why);
        if (rc != -EINVAL)
            fail_msg("'%s' accepted (rc %d)", cases[i].formula, rc);
        if (!strstr(why, cases[i].reason))
            fail_msg("'%s': reason '%s' lacks '%s'", cases[i].formula, why, cases[i].reason);
    }
    /* why may be NULL */
    struct medium_material m;
    assert_int_equal(medium_material_derive("Qq", 405, 0, 0, &m, NULL, 0), -EINVAL);
}

/* physics.md §7.3, REC1 near: Tm 960 K, Tg 480 K, Tx 180 C, Ea 2.8 eV, 10-year 110 C,
 * nucleation-dominated, CET 30-60 ns, N0 3,000, beta 2.5, rho_a 10, rho_c 5e-3,
 * rho c_p 1.25 MJ/m3K; optics GST-225 proxy at 405 nm [S1] (§7.2). */
static void test_material_near_preset_figures(void **state)
{
    (void)state;
    struct medium_material m;
    derive_ok("Ge8Sb2Te11", &m);
    assert_near(m.tm_k, 960, 1e-9);
    assert_near(m.tg_k, 480, 1e-9);
    assert_near(m.tx_k, 180 + 273.15, 1e-9);
    assert_near(m.ea_ev, 2.8, 1e-12);
    assert_near(m.t10_k, 110 + 273.15, 1e-9);
    assert_int_equal(m.mechanism, MEDIUM_NUCLEATION_DOMINATED);
    assert_true(m.cet_ns >= 30 && m.cet_ns <= 60);
    assert_near(m.dow_n0_cycles, 3000, 1e-9);
    assert_near(m.dow_beta, 2.5, 1e-12);
    assert_near(m.rho_a_ohm_m, 10, 1e-9);
    assert_near(m.rho_c_ohm_m, 5e-3, 1e-12);
    assert_near(m.rho_cp_j_m3k, 1.25e6, 1e-3);
    assert_near(m.n_c, 2.076, 1e-12);
    assert_near(m.k_c, 2.971, 1e-12);
    assert_near(m.n_a, 2.816, 1e-12);
    assert_near(m.k_a, 2.191, 1e-12);
    /* Richards' rule from GST's 625 MJ/m3 at 900 K [S7] */
    assert_near(m.hf_j_m3, 625e6 * 960 / 900, 1);
}

/* physics.md §7.3, REC2 far: Tm 823 K, Tg 400 K, Tx 165 C, Ea 2.5 eV, 10-year 75 C,
 * growth-dominated, u_max ~5 m/s, N0 1,000, beta 2.5, rho_a 0.5, rho_c 2e-4,
 * rho c_p 1.3 MJ/m3K; optics SbTe EST c 1.5+3.3i, a 2.5+2.9i (§1.3). */
static void test_material_far_preset_figures(void **state)
{
    (void)state;
    struct medium_material m;
    derive_ok("(Sb70Te30)95Ge5", &m);
    assert_near(m.tm_k, 823, 1e-9);
    assert_near(m.tg_k, 400, 1e-9);
    assert_near(m.tx_k, 165 + 273.15, 1e-9);
    assert_near(m.ea_ev, 2.5, 1e-12);
    assert_near(m.t10_k, 75 + 273.15, 1e-9);
    assert_int_equal(m.mechanism, MEDIUM_GROWTH_DOMINATED);
    assert_near(m.growth_m_s, 5, 1e-12);
    /* CET: half a 2T mark (149 nm / 2, §3.1) at 5 m/s = 14.9 ns */
    assert_near(m.cet_ns, 14.9, 1e-9);
    assert_near(m.dow_n0_cycles, 1000, 1e-9);
    assert_near(m.dow_beta, 2.5, 1e-12);
    assert_near(m.rho_a_ohm_m, 0.5, 1e-12);
    assert_near(m.rho_c_ohm_m, 2e-4, 1e-15);
    assert_near(m.rho_cp_j_m3k, 1.3e6, 1e-3);
    assert_near(m.n_c, 1.5, 0);
    assert_near(m.k_c, 3.3, 0);
    assert_near(m.n_a, 2.5, 0);
    assert_near(m.k_a, 2.9, 0);
}

static void test_material_reference_compositions(void **state)
{
    (void)state;
    struct medium_material m;
    /* GST-225: Tm 900 K [S5], Tx 163 C at 10 C/min [S19], Ea 2.45 eV [S7] */
    derive_ok("Ge2Sb2Te5", &m);
    assert_near(m.tm_k, 900, 1e-9);
    assert_near(m.tx_k, 163 + 273.15, 1e-9);
    assert_near(m.ea_ev, 2.45, 1e-12);
    /* GeSb2Te4, §7.3 alternative near layer: Tm 885 K, Tx 145 C, Ea 2.3 eV, 10-y 80 C */
    derive_ok("GeSb2Te4", &m);
    assert_near(m.tm_k, 885, 1e-9);
    assert_near(m.tx_k, 145 + 273.15, 1e-9);
    assert_near(m.ea_ev, 2.3, 1e-12);
    assert_near(m.t10_k, 80 + 273.15, 1e-9);
    /* AIST, §7.3 alternative far layer: Tm 815-825 K, Tx ~180 C, Ea ~2.9 eV, 10-y ~90 C,
     * growth-dominated, u_max ~5 m/s, N0 300-1,000 */
    derive_ok("Ag5In5Sb60Te30", &m);
    assert_true(m.tm_k >= 815 && m.tm_k <= 825);
    assert_near(m.tx_k - 273.15, 180, 5);
    assert_near(m.ea_ev, 2.9, 0.1);
    assert_near(m.t10_k - 273.15, 90, 5);
    assert_int_equal(m.mechanism, MEDIUM_GROWTH_DOMINATED);
    assert_near(m.growth_m_s, 5, 0.5);
    assert_true(m.dow_n0_cycles >= 300 && m.dow_n0_cycles <= 1000);
    /* between two nodes of the pseudo-binary: Ge4Sb2Te7 (xg 0.8) lies between GST-225
     * (xg 2/3, 900 K) and Ge8Sb2Te11 (xg 8/9, 960 K) */
    derive_ok("Ge4Sb2Te7", &m);
    assert_true(m.tm_k > 900 && m.tm_k < 960);
    assert_near(m.tm_k, 900 + 60 * (0.8 - 2.0 / 3) / (8.0 / 9 - 2.0 / 3), 1e-9);
}

static void test_material_unknown_uses_nearest_reference(void **state)
{
    (void)state;
    struct medium_material m;
    /* Ge15Sb85 has no Te: no family. Squared distances in at.% to the references:
     * (Sb70Te30)95Ge5 10^2 + 18.5^2 + 28.5^2 = 1254; AIST 15^2 + 25^2 + 30^2 + 5^2 + 5^2
     * = 1800; GeTe-Sb2Te3 compounds are farther. So it takes the far preset's figures. */
    derive_ok("Ge15Sb85", &m);
    assert_int_equal(m.family, MEDIUM_FAMILY_UNKNOWN);
    assert_int_equal(m.mechanism, MEDIUM_GROWTH_DOMINATED);
    assert_near(m.tm_k, 823, 1e-9);
    assert_near(m.ea_ev, 2.5, 1e-12);
}

/* physics.md §1.4: N raises Tx (~+20..60 K for a few at.%) and Ea; O raises Tx and Ea
 * and lowers Tm [S57]. */
static void test_material_nitrogen_raises_tx_and_ea(void **state)
{
    (void)state;
    static const double f[] = {0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0};
    double prev_tx = 0, prev_ea = 0, prev_n = -1;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        struct medium_material m;
        assert_int_equal(medium_material_derive("Ge2Sb2Te5", 405, f[i], 0, &m, NULL, 0), 0);
        double n = pct(&m, "N"), sum = 0;
        for (unsigned k = 0; k < m.element_count; k++)
            sum += m.elements[k].atomic_percent;
        assert_near(sum, 100, 1e-9);
        if (i > 0) {
            assert_true(m.tx_k > prev_tx);
            assert_true(m.ea_ev > prev_ea);
            assert_true(n > prev_n);
        }
        /* "a few at.%" of N: Tx up by 20-60 K over the undoped film */
        if (n >= 2 && n <= 6)
            assert_true(m.tx_k - (163 + 273.15) >= 20 - 1e-9 &&
                        m.tx_k - (163 + 273.15) <= 60 + 1e-9);
        prev_tx = m.tx_k;
        prev_ea = m.ea_ev;
        prev_n = n;
    }
    /* oxygen: Tx and Ea up, Tm down */
    struct medium_material plain, ox;
    derive_ok("Ge2Sb2Te5", &plain);
    assert_int_equal(medium_material_derive("Ge2Sb2Te5", 405, 0, 0.1, &ox, NULL, 0), 0);
    assert_true(ox.tx_k > plain.tx_k);
    assert_true(ox.ea_ev > plain.ea_ev);
    assert_true(ox.tm_k < plain.tm_k);
    assert_true(pct(&ox, "O") > 0);
    /* N written in the formula and N from the gas add up, with a saturating effect:
     * 20 at.% N raises Tx less than 4x what 5 at.% does */
    struct medium_material n5, n20, n5gas;
    derive_ok("(Ge2Sb2Te5)95N5", &n5);
    derive_ok("(Ge2Sb2Te5)80N20", &n20);
    assert_int_equal(medium_material_derive("(Ge2Sb2Te5)95N5", 405, 0.05, 0, &n5gas, NULL, 0),
                     0);
    assert_true(n5gas.tx_k > n5.tx_k);
    assert_true(pct(&n5gas, "N") > 5);
    assert_true(n20.tx_k > n5.tx_k);
    assert_true(n20.tx_k - plain.tx_k < 4 * (n5.tx_k - plain.tx_k));
    /* bad gas fractions */
    assert_int_equal(medium_material_derive("Ge2Sb2Te5", 405, 1.5, 0, &ox, NULL, 0), -EINVAL);
}

static void test_material_far_melts_below_near(void **state)
{
    (void)state;
    struct medium_material near, far, aist;
    derive_ok("Ge8Sb2Te11", &near);
    derive_ok("(Sb70Te30)95Ge5", &far);
    derive_ok("Ag5In5Sb60Te30", &aist);
    assert_true(far.tm_k < near.tm_k);
    assert_true(aist.tm_k < near.tm_k);
    /* §1.3: the Sb-Te eutectic family melts ~540-550 C, the GeTe-Sb2Te3 line above 600 C */
    assert_true(far.tm_k - 273.15 < 600);
}

static void test_material_dopants_move_properties(void **state)
{
    (void)state;
    struct medium_material gst, bi;
    derive_ok("Ge2Sb2Te5", &gst);
    /* Bi lowers Ea and speeds crystallization [S61] */
    derive_ok("(Ge2Sb2Te5)95Bi5", &bi);
    assert_true(bi.ea_ev < gst.ea_ev);
    assert_true(bi.cet_ns < gst.cet_ns);
}

static void test_material_wavelength_dispersion(void **state)
{
    (void)state;
    struct medium_material a, b;
    /* neglected inside 390-430 nm */
    assert_int_equal(medium_material_derive("Ge8Sb2Te11", 390, 0, 0, &a, NULL, 0), 0);
    assert_int_equal(medium_material_derive("Ge8Sb2Te11", 430, 0, 0, &b, NULL, 0), 0);
    assert_near(a.n_c, b.n_c, 0);
    /* at 660 nm the [S7] model values: c 4.61+4.01i, a 4.36+1.79i */
    assert_int_equal(medium_material_derive("Ge8Sb2Te11", 660, 0, 0, &a, NULL, 0), 0);
    assert_near(a.n_c, 4.61, 1e-12);
    assert_near(a.k_c, 4.01, 1e-12);
    assert_near(a.n_a, 4.36, 1e-12);
    assert_near(a.k_a, 1.79, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_material_parses_gesbte_compounds),
        cmocka_unit_test(test_material_parses_site_sharing),
        cmocka_unit_test(test_material_parses_additive_forms),
        cmocka_unit_test(test_material_parses_flat_sbte),
        cmocka_unit_test(test_material_formula_parse_direct),
        cmocka_unit_test(test_material_rejects_junk),
        cmocka_unit_test(test_material_near_preset_figures),
        cmocka_unit_test(test_material_far_preset_figures),
        cmocka_unit_test(test_material_reference_compositions),
        cmocka_unit_test(test_material_unknown_uses_nearest_reference),
        cmocka_unit_test(test_material_nitrogen_raises_tx_and_ea),
        cmocka_unit_test(test_material_far_melts_below_near),
        cmocka_unit_test(test_material_dopants_move_properties),
        cmocka_unit_test(test_material_wavelength_dispersion),
    };
    return cmocka_run_group_tests_name("material", tests, NULL, NULL);
}
