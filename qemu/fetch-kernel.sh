#!/usr/bin/env bash
# Fetch a Debian cloud kernel for the VM tests, per architecture.
#
#   qemu/fetch-kernel.sh x86_64 aarch64
#
# For each architecture this prints one line, "<arch> <path of the kernel>",
# and leaves the kernel at qemu/.cache/kernel/<arch>/vmlinuz (a symlink to
# the versioned copy beside it), which is where the harness looks.
#
# Which kernel:
#   NS_TOOL_VM_KERNEL_X86_64 / NS_TOOL_VM_KERNEL_AARCH64
#       an explicit kernel image file (bzImage / arm64 Image): used as is,
#       nothing is downloaded.
#   NS_TOOL_VM_KERNEL_PKG_X86_64 / NS_TOOL_VM_KERNEL_PKG_AARCH64
#       a Debian package name, e.g. linux-image-6.1.0-56-cloud-amd64.
#   otherwise
#       whatever the metapackage linux-image-cloud-<debian arch> depends on
#       today. Versioned package names disappear when Debian bumps the kernel
#       ABI, so no version is written down anywhere.
#
# How: `apt-get download` (no installation: the host's own kernel and boot
# setup are untouched) and `dpkg-deb -x`; only the kernel image is kept.
# For arm64 on another host, dpkg first learns the foreign architecture
# (`dpkg --add-architecture arm64`, as root), so apt can see arm64 packages.
# Once a kernel is cached, nothing here needs root, apt or network. When a
# download is needed and cannot be done, one line says why and names the
# override; exit statuses as in tools/apt.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${NS_TOOL_VM_CACHE:-$here/.cache}/kernel

who=fetch-kernel
# shellcheck source=../tools/apt.sh
. "$here/../tools/apt.sh"
die() { apt_die 1 "$*"; }

[ $# -gt 0 ] || set -- x86_64 aarch64

# The versioned package the metapackage depends on, e.g.
# linux-image-6.1.0-56-cloud-arm64 (without the :arch suffix).
resolve() {
  local meta=$1
  apt-cache depends "$meta" 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { sub(/:.*/, "", $2); print $2; exit }'
}

fetch() {
  local arch=$1 deb_arch meta explicit pkg_override pkg dest tmp deb img memo stamp
  case $arch in
    x86_64)
      deb_arch=amd64
      explicit=${NS_TOOL_VM_KERNEL_X86_64:-}
      pkg_override=${NS_TOOL_VM_KERNEL_PKG_X86_64:-} ;;
    aarch64)
      deb_arch=arm64
      explicit=${NS_TOOL_VM_KERNEL_AARCH64:-}
      pkg_override=${NS_TOOL_VM_KERNEL_PKG_AARCH64:-} ;;
    *) die "unknown architecture '$arch' (x86_64 or aarch64)" ;;
  esac

  if [ -n "$explicit" ]; then
    [ -f "$explicit" ] || die "NS_TOOL_VM_KERNEL_${arch^^} points at '$explicit', which is not a file"
    echo "$arch $explicit"
    return
  fi

  alt="set NS_TOOL_VM_KERNEL_${arch^^} to a kernel image"
  apt_context="no $arch kernel in $cache"
  for tool in apt-get apt-cache dpkg dpkg-deb; do
    apt_have "$tool" ||
      apt_die 11 "$apt_context, and no '$tool' to fetch one with (not Debian?): set NS_TOOL_VM_KERNEL_${arch^^} to a kernel image"
  done

  # apt only lists foreign-architecture packages that dpkg knows about.
  if [ "$deb_arch" != "$(dpkg --print-architecture)" ] &&
     ! dpkg --print-foreign-architectures | grep -qx "$deb_arch"; then
    [ "$(id -u)" -eq 0 ] ||
      apt_die 10 "$apt_context, and apt cannot see $deb_arch packages yet: run this once as root (it runs dpkg --add-architecture $deb_arch), or $alt"
    echo "fetch-kernel: dpkg --add-architecture $deb_arch" >&2
    dpkg --add-architecture "$deb_arch"
    apt_updated=
    apt_update "$alt"
  fi

  meta="linux-image-cloud-$deb_arch:$deb_arch"
  pkg=$pkg_override
  if [ -z "$pkg" ]; then
    # apt-cache takes seconds here; its answer can only change when the
    # package lists do, so remember it together with their timestamp.
    memo=$cache/$arch/resolved
    stamp="$(stat -c %Y /var/lib/apt/lists 2>/dev/null || echo none)"
    if [ -f "$memo" ] && [ "$(sed -n 1p "$memo")" = "$stamp" ]; then
      pkg=$(sed -n 2p "$memo")
    else
      pkg=$(resolve "$meta")
      if [ -z "$pkg" ]; then
        apt_update "$alt"
        pkg=$(resolve "$meta")
        stamp="$(stat -c %Y /var/lib/apt/lists 2>/dev/null || echo none)"
      fi
      [ -n "$pkg" ] ||
        apt_die 13 "$apt_context, and apt knows no package '$meta' (is 'main' in this machine's apt sources?): $alt"
      mkdir -p "$cache/$arch"
      printf '%s\n%s\n' "$stamp" "$pkg" >"$memo"
    fi
  fi

  dest=$cache/$arch/$pkg
  if [ ! -s "$dest/vmlinuz" ]; then
    tmp=$(mktemp -d "$cache/.fetch-$arch.XXXXXX" 2>/dev/null || { mkdir -p "$cache" && mktemp -d "$cache/.fetch-$arch.XXXXXX"; })
    trap 'rm -rf "$tmp"' RETURN
    apt_tmp=$tmp
    echo "fetch-kernel: apt-get download $pkg:$deb_arch" >&2
    # An old package list may name a version the mirror no longer has:
    # refresh once and retry.
    # (apt-get download writes into the current directory.)
    cd "$tmp"
    if ! apt_run apt-get download -qq -o APT::Sandbox::User=root "$pkg:$deb_arch"; then
      apt_update "$alt"
      apt_run apt-get download -qq -o APT::Sandbox::User=root "$pkg:$deb_arch" ||
        apt_failed "apt-get download $pkg:$deb_arch" "$alt"
    fi
    cd - >/dev/null
    deb=$(ls "$tmp"/*.deb)
    dpkg-deb -x "$deb" "$tmp/root"
    img=$(ls "$tmp"/root/boot/vmlinuz-* 2>/dev/null | head -n1)
    [ -n "$img" ] || die "$deb has no boot/vmlinuz-*"
    mkdir -p "$dest"
    # Debian's arm64 vmlinuz is a gzip-compressed Image; QEMU's -kernel for
    # `virt` wants the raw Image, so decompress it once here.
    if [ "$(head -c2 "$img" | od -An -tx1 | tr -d ' \n')" = 1f8b ]; then
      gzip -dc "$img" >"$dest/vmlinuz.tmp"
    else
      cp "$img" "$dest/vmlinuz.tmp"
    fi
    cp "$tmp"/root/boot/config-* "$dest/config" 2>/dev/null || true
    # x86_64: also keep the uncompressed kernel (an ELF file with a PVH
    # entry point, CONFIG_PVH), which QEMU loads directly: the guest then
    # skips unpacking itself, which costs about a second under emulation.
    if [ "$arch" = x86_64 ] && extract_vmlinux "$dest/vmlinuz.tmp" "$dest/vmlinux.tmp"; then
      mv "$dest/vmlinux.tmp" "$dest/vmlinux"
    fi
    mv "$dest/vmlinuz.tmp" "$dest/vmlinuz"
  fi
  ln -sfn "$pkg/vmlinuz" "$cache/$arch/vmlinuz"
  if [ -s "$dest/vmlinux" ]; then
    ln -sfn "$pkg/vmlinux" "$cache/$arch/vmlinux"
    echo "$arch $dest/vmlinux"
  else
    rm -f "$cache/$arch/vmlinux"
    echo "$arch $dest/vmlinuz"
  fi
}

# The ELF kernel inside a bzImage, found as the kernel's own
# scripts/extract-vmlinux finds it: the first offset where a compressor's
# magic starts a stream that unpacks to an ELF file. Fails quietly (the
# bzImage still serves, only slower) when none does.
extract_vmlinux() {
  local in=$1 out=$2 magic tool off
  while read -r magic tool; do
    command -v "${tool%% *}" >/dev/null || continue
    for off in $(LC_ALL=C grep -obUaP "$magic" "$in" 2>/dev/null | cut -d: -f1 | head -n 5); do
      tail -c +$((off + 1)) "$in" | $tool >"$out" 2>/dev/null || true
      if [ "$(head -c4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
        return 0
      fi
    done
  done <<'MAGIC'
\x02\x21\x4c\x18 lz4 -dc
\x28\xb5\x2f\xfd zstd -dc
\x1f\x8b\x08 gzip -dc
\xfd\x37\x7a\x58\x5a\x00 xz -dc
\x42\x5a\x68 bzip2 -dc
\x5d\x00\x00\x00 xz -dc --format=lzma
MAGIC
  rm -f "$out"
  return 1
}

for arch in "$@"; do
  fetch "$arch"
done
