/*
 * recording.c — how a write strategy lands on a layer: the powers the drive delivers at
 * its linear velocity, the power margin as a mark-width/jitter model, and the overwrite
 * (DOW) wear law with its first-overwrites bump (DESIGN.md "Recording", "Errors, wear
 * and time"; physics.md §3.3, §4.3, §4.5, §7.4).
 *
 * model.c calls these from layer_init and model_cluster_ber; they are pure functions of
 * the profile and the layer's derived model, keep no state and draw nothing. Each
 * constant cites physics.md and keeps its EST/DER mark.
 */
#include "medium_priv.h"

#include <math.h>

/* ---- write strategy and velocity (physics.md §3.5, §4.2, §7.4) ----------------------- */

/* A drive runs a write strategy per recording speed (BD media carry one per speed; the
 * §7.4 powers are the 1x ones). Between the speed a strategy was written for and the
 * speed in use, the drive scales every level as sqrt(v / v_strategy): the same EST law by
 * which model.c's optimum grows with velocity (less heat diffuses away per unit length
 * at a higher speed), so a calibrated strategy stays at the optimum ratio. */
double recording_strategy_scale(const struct medium_profile *p)
{
    if (!(p->strategy_velocity_m_s > 0.0) || !(p->linear_velocity_m_s > 0.0))
        return 1.0; /* the powers are given for the velocity in use */
    return sqrt(p->linear_velocity_m_s / p->strategy_velocity_m_s);
}

/* ---- power margin: mark width and jitter (physics.md §4.5) ---------------------------- */

/* Lateral profile of the heating: Gaussian with the Airy core's FWHM, 0.24 um for a
 * 0.48 um spot lambda/NA (§3.1 DER), i.e. FWHM = spot / 2, sigma = FWHM / 2.3548. */
#define HEAT_SIGMA_PER_SPOT (0.5 / 2.3548200450309493)

/* The written mark's half-width at the optimum, as a fraction of the spot; model.c's
 * erase kinetics use the same width (EST, ~half the 0.32 um track pitch, §3.1). */
const double recording_mark_half_width_per_spot = 0.17;

/* Jitter at the optimum and the limit-equalizer spec per layer: §4.5 (EST sigma0) and
 * §3.3 [S34] (specs L0 6.5 %, L1 8.5 %). */
#define JITTER0_FAR 0.050
#define JITTER0_NEAR 0.065
#define JITTER_SPEC_FAR 0.065
#define JITTER_SPEC_NEAR 0.085
/* SER when the jitter equals the spec: the format limit, §3.2 [S41], §4.5. */
#define SER_AT_SPEC 2.0e-4
/* EST: the power at which the narrow (under-power) side of the margin reaches the jitter
 * spec. §7.4 asks for jitter within spec over +-15 % of P_opt; the edge sits 2 % beyond
 * it so that the channel's noise floor (ser0) still fits under the 2e-4 limit at -15 %.
 * The over-power edge is not set: it follows from the mark-width law below (+31 %). */
#define MARGIN_LOW_EDGE 0.83

/* ln(P_opt / P_th): a mark of half-width w forms where the Gaussian heating exceeds the
 * melting threshold, w = s sqrt(2 ln(P / P_th)); at P_opt w is the nominal half-width
 * (DER from the two widths above: P_th = 0.73 P_opt, independent of the spot). */
static double log_opt_over_threshold(void)
{
    const double x = recording_mark_half_width_per_spot / HEAT_SIGMA_PER_SPOT;
    return 0.5 * x * x;
}

double recording_mark_width(double power_ratio)
{
    if (!(power_ratio > 0.0))
        return 0.0;
    double w2 = 1.0 + log(power_ratio) / log_opt_over_threshold();
    return w2 > 0.0 ? sqrt(w2) : 0.0;
}

/* sigma(P) = sigma0 + a (w(P)/w0 - 1)^2: §4.5's quadratic, in the mark width rather than
 * the power, so the margin is asymmetric: below P_opt the width collapses toward the
 * melting threshold (narrow, weak marks), above it grows only logarithmically (wider
 * marks, then wear, §1.5). a puts the spec at MARGIN_LOW_EDGE. */
double recording_jitter(unsigned layer, double power_ratio)
{
    const double sig0 = layer == MEDIUM_LAYER_NEAR ? JITTER0_NEAR : JITTER0_FAR;
    const double spec = layer == MEDIUM_LAYER_NEAR ? JITTER_SPEC_NEAR : JITTER_SPEC_FAR;
    const double edge = 1.0 - recording_mark_width(MARGIN_LOW_EDGE);
    const double a = (spec - sig0) / (edge * edge);
    const double dev = recording_mark_width(power_ratio) - 1.0;
    return sig0 + a * dev * dev;
}

/* SER of the marks written at power_ratio: the Gaussian edge model of §4.5,
 * SER = c erfc(0.5 / (sqrt2 sigma)), c such that sigma = spec gives 2e-4. No mark at
 * all (below the melting threshold) is a channel carrying nothing: 1. */
double recording_margin_ser(unsigned layer, double power_ratio)
{
    if (!(recording_mark_width(power_ratio) > 0.0))
        return 1.0;
    const double spec = layer == MEDIUM_LAYER_NEAR ? JITTER_SPEC_NEAR : JITTER_SPEC_FAR;
    const double c = SER_AT_SPEC / erfc(0.5 / (M_SQRT2 * spec));
    return fmin(1.0, c * erfc(0.5 / (M_SQRT2 * recording_jitter(layer, power_ratio))));
}

/* ---- overwrite wear (physics.md §4.3) -------------------------------------------------- */

/* §4.3: SER(N) = SER0 [1 + (N/N0)^beta] + SER_first [N <= 10]. N counts the cluster's
 * writes (as N0 and beta of §7.3 do); the bump covers the first ten direct overwrites,
 * DOW-1 ... DOW-10, i.e. writes 2 to 11 (§4.3, §9.6: EST, the electrical analogue being
 * the RESET current changing after the first RESETs [S103]). */
#define DOW_BUMP_LAST 10u

double recording_dow_ser(const struct model_layer *ml, uint32_t cycles)
{
    double ser = ml->ser_fresh * (1.0 + pow((double)cycles / ml->dow_n0, ml->dow_beta));
    if (cycles >= 2 && cycles - 1 <= DOW_BUMP_LAST)
        ser += ml->ser_first;
    return fmin(ser, 1.0);
}
