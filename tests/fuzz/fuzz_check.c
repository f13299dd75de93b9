/*
 * fuzz_check.c — libFuzzer target: pfs_check (fsck.phasefs's library) on a formatted
 * image whose anchors, checkpoint and log clusters an input patches (fsimage.c). Bit 0
 * of the input's flags asks for a repair; a repaired image is then checked again and
 * mounted, as fsck -y followed by a mount would. Whatever the damage, the check
 * returns a report or an error; nothing may crash or leak.
 *
 * Not asked: the fixity pass (opt.fixity), which hashes each file's apparent size (a
 * patched size of terabytes would stall the run, issue 13 item 3).
 */
#include "fuzz.h"

#include <stdlib.h>

#include "pfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned flags;
    struct medium *m = fsimage_patched(data, size, &flags);
    struct pfs_check_options opt;
    struct pfs_check_report rep;
    pfs_check_options_default(&opt);
    opt.repair = flags & 1;
    opt.owners = flags & 2;
    opt.sector.verify_after_write = false;
    opt.sector.read_retries = 0;
    int rc = pfs_check(m, &opt, &rep);
    bool repaired = rc == 0 && rep.repaired;
    pfs_check_report_free(&rep);
    if (repaired) {
        opt.repair = false;
        (void)pfs_check(m, &opt, &rep);
        pfs_check_report_free(&rep);
        struct pfs_mount_options o;
        struct pfs *fs;
        pfs_mount_options_default(&o);
        o.commit_interval_ms = 600000;
        o.sector = opt.sector;
        if (pfs_mount(m, &o, &fs) == 0)
            (void)pfs_unmount(fs);
    }
    (void)medium_close(m);
    return 0;
}
