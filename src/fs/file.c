/*
 * file.c — file data (DESIGN.md "src/fs": data copy-on-write in whole clusters, small
 * files packed): open/create/release handles, read, write, truncate, fsync, the
 * per-file dirty cluster cache and the clean cluster cache. Every change of content
 * tells fixity.c (fs_fixity_changed); the last close hands the digest over to it.
 *
 * Rules:
 * (1) A regular file of at most FS_INLINE_MAX bytes that never had clusters keeps its
 *     bytes inline in the metadata (its R_INODE), so small files cost no cluster.
 *     Growing past that converts it: R_INODE (not inline) is logged at once, before
 *     any R_EXTENT of it (log.c invariant 1).
 * (2) A cluster is never rewritten in place: a dirty cluster (read-modify-written
 *     once when first dirtied) goes to a fresh LCN when it is complete, when the
 *     dirty limit is reached, or at commit; the LCN it replaces is freed deferred.
 * (3) Reads copy dirty and cached clusters under fs->lock and decode the others
 *     outside it, after registering their LCNs as in flight (alloc.c rule 2).
 *     A read touching an unreadable cluster fails whole with -EIO: a short count would
 *     read as end-of-file through FUSE. Reads of the other clusters still succeed.
 * (4) Atime is not updated by reads (as with the noatime mount option).
 */
#include "fs_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_ROUND 16u /* clusters decoded per unlocked round of one read */

/* ---- clean cache -------------------------------------------------------------------- */

int fs_cache_init(struct pfs *fs)
{
    fs->ncache = fs->opt.cache_clusters;
    fs->cache = calloc(fs->ncache, sizeof *fs->cache);
    if (!fs->cache)
        return -ENOMEM;
    for (size_t i = 0; i < fs->ncache; i++)
        fs->cache[i].lcn = FS_LCN_NONE;
    return 0;
}

void fs_cache_free(struct pfs *fs)
{
    for (size_t i = 0; fs->cache && i < fs->ncache; i++)
        free(fs->cache[i].buf);
    free(fs->cache);
    fs->cache = NULL;
}

static struct fs_cache_ent *cache_find(struct pfs *fs, uint64_t lcn)
{
    for (size_t i = 0; i < fs->ncache; i++)
        if (fs->cache[i].lcn == lcn) {
            fs->cache[i].stamp = ++fs->cache_clock;
            return &fs->cache[i];
        }
    return NULL;
}

void fs_cache_drop(struct pfs *fs, uint64_t lcn)
{
    for (size_t i = 0; i < fs->ncache; i++)
        if (fs->cache[i].lcn == lcn)
            fs->cache[i].lcn = FS_LCN_NONE;
}

/* Put *buf in the cache as lcn's content; *buf gets the buffer it displaced (or NULL). */
static void cache_put(struct pfs *fs, uint64_t lcn, uint8_t **buf)
{
    struct fs_cache_ent *v = NULL;
    for (size_t i = 0; i < fs->ncache; i++) {
        struct fs_cache_ent *e = &fs->cache[i];
        if (e->lcn == lcn) {
            v = e;
            break;
        }
        if (!v || (v->lcn != FS_LCN_NONE && (e->lcn == FS_LCN_NONE || e->stamp < v->stamp)))
            v = e;
    }
    if (!v)
        return;
    uint8_t *old = v->buf;
    v->buf = *buf;
    v->lcn = lcn;
    v->stamp = ++fs->cache_clock;
    *buf = old;
}

/* ---- handles ------------------------------------------------------------------------ */

static int handle_new(struct pfs *fs, uint64_t ino, int flags, uid_t uid, uint64_t *fh)
{
    size_t i;
    for (i = 0; i < fs->nhandles && fs->handles[i].used; i++)
        ;
    if (i == fs->nhandles) {
        if (fs->nhandles == fs->handles_cap) {
            size_t cap = fs->handles_cap ? fs->handles_cap * 2 : 64;
            if (cap > UINT32_MAX)
                return -ENFILE;
            struct fs_handle *h = realloc(fs->handles, cap * sizeof *h);
            if (!h)
                return -ENOMEM;
            fs->handles = h;
            fs->handles_cap = cap;
        }
        fs->nhandles++;
    }
    struct fs_handle *h = &fs->handles[i];
    h->used = true;
    h->wrote = false;
    h->ino = ino;
    h->flags = flags;
    h->uid = uid;
    h->gen = ++fs->handle_gen;
    *fh = ((uint64_t)h->gen << 32) | (uint64_t)(i + 1);
    return 0;
}

static struct fs_handle *handle_get(struct pfs *fs, uint64_t ino, uint64_t fh)
{
    uint64_t i = (fh & 0xffffffffu);
    if (i == 0 || i > fs->nhandles)
        return NULL;
    struct fs_handle *h = &fs->handles[i - 1];
    if (!h->used || h->gen != (uint32_t)(fh >> 32) || h->ino != ino)
        return NULL;
    return h;
}

bool fs_handle_writes(struct pfs *fs, uint64_t ino, uint64_t fh)
{
    const struct fs_handle *h = handle_get(fs, ino, fh);
    return h && (h->flags & O_ACCMODE) != O_RDONLY;
}

static bool writes(int flags)
{
    return (flags & O_ACCMODE) == O_WRONLY || (flags & O_ACCMODE) == O_RDWR;
}

/* ---- cluster content ---------------------------------------------------------------- */

static struct fs_dirty *dirty_find(struct fs_inode *ip, uint64_t idx)
{
    for (size_t i = 0; i < ip->ndirty; i++)
        if (ip->dirty[i].idx == idx)
            return &ip->dirty[i];
    return NULL;
}

/* Content of file cluster idx into dst, with the lock held (dirty, cache, medium,
 * hole). Returns 0 or -EIO. */
static int cluster_read_locked(struct pfs *fs, struct fs_inode *ip, uint64_t idx,
                               uint8_t *dst)
{
    struct fs_dirty *d = dirty_find(ip, idx);
    if (d) {
        memcpy(dst, d->buf, FS_CLUSTER);
        return 0;
    }
    uint64_t lcn = fs_ext_get(ip, idx);
    if (lcn == FS_LCN_NONE) {
        memset(dst, 0, FS_CLUSTER);
        return 0;
    }
    struct fs_cache_ent *e = cache_find(fs, lcn);
    if (e) {
        memcpy(dst, e->buf, FS_CLUSTER);
        return 0;
    }
    int rc = sector_read(fs->dev, lcn, dst, NULL);
    if (rc < 0) {
        fs->st.io_errors++;
        return -EIO;
    }
    return 0;
}

static void report_io(struct pfs *fs, struct fs_inode *ip, uint64_t off, const char *what)
{
    char path[PFS_PATH_MAX];
    fs_path_of(fs, ip->ino, path, sizeof path);
    fs_report(fs, -EIO, path, off, what);
}

/* The dirty buffer of cluster idx, created (read-modify-write) when absent. */
static int dirty_get(struct pfs *fs, struct fs_inode *ip, uint64_t idx, bool whole,
                     struct fs_dirty **out)
{
    struct fs_dirty *d = dirty_find(ip, idx);
    if (d) {
        *out = d;
        return 0;
    }
    if (ip->ndirty == ip->dirty_cap) {
        size_t cap = ip->dirty_cap ? ip->dirty_cap * 2 : 4;
        struct fs_dirty *n = realloc(ip->dirty, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        ip->dirty = n;
        ip->dirty_cap = cap;
    }
    uint8_t *buf = fs_pool_get(fs);
    if (!buf)
        return -ENOMEM;
    int rc = 0;
    if (!whole)
        rc = cluster_read_locked(fs, ip, idx, buf);
    if (rc < 0) {
        fs_pool_put(fs, buf);
        report_io(fs, ip, idx << FS_CLUSTER_SHIFT, "cluster unreadable for a partial write");
        return rc;
    }
    d = &ip->dirty[ip->ndirty++];
    d->idx = idx;
    d->buf = buf;
    fs->dirty_clusters++;
    *out = d;
    return 0;
}

static void dirty_remove(struct pfs *fs, struct fs_inode *ip, size_t i)
{
    fs_pool_put(fs, ip->dirty[i].buf);
    ip->dirty[i] = ip->dirty[--ip->ndirty];
    fs->dirty_clusters--;
}

/* Write dirty cluster i of ip to a fresh LCN (rule 2). */
static int flush_one(struct pfs *fs, struct fs_inode *ip, size_t i)
{
    struct fs_dirty *d = &ip->dirty[i];
    uint64_t lcn = FS_LCN_NONE, old;
    int rc = -EIO;

    if (d->idx << FS_CLUSTER_SHIFT >= ip->size) {
        dirty_remove(fs, ip, i);
        return 0;
    }
    for (int attempt = 0; attempt < 4; attempt++) {
        if ((rc = fs_alloc_take(fs, FS_DATA, -1, &lcn)) < 0)
            return rc;
        struct sector_write_report rep;
        rc = sector_write(fs->dev, lcn, d->buf, &rep);
        fs_wear_note(fs, lcn, rep.medium.cycles);
        if (rc == 0)
            break;
        fs_alloc_bad(fs, lcn);
        report_io(fs, ip, d->idx << FS_CLUSTER_SHIFT, "data cluster write failed; retrying");
    }
    if (rc < 0)
        return rc;
    if ((rc = fs_ext_update(fs, ip, d->idx, lcn, &old)) < 0) {
        (void)fs_alloc_defer(fs, lcn);
        return rc;
    }
    if (old != FS_LCN_NONE)
        (void)fs_alloc_defer(fs, old);
    fs_log_extent(fs, ip->ino, d->idx, lcn);
    fs->data_unsynced = true;
    uint8_t *buf = d->buf;
    cache_put(fs, lcn, &buf);
    d->buf = buf; /* what the cache displaced, given back below */
    dirty_remove(fs, ip, i);
    return 0;
}

int fs_flush_data(struct pfs *fs, struct fs_inode *ip)
{
    int rc;
    if (ip) {
        while (ip->ndirty)
            if ((rc = flush_one(fs, ip, ip->ndirty - 1)) < 0)
                return rc;
        return 0;
    }
    for (size_t s = 0; fs->dirty_clusters && s < fs->itab.nslots; s++) {
        struct fs_inode *p = fs->itab.slots[s];
        if (p && p->ino && p->ndirty && (rc = fs_flush_data(fs, p)) < 0)
            return rc;
    }
    return 0;
}

/* ---- truncate ----------------------------------------------------------------------- */

static void defer_cb(struct pfs *fs, uint64_t lcn)
{
    (void)fs_alloc_defer(fs, lcn);
}

/* Turn an inline file into a clustered one (rule 1). */
static int uninline(struct pfs *fs, struct fs_inode *ip)
{
    if (ip->size) {
        struct fs_dirty *d;
        int rc = dirty_get(fs, ip, 0, true, &d);
        if (rc < 0)
            return rc;
        memset(d->buf, 0, FS_CLUSTER);
        if (ip->payload_len)
            memcpy(d->buf, ip->payload, ip->payload_len);
    }
    (void)fs_payload_set(fs, ip, NULL, 0);
    ip->flags &= ~FS_I_INLINE;
    fs_log_inode(fs, ip);
    return 0;
}

int fs_file_truncate(struct pfs *fs, struct fs_inode *ip, uint64_t size)
{
    int rc;
    if (!S_ISREG(ip->mode))
        return -EINVAL;
    if (size == ip->size)
        return 0;
    if (ip->flags & FS_I_INLINE) {
        if (size <= FS_INLINE_MAX) {
            if ((rc = fs_space_check(fs, 0, size > ip->size ? size - ip->size : 0)) < 0)
                return rc;
            uint8_t keep[FS_INLINE_MAX];
            uint32_t k = ip->payload_len < size ? ip->payload_len : (uint32_t)size;
            if (k)
                memcpy(keep, ip->payload, k);
            memset(keep + k, 0, size - k);
            if ((rc = fs_payload_set(fs, ip, keep, (uint32_t)size)) < 0)
                return rc;
        } else {
            if ((rc = fs_space_check(fs, ip->size ? 1 : 0, 0)) < 0 ||
                (rc = uninline(fs, ip)) < 0)
                return rc;
        }
    } else if (size < ip->size) {
        uint64_t keep = (size + FS_CLUSTER - 1) >> FS_CLUSTER_SHIFT;
        uint32_t tail = (uint32_t)(size & (FS_CLUSTER - 1));
        bool tail_needs = tail && (dirty_find(ip, keep - 1) ||
                                   fs_ext_get(ip, keep - 1) != FS_LCN_NONE);
        if (tail_needs && !dirty_find(ip, keep - 1) && (rc = fs_space_check(fs, 1, 0)) < 0)
            return rc;
        struct fs_dirty *d = NULL;
        if (tail_needs && (rc = dirty_get(fs, ip, keep - 1, false, &d)) < 0)
            return rc;
        if (d)
            memset(d->buf + tail, 0, FS_CLUSTER - tail); /* later growth reads zeros */
        for (size_t i = ip->ndirty; i-- > 0;)
            if (ip->dirty[i].idx >= keep)
                dirty_remove(fs, ip, i);
        if (ip->next && ip->ext[ip->next - 1].idx >= keep) {
            fs_ext_trunc(fs, ip, keep, defer_cb);
            fs_log_trunc(fs, ip->ino, keep);
        }
        if (size == 0 && ip->next == 0 && ip->ndirty == 0) {
            ip->flags |= FS_I_INLINE; /* empty again: small files pack again */
        }
    }
    ip->size = size;
    fs_fixity_changed(fs, ip);
    if (size == 0 && ip->writers)
        fs_fixity_stream_begin(ip);
    else if (!ip->hs || ip->hs_off > size)
        fs_fixity_stream_drop(ip);
    /* the truncate is done; a digest that cannot be queued now is queued when asked */
    if (!ip->writers)
        (void)fs_fixity_settle(fs, ip);
    fs_mark_dirty(fs, ip);
    return 0;
}

/* ---- open / create / release -------------------------------------------------------- */

static int open_locked(struct pfs *fs, const struct pfs_ctx *ctx, struct fs_inode *ip,
                       int flags, bool created, uint64_t *fh)
{
    int rc;
    if (ip->dir && (writes(flags) || (flags & O_TRUNC)))
        return -EISDIR;
    if (S_ISLNK(ip->mode))
        return -ELOOP;
    if (!created) {
        int mask = (flags & O_ACCMODE) == O_RDONLY ? R_OK
                 : (flags & O_ACCMODE) == O_WRONLY ? W_OK : R_OK | W_OK;
        if (flags & O_TRUNC)
            mask |= W_OK;
        if ((rc = fs_perm(ctx, ip, mask)) < 0)
            return rc;
    }
    if ((writes(flags) || (flags & O_TRUNC)) && S_ISREG(ip->mode)) {
        if ((rc = fs_writable(fs)) < 0)
            return rc;
    }
    if ((flags & O_TRUNC) && S_ISREG(ip->mode)) {
        /* POSIX marks the times on every O_TRUNC open of an existing file, empty or not
         * (`: > stamp` must refresh a make stamp). */
        if (ip->size && (rc = fs_file_truncate(fs, ip, 0)) < 0)
            return rc;
        fs_kill_suid(ctx, ip);
        ip->mtime = ip->ctime = fs_now();
        fs_mark_dirty(fs, ip);
    }
    if ((rc = handle_new(fs, ip->ino, flags, ctx->uid, fh)) < 0)
        return rc;
    ip->opens++;
    if (writes(flags) && S_ISREG(ip->mode)) {
        ip->writers++;
        if (ip->writers == 1 && ip->size == 0)
            fs_fixity_stream_begin(ip);
    }
    return 0;
}

int pfs_open(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino, int flags, uint64_t *fh)
{
    if (!fs || !ctx || !fh)
        return -EINVAL;
    pthread_mutex_lock(&fs->lock);
    struct fs_inode *ip = fs_iget(fs, ino);
    int rc = ip ? open_locked(fs, ctx, ip, flags, false, fh) : -ENOENT;
    if (rc == 0)
        rc = fs_commit_maybe(fs);
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

int pfs_create(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent, const char *name,
               mode_t mode, int flags, struct pfs_attr *out, uint64_t *fh)
{
    struct fs_inode *ip;
    size_t len;
    int rc;
    if (!fs || !ctx || !fh)
        return -EINVAL;
    if ((rc = fs_name_check(name, &len)) < 0)
        return rc;
    pthread_mutex_lock(&fs->lock);
    struct fs_inode *dp = fs_iget(fs, parent);
    struct fs_dirent *de = dp && dp->dir ? fs_dir_find(fs, dp, name, len) : NULL;
    if (de && (ip = fs_iget(fs, de->ino))) {
        /* exists: O_EXCL fails, otherwise it is an open */
        if (flags & O_EXCL)
            rc = -EEXIST;
        else if ((rc = fs_perm(ctx, dp, X_OK)) == 0)
            rc = open_locked(fs, ctx, ip, flags, false, fh);
    } else {
        rc = fs_create_node(fs, ctx, parent, name, S_IFREG | (uint32_t)(mode & 07777), 0, NULL,
                            &ip);
        if (rc == 0)
            rc = open_locked(fs, ctx, ip, flags & ~O_TRUNC, true, fh);
    }
    if (rc == 0) {
        if (out)
            fs_attr_fill(ip, out);
        rc = fs_commit_maybe(fs);
    }
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

int pfs_release(struct pfs *fs, uint64_t ino, uint64_t fh)
{
    if (!fs)
        return -EINVAL;
    int rc = 0;
    pthread_mutex_lock(&fs->lock);
    struct fs_handle *h = handle_get(fs, ino, fh);
    struct fs_inode *ip = fs_iget(fs, ino);
    if (!h) {
        rc = -EBADF;
        goto out;
    }
    bool w = writes(h->flags);
    h->used = false;
    if (!ip)
        goto out; /* a directory removed while open */
    ip->opens--;
    if (w && S_ISREG(ip->mode) && ip->writers)
        ip->writers--;
    if (ip->nlink == 0 && ip->opens == 0) {
        fs_inode_drop(fs, ip);
        goto out;
    }
    if (w && ip->writers == 0 && !fs->read_only)
        (void)fs_fixity_settle(fs, ip); /* else queued when asked (getxattr) */
    if (ip->writers == 0)
        fs_fixity_stream_drop(ip);
    int crc = fs_commit_maybe(fs);
    rc = rc < 0 ? rc : crc;
out:
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

/* ---- read --------------------------------------------------------------------------- */

struct rd_piece {
    uint64_t lcn;
    uint8_t *dst;
    uint32_t from, len;
    uint8_t *buf;
    int rc;
};

ssize_t pfs_read(struct pfs *fs, uint64_t ino, uint64_t fh, void *buf, size_t size,
                 uint64_t off)
{
    ssize_t rc;

    if (!fs || (!buf && size))
        return -EINVAL;
    pthread_mutex_lock(&fs->lock);
    struct fs_inode *ip = fs_iget(fs, ino);
    if (!ip || !handle_get(fs, ino, fh))
        rc = ip ? -EBADF : -ENOENT;
    else if (ip->dir)
        rc = -EISDIR;
    else
        rc = fs_read_locked(fs, ino, buf, size, off);
    if (rc > 0)
        fs->st.bytes_read += (uint64_t)rc;
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

ssize_t fs_read_locked(struct pfs *fs, uint64_t ino, void *buf, size_t size, uint64_t off)
{
    struct rd_piece pc[READ_ROUND];
    uint8_t *out = buf;
    size_t done = 0;
    ssize_t rc = 0;
    struct fs_inode *ip = fs_iget(fs, ino);
    if (!ip)
        return -ENOENT;
    if (off >= ip->size || size == 0)
        goto out;
    if (size > ip->size - off)
        size = (size_t)(ip->size - off);
    if (ip->flags & FS_I_INLINE) {
        memcpy(out, ip->payload + off, size);
        done = size;
        goto out;
    }
    while (done < size) {
        unsigned np = 0;
        size_t span = 0;
        /* gather one round under the lock */
        while (done + span < size && np < READ_ROUND) {
            uint64_t pos = off + done + span;
            uint64_t idx = pos >> FS_CLUSTER_SHIFT;
            uint32_t from = (uint32_t)(pos & (FS_CLUSTER - 1));
            uint32_t len = FS_CLUSTER - from;
            if (len > size - done - span)
                len = (uint32_t)(size - done - span);
            uint8_t *dst = out + done + span;
            struct fs_dirty *d = dirty_find(ip, idx);
            uint64_t lcn = d ? FS_LCN_NONE : fs_ext_get(ip, idx);
            struct fs_cache_ent *e = lcn != FS_LCN_NONE ? cache_find(fs, lcn) : NULL;
            if (d)
                memcpy(dst, d->buf + from, len);
            else if (lcn == FS_LCN_NONE)
                memset(dst, 0, len);
            else if (e)
                memcpy(dst, e->buf + from, len);
            else {
                if (fs_inflight_add(fs, lcn) < 0)
                    break;
                pc[np++] = (struct rd_piece){lcn, dst, from, len, NULL, 0};
            }
            span += len;
        }
        if (np == 0 && span == 0) {
            rc = -ENOMEM; /* could not even register one cluster: do not spin */
            goto out;
        }
        pthread_mutex_unlock(&fs->lock);
        for (unsigned i = 0; i < np; i++) {
            pc[i].buf = fs_pool_get(fs);
            pc[i].rc = pc[i].buf ? sector_read(fs->dev, pc[i].lcn, pc[i].buf, NULL) : -ENOMEM;
            if (pc[i].rc == 0)
                memcpy(pc[i].dst, pc[i].buf + pc[i].from, pc[i].len);
        }
        pthread_mutex_lock(&fs->lock);
        for (unsigned i = 0; i < np; i++) {
            fs_inflight_del(fs, pc[i].lcn);
            if (pc[i].rc == 0 && fs->al.state[pc[i].lcn] == FS_LCN_USED &&
                !cache_find(fs, pc[i].lcn))
                cache_put(fs, pc[i].lcn, &pc[i].buf);
            fs_pool_put(fs, pc[i].buf);
            if (pc[i].rc < 0)
                rc = pc[i].rc == -ENOMEM ? -ENOMEM : -EIO;
        }
        for (unsigned i = 0; i < np; i++)
            if (pc[i].rc == -EIO) {
                fs->st.io_errors++;
                ip = fs_iget(fs, ino);
                if (ip)
                    report_io(fs, ip, off + (uint64_t)(pc[i].dst - out),
                              "uncorrectable data cluster");
            }
        done += span;
        if (rc < 0 || !(ip = fs_iget(fs, ino)))
            break;
    }
out:
    return rc < 0 ? rc : (ssize_t)done;
}

/* ---- write -------------------------------------------------------------------------- */

static ssize_t write_locked(struct pfs *fs, struct fs_inode *ip, struct fs_handle *h,
                            const uint8_t *src, size_t size, uint64_t off)
{
    int rc;
    if (h->flags & O_APPEND)
        off = ip->size;
    if (off > FS_MAX_FILE_SIZE || size > FS_MAX_FILE_SIZE - off)
        return -EFBIG;
    uint64_t end = off + size;
    if ((ip->flags & FS_I_INLINE) && end <= FS_INLINE_MAX) {
        if (end > ip->payload_len) {
            if ((rc = fs_space_check(fs, 0, end - ip->payload_len)) < 0)
                return rc;
            uint8_t tmp[FS_INLINE_MAX];
            if (ip->payload_len)
                memcpy(tmp, ip->payload, ip->payload_len);
            memset(tmp + ip->payload_len, 0, end - ip->payload_len);
            if ((rc = fs_payload_set(fs, ip, tmp, (uint32_t)end)) < 0)
                return rc;
            ip->size = end;
        }
        memcpy(ip->payload + off, src, size);
    } else {
        uint64_t first = off >> FS_CLUSTER_SHIFT, last = (end - 1) >> FS_CLUSTER_SHIFT;
        uint64_t need = (ip->flags & FS_I_INLINE) && ip->size ? 1 : 0;
        for (uint64_t k = first; k <= last && need <= last - first + 2; k++)
            if (!dirty_find(ip, k))
                need++;
        if ((rc = fs_space_check(fs, need, 0)) < 0)
            return rc;
        if ((ip->flags & FS_I_INLINE) && (rc = uninline(fs, ip)) < 0)
            return rc;
        size_t done = 0;
        while (done < size) {
            uint64_t pos = off + done, idx = pos >> FS_CLUSTER_SHIFT;
            uint32_t from = (uint32_t)(pos & (FS_CLUSTER - 1));
            size_t len = FS_CLUSTER - from < size - done ? FS_CLUSTER - from : size - done;
            bool whole = from == 0 && len == FS_CLUSTER;
            struct fs_dirty *d;
            if ((rc = dirty_get(fs, ip, idx, whole, &d)) < 0) {
                if (done == 0)
                    return rc;
                break;
            }
            memcpy(d->buf + from, src + done, len);
            done += len;
            if (pos + len > ip->size)
                ip->size = pos + len;
            if (from + len == FS_CLUSTER) {
                /* complete: write it behind now (rule 2) */
                if ((rc = flush_one(fs, ip, (size_t)(d - ip->dirty))) < 0) {
                    report_io(fs, ip, pos, "data cluster write failed");
                    /* The bytes copied so far stay in the file (this cluster stays
                     * dirty and goes out at the next commit): the content changed, so
                     * the digest goes, and the clusters before this one count. */
                    fs_fixity_stream_drop(ip);
                    fs_fixity_changed(fs, ip);
                    ip->mtime = ip->ctime = fs_now();
                    fs_mark_dirty(fs, ip);
                    return done > len ? (ssize_t)(done - len) : rc;
                }
            }
        }
        size = done;
        end = off + size;
    }
    fs_fixity_stream_feed(ip, off, src, size);
    return (ssize_t)size;
}

ssize_t pfs_write(struct pfs *fs, uint64_t ino, uint64_t fh, const void *buf, size_t size,
                  uint64_t off)
{
    ssize_t rc;
    if (!fs || (!buf && size))
        return -EINVAL;
    pthread_mutex_lock(&fs->lock);
    struct fs_inode *ip = fs_iget(fs, ino);
    struct fs_handle *h = ip ? handle_get(fs, ino, fh) : NULL;
    if (!ip || !h || !writes(h->flags)) {
        rc = ip ? -EBADF : -ENOENT;
        goto out;
    }
    if (!S_ISREG(ip->mode)) {
        rc = ip->dir ? -EISDIR : -EINVAL;
        goto out;
    }
    if ((rc = fs_writable(fs)) < 0)
        goto out;
    if (size == 0)
        goto out;
    rc = write_locked(fs, ip, h, buf, size, off);
    if (rc > 0) {
        /* a write by anyone but root clears set-user-ID (and group-executable
         * set-group-ID); the writer is whoever opened the handle */
        struct pfs_ctx who = {.uid = h->uid, .gid = 0};
        fs_kill_suid(&who, ip);
        fs_fixity_changed(fs, ip);
        ip->mtime = ip->ctime = fs_now();
        h->wrote = true;
        fs_mark_dirty(fs, ip);
        fs->st.bytes_written += (uint64_t)rc;
        int crc = fs_commit_maybe(fs);
        if (crc < 0)
            fs_report(fs, crc, "", 0, "commit after write failed");
    }
out:
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

int pfs_fsync(struct pfs *fs, uint64_t ino, int datasync)
{
    (void)datasync; /* data and metadata go in one commit */
    if (!fs)
        return -EINVAL;
    pthread_mutex_lock(&fs->lock);
    int rc = fs_iget(fs, ino) ? fs_commit(fs) : -ENOENT;
    pthread_mutex_unlock(&fs->lock);
    return rc;
}
