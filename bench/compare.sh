#!/usr/bin/env bash
# Two server binaries compared under identical conditions, interleaved: each round starts a fresh
# server of each (embedded PostgreSQL in a scratch directory), seeds 200 partners, and runs wrk
# (64 connections, 2 threads, 5 s) on GET /health/live, /oauth/whoami, /partners/{sid} and
# /endpoints/{sid}. Machine noise between runs is large on a 2-core VM: compare the medians.
#
#   bench/compare.sh OLD_BINARY NEW_BINARY [ROUNDS]     (needs wrk)
set -euo pipefail
OLD=$1; NEW=$2; ROUNDS=${3:-5}
command -v wrk >/dev/null || { echo "compare: wrk is missing (apt-get install wrk)"; exit 1; }
TOKEN=5ebc03d6-8b2b-44ad-bf65-72d4f1491dda

one() {
    local bin=$1 port=$2 dir server base sid ep out=""
    dir=$(mktemp -d /tmp/carrierx-compare.XXXXXX); chmod 755 "$dir"; base=http://127.0.0.1:$port
    (cd /tmp && CARRIERX_DATA_DIR=$dir CARRIERX_BIND=127.0.0.1:$port CARRIERX_ROOT_TOKEN=$TOKEN \
        CARRIERX_EMAIL_VERIFICATION=auto CARRIERX_DB_MAX_CONNECTIONS=16 CARRIERX_GEOIP_AUTO_INSTALL=false \
        RUST_LOG=warn exec "$bin" > "$dir/log" 2>&1) &
    server=$!
    for _ in $(seq 1 100); do curl -fs "$base/health" >/dev/null 2>&1 && break; sleep 0.2; done
    seq 1 200 | xargs -P 8 -I{} curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" \
        -H "Content-Type: application/json" -d '{"login":"b{}","password":"bench-password"}' "$base/core/v2/partners"
    sid=$(curl -fs -H "Authorization: Bearer $TOKEN" "$base/core/v2/partners?filter=login+eq+b100&include_fields=partner_sid" \
        | sed -E 's/.*"partner_sid":"([^"]+)".*/\1/')
    ep=$(curl -fs -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
        -d '{"name":"b","type":"third_party","addresses":[{"ip":"10.1.2.3"}]}' "$base/core/v2/endpoints" \
        | sed -E 's/.*"endpoint_sid":"([^"]+)".*/\1/')
    for u in "$base/health/live" "$base/core/v2/oauth/whoami" "$base/core/v2/partners/$sid" "$base/core/v2/endpoints/$ep"; do
        out="$out $(wrk -t2 -c64 -d5s -H "Authorization: Bearer $TOKEN" "$u" | awk '/Requests\/sec/ {printf "%10.0f", $2}')"
    done
    kill "$server"; wait "$server" 2>/dev/null || true; rm -rf "$dir"
    echo "$out"
}

echo "requests/s:   /health/live     whoami  partner  endpoint"
for _ in $(seq 1 "$ROUNDS"); do
    echo "old:      $(one "$OLD" 18401)"
    echo "new:      $(one "$NEW" 18402)"
done
