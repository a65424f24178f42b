#!/usr/bin/env bash
# Metrics with a real client and a real Prometheus: wgedge on
# net_af_packet (scripts/lib/topology.sh), wireguard-go pinging through it,
# wgedge-exporter on 127.0.0.1, and Debian's prometheus scraping it every
# second; PromQL through Prometheus's HTTP API must show the handshake and
# the packets. Also: no per-peer series unless asked, no endpoint ever.
#
#   tests/interop/test_metrics.sh WGEDGE WGEDGE_EXPORTER
#
# Exits 77 (skipped) without root, namespaces or prometheus, 1 on failure.
set -uo pipefail

bin=$(realpath "$1")
exporter=$(realpath "$2")
TEST=interop-metrics
P=wgm$$
# shellcheck source=tests/interop/lib.sh
. "$(dirname "$0")/lib.sh"
itest_require wireguard-go ping prometheus curl python3

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
stop_pid() { [ -n "${1:-}" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null; true; }
exp_pid=
prom_pid=
on_exit() {
	stop_pid "$exp_pid"
	stop_pid "$prom_pid"
	if [ "$fail" -ne 0 ] && [ -d "$TOPO_DIR" ]; then
		echo "# prometheus log:"
		tail -20 "$TOPO_DIR/prometheus.log" 2>/dev/null | sed 's/^/#   /'
	fi
	itest_on_exit
}
trap on_exit EXIT

topo_down
topo_up
gw_key=$(wg genkey); gw_pub=$(printf '%s' "$gw_key" | wg pubkey)
cl_key=$(wg genkey); cl_pub=$(printf '%s' "$cl_key" | wg pubkey)
topo_gateway_config "$gw_key"
topo_gateway_start "$bin" || exit 1
wg set "$WGEDGE_IF" peer "$cl_pub" allowed-ips 10.200.0.2/32,fd00:200::2/128
topo_client_start "$cl_key" "$gw_pub" 192.0.2.1:51820 || exit 1

exp_port=$(free_port)
"$exporter" --listen "127.0.0.1:$exp_port" "$WGEDGE_IF" >"$TOPO_DIR/exporter.log" 2>&1 &
exp_pid=$!
prom_port=$(free_port)
mkdir -p "$TOPO_DIR/prom"
cat >"$TOPO_DIR/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: wgedge
    static_configs:
      - targets: ["127.0.0.1:$exp_port"]
EOF2
prometheus --config.file="$TOPO_DIR/prometheus.yml" \
	--storage.tsdb.path="$TOPO_DIR/prom" \
	--web.listen-address="127.0.0.1:$prom_port" >"$TOPO_DIR/prometheus.log" 2>&1 &
prom_pid=$!

# Traffic through the tunnel while Prometheus scrapes.
for _ in $(seq 1 10); do topo_ns c ping -c 1 -W 1 10.10.0.2 >/dev/null && break; done
topo_ns c ping -c 20 -i 0.2 -W 1 10.10.0.2 >/dev/null &
ping_pid=$!

# PromQL: waits (60 s at most) until the query's first value passes test.
promql_until() { # query python-condition-on-v
	local deadline=$((SECONDS + 60)) out
	while [ $SECONDS -lt $deadline ]; do
		out=$(curl -fsS --max-time 5 "http://127.0.0.1:$prom_port/api/v1/query" \
			--data-urlencode "query=$1" 2>/dev/null) &&
		python3 -c "
import json, sys
r = json.loads(sys.argv[1])['data']['result']
v = float(r[0]['value'][1]) if r else None
sys.exit(0 if v is not None and ($2) else 1)" "$out" && { echo "$1: $out"; return 0; }
		sleep 1
	done
	echo "$1: last answer: ${out:-none}"
	return 1
}
sel="interface=\"$WGEDGE_IF\""
check "prometheus scrapes the exporter: wgedge_up is 1" \
	promql_until "wgedge_up{$sel}" "v == 1"
check "the handshake shows: wgedge_control_handshakes_completed_total >= 1" \
	promql_until "wgedge_control_handshakes_completed_total{$sel}" "v >= 1"
check "the packets show: decrypted packets rise while the client pings" \
	promql_until "increase(wgedge_dataplane_decrypted_total{$sel}[30s])" "v > 0"
check "and encrypted ones: wgedge_dataplane_encrypted_total > 0" \
	promql_until "wgedge_dataplane_encrypted_total{$sel}" "v > 0"
check "per worker: worker 0 and the control thread's share" \
	promql_until "count(wgedge_worker_encrypted_total{$sel})" "v == 2"
check "the workers' shares add up to the dataplane total" \
	promql_until "sum(wgedge_worker_outer_rx_packets_total{$sel}) - on() wgedge_dataplane_outer_rx_packets_total{$sel}" "v == 0"
check "every drop reason is a series" \
	promql_until "count(wgedge_drops_total{$sel})" "v >= 10"
wait "$ping_pid"

curl -fsS "http://127.0.0.1:$exp_port/metrics" >"$TOPO_DIR/metrics.txt"
check "no per-peer series by default" bash -c "! grep -q '^wgedge_peer_' '$TOPO_DIR/metrics.txt'"
check "no endpoint in the metrics" bash -c "! grep -q '192\\.0\\.2\\.2' '$TOPO_DIR/metrics.txt'"
stop_pid "$exp_pid"
"$exporter" --per-peer --listen "127.0.0.1:$exp_port" "$WGEDGE_IF" >>"$TOPO_DIR/exporter.log" 2>&1 &
exp_pid=$!
peer_rx() {
	curl -fsS "http://127.0.0.1:$exp_port/metrics" | tee "$TOPO_DIR/metrics.txt" |
		grep -F "wgedge_peer_rx_bytes_total{interface=\"$WGEDGE_IF\",public_key=\"$cl_pub\"}" |
		awk '{ exit !($2 > 0) }'
}
wait_for() { local d=$((SECONDS + 30)); while [ $SECONDS -lt $d ]; do "$@" && return 0; sleep 0.3; done; return 1; }
check "--per-peer: the client's received bytes, by public key" wait_for peer_rx
check "--per-peer: still no endpoint" bash -c "! grep -q '192\\.0\\.2\\.2' '$TOPO_DIR/metrics.txt'"
stop_pid "$exp_pid"
exp_pid=
topo_gateway_stop
"$exporter" --listen "127.0.0.1:$exp_port" "$WGEDGE_IF" >>"$TOPO_DIR/exporter.log" 2>&1 &
exp_pid=$!
down() { curl -fsS "http://127.0.0.1:$exp_port/metrics" | grep -qx "wgedge_up{interface=\"$WGEDGE_IF\"} 0"; }
check "a stopped gateway reads as wgedge_up 0" wait_for down

itest_finish
