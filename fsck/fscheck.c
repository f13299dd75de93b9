/*
 * fscheck.c — the filesystem half of fsck.phasefs (DESIGN.md "Tools": fsck): opens the
 * image, runs libpfs's pfs_check with the repair mode of -n/-p/-a/-y, and renders its
 * plain-data report as text or as a JSON object. It decides nothing about the
 * filesystem itself (src/fs/check.c does) and never writes the medium except through
 * pfs_check. Exit bits follow fsck(8): 1 all problems repaired, 4 problems left, 8 the
 * image could not be read.
 */
#include "fsck.h"
#include "pfs.h"
#include "tool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What -p/-a may repair without asking: rewriting a bad copy or anchor from the good
 * one (a lost defect management copy included), and link counts; nothing that drops
 * or moves data. */
#define PREEN_CLASSES                                                                   \
    (1u << PFS_CHECK_ANCHOR | 1u << PFS_CHECK_CKPT_COPY | 1u << PFS_CHECK_LOG_COPY |     \
     1u << PFS_CHECK_NLINK | 1u << PFS_CHECK_DMA_COPY)

/* One pfs_check run on a freshly opened image. */
static int run(const char *image, const struct pfs_check_options *co,
               struct pfs_check_report *rep, bool *opened)
{
    struct medium *m = NULL;
    struct medium_open_options mo;
    memset(&mo, 0, sizeof mo);
    mo.read_only = !co->repair;
    /* the image lock, shared to check and exclusive to repair, is held for the whole
     * check: a filesystem a daemon has open is never judged, let alone repaired */
    mo.lock_wait_ms = MEDIUM_LOCK_WAIT_MS;
    int rc = medium_open(image, &mo, &m);
    *opened = rc == 0;
    if (rc < 0)
        return rc;
    rc = pfs_check(m, co, rep);
    int crc = medium_close(m);
    return rc == 0 && crc < 0 && co->repair ? crc : rc;
}

int fsck_fs_check(const struct fsck_options *o, struct fsck_fs *out)
{
    bool repair = o->repair == FSCK_REPAIR_PREEN || o->repair == FSCK_REPAIR_YES;
    struct pfs_check_options co;

    memset(out, 0, sizeof *out);
    pfs_check_options_default(&co);
    co.repair_classes = o->repair == FSCK_REPAIR_PREEN ? PREEN_CLASSES : 0;
    co.fixity = o->force || o->scan;
    co.path = o->path;
    co.owners = o->scan; /* the scan names the files of unreadable clusters */
    co.cancel = o->cancel;
    out->fixity = co.fixity;
    out->repair = repair;
    out->preen = o->repair == FSCK_REPAIR_PREEN;
    /* read-only first: a filesystem with nothing to repair is never written (not even
     * the medium's read counters); then, only if needed, the repairing run, whose
     * report replaces the first but for the file contents it does not read again */
    bool opened;
    int rc = run(o->image, &co, &out->rep, &opened);
    bool need = false;
    for (size_t i = 0; rc == 0 && i < out->rep.count; i++)
        need |= out->rep.problems[i].repairable &&
                (!co.repair_classes || (co.repair_classes >> out->rep.problems[i].cls & 1u));
    if (rc == 0 && repair && need) {
        struct pfs_check_report first = out->rep;
        co.repair = true;
        co.fixity = false;
        rc = run(o->image, &co, &out->rep, &opened);
        if (rc == 0) {
            for (size_t i = 0; i < first.count; i++) {
                const struct pfs_check_problem *p = &first.problems[i];
                /* (a repairable one: a rescued file the repair run moved itself) */
                if ((p->cls != PFS_CHECK_FIXITY && p->cls != PFS_CHECK_UNREADABLE) ||
                    p->repairable)
                    continue;
                struct pfs_check_problem *np =
                    realloc(out->rep.problems, (out->rep.count + 1) * sizeof *np);
                if (!np) {
                    rc = -ENOMEM;
                    break;
                }
                out->rep.problems = np;
                np[out->rep.count++] = *p;
            }
            out->rep.files_hashed = first.files_hashed;
            out->rep.files_sparse = first.files_sparse;
        }
        pfs_check_report_free(&first);
    }
    for (size_t i = 0; rc == 0 && i < out->rep.count; i++)
        if (out->rep.problems[i].cls == PFS_CHECK_NO_FS)
            rc = -EUCLEAN;
    out->ran = rc == 0;
    out->opened = opened;
    out->no_fs = rc == -EUCLEAN;
    if (rc == -ECANCELED)
        tool_error(o->image, "check cancelled by a signal; nothing was changed");
    else if (rc == -EBUSY)
        tool_image_busy(o->image, !repair);
    else if (rc < 0 && !opened && !o->scan)
        tool_error(o->image, "cannot open the image: %s", tool_strerror(rc));
    else if (rc == -ENOENT && o->path)
        tool_error(o->path, "no such file or directory in the filesystem of %s", o->image);
    else if (rc < 0 && !o->scan) /* under --scan the scan speaks for the image */
        tool_error(o->image, rc == -EUCLEAN ? "no phasefs filesystem on this medium (--scan "
                                              "checks the layers of any medium)"
                                            : "the filesystem check failed: %s",
                   tool_strerror(rc));
    return rc;
}

int fsck_fs_owner(void *ctx, uint64_t lcn, char *buf, size_t cap)
{
    const struct pfs_check_report *r = &((const struct fsck_fs *)ctx)->rep;
    size_t lo = 0, hi = r->nowners;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->owners[mid].lcn < lcn)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= r->nowners || r->owners[lo].lcn != lcn)
        return -ENOENT;
    const struct pfs_check_owner *ow = &r->owners[lo];
    if (ow->kind != PFS_OWNER_DATA) {
        snprintf(buf, cap, "%s", ow->kind == PFS_OWNER_ANCHOR ? "(anchor slot)"
                                                              : "(filesystem metadata)");
        return 0;
    }
    lo = 0;
    hi = r->nfiles_owning;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->files_owning[mid].ino < ow->ino)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= r->nfiles_owning || r->files_owning[lo].ino != ow->ino)
        return -ENOENT;
    snprintf(buf, cap, "%s", r->files_owning[lo].path);
    return 0;
}

int fsck_fs_exit(const struct fsck_fs *f)
{
    if (!f->ran)
        return FSCK_EXIT_OPERATIONAL;
    int st = 0;
    for (size_t i = 0; i < f->rep.count; i++)
        st |= f->rep.problems[i].repaired ? FSCK_EXIT_CORRECTED : FSCK_EXIT_UNCORRECTED;
    return st;
}

void fsck_fs_free(struct fsck_fs *f)
{
    pfs_check_report_free(&f->rep);
}

void fsck_fs_text(FILE *out, const char *image, const struct fsck_fs *f, const char *path)
{
    const struct pfs_check_report *r = &f->rep;
    size_t fixed = 0;
    fprintf(out, "Filesystem check of %s%s%s\n", image, path ? ", path " : "", path ? path : "");
    if (r->generation)
        fprintf(out,
                "  metadata    generation %llu; %u of 8 anchor slots valid; %zu metadata "
                "cluster pair%s in force; %llu log cluster%s replayed\n",
                (unsigned long long)r->generation, r->anchors_valid, r->nmeta,
                r->nmeta == 1 ? "" : "s", (unsigned long long)r->log_clusters,
                r->log_clusters == 1 ? "" : "s");
    if (r->inodes)
        fprintf(out,
                "  tree        %llu inodes: %llu directories, %llu regular files; %llu data "
                "clusters\n",
                (unsigned long long)r->inodes, (unsigned long long)r->directories,
                (unsigned long long)r->files, (unsigned long long)r->data_clusters);
    if (f->fixity)
        fprintf(out, "  fixity      %llu file%s read and compared with %s digest%s\n",
                (unsigned long long)r->files_hashed, r->files_hashed == 1 ? "" : "s",
                r->files_hashed == 1 ? "its" : "their", r->files_hashed == 1 ? "" : "s");
    else
        fprintf(out, "  fixity      not checked (-f reads every file)\n");
    if (f->fixity && r->files_sparse)
        fprintf(out,
                "  note        %llu file%s not compared with %s digest: sparse (more holes "
                "than fsck hashes, see fsck.phasefs(8))\n",
                (unsigned long long)r->files_sparse, r->files_sparse == 1 ? "" : "s",
                r->files_sparse == 1 ? "its" : "their");
    for (size_t i = 0; i < r->count; i++) {
        const struct pfs_check_problem *p = &r->problems[i];
        fprintf(out, "  problem     %s: %s: %s%s\n", p->path, pfs_check_class_name(p->cls),
                p->detail,
                p->repaired     ? " [repaired]"
                : !p->repairable ? " [cannot be repaired]"
                : !f->repair     ? " [repairable]"
                : f->preen       ? " [not repaired: needs -y]"
                                 : " [repair failed]");
        fixed += p->repaired;
    }
    if (r->count == 0)
        fprintf(out, "  result      clean\n");
    else
        fprintf(out, "  result      %zu problem%s, %zu repaired, %zu left%s\n", r->count,
                r->count == 1 ? "" : "s", fixed, r->count - fixed,
                !f->repair && r->count > fixed ? " (no changes made; -p or -y repairs)" : "");
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

void fsck_fs_json_body(FILE *out, const struct fsck_fs *f, const char *indent)
{
    const struct pfs_check_report *r = &f->rep;
    fprintf(out, "{\n%s  \"generation\": %llu,\n%s  \"anchors_valid\": %u,\n", indent,
            (unsigned long long)r->generation, indent, r->anchors_valid);
    fprintf(out, "%s  \"log_clusters\": %llu,\n%s  \"inodes\": %llu,\n", indent,
            (unsigned long long)r->log_clusters, indent, (unsigned long long)r->inodes);
    fprintf(out, "%s  \"directories\": %llu,\n%s  \"files\": %llu,\n", indent,
            (unsigned long long)r->directories, indent, (unsigned long long)r->files);
    fprintf(out, "%s  \"data_clusters\": %llu,\n%s  \"fixity_checked\": %s,\n", indent,
            (unsigned long long)r->data_clusters, indent, f->fixity ? "true" : "false");
    fprintf(out, "%s  \"files_hashed\": %llu,\n%s  \"files_sparse\": %llu,\n%s  \"problems\": [",
            indent, (unsigned long long)r->files_hashed, indent,
            (unsigned long long)r->files_sparse, indent);
    for (size_t i = 0; i < r->count; i++) {
        const struct pfs_check_problem *p = &r->problems[i];
        fprintf(out, "%s\n%s    {\"class\": ", i ? "," : "", indent);
        json_str(out, pfs_check_class_name(p->cls));
        fprintf(out, ", \"path\": ");
        json_str(out, p->path);
        fprintf(out, ", \"inode\": %llu, \"lcn\": ", (unsigned long long)p->ino);
        if (p->lcn == UINT64_MAX)
            fputs("null", out);
        else
            fprintf(out, "%llu", (unsigned long long)p->lcn);
        fprintf(out, ", \"detail\": ");
        json_str(out, p->detail);
        fprintf(out, ", \"repairable\": %s, \"repaired\": %s}", p->repairable ? "true" : "false",
                p->repaired ? "true" : "false");
    }
    if (r->count)
        fprintf(out, "\n%s  ", indent);
    fprintf(out, "]\n%s}", indent);
}

void fsck_fs_json(FILE *out, const char *image, const struct fsck_fs *f, int status)
{
    fprintf(out, "{\n  \"format_version\": %d,\n  \"image\": ", FSCK_JSON_FORMAT_VERSION);
    json_str(out, image);
    fprintf(out, ",\n  \"filesystem\": ");
    fsck_fs_json_body(out, f, "  ");
    fprintf(out, ",\n  \"result\": {\"exit_status\": %d}\n}\n", status);
}
