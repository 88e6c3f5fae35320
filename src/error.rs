//! Errors as values. A failed system call is wrapped with the operation that
//! needed it (and, where one helps, what the user can do about it) at the
//! place that knows; it is printed once, at the top, as one line.

use crate::rt::out;
use crate::sys::{names, Errno};
use crate::text::{Buf, Packed};

/// Exit status for a failed system call.
pub const EXIT_FAILURE: i32 = 1;
/// Exit status for a command line that does not make sense.
pub const EXIT_USAGE: i32 = 2;
/// Exit status for an execution the kernel marked secure (set-user-ID,
/// set-group-ID, file capabilities): ns-tool refuses to run at all.
pub const EXIT_SECURE: i32 = 3;

/// The call named when writing to standard output fails.
pub const WRITE_STDOUT: Packed = t!("write(stdout)");

/// Whether every line reached standard output; if not, the error.
pub fn stdout_result() -> Result<(), Error> {
    match out::stdout_failed() {
        None => Ok(()),
        Some(e) => Err(Error::sys(WRITE_STDOUT, e)),
    }
}

/// A system call that failed, with its context: a token that `?` passes
/// up in no room at all, while what to say about it waits in one slot
/// ([`Details`]). A process has one error at a time (each is returned or
/// reported as soon as it is made, before another can be), and ns-tool is
/// single-threaded, so one slot is enough; carried in the value, those 32
/// bytes cost code at every `?` and `map_err`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error(());

/// What an [`Error`] says.
struct Details {
    /// The call as the user should read it, e.g. `unshare(CLONE_NEWPID)`.
    call: Packed,
    /// What the kernel said.
    errno: Errno,
    /// The call's argument worth naming, e.g. the program given to execve.
    arg: Option<&'static [u8]>,
    /// `CLONE_*` flags the call was given, named as its argument (0:
    /// none), e.g. `unshare(CLONE_NEWUTS)`.
    flags: u32,
    /// What to do about it, if there is something to say.
    hint: Option<Packed>,
    /// A word from the system that completes the hint, e.g. the missing
    /// interpreter a script names: how many bytes of `kept`.
    detail: Option<u8>,
    /// A copy of the detail (there is no allocator).
    kept: [u8; 64],
    /// The exit status it leads to.
    code: i32,
}

/// The one slot of [`Details`].
struct Slot(core::cell::UnsafeCell<Details>);

// SAFETY: ns-tool is single-threaded (see `Error`).
unsafe impl Sync for Slot {}

/// The slot before any error: all zeros (None, errno 0), so that it takes
/// no room in the file (.bss, not .data).
// SAFETY: every field is valid as zeros: integers, a byte array, and
// Options (of a reference, zero is None; of a u16 and a u8, zero is the
// tag of a variant). Error::sys writes every field but `kept` before one
// is read.
const NONE: Details = unsafe { core::mem::zeroed() };

/// The slot; each thread has its own under `cargo test`, whose tests run
/// in threads.
fn details() -> &'static mut Details {
    #[cfg(not(test))]
    static SLOT: Slot = Slot(core::cell::UnsafeCell::new(NONE));
    #[cfg(test)]
    std::thread_local! {
        static SLOT: Slot = const { Slot(core::cell::UnsafeCell::new(NONE)) };
    }
    // SAFETY: one thread, and one error at a time, uses it; each
    // reference it hands out lives only in an Error method, which makes no
    // other error meanwhile.
    #[cfg(not(test))]
    return unsafe { &mut *SLOT.0.get() };
    #[cfg(test)]
    // SAFETY: as above; a test's thread outlives its errors.
    return SLOT.with(|s| unsafe { &mut *s.0.get() });
}

impl Error {
    /// `call` failed with `errno`. (Out of line: a call is smaller than
    /// filling the slot in place.)
    #[inline(never)]
    pub fn sys(call: Packed, errno: Errno) -> Self {
        let d = details();
        (d.call, d.errno, d.arg, d.flags, d.hint, d.detail, d.code) =
            (call, errno, None, 0, None, None, EXIT_FAILURE);
        Error(())
    }

    /// A closure for `map_err` that wraps an errno with `call`.
    pub fn ctx(call: Packed) -> impl Fn(Errno) -> Self {
        move |errno| Error::sys(call, errno)
    }

    /// Name the argument the call was made with, shown as `call(arg)`.
    #[inline(never)]
    pub fn with_arg(self, arg: &'static [u8]) -> Self {
        details().arg = Some(arg);
        self
    }

    /// Name the `CLONE_*` flags the call was given as its argument.
    pub fn with_flags(self, flags: u32) -> Self {
        details().flags = flags;
        self
    }

    /// Always add `hint`.
    #[inline(never)]
    pub fn hint(self, hint: Packed) -> Self {
        details().hint = Some(hint);
        self
    }

    /// Complete the hint with `detail` (a copy, cut to 64 bytes), shown
    /// after it.
    pub fn with_detail(self, detail: &[u8]) -> Self {
        let d = details();
        let n = detail.len().min(64);
        d.kept[..n].copy_from_slice(&detail[..n]);
        d.detail = Some(n as u8);
        self
    }

    /// Exit with `code` instead of 1.
    #[inline(never)]
    pub fn exit_with(self, code: i32) -> Self {
        details().code = code;
        self
    }

    /// Add `hint` if the error is `when`.
    #[inline(never)]
    pub fn hint_on(self, when: Errno, hint: Packed) -> Self {
        if self.errno() == when {
            details().hint = Some(hint);
        }
        self
    }

    /// What the kernel said.
    pub fn errno(&self) -> Errno {
        details().errno
    }

    /// Standard output's reader went away (`ns-tool pid | head -3`). A
    /// namespace's PID 1 gets EPIPE instead of a killing SIGPIPE; either
    /// way there is no one to tell.
    pub fn is_closed_stdout(&self) -> bool {
        details().call == WRITE_STDOUT && self.errno() == Errno::EPIPE
    }

    /// The process exit status this error leads to: normally 1; 128+SIGPIPE,
    /// as SIGPIPE would have made it, for a closed standard output.
    pub fn exit_code(&self) -> i32 {
        if self.is_closed_stdout() {
            128 + linux_raw_sys::general::SIGPIPE as i32
        } else {
            details().code
        }
    }

    /// Print the error as one line on stderr, `ns-tool: ...`, unless there
    /// is no one to tell, and return the exit status.
    pub fn report(&self) -> i32 {
        if !self.is_closed_stdout() {
            out::err(|b| {
                self.put(b.p(t!("ns-tool: ")));
            });
        }
        self.exit_code()
    }

    /// Write the error: `call(arg): Text (ENAME): hint detail`.
    pub fn put<'b>(&self, b: &'b mut Buf) -> &'b mut Buf {
        let d = details();
        b.p(d.call);
        if let Some(arg) = d.arg {
            b.byte(b'(').esc(arg).byte(b')');
        }
        if d.flags != 0 {
            b.byte(b'(');
            names::put_flags(b, d.flags.into(), names::CLONE);
            b.byte(b')');
        }
        b.p(t!(": "));
        names::put_errno_text(b, d.errno);
        if let Some(hint) = d.hint {
            b.p(t!(": ")).p(hint);
        }
        if let Some(n) = d.detail {
            b.byte(b' ').esc(&d.kept[..usize::from(n)]);
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error as its line shows it.
    fn format(e: Error) -> std::string::String {
        let mut b = Buf::new();
        e.put(&mut b);
        std::string::String::from_utf8(b.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn one_line_with_call_errno_and_hint() {
        let e = Error::sys(t!("unshare(CLONE_NEWPID)"), Errno::EPERM)
            .hint_on(Errno::EPERM, t!("run it with sudo"));
        assert_eq!(
            format(e),
            "unshare(CLONE_NEWPID): Operation not permitted (EPERM): run it with sudo"
        );
    }

    #[test]
    fn hint_only_for_its_errno() {
        let e = Error::sys(t!("fork"), Errno::EAGAIN).hint_on(Errno::EPERM, t!("nope"));
        assert_eq!(format(e), "fork: Try again (EAGAIN)");
        assert_eq!(e.exit_code(), EXIT_FAILURE);
    }

    #[test]
    fn argument_and_exit_status() {
        let e = Error::sys(t!("execve"), Errno::ENOENT)
            .with_arg(b"nosuch")
            .hint(t!("command not found"))
            .exit_with(127);
        assert_eq!(
            format(e),
            "execve(nosuch): No such file or directory (ENOENT): command not found"
        );
        assert_eq!(e.exit_code(), 127);
    }

    #[test]
    fn detail_completes_the_hint() {
        let e = Error::sys(t!("execve"), Errno::ENOENT)
            .hint(t!("the interpreter on its #! line was not found:"))
            .with_detail(b"/bin/nope");
        assert_eq!(
            format(e),
            "execve: No such file or directory (ENOENT): the interpreter on its #! line was \
             not found: /bin/nope"
        );
    }

    #[test]
    fn closed_stdout_exits_as_sigpipe_would() {
        let e = Error::sys(WRITE_STDOUT, Errno::EPIPE);
        assert!(e.is_closed_stdout());
        assert_eq!(e.exit_code(), 141);
        assert!(!Error::sys(WRITE_STDOUT, Errno::EBADF).is_closed_stdout());
    }
}
