#!/usr/bin/env bash
# Fetch Debian's static busybox for the VM tests, per architecture: the
# guests have no shell or coreutils of their own, and the `pid -- COMMAND`
# scenarios need `sh`, `sleep`, `ls`, `kill`.
#
#   qemu/fetch-busybox.sh x86_64 aarch64
#
# Leaves qemu/.cache/busybox/<arch>/busybox and prints "<arch> <path>".
# NS_TOOL_VM_BUSYBOX_X86_64 / _AARCH64 name a static busybox to use instead.
# Like fetch-kernel.sh: `apt-get download` (nothing is installed on the
# host) and `dpkg-deb -x`; arm64 needs `dpkg --add-architecture arm64`,
# which fetch-kernel.sh has done when it runs first (cargo make does so).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${NS_TOOL_VM_CACHE:-$here/.cache}/busybox

die() { echo "fetch-busybox: $*" >&2; exit 1; }

[ $# -gt 0 ] || set -- x86_64 aarch64

for arch in "$@"; do
  case $arch in
    x86_64) deb_arch=amd64; explicit=${NS_TOOL_VM_BUSYBOX_X86_64:-} ;;
    aarch64) deb_arch=arm64; explicit=${NS_TOOL_VM_BUSYBOX_AARCH64:-} ;;
    *) die "unknown architecture '$arch' (x86_64 or aarch64)" ;;
  esac
  if [ -n "$explicit" ]; then
    [ -f "$explicit" ] || die "NS_TOOL_VM_BUSYBOX_${arch^^} points at '$explicit', which is not a file"
    echo "$arch $explicit"
    continue
  fi
  dest=$cache/$arch/busybox
  if [ ! -s "$dest" ]; then
    command -v apt-get >/dev/null || die "no apt-get: set NS_TOOL_VM_BUSYBOX_${arch^^} to a static busybox"
    mkdir -p "$cache/$arch"
    tmp=$(mktemp -d "$cache/.fetch-$arch.XXXXXX")
    echo "fetch-busybox: apt-get download busybox-static:$deb_arch" >&2
    if ! (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "busybox-static:$deb_arch" >&2); then
      apt-get update -qq >&2 || die "apt-get update failed"
      (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "busybox-static:$deb_arch" >&2) ||
        die "apt-get download busybox-static:$deb_arch failed"
    fi
    dpkg-deb -x "$tmp"/*.deb "$tmp/root"
    [ -s "$tmp/root/bin/busybox" ] || die "busybox-static:$deb_arch has no bin/busybox"
    mv "$tmp/root/bin/busybox" "$dest"
    rm -rf "$tmp"
  fi
  echo "$arch $dest"
done
