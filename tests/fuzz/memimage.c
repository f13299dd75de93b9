/*
 * memimage.c — one medium image held in memory, served to libmedium through its host
 * I/O table (medium.h "Host I/O of the image"), so a fuzz run never touches the disk
 * and a run's damage is undone by copying back only the pages it wrote.
 *
 * Every open returns a fresh memfd: a real descriptor, so whatever libmedium does to
 * the descriptor itself (locks, fcntl) behaves as on a file, while the bytes live here.
 * The filesystem's commit thread reads and writes concurrently: one mutex guards all.
 */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096u

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *img, *base;    /* current bytes; snapshot */
static size_t img_len, img_cap, base_len, base_cap;
static uint8_t *dirty;         /* one byte per page of img_cap written since snapshot */

static void die(const char *what)
{
    fprintf(stderr, "memimage: %s\n", what);
    abort();
}

/* Make room for len bytes (zero-filled beyond img_len). Caller holds lock. */
static int grow(size_t len)
{
    if (len <= img_cap)
        return 0;
    size_t cap = img_cap ? img_cap : PAGE;
    while (cap < len) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    uint8_t *p = realloc(img, cap);
    uint8_t *d = realloc(dirty, cap / PAGE);
    if (p)
        img = p;
    if (d)
        dirty = d;
    if (!p || !d)
        return -1;
    memset(img + img_cap, 0, cap - img_cap);
    memset(dirty + img_cap / PAGE, 1, (cap - img_cap) / PAGE);
    img_cap = cap;
    return 0;
}

static void mark(size_t off, size_t len)
{
    if (len)
        memset(dirty + off / PAGE, 1, (off + len - 1) / PAGE - off / PAGE + 1);
}

static int mem_open(const char *path, int flags, mode_t mode)
{
    (void)path, (void)mode;
    pthread_mutex_lock(&lock);
    if (flags & O_TRUNC) {
        mark(0, img_len);
        img_len = 0;
    }
    pthread_mutex_unlock(&lock);
    return memfd_create("phasefs-fuzz", MFD_CLOEXEC);
}

static int mem_close(int fd)
{
    return close(fd);
}

static ssize_t mem_pread(int fd, void *buf, size_t len, off_t off)
{
    (void)fd;
    if (off < 0) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&lock);
    size_t n = 0;
    if ((uint64_t)off < img_len) {
        n = img_len - (size_t)off;
        if (n > len)
            n = len;
        memcpy(buf, img + off, n);
    }
    pthread_mutex_unlock(&lock);
    return (ssize_t)n;
}

static ssize_t mem_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    (void)fd;
    if (off < 0 || (uint64_t)off > SIZE_MAX - len) {
        errno = EFBIG;
        return -1;
    }
    pthread_mutex_lock(&lock);
    size_t end = (size_t)off + len;
    if (grow(end) < 0) {
        pthread_mutex_unlock(&lock);
        errno = ENOSPC;
        return -1;
    }
    memcpy(img + off, buf, len);
    mark((size_t)off, len);
    if (end > img_len)
        img_len = end;
    pthread_mutex_unlock(&lock);
    return (ssize_t)len;
}

static int mem_fsync(int fd)
{
    (void)fd;
    return 0;
}

static int mem_ftruncate(int fd, off_t len)
{
    (void)fd;
    if (len < 0) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&lock);
    if (grow((size_t)len) < 0) {
        pthread_mutex_unlock(&lock);
        errno = EFBIG;
        return -1;
    }
    if ((size_t)len < img_len) {
        memset(img + len, 0, img_len - (size_t)len); /* a later extension reads zeros */
        mark((size_t)len, img_len - (size_t)len);
    }
    img_len = (size_t)len;
    pthread_mutex_unlock(&lock);
    return 0;
}

static int mem_fstat(int fd, struct stat *st)
{
    if (fstat(fd, st) < 0)
        return -1;
    pthread_mutex_lock(&lock);
    st->st_size = (off_t)img_len;
    st->st_blocks = (blkcnt_t)(img_len / 512);
    pthread_mutex_unlock(&lock);
    return 0;
}

static const struct medium_io table = {
    .open = mem_open,
    .close = mem_close,
    .pread = mem_pread,
    .pwrite = mem_pwrite,
    .fsync = mem_fsync,
    .ftruncate = mem_ftruncate,
    .fstat = mem_fstat,
};

const struct medium_io *memimage_io(void)
{
    return &table;
}

void memimage_load(const uint8_t *p, size_t len)
{
    pthread_mutex_lock(&lock);
    if (grow(len) < 0)
        die("out of memory");
    memcpy(img, p, len);
    if (len < img_len)
        memset(img + len, 0, img_len - len);
    mark(0, len > img_len ? len : img_len);
    img_len = len;
    pthread_mutex_unlock(&lock);
}

void memimage_snapshot(void)
{
    pthread_mutex_lock(&lock);
    free(base);
    base = malloc(img_cap ? img_cap : 1);
    if (!base)
        die("out of memory");
    memcpy(base, img, img_cap);
    base_len = img_len;
    base_cap = img_cap;
    memset(dirty, 0, img_cap / PAGE);
    pthread_mutex_unlock(&lock);
}

void memimage_restore(void)
{
    pthread_mutex_lock(&lock);
    if (!base)
        die("restore without a snapshot");
    /* pages beyond the snapshot's capacity were zero in it and are marked dirty */
    for (size_t i = 0; i < img_cap / PAGE; i++) {
        if (!dirty[i])
            continue;
        if (i < base_cap / PAGE)
            memcpy(img + i * PAGE, base + i * PAGE, PAGE);
        else
            memset(img + i * PAGE, 0, PAGE);
        dirty[i] = 0;
    }
    img_len = base_len;
    pthread_mutex_unlock(&lock);
}

const uint8_t *memimage_bytes(size_t *len)
{
    *len = img_len;
    return img;
}

int fuzz_write_file(const char *dir, const char *name, const void *p, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(p, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}
