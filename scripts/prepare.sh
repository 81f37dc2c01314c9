#!/usr/bin/env bash
# Makes a checkout runnable: Debian packages that are missing, npm dependencies when absent,
# the native packet engine when not built, then the TypeScript build. Safe to repeat.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -d node_modules/@vpcmesh/common ] || npm ci --no-audit --no-fund
[ -f libs/tun/native/build/Release/vpcmesh_tun.node ] || npm run --silent build:native >/dev/null
npx tsc -b
