/* material.c — SKELETON, to be replaced (work in progress this session). */
#include "medium_priv.h"
#include <errno.h>
int medium_material_derive(const char *f, double w, double n2, double o2, struct medium_material *o, char *why, size_t c) { (void)f;(void)w;(void)n2;(void)o2;(void)o;(void)why;(void)c; return -ENOSYS; }
int material_formula_parse(const char *f, struct material_formula *o, char *why, size_t c) { (void)f;(void)o;(void)why;(void)c; return -ENOSYS; }
