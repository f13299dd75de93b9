#!/bin/bash
# fs_lock.sh — the image lock that libmedium takes in medium_open (medium.h "The image
# lock"), on a real mount: every tool that modifies an image (mkfs.phasefs -f, phasectl
# create -f, age, inject, fsck.phasefs -y / -p, a second daemon) refuses a mounted one
# with one line and its documented exit code, the image stays byte for byte as it was,
# and after unmount fsck is clean and the files read back. Read-only tools (phasectl
# info and stats, fsck -n, fsck -n -f, --scan) refuse a read-write mount with a line
# naming -o ro, and work beside a read-only mount, which tools that modify still
# refuse. A plain process holding the lock (flock(1)) is refused the same way, and one
# that lets go within the wait lets the tool go on.
#
# Each refusal waits MEDIUM_LOCK_WAIT_MS (5 s) for the holder, so the refusals of one
# state run side by side and are checked when all are done.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/fs_lib.sh"

FSCK="$top_builddir/fsck.phasefs"
IMG="$TEST_TMP/lock.img"
MNT="$TEST_TMP/mnt"
MNT2="$TEST_TMP/mnt2"
mkdir -p "$MNT" "$MNT2"
FS_MOUNTS="$MNT $MNT2"
RUN="$TEST_TMP/run"
mkdir -p "$RUN"

# in_parallel NAME -- COMMAND...: start COMMAND in the background, its exit status in
# $RUN/NAME.rc and its stderr in $RUN/NAME.err. collect waits for all of them.
BG=""
in_parallel() {
    local name=$1
    shift 2
    ( "$@" >"$RUN/$name.out" 2>"$RUN/$name.err"; echo $? >"$RUN/$name.rc" ) &
    BG="$BG $!"
}
collect() {
    local p
    for p in $BG; do
        wait "$p"
    done
    BG=""
}

# refused_ok NAME CODE DESCRIPTION [PATTERN]: NAME exited CODE with one line (matching
# PATTERN) on stderr.
refused_ok() {
    local name=$1 code=$2 desc=$3 pat=${4:-in use by another process}
    expect_eq "$(cat "$RUN/$name.rc")" "$code" "$desc (exit $code)"
    expect_one_line "$RUN/$name.err" "... with one line"
    expect_grep "$RUN/$name.err" "$pat" "... saying: $pat"
}

# held_by_other: wait (up to 10 s) until a holder started in the background has the
# lock: an exclusive one refuses flock -n -s, a shared one flock -n -x.
held_by_other() { # -s | -x: the mode that must now fail
    local i
    for i in $(seq 1 200); do
        flock -n "$1" "$IMG" true || return 0
        sleep 0.05
    done
    return 1
}

image_sum() {
    sha256sum "$IMG" | cut -d' ' -f1
}

expect_exit 0 "mkfs.phasefs" -- "$MKFS" -s 16M "$IMG"

# ---- a read-write mount ------------------------------------------------------------------
# No timed commit during the test: after an fsync the daemon writes nothing until asked.
fs_mount "$IMG" "$MNT" -o commit_ms=3600000
tap_result $? "mount read-write"
head -c 300000 /dev/urandom >"$TEST_TMP/payload"
cp "$TEST_TMP/payload" "$MNT/payload"
echo "small file" >"$MNT/small"
mkdir "$MNT/dir"
echo "in a directory" >"$MNT/dir/nested"
"$PYTHON" -c 'import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_RDONLY); os.fsync(fd); os.close(fd)' \
    "$MNT/payload" "$MNT/small" "$MNT/dir/nested" "$MNT/dir"
sleep 0.5
sum_before=$(image_sum)

in_parallel mkfs -- "$MKFS" -f -s 16M "$IMG"
in_parallel create -- "$PHASECTL" create -f -s 16M "$IMG"
in_parallel age -- "$PHASECTL" age "$IMG" --years 30 --celsius 80
in_parallel scratch -- "$PHASECTL" inject "$IMG" scratch --radius 30:40 --angle 0:10 --width 100
in_parallel dust -- "$PHASECTL" inject "$IMG" dust --radius 30 --angle 5 --diameter 100
in_parallel defects -- "$PHASECTL" inject "$IMG" defects --count 50 --length 1000
in_parallel fsck_y -- "$FSCK" -y "$IMG"
in_parallel fsck_p -- "$FSCK" -p "$IMG"
in_parallel fsck_n -- "$FSCK" -n "$IMG"
in_parallel fsck_nf -- "$FSCK" -n -f "$IMG"
in_parallel scan -- "$FSCK" --scan "$IMG"
in_parallel info -- "$PHASECTL" info "$IMG"
in_parallel stats -- "$PHASECTL" stats "$IMG"
in_parallel daemon -- timeout -k 5 30 "$PHASEFS" "$IMG" "$MNT2" -f
in_parallel daemon_ro -- timeout -k 5 30 "$PHASEFS" "$IMG" "$MNT2" -f -o ro
collect

refused_ok mkfs 3 "mkfs.phasefs -f on a mounted image is refused"
refused_ok create 3 "phasectl create -f on a mounted image is refused"
refused_ok age 3 "phasectl age on a mounted image is refused"
refused_ok scratch 3 "phasectl inject scratch on a mounted image is refused"
refused_ok dust 3 "phasectl inject dust on a mounted image is refused"
refused_ok defects 3 "phasectl inject defects on a mounted image is refused"
refused_ok fsck_y 8 "fsck.phasefs -y on a mounted image is refused"
refused_ok fsck_p 8 "fsck.phasefs -p on a mounted image is refused"
refused_ok daemon 3 "a second read-write daemon is refused"
refused_ok fsck_n 8 "fsck.phasefs -n on a read-write mount is refused" "-o ro"
refused_ok fsck_nf 8 "fsck.phasefs -n -f on a read-write mount is refused, never called clean" "-o ro"
refused_ok scan 8 "fsck.phasefs --scan on a read-write mount is refused" "-o ro"
refused_ok info 3 "phasectl info on a read-write mount is refused" "-o ro"
refused_ok stats 3 "phasectl stats on a read-write mount is refused" "-o ro"
refused_ok daemon_ro 3 "a read-only daemon beside a read-write one is refused" "-o ro"
for n in fsck_n fsck_nf scan info stats; do
    [ -s "$RUN/$n.out" ] && { echo "# $n printed a report:" >&2; sed 's/^/#   /' "$RUN/$n.out" >&2; }
done
tap_result $(cat "$RUN"/fsck_n.out "$RUN"/fsck_nf.out "$RUN"/scan.out "$RUN"/info.out \
    "$RUN"/stats.out | grep -q .; [ $? -ne 0 ]; echo $?) \
    "no read-only tool printed a report of the mounted image"
expect_eq "$(image_sum)" "$sum_before" "the image is byte for byte what it was"
tap_result $(fs_is_mounted "$MNT2"; [ $? -ne 0 ]; echo $?) "nothing is mounted on the second mount point"
cmp -s "$TEST_TMP/payload" "$MNT/payload"
tap_result $? "the mounted filesystem still reads the file back"

fs_umount "$MNT"
tap_result $? "unmount (exit 0)"
expect_exit 0 "fsck.phasefs -n -f after unmount: clean" -- "$FSCK" -n -f "$IMG"
fs_mount "$IMG" "$MNT"
cmp -s "$TEST_TMP/payload" "$MNT/payload"
tap_result $? "after remount the file reads back"
expect_eq "$(cat "$MNT/small")/$(cat "$MNT/dir/nested")" "small file/in a directory" \
    "... and so do the small files"
fs_umount "$MNT"

# ---- a read-only mount -------------------------------------------------------------------
fs_mount "$IMG" "$MNT" -o ro
tap_result $? "mount -o ro"
sum_before=$(image_sum)
in_parallel age -- "$PHASECTL" age "$IMG" --years 1
in_parallel defects -- "$PHASECTL" inject "$IMG" defects --count 5
in_parallel create -- "$PHASECTL" create -f -s 16M "$IMG"
in_parallel mkfs -- "$MKFS" -f -s 16M "$IMG"
in_parallel fsck_y -- "$FSCK" -y "$IMG"
in_parallel daemon -- timeout -k 5 30 "$PHASEFS" "$IMG" "$MNT2" -f
in_parallel info -- "$PHASECTL" info "$IMG"
in_parallel stats -- "$PHASECTL" stats "$IMG"
in_parallel fsck_nf -- "$FSCK" -n -f "$IMG"
collect
refused_ok age 3 "phasectl age beside a read-only mount is refused"
refused_ok defects 3 "phasectl inject beside a read-only mount is refused"
refused_ok create 3 "phasectl create -f beside a read-only mount is refused"
refused_ok mkfs 3 "mkfs.phasefs -f beside a read-only mount is refused"
# -y checks under the shared lock first and needs the image to itself only to repair:
# a clean filesystem is left alone, the read-only mount beside it untouched.
expect_eq "$(cat "$RUN/fsck_y.rc")" 0 "fsck.phasefs -y beside a read-only mount, nothing to repair: clean"
refused_ok daemon 3 "a read-write daemon beside a read-only one is refused"
expect_eq "$(cat "$RUN/info.rc")" 0 "phasectl info works beside a read-only mount"
expect_grep "$RUN/info.out" "L0 \(far\)" "... and shows the layers"
expect_eq "$(cat "$RUN/stats.rc")" 0 "phasectl stats works beside a read-only mount"
expect_eq "$(cat "$RUN/fsck_nf.rc")" 0 "fsck.phasefs -n -f beside a read-only mount: clean"
expect_eq "$(image_sum)" "$sum_before" "the image is byte for byte what it was"
expect_eq "$(cat "$MNT/small")" "small file" "the read-only mount still reads"
fs_umount "$MNT"
tap_result $? "unmount the read-only mount"

# ---- another process holding the lock: flock(1) ------------------------------------------
# Let go after 1 s: within the wait, so each tool waits and then goes on.
flock -x "$IMG" sleep 1 &
holder=$!
held_by_other -s
expect_exit 0 "phasectl age waits for a lock let go within the wait, then ages" -- \
    "$PHASECTL" age "$IMG" --days 1
expect_grep "$OUT" "aged" "... and says so"
wait "$holder"
flock -s "$IMG" sleep 1 &
holder=$!
held_by_other -x
expect_exit 0 "phasectl info shares a shared lock at once" -- "$PHASECTL" info "$IMG"
expect_exit 0 "phasectl age waits for a shared lock let go within the wait, then ages" -- \
    "$PHASECTL" age "$IMG" --days 1
wait "$holder"
# Held until told (a line on a FIFO), past the tools' wait however loaded the machine.
FIFO="$TEST_TMP/release"
mkfifo "$FIFO"
flock -x "$IMG" bash -c 'read -r _ <"$0"' "$FIFO" &
holder=$!
held_by_other -s
tap_result $? "flock(1) holds the image"
sum_before=$(image_sum)
in_parallel age -- "$PHASECTL" age "$IMG" --days 1
in_parallel mkfs -- "$MKFS" -f -s 16M "$IMG"
in_parallel fsck_n -- "$FSCK" -n "$IMG"
collect
refused_ok age 3 "phasectl age: a lock held by another process past the wait is refused"
refused_ok mkfs 3 "mkfs.phasefs -f: the same"
refused_ok fsck_n 8 "fsck.phasefs -n: the same"
expect_eq "$(image_sum)" "$sum_before" "the image is byte for byte what it was"
echo release >"$FIFO"
wait "$holder"
fs_mount "$IMG" "$MNT"
cmp -s "$TEST_TMP/payload" "$MNT/payload"
tap_result $? "the filesystem mounts and reads back after all of it"
fs_umount "$MNT"
expect_exit 0 "fsck.phasefs -n -f at the end: clean" -- "$FSCK" -n -f "$IMG"

tap_done
