#!/bin/bash
# run.sh — make check's bounded fuzzing: each libFuzzer target (tests/fuzz/fuzz_*) runs
# FUZZ_SECONDS (60) under ASan and UBSan, starting from its committed corpus
# (tests/fuzz/corpus/<target>, which is never written: new inputs go to a scratch
# directory). A crash, a leak, a timeout or an out-of-memory fails the target and
# keeps the input that caused it in FUZZ_ARTIFACTS (default: the build directory's
# tests/fuzz/artifacts). FUZZ_SECONDS=0 only replays the corpus (distcheck does).
# TAP output: one line per target with its executions.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SECONDS_EACH=${FUZZ_SECONDS:-60}
ART=${FUZZ_ARTIFACTS:-$top_builddir/tests/fuzz/artifacts}
mkdir -p "$ART"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/phasefs-fuzz.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# target  max_len (bytes of one input)
TARGETS="fuzz_profile:8192 fuzz_image:40960 fuzz_mount:16384 fuzz_check:16384"
n=0
fail=0
total=0
for spec in $TARGETS; do
    t=${spec%%:*}
    max_len=${spec##*:}
    n=$((n + 1))
    bin="$top_builddir/tests/fuzz/$t"
    corpus="$top_srcdir/tests/fuzz/corpus/$t"
    if [ ! -x "$bin" ]; then
        echo "not ok $n - $t: $bin not built"
        fail=1
        continue
    fi
    mkdir -p "$TMP/$t"
    if [ "$SECONDS_EACH" -gt 0 ]; then
        run=(-max_total_time="$SECONDS_EACH")
    else
        run=(-runs=0)
    fi
    # -timeout: a run of any target takes milliseconds; 25 s is a hang, not a slow run
    "$bin" "${run[@]}" -max_len="$max_len" -timeout=25 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$ART/$t-" "$TMP/$t" "$corpus" \
        >"$TMP/$t.log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/$t.log" | tail -n 1)
    execs=${execs:-0}
    total=$((total + execs))
    if [ $rc -eq 0 ]; then
        echo "ok $n - $t: $execs executions in ${SECONDS_EACH}s, no crash or leak"
    else
        echo "not ok $n - $t: exit $rc after $execs executions; input kept in $ART:"
        grep -E "ERROR|SUMMARY|Test unit written|#[0-9]+ 0x" "$TMP/$t.log" | head -n 30 | sed 's/^/#   /'
        fail=1
    fi
done
echo "# $total executions in total"
echo "1..$n"
exit $fail
