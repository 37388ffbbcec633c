#!/bin/sh
# evald-install-packages.sh USER_BASE PACKAGE...: install Python packages
# into the user base that sbx-evald binds read-only into every jail
# (`[eval] user_base = USER_BASE` or --user-base USER_BASE; inside, the jail
# has PYTHONUSERBASE pointing at it, so `import` finds them).
#
# Each PACKAGE is anything `pip install` takes: a name from an index you can
# reach, a wheel file, or a local project directory. The same python3 as the
# jails' must run pip, so the packages match its version (site-packages of
# python3.X under USER_BASE/lib).
#
#   scripts/evald-install-packages.sh /var/lib/sbx-evald/userbase numpy
#   scripts/evald-install-packages.sh ./userbase ./mypkg-1.0-py3-none-any.whl
#
# Options go to pip after the packages, e.g. `--no-index --find-links DIR`
# for a machine without an index. Set PYTHON to use another interpreter.
set -eu
if [ $# -lt 2 ]; then
	sed -n '2,17s/^# \{0,1\}//p' "$0" >&2
	exit 2
fi
PYTHON=${PYTHON:-/usr/bin/python3}
base=$1
shift
mkdir -p "$base"
base=$(cd "$base" && pwd)
# --user with PYTHONUSERBASE installs under $base; Debian's pip refuses user
# installs into an "externally managed" python unless told this is meant
# (PEP 668): the user base here is ours, not the system's.
# --no-build-isolation: a local project builds with the setuptools already
# installed, without fetching build dependencies.
PYTHONUSERBASE=$base PIP_BREAK_SYSTEM_PACKAGES=1 "$PYTHON" -m pip install --user \
	--no-warn-script-location --disable-pip-version-check --no-build-isolation "$@"
# The jails run as another user: everything readable, nothing writable but by us.
chmod -R a+rX,go-w "$base"
echo "installed into $base (serve it with: sbx-evald --user-base $base)"
