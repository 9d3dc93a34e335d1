#!/usr/bin/env bash
# install-deps.sh — install what hookgate needs on Debian 12, only what is
# missing. Usage: deploy/install-deps.sh [--build|--test|--bench]
#   --build  compilers and libraries (default)
#   --test   plus the test tools (pytest, confluent-kafka, botocore, kcat,
#            clang sanitizer runtime, s3rver from npm)
#   --bench  plus the benchmark tools (wrk, nginx, pandas)
set -euo pipefail
mode=${1:---build}
here=$(cd "$(dirname "$0")/.." && pwd)

build_pkgs=(gcc meson ninja-build pkg-config
  librdkafka-dev libevent-dev libyajl-dev libssl-dev libcurl4-openssl-dev
  libhttp-parser-dev libexpat1-dev
  ca-certificates)   # libcurl only recommends it: without it every TLS call (Slack, AWS, MSK) fails
test_pkgs=(python3 python3-pytest python3-confluent-kafka python3-botocore
  python3-jsonschema kcat clang libclang-rt-14-dev curl procps)
bench_pkgs=(wrk nginx-light python3-pandas kcat util-linux time procps)

pkgs=("${build_pkgs[@]}")
case "$mode" in
  --build) ;;
  --test) pkgs+=("${test_pkgs[@]}") ;;
  --bench) pkgs+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [--build|--test|--bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm (for s3rver) are looked up as commands, not packages: a
# machine may already have Node.js from another source (NodeSource's nodejs
# bundles npm and conflicts with Debian's npm package), and that one is fine.
if [ "$mode" != --build ]; then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  # env inside sudo: sudo's env_reset would drop the variable set before it
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# s3rver (a real S3 REST server) for the AWS and consumer tests, pinned by
# tests/aws/package-lock.json.
if [ "$mode" != --build ] && [ ! -x "$here/tests/aws/node_modules/.bin/s3rver" ]; then
  echo "install-deps: npm ci --prefix tests/aws (s3rver)"
  npm ci --prefix "$here/tests/aws" --no-audit --no-fund --loglevel=error
fi
