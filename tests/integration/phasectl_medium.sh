#!/bin/bash
# phasectl_medium.sh — create, info, age and inject on real image files: the summary
# is printed, errors are one line with the documented exit code, a corrupt or
# truncated image is refused cleanly, and a full-size (25 GB/layer) image is sparse.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

IMG="$TEST_TMP/small.img"
expect_exit 0 "create a 16M-per-layer medium" -- "$PHASECTL" create -s 16M "$IMG"
expect_grep "$OUT" "2 layers x 256 clusters" "create reports the geometry"
expect_exit 3 "create refuses to replace an image without --force" -- "$PHASECTL" create -s 16M "$IMG"
expect_one_line "$ERR" "the refusal is one line"
expect_exit 0 "create --force replaces it" -- "$PHASECTL" create --force -s 16M --seed 7 "$IMG"
expect_exit 2 "a size that is not a multiple of 64K is bad input" -- "$PHASECTL" create -s 100000 "$TEST_TMP/x.img"
expect_exit 2 "a missing profile is bad input" -- "$PHASECTL" create -p "$TEST_TMP/none.profile" "$TEST_TMP/x.img"

expect_exit 0 "info on a fresh medium" -- "$PHASECTL" info "$IMG"
expect_grep "$OUT" "L0 \(far\)" "info shows the far layer"
expect_grep "$OUT" "L1 \(near\)" "info shows the near layer"
expect_grep "$OUT" "seed 7" "info shows the seed given at creation"
expect_exit 0 "info --json" -- "$PHASECTL" info "$IMG" --json
json_check "$OUT" "info --json is valid JSON"
expect_grep "$OUT" '"format_version": 1' "info --json carries format_version"

expect_exit 0 "age 10 years at 80 C" -- "$PHASECTL" age "$IMG" --years 10 --celsius 80
expect_exit 0 "info after ageing" -- "$PHASECTL" info "$IMG" --json
# The far layer's lower activation energy makes its equivalent age at 25 C smaller
# than the near layer's for the same heat (Ea 2.5 vs 2.8 eV): both far above 10 years.
python_ok=0
if command -v python3 >/dev/null 2>&1; then
    python3 - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
far, near = d["clock"]["equiv_s"]
year = 31557600.0
assert abs(d["clock"]["sim_s"] - 10 * year) < 1, d["clock"]
assert near > far > 10 * year, (far, near)
PY
    python_ok=$?
    tap_result $python_ok "ageing moves each layer's equivalent clock by its own Arrhenius factor"
else
    tap_skip "ageing moves each layer's equivalent clock by its own Arrhenius factor" "no python3"
fi
expect_exit 2 "age at 500 C is refused" -- "$PHASECTL" age "$IMG" --years 1 --celsius 500
expect_exit 2 "age at 120 % RH is refused" -- "$PHASECTL" age "$IMG" --years 1 --rh 120
expect_exit 2 "age at a humidity that is not a number is refused" -- "$PHASECTL" age "$IMG" --years 1 --rh damp
expect_exit 0 "age 3 weeks at 80 C / 85 % RH" -- "$PHASECTL" age "$IMG" --days 21 --celsius 80 --rh 85
expect_grep "$OUT" "85 % RH" "age reports the humidity it aged at"
expect_exit 0 "info after humid ageing" -- "$PHASECTL" info "$IMG" --json
if [ "$python_ok" = 0 ] && command -v python3 >/dev/null 2>&1; then
    python3 - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["clock"]
assert c["humidity_pct"] == 85 and c["temperature_c"] == 80, c
assert min(c["env_equiv_s"]) > 0, c
PY
    tap_result $? "humid ageing moves the environmental accounts and records the humidity"
else
    tap_skip "humid ageing moves the environmental accounts and records the humidity" "no python3"
fi
expect_exit 2 "age without a duration is a usage error" -- "$PHASECTL" age "$IMG" --celsius 40

expect_exit 0 "inject a scratch" -- "$PHASECTL" inject "$IMG" scratch --radius 30:40 --angle 10:12 --width 50
expect_exit 0 "inject dust" -- "$PHASECTL" inject "$IMG" dust --radius 35 --angle 90 --diameter 200
expect_exit 0 "inject defects" -- "$PHASECTL" inject "$IMG" defects --count 20 --length 100 --layers far
expect_exit 0 "info counts the faults" -- "$PHASECTL" info "$IMG"
expect_grep "$OUT" "[1-9][0-9]* injected faults" "the faults are recorded in the image"
expect_exit 2 "a scratch off the disc is refused" -- "$PHASECTL" inject "$IMG" scratch --radius 70:80 --angle 0:1 --width 5
expect_exit 2 "an unknown fault is a usage error" -- "$PHASECTL" inject "$IMG" meteor

# Corruption: damage both header slots -> exit 3, one line.
cp "$IMG" "$TEST_TMP/corrupt.img"
printf 'garbage-garbage-garbage' | dd of="$TEST_TMP/corrupt.img" bs=1 seek=0 conv=notrunc 2>/dev/null
printf 'garbage-garbage-garbage' | dd of="$TEST_TMP/corrupt.img" bs=1 seek=4096 conv=notrunc 2>/dev/null
expect_exit 3 "an image with both headers destroyed is refused" -- "$PHASECTL" info "$TEST_TMP/corrupt.img"
expect_one_line "$ERR" "the refusal is one line"
cp "$IMG" "$TEST_TMP/trunc.img"
truncate -s 20000 "$TEST_TMP/trunc.img"
expect_exit 3 "a truncated image is refused" -- "$PHASECTL" info "$TEST_TMP/trunc.img"
expect_one_line "$ERR" "the refusal is one line"
: >"$TEST_TMP/empty.img"
expect_exit 3 "an empty file is refused" -- "$PHASECTL" info "$TEST_TMP/empty.img"
expect_exit 3 "a missing image is refused" -- "$PHASECTL" info "$TEST_TMP/none.img"
expect_grep "$ERR" "phasectl create" "the error says how to make one"

# The real capacity: 25,025,314,816 B per layer, created quickly, sparse on disk.
FULL="$TEST_TMP/full.img"
expect_exit 0 "create a full-size medium (25 GB per layer)" -- "$PHASECTL" create "$FULL"
expect_grep "$OUT" "381856 clusters" "the full-size medium has 381,856 clusters per layer"
alloc_kb=$(du -k "$FULL" | cut -f1)
tap_result $((alloc_kb > 100000)) "the full-size image is sparse ($alloc_kb KiB allocated)"
expect_exit 0 "info on the full-size medium" -- "$PHASECTL" info "$FULL"

for cmd in create info age inject "profile"; do
    expect_exit 0 "phasectl $cmd --help" -- "$PHASECTL" $cmd --help
done
tap_done
