/*
 * test_lock.c — unit tests of the image lock that medium_open and medium_create take
 * (medium.h "The image lock", medium.c lock_take): a writer excludes every other handle
 * of another process, readers share, an overwrite of a held image changes not a byte,
 * the bounded wait succeeds when the holder lets go in time and gives -EBUSY when it
 * does not, the lock is a plain flock(2) that `flock IMAGE true` sees, it goes at close,
 * and a host without locks gives -ENOLCK.
 *
 * The other process is a real one (fork): a child that holds the image through
 * libmedium, or through flock(2) alone, as any other program could.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "medium_priv.h"

#define SMALL_BYTES (4ULL << 20) /* 64 clusters per layer */

struct fixture {
    char dir[256];
    char path[320];
    pid_t child;
    int go_fd; /* write end: a byte tells the child to let go */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    struct medium_profile p;
    struct medium *m = NULL;
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "%s/test_lock.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/medium.img", f->dir);
    f->child = -1;
    f->go_fd = -1;
    if (medium_profile_preset("bd-re-dl", &p) < 0)
        return -1;
    p.capacity_per_layer = SMALL_BYTES;
    if (medium_create(f->path, &p, NULL, &m) < 0 || medium_close(m) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->child > 0) {
        kill(f->child, SIGKILL);
        waitpid(f->child, NULL, 0);
    }
    if (f->go_fd >= 0)
        close(f->go_fd);
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

enum hold { HOLD_WRITER, HOLD_READER, HOLD_FLOCK_EX };

/*
 * Start a child that holds the image (a libmedium handle, or a bare flock(2)), and
 * return once it does. It lets go when the parent writes a byte to f->go_fd, or by
 * itself after release_ms if that is not 0.
 */
static void child_hold(struct fixture *f, enum hold how, unsigned release_ms)
{
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        struct medium *m = NULL;
        int fd = -1;
        if (how == HOLD_FLOCK_EX) {
            fd = open(f->path, O_RDONLY);
            if (fd < 0 || flock(fd, LOCK_EX) < 0)
                _exit(1);
        } else {
            struct medium_open_options o = {.read_only = how == HOLD_READER};
            if (medium_open(f->path, &o, &m) < 0)
                _exit(1);
        }
        char c = 'r';
        if (write(ready[1], &c, 1) != 1)
            _exit(1);
        if (release_ms) {
            struct timespec t = {.tv_sec = release_ms / 1000,
                                 .tv_nsec = (long)(release_ms % 1000) * 1000000L};
            nanosleep(&t, NULL);
        } else if (read(go[0], &c, 1) < 0) {
            _exit(1);
        }
        if (m && medium_close(m) < 0)
            _exit(1);
        if (fd >= 0)
            close(fd);
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    f->child = pid;
    f->go_fd = go[1];
}

/* Tell the child to let go and check that it ended well. */
static void child_release(struct fixture *f)
{
    int ws;
    char c = 'g';
    assert_int_equal(write(f->go_fd, &c, 1), 1);
    close(f->go_fd);
    f->go_fd = -1;
    assert_int_equal(waitpid(f->child, &ws, 0), f->child);
    f->child = -1;
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
}

static int try_open(const char *path, bool read_only, unsigned wait_ms)
{
    struct medium_open_options o = {.read_only = read_only, .lock_wait_ms = wait_ms};
    struct medium *m = NULL;
    int rc = medium_open(path, &o, &m);
    if (rc == 0) {
        assert_non_null(m);
        assert_int_equal(medium_close(m), 0);
    } else {
        assert_null(m);
    }
    return rc;
}

/* The whole file, to compare before and after a refused call. */
static uint8_t *slurp(const char *path, size_t *len)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    uint8_t *b = malloc((size_t)st.st_size);
    assert_non_null(b);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
    close(fd);
    *len = (size_t)st.st_size;
    return b;
}

/* A child's read-write handle (a mounted daemon) keeps every other handle out, and an
 * overwrite through medium_create leaves the image exactly as it was. */
static void test_lock_writer_excludes_others(void **state)
{
    struct fixture *f = *state;
    size_t len0, len1;
    uint8_t *before = slurp(f->path, &len0);
    child_hold(f, HOLD_WRITER, 0);
    assert_int_equal(try_open(f->path, false, 0), -EBUSY);
    assert_int_equal(try_open(f->path, true, 0), -EBUSY);

    struct medium_profile p;
    struct medium *m = NULL;
    assert_int_equal(medium_profile_preset("bd-re-dl", &p), 0);
    p.capacity_per_layer = 2 * SMALL_BYTES; /* a create would change the size */
    struct medium_create_options co = {.overwrite = true, .lock_wait_ms = 60};
    assert_int_equal(medium_create(f->path, &p, &co, &m), -EBUSY);
    assert_null(m);
    uint8_t *after = slurp(f->path, &len1);
    assert_true(len0 == len1);
    assert_memory_equal(before, after, len0);
    free(after);

    child_release(f);
    assert_int_equal(try_open(f->path, false, 0), 0);
    free(before);
}

/* Read-only handles share the image; a writer is refused while one is open. */
static void test_lock_readers_share(void **state)
{
    struct fixture *f = *state;
    child_hold(f, HOLD_READER, 0);
    assert_int_equal(try_open(f->path, true, 0), 0);
    assert_int_equal(try_open(f->path, false, 0), -EBUSY);
    struct medium_profile p;
    struct medium *m = NULL;
    assert_int_equal(medium_profile_preset("bd-re-dl", &p), 0);
    p.capacity_per_layer = SMALL_BYTES;
    struct medium_create_options co = {.overwrite = true};
    assert_int_equal(medium_create(f->path, &p, &co, &m), -EBUSY);
    child_release(f);
    assert_int_equal(try_open(f->path, false, 0), 0);
}

/* Another program's bare flock(2), let go after 300 ms: a wait of 5 s succeeds, and it
 * did wait (at least most of the hold); a wait of 100 ms on a lock held for 10 s gives
 * -EBUSY after no less than those 100 ms. */
static void test_lock_bounded_wait(void **state)
{
    struct fixture *f = *state;
    child_hold(f, HOLD_FLOCK_EX, 300);
    double t0 = now_s();
    assert_int_equal(try_open(f->path, false, 5000), 0);
    double waited = now_s() - t0;
    assert_true(waited >= 0.15);
    int ws;
    assert_int_equal(waitpid(f->child, &ws, 0), f->child);
    f->child = -1;
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    close(f->go_fd);
    f->go_fd = -1;

    child_hold(f, HOLD_FLOCK_EX, 0);
    t0 = now_s();
    assert_int_equal(try_open(f->path, true, 100), -EBUSY);
    assert_true(now_s() - t0 >= 0.095);
    child_release(f);
    fprintf(stderr, "# waited %.0f ms for a lock let go after 300 ms\n", waited * 1e3);
}

/* The lock is flock(2) on the image itself, as scripts see it, held from open (and
 * create) to close; two handles in one process exclude each other too. */
static void test_lock_is_flock_until_close(void **state)
{
    struct fixture *f = *state;
    struct medium_open_options o = {.read_only = false};
    struct medium *m = NULL, *n = NULL;
    assert_int_equal(medium_open(f->path, &o, &m), 0);
    int fd = open(f->path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_SH | LOCK_NB), -1);
    assert_int_equal(errno, EWOULDBLOCK);
    assert_int_equal(medium_open(f->path, &o, &n), -EBUSY);
    assert_null(n);
    assert_int_equal(medium_close(m), 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    assert_int_equal(flock(fd, LOCK_UN), 0);

    /* a new image is locked from the moment it exists */
    struct medium_profile p;
    char other[400];
    snprintf(other, sizeof other, "%s/new.img", f->dir);
    assert_int_equal(medium_profile_preset("bd-re-dl", &p), 0);
    p.capacity_per_layer = SMALL_BYTES;
    assert_int_equal(medium_create(other, &p, NULL, &m), 0);
    int fd2 = open(other, O_RDONLY);
    assert_true(fd2 >= 0);
    assert_int_equal(flock(fd2, LOCK_SH | LOCK_NB), -1);
    assert_int_equal(medium_close(m), 0);
    assert_int_equal(flock(fd2, LOCK_SH | LOCK_NB), 0);
    close(fd2);
    close(fd);
    unlink(other);
}

static int no_locks(int fd, int op)
{
    (void)fd;
    (void)op;
    errno = ENOLCK;
    return -1;
}

/* A host filesystem without locks: -ENOLCK, never an unlocked handle; a create leaves
 * no file behind and an overwrite leaves the old image. */
static void test_lock_host_without_locks(void **state)
{
    struct fixture *f = *state;
    const struct medium_io io = {.flock = no_locks};
    struct medium_open_options o = {.io = &io};
    struct medium *m = NULL;
    assert_int_equal(medium_open(f->path, &o, &m), -ENOLCK);
    assert_null(m);

    struct medium_profile p;
    char other[400];
    snprintf(other, sizeof other, "%s/new.img", f->dir);
    assert_int_equal(medium_profile_preset("bd-re-dl", &p), 0);
    p.capacity_per_layer = SMALL_BYTES;
    struct medium_create_options co = {.io = &io};
    assert_int_equal(medium_create(other, &p, &co, &m), -ENOLCK);
    assert_int_equal(access(other, F_OK), -1);
    size_t len0, len1;
    uint8_t *before = slurp(f->path, &len0);
    co.overwrite = true;
    assert_int_equal(medium_create(f->path, &p, &co, &m), -ENOLCK);
    uint8_t *after = slurp(f->path, &len1);
    assert_true(len0 == len1);
    assert_memory_equal(before, after, len0);
    free(before);
    free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_lock_writer_excludes_others),
        T(test_lock_readers_share),
        T(test_lock_bounded_wait),
        T(test_lock_is_flock_until_close),
        T(test_lock_host_without_locks),
#undef T
    };
    return cmocka_run_group_tests_name("lock", tests, NULL, NULL);
}
