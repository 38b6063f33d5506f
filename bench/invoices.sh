#!/usr/bin/env bash
# Invoices (about a minute):
#   - CDR ingestion through POST /admin/calls/call_drs (10 batches of 10,000 records, 700
#     exchanges dialed), without charges (unpriced records, no rate plan) and with them (priced
#     records: each batch adds to the partner's invoice lines and balance): records/s;
#   - GET /invoices/{sid}.pdf of an invoice with 200 lines (wrk, 2 threads, 4 connections, 10 s):
#     p50/p99, and the HTML beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18098}
DIR=$(mktemp -d /tmp/carrierx-bench-invoices.XXXXXX)
chmod 755 "$DIR"
TOKEN=5ebc03d6-8b2b-44ad-bf65-72d4f1491dda
BASE=http://127.0.0.1:$PORT/core/v2
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)"; exit 1; }

cargo build --release --quiet
CARRIERX_DATA_DIR=$DIR CARRIERX_BIND=127.0.0.1:$PORT CARRIERX_ROOT_TOKEN=$TOKEN RUST_LOG=warn \
  target/release/carrierx-core > "$DIR/server.log" 2>&1 &
SERVER=$!
cleanup() { kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.2; done
psql() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$PGBIN/psql" "$@"; else "$PGBIN/psql" "$@"; fi; }

P=$(curl -fs -H "$AUTH" -H "$JSON" -d '{"login":"billed","password":"bench-password"}' "$BASE/partners" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["partner_sid"])')

batch() { # $1: priced (1) or not (0), $2: batch number
  python3 - "$P" "$1" "$2" <<'PY'
import json, sys
p, priced, b = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
out = []
for i in range(10000):
    r = {"partner_sid": p, "direction": "outbound", "type": "telecom",
         "number_dst": "1%03d555%04d" % (201 + i % 700, i % 10000),
         "date_start": "2026-11-01T00:00:00Z", "date_stop": "2026-11-%02dT%02d:%02d:%02dZ" % (1 + b, i // 3600 % 24, i // 60 % 60, i % 60)}
    if priced:
        r.update({"price": "0.0123", "rate": "0.0123", "duration_billing": "60"})
    out.append(r)
print(json.dumps(out))
PY
}

ingest() { # $1: priced or not
  for b in $(seq 0 9); do batch "$1" "$b" > "$DIR/b$b.json"; done
  local start end
  start=$(date +%s.%N)
  for b in $(seq 0 9); do
    curl -fs -o /dev/null -H "$AUTH" -H "$JSON" --data-binary @"$DIR/b$b.json" "$BASE/admin/calls/call_drs"
  done
  end=$(date +%s.%N)
  python3 -c "print('   %.0f records/s' % (100000 / ($end - $start)))"
}
echo "== ingestion, 100,000 records without charges"
ingest 0
echo "== ingestion, 100,000 priced records charged to the open invoice"
ingest 1
echo "   server memory: $(awk '/VmRSS|VmHWM/ {printf "%s %.1f MB  ", $1, $2/1024}' /proc/$SERVER/status)(VmHWM: the peak so far)"
curl -fs -H "$AUTH" "$BASE/invoices?filter=partner_sid+eq+$P&include_fields=amount,invoice_items" \
  | python3 -c 'import json,sys; i=json.load(sys.stdin)["items"][0]; print("   invoice amount", i["amount"], "lines", [(x["type"], x["usage"]) for x in i["invoice_items"]])'

echo "== an invoice of 200 lines"
INV=$(curl -fs -H "$AUTH" "$BASE/invoices?filter=partner_sid+eq+$P" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["invoice_sid"])')
psql -q -h "$DIR/run" -U postgres carrierx <<SQL
INSERT INTO invoice_items (invoice_id, type, direction, country_code, usage, amount, date_billing_period_start, date_billing_period_end)
SELECT i.id, 'toll', d.direction, c.iso_3166_alpha_3, 60 * (row_number() OVER ()), 0.0123 * (row_number() OVER ()),
       i.date_billing_period_start, i.date_billing_period_end
  FROM invoices i, (VALUES ('inbound'), ('outbound')) d(direction),
       (SELECT iso_3166_alpha_3 FROM countries WHERE iso_3166_alpha_3 <> 'USA' ORDER BY 1 LIMIT 100) c
 WHERE i.invoice_sid = '$INV'
ON CONFLICT DO NOTHING;
SQL
curl -fs -H "$AUTH" "$BASE/invoices/$INV?include_fields=invoice_items" | python3 -c 'import json,sys; print("   lines:", len(json.load(sys.stdin)["invoice_items"]))'
curl -fs -H "$AUTH" -o "$DIR/inv.pdf" "$BASE/invoices/$INV.pdf"
echo "   PDF: $(stat -c %s "$DIR/inv.pdf") bytes, $(pdfinfo "$DIR/inv.pdf" 2>/dev/null | awk '/Pages/ {print $2}') pages"
for fmt in pdf html; do
  echo "== GET /invoices/{sid}.$fmt (200 lines)"
  wrk -t2 -c4 -d10s --latency -H "$AUTH" "$BASE/invoices/$INV.$fmt" | grep -E "Requests/sec|50%|99%|Non-2xx" | sed 's/^/   /'
done
echo "   server RSS: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$SERVER/status)"
