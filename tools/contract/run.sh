#!/usr/bin/env bash
# Contract fuzzing with schemathesis (PyPI) against a freshly started server with demo data: every
# operation of /core/v2/openapi.json is called with generated inputs; a 5xx or a response that
# does not match the document fails the run.
#   tools/contract/run.sh              bounded run (CI): 20 examples an operation, ~1 minute
#   EXAMPLES=500 tools/contract/run.sh a longer soak run
# Needs the server binary (cargo build; BIN= to choose another), python3 and the PostgreSQL
# binaries (the server starts its own cluster in a scratch directory).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/debug/carrierx-core}
EXAMPLES=${EXAMPLES:-20}
PORT=${PORT:-18190}
TOKEN=5ebc03d6-8b2b-44ad-bf65-72d4f1491dda
VENV=target/contract-venv
[ -x "$BIN" ] || cargo build --quiet
if [ ! -x "$VENV/bin/st" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet schemathesis==4.32.5
fi
DIR=$(mktemp -d /tmp/carrierx-contract.XXXXXX)
chmod 755 "$DIR"
CARRIERX_DATA_DIR=$DIR CARRIERX_BIND=127.0.0.1:$PORT CARRIERX_ROOT_TOKEN=$TOKEN CARRIERX_DEMO_DATA=true \
  CARRIERX_EMAIL_VERIFICATION=auto RUST_LOG=warn "$BIN" > "$DIR/server.log" 2>&1 &
SERVER=$!
cleanup() { kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 1 240); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.5; done
# The reset route is left out: it would remove the demo data (and the token) mid-run.
"$VENV/bin/st" run "http://127.0.0.1:$PORT/core/v2/openapi.json" --url "http://127.0.0.1:$PORT/core/v2" \
    -H "Authorization: Bearer $TOKEN" --checks not_a_server_error,response_schema_conformance \
    -n "$EXAMPLES" --phases examples,fuzzing --request-timeout 30 --exclude-path /admin/reset \
    --no-color
