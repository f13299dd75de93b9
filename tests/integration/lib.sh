# lib.sh — helpers for the integration tests: TAP output, a scratch directory that
# is removed on exit, and checks of exit status and output. Sourced, not run.
# The tests run from `make check` with top_builddir and top_srcdir exported.

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
PHASECTL="$top_builddir/phasectl"
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/phasefs-test.XXXXXX")
trap 'rm -rf "$TEST_TMP"' EXIT
tap_n=0
tap_failed=0

# ok CONDITION-EXIT-STATUS DESCRIPTION
tap_result() {
    tap_n=$((tap_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $tap_n - $2"
    else
        echo "not ok $tap_n - $2"
        tap_failed=$((tap_failed + 1))
    fi
}

tap_skip() {
    tap_n=$((tap_n + 1))
    echo "ok $tap_n - $1 # SKIP $2"
}

# expect_exit CODE DESCRIPTION -- COMMAND...: run, keep stdout/stderr in $OUT/$ERR.
OUT="$TEST_TMP/out"
ERR="$TEST_TMP/err"
expect_exit() {
    local want=$1 desc=$2
    shift 3
    "$@" >"$OUT" 2>"$ERR"
    local got=$?
    if [ "$got" -ne "$want" ]; then
        echo "# '$*' exited $got, expected $want; stderr:" >&2
        sed 's/^/#   /' "$ERR" >&2
    fi
    tap_result $((got != want)) "$desc"
}

# expect_grep FILE PATTERN DESCRIPTION
expect_grep() {
    grep -qE -- "$2" "$1"
    local rc=$?
    [ $rc -eq 0 ] || { echo "# pattern '$2' not in $(basename "$1"):" >&2; sed 's/^/#   /' "$1" | head -20 >&2; }
    tap_result $rc "$3"
}

# expect_one_line FILE DESCRIPTION: an error report is exactly one line.
expect_one_line() {
    local n
    n=$(wc -l <"$1")
    [ "$n" -eq 1 ] || { echo "# expected one line, got $n:" >&2; sed 's/^/#   /' "$1" >&2; }
    tap_result $((n != 1)) "$2"
}

# json_check FILE DESCRIPTION: valid JSON (python3 if present).
json_check() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -m json.tool "$1" >/dev/null 2>&1
        tap_result $? "$2"
    else
        tap_skip "$2" "python3 not installed"
    fi
}

# A python3 that has jsonschema (bootstrap installs python3-jsonschema): the first of
# python3 and /usr/bin/python3 that imports it, or empty.
schema_python() {
    local py
    for py in python3 /usr/bin/python3; do
        if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import jsonschema' 2>/dev/null; then
            echo "$py"
            return 0
        fi
    done
    return 1
}
SCHEMA_PY=$(schema_python)

# schema_check FILE SCHEMA DESCRIPTION: FILE is valid against doc/schema/SCHEMA. A
# missing jsonschema is a failure, not a skip: every JSON output must be checked.
schema_check() {
    if [ -z "$SCHEMA_PY" ]; then
        echo "# python3-jsonschema is not installed (./bootstrap installs it)" >&2
        tap_result 1 "$3"
        return
    fi
    "$SCHEMA_PY" "$top_srcdir/tests/schema_check.py" "$top_srcdir/doc/schema/$2" "$1" 2>&1 |
        sed 's/^/# /' >&2
    tap_result "${PIPESTATUS[0]}" "$3"
}

tap_done() {
    echo "1..$tap_n"
    [ "$tap_failed" -eq 0 ]
}
