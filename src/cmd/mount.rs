//! `ns-tool mount`: a mount namespace, a mount table of its own. The
//! namespace's first process unshares it (CLONE_NEWNS), makes every mount
//! private and mounts a tmpfs on a directory; its parent, outside, shows
//! that the directory is as it was and that its own mount table did not
//! change by a byte (docs/04-mount.md).

use core::cell::UnsafeCell;
use core::ffi::CStr;

use linux_raw_sys::general::{
    CLONE_NEWNS, MS_NODEV, MS_NOSUID, O_CLOEXEC, O_DIRECTORY, O_PATH, O_RDONLY,
};

use super::pid::{parse_run, say_link, Recipe};
use crate::cli::{
    Command, Cursor, Opts, Usage, Wrong, EXIT_ZERO, GROUP, HELP_OPT, INIT, MOUNT_PROC, PAUSE,
    PID_NS, REWRITE, TRACE, USER, VALUE0,
};
use crate::engine::{ns, Demo, Spec};
use crate::error::{self, Error, EXIT_FAILURE};
use crate::rt::argv::Argv;
use crate::rt::out::{out, say};
use crate::sys::{self, Errno};
use crate::text::Packed;

/// Help for `ns-tool mount --help`.
pub const HELP: Packed = t!("Usage: ns-tool mount [OPTIONS] [--] [COMMAND [ARGS...]]

A mount namespace: a tmpfs on DIR of its own, all mounts private,
COMMAND run there; the outside's stay as they were (docs/04-mount.md).

Options:
  --target DIR       the tmpfs's directory (default /mnt)
  --pid              also a PID namespace, COMMAND its PID 1
  pid's --user, --init, --mount-proc, -P, -g, -e, --rewrite, --trace
");

/// `mount`'s options.
const OPTS: Opts = Opts {
    names: t!("-h --help
--trace
--target
--pid
-r --user --map-root-user
--init
--mount-proc
-P --pause
-g --group
-e --exit-zero
--rewrite"),
    ids: &[
        HELP_OPT, TRACE, VALUE0, PID_NS, USER, INIT, MOUNT_PROC, PAUSE, GROUP, EXIT_ZERO, REWRITE,
    ],
};

static RECIPE: Recipe = Recipe {
    name: "mount",
    opts: &OPTS,
    help: HELP,
    demo: &DEMO,
    inner: CLONE_NEWNS,
    newpid: false,
    // mount(2) of "" fails with a less helpful ENOENT.
    check: |dir| !dir.is_empty(),
    bad: Wrong::EmptyTarget,
    ..super::pid::RECIPE
};

/// `mount [OPTIONS] [--] [COMMAND [ARGS...]]`.
pub fn parse(args: Cursor<'_>, trace: bool) -> Result<Command, Usage<'_>> {
    parse_run(args, trace, &RECIPE)
}

static DEMO: Demo = Demo {
    prepare,
    enter,
    forked: |_, _, _| {},
    ended,
    inside,
};

/// The tmpfs's directory when `--target` is not given: /mnt, which the
/// FHS keeps for a temporary mount, is on every usual system, is seldom a
/// mount point itself (where /tmp often is a tmpfs already, which would
/// blur the demonstration), and holds nothing COMMAND should miss.
const DEFAULT: &CStr = c"/mnt";

fn target(opts: &Spec, argv: &Argv) -> &'static CStr {
    opts.value(argv, 0).unwrap_or(DEFAULT)
}

/// In the parent, before the fork: a missing DIR is one clear line, with
/// nothing forked, unshared inside or mounted yet.
/// So is, for the demonstration, a mount table too big to compare (which
/// the child's, a line longer, would be too).
fn prepare(opts: &Spec, argv: &Argv) -> Result<(), Error> {
    let dir = target(opts, argv);
    sys::open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)
        .map_err(|e| Error::sys(t!("openat"), e).with_arg(dir.to_bytes()))?;
    if opts.command.is_none() && !opts.pause {
        read_table(0)?;
    }
    Ok(())
}

/// Inside, just unshared: make the tree private, so that the tmpfs does
/// not travel back to the outside's shared mounts, then mount it (before
/// COMMAND, too).
fn enter(opts: &Spec, argv: &Argv) -> Result<(), Error> {
    ns::make_private()?;
    sys::mount(
        Some(c"tmpfs"),
        target(opts, argv),
        Some(c"tmpfs"),
        MS_NODEV | MS_NOSUID,
    )
    .map_err(Error::ctx(t!("mount(tmpfs)")))
}

/// Room for a mount table, /proc/self/mountinfo.
const ROOM: usize = 16 * 1024;

/// A value only one thread touches: the parent's demonstration in
/// `forked`, then in `ended`, or the child's in `inside`.
struct Kept<T>(UnsafeCell<T>);
// SAFETY: ns-tool is single-threaded; see `Kept`.
unsafe impl<T> Sync for Kept<T> {}

/// Mount tables: the outside's when the child was forked, and the one
/// read last. Static (zeros: .bss, no room in the file), where 16 KiB on
/// the stack cost a probe loop in each function. Each is read once and
/// has no NUL, so two are the same tables if the same arrays.
static TABLES: Kept<[[u8; ROOM]; 2]> = Kept(UnsafeCell::new([[0; ROOM]; 2]));
/// Read this process's mount table into table `i`, then say `pre`, DIR,
/// `post` and the table's line of the mount on DIR (the last, which
/// covers any below), or that there is none.
fn look(i: usize, pre: Packed, dir: &CStr, post: Packed) -> Result<(), Error> {
    let (t, n) = read_table(i)?;
    let dir = dir.to_bytes();
    // The last line whose fifth field, the mount point, is DIR, found in
    // one pass: `k` bytes of the field so far, all DIR's (split iterators
    // and slices cost more code).
    let (mut start, mut field, mut k, mut same, mut hit) = (0, 0, 0, true, false);
    let mut line = &t[..0];
    for (j, &c) in t[..n].iter().enumerate() {
        if c == b' ' || c == b'\n' {
            hit |= field == 4 && same && k == dir.len();
            (field, k, same) = (field + 1, 0, true);
            if c == b'\n' {
                if hit {
                    line = &t[start..j];
                }
                (start, field, hit) = (j + 1, 0, false);
            }
        } else if field == 4 {
            same &= dir.get(k) == Some(&c);
            k += 1;
        }
    }
    out(|b| {
        b.p(pre).esc(dir).p(post);
        if line.is_empty() {
            b.p(t!("nothing mounted"));
        }
        b.esc(line);
    });
    Ok(())
}

/// Read this process's mount table into table `i`: the table, and its
/// length.
fn read_table(i: usize) -> Result<(&'static [u8; ROOM], usize), Error> {
    // SAFETY: see `Kept`; no other reference to the tables is live.
    let t = unsafe { &mut (*TABLES.0.get())[i] };
    sys::open(c"/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)
        .and_then(|fd| match sys::read_full(fd.raw(), t)? {
            // A full buffer may be a cut table: not worth comparing.
            ROOM => Err(Errno::EFBIG),
            n => Ok((&*t, n)),
        })
        .map_err(Error::ctx(t!("read(/proc/self/mountinfo)")))
}


fn inside(opts: &Spec, argv: &Argv) -> Result<i32, Error> {
    say(t!("=== Inside the mount namespace ==="));
    look(1, t!("On "), target(opts, argv), t!(" in namespace: "))?;
    say_link(t!("Mount namespace: "), c"/proc/self/ns/mnt");
    say(t!("==================================\n"));
    error::stdout_result().map(|()| 0)
}

fn ended(child: i32, status: sys::WaitStatus, opts: &Spec, argv: &Argv) -> Result<i32, Error> {
    let dir = target(opts, argv);
    look(1, t!("Parent: on "), dir, t!(" outside: "))?;
    say_link(t!("Parent: mount namespace outside: "), c"/proc/self/ns/mnt");
    let code = super::pid::parent_done(child, status, opts, argv)?;
    // SAFETY: see `Kept`.
    let [before, after] = unsafe { &*TABLES.0.get() };
    if before != after {
        say(t!("Parent: mount table outside: CHANGED while the child ran"));
        return Ok(EXIT_FAILURE);
    }
    say(t!("Parent: mount table outside: byte for byte as before"));
    error::stdout_result().map(|()| code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_directory_but_the_empty_word() {
        assert!((RECIPE.check)(b"/mnt"));
        assert!((RECIPE.check)(b"x"));
        assert!(!(RECIPE.check)(b""));
    }
}
