# Sourced by the scripts that drive a real server (tools/contract/run.sh, tools/postman/run.sh):
# `start_server PORT` builds the binary if needed and starts it on a fresh embedded PostgreSQL in
# a scratch directory with demo data, known credentials (the README's and docker-compose's) and
# automatic e-mail verification; it waits for /health and stops everything on exit.
BIN=${BIN:-target/debug/carrierx-core}
TOKEN=5ebc03d6-8b2b-44ad-bf65-72d4f1491dda
CLIENT_ID=5c7965f285344165b003ce1a3202e589
CLIENT_SECRET=5033909114fe442cbbcb83b674dbf90c

start_server() {
    local port=$1
    [ -x "$BIN" ] || cargo build --quiet
    SERVER_DIR=$(mktemp -d /tmp/carrierx-server.XXXXXX)
    chmod 755 "$SERVER_DIR"
    CARRIERX_DATA_DIR=$SERVER_DIR CARRIERX_BIND=127.0.0.1:$port CARRIERX_ROOT_TOKEN=$TOKEN \
      CARRIERX_OAUTH_CLIENT_ID=$CLIENT_ID CARRIERX_OAUTH_CLIENT_SECRET=$CLIENT_SECRET CARRIERX_DEMO_DATA=true \
      CARRIERX_EMAIL_VERIFICATION=auto RUST_LOG=warn "$BIN" > "$SERVER_DIR/server.log" 2>&1 &
    SERVER_PID=$!
    trap stop_server EXIT
    for _ in $(seq 1 240); do
        curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.5
    done
    echo "the server did not start; its log:" >&2
    cat "$SERVER_DIR/server.log" >&2
    return 1
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    if grep -q "WARN\|ERROR" "$SERVER_DIR/server.log" 2>/dev/null; then
        echo "--- server warnings and errors:" >&2
        grep "WARN\|ERROR" "$SERVER_DIR/server.log" | tail -20 >&2
    fi
    rm -rf "$SERVER_DIR"
}
