/*
 * material.c — composition formulas and the properties derived from them
 * (DESIGN.md "medium/", Materials; physics.md §1, §1.4, §4.1–§4.3, §7.3).
 *
 * Owns: the formula parser (every form the claims write: Ge8Sb2Te11, (Ge-Sn)4Sb2Te7,
 * (Ge2Sb2Te5)95Bi5, (Sb70Te30)95Ge5, Ag5In5Sb60Te30, Sb69.5Te30.5), the family
 * classification the claims check reads, and a small reference table interpolated
 * into Tm, Tg, Tx, Ea, T10, kinetics, n+ik, DOW endurance, resistivities and heat.
 * It does not judge the claims (claims.c) and does no optics (optics.c).
 * Every figure cites physics.md and keeps its EST/DER mark. The preset materials
 * (Ge8Sb2Te11, (Sb70Te30)95Ge5) are table anchors, so they give the §7.3 figures
 * exactly; everything else is interpolated or adjusted from them.
 */
#include "medium_priv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C_TO_K 273.15

/* ------------------------------------------------------------------------------------
 * Formula grammar
 *
 *   formula := term+                    (spaces between terms are ignored)
 *   term    := ELEMENT [count]
 *            | '(' formula ')' [count]   a group: its content normalised to 1, times count
 *            | '(' site ')' [count]      elements sharing one lattice site
 *   site    := ELEMENT [weight] ('-' ELEMENT [weight])+
 *   count   := digits ['.' digits]       default 1; at most MAX_COUNT
 *
 * Top-level counts are amounts as written (Ge8Sb2Te11 = 8:2:11). A group is normalised
 * first, so (Ge2Sb2Te5)95Bi5 is 95 at.% GST and 5 at.% Bi, the claims' reading of
 * (...)_(100-c) M3_c. A site group splits its count over its members by their weights,
 * equally when no weight is written ((Ge-Sn)4 = Ge2 Sn2; (Ge3-Sn1)4 = Ge3 Sn1; a
 * missing weight counts as 1).
 * ---------------------------------------------------------------------------------- */

#define MAX_TERMS 64
#define MAX_DEPTH 4
#define MAX_COUNT 1000.0
#define MAX_NUMBER_CHARS 12
#define SITE_MAX 4

enum term_kind { TERM_ELEMENT, TERM_GROUP, TERM_SITE };

struct term {
    enum term_kind kind;
    double count;
    char sym[4];                   /* TERM_ELEMENT */
    int child[MAX_TERMS / 2];      /* TERM_GROUP: indices of its terms */
    unsigned nchild;
    char site_sym[SITE_MAX][4];    /* TERM_SITE */
    double site_w[SITE_MAX];
    unsigned nsite;
};

struct parser {
    const char *s;
    size_t pos;
    struct term t[MAX_TERMS];
    unsigned nterm;
    char *why;
    size_t why_cap;
};

/* Symbols of the 118 elements; a formula naming anything else is rejected. */
static const char *const element_symbols[] = {
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S",
    "Cl", "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga",
    "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd",
    "Ag", "Cd", "In", "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm",
    "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os",
    "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa",
    "U", "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg",
    "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og",
};

static int fail(struct parser *ps, const char *fmt, ...)
{
    if (ps->why && ps->why_cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->why, ps->why_cap, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static bool known_element(const char *sym)
{
    for (size_t i = 0; i < sizeof element_symbols / sizeof element_symbols[0]; i++)
        if (!strcmp(element_symbols[i], sym))
            return true;
    return false;
}

static void skip_spaces(struct parser *ps)
{
    while (ps->s[ps->pos] == ' ' || ps->s[ps->pos] == '\t')
        ps->pos++;
}

/* Optional count: digits ['.' digits]. Returns 1 if none written, < 0 on error. */
static int parse_count(struct parser *ps, double *out, bool *written)
{
    size_t start = ps->pos;
    *written = false;
    if (!isdigit((unsigned char)ps->s[ps->pos])) {
        if (ps->s[ps->pos] == '.')
            return fail(ps, "number at offset %zu must start with a digit", start);
        *out = 1.0;
        return 0;
    }
    char buf[MAX_NUMBER_CHARS + 1];
    size_t n = 0;
    bool dot = false;
    while (isdigit((unsigned char)ps->s[ps->pos]) || (ps->s[ps->pos] == '.' && !dot)) {
        if (ps->s[ps->pos] == '.') {
            dot = true;
            if (!isdigit((unsigned char)ps->s[ps->pos + 1]))
                return fail(ps, "number at offset %zu needs digits after '.'", start);
        }
        if (n >= MAX_NUMBER_CHARS)
            return fail(ps, "number at offset %zu is too long", start);
        buf[n++] = ps->s[ps->pos++];
    }
    buf[n] = '\0';
    double v = strtod(buf, NULL);
    if (!(v <= MAX_COUNT))
        return fail(ps, "count %s is absurdly large (at most %g)", buf, MAX_COUNT);
    *out = v;
    *written = true;
    return 0;
}

static int parse_symbol(struct parser *ps, char sym[4])
{
    size_t start = ps->pos;
    if (!isupper((unsigned char)ps->s[ps->pos])) {
        unsigned char c = (unsigned char)ps->s[ps->pos];
        if (c == '\0')
            return fail(ps, "formula ends where an element symbol is expected");
        if (isprint(c))
            return fail(ps, "unexpected '%c' at offset %zu (expected an element symbol)", c,
                        start);
        return fail(ps, "unexpected byte 0x%02x at offset %zu", c, start);
    }
    size_t n = 1;
    while (islower((unsigned char)ps->s[start + n]) && n < 4)
        n++;
    if (n > 3 || islower((unsigned char)ps->s[start + n]))
        return fail(ps, "unknown element symbol at offset %zu", start);
    memcpy(sym, ps->s + start, n);
    sym[n] = '\0';
    if (!known_element(sym))
        return fail(ps, "unknown element symbol '%s'", sym);
    ps->pos += n;
    return 0;
}

static int new_term(struct parser *ps, enum term_kind kind)
{
    if (ps->nterm >= MAX_TERMS)
        return fail(ps, "formula has too many terms");
    struct term *t = &ps->t[ps->nterm];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->count = 1.0;
    return (int)ps->nterm++;
}

/* Is the parenthesised content at ps->pos a site list (a '-' at its own level)? */
static bool is_site_group(const struct parser *ps)
{
    int depth = 0;
    for (size_t i = ps->pos; ps->s[i]; i++) {
        if (ps->s[i] == '(')
            depth++;
        else if (ps->s[i] == ')') {
            if (depth == 0)
                return false;
            depth--;
        } else if (ps->s[i] == '-' && depth == 0)
            return true;
    }
    return false;
}

static int parse_site(struct parser *ps, int idx)
{
    struct term *t = &ps->t[idx];
    for (;;) {
        skip_spaces(ps);
        if (ps->s[ps->pos] == '-' || ps->s[ps->pos] == ')')
            return fail(ps, "empty member in a site group at offset %zu", ps->pos);
        if (t->nsite >= SITE_MAX)
            return fail(ps, "a site group holds at most %d elements", SITE_MAX);
        int rc = parse_symbol(ps, t->site_sym[t->nsite]);
        if (rc < 0)
            return rc;
        bool written;
        rc = parse_count(ps, &t->site_w[t->nsite], &written);
        if (rc < 0)
            return rc;
        (void)written;
        for (unsigned i = 0; i < t->nsite; i++)
            if (!strcmp(t->site_sym[i], t->site_sym[t->nsite]))
                return fail(ps, "element %s appears twice in one site group",
                            t->site_sym[i]);
        t->nsite++;
        skip_spaces(ps);
        if (ps->s[ps->pos] == '-') {
            ps->pos++;
            continue;
        }
        break;
    }
    double wsum = 0;
    for (unsigned i = 0; i < t->nsite; i++)
        wsum += t->site_w[i];
    if (!(wsum > 0))
        return fail(ps, "site group weights sum to zero");
    return 0;
}

static int parse_seq(struct parser *ps, int depth, int *children, unsigned *nchildren,
                     unsigned cap);

static int parse_term(struct parser *ps, int depth)
{
    int idx;
    if (ps->s[ps->pos] == '(') {
        if (depth >= MAX_DEPTH)
            return fail(ps, "parentheses nested deeper than %d levels", MAX_DEPTH);
        ps->pos++;
        skip_spaces(ps);
        if (ps->s[ps->pos] == ')')
            return fail(ps, "empty group '()' at offset %zu", ps->pos - 1);
        bool site = is_site_group(ps);
        idx = new_term(ps, site ? TERM_SITE : TERM_GROUP);
        if (idx < 0)
            return idx;
        int rc;
        if (site) {
            rc = parse_site(ps, idx);
        } else {
            int kids[MAX_TERMS / 2];
            unsigned nk = 0;
            rc = parse_seq(ps, depth + 1, kids, &nk, MAX_TERMS / 2);
            if (rc == 0) {
                memcpy(ps->t[idx].child, kids, nk * sizeof kids[0]);
                ps->t[idx].nchild = nk;
            }
        }
        if (rc < 0)
            return rc;
        skip_spaces(ps);
        if (ps->s[ps->pos] != ')')
            return fail(ps, "unbalanced parentheses: '(' without ')'");
        ps->pos++;
    } else {
        idx = new_term(ps, TERM_ELEMENT);
        if (idx < 0)
            return idx;
        int rc = parse_symbol(ps, ps->t[idx].sym);
        if (rc < 0)
            return rc;
    }
    bool written;
    int rc = parse_count(ps, &ps->t[idx].count, &written);
    if (rc < 0)
        return rc;
    return idx;
}

static int parse_seq(struct parser *ps, int depth, int *children, unsigned *nchildren,
                     unsigned cap)
{
    *nchildren = 0;
    for (;;) {
        skip_spaces(ps);
        char c = ps->s[ps->pos];
        if (c == '\0' || c == ')')
            break;
        if (*nchildren >= cap)
            return fail(ps, "formula has too many terms");
        int idx = parse_term(ps, depth);
        if (idx < 0)
            return idx;
        children[(*nchildren)++] = idx;
    }
    if (*nchildren == 0)
        return fail(ps, "empty formula");
    return 0;
}

/* ------------------------------------------------------------------------------------
 * Composition: amounts per element
 * ---------------------------------------------------------------------------------- */

struct comp {
    char sym[MEDIUM_MAX_ELEMENTS][4];
    double amount[MEDIUM_MAX_ELEMENTS];
    unsigned n;
    bool overflow;
};

static void comp_add(struct comp *c, const char *sym, double amount)
{
    for (unsigned i = 0; i < c->n; i++) {
        if (!strcmp(c->sym[i], sym)) {
            c->amount[i] += amount;
            return;
        }
    }
    if (c->n >= MEDIUM_MAX_ELEMENTS) {
        c->overflow = true;
        return;
    }
    snprintf(c->sym[c->n], sizeof c->sym[c->n], "%s", sym);
    c->amount[c->n++] = amount;
}

static double comp_total(const struct comp *c)
{
    double s = 0;
    for (unsigned i = 0; i < c->n; i++)
        s += c->amount[i];
    return s;
}

static double comp_get(const struct comp *c, const char *sym)
{
    for (unsigned i = 0; i < c->n; i++)
        if (!strcmp(c->sym[i], sym))
            return c->amount[i];
    return 0;
}

/* Add the terms' amounts, each multiplied by scale. */
static void terms_compose(const struct parser *ps, const int *idx, unsigned n, double scale,
                          struct comp *out)
{
    for (unsigned i = 0; i < n; i++) {
        const struct term *t = &ps->t[idx[i]];
        if (t->kind == TERM_ELEMENT) {
            comp_add(out, t->sym, scale * t->count);
        } else if (t->kind == TERM_SITE) {
            double wsum = 0;
            for (unsigned k = 0; k < t->nsite; k++)
                wsum += t->site_w[k];
            for (unsigned k = 0; k < t->nsite; k++)
                comp_add(out, t->site_sym[k], scale * t->count * t->site_w[k] / wsum);
        } else {
            struct comp inner = {0};
            terms_compose(ps, t->child, t->nchild, 1.0, &inner);
            out->overflow |= inner.overflow;
            double tot = comp_total(&inner);
            if (tot > 0)
                for (unsigned k = 0; k < inner.n; k++)
                    comp_add(out, inner.sym[k], scale * t->count * inner.amount[k] / tot);
        }
    }
}

/* ------------------------------------------------------------------------------------
 * Family classification (the claims' shapes)
 *
 * M2 (substituent of Ge) and M3 (additive of the GeSbTe family) are not enumerated in
 * the claim texts available to us. ASSUMPTION: M2 in {Sn, Pb, Si}, M3 in {Bi, In, Sn,
 * Ag, Au, Se, Ga, Al, Mn, N}; claims.c holds the lists. The classifier accepts any
 * element in those positions and leaves membership to the claims check.
 *
 * Rules, in order:
 * 1. Additive form: one parenthesised group with count P plus plain elements whose
 *    counts Q_i satisfy P + sum Q_i = 100: the group is the base, the elements are
 *    additives (c or y). Otherwise the whole formula is the base with no additives.
 * 2. GeSbTe: the base is flat, made only of Ge (or one (Ge-M2) site group), Sb and Te,
 *    each once, with Te, and not Sb-Te shaped. Sb-Te shaped means Sb > Te as written, or
 *    counts written as percents (summing to 100) with no Ge or with Sb >= Te (x >= 50).
 *    a = Ge-site count, b = Sb count, at most one additive (M3, c).
 * 3. SbTe: Sb and Te present and Sb + Te >= 50 at.% of the film. From a flat or
 *    additive base of Sb and Te only, x = 100 Sb/(Sb+Te) as written and y = sum Q_i;
 *    otherwise by normalising: x = 100 Sb/(Sb+Te), y = 100 others/total. M1 = the
 *    other elements in the order written.
 * 4. Anything else: UNKNOWN (still usable: properties of the nearest reference).
 * ---------------------------------------------------------------------------------- */

static bool base_is_sbte_only(const struct parser *ps, const int *idx, unsigned n,
                              double *sb, double *te)
{
    *sb = *te = 0;
    bool have_sb = false, have_te = false;
    for (unsigned i = 0; i < n; i++) {
        const struct term *t = &ps->t[idx[i]];
        if (t->kind != TERM_ELEMENT)
            return false;
        if (!strcmp(t->sym, "Sb") && !have_sb) {
            *sb = t->count;
            have_sb = true;
        } else if (!strcmp(t->sym, "Te") && !have_te) {
            *te = t->count;
            have_te = true;
        } else {
            return false;
        }
    }
    return have_sb && have_te && *sb + *te > 0;
}

static void classify(const struct parser *ps, const int *top, unsigned ntop,
                     const struct comp *all, struct material_formula *f)
{
    const int *base = top;
    unsigned nbase = ntop;
    int additive[MAX_TERMS];
    unsigned nadd = 0;
    double add_total = 0;

    /* Rule 1: additive form */
    int group = -1;
    unsigned ngroups = 0;
    bool plain = true;
    double sum = 0;
    for (unsigned i = 0; i < ntop; i++) {
        const struct term *t = &ps->t[top[i]];
        sum += t->count;
        if (t->kind == TERM_GROUP) {
            group = top[i];
            ngroups++;
        } else if (t->kind != TERM_ELEMENT) {
            plain = false;
        }
    }
    if (ngroups == 1 && plain && (ntop == 1 || fabs(sum - 100.0) <= 1e-6)) {
        base = ps->t[group].child;
        nbase = ps->t[group].nchild;
        for (unsigned i = 0; i < ntop; i++) {
            if (top[i] != group) {
                additive[nadd++] = top[i];
                add_total += ps->t[top[i]].count;
            }
        }
    }

    /* a group that is all there is wraps its content: ((X)) reads as X */
    while (nbase == 1 && ps->t[base[0]].kind == TERM_GROUP) {
        const struct term *g = &ps->t[base[0]];
        base = g->child;
        nbase = g->nchild;
    }

    /* Rule 2: GeSbTe */
    double a = 0, b = 0, te = 0;
    bool have_ge = false, have_sb = false, have_te = false, ok = true;
    char m2[4] = "";
    for (unsigned i = 0; i < nbase && ok; i++) {
        const struct term *t = &ps->t[base[i]];
        if (t->kind == TERM_SITE && !have_ge) {
            bool ge_in = false;
            unsigned others = 0;
            for (unsigned k = 0; k < t->nsite; k++) {
                if (!strcmp(t->site_sym[k], "Ge"))
                    ge_in = true;
                else {
                    others++;
                    snprintf(m2, sizeof m2, "%s", t->site_sym[k]);
                }
            }
            ok = ge_in && others == 1;
            a = t->count;
            have_ge = true;
        } else if (t->kind == TERM_ELEMENT && !strcmp(t->sym, "Ge") && !have_ge) {
            a = t->count;
            have_ge = true;
        } else if (t->kind == TERM_ELEMENT && !strcmp(t->sym, "Sb") && !have_sb) {
            b = t->count;
            have_sb = true;
        } else if (t->kind == TERM_ELEMENT && !strcmp(t->sym, "Te") && !have_te) {
            te = t->count;
            have_te = true;
        } else if (t->kind == TERM_ELEMENT && (!strcmp(t->sym, "N") || !strcmp(t->sym, "O"))) {
            /* N or O written into the formula (Ge2Sb2Te5N3) is the dopant the sputtering
             * gas would bring (§1.4), not a new family: the compound stays a GeSbTe */
        } else {
            ok = false;
        }
    }
    bool percent = fabs(a + b + te - 100.0) <= 1e-6;
    bool sbte_shaped = b > te || (percent && (!have_ge || b >= te));
    if (ok && have_te && (a > 0 || b > 0) && !sbte_shaped && nadd <= 1) {
        f->family = MEDIUM_FAMILY_GESBTE;
        f->a = a;
        f->b = b;
        snprintf(f->m2, sizeof f->m2, "%s", m2);
        if (nadd == 1) {
            snprintf(f->m3, sizeof f->m3, "%s", ps->t[additive[0]].sym);
            f->c = ps->t[additive[0]].count;
        }
        return;
    }

    /* Rule 3: SbTe */
    double tot = comp_total(all), sb = comp_get(all, "Sb"), tel = comp_get(all, "Te");
    if (sb > 0 && tel > 0 && tot > 0 && (sb + tel) / tot >= 0.5) {
        double wsb, wte;
        f->family = MEDIUM_FAMILY_SBTE;
        if (base_is_sbte_only(ps, base, nbase, &wsb, &wte)) {
            f->x = 100.0 * wsb / (wsb + wte);
            f->y = add_total;
            for (unsigned i = 0; i < nadd && f->m1_count < MEDIUM_MAX_ELEMENTS; i++)
                snprintf(f->m1[f->m1_count++], sizeof f->m1[0], "%s",
                         ps->t[additive[i]].sym);
            return;
        }
        f->x = 100.0 * sb / (sb + tel);
        f->y = 100.0 * (tot - sb - tel) / tot;
        for (unsigned i = 0; i < all->n; i++)
            if (strcmp(all->sym[i], "Sb") && strcmp(all->sym[i], "Te") && all->amount[i] > 0)
                snprintf(f->m1[f->m1_count++], sizeof f->m1[0], "%s", all->sym[i]);
        return;
    }
    f->family = MEDIUM_FAMILY_UNKNOWN;
}

int material_formula_parse(const char *formula, struct material_formula *out, char *why,
                           size_t why_cap)
{
    static struct material_formula zero;
    struct parser *ps = NULL;
    int rc;

    if (why && why_cap)
        why[0] = '\0';
    if (!formula || !out)
        return -EINVAL;
    *out = zero;
    ps = calloc(1, sizeof *ps);
    if (!ps)
        return -ENOMEM;
    ps->s = formula;
    ps->why = why;
    ps->why_cap = why_cap;

    if (strnlen(formula, MEDIUM_FORMULA_MAX) >= MEDIUM_FORMULA_MAX) {
        rc = fail(ps, "formula longer than %d characters", MEDIUM_FORMULA_MAX - 1);
        goto out;
    }
    int top[MAX_TERMS];
    unsigned ntop = 0;
    rc = parse_seq(ps, 0, top, &ntop, MAX_TERMS);
    if (rc < 0)
        goto out;
    if (ps->s[ps->pos] == ')') {
        rc = fail(ps, "unbalanced parentheses: ')' at offset %zu without '('", ps->pos);
        goto out;
    }
    struct comp all = {0};
    terms_compose(ps, top, ntop, 1.0, &all);
    if (all.overflow) {
        rc = fail(ps, "more than %d distinct elements", MEDIUM_MAX_ELEMENTS);
        goto out;
    }
    double tot = comp_total(&all);
    if (!(tot > 0)) {
        rc = fail(ps, "the amounts add up to zero");
        goto out;
    }
    for (unsigned i = 0; i < all.n; i++) {
        if (all.amount[i] <= 0)
            continue;
        struct medium_element_share *e = &out->elements[out->element_count++];
        snprintf(e->symbol, sizeof e->symbol, "%s", all.sym[i]);
        e->atomic_percent = all.amount[i] * 100.0 / tot;
    }
    classify(ps, top, ntop, &all, out);
    rc = 0;
out:
    free(ps);
    return rc;
}

/* ------------------------------------------------------------------------------------
 * Reference table and property derivation
 * ---------------------------------------------------------------------------------- */

struct props {
    double tm_k, tg_k, tx_c, ea_ev, t10_c;
    double cet_ns, growth_m_s;
    double n0, beta;
    double rho_a, rho_c;
};

/* GeTe–Sb2Te3 pseudo-binary nodes, by GeTe fraction xg = a/(a + b/2). */
struct gst_node {
    const char *name;
    double a, b;
    struct props p;
};

static const struct gst_node gst_nodes[] = {
    /* Sb2Te3: Tm ~620 C physics.md §1.2 (EST); Tg, Tx, Ea, T10, CET, u: EST, the
     * Sb2Te3-rich end is the fast, unstable one (§1.2 trend); DOW N0 at the low end of
     * §4.3's 1,000-3,000 (EST); rho EST inside the GST ranges of §1.1 [S32] */
    {"Sb2Te3", 0, 2, {893.15, 400, 100, 1.9, 40, 20, 3.0, 1000, 2.5, 0.1, 2e-4}},
    /* GeSb4Te7: Tm ~600 C, Tx 120-135 C, Ea 2.0-2.4 eV: §1.2 (EST) */
    {"GeSb4Te7", 1, 4, {873.15, 440, 128, 2.2, 65, 30, 2.8, 1500, 2.5, 0.5, 5e-4}},
    /* GeSb2Te4: Tm 885 K, Tx 145 C, Ea 2.3 eV, 10-y 80 C: §7.3 (EST); CET, u EST */
    {"GeSb2Te4", 1, 2, {885, 455, 145, 2.3, 80, 40, 2.5, 2000, 2.5, 1.0, 1e-3}},
    /* GST-225: Tm 900 K [S5]; Tg 472 K (MYEGA) [S7]; Tx 163 C at 10 C/min [S19];
     * Ea 2.45 eV [S7]; T10 85 C (EST, §1.1); CET 20-100 ns [S8] -> 50; u_max 2.3 m/s
     * (DER, §4.2 table); N0 2,000 (EST, §4.3); rho_a 1, rho_c 4e-5..1e-3 [S17],[S32] */
    {"Ge2Sb2Te5", 2, 2, {900, 472, 163, 2.45, 85, 50, 2.3, 2000, 2.5, 1.0, 1e-3}},
    /* Ge8Sb2Te11 (near preset): Tm 960 K, Tg 480 K, Tx 180 C, Ea 2.8 eV, T10 110 C,
     * N0 3,000 beta 2.5, rho_a 10, rho_c 5e-3: all physics.md §7.3 (EST); u_max 1.5 m/s
     * EST. CET: §7.3 gives 30-60 ns; 30, the fast end, because a BD-RE DL layer records
     * at 2x (§3.1 [S48]) and erase must finish within the 49 ns spot transit there
     * (§4.2): at 60 ns 2 % of the old marks would survive every 2x overwrite. */
    {"Ge8Sb2Te11", 8, 2, {960, 480, 180, 2.8, 110, 30, 1.5, 3000, 2.5, 10, 5e-3}},
    /* GeTe: Tm ~725 C §1.2 (EST); crystallizes at 150 C, laser time ~250 ns [S58];
     * Ea, T10, Tg, u EST */
    {"GeTe", 1, 0, {998.15, 490, 150, 2.9, 100, 250, 1.0, 3000, 2.5, 10, 5e-3}},
};

/* Undoped Sb_x Te_(100-x) line for the SbTe family, used only as differences from the
 * x = 70 node, so the (Sb70Te30)95Ge5 anchor below is hit exactly. Tm: Sb2Te3 ~620 C
 * (§1.2 EST), eutectic ~545 C (§1.3 EST: 540-550 C), Sb-rich side rising toward Sb;
 * u_max 5 m/s at the eutectic, 15 m/s toward GeSb-like Sb-rich alloys [S11]; others
 * EST (Sb-rich amorphous films are less stable). */
struct sbte_node {
    double x;
    struct props p;
};

static const struct sbte_node sbte_nodes[] = {
    {40, {893.15, 400, 100, 2.0, 55, 0, 3.0, 1000, 2.5, 0.5, 2e-4}},
    {70, {818, 395, 120, 2.2, 60, 0, 5.0, 1000, 2.5, 0.5, 2e-4}},
    {95, {883, 380, 80, 1.9, 40, 0, 15.0, 1000, 2.5, 0.5, 2e-4}},
};

/* The far preset, (Sb70Te30)95Ge5: Tm 823 K, Tg 400 K, Tx 165 C, Ea 2.5 eV, T10 75 C,
 * growth-dominated, nucleation > 100 us, u_max ~5 m/s, N0 1,000 beta 2.5, rho_a 0.5,
 * rho_c 2e-4: physics.md §7.3 (EST). */
static const struct props sbte_anchor = {823, 400, 165, 2.5, 75, 0, 5.0, 1000, 2.5, 0.5, 2e-4};
#define SBTE_ANCHOR_X 70.0
#define SBTE_ANCHOR_GE 5.0

/* Effect of one at.% of an element on top of a base, for dopants in either family
 * (M1 of SbTe, M2/M3 of GeSbTe, N and O). All EST, with the direction from
 * physics.md: N raises Tx (12 K per effective at.%, so +20..60 K for 2-6 at.%) and Ea
 * (§1.4 [S20], EST); O
 * raises Tx and Ea and lowers Tm [S57]; Bi lowers Ea and speeds crystallization [S61];
 * Sn speeds GeSbTe ([S61b], GeSnSb media [S66]); Ge in SbTe raises Tx and stability
 * ([S9]; sized so 5 at.% Ge gives the §7.3 anchor from the eutectic line); Ag and In
 * sized so Ag5In5Sb60Te30 lands on §7.3's AIST row (Tm ~820 K, Tx ~180 C, Ea ~2.9 eV,
 * 10-y ~90 C, N0 ~600). cet is a fractional change of CET per at.%. */
struct dopant_effect {
    const char *sym;
    double tm_k, tg_k, tx_k, ea_ev, t10_k, cet_frac, n0;
};

static const struct dopant_effect dopant_effects[] = {
    {"N", 0, 1.0, 12, 0.10, 8, 0.03, 0},
    {"O", -5, 1.0, 8, 0.08, 6, 0.02, 0},
    {"Ge", 1, 1.0, 9, 0.06, 3, 0.02, 0},
    {"Ag", -0.7, 0.5, 6, 0.07, 3, 0, -40},
    {"In", -0.6, 0.5, 6.5, 0.075, 3.1, 0, -40},
    {"Bi", -3, -1.0, -3, -0.04, -2, -0.04, -20},
    {"Sn", -2, -1.0, -2, -0.03, -1.5, -0.03, 0},
    {"Pb", -2, -1.0, -2, -0.03, -1.5, -0.03, 0},
    {"Si", 2, 1.0, 3, 0.03, 2, 0.02, 0},
    {"Se", 1, 1.0, 2, 0.02, 1, 0, 20},
    {"Au", -0.5, 0.5, 3, 0.03, 1.5, 0, -20},
    {"Mn", 0, 0.5, 4, 0.04, 2, 0, -20},
    {"Ga", 0, 0.5, 4, 0.04, 2, 0.01, 0},
    {"Al", 0, 0.5, 4, 0.04, 2, 0.01, 0},
};

static const struct dopant_effect *dopant_find(const char *sym)
{
    for (size_t i = 0; i < sizeof dopant_effects / sizeof dopant_effects[0]; i++)
        if (!strcmp(dopant_effects[i].sym, sym))
            return &dopant_effects[i];
    return NULL;
}

static void props_dope(struct props *p, const char *sym, double at_percent)
{
    const struct dopant_effect *d = dopant_find(sym);
    if (!d || at_percent == 0)
        return;
    p->tm_k += d->tm_k * at_percent;
    p->tg_k += d->tg_k * at_percent;
    p->tx_c += d->tx_k * at_percent;
    p->ea_ev += d->ea_ev * at_percent;
    p->t10_c += d->t10_k * at_percent;
    p->cet_ns *= 1.0 + d->cet_frac * at_percent;
    p->n0 += d->n0 * at_percent;
}

static double lerp(double a, double b, double t)
{
    return a + (b - a) * t;
}

static void props_lerp(const struct props *a, const struct props *b, double t,
                       struct props *out)
{
    out->tm_k = lerp(a->tm_k, b->tm_k, t);
    out->tg_k = lerp(a->tg_k, b->tg_k, t);
    out->tx_c = lerp(a->tx_c, b->tx_c, t);
    out->ea_ev = lerp(a->ea_ev, b->ea_ev, t);
    out->t10_c = lerp(a->t10_c, b->t10_c, t);
    out->cet_ns = lerp(a->cet_ns, b->cet_ns, t);
    out->growth_m_s = lerp(a->growth_m_s, b->growth_m_s, t);
    out->n0 = lerp(a->n0, b->n0, t);
    out->beta = lerp(a->beta, b->beta, t);
    /* resistivities span decades: interpolate their logarithms */
    out->rho_a = exp(lerp(log(a->rho_a), log(b->rho_a), t));
    out->rho_c = exp(lerp(log(a->rho_c), log(b->rho_c), t));
}

static double gst_xg(double a, double b)
{
    return a / (a + b / 2.0);
}

/* GeSbTe base along the pseudo-binary; nodes are returned exactly. */
static void gst_base(double a, double b, struct props *out)
{
    const size_t n = sizeof gst_nodes / sizeof gst_nodes[0];
    double xg = gst_xg(a, b);
    for (size_t i = 0; i < n; i++) {
        if (xg == gst_xg(gst_nodes[i].a, gst_nodes[i].b)) {
            *out = gst_nodes[i].p;
            return;
        }
    }
    for (size_t i = 0; i + 1 < n; i++) {
        double x0 = gst_xg(gst_nodes[i].a, gst_nodes[i].b);
        double x1 = gst_xg(gst_nodes[i + 1].a, gst_nodes[i + 1].b);
        if (xg >= x0 && xg <= x1) {
            props_lerp(&gst_nodes[i].p, &gst_nodes[i + 1].p, (xg - x0) / (x1 - x0), out);
            return;
        }
    }
    *out = xg < 0.5 ? gst_nodes[0].p : gst_nodes[n - 1].p;
}

static void sbte_line(double x, struct props *out)
{
    const size_t n = sizeof sbte_nodes / sizeof sbte_nodes[0];
    if (x <= sbte_nodes[0].x) {
        *out = sbte_nodes[0].p;
        return;
    }
    if (x >= sbte_nodes[n - 1].x) {
        *out = sbte_nodes[n - 1].p;
        return;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        if (x == sbte_nodes[i].x) {
            *out = sbte_nodes[i].p;
            return;
        }
        if (x > sbte_nodes[i].x && x < sbte_nodes[i + 1].x) {
            props_lerp(&sbte_nodes[i].p, &sbte_nodes[i + 1].p,
                       (x - sbte_nodes[i].x) / (sbte_nodes[i + 1].x - sbte_nodes[i].x), out);
            return;
        }
    }
    *out = sbte_nodes[n - 1].p;
}

/* SbTe: the anchor plus the line's change from x = 70 plus each M1's change from the
 * anchor's 5 at.% Ge. */
static void sbte_props(const struct material_formula *f, struct props *out)
{
    struct props line, line70;
    sbte_line(f->x, &line);
    sbte_line(SBTE_ANCHOR_X, &line70);
    *out = sbte_anchor;
    if (f->x != SBTE_ANCHOR_X) {
        out->tm_k += line.tm_k - line70.tm_k;
        out->tg_k += line.tg_k - line70.tg_k;
        out->tx_c += line.tx_c - line70.tx_c;
        out->ea_ev += line.ea_ev - line70.ea_ev;
        out->t10_c += line.t10_c - line70.t10_c;
        out->growth_m_s += line.growth_m_s - line70.growth_m_s;
    }
    /* dopant amounts in at.% of the film, relative to the anchor's Ge 5 */
    double ge = 0;
    for (unsigned i = 0; i < f->element_count; i++) {
        const char *s = f->elements[i].symbol;
        if (!strcmp(s, "Sb") || !strcmp(s, "Te") || !strcmp(s, "N") || !strcmp(s, "O"))
            continue; /* N and O: with the gas's, in medium_material_derive */
        if (!strcmp(s, "Ge")) {
            ge = f->elements[i].atomic_percent;
            continue;
        }
        props_dope(out, s, f->elements[i].atomic_percent);
    }
    if (ge != SBTE_ANCHOR_GE)
        props_dope(out, "Ge", ge - SBTE_ANCHOR_GE);
}

/* GeSbTe: the pseudo-binary base at the formula's a, b, then every element that is
 * not Ge, Sb or Te (M2, M3) as a dopant. */
static void gesbte_props(const struct material_formula *f, struct props *out)
{
    gst_base(f->a, f->b, out);
    for (unsigned i = 0; i < f->element_count; i++) {
        const char *s = f->elements[i].symbol;
        if (strcmp(s, "Ge") && strcmp(s, "Sb") && strcmp(s, "Te") && strcmp(s, "N") &&
            strcmp(s, "O"))
            props_dope(out, s, f->elements[i].atomic_percent);
    }
}

/* Reference compositions for UNKNOWN materials: nearest one by atomic percents. */
struct reference {
    const char *formula;
};

static const struct reference references[] = {
    {"Sb2Te3"}, {"GeSb4Te7"}, {"GeSb2Te4"}, {"Ge2Sb2Te5"}, {"Ge8Sb2Te11"}, {"GeTe"},
    {"(Sb70Te30)95Ge5"}, {"Ag5In5Sb60Te30"},
};

static double share_of(const struct material_formula *f, const char *sym)
{
    for (unsigned i = 0; i < f->element_count; i++)
        if (!strcmp(f->elements[i].symbol, sym))
            return f->elements[i].atomic_percent;
    return 0;
}

static double composition_distance(const struct material_formula *x,
                                   const struct material_formula *y)
{
    double d = 0;
    for (unsigned i = 0; i < x->element_count; i++) {
        double v = x->elements[i].atomic_percent - share_of(y, x->elements[i].symbol);
        d += v * v;
    }
    for (unsigned i = 0; i < y->element_count; i++)
        if (share_of(x, y->elements[i].symbol) == 0)
            d += y->elements[i].atomic_percent * y->elements[i].atomic_percent;
    return d;
}

static int nearest_reference(const struct material_formula *f, struct material_formula *ref)
{
    double best = INFINITY;
    for (size_t i = 0; i < sizeof references / sizeof references[0]; i++) {
        struct material_formula r;
        int rc = material_formula_parse(references[i].formula, &r, NULL, 0);
        if (rc < 0)
            return rc;
        double d = composition_distance(f, &r);
        if (d < best) {
            best = d;
            *ref = r;
        }
    }
    return 0;
}

/*
 * Incorporated at.% of N or O from the gas fraction f (0-1) of N2 or O2 in the
 * sputtering gas. EST, monotone and saturating (reactive sputtering: film content rises
 * with the flow ratio, then levels off; excess N goes to grain boundaries with little
 * further effect [S20]): at.% = max * f / (f + 0.1). N: max 12, so 2 % N2 -> 2 at.%,
 * 5 % -> 4 at.%, 10 % -> 6 at.% ("a few at.%" raising Tx by 20-60 K, §1.4 EST).
 * O: max 10.
 */
static double gas_incorporated(double fraction, double max_at_percent)
{
    if (!(fraction > 0))
        return 0;
    if (fraction > 1)
        fraction = 1;
    return max_at_percent * fraction / (fraction + 0.1);
}

#define GAS_N_MAX_AT 12.0
#define GAS_O_MAX_AT 10.0
#define ANION_SATURATION_AT 10.0

/* n + ik per phase. GeSbTe family: GST-225 as proxy (physics.md §7.2), 405 nm values
 * [S1] (c 2.076+2.971i, a 2.816+2.191i), linearly toward the 660 nm model values [S7]
 * (c 4.61+4.01i, a 4.36+1.79i) above 430 nm, constant beyond 660 nm and below 405 nm.
 * Dispersion across 390-430 nm is neglected. SbTe family: 405 nm EST values
 * (c 1.5+3.3i, a 2.5+2.9i, §1.3), used at every wavelength (no other data). Along the
 * GeTe-Sb2Te3 line physics.md has no tabulated data (§1.2, §8), so the proxy holds for
 * every a, b; what does change the constants within a family is the N and O content. */
static void optical_constants(enum medium_family family, double wavelength_nm,
                              struct medium_material *m)
{
    if (family == MEDIUM_FAMILY_SBTE) {
        m->n_c = 1.5, m->k_c = 3.3, m->n_a = 2.5, m->k_a = 2.9;
        return;
    }
    double t = 0;
    if (wavelength_nm > 430)
        t = wavelength_nm >= 660 ? 1.0 : (wavelength_nm - 430) / (660 - 430);
    m->n_c = lerp(2.076, 4.61, t);
    m->k_c = lerp(2.971, 4.01, t);
    m->n_a = lerp(2.816, 4.36, t);
    m->k_a = lerp(2.191, 1.79, t);
}

/* N and O in the film bond to Ge (Ge-N bonds form, excess N at grain boundaries [S20];
 * O-doped GeSbTe [S57]) and sit in it as dielectric inclusions: Ge3N4-like, each N
 * taking 3/4 Ge with it (volume fraction 1.75 x at.%, EST), index 2.15 + 0.05i (GeN,
 * §2.1 EST 2.0-2.3, k 0-0.1); GeO2-like, each O taking 1/2 Ge (1.5 x at.%, EST), index
 * 1.7 (EST: not in §2.1; between SiO2 1.47 and HfO2 1.94). They are mixed into the film
 * by Maxwell Garnett, the form of §2.1's Lorentz-Lorenz rule with the chalcogenide as
 * the host (Lorentz-Lorenz itself embeds every part in vacuum, which fails for an
 * absorbing host), so doping dilutes the absorption k of both phases. */
#define NITRIDE_VOLUME_PER_AT 1.75
#define OXIDE_VOLUME_PER_AT 1.5
#define NITRIDE_N 2.15
#define NITRIDE_K 0.05
#define OXIDE_N 1.7
#define INCLUSION_MAX_FRACTION 0.5

static void maxwell_garnett(double *n, double *k, double f_nitride, double f_oxide)
{
    const double complex host = *n + *k * I;
    const double complex incl[2] = {NITRIDE_N + NITRIDE_K * I, OXIDE_N};
    const double frac[2] = {f_nitride, f_oxide};
    const double complex eh = host * host;
    double complex sum = 0.0;
    for (int i = 0; i < 2; i++) {
        double complex ei = incl[i] * incl[i];
        sum += frac[i] * (ei - eh) / (ei + 2.0 * eh);
    }
    double complex mixed = csqrt(eh * (1.0 + 2.0 * sum) / (1.0 - sum));
    if (cimag(mixed) < 0.0)
        mixed = -mixed;
    *n = creal(mixed);
    *k = cimag(mixed);
}

static void optical_dilute(struct medium_material *m, double n_at_percent, double o_at_percent)
{
    double fn = NITRIDE_VOLUME_PER_AT * fmax(0.0, n_at_percent) / 100.0;
    double fo = OXIDE_VOLUME_PER_AT * fmax(0.0, o_at_percent) / 100.0;
    if (!(fn + fo > 0.0))
        return;
    if (fn + fo > INCLUSION_MAX_FRACTION) {
        double s = INCLUSION_MAX_FRACTION / (fn + fo);
        fn *= s;
        fo *= s;
    }
    maxwell_garnett(&m->n_c, &m->k_c, fn, fo);
    maxwell_garnett(&m->n_a, &m->k_a, fn, fo);
}

int medium_material_derive(const char *formula, double wavelength_nm, double n2_fraction,
                           double o2_fraction, struct medium_material *out, char *why,
                           size_t why_cap)
{
    static struct medium_material zero;
    struct material_formula f, ref;
    struct props p;
    enum medium_family prop_family;

    if (why && why_cap)
        why[0] = '\0';
    if (!out || !formula) {
        if (why && why_cap)
            snprintf(why, why_cap, "no formula");
        return -EINVAL;
    }
    if (!(n2_fraction >= 0 && n2_fraction <= 1 && o2_fraction >= 0 && o2_fraction <= 1)) {
        if (why && why_cap)
            snprintf(why, why_cap, "gas fractions must be 0-1");
        return -EINVAL;
    }
    int rc = material_formula_parse(formula, &f, why, why_cap);
    if (rc < 0)
        return rc;

    *out = zero;
    snprintf(out->formula, sizeof out->formula, "%s", formula);
    out->family = f.family;
    if (f.family == MEDIUM_FAMILY_GESBTE) {
        out->ge_a = f.a;
        out->sb_b = f.b;
        out->m3_c = f.c;
        snprintf(out->m2, sizeof out->m2, "%s", f.m2);
        snprintf(out->m3, sizeof out->m3, "%s", f.m3);
        gesbte_props(&f, &p);
        prop_family = MEDIUM_FAMILY_GESBTE;
    } else if (f.family == MEDIUM_FAMILY_SBTE) {
        out->sbte_x = f.x;
        out->sbte_y = f.y;
        out->m1_count = f.m1_count;
        memcpy(out->m1, f.m1, sizeof out->m1);
        sbte_props(&f, &p);
        prop_family = MEDIUM_FAMILY_SBTE;
    } else {
        rc = nearest_reference(&f, &ref);
        if (rc < 0)
            return rc;
        if (ref.family == MEDIUM_FAMILY_GESBTE)
            gesbte_props(&ref, &p);
        else
            sbte_props(&ref, &p);
        prop_family = ref.family;
    }
    if (prop_family == MEDIUM_FAMILY_GESBTE) {
        /* nucleation-dominated along the GeTe-Sb2Te3 line [S8] */
        out->mechanism = MEDIUM_NUCLEATION_DOMINATED;
    } else {
        /* growth-dominated [S8], [S9]: erasure grows in from the mark rim, so CET is the
         * time to grow across half the shortest mark (2T = 149 nm, §3.1) at u_max (DER) */
        out->mechanism = MEDIUM_GROWTH_DOMINATED;
        p.cet_ns = 74.5 / p.growth_m_s;
    }

    /* N and O, from the formula and from the sputtering gas (physics.md §1.4). Their
     * effect saturates: excess N goes to grain boundaries with little further effect
     * [S20]; effective at.% = 10 (1 - exp(-at.%/10)) (EST), so a few at.% act almost
     * fully and 20 at.% acts like 8.6. */
    double n_at = gas_incorporated(n2_fraction, GAS_N_MAX_AT);
    double o_at = gas_incorporated(o2_fraction, GAS_O_MAX_AT);
    double keep = 1.0 - (n_at + o_at) / 100.0;
    double n_total = share_of(&f, "N") * keep + n_at;
    double o_total = share_of(&f, "O") * keep + o_at;
    props_dope(&p, "N", ANION_SATURATION_AT * (1.0 - exp(-n_total / ANION_SATURATION_AT)));
    props_dope(&p, "O", ANION_SATURATION_AT * (1.0 - exp(-o_total / ANION_SATURATION_AT)));

    /* keep the derived numbers physical whatever the dopants did (EST guards) */
    if (p.ea_ev < 0.5)
        p.ea_ev = 0.5;
    if (p.tm_k < 400)
        p.tm_k = 400;
    if (p.tx_c + C_TO_K > p.tm_k - 10)
        p.tx_c = p.tm_k - 10 - C_TO_K;
    if (p.t10_c > p.tx_c)
        p.t10_c = p.tx_c;
    if (p.n0 < 50)
        p.n0 = 50;
    if (p.cet_ns < 1)
        p.cet_ns = 1;

    /* film composition with the gas dopants: formula shares scaled to make room */
    out->element_count = 0;
    for (unsigned i = 0; i < f.element_count; i++) {
        out->elements[out->element_count] = f.elements[i];
        out->elements[out->element_count++].atomic_percent *= keep;
    }
    const char *gas_sym[2] = {"N", "O"};
    double gas_at[2] = {n_at, o_at};
    for (int g = 0; g < 2; g++) {
        if (gas_at[g] <= 0)
            continue;
        unsigned i;
        for (i = 0; i < out->element_count; i++)
            if (!strcmp(out->elements[i].symbol, gas_sym[g]))
                break;
        if (i == out->element_count) {
            if (out->element_count >= MEDIUM_MAX_ELEMENTS) {
                if (why && why_cap)
                    snprintf(why, why_cap, "too many elements with the gas dopants");
                return -EINVAL;
            }
            snprintf(out->elements[i].symbol, sizeof out->elements[i].symbol, "%s",
                     gas_sym[g]);
            out->elements[i].atomic_percent = 0;
            out->element_count++;
        }
        out->elements[i].atomic_percent += gas_at[g];
    }

    out->tm_k = p.tm_k;
    out->tg_k = p.tg_k;
    out->tx_k = p.tx_c + C_TO_K;
    out->ea_ev = p.ea_ev;
    out->t10_k = p.t10_c + C_TO_K;
    out->cet_ns = p.cet_ns;
    out->growth_m_s = p.growth_m_s;
    out->dow_n0_cycles = p.n0;
    out->dow_beta = p.beta;
    out->rho_a_ohm_m = p.rho_a;
    out->rho_c_ohm_m = p.rho_c;
    optical_constants(prop_family, wavelength_nm, out);
    optical_dilute(out, n_total, o_total);
    /* rho c_p: GST 1.25 MJ/m3K [S7]; SbTe 1.3 MJ/m3K §7.3 (EST) */
    out->rho_cp_j_m3k = prop_family == MEDIUM_FAMILY_SBTE ? 1.3e6 : 1.25e6;
    /* volumetric enthalpy of fusion: GST 625 MJ/m3 at Tm 900 K [S7], scaled with Tm at a
     * constant entropy of fusion (Richards' rule; DER) */
    out->hf_j_m3 = 625e6 * out->tm_k / 900.0;
    return 0;
}
