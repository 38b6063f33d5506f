#!/usr/bin/env bash
# openapi-to-postmanv2 and newman from the npm registry, at the versions of package-lock.json,
# into tools/postman/node_modules (once).
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { echo "postman tools: node and npm are missing (apt-get install nodejs npm)" >&2; exit 1; }
if [ ! -x node_modules/.bin/newman ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
