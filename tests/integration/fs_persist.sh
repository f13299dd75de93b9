#!/bin/bash
# fs_persist.sh — what is written survives unmount and remount: 10,000 small files
# with known content, a directory tree copied in with `cp -a` (compared with diff -r and
# with every name's type, mode, owner, size, mtime and link target), and a 1 GiB file
# checked by SHA-256 computed while it was generated; statfs numbers stay plausible
# (capacity, space taken by the data, space returned on delete, inode counts).
#
# PHASEFS_TEST_BIG_MB sets the size of the big file in MiB (default 1024); lower it only
# where CI time demands.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/fs_lib.sh"

BIG_MB=${PHASEFS_TEST_BIG_MB:-1024}
IMG="$TEST_TMP/persist.img"
MNT="$TEST_TMP/mnt"
SRC="$TEST_TMP/tree"

expect_exit 0 "mkfs.phasefs a 1G-per-layer medium" -- "$MKFS" -s 1G -L persist "$IMG"
fs_mount "$IMG" "$MNT"
tap_result $? "mount"
if ! fs_is_mounted "$MNT"; then
    sed 's/^/# daemon: /' "$DAEMON_LOG" >&2
    tap_done
    exit 1
fi
read -r bsize blocks0 bfree0 files0 ffree0 < <(stat -f -c '%S %b %f %c %d' "$MNT")

# ---- 10,000 small files: content is a function of the number -------------------------
SMALL_PY='
import os, sys
root, mode = sys.argv[1], sys.argv[2]
def content(i):
    return (b"file %05d " % i) * (1 + i % 37) + bytes([i % 251]) * (i % 700)
bad = 0
for i in range(10000):
    path = os.path.join(root, "d%02d" % (i // 500), "f%05d" % i)
    if mode == "write":
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content(i))
    else:
        try:
            with open(path, "rb") as f:
                if f.read() != content(i):
                    bad += 1
        except OSError as e:
            print("# %s: %s" % (path, e), file=sys.stderr)
            bad += 1
if bad:
    print("# %d files differ" % bad, file=sys.stderr)
sys.exit(1 if bad else 0)
'
t0=$(date +%s.%N)
python3 -c "$SMALL_PY" "$MNT/small" write
tap_result $? "write 10,000 small files"
t1=$(date +%s.%N)
echo "# 10,000 small files written in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"
python3 -c "$SMALL_PY" "$MNT/small" check
tap_result $? "the 10,000 files read back before unmount"

# ---- a directory tree with every kind of entry, copied in with cp -a ------------------
mkdir -p "$SRC"
cp -a "$top_srcdir/medium" "$top_srcdir/man" "$SRC/"
mkdir -p "$SRC/kinds/empty-dir" "$SRC/kinds/deep/a/b/c/d/e/f/g"
printf 'deep\n' >"$SRC/kinds/deep/a/b/c/d/e/f/g/leaf"
: >"$SRC/kinds/empty-file"
printf 'hard\n' >"$SRC/kinds/hard1"
ln "$SRC/kinds/hard1" "$SRC/kinds/hard2"
ln -s ../man "$SRC/kinds/rel-link"
ln -s /etc/hostname "$SRC/kinds/abs-link"
ln -s missing "$SRC/kinds/dangling"
mkfifo "$SRC/kinds/fifo"
head -c 200000 /dev/urandom >"$SRC/kinds/random"
chmod 600 "$SRC/kinds/random"
chmod 751 "$SRC/kinds/deep"
chown 1000:1000 "$SRC/kinds/empty-file"
chown -h 123:456 "$SRC/kinds/rel-link"
touch -h -d "2000-01-01 00:00:00.5 UTC" "$SRC/kinds/abs-link"
touch -d "1990-06-15 12:00:00.123456789 UTC" "$SRC/kinds/hard1"
cp -a "$SRC" "$MNT/tree"
tap_result $? "cp -a of a tree (files, dirs, hard links, symlinks, a fifo, modes, owners, times)"

tree_listing() {
    (cd "$1" && find . -printf '%p %y %m %U %G %s %T@ %n %l\n' | LC_ALL=C sort |
        awk '$2 == "d" { $6 = "-"; $8 = "-" } { print }')
}
# diff_tree A B: diff -r (symlinks compared as links, the fifo by the listing only),
# showing the first differences; returns diff's status.
diff_tree() {
    local rc
    if [ -d "$1" ]; then
        diff -r --no-dereference -x fifo "$1" "$2" >"$OUT" 2>&1
    else
        diff "$1" "$2" >"$OUT" 2>&1
    fi
    rc=$?
    [ $rc -eq 0 ] || sed 's/^/# /' "$OUT" | head -20 >&2
    return $rc
}
tree_listing "$SRC" >"$TEST_TMP/src.list"
diff_tree "$SRC" "$MNT/tree"
tap_result $? "diff -r: the copy equals the source"
tree_listing "$MNT/tree" >"$TEST_TMP/mnt.list"
diff_tree "$TEST_TMP/src.list" "$TEST_TMP/mnt.list"
tap_result $? "every entry's type, mode, owner, size, mtime, link count and target match"

# ---- a big file, its SHA-256 taken while generating it --------------------------------
BIG_PY='
import hashlib, random, sys
path, mib = sys.argv[1], int(sys.argv[2])
rng, h = random.Random(20260101), hashlib.sha256()
with open(path, "wb") as f:
    for _ in range(mib):
        block = rng.randbytes(1 << 20)
        h.update(block)
        f.write(block)
print(h.hexdigest())
'
t0=$(date +%s.%N)
want_sum=$(python3 -c "$BIG_PY" "$MNT/big" "$BIG_MB")
tap_result $? "write a $BIG_MB MiB file in 1 MiB blocks"
t1=$(date +%s.%N)
echo "# $BIG_MB MiB written in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"
expect_eq "$(stat -c %s "$MNT/big")" $((BIG_MB << 20)) "its size"

sync -f "$MNT"
read -r blocks1 bfree1 bavail1 files1 ffree1 < <(stat -f -c '%b %f %a %c %d' "$MNT")
used_mb=$(((bfree0 - bfree1) * bsize >> 20))
tap_result $([ "$used_mb" -ge "$BIG_MB" ] && [ "$used_mb" -le $((BIG_MB * 5 / 4 + 64)) ]; echo $?) \
    "statfs: the data took $used_mb MiB of free space (between $BIG_MB and 1.25x + 64)"
total_mb=$((blocks1 * bsize >> 20))
tap_result $([ "$total_mb" -gt 1024 ] && [ "$total_mb" -le 2048 ] && [ "$blocks1" -eq "$blocks0" ]; echo $?) \
    "statfs: capacity $total_mb MiB lies between one and two 1 GiB layers, and is constant"
tap_result $([ "$bavail1" -le "$bfree1" ]; echo $?) "statfs: available <= free"
tap_result $([ $((ffree0 - ffree1)) -ge 10000 ] || [ "$files1" -eq 0 ]; echo $?) \
    "statfs: free inodes fell by at least the 10,000 files ($((ffree0 - ffree1)))"

# ---- unmount, remount, check everything -----------------------------------------------
fs_umount "$MNT"
tap_result $? "unmount; the daemon exits 0 after its final flush"
fs_mount "$IMG" "$MNT"
tap_result $? "remount"
python3 -c "$SMALL_PY" "$MNT/small" check
tap_result $? "the 10,000 small files survive the remount"
expect_eq "$(find "$MNT/small" -type f | wc -l)" 10000 "exactly 10,000 files are there"
diff_tree "$SRC" "$MNT/tree"
tap_result $? "diff -r: the tree survives the remount"
tree_listing "$MNT/tree" >"$TEST_TMP/mnt2.list"
diff_tree "$TEST_TMP/src.list" "$TEST_TMP/mnt2.list"
tap_result $? "metadata of every entry survives the remount"
t0=$(date +%s.%N)
got_sum=$(sha256sum "$MNT/big" | cut -d' ' -f1)
t1=$(date +%s.%N)
echo "# $BIG_MB MiB read in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"
expect_eq "$got_sum" "$want_sum" "the $BIG_MB MiB file's SHA-256 after the remount"
read -r blocks2 bfree2 < <(stat -f -c '%b %f' "$MNT")
expect_eq "$blocks2/$bfree2" "$blocks1/$bfree1" "statfs is the same after the remount"

rm "$MNT/big"
sync -f "$MNT"
bfree3=$(stat -f -c %f "$MNT")
freed_mb=$(((bfree3 - bfree2) * bsize >> 20))
tap_result $([ "$freed_mb" -ge $((BIG_MB * 9 / 10)) ]; echo $?) \
    "statfs: deleting the big file gives back $freed_mb MiB (>= 90 % of $BIG_MB)"
rm -r "$MNT/small"
tap_result $? "rm -r of 10,000 files"
expect_eq "$(ls -A "$MNT" | tr '\n' ' ')" "tree " "only the tree is left"
fs_umount "$MNT"
tap_result $? "unmount"
fs_mount "$IMG" "$MNT"
expect_eq "$(ls -A "$MNT" | tr '\n' ' ')" "tree " "the deletions survive a remount"
fs_umount "$MNT"
tap_done
