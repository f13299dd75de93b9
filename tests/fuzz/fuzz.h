/*
 * fuzz.h — what the libFuzzer targets of tests/fuzz share: an image held in memory
 * behind libmedium's host I/O table (memimage.c), and a small formatted filesystem
 * whose metadata clusters an input patches (fsimage.c). Test code only: built with
 * clang -fsanitize=fuzzer by the rules in Makefile.am, never linked into a tool.
 */
#ifndef PHASEFS_FUZZ_H
#define PHASEFS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "medium.h"

/* ---- memimage.c: one image file in memory ------------------------------------------- */

/* The host I/O table that serves every open of any path from the one memory image. */
const struct medium_io *memimage_io(void);
/* Replace the image by len bytes of p (the file then has exactly len bytes). */
void memimage_load(const uint8_t *p, size_t len);
/* Remember the image as it is now; memimage_restore goes back to it, copying only the
 * 4 KiB pages written since (a fuzz run costs what it wrote, not the image's size). */
void memimage_snapshot(void);
void memimage_restore(void);
/* The image as it is now (valid until the next write). */
const uint8_t *memimage_bytes(size_t *len);

/* The path handed to libmedium: any name works, the table ignores it. */
#define MEMIMAGE_PATH "memimage"

/* ---- fsimage.c: a formatted filesystem whose metadata an input patches -------------- */

/*
 * fsimage.c defines LLVMFuzzerInitialize for the targets that patch it: with
 * "--write-seeds=DIR" among the arguments it writes the seeds (fsimage_write_seeds)
 * and exits; otherwise it builds the base image once (mkfs, a small tree, a
 * checkpoint, then commits left in the log as a crash leaves them) and snapshots it,
 * exiting with a message if that fails: the target cannot run without it.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * Restore the base image, then apply the patches of an input (format in fsimage.c)
 * to the decoded user data of the metadata clusters they name, seal the CRCs they
 * break (unless asked not to) and record the clusters again through the sector layer.
 * Returns the medium, open read-write on the patched image; aborts if the base image
 * no longer opens (a harness failure, not a finding). *flags gets the input's flag
 * byte (option bits for the target).
 */
struct medium *fsimage_patched(const uint8_t *data, size_t size, unsigned *flags);

/* Write one seed input per metadata cluster (its header and records unchanged) into
 * dir as seed-NN. Returns the number written, or -1 with errno. */
int fsimage_write_seeds(const char *dir);

/* ---- seeds ------------------------------------------------------------------------ */

/* The DIR of a "--write-seeds=DIR" argument (libFuzzer leaves "--" flags to the target,
 * which then writes its seed corpus there and exits), or NULL. */
static inline const char *fuzz_seed_dir(int argc, char **argv)
{
    static const char opt[] = "--write-seeds=";
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], opt, sizeof opt - 1))
            return argv[i] + sizeof opt - 1;
    return NULL;
}

/* Write len bytes of p as file dir/name. Returns 0 or -1 with errno. */
int fuzz_write_file(const char *dir, const char *name, const void *p, size_t len);

#endif /* PHASEFS_FUZZ_H */
