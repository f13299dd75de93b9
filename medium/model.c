/*
 * model.c — recording physics and error model of each layer: the optimum write power,
 * the power-margin bathtub, erase completeness, transient read noise, overwrite wear,
 * stuck cells and retention loss (DESIGN.md "Recording", "Errors, wear and time").
 *
 * It owns struct model_layer (derived once by model_init) and the bit-level effects of
 * a write and a read. It does not do I/O, locking, geometry or fault damage (faults.c)
 * and never keeps per-cluster state: every effect is a pure function of the seed, the
 * cluster key and its metadata, drawn from keyed streams (enum medium_rng_domain), and
 * costs O(events), never O(bits). Figures come from physics.md §3.1, §4.1–4.5 and
 * §7.2–7.4; each constant below cites its section and keeps its EST/DER mark.
 */
#include "medium_priv.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#define KB_J_K 1.380649e-23 /* Boltzmann constant, J/K (SI, exact) */
#define CLUSTER_BITS ((uint64_t)MEDIUM_CLUSTER_BITS)

/* ---- optimum write power (physics.md §7.4, §2.3, §7.3) ------------------------------ */

/* Reference: the bd-re-dl near layer, whose optimum peak power is 6.5 mW (§7.4, EST).
 * Ge8Sb2Te11-type film 8 nm (§7.2), rho*cp 1.25 MJ/m3K and dHf 625 MJ/m3 ([S7] GST values
 * used for the near layer in §7.3), Tm 960 K (§7.3 EST), 10 nm Ag (§7.2), absorbed
 * fraction 0.438 (§2.3 DER, crystalline), 25 C, 405 nm / NA 0.85 at 4.917 m/s (§3.1). */
#define REF_POWER_MW 6.5
#define REF_RHO_CP_J_M3K 1.25e6
#define REF_HF_J_M3 625e6
#define REF_TM_K 960.0
#define REF_THICKNESS_NM 8.0
#define REF_REFLECTOR_NM 10.0
#define REF_ABSORBED 0.438
#define REF_SPOT_UM (0.405 / 0.85)
#define REF_VELOCITY_M_S 4.917

/* EST: an Ag reflector behind the film sinks heat in proportion to its thickness, with
 * this length as the scale at which it doubles the energy needed (1 + d_Ag / L). 200 nm
 * puts the bd-re-dl far layer (12 nm film behind 80 nm Ag, absorbed 0.41 through the
 * near layer) at 12.5 mW against the 12 mW of §7.4 while the near layer is held at
 * 6.5 mW; the Ag thermal diffusion length over a few-ns pulse is of the same order. */
#define HEAT_SINK_LENGTH_NM 200.0

/* ---- power margin (physics.md §4.5; the jitter model is recording.c's) ------------- */
/* EST: over-power wears faster (DESIGN.md "Recording"; §1.5: hotter melts drive more
 * mass transport and S diffusion); N0 shrinks by exp(-k (P/P_opt - 1)) above P_opt, so
 * the +15 % margin edge halves the overwrite life. */
#define OVERPOWER_WEAR_K 5.0

/* ---- erase kinetics (physics.md §4.2, §7.3) ------------------------------------------- */
/* EST: CET counts as the time to 99.9 % crystallized, i.e. a residue of 1e-3. */
#define CET_RESIDUE 1e-3
#define AVRAMI_NUCLEATION 2.5 /* §7.3 (near layer), §4.2: 2.5-4 */
#define AVRAMI_GROWTH 2.0     /* §4.2: 1-2 for growth from the mark rim; EST upper end */
/* EST: below this residue per mark the erase counts as complete: < 1e-6 wrong bits per
 * cluster, so the caller need not read the old bytes back. */
#define RESIDUE_NEGLIGIBLE 1e-12
/* MYEGA growth law with the constants of [S7] (physics.md §4.2): r = R_h = 0.1365 nm,
 * lambda_j = 0.299 nm, v_m = 2.9e-28 m3, fragility m = 140, eta_inf = 0.012 Pa s. */
#define MYEGA_JUMP_M 0.299e-9
#define MYEGA_VM_M3 2.9e-28
#define MYEGA_FRAGILITY 140.0
#define MYEGA_ETA_INF_PA_S 0.012

/* ---- production defects (EST mapping from sputtering, DESIGN.md "Faults") ------------- */
/* EST: particulate density of a sputtered stack: 0.05 /cm2 with Ar, 0.035 with the
 * heavier Kr (lower-energy reflected neutrals, less arcing); faster deposition spits
 * more (x (1 + rate / 10 nm/s)); reactive N2/O2 poisons the target and arcs
 * (x (1 + 5 (fN2 + fO2))). At the presets this gives ~2e-3 defects per cluster. */
#define DEFECT_BASE_AR_PER_CM2 0.05
#define DEFECT_BASE_KR_PER_CM2 0.035
#define DEFECT_RATE_SCALE_NM_S 10.0
#define DEFECT_REACTIVE_GAIN 5.0

/* ---- surface geometry fallback (physics.md §3.6, §7.1 EST) ------------------------------ */
#define DEPTH_NEAR_UM 75.0
#define DEPTH_FAR_UM 100.0
#define COVER_INDEX 1.6 /* §7.2 EST */

/* ------------------------------------------------------------------------------------ */

/* Bit rate of independent bit errors that give symbol (byte) error rate ser:
 * 1 - (1 - ber)^8 = ser. The error model everywhere counts bits. */
static double ser_to_ber(double ser)
{
    if (!(ser > 0.0))
        return 0.0;
    if (ser >= 1.0)
        return 0.5;
    double ber = -expm1(log1p(-ser) / 8.0);
    return ber > 0.5 ? 0.5 : ber;
}

static double ber_to_ser(double ber)
{
    if (!(ber > 0.0))
        return 0.0;
    if (ber >= 0.5)
        return 1.0;
    return -expm1(8.0 * log1p(-ber));
}

/* log10 of the crystal growth velocity (m/s) at temp_k: MYEGA viscosity and the
 * Wilson-Frenkel driving force of physics.md §4.2 [S7], with the layer's Tm, Tg, dHf.
 * Kept in logs: at room temperature the viscosity overflows a double. */
static double growth_log10_m_s(double temp_k, double tm_k, double tg_k, double hf_j_m3)
{
    if (!(temp_k > 0.0) || temp_k >= tm_k)
        return -INFINITY;
    const double log_eta_inf = log10(MYEGA_ETA_INF_PA_S);
    const double x = tg_k / temp_k;
    const double log_eta = log_eta_inf + (12.0 - log_eta_inf) * x *
                                             exp((MYEGA_FRAGILITY / (12.0 - log_eta_inf) - 1.0) *
                                                 (x - 1.0));
    const double kbt = KB_J_K * temp_k;
    const double dg = MYEGA_VM_M3 * hf_j_m3 * (tm_k - temp_k) / tm_k * 2.0 * temp_k /
                      (tm_k + temp_k);
    const double drive = -expm1(-dg / kbt);
    if (!(drive > 0.0))
        return -INFINITY;
    /* r = R_h, so the prefactor is 4 kB T / (3 pi lambda_j^2 eta) */
    return log10(4.0 * kbt / (3.0 * M_PI * MYEGA_JUMP_M * MYEGA_JUMP_M)) - log_eta +
           log10(drive);
}

/* Temperature of the fastest growth between Tg and Tm (1 K steps): what a well-set
 * erase power aims for. */
static double growth_peak_k(double tm_k, double tg_k, double hf_j_m3)
{
    double best_k = 0.85 * tm_k, best = -INFINITY;
    double lo = tg_k > 0.0 ? tg_k : 0.5 * tm_k;
    for (double t = lo + 1.0; t < tm_k; t += 1.0) {
        double g = growth_log10_m_s(t, tm_k, tg_k, hf_j_m3);
        if (g > best) {
            best = g;
            best_k = t;
        }
    }
    return best_k;
}

/* Energy (arbitrary units) to melt a mark: heat to Tm plus fusion, per film thickness,
 * times the reflector's heat sinking, over the fraction of the beam the film absorbs. */
static double melt_energy(double rho_cp, double tm_k, double amb_k, double hf, double d_nm,
                          double reflector_nm, double absorbed)
{
    return (rho_cp * (tm_k - amb_k) + hf) * d_nm * (1.0 + reflector_nm / HEAT_SINK_LENGTH_NM) /
           absorbed;
}

/* Film index of the recording film of layer, or -1. */
static int recording_film(const struct medium_profile *p, unsigned layer)
{
    for (unsigned i = 0; i < p->film_count && i < MEDIUM_MAX_FILMS; i++)
        if (p->films[i].role == MEDIUM_FILM_RECORDING && p->films[i].layer == (int)layer)
            return (int)i;
    return -1;
}

/* Thickness of the reflector of the information stack that holds film rec. */
static double reflector_nm(const struct medium_profile *p, int rec)
{
    for (unsigned i = (unsigned)rec + 1; i < p->film_count && i < MEDIUM_MAX_FILMS; i++) {
        if (p->films[i].role == MEDIUM_FILM_REFLECTIVE)
            return p->films[i].thickness_nm;
        if (p->films[i].role == MEDIUM_FILM_SEPARATING ||
            p->films[i].role == MEDIUM_FILM_SUBSTRATE)
            break;
    }
    return 0.0;
}

/* Radius of the beam cone at the cover surface when focused on film rec: the marginal
 * ray at asin(NA/n) through every film in front (geometric optics, physics.md §4.4). */
static double cone_radius_um(const struct medium *m, unsigned layer, int rec)
{
    const struct medium_profile *p = &m->profile;
    if (rec < 0 || p->film_count == 0) {
        /* EST depths 75/100 um under an n = 1.6 cover (§3.6, §7.1, §7.2) */
        double d = layer == MEDIUM_LAYER_NEAR ? DEPTH_NEAR_UM : DEPTH_FAR_UM;
        double s = p->na / COVER_INDEX;
        return d * s / sqrt(1.0 - s * s);
    }
    double r_um = 0.0;
    for (int i = 0; i < rec; i++) {
        const struct medium_film *f = &p->films[i];
        double n = f->n;
        if (f->role == MEDIUM_FILM_RECORDING && f->layer >= 0 && f->layer < MEDIUM_LAYER_COUNT)
            n = m->material[f->layer].n_c;
        double s = n > 0.0 ? p->na / n : 0.999;
        if (s > 0.999)
            s = 0.999; /* NA beyond the index: the cone is cut off; keep it finite */
        r_um += f->thickness_nm * 1e-3 * s / sqrt(1.0 - s * s);
    }
    return r_um;
}

static bool finite_pos(double x)
{
    return isfinite(x) && x > 0.0;
}

static int layer_init(struct medium *m, unsigned layer)
{
    const struct medium_profile *p = &m->profile;
    const struct medium_layer_profile *lp = &p->layer[layer];
    const struct medium_material *mat = &m->material[layer];
    const struct medium_layer_optics *o = &m->optics.layer[layer];
    const struct medium_layer_optics *near = &m->optics.layer[MEDIUM_LAYER_NEAR];
    const struct medium_layer_optics *other = &m->optics.layer[1 - layer];
    struct model_layer *ml = &m->model[layer];
    const double amb_k = p->temperature_c + 273.15;

    int rec = recording_film(p, layer);
    if (rec < 0)
        return -EINVAL;
    const double d_nm = p->films[rec].thickness_nm;
    if (!finite_pos(d_nm) || !finite_pos(mat->tm_k) || mat->tm_k <= amb_k ||
        !finite_pos(mat->rho_cp_j_m3k) || !(mat->hf_j_m3 >= 0.0) || !finite_pos(o->Ac_eff) ||
        !finite_pos(p->wavelength_nm) || !finite_pos(p->na) ||
        !finite_pos(p->linear_velocity_m_s) || !finite_pos(mat->ea_ev) ||
        !finite_pos(mat->t10_k) || !(lp->peak_power_mw >= 0.0) ||
        !(lp->erase_power_mw >= 0.0) || !(p->model.ser0 >= 0.0) ||
        !(p->model.crosstalk >= 0.0) || !(p->model.retention_sigma >= 0.0) ||
        !(p->model.read_disturb_s >= 0.0) || !isfinite(p->model.cross_erase) ||
        !(p->strategy_velocity_m_s >= 0.0) || !(p->model.dow_first_ser >= 0.0) ||
        !isfinite(p->model.defect_density_per_cm2) || !isfinite(p->model.stuck_onset) ||
        !isfinite(p->model.stuck_shape))
        return -EINVAL;

    const double spot_um = p->wavelength_nm * 1e-3 / p->na;
    const double dwell_ns = spot_um / p->linear_velocity_m_s * 1e3; /* §4.2: 97 ns at 1x */
    const double half_width_nm = recording_mark_half_width_per_spot * spot_um * 1e3;

    /* Optimum peak power. EST scaling beyond the reference: a mark is spot-wide, and at
     * a higher velocity less heat diffuses away per unit length, so power grows as
     * (spot) x sqrt(v) rather than linearly in v. */
    const double k_mw = REF_POWER_MW / melt_energy(REF_RHO_CP_J_M3K, REF_TM_K, MEDIUM_REF_TEMP_K,
                                                   REF_HF_J_M3, REF_THICKNESS_NM,
                                                   REF_REFLECTOR_NM, REF_ABSORBED);
    const double e_melt = melt_energy(mat->rho_cp_j_m3k, mat->tm_k, amb_k, mat->hf_j_m3, d_nm,
                                      reflector_nm(p, rec), o->Ac_eff);
    ml->power_opt_mw = k_mw * e_melt * (spot_um / REF_SPOT_UM) *
                       sqrt(p->linear_velocity_m_s / REF_VELOCITY_M_S);
    const double strategy = recording_strategy_scale(p);
    ml->power_ratio = lp->peak_power_mw * strategy / ml->power_opt_mw;

    /* Power margin: persistent errors of marks written too narrow or too wide
     * (recording.c). ser0 = 0 selects an ideal channel: no power-margin errors either. */
    ml->write_error_rate =
        p->model.ser0 > 0.0 ? ser_to_ber(recording_margin_ser(layer, ml->power_ratio)) : 0.0;

    /* Erase. The optimum heats the film to the growth maximum T_er; power scales with
     * the sensible heat only (no fusion). Too little: slower kinetics by the growth
     * law's ratio u(T)/u(T_er). Too much: the centre re-melts and re-amorphizes a
     * band of the mark, y_m = h sqrt(2 ln(q / q_melt)) for a Gaussian lateral profile
     * of width h (EST). */
    const double tg_k = mat->tg_k > 0.0 ? mat->tg_k : 0.5 * mat->tm_k;
    const double t_er_k = growth_peak_k(mat->tm_k, tg_k, mat->hf_j_m3);
    if (!(t_er_k > amb_k))
        return -EINVAL; /* the film would crystallize at ambient: no usable erase */
    ml->erase_opt_mw = ml->power_opt_mw * mat->rho_cp_j_m3k * (t_er_k - amb_k) /
                       (mat->rho_cp_j_m3k * (mat->tm_k - amb_k) + mat->hf_j_m3);
    const double q = lp->erase_power_mw * strategy / ml->erase_opt_mw;
    const double t_erase_k = amb_k + q * (t_er_k - amb_k);
    const double u_peak_log = growth_log10_m_s(t_er_k, mat->tm_k, tg_k, mat->hf_j_m3);
    double kinetic = 1.0;
    if (q < 1.0)
        kinetic = pow(10.0, growth_log10_m_s(t_erase_k, mat->tm_k, tg_k, mat->hf_j_m3) -
                                u_peak_log);
    double tau_ns, avrami;
    if (mat->mechanism == MEDIUM_NUCLEATION_DOMINATED && mat->cet_ns > 0.0) {
        avrami = AVRAMI_NUCLEATION;
        tau_ns = mat->cet_ns / pow(log(1.0 / CET_RESIDUE), 1.0 / avrami);
    } else if (mat->growth_m_s > 0.0) {
        /* the rim's front crosses the half-width in h / u: that is when the mark is
         * erased, so it counts as the 99.9 % point, as CET does above */
        avrami = AVRAMI_GROWTH;
        tau_ns = half_width_nm / mat->growth_m_s / /* nm / (m/s) = ns */
                 pow(log(1.0 / CET_RESIDUE), 1.0 / avrami);
    } else {
        return -EINVAL;
    }
    double residue = 1.0;
    if (kinetic > 0.0)
        residue = exp(-pow(dwell_ns * kinetic / tau_ns, avrami));
    const double q_melt = (mat->tm_k - amb_k) / (t_er_k - amb_k);
    double remelt = 0.0;
    if (q > q_melt)
        remelt = fmin(1.0, sqrt(2.0 * log(q / q_melt)));
    ml->erase_completeness = (1.0 - residue) * (1.0 - remelt);
    if (1.0 - ml->erase_completeness < RESIDUE_NEGLIGIBLE)
        ml->erase_completeness = 1.0;

    /* Transient BER: ser0 is a byte error rate (§4.3) at the format's optics; bits err
     * independently, so ber = 1 - (1 - ser)^(1/8). A layer whose reflectance swing
     * Rc_eff - Ra_eff is smaller than the near layer's reads proportionally noisier (EST:
     * linear). The drive's optics scale the signal against the noise (readout.c): the
     * eye is Q(z), z = Q^-1(ber) x gain; marks the objective cannot resolve read as
     * coin tosses whatever the noise. */
    const double swing = fabs(o->Rc_eff - o->Ra_eff);
    const double swing_near = fabs(near->Rc_eff - near->Ra_eff);
    const double gain = readout_signal_gain(p);
    double ser_layer = p->model.ser0;
    if (ser_layer > 0.0)
        ser_layer = swing > 0.0 ? ser_layer * swing_near / swing : 1.0;
    ml->ber_fresh = ser_to_ber(fmin(ser_layer, 1.0));
    if (!(gain > 0.0)) {
        ml->ber_fresh = 0.5;
    } else if (ml->ber_fresh > 0.0 && ml->ber_fresh < 0.5 && gain != 1.0) {
        double z = -util_normal_quantile(ml->ber_fresh) * gain;
        ml->ber_fresh = util_normal_cdf(-z);
    }
    ml->ser_fresh = ber_to_ser(ml->ber_fresh);
    /* the DOW bump is read through the same channel */
    ml->ser_first = p->model.ser0 > 0.0
                        ? fmax(0.0, p->model.dow_first_ser) * ml->ser_fresh / p->model.ser0
                        : 0.0;

    /* Crosstalk (§4.4): the other layer's modulation, crosstalk x its swing, is an
     * interference against this layer's half eye opening (swing / 2). With the eye
     * normalised to 1, the noise is sigma_n = 1 / Q^-1(ber_fresh); interference adds in
     * quadrature: ber = Q(1 / sqrt(sigma_n^2 + x^2)). The term is the excess. The
     * profile's fraction holds for the 25 um spacer; readout.c scales it to the real one
     * (a spacer inside the depth of focus: the other layer fully in the signal). */
    ml->crosstalk_ber = 0.0;
    const double xtalk = p->model.crosstalk > 0.0
                             ? fmin(1.0, p->model.crosstalk * readout_crosstalk_scale(p))
                             : 0.0; /* (0 x an infinite scale is no crosstalk, not NaN) */
    if (xtalk > 0.0 && ml->ber_fresh < 0.5) {
        double x = swing > 0.0 ? 2.0 * xtalk * fabs(other->Rc_eff - other->Ra_eff) / swing
                               : 1.0;
        double sn = 0.0;
        if (ml->ber_fresh > 0.0) {
            double z = -util_normal_quantile(ml->ber_fresh);
            sn = z > 0.0 ? 1.0 / z : 1e3;
        }
        double st = sqrt(sn * sn + x * x);
        double total = st > 0.0 ? util_normal_cdf(-1.0 / st) : 0.0;
        ml->crosstalk_ber = fmax(0.0, total - ml->ber_fresh);
    }

    /* Overwrite wear (§4.3): profile values win over the material's. */
    double n0 = lp->dow_n0_cycles > 0.0 ? lp->dow_n0_cycles : mat->dow_n0_cycles;
    double beta = lp->dow_beta > 0.0 ? lp->dow_beta : mat->dow_beta;
    if (!finite_pos(n0) || !finite_pos(beta))
        return -EINVAL;
    if (ml->power_ratio > 1.0)
        n0 *= exp(-OVERPOWER_WEAR_K * (ml->power_ratio - 1.0));
    ml->dow_n0 = n0;
    ml->dow_beta = beta;

    /* Retention (§4.1): tau0 = 3.156e8 s exp(-Ea/kB T10); life(T) = tau0 exp(Ea/kB T). */
    ml->ea_ev = mat->ea_ev;
    ml->median_life_ref_s = MEDIUM_SECONDS_PER_YEAR * 10.0 *
                            exp(mat->ea_ev / MEDIUM_KB_EV *
                                (1.0 / MEDIUM_REF_TEMP_K - 1.0 / mat->t10_k));
    ml->retention_sigma = p->model.retention_sigma;

    /* Stuck cells: Weibull endurance per cell; onset <= 0 or shape <= 0 disables. */
    if (p->model.stuck_onset > 0.0 && p->model.stuck_shape > 0.0) {
        ml->stuck_scale_cycles = p->model.stuck_onset * n0;
        ml->stuck_shape = p->model.stuck_shape;
    } else {
        ml->stuck_scale_cycles = 0.0;
        ml->stuck_shape = 0.0;
    }

    /* Production defects: density x the area in which a defect's centre hits the
     * cluster's track, arc x (pitch + mean burst length). This capture area is the same
     * at every capacity, so defects per cluster do not depend on how big the medium is.
     * density > 0 is taken as given; < 0 means none; 0 derives it from sputtering. */
    ml->defect_burst_bytes = (MEDIUM_DEFECT_BURST_MAX_B - MEDIUM_DEFECT_BURST_MIN_B) /
                             log(MEDIUM_DEFECT_BURST_MAX_B / MEDIUM_DEFECT_BURST_MIN_B);
    double density = p->model.defect_density_per_cm2;
    if (density == 0.0) {
        bool kr = strncasecmp(p->sputter_gas, "Kr", 2) == 0;
        density = kr ? DEFECT_BASE_KR_PER_CM2 : DEFECT_BASE_AR_PER_CM2;
        density *= 1.0 + fmax(0.0, lp->film_rate_nm_s) / DEFECT_RATE_SCALE_NM_S;
        density *= 1.0 + DEFECT_REACTIVE_GAIN * (fmax(0.0, p->n2_fraction) +
                                                 fmax(0.0, p->o2_fraction));
    } else if (density < 0.0) {
        density = 0.0;
    }
    const double um_per_byte = faults_cluster_arc_mm() * 1e3 / MEDIUM_CLUSTER_BYTES;
    const double capture_mm2 = faults_cluster_arc_mm() *
                               (0.32e-3 + ml->defect_burst_bytes * um_per_byte * 1e-3);
    ml->defects_per_cluster = density * capture_mm2 * 1e-2;

    /* Read disturb (§4.4): the read beam's heating (readout.c) plus the profile's
     * extra equivalent seconds per read. */
    ml->read_disturb_s = p->model.read_disturb_s +
                         readout_disturb_s(p, mat->ea_ev, ml->erase_opt_mw, t_er_k, dwell_ns);

    /* Cross-erase (§4.4): a neighbour write holds this track at T_amb + f (Tm - T_amb)
     * for one spot transit, f being the profile's fraction at P_opt and growing with the
     * delivered peak power (linear heating: over-power re-heats the neighbours' marks); the rim of each mark grows by delta = u(T) x dwell (MYEGA,
     * scaled so its maximum is the material's growth_m_s, §4.2). A mark is gone when
     * its rim has grown a half-width h, which at 25 C takes the median life, so the
     * write is worth median_life x delta / h equivalent seconds. (delta / u(298 K) with
     * u(298 K) from MYEGA is numerically unusable: the viscosity overflows.) */
    ml->cross_erase_s = 0.0;
    if (p->model.cross_erase > 0.0) {
        double f = fmin(p->model.cross_erase * fmax(ml->power_ratio, 0.0), 1.0);
        double t_n = amb_k + f * (mat->tm_k - amb_k);
        double lu = growth_log10_m_s(t_n, mat->tm_k, tg_k, mat->hf_j_m3);
        if (mat->growth_m_s > 0.0 && isfinite(u_peak_log))
            lu += log10(mat->growth_m_s) - u_peak_log;
        double delta_nm = pow(10.0, lu) * dwell_ns; /* m/s x ns = nm */
        ml->cross_erase_s = ml->median_life_ref_s * fmin(delta_nm / half_width_nm, 10.0);
    }

    ml->surface_cone_radius_um = cone_radius_um(m, layer, rec);
    return 0;
}

int model_init(struct medium *m)
{
    for (unsigned layer = 0; layer < MEDIUM_LAYER_COUNT; layer++) {
        int rc = layer_init(m, layer);
        if (rc < 0)
            return rc;
    }
    return environ_init(m);
}

bool model_write_needs_old(const struct medium *m, unsigned layer)
{
    return m->model[layer].erase_completeness < 1.0;
}

/* ---- keyed permutation ----------------------------------------------------------------- */

static uint64_t feistel_round(uint64_t key, unsigned round, uint64_t half, uint64_t mask)
{
    return util_mix64(key ^ util_mix64(half + 0x9e3779b97f4a7c15ULL * (round + 1))) & mask;
}

#define FEISTEL_ROUNDS 6

uint64_t model_permute(uint64_t key, uint64_t n, uint64_t x, bool inverse)
{
    if (n <= 1)
        return 0;
    unsigned bits = 64 - (unsigned)__builtin_clzll(n - 1);
    if (bits < 2)
        bits = 2;
    bits += bits & 1u;
    const unsigned hb = bits / 2;
    const uint64_t mask = hb >= 64 ? UINT64_MAX : (1ULL << hb) - 1;
    /* Cycle walking: the domain is at most 4n, so on average < 4 passes. */
    do {
        uint64_t l = x >> hb, r = x & mask;
        if (!inverse) {
            for (unsigned i = 0; i < FEISTEL_ROUNDS; i++) {
                uint64_t t = l ^ feistel_round(key, i, r, mask);
                l = r;
                r = t;
            }
        } else {
            for (unsigned i = FEISTEL_ROUNDS; i-- > 0;) {
                uint64_t t = r ^ feistel_round(key, i, l, mask);
                r = l;
                l = t;
            }
        }
        x = (l << hb) | r;
    } while (x >= n);
    return x;
}

/* ---- order statistics: lazily generated per-cell thresholds ----------------------------
 *
 * Each of the n cells of a cluster has an iid U(0,1) threshold (a stuck-cell endurance
 * quantile, a mark-lifetime quantile). Only the cells below a limit matter, so the
 * thresholds are generated in increasing order, U(1) = 1 - V^(1/n),
 * U(k+1) = U(k) + (1 - U(k)) (1 - V^(1/(n-k))), and the k-th smallest is placed on cell
 * permute(k). The stream is a fixed sequence, so the set below a limit only grows as
 * the limit rises: loss is monotone and persistent at cost O(cells below the limit). */

struct order_walk {
    struct util_rng rng;
    uint64_t perm_key;
    uint64_t k;
    double u;
};

static void walk_start(struct order_walk *w, uint64_t seed, uint32_t domain, uint64_t a,
                       uint64_t b)
{
    util_rng_stream(&w->rng, seed, domain, a, b, 0);
    w->perm_key = util_rng_u64(&w->rng);
    w->k = 0;
    w->u = 0.0;
}

/* Next cell whose threshold is <= limit: its bit position and one extra random word
 * (drawn for every event, used or not, so the stream is the same for every limit). */
static bool walk_next(struct order_walk *w, double limit, uint64_t *pos, uint64_t *extra)
{
    if (w->k >= CLUSTER_BITS)
        return false;
    double v = util_rng_uniform(&w->rng);
    w->u += (1.0 - w->u) * -expm1(log(v) / (double)(CLUSTER_BITS - w->k));
    if (w->u > limit)
        return false;
    *extra = util_rng_u64(&w->rng);
    *pos = model_permute(w->perm_key, CLUSTER_BITS, w->k, false);
    w->k++;
    return true;
}

/* ---- per-cluster quantities ------------------------------------------------------------ */

static double weibull_cdf(const struct model_layer *ml, uint32_t cycles)
{
    if (!(ml->stuck_scale_cycles > 0.0) || cycles == 0)
        return 0.0;
    return -expm1(-pow((double)cycles / ml->stuck_scale_cycles, ml->stuck_shape));
}

double model_cluster_ber(const struct medium *m, unsigned layer,
                         const struct medium_cluster_meta *meta)
{
    const struct model_layer *ml = &m->model[layer];
    double ber = 0.0;
    if (ml->ber_fresh > 0.0) /* §4.3 in the symbol domain (recording.c) */
        ber = ser_to_ber(recording_dow_ser(ml, meta->cycles));
    ber += ml->crosstalk_ber;
    return ber > 0.5 ? 0.5 : ber;
}

double model_cluster_age(const struct medium *m, unsigned layer,
                         const struct medium_cluster_meta *meta)
{
    const struct model_layer *ml = &m->model[layer];
    double age = m->clock.equiv_s[layer] - meta->write_equiv_s + meta->disturb_equiv_s +
                 (double)meta->reads * ml->read_disturb_s;
    return age > 0.0 ? age : 0.0;
}

double model_retention_fraction(const struct medium *m, unsigned layer, double equiv_age_s)
{
    const struct model_layer *ml = &m->model[layer];
    if (!(equiv_age_s > 0.0))
        return 0.0;
    if (!(ml->retention_sigma > 0.0))
        return equiv_age_s >= ml->median_life_ref_s ? 1.0 : 0.0;
    return util_normal_cdf(log(equiv_age_s / ml->median_life_ref_s) / ml->retention_sigma);
}

uint32_t model_stuck_cells(const struct medium *m, unsigned layer, uint64_t index,
                           uint32_t cycles)
{
    double limit = weibull_cdf(&m->model[layer], cycles);
    if (!(limit > 0.0))
        return 0;
    struct order_walk w;
    walk_start(&w, m->profile.seed, RNG_STUCK, medium_cluster_key(layer, index), 0);
    uint64_t pos, extra;
    uint32_t count = 0;
    while (walk_next(&w, limit, &pos, &extra))
        count++;
    return count;
}

/* ---- bit access ---------------------------------------------------------------------- */

static inline int bit_get(const uint8_t *b, uint64_t pos)
{
    return (b[pos >> 3] >> (pos & 7)) & 1;
}

static inline void bit_flip(uint8_t *b, uint64_t pos)
{
    b[pos >> 3] ^= (uint8_t)(1u << (pos & 7));
}

/* Flip bits at rate p, positions by geometric gaps: O(flips). Returns the count. */
static uint32_t flip_at_rate(uint8_t *bytes, double p, uint64_t seed, uint32_t domain,
                             uint64_t a, uint64_t b, uint64_t c)
{
    if (!(p > 0.0))
        return 0;
    struct util_rng rng;
    util_rng_stream(&rng, seed, domain, a, b, c);
    uint32_t flips = 0;
    if (p >= 0.5) {
        /* beyond this the channel carries nothing: every bit is a coin toss */
        for (uint64_t pos = 0; pos < CLUSTER_BITS; pos++)
            if (util_rng_u64(&rng) >> 63) {
                bit_flip(bytes, pos);
                flips++;
            }
        return flips;
    }
    const double inv = 1.0 / log1p(-p);
    double pos = -1.0;
    for (;;) {
        pos += 1.0 + floor(log(util_rng_uniform(&rng)) * inv);
        if (pos >= (double)CLUSTER_BITS)
            break;
        bit_flip(bytes, (uint64_t)pos);
        flips++;
    }
    return flips;
}

/* ---- write and read ------------------------------------------------------------------- */

/* recorded may be wanted itself; old must not be recorded (it is read after the copy). */
void model_write(const struct medium *m, unsigned layer, uint64_t index,
                 const struct medium_cluster_meta *meta, const uint8_t *wanted,
                 const uint8_t *old, uint8_t *recorded, struct medium_write_report *rep)
{
    const struct model_layer *ml = &m->model[layer];
    const uint64_t key = medium_cluster_key(layer, index);
    const uint64_t gen = (uint64_t)meta->generation + 1; /* the generation this write makes */
    uint32_t errors = 0;

    if (recorded != wanted)
        memmove(recorded, wanted, MEDIUM_CLUSTER_BYTES);

    /* Erase residue: an old mark (1) where a space (0) is wanted survives with
     * probability 1 - completeness. Candidate positions come at that rate by geometric
     * gaps and are kept only where old = 1 and wanted = 0: O(candidates). */
    if (old != NULL && ml->erase_completeness < 1.0) {
        const double p = 1.0 - ml->erase_completeness;
        struct util_rng rng;
        util_rng_stream(&rng, m->profile.seed, RNG_RESIDUE, key, gen, 0);
        if (p >= 1.0) {
            for (size_t i = 0; i < MEDIUM_CLUSTER_BYTES; i++) {
                uint8_t add = (uint8_t)(old[i] & ~recorded[i]);
                errors += (uint32_t)__builtin_popcount(add);
                recorded[i] |= add;
            }
        } else {
            const double inv = 1.0 / log1p(-p);
            double pos = -1.0;
            for (;;) {
                pos += 1.0 + floor(log(util_rng_uniform(&rng)) * inv);
                if (pos >= (double)CLUSTER_BITS)
                    break;
                uint64_t b = (uint64_t)pos;
                if (bit_get(old, b) && !bit_get(recorded, b)) {
                    bit_flip(recorded, b);
                    errors++;
                }
            }
        }
    }

    /* Persistent write errors from the power margin. */
    errors += flip_at_rate(recorded, ml->write_error_rate, m->profile.seed, RNG_WRITE, key, gen,
                           0);

    if (rep != NULL) {
        rep->cycles = meta->cycles + 1;
        rep->write_errors = errors;
        rep->power_ratio = ml->power_ratio;
        rep->erase_completeness = ml->erase_completeness;
    }
}

void model_read(const struct medium *m, unsigned layer, uint64_t index,
                const struct medium_cluster_meta *meta, uint8_t *bytes,
                struct medium_read_report *rep)
{
    const struct model_layer *ml = &m->model[layer];
    const uint64_t key = medium_cluster_key(layer, index);
    const uint64_t seed = m->profile.seed;
    const bool written = (meta->flags & CLUSTER_FLAG_WRITTEN) != 0;
    struct medium_read_report r = {.blank = !written};
    uint64_t pos, extra;

    /* (1) production defects and injected faults */
    r.defect_bits = faults_apply(m, layer, index, bytes);

    /* (2) stuck cells: keyed by the cluster only, so they persist across rewrites */
    double limit = weibull_cdf(ml, meta->cycles);
    if (limit > 0.0) {
        struct order_walk w;
        walk_start(&w, seed, RNG_STUCK, key, 0);
        while (walk_next(&w, limit, &pos, &extra)) {
            if (bit_get(bytes, pos) != (int)(extra >> 63)) {
                bit_flip(bytes, pos);
                r.stuck_bits++;
            }
        }
    }

    /* (3) retention: marks whose lifetime quantile is below F(age) crystallize, 1 -> 0 */
    if (written) {
        limit = model_retention_fraction(m, layer, model_cluster_age(m, layer, meta));
        if (limit > 0.0) {
            struct order_walk w;
            walk_start(&w, seed, RNG_RETENTION, key, meta->generation);
            while (walk_next(&w, limit, &pos, &extra)) {
                if (bit_get(bytes, pos)) {
                    bit_flip(bytes, pos);
                    r.retention_bits++;
                }
            }
        }
    }

    /* (3b) environmental damage of the stack: cells below the damage's loss fraction
     * read a fixed value of their own, whatever is recorded (keyed by the cluster only,
     * so the loss survives rewrites), twice the added bit rate since half agree anyway */
    limit = written ? fmin(1.0, 2.0 * ser_to_ber(environ_ser(
                                        ml, environ_cluster_damage(m, layer, index))))
                    : 0.0;
    if (limit > 0.0) {
        struct order_walk w;
        walk_start(&w, seed, RNG_ENV, key, 0);
        while (walk_next(&w, limit, &pos, &extra)) {
            if (bit_get(bytes, pos) != (int)(extra >> 63)) {
                bit_flip(bytes, pos);
                r.env_bits++;
            }
        }
    }

    /* (4) transient noise, fresh for every read */
    r.raw_ber = model_cluster_ber(m, layer, meta);
    r.noise_bits = flip_at_rate(bytes, r.raw_ber, seed, RNG_READ_NOISE, key, meta->generation,
                                meta->reads);

    if (rep != NULL)
        *rep = r;
}
