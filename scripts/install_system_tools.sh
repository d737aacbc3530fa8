#!/usr/bin/env bash
# System tools the test suite uses beside Python: protoc (C# stubs freshness), mono's C# compiler
# and NUnit (the Unity package's engine-free Core assembly), Chromium (the playground page, driven
# headless). Installs them with apt when they are
# missing and we may (root, apt-get present); otherwise says what is missing and goes on: the
# tests that need a missing tool skip and name the package.
set -u
need=()
command -v protoc >/dev/null 2>&1 || need+=(protobuf-compiler)
command -v mcs >/dev/null 2>&1 || need+=(mono-mcs)
command -v nunit-console >/dev/null 2>&1 || need+=(nunit-console)
ls -d /usr/lib/cli/nunit.framework* >/dev/null 2>&1 || need+=(libnunit-cil-dev)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
    echo "warning: apt-get could not install ${need[*]}; the tests that need them will skip" >&2
else
  echo "note: ${need[*]} missing and not root: the tests that need them will skip (sudo apt-get install ${need[*]})" >&2
fi
exit 0
