/* claims.c — SKELETON, to be replaced (work in progress this session). */
#include "medium_priv.h"
#include <errno.h>
int medium_claims_check(const struct medium_profile *p, struct medium_claim *o, size_t c) { (void)p;(void)o;(void)c; return -ENOSYS; }
