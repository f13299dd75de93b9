/* profile.c — SKELETON, to be replaced (work in progress this session). */
#include "medium_priv.h"
#include <errno.h>
int medium_profile_parse(const char *t, size_t l, const char *f, struct medium_profile *o, struct medium_parse_error *e) { (void)t;(void)l;(void)f;(void)o;(void)e; return -ENOSYS; }
int medium_profile_load(const char *s, struct medium_profile *o, struct medium_parse_error *e) { (void)s;(void)o;(void)e; return -ENOSYS; }
int medium_profile_validate(const struct medium_profile *p, struct medium_parse_error *e) { (void)p;(void)e; return -ENOSYS; }
int medium_profile_format(const struct medium_profile *p, char *b, size_t c) { (void)p;(void)b;(void)c; return -ENOSYS; }
