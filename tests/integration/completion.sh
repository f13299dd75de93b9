#!/bin/bash
# completion.sh — the bash completions in completions/ (installed by make install) load
# under bash-completion and complete each tool's commands and options as its --help
# lists them. TAP output.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
BC=/usr/share/bash-completion/bash_completion

# complete TOOL WORD... : the candidates bash offers for the last WORD
complete_words() {
    local tool=$1
    shift
    bash --norc --noprofile -c '
        . "$1" || exit 2
        . "$2" || exit 2
        shift 2
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        fn=$(complete -p "$1" | sed "s/.*-F \([^ ]*\) .*/\1/")
        "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}"' _ "$BC" "$top_srcdir/completions/$tool" "$tool" "$@"
}

# expect_complete DESCRIPTION WANT TOOL WORD...: WANT is among the candidates
expect_complete() {
    local desc=$1 want=$2
    shift 2
    complete_words "$@" >"$OUT" 2>"$ERR"
    grep -qx -- "$want" "$OUT"
    local rc=$?
    [ $rc -eq 0 ] || { echo "# wanted '$want', got:"; sed 's/^/#   /' "$OUT" "$ERR"; }
    tap_result $rc "$desc"
}

if [ ! -f "$BC" ]; then
    echo "# bash-completion is not installed (./bootstrap installs it)"
    tap_result 1 "bash-completion present"
    tap_done
    exit
fi
for t in phasectl fsck.phasefs mkfs.phasefs phasefs; do
    bash -n "$top_srcdir/completions/$t"
    tap_result $? "completions/$t parses"
done
expect_complete "phasectl: the health command" health phasectl he
expect_complete "phasectl: every command (stats)" stats phasectl st
expect_complete "phasectl health: --within" --within phasectl health --wi
expect_complete "phasectl inject: the fault kinds" scratch phasectl inject img sc
expect_complete "phasectl create -p: the presets" bd-re-dl phasectl create -p bd
expect_complete "fsck.phasefs: --scan" --scan fsck.phasefs --sc
expect_complete "fsck.phasefs: --map" --map fsck.phasefs --ma
expect_complete "mkfs.phasefs: --label" --label mkfs.phasefs --la
expect_complete "phasefs -o: the daemon's own options" placement=far phasefs img mnt -o placement=f
# every long option a tool's --help shows is offered
for t in fsck.phasefs mkfs.phasefs; do
    missing=""
    for o in $("$top_builddir/$t" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
        complete_words "$t" -- | grep -qx -- "$o" || missing="$missing $o"
    done
    [ -z "$missing" ] || echo "# $t: not completed:$missing"
    tap_result $([ -z "$missing" ]; echo $?) "$t: every long option of --help is completed"
done
tap_done
