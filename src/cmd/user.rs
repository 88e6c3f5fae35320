//! `ns-tool user`: a user namespace, made by an ordinary user. Its first
//! process unshares it (CLONE_NEWUSER), writes its own ID maps, and so
//! has every capability there and none outside (docs/user.md).

use core::ffi::CStr;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use linux_raw_sys::general::{CLONE_NEWUSER, CLONE_NEWUTS};

use super::pid::{parse_run, say_link, Recipe};
use crate::cli::{
    Command, Cursor, Opts, Usage, Wrong, EXIT_ZERO, GROUP, HELP_OPT, INIT, PAUSE, REWRITE, TRACE,
    VALUE0, VALUE1,
};
use crate::engine::{ns, Demo, Spec};
use crate::error::{self, Error};
use crate::rt::argv::Argv;
use crate::rt::out::{out, say};
use crate::sys::{self, names, Errno};
use crate::text::Packed;

/// Help for `ns-tool user --help`.
pub const HELP: Packed = t!("Usage: ns-tool user [OPTIONS] [--] [COMMAND [ARGS...]]

A user namespace, as any user may make: root, every capability inside,
none outside (docs/user.md).

Options:
  --map-user UID   the caller's ID inside (default 0)
  --map-group GID  the caller's group inside (default 0)
  pid's --init, -P, -g, -e, --rewrite, --trace
");

/// `user`'s options.
const OPTS: Opts = Opts {
    names: t!("-h --help
--trace
--map-user
--map-group
--init
-P --pause
-g --group
-e --exit-zero
--rewrite"),
    ids: &[
        HELP_OPT, TRACE, VALUE0, VALUE1, INIT, PAUSE, GROUP, EXIT_ZERO, REWRITE,
    ],
};

static RECIPE: Recipe = Recipe {
    name: "user",
    opts: &OPTS,
    help: HELP,
    demo: &DEMO,
    inner: CLONE_NEWUSER,
    newpid: false,
    check: |v| id(v).is_some(),
    bad: Wrong::BadId,
    ..super::pid::RECIPE
};

/// `user [OPTIONS] [--] [COMMAND [ARGS...]]`.
pub fn parse(args: Cursor<'_>, trace: bool) -> Result<Command, Usage<'_>> {
    parse_run(args, trace, &RECIPE)
}

/// A user or group ID as written: decimal, 0 to 4294967294 (the kernel
/// keeps 4294967295, (uid_t)-1, for "no ID").
fn id(v: &[u8]) -> Option<u32> {
    if v.is_empty() || v.len() > 10 {
        return None;
    }
    let n = v.iter().try_fold(0u64, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0'))
    })?;
    (n < u64::from(u32::MAX)).then_some(n as u32)
}

static DEMO: Demo = Demo {
    prepare,
    enter,
    forked,
    ended: super::pid::parent_done,
    inside,
};

/// The caller's real user and group IDs, read by the parent before the
/// fork: the child, once unshared, sees only the overflow ID.
static CALLER: [AtomicU32; 2] = [AtomicU32::new(0), AtomicU32::new(0)];

fn prepare(_: &Spec, _: &Argv) -> Result<(), Error> {
    CALLER[0].store(sys::getuid(), Relaxed);
    CALLER[1].store(sys::getgid(), Relaxed);
    Ok(())
}

/// Inside, just unshared: write the maps (before COMMAND, too). The
/// demonstration first shows the IDs the process has without them.
fn enter(opts: &Spec, argv: &Argv) -> Result<(), Error> {
    if opts.command.is_none() && !opts.pause {
        say(t!("\n=== Inside the user namespace ==="));
        ids(t!("UID before the maps: "), t!("GID before the maps: "));
    }
    let inside = |n| opts.value(argv, n).and_then(|v| id(v.to_bytes())).unwrap_or(0);
    ns::map_ids(
        [inside(0), inside(1)],
        [CALLER[0].load(Relaxed), CALLER[1].load(Relaxed)],
    )
}

/// Two lines: `uid` and this process's user ID, `gid` and its group ID.
fn ids(uid: Packed, gid: Packed) {
    out(|b| {
        b.p(uid)
            .udec(sys::getuid().into())
            .byte(b'\n')
            .p(gid)
            .udec(sys::getgid().into());
    });
}

/// One line: `label` and the effective capability mask (capget fails
/// only for a bad version or address, neither of which it is given).
fn caps(label: Packed) {
    out(|b| {
        b.p(label);
        match sys::capget() {
            Ok(caps) => b.hex(caps),
            Err(e) => {
                names::put_errno_text(b, e);
                b
            }
        };
    });
}

fn forked(_: i32, _: &Spec, _: &Argv) {
    facts([
        t!("Parent: UID outside: "),
        t!("Parent: GID outside: "),
        t!("Parent: effective capabilities outside: "),
        t!("Parent: user namespace outside: "),
    ]);
}

/// Four lines, each label and its fact: the user and group IDs, the
/// effective capabilities, the user namespace.
fn facts(labels: [Packed; 4]) {
    ids(labels[0], labels[1]);
    caps(labels[2]);
    say_link(labels[3], c"/proc/self/ns/user");
}

/// The hostname the namespace sets in a UTS namespace of its own.
const HOSTNAME: &CStr = c"container-test";

/// One line: `label` and whether the call worked, or its error.
fn tried(label: Packed, r: Result<(), Errno>) -> bool {
    out(|b| {
        b.p(label);
        match r {
            Ok(()) => b.p(t!("yes")),
            Err(e) => {
                names::put_errno_text(b.p(t!("no: ")), e);
                b
            }
        };
    });
    r.is_ok()
}

fn inside(_: &Spec, _: &Argv) -> Result<i32, Error> {
    facts([
        t!("UID: "),
        t!("GID: "),
        t!("Effective capabilities: "),
        t!("User namespace: "),
    ]);
    // The UTS namespace it came from belongs to the outside's user
    // namespace, where this process has no capability: refused. Its own
    // name again, so that nothing would change even if it were not.
    // (uname fails only for a bad address.)
    let mut u = [0; 390];
    let _ = sys::uname(&mut u);
    // SAFETY: the kernel ends each of uname's fields with a NUL.
    let name = unsafe { CStr::from_ptr(u[65..].as_ptr().cast()) };
    let outside = tried(
        t!("Set the outside's hostname: "),
        sys::sethostname(name),
    );
    // A UTS namespace it creates belongs to this one: allowed.
    let created = tried(
        t!("Create a UTS namespace: "),
        sys::unshare(CLONE_NEWUTS),
    ) && tried(
        t!("Set its hostname: "),
        sys::sethostname(HOSTNAME),
    );
    say(t!("=================================\n"));
    // Exit 1 if the kernel answered otherwise.
    error::stdout_result().map(|()| i32::from(outside || !created))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_as_the_kernel_takes_them() {
        assert_eq!(id(b"0"), Some(0));
        assert_eq!(id(b"1000"), Some(1000));
        assert_eq!(id(b"4294967294"), Some(4294967294));
        for bad in [&b""[..], b"4294967295", b"99999999999", b"-1", b"+1", b"1x", b" 1"] {
            assert_eq!(id(bad), None, "{bad:?}");
        }
    }
}
