/*
 * ops.c — the FUSE low-level operations of phasefs: thin glue from each request to one
 * pfs_* call (DESIGN.md "src/daemon"). Inode numbers pass through unchanged (FUSE's
 * root is 1, as PFS_ROOT_INO); errors pass through as the positive errno FUSE wants.
 *
 * What this file deliberately does not do: check permissions (libpfs does, for every
 * caller, from the struct pfs_ctx built here out of fuse_req_ctx and
 * fuse_req_getgroups), keep an inode table (libpfs owns inode lifetime; forget is
 * bookkeeping only), or cache data (no writeback cache: every write reaches libpfs
 * before write(2) returns). Buffers for read, readdir and xattrs are per worker
 * thread, grown to the largest request seen (bounded by max_write / the kernel's
 * limits), and freed when the thread ends; no request allocates a large buffer.
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- per-thread buffers ----------------------------------------------------------- */

struct thread_buf {
    char *data;
    size_t cap;
    gid_t *groups;
    int groups_cap;
};

static pthread_key_t buf_key;
static pthread_once_t buf_once = PTHREAD_ONCE_INIT;
static int buf_key_ok;

static void thread_buf_free(void *p)
{
    struct thread_buf *t = p;
    if (!t)
        return;
    free(t->data);
    free(t->groups);
    free(t);
}

static void buf_key_create(void)
{
    buf_key_ok = pthread_key_create(&buf_key, thread_buf_free) == 0;
}

static struct thread_buf *thread_buf_get(void)
{
    pthread_once(&buf_once, buf_key_create);
    if (!buf_key_ok)
        return NULL;
    struct thread_buf *t = pthread_getspecific(buf_key);
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t || pthread_setspecific(buf_key, t) != 0) {
            free(t);
            return NULL;
        }
    }
    return t;
}

/* This thread's data buffer, at least size bytes (NULL: out of memory). */
static char *thread_data(size_t size)
{
    struct thread_buf *t = thread_buf_get();
    if (!t)
        return NULL;
    if (size == 0)
        size = 1;
    if (t->cap < size) {
        size_t cap = t->cap ? t->cap : 64 * 1024;
        while (cap < size)
            cap *= 2;
        char *p = realloc(t->data, cap);
        if (!p)
            return NULL;
        t->data = p;
        t->cap = cap;
    }
    return t->data;
}

/* ---- request helpers -------------------------------------------------------------- */

static struct phasefs *state(fuse_req_t req)
{
    return fuse_req_userdata(req);
}

/* Who asks: uid, gid, pid and supplementary groups of the calling process. Root's
 * groups are not fetched: they change no permission decision, and fetching costs a
 * read of /proc/PID/status per request. */
static void req_ctx(fuse_req_t req, struct pfs_ctx *c)
{
    const struct fuse_ctx *fc = fuse_req_ctx(req);
    c->uid = fc->uid;
    c->gid = fc->gid;
    c->pid = fc->pid;
    c->groups = NULL;
    c->ngroups = 0;
    if (fc->uid == 0)
        return;
    struct thread_buf *t = thread_buf_get();
    if (!t)
        return;
    for (int tries = 0; tries < 2; tries++) {
        int n = fuse_req_getgroups(req, t->groups_cap, t->groups);
        if (n <= 0)
            return; /* -ENOSYS or the process is gone: no supplementary groups */
        if (n <= t->groups_cap) {
            c->groups = t->groups;
            c->ngroups = n;
            return;
        }
        gid_t *g = realloc(t->groups, (size_t)n * sizeof *g);
        if (!g)
            return;
        t->groups = g;
        t->groups_cap = n;
    }
}

static void attr_to_stat(const struct pfs_attr *a, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_ino = (ino_t)a->ino;
    st->st_mode = a->mode;
    st->st_nlink = a->nlink;
    st->st_uid = a->uid;
    st->st_gid = a->gid;
    st->st_rdev = a->rdev;
    st->st_size = (off_t)a->size;
    st->st_blocks = (blkcnt_t)a->blocks;
    st->st_blksize = SECTOR_CLUSTER_USER_BYTES;
    st->st_atim = a->atime;
    st->st_mtim = a->mtime;
    st->st_ctim = a->ctime;
}

static void entry_param(const struct phasefs *d, const struct pfs_attr *a,
                        struct fuse_entry_param *e)
{
    memset(e, 0, sizeof *e);
    e->ino = a->ino;
    e->generation = a->generation;
    attr_to_stat(a, &e->attr);
    e->attr_timeout = d->attr_timeout_s;
    e->entry_timeout = d->entry_timeout_s;
}

static void reply_entry_or_err(fuse_req_t req, int rc, const struct pfs_attr *a)
{
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    struct fuse_entry_param e;
    entry_param(state(req), a, &e);
    fuse_reply_entry(req, &e);
}

static void reply_status(fuse_req_t req, int rc)
{
    fuse_reply_err(req, rc < 0 ? -rc : 0);
}

/* ---- session ---------------------------------------------------------------------- */

static void phasefs_ll_init(void *userdata, struct fuse_conn_info *conn)
{
    struct phasefs *d = userdata;
    /* Writes must reach libpfs before write(2) returns, so fsync and crash
     * consistency mean what they say: no writeback cache. */
    conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
    /* libpfs truncates on open(O_TRUNC) itself, after its permission check. */
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
        conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
    /* libpfs clears set-user-ID/set-group-ID itself on a write, truncate or chown by
     * someone else (perm.c); without this the kernel asks for it as a chmod in the
     * writer's name, which only the owner may do. */
    if (conn->capable & FUSE_CAP_HANDLE_KILLPRIV)
        conn->want |= FUSE_CAP_HANDLE_KILLPRIV;
    if (conn->capable & FUSE_CAP_READDIRPLUS)
        conn->want |= FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO;
    /* Big writes: up to 1 MiB per request (libfuse caps this at its buffer size). */
    conn->max_write = d->max_write;
    conn->time_gran = 1; /* libpfs keeps nanoseconds */
}

static void phasefs_ll_destroy(void *userdata)
{
    /* The filesystem is committed and freed by main() once the session loop ends, on
     * every path (unmount, signal, error); nothing to do here. */
    (void)userdata;
}

/* ---- namespace -------------------------------------------------------------------- */

static void phasefs_ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct phasefs *d = state(req);
    struct pfs_ctx c;
    struct pfs_attr a;
    req_ctx(req, &c);
    int rc = pfs_lookup(d->fs, &c, parent, name, &a);
    if (rc == -ENOENT) {
        /* A negative entry: the kernel remembers the absence for entry_timeout. */
        struct fuse_entry_param e;
        memset(&e, 0, sizeof e);
        e.entry_timeout = d->entry_timeout_s;
        fuse_reply_entry(req, &e);
        return;
    }
    reply_entry_or_err(req, rc, &a);
}

static void phasefs_ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    /* libpfs keeps inodes by number and frees an unlinked one at its last release;
     * the kernel's lookup count needs no bookkeeping beyond the reply. */
    (void)ino;
    (void)nlookup;
    fuse_reply_none(req);
}

static void phasefs_ll_forget_multi(fuse_req_t req, size_t count,
                                    struct fuse_forget_data *forgets)
{
    (void)count;
    (void)forgets;
    fuse_reply_none(req);
}

static void phasefs_ll_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)fi;
    struct phasefs *d = state(req);
    struct pfs_attr a;
    int rc = pfs_getattr(d->fs, ino, &a);
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    struct stat st;
    attr_to_stat(&a, &st);
    fuse_reply_attr(req, &st, d->attr_timeout_s);
}

static void phasefs_ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                               struct fuse_file_info *fi)
{
    struct phasefs *d = state(req);
    struct pfs_ctx c;
    struct pfs_setattr sa;
    unsigned fields = 0;
    memset(&sa, 0, sizeof sa);
    if (to_set & FUSE_SET_ATTR_MODE) {
        fields |= PFS_SET_MODE;
        sa.mode = attr->st_mode;
    }
    if (to_set & FUSE_SET_ATTR_UID) {
        fields |= PFS_SET_UID;
        sa.uid = attr->st_uid;
    }
    if (to_set & FUSE_SET_ATTR_GID) {
        fields |= PFS_SET_GID;
        sa.gid = attr->st_gid;
    }
    if (to_set & FUSE_SET_ATTR_SIZE) {
        if (attr->st_size < 0) {
            fuse_reply_err(req, EINVAL);
            return;
        }
        fields |= PFS_SET_SIZE;
        sa.size = (uint64_t)attr->st_size;
    }
    /* UTIME_NOW arrives as *_NOW: libpfs then takes the time itself and applies the
     * rule for "now" (write permission suffices) rather than the owner-only rule. */
    if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
        fields |= PFS_SET_ATIME_NOW;
    } else if (to_set & FUSE_SET_ATTR_ATIME) {
        fields |= PFS_SET_ATIME;
        sa.atime = attr->st_atim;
    }
    if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
        fields |= PFS_SET_MTIME_NOW;
    } else if (to_set & FUSE_SET_ATTR_MTIME) {
        fields |= PFS_SET_MTIME;
        sa.mtime = attr->st_mtim;
    }
    if (to_set & FUSE_SET_ATTR_CTIME) {
        fields |= PFS_SET_CTIME;
        sa.ctime = attr->st_ctim;
    }
    if (fi && fields) { /* ftruncate/futimens: the handle's access counts */
        fields |= PFS_SET_FH;
        sa.fh = fi->fh;
    }
    req_ctx(req, &c);
    struct pfs_attr a;
    int rc = pfs_setattr(d->fs, &c, ino, &sa, fields, &a);
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    struct stat st;
    attr_to_stat(&a, &st);
    fuse_reply_attr(req, &st, d->attr_timeout_s);
}

static void phasefs_ll_readlink(fuse_req_t req, fuse_ino_t ino)
{
    char buf[PFS_PATH_MAX + 1];
    ssize_t n = pfs_readlink(state(req)->fs, ino, buf, PFS_PATH_MAX);
    if (n < 0) {
        fuse_reply_err(req, (int)-n);
        return;
    }
    buf[n] = '\0';
    fuse_reply_readlink(req, buf);
}

static void phasefs_ll_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                             dev_t rdev)
{
    struct pfs_ctx c;
    struct pfs_attr a;
    req_ctx(req, &c);
    reply_entry_or_err(req, pfs_mknod(state(req)->fs, &c, parent, name, mode, rdev, &a), &a);
}

static void phasefs_ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
    struct pfs_ctx c;
    struct pfs_attr a;
    req_ctx(req, &c);
    reply_entry_or_err(req, pfs_mkdir(state(req)->fs, &c, parent, name, mode, &a), &a);
}

static void phasefs_ll_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
                               const char *name)
{
    struct pfs_ctx c;
    struct pfs_attr a;
    req_ctx(req, &c);
    reply_entry_or_err(req, pfs_symlink(state(req)->fs, &c, link, parent, name, &a), &a);
}

static void phasefs_ll_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
                            const char *newname)
{
    struct pfs_ctx c;
    struct pfs_attr a;
    req_ctx(req, &c);
    reply_entry_or_err(req, pfs_link(state(req)->fs, &c, ino, newparent, newname, &a), &a);
}

static void phasefs_ll_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct pfs_ctx c;
    req_ctx(req, &c);
    reply_status(req, pfs_unlink(state(req)->fs, &c, parent, name));
}

static void phasefs_ll_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct pfs_ctx c;
    req_ctx(req, &c);
    reply_status(req, pfs_rmdir(state(req)->fs, &c, parent, name));
}

static void phasefs_ll_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
                              fuse_ino_t newparent, const char *newname, unsigned int flags)
{
    /* RENAME_WHITEOUT (overlayfs) and unknown flags are not supported. */
    if (flags & ~(PFS_RENAME_NOREPLACE | PFS_RENAME_EXCHANGE)) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    struct pfs_ctx c;
    req_ctx(req, &c);
    reply_status(req, pfs_rename(state(req)->fs, &c, parent, name, newparent, newname, flags));
}

static void phasefs_ll_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
    struct pfs_ctx c;
    req_ctx(req, &c);
    reply_status(req, pfs_access(state(req)->fs, &c, ino, mask));
}

/* ---- file data -------------------------------------------------------------------- */

static void phasefs_ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct pfs_ctx c;
    uint64_t fh = 0;
    req_ctx(req, &c);
    int rc = pfs_open(state(req)->fs, &c, ino, fi->flags, &fh);
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    fi->fh = fh;
    if (fuse_reply_open(req, fi) == -ENOENT) /* the caller was interrupted */
        (void)pfs_release(state(req)->fs, ino, fh);
}

static void phasefs_ll_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                              struct fuse_file_info *fi)
{
    struct phasefs *d = state(req);
    struct pfs_ctx c;
    struct pfs_attr a;
    uint64_t fh = 0;
    req_ctx(req, &c);
    int rc = pfs_create(d->fs, &c, parent, name, mode, fi->flags, &a, &fh);
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    struct fuse_entry_param e;
    entry_param(d, &a, &e);
    fi->fh = fh;
    if (fuse_reply_create(req, &e, fi) == -ENOENT)
        (void)pfs_release(d->fs, a.ino, fh);
}

static void phasefs_ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                            struct fuse_file_info *fi)
{
    if (off < 0) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    char *buf = thread_data(size);
    if (!buf) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    ssize_t n = pfs_read(state(req)->fs, ino, fi->fh, buf, size, (uint64_t)off);
    if (n < 0)
        fuse_reply_err(req, (int)-n);
    else
        fuse_reply_buf(req, buf, (size_t)n);
}

static void phasefs_ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
                             off_t off, struct fuse_file_info *fi)
{
    if (off < 0) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    ssize_t n = pfs_write(state(req)->fs, ino, fi->fh, buf, size, (uint64_t)off);
    if (n < 0)
        fuse_reply_err(req, (int)-n);
    else
        fuse_reply_write(req, (size_t)n);
}

static void phasefs_ll_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    /* Every write already reached libpfs; close(2) has nothing left to report.
     * Durability is fsync's job (or the periodic commit). */
    (void)ino;
    (void)fi;
    fuse_reply_err(req, 0);
}

static void phasefs_ll_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    int rc = pfs_release(state(req)->fs, ino, fi->fh);
    if (rc < 0)
        fuse_log(FUSE_LOG_ERR, "phasefs: inode %llu: release failed: %s\n",
                 (unsigned long long)ino, strerror(-rc));
    fuse_reply_err(req, 0); /* the kernel ignores it; the file is closed either way */
}

static void phasefs_ll_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
                             struct fuse_file_info *fi)
{
    (void)fi;
    reply_status(req, pfs_fsync(state(req)->fs, ino, datasync));
}

/* ---- directories ------------------------------------------------------------------ */

static void phasefs_ll_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    /* Opening a directory needs read permission, as open(2) of a directory does;
     * pfs_readdir checks again per call. No per-handle state: cookies carry it. */
    struct pfs_ctx c;
    req_ctx(req, &c);
    int rc = pfs_access(state(req)->fs, &c, ino, R_OK);
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    fi->fh = 0;
    fuse_reply_open(req, fi);
}

struct dir_fill {
    fuse_req_t req;
    const struct phasefs *d;
    char *buf;
    size_t size, used;
    bool plus;
};

static int dir_fill_one(void *arg, const char *name, const struct pfs_attr *attr,
                        uint64_t next_off)
{
    struct dir_fill *f = arg;
    size_t room = f->size - f->used, need;
    if (f->plus) {
        struct fuse_entry_param e;
        entry_param(f->d, attr, &e);
        need = fuse_add_direntry_plus(f->req, f->buf + f->used, room, name, &e,
                                      (off_t)next_off);
    } else {
        struct stat st;
        attr_to_stat(attr, &st);
        need = fuse_add_direntry(f->req, f->buf + f->used, room, name, &st, (off_t)next_off);
    }
    if (need > room)
        return 1; /* full: the next request resumes at this entry's cookie */
    f->used += need;
    return 0;
}

static void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
    if (off < 0) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    struct dir_fill f = {.req = req, .d = state(req), .size = size, .used = 0, .plus = plus};
    f.buf = thread_data(size);
    if (!f.buf) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    struct pfs_ctx c;
    req_ctx(req, &c);
    int rc = pfs_readdir(f.d->fs, &c, ino, (uint64_t)off, dir_fill_one, &f);
    if (rc < 0 && f.used == 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    /* On an error after some entries, return those; the next call meets it again. */
    fuse_reply_buf(req, f.buf, f.used);
}

static void phasefs_ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                               struct fuse_file_info *fi)
{
    (void)fi;
    readdir_common(req, ino, size, off, false);
}

static void phasefs_ll_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                                   struct fuse_file_info *fi)
{
    (void)fi;
    readdir_common(req, ino, size, off, true);
}

static void phasefs_ll_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    (void)fi;
    fuse_reply_err(req, 0);
}

static void phasefs_ll_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
                                struct fuse_file_info *fi)
{
    (void)fi;
    reply_status(req, pfs_fsync(state(req)->fs, ino, datasync));
}

static void phasefs_ll_statfs(fuse_req_t req, fuse_ino_t ino)
{
    (void)ino;
    struct statvfs st;
    int rc = pfs_statfs(state(req)->fs, &st);
    if (rc < 0)
        fuse_reply_err(req, -rc);
    else
        fuse_reply_statfs(req, &st);
}

/* ---- extended attributes ---------------------------------------------------------- */

static void phasefs_ll_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
                                const char *value, size_t size, int flags)
{
    struct pfs_ctx c;
    req_ctx(req, &c);
    reply_status(req, pfs_setxattr(state(req)->fs, &c, ino, name, value, size, flags));
}

static void phasefs_ll_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
    struct pfs_ctx c;
    req_ctx(req, &c);
    char *buf = NULL;
    if (size > 0 && !(buf = thread_data(size))) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    ssize_t n = pfs_getxattr(state(req)->fs, &c, ino, name, buf, size);
    if (n < 0)
        fuse_reply_err(req, (int)-n);
    else if (size == 0)
        fuse_reply_xattr(req, (size_t)n);
    else
        fuse_reply_buf(req, buf, (size_t)n);
}

static void phasefs_ll_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
    struct pfs_ctx c;
    req_ctx(req, &c);
    char *buf = NULL;
    if (size > 0 && !(buf = thread_data(size))) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    ssize_t n = pfs_listxattr(state(req)->fs, &c, ino, buf, size);
    if (n < 0)
        fuse_reply_err(req, (int)-n);
    else if (size == 0)
        fuse_reply_xattr(req, (size_t)n);
    else
        fuse_reply_buf(req, buf, (size_t)n);
}

static void phasefs_ll_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
    struct pfs_ctx c;
    req_ctx(req, &c);
    reply_status(req, pfs_removexattr(state(req)->fs, &c, ino, name));
}

const struct fuse_lowlevel_ops phasefs_ll_ops = {
    .init = phasefs_ll_init,
    .destroy = phasefs_ll_destroy,
    .lookup = phasefs_ll_lookup,
    .forget = phasefs_ll_forget,
    .forget_multi = phasefs_ll_forget_multi,
    .getattr = phasefs_ll_getattr,
    .setattr = phasefs_ll_setattr,
    .readlink = phasefs_ll_readlink,
    .mknod = phasefs_ll_mknod,
    .mkdir = phasefs_ll_mkdir,
    .unlink = phasefs_ll_unlink,
    .rmdir = phasefs_ll_rmdir,
    .symlink = phasefs_ll_symlink,
    .rename = phasefs_ll_rename,
    .link = phasefs_ll_link,
    .open = phasefs_ll_open,
    .read = phasefs_ll_read,
    .write = phasefs_ll_write,
    .flush = phasefs_ll_flush,
    .release = phasefs_ll_release,
    .fsync = phasefs_ll_fsync,
    .opendir = phasefs_ll_opendir,
    .readdir = phasefs_ll_readdir,
    .readdirplus = phasefs_ll_readdirplus,
    .releasedir = phasefs_ll_releasedir,
    .fsyncdir = phasefs_ll_fsyncdir,
    .statfs = phasefs_ll_statfs,
    .setxattr = phasefs_ll_setxattr,
    .getxattr = phasefs_ll_getxattr,
    .listxattr = phasefs_ll_listxattr,
    .removexattr = phasefs_ll_removexattr,
    .access = phasefs_ll_access,
    .create = phasefs_ll_create,
};
