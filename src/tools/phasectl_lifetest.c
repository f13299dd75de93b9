/*
 * phasectl_lifetest.c — `phasectl lifetest`: a life test of an archive on simulated discs
 * (issue 9, DESIGN.md "Tools"). For each disc it formats a medium, writes a data set (a
 * directory, or generated from the seed) through libpfs with a fixity manifest (BLAKE2b-256,
 * as the filesystem's user.phasefs.blake2b), then ages the medium by a schedule in
 * temperature and humidity (medium_age_rh: both ageing mechanisms, physics.md §9) and at
 * each step reads every written cluster through the sector layer (per-layer SER, max
 * corrected, margin, uncorrectable clusters) and every file through the filesystem,
 * against the manifest and the xattr. It uses only the public APIs (pfs.h, sector.h,
 * medium.h); rendering, shards' merge and the summary live in phasectl_lifetest_report.c.
 */
#include "lifetest.h"
#include "medium.h"
#include "pfs.h"
#include "phasectl.h"
#include "sector.h"
#include "tool.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* rng domains of the generated data set (sizes, content): see util_rng_stream */
#define LT_DOMAIN_SIZES 0x4c5401u
#define LT_DOMAIN_DATA 0x4c5402u

#define LT_IO_BYTES (16u * SECTOR_CLUSTER_USER_BYTES)

/* One entry of the data set: a directory or a regular file, in creation order (a
 * directory always before what it holds). */
struct lt_entry {
    char *rel;                /* path relative to the data set root */
    long parent;              /* index of the parent directory entry, -1 for the root */
    bool dir;
    uint64_t size;
    uint64_t ino;             /* on the disc being written */
    uint8_t digest[PFS_FIXITY_BYTES];
};

struct lt_dataset {
    struct lt_entry *e;
    size_t n, cap;
    bool generated;
    const char *dir;          /* host directory when not generated */
    uint64_t seed;            /* generated: content seed */
    uint64_t files, bytes;
};

static const struct pfs_ctx root_ctx = {.uid = 0, .gid = 0, .pid = 0, .groups = NULL,
                                        .ngroups = 0};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: phasectl lifetest [OPTIONS] (DIR | --generate SIZE --files N)\n"
            "       phasectl lifetest merge [--json FILE] [--csv FILE] [-q] SHARD.json...\n"
            "Write a data set through the filesystem with a fixity manifest, age the medium\n"
            "by a schedule, and verify every file and every written cluster at each step.\n"
            "  -p, --profile SPEC     preset or profile file of new discs (bd-re-dl)\n"
            "  -s, --size SIZE        user capacity per layer of new discs (the profile's)\n"
            "      --image FILE       use this existing image (one disc; it is reformatted)\n"
            "      --generate SIZE    generate SIZE bytes of seeded data ...\n"
            "      --files N          ... in N files\n"
            "      --schedule LIST    verify at these times after writing, e.g. 0,1,2,5,10y\n"
            "                         (units s, h, d, y; a unit applies to the entries\n"
            "                         before it that have none; default 0,1,2,5,10y)\n"
            "      --celsius C        storage temperature (the profile's)\n"
            "      --rh R             relative humidity, 0-100 %% (the profile's)\n"
            "      --schedule-file F  lines 'TIME CELSIUS RH': varying conditions\n"
            "      --discs N          independent discs, seeds S .. S+N-1 (1)\n"
            "      --seed S           first disc's seed and the generated data's (profile's)\n"
            "      --shard K/N        run only discs K-1, K-1+N, ... (K from 1 to N)\n"
            "      --json FILE        JSON report (- for stdout)\n"
            "      --csv FILE         CSV: one row per disc, step and layer (- for stdout)\n"
            "      --manifest FILE    write the fixity manifest (b2sum -l 256 format)\n"
            "  -q, --quiet            no table on stdout\n"
            "Exit status: 0 done (losses are results, not errors), 2 bad input,\n"
            "3 a medium could not be created or used, 4 the data set does not fit.\n");
}

/* ---- schedule ----------------------------------------------------------------------- */

static int unit_seconds(char u, double *out)
{
    switch (u) {
    case 's': *out = 1; return 0;
    case 'h': *out = 3600; return 0;
    case 'd': *out = 86400; return 0;
    case 'y': *out = LT_YEAR_S; return 0;
    default: return -EINVAL;
    }
}

/* "2.5y", "36h", "10" -> value and unit (0 when none). */
static int parse_time_token(const char *tok, double *value, char *unit)
{
    char buf[64];
    size_t len = strlen(tok);
    if (len == 0 || len >= sizeof buf)
        return -EINVAL;
    memcpy(buf, tok, len + 1);
    *unit = 0;
    if (strchr("shdy", buf[len - 1])) {
        *unit = buf[len - 1];
        buf[len - 1] = 0;
    }
    if (tool_parse_double(buf, value) < 0 || *value < 0)
        return -EINVAL;
    return 0;
}

static int parse_schedule(const char *text, double celsius, double rh, struct lt_step **out,
                          size_t *count)
{
    size_t n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    struct lt_step *s = calloc(n, sizeof *s);
    char *copy = strdup(text);
    char *units = calloc(n, 1);
    int rc = 0;
    if (!s || !copy || !units) {
        rc = -ENOMEM;
        goto out;
    }
    char *save = NULL, *tok = strtok_r(copy, ",", &save);
    size_t i = 0;
    for (; tok && i < n; tok = strtok_r(NULL, ",", &save), i++) {
        if (parse_time_token(tok, &s[i].t_s, &units[i]) < 0) {
            tool_error(tok, "not a time in the schedule; write e.g. 0,1,2,5,10y");
            rc = -EINVAL;
            goto out;
        }
    }
    if (i != n) {
        tool_error(text, "an empty entry in the schedule; write e.g. 0,1,2,5,10y");
        rc = -EINVAL;
        goto out;
    }
    char unit = 'y'; /* entries after the last unit, and a list with none, count years */
    for (size_t j = n; j-- > 0;) {
        if (units[j])
            unit = units[j];
        double k = 1;
        (void)unit_seconds(unit, &k);
        s[j].t_s *= k;
        s[j].celsius = celsius;
        s[j].rh = rh;
    }
out:
    free(copy);
    free(units);
    if (rc < 0) {
        free(s);
        return rc;
    }
    *out = s;
    *count = n;
    return 0;
}

static int parse_schedule_file(const char *path, struct lt_step **out, size_t *count)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        tool_error(path, "cannot open the schedule file: %s", strerror(errno));
        return -errno;
    }
    struct lt_step *s = NULL;
    size_t n = 0, cap = 0;
    char line[512];
    unsigned lineno = 0;
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char t[64], c[64], r[64], extra[8];
        int got = sscanf(line, "%63s %63s %63s %7s", t, c, r, extra);
        if (got <= 0)
            continue;
        struct lt_step st;
        char unit;
        double k = 1;
        if (got != 3 || parse_time_token(t, &st.t_s, &unit) < 0 ||
            tool_parse_double(c, &st.celsius) < 0 || tool_parse_double(r, &st.rh) < 0) {
            tool_error(NULL, "%s:%u: expected 'TIME CELSIUS RH', e.g. '5y 25 50'", path, lineno);
            rc = -EINVAL;
            break;
        }
        (void)unit_seconds(unit ? unit : 'y', &k);
        st.t_s *= k;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            struct lt_step *g = realloc(s, cap * sizeof *s);
            if (!g) {
                rc = -ENOMEM;
                break;
            }
            s = g;
        }
        s[n++] = st;
    }
    fclose(f);
    if (rc == 0 && n == 0) {
        tool_error(path, "the schedule file has no step; write lines 'TIME CELSIUS RH'");
        rc = -EINVAL;
    }
    if (rc < 0) {
        free(s);
        return rc;
    }
    *out = s;
    *count = n;
    return 0;
}

/* The checks every schedule passes, whatever its source. */
static int schedule_check(const struct lt_step *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && s[i].t_s <= s[i - 1].t_s) {
            tool_error("--schedule", "step %zu (%.6g y) is not after step %zu (%.6g y); the "
                       "schedule must go forward in time", i + 1, s[i].t_s / LT_YEAR_S, i,
                       s[i - 1].t_s / LT_YEAR_S);
            return -EINVAL;
        }
        if (!(s[i].rh >= 0 && s[i].rh <= 100)) {
            tool_error("--rh", "%.6g %% is not a relative humidity; give 0 to 100", s[i].rh);
            return -EINVAL;
        }
        if (!(s[i].celsius >= -40 && s[i].celsius <= 200)) {
            tool_error("--celsius", "%.6g C is outside the model's range of -40 to 200 C",
                       s[i].celsius);
            return -EINVAL;
        }
    }
    return 0;
}

/* ---- data set ----------------------------------------------------------------------- */

static int ds_add(struct lt_dataset *ds, const char *rel, long parent, bool dir,
                  uint64_t size)
{
    if (ds->n == ds->cap) {
        size_t cap = ds->cap ? 2 * ds->cap : 64;
        struct lt_entry *g = realloc(ds->e, cap * sizeof *g);
        if (!g)
            return -ENOMEM;
        ds->e = g;
        ds->cap = cap;
    }
    struct lt_entry *e = &ds->e[ds->n];
    memset(e, 0, sizeof *e);
    if (!(e->rel = strdup(rel)))
        return -ENOMEM;
    e->parent = parent;
    e->dir = dir;
    e->size = size;
    ds->n++;
    if (!dir) {
        ds->files++;
        ds->bytes += size;
    }
    return 0;
}

static void ds_free(struct lt_dataset *ds)
{
    for (size_t i = 0; i < ds->n; i++)
        free(ds->e[i].rel);
    free(ds->e);
}

/* Walk dir in name order (so every run lists the same data set). Symbolic links and
 * special files are not part of an archive's payload here and are skipped. */
static int ds_walk(struct lt_dataset *ds, const char *root, const char *rel, long parent)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
    struct dirent **names = NULL;
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
        tool_error(path, "cannot read the data set directory: %s", strerror(errno));
        return -errno;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (rc == 0 && strcmp(name, ".") && strcmp(name, "..")) {
            char sub[PATH_MAX], full[PATH_MAX];
            struct stat st;
            if ((size_t)snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", name) >=
                    sizeof sub ||
                (size_t)snprintf(full, sizeof full, "%s/%s", root, sub) >= sizeof full) {
                tool_error(sub, "path too long for the data set");
                rc = -ENAMETOOLONG;
            } else if (lstat(full, &st) < 0) {
                tool_error(full, "cannot stat: %s", strerror(errno));
                rc = -errno;
            } else if (S_ISDIR(st.st_mode)) {
                long self = (long)ds->n;
                rc = ds_add(ds, sub, parent, true, 0);
                if (rc == 0)
                    rc = ds_walk(ds, root, sub, self);
            } else if (S_ISREG(st.st_mode)) {
                rc = ds_add(ds, sub, parent, false, (uint64_t)st.st_size);
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Sizes of a generated data set: weights uniform in [0.5, 1.5) from the seed, so files
 * differ in size (and straddle clusters) but the total is exactly SIZE. */
static int ds_generate(struct lt_dataset *ds, uint64_t bytes, uint64_t files, uint64_t seed)
{
    double *w = calloc(files, sizeof *w), sum = 0;
    if (!w)
        return -ENOMEM;
    struct util_rng rng;
    util_rng_stream(&rng, seed, LT_DOMAIN_SIZES, files, bytes, 0);
    for (uint64_t i = 0; i < files; i++)
        sum += w[i] = 0.5 + util_rng_uniform(&rng);
    uint64_t left = bytes;
    int rc = 0;
    for (uint64_t i = 0; i < files && rc == 0; i++) {
        uint64_t size = i + 1 == files ? left : (uint64_t)((double)bytes * w[i] / sum);
        if (size > left)
            size = left;
        left -= size;
        char name[32];
        snprintf(name, sizeof name, "file%06llu.bin", (unsigned long long)i);
        rc = ds_add(ds, name, -1, false, size);
    }
    free(w);
    ds->generated = true;
    ds->seed = seed;
    return rc;
}

/* ---- writing the data set ----------------------------------------------------------- */

static void digest_hex(const uint8_t *d, char *hex)
{
    for (unsigned i = 0; i < PFS_FIXITY_BYTES; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
}

static const char *base_name(const char *rel)
{
    const char *s = strrchr(rel, '/');
    return s ? s + 1 : rel;
}

/* Write entry i on fs; fills its ino and (files) its manifest digest. Returns 0, a
 * negative errno of the filesystem, or -EIO with a line printed for a host read error. */
static int write_entry(struct pfs *fs, struct lt_dataset *ds, size_t i, uint8_t *buf)
{
    struct lt_entry *e = &ds->e[i];
    uint64_t parent = e->parent < 0 ? PFS_ROOT_INO : ds->e[e->parent].ino;
    struct pfs_attr attr;
    if (e->dir) {
        int rc = pfs_mkdir(fs, &root_ctx, parent, base_name(e->rel), 0755, &attr);
        e->ino = attr.ino;
        return rc;
    }
    uint64_t fh;
    int rc = pfs_create(fs, &root_ctx, parent, base_name(e->rel), 0644, O_WRONLY | O_EXCL,
                        &attr, &fh);
    if (rc < 0)
        return rc;
    e->ino = attr.ino;
    int fd = -1;
    if (!ds->generated) {
        char full[PATH_MAX];
        snprintf(full, sizeof full, "%s/%s", ds->dir, e->rel);
        if ((fd = open(full, O_RDONLY | O_CLOEXEC)) < 0) {
            tool_error(full, "cannot read the data set: %s", strerror(errno));
            (void)pfs_release(fs, e->ino, fh);
            return -EIO;
        }
    }
    struct util_rng rng;
    util_rng_stream(&rng, ds->seed, LT_DOMAIN_DATA, i, 0, 0);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, PFS_FIXITY_BYTES);
    uint64_t off = 0;
    while (off < e->size && rc == 0) {
        size_t len = e->size - off < LT_IO_BYTES ? (size_t)(e->size - off) : LT_IO_BYTES;
        if (ds->generated) {
            for (size_t j = 0; j < len; j += 8) {
                uint64_t v = util_rng_u64(&rng);
                memcpy(buf + j, &v, len - j < 8 ? len - j : 8);
            }
        } else {
            ssize_t got = pread(fd, buf, len, (off_t)off);
            if (got != (ssize_t)len) {
                tool_error(e->rel, "the data set file changed or cannot be read while "
                           "being written");
                rc = -EIO;
                break;
            }
        }
        crypto_generichash_update(&st, buf, len);
        ssize_t w = pfs_write(fs, e->ino, fh, buf, len, off);
        if (w < 0)
            rc = (int)w;
        else
            off += (uint64_t)w;
    }
    crypto_generichash_final(&st, e->digest, PFS_FIXITY_BYTES);
    if (fd >= 0)
        close(fd);
    int rrc = pfs_release(fs, e->ino, fh);
    return rc < 0 ? rc : rrc;
}

/* ---- verifying at a step ------------------------------------------------------------ */

static int resolve(struct pfs *fs, const char *rel, struct pfs_attr *attr)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", rel);
    uint64_t ino = PFS_ROOT_INO;
    char *save = NULL;
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        int rc = pfs_lookup(fs, &root_ctx, ino, c, attr);
        if (rc < 0)
            return rc;
        ino = attr->ino;
    }
    return 0;
}

/* Read one file back: bytes of unreadable ranges, whether its content matches the
 * manifest, and whether its fixity xattr does. */
static void verify_file(struct pfs *fs, const struct lt_entry *e, uint8_t *buf,
                        struct lt_step_result *r)
{
    struct pfs_attr attr;
    uint64_t fh;
    if (resolve(fs, e->rel, &attr) < 0 || pfs_open(fs, &root_ctx, attr.ino, O_RDONLY, &fh) < 0) {
        r->files_lost++;
        r->bytes_lost += e->size;
        r->xattr_mismatch++;
        return;
    }
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, PFS_FIXITY_BYTES);
    uint64_t unreadable = 0, off = 0, end = attr.size > e->size ? attr.size : e->size;
    while (off < end) {
        size_t len = end - off < LT_IO_BYTES ? (size_t)(end - off) : LT_IO_BYTES;
        ssize_t got = pfs_read(fs, attr.ino, fh, buf, len, off);
        if (got == 0)
            break;
        if (got < 0) {
            /* find the unreadable part cluster by cluster, so one bad cluster costs one
             * cluster of bytes and not the whole chunk */
            for (size_t c = 0; c < len; c += SECTOR_CLUSTER_USER_BYTES) {
                size_t cl = len - c < SECTOR_CLUSTER_USER_BYTES ? len - c
                                                                 : SECTOR_CLUSTER_USER_BYTES;
                if (pfs_read(fs, attr.ino, fh, buf + c, cl, off + c) != (ssize_t)cl)
                    unreadable += cl;
            }
            got = (ssize_t)len;
        }
        crypto_generichash_update(&st, buf, (size_t)got);
        off += (uint64_t)got;
    }
    (void)pfs_release(fs, attr.ino, fh);
    uint8_t d[PFS_FIXITY_BYTES];
    crypto_generichash_final(&st, d, sizeof d);
    bool intact = unreadable == 0 && attr.size == e->size && !memcmp(d, e->digest, sizeof d);
    if (!intact) {
        r->files_lost++;
        r->bytes_lost += unreadable && attr.size == e->size ? unreadable : e->size;
    }
    char want[2 * PFS_FIXITY_BYTES + 1], got[2 * PFS_FIXITY_BYTES + 2];
    digest_hex(e->digest, want);
    ssize_t xl = pfs_getxattr(fs, &root_ctx, attr.ino, PFS_FIXITY_XATTR, got, sizeof got - 1);
    if (xl != 2 * PFS_FIXITY_BYTES || memcmp(got, want, 2 * PFS_FIXITY_BYTES))
        r->xattr_mismatch++;
}

/* Read every cluster of the data set through the sector layer, by layer and zone (the
 * same SER measure as fsck.phasefs --scan: symbols corrected per symbol read). Metadata
 * clusters are left out: they hold the wall-clock times of writing, and since retention
 * flips only amorphous marks, their error counts would differ from run to run. */
static int scan_layers(struct medium *m, struct sector_dev *dev, const uint64_t *lcns,
                       size_t nlcns, uint8_t *buf, struct lt_step_result *r)
{
    uint64_t decoded[MEDIUM_LAYER_COUNT][SECTOR_ZONES] = {{0}};
    uint64_t symbols[MEDIUM_LAYER_COUNT][SECTOR_ZONES] = {{0}};
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++)
        r->layer[l].margin = SECTOR_RS_PARITY;
    for (size_t i = 0; i < nlcns; i++) {
        uint64_t lcn = lcns[i];
        struct sector_address a;
        struct medium_cluster_info info;
        int rc = sector_locate(dev, lcn, &a);
        if (rc < 0)
            return rc;
        rc = medium_cluster_info(m, a.layer, a.physical_cluster, &info);
        if (rc == -EUCLEAN)
            info.written = true; /* a corrupt table entry reads as uncorrectable */
        else if (rc < 0)
            return rc;
        if (!info.written)
            continue;
        struct sector_read_report rep;
        rc = sector_read(dev, lcn, buf, &rep);
        if (rc < 0 && rc != -EIO)
            return rc;
        struct lt_layer_result *L = &r->layer[a.layer];
        double span = SECTOR_ZONE_R_OUT_MM - SECTOR_ZONE_R_IN_MM;
        long z = (long)((info.radius_mm - SECTOR_ZONE_R_IN_MM) / span * SECTOR_ZONES);
        z = z < 0 ? 0 : z >= (long)SECTOR_ZONES ? (long)SECTOR_ZONES - 1 : z;
        L->clusters++;
        decoded[a.layer][z]++;
        symbols[a.layer][z] += rep.decode.symbols_corrected;
        if (rep.decode.max_corrected > L->max_corrected)
            L->max_corrected = rep.decode.max_corrected;
        int32_t margin = rc < 0 ? -1 : rep.margin;
        if (margin < L->margin)
            L->margin = margin;
        L->uncorrectable += rc < 0;
    }
    const double per_cluster = (double)SECTOR_LDC_CODEWORDS * SECTOR_LDC_N;
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        uint64_t d = 0, s = 0;
        for (unsigned z = 0; z < SECTOR_ZONES; z++) {
            d += decoded[l][z];
            s += symbols[l][z];
            if (decoded[l][z]) {
                double ser = (double)symbols[l][z] / ((double)decoded[l][z] * per_cluster);
                if (ser > r->layer[l].ser_worst_zone)
                    r->layer[l].ser_worst_zone = ser;
            }
        }
        r->layer[l].ser_mean = d ? (double)s / ((double)d * per_cluster) : 0;
        if (!d)
            r->layer[l].margin = SECTOR_RS_PARITY;
    }
    return 0;
}

/* One step's checks. A filesystem that no longer mounts loses every file; its layers
 * are still scanned through a sector handle of their own. Returns 0 or a negative
 * errno of the medium (the run cannot go on). */
static int step_check(struct medium *m, const struct lt_dataset *ds, const uint64_t *lcns,
                      size_t nlcns, uint8_t *buf, struct lt_step_result *r)
{
    memset(r, 0, sizeof *r);
    struct pfs_mount_options mo;
    pfs_mount_options_default(&mo);
    mo.read_only = true;
    mo.sector.read_only = true;
    struct pfs *fs = NULL;
    int rc = pfs_mount(m, &mo, &fs);
    if (rc < 0 && rc != -ENOMEM) {
        r->mount_error = rc;
        r->files_lost = ds->files;
        r->bytes_lost = ds->bytes;
        r->xattr_mismatch = ds->files;
        struct sector_dev *dev = NULL;
        for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++)
            r->layer[l].margin = -1;
        if (sector_open(m, &mo.sector, &dev) < 0)
            return 0; /* the defect management areas are lost too: nothing to scan */
        r->scanned = true;
        rc = scan_layers(m, dev, lcns, nlcns, buf, r);
        (void)sector_close(dev);
        return rc;
    }
    if (rc < 0)
        return rc;
    r->mounted = true;
    r->scanned = true;
    rc = scan_layers(m, pfs_sector(fs), lcns, nlcns, buf, r);
    for (size_t i = 0; rc == 0 && i < ds->n; i++)
        if (!ds->e[i].dir)
            verify_file(fs, &ds->e[i], buf, r);
    int urc = pfs_unmount(fs);
    return rc < 0 ? rc : urc;
}

/* ---- one disc ----------------------------------------------------------------------- */

struct lt_run {
    const struct medium_profile *profile; /* new discs; NULL with image */
    const char *image;
    struct lt_dataset ds;
    struct lt_step *steps;
    size_t nsteps;
    const char *manifest_path;
    struct tool_progress progress;
    uint64_t done;
};

static int write_manifest(const struct lt_run *run)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp", run->manifest_path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        tool_error(run->manifest_path, "cannot write the manifest: %s", strerror(errno));
        return PHASECTL_EXIT_USAGE;
    }
    for (size_t i = 0; i < run->ds.n; i++) {
        char hex[2 * PFS_FIXITY_BYTES + 1];
        if (run->ds.e[i].dir)
            continue;
        digest_hex(run->ds.e[i].digest, hex);
        fprintf(f, "%s  %s\n", hex, run->ds.e[i].rel);
    }
    if (fclose(f) != 0 || rename(tmp, run->manifest_path) < 0) {
        tool_error(run->manifest_path, "cannot write the manifest: %s", strerror(errno));
        unlink(tmp);
        return PHASECTL_EXIT_USAGE;
    }
    return PHASECTL_EXIT_OK;
}

/* The data set's clusters on m (files' data, as pfs_check's owner list names them). */
static int data_clusters(struct medium *m, uint64_t **out, size_t *n)
{
    struct pfs_check_options co;
    pfs_check_options_default(&co);
    co.owners = true;
    co.sector.read_only = true;
    struct pfs_check_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = pfs_check(m, &co, &rep);
    *n = 0;
    *out = rc == 0 ? malloc((rep.nowners ? rep.nowners : 1) * sizeof **out) : NULL;
    if (rc == 0 && !*out)
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < rep.nowners; i++)
        if (rep.owners[i].kind == PFS_OWNER_DATA)
            (*out)[(*n)++] = rep.owners[i].lcn;
    pfs_check_report_free(&rep);
    return rc;
}

/* Format, write the data set, then age and check step by step. Returns an exit code
 * (one line printed on failure). */
static int run_disc(struct lt_run *run, struct lt_disc *disc, uint8_t *buf)
{
    char tmp[PATH_MAX] = "";
    struct medium *m = NULL;
    uint64_t *lcns = NULL;
    size_t nlcns = 0;
    int rc, ex = PHASECTL_EXIT_MEDIUM;
    const char *name = run->image;
    if (run->image) {
        if ((ex = phasectl_open(run->image, 0, &m)) != 0)
            return ex;
        disc->seed = medium_profile_get(m)->seed;
        ex = PHASECTL_EXIT_MEDIUM;
    } else {
        const char *dir = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/phasectl-lifetest-XXXXXX", dir && *dir ? dir : "/tmp");
        int fd = mkstemp(tmp);
        if (fd < 0) {
            tool_error(tmp, "cannot create a temporary image: %s", strerror(errno));
            return PHASECTL_EXIT_MEDIUM;
        }
        close(fd);
        name = tmp;
        struct medium_profile p = *run->profile;
        p.seed = disc->seed;
        struct medium_create_options co = {.io = NULL, .overwrite = true};
        if ((rc = medium_create(tmp, &p, &co, &m)) < 0) {
            tool_error(tmp, "cannot create the disc's image: %s", tool_strerror(rc));
            unlink(tmp);
            return PHASECTL_EXIT_MEDIUM;
        }
    }
    struct pfs_mkfs_options mk;
    pfs_mkfs_options_default(&mk);
    mk.sector.force_format = true;
    snprintf(mk.label, sizeof mk.label, "lifetest-%llu", (unsigned long long)disc->index);
    struct pfs_mount_options mo;
    pfs_mount_options_default(&mo);
    struct pfs *fs = NULL;
    if ((rc = pfs_mkfs(m, &mk, NULL)) < 0 || (rc = pfs_mount(m, &mo, &fs)) < 0) {
        if (rc == -ENOSPC || rc == -EINVAL) {
            tool_error(name, "the disc is too small for a filesystem, let alone the data set "
                       "(%llu bytes); give a larger --size", (unsigned long long)run->ds.bytes);
            ex = PHASECTL_EXIT_FULL;
        } else {
            tool_error(name, "cannot format the disc: %s", tool_strerror(rc));
        }
        goto out;
    }
    struct statvfs sv;
    if ((rc = pfs_statfs(fs, &sv)) < 0) {
        tool_error(name, "cannot read the free space: %s", tool_strerror(rc));
        goto out;
    }
    uint64_t free_bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
    if (run->ds.bytes > free_bytes) {
        tool_error(name, "the data set (%llu bytes in %llu files) does not fit: the disc has "
                   "%llu bytes free; give a larger --size; nothing was written",
                   (unsigned long long)run->ds.bytes, (unsigned long long)run->ds.files,
                   (unsigned long long)free_bytes);
        ex = PHASECTL_EXIT_FULL;
        goto out;
    }
    size_t i = 0;
    for (; i < run->ds.n && (rc = write_entry(fs, &run->ds, i, buf)) == 0; i++)
        ;
    if (rc == 0)
        rc = pfs_sync(fs);
    if (rc == -ENOSPC) {
        tool_error(name, "the disc filled after %zu of %zu entries of the data set; give a "
                   "larger --size%s", i, run->ds.n,
                   run->image ? "; the image now holds a partial data set" : "");
        ex = PHASECTL_EXIT_FULL;
        goto out;
    }
    if (rc < 0) {
        if (rc != -EIO || !run->ds.dir)
            tool_error(name, "cannot write the data set: %s", tool_strerror(rc));
        goto out;
    }
    rc = pfs_unmount(fs);
    fs = NULL;
    if (rc < 0) {
        tool_error(name, "cannot write the data set: %s", tool_strerror(rc));
        goto out;
    }
    if (disc->index == 0 && run->manifest_path && (ex = write_manifest(run)) != 0)
        goto out;
    if ((rc = data_clusters(m, &lcns, &nlcns)) < 0) {
        tool_error(name, "cannot list the data set's clusters: %s", tool_strerror(rc));
        goto out;
    }
    double t = 0;
    for (size_t s = 0; s < run->nsteps; s++) {
        const struct lt_step *st = &run->steps[s];
        if (st->t_s > t && (rc = medium_age_rh(m, st->t_s - t, st->celsius, st->rh)) < 0) {
            tool_error(name, "cannot age the disc: %s", tool_strerror(rc));
            goto out;
        }
        t = st->t_s;
        if ((rc = step_check(m, &run->ds, lcns, nlcns, buf, &disc->steps[s])) < 0) {
            tool_error(name, "cannot read the disc at %.6g y: %s", t / LT_YEAR_S,
                       tool_strerror(rc));
            goto out;
        }
        tool_progress_update(&run->progress, ++run->done);
    }
    ex = PHASECTL_EXIT_OK;
out:
    free(lcns);
    if (fs)
        (void)pfs_unmount(fs);
    rc = medium_close(m);
    if (rc < 0 && ex == PHASECTL_EXIT_OK) {
        tool_error(name, "cannot finish the image: %s", tool_strerror(rc));
        ex = PHASECTL_EXIT_MEDIUM;
    }
    if (*tmp)
        unlink(tmp);
    return ex;
}

/* ---- the command -------------------------------------------------------------------- */

static int parse_shard(const char *text, uint64_t *k, uint64_t *n)
{
    char a[32], b[32], extra;
    if (sscanf(text, "%31[0-9]/%31[0-9]%c", a, b, &extra) != 2 || tool_parse_u64(a, k) < 0 ||
        tool_parse_u64(b, n) < 0 || *n == 0 || *k == 0 || *k > *n)
        return -EINVAL;
    return 0;
}

int phasectl_lifetest(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "merge"))
        return lt_merge_main(argc - 1, argv + 1);
    enum { O_IMAGE = 256, O_GEN, O_FILES, O_SCHED, O_CEL, O_RH, O_SFILE, O_DISCS, O_SEED,
           O_SHARD, O_JSON, O_CSV, O_MANIFEST };
    static const struct option longopts[] = {
        {"profile", required_argument, NULL, 'p'},
        {"size", required_argument, NULL, 's'},
        {"image", required_argument, NULL, O_IMAGE},
        {"generate", required_argument, NULL, O_GEN},
        {"files", required_argument, NULL, O_FILES},
        {"schedule", required_argument, NULL, O_SCHED},
        {"celsius", required_argument, NULL, O_CEL},
        {"rh", required_argument, NULL, O_RH},
        {"schedule-file", required_argument, NULL, O_SFILE},
        {"discs", required_argument, NULL, O_DISCS},
        {"seed", required_argument, NULL, O_SEED},
        {"shard", required_argument, NULL, O_SHARD},
        {"json", required_argument, NULL, O_JSON},
        {"csv", required_argument, NULL, O_CSV},
        {"manifest", required_argument, NULL, O_MANIFEST},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *spec = "bd-re-dl", *size_text = NULL, *gen_text = NULL, *files_text = NULL;
    const char *sched_text = NULL, *sfile = NULL, *json_path = NULL, *csv_path = NULL;
    const char *seed_text = NULL, *shard_text = NULL;
    double celsius = NAN, rh = NAN;
    uint64_t discs = 1;
    bool quiet = false;
    struct lt_run run;
    memset(&run, 0, sizeof run);
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "p:s:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': spec = optarg; break;
        case 's': size_text = optarg; break;
        case O_IMAGE: run.image = optarg; break;
        case O_GEN: gen_text = optarg; break;
        case O_FILES: files_text = optarg; break;
        case O_SCHED: sched_text = optarg; break;
        case O_SFILE: sfile = optarg; break;
        case O_SEED: seed_text = optarg; break;
        case O_SHARD: shard_text = optarg; break;
        case O_JSON: json_path = optarg; break;
        case O_CSV: csv_path = optarg; break;
        case O_MANIFEST: run.manifest_path = optarg; break;
        case 'q': quiet = true; break;
        case O_CEL:
            if (tool_parse_double(optarg, &celsius) < 0) {
                tool_error(optarg, "not a temperature in degrees Celsius");
                return PHASECTL_EXIT_USAGE;
            }
            break;
        case O_RH:
            if (tool_parse_double(optarg, &rh) < 0 || rh < 0 || rh > 100) {
                tool_error(optarg, "the humidity must be a relative humidity from 0 to 100 %%");
                return PHASECTL_EXIT_USAGE;
            }
            break;
        case O_DISCS:
            if (tool_parse_u64(optarg, &discs) < 0 || discs == 0 || discs > 1000000) {
                tool_error(optarg, "the number of discs must be from 1 to 1000000");
                return PHASECTL_EXIT_USAGE;
            }
            break;
        case 'h': usage(stdout); return PHASECTL_EXIT_OK;
        default: usage(stderr); return PHASECTL_EXIT_USAGE;
        }
    }
    const char *dir = optind < argc ? argv[optind] : NULL;
    if (optind + (dir != NULL) != argc || (dir != NULL) == (gen_text != NULL) ||
        (gen_text != NULL) != (files_text != NULL) || (sched_text && sfile) ||
        (sfile && (!isnan(celsius) || !isnan(rh)))) {
        tool_error(NULL, "give a data set directory or --generate SIZE --files N, and "
                   "--schedule (with --celsius, --rh) or --schedule-file; see --help");
        return PHASECTL_EXIT_USAGE;
    }
    if (run.image && (discs != 1 || size_text || seed_text || shard_text)) {
        tool_error(run.image, "--image runs one disc, the image's own; it takes no --discs, "
                   "--size, --seed or --shard");
        return PHASECTL_EXIT_USAGE;
    }
    struct lt_campaign camp;
    memset(&camp, 0, sizeof camp);
    if (shard_text && parse_shard(shard_text, &camp.shard_k, &camp.shard_n) < 0) {
        tool_error(shard_text, "not a shard; write K/N with 1 <= K <= N, e.g. 3/8");
        return PHASECTL_EXIT_USAGE;
    }

    /* the profile of new discs, or the given image's: conditions default to it */
    struct medium_profile p;
    struct medium_parse_error perr;
    memset(&perr, 0, sizeof perr);
    int rc, ex = PHASECTL_EXIT_USAGE;
    if (run.image) {
        struct medium *m = NULL;
        if ((ex = phasectl_open(run.image, 1, &m)) != 0)
            return ex;
        p = *medium_profile_get(m);
        medium_close(m);
        ex = PHASECTL_EXIT_USAGE;
    } else {
        if (tool_profile_prepare(spec, size_text, seed_text, &p) < 0)
            return PHASECTL_EXIT_USAGE;
        run.profile = &p;
    }
    if (isnan(celsius))
        celsius = p.temperature_c;
    if (isnan(rh))
        rh = p.humidity_pct;
    rc = sfile ? parse_schedule_file(sfile, &run.steps, &run.nsteps)
               : parse_schedule(sched_text ? sched_text : "0,1,2,5,10y", celsius, rh,
                                &run.steps, &run.nsteps);
    if (rc < 0)
        return PHASECTL_EXIT_USAGE;
    if (schedule_check(run.steps, run.nsteps) < 0)
        goto out;

    if (gen_text) {
        uint64_t bytes, files;
        if (tool_parse_size(gen_text, &bytes) < 0) {
            tool_error(gen_text, "not a size; write e.g. 4M or 1G");
            goto out;
        }
        if (tool_parse_u64(files_text, &files) < 0 || files > 10000000) {
            tool_error(files_text, "the number of files must be from 1 to 10000000");
            goto out;
        }
        if (files == 0 || bytes == 0) {
            tool_error("--generate", "the data set is empty; give a size and a number of "
                       "files above 0");
            goto out;
        }
        if ((rc = ds_generate(&run.ds, bytes, files, p.seed)) < 0)
            goto out;
    } else {
        run.ds.dir = dir;
        if (ds_walk(&run.ds, dir, "", -1) < 0)
            goto out;
        if (run.ds.files == 0) {
            tool_error(dir, "the data set is empty: no regular file in the directory");
            goto out;
        }
    }

    snprintf(camp.profile, sizeof camp.profile, "%s", p.name);
    camp.capacity_per_layer = p.capacity_per_layer;
    camp.seed = p.seed;
    camp.discs_total = discs;
    snprintf(camp.data_source, sizeof camp.data_source, "%s",
             gen_text ? "generated" : "directory");
    snprintf(camp.data_path, sizeof camp.data_path, "%s", dir ? dir : "");
    camp.files = run.ds.files;
    camp.bytes = run.ds.bytes;
    camp.steps = run.steps;
    camp.nsteps = run.nsteps;
    for (uint64_t d = 0; d < discs; d++)
        camp.ndiscs += !camp.shard_n || d % camp.shard_n == camp.shard_k - 1;
    camp.discs = calloc(camp.ndiscs ? camp.ndiscs : 1, sizeof *camp.discs);
    uint8_t *buf = malloc(LT_IO_BYTES);
    ex = PHASECTL_EXIT_MEDIUM;
    if (!camp.discs || !buf) {
        tool_error(NULL, "out of memory");
        free(buf);
        goto out;
    }
    tool_progress_start(&run.progress, "lifetest", camp.ndiscs * camp.nsteps,
                        isatty(STDERR_FILENO) != 0);
    size_t k = 0;
    ex = PHASECTL_EXIT_OK;
    for (uint64_t d = 0; d < discs && ex == PHASECTL_EXIT_OK; d++) {
        if (camp.shard_n && d % camp.shard_n != camp.shard_k - 1)
            continue;
        struct lt_disc *disc = &camp.discs[k++];
        disc->index = d;
        disc->seed = p.seed + d;
        if (!(disc->steps = calloc(camp.nsteps, sizeof *disc->steps))) {
            tool_error(NULL, "out of memory");
            ex = PHASECTL_EXIT_MEDIUM;
            break;
        }
        ex = run_disc(&run, disc, buf);
    }
    free(buf);
    tool_progress_finish(&run.progress);
    if (ex != PHASECTL_EXIT_OK)
        goto out; /* said in one line; reports are written only for a finished run */
    ex = lt_reports_write(&camp, json_path, csv_path, quiet);
out:
    free(run.steps);
    camp.steps = NULL; /* the run's, freed above */
    ds_free(&run.ds);
    lt_campaign_free(&camp);
    return ex;
}
