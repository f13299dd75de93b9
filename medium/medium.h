/*
 * medium.h — the one public interface of libmedium, the simulated two-layer
 * phase-change medium (DESIGN.md "medium/").
 *
 * libmedium records and returns physical clusters of bytes (1 = amorphous mark,
 * 0 = crystalline) on two recording layers and reports physical facts: optics, write
 * energy against the material thresholds, wear, retention, defects, the simulated
 * clock. It knows nothing of ECC, sectors or files, never prints, never reads the
 * environment, and returns negative errno values (STYLE.md "Errors"):
 *   -EINVAL  bad argument or profile value     -EIO      the host image file failed
 *   -EUCLEAN image structure is corrupt         -ENOMEM   allocation failed
 *   -ERANGE  cluster or layer out of range      -EROFS    medium opened read-only
 *   -ENOENT  no such preset or file             -EOPNOTSUPP feature of a mode not built yet
 *   -EPROTO  image of an unknown format version -EFBIG    size beyond what the format holds
 *   -EBUSY   the image is locked by another open handle (another process: a daemon)
 *   -ENOLCK  the host filesystem cannot lock the image
 * Every random draw is keyed by the medium's seed, so a run replays exactly.
 */
#ifndef PHASEFS_MEDIUM_H
#define PHASEFS_MEDIUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#if defined(__GNUC__)
#define MEDIUM_MUST_CHECK __attribute__((warn_unused_result))
#else
#define MEDIUM_MUST_CHECK
#endif

/* ------------------------------------------------------------------------------------
 * Geometry constants
 * ---------------------------------------------------------------------------------- */

/* Layers are numbered as in the Blu-ray format: L0 is the far layer (deepest from the
 * laser), L1 the near, semi-transparent one (physics.md §3.6). */
enum medium_layer {
    MEDIUM_LAYER_FAR = 0,  /* L0 */
    MEDIUM_LAYER_NEAR = 1, /* L1 */
};
#define MEDIUM_LAYER_COUNT 2

/* One physical cluster: 496 recording frames of 155 bytes, the recorded size of one
 * Blu-ray ECC cluster (152 LDC + 3 BIS columns x 496 rows = 76,880 B; physics.md §3.2). */
#define MEDIUM_CLUSTER_BYTES 76880u
#define MEDIUM_CLUSTER_BITS (MEDIUM_CLUSTER_BYTES * 8u)

/* Real capacity of one layer: 12,219,392 user sectors x 2048 B (physics.md §3.1 [S44]),
 * i.e. 381,856 clusters of 64 KiB of user data. SIZE arguments count user bytes. */
#define MEDIUM_USER_BYTES_PER_CLUSTER 65536u
#define MEDIUM_REAL_LAYER_BYTES 25025314816ULL
#define MEDIUM_MIN_LAYER_BYTES (1ULL << 20) /* 16 clusters: smallest useful test medium */
/* The largest layer a profile or an image may describe: the real one. Every table
 * libmedium sizes from an image is bounded by it (2 x 381,856 cluster entries, about
 * 24 MiB in memory), so no header can make medium_open allocate more. */
#define MEDIUM_MAX_LAYER_BYTES MEDIUM_REAL_LAYER_BYTES

enum medium_mode {
    MEDIUM_MODE_OPTICAL = 0,    /* laser, dual-layer BD-RE-like */
    MEDIUM_MODE_ELECTRICAL = 1, /* current pulses through two stacked layers in series */
};

/* ------------------------------------------------------------------------------------
 * Profiles (format: phasefs-profile(5))
 * ---------------------------------------------------------------------------------- */

#define MEDIUM_NAME_MAX 64
#define MEDIUM_FORMULA_MAX 64
#define MEDIUM_MAX_FILMS 24

/* Role of one film of the optical stack, listed from the laser side. */
enum medium_film_role {
    MEDIUM_FILM_COVER = 0,        /* light-incidence substrate ("substrate 1"), thick */
    MEDIUM_FILM_PROTECTIVE,       /* ZnS-SiO2 dielectric */
    MEDIUM_FILM_INTERFACE,        /* ZrO2-Cr2O3, GeN ... */
    MEDIUM_FILM_RECORDING,        /* a phase-change layer; n+ik from its material */
    MEDIUM_FILM_REFLECTIVE,       /* Ag alloy */
    MEDIUM_FILM_TRANSMITTANCE,    /* transmittance-adjusting layer (TiO2) */
    MEDIUM_FILM_SEPARATING,       /* optical separating layer (spacer), thick */
    MEDIUM_FILM_SUBSTRATE,        /* back substrate ("substrate 2"), thick */
};

struct medium_film {
    enum medium_film_role role;
    char material[MEDIUM_NAME_MAX]; /* label, e.g. "ZnS-SiO2"; formula for recording */
    double thickness_nm;
    double n, k;   /* N = n + ik at the drive wavelength; ignored for recording films */
    int layer;     /* for recording films: enum medium_layer; otherwise -1 */
};

/* Per recording layer: material and how it is written. */
struct medium_layer_profile {
    char material[MEDIUM_FORMULA_MAX]; /* composition formula, e.g. "Ge8Sb2Te11" */
    /* optical write strategy (physics.md §7.4) */
    double peak_power_mw;
    double erase_power_mw;
    double bias_power_mw;
    /* production: film deposition rate (patent: 0.1-3 near, 0.3-10 far) */
    double film_rate_nm_s;
    /* overwrite model (physics.md §4.3): SER(N) = SER0 (1 + (N/N0)^beta);
     * 0 means "derive from the material" */
    double dow_n0_cycles;
    double dow_beta;
    /* environmental (T + RH) ageing of this layer's stack, Eyring law of physics.md §9.5:
     * damage time tau(T, RH) = A exp(dH / kB T) exp(B RH), RH a fraction; A is given as
     * the median damage time at the 80 C / 85 % RH stress cell. All EST (§9.5, §9.7: no
     * measured disc value exists); a lab's calibration replaces them. */
    double env_activation_ev; /* dH, > 0 */
    double env_humidity_b;    /* B, <= 0: humidity shortens life */
    double env_t50_h;         /* median time to damage D = 1 at 80 C / 85 % RH, hours */
};

/* Electrical mode pulses (physics.md §7.5); parsed and claim-checked, recording
 * physics for this mode is not built yet. */
struct medium_electrical_profile {
    double ic_ma, tc_ns;   /* crystallizing (SET) pulse */
    double ia1_ma, ta1_ns; /* amorphizes layer 1 (near, higher Tm) */
    double ia2_ma, ta2_ns; /* amorphizes layer 2 (far, lower Tm) alone */
    double r_c1_ohm, r_c2_ohm, r_a1_ohm, r_a2_ohm;
    double drift_nu1, drift_nu2;
    double endurance_cycles;
};

/* Tunable terms of the error model; defaults from physics.md §4 (EST values). */
struct medium_model_profile {
    double ser0;                  /* raw symbol error rate of a fresh layer at P_opt (§4.3) */
    double retention_sigma;       /* lognormal sigma_ln of mark lifetimes (§4.1) */
    double read_disturb_s;        /* equivalent seconds at 25 C each read adds beyond the
                                   * read beam's own heating (§4.4) */
    double crosstalk;             /* inter-layer crosstalk fraction at the 25 um spacer of
                                   * §4.4 (~1e-4); scales with the real spacer */
    double cross_erase;           /* fraction of peak heating reaching neighbours (§4.4) */
    double defect_density_per_cm2;/* production defects; 0 = derive from sputtering */
    double stuck_onset;           /* stuck cells: Weibull scale as a multiple of N0; 0: none */
    double stuck_shape;           /* Weibull shape of cell endurance */
    double dow_first_ser;         /* SER_first: extra SER on DOW-1 ... DOW-10 (§4.3) */
    /* environmental ageing (physics.md §9.5, EST): log10 SER grows linearly with damage D
     * from env_ser0 to the format limit 2e-4 at D = 1; lognormal spread of the damage
     * time across discs (through the seed) and across radial zones of a disc */
    double env_ser0;              /* SER of a fresh disc the law starts from */
    double env_disc_sigma;        /* sigma_ln across discs */
    double env_zone_sigma;        /* sigma_ln across the radial zones of one disc */
};

/* Spare areas the sector layer sets aside on each layer when it formats the medium
 * (physics.md §3.7: ISA 256 MiB + OSA 512 MiB of a 25 GB layer). Each area is either a
 * size (bytes > 0, fraction 0) or a fraction of the layer's clusters (bytes 0); never
 * both. libmedium only carries these values; src/sector interprets them. */
struct medium_format_profile {
    double inner_spare_fraction; /* ISA as a fraction of the layer, 0-0.5 */
    double outer_spare_fraction; /* OSA as a fraction of the layer, 0-0.5 */
    uint64_t inner_spare_bytes;  /* ISA size; 0: use the fraction */
    uint64_t outer_spare_bytes;  /* OSA size; 0: use the fraction */
};

struct medium_profile {
    char name[MEDIUM_NAME_MAX];
    enum medium_mode mode;
    uint64_t seed;
    uint64_t capacity_per_layer; /* user bytes per layer, multiple of 64 KiB */
    double temperature_c;        /* storage/operating temperature */
    double humidity_pct;         /* [environment] relative humidity, 0-100 % */
    /* drive */
    double wavelength_nm;  /* 390-430 */
    double na;             /* 0.5-1.1 */
    double linear_velocity_m_s; /* 3-30 */
    double read_power_mw;
    /* linear velocity the layers' write-strategy powers are given for; the drive scales
     * them to linear_velocity_m_s (0: they are for linear_velocity_m_s itself) */
    double strategy_velocity_m_s;
    /* production */
    char sputter_gas[8];   /* "Ar" or "Kr" */
    double n2_fraction;    /* fraction of N2 in the sputtering gas, 0-1 */
    double o2_fraction;
    struct medium_layer_profile layer[MEDIUM_LAYER_COUNT];
    struct medium_film films[MEDIUM_MAX_FILMS]; /* from the laser side */
    unsigned film_count;
    struct medium_electrical_profile electrical;
    struct medium_model_profile model;
    struct medium_format_profile format;
};

/* Where a profile failed to parse or validate: enough for one precise line. */
struct medium_parse_error {
    char file[256];    /* file name, or "<preset NAME>" / "<image>" */
    unsigned line;     /* 1-based; 0 when the problem is not on one line */
    char key[64];      /* "section.key", or "" */
    char message[192]; /* what is wrong and what is expected */
};

/* Names of the built-in presets, NULL-terminated; the first is the default. */
const char *const *medium_preset_names(void);

/*
 * Fill *out with the built-in preset called name ("bd-re-dl", "pcm-2l").
 * Returns 0, or -ENOENT if there is no such preset.
 */
int medium_profile_preset(const char *name, struct medium_profile *out) MEDIUM_MUST_CHECK;

/*
 * Parse profile text (len bytes, need not be NUL-terminated). Keys not given keep the
 * value of the preset named by "[medium] base = NAME" (default bd-re-dl), so a profile
 * may say only what differs. The result is validated (medium_profile_validate).
 * filename is only used in *err. Returns 0, -EINVAL with *err filled (err may be
 * NULL), or -ENOMEM.
 */
int medium_profile_parse(const char *text, size_t len, const char *filename,
                         struct medium_profile *out,
                         struct medium_parse_error *err) MEDIUM_MUST_CHECK;

/*
 * Load spec: a preset name if one matches, otherwise a profile file path.
 * Returns 0; -ENOENT (neither a preset nor a readable file; err names it); -EINVAL
 * (parse/validation error, err filled); -EIO; -ENOMEM.
 */
int medium_profile_load(const char *spec, struct medium_profile *out,
                        struct medium_parse_error *err) MEDIUM_MUST_CHECK;

/*
 * Check that every value is usable by the simulator (physically meaningful ranges,
 * a parsable material per layer, exactly one recording film per layer, near before
 * far). This is not the patent-claims check. Returns 0 or -EINVAL with *err filled.
 */
int medium_profile_validate(const struct medium_profile *p,
                            struct medium_parse_error *err) MEDIUM_MUST_CHECK;

/*
 * Write p as canonical profile text (every key, in sections) into buf (cap bytes,
 * NUL-terminated). Parsing the text gives back an equal profile. Returns the length
 * without the NUL, or -ENOSPC if cap is too small (then nothing useful is in buf).
 */
int medium_profile_format(const struct medium_profile *p, char *buf, size_t cap);

/* ------------------------------------------------------------------------------------
 * Materials (physics.md §1, §7.3)
 * ---------------------------------------------------------------------------------- */

enum medium_family {
    MEDIUM_FAMILY_UNKNOWN = 0,
    MEDIUM_FAMILY_GESBTE,  /* Ge_a Sb_b Te_(3+a), its (Ge-M2) and +M3_c variants */
    MEDIUM_FAMILY_SBTE,    /* (Sb_x Te_(100-x))_(100-y) M1_y, incl. AgInSbTe */
};

enum medium_mechanism {
    MEDIUM_NUCLEATION_DOMINATED = 0,
    MEDIUM_GROWTH_DOMINATED = 1,
};

#define MEDIUM_MAX_ELEMENTS 12

struct medium_element_share {
    char symbol[4];
    double atomic_percent; /* of the whole film, dopants from the gas included */
};

struct medium_material {
    char formula[MEDIUM_FORMULA_MAX];
    struct medium_element_share elements[MEDIUM_MAX_ELEMENTS];
    unsigned element_count;
    /* family recognised from the formula, and its parameters as the claims write them */
    enum medium_family family;
    double ge_a, sb_b, m3_c;  /* GeSbTe: a, b, c (c = 0 if no M3) */
    char m2[4], m3[4];        /* substituent of Ge, additive element; "" if none */
    double sbte_x, sbte_y;    /* SbTe: x, y */
    char m1[MEDIUM_MAX_ELEMENTS][4]; /* SbTe: additive elements */
    unsigned m1_count;
    /* derived properties (each traceable to physics.md; see material.c) */
    double tm_k;        /* melting point */
    double tg_k;        /* glass transition (MYEGA) */
    double tx_k;        /* crystallization temperature at 10 K/min */
    double ea_ev;       /* retention activation energy */
    double t10_k;       /* temperature of 10-year median mark life */
    enum medium_mechanism mechanism;
    double cet_ns;      /* complete-erasure (crystallization) time at the optimum */
    double growth_m_s;  /* maximum crystal growth velocity */
    double n_c, k_c;    /* n + ik, crystalline, at the wavelength asked for */
    double n_a, k_a;    /* n + ik, amorphous */
    double dow_n0_cycles, dow_beta; /* overwrite endurance (physics.md §4.3, §7.3) */
    double rho_c_ohm_m, rho_a_ohm_m; /* resistivities (electrical mode, §7.3) */
    double rho_cp_j_m3k;             /* volumetric heat capacity */
    double hf_j_m3;                  /* volumetric enthalpy of fusion */
};

/*
 * Parse a composition formula in every form the claims use — "Ge8Sb2Te11",
 * "(Ge-Sn)4Sb2Te7", "(Ge2Sb2Te5)95Bi5", "(Sb70Te30)95Ge5", "Ag5In5Sb60Te30" — and
 * derive its properties at wavelength_nm, with nitrogen and oxygen from the sputtering
 * gas (fractions 0-1 of the gas) acting as dopants. Returns 0, or -EINVAL with a
 * NUL-terminated reason in why (why may be NULL).
 */
int medium_material_derive(const char *formula, double wavelength_nm, double n2_fraction,
                           double o2_fraction, struct medium_material *out, char *why,
                           size_t why_cap) MEDIUM_MUST_CHECK;

/* ------------------------------------------------------------------------------------
 * Patent-claims check
 * ---------------------------------------------------------------------------------- */

struct medium_claim {
    char id[24];        /* stable key, e.g. "near.thickness" */
    char text[128];     /* the constraint in words */
    char value[64];     /* the value found in the profile */
    char range[64];     /* what the claim allows */
    bool applicable;    /* false: does not apply to this profile's mode */
    bool pass;
};

#define MEDIUM_MAX_CLAIMS 48

/*
 * Hold p against every constraint of the patent's claims. Fills out[0..n) and returns
 * n (all constraints are listed, passing or not), -ENOSPC if cap is too small.
 */
int medium_claims_check(const struct medium_profile *p, struct medium_claim *out,
                        size_t cap);

/* ------------------------------------------------------------------------------------
 * Optics (transfer-matrix method over the stack; physics.md §6)
 * ---------------------------------------------------------------------------------- */

struct medium_layer_optics {
    /* the layer's own information stack (incoherent thick media around it) */
    double Rc, Ra;       /* reflectance, crystalline / amorphous recording film */
    double Tc, Ta;       /* transmittance */
    double Ac, Aa;       /* fraction absorbed in the recording film itself */
    /* as the drive sees it through the layers in front (identical for the near layer) */
    double Rc_eff, Ra_eff;
    double Ac_eff, Aa_eff; /* fraction of the incident beam absorbed in the recording film */
    double contrast;       /* (Rc_eff - Ra_eff) / (Rc_eff + Ra_eff) */
};

struct medium_optics {
    struct medium_layer_optics layer[MEDIUM_LAYER_COUNT];
    double near_transmittance_avg; /* (Tc + Ta) / 2 of the near layer (claim 11) */
};

/*
 * Compute the optics of every layer of p's stack at p->wavelength_nm, at normal
 * incidence. Returns 0, or -EINVAL if the stack cannot be evaluated (no recording film
 * for a layer, a material that does not parse); other errors of
 * medium_material_derive (-ENOMEM) pass through.
 */
int medium_optics_compute(const struct medium_profile *p,
                          struct medium_optics *out) MEDIUM_MUST_CHECK;

/* ------------------------------------------------------------------------------------
 * The medium: an image file on the host
 * ---------------------------------------------------------------------------------- */

struct medium;

/*
 * Host I/O of the image, as a table so tests can inject EIO, short writes and power
 * cuts (STYLE.md "Determinism and test hooks"). Each entry has libc's contract
 * (-1 and errno on failure). A NULL table, or a NULL entry, means libc.
 */
struct medium_io {
    int (*open)(const char *path, int flags, mode_t mode);
    int (*close)(int fd);
    ssize_t (*pread)(int fd, void *buf, size_t len, off_t off);
    ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
    int (*fsync)(int fd);
    int (*ftruncate)(int fd, off_t len);
    int (*fstat)(int fd, struct stat *st);
    int (*flock)(int fd, int operation); /* flock(2): the image lock */
};

/*
 * The image lock. Every handle holds a flock(2) lock on its image from open (or create)
 * to close: exclusive for a handle that may write, shared for a read-only one. So one
 * writer excludes every other handle, read-only handles share the image, and no tool
 * built on libmedium can change an image that a daemon has open, or read one while it
 * changes. Locks belong to the open file, so two handles in one process conflict as
 * two processes do. A lock held by someone else gives -EBUSY once lock_wait_ms has
 * passed: a daemon still flushing after `fusermount3 -u` lets go within seconds.
 * `flock IMAGE true` waits until every writer has closed the image.
 */
#define MEDIUM_LOCK_WAIT_MS 5000 /* what the tools wait: a daemon's final flush, EST */

struct medium_open_options {
    const struct medium_io *io; /* NULL: libc */
    bool read_only;             /* no write reaches the image, not even read counters;
                                 * takes the lock shared */
    unsigned lock_wait_ms;      /* how long to wait for a lock held elsewhere; 0: no wait */
};

/*
 * Create a new image at path for profile p (capacity, seed and all). Fails with
 * -EEXIST if path exists, unless overwrite is set. The file is sparse: creating a
 * 25 GB-per-layer image writes only the header and tables. Production defects are
 * drawn from the seed. The new handle holds the image lock exclusively; an existing
 * file is locked before a byte of it changes. Returns 0 and *out, or -EINVAL (invalid
 * profile), -EEXIST, -EBUSY (overwrite of an image another handle holds: it is left as
 * it was), -ENOLCK (the host filesystem cannot lock), -EFBIG, -EOPNOTSUPP
 * (electrical-mode recording not built yet), -EIO, -ENOMEM, and open(2)'s -EACCES,
 * -EPERM, -EISDIR, -ENOTDIR, -EROFS. A failed create leaves no file, but for -EBUSY.
 */
struct medium_create_options {
    const struct medium_io *io;
    bool overwrite;
    unsigned lock_wait_ms; /* as in struct medium_open_options */
};
int medium_create(const char *path, const struct medium_profile *p,
                  const struct medium_create_options *opt,
                  struct medium **out) MEDIUM_MUST_CHECK;

/*
 * Open an existing image and take its lock (exclusive, or shared if opt->read_only),
 * before reading anything. Every structure is checked before use, and every size in the
 * header against the real geometry (MEDIUM_MAX_LAYER_BYTES) and the real file size
 * before it sizes an allocation or a loop: -EUCLEAN for a bad checksum, a truncated
 * file or inconsistent or out-of-range fields; -EPROTO for a format version this build
 * does not read; -EOPNOTSUPP for an electrical-mode image; -EBUSY when another handle
 * holds a lock that excludes ours for longer than opt->lock_wait_ms (an image mounted
 * read-write, or being checked); -ENOLCK (the host filesystem cannot lock); -ENOENT;
 * -EACCES; -EIO; -ENOMEM. A corrupt image never crashes. A corrupt cluster-table entry
 * does not fail the open: reads of that cluster return -EUCLEAN until it is written
 * again.
 */
int medium_open(const char *path, const struct medium_open_options *opt,
                struct medium **out) MEDIUM_MUST_CHECK;

/* Make everything recorded so far durable in the image: recorded bytes first, then the
 * cluster table, so a durable table entry never describes bytes that are not durable.
 * Returns 0 or -EIO. A read-only medium has nothing to sync and returns 0. */
int medium_sync(struct medium *m) MEDIUM_MUST_CHECK;

/* Sync, release the image lock and free. Accepts NULL. Returns the sync's result; m is
 * freed either way. */
int medium_close(struct medium *m);

/* The profile the image was created with (owned by m, valid until close). */
const struct medium_profile *medium_profile_get(const struct medium *m);

/* Derived optics of the image's profile (owned by m). */
const struct medium_optics *medium_optics_get(const struct medium *m);

/* Derived material of a layer (owned by m). */
const struct medium_material *medium_material_get(const struct medium *m, unsigned layer);

/* Physical clusters per layer. */
uint64_t medium_layer_clusters(const struct medium *m);

/* ------------------------------------------------------------------------------------
 * Recording and reading clusters
 *
 * Thread safety: calls on different clusters may run concurrently; calls on the same
 * cluster are serialised internally. medium_age and medium_inject_* exclude all
 * cluster I/O while they run.
 * ---------------------------------------------------------------------------------- */

/* What the physics did on a write: facts for statistics and tests. */
struct medium_write_report {
    uint32_t cycles;          /* overwrite count of the cluster after this write */
    uint32_t write_errors;    /* bits recorded wrongly (power margin, erase residue) */
    double power_ratio;       /* delivered peak power / optimum for this layer */
    double erase_completeness;/* fraction of old marks erased (1 = complete) */
};

/* What the physics put in the bytes returned by a read. Counts are of bits that differ
 * from what was recorded, by cause; the sector layer must not use them to correct. */
struct medium_read_report {
    bool blank;              /* never written: returned as unrecorded (all 0) + noise */
    uint32_t noise_bits;     /* transient, drawn fresh for this read */
    uint32_t retention_bits; /* amorphous marks crystallized with age (1 -> 0) */
    uint32_t stuck_bits;     /* worn cells stuck at one value */
    uint32_t defect_bits;    /* production defects, scratches, dust */
    uint32_t env_bits;       /* cells spoilt by temperature and humidity damage */
    double raw_ber;          /* the transient raw bit-error rate used for this read */
};

/*
 * Record MEDIUM_CLUSTER_BYTES bytes on cluster index of layer. The bytes stored are
 * what the physics recorded (write errors included). rep may be NULL.
 * Returns 0; -ERANGE (layer/index); -EROFS; -EIO; -EOPNOTSUPP (electrical mode).
 */
int medium_cluster_write(struct medium *m, unsigned layer, uint64_t index,
                         const uint8_t *bytes,
                         struct medium_write_report *rep) MEDIUM_MUST_CHECK;

/*
 * Read cluster index of layer into bytes (MEDIUM_CLUSTER_BYTES): the recorded bytes
 * with retention loss, stuck cells, defects and fresh read noise applied. Each read
 * draws new noise (keyed by the cluster's read count). rep may be NULL.
 * Returns 0; -ERANGE; -EIO; -EUCLEAN (the cluster's metadata entry is corrupt).
 */
int medium_cluster_read(struct medium *m, unsigned layer, uint64_t index, uint8_t *bytes,
                        struct medium_read_report *rep) MEDIUM_MUST_CHECK;

/* Per-cluster physical state. */
struct medium_cluster_info {
    bool written;
    uint32_t cycles;        /* overwrites so far */
    uint32_t generation;    /* increments on every write */
    uint32_t reads;
    uint32_t stuck_cells;   /* cells stuck by wear at the current cycle count */
    double age_equiv_s;     /* equivalent age of its marks at 25 C */
    double raw_ber;         /* current transient raw bit-error rate */
    double retention_loss;  /* expected fraction of its marks crystallized so far */
    double env_damage;      /* environmental damage D of its zone (1: median failure) */
    double env_ser;         /* symbol error rate that damage adds (persistent cells) */
    double radius_mm;       /* where it lies on the disc */
};
/* Returns 0; -ERANGE (layer/index); -EUCLEAN (corrupt table entry); -EINVAL (NULL). */
int medium_cluster_info(struct medium *m, unsigned layer, uint64_t index,
                        struct medium_cluster_info *out) MEDIUM_MUST_CHECK;

/* ------------------------------------------------------------------------------------
 * Time, faults and layer facts
 * ---------------------------------------------------------------------------------- */

/*
 * One equivalent-time account per layer and mechanism. Steps are kept as runs: steps at
 * the same temperature and humidity extend the current run (run_s), so 10 y + 20 y is
 * 30 y bit for bit; a step at other conditions first folds the run into the accounts.
 * Each account is then base + run_s x acceleration(run conditions); equiv_s and
 * env_equiv_s hold that value.
 */
struct medium_clock {
    double sim_s;                          /* simulated seconds elapsed since creation */
    double equiv_s[MEDIUM_LAYER_COUNT];    /* mark crystallization: Arrhenius-equivalent
                                              seconds at 25 C */
    double env_equiv_s[MEDIUM_LAYER_COUNT];/* T + RH damage: Eyring-equivalent seconds at
                                              25 C / 50 % RH */
    double temperature_c;                  /* conditions of the current run */
    double humidity_pct;
    double run_s;                          /* seconds of the current run */
    double base_equiv_s[MEDIUM_LAYER_COUNT];    /* the accounts before the current run */
    double base_env_equiv_s[MEDIUM_LAYER_COUNT];
};

/*
 * Age the whole medium by seconds at temp_c and relative humidity rh_pct. O(1)
 * whatever the capacity: only the equivalent-time accounts move; marks and cells decay
 * lazily when read. Returns 0; -EINVAL (negative time, temperature outside -40..200 C,
 * humidity outside 0..100 %); -EROFS; -EIO.
 */
int medium_age_rh(struct medium *m, double seconds, double temp_c,
                  double rh_pct) MEDIUM_MUST_CHECK;

/* medium_age_rh at the profile's humidity ([environment] humidity). */
int medium_age(struct medium *m, double seconds, double temp_c) MEDIUM_MUST_CHECK;

void medium_clock_get(const struct medium *m, struct medium_clock *out);

/* A scratch: a straight line on the surface from (r0, angle0) to (r1, angle1),
 * width in µm; it damages every layer in layer_mask where the beam crosses it
 * (defocus-weighted: wider and weaker on the layer farther from the surface). */
struct medium_scratch {
    double r0_mm, angle0_deg, r1_mm, angle1_deg;
    double width_um;
    unsigned layer_mask; /* bit 0: far (L0), bit 1: near (L1) */
};

/* Dust: a particle of diameter_um at (r, angle) on the cover surface. */
struct medium_dust {
    double r_mm, angle_deg;
    double diameter_um;
};

/* Extra production-like defects: count bursts of up to length_bytes at seeded random
 * places of the layers in layer_mask. */
struct medium_defects {
    uint32_t count;
    uint32_t length_bytes;
    unsigned layer_mask;
};

/* Each returns 0; -EINVAL (out-of-range geometry); -ENOSPC (fault table full);
 * -EROFS; -EIO. Faults are recorded in the image and act on every later read. */
int medium_inject_scratch(struct medium *m, const struct medium_scratch *s) MEDIUM_MUST_CHECK;
int medium_inject_dust(struct medium *m, const struct medium_dust *d) MEDIUM_MUST_CHECK;
int medium_inject_defects(struct medium *m, const struct medium_defects *d) MEDIUM_MUST_CHECK;

/* Facts about a layer as the model sees it now. */
struct medium_layer_status {
    double power_opt_mw;       /* peak power that melts marks optimally */
    double power_ratio;        /* configured peak / optimum */
    double erase_completeness; /* fraction of old marks the erase pass removes */
    double write_error_rate;   /* bits recorded wrongly per bit written */
    double raw_ber_fresh;      /* transient BER of a fresh, young cluster */
    double median_life_s;      /* median mark life at the profile's temperature */
    double env_life_s;         /* median time to environmental damage D = 1 of this disc
                                  at the profile's temperature and humidity */
    uint64_t clusters_written;
    uint32_t cycles_max;
    double cycles_mean;
    uint32_t faults;           /* recorded fault records touching this layer */
    uint64_t defect_clusters;  /* clusters with production defects */
};
int medium_layer_status(struct medium *m, unsigned layer,
                        struct medium_layer_status *out) MEDIUM_MUST_CHECK;

/*
 * Model query: expected fraction of a layer's amorphous marks crystallized after
 * seconds at temp_c (from a fresh write). Used for projections (fsck, lifetest).
 * Returns NAN for a bad layer or a negative or non-finite time.
 */
double medium_retention_loss(const struct medium *m, unsigned layer, double seconds,
                             double temp_c);

/*
 * Model query: seconds from now at temp_c and rh_pct until the environmental mechanism
 * alone raises the symbol error rate of the layer's worst radial zone to ser (0 if it is
 * there already, INFINITY if never). Used for projections (fsck). Returns NAN for a bad
 * layer, ser outside (0, 1) or conditions outside the model's range.
 */
double medium_env_time_to_ser(const struct medium *m, unsigned layer, double ser,
                              double temp_c, double rh_pct);

#endif /* PHASEFS_MEDIUM_H */
