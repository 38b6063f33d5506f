#!/usr/bin/env bash
# Phone number lists at scale (about a minute): 1,000,000 numbers in the inventory (50 area codes
# over 25 states), 50,000 of them rented by the root partner; then wrk (64 connections, 2 threads)
#   GET /phonenumber/available_dids?filter=phonenumber like "1516%"&limit=100
#   GET /phonenumber/dids?filter=state eq NY
# The numbers are written straight into the database (bench set-up, not the API under test).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
PORT=${PORT:-18095}
DIR=$(mktemp -d /tmp/carrierx-bench-dids.XXXXXX)
chmod 755 "$DIR"
TOKEN=5ebc03d6-8b2b-44ad-bf65-72d4f1491dda
BASE=http://127.0.0.1:$PORT
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)"; exit 1; }

cargo build --release --quiet
CARRIERX_DATA_DIR=$DIR CARRIERX_BIND=127.0.0.1:$PORT CARRIERX_ROOT_TOKEN=$TOKEN RUST_LOG=warn \
  target/release/carrierx-core > "$DIR/server.log" 2>&1 &
SERVER=$!
cleanup() { kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/health" >/dev/null 2>&1 && break; sleep 0.2; done

psql() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$PGBIN/psql" "$@"; else "$PGBIN/psql" "$@"; fi; }
echo "== loading 1,000,000 numbers"
time psql -q -h "$DIR/run" -U postgres carrierx <<'SQL'
WITH codes(i, npa, st) AS (
  SELECT * FROM unnest(
    ARRAY[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49],
    ARRAY['212','516','718','917','631','312','773','213','310','415','305','786','512','713','214','206','617','404','702','602',
          '303','503','612','314','412','215','202','704','615','502','317','414','801','505','405','918','316','402','515','319',
          '859','865','901','334','205','601','504','225','318','337'],
    ARRAY['NY','NY','NY','NY','NY','IL','IL','CA','CA','CA','FL','FL','TX','TX','TX','WA','MA','GA','NV','AZ',
          'CO','OR','MN','MO','PA','PA','DC','NC','TN','KY','IN','WI','UT','NM','OK','OK','KS','NE','IA','IA',
          'KY','TN','TN','AL','AL','MS','LA','LA','LA','LA']))
INSERT INTO dids (did_sid, phonenumber, status, state, country_code, capabilities, price, in_country_format, international_format)
SELECT gen_random_uuid(), '1' || c.npa || lpad((g / 50 + 2000000)::text, 7, '0'), 'available', c.st, 'USA', 7, 0.6,
       '(' || c.npa || ') ' || substr(lpad((g / 50 + 2000000)::text, 7, '0'), 1, 3) || '-' || substr(lpad((g / 50 + 2000000)::text, 7, '0'), 4),
       '+1 ' || c.npa || '-' || substr(lpad((g / 50 + 2000000)::text, 7, '0'), 1, 3) || '-' || substr(lpad((g / 50 + 2000000)::text, 7, '0'), 4)
  FROM generate_series(0, 999999) g JOIN codes c ON c.i = g % 50;
UPDATE dids SET status = 'assigned', partner_sid = (SELECT partner_sid FROM partners WHERE parent_sid IS NULL)
 WHERE did_sid IN (SELECT did_sid FROM dids ORDER BY phonenumber DESC LIMIT 50000);
VACUUM ANALYZE dids;
-- The set-up's own writes (500 MB of table and indexes) flushed now, not by the checkpointer
-- during the ingestion measured below.
CHECKPOINT;
SQL
NY=$(psql -tA -h "$DIR/run" -U postgres carrierx -c "SELECT count(*) FROM dids WHERE status = 'assigned' AND state = 'NY'")
echo "   rented by root in NY: $NY"

run() {
  local name=$1 url=$2
  echo "== $name"
  wrk -t2 -c"${CONNS:-16}" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$url" | grep -E "Requests/sec|50%|99%|Non-2xx"
}
echo "== ingestion through POST /admin/dids: 10 batches of 10,000 new numbers (analyzed, answered), ${PAR:-1} at a time"
for b in $(seq 0 9); do
  python3 -c "import json; print(json.dumps([{'phonenumber': '1%03d%07d' % (240 + $b, 2000000 + i), 'price': '0.5'} for i in range(10000)]))" > "$DIR/dids$b.json"
done
# One number first (not timed): the statement prepared, the pool's connections open.
curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '[{"phonenumber":"13392000001"},{"phonenumber":"13392000002"}]' "$BASE/core/v2/admin/dids"
# PAR requests at a time (default 1: one after the other).
wal() { psql -tA -h "$DIR/run" -U postgres carrierx -c "SELECT wal_fpi || ' ' || wal_bytes FROM pg_stat_wal"; }
W0=$(wal)
start=$(date +%s.%N)
seq 0 9 | xargs -P "${PAR:-1}" -I{} curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' --data-binary @"$DIR/dids{}.json" "$BASE/core/v2/admin/dids"
end=$(date +%s.%N)
python3 -c "print('   %.0f numbers/s' % (100000 / ($end - $start)))"
read -r F0 B0 <<<"$W0"; read -r F1 B1 <<<"$(wal)"
echo "   WAL written: $(( (B1 - B0) / 1048576 )) MB, $((F1 - F0)) full-page images"

run 'GET /phonenumber/available_dids?filter=phonenumber like "1516%"&limit=100' \
  "$BASE/core/v2/phonenumber/available_dids?filter=phonenumber+like+%221516%25%22&limit=100"
run 'GET /phonenumber/available_dids?filter=state eq NY&limit=10' \
  "$BASE/core/v2/phonenumber/available_dids?filter=state+eq+NY&limit=10"
run 'GET /phonenumber/available_dids?filter=state eq NY&limit=100' \
  "$BASE/core/v2/phonenumber/available_dids?filter=state+eq+NY&limit=100"
run 'GET /phonenumber/dids?filter=state eq NY (counted total)' \
  "$BASE/core/v2/phonenumber/dids?filter=state+eq+NY"
run 'GET /phonenumber/dids?filter=state eq NY&limit=100' \
  "$BASE/core/v2/phonenumber/dids?filter=state+eq+NY&limit=100"
echo "   server memory: $(awk '/VmRSS|VmHWM/ {printf "%s %.1f MB  ", $1, $2/1024}' /proc/$SERVER/status)(VmHWM: the peak, the ingestion's)"
