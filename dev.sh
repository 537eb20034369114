#!/usr/bin/env bash
# The project's commands. Each installs what it needs (Debian packages, npm modules) and builds what is missing.
#   ./dev.sh start   build what is missing, serve the playground on 127.0.0.1, print its URL (PORT=… to choose)
#   ./dev.sh test    run every test: native (Release and ASan+UBSan), the document fuzzer (if clang is installed),
#                    wasm under Node, web units, browser e2e
#   ./dev.sh bench   print the benchmarks as JSON lines (native, then wasm under Node, then TF.js against the wasm module
#                    in one Node process, then the page in Chromium)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
JOBS=$(nproc 2>/dev/null || echo 2)
APT_PACKAGES=(cmake g++ make libeigen3-dev catch2 nlohmann-json3-dev emscripten)
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}  # Debian's em++ looks for acorn there

log() { printf '\n== %s\n' "$*"; }

ensure_node_modules() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm modules (npm ci)"
    npm ci --no-audit --no-fund
  fi
}

ensure_packages() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build_native() {  # $1 = build dir, rest = cmake options
  local dir=$1; shift
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

build_wasm() {
  log "WebAssembly module (emcmake)"
  if [ ! -f build-wasm/CMakeCache.txt ]; then
    emcmake cmake -S . -B build-wasm -DEigen3_DIR=/usr/share/eigen3/cmake >/dev/null
  fi
  cmake --build build-wasm -j "$JOBS"
}

ensure_peer() {  # TF.js for the peer benchmark, in build/peer: not a project dependency (bench only, pinned)
  [ -f build/peer/node_modules/@tensorflow/tfjs/package.json ] &&
    [ -f build/peer/node_modules/@tensorflow/tfjs-backend-wasm/package.json ] && return 0
  log "installing TF.js 4.22.0 into build/peer (the peer benchmark's; not a dependency of the project)"
  mkdir -p build/peer
  npm install --prefix build/peer --no-save --no-audit --no-fund @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 ||
    log "could not install TF.js: the peer benchmark will say it is skipped"
}

test_wasm() {
  build_wasm
  log "wasm module tests under Node"
  NDE_NATIVE_LOSSES="$ROOT/build/tests/nde_native_losses" node --test wasm/test/*.test.mjs
}

build_web() {
  ensure_node_modules
  log "web page (vite build → dist/)"
  npx vite build
}

test_web() {
  ensure_packages chromium
  build_web
  log "web: type check, unit tests (Vitest), browser tests (playwright-core + Debian Chromium)"
  npx tsc --noEmit -p web
  npx vitest run
  node --test web/e2e/*.test.mjs
}

test_native() {
  ensure_packages "${APT_PACKAGES[@]}"
  log "native build and tests (Release)"
  build_native build
  ctest --test-dir build -j "$JOBS" --output-on-failure
  log "native tests under AddressSanitizer + UndefinedBehaviorSanitizer"
  build_native build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNDE_SANITIZE=ON
  # The density-learning and preset-learning tests (minutes under ASan) run in the Release pass only.
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan -j "$JOBS" --output-on-failure -E '^(Learning a two-Gaussian|Preset learning)'
}

test_fuzz() {
  # The libFuzzer target over the six document loaders (four JSON, two packed), for a bounded time from the seed corpus (needs clang and
  # libFuzzer's runtime: Debian 12's clang and libclang-rt-14-dev, installed here when missing).
  ensure_packages clang libclang-rt-14-dev || log "could not install clang / libclang-rt-14-dev"
  if ! command -v clang++ >/dev/null 2>&1; then
    log "fuzzing skipped: clang++ is not installed"
    return 0
  fi
  # libFuzzer's runtime ships in Debian's libclang-rt-<version>-dev; without it, skip rather than fail.
  if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' |
      clang++ -x c++ -fsanitize=fuzzer - -o /dev/null >/dev/null 2>&1; then
    log "fuzzing skipped: clang++ cannot link -fsanitize=fuzzer (install libclang-rt-dev)"
    return 0
  fi
  log "fuzzing the document loaders, JSON and packed (libFuzzer + ASan + UBSan, ${FUZZ_SECONDS:-40} s)"
  CXX=clang++ build_native build-fuzz -DNDE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  local work
  work=$(mktemp -d)
  if ./build-fuzz/tests/fuzz/nde_fuzz_documents -max_total_time="${FUZZ_SECONDS:-40}" -max_len=8192 -timeout=10 \
      -print_final_stats=1 -artifact_prefix="$work/" "$work" tests/fuzz/corpus >"$work/log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/log"
    rm -rf "$work"
  else
    tail -40 "$work/log"
    echo "the fuzzer failed; its log and the crashing input are in $work" >&2
    return 1
  fi
}

case "${1:-}" in
  test)
    test_native
    test_fuzz
    test_wasm
    test_web
    ;;
  bench)
    ensure_packages "${APT_PACKAGES[@]}"
    build_native build
    build_wasm
    ./build/bench/nde_bench "${2:-200}"
    ./build/bench/nde_bench_fidelity
    node wasm/bench.mjs "${2:-200}"
    ensure_peer
    node bench/peer-tfjs.mjs "${2:-200}" || log "the peer benchmark failed (above); the page's benchmarks follow"
    ensure_packages chromium
    build_web
    node web/e2e/bench-page.mjs
    # issue 9's starting point (the page at 7d08d5f) against this page, alternating in one browser
    if baseline=$(bench/baseline-page.sh); then
      BASELINE_DIST=$baseline node web/e2e/bench-page.mjs baseline
    else
      log "could not build the baseline page: page-vs-baseline skipped"
    fi
    ;;
  start)
    ensure_packages "${APT_PACKAGES[@]}"
    [ -f wasm/build/neural-ode-core.wasm ] || build_wasm
    if [ ! -f dist/index.html ] || [ -n "$(find web wasm/api.js wasm/build -newer dist/index.html -type f 2>/dev/null | head -1)" ]; then
      build_web
    fi
    log "serving dist/ (Ctrl+C to stop)"
    exec node web/serve.mjs dist "${PORT:-5173}"
    ;;
  *)
    echo "usage: ./dev.sh start | test | bench" >&2
    exit 2
    ;;
esac
