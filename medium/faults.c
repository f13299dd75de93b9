/*
 * faults.c — where clusters lie on the disc, and the damage that is not wear or age:
 * production defects, and the recorded faults (scratches, dust, injected defects).
 *
 * Geometry (physics.md §3.1): the clusters of each layer follow one spiral over the
 * data zone r = 24-58 mm, equally spaced in area (CLV). A medium smaller than 25 GB
 * keeps the real cluster length (71.7 mm of track) and widens the track pitch, so the
 * disc keeps ~3.6 clusters per turn (381,856 clusters on 106,250 turns) and a fault of a
 * given size hits a realistic share of a cluster. Physical index 0 is innermost on both
 * layers. This file owns no state and does no I/O; faults_apply costs
 * O(faults + damaged bytes) for one cluster, never a scan of the disc.
 */
#include "medium_priv.h"

#include <errno.h>
#include <math.h>

#define ZONE_R_IN_MM 24.0   /* data zone, §3.1 [S39] */
#define ZONE_R_OUT_MM 58.0  /* §3.1 [S39] */
#define DISC_R_MAX_MM 60.0  /* 120 mm disc, §3.1 [S52] */
#define REAL_PITCH_MM 0.32e-3          /* §3.1 [S37] */
#define REAL_CLUSTERS_PER_LAYER 381856.0 /* §3.1 DER: 12,219,392 sectors / 32 */

/* EST: a byte is lost when the part of the beam a scratch or particle blocks at the
 * surface reaches this fraction of the cone: a 25 % signal drop is about the slicer's
 * margin on a DL layer whose reflectance swing is only ~4 % (§3.4, §2.3). Below it a
 * byte is lost with probability (blocked fraction / 0.25). */
#define BLOCKED_FRACTION_LOST 0.25

/* Sanity bounds of injected faults (EST: beyond them it is no longer a scratch or a
 * speck but a broken disc). */
#define SCRATCH_WIDTH_MAX_UM 5000.0
#define DUST_DIAMETER_MAX_UM 5000.0
#define DEFECTS_COUNT_MAX 1000000u

/* ---- geometry ------------------------------------------------------------------------- */

static double zone_area_mm2(void)
{
    return ZONE_R_OUT_MM * ZONE_R_OUT_MM - ZONE_R_IN_MM * ZONE_R_IN_MM; /* / pi omitted */
}

double faults_cluster_arc_mm(void)
{
    return M_PI * zone_area_mm2() / (REAL_PITCH_MM * REAL_CLUSTERS_PER_LAYER);
}

static double n_clusters(const struct medium *m)
{
    return m->clusters_per_layer > 0 ? (double)m->clusters_per_layer : 1.0;
}

static double pitch_mm(const struct medium *m)
{
    return REAL_PITCH_MM * REAL_CLUSTERS_PER_LAYER / n_clusters(m);
}

/* Radius where the area fraction s of the zone is reached. */
static double radius_at(double s)
{
    return sqrt(ZONE_R_IN_MM * ZONE_R_IN_MM + s * zone_area_mm2());
}

/* Unwrapped spiral angle (rad) at radius r, and back. */
static double theta_at(const struct medium *m, double r_mm)
{
    return 2.0 * M_PI * (r_mm - ZONE_R_IN_MM) / pitch_mm(m);
}

static double radius_of_theta(const struct medium *m, double theta)
{
    return ZONE_R_IN_MM + pitch_mm(m) * theta / (2.0 * M_PI);
}

/* Position (in bytes from the start of cluster index) of the track point at unwrapped
 * angle theta; outside [0, MEDIUM_CLUSTER_BYTES) when it belongs to another cluster. */
static double byte_at(const struct medium *m, uint64_t index, double theta)
{
    double r = radius_of_theta(m, theta);
    double s = (r * r - ZONE_R_IN_MM * ZONE_R_IN_MM) / zone_area_mm2();
    return (s * n_clusters(m) - (double)index) * MEDIUM_CLUSTER_BYTES;
}

static double wrap_pi(double a)
{
    a = fmod(a, 2.0 * M_PI);
    if (a > M_PI)
        a -= 2.0 * M_PI;
    else if (a <= -M_PI)
        a += 2.0 * M_PI;
    return a;
}

struct arc {
    double theta0, theta1, theta_mid; /* unwrapped, rad; span < pi at any capacity */
};

static void cluster_arc(const struct medium *m, uint64_t index, struct arc *a)
{
    const double n = n_clusters(m);
    a->theta0 = theta_at(m, radius_at((double)index / n));
    a->theta1 = theta_at(m, radius_at(((double)index + 1.0) / n));
    a->theta_mid = theta_at(m, radius_at(((double)index + 0.5) / n));
}

double faults_cluster_radius(const struct medium *m, uint64_t index)
{
    return radius_at(((double)index + 0.5) / n_clusters(m));
}

unsigned faults_cluster_zone(const struct medium *m, uint64_t index, unsigned n)
{
    double f = (faults_cluster_radius(m, index) - ZONE_R_IN_MM) / (ZONE_R_OUT_MM - ZONE_R_IN_MM);
    unsigned z = f > 0.0 ? (unsigned)(f * n) : 0;
    return z < n ? z : n - 1;
}

void faults_cluster_span(const struct medium *m, uint64_t index, double *angle0_deg,
                         double *angle1_deg)
{
    struct arc a;
    cluster_arc(m, index, &a);
    double a0 = fmod(a.theta0 * 180.0 / M_PI, 360.0);
    *angle0_deg = a0;
    *angle1_deg = a0 + (a.theta1 - a.theta0) * 180.0 / M_PI; /* may exceed 360 */
}

/* Cluster index whose arc holds unwrapped angle theta, or -1 outside the zone. */
static int64_t cluster_at_theta(const struct medium *m, double theta)
{
    double r = radius_of_theta(m, theta);
    if (r < ZONE_R_IN_MM || r >= ZONE_R_OUT_MM)
        return -1;
    double s = (r * r - ZONE_R_IN_MM * ZONE_R_IN_MM) / zone_area_mm2();
    double i = floor(s * n_clusters(m));
    if (i < 0.0 || i >= n_clusters(m))
        return -1;
    return (int64_t)i;
}

unsigned faults_cluster_neighbours(const struct medium *m, uint64_t index, uint64_t *out,
                                   unsigned cap)
{
    struct arc a;
    cluster_arc(m, index, &a);
    unsigned count = 0;
    const double eps = 1e-9 * (a.theta1 - a.theta0);
    for (int turn = -1; turn <= 1; turn += 2) {
        int64_t first = cluster_at_theta(m, a.theta0 + turn * 2.0 * M_PI + eps);
        int64_t last = cluster_at_theta(m, a.theta1 + turn * 2.0 * M_PI - eps);
        if (first < 0 && last < 0)
            continue;
        if (first < 0)
            first = 0;
        if (last < 0)
            last = (int64_t)n_clusters(m) - 1;
        for (int64_t i = first; i <= last && count < cap; i++)
            if ((uint64_t)i != index)
                out[count++] = (uint64_t)i;
    }
    return count;
}

/* ---- damage helpers -------------------------------------------------------------------- */

/* Set byte i to a random value; returns the bits changed. */
static uint32_t smash(uint8_t *bytes, size_t i, struct util_rng *rng)
{
    uint8_t v = (uint8_t)util_rng_u64(rng);
    uint32_t changed = (uint32_t)__builtin_popcount((unsigned)(bytes[i] ^ v));
    bytes[i] = v;
    return changed;
}

/* Area of a disk of radius R left of the line x (x measured from its centre). */
static double disk_left_of(double x, double r)
{
    if (x <= -r)
        return 0.0;
    if (x >= r)
        return M_PI * r * r;
    return r * r * acos(-x / r) + x * sqrt(r * r - x * x);
}

/* Fraction of the beam cone (radius r_um at the surface) blocked by a strip of
 * half-width a_um whose centreline is y_um from the cone's axis. */
static double strip_blocked(double y_um, double a_um, double r_um)
{
    if (!(r_um > 0.0))
        return fabs(y_um) < a_um ? 1.0 : 0.0;
    return (disk_left_of(y_um + a_um, r_um) - disk_left_of(y_um - a_um, r_um)) /
           (M_PI * r_um * r_um);
}

/* Fraction of the cone blocked by a particle of radius a_um at distance y_um. */
static double disk_blocked(double y_um, double a_um, double r_um)
{
    if (!(r_um > 0.0))
        return y_um < a_um ? 1.0 : 0.0;
    double d = fabs(y_um);
    if (d >= a_um + r_um)
        return 0.0;
    double small = fmin(a_um, r_um);
    if (d <= fabs(a_um - r_um))
        return M_PI * small * small / (M_PI * r_um * r_um);
    /* lens of two circles */
    double a2 = a_um * a_um, r2 = r_um * r_um;
    double p = a2 * acos((d * d + a2 - r2) / (2.0 * d * a_um)) +
               r2 * acos((d * d + r2 - a2) / (2.0 * d * r_um)) -
               0.5 * sqrt((-d + a_um + r_um) * (d + a_um - r_um) * (d - a_um + r_um) *
                          (d + a_um + r_um));
    return p / (M_PI * r2);
}

/* Damage the bytes of a burst centred at track point p_mm (unwrapped angle theta, byte
 * position bcenter), reaching half_um along the track; blocked(y) for each byte gives
 * the blocked fraction, y being the byte's track point. */
struct burst {
    double px, py;      /* centre track point, mm */
    double tx, ty;      /* unit track tangent, direction of increasing bytes */
    double bcenter;     /* byte position of the centre */
    double half_um;     /* half-length along the track */
};

typedef double (*blocked_fn)(const void *shape, double x_mm, double y_mm);

static uint32_t burst_apply(const struct burst *b, blocked_fn blocked, const void *shape,
                            uint8_t *bytes, struct util_rng *rng)
{
    const double um_per_byte = faults_cluster_arc_mm() * 1e3 / MEDIUM_CLUSTER_BYTES;
    double lo = floor(b->bcenter - b->half_um / um_per_byte);
    double hi = ceil(b->bcenter + b->half_um / um_per_byte);
    if (lo < 0.0)
        lo = 0.0;
    if (hi > (double)MEDIUM_CLUSTER_BYTES)
        hi = (double)MEDIUM_CLUSTER_BYTES;
    uint32_t changed = 0;
    for (double j = lo; j < hi; j += 1.0) {
        double s_mm = (j + 0.5 - b->bcenter) * um_per_byte * 1e-3;
        double f = blocked(shape, b->px + s_mm * b->tx, b->py + s_mm * b->ty);
        double p = f / BLOCKED_FRACTION_LOST;
        if (p <= 0.0)
            continue;
        if (p >= 1.0 || util_rng_uniform(rng) < p)
            changed += smash(bytes, (size_t)j, rng);
    }
    return changed;
}

/* ---- scratches ------------------------------------------------------------------------- */

struct scratch_shape {
    double ax, ay, dx, dy, len2; /* segment A + t D, t in [0, 1], mm */
    double half_width_um, cone_um;
};

static double scratch_blocked(const void *shape, double x, double y)
{
    const struct scratch_shape *s = shape;
    const double len = sqrt(s->len2);
    double t = ((x - s->ax) * s->dx + (y - s->ay) * s->dy) / s->len2;
    double perp_um = fabs((x - s->ax) * s->dy - (y - s->ay) * s->dx) / len * 1e3;
    double f = strip_blocked(perp_um, s->half_width_um, s->cone_um);
    /* past an end the scratch covers less of the cone: fade out over one cone radius */
    double past_um = (t < 0.0 ? -t : (t > 1.0 ? t - 1.0 : 0.0)) * len * 1e3;
    if (past_um > 0.0)
        f *= s->cone_um > past_um ? 1.0 - past_um / s->cone_um : 0.0;
    return f;
}

static uint32_t scratch_apply(const struct medium *m, const struct medium_fault *f,
                              unsigned layer, uint64_t index, uint8_t *bytes)
{
    const struct medium_scratch *sc = &f->u.scratch;
    const double cone_um = m->model[layer].surface_cone_radius_um;
    struct scratch_shape sh;
    double a0 = sc->angle0_deg * M_PI / 180.0, a1 = sc->angle1_deg * M_PI / 180.0;
    sh.ax = sc->r0_mm * cos(a0);
    sh.ay = sc->r0_mm * sin(a0);
    sh.dx = sc->r1_mm * cos(a1) - sh.ax;
    sh.dy = sc->r1_mm * sin(a1) - sh.ay;
    sh.len2 = sh.dx * sh.dx + sh.dy * sh.dy;
    sh.half_width_um = 0.5 * sc->width_um;
    sh.cone_um = cone_um;
    if (!(sh.len2 > 0.0))
        return 0;
    const double len = sqrt(sh.len2);
    const double reach_um = sh.half_width_um + cone_um;

    struct arc arc;
    cluster_arc(m, index, &arc);
    struct util_rng rng;
    uint32_t changed = 0;
    double seen_t[2];
    unsigned seen = 0;

    /* Where the centreline crosses this cluster's turn of the spiral: solve
     * |A + t D| = r(theta(t)) by iterating the circle-line intersection on the
     * spiral's radius (contracts by pitch cot(psi) / (2 pi r) per step). */
    for (int sign = -1; sign <= 1; sign += 2) {
        double r = radius_of_theta(m, arc.theta_mid), t = 0.0, theta = 0.0;
        bool ok = false;
        for (int it = 0; it < 40; it++) {
            double b = sh.ax * sh.dx + sh.ay * sh.dy;
            double c = sh.ax * sh.ax + sh.ay * sh.ay - r * r;
            double disc = b * b - sh.len2 * c;
            if (disc < 0.0)
                break;
            t = (-b + sign * sqrt(disc)) / sh.len2;
            double px = sh.ax + t * sh.dx, py = sh.ay + t * sh.dy;
            theta = arc.theta_mid + wrap_pi(atan2(py, px) - arc.theta_mid);
            double rn = radius_of_theta(m, theta);
            if (fabs(rn - r) < 1e-9) {
                ok = true;
                break;
            }
            r = rn;
        }
        /* the burst may reach past the segment's ends by the cone */
        if (!ok || t < -reach_um * 1e-3 / len || t > 1.0 + reach_um * 1e-3 / len)
            continue;
        if (seen == 1 && fabs(seen_t[0] - t) * len < 1e-9)
            continue;
        seen_t[seen++] = t;

        struct burst bu;
        bu.px = sh.ax + t * sh.dx;
        bu.py = sh.ay + t * sh.dy;
        double pr = hypot(bu.px, bu.py);
        bu.tx = -bu.py / pr;
        bu.ty = bu.px / pr;
        bu.bcenter = byte_at(m, index, theta);
        double sin_psi = fabs((bu.px * sh.dx + bu.py * sh.dy) / (pr * len));
        double half = sin_psi > 1e-9 ? reach_um / sin_psi : INFINITY;
        bu.half_um = fmin(half, len * 1e3 + reach_um);
        util_rng_stream(&rng, m->profile.seed, RNG_FAULT, f->id, medium_cluster_key(layer, index),
                        seen);
        changed += burst_apply(&bu, scratch_blocked, &sh, bytes, &rng);
    }
    return changed;
}

/* ---- dust ------------------------------------------------------------------------------ */

struct dust_shape {
    double cx, cy;          /* particle centre, mm */
    double radius_um, cone_um;
};

static double dust_blocked(const void *shape, double x, double y)
{
    const struct dust_shape *d = shape;
    return disk_blocked(hypot(x - d->cx, y - d->cy) * 1e3, d->radius_um, d->cone_um);
}

static uint32_t dust_apply(const struct medium *m, const struct medium_fault *f, unsigned layer,
                           uint64_t index, uint8_t *bytes)
{
    const struct medium_dust *du = &f->u.dust;
    struct dust_shape sh;
    double phi = du->angle_deg * M_PI / 180.0;
    sh.cx = du->r_mm * cos(phi);
    sh.cy = du->r_mm * sin(phi);
    sh.radius_um = 0.5 * du->diameter_um;
    sh.cone_um = m->model[layer].surface_cone_radius_um;
    /* The layer sees the particle wherever the cone over a track point overlaps it:
     * within shadow + cone of its centre, physics.md §4.4 (defocused spot). */
    const double reach_um = sh.radius_um + sh.cone_um;

    struct arc arc;
    cluster_arc(m, index, &arc);
    double theta = arc.theta_mid + wrap_pi(phi - arc.theta_mid);
    double r = radius_of_theta(m, theta);
    double dr_um = fabs(r - du->r_mm) * 1e3;
    if (dr_um >= reach_um)
        return 0;
    struct burst bu;
    bu.px = r * cos(phi);
    bu.py = r * sin(phi);
    bu.tx = -sin(phi);
    bu.ty = cos(phi);
    bu.bcenter = byte_at(m, index, theta);
    bu.half_um = sqrt(reach_um * reach_um - dr_um * dr_um);
    struct util_rng rng;
    util_rng_stream(&rng, m->profile.seed, RNG_FAULT, f->id, medium_cluster_key(layer, index), 0);
    return burst_apply(&bu, dust_blocked, &sh, bytes, &rng);
}

/* ---- injected defects ------------------------------------------------------------------ *
 * count bursts over the clusters of the layers in the mask: burst j goes to slot
 * permute(j mod M) (M slots = clusters x layers), so each cluster finds its own bursts
 * through the inverse permutation in O(1) plus O(its bursts). */

static uint32_t defects_apply(const struct medium *m, const struct medium_fault *f,
                              unsigned layer, uint64_t index, uint8_t *bytes)
{
    const struct medium_defects *d = &f->u.defects;
    const unsigned mask = d->layer_mask & 3u;
    if (!(mask & (1u << layer)) || d->count == 0 || d->length_bytes == 0)
        return 0;
    const uint64_t n = m->clusters_per_layer;
    const uint64_t slots = n * (uint64_t)__builtin_popcount(mask);
    const uint64_t slot = (layer == 1 && (mask & 1u) ? n : 0) + index;
    struct util_rng rng;
    util_rng_stream(&rng, m->profile.seed, RNG_FAULT, f->id, UINT64_MAX, 0);
    const uint64_t perm_key = util_rng_u64(&rng);
    uint32_t changed = 0;
    const uint64_t len_max = d->length_bytes < MEDIUM_CLUSTER_BYTES ? d->length_bytes
                                                                     : MEDIUM_CLUSTER_BYTES;
    /* Once a cluster has taken several times its size in bursts it is noise already;
     * stop there so a huge count on a tiny medium stays O(cluster) per read. */
    uint64_t budget = 8ULL * MEDIUM_CLUSTER_BYTES;
    for (uint64_t j = model_permute(perm_key, slots, slot, true); j < d->count && budget > 0;
         j += slots) {
        util_rng_stream(&rng, m->profile.seed, RNG_FAULT, f->id, medium_cluster_key(layer, index),
                        j + 1);
        uint64_t start = util_rng_below(&rng, MEDIUM_CLUSTER_BYTES);
        uint64_t len = 1 + util_rng_below(&rng, len_max);
        budget = len < budget ? budget - len : 0;
        for (uint64_t i = start; i < start + len && i < MEDIUM_CLUSTER_BYTES; i++)
            changed += smash(bytes, (size_t)i, &rng);
    }
    return changed;
}

/* ---- production defects ---------------------------------------------------------------- */

static uint64_t production_count(const struct medium *m, unsigned layer, uint64_t index,
                                 struct util_rng *rng)
{
    util_rng_stream(rng, m->profile.seed, RNG_DEFECT, medium_cluster_key(layer, index), 0, 0);
    return util_rng_poisson(rng, m->model[layer].defects_per_cluster);
}

bool faults_cluster_defective(const struct medium *m, unsigned layer, uint64_t index)
{
    if (!(m->model[layer].defects_per_cluster > 0.0))
        return false;
    struct util_rng rng;
    return production_count(m, layer, index, &rng) > 0;
}

uint32_t faults_apply(const struct medium *m, unsigned layer, uint64_t index, uint8_t *bytes)
{
    uint32_t changed = 0;
    if (m->model[layer].defects_per_cluster > 0.0) {
        struct util_rng rng;
        uint64_t k = production_count(m, layer, index, &rng);
        for (uint64_t i = 0; i < k; i++) {
            uint64_t start = util_rng_below(&rng, MEDIUM_CLUSTER_BYTES);
            double len = MEDIUM_DEFECT_BURST_MIN_B *
                         exp(util_rng_uniform(&rng) *
                             log(MEDIUM_DEFECT_BURST_MAX_B / MEDIUM_DEFECT_BURST_MIN_B));
            uint64_t end = start + (uint64_t)len;
            for (uint64_t b = start; b < end && b < MEDIUM_CLUSTER_BYTES; b++)
                changed += smash(bytes, (size_t)b, &rng);
        }
    }
    for (uint32_t i = 0; i < m->fault_count && i < MEDIUM_MAX_FAULTS; i++) {
        const struct medium_fault *f = &m->faults[i];
        switch (f->kind) {
        case FAULT_SCRATCH:
            if (f->u.scratch.layer_mask & (1u << layer))
                changed += scratch_apply(m, f, layer, index, bytes);
            break;
        case FAULT_DUST:
            changed += dust_apply(m, f, layer, index, bytes);
            break;
        case FAULT_DEFECTS:
            changed += defects_apply(m, f, layer, index, bytes);
            break;
        default:
            break;
        }
    }
    return changed;
}

/* ---- validation ------------------------------------------------------------------------ */

static bool radius_ok(double r_mm)
{
    return isfinite(r_mm) && r_mm >= 0.0 && r_mm <= DISC_R_MAX_MM;
}

int faults_validate(const struct medium *m, const struct medium_fault *f)
{
    (void)m;
    if (f == NULL)
        return -EINVAL;
    switch (f->kind) {
    case FAULT_SCRATCH: {
        const struct medium_scratch *s = &f->u.scratch;
        if (!radius_ok(s->r0_mm) || !radius_ok(s->r1_mm) || !isfinite(s->angle0_deg) ||
            !isfinite(s->angle1_deg) || !(s->width_um > 0.0) ||
            !(s->width_um <= SCRATCH_WIDTH_MAX_UM) || (s->layer_mask & 3u) == 0 ||
            (s->layer_mask & ~3u) != 0)
            return -EINVAL;
        double a0 = s->angle0_deg * M_PI / 180.0, a1 = s->angle1_deg * M_PI / 180.0;
        double dx = s->r1_mm * cos(a1) - s->r0_mm * cos(a0);
        double dy = s->r1_mm * sin(a1) - s->r0_mm * sin(a0);
        if (!(hypot(dx, dy) > 1e-6)) /* a scratch needs a length (> 1 nm) */
            return -EINVAL;
        return 0;
    }
    case FAULT_DUST: {
        const struct medium_dust *d = &f->u.dust;
        if (!radius_ok(d->r_mm) || !isfinite(d->angle_deg) || !(d->diameter_um > 0.0) ||
            !(d->diameter_um <= DUST_DIAMETER_MAX_UM))
            return -EINVAL;
        return 0;
    }
    case FAULT_DEFECTS: {
        const struct medium_defects *d = &f->u.defects;
        if (d->count == 0 || d->count > DEFECTS_COUNT_MAX || d->length_bytes == 0 ||
            d->length_bytes > MEDIUM_CLUSTER_BYTES || (d->layer_mask & 3u) == 0 ||
            (d->layer_mask & ~3u) != 0)
            return -EINVAL;
        return 0;
    }
    default:
        return -EINVAL;
    }
}
