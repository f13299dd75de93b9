/*
 * medium.c — the medium handle (DESIGN.md "medium/"): create, open, sync and close an
 * image, record and read clusters under the locks, and keep the bookkeeping of wear,
 * reads, the simulated clock and injected faults.
 *
 * It owns the host I/O table, the locks and the per-cluster counters. The on-image
 * encoding is image.c's, the physics model.c's, the geometry of damage faults.c's, the
 * clock arithmetic clock.c's; this file only calls them in the right order.
 *
 * Locks: state_lock (rwlock: read for cluster I/O, write for age, inject, sync and the
 * layer scan), then at most one stripe mutex, then pool_lock. Never two stripes at once.
 * Between processes: the image lock (flock, medium.h), taken on the handle's own
 * descriptor before any byte is read or written and held until close, as SQLite's pager
 * locks the database itself so that no caller can forget (STYLE.md "What the first
 * review taught").
 */
#include "medium_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/*
 * Crash semantics. Recorded bytes go to the host file when medium_cluster_write
 * returns, and the clock and fault table are durable when medium_age / medium_inject_*
 * return; the cluster table (cycles, generation, reads) is durable only after
 * medium_sync or medium_close (image.c invariant 8). After a crash, a cluster written
 * since the last sync has the table entry of that sync: it reads as its previous
 * generation, or as blank if it had never been written, while its bytes may be old, new
 * or torn. Callers treat writes as durable only after medium_sync, as with a drive's
 * volatile cache. A write that fails with -EIO leaves the cluster's bytes unspecified and
 * its entry unchanged.
 */

/* ---- host I/O defaults ------------------------------------------------------------- */

static int libc_open(const char *path, int flags, mode_t mode)
{
    return open(path, flags, mode);
}

static int libc_close(int fd)
{
    return close(fd);
}

static ssize_t libc_pread(int fd, void *buf, size_t len, off_t off)
{
    return pread(fd, buf, len, off);
}

static ssize_t libc_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    return pwrite(fd, buf, len, off);
}

static int libc_fsync(int fd)
{
    return fsync(fd);
}

static int libc_ftruncate(int fd, off_t len)
{
    return ftruncate(fd, len);
}

static int libc_fstat(int fd, struct stat *st)
{
    return fstat(fd, st);
}

static int libc_flock(int fd, int operation)
{
    return flock(fd, operation);
}

/* errno of a failed open or create, as the contract names it. */
static int open_error(int e)
{
    switch (e) {
    case EEXIST: case ENOENT: case EACCES: case EPERM: case EISDIR: case ENOTDIR:
    case EROFS: case ENOMEM:
        return -e;
    default:
        return -EIO;
    }
}

/* ---- handle ------------------------------------------------------------------------ */

static void handle_free(struct medium *m)
{
    if (!m)
        return;
    if (m->fd >= 0)
        (void)m->io.close(m->fd);
    for (unsigned i = 0; i < m->pool_count; i++)
        free(m->pool[i]);
    for (unsigned i = 0; i < MEDIUM_LOCK_STRIPES; i++)
        pthread_mutex_destroy(&m->stripe[i]);
    pthread_mutex_destroy(&m->pool_lock);
    pthread_rwlock_destroy(&m->state_lock);
    free(m->meta);
    free(m->meta_dirty);
    free(m->path);
    free(m);
}

static struct medium *handle_new(const char *path, const struct medium_io *io)
{
    struct medium *m = calloc(1, sizeof *m);
    pthread_rwlockattr_t attr;
    if (!m)
        return NULL;
    m->fd = -1;
    if (io)
        m->io = *io;
    if (!m->io.open)
        m->io.open = libc_open;
    if (!m->io.close)
        m->io.close = libc_close;
    if (!m->io.pread)
        m->io.pread = libc_pread;
    if (!m->io.pwrite)
        m->io.pwrite = libc_pwrite;
    if (!m->io.fsync)
        m->io.fsync = libc_fsync;
    if (!m->io.ftruncate)
        m->io.ftruncate = libc_ftruncate;
    if (!m->io.fstat)
        m->io.fstat = libc_fstat;
    if (!m->io.flock)
        m->io.flock = libc_flock;
    /* ageing and injection must not starve behind a steady stream of reads */
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&m->state_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    for (unsigned i = 0; i < MEDIUM_LOCK_STRIPES; i++)
        pthread_mutex_init(&m->stripe[i], NULL);
    pthread_mutex_init(&m->pool_lock, NULL);
    m->path = strdup(path);
    if (!m->path) {
        handle_free(m);
        return NULL;
    }
    return m;
}

/* The image lock on m->fd (medium.h): exclusive unless read-only, polled every 20 ms
 * until wait_ms of host time have passed, so that a daemon still flushing after an
 * unmount can let go. The host's monotonic clock, not the medium's simulated one: this
 * is a real wait for a real process, and a loaded machine must not stretch it. Returns
 * 0, -EBUSY (held elsewhere), -ENOLCK (the host filesystem has no locks) or -EIO. */
#define LOCK_POLL_NS 20000000L
static int lock_take(struct medium *m, bool exclusive, unsigned wait_ms)
{
    const int op = (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (m->io.flock(m->fd, op) == 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK)
            return errno == ENOLCK || errno == EOPNOTSUPP || errno == EINVAL ? -ENOLCK : -EIO;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t left_ns = (int64_t)wait_ms * 1000000 -
                          ((int64_t)(now.tv_sec - start.tv_sec) * 1000000000 +
                           (now.tv_nsec - start.tv_nsec));
        if (left_ns <= 0)
            return -EBUSY;
        struct timespec pause = {.tv_sec = 0,
                                 .tv_nsec = left_ns < LOCK_POLL_NS ? (long)left_ns : LOCK_POLL_NS};
        while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
            ;
    }
}

/* Material, optics and model of m->profile. A derivation failing on a profile that
 * validated is returned as is; the caller decides what it means. */
static int derive(struct medium *m)
{
    const struct medium_profile *p = &m->profile;
    int rc;
    for (unsigned l = 0; l < MEDIUM_LAYER_COUNT; l++) {
        rc = medium_material_derive(p->layer[l].material, p->wavelength_nm, p->n2_fraction,
                                    p->o2_fraction, &m->material[l], NULL, 0);
        if (rc < 0)
            return rc;
    }
    rc = medium_optics_compute(p, &m->optics);
    if (rc < 0)
        return rc;
    return model_init(m);
}

int medium_create(const char *path, const struct medium_profile *p,
                  const struct medium_create_options *opt, struct medium **out)
{
    struct medium *m = NULL;
    bool made = false;
    int rc, flags;

    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!path || !p)
        return -EINVAL;
    rc = medium_profile_validate(p, NULL);
    if (rc < 0)
        return rc;
    if (p->mode != MEDIUM_MODE_OPTICAL)
        return -EOPNOTSUPP; /* electrical recording physics is not built yet */
    if (p->capacity_per_layer < MEDIUM_MIN_LAYER_BYTES ||
        p->capacity_per_layer % MEDIUM_USER_BYTES_PER_CLUSTER != 0)
        return -EINVAL;

    m = handle_new(path, opt ? opt->io : NULL);
    if (!m)
        return -ENOMEM;
    m->profile = *p;
    m->clusters_per_layer = p->capacity_per_layer / MEDIUM_USER_BYTES_PER_CLUSTER;
    m->clock.temperature_c = p->temperature_c;
    m->clock.humidity_pct = p->humidity_pct;
    /* derive before touching the file, so a profile the model refuses leaves nothing */
    rc = derive(m);
    if (rc < 0)
        goto out;

    /* An existing file is replaced only once it is locked: it may be mounted. */
    flags = O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC;
    m->fd = m->io.open(path, flags, 0666);
    made = m->fd >= 0;
    if (m->fd < 0 && errno == EEXIST && opt && opt->overwrite)
        m->fd = m->io.open(path, O_RDWR | O_CLOEXEC, 0);
    if (m->fd < 0) {
        rc = open_error(errno);
        goto out;
    }
    rc = lock_take(m, true, opt ? opt->lock_wait_ms : 0);
    if (rc < 0)
        goto out; /* an existing file is left as it was; one we made goes */
    made = true;  /* from here the old contents are gone: a failure removes the file */
    rc = image_format(m);
out:
    if (rc < 0) {
        handle_free(m);
        if (made)
            (void)unlink(path); /* no half-made image stays behind */
        return rc;
    }
    *out = m;
    return 0;
}

int medium_open(const char *path, const struct medium_open_options *opt,
                struct medium **out)
{
    struct medium *m;
    int rc;

    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!path)
        return -EINVAL;
    m = handle_new(path, opt ? opt->io : NULL);
    if (!m)
        return -ENOMEM;
    m->read_only = opt && opt->read_only;
    m->fd = m->io.open(path, (m->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC, 0);
    if (m->fd < 0) {
        rc = open_error(errno);
        goto out;
    }
    rc = lock_take(m, !m->read_only, opt ? opt->lock_wait_ms : 0);
    if (rc < 0)
        goto out;
    rc = image_load(m);
    if (rc < 0)
        goto out;
    if (m->profile.mode != MEDIUM_MODE_OPTICAL) {
        rc = -EOPNOTSUPP;
        goto out;
    }
    rc = derive(m);
    if (rc == -EINVAL)
        rc = -EUCLEAN; /* the image's own profile is unusable */
    if (rc < 0)
        goto out;
    for (uint32_t i = 0; i < m->fault_count; i++) {
        rc = faults_validate(m, &m->faults[i]);
        if (rc == -EINVAL)
            rc = -EUCLEAN; /* a recorded fault outside the disc */
        if (rc < 0)
            goto out;
    }
out:
    if (rc < 0) {
        handle_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

static bool any_dirty(const struct medium *m)
{
    uint64_t bytes = (m->clusters_per_layer * MEDIUM_LAYER_COUNT + 7) / 8;
    for (uint64_t i = 0; i < bytes; i++)
        if (m->meta_dirty[i])
            return true;
    return false;
}

int medium_sync(struct medium *m)
{
    int rc = 0;
    if (!m)
        return -EINVAL;
    if (m->read_only)
        return 0;
    /* The write lock excludes cluster I/O, so the dirty bits and entries are still, and
     * serialises syncs, so an older entry is never written over a newer one. */
    pthread_rwlock_wrlock(&m->state_lock);
    if (!any_dirty(m))
        goto out;
    while (m->io.fsync(m->fd) < 0) { /* bytes before the entries that describe them */
        if (errno != EINTR) {
            rc = -EIO;
            goto out;
        }
    }
    rc = image_meta_flush(m);
    if (rc < 0)
        goto out;
    while (m->io.fsync(m->fd) < 0) {
        if (errno != EINTR) {
            rc = -EIO;
            goto out;
        }
    }
out:
    pthread_rwlock_unlock(&m->state_lock);
    return rc;
}

int medium_close(struct medium *m)
{
    int rc;
    if (!m)
        return 0;
    rc = medium_sync(m);
    if (m->io.close(m->fd) < 0 && rc == 0 && !m->read_only)
        rc = -EIO;
    m->fd = -1;
    handle_free(m);
    return rc;
}

const struct medium_profile *medium_profile_get(const struct medium *m)
{
    return &m->profile;
}

const struct medium_optics *medium_optics_get(const struct medium *m)
{
    return &m->optics;
}

const struct medium_material *medium_material_get(const struct medium *m, unsigned layer)
{
    return layer < MEDIUM_LAYER_COUNT ? &m->material[layer] : NULL;
}

uint64_t medium_layer_clusters(const struct medium *m)
{
    return m->clusters_per_layer;
}

/* ---- cluster I/O ------------------------------------------------------------------- */

static uint64_t global_index(const struct medium *m, unsigned layer, uint64_t index)
{
    return (uint64_t)layer * m->clusters_per_layer + index;
}

static pthread_mutex_t *stripe_of(struct medium *m, uint64_t g)
{
    return &m->stripe[g % MEDIUM_LOCK_STRIPES];
}

/* Bits of one bitmap byte belong to different stripes: set them atomically. */
static void mark_dirty(struct medium *m, uint64_t g)
{
    __atomic_fetch_or(&m->meta_dirty[g >> 3], (uint8_t)(1u << (g & 7)), __ATOMIC_RELAXED);
}

static uint8_t *pool_get(struct medium *m)
{
    uint8_t *b = NULL;
    pthread_mutex_lock(&m->pool_lock);
    if (m->pool_count > 0)
        b = m->pool[--m->pool_count];
    pthread_mutex_unlock(&m->pool_lock);
    return b ? b : malloc(2 * (size_t)MEDIUM_CLUSTER_BYTES);
}

static void pool_put(struct medium *m, uint8_t *b)
{
    pthread_mutex_lock(&m->pool_lock);
    if (m->pool_count < MEDIUM_POOL_BUFFERS) {
        m->pool[m->pool_count++] = b;
        b = NULL;
    }
    pthread_mutex_unlock(&m->pool_lock);
    free(b);
}

static bool in_range(const struct medium *m, unsigned layer, uint64_t index)
{
    return layer < MEDIUM_LAYER_COUNT && index < m->clusters_per_layer;
}

/*
 * A write heats the tracks beside it (physics.md §4.4): the marks of the clusters on the
 * adjacent turns age by the model's cross-erase equivalent time. Called with state_lock
 * held for reading and no stripe held; takes each neighbour's stripe alone, so the lock
 * order (state_lock, then one stripe) holds. Blank neighbours have no marks to age.
 */
static void cross_erase_neighbours(struct medium *m, unsigned layer, uint64_t index)
{
    double bump_s = m->model[layer].cross_erase_s;
    uint64_t neighbours[8];
    if (!(bump_s > 0.0))
        return;
    unsigned n = faults_cluster_neighbours(m, index, neighbours, 8);
    for (unsigned i = 0; i < n; i++) {
        uint64_t gn = global_index(m, layer, neighbours[i]);
        pthread_mutex_lock(stripe_of(m, gn));
        struct medium_cluster_meta *nm = &m->meta[gn];
        if ((nm->flags & CLUSTER_FLAG_WRITTEN) && !(nm->flags & CLUSTER_FLAG_CORRUPT)) {
            nm->disturb_equiv_s += bump_s;
            mark_dirty(m, gn);
        }
        pthread_mutex_unlock(stripe_of(m, gn));
    }
}

int medium_cluster_write(struct medium *m, unsigned layer, uint64_t index,
                         const uint8_t *bytes, struct medium_write_report *rep)
{
    struct medium_write_report local;
    struct medium_cluster_meta before, *meta;
    const uint8_t *old = NULL;
    uint8_t *buf, *recorded;
    uint64_t g;
    int rc = 0;

    if (!m || !bytes)
        return -EINVAL;
    if (!in_range(m, layer, index))
        return -ERANGE;
    if (m->read_only)
        return -EROFS;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    buf = pool_get(m);
    if (!buf)
        return -ENOMEM;
    recorded = buf;
    g = global_index(m, layer, index);

    pthread_rwlock_rdlock(&m->state_lock);
    pthread_mutex_lock(stripe_of(m, g));
    meta = &m->meta[g];
    before = *meta;
    if (before.flags & CLUSTER_FLAG_CORRUPT)
        memset(&before, 0, sizeof before); /* history lost: record as on a blank cluster */
    if ((before.flags & CLUSTER_FLAG_WRITTEN) && model_write_needs_old(m, layer)) {
        ssize_t n = image_read_at(m, buf + MEDIUM_CLUSTER_BYTES, MEDIUM_CLUSTER_BYTES,
                                  image_cluster_offset(m, layer, index));
        if (n != (ssize_t)MEDIUM_CLUSTER_BYTES) {
            rc = -EIO;
            goto out;
        }
        old = buf + MEDIUM_CLUSTER_BYTES;
    }
    model_write(m, layer, index, &before, bytes, old, recorded, rep);
    rc = image_write_at(m, recorded, MEDIUM_CLUSTER_BYTES, image_cluster_offset(m, layer, index));
    if (rc < 0)
        goto out;
    before.cycles += before.cycles < UINT32_MAX;
    before.generation += before.generation < UINT32_MAX;
    before.flags = CLUSTER_FLAG_WRITTEN;
    before.write_equiv_s = m->clock.equiv_s[layer];
    before.disturb_equiv_s = 0.0;
    *meta = before;
    mark_dirty(m, g);
    rep->cycles = before.cycles;
out:
    pthread_mutex_unlock(stripe_of(m, g));
    if (rc == 0)
        cross_erase_neighbours(m, layer, index);
    pthread_rwlock_unlock(&m->state_lock);
    pool_put(m, buf);
    return rc;
}

int medium_cluster_read(struct medium *m, unsigned layer, uint64_t index, uint8_t *bytes,
                        struct medium_read_report *rep)
{
    struct medium_read_report local;
    struct medium_cluster_meta now, *meta;
    uint64_t g;
    int rc = 0;

    if (!m || !bytes)
        return -EINVAL;
    if (!in_range(m, layer, index))
        return -ERANGE;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    g = global_index(m, layer, index);

    pthread_rwlock_rdlock(&m->state_lock);
    pthread_mutex_lock(stripe_of(m, g));
    meta = &m->meta[g];
    if (meta->flags & CLUSTER_FLAG_CORRUPT) {
        rc = -EUCLEAN;
        goto out;
    }
    /* every read draws fresh noise keyed by the count, even when nothing is persisted */
    meta->reads += meta->reads < UINT32_MAX;
    if (!m->read_only)
        mark_dirty(m, g);
    now = *meta;
    if (!(now.flags & CLUSTER_FLAG_WRITTEN)) {
        memset(bytes, 0, MEDIUM_CLUSTER_BYTES);
        rep->blank = true;
    } else {
        ssize_t n = image_read_at(m, bytes, MEDIUM_CLUSTER_BYTES,
                                  image_cluster_offset(m, layer, index));
        if (n != (ssize_t)MEDIUM_CLUSTER_BYTES) {
            rc = -EIO;
            goto out;
        }
    }
    model_read(m, layer, index, &now, bytes, rep);
out:
    pthread_mutex_unlock(stripe_of(m, g));
    pthread_rwlock_unlock(&m->state_lock);
    return rc;
}

int medium_cluster_info(struct medium *m, unsigned layer, uint64_t index,
                        struct medium_cluster_info *out)
{
    struct medium_cluster_meta meta;
    uint64_t g;
    int rc = 0;

    if (!m || !out)
        return -EINVAL;
    if (!in_range(m, layer, index))
        return -ERANGE;
    memset(out, 0, sizeof *out);
    g = global_index(m, layer, index);
    pthread_rwlock_rdlock(&m->state_lock); /* the model reads the clock */
    pthread_mutex_lock(stripe_of(m, g));
    meta = m->meta[g];
    pthread_mutex_unlock(stripe_of(m, g));
    if (meta.flags & CLUSTER_FLAG_CORRUPT) {
        rc = -EUCLEAN;
        goto out;
    }
    out->written = (meta.flags & CLUSTER_FLAG_WRITTEN) != 0;
    out->cycles = meta.cycles;
    out->generation = meta.generation;
    out->reads = meta.reads;
    out->stuck_cells = model_stuck_cells(m, layer, index, meta.cycles);
    out->raw_ber = model_cluster_ber(m, layer, &meta);
    if (out->written) {
        out->age_equiv_s = model_cluster_age(m, layer, &meta);
        out->retention_loss = model_retention_fraction(m, layer, out->age_equiv_s);
    }
    out->env_damage = environ_cluster_damage(m, layer, index);
    out->env_ser = environ_ser(&m->model[layer], out->env_damage);
    out->radius_mm = faults_cluster_radius(m, index);
out:
    pthread_rwlock_unlock(&m->state_lock);
    return rc;
}

/* ---- time, faults, layer facts ----------------------------------------------------- */

int medium_age_rh(struct medium *m, double seconds, double temp_c, double rh_pct)
{
    struct medium_clock before;
    int rc;
    if (!m || !isfinite(seconds) || seconds < 0.0 || !isfinite(temp_c) || temp_c < -40.0 ||
        temp_c > 200.0 || !(rh_pct >= 0.0 && rh_pct <= 100.0))
        return -EINVAL;
    if (m->read_only)
        return -EROFS;
    pthread_rwlock_wrlock(&m->state_lock);
    before = m->clock;
    clock_advance(&m->clock, m->model, seconds, temp_c, rh_pct);
    rc = image_header_store(m);
    if (rc < 0)
        m->clock = before; /* nothing happened unless it is durable */
    pthread_rwlock_unlock(&m->state_lock);
    return rc;
}

int medium_age(struct medium *m, double seconds, double temp_c)
{
    if (!m)
        return -EINVAL;
    return medium_age_rh(m, seconds, temp_c, m->profile.humidity_pct);
}

void medium_clock_get(const struct medium *m, struct medium_clock *out)
{
    /* the lock is not part of the handle's logical state: taking it does not modify m */
    pthread_rwlock_t *lock = (pthread_rwlock_t *)&m->state_lock;
    pthread_rwlock_rdlock(lock);
    *out = m->clock;
    pthread_rwlock_unlock(lock);
}

static int inject(struct medium *m, const struct medium_fault *f)
{
    struct medium_fault rec = *f;
    int rc;
    if (m->read_only)
        return -EROFS;
    pthread_rwlock_wrlock(&m->state_lock);
    if (m->fault_count >= MEDIUM_MAX_FAULTS) {
        rc = -ENOSPC;
        goto out;
    }
    rec.id = m->fault_count + 1;
    rc = faults_validate(m, &rec);
    if (rc < 0)
        goto out;
    m->faults[m->fault_count++] = rec;
    rc = image_faults_store(m);
    if (rc == 0)
        rc = image_header_store(m);
    if (rc < 0) { /* a record past the header's count is ignored on open (invariant 5) */
        m->fault_count--;
        memset(&m->faults[m->fault_count], 0, sizeof m->faults[0]);
    }
out:
    pthread_rwlock_unlock(&m->state_lock);
    return rc;
}

int medium_inject_scratch(struct medium *m, const struct medium_scratch *s)
{
    if (!m || !s)
        return -EINVAL;
    struct medium_fault f = {.kind = FAULT_SCRATCH, .u.scratch = *s};
    return inject(m, &f);
}

int medium_inject_dust(struct medium *m, const struct medium_dust *d)
{
    if (!m || !d)
        return -EINVAL;
    struct medium_fault f = {.kind = FAULT_DUST, .u.dust = *d};
    return inject(m, &f);
}

int medium_inject_defects(struct medium *m, const struct medium_defects *d)
{
    if (!m || !d)
        return -EINVAL;
    struct medium_fault f = {.kind = FAULT_DEFECTS, .u.defects = *d};
    return inject(m, &f);
}

static bool fault_touches(const struct medium_fault *f, unsigned layer)
{
    switch (f->kind) {
    case FAULT_SCRATCH:
        return (f->u.scratch.layer_mask >> layer) & 1;
    case FAULT_DEFECTS:
        return (f->u.defects.layer_mask >> layer) & 1;
    case FAULT_DUST:
        return true; /* on the cover: the beam to every layer passes it */
    default:
        return false;
    }
}

int medium_layer_status(struct medium *m, unsigned layer, struct medium_layer_status *out)
{
    const struct model_layer *ml;
    uint64_t written = 0, cycles_sum = 0, defective = 0;
    uint32_t cycles_max = 0, faults = 0;

    if (!m || !out)
        return -EINVAL;
    if (layer >= MEDIUM_LAYER_COUNT)
        return -ERANGE;
    memset(out, 0, sizeof *out);
    ml = &m->model[layer];
    out->power_opt_mw = ml->power_opt_mw;
    out->power_ratio = ml->power_ratio;
    out->erase_completeness = ml->erase_completeness;
    out->write_error_rate = ml->write_error_rate;
    out->raw_ber_fresh = ml->ber_fresh;
    out->median_life_s =
        ml->median_life_ref_s / clock_acceleration(ml->ea_ev, m->profile.temperature_c);
    out->env_life_s = ml->env_life_ref_s * ml->env_disc_factor /
                      clock_env_acceleration(ml->env_dh_ev, ml->env_b, m->profile.temperature_c,
                                             m->profile.humidity_pct / 100.0);

    /* the write lock stills every entry without taking 64 stripes per cluster */
    pthread_rwlock_wrlock(&m->state_lock);
    const struct medium_cluster_meta *meta = &m->meta[global_index(m, layer, 0)];
    for (uint64_t i = 0; i < m->clusters_per_layer; i++) {
        if ((meta[i].flags & (CLUSTER_FLAG_WRITTEN | CLUSTER_FLAG_CORRUPT)) !=
            CLUSTER_FLAG_WRITTEN)
            continue;
        written++;
        cycles_sum += meta[i].cycles;
        if (meta[i].cycles > cycles_max)
            cycles_max = meta[i].cycles;
    }
    for (uint32_t i = 0; i < m->fault_count; i++)
        faults += fault_touches(&m->faults[i], layer);
    pthread_rwlock_unlock(&m->state_lock);

    /* production defects follow from the seed alone: no lock needed */
    for (uint64_t i = 0; i < m->clusters_per_layer; i++)
        defective += faults_cluster_defective(m, layer, i);

    out->clusters_written = written;
    out->cycles_max = cycles_max;
    out->cycles_mean = written ? (double)cycles_sum / (double)written : 0.0;
    out->faults = faults;
    out->defect_clusters = defective;
    return 0;
}

double medium_retention_loss(const struct medium *m, unsigned layer, double seconds,
                             double temp_c)
{
    if (!m || layer >= MEDIUM_LAYER_COUNT || !isfinite(seconds) || seconds < 0.0 ||
        !isfinite(temp_c))
        return NAN;
    return model_retention_fraction(
        m, layer, seconds * clock_acceleration(m->model[layer].ea_ev, temp_c));
}
