/*
 * pfs.h — the one public interface of libpfs, the phasefs filesystem (DESIGN.md
 * "src/fs"). A library with no FUSE in it: the daemon (src/daemon) is thin glue from
 * FUSE's low-level ops to these calls, and fsck.phasefs uses the same library.
 *
 * Objects are named by inode number (PFS_ROOT_INO is the root), as in FUSE's low-level
 * API. Every call that depends on who asks takes a struct pfs_ctx; permissions are
 * checked here, for every user, whatever the mount options. Errors are negative errno
 * values with their POSIX meanings (ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EACCES,
 * EPERM, ENAMETOOLONG, EXDEV, EINVAL, ENOSPC, EROFS, EFBIG, ENODATA, ERANGE, ENOMEM), plus:
 *   -EIO      a cluster could not be read back (uncorrectable) or the host image failed;
 *             only the affected file range fails, the filesystem stays mounted
 *   -EUCLEAN  metadata is structurally inconsistent (mount refused, or fsck material)
 *   -EBADMSG  a metadata checksum failed on every copy
 * The library never prints; problems worth a log line go to the report callback.
 */
#ifndef PHASEFS_PFS_H
#define PHASEFS_PFS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>

#include "sector.h"

#if defined(__GNUC__)
#define PFS_API_MUST_CHECK __attribute__((warn_unused_result))
#else
#define PFS_API_MUST_CHECK
#endif

#define PFS_ROOT_INO 1ULL
#define PFS_NAME_MAX 255      /* bytes of one name: longer gives -ENAMETOOLONG */
#define PFS_PATH_MAX 4096     /* bytes of a symlink target: longer gives -ENAMETOOLONG */
#define PFS_XATTR_NAME_MAX 255
#define PFS_XATTR_SIZE_MAX 65536
#define PFS_LABEL_MAX 64

/* The fixity digest of a regular file, as the xattr user.phasefs.blake2b exposes it:
 * BLAKE2b-256 (libsodium crypto_generichash, no key) of the content, in lowercase hex. */
#define PFS_FIXITY_XATTR "user.phasefs.blake2b"
#define PFS_FIXITY_BYTES 32

struct pfs;

/* Who is asking (from the FUSE request). groups may be NULL when ngroups is 0. */
struct pfs_ctx {
    uid_t uid;
    gid_t gid;
    pid_t pid;
    const gid_t *groups;
    int ngroups;
};

struct pfs_attr {
    uint64_t ino;
    mode_t mode;        /* type and permission bits */
    uint32_t nlink;
    uid_t uid;
    gid_t gid;
    dev_t rdev;
    uint64_t size;
    uint64_t blocks;    /* 512-byte units actually allocated */
    struct timespec atime, mtime, ctime;
    uint64_t generation;
};

/* Where clusters go (DESIGN.md: wear- and layer-aware placement). */
enum pfs_placement {
    PFS_PLACE_AUTO = 0, /* metadata on the layer rated for more overwrites, data spread */
    PFS_PLACE_NEAR,     /* everything on the near layer first */
    PFS_PLACE_FAR,      /* everything on the far layer first */
    PFS_PLACE_SPREAD,   /* both layers alike, least-worn first */
};

/* A problem the filesystem met and survived, for the daemon's log (path may be ""). */
typedef void (*pfs_report_fn)(void *arg, int err, const char *path, uint64_t offset,
                              const char *what);

struct pfs_mkfs_options {
    char label[PFS_LABEL_MAX];
    struct sector_options sector;  /* spares, verify-after-write, retries */
};

/* Bounds of the mount options, enforced by pfs_mount (-EINVAL beyond them) and shown
 * by phasefs(8). The clean cache is searched linearly on every cluster read, and the
 * dirty limit follows its size, so a larger cache costs more than it saves. */
#define PFS_CACHE_CLUSTERS_MAX 4096u          /* 256 MiB of 64 KiB clusters */
#define PFS_COMMIT_INTERVAL_MS_MAX 3600000u   /* an hour */

struct pfs_mount_options {
    bool read_only;
    enum pfs_placement placement;
    uint32_t commit_interval_ms;   /* how often unsynced metadata is committed; 0 = 5000;
                                    * at most PFS_COMMIT_INTERVAL_MS_MAX */
    uint32_t cache_clusters;       /* data cluster cache size; 0 = default (64); at most
                                    * PFS_CACHE_CLUSTERS_MAX */
    struct sector_options sector;
    pfs_report_fn report;          /* may be NULL */
    void *report_arg;
};

void pfs_mkfs_options_default(struct pfs_mkfs_options *opt);
void pfs_mount_options_default(struct pfs_mount_options *opt);

/*
 * Format the medium (sector layer and filesystem): an empty root directory owned by
 * ctx's uid/gid (root if ctx is NULL). Destroys what the medium held.
 * Returns 0, -EIO, -ENOSPC (medium too small), -EROFS, -ENOMEM.
 */
int pfs_mkfs(struct medium *m, const struct pfs_mkfs_options *opt,
             const struct pfs_ctx *ctx) PFS_API_MUST_CHECK;

/*
 * Mount the filesystem on m (which stays owned by the caller and must outlive the
 * mount). Replays the metadata log after a crash. Returns 0 and *out, or -EUCLEAN /
 * -EBADMSG (not a phasefs medium, or its metadata is damaged on every copy: run fsck),
 * -EPROTO (a format version this build does not read), -EINVAL (an option out of its
 * bounds, above), -EIO, -ENOMEM.
 */
int pfs_mount(struct medium *m, const struct pfs_mount_options *opt,
              struct pfs **out) PFS_API_MUST_CHECK;

/* Commit everything and free. Accepts NULL. Returns the commit's result; fs is freed
 * either way. */
int pfs_unmount(struct pfs *fs);

/* Commit all data and metadata durably (what fsync of everything would do). */
int pfs_sync(struct pfs *fs) PFS_API_MUST_CHECK;

int pfs_statfs(struct pfs *fs, struct statvfs *out) PFS_API_MUST_CHECK;

/* ---- namespace ------------------------------------------------------------------- */

int pfs_lookup(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent, const char *name,
               struct pfs_attr *out) PFS_API_MUST_CHECK;
int pfs_getattr(struct pfs *fs, uint64_t ino, struct pfs_attr *out) PFS_API_MUST_CHECK;

/* Which fields pfs_setattr changes. */
enum pfs_setattr_field {
    PFS_SET_MODE = 1 << 0,
    PFS_SET_UID = 1 << 1,
    PFS_SET_GID = 1 << 2,
    PFS_SET_SIZE = 1 << 3,      /* truncate or extend (sparse) */
    PFS_SET_ATIME = 1 << 4,
    PFS_SET_MTIME = 1 << 5,
    PFS_SET_ATIME_NOW = 1 << 6,
    PFS_SET_MTIME_NOW = 1 << 7,
    PFS_SET_CTIME = 1 << 8,
    /* sa->fh is a handle the caller holds (ftruncate, futimens): when it is open for
     * writing on this inode, a size change or "now" times need no write permission on the
     * file itself, as on Linux (open(O_CREAT|O_RDWR, 0444) then ftruncate works) */
    PFS_SET_FH = 1 << 9,
};
struct pfs_setattr {
    mode_t mode;
    uid_t uid;
    gid_t gid;
    uint64_t size;
    struct timespec atime, mtime, ctime;
    uint64_t fh; /* with PFS_SET_FH */
};
int pfs_setattr(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino,
                const struct pfs_setattr *sa, unsigned fields,
                struct pfs_attr *out) PFS_API_MUST_CHECK;

/* mode carries the type (S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK); umask already
 * applied by the caller. New inodes take ctx's uid and gid, or the parent's gid when
 * the parent directory is set-group-ID (and a new directory inherits S_ISGID). */
int pfs_mknod(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent, const char *name,
              mode_t mode, dev_t rdev, struct pfs_attr *out) PFS_API_MUST_CHECK;
int pfs_mkdir(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent, const char *name,
              mode_t mode, struct pfs_attr *out) PFS_API_MUST_CHECK;
int pfs_symlink(struct pfs *fs, const struct pfs_ctx *ctx, const char *target,
                uint64_t parent, const char *name, struct pfs_attr *out) PFS_API_MUST_CHECK;
/* Copies at most size bytes of the target (not NUL-terminated); returns its length. */
ssize_t pfs_readlink(struct pfs *fs, uint64_t ino, char *buf, size_t size) PFS_API_MUST_CHECK;
int pfs_link(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino, uint64_t newparent,
             const char *newname, struct pfs_attr *out) PFS_API_MUST_CHECK;
int pfs_unlink(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent,
               const char *name) PFS_API_MUST_CHECK;
int pfs_rmdir(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent,
              const char *name) PFS_API_MUST_CHECK;

#define PFS_RENAME_NOREPLACE 1u /* = RENAME_NOREPLACE */
#define PFS_RENAME_EXCHANGE 2u  /* = RENAME_EXCHANGE */
int pfs_rename(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent, const char *name,
               uint64_t newparent, const char *newname, unsigned flags) PFS_API_MUST_CHECK;

/* mask: R_OK | W_OK | X_OK | F_OK. */
int pfs_access(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino,
               int mask) PFS_API_MUST_CHECK;

/*
 * Directory listing by cookie: calls fill for each entry after cookie `off` (0 = from the
 * start; "." and ".." included), passing the entry and the cookie that resumes after it,
 * until fill returns non-zero. Cookies stay valid across concurrent changes (an entry
 * added or removed meanwhile may or may not be seen; none is seen twice).
 */
typedef int (*pfs_fill_fn)(void *arg, const char *name, const struct pfs_attr *attr,
                           uint64_t next_off);
int pfs_readdir(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino, uint64_t off,
                pfs_fill_fn fill, void *arg) PFS_API_MUST_CHECK;

/* ---- file data ------------------------------------------------------------------- */

/* flags as open(2): access mode checked against permissions; O_TRUNC truncates. */
int pfs_open(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino, int flags,
             uint64_t *fh) PFS_API_MUST_CHECK;
/* Create and open a regular file (O_EXCL honoured). */
int pfs_create(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent, const char *name,
               mode_t mode, int flags, struct pfs_attr *out, uint64_t *fh) PFS_API_MUST_CHECK;
/* Last close of a handle: if it wrote, the fixity digest is brought up to date. */
int pfs_release(struct pfs *fs, uint64_t ino, uint64_t fh);

/* Returns bytes read (0 at end of file; holes read as zeros), -EIO for a range that
 * cannot be read back. Safe to call from several threads at once. */
ssize_t pfs_read(struct pfs *fs, uint64_t ino, uint64_t fh, void *buf, size_t size,
                 uint64_t off) PFS_API_MUST_CHECK;
/* Returns bytes written, -ENOSPC (nothing of this call written), -EFBIG, -EIO. */
ssize_t pfs_write(struct pfs *fs, uint64_t ino, uint64_t fh, const void *buf, size_t size,
                  uint64_t off) PFS_API_MUST_CHECK;
/* Make the file's data (and unless datasync, its metadata) durable. */
int pfs_fsync(struct pfs *fs, uint64_t ino, int datasync) PFS_API_MUST_CHECK;

/* ---- extended attributes ---------------------------------------------------------- */

/* flags: XATTR_CREATE / XATTR_REPLACE. user.phasefs.* names are read-only. */
int pfs_setxattr(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino, const char *name,
                 const void *value, size_t size, int flags) PFS_API_MUST_CHECK;
/* size 0 asks for the length. Returns the length, -ENODATA, -ERANGE. */
ssize_t pfs_getxattr(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino,
                     const char *name, void *value, size_t size) PFS_API_MUST_CHECK;
/* NUL-separated names; size 0 asks for the length. */
ssize_t pfs_listxattr(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino, char *list,
                      size_t size) PFS_API_MUST_CHECK;
int pfs_removexattr(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t ino,
                    const char *name) PFS_API_MUST_CHECK;

/* ---- facts for the daemon's statistics and for fsck --------------------------------- */

struct pfs_stats {
    uint32_t size;                 /* sizeof(struct pfs_stats): version of this struct */
    uint64_t inodes;
    uint64_t clusters_total, clusters_free;
    uint64_t data_clusters, metadata_clusters;
    uint64_t commits, checkpoints;
    uint64_t log_records_replayed; /* at mount */
    uint64_t io_errors;            /* reads that failed with -EIO since mount */
    uint64_t bytes_read, bytes_written;
};
int pfs_stats_get(struct pfs *fs, struct pfs_stats *out) PFS_API_MUST_CHECK;

/* The sector device under the filesystem (for statistics; owned by fs). */
struct sector_dev *pfs_sector(struct pfs *fs);

/* ---- the filesystem check (check.c; fsck.phasefs is its tool) ----------------------- */

/* Classes of problems pfs_check finds. The fsck.phasefs(8) page describes each. */
enum pfs_check_class {
    PFS_CHECK_NO_FS = 0,      /* no usable anchor: not phasefs, or every anchor lost */
    PFS_CHECK_ANCHOR,         /* one anchor slot unreadable, corrupt, empty or foreign */
    PFS_CHECK_CKPT_COPY,      /* one copy of a checkpoint cluster bad, the other good */
    PFS_CHECK_CKPT_LOST,      /* a checkpoint cluster bad on both copies */
    PFS_CHECK_LOG_COPY,       /* one copy of a log cluster bad, the other good */
    PFS_CHECK_LOG_LOST,       /* a log cluster bad on both copies: later commits lost */
    PFS_CHECK_RECORD,         /* a record that does not apply to the model */
    PFS_CHECK_DIRENT,         /* a directory entry naming a missing inode */
    PFS_CHECK_DIR_NAMES,      /* a directory with two names, or a cycle */
    PFS_CHECK_ORPHAN,         /* an inode no directory reaches from the root */
    PFS_CHECK_NLINK,          /* stored link count differs from the entries naming it */
    PFS_CHECK_BAD_LCN,        /* an extent outside the medium or on an anchor slot */
    PFS_CHECK_DUP_CLUSTER,    /* a cluster referenced twice */
    PFS_CHECK_LEAKED,         /* clusters held only by an orphan */
    PFS_CHECK_EXTENT_EOF,     /* an extent beyond the end of its file */
    PFS_CHECK_UNREADABLE,     /* file data that cannot be read back (fixity pass) */
    PFS_CHECK_FIXITY,         /* file content differs from its fixity digest */
    PFS_CHECK_DMA_COPY,       /* a sector-layer defect management copy lost (1-3 of 4) */
    PFS_CHECK_CLASS_COUNT
};

#define PFS_CHECK_PATH_MAX 512
#define PFS_CHECK_DETAIL_MAX 200

/* One problem. path is the user-visible path it affects ("/" for the whole tree,
 * "(orphan inode N)" for an inode no directory reaches; a repair moving it to
 * /lost+found/#N says so in detail); ino 0 when no inode is concerned. */
struct pfs_check_problem {
    enum pfs_check_class cls;
    uint64_t ino;
    uint64_t lcn;                 /* the cluster concerned, UINT64_MAX if none */
    uint64_t offset;              /* byte offset in the file (UNREADABLE) */
    char path[PFS_CHECK_PATH_MAX];
    char detail[PFS_CHECK_DETAIL_MAX];
    bool repairable;              /* pfs_check with repair would fix it */
    bool repaired;
};

/* A metadata cluster pair of the chain in force (for tools and tests). */
struct pfs_check_meta {
    uint32_t kind;                /* 1 checkpoint, 2 log */
    uint64_t seq;                 /* index in the checkpoint; sequence in the log */
    uint64_t lcn_a, lcn_b;
};

/* Who a cluster belongs to (with pfs_check_options.owners). */
enum pfs_check_owner_kind { PFS_OWNER_DATA = 0, PFS_OWNER_METADATA, PFS_OWNER_ANCHOR };
struct pfs_check_owner {
    uint64_t lcn;
    uint64_t ino;                 /* PFS_OWNER_DATA: the file (its first owner) */
    uint32_t kind;                /* enum pfs_check_owner_kind */
};
struct pfs_check_file {
    uint64_t ino;
    char *path;                   /* owned by the report */
};

struct pfs_check_options {
    uint32_t size;                /* sizeof(struct pfs_check_options) */
    bool repair;                  /* fix what can be fixed (writes the medium) */
    uint32_t repair_classes;      /* with repair: 1u << class of the classes to fix; 0 all.
                                   * Nothing is written when a RECORD, LOG_LOST, DIRENT or
                                   * DIR_NAMES problem is left out (the checkpoint would
                                   * make its loss permanent). */
    bool fixity;                  /* read every file and compare its fixity digest */
    const char *path;             /* NULL or "/": whole tree; else only this subtree */
    bool owners;                  /* fill the report's owners and files */
    struct sector_options sector;
    /* NULL, or set (by a signal handler) to stop: pfs_check returns -ECANCELED having
     * repaired and written nothing */
    volatile sig_atomic_t *cancel;
};

/* Zeros of holes that a fixity check hashes beyond the data bytes of the tree (about
 * 3 s at the 0.35 GB/s measured; fsck.phasefs(8)). */
#define PFS_CHECK_HOLE_BUDGET (1ULL << 30)

struct pfs_check_report {
    uint32_t size;                /* sizeof(struct pfs_check_report) */
    struct pfs_check_problem *problems;  /* owned; pfs_check_report_free */
    size_t count;
    struct pfs_check_meta *meta;  /* the chain in force, checkpoint then log */
    size_t nmeta;
    uint64_t anchor_lcn[8];       /* LCN of each anchor slot */
    uint64_t generation;          /* checkpoint generation in force (0: none) */
    unsigned anchors_valid;       /* slots holding a valid anchor of this filesystem */
    uint64_t inodes, directories, files, data_clusters, files_hashed;
    uint64_t files_sparse;        /* not hashed: more holes than the check hashes */
    uint64_t log_clusters;        /* log clusters replayed (one copy counted) */
    uint8_t uuid[16];             /* of the filesystem in force */
    uint64_t log_head_a, log_head_b, log_head_seq; /* where the next log cluster goes */
    bool repaired;                /* something was written */
    bool unrepaired;              /* problems remain after this run */
    /* with opt->owners, as loaded (before any repair): every referenced cluster by LCN,
     * and the path of every file owning one, by inode */
    struct pfs_check_owner *owners;
    size_t nowners;
    struct pfs_check_file *files_owning;
    size_t nfiles_owning;
};

void pfs_check_options_default(struct pfs_check_options *opt);

/*
 * Check the filesystem on m without mounting it: the anchors, both copies of every
 * checkpoint and log cluster, every record, reachability from the root, link counts,
 * orphans, clusters referenced twice or held only by orphans, extents beyond end of
 * file, and with opt->fixity every file's content against its digest. With
 * opt->repair, bad copies and anchors are rewritten and the model is fixed (orphans to
 * /lost+found, link counts, duplicate and beyond-EOF extents dropped) and written as a
 * fresh checkpoint. A checkpoint lost on both copies is rebuilt from the newest older
 * anchor that reads; every file of that tree is read against its fixity digest (even
 * without opt->fixity) and those that fail are moved to /lost+found (FIXITY or
 * UNREADABLE problems marked repairable). A lost defect management copy (DMA_COPY) is
 * rewritten by the sector layer when the medium is opened read-write. Fills *rep (free with pfs_check_report_free) even on failure.
 * Returns 0 when the check ran (problems are in rep), -ECANCELED (opt->cancel was set;
 * nothing repaired), or -EUCLEAN (no phasefs here),
 * -ENOENT (opt->path names nothing in the tree), -ENAMETOOLONG (opt->path too long),
 * -EIO, -EROFS (repair on a read-only medium), -ENOMEM, -EINVAL.
 * Not thread safe with anything else using m.
 */
int pfs_check(struct medium *m, const struct pfs_check_options *opt,
              struct pfs_check_report *rep) PFS_API_MUST_CHECK;
void pfs_check_report_free(struct pfs_check_report *rep);
/* A short stable name of a class, e.g. "checkpoint-copy" (for JSON and tests). */
const char *pfs_check_class_name(enum pfs_check_class cls);

#endif /* PHASEFS_PFS_H */
