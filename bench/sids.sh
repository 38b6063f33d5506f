#!/usr/bin/env bash
# GET by secure ID of every kind of object, beside the database's own ceiling, bounded in time
# (about six minutes):
#   1. pgbench -S -M prepared -c 64 against the server's own PostgreSQL (TPS: the ceiling);
#   2. one object of each kind made through the API as the root partner (numbers, trunks, tasks,
#      invoices, messages and their records, call and conference records, DID groups, prefixes,
#      LRN prefixes, short codes, push applications and devices, containers, files, ...);
#   3. wrk (2 threads, 64 connections, DURATION each, default 5 s) on GET of each, Bearer token,
#      each after a pgbench of PG_EACH seconds (default 3): requests/s, the ratios to that pgbench
#      and to the first, p50/p99, and the server's RSS;
#   4. beside it all, bench/pause.py: the longest time a CPU did not run at all in each route's
#      window ("host pause": the hypervisor not running a vCPU, seen by a real-time thread) and the
#      steal time /proc/stat counts. A route whose window held a pause of PAUSE_RETRY_MS or more
#      (default 20) is measured again at the end, both rows printed: one such pause alone lifts a
#      5-second run's p99 from 3 to 14 ms (wrk spreads it over the samples it would have taken).
#      PAUSE_MONITOR=0 runs without it.
#
#   bench/sids.sh        (needs wrk, jq and pgbench: apt-get install wrk jq postgresql-contrib)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5s}
CONNS=${CONNS:-64}
ONLY=${ONLY:-}   # a regular expression: measure only the routes it matches
PORT=${PORT:-18097}
DIR=$(mktemp -d /tmp/carrierx-bench-sids.XXXXXX)
chmod 755 "$DIR"
TOKEN=5ebc03d6-8b2b-44ad-bf65-72d4f1491dda
BASE=http://127.0.0.1:$PORT
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGBENCH=$(command -v pgbench || echo "$PGBIN/pgbench")
for tool in wrk jq; do command -v $tool >/dev/null || { echo "bench: $tool is missing (apt-get install $tool)"; exit 1; }; done

# BIN: another build to measure (A/B of two binaries run in turn); by default this tree's.
BIN=${BIN:-target/release/carrierx-core}
[ "$BIN" = target/release/carrierx-core ] && cargo build --release --quiet
CLIENT_ID=5c7965f285344165b003ce1a3202e589
CLIENT_SECRET=5033909114fe442cbbcb83b674dbf90c
CARRIERX_DATA_DIR=$DIR CARRIERX_BIND=127.0.0.1:$PORT CARRIERX_ROOT_TOKEN=$TOKEN CARRIERX_EMAIL_VERIFICATION=auto \
  CARRIERX_OAUTH_CLIENT_ID=$CLIENT_ID CARRIERX_OAUTH_CLIENT_SECRET=$CLIENT_SECRET RUST_LOG=warn "$BIN" > "$DIR/server.log" 2>&1 &
SERVER=$!
PAUSES=$DIR/pauses
MONITOR=
if [ "${PAUSE_MONITOR:-1}" != 0 ]; then
  python3 bench/pause.py "$PAUSES" &
  MONITOR=$!
fi
cleanup() {
  kill $SERVER $MONITOR 2>/dev/null || true
  wait $SERVER $MONITOR 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/health" >/dev/null 2>&1 && break; sleep 0.2; done

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$PGBIN/createdb" -h "$DIR/run" -U postgres pgbench_db
as_pg "$PGBENCH" -h "$DIR/run" -U postgres -i -s 10 -q pgbench_db >/dev/null 2>&1
PG_TPS=$(as_pg "$PGBENCH" -h "$DIR/run" -U postgres -S -M prepared -c 64 -j 2 -T 10 pgbench_db 2>/dev/null \
  | awk '/^tps/ {print int($3)}')  # the first pgbench
echo "pgbench -S -M prepared -c 64: $PG_TPS TPS"
# The set-up's writes (pgbench's tables, ~150 MB) flushed now, not by a checkpoint during the runs.
as_pg "$PGBIN/psql" -q -h "$DIR/run" -U postgres -c CHECKPOINT pgbench_db

api() { # method path [json]
  curl -fsS -X "$1" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" ${3:+-d "$3"} "$BASE/core/v2/$2"
}
ME=$(api GET oauth/whoami | jq -r .partner_sid)
api POST admin/dids '[{"phonenumber":"15162065801","capabilities":31,"price":"0"},{"phonenumber":"15162065802","capabilities":31,"price":"0"}]' >/dev/null
DID=$(api POST phonenumber/dids '{"phonenumber":"15162065801"}' | jq -r .did_sid)
api POST phonenumber/dids '{"phonenumber":"15162065802"}' >/dev/null
G=$(api POST 'trunk_groups?with_trunks=true' '{"name":"bench","trunks":[{"name":"t1"}]}')
TG=$(jq -r .trunk_group_sid <<<"$G"); TRUNK=$(jq -r '.trunks[0].trunk_sid' <<<"$G")
EP=$(api POST endpoints '{"name":"bench","type":"third_party","addresses":[{"ip":"10.1.2.3"}]}' | jq -r .endpoint_sid)
RULE=$(api POST accesscontrol/rules '{"field":"to","operation":"prefix","quantifier":"any","entries":["1900"]}' | jq -r .rule_sid)
TASK=$(api POST batch/tasks '{"method":"PATCH","type":"phonenumber","field":"phonenumber","review":true,"entries":["15162065801"],"data":{"name":"x"}}' | jq -r .task_sid)
INVOICE=$(api GET 'invoices?filter=status+eq+open' | jq -r '.items[0].invoice_sid')
MSG=$(api POST sms/messages '{"from":"15162065801","to":"15162065802","message":"bench"}' | jq -r .message_sid)
MDR=$(api GET 'sms/message_drs?filter=direction+eq+outbound&limit=1' | jq -r '.items[0].dr_sid')
api POST admin/calls/call_drs "{\"partner_sid\":\"$ME\",\"date_stop\":\"2026-11-20T11:00:00Z\",\"direction\":\"outbound\",\"price\":\"0.02\",\"duration_billing\":\"60\",\"number_dst\":\"14155550100\"}" >/dev/null
CDR=$(api GET 'calls/call_drs?limit=1' | jq -r '.items[0].dr_sid')
DG=$(api POST phonenumber/did_groups '{"name":"bench"}' | jq -r .did_group_sid)
PFX=$(api POST phonenumber/prefixes '{"prefix":"51625"}' | jq -r .prefix_sid)
LRN=$(api POST phonenumber/lrn_prefixes '{"prefix":"1520"}' | jq -r .lrn_prefix_sid)
SC=$(api POST admin/phonenumber/short_codes "{\"partner_sid\":\"$ME\",\"short_code\":\"26399\"}" | jq -r .short_code_sid)
APP=$(api POST push/applications '{"google_credentials":"c2VjcmV0","name":"bench"}' | jq -r .application_sid)
DEV=$(api POST push/devices "{\"application_sid\":\"$APP\",\"type\":\"android\",\"token\":\"t-1\"}" | jq -r .device_sid)
BOX=$(api POST storage/containers '{"name":"bench"}' | jq -r .container_sid)
FILE=$(curl -fsS -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/octet-stream" --data-binary 'hello' \
  "$BASE/core/v2/storage/files?container_sid=$BOX&name=hello.txt" | jq -r .file_sid)
CLS=$(api GET 'phonenumber/classifications?limit=1' | jq -r '.items[0].classification_sid')
TPL=$(api GET 'verification/email/templates?limit=1' | jq -r '.items[0].template_sid')
# A token of the root partner's other than the one the requests carry, and that one.
curl -fsS -H "Authorization: Bearer $TOKEN" -d "client_id=$CLIENT_ID&client_secret=$CLIENT_SECRET" "$BASE/core/v2/oauth/token/$ME" >/dev/null
TOKENS=$(api GET 'oauth/tokens?limit=100')
OWN=$(jq -r --arg t "$TOKEN" '.items[] | select(.access_token == $t) | .token_sid' <<<"$TOKENS")
TOK=$(jq -r --arg t "$TOKEN" '[.items[] | select(.access_token != $t)][0].token_sid' <<<"$TOKENS")
CONF=$(api POST admin/app/conference/calls "{\"partner_sid\":\"$ME\",\"date_stop\":\"2026-11-20T11:00:00Z\",\"date_start\":\"2026-11-20T10:59:00Z\"}" | jq -r '.call_sid')
SDOM=$(api POST shortener/domains '{"domain_name":"bench.test"}' | jq -r .domain_sid)
SLINK=$(api POST shortener/links "{\"domain_sid\":\"$SDOM\",\"destination_url\":\"https://example.com/landing\"}" | jq -r .link_sid)
api POST admin/dids '[{"phonenumber":"15162065803","capabilities":31,"price":"0"}]' >/dev/null
AVAIL=$(api GET 'phonenumber/available_dids?filter=phonenumber+eq+15162065803' | jq -r '.items[0].did_sid')
PLAN=$(api POST admin/calls/rates_plans '{"name":"bench","items":[{"prefix":"1","price":"0.01"}]}' | jq -r .rates_plan_sid)
LOGIN=$(api POST oauth/logins '{"login":"root_bench","password":"bench-password-1","token_scopes":["partners.read"]}' | jq -r .login_sid)

# This machine's speed drifts by up to 25% over minutes (the same build and route measure 55,000
# or 72,000 req/s in different stretches, and pgbench moves with it), so each route is also set
# beside a pgbench run just before it (PG_EACH seconds, 0 to skip): "× pgbench beside".
PG_EACH=${PG_EACH:-3}
pg_tps() { as_pg "$PGBENCH" -h "$DIR/run" -U postgres -S -M prepared -c 64 -j 2 -T "$1" pgbench_db 2>/dev/null | awk '/^tps/ {print int($3)}'; }
PAUSE_RETRY_MS=${PAUSE_RETRY_MS:-20}
TICK_MS=$((1000 / $(getconf CLK_TCK)))
steal_ms() { awk -v t="$TICK_MS" '$1 == "cpu" {print $9 * t}' /proc/stat; }
# The longest pause (ms) that overlapped the window [$1, $2] (epoch seconds).
longest_pause() {
  if [ -z "$MONITOR" ]; then echo "—"; elif [ ! -s "$PAUSES" ]; then echo "0.0 ms"; else
    awk -v a="$1" -v b="$2" '$1 >= a && $1 - $3 / 1000 <= b && $3 > m {m = $3} END {printf "%.1f ms", m}' "$PAUSES"
  fi
}
header() {
  printf '\n| GET (Bearer, c=%s, %s) | req/s | pgbench beside | × pgbench beside | × first pgbench | p50 | p99 | RSS | host pause | steal |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n' "$CONNS" "$DURATION"
}
header
AGAIN=()
run() {
  local name=$1 path=$2 out rps p50 p99 beside=$PG_TPS t0 t1 s0 s1 pause
  if [ -n "$ONLY" ] && ! [[ $name =~ $ONLY ]]; then return; fi
  curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/core/v2/$path" || { echo "| $name | failed: $path | | | | | | | | |"; return; }
  [ "$PG_EACH" != 0 ] && beside=$(pg_tps "$PG_EACH")
  t0=$(date +%s.%N); s0=$(steal_ms)
  out=$(wrk -t2 -c"$CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$BASE/core/v2/$path")
  t1=$(date +%s.%N); s1=$(steal_ms)
  pause=$(longest_pause "$t0" "$t1")
  rps=$(awk '/Requests\/sec/ {print int($2)}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out"); p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  if grep -q "Non-2xx" <<<"$out"; then name="$name (non-2xx!)"; fi
  printf '| %s | %s | %s | %.2f | %.2f | %s | %s | %s MB | %s | %s ms |\n' "$name" "$rps" "$beside" "$(echo "$rps / $beside" | bc -l)" \
    "$(echo "$rps / $PG_TPS" | bc -l)" "$p50" "$p99" "$(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$SERVER/status)" \
    "$pause" "$((s1 - s0))"
  if [ "${MEASURING_AGAIN:-}" = "" ] && awk -v p="${pause% ms}" -v m="$PAUSE_RETRY_MS" 'BEGIN {exit !(p + 0 >= m)}'; then
    AGAIN+=("$name" "$path")
  fi
}
run "/partners/{sid}" "partners/$ME"
run "/endpoints/{sid}" "endpoints/$EP"
run "/trunk_groups/{sid}" "trunk_groups/$TG"
run "/trunk_groups/{sid}/trunks/{sid}" "trunk_groups/$TG/trunks/$TRUNK"
run "/accesscontrol/rules/{sid}" "accesscontrol/rules/$RULE"
run "/phonenumber/dids/{sid}" "phonenumber/dids/$DID"
run "/phonenumber/did_groups/{sid}" "phonenumber/did_groups/$DG"
run "/phonenumber/prefixes/{sid}" "phonenumber/prefixes/$PFX"
run "/phonenumber/lrn_prefixes/{sid}" "phonenumber/lrn_prefixes/$LRN"
run "/phonenumber/short_codes/{sid}" "phonenumber/short_codes/$SC"
run "/phonenumber/classifications/{sid}" "phonenumber/classifications/$CLS"
run "/batch/tasks/{sid}" "batch/tasks/$TASK"
run "/invoices/{sid}" "invoices/$INVOICE"
run "/sms/messages/{sid}" "sms/messages/$MSG"
run "/sms/message_drs/{sid}" "sms/message_drs/$MDR"
run "/calls/call_drs/{sid}" "calls/call_drs/$CDR"
run "/push/applications/{sid}" "push/applications/$APP"
run "/push/devices/{sid}" "push/devices/$DEV"
run "/storage/containers/{sid}" "storage/containers/$BOX"
run "/storage/files/{sid}" "storage/files/$FILE"
run "/verification/email/templates/{sid}" "verification/email/templates/$TPL"
run "/oauth/tokens/{sid}" "oauth/tokens/$TOK"
run "/oauth/tokens/{sid} (the token reading it)" "oauth/tokens/$OWN"
run "/app/conference/calls/{sid}" "app/conference/calls/$CONF"
run "/shortener/domains/{sid}" "shortener/domains/$SDOM"
run "/shortener/links/{sid}" "shortener/links/$SLINK"
run "/phonenumber/available_dids/{sid}" "phonenumber/available_dids/$AVAIL"
run "/admin/dids/{sid} (admin)" "admin/dids/$DID"
run "/admin/calls/rates_plans/{sid} (admin)" "admin/calls/rates_plans/$PLAN"
run "/oauth/logins/{sid}" "oauth/logins/$LOGIN"
if [ ${#AGAIN[@]} -gt 0 ]; then
  printf '\nMeasured again: the routes whose window held a host pause of %s ms or more.\n' "$PAUSE_RETRY_MS"
  header
  MEASURING_AGAIN=1
  for ((i = 0; i < ${#AGAIN[@]}; i += 2)); do run "${AGAIN[i]}" "${AGAIN[i + 1]}"; done
fi
echo
echo "server RSS at the end: $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' /proc/$SERVER/status)"
