#!/usr/bin/env bash
# `make test-real-llm`: a real sample job against a real OpenAI-compatible server. Builds (or
# reuses) the cached llama-cpp-python venv (venv.sh), starts `llama_cpp.server` on the Gemma 3
# 270M file on a free loopback port, runs backend/tests/real_llm against it, stops it, and
# prints how long each step took. Uses TEST_DATABASE_URL like `make test`.
set -euo pipefail
cd "$(dirname "$0")/../../.."
venv="${VENV:-.venv}"
t0=$(date +%s)
dir=$(bash backend/tests/real_llm/venv.sh)
t1=$(date +%s)
port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
# The GGUF file has no chat template: name Gemma's. One sequence at a time, all cores.
"$dir/bin/python" -m llama_cpp.server --model "$dir/model.gguf" --model_alias gemma-3-270m \
  --chat_format gemma --n_ctx 8192 --n_threads "$(nproc)" --host 127.0.0.1 --port "$port" \
  > "$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/v1/models" > /dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { echo "llama_cpp.server died:"; tail -30 "$log"; exit 1; }
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/v1/models" > /dev/null || { tail -30 "$log"; exit 1; }
t2=$(date +%s)
set +e
CODERAI_REAL_LLM_BASE_URL="http://127.0.0.1:$port/v1" \
  "$venv/bin/pytest" -q -p no:cacheprovider -s backend/tests/real_llm
status=$?
set -e
t3=$(date +%s)
if ! kill -0 "$server" 2>/dev/null; then
  echo "llama_cpp.server died during the test:"; tail -30 "$log"
fi
echo "test-real-llm: venv $((t1 - t0)) s, server start $((t2 - t1)) s, job test $((t3 - t2)) s, total $((t3 - t0)) s"
exit "$status"
