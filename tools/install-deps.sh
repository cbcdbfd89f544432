#!/usr/bin/env bash
# Installs the Debian packages in tools/debian-packages.txt that are missing.
# Does nothing (and needs no network) when all are present.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t wanted < <(grep -v -e '^#' -e '^$' tools/debian-packages.txt)
# Names that installed packages provide count too: NodeSource's nodejs
# provides (and conflicts with) npm, so asking apt for npm there would fail.
provided=" $(dpkg-query -W -f='${db:Status-Abbrev}|${Provides}\n' 2>/dev/null |
  awk -F'|' '$1 ~ /^ii/ { print $2 }' | tr ',' '\n' | sed 's/([^)]*)//g; s/ //g' | tr '\n' ' ') "
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
  [[ "$provided" == *" $p "* ]] && continue
  missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
