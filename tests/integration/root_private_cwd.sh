#!/usr/bin/env bash
# A root caller in a private directory (/root/x, a CI checkout under a 0700
# directory). The jail's user is nobody outside, which may not enter such a
# directory; the supervisor clones the binds' sources first, as the caller
# (sbx_mounts_prepare), so the run works while the program stays nobody:
# a bind's root comes from the caller, its files are opened as nobody.
# Before that clone existed, the first check here exited 125 with
# `sbx: mount: ro bind ... Permission denied`.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip root-private-cwd "needs root (an unprivileged caller's jail is the caller itself)"
	exit 0
fi

# $T/priv is private, like /root; work/ in it is an ordinary 0755 directory.
P=$T/priv
mkdir -p "$P/work" "$P/data" "$P/out"
chmod 700 "$P"
chmod 755 "$P/work" "$P/data"
chmod 1777 "$P/out"
echo hello > "$P/work/data.txt"
echo 'print(open("data.txt").read().strip())' > "$P/work/script.py"
echo secret > "$P/work/secret"
echo shared > "$P/data/file"
chmod 644 "$P/work/data.txt" "$P/work/script.py" "$P/data/file"
chmod 600 "$P/work/secret"

# in_work [POLICY] -- CMD...: jail CMD from $P/work, as root.
in_work() {
	local pol=
	if [ "$1" != -- ]; then pol=$1; shift; fi
	shift
	rc=0
	(cd "$P/work" && if [ -n "$pol" ]; then export SBX_POLICY=$pol; else unset SBX_POLICY; fi &&
		LD_PRELOAD=$SO "$@") > "$T/out" 2> "$T/err" < /dev/null || rc=$?
}

# The default policy binds the cwd read-only: the script runs and reads its file.
in_work -- $PY script.py
[ $rc = 0 ] && [ "$(out)" = hello ] && pass cwd-under-0700 || fail cwd-under-0700 "$(why)"
# Bare, nobody cannot even reach the script: the check above can fail.
rc=0
(cd / && "${NOBODY[@]}" $PY -c 'import sys; open(sys.argv[1])' "$P/work/script.py") > /dev/null 2>&1 || rc=$?
[ $rc != 0 ] && pass cwd-under-0700-bare-nobody-denied || fail cwd-under-0700-bare-nobody-denied "rc=$rc"

# Still nobody outside: a 0600 file of root's stays unreadable (EACCES).
in_work -- $PY -c '
import errno, os
try:
    open("secret").read(); print("read")
except OSError as e:
    print(errno.errorcode[e.errno])
print(os.getuid(), open("/proc/self/uid_map").read().split())'
[ $rc = 0 ] && [ "$(out)" = "$(printf "EACCES\n65534 ['65534', '65534', '1']")" ] &&
	pass secret-0600-unreadable || fail secret-0600-unreadable "$(why)"

# ro and rw binds of paths under a 0700 directory; what is written there
# belongs to nobody on the host.
binds=$(policy binds.ini <<P
[fs]
ro = /usr
ro = $P/data:/data
rw = $P/out:/out
ro = ?/nonexistent-sbx-test:/opt/missing
P
)
rm -f "$P/out/written"
in_work "$binds" -- $PY -c '
import errno, os
def err(f):
    try:
        f(); return 0
    except OSError as e:
        return errno.errorcode[e.errno]
print(open("/data/file").read().strip(), err(lambda: open("/data/new", "w")), os.path.exists("/opt/missing"))
open("/out/written", "w").write("x")'
[ $rc = 0 ] && [ "$(out)" = "shared EROFS False" ] && pass ro-bind-under-0700 || fail ro-bind-under-0700 "$(why)"
[ "$(stat -c %u 2> /dev/null "$P/out/written")" = 65534 ] && pass rw-bind-under-0700-writes-as-nobody ||
	fail rw-bind-under-0700-writes-as-nobody "$(ls -ln "$P/out")"

# No descriptor of a mount tree reaches the program: with close_fds (the
# default) nothing but 0, 1, 2; without it, the caller's own, and no directory.
fds='
import os, stat
fds = []
for f in sorted(os.listdir("/proc/self/fd"), key=int):
    try:
        fds.append((int(f), stat.S_ISDIR(os.stat("/proc/self/fd/" + f).st_mode)))
    except OSError:
        pass  # the listing itself
print([f for f, d in fds], [f for f, d in fds if d])'
in_work -- $PY -c "$fds"
[ $rc = 0 ] && [ "$(out)" = "[0, 1, 2] []" ] && pass no-tree-fd || fail no-tree-fd "$(why)"
keep=$(policy keep.ini <<'P'
[sandbox]
close_fds = no
P
)
in_work "$keep" -- $PY -c "$fds"
[ $rc = 0 ] && [ "$(sed -n 's/.* \[\(.*\)\]$/\1/p' "$T/out")" = "" ] && pass no-tree-fd-close-fds-no ||
	fail no-tree-fd-close-fds-no "$(why)"

# A missing source fails before the jail exists, naming it.
missing=$(policy missing.ini <<'P'
[fs]
ro = /usr
ro = /nonexistent-sbx-test:/x
P
)
in_work "$missing" -- $PY -c 'print("ran")'
[ $rc = 125 ] && [ -z "$(out)" ] &&
	grep -q '^sbx: mount: ro bind /nonexistent-sbx-test on /x: No such file or directory' "$T/err" &&
	pass missing-source-125 || fail missing-source-125 "$(why)"

# A shared mount as a source: a tmpfs the policy puts inside its bind stays
# in the jail (the cloned tree is private) and never appears in the caller's
# namespace. In a mount namespace of our own, so the host's table is untouched.
mkdir -p "$T/sh"
shared=$(policy shared.ini <<P
[fs]
ro = /usr
rw = $T/sh:/sh
tmpfs = /sh/sub
P
)
rc=0
(cd "$T" && SBX_POLICY=$shared unshare -m --propagation private sh -c '
mount -t tmpfs sbx-sh "$1" && mkdir "$1/sub" && mount --make-shared "$1" &&
LD_PRELOAD=$2 "$3" -c "import os; print(os.path.ismount(\"/sh/sub\"))" &&
if grep -q " $1/sub " /proc/self/mountinfo; then echo leaked; else echo kept; fi' sh "$T/sh" "$SO" "$PY") \
	> "$T/out" 2> "$T/err" < /dev/null || rc=$?
[ $rc = 0 ] && [ "$(out)" = "$(printf 'True\nkept')" ] && pass shared-source-private || fail shared-source-private "$(why)"
