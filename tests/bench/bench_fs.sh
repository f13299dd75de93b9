#!/bin/bash
# bench_fs.sh — phasefs against libfuse's passthrough_ll over tmpfs, measured in the same
# run on the same machine (make bench; never part of make check). Both daemons serve
# from one tmpfs: passthrough_ll passes a tmpfs directory through, phasefs keeps its
# medium image there. Measured: sequential write (1 MiB blocks, ending in fsync) and
# read of PHASEFS_BENCH_MB MiB (default 1024; remounted in between so the page cache
# does not serve the read), 4 KiB random read and write (fio if installed, else a
# python loop), create/stat/unlink of 10,000 files, and each daemon's peak resident
# memory for the 10,000-file tree (GNU time). One line per result:
#   BENCH fs_<what> <value> <unit> ratio=<phasefs/passthrough> vs=passthrough_ll(<value>)
# passthrough_ll is compiled here from Debian's copy of the libfuse example into the
# build directory; it is never part of the repository.
set -u
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
MB=${PHASEFS_BENCH_MB:-1024}
RUNTIME=${PHASEFS_BENCH_SECONDS:-10}
NFILES=10000
PHASEFS="$top_builddir/phasefs"
MKFS="$top_builddir/mkfs.phasefs"
PT="$top_builddir/tests/bench/passthrough_ll"
PT_SRC=/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c
TUNABLES="glibc.malloc.mmap_threshold=8388608:glibc.malloc.trim_threshold=268435456"
GNU_TIME=/usr/bin/time
PY=$(command -v python3)

die() { echo "bench_fs: $*" >&2; exit 1; }
[ -c /dev/fuse ] || { echo "bench_fs: no /dev/fuse; skipped"; exit 0; }
[ -f "$PT_SRC" ] || die "$PT_SRC not found; install libfuse3-dev"
[ -n "$PY" ] || die "python3 is needed; install python3"
mkdir -p "$(dirname "$PT")"
# shellcheck disable=SC2046
cc -O2 -D_FILE_OFFSET_BITS=64 -I"$(dirname "$PT_SRC")" "$PT_SRC" \
    $(pkg-config --cflags --libs fuse3) -o "$PT" || die "cannot build passthrough_ll"

SHM=$(mktemp -d /dev/shm/phasefs-bench.XXXXXX) || die "no tmpfs at /dev/shm"
mkdir -p "$SHM/pt-src" "$SHM/pt" "$SHM/pf"
IMG="$SHM/bench.img"
PID=
cleanup() {
    for m in "$SHM/pt" "$SHM/pf"; do
        grep -q " $m fuse" /proc/mounts && fusermount3 -u -z "$m"
    done
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$SHM"
}
trap cleanup EXIT

# start WHICH [wrapper...]: mount passthrough_ll (pt) or phasefs (pf) in the foreground.
start() {
    local which=$1 mnt="$SHM/$1" i
    shift
    if [ "$which" = pt ]; then
        # (its stderr, libfuse's notices, goes to a log: only BENCH lines are printed)
        env GLIBC_TUNABLES="$TUNABLES" "$@" "$PT" -f -o source="$SHM/pt-src" "$mnt" \
            2>>"$SHM/passthrough_ll.log" &
    else
        "$@" "$PHASEFS" "$IMG" "$mnt" -f &
    fi
    PID=$!
    for i in $(seq 1 400); do
        grep -q " $mnt fuse" /proc/mounts && return 0
        kill -0 "$PID" 2>/dev/null || die "the $which daemon did not start"
        sleep 0.05
    done
    die "the $which daemon did not mount"
}
stop() {
    fusermount3 -u "$SHM/$1" || die "cannot unmount $1"
    wait "$PID"
    PID=
}
now() { date +%s.%N; }
rate() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }
report() { # what value unit reference
    awk -v w="$1" -v v="$2" -v u="$3" -v r="$4" 'BEGIN {
        printf "BENCH fs_%s %s %s ratio=%.3f vs=passthrough_ll(%s)\n", w, v, u, (r > 0 ? v / r : 0), r }'
}

head -c $((MB << 20)) /dev/urandom >"$SHM/source.bin" || die "cannot make the source data"
"$MKFS" -s $(((MB * 2 + 1024) / 1024))G "$IMG" >/dev/null || die "mkfs.phasefs failed"

# ---- sequential write and read, 4 KiB random read and write ---------------------------
random_io() { # FILE rw(randread|randwrite) -> IOPS
    if command -v fio >/dev/null; then
        fio --name=r --filename="$1" --rw="$2" --bs=4k --size=$((MB << 20)) \
            --ioengine=psync --runtime="$RUNTIME" --time_based --end_fsync=1 \
            --randseed=42 --output-format=json 2>/dev/null |
            "$PY" -c 'import json, sys
j = json.load(sys.stdin)["jobs"][0]
print("%.0f" % (j["read"]["iops"] + j["write"]["iops"]))'
    else
        "$PY" - "$1" "$2" "$RUNTIME" <<'PY'
import os, random, sys, time
path, rw, runtime = sys.argv[1], sys.argv[2], float(sys.argv[3])
fd = os.open(path, os.O_RDWR)
size = os.fstat(fd).st_size // 4096
r, buf, n = random.Random(42), os.urandom(4096), 0
t0 = time.monotonic()
while time.monotonic() - t0 < runtime:
    off = r.randrange(size) * 4096
    if rw == "randread":
        os.pread(fd, 4096, off)
    else:
        os.pwrite(fd, buf, off)
    n += 1
os.fsync(fd)
print("%.0f" % (n / (time.monotonic() - t0)))
PY
    fi
}

declare -A R
for which in pt pf; do
    start "$which"
    t0=$(now)
    dd if="$SHM/source.bin" of="$SHM/$which/seq" bs=1M conv=fsync status=none || die "$which: write failed"
    t1=$(now)
    R[$which.seq_write]=$(rate "$t0" "$t1" $((MB << 20)) | awk '{ printf "%.1f", $1 / 1048576 }')
    stop "$which"
    start "$which"
    t0=$(now)
    dd if="$SHM/$which/seq" of=/dev/null bs=1M status=none || die "$which: read failed"
    t1=$(now)
    R[$which.seq_read]=$(rate "$t0" "$t1" $((MB << 20)) | awk '{ printf "%.1f", $1 / 1048576 }')
    cmp -s "$SHM/source.bin" "$SHM/$which/seq" || die "$which: the data read back differs"
    stop "$which"
    start "$which"
    R[$which.rand_read_4k]=$(random_io "$SHM/$which/seq" randread)
    R[$which.rand_write_4k]=$(random_io "$SHM/$which/seq" randwrite)
    rm -f "$SHM/$which/seq"
    stop "$which"
done
rm -f "$SHM/source.bin"

# ---- 10,000 files: create, stat, unlink; peak memory of the daemon ----------------------
FILES_PY='
import os, sys, time
root, n = sys.argv[1], int(sys.argv[2])
os.makedirs(root + "/t", exist_ok=True)
names = ["%s/t/d%02d/f%05d" % (root, i // 1000, i) for i in range(n)]
for d in sorted({os.path.dirname(p) for p in names}):
    os.makedirs(d, exist_ok=True)
t0 = time.monotonic()
for p in names:
    with open(p, "wb") as f:
        f.write(b"x" * 100)
t1 = time.monotonic()
for p in names:
    os.stat(p)
t2 = time.monotonic()
for p in names:
    os.unlink(p)
t3 = time.monotonic()
print("%.1f %.1f %.1f" % (n / (t1 - t0), n / (t2 - t1), n / (t3 - t2)))
'
for which in pt pf; do
    if [ -x "$GNU_TIME" ]; then
        start "$which" "$GNU_TIME" -v -o "$SHM/$which.time"
    else
        start "$which"
    fi
    read -r c s u < <("$PY" -c "$FILES_PY" "$SHM/$which" "$NFILES") || die "$which: files failed"
    R[$which.create]=$c R[$which.stat]=$s R[$which.unlink]=$u
    stop "$which"
    if [ -f "$SHM/$which.time" ]; then
        R[$which.rss]=$(awk -F: '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$SHM/$which.time")
    fi
done

report seq_write "${R[pf.seq_write]}" MiB/s "${R[pt.seq_write]}"
report seq_read "${R[pf.seq_read]}" MiB/s "${R[pt.seq_read]}"
report rand_read_4k "${R[pf.rand_read_4k]}" IOPS "${R[pt.rand_read_4k]}"
report rand_write_4k "${R[pf.rand_write_4k]}" IOPS "${R[pt.rand_write_4k]}"
report create "${R[pf.create]}" files/s "${R[pt.create]}"
report stat "${R[pf.stat]}" files/s "${R[pt.stat]}"
report unlink "${R[pf.unlink]}" files/s "${R[pt.unlink]}"
if [ -n "${R[pf.rss]:-}" ]; then
    report peak_rss_10k_files "${R[pf.rss]}" MiB "${R[pt.rss]}"
else
    echo "bench_fs: GNU time (/usr/bin/time, Debian package time) not installed; no memory figure"
fi
