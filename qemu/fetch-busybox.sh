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
# When a download is needed and cannot be done, one line says why and names
# the override; exit statuses as in tools/apt.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${NS_TOOL_VM_CACHE:-$here/.cache}/busybox

who=fetch-busybox
# shellcheck source=../tools/apt.sh
. "$here/../tools/apt.sh"
die() { apt_die 1 "$*"; }

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
    alt="set NS_TOOL_VM_BUSYBOX_${arch^^} to a static busybox"
    apt_context="no $arch busybox in $cache"
    apt_have apt-get ||
      apt_die 11 "$apt_context, and no apt-get to fetch one with (not Debian?): set NS_TOOL_VM_BUSYBOX_${arch^^} to a static busybox"
    mkdir -p "$cache/$arch"
    tmp=$(mktemp -d "$cache/.fetch-$arch.XXXXXX")
    apt_tmp=$tmp
    echo "fetch-busybox: apt-get download busybox-static:$deb_arch" >&2
    # (apt-get download writes into the current directory.)
    cd "$tmp"
    if ! apt_run apt-get download -qq -o APT::Sandbox::User=root "busybox-static:$deb_arch"; then
      apt_update "$alt"
      apt_run apt-get download -qq -o APT::Sandbox::User=root "busybox-static:$deb_arch" ||
        apt_failed "apt-get download busybox-static:$deb_arch" "$alt"
    fi
    cd - >/dev/null
    dpkg-deb -x "$tmp"/*.deb "$tmp/root"
    [ -s "$tmp/root/bin/busybox" ] || die "busybox-static:$deb_arch has no bin/busybox"
    mv "$tmp/root/bin/busybox" "$dest"
    rm -rf "$tmp"
  fi
  echo "$arch $dest"
done
