/* image.c — SKELETON, to be replaced (work in progress this session). */
#include "medium_priv.h"
#include <errno.h>
int image_format(struct medium *m) { (void)m; return -ENOSYS; }
int image_load(struct medium *m) { (void)m; return -ENOSYS; }
int image_header_store(struct medium *m) { (void)m; return -ENOSYS; }
int image_faults_store(struct medium *m) { (void)m; return -ENOSYS; }
int image_meta_flush(struct medium *m) { (void)m; return -ENOSYS; }
uint64_t image_cluster_offset(const struct medium *m, unsigned l, uint64_t i) { (void)m;(void)l;(void)i; return 0; }
