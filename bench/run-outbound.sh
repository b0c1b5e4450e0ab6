#!/usr/bin/env bash
# Outbound delivery to one remote domain (issue 4): one employee account submits
# MESSAGES messages (20 KB, one recipient each) to bob@remote.example; the sender's
# queue delivers them over SMTP to a second Letterhead that is remote.example's MX
# (found through Knot DNS on loopback, [queue] mx_port), each signed with DKIM
# (RSA-2048 and Ed25519, the default). Both servers keep the default durability
# (fsync before 250) and share the machine's cores with the load generator.
# Reported per round: submission rate, delivery rate (MESSAGES over the time from
# the first submission to the last 250 from the receiver), and the SMTP connections
# the queue opened (letterhead_outbound_connections_total from /metrics).
#   bench/run-outbound.sh [MESSAGES] [SESSIONS] [SIZE]     (ROUNDS=3 by default)
# QUEUE_EXTRA adds lines to the sender's [queue] section, e.g.
#   QUEUE_EXTRA="per_destination = 20" bench/run-outbound.sh
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-10000}
sessions=${2:-10}
size=${3:-20480}
rounds=${ROUNDS:-3}
bin=${BIN:-build/bin/letterhead}
load=${LOAD:-build/bin/smtp_load}
dir=$(mktemp -d /tmp/letterhead-bench-outbound-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [ -n "${hpid:-}" ] && kill "$hpid" 2>/dev/null && wait "$hpid" 2>/dev/null
  [ -n "${KEEP:-}" ] && echo "kept $dir" >&2 || rm -rf "$dir"
}
trap cleanup EXIT

NO_CLAMD=1 /usr/bin/python3 bench/filter_helpers.py "$dir/helpers.env" &
hpid=$!
for _ in $(seq 600); do [ -f "$dir/helpers.env" ] && break; sleep 0.1; done
# shellcheck disable=SC1091
. "$dir/helpers.env"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.1; done; }
metric() {  # PORT NAME{LABELS} -> value (0 when absent)
  curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { v = $2 } END { print v + 0 }'
}

round() {
  local d="$dir/round-$1" pb ps ph
  mkdir -p "$d/b" "$d/a"
  pb=$(free_port); ps=$(free_port); ph=$(free_port)
  cat > "$d/b/letterhead.toml" <<TOML
hostname = "mx.remote.example"
data_dir = "$d/b/data"
[log]
level = "warn"
[dns]
servers = ["$DNS"]
[listen]
smtp = "127.0.0.1:$pb"
TOML
  cat > "$d/a/letterhead.toml" <<TOML
hostname = "mail.example.com"
data_dir = "$d/a/data"
[log]
level = "warn"
[dns]
servers = ["$DNS"]
[queue]
mx_port = $pb
${QUEUE_EXTRA:-}
[smtp]
allow_plaintext_auth_on_loopback = true
[limits]
submission_external_per_hour = 0
[listen]
submission = "127.0.0.1:$ps"
http = "127.0.0.1:$ph"
TOML
  $bin --config "$d/b/letterhead.toml" domain add remote.example >/dev/null
  echo "Bench-Password-1" | $bin --config "$d/b/letterhead.toml" user add bob@remote.example --password-stdin >/dev/null
  $bin --config "$d/a/letterhead.toml" domain add example.com >/dev/null
  echo "Bench-Password-1" | $bin --config "$d/a/letterhead.toml" user add alice@example.com --password-stdin >/dev/null
  $bin --config "$d/b/letterhead.toml" serve 2>"$d/b/server.log" & pids+=($!)
  $bin --config "$d/a/letterhead.toml" serve 2>"$d/a/server.log" & pids+=($!)
  wait_port "$pb"; wait_port "$ps"; wait_port "$ph"
  local start out delivered=0 end
  start=$(date +%s.%N)
  out=$($load --port "$ps" --sessions "$sessions" --messages "$messages" --size "$size" \
        --auth "alice@example.com:Bench-Password-1" --from alice@example.com --rcpt bob@remote.example)
  for _ in $(seq 6000); do
    delivered=$(metric "$ph" 'letterhead_outbound_recipients_total{result="delivered"}')
    [ "$delivered" -ge "$messages" ] && break
    sleep 0.1
  done
  end=$(date +%s.%N)
  local opened reused deferred
  opened=$(metric "$ph" 'letterhead_outbound_connections_total{result="ok"}')
  reused=$(metric "$ph" 'letterhead_outbound_connections_total{result="reused"}')
  deferred=$(metric "$ph" 'letterhead_outbound_recipients_total{result="deferred"}')
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done
  pids=()
  local stored
  stored=$($bin --config "$d/b/letterhead.toml" message list bob@remote.example | wc -l)
  /usr/bin/python3 - "$1" "$out" "$start" "$end" "$messages" "$delivered" "$stored" "$opened" "$reused" "$deferred" <<'PY'
import re, sys
r, out, start, end, n, delivered, stored, opened, reused, deferred = sys.argv[1:]
sub = re.search(r"msgs_per_s=([0-9.]+)", out)
secs = float(end) - float(start)
print(f"round {r}: submitted {sub.group(1) if sub else '?'} msgs/s; delivered {delivered} of {n} in {secs:.1f} s "
      f"= {int(delivered) / secs:.0f} msgs/s; stored at the receiver {stored}; connections opened {opened}, "
      f"transactions on reused connections {reused}; deferred {deferred}")
PY
}

for r in $(seq "$rounds"); do round "$r"; done
