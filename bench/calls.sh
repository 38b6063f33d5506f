#!/usr/bin/env bash
# Calls on the simulated network, bounded in time (about a minute):
#   1. pgbench -S -M prepared -c 64 against the same PostgreSQL (the database's ceiling);
#   2. a postpaid partner with two numbers on a trunk group of two trunks (failover) to a
#      third-party endpoint; an admin's console (GET /console/events) watching everything;
#   3. wrk POSTs /admin/simulator/calls (inbound calls to the two numbers, 32 connections,
#      DURATION): calls/s, latency, the server's RSS before, during and after; then each
#      completed call must have written exactly one record, and the partner's invoice and
#      balance must have been charged exactly the records' prices (once the pending charges are
#      folded); the events the console received.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-15s}
PORT=${PORT:-18096}
DIR=$(mktemp -d /tmp/carrierx-bench-calls.XXXXXX)
chmod 755 "$DIR"
TOKEN=5ebc03d6-8b2b-44ad-bf65-72d4f1491dda
BASE=http://127.0.0.1:$PORT
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGBENCH=$(command -v pgbench || echo "$PGBIN/pgbench")
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)"; exit 1; }

cargo build --release --quiet
CARRIERX_DATA_DIR=$DIR CARRIERX_BIND=127.0.0.1:$PORT CARRIERX_ROOT_TOKEN=$TOKEN RUST_LOG=warn \
  target/release/carrierx-core > "$DIR/server.log" 2>&1 &
SERVER=$!
CONSOLE=
cleanup() {
  [ -n "$CONSOLE" ] && kill "$CONSOLE" 2>/dev/null || true
  kill $SERVER 2>/dev/null || true
  wait $SERVER 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/health" >/dev/null 2>&1 && break; sleep 0.2; done
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql() { as_pg "$PGBIN/psql" "$@"; }
sql() { psql -tA -h "$DIR/run" -U postgres carrierx -c "$1"; }
auth=(-H "Authorization: Bearer $TOKEN")
json=(-H 'Content-Type: application/json')
post() { curl -fs "${auth[@]}" "${json[@]}" -d "$2" "$BASE/core/v2$1"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
rss() { awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$SERVER/status; }

echo "== pgbench -S -M prepared -c 64 (the database's ceiling on this machine)"
as_pg "$PGBIN/createdb" -h "$DIR/run" -U postgres pgbench_db
as_pg "$PGBENCH" -h "$DIR/run" -U postgres -i -s 10 -q pgbench_db >/dev/null 2>&1
as_pg "$PGBENCH" -h "$DIR/run" -U postgres -S -M prepared -c 64 -j 2 -T "${DURATION%s}" pgbench_db 2>/dev/null | grep -E "^tps"

echo "== a postpaid partner: two numbers on a trunk group of two trunks to a third-party endpoint"
P=$(post /admin/partners '{"login":"caller","password":"bench-password","payment_type":"postpay","daily_spending_limit":"1000000"}' | field '["partner_sid"]')
post /admin/dids '[{"phonenumber":"15162065575","capabilities":31},{"phonenumber":"15162065576","capabilities":31}]' >/dev/null
sql "UPDATE dids SET status = 'assigned', partner_sid = '$P' WHERE phonenumber IN ('15162065575', '15162065576')" >/dev/null
E=$(post /endpoints "{\"partner_sid\":\"$P\",\"name\":\"pbx\",\"type\":\"third_party\",\"addresses\":[{\"ip\":\"10.0.0.1\"}]}" | field '["endpoint_sid"]')
G=$(post "/trunk_groups?with_trunks=true" "{\"partner_sid\":\"$P\",\"name\":\"office\",\"trunks\":[{\"name\":\"a\",\"endpoint_sid\":\"$E\",\"priority\":0},{\"name\":\"b\",\"endpoint_sid\":\"$E\",\"priority\":1}]}" | field '["trunk_group_sid"]')
sql "UPDATE dids SET trunk_group_sid = '$G' WHERE partner_sid = '$P'" >/dev/null
BALANCE0=$(sql "SELECT balance FROM partners WHERE partner_sid = '$P'")

echo "== an admin's console watching (GET /console/events)"
curl -sN "${auth[@]}" "$BASE/console/events" > "$DIR/console.txt" &
CONSOLE=$!
sleep 0.5
echo "   server RSS before the calls: $(rss)"

cat > "$DIR/call.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local to = (n % 2 == 0) and "15162065575" or "15162065576"
  return wrk.format(nil, "/core/v2/admin/simulator/calls", nil,
    '{"from":"1212556' .. string.format("%04d", n % 10000) .. '","to":"' .. to .. '","duration":' .. (n % 300) .. '}')
end
done = function(summary, latency, requests)
  io.write(string.format("   completed requests: %d\n", summary.requests))
end
LUA
echo "== calls: wrk -c32 -d$DURATION POST /admin/simulator/calls"
( sleep "$(( ${DURATION%s} / 2 ))"; echo "   server RSS during the calls: $(rss)" ) &
MIDDLE=$!
wrk -t2 -c32 -d"$DURATION" --latency "${auth[@]}" -s "$DIR/call.lua" "$BASE" | grep -E "Requests/sec|50%|99%|Non-2xx|requests in|completed requests"
wait $MIDDLE
echo "   server RSS after the calls: $(rss)"
RECORDS=$(sql "SELECT count(*) FROM call_drs WHERE partner_sid = '$P'")
ACTIVE=$(sql "SELECT count(DISTINCT call_sid) FROM active_calls WHERE partner_sid = '$P'")
echo "   call records written: $RECORDS"
# Every charge folded onto the invoice and the balance: compare them with the records' prices.
for _ in $(seq 1 100); do
  pending=$(sql "SELECT count(*) FROM pending_charges WHERE partner_sid = '$P'")
  [ "$pending" = 0 ] && break
  sleep 0.2
done
python3 - "$(sql "SELECT coalesce(sum(price), 0) FROM call_drs WHERE partner_sid = '$P'")" \
  "$(sql "SELECT coalesce(sum(i.amount), 0) FROM invoice_items i JOIN invoices v ON v.id = i.invoice_id WHERE v.partner_sid = '$P' AND i.type IN ('toll', 'toll_free')")" \
  "$BALANCE0" "$(sql "SELECT balance FROM partners WHERE partner_sid = '$P'")" "$RECORDS" "$ACTIVE" <<'PY'
import sys
from decimal import Decimal as D
prices, invoiced, b0, b1, records, active = sys.argv[1:7]
print("   records' prices %s, invoiced %s, balance %s -> %s (taken %s): %s" % (
    D(prices).normalize(), D(invoiced).normalize(), D(b0).normalize(), D(b1).normalize(), (D(b0) - D(b1)).normalize(),
    "charged exactly once" if D(prices) == D(invoiced) == D(b0) - D(b1) else "MISMATCH"))
print("   calls holding a trunk when the load ended (one row each): %s of %s records" % (active, records))
PY
kill "$CONSOLE" 2>/dev/null || true
CONSOLE=
echo "   console events received: $(grep -c '^event: traffic' "$DIR/console.txt") ($(grep -c '"kind":"call"' "$DIR/console.txt") calls, $(grep -c '"kind":"notice"' "$DIR/console.txt") notices of events not shown)"
echo "   server RSS at the end: $(rss)"
