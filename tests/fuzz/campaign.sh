#!/bin/bash
# campaign.sh — a long fuzzing campaign on one core (README "Fuzzing"): the libFuzzer
# targets take turns, SLICE seconds each (600), until HOURS (8) have passed, each
# growing its own corpus in DIR (seeded from tests/fuzz/corpus/<target>) and keeping
# every crash, leak, timeout or out-of-memory input in DIR/artifacts. Runs at nice 19,
# one process at a time. Prints, and appends to DIR/campaign.log, one line per slice
# and a total of executions and crashing inputs per target.
#
# Usage: tests/fuzz/campaign.sh [-d DIR] [-h HOURS] [-s SLICE] [TARGET...]
#   from the build directory, after `make fuzz`; TARGETs: fuzz_profile fuzz_image
#   fuzz_mount fuzz_check (default all)
set -u
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
DIR=fuzz-campaign
HOURS=8
SLICE=600
while getopts d:h:s: o; do
    case $o in
    d) DIR=$OPTARG ;;
    h) HOURS=$OPTARG ;;
    s) SLICE=$OPTARG ;;
    *) sed -n 's/^# \{0,1\}//; /^Usage/,/^$/p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
TARGETS=${*:-fuzz_profile fuzz_image fuzz_mount fuzz_check}
declare -A MAXLEN=([fuzz_profile]=8192 [fuzz_image]=40960 [fuzz_mount]=16384 [fuzz_check]=16384)
declare -A EXECS
mkdir -p "$DIR/artifacts"
for t in $TARGETS; do
    [ -x "tests/fuzz/$t" ] || { echo "campaign: tests/fuzz/$t not built (make fuzz)" >&2; exit 2; }
    [ -n "${MAXLEN[$t]:-}" ] || { echo "campaign: unknown target $t" >&2; exit 2; }
    mkdir -p "$DIR/$t"
    EXECS[$t]=0
done
end=$(($(date +%s) + ${HOURS%.*} * 3600))
[ "$HOURS" != "${HOURS%.*}" ] && end=$((end + ${HOURS#*.} * 360)) # one decimal: 0.5 h
while [ "$(date +%s)" -lt "$end" ]; do
    for t in $TARGETS; do
        left=$((end - $(date +%s)))
        [ $left -gt 0 ] || break
        s=$((left < SLICE ? left : SLICE))
        nice -n 19 "tests/fuzz/$t" -max_total_time=$s -max_len="${MAXLEN[$t]}" -timeout=25 \
            -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$DIR/artifacts/$t-" \
            "$DIR/$t" "$top_srcdir/tests/fuzz/corpus/$t" >"$DIR/$t.last.log" 2>&1
        rc=$?
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$DIR/$t.last.log" | tail -n 1)
        EXECS[$t]=$((EXECS[$t] + ${n:-0}))
        line="$(date -u +%FT%TZ) $t: exit $rc, ${n:-0} executions in ${s}s, corpus $(ls "$DIR/$t" | wc -l)"
        [ $rc -eq 0 ] || line="$line; CRASH: $(grep -m1 -E 'SUMMARY|ERROR' "$DIR/$t.last.log")"
        echo "$line" | tee -a "$DIR/campaign.log"
        [ $rc -eq 0 ] || cp "$DIR/$t.last.log" "$DIR/artifacts/$t-$(date +%s).log"
    done
done
total=0
for t in $TARGETS; do
    c=$(ls "$DIR/artifacts" | grep -c "^$t-\(crash\|leak\|timeout\|oom\)-")
    echo "total $t: ${EXECS[$t]} executions, $c crashing inputs" | tee -a "$DIR/campaign.log"
    total=$((total + EXECS[$t]))
done
echo "total: $total executions" | tee -a "$DIR/campaign.log"
