#!/usr/bin/env bash
# bench.sh: what the jail adds to a program's start-up, in one run.
#
# Times /bin/true and `python3 -S -c pass` bare, under sandbox.so (the default
# policy, and without cgroup limits), under the sbx launcher, and under
# bubblewrap with equivalent isolation (its own user, mount, pid, net, ipc,
# uts and cgroup namespaces, a tmpfs root with /usr read-only, /proc, /dev,
# /tmp, the cwd read-only, a cleared environment, a new session, no
# capabilities), then prints the added cost and the ratios.
#
#   scripts/bench.sh [RUNS]       (default 300 runs per row; needs hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}
top=$PWD
command -v hyperfine > /dev/null || { echo "bench: hyperfine is missing (scripts/deps.sh)" >&2; exit 1; }
[ -f sandbox.so ] || make -s

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/nocgroup.ini" << 'P'
[limits]
memory = 0
processes = 0
P
cat > "$work/egress.ini" << 'P'
[limits]
memory = 0
processes = 0
[net]
mode = egress
P

bwrap_args=(--unshare-all --die-with-parent --new-session --cap-drop ALL
	--uid 65534 --gid 65534 --hostname sandbox --clearenv --setenv LANG C.UTF-8
	--tmpfs / --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib
	--symlink usr/lib64 /lib64 --symlink usr/sbin /sbin --proc /proc --dev /dev
	--tmpfs /tmp --ro-bind "$top" "$top" --chdir "$top")

rows=()
add() { rows+=("-n" "$1" "$2"); }
for prog in "/bin/true" "/usr/bin/python3 -S -c pass"; do
	short=${prog%% *}; short=${short##*/}
	add "$short bare" "$prog"
	add "$short sandbox.so default" "env LD_PRELOAD=$top/sandbox.so $prog"
	add "$short sandbox.so no-cgroup" "env LD_PRELOAD=$top/sandbox.so SBX_POLICY=$work/nocgroup.ini $prog"
	[ -x sbx ] && add "$short sbx no-cgroup" "$top/sbx -p $work/nocgroup.ini $prog"
	command -v bwrap > /dev/null && add "$short bwrap" "bwrap ${bwrap_args[*]} $prog"
done
if [ -x /usr/bin/pasta ] && LD_PRELOAD=$top/sandbox.so SBX_POLICY=$work/egress.ini /bin/true 2> /dev/null; then
	add "true sandbox.so egress" "env LD_PRELOAD=$top/sandbox.so SBX_POLICY=$work/egress.ini /bin/true"
fi

hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/h.json" "${rows[@]}" > "$work/h.txt" 2>&1 ||
	{ cat "$work/h.txt"; exit 1; }

python3 - "$work/h.json" << 'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
print(f"{'row':34} {'mean ms':>8} {'median':>8} {'stddev':>7} {'added':>8} {'x bare':>7}")
for name, r in res.items():
    prog = name.split()[0]
    bare = res[f"{prog} bare"]["median"]
    added = (r["median"] - bare) * 1000
    print(f"{name:34} {r['mean']*1000:8.2f} {r['median']*1000:8.2f} {r['stddev']*1000:7.2f} "
          f"{added:8.2f} {r['median']/bare:7.2f}")
for prog in ("true", "python3"):
    so, bw = res.get(f"{prog} sandbox.so no-cgroup"), res.get(f"{prog} bwrap")
    if so and bw:
        b = res[f"{prog} bare"]["median"]
        print(f"{prog}: sandbox.so adds {(so['median']-b)*1000:.2f} ms, bwrap adds "
              f"{(bw['median']-b)*1000:.2f} ms (medians)")
PY
