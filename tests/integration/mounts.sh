#!/usr/bin/env bash
# The jail's filesystem ([fs], bind_cwd, cwd): what a program sees, what
# reaches the host, and what fails with 125. As root and as an unprivileged
# user. tests/unit/test_mounts.c checks the same step alone.
. "$(dirname "$0")/../lib.sh"

# Host trees the policies below bind, writable by nobody too.
mkdir -p "$T/ro" "$T/rw" "$T/esc" "$T/outside"
echo hi > "$T/ro/hello"
ln -s "$T/outside" "$T/esc/out" # absolute, as a hostile tree would have it
chmod -R a+rwX "$T/rw" "$T/outside" "$T/esc"
chmod -R a+rX "$T/ro"

binds=$(policy binds.ini <<'P'
[fs]
ro = ./ro:/data/ro
rw = ./rw:/data/rw
ro = /usr
ro = ?/nonexistent-sbx-test:/opt/missing
tmpfs = /tmp:1M
P
)
missing=$(policy missing.ini <<'P'
[fs]
ro = /usr
ro = /nonexistent-sbx-test
P
)
escape=$(policy escape.ini <<'P'
[fs]
ro = /usr
rw = ./esc:/w
tmpfs = /w/out/made
P
)
no_cwd=$(policy no_cwd.ini <<'P'
[sandbox]
bind_cwd = no
P
)
cwd_tmp=$(policy cwd_tmp.ini <<'P'
[sandbox]
cwd = /tmp
P
)
cwd_missing=$(policy cwd_missing.ini <<'P'
[sandbox]
cwd = /nonexistent-sbx-test
P
)
cwd_rw=$(policy cwd_rw.ini <<'P'
[sandbox]
bind_cwd = rw
P
)

# What a program sees of the host: nothing but /usr, /tmp, /proc, /dev and
# the caller's directory.
probe_hidden='
import os
print([p for p in ("/etc/passwd", "/root", "/home", "/sys", "/var", "/run") if os.path.lexists(p)])'

for who in root nobody; do
	run=jail
	[ $who = nobody ] && run=jail_nobody

	$run -- $PY -c "$probe_hidden"
	[ $rc = 0 ] && [ "$(out)" = "[]" ] && pass "$who/host-hidden" || fail "$who/host-hidden" "$(why)"
	bare=$($PY -c "$probe_hidden")
	[ "$bare" != "[]" ] && pass "$who/host-hidden-bare-differs" || fail "$who/host-hidden-bare-differs" "$bare"

	# The root: read-only; /usr read-only; the merged-/usr links.
	$run -- $PY -c '
import os, errno
def err(f):
    try:
        f(); return 0
    except OSError as e:
        return errno.errorcode[e.errno]
print(err(lambda: os.mkdir("/x")), err(lambda: open("/usr/x", "w")), os.readlink("/lib64"), os.path.exists("/bin/sh"))'
	[ $rc = 0 ] && [ "$(out)" = "EROFS EROFS usr/lib64 True" ] && pass "$who/root-ro-usr-ro-links" ||
		fail "$who/root-ro-usr-ro-links" "$(why)"

	# The caller's directory: the start, visible, read-only.
	$run -- $PY -c '
import os, errno
try:
    open("new", "w"); e = 0
except OSError as x:
    e = errno.errorcode[x.errno]
print(os.getcwd(), os.path.exists("sandbox.ini"), e)'
	[ $rc = 0 ] && [ "$(out)" = "$T True EROFS" ] && pass "$who/cwd-ro" || fail "$who/cwd-ro" "$(why)"

	# /tmp: a fresh tmpfs, nosuid and nodev; of the host's /tmp only the path
	# to the caller's directory.
	$run -- $PY -c '
import os
v = os.statvfs("/tmp")
open("/tmp/f", "w").write("x")
print(sorted(os.listdir("/tmp")), bool(v.f_flag & os.ST_NOSUID), bool(v.f_flag & os.ST_NODEV))'
	[ $rc = 0 ] && [ "$(out)" = "['f', '$(basename "$T")'] True True" ] && pass "$who/tmp-fresh" ||
		fail "$who/tmp-fresh" "$(why)"

	# /dev: the minimal set, working, no disk.
	$run -- $PY -c '
import os, stat
print(sorted(os.listdir("/dev")))
print(any(stat.S_ISBLK(os.lstat("/dev/" + n).st_mode) for n in os.listdir("/dev")))
open("/dev/null", "w").write("x"); print(len(open("/dev/urandom", "rb").read(8)))
m, s = os.openpty(); print(os.ttyname(s).startswith("/dev/pts/"))'
	want="['fd', 'full', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']
False
8
True"
	[ $rc = 0 ] && [ "$(out)" = "$want" ] && pass "$who/dev-minimal" || fail "$who/dev-minimal" "$(why)"

	# Binds: ro is read-only, rw reaches the host, a '?' source that is
	# missing is skipped, tmpfs size holds.
	rm -f "$T/rw/written"
	$run "$binds" -- $PY -c '
import os, errno
def err(f):
    try:
        f(); return 0
    except OSError as e:
        return errno.errorcode[e.errno]
print(open("/data/ro/hello").read().strip(), err(lambda: open("/data/ro/x", "w")))
open("/data/rw/written", "w").write("from the jail")
v = os.statvfs("/data/rw"); print(bool(v.f_flag & os.ST_NOSUID), bool(v.f_flag & os.ST_NODEV))
print(os.path.exists("/opt/missing"))
def fill():
    with open("/tmp/big", "wb") as f:
        f.write(b"\0" * (4 << 20))
print(err(fill))'
	want="hi EROFS
True True
False
ENOSPC"
	[ $rc = 0 ] && [ "$(out)" = "$want" ] && pass "$who/binds" || fail "$who/binds" "$(why)"
	[ "$(cat "$T/rw/written" 2>/dev/null)" = "from the jail" ] && pass "$who/rw-reaches-host" ||
		fail "$who/rw-reaches-host" "$(ls -la "$T/rw")"

	# A missing source is a setup failure; the program never runs.
	$run "$missing" -- $PY -c 'print("ran")'
	[ $rc = 125 ] && [ -z "$(out)" ] && grep -q '^sbx: mount: .*/nonexistent-sbx-test.*No such file or directory' "$T/err" &&
		pass "$who/missing-source-125" || fail "$who/missing-source-125" "$(why)"

	# A symlink inside an rw bind never carries a later mount onto the host.
	$run "$escape" -- $PY -c 'print("ran")'
	[ $rc = 125 ] && [ ! -e "$T/outside/made" ] && grep -q '^sbx: mount: .*/w/out/made' "$T/err" &&
		pass "$who/symlink-not-followed" || fail "$who/symlink-not-followed" "$(why)"

	# bind_cwd = no: the caller's directory is not there; the start is /.
	$run "$no_cwd" -- $PY -c 'import os, sys; print(os.getcwd(), os.path.exists(sys.argv[1]))' "$T"
	[ $rc = 0 ] && [ "$(out)" = "/ False" ] && pass "$who/bind-cwd-no" || fail "$who/bind-cwd-no" "$(why)"

	# bind_cwd = rw: writable, and the host sees it.
	rm -f "$T/rw-cwd"
	chmod 1777 "$T"
	$run "$cwd_rw" -- $PY -c 'open("rw-cwd", "w").write("rw")'
	chmod 755 "$T"
	[ $rc = 0 ] && [ "$(cat "$T/rw-cwd" 2>/dev/null)" = rw ] && pass "$who/bind-cwd-rw" || fail "$who/bind-cwd-rw" "$(why)"
	rm -f "$T/rw-cwd"

	# [sandbox] cwd: the start; one that does not exist inside fails.
	$run "$cwd_tmp" -- $PY -c 'import os; print(os.getcwd())'
	[ $rc = 0 ] && [ "$(out)" = /tmp ] && pass "$who/cwd-policy" || fail "$who/cwd-policy" "$(why)"
	$run "$cwd_missing" -- $PY -c 'print("ran")'
	[ $rc = 125 ] && [ -z "$(out)" ] && grep -q '^sbx: mount: starting directory /nonexistent-sbx-test' "$T/err" &&
		pass "$who/cwd-missing-125" || fail "$who/cwd-missing-125" "$(why)"
done

# Recursive ro: a mount under an ro source is read-only inside too. Made in
# a mount namespace of its own, so the host's table is never touched.
if [ "$(id -u)" != 0 ]; then
	skip root/ro-recursive "needs root to mount under the source"
	exit 0
fi
mkdir -p "$T/ro/sub"
rc=0
(cd "$T" && SBX_POLICY=$binds unshare -m sh -c 'mount -t tmpfs sbx-sub "$1" && LD_PRELOAD=$2 "$3" -c "
import errno
try:
    open(\"/data/ro/sub/x\", \"w\"); print(0)
except OSError as e:
    print(errno.errorcode[e.errno])"' sh "$T/ro/sub" "$SO" "$PY") > "$T/out" 2> "$T/err" < /dev/null || rc=$?
[ $rc = 0 ] && [ "$(out)" = EROFS ] && pass "root/ro-recursive" || fail "root/ro-recursive" "$(why)"
