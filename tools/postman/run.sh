#!/usr/bin/env bash
# Runs the collection's scripted flows with newman against a freshly started server with demo
# data (the environment file's values are the server's credentials).
#   tools/postman/run.sh                 the Flows folder (CI)
#   FOLDER=dids tools/postman/run.sh     another folder of the collection
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/lib/server.sh
PORT=${PORT:-18191}
FOLDER=${FOLDER:-Flows}
tools/postman/install.sh
start_server "$PORT"
tools/postman/node_modules/.bin/newman run postman/carrierx-core.postman_collection.json \
    -e postman/carrierx-core.postman_environment.json \
    --env-var "baseUrl=http://127.0.0.1:$PORT/core/v2" \
    --folder "$FOLDER" --bail --color off --timeout-request 30000
