/* clock.c — SKELETON, to be replaced (work in progress this session). */
#include "medium_priv.h"
#include <errno.h>
double clock_acceleration(double ea, double t) { (void)ea;(void)t; return 1; }
void clock_advance(struct medium_clock *c, const struct model_layer model[MEDIUM_LAYER_COUNT], double s, double t) { (void)c;(void)model;(void)s;(void)t; }
