#!/bin/bash
# fs_fixity.sh — the fixity digest's cost on a real phasefs mount and in fsck.phasefs
# (issue 13): a 20 GiB sparse file made by another user (uid 65534) leaves `ls` of the
# mount as fast as ever while its digest is computed, getfattr waits a bounded time
# for it (EAGAIN after), the digest of a file with holes equals b2sum's, and
# fsck.phasefs -f hashes holes within its documented budget (a "sparse" note beyond)
# and stops on SIGINT with exit status 32 and the image unchanged.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/fs_lib.sh"

FSCK="$top_builddir/fsck.phasefs"
IMG="$TEST_TMP/fixity.img"
MNT="$TEST_TMP/mnt"
chmod 755 "$TEST_TMP" # another user must reach the mount point
AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

now_ms() { date +%s%3N; }

# digest_when_ready FILE: the digest, asking again while it is being computed (60 s).
digest_when_ready() {
    local i v
    for i in $(seq 1 30); do
        v=$(getfattr --absolute-names --only-values -n user.phasefs.blake2b "$1" 2>/dev/null) &&
            { echo "$v"; return 0; }
    done
    return 1
}

expect_exit 0 "mkfs.phasefs a 256M-per-layer medium" -- "$MKFS" -s 256M -L fixity "$IMG"
fs_mount_or_stop "$IMG" "$MNT" -o allow_other
mkdir -m 1777 "$MNT/tmp"
chmod 1777 "$MNT/tmp"
for i in $(seq 1 50); do : >"$MNT/file-$i"; done

# ---- a 20 GiB sparse file costs other users nothing ----------------------------------
if command -v setpriv >/dev/null; then
    expect_errno OK "another user makes a 20 GiB sparse file" \
        "open('$MNT/tmp/sparse', 'w').write('x'); os.truncate('$MNT/tmp/sparse', 20 << 30)" \
        $AS_NOBODY
    t0=$(now_ms)
    $AS_NOBODY getfattr --absolute-names -n user.phasefs.blake2b "$MNT/tmp/sparse" \
        >"$TEST_TMP/getfattr.out" 2>&1 &
    gpid=$!
    worst=0
    for i in 1 2 3 4; do
        a=$(now_ms)
        ls -l "$MNT" >/dev/null
        b=$(now_ms)
        [ $((b - a)) -gt "$worst" ] && worst=$((b - a))
        sleep 0.3
    done
    wait "$gpid"
    grc=$?
    t1=$(now_ms)
    echo "# ls -l of the mount while the 20 GiB digest is computed: worst $worst ms; getfattr: $((t1 - t0)) ms, exit $grc ($(uptime))"
    tap_result $([ "$worst" -lt 2000 ]; echo $?) "ls -l of the mount stays fast meanwhile (worst $worst ms)"
    tap_result $([ "$grc" -ne 0 ] && [ $((t1 - t0)) -lt 10000 ]; echo $?) \
        "getfattr of the 20 GiB digest gives up after a bounded wait ($((t1 - t0)) ms)"
    expect_grep "$TEST_TMP/getfattr.out" "Resource temporarily unavailable" "... with EAGAIN (phasefs(8))"
    rm -f "$MNT/tmp/sparse"
else
    tap_skip "a sparse file of another user" "setpriv not installed"
fi

# ---- the digest of a file with holes is b2sum's -------------------------------------
head -c 100000 /dev/urandom >"$TEST_TMP/chunk"
dd if="$TEST_TMP/chunk" of="$MNT/holey" bs=100000 oflag=seek_bytes seek=$((8 << 20)) status=none
dd if="$TEST_TMP/chunk" of="$MNT/holey" bs=100000 seek=1 conv=notrunc status=none
want=$(b2sum -l 256 "$MNT/holey" | cut -d' ' -f1)
expect_eq "$(digest_when_ready "$MNT/holey")" "$want" "a file written out of order around a hole: its digest is b2sum's"

# ---- fsck -f: holes within the budget, a note beyond, SIGINT -------------------------
head -c $((32 << 20)) /dev/urandom >"$MNT/data"
printf 'h' >"$MNT/holes600"
truncate -s 600M "$MNT/holes600"
printf 's' >"$MNT/sparse800"
truncate -s 800M "$MNT/sparse800"
expect_eq "$(digest_when_ready "$MNT/holes600")" "$(b2sum -l 256 "$MNT/holes600" | cut -d' ' -f1)" \
    "the digest of 600 MiB of holes"
digest_when_ready "$MNT/sparse800" >/dev/null
tap_result $? "the digest of 800 MiB of holes (asked until it is there)"
fs_umount "$MNT"
tap_result $? "unmount; the daemon exits 0"
fs_wait_image "$IMG"

t0=$(now_ms)
"$FSCK" -n -f "$IMG" >"$OUT" 2>&1
rc=$?
t1=$(now_ms)
echo "# fsck -n -f with 600 + 800 MiB of holes: $((t1 - t0)) ms ($(uptime))"
sed 's/^/#   /' "$OUT"
tap_result $([ $rc -eq 0 ]; echo $?) "fsck -n -f is clean (exit $rc)"
expect_grep "$OUT" "note .*1 file not compared with its digest: sparse" \
    "the file beyond the hole budget is a note, not a problem"
expect_grep "$OUT" "fixity +[0-9]+ files read" "the others were compared"

sum_before=$(b2sum "$IMG" | cut -d' ' -f1)
"$FSCK" -n -f "$IMG" >"$OUT" 2>&1 &
fpid=$!
sleep 0.25 # well inside the ~0.7 s the check takes here, after its handlers are set
t0=$(now_ms)
kill -INT "$fpid"
wait "$fpid"
rc=$?
t1=$(now_ms)
echo "# fsck stopped $((t1 - t0)) ms after SIGINT, exit $rc"
sed 's/^/#   /' "$OUT"
tap_result $([ $rc -eq 32 ]; echo $?) "SIGINT during fsck -n -f: exit status 32 (got $rc)"
tap_result $([ $((t1 - t0)) -lt 1500 ]; echo $?) "... within $((t1 - t0)) ms"
expect_grep "$OUT" "cancelled.*nothing was changed" "... saying so in one line"
expect_eq "$(b2sum "$IMG" | cut -d' ' -f1)" "$sum_before" "... and the image is unchanged"
tap_done
