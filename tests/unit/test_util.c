/*
 * test_util.c — unit tests of src/util: byte order, CRC-32 against the published check
 * value, determinism and statistics of the keyed random streams, normal quantiles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "util.h"

static void test_util_le_roundtrip(void **state)
{
    (void)state;
    uint8_t b[8];
    util_le32_put(b, 0x11223344u);
    assert_int_equal(b[0], 0x44);
    assert_int_equal(b[3], 0x11);
    assert_int_equal(util_le32_get(b), 0x11223344u);
    util_le64_put(b, 0x0102030405060708ULL);
    assert_int_equal(b[0], 0x08);
    assert_true(util_le64_get(b) == 0x0102030405060708ULL);
    util_lef64_put(b, -1.25e-7);
    assert_true(util_lef64_get(b) == -1.25e-7);
}

static void test_util_crc32_check_value(void **state)
{
    (void)state;
    /* The CRC-32/ISO-HDLC check value of "123456789" is 0xCBF43926. */
    assert_int_equal(util_crc32(0, "123456789", 9), 0xCBF43926u);
    /* Continuation gives the same as one pass. */
    uint32_t c = util_crc32(0, "1234", 4);
    assert_int_equal(util_crc32(c, "56789", 5), 0xCBF43926u);
}

static void test_util_rng_same_key_same_stream(void **state)
{
    (void)state;
    struct util_rng a, b, c;
    util_rng_stream(&a, 42, 1, 7, 8, 9);
    util_rng_stream(&b, 42, 1, 7, 8, 9);
    util_rng_stream(&c, 42, 1, 7, 8, 10);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = util_rng_u64(&a);
        assert_true(x == util_rng_u64(&b));
        differ += x != util_rng_u64(&c);
    }
    assert_true(differ > 990);
}

static void test_util_rng_uniform_moments(void **state)
{
    (void)state;
    struct util_rng r;
    util_rng_stream(&r, 1, 2, 3, 4, 5);
    const int n = 1000000;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; i++) {
        double u = util_rng_uniform(&r);
        assert_true(u > 0.0 && u < 1.0);
        sum += u;
        sum2 += u * u;
    }
    double mean = sum / n, var = sum2 / n - mean * mean;
    /* mean 1/2 with standard error 0.289/sqrt(n) = 2.9e-4: allow 5 sigma */
    assert_true(fabs(mean - 0.5) < 1.5e-3);
    assert_true(fabs(var - 1.0 / 12) < 1e-3);
}

static void test_util_rng_geometric_rate(void **state)
{
    (void)state;
    /* Counting events by geometric gaps over 1e7 trials at p = 1e-4 must give
     * Binomial(1e7, 1e-4): mean 1000, sd 31.6. */
    struct util_rng r;
    util_rng_stream(&r, 9, 9, 9, 9, 9);
    const uint64_t n = 10000000;
    const double p = 1e-4;
    uint64_t events = 0;
    for (uint64_t pos = util_rng_geometric(&r, p); pos < n;
         pos += 1 + util_rng_geometric(&r, p))
        events++;
    assert_true(fabs((double)events - 1000.0) < 5 * 31.6);
    assert_true(util_rng_geometric(&r, 0.0) == UINT64_MAX);
    assert_true(util_rng_geometric(&r, 1.0) == 0);
}

static void test_util_rng_poisson_mean(void **state)
{
    (void)state;
    struct util_rng r;
    util_rng_stream(&r, 3, 3, 3, 3, 3);
    const double means[] = {0.01, 2.5, 40, 500};
    for (size_t k = 0; k < 4; k++) {
        double sum = 0;
        const int n = 20000;
        for (int i = 0; i < n; i++)
            sum += (double)util_rng_poisson(&r, means[k]);
        double se = sqrt(means[k] / n);
        assert_true(fabs(sum / n - means[k]) < 5 * se + 1e-9);
    }
}

static void test_util_rng_below_bounds(void **state)
{
    (void)state;
    struct util_rng r;
    util_rng_stream(&r, 5, 5, 5, 5, 5);
    unsigned hist[7] = {0};
    for (int i = 0; i < 70000; i++) {
        uint64_t v = util_rng_below(&r, 7);
        assert_true(v < 7);
        hist[v]++;
    }
    for (int i = 0; i < 7; i++)
        assert_true(hist[i] > 9500 && hist[i] < 10500);
}

static void test_util_normal_quantile_inverts_cdf(void **state)
{
    (void)state;
    /* Published quantiles: z(0.975) = 1.959963985, z(1e-3) = -3.090232306 */
    assert_true(fabs(util_normal_quantile(0.975) - 1.959963985) < 1e-8);
    assert_true(fabs(util_normal_quantile(1e-3) + 3.090232306) < 1e-8);
    for (double p = 1e-9; p < 1; p *= 3.7)
        assert_true(fabs(util_normal_cdf(util_normal_quantile(p)) - p) < 1e-10 * (1 + p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util_le_roundtrip),
        cmocka_unit_test(test_util_crc32_check_value),
        cmocka_unit_test(test_util_rng_same_key_same_stream),
        cmocka_unit_test(test_util_rng_uniform_moments),
        cmocka_unit_test(test_util_rng_geometric_rate),
        cmocka_unit_test(test_util_rng_poisson_mean),
        cmocka_unit_test(test_util_rng_below_bounds),
        cmocka_unit_test(test_util_normal_quantile_inverts_cdf),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
