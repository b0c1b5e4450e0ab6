#!/usr/bin/env bash
# IMAP on a large mailbox: fills INBOX through SMTP (smtp_load), then times SELECT,
# FETCH 1:* (UID FLAGS) and UID SEARCH, and measures RSS per idle connection, over
# TLS (imaps, the default) or plaintext (imap, logins allowed on loopback).
#   bench/run-imap.sh [MESSAGES] [IDLE_CONNECTIONS] [tls|plain]
# BUILD_DIR (default build) names the build whose letterhead and smtp_load run.
# STORE_URL=<libpq conninfo> runs it on PostgreSQL instead (bench/run-cluster.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-100000}
idle=${2:-500}
mode=${3:-tls}
case "$mode" in tls|plain) ;; *) echo "mode must be tls or plain" >&2; exit 2;; esac
build=${BUILD_DIR:-build}
bin=$build/bin/letterhead
dir=$(mktemp -d /tmp/letterhead-bench-XXXXXX)
pick() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
smtp=$(pick); imaps=$(pick); imap=$(pick)
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
cat > "$dir/letterhead.toml" <<TOML
hostname = "bench.example"
data_dir = "$dir/data"
[listen]
smtp = "127.0.0.1:$smtp"
imaps = "127.0.0.1:$imaps"
imap = "127.0.0.1:$imap"
[smtp]
allow_plaintext_auth_on_loopback = true
[limits]
connections_per_ip = 100000
connections = 100000
[log]
level = "warn"
${STORE_URL:+[store]
backend = \"postgres\"
url = \"$STORE_URL\"}
TOML
$bin --config "$dir/letterhead.toml" domain add example.com >/dev/null
echo "Bench-Password-1" | $bin --config "$dir/letterhead.toml" user add alice@example.com --password-stdin >/dev/null
ulimit -n 65536 || true
$bin --config "$dir/letterhead.toml" serve 2>"$dir/server.log" &
pid=$!
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$smtp) 2>/dev/null && break; sleep 0.1; done
# FILL=python fills with bench/imap_fill.py (the same messages) when smtp_load is not built.
if [ "${FILL:-smtp_load}" = python ]; then
  /usr/bin/python3 bench/imap_fill.py "$smtp" "$messages" 16
else
  $build/bin/smtp_load --port "$smtp" --sessions 20 --messages "$messages" --size 4096 --rcpt alice@example.com --vary
fi
port=$imaps; [ "$mode" = plain ] && port=$imap
/usr/bin/python3 bench/imap_bench.py "$port" alice@example.com Bench-Password-1 "$pid" "$idle" "$mode"
