/*
 * sector.c — the sector handle: one logical address space of 64 KiB clusters over both
 * layers of a medium (L0 user area inner -> outer, then L1 outer -> inner: physics.md
 * §3.6), cluster reads with retries (the medium draws fresh noise on every read),
 * writes with verify-after-write and linear replacement by the next free spare of the
 * layer, the four DMA copies (read, repaired and rewritten here; their format is
 * defect.c's), and the statistics counters (their meaning is stats.c's).
 *
 * It does not encode clusters itself (cluster_codec.c) nor interpret the physics: a
 * cluster is good when it decodes with enough margin, whatever the medium did to it.
 *
 * Invariants of the handle:
 * (1) A logical cluster is recorded at its home in the user area unless the defect
 *     list has a REPLACED entry for the home; then at that entry's spare.
 * (2) The defect list on the medium is never older than a mapping a write has used:
 *     a replacement is entered in memory and all four DMA copies are rewritten
 *     (generation + 1) before the write that caused it returns.
 * (3) A spare is taken (spares_used + 1) before it is written, so a spare is never
 *     written twice for two clusters, even when a write fails half-way.
 * (4) Lock order: a pool slot, then defect_lock, then stats_lock; never the reverse.
 */
#include "sector_priv.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_READ_RETRIES 1000u
#define MAX_SLOTS 256u

/* Working memory of one read or write call, or of a DMA rewrite. */
struct slot {
    struct sector_scratch *scratch;
    uint8_t *recorded; /* MEDIUM_CLUSTER_BYTES */
    uint8_t *user;     /* SECTOR_CLUSTER_USER_BYTES, verify read-back */
};

struct sector_dev {
    /* Immutable after sector_open: read without a lock. */
    struct medium *m;               /* thread-safe itself; owned by the caller */
    struct sector_codec *codec;     /* immutable tables */
    struct sector_layout layout;
    struct sector_options opt;
    unsigned dma_valid_at_open;

    /* defect_lock (rwlock): readers look the list up; writers change it and rewrite
     * the DMA copies. Guards: state (generation, spares_used, dfl), dma_buf,
     * read_only (set at open, then read under the lock or after open). */
    pthread_rwlock_t defect_lock;
    struct sector_dma state;        /* state.counters unused: see counters */
    uint8_t *dma_buf;               /* K x 64 KiB payload */
    bool read_only;

    /* stats_lock (mutex) guards counters, stats_dirty, syncs_since_save. */
    pthread_mutex_t stats_lock;
    struct sector_counters counters;
    bool stats_dirty;               /* changed since the DMA copies were written */
    uint32_t syncs_since_save;

    /* pool_lock (mutex) + pool_cond guard free[] and free_count; a slot taken is the
     * caller's alone until put back. */
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_cond;
    struct slot *slots;
    struct slot **free;
    unsigned nslots, free_count;
    bool locks_ready;
};

void sector_options_default(struct sector_options *opt)
{
    if (!opt)
        return;
    memset(opt, 0, sizeof *opt);
    opt->read_retries = 4;
    opt->verify_after_write = true;
    opt->min_margin = 8;
    opt->max_spare_attempts = 4;
    opt->scratch_slots = 4;
    opt->stats_sync_interval = 16;
    opt->read_only = false;
    opt->force_format = false;
}

static int options_check(const struct sector_options *o)
{
    if (o->read_retries > MAX_READ_RETRIES || o->min_margin < 0 ||
        o->min_margin > (int32_t)SECTOR_RS_PARITY || o->max_spare_attempts == 0 ||
        o->scratch_slots == 0 || o->scratch_slots > MAX_SLOTS)
        return -EINVAL;
    return 0;
}

/* ---- the pool --------------------------------------------------------------------- */

static struct slot *slot_get(struct sector_dev *dev)
{
    pthread_mutex_lock(&dev->pool_lock);
    while (dev->free_count == 0)
        pthread_cond_wait(&dev->pool_cond, &dev->pool_lock);
    struct slot *s = dev->free[--dev->free_count];
    pthread_mutex_unlock(&dev->pool_lock);
    return s;
}

static void slot_put(struct sector_dev *dev, struct slot *s)
{
    pthread_mutex_lock(&dev->pool_lock);
    dev->free[dev->free_count++] = s;
    pthread_cond_signal(&dev->pool_cond);
    pthread_mutex_unlock(&dev->pool_lock);
}

/* ---- create / free ---------------------------------------------------------------- */

static void dev_free(struct sector_dev *dev)
{
    if (!dev)
        return;
    for (unsigned i = 0; dev->slots && i < dev->nslots; i++) {
        sector_scratch_destroy(dev->slots[i].scratch);
        free(dev->slots[i].recorded);
        free(dev->slots[i].user);
    }
    free(dev->slots);
    free(dev->free);
    free(dev->state.dfl.e);
    free(dev->dma_buf);
    sector_codec_destroy(dev->codec);
    if (dev->locks_ready) {
        pthread_rwlock_destroy(&dev->defect_lock);
        pthread_mutex_destroy(&dev->stats_lock);
        pthread_mutex_destroy(&dev->pool_lock);
        pthread_cond_destroy(&dev->pool_cond);
    }
    free(dev);
}

static int dev_alloc(struct medium *m, const struct sector_options *opt, struct sector_dev **out)
{
    struct sector_dev *dev = NULL;
    int rc;

    *out = NULL;
    dev = calloc(1, sizeof *dev);
    if (!dev)
        return -ENOMEM;
    dev->m = m;
    if (opt)
        dev->opt = *opt;
    else
        sector_options_default(&dev->opt);
    rc = options_check(&dev->opt);
    if (rc < 0)
        goto out;
    dev->read_only = dev->opt.read_only;
    rc = sector_layout_compute(medium_profile_get(m), medium_layer_clusters(m), &dev->layout);
    if (rc < 0)
        goto out;
    if (pthread_rwlock_init(&dev->defect_lock, NULL) != 0) {
        rc = -ENOMEM;
        goto out;
    }
    pthread_mutex_init(&dev->stats_lock, NULL);
    pthread_mutex_init(&dev->pool_lock, NULL);
    pthread_cond_init(&dev->pool_cond, NULL);
    dev->locks_ready = true;

    rc = sector_codec_create(&dev->codec);
    if (rc < 0)
        goto out;
    uint64_t spares = dev->layout.isa + dev->layout.osa;
    dev->state.dfl.cap = (uint32_t)(2 * spares);
    dev->state.dfl.e = calloc(dev->state.dfl.cap, sizeof *dev->state.dfl.e);
    dev->dma_buf = malloc((size_t)dev->layout.dma_clusters * SECTOR_CLUSTER_USER_BYTES);
    dev->nslots = dev->opt.scratch_slots;
    dev->slots = calloc(dev->nslots, sizeof *dev->slots);
    dev->free = calloc(dev->nslots, sizeof *dev->free);
    if (!dev->state.dfl.e || !dev->dma_buf || !dev->slots || !dev->free) {
        rc = -ENOMEM;
        goto out;
    }
    for (unsigned i = 0; i < dev->nslots; i++) {
        struct slot *s = &dev->slots[i];
        rc = sector_scratch_create(&s->scratch);
        if (rc < 0)
            goto out;
        s->recorded = malloc(MEDIUM_CLUSTER_BYTES);
        s->user = malloc(SECTOR_CLUSTER_USER_BYTES);
        if (!s->recorded || !s->user) {
            rc = -ENOMEM;
            goto out;
        }
        dev->free[dev->free_count++] = s;
    }
    dev->state.layer_clusters = dev->layout.layer_clusters;
    dev->state.dma_clusters = dev->layout.dma_clusters;
    dev->state.isa = dev->layout.isa;
    dev->state.osa = dev->layout.osa;
    *out = dev;
    dev = NULL;
    rc = 0;
out:
    dev_free(dev);
    return rc;
}

/* ---- statistics ------------------------------------------------------------------- */

static void stats_add(struct sector_dev *dev, unsigned layer, uint64_t phys,
                      const struct sector_zone_stats *acc)
{
    unsigned z = sector_zone_of(dev->layout.layer_clusters, phys);
    pthread_mutex_lock(&dev->stats_lock);
    sector_zone_merge(&dev->counters.zone[layer][z], acc);
    dev->stats_dirty = true;
    pthread_mutex_unlock(&dev->stats_lock);
}

/* ---- DMA copies ------------------------------------------------------------------- */

/* Write all four copies with generation + 1 and the current counters. Caller holds a
 * slot and defect_lock for writing. Every copy is attempted; returns the first error. */
static int dma_write_all(struct sector_dev *dev, struct slot *s)
{
    const struct sector_layout *l = &dev->layout;
    size_t cap = (size_t)l->dma_clusters * SECTOR_CLUSTER_USER_BYTES;
    int first = 0;

    if (dev->read_only)
        return -EROFS;
    dev->state.generation++;
    pthread_mutex_lock(&dev->stats_lock);
    for (unsigned ly = 0; ly < MEDIUM_LAYER_COUNT; ly++)
        dev->counters.dma_writes[ly] += SECTOR_DMA_COPIES / MEDIUM_LAYER_COUNT;
    dev->state.counters = dev->counters;
    dev->stats_dirty = false;
    dev->syncs_since_save = 0;
    pthread_mutex_unlock(&dev->stats_lock);

    for (unsigned c = 0; c < SECTOR_DMA_COPIES; c++) {
        dev->state.copy = c;
        int rc = sector_dma_encode(&dev->state, dev->dma_buf, cap);
        for (uint32_t j = 0; rc == 0 && j < l->dma_clusters; j++) {
            struct sector_address a = {c / 2, sector_layout_dma_physical(l, c, j),
                                       SECTOR_DMA_LOGICAL};
            rc = sector_cluster_encode(dev->codec, &a,
                                       dev->dma_buf + (size_t)j * SECTOR_CLUSTER_USER_BYTES,
                                       NULL, s->recorded, s->scratch);
            if (rc == 0)
                rc = medium_cluster_write(dev->m, a.layer, a.physical_cluster, s->recorded,
                                          NULL);
        }
        if (rc < 0 && first == 0)
            first = rc;
    }
    return first;
}

/* Read cluster (layer, phys) expected at addr into user, with up to `retries` extra
 * reads. Returns 0, -EBADMSG (uncorrectable), a medium error, or 1 for a blank
 * cluster (user zeroed). *reads counts the medium reads; acc gets every decode. */
static int read_with_retries(struct sector_dev *dev, struct slot *s,
                             const struct sector_address *addr, uint32_t retries, uint8_t *user,
                             struct sector_decode_report *drep, uint32_t *reads,
                             struct sector_zone_stats *acc, int *medium_error)
{
    int rc = -EBADMSG;
    for (uint32_t attempt = 0; attempt <= retries; attempt++) {
        struct medium_read_report mrep;
        int mrc = medium_cluster_read(dev->m, addr->layer, addr->physical_cluster, s->recorded,
                                      &mrep);
        (*reads)++;
        if (mrc < 0) {
            *medium_error = mrc;
            memset(user, 0, SECTOR_CLUSTER_USER_BYTES);
            return mrc;
        }
        if (mrep.blank) {
            memset(user, 0, SECTOR_CLUSTER_USER_BYTES);
            memset(drep, 0, sizeof *drep);
            drep->margin = (int32_t)SECTOR_RS_PARITY;
            return 1;
        }
        rc = sector_cluster_decode(dev->codec, addr, s->recorded, user, NULL, drep, s->scratch);
        sector_zone_add_decode(acc, drep);
        if (rc != -EBADMSG)
            return rc;
    }
    return rc;
}

struct copy_read {
    int rc;           /* 0 valid, else why not */
    bool blank;       /* every cluster of the copy was never written */
    bool weak;        /* some cluster decoded below min_margin */
    uint64_t generation;
    uint8_t *buf;
};

static void dma_read_copy(struct sector_dev *dev, struct slot *s, unsigned c,
                          struct sector_dfl_entry *scratch_dfl, struct copy_read *cr)
{
    const struct sector_layout *l = &dev->layout;
    unsigned blanks = 0;
    cr->rc = 0;
    for (uint32_t j = 0; j < l->dma_clusters; j++) {
        struct sector_address a = {c / 2, sector_layout_dma_physical(l, c, j),
                                   SECTOR_DMA_LOGICAL};
        struct sector_decode_report drep;
        struct sector_zone_stats acc;
        uint32_t reads = 0;
        int merr = 0;
        memset(&acc, 0, sizeof acc);
        int rc = read_with_retries(dev, s, &a, dev->opt.read_retries,
                                   cr->buf + (size_t)j * SECTOR_CLUSTER_USER_BYTES, &drep,
                                   &reads, &acc, &merr);
        if (rc == 1) {
            blanks++;
            if (cr->rc == 0)
                cr->rc = -ENODATA;
        } else if (rc < 0) {
            if (cr->rc == 0 || cr->rc == -ENODATA)
                cr->rc = rc;
        } else if (drep.margin < dev->opt.min_margin || reads > 1) {
            cr->weak = true;
        }
    }
    cr->blank = blanks == l->dma_clusters;
    if (cr->rc < 0)
        return;
    struct sector_dma d;
    memset(&d, 0, sizeof d);
    d.dfl.e = scratch_dfl;
    d.dfl.cap = dev->state.dfl.cap;
    cr->rc = sector_dma_decode(cr->buf, (size_t)l->dma_clusters * SECTOR_CLUSTER_USER_BYTES, l,
                               &d);
    if (cr->rc == 0 && d.copy != c)
        cr->rc = -EUCLEAN; /* a copy recorded elsewhere than it says */
    cr->generation = d.generation;
}

/* ---- format / open / close / sync ------------------------------------------------- */

int sector_format(struct medium *m, const struct sector_options *opt)
{
    struct sector_dev *dev = NULL;
    int rc;

    if (!m)
        return -EINVAL;
    rc = dev_alloc(m, opt, &dev);
    if (rc < 0)
        return rc;
    if (dev->read_only) {
        rc = -EROFS;
        goto out;
    }
    if (!dev->opt.force_format) {
        for (unsigned c = 0; c < SECTOR_DMA_COPIES; c++) {
            for (uint32_t j = 0; j < dev->layout.dma_clusters; j++) {
                struct medium_cluster_info info;
                int irc = medium_cluster_info(m, c / 2,
                                              sector_layout_dma_physical(&dev->layout, c, j),
                                              &info);
                if (irc == -EUCLEAN || (irc == 0 && info.written)) {
                    rc = -EEXIST;
                    goto out;
                }
                if (irc < 0) {
                    rc = irc;
                    goto out;
                }
            }
        }
    }
    struct slot *s = slot_get(dev);
    pthread_rwlock_wrlock(&dev->defect_lock);
    dev->state.generation = 0; /* the first write makes it 1 */
    rc = dma_write_all(dev, s);
    pthread_rwlock_unlock(&dev->defect_lock);
    slot_put(dev, s);
out:
    dev_free(dev);
    return rc;
}

int sector_open(struct medium *m, const struct sector_options *opt, struct sector_dev **out)
{
    struct sector_dev *dev = NULL;
    struct copy_read cr[SECTOR_DMA_COPIES];
    struct sector_dfl_entry *scratch_dfl = NULL;
    int rc;

    memset(cr, 0, sizeof cr);
    if (!m || !out)
        return -EINVAL;
    *out = NULL;
    rc = dev_alloc(m, opt, &dev);
    if (rc < 0)
        return rc;
    size_t bytes = (size_t)dev->layout.dma_clusters * SECTOR_CLUSTER_USER_BYTES;
    scratch_dfl = calloc(dev->state.dfl.cap, sizeof *scratch_dfl);
    if (!scratch_dfl) {
        rc = -ENOMEM;
        goto out;
    }
    struct slot *s = slot_get(dev);
    unsigned blank = 0;
    int rcs[SECTOR_DMA_COPIES];
    uint64_t gens[SECTOR_DMA_COPIES];
    for (unsigned c = 0; c < SECTOR_DMA_COPIES; c++) {
        cr[c].buf = malloc(bytes);
        if (!cr[c].buf) {
            cr[c].rc = -ENOMEM;
        } else {
            dma_read_copy(dev, s, c, scratch_dfl, &cr[c]);
        }
        blank += cr[c].blank;
        rcs[c] = cr[c].rc;
        gens[c] = cr[c].generation;
    }
    int best = sector_dma_pick(rcs, gens, SECTOR_DMA_COPIES);
    if (best < 0) {
        slot_put(dev, s);
        rc = blank == SECTOR_DMA_COPIES ? -ENODATA : -EUCLEAN;
        for (unsigned c = 0; c < SECTOR_DMA_COPIES; c++)
            if (cr[c].rc == -ENOMEM || (cr[c].rc == -EIO && rc == -EUCLEAN))
                rc = cr[c].rc;
        if (rc == -EUCLEAN && dev->read_only && dev->opt.without_dma) {
            /* a surface scan of a disc that lost its defect list: every cluster is
             * read where the layout puts it (dma_valid_at_open stays 0) */
            *out = dev;
            dev = NULL;
            rc = 0;
        }
        goto out;
    }
    rc = sector_dma_decode(cr[best].buf, bytes, &dev->layout, &dev->state);
    if (rc < 0) { /* decoded once already: only -ENOMEM can differ */
        slot_put(dev, s);
        goto out;
    }
    dev->counters = dev->state.counters;
    bool repair = false;
    for (unsigned c = 0; c < SECTOR_DMA_COPIES; c++) {
        if (cr[c].rc == 0 && cr[c].generation == dev->state.generation)
            dev->dma_valid_at_open++;
        if (cr[c].rc != 0 || cr[c].generation != dev->state.generation || cr[c].weak)
            repair = true;
    }
    if (repair && !dev->read_only) {
        struct sector_counters saved = dev->counters;
        pthread_rwlock_wrlock(&dev->defect_lock);
        int wrc = dma_write_all(dev, s);
        if (wrc == -EROFS) {
            /* the medium is read-only: keep what was read, as it was read */
            dev->read_only = true;
            dev->state.generation--;
            dev->counters = saved;
            dev->stats_dirty = false;
        }
        pthread_rwlock_unlock(&dev->defect_lock);
        if (wrc < 0 && wrc != -EROFS) {
            rc = wrc;
            slot_put(dev, s);
            goto out;
        }
    }
    slot_put(dev, s);
    *out = dev;
    dev = NULL;
    rc = 0;
out:
    for (unsigned c = 0; c < SECTOR_DMA_COPIES; c++)
        free(cr[c].buf);
    free(scratch_dfl);
    dev_free(dev);
    return rc;
}

/* Save the counters into the DMA copies. Takes a slot and defect_lock. */
static int save_stats(struct sector_dev *dev)
{
    struct slot *s = slot_get(dev);
    pthread_rwlock_wrlock(&dev->defect_lock);
    int rc = dev->read_only ? 0 : dma_write_all(dev, s);
    pthread_rwlock_unlock(&dev->defect_lock);
    slot_put(dev, s);
    return rc;
}

int sector_close(struct sector_dev *dev)
{
    int rc = 0;
    if (!dev)
        return 0;
    pthread_mutex_lock(&dev->stats_lock);
    bool dirty = dev->stats_dirty;
    pthread_mutex_unlock(&dev->stats_lock);
    if (dirty && !dev->read_only)
        rc = save_stats(dev);
    dev_free(dev);
    return rc;
}

int sector_sync(struct sector_dev *dev)
{
    int rc = 0;
    if (!dev)
        return -EINVAL;
    pthread_mutex_lock(&dev->stats_lock);
    bool save = false;
    if (dev->stats_dirty && dev->opt.stats_sync_interval > 0)
        save = ++dev->syncs_since_save >= dev->opt.stats_sync_interval;
    pthread_mutex_unlock(&dev->stats_lock);
    if (save && !dev->read_only)
        rc = save_stats(dev);
    int src = medium_sync(dev->m);
    return rc < 0 ? rc : src;
}

uint64_t sector_logical_clusters(const struct sector_dev *dev)
{
    return dev ? 2 * dev->layout.user : 0;
}

/* Current physical cluster of lcn (invariant 1). Caller holds defect_lock. */
static uint64_t current_target(struct sector_dev *dev, unsigned layer, uint64_t home)
{
    const struct sector_dfl_entry *e = sector_dfl_find(&dev->state.dfl, layer, home);
    return e && e->type == SECTOR_DFL_REPLACED ? e->replacement : home;
}

int sector_locate(struct sector_dev *dev, uint64_t lcn, struct sector_address *out)
{
    unsigned layer;
    uint64_t home;
    if (!dev || !out)
        return -EINVAL;
    if (lcn >= 2 * dev->layout.user)
        return -ERANGE;
    sector_layout_map(&dev->layout, lcn, &layer, &home);
    pthread_rwlock_rdlock(&dev->defect_lock);
    out->physical_cluster = current_target(dev, layer, home);
    pthread_rwlock_unlock(&dev->defect_lock);
    out->layer = layer;
    out->logical_cluster = lcn;
    return 0;
}

int sector_cluster_wear(struct sector_dev *dev, uint64_t lcn, uint32_t *cycles)
{
    struct sector_address addr;
    struct medium_cluster_info info;
    if (!cycles)
        return -EINVAL;
    int rc = sector_locate(dev, lcn, &addr);
    if (rc < 0)
        return rc;
    rc = medium_cluster_info(dev->m, addr.layer, addr.physical_cluster, &info);
    if (rc < 0)
        return rc;
    *cycles = info.cycles;
    return 0;
}

int sector_stats_get(struct sector_dev *dev, struct sector_stats *out)
{
    if (!dev || !out)
        return -EINVAL;
    pthread_rwlock_rdlock(&dev->defect_lock);
    pthread_mutex_lock(&dev->stats_lock);
    sector_stats_build(&dev->counters, &dev->layout, &dev->state, out);
    pthread_mutex_unlock(&dev->stats_lock);
    pthread_rwlock_unlock(&dev->defect_lock);
    out->dma_copies_valid = dev->dma_valid_at_open;
    return 0;
}

/* ---- read ------------------------------------------------------------------------- */

int sector_read(struct sector_dev *dev, uint64_t lcn, uint8_t *user,
                struct sector_read_report *rep)
{
    struct sector_read_report local;
    struct sector_zone_stats acc;
    unsigned layer;
    uint64_t home;

    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    rep->margin = -1;
    if (!dev || !user)
        return -EINVAL;
    if (lcn >= 2 * dev->layout.user)
        return -ERANGE;
    sector_layout_map(&dev->layout, lcn, &layer, &home);
    pthread_rwlock_rdlock(&dev->defect_lock);
    uint64_t target = current_target(dev, layer, home);
    pthread_rwlock_unlock(&dev->defect_lock);
    rep->address = (struct sector_address){layer, target, lcn};
    rep->replaced = target != home;

    memset(&acc, 0, sizeof acc);
    struct slot *s = slot_get(dev);
    int rc = read_with_retries(dev, s, &rep->address, dev->opt.read_retries, user, &rep->decode,
                               &rep->reads, &acc, &rep->medium_error);
    slot_put(dev, s);
    rep->retries = rep->reads ? rep->reads - 1 : 0;
    if (rc == 1) {
        rep->blank = true;
        rep->margin = (int32_t)SECTOR_RS_PARITY;
        return 0;
    }
    if (rc == 0) {
        rep->margin = rep->decode.margin;
        acc.weak = rep->margin < dev->opt.min_margin;
    } else if (rc == -EBADMSG || rc == -EUCLEAN) {
        rep->uncorrectable = true;
        acc.uncorrectable = 1;
        rc = -EIO;
    } else if (rc != -EIO) {
        rep->medium_error = rep->medium_error ? rep->medium_error : rc;
        rc = -EIO;
    }
    acc.reads = 1;
    acc.retries = rep->retries;
    stats_add(dev, layer, target, &acc);
    return rc;
}

/* ---- write ------------------------------------------------------------------------ */

/* Record user at (layer, phys) for lcn and verify it. Returns 0, 1 when verify failed
 * (or was weak), or a negative errno from the medium. */
static int record(struct sector_dev *dev, struct slot *s, unsigned layer, uint64_t phys,
                  uint64_t lcn, const uint8_t *user, struct sector_write_report *rep)
{
    struct sector_address a = {layer, phys, lcn};
    struct sector_zone_stats acc;
    int rc = sector_cluster_encode(dev->codec, &a, user, NULL, s->recorded, s->scratch);
    if (rc < 0)
        return rc;
    memset(&acc, 0, sizeof acc);
    rc = medium_cluster_write(dev->m, layer, phys, s->recorded, &rep->medium);
    rep->writes++;
    if (rc < 0)
        return rc;
    acc.writes = 1;
    rep->margin = (int32_t)SECTOR_RS_PARITY;
    rep->verified = false;
    if (!dev->opt.verify_after_write) {
        stats_add(dev, layer, phys, &acc);
        return 0;
    }
    struct sector_decode_report drep;
    memset(&drep, 0, sizeof drep);
    drep.margin = -1;
    int mrc = medium_cluster_read(dev->m, layer, phys, s->recorded, NULL);
    acc.verifies = 1;
    if (mrc < 0 && mrc != -EUCLEAN) {
        stats_add(dev, layer, phys, &acc);
        return mrc;
    }
    int drc = -EBADMSG;
    if (mrc == 0) {
        drc = sector_cluster_decode(dev->codec, &a, s->recorded, s->user, NULL, &drep,
                                    s->scratch);
        sector_zone_add_decode(&acc, &drep);
    }
    rep->margin = drep.margin;
    bool ok = drc == 0 && drep.margin >= dev->opt.min_margin &&
              memcmp(s->user, user, SECTOR_CLUSTER_USER_BYTES) == 0;
    if (!ok) {
        acc.verify_failures = 1;
        rep->verify_failures++;
    }
    stats_add(dev, layer, phys, &acc);
    if (!ok)
        return 1;
    rep->verified = true;
    return 0;
}

/* Move lcn (home, now at target, which failed verify) to the next good spare of its
 * layer (invariants 2 and 3). Caller holds slot s; takes defect_lock. */
static int replace(struct sector_dev *dev, struct slot *s, unsigned layer, uint64_t home,
                   uint64_t lcn, const uint8_t *user, struct sector_write_report *rep)
{
    const struct sector_layout *l = &dev->layout;
    uint64_t spares = l->isa + l->osa;
    bool changed = false;
    uint32_t attempts = 0;
    int rc;

    pthread_rwlock_wrlock(&dev->defect_lock);
    uint64_t old = current_target(dev, layer, home);
    for (;;) {
        if (dev->state.spares_used[layer] >= spares) {
            rc = -ENOSPC;
            break;
        }
        if (attempts >= dev->opt.max_spare_attempts) {
            rc = -EIO;
            break;
        }
        uint64_t sp = sector_layout_spare_physical(l, dev->state.spares_used[layer]++);
        changed = true;
        attempts++;
        rep->replacements++;
        rc = record(dev, s, layer, sp, lcn, user, rep);
        if (rc < 0)
            break;
        if (rc == 1) {
            rc = sector_dfl_put(&dev->state.dfl, SECTOR_DFL_BAD_SPARE, layer, sp, 0);
            if (rc < 0)
                break;
            continue;
        }
        if (old != home) {
            rc = sector_dfl_put(&dev->state.dfl, SECTOR_DFL_BAD_SPARE, layer, old, 0);
            if (rc < 0)
                break;
        }
        rc = sector_dfl_put(&dev->state.dfl, SECTOR_DFL_REPLACED, layer, home, sp);
        if (rc < 0)
            break;
        struct sector_zone_stats acc;
        memset(&acc, 0, sizeof acc);
        acc.replacements = 1;
        stats_add(dev, layer, home, &acc);
        break;
    }
    if (changed) {
        int wrc = dma_write_all(dev, s);
        if (rc == 0)
            rc = wrc;
    }
    rep->address.physical_cluster = current_target(dev, layer, home);
    pthread_rwlock_unlock(&dev->defect_lock);
    return rc;
}

int sector_write(struct sector_dev *dev, uint64_t lcn, const uint8_t *user,
                 struct sector_write_report *rep)
{
    struct sector_write_report local;
    unsigned layer;
    uint64_t home;

    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    if (!dev || !user)
        return -EINVAL;
    if (lcn >= 2 * dev->layout.user)
        return -ERANGE;
    if (dev->read_only)
        return -EROFS;
    sector_layout_map(&dev->layout, lcn, &layer, &home);
    pthread_rwlock_rdlock(&dev->defect_lock);
    uint64_t target = current_target(dev, layer, home);
    pthread_rwlock_unlock(&dev->defect_lock);
    rep->address = (struct sector_address){layer, target, lcn};

    struct slot *s = slot_get(dev);
    int rc = record(dev, s, layer, target, lcn, user, rep);
    if (rc == 1)
        rc = replace(dev, s, layer, home, lcn, user, rep);
    slot_put(dev, s);
    return rc;
}
