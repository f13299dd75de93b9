#!/bin/bash
# fs_posix.sh — the POSIX behaviours a user relies on, on a real phasefs mount: files,
# directories, hard links (st_nlink), symlinks, rename (over a target, across
# directories, RENAME_NOREPLACE / RENAME_EXCHANGE through renameat2), chmod, chown,
# times, truncate and sparse files, a file beyond 4 GiB, xattrs, the fixity xattr
# against coreutils' b2sum, statfs, fsync, permissions of another user (set-ID bits on
# a write, search permission just removed, FIFOs), cp -a and rsync -aX both ways,
# ENAMETOOLONG.
# Every expected value comes from the kernel's view of an ordinary file or from an
# independent tool (cmp against a reference file on the host, b2sum, stat).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/fs_lib.sh"

IMG="$TEST_TMP/posix.img"
MNT="$TEST_TMP/mnt"
REF="$TEST_TMP/ref"
mkdir -p "$REF"
chmod 755 "$TEST_TMP" # another user must reach the mount point

expect_exit 0 "mkfs.phasefs a 256M-per-layer medium" -- "$MKFS" -s 256M -L posix "$IMG"
fs_mount_or_stop "$IMG" "$MNT" -o allow_other

# ---- regular files -------------------------------------------------------------------
head -c 3000001 /dev/urandom >"$REF/data"
cp "$REF/data" "$MNT/data"
cmp -s "$REF/data" "$MNT/data"
tap_result $? "a 3 MB file reads back byte for byte"
expect_eq "$(stat -c %s "$MNT/data")" 3000001 "st_size of the file"
expect_eq "$(stat -c %F "$MNT/data")" "regular file" "it is a regular file"
printf 'tail\n' >>"$REF/data"
printf 'tail\n' >>"$MNT/data"
cmp -s "$REF/data" "$MNT/data"
tap_result $? "append (O_APPEND) extends the file"
head -c 100000 /dev/urandom >"$REF/patch"
for f in "$REF/data" "$MNT/data"; do
    dd if="$REF/patch" of="$f" bs=100000 oflag=seek_bytes seek=65000 conv=notrunc status=none
done
cmp -s "$REF/data" "$MNT/data"
tap_result $? "an overwrite across cluster boundaries in the middle"
expect_errno EEXIST "O_CREAT|O_EXCL on an existing file is EEXIST" \
    "os.open('$MNT/data', os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)"
expect_errno ENOENT "opening a missing file is ENOENT" "open('$MNT/nothing')"
: >"$MNT/empty"
expect_eq "$(stat -c %s "$MNT/empty")" 0 "an empty file has size 0"
printf 'abc' >"$MNT/trunc"
printf 'xy' >"$MNT/trunc"
expect_eq "$(cat "$MNT/trunc")" "xy" "O_TRUNC empties the file before the write"

# An unlinked file stays readable through a descriptor opened before.
printf 'still here\n' >"$MNT/ghost"
exec 3<"$MNT/ghost"
rm "$MNT/ghost"
expect_eq "$(cat <&3)" "still here" "an unlinked file is readable through an open descriptor"
exec 3<&-
expect_errno ENOENT "the unlinked name is gone" "os.stat('$MNT/ghost')"

# ---- directories ---------------------------------------------------------------------
mkdir -p "$MNT/d/e/f"
tap_result $? "mkdir -p of nested directories"
expect_eq "$(stat -c %F "$MNT/d/e")" "directory" "a directory is a directory"
mkdir "$MNT/d/s1" "$MNT/d/s2"
expect_eq "$(stat -c %h "$MNT/d")" 5 "a directory's st_nlink is 2 + its subdirectories (e, s1, s2)"
expect_errno EEXIST "mkdir of an existing name is EEXIST" "os.mkdir('$MNT/d/e')"
expect_errno ENOTEMPTY "rmdir of a non-empty directory is ENOTEMPTY" "os.rmdir('$MNT/d/e')"
expect_errno ENOTDIR "a file used as a directory is ENOTDIR" "os.stat('$MNT/data/x')"
expect_errno EISDIR "opening a directory for writing is EISDIR" "open('$MNT/d', 'w')"
rmdir "$MNT/d/e/f"
tap_result $? "rmdir of an empty directory"
expect_errno ENOENT "the removed directory is gone" "os.stat('$MNT/d/e/f')"
mkdir "$MNT/many"
python3 -c "
import os
for i in range(700):
    open('$MNT/many/file-%04d' % i, 'w').close()
"
expect_eq "$(ls "$MNT/many" | wc -l)" 700 "a directory of 700 entries lists completely (readdir cookies)"
expect_eq "$(ls -a "$MNT/many" | sort | uniq -d | wc -l)" 0 "no entry is listed twice"
expect_eq "$(ls -a "$MNT/many" | head -2 | tr '\n' ' ')" ". .. " "readdir lists . and .."
mkfifo "$MNT/fifo"
expect_eq "$(stat -c %F "$MNT/fifo")" "fifo" "mkfifo makes a FIFO (mknod)"

# ---- hard links ----------------------------------------------------------------------
printf 'linked\n' >"$MNT/l1"
ln "$MNT/l1" "$MNT/d/l2"
expect_eq "$(stat -c %h "$MNT/l1")" 2 "st_nlink is 2 after ln"
expect_eq "$(stat -c %i "$MNT/l1")" "$(stat -c %i "$MNT/d/l2")" "both names have one inode"
rm "$MNT/l1"
expect_eq "$(stat -c %h "$MNT/d/l2")" 1 "st_nlink is 1 after removing one name"
expect_eq "$(cat "$MNT/d/l2")" "linked" "the other name keeps the content"
expect_errno EPERM "a hard link to a directory is refused (EPERM)" "os.link('$MNT/d', '$MNT/dlink')"

# ---- symbolic links ------------------------------------------------------------------
ln -s data "$MNT/sym"
expect_eq "$(readlink "$MNT/sym")" "data" "readlink gives the target"
expect_eq "$(stat -c %F "$MNT/sym")" "symbolic link" "lstat sees a symlink"
cmp -s "$REF/data" "$MNT/sym"
tap_result $? "reading through the symlink reads the target"
ln -s /nowhere/at/all "$MNT/dangling"
expect_eq "$(readlink "$MNT/dangling")" "/nowhere/at/all" "a dangling symlink keeps its target"
long_target=$(printf 'x%.0s' $(seq 1 4000))
ln -s "$long_target" "$MNT/longsym"
expect_eq "$(readlink "$MNT/longsym")" "$long_target" "a 4000-byte symlink target round-trips"

# ---- rename --------------------------------------------------------------------------
printf 'A\n' >"$MNT/ra"
printf 'B\n' >"$MNT/rb"
mv "$MNT/ra" "$MNT/rb"
expect_eq "$(cat "$MNT/rb")" "A" "rename over an existing file replaces it"
expect_errno ENOENT "the old name is gone" "os.stat('$MNT/ra')"
mv "$MNT/rb" "$MNT/d/rc"
expect_eq "$(cat "$MNT/d/rc")" "A" "rename across directories"
mkdir "$MNT/rd1" "$MNT/rd2" "$MNT/rd3"
touch "$MNT/rd3/x"
expect_errno OK "rename of a directory over an empty directory" "os.rename('$MNT/rd1', '$MNT/rd2')"
expect_errno ENOTEMPTY "rename over a non-empty directory is ENOTEMPTY" \
    "os.rename('$MNT/rd2', '$MNT/rd3')"
expect_errno EISDIR "rename of a file over a directory is EISDIR" "os.rename('$MNT/d/rc', '$MNT/rd2')"
expect_errno EINVAL "rename of a directory into itself is EINVAL" \
    "os.rename('$MNT/rd3', '$MNT/rd3/sub')"
RENAMEAT2="import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def renameat2(a, b, flags):
    if libc.renameat2(-100, a.encode(), -100, b.encode(), flags) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
"
printf 'one\n' >"$MNT/x1"
printf 'two\n' >"$MNT/x2"
expect_errno EEXIST "renameat2 RENAME_NOREPLACE onto an existing name is EEXIST" \
    "$RENAMEAT2
renameat2('$MNT/x1', '$MNT/x2', 1)"
expect_errno OK "renameat2 RENAME_NOREPLACE onto a free name" \
    "$RENAMEAT2
renameat2('$MNT/x1', '$MNT/x3', 1)"
expect_errno OK "renameat2 RENAME_EXCHANGE" "$RENAMEAT2
renameat2('$MNT/x2', '$MNT/x3', 2)"
expect_eq "$(cat "$MNT/x2")/$(cat "$MNT/x3")" "one/two" "RENAME_EXCHANGE swapped the two files"
expect_errno ENOENT "RENAME_EXCHANGE with a missing name is ENOENT" "$RENAMEAT2
renameat2('$MNT/x2', '$MNT/x9', 2)"

# ---- mode, owner, times --------------------------------------------------------------
chmod 640 "$MNT/x2"
expect_eq "$(stat -c %a "$MNT/x2")" 640 "chmod 640"
chmod u+s,g+s "$MNT/x2"
expect_eq "$(stat -c %a "$MNT/x2")" 6640 "chmod sets set-user-ID and set-group-ID bits"
chown 1234:5678 "$MNT/x2"
expect_eq "$(stat -c %u:%g "$MNT/x2")" "1234:5678" "chown 1234:5678"
touch -d "2001-02-03 04:05:06.123456789 UTC" "$MNT/x2"
expect_eq "$(TZ=UTC stat -c %y "$MNT/x2")" "2001-02-03 04:05:06.123456789 +0000" \
    "touch -d sets mtime with nanoseconds"
expect_eq "$(TZ=UTC stat -c %x "$MNT/x2")" "2001-02-03 04:05:06.123456789 +0000" \
    "touch -d sets atime too"
touch -m -d "1999-12-31 23:59:59 UTC" "$MNT/x2"
expect_eq "$(TZ=UTC stat -c %y/%x "$MNT/x2")" \
    "1999-12-31 23:59:59.000000000 +0000/2001-02-03 04:05:06.123456789 +0000" \
    "touch -m changes mtime only"
before=$(date +%s)
touch "$MNT/x2"
after=$(date +%s)
m=$(stat -c %Y "$MNT/x2")
tap_result $([ "$m" -ge "$before" ] && [ "$m" -le $((after + 1)) ]; echo $?) \
    "touch (UTIME_NOW) sets mtime to now"
c0=$(stat -c %Z "$MNT/x3")
sleep 1.1
chmod 600 "$MNT/x3"
tap_result $([ "$(stat -c %Z "$MNT/x3")" -gt "$c0" ]; echo $?) "chmod updates ctime"
m0=$(stat -c %Y "$MNT/x3")
sleep 1.1
printf 'more' >>"$MNT/x3"
tap_result $([ "$(stat -c %Y "$MNT/x3")" -gt "$m0" ]; echo $?) "a write updates mtime"
m0=$(stat -c %Y "$MNT/d")
sleep 1.1
touch "$MNT/d/new-entry"
tap_result $([ "$(stat -c %Y "$MNT/d")" -gt "$m0" ]; echo $?) \
    "creating an entry updates the directory's mtime"

# ---- truncate and sparse files -------------------------------------------------------
cp "$REF/data" "$MNT/t"
cp "$REF/data" "$REF/t"
truncate -s 100 "$MNT/t"
truncate -s 100 "$REF/t"
cmp -s "$REF/t" "$MNT/t"
tap_result $? "truncate shrinks to 100 bytes, keeping the head"
truncate -s 10M "$MNT/t"
truncate -s 10M "$REF/t"
cmp -s "$REF/t" "$MNT/t"
tap_result $? "truncate extends with zeros"
truncate -s 70000 "$MNT/t"
printf 'Z' | dd of="$MNT/t" bs=1 seek=100000 conv=notrunc status=none
truncate -s 70000 "$REF/t"
printf 'Z' | dd of="$REF/t" bs=1 seek=100000 conv=notrunc status=none
cmp -s "$REF/t" "$MNT/t"
tap_result $? "shrink then write past the end: the gap reads as zeros"
truncate -s 1G "$MNT/sparse"
expect_eq "$(stat -c %s "$MNT/sparse")" 1073741824 "truncate -s 1G gives a 1 GiB file"
expect_eq "$(du -k "$MNT/sparse" | cut -f1)" 0 "... which allocates nothing (du)"
expect_eq "$(head -c 1048576 "$MNT/sparse" | tr -d '\0' | wc -c)" 0 "a hole reads as zeros"
head -c 65536 /dev/urandom >"$REF/blk"
dd if="$REF/blk" of="$MNT/seek" bs=64K seek=1000 status=none
dd if="$REF/blk" of="$REF/seek" bs=64K seek=1000 status=none
expect_eq "$(stat -c %s "$MNT/seek")" $((1001 * 65536)) "dd seek=1000 gives the size ls -l shows"
cmp -s "$REF/seek" "$MNT/seek"
tap_result $? "dd seek: data after a 64 MB hole reads back, the hole as zeros"
du_kb=$(du -k "$MNT/seek" | cut -f1)
tap_result $([ "$du_kb" -ge 64 ] && [ "$du_kb" -le 1024 ]; echo $?) \
    "du counts only the written block ($du_kb KiB of $((1001 * 64)) KiB)"

# ---- beyond 4 GiB --------------------------------------------------------------------
head -c 1048576 /dev/urandom >"$REF/mib"
dd if="$REF/mib" of="$MNT/big" bs=1M seek=5120 status=none
tap_result $? "write 1 MiB at offset 5 GiB"
expect_eq "$(stat -c %s "$MNT/big")" $(((5120 + 1) * 1048576)) "the file is 5 GiB + 1 MiB long"
dd if="$MNT/big" bs=1M skip=5120 count=1 status=none | cmp -s "$REF/mib" -
tap_result $? "the MiB at 5 GiB reads back"
expect_eq "$(dd if="$MNT/big" bs=1M skip=4096 count=1 status=none | tr -d '\0' | wc -c)" 0 \
    "the hole at 4 GiB reads as zeros"
big_kb=$(du -k "$MNT/big" | cut -f1)
tap_result $([ "$big_kb" -le 4096 ]; echo $?) "the 5 GiB sparse file allocates $big_kb KiB"
rm "$MNT/big" "$MNT/sparse"

# ---- extended attributes -------------------------------------------------------------
printf 'x' >"$MNT/xa"
if command -v setfattr >/dev/null && command -v getfattr >/dev/null; then
    setfattr -n user.color -v blue "$MNT/xa"
    tap_result $? "setfattr user.color"
    expect_eq "$(getfattr --absolute-names --only-values -n user.color "$MNT/xa")" "blue" "getfattr reads it back"
    getfattr --absolute-names -d "$MNT/xa" >"$OUT" 2>&1
    expect_grep "$OUT" '^user.color="blue"' "getfattr -d lists it (listxattr)"
    setfattr -x user.color "$MNT/xa"
    getfattr --absolute-names -n user.color "$MNT/xa" >"$OUT" 2>&1
    expect_grep "$OUT" "No such attribute" "after setfattr -x it is gone (ENODATA)"
else
    tap_skip "setfattr/getfattr" "attr package not installed; python3 checks below"
fi
expect_errno OK "a 60 KiB xattr value" \
    "os.setxattr('$MNT/xa', 'user.big', b'v' * 61440); assert os.getxattr('$MNT/xa', 'user.big') == b'v' * 61440"
expect_errno EEXIST "XATTR_CREATE on an existing name is EEXIST" \
    "os.setxattr('$MNT/xa', 'user.big', b'w', os.XATTR_CREATE)"
expect_errno ENODATA "XATTR_REPLACE on a missing name is ENODATA" \
    "os.setxattr('$MNT/xa', 'user.none', b'w', os.XATTR_REPLACE)"
expect_errno OK "listxattr has user.big" "assert 'user.big' in os.listxattr('$MNT/xa')"
expect_errno ENODATA "getxattr of a missing name is ENODATA" "os.getxattr('$MNT/xa', 'user.none')"
expect_errno OK "xattrs on a directory" \
    "os.setxattr('$MNT/d', 'user.dir', b'1'); assert os.getxattr('$MNT/d', 'user.dir') == b'1'"

# ---- fixity: user.phasefs.blake2b is BLAKE2b-256 of the content ------------------------
cp "$REF/data" "$MNT/fix"
want=$(b2sum -l 256 "$REF/data" | cut -d' ' -f1)
got=$(python3 -c "import os; print(os.getxattr('$MNT/fix', 'user.phasefs.blake2b').decode())")
expect_eq "$got" "$want" "user.phasefs.blake2b equals b2sum -l 256 of the file"
printf 'changed' | dd of="$MNT/fix" bs=1 seek=10 conv=notrunc status=none
want=$(b2sum -l 256 "$MNT/fix" | cut -d' ' -f1)
got=$(python3 -c "import os; print(os.getxattr('$MNT/fix', 'user.phasefs.blake2b').decode())")
expect_eq "$got" "$want" "the digest follows a rewrite (after close)"
: >"$MNT/fix0"
got=$(python3 -c "import os; print(os.getxattr('$MNT/fix0', 'user.phasefs.blake2b').decode())")
expect_eq "$got" "$(b2sum -l 256 /dev/null | cut -d' ' -f1)" "the digest of an empty file"
expect_errno OK "listxattr does not list the fixity name (it is read by name)" \
    "assert 'user.phasefs.blake2b' not in os.listxattr('$MNT/fix')"
got=$(py_errno "os.setxattr('$MNT/fix', 'user.phasefs.blake2b', b'00')")
tap_result $([ "$got" = EPERM ] || [ "$got" = EACCES ]; echo $?) \
    "user.phasefs.blake2b cannot be set ($got)"

# ---- statfs, fsync -------------------------------------------------------------------
read -r bsize blocks bfree bavail files ffree < <(stat -f -c '%S %b %f %a %c %d' "$MNT")
total=$((bsize * blocks))
tap_result $([ "$total" -gt $((256 << 20)) ] && [ "$total" -le $((512 << 20)) ]; echo $?) \
    "statfs: total $total B lies between one and two layers of 256 MiB"
tap_result $([ "$bfree" -le "$blocks" ] && [ "$bavail" -le "$bfree" ] && [ "$bfree" -gt 0 ]; echo $?) \
    "statfs: available <= free <= total, free > 0"
tap_result $([ "$ffree" -le "$files" ]; echo $?) "statfs: free inodes <= inodes"
df -P "$MNT" >"$OUT" 2>&1
tap_result $? "df works on the mount"
before_free=$bfree
head -c 20000000 /dev/urandom >"$MNT/fill"
sync -f "$MNT"
bfree=$(stat -f -c %f "$MNT")
tap_result $([ $(((before_free - bfree) * bsize)) -ge 19000000 ]; echo $?) \
    "statfs: writing 20 MB takes at least 19 MB of free space"
dd if="$REF/data" of="$MNT/synced" bs=64K conv=fsync status=none
tap_result $? "dd conv=fsync (fsync)"
expect_errno OK "fdatasync" "fd = os.open('$MNT/synced', os.O_RDWR); os.fdatasync(fd); os.close(fd)"
expect_errno OK "fsync of a directory (fsyncdir)" \
    "fd = os.open('$MNT/d', os.O_RDONLY); os.fsync(fd); os.close(fd)"
sync -f "$MNT"
tap_result $? "syncfs"

# ---- names ---------------------------------------------------------------------------
n255=$(printf 'n%.0s' $(seq 1 255))
n256=$(printf 'n%.0s' $(seq 1 256))
expect_errno OK "a 255-byte name is accepted" "open('$MNT/$n255', 'w').close()"
expect_errno ENAMETOOLONG "a 256-byte name is ENAMETOOLONG" "open('$MNT/$n256', 'w').close()"
expect_errno ENAMETOOLONG "mkdir of a 256-byte name is ENAMETOOLONG" "os.mkdir('$MNT/$n256')"
expect_errno OK "names with spaces, UTF-8 and newlines" \
    "open('$MNT/a b\u00e9\\nc', 'w').close(); assert 'a b\u00e9\\nc' in os.listdir('$MNT')"

# ---- another user (uid/gid 65534), with allow_other -----------------------------------
AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
if command -v setpriv >/dev/null; then
    chmod 755 "$MNT"
    printf 'secret\n' >"$MNT/private"
    chmod 600 "$MNT/private"
    expect_errno EACCES "another user cannot read a 0600 file" "open('$MNT/private').read()" $AS_NOBODY
    chmod 644 "$MNT/private"
    expect_errno OK "... and can once it is 0644" "open('$MNT/private').read()" $AS_NOBODY
    expect_errno EACCES "... but cannot write it" "open('$MNT/private', 'a')" $AS_NOBODY
    expect_errno EACCES "another user cannot create in a 0755 root directory" \
        "open('$MNT/mine', 'w')" $AS_NOBODY
    expect_errno EPERM "another user cannot chmod root's file" "os.chmod('$MNT/private', 0o777)" $AS_NOBODY
    expect_errno EPERM "another user cannot chown root's file" \
        "os.chown('$MNT/private', 65534, 65534)" $AS_NOBODY
    mkdir -m 1777 "$MNT/tmp"
    chmod 1777 "$MNT/tmp"
    expect_errno OK "another user creates a file in a 1777 directory" \
        "open('$MNT/tmp/nobody-file', 'w').write('n')" $AS_NOBODY
    expect_eq "$(stat -c %u:%g "$MNT/tmp/nobody-file")" "65534:65534" \
        "the new file takes the caller's uid and gid"
    expect_errno OK "... and mkdir" "os.mkdir('$MNT/tmp/nobody-dir')" $AS_NOBODY
    expect_errno OK "ftruncate through a descriptor opened O_RDWR on a 0444 file it created" \
        "fd = os.open('$MNT/tmp/nobody-ro', os.O_CREAT | os.O_RDWR, 0o444); os.write(fd, b'hello'); os.ftruncate(fd, 2); os.close(fd)" \
        $AS_NOBODY
    expect_eq "$(stat -c %s "$MNT/tmp/nobody-ro" 2>/dev/null)" "2" "... and the file was truncated"
    expect_errno EACCES "... while truncate by path is still refused by the mode" \
        "os.truncate('$MNT/tmp/nobody-ro', 0)" $AS_NOBODY
    expect_eq "$(stat -c %u:%g "$MNT/tmp/nobody-dir")" "65534:65534" \
        "the new directory takes the caller's uid and gid"
    touch "$MNT/tmp/roots"
    expect_errno EPERM "the sticky bit keeps another user from removing root's file" \
        "os.unlink('$MNT/tmp/roots')" $AS_NOBODY
    expect_errno OK "the owner of a file may chmod it" \
        "os.chmod('$MNT/tmp/nobody-file', 0o600)" $AS_NOBODY
    mkdir -m 700 "$MNT/closed"
    chmod 700 "$MNT/closed"
    expect_errno EACCES "another user cannot list a 0700 directory" "os.listdir('$MNT/closed')" $AS_NOBODY
    expect_errno EACCES "... nor look up names in it" "os.stat('$MNT/closed/x')" $AS_NOBODY
    expect_errno OK "access(W_OK) is false for another user on a 0644 file" \
        "assert not os.access('$MNT/private', os.W_OK)" $AS_NOBODY
    expect_errno OK "access(R_OK) is true for another user on a 0644 file" \
        "assert os.access('$MNT/private', os.R_OK)" $AS_NOBODY
    mkdir "$MNT/sgid"
    chown 0:4242 "$MNT/sgid"
    chmod 2777 "$MNT/sgid"
    expect_errno OK "another user creates in a set-group-ID directory" \
        "os.mkdir('$MNT/sgid/sub')" $AS_NOBODY
    expect_eq "$(stat -c %g "$MNT/sgid/sub")" 4242 "the new entry takes the directory's group"
    expect_eq "$(( 0$(stat -c %a "$MNT/sgid/sub") & 02000 ))" 1024 \
        "a new directory inherits the set-group-ID bit"

    # -- kill-suid: a non-owner's write to a set-ID file it may write (issue 13) --
    printf 'suid\n' >"$MNT/tmp/suid"
    chmod 6777 "$MNT/tmp/suid"
    expect_errno OK "another user appends to a 6777 file of root's" \
        "open('$MNT/tmp/suid', 'a').write('more\\n')" $AS_NOBODY
    expect_eq "$(stat -c %a "$MNT/tmp/suid")" 777 "... and the write cleared set-user-ID and set-group-ID"
    expect_eq "$(cat "$MNT/tmp/suid")" "$(printf 'suid\nmore')" "... and the bytes are there"
    chmod 6777 "$MNT/tmp/suid"
    expect_errno OK "another user truncates a 6777 file of root's" \
        "os.truncate('$MNT/tmp/suid', 2)" $AS_NOBODY
    expect_eq "$(stat -c %a:%s "$MNT/tmp/suid")" 777:2 "... which clears both bits too"
    chmod 2767 "$MNT/tmp/suid"
    expect_errno OK "a write to a set-group-ID file without group execute" \
        "open('$MNT/tmp/suid', 'a').write('x')" $AS_NOBODY
    expect_eq "$(stat -c %a "$MNT/tmp/suid")" 2767 "... keeps set-group-ID (mandatory locking mark)"
    chmod 4755 "$MNT/tmp/suid"
    expect_errno EACCES "another user still cannot write a 4755 file" \
        "open('$MNT/tmp/suid', 'a')" $AS_NOBODY
    expect_eq "$(stat -c %a "$MNT/tmp/suid")" 4755 "... and its bits stay"

    # -- search permission removed just now: cached names must not bypass it --
    mkdir -p "$MNT/srch"
    chmod 755 "$MNT/srch"
    printf 'x' >"$MNT/srch/f"
    chmod 666 "$MNT/srch/f"
    expect_errno OK "another user reaches a 0666 file through a 0755 directory" \
        "os.stat('$MNT/srch/f'); open('$MNT/srch/f').read()" $AS_NOBODY
    chmod 744 "$MNT/srch" # the name srch/f is now in the kernel's cache (1 s)
    got=$($AS_NOBODY "$PYTHON" -c "
import os, errno
r = []
for name, op in [('chmod', lambda: os.chmod('$MNT/srch/f', 0o600)),
                 ('chown', lambda: os.chown('$MNT/srch/f', 65534, 65534)),
                 ('truncate', lambda: os.truncate('$MNT/srch/f', 0)),
                 ('open', lambda: open('$MNT/srch/f', 'r+')),
                 ('link', lambda: os.link('$MNT/srch/f', '$MNT/tmp/srch-link'))]:
    try:
        op()
        r.append(name + '=OK')
    except OSError as e:
        r.append(name + '=' + errno.errorcode[e.errno])
print(' '.join(r))" 2>&1)
    expect_eq "$got" "chmod=EACCES chown=EACCES truncate=EACCES open=EACCES link=EACCES" \
        "right after chmod 744 of the directory: chmod, chown, truncate, open, link through it"
    expect_eq "$(stat -c %a:%s "$MNT/srch/f")" 666:1 "... and the file is untouched"
    expect_errno ENOENT "... no link was made" "os.stat('$MNT/tmp/srch-link')"

    # -- FIFOs: the kernel opens them, so it checks them (default_permissions) --
    mkfifo -m 600 "$MNT/fifo"
    chmod 600 "$MNT/fifo"
    expect_errno EACCES "another user cannot open root's 0600 FIFO for writing" \
        "os.open('$MNT/fifo', os.O_WRONLY | os.O_NONBLOCK)" $AS_NOBODY
    expect_errno EACCES "... nor for reading" \
        "os.open('$MNT/fifo', os.O_RDONLY | os.O_NONBLOCK)" $AS_NOBODY
    chmod 666 "$MNT/fifo"
    expect_errno ENXIO "once it is 0666, a write open without a reader is ENXIO (permitted)" \
        "os.open('$MNT/fifo', os.O_WRONLY | os.O_NONBLOCK)" $AS_NOBODY
    expect_errno OK "... and a reading open succeeds" \
        "os.close(os.open('$MNT/fifo', os.O_RDONLY | os.O_NONBLOCK))" $AS_NOBODY
    expect_grep /proc/mounts " $MNT fuse.*default_permissions" \
        "allow_other turned default_permissions on (phasefs(8))"
else
    tap_skip "permissions of another user" "setpriv not installed"
fi

# ---- copies: cp -a and rsync -aX both ways carry no digest ------------------------------
mkdir -p "$MNT/cpsrc" "$REF/ext"
head -c 200000 /dev/urandom >"$MNT/cpsrc/a"
printf 'b' >"$MNT/cpsrc/b"
expect_errno OK "an ordinary xattr to copy along" \
    "os.setxattr('$MNT/cpsrc/a', 'user.color', b'blue')"
# phasefs xattrs (getfattr -d -m -) of every file under a tree
xattrs_of() {
    (cd "$1" && getfattr -R -d -m - --absolute-names . 2>/dev/null)
}
stale_digests() {
    xattrs_of "$1" | grep -c 'phasefs' || true
}
cp -a "$MNT/cpsrc" "$REF/ext/cp"
tap_result $? "cp -a out of phasefs exits 0"
expect_eq "$(getfattr --only-values -n user.color "$REF/ext/cp/a" 2>/dev/null)" blue "... with user.color"
expect_eq "$(stale_digests "$REF/ext/cp")" 0 "... and no user.phasefs.* on the copy"
cp -a "$REF/ext/cp" "$MNT/cpback"
tap_result $? "cp -a into phasefs exits 0"
expect_eq "$(getfattr --only-values -n user.phasefs.blake2b "$MNT/cpback/a" 2>/dev/null)" \
    "$(b2sum -l 256 "$MNT/cpsrc/a" | cut -d' ' -f1)" "... and the copy's digest is of its own content"
if command -v rsync >/dev/null; then
    rsync -aX "$MNT/cpsrc/" "$REF/ext/rs/"
    tap_result $? "rsync -aX out of phasefs exits 0"
    expect_eq "$(getfattr --only-values -n user.color "$REF/ext/rs/a" 2>/dev/null)" blue "... with user.color"
    expect_eq "$(stale_digests "$REF/ext/rs")" 0 "... and no user.phasefs.* on the copy"
    printf 'changed' >>"$REF/ext/rs/a"
    rsync -aX "$REF/ext/rs/" "$MNT/rsback/"
    tap_result $? "rsync -aX into phasefs exits 0"
    expect_eq "$(getfattr --only-values -n user.color "$MNT/rsback/a" 2>/dev/null)" blue "... with user.color"
    expect_eq "$(getfattr --only-values -n user.phasefs.blake2b "$MNT/rsback/a" 2>/dev/null)" \
        "$(b2sum -l 256 "$REF/ext/rs/a" | cut -d' ' -f1)" "... and the digest is of the new content"
    rsync -aX "$REF/ext/rs/" "$MNT/rsback/"
    tap_result $? "rsync -aX again over the same tree exits 0"
else
    tap_skip "rsync -aX" "rsync not installed (bootstrap installs it)"
fi

fs_umount "$MNT"
tap_result $? "unmount; the daemon exits 0"
tap_done
