/*
 * environ.c — the second ageing mechanism of each layer: temperature and humidity
 * damage of the stack (reflector corrosion and sulfuration, dielectric and interface
 * ageing; physics.md §9.4), as the Eyring model of §9.5 that ISO/IEC 16963 fits.
 *
 * Damage D(t) = integral of dt / tau(T, RH), tau = A exp(dH / kB T) exp(B RH); clock.c
 * keeps the integral as Eyring-equivalent seconds at 25 C / 50 % RH per layer, and a
 * cluster's D is that account over its zone's median damage time. The raw symbol error
 * rate grows as log10 SER = log10 SER0 + D log10(SER_fail / SER0), so the median zone of
 * the median disc reaches the BD limit 2e-4 at D = 1; only the growth above SER0 is
 * added, the fresh channel being model.c's. Damage times spread lognormally across discs
 * (one quantile from the seed) and across radial zones (one per layer and zone), §9.5.
 *
 * It owns the env_* members of struct model_layer and the per-cluster damage. The bits a
 * damaged cell spoils are model.c's (model_read), drawn as persistent, sorted per-cell
 * thresholds like stuck cells, keyed by the cluster alone: corrosion survives a rewrite
 * and a cell once lost stays lost. No I/O, no locking.
 */
#include "medium_priv.h"

#include <errno.h>
#include <math.h>

/* key of the zones' lognormal draws in RNG_ENV, beside the per-cell streams (layer:index) */
#define ENV_STREAM_ZONES 0xE7A1ULL
#define ENV_WEYL 0x9E3779B97F4A7C15ULL /* 2^64 / golden ratio */

static bool finite_pos(double x)
{
    return isfinite(x) && x > 0.0;
}

int environ_init(struct medium *m)
{
    const struct medium_profile *p = &m->profile;
    const struct medium_model_profile *mp = &p->model;
    if (!finite_pos(mp->env_ser0) || !(mp->env_ser0 < MEDIUM_ENV_SER_FAIL) ||
        !(mp->env_disc_sigma >= 0.0) || !(mp->env_zone_sigma >= 0.0) ||
        !isfinite(mp->env_disc_sigma) || !isfinite(mp->env_zone_sigma))
        return -EINVAL;

    /* One draw per disc, shared by both layers (one production run, one sealing). It is
     * the Weyl sequence of the seed (Fibonacci hashing, u = frac(seed x 0.618...)), not a
     * hashed stream: discs of consecutive seeds then sample the lognormal evenly, so a
     * batch of a few discs, like a stress cell of a life test (§9.1), has its median
     * near the population's, and any seed still gets an honest quantile. */
    const double u = ((double)(p->seed * ENV_WEYL) + 0.5) * 0x1p-64;
    const double disc_z = util_normal_quantile(u);
    struct util_rng rng;

    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
        const struct medium_layer_profile *lp = &p->layer[layer];
        struct model_layer *ml = &m->model[layer];
        if (!finite_pos(lp->env_activation_ev) || !(lp->env_humidity_b <= 0.0) ||
            !isfinite(lp->env_humidity_b) || !finite_pos(lp->env_t50_h))
            return -EINVAL;
        ml->env_dh_ev = lp->env_activation_ev;
        ml->env_b = lp->env_humidity_b;
        /* t50 is given at the 80/85 stress cell; the account counts at 25/50 */
        ml->env_life_ref_s = lp->env_t50_h * 3600.0 *
                             clock_env_acceleration(ml->env_dh_ev, ml->env_b,
                                                    MEDIUM_ENV_STRESS_C, MEDIUM_ENV_STRESS_RH);
        if (!finite_pos(ml->env_life_ref_s))
            return -EINVAL;
        ml->env_ser0 = mp->env_ser0;
        ml->env_log_gain = log(MEDIUM_ENV_SER_FAIL / mp->env_ser0);
        ml->env_disc_factor = exp(mp->env_disc_sigma * disc_z);
        util_rng_stream(&rng, p->seed, RNG_ENV, ENV_STREAM_ZONES, layer + 1, 0);
        for (unsigned z = 0; z < MEDIUM_ENV_ZONES; z++)
            ml->env_zone_factor[z] =
                exp(mp->env_disc_sigma * disc_z + mp->env_zone_sigma * util_rng_normal(&rng));
    }
    return 0;
}

double environ_cluster_damage(const struct medium *m, unsigned layer, uint64_t index)
{
    const struct model_layer *ml = &m->model[layer];
    const double account = m->clock.env_equiv_s[layer];
    if (!(account > 0.0))
        return 0.0;
    unsigned z = faults_cluster_zone(m, index, MEDIUM_ENV_ZONES);
    return account / (ml->env_life_ref_s * ml->env_zone_factor[z]);
}

double environ_ser(const struct model_layer *ml, double damage)
{
    if (!(damage > 0.0))
        return 0.0;
    double ser = ml->env_ser0 * expm1(damage * ml->env_log_gain);
    return ser < 1.0 ? ser : 1.0;
}

double medium_env_time_to_ser(const struct medium *m, unsigned layer, double ser,
                              double temp_c, double rh_pct)
{
    if (!m || layer >= MEDIUM_LAYER_COUNT || !(ser > 0.0 && ser < 1.0) || !isfinite(temp_c) ||
        temp_c < -40.0 || temp_c > 200.0 || !(rh_pct >= 0.0 && rh_pct <= 100.0))
        return NAN;
    const struct model_layer *ml = &m->model[layer];
    double worst = ml->env_zone_factor[0];
    for (unsigned z = 1; z < MEDIUM_ENV_ZONES; z++)
        worst = fmin(worst, ml->env_zone_factor[z]);
    /* invert environ_ser for the damage, then the account for the time */
    double damage = log1p(ser / ml->env_ser0) / ml->env_log_gain;
    double need_s = damage * ml->env_life_ref_s * worst - m->clock.env_equiv_s[layer];
    if (need_s <= 0.0)
        return 0.0;
    double accel = clock_env_acceleration(ml->env_dh_ev, ml->env_b, temp_c, rh_pct / 100.0);
    return accel > 0.0 ? need_s / accel : INFINITY;
}
