/* presets.c — SKELETON, to be replaced (work in progress this session). */
#include "medium_priv.h"
#include <errno.h>
const char *const *medium_preset_names(void) { static const char *const n[] = {NULL}; return n; }
int medium_profile_preset(const char *n, struct medium_profile *o) { (void)n;(void)o; return -ENOENT; }
