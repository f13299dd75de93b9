/*
 * mkimage.c — builds a medium image for the fsck golden tests from a recipe, so no image
 * is committed (STYLE.md "Tests": fsck golden cases). It uses libmedium and libsector
 * directly (no filesystem): user data is seeded pseudo-random bytes written through
 * sector_write to ranges of logical clusters.
 *
 * Filesystem steps (f_ and j_ cases) go through libpfs: mkfs, then mkdir/file/sync/
 * crash/unmount (the filesystem is mounted on the first of them), and damage steps that
 * rewrite one metadata structure with a byte changed, so its CRC fails: the chain in
 * force is located with pfs_check (read-only).
 *
 * Usage: mkimage RECIPE IMAGE
 * Recipe: one directive per line, '#' starts a comment. Header (before any step):
 *   seed N                  medium seed (and of the user data)
 *   size SIZE               user capacity per layer, e.g. 8M
 *   profile NAME            preset to start from (bd-re-dl)
 *   set SECTION KEY VALUE   a profile key, as in phasefs-profile(5)
 * Steps, in order:
 *   verify on|off                        verify-after-write of later writes (on)
 *   write-all-clusters                   every logical cluster once
 *   write clusters A-B                   logical clusters A..B once
 *   overwrite N times clusters A-B       logical clusters A..B, N more times each
 *   age DURATION TEMP [RH]               e.g. "age 30y 60C" (units y d h s; C), or
 *                                        "age 6y 30C 80%" (default: the profile's RH)
 *   scratch R0:R1 A0:A1 WIDTH_UM [near|far|both]
 *   dust R A DIAMETER_UM
 *   defects COUNT LENGTH_BYTES [near|far|both]
 *   mkfs                                 format a phasefs filesystem (libpfs)
 *   mkdir PATH | file PATH SIZE          create (file content: seeded bytes)
 *   sync | unmount                       commit; commit, checkpoint and unmount
 *   crash                                commit, then stop as a crash would (the log
 *                                        stays, no checkpoint)
 *   damage anchor SLOT                   rewrite anchor slot 0-7 with a byte changed
 *   damage forge-anchor SLOT             its anchor given a foreign UUID and a higher
 *                                        generation, with a valid CRC
 *   damage log-no-end N                  N valid log clusters after the log in force,
 *                                        none flagged END (one overlong commit)
 *   damage checkpoint|log N a|b|both     the same for copy a/b of the Nth cluster of the
 *                                        checkpoint / log in force
 *   damage data PATH                     a byte of the file's first data cluster
 *   damage destroy-data PATH             its physical cluster recorded with noise
 *                                        (uncorrectable)
 *   damage dma COPY                      defect management copy 0-3 (L0 inner, L0
 *                                        outer, L1 inner, L1 outer) recorded with noise
 *   damage unlink PATH                   append a commit that removes PATH's entry only
 *                                        (its inode stays, an orphan)
 *   damage share A B                     ... that gives B's first cluster A's LCN
 *   damage beyond-eof PATH               ... that adds an extent far beyond PATH's end
 *   damage bad-record PATH               ... that puts PATH's first cluster beyond the
 *                                        medium (the record does not apply)
 *   damage extent-on-anchor PATH         ... that puts it on anchor slot 0's cluster
 *   damage free PATH                     ... that frees PATH's inode (its entry stays)
 *   damage record-type TYPE              ... that holds one record of TYPE (8-byte body)
 *   damage second-name DIR NEW           ... that adds an entry NEW naming directory DIR
 *   damage cycle DIR SUB                 ... that removes DIR's entry and names DIR from
 *                                        SUB, a directory under it (a cycle)
 * Exit 0, or 1 with one line on stderr naming the recipe line.
 */
#include "medium.h"
#include "pfs.h"
#include "sector.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct state {
    const char *recipe;
    unsigned line;
    uint64_t seed;
    uint64_t size;
    char preset[64];
    char extra[4096]; /* profile text from "set" lines */
    size_t extra_len;
    struct medium *m;
    struct sector_dev *dev;
    bool verify;
    uint64_t pass; /* changes the data of every write */
    struct pfs *fs; /* mounted by the first filesystem step */
};

/* libpfs test hooks (fs_priv.h, "test hooks"): a crash, and where a file's data lies. */
void pfs_test_abandon(struct pfs *fs);
uint64_t pfs_test_file_lcn(struct pfs *fs, uint64_t ino, uint64_t idx);

static void fail(const struct state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(const struct state *s, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "mkimage: %s:%u: ", s->recipe, s->line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int parse_size(const char *t, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(t, &end, 10);
    uint64_t mult = 1;
    if (*end == 'K' || *end == 'k')
        mult = 1024, end++;
    else if (*end == 'M' || *end == 'm')
        mult = 1024 * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        mult = 1024ULL * 1024 * 1024, end++;
    if (end == t || *end)
        return -EINVAL;
    *out = v * mult;
    return 0;
}

static unsigned parse_layers(struct state *s, const char *t)
{
    if (!t || !strcmp(t, "both"))
        return 3;
    if (!strcmp(t, "far"))
        return 1u << MEDIUM_LAYER_FAR;
    if (!strcmp(t, "near"))
        return 1u << MEDIUM_LAYER_NEAR;
    fail(s, "layers must be near, far or both, not '%s'", t);
    return 0;
}

static void create(struct state *s, const char *image)
{
    struct medium_profile p;
    struct medium_parse_error err;
    char text[8192];
    memset(&err, 0, sizeof err);
    snprintf(text, sizeof text, "[medium]\nbase = %s\n%s", s->preset, s->extra);
    if (medium_profile_parse(text, strlen(text), s->recipe, &p, &err) < 0)
        fail(s, "profile: %s: %s", err.key, err.message);
    p.seed = s->seed;
    if (s->size)
        p.capacity_per_layer = s->size;
    if (medium_profile_validate(&p, &err) < 0)
        fail(s, "profile: %s: %s", err.key, err.message);
    struct medium_create_options co = {.io = NULL, .overwrite = true};
    int rc = medium_create(image, &p, &co, &s->m);
    if (rc < 0)
        fail(s, "cannot create %s: %s", image, strerror(-rc));
    struct sector_options so;
    sector_options_default(&so);
    so.force_format = true;
    rc = sector_format(s->m, &so);
    if (rc < 0)
        fail(s, "cannot format: %s", strerror(-rc));
}

static void open_dev(struct state *s)
{
    if (s->dev)
        return;
    struct sector_options so;
    sector_options_default(&so);
    so.verify_after_write = s->verify;
    int rc = sector_open(s->m, &so, &s->dev);
    if (rc < 0)
        fail(s, "cannot open the sector layer: %s", strerror(-rc));
}

static void close_dev(struct state *s)
{
    if (!s->dev)
        return;
    int rc = sector_close(s->dev);
    s->dev = NULL;
    if (rc < 0)
        fail(s, "cannot close the sector layer: %s", strerror(-rc));
}

static void write_range(struct state *s, uint64_t a, uint64_t b, uint64_t times)
{
    static uint8_t user[SECTOR_CLUSTER_USER_BYTES];
    open_dev(s);
    uint64_t n = sector_logical_clusters(s->dev);
    if (a > b || b >= n)
        fail(s, "clusters %llu-%llu outside 0-%llu", (unsigned long long)a,
             (unsigned long long)b, (unsigned long long)(n ? n - 1 : 0));
    for (uint64_t t = 0; t < times; t++) {
        s->pass++;
        for (uint64_t lcn = a; lcn <= b; lcn++) {
            uint64_t x = s->seed * 0x100000001b3ULL ^ lcn << 20 ^ s->pass;
            for (size_t i = 0; i < sizeof user; i += 8) {
                uint64_t v = splitmix(&x);
                memcpy(user + i, &v, 8);
            }
            int rc = sector_write(s->dev, lcn, user, NULL);
            if (rc < 0 && rc != -ENOSPC)
                fail(s, "writing LCN %llu: %s", (unsigned long long)lcn, strerror(-rc));
        }
    }
}

static void range(struct state *s, const char *t, uint64_t *a, uint64_t *b)
{
    unsigned long long x, y;
    if (!t || sscanf(t, "%llu-%llu", &x, &y) != 2)
        fail(s, "expected a range A-B, got '%s'", t ? t : "");
    *a = x;
    *b = y;
}

static double duration_s(struct state *s, const char *t)
{
    char *end;
    double v = t ? strtod(t, &end) : 0;
    if (!t || end == t)
        fail(s, "expected a duration such as 30y");
    switch (*end) {
    case 'y': return v * 31557600.0;
    case 'd': return v * 86400.0;
    case 'h': return v * 3600.0;
    case 's': return v;
    default: fail(s, "unknown time unit in '%s' (use y, d, h or s)", t);
    }
    return 0;
}

static const struct pfs_ctx root_ctx = {0, 0, 0, NULL, 0};

static void fs_mount(struct state *s)
{
    if (s->fs)
        return;
    close_dev(s);
    struct pfs_mount_options mo;
    pfs_mount_options_default(&mo);
    int rc = pfs_mount(s->m, &mo, &s->fs);
    if (rc < 0)
        fail(s, "cannot mount: %s", strerror(-rc));
}

static void fs_unmount(struct state *s)
{
    if (!s->fs)
        return;
    int rc = pfs_unmount(s->fs);
    s->fs = NULL;
    if (rc < 0)
        fail(s, "unmount: %s", strerror(-rc));
}

/* The inode of the parent of path and the last name in *name. */
static uint64_t fs_parent(struct state *s, const char *path, const char **name)
{
    static char buf[1024];
    uint64_t dir = PFS_ROOT_INO;
    snprintf(buf, sizeof buf, "%s", path);
    char *p = buf;
    while (*p == '/')
        p++;
    for (;;) {
        char *slash = strchr(p, '/');
        if (!slash)
            break;
        *slash = '\0';
        struct pfs_attr a;
        int rc = pfs_lookup(s->fs, &root_ctx, dir, p, &a);
        if (rc < 0)
            fail(s, "%s: %s", p, strerror(-rc));
        dir = a.ino;
        p = slash + 1;
    }
    *name = p;
    return dir;
}

static void fs_file(struct state *s, const char *path, uint64_t size)
{
    static uint8_t chunk[65536];
    const char *name;
    fs_mount(s);
    uint64_t dir = fs_parent(s, path, &name);
    struct pfs_attr a;
    uint64_t fh;
    int rc = pfs_create(s->fs, &root_ctx, dir, name, 0644, O_WRONLY | O_EXCL, &a, &fh);
    if (rc < 0)
        fail(s, "create %s: %s", path, strerror(-rc));
    uint64_t x = s->seed ^ size ^ (uint64_t)strlen(path) << 40;
    for (uint64_t off = 0; off < size;) {
        size_t n = size - off < sizeof chunk ? (size_t)(size - off) : sizeof chunk;
        for (size_t i = 0; i < n; i += 8) {
            uint64_t v = splitmix(&x);
            memcpy(chunk + i, &v, n - i < 8 ? n - i : 8);
        }
        ssize_t w = pfs_write(s->fs, a.ino, fh, chunk, n, off);
        if (w < 0)
            fail(s, "write %s: %s", path, strerror((int)-w));
        off += (uint64_t)w;
    }
    rc = pfs_release(s->fs, a.ino, fh);
    if (rc < 0)
        fail(s, "close %s: %s", path, strerror(-rc));
}

/* Rewrite logical cluster lcn with the byte at off changed. */
static void flip(struct state *s, uint64_t lcn, size_t off)
{
    static uint8_t user[SECTOR_CLUSTER_USER_BYTES];
    open_dev(s);
    int rc = sector_read(s->dev, lcn, user, NULL);
    if (rc < 0)
        fail(s, "reading LCN %llu: %s", (unsigned long long)lcn, strerror(-rc));
    user[off] ^= 0x5a;
    rc = sector_write(s->dev, lcn, user, NULL);
    if (rc < 0)
        fail(s, "writing LCN %llu: %s", (unsigned long long)lcn, strerror(-rc));
}

/* Write log cluster seq at the pair (a, b), naming (next_a, next_b), with plen bytes of
 * records (format.c invariants 3, 5, 6; the header is encoded here byte by byte, as
 * format.c lays it out). */
static void log_cluster(struct state *s, const struct pfs_check_report *r, uint64_t seq,
                        uint64_t a, uint64_t b, uint64_t next_a, uint64_t next_b, bool end,
                        const uint8_t *rec, uint32_t plen)
{
    static uint8_t cl[SECTOR_CLUSTER_USER_BYTES];
    memset(cl, 0, sizeof cl);
    if (plen)
        memcpy(cl + 64, rec, plen);
    memcpy(cl, "PFSL", 4);
    util_le16_put(cl + 4, 1);  /* format version */
    util_le16_put(cl + 6, end ? 1 : 0);
    memcpy(cl + 8, r->uuid, 16);
    util_le64_put(cl + 24, r->generation);
    util_le64_put(cl + 32, seq);
    util_le64_put(cl + 40, next_a);
    util_le64_put(cl + 48, next_b);
    util_le32_put(cl + 56, plen);
    uint32_t crc = util_crc32(0, cl, 60);
    util_le32_put(cl + 60, util_crc32(crc, cl + 64, plen));
    open_dev(s);
    int rc = sector_write(s->dev, a, cl, NULL);
    if (rc == 0 && b != a)
        rc = sector_write(s->dev, b, cl, NULL);
    if (rc < 0)
        fail(s, "writing the log: %s", strerror(-rc));
}

/* Append one commit of records rec[0..len) to the log in force; the next pair is the
 * last cluster of each layer, free on a small young filesystem. */
static void append_commit(struct state *s, const struct pfs_check_report *r,
                          const uint8_t *rec, uint32_t plen)
{
    open_dev(s);
    uint64_t total = sector_logical_clusters(s->dev);
    log_cluster(s, r, r->log_head_seq, r->log_head_a, r->log_head_b, total / 2 - 1,
                total - 1, true, rec, plen);
}

/* damage log-no-end N: N valid log clusters after the log in force, none flagged END
 * (one commit longer than any phasefs writes), on the top N clusters of each layer,
 * each with a full payload (of zeros: never applied), so a reader that buffered the
 * whole run would hold N x 64 KiB. */
static void log_no_end(struct state *s, const struct pfs_check_report *r, const char *word)
{
    static const uint8_t zeros[SECTOR_CLUSTER_USER_BYTES - 64];
    char *end;
    unsigned long n = strtoul(word, &end, 10);
    open_dev(s);
    uint64_t per_layer = sector_logical_clusters(s->dev) / 2;
    if (end == word || *end || n == 0 || n + 16 > per_layer)
        fail(s, "damage log-no-end N: N is 1-%llu, not '%s'",
             (unsigned long long)(per_layer - 16), word);
    uint64_t a = r->log_head_a, b = r->log_head_b;
    for (unsigned long i = 0; i < n; i++) {
        uint64_t na = per_layer - 1 - i, nb = 2 * per_layer - 1 - i;
        log_cluster(s, r, r->log_head_seq + i, a, b, na, nb, false, zeros, sizeof zeros);
        a = na;
        b = nb;
    }
}

/* damage forge-anchor SLOT: the anchor in SLOT given another filesystem's UUID and a
 * generation 10 above its own, with a valid CRC (format.c anchor layout: uuid at 16,
 * generation at 32, CRC at 252 over [0, 252)). */
static void forge_anchor(struct state *s, uint64_t lcn)
{
    static uint8_t cl[SECTOR_CLUSTER_USER_BYTES];
    open_dev(s);
    int rc = sector_read(s->dev, lcn, cl, NULL);
    if (rc < 0)
        fail(s, "reading LCN %llu: %s", (unsigned long long)lcn, strerror(-rc));
    for (int i = 16; i < 32; i++)
        cl[i] ^= 0xa5;
    util_le64_put(cl + 32, util_le64_get(cl + 32) + 10);
    util_le32_put(cl + 252, util_crc32(0, cl, 252));
    rc = sector_write(s->dev, lcn, cl, NULL);
    if (rc < 0)
        fail(s, "writing LCN %llu: %s", (unsigned long long)lcn, strerror(-rc));
}

static uint64_t fs_ino(struct state *s, const char *path, uint64_t *lcn0)
{
    const char *name;
    struct pfs_attr a;
    fs_mount(s);
    uint64_t dir = fs_parent(s, path, &name);
    int rc = pfs_lookup(s->fs, &root_ctx, dir, name, &a);
    if (rc < 0)
        fail(s, "%s: %s", path, strerror(-rc));
    if (lcn0)
        *lcn0 = pfs_test_file_lcn(s->fs, a.ino, 0);
    return a.ino;
}

/* Records as format.c lays them out: type, reserved, body length, body. */
static uint32_t rec_head(uint8_t *rec, uint16_t type, uint32_t blen)
{
    util_le16_put(rec, type);
    util_le16_put(rec + 2, 0);
    util_le32_put(rec + 4, blen);
    return 8 + blen;
}

static uint32_t rec_extent(uint8_t *rec, uint64_t ino, uint64_t idx, uint64_t lcn)
{
    util_le64_put(rec + 8, ino);
    util_le64_put(rec + 16, idx);
    util_le64_put(rec + 24, lcn);
    return rec_head(rec, 5 /* FS_REC_EXTENT */, 24);
}

/* DIRENT_ADD (ino != 0) or DIRENT_DEL (ino == 0) of name in directory dir */
static uint32_t rec_dirent(struct state *s, uint8_t *rec, uint64_t dir, const char *name,
                           uint64_t ino)
{
    size_t nl = strlen(name);
    if (nl > 255)
        fail(s, "name too long");
    uint8_t *p = rec + 8;
    util_le64_put(p, dir);
    p += 8;
    if (ino) {
        util_le64_put(p, ino);
        p += 8;
    }
    util_le16_put(p, (uint16_t)nl);
    memcpy(p + 2, name, nl);
    return rec_head(rec, ino ? 3 : 4, (uint32_t)(p + 2 + nl - (rec + 8)));
}

/* Crafted commits (appended to the log in force; the image stays unmounted):
 * damage unlink PATH: remove PATH's entry only (its inode stays, an orphan).
 * damage share A B: B's first cluster made A's (a cluster referenced twice).
 * damage beyond-eof PATH: an extent at file cluster 1000 of PATH, a free cluster.
 * damage bad-record PATH: an extent of PATH on a cluster beyond the medium (the record
 *   does not apply).
 * damage extent-on-anchor PATH: PATH's file cluster 0 on anchor slot 0's cluster.
 * damage free PATH: free PATH's (file) inode; its entry stays, naming nothing.
 * damage record-type TYPE: one record of TYPE with an 8-byte body (a checkpoint's
 *   CKPT_END is 10: a record no log commit may hold).
 * damage second-name DIR NEW: an entry NEW naming directory DIR as well.
 * damage cycle DIR SUB: DIR's entry removed and SUB (a directory under DIR) given an
 *   entry naming DIR: the two form a cycle no path from the root reaches. */
static void inject(struct state *s, const struct pfs_check_report *r, char **w, int n)
{
    uint8_t rec[1024];
    uint32_t len = 0;
    const char *name;
    uint64_t dir;
    if (!strcmp(w[1], "unlink") && n == 3) {
        fs_mount(s);
        dir = fs_parent(s, w[2], &name);
        len = rec_dirent(s, rec, dir, name, 0);
    } else if (!strcmp(w[1], "share") && n == 4) {
        uint64_t lcn_a;
        (void)fs_ino(s, w[2], &lcn_a);
        if (lcn_a == UINT64_MAX)
            fail(s, "%s has no data cluster", w[2]);
        len = rec_extent(rec, fs_ino(s, w[3], NULL), 0, lcn_a);
    } else if (!strcmp(w[1], "beyond-eof") && n == 3) {
        uint64_t ino = fs_ino(s, w[2], NULL);
        open_dev(s);
        uint64_t lcn = sector_logical_clusters(s->dev) / 2 - 2; /* free when young */
        close_dev(s);
        len = rec_extent(rec, ino, 1000, lcn);
    } else if (!strcmp(w[1], "bad-record") && n == 3) {
        uint64_t ino = fs_ino(s, w[2], NULL);
        open_dev(s);
        uint64_t lcn = sector_logical_clusters(s->dev) + 7;
        close_dev(s);
        len = rec_extent(rec, ino, 0, lcn);
    } else if (!strcmp(w[1], "extent-on-anchor") && n == 3) {
        len = rec_extent(rec, fs_ino(s, w[2], NULL), 0, r->anchor_lcn[0]);
    } else if (!strcmp(w[1], "record-type") && n == 3) {
        char *end;
        unsigned long type = strtoul(w[2], &end, 10);
        if (end == w[2] || *end || type > 0xffff)
            fail(s, "damage record-type TYPE: TYPE is 0-65535, not '%s'", w[2]);
        util_le64_put(rec + 8, 1); /* a body as CKPT_END's: a count */
        len = rec_head(rec, (uint16_t)type, 8);
    } else if (!strcmp(w[1], "free") && n == 3) {
        util_le64_put(rec + 8, fs_ino(s, w[2], NULL));
        len = rec_head(rec, 2 /* FS_REC_FREE */, 8);
    } else if (!strcmp(w[1], "second-name") && n == 4) {
        uint64_t ino = fs_ino(s, w[2], NULL);
        dir = fs_parent(s, w[3], &name);
        len = rec_dirent(s, rec, dir, name, ino);
    } else if (!strcmp(w[1], "cycle") && n == 4) {
        uint64_t ino = fs_ino(s, w[2], NULL);
        uint64_t sub = fs_ino(s, w[3], NULL);
        dir = fs_parent(s, w[2], &name);
        len = rec_dirent(s, rec, dir, name, 0);
        len += rec_dirent(s, rec + len, sub, name, ino);
    } else {
        fail(s, "damage unlink PATH | share A B | beyond-eof PATH | bad-record PATH | "
                "extent-on-anchor PATH | free PATH | second-name DIR NEW | cycle DIR SUB | "
                "record-type TYPE");
    }
    fs_unmount(s);
    close_dev(s);
    append_commit(s, r, rec, len);
}

/* damage dma COPY: every physical cluster of the copy recorded with noise, as
 * tests/unit/test_sector.c loses copies (sector_locate does not reach them). */
static void destroy_dma(struct state *s, const char *word)
{
    static uint8_t raw[MEDIUM_CLUSTER_BYTES];
    char *end;
    unsigned long c = strtoul(word, &end, 10);
    if (end == word || *end || c > 3)
        fail(s, "damage dma COPY: COPY is 0-3, not '%s'", word);
    fs_unmount(s);
    open_dev(s);
    struct sector_stats st;
    int rc = sector_stats_get(s->dev, &st);
    close_dev(s);
    if (rc < 0)
        fail(s, "sector statistics: %s", strerror(-rc));
    unsigned layer = (unsigned)c / 2;
    uint64_t first = c % 2 ? st.layer_clusters - st.dma_clusters : 0;
    uint64_t x = s->seed ^ 0xd3a0u ^ c;
    for (uint32_t j = 0; rc == 0 && j < st.dma_clusters; j++) {
        for (size_t i = 0; i < sizeof raw; i += 8) {
            uint64_t v = splitmix(&x);
            memcpy(raw + i, &v, sizeof raw - i < 8 ? sizeof raw - i : 8);
        }
        rc = medium_cluster_write(s->m, layer, first + j, raw, NULL);
    }
    if (rc < 0)
        fail(s, "destroying DMA copy %lu: %s", c, strerror(-rc));
}

static void damage(struct state *s, char **w, int n)
{
    if (!strcmp(w[1], "dma") && n == 3) {
        destroy_dma(s, w[2]);
        return;
    }
    if (!strcmp(w[1], "destroy-data") && n == 3) {
        /* the physical cluster under the file's first LCN recorded with noise: it no
         * longer decodes (uncorrectable) */
        static uint8_t raw[MEDIUM_CLUSTER_BYTES];
        uint64_t lcn;
        (void)fs_ino(s, w[2], &lcn);
        fs_unmount(s);
        if (lcn == UINT64_MAX)
            fail(s, "%s has no data cluster (inline or a hole)", w[2]);
        struct sector_address ad;
        open_dev(s);
        int rc = sector_locate(s->dev, lcn, &ad);
        close_dev(s);
        uint64_t x = s->seed ^ lcn;
        for (size_t i = 0; i < sizeof raw; i += 8) {
            uint64_t v = splitmix(&x);
            memcpy(raw + i, &v, sizeof raw - i < 8 ? sizeof raw - i : 8);
        }
        if (rc == 0)
            rc = medium_cluster_write(s->m, ad.layer, ad.physical_cluster, raw, NULL);
        if (rc < 0)
            fail(s, "destroying LCN %llu: %s", (unsigned long long)lcn, strerror(-rc));
        return;
    }
    if (!strcmp(w[1], "data") && n == 3) {
        const char *name;
        fs_mount(s);
        struct pfs_attr a;
        uint64_t dir = fs_parent(s, w[2], &name);
        int rc = pfs_lookup(s->fs, &root_ctx, dir, name, &a);
        if (rc < 0)
            fail(s, "%s: %s", w[2], strerror(-rc));
        uint64_t lcn = pfs_test_file_lcn(s->fs, a.ino, 0);
        fs_unmount(s);
        if (lcn == UINT64_MAX)
            fail(s, "%s has no data cluster (inline or a hole)", w[2]);
        flip(s, lcn, 0);
        return;
    }
    fs_unmount(s);
    close_dev(s);
    struct pfs_check_options co;
    struct pfs_check_report r;
    pfs_check_options_default(&co);
    int rc = pfs_check(s->m, &co, &r);
    if (rc < 0)
        fail(s, "locating the metadata: %s", strerror(-rc));
    unsigned long idx = n >= 3 ? strtoul(w[2], NULL, 10) : 0;
    static const char *const crafted[] = {"unlink", "share", "beyond-eof", "bad-record",
                                          "extent-on-anchor", "free", "second-name",
                                          "cycle", "record-type"};
    bool commit = false;
    for (size_t i = 0; i < sizeof crafted / sizeof *crafted; i++)
        commit |= !strcmp(w[1], crafted[i]);
    if (commit) {
        inject(s, &r, w, n);
    } else if (!strcmp(w[1], "anchor") && n == 3 && idx < 8) {
        flip(s, r.anchor_lcn[idx], 20);
    } else if (!strcmp(w[1], "forge-anchor") && n == 3 && idx < 8) {
        forge_anchor(s, r.anchor_lcn[idx]);
    } else if (!strcmp(w[1], "log-no-end") && n == 3) {
        log_no_end(s, &r, w[2]);
    } else if ((!strcmp(w[1], "checkpoint") || !strcmp(w[1], "log")) && n == 4) {
        uint32_t kind = w[1][0] == 'c' ? 1 : 2;
        const struct pfs_check_meta *m = NULL;
        unsigned long k = 0;
        for (size_t i = 0; i < r.nmeta && !m; i++)
            if (r.meta[i].kind == kind && k++ == idx)
                m = &r.meta[i];
        if (!m)
            fail(s, "the %s in force has no cluster %lu", w[1], idx);
        if (strcmp(w[3], "b"))
            flip(s, m->lcn_a, 20);
        if (strcmp(w[3], "a") && m->lcn_b != m->lcn_a)
            flip(s, m->lcn_b, 20);
    } else {
        pfs_check_report_free(&r);
        fail(s, "damage anchor SLOT | forge-anchor SLOT | log-no-end N | checkpoint|log N "
                "a|b|both | data PATH");
    }
    pfs_check_report_free(&r);
    close_dev(s);
}

static void step(struct state *s, char **w, int n)
{
    int rc = 0;
    if (!strcmp(w[0], "verify") && n == 2) {
        close_dev(s);
        s->verify = !strcmp(w[1], "on");
    } else if (!strcmp(w[0], "write-all-clusters") && n == 1) {
        open_dev(s);
        uint64_t total = sector_logical_clusters(s->dev);
        write_range(s, 0, total - 1, 1);
    } else if (!strcmp(w[0], "write") && n == 3 && !strcmp(w[1], "clusters")) {
        uint64_t a, b;
        range(s, w[2], &a, &b);
        write_range(s, a, b, 1);
    } else if (!strcmp(w[0], "overwrite") && n == 5 && !strcmp(w[2], "times") &&
               !strcmp(w[3], "clusters")) {
        uint64_t a, b;
        range(s, w[4], &a, &b);
        write_range(s, a, b, strtoull(w[1], NULL, 10));
    } else if (!strcmp(w[0], "age") && (n == 3 || n == 4)) {
        close_dev(s);
        if (n == 4)
            rc = medium_age_rh(s->m, duration_s(s, w[1]), strtod(w[2], NULL),
                               strtod(w[3], NULL));
        else
            rc = medium_age(s->m, duration_s(s, w[1]), strtod(w[2], NULL));
    } else if (!strcmp(w[0], "scratch") && (n == 4 || n == 5)) {
        close_dev(s);
        struct medium_scratch sc;
        if (sscanf(w[1], "%lf:%lf", &sc.r0_mm, &sc.r1_mm) != 2 ||
            sscanf(w[2], "%lf:%lf", &sc.angle0_deg, &sc.angle1_deg) != 2)
            fail(s, "scratch R0:R1 A0:A1 WIDTH_UM [layers]");
        sc.width_um = strtod(w[3], NULL);
        sc.layer_mask = parse_layers(s, n == 5 ? w[4] : NULL);
        rc = medium_inject_scratch(s->m, &sc);
    } else if (!strcmp(w[0], "dust") && n == 4) {
        close_dev(s);
        struct medium_dust d = {strtod(w[1], NULL), strtod(w[2], NULL), strtod(w[3], NULL)};
        rc = medium_inject_dust(s->m, &d);
    } else if (!strcmp(w[0], "defects") && (n == 3 || n == 4)) {
        close_dev(s);
        struct medium_defects d = {(uint32_t)strtoul(w[1], NULL, 10),
                                   (uint32_t)strtoul(w[2], NULL, 10),
                                   parse_layers(s, n == 4 ? w[3] : NULL)};
        rc = medium_inject_defects(s->m, &d);
    } else if (!strcmp(w[0], "mkfs") && n == 1) {
        fs_unmount(s);
        close_dev(s);
        struct pfs_mkfs_options mo;
        pfs_mkfs_options_default(&mo);
        rc = pfs_mkfs(s->m, &mo, &root_ctx);
    } else if (!strcmp(w[0], "mkdir") && n == 2) {
        const char *name;
        struct pfs_attr a;
        fs_mount(s);
        uint64_t dir = fs_parent(s, w[1], &name);
        rc = pfs_mkdir(s->fs, &root_ctx, dir, name, 0755, &a);
    } else if (!strcmp(w[0], "file") && n == 3) {
        uint64_t size;
        if (parse_size(w[2], &size) < 0)
            fail(s, "bad size '%s'", w[2]);
        fs_file(s, w[1], size);
    } else if (!strcmp(w[0], "sync") && n == 1) {
        fs_mount(s);
        rc = pfs_sync(s->fs);
    } else if (!strcmp(w[0], "unmount") && n == 1) {
        fs_unmount(s);
    } else if (!strcmp(w[0], "crash") && n == 1) {
        fs_mount(s);
        rc = pfs_sync(s->fs);
        pfs_test_abandon(s->fs);
        s->fs = NULL;
    } else if (!strcmp(w[0], "damage") && n >= 3) {
        damage(s, w, n);
    } else {
        fail(s, "unknown step '%s' (or wrong number of words)", w[0]);
    }
    if (rc < 0)
        fail(s, "%s: %s", w[0], strerror(-rc));
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "Usage: mkimage RECIPE IMAGE\n");
        return 1;
    }
    struct state s;
    memset(&s, 0, sizeof s);
    s.recipe = argv[1];
    s.seed = 1;
    s.verify = true;
    strcpy(s.preset, "bd-re-dl");
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        fprintf(stderr, "mkimage: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    char buf[512];
    while (fgets(buf, sizeof buf, f)) {
        s.line++;
        char *hash = strchr(buf, '#');
        if (hash)
            *hash = '\0';
        char *w[8];
        int n = 0;
        for (char *tok = strtok(buf, " \t\r\n"); tok && n < 8; tok = strtok(NULL, " \t\r\n"))
            w[n++] = tok;
        if (n == 0)
            continue;
        if (!s.m && !strcmp(w[0], "seed") && n == 2) {
            s.seed = strtoull(w[1], NULL, 0);
        } else if (!s.m && !strcmp(w[0], "size") && n == 2) {
            if (parse_size(w[1], &s.size) < 0)
                fail(&s, "bad size '%s'", w[1]);
        } else if (!s.m && !strcmp(w[0], "profile") && n == 2) {
            snprintf(s.preset, sizeof s.preset, "%s", w[1]);
        } else if (!s.m && !strcmp(w[0], "set") && n == 4) {
            int k = snprintf(s.extra + s.extra_len, sizeof s.extra - s.extra_len,
                             "[%s]\n%s = %s\n", w[1], w[2], w[3]);
            if (k < 0 || (size_t)k >= sizeof s.extra - s.extra_len)
                fail(&s, "too many profile keys");
            s.extra_len += (size_t)k;
        } else {
            if (!s.m)
                create(&s, argv[2]);
            step(&s, w, n);
        }
    }
    fclose(f);
    if (!s.m)
        create(&s, argv[2]);
    fs_unmount(&s);
    close_dev(&s);
    int rc = medium_close(s.m);
    if (rc < 0) {
        fprintf(stderr, "mkimage: %s: cannot close: %s\n", argv[2], strerror(-rc));
        return 1;
    }
    return 0;
}
