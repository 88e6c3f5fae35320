//! Errors as values. A failed system call is wrapped with the operation that
//! needed it (and, where one helps, what the user can do about it) at the
//! place that knows; it is printed once, at the top, as one line.

use core::fmt;

use crate::out::{ErrnoText, Escaped};
use crate::sys::Errno;

/// Exit status for a failed system call.
pub const EXIT_FAILURE: i32 = 1;
/// Exit status for a command line that does not make sense.
pub const EXIT_USAGE: i32 = 2;

/// The call named when writing to standard output fails.
pub const WRITE_STDOUT: &str = "write(stdout)";

/// A system call that failed, with its context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error {
    /// The call as the user should read it, e.g. `unshare(CLONE_NEWPID)`.
    pub call: &'static str,
    /// What the kernel said.
    pub errno: Errno,
    /// The call's argument worth naming, e.g. the program given to execve.
    pub arg: Option<&'static [u8]>,
    /// What to do about it, if there is something to say.
    pub hint: Option<&'static str>,
    /// A word from the system that completes the hint, e.g. the missing
    /// interpreter a script names (kept inline: no allocator).
    pub detail: Detail,
    /// The exit status it leads to.
    pub code: i32,
}

/// A short byte string held inline, cut at [`Detail::MAX`] bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail {
    buf: [u8; Detail::MAX],
    len: u8,
}

impl Detail {
    /// The longest detail kept.
    pub const MAX: usize = 48;

    /// No detail.
    pub const NONE: Detail = Detail {
        buf: [0; Detail::MAX],
        len: 0,
    };

    /// A copy of `bytes`; longer than [`Detail::MAX`], it is cut and
    /// ends in `...`.
    pub fn of(bytes: &[u8]) -> Detail {
        let mut d = Detail::NONE;
        let n = bytes.len().min(Detail::MAX);
        d.buf[..n].copy_from_slice(&bytes[..n]);
        if n < bytes.len() {
            d.buf[n - 3..n].copy_from_slice(b"...");
        }
        d.len = n as u8;
        d
    }

    /// The bytes held.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

impl Error {
    /// `call` failed with `errno`.
    pub fn sys(call: &'static str, errno: Errno) -> Self {
        Error {
            call,
            errno,
            arg: None,
            hint: None,
            detail: Detail::NONE,
            code: EXIT_FAILURE,
        }
    }

    /// A closure for `map_err` that wraps an errno with `call`.
    pub fn ctx(call: &'static str) -> impl Fn(Errno) -> Self {
        move |errno| Error::sys(call, errno)
    }

    /// Name the argument the call was made with, shown as `call(arg)`.
    pub fn with_arg(mut self, arg: &'static [u8]) -> Self {
        self.arg = Some(arg);
        self
    }

    /// Always add `hint`.
    pub fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }

    /// Complete the hint with `detail`, shown after it.
    pub fn with_detail(mut self, detail: &[u8]) -> Self {
        self.detail = Detail::of(detail);
        self
    }

    /// Exit with `code` instead of 1.
    pub fn exit_with(mut self, code: i32) -> Self {
        self.code = code;
        self
    }

    /// Add `hint` if the error is `when`.
    pub fn hint_on(mut self, when: Errno, hint: &'static str) -> Self {
        if self.errno == when {
            self.hint = Some(hint);
        }
        self
    }

    /// Standard output's reader went away (`ns-tool pid | head -3`). A
    /// namespace's PID 1 gets EPIPE instead of a killing SIGPIPE; either
    /// way there is no one to tell.
    pub fn is_closed_stdout(&self) -> bool {
        self.call == WRITE_STDOUT && self.errno == Errno::EPIPE
    }

    /// The process exit status this error leads to: normally 1; 128+SIGPIPE,
    /// as SIGPIPE would have made it, for a closed standard output.
    pub fn exit_code(&self) -> i32 {
        if self.is_closed_stdout() {
            128 + linux_raw_sys::general::SIGPIPE as i32
        } else {
            self.code
        }
    }

    /// Print the error as one line on stderr (prefixed with `who`, e.g.
    /// `ns-tool` or `ns-tool: child`) unless there is no one to tell, and
    /// return the exit status.
    pub fn report(&self, who: &str) -> i32 {
        if !self.is_closed_stdout() {
            let _ = crate::errln!("{who}: {self}");
        }
        self.exit_code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.call)?;
        if let Some(arg) = self.arg {
            write!(f, "({})", Escaped(arg))?;
        }
        write!(f, ": {}", ErrnoText(self.errno))?;
        if let Some(hint) = self.hint {
            write!(f, ": {hint}")?;
        }
        if !self.detail.as_bytes().is_empty() {
            write!(f, " {}", Escaped(self.detail.as_bytes()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn one_line_with_call_errno_and_hint() {
        let e = Error::sys("unshare(CLONE_NEWPID)", Errno::EPERM)
            .hint_on(Errno::EPERM, "run it with sudo");
        assert_eq!(
            format!("{e}"),
            "unshare(CLONE_NEWPID): Operation not permitted (EPERM): run it with sudo"
        );
    }

    #[test]
    fn hint_only_for_its_errno() {
        let e = Error::sys("fork", Errno::EAGAIN).hint_on(Errno::EPERM, "nope");
        assert_eq!(format!("{e}"), "fork: Try again (EAGAIN)");
        assert_eq!(e.exit_code(), EXIT_FAILURE);
    }

    #[test]
    fn argument_and_exit_status() {
        let e = Error::sys("execve", Errno::ENOENT)
            .with_arg(b"nosuch")
            .hint("command not found")
            .exit_with(127);
        assert_eq!(
            format!("{e}"),
            "execve(nosuch): No such file or directory (ENOENT): command not found"
        );
        assert_eq!(e.exit_code(), 127);
    }

    #[test]
    fn detail_completes_the_hint_and_is_cut_when_long() {
        let e = Error::sys("execve", Errno::ENOENT)
            .hint("the interpreter on its #! line was not found:")
            .with_detail(b"/bin/nope");
        assert_eq!(
            format!("{e}"),
            "execve: No such file or directory (ENOENT): the interpreter on its #! line was \
             not found: /bin/nope"
        );
        let long = [b'x'; 100];
        let d = Detail::of(&long);
        assert_eq!(d.as_bytes().len(), Detail::MAX);
        assert!(d.as_bytes().ends_with(b"x..."));
    }

    #[test]
    fn closed_stdout_exits_as_sigpipe_would() {
        let e = Error::sys(WRITE_STDOUT, Errno::EPIPE);
        assert!(e.is_closed_stdout());
        assert_eq!(e.exit_code(), 141);
        assert!(!Error::sys(WRITE_STDOUT, Errno::EBADF).is_closed_stdout());
    }
}
