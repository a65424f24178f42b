#!/usr/bin/env bash
# Type=notify as systemd sees it: wgedge (on net_ring devices, no NIC)
# sends READY=1 on $NOTIFY_SOCKET only once wg(8) can talk to its socket,
# and STOPPING=1 before it exits cleanly on SIGTERM.
#   test_notify.sh WGEDGE SOURCE_ROOT
set -euo pipefail
wgedge=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "SKIPPED: needs root (/var/run/wireguard)"; exit 77; }
command -v wg >/dev/null || { echo "SKIPPED: wg is not installed"; exit 77; }

tmp=$(mktemp -d)
ifname=wgn$(($$ % 100000))
prefix=wgnotify$$
pid=
listener=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	[ -n "$listener" ] && kill "$listener" 2>/dev/null
	rm -rf "$tmp" "/var/run/dpdk/$prefix"
	rm -f "/var/run/wireguard/$ifname.sock" "/var/run/wgedge/$ifname.ctl"
}
trap cleanup EXIT

wg genkey >"$tmp/gw.key"
chmod 600 "$tmp/gw.key"
cat >"$tmp/wgedge.conf" <<EOF2
interface = "$ifname";
private_key_file = "gw.key";
listen_port = 51820;
ports = {
  outer = { device = "net_ring0"; ipv4 = "192.0.2.1/24"; };
  clear = { device = "net_ring1"; ipv4 = "10.0.0.1/24"; };
};
control_lcore = 0;
workers = ( { lcore = 1; queue = 0; } );
EOF2

# The notify socket: every datagram as one line in notify.log.
python3 - "$tmp/notify.sock" "$tmp/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode().replace("\n", " ") + "\n")
PY
listener=$!
for _ in $(seq 1 100); do [ -S "$tmp/notify.sock" ] && break; sleep 0.1; done

NOTIFY_SOCKET=$tmp/notify.sock "$wgedge" --no-huge --no-shconf --file-prefix="$prefix" \
	-m 1024 --no-pci --no-telemetry --log-level='*:error' \
	--vdev net_ring0 --vdev net_ring1 -- --config "$tmp/wgedge.conf" \
	>"$tmp/wgedge.log" 2>&1 &
pid=$!

deadline=$((SECONDS + 90))
until grep -q 'READY=1' "$tmp/notify.log" 2>/dev/null; do
	kill -0 "$pid" 2>/dev/null || { cat "$tmp/wgedge.log" >&2; fail "wgedge exited before READY=1"; }
	[ $SECONDS -lt $deadline ] || fail "no READY=1 within 90 s"
	sleep 0.1
done
wg show "$ifname" listen-port | grep -qx 51820 || fail "READY=1 but wg show does not answer"
[ -S "/var/run/wgedge/$ifname.ctl" ] || fail "READY=1 but no orchestration socket"
grep 'READY=1' "$tmp/notify.log" | grep -q "STATUS=interface $ifname up" || fail "no STATUS with READY"
grep -q "^wgedge\[$ifname\]: info: up: public key " "$tmp/wgedge.log" ||
	fail "no 'up' line with the interface and level in: $(cat "$tmp/wgedge.log")"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" -eq 0 ] || fail "wgedge exited with $rc on SIGTERM"
grep -q 'STOPPING=1' "$tmp/notify.log" || fail "no STOPPING=1"
[ ! -e "/var/run/wireguard/$ifname.sock" ] || fail "the wg socket was left behind"
echo "notify: READY=1 once the sockets answer, STOPPING=1 on SIGTERM"
