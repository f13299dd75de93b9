/*
 * gf.c — GF(2^8) arithmetic tables for the sector layer's Reed–Solomon codes.
 *
 * Owns the exp/log/inverse tables over the primitive polynomial 0x11d with generator
 * alpha = 2 (the field of the Blu-ray LDC/BIS and of ISA-L's erasure code, physics.md
 * §3.2), and ISA-L's 32-byte multiply table for every constant. It does not do vector
 * arithmetic: bulk products are ISA-L's (rs.c). The tables live in the caller's struct,
 * not in globals, so nothing here is mutable shared state.
 */
#include "sector_priv.h"

#include <string.h>

#include <isa-l/gf_vect_mul.h>

void sector_gf_init(struct sector_gf *gf)
{
    memset(gf, 0, sizeof *gf);
    unsigned x = 1;
    for (unsigned i = 0; i < 255; i++) {
        gf->exp[i] = (uint8_t)x;
        gf->exp[i + 255] = (uint8_t)x;
        gf->log[x] = (uint16_t)i;
        x <<= 1;
        if (x & 0x100)
            x ^= SECTOR_GF_POLY;
    }
    /* exp[510..1023] stay 0: the landing zone of any product with log[0]. */
    gf->log[0] = SECTOR_GF_LOG_ZERO;
    gf->inv[0] = 0;
    for (unsigned a = 1; a < 256; a++)
        gf->inv[a] = gf->exp[(255u - gf->log[a]) % 255u];
    for (unsigned c = 0; c < 256; c++)
        gf_vect_mul_init((unsigned char)c, gf->isal_mul[c]);
}
