/*
 * main.c — fsck.phasefs: options, exit codes and orchestration (DESIGN.md "Tools":
 * fsck; STYLE.md "Options", "Output: only tools speak").
 *
 * Two halves share this entry point: the filesystem check (metadata checks and repairs
 * through libpfs, with -n/-p/-a/-y, -f and --path; fscheck.c), which always runs, and the
 * layer-health scan (--scan, scan.c), which reads both layers read-only and reports
 * through report.c and map.c. Exit codes are the fsck(8) bitmask of enum fsck_exit,
 * listed in fsck.phasefs(8). SIGINT and SIGTERM stop the filesystem check (nothing
 * changed, one line, FSCK_EXIT_CANCELLED alone) and the scan (the partial report is
 * printed and the status carries FSCK_EXIT_CANCELLED).
 */
#include "fsck.h"
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

static volatile sig_atomic_t cancelled;

static void on_signal(int sig)
{
    (void)sig;
    cancelled = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: fsck.phasefs [-n | -p | -a | -y] [-f] [-v] [--scan] [--json] [--map FILE]\n"
            "                    [--path P] IMAGE\n"
            "Check (and with -p/-a/-y repair) the phasefs filesystem on a medium image.\n"
            "--scan also reads every written cluster of both layers and reports each layer's\n"
            "health.\n"
            "  -n              make no changes (also the default: the check never asks)\n"
            "  -p, -a          repair what is safe without asking\n"
            "  -y              answer yes to every repair\n"
            "  -f              also read every file against its fixity digest\n"
            "  -v              verbose: every zone and every unreadable cluster\n"
            "      --scan      scan the surface and report per-layer health\n"
            "      --json      the report as JSON (format_version first)\n"
            "      --map FILE  draw the surface map of both layers, FILE.png or FILE.svg\n"
            "      --path P    check only the file or directory P (filesystem check)\n"
            "  -h, --help      this help;  -V, --version  the version\n"
            "Exit status: 0 clean, 1 errors corrected, 4 errors left uncorrected (or a failing\n"
            "layer), 8 operational error, 16 usage error, 32 cancelled; OR-ed.\n");
}

static bool map_kind_ok(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".svg"));
}

int main(int argc, char **argv)
{
    enum { OPT_SCAN = 256, OPT_JSON, OPT_MAP, OPT_PATH };
    static const struct option longopts[] = {
        {"scan", no_argument, NULL, OPT_SCAN},      {"json", no_argument, NULL, OPT_JSON},
        {"map", required_argument, NULL, OPT_MAP},  {"path", required_argument, NULL, OPT_PATH},
        {"verbose", no_argument, NULL, 'v'},        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},           {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct fsck_options o;
    int repair_opts = 0, c;

    tool_set_progname(argc > 0 ? argv[0] : "fsck.phasefs");
    memset(&o, 0, sizeof o);
    o.progress = true;
    while ((c = getopt_long(argc, argv, "npayfvhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'n': o.repair = FSCK_REPAIR_NONE; repair_opts++; break;
        case 'p':
        case 'a': o.repair = FSCK_REPAIR_PREEN; repair_opts++; break;
        case 'y': o.repair = FSCK_REPAIR_YES; repair_opts++; break;
        case 'f': o.force = true; break;
        case 'v': o.verbose = true; break;
        case OPT_SCAN: o.scan = true; break;
        case OPT_JSON: o.json = true; break;
        case OPT_MAP: o.map = optarg; break;
        case OPT_PATH: o.path = optarg; break;
        case 'h': usage(stdout); return FSCK_EXIT_OK;
        case 'V': printf("fsck.phasefs (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
            return FSCK_EXIT_OK;
        default: usage(stderr); return FSCK_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        if (optind >= argc)
            tool_error(NULL, "no IMAGE given; see 'fsck.phasefs --help'");
        else
            tool_error(argv[optind + 1], "one IMAGE only; see 'fsck.phasefs --help'");
        return FSCK_EXIT_USAGE;
    }
    if (repair_opts > 1) {
        tool_error(NULL, "only one of -n, -p/-a and -y may be given");
        return FSCK_EXIT_USAGE;
    }
    if (o.map && !o.scan) {
        tool_error(o.map, "--map draws the scan; give --scan too");
        return FSCK_EXIT_USAGE;
    }
    if (o.map && !map_kind_ok(o.map)) {
        tool_error(o.map, "the map must be a .png or .svg file");
        return FSCK_EXIT_USAGE;
    }
    if (o.path && !*o.path) {
        tool_error("--path", "the path is empty; give a file or directory of the filesystem");
        return FSCK_EXIT_USAGE;
    }
    o.image = argv[optind];

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* the filesystem check first (it may repair); under --scan a medium without a
     * filesystem is only scanned, and the scan speaks for an image it cannot read */
    struct fsck_fs fsr;
    int status = 0;
    o.cancel = &cancelled;
    int rc = fsck_fs_check(&o, &fsr);
    if (rc == -ECANCELED) {
        fsck_fs_free(&fsr);
        return FSCK_EXIT_CANCELLED; /* one line printed; the image is as it was */
    }
    if (rc == -EBUSY) { /* mounted: one line printed; nothing was read or changed */
        fsck_fs_free(&fsr);
        return FSCK_EXIT_OPERATIONAL;
    }
    bool have_fs = rc == 0 && !fsr.no_fs;
    if (rc == -ENOENT && o.path && fsr.opened) {
        fsck_fs_free(&fsr);
        return FSCK_EXIT_OPERATIONAL; /* --path names nothing: one line printed */
    }
    if (!o.scan) {
        if (rc < 0 || !have_fs) {
            fsck_fs_free(&fsr);
            return FSCK_EXIT_OPERATIONAL;
        }
        status = fsck_fs_exit(&fsr);
        if (o.json)
            fsck_fs_json(stdout, o.image, &fsr, status);
        else
            fsck_fs_text(stdout, o.image, &fsr, o.path);
        fsck_fs_free(&fsr);
        if (fflush(stdout) != 0) {
            tool_error(NULL, "cannot write the report: %s", strerror(errno));
            status |= FSCK_EXIT_OPERATIONAL;
        }
        return status;
    }
    if (have_fs)
        status |= fsck_fs_exit(&fsr);

    struct fsck_scan_options so = {
        .progress = o.progress,
        .threads = 0,
        .owner = have_fs ? fsck_fs_owner : NULL, /* files of an unreadable LCN */
        .owner_ctx = have_fs ? &fsr : NULL,
        .cancel = &cancelled,
    };
    struct fsck_health h;
    rc = fsck_scan(o.image, &so, &h);
    if (rc < 0) {
        fsck_fs_free(&fsr);
        return FSCK_EXIT_OPERATIONAL;
    }
    status |= fsck_health_exit(&h);
    if (o.json) {
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        if (!mem) {
            fsck_fs_free(&fsr);
            fsck_health_free(&h);
            tool_error(NULL, "cannot build the report: %s", strerror(errno));
            return FSCK_EXIT_OPERATIONAL;
        }
        fsck_report_json(mem, o.image, &h);
        fclose(mem);
        /* the scan's document, with "filesystem" after "format_version" and the
         * combined exit status */
        char *ver = strstr(buf, "\"format_version\"");
        char *eol = ver ? strchr(ver, '\n') : NULL;
        char *ex = strstr(buf, "\"exit_status\": ");
        if (eol && ex && have_fs) {
            fwrite(buf, 1, (size_t)(eol + 1 - buf), stdout);
            fputs("  \"filesystem\": ", stdout);
            fsck_fs_json_body(stdout, &fsr, "  ");
            fputs(",\n", stdout);
            ex += strlen("\"exit_status\": ");
            fwrite(eol + 1, 1, (size_t)(ex - (eol + 1)), stdout);
            printf("%d", status);
            while (*ex >= '0' && *ex <= '9')
                ex++;
            fputs(ex, stdout);
        } else {
            fputs(buf, stdout);
        }
        free(buf);
    } else {
        if (have_fs) {
            fsck_fs_text(stdout, o.image, &fsr, o.path);
            fputc('\n', stdout);
        }
        fsck_report_text(stdout, o.image, &h, o.verbose);
    }
    fsck_fs_free(&fsr);
    if (o.map) {
        rc = fsck_map_write(o.map, &h);
        if (rc < 0) {
            tool_error(o.map, "cannot write the map: %s", tool_strerror(rc));
            status |= FSCK_EXIT_OPERATIONAL;
        }
    }
    if (fflush(stdout) != 0) {
        tool_error(NULL, "cannot write the report: %s", strerror(errno));
        status |= FSCK_EXIT_OPERATIONAL;
    }
    fsck_health_free(&h);
    return status;
}
