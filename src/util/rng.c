/*
 * rng.c — seeded, keyed random streams and the distributions the simulator draws.
 *
 * Every random draw of phasefs comes from here, keyed by the medium's seed plus the
 * coordinates of the event (cluster, generation, read number ...), so a run replays
 * exactly and concurrent threads cannot change what anyone draws. The generator is
 * xoshiro256** (Blackman & Vigna 2018) seeded through SplitMix64; neither is
 * cryptographic, and key material never comes from here (libsodium does that).
 */
#include "util.h"

#include <math.h>

uint64_t util_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void util_rng_stream(struct util_rng *rng, uint64_t seed, uint32_t domain, uint64_t a,
                     uint64_t b, uint64_t c)
{
    /* Chain the mixes so each coordinate perturbs every state word. */
    uint64_t k = util_mix64(seed ^ 0x6a09e667f3bcc908ULL);
    k = util_mix64(k ^ ((uint64_t)domain * 0xd1342543de82ef95ULL));
    k = util_mix64(k ^ a);
    k = util_mix64(k ^ util_mix64(b + 0x3c6ef372fe94f82bULL));
    k = util_mix64(k ^ util_mix64(c + 0xa54ff53a5f1d36f1ULL));
    for (int i = 0; i < 4; i++) {
        k = util_mix64(k + (uint64_t)i);
        rng->s[i] = k;
    }
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
        rng->s[0] = 1; /* the all-zero state is the one xoshiro cannot leave */
}

uint64_t util_rng_u64(struct util_rng *rng)
{
    uint64_t *s = rng->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double util_rng_uniform(struct util_rng *rng)
{
    /* 53 random bits, offset by half an ulp: strictly inside (0, 1). */
    return ((double)(util_rng_u64(rng) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

uint64_t util_rng_below(struct util_rng *rng, uint64_t n)
{
    /* Lemire's multiply-shift with rejection of the biased low region. */
    __uint128_t m = (__uint128_t)util_rng_u64(rng) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = (__uint128_t)util_rng_u64(rng) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double util_rng_normal(struct util_rng *rng)
{
    double u1 = util_rng_uniform(rng);
    double u2 = util_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

uint64_t util_rng_geometric(struct util_rng *rng, double p)
{
    if (!(p > 0.0))
        return UINT64_MAX;
    if (p >= 1.0)
        return 0;
    double g = floor(log(util_rng_uniform(rng)) / log1p(-p));
    if (!(g < 1.8e19))
        return UINT64_MAX;
    return (uint64_t)g;
}

uint64_t util_rng_poisson(struct util_rng *rng, double mean)
{
    if (!(mean > 0.0))
        return 0;
    if (mean < 64.0) {
        /* Inversion by sequential search: exact, O(mean). */
        double u = util_rng_uniform(rng);
        double p = exp(-mean);
        double cdf = p;
        uint64_t k = 0;
        while (u > cdf && k < 10000) {
            k++;
            p *= mean / (double)k;
            cdf += p;
        }
        return k;
    }
    double x = floor(mean + sqrt(mean) * util_rng_normal(rng) + 0.5);
    return x < 0.0 ? 0 : (uint64_t)x;
}

double util_normal_cdf(double x)
{
    return 0.5 * erfc(-x / M_SQRT2);
}

double util_normal_quantile(double p)
{
    if (p <= 0.0)
        return -INFINITY;
    if (p >= 1.0)
        return INFINITY;
    /* Acklam's coefficients. */
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    const double plow = 0.02425;
    double q, r, x;
    if (p < plow) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - plow) {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    /* One Halley refinement against the exact CDF. */
    double e = util_normal_cdf(x) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}
