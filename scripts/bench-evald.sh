#!/usr/bin/env bash
# bench-evald.sh: sbx-evald's throughput and latency, pool on and off, in one run.
#
# For each of print(1) and a 50 ms CPU loop, at concurrency 1, 2, 8 and 32,
# with the warm pool on (--pool POOL) and off (--pool 0): requests/s, p50 and
# p99 latency (wrk with a Lua POST script, closed loop, DURATION s each), and
# the CPU the service and its jails spent per request. Then "paced": one
# request at a time, 50 ms apart, which is what a single user sees while the
# pool keeps up (a closed loop at concurrency 1 measures the pool's refill
# rate instead). With the pool on, the jails are copies of the zygote (one
# python3 whose startup is done; docs/evald.md); with it off each request
# starts python3 under sandbox.so. Nothing leaves the machine: the server
# listens on 127.0.0.1.
#
#   scripts/bench-evald.sh                  (after `make`)
#   DURATION=10 WORKERS=2 POOL=8 scripts/bench-evald.sh
set -u
cd "$(dirname "$0")/.."
DURATION=${DURATION:-4}
WORKERS=${WORKERS:-2}
POOL=${POOL:-8}
WRK=${WRK:-wrk}
PY=/usr/bin/python3
command -v "$WRK" > /dev/null || { echo "bench-evald: needs wrk (apt-get install wrk)" >&2; exit 1; }
[ -x ./sbx-evald ] && [ -f ./sandbox.so ] || { echo "bench-evald: run make first" >&2; exit 1; }

T=$(mktemp -d /tmp/sbx-bench-evald.XXXXXX)
chmod 755 "$T"
SERVER=
cleanup() { [ -n "$SERVER" ] && kill -TERM "$SERVER" 2>/dev/null && wait "$SERVER"; rm -rf "$T"; }
trap cleanup EXIT

# wrk's POST: the body comes from the environment (BODY).
cat > "$T/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = os.getenv("BODY")
wrk.headers["Content-Type"] = "application/json"
local gap = tonumber(os.getenv("GAP_MS") or "0")
if gap > 0 then
	function delay() return gap end
end
LUA

start() { # POOL
	"$PWD/sbx-evald" --listen 127.0.0.1:0 --workers "$WORKERS" --pool "$1" --queue 256 \
		--sandbox "$PWD/sandbox.so" --set eval.state_dir="$T" 2> "$T/server.log" &
	SERVER=$!
	ADDR=
	for _ in $(seq 200); do
		ADDR=$(sed -n 's/.*listening on http:\/\/\([^ ]*\) .*/\1/p' "$T/server.log")
		[ -n "$ADDR" ] && break
		sleep 0.05
	done
	[ -n "$ADDR" ] || { cat "$T/server.log" >&2; exit 1; }
	# Let the pool fill.
	sleep 1
}
stop() { kill -TERM "$SERVER"; wait "$SERVER"; SERVER=; }

cpu_ticks() { # utime+stime+cutime+cstime of the server, in clock ticks
	awk '{ print $14 + $15 + $16 + $17 }' "/proc/$SERVER/stat"
}

json_input() { "$PY" -c 'import json,sys; print(json.dumps({"input": sys.argv[1]}))' "$1"; }
PRINT=$(json_input 'print(1)')
LOOP=$(json_input 'import time
t = time.process_time()
while time.process_time() - t < 0.05: pass')
HZ=$(getconf CLK_TCK)

printf '%-6s %-10s %5s %9s %9s %9s %10s %7s\n' pool code conc "req/s" "p50 ms" "p99 ms" "cpu ms/req" non2xx
for pool in "$POOL" 0; do
	start "$pool"
	for name in print loop; do
		[ $name = print ] && body=$PRINT || body=$LOOP
		for c in 1 2 8 32; do
			t=$((c < 2 ? 1 : 2))
			before=$(cpu_ticks)
			out=$(BODY=$body "$WRK" -t"$t" -c"$c" -d"${DURATION}s" --latency -s "$T/post.lua" "http://$ADDR/eval" 2>&1)
			after=$(cpu_ticks)
			rps=$(echo "$out" | awk '/^Requests\/sec:/ { print $2 }')
			total=$(echo "$out" | awk '/requests in/ { print $1 }')
			non2xx=$(echo "$out" | awk '/Non-2xx/ { print $5 }')
			p50=$(echo "$out" | awk '$1 == "50%" { print $2 }')
			p99=$(echo "$out" | awk '$1 == "99%" { print $2 }')
			cpu=$(awk -v a="$before" -v b="$after" -v n="${total:-0}" -v hz="$HZ" \
				'BEGIN { if (n > 0) printf "%.1f", (b - a) * 1000 / hz / n; else print "-" }')
			printf '%-6s %-10s %5s %9s %9s %9s %10s %7s\n' "$pool" "$name" "$c" "${rps:--}" \
				"${p50:--}" "${p99:--}" "$cpu" "${non2xx:-0}"
		done
	done
	out=$(GAP_MS=50 BODY=$PRINT "$WRK" -t1 -c1 -d"$((DURATION + 2))s" --latency -s "$T/post.lua" "http://$ADDR/eval" 2>&1)
	printf '%-6s %-10s %5s %9s %9s %9s %10s %7s  (one at a time, 50 ms apart)\n' "$pool" print paced \
		"$(echo "$out" | awk '/^Requests\/sec:/ { print $2 }')" \
		"$(echo "$out" | awk '$1 == "50%" { print $2 }')" "$(echo "$out" | awk '$1 == "99%" { print $2 }')" - \
		"$(echo "$out" | awk '/Non-2xx/ { print $5 }')"
	stop
done
