/*
 * phasectl.c — entry point of phasectl(1): global options and dispatch to the
 * subcommands (profile, create, info, age, inject, stats, health, lifetest). Each subcommand parses its own
 * options with getopt_long and prints through the tool_ helpers.
 */
#include "phasectl.h"
#include "tool.h"

#include <stdio.h>
#include <string.h>

#include "config.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: phasectl COMMAND [OPTIONS] ...\n"
            "Create, inspect, age and damage simulated two-layer phase-change media.\n"
            "\n"
            "Commands:\n"
            "  create [-p PRESET|PROFILE] [-s SIZE] [--seed N] [--force] [--no-format] IMAGE\n"
            "                      create a medium image (SIZE per layer, e.g. 64M .. 25G)\n"
            "  info IMAGE [--json] show the medium, its clock and each layer's health\n"
            "  stats IMAGE [--json]\n"
            "                      show the sector layer's defect list and statistics\n"
            "  health IMAGE [--json] [-v] [--within YEARS]\n"
            "                      scan the medium; exit status bits for monitoring\n"
            "  age IMAGE --years Y --celsius C [--rh R]\n"
            "                      age the medium (also --days, --hours, --seconds)\n"
            "  inject IMAGE scratch|dust|defects [OPTIONS]\n"
            "                      record physical damage (see phasectl inject --help)\n"
            "  lifetest [OPTIONS] (DIR | --generate SIZE --files N)\n"
            "                      write a data set, age it by a schedule, verify each step\n"
            "                      (see phasectl lifetest --help); lifetest merge SHARD...\n"
            "  profile check PRESET|FILE [--json]\n"
            "                      hold a profile against the patent's claims\n"
            "  profile show PRESET|FILE [--json]\n"
            "                      print a profile with its derived optics and materials\n"
            "\n"
            "  -h, --help          this help;  -V, --version  the version\n"
            "\n"
            "Exit status: 0 success, 1 a claim check failed, 2 usage or bad input,\n"
            "3 the image could not be created, read or updated, 4 (lifetest) the data set\n"
            "does not fit on the disc; 'health' exits with its own bits (phasectl health\n"
            "--help). See phasectl(1).\n");
}

int main(int argc, char **argv)
{
    tool_set_progname(argv[0]);
    if (argc < 2) {
        usage(stderr);
        return PHASECTL_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return PHASECTL_EXIT_OK;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("phasectl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
        return PHASECTL_EXIT_OK;
    }
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {
        {"profile", phasectl_profile}, {"create", phasectl_create}, {"info", phasectl_info},
        {"age", phasectl_age},         {"inject", phasectl_inject},
        {"stats", phasectl_stats},     {"health", phasectl_health},
        {"lifetest", phasectl_lifetest},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    tool_error(cmd, "unknown command; run 'phasectl --help' for the list");
    return PHASECTL_EXIT_USAGE;
}
