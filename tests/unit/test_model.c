/*
 * test_model.c — unit tests of medium/model.c, faults.c and clock.c: determinism, the
 * measured error rates against binomial statistics, retention monotonicity and its
 * Arrhenius ageing per material, wear and stuck cells against the Weibull CDF, the
 * power bathtub and erase kinetics, disc geometry and fault damage.
 *
 * The medium is built by hand from the physics.md §7 numbers (not from presets), and
 * expected values are recomputed here from physics.md formulas, not taken from the code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medium_priv.h"

#define NBITS ((double)MEDIUM_CLUSTER_BITS)
#define KB_EV 8.617333262e-5

/* ---- a hand-built medium: physics.md §7.2 stack, §7.3 materials, §2.3 optics ---------- */

static void film(struct medium_profile *p, enum medium_film_role role, const char *name,
                 double nm, double n, double k, int layer)
{
    struct medium_film *f = &p->films[p->film_count++];
    f->role = role;
    snprintf(f->material, sizeof f->material, "%s", name);
    f->thickness_nm = nm;
    f->n = n;
    f->k = k;
    f->layer = layer;
}

static void profile_fill(struct medium_profile *p, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "test");
    p->seed = seed;
    p->temperature_c = 25.0;
    p->wavelength_nm = 405.0;
    p->na = 0.85;
    p->linear_velocity_m_s = 4.917;
    p->read_power_mw = 0.7;
    snprintf(p->sputter_gas, sizeof p->sputter_gas, "Ar");
    struct medium_layer_profile *n = &p->layer[MEDIUM_LAYER_NEAR];
    snprintf(n->material, sizeof n->material, "Ge8Sb2Te11");
    n->peak_power_mw = 6.5; /* §7.4 */
    n->erase_power_mw = 2.8;
    n->bias_power_mw = 0.2;
    n->film_rate_nm_s = 1.0;
    struct medium_layer_profile *f = &p->layer[MEDIUM_LAYER_FAR];
    snprintf(f->material, sizeof f->material, "(Sb70Te30)95Ge5");
    f->peak_power_mw = 12.0;
    f->erase_power_mw = 5.0;
    f->bias_power_mw = 0.3;
    f->film_rate_nm_s = 3.0;
    /* §7.2 */
    film(p, MEDIUM_FILM_COVER, "resin", 75e3, 1.60, 0, -1);
    film(p, MEDIUM_FILM_PROTECTIVE, "ZnS-SiO2", 40, 2.30, 0, -1);
    film(p, MEDIUM_FILM_INTERFACE, "ZrO2-Cr2O3", 3, 2.20, 0, -1);
    film(p, MEDIUM_FILM_RECORDING, "Ge8Sb2Te11", 8, 0, 0, MEDIUM_LAYER_NEAR);
    film(p, MEDIUM_FILM_INTERFACE, "ZrO2-Cr2O3", 3, 2.20, 0, -1);
    film(p, MEDIUM_FILM_PROTECTIVE, "ZnS-SiO2", 10, 2.30, 0, -1);
    film(p, MEDIUM_FILM_REFLECTIVE, "Ag", 10, 0.045, 2.182, -1);
    film(p, MEDIUM_FILM_TRANSMITTANCE, "TiO2", 15, 2.60, 0, -1);
    film(p, MEDIUM_FILM_SEPARATING, "resin", 25e3, 1.55, 0, -1);
    film(p, MEDIUM_FILM_PROTECTIVE, "ZnS-SiO2", 30, 2.30, 0, -1);
    film(p, MEDIUM_FILM_INTERFACE, "ZrO2-Cr2O3", 3, 2.20, 0, -1);
    film(p, MEDIUM_FILM_RECORDING, "(Sb70Te30)95Ge5", 12, 0, 0, MEDIUM_LAYER_FAR);
    film(p, MEDIUM_FILM_INTERFACE, "ZrO2-Cr2O3", 3, 2.20, 0, -1);
    film(p, MEDIUM_FILM_PROTECTIVE, "ZnS-SiO2", 10, 2.30, 0, -1);
    film(p, MEDIUM_FILM_REFLECTIVE, "Ag", 80, 0.045, 2.182, -1);
    film(p, MEDIUM_FILM_SUBSTRATE, "PC", 1.1e6, 1.631, 0, -1);
    /* environmental ageing, §9.5 (EST) */
    p->humidity_pct = 50.0;
    n->env_activation_ev = f->env_activation_ev = 0.75;
    n->env_humidity_b = f->env_humidity_b = -5.0;
    n->env_t50_h = f->env_t50_h = 672.0;
    p->model.env_ser0 = 2e-5;
    p->model.ser0 = 1e-5;           /* §4.3 */
    p->model.retention_sigma = 0.7; /* §4.1: 0.5-1 */
    p->model.read_disturb_s = 0.0;
    p->model.crosstalk = 0.0;
    p->model.cross_erase = 0.0;
    p->model.defect_density_per_cm2 = -1.0; /* none */
    p->model.stuck_onset = 10.0;
    p->model.stuck_shape = 2.0;
}

static void materials_fill(struct medium *m)
{
    struct medium_material *n = &m->material[MEDIUM_LAYER_NEAR];
    snprintf(n->formula, sizeof n->formula, "Ge8Sb2Te11");
    n->tm_k = 960.0; /* §7.3 */
    n->tg_k = 480.0;
    n->tx_k = 453.15;
    n->ea_ev = 2.8;
    n->t10_k = 383.15; /* 110 C */
    n->mechanism = MEDIUM_NUCLEATION_DOMINATED;
    n->cet_ns = 45.0; /* §7.3: 30-60 ns */
    n->growth_m_s = 2.0;
    n->n_c = 2.076;
    n->k_c = 2.971;
    n->n_a = 2.816;
    n->k_a = 2.191;
    n->dow_n0_cycles = 3000.0;
    n->dow_beta = 2.5;
    n->rho_cp_j_m3k = 1.25e6;
    n->hf_j_m3 = 625e6;
    struct medium_material *f = &m->material[MEDIUM_LAYER_FAR];
    snprintf(f->formula, sizeof f->formula, "(Sb70Te30)95Ge5");
    f->tm_k = 823.0;
    f->tg_k = 400.0;
    f->tx_k = 438.15;
    f->ea_ev = 2.5;
    f->t10_k = 348.15; /* 75 C */
    f->mechanism = MEDIUM_GROWTH_DOMINATED;
    f->cet_ns = 0.0;
    f->growth_m_s = 5.0; /* §7.3 u_max */
    f->n_c = 1.5;
    f->k_c = 3.3;
    f->n_a = 2.5;
    f->k_a = 2.9;
    f->dow_n0_cycles = 1000.0;
    f->dow_beta = 2.5;
    f->rho_cp_j_m3k = 1.3e6;
    f->hf_j_m3 = 625e6; /* EST: GST value */
}

static void optics_fill(struct medium_optics *o)
{
    /* §2.3 DER */
    struct medium_layer_optics *n = &o->layer[MEDIUM_LAYER_NEAR];
    n->Rc = n->Rc_eff = 0.0503;
    n->Ra = n->Ra_eff = 0.0080;
    n->Tc = 0.5044;
    n->Ta = 0.5362;
    n->Ac = n->Ac_eff = 0.438;
    n->Aa = n->Aa_eff = 0.448;
    struct medium_layer_optics *f = &o->layer[MEDIUM_LAYER_FAR];
    f->Rc = 0.193;
    f->Ra = 0.0245;
    f->Rc_eff = 0.052;
    f->Ra_eff = 0.0066;
    f->Ac = 0.795;
    f->Aa = 0.964;
    f->Ac_eff = 0.41;
    f->Aa_eff = 0.50;
    o->near_transmittance_avg = 0.52;
}

static struct medium *medium_new_with(uint64_t clusters, const struct medium_profile *p)
{
    struct medium *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->profile = *p;
    materials_fill(m);
    optics_fill(&m->optics);
    m->clusters_per_layer = clusters;
    m->meta = calloc(clusters * MEDIUM_LAYER_COUNT, sizeof *m->meta);
    assert_non_null(m->meta);
    assert_int_equal(model_init(m), 0);
    return m;
}

static struct medium *medium_new(uint64_t clusters, uint64_t seed)
{
    struct medium_profile p;
    profile_fill(&p, seed);
    return medium_new_with(clusters, &p);
}

static void medium_free(struct medium *m)
{
    if (m == NULL)
        return;
    free(m->meta);
    free(m);
}

static void reinit(struct medium *m)
{
    assert_int_equal(model_init(m), 0);
}

static uint8_t *buf_new(int fill)
{
    uint8_t *b = malloc(MEDIUM_CLUSTER_BYTES);
    assert_non_null(b);
    memset(b, fill, MEDIUM_CLUSTER_BYTES);
    return b;
}

static void buf_random(uint8_t *b, uint64_t seed)
{
    struct util_rng r;
    util_rng_stream(&r, seed, 99, 0, 0, 0);
    for (size_t i = 0; i < MEDIUM_CLUSTER_BYTES; i++)
        b[i] = (uint8_t)util_rng_u64(&r);
}

static uint64_t bits_differ(const uint8_t *a, const uint8_t *b)
{
    uint64_t n = 0;
    for (size_t i = 0; i < MEDIUM_CLUSTER_BYTES; i++)
        n += (uint64_t)__builtin_popcount((unsigned)(a[i] ^ b[i]));
    return n;
}

static int bit_of(const uint8_t *b, uint64_t pos)
{
    return (b[pos >> 3] >> (pos & 7)) & 1;
}

/* Record wanted on (layer, index) as the handle does: model_write, then bump meta. */
static void record(struct medium *m, unsigned layer, uint64_t index, const uint8_t *wanted,
                   uint8_t *recorded)
{
    struct medium_cluster_meta *me = medium_meta(m, layer, index);
    model_write(m, layer, index, me, wanted, NULL, recorded, NULL);
    me->cycles++;
    me->generation++;
    me->flags |= CLUSTER_FLAG_WRITTEN;
    me->write_equiv_s = m->clock.equiv_s[layer];
    me->disturb_equiv_s = 0.0;
}

static void read_into(struct medium *m, unsigned layer, uint64_t index, const uint8_t *recorded,
                      uint8_t *out, struct medium_read_report *rep)
{
    struct medium_cluster_meta *me = medium_meta(m, layer, index);
    me->reads++;
    memcpy(out, recorded, MEDIUM_CLUSTER_BYTES);
    model_read(m, layer, index, me, out, rep);
}

/* Independent reference formulas (physics.md). */
static double ref_ser_to_ber(double ser)
{
    return 1.0 - pow(1.0 - ser, 1.0 / 8.0);
}

static double ref_median_life_25c_s(double ea_ev, double t10_k)
{
    double tau0 = 3.156e8 * exp(-ea_ev / (KB_EV * t10_k)); /* §4.1 */
    return tau0 * exp(ea_ev / (KB_EV * 298.15));
}

static double ref_lognormal_cdf(double x, double median, double sigma)
{
    return 0.5 * erfc(-log(x / median) / (sigma * sqrt(2.0)));
}

/* |count - n p| <= 5 sigma of Binomial(n, p) (+1 for tiny p) */
static void assert_binomial(double count, double n, double p)
{
    double mean = n * p, sd = sqrt(n * p * (1.0 - p));
    if (fabs(count - mean) > 5.0 * sd + 1.0)
        fail_msg("count %.0f, expected %.1f +- %.1f (5 sigma)", count, mean, 5.0 * sd + 1.0);
}

/* ---- determinism --------------------------------------------------------------------- */

static void run_ops(uint64_t seed, uint8_t *out)
{
    struct medium_profile p;
    profile_fill(&p, seed);
    p.model.ser0 = 2e-3;
    p.layer[MEDIUM_LAYER_NEAR].peak_power_mw = 6.5 * 1.14; /* some write errors */
    p.model.defect_density_per_cm2 = 0.5;
    struct medium *m = medium_new_with(64, &p);
    uint8_t *wanted = buf_new(0), *rec = buf_new(0);
    buf_random(wanted, 7);
    record(m, MEDIUM_LAYER_NEAR, 5, wanted, rec);
    clock_advance(&m->clock, m->model, 1e7, 60.0, 50.0);
    read_into(m, MEDIUM_LAYER_NEAR, 5, rec, out, NULL);
    read_into(m, MEDIUM_LAYER_NEAR, 5, rec, out, NULL); /* second read: fresh noise */
    free(wanted);
    free(rec);
    medium_free(m);
}

static void test_model_same_seed_same_bits(void **state)
{
    (void)state;
    uint8_t *a = buf_new(0), *b = buf_new(0), *c = buf_new(0);
    run_ops(11, a);
    run_ops(11, b);
    run_ops(12, c);
    assert_memory_equal(a, b, MEDIUM_CLUSTER_BYTES);
    assert_true(bits_differ(a, c) > 100);
    free(a);
    free(b);
    free(c);
}

/* ---- transient noise ------------------------------------------------------------------- */

static void test_model_noise_rate_matches_configured(void **state)
{
    (void)state;
    struct medium_profile p;
    profile_fill(&p, 3);
    p.model.ser0 = 8e-4;
    p.model.stuck_onset = 0.0;
    struct medium *m = medium_new_with(16, &p);
    uint8_t *wanted = buf_new(0), *rec = buf_new(0), *out = buf_new(0);
    buf_random(wanted, 1);
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
        record(m, layer, 3, wanted, rec);
        /* near: ber from ser0; far: scaled by the near/far reflectance swing (§2.3) */
        double ser = p.model.ser0;
        if (layer == MEDIUM_LAYER_FAR)
            ser *= (0.0503 - 0.0080) / (0.052 - 0.0066);
        ser *= 1.0 + pow(1.0 / m->material[layer].dow_n0_cycles, 2.5); /* one write */
        double ber = ref_ser_to_ber(ser);
        double flips = 0.0, bits = 0.0;
        for (int r = 0; r < 24; r++) {
            struct medium_read_report rep;
            read_into(m, layer, 3, rec, out, &rep);
            assert_true(fabs(rep.raw_ber - ber) < 1e-9 * ber + 1e-15);
            double d = (double)bits_differ(out, rec);
            assert_int_equal((uint64_t)d, rep.noise_bits);
            flips += d;
            bits += NBITS;
        }
        assert_true(bits >= 1e7);
        assert_binomial(flips, bits, ber);
    }
    free(wanted);
    free(rec);
    free(out);
    medium_free(m);
}

static void test_model_crosstalk_adds_ber(void **state)
{
    (void)state;
    struct medium_profile p;
    profile_fill(&p, 3);
    p.model.ser0 = 0.0;
    p.model.crosstalk = 0.2;
    struct medium *m = medium_new_with(16, &p);
    /* noise-free channel: ber = Q(1/x), x = 2 c swing_other / swing_this (§4.4) */
    double x = 2.0 * 0.2 * (0.052 - 0.0066) / (0.0503 - 0.0080);
    double q = 0.5 * erfc(1.0 / x / sqrt(2.0));
    assert_true(fabs(m->model[MEDIUM_LAYER_NEAR].crosstalk_ber - q) < 1e-6 * q);
    p.model.crosstalk = 0.0;
    medium_free(m);
    m = medium_new_with(16, &p);
    assert_true(m->model[MEDIUM_LAYER_NEAR].crosstalk_ber == 0.0);
    medium_free(m);
}

/* ---- noise-free channel ---------------------------------------------------------------- */

static void test_model_noise_free_read_is_exact(void **state)
{
    (void)state;
    struct medium_profile p;
    profile_fill(&p, 5);
    p.model.ser0 = 0.0;
    p.model.crosstalk = 0.0;
    p.model.defect_density_per_cm2 = -1.0;
    p.layer[MEDIUM_LAYER_NEAR].peak_power_mw = 6.5 * 1.1; /* off-optimum still exact */
    struct medium *m = medium_new_with(64, &p);
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
        assert_true(m->model[layer].write_error_rate == 0.0);
        assert_true(m->model[layer].ber_fresh == 0.0);
        assert_false(model_write_needs_old(m, layer));
    }
    uint8_t *wanted = buf_new(0), *rec = buf_new(0), *out = buf_new(0);
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++)
        for (uint64_t i = 0; i < 64; i++) {
            buf_random(wanted, i * 2 + layer);
            record(m, layer, i, wanted, rec);
            assert_memory_equal(rec, wanted, MEDIUM_CLUSTER_BYTES);
            for (int r = 0; r < 3; r++) {
                struct medium_read_report rep;
                read_into(m, layer, i, rec, out, &rep);
                assert_memory_equal(out, wanted, MEDIUM_CLUSTER_BYTES);
                assert_true(rep.raw_ber == 0.0);
            }
        }
    free(wanted);
    free(rec);
    free(out);
    medium_free(m);
}

/* ---- retention ------------------------------------------------------------------------- */

static void test_model_retention_monotone_and_one_way(void **state)
{
    (void)state;
    struct medium_profile p;
    profile_fill(&p, 21);
    p.model.ser0 = 0.0;
    p.model.stuck_onset = 0.0;
    /* retention alone: the stack's T + RH damage (test_ageing.c) kept out of the way */
    p.layer[MEDIUM_LAYER_FAR].env_t50_h = p.layer[MEDIUM_LAYER_NEAR].env_t50_h = 1e12;
    struct medium *m = medium_new_with(16, &p);
    const unsigned layer = MEDIUM_LAYER_FAR;
    uint8_t *wanted = buf_new(0), *rec = buf_new(0), *out = buf_new(0), *prev = buf_new(0);
    buf_random(wanted, 3);
    record(m, layer, 9, wanted, rec);
    memcpy(prev, rec, MEDIUM_CLUSTER_BYTES);
    double ones = 0.0;
    for (size_t i = 0; i < MEDIUM_CLUSTER_BYTES; i++)
        ones += __builtin_popcount(rec[i]);
    const double median = ref_median_life_25c_s(2.5, 348.15);
    const double accel = exp(2.5 / KB_EV * (1.0 / 298.15 - 1.0 / 353.15));
    const double steps_y[] = {0.3, 0.2, 0.5, 1.0, 1.0, 2.0, 3.0, 4.0, 8.0};
    double years = 0.0;
    for (size_t s = 0; s < sizeof steps_y / sizeof steps_y[0]; s++) {
        clock_advance(&m->clock, m->model, steps_y[s] * MEDIUM_SECONDS_PER_YEAR, 80.0, 50.0);
        years += steps_y[s];
        struct medium_read_report rep;
        read_into(m, layer, 9, rec, out, &rep);
        uint64_t lost = 0;
        for (uint64_t b = 0; b < MEDIUM_CLUSTER_BITS; b++) {
            int was = bit_of(rec, b), now = bit_of(out, b);
            assert_false(!was && now);                /* 1 -> 0 only */
            assert_false(!bit_of(prev, b) && now);    /* lost stays lost */
            lost += was && !now;
        }
        assert_int_equal(lost, rep.retention_bits);
        double age = years * MEDIUM_SECONDS_PER_YEAR * accel;
        double f = ref_lognormal_cdf(age, median, 0.7);
        assert_binomial((double)lost, ones, f);
        /* physics.md rounds 10 years to 3.156e8 s; the code uses 10 Julian years */
        assert_true(fabs(model_retention_fraction(m, layer, age) - f) < 1e-4);
        memcpy(prev, out, MEDIUM_CLUSTER_BYTES);
    }
    free(wanted);
    free(rec);
    free(out);
    free(prev);
    medium_free(m);
}

static void test_model_layers_age_by_material(void **state)
{
    (void)state;
    struct medium_profile p;
    profile_fill(&p, 22);
    p.model.ser0 = 0.0;
    p.model.stuck_onset = 0.0;
    struct medium *m = medium_new_with(16, &p);
    /* median life at 25 C from §4.1: far 1.2e7 y, near 3e11 y (§4.1 table) */
    double far_y = m->model[MEDIUM_LAYER_FAR].median_life_ref_s / MEDIUM_SECONDS_PER_YEAR;
    double near_y = m->model[MEDIUM_LAYER_NEAR].median_life_ref_s / MEDIUM_SECONDS_PER_YEAR;
    assert_true(far_y > 1.0e7 && far_y < 1.4e7);
    assert_true(near_y > 2.5e11 && near_y < 3.5e11);
    /* ratio of accelerations between two temperatures, per layer */
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
        double ea = m->material[layer].ea_ev;
        double t1 = 333.15, t2 = 353.15;
        double want = exp(ea / KB_EV * (1.0 / t1 - 1.0 / t2));
        double got = clock_acceleration(ea, 80.0) / clock_acceleration(ea, 60.0);
        assert_true(fabs(got / want - 1.0) < 1e-9);
        assert_true(fabs(clock_acceleration(ea, 25.0) - 1.0) < 1e-12);
    }
    uint8_t *ones = buf_new(0xff), *rec = buf_new(0), *out = buf_new(0);
    record(m, MEDIUM_LAYER_NEAR, 1, ones, rec);
    record(m, MEDIUM_LAYER_FAR, 1, ones, rec);
    clock_advance(&m->clock, m->model, 3.0 * MEDIUM_SECONDS_PER_YEAR, 80.0, 50.0);
    struct medium_read_report rn, rf;
    read_into(m, MEDIUM_LAYER_NEAR, 1, ones, out, &rn);
    read_into(m, MEDIUM_LAYER_FAR, 1, ones, out, &rf);
    /* far: 10 y at 75 C -> ~3 y at 80 C, so about half is gone; near: 1.3e4 y at 80 C */
    double f_far = ref_lognormal_cdf(
        3.0 * MEDIUM_SECONDS_PER_YEAR * exp(2.5 / KB_EV * (1.0 / 298.15 - 1.0 / 353.15)),
        ref_median_life_25c_s(2.5, 348.15), 0.7);
    assert_true(f_far > 0.3);
    assert_binomial((double)rf.retention_bits, NBITS, f_far);
    assert_int_equal(rn.retention_bits, 0);
    free(ones);
    free(rec);
    free(out);
    medium_free(m);
}

static void test_model_clock_is_constant_time(void **state)
{
    (void)state;
    struct medium *small = medium_new(16, 1);
    struct medium *big = medium_new(381856, 1);
    /* the clock call sees only the accounts and the per-layer model: meta untouched */
    size_t meta_bytes = 381856 * MEDIUM_LAYER_COUNT * sizeof *big->meta;
    uint8_t *zero = calloc(1, meta_bytes);
    assert_non_null(zero);
    for (int i = 0; i < 1000000; i++) {
        clock_advance(&small->clock, small->model, 10.0, 60.0, 50.0);
        clock_advance(&big->clock, big->model, 10.0, 60.0, 50.0);
    }
    assert_memory_equal(big->meta, zero, meta_bytes);
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
        double want = 1e7 * exp(big->material[layer].ea_ev / KB_EV *
                                (1.0 / 298.15 - 1.0 / 333.15));
        assert_true(fabs(big->clock.equiv_s[layer] / want - 1.0) < 1e-6);
        assert_true(big->clock.equiv_s[layer] == small->clock.equiv_s[layer]);
    }
    assert_true(fabs(big->clock.sim_s - 1e7) < 1e-3);
    assert_true(big->clock.temperature_c == 60.0);
    free(zero);
    medium_free(small);
    medium_free(big);
}

static void test_model_age_counts_disturb(void **state)
{
    (void)state;
    struct medium_profile p;
    profile_fill(&p, 1);
    p.model.read_disturb_s = 1000.0;
    struct medium *m = medium_new_with(16, &p);
    /* per read: the profile's 1000 s plus the read beam's own heating (readout.c),
     * which at 0.7 mW and 25 C is well under a second on the far layer */
    const double per_read = m->model[MEDIUM_LAYER_FAR].read_disturb_s;
    assert_true(per_read > 1000.0 && per_read < 1000.0 + 1.0);
    struct medium_cluster_meta me = {.cycles = 1, .generation = 1, .reads = 7,
                                     .flags = CLUSTER_FLAG_WRITTEN, .write_equiv_s = 50.0,
                                     .disturb_equiv_s = 20.0};
    m->clock.equiv_s[MEDIUM_LAYER_FAR] = 550.0;
    assert_true(fabs(model_cluster_age(m, MEDIUM_LAYER_FAR, &me) -
                     (500.0 + 20.0 + 7.0 * per_read)) < 1e-9);
    medium_free(m);
}

/* ---- wear ------------------------------------------------------------------------------ */

static void test_model_wear_doubles_ser_at_n0(void **state)
{
    (void)state;
    struct medium *m = medium_new(16, 1);
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
        double n0 = m->material[layer].dow_n0_cycles; /* no over-power at the presets */
        double ser = 1e-5;
        if (layer == MEDIUM_LAYER_FAR)
            ser *= (0.0503 - 0.0080) / (0.052 - 0.0066);
        struct medium_cluster_meta me = {.cycles = 0};
        assert_true(fabs(model_cluster_ber(m, layer, &me) / ref_ser_to_ber(ser) - 1) < 1e-9);
        me.cycles = (uint32_t)n0;
        assert_true(fabs(model_cluster_ber(m, layer, &me) / ref_ser_to_ber(2 * ser) - 1) < 1e-9);
        me.cycles = (uint32_t)(2 * n0); /* 1 + 2^2.5 */
        double w = 1.0 + pow(2.0, 2.5);
        assert_true(fabs(model_cluster_ber(m, layer, &me) / ref_ser_to_ber(w * ser) - 1) < 1e-9);
    }
    medium_free(m);
}

static void test_model_stuck_cells_follow_weibull(void **state)
{
    (void)state;
    struct medium_profile p;
    profile_fill(&p, 31);
    p.model.ser0 = 0.0;
    struct medium *m = medium_new_with(16, &p);
    const unsigned layer = MEDIUM_LAYER_NEAR;
    const double scale = 10.0 * 3000.0; /* stuck_onset x N0 */
    uint8_t *zeros = buf_new(0), *ones = buf_new(0xff), *out = buf_new(0), *seen = buf_new(0);
    uint32_t prev = 0;
    const uint32_t cycles[] = {300, 1000, 3000, 6000};
    for (size_t c = 0; c < 4; c++) {
        double f = 1.0 - exp(-pow(cycles[c] / scale, 2.0));
        uint32_t n = model_stuck_cells(m, layer, 4, cycles[c]);
        assert_binomial(n, NBITS, f);
        assert_true(n >= prev);
        prev = n;
        /* every stuck cell shows in exactly one of an all-0 and an all-1 read, on
         * whatever generation, so they persist across rewrites */
        struct medium_cluster_meta me = {.cycles = cycles[c], .generation = (uint32_t)c + 1,
                                         .flags = CLUSTER_FLAG_WRITTEN};
        struct medium_read_report r0, r1;
        memcpy(out, zeros, MEDIUM_CLUSTER_BYTES);
        model_read(m, layer, 4, &me, out, &r0);
        /* cells stuck at 1 at lower cycle counts are still stuck now */
        for (size_t i = 0; i < MEDIUM_CLUSTER_BYTES; i++)
            assert_int_equal(seen[i] & ~out[i], 0);
        memcpy(seen, out, MEDIUM_CLUSTER_BYTES);
        uint64_t at1 = bits_differ(out, zeros);
        memcpy(out, ones, MEDIUM_CLUSTER_BYTES);
        me.generation += 10;
        model_read(m, layer, 4, &me, out, &r1);
        uint64_t at0 = bits_differ(out, ones);
        assert_int_equal(at1 + at0, n);
        assert_int_equal(r0.stuck_bits + r1.stuck_bits, n);
        assert_binomial((double)at1, n, 0.5);
    }
    free(zeros);
    free(ones);
    free(out);
    free(seen);
    medium_free(m);
}

/* ---- power margin and erase ------------------------------------------------------------- */

/* Independent mark-width/jitter margin (physics.md §4.5, §3.1, §3.3): Gaussian heating of
 * sigma = (spot / 2) / 2.3548, mark half-width 0.17 spot at P_opt, so the width at
 * P/P_opt = r is sqrt(1 + ln r / L), L = (0.17 / sigma)^2 / 2; jitter
 * sigma0 + a (w - 1)^2 reaching the spec at r = 0.83; SER = c erfc(0.5 / (sqrt2 sigma)). */
static double ref_margin_ser(unsigned layer, double r)
{
    const double s = 0.5 / 2.3548200450309493, L = 0.5 * (0.17 / s) * (0.17 / s);
    const double sig0 = layer == MEDIUM_LAYER_NEAR ? 0.065 : 0.050;
    const double spec = layer == MEDIUM_LAYER_NEAR ? 0.085 : 0.065;
    double e = 1.0 - sqrt(1.0 + log(0.83) / L);
    double w = sqrt(1.0 + log(r) / L);
    double sigma = sig0 + (spec - sig0) / (e * e) * (w - 1.0) * (w - 1.0);
    return 2e-4 / erfc(0.5 / (sqrt(2.0) * spec)) * erfc(0.5 / (sqrt(2.0) * sigma));
}

static void test_model_power_bathtub(void **state)
{
    (void)state;
    struct medium *m = medium_new(16, 1);
    /* the near layer is the calibration point: 6.5 mW (§7.4); the far one lands near
     * its 12 mW */
    double popt_near = m->model[MEDIUM_LAYER_NEAR].power_opt_mw;
    double popt_far = m->model[MEDIUM_LAYER_FAR].power_opt_mw;
    assert_true(fabs(popt_near - 6.5) < 0.01);
    assert_true(popt_far > 11.0 && popt_far < 13.5);
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
        double popt = m->model[layer].power_opt_mw;
        double preset = m->model[layer].write_error_rate;
        const double ratios[] = {0.80, 0.85, 0.90, 1.00, 1.10, 1.15, 1.20};
        double wer[7];
        for (int i = 0; i < 7; i++) {
            m->profile.layer[layer].peak_power_mw = popt * ratios[i];
            reinit(m);
            wer[i] = m->model[layer].write_error_rate;
            /* (the reference's 1 - (1 - ser)^(1/8) loses digits below 1e-12) */
            double ref = ref_ser_to_ber(ref_margin_ser(layer, ratios[i]));
            assert_true(fabs(wer[i] - ref) < 1e-6 * ref + 1e-16);
        }
        assert_true(wer[0] > wer[1] && wer[1] > wer[2] && wer[2] > wer[3]);
        assert_true(wer[3] < wer[4] && wer[4] < wer[5] && wer[5] < wer[6]);
        /* +-15 % stays inside the spec (§7.4), and the margin is asymmetric: too little
         * power narrows the marks faster than too much widens them */
        assert_true(wer[1] < ref_ser_to_ber(2e-4) && wer[5] < ref_ser_to_ber(2e-4));
        assert_true(wer[1] > 3.0 * wer[5]);
        /* the spec is reached at 0.83 below and only beyond 1.25 above */
        m->profile.layer[layer].peak_power_mw = popt * 0.83;
        reinit(m);
        assert_true(fabs(m->model[layer].write_error_rate / ref_ser_to_ber(2e-4) - 1) < 1e-6);
        m->profile.layer[layer].peak_power_mw = popt * 1.25;
        reinit(m);
        assert_true(m->model[layer].write_error_rate < ref_ser_to_ber(2e-4));
        /* below the melting threshold (0.73 P_opt) no mark forms at all */
        m->profile.layer[layer].peak_power_mw = popt * 0.70;
        reinit(m);
        assert_true(m->model[layer].write_error_rate == 0.5);
        /* the configured powers sit near the bottom: far below the margin edges */
        assert_true(preset < 1e-3 * wer[1]);
        profile_fill(&m->profile, 1);
        reinit(m);
    }
    medium_free(m);
}

static void test_model_erase_residue_with_velocity(void **state)
{
    (void)state;
    struct medium_profile p;
    profile_fill(&p, 41);
    p.model.ser0 = 0.0;
    struct medium *m = medium_new_with(16, &p);
    /* 1x: both layers erase completely */
    assert_true(m->model[MEDIUM_LAYER_NEAR].erase_completeness == 1.0);
    assert_true(m->model[MEDIUM_LAYER_FAR].erase_completeness == 1.0);
    double prev[2] = {1.0, 1.0};
    const double speeds[] = {2.0, 4.0, 6.0};
    for (int s = 0; s < 3; s++) {
        /* powers follow their optima, as a drive calibrates them: kinetics alone */
        m->profile.linear_velocity_m_s = 4.917 * speeds[s];
        reinit(m);
        for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
            m->profile.layer[layer].peak_power_mw = m->model[layer].power_opt_mw;
            m->profile.layer[layer].erase_power_mw = m->model[layer].erase_opt_mw;
        }
        reinit(m);
        /* the growth-dominated far layer still erases completely at 2x (the rim's
         * front crosses the mark in 16 ns), so it may only not get better */
        for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
            double c = m->model[layer].erase_completeness;
            if (layer == MEDIUM_LAYER_NEAR || speeds[s] > 4.0)
                assert_true(c < prev[layer]);
            else
                assert_true(c <= prev[layer]);
            prev[layer] = c;
        }
        if (speeds[s] >= 4.0) /* growth-dominated far layer tolerates speed better */
            assert_true(m->model[MEDIUM_LAYER_FAR].erase_completeness >
                        m->model[MEDIUM_LAYER_NEAR].erase_completeness + 0.05);
    }
    /* at 4x the residue of model_write matches 1 - completeness (binomial); the far film
     * made a slow grower (1 m/s) so that its residue is measurable there too */
    m->profile.linear_velocity_m_s = 4.917 * 4.0;
    m->material[MEDIUM_LAYER_FAR].growth_m_s = 1.0;
    reinit(m);
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++)
        assert_true(m->model[layer].erase_completeness < 0.9);
    uint8_t *old = buf_new(0), *wanted = buf_new(0), *rec = buf_new(0);
    buf_random(old, 5);
    buf_random(wanted, 6);
    double candidates = 0.0;
    for (size_t i = 0; i < MEDIUM_CLUSTER_BYTES; i++)
        candidates += __builtin_popcount((unsigned)(old[i] & ~wanted[i]));
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
        assert_true(model_write_needs_old(m, layer));
        struct medium_cluster_meta me = {.cycles = 1, .generation = 1};
        struct medium_write_report rep;
        model_write(m, layer, 2, &me, wanted, old, rec, &rep);
        double residue = 0.0;
        for (uint64_t b = 0; b < MEDIUM_CLUSTER_BITS; b++) {
            assert_false(bit_of(rec, b) != bit_of(wanted, b) &&
                         !(bit_of(old, b) && !bit_of(wanted, b)));
            residue += bit_of(rec, b) != bit_of(wanted, b);
        }
        assert_int_equal((uint32_t)residue, rep.write_errors);
        assert_binomial(residue, candidates, 1.0 - rep.erase_completeness);
    }
    /* erase power: too little or too much leaves marks at 1x */
    profile_fill(&m->profile, 41);
    materials_fill(m);
    m->profile.layer[MEDIUM_LAYER_NEAR].erase_power_mw = 2.8 * 0.6;
    reinit(m);
    assert_true(m->model[MEDIUM_LAYER_NEAR].erase_completeness < 0.999);
    m->profile.layer[MEDIUM_LAYER_NEAR].erase_power_mw = 2.8 * 1.6;
    reinit(m);
    assert_true(m->model[MEDIUM_LAYER_NEAR].erase_completeness < 0.9);
    free(old);
    free(wanted);
    free(rec);
    medium_free(m);
}

/* ---- production defects ------------------------------------------------------------------ */

static void test_model_production_defects(void **state)
{
    (void)state;
    struct medium_profile p;
    profile_fill(&p, 51);
    p.model.defect_density_per_cm2 = 0.0; /* derive from Ar sputtering */
    struct medium *m = medium_new_with(4096, &p);
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
        double d = m->model[layer].defects_per_cluster;
        assert_true(d > 1e-3 && d < 1e-2);
    }
    m->profile.model.defect_density_per_cm2 = 1.0;
    reinit(m);
    /* capture area = 71.68 mm x (0.32 um + mean burst) with the mean burst of a
     * log-uniform 10-200 B at 0.9323 um/B: recomputed from §3.1 geometry */
    double arc_mm = M_PI * (58.0 * 58.0 - 24.0 * 24.0) / (0.32e-3 * 381856.0);
    double mean_b = 190.0 / log(20.0);
    double per_cluster = arc_mm * (0.32e-3 + mean_b * arc_mm / MEDIUM_CLUSTER_BYTES) * 1e-2;
    assert_true(fabs(m->model[0].defects_per_cluster / per_cluster - 1.0) < 1e-9);
    uint64_t hit = 0;
    uint8_t *b = buf_new(0);
    for (uint64_t i = 0; i < 4096; i++) {
        memset(b, 0, MEDIUM_CLUSTER_BYTES);
        uint32_t changed = faults_apply(m, 0, i, b);
        bool defective = faults_cluster_defective(m, 0, i);
        assert_true(changed == 0 || defective); /* no other fault is recorded */
        hit += defective;
    }
    assert_binomial((double)hit, 4096, 1.0 - exp(-per_cluster));
    m->profile.model.defect_density_per_cm2 = -1.0;
    reinit(m);
    assert_true(m->model[0].defects_per_cluster == 0.0);
    free(b);
    medium_free(m);
}

/* ---- geometry and faults ----------------------------------------------------------------- */

#define GEO_N 2048

static double ref_radius(double s)
{
    return sqrt(24.0 * 24.0 + s * (58.0 * 58.0 - 24.0 * 24.0));
}

static double ref_pitch_mm(double n)
{
    return 0.32e-3 * 381856.0 / n;
}

static void test_model_geometry_spiral(void **state)
{
    (void)state;
    struct medium *m = medium_new(GEO_N, 1);
    double pitch = ref_pitch_mm(GEO_N);
    double total_deg = 0.0;
    for (uint64_t i = 0; i < GEO_N; i++) {
        double r0 = ref_radius((double)i / GEO_N), r1 = ref_radius((i + 1.0) / GEO_N);
        double a0, a1;
        faults_cluster_span(m, i, &a0, &a1);
        double want0 = fmod(360.0 * (r0 - 24.0) / pitch, 360.0);
        assert_true(fabs(a0 - want0) < 1e-6);
        assert_true(fabs((a1 - a0) - 360.0 * (r1 - r0) / pitch) < 1e-6);
        assert_true(a1 - a0 < 180.0);
        assert_true(fabs(faults_cluster_radius(m, i) - ref_radius((i + 0.5) / GEO_N)) < 1e-9);
        total_deg += a1 - a0;
    }
    /* ~3.6 clusters per turn, as on the real disc (381,856 on 106,250 turns) */
    double per_turn = GEO_N / (total_deg / 360.0);
    assert_true(fabs(per_turn - 381856.0 / 106250.0) < 0.01);
    /* neighbours lie one pitch in or out */
    uint64_t nb[8];
    unsigned k = faults_cluster_neighbours(m, 1000, nb, 8);
    assert_true(k >= 2);
    for (unsigned j = 0; j < k; j++) {
        double dr = fabs(faults_cluster_radius(m, nb[j]) - faults_cluster_radius(m, 1000));
        assert_true(dr > 0.3 * pitch && dr < 1.7 * pitch);
    }
    medium_free(m);
}

/* Radius of cluster i's arc at angle deg, or -1 if its span does not hold deg (with
 * margin_frac of the span excluded at each end). */
static double arc_radius_at(const struct medium *m, uint64_t i, double deg, double margin_frac)
{
    double a0, a1;
    faults_cluster_span(m, i, &a0, &a1);
    double rel = fmod(deg - a0 + 720.0, 360.0);
    double span = a1 - a0;
    if (rel < margin_frac * span || rel > (1.0 - margin_frac) * span)
        return -1.0;
    double r0 = ref_radius((double)i / GEO_N), r1 = ref_radius((i + 1.0) / GEO_N);
    return r0 + (r1 - r0) * rel / span; /* the spiral's radius is linear in angle */
}

static void damage_map(struct medium *m, unsigned layer, uint32_t *changed, uint64_t *extent)
{
    uint8_t *b = buf_new(0);
    for (uint64_t i = 0; i < GEO_N; i++) {
        memset(b, 0, MEDIUM_CLUSTER_BYTES);
        changed[i] = faults_apply(m, layer, i, b);
        uint64_t first = UINT64_MAX, last = 0;
        for (uint64_t j = 0; j < MEDIUM_CLUSTER_BYTES; j++)
            if (b[j]) {
                if (first == UINT64_MAX)
                    first = j;
                last = j;
            }
        if (extent)
            extent[i] = first == UINT64_MAX ? 0 : last - first + 1;
    }
    free(b);
}

static void test_model_scratch_hits_crossed_tracks_only(void **state)
{
    (void)state;
    struct medium *m = medium_new(GEO_N, 61);
    m->faults[0] = (struct medium_fault){.kind = FAULT_SCRATCH, .id = 1};
    m->faults[0].u.scratch = (struct medium_scratch){.r0_mm = 30.0, .angle0_deg = 45.0,
                                                     .r1_mm = 40.0, .angle1_deg = 45.0,
                                                     .width_um = 20.0, .layer_mask = 2};
    assert_int_equal(faults_validate(m, &m->faults[0]), 0);
    m->fault_count = 1;
    static uint32_t near_c[GEO_N], far_c[GEO_N];
    static uint64_t near_x[GEO_N], far_x[GEO_N];
    damage_map(m, MEDIUM_LAYER_NEAR, near_c, near_x);
    damage_map(m, MEDIUM_LAYER_FAR, far_c, NULL);
    unsigned expected = 0, damaged = 0;
    for (uint64_t i = 0; i < GEO_N; i++) {
        assert_int_equal(far_c[i], 0); /* mask: near only */
        damaged += near_c[i] > 0;
        double r_in = arc_radius_at(m, i, 45.0, 0.01);
        if (r_in > 30.1 && r_in < 39.9) {
            expected++;
            assert_true(near_c[i] > 0);
            /* burst: (width + 2 cone) / 0.93 um per byte at most, ~47 um cone (§4.4) */
            assert_true(near_x[i] > 20 && near_x[i] < 140);
        }
        if (near_c[i] > 0) {
            /* a damaged cluster's arc passes 45 deg between 30 and 40 mm (its span
             * edge may be within a burst of 45 deg) */
            double r_any = arc_radius_at(m, i, 45.0, -0.02);
            assert_true(r_any > 29.9 && r_any < 40.1);
        }
    }
    /* one crossing per turn between 30 and 40 mm */
    double turns = 10.0 / ref_pitch_mm(GEO_N);
    assert_true(fabs(expected - turns) < 0.1 * turns);
    assert_true(damaged >= expected && damaged <= expected + 0.1 * turns);

    /* both layers: the far one sees a wider, weaker burst */
    m->faults[0].u.scratch.layer_mask = 3;
    damage_map(m, MEDIUM_LAYER_NEAR, near_c, near_x);
    damage_map(m, MEDIUM_LAYER_FAR, far_c, far_x);
    double ext_n = 0, ext_f = 0, dens_n = 0, dens_f = 0;
    unsigned both = 0;
    for (uint64_t i = 0; i < GEO_N; i++)
        if (near_c[i] > 0 && far_c[i] > 0 && near_x[i] > 0 && far_x[i] > 0) {
            both++;
            ext_n += (double)near_x[i];
            ext_f += (double)far_x[i];
            dens_n += near_c[i] / (double)near_x[i];
            dens_f += far_c[i] / (double)far_x[i];
        }
    assert_true(both > 0.8 * expected);
    assert_true(ext_f > 1.1 * ext_n);
    assert_true(dens_f < dens_n);
    medium_free(m);
}

static void test_model_dust_hits_both_layers(void **state)
{
    (void)state;
    struct medium *m = medium_new(GEO_N, 62);
    m->faults[0] = (struct medium_fault){.kind = FAULT_DUST, .id = 1};
    m->faults[0].u.dust = (struct medium_dust){.r_mm = 35.0, .angle_deg = 100.0,
                                               .diameter_um = 100.0};
    assert_int_equal(faults_validate(m, &m->faults[0]), 0);
    m->fault_count = 1;
    static uint32_t c[2][GEO_N];
    damage_map(m, MEDIUM_LAYER_NEAR, c[MEDIUM_LAYER_NEAR], NULL);
    damage_map(m, MEDIUM_LAYER_FAR, c[MEDIUM_LAYER_FAR], NULL);
    /* reach = particle radius + cone radius at the surface: 75 um x tan(asin(0.85/1.6))
     * = 47 um (near), + 25 um x tan(asin(0.85/1.55)) = 63 um (far) (§4.4, §7.2) */
    const double cone_um[2] = {47.0 + 16.4, 47.0};
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
        double reach_mm = (50.0 + cone_um[layer]) * 1e-3;
        unsigned hits = 0;
        for (uint64_t i = 0; i < GEO_N; i++) {
            double r = arc_radius_at(m, i, 100.0, -0.01);
            double dr = r < 0 ? 1e9 : fabs(r - 35.0);
            if (c[layer][i] > 0) {
                hits++;
                assert_true(dr < reach_mm * 1.05);
            }
            if (dr < 0.5 * reach_mm && arc_radius_at(m, i, 100.0, 0.01) > 0)
                assert_true(c[layer][i] > 0);
        }
        assert_true(hits >= 1);
    }
    medium_free(m);
}

static void test_model_defect_injection_deterministic(void **state)
{
    (void)state;
    const uint64_t n = 256;
    uint32_t per[2][2][256];
    for (int run = 0; run < 2; run++) {
        struct medium *m = medium_new(n, 71);
        m->faults[0] = (struct medium_fault){.kind = FAULT_DEFECTS, .id = 3};
        m->faults[0].u.defects = (struct medium_defects){.count = 50, .length_bytes = 100,
                                                         .layer_mask = 3};
        assert_int_equal(faults_validate(m, &m->faults[0]), 0);
        m->fault_count = 1;
        uint8_t *b = buf_new(0);
        unsigned clusters = 0;
        for (unsigned layer = 0; layer < 2; layer++)
            for (uint64_t i = 0; i < n; i++) {
                memset(b, 0, MEDIUM_CLUSTER_BYTES);
                per[run][layer][i] = faults_apply(m, layer, i, b);
                clusters += per[run][layer][i] > 0;
            }
        /* 50 bursts into 512 slots: 50 distinct clusters (a 1-byte burst may draw the
         * value it replaces, 1 % x 1/256) */
        assert_true(clusters >= 49 && clusters <= 50);
        free(b);
        medium_free(m);
    }
    assert_memory_equal(per[0], per[1], sizeof per[0]);
    /* count above the slots: every cluster of the mask gets floor or ceil */
    struct medium *m = medium_new(16, 71);
    m->faults[0] = (struct medium_fault){.kind = FAULT_DEFECTS, .id = 4};
    m->faults[0].u.defects = (struct medium_defects){.count = 40, .length_bytes = 1,
                                                     .layer_mask = 1};
    m->fault_count = 1;
    uint8_t *b = buf_new(0);
    for (uint64_t i = 0; i < 16; i++) {
        memset(b, 0, MEDIUM_CLUSTER_BYTES);
        (void)faults_apply(m, MEDIUM_LAYER_FAR, i, b);
        unsigned nz = 0;
        for (size_t j = 0; j < MEDIUM_CLUSTER_BYTES; j++)
            nz += b[j] != 0;
        assert_true(nz <= 3);
        memset(b, 0, MEDIUM_CLUSTER_BYTES);
        assert_int_equal(faults_apply(m, MEDIUM_LAYER_NEAR, i, b), 0);
    }
    free(b);
    medium_free(m);
}

static void test_model_faults_validate_rejects_bad(void **state)
{
    (void)state;
    struct medium *m = medium_new(16, 1);
    struct medium_fault f = {.kind = FAULT_SCRATCH, .id = 1};
    f.u.scratch = (struct medium_scratch){30, 0, 40, 10, 20, 3};
    assert_int_equal(faults_validate(m, &f), 0);
    struct medium_fault g = f;
    g.u.scratch.r1_mm = 61.0;
    assert_int_equal(faults_validate(m, &g), -EINVAL);
    g = f;
    g.u.scratch.r0_mm = -1.0;
    assert_int_equal(faults_validate(m, &g), -EINVAL);
    g = f;
    g.u.scratch.width_um = 0.0;
    assert_int_equal(faults_validate(m, &g), -EINVAL);
    g = f;
    g.u.scratch.width_um = 1e5;
    assert_int_equal(faults_validate(m, &g), -EINVAL);
    g = f;
    g.u.scratch.layer_mask = 0;
    assert_int_equal(faults_validate(m, &g), -EINVAL);
    g = f;
    g.u.scratch.angle0_deg = NAN;
    assert_int_equal(faults_validate(m, &g), -EINVAL);
    g = f;
    g.u.scratch.r1_mm = 30.0;
    g.u.scratch.angle1_deg = 0.0; /* zero length */
    assert_int_equal(faults_validate(m, &g), -EINVAL);

    struct medium_fault d = {.kind = FAULT_DUST, .id = 2};
    d.u.dust = (struct medium_dust){30, 10, 50};
    assert_int_equal(faults_validate(m, &d), 0);
    d.u.dust.diameter_um = -5;
    assert_int_equal(faults_validate(m, &d), -EINVAL);
    d.u.dust.diameter_um = NAN;
    assert_int_equal(faults_validate(m, &d), -EINVAL);
    d.u.dust = (struct medium_dust){70, 10, 50};
    assert_int_equal(faults_validate(m, &d), -EINVAL);

    struct medium_fault e = {.kind = FAULT_DEFECTS, .id = 3};
    e.u.defects = (struct medium_defects){10, 100, 1};
    assert_int_equal(faults_validate(m, &e), 0);
    e.u.defects.count = 0;
    assert_int_equal(faults_validate(m, &e), -EINVAL);
    e.u.defects = (struct medium_defects){10, 100, 0};
    assert_int_equal(faults_validate(m, &e), -EINVAL);
    e.u.defects = (struct medium_defects){10, 0, 1};
    assert_int_equal(faults_validate(m, &e), -EINVAL);
    e.u.defects = (struct medium_defects){2000000000u, 10, 1};
    assert_int_equal(faults_validate(m, &e), -EINVAL);
    struct medium_fault x = {.kind = 99};
    assert_int_equal(faults_validate(m, &x), -EINVAL);
    medium_free(m);
}

/* ---- cross-erase and the permutation ---------------------------------------------------- */

static void test_model_cross_erase_grows_with_heating(void **state)
{
    (void)state;
    struct medium_profile p;
    profile_fill(&p, 1);
    struct medium *m = medium_new_with(16, &p);
    assert_true(m->model[0].cross_erase_s == 0.0 && m->model[1].cross_erase_s == 0.0);
    double prev[2] = {0, 0};
    const double fr[] = {0.25, 0.3, 0.35};
    for (int i = 0; i < 3; i++) {
        m->profile.model.cross_erase = fr[i];
        reinit(m);
        for (unsigned layer = 0; layer < 2; layer++) {
            assert_true(m->model[layer].cross_erase_s > prev[layer]);
            prev[layer] = m->model[layer].cross_erase_s;
        }
        /* the low-Tg far layer loses a larger share of its marks' life than the near
         * one (§7.3 Tg 400 vs 480 K) */
        assert_true(m->model[MEDIUM_LAYER_FAR].cross_erase_s /
                        m->model[MEDIUM_LAYER_FAR].median_life_ref_s >
                    m->model[MEDIUM_LAYER_NEAR].cross_erase_s /
                        m->model[MEDIUM_LAYER_NEAR].median_life_ref_s);
    }
    medium_free(m);
}

static void test_model_permute_is_bijection(void **state)
{
    (void)state;
    const uint64_t sizes[] = {1, 2, 3, 17, 1000, 4099};
    for (size_t s = 0; s < 6; s++) {
        uint64_t n = sizes[s];
        uint8_t *hit = calloc(n, 1);
        assert_non_null(hit);
        for (uint64_t x = 0; x < n; x++) {
            uint64_t y = model_permute(0x1234, n, x, false);
            assert_true(y < n);
            assert_int_equal(hit[y], 0);
            hit[y] = 1;
            assert_int_equal(model_permute(0x1234, n, y, true), x);
        }
        free(hit);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_same_seed_same_bits),
        cmocka_unit_test(test_model_noise_rate_matches_configured),
        cmocka_unit_test(test_model_crosstalk_adds_ber),
        cmocka_unit_test(test_model_noise_free_read_is_exact),
        cmocka_unit_test(test_model_retention_monotone_and_one_way),
        cmocka_unit_test(test_model_layers_age_by_material),
        cmocka_unit_test(test_model_clock_is_constant_time),
        cmocka_unit_test(test_model_age_counts_disturb),
        cmocka_unit_test(test_model_wear_doubles_ser_at_n0),
        cmocka_unit_test(test_model_stuck_cells_follow_weibull),
        cmocka_unit_test(test_model_power_bathtub),
        cmocka_unit_test(test_model_erase_residue_with_velocity),
        cmocka_unit_test(test_model_production_defects),
        cmocka_unit_test(test_model_geometry_spiral),
        cmocka_unit_test(test_model_scratch_hits_crossed_tracks_only),
        cmocka_unit_test(test_model_dust_hits_both_layers),
        cmocka_unit_test(test_model_defect_injection_deterministic),
        cmocka_unit_test(test_model_faults_validate_rejects_bad),
        cmocka_unit_test(test_model_cross_erase_grows_with_heating),
        cmocka_unit_test(test_model_permute_is_bijection),
    };
    return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
