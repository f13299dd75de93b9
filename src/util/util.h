/*
 * util.h — code that more than one layer needs: little-endian encoding of on-image
 * fields, the CRC-32 used by every checksummed structure, and the seeded random
 * streams that make every simulated draw replayable.
 *
 * util depends on no project layer and never prints. Random streams are keyed by
 * (seed, domain, a, b, c) rather than drawn from one global sequence, so a draw does
 * not depend on the order in which threads happened to run (STYLE.md "Determinism").
 */
#ifndef PHASEFS_UTIL_H
#define PHASEFS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define PFS_MUST_CHECK __attribute__((warn_unused_result))
#else
#define PFS_MUST_CHECK
#endif

/* ---- little-endian field access (on-image structures are encoded explicitly) ---- */

static inline void util_le16_put(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline uint16_t util_le16_get(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline void util_le32_put(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t util_le32_get(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline void util_le64_put(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t util_le64_get(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* IEEE-754 binary64 stored as its bit pattern, little-endian. */
static inline void util_lef64_put(uint8_t *p, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    util_le64_put(p, v);
}

static inline double util_lef64_get(const uint8_t *p)
{
    uint64_t v = util_le64_get(p);
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

/* ---- CRC-32 (IEEE 802.3 polynomial, as zlib computes it) ---- */

/* CRC-32 of len bytes, continuing from crc (start with 0). */
uint32_t util_crc32(uint32_t crc, const void *data, size_t len);

/* ---- seeded random streams ---- */

/* xoshiro256** state. Plain data so callers keep it on the stack. */
struct util_rng {
    uint64_t s[4];
};

/* SplitMix64 finaliser: a bijective 64-bit mix, used to derive keys. */
uint64_t util_mix64(uint64_t x);

/*
 * Initialise rng as the stream named by (seed, domain, a, b, c). Two calls with the
 * same five values give the same sequence; changing any one gives an unrelated one.
 * domain is a small constant per purpose (read noise, retention, defects ...).
 */
void util_rng_stream(struct util_rng *rng, uint64_t seed, uint32_t domain, uint64_t a,
                     uint64_t b, uint64_t c);

uint64_t util_rng_u64(struct util_rng *rng);

/* Uniform in the open interval (0, 1): never returns 0 or 1, so log() is safe. */
double util_rng_uniform(struct util_rng *rng);

/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t util_rng_below(struct util_rng *rng, uint64_t n);

/* Standard normal deviate (Box–Muller; one value per call, deterministic). */
double util_rng_normal(struct util_rng *rng);

/*
 * Number of Bernoulli(p) failures before the next success, i.e. the gap to the next
 * event when each of a run of trials fires with probability p. Drawing gaps instead of
 * testing every trial makes sampling k events among n trials cost O(k), not O(n).
 * Returns UINT64_MAX when p <= 0.
 */
uint64_t util_rng_geometric(struct util_rng *rng, double p);

/* Poisson deviate with the given mean (inversion for small means, PTRS-free normal
 * approximation with continuity correction above 64, which is accurate to <1 % there). */
uint64_t util_rng_poisson(struct util_rng *rng, double mean);

/* ---- small numeric helpers shared by the physics code and tools ---- */

/* Standard normal cumulative distribution Φ(x). */
double util_normal_cdf(double x);

/* Inverse of Φ, for p in (0, 1) (Acklam's rational approximation refined by one Halley
 * step; |error| < 1e-12). Returns ±INFINITY at p = 0 or 1. */
double util_normal_quantile(double p);

#endif /* PHASEFS_UTIL_H */
