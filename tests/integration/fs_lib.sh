# fs_lib.sh — helpers for the integration tests that mount real phasefs filesystems:
# skip without /dev/fuse, make images, mount a foreground daemon and wait until the
# mount is live, unmount and wait for the daemon's final flush, and unmount whatever
# is left on exit, even when a test fails. Sourced after lib.sh, not run.

PHASEFS="$top_builddir/phasefs"
MKFS="$top_builddir/mkfs.phasefs"
DAEMON_LOG="$TEST_TMP/daemon.log"
FS_PID=
FS_MOUNTS=""
# The system python: another user (setpriv) may not reach a python under /root.
PYTHON=$(command -v /usr/bin/python3 || command -v python3)

if [ ! -c /dev/fuse ]; then
    echo "1..0 # SKIP no /dev/fuse"
    exit 0
fi

fs_cleanup() {
    local mnt
    for mnt in $FS_MOUNTS; do
        if grep -q " $mnt fuse" /proc/mounts 2>/dev/null; then
            fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null
        fi
    done
    # Daemons started here are children of this shell: end them by their own ids.
    local p
    for p in $(jobs -p); do
        kill "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$TEST_TMP"
}
trap fs_cleanup EXIT

fs_is_mounted() {
    grep -q " $1 fuse" /proc/mounts
}

# fs_mount IMAGE MNT [phasefs options...]: start a foreground daemon (log appended to
# $DAEMON_LOG), wait until MNT is live. Sets FS_PID. Returns 0 or 1.
fs_mount() {
    local img=$1 mnt=$2 i
    shift 2
    mkdir -p "$mnt"
    case " $FS_MOUNTS " in *" $mnt "*) ;; *) FS_MOUNTS="$FS_MOUNTS $mnt" ;; esac
    "$PHASEFS" "$img" "$mnt" -f "$@" 2>>"$DAEMON_LOG" &
    FS_PID=$!
    for i in $(seq 1 400); do
        fs_is_mounted "$mnt" && return 0
        kill -0 "$FS_PID" 2>/dev/null || { wait "$FS_PID"; return 1; }
        sleep 0.05
    done
    return 1
}

# fs_mount_or_stop IMAGE MNT [phasefs options...]: fs_mount as a test result; when the
# mount does not come up, show the daemon's log and end the script.
fs_mount_or_stop() {
    fs_mount "$@"
    tap_result $? "mount${3:+ with ${*:3}}"
    if ! fs_is_mounted "$2"; then
        sed 's/^/# daemon: /' "$DAEMON_LOG" >&2
        tap_done
        exit 1
    fi
}

# fs_umount MNT: unmount, then wait for the daemon (its final flush); returns the
# daemon's exit status.
fs_umount() {
    fusermount3 -u "$1" || umount "$1" || return 1
    wait "$FS_PID"
}

# fs_wait_image IMAGE: wait until no daemon holds IMAGE (phasefs locks it).
fs_wait_image() {
    flock "$1" true
}

# py_errno CODE [PREFIX...]: run python statements (os, errno imported); print OK, or
# the errno name of the OSError they raise. PREFIX runs python under e.g. setpriv.
py_errno() {
    local code=$1
    shift
    "$@" "$PYTHON" -c 'import os, sys, errno
try:
    exec(sys.argv[1])
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))' "$code" 2>&1
}

# expect_errno WANT DESCRIPTION CODE [PREFIX...]
expect_errno() {
    local want=$1 desc=$2 code=$3 got
    shift 3
    got=$(py_errno "$code" "$@")
    [ "$got" = "$want" ] || echo "# expected $want, got: $got" >&2
    tap_result $([ "$got" = "$want" ]; echo $?) "$desc"
}

# expect_eq GOT WANT DESCRIPTION
expect_eq() {
    [ "$1" = "$2" ] || echo "# got '$1', expected '$2'" >&2
    tap_result $([ "$1" = "$2" ]; echo $?) "$3"
}
