/* model.c — SKELETON, to be replaced (work in progress this session). */
#include "medium_priv.h"
#include <errno.h>
#include <string.h>
int model_init(struct medium *m) { (void)m; return -ENOSYS; }
bool model_write_needs_old(const struct medium *m, unsigned l) { (void)m;(void)l; return false; }
void model_write(const struct medium *m, unsigned l, uint64_t i, const struct medium_cluster_meta *me, const uint8_t *w, const uint8_t *o, uint8_t *r, struct medium_write_report *rep) { (void)m;(void)l;(void)i;(void)me;(void)o;(void)rep; memcpy(r, w, MEDIUM_CLUSTER_BYTES); }
void model_read(const struct medium *m, unsigned l, uint64_t i, const struct medium_cluster_meta *me, uint8_t *b, struct medium_read_report *r) { (void)m;(void)l;(void)i;(void)me;(void)b;(void)r; }
double model_cluster_ber(const struct medium *m, unsigned l, const struct medium_cluster_meta *me) { (void)m;(void)l;(void)me; return 0; }
double model_cluster_age(const struct medium *m, unsigned l, const struct medium_cluster_meta *me) { (void)m;(void)l;(void)me; return 0; }
double model_retention_fraction(const struct medium *m, unsigned l, double a) { (void)m;(void)l;(void)a; return 0; }
uint32_t model_stuck_cells(const struct medium *m, unsigned l, uint64_t i, uint32_t c) { (void)m;(void)l;(void)i;(void)c; return 0; }
