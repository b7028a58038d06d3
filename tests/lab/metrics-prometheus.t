#!/bin/bash
# cpoold's /metrics read by the real tools: promtool lints the text format,
# and a real Prometheus server (the host's /usr/bin/prometheus, its storage
# under /tmp in the VM) scrapes cpoold while a job keeps VS a busy; what
# Prometheus's HTTP API answers must agree with `cpool top --json`:
#   cpool_vs_rul{vs="a"}             within 0.05 of each of 6 top readings;
#   p99 of the run-queue histogram   over the 8 s of those readings, within
#     a factor of 2 of the range of top's rq_p99_us (top's are 1 s windows
#     of few waits in the emulator, and the export merges buckets to two
#     per power of two).
# Runs inside tools/lab: tools/lab --numa 2x2 -- prove tests/lab/metrics-prometheus.t
if [ "${CPOOL_LAB:-}" != 1 ]; then
	echo "Bail out! not inside the lab (run through tools/lab)"
	exit 1
fi
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/lab_cpoold.sh"
for t in curl promtool prometheus; do
	command -v $t >/dev/null || { echo "Bail out! $t is missing (tools/deps.sh)"; exit 1; }
done

# The lab VM boots with loopback down: the endpoint and Prometheus need it.
ip link set lo up 2>/dev/null || busybox ip link set lo up 2>/dev/null

port=19464
prom=''
lab_cpoold_before_cleanup() {
	[ -n "$prom" ] && kill -TERM "$prom" 2>/dev/null && wait "$prom" 2>/dev/null
}

printf '[pool]\nname = prompool\n\n[vserver a]\ncpus = 1\n\n[metrics]\nlisten = 127.0.0.1:%s\n' \
	"$port" >"$dir/pool.ini"

echo "1..10"
lab_cpoold_start --socket-mode 0600
for _ in $(seq 300); do
	curl -sf "http://127.0.0.1:$port/metrics" -o "$dir/m.txt" && break
	kill -0 "$daemon" 2>/dev/null || break
	sleep 0.2
done
if [ ! -s "$dir/m.txt" ]; then
	curl -sS "http://127.0.0.1:$port/metrics" 2>&1 | head -3 | sed 's/^/# curl: /'
	sed 's/^/# /' "$dir/cpoold.log"
	echo "Bail out! cpoold did not serve /metrics"
	exit 1
fi

# --- the formats ------------------------------------------------------------
promtool check metrics <"$dir/m.txt" >"$dir/lint" 2>&1
ok $? "promtool check metrics accepts /metrics (text 0.0.4)$(sed 's/^/; /' "$dir/lint" | head -5 | tr -d '\n')"
curl -s -D "$dir/om.hdr" -H 'Accept: application/openmetrics-text; version=1.0.0' \
	"http://127.0.0.1:$port/metrics" -o "$dir/m.om"
grep -qi '^content-type: application/openmetrics-text' "$dir/om.hdr" && [ "$(tail -1 "$dir/m.om")" = "# EOF" ]
ok $? "an OpenMetrics Accept gets OpenMetrics, closed by # EOF"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/other")
[ "$code" = 404 ]
ok $? "another path is 404 ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/metrics")
[ "$code" = 405 ]
ok $? "POST is 405 ($code)"

# --- a real Prometheus --------------------------------------------------------
# Two busy loops on VS a's one CPU: a saturated VS with steady run-queue waits.
# Its output to /dev/null by name: the default, cpool-%j.out in the cwd, is the checkout.
id=$("$cpool" submit --vs a --stdout /dev/null -- /bin/sh -c 'while :; do :; done & while :; do :; done')
[[ "$id" =~ ^[0-9]+$ ]]
ok $? "a job of two busy loops runs on VS a ($id)"

printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: cpoold\n    static_configs:\n      - targets: [\x27127.0.0.1:%s\x27]\n' \
	"$port" >"$dir/prometheus.yml"
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
	--web.listen-address=127.0.0.1:19090 >"$dir/prom.log" 2>&1 &
prom=$!
api=http://127.0.0.1:19090/api/v1
query() { curl -sf --get "$api/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'; }
have=
for _ in $(seq 240); do
	# 15 scrapes: a 10 s rate has data.
	have=$(query 'count_over_time(cpool_vs_rul{vs="a"}[1m])')
	[ -n "$have" ] && [ "${have%.*}" -ge 15 ] && break
	kill -0 "$prom" 2>/dev/null || break
	sleep 1
done
if [ -z "$have" ] || [ "${have%.*}" -lt 15 ]; then
	tail -5 "$dir/prom.log" | sed 's/^/# /'
	echo "Bail out! Prometheus did not collect 15 scrapes (got '$have')"
	exit 1
fi
up=$(query 'up{job="cpoold"}')
[ "$up" = 1 ]
ok $? "Prometheus scrapes cpoold (up = $up)"

# top shows 1 s windows, which hold few waits in the emulator (a VM on a
# loaded host waits long and seldom): read it 6 times, a second apart, and
# ask Prometheus about the same seconds.
: >"$dir/top"
for _ in 1 2 3 4 5 6; do
	"$cpool" top --json | jq -r '.vservers[] | select(.name == "a") | "\(.rul) \(.rq_p99_us)"' >>"$dir/top"
	sleep 1
done
sleep 2 # the last second scraped
rul_p=$(query 'cpool_vs_rul{vs="a"}')
p99_p=$(query 'histogram_quantile(0.99, rate(cpool_vs_runqueue_latency_seconds_bucket{vs="a"}[8s]))')
echo "# Prometheus: rul $rul_p, run-queue p99 (8 s) $p99_p s; cpool top, rul and rq_p99_us each second:"
sed 's/^/#   /' "$dir/top"
awk -v a="$rul_p" '{ d = a - $1; if (d < 0) d = -d; if (d > m) m = d } END { exit !(a != "" && NR > 0 && m < 0.05) }' "$dir/top"
ok $? "cpool_vs_rul agrees with every cpool top reading within 0.05 ($rul_p)"
awk -v a="$rul_p" 'BEGIN { exit !(a > 0.9) }'
ok $? "a saturated VS has RUL near 1 ($rul_p)"
# Top's p99 of a second with waits (0: none ended in it) bounds Prometheus's p99 of those seconds.
awk -v p="$p99_p" '$2 > 0 { if (!lo || $2 < lo) lo = $2; if ($2 > hi) hi = $2 }
	END { p *= 1e6; exit !(hi > 0 && p >= lo / 2 && p <= 2 * hi) }' "$dir/top"
ok $? "the histogram's p99 ($p99_p s) is within a factor of 2 of the range cpool top showed"
ncpu=$(query 'count(cpool_cpu_busy_seconds_total)')
busy=$(query 'sum(rate(cpool_cpu_busy_seconds_total[10s])) + sum(rate(cpool_cpu_idle_seconds_total[10s]))')
awk -v b="$busy" -v n="$ncpu" 'BEGIN { exit !(n > 0 && b > 0.9 * n && b < 1.1 * n) }'
ok $? "busy + idle seconds grow by one per CPU per second ($busy for $ncpu CPUs)"

"$cpool" cancel "$id" >/dev/null 2>&1
[ $failed -eq 0 ] || sed 's/^/# /' "$dir/cpoold.log" | tail -20
exit $((failed > 0))
