#!/usr/bin/env bash
# Call detail records at scale (a few minutes): 10,000,000 records over 110 partners (100 of the
# root, 10 of a reseller) and three months, written straight into the database (bench set-up); then
#   - ingestion through the API: batches of 10,000 records, records/s;
#   - the first and the 1,000th after= page of 1,000 records (the root partner reads all records,
#     with calls.read_descendant), each timed alone and under wrk;
#   - the same first page read by the reseller (calls.read_descendant over its 10 partners);
#   - a month walked with filter=date_stop ge/lt, order=date_stop asc, limit=1000, following
#     pagination.next to the end (node, as CarrierX's downloader), by the root partner (its
#     whole tree), the reseller and one partner;
#   - a filtered list (filter=direction eq inbound and duration gt 3500, limit=100) under wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5s}
ROWS=${ROWS:-10000000}
PORT=${PORT:-18093}
DIR=$(mktemp -d /tmp/carrierx-bench-cdrs.XXXXXX)
chmod 755 "$DIR"
TOKEN=5ebc03d6-8b2b-44ad-bf65-72d4f1491dda
BASE=http://127.0.0.1:$PORT
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)"; exit 1; }

cargo build --release --quiet
CARRIERX_DATA_DIR=$DIR CARRIERX_BIND=127.0.0.1:$PORT CARRIERX_ROOT_TOKEN=$TOKEN CARRIERX_EMAIL_VERIFICATION=auto RUST_LOG=warn \
  target/release/carrierx-core > "$DIR/server.log" 2>&1 &
SERVER=$!
cleanup() { kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/health" >/dev/null 2>&1 && break; sleep 0.2; done
psql() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$PGBIN/psql" "$@"; else "$PGBIN/psql" "$@"; fi; }
auth=(-H "Authorization: Bearer $TOKEN")

echo "== 100 partners"
seq 1 100 | xargs -P 4 -I{} curl -fs -o /dev/null "${auth[@]}" -H 'Content-Type: application/json' \
  -d '{"login":"cdr{}","password":"bench-password"}' "$BASE/core/v2/partners"

echo "== a reseller with 10 partners of its own (its tree: 10% of the records)"
curl -fs -o /dev/null "${auth[@]}" -H 'Content-Type: application/json' -d '{"login":"res","password":"bench-password"}' "$BASE/core/v2/partners"
seq 1 10 | xargs -P 4 -I{} curl -fs -o /dev/null -u res:bench-password -H 'Content-Type: application/json' \
  -d '{"login":"sub{}","password":"bench-password"}' "$BASE/core/v2/partners"

echo "== writing $ROWS records"
time psql -q -v ON_ERROR_STOP=1 -h "$DIR/run" -U postgres carrierx <<SQL
DROP INDEX call_drs_partner_stop_idx;
DROP INDEX call_drs_stop_idx;
ALTER TABLE call_drs DROP CONSTRAINT call_drs_pkey;
CREATE TEMP TABLE ps AS SELECT row_number() OVER (ORDER BY login) - 1 AS i, partner_sid FROM partners
  WHERE login LIKE 'cdr%' OR login LIKE 'sub%';
INSERT INTO call_drs (dr_sid, partner_sid, date_stop, date_start, date_insert, direction, type, duration, number_src, number_dst, rate, price, duration_billing, version)
SELECT gen_random_uuid(), ps.partner_sid,
       timestamptz '2024-08-01' + ((g::bigint * 7862400 / $ROWS) * interval '1 second'),
       timestamptz '2024-08-01' + ((g::bigint * 7862400 / $ROWS) * interval '1 second') - ((g % 3600) * interval '1 second'),
       now(), CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END, 'telecom', g % 3600,
       '1516' || lpad((g % 10000000)::text, 7, '0'), '1212' || lpad(((g * 7) % 10000000)::text, 7, '0'),
       0.005, round(0.005 * ceil((g % 3600) / 60.0), 6), ceil((g % 3600) / 60.0) * 60, 2
  FROM generate_series(0, $ROWS - 1) g JOIN ps ON ps.i = g % 110;
ALTER TABLE call_drs ADD PRIMARY KEY (dr_sid);
CREATE INDEX call_drs_partner_stop_idx ON call_drs (partner_sid, date_stop, dr_sid);
CREATE INDEX call_drs_stop_idx ON call_drs (date_stop, dr_sid);
VACUUM ANALYZE call_drs;
SQL

P1=$(psql -tA -h "$DIR/run" -U postgres carrierx -c "SELECT partner_sid FROM partners WHERE login = 'cdr1'")
echo "== ingestion through the API: 10 batches of 10,000"
python3 - "$P1" > "$DIR/batch.json" <<'PY'
import json, sys, uuid
p = sys.argv[1]
print(json.dumps([{"partner_sid": p, "direction": "outbound", "type": "telecom", "number_dst": "1212555%04d" % (i % 10000),
                   "date_start": "2024-11-01T00:00:00Z", "date_stop": "2024-11-01T00:%02d:%02dZ" % (i // 60 % 60, i % 60)} for i in range(10000)]))
PY
start=$(date +%s.%N)
for _ in $(seq 1 10); do
  curl -fs -o /dev/null "${auth[@]}" -H 'Content-Type: application/json' --data-binary @"$DIR/batch.json" "$BASE/core/v2/admin/calls/call_drs"
done
end=$(date +%s.%N)
python3 -c "print('   %.0f records/s' % (100000 / ($end - $start)))"

FIRST="$BASE/core/v2/calls/call_drs?limit=1000"
PIVOT=$(psql -tA -h "$DIR/run" -U postgres carrierx -c "SELECT dr_sid FROM call_drs ORDER BY date_stop, dr_sid OFFSET 998999 LIMIT 1")
DEEP="$BASE/core/v2/calls/call_drs?after=$PIVOT&limit=1000"
t() { curl -fs -o /dev/null -w '%{time_total}' "${auth[@]}" "$1"; }
for _ in 1 2 3; do t "$FIRST" >/dev/null; t "$DEEP" >/dev/null; done
echo "== one request at a time (s): first page $(t "$FIRST"), 1,000th page $(t "$DEEP")"
run() {
  local name=$1 url=$2 conns=${3:-16}
  echo "== $name (wrk -c$conns)"
  wrk -t"$(( conns < 2 ? 1 : 2 ))" -c"$conns" -d"$DURATION" --latency "${auth[@]}" "$url" | grep -E "Requests/sec|50%|99%|Non-2xx"
}
run "first after= page of 1,000, one connection" "$FIRST" 1
run "1,000th after= page of 1,000, one connection" "$DEEP" 1
run "first after= page of 1,000" "$FIRST"
run "1,000th after= page of 1,000" "$DEEP"
RES=(-H "Authorization: Basic $(printf res:bench-password | base64)")
resrun() {
  echo "== $1 (wrk -c$3)"
  wrk -t"$(( $3 < 2 ? 1 : 2 ))" -c"$3" -d"$DURATION" --latency "${RES[@]}" "$2" | grep -E "Requests/sec|50%|99%|Non-2xx"
}
resrun "the reseller's first page of 1,000 (its tree: 10% of the records), one connection" "$FIRST" 1
resrun "the reseller's first page of 1,000" "$FIRST" 16

# A month walked as CarrierX's Node downloader does: filter on date_stop, order=date_stop asc,
# limit=1000, following pagination.next until it is absent.
cat > "$DIR/walk.js" <<'JS'
const [base, auth, extra] = process.argv.slice(2);
let url = `${base}/core/v2/calls/call_drs?filter=${extra}date_stop+ge+2024-08-01+and+date_stop+lt+2024-09-01&order=date_stop+asc&limit=1000`;
(async () => {
  let pages = 0, records = 0;
  const start = Date.now();
  while (url) {
    const body = await (await fetch(url, { headers: { Authorization: auth } })).json();
    pages++; records += body.count; url = body.pagination.next;
  }
  const s = (Date.now() - start) / 1000;
  console.log(`   ${records} records in ${pages} pages, ${s.toFixed(2)} s (${(1000 * s / pages).toFixed(1)} ms a page, ${Math.round(records / s)} records/s)`);
})();
JS
echo "== August 2024 walked by the root partner (its whole tree: every record)"
node "$DIR/walk.js" "$BASE" "Bearer $TOKEN" ""
echo "== August 2024 walked by the reseller (calls.read_descendant: its 10 partners' records)"
node "$DIR/walk.js" "$BASE" "Basic $(printf res:bench-password | base64)" ""
echo "== August 2024 of one partner (filter=partner_sid eq ...)"
node "$DIR/walk.js" "$BASE" "Bearer $TOKEN" "partner_sid+eq+$P1+and+"
FILTERED="$BASE/core/v2/calls/call_drs?filter=direction+eq+inbound+and+duration+gt+3500&limit=100"
run "filtered list: direction eq inbound and duration gt 3500, limit=100, one connection" "$FILTERED" 1
run "filtered list: direction eq inbound and duration gt 3500, limit=100" "$FILTERED"
sleep 6
echo "   server RSS: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$SERVER/status)"
