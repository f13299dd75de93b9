/*
 * readout.c — what the drive's optics do to the read channel: the resolution of the
 * objective (NA and wavelength), the inter-layer crosstalk through the spacer, and the
 * heating of a read pass (read disturb). DESIGN.md "Optics", "Errors, wear and time";
 * physics.md §3.1, §4.4, §6.
 *
 * model.c's layer_init calls these once per layer; they are pure functions of the
 * profile and the derived material and keep no state. The reference geometry is the
 * format's (405 nm, NA 0.85, 25 um spacer of n 1.55), at which every factor here is 1,
 * so the profile's ser0 and crosstalk keep the meaning physics.md gives them there.
 */
#include "medium_priv.h"

#include <math.h>

/* ---- resolution: the optical transfer function (physics.md §3.1, §6) ------------------ */

/* Channel bit length of the 25 GB format: 74.5 nm (§3.1 [S44], DER 4.917 m/s / 66 MHz);
 * the shortest mark 2T repeats with period 4T, the 3T run with period 6T. */
#define CHANNEL_BIT_NM 74.5
#define REF_WAVELENGTH_NM 405.0 /* §3.1 [S38] */
#define REF_NA 0.85 /* §3.1 [S38]: the Blu-ray objective */

/* Incoherent MTF of a diffraction-limited circular pupil at spatial period period_nm:
 * (2/pi)(acos x - x sqrt(1 - x^2)), x = (lambda / 2 NA) / period. Zero at and beyond the
 * cutoff, where the period is shorter than lambda / (2 NA). */
static double mtf(double wavelength_nm, double na, double period_nm)
{
    const double x = wavelength_nm / (2.0 * na) / period_nm;
    if (!(x < 1.0))
        return 0.0;
    return 2.0 / M_PI * (acos(x) - x * sqrt(1.0 - x * x));
}

bool readout_resolves(const struct medium_profile *p)
{
    return mtf(p->wavelength_nm, p->na, 4.0 * CHANNEL_BIT_NM) > 0.0;
}

/* Signal gain of the channel against the format's optics. PRML detection ([S38]) decides
 * on the runs the pupil still passes well, so the signal that sets the noise margin is
 * the 3T run's (EST: the 2T amplitude is absorbed by the partial-response target while
 * the 2T period stays above the cutoff). 0 when the 2T period is below the cutoff: the
 * shortest marks cannot be read back and the 17PP code cannot be detected. */
double readout_signal_gain(const struct medium_profile *p)
{
    if (!readout_resolves(p))
        return 0.0;
    return mtf(p->wavelength_nm, p->na, 6.0 * CHANNEL_BIT_NM) /
           mtf(REF_WAVELENGTH_NM, REF_NA, 6.0 * CHANNEL_BIT_NM);
}

/* ---- inter-layer crosstalk through the spacer (physics.md §4.4) ------------------------ */

#define REF_SPACER_UM 25.0    /* §2.2, §7.2 (EST) */
#define REF_SPACER_INDEX 1.55 /* §7.2 (EST) */

/* Radius of the defocused beam on the other layer: the marginal ray at asin(NA / n)
 * through each separating layer between the two recording films (§4.4 DER: 16 um for
 * the reference). The nm-thin films beside the spacer add < 0.5 % and are left out so
 * the reference geometry gives exactly 1 below. */
static double defocus_radius_um(const struct medium_profile *p, double na)
{
    int first = -1, last = -1;
    for (unsigned i = 0; i < p->film_count && i < MEDIUM_MAX_FILMS; i++) {
        if (p->films[i].role != MEDIUM_FILM_RECORDING)
            continue;
        if (first < 0)
            first = (int)i;
        last = (int)i;
    }
    double r_um = 0.0;
    for (int i = first + 1; first >= 0 && i < last; i++) {
        const struct medium_film *f = &p->films[i];
        if (f->role != MEDIUM_FILM_SEPARATING || !(f->n > 0.0))
            continue;
        double s = fmin(na / f->n, 0.999); /* NA beyond the index: keep the cone finite */
        r_um += f->thickness_nm * 1e-3 * s / sqrt(1.0 - s * s);
    }
    return r_um;
}

/* The other layer's light falls on this one spread over the defocused disc, so its
 * share of the detected modulation goes as the area ratio (focused spot / defocused
 * disc), §4.4 DER: ~1e-4 for the reference. Returned relative to the reference
 * geometry; the profile's crosstalk is the value there. A spacer within the depth of
 * focus puts both layers in focus: the ratio is capped at 1 / crosstalk by the caller. */
double readout_crosstalk_scale(const struct medium_profile *p)
{
    const double s_ref = REF_NA / REF_SPACER_INDEX;
    const double r_ref = REF_SPACER_UM * s_ref / sqrt(1.0 - s_ref * s_ref);
    const double r = defocus_radius_um(p, p->na);
    if (!(r > 0.0))
        return INFINITY;
    const double spot = (p->wavelength_nm / p->na) / (REF_WAVELENGTH_NM / REF_NA);
    return spot * spot * (r_ref / r) * (r_ref / r);
}

/* ---- read disturb (physics.md §4.4) ------------------------------------------------------ */

/*
 * Equivalent seconds at 25 C that one read pass adds to the layer's marks. The read beam
 * heats the film in proportion to its power, with the layer's heating per mW taken from
 * the erase calibration (P_erase,opt brings the film to T_erase, DER), scaled by an
 * efficiency that puts the bd-re-dl near layer at +45 K at the DL read power of 0.7 mW:
 * §4.4 estimates a 30-60 K rise for a read pass (EST). The film holds that temperature
 * for one spot transit, and the marks' retention law (Arrhenius with the layer's Ea,
 * §4.1) turns it into equivalent time at 25 C. (The same calibration gives the far
 * layer, behind its thick reflector, +20 K.)
 */
#define READ_HEATING_EFFICIENCY 0.385

double readout_disturb_s(const struct medium_profile *p, double ea_ev, double erase_opt_mw,
                         double erase_temp_k, double dwell_ns)
{
    const double amb_k = p->temperature_c + 273.15;
    if (!(p->read_power_mw > 0.0) || !(erase_opt_mw > 0.0) || !(erase_temp_k > amb_k))
        return 0.0;
    const double t_read_k = amb_k + READ_HEATING_EFFICIENCY * p->read_power_mw /
                                        erase_opt_mw * (erase_temp_k - amb_k);
    const double accel = clock_acceleration(ea_ev, t_read_k - 273.15);
    /* capped so that reads x disturb stays finite however hot the read beam is */
    return fmin(dwell_ns * 1e-9 * accel, 1e30);
}
