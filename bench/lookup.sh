#!/usr/bin/env bash
# Phone number lookups under load (about 40 s): 100,000 LRN and 100,000 CNAM records loaded
# through the admin routes, then wrk (64 connections, 2 threads) on
#   GET /oauth/whoami                                   (the spine's figure, same run)
#   GET /lookup/dids/{n}?carrier=true&lrn=true&cnam=true (a ported NANP number with a caller name)
#   GET /lookup/dids/{n}?carrier=true                    (a UK mobile: carrier data)
#   GET /lookup/ip_addresses/{ip}                        (IPv4 and IPv6, DB-IP City Lite)
# Each phone number lookup with details also charges its lines on the root partner's invoice.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
PORT=${PORT:-18096}
DIR=$(mktemp -d /tmp/carrierx-bench-lookup.XXXXXX)
chmod 755 "$DIR"
TOKEN=5ebc03d6-8b2b-44ad-bf65-72d4f1491dda
BASE=http://127.0.0.1:$PORT
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)"; exit 1; }

cargo build --release --quiet
tools/setup-data.sh
CARRIERX_DATA_DIR=$DIR CARRIERX_BIND=127.0.0.1:$PORT CARRIERX_ROOT_TOKEN=$TOKEN RUST_LOG=warn \
  target/release/carrierx-core > "$DIR/server.log" 2>&1 &
SERVER=$!
cleanup() { kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/health" >/dev/null 2>&1 && break; sleep 0.2; done

echo "== loading 100,000 LRN and 100,000 CNAM records (10 admin requests each)"
for b in $(seq 0 9); do
  python3 - "$b" > "$DIR/lrns.json" <<'PY'
import json, sys
b = int(sys.argv[1])
print(json.dumps([{"phonenumber": f"1516{2000000 + b * 10000 + i}", "lrn": f"646{6530000 + i}"} for i in range(10000)]))
PY
  curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary @"$DIR/lrns.json" "$BASE/core/v2/admin/lookup/lrns"
  sed 's/"lrn": "[0-9]*"/"name": "CALLER NAME"/g' "$DIR/lrns.json" > "$DIR/cnams.json"
  curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary @"$DIR/cnams.json" "$BASE/core/v2/admin/lookup/cnams"
done

run() {
  local name=$1 url=$2
  echo "== $name"
  wrk -t2 -c64 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$url" | grep -E "Requests/sec|50%|99%|Non-2xx"
}
run 'GET /oauth/whoami' "$BASE/core/v2/oauth/whoami"
run 'GET /lookup/dids/15162045319?carrier=true&lrn=true&cnam=true' \
  "$BASE/core/v2/lookup/dids/15162045319?carrier=true&lrn=true&cnam=true"
run 'GET /lookup/dids/447400123456?carrier=true' "$BASE/core/v2/lookup/dids/447400123456?carrier=true"
run 'GET /lookup/dids/15162045319 (no detail: nothing charged)' "$BASE/core/v2/lookup/dids/15162045319"
run 'GET /lookup/ip_addresses/8.8.8.8' "$BASE/core/v2/lookup/ip_addresses/8.8.8.8"
run 'GET /lookup/ip_addresses/2001:4860:4860::8888' "$BASE/core/v2/lookup/ip_addresses/2001:4860:4860::8888"
echo "   server RSS: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$SERVER/status)"
