/*
 * perm.c — permission rules, checked in the library for every caller whatever the
 * mount options (the daemon adds default_permissions to allow_other, as some checks
 * never reach it, but libpfs does not rely on the kernel).
 * POSIX.1-2017 discretionary access control as Linux applies it: owner, group
 * (primary and supplementary), other; uid 0 passes read/write checks and execute when
 * some x bit is set; the sticky-directory deletion rule; who may chmod, chown and set
 * times; and the clearing of set-user-ID / set-group-ID bits (chmod(2), chown(2),
 * utimensat(2), write(2) of Linux man-pages). No ACLs and no capabilities beyond uid 0.
 */
#include "fs_priv.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

bool fs_in_group(const struct pfs_ctx *ctx, gid_t gid)
{
    if (ctx->gid == gid)
        return true;
    for (int i = 0; ctx->groups && i < ctx->ngroups; i++)
        if (ctx->groups[i] == gid)
            return true;
    return false;
}

int fs_perm(const struct pfs_ctx *ctx, const struct fs_inode *ip, int mask)
{
    mask &= R_OK | W_OK | X_OK;
    if (ctx->uid == 0) {
        if ((mask & X_OK) && !S_ISDIR(ip->mode) && !(ip->mode & 0111))
            return -EACCES;
        return 0;
    }
    unsigned bits;
    if (ctx->uid == ip->uid)
        bits = (ip->mode >> 6) & 7u;
    else if (fs_in_group(ctx, ip->gid))
        bits = (ip->mode >> 3) & 7u;
    else
        bits = ip->mode & 7u;
    unsigned need = ((mask & R_OK) ? 4u : 0u) | ((mask & W_OK) ? 2u : 0u) |
                    ((mask & X_OK) ? 1u : 0u);
    return (bits & need) == need ? 0 : -EACCES;
}

int fs_sticky_ok(const struct pfs_ctx *ctx, const struct fs_inode *dp,
                 const struct fs_inode *victim)
{
    if (!(dp->mode & S_ISVTX) || ctx->uid == 0 || ctx->uid == victim->uid ||
        ctx->uid == dp->uid)
        return 0;
    return -EPERM;
}

/* A kernel that leaves set-user-ID/set-group-ID to itself asks for their removal
 * before a write as a chmod in the writer's name. Anyone who may write the file may
 * clear them by writing, so such a chmod takes nothing more than write permission. */
static bool kill_suid_only(const struct pfs_ctx *ctx, const struct fs_inode *ip,
                           uint32_t mode)
{
    uint32_t old = ip->mode & 07777, want = mode & 07777;
    uint32_t gone = old & ~want;
    return S_ISREG(ip->mode) && (want & ~old) == 0 && gone &&
           (gone & ~(uint32_t)(S_ISUID | S_ISGID)) == 0 && fs_perm(ctx, ip, W_OK) == 0;
}

int fs_setattr_check(const struct pfs_ctx *ctx, const struct fs_inode *ip,
                     const struct pfs_setattr *sa, unsigned fields, bool write_handle)
{
    bool root = ctx->uid == 0, owner = ctx->uid == ip->uid;
    int rc;

    if ((fields & PFS_SET_MODE) && !root && !owner && !kill_suid_only(ctx, ip, sa->mode))
        return -EPERM;
    if ((fields & PFS_SET_UID) && !root && (sa->uid != ip->uid || !owner))
        return -EPERM;
    if ((fields & PFS_SET_GID) && !root &&
        (!owner || (sa->gid != ip->gid && !fs_in_group(ctx, sa->gid))))
        return -EPERM;
    if (fields & PFS_SET_SIZE) {
        if (S_ISDIR(ip->mode))
            return -EISDIR;
        if (!S_ISREG(ip->mode))
            return -EINVAL;
        if (!write_handle && (rc = fs_perm(ctx, ip, W_OK)) < 0)
            return rc;
    }
    /* a time given explicitly is the owner's (or root's) to set; "now" also needs only
     * write permission. A field flagged both set and now means now. ctime follows any
     * change and is not a permission of its own. */
    bool expl = ((fields & PFS_SET_ATIME) && !(fields & PFS_SET_ATIME_NOW)) ||
                ((fields & PFS_SET_MTIME) && !(fields & PFS_SET_MTIME_NOW));
    bool now = fields & (PFS_SET_ATIME_NOW | PFS_SET_MTIME_NOW);
    if (expl && !root && !owner)
        return -EPERM;
    if (now && !expl && !root && !owner && !write_handle && fs_perm(ctx, ip, W_OK) < 0)
        return -EACCES;
    return 0;
}

bool fs_kill_suid(const struct pfs_ctx *ctx, struct fs_inode *ip)
{
    if (!ctx || ctx->uid == 0 || !S_ISREG(ip->mode))
        return false;
    uint32_t m = ip->mode;
    m &= ~(uint32_t)S_ISUID;
    if ((m & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
        m &= ~(uint32_t)S_ISGID;
    if (m == ip->mode)
        return false;
    ip->mode = m;
    return true;
}
