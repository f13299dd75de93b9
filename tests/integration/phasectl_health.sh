#!/bin/bash
# phasectl_health.sh — the health verdict as every phasectl report shows it, on real
# images built by tests/fsck/mkimage from the fsck golden recipes: `phasectl health`
# exits with its documented bits (0 good, 4 degrading, 8 failing, 16 first loss within
# --within years, 32 data lost; 1 usage, 2 unreadable), `info` and `stats` carry the same
# verdict (a dead layer is "failing" with its uncorrectable count, never "within
# limits"), and every JSON document is valid against its schema in doc/schema/.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
MKIMAGE="$top_builddir/tests/fsck/mkimage"
export PHASEFS_PROGRESS_DELAY=0 NO_PROGRESS=1

for c in h_fresh h_aged_far h_dead_layer h_dma_lost; do
    "$MKIMAGE" "$top_srcdir/tests/fsck/$c/recipe" "$TEST_TMP/$c.img" 2>"$ERR" ||
        { sed 's/^/# /' "$ERR"; tap_result 1 "$c: build the image"; }
done

expect_exit 0 "health of a fresh medium: exit 0" -- "$PHASECTL" health "$TEST_TMP/h_fresh.img"
expect_grep "$OUT" "^Health of .*h_fresh.img: good$" "the verdict line says good"
expect_grep "$ERR" "^scanning clusters: 100%$" "the scan shows its progress"
expect_exit 0 "health --json of a fresh medium" -- "$PHASECTL" health --json "$TEST_TMP/h_fresh.img"
schema_check "$OUT" phasectl-health.json "health --json is valid against doc/schema/phasectl-health.json"

expect_exit 4 "an aged far layer: exit 4 (degrading)" -- "$PHASECTL" health "$TEST_TMP/h_aged_far.img"
expect_grep "$OUT" "exit status 4: degrading" "the bits are named in the text"
expect_exit 20 "with a horizon past the projected first loss: 4 + 16" -- \
    "$PHASECTL" health --within 1e7 "$TEST_TMP/h_aged_far.img"

expect_exit 56 "a dead far layer: failing + first loss now + data lost (8 + 16 + 32)" -- \
    "$PHASECTL" health "$TEST_TMP/h_dead_layer.img"
expect_exit 56 "health --json exits the same" -- "$PHASECTL" health --json -v "$TEST_TMP/h_dead_layer.img"
schema_check "$OUT" phasectl-health.json "health --json -v of a dead layer is valid against the schema"
if [ -n "$SCHEMA_PY" ]; then
    "$SCHEMA_PY" - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["exit_status"] == 56 and d["exit_bits"] == ["failing", "first-loss-soon", "data-lost"]
far = [L for L in d["health"]["layers"] if L["layer"] == "far"][0]
assert far["verdict"] == "failing"
assert far["total"]["ser"] is None and far["total"]["ser_unmeasured"].startswith("no cluster decoded")
assert far["ser_window_max"] is None
assert far["total"]["uncorrectable"] == far["written"] == len(d["health"]["unreadable"])
assert all(u["cause"] == "defect" for u in d["health"]["unreadable"]), "the medium's defect bursts"
PY
    tap_result $? "a dead layer's SER is null with its reason, every lost cluster has its cause"
fi

expect_exit 0 "info on the dead layer" -- "$PHASECTL" info "$TEST_TMP/h_dead_layer.img"
expect_grep "$OUT" "health      failing \(surface scan of 28 written clusters" "info: the far layer is failing"
expect_grep "$OUT" "because 28 of 28 written clusters uncorrectable" "info: with its uncorrectable count"
! grep -q "within limits" "$OUT"
tap_result $? "info never says 'within limits' of a dead layer"
expect_exit 0 "info --json on the dead layer" -- "$PHASECTL" info --json "$TEST_TMP/h_dead_layer.img"
schema_check "$OUT" phasectl-info.json "info --json is valid against doc/schema/phasectl-info.json"
grep -q '"verdict": "failing"' "$OUT"
tap_result $? "info --json: the same verdict"
expect_exit 0 "stats on the dead layer" -- "$PHASECTL" stats "$TEST_TMP/h_dead_layer.img"
expect_grep "$OUT" "^  health        failing" "stats: the same verdict"
expect_exit 0 "stats --json" -- "$PHASECTL" stats --json "$TEST_TMP/h_dead_layer.img"
schema_check "$OUT" phasectl-stats.json "stats --json is valid against doc/schema/phasectl-stats.json"

expect_exit 8 "all DMA copies lost: failing (8), the scan complete" -- \
    "$PHASECTL" health "$TEST_TMP/h_dma_lost.img"
expect_grep "$OUT" "because     all 4 defect management copies lost" "the lost copies are the finding"
expect_exit 0 "info on the DMA-lost medium still reports" -- "$PHASECTL" info "$TEST_TMP/h_dma_lost.img"
expect_grep "$OUT" "^  health        failing \(defect management copies lost\)" "info: failing, and why"

expect_exit 1 "health without IMAGE: exit 1" -- "$PHASECTL" health
expect_one_line "$ERR" "one line"
expect_exit 1 "a bad --within: exit 1" -- "$PHASECTL" health --within soon "$TEST_TMP/h_fresh.img"
expect_one_line "$ERR" "one line"
expect_exit 2 "a missing image: exit 2" -- "$PHASECTL" health "$TEST_TMP/none.img"
expect_one_line "$ERR" "one line"
mkdir -p "$TEST_TMP/dir"
expect_exit 2 "a directory: exit 2" -- "$PHASECTL" health "$TEST_TMP/dir"
expect_grep "$ERR" "is a directory, not a medium image" "a directory gets its own line"
tap_done
