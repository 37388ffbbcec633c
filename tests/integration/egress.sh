#!/usr/bin/env bash
# egress: [net] mode = egress (issue 5), in a private network world of its own
# (tests/helpers/networld.sh): the jail reaches the "internet" over TCP, UDP
# and DNS, and is refused, at once, every address of the "host", its networks
# and every non-global range; allow lines narrow it; the program cannot undo
# the filter; nothing is left after a run; as root and as nobody; a stack that
# cannot start fails closed. No packet leaves the machine: every address
# lives in namespaces made here.
#
# Runs the jail through sandbox.so when the build has egress wired, else
# through test_egress's own small jail (the same four calls of egress.h).
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/networld.sh"

if [ "$(id -u)" != 0 ]; then
	skip all "needs root to build its network world (ip netns)"
	exit 0
fi
if [ ! -x /usr/bin/pasta ] || ! ldconfig -p | grep -q libnftables.so.1; then
	skip all "needs pasta (Debian's passt) and libnftables1"
	exit 0
fi

TUN_MODE=$(stat -c %a /dev/net/tun)
cleanup() {
	world_down
	chmod "$TUN_MODE" /dev/net/tun
	cleanup_tmp
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! world_up; then
	fail world "could not build the network world"
	exit 1
fi
cp "$TOP/tests/helpers/netprobe.py" "$T/"
[ -x "$BUILD/unit/test_egress" ] && cp "$BUILD/unit/test_egress" "$T/"
chmod -R a+rX "$T"

REFUSED='ECONNREFUSED|EHOSTUNREACH|ENETUNREACH'
AS=root

# ---- the runner ----

RUNNER=driver
pol=$(policy detect.ini <<< $'[net]\nmode = egress')
if [ -f "$SO" ] && [ "$( (cd "$T" && in_host env LD_PRELOAD="$SO" SBX_POLICY="$pol" \
	/usr/bin/python3 -c 'import os; print(os.getpid())') 2> /dev/null)" = 2 ]; then
	RUNNER=sandbox
elif [ ! -x "$T/test_egress" ]; then
	fail runner "neither sandbox.so with egress nor $BUILD/unit/test_egress"
	exit 1
fi
echo "# runner: $RUNNER"

# The jail, from the host namespace, as $AS: ejail POLICY CMD...
_ejail_cmd() {
	local pol=$1; shift
	local who=()
	[ "$AS" = nobody ] && who=("${NOBODY[@]}")
	if [ "$RUNNER" = sandbox ]; then
		"${W_IN:-in_host}" "${who[@]}" env LD_PRELOAD="$SO" SBX_POLICY="$pol" "$@"
	else
		"${W_IN:-in_host}" "${who[@]}" "$T/test_egress" run "$pol" -- "$@"
	fi
}
ejail() {
	rc=0
	(cd "$T" && _ejail_cmd "$@") > "$T/out" 2> "$T/err" < /dev/null || rc=$?
}
probe() { # POLICY CHECK...: netprobe.py under the jail
	local pol=$1; shift
	ejail "$pol" /usr/bin/python3 netprobe.py "$@"
}

# want NAME CHECK REGEX: netprobe's answer to CHECK matches REGEX (whole).
want() {
	local name=$1 check=$2 re=$3 got
	got=$(grep -F -- "$check " "$T/out" | head -1)
	got=${got#"$check "}
	if [[ $got =~ ^($re)$ ]]; then
		pass "$AS/$name"
	else
		fail "$AS/$name" "$check gave '${got:-nothing}', want $re; $(why)"
	fi
}

# leftovers_none NAME [MARKER]: nothing left in the host namespace but the
# world's servers (no pasta), and no process at all whose command line holds
# MARKER (a jailed program lives in namespaces of its own).
leftovers_none() {
	local left i
	for i in $(seq 50); do
		left=$(world_leftovers)
		[ -n "${2:-}" ] && left+=$(pgrep -af -- "$2")
		[ -z "$left" ] && break
		sleep 0.05
	done
	[ -z "$left" ] && pass "$AS/$1" || fail "$AS/$1" "left running: $left"
}

# The supervisor of a run whose command line holds MARKER: the one process
# with it that lives in the host namespace (the jailed ones have their own).
supervisor_of() {
	local pid
	for pid in $(ip netns pids "$W_HOST"); do
		tr '\0' ' ' < "/proc/$pid/cmdline" 2> /dev/null | grep -q -- "$1" && echo "$pid"
	done
}

P_EGRESS=$(policy egress.ini <<< $'[net]\nmode = egress')

# Every range the issue lists, with a live server behind it wherever the world
# can have one (a refusal there is the filter's doing, not an empty address).
DENIED_BOTH=(0.0.0.1,7 10.1.2.3,7 10.9.9.9,7 100.64.0.1,7 127.0.0.1,7 169.254.169.254,7
	172.16.5.1,7 192.168.7.1,7 224.0.0.1,7 240.0.0.1,7 198.18.0.1,7 203.0.113.2,7
	203.0.113.1,7 ::1,7 fd00:10::1,7 ::ffff:10.9.9.9,7 ::ffff:127.0.0.1,7
	64:ff9b::a09:909,7 2001:db8:77::1,7 2001:db8:ff::1,7)
DENIED_TCP=(169.254.169.254,80 ff02::1%eth0,7)
denied_checks() {
	local a
	for a in "${DENIED_BOTH[@]}"; do echo "tcp,$a udp,$a"; done
	for a in "${DENIED_TCP[@]}"; do echo "tcp,$a"; done
}
mapfile -t DENIED_CHECKS < <(denied_checks | tr ' ' '\n')

basic_checks() {
	probe "$P_EGRESS" tcp,198.51.100.10,7 udp,198.51.100.10,7 tcp,2001:db8:1::10,7 \
		udp,2001:db8:1::10,7 resolve,test.example cat,/etc/resolv.conf "${DENIED_CHECKS[@]}" \
		tcp,fe80::1%eth0,7
	[ "$rc" = 0 ] && pass "$AS/runs" || fail "$AS/runs" "$(why)"
	want internet-tcp tcp,198.51.100.10,7 ok:internet
	want internet-udp udp,198.51.100.10,7 ok:internet
	want internet6-tcp tcp,2001:db8:1::10,7 ok:internet6
	want internet6-udp udp,2001:db8:1::10,7 ok:internet6
	want resolves resolve,test.example '198.51.100.10 2001:db8:1::10'
	want resolv.conf cat,/etc/resolv.conf 'nameserver 198.51.100.10'
	local c
	for c in "${DENIED_CHECKS[@]}"; do
		want "refused/$c" "$c" "$REFUSED"
	done
	# Link-local: the kernel has no usable source address for it in the
	# jail (its own stays tentative), so it refuses before the filter.
	want refused/tcp,fe80::1%eth0,7 tcp,fe80::1%eth0,7 "$REFUSED|EINVAL"
	leftovers_none no-leftovers
}

# ---- the control: the same checks, unjailed, do reach the host ----

(cd "$T" && in_host /usr/bin/python3 netprobe.py "${DENIED_CHECKS[@]}") > "$T/out" 2>&1
reached=$(grep -c ' ok:' "$T/out")
[ "$reached" -ge 25 ] && pass "control/unjailed-reaches-host-and-lan ($reached of ${#DENIED_CHECKS[@]})" ||
	fail control/unjailed-reaches-host-and-lan "only $reached answered: $(tr '\n' '|' < "$T/out")"

# ---- as root ----

basic_checks

if [ "$RUNNER" = driver ]; then
	bytes=$(sed -n 's/^test_egress: bytes sent \([0-9]*\) received \([0-9]*\)$/\1 \2/p' "$T/err")
	[[ $bytes =~ ^[1-9][0-9]*\ [1-9][0-9]*$ ]] && pass "$AS/byte-counts ($bytes)" ||
		fail "$AS/byte-counts" "$(why)"
else
	rep=$(policy report.ini <<< $'[sandbox]\nreport = '"$T"$'/report.json\n[net]\nmode = egress')
	probe "$rep" tcp,198.51.100.10,7
	grep -Eq '"net_bytes_sent": *[1-9]' "$T/report.json" 2> /dev/null &&
		grep -Eq '"net_bytes_received": *[1-9]' "$T/report.json" &&
		pass "$AS/byte-counts" || fail "$AS/byte-counts" "$(cat "$T/report.json" 2> /dev/null)"
fi

# The program cannot undo the filter: no capability, so every attempt fails,
# and the refusal holds afterwards.
probe "$P_EGRESS" flush tcp,10.1.2.3,7 udp,10.1.2.3,7 tcp,198.51.100.10,7
grep -q '^flush nft flush rc=[1-9].*Operation not permitted' "$T/out" &&
	grep -q '^flush ip route rc=[1-9].*Operation not permitted' "$T/out" &&
	pass "$AS/cannot-flush" || fail "$AS/cannot-flush" "$(why)"
want still-refused-after-flush tcp,10.1.2.3,7 "$REFUSED"
want still-refused-after-flush-udp udp,10.1.2.3,7 "$REFUSED"
want still-works-after-flush tcp,198.51.100.10,7 ok:internet

# No inbound connection: the jailed program listens; nothing of the host gets in.
(cd "$T" && _ejail_cmd "$P_EGRESS" /usr/bin/python3 netprobe.py listen,9000,3) \
	> "$T/listen.out" 2> "$T/listen.err" < /dev/null &
lpid=$!
for i in $(seq 200); do grep -q listening "$T/listen.out" && break; sleep 0.05; done
in_host /usr/bin/python3 "$T/netprobe.py" tcp,127.0.0.1,9000 tcp,203.0.113.2,9000 tcp,::1,9000 \
	> "$T/out" 2>&1
wait "$lpid"
cat "$T/listen.out" >> "$T/out"
want inbound-lo tcp,127.0.0.1,9000 "$REFUSED"
want inbound-addr tcp,203.0.113.2,9000 "$REFUSED"
want inbound-lo6 tcp,::1,9000 "$REFUSED"
want inbound-none-accepted listen,9000 'accepted 0'

# DNS through pasta's forwarder, when the host's resolver is on its loopback.
W_RESOLV=lo probe "$P_EGRESS" resolve,test.example resolve,host.example cat,/etc/resolv.conf \
	tcp,169.254.1.1,53 tcp,127.0.0.1,53 udp,127.0.0.1,53
want dns-forwarded resolve,host.example 198.51.100.20
want dns-forwarded-resolv.conf cat,/etc/resolv.conf 'nameserver 169.254.1.1'
want dns-forwarder-only-udp tcp,169.254.1.1,53 "$REFUSED"
want dns-host-loopback-tcp tcp,127.0.0.1,53 "$REFUSED"
want dns-host-loopback-udp udp,127.0.0.1,53 "$REFUSED"

# ... and when it listens on one of the host's own addresses.
W_RESOLV=self probe "$P_EGRESS" resolve,self.example cat,/etc/resolv.conf
want dns-forwarded-self resolve,self.example 198.51.100.20
want dns-forwarded-self-resolv.conf cat,/etc/resolv.conf 'nameserver 169.254.1.1'

# [net] dns names the resolver (the host's own answers nowhere).
pol=$(policy dns.ini <<< $'[net]\nmode = egress\ndns = 198.51.100.10')
W_RESOLV=none probe "$pol" resolve,test.example cat,/etc/resolv.conf
want dns-policy resolve,test.example '198.51.100.10 2001:db8:1::10'
want dns-policy-resolv.conf cat,/etc/resolv.conf 'nameserver 198.51.100.10'

# allow: exactly what the lines name.
pol=$(policy allow.ini <<< $'[net]\nmode = egress\nallow = 198.51.100.10:7')
probe "$pol" tcp,198.51.100.10,7 udp,198.51.100.10,7 tcp,198.51.100.10,8 tcp,198.51.100.20,7 \
	udp,198.51.100.20,7 tcp,2001:db8:1::10,7 tcp,10.1.2.3,7 resolve,test.example
want allow/listed-tcp tcp,198.51.100.10,7 ok:internet
want allow/listed-udp udp,198.51.100.10,7 ok:internet
want allow/other-port tcp,198.51.100.10,8 "$REFUSED"
want allow/other-host-tcp tcp,198.51.100.20,7 "$REFUSED"
want allow/other-host-udp udp,198.51.100.20,7 "$REFUSED"
want allow/other-family tcp,2001:db8:1::10,7 "$REFUSED"
want allow/denied-still tcp,10.1.2.3,7 "$REFUSED"
want allow/dns-still resolve,test.example '198.51.100.10 2001:db8:1::10'

pol=$(policy allow-name.ini <<< $'[sandbox]\nlog = info\n[net]\nmode = egress\nallow = test.example\nallow = 10.9.9.9:7')
probe "$pol" tcp,198.51.100.10,8 tcp,2001:db8:1::10,7 tcp,198.51.100.20,7 tcp,10.9.9.9,7
want allow/name-any-port tcp,198.51.100.10,8 ok:internet8
want allow/name-ipv6 tcp,2001:db8:1::10,7 ok:internet6
want allow/name-only tcp,198.51.100.20,7 "$REFUSED"
want allow/in-denied-range tcp,10.9.9.9,7 "$REFUSED"
grep -q '^sbx: net: allow test.example (.*allow-name.ini:5) = .*198\.51\.100\.10' "$T/err" &&
	pass "$AS/allow/name-logged" || fail "$AS/allow/name-logged" "$(why)"
grep -q '^sbx: net: allow 10\.9\.9\.9:7 (.*) lies in the denied range 10\.0\.0\.0/8' "$T/err" &&
	pass "$AS/allow/in-denied-range-warned" || fail "$AS/allow/in-denied-range-warned" "$(why)"

pol=$(policy allow-bad.ini <<< $'[net]\nmode = egress\nallow = nosuch.example:443')
probe "$pol" tcp,198.51.100.10,7
[ "$rc" = 125 ] && grep -q '^sbx: net: allow nosuch.example:443 (.*allow-bad.ini:3): cannot resolve' "$T/err" &&
	! grep -q ' ok:' "$T/out" && pass "$AS/allow/unresolvable-fails-closed" ||
	fail "$AS/allow/unresolvable-fails-closed" "$(why)"

# deny: added to the refused set.
pol=$(policy deny.ini <<< $'[net]\nmode = egress\ndeny = 198.51.100.20/32')
probe "$pol" tcp,198.51.100.20,7 udp,198.51.100.20,7 tcp,198.51.100.10,7
want deny/tcp tcp,198.51.100.20,7 "$REFUSED"
want deny/udp udp,198.51.100.20,7 "$REFUSED"
want deny/others-still tcp,198.51.100.10,7 ok:internet

# Nothing is left when the program dies by a signal...
probe "$P_EGRESS" tcp,198.51.100.10,7 killself
[ "$rc" = 137 ] && pass "$AS/killed-status" || fail "$AS/killed-status" "$(why)"
leftovers_none killed-no-leftovers killself

# ... nor when the supervisor itself is killed.
kill_supervisor() {
	(cd "$T" && _ejail_cmd "$P_EGRESS" /usr/bin/python3 netprobe.py listen,9001,5) \
		> "$T/sup.out" 2> "$T/sup.err" < /dev/null &
	local job=$! sup i
	# Generous: other test suites may load the machine.
	for i in $(seq 200); do grep -q listening "$T/sup.out" && break; sleep 0.05; done
	sup=$(supervisor_of listen,9001)
	if [ -z "$sup" ] || ! grep -q listening "$T/sup.out"; then
		fail "$AS/supervisor-killed" "the jail did not start (supervisor '$sup'," \
			"out '$(cat "$T/sup.out")', err '$(cat "$T/sup.err")')"
		wait "$job"
		return
	fi
	world_leftovers | grep -q pasta && pass "$AS/supervisor-killed-stack-was-there" ||
		fail "$AS/supervisor-killed-stack-was-there" "no pasta seen while the jail ran"
	kill -KILL "$sup"
	wait "$job" 2> /dev/null
	leftovers_none supervisor-killed-no-leftovers listen,9001
}
kill_supervisor

# A stack that cannot start (no route out of this host): 125, sbx: net:.
W_IN=in_lonely probe "$P_EGRESS" tcp,198.51.100.10,7
[ "$rc" = 125 ] && grep -q '^sbx: net: pasta' "$T/err" && ! grep -q ' ok:' "$T/out" &&
	pass "$AS/no-stack-fails-closed" || fail "$AS/no-stack-fails-closed" "$(why)"

# ---- as nobody: /dev/net/tun at 0666, as stock Debian has it ----

AS=nobody
chmod 0666 /dev/net/tun
basic_checks
probe "$P_EGRESS" flush tcp,10.1.2.3,7
grep -q '^flush nft flush rc=[1-9].*Operation not permitted' "$T/out" &&
	pass "$AS/cannot-flush" || fail "$AS/cannot-flush" "$(why)"
want still-refused-after-flush tcp,10.1.2.3,7 "$REFUSED"
kill_supervisor

# /dev/net/tun closed to the caller: 125 and the fix.
chmod 0600 /dev/net/tun
probe "$P_EGRESS" tcp,198.51.100.10,7
[ "$rc" = 125 ] && grep -q '^sbx: net: .*/dev/net/tun.*chmod 0666 /dev/net/tun' "$T/err" &&
	! grep -q ' ok:' "$T/out" && pass "$AS/tun-closed-fails-closed" ||
	fail "$AS/tun-closed-fails-closed" "$(why)"
chmod "$TUN_MODE" /dev/net/tun
