# networld.sh: a private network world for the egress tests. Source it (bash),
# call world_up, run things with in_host, and make sure world_down runs (trap).
#
# Nothing here can send a packet off the machine: both namespaces are new, the
# only link is a veth pair between them, and neither has any other way out.
#
#   "the internet"  ($W_INET)
#       veth 203.0.113.1/24, 2001:db8:ff::1/64 (the host's gateway)
#       lo:    the test host 198.51.100.10 and 2001:db8:1::10
#              (TCP echo :7 and :8, UDP echo :7, DNS :53 knowing test.example),
#              another host 198.51.100.20 (TCP/UDP echo :7),
#              a server on the host's LAN 10.9.9.9 (TCP/UDP echo :7),
#              and 240.0.0.1 (TCP echo :7, reserved range)
#   "the host"      ($W_HOST), where the sandbox runs
#       veth 203.0.113.2/24, 2001:db8:ff::2/64, default routes via the internet
#       lo:    127.0.0.1 and ::1 echo :7 (the host's own services), and DNS
#              servers on 127.0.0.1:53 and 198.18.0.1:53 (host resolvers)
#       lo:    10.1.2.3, 100.64.0.1, 172.16.5.1, 192.168.7.1, 169.254.169.254
#              (echo :7, and :80 for the last), fd00:10::1, and 198.18.0.1 and 2001:db8:77::1
#              (global-looking addresses that only the "host's own addresses"
#              rule can refuse)
# Every echo server answers TAG:data; the tags say who answered.
#
#   "a lonely host" ($W_LONE): lo and nothing else, no route anywhere
#
# in_host CMD...  runs CMD inside the host namespace, in a private mount
#                 namespace where /etc/resolv.conf names the world's DNS server.
# in_lonely CMD... the same in the lonely host.

W_HELPERS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
W_INET=sbxw-i-$$
W_HOST=sbxw-h-$$
W_LONE=sbxw-l-$$
W_DIR=
W_SERVERS=()

_w_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Start netserve.py in namespace NS with SPECs; wait until it listens.
_w_serve() {
	local ns=$1 name=$2; shift 2
	ip netns exec "$ns" /usr/bin/python3 "$W_HELPERS/netserve.py" "$W_DIR/$name.ready" "$@" \
		> "$W_DIR/$name.log" 2>&1 &
	W_SERVERS+=($!)
	local i
	for i in $(seq 100); do
		[ -f "$W_DIR/$name.ready" ] && return 0
		kill -0 "${W_SERVERS[-1]}" 2> /dev/null || break
		sleep 0.05
	done
	echo "networld: $name did not start: $(cat "$W_DIR/$name.log")" >&2
	return 1
}

world_up() {
	W_DIR=$(mktemp -d /tmp/sbx-world.XXXXXX)
	chmod 755 "$W_DIR"
	ip netns add "$W_INET" || return 1
	ip netns add "$W_HOST" || return 1
	ip netns add "$W_LONE" || return 1
	(set -e; _w_links) || { echo "networld: could not build the namespaces" >&2; return 1; }

	echo "nameserver 198.51.100.10" > "$W_DIR/resolv.conf"
	echo "nameserver 127.0.0.1" > "$W_DIR/resolv-lo.conf"
	echo "nameserver 192.0.2.99" > "$W_DIR/resolv-none.conf"
	echo "nameserver 198.18.0.1" > "$W_DIR/resolv-self.conf"
	chmod 644 "$W_DIR"/resolv*.conf

	_w_serve "$W_INET" inet \
		tcp,198.51.100.10,7,internet udp,198.51.100.10,7,internet \
		tcp,2001:db8:1::10,7,internet6 udp,2001:db8:1::10,7,internet6 \
		dns,198.51.100.10,53,test.example=198.51.100.10+test.example=2001:db8:1::10+lan.example=10.9.9.9 \
		tcp,198.51.100.10,8,internet8 tcp,198.51.100.20,7,other udp,198.51.100.20,7,other \
		tcp,10.9.9.9,7,lan udp,10.9.9.9,7,lan tcp,240.0.0.1,7,reserved \
		tcp,203.0.113.1,7,gateway udp,203.0.113.1,7,gateway || return 1
	local specs=() addr
	for addr in 127.0.0.1 ::1 10.1.2.3 100.64.0.1 172.16.5.1 192.168.7.1 169.254.169.254 \
		198.18.0.1 203.0.113.2 fd00:10::1 2001:db8:77::1 2001:db8:ff::2; do
		specs+=("tcp,$addr,7,host" "udp,$addr,7,host")
	done
	specs+=(tcp,169.254.169.254,80,metadata
		dns,127.0.0.1,53,test.example=198.51.100.10+host.example=198.51.100.20
		dns,198.18.0.1,53,test.example=198.51.100.10+self.example=198.51.100.20)
	_w_serve "$W_HOST" host "${specs[@]}" || return 1
}

# The links, addresses and routes (run under set -e). The kernel may lack the
# dummy driver, so the extra addresses sit on lo (as /32 and /128: only that
# address becomes local, unlike 127.0.0.0/8).
_w_links() {
	ip link add name veth0 netns "$W_HOST" type veth peer name veth0 netns "$W_INET"
	local ns a
	for ns in "$W_INET" "$W_HOST" "$W_LONE"; do
		_w_ns "$ns" ip link set lo up
	done
	_w_ns "$W_INET" ip addr add 203.0.113.1/24 dev veth0
	_w_ns "$W_INET" ip addr add 2001:db8:ff::1/64 dev veth0 nodad
	_w_ns "$W_INET" ip link set veth0 up
	local a
	for a in 198.51.100.10/32 198.51.100.20/32 10.9.9.9/32 240.0.0.1/32; do
		_w_ns "$W_INET" ip addr add "$a" dev lo
	done
	_w_ns "$W_INET" ip addr add 2001:db8:1::10/128 dev lo
	# Replies to the host's addresses go back over the veth.
	_w_ns "$W_INET" ip route add 198.18.0.1/32 via 203.0.113.2
	_w_ns "$W_INET" ip -6 route add 2001:db8:77::/64 via 2001:db8:ff::2

	_w_ns "$W_HOST" ip addr add 203.0.113.2/24 dev veth0
	_w_ns "$W_HOST" ip addr add 2001:db8:ff::2/64 dev veth0 nodad
	_w_ns "$W_HOST" ip link set veth0 up
	for a in 10.1.2.3 100.64.0.1 172.16.5.1 192.168.7.1 169.254.169.254 198.18.0.1; do
		_w_ns "$W_HOST" ip addr add "$a/32" dev lo
	done
	_w_ns "$W_HOST" ip addr add fd00:10::1/128 dev lo
	_w_ns "$W_HOST" ip addr add 2001:db8:77::1/128 dev lo
	_w_ns "$W_HOST" ip route add default via 203.0.113.1
	_w_ns "$W_HOST" ip -6 route add default via 2001:db8:ff::1
	# The host's LAN (10.9.0.0/16) and the reserved 240/4 lie beyond the gateway.
	_w_ns "$W_HOST" ip route add 10.9.0.0/16 via 203.0.113.1
	_w_ns "$W_HOST" ip route add 240.0.0.0/4 via 203.0.113.1
}

world_down() {
	local pid
	for pid in "${W_SERVERS[@]}"; do
		kill "$pid" 2> /dev/null
		wait "$pid" 2> /dev/null
	done
	W_SERVERS=()
	# Deleting a namespace takes its veth, addresses and routes with it.
	ip netns del "$W_INET" 2> /dev/null
	ip netns del "$W_HOST" 2> /dev/null
	ip netns del "$W_LONE" 2> /dev/null
	[ -n "$W_DIR" ] && rm -rf "$W_DIR"
	W_DIR=
}

# Run CMD in the host namespace, its resolv.conf naming the world's DNS server
# (W_RESOLV=lo: the host's own resolver on 127.0.0.1, as systemd-resolved or
# dnsmasq would be; W_RESOLV=self: one on an address of the host, 198.18.0.1;
# W_RESOLV=none: a resolver nobody answers at).
# ip netns exec already gives CMD a private mount namespace; the bind stays in it.
in_host() {
	local conf=$W_DIR/resolv${W_RESOLV:+-$W_RESOLV}.conf
	ip netns exec "$W_HOST" /bin/sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$conf" "$@"
}

in_lonely() {
	ip netns exec "$W_LONE" /bin/sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$W_DIR/resolv.conf" "$@"
}

# The pids of the host namespace that are not the world's own servers: what
# a run left behind (pasta, a jailed process).
world_leftovers() {
	local pid keep
	for pid in $(ip netns pids "$W_HOST"); do
		keep=1
		for s in "${W_SERVERS[@]}"; do [ "$pid" = "$s" ] && keep=0; done
		[ "$keep" = 1 ] && [ -e "/proc/$pid" ] && echo "$pid:$(tr '\0' ' ' < "/proc/$pid/cmdline" 2> /dev/null)"
	done
}
