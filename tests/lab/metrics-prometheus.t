#!/bin/bash
# cpoold's /metrics read by the real tools: promtool lints the text format,
# and a real Prometheus server (the host's /usr/bin/prometheus, its storage
# under /tmp in the VM) scrapes cpoold while a job keeps VS a busy; what
# Prometheus's HTTP API answers must agree with `cpool top --json`:
#   cpool_vs_rul{vs="a"}             within 0.05 of each of 6 top readings;
#   p99 of the run-queue histogram   over the 8 s of those readings, within
#     a factor of 2 of the range of top's rq_p99_us (top's are 1 s windows
#     of few waits in the emulator, and the export merges buckets to two
#     per power of two);
#   each CPU's busy + idle seconds   grow by one a second (within 10 %)
#     between the samples Prometheus stored, and never go back.
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
	[ -z "$prom" ] || lab_stop_child "$prom" prometheus
}

printf '[pool]\nname = prompool\n\n[vserver a]\ncpus = 1\n\n[metrics]\nlisten = 127.0.0.1:%s\n' \
	"$port" >"$dir/pool.ini"

# Every request has a limit: a daemon or a Prometheus that accepts and then
# never answers must fail the test, not hold it until the lab's watchdog.
# 20 s is far beyond a local request even in a starved emulator.
curl() {
	command curl --max-time 20 "$@"
	set -- $? "$@"
	[ "$1" != 28 ] || echo "# no answer within 20 s: curl ${*:2}" >&2
	return "$1"
}

echo "1..10"
lab_cpoold_start --socket-mode 0600
deadline=$((SECONDS + 60))
until curl -sf "http://127.0.0.1:$port/metrics" -o "$dir/m.txt"; do
	if ! lab_pid_alive "$daemon" || [ $SECONDS -ge $deadline ]; then break; fi
	sleep 0.2
done
if [ ! -s "$dir/m.txt" ]; then
	curl -sS "http://127.0.0.1:$port/metrics" 2>&1 | head -3 | sed 's/^/# curl: /'
	sed 's/^/# /' "$dir/cpoold.log"
	if lab_pid_alive "$daemon"; then
		echo "Bail out! cpoold did not serve /metrics within 60 s"
	else
		echo "Bail out! cpoold died before it served /metrics"
	fi
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
	--web.listen-address=127.0.0.1:19090 </dev/null >"$dir/prom.log" 2>&1 &
prom=$!
api=http://127.0.0.1:19090/api/v1
query() { curl -sf --get "$api/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'; }
have=
# 15 scrapes a second apart; the limit allows a host that runs the guest
# at a sixteenth of its speed.
deadline=$((SECONDS + 240))
while :; do
	# 15 scrapes: a 10 s rate has data.
	have=$(query 'count_over_time(cpool_vs_rul{vs="a"}[1m])')
	[ -n "$have" ] && [ "${have%.*}" -ge 15 ] && break
	if ! lab_pid_alive "$prom" || [ $SECONDS -ge $deadline ]; then break; fi
	sleep 1
done
if [ -z "$have" ] || [ "${have%.*}" -lt 15 ]; then
	tail -5 "$dir/prom.log" | sed 's/^/# /'
	lab_pid_alive "$prom" || echo "# prometheus (pid $prom) is gone"
	echo "Bail out! Prometheus did not collect 15 scrapes within 240 s (got '$have')"
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
# Per-CPU time from the samples Prometheus stored, not from rate(): rate()
# extrapolates to the ends of its range, fully only when the samples reach
# them within 1.1 average intervals, else by half an interval, so a scrape
# or two lost at an end (a starved guest misses the 1 s timeout) reads as
# a slower counter.  Each sample holds the time up to the scrape that
# stamped it (cpoold reads the CPUs at each scrape), so busy + idle of a
# CPU between its first and last sample of the range must grow by the
# time between their stamps; and no sample may be below the one before.
range_json=$(curl -sf --get "$api/query" \
	--data-urlencode 'query={__name__=~"cpool_cpu_(busy|idle)_seconds_total"}[15s]')
echo "$range_json" | jq -r '.data.result[] | .metric.cpu as $c | .metric.__name__ as $n |
	.values[] | "\($c) \($n) \(.[0]) \(.[1])"' | sort -k1,1n -k2,2 -k3,3n >"$dir/cpu_samples"
# cpu name time value -> per CPU: rate of busy+idle between the first and the last
# scrape that has both, sample count, largest gap, and backward steps of either counter.
awk '
	{ key = $1 " " $2
	  if (key in last) {
		if ($4 < last[key]) back++
		if ($3 - tl[key] > gap[$1]) gap[$1] = $3 - tl[key]
	  }
	  last[key] = $4; tl[key] = $3
	  sum[$1 " " $3] += $4; n[$1 " " $3]++; cpus[$1] = 1 }
	END {
		ok = 1; total = 0; ncpu = 0
		for (k in n) {
			if (n[k] != 2) continue
			split(k, f, " "); c = f[1]; t = f[2] + 0
			if (!(c in t0) || t < t0[c]) { t0[c] = t; s0[c] = sum[k] }
			if (!(c in t1) || t > t1[c]) { t1[c] = t; s1[c] = sum[k] }
			cnt[c]++; at[c, cnt[c]] = t; val[c, cnt[c]] = sum[k]
		}
		for (c in cpus) {
			ncpu++
			if (cnt[c] < 5 || t1[c] - t0[c] < 4) { ok = 0; printf "# cpu %s: %d scrapes\n", c, cnt[c]; continue }
			r = (s1[c] - s0[c]) / (t1[c] - t0[c]); total += r
			# How far each sample is off the line of the first and last: the
			# time between its stamp and the instant its value holds.
			lo = hi = 0
			for (i = 1; i <= cnt[c]; i++) {
				d = (val[c, i] - s0[c]) - r * (at[c, i] - t0[c])
				if (d < lo) lo = d; if (d > hi) hi = d
			}
			printf "# cpu %s: busy+idle grew %.4f s a second over %.2f s, %d scrapes, longest gap %.2f s, samples off the line by %.3f..%.3f s\n", c, r, t1[c] - t0[c], cnt[c], gap[c], lo, hi
			if (r < 0.9 || r > 1.1) ok = 0
		}
		printf "# all %d CPUs: %.4f s a second; counters that went back: %d\n", ncpu, total, back + 0
		exit !(ok && ncpu > 0 && back == 0 && total > 0.9 * ncpu && total < 1.1 * ncpu)
	}' "$dir/cpu_samples" >"$dir/cpu_rates"
status=$?
cat "$dir/cpu_rates"
busy=$(query 'sum(rate(cpool_cpu_busy_seconds_total[10s])) + sum(rate(cpool_cpu_idle_seconds_total[10s]))')
echo "# for comparison, rate() over 10 s: $busy"
ok $status "each CPU's busy + idle seconds grow by one a second, never back ($(tail -1 "$dir/cpu_rates" | sed 's/^# //'))"

"$cpool" cancel "$id" >/dev/null 2>&1
[ $failed -eq 0 ] || sed 's/^/# /' "$dir/cpoold.log" | tail -20
exit $((failed > 0))
