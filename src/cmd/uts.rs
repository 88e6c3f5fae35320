//! `ns-tool uts`: a UTS namespace, the hostname and NIS domain name of
//! its own. The namespace's first process unshares it (CLONE_NEWUTS) and
//! sets the names; its parent, outside, shows that its own names did not
//! change (docs/03-uts-ipc.md).

use core::cell::UnsafeCell;
use core::ffi::CStr;

use linux_raw_sys::general::CLONE_NEWUTS;

use super::pid::{parse_run, say_link, Recipe};
use crate::cli::{
    Command, Cursor, Opts, Usage, Wrong, EXIT_ZERO, GROUP, HELP_OPT, INIT, MOUNT_PROC, PAUSE,
    PID_NS, REWRITE, TRACE, USER, VALUE0, VALUE1,
};
use crate::engine::{Demo, Spec};
use crate::error::{self, Error, EXIT_FAILURE};
use crate::rt::argv::Argv;
use crate::rt::out::{self, out, say};
use crate::sys::{self, Utsname, DOMAINNAME, NODENAME};
use crate::text::Packed;

/// Help for `ns-tool uts --help`.
pub const HELP: Packed = t!("Usage: ns-tool uts [OPTIONS] [--] [COMMAND [ARGS...]]

A UTS namespace: a hostname and NIS domain name of its own, set inside,
COMMAND run there; the outside's stay as they were (docs/03-uts-ipc.md).

Options:
  --hostname NAME    the hostname inside (default container-test)
  --domainname NAME  the NIS domain name inside
  --pid              also a PID namespace, COMMAND its PID 1
  pid's --user, --init, --mount-proc, -P, -g, -e, --rewrite, --trace
");

/// `uts`'s options.
const OPTS: Opts = Opts {
    names: t!("-h --help
--trace
--hostname
--domainname
--pid
-r --user --map-root-user
--init
--mount-proc
-P --pause
-g --group
-e --exit-zero
--rewrite"),
    ids: &[
        HELP_OPT, TRACE, VALUE0, VALUE1, PID_NS, USER, INIT, MOUNT_PROC, PAUSE, GROUP, EXIT_ZERO,
        REWRITE,
    ],
};

static RECIPE: Recipe = Recipe {
    name: "uts",
    opts: &OPTS,
    help: HELP,
    demo: &DEMO,
    inner: CLONE_NEWUTS,
    newpid: false,
    // The kernel's limit (__NEW_UTS_LEN).
    check: |name| name.len() <= 64,
    bad: Wrong::BadName,
    ..super::pid::RECIPE
};

/// `uts [OPTIONS] [--] [COMMAND [ARGS...]]`.
pub fn parse(args: Cursor<'_>, trace: bool) -> Result<Command, Usage<'_>> {
    parse_run(args, trace, &RECIPE)
}

static DEMO: Demo = Demo {
    prepare: crate::engine::nothing,
    enter,
    forked,
    ended,
    inside,
};

/// The hostname inside when `--hostname` is not given.
const DEFAULT: &CStr = c"container-test";

/// Inside, just unshared: set the names (before COMMAND, too).
fn enter(opts: &Spec, argv: &Argv) -> Result<(), Error> {
    let name = opts.value(argv, 0).unwrap_or(DEFAULT);
    sys::sethostname(name).map_err(Error::ctx(t!("sethostname")))?;
    if let Some(domain) = opts.value(argv, 1) {
        sys::setdomainname(domain).map_err(Error::ctx(t!("setdomainname")))?;
    }
    Ok(())
}

/// The outside's names when the child was forked, to compare at its end.
struct Before(UnsafeCell<Utsname>);
// SAFETY: ns-tool is single-threaded; only the parent's demonstration
// touches it, in `forked`, then in `ended`.
unsafe impl Sync for Before {}
static BEFORE: Before = Before(UnsafeCell::new([0; 390]));

fn forked(_: i32, _: &Spec, _: &Argv) {
    // SAFETY: see `Before`.
    let before = unsafe { &mut *BEFORE.0.get() };
    let _ = sys::uname(before);
    names(
        t!("Parent: hostname outside: "),
        t!("Parent: domain name outside: "),
        before,
    );
}

/// Two lines: `host` and the hostname, `domain` and the domain name.
fn names(host: Packed, domain: Packed, u: &Utsname) {
    for (label, field) in [(host, NODENAME), (domain, DOMAINNAME)] {
        out(|b| {
            b.p(label).esc(sys::field(u, field));
        });
    }
}

fn inside(_: &Spec, _: &Argv) -> Result<i32, Error> {
    let mut u = [0; 390];
    // uname(2) fails only for a bad pointer.
    let _ = sys::uname(&mut u);
    say(t!(""));
    say(t!("=== Inside the UTS namespace ==="));
    names(
        t!("Hostname in namespace: "),
        t!("Domain name in namespace: "),
        &u,
    );
    say_link(t!("UTS namespace: "), c"/proc/self/ns/uts");
    say(t!("================================="));
    say(t!(""));
    error::stdout_result().map(|()| 0)
}

fn ended(child: i32, status: sys::WaitStatus, opts: &Spec, argv: &Argv) -> Result<i32, Error> {
    let mut after = [0; 390];
    // uname(2) fails only for a bad pointer.
    let _ = sys::uname(&mut after);
    names(
        t!("Parent: hostname outside, after: "),
        t!("Parent: domain name outside, after: "),
        &after,
    );
    say_link(t!("Parent: UTS namespace outside: "), c"/proc/self/ns/uts");
    // SAFETY: see `Before`.
    let before = unsafe { &*BEFORE.0.get() };
    let code = super::pid::parent_done(child, status, opts, argv)?;
    if after != *before {
        out::err(|b| {
            b.p(t!("ns-tool: the names outside changed while the child ran"));
        });
        return Ok(EXIT_FAILURE);
    }
    error::stdout_result().map(|()| code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_up_to_the_kernels_limit() {
        assert!((RECIPE.check)(&[b'a'; 64]));
        assert!(!(RECIPE.check)(&[b'a'; 65]));
        assert!((RECIPE.check)(b""));
    }
}
