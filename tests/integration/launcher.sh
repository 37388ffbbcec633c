#!/usr/bin/env bash
# The sbx launcher: it jails what LD_PRELOAD cannot reach (static, setuid),
# never runs a program unjailed, and its -s, --print-policy, doctor and learn.
# As root and as an unprivileged user. Each isolation check has its control:
# the same program outside sbx (bare, or under LD_PRELOAD), which must differ.
. "$(dirname "$0")/../lib.sh"

if [ ! -x "$T/sbx" ]; then
	fail setup "no sbx binary at the top of the tree (make)"
	exit 0
fi

# W: the caller's working directory in these runs; everyone may write there,
# so that a jail with bind_cwd = rw can leave a marker whatever its uid.
W=$T/w
mkdir "$W"
chmod 1777 "$W"
cp "$T/h/static_probe" "$T/h/launcher_denied" "$T/h/launcher_euid" "$W/"
chmod 755 "$W"/static_probe "$W"/launcher_denied "$W"/launcher_euid

# sbx_run WHO [ENV=VALUE...] -- SBX-ARGS...: run $T/sbx from $W, as root or
# nobody, with no SBX_POLICY/LD_PRELOAD unless given; stdout to $T/out,
# stderr to $T/err, status in $rc.
sbx_run() {
	local who=$1; shift
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	local pre=()
	[ "$who" = nobody ] && pre=("${NOBODY[@]}")
	rc=0
	(cd "$W" && "${pre[@]}" env -u SBX_POLICY -u LD_PRELOAD "${envs[@]}" "$T/sbx" "$@") \
		> "$T/out" 2> "$T/err" < /dev/null || rc=$?
}
# The same without sbx: CMD... bare (or with the given environment).
bare_run() {
	local who=$1; shift
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	local pre=()
	[ "$who" = nobody ] && pre=("${NOBODY[@]}")
	rc=0
	(cd "$W" && "${pre[@]}" env -u SBX_POLICY -u LD_PRELOAD "${envs[@]}" "$@") \
		> "$T/out" 2> "$T/err" < /dev/null || rc=$?
}
has_err() { grep -qF -- "$1" "$T/err"; }

jailed_line="pid=2 seccomp=2 nnp=1 capeff=0000000000000000 euid=65534 root=no shadow=no"

for who in root nobody; do
	# A static binary: no loader, so LD_PRELOAD never reaches it; sbx jails it.
	sbx_run $who -- ./static_probe
	[ $rc = 0 ] && [ "$(out)" = "$jailed_line" ] && pass "$who/static-jailed-by-sbx" ||
		fail "$who/static-jailed-by-sbx" "$(why)"
	# The honest control: under LD_PRELOAD=sandbox.so the same binary runs
	# unjailed (no filter, host pid, host files), which is why sbx exists.
	bare_run $who LD_PRELOAD=$SO -- ./static_probe
	case "$(out)" in
	*"seccomp=0 nnp=0"*"shadow=yes") [ "$(out)" != "$jailed_line" ] &&
		pass "$who/static-under-ld-preload-is-not-jailed" ;;
	*) fail "$who/static-under-ld-preload-is-not-jailed" "$(why)" ;;
	esac
	# sbx doctor says so for that program, and not for a dynamic one.
	sbx_run $who -- doctor ./static_probe
	grep -q '^warn program: \./static_probe: static ELF.*LD_PRELOAD cannot reach it.*run it with sbx' "$T/out" &&
		pass "$who/doctor-static-needs-sbx" || fail "$who/doctor-static-needs-sbx" "$(grep program "$T/out")"
	sbx_run $who -- doctor /bin/true
	grep -q '^ok   program: /bin/true: dynamic ELF.*LD_PRELOAD=.* reaches it' "$T/out" &&
		pass "$who/doctor-dynamic-reached" || fail "$who/doctor-dynamic-reached" "$(grep program "$T/out")"

	# Well-formed doctor lines, and its status is 0 exactly when none says fail.
	sbx_run $who -- doctor
	bad=$(grep -vE '^(ok  |warn|fail) [a-z0-9-]+: .+' "$T/out" || true)
	nfail=$(grep -c '^fail' "$T/out" || true)
	if [ -z "$bad" ] && [ "$(wc -l < "$T/out")" -ge 10 ] && { { [ "$nfail" = 0 ] && [ $rc = 0 ]; } || { [ "$nfail" != 0 ] && [ $rc = 1 ]; }; }; then
		pass "$who/doctor-lines"
	else
		fail "$who/doctor-lines" "rc=$rc fails=$nfail bad=$bad"
	fi
	# On this machine the jail works (the other tests prove it), so must doctor's own test.
	grep -q '^ok   jail: ' "$T/out" && grep -q '^ok   seccomp-notify: ' "$T/out" &&
		pass "$who/doctor-jail-ok" || fail "$who/doctor-jail-ok" "$(grep -E '^(fail|warn)' "$T/out" | head -3)"

	# Exit statuses pass through; messages are the contract's.
	sbx_run $who -- /bin/sh -c 'exit 7'
	[ $rc = 7 ] && pass "$who/exit-status" || fail "$who/exit-status" "$(why)"
	sbx_run $who -- -s limits.wall_time=0.5 /bin/sleep 5
	[ $rc = 124 ] && has_err 'sbx: wall time limit (0.5 s) exceeded' &&
		pass "$who/override-wall-time" || fail "$who/override-wall-time" "$(why)"
	sbx_run $who -- -s sandbox.env=SBX_T_VAR=fromset -s sandbox.env=LANG=C /usr/bin/env
	[ $rc = 0 ] && [ "$(out | sort | tr '\n' ' ')" = "LANG=C SBX_T_VAR=fromset " ] &&
		pass "$who/override-env" || fail "$who/override-env" "$(why)"
	# The program's own options stay the program's.
	sbx_run $who -- /bin/echo -n -s x
	[ $rc = 0 ] && [ "$(out)" = "-s x" ] && pass "$who/program-options" || fail "$who/program-options" "$(why)"

	# -s errors name the -s text, and nothing runs.
	for bad in 'limits.wall_tim=3|-s limits.wall_tim=3: [limits] unknown key "wall_tim"' \
		'limits.wall_time=abc|-s limits.wall_time=abc: [limits] wall_time: bad' \
		'nosuch.key=1|-s nosuch.key=1: unknown section' \
		'limits.wall_time|-s limits.wall_time: expected SECTION.KEY=VALUE'; do
		set_text=${bad%%|*}
		msg=${bad#*|}
		rm -f "$W/marker"
		sbx_run $who -- -s "$set_text" ./static_probe "$W/marker"
		[ $rc = 125 ] && has_err "sbx: policy: $msg" && [ ! -e "$W/marker" ] && [ ! -s "$T/out" ] &&
			pass "$who/override-error-${set_text%%=*}" || fail "$who/override-error-${set_text%%=*}" "$(why)"
	done

	# Never unjailed. Control: with bind_cwd = rw the program leaves a marker.
	rm -f "$W/marker"
	sbx_run $who -- -s sandbox.bind_cwd=rw ./static_probe "$W/marker"
	[ $rc = 0 ] && [ -e "$W/marker" ] && [ "$(out)" = "$jailed_line" ] && pass "$who/marker-control" ||
		fail "$who/marker-control" "$(why)"
	# Any failing step: status 125, one `sbx: STEP:` line, no marker.
	for case in 'mount|-s fs.ro=/usr -s fs.ro=/nonexistent-sbx-test' \
		'policy|-p /nonexistent-sbx-test.ini' \
		'exec|-s fs.ro=/usr ../h/static_probe'; do
		step=${case%%|*}
		read -r -a args <<< "${case#*|}"
		rm -f "$W/marker"
		if [ $step = exec ]; then
			sbx_run $who -- -s sandbox.bind_cwd=rw "${args[@]}" "$W/marker"
		else
			sbx_run $who -- -s sandbox.bind_cwd=rw "${args[@]}" ./static_probe "$W/marker"
		fi
		[ $rc = 125 ] && has_err "sbx: $step: " && [ ! -e "$W/marker" ] && [ ! -s "$T/out" ] &&
			pass "$who/setup-failure-$step-no-run" || fail "$who/setup-failure-$step-no-run" "$(why)"
	done
	# The exec failure says which [fs] line would bring the program in.
	sbx_run $who -- ../h/static_probe
	[ $rc = 125 ] && has_err "sbx: exec: $T/h/static_probe: No such file or directory" &&
		has_err "add \`ro = $T/h\` to [fs]" && pass "$who/exec-hint" || fail "$who/exec-hint" "$(why)"
	# A preload that cannot be loaded: glibc warns and runs the program
	# unjailed (the hazard); sbx does not need the library at all.
	bare_run $who LD_PRELOAD=/nonexistent-sbx/sandbox.so -- /bin/sh -c 'echo ran > marker2'
	[ $rc = 0 ] && [ -e "$W/marker2" ] && pass "$who/missing-preload-runs-unjailed" ||
		fail "$who/missing-preload-runs-unjailed" "$(why)"
	rm -f "$W/marker2"
	sbx_run $who LD_PRELOAD=/nonexistent-sbx/sandbox.so -- ./static_probe
	[ $rc = 0 ] && [ "$(out)" = "$jailed_line" ] && pass "$who/sbx-ignores-missing-preload" ||
		fail "$who/sbx-ignores-missing-preload" "$(why)"
	# sbx under a working LD_PRELOAD=sandbox.so: a static sbx (as built)
	# never loads it and jails the program as usual; a dynamic build would
	# be jailed by the library first and refuses with the fix. Either way
	# no nested failure and no unjailed run.
	sbx_run $who LD_PRELOAD=$SO -- ./static_probe
	if { [ $rc = 0 ] && [ "$(out)" = "$jailed_line" ]; } ||
		{ [ $rc = 125 ] && has_err 'unset LD_PRELOAD' && [ ! -s "$T/out" ]; }; then
		pass "$who/sbx-under-preload"
	else
		fail "$who/sbx-under-preload" "$(why)"
	fi

	# --print-policy: every key, round trip (print, read back, print: identical).
	sbx_run $who -- --print-policy -s limits.wall_time=2.5 -s fs.ro=/usr -s fs.ro=?/opt -s seccomp.allow=personality
	cp "$T/out" "$W/p1.ini"
	chmod 644 "$W/p1.ini"
	sbx_run $who -- --print-policy -p "$W/p1.ini"
	if [ $rc = 0 ] && cmp -s "$T/out" "$W/p1.ini" && grep -q '^wall_time = 2.5$' "$W/p1.ini" &&
		grep -q '^ro = ?/opt$' "$W/p1.ini" && grep -q '^allow = personality$' "$W/p1.ini" &&
		[ "$(grep -c '^[a-z_]* =' "$W/p1.ini")" -ge 40 ]; then
		pass "$who/print-policy-round-trip"
	else
		fail "$who/print-policy-round-trip" "rc=$rc $(diff "$T/out" "$W/p1.ini" | head -5 | tr '\n' '|')"
	fi
	# SBX_POLICY is read when -p is absent; -p wins over it.
	printf '[sandbox]\nhostname = fromenv\n' > "$W/env.ini"
	printf '[sandbox]\nhostname = fromp\n' > "$W/p.ini"
	chmod 644 "$W/env.ini" "$W/p.ini"
	sbx_run $who SBX_POLICY=$W/env.ini -- --print-policy
	a=$(grep '^hostname' "$T/out")
	sbx_run $who SBX_POLICY=$W/env.ini -- --print-policy -p "$W/p.ini"
	b=$(grep '^hostname' "$T/out")
	[ "$a" = "hostname = fromenv" ] && [ "$b" = "hostname = fromp" ] && pass "$who/policy-env-and-p" ||
		fail "$who/policy-env-and-p" "a=$a b=$b"

	# A blocked syscall: 159 and the line names the syscall, the origin and the fix.
	sbx_run $who -- ./launcher_denied personality
	[ $rc = 159 ] && has_err 'sbx: blocked syscall personality' && has_err 'sbx: personality is denied by preset default; to permit it: [seccomp] allow = personality' &&
		[ ! -s "$T/out" ] && pass "$who/blocked-names-fix" || fail "$who/blocked-names-fix" "$(why)"
	printf '[seccomp]\n; getppid, for the test\ndeny = getppid\n' > "$W/deny.ini"
	chmod 644 "$W/deny.ini"
	sbx_run $who -- -p "$W/deny.ini" $PY -c 'import os; os.getppid()'
	[ $rc = 159 ] && has_err "sbx: blocked syscall getppid" && has_err "sbx: getppid is denied by $W/deny.ini:3; to permit it: take getppid out of [seccomp] deny" &&
		pass "$who/blocked-origin-file-line" || fail "$who/blocked-origin-file-line" "$(why)"
	# learn: the program runs, and the allow line is the one it needs ...
	for call in personality ptrace; do
		sbx_run $who -- learn ./launcher_denied $call
		[ $rc = 0 ] && [ "$(out)" = "$call ok" ] && has_err "sbx: learn: the program needed: [seccomp] allow = $call" &&
			has_err "sbx: learn: warning: $call (denied by preset default)" &&
			pass "$who/learn-$call" || fail "$who/learn-$call" "$(why)"
		# ... and with that line it runs (the control above: without, 159).
		sbx_run $who -- -s seccomp.allow=$call ./launcher_denied $call
		[ $rc = 0 ] && [ "$(out)" = "$call ok" ] && pass "$who/learned-allow-runs-$call" ||
			fail "$who/learned-allow-runs-$call" "$(why)"
	done
	# learn still refuses what would change the jail, and says so.
	sbx_run $who -- learn /usr/bin/unshare -U /bin/true
	[ $rc != 0 ] && has_err 'sbx: learn: refused even in learn mode: unshare' &&
		pass "$who/learn-refuses-namespaces" || fail "$who/learn-refuses-namespaces" "$(why)"
	sbx_run $who -- learn /bin/true
	[ $rc = 0 ] && has_err 'sbx: learn: the program needed no syscall beyond the policy' &&
		pass "$who/learn-nothing-needed" || fail "$who/learn-nothing-needed" "$(why)"

	# Usage errors: 125 and one `sbx: usage:` line.
	sbx_run $who --
	[ $rc = 125 ] && has_err 'sbx: usage: no PROGRAM to run' && pass "$who/usage-no-program" ||
		fail "$who/usage-no-program" "$(why)"
	sbx_run $who -- --print-policy /bin/true
	[ $rc = 125 ] && has_err 'sbx: usage:' && pass "$who/usage-print-policy-program" ||
		fail "$who/usage-print-policy-program" "$(why)"
	sbx_run $who -- --help
	[ $rc = 0 ] && grep -q '^usage: sbx' "$T/out" && pass "$who/help" || fail "$who/help" "$(why)"
	sbx_run $who -- nonexistent-sbx-program
	[ $rc = 125 ] && has_err 'sbx: exec: nonexistent-sbx-program: not found on PATH' &&
		pass "$who/not-on-path" || fail "$who/not-on-path" "$(why)"
done

# Other static and foreign-loader programs, where their toolchains are
# installed (Go, musl): sbx jails them all; LD_PRELOAD reaches none.
others=()
if command -v go > /dev/null; then
	if (cd "$T" && HOME=$T GOCACHE=$T/gocache GOPATH=$T/gopath CGO_ENABLED=0 \
		go build -o "$W/go_probe" "$TOP/tests/helpers/static_go_probe.go") > "$T/err" 2>&1; then
		others+=(go_probe)
	else
		fail "go-build" "$(err | head -3)"
	fi
else
	skip "go" "no Go toolchain"
fi
if command -v musl-gcc > /dev/null; then
	musl-gcc -O1 -static -o "$W/musl_static_probe" "$TOP/tests/helpers/static_probe.c" &&
		musl-gcc -O1 -o "$W/musl_dynamic_probe" "$TOP/tests/helpers/static_probe.c" &&
		others+=(musl_static_probe musl_dynamic_probe) || fail "musl-build" "musl-gcc failed"
else
	skip "musl" "no musl-gcc"
fi
chmod -R a+rX "$W"
rm -rf "$T/gocache" "$T/gopath"
for prog in "${others[@]}"; do
	for who in root nobody; do
		# Where no memory cgroup can be made (nobody here), memory falls
		# back to RLIMIT_AS, and Go's runtime reserves more address space
		# at start than the default 256M: give it 1G.
		mem=()
		[ $prog = go_probe ] && mem=(-s limits.memory=1G)
		sbx_run $who -- "${mem[@]}" "./$prog"
		[ $rc = 0 ] && [ "$(out)" = "$jailed_line" ] && pass "$who/$prog-jailed-by-sbx" ||
			fail "$who/$prog-jailed-by-sbx" "$(why)"
	done
	# The control: under LD_PRELOAD it is not jailed (static), or does not
	# run at all (musl's loader cannot load a glibc library: status 127).
	bare_run root LD_PRELOAD=$SO -- "./$prog"
	case "$prog:$rc:$(out)" in
	musl_dynamic_probe:127:) pass "root/$prog-under-ld-preload-does-not-run" ;;
	*:0:*"seccomp=0 nnp=0"*"shadow=yes") pass "root/$prog-under-ld-preload-is-not-jailed" ;;
	*) fail "root/$prog-under-ld-preload" "$(why)" ;;
	esac
	sbx_run root -- doctor "./$prog"
	grep -q "^warn program: ./$prog: .*run it with sbx" "$T/out" && pass "root/doctor-$prog" ||
		fail "root/doctor-$prog" "$(grep program: "$T/out")"
done

# The man pages render (scdoc Markdown -> roff -> man -l).
if command -v scdoc > /dev/null && command -v man > /dev/null; then
	for page in "$TOP"/docs/*.scd; do
		name=$(basename "$page" .scd)
		if scdoc < "$page" > "$T/$name" 2> "$T/err" &&
			MANWIDTH=80 man -l "$T/$name" 2> /dev/null | grep -q '^NAME'; then
			pass "man-$name"
		else
			fail "man-$name" "$(err | head -3)"
		fi
	done
	# Every option of sbx --help is in sbx(1).
	missing=$("$T/sbx" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+' |
		while read -r opt; do grep -qE -- "(\*|, )$opt\b" "$TOP/docs/sbx.1.scd" || echo "$opt"; done)
	[ -z "$missing" ] && pass "man-covers-options" || fail "man-covers-options" "$missing"
else
	skip "man" "no scdoc or man"
fi

# doctor fails (status 1) on a program that does not exist.
sbx_run root -- doctor /nonexistent-sbx-program
[ $rc = 1 ] && grep -q '^fail program: /nonexistent-sbx-program: No such file or directory' "$T/out" &&
	pass "root/doctor-fail-status" || fail "root/doctor-fail-status" "$(why)"

# --report FILE is [sandbox] report for this run.
rm -f "$W/r.json"
sbx_run root -- --report r.json /bin/sh -c 'exit 3'
[ $rc = 3 ] && [ -s "$W/r.json" ] && grep -q '"status": *3' "$W/r.json" && pass "root/report-option" ||
	fail "root/report-option" "$(why) report=$(head -c 200 "$W/r.json" 2> /dev/null)"

# A setuid-root program run by nobody: bare it gets euid 0 (the control);
# under sbx it keeps nobody's euid (no_new_privs, and root is not mapped).
S=$(mktemp -d /tmp/sbx-setuid.XXXXXX)
chmod 755 "$S"
cp "$W/launcher_euid" "$W/static_probe" "$S/"
chown root:root "$S/launcher_euid" "$S/static_probe"
chmod 4755 "$S/launcher_euid" "$S/static_probe"
for prog in launcher_euid static_probe; do
	rc=0
	(cd "$S" && "${NOBODY[@]}" "./$prog") > "$T/out" 2> "$T/err" || rc=$?
	if ! grep -q 'euid=0' "$T/out"; then
		skip "nobody/setuid-$prog" "the control failed: bare setuid-root gave no euid 0 here (nosuid /tmp?): $(why)"
		continue
	fi
	# Under LD_PRELOAD the loader's secure mode drops sandbox.so (dynamic) or
	# there is no loader (static): privileged and unjailed either way.
	rc=0
	(cd "$S" && "${NOBODY[@]}" env LD_PRELOAD=$SO "./$prog") > "$T/out" 2> "$T/err" || rc=$?
	grep -q 'euid=0' "$T/out" && pass "nobody/setuid-$prog-under-ld-preload-is-privileged" ||
		fail "nobody/setuid-$prog-under-ld-preload-is-privileged" "$(why)"
	rc=0
	(cd "$S" && "${NOBODY[@]}" "$T/sbx" "./$prog") > "$T/out" 2> "$T/err" || rc=$?
	[ $rc = 0 ] && grep -q 'euid=65534' "$T/out" && ! grep -q 'euid=0' "$T/out" &&
		pass "nobody/setuid-$prog-under-sbx-unprivileged" || fail "nobody/setuid-$prog-under-sbx-unprivileged" "$(why)"
done
sbx_run nobody -- doctor "$S/launcher_euid"
grep -q "^warn program: $S/launcher_euid: setuid-root: .*ignores LD_PRELOAD" "$T/out" &&
	pass "nobody/doctor-setuid" || fail "nobody/doctor-setuid" "$(grep program "$T/out")"
rm -rf "$S"
