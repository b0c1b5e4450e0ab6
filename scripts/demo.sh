#!/usr/bin/env bash
# `make run`: a demo server on loopback with the embedded store, two demo accounts,
# and the endpoints printed. Ctrl-C stops it. Data lives in ./run/ (kept between runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin/letterhead
dir=run
config=$dir/letterhead.toml
password="Demo-Password-2026"
mkdir -p "$dir"
if [ ! -f "$config" ]; then
  cat > "$config" <<TOML
# Demo configuration written by 'make run' (loopback only).
hostname = "mail.example.com"
data_dir = "data"

[listen]
smtp = "127.0.0.1:2525"
submission = "127.0.0.1:5870"
submissions = "127.0.0.1:4650"
imap = "127.0.0.1:1430"
imaps = "127.0.0.1:9930"
pop3 = "127.0.0.1:1100"
pop3s = "127.0.0.1:9950"

[smtp]
# Demo only: lets a plain-text client log in on loopback without TLS (SMTP, IMAP, POP3).
allow_plaintext_auth_on_loopback = true
TOML
  "$bin" --config "$config" domain add example.com >/dev/null
  for user in alice bob; do
    echo "$password" | "$bin" --config "$config" user add "$user@example.com" --name "${user^}" --password-stdin >/dev/null
  done
  "$bin" --config "$config" alias add sales@example.com alice@example.com bob@example.com >/dev/null
fi
cat <<TEXT

Letterhead demo / 演示服务器
  MX (SMTP)            127.0.0.1:2525
  Submission STARTTLS  127.0.0.1:5870
  Submission TLS       127.0.0.1:4650   (self-signed certificate / 自签名证书)
  IMAP STARTTLS / TLS  127.0.0.1:1430 / 127.0.0.1:9930
  POP3 STLS / TLS      127.0.0.1:1100 / 127.0.0.1:9950
  Accounts / 账户      alice@example.com, bob@example.com   password / 密码: $password
  Alias / 别名         sales@example.com -> alice, bob

Try / 试一试:
  swaks --server 127.0.0.1:2525 --to alice@example.com
  $bin --config $config message list alice@example.com
  $bin --config $config message show alice@example.com 1

TEXT
exec "$bin" --config "$config" serve
