#!/usr/bin/env bash
# Storage and the shortener's redirects, bounded in time (about a minute):
#   1. pgbench -S -M prepared -c 64 against the same PostgreSQL (the database's ceiling);
#   2. a 100 MB file: cp on this machine (the yardstick), then an upload (application/octet-stream,
#      curl) and a download through the server, each timed; the bytes compared; the server's peak
#      RSS (VmHWM) after both;
#   3. a short link answered by Host (`GET /<short_name>`, 302) under wrk at 64 connections.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
SIZE_MB=${SIZE_MB:-100}
PORT=${PORT:-18097}
DIR=$(mktemp -d /tmp/carrierx-bench-storage.XXXXXX)
chmod 755 "$DIR"
TOKEN=5ebc03d6-8b2b-44ad-bf65-72d4f1491dda
BASE=http://127.0.0.1:$PORT
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGBENCH=$(command -v pgbench || echo "$PGBIN/pgbench")
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)"; exit 1; }

# BIN: another build to measure (A/B of two binaries run in turn); by default this tree's.
BIN=${BIN:-target/release/carrierx-core}
[ "$BIN" = target/release/carrierx-core ] && cargo build --release --quiet
CARRIERX_DATA_DIR=$DIR/data CARRIERX_BIND=127.0.0.1:$PORT CARRIERX_ROOT_TOKEN=$TOKEN RUST_LOG=warn \
  "$BIN" > "$DIR/server.log" 2>&1 &
SERVER=$!
cleanup() {
  kill $SERVER 2>/dev/null || true
  wait $SERVER 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/health" >/dev/null 2>&1 && break; sleep 0.2; done
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
auth=(-H "Authorization: Bearer $TOKEN")
json=(-H 'Content-Type: application/json')
post() { curl -fs "${auth[@]}" "${json[@]}" -d "$2" "$BASE/core/v2$1"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
mem() { awk '/VmRSS|VmHWM/ {printf "%s %.1f MB  ", $1, $2/1024}' /proc/$SERVER/status; echo; }
now() { date +%s.%N; }
rate() { python3 -c "import sys; a,b,mb=map(float,sys.argv[1:]); print('%.2f s, %.0f MB/s' % (b-a, mb/(b-a)))" "$@"; }

echo "== pgbench -S -M prepared -c 64 (the database's ceiling on this machine)"
as_pg "$PGBIN/createdb" -h "$DIR/data/run" -U postgres pgbench_db
as_pg "$PGBENCH" -h "$DIR/data/run" -U postgres -i -s 10 -q pgbench_db >/dev/null 2>&1
as_pg "$PGBENCH" -h "$DIR/data/run" -U postgres -S -M prepared -c 64 -j 2 -T "${DURATION%s}" pgbench_db 2>/dev/null | grep -E "^tps"

echo "== a ${SIZE_MB} MB file"
head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom > "$DIR/file.bin"
sync
a=$(now); cp "$DIR/file.bin" "$DIR/copy.bin"; sync; b=$(now)
echo "   cp (and sync): $(rate "$a" "$b" "$SIZE_MB")"
rm -f "$DIR/copy.bin"
C=$(post /storage/containers '{"name":"bench"}' | field '["container_sid"]')
echo "   server memory before: $(mem)"
a=$(now)
F=$(curl -fs "${auth[@]}" -H 'Content-Type: application/octet-stream' --data-binary "@$DIR/file.bin" \
  "$BASE/core/v2/storage/files?container_sid=$C&name=file.bin" | field '["file_sid"]')
b=$(now)
echo "   upload (curl, octet-stream): $(rate "$a" "$b" "$SIZE_MB")"
a=$(now)
curl -fs "${auth[@]}" -o "$DIR/back.bin" "$BASE/core/v2/storage/files/$F/data"
b=$(now)
echo "   download (curl): $(rate "$a" "$b" "$SIZE_MB")"
cmp -s "$DIR/file.bin" "$DIR/back.bin" && echo "   the bytes came back unchanged" || echo "   MISMATCH"
echo "   server memory after both (VmHWM is the peak): $(mem)"

echo "== a short link by Host: wrk -c64 GET /<short_name> (302)"
D=$(post /shortener/domains '{"domain_name":"bench.test"}' | field '["domain_sid"]')
S=$(post /shortener/links "{\"domain_sid\":\"$D\",\"destination_url\":\"https://example.com/landing\"}" | field '["short_name"]')
curl -fs -o /dev/null -w '   one request: %{http_code} -> %{redirect_url}\n' -H 'Host: bench.test' "$BASE/$S"
wrk -t2 -c64 -d"$DURATION" --latency -H 'Host: bench.test' "$BASE/$S" | grep -E "Requests/sec|50%|99%|Non-2xx|requests in"
sleep 1.5
echo "   hits counted on the link: $(curl -fs "${auth[@]}" "$BASE/core/v2/shortener/links?filter=short_name+eq+$S" | field '["items"][0]["hits"]')"
echo "   server memory at the end: $(mem)"
