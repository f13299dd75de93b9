#!/bin/bash
# phasectl_profile.sh — `phasectl profile check|show` as a user runs them: presets pass
# the claims, an out-of-range profile fails with exit 1 naming the claim, malformed
# profiles give exit 2 and one line naming file, line and key, JSON is well formed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

expect_exit 0 "profile check bd-re-dl: every claim holds" -- "$PHASECTL" profile check bd-re-dl
expect_grep "$OUT" "applicable claims hold" "check prints a summary line"
expect_exit 0 "profile check pcm-2l: every claim holds" -- "$PHASECTL" profile check pcm-2l
expect_exit 0 "profile check --json" -- "$PHASECTL" profile check bd-re-dl --json
json_check "$OUT" "check --json is valid JSON"
expect_grep "$OUT" '"format_version": 2' "check --json carries format_version"
schema_check "$OUT" phasectl-profile-check.json "check --json is valid against its schema"

# A near recording layer of 10 nm violates the claim "near <= 9 nm".
cat >"$TEST_TMP/thick.profile" <<'P'
[medium]
name = thick-near
[stack]
film = cover         resin       75um   1.60 0
film = protective    ZnS-SiO2    40nm   2.30 0
film = interface     ZrO2-Cr2O3  3nm    2.20 0
film = recording     near        10nm
film = interface     ZrO2-Cr2O3  3nm    2.20 0
film = protective    ZnS-SiO2    10nm   2.30 0
film = reflective    Ag-alloy    10nm   0.045 2.182
film = transmittance TiO2        15nm   2.60 0
film = separating    resin       25um   1.55 0
film = protective    ZnS-SiO2    30nm   2.30 0
film = interface     ZrO2-Cr2O3  3nm    2.20 0
film = recording     far         12nm
film = interface     ZrO2-Cr2O3  3nm    2.20 0
film = protective    ZnS-SiO2    10nm   2.30 0
film = reflective    Ag-alloy    80nm   0.045 2.182
film = substrate     PC          1.1mm  1.631 0
P
expect_exit 1 "a 10 nm near layer fails the claims (exit 1)" -- "$PHASECTL" profile check "$TEST_TMP/thick.profile"
expect_grep "$OUT" "FAIL +near" "the failing claim is named"

# Far layer outside the SbTe family (x = 40 < 50).
printf '[layer.far]\nmaterial = (Sb40Te60)95Ge5\n' >"$TEST_TMP/far.profile"
expect_exit 1 "a far layer with x = 40 fails the claims" -- "$PHASECTL" profile check "$TEST_TMP/far.profile"

# Malformed input: exit 2, one line, names file:line and the key.
printf '[drive]\nwavelength_nm = blue\n' >"$TEST_TMP/bad.profile"
expect_exit 2 "a non-numeric value is bad input (exit 2)" -- "$PHASECTL" profile check "$TEST_TMP/bad.profile"
expect_one_line "$ERR" "the error is one line"
expect_grep "$ERR" "bad.profile:2: drive.wavelength_nm" "the error names file, line and key"

printf '[drive]\nflux_capacitor = 1\n' >"$TEST_TMP/unknown.profile"
expect_exit 2 "an unknown key is bad input" -- "$PHASECTL" profile check "$TEST_TMP/unknown.profile"
expect_grep "$ERR" "unknown.profile:2" "the unknown key's line is named"

printf '[layer.near]\nmaterial = Xx9Qq2\n' >"$TEST_TMP/junk.profile"
expect_exit 2 "an unparsable material formula is bad input" -- "$PHASECTL" profile check "$TEST_TMP/junk.profile"
expect_one_line "$ERR" "the material error is one line"

head -c 3000 /dev/urandom >"$TEST_TMP/random.profile"
"$PHASECTL" profile check "$TEST_TMP/random.profile" >"$OUT" 2>"$ERR"
rc=$?
tap_result $((rc != 2)) "random bytes as a profile: exit 2, no crash (got $rc)"

expect_exit 2 "an unknown preset is bad input" -- "$PHASECTL" profile check no-such-preset
expect_grep "$ERR" "no such preset" "the error says what is wrong"

expect_exit 0 "profile show bd-re-dl" -- "$PHASECTL" profile show bd-re-dl
expect_grep "$OUT" "L1 \(near\)" "show lists the near layer"
expect_grep "$OUT" "\(Tc\+Ta\)/2" "show prints the near layer's mean transmittance"
expect_exit 0 "profile show --json" -- "$PHASECTL" profile show bd-re-dl --json
json_check "$OUT" "show --json is valid JSON"
schema_check "$OUT" phasectl-profile-show.json "show --json is valid against its schema"
expect_grep "$OUT" '"Rc": 0\.0[0-9]+,' "show --json has each layer's optics (Rc ...)"

# The canonical text round-trips: show --text, parse it again, same canonical text.
expect_exit 0 "profile show --text" -- "$PHASECTL" profile show bd-re-dl --text
cp "$OUT" "$TEST_TMP/canon.profile"
expect_exit 0 "the canonical text parses back" -- "$PHASECTL" profile show "$TEST_TMP/canon.profile" --text
cmp -s "$OUT" "$TEST_TMP/canon.profile"
tap_result $? "canonical text is a fixed point"

expect_exit 0 "phasectl --help" -- "$PHASECTL" --help
expect_exit 2 "phasectl with an unknown command" -- "$PHASECTL" frobnicate
expect_exit 0 "phasectl --version" -- "$PHASECTL" --version
tap_done
