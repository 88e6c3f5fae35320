//! `ns-tool ipc`: an IPC namespace, System V message queues, semaphore
//! sets and shared memory of its own. The parent creates one object of
//! each kind outside; the namespace's first process unshares
//! CLONE_NEWIPC and sees none of them; the parent removes them at the end,
//! whatever the child did (docs/03-uts-ipc.md).

use core::cell::UnsafeCell;
use core::ffi::CStr;

use linux_raw_sys::general::{CLONE_NEWIPC, O_CLOEXEC, O_RDONLY};

use super::pid::{parse_run, say_link, Recipe};
use crate::cli::{Command, Cursor, Usage};
use crate::engine::{Demo, Spec};
use crate::error::{self, Error, EXIT_FAILURE};
use crate::rt::argv::Argv;
use crate::rt::out::{out, say};
use crate::sys::names::put_errno_text;
use crate::sys::{self, Errno, KINDS};
use crate::text::Packed;

/// Help for `ns-tool ipc --help`.
pub const HELP: Packed = t!("Usage: ns-tool ipc [OPTIONS] [--] [COMMAND [ARGS...]]

An IPC namespace: message queues, semaphores, shared memory of its own;
without COMMAND, seen from both sides (docs/03-uts-ipc.md).

Options:
  --pid  also a PID namespace, COMMAND its PID 1
  pid's --user, --init, --mount-proc, -P, -g, -e, --rewrite, --trace
");

/// `--pid` and pid's options, no values.
static RECIPE: Recipe = Recipe {
    name: "ipc",
    opts: &super::pid::NS_OPTS,
    help: HELP,
    demo: &DEMO,
    inner: CLONE_NEWIPC,
    newpid: false,
    ..super::pid::RECIPE
};

/// `ipc [OPTIONS] [--] [COMMAND [ARGS...]]`.
pub fn parse(args: Cursor<'_>, trace: bool) -> Result<Command, Usage<'_>> {
    parse_run(args, trace, &RECIPE)
}

static DEMO: Demo = Demo {
    prepare: crate::engine::nothing,
    enter: crate::engine::nothing,
    forked,
    ended,
    inside,
};

/// By kind (src/sys/ipc.rs's order): the count line's label, the file
/// in /proc/sysvipc that lists the objects of the reader's IPC namespace,
/// the calls that create and remove one (for error lines).
const LABELS: [Packed; KINDS] = [
    t!("Message queues: "),
    t!("Semaphores: "),
    t!("Shared memory: "),
];
/// The files, as C strings of one length: three `&CStr`s would be 48 B
/// of pointers more.
static LISTS: [[u8; 18]; KINDS] = [
    *b"/proc/sysvipc/msg\0",
    *b"/proc/sysvipc/sem\0",
    *b"/proc/sysvipc/shm\0",
];
const GETS: [Packed; KINDS] = [t!("msgget"), t!("semget"), t!("shmget")];
const CTLS: [Packed; KINDS] = [t!("msgctl"), t!("semctl"), t!("shmctl")];

/// The objects the parent created outside: the first `made` of `ids`, by
/// kind (fewer than [`KINDS`] if a call failed). None until `forked`.
struct Made {
    ids: [i32; KINDS],
    made: usize,
}
struct Objects(UnsafeCell<Made>);
// SAFETY: ns-tool is single-threaded; only the parent's demonstration
// touches it, in `forked`, then in `ended`.
unsafe impl Sync for Objects {}
static OBJECTS: Objects = Objects(UnsafeCell::new(Made {
    ids: [0; KINDS],
    made: 0,
}));

/// `what`, then a line per kind: how many objects of it the caller's IPC
/// namespace has.
fn counts(what: Packed) {
    say(what);
    for kind in 0..KINDS {
        // SAFETY: each of LISTS is a C string (checking would inline a
        // whole memchr).
        let n = count(unsafe { CStr::from_bytes_with_nul_unchecked(&LISTS[kind]) });
        out(|b| {
            b.p(LABELS[kind]);
            match n {
                Ok(n) => {
                    b.udec(n as u64);
                }
                Err(e) => put_errno_text(b, e),
            }
        });
    }
}

/// The lines of `list` but its header: one per object.
fn count(list: &CStr) -> Result<usize, Errno> {
    let fd = sys::open(list, O_RDONLY | O_CLOEXEC)?;
    let mut buf = [0u8; 1024];
    let mut lines = 0;
    loop {
        match sys::read(fd.raw(), &mut buf)? {
            0 => return Ok(lines - 1),
            n => lines += buf.iter().take(n).filter(|&&c| c == b'\n').count(),
        }
    }
}

/// Before the child is released: one object of each kind outside.
// Indexes, not iterators: an iterator measured 59 B more (in `ended`).
#[allow(clippy::needless_range_loop)]
fn forked(_: i32, _: &Spec, _: &Argv) {
    // SAFETY: see `Objects`.
    let o = unsafe { &mut *OBJECTS.0.get() };
    counts(t!("Parent: outside, before:"));
    for kind in 0..KINDS {
        match sys::ipc_create(kind) {
            Ok(id) => o.ids[kind] = id,
            Err(e) => {
                Error::sys(GETS[kind], e)
                    .hint_on(
                        Errno::ENOSPC,
                        t!("an IPC limit was reached (sysctl kernel.msgmni, kernel.sem, kernel.shmmni)"),
                    )
                    .report();
                return;
            }
        }
        o.made = kind + 1;
    }
    counts(t!("Parent: outside, with one of each (msgget, semget, shmget):"));
    say_link(t!("Parent: IPC namespace outside: "), c"/proc/self/ns/ipc");
}

fn inside(_: &Spec, _: &Argv) -> Result<i32, Error> {
    say(t!(""));
    counts(t!("=== Inside the IPC namespace ==="));
    say_link(t!("IPC namespace: "), c"/proc/self/ns/ipc");
    say(t!("================================"));
    say(t!(""));
    error::stdout_result().map(|()| 0)
}

/// Remove what `forked` created, whatever became of the child, then show
/// the outside as it was.
#[allow(clippy::needless_range_loop)]
fn ended(child: i32, status: sys::WaitStatus, opts: &Spec, argv: &Argv) -> Result<i32, Error> {
    // SAFETY: see `Objects`.
    let o = unsafe { &*OBJECTS.0.get() };
    let mut failed = o.made < KINDS;
    for kind in 0..o.made {
        if let Err(e) = sys::ipc_remove(kind, o.ids[kind]) {
            Error::sys(CTLS[kind], e).report();
            failed = true;
        }
    }
    counts(t!("Parent: outside, after removing them (IPC_RMID):"));
    let code = super::pid::parent_done(child, status, opts, argv)?;
    Ok(if failed { EXIT_FAILURE } else { code })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_list_is_one_c_string() {
        for (list, kind) in LISTS.iter().zip(["msg", "sem", "shm"]) {
            let c = CStr::from_bytes_with_nul(list).expect("one NUL, at the end");
            assert_eq!(c.to_bytes(), format!("/proc/sysvipc/{kind}").as_bytes());
        }
    }
}
