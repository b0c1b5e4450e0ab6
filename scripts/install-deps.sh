#!/usr/bin/env bash
# Installs the Debian 12 packages Letterhead needs to build, run and test.
# Fast when everything is already there: apt is touched only for what is missing.
set -euo pipefail

packages=(
  clang-19 libclang-rt-19-dev cmake ninja-build ccache mold pkg-config make git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libicu-dev libsodium-dev
  libspdlog-dev libfmt-dev libtomlplusplus-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev
  libunbound-dev libevent-dev nettle-dev knot ldnsutils
  python3 swaks libnet-ssleay-perl openssl sqlite3 procps fetchmail
  curl isync mutt
  oathtool gsasl
  python3-dkim python3-nacl python3-yaml
  libarchive-dev clamav-daemon rspamd
  publicsuffix python3-authres
  haproxy postfix
  libpq-dev postgresql faketime
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
# Postfix is a receiving MTA for the tests (and the benchmarks' peer), run from its
# own config directory: the package must not configure or start a system one.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -o DPkg::Lock::Timeout=600
$SUDO apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"
