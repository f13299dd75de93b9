/*
 * daemon.h — what the two files of the phasefs FUSE daemon share (DESIGN.md
 * "src/daemon"): the mounted state handed to libfuse as userdata, the exit codes, and
 * the low-level operation table. phasefs.c owns the command line, the image, the
 * session and logging; ops.c owns the phasefs_ll_* operations. Nothing here is a
 * library: only src/daemon includes <fuse_lowlevel.h> (STYLE.md "Layers and folders").
 */
#ifndef PHASEFS_DAEMON_H
#define PHASEFS_DAEMON_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "pfs.h"

/* Exit codes of phasefs, listed in phasefs(8) EXIT STATUS; scripts and mount(8)
 * depend on them. */
enum phasefs_exit {
    PHASEFS_EXIT_OK = 0,     /* mounted, then unmounted with everything flushed */
    PHASEFS_EXIT_FAILED = 1, /* the FUSE session failed, or the final flush did */
    PHASEFS_EXIT_USAGE = 2,  /* bad command line or -o option */
    PHASEFS_EXIT_MEDIUM = 3, /* IMAGE cannot be opened: missing, unreadable, not a
                              * medium image, corrupt, or of an unknown version */
    PHASEFS_EXIT_FS = 4,     /* the medium holds no phasefs filesystem, or its
                              * metadata is damaged on every copy (run fsck) */
    PHASEFS_EXIT_MOUNT = 5,  /* cannot mount on MOUNTPOINT (FUSE refused) */
};

/* The mounted filesystem, as every operation sees it (fuse_req_userdata). Written
 * once before the session starts, then only read: no lock needed. */
struct phasefs {
    struct pfs *fs;
    double attr_timeout_s;  /* how long the kernel may cache attributes */
    double entry_timeout_s; /* ... and names (negative lookups included) */
    unsigned max_write;     /* asked of the kernel at init */
};

extern const struct fuse_lowlevel_ops phasefs_ll_ops;

#endif /* PHASEFS_DAEMON_H */
