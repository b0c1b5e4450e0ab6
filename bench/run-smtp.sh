#!/usr/bin/env bash
# SMTP accept-and-store throughput: a fresh server on loopback (embedded store,
# default durability: fsync'd blob + committed rows before 250), then smtp_load.
#   bench/run-smtp.sh [SESSIONS] [MESSAGES] [SIZE]
# STORE_URL=<libpq conninfo> runs it on PostgreSQL instead (bench/run-cluster.sh),
# with STORE_BLOBS=database the message bytes in that database.
set -euo pipefail
cd "$(dirname "$0")/.."
sessions=${1:-20}
messages=${2:-5000}
size=${3:-20480}
build=${BUILD_DIR:-build}
bin=$build/bin/letterhead
dir=$(mktemp -d /tmp/letterhead-bench-XXXXXX)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
cat > "$dir/letterhead.toml" <<TOML
hostname = "bench.example"
data_dir = "$dir/data"
[listen]
smtp = "127.0.0.1:$port"
[log]
level = "warn"
${STORE_URL:+[store]
backend = \"postgres\"
url = \"$STORE_URL\"
blobs = \"${STORE_BLOBS:-directory}\"}
[runtime]
blocking_threads = ${BLOCKING:-0}
TOML
$bin --config "$dir/letterhead.toml" domain add example.com >/dev/null
echo "Bench-Password-1" | $bin --config "$dir/letterhead.toml" user add alice@example.com --password-stdin >/dev/null
$bin --config "$dir/letterhead.toml" serve 2>"$dir/server.log" &
pid=$!
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
$build/bin/smtp_load --port "$port" --sessions "$sessions" --messages "$messages" --size "$size" --rcpt alice@example.com
stored=$($bin --config "$dir/letterhead.toml" message list alice@example.com | wc -l)
echo "stored=$stored"
