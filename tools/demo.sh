#!/usr/bin/env bash
# Builds heapmin with the default options and runs heapmin-demo: the
# README's demo. Installs the build tools first if it can (root on
# Debian), otherwise prints the apt-get line it needs.
set -eu
cd "$(dirname "$0")/.."
. tools/deps.sh
heapmin_need_packages meson ninja-build pkg-config gcc libc6-dev
# Only the library and the demo: tests/matrix.sh builds the tests elsewhere.
[ -d build/meson-private ] || meson setup build -Dtests=false
meson compile -C build
echo
exec build/demo/heapmin-demo "$@"
