/*
 * clock.c — the simulated clock: wall seconds and, per layer, one equivalent-time
 * account per ageing mechanism (DESIGN.md "Errors, wear and time"): Arrhenius seconds
 * at 25 C for mark crystallization (physics.md §4.1), Eyring seconds at 25 C / 50 % RH
 * for the environmental damage of the stack (§9.5).
 *
 * Ageing moves only these accounts, so it is O(1) whatever the capacity; marks and
 * cells decay lazily when read (model.c, environ.c turn a cluster's share of an account
 * into lost bits). Steps are kept as runs at constant conditions (struct medium_clock):
 * splitting a run into steps only splits an exact sum of seconds, so 10 y + 20 y gives
 * the very bits of 30 y, and the accounts move only by one rounded product per change
 * of conditions. Arguments are checked by the caller (medium_age_rh); no I/O here.
 */
#include "medium_priv.h"

#include <math.h>

double clock_acceleration(double ea_ev, double temp_c)
{
    const double temp_k = temp_c + 273.15;
    return exp(ea_ev / MEDIUM_KB_EV * (1.0 / MEDIUM_REF_TEMP_K - 1.0 / temp_k));
}

double clock_env_acceleration(double dh_ev, double b, double temp_c, double rh)
{
    /* tau = A exp(dH / kB T) exp(B RH): the ratio tau(ref) / tau(T, RH) */
    return clock_acceleration(dh_ev, temp_c) * exp(b * (MEDIUM_ENV_REF_RH - rh));
}

/* The accounts at the end of the current run. */
static void clock_settle(struct medium_clock *c, const struct model_layer model[MEDIUM_LAYER_COUNT])
{
    const double rh = c->humidity_pct / 100.0;
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
        const struct model_layer *ml = &model[layer];
        c->equiv_s[layer] =
            c->base_equiv_s[layer] + c->run_s * clock_acceleration(ml->ea_ev, c->temperature_c);
        c->env_equiv_s[layer] =
            c->base_env_equiv_s[layer] +
            c->run_s * clock_env_acceleration(ml->env_dh_ev, ml->env_b, c->temperature_c, rh);
    }
}

void clock_advance(struct medium_clock *c, const struct model_layer model[MEDIUM_LAYER_COUNT],
                   double seconds, double temp_c, double rh_pct)
{
    if (c->run_s == 0.0 || temp_c != c->temperature_c || rh_pct != c->humidity_pct) {
        /* new conditions (or no run yet): the accounts so far become the base */
        for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
            c->base_equiv_s[layer] = c->equiv_s[layer];
            c->base_env_equiv_s[layer] = c->env_equiv_s[layer];
        }
        c->run_s = 0.0;
        c->temperature_c = temp_c;
        c->humidity_pct = rh_pct;
    }
    c->sim_s += seconds;
    c->run_s += seconds;
    clock_settle(c, model);
}
