#!/usr/bin/env bash
# checkov's Terraform policies over rendered infrastructure, in a virtual environment of
# their own (.venv-checkov): checkov pins libraries of its own that must not meet the
# project's. Usage:
#   scripts/checkov.sh --install          create .venv-checkov with the pinned checkov
#   scripts/checkov.sh DIR [checkov args]  scan the Terraform under DIR (e.g. a rendered
#                                          tree's infrastructure/<cluster>/)
# --skip-download keeps checkov off the network (it would fetch guidelines from its
# vendor's platform); without an API key it reports no severities.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION=3.3.30
VENV=.venv-checkov
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

if [ "${1:-}" = "--install" ]; then
  if [ "$("$VENV/bin/checkov" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "checkov==$CHECKOV_VERSION"
  fi
  "$VENV/bin/checkov" --version
  exit 0
fi

dir="${1:?usage: scripts/checkov.sh --install | DIR [checkov args]}"
shift
# Without arguments of your own: only the failed checks, compactly.
[ $# -gt 0 ] || set -- --quiet --compact
exec "$VENV/bin/checkov" --directory "$dir" --framework terraform --skip-download "$@"
