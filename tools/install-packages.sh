#!/usr/bin/env bash
# Install the Debian packages that the tests need, when any is missing:
#
#   bash tools/install-packages.sh     (cargo make install-packages)
#
# Each package is checked by what the tests use from it, a command on PATH or
# a file, not by asking dpkg: a QEMU from backports or built by hand counts,
# and on another distribution the check still names what is missing. When
# nothing is missing it exits 0 at once, as any user and offline. Otherwise
# it installs the missing packages with apt-get (root and network needed),
# or says in one line what is missing and how to provide it, with the exit
# statuses listed in tools/apt.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
who=install-packages
# shellcheck source=apt.sh
. tools/apt.sh

# Debian package, then what is checked: commands on PATH, /absolute files,
# or cc:FILE, a file the C compiler finds (cc -print-file-name).
packages=(
  # static_test: file(1) and nm on the release binaries.
  "file file"
  "binutils nm"
  # Host links (cargo test), the bench's static helper programs.
  "gcc cc"
  # The fuzz targets: libfuzzer-sys builds libFuzzer, which is C++.
  "g++ g++"
  "libc6-dev cc:libc.a"
  # syscalls_test: the kernel's syscall tables and strace; the bench.
  "linux-libc-dev /usr/include/asm-generic/unistd.h"
  "strace strace"
  # fetch-kernel.sh unpacks the x86_64 kernel (LZ4) for the faster PVH boot.
  "lz4 lz4"
  # The VM suite, both guest architectures.
  "qemu-system-x86 qemu-system-x86_64"
  "qemu-system-arm qemu-system-aarch64"
  # The bench (bench/bench.py) and its reference tools; bench-tools checks
  # the same for `cargo make bench` alone.
  "python3 python3"
  "hyperfine hyperfine"
  "util-linux setpriv unshare script"
  "busybox-static busybox"
  "tini tini tini-static"
  "dumb-init dumb-init"
  "catatonit catatonit"
  # The terminal tests (shells, pagers, top/ps, setcap, under ns-tool).
  "bash bash"
  "dash dash"
  "less less"
  "vim vim"
  "procps ps top"
  "libcap2-bin setcap"
)

# setcap and friends live in sbin, which an ordinary user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

present() {
  local what=$1 path
  case $what in
    /*) [ -e "$what" ] ;;
    cc:*)
      path=$(cc -print-file-name="${what#cc:}" 2>/dev/null) &&
        [ "${path#/}" != "$path" ] && [ -e "$path" ] ;;
    *) apt_have "$what" ;;
  esac
}

# Fills missing (packages) and absent (what was not found).
check() {
  local entry pkg probes probe
  missing=()
  absent=()
  for entry in "${packages[@]}"; do
    read -r pkg probes <<<"$entry"
    for probe in $probes; do
      if ! present "$probe"; then
        missing+=("$pkg")
        absent+=("$probe")
        break
      fi
    done
  done
}

check
[ ${#missing[@]} -gt 0 ] || exit 0

list() { local out; printf -v out "%s, " "$@"; echo "${out%, }"; }
if [ ${#missing[@]} -eq 1 ]; then it=it; else it=them; fi
apt_context="missing $(list "${absent[@]}") (Debian: ${missing[*]})"
apt_have apt-get ||
  apt_die 11 "$apt_context; no apt-get here (not Debian?): install $it with this system's package manager"
[ "$(id -u)" -eq 0 ] ||
  apt_die 10 "$apt_context; installing $it needs root: run this as root, or have root run: apt-get install ${missing[*]}"

echo "$who: apt-get install ${missing[*]}" >&2
alt="install $it from .deb files (apt-get install ./FILE.deb)"
apt_update "$alt"

# QEMU apart: the machine image may carry qemu-utils from backports, which
# Breaks this release's own qemu-system packages; then take QEMU from
# backports as well. --no-remove: apt would otherwise settle such a conflict
# by removing the machine's qemu-utils (or anything else) without asking.
qemu=()
rest=()
for pkg in "${missing[@]}"; do
  case $pkg in
    qemu-system-*) qemu+=("$pkg") ;;
    *) rest+=("$pkg") ;;
  esac
done
apt_install() {
  apt_run apt-get install -y -qq --no-install-recommends --no-remove "${apt_opts[@]}" "$@"
}
if [ ${#rest[@]} -gt 0 ]; then
  apt_install "${rest[@]}" || apt_failed "apt-get install ${rest[*]}" "$alt"
fi
if [ ${#qemu[@]} -gt 0 ] && ! apt_install "${qemu[@]}"; then
  grep -qE 'remove is disabled|unmet dependencies|held broken packages' "$apt_log" ||
    apt_failed "apt-get install ${qemu[*]}" "$alt"
  # Enable the backports suite of the release this machine already uses
  # (derived from its own sources, so no mirror is named here).
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  src=/etc/apt/sources.list.d/debian.sources
  echo "$who: ${qemu[*]} conflict with installed packages; taking them from ${codename}-backports" >&2
  if [ -f "$src" ] && ! grep -q "${codename}-backports" "$src"; then
    sed -i "s/^Suites: ${codename} /&${codename}-backports /" "$src"
  fi
  apt_updated=
  apt_update "$alt"
  apt_install -t "${codename}-backports" "${qemu[@]}" ||
    apt_failed "apt-get install -t ${codename}-backports ${qemu[*]}" "$alt"
fi

check
[ ${#missing[@]} -eq 0 ] ||
  apt_die 1 "installed ${missing[*]}, yet $(list "${absent[@]}") still cannot be found on PATH"
