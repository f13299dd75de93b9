/*
 * optics.c — the optics of the stack: a coherent transfer-matrix solver (optics_tmm) and
 * the evaluation of a profile's films into each layer's R, T and absorption as the drive
 * sees it (medium_optics_compute).
 *
 * It does not integrate over the NA-0.85 angular spectrum, model focusing, follow
 * multiple incoherent reflections between information layers or know dispersion: n + ik
 * come at one wavelength from the profile and from material.c.
 *
 * Rules: S. J. Byrnes, "Multilayer optical calculations", arXiv:1603.02720, written
 * from the formalism as physics.md §6 states it (s and p, complex Snell, Poynting-vector
 * absorption); incoherent thick media and the drive's view of the far layer as in
 * physics.md §2.3 and §6 (last bullet); DESIGN.md "medium/" → "Optics".
 */
#include "medium_priv.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <string.h>

/*
 * Films thicker than this are treated incoherently (semi-infinite media around each
 * information stack). Over the NA-0.85 cone at 405 nm, n cos(theta) of a film of n ~ 1.55
 * varies by ~0.25, so the round-trip phase of a 1 µm film already spreads over ~8 rad > 2π
 * and its fringes average out; the cover (75 µm), spacer (25 µm) and substrate (1.1 mm)
 * are far beyond, the thin films (≤ 120 nm, physics.md §2.2) far below.
 */
#define COHERENT_MAX_NM 1000.0

/* Beyond this |Im delta| a film passes less than e^{-2·1e4} of the power: it is opaque to
 * any precision, and capping keeps the power-of-two exponents small. */
#define OPAQUE_IM_DELTA 1e4

/* Amplitudes (v, w) of the forward and backward wave, held as a normalised pair times
 * 2^e: exact scaling, so deep or opaque stacks neither overflow nor underflow and no
 * rounding enters through the scale. */
struct amps {
    double complex v, w;
    int64_t e;
};

static bool cfinite(double complex z)
{
    return isfinite(creal(z)) && isfinite(cimag(z));
}

static double complex cldexp(double complex z, int q)
{
    return ldexp(creal(z), q) + I * ldexp(cimag(z), q);
}

/* x * 2^e for an exponent that may lie far outside int: the result is 0 or inf there. */
static double scale2(double x, int64_t e)
{
    if (e > 4000)
        e = 4000;
    if (e < -4000)
        e = -4000;
    return ldexp(x, (int)e);
}

static void amps_normalise(struct amps *a)
{
    double mx = fmax(cabs(a->v), cabs(a->w));
    if (mx > 0.0 && isfinite(mx)) {
        int q;
        (void)frexp(mx, &q);
        a->v = cldexp(a->v, -q);
        a->w = cldexp(a->w, -q);
        a->e += q;
    }
}

/*
 * n cos(theta) in a medium of index n, from Snell's invariant s = n0 sin(theta0).
 * Byrnes' forward branch: the wave must decay along +z (Im > 0); only when the medium is
 * (numerically) lossless and the wave propagates does the sign of Re decide. Taking the
 * principal square root alone is wrong for evanescent lossless waves whose argument
 * carries a -0.0 imaginary part, and for media with n k < 0.
 */
static double complex forward_ncos(double complex n, double s)
{
    double complex nc = csqrt(n * n - s * s);
    if (fabs(cimag(nc)) > 100.0 * DBL_EPSILON * cabs(nc)) {
        if (cimag(nc) < 0.0)
            nc = -nc;
    } else if (creal(nc) < 0.0) {
        nc = -nc;
    }
    return nc;
}

/*
 * (v, w) := (1/t)[[1, r], [r, 1]] (v, w), the interface from medium i (left) to medium f.
 * Written with nc = n cos(theta) only, so no angle is ever formed; for p the Byrnes
 * coefficients r = (nf cos_i - ni cos_f)/(nf cos_i + ni cos_f), t = 2 ni cos_i/(…) were
 * multiplied through by ni nf. Returns -EINVAL at a pole (grazing in medium i).
 */
static int cross_interface(enum optics_polarization pol, double complex ni, double complex nci,
                           double complex nf, double complex ncf, struct amps *a)
{
    double complex sum, diff, den;
    if (pol == OPTICS_S) {
        sum = nci + ncf;
        diff = nci - ncf;
        den = 2.0 * nci;
    } else {
        sum = nf * nf * nci + ni * ni * ncf;
        diff = nf * nf * nci - ni * ni * ncf;
        den = 2.0 * ni * nf * nci;
    }
    if (den == 0.0)
        return -EINVAL;
    double complex v = (sum * a->v + diff * a->w) / den;
    double complex w = (diff * a->v + sum * a->w) / den;
    a->v = v;
    a->w = w;
    amps_normalise(a);
    return 0;
}

/*
 * (v, w) := diag(e^{-i delta}, e^{+i delta}) (v, w), delta = 2π nc d / λ: from the back
 * face of a film to its front face. The growth e^{|Im delta|} goes into the exponent.
 */
static void cross_film(double complex nc, double d, double lambda, struct amps *a)
{
    double complex delta = 2.0 * M_PI * nc * d / lambda;
    double re = creal(delta), im = cimag(delta);
    if (fabs(im) > OPAQUE_IM_DELTA)
        im = copysign(OPAQUE_IM_DELTA, im);
    double big = fabs(im);
    int64_t k = (int64_t)floor(big / M_LN2);
    double f = exp(big - (double)k * M_LN2); /* e^{big} = 2^k f */
    a->v *= f * exp(im - big) * cexp(-I * re);
    a->w *= f * exp(-im - big) * cexp(I * re);
    a->e += k;
    amps_normalise(a);
}

/*
 * Poynting flux along z of amplitudes (v, w) in a medium, up to the common factor the
 * normalisation by the incident flux removes. s: E_y = v + w, -H_x ∝ nc (v - w);
 * p (Byrnes' sign convention): E_x = cos(theta)(v - w), H_y ∝ n (v + w);
 * S_z = Re(E_tangential · conj(H_tangential)).
 */
static double flux(enum optics_polarization pol, double complex n, double complex nc,
                   double complex v, double complex w)
{
    if (pol == OPTICS_S)
        return creal(nc * conj(v + w) * (v - w));
    double complex cos_t = nc / n;
    return creal(n * conj(cos_t) * (v + w) * conj(v - w));
}

/* Flux of a unit forward wave: Re(nc) for s, Re(n conj(cos theta)) for p. */
static double flux_factor(enum optics_polarization pol, double complex n, double complex nc)
{
    return pol == OPTICS_S ? creal(nc) : creal(n * conj(nc / n));
}

static int tmm_check(const double complex *n, const double *d, size_t count, double lambda,
                     double theta0, enum optics_polarization pol,
                     const struct optics_result *out)
{
    if (n == NULL || out == NULL || count < 2 || (count > 2 && d == NULL))
        return -EINVAL;
    if (pol != OPTICS_S && pol != OPTICS_P)
        return -EINVAL;
    if (!isfinite(lambda) || lambda <= 0.0)
        return -EINVAL;
    /* Incidence must be a propagating wave in a real medium, else "incident power" has no
     * meaning (physics.md §6: N_0 real). */
    if (!isfinite(theta0) || fabs(theta0) >= M_PI / 2.0)
        return -EINVAL;
    if (cimag(n[0]) != 0.0 || !(creal(n[0]) > 0.0) || !isfinite(creal(n[0])))
        return -EINVAL;
    for (size_t j = 1; j < count; j++) {
        if (!cfinite(n[j]) || n[j] == 0.0)
            return -EINVAL;
        if (j < count - 1 && !(isfinite(d[j]) && d[j] >= 0.0))
            return -EINVAL;
    }
    return 0;
}

/*
 * One sweep from the exit medium to the incidence medium: starting from (v, w) = (1, 0)
 * behind the stack, apply M_j = P_j I_{j,j+1} for j = L..1 and I_01, which yields
 * M~ (1, 0)^T = (M~11, M~21)^T of physics.md §6. With norm (the result of a first sweep)
 * given, also fill absorbed[j] = [S_j(0) - S_j(d_j)] / S_incident, the flux through a
 * film's front face minus the flux out of its back face; dividing by norm's v, which is
 * t^-1 up to 2^e, turns the (1, 0) start into the true (t, 0).
 */
static int sweep(const double complex *n, const double *d, size_t count, double lambda,
                 double s, double nc0, enum optics_polarization pol, const struct amps *norm,
                 double *absorbed, struct amps *front)
{
    const size_t last = count - 1;
    struct amps a = {1.0, 0.0, 0};
    double complex nc_next = forward_ncos(n[last], s);
    double inc = 0.0;
    int rc;

    if (norm != NULL) {
        inc = (creal(norm->v) * creal(norm->v) + cimag(norm->v) * cimag(norm->v)) * nc0;
        absorbed[0] = absorbed[last] = 0.0;
    }
    for (size_t j = last - 1; j >= 1; j--) {
        double complex nc_j = forward_ncos(n[j], s);
        rc = cross_interface(pol, n[j], nc_j, n[j + 1], nc_next, &a);
        if (rc < 0)
            return rc;
        double s_back = 0.0;
        int64_t e_back = a.e;
        if (norm != NULL)
            s_back = flux(pol, n[j], nc_j, a.v, a.w);
        cross_film(nc_j, d[j], lambda, &a);
        if (norm != NULL) {
            double s_front = flux(pol, n[j], nc_j, a.v, a.w);
            absorbed[j] = (scale2(s_front, 2 * (a.e - norm->e)) -
                           scale2(s_back, 2 * (e_back - norm->e))) / inc;
            if (!isfinite(absorbed[j]))
                return -EINVAL;
        }
        nc_next = nc_j;
    }
    rc = cross_interface(pol, n[0], nc0, n[1], nc_next, &a);
    if (rc < 0)
        return rc;
    *front = a;
    return 0;
}

int optics_tmm(const double complex *n, const double *d, size_t count, double lambda,
               double theta0, enum optics_polarization pol, struct optics_result *out,
               double *absorbed)
{
    int rc = tmm_check(n, d, count, lambda, theta0, pol, out);
    if (rc < 0)
        return rc;

    const double s = creal(n[0]) * sin(theta0);
    const double nc0 = creal(n[0]) * cos(theta0);
    const size_t last = count - 1;
    struct amps m, again;

    rc = sweep(n, d, count, lambda, s, nc0, pol, NULL, NULL, &m);
    if (rc < 0)
        return rc;
    if (m.v == 0.0 || !cfinite(m.v) || !cfinite(m.w))
        return -EINVAL; /* a pole of the stack: no finite answer */

    /* r = M~21/M~11 is scale-free; t = 1/M~11 carries the scale. */
    struct optics_result res;
    double complex inv = 1.0 / m.v;
    res.r = m.w * inv;
    res.t = scale2(creal(inv), -m.e) + I * scale2(cimag(inv), -m.e);
    res.R = creal(res.r) * creal(res.r) + cimag(res.r) * cimag(res.r);
    double t2 = scale2(creal(inv) * creal(inv) + cimag(inv) * cimag(inv), -2 * m.e);
    res.T = t2 * flux_factor(pol, n[last], forward_ncos(n[last], s)) / nc0;
    if (!cfinite(res.r) || !cfinite(res.t) || !isfinite(res.R) || !isfinite(res.T))
        return -EINVAL;

    /* The second sweep repeats the first bit for bit, now knowing the normalisation. */
    if (absorbed != NULL) {
        rc = sweep(n, d, count, lambda, s, nc0, pol, &m, absorbed, &again);
        if (rc < 0)
            return rc;
    }
    *out = res;
    return 0;
}

/* ------------------------------------------------------------------------------------
 * The profile's stack
 * ---------------------------------------------------------------------------------- */

/* A run of thin films [first, last) between two incoherent media (film index of the
 * thick medium before/after it, -1 for air beyond the ends of the stack). */
struct span {
    unsigned first, last;
    int in, out;
};

enum { PHASE_C = 0, PHASE_A = 1 };

static bool film_thick(const struct medium_film *f)
{
    return f->role != MEDIUM_FILM_RECORDING && f->thickness_nm > COHERENT_MAX_NM;
}

/*
 * Evaluate one span at normal incidence with the recording film of each layer in the
 * phase phase[layer]. Returns R, T and, per layer, the fraction absorbed in its
 * recording film if it lies in the span (else left untouched).
 */
static int span_eval(const struct medium_profile *p, const struct medium_material mat[],
                     const struct span *sp, const int phase[MEDIUM_LAYER_COUNT],
                     struct optics_result *res, double a_rec[MEDIUM_LAYER_COUNT])
{
    double complex n[MEDIUM_MAX_FILMS + 2];
    double d[MEDIUM_MAX_FILMS + 2];
    double absorbed[MEDIUM_MAX_FILMS + 2];
    size_t count = 0;

    /* A thick incidence medium enters by its real index: its bulk absorption lies
     * outside the coherent stack, and §2.3 ignores it (cover and spacer are clear). */
    n[count] = sp->in < 0 ? 1.0 : p->films[sp->in].n;
    d[count++] = 0.0;
    for (unsigned i = sp->first; i < sp->last; i++) {
        const struct medium_film *f = &p->films[i];
        if (f->role == MEDIUM_FILM_RECORDING) {
            const struct medium_material *m = &mat[f->layer];
            n[count] = phase[f->layer] == PHASE_C ? m->n_c + I * m->k_c
                                                  : m->n_a + I * m->k_a;
        } else {
            n[count] = f->n + I * f->k;
        }
        d[count++] = f->thickness_nm;
    }
    n[count] = sp->out < 0 ? 1.0 : p->films[sp->out].n + I * p->films[sp->out].k;
    d[count++] = 0.0;

    int rc = optics_tmm(n, d, count, p->wavelength_nm, 0.0, OPTICS_S, res, absorbed);
    if (rc < 0)
        return rc;
    for (unsigned i = sp->first; i < sp->last; i++)
        if (p->films[i].role == MEDIUM_FILM_RECORDING)
            a_rec[p->films[i].layer] = absorbed[1 + i - sp->first];
    return 0;
}

/* Split the films into spans at the thick films. An empty span is kept only between two
 * thick films (a bare interface the light crosses); air|cover and substrate|air are
 * outside the drive's view, as in §2.3. Returns the number of spans. */
static unsigned spans_build(const struct medium_profile *p, struct span sp[])
{
    unsigned ns = 0, start = 0;
    int prev_thick = -1;
    for (unsigned i = 0; i <= p->film_count; i++) {
        bool end = i == p->film_count;
        if (!end && !film_thick(&p->films[i]))
            continue;
        if (start < i || (prev_thick >= 0 && !end)) {
            sp[ns].first = start;
            sp[ns].last = i;
            sp[ns].in = prev_thick;
            sp[ns].out = end ? -1 : (int)i;
            ns++;
        }
        prev_thick = (int)i;
        start = i + 1;
    }
    return ns;
}

static int profile_check(const struct medium_profile *p, int rec[MEDIUM_LAYER_COUNT])
{
    if (p->film_count == 0 || p->film_count > MEDIUM_MAX_FILMS)
        return -EINVAL;
    if (!isfinite(p->wavelength_nm) || p->wavelength_nm <= 0.0)
        return -EINVAL;
    rec[0] = rec[1] = -1;
    for (unsigned i = 0; i < p->film_count; i++) {
        const struct medium_film *f = &p->films[i];
        if (!isfinite(f->thickness_nm) || f->thickness_nm < 0.0)
            return -EINVAL;
        if (f->role == MEDIUM_FILM_RECORDING) {
            if (f->layer < 0 || f->layer >= MEDIUM_LAYER_COUNT || rec[f->layer] >= 0)
                return -EINVAL;
            rec[f->layer] = (int)i;
        } else if (!isfinite(f->n) || !(f->n > 0.0) || !isfinite(f->k) || f->k < 0.0) {
            /* k < 0 would be a gain medium: no passive stack has one */
            return -EINVAL;
        }
    }
    for (int l = 0; l < MEDIUM_LAYER_COUNT; l++)
        if (rec[l] < 0)
            return -EINVAL;
    return 0;
}

static int material_get(const struct medium_profile *p, unsigned layer,
                        struct medium_material *m)
{
    int rc = medium_material_derive(p->layer[layer].material, p->wavelength_nm,
                                    p->n2_fraction, p->o2_fraction, m, NULL, 0);
    if (rc < 0)
        return rc; /* -EINVAL for a bad formula; anything else is not the profile's fault */
    if (!(isfinite(m->n_c) && m->n_c > 0.0 && isfinite(m->k_c) && m->k_c >= 0.0 &&
          isfinite(m->n_a) && m->n_a > 0.0 && isfinite(m->k_a) && m->k_a >= 0.0))
        return -EINVAL;
    return 0;
}

int medium_optics_compute(const struct medium_profile *p, struct medium_optics *out)
{
    if (p == NULL || out == NULL)
        return -EINVAL;
    int rec[MEDIUM_LAYER_COUNT];
    int rc = profile_check(p, rec);
    if (rc < 0)
        return rc;

    struct medium_material mat[MEDIUM_LAYER_COUNT];
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        rc = material_get(p, l, &mat[l]);
        if (rc < 0)
            return rc;
    }

    struct span sp[MEDIUM_MAX_FILMS + 1];
    unsigned ns = spans_build(p, sp);
    unsigned span_of[MEDIUM_LAYER_COUNT] = {0, 0};
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++)
        for (unsigned k = 0; k < ns; k++)
            if ((unsigned)rec[l] >= sp[k].first && (unsigned)rec[l] < sp[k].last)
                span_of[l] = k;

    /* Each span's mean transmittance as light crossing it on the way to a deeper layer
     * finds it: averaged over the phases of the recording film it holds (marks and
     * spaces in equal share), plain if it holds none. */
    double t_mean[MEDIUM_MAX_FILMS + 1];
    for (unsigned k = 0; k < ns; k++) {
        double sum = 0.0, a_dummy[MEDIUM_LAYER_COUNT];
        int runs = 0;
        for (int ph = PHASE_C; ph <= PHASE_A; ph++) {
            int phase[MEDIUM_LAYER_COUNT] = {ph, ph};
            struct optics_result r;
            rc = span_eval(p, mat, &sp[k], phase, &r, a_dummy);
            if (rc < 0)
                return rc;
            sum += r.T;
            runs++;
        }
        t_mean[k] = sum / runs;
    }

    struct medium_optics o;
    memset(&o, 0, sizeof o);
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        struct medium_layer_optics *lo = &o.layer[l];
        double R[2], T[2], A[2];
        for (int ph = PHASE_C; ph <= PHASE_A; ph++) {
            /* the other layer's film, should it share the span, stays crystalline
             * (erased): the state of unwritten ground */
            int phase[MEDIUM_LAYER_COUNT] = {PHASE_C, PHASE_C};
            double a_rec[MEDIUM_LAYER_COUNT] = {0.0, 0.0};
            struct optics_result r;
            phase[l] = ph;
            rc = span_eval(p, mat, &sp[span_of[l]], phase, &r, a_rec);
            if (rc < 0)
                return rc;
            R[ph] = r.R;
            T[ph] = r.T;
            A[ph] = a_rec[l];
        }
        /* Thick media between spans add intensities (§6 last bullet): the light crosses
         * every span in front twice, and transmittance is reciprocal, so
         * R_eff = (Π T̄)² R and the absorbed share of the incident beam is (Π T̄) A. */
        double front = 1.0;
        for (unsigned k = 0; k < span_of[l]; k++)
            front *= t_mean[k];
        lo->Rc = R[PHASE_C];
        lo->Ra = R[PHASE_A];
        lo->Tc = T[PHASE_C];
        lo->Ta = T[PHASE_A];
        lo->Ac = A[PHASE_C];
        lo->Aa = A[PHASE_A];
        lo->Rc_eff = front * front * lo->Rc;
        lo->Ra_eff = front * front * lo->Ra;
        lo->Ac_eff = front * lo->Ac;
        lo->Aa_eff = front * lo->Aa;
        double sum = lo->Rc_eff + lo->Ra_eff;
        lo->contrast = sum > 0.0 ? (lo->Rc_eff - lo->Ra_eff) / sum : 0.0;
    }
    o.near_transmittance_avg = 0.5 * (o.layer[MEDIUM_LAYER_NEAR].Tc +
                                      o.layer[MEDIUM_LAYER_NEAR].Ta);
    *out = o;
    return 0;
}
