/*
 * claims.c — holds a profile against every constraint of the patent's claims and
 * lists each one with the value found, the range allowed and whether it holds
 * (DESIGN.md "medium/", `phasectl profile check`; physics.md §1.2, §1.3, §2.2, §7).
 *
 * It judges, it does not validate: a profile outside the claims may still be usable
 * (medium_profile_validate decides that). Optical constraints do not apply in
 * electrical mode and the pulse rules do not apply in optical mode.
 *
 * ASSUMPTION: the claim texts available to us do not enumerate M2 (substituent of Ge in
 * the near layer) or M3 (its additive); we use M2 in {Sn, Pb, Si} and M3 in {Bi, In,
 * Sn, Ag, Au, Se, Ga, Al, Mn, N} (phasefs-profile(5) says so too).
 */
#include "medium_priv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const m1_allowed[] = {"Ag", "In", "Ge", "Sn", "Se", "Bi", "Au", "Mn"};
static const char *const m2_allowed[] = {"Sn", "Pb", "Si"};
static const char *const m3_allowed[] = {"Bi", "In", "Sn", "Ag", "Au", "Se", "Ga", "Al",
                                         "Mn", "N"};

#define IN_LIST(sym, list) in_list((sym), (list), sizeof(list) / sizeof((list)[0]))

struct claim_list {
    struct medium_claim c[MEDIUM_MAX_CLAIMS];
    size_t n;
};

static bool in_list(const char *sym, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(sym, list[i]))
            return true;
    return false;
}

/* Comparisons tolerate rounding of values computed from formulas (x from normalised
 * atomic percents), so a value written exactly at a bound passes. */
static double tol(double bound)
{
    return 1e-9 * (fabs(bound) > 1 ? fabs(bound) : 1);
}

static bool at_least(double v, double lo)
{
    return v >= lo - tol(lo);
}

static bool at_most(double v, double hi)
{
    return v <= hi + tol(hi);
}

static bool between(double v, double lo, double hi)
{
    return at_least(v, lo) && at_most(v, hi);
}

static void add(struct claim_list *l, const char *id, const char *text, const char *range,
                bool applicable, bool pass, const char *value_fmt, ...)
{
    if (l->n >= MEDIUM_MAX_CLAIMS)
        return; /* the list below has fewer entries than MEDIUM_MAX_CLAIMS */
    struct medium_claim *c = &l->c[l->n++];
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", id);
    snprintf(c->text, sizeof c->text, "%s", text);
    snprintf(c->range, sizeof c->range, "%s", range);
    c->applicable = applicable;
    c->pass = pass;
    va_list ap;
    va_start(ap, value_fmt);
    vsnprintf(c->value, sizeof c->value, value_fmt, ap);
    va_end(ap);
}

static const char *family_name(enum medium_family f)
{
    switch (f) {
    case MEDIUM_FAMILY_GESBTE: return "GeSbTe";
    case MEDIUM_FAMILY_SBTE: return "SbTe";
    default: return "unknown";
    }
}

static double share(const struct material_formula *f, const char *sym)
{
    for (unsigned i = 0; i < f->element_count; i++)
        if (!strcmp(f->elements[i].symbol, sym))
            return f->elements[i].atomic_percent;
    return 0;
}

/* Te as written in the GeSbTe base, from the composition's Te:Sb ratio (Te:(Ge+M2)
 * when b = 0); the additive M3 scales both alike, so the ratio survives it. */
static double written_te(const struct material_formula *f)
{
    double te = share(f, "Te"), sb = share(f, "Sb");
    if (f->b > 0 && sb > 0)
        return f->b * te / sb;
    double site = share(f, "Ge") + (f->m2[0] ? share(f, f->m2) : 0);
    return site > 0 ? f->a * te / site : 0;
}

static void near_claims(struct claim_list *l, const struct medium_profile *p)
{
    const char *formula = p->layer[MEDIUM_LAYER_NEAR].material;
    struct material_formula f;
    int rc = material_formula_parse(formula, &f, NULL, 0);
    bool fam = rc == 0 && f.family == MEDIUM_FAMILY_GESBTE;

    add(l, "near.family", "near layer is Ge_a Sb_b Te_(3+a) [(Ge-M2), (..)_(100-c) M3_c]",
        "GeSbTe family", true, fam, "%.40s: %s", formula,
        rc == 0 ? family_name(f.family) : "unparsable");
    if (!fam) {
        const char *why = rc == 0 ? "not GeSbTe" : "unparsable";
        add(l, "near.a", "near layer Ge content a", "0 <= a <= 10", true, false, "%s", why);
        add(l, "near.b", "near layer Sb content b", "1.5 <= b <= 4", true, false, "%s", why);
        add(l, "near.te", "near layer Te content is 3 + a", "Te = 3 + a", true, false, "%s",
            why);
        add(l, "near.m2", "near layer M2 (substitutes Ge) is Sn, Pb or Si [assumed list]",
            "Sn, Pb, Si or none", true, false, "%s", why);
        add(l, "near.m3", "near layer M3 (additive) is one of the assumed list",
            "Bi In Sn Ag Au Se Ga Al Mn N, or none", true, false, "%s", why);
        add(l, "near.c", "near layer M3 content c", "0 < c <= 20 (with M3)", true, false, "%s",
            why);
        return;
    }
    add(l, "near.a", "near layer Ge content a", "0 <= a <= 10", true, between(f.a, 0, 10),
        "%g", f.a);
    add(l, "near.b", "near layer Sb content b", "1.5 <= b <= 4", true, between(f.b, 1.5, 4),
        "%g", f.b);
    double te = written_te(&f);
    add(l, "near.te", "near layer Te content is 3 + a", "Te = 3 + a", true,
        fabs(te - (3 + f.a)) <= 1e-6 * (3 + f.a), "Te %.6g, 3+a %.6g", te, 3 + f.a);
    add(l, "near.m2", "near layer M2 (substitutes Ge) is Sn, Pb or Si [assumed list]",
        "Sn, Pb, Si or none", true, !f.m2[0] || IN_LIST(f.m2, m2_allowed), "%s",
        f.m2[0] ? f.m2 : "none");
    add(l, "near.m3", "near layer M3 (additive) is one of the assumed list",
        "Bi In Sn Ag Au Se Ga Al Mn N, or none", true, !f.m3[0] || IN_LIST(f.m3, m3_allowed),
        "%s", f.m3[0] ? f.m3 : "none");
    add(l, "near.c", "near layer M3 content c", "0 < c <= 20 (with M3)", true,
        !f.m3[0] || (f.c > tol(0) && at_most(f.c, 20)), f.m3[0] ? "%g" : "%g (no M3)", f.c);
}

static void far_claims(struct claim_list *l, const struct medium_profile *p)
{
    const char *formula = p->layer[MEDIUM_LAYER_FAR].material;
    struct material_formula f;
    int rc = material_formula_parse(formula, &f, NULL, 0);
    bool fam = rc == 0 && f.family == MEDIUM_FAMILY_SBTE;

    add(l, "far.family", "far layer is (Sb_x Te_(100-x))_(100-y) M1_y", "SbTe family", true,
        fam, "%.40s: %s", formula, rc == 0 ? family_name(f.family) : "unparsable");
    if (!fam) {
        const char *why = rc == 0 ? "not SbTe" : "unparsable";
        add(l, "far.x", "far layer Sb share x of Sb+Te", "50 <= x <= 95", true, false, "%s",
            why);
        add(l, "far.y", "far layer additive content y", "0 < y <= 20", true, false, "%s", why);
        add(l, "far.m1", "far layer M1 in Ag, In, Ge, Sn, Se, Bi, Au, Mn",
            "Ag In Ge Sn Se Bi Au Mn", true, false, "%s", why);
        return;
    }
    add(l, "far.x", "far layer Sb share x of Sb+Te", "50 <= x <= 95", true,
        between(f.x, 50, 95), "%.6g", f.x);
    add(l, "far.y", "far layer additive content y", "0 < y <= 20", true,
        f.y > tol(0) && at_most(f.y, 20), "%.6g", f.y);
    char list[64] = "";
    bool ok = true;
    size_t len = 0;
    for (unsigned i = 0; i < f.m1_count; i++) {
        ok &= IN_LIST(f.m1[i], m1_allowed);
        int w = snprintf(list + len, sizeof list - len, "%s%s", i ? " " : "", f.m1[i]);
        if (w > 0 && (size_t)w < sizeof list - len)
            len += (size_t)w;
    }
    add(l, "far.m1", "far layer M1 in Ag, In, Ge, Sn, Se, Bi, Au, Mn",
        "Ag In Ge Sn Se Bi Au Mn", true, ok, "%s", f.m1_count ? list : "none");
}

static const struct medium_film *find_film(const struct medium_profile *p,
                                           enum medium_film_role role, int layer, bool last)
{
    const struct medium_film *found = NULL;
    for (unsigned i = 0; i < p->film_count && i < MEDIUM_MAX_FILMS; i++) {
        const struct medium_film *f = &p->films[i];
        if (f->role != role || (layer >= 0 && f->layer != layer))
            continue;
        found = f;
        if (!last)
            break;
    }
    return found;
}

static void thickness_claim(struct claim_list *l, const char *id, const char *text,
                            const char *range, bool applicable, const struct medium_film *f,
                            double lo_nm, double hi_nm, double unit_nm, const char *unit)
{
    if (!f) {
        add(l, id, text, range, applicable, false, "no such film");
        return;
    }
    add(l, id, text, range, applicable, between(f->thickness_nm, lo_nm, hi_nm), "%g %s",
        f->thickness_nm / unit_nm, unit);
}

static void transmittance_claim(struct claim_list *l, const struct medium_profile *p,
                                bool optical)
{
    const char *text = "near layer (Tc+Ta)/2 at 390-430 nm";
    const char *range = ">= 0.40";
    /* the claim speaks of 390-430 nm: evaluate at the drive's wavelength held into it */
    struct medium_profile q = *p;
    if (q.wavelength_nm < 390)
        q.wavelength_nm = 390;
    if (q.wavelength_nm > 430)
        q.wavelength_nm = 430;
    struct medium_optics o;
    int rc = medium_optics_compute(&q, &o);
    if (rc == -ENOSYS)
        add(l, "near.transmittance", text, range, optical, false, "optics unavailable");
    else if (rc < 0)
        add(l, "near.transmittance", text, range, optical, false, "optics failed (%d)", rc);
    else
        add(l, "near.transmittance", text, range, optical,
            at_least(o.near_transmittance_avg, 0.40), "%.4f at %g nm",
            o.near_transmittance_avg, q.wavelength_nm);
}

int medium_claims_check(const struct medium_profile *p, struct medium_claim *out, size_t cap)
{
    static struct claim_list zero;
    struct claim_list l = zero;
    if (!p || (!out && cap))
        return -EINVAL;
    bool optical = p->mode == MEDIUM_MODE_OPTICAL;
    bool electrical = p->mode == MEDIUM_MODE_ELECTRICAL;

    near_claims(&l, p);
    far_claims(&l, p);

    struct medium_material near, far;
    int rn = medium_material_derive(p->layer[MEDIUM_LAYER_NEAR].material, p->wavelength_nm,
                                    p->n2_fraction, p->o2_fraction, &near, NULL, 0);
    int rf = medium_material_derive(p->layer[MEDIUM_LAYER_FAR].material, p->wavelength_nm,
                                    p->n2_fraction, p->o2_fraction, &far, NULL, 0);
    if (rn < 0 || rf < 0)
        add(&l, "far.tm_below_near", "far layer melts below the near layer",
            "Tm far < Tm near", true, false, "material unparsable");
    else
        add(&l, "far.tm_below_near", "far layer melts below the near layer",
            "Tm far < Tm near", true, far.tm_k < near.tm_k, "far %.0f K, near %.0f K",
            far.tm_k, near.tm_k);

    thickness_claim(&l, "near.thickness", "near recording film thickness", "<= 9 nm", true,
                    find_film(p, MEDIUM_FILM_RECORDING, MEDIUM_LAYER_NEAR, false), 0, 9, 1,
                    "nm");
    thickness_claim(&l, "far.thickness", "far recording film thickness", "6-15 nm", true,
                    find_film(p, MEDIUM_FILM_RECORDING, MEDIUM_LAYER_FAR, false), 6, 15, 1,
                    "nm");
    transmittance_claim(&l, p, optical);
    thickness_claim(&l, "cover.thickness", "light-incidence substrate (cover) thickness",
                    "10-800 um", optical, find_film(p, MEDIUM_FILM_COVER, -1, false), 10e3,
                    800e3, 1e3, "um");
    thickness_claim(&l, "substrate.thickness", "second substrate thickness", "400-1300 um",
                    optical, find_film(p, MEDIUM_FILM_SUBSTRATE, -1, true), 400e3, 1300e3, 1e3,
                    "um");
    add(&l, "drive.wavelength", "laser wavelength", "390-430 nm", optical,
        between(p->wavelength_nm, 390, 430), "%g nm", p->wavelength_nm);
    add(&l, "drive.linear_velocity", "linear velocity", "3-30 m/s", optical,
        between(p->linear_velocity_m_s, 3, 30), "%g m/s", p->linear_velocity_m_s);
    add(&l, "drive.na", "numerical aperture of the objective", "0.5-1.1", optical,
        between(p->na, 0.5, 1.1), "%g", p->na);
    bool gas_ok = !strcmp(p->sputter_gas, "Ar") || !strcmp(p->sputter_gas, "Kr");
    add(&l, "production.sputter_gas", "sputtering gas", "Ar or Kr", true, gas_ok, "%.7s",
        p->sputter_gas);
    double rn_s = p->layer[MEDIUM_LAYER_NEAR].film_rate_nm_s;
    double rf_s = p->layer[MEDIUM_LAYER_FAR].film_rate_nm_s;
    add(&l, "near.film_rate", "near recording film deposition rate", "0.1-3 nm/s", true,
        between(rn_s, 0.1, 3), "%g nm/s", rn_s);
    add(&l, "far.film_rate", "far recording film deposition rate", "0.3-10 nm/s", true,
        between(rf_s, 0.3, 10), "%g nm/s", rf_s);

    const struct medium_electrical_profile *e = &p->electrical;
    add(&l, "elec.current_order", "crystallizing < far amorphizing < near amorphizing current",
        "Ic < Ia2 < Ia1", electrical, e->ic_ma < e->ia2_ma && e->ia2_ma < e->ia1_ma,
        "Ic %g, Ia2 %g, Ia1 %g mA", e->ic_ma, e->ia2_ma, e->ia1_ma);
    add(&l, "elec.pulse_width", "an amorphizing pulse is no longer than the crystallizing one",
        "ta1 <= tc or ta2 <= tc", electrical, e->ta1_ns <= e->tc_ns || e->ta2_ns <= e->tc_ns,
        "ta1 %g, ta2 %g, tc %g ns", e->ta1_ns, e->ta2_ns, e->tc_ns);

    if (l.n > cap)
        return -ENOSPC;
    memcpy(out, l.c, l.n * sizeof l.c[0]);
    return (int)l.n;
}
