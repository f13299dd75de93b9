/*
 * damage.c — which files the unreadable clusters of a scan belong to, like
 * `zpool status -v`: per file the clusters lost, their bytes, the layers they lie on
 * and why they failed (the causes scan.c took from the medium's facts). Also the
 * names of the causes, so every report spells them alike. Nothing here reads the
 * medium; the owner names come from the filesystem half through the scan's hook.
 */
#include "health.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *health_cause_name(unsigned bit)
{
    switch (bit) {
    case HEALTH_CAUSE_RETENTION: return "retention";
    case HEALTH_CAUSE_SCRATCH: return "scratch";
    case HEALTH_CAUSE_DUST: return "dust";
    case HEALTH_CAUSE_DEFECT: return "defect";
    case HEALTH_CAUSE_WEAR: return "wear";
    case HEALTH_CAUSE_TABLE: return "corrupt-entry";
    case HEALTH_CAUSE_NOISE: return "unexplained";
    default: return "unknown";
    }
}

static int by_owner(const void *a, const void *b)
{
    const struct health_bad *x = *(const struct health_bad *const *)a;
    const struct health_bad *y = *(const struct health_bad *const *)b;
    int c = strcmp(x->owner, y->owner);
    return c ? c : (x->lcn > y->lcn) - (x->lcn < y->lcn);
}

int health_damage_files(struct health *h)
{
    free(h->files);
    h->files = NULL;
    h->file_count = 0;
    h->bad_unowned = 0;
    if (!h->bad_count)
        return 0;
    const struct health_bad **v = malloc(h->bad_count * sizeof *v);
    struct health_file *f = calloc(h->bad_count, sizeof *f);
    if (!v || !f) {
        free(v);
        free(f);
        return -ENOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < h->bad_count; i++) {
        /* the hook names metadata in parentheses, "(anchor slot)": not a file */
        if (h->bad[i].owner[0] && h->bad[i].owner[0] != '(')
            v[n++] = &h->bad[i];
        else
            h->bad_unowned++;
    }
    qsort(v, n, sizeof *v, by_owner);
    for (size_t i = 0; i < n; i++) {
        const struct health_bad *b = v[i];
        if (!h->file_count || strcmp(f[h->file_count - 1].path, b->owner)) {
            memcpy(f[h->file_count].path, b->owner, sizeof f->path);
            f[h->file_count].path[sizeof f->path - 1] = '\0';
            h->file_count++;
        }
        struct health_file *cur = &f[h->file_count - 1];
        cur->clusters++;
        cur->bytes += SECTOR_CLUSTER_USER_BYTES;
        cur->layers |= 1u << b->layer;
        cur->causes |= b->causes;
    }
    free(v);
    h->files = f;
    return 0;
}
