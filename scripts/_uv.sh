# Sourced by the other scripts: puts a working `uv` on PATH, installing it if missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v uv >/dev/null 2>&1; then
  if [ -x .tools/bin/uv ]; then
    export PATH="$PWD/.tools/bin:$PATH"
  else
    echo "uv not found: installing it into .tools/ (a private virtualenv)" >&2
    python3 -m venv .tools >/dev/null 2>&1 || { rm -rf .tools; python3 -m venv --without-pip .tools; }
    if [ -x .tools/bin/pip ]; then
      .tools/bin/pip install --quiet "uv>=0.5"
    else
      python3 -m pip install --quiet --target .tools/lib/uv "uv>=0.5"
      mkdir -p .tools/bin && ln -sf "$PWD/.tools/lib/uv/bin/uv" .tools/bin/uv
    fi
    export PATH="$PWD/.tools/bin:$PATH"
  fi
fi
