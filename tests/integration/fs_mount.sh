#!/bin/bash
# fs_mount.sh — how phasefs is mounted and unmounted: `mount -t fuse.phasefs` (mount.fuse3
# runs the phasefs binary from PATH), an fstab line with -o options of FUSE and of
# phasefs, the daemonized mode, ro (EROFS, and the image is left untouched), refusals
# with one line and the documented exit code (corrupt image, foreign file, a medium
# without a filesystem, a missing image or mount point, bad options, an image in use),
# SIGTERM flushing everything, and uncorrectable clusters giving EIO on the damaged
# file while the filesystem stays mounted, logged with the file's path.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/fs_lib.sh"

PHASECTL="$top_builddir/phasectl"
IMG="$TEST_TMP/mount.img"
MNT="$TEST_TMP/mnt"
mkdir -p "$MNT"
FS_MOUNTS="$MNT"
export PATH="$top_builddir:$PATH"

expect_exit 0 "mkfs.phasefs" -- "$MKFS" -s 64M -L mounttest "$IMG"
expect_grep "$OUT" "formatted" "mkfs prints a summary"
expect_exit 3 "mkfs.phasefs refuses to replace an existing file" -- "$MKFS" -s 64M "$IMG"
expect_one_line "$ERR" "... with one line"
expect_grep "$ERR" "--force" "... that names --force"
expect_exit 2 "mkfs.phasefs: a bad size is a usage error" -- "$MKFS" -s 12345 "$TEST_TMP/x.img"
expect_exit 2 "mkfs.phasefs: a label of 64 bytes is too long" -- \
    "$MKFS" -L "$(printf 'L%.0s' $(seq 1 64))" "$TEST_TMP/x.img"
expect_exit 2 "mkfs.phasefs: an unknown preset is a usage error" -- "$MKFS" -p nosuch "$TEST_TMP/x.img"
expect_exit 1 "mkfs.phasefs: a medium too small for a filesystem fails" -- "$MKFS" -s 1M "$TEST_TMP/tiny.img"
tap_result $([ ! -e "$TEST_TMP/tiny.img" ]; echo $?) "... and removes the half-made image"
expect_exit 0 "mkfs.phasefs --help" -- "$MKFS" --help
expect_exit 0 "phasefs --help" -- "$PHASEFS" --help
expect_grep "$OUT" "placement=auto" "phasefs --help lists its own -o options"
expect_exit 0 "phasefs --version" -- "$PHASEFS" --version

# ---- mount -t fuse.phasefs ------------------------------------------------------------
# mount(8) runs /sbin/mount.fuse3, which runs `phasefs IMAGE MNT -o OPTS` through
# /bin/sh. mount(8) passes no PATH on, so sh looks in its default path: a symlink in
# /usr/local/sbin (first there) to the phasefs under test stands for `make install`,
# and is removed at exit. mount.fuse3 is also run directly with the build dir on PATH.
expect_exit 0 "mount.fuse3 IMAGE MNT -t phasefs (the build dir on PATH)" -- \
    env PATH="$top_builddir:$PATH" mount.fuse3 "$IMG" "$MNT" -t phasefs -o allow_other
grep " $MNT " /proc/mounts >"$OUT"
expect_grep "$OUT" "^$IMG $MNT fuse\.phasefs " "/proc/mounts shows the image as source, type fuse.phasefs"
printf 'via mount -t\n' >"$MNT/hello"
expect_eq "$(cat "$MNT/hello")" "via mount -t" "the mount is usable at once"
expect_exit 0 "umount" -- umount "$MNT"
fs_wait_image "$IMG"
tap_result $(fs_is_mounted "$MNT"; [ $? -ne 0 ]; echo $?) "nothing is left mounted"

LINK=/usr/local/sbin/phasefs
have_link=0
if [ ! -e "$LINK" ] && [ ! -L "$LINK" ] && mkdir -p /usr/local/sbin 2>/dev/null &&
    ln -s "$PHASEFS" "$LINK" 2>/dev/null; then
    have_link=1
    trap 'rm -f "$LINK"; fs_cleanup' EXIT
elif [ "$(readlink "$LINK" 2>/dev/null)" = "$PHASEFS" ]; then
    have_link=1
fi
if [ "$have_link" = 1 ]; then
    expect_exit 0 "mount -t fuse.phasefs IMAGE MNT" -- mount -t fuse.phasefs "$IMG" "$MNT"
    grep " $MNT " /proc/mounts >"$OUT"
    expect_grep "$OUT" "^$IMG $MNT fuse\.phasefs " "... is a fuse.phasefs mount of the image"
    expect_eq "$(cat "$MNT/hello")" "via mount -t" "... showing the data"
    expect_exit 0 "umount" -- umount "$MNT"
    fs_wait_image "$IMG"

    FSTAB="$TEST_TMP/fstab"
    echo "$IMG $MNT fuse.phasefs defaults,allow_other,default_permissions,placement=far,verify=off,retries=2,commit_ms=500,cache_clusters=16 0 0" >"$FSTAB"
    expect_exit 0 "mount from an fstab line with FUSE and phasefs options (mount -T FSTAB MNT)" -- \
        mount -T "$FSTAB" "$MNT"
    grep " $MNT " /proc/mounts >"$OUT"
    expect_grep "$OUT" "default_permissions" "default_permissions reached the kernel"
    expect_grep "$OUT" "allow_other" "allow_other reached the kernel"
    printf 'fstab\n' >"$MNT/second"
    expect_eq "$(cat "$MNT/second")" "fstab" "the fstab mount is usable"
    expect_exit 0 "umount" -- umount "$MNT"
    fs_wait_image "$IMG"
    expect_exit 3 "mount -t fuse.phasefs passes a refusal's exit code on (a foreign file)" -- \
        mount -t fuse.phasefs "$FSTAB" "$MNT"
    expect_one_line "$ERR" "... with one line"
else
    tap_skip "mount -t fuse.phasefs and an fstab line" "$LINK exists and is not ours"
fi
# The same options straight on the command line, for when the link could not be made.
expect_exit 0 "phasefs with FUSE and phasefs -o options" -- "$PHASEFS" "$IMG" "$MNT" \
    -o allow_other,default_permissions,placement=far,verify=off,retries=2,commit_ms=500,cache_clusters=16
printf 'fstab\n' >"$MNT/second"
expect_exit 0 "umount" -- umount "$MNT"
fs_wait_image "$IMG"

# ---- daemonized by hand, then an image in use -----------------------------------------
expect_exit 0 "phasefs IMAGE MNT (daemonizes once mounted)" -- "$PHASEFS" "$IMG" "$MNT"
expect_eq "$(cat "$MNT/second")" "fstab" "usable as soon as phasefs returns"
MNT2="$TEST_TMP/mnt2"
mkdir -p "$MNT2"
FS_MOUNTS="$FS_MOUNTS $MNT2"
expect_exit 8 "fsck.phasefs -y on a mounted image is refused (exit 8)" -- "$top_builddir/fsck.phasefs" -y "$IMG"
expect_one_line "$ERR" "... with one line"
expect_grep "$ERR" "in use by another process \(mounted\?\); unmount it first" "... saying it is mounted"
expect_exit 3 "mkfs.phasefs --force on a mounted image is refused" -- "$MKFS" -f -s 16M "$IMG"
expect_grep "$ERR" "in use by another process" "... saying another process has it"
expect_eq "$(cat "$MNT/second")" "fstab" "... and the mounted filesystem is untouched"
expect_exit 3 "a second daemon on the same image is refused" -- "$PHASEFS" "$IMG" "$MNT2" -f
expect_one_line "$ERR" "... with one line"
expect_grep "$ERR" "in use" "... that says it is in use"
expect_exit 0 "fusermount3 -u" -- fusermount3 -u "$MNT"
# fusermount3 returns before the old daemon has flushed and let go of the image: a mount
# straight after it waits for the lock instead of calling the image in use.
expect_exit 0 "fsck.phasefs right after fusermount3 -u waits for the daemon: clean" -- \
    "$top_builddir/fsck.phasefs" -n -f "$IMG"
expect_exit 0 "mounting again right after fusermount3 -u waits for the old daemon" -- \
    "$PHASEFS" "$IMG" "$MNT"
expect_eq "$(cat "$MNT/second")" "fstab" "... and sees the data"
expect_exit 0 "fusermount3 -u" -- fusermount3 -u "$MNT"
fs_wait_image "$IMG"

# ---- read-only ------------------------------------------------------------------------
sum_before=$(sha256sum "$IMG" | cut -d' ' -f1)
fs_mount "$IMG" "$MNT" -o ro
tap_result $? "mount -o ro"
expect_eq "$(cat "$MNT/hello")" "via mount -t" "reads work read-only"
expect_errno EROFS "creating a file is EROFS" "open('$MNT/new', 'w')"
expect_errno EROFS "writing a file is EROFS" "open('$MNT/hello', 'a')"
expect_errno EROFS "mkdir is EROFS" "os.mkdir('$MNT/dir')"
expect_errno EROFS "unlink is EROFS" "os.unlink('$MNT/hello')"
expect_errno EROFS "chmod is EROFS" "os.chmod('$MNT/hello', 0o600)"
expect_errno EROFS "setxattr is EROFS" "os.setxattr('$MNT/hello', 'user.x', b'1')"
fs_umount "$MNT"
tap_result $? "unmount the read-only mount"
expect_eq "$(sha256sum "$IMG" | cut -d' ' -f1)" "$sum_before" "a read-only mount leaves the image byte for byte"

# ---- refusals: one line, documented exit code, nothing mounted -------------------------
refused() { # CODE DESCRIPTION IMAGE [options]
    local code=$1 desc=$2
    shift 2
    # A mount that wrongly succeeds in the foreground is ended after 20 s.
    expect_exit "$code" "$desc (exit $code)" -- timeout -k 5 20 "$PHASEFS" "$@"
    expect_one_line "$ERR" "... with one line"
    tap_result $(fs_is_mounted "$MNT"; [ $? -ne 0 ]; echo $?) "... and nothing is mounted"
}
cp "$IMG" "$TEST_TMP/corrupt.img"
printf 'garbage-garbage-garbage' | dd of="$TEST_TMP/corrupt.img" bs=1 seek=0 conv=notrunc status=none
printf 'garbage-garbage-garbage' | dd of="$TEST_TMP/corrupt.img" bs=1 seek=4096 conv=notrunc status=none
refused 3 "a corrupt image is refused" "$TEST_TMP/corrupt.img" "$MNT" -f
refused 3 "... also when daemonizing" "$TEST_TMP/corrupt.img" "$MNT"
head -c 1048576 /dev/urandom >"$TEST_TMP/foreign.img"
refused 3 "a foreign file (random bytes) is refused" "$TEST_TMP/foreign.img" "$MNT" -f
printf 'hello, I am a text file\n' >"$TEST_TMP/text.img"
refused 3 "a foreign file (text) is refused" "$TEST_TMP/text.img" "$MNT" -f
refused 3 "a missing image is refused" "$TEST_TMP/none.img" "$MNT" -f
expect_grep "$ERR" "mkfs.phasefs" "... and the line says how to make one"
"$PHASECTL" create -s 16M "$TEST_TMP/bare.img" >/dev/null
refused 4 "a medium without a filesystem is refused" "$TEST_TMP/bare.img" "$MNT" -f
expect_grep "$ERR" "mkfs.phasefs" "... and the line says how to format it"
refused 5 "a missing mount point is refused" "$IMG" "$TEST_TMP/no-such-dir" -f
refused 2 "a bad placement is a usage error" "$IMG" "$MNT" -f -o placement=sideways
refused 2 "a bad verify value is a usage error" "$IMG" "$MNT" -f -o verify=maybe
refused 2 "retries=1000 is a usage error" "$IMG" "$MNT" -f -o retries=1000
# every bound of phasefs(8) is the one enforced: one past it is refused, never clamped or
# wrapped; the bound itself mounts (below)
refused 2 "retries=101 is a usage error" "$IMG" "$MNT" -f -o retries=101
refused 2 "retries=-1 is a usage error (not taken as 4294967295)" "$IMG" "$MNT" -f -o retries=-1
refused 2 "commit_ms=3600001 is a usage error" "$IMG" "$MNT" -f -o commit_ms=3600001
refused 2 "commit_ms=4294967296 is a usage error (not wrapped to 0)" "$IMG" "$MNT" -f \
    -o commit_ms=4294967296
refused 2 "cache_clusters=4097 is a usage error" "$IMG" "$MNT" -f -o cache_clusters=4097
expect_grep "$ERR" "1 to 4096" "... and the line gives the range"
refused 2 "cache_clusters=16384 is a usage error (libpfs's cache holds 4096)" "$IMG" "$MNT" -f \
    -o cache_clusters=16384
refused 2 "cache_clusters=0x10 is a usage error (decimal only)" "$IMG" "$MNT" -f \
    -o cache_clusters=0x10
refused 2 "commit_ms= (empty) is a usage error" "$IMG" "$MNT" -f -o commit_ms=
refused 2 "an unknown -o option is a usage error" "$IMG" "$MNT" -f -o no_such_option
refused 2 "no mount point is a usage error" "$IMG"

fs_mount "$IMG" "$MNT" -o retries=100,commit_ms=3600000,cache_clusters=4096
tap_result $? "retries=100, commit_ms=3600000 and cache_clusters=4096, the bounds, mount"
expect_eq "$(cat "$MNT/hello")" "via mount -t" "... and the mount reads"
fs_umount "$MNT"
fs_mount "$IMG" "$MNT" -o retries=0,commit_ms=0,cache_clusters=0
tap_result $? "retries=0, commit_ms=0 and cache_clusters=0 (the defaults) mount"
fs_umount "$MNT"

# ---- SIGTERM flushes everything --------------------------------------------------------
fs_mount "$IMG" "$MNT" -o commit_ms=3600000
head -c 20000000 /dev/urandom >"$TEST_TMP/payload"
cp "$TEST_TMP/payload" "$MNT/payload"
mkdir "$MNT/sigdir"
for i in $(seq 1 50); do echo "$i" >"$MNT/sigdir/$i"; done
kill -TERM "$FS_PID"
wait "$FS_PID"
tap_result $? "SIGTERM: the daemon exits 0"
tap_result $(fs_is_mounted "$MNT"; [ $? -ne 0 ]; echo $?) "... and the mount is gone"
fs_mount "$IMG" "$MNT"
cmp -s "$TEST_TMP/payload" "$MNT/payload"
tap_result $? "after SIGTERM and remount, unsynced data written before is there"
expect_eq "$(cat "$MNT"/sigdir/* | sort -n | tail -1)/$(ls "$MNT/sigdir" | wc -l)" "50/50" \
    "... and so are 50 unsynced small files"
fs_umount "$MNT"

# ---- uncorrectable clusters: EIO on the file, logged with its path, still mounted ------
# A small medium nearly filled by one file, then a wide burst of defects recorded on the
# far layer (where placement=far put the data): some of its clusters cannot be read.
DMG="$TEST_TMP/damage.img"
"$MKFS" -s 16M --seed 11 "$DMG" >/dev/null
fs_mount "$DMG" "$MNT" -o placement=far
head -c 12000000 /dev/urandom >"$MNT/victim"
fs_umount "$MNT"
"$PHASECTL" inject "$DMG" defects --count 400 --length 20000 --layers far >/dev/null
: >"$DAEMON_LOG"
fs_mount "$DMG" "$MNT" -o retries=1
tap_result $? "the damaged medium still mounts"
python3 - "$MNT/victim" >"$OUT" 2>&1 <<'PY'
import errno, os, sys
fd, good, eio = os.open(sys.argv[1], os.O_RDONLY), 0, 0
for off in range(0, os.fstat(fd).st_size, 65536):
    try:
        os.pread(fd, 65536, off)
        good += 1
    except OSError as e:
        if e.errno != errno.EIO:
            raise
        eio += 1
print("EIO %d good %d" % (eio, good))
PY
echo "# reading the damaged file by 64 KiB: $(cat "$OUT")"
expect_grep "$OUT" "^EIO [1-9]" "reading the damaged file gives EIO on the damaged ranges only"
expect_grep "$DAEMON_LOG" "victim" "the daemon's log names the file"
tap_result $(fs_is_mounted "$MNT"; echo $?) "the filesystem stays mounted"
ls "$MNT" >/dev/null
tap_result $? "... and the directory still lists"
fs_umount "$MNT"

tap_done
