/*
 * profile.c — the profile text format of phasefs-profile(5): parser, validation of
 * usable ranges, canonical text, and loading a preset or a file.
 *
 * Owns the grammar (sections, keys, units, error reports naming file, line and
 * "section.key") and the ranges the simulator can use. It does not hold the presets
 * (presets.c), derive materials (material.c) or judge the patent's claims (claims.c):
 * a profile may be usable yet outside the claims.
 *
 * Invariants:
 * (1) Input is len bytes, never assumed NUL-terminated; any byte sequence gives 0 or
 *     -EINVAL with a message, never a crash (tests/unit/test_profile.c fuzzes it).
 * (2) medium_profile_format writes every key, and parsing its text gives back a profile
 *     equal field by field (doubles printed with the fewest digits that read back
 *     exactly).
 * (3) *out is written only on success.
 */
#include "medium_priv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINE 1024
#define MAX_FILE_BYTES (1u << 20)
#define MAX_CAPACITY MEDIUM_MAX_LAYER_BYTES /* the real layer: every table is sized by it */

enum section_id {
    SEC_MEDIUM = 0,
    SEC_DRIVE,
    SEC_PRODUCTION,
    SEC_LAYER_NEAR,
    SEC_LAYER_FAR,
    SEC_STACK,
    SEC_ELECTRICAL,
    SEC_MODEL,
    SEC_FORMAT,
    SEC_ENVIRONMENT,
    SEC_COUNT,
    SEC_LAYER = 100, /* field table: applies to both layer sections */
};

static const char *const section_names[SEC_COUNT] = {
    "medium", "drive", "production", "layer.near", "layer.far", "stack", "electrical",
    "model", "format", "environment",
};

enum field_type { T_NAME, T_BASE, T_MODE, T_SEED, T_SIZE, T_DOUBLE, T_GAS, T_FORMULA, T_SPARE };

#define LO_OPEN 1u /* min is exclusive */

struct field {
    int sec;
    const char *key;
    enum field_type type;
    size_t offset; /* within the section's struct (see section_base) */
    double min, max;
    unsigned flags;
};

#define P(f) offsetof(struct medium_profile, f)
#define L(f) offsetof(struct medium_layer_profile, f)
#define E(f) offsetof(struct medium_electrical_profile, f)
#define M(f) offsetof(struct medium_model_profile, f)
#define F(f) offsetof(struct medium_format_profile, f)

static const struct field fields[] = {
    {SEC_MEDIUM, "name", T_NAME, P(name), 0, 0, 0},
    {SEC_MEDIUM, "base", T_BASE, 0, 0, 0, 0},
    {SEC_MEDIUM, "mode", T_MODE, P(mode), 0, 0, 0},
    {SEC_MEDIUM, "seed", T_SEED, P(seed), 0, 0, 0},
    {SEC_MEDIUM, "capacity_per_layer", T_SIZE, P(capacity_per_layer), 0, 0, 0},
    {SEC_MEDIUM, "temperature_c", T_DOUBLE, P(temperature_c), -80, 250, 0},
    {SEC_DRIVE, "wavelength_nm", T_DOUBLE, P(wavelength_nm), 200, 1000, 0},
    {SEC_DRIVE, "na", T_DOUBLE, P(na), 0.1, 1.5, 0},
    {SEC_DRIVE, "linear_velocity_m_s", T_DOUBLE, P(linear_velocity_m_s), 0, 100, LO_OPEN},
    {SEC_DRIVE, "read_power_mw", T_DOUBLE, P(read_power_mw), 0, 50, 0},
    /* 0: the write-strategy powers are for linear_velocity_m_s itself */
    {SEC_DRIVE, "strategy_velocity_m_s", T_DOUBLE, P(strategy_velocity_m_s), 0, 100, 0},
    {SEC_PRODUCTION, "sputter_gas", T_GAS, P(sputter_gas), 0, 0, 0},
    {SEC_PRODUCTION, "n2_fraction", T_DOUBLE, P(n2_fraction), 0, 1, 0},
    {SEC_PRODUCTION, "o2_fraction", T_DOUBLE, P(o2_fraction), 0, 1, 0},
    {SEC_LAYER, "material", T_FORMULA, L(material), 0, 0, 0},
    {SEC_LAYER, "peak_power_mw", T_DOUBLE, L(peak_power_mw), 0, 1000, 0},
    {SEC_LAYER, "erase_power_mw", T_DOUBLE, L(erase_power_mw), 0, 1000, 0},
    {SEC_LAYER, "bias_power_mw", T_DOUBLE, L(bias_power_mw), 0, 1000, 0},
    {SEC_LAYER, "film_rate_nm_s", T_DOUBLE, L(film_rate_nm_s), 0, 1000, LO_OPEN},
    {SEC_LAYER, "dow_n0_cycles", T_DOUBLE, L(dow_n0_cycles), 0, 1e12, 0},
    {SEC_LAYER, "dow_beta", T_DOUBLE, L(dow_beta), 0, 20, 0},
    /* Eyring T + RH ageing (physics.md §9.5): an activation energy, a humidity factor
     * that may not lengthen life, a median time at 80 C / 85 % RH in hours */
    {SEC_LAYER, "env_activation_ev", T_DOUBLE, L(env_activation_ev), 0, 5, LO_OPEN},
    {SEC_LAYER, "env_humidity_b", T_DOUBLE, L(env_humidity_b), -50, 0, 0},
    {SEC_LAYER, "env_t50_h", T_DOUBLE, L(env_t50_h), 0, 1e12, LO_OPEN},
    {SEC_ELECTRICAL, "ic_ma", T_DOUBLE, E(ic_ma), 0, 1000, LO_OPEN},
    {SEC_ELECTRICAL, "tc_ns", T_DOUBLE, E(tc_ns), 0, 1e9, LO_OPEN},
    {SEC_ELECTRICAL, "ia1_ma", T_DOUBLE, E(ia1_ma), 0, 1000, LO_OPEN},
    {SEC_ELECTRICAL, "ta1_ns", T_DOUBLE, E(ta1_ns), 0, 1e9, LO_OPEN},
    {SEC_ELECTRICAL, "ia2_ma", T_DOUBLE, E(ia2_ma), 0, 1000, LO_OPEN},
    {SEC_ELECTRICAL, "ta2_ns", T_DOUBLE, E(ta2_ns), 0, 1e9, LO_OPEN},
    {SEC_ELECTRICAL, "r_c1_ohm", T_DOUBLE, E(r_c1_ohm), 0, 1e12, LO_OPEN},
    {SEC_ELECTRICAL, "r_c2_ohm", T_DOUBLE, E(r_c2_ohm), 0, 1e12, LO_OPEN},
    {SEC_ELECTRICAL, "r_a1_ohm", T_DOUBLE, E(r_a1_ohm), 0, 1e12, LO_OPEN},
    {SEC_ELECTRICAL, "r_a2_ohm", T_DOUBLE, E(r_a2_ohm), 0, 1e12, LO_OPEN},
    {SEC_ELECTRICAL, "drift_nu1", T_DOUBLE, E(drift_nu1), 0, 1, 0},
    {SEC_ELECTRICAL, "drift_nu2", T_DOUBLE, E(drift_nu2), 0, 1, 0},
    {SEC_ELECTRICAL, "endurance_cycles", T_DOUBLE, E(endurance_cycles), 1, 1e15, 0},
    {SEC_MODEL, "ser0", T_DOUBLE, M(ser0), 0, 0.1, 0},
    {SEC_MODEL, "retention_sigma", T_DOUBLE, M(retention_sigma), 0, 10, LO_OPEN},
    {SEC_MODEL, "read_disturb_s", T_DOUBLE, M(read_disturb_s), 0, 1e9, 0},
    {SEC_MODEL, "crosstalk", T_DOUBLE, M(crosstalk), 0, 1, 0},
    {SEC_MODEL, "cross_erase", T_DOUBLE, M(cross_erase), 0, 1, 0},
    /* 0 derives the density from the sputtering parameters; a negative value means none */
    {SEC_MODEL, "defect_density_per_cm2", T_DOUBLE, M(defect_density_per_cm2), -1, 1e6, 0},
    /* 0: no stuck cells */
    {SEC_MODEL, "stuck_onset", T_DOUBLE, M(stuck_onset), 0, 1e9, 0},
    {SEC_MODEL, "stuck_shape", T_DOUBLE, M(stuck_shape), 0, 100, LO_OPEN},
    {SEC_MODEL, "dow_first_ser", T_DOUBLE, M(dow_first_ser), 0, 0.1, 0},
    /* below the 2e-4 the law reaches at D = 1, so the SER grows with damage */
    {SEC_MODEL, "env_ser0", T_DOUBLE, M(env_ser0), 0, 1e-4, LO_OPEN},
    {SEC_MODEL, "env_disc_sigma", T_DOUBLE, M(env_disc_sigma), 0, 3, 0},
    {SEC_MODEL, "env_zone_sigma", T_DOUBLE, M(env_zone_sigma), 0, 3, 0},
    /* a spare area: SIZE or PERCENT of the layer; offset names the fraction */
    {SEC_FORMAT, "inner_spare", T_SPARE, F(inner_spare_fraction), 0, 0.5, 0},
    {SEC_FORMAT, "outer_spare", T_SPARE, F(outer_spare_fraction), 0, 0.5, 0},
    /* relative humidity of storage and of medium_age without one, in percent */
    {SEC_ENVIRONMENT, "humidity", T_DOUBLE, P(humidity_pct), 0, 100, 0},
};

#define NFIELDS (sizeof fields / sizeof fields[0])

static const char *const role_names[] = {
    [MEDIUM_FILM_COVER] = "cover",
    [MEDIUM_FILM_PROTECTIVE] = "protective",
    [MEDIUM_FILM_INTERFACE] = "interface",
    [MEDIUM_FILM_RECORDING] = "recording",
    [MEDIUM_FILM_REFLECTIVE] = "reflective",
    [MEDIUM_FILM_TRANSMITTANCE] = "transmittance",
    [MEDIUM_FILM_SEPARATING] = "separating",
    [MEDIUM_FILM_SUBSTRATE] = "substrate",
};
#define NROLES (sizeof role_names / sizeof role_names[0])

/* Noble gases the simulator accepts; the claims allow only Ar and Kr. */
static const char *const usable_gases[] = {"Ar", "Kr", "Xe", "Ne"};

/* Where each value came from, so validation errors name the line. */
struct line_map {
    unsigned field_line[SEC_COUNT][NFIELDS];
    unsigned film_line[MEDIUM_MAX_FILMS];
    unsigned stack_line;
};

static bool field_in_section(const struct field *f, int sec)
{
    return f->sec == sec ||
           (f->sec == SEC_LAYER && (sec == SEC_LAYER_NEAR || sec == SEC_LAYER_FAR));
}

static void *section_base(struct medium_profile *p, int sec)
{
    switch (sec) {
    case SEC_LAYER_NEAR: return &p->layer[MEDIUM_LAYER_NEAR];
    case SEC_LAYER_FAR: return &p->layer[MEDIUM_LAYER_FAR];
    case SEC_ELECTRICAL: return &p->electrical;
    case SEC_MODEL: return &p->model;
    case SEC_FORMAT: return &p->format;
    default: return p;
    }
}

static const void *section_cbase(const struct medium_profile *p, int sec)
{
    return section_base((struct medium_profile *)p, sec);
}

/* The two members behind one T_SPARE key: its fraction and its size in bytes. */
static void spare_members(const struct medium_profile *p, size_t offset, double *fraction,
                          uint64_t *bytes)
{
    if (offset == F(inner_spare_fraction)) {
        *fraction = p->format.inner_spare_fraction;
        *bytes = p->format.inner_spare_bytes;
    } else {
        *fraction = p->format.outer_spare_fraction;
        *bytes = p->format.outer_spare_bytes;
    }
}

static void spare_set(struct medium_profile *p, size_t offset, double fraction, uint64_t bytes)
{
    if (offset == F(inner_spare_fraction)) {
        p->format.inner_spare_fraction = fraction;
        p->format.inner_spare_bytes = bytes;
    } else {
        p->format.outer_spare_fraction = fraction;
        p->format.outer_spare_bytes = bytes;
    }
}

static int set_error(struct medium_parse_error *err, const char *file, unsigned line,
                     const char *key, const char *fmt, ...)
{
    if (!err)
        return -EINVAL;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    snprintf(err->key, sizeof err->key, "%s", key ? key : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* ------------------------------------------------------------------------------------
 * Value syntax
 * ---------------------------------------------------------------------------------- */

/* Decimal number: [+-]digits[.digits][e[+-]digits]; sets *mant_len (sign and mantissa)
 * and *exp. Returns the length consumed, 0 if s does not start with one. */
static size_t scan_number(const char *s, size_t *mant_len, long *exp)
{
    size_t i = 0, digits = 0;
    if (s[i] == '+' || s[i] == '-')
        i++;
    while (isdigit((unsigned char)s[i])) {
        i++;
        digits++;
    }
    if (s[i] == '.') {
        i++;
        while (isdigit((unsigned char)s[i])) {
            i++;
            digits++;
        }
    }
    if (digits == 0 || digits > 30)
        return 0;
    *mant_len = i;
    *exp = 0;
    if (s[i] == 'e' || s[i] == 'E') {
        size_t j = i + 1, ed = 0;
        bool neg = false;
        if (s[j] == '+' || s[j] == '-')
            neg = s[j++] == '-';
        long e = 0;
        while (isdigit((unsigned char)s[j])) {
            if (ed++ >= 4)
                return 0;
            e = e * 10 + (s[j++] - '0');
        }
        if (ed == 0)
            return 0;
        *exp = neg ? -e : e;
        i = j;
    }
    return i;
}

/* Parse s (whole string) as a finite number times 10^scale_exp, rounded once. */
static int parse_scaled(const char *s, size_t len, int scale_exp, double *out)
{
    char tmp[64];
    size_t mant_len;
    long exp;
    if (len >= sizeof tmp)
        return -EINVAL;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    size_t n = scan_number(tmp, &mant_len, &exp);
    if (n == 0 || n != len)
        return -EINVAL;
    char num[96];
    snprintf(num, sizeof num, "%.*se%ld", (int)mant_len, tmp, exp + scale_exp);
    double v = strtod(num, NULL);
    if (!isfinite(v))
        return -EINVAL;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    return parse_scaled(s, strlen(s), 0, out);
}

/* THICKNESS: number followed by nm, um (or µm) or mm. */
static int parse_thickness(const char *s, double *out_nm)
{
    static const struct {
        const char *unit;
        int exp;
    } units[] = {{"nm", 0}, {"um", 3}, {"\xc2\xb5m", 3}, {"mm", 6}};
    size_t len = strlen(s);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t ul = strlen(units[i].unit);
        if (len > ul && !strcmp(s + len - ul, units[i].unit))
            return parse_scaled(s, len - ul, units[i].exp, out_nm);
    }
    return -EINVAL;
}

static int parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -EINVAL;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* SIZE: integer bytes with an optional binary suffix K, M, G or T. */
static int parse_size(const char *s, uint64_t *out)
{
    size_t len = strlen(s);
    unsigned shift = 0;
    if (len > 0) {
        switch (toupper((unsigned char)s[len - 1])) {
        case 'K': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        case 'T': shift = 40; break;
        default: break;
        }
        if (shift)
            len--;
    }
    uint64_t v;
    int rc = parse_u64(s, len, &v);
    if (rc < 0)
        return rc;
    if (v > (UINT64_MAX >> shift))
        return -ERANGE;
    *out = v << shift;
    return 0;
}

/* ------------------------------------------------------------------------------------
 * Validation
 * ---------------------------------------------------------------------------------- */

struct vctx {
    struct medium_parse_error *err;
    const char *file;
    const struct line_map *map;
};

static unsigned field_line(const struct vctx *v, int sec, size_t fi)
{
    return v->map ? v->map->field_line[sec][fi] : 0;
}

static int verr_field(const struct vctx *v, int sec, size_t fi, const char *fmt, ...)
{
    char key[64], msg[192];
    snprintf(key, sizeof key, "%s.%s", section_names[sec], fields[fi].key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return set_error(v->err, v->file, field_line(v, sec, fi), key, "%s", msg);
}

static int verr_film(const struct vctx *v, int film, const char *fmt, ...)
{
    char msg[192];
    unsigned line = 0;
    if (v->map)
        line = film >= 0 && film < MEDIUM_MAX_FILMS ? v->map->film_line[film]
                                                     : v->map->stack_line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return set_error(v->err, v->file, line, "stack.film", "%s", msg);
}

static size_t field_index(int sec, const char *key)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (field_in_section(&fields[i], sec) && !strcmp(fields[i].key, key))
            return i;
    return NFIELDS;
}

static bool is_label(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)s[i]) || s[i] == '#')
            return false;
    return true;
}

static int validate_field(const struct vctx *v, const struct medium_profile *p, int sec,
                          size_t fi)
{
    const struct field *f = &fields[fi];
    const char *base = section_cbase(p, sec);
    switch (f->type) {
    case T_DOUBLE: {
        double x;
        memcpy(&x, base + f->offset, sizeof x);
        bool lo_ok = (f->flags & LO_OPEN) ? x > f->min : x >= f->min;
        if (!(lo_ok && x <= f->max))
            return verr_field(v, sec, fi, "value %g out of the usable range: expected %s%g to %g",
                              x, (f->flags & LO_OPEN) ? "more than " : "", f->min, f->max);
        return 0;
    }
    case T_NAME: {
        size_t n = strnlen(p->name, sizeof p->name);
        bool ok = n > 0 && n < sizeof p->name && p->name[0] != ' ' && p->name[n - 1] != ' ';
        for (size_t i = 0; ok && i < n; i++)
            ok = isprint((unsigned char)p->name[i]) && p->name[i] != '#';
        return ok ? 0
                  : verr_field(v, sec, fi, "expected 1-%d printable ASCII characters, no '#'",
                               MEDIUM_NAME_MAX - 1);
    }
    case T_MODE:
        return p->mode == MEDIUM_MODE_OPTICAL || p->mode == MEDIUM_MODE_ELECTRICAL
                   ? 0
                   : verr_field(v, sec, fi, "expected optical or electrical");
    case T_SIZE:
        if (p->capacity_per_layer % MEDIUM_USER_BYTES_PER_CLUSTER ||
            p->capacity_per_layer < MEDIUM_MIN_LAYER_BYTES ||
            p->capacity_per_layer > MAX_CAPACITY)
            return verr_field(v, sec, fi,
                              "%llu bytes: expected a multiple of 64 KiB from 1M to 23866M "
                              "(the real layer, 25025314816 bytes)",
                              (unsigned long long)p->capacity_per_layer);
        return 0;
    case T_GAS:
        for (size_t i = 0; i < sizeof usable_gases / sizeof usable_gases[0]; i++)
            if (!strncmp(p->sputter_gas, usable_gases[i], sizeof p->sputter_gas))
                return 0;
        return verr_field(v, sec, fi, "expected Ar or Kr (Xe, Ne usable, outside the claims)");
    case T_FORMULA: {
        const struct medium_layer_profile *lp = (const void *)base;
        struct medium_material mat;
        char why[128];
        if (strnlen(lp->material, sizeof lp->material) >= sizeof lp->material)
            return verr_field(v, sec, fi, "formula too long");
        int rc = medium_material_derive(lp->material, p->wavelength_nm, p->n2_fraction,
                                        p->o2_fraction, &mat, why, sizeof why);
        if (rc == -ENOMEM)
            return rc;
        if (rc < 0)
            return verr_field(v, sec, fi, "bad formula '%s': %s", lp->material, why);
        return 0;
    }
    case T_SPARE: {
        double frac;
        uint64_t bytes;
        spare_members(p, f->offset, &frac, &bytes);
        if (bytes > 0 && frac != 0)
            return verr_field(v, sec, fi, "both a size and a fraction are set: expected one");
        if (!(frac >= f->min && frac <= f->max))
            return verr_field(v, sec, fi, "%g%% out of the usable range: expected 0%% to %g%%",
                              frac * 100, f->max * 100);
        if (bytes > p->capacity_per_layer / 2)
            return verr_field(v, sec, fi, "%llu bytes is more than half the layer's %llu",
                              (unsigned long long)bytes,
                              (unsigned long long)p->capacity_per_layer);
        return 0;
    }
    case T_BASE:
    case T_SEED:
        return 0;
    }
    return 0;
}

static int validate_stack(const struct vctx *v, const struct medium_profile *p)
{
    int rec[MEDIUM_LAYER_COUNT] = {-1, -1};
    if (p->film_count == 0 || p->film_count > MEDIUM_MAX_FILMS)
        return verr_film(v, -1, "expected 1-%d films, found %u", MEDIUM_MAX_FILMS,
                         p->film_count);
    for (unsigned i = 0; i < p->film_count; i++) {
        const struct medium_film *f = &p->films[i];
        if ((unsigned)f->role >= NROLES)
            return verr_film(v, (int)i, "film %u: unknown role", i + 1);
        if (!(f->thickness_nm > 0 && f->thickness_nm <= 1e7))
            return verr_film(v, (int)i, "film %u: thickness %g nm: expected more than 0, "
                             "at most 10mm", i + 1, f->thickness_nm);
        if (f->role == MEDIUM_FILM_RECORDING) {
            if (f->layer != MEDIUM_LAYER_NEAR && f->layer != MEDIUM_LAYER_FAR)
                return verr_film(v, (int)i, "film %u: a recording film must be near or far",
                                 i + 1);
            if (rec[f->layer] >= 0)
                return verr_film(v, (int)i, "film %u: a second recording film for the %s "
                                 "layer; expected exactly one", i + 1,
                                 f->layer == MEDIUM_LAYER_NEAR ? "near" : "far");
            rec[f->layer] = (int)i;
            continue;
        }
        if (!is_label(f->material, sizeof f->material))
            return verr_film(v, (int)i, "film %u: expected a material label without spaces "
                             "or '#'", i + 1);
        if (!(f->n > 0 && f->n <= 20 && f->k >= 0 && f->k <= 20))
            return verr_film(v, (int)i, "film %u: n %g k %g: expected 0 < n <= 20, "
                             "0 <= k <= 20", i + 1, f->n, f->k);
    }
    if (rec[MEDIUM_LAYER_NEAR] < 0)
        return verr_film(v, -1, "no recording film for the near layer; expected one "
                         "'film = recording near THICKNESS'");
    if (rec[MEDIUM_LAYER_FAR] < 0)
        return verr_film(v, -1, "no recording film for the far layer; expected one "
                         "'film = recording far THICKNESS'");
    if (rec[MEDIUM_LAYER_NEAR] > rec[MEDIUM_LAYER_FAR])
        return verr_film(v, rec[MEDIUM_LAYER_FAR], "the far recording film comes before the "
                         "near one; films are listed from the laser side");
    return 0;
}

static int validate_impl(const struct medium_profile *p, const struct vctx *v)
{
    for (int sec = 0; sec < SEC_COUNT; sec++) {
        if (sec == SEC_STACK)
            continue;
        for (size_t fi = 0; fi < NFIELDS; fi++) {
            if (!field_in_section(&fields[fi], sec))
                continue;
            int rc = validate_field(v, p, sec, fi);
            if (rc < 0)
                return rc;
        }
        if (sec == SEC_PRODUCTION && p->n2_fraction + p->o2_fraction > 1)
            return verr_field(v, sec, field_index(sec, "o2_fraction"),
                              "n2_fraction + o2_fraction is %g: expected at most 1",
                              p->n2_fraction + p->o2_fraction);
    }
    return validate_stack(v, p);
}

int medium_profile_validate(const struct medium_profile *p, struct medium_parse_error *err)
{
    struct medium_parse_error dummy;
    if (!err)
        err = &dummy;
    memset(err, 0, sizeof *err);
    if (!p)
        return set_error(err, "", 0, "", "no profile");
    char file[MEDIUM_NAME_MAX + 16];
    snprintf(file, sizeof file, "<profile %.*s>", MEDIUM_NAME_MAX - 1, p->name);
    struct vctx v = {err, file, NULL};
    return validate_impl(p, &v);
}

/* ------------------------------------------------------------------------------------
 * Parser
 * ---------------------------------------------------------------------------------- */

enum line_kind { LINE_EMPTY, LINE_SECTION, LINE_KV, LINE_ERROR };

struct line {
    enum line_kind kind;
    unsigned no;
    char buf[MAX_LINE + 1];
    char *name;  /* LINE_SECTION */
    char *key;   /* LINE_KV */
    char *value; /* LINE_KV */
    const char *error;
};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Read the next line of text[*pos..len) into l. Returns false at the end. */
static bool next_line(const char *text, size_t len, size_t *pos, struct line *l)
{
    if (*pos >= len)
        return false;
    size_t start = *pos, end = start;
    while (end < len && text[end] != '\n')
        end++;
    *pos = end < len ? end + 1 : end;
    l->no++;
    l->kind = LINE_EMPTY;
    l->name = l->key = l->value = NULL;
    l->error = NULL;
    size_t n = end - start;
    if (n > 0 && text[start + n - 1] == '\r')
        n--;
    if (n > MAX_LINE) {
        l->kind = LINE_ERROR;
        l->error = "line longer than 1024 bytes";
        return true;
    }
    memcpy(l->buf, text + start, n);
    l->buf[n] = '\0';
    /* comments first: anything after '#' is ignored, whatever bytes it holds */
    char *hash = memchr(l->buf, '#', n);
    if (hash) {
        *hash = '\0';
        n = (size_t)(hash - l->buf);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)l->buf[i];
        if (c == '\0') {
            l->kind = LINE_ERROR;
            l->error = "NUL byte: a profile is plain text";
            return true;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            l->kind = LINE_ERROR;
            l->error = "control character: a profile is plain text";
            return true;
        }
    }
    char *s = trim(l->buf);
    if (*s == '\0')
        return true;
    if (*s == '[') {
        size_t sl = strlen(s);
        if (s[sl - 1] != ']') {
            l->kind = LINE_ERROR;
            l->error = "section header without ']': expected [name]";
            return true;
        }
        s[sl - 1] = '\0';
        l->kind = LINE_SECTION;
        l->name = trim(s + 1);
        return true;
    }
    char *eq = strchr(s, '=');
    if (!eq) {
        l->kind = LINE_ERROR;
        l->error = "missing '=': expected key = value";
        return true;
    }
    *eq = '\0';
    l->kind = LINE_KV;
    l->key = trim(s);
    l->value = trim(eq + 1);
    return true;
}

static int find_section(const char *name)
{
    for (int i = 0; i < SEC_COUNT; i++)
        if (!strcmp(section_names[i], name))
            return i;
    return -1;
}

struct pctx {
    const char *file;
    struct medium_parse_error *err;
    struct medium_profile *p;
    struct line_map map;
    bool stack_seen;
};

static int perr(struct pctx *c, unsigned line, int sec, const char *key, const char *fmt, ...)
{
    char k[64], msg[192];
    if (sec >= 0 && key)
        snprintf(k, sizeof k, "%s.%s", section_names[sec], key);
    else
        snprintf(k, sizeof k, "%s", key ? key : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return set_error(c->err, c->file, line, k, "%s", msg);
}

static int parse_film(struct pctx *c, unsigned line, char *value)
{
    char *tok[6];
    unsigned nt = 0;
    for (char *s = value; *s;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            break;
        if (nt == 6)
            return perr(c, line, SEC_STACK, "film", "too many words: expected ROLE MATERIAL "
                        "THICKNESS [N K]");
        tok[nt++] = s;
        while (*s && *s != ' ' && *s != '\t')
            s++;
        if (*s)
            *s++ = '\0';
    }
    if (nt < 3)
        return perr(c, line, SEC_STACK, "film", "expected ROLE MATERIAL THICKNESS [N K]");
    unsigned role;
    for (role = 0; role < NROLES; role++)
        if (!strcmp(tok[0], role_names[role]))
            break;
    if (role == NROLES)
        return perr(c, line, SEC_STACK, "film", "unknown role '%.40s': expected cover, "
                    "protective, interface, recording, reflective, transmittance, "
                    "separating or substrate", tok[0]);
    struct medium_profile *p = c->p;
    if (p->film_count >= MEDIUM_MAX_FILMS)
        return perr(c, line, SEC_STACK, "film", "more than %d films", MEDIUM_MAX_FILMS);
    struct medium_film f;
    memset(&f, 0, sizeof f);
    f.role = (enum medium_film_role)role;
    f.layer = -1;
    if (parse_thickness(tok[2], &f.thickness_nm) < 0)
        return perr(c, line, SEC_STACK, "film", "bad thickness '%.40s': expected a number "
                    "with unit nm, um or mm, e.g. 8nm", tok[2]);
    if (f.role == MEDIUM_FILM_RECORDING) {
        if (!strcmp(tok[1], "near"))
            f.layer = MEDIUM_LAYER_NEAR;
        else if (!strcmp(tok[1], "far"))
            f.layer = MEDIUM_LAYER_FAR;
        else
            return perr(c, line, SEC_STACK, "film", "a recording film's material is 'near' or "
                        "'far' (the formula is set in [layer.near] or [layer.far])");
        if (nt > 3)
            return perr(c, line, SEC_STACK, "film", "a recording film takes no N K: they come "
                        "from its layer's material");
    } else {
        if (strlen(tok[1]) >= sizeof f.material)
            return perr(c, line, SEC_STACK, "film", "material label longer than %d characters",
                        MEDIUM_NAME_MAX - 1);
        snprintf(f.material, sizeof f.material, "%s", tok[1]);
        if (nt < 4)
            return perr(c, line, SEC_STACK, "film", "expected ROLE MATERIAL THICKNESS N [K] "
                        "(refractive index at the wavelength)");
        if (parse_double(tok[3], &f.n) < 0 || (nt > 4 && parse_double(tok[4], &f.k) < 0))
            return perr(c, line, SEC_STACK, "film", "bad N or K: expected numbers, e.g. "
                        "0.045 2.182");
    }
    c->map.film_line[p->film_count] = line;
    p->films[p->film_count++] = f;
    return 0;
}

static int parse_value(struct pctx *c, unsigned line, int sec, size_t fi, const char *value)
{
    const struct field *f = &fields[fi];
    char *base = section_base(c->p, sec);
    int rc;
    switch (f->type) {
    case T_DOUBLE: {
        double x;
        if (parse_double(value, &x) < 0)
            return perr(c, line, sec, f->key, "'%.40s' is not a number: expected a decimal "
                        "like 405 or 1e-5", value);
        memcpy(base + f->offset, &x, sizeof x);
        return 0;
    }
    case T_NAME:
        if (strlen(value) >= MEDIUM_NAME_MAX)
            return perr(c, line, sec, f->key, "longer than %d characters", MEDIUM_NAME_MAX - 1);
        snprintf(c->p->name, sizeof c->p->name, "%s", value);
        return 0;
    case T_BASE:
        return 0; /* applied before the other keys */
    case T_MODE:
        if (!strcmp(value, "optical"))
            c->p->mode = MEDIUM_MODE_OPTICAL;
        else if (!strcmp(value, "electrical"))
            c->p->mode = MEDIUM_MODE_ELECTRICAL;
        else
            return perr(c, line, sec, f->key, "'%.40s': expected optical or electrical", value);
        return 0;
    case T_SEED:
        rc = parse_u64(value, strlen(value), &c->p->seed);
        if (rc < 0)
            return perr(c, line, sec, f->key, "'%.40s': expected an integer from 0 to "
                        "18446744073709551615", value);
        return 0;
    case T_SIZE: {
        uint64_t v;
        if (parse_size(value, &v) < 0)
            return perr(c, line, sec, f->key, "'%.40s': expected a size in bytes with an "
                        "optional K, M, G or T suffix, e.g. 64M", value);
        c->p->capacity_per_layer = v;
        return 0;
    }
    case T_GAS:
        if (strlen(value) >= sizeof c->p->sputter_gas)
            return perr(c, line, sec, f->key, "'%.40s': expected Ar or Kr", value);
        snprintf(c->p->sputter_gas, sizeof c->p->sputter_gas, "%s", value);
        return 0;
    case T_FORMULA: {
        struct medium_layer_profile *lp = (void *)base;
        if (strlen(value) >= sizeof lp->material)
            return perr(c, line, sec, f->key, "formula longer than %d characters",
                        MEDIUM_FORMULA_MAX - 1);
        snprintf(lp->material, sizeof lp->material, "%s", value);
        return 0;
    }
    case T_SPARE: {
        size_t vl = strlen(value);
        double x;
        uint64_t v;
        if (vl > 1 && value[vl - 1] == '%') {
            if (parse_scaled(value, vl - 1, -2, &x) < 0)
                return perr(c, line, sec, f->key, "'%.40s' is not a percentage: expected e.g. "
                            "1.07%%", value);
            spare_set(c->p, f->offset, x, 0);
            return 0;
        }
        if (parse_size(value, &v) < 0)
            return perr(c, line, sec, f->key, "'%.40s': expected a size such as 256M or a "
                        "percentage of the layer such as 1.07%%", value);
        spare_set(c->p, f->offset, 0, v);
        return 0;
    }
    }
    return 0;
}

/* Pass 1: the base preset named in [medium], applied before anything else. */
static int apply_base(struct pctx *c, const char *text, size_t len, struct line *l)
{
    size_t pos = 0;
    int sec = -1;
    const char *name = "bd-re-dl";
    unsigned base_line = 0;
    char chosen[MEDIUM_NAME_MAX] = "";
    l->no = 0;
    while (next_line(text, len, &pos, l)) {
        if (l->kind == LINE_SECTION)
            sec = find_section(l->name);
        else if (l->kind == LINE_KV && sec == SEC_MEDIUM && !strcmp(l->key, "base") &&
                 !base_line) {
            snprintf(chosen, sizeof chosen, "%s", l->value);
            base_line = l->no;
        }
    }
    if (base_line)
        name = chosen;
    int rc = medium_profile_preset(name, c->p);
    if (rc == -ENOENT)
        return perr(c, base_line, SEC_MEDIUM, "base", "unknown preset '%.40s': expected "
                    "bd-re-dl or pcm-2l", name);
    return rc;
}

static int parse_impl(struct pctx *c, const char *text, size_t len)
{
    struct line *l = malloc(sizeof *l);
    if (!l)
        return -ENOMEM;
    int rc = apply_base(c, text, len, l);
    if (rc < 0)
        goto out;

    size_t pos = 0;
    int sec = -1;
    l->no = 0;
    while (next_line(text, len, &pos, l)) {
        switch (l->kind) {
        case LINE_EMPTY:
            continue;
        case LINE_ERROR:
            rc = perr(c, l->no, -1, sec >= 0 ? section_names[sec] : "", "%s", l->error);
            goto out;
        case LINE_SECTION:
            sec = find_section(l->name);
            if (sec < 0) {
                rc = perr(c, l->no, -1, l->name, "unknown section [%.40s]: expected medium, drive, "
                          "production, layer.near, layer.far, stack, electrical, model, "
                          "format or environment",
                          l->name);
                goto out;
            }
            if (sec == SEC_STACK && !c->stack_seen) {
                /* a [stack] in the file replaces the base's whole stack */
                c->stack_seen = true;
                c->p->film_count = 0;
                c->map.stack_line = l->no;
            }
            continue;
        case LINE_KV:
            break;
        }
        if (sec < 0) {
            rc = perr(c, l->no, -1, l->key, "key outside a section: expected a [section] "
                      "header first");
            goto out;
        }
        if (l->key[0] == '\0') {
            rc = perr(c, l->no, -1, section_names[sec], "missing key before '='");
            goto out;
        }
        if (l->value[0] == '\0') {
            rc = perr(c, l->no, sec, l->key, "empty value");
            goto out;
        }
        if (sec == SEC_STACK) {
            if (strcmp(l->key, "film")) {
                rc = perr(c, l->no, sec, l->key, "unknown key: [stack] holds only "
                          "'film = ROLE MATERIAL THICKNESS [N K]' lines");
                goto out;
            }
            rc = parse_film(c, l->no, l->value);
            if (rc < 0)
                goto out;
            continue;
        }
        size_t fi = field_index(sec, l->key);
        if (fi == NFIELDS) {
            char known[160] = "";
            size_t kl = 0;
            for (size_t i = 0; i < NFIELDS && kl < sizeof known; i++) {
                if (!field_in_section(&fields[i], sec))
                    continue;
                int w = snprintf(known + kl, sizeof known - kl, "%s%s", kl ? ", " : "",
                                 fields[i].key);
                if (w < 0)
                    break;
                kl += (size_t)w;
            }
            rc = perr(c, l->no, sec, l->key, "unknown key: [%s] has %s", section_names[sec],
                      known);
            goto out;
        }
        if (c->map.field_line[sec][fi]) {
            rc = perr(c, l->no, sec, l->key, "duplicate key (first set on line %u)",
                      c->map.field_line[sec][fi]);
            goto out;
        }
        c->map.field_line[sec][fi] = l->no;
        rc = parse_value(c, l->no, sec, fi, l->value);
        if (rc < 0)
            goto out;
    }

    /* recording films carry their layer's formula as label (the layer is authoritative) */
    for (unsigned i = 0; i < c->p->film_count; i++) {
        struct medium_film *f = &c->p->films[i];
        if (f->role == MEDIUM_FILM_RECORDING && (f->layer == 0 || f->layer == 1)) {
            _Static_assert(sizeof f->material >= MEDIUM_FORMULA_MAX, "label holds a formula");
            memcpy(f->material, c->p->layer[f->layer].material, MEDIUM_FORMULA_MAX);
            f->material[MEDIUM_FORMULA_MAX - 1] = '\0';
        }
    }
    struct vctx v = {c->err, c->file, &c->map};
    rc = validate_impl(c->p, &v);
out:
    free(l);
    return rc;
}

int medium_profile_parse(const char *text, size_t len, const char *filename,
                         struct medium_profile *out, struct medium_parse_error *err)
{
    struct medium_parse_error dummy;
    struct pctx *c = NULL;
    int rc;

    if (!err)
        err = &dummy;
    memset(err, 0, sizeof *err);
    if (!out || (!text && len))
        return set_error(err, filename ? filename : "", 0, "", "no profile text");
    c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->p = calloc(1, sizeof *c->p);
    if (!c->p) {
        rc = -ENOMEM;
        goto out;
    }
    c->file = filename ? filename : "<text>";
    c->err = err;
    rc = parse_impl(c, text ? text : "", len);
    if (rc == 0)
        *out = *c->p;
out:
    if (c)
        free(c->p);
    free(c);
    return rc;
}

int medium_profile_load(const char *spec, struct medium_profile *out,
                        struct medium_parse_error *err)
{
    struct medium_parse_error dummy;
    char *buf = NULL;
    int fd = -1, rc;

    if (!err)
        err = &dummy;
    memset(err, 0, sizeof *err);
    if (!spec || !out)
        return set_error(err, "", 0, "", "no profile named");
    for (const char *const *n = medium_preset_names(); *n; n++) {
        if (!strcmp(*n, spec)) {
            snprintf(err->file, sizeof err->file, "<preset %s>", spec);
            return medium_profile_preset(spec, out);
        }
    }
    fd = open(spec, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = errno == ENOMEM ? -ENOMEM : errno == EIO ? -EIO : -ENOENT;
        snprintf(err->file, sizeof err->file, "%s", spec);
        snprintf(err->message, sizeof err->message, "no such preset or readable file");
        goto out;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        rc = -ENOENT;
        set_error(err, spec, 0, "", "no such preset or readable file (a directory?)");
        goto out;
    }
    buf = malloc(MAX_FILE_BYTES + 1);
    if (!buf) {
        rc = -ENOMEM;
        goto out;
    }
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, MAX_FILE_BYTES + 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -EIO;
            set_error(err, spec, 0, "", "read failed");
            goto out;
        }
        if (n == 0)
            break;
        have += (size_t)n;
        if (have > MAX_FILE_BYTES) {
            rc = set_error(err, spec, 0, "", "file too large: a profile is at most 1 MiB");
            goto out;
        }
    }
    rc = medium_profile_parse(buf, have, spec, out, err);
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------------------------
 * Canonical text
 * ---------------------------------------------------------------------------------- */

struct outbuf {
    char *buf;
    size_t cap, len;
    bool overflow;
};

static void emit(struct outbuf *o, const char *fmt, ...)
{
    if (o->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len) {
        o->overflow = true;
        return;
    }
    o->len += (size_t)n;
}

/* Fewest digits that read back as exactly v through parse_double. */
static void fmt_double(char *s, size_t cap, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(s, cap, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        double back;
        snprintf(s, cap, "%.*g", prec, v);
        if (parse_double(s, &back) == 0 && back == v)
            return;
    }
    snprintf(s, cap, "%.17g", v);
}

/* Thickness in the largest unit that reads back exactly; nm always does. */
static void fmt_thickness(char *s, size_t cap, double nm)
{
    static const struct {
        const char *unit;
        double scale;
        double from;
    } units[] = {{"mm", 1e6, 1e6}, {"um", 1e3, 1e3}};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        if (!(nm >= units[u].from))
            continue;
        for (int prec = 1; prec <= 17; prec++) {
            char num[48], full[64];
            double back;
            snprintf(num, sizeof num, "%.*g", prec, nm / units[u].scale);
            if (strchr(num, 'e'))
                continue; /* too few digits for a plain number yet */
            snprintf(full, sizeof full, "%s%s", num, units[u].unit);
            if (parse_thickness(full, &back) == 0 && back == nm) {
                snprintf(s, cap, "%s", full);
                return;
            }
        }
    }
    char num[48];
    fmt_double(num, sizeof num, nm);
    snprintf(s, cap, "%snm", num);
}

/* A fraction as the shortest percentage that reads back exactly through parse_scaled
 * (scaled by 10^-2); the exponent form of its exact decimal digits always does. */
static void fmt_percent(char *s, size_t cap, double fraction)
{
    char num[48];
    double back;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, fraction * 100.0);
        if (parse_scaled(num, strlen(num), -2, &back) == 0 && back == fraction) {
            snprintf(s, cap, "%s%%", num);
            return;
        }
    }
    int e = 0;
    snprintf(num, sizeof num, "%.16e", fraction);
    char *ep = strchr(num, 'e');
    if (ep) {
        e = atoi(ep + 1);
        *ep = '\0';
    }
    snprintf(s, cap, "%se%d%%", num, e + 2);
}

static void fmt_size(char *s, size_t cap, uint64_t v)
{
    static const char suffix[] = "TGMK";
    for (int i = 0; i < 4; i++) {
        unsigned shift = (unsigned)(40 - 10 * i);
        if (v && (v & ((1ULL << shift) - 1)) == 0) {
            snprintf(s, cap, "%llu%c", (unsigned long long)(v >> shift), suffix[i]);
            return;
        }
    }
    snprintf(s, cap, "%llu", (unsigned long long)v);
}

int medium_profile_format(const struct medium_profile *p, char *buf, size_t cap)
{
    if (!p || !buf || cap == 0)
        return -EINVAL;
    struct outbuf o = {buf, cap, 0, false};
    char num[64];
    buf[0] = '\0';
    emit(&o, "# phasefs profile, canonical form (see phasefs-profile(5))\n");
    for (int sec = 0; sec < SEC_COUNT; sec++) {
        emit(&o, "\n[%s]\n", section_names[sec]);
        if (sec == SEC_STACK) {
            for (unsigned i = 0; i < p->film_count && i < MEDIUM_MAX_FILMS; i++) {
                const struct medium_film *f = &p->films[i];
                const char *role = (unsigned)f->role < NROLES ? role_names[f->role] : "?";
                fmt_thickness(num, sizeof num, f->thickness_nm);
                if (f->role == MEDIUM_FILM_RECORDING) {
                    emit(&o, "film = %-13s %-11s %s\n", role,
                         f->layer == MEDIUM_LAYER_NEAR ? "near" : "far", num);
                } else {
                    char n[32], k[32];
                    fmt_double(n, sizeof n, f->n);
                    fmt_double(k, sizeof k, f->k);
                    emit(&o, "film = %-13s %-11s %-7s %s %s\n", role, f->material, num, n, k);
                }
            }
            continue;
        }
        const char *base = section_cbase(p, sec);
        for (size_t fi = 0; fi < NFIELDS; fi++) {
            const struct field *f = &fields[fi];
            if (!field_in_section(f, sec) || f->type == T_BASE)
                continue;
            switch (f->type) {
            case T_DOUBLE: {
                double x;
                memcpy(&x, base + f->offset, sizeof x);
                fmt_double(num, sizeof num, x);
                emit(&o, "%s = %s\n", f->key, num);
                break;
            }
            case T_NAME:
                emit(&o, "%s = %.*s\n", f->key, MEDIUM_NAME_MAX - 1, p->name);
                break;
            case T_MODE:
                emit(&o, "%s = %s\n", f->key,
                     p->mode == MEDIUM_MODE_ELECTRICAL ? "electrical" : "optical");
                break;
            case T_SEED:
                emit(&o, "%s = %llu\n", f->key, (unsigned long long)p->seed);
                break;
            case T_SIZE:
                fmt_size(num, sizeof num, p->capacity_per_layer);
                emit(&o, "%s = %s\n", f->key, num);
                break;
            case T_GAS:
                emit(&o, "%s = %.*s\n", f->key, (int)sizeof p->sputter_gas - 1, p->sputter_gas);
                break;
            case T_FORMULA: {
                const struct medium_layer_profile *lp = (const void *)base;
                emit(&o, "%s = %.*s\n", f->key, MEDIUM_FORMULA_MAX - 1, lp->material);
                break;
            }
            case T_SPARE: {
                double frac;
                uint64_t bytes;
                spare_members(p, f->offset, &frac, &bytes);
                if (bytes > 0)
                    fmt_size(num, sizeof num, bytes);
                else
                    fmt_percent(num, sizeof num, frac);
                emit(&o, "%s = %s\n", f->key, num);
                break;
            }
            case T_BASE:
                break;
            }
        }
    }
    if (o.overflow) {
        buf[0] = '\0';
        return -ENOSPC;
    }
    return (int)o.len;
}
