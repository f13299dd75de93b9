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
            "  -v              verbose: every zone, damaged file and unreadable cluster\n"
            "      --scan      scan the surface and report per-layer health\n"
            "      --json      the report as JSON (format_version first)\n"
            "      --map FILE  draw disc maps of both layers: FILE.png, .svg or .pdf\n"
            "      --path P    check only the file or directory P (filesystem check)\n"
            "  -h, --help      this help;  -V, --version  the version\n"
            "Exit status: 0 clean, 1 errors corrected, 4 errors left uncorrected (or a failing\n"
            "layer), 8 operational error, 16 usage error, 32 cancelled; OR-ed.\n");
}

/* The one JSON document of fsck.phasefs (doc/schema/fsck.json): the filesystem check
 * and the health scan side by side, null when not run, and the combined exit status. */
static int json_document(const char *image, const struct fsck_fs *fs,
                         const struct health *h, bool verbose, int status)
{
    struct tool_json j;
    tool_json_begin(&j, stdout);
    tool_json_object(&j, NULL);
    tool_json_int(&j, "format_version", FSCK_JSON_FORMAT_VERSION);
    tool_json_str(&j, "program", "fsck.phasefs");
    tool_json_str(&j, "image", image);
    if (fs)
        fsck_fs_json(&j, "filesystem", fs);
    else
        tool_json_null(&j, "filesystem");
    if (h)
        health_json(&j, "health", h, verbose);
    else
        tool_json_null(&j, "health");
    tool_json_int(&j, "exit_status", status);
    tool_json_end_object(&j);
    return tool_json_finish(&j);
}

static void drop_map(FILE *map, const char *path)
{
    if (map) {
        fclose(map);
        unlink(path);
    }
}

/* The report must reach its reader: a full disc or closed pipe is an operational error. */
static int finish_output(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        tool_error(NULL, "cannot write the report: %s", strerror(errno));
        status |= FSCK_EXIT_OPERATIONAL;
    }
    return status;
}

int fsck_health_exit(const struct health *h)
{
    int rc = h->verdict == HEALTH_VERDICT_FAILING ? FSCK_EXIT_UNCORRECTED : FSCK_EXIT_OK;
    if (!h->complete)
        rc |= FSCK_EXIT_CANCELLED;
    return rc;
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
    if (o.map && !fsck_map_kind_ok(o.map)) {
        tool_error(o.map, "the map must be a .png, .svg or .pdf file");
        return FSCK_EXIT_USAGE;
    }
    if (o.path && !*o.path) {
        tool_error("--path", "the path is empty; give a file or directory of the filesystem");
        return FSCK_EXIT_USAGE;
    }
    o.image = argv[optind];
    /* the map's file is opened before the work, so a bad path fails in a second, not
     * after the whole scan; it is removed again if no map gets drawn */
    FILE *map = NULL;
    if (o.map) {
        map = fopen(o.map, "wb");
        if (!map) {
            tool_error(o.map, "cannot write the map: %s", strerror(errno));
            return FSCK_EXIT_OPERATIONAL;
        }
    }

    volatile sig_atomic_t *cancelled = tool_cancel_on_signals();

    /* the filesystem check first (it may repair); under --scan a medium without a
     * filesystem is only scanned, and the scan speaks for an image it cannot read */
    struct fsck_fs fsr;
    int status = 0;
    o.cancel = cancelled;
    int rc = fsck_fs_check(&o, &fsr);
    if (rc == -ECANCELED) {
        fsck_fs_free(&fsr);
        drop_map(map, o.map);
        return FSCK_EXIT_CANCELLED; /* one line printed; the image is as it was */
    }
    if (rc == -EBUSY) { /* mounted: one line printed; nothing was read or changed */
        fsck_fs_free(&fsr);
        drop_map(map, o.map);
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
            json_document(o.image, &fsr, NULL, o.verbose, status);
        else
            fsck_fs_text(stdout, o.image, &fsr, o.path);
        fsck_fs_free(&fsr);
        return finish_output(status);
    }
    if (have_fs)
        status |= fsck_fs_exit(&fsr);

    struct health_scan_options so = {
        .progress = o.progress,
        .threads = 0,
        .owner = have_fs ? fsck_fs_owner : NULL, /* files of an unreadable LCN */
        .owner_ctx = have_fs ? &fsr : NULL,
        .cancel = cancelled,
    };
    struct health h;
    rc = health_scan(o.image, &so, &h);
    if (rc < 0) {
        fsck_fs_free(&fsr);
        drop_map(map, o.map);
        return FSCK_EXIT_OPERATIONAL;
    }
    status |= fsck_health_exit(&h);
    if (map) {
        rc = fsck_map_write(map, o.map, o.image, &h);
        if (fclose(map) != 0 && rc == 0)
            rc = -EIO;
        if (rc < 0) {
            tool_error(o.map, "cannot write the map: %s", tool_strerror(rc));
            unlink(o.map);
            status |= FSCK_EXIT_OPERATIONAL;
        }
    }
    if (o.json) {
        json_document(o.image, have_fs ? &fsr : NULL, &h, o.verbose, status);
    } else {
        if (have_fs) {
            fsck_fs_text(stdout, o.image, &fsr, o.path);
            fputc('\n', stdout);
        }
        health_text(stdout, o.image, &h, o.verbose);
    }
    fsck_fs_free(&fsr);
    health_free(&h);
    return finish_output(status);
}
