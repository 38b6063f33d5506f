#!/usr/bin/env bash
# The Postman collection and environment in postman/, generated from the OpenAPI document the
# server serves (`carrierx-core openapi` prints it without a database) by build.js with
# openapi-to-postmanv2, plus the scripted flows of flows.js.
#   tools/postman/generate.sh          rewrite postman/*.json (commit them)
#   tools/postman/generate.sh --check  fail if postman/ is not what the code generates (CI)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/debug/carrierx-core}
[ -x "$BIN" ] || cargo build --quiet
tools/postman/install.sh
OUT=postman
mkdir -p "$OUT"
if [ "${1:-}" = "--check" ]; then
    OUT=$(mktemp -d /tmp/carrierx-postman.XXXXXX)
    trap 'rm -rf "$OUT"' EXIT
fi
"$BIN" openapi > "$OUT/openapi.json.tmp"
node tools/postman/build.js "$OUT/openapi.json.tmp" "$OUT"
rm -f "$OUT/openapi.json.tmp"
if [ "${1:-}" = "--check" ]; then
    for f in carrierx-core.postman_collection.json carrierx-core.postman_environment.json; do
        if ! cmp -s "$OUT/$f" "postman/$f"; then
            echo "postman/$f is not what the code generates: run tools/postman/generate.sh and commit it" >&2
            diff <(head -c 200000 "postman/$f") <(head -c 200000 "$OUT/$f") | head -20 >&2 || true
            exit 1
        fi
    done
    echo "postman: the committed collection is current"
fi
