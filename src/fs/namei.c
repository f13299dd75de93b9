/*
 * namei.c — namespace operations of pfs.h: lookup, getattr, setattr, mknod, mkdir,
 * symlink, readlink, link, unlink, rmdir, rename (NOREPLACE, EXCHANGE), access and
 * readdir, with the errors POSIX names for each (rename(2), link(2), unlink(2) ... of
 * POSIX.1-2017 as Linux implements them). Each operation changes the in-memory model
 * and appends its log records under fs->lock (log.c invariant 1); permissions are
 * perm.c's; file data and truncation are file.c's.
 */
#include "fs_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NEW_INODE_META 512u /* metadata bytes a new inode and its entry may take */

void fs_attr_fill(const struct fs_inode *ip, struct pfs_attr *out)
{
    memset(out, 0, sizeof *out);
    out->ino = ip->ino;
    out->mode = ip->mode;
    out->nlink = ip->nlink;
    out->uid = ip->uid;
    out->gid = ip->gid;
    out->rdev = (dev_t)ip->rdev;
    out->size = ip->size;
    if (ip->payload_len)
        out->blocks = (ip->payload_len + 511u) / 512u;
    else
        out->blocks = (uint64_t)(ip->next + ip->ndirty) * (FS_CLUSTER / 512u);
    out->atime = ip->atime;
    out->mtime = ip->mtime;
    out->ctime = ip->ctime;
    out->generation = 1;
}

int fs_name_check(const char *name, size_t *len)
{
    if (!name)
        return -EINVAL;
    size_t n = strnlen(name, PFS_NAME_MAX + 1);
    if (n == 0)
        return -ENOENT;
    if (n > PFS_NAME_MAX)
        return -ENAMETOOLONG;
    if (memchr(name, '/', n))
        return -EINVAL;
    *len = n;
    return 0;
}

static bool is_dot(const char *n, size_t len)
{
    return (len == 1 && n[0] == '.') || (len == 2 && n[0] == '.' && n[1] == '.');
}

/* The directory ino, or an error: -ENOENT, -ENOTDIR. */
static int get_dir(struct pfs *fs, uint64_t ino, struct fs_inode **dp)
{
    struct fs_inode *ip = fs_iget(fs, ino);
    if (!ip)
        return -ENOENT;
    if (!ip->dir)
        return -ENOTDIR;
    *dp = ip;
    return 0;
}

void fs_inode_drop(struct pfs *fs, struct fs_inode *ip)
{
    fs_fixity_forget(fs, ip);
    for (size_t i = 0; i < ip->next; i++)
        (void)fs_alloc_defer(fs, ip->ext[i].lcn);
    fs_log_free(fs, ip->ino);
    fs_inode_destroy(fs, ip);
}

static void touch_dir(struct pfs *fs, struct fs_inode *dp, struct timespec now)
{
    dp->mtime = dp->ctime = now;
    fs_mark_dirty(fs, dp);
}

/* ---- lookup / getattr / access ---------------------------------------------------- */

int pfs_lookup(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent, const char *name,
               struct pfs_attr *out)
{
    struct fs_inode *dp, *ip;
    size_t len;
    int rc;
    if (!fs || !ctx || !out)
        return -EINVAL;
    if ((rc = fs_name_check(name, &len)) < 0)
        return rc;
    pthread_mutex_lock(&fs->lock);
    if ((rc = get_dir(fs, parent, &dp)) < 0 || (rc = fs_perm(ctx, dp, X_OK)) < 0)
        goto out;
    if (len == 1 && name[0] == '.') {
        ip = dp;
    } else if (len == 2 && name[0] == '.' && name[1] == '.') {
        ip = fs_iget(fs, dp->dir->parent);
    } else {
        struct fs_dirent *de = fs_dir_find(fs, dp, name, len);
        ip = de ? fs_iget(fs, de->ino) : NULL;
    }
    if (!ip) {
        rc = -ENOENT;
        goto out;
    }
    fs_attr_fill(ip, out);
out:
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

int pfs_getattr(struct pfs *fs, uint64_t ino, struct pfs_attr *out)
{
    if (!fs || !out)
        return -EINVAL;
    pthread_mutex_lock(&fs->lock);
    struct fs_inode *ip = fs_iget(fs, ino);
    if (ip)
        fs_attr_fill(ip, out);
    pthread_mutex_unlock(&fs->lock);
    return ip ? 0 : -ENOENT;
}

int pfs_access(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino, int mask)
{
    if (!fs || !ctx || (mask & ~(R_OK | W_OK | X_OK | F_OK)))
        return -EINVAL;
    pthread_mutex_lock(&fs->lock);
    struct fs_inode *ip = fs_iget(fs, ino);
    int rc = ip ? fs_perm(ctx, ip, mask) : -ENOENT;
    if (rc == 0 && (mask & W_OK) && fs->read_only)
        rc = -EROFS;
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

/* ---- setattr ------------------------------------------------------------------------ */

int pfs_setattr(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino,
                const struct pfs_setattr *sa, unsigned fields, struct pfs_attr *out)
{
    int rc;
    if (!fs || !ctx || (!sa && fields))
        return -EINVAL;
    pthread_mutex_lock(&fs->lock);
    struct fs_inode *ip = fs_iget(fs, ino);
    if (!ip) {
        rc = -ENOENT;
        goto out;
    }
    if (fields && (rc = fs_writable(fs)) < 0)
        goto out;
    bool write_handle = (fields & PFS_SET_FH) && fs_handle_writes(fs, ino, sa->fh);
    if ((rc = fs_setattr_check(ctx, ip, sa, fields, write_handle)) < 0)
        goto out;
    struct timespec now = fs_now();
    if (fields & PFS_SET_SIZE) {
        if (sa->size > FS_MAX_FILE_SIZE) {
            rc = -EFBIG;
            goto out;
        }
        if ((rc = fs_file_truncate(fs, ip, sa->size)) < 0)
            goto out;
        fs_kill_suid(ctx, ip);
        if (!(fields & (PFS_SET_MTIME | PFS_SET_MTIME_NOW)))
            ip->mtime = now;
    }
    if (fields & PFS_SET_MODE) {
        uint32_t mode = (ip->mode & S_IFMT) | (sa->mode & 07777);
        if (ctx->uid != 0 && !fs_in_group(ctx, ip->gid))
            mode &= ~(uint32_t)S_ISGID;
        ip->mode = mode;
    }
    if (fields & (PFS_SET_UID | PFS_SET_GID)) {
        if (fields & PFS_SET_UID)
            ip->uid = sa->uid;
        if (fields & PFS_SET_GID)
            ip->gid = sa->gid;
        if (ctx->uid != 0 && !S_ISDIR(ip->mode)) {
            ip->mode &= ~(uint32_t)S_ISUID;
            if (ip->mode & S_IXGRP)
                ip->mode &= ~(uint32_t)S_ISGID;
        }
    }
    if (fields & PFS_SET_ATIME_NOW)
        ip->atime = now;
    else if (fields & PFS_SET_ATIME)
        ip->atime = sa->atime;
    if (fields & PFS_SET_MTIME_NOW)
        ip->mtime = now;
    else if (fields & PFS_SET_MTIME)
        ip->mtime = sa->mtime;
    if (fields) {
        ip->ctime = (fields & PFS_SET_CTIME) ? sa->ctime : now;
        fs_mark_dirty(fs, ip);
        rc = fs_commit_maybe(fs);
    }
    if (out)
        fs_attr_fill(ip, out);
out:
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

/* ---- creation ----------------------------------------------------------------------- */

/* Create an inode named name in parent (checks, log records, parent times). Holds lock. */
static int create_locked(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent,
                         const char *name, uint32_t mode, uint64_t rdev, const char *target,
                         struct fs_inode **res)
{
    struct fs_inode *dp, *ip;
    size_t len, tlen = target ? strlen(target) : 0;
    int rc;

    if ((rc = fs_name_check(name, &len)) < 0)
        return rc;
    if ((rc = fs_writable(fs)) < 0)
        return rc;
    if ((rc = get_dir(fs, parent, &dp)) < 0 || (rc = fs_perm(ctx, dp, X_OK)) < 0)
        return rc;
    if (is_dot(name, len) || fs_dir_find(fs, dp, name, len))
        return -EEXIST;
    if ((rc = fs_perm(ctx, dp, W_OK)) < 0)
        return rc;
    if (S_ISDIR(mode) && dp->nlink >= UINT32_MAX - 1)
        return -EMLINK;
    if ((rc = fs_space_check(fs, 0, NEW_INODE_META + len + tlen)) < 0)
        return rc;
    ip = fs_inode_new(fs, fs->next_ino, mode);
    if (!ip)
        return -ENOMEM;
    ip->uid = ctx->uid;
    ip->gid = (dp->mode & S_ISGID) ? dp->gid : ctx->gid;
    if (S_ISDIR(mode) && (dp->mode & S_ISGID))
        ip->mode |= S_ISGID;
    else if (!S_ISDIR(mode) && (ip->mode & S_ISGID) && ctx->uid != 0 &&
             !fs_in_group(ctx, ip->gid))
        ip->mode &= ~(uint32_t)S_ISGID;
    ip->rdev = rdev;
    ip->nlink = S_ISDIR(mode) ? 2 : 1;
    ip->hint_parent = dp->ino;
    if (ip->dir)
        ip->dir->parent = dp->ino;
    if (target && (rc = fs_payload_set(fs, ip, target, (uint32_t)tlen)) < 0)
        goto fail;
    if (target)
        ip->size = tlen;
    ip->atime = ip->mtime = ip->ctime = fs_now();
    if (S_ISREG(mode))
        ip->flags |= FS_I_DIGEST; /* empty content: digest of nothing */
    if (S_ISREG(mode))
        crypto_generichash(ip->digest, PFS_FIXITY_BYTES, NULL, 0, NULL, 0);
    if ((rc = fs_dir_add(fs, dp, name, len, ip->ino)) < 0)
        goto fail;
    fs_log_inode(fs, ip);
    fs_log_dirent_add(fs, dp->ino, name, len, ip->ino);
    if (S_ISDIR(mode))
        dp->nlink++;
    touch_dir(fs, dp, ip->ctime);
    *res = ip;
    return 0;
fail:
    fs_inode_destroy(fs, ip);
    return rc;
}

int fs_create_node(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent,
                   const char *name, uint32_t mode, uint64_t rdev, const char *target,
                   struct fs_inode **res)
{
    return create_locked(fs, ctx, parent, name, mode, rdev, target, res);
}

int pfs_mknod(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent, const char *name,
              mode_t mode, dev_t rdev, struct pfs_attr *out)
{
    struct fs_inode *ip;
    if (!fs || !ctx)
        return -EINVAL;
    switch (mode & S_IFMT) {
    case S_IFREG: case S_IFIFO: case S_IFSOCK: case S_IFCHR: case S_IFBLK:
        break;
    case 0:
        mode |= S_IFREG;
        break;
    default:
        return -EINVAL;
    }
    if ((S_ISCHR(mode) || S_ISBLK(mode)) && ctx->uid != 0)
        return -EPERM;
    pthread_mutex_lock(&fs->lock);
    int rc = create_locked(fs, ctx, parent, name, (uint32_t)(mode & (S_IFMT | 07777)),
                           (S_ISCHR(mode) || S_ISBLK(mode)) ? (uint64_t)rdev : 0, NULL, &ip);
    if (rc == 0) {
        if (out)
            fs_attr_fill(ip, out);
        rc = fs_commit_maybe(fs);
    }
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

int pfs_mkdir(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent, const char *name,
              mode_t mode, struct pfs_attr *out)
{
    struct fs_inode *ip;
    if (!fs || !ctx)
        return -EINVAL;
    pthread_mutex_lock(&fs->lock);
    int rc = create_locked(fs, ctx, parent, name, S_IFDIR | (uint32_t)(mode & 07777), 0, NULL,
                           &ip);
    if (rc == 0) {
        if (out)
            fs_attr_fill(ip, out);
        rc = fs_commit_maybe(fs);
    }
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

int pfs_symlink(struct pfs *fs, const struct pfs_ctx *ctx, const char *target,
                uint64_t parent, const char *name, struct pfs_attr *out)
{
    struct fs_inode *ip;
    if (!fs || !ctx || !target)
        return -EINVAL;
    size_t tl = strnlen(target, PFS_PATH_MAX);
    if (tl == 0)
        return -ENOENT;
    if (tl >= PFS_PATH_MAX)
        return -ENAMETOOLONG;
    pthread_mutex_lock(&fs->lock);
    int rc = create_locked(fs, ctx, parent, name, S_IFLNK | 0777, 0, target, &ip);
    if (rc == 0) {
        if (out)
            fs_attr_fill(ip, out);
        rc = fs_commit_maybe(fs);
    }
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

ssize_t pfs_readlink(struct pfs *fs, uint64_t ino, char *buf, size_t size)
{
    if (!fs || (!buf && size))
        return -EINVAL;
    pthread_mutex_lock(&fs->lock);
    struct fs_inode *ip = fs_iget(fs, ino);
    ssize_t rc;
    if (!ip)
        rc = -ENOENT;
    else if (!S_ISLNK(ip->mode))
        rc = -EINVAL;
    else {
        if (size)
            memcpy(buf, ip->payload, size < ip->payload_len ? size : ip->payload_len);
        rc = (ssize_t)ip->payload_len;
    }
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

int pfs_link(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino, uint64_t newparent,
             const char *newname, struct pfs_attr *out)
{
    struct fs_inode *dp, *ip;
    size_t len;
    int rc;
    if (!fs || !ctx)
        return -EINVAL;
    if ((rc = fs_name_check(newname, &len)) < 0)
        return rc;
    pthread_mutex_lock(&fs->lock);
    if ((rc = fs_writable(fs)) < 0)
        goto out;
    if (!(ip = fs_iget(fs, ino))) {
        rc = -ENOENT;
        goto out;
    }
    if (ip->dir) {
        rc = -EPERM;
        goto out;
    }
    if ((rc = get_dir(fs, newparent, &dp)) < 0 || (rc = fs_perm(ctx, dp, X_OK)) < 0)
        goto out;
    if (is_dot(newname, len) || fs_dir_find(fs, dp, newname, len)) {
        rc = -EEXIST;
        goto out;
    }
    if ((rc = fs_perm(ctx, dp, W_OK)) < 0)
        goto out;
    if (ip->nlink == 0) {
        rc = -ENOENT;
        goto out;
    }
    if (ip->nlink >= UINT32_MAX - 1) {
        rc = -EMLINK;
        goto out;
    }
    if ((rc = fs_space_check(fs, 0, NEW_INODE_META + len)) < 0 ||
        (rc = fs_dir_add(fs, dp, newname, len, ip->ino)) < 0)
        goto out;
    fs_log_dirent_add(fs, dp->ino, newname, len, ip->ino);
    ip->nlink++;
    ip->ctime = fs_now();
    ip->hint_parent = dp->ino;
    fs_mark_dirty(fs, ip);
    touch_dir(fs, dp, ip->ctime);
    if (out)
        fs_attr_fill(ip, out);
    rc = fs_commit_maybe(fs);
out:
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

/* ---- removal ------------------------------------------------------------------------ */

/* One link of a non-directory is gone: free it when it was the last and nobody has it
 * open (otherwise pfs_release frees it). */
static void unref(struct pfs *fs, struct fs_inode *ip, struct timespec now)
{
    ip->nlink--;
    ip->ctime = now;
    if (ip->nlink == 0 && ip->opens == 0)
        fs_inode_drop(fs, ip);
    else
        fs_mark_dirty(fs, ip);
}

static int remove_common(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent,
                         const char *name, bool dir)
{
    struct fs_inode *dp, *ip;
    size_t len;
    int rc;
    if (!fs || !ctx)
        return -EINVAL;
    if ((rc = fs_name_check(name, &len)) < 0)
        return rc;
    pthread_mutex_lock(&fs->lock);
    if ((rc = fs_writable(fs)) < 0)
        goto out;
    if ((rc = get_dir(fs, parent, &dp)) < 0 || (rc = fs_perm(ctx, dp, X_OK)) < 0)
        goto out;
    if (is_dot(name, len)) {
        rc = !dir ? -EISDIR : len == 1 ? -EINVAL : -ENOTEMPTY;
        goto out;
    }
    struct fs_dirent *de = fs_dir_find(fs, dp, name, len);
    if (!de || !(ip = fs_iget(fs, de->ino))) {
        rc = -ENOENT;
        goto out;
    }
    if ((rc = fs_perm(ctx, dp, W_OK)) < 0)
        goto out;
    if (dir && !ip->dir) {
        rc = -ENOTDIR;
        goto out;
    }
    if (!dir && ip->dir) {
        rc = -EISDIR;
        goto out;
    }
    if (dir && ip->dir->live) {
        rc = -ENOTEMPTY;
        goto out;
    }
    if ((rc = fs_sticky_ok(ctx, dp, ip)) < 0)
        goto out;
    struct timespec now = fs_now();
    fs_dir_remove(fs, dp, de);
    fs_log_dirent_del(fs, dp->ino, name, len);
    if (dir) {
        dp->nlink--;
        fs_inode_drop(fs, ip);
    } else {
        unref(fs, ip, now);
    }
    touch_dir(fs, dp, now);
    rc = fs_commit_maybe(fs);
out:
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

int pfs_unlink(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent, const char *name)
{
    return remove_common(fs, ctx, parent, name, false);
}

int pfs_rmdir(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent, const char *name)
{
    return remove_common(fs, ctx, parent, name, true);
}

/* ---- rename ------------------------------------------------------------------------- */

/* true when dir a is d or one of its ancestors */
static bool is_ancestor(struct pfs *fs, uint64_t a, struct fs_inode *d)
{
    for (unsigned depth = 0; d && depth < 1u << 20; depth++) {
        if (d->ino == a)
            return true;
        if (d->ino == PFS_ROOT_INO)
            return false;
        d = fs_iget(fs, d->dir->parent);
    }
    return true; /* a broken chain: refuse the move */
}

static int rename_locked(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent,
                         const char *name, size_t len, uint64_t newparent,
                         const char *newname, size_t nlen, unsigned flags)
{
    struct fs_inode *sdp, *ddp, *sip, *dip = NULL;
    int rc;
    bool xchg = flags & PFS_RENAME_EXCHANGE;

    if ((rc = fs_writable(fs)) < 0)
        return rc;
    if ((rc = get_dir(fs, parent, &sdp)) < 0 || (rc = get_dir(fs, newparent, &ddp)) < 0)
        return rc;
    if ((rc = fs_perm(ctx, sdp, X_OK)) < 0 || (rc = fs_perm(ctx, ddp, X_OK)) < 0)
        return rc;
    if (is_dot(name, len) || is_dot(newname, nlen))
        return -EINVAL;
    struct fs_dirent *sde = fs_dir_find(fs, sdp, name, len);
    if (!sde || !(sip = fs_iget(fs, sde->ino)))
        return -ENOENT;
    struct fs_dirent *dde = fs_dir_find(fs, ddp, newname, nlen);
    if (dde)
        dip = fs_iget(fs, dde->ino);
    if (xchg && !dip)
        return -ENOENT;
    if ((flags & PFS_RENAME_NOREPLACE) && dip)
        return -EEXIST;
    if ((rc = fs_perm(ctx, sdp, W_OK)) < 0 || (rc = fs_perm(ctx, ddp, W_OK)) < 0)
        return rc;
    if (dip == sip)
        return 0; /* two names of one file: POSIX says do nothing */
    if ((rc = fs_sticky_ok(ctx, sdp, sip)) < 0)
        return rc;
    if (dip && (rc = fs_sticky_ok(ctx, ddp, dip)) < 0)
        return rc;
    if (sdp != ddp) {
        if (sip->dir && (rc = fs_perm(ctx, sip, W_OK)) < 0)
            return rc; /* its ".." changes */
        if (xchg && dip->dir && (rc = fs_perm(ctx, dip, W_OK)) < 0)
            return rc;
    }
    if (sip->dir && is_ancestor(fs, sip->ino, ddp))
        return -EINVAL;
    if (xchg && dip->dir && is_ancestor(fs, dip->ino, sdp))
        return -EINVAL;
    if (!xchg && dip) {
        if (sip->dir && !dip->dir)
            return -ENOTDIR;
        if (!sip->dir && dip->dir)
            return -EISDIR;
        if (dip->dir && dip->dir->live)
            return -ENOTEMPTY;
    }
    if (sip->dir && !(dip && dip->dir) && sdp != ddp && ddp->nlink >= UINT32_MAX - 1)
        return -EMLINK;
    if ((rc = fs_space_check(fs, 0, NEW_INODE_META + nlen)) < 0)
        return rc;

    struct timespec now = fs_now();
    if (xchg) {
        sde->ino = dip->ino;
        dde->ino = sip->ino;
        fs_log_dirent_add(fs, sdp->ino, name, len, dip->ino);
        fs_log_dirent_add(fs, ddp->ino, newname, nlen, sip->ino);
        if (sdp != ddp) {
            if (sip->dir) {
                sip->dir->parent = ddp->ino;
                sdp->nlink--;
                ddp->nlink++;
            } else {
                sip->hint_parent = ddp->ino;
            }
            if (dip->dir) {
                dip->dir->parent = sdp->ino;
                ddp->nlink--;
                sdp->nlink++;
            } else {
                dip->hint_parent = sdp->ino;
            }
        }
        dip->ctime = now;
        fs_mark_dirty(fs, dip);
    } else {
        if (dde) {
            dde->ino = sip->ino; /* replace in place: the target's cookie stays */
        } else if ((rc = fs_dir_add(fs, ddp, newname, nlen, sip->ino)) < 0) {
            return rc;
        }
        fs_log_dirent_add(fs, ddp->ino, newname, nlen, sip->ino);
        sde = fs_dir_find(fs, sdp, name, len); /* the add may have moved entries */
        fs_dir_remove(fs, sdp, sde);
        fs_log_dirent_del(fs, sdp->ino, name, len);
        if (dip) {
            if (dip->dir) {
                ddp->nlink--;
                fs_inode_drop(fs, dip);
            } else {
                unref(fs, dip, now);
            }
        }
        if (sip->dir) {
            if (sdp != ddp) {
                sdp->nlink--;
                ddp->nlink++;
            }
            sip->dir->parent = ddp->ino;
        } else {
            sip->hint_parent = ddp->ino;
        }
    }
    sip->ctime = now;
    fs_mark_dirty(fs, sip);
    touch_dir(fs, sdp, now);
    touch_dir(fs, ddp, now);
    return fs_commit_maybe(fs);
}

int pfs_rename(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent, const char *name,
               uint64_t newparent, const char *newname, unsigned flags)
{
    size_t len, nlen;
    int rc;
    if (!fs || !ctx)
        return -EINVAL;
    if ((flags & ~(PFS_RENAME_NOREPLACE | PFS_RENAME_EXCHANGE)) ||
        flags == (PFS_RENAME_NOREPLACE | PFS_RENAME_EXCHANGE))
        return -EINVAL;
    if ((rc = fs_name_check(name, &len)) < 0 || (rc = fs_name_check(newname, &nlen)) < 0)
        return rc;
    pthread_mutex_lock(&fs->lock);
    rc = rename_locked(fs, ctx, parent, name, len, newparent, newname, nlen, flags);
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

/* ---- readdir ------------------------------------------------------------------------ */

#define RD_BATCH 32

struct rd_ent {
    char name[PFS_NAME_MAX + 1];
    struct pfs_attr attr;
    uint64_t next;
};

int pfs_readdir(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino, uint64_t off,
                pfs_fill_fn fill, void *arg)
{
    struct rd_ent *b;
    int rc = 0;
    if (!fs || !ctx || !fill)
        return -EINVAL;
    b = malloc(RD_BATCH * sizeof *b);
    if (!b)
        return -ENOMEM;
    for (bool first = true;; first = false) {
        size_t n = 0;
        struct fs_inode *dp;
        pthread_mutex_lock(&fs->lock);
        rc = get_dir(fs, ino, &dp);
        if (rc == 0 && first)
            rc = fs_perm(ctx, dp, R_OK);
        if (rc < 0) {
            pthread_mutex_unlock(&fs->lock);
            if (!first)
                rc = 0; /* removed meanwhile: the listing simply ends */
            break;
        }
        if (off < 1) {
            strcpy(b[n].name, ".");
            fs_attr_fill(dp, &b[n].attr);
            b[n++].next = 1;
        }
        if (off < 2) {
            strcpy(b[n].name, "..");
            struct fs_inode *pp = fs_iget(fs, dp->dir->parent);
            fs_attr_fill(pp ? pp : dp, &b[n].attr);
            b[n++].next = 2;
        }
        for (size_t i = fs_dir_seek(dp->dir, off); i < dp->dir->n && n < RD_BATCH; i++) {
            struct fs_dirent *de = &dp->dir->ents[i];
            struct fs_inode *ip = de->ino ? fs_iget(fs, de->ino) : NULL;
            if (!ip)
                continue;
            memcpy(b[n].name, de->name, de->namelen + 1u);
            fs_attr_fill(ip, &b[n].attr);
            b[n++].next = de->cookie;
        }
        pthread_mutex_unlock(&fs->lock);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            if (fill(arg, b[i].name, &b[i].attr, b[i].next) != 0)
                goto out;
            off = b[i].next;
        }
    }
out:
    free(b);
    return rc;
}

/* ---- paths for reports -------------------------------------------------------------- */

/* The directory holding ip (a non-directory): the hint when it still holds it. */
static struct fs_inode *parent_of_file(struct pfs *fs, struct fs_inode *ip)
{
    struct fs_inode *dp = fs_iget(fs, ip->hint_parent);
    for (int pass = 0; pass < 2; pass++) {
        if (dp && dp->dir)
            for (size_t k = 0; k < dp->dir->n; k++)
                if (dp->dir->ents[k].ino == ip->ino)
                    return dp;
        if (pass == 1)
            break;
        dp = NULL;
        for (size_t i = 0; i < fs->itab.nslots && !dp; i++) {
            struct fs_inode *d = fs->itab.slots[i];
            if (!d || !d->ino || !d->dir)
                continue;
            for (size_t k = 0; k < d->dir->n; k++)
                if (d->dir->ents[k].ino == ip->ino) {
                    ip->hint_parent = d->ino;
                    return d;
                }
        }
    }
    return NULL;
}

void fs_path_of(struct pfs *fs, uint64_t ino, char *buf, size_t cap)
{
    char tmp[PFS_PATH_MAX];
    size_t pos = sizeof tmp - 1;
    tmp[pos] = '\0';
    buf[0] = '\0';
    struct fs_inode *ip = fs_iget(fs, ino);
    for (unsigned depth = 0; ip && ip->ino != PFS_ROOT_INO && depth < 4096; depth++) {
        struct fs_inode *dp = ip->dir ? fs_iget(fs, ip->dir->parent) : parent_of_file(fs, ip);
        if (!dp || !dp->dir)
            return;
        const struct fs_dirent *de = NULL;
        for (size_t k = 0; k < dp->dir->n && !de; k++)
            if (dp->dir->ents[k].ino == ip->ino)
                de = &dp->dir->ents[k];
        if (!de || de->namelen + 1u > pos)
            return;
        pos -= de->namelen;
        memcpy(tmp + pos, de->name, de->namelen);
        tmp[--pos] = '/';
        ip = dp;
    }
    if (!ip)
        return;
    if (pos == sizeof tmp - 1)
        tmp[--pos] = '/';
    snprintf(buf, cap, "%s", tmp + pos);
}
