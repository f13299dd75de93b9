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
# one date on every page, and each page's SEE ALSO names every other page of phasefs
dates=$(grep -h '^\.Dd ' "$top_srcdir"/man/*.[0-9] | sort -u | wc -l)
tap_result $((dates != 1)) "the man pages carry one date ($dates distinct)"
for page in "$top_srcdir"/man/*.[0-9]; do
    name=$(basename "$page")
    seealso=$(sed -n '/^\.Sh SEE ALSO/,/^\.Sh /p' "$page")
    missing=""
    for other in "$top_srcdir"/man/*.[0-9]; do
        o=$(basename "$other")
        [ "$o" = "$name" ] && continue
        echo "$seealso" | grep -q "^\.Xr ${o%.*} ${o##*.}" || missing="$missing $o"
    done
    [ -z "$missing" ] || echo "# $name: SEE ALSO lacks$missing"
    tap_result $([ -z "$missing" ]; echo $?) "$name: SEE ALSO names every other phasefs page"
done
tap_done
