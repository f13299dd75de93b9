#!/bin/bash
# run.sh — the fsck.phasefs golden cases (STYLE.md "Tests": fsck golden cases).
# For each tests/fsck/h_*/ it builds the image from `recipe` with tests/fsck/mkimage,
# runs `fsck.phasefs --scan image` in a scratch directory (so no absolute path shows),
# drops the progress lines, appends "Exit status is N" and diffs against `expect.1`.
# A second pass must print the same and leave the image file unchanged (the scan is
# read-only). Per case it also checks --json (python3's json.tool; format_version
# first; the same figures as the text) and --map as PNG and SVG.
# Filesystem cases tests/fsck/f_*/ (text) and j_*/ (--json) build a filesystem image
# the same way; `fsck.phasefs -n -f` must leave the image file unchanged, then the
# first pass (`-y -f`, or the options in the case's `opts`) must match expect.1 and
# a second pass (`-n -f`) expect.2 (clean after a repair). Every filesystem case also
# holds mount and fsck to one verdict (src/fs/chain.c): the image as built mounts
# read-write (tests/fsck/mountcheck, through pfs_mount as the daemon does) exactly
# when `fsck.phasefs -p` (what a boot runs before mounting: metadata only, safe
# repairs) exits without bit 4, the preened image likewise, and after `-y` (and after
# the case's own repair pass) it always mounts. One case is also mounted for real
# through FUSE. Then the one-line errors and exit codes of bad usage and bad images.
# TAP output.
#   run.sh [--update] [CASE...]   --update rewrites expect.1 from the output
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
FSCK="$top_builddir/fsck.phasefs"
MKIMAGE="$top_builddir/tests/fsck/mkimage"
MOUNTCHECK="$top_builddir/tests/fsck/mountcheck"
PHASEFS="$top_builddir/phasefs"
update=0
if [ "${1:-}" = "--update" ]; then
    update=1
    shift
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/phasefs-fsck.XXXXXX")
FUSE_MNT=
cleanup() {
    if [ -n "$FUSE_MNT" ] && grep -q " $FUSE_MNT fuse" /proc/mounts 2>/dev/null; then
        fusermount3 -u -z "$FUSE_MNT" 2>/dev/null || umount -l "$FUSE_MNT" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
n=0
failed=0
result() { # STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
have_python=0
command -v python3 >/dev/null 2>&1 && have_python=1

# scan DIR ARGS...: run fsck.phasefs in DIR with stdout/stderr to DIR/out, DIR/err; $rc
scan() {
    local dir=$1
    shift
    (cd "$dir" && NO_PROGRESS=1 "$FSCK" "$@" >out 2>err)
    rc=$?
}

# the golden transcript: report, error lines without progress, exit status
transcript() {
    cat "$1/out"
    grep -v '^scanning clusters: ' "$1/err"
    echo "Exit status is $rc"
}

cases=()
fscases=()
if [ $# -gt 0 ]; then
    for c in "$@"; do
        case $c in
        f_* | j_*) fscases+=("$c") ;;
        *) cases+=("$c") ;;
        esac
    done
else
    for d in "$top_srcdir"/tests/fsck/h_*/; do cases+=("$(basename "$d")"); done
    for d in "$top_srcdir"/tests/fsck/[fj]_*/; do fscases+=("$(basename "$d")"); done
fi

for c in "${cases[@]}"; do
    src="$top_srcdir/tests/fsck/$c"
    work="$TMP/$c"
    mkdir -p "$work"
    if ! "$MKIMAGE" "$src/recipe" "$work/image" 2>"$work/mk.err"; then
        sed 's/^/# /' "$work/mk.err"
        result 1 "$c: build the image from its recipe"
        continue
    fi
    sum_before=$(cksum <"$work/image")
    scan "$work" --scan image
    transcript "$work" >"$work/expect.1"
    if [ $update -eq 1 ]; then
        cp "$work/expect.1" "$src/expect.1"
        result 0 "$c: expect.1 updated ($(head -n1 "$src/name"))"
    else
        diff -u "$src/expect.1" "$work/expect.1" | sed 's/^/# /'
        result "${PIPESTATUS[0]}" "$c: $(head -n1 "$src/name")"
    fi
    grep -q '^scanning clusters: 100%$' "$work/err"
    result $? "$c: plain progress lines when stderr is not a terminal"
    # second pass: the same report, and the image untouched
    scan "$work" --scan image
    transcript "$work" >"$work/expect.2"
    cmp -s "$work/expect.1" "$work/expect.2" && [ "$(cksum <"$work/image")" = "$sum_before" ]
    result $? "$c: a second scan reports the same and the image file is unchanged"

    # JSON: valid, format_version first, the figures of the text
    status_text=$(tail -n1 "$work/expect.1" | awk '{print $NF}')
    cp "$work/out" "$work/text"
    scan "$work" --scan --json image
    [ "$rc" -eq "$status_text" ]
    result $? "$c: --json exits as the text report does ($status_text)"
    if [ $have_python -eq 1 ]; then
        python3 -m json.tool "$work/out" >/dev/null
        result $? "$c: --json passes python3 -m json.tool"
        python3 - "$work/out" "$work/text" "$rc" <<'PY'
import json, re, sys
raw = open(sys.argv[1]).read()
d = json.loads(raw)
text = open(sys.argv[2]).read()
assert raw.splitlines()[1].strip().startswith('"format_version": 1'), "format_version first"
assert d["result"]["exit_status"] == int(sys.argv[3])
labels = {"far": "L0 (far)", "near": "L1 (near)"}
for L in d["layers"]:
    block = text.split("  " + labels[L["layer"]] + "  ", 1)[1]
    head = block.splitlines()[0]
    assert head.endswith(": " + L["verdict"]), (head, L["verdict"])
    m = re.search(r"symbol error rate (\S+) \(worst \d+-cluster window (\S+);", block)
    assert m and m.group(1) == "%.2e" % L["total"]["ser"], (m.group(1), L["total"]["ser"])
    assert m.group(2) == "%.2e" % L["ser_window_max"]
    m = re.search(r"cycles min (\d+), median (\d+), p99 (\d+), max (\d+)", block)
    if L["written"]:
        assert [int(x) for x in m.groups()] == [L["cycles"][k] for k in ("min", "median", "p99", "max")]
    m = re.search(r"(\d+) uncorrectable\n", block)
    assert int(m.group(1)) == L["total"]["uncorrectable"]
    assert sum(z["clusters"] for z in L["zones"]) == L["total"]["clusters"] == L["written"]
    assert sum(L["total"]["histogram"].values()) == 304 * L["written"] or L["total"]["uncorrectable"]
    for r in L["reasons"]:
        assert ("because     " + r) in block, r
assert len(d["unreadable"]) == sum(L["total"]["uncorrectable"] for L in d["layers"])
PY
        result $? "$c: the JSON carries the text report's figures"
    else
        skip "$c: --json passes python3 -m json.tool" "python3 not installed"
        skip "$c: the JSON carries the text report's figures" "python3 not installed"
    fi

    # the map, as PNG and SVG
    scan "$work" --scan --map map.png image
    [ "$rc" -eq "$status_text" ] && [ -s "$work/map.png" ]
    result $? "$c: --map map.png"
    scan "$work" --scan --map map.svg image
    [ "$rc" -eq "$status_text" ] && [ -s "$work/map.svg" ]
    result $? "$c: --map map.svg"
    if [ $have_python -eq 1 ]; then
        python3 - "$work/map.png" "$work/map.svg" <<'PY'
import struct, sys, zlib
import xml.etree.ElementTree as ET
png = open(sys.argv[1], "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n", "signature"
pos, chunks = 8, []
while pos < len(png):
    (length,) = struct.unpack(">I", png[pos:pos + 4])
    ctype, data = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
    (crc,) = struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])
    assert zlib.crc32(ctype + data) == crc, "CRC of " + ctype.decode()
    chunks.append((ctype, data))
    pos += 12 + length
assert [c[0] for c in chunks] == [b"IHDR", b"IDAT", b"IEND"], [c[0] for c in chunks]
w, h, depth, ctype, comp, filt, lace = struct.unpack(">IIBBBBB", chunks[0][1])
assert (depth, ctype, comp, filt, lace) == (8, 2, 0, 0, 0)
raw = zlib.decompress(chunks[1][1])
assert len(raw) == h * (1 + 3 * w)
rows = [raw[y * (1 + 3 * w):(y + 1) * (1 + 3 * w)] for y in range(h)]
assert all(r[0] == 0 for r in rows)
colours = set()
for r in rows:
    for x in range(1, len(r), 3):
        colours.add(r[x:x + 3])
assert len(colours) > 10, "a picture, not a blank"
svg = ET.parse(sys.argv[2]).getroot()
ns = "{http://www.w3.org/2000/svg}"
texts = [t.text or "" for t in svg.iter(ns + "text")]
assert any(t.startswith("L0 (far)") for t in texts) and any(t.startswith("L1 (near)") for t in texts)
assert "radius (mm)" in texts and "margin (parity symbols left)" in texts
assert len(list(svg.iter(ns + "circle"))) > 1
PY
        result $? "$c: the PNG is well formed (CRCs, IHDR, IDAT) and the SVG parses, with both layers"
    else
        skip "$c: the PNG and SVG are well formed" "python3 not installed"
    fi
done

# ---- filesystem cases: -n changes nothing; repair pass; second pass ----------------
for c in "${fscases[@]}"; do
    src="$top_srcdir/tests/fsck/$c"
    work="$TMP/$c"
    mkdir -p "$work"
    if ! "$MKIMAGE" "$src/recipe" "$work/image" 2>"$work/mk.err"; then
        sed 's/^/# /' "$work/mk.err"
        result 1 "$c: build the image from its recipe"
        continue
    fi
    # one verdict: a read-write mount works exactly when fsck -p leaves no bit 4
    cp "$work/image" "$work/m0"
    cp "$work/image" "$work/mp"
    cp "$work/image" "$work/my"
    m0=$("$MOUNTCHECK" "$work/m0")
    m0rc=$?
    scan "$work" -p mp
    prc=$rc
    mp=$("$MOUNTCHECK" "$work/mp")
    mprc=$?
    scan "$work" -y my
    yrc=$rc
    my=$("$MOUNTCHECK" "$work/my")
    myrc=$?
    want=0
    [ $((prc & 4)) -eq 0 ] || want=1
    [ "$m0rc" -eq "$want" ] && [ "$mprc" -eq "$want" ]
    result $? "$c: mounts read-write exactly when fsck -p exits without bit 4 (fsck -p $prc; as built: $m0; preened: $mp)"
    [ "$myrc" -eq 0 ] && [ $((yrc & 8)) -eq 0 ]
    result $? "$c: mounts read-write after fsck -y (exit $yrc: $my)"
    rm -f "$work/m0" "$work/mp" "$work/my"
    json=()
    case $c in j_*) json=(--json) ;; esac
    opts=(-y -f)
    [ -f "$src/opts" ] && read -r -a opts <"$src/opts"
    sum_before=$(cksum <"$work/image")
    scan "$work" -n -f "${json[@]}" image
    [ "$(cksum <"$work/image")" = "$sum_before" ]
    result $? "$c: -n leaves the image file unchanged (exit $rc)"
    for pass in 1 2; do
        if [ $pass -eq 1 ]; then
            scan "$work" "${opts[@]}" "${json[@]}" image
            if [ $((rc & 1)) -eq 1 ]; then
                cp "$work/image" "$work/m1"
                m1=$("$MOUNTCHECK" "$work/m1")
                result $? "$c: mounts read-write after its repair pass (exit $rc: $m1)"
                rm -f "$work/m1"
            fi
        else
            scan "$work" -n -f "${json[@]}" image
        fi
        transcript "$work" >"$work/expect.$pass"
        if [ ${#json[@]} -gt 0 ] && [ $have_python -eq 1 ]; then
            python3 - "$work/out" "$rc" <<'PY'
import json, sys
raw = open(sys.argv[1]).read()
d = json.loads(raw)
assert raw.splitlines()[1].strip().startswith('"format_version": 1'), "format_version first"
assert d["result"]["exit_status"] == int(sys.argv[2])
for p in d["filesystem"]["problems"]:
    assert set(p) >= {"class", "path", "inode", "lcn", "detail", "repairable", "repaired"}
PY
            result $? "$c: pass $pass --json parses, format_version first, exit status carried"
        fi
        if [ $update -eq 1 ]; then
            cp "$work/expect.$pass" "$src/expect.$pass"
            result 0 "$c: expect.$pass updated ($(head -n1 "$src/name"))"
        else
            diff -u "$src/expect.$pass" "$work/expect.$pass" | sed 's/^/# /'
            result "${PIPESTATUS[0]}" "$c: pass $pass: $(head -n1 "$src/name")"
        fi
    done
done

# ---- one case through a real FUSE mount: the daemon refuses what fsck reports ------
if [ -f "$TMP/f_log_no_end/image" ] && [ -c /dev/fuse ] && [ -x "$PHASEFS" ]; then
    d="$TMP/fuse"
    mkdir -p "$d/mnt"
    FUSE_MNT="$d/mnt"
    "$MKIMAGE" "$top_srcdir/tests/fsck/f_log_no_end/recipe" "$d/image" 2>"$d/mk.err"
    timeout 60 "$PHASEFS" "$d/image" "$d/mnt" -f >"$d/out" 2>"$d/err"
    drc=$?
    [ "$drc" -ne 0 ] && [ "$drc" -ne 124 ] && tail -n1 "$d/err" | grep -q 'run fsck.phasefs' &&
        ! grep -q " $d/mnt fuse" /proc/mounts
    result $? "FUSE: the daemon refuses the overlong log, its last line says to run fsck.phasefs (exit $drc: $(tail -n1 "$d/err"))"
    scan "$d" -y image
    "$PHASEFS" "$d/image" "$d/mnt" -f 2>>"$d/err" &
    dpid=$!
    for _ in $(seq 1 200); do
        grep -q " $d/mnt fuse" /proc/mounts && break
        kill -0 "$dpid" 2>/dev/null || break
        sleep 0.05
    done
    ls "$d/mnt/docs" >"$d/ls" 2>&1 && echo new >"$d/mnt/new.txt" && sync "$d/mnt/new.txt"
    lrc=$?
    fusermount3 -u "$d/mnt" 2>/dev/null || umount "$d/mnt" 2>/dev/null
    wait "$dpid"
    wrc=$?
    [ "$lrc" -eq 0 ] && [ "$wrc" -eq 0 ] && [ "$(tr '\n' ' ' <"$d/ls")" = "a.txt big.bin old " ]
    result $? "FUSE: after fsck -y (exit $rc) the daemon mounts it read-write and shows the files ($(tr '\n' ' ' <"$d/ls"))"
    scan "$d" -n -f image
    [ "$rc" -eq 0 ]
    result $? "FUSE: fsck is clean after that mount (exit $rc)"
else
    skip "FUSE: the daemon and fsck agree on the overlong log" "no /dev/fuse or no phasefs"
fi

# ---- usage and bad input: one-line errors, documented exit codes -------------------
if [ ${#cases[@]} -gt 0 ] && [ -f "$TMP/${cases[0]}/image" ]; then
    img="$TMP/${cases[0]}/image"
    e="$TMP/e"
    mkdir -p "$e"
    cp "$img" "$e/image"
    scan "$e" image
    [ "$rc" -eq 8 ] && [ "$(cat "$e/err")" = "fsck.phasefs: image: no phasefs filesystem on this medium (--scan checks the layers of any medium)" ] && [ ! -s "$e/out" ]
    result $? "without --scan, a medium without a filesystem: one line, exit 8"
    scan "$e" --map map.png image
    [ "$rc" -eq 16 ] && [ "$(wc -l <"$e/err")" -eq 1 ]
    result $? "--map without --scan: one line, exit 16"
    scan "$e"
    [ "$rc" -eq 16 ] && [ "$(wc -l <"$e/err")" -eq 1 ]
    result $? "no IMAGE: one line, exit 16"
    scan "$e" --scan -n -y image
    [ "$rc" -eq 16 ] && [ "$(wc -l <"$e/err")" -eq 1 ]
    result $? "-n with -y: one line, exit 16"
    scan "$e" --scan --map map.gif image
    [ "$rc" -eq 16 ] && [ "$(wc -l <"$e/err")" -eq 1 ]
    result $? "--map with an unknown kind: one line, exit 16"
    scan "$e" --scan --bogus image
    [ "$rc" -eq 16 ]
    result $? "an unknown option: exit 16"
    scan "$e" --scan missing.img
    [ "$rc" -eq 8 ] && [ "$(wc -l <"$e/err")" -eq 1 ] && grep -q '^fsck.phasefs: missing.img: ' "$e/err"
    result $? "a missing image: one line naming it, exit 8"
    head -c 100000 /dev/urandom >"$e/garbage"
    scan "$e" --scan garbage
    [ "$rc" -eq 8 ] && [ "$(wc -l <"$e/err")" -eq 1 ]
    result $? "a file that is no image: one line, exit 8"
    scan "$e" --scan --map /nonexistent/dir/map.png image
    [ $((rc & 8)) -eq 8 ] && grep -q 'cannot write the map' "$e/err"
    result $? "an unwritable map: one line, exit bit 8"
    if [ -f "$TMP/f_clean/image" ]; then
        scan "$TMP/f_clean" -n --path /no/such image
        [ "$rc" -eq 8 ] && [ "$(wc -l <"$TMP/f_clean/err")" -eq 1 ] && [ ! -s "$TMP/f_clean/out" ]
        result $? "--path naming nothing: one line, exit 8"
    fi
    scan "$e" --help
    [ "$rc" -eq 0 ] && grep -q -- '--scan' "$e/out"
    result $? "--help to stdout, exit 0"
fi
echo "1..$n"
[ "$failed" -eq 0 ]
