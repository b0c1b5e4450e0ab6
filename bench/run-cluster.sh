#!/usr/bin/env bash
# The PostgreSQL backend next to SQLite, and two nodes next to one (issue 7), in one
# run on this machine: SMTP accept-and-store with smtp_load, then IMAP on a filled
# mailbox with run-imap.sh. PostgreSQL is Debian's postgresql-15 with its shipped
# defaults (fsync and synchronous_commit on), started here in a temporary directory.
#   bench/run-cluster.sh [SESSIONS] [MESSAGES] [SIZE] [IMAP_MESSAGES]
# PostgreSQL runs with [store] blobs = "directory" and "database" side by side;
# SKIP_IMAP=1 stops after the SMTP runs.
set -euo pipefail
cd "$(dirname "$0")/.."
sessions=${1:-20}
messages=${2:-5000}
size=${3:-20480}
imap_messages=${4:-20000}
build=${BUILD_DIR:-build}
bin=$build/bin/letterhead
pgbin=/usr/lib/postgresql/15/bin
pick() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pgdir=$(mktemp -d /tmp/letterhead-pgbench-XXXXXX)
dir=$(mktemp -d /tmp/letterhead-bench-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$pgdir" "$dir"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] && chown postgres "$pgdir"
as_pg "$pgbin/initdb" -D "$pgdir/data" --auth=trust -U letterhead --encoding=UTF8 --locale=C >/dev/null
pgport=$(pick)
as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$pgport -c unix_socket_directories=$pgdir" start >/dev/null
# Called in $(...), a subshell: the name cannot come from a counter kept here.
new_database() {
  local name
  name=bench_$(date +%s%N)
  "$pgbin/psql" -X -q -h 127.0.0.1 -p "$pgport" -U letterhead -d postgres -c "CREATE DATABASE $name" >&2
  echo "host=127.0.0.1 port=$pgport user=letterhead dbname=$name"
}

echo "== SMTP, one node: SQLite, then PostgreSQL =="
echo "-- sqlite"
bench/run-smtp.sh "$sessions" "$messages" "$size"
echo "-- postgres, blobs = directory"
STORE_URL=$(new_database) bench/run-smtp.sh "$sessions" "$messages" "$size"
echo "-- postgres, blobs = database"
STORE_URL=$(new_database) STORE_BLOBS=database bench/run-smtp.sh "$sessions" "$messages" "$size"
echo "load: $(uptime)"

echo "== SMTP, two nodes on one PostgreSQL (each node gets half the sessions and messages) =="
url=$(new_database)
ports=()
for node in a b; do
  port=$(pick)
  ports+=("$port")
  cat > "$dir/$node.toml" <<TOML
hostname = "bench.example"
data_dir = "$dir/data"
[listen]
smtp = "127.0.0.1:$port"
[log]
level = "warn"
[store]
backend = "postgres"
url = "$url"
TOML
done
$bin --config "$dir/a.toml" domain add example.com >/dev/null
echo "Bench-Password-1" | $bin --config "$dir/a.toml" user add alice@example.com --password-stdin >/dev/null
for node in a b; do
  $bin --config "$dir/$node.toml" serve 2>"$dir/$node.log" &
  pids+=($!)
done
for port in "${ports[@]}"; do
  for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
done
start=$(date +%s.%N)
loads=()
for port in "${ports[@]}"; do
  $build/bin/smtp_load --port "$port" --sessions $((sessions / 2)) --messages $((messages / 2)) --size "$size" \
    --rcpt alice@example.com > "$dir/load-$port.txt" &
  loads+=($!)
done
for p in "${loads[@]}"; do wait "$p" || true; done
end=$(date +%s.%N)
for node in a b; do
  if [ -s "$dir/$node.log" ]; then echo "node $node logged:"; tail -n 5 "$dir/$node.log"; fi
done
for port in "${ports[@]}"; do echo "node on $port: $(tail -n 3 "$dir/load-$port.txt" | tr '\n' ' ')"; done
stored=$($bin --config "$dir/a.toml" message list alice@example.com | wc -l)
/usr/bin/python3 -c "print(f'two nodes together: {$messages / ($end - $start):.0f} msgs/s over {$end - $start:.1f} s, stored={$stored}')"

[ -n "${SKIP_IMAP:-}" ] && exit 0
echo "== IMAP, $imap_messages messages: SQLite, then PostgreSQL =="
echo "-- sqlite"
bench/run-imap.sh "$imap_messages" 100 tls
echo "-- postgres"
STORE_URL=$(new_database) bench/run-imap.sh "$imap_messages" 100 tls
