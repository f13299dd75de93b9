/*
 * clock.c — the simulated clock: wall seconds and, per layer, Arrhenius-equivalent
 * seconds at 25 C (DESIGN.md "Errors, wear and time").
 *
 * Ageing moves only these accounts, so it is O(1) whatever the capacity; marks decay
 * lazily when read (model.c turns a cluster's share of the account into lost marks).
 * The acceleration law is the one physics.md §4.1 uses for retention: a failure time
 * t(T) = tau0 exp(Ea / kB T), hence a factor exp(Ea/kB (1/T_ref - 1/T)) against 25 C.
 * Arguments are checked by the caller (medium_age); this file does no I/O.
 */
#include "medium_priv.h"

#include <math.h>

double clock_acceleration(double ea_ev, double temp_c)
{
    const double temp_k = temp_c + 273.15;
    return exp(ea_ev / MEDIUM_KB_EV * (1.0 / MEDIUM_REF_TEMP_K - 1.0 / temp_k));
}

void clock_advance(struct medium_clock *c, const struct model_layer model[MEDIUM_LAYER_COUNT],
                   double seconds, double temp_c)
{
    c->sim_s += seconds;
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++)
        c->equiv_s[layer] += seconds * clock_acceleration(model[layer].ea_ev, temp_c);
    c->temperature_c = temp_c;
}
