#!/usr/bin/env bash
# Messaging on the simulated network, bounded in time (a few minutes):
#   1. pgbench -S -M prepared -c 64 against the same PostgreSQL (the database's ceiling);
#   2. sends: wrk POSTs /sms/messages (CONNS connections, default 64: at 32 the sends are bound by
#      wrk's closed loop, 32 requests in flight at ~15 ms each, with CPU to spare) from two numbers
#      of a postpaid partner whose callbacks go to a local receiver (node, on loopback); then the
#      time until every message is delivered and every callback (queued, sent, delivered: three a
#      message) has been received: sends/s end to end, duplicates counted (must be 0), the CPU each
#      process spent per message over the whole run (/proc), the server's RSS;
#   3. message records at scale: ROWS records (default 10,000,000) over 100 partners written into
#      the database (bench set-up), then the first and the 1,000th after= page of 1,000 as root
#      (every partner's records), alone and under wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
ROWS=${ROWS:-10000000}
PORT=${PORT:-18094}
RPORT=${RPORT:-18095}
DIR=$(mktemp -d /tmp/carrierx-bench-sms.XXXXXX)
chmod 755 "$DIR"
TOKEN=5ebc03d6-8b2b-44ad-bf65-72d4f1491dda
BASE=http://127.0.0.1:$PORT
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGBENCH=$(command -v pgbench || echo "$PGBIN/pgbench")
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)"; exit 1; }
command -v node >/dev/null || { echo "bench: node is missing (apt-get install nodejs)"; exit 1; }

cargo build --release --quiet
CLIENT_ID=5c7965f285344165b003ce1a3202e589
CLIENT_SECRET=5033909114fe442cbbcb83b674dbf90c
CARRIERX_DATA_DIR=$DIR CARRIERX_BIND=127.0.0.1:$PORT CARRIERX_ROOT_TOKEN=$TOKEN CARRIERX_EMAIL_VERIFICATION=auto \
  CARRIERX_OAUTH_CLIENT_ID=$CLIENT_ID CARRIERX_OAUTH_CLIENT_SECRET=$CLIENT_SECRET \
  CARRIERX_SMS_STEP_MS=${STEP_MS:-300} CARRIERX_CALLBACK_PER_RECEIVER=${PER_RECEIVER:-64} RUST_LOG=warn target/release/carrierx-core > "$DIR/server.log" 2>&1 &
SERVER=$!
# The receiver: answers 200 at once, counts callbacks and the (message, status) pairs seen twice.
cat > "$DIR/receiver.js" <<'JS'
const http = require('http');
const seen = new Set();
let count = 0, dups = 0, last = 0;
http.createServer((req, res) => {
  if (req.method === 'GET') { res.end(JSON.stringify({ count, dups, last })); return; }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const b = JSON.parse(Buffer.concat(chunks));
    const key = b.message_sid + ':' + b.status;
    if (seen.has(key)) dups++; else seen.add(key);
    count++; last = Date.now();
    res.end('ok');
  });
}).listen(Number(process.argv[2]), '127.0.0.1');
JS
node "$DIR/receiver.js" "$RPORT" &
RECEIVER=$!
cleanup() {
  kill $SERVER $RECEIVER 2>/dev/null || true
  wait $SERVER 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/health" >/dev/null 2>&1 && break; sleep 0.2; done
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql() { as_pg "$PGBIN/psql" "$@"; }
auth=(-H "Authorization: Bearer $TOKEN")
json=(-H 'Content-Type: application/json')
rss() { awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$SERVER/status; }

echo "== pgbench -S -M prepared -c 64 (the database's ceiling on this machine)"
as_pg "$PGBIN/createdb" -h "$DIR/run" -U postgres pgbench_db
as_pg "$PGBENCH" -h "$DIR/run" -U postgres -i -s 10 -q pgbench_db >/dev/null 2>&1
as_pg "$PGBENCH" -h "$DIR/run" -U postgres -S -M prepared -c 64 -j 2 -T "${DURATION%s}" pgbench_db 2>/dev/null | grep -E "^tps"

echo "== a postpaid sender with two numbers, its callbacks to the receiver"
P=$(curl -fs "${auth[@]}" "${json[@]}" -d '{"login":"sender","password":"bench-password","payment_type":"postpay","daily_spending_limit":"1000000"}' \
  "$BASE/core/v2/admin/partners" | sed -E 's/.*"partner_sid":"([^"]+)".*/\1/')
curl -fs -o /dev/null "${auth[@]}" "${json[@]}" -d '[{"phonenumber":"15162065575","capabilities":31},{"phonenumber":"15162065576","capabilities":31}]' "$BASE/core/v2/admin/dids"
# Rented to the sender straight in the database (bench set-up); it sends with a token of its own.
psql -q -h "$DIR/run" -U postgres carrierx -c "UPDATE dids SET status = 'assigned', partner_sid = '$P' WHERE phonenumber IN ('15162065575', '15162065576')"
PTOKEN=$(curl -fs "${auth[@]}" -d "client_id=$CLIENT_ID&client_secret=$CLIENT_SECRET" "$BASE/core/v2/oauth/token/$P" \
  | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
curl -fs -o /dev/null "${auth[@]}" "${json[@]}" -X PATCH -d "{\"callbacks\":{\"sms\":\"http://127.0.0.1:$RPORT/sms\"}}" "$BASE/core/v2/partners/$P"

cat > "$DIR/send.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local from = (n % 2 == 0) and "15162065575" or "15162065576"
  return wrk.format(nil, "/core/v2/sms/messages",
    nil, '{"from":"' .. from .. '","to":"1212556' .. string.format("%04d", n % 10000) .. '","message":"bench ' .. n .. '"}')
end
LUA
# CPU time (ticks) of the server, the receiver and every postgres process.
cpu() {
  python3 - "$SERVER" "$RECEIVER" <<'PY'
import os, sys
def ticks(pid):
    try:
        f = open('/proc/%s/stat' % pid).read().rsplit(')', 1)[1].split()
        return int(f[11]) + int(f[12])
    except OSError:
        return 0
pg = 0
for p in os.listdir('/proc'):
    if p.isdigit():
        try:
            if open('/proc/%s/comm' % p).read().strip() == 'postgres':
                pg += ticks(p)
        except OSError:
            pass
print(ticks(sys.argv[1]), ticks(sys.argv[2]), pg)
PY
}
CONNS=${CONNS:-64}
echo "== sends: wrk -c$CONNS -d$DURATION POST /sms/messages"
cpu_before=$(cpu)
start=$(date +%s.%N)
wrk -t2 -c"$CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $PTOKEN" -s "$DIR/send.lua" "$BASE" | grep -E "Requests/sec|50%|99%|Non-2xx|requests in"
sent_end=$(date +%s.%N)
echo "   server RSS right after the sends: $(rss)"
SENT=$(psql -tA -h "$DIR/run" -U postgres carrierx -c "SELECT count(*) FROM messages WHERE direction = 'outbound'")
WANT=$((SENT * 3))
echo "   $SENT messages accepted; waiting for their $WANT callbacks"
for _ in $(seq 1 1200); do
  got=$(curl -fs "http://127.0.0.1:$RPORT/" | sed -E 's/.*"count":([0-9]+).*/\1/')
  [ "$got" -ge "$WANT" ] && break
  sleep 0.25
done
cpu_after=$(cpu)
stats=$(curl -fs "http://127.0.0.1:$RPORT/")
python3 - "$start" "$sent_end" "$SENT" "$stats" "$cpu_before" "$cpu_after" "$(getconf CLK_TCK)" <<'PY'
import json, sys
start, sent_end, sent, stats = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
before, after, hz = sys.argv[5].split(), sys.argv[6].split(), int(sys.argv[7])
ms = [(int(b) - int(a)) * 1000.0 / hz / max(sent, 1) for a, b in zip(before, after)]
print("   CPU per message over the whole run: server %.3f ms, receiver %.3f ms, PostgreSQL %.3f ms" % tuple(ms))
done = stats["last"] / 1000.0
print("   callbacks received: %d (duplicates: %d)" % (stats["count"], stats["dups"]))
print("   every callback in %.1f s after the first send: %.0f messages/s end to end (sending took %.1f s: %.0f sends/s)"
      % (done - start, sent / (done - start), sent_end - start, sent / (sent_end - start)))
PY
psql -tA -h "$DIR/run" -U postgres carrierx -c "SELECT status, count(*) FROM messages GROUP BY status ORDER BY status" | sed 's/^/   messages /'
psql -tA -h "$DIR/run" -U postgres carrierx -c "SELECT status, count(*), max(attempts) FROM callbacks GROUP BY status" | sed 's/^/   callbacks /'
echo "   server RSS: $(rss)"

echo "== writing $ROWS message records over 100 partners"
seq 1 100 | xargs -P 4 -I{} curl -fs -o /dev/null "${auth[@]}" "${json[@]}" -d '{"login":"mdr{}","password":"bench-password"}' "$BASE/core/v2/partners"
time psql -q -v ON_ERROR_STOP=1 -h "$DIR/run" -U postgres carrierx <<SQL
DROP INDEX messages_partner_idx;
DROP INDEX messages_partner_stop_idx;
DROP INDEX messages_stop_idx;
ALTER TABLE messages DROP CONSTRAINT messages_pkey;
ALTER TABLE messages DROP CONSTRAINT messages_dr_sid_key;
CREATE TEMP TABLE ps AS SELECT row_number() OVER (ORDER BY login) - 1 AS i, partner_sid FROM partners WHERE login LIKE 'mdr%';
INSERT INTO messages (message_sid, dr_sid, partner_sid, direction, type, status, number_src, number_dst, number_billing,
                      number_external, message, message_segments, rate, price, date_created, date_changed, date_sent, date_stop,
                      delay_sent, provider)
SELECT gen_random_uuid(), gen_random_uuid(), ps.partner_sid, 'outbound', 'sms', 'delivered',
       '1516' || lpad((g % 10000000)::text, 7, '0'), '1212' || lpad(((g * 7) % 10000000)::text, 7, '0'),
       '1516' || lpad((g % 10000000)::text, 7, '0'), '1212' || lpad(((g * 7) % 10000000)::text, 7, '0'),
       'bench message ' || g, 1, 0.01, 0.01,
       timestamptz '2024-08-01' + ((g::bigint * 7862400 / $ROWS) * interval '1 second'),
       timestamptz '2024-08-01' + ((g::bigint * 7862400 / $ROWS) * interval '1 second'),
       timestamptz '2024-08-01' + ((g::bigint * 7862400 / $ROWS) * interval '1 second'),
       timestamptz '2024-08-01' + ((g::bigint * 7862400 / $ROWS) * interval '1 second'), 0, 'carrierx-core'
  FROM generate_series(0, $ROWS - 1) g JOIN ps ON ps.i = g % 100;
ALTER TABLE messages ADD PRIMARY KEY (message_sid);
ALTER TABLE messages ADD CONSTRAINT messages_dr_sid_key UNIQUE (dr_sid);
CREATE INDEX messages_partner_idx ON messages (partner_sid, id);
CREATE INDEX messages_partner_stop_idx ON messages (partner_sid, date_stop, dr_sid);
CREATE INDEX messages_stop_idx ON messages (date_stop, dr_sid);
VACUUM ANALYZE messages;
SQL
FIRST="$BASE/core/v2/sms/message_drs?limit=1000"
PIVOT=$(psql -tA -h "$DIR/run" -U postgres carrierx -c "SELECT dr_sid FROM messages ORDER BY date_stop, dr_sid OFFSET 998999 LIMIT 1")
DEEP="$BASE/core/v2/sms/message_drs?after=$PIVOT&limit=1000"
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
echo "   server RSS: $(rss)"
