/*
 * fs_priv.h — declarations shared by the files of libpfs (src/fs), never included
 * outside it (tests/unit/test_fs.c excepted, for its test hooks). The on-medium format
 * and the commit protocol are specified by the invariants blocks of format.c and log.c;
 * this file holds the in-memory model, its lock rules and its memory budget.
 *
 * Files of the layer, one purpose each:
 *   format.c     on-medium structures: anchor, cluster header, record encoding
 *   meta.c       in-memory tables: inodes, directories, extents, xattrs; record apply
 *   alloc.c      free map, wear- and layer-aware allocation, deferred reuse, reserve
 *   log.c        the operation log: record emission, commit, replay
 *   checkpoint.c full checkpoints, anchors, the mount-time load
 *   chain.c      the metadata chain walker (anchors, checkpoint, log) and its limits,
 *                shared by the mount (strict) and the check (tolerant)
 *   fs.c         mkfs, mount, unmount, sync, statfs, stats, the commit thread
 *   perm.c       permission rules (POSIX DAC, sticky bit, set-ID clearing)
 *   namei.c      namespace operations
 *   file.c       open/read/write/fsync, data cluster caches
 *   fixity.c     the fixity digest: streaming, the background worker, the hasher
 *   xattr.c      extended attributes
 *
 * Memory (bounded, per mounted filesystem):
 *   per inode      272 B struct fs_inode + its hash slot; per directory entry 40 B in the
 *                  entry vector + the name (malloc'd) + 4-8 B of name-hash slots; per
 *                  xattr 24 B + name + value; a small file's bytes (<= FS_INLINE_MAX) or
 *                  a symlink target; extents 16 B per 64 KiB data cluster (256 KiB per
 *                  GiB of file data). Measured: 100,000 empty files with 24-byte names
 *                  in one directory add 58 MiB of RSS (~600 B per file, allocator slack
 *                  included). A file open for writing from offset 0 keeps a 384 B hash
 *                  state until its last writer closes.
 *   per GiB of medium (16,384 clusters): 13 B per cluster (state byte, 32-bit cycle
 *                  count, 8 B heap slot) = 208 KiB.
 *   fixed          clean cache cache_clusters x 64 KiB (default 64: 4 MiB); dirty data
 *                  at most FS_DIRTY_MAX(cache_clusters) x 64 KiB (default 4 MiB); a pool
 *                  of up to 64 x 64 KiB buffers for readers outside the lock; two
 *                  64 KiB I/O buffers; the log buffer (~FS_COMMIT_BYTES + one record).
 *   transient      while a checkpoint is written or loaded, one copy of the encoded
 *                  metadata (~170 B per empty file; 17 MiB for 100,000 files).
 */
#ifndef PHASEFS_FS_PRIV_H
#define PHASEFS_FS_PRIV_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <sodium.h>

#include "pfs.h"
#include "util.h"

/* ---- geometry and limits ------------------------------------------------------------ */

#define FS_CLUSTER SECTOR_CLUSTER_USER_BYTES    /* 65536 */
#define FS_CLUSTER_SHIFT 16
#define FS_ANCHORS_PER_LAYER 4u
#define FS_ANCHORS (2u * FS_ANCHORS_PER_LAYER)
#define FS_INLINE_MAX 4096u                     /* small files live in the metadata */
#define FS_MAX_FILE_SIZE (1ULL << 50)           /* -EFBIG beyond */
#define FS_LCN_NONE UINT64_MAX
#define FS_COMMIT_BYTES (256u * 1024u)          /* log bytes that trigger an early commit */
#define FS_DIRTY_MAX(cache) ((cache) < 32u ? 32u : (cache))
#define FS_XATTR_TOTAL_MAX (1u << 20)           /* all xattrs of one inode */
/* Longest commit, for the writer (log.c) and every reader (chain.c limit 4): 16 MiB of
 * records, 64x the early-commit size; a longer one is written as a checkpoint. */
#define FS_COMMIT_MAX_CLUSTERS 256u

/* ---- on-medium format (format.c) ---------------------------------------------------- */

#define FS_FORMAT_VERSION 1u
#define FS_ANCHOR_BYTES 256u
#define FS_CHDR_BYTES 64u
#define FS_PAYLOAD (FS_CLUSTER - FS_CHDR_BYTES) /* record bytes per metadata cluster */
#define FS_CHDR_CKPT 1u
#define FS_CHDR_LOG 2u
#define FS_CHDR_END 1u                           /* flags: last cluster of a commit */
#define FS_REC_HDR 8u

enum fs_rec_type {
    FS_REC_INODE = 1,
    FS_REC_FREE = 2,
    FS_REC_DIRENT_ADD = 3,
    FS_REC_DIRENT_DEL = 4,
    FS_REC_EXTENT = 5,
    FS_REC_TRUNC = 6,
    FS_REC_XATTR_SET = 7,
    FS_REC_XATTR_DEL = 8,
    FS_REC_CKPT_HEAD = 9,
    FS_REC_CKPT_END = 10,
};

/* The anchor: the root of everything, in FS_ANCHORS fixed slots (format.c). */
struct fs_anchor {
    uint8_t uuid[16];
    uint64_t generation;          /* = the checkpoint generation it names */
    uint64_t ckpt_a, ckpt_b;      /* first checkpoint cluster, both copies */
    uint32_t ckpt_clusters;
    uint64_t ckpt_bytes;          /* record stream length */
    uint64_t log_a, log_b;        /* first log cluster after the checkpoint */
    uint64_t log_seq;             /* its sequence number */
    uint64_t total_lcns;          /* sector_logical_clusters at mkfs */
    char label[PFS_LABEL_MAX];
};

/* Header of a checkpoint or log cluster. */
struct fs_chdr {
    uint32_t kind;                /* FS_CHDR_CKPT / FS_CHDR_LOG */
    uint32_t flags;               /* FS_CHDR_END */
    uint8_t uuid[16];
    uint64_t gen;                 /* checkpoint generation */
    uint64_t seq;                 /* log: sequence number; checkpoint: index in chain */
    uint64_t next_a, next_b;      /* the next cluster of the chain, both copies */
    uint32_t payload_len;
};

/* A growable byte buffer (record streams). */
struct fs_buf {
    uint8_t *p;
    size_t len, cap;
};

void fs_anchor_encode(const struct fs_anchor *a, uint8_t *cluster);
/* 0, -EBADMSG (bad CRC or magic), -EPROTO (unknown version). */
int fs_anchor_decode(const uint8_t *cluster, struct fs_anchor *a);
/* Encode header + payload into cluster (payload_len bytes from payload). */
void fs_chdr_encode(const struct fs_chdr *h, const uint8_t *payload, uint8_t *cluster);
/* 0, -EBADMSG (magic/CRC), -EPROTO. */
int fs_chdr_decode(const uint8_t *cluster, struct fs_chdr *h);

int fs_buf_reserve(struct fs_buf *b, size_t more);
int fs_buf_put(struct fs_buf *b, const void *p, size_t n);
void fs_buf_free(struct fs_buf *b);

/* Record cursor used while decoding a stream: every get checks bounds. */
struct fs_cur {
    const uint8_t *p;
    size_t len, off;
    bool bad;
};
uint8_t fs_cur_u8(struct fs_cur *c);
uint16_t fs_cur_u16(struct fs_cur *c);
uint32_t fs_cur_u32(struct fs_cur *c);
uint64_t fs_cur_u64(struct fs_cur *c);
const uint8_t *fs_cur_bytes(struct fs_cur *c, size_t n);

/* Record writer: fs_rec_begin reserves the header, fs_rec_end fills the length. */
struct fs_rec {
    struct fs_buf *b;
    size_t start;
    int err;
};
void fs_rec_begin(struct fs_rec *r, struct fs_buf *b, uint16_t type);
void fs_rec_u16(struct fs_rec *r, uint16_t v);
void fs_rec_u32(struct fs_rec *r, uint32_t v);
void fs_rec_u64(struct fs_rec *r, uint64_t v);
void fs_rec_bytes(struct fs_rec *r, const void *p, size_t n);
int fs_rec_end(struct fs_rec *r);

/* ---- in-memory model (meta.c) ------------------------------------------------------- */

#define FS_I_INLINE 1u  /* regular file whose bytes are in payload */
#define FS_I_DIGEST 2u  /* digest holds the fixity of the current content */

struct fs_dirent {
    char *name;           /* NUL-terminated, namelen bytes */
    uint64_t ino;         /* 0: removed (tombstone kept for cookie order) */
    uint64_t cookie;      /* strictly increasing along the vector */
    uint64_t hash;
    uint16_t namelen;
};

struct fs_dir {
    struct fs_dirent *ents; /* insertion order; readdir cookies */
    size_t n, cap, live;
    uint32_t *slots;        /* open addressing: index+1 into ents, 0 empty, TOMB */
    size_t nslots, used;    /* used counts tombstones too */
    uint64_t next_cookie;
    uint64_t parent;        /* ino of "..", derived */
};

struct fs_extent {
    uint64_t idx;  /* file cluster index */
    uint64_t lcn;
};

struct fs_xattr {
    char *name;
    uint8_t *value;
    uint32_t size;
};

struct fs_dirty {
    uint64_t idx;
    uint8_t *buf;  /* FS_CLUSTER bytes, the cluster's new content */
};

struct fs_inode {
    uint64_t ino;
    uint32_t mode, uid, gid, nlink;
    uint64_t rdev, size;
    struct timespec atime, mtime, ctime;
    uint32_t flags;                 /* FS_I_* */
    uint8_t digest[PFS_FIXITY_BYTES];
    uint8_t *payload;               /* inline data or symlink target */
    uint32_t payload_len;
    struct fs_dir *dir;             /* directories only */
    struct fs_extent *ext;          /* sorted by idx */
    size_t next, ext_cap;
    struct fs_xattr *xa;
    size_t nxa;
    struct fs_dirty *dirty;         /* dirty data clusters (unsorted, small) */
    size_t ndirty, dirty_cap;
    uint32_t opens, writers;        /* open handles; those open for writing */
    crypto_generichash_state *hs;   /* fixity state of [0, hs_off) or NULL (fixity.c) */
    uint64_t hs_off;
    uint64_t cgen;                  /* content generation: +1 at every change (fixity.c) */
    int fx_err;                     /* the background digest failed (-EIO), 0 */
    bool fx_queued;                 /* waiting in fs->fx.queue */
    uint64_t hint_parent;           /* a directory that held it (for report paths) */
    bool attr_dirty;                /* its R_INODE is owed to the next commit */
    struct fs_inode *dnext, *dprev; /* the attr_dirty list */
};

struct fs_itable {
    struct fs_inode **slots;
    size_t nslots, count, used;
};

/* ---- allocation (alloc.c) ----------------------------------------------------------- */

enum fs_lcn_state { FS_LCN_FREE = 0, FS_LCN_USED, FS_LCN_PENDING, FS_LCN_FIXED, FS_LCN_BAD };
enum fs_class { FS_DATA = 0, FS_META = 1 };

struct fs_pending {
    uint64_t lcn;
    uint64_t after;  /* released once fs->commits_done >= after */
};

struct fs_alloc {
    uint64_t total, per_layer;       /* 2U, U */
    uint8_t *state;                  /* enum fs_lcn_state per LCN */
    uint32_t *cycles;                /* overwrite cycles per LCN (wear) */
    uint64_t *heap[2];               /* free LCNs per layer: key (cycles << 32) | lcn */
    size_t hn[2];
    struct fs_pending *pend;
    size_t npend, pend_cap;
    uint64_t *inflight;              /* LCNs being read outside the lock */
    uint32_t *inflight_n;
    size_t ninflight, inflight_cap;
    enum pfs_placement placement;
};

/* ---- caches and handles (file.c) ---------------------------------------------------- */

struct fs_cache_ent {
    uint64_t lcn;      /* FS_LCN_NONE: empty */
    uint64_t stamp;
    uint8_t *buf;
};

struct fs_handle {
    uint64_t ino;
    uint32_t gen;
    int flags;
    uid_t uid;        /* who opened it: a write by non-root clears set-ID bits */
    bool used, wrote;
};

/* ---- the filesystem ------------------------------------------------------------------ */

/* The fixity worker (fixity.c). [L] except abandon, which the worker polls unlocked. */
struct fs_fixity {
    pthread_t thread;
    pthread_cond_t work;             /* the worker waits for a job */
    pthread_cond_t done;             /* getxattr waits for a digest (CLOCK_MONOTONIC) */
    uint64_t *queue;                 /* inodes wanting a digest, in order */
    size_t nq, qcap;
    uint64_t cur_ino;                /* being hashed now, 0 none */
    atomic_bool abandon;             /* the current job's content changed or went */
    bool inited, started, stop, draining;
};

/*
 * Lock rules. fs->lock (mutex) guards everything below marked [L]. Data clusters are
 * read with sector_read outside it (after registering the LCN in alloc.inflight, which
 * the allocator skips, so a cluster being read is never reused under the reader).
 * Commits and checkpoints run with fs->lock held (they write metadata with it).
 * fs->pool_lock guards bufpool only. Order: lock, then pool_lock. The report callback
 * may be called with fs->lock held: it must not call back into pfs.
 */
struct pfs {
    /* immutable after mount */
    struct medium *m;
    struct sector_dev *dev;
    struct pfs_mount_options opt;
    uint8_t uuid[16];
    char label[PFS_LABEL_MAX];
    uint8_t hashkey[crypto_shorthash_KEYBYTES];
    uint64_t total_lcns, per_layer;
    bool read_only;

    pthread_mutex_t lock;
    struct fs_itable itab;           /* [L] */
    uint64_t next_ino;               /* [L] */
    struct fs_alloc al;              /* [L] */
    struct fs_inode *dirty_head;     /* [L] attr_dirty list */
    size_t dirty_clusters;           /* [L] sum of ndirty */
    uint64_t dirty_est;              /* [L] bound of the R_INODE bytes owed at commit */
    uint64_t meta_bytes;             /* [L] checkpoint stream size (CKPT_HEAD/END aside) */
    uint64_t data_clusters;          /* [L] extents of all files */

    /* [L] log and checkpoint state (log.c, checkpoint.c) */
    struct fs_buf logbuf;            /* records not yet committed */
    uint64_t gen;                    /* checkpoint generation in force */
    uint64_t anchor_gen;             /* generation of the newest anchor written */
    unsigned anchor_slot;            /* the slot that anchor is in (a failed slot makes it
                                        differ from anchor_gen % FS_ANCHORS) */
    uint64_t log_seq;                /* sequence of the next log cluster */
    uint64_t log_a, log_b;           /* where the next log cluster goes */
    uint32_t log_clusters;           /* log clusters since the checkpoint */
    uint32_t log_limit;              /* checkpoint when log_clusters reaches it */
    uint32_t ckpt_clusters;          /* clusters of the checkpoint in force */
    uint64_t *meta_lcns;             /* metadata LCNs in use (both copies) */
    size_t nmeta, meta_cap;
    uint64_t commits_done;           /* commits completed (deferred reuse clock) */
    bool data_unsynced;              /* data written since the last sector_sync */
    int fatal;                       /* a commit could not be written: -EIO / -EROFS */
    uint8_t *iobuf;                  /* FS_CLUSTER scratch used with the lock held */
    uint8_t *iobuf2;

    /* [L] caches and handles (file.c) */
    struct fs_cache_ent *cache;
    size_t ncache;
    uint64_t cache_clock;
    struct fs_handle *handles;
    size_t nhandles, handles_cap;
    uint32_t handle_gen;

    /* [L] statistics */
    struct pfs_stats st;

    /* pool_lock: FS_CLUSTER buffers for readers outside the lock */
    pthread_mutex_t pool_lock;
    uint8_t **pool;
    size_t npool, pool_cap;

    struct fs_fixity fx;

    /* the commit thread: lock + cond */
    pthread_t thread;
    pthread_cond_t cond;
    bool thread_started, stopping;
};

/* May the filesystem change now? -EROFS when mounted read-only, else the error that
 * stopped all changes (fs->fatal, 0 while healthy). Holds fs->lock. */
static inline int fs_writable(const struct pfs *fs)
{
    return fs->read_only ? -EROFS : fs->fatal;
}

/* ---- meta.c ------------------------------------------------------------------------- */
int fs_itable_init(struct fs_itable *t);
void fs_itable_free(struct fs_itable *t);
struct fs_inode *fs_iget(struct pfs *fs, uint64_t ino);
/* Create an empty inode with number ino (must not exist). NULL on -ENOMEM. */
struct fs_inode *fs_inode_new(struct pfs *fs, uint64_t ino, uint32_t mode);
/* Remove from the table and free (clusters must already be released by the caller). */
void fs_inode_destroy(struct pfs *fs, struct fs_inode *ip);
uint64_t fs_inode_meta_bytes(const struct fs_inode *ip);

uint64_t fs_name_hash(const struct pfs *fs, const char *name, size_t len);
struct fs_dirent *fs_dir_find(struct pfs *fs, struct fs_inode *dp, const char *name,
                              size_t len);
int fs_dir_add(struct pfs *fs, struct fs_inode *dp, const char *name, size_t len,
               uint64_t ino);
void fs_dir_remove(struct pfs *fs, struct fs_inode *dp, struct fs_dirent *de);
/* Index of the first live entry with cookie > off, or n. */
size_t fs_dir_seek(const struct fs_dir *d, uint64_t off);

/* Extent map: the LCN of file cluster idx, FS_LCN_NONE for a hole. */
uint64_t fs_ext_get(const struct fs_inode *ip, uint64_t idx);
/* The first extent index >= idx, UINT64_MAX when none. */
uint64_t fs_ext_next(const struct fs_inode *ip, uint64_t idx);
/* Set (lcn != NONE) or remove; *old gets the previous LCN or NONE. */
int fs_ext_set(struct fs_inode *ip, uint64_t idx, uint64_t lcn, uint64_t *old);
struct fs_xattr *fs_xattr_find(struct fs_inode *ip, const char *name);
/* The mutators below keep fs->meta_bytes in step. */
int fs_xattr_put(struct pfs *fs, struct fs_inode *ip, const char *name, const void *value,
                 uint32_t size);
int fs_xattr_remove(struct pfs *fs, struct fs_inode *ip, const char *name);
/* Replace the payload (inline data / symlink target); data NULL gives zeros. */
int fs_payload_set(struct pfs *fs, struct fs_inode *ip, const void *data, uint32_t len);
int fs_ext_update(struct pfs *fs, struct fs_inode *ip, uint64_t idx, uint64_t lcn,
                  uint64_t *old);
/* Drop extents with idx >= from (meta_bytes kept); each dropped LCN goes to fn. */
void fs_ext_trunc(struct pfs *fs, struct fs_inode *ip, uint64_t from,
                  void (*fn)(struct pfs *, uint64_t));

/* Empty the model (inodes, allocation map, metadata LCNs) before a load. */
void fs_model_reset(struct pfs *fs);
/* Apply one record of a checkpoint or log stream to the in-memory model. */
int fs_apply_record(struct pfs *fs, uint16_t type, struct fs_cur *c);
/* After load: derive nlink and parents, check the tree and every extent (marking its
 * LCN used), free orphans. Returns 1 when orphans were freed, 0, -EUCLEAN, -ENOMEM. */
int fs_meta_finish(struct pfs *fs);

/* ---- alloc.c ------------------------------------------------------------------------ */
int fs_alloc_init(struct pfs *fs);
void fs_alloc_free(struct fs_alloc *al);
/* Mark lcn used while rebuilding at mount; -EUCLEAN when out of range or already used. */
int fs_alloc_mark(struct pfs *fs, uint64_t lcn);
/* Build the free heaps from the state map (after all marks). */
int fs_alloc_build(struct pfs *fs);
/* Take the least-worn free cluster for class cls on the layer the placement prefers,
 * or, when avoid_layer >= 0 (the second copy of a metadata pair), on the other layer if
 * it has room. Returns 0 and *lcn, or -ENOSPC. No reserve check: callers did it. */
int fs_alloc_take(struct pfs *fs, enum fs_class cls, int avoid_layer, uint64_t *lcn);
/* Give lcn back after the next commit (deferred reuse). */
int fs_alloc_defer(struct pfs *fs, uint64_t lcn);
/* Free a metadata cluster at once (the checkpoint replacing it is durable). */
void fs_alloc_put(struct pfs *fs, uint64_t lcn);
/* Release what waited for commits_done / a checkpoint. */
void fs_alloc_release(struct pfs *fs, bool checkpoint);
void fs_alloc_bad(struct pfs *fs, uint64_t lcn);
uint64_t fs_alloc_free_count(const struct pfs *fs);
/* Clusters metadata may need before the next checkpoint lands (kept out of reach). */
uint64_t fs_alloc_reserve(const struct pfs *fs, uint64_t extra_meta_bytes);
/* -ENOSPC unless data_clusters more clusters and extra_meta more metadata bytes fit. */
int fs_space_check(struct pfs *fs, uint64_t data_clusters, uint64_t extra_meta);
int fs_inflight_add(struct pfs *fs, uint64_t lcn);
void fs_inflight_del(struct pfs *fs, uint64_t lcn);
void fs_wear_note(struct pfs *fs, uint64_t lcn, uint32_t cycles);
unsigned fs_lcn_layer(const struct pfs *fs, uint64_t lcn);
uint64_t fs_anchor_lcn(const struct pfs *fs, unsigned slot);

/* ---- log.c -------------------------------------------------------------------------- */
void fs_log_inode(struct pfs *fs, struct fs_inode *ip);
void fs_mark_dirty(struct pfs *fs, struct fs_inode *ip);
/* Forget the attr_dirty list (a checkpoint captured memory whole). */
void fs_dirty_clear(struct pfs *fs);
void fs_log_free(struct pfs *fs, uint64_t ino);
void fs_log_dirent_add(struct pfs *fs, uint64_t dir, const char *name, size_t len,
                       uint64_t ino);
void fs_log_dirent_del(struct pfs *fs, uint64_t dir, const char *name, size_t len);
void fs_log_extent(struct pfs *fs, uint64_t ino, uint64_t idx, uint64_t lcn);
void fs_log_trunc(struct pfs *fs, uint64_t ino, uint64_t from_idx);
void fs_log_xattr_set(struct pfs *fs, uint64_t ino, const struct fs_xattr *x);
void fs_log_xattr_del(struct pfs *fs, uint64_t ino, const char *name);
int fs_encode_inode(struct fs_buf *b, const struct fs_inode *ip);
/* Flush all dirty data and write the log durably. Caller holds fs->lock. */
int fs_commit(struct pfs *fs);
/* Commit when the log has grown past FS_COMMIT_BYTES. */
int fs_commit_maybe(struct pfs *fs);
bool fs_needs_commit(const struct pfs *fs);
/* Write both copies of one metadata cluster; 0 when at least one copy was written, or with
 * both set only when both were (a log cluster needs both: chain.c invariant 7). */
int fs_meta_write(struct pfs *fs, uint64_t a, uint64_t b, const uint8_t *buf, bool both);
int fs_meta_track(struct pfs *fs, uint64_t lcn);
/* Allocate the two copies of one metadata cluster on different layers. */
int fs_meta_pair(struct pfs *fs, uint64_t *a, uint64_t *b);

/* ---- chain.c: the metadata chain walker ------------------------------------------ */
/* The state of one copy of a metadata structure, worst last (chain.c invariant 3). */
enum fs_copy {
    FS_COPY_OK = 0,
    FS_COPY_BLANK,        /* never written */
    FS_COPY_STALE,        /* another generation, sequence or filesystem (or size) */
    FS_COPY_FOREIGN,      /* not this kind of structure */
    FS_COPY_RANGE,        /* outside the medium, or an anchor naming clusters outside it */
    FS_COPY_CORRUPT,      /* its magic, but a bad CRC or layout */
    FS_COPY_UNREADABLE,   /* the sector layer could not read it */
};

/* The anchor slots as read (chain.c invariants 1, 2). */
struct fs_anchors {
    enum fs_copy state[FS_ANCHORS];   /* OK: a valid anchor of this filesystem */
    struct fs_anchor a[FS_ANCHORS];
    uint64_t bad_gen[FS_ANCHORS];     /* CORRUPT: the generation it claims, unverified */
    bool proto[FS_ANCHORS];           /* CORRUPT because of an unknown format version */
    uint8_t uuid[16];                 /* the filesystem's (when nvalid) */
    unsigned nvalid;                  /* OK slots */
    unsigned order[FS_ANCHORS];       /* OK slots newest first, one per generation */
    unsigned norder;
};

/* What the walker tells its caller (tolerant mode reports them as problems). */
enum fs_walk_event {
    FS_WALK_PAIR,         /* a checkpoint or log pair: which copy is good (-1: none) */
    FS_WALK_CKPT_BYTES,   /* the checkpoint's length (a) is not its anchor's (b) */
    FS_WALK_LOG_LOST,     /* a log pair damaged on both copies: the log ends before it */
    FS_WALK_LOG_LONG,     /* FS_COMMIT_MAX_CLUSTERS log clusters without END from seq
                           * (pair a, b): the log ends before them */
    FS_WALK_STRAY,        /* bytes at the end of a stream, too few for a record: dropped */
    FS_WALK_OVERRUN,      /* a record of type whose length runs past its stream: the rest
                           * of the stream is dropped */
    FS_WALK_RECORD,       /* a record of type (naming ino) that does not apply: dropped */
    FS_WALK_CKPT_SHAPE,   /* a checkpoint stream not framed as format.c (4) says (why) */
};

struct fs_walk_note {
    enum fs_walk_event ev;
    uint32_t kind;        /* FS_CHDR_CKPT / FS_CHDR_LOG */
    uint64_t seq, a, b;   /* the cluster and its pair (CKPT_BYTES: the two lengths) */
    enum fs_copy st[2];   /* PAIR, LOG_LOST: copies a and b (b unread when strict and a
                           * is good) */
    int which;            /* PAIR: the good copy, 0 or 1, or -1 */
    const char *where;    /* stream events: "checkpoint", "log commit ending at ..." */
    const char *why;      /* CKPT_SHAPE */
    uint16_t type;        /* OVERRUN, RECORD */
    uint64_t ino;         /* RECORD: the inode its body starts with (0: none) */
    size_t bytes;         /* STRAY */
};

struct fs_walk {
    struct pfs *fs;
    bool tolerant;        /* fsck: read both copies, note everything, never refuse */
    void *arg;
    void (*note)(struct fs_walk *w, const struct fs_walk_note *n);   /* may be NULL */
    /* a pair that is part of the state (checkpoint, or a complete commit) */
    int (*pair)(struct fs_walk *w, uint32_t kind, uint64_t seq, uint64_t a, uint64_t b);
    /* results of fs_walk_log: where the next commit goes, clusters of complete commits,
     * whether any log cluster was found, records of the commits applied */
    uint64_t log_a, log_b, log_seq;
    uint32_t log_clusters;
    bool found;
    uint64_t log_records;
};

/* Read the anchor slots and decide which belong to the filesystem. 0 or -ENOMEM. */
int fs_anchors_read(struct pfs *fs, struct fs_anchors *set);
/* Read the checkpoint chain of anchor a into b. 0; -EBADMSG a cluster has no good copy;
 * -EUCLEAN (strict) its length is not the anchor's; -ENOMEM. */
int fs_walk_checkpoint(struct fs_walk *w, const struct fs_anchor *a, struct fs_buf *b);
/* Apply a record stream through fs_apply_record: a checkpoint's (ckpt: framed by
 * CKPT_HEAD and CKPT_END, whose counts must hold) or the commit whose last log cluster
 * is last_seq. Strict: -EUCLEAN at the first thing wrong; tolerant: noted and skipped.
 * Also -ENOMEM. *nrec counts the records. */
int fs_walk_stream(struct fs_walk *w, const uint8_t *p, size_t len, bool ckpt,
                   uint64_t last_seq, uint64_t *nrec);
/* Walk the log from (a, b, seq), applying whole commits. 0; strict: -EUCLEAN a commit
 * beyond the limit or one that does not apply, -EBADMSG a pair lost on both copies
 * (read-write only); -ENOMEM; or what pair returned. */
int fs_walk_log(struct fs_walk *w, uint64_t a, uint64_t b, uint64_t seq);

/* ---- checkpoint.c ------------------------------------------------------------------- */
/* Write a full checkpoint and a new anchor. Caller holds fs->lock. */
int fs_checkpoint(struct pfs *fs);
/* Find the newest good anchor, load its checkpoint and replay the log. */
int fs_load(struct pfs *fs, bool *replayed);
int fs_serialize(struct pfs *fs, struct fs_buf *b);

/* ---- perm.c ------------------------------------------------------------------------- */
bool fs_in_group(const struct pfs_ctx *ctx, gid_t gid);
/* mask of R_OK | W_OK | X_OK against ip for ctx: 0 or -EACCES. */
int fs_perm(const struct pfs_ctx *ctx, const struct fs_inode *ip, int mask);
/* Sticky-directory rule for removing/replacing victim in dp: 0 or -EPERM. */
int fs_sticky_ok(const struct pfs_ctx *ctx, const struct fs_inode *dp,
                 const struct fs_inode *victim);
/* Checks for setattr. write_handle: the caller holds a handle open for writing on ip, which
 * grants truncation and "now" times without write permission on the file. */
int fs_setattr_check(const struct pfs_ctx *ctx, const struct fs_inode *ip,
                     const struct pfs_setattr *sa, unsigned fields, bool write_handle);
/* True if fh is a live handle on ino opened for writing. Holds fs->lock. */
bool fs_handle_writes(struct pfs *fs, uint64_t ino, uint64_t fh);
/* Clear setuid/setgid as a write by ctx requires; true when the mode changed. */
bool fs_kill_suid(const struct pfs_ctx *ctx, struct fs_inode *ip);

/* ---- namei.c / file.c / xattr.c helpers --------------------------------------------- */
struct timespec fs_now(void);
/* Create name in parent (all checks, log records, parent times). Caller holds lock. */
int fs_create_node(struct pfs *fs, const struct pfs_ctx *ctx, uint64_t parent,
                   const char *name, uint32_t mode, uint64_t rdev, const char *target,
                   struct fs_inode **res);
void fs_attr_fill(const struct fs_inode *ip, struct pfs_attr *out);
int fs_name_check(const char *name, size_t *len);
/* Drop file clusters >= from_idx (and the dirty cache beyond); logs R_TRUNC. */
int fs_file_truncate(struct pfs *fs, struct fs_inode *ip, uint64_t size);
/* Release every resource of an inode whose last link and last handle are gone. */
void fs_inode_drop(struct pfs *fs, struct fs_inode *ip);
/* Flush every dirty data cluster of ip (or all inodes when ip is NULL). */
int fs_flush_data(struct pfs *fs, struct fs_inode *ip);
void fs_cache_drop(struct pfs *fs, uint64_t lcn);
int fs_cache_init(struct pfs *fs);
void fs_cache_free(struct pfs *fs);
uint8_t *fs_pool_get(struct pfs *fs);
void fs_pool_put(struct pfs *fs, uint8_t *buf);
void fs_report(struct pfs *fs, int err, const char *path, uint64_t off, const char *what);
/* Path of ino for reports (best effort, "" when unknown). */
void fs_path_of(struct pfs *fs, uint64_t ino, char *buf, size_t cap);
/* Read [off, off + size) of ino into buf, clipped at its size; holes read as zeros.
 * Holds fs->lock and drops it while clusters are decoded (file.c rule 3): the inode may
 * be gone on return. Returns the bytes read, -ENOENT, -EIO or -ENOMEM. */
ssize_t fs_read_locked(struct pfs *fs, uint64_t ino, void *buf, size_t size, uint64_t off);

/* ---- fixity.c ----------------------------------------------------------------------- */
/* Where fs_fixity_hash gets a file's content. */
struct fs_fixity_src {
    /* File cluster idx into buf (FS_CLUSTER bytes): 0, or a negative errno that stops
     * the hash. Never called for a hole. */
    int (*cluster)(void *arg, uint64_t idx, uint8_t *buf);
    /* The first cluster index >= idx that may hold data (UINT64_MAX: none); the
     * clusters before it are holes and hash as zeros, unread. */
    uint64_t (*next_data)(void *arg, uint64_t idx);
    /* NULL, or true to stop: the hash returns -ECANCELED (polled every MiB). */
    bool (*cancelled)(void *arg);
    void *arg;
};
/* Hash bytes [from, to) of the content from src into st; buf is FS_CLUSTER bytes of
 * scratch. Returns 0, -ECANCELED or what src->cluster returned. Takes no lock itself. */
int fs_fixity_feed(const struct fs_fixity_src *src, crypto_generichash_state *st,
                   uint64_t from, uint64_t to, uint8_t *buf);
/* BLAKE2b-256 of the first size bytes of content from src (fs_fixity_feed). */
int fs_fixity_hash(const struct fs_fixity_src *src, uint64_t size, uint8_t *buf,
                   uint8_t out[PFS_FIXITY_BYTES]);
/* The first index >= idx holding an extent or a dirty cluster of ip. [L] */
uint64_t fs_fixity_next_data(const struct fs_inode *ip, uint64_t idx);
/* The streaming digest of a file written in order from offset 0. [L] */
void fs_fixity_stream_begin(struct fs_inode *ip);
void fs_fixity_stream_feed(struct fs_inode *ip, uint64_t off, const uint8_t *src, size_t n);
void fs_fixity_stream_drop(struct fs_inode *ip);
/* ip's content changed (any byte, or its size): the digest is void. [L] */
void fs_fixity_changed(struct pfs *fs, struct fs_inode *ip);
/* ip is about to be freed: a hash of it under way stops. [L] */
void fs_fixity_forget(struct pfs *fs, struct fs_inode *ip);
/* Nobody writes ip: make its digest final now (streamed or inline) or queue it for the
 * worker. 0, -ENOMEM, -EAGAIN (no worker). [L] */
int fs_fixity_settle(struct pfs *fs, struct fs_inode *ip);
/* Wait (fs->lock released meanwhile) for ino's digest: 0 once FS_I_DIGEST is set,
 * -EAGAIN after FIXITY_WAIT_MS, -ENODATA if opened for writing meanwhile, -ENOENT,
 * -EIO (a cluster could not be read). [L] */
int fs_fixity_wait(struct pfs *fs, uint64_t ino);
/* The worker: started at mount; stopped at unmount, with drain after the queue's files
 * up to FIXITY_UNMOUNT_MAX bytes are hashed. */
int fs_fixity_start(struct pfs *fs);
void fs_fixity_stop(struct pfs *fs, bool drain);

/* ---- fs.c hooks for check.c -------------------------------------------------------- */
/* A filesystem object on dev (which stays the caller's) with nothing loaded. */
int fs_object_new(struct medium *m, struct sector_dev *dev, const struct pfs_mount_options *o,
                  struct pfs **out);
void fs_object_free(struct pfs *fs);

/* ---- test hooks (tests/unit/test_fs.c only) ----------------------------------------- */
/* Free fs as a crash would leave it: no commit, no checkpoint, nothing written. */
void pfs_test_abandon(struct pfs *fs);
/* The LCN holding file cluster idx of ino, FS_LCN_NONE for a hole or inline data. */
uint64_t pfs_test_file_lcn(struct pfs *fs, uint64_t ino, uint64_t idx);
/* Metadata LCNs in use (checkpoint and log, both copies): count written into lcns. */
size_t pfs_test_meta_lcns(struct pfs *fs, uint64_t *lcns, size_t cap);

#endif /* PHASEFS_FS_PRIV_H */
