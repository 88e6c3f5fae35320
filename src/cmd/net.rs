//! `ns-tool net`: a network namespace, interfaces, addresses, routes and
//! sockets of its own. The namespace's first process unshares it
//! (CLONE_NEWNET), where the only interface is a loopback `lo`, down, and
//! brings `lo` up (before COMMAND too); the demonstration lists the
//! interfaces from both sides and sends itself a UDP datagram over `lo`
//! (docs/06-net.md).

use core::sync::atomic::{AtomicBool, Ordering::Relaxed};

use linux_raw_sys::general::CLONE_NEWNET;
use linux_raw_sys::ioctl::{SIOCGIFFLAGS, SIOCSIFFLAGS};

use super::pid::{parse_run, say_link, Recipe};
use crate::cli::{Command, Cursor, Usage};
use crate::engine::{procfs, Demo, Spec};
use crate::error::{self, Error};
use crate::rt::argv::Argv;
use crate::rt::out::{out, say};
use crate::sys::names::put_errno_text;
use crate::sys::{self, Fd, Ifreq, IFF_UP};
use crate::text::{Buf, Packed};

/// Help for `ns-tool net --help`.
pub const HELP: Packed = t!("Usage: ns-tool net [OPTIONS] [--] [COMMAND [ARGS...]]

A network namespace: interfaces, routes, ports of its own; only lo, up,
where COMMAND runs (docs/06-net.md).

Options:
  --pid  also a PID namespace, COMMAND its PID 1
  pid's --user, --init, --mount-proc, -P, -g, -e, --rewrite, --trace
");

/// `--pid` and pid's options, no values.
static RECIPE: Recipe = Recipe {
    name: "net",
    opts: &super::pid::NS_OPTS,
    help: HELP,
    demo: &DEMO,
    inner: CLONE_NEWNET,
    newpid: false,
    ..super::pid::RECIPE
};

/// `net [OPTIONS] [--] [COMMAND [ARGS...]]`.
pub fn parse(args: Cursor<'_>, trace: bool) -> Result<Command, Usage<'_>> {
    parse_run(args, trace, &RECIPE)
}

static DEMO: Demo = Demo {
    prepare: crate::engine::nothing,
    enter,
    forked,
    ended: super::pid::parent_done,
    inside,
};

/// Whether `lo` was up when `enter` found it (it never is, in a new
/// network namespace), for the demonstration to show. ns-tool is
/// single-threaded: a plain load and store.
static WAS_UP: AtomicBool = AtomicBool::new(false);

/// A socket of the caller's network namespace (any socket will do for
/// the interface ioctls), and `lo`'s flags read on it (SIOCGIFFLAGS);
/// with `up`, IFF_UP then set (SIOCSIFFLAGS), as `ip link set lo up`
/// does, after noting whether it was. By ioctl, not rtnetlink: one flag,
/// two short calls (docs/06-net.md).
fn lo(up: bool) -> Result<(Fd, u16), Error> {
    let sock = sys::udp_socket().map_err(Error::ctx(t!("socket")))?;
    let mut ifr = Ifreq {
        name: [0; 16],
        flags: 0,
        rest: [0; 22],
    };
    (ifr.name[0], ifr.name[1]) = (b'l', b'o');
    sys::ifflags(sock.raw(), SIOCGIFFLAGS, &mut ifr)
        .map_err(Error::ctx(t!("ioctl(SIOCGIFFLAGS)")))?;
    let flags = ifr.flags;
    if up {
        WAS_UP.store(flags & IFF_UP != 0, Relaxed);
        ifr.flags |= IFF_UP;
        sys::ifflags(sock.raw(), SIOCSIFFLAGS, &mut ifr)
            .map_err(Error::ctx(t!("ioctl(SIOCSIFFLAGS)")))?;
    }
    Ok((sock, flags))
}

/// Inside, just unshared: bring `lo` up (before COMMAND too).
fn enter(_: &Spec, _: &Argv) -> Result<(), Error> {
    lo(true).map(drop)
}

/// One line: `label`, then the names of the interfaces of the caller's
/// network namespace, from /proc/self/net/dev: below two header lines,
/// a line each, `  NAME: counters` (a name has no space or colon: the
/// kernel refuses them). One pass over the bytes (size).
fn interfaces(label: Packed) {
    let mut buf = [0u8; 4096];
    let dev = procfs::read_proc(0, false, t!("/net/dev"), &mut buf);
    out(|b| {
        b.p(label);
        let text = match dev {
            Ok(text) => text,
            Err(e) => return put_errno_text(b, e),
        };
        // Past the header, `at`: 0 before a line's name, 1 in it, 2 past
        // its colon.
        let (mut lines, mut at, mut sep) = (0, 0, t!(""));
        for c in text {
            if *c == b'\n' {
                (lines, at) = (lines + 1, 0);
            } else if lines >= 2 && at < 2 && *c != b' ' {
                if *c == b':' {
                    (at, sep) = (2, t!(", "));
                } else {
                    if at == 0 {
                        b.p(sep);
                    }
                    at = 1;
                    b.esc(core::slice::from_ref(c));
                }
            }
        }
    });
}

/// How `lo` is, by its IFF_UP flag.
const STATES: [Packed; 2] = [t!("DOWN"), t!("UP")];

fn forked(_: i32, _: &Spec, _: &Argv) {
    interfaces(t!("Interfaces outside: "));
    say_link(t!("Parent: net namespace outside: "), c"/proc/self/ns/net");
}

/// `lo`'s state before and after `enter`, then a datagram to itself:
/// bound to 127.0.0.1 on a port the kernel picks, connected to that same
/// address, written and read back.
fn inside(_: &Spec, _: &Argv) -> Result<i32, Error> {
    say(t!(""));
    say(t!("=== Inside the network namespace ==="));
    interfaces(t!("Interfaces inside: "));
    let (sock, flags) = lo(false)?;
    let fd = sock.raw();
    out(|b| {
        b.p(t!("lo before SIOCSIFFLAGS: "))
            .p(STATES[usize::from(WAS_UP.load(Relaxed))])
            .p(t!(", after: "))
            .p(STATES[usize::from(flags & IFF_UP)]);
    });
    let mut addr = sys::LOOPBACK;
    sys::bind(fd, &addr).map_err(Error::ctx(t!("bind")))?;
    sys::getsockname(fd, &mut addr).map_err(Error::ctx(t!("getsockname")))?;
    sys::connect(fd, &addr).map_err(Error::ctx(t!("connect")))?;
    // A datagram goes whole or not at all.
    sys::write(fd, b"ns-tool").map_err(Error::ctx(t!("write")))?;
    let mut got = [0u8; 16];
    let n = sys::read(fd, &mut got).map_err(Error::ctx(t!("read")))?;
    out(|b: &mut Buf| {
        b.p(t!("UDP to 127.0.0.1:"))
            .udec(u16::from_be(addr.port).into())
            .p(t!(" inside: received "))
            .quoted(&got[..n.min(16)]);
    });
    say_link(t!("net namespace: "), c"/proc/self/ns/net");
    say(t!("===================================="));
    say(t!(""));
    error::stdout_result().map(|()| 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_child_unshares_the_network_namespace() {
        let words: &[&[u8]] = &[b"net", b"--user", b"--", b"ip", b"link"];
        let Ok(Command::Run(spec)) = crate::cmd::parse(&words) else {
            panic!("net --user -- ip link");
        };
        assert_eq!((spec.inner, spec.outer, spec.newpid), (CLONE_NEWNET, 0, false));
        assert!(spec.user);
    }
}
