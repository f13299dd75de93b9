/*
 * xattr.c — extended attributes (getxattr(2), setxattr(2), listxattr(2),
 * removexattr(2) as Linux defines them): the user., trusted. and security. namespaces
 * stored per inode in the metadata, and the read-only user.phasefs.* names that the
 * filesystem synthesises — user.phasefs.blake2b, the fixity digest in lowercase hex.
 * The synthesised names are read by name and never listed, as the .phasefs control
 * directory is reached but not listed: cp -a and rsync -aX copy what listxattr lists,
 * and a digest copied to another filesystem goes stale at the first write there.
 * Permission rules follow Linux's xattr_permission(): user.* needs read/write access and
 * exists on regular files and directories only; trusted.* is root's. system.* (ACLs)
 * is not supported.
 */
#include "fs_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define PHASEFS_PREFIX "user.phasefs."

enum ns { NS_USER, NS_TRUSTED, NS_SECURITY, NS_OTHER };

static enum ns ns_of(const char *name)
{
    if (strncmp(name, "user.", 5) == 0)
        return NS_USER;
    if (strncmp(name, "trusted.", 8) == 0)
        return NS_TRUSTED;
    if (strncmp(name, "security.", 9) == 0)
        return NS_SECURITY;
    return NS_OTHER;
}

static int name_check(const char *name, size_t *len)
{
    if (!name)
        return -EINVAL;
    size_t n = strnlen(name, PFS_XATTR_NAME_MAX + 1);
    if (n == 0 || n > PFS_XATTR_NAME_MAX)
        return -ERANGE;
    *len = n;
    return 0;
}

/* May ctx read (write = false) or write attribute name of ip? */
static int xperm(const struct pfs_ctx *ctx, struct pfs *fs, struct fs_inode *ip,
                 const char *name, bool write)
{
    switch (ns_of(name)) {
    case NS_USER:
        if (!S_ISREG(ip->mode) && !S_ISDIR(ip->mode))
            return write ? -EPERM : -ENODATA;
        if (write && strncmp(name, PHASEFS_PREFIX, strlen(PHASEFS_PREFIX)) == 0)
            return -EPERM;
        if (write && ip->dir && (ip->mode & S_ISVTX) && ctx->uid != 0 && ctx->uid != ip->uid)
            return -EPERM;
        return fs_perm(ctx, ip, write ? W_OK : R_OK);
    case NS_TRUSTED:
        return ctx->uid == 0 ? 0 : write ? -EPERM : -ENODATA;
    case NS_SECURITY:
        return !write || ctx->uid == 0 || ctx->uid == ip->uid ? 0 : -EPERM;
    default:
        (void)fs;
        return -EOPNOTSUPP;
    }
}

static uint64_t xattr_bytes(const struct fs_inode *ip)
{
    uint64_t b = 0;
    for (size_t i = 0; i < ip->nxa; i++)
        b += strlen(ip->xa[i].name) + ip->xa[i].size;
    return b;
}

int pfs_setxattr(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino, const char *name,
                 const void *value, size_t size, int flags)
{
    size_t nl;
    int rc;
    if (!fs || !ctx || (!value && size))
        return -EINVAL;
    if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) ||
        flags == (XATTR_CREATE | XATTR_REPLACE))
        return -EINVAL;
    if ((rc = name_check(name, &nl)) < 0)
        return rc;
    if (size > PFS_XATTR_SIZE_MAX)
        return -E2BIG;
    pthread_mutex_lock(&fs->lock);
    struct fs_inode *ip = fs_iget(fs, ino);
    if (!ip) {
        rc = -ENOENT;
        goto out;
    }
    if ((rc = xperm(ctx, fs, ip, name, true)) < 0)
        goto out;
    if ((rc = fs_writable(fs)) < 0)
        goto out;
    struct fs_xattr *x = fs_xattr_find(ip, name);
    if ((flags & XATTR_CREATE) && x) {
        rc = -EEXIST;
        goto out;
    }
    if ((flags & XATTR_REPLACE) && !x) {
        rc = -ENODATA;
        goto out;
    }
    uint64_t after = xattr_bytes(ip) + nl + size - (x ? strlen(x->name) + x->size : 0);
    if (after > FS_XATTR_TOTAL_MAX) {
        rc = -ENOSPC;
        goto out;
    }
    if ((rc = fs_space_check(fs, 0, nl + size + 64)) < 0)
        goto out;
    if ((rc = fs_xattr_put(fs, ip, name, value, (uint32_t)size)) < 0)
        goto out;
    fs_log_xattr_set(fs, ip->ino, fs_xattr_find(ip, name));
    ip->ctime = fs_now();
    fs_mark_dirty(fs, ip);
    rc = fs_commit_maybe(fs);
out:
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

static void hex(const uint8_t *d, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < PFS_FIXITY_BYTES; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
}

/* The fixity digest is there for a regular file nobody is writing. */
static bool fixity_visible(const struct fs_inode *ip)
{
    return S_ISREG(ip->mode) && ((ip->flags & FS_I_DIGEST) || ip->writers == 0);
}

ssize_t pfs_getxattr(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino,
                     const char *name, void *value, size_t size)
{
    size_t nl;
    ssize_t rc;
    if (!fs || !ctx || (!value && size))
        return -EINVAL;
    if ((rc = name_check(name, &nl)) < 0)
        return rc;
    pthread_mutex_lock(&fs->lock);
    struct fs_inode *ip = fs_iget(fs, ino);
    if (!ip) {
        rc = -ENOENT;
        goto out;
    }
    if ((rc = xperm(ctx, fs, ip, name, false)) < 0)
        goto out;
    const uint8_t *v;
    size_t vlen;
    char hexbuf[2 * PFS_FIXITY_BYTES];
    if (strcmp(name, PFS_FIXITY_XATTR) == 0) {
        if (!fixity_visible(ip)) {
            rc = -ENODATA;
            goto out;
        }
        /* not computed yet: wait for this file only, the lock released (fixity.c
         * rule 4); -EAGAIN when it takes longer */
        if (!(ip->flags & FS_I_DIGEST) && (rc = fs_fixity_wait(fs, ino)) < 0)
            goto out;
        ip = fs_iget(fs, ino);
        hex(ip->digest, hexbuf);
        v = (const uint8_t *)hexbuf;
        vlen = sizeof hexbuf;
    } else {
        struct fs_xattr *x = fs_xattr_find(ip, name);
        if (!x) {
            rc = -ENODATA;
            goto out;
        }
        v = x->value;
        vlen = x->size;
    }
    if (size == 0) {
        rc = (ssize_t)vlen;
    } else if (size < vlen) {
        rc = -ERANGE;
    } else {
        memcpy(value, v, vlen);
        rc = (ssize_t)vlen;
    }
out:
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

ssize_t pfs_listxattr(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino, char *list,
                      size_t size)
{
    ssize_t rc;
    if (!fs || !ctx || (!list && size))
        return -EINVAL;
    pthread_mutex_lock(&fs->lock);
    struct fs_inode *ip = fs_iget(fs, ino);
    if (!ip) {
        rc = -ENOENT;
        goto out;
    }
    size_t need = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t pos = 0;
        for (size_t i = 0; i < ip->nxa; i++) {
            const char *n = ip->xa[i].name;
            if (ns_of(n) == NS_TRUSTED && ctx->uid != 0)
                continue;
            size_t l = strlen(n) + 1;
            if (pass == 1)
                memcpy(list + pos, n, l);
            pos += l;
        }
        need = pos;
        if (pass == 0 && (size == 0 || size < need))
            break;
    }
    rc = size == 0 ? (ssize_t)need : size < need ? -ERANGE : (ssize_t)need;
out:
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

int pfs_removexattr(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino, const char *name)
{
    size_t nl;
    int rc;
    if (!fs || !ctx)
        return -EINVAL;
    if ((rc = name_check(name, &nl)) < 0)
        return rc;
    pthread_mutex_lock(&fs->lock);
    struct fs_inode *ip = fs_iget(fs, ino);
    if (!ip) {
        rc = -ENOENT;
        goto out;
    }
    if ((rc = xperm(ctx, fs, ip, name, true)) < 0)
        goto out;
    if ((rc = fs_writable(fs)) < 0)
        goto out;
    if ((rc = fs_xattr_remove(fs, ip, name)) < 0)
        goto out;
    fs_log_xattr_del(fs, ip->ino, name);
    ip->ctime = fs_now();
    fs_mark_dirty(fs, ip);
    rc = fs_commit_maybe(fs);
out:
    pthread_mutex_unlock(&fs->lock);
    return rc;
}
