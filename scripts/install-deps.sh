#!/usr/bin/env bash
# Installs the Debian packages vpcmesh needs at run and test time, only those that are missing.
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v ip >/dev/null || need+=(iproute2)
command -v nft >/dev/null || need+=(nftables)
command -v iperf3 >/dev/null || need+=(iperf3)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v ping >/dev/null || need+=(iputils-ping)
command -v arping >/dev/null || need+=(iputils-arping)
# The DNS end-to-end test: a zone's server (dnsmasq, without its system service) and the client (dig).
command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
command -v dig >/dev/null || need+=(bind9-dnsutils)
command -v curl >/dev/null || need+=(curl)
# The tunnel benchmark's userspace comparison row (test/bench/tunnel.bench.ts; no service is started).
command -v nebula >/dev/null || need+=(nebula)
command -v prometheus >/dev/null || need+=(prometheus)
command -v make >/dev/null || need+=(make)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v g++ >/dev/null || need+=(g++)
command -v python3 >/dev/null || need+=(python3)
command -v clang-format >/dev/null || need+=(clang-format)
# npm run fuzz (scripts/fuzz.mjs): clang with libFuzzer and the sanitizer runtimes, and the
# system OpenSSL headers and libcrypto the fuzz build links (the addon uses Node's own).
command -v clang++ >/dev/null || need+=(clang)
compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a" >/dev/null || need+=(libclang-rt-14-dev)
[ -f /usr/include/openssl/evp.h ] || need+=(libssl-dev)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing ${need[*]}; run as root or install them with apt-get" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The Debian redis-server and prometheus packages start system services; vpcmesh's tests start
# their own on free ports and never use those.
echo "install-deps: ok"
