#!/usr/bin/env bash
# Batch tasks under load (about a minute): 20,000 numbers in the inventory, then
#   a POST task renting 10,000 numbers, and a PATCH task moving those 10,000 to a trunk group:
#   entries/s end to end (from the POST of the task to `completed`);
#   the p99 of GET /phonenumber/dids/{did_sid} (wrk, 2 threads, $CONNS connections) while each
#   task runs, beside the same load on an idle server.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18097}
CONNS=${CONNS:-32}
DIR=$(mktemp -d /tmp/carrierx-bench-batch.XXXXXX)
chmod 755 "$DIR"
TOKEN=5ebc03d6-8b2b-44ad-bf65-72d4f1491dda
BASE=http://127.0.0.1:$PORT/core/v2
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)"; exit 1; }

cargo build --release --quiet
CARRIERX_DATA_DIR=$DIR CARRIERX_BIND=127.0.0.1:$PORT CARRIERX_ROOT_TOKEN=$TOKEN RUST_LOG=warn \
  target/release/carrierx-core > "$DIR/server.log" 2>&1 &
SERVER=$!
cleanup() { kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.2; done

echo "== 20,000 numbers into the inventory"
for b in 0 1; do
  python3 -c "import json; print(json.dumps([{'phonenumber': f'1312{$b}{i:06d}'} for i in range(10000)]))" > "$DIR/stock.json"
  curl -fs -o /dev/null -H "$AUTH" -H "$JSON" --data-binary @"$DIR/stock.json" "$BASE/admin/dids"
done
python3 -c "import json; print(json.dumps({'phonenumber': '13129999999'}))" > "$DIR/one.json"
curl -fs -o /dev/null -H "$AUTH" -H "$JSON" --data-binary @"$DIR/one.json" "$BASE/admin/dids"
PROBE=$(curl -fs -H "$AUTH" -H "$JSON" --data-binary @"$DIR/one.json" "$BASE/phonenumber/dids" | python3 -c 'import json,sys; print(json.load(sys.stdin)["did_sid"])')
TG=$(curl -fs -H "$AUTH" -H "$JSON" -d '{}' "$BASE/trunk_groups" | python3 -c 'import json,sys; print(json.load(sys.stdin)["trunk_group_sid"])')

probe() {
  wrk -t2 -c"$CONNS" -d"$1" --latency -H "$AUTH" "$BASE/phonenumber/dids/$PROBE" | grep -E "Requests/sec|50%|99%|Non-2xx" | sed 's/^/   /'
}

# Runs a task (body in $1) while wrk measures the probe for $2; prints entries/s end to end.
task() {
  local start end sid status
  start=$(date +%s.%N)
  sid=$(curl -fs -H "$AUTH" -H "$JSON" --data-binary @"$1" "$BASE/batch/tasks" | python3 -c 'import json,sys; print(json.load(sys.stdin)["task_sid"])')
  probe "$2" &
  local wrk=$!
  while :; do
    status=$(curl -fs -H "$AUTH" "$BASE/batch/tasks/$sid?include_fields=status,success,failure" )
    case "$status" in *completed*) break;; esac
    sleep 0.05
  done
  end=$(date +%s.%N)
  wait $wrk
  echo "   task: $status"
  python3 -c "print(f'   10,000 entries in {$end - $start:.2f} s: {10000 / ($end - $start):,.0f} entries/s end to end')"
}

echo "== idle: GET /phonenumber/dids/{did_sid}"
probe 5s
python3 -c "import json; print(json.dumps({'method': 'POST', 'type': 'phonenumber', 'data': [{'name': f'bulk {i}'} for i in range(10000)]}))" > "$DIR/rent.json"
echo "== POST task renting 10,000 numbers (GET probe during the first 5 s)"
task "$DIR/rent.json" 5s
python3 -c "import json; print(json.dumps({'method': 'PATCH', 'type': 'phonenumber', 'field': 'phonenumber', 'entries': [f'13120{i:06d}' for i in range(10000)], 'data': {'trunk_group_sid': '$TG'}}))" > "$DIR/move.json"
echo "== PATCH task moving 10,000 numbers to a trunk group (GET probe during the first 5 s)"
task "$DIR/move.json" 5s
echo "   server RSS: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$SERVER/status)"
