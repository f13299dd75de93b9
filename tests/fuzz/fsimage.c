/*
 * fsimage.c — the base filesystem of the metadata fuzz targets (fuzz_mount,
 * fuzz_check) and the patches an input makes to it.
 *
 * The base image is small (2 MiB per layer) and built once per process in memory: mkfs,
 * a tree with an inline file, a file with data clusters, a symlink, a FIFO, an xattr; a
 * checkpoint (unmount); then more changes committed to the log and left there as a
 * crash leaves them, so a mount replays them. Its metadata clusters — the 8 anchor
 * slots and both copies of every checkpoint and log cluster — are found with pfs_check
 * and their decoded user data kept, so a run patches bytes the filesystem parses
 * instead of bytes the ECC refuses.
 *
 * Input format (little-endian):
 *   u8 flags                        option bits for the target (fuzz_check: repair)
 *   then up to MAX_PATCHES patches:
 *     u8 target                     metadata cluster (modulo their number)
 *     u8 how                        bit 0: the other copy of the pair gets the same
 *                                   bytes; bit 1: raw (no CRC sealed afterwards)
 *     u16 offset, u16 len           where in the cluster's 64 KiB of user data
 *     len bytes                     replacing the bytes there (fewer if input ends)
 * Sealing recomputes the CRC of an anchor or a cluster header (format.c layouts) so
 * that mutated fields reach the decoders. The seeds (fsimage_write_seeds) are the
 * identity patch of every metadata cluster: its whole header and records, unchanged.
 */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "pfs.h"
#include "sector.h"
#include "sector_priv.h"
#include "util.h"

#define MAX_TARGETS 64
#define MAX_PATCHES 4
#define CLUSTER SECTOR_CLUSTER_USER_BYTES
#define SEED_MAX 8192u

/* format.c layouts: where each structure keeps its CRC and what it covers */
#define ANCHOR_CRC 252u
#define CHDR_BYTES 64u
#define CHDR_LEN 56u
#define CHDR_CRC 60u

struct target {
    uint64_t lcn;
    struct sector_address addr; /* where the base image records it */
    int twin;        /* index of the other copy, -1 if none */
    uint8_t *user;   /* decoded user data in the base image */
    size_t used;     /* bytes of it that hold the structure */
};

/* libpfs test hook (fs_priv.h "test hooks"): free fs as a crash leaves it */
void pfs_test_abandon(struct pfs *fs);

static struct target targets[MAX_TARGETS];
static int ntargets;
static struct sector_codec *codec;
static struct sector_scratch *scratch;
static const struct pfs_ctx root = {0, 0, 0, NULL, 0};

/* libpfs draws the filesystem UUID (and its name-hash key) from libsodium's random
 * source; a seeded stream in its place, restarted for every run, makes the base image
 * and each run the same in every process, so a saved input replays and a seed's UUID
 * is the base image's own. */
static uint64_t rng_state;

static void rng_restart(void)
{
    rng_state = 0x5eed0f70a5ef5ULL;
}

static uint32_t rng_random(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static void rng_buf(void *const buf, const size_t size)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < size; i++)
        p[i] = (uint8_t)rng_random();
}

static const char *rng_name(void)
{
    return "phasefs-fuzz-seeded";
}

static randombytes_implementation seeded = {
    .implementation_name = rng_name,
    .random = rng_random,
    .buf = rng_buf,
};

static void die(const char *what, int rc)
{
    fprintf(stderr, "fsimage: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
    exit(1);
}

static void must(int rc, const char *what)
{
    if (rc < 0)
        die(what, rc);
}

static void put_file(struct pfs *fs, uint64_t parent, const char *name, size_t size)
{
    struct pfs_attr a;
    uint64_t fh;
    must(pfs_create(fs, &root, parent, name, 0644, O_RDWR, &a, &fh), name);
    uint8_t *buf = malloc(size);
    if (!buf)
        die(name, -ENOMEM);
    for (size_t i = 0; i < size; i++)
        buf[i] = (uint8_t)(i * 131u + size);
    ssize_t n = pfs_write(fs, a.ino, fh, buf, size, 0);
    if (n != (ssize_t)size)
        die(name, n < 0 ? (int)n : -EIO);
    free(buf);
    must(pfs_release(fs, a.ino, fh), name);
}

static uint64_t put_dir(struct pfs *fs, uint64_t parent, const char *name)
{
    struct pfs_attr a;
    must(pfs_mkdir(fs, &root, parent, name, 0755, &a), name);
    return a.ino;
}

static struct pfs *mount_base(struct medium *m)
{
    struct pfs_mount_options o;
    struct pfs *fs;
    pfs_mount_options_default(&o);
    must(pfs_mount(m, &o, &fs), "mount the base image");
    return fs;
}

static void build(void)
{
    struct medium_profile p;
    struct medium *m;
    struct medium_create_options co = {.io = memimage_io(), .overwrite = true};
    struct pfs_mkfs_options mo;
    struct pfs_attr a;

    must(medium_profile_preset("bd-re-dl", &p), "preset");
    p.capacity_per_layer = 2u << 20;
    p.seed = 13;
    must(medium_create(MEMIMAGE_PATH, &p, &co, &m), "create the base image");
    pfs_mkfs_options_default(&mo);
    snprintf(mo.label, sizeof mo.label, "fuzz");
    must(pfs_mkfs(m, &mo, NULL), "mkfs");

    struct pfs *fs = mount_base(m);
    uint64_t d = put_dir(fs, PFS_ROOT_INO, "d");
    put_dir(fs, d, "sub");
    put_file(fs, d, "small", 100);
    put_file(fs, PFS_ROOT_INO, "big", 70000);
    must(pfs_symlink(fs, &root, "d/small", PFS_ROOT_INO, "link", &a), "symlink");
    must(pfs_mknod(fs, &root, d, "fifo", S_IFIFO | 0600, 0, &a), "fifo");
    must(pfs_lookup(fs, &root, d, "small", &a), "lookup");
    must(pfs_setxattr(fs, &root, a.ino, "user.note", "kept", 4, 0), "setxattr");
    must(pfs_unmount(fs), "unmount (checkpoint)");

    fs = mount_base(m);
    put_file(fs, d, "new", 1000);
    put_dir(fs, PFS_ROOT_INO, "later");
    must(pfs_rename(fs, &root, PFS_ROOT_INO, "big", d, "big2", 0), "rename");
    must(pfs_unlink(fs, &root, PFS_ROOT_INO, "link"), "unlink");
    must(pfs_sync(fs), "sync (a commit in the log)");
    put_file(fs, PFS_ROOT_INO, "last", 5000);
    must(pfs_sync(fs), "sync (a second commit)");
    /* a crash: the commits stay in the log for the next mount to replay */
    pfs_test_abandon(fs);
    must(medium_close(m), "close the base image");
}

static void add_target(struct sector_dev *dev, uint64_t lcn, int twin)
{
    if (ntargets == MAX_TARGETS)
        return;
    struct target *t = &targets[ntargets];
    t->lcn = lcn;
    t->twin = twin;
    t->user = malloc(CLUSTER);
    if (!t->user)
        die("target", -ENOMEM);
    must(sector_read(dev, lcn, t->user, NULL), "read a metadata cluster");
    must(sector_locate(dev, lcn, &t->addr), "locate a metadata cluster");
    if (!memcmp(t->user, "PHASEFSA", 8)) {
        t->used = ANCHOR_CRC + 4;
    } else {
        uint32_t len = util_le32_get(t->user + CHDR_LEN);
        t->used = CHDR_BYTES + (len < CLUSTER - CHDR_BYTES ? len : 0);
    }
    ntargets++;
}

static void find_targets(void)
{
    struct medium *m;
    struct medium_open_options oo = {.io = memimage_io(), .read_only = true};
    struct pfs_check_options co;
    struct pfs_check_report rep;
    struct sector_options so;
    struct sector_dev *dev;

    must(medium_open(MEMIMAGE_PATH, &oo, &m), "open the base image");
    pfs_check_options_default(&co);
    co.sector.read_only = true;
    int rc = pfs_check(m, &co, &rep);
    if (rc == 0 && rep.count != 0)
        rc = -EUCLEAN; /* the base must be clean, or every run starts from a problem */
    must(rc, "check the base image");
    sector_options_default(&so);
    so.read_only = true;
    must(sector_open(m, &so, &dev), "sector layer of the base image");
    for (unsigned i = 0; i < 8; i++)
        add_target(dev, rep.anchor_lcn[i], -1);
    for (size_t i = 0; i < rep.nmeta; i++) {
        int a = ntargets;
        add_target(dev, rep.meta[i].lcn_a, -1);
        if (rep.meta[i].lcn_b != rep.meta[i].lcn_a && ntargets == a + 1) {
            add_target(dev, rep.meta[i].lcn_b, a);
            if (ntargets == a + 2)
                targets[a].twin = a + 1;
        }
    }
    pfs_check_report_free(&rep);
    must(sector_close(dev), "close the sector layer");
    must(medium_close(m), "close the base image");
}

static void init(void)
{
    if (ntargets)
        return;
    if (randombytes_set_implementation(&seeded) != 0 || sodium_init() < 0)
        die("libsodium", -EINVAL);
    rng_restart();
    build();
    memimage_snapshot();
    find_targets();
    must(sector_codec_create(&codec), "codec");
    must(sector_scratch_create(&scratch), "codec scratch");
}

/* Recompute the CRC of the structure at the start of a cluster, if it is one. */
static void seal(uint8_t *u)
{
    if (!memcmp(u, "PHASEFSA", 8)) {
        util_le32_put(u + ANCHOR_CRC, util_crc32(0, u, ANCHOR_CRC));
    } else if (!memcmp(u, "PFSC", 4) || !memcmp(u, "PFSL", 4)) {
        uint32_t len = util_le32_get(u + CHDR_LEN);
        if (len > CLUSTER - CHDR_BYTES)
            return;
        uint32_t crc = util_crc32(0, u, CHDR_CRC);
        util_le32_put(u + CHDR_CRC, util_crc32(crc, u + CHDR_BYTES, len));
    }
}

/* Record user data as the target's cluster: the encode and write of sector_write
 * (sector.c record), without opening the sector layer (four DMA reads and writes)
 * for every run. The base image has no replaced cluster, so the address is fixed. */
static int put(struct medium *m, const struct target *t, const uint8_t *user)
{
    static uint8_t recorded[MEDIUM_CLUSTER_BYTES];
    int rc = sector_cluster_encode(codec, &t->addr, user, NULL, recorded, scratch);
    if (rc == 0)
        rc = medium_cluster_write(m, t->addr.layer, t->addr.physical_cluster, recorded, NULL);
    return rc;
}

struct medium *fsimage_patched(const uint8_t *data, size_t size, unsigned *flags)
{
    struct medium_open_options oo = {.io = memimage_io()};
    struct medium *m;
    static uint8_t buf[CLUSTER];

    *flags = size ? data[0] : 0;
    memimage_restore();
    rng_restart();
    if (medium_open(MEMIMAGE_PATH, &oo, &m) < 0)
        abort();
    size_t at = 1;
    for (int k = 0; k < MAX_PATCHES && at + 6 <= size; k++) {
        const struct target *t = &targets[data[at] % ntargets];
        unsigned how = data[at + 1];
        size_t off = util_le16_get(data + at + 2);
        size_t len = util_le16_get(data + at + 4);
        at += 6;
        if (len > size - at)
            len = size - at;
        if (len > CLUSTER - off)
            len = CLUSTER - off;
        memcpy(buf, t->user, CLUSTER);
        memcpy(buf + off, data + at, len);
        at += len;
        if (!(how & 2))
            seal(buf);
        int rc = put(m, t, buf);
        if (rc == 0 && (how & 1) && t->twin >= 0)
            rc = put(m, &targets[t->twin], buf);
        if (rc < 0)
            break; /* the medium refused; the filesystem sees what got written */
    }
    return m;
}

int fsimage_write_seeds(const char *dir)
{
    static uint8_t seed[7 + SEED_MAX];
    init();
    int n = 0;
    for (int t = 0; t < ntargets; t++) {
        if (targets[t].twin >= 0 && targets[t].twin < t)
            continue; /* the pair's first copy stands for both */
        char name[32];
        snprintf(name, sizeof name, "seed-%02d", t);
        size_t len = targets[t].used < SEED_MAX ? targets[t].used : SEED_MAX;
        /* no flags; patch target t, both copies, at offset 0, len bytes */
        const uint8_t hdr[7] = {0, (uint8_t)t, 1, 0, 0, (uint8_t)len, (uint8_t)(len >> 8)};
        memcpy(seed, hdr, sizeof hdr);
        memcpy(seed + sizeof hdr, targets[t].user, len);
        if (fuzz_write_file(dir, name, seed, sizeof hdr + len) < 0)
            return -1;
        n++;
    }
    return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = fuzz_seed_dir(*argc, *argv);
    if (!dir) {
        init();
        return 0;
    }
    int n = fsimage_write_seeds(dir);
    if (n < 0) {
        perror(dir);
        exit(1);
    }
    printf("%d seeds written to %s\n", n, dir);
    exit(0);
}
