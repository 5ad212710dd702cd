#!/usr/bin/env bash
# `make run`: the API and the web app together on the embedded defaults; Ctrl-C stops both.
# Usage: frontend/scripts/run.sh PATH/TO/coderai   (env: HOST, PORT for the API, WEB_PORT)
# Installs the web app's packages and builds it when missing or older than its sources.
set -euo pipefail
coderai=${1:?usage: run.sh PATH/TO/coderai}
web=$(cd "$(dirname "$0")/.." && pwd)
host=${HOST:-127.0.0.1}
api_port=${PORT:-8000}
web_port=${WEB_PORT:-3000}
export NEXT_TELEMETRY_DISABLED=1

cd "$web"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
if [ ! -f .next/BUILD_ID ] || [ -n "$(find src package.json package-lock.json next.config.ts \
    -newer .next/BUILD_ID -print -quit 2>/dev/null)" ]; then
  npm run --silent build
fi

cd "$web/.."
"$coderai" serve --host "$host" --port "$api_port" &
api_pid=$!
(cd "$web" && API_URL="http://127.0.0.1:$api_port" exec node_modules/.bin/next start --hostname "$host" --port "$web_port") &
web_pid=$!
stop() { kill -TERM "$api_pid" "$web_pid" 2>/dev/null || true; wait "$api_pid" "$web_pid" 2>/dev/null || true; }
trap stop EXIT
trap 'exit 130' INT TERM
echo "CoderAI: web app on http://$host:$web_port, API on http://$host:$api_port"
# When either process ends, stop the other and report its status.
set +e
wait -n "$api_pid" "$web_pid"
status=$?
exit "$status"
