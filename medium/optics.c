/* optics.c — SKELETON, to be replaced (work in progress this session). */
#include "medium_priv.h"
#include <errno.h>
int medium_optics_compute(const struct medium_profile *p, struct medium_optics *o) { (void)p;(void)o; return -ENOSYS; }
int optics_tmm(const double complex *n, const double *d, size_t c, double l, double t, enum optics_polarization p, struct optics_result *o, double *a) { (void)n;(void)d;(void)c;(void)l;(void)t;(void)p;(void)o;(void)a; return -ENOSYS; }
