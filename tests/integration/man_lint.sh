#!/bin/bash
# man_lint.sh — every man page passes `mandoc -Tlint` (STYLE.md "Man pages"), and each
# has the sections the style requires.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

if [ -z "${MANDOC:-}" ] || ! command -v "$MANDOC" >/dev/null 2>&1; then
    echo "1..0 # SKIP mandoc not installed"
    exit 0
fi
for page in "$top_srcdir"/man/*.[0-9]; do
    name=$(basename "$page")
    "$MANDOC" -Tlint -Wwarning "$page" >"$OUT" 2>&1
    rc=$?
    [ $rc -eq 0 ] || sed 's/^/#   /' "$OUT"
    tap_result $rc "$name passes mandoc -Tlint"
    for section in NAME SYNOPSIS DESCRIPTION "EXIT STATUS|FILES" "SEE ALSO"; do
        grep -qE "^\.Sh ($section)" "$page"
        tap_result $? "$name has section $section"
    done
done
tap_done
