#!/usr/bin/env bash
# Runs the ADL LRS conformance test suite (adlnet/lrs-conformance-test-suite) against
# `learnlog serve` on its defaults, for xAPI 1.0.3 and 2.0.0.
#
#   tests/conformance/run.sh PATH/TO/lrs-conformance-test-suite
#
# The suite is not part of this repository: clone it yourself and run `npm install`
# in it first. Prints one summary line per battery and exits non-zero on failures.
set -euo pipefail
suite=${1:?usage: $0 PATH/TO/lrs-conformance-test-suite}
root=$(cd "$(dirname "$0")/../.." && pwd)
port=${LEARNLOG_CONFORMANCE_PORT:-18099}

cargo build --release --manifest-path "$root/Cargo.toml" -p learnlog
binary="${CARGO_TARGET_DIR:-$root/target}/release/learnlog"
data=$(mktemp -d)
"$binary" serve --listen "127.0.0.1:$port" --data-dir "$data" \
    --admin-credential conformance:conformance >"$data/serve.log" 2>&1 &
server=$!
status=0
# Keep the logs of a failing run for reading; clean up after a passing one.
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; [ $status -eq 0 ] && rm -rf "$data"' EXIT
for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.1
done

for version in 1.0.3 2.0.0; do
    (cd "$suite" && node bin/console_runner.js -e "http://127.0.0.1:$port/xapi" \
        -a -u conformance -p conformance -x "$version" >"$data/suite-$version.log" 2>&1) || true
    summary=$(grep -E '^\{"total"' "$data/suite-$version.log" | tail -1)
    echo "xAPI $version: ${summary:-no summary, see $data/suite-$version.log}"
    echo "$summary" | grep -q '"failed":0' || status=1
done
exit $status
