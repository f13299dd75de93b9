/*
 * fuzz_profile.c — libFuzzer target: the profile parser (phasefs-profile(5)).
 * Any input either parses or fails with -EINVAL and a filled error; one that parses
 * must format to canonical text that parses again to the same text (medium.h: "Parsing
 * the text gives back an equal profile"), checked here, since a round trip that loses
 * a value silently changes a medium's physics.
 */
#include "fuzz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 65536

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Seeds: the canonical text of every preset, and a profile that says only what
 * differs from its base, as users write them (phasefs-profile(5)). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char partial[] =
        "[medium]\nname = small-n2\ncapacity_per_layer = 64M   # 1024 clusters per layer\n"
        "seed = 7\n\n[production]\nn2_fraction = 0.05\n\n"
        "[layer.near]\nmaterial = ((Ge-Sn)8Sb2Te11)95Bi5\n"
        "[layer.far]\nmaterial = Ag5In5Sb60Te30\n";
    static char text[TEXT_MAX];
    const char *dir = fuzz_seed_dir(*argc, *argv);
    if (!dir)
        return 0;
    const char *const *names = medium_preset_names();
    for (unsigned i = 0; names[i]; i++) {
        struct medium_profile p;
        char name[96];
        int n = -1;
        if (medium_profile_preset(names[i], &p) == 0)
            n = medium_profile_format(&p, text, sizeof text);
        snprintf(name, sizeof name, "seed-%s", names[i]);
        if (n < 0 || fuzz_write_file(dir, name, text, (size_t)n) < 0)
            exit(1);
    }
    if (fuzz_write_file(dir, "seed-partial", partial, sizeof partial - 1) < 0)
        exit(1);
    exit(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char a[TEXT_MAX], b[TEXT_MAX];
    struct medium_profile p, q;
    struct medium_parse_error err;

    int rc = medium_profile_parse((const char *)data, size, "fuzz", &p, &err);
    if (rc == -ENOMEM)
        return 0;
    if (rc < 0) {
        if (rc != -EINVAL || !memchr(err.message, '\0', sizeof err.message) ||
            err.message[0] == '\0')
            abort(); /* a failure must be -EINVAL with one message */
        return 0;
    }
    int n = medium_profile_format(&p, a, sizeof a);
    if (n < 0)
        abort();
    if (medium_profile_parse(a, (size_t)n, "canonical", &q, &err) < 0)
        abort(); /* canonical text of an accepted profile is refused */
    int k = medium_profile_format(&q, b, sizeof b);
    if (k != n || memcmp(a, b, (size_t)n) != 0)
        abort(); /* the round trip changed a value */
    return 0;
}
