# Shared by the integration tests: source it, then call the check helpers.
#
# Every test copies what it runs into a fresh directory (mode 755) so that an
# unprivileged user can read it even when the checkout sits under a directory
# that user cannot enter (CI's clone may).
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
PY=/usr/bin/python3
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

T=$(mktemp -d /tmp/sbx-test.XXXXXX)
chmod 755 "$T"
cp "$TOP/sandbox.so" "$T/"
[ -f "$TOP/sbx" ] && cp "$TOP/sbx" "$T/"
[ -d "$BUILD/helpers" ] && cp -r "$BUILD/helpers" "$T/h"
cp "$TOP/sandbox.ini" "$T/"
chmod -R a+rX "$T"
SO=$T/sandbox.so
cleanup_tmp() { rm -rf "$T"; }
trap cleanup_tmp EXIT

_suite=$(basename "$0" .sh)
pass() { echo "PASS $_suite/$1"; }
fail() { echo "FAIL $_suite/$1: ${2:-}"; }
skip() { echo "SKIP $_suite/$1: ${2:-}"; }

# Write a policy file into $T: policy NAME <<EOF ... EOF ; prints its path.
policy() { cat > "$T/$1"; chmod 644 "$T/$1"; echo "$T/$1"; }

# jail [POLICY] -- CMD...: run CMD under sandbox.so from $T (the caller's cwd),
# stdout to $T/out, stderr to $T/err, status in $rc.
jail() {
	local pol=
	if [ "$1" != -- ]; then pol=$1; shift; fi
	shift
	rc=0
	(cd "$T" && if [ -n "$pol" ]; then export SBX_POLICY=$pol; else unset SBX_POLICY; fi &&
		LD_PRELOAD=$SO "$@") > "$T/out" 2> "$T/err" < /dev/null || rc=$?
}
# The same as nobody.
jail_nobody() {
	local pol=
	if [ "$1" != -- ]; then pol=$1; shift; fi
	shift
	rc=0
	(cd "$T" && if [ -n "$pol" ]; then export SBX_POLICY=$pol; else unset SBX_POLICY; fi &&
		"${NOBODY[@]}" env LD_PRELOAD=$SO "$@") > "$T/out" 2> "$T/err" < /dev/null || rc=$?
}

# expect NAME COND-DESCRIPTION: checks on $rc/$T/out/$T/err written inline, e.g.
#   jail -- /bin/true; [ $rc = 0 ] && pass name || fail name "rc=$rc $(cat $T/err)"
out() { cat "$T/out"; }
# stderr less the one warning the contract asks for where no cgroup can be made
quiet_err() { grep -v '^sbx: cgroup: no .* cgroup' "$T/err" || true; }
err() { cat "$T/err"; }
why() { echo "rc=$rc out=$(head -c 300 "$T/out" | tr '\n' '|') err=$(head -c 300 "$T/err" | tr '\n' '|')"; }
