#!/usr/bin/env bash
# Installs the VS Code server shipped in the code-server npm package into a cache folder, for running the
# extension-host integration tests and the browser E2E tests on machines without internet access.
# Idempotent: a finished install leaves a stamp file and is reused. Facts: ../shared/vscode-host/RECIPE.md.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VERSION="${CODE_SERVER_VERSION:-4.100.3}"   # ships VS Code 1.100.3 and declares Node 20
CACHE="${VSCODE_SERVER_CACHE:-$ROOT/.vscode-test/code-server-$VERSION}"
STAMP="$CACHE/.installed"
if [ -f "$STAMP" ]; then echo "VS Code server $VERSION already installed in $CACHE"; exit 0; fi

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v git >/dev/null 2>&1 || need_apt+=(git)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" fonts-dejavu-core >/dev/null
fi

rm -rf "$CACHE"; mkdir -p "$CACHE"; cd "$CACHE"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "code-server@$VERSION" >/dev/null
cd node_modules/code-server/lib/vscode
npm install --no-audit --no-fund --ignore-scripts --omit=dev >/dev/null
mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
npm_config_yes=true npm rebuild >/dev/null 2>&1
ln -sfn node_modules node_modules.asar
(cd extensions && npm install --no-audit --no-fund --omit=dev >/dev/null)
touch "$STAMP"
echo "VS Code server $VERSION installed in $CACHE"
