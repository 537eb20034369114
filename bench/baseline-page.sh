#!/usr/bin/env bash
# Builds issue 9's starting point — the page at 7d08d5f, the commit before the issue's first change, whose ~93 it/s the
# issue quotes — into build/baseline-page/dist, for `BASELINE_DIST=… node web/e2e/bench-page.mjs baseline` (the
# current page against it on the machine at hand). Not a test. Needs the repository's history (a clone, not an
# archive), Emscripten and the npm modules (./dev.sh installs both). Prints the dist folder's path.
set -euo pipefail
cd "$(dirname "$0")/.."
REV=${BASELINE_REV:-7d08d5f}
DIR=build/baseline-page
COMMIT=$(git rev-parse --verify "$REV^{commit}")
if [ ! -f "$DIR/dist/index.html" ] || [ "$(cat "$DIR/commit" 2>/dev/null)" != "$COMMIT" ]; then
  rm -rf "$DIR"
  mkdir -p "$DIR"
  git archive "$REV" | tar -x -C "$DIR"
  ln -s "$PWD/node_modules" "$DIR/node_modules"
  (
    cd "$DIR"
    export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
    emcmake cmake -S . -B build-wasm -DEigen3_DIR=/usr/share/eigen3/cmake >/dev/null
    cmake --build build-wasm -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
    npx vite build >/dev/null
  )
  echo "$COMMIT" > "$DIR/commit"  # what dist/ was built from (another BASELINE_REV rebuilds)
fi
echo "$PWD/$DIR/dist"
