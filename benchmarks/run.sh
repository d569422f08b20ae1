#!/bin/sh
# Run the ecr-auditor / Prowler comparison; arguments go to benchmarks/compare.py (see --help).
set -eu
cd "$(dirname "$0")/.."
exec .venv/bin/python benchmarks/compare.py "$@"
