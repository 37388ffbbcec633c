#!/usr/bin/env bash
# Runs every test: the unit test binaries, then each tests/integration/*.sh.
# Each prints lines "PASS name" or "FAIL name: why"; this counts them and ends
# with "N passed, N failed". Exit status 0 only when nothing failed.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() { # NAME CMD...: run one test program, keep its PASS/FAIL lines
	local name=$1; shift
	echo "== $name"
	local start=$SECONDS
	"$@" 2>&1 | tee -a "$log" | grep -E '^(FAIL|SKIP)' || true
	local rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] && ! grep -q "^FAIL $name" "$log"; then
		echo "FAIL $name: exited $rc" | tee -a "$log"
	fi
	echo "   ($((SECONDS - start)) s)"
}

for t in "$BUILD"/unit/test_*; do
	[ -x "$t" ] && run "$(basename "$t")" "$t"
done
for t in tests/integration/*.sh; do
	[ -f "$t" ] && run "$(basename "$t" .sh)" bash "$t"
done

passed=$(grep -c '^PASS' "$log")
failed=$(grep -c '^FAIL' "$log")
skipped=$(grep -c '^SKIP' "$log")
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
