/*
 * alloc.c — cluster allocation (DESIGN.md "src/fs": wear- and layer-aware placement).
 * The free map is rebuilt at every mount from what the checkpoint and log reference
 * (nothing about it is stored), kept as one min-heap per layer keyed by
 * (overwrite cycles, LCN), so the least-cycled free cluster is taken first and fresh
 * media fill in address order. Placement decides the layer: AUTO puts metadata on the
 * near layer (L1, rated for more overwrites: physics.md §4.3 N0 3000 vs 1000) and
 * spreads data by wear; NEAR / FAR fill one layer first; SPREAD treats both alike.
 *
 * Rules kept here (see log.c for the protocol they serve):
 * (1) A cluster the durable state may still reference is never reused: frees are
 *     deferred until the commit after the one that stopped referencing it completes
 *     (pending list), metadata clusters until the checkpoint replacing them lands.
 * (2) A cluster registered as being read outside the lock (inflight) is never handed
 *     out, so sector_read and sector_write never meet on one cluster.
 * (3) Data and namespace growth stop with -ENOSPC while the free clusters would not
 *     cover the dirty clusters still to be written plus the reserve: the log until the
 *     next checkpoint and that checkpoint, both copies. Metadata can always be written.
 */
#include "fs_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

unsigned fs_lcn_layer(const struct pfs *fs, uint64_t lcn)
{
    return lcn >= fs->per_layer ? 1u : 0u;
}

uint64_t fs_anchor_lcn(const struct pfs *fs, unsigned slot)
{
    return (slot & 1u) ? fs->per_layer + slot / 2 : slot / 2;
}

static uint64_t key_of(const struct fs_alloc *al, uint64_t lcn)
{
    return ((uint64_t)al->cycles[lcn] << 32) | lcn;
}

static void heap_push(struct fs_alloc *al, unsigned l, uint64_t lcn)
{
    uint64_t *h = al->heap[l];
    size_t i = al->hn[l]++;
    uint64_t k = key_of(al, lcn);
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p] <= k)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = k;
}

static uint64_t heap_pop(struct fs_alloc *al, unsigned l)
{
    uint64_t *h = al->heap[l];
    uint64_t top = h[0];
    uint64_t k = h[--al->hn[l]];
    size_t n = al->hn[l], i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h[c + 1] < h[c])
            c++;
        if (k <= h[c])
            break;
        h[i] = h[c];
        i = c;
    }
    if (n)
        h[i] = k;
    return top & 0xffffffffu;
}

int fs_alloc_init(struct pfs *fs)
{
    struct fs_alloc *al = &fs->al;
    memset(al, 0, sizeof *al);
    al->total = fs->total_lcns;
    al->per_layer = fs->per_layer;
    al->placement = fs->opt.placement;
    al->state = calloc(al->total, 1);
    al->cycles = calloc(al->total, sizeof *al->cycles);
    al->heap[0] = malloc(al->per_layer * sizeof(uint64_t));
    al->heap[1] = malloc(al->per_layer * sizeof(uint64_t));
    if (!al->state || !al->cycles || !al->heap[0] || !al->heap[1])
        return -ENOMEM;
    /* wear as the medium counts it (a cluster whose table entry is corrupt counts as
     * fresh: its next write rewrites the entry) */
    for (uint64_t l = 0; l < al->total; l++) {
        uint32_t c = 0;
        if (sector_cluster_wear(fs->dev, l, &c) == 0)
            al->cycles[l] = c;
    }
    for (unsigned s = 0; s < FS_ANCHORS; s++)
        al->state[fs_anchor_lcn(fs, s)] = FS_LCN_FIXED;
    return 0;
}

void fs_alloc_free(struct fs_alloc *al)
{
    free(al->state);
    free(al->cycles);
    free(al->heap[0]);
    free(al->heap[1]);
    free(al->pend);
    free(al->inflight);
    free(al->inflight_n);
    memset(al, 0, sizeof *al);
}

int fs_alloc_mark(struct pfs *fs, uint64_t lcn)
{
    if (lcn >= fs->al.total || fs->al.state[lcn] != FS_LCN_FREE)
        return -EUCLEAN;
    fs->al.state[lcn] = FS_LCN_USED;
    return 0;
}

int fs_alloc_build(struct pfs *fs)
{
    struct fs_alloc *al = &fs->al;
    al->hn[0] = al->hn[1] = 0;
    for (uint64_t l = 0; l < al->total; l++)
        if (al->state[l] == FS_LCN_FREE)
            heap_push(al, fs_lcn_layer(fs, l), l);
    return 0;
}

static bool inflight_has(const struct fs_alloc *al, uint64_t lcn)
{
    for (size_t i = 0; i < al->ninflight; i++)
        if (al->inflight[i] == lcn)
            return true;
    return false;
}

/* Layer to take from first for a class under the placement, -1 when by wear. */
static int preferred_layer(const struct fs_alloc *al, enum fs_class cls)
{
    switch (al->placement) {
    case PFS_PLACE_NEAR:
        return MEDIUM_LAYER_NEAR;
    case PFS_PLACE_FAR:
        return MEDIUM_LAYER_FAR;
    case PFS_PLACE_SPREAD:
        return -1;
    case PFS_PLACE_AUTO:
    default:
        return cls == FS_META ? MEDIUM_LAYER_NEAR : -1;
    }
}

static int pick_layer(const struct fs_alloc *al, enum fs_class cls, int avoid)
{
    if (avoid >= 0) {
        unsigned other = avoid ? 0u : 1u;
        return al->hn[other] ? (int)other : al->hn[avoid] ? avoid : -1;
    }
    int p = preferred_layer(al, cls);
    if (p >= 0)
        return al->hn[p] ? p : al->hn[!p] ? !p : -1;
    if (!al->hn[0] || !al->hn[1])
        return al->hn[0] ? 0 : al->hn[1] ? 1 : -1;
    uint32_t c0 = (uint32_t)(al->heap[0][0] >> 32), c1 = (uint32_t)(al->heap[1][0] >> 32);
    if (c0 != c1)
        return c0 < c1 ? 0 : 1;
    return al->hn[0] >= al->hn[1] ? 0 : 1;
}

int fs_alloc_take(struct pfs *fs, enum fs_class cls, int avoid_layer, uint64_t *lcn)
{
    struct fs_alloc *al = &fs->al;
    uint64_t aside[8];
    unsigned naside = 0;
    int rc = -ENOSPC;

    for (;;) {
        int l = pick_layer(al, cls, avoid_layer);
        if (l < 0)
            break;
        uint64_t c = heap_pop(al, (unsigned)l);
        if (inflight_has(al, c) && naside < 8) {
            aside[naside++] = c;
            continue;
        }
        if (inflight_has(al, c)) {
            heap_push(al, (unsigned)l, c);
            break;
        }
        al->state[c] = FS_LCN_USED;
        *lcn = c;
        rc = 0;
        break;
    }
    for (unsigned i = 0; i < naside; i++)
        heap_push(al, fs_lcn_layer(fs, aside[i]), aside[i]);
    return rc;
}

int fs_alloc_defer(struct pfs *fs, uint64_t lcn)
{
    struct fs_alloc *al = &fs->al;
    if (lcn >= al->total || al->state[lcn] != FS_LCN_USED)
        return -EUCLEAN;
    if (al->npend == al->pend_cap) {
        size_t cap = al->pend_cap ? al->pend_cap * 2 : 64;
        struct fs_pending *p = realloc(al->pend, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        al->pend = p;
        al->pend_cap = cap;
    }
    al->state[lcn] = FS_LCN_PENDING;
    al->pend[al->npend++] = (struct fs_pending){lcn, fs->commits_done + 1};
    return 0;
}

static void put_free(struct pfs *fs, uint64_t lcn)
{
    fs->al.state[lcn] = FS_LCN_FREE;
    fs_cache_drop(fs, lcn);
    heap_push(&fs->al, fs_lcn_layer(fs, lcn), lcn);
}

void fs_alloc_release(struct pfs *fs, bool checkpoint)
{
    struct fs_alloc *al = &fs->al;
    size_t w = 0;
    for (size_t i = 0; i < al->npend; i++) {
        if (checkpoint || al->pend[i].after <= fs->commits_done)
            put_free(fs, al->pend[i].lcn);
        else
            al->pend[w++] = al->pend[i];
    }
    al->npend = w;
}

void fs_alloc_put(struct pfs *fs, uint64_t lcn)
{
    if (lcn < fs->al.total && fs->al.state[lcn] == FS_LCN_USED)
        put_free(fs, lcn);
}

void fs_alloc_bad(struct pfs *fs, uint64_t lcn)
{
    if (lcn < fs->al.total)
        fs->al.state[lcn] = FS_LCN_BAD;
}

uint64_t fs_alloc_free_count(const struct pfs *fs)
{
    return fs->al.hn[0] + fs->al.hn[1];
}

uint64_t fs_alloc_reserve(const struct pfs *fs, uint64_t extra)
{
    uint64_t ckpt = (fs->meta_bytes + extra + FS_PAYLOAD - 1) / FS_PAYLOAD + 1;
    uint64_t log_left = fs->log_limit > fs->log_clusters ? fs->log_limit - fs->log_clusters
                                                         : 0;
    /* + 8: the commit that crosses the limit (<= FS_COMMIT_BYTES plus one record) and
     * the pre-allocated next log cluster */
    return 2 * (ckpt + 1) + 2 * (log_left + 8);
}

int fs_space_check(struct pfs *fs, uint64_t data, uint64_t extra)
{
    for (int attempt = 0;; attempt++) {
        uint64_t need = data + fs->dirty_clusters + fs_alloc_reserve(fs, extra);
        if (fs_alloc_free_count(fs) >= need)
            return 0;
        if (attempt > 0 || fs->al.npend == 0 || fs->read_only)
            return -ENOSPC;
        /* clusters wait for a commit to be reusable: make it happen now */
        int rc = fs_commit(fs);
        if (rc < 0)
            return rc;
    }
}

int fs_inflight_add(struct pfs *fs, uint64_t lcn)
{
    struct fs_alloc *al = &fs->al;
    for (size_t i = 0; i < al->ninflight; i++)
        if (al->inflight[i] == lcn) {
            al->inflight_n[i]++;
            return 0;
        }
    if (al->ninflight == al->inflight_cap) {
        size_t cap = al->inflight_cap ? al->inflight_cap * 2 : 16;
        uint64_t *a = realloc(al->inflight, cap * sizeof *a);
        if (!a)
            return -ENOMEM;
        al->inflight = a;
        uint32_t *n = realloc(al->inflight_n, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        al->inflight_n = n;
        al->inflight_cap = cap;
    }
    al->inflight[al->ninflight] = lcn;
    al->inflight_n[al->ninflight++] = 1;
    return 0;
}

void fs_inflight_del(struct pfs *fs, uint64_t lcn)
{
    struct fs_alloc *al = &fs->al;
    for (size_t i = 0; i < al->ninflight; i++)
        if (al->inflight[i] == lcn) {
            if (--al->inflight_n[i] == 0) {
                al->ninflight--;
                al->inflight[i] = al->inflight[al->ninflight];
                al->inflight_n[i] = al->inflight_n[al->ninflight];
            }
            return;
        }
}

void fs_wear_note(struct pfs *fs, uint64_t lcn, uint32_t cycles)
{
    if (lcn < fs->al.total && cycles > fs->al.cycles[lcn])
        fs->al.cycles[lcn] = cycles;
}
