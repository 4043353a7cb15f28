#!/usr/bin/env bash
# Regenerate constraints.txt: install the project's runtime dependencies into a throw-away
# virtualenv from PyPI and freeze the exact versions. Run after changing pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --upgrade pip
"$work/venv/bin/pip" install --quiet .
{
  echo "# Exact versions of every runtime dependency, for reproducible Docker builds"
  echo "# (pip install -c constraints.txt .). Refresh with scripts/lock.sh after changing the"
  echo "# dependencies in pyproject.toml; a test checks that every dependency is pinned here."
  "$work/venv/bin/pip" freeze --exclude claimdesk
} > constraints.txt
echo "constraints.txt: $(grep -c '==' constraints.txt) pinned packages"
