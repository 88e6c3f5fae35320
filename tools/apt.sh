# shellcheck shell=bash
# Sourced by tools/install-packages.sh and qemu/fetch-*.sh (set who= first):
# run apt-get quietly and, when it fails, say why in one line instead of
# leaving apt's own output for the reader to decode. Every provisioning
# script exits with the same statuses:
#
#   10  needs root (installing, or teaching dpkg the arm64 architecture)
#   11  no apt-get: not a Debian-style host
#   12  the Debian package mirrors cannot be reached (no network)
#   13  apt knows no such package (not in this release's sources)
#   1   anything else (the line names apt's own error and its full output)
#
# apt's output goes to a log file that is removed when the command
# succeeds and named in the line when it fails.

: "${who:?set who= (the name that starts each line) before sourcing apt.sh}"
export DEBIAN_FRONTEND=noninteractive

apt_die() { # STATUS MESSAGE...
  local status=$1
  shift
  echo "$who: $*" >&2
  exit "$status"
}

# Another session's apt-get may hold the dpkg lock for a while: wait for it
# rather than fail (apt only waits when asked).
apt_opts=(-o DPkg::Lock::Timeout=600)

# At exit: the log is removed, unless a failure's line names it, and so is
# $apt_tmp, a download directory the caller may set.
apt_log=
apt_keep_log=
apt_tmp=
apt_exit() {
  [ -z "$apt_tmp" ] || rm -rf "$apt_tmp"
  [ -z "$apt_log" ] || [ -n "$apt_keep_log" ] || rm -f "$apt_log"
}
trap apt_exit EXIT
# apt_run CMD... : run an apt command with its output in $apt_log.
apt_run() {
  [ -n "$apt_log" ] || apt_log=$(mktemp "${TMPDIR:-/tmp}/$who-apt.XXXXXX.log")
  "$@" >"$apt_log" 2>&1
}

# apt_have CMD: CMD is on PATH and can be run (`type -P` alone also
# reports a file that cannot).
apt_have() {
  local path
  path=$(type -P "$1") && [ -x "$path" ]
}

# apt_failed STEP ALT: the apt command STEP, whose output is in $apt_log,
# failed: exit with one line that starts with $apt_context (what was being
# provided), says why STEP failed, what would fix it, and ALT (how else to
# provide it).
apt_context=
apt_failed() {
  local step=$1 alt=$2 first ctx=${apt_context:+$apt_context: }
  if grep -qE 'Temporary failure resolving|Could not resolve|Unable to connect|Network is unreachable|Connection timed out|Could not connect|No route to host' "$apt_log"; then
    apt_die 12 "$ctx$step cannot reach the Debian package mirrors (no network?): connect this machine, or $alt"
  fi
  if grep -q 'Could not get lock' "$apt_log"; then
    apt_die 1 "$ctx$step: another apt-get or dpkg is running (it holds apt's lock); run again when it is done"
  fi
  if grep -qE '^E: .*(Permission denied|are you root)' "$apt_log"; then
    apt_die 10 "$ctx$step needs root: run this as root, or $alt"
  fi
  if first=$(grep -m1 -oE "Unable to locate package [^ ]+|Package '?[^ ']+'? has no installation candidate" "$apt_log"); then
    apt_die 13 "$ctx$step: $first in this machine's apt sources: add the Debian release's main component, or $alt"
  fi
  first=$(grep -m1 '^E: ' "$apt_log" || tail -n1 "$apt_log")
  apt_keep_log=1
  apt_die 1 "$ctx$step failed: ${first#E: } (apt's output: $apt_log)"
}

apt_updated=
# apt_update ALT: refresh the package lists, once per script run. Without
# --error-on=any, apt-get update exits 0 when no mirror answered.
apt_update() {
  [ -z "$apt_updated" ] || return 0
  echo "$who: apt-get update" >&2
  apt_run apt-get update -qq --error-on=any "${apt_opts[@]}" ||
    apt_failed "apt-get update" "$1"
  apt_updated=1
}
