#!/bin/bash
# phasectl_lifetest.sh — phasectl lifetest on real (small, sparse) images: a directory
# data set whose manifest b2sum verifies independently; ageing at 80 C / 85 % RH that
# loses files, cross-checked by fsck.phasefs's own fixity pass on the same image; N
# discs whose shards merge into the report of the whole run byte for byte (by hand,
# through GNU parallel as the README shows, and through the Slurm array script); and
# bad input as one line with its code.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
FSCK="$top_builddir/fsck.phasefs"
export NO_PROGRESS=1

have_python=0
command -v python3 >/dev/null 2>&1 && have_python=1
# py DESCRIPTION SCRIPT ARGS...: a python3 assertion as one TAP line
py() {
    local desc=$1
    shift
    if [ $have_python -eq 0 ]; then
        tap_skip "$desc" "python3 not installed"
        return
    fi
    python3 -c "$@"
    tap_result $? "$desc"
}

# ---- a directory data set, fresh and young: nothing lost, manifest verifiable --------
DATA="$TEST_TMP/data"
mkdir -p "$DATA/sub/deeper"
head -c 200000 /dev/urandom >"$DATA/a.bin"
head -c 70000 /dev/urandom >"$DATA/sub/b.bin"
echo "small" >"$DATA/sub/deeper/c.txt"
: >"$DATA/empty"
ln -s a.bin "$DATA/link"
expect_exit 0 "lifetest of a directory at 25 C / 50 % RH" -- "$PHASECTL" lifetest -s 4M \
    --schedule 0,1,2y --celsius 25 --rh 50 --manifest "$TEST_TMP/manifest" \
    --json "$TEST_TMP/dir.json" --csv "$TEST_TMP/dir.csv" "$DATA"
expect_grep "$OUT" "data set: 4 files, 270006 bytes \(directory" \
    "the table names the data set (regular files only, the symlink skipped)"
json_check "$TEST_TMP/dir.json" "the JSON report is valid"
expect_grep "$TEST_TMP/dir.json" '^  "format_version": 1,' "the JSON report carries format_version"
(cd "$DATA" && b2sum -l 256 -c --quiet "$TEST_TMP/manifest") >"$TEST_TMP/b2" 2>&1
tap_result $? "b2sum -l 256 verifies the fixity manifest against the host files"
py "no file lost, every fixity xattr equals the manifest, the data set's clusters read" "
import json, sys
d = json.load(open(sys.argv[1]))
for s in d['discs'][0]['steps']:
    assert s['mounted'] and s['files_lost'] == 0 and s['bytes_lost'] == 0, s
    assert s['xattr_mismatch'] == 0, s
    # 200000 and 70000 bytes take at least 4 + 2 clusters of 64 KiB
    assert sum(L['clusters'] for L in s['layers']) >= 6, s
    assert all(L['uncorrectable'] == 0 for L in s['layers']), s
assert d['discs'][0]['first_loss_s'] is None
" "$TEST_TMP/dir.json"
expect_exit 0 "CSV: one header and a row per step and layer" -- \
    test "$(wc -l <"$TEST_TMP/dir.csv")" -eq 7

# ---- ageing that loses files, against fsck.phasefs on the same image -----------------
# The schedule is in units of the far layer's median life to stack damage D = 1 at
# 80 C / 85 % RH, L, read from the model (phasectl info after one day of ageing), so
# the test follows the ageing calibration instead of hard-coding it.
IMG="$TEST_TMP/disc.img"
"$PHASECTL" create -s 4M --seed 1 "$IMG" >/dev/null
"$PHASECTL" age "$IMG" --days 1 --celsius 80 --rh 85 >/dev/null
"$PHASECTL" info "$IMG" --json >"$TEST_TMP/info.json"
L_D=$(python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
accel = d['clock']['env_equiv_s'][0] / d['clock']['sim_s']
print('%.6g' % (d['layers'][0]['env_life_s'] / accel / 86400))
" "$TEST_TMP/info.json" 2>/dev/null || echo 40)
sched() { python3 -c "import sys; print(','.join('%.6g' % (float(k) * $L_D) for k in sys.argv[1:]) + 'd')" "$@"; }
expect_exit 0 "lifetest ages 80 C / 85 % RH from 0 to 4 L (L = $L_D days) until files are lost" -- \
    "$PHASECTL" lifetest -s 4M --seed 1 --generate 2M --files 10 \
    --schedule "$(sched 0 2 3 3.5 4)" --celsius 80 --rh 85 --json "$TEST_TMP/hot.json"
py "losses start after t=0, grow with time, and follow the rising SER of the far layer" "
import json, sys
d = json.load(open(sys.argv[1]))
st = d['discs'][0]['steps']
lost = [s['files_lost'] for s in st]
assert lost[0] == 0 and lost[-1] > 0, lost
assert lost == sorted(lost), lost
# (once clusters fail, their undecodable codewords no longer count: compare before)
ser = [s['layers'][0]['ser_mean'] for s in st if s['scanned'] and not s['layers'][0]['uncorrectable']]
assert ser == sorted(ser) and ser[-1] > 2e-4 > ser[0], ser
# on a mounted disc a file is lost only where a cluster failed, which costs its bytes
for s in st:
    if s['mounted']:
        unc = sum(L['uncorrectable'] for L in s['layers'])
        assert (s['files_lost'] > 0) == (unc > 0), s
        assert s['bytes_lost'] <= unc * 65536, s
    else:
        assert s['files_lost'] == 10 and s['bytes_lost'] == 2097152, s
first = next(s for s, x in zip(d['campaign']['schedule'], st) if x['files_lost'])
assert d['discs'][0]['first_loss_s'] == first['t_s']
" "$TEST_TMP/hot.json"
# the last step that still mounted with files lost, aged again on a given image
UNTIL=$(python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
st = d['discs'][0]['steps']
ts = [x['t_s'] for x, s in zip(d['campaign']['schedule'], st) if s['mounted'] and s['files_lost']]
print(ts[-1] if ts else '')
" "$TEST_TMP/hot.json" 2>/dev/null)
if [ -n "$UNTIL" ]; then
    "$PHASECTL" create -s 4M --seed 1 --force "$IMG" >/dev/null
    expect_exit 0 "lifetest --image to the last step that mounted with losses" -- \
        "$PHASECTL" lifetest --image "$IMG" --generate 2M --files 10 \
        --schedule "0,${UNTIL}s" --celsius 80 --rh 85 --json "$TEST_TMP/img.json"
    "$FSCK" -n -f --json "$IMG" >"$TEST_TMP/fsck.json" 2>/dev/null
    py "fsck.phasefs's fixity pass finds as many damaged files as lifetest on that image" "
import json, sys
lt = json.load(open(sys.argv[1]))['discs'][0]['steps'][-1]['files_lost']
fs = json.load(open(sys.argv[2]))['filesystem']['problems']
paths = {p['path'] for p in fs if p['class'] in ('unreadable-data', 'fixity')}
assert lt > 0 and len(paths) == lt, (lt, paths)
" "$TEST_TMP/img.json" "$TEST_TMP/fsck.json"
else
    tap_skip "lifetest --image to the last step that mounted with losses" "no such step"
    tap_skip "fsck.phasefs's fixity pass finds as many damaged files as lifetest on that image" "no such step"
fi

# ---- N discs, shards, merge ---------------------------------------------------------
RUN=(-s 4M --generate 1M --files 6 --schedule "$(sched 0 1.5 2.5)" --celsius 80 --rh 85 --seed 21)
expect_exit 0 "four discs in one run" -- "$PHASECTL" lifetest "${RUN[@]}" --discs 4 \
    --json "$TEST_TMP/all.json"
expect_grep "$OUT" "time to first file lost: [0-4] of 4 discs" "the table gives the first-loss distribution"
py "discs have seeds S..S+3 and the summary's median is that of their first losses" "
import json, sys, statistics
d = json.load(open(sys.argv[1]))
assert [x['seed'] for x in d['discs']] == [21, 22, 23, 24]
v = sorted(float('inf') if x['first_loss_s'] is None else x['first_loss_s'] for x in d['discs'])
med = (v[1] + v[2]) / 2
got = d['summary']['first_loss']['median_s']
assert (got is None and med == float('inf')) or got == med, (got, v)
" "$TEST_TMP/all.json"
expect_exit 0 "shard 1/2" -- "$PHASECTL" lifetest "${RUN[@]}" --discs 4 --shard 1/2 \
    --json "$TEST_TMP/s1.json" -q
expect_exit 0 "shard 2/2" -- "$PHASECTL" lifetest "${RUN[@]}" --discs 4 --shard 2/2 \
    --json "$TEST_TMP/s2.json" -q
py "shard 1/2 ran discs 0 and 2" "
import json, sys
assert [x['index'] for x in json.load(open(sys.argv[1]))['discs']] == [0, 2]
" "$TEST_TMP/s1.json"
expect_exit 0 "merge the shards" -- "$PHASECTL" lifetest merge --json "$TEST_TMP/merged.json" \
    "$TEST_TMP/s2.json" "$TEST_TMP/s1.json"
expect_exit 0 "the merged report is the whole run's, byte for byte" -- \
    cmp "$TEST_TMP/all.json" "$TEST_TMP/merged.json"
expect_exit 2 "merge with a shard missing is refused" -- "$PHASECTL" lifetest merge \
    --json "$TEST_TMP/part.json" "$TEST_TMP/s1.json"
expect_one_line "$ERR" "the refusal is one line"
expect_exit 1 "and writes no report" -- test -e "$TEST_TMP/part.json"
expect_exit 2 "merge with a shard given twice is refused" -- "$PHASECTL" lifetest merge \
    "$TEST_TMP/s1.json" "$TEST_TMP/s1.json" "$TEST_TMP/s2.json"
"$PHASECTL" lifetest "${RUN[@]}" --discs 3 --shard 1/2 --json "$TEST_TMP/other.json" -q
expect_exit 2 "merge refuses a shard of another campaign" -- "$PHASECTL" lifetest merge \
    "$TEST_TMP/s1.json" "$TEST_TMP/other.json"
expect_exit 2 "merge refuses a file that is no report" -- "$PHASECTL" lifetest merge "$TEST_TMP/manifest"
expect_one_line "$ERR" "that refusal is one line"

if command -v parallel >/dev/null 2>&1; then
    # the README's recipe: one shard per job slot, then merge
    (cd "$TEST_TMP" && parallel --will-cite -j 2 "$PHASECTL" lifetest "${RUN[@]}" --discs 4 \
        --shard {}/3 --json par{}.json -q ::: 1 2 3 &&
        "$PHASECTL" lifetest merge --json par.json par1.json par2.json par3.json -q)
    tap_result $? "GNU parallel runs three shards and merge combines them"
    expect_exit 0 "the parallel campaign equals the single run" -- cmp "$TEST_TMP/all.json" "$TEST_TMP/par.json"
else
    tap_skip "GNU parallel runs three shards and merge combines them" "parallel not installed"
fi

# the Slurm job array script, run as its tasks would be (no Slurm needed)
(cd "$TEST_TMP" && for k in 1 2; do
    SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_COUNT=2 PHASECTL="$PHASECTL" \
        LIFETEST_ARGS="${RUN[*]} --discs 4" bash "$top_srcdir/contrib/lifetest.sbatch" || exit 1
done && "$PHASECTL" lifetest merge --json slurm.json shard-1.json shard-2.json -q)
tap_result $? "contrib/lifetest.sbatch runs one shard per array task"
expect_exit 0 "the job array's merged campaign equals the single run" -- \
    cmp "$TEST_TMP/all.json" "$TEST_TMP/slurm.json"

# ---- a schedule file with varying conditions ----------------------------------------
printf '# time celsius rh\n0 25 50\n30d 80 85   # a hot month\n1y 25 50\n' >"$TEST_TMP/sched"
expect_exit 0 "a schedule file with varying conditions" -- "$PHASECTL" lifetest -s 4M \
    --generate 512K --files 3 --schedule-file "$TEST_TMP/sched" --json "$TEST_TMP/sf.json" -q
py "the report keeps each step's conditions" "
import json, sys
s = json.load(open(sys.argv[1]))['campaign']['schedule']
assert [(x['t_s'], x['celsius'], x['rh']) for x in s] == [(0, 25, 50), (30 * 86400, 80, 85), (31557600, 25, 50)], s
" "$TEST_TMP/sf.json"

# ---- bad input: one line, the documented code, no report ----------------------------
bad() { # CODE DESCRIPTION ARGS...
    local code=$1 desc=$2
    shift 2
    rm -f "$TEST_TMP/bad.json"
    expect_exit "$code" "$desc" -- "$PHASECTL" lifetest "$@" --json "$TEST_TMP/bad.json"
    expect_one_line "$ERR" "$desc: one line"
    test ! -e "$TEST_TMP/bad.json"
    tap_result $? "$desc: no report written"
}
bad 2 "a schedule going backwards" -s 4M --generate 1M --files 2 --schedule 0,5,2y
bad 2 "humidity above 100 %" -s 4M --generate 1M --files 2 --rh 120
mkdir "$TEST_TMP/none"
bad 2 "an empty data set directory" -s 4M "$TEST_TMP/none"
bad 2 "an empty generated data set" -s 4M --generate 0 --files 2
bad 4 "a data set larger than the disc" -s 2M --generate 8M --files 4
expect_grep "$ERR" "does not fit.*nothing was written" "the full disc says nothing was written"
printf '0 25 50\n1y hot 50\n' >"$TEST_TMP/badsched"
bad 2 "a malformed schedule file row" -s 4M --generate 1M --files 2 --schedule-file "$TEST_TMP/badsched"
expect_grep "$ERR" "badsched:2:" "the malformed row is named by file:line"
bad 2 "a bad shard" -s 4M --generate 1M --files 2 --discs 2 --shard 3/2

tap_done
