#!/usr/bin/env bash
# Installs the Debian 12 packages Intake needs to build, test and run.
# Idempotent: when everything is present it only checks (a second or so) and exits 0.
# Run as root (or with sudo available). Never downloads anything but Debian packages.
set -euo pipefail

# `--bench` adds what bench/run.sh needs: OpenSSH's server as the reference peer (started privately by
# the benchmark, never as the system service).
with_bench=0
[ "${1:-}" = --bench ] && with_bench=1

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # libraries (ARCHITECTURE.md: Libraries)
  libssh-dev libssl-dev libsqlite3-dev libspdlog-dev libboost-dev
  doctest-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libexpected-dev libphonenumber-dev
  libxxhash-dev libsodium-dev libcurl4-openssl-dev
  # fuzzing and sanitizers (clang's libFuzzer and runtime)
  clang libclang-rt-14-dev
  # tests drive real clients
  openssh-client python3 python3-paramiko python3-nacl python3-aiosmtpd curl lftp rclone sshfs fuse3
  # deploy checks: systemd-analyze verify on the unit
  systemd
)
if [ "$with_bench" = 1 ]; then packages+=(openssh-server procps); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
    echo "install-deps: missing packages (${missing[*]}) and not root; run this script as root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
# Installing openssh-server must not start a system sshd on port 22: a policy-rc.d answering 101
# ("action forbidden") tells Debian's maintainer scripts not to start services, for this install only.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod 755 "$policy"
  added_policy=1
fi
remove_policy() { if [ "$added_policy" = 1 ]; then "${sudo_cmd[@]}" rm -f "$policy"; fi; }
trap remove_policy EXIT
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
