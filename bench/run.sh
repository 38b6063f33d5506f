#!/usr/bin/env bash
# Load benchmark of carrierx-core on loopback, bounded in time (about 3 minutes).
#
#   bench/run.sh            (needs wrk and pgbench: apt-get install wrk postgresql-contrib)
#
# 1. builds the release binary and starts it with its embedded PostgreSQL in a scratch directory;
# 2. runs `pgbench -S -M prepared -c 64` against that same PostgreSQL: the database's own ceiling;
# 3. seeds 1,000 partners, then runs wrk (64 connections, 2 threads) against:
#    GET /health/live (no database: the framework ceiling), GET /oauth/whoami with Bearer and with
#    Basic, GET /partners/{sid} (an authenticated GET by SID, cached), GET /partners?limit=100, and
#    GET /endpoints/{sid}, GET /trunk_groups/{sid} (read through their repositories) and a page of
#    endpoints with their partners;
# 4. prints requests/s, latency percentiles and the server's RSS under load.
set -euo pipefail
[ -n "${DEBUG:-}" ] && set -x
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
PORT=${PORT:-18099}
DIR=$(mktemp -d /tmp/carrierx-bench.XXXXXX)
chmod 755 "$DIR"
TOKEN=5ebc03d6-8b2b-44ad-bf65-72d4f1491dda
ROOT_PW=bench-root-password
BASE=http://127.0.0.1:$PORT

command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)"; exit 1; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGBENCH=$(command -v pgbench || echo "$PGBIN/pgbench")

cargo build --release --quiet
CARRIERX_DATA_DIR=$DIR CARRIERX_BIND=127.0.0.1:$PORT CARRIERX_ROOT_TOKEN=$TOKEN CARRIERX_ROOT_PASSWORD=$ROOT_PW \
  CARRIERX_EMAIL_VERIFICATION=auto CARRIERX_DB_MAX_CONNECTIONS=${POOL:-16} RUST_LOG=warn \
  target/release/carrierx-core > "$DIR/server.log" 2>&1 &
SERVER=$!
cleanup() { kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/health" >/dev/null 2>&1 && break; sleep 0.2; done

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
echo "== pgbench -S -M prepared -c $CONNS (the database's ceiling on this machine)"
as_pg "$PGBIN/createdb" -h "$DIR/run" -U postgres pgbench_db
as_pg "$PGBENCH" -h "$DIR/run" -U postgres -i -s 10 -q pgbench_db >/dev/null 2>&1
as_pg "$PGBENCH" -h "$DIR/run" -U postgres -S -M prepared -c "$CONNS" -j 2 -T "${DURATION%s}" pgbench_db 2>/dev/null | grep -E "^tps|latency average"

echo "== seeding 1,000 partners"
seq 1 1000 | xargs -P 8 -I{} sh -c 'n={}; curl -fs -o /dev/null -H "Authorization: Bearer '"$TOKEN"'" -H "Content-Type: application/json" \
  -d "{\"login\":\"bench$n\",\"password\":\"bench-password\",\"name\":\"Bench $n\",\"attributes\":{\"n\":$n}}" '"$BASE"'/core/v2/partners'
SID=$(curl -fs -H "Authorization: Bearer $TOKEN" "$BASE/core/v2/partners?filter=login+eq+bench500&include_fields=partner_sid" | sed -E 's/.*"partner_sid":"([^"]+)".*/\1/')
BASIC=$(printf 'root:%s' "$ROOT_PW" | base64)

rss() { awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$SERVER/status; }
run() {
  local name=$1; shift
  echo "== $name"
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$@" | grep -E "Requests/sec|Latency  |50%|99%|Non-2xx"
  echo "   server RSS after: $(rss)"
}
run "GET /health/live (framework ceiling, no database)" "$BASE/health/live"
run "GET /core/v2/oauth/whoami (Bearer)" -H "Authorization: Bearer $TOKEN" "$BASE/core/v2/oauth/whoami"
run "GET /core/v2/oauth/whoami (Basic)" -H "Authorization: Basic $BASIC" "$BASE/core/v2/oauth/whoami"
run "GET /core/v2/partners/{sid} (Bearer, GET by SID)" -H "Authorization: Bearer $TOKEN" "$BASE/core/v2/partners/$SID"
run "GET /core/v2/partners?limit=100 (Bearer)" -H "Authorization: Bearer $TOKEN" "$BASE/core/v2/partners?limit=100"
run "GET /core/v2/partners?limit=100 (Basic)" -H "Authorization: Basic $BASIC" "$BASE/core/v2/partners?limit=100"
run "GET /core/v2/partners?filter=attributes.n+gt+990&limit=10 (Bearer, filtered)" -H "Authorization: Bearer $TOKEN" "$BASE/core/v2/partners?filter=attributes.n+gt+990&limit=10"

# Objects read by SID through find_visible (endpoints, trunk groups and rules from the object
# cache), and a page with its partners (with_related, from the database).
post() { curl -fs -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d "$2" "$BASE/core/v2/$1"; }
sid_of() { sed -E "s/.*\"$1\":\"([^\"]+)\".*/\1/"; }
EP=$(post endpoints '{"name":"bench","type":"third_party","addresses":[{"ip":"10.1.2.3"}]}' | sid_of endpoint_sid)
TG=$(post trunk_groups '{"name":"bench"}' | sid_of trunk_group_sid)
RULE=$(post accesscontrol/rules '{"field":"to","operation":"prefix","quantifier":"any","entries":["1900"]}' | sid_of rule_sid)
run "GET /core/v2/endpoints/{sid} (Bearer, GET by SID)" -H "Authorization: Bearer $TOKEN" "$BASE/core/v2/endpoints/$EP"
run "GET /core/v2/trunk_groups/{sid} (Bearer, GET by SID)" -H "Authorization: Bearer $TOKEN" "$BASE/core/v2/trunk_groups/$TG"
run "GET /core/v2/accesscontrol/rules/{sid} (Bearer, GET by SID)" -H "Authorization: Bearer $TOKEN" "$BASE/core/v2/accesscontrol/rules/$RULE"
run "GET /core/v2/endpoints?limit=100&with_related=true (Bearer)" -H "Authorization: Bearer $TOKEN" "$BASE/core/v2/endpoints?limit=100&with_related=true"
