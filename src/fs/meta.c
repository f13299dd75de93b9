/*
 * meta.c — the in-memory model of the filesystem: the inode table (hash by ino), each
 * directory's name map (keyed SipHash, O(1) lookup at 100,000 entries) beside its
 * insertion-ordered entry vector (stable readdir cookies), extent maps, xattrs; and
 * the one function that applies a record of a checkpoint or log stream to it, so a
 * checkpoint load and a log replay are the same code.
 *
 * It does no I/O and takes no lock (callers hold fs->lock or own fs exclusively at
 * mount). It keeps fs->meta_bytes, the size the checkpoint stream would have, in step
 * with every change, because the space reserve is computed from it (alloc.c).
 */
#include "fs_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TOMB UINT32_MAX
#define INODE_REC_FIXED 116u
#define INODE_REC (FS_REC_HDR + INODE_REC_FIXED)
#define DIRENT_REC(len) (FS_REC_HDR + 18u + (uint64_t)(len))
#define EXTENT_REC (FS_REC_HDR + 24u)
#define XATTR_REC(nl, sz) (FS_REC_HDR + 14u + (uint64_t)(nl) + (uint64_t)(sz))

/* ---- inode table -------------------------------------------------------------------- */

static size_t ino_slot(uint64_t ino, size_t nslots)
{
    return (size_t)(util_mix64(ino) & (nslots - 1));
}

int fs_itable_init(struct fs_itable *t)
{
    t->nslots = 1024;
    t->count = t->used = 0;
    t->slots = calloc(t->nslots, sizeof *t->slots);
    return t->slots ? 0 : -ENOMEM;
}

void fs_itable_free(struct fs_itable *t)
{
    free(t->slots);
    t->slots = NULL;
}

/* Slots hold pointers; a removed slot holds this marker so probes continue. */
static struct fs_inode itomb_obj;
#define ITOMB (&itomb_obj)

struct fs_inode *fs_iget(struct pfs *fs, uint64_t ino)
{
    struct fs_itable *t = &fs->itab;
    for (size_t i = ino_slot(ino, t->nslots);; i = (i + 1) & (t->nslots - 1)) {
        struct fs_inode *ip = t->slots[i];
        if (!ip)
            return NULL;
        if (ip != ITOMB && ip->ino == ino)
            return ip;
    }
}

static int itable_grow(struct fs_itable *t)
{
    size_t n = t->nslots;
    if ((t->count + 1) * 2 < n)
        ; /* only tombstones: rehash at the same size */
    else
        n *= 2;
    struct fs_inode **s = calloc(n, sizeof *s);
    if (!s)
        return -ENOMEM;
    for (size_t i = 0; i < t->nslots; i++) {
        struct fs_inode *ip = t->slots[i];
        if (!ip || ip == ITOMB)
            continue;
        size_t j = ino_slot(ip->ino, n);
        while (s[j])
            j = (j + 1) & (n - 1);
        s[j] = ip;
    }
    free(t->slots);
    t->slots = s;
    t->nslots = n;
    t->used = t->count;
    return 0;
}

struct fs_inode *fs_inode_new(struct pfs *fs, uint64_t ino, uint32_t mode)
{
    struct fs_itable *t = &fs->itab;
    if ((t->used + 1) * 4 >= t->nslots * 3 && itable_grow(t) < 0)
        return NULL;
    struct fs_inode *ip = calloc(1, sizeof *ip);
    if (!ip)
        return NULL;
    if (S_ISDIR(mode)) {
        ip->dir = calloc(1, sizeof *ip->dir);
        if (!ip->dir) {
            free(ip);
            return NULL;
        }
        ip->dir->next_cookie = 3; /* 1 = ".", 2 = ".." */
    }
    ip->ino = ino;
    ip->mode = mode;
    if (S_ISREG(mode))
        ip->flags = FS_I_INLINE;
    size_t i = ino_slot(ino, t->nslots);
    while (t->slots[i] && t->slots[i] != ITOMB)
        i = (i + 1) & (t->nslots - 1);
    if (!t->slots[i])
        t->used++;
    t->slots[i] = ip;
    t->count++;
    fs->meta_bytes += INODE_REC;
    if (ino >= fs->next_ino)
        fs->next_ino = ino + 1;
    return ip;
}

uint64_t fs_inode_meta_bytes(const struct fs_inode *ip)
{
    uint64_t b = INODE_REC + ip->payload_len + ip->next * EXTENT_REC;
    for (size_t i = 0; i < ip->nxa; i++)
        b += XATTR_REC(strlen(ip->xa[i].name), ip->xa[i].size);
    if (ip->dir)
        for (size_t i = 0; i < ip->dir->n; i++)
            if (ip->dir->ents[i].ino)
                b += DIRENT_REC(ip->dir->ents[i].namelen);
    return b;
}

void fs_inode_destroy(struct pfs *fs, struct fs_inode *ip)
{
    struct fs_itable *t = &fs->itab;
    uint64_t mb = fs_inode_meta_bytes(ip);
    fs->meta_bytes = fs->meta_bytes > mb ? fs->meta_bytes - mb : 0;
    fs->data_clusters -= ip->next;
    for (size_t i = ino_slot(ip->ino, t->nslots);; i = (i + 1) & (t->nslots - 1)) {
        if (t->slots[i] == ip) {
            t->slots[i] = ITOMB;
            t->count--;
            break;
        }
        if (!t->slots[i])
            break;
    }
    if (ip->attr_dirty) {
        if (ip->dprev)
            ip->dprev->dnext = ip->dnext;
        else
            fs->dirty_head = ip->dnext;
        if (ip->dnext)
            ip->dnext->dprev = ip->dprev;
    }
    for (size_t i = 0; i < ip->ndirty; i++)
        free(ip->dirty[i].buf);
    fs->dirty_clusters -= ip->ndirty;
    free(ip->dirty);
    if (ip->dir) {
        for (size_t i = 0; i < ip->dir->n; i++)
            free(ip->dir->ents[i].name);
        free(ip->dir->ents);
        free(ip->dir->slots);
        free(ip->dir);
    }
    for (size_t i = 0; i < ip->nxa; i++) {
        free(ip->xa[i].name);
        free(ip->xa[i].value);
    }
    free(ip->xa);
    free(ip->ext);
    free(ip->payload);
    free(ip->hs);
    free(ip);
}

/* ---- directories -------------------------------------------------------------------- */

uint64_t fs_name_hash(const struct pfs *fs, const char *name, size_t len)
{
    uint8_t out[crypto_shorthash_BYTES];
    crypto_shorthash(out, (const unsigned char *)name, len, fs->hashkey);
    return util_le64_get(out);
}

static int dir_rehash(struct fs_dir *d, size_t nslots)
{
    /* compact the vector first: drop tombstones, keep cookie order */
    size_t w = 0;
    for (size_t r = 0; r < d->n; r++)
        if (d->ents[r].ino)
            d->ents[w++] = d->ents[r];
    d->n = w;
    uint32_t *s = calloc(nslots, sizeof *s);
    if (!s)
        return -ENOMEM;
    for (size_t i = 0; i < d->n; i++) {
        size_t j = (size_t)d->ents[i].hash & (nslots - 1);
        while (s[j])
            j = (j + 1) & (nslots - 1);
        s[j] = (uint32_t)(i + 1);
    }
    free(d->slots);
    d->slots = s;
    d->nslots = nslots;
    d->used = d->n;
    return 0;
}

struct fs_dirent *fs_dir_find(struct pfs *fs, struct fs_inode *dp, const char *name,
                              size_t len)
{
    struct fs_dir *d = dp->dir;
    if (!d || !d->nslots)
        return NULL;
    uint64_t h = fs_name_hash(fs, name, len);
    for (size_t j = (size_t)h & (d->nslots - 1);; j = (j + 1) & (d->nslots - 1)) {
        uint32_t v = d->slots[j];
        if (v == 0)
            return NULL;
        if (v == TOMB)
            continue;
        struct fs_dirent *de = &d->ents[v - 1];
        if (de->hash == h && de->namelen == len && memcmp(de->name, name, len) == 0)
            return de;
    }
}

int fs_dir_add(struct pfs *fs, struct fs_inode *dp, const char *name, size_t len,
               uint64_t ino)
{
    struct fs_dir *d = dp->dir;
    int rc;
    if (d->n >= UINT32_MAX - 2)
        return -ENOSPC;
    if (d->nslots == 0 || (d->used + 1) * 4 >= d->nslots * 3) {
        size_t ns = d->nslots ? d->nslots : 16;
        while ((d->live + 1) * 2 >= ns)
            ns *= 2;
        if ((rc = dir_rehash(d, ns)) < 0)
            return rc;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct fs_dirent *e = realloc(d->ents, cap * sizeof *e);
        if (!e)
            return -ENOMEM;
        d->ents = e;
        d->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, name, len);
    copy[len] = '\0';
    struct fs_dirent *de = &d->ents[d->n];
    de->name = copy;
    de->namelen = (uint16_t)len;
    de->ino = ino;
    de->cookie = d->next_cookie++;
    de->hash = fs_name_hash(fs, name, len);
    size_t j = (size_t)de->hash & (d->nslots - 1);
    while (d->slots[j] != 0 && d->slots[j] != TOMB)
        j = (j + 1) & (d->nslots - 1);
    if (d->slots[j] == 0)
        d->used++;
    d->slots[j] = (uint32_t)(d->n + 1);
    d->n++;
    d->live++;
    fs->meta_bytes += DIRENT_REC(len);
    return 0;
}

void fs_dir_remove(struct pfs *fs, struct fs_inode *dp, struct fs_dirent *de)
{
    struct fs_dir *d = dp->dir;
    uint32_t idx = (uint32_t)(de - d->ents) + 1;
    for (size_t j = (size_t)de->hash & (d->nslots - 1);; j = (j + 1) & (d->nslots - 1)) {
        if (d->slots[j] == idx) {
            d->slots[j] = TOMB;
            break;
        }
        if (d->slots[j] == 0)
            break;
    }
    uint64_t b = DIRENT_REC(de->namelen);
    fs->meta_bytes = fs->meta_bytes > b ? fs->meta_bytes - b : 0;
    free(de->name);
    de->name = NULL;
    de->ino = 0;
    d->live--;
    if (d->live == 0 && d->n > 64) {
        /* an emptied large directory gives its memory back */
        (void)dir_rehash(d, 16);
    }
}

size_t fs_dir_seek(const struct fs_dir *d, uint64_t off)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->ents[mid].cookie <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- extents ------------------------------------------------------------------------ */

static size_t ext_lower(const struct fs_inode *ip, uint64_t idx)
{
    size_t lo = 0, hi = ip->next;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ip->ext[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint64_t fs_ext_get(const struct fs_inode *ip, uint64_t idx)
{
    size_t i = ext_lower(ip, idx);
    return i < ip->next && ip->ext[i].idx == idx ? ip->ext[i].lcn : FS_LCN_NONE;
}

uint64_t fs_ext_next(const struct fs_inode *ip, uint64_t idx)
{
    size_t i = ext_lower(ip, idx);
    return i < ip->next ? ip->ext[i].idx : UINT64_MAX;
}

int fs_ext_set(struct fs_inode *ip, uint64_t idx, uint64_t lcn, uint64_t *old)
{
    size_t i = ext_lower(ip, idx);
    bool found = i < ip->next && ip->ext[i].idx == idx;
    *old = found ? ip->ext[i].lcn : FS_LCN_NONE;
    if (lcn == FS_LCN_NONE) {
        if (found) {
            memmove(&ip->ext[i], &ip->ext[i + 1], (ip->next - i - 1) * sizeof *ip->ext);
            ip->next--;
        }
        return 0;
    }
    if (found) {
        ip->ext[i].lcn = lcn;
        return 0;
    }
    if (ip->next == ip->ext_cap) {
        size_t cap = ip->ext_cap ? ip->ext_cap * 2 : 4;
        struct fs_extent *e = realloc(ip->ext, cap * sizeof *e);
        if (!e)
            return -ENOMEM;
        ip->ext = e;
        ip->ext_cap = cap;
    }
    memmove(&ip->ext[i + 1], &ip->ext[i], (ip->next - i) * sizeof *ip->ext);
    ip->ext[i].idx = idx;
    ip->ext[i].lcn = lcn;
    ip->next++;
    return 0;
}

/* Extent changes account meta_bytes here (fs_ext_set itself knows no fs). */
static int ext_set_acct(struct pfs *fs, struct fs_inode *ip, uint64_t idx, uint64_t lcn,
                        uint64_t *old)
{
    size_t before = ip->next;
    int rc = fs_ext_set(ip, idx, lcn, old);
    if (ip->next > before) {
        fs->meta_bytes += EXTENT_REC;
        fs->data_clusters++;
    } else if (ip->next < before) {
        fs->meta_bytes -= EXTENT_REC;
        fs->data_clusters--;
    }
    return rc;
}

/* ---- xattrs and payload (shared with xattr.c, file.c through these) ------------------ */

struct fs_xattr *fs_xattr_find(struct fs_inode *ip, const char *name)
{
    for (size_t i = 0; i < ip->nxa; i++)
        if (strcmp(ip->xa[i].name, name) == 0)
            return &ip->xa[i];
    return NULL;
}

int fs_xattr_put(struct pfs *fs, struct fs_inode *ip, const char *name, const void *value,
                 uint32_t size)
{
    uint8_t *v = malloc(size ? size : 1);
    if (!v)
        return -ENOMEM;
    if (size)
        memcpy(v, value, size);
    struct fs_xattr *x = fs_xattr_find(ip, name);
    if (x) {
        fs->meta_bytes += (uint64_t)size;
        fs->meta_bytes -= x->size;
        free(x->value);
        x->value = v;
        x->size = size;
        return 0;
    }
    struct fs_xattr *a = realloc(ip->xa, (ip->nxa + 1) * sizeof *a);
    if (!a) {
        free(v);
        return -ENOMEM;
    }
    ip->xa = a;
    char *n = strdup(name);
    if (!n) {
        free(v);
        return -ENOMEM;
    }
    ip->xa[ip->nxa++] = (struct fs_xattr){n, v, size};
    fs->meta_bytes += XATTR_REC(strlen(name), size);
    return 0;
}

int fs_xattr_remove(struct pfs *fs, struct fs_inode *ip, const char *name)
{
    struct fs_xattr *x = fs_xattr_find(ip, name);
    if (!x)
        return -ENODATA;
    fs->meta_bytes -= XATTR_REC(strlen(x->name), x->size);
    free(x->name);
    free(x->value);
    *x = ip->xa[--ip->nxa];
    return 0;
}

int fs_payload_set(struct pfs *fs, struct fs_inode *ip, const void *data, uint32_t len)
{
    uint8_t *p = NULL;
    if (len) {
        p = malloc(len);
        if (!p)
            return -ENOMEM;
        if (data)
            memcpy(p, data, len);
        else
            memset(p, 0, len);
    }
    fs->meta_bytes += len;
    fs->meta_bytes -= ip->payload_len;
    free(ip->payload);
    ip->payload = p;
    ip->payload_len = len;
    return 0;
}

int fs_ext_update(struct pfs *fs, struct fs_inode *ip, uint64_t idx, uint64_t lcn,
                  uint64_t *old)
{
    return ext_set_acct(fs, ip, idx, lcn, old);
}

void fs_ext_trunc(struct pfs *fs, struct fs_inode *ip, uint64_t from,
                  void (*fn)(struct pfs *, uint64_t))
{
    while (ip->next && ip->ext[ip->next - 1].idx >= from) {
        ip->next--;
        fs->meta_bytes -= EXTENT_REC;
        fs->data_clusters--;
        if (fn)
            fn(fs, ip->ext[ip->next].lcn);
    }
}

/* ---- applying records ---------------------------------------------------------------- */

static bool mode_ok(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFIFO: case S_IFSOCK: case S_IFCHR:
    case S_IFBLK:
        return (mode & ~(uint32_t)(S_IFMT | 07777)) == 0;
    default:
        return false;
    }
}

static struct timespec get_ts(struct fs_cur *c)
{
    struct timespec t;
    t.tv_sec = (time_t)(int64_t)fs_cur_u64(c);
    t.tv_nsec = (long)fs_cur_u32(c);
    if (t.tv_nsec >= 1000000000L)
        c->bad = true;
    return t;
}

static int apply_inode(struct pfs *fs, struct fs_cur *c)
{
    uint64_t ino = fs_cur_u64(c);
    uint32_t mode = fs_cur_u32(c), uid = fs_cur_u32(c), gid = fs_cur_u32(c);
    uint32_t flags = fs_cur_u32(c), nlink = fs_cur_u32(c);
    uint64_t rdev = fs_cur_u64(c), size = fs_cur_u64(c);
    struct timespec at = get_ts(c), mt = get_ts(c), ct = get_ts(c);
    const uint8_t *dg = fs_cur_bytes(c, PFS_FIXITY_BYTES);
    uint32_t plen = fs_cur_u32(c);
    const uint8_t *pl = fs_cur_bytes(c, plen);
    if (c->bad || c->off != c->len || ino == 0 || !mode_ok(mode) ||
        (flags & ~(FS_I_INLINE | FS_I_DIGEST)) || size > FS_MAX_FILE_SIZE)
        return -EUCLEAN;
    if (S_ISLNK(mode) ? (plen == 0 || plen >= PFS_PATH_MAX || size != plen)
                      : (flags & FS_I_INLINE) ? !S_ISREG(mode) || size != plen ||
                                                    plen > FS_INLINE_MAX
                                              : plen != 0)
        return -EUCLEAN;
    struct fs_inode *ip = fs_iget(fs, ino);
    if (ip && (ip->mode & S_IFMT) != (mode & S_IFMT))
        return -EUCLEAN;
    if (!ip && !(ip = fs_inode_new(fs, ino, mode)))
        return -ENOMEM;
    if ((flags & FS_I_INLINE) && ip->next)
        return -EUCLEAN;
    int rc = fs_payload_set(fs, ip, pl, plen);
    if (rc < 0)
        return rc;
    ip->mode = mode;
    ip->uid = uid;
    ip->gid = gid;
    ip->flags = flags;
    ip->nlink = nlink;
    ip->rdev = rdev;
    ip->size = size;
    ip->atime = at;
    ip->mtime = mt;
    ip->ctime = ct;
    memcpy(ip->digest, dg, PFS_FIXITY_BYTES);
    return 0;
}

static const char *get_name(struct fs_cur *c, uint16_t *len, char *buf)
{
    *len = fs_cur_u16(c);
    const uint8_t *p = fs_cur_bytes(c, *len);
    if (!p || *len == 0 || *len > PFS_NAME_MAX)
        return c->bad = true, NULL;
    memcpy(buf, p, *len);
    buf[*len] = '\0';
    if (memchr(buf, '/', *len) || memchr(buf, 0, *len) ||
        (*len == 1 && buf[0] == '.') || (*len == 2 && buf[0] == '.' && buf[1] == '.'))
        return c->bad = true, NULL;
    return buf;
}

static int apply_dirent(struct pfs *fs, uint16_t type, struct fs_cur *c)
{
    char name[PFS_NAME_MAX + 1];
    uint16_t len;
    uint64_t dir = fs_cur_u64(c);
    uint64_t ino = type == FS_REC_DIRENT_ADD ? fs_cur_u64(c) : 0;
    if (!get_name(c, &len, name) || c->off != c->len)
        return -EUCLEAN;
    struct fs_inode *dp = fs_iget(fs, dir);
    if (!dp || !dp->dir)
        return -EUCLEAN;
    struct fs_dirent *de = fs_dir_find(fs, dp, name, len);
    if (type == FS_REC_DIRENT_DEL) {
        if (!de)
            return -EUCLEAN;
        fs_dir_remove(fs, dp, de);
        return 0;
    }
    if (!fs_iget(fs, ino) || ino == PFS_ROOT_INO)
        return -EUCLEAN;
    if (de) {
        de->ino = ino;
        return 0;
    }
    return fs_dir_add(fs, dp, name, len, ino);
}

static int apply_xattr(struct pfs *fs, uint16_t type, struct fs_cur *c)
{
    uint64_t ino = fs_cur_u64(c);
    uint16_t nl = fs_cur_u16(c);
    uint32_t sz = type == FS_REC_XATTR_SET ? fs_cur_u32(c) : 0;
    const uint8_t *n = fs_cur_bytes(c, nl);
    const uint8_t *v = fs_cur_bytes(c, sz);
    char name[PFS_XATTR_NAME_MAX + 1];
    if (c->bad || c->off != c->len || nl == 0 || nl > PFS_XATTR_NAME_MAX ||
        sz > PFS_XATTR_SIZE_MAX || memchr(n, 0, nl))
        return -EUCLEAN;
    memcpy(name, n, nl);
    name[nl] = '\0';
    struct fs_inode *ip = fs_iget(fs, ino);
    if (!ip)
        return -EUCLEAN;
    if (type == FS_REC_XATTR_DEL)
        return fs_xattr_remove(fs, ip, name) == 0 ? 0 : -EUCLEAN;
    return fs_xattr_put(fs, ip, name, v, sz);
}

int fs_apply_record(struct pfs *fs, uint16_t type, struct fs_cur *c)
{
    uint64_t ino, idx, lcn, old;
    struct fs_inode *ip;

    switch (type) {
    case FS_REC_INODE:
        return apply_inode(fs, c);
    case FS_REC_FREE:
        ino = fs_cur_u64(c);
        if (c->bad || c->off != c->len || ino == PFS_ROOT_INO || !(ip = fs_iget(fs, ino)))
            return -EUCLEAN;
        if (ip->dir && ip->dir->live)
            return -EUCLEAN;
        fs_inode_destroy(fs, ip);
        return 0;
    case FS_REC_DIRENT_ADD:
    case FS_REC_DIRENT_DEL:
        return apply_dirent(fs, type, c);
    case FS_REC_EXTENT:
        ino = fs_cur_u64(c);
        idx = fs_cur_u64(c);
        lcn = fs_cur_u64(c);
        if (c->bad || c->off != c->len || !(ip = fs_iget(fs, ino)) || !S_ISREG(ip->mode) ||
            (ip->flags & FS_I_INLINE) || idx >= (FS_MAX_FILE_SIZE >> FS_CLUSTER_SHIFT) ||
            (lcn != FS_LCN_NONE && lcn >= fs->total_lcns))
            return -EUCLEAN;
        return ext_set_acct(fs, ip, idx, lcn, &old);
    case FS_REC_TRUNC:
        ino = fs_cur_u64(c);
        idx = fs_cur_u64(c);
        if (c->bad || c->off != c->len || !(ip = fs_iget(fs, ino)) || !S_ISREG(ip->mode))
            return -EUCLEAN;
        fs_ext_trunc(fs, ip, idx, NULL);
        return 0;
    case FS_REC_XATTR_SET:
    case FS_REC_XATTR_DEL:
        return apply_xattr(fs, type, c);
    default:
        return -EUCLEAN;
    }
}

void fs_model_reset(struct pfs *fs)
{
    struct fs_itable *t = &fs->itab;
    for (size_t i = 0; t->slots && i < t->nslots; i++) {
        struct fs_inode *ip = t->slots[i];
        if (ip && ip->ino)
            fs_inode_destroy(fs, ip);
    }
    fs_itable_free(t);
    fs_alloc_free(&fs->al);
    free(fs->meta_lcns);
    fs->meta_lcns = NULL;
    fs->nmeta = fs->meta_cap = 0;
    fs->meta_bytes = 0;
    fs->data_clusters = 0;
    fs->next_ino = PFS_ROOT_INO + 1;
    fs->log_clusters = 0;
    fs->st.log_records_replayed = 0;
}

/* ---- after a load ----------------------------------------------------------------- */

int fs_meta_finish(struct pfs *fs)
{
    struct fs_itable *t = &fs->itab;
    size_t ndirs = 0;
    uint64_t *stack = NULL;
    int rc = 0, freed = 0;

    struct fs_inode *root = fs_iget(fs, PFS_ROOT_INO);
    if (!root || !root->dir)
        return -EUCLEAN;
    /* which inodes the metadata says are linked: the count is derived below */
    uint8_t *linked = calloc(t->nslots ? t->nslots : 1, 1);
    if (!linked)
        return -ENOMEM;
    for (size_t i = 0; i < t->nslots; i++) {
        struct fs_inode *ip = t->slots[i];
        if (!ip || ip == ITOMB)
            continue;
        linked[i] = ip->nlink > 0;
        ip->nlink = 0;
        if (ip->dir) {
            ip->dir->parent = 0;
            ndirs++;
        }
    }
    for (size_t i = 0; i < t->nslots; i++) {
        struct fs_inode *dp = t->slots[i];
        if (!dp || dp == ITOMB || !dp->dir)
            continue;
        dp->nlink += 2;
        for (size_t k = 0; k < dp->dir->n; k++) {
            struct fs_dirent *de = &dp->dir->ents[k];
            if (!de->ino)
                continue;
            struct fs_inode *ip = fs_iget(fs, de->ino);
            if (!ip) {
                rc = -EUCLEAN;
                goto out;
            }
            if (ip->dir) {
                if (ip->dir->parent) {
                    rc = -EUCLEAN; /* a directory with two names */
                    goto out;
                }
                ip->dir->parent = dp->ino;
                dp->nlink++;
            } else {
                if (ip->nlink == UINT32_MAX) {
                    rc = -EUCLEAN;
                    goto out;
                }
                ip->nlink++;
                ip->hint_parent = dp->ino;
            }
        }
    }
    if (root->dir->parent) {
        rc = -EUCLEAN;
        goto out;
    }
    root->dir->parent = PFS_ROOT_INO;
    /* every directory reachable from the root, no cycles */
    stack = malloc(ndirs * sizeof *stack);
    if (!stack) {
        rc = -ENOMEM;
        goto out;
    }
    size_t sp = 0, seen = 0;
    stack[sp++] = PFS_ROOT_INO;
    while (sp) {
        struct fs_inode *dp = fs_iget(fs, stack[--sp]);
        seen++;
        for (size_t k = 0; k < dp->dir->n; k++) {
            struct fs_inode *ip = dp->dir->ents[k].ino ? fs_iget(fs, dp->dir->ents[k].ino)
                                                       : NULL;
            if (ip && ip->dir) {
                if (sp >= ndirs) {
                    rc = -EUCLEAN;
                    goto out;
                }
                stack[sp++] = ip->ino;
            }
        }
    }
    if (seen != ndirs) {
        rc = -EUCLEAN;
        goto out;
    }
    /* Orphans (unlinked while open when the crash came: every commit stores the link
     * count with the entries, so theirs is 0) go. An inode no entry names whose stored
     * count is above 0 lost its entry to damage: freeing it would lose the file, so a
     * read-write mount refuses, as fsck reports it (check.c rule 1). The rest is
     * checked. */
    for (size_t i = 0; i < t->nslots; i++) {
        struct fs_inode *ip = t->slots[i];
        if (!ip || ip == ITOMB)
            continue;
        if (ip->nlink == 0 && linked[i] && !fs->read_only) {
            rc = -EUCLEAN;
            goto out;
        }
        if (ip->nlink == 0) {
            fs_inode_destroy(fs, ip);
            freed = 1;
            continue;
        }
        if (S_ISLNK(ip->mode) && ip->payload_len == 0) {
            rc = -EUCLEAN;
            goto out;
        }
        for (size_t k = 0; k < ip->next; k++) {
            if (ip->ext[k].idx << FS_CLUSTER_SHIFT >= ip->size) {
                rc = -EUCLEAN; /* an extent beyond the end of the file */
                goto out;
            }
            if ((rc = fs_alloc_mark(fs, ip->ext[k].lcn)) < 0)
                goto out;
        }
    }
out:
    free(stack);
    free(linked);
    return rc < 0 ? rc : freed;
}
