#!/bin/bash
# fuzz.sh — fsck.phasefs --scan on randomly corrupted images never crashes (STYLE.md
# "Errors": a corrupt image must never crash fsck). A small image is built once from a
# recipe; each iteration flips random bytes in one region of a copy — the header, the
# cluster table and fault records, the defect management areas, or the recorded data —
# and scans it. Any exit status of the documented bitmask (0, 4, 8 with one error line)
# passes; a signal (status >= 128, e.g. a sanitizer abort or SIGSEGV) fails. Bounded:
# FUZZ_ITERATIONS (200) iterations, seeded by FUZZ_SEED so a failure replays. TAP output.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
FSCK="$top_builddir/fsck.phasefs"
MKIMAGE="$top_builddir/tests/fsck/mkimage"
ITER=${FUZZ_ITERATIONS:-200}
RANDOM=${FUZZ_SEED:-4242}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/phasefs-fuzz.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cat >"$TMP/recipe" <<'R'
seed 5
size 1M
write-all-clusters
R
if ! "$MKIMAGE" "$TMP/recipe" "$TMP/base.img" 2>"$TMP/mk.err"; then
    sed 's/^/# /' "$TMP/mk.err"
    echo "not ok 1 - build the base image"
    echo "1..1"
    exit 1
fi
size=$(stat -c %s "$TMP/base.img")
cl=76880
data_start=$((size - 2 * 16 * cl)) # 1M per layer: 16 clusters each, recorded last
[ "$data_start" -gt 0 ] || data_start=$((size / 2))
n=0
bad=0
crashes=0
declare -A seen
for ((i = 1; i <= ITER; i++)); do
    cp "$TMP/base.img" "$TMP/t.img"
    case $((RANDOM % 4)) in
    0) lo=0; hi=512 ;;                                  # header
    1) lo=512; hi=$data_start ;;                        # tables and fault records
    2) lo=$data_start; hi=$((data_start + cl)) ;;       # first far cluster: a DMA copy
    3) lo=$data_start; hi=$size ;;                      # recorded data anywhere
    esac
    [ "$hi" -gt "$lo" ] || hi=$((lo + 1))
    flips=$((1 + RANDOM % 16))
    args=()
    for ((k = 0; k < flips; k++)); do
        off=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
        args+=("$off")
    done
    python_free_flip() { # OFFSET...: write one random byte at each offset
        for off in "$@"; do
            printf "\\x$(printf %02x $((RANDOM % 256)))" |
                dd of="$TMP/t.img" bs=1 seek="$off" conv=notrunc status=none
        done
    }
    python_free_flip "${args[@]}"
    NO_PROGRESS=1 "$FSCK" --scan "$TMP/t.img" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    seen[$rc]=1
    if [ $rc -ge 128 ] || { [ $rc -ne 0 ] && [ $rc -ne 4 ] && [ $rc -ne 8 ]; }; then
        echo "# iteration $i (FUZZ_SEED=${FUZZ_SEED:-4242}): exit $rc; offsets ${args[*]}"
        sed 's/^/#   /' "$TMP/err" | tail -n 20
        crashes=$((crashes + 1))
        cp "$TMP/t.img" "$TMP/../phasefs-fuzz-crash-$i.img" 2>/dev/null
    elif [ $rc -eq 8 ] && [ "$(grep -vc '^scanning clusters: ' "$TMP/err")" -ne 1 ]; then
        echo "# iteration $i: exit 8 without exactly one error line:"
        sed 's/^/#   /' "$TMP/err"
        bad=$((bad + 1))
    fi
done
n=$((n + 1))
[ $crashes -eq 0 ] && echo "ok $n - $ITER corrupted images scanned without a crash (exit codes seen: ${!seen[*]})" ||
    echo "not ok $n - $crashes of $ITER corrupted images crashed fsck.phasefs"
n=$((n + 1))
[ $bad -eq 0 ] && echo "ok $n - every operational error is one line" ||
    echo "not ok $n - $bad operational errors were not one line"
echo "1..$n"
[ $crashes -eq 0 ] && [ $bad -eq 0 ]
