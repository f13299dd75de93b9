/*
 * phasectl_profile.c — `phasectl profile check|show`: hold a profile against the
 * patent's claims, and print a profile with what the simulator derives from it
 * (materials, optics per layer and phase, resistance levels in electrical mode).
 *
 * Reports are built from libmedium's data structs, then rendered as text or JSON
 * (format_version first), so both views carry the same facts.
 */
#include "medium.h"
#include "phasectl.h"
#include "tool.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const layer_names[MEDIUM_LAYER_COUNT] = {"far", "near"};
static const char *const layer_labels[MEDIUM_LAYER_COUNT] = {"L0 (far)", "L1 (near)"};

int phasectl_profile_error(const char *spec, int rc, const struct medium_parse_error *err)
{
    tool_profile_error(spec, rc, err);
    return PHASECTL_EXIT_USAGE;
}

static void profile_usage(FILE *f)
{
    fprintf(f, "Usage: phasectl profile check PRESET|FILE [--json]\n"
               "       phasectl profile show PRESET|FILE [--json | --text]\n"
               "check: every constraint of the patent's claims with the value found;\n"
               "       exit 0 when all hold, 1 when any fails, 2 on bad input.\n"
               "show:  the profile's drive, materials and derived optics per layer;\n"
               "       --text prints the complete profile in phasefs-profile(5) format.\n");
}

static int run_check(const struct medium_profile *p, int json)
{
    struct medium_claim claims[MEDIUM_MAX_CLAIMS];
    int n = medium_claims_check(p, claims, MEDIUM_MAX_CLAIMS);
    if (n < 0) {
        tool_error(p->name, "claims check failed: %s", tool_strerror(n));
        return PHASECTL_EXIT_USAGE;
    }
    int failed = 0, applicable = 0;
    for (int i = 0; i < n; i++) {
        if (!claims[i].applicable)
            continue;
        applicable++;
        failed += !claims[i].pass;
    }
    if (json) {
        struct tool_json j;
        tool_json_begin(&j, stdout);
        tool_json_object(&j, NULL);
        tool_json_int(&j, "format_version", PHASECTL_JSON_FORMAT_VERSION);
        tool_json_str(&j, "program", "phasectl profile check");
        tool_json_str(&j, "profile", p->name);
        tool_json_bool(&j, "all_hold", !failed);
        tool_json_int(&j, "failed", failed);
        tool_json_array(&j, "claims");
        for (int i = 0; i < n; i++) {
            tool_json_object(&j, NULL);
            tool_json_str(&j, "id", claims[i].id);
            tool_json_str(&j, "text", claims[i].text);
            tool_json_str(&j, "value", claims[i].value);
            tool_json_str(&j, "range", claims[i].range);
            tool_json_bool(&j, "applicable", claims[i].applicable);
            tool_json_bool(&j, "pass", claims[i].pass);
            tool_json_end_object(&j);
        }
        tool_json_end_array(&j);
        tool_json_end_object(&j);
        tool_json_finish(&j);
    } else {
        printf("Profile %s: claims check\n", p->name);
        for (int i = 0; i < n; i++) {
            const char *verdict = !claims[i].applicable ? "n/a " : claims[i].pass ? "PASS" : "FAIL";
            printf("  %s  %-22s %-44s value %-18s allowed %s\n", verdict, claims[i].id,
                   claims[i].text, claims[i].value, claims[i].range);
        }
        printf("%d of %d applicable claims hold%s\n", applicable - failed, applicable,
               failed ? "" : ": the profile is inside the claims");
    }
    return failed ? PHASECTL_EXIT_FAILED : PHASECTL_EXIT_OK;
}

static const char *mechanism_name(enum medium_mechanism m)
{
    return m == MEDIUM_GROWTH_DOMINATED ? "growth-dominated" : "nucleation-dominated";
}

static void show_text(const struct medium_profile *p, const struct medium_material mat[],
                      const struct medium_optics *o, int have_optics)
{
    printf("Profile %s (%s mode)\n", p->name,
           p->mode == MEDIUM_MODE_OPTICAL ? "optical" : "electrical");
    printf("  capacity      %llu bytes per layer (%llu clusters), seed %llu, %.1f C\n",
           (unsigned long long)p->capacity_per_layer,
           (unsigned long long)(p->capacity_per_layer / MEDIUM_USER_BYTES_PER_CLUSTER),
           (unsigned long long)p->seed, p->temperature_c);
    if (p->mode == MEDIUM_MODE_OPTICAL)
        printf("  drive         %.0f nm, NA %.2f, %.3f m/s, read %.2f mW\n", p->wavelength_nm,
               p->na, p->linear_velocity_m_s, p->read_power_mw);
    printf("  production    %s sputtering, N2 %.3f, O2 %.3f\n", p->sputter_gas, p->n2_fraction,
           p->o2_fraction);
    for (int l = MEDIUM_LAYER_COUNT - 1; l >= 0; l--) {
        const struct medium_material *m = &mat[l];
        printf("  %s  %s\n", layer_labels[l], m->formula);
        printf("    material    Tm %.0f K, Tx %.0f C, Ea %.2f eV, 10-year at %.0f C, %s\n",
               m->tm_k, m->tx_k - 273.15, m->ea_ev, m->t10_k - 273.15,
               mechanism_name(m->mechanism));
        printf("    n+ik        crystalline %.3f%+.3fi, amorphous %.3f%+.3fi\n", m->n_c, m->k_c,
               m->n_a, m->k_a);
        if (p->mode == MEDIUM_MODE_OPTICAL)
            printf("    write       peak %.2f mW, erase %.2f mW, bias %.2f mW\n",
                   p->layer[l].peak_power_mw, p->layer[l].erase_power_mw,
                   p->layer[l].bias_power_mw);
        if (have_optics) {
            const struct medium_layer_optics *lo = &o->layer[l];
            printf("    optics      Rc %.4f Ra %.4f Tc %.4f Ta %.4f Ac %.4f Aa %.4f\n", lo->Rc,
                   lo->Ra, lo->Tc, lo->Ta, lo->Ac, lo->Aa);
            printf("    at drive    Rc %.4f Ra %.4f, absorbed c %.4f a %.4f, contrast %.3f\n",
                   lo->Rc_eff, lo->Ra_eff, lo->Ac_eff, lo->Aa_eff, lo->contrast);
        }
    }
    if (have_optics)
        printf("  near layer (Tc+Ta)/2 = %.4f\n", o->near_transmittance_avg);
    if (p->mode == MEDIUM_MODE_ELECTRICAL) {
        const struct medium_electrical_profile *e = &p->electrical;
        printf("  cell levels   (c,c) %.0f, (c,a2) %.0f, (a1,c) %.0f, (a1,a2) %.0f ohm\n",
               e->r_c1_ohm + e->r_c2_ohm, e->r_c1_ohm + e->r_a2_ohm, e->r_a1_ohm + e->r_c2_ohm,
               e->r_a1_ohm + e->r_a2_ohm);
        printf("  pulses        Ic %.2f mA/%.0f ns, Ia1 %.2f mA/%.0f ns, Ia2 %.2f mA/%.0f ns\n",
               e->ic_ma, e->tc_ns, e->ia1_ma, e->ta1_ns, e->ia2_ma, e->ta2_ns);
    }
}

static void show_json(const struct medium_profile *p, const struct medium_material mat[],
                      const struct medium_optics *o, int have_optics)
{
    struct tool_json j;
    tool_json_begin(&j, stdout);
    tool_json_object(&j, NULL);
    tool_json_int(&j, "format_version", PHASECTL_JSON_FORMAT_VERSION);
    tool_json_str(&j, "program", "phasectl profile show");
    tool_json_str(&j, "profile", p->name);
    tool_json_str(&j, "mode", p->mode == MEDIUM_MODE_OPTICAL ? "optical" : "electrical");
    tool_json_uint(&j, "capacity_per_layer", p->capacity_per_layer);
    tool_json_uint(&j, "seed", p->seed);
    tool_json_num(&j, "temperature_c", p->temperature_c);
    tool_json_num(&j, "wavelength_nm", p->wavelength_nm);
    tool_json_num(&j, "na", p->na);
    tool_json_num(&j, "linear_velocity_m_s", p->linear_velocity_m_s);
    if (have_optics)
        tool_json_num(&j, "near_transmittance_avg", o->near_transmittance_avg);
    else
        tool_json_null(&j, "near_transmittance_avg");
    tool_json_array(&j, "layers"); /* near first, as in the text */
    for (int l = MEDIUM_LAYER_COUNT - 1; l >= 0; l--) {
        const struct medium_material *m = &mat[l];
        char name[8];
        snprintf(name, sizeof name, "L%d", l);
        tool_json_object(&j, NULL);
        tool_json_str(&j, "layer", layer_names[l]);
        tool_json_str(&j, "name", name);
        tool_json_str(&j, "material", m->formula);
        tool_json_num(&j, "tm_k", m->tm_k);
        tool_json_num(&j, "tx_k", m->tx_k);
        tool_json_num(&j, "ea_ev", m->ea_ev);
        tool_json_num(&j, "t10_k", m->t10_k);
        tool_json_str(&j, "mechanism", mechanism_name(m->mechanism));
        tool_json_num(&j, "n_c", m->n_c);
        tool_json_num(&j, "k_c", m->k_c);
        tool_json_num(&j, "n_a", m->n_a);
        tool_json_num(&j, "k_a", m->k_a);
        if (have_optics) {
            const struct medium_layer_optics *lo = &o->layer[l];
            tool_json_object(&j, "optics");
            tool_json_num(&j, "Rc", lo->Rc);
            tool_json_num(&j, "Ra", lo->Ra);
            tool_json_num(&j, "Tc", lo->Tc);
            tool_json_num(&j, "Ta", lo->Ta);
            tool_json_num(&j, "Ac", lo->Ac);
            tool_json_num(&j, "Aa", lo->Aa);
            tool_json_num(&j, "Rc_eff", lo->Rc_eff);
            tool_json_num(&j, "Ra_eff", lo->Ra_eff);
            tool_json_num(&j, "Ac_eff", lo->Ac_eff);
            tool_json_num(&j, "Aa_eff", lo->Aa_eff);
            tool_json_num(&j, "contrast", lo->contrast);
            tool_json_end_object(&j);
        } else {
            tool_json_null(&j, "optics");
        }
        tool_json_end_object(&j);
    }
    tool_json_end_array(&j);
    tool_json_end_object(&j);
    tool_json_finish(&j);
}

static int run_show(const struct medium_profile *p, int json, int text)
{
    if (text) {
        size_t cap = 64 * 1024;
        char *buf = malloc(cap);
        if (!buf) {
            tool_error(p->name, "out of memory");
            return PHASECTL_EXIT_USAGE;
        }
        int n = medium_profile_format(p, buf, cap);
        if (n < 0) {
            tool_error(p->name, "cannot format the profile: %s", tool_strerror(n));
            free(buf);
            return PHASECTL_EXIT_USAGE;
        }
        fwrite(buf, 1, (size_t)n, stdout);
        free(buf);
        return PHASECTL_EXIT_OK;
    }
    struct medium_material mat[MEDIUM_LAYER_COUNT];
    for (int l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        char why[160] = "";
        int rc = medium_material_derive(p->layer[l].material, p->wavelength_nm, p->n2_fraction,
                                        p->o2_fraction, &mat[l], why, sizeof why);
        if (rc < 0) {
            tool_error(p->layer[l].material, "cannot derive the %s layer's material: %s",
                       layer_names[l], why[0] ? why : tool_strerror(rc));
            return PHASECTL_EXIT_USAGE;
        }
    }
    struct medium_optics optics;
    int have_optics = medium_optics_compute(p, &optics) == 0;
    if (json)
        show_json(p, mat, &optics, have_optics);
    else
        show_text(p, mat, &optics, have_optics);
    return PHASECTL_EXIT_OK;
}

int phasectl_profile(int argc, char **argv)
{
    if (argc < 2) {
        profile_usage(stderr);
        return PHASECTL_EXIT_USAGE;
    }
    const char *action = argv[1];
    if (!strcmp(action, "-h") || !strcmp(action, "--help")) {
        profile_usage(stdout);
        return PHASECTL_EXIT_OK;
    }
    int is_check = !strcmp(action, "check"), is_show = !strcmp(action, "show");
    if (!is_check && !is_show) {
        tool_error(action, "unknown profile action; use 'check' or 'show'");
        return PHASECTL_EXIT_USAGE;
    }
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"text", no_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, text = 0, c;
    optind = 0;
    while ((c = getopt_long(argc - 1, argv + 1, "jth", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 't': text = 1; break;
        case 'h': profile_usage(stdout); return PHASECTL_EXIT_OK;
        default: profile_usage(stderr); return PHASECTL_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc - 1 || (text && (json || is_check))) {
        profile_usage(stderr);
        return PHASECTL_EXIT_USAGE;
    }
    const char *spec = argv[1 + optind];
    struct medium_profile p;
    struct medium_parse_error err;
    memset(&err, 0, sizeof err);
    int rc = medium_profile_load(spec, &p, &err);
    if (rc < 0)
        return phasectl_profile_error(spec, rc, &err);
    return is_check ? run_check(&p, json) : run_show(&p, json, text);
}
