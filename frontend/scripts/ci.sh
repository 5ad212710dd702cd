#!/usr/bin/env bash
# The web app's CI, one step after another with its time: generated API types up to date,
# typecheck, lint, unit tests, production build, then the end-to-end test (which starts the
# fake LLM, the API and the built app itself). Needs the backend's .venv and /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

step() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  "$@"
  echo "== $name: $((SECONDS - start)) s"
}

# `npm install`, not `npm ci`: the registry reachable here serves only Linux builds of the
# platform packages (@next/swc-*, lightningcss-*…), so the lockfile cannot list the others and
# `npm ci` refuses it; `npm install` keeps the locked versions all the same.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm install" npm install --no-audit --no-fund
fi
step "api types" node scripts/check-api.mjs
step "typecheck" node_modules/.bin/tsc --noEmit
step "lint" node_modules/.bin/eslint --max-warnings 0 .
step "unit tests" node_modules/.bin/vitest run
step "build" npm run --silent build
step "e2e" node_modules/.bin/tsx e2e/run.ts
