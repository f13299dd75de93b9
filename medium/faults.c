/* faults.c — SKELETON, to be replaced (work in progress this session). */
#include "medium_priv.h"
#include <errno.h>
double faults_cluster_radius(const struct medium *m, uint64_t i) { (void)m;(void)i; return 0; }
void faults_cluster_span(const struct medium *m, uint64_t i, double *a0, double *a1) { (void)m;(void)i; *a0 = 0; *a1 = 0; }
uint32_t faults_apply(const struct medium *m, unsigned l, uint64_t i, uint8_t *b) { (void)m;(void)l;(void)i;(void)b; return 0; }
bool faults_cluster_defective(const struct medium *m, unsigned l, uint64_t i) { (void)m;(void)l;(void)i; return false; }
int faults_validate(const struct medium *m, const struct medium_fault *f) { (void)m;(void)f; return -ENOSYS; }
