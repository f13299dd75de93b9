/*
 * medium_priv.h — declarations shared by the files inside medium/ and by its unit
 * tests; nothing outside medium/ includes it (STYLE.md "Headers and structs").
 *
 * Who owns what:
 *   profile.c   presets, parser, validation, canonical text       (medium.h profile API)
 *   material.c  formula parser and property derivation            (medium_material_derive)
 *   claims.c    patent-claims check                               (medium_claims_check)
 *   optics.c    transfer-matrix method and stack evaluation       (medium_optics_compute)
 *   image.c     on-image encoding: header, cluster table, fault table
 *   medium.c    the handle: create/open/close, cluster I/O, locking, host I/O table
 *   model.c     recording physics and error model per layer (write, read, wear, retention)
 *   recording.c write strategy vs velocity, power margin (mark width, jitter), DOW wear law
 *   readout.c   drive optics in the read channel: resolution, crosstalk, read disturb
 *   faults.c    disc geometry, production defects, scratches, dust
 *   clock.c     Arrhenius-equivalent simulated clock
 */
#ifndef PHASEFS_MEDIUM_PRIV_H
#define PHASEFS_MEDIUM_PRIV_H

#include "medium.h"
#include "util.h"

#include <complex.h>
#include <pthread.h>

/* Boltzmann constant in eV/K (CODATA 2018, exact). */
#define MEDIUM_KB_EV 8.617333262e-5
#define MEDIUM_REF_TEMP_K 298.15 /* equivalent time is counted at 25 C */
#define MEDIUM_SECONDS_PER_YEAR 31557600.0 /* Julian year */

/* Random-stream domains: one per kind of draw, so streams never overlap. */
enum medium_rng_domain {
    RNG_READ_NOISE = 1,   /* (layer:index, generation, reads) */
    RNG_RETENTION = 2,    /* (layer:index, generation, 0): per-mark lifetimes */
    RNG_STUCK = 3,        /* (layer:index, 0, 0): per-cell endurance */
    RNG_DEFECT = 4,       /* (layer:index, 0, 0): production defects */
    RNG_WRITE = 5,        /* (layer:index, generation, 0): write errors */
    RNG_FAULT = 6,        /* (fault id, layer:index, 0): injected damage */
    RNG_RESIDUE = 7,      /* (layer:index, generation, 0): erase residue */
    RNG_ENV = 8,          /* (layer:index, 0, 0): per-cell environmental damage;
                             (ENV_STREAM_ZONES, layer, zone): lognormal zone and disc draws */
};

/* Key of a cluster in random streams. */
static inline uint64_t medium_cluster_key(unsigned layer, uint64_t index)
{
    return ((uint64_t)layer << 56) | index;
}

/* ------------------------------------------------------------------------------------
 * Per-cluster state, kept in memory for the whole medium and persisted by image.c
 * ---------------------------------------------------------------------------------- */

#define CLUSTER_FLAG_WRITTEN 0x1u
/* image/medium: in memory only, never stored (image.c invariant 6): the cluster's table
 * entry failed its check on open; reads return -EUCLEAN until a write re-initialises it */
#define CLUSTER_FLAG_CORRUPT 0x80000000u

/* Radial zones of equal width over the data zone whose environmental life varies
 * (presets.c explains the count); geometry, so the same at every capacity. */
#define MEDIUM_ENV_ZONES 32u
/* Reference conditions of the environmental account: the controlled storage condition
 * of ISO/IEC 16963 (physics.md §9.1) */
#define MEDIUM_ENV_REF_RH 0.50
/* The stress cell at which a layer's env_t50_h is given (physics.md §9.5, [S89]) */
#define MEDIUM_ENV_STRESS_C 80.0
#define MEDIUM_ENV_STRESS_RH 0.85
/* The BD end-of-life limit the law reaches at D = 1 (physics.md §9.1 [S82], [S41]) */
#define MEDIUM_ENV_SER_FAIL 2.0e-4

struct medium_cluster_meta {
    uint32_t cycles;        /* overwrites (= writes) so far */
    uint32_t generation;    /* increments on every write; keys the mark lifetimes */
    uint32_t reads;         /* reads since creation; keys fresh read noise */
    uint32_t flags;         /* CLUSTER_FLAG_* */
    double write_equiv_s;   /* the layer's equivalent-time account when last written */
    double disturb_equiv_s; /* extra equivalent age from read disturb and cross-erase */
};

/* ------------------------------------------------------------------------------------
 * Derived, constant-after-open model of one layer (model.c fills it)
 * ---------------------------------------------------------------------------------- */

struct model_layer {
    double power_opt_mw;        /* peak power for optimal marks */
    double power_ratio;         /* configured / optimal */
    double erase_opt_mw;        /* erase power for optimal crystallization */
    double write_error_rate;    /* bathtub: persistent wrong bits per bit written */
    double erase_completeness;  /* JMAK fraction erased within the spot dwell time */
    double ber_fresh;           /* transient BER at cycle 0, zero age */
    double ser_fresh;           /* the same as a symbol error rate (SER0 of §4.3) */
    double ser_first;           /* SER_first of §4.3: added on DOW-1 ... DOW-10 */
    double crosstalk_ber;       /* added by the other layer */
    double dow_n0, dow_beta;    /* overwrite model (§4.3) */
    double ea_ev;               /* retention activation energy */
    double median_life_ref_s;   /* median mark life at 25 C */
    double retention_sigma;     /* lognormal sigma_ln */
    double stuck_scale_cycles;  /* Weibull scale of cell endurance */
    double stuck_shape;
    double defects_per_cluster; /* production defect bursts per cluster (Poisson mean) */
    double defect_burst_bytes;  /* mean burst length */
    double read_disturb_s;
    double cross_erase_s;       /* equivalent seconds a neighbour write adds */
    /* model: radius of the focused beam's cone where it crosses the cover surface;
     * sets how wide and how weak surface scratches and dust look on this layer */
    double surface_cone_radius_um;
    /* environmental (T + RH) mechanism, environ.c fills these */
    double env_dh_ev;           /* Eyring activation energy */
    double env_b;               /* humidity factor per unit RH fraction */
    double env_life_ref_s;      /* median damage time (D = 1) at 25 C / 50 % RH */
    double env_ser0;            /* SER the law starts from */
    double env_log_gain;        /* ln(SER_fail / env_ser0): log SER gained per unit D */
    double env_disc_factor;     /* this disc's lognormal life factor (from the seed) */
    double env_zone_factor[MEDIUM_ENV_ZONES]; /* and its zones' (disc factor included) */
};

/* ------------------------------------------------------------------------------------
 * Injected faults, recorded in the image
 * ---------------------------------------------------------------------------------- */

enum medium_fault_kind {
    FAULT_SCRATCH = 1,
    FAULT_DUST = 2,
    FAULT_DEFECTS = 3,
};

#define MEDIUM_MAX_FAULTS 256

struct medium_fault {
    uint32_t kind; /* enum medium_fault_kind */
    uint32_t id;   /* sequence number: keys the fault's random stream */
    union {
        struct medium_scratch scratch;
        struct medium_dust dust;
        struct medium_defects defects;
    } u;
};

/* ------------------------------------------------------------------------------------
 * The handle
 * ---------------------------------------------------------------------------------- */

#define MEDIUM_LOCK_STRIPES 64
#define MEDIUM_POOL_BUFFERS 8 /* image/medium: write scratch buffers kept for reuse */

struct medium {
    int fd;
    struct medium_io io; /* every entry non-NULL (libc filled in) */
    bool read_only;
    char *path;

    struct medium_profile profile;
    struct medium_material material[MEDIUM_LAYER_COUNT];
    struct medium_optics optics;
    struct model_layer model[MEDIUM_LAYER_COUNT];

    uint64_t clusters_per_layer;
    struct medium_cluster_meta *meta; /* [layer * clusters_per_layer + index] */

    /* guarded by state_lock (write-locked by age/inject, read-locked by cluster I/O) */
    struct medium_clock clock;
    struct medium_fault faults[MEDIUM_MAX_FAULTS];
    uint32_t fault_count;
    uint64_t header_generation;   /* image.c: which header slot is newest */
    pthread_rwlock_t state_lock;

    /* guards meta[] entries whose index % MEDIUM_LOCK_STRIPES selects the stripe,
     * and the dirty bitmap bits of those entries */
    pthread_mutex_t stripe[MEDIUM_LOCK_STRIPES];
    uint8_t *meta_dirty;          /* one bit per cluster: entry changed since last sync */

    /* image.c layout (byte offsets in the host file) */
    uint64_t meta_offset;
    uint64_t fault_offset;
    uint64_t data_offset;
    uint64_t image_bytes;

    /* image/medium */
    uint64_t profile_bytes;       /* image.c: length of the stored profile text */
    uint32_t profile_crc;         /* image.c: its CRC-32, repeated in every header */
    /* scratch buffers of the write path (2 x MEDIUM_CLUSTER_BYTES each), so a write
     * never allocates once the pool is warm; guarded by pool_lock, freed on close.
     * Lock order: state_lock, then one stripe, then pool_lock. */
    pthread_mutex_t pool_lock;
    uint8_t *pool[MEDIUM_POOL_BUFFERS];
    unsigned pool_count;
};

static inline struct medium_cluster_meta *medium_meta(struct medium *m, unsigned layer,
                                                      uint64_t index)
{
    return &m->meta[(uint64_t)layer * m->clusters_per_layer + index];
}

/* ------------------------------------------------------------------------------------
 * material.c
 * ---------------------------------------------------------------------------------- */

/* Element counts of a parsed formula before normalisation, and its shape as written,
 * for the claims check. */
struct material_formula {
    struct medium_element_share elements[MEDIUM_MAX_ELEMENTS]; /* atomic percent */
    unsigned element_count;
    enum medium_family family;
    double a, b, c;      /* GeSbTe family */
    char m2[4], m3[4];
    double x, y;         /* SbTe family */
    char m1[MEDIUM_MAX_ELEMENTS][4];
    unsigned m1_count;
};

int material_formula_parse(const char *formula, struct material_formula *out, char *why,
                           size_t why_cap) PFS_MUST_CHECK;

/* ------------------------------------------------------------------------------------
 * optics.c
 * ---------------------------------------------------------------------------------- */

enum optics_polarization { OPTICS_S = 0, OPTICS_P = 1 };

struct optics_result {
    double complex r, t;
    double R, T;
};

/*
 * Coherent transfer-matrix calculation (Byrnes, arXiv:1603.02720; physics.md §6) for
 * count media: n[0] and n[count-1] semi-infinite (d ignored), n[1..count-2] films of
 * thickness d[i], all lengths in the unit of lambda. theta0 in radians in medium 0
 * (n[0] real). absorbed, if not NULL, receives count entries: the fraction of incident
 * power absorbed in each film (0 for the semi-infinite media).
 * Returns 0, or -EINVAL (count < 2, non-real n[0], evanescent in medium 0).
 */
int optics_tmm(const double complex *n, const double *d, size_t count, double lambda,
               double theta0, enum optics_polarization pol, struct optics_result *out,
               double *absorbed) PFS_MUST_CHECK;

/* ------------------------------------------------------------------------------------
 * image.c — on-image encoding (see the invariants block there)
 * ---------------------------------------------------------------------------------- */

/* Lay out a new image for m (offsets, size) and write header, empty tables, and the
 * sparse data region. Returns 0 or -EIO/-EFBIG. */
int image_format(struct medium *m) PFS_MUST_CHECK;

/* Read and check header, profile text, fault table and cluster table into m.
 * Returns 0, -EUCLEAN, -EPROTO, -EIO, -ENOMEM. */
int image_load(struct medium *m) PFS_MUST_CHECK;

/* Write the newest header slot (clock, faults count, generation) durably. */
int image_header_store(struct medium *m) PFS_MUST_CHECK;

/* Write the fault table. */
int image_faults_store(struct medium *m) PFS_MUST_CHECK;

/* Write the cluster-table entries marked dirty, then clear their bits. */
int image_meta_flush(struct medium *m) PFS_MUST_CHECK;

/* Byte offset of a cluster's recorded bytes. */
uint64_t image_cluster_offset(const struct medium *m, unsigned layer, uint64_t index);

/* image/medium: host I/O through m->io, looping over EINTR and short transfers.
 * image_read_at returns the bytes read (fewer than len only at end of file) or -EIO;
 * image_write_at returns 0 or -EIO. */
ssize_t image_read_at(const struct medium *m, void *buf, size_t len, uint64_t off);
int image_write_at(const struct medium *m, const void *buf, size_t len,
                   uint64_t off) PFS_MUST_CHECK;

/* ------------------------------------------------------------------------------------
 * model.c — recording physics and error model
 * ---------------------------------------------------------------------------------- */

/* Derive m->model[] from m->profile, m->material, m->optics. Returns 0 or -EINVAL. */
int model_init(struct medium *m) PFS_MUST_CHECK;

/* True if model_write needs the cluster's previous recorded bytes (erase residue). */
bool model_write_needs_old(const struct medium *m, unsigned layer);

/*
 * Turn the bytes a caller asks to record into the bytes the layer actually holds:
 * persistent write errors from the power margin, erase residue of old marks (old may
 * be NULL for a blank cluster). meta is the state before the write (the caller then
 * bumps cycles and generation). recorded receives MEDIUM_CLUSTER_BYTES.
 */
void model_write(const struct medium *m, unsigned layer, uint64_t index,
                 const struct medium_cluster_meta *meta, const uint8_t *wanted,
                 const uint8_t *old, uint8_t *recorded, struct medium_write_report *rep);

/*
 * Apply, in place, what a read sees on top of the recorded bytes: production defects
 * and injected faults (via faults.c), stuck cells, retention loss for the marks' age,
 * and transient noise keyed by meta->reads. meta is the state at this read (reads
 * already incremented). Caller holds the cluster's stripe and state_lock (read).
 */
void model_read(const struct medium *m, unsigned layer, uint64_t index,
                const struct medium_cluster_meta *meta, uint8_t *bytes,
                struct medium_read_report *rep);

/* Current transient raw BER of a cluster (wear, crosstalk, power margin). */
double model_cluster_ber(const struct medium *m, unsigned layer,
                         const struct medium_cluster_meta *meta);

/* Equivalent age at 25 C of a cluster's marks now. */
double model_cluster_age(const struct medium *m, unsigned layer,
                         const struct medium_cluster_meta *meta);

/* Expected fraction of marks lost after equiv_age_s equivalent seconds at 25 C. */
double model_retention_fraction(const struct medium *m, unsigned layer, double equiv_age_s);

/* Cells of the cluster stuck by wear at this cycle count. */
uint32_t model_stuck_cells(const struct medium *m, unsigned layer, uint64_t index,
                           uint32_t cycles);

/* model: keyed bijection of [0, n) (cycle-walking Feistel network), so the k-th event
 * of a keyed stream lands on a distinct position without a set of used positions;
 * inverse selects the inverse map. n >= 1, x < n. */
uint64_t model_permute(uint64_t key, uint64_t n, uint64_t x, bool inverse);

/* ------------------------------------------------------------------------------------
 * recording.c — write strategy, power margin, overwrite wear
 * ---------------------------------------------------------------------------------- */

/* Factor the drive applies to the profile's write-strategy powers at its linear
 * velocity (1 when the strategy is given for that velocity). */
double recording_strategy_scale(const struct medium_profile *p);

/* Nominal mark half-width as a fraction of the spot lambda/NA (EST). */
extern const double recording_mark_half_width_per_spot;

/* Mark width relative to the nominal one at peak power ratio P/P_opt (0: no mark). */
double recording_mark_width(double power_ratio);

/* Jitter (fraction of T) of marks written at P/P_opt on layer. */
double recording_jitter(unsigned layer, double power_ratio);

/* Symbol error rate those marks carry, 0-1. */
double recording_margin_ser(unsigned layer, double power_ratio);

/* Transient symbol error rate of a cluster of layer after cycles writes. */
double recording_dow_ser(const struct model_layer *ml, uint32_t cycles);

/* ------------------------------------------------------------------------------------
 * readout.c — the drive's optics in the read channel
 * ---------------------------------------------------------------------------------- */

/* False if the shortest mark period (2T) is below the cutoff lambda / (2 NA). */
bool readout_resolves(const struct medium_profile *p);

/* Read-signal amplitude against the format's 405 nm / NA 0.85 optics (0: unreadable). */
double readout_signal_gain(const struct medium_profile *p);

/* Inter-layer crosstalk relative to the reference 25 um spacer (INFINITY: none). */
double readout_crosstalk_scale(const struct medium_profile *p);

/* Equivalent seconds at 25 C one read pass adds to a layer's marks. */
double readout_disturb_s(const struct medium_profile *p, double ea_ev, double erase_opt_mw,
                         double erase_temp_k, double dwell_ns);

/* ------------------------------------------------------------------------------------
 * faults.c — geometry and damage
 * ---------------------------------------------------------------------------------- */

/* Radius (mm) of the middle of a cluster; angular span in degrees [start, end). */
double faults_cluster_radius(const struct medium *m, uint64_t index);
void faults_cluster_span(const struct medium *m, uint64_t index, double *angle0_deg,
                         double *angle1_deg);

/* Flip/overwrite the bytes that production defects and recorded faults damage in this
 * cluster; returns the number of bits changed. */
uint32_t faults_apply(const struct medium *m, unsigned layer, uint64_t index, uint8_t *bytes);

/* True if the cluster has production defects (for layer status). */
bool faults_cluster_defective(const struct medium *m, unsigned layer, uint64_t index);

/* Check a fault's geometry against the disc. Returns 0 or -EINVAL. */
int faults_validate(const struct medium *m, const struct medium_fault *f) PFS_MUST_CHECK;

/* Production defect bursts are log-uniform between these lengths (EST: 9-190 um of
 * track, particulates and pinholes of a sputtered stack); faults.c draws them, model.c
 * uses their mean for the defect capture area. */
#define MEDIUM_DEFECT_BURST_MIN_B 10.0
#define MEDIUM_DEFECT_BURST_MAX_B 200.0

/* model: track length of one cluster in mm; the same at every capacity, since a
 * smaller medium widens the track pitch instead of shortening clusters. */
double faults_cluster_arc_mm(void);

/* model: clusters on the adjacent turns whose arcs run beside this cluster's (the
 * neighbours a write heats, physics.md §4.4). Writes up to cap indices, inner turn
 * first, and returns how many (fewer at the edges of the data zone). */
unsigned faults_cluster_neighbours(const struct medium *m, uint64_t index, uint64_t *out,
                                   unsigned cap);

/* ------------------------------------------------------------------------------------
 * clock.c
 * ---------------------------------------------------------------------------------- */

/* Arrhenius acceleration of temp_c relative to 25 C for activation energy ea_ev. */
double clock_acceleration(double ea_ev, double temp_c);

/* Eyring acceleration of (temp_c, rh fraction) relative to 25 C / 50 % RH for
 * activation energy dh_ev and humidity factor b (physics.md §9.5). */
double clock_env_acceleration(double dh_ev, double b, double temp_c, double rh);

/* Advance c by seconds at temp_c and rh_pct: extend the current run, or fold it into
 * the accounts first if the conditions differ (struct medium_clock). */
void clock_advance(struct medium_clock *c, const struct model_layer model[MEDIUM_LAYER_COUNT],
                   double seconds, double temp_c, double rh_pct);

/* ------------------------------------------------------------------------------------
 * environ.c — the environmental (T + RH) mechanism
 * ---------------------------------------------------------------------------------- */

/* Fill the env_* members of m->model[] from the profile and the seed. Returns 0 or
 * -EINVAL. */
int environ_init(struct medium *m) PFS_MUST_CHECK;

/* Damage D of a cluster's zone now (persistent: the stack, not the marks, ages, so a
 * rewrite does not reset it). */
double environ_cluster_damage(const struct medium *m, unsigned layer, uint64_t index);

/* Symbol error rate that damage D adds: SER0 ((SER_fail / SER0)^D - 1), at most 1. */
double environ_ser(const struct model_layer *ml, double damage);

/* model: zone of a cluster among n equal radius bands of the data zone (faults.c). */
unsigned faults_cluster_zone(const struct medium *m, uint64_t index, unsigned n);

#endif /* PHASEFS_MEDIUM_PRIV_H */
