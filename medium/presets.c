/*
 * presets.c — the built-in profiles: bd-re-dl (optical dual-layer BD-RE-like disc, the
 * default) and pcm-2l (electrical cell of two stacked layers in series).
 *
 * Every number comes from physics.md §7 (§7.1 drive and format, §7.2 stack, §7.4
 * powers, §7.5 electrical) or §4 (error-model terms), and keeps its source tag and
 * EST/DER mark. Material properties are not stored here: material.c derives them from
 * the formulas (§7.3). Parsing, validation and the text format live in profile.c.
 */
#include "medium_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const preset_names[] = {"bd-re-dl", "pcm-2l", NULL};

const char *const *medium_preset_names(void)
{
    return preset_names;
}

static void film(struct medium_profile *p, enum medium_film_role role, const char *material,
                 double thickness_nm, double n, double k)
{
    struct medium_film *f = &p->films[p->film_count++];
    f->role = role;
    snprintf(f->material, sizeof f->material, "%s", material);
    f->thickness_nm = thickness_nm;
    f->n = n;
    f->k = k;
    f->layer = -1;
}

static void recording(struct medium_profile *p, enum medium_layer layer, double thickness_nm)
{
    struct medium_film *f = &p->films[p->film_count++];
    f->role = MEDIUM_FILM_RECORDING;
    _Static_assert(sizeof f->material >= MEDIUM_FORMULA_MAX, "a film label holds a formula");
    memcpy(f->material, p->layer[layer].material, MEDIUM_FORMULA_MAX);
    f->material[MEDIUM_FORMULA_MAX - 1] = '\0';
    f->thickness_nm = thickness_nm;
    f->n = 0;
    f->k = 0; /* n+ik come from the layer's material */
    f->layer = (int)layer;
}

/* The 16-film stack of physics.md §7.2, from the laser side. */
static void stack_bd_re_dl(struct medium_profile *p)
{
    p->film_count = 0;
    /* cover 75 um, UV resin / PC, n 1.60: §7.2 (EST; cover 10-800 um in the patent) */
    film(p, MEDIUM_FILM_COVER, "resin", 75000, 1.60, 0);
    /* lower protective ZnS-SiO2 80:20, 40 nm, n 2.30: §7.2 (EST; DER 2.21, §2.1) */
    film(p, MEDIUM_FILM_PROTECTIVE, "ZnS-SiO2", 40, 2.30, 0);
    /* interface ZrO2-Cr2O3, 3 nm (2-10 nm [S69]), n 2.20: §7.2 (EST) */
    film(p, MEDIUM_FILM_INTERFACE, "ZrO2-Cr2O3", 3, 2.20, 0);
    /* REC1 near, 8 nm (patent <= 9 nm): §7.2 */
    recording(p, MEDIUM_LAYER_NEAR, 8);
    film(p, MEDIUM_FILM_INTERFACE, "ZrO2-Cr2O3", 3, 2.20, 0);       /* §7.2 (EST) */
    /* upper protective ZnS-SiO2 10 nm: §7.2 */
    film(p, MEDIUM_FILM_PROTECTIVE, "ZnS-SiO2", 10, 2.30, 0);
    /* semi-transparent Ag alloy 10 nm, 0.045+2.182i (McPeak): §7.2 [S2] */
    film(p, MEDIUM_FILM_REFLECTIVE, "Ag-alloy", 10, 0.045, 2.182);
    /* transmittance-adjusting TiO2 15 nm, n 2.60 (2.55-2.75): §7.2 [S2] */
    film(p, MEDIUM_FILM_TRANSMITTANCE, "TiO2", 15, 2.60, 0);
    /* optical separating layer, UV resin 25 um, n 1.55: §7.2 (EST) */
    film(p, MEDIUM_FILM_SEPARATING, "resin", 25000, 1.55, 0);
    /* lower protective ZnS-SiO2 30 nm: §7.2 */
    film(p, MEDIUM_FILM_PROTECTIVE, "ZnS-SiO2", 30, 2.30, 0);
    film(p, MEDIUM_FILM_INTERFACE, "ZrO2-Cr2O3", 3, 2.20, 0);       /* §7.2 (EST) */
    /* REC2 far, 12 nm (patent 6-15 nm): §7.2 */
    recording(p, MEDIUM_LAYER_FAR, 12);
    film(p, MEDIUM_FILM_INTERFACE, "ZrO2-Cr2O3", 3, 2.20, 0);       /* §7.2 (EST) */
    film(p, MEDIUM_FILM_PROTECTIVE, "ZnS-SiO2", 10, 2.30, 0);       /* §7.2 */
    /* opaque Ag alloy 80 nm (80-120 nm, §2.2 EST), 0.045+2.182i [S2] */
    film(p, MEDIUM_FILM_REFLECTIVE, "Ag-alloy", 80, 0.045, 2.182);
    /* substrate 2, polycarbonate 1.1 mm, n 1.631 (Zhang): §7.2 [S2], [S52] */
    film(p, MEDIUM_FILM_SUBSTRATE, "PC", 1.1e6, 1.631, 0);
}

/* Environmental (T + RH) ageing of the bd-re-dl stacks, per layer. */
static void ageing_bd_re_dl(struct medium_profile *p)
{
    /* All EST (§9.5; §9.7: no activation energy or humidity factor has been measured
     * for any BD-RE), chosen inside the ranges of §9.4/§9.5 and fitted to its bands:
     * the worse layer of the median disc (seed quantile 0.5) past R-SER 2e-4 after
     * about 4 weeks at 80 C / 85 % RH (band 3-12 weeks, [S89]) and after about 38
     * years at 25 C / 50 % RH (band 20-60 years: CCI class 20-50 y [S92], 30-50 y
     * claimed [S36]). t50 is the median zone's time to D = 1 at 80/85; the worst of a
     * disc's 32 zones fails at about 0.75 of it (env_zone_sigma).
     *
     * Near: a thin Ag alloy sealed by TiO2 and the spacer, reached by moisture through
     * the hard-coated cover only: the upper end of 0.6-0.9 eV and a milder humidity
     * factor (B = -4.5 of the -4 to -6 of §9.4). */
    p->layer[MEDIUM_LAYER_NEAR].env_activation_ev = 0.78;
    p->layer[MEDIUM_LAYER_NEAR].env_humidity_b = -4.5;
    p->layer[MEDIUM_LAYER_NEAR].env_t50_h = 800.0;
    /* Far: the 80 nm Ag sits on ZnS-SiO2 (sulfuration from the dielectric, §9.4 [S21]:
     * the lower activation energy, 0.70 eV) and on the 1.1 mm polycarbonate substrate,
     * whose water uptake (§9.4 [S102]) feeds it (B = -5.5). Lower dH: at room
     * temperature the far layer fails first, under stress the near one. */
    p->layer[MEDIUM_LAYER_FAR].env_activation_ev = 0.70;
    p->layer[MEDIUM_LAYER_FAR].env_humidity_b = -5.5;
    p->layer[MEDIUM_LAYER_FAR].env_t50_h = 830.0;
}

static void preset_bd_re_dl(struct medium_profile *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "bd-re-dl");
    p->mode = MEDIUM_MODE_OPTICAL;
    p->seed = 1;
    /* 12,219,392 sectors x 2048 B = 381,856 clusters x 64 KiB: §3.1 [S44] */
    p->capacity_per_layer = MEDIUM_REAL_LAYER_BYTES / MEDIUM_USER_BYTES_PER_CLUSTER *
                            MEDIUM_USER_BYTES_PER_CLUSTER;
    p->temperature_c = 25.0; /* room temperature; the clock's reference, §4.1 */
    /* 50 % RH: the "controlled" storage condition of ISO/IEC 16963, §9.1 [S74], [S75] */
    p->humidity_pct = 50.0;

    /* drive: 405 nm, NA 0.85 [S38]; 4.917 m/s at 1x [S37] (§7.1) */
    p->wavelength_nm = 405.0;
    p->na = 0.85;
    p->linear_velocity_m_s = 4.917;
    p->read_power_mw = 0.7; /* DL read power 0.6-0.8 mW: §3.5, §7.4 (EST) */
    /* the §7.4 write strategies are the 1x ones; at 2x (or any speed) the drive scales
     * them (recording.c) */
    p->strategy_velocity_m_s = 4.917;

    /* production: Ar sputtering, no reactive gas (patent: Ar or Kr, optional N2/O2; §7.2) */
    snprintf(p->sputter_gas, sizeof p->sputter_gas, "Ar");
    p->n2_fraction = 0.0;
    p->o2_fraction = 0.0;

    /* near layer L1: Ge8Sb2Te11, Ge_a Sb_b Te_(3+a) with a = 8, b = 2: §7.2, §7.3 */
    struct medium_layer_profile *near = &p->layer[MEDIUM_LAYER_NEAR];
    snprintf(near->material, sizeof near->material, "Ge8Sb2Te11");
    near->peak_power_mw = 6.5;  /* §7.4 (EST) */
    /* §7.4 (EST). The model's optimum for this layer is 3.10 mW (model.c); with the 30 ns
     * CET (material.c) 2.8 mW erases completely at 1x and leaves 3.5e-8 of old marks at
     * 2x, far below anything the ECC notices. */
    near->erase_power_mw = 2.8;
    near->bias_power_mw = 0.2;  /* §7.4 (EST) */
    near->film_rate_nm_s = 1.0; /* inside the patent's 0.1-3 nm/s (§7.2; EST choice) */
    near->dow_n0_cycles = 0;    /* derive: N0 3,000 for Ge8Sb2Te11, §7.3 (EST) */
    near->dow_beta = 0;         /* derive: beta 2.5, §7.3 (EST) */

    /* far layer L0: (Sb70Te30)95Ge5, x = 70, y = 5, M1 = Ge: §7.2, §7.3 */
    struct medium_layer_profile *far = &p->layer[MEDIUM_LAYER_FAR];
    snprintf(far->material, sizeof far->material, "(Sb70Te30)95Ge5");
    far->peak_power_mw = 12.0; /* §7.4 (EST; ~1.9x L1 through it, §2.3 DER) */
    far->erase_power_mw = 5.0; /* §7.4 (EST) */
    far->bias_power_mw = 0.3;  /* §7.4 (EST) */
    far->film_rate_nm_s = 3.0; /* inside the patent's 0.3-10 nm/s (§7.2; EST choice) */
    far->dow_n0_cycles = 0;    /* derive: N0 1,000, §7.3 (EST) */
    far->dow_beta = 0;         /* derive: beta 2.5, §7.3 (EST) */

    stack_bd_re_dl(p);
    ageing_bd_re_dl(p);

    /* electrical pulses (used in electrical mode only): §7.5 (EST unless marked) */
    struct medium_electrical_profile *e = &p->electrical;
    e->ic_ma = 0.25;          /* Ic 0.25 mA: §7.5 (EST) */
    e->tc_ns = 300;           /* tc 300 ns: §7.5 (EST) */
    e->ia1_ma = 0.8;          /* Ia1 0.8 mA: §7.5 (EST) */
    e->ta1_ns = 30;           /* ta1 30 ns: §7.5 (EST) */
    e->ia2_ma = 0.5;          /* Ia2 0.5 mA: §7.5 (EST) */
    e->ta2_ns = 30;           /* ta2 30 ns: §7.5 (EST) */
    e->r_c1_ohm = 5e3;        /* R_c1 5 kOhm: §7.5 (EST) */
    e->r_c2_ohm = 3e3;        /* R_c2 3 kOhm: §7.5 (EST) */
    e->r_a1_ohm = 1e6;        /* R_a1 1.0 MOhm at t0 = 1 s: §7.5 (DER design rule) */
    e->r_a2_ohm = 0.5e6;      /* R_a2 ~ R_a1/2: §7.5 (DER design rule) */
    e->drift_nu1 = 0.10;      /* nu1 0.10: §7.5 [S27] */
    e->drift_nu2 = 0.08;      /* nu2 0.08: §7.5 (EST) */
    e->endurance_cycles = 1e8; /* 10^8 cycles: §7.5 (EST) */

    /* error model: physics.md §4 */
    struct medium_model_profile *m = &p->model;
    m->ser0 = 1e-5;            /* SER0 ~ 1e-5: §4.3 (EST) */
    m->retention_sigma = 0.75; /* lognormal sigma_ln 0.5-1: §4.1 (EST) */
    /* read disturb comes from the read beam's heating (readout.c, §4.4); nothing on top */
    m->read_disturb_s = 0.0;
    m->crosstalk = 1e-4;       /* inter-layer crosstalk ~1e-4 at the 25 um spacer: §4.4 (DER) */
    /* Neighbour heating fraction f: §4.4 gives 0.3-0.5 (EST). Through the §4.2 growth law
     * f = 0.3 already costs far-layer marks 5e-4 of their median life per neighbour pass
     * (18 % loss after 1,000 neighbour writes), which no BD-RE passing its 1,000-cycle
     * overwrite spec could; 0.25 costs 6e-7 per pass. EST below the reference's range. */
    m->cross_erase = 0.25;
    m->defect_density_per_cm2 = 0; /* 0 = derive from sputtering (model.c); < 0 = none */
    /* No stuck cells on the optical disc: what wears a BD-RE with overwrites (§1.5: mass
     * transport, S diffusion, thermal-stress cracks) is the §4.3 SER(N) law already;
     * stuck-SET/RESET cells are the PCM mechanisms ([S24], [S65]) and had no source for a
     * disc (they made the far layer fail at ~725 overwrites, below the 1,000 of §9.6). */
    m->stuck_onset = 0;
    m->stuck_shape = 3;        /* Weibull shape, used only with an onset: EST */
    /* SER_first of §4.3, the DOW-1...10 bump: EST (§9.6 found it documented nowhere);
     * 3x SER0, so a fresh disc's first overwrites stay 5x below the 2e-4 limit */
    m->dow_first_ser = 3e-5;
    m->env_ser0 = 2e-5;        /* SER0 of the T + RH law: §9.5 (EST) */
    m->env_disc_sigma = 0.5;   /* sigma_ln per disc: §9.5 (EST), lognormal life [S74] */
    /* EST: spread between 32 radial zones of one disc (about one R-SER window of
     * 10,000 LDC blocks each, §9.1 [S82]); small next to the disc-to-disc spread, since
     * one disc's films come from one sputtering run */
    m->env_zone_sigma = 0.15;

    /* spare areas per layer, scaled to the capacity: ISA 256 MiB and OSA 512 MiB of the
     * real 381,856-cluster layer (4,096 and 8,192 clusters, ~1.07 % and ~2.15 %):
     * physics.md §3.7 [S45], [S47] (OSA/ISA on L1 EST) */
    struct medium_format_profile *fmt = &p->format;
    fmt->inner_spare_fraction = (double)(256u << 20) / (double)MEDIUM_REAL_LAYER_BYTES;
    fmt->outer_spare_fraction = (double)(512u << 20) / (double)MEDIUM_REAL_LAYER_BYTES;
    fmt->inner_spare_bytes = 0;
    fmt->outer_spare_bytes = 0;
}

static void preset_pcm_2l(struct medium_profile *p)
{
    /* Same layer materials, recording-film thicknesses, production and error model as
     * bd-re-dl. The optical stack is kept so the profile stays evaluable by the optics
     * code; the electrical mode does not use it (its claims are not applicable there). */
    preset_bd_re_dl(p);
    snprintf(p->name, sizeof p->name, "pcm-2l");
    p->mode = MEDIUM_MODE_ELECTRICAL;
    p->capacity_per_layer = 1ULL << 30; /* 1 GiB per layer: a test-sized array (EST) */
    /* electrical values: the §7.5 defaults, already set by preset_bd_re_dl */
}

int medium_profile_preset(const char *name, struct medium_profile *out)
{
    if (!name || !out)
        return -EINVAL;
    if (!strcmp(name, "bd-re-dl"))
        preset_bd_re_dl(out);
    else if (!strcmp(name, "pcm-2l"))
        preset_pcm_2l(out);
    else
        return -ENOENT;
    return 0;
}
