/* medium.c — SKELETON, to be replaced (work in progress this session). */
#include "medium_priv.h"
#include <errno.h>
int medium_create(const char *p, const struct medium_profile *pr, const struct medium_create_options *o, struct medium **out) { (void)p;(void)pr;(void)o;(void)out; return -ENOSYS; }
int medium_open(const char *p, const struct medium_open_options *o, struct medium **out) { (void)p;(void)o;(void)out; return -ENOSYS; }
int medium_sync(struct medium *m) { (void)m; return -ENOSYS; }
int medium_close(struct medium *m) { (void)m; return -ENOSYS; }
const struct medium_profile *medium_profile_get(const struct medium *m) { return &m->profile; }
const struct medium_optics *medium_optics_get(const struct medium *m) { return &m->optics; }
const struct medium_material *medium_material_get(const struct medium *m, unsigned l) { return &m->material[l]; }
uint64_t medium_layer_clusters(const struct medium *m) { return m->clusters_per_layer; }
int medium_cluster_write(struct medium *m, unsigned l, uint64_t i, const uint8_t *b, struct medium_write_report *r) { (void)m;(void)l;(void)i;(void)b;(void)r; return -ENOSYS; }
int medium_cluster_read(struct medium *m, unsigned l, uint64_t i, uint8_t *b, struct medium_read_report *r) { (void)m;(void)l;(void)i;(void)b;(void)r; return -ENOSYS; }
int medium_cluster_info(struct medium *m, unsigned l, uint64_t i, struct medium_cluster_info *o) { (void)m;(void)l;(void)i;(void)o; return -ENOSYS; }
int medium_age(struct medium *m, double s, double t) { (void)m;(void)s;(void)t; return -ENOSYS; }
void medium_clock_get(const struct medium *m, struct medium_clock *o) { *o = m->clock; }
int medium_inject_scratch(struct medium *m, const struct medium_scratch *s) { (void)m;(void)s; return -ENOSYS; }
int medium_inject_dust(struct medium *m, const struct medium_dust *d) { (void)m;(void)d; return -ENOSYS; }
int medium_inject_defects(struct medium *m, const struct medium_defects *d) { (void)m;(void)d; return -ENOSYS; }
int medium_layer_status(struct medium *m, unsigned l, struct medium_layer_status *o) { (void)m;(void)l;(void)o; return -ENOSYS; }
double medium_retention_loss(const struct medium *m, unsigned l, double s, double t) { (void)m;(void)l;(void)s;(void)t; return 0; }
