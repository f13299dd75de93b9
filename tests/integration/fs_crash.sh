#!/bin/bash
# fs_crash.sh — crash consistency (DESIGN.md "src/fs": a crash loses at most what was not
# fsync'ed; the filesystem always mounts). A workload creates, rewrites in place,
# replaces through rename, and deletes numbered files with content that is a function
# of (name, generation), fsyncing the file and its directory after each step and
# logging on the host when the fsync returned. The daemon is killed with SIGKILL after
# a delay drawn from a fixed seed (in one cycle of four, another daemon is also
# killed 0-30 ms after it starts, while it opens, replays or mounts),
# PHASEFS_CRASH_KILLS times (default 24). After each kill: the stale mount is cleaned,
# the image is mounted again, and every entry is checked: each step logged as done
# has exactly its content (or absence), the one step in flight may show its old or
# new state, no unknown entry exists, every entry stats and reads without error.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/fs_lib.sh"

KILLS=${PHASEFS_CRASH_KILLS:-24}
SEED=${PHASEFS_CRASH_SEED:-4242}
IMG="$TEST_TMP/crash.img"
MNT="$TEST_TMP/mnt"
LOG="$TEST_TMP/ops.log"
WORK="$TEST_TMP/crash.py"
: >"$LOG"

cat >"$WORK" <<'PY'
# crash.py run MNT LOG SEED CYCLE | check MNT LOG
import os, random, sys

def content(name, gen):
    r = random.Random("%s:%d" % (name, gen))
    k = r.random()
    size = r.randrange(0, 8192) if k < 0.70 else \
        r.randrange(8192, 200000) if k < 0.95 else r.randrange(200000, 1300000)
    return r.randbytes(size)

def replay(log):
    """Expected state from the log: name -> gen (None: deleted), and the op in flight."""
    state, inflight = {}, None
    with open(log) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 4:
                continue  # a line torn by the kill of the workload: not done
            mark, op, name, gen = parts[0], parts[1], parts[2], int(parts[3])
            if mark == "B":
                inflight = (op, name, gen)
            elif mark == "D":
                state[name] = None if op == "del" else gen
                inflight = None
    return state, inflight

def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

def write_file(path, data, flags):
    fd = os.open(path, flags, 0o644)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view[:1 << 20])
            view = view[n:]
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    finally:
        os.close(fd)

def run(root, log, seed, cycle):
    state, _ = replay(log)
    rng = random.Random(seed * 1000 + cycle)
    gen = max([0] + [int(l.split()[3]) for l in open(log) if len(l.split()) == 4]) + 1
    d = "c%03d" % cycle
    os.makedirs(os.path.join(root, d), exist_ok=True)
    fsync_dir(root)
    out = open(log, "a", buffering=1)
    _, inflight = replay(log)
    if inflight:
        # Finish the step the last kill interrupted, as a new step of its own, so the
        # expected state is exact again.
        op, name, _ = inflight
        path = os.path.join(root, name)
        op = "del" if op == "del" else "put"
        out.write("B %s %s %d\n" % (op, name, gen))
        if os.path.exists(path + ".tmp"):
            os.unlink(path + ".tmp")
        if op == "del":
            if os.path.lexists(path):
                os.unlink(path)
        else:
            write_file(path, content(name, gen), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        fsync_dir(os.path.dirname(path))
        out.write("D %s %s %d\n" % (op, name, gen))
        state[name] = None if op == "del" else gen
        gen += 1
    n = 0
    while True:
        live = [k for k, v in state.items() if v is not None]
        k = rng.random()
        if k < 0.5 or len(live) < 5:
            op, name = "new", "%s/f%05d" % (d, n)
            n += 1
        else:
            op = "inplace" if k < 0.7 else "rename" if k < 0.9 else "del"
            name = rng.choice(sorted(live))
        path = os.path.join(root, name)
        out.write("B %s %s %d\n" % (op, name, gen))
        if op == "new":
            write_file(path, content(name, gen), os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        elif op == "inplace":
            write_file(path, content(name, gen), os.O_WRONLY)
        elif op == "rename":
            tmp = path + ".tmp"
            write_file(tmp, content(name, gen), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.rename(tmp, path)
        else:
            os.unlink(path)
        fsync_dir(os.path.dirname(path))
        out.write("D %s %s %d\n" % (op, name, gen))
        state[name] = None if op == "del" else gen
        gen += 1

def check(root, log):
    state, inflight = replay(log)
    bad = []
    seen = set()
    for dirpath, dirs, files in os.walk(root):
        for e in dirs + files:
            p = os.path.join(dirpath, e)
            try:
                st = os.lstat(p)
            except OSError as ex:
                bad.append("%s: lstat: %s" % (p, ex))
                continue
            rel = os.path.relpath(p, root)
            if os.path.isdir(p):
                continue
            seen.add(rel)
            try:
                with open(p, "rb") as f:
                    data = f.read()
            except OSError as ex:
                bad.append("%s: read: %s" % (rel, ex))
                continue
            if len(data) != st.st_size:
                bad.append("%s: read %d bytes, st_size %d" % (rel, len(data), st.st_size))
            fl = inflight and (rel == inflight[1] or rel == inflight[1] + ".tmp")
            want = state.get(rel)
            if rel in state and want is not None and data == content(rel, want):
                continue
            if fl:
                op, name, g = inflight
                if rel == name + ".tmp" or op in ("new", "inplace", "put"):
                    continue  # not fsync'ed: any state of this one file is allowed
                if op in ("rename", "del") and data == content(name, g):
                    continue
            if rel not in state:
                bad.append("%s: unknown entry" % rel)
            elif want is None:
                bad.append("%s: deleted (fsync'ed) but present" % rel)
            else:
                bad.append("%s: content differs from generation %d" % (rel, want))
    for name, gen in state.items():
        if gen is not None and name not in seen:
            if inflight and inflight[1] == name and inflight[0] == "del":
                continue
            bad.append("%s: fsync'ed (generation %d) but missing" % (name, gen))
    for b in bad[:20]:
        print("# " + b, file=sys.stderr)
    live = sum(1 for v in state.values() if v is not None)
    print("%d %d" % (live, len(bad)))
    return 1 if bad else 0

if sys.argv[1] == "run":
    try:
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    except OSError:
        sys.exit(0)  # the daemon was killed under us: expected
else:
    sys.exit(check(sys.argv[2], sys.argv[3]))
PY

expect_exit 0 "mkfs.phasefs a 512M-per-layer medium" -- "$MKFS" -s 512M "$IMG"
fs_mount "$IMG" "$MNT"
tap_result $? "first mount"

# Delays in ms from a fixed seed: most during the workload, one in four during the
# mount itself (log replay) of the next daemon.
DELAYS=$(python3 -c "
import random
r = random.Random($SEED)
print(' '.join('%d:%d' % (r.random() < 0.25, r.randrange(20, 1500)) for _ in range($KILLS)))")

kills=0 failures=0 cycle=0 total_ops=0
for spec in $DELAYS; do
    during_mount=${spec%%:*}
    delay_ms=${spec#*:}
    cycle=$((cycle + 1))
    if [ "$during_mount" = 1 ]; then
        # Kill a daemon 0-30 ms after it starts: while it opens the image, replays the
        # log the last kill left, or has just mounted.
        fs_umount "$MNT" || { tap_result 1 "cycle $cycle: unmount before a kill during mount"; break; }
        "$PHASEFS" "$IMG" "$MNT" -f 2>>"$DAEMON_LOG" &
        FS_PID=$!
        sleep "$(awk "BEGIN { print ($delay_ms % 30) / 1000 }")"
        kill -9 "$FS_PID" 2>/dev/null && kills=$((kills + 1))
        wait "$FS_PID" 2>/dev/null
        fs_is_mounted "$MNT" && fusermount3 -u -z "$MNT"
        fs_mount "$IMG" "$MNT" || { tap_result 1 "cycle $cycle: mount after a kill during mount"; break; }
    fi
    python3 "$WORK" run "$MNT" "$LOG" "$SEED" "$cycle" 2>>"$TEST_TMP/workload.err" &
    wl=$!
    sleep "$(awk "BEGIN { print $delay_ms / 1000 }")"
    kill -9 "$FS_PID" && kills=$((kills + 1))
    wait "$FS_PID" 2>/dev/null
    wait "$wl"
    fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
    if ! fs_mount "$IMG" "$MNT"; then
        tap_result 1 "cycle $cycle: the filesystem mounts after kill -9 at $delay_ms ms"
        sed 's/^/# daemon: /' "$DAEMON_LOG" | tail -5 >&2
        failures=$((failures + 1))
        break
    fi
    ls -R "$MNT" >/dev/null 2>"$OUT"
    ls_rc=$?
    res=$(python3 "$WORK" check "$MNT" "$LOG" 2>"$ERR")
    rc=$?
    ops=$(grep -c '^D' "$LOG")
    if [ $rc -ne 0 ] || [ $ls_rc -ne 0 ]; then
        failures=$((failures + 1))
        sed 's/^/# /' "$ERR" "$OUT" | head -20 >&2
    fi
    tap_result $((rc | ls_rc)) "cycle $cycle: kill -9 after ${delay_ms} ms$([ "$during_mount" = 1 ] && echo ' (and one during mount)'); ls -R clean; ${res%% *} files, all $ops fsync'ed steps intact"
done
echo "# $kills kills of the daemon, $(grep -c '^D' "$LOG") fsync'ed steps in all"
tap_result $([ "$kills" -ge 20 ]; echo $?) "at least 20 kills ($kills)"
tap_result $([ "$(grep -c '^D' "$LOG")" -gt "$KILLS" ]; echo $?) "the workload made progress between kills"
fs_umount "$MNT"
tap_result $? "a clean unmount at the end"
fs_mount "$IMG" "$MNT"
res=$(python3 "$WORK" check "$MNT" "$LOG" 2>"$ERR")
tap_result $? "after a clean remount every fsync'ed step is still intact"
fs_umount "$MNT"
tap_done
