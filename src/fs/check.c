/*
 * check.c — the filesystem check behind fsck.phasefs (DESIGN.md "Tools": fsck): loads
 * the metadata through the walker mount uses (chain.c), in its tolerant mode — each
 * copy of every metadata cluster is read and judged, a record that does not apply is
 * reported and skipped — then checks the model (reachability, link counts, cluster
 * ownership, extents) and, with the fixity option, file contents against their
 * digests. It never prints: problems are plain data for the tool.
 *
 * Repair (opt->repair) fixes the model in memory and makes it durable with one full
 * checkpoint (checkpoint.c protocol), which also rewrites every metadata copy on fresh
 * clusters; bad anchor slots then get a copy of the new anchor. File contents are never
 * repaired (there is no second copy of data). What counts as a problem:
 * (1) An inode no directory reaches whose stored link count is 0 was unlinked while
 *     open; mount frees it silently, so it is not reported. One with a stored count
 *     above 0 is an orphan (ORPHAN), which a read-write mount refuses (meta.c
 *     fs_meta_finish); the clusters it holds are LEAKED.
 * (2) The allocation map is derived at mount from references, never stored, so a
 *     cluster can leak only by being held by an orphan: that is the LEAKED class.
 * (3) The end of the log is where chain.c (invariants 4-6) puts it, for mount and
 *     check alike; a pair damaged on both copies, or a commit longer than any phasefs
 *     writes, is LOG_LOST: mount refuses it read-write, a repair cuts the log there.
 */
#include "fs_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define OWN_NONE 0u
#define OWN_META UINT64_MAX
#define OWN_ANCHOR (UINT64_MAX - 1)

/* by enum fs_copy */
static const char *const copy_word[] = {
    "good", "blank", "stale", "not metadata", "outside the medium", "corrupt (CRC)",
    "unreadable",
};

static const char *const class_names[PFS_CHECK_CLASS_COUNT] = {
    [PFS_CHECK_NO_FS] = "no-filesystem",
    [PFS_CHECK_ANCHOR] = "anchor",
    [PFS_CHECK_CKPT_COPY] = "checkpoint-copy",
    [PFS_CHECK_CKPT_LOST] = "checkpoint-lost",
    [PFS_CHECK_LOG_COPY] = "log-copy",
    [PFS_CHECK_LOG_LOST] = "log-lost",
    [PFS_CHECK_RECORD] = "record",
    [PFS_CHECK_DIRENT] = "dirent",
    [PFS_CHECK_DIR_NAMES] = "directory-names",
    [PFS_CHECK_ORPHAN] = "orphan",
    [PFS_CHECK_NLINK] = "link-count",
    [PFS_CHECK_BAD_LCN] = "bad-cluster-number",
    [PFS_CHECK_DUP_CLUSTER] = "duplicate-cluster",
    [PFS_CHECK_LEAKED] = "leaked-clusters",
    [PFS_CHECK_EXTENT_EOF] = "extent-beyond-eof",
    [PFS_CHECK_UNREADABLE] = "unreadable-data",
    [PFS_CHECK_FIXITY] = "fixity-mismatch",
    [PFS_CHECK_DMA_COPY] = "dma-copy",
};

const char *pfs_check_class_name(enum pfs_check_class cls)
{
    return (unsigned)cls < PFS_CHECK_CLASS_COUNT ? class_names[cls] : "unknown";
}

void pfs_check_options_default(struct pfs_check_options *opt)
{
    if (!opt)
        return;
    memset(opt, 0, sizeof *opt);
    opt->size = sizeof *opt;
    sector_options_default(&opt->sector);
}

void pfs_check_report_free(struct pfs_check_report *rep)
{
    if (!rep)
        return;
    free(rep->problems);
    free(rep->meta);
    free(rep->owners);
    for (size_t i = 0; i < rep->nfiles_owning; i++)
        free(rep->files_owning[i].path);
    free(rep->files_owning);
    rep->problems = NULL;
    rep->meta = NULL;
    rep->owners = NULL;
    rep->files_owning = NULL;
    rep->count = rep->nmeta = rep->nowners = rep->nfiles_owning = 0;
}

/* A repair a problem asks for, applied after the whole check. */
enum fix_kind { FIX_NONE = 0, FIX_CHAIN, FIX_ANCHOR, FIX_DIRENT, FIX_DIRNAME, FIX_ORPHAN,
                FIX_NLINK, FIX_DROP_EXT, FIX_CLONE, FIX_RECORD, FIX_DMA, FIX_QUARANTINE };

struct ck_fix {
    enum fix_kind kind;
    uint64_t ino, dir, idx, lcn;
    unsigned slot;
    char name[PFS_NAME_MAX + 1];
};

struct ck {
    struct pfs *fs;
    const struct pfs_check_options *opt;
    struct pfs_check_report *rep;
    struct ck_fix *fix;          /* parallel to rep->problems */
    size_t cap;
    int err;                     /* -ENOMEM met while reporting */
    uint64_t *own;               /* owner of each LCN: ino, OWN_META, OWN_ANCHOR */
    struct fs_inode **inodes;    /* by ino, live after load */
    size_t ninodes;
    uint8_t *reach;              /* parallel to inodes */
    uint32_t *links;             /* derived link counts, parallel */
    char subtree[PFS_CHECK_PATH_MAX];
    bool chain_dirty;            /* a checkpoint is owed for chain problems */
    uint8_t *buf2;
    struct fs_anchor older[FS_ANCHORS]; /* valid anchors older than the one in force,
                                         * newest first, one per generation */
    unsigned nolder;
    bool rescue;                 /* the tree is an older generation's (newest lost) */
};

static bool under(const struct ck *k, const char *path)
{
    size_t n = strlen(k->subtree);
    if (!n || !strcmp(path, "/"))
        return true; /* whole-filesystem problems concern every subtree */
    return !strncmp(path, k->subtree, n) && (path[n] == '\0' || path[n] == '/');
}

static void problem(struct ck *k, enum pfs_check_class cls, uint64_t ino, uint64_t lcn,
                    const char *path, const struct ck_fix *fix, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static void problem(struct ck *k, enum pfs_check_class cls, uint64_t ino, uint64_t lcn,
                    const char *path, const struct ck_fix *fix, const char *fmt, ...)
{
    struct pfs_check_report *r = k->rep;
    if (!under(k, path))
        return;
    if (r->count == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 16;
        struct pfs_check_problem *p = realloc(r->problems, cap * sizeof *p);
        struct ck_fix *f = p ? realloc(k->fix, cap * sizeof *f) : NULL;
        if (p)
            r->problems = p;
        if (!p || !f) {
            k->err = -ENOMEM;
            return;
        }
        k->fix = f;
        k->cap = cap;
    }
    struct pfs_check_problem *p = &r->problems[r->count];
    memset(p, 0, sizeof *p);
    p->cls = cls;
    p->ino = ino;
    p->lcn = lcn;
    snprintf(p->path, sizeof p->path, "%s", path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->detail, sizeof p->detail, fmt, ap);
    va_end(ap);
    memset(&k->fix[r->count], 0, sizeof k->fix[r->count]);
    if (fix)
        k->fix[r->count] = *fix;
    p->repairable = fix && fix->kind != FIX_NONE;
    r->count++;
}

static const char *layer_name(const struct pfs *fs, uint64_t lcn)
{
    return lcn < fs->per_layer ? "far" : "near";
}

static int meta_note(struct ck *k, uint32_t kind, uint64_t seq, uint64_t a, uint64_t b)
{
    struct pfs_check_report *r = k->rep;
    struct pfs_check_meta *m = realloc(r->meta, (r->nmeta + 1) * sizeof *m);
    if (!m)
        return -ENOMEM;
    r->meta = m;
    m[r->nmeta++] = (struct pfs_check_meta){kind, seq, a, b};
    return 0;
}

static void own_meta(struct ck *k, uint64_t lcn)
{
    if (lcn < k->fs->total_lcns && k->own[lcn] == OWN_NONE) {
        k->own[lcn] = OWN_META;
        (void)fs_meta_track(k->fs, lcn);
    }
}

/* The check's side of the walker (chain.c): every copy that is not good is a problem. */
static void ck_note(struct fs_walk *w, const struct fs_walk_note *n)
{
    struct ck *k = w->arg;
    struct pfs *fs = k->fs;
    const char *what = n->kind == FS_CHDR_CKPT ? "checkpoint" : "log";
    enum pfs_check_class copy_cls = n->kind == FS_CHDR_CKPT ? PFS_CHECK_CKPT_COPY
                                                            : PFS_CHECK_LOG_COPY;
    const struct ck_fix chain = {.kind = FIX_CHAIN}, record = {.kind = FIX_RECORD};
    const uint64_t seq = n->seq, a = n->a, b = n->b;
    const enum fs_copy *st = n->st;
    const int which = n->which;

    switch (n->ev) {
    case FS_WALK_PAIR:
        if (which == 0 && st[1] != FS_COPY_OK && b != a) {
            problem(k, copy_cls, 0, b, "/", &chain,
                    "%s cluster %llu: copy b (LCN %llu, %s layer) is %s; copy a is good", what,
                    (unsigned long long)seq, (unsigned long long)b, layer_name(fs, b),
                    copy_word[st[1]]);
            k->chain_dirty = true;
        } else if (which == 1) {
            problem(k, copy_cls, 0, a, "/", &chain,
                    "%s cluster %llu: copy a (LCN %llu, %s layer) is %s; copy b is good", what,
                    (unsigned long long)seq, (unsigned long long)a, layer_name(fs, a),
                    copy_word[st[0]]);
            k->chain_dirty = true;
        } else if (which < 0) {
            problem(k, PFS_CHECK_CKPT_LOST, 0, a, "/", NULL,
                    "checkpoint cluster %llu of generation %llu: copy a (LCN %llu) is %s and "
                    "copy b (LCN %llu) is %s; a read-only mount may rescue an older "
                    "generation (check files against their digests)",
                    (unsigned long long)seq, (unsigned long long)fs->gen,
                    (unsigned long long)a, copy_word[st[0]], (unsigned long long)b,
                    copy_word[st[1]]);
        }
        break;
    case FS_WALK_STRAY:
        problem(k, PFS_CHECK_RECORD, 0, FS_LCN_NONE, "/", &record,
                "%s: %zu stray bytes at the end of the stream (dropped)", n->where, n->bytes);
        break;
    case FS_WALK_OVERRUN:
        problem(k, PFS_CHECK_RECORD, 0, FS_LCN_NONE, "/", &record,
                "%s: a record of type %u runs past the end of the stream (dropped)", n->where,
                n->type);
        break;
    case FS_WALK_RECORD:
        problem(k, PFS_CHECK_RECORD, n->ino, FS_LCN_NONE, "/", &record,
                "%s: a record of type %u (inode %llu) does not apply (dropped)", n->where,
                n->type, (unsigned long long)n->ino);
        break;
    case FS_WALK_CKPT_SHAPE:
        problem(k, PFS_CHECK_RECORD, 0, FS_LCN_NONE, "/", &record, "%s: %s", n->where, n->why);
        break;
    case FS_WALK_CKPT_BYTES:
        problem(k, PFS_CHECK_RECORD, 0, FS_LCN_NONE, "/", &record,
                "the checkpoint holds %llu bytes of records where its anchor says %llu",
                (unsigned long long)a, (unsigned long long)b);
        break;
    case FS_WALK_LOG_LOST:
        problem(k, PFS_CHECK_LOG_LOST, 0, a, "/", &chain,
                "log cluster %llu: copy a (LCN %llu) is %s and copy b (LCN %llu) is %s; the "
                "commits from here on are lost (the log ends before it)",
                (unsigned long long)seq, (unsigned long long)a, copy_word[st[0]],
                (unsigned long long)b, copy_word[st[1]]);
        k->chain_dirty = true;
        break;
    case FS_WALK_LOG_LONG:
        problem(k, PFS_CHECK_LOG_LOST, 0, a, "/", &chain,
                "log clusters from %llu (LCN %llu) on: a commit of more than %u clusters "
                "without an end mark, which phasefs never writes; mount refuses it, the "
                "log ends before it", (unsigned long long)seq, (unsigned long long)a,
                FS_COMMIT_MAX_CLUSTERS);
        k->chain_dirty = true;
        break;
    }
}

static int ck_pair(struct fs_walk *w, uint32_t kind, uint64_t seq, uint64_t a, uint64_t b)
{
    struct ck *k = w->arg;
    own_meta(k, a);
    own_meta(k, b);
    return meta_note(k, kind, seq, a, b);
}

/* Load the checkpoint of anchor a and its log; 0, or -EBADMSG (checkpoint lost). */
static int load_anchor(struct ck *k, const struct fs_anchor *a)
{
    struct pfs *fs = k->fs;
    struct fs_buf b = {0};
    int rc = 0;

    fs_model_reset(fs);
    memset(k->own, 0, fs->total_lcns * sizeof *k->own);
    for (unsigned s = 0; s < FS_ANCHORS; s++)
        k->own[fs_anchor_lcn(fs, s)] = OWN_ANCHOR;
    k->rep->nmeta = 0;
    if ((rc = fs_itable_init(&fs->itab)) < 0)
        return rc;
    fs->gen = a->generation;
    memcpy(fs->uuid, a->uuid, 16);
    memcpy(fs->label, a->label, PFS_LABEL_MAX);
    fs->next_ino = PFS_ROOT_INO + 1;
    struct fs_walk w = {.fs = fs, .tolerant = true, .arg = k, .note = ck_note,
                        .pair = ck_pair};
    uint64_t nrec;
    if ((rc = fs_walk_checkpoint(&w, a, &b)) < 0 ||
        (rc = fs_walk_stream(&w, b.p, b.len, true, 0, &nrec)) < 0)
        goto out;
    if (k->err) {
        rc = k->err;
        goto out;
    }
    /* the log: whole commits only (log.c rule 4), ended where mount ends it */
    if ((rc = fs_walk_log(&w, a->log_a, a->log_b, a->log_seq)) < 0 || (rc = k->err) < 0)
        goto out;
    k->rep->log_clusters = w.log_clusters;
    own_meta(k, w.log_a);
    own_meta(k, w.log_b);
    fs->log_a = w.log_a;
    fs->log_b = w.log_b;
    fs->log_seq = w.log_seq;
    memcpy(k->rep->uuid, fs->uuid, 16);
    k->rep->log_head_a = w.log_a;
    k->rep->log_head_b = w.log_b;
    k->rep->log_head_seq = w.log_seq;
    fs->ckpt_clusters = a->ckpt_clusters;
    fs->anchor_gen = a->generation;
out:
    fs_buf_free(&b);
    return rc;
}

/* ---- anchors ------------------------------------------------------------------------ */

static int check_anchors(struct ck *k, struct fs_anchor *best, bool *found)
{
    struct pfs *fs = k->fs;
    struct fs_anchors set;
    int rc;

    *found = false;
    for (unsigned s = 0; s < FS_ANCHORS; s++)
        k->rep->anchor_lcn[s] = fs_anchor_lcn(fs, s);
    if ((rc = fs_anchors_read(fs, &set)) < 0)
        return rc;
    if (set.norder == 0) {
        problem(k, PFS_CHECK_NO_FS, 0, FS_LCN_NONE, "/", NULL,
                "no anchor slot holds a valid phasefs anchor: not a phasefs filesystem, or "
                "every anchor is lost");
        return 0;
    }
    /* the newest anchor of the filesystem's UUID (chain.c invariant 2) */
    *best = set.a[set.order[0]];
    *found = true;
    k->rep->anchors_valid = set.nvalid;
    for (unsigned s = 0; s < FS_ANCHORS; s++) {
        enum fs_copy st = set.state[s];
        if (st == FS_COPY_OK)
            continue;
        struct ck_fix fx = {.kind = FIX_ANCHOR, .slot = s};
        uint64_t lcn = fs_anchor_lcn(fs, s);
        char why[96];
        if (st == FS_COPY_STALE)
            snprintf(why, sizeof why, "holds a valid anchor of another filesystem or size "
                                      "(never used)");
        else if (st == FS_COPY_RANGE)
            snprintf(why, sizeof why, "holds an anchor naming clusters outside the medium");
        else
            snprintf(why, sizeof why, "is %s", copy_word[st]);
        if (st == FS_COPY_CORRUPT && set.bad_gen[s] > best->generation)
            problem(k, PFS_CHECK_ANCHOR, 0, lcn, "/", &fx,
                    "anchor slot %u (LCN %llu, %s layer) is corrupt and may have named a newer "
                    "generation (%llu, unverified) than the one in force (%llu)", s,
                    (unsigned long long)lcn, layer_name(fs, lcn),
                    (unsigned long long)set.bad_gen[s], (unsigned long long)best->generation);
        else
            problem(k, PFS_CHECK_ANCHOR, 0, lcn, "/", &fx,
                    "anchor slot %u (LCN %llu, %s layer) %s", s, (unsigned long long)lcn,
                    layer_name(fs, lcn), why);
    }
    /* older anchors, newest first, for a fallback when the newest checkpoint is lost */
    k->nolder = 0;
    for (unsigned i = 1; i < set.norder; i++)
        k->older[k->nolder++] = set.a[set.order[i]];
    return 0;
}

/* ---- the model ---------------------------------------------------------------------- */

static int cmp_ino(const void *x, const void *y)
{
    const struct fs_inode *a = *(struct fs_inode *const *)x, *b = *(struct fs_inode *const *)y;
    return a->ino < b->ino ? -1 : a->ino > b->ino;
}

static ssize_t index_of(const struct ck *k, uint64_t ino)
{
    size_t lo = 0, hi = k->ninodes;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (k->inodes[mid]->ino < ino)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < k->ninodes && k->inodes[lo]->ino == ino ? (ssize_t)lo : -1;
}

static int collect(struct ck *k)
{
    struct fs_itable *t = &k->fs->itab;
    free(k->inodes);
    free(k->reach);
    free(k->links);
    k->inodes = malloc((t->count + 1) * sizeof *k->inodes);
    k->reach = calloc(t->count + 1, 1);
    k->links = calloc(t->count + 1, sizeof *k->links);
    if (!k->inodes || !k->reach || !k->links)
        return -ENOMEM;
    k->ninodes = 0;
    for (size_t i = 0; i < t->nslots; i++)
        if (t->slots[i] && t->slots[i]->ino)
            k->inodes[k->ninodes++] = t->slots[i];
    qsort(k->inodes, k->ninodes, sizeof *k->inodes, cmp_ino);
    return 0;
}

/* Links, parents and reachability from the root (stack walk, each directory once). */
static int walk(struct ck *k, bool report)
{
    struct pfs *fs = k->fs;
    memset(k->reach, 0, k->ninodes);
    memset(k->links, 0, k->ninodes * sizeof *k->links);
    for (size_t i = 0; i < k->ninodes; i++)
        if (k->inodes[i]->dir)
            k->inodes[i]->dir->parent = 0;
    for (size_t i = 0; i < k->ninodes; i++) {
        struct fs_inode *dp = k->inodes[i];
        if (!dp->dir)
            continue;
        k->links[i] += 2;
        for (size_t e = 0; e < dp->dir->n; e++) {
            struct fs_dirent *de = &dp->dir->ents[e];
            if (!de->ino)
                continue;
            ssize_t j = index_of(k, de->ino);
            if (j < 0 || de->ino == PFS_ROOT_INO) {
                if (report) {
                    char path[PFS_PATH_MAX];
                    fs_path_of(fs, dp->ino, path, sizeof path);
                    struct ck_fix fx = {.kind = FIX_DIRENT, .dir = dp->ino, .ino = de->ino};
                    snprintf(fx.name, sizeof fx.name, "%s", de->name);
                    problem(k, PFS_CHECK_DIRENT, de->ino, FS_LCN_NONE, path, &fx,
                            "entry '%s' names inode %llu, which %s", de->name,
                            (unsigned long long)de->ino,
                            j < 0 ? "does not exist" : "is the root");
                }
                continue;
            }
            struct fs_inode *ip = k->inodes[j];
            if (ip->dir) {
                if (ip->dir->parent) {
                    if (report) {
                        char path[PFS_PATH_MAX];
                        fs_path_of(fs, dp->ino, path, sizeof path);
                        struct ck_fix fx = {.kind = FIX_DIRNAME, .dir = dp->ino, .ino = ip->ino};
                        snprintf(fx.name, sizeof fx.name, "%s", de->name);
                        problem(k, PFS_CHECK_DIR_NAMES, ip->ino, FS_LCN_NONE, path, &fx,
                                "entry '%s' is a second name of directory inode %llu",
                                de->name, (unsigned long long)ip->ino);
                    }
                    continue;
                }
                ip->dir->parent = dp->ino; /* its name is in its own 2 ("." and it) */
                k->links[i]++;
            } else {
                k->links[j]++;
                ip->hint_parent = dp->ino;
            }
        }
    }
    ssize_t r = index_of(k, PFS_ROOT_INO);
    if (r < 0 || !k->inodes[r]->dir)
        return -EUCLEAN;
    k->inodes[r]->dir->parent = PFS_ROOT_INO;
    size_t *stack = malloc((k->ninodes + 1) * sizeof *stack), sp = 0;
    if (!stack)
        return -ENOMEM;
    stack[sp++] = (size_t)r;
    k->reach[r] = 1;
    while (sp) {
        struct fs_inode *dp = k->inodes[stack[--sp]];
        for (size_t e = 0; e < dp->dir->n; e++) {
            ssize_t j = dp->dir->ents[e].ino ? index_of(k, dp->dir->ents[e].ino) : -1;
            if (j < 0 || k->reach[j])
                continue;
            struct fs_inode *ip = k->inodes[j];
            if (ip->dir && ip->dir->parent != dp->ino)
                continue; /* a second name: not followed */
            k->reach[j] = 1;
            if (ip->dir)
                stack[sp++] = (size_t)j;
        }
    }
    free(stack);
    return 0;
}

static void path_of(struct ck *k, size_t i, char *buf, size_t cap)
{
    if (k->reach[i]) {
        fs_path_of(k->fs, k->inodes[i]->ino, buf, cap);
        if (buf[0])
            return;
    }
    snprintf(buf, cap, "(orphan inode %llu)", (unsigned long long)k->inodes[i]->ino);
}

static void check_model(struct ck *k)
{
    struct pfs *fs = k->fs;
    char path[PFS_PATH_MAX];

    /* unlinked while open (rule 1): mount frees them; so does the check */
    for (size_t i = 0; i < k->ninodes; i++) {
        struct fs_inode *ip = k->inodes[i];
        if (!k->reach[i] && k->links[i] == 0 && ip->nlink == 0 && ip->ino != PFS_ROOT_INO)
            fs_inode_destroy(fs, ip), k->inodes[i] = NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < k->ninodes; i++)
        if (k->inodes[i])
            k->inodes[n++] = k->inodes[i];
    k->ninodes = n;
    if (walk(k, true) < 0)
        return;
    k->rep->inodes = n;
    for (size_t i = 0; i < n; i++) {
        struct fs_inode *ip = k->inodes[i];
        if (ip->dir)
            k->rep->directories++;
        else if (S_ISREG(ip->mode))
            k->rep->files++;
        path_of(k, i, path, sizeof path);
        if (!k->reach[i]) {
            /* top of an orphan tree: no name at all, or a directory only reached from
             * inside an unreachable cycle */
            bool top = ip->dir ? true : k->links[i] == 0, cycle = false;
            if (ip->dir && ip->dir->parent) {
                ssize_t p = index_of(k, ip->dir->parent);
                top = p < 0 || k->reach[p] || ip->dir->parent == ip->ino;
                cycle = ip->dir->parent == ip->ino;
                /* a cycle: report the smallest inode of it */
                if (!top) {
                    uint64_t q = ip->dir->parent, lo = ip->ino;
                    for (size_t steps = 0; steps < n && q != ip->ino; steps++) {
                        ssize_t qi = index_of(k, q);
                        if (qi < 0 || !k->inodes[qi]->dir)
                            break;
                        lo = q < lo ? q : lo;
                        q = k->inodes[qi]->dir->parent;
                    }
                    top = cycle = q == ip->ino && lo == ip->ino;
                }
            }
            if (top)
                problem(k, PFS_CHECK_ORPHAN, ip->ino, FS_LCN_NONE, path,
                        &(struct ck_fix){.kind = FIX_ORPHAN, .ino = ip->ino},
                        "%s inode %llu (stored link count %u) is reached from no directory%s",
                        ip->dir ? "directory" : S_ISREG(ip->mode) ? "file" : "special",
                        (unsigned long long)ip->ino, ip->nlink,
                        cycle ? " outside a cycle of directories naming each other" : "");
            if (ip->next)
                problem(k, PFS_CHECK_LEAKED, ip->ino, FS_LCN_NONE, path,
                        &(struct ck_fix){.kind = FIX_ORPHAN, .ino = ip->ino},
                        "%zu data cluster%s held only by orphan inode %llu%s", ip->next,
                        ip->next == 1 ? " is" : "s are", (unsigned long long)ip->ino,
                        top ? "" : ", under an orphan directory");
        } else if (ip->nlink != k->links[i]) {
            problem(k, PFS_CHECK_NLINK, ip->ino, FS_LCN_NONE, path,
                    &(struct ck_fix){.kind = FIX_NLINK, .ino = ip->ino},
                    "link count is %u, but %u %s it", ip->nlink, k->links[i],
                    ip->dir ? "links (entries, '.' and '..') count" : "directory entries name");
        }
        /* extents: range, ownership, end of file */
        uint64_t eof_idx = (ip->size + FS_CLUSTER - 1) >> FS_CLUSTER_SHIFT;
        for (size_t e = 0; e < ip->next; e++) {
            uint64_t idx = ip->ext[e].idx, lcn = ip->ext[e].lcn;
            struct ck_fix drop = {.kind = FIX_DROP_EXT, .ino = ip->ino, .idx = idx, .lcn = lcn};
            if (idx >= eof_idx) {
                problem(k, PFS_CHECK_EXTENT_EOF, ip->ino, lcn, path, &drop,
                        "file cluster %llu (LCN %llu) lies beyond the end of the file (%llu "
                        "bytes)", (unsigned long long)idx, (unsigned long long)lcn,
                        (unsigned long long)ip->size);
                continue;
            }
            if (lcn >= fs->total_lcns || k->own[lcn] == OWN_ANCHOR) {
                problem(k, PFS_CHECK_BAD_LCN, ip->ino, lcn, path, &drop,
                        "file cluster %llu names LCN %llu, %s (becomes a hole)",
                        (unsigned long long)idx, (unsigned long long)lcn,
                        lcn >= fs->total_lcns ? "outside the medium" : "an anchor slot");
                continue;
            }
            if (k->own[lcn] != OWN_NONE) {
                char other[PFS_PATH_MAX];
                if (k->own[lcn] == OWN_META) {
                    snprintf(other, sizeof other, "the metadata chain");
                } else {
                    ssize_t o = index_of(k, k->own[lcn]);
                    if (o >= 0)
                        path_of(k, (size_t)o, other, sizeof other);
                    else
                        snprintf(other, sizeof other, "inode %llu",
                                 (unsigned long long)k->own[lcn]);
                }
                problem(k, PFS_CHECK_DUP_CLUSTER, ip->ino, lcn, path,
                        &(struct ck_fix){.kind = FIX_CLONE, .ino = ip->ino, .idx = idx,
                                         .lcn = lcn},
                        "file cluster %llu (LCN %llu) is also referenced by %s",
                        (unsigned long long)idx, (unsigned long long)lcn, other);
                continue;
            }
            k->own[lcn] = ip->ino;
            k->rep->data_clusters++;
        }
    }
}

/* The owner map for the tool (opt->owners): LCN order falls out of k->own. */
static int fill_owners(struct ck *k)
{
    struct pfs_check_report *r = k->rep;
    size_t n = 0, nf = 0;
    for (uint64_t l = 0; l < k->fs->total_lcns; l++)
        n += k->own[l] != OWN_NONE;
    for (size_t i = 0; i < k->ninodes; i++)
        nf += k->inodes[i]->next > 0;
    r->owners = malloc((n + 1) * sizeof *r->owners);
    r->files_owning = calloc(nf + 1, sizeof *r->files_owning);
    if (!r->owners || !r->files_owning)
        return -ENOMEM;
    for (uint64_t l = 0; l < k->fs->total_lcns; l++) {
        uint64_t o = k->own[l];
        if (o == OWN_NONE)
            continue;
        r->owners[r->nowners++] = (struct pfs_check_owner){
            l, o == OWN_META || o == OWN_ANCHOR ? 0 : o,
            o == OWN_META ? PFS_OWNER_METADATA : o == OWN_ANCHOR ? PFS_OWNER_ANCHOR
                                                                 : PFS_OWNER_DATA};
    }
    char path[PFS_PATH_MAX];
    for (size_t i = 0; i < k->ninodes; i++) {
        if (!k->inodes[i]->next)
            continue;
        path_of(k, i, path, sizeof path);
        char *p = strdup(path);
        if (!p)
            return -ENOMEM;
        r->files_owning[r->nfiles_owning++] = (struct pfs_check_file){k->inodes[i]->ino, p};
    }
    return 0;
}

/* ---- fixity ------------------------------------------------------------------------- */

/* One file being hashed: its clusters are read from the medium (fixity.c hashes holes). */
struct ck_hash {
    struct ck *k;
    struct fs_inode *ip;
    const char *path, *qw;
    const struct ck_fix *qf;
    bool ok;
};

static int ck_cluster(void *arg, uint64_t idx, uint8_t *buf)
{
    struct ck_hash *h = arg;
    struct ck *k = h->k;
    uint64_t lcn = fs_ext_get(h->ip, idx), off = idx << FS_CLUSTER_SHIFT;
    uint64_t len = h->ip->size - off < FS_CLUSTER ? h->ip->size - off : FS_CLUSTER;
    if (lcn >= k->fs->total_lcns) { /* reported as BAD_LCN: reads as a hole */
        memset(buf, 0, FS_CLUSTER);
        return 0;
    }
    if (sector_read(k->fs->dev, lcn, buf, NULL) == 0)
        return 0;
    size_t before = k->rep->count;
    problem(k, PFS_CHECK_UNREADABLE, h->ip->ino, lcn, h->path, h->qf,
            "bytes %llu-%llu (LCN %llu) cannot be read back; %s", (unsigned long long)off,
            (unsigned long long)(off + len - 1), (unsigned long long)lcn, h->qw);
    if (k->rep->count > before)
        k->rep->problems[before].offset = off;
    h->ok = false;
    if (k->rescue)
        return -EIO; /* one line: the whole file leaves the tree */
    memset(buf, 0, FS_CLUSTER);
    return 0;
}

static uint64_t ck_next_data(void *arg, uint64_t idx)
{
    return fs_ext_next(((struct ck_hash *)arg)->ip, idx);
}

static bool ck_cancelled(void *arg)
{
    const struct pfs_check_options *o = ((struct ck_hash *)arg)->k->opt;
    return o->cancel && *o->cancel;
}

/* Every file against its digest. Zeros of holes are hashed, unread, within a budget of
 * PFS_CHECK_HOLE_BUDGET plus the data bytes of the tree, so the time stays bounded by
 * what is allocated; a file whose holes exceed what is left is counted in
 * files_sparse and not hashed. Returns 0 or -ECANCELED. */
static int check_fixity(struct ck *k)
{
    char path[PFS_PATH_MAX];
    uint64_t budget = PFS_CHECK_HOLE_BUDGET;
    for (size_t i = 0; i < k->ninodes; i++)
        if (S_ISREG(k->inodes[i]->mode))
            budget += (uint64_t)k->inodes[i]->next << FS_CLUSTER_SHIFT;
    for (size_t i = 0; i < k->ninodes; i++) {
        struct fs_inode *ip = k->inodes[i];
        if (!S_ISREG(ip->mode) || !k->reach[i])
            continue;
        path_of(k, i, path, sizeof path);
        if (strlen(k->subtree) && !under(k, path))
            continue;
        if (k->opt->cancel && *k->opt->cancel)
            return -ECANCELED;
        /* after a rescue every file must prove its content, or leave the tree */
        const struct ck_fix *qf =
            k->rescue ? &(struct ck_fix){.kind = FIX_QUARANTINE, .ino = ip->ino} : NULL;
        const char *qw = k->rescue ? "the rebuilt tree does not keep it (restore it from a copy)"
                                   : "data cannot be repaired (restore this file from a copy)";
        if (!(ip->flags & FS_I_DIGEST)) {
            if (k->rescue)
                problem(k, PFS_CHECK_FIXITY, ip->ino, FS_LCN_NONE, path, qf,
                        "no fixity digest (%s) to verify it by; the rebuilt tree does not "
                        "keep it (restore it from a copy)", PFS_FIXITY_XATTR);
            continue;
        }
        uint8_t dg[PFS_FIXITY_BYTES];
        struct ck_hash h = {k, ip, path, qw, qf, true};
        int rc;
        if (ip->flags & FS_I_INLINE) {
            crypto_generichash(dg, sizeof dg, ip->payload, ip->payload_len, NULL, 0);
        } else {
            uint64_t data = (uint64_t)ip->next << FS_CLUSTER_SHIFT;
            uint64_t holes = ip->size > data ? ip->size - data : 0;
            if (holes > budget) {
                k->rep->files_sparse++;
                if (k->rescue)
                    problem(k, PFS_CHECK_FIXITY, ip->ino, FS_LCN_NONE, path, qf,
                            "%llu bytes of holes, beyond what fsck hashes; the rebuilt tree "
                            "does not keep it (restore it from a copy)",
                            (unsigned long long)holes);
                continue;
            }
            budget -= holes;
            struct fs_fixity_src src = {ck_cluster, ck_next_data, ck_cancelled, &h};
            if ((rc = fs_fixity_hash(&src, ip->size, k->buf2, dg)) == -ECANCELED)
                return rc;
            if (rc < 0)
                h.ok = false;
        }
        k->rep->files_hashed += h.ok;
        if (h.ok && memcmp(dg, ip->digest, sizeof dg) != 0)
            problem(k, PFS_CHECK_FIXITY, ip->ino, FS_LCN_NONE, path, qf,
                    "content differs from its fixity digest (%s); %s", PFS_FIXITY_XATTR, qw);
    }
    return 0;
}

/* ---- repair ------------------------------------------------------------------------- */

static struct fs_inode *lost_found(struct ck *k)
{
    struct pfs *fs = k->fs;
    struct fs_inode *root = fs_iget(fs, PFS_ROOT_INO);
    struct fs_dirent *de = fs_dir_find(fs, root, "lost+found", 10);
    if (de) {
        struct fs_inode *ip = fs_iget(fs, de->ino);
        return ip && ip->dir ? ip : NULL;
    }
    struct fs_inode *ip = fs_inode_new(fs, fs->next_ino, S_IFDIR | 0700);
    if (!ip)
        return NULL;
    fs->next_ino++;
    ip->atime = ip->mtime = ip->ctime = fs_now();
    ip->nlink = 2;
    if (fs_dir_add(fs, root, "lost+found", 10, ip->ino) < 0)
        return NULL;
    fs->meta_bytes += fs_inode_meta_bytes(ip);
    return ip;
}

static void mark_repaired(struct ck *k, size_t i)
{
    k->rep->problems[i].repaired = true;
}

static int repair(struct ck *k)
{
    struct pfs *fs = k->fs;
    struct pfs_check_report *r = k->rep;
    bool model = false, anchors = false;
    int rc;
    const uint32_t lossy = 1u << PFS_CHECK_RECORD | 1u << PFS_CHECK_LOG_LOST |
                           1u << PFS_CHECK_DIRENT | 1u << PFS_CHECK_DIR_NAMES |
                           1u << PFS_CHECK_CKPT_LOST | 1u << PFS_CHECK_FIXITY |
                           1u << PFS_CHECK_UNREADABLE;

    if (k->opt->repair_classes) {
        for (size_t i = 0; i < r->count; i++) {
            uint32_t bit = 1u << r->problems[i].cls;
            if (!(k->opt->repair_classes & bit) && (lossy & bit) && r->problems[i].repairable)
                return 0; /* a lossy repair was not allowed: write nothing */
        }
        for (size_t i = 0; i < r->count; i++)
            if (!(k->opt->repair_classes & (1u << r->problems[i].cls)))
                k->fix[i].kind = FIX_NONE;
    }

    for (size_t i = 0; i < r->count; i++) {
        struct ck_fix *f = &k->fix[i];
        struct fs_inode *ip = f->ino ? fs_iget(fs, f->ino) : NULL;
        switch (f->kind) {
        case FIX_CHAIN:
        case FIX_RECORD:
            model = true;
            break;
        case FIX_ANCHOR:
            anchors = true;
            break;
        case FIX_DIRENT:
        case FIX_DIRNAME: {
            struct fs_inode *dp = fs_iget(fs, f->dir);
            struct fs_dirent *de = dp && dp->dir ? fs_dir_find(fs, dp, f->name, strlen(f->name))
                                                 : NULL;
            if (de)
                fs_dir_remove(fs, dp, de);
            model = true;
            break;
        }
        case FIX_ORPHAN: {
            if (!ip || r->problems[i].cls == PFS_CHECK_LEAKED) {
                model = true;
                break;
            }
            struct fs_inode *lf = lost_found(k);
            if (!lf) {
                f->kind = FIX_NONE;
                break;
            }
            char name[32];
            snprintf(name, sizeof name, "#%llu", (unsigned long long)ip->ino);
            if (ip->dir && ip->dir->parent && ip->dir->parent != ip->ino) {
                /* a member of a cycle: cut its name inside the cycle first */
                struct fs_inode *pp = fs_iget(fs, ip->dir->parent);
                for (size_t e = 0; pp && pp->dir && e < pp->dir->n; e++)
                    if (pp->dir->ents[e].ino == ip->ino) {
                        fs_dir_remove(fs, pp, &pp->dir->ents[e]);
                        break;
                    }
            }
            if (fs_dir_add(fs, lf, name, strlen(name), ip->ino) < 0) {
                f->kind = FIX_NONE;
                break;
            }
            snprintf(r->problems[i].detail + strlen(r->problems[i].detail),
                     sizeof r->problems[i].detail - strlen(r->problems[i].detail),
                     "; moved to /lost+found/%s", name);
            model = true;
            break;
        }
        case FIX_QUARANTINE: {
            /* a rescued file that did not prove its content: every name of it goes,
             * and it is kept as /lost+found/#INODE */
            struct fs_inode *lf = ip ? lost_found(k) : NULL;
            if (!lf) {
                f->kind = FIX_NONE;
                break;
            }
            for (size_t d = 0; d < k->ninodes; d++) {
                struct fs_inode *dp = k->inodes[d];
                for (size_t e = 0; dp->dir && e < dp->dir->n; e++)
                    if (dp->dir->ents[e].ino == ip->ino)
                        fs_dir_remove(fs, dp, &dp->dir->ents[e]);
            }
            char name[32];
            snprintf(name, sizeof name, "#%llu", (unsigned long long)ip->ino);
            if (fs_dir_add(fs, lf, name, strlen(name), ip->ino) < 0) {
                f->kind = FIX_NONE;
                break;
            }
            size_t dl = strlen(r->problems[i].detail);
            snprintf(r->problems[i].detail + dl, sizeof r->problems[i].detail - dl,
                     "; moved to /lost+found/%s", name);
            model = true;
            break;
        }
        case FIX_NLINK:
            model = true; /* every count is set from the entries below */
            break;
        case FIX_DROP_EXT:
            if (ip) {
                uint64_t old;
                if (fs_ext_update(fs, ip, f->idx, FS_LCN_NONE, &old) < 0)
                    f->kind = FIX_NONE;
            }
            model = true;
            break;
        case FIX_DMA: /* rewritten by sector_open (read-write) already */
        case FIX_CLONE:
        case FIX_NONE:
            break;
        }
    }
    if (k->err)
        return k->err;
    /* a rescued tree is written only without the files that failed their digest */
    for (size_t i = 0; k->rescue && i < r->count; i++)
        if (r->problems[i].repairable && k->fix[i].kind == FIX_NONE &&
            (r->problems[i].cls == PFS_CHECK_FIXITY || r->problems[i].cls == PFS_CHECK_UNREADABLE))
            return 0;
    /* counts and parents from the repaired tree */
    if ((rc = collect(k)) < 0 || (rc = walk(k, false)) < 0)
        return rc;
    for (size_t i = 0; i < k->ninodes; i++)
        if (k->reach[i] || k->inodes[i]->nlink)
            k->inodes[i]->nlink = k->links[i] ? k->links[i] : k->inodes[i]->nlink;
    /* the allocation map: what the repaired model references */
    if ((rc = fs_alloc_init(fs)) < 0)
        return rc;
    for (size_t i = 0; i < fs->nmeta; i++)
        (void)fs_alloc_mark(fs, fs->meta_lcns[i]);
    for (size_t i = 0; i < k->ninodes; i++)
        for (size_t e = 0; e < k->inodes[i]->next; e++)
            (void)fs_alloc_mark(fs, k->inodes[i]->ext[e].lcn);
    if ((rc = fs_alloc_build(fs)) < 0)
        return rc;
    /* a cluster referenced twice: the second file gets its own copy */
    for (size_t i = 0; i < r->count; i++) {
        struct ck_fix *f = &k->fix[i];
        if (f->kind != FIX_CLONE)
            continue;
        struct fs_inode *ip = fs_iget(fs, f->ino);
        uint64_t nl, old;
        if (!ip)
            continue;
        if (sector_read(fs->dev, f->lcn, k->buf2, NULL) < 0 ||
            fs_alloc_take(fs, FS_DATA, -1, &nl) < 0 || sector_write(fs->dev, nl, k->buf2, NULL) < 0 ||
            fs_ext_update(fs, ip, f->idx, nl, &old) < 0) {
            f->kind = FIX_NONE;
            continue;
        }
        fs->data_unsynced = true;
        model = true;
    }
    if (model || anchors) {
        fs->read_only = false;
        fs->log_limit = 64;
        if ((rc = fs_checkpoint(fs)) < 0)
            return rc;
    }
    if (anchors) {
        /* copy the anchor just written into every bad slot */
        uint8_t *a = k->buf2;
        int in = -1;
        for (unsigned s = 0; s < FS_ANCHORS && in < 0; s++) {
            struct fs_anchor an;
            if (sector_read(fs->dev, fs_anchor_lcn(fs, s), a, NULL) == 0 &&
                fs_anchor_decode(a, &an) == 0 && an.generation == fs->gen)
                in = (int)s;
        }
        if (in < 0)
            return -EIO;
        for (size_t i = 0; i < r->count; i++) {
            struct ck_fix *f = &k->fix[i];
            if (f->kind != FIX_ANCHOR || (int)f->slot == in)
                continue;
            if (sector_write(fs->dev, fs_anchor_lcn(fs, f->slot), a, NULL) < 0)
                f->kind = FIX_NONE;
        }
        if ((rc = sector_sync(fs->dev)) < 0)
            return rc;
    }
    for (size_t i = 0; i < r->count; i++)
        if (k->fix[i].kind != FIX_NONE)
            mark_repaired(k, i);
    r->repaired = model || anchors;
    return 0;
}

/* ---- entry -------------------------------------------------------------------------- */

static int resolve_subtree(struct ck *k, const char *p)
{
    if (!p || !*p || !strcmp(p, "/"))
        return 0;
    size_t n = strlen(p);
    if (n + 2 > sizeof k->subtree)
        return -ENAMETOOLONG;
    size_t at = 0;
    if (p[0] != '/')
        k->subtree[at++] = '/';
    memcpy(k->subtree + at, p, n + 1);
    n = strlen(k->subtree);
    while (n > 1 && k->subtree[n - 1] == '/')
        k->subtree[--n] = '\0';
    return 0;
}

static bool subtree_exists(struct ck *k)
{
    struct fs_inode *ip = fs_iget(k->fs, PFS_ROOT_INO);
    const char *p = k->subtree;
    while (ip && *p) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (!n)
            break;
        struct fs_dirent *de = ip->dir ? fs_dir_find(k->fs, ip, p, n) : NULL;
        ip = de ? fs_iget(k->fs, de->ino) : NULL;
        p += n;
    }
    return ip != NULL;
}

/* The newest checkpoint is lost on both copies (its CKPT_LOST problem is the last
 * reported): load the newest older anchor whose checkpoint and log read. Its tree may
 * name data clusters reused since, so every file is then verified against its digest
 * (check_fixity in rescue mode) and those that fail leave the tree for /lost+found.
 * Returns 0 with the older tree loaded, 1 if none loads, or a negative errno. */
static int rescue(struct ck *k, const struct fs_anchor *best)
{
    struct pfs_check_report *r = k->rep;
    size_t lost = r->count - 1;
    if (k->subtree[0])
        return 1; /* every file must be verified, not those of one subtree */
    for (unsigned i = 0; i < k->nolder; i++) {
        size_t before = r->count;
        int rc = load_anchor(k, &k->older[i]);
        if (rc == -EBADMSG) {
            r->count = before; /* this one is lost too: try the next */
            continue;
        }
        if (rc < 0)
            return rc;
        /* the repair writes generation best + 1: above every anchor on the medium */
        k->fs->gen = best->generation;
        k->rescue = true;
        struct pfs_check_problem *p = &r->problems[lost];
        char *tail = strstr(p->detail, "; a read-only mount");
        if (tail)
            *tail = '\0';
        size_t dl = strlen(p->detail);
        snprintf(p->detail + dl, sizeof p->detail - dl,
                 "; the tree of generation %llu reads, its files verified by digest",
                 (unsigned long long)k->older[i].generation);
        k->fix[lost] = (struct ck_fix){.kind = FIX_CHAIN};
        p->repairable = true;
        return 0;
    }
    return 1;
}

/* The sector layer's four defect management copies: sector_open counts the valid ones,
 * and a read-write open has already rewritten the others from the best one. */
static void check_dma(struct ck *k, struct sector_dev *dev, bool rewritten)
{
    struct sector_stats st;
    if (sector_stats_get(dev, &st) < 0 || st.dma_copies_valid >= 4)
        return;
    unsigned lost = 4 - st.dma_copies_valid;
    problem(k, PFS_CHECK_DMA_COPY, 0, FS_LCN_NONE, "/", &(struct ck_fix){.kind = FIX_DMA},
            "%u of 4 defect management copies of the sector layer valid; %s from a valid "
            "copy",
            st.dma_copies_valid,
            rewritten ? (lost == 1 ? "the lost one rewritten" : "the lost ones rewritten")
                      : (lost == 1 ? "a read-write open rewrites the lost one"
                                   : "a read-write open rewrites the lost ones"));
}

int pfs_check(struct medium *m, const struct pfs_check_options *opt,
              struct pfs_check_report *rep)
{
    struct pfs_check_options def;
    struct sector_dev *dev = NULL;
    struct pfs *fs = NULL;
    struct ck k;
    int rc;

    if (!m || !rep)
        return -EINVAL;
    memset(rep, 0, sizeof *rep);
    rep->size = sizeof *rep;
    if (!opt) {
        pfs_check_options_default(&def);
        opt = &def;
    }
    if (sodium_init() < 0)
        return -ENOMEM;
    memset(&k, 0, sizeof k);
    k.opt = opt;
    k.rep = rep;
    if ((rc = resolve_subtree(&k, opt->path)) < 0)
        return rc;
    struct sector_options so = opt->sector;
    so.read_only = !opt->repair;
    so.force_format = false;
    rc = sector_open(m, &so, &dev);
    if (rc == -ENODATA)
        return -EUCLEAN;
    if (rc < 0)
        return rc;
    struct pfs_mount_options mo;
    pfs_mount_options_default(&mo);
    mo.read_only = true;
    mo.sector = so;
    if (sector_logical_clusters(dev) < 2 * FS_ANCHORS ||
        sector_logical_clusters(dev) >= (1ULL << 32)) {
        sector_close(dev);
        return -EUCLEAN;
    }
    if ((rc = fs_object_new(m, dev, &mo, &fs)) < 0) {
        sector_close(dev);
        return rc;
    }
    k.fs = fs;
    k.own = calloc(fs->total_lcns, sizeof *k.own);
    k.buf2 = malloc(FS_CLUSTER);
    if (!k.own || !k.buf2) {
        rc = -ENOMEM;
        goto out;
    }
    check_dma(&k, dev, !so.read_only);
    struct fs_anchor best;
    bool found;
    if ((rc = check_anchors(&k, &best, &found)) < 0 || !found)
        goto done;
    rep->generation = best.generation;
    rc = load_anchor(&k, &best);
    if (rc == -EBADMSG && (rc = rescue(&k, &best)) > 0) {
        rc = 0; /* CKPT_LOST reported, and no older tree reads: nothing to check */
        goto done;
    }
    if (rc < 0 || (rc = collect(&k)) < 0)
        goto done;
    if (walk(&k, false) < 0) {
        problem(&k, PFS_CHECK_RECORD, PFS_ROOT_INO, FS_LCN_NONE, "/", NULL,
                "the root directory is missing from the metadata");
        goto done;
    }
    if (k.subtree[0] && !subtree_exists(&k)) {
        rc = -ENOENT;
        goto done;
    }
    check_model(&k);
    if (opt->owners && !k.err && (rc = fill_owners(&k)) < 0)
        goto done;
    if ((opt->fixity || k.rescue) && (rc = check_fixity(&k)) < 0)
        goto done; /* cancelled: nothing repaired, nothing written */
    if (k.err) {
        rc = k.err;
        goto done;
    }
    if (opt->repair && rep->count) {
        bool any = false;
        for (size_t i = 0; i < rep->count; i++)
            any |= rep->problems[i].repairable;
        if (any)
            rc = repair(&k);
    }
done:
    for (size_t i = 0; i < rep->count; i++)
        if (!rep->problems[i].repaired)
            rep->unrepaired = true;
out:
    free(k.own);
    free(k.buf2);
    free(k.inodes);
    free(k.reach);
    free(k.links);
    free(k.fix);
    fs->dev = NULL;
    fs_object_free(fs);
    int crc = sector_close(dev);
    return rc < 0 ? rc : crc < 0 && opt->repair ? crc : 0;
}
