#!/bin/bash
# phasectl_stats.sh — `phasectl create` formats the sector layer (spare areas and four
# defect management areas) so `phasectl stats` reads the layout, defect list and
# statistics of a closed image, as text and JSON; the profile's [format] section sets
# the spare areas; a raw (--no-format) image and bad input give one-line errors with
# the documented exit codes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

IMG="$TEST_TMP/small.img"
expect_exit 0 "create a 2M-per-layer medium" -- "$PHASECTL" create -s 2M "$IMG"
expect_exit 0 "stats on a freshly created medium" -- "$PHASECTL" stats "$IMG"
# 32 clusters per layer: 2 DMA copies of 1 cluster, ISA 1 + OSA 1 (at least one each)
expect_grep "$OUT" "2 layers x 32 clusters" "stats shows the geometry"
expect_grep "$OUT" "ISA 1 \+ OSA 1 spares, 28 user clusters per layer; 56 logical" \
    "stats shows the spare areas and the user area"
expect_grep "$OUT" "0 entries, generation 1; 4 of 4 DMA copies valid" \
    "a fresh format has an empty defect list in four valid copies"
expect_grep "$OUT" "L0 \(far\)" "stats shows the far layer"
expect_grep "$OUT" "L1 \(near\)" "stats shows the near layer"
expect_grep "$OUT" "0 used, 2 left of 2" "no spare is used yet"
expect_exit 0 "stats --json" -- "$PHASECTL" stats "$IMG" --json
json_check "$OUT" "stats --json is valid JSON"
tap_result $([ "$(sed -n 2p "$OUT")" = '  "format_version": 2,' ]; echo $?) \
    "format_version comes first"
schema_check "$OUT" phasectl-stats.json "stats --json is valid against doc/schema/phasectl-stats.json"
if command -v python3 >/dev/null 2>&1; then
    python3 - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["logical_clusters"] == 56, d["logical_clusters"]
assert d["dma_copies_valid"] == 4
assert [l["name"] for l in d["layers"]] == ["L1", "L0"], "near first, as in the text"
for l in d["layers"]:
    assert len(l["zones"]) == 8
    assert l["zones"][0]["r_inner_mm"] == 24 and l["zones"][7]["r_outer_mm"] == 58
    assert l["spares_left"] == 2 and l["defects"] == 0
PY
    tap_result $? "the JSON report holds 8 zones per layer over 24-58 mm"
else
    tap_skip "the JSON report holds 8 zones per layer over 24-58 mm" "no python3"
fi

# The full-size default: ISA 256 MiB = 4096 and OSA 512 MiB = 8192 clusters (physics.md §3.7)
FULL="$TEST_TMP/full.img"
expect_exit 0 "create a full-size medium" -- "$PHASECTL" create "$FULL"
expect_exit 0 "stats on the full-size medium" -- "$PHASECTL" stats "$FULL"
expect_grep "$OUT" "2 DMA copies of 4 clusters, ISA 4096 \+ OSA 8192 spares, 369560 user" \
    "the default spare areas are 256 MiB and 512 MiB per layer"

# [format] in a profile: sizes or percentages of the layer
cat >"$TEST_TMP/spares.profile" <<'PROF'
[medium]
capacity_per_layer = 4M
[format]
inner_spare = 256K
outer_spare = 3%
PROF
expect_exit 0 "create with [format] spare sizes" -- "$PHASECTL" create -p "$TEST_TMP/spares.profile" "$TEST_TMP/spares.img"
expect_exit 0 "stats with [format] spare sizes" -- "$PHASECTL" stats "$TEST_TMP/spares.img"
# 64 clusters: 256K = 4 clusters; 3 % of 64 = 1.92, rounded to 2
expect_grep "$OUT" "ISA 4 \+ OSA 2 spares, 56 user clusters" "the profile sets the spare areas"
cat >"$TEST_TMP/huge.profile" <<'PROF'
[format]
inner_spare = 50%
outer_spare = 50%
PROF
expect_exit 2 "spares that leave no user cluster are refused" -- "$PHASECTL" create -s 1M -p "$TEST_TMP/huge.profile" "$TEST_TMP/huge.img"
expect_one_line "$ERR" "the refusal is one line"
tap_result $([ ! -e "$TEST_TMP/huge.img" ]; echo $?) "a refused create leaves no image"
printf '[format]\ninner_spare = 60%%\n' >"$TEST_TMP/bad.profile"
expect_exit 2 "a spare over 50 % is bad input" -- "$PHASECTL" create -s 1M -p "$TEST_TMP/bad.profile" "$TEST_TMP/bad.img"
expect_grep "$ERR" "format.inner_spare" "the error names the key"

# a raw medium has no sector layer
expect_exit 0 "create --no-format" -- "$PHASECTL" create --no-format -s 1M "$TEST_TMP/raw.img"
expect_exit 3 "stats on a raw medium fails" -- "$PHASECTL" stats "$TEST_TMP/raw.img"
expect_one_line "$ERR" "the error is one line"
expect_grep "$ERR" "never formatted" "the error says the medium is not formatted"

expect_exit 3 "stats on a missing image" -- "$PHASECTL" stats "$TEST_TMP/none.img"
expect_exit 2 "stats without an image is a usage error" -- "$PHASECTL" stats
expect_exit 0 "phasectl stats --help" -- "$PHASECTL" stats --help
expect_grep "$OUT" "Usage: phasectl stats IMAGE \[--json\]" "the usage line"
tap_done
