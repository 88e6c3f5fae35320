//! The raw system-call layer, at the bottom of ns-tool: it imports nothing
//! above it (only `text`, the writer).
//!
//! Every request ns-tool makes of the kernel goes through [`call`] and
//! straight to the `syscall` instruction via the `syscalls` crate: no libc,
//! no wrapper with hidden state. Each system call is one row ([`Sys`], in
//! `rows.rs`: its name, its number on x86_64 and on aarch64, what ns-tool
//! uses it for) and each way ns-tool calls it one descriptor ([`Call`]:
//! the row, how to show its arguments and result). `--trace` and
//! `ns-tool syscalls` both read them, so the numbers are written once.
//! The typed wrappers, grouped by family (`process`, `signal`, `fs`,
//! `ns`, `cred`), each name their man page and numbers, and return
//! `Result<_, Errno>`; the caller, which knows what it was trying to do,
//! adds the context. Flag values and structures come from linux-raw-sys.

mod cred;
mod fs;
mod ipc;
pub mod names;
mod net;
mod ns;
mod process;
pub mod rows;
mod signal;
mod time;
pub mod trace;
mod uts;

pub use cred::*;
pub use fs::*;
pub use ipc::*;
pub use net::*;
pub use ns::*;
pub use process::*;
pub use signal::*;
pub use time::*;
pub use uts::*;

pub use syscalls::Errno;

pub use rows::Sys;

/// The number of a call an architecture lacks (aarch64 has no `fork`).
pub const NONE: u16 = u16::MAX;

/// How `--trace` shows one argument (the raw value, or what it points to).
/// One byte each, so a call's descriptor stays small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Arg {
    /// No more arguments to show.
    End,
    /// A signed decimal: a PID, a descriptor, a count.
    Int,
    /// `CLONE_*` flags by name (and clone(2)'s exit signal).
    CloneFlags,
    /// wait4's options by name.
    WaitFlags,
    /// `O_*` flags by name.
    OpenFlags,
    /// `MS_*` flags by name.
    MountFlags,

    /// rt_sigprocmask's `how` by name.
    How,
    /// A terminal ioctl by name.
    Ioctl,
    /// A prctl option by name.
    Prctl,
    /// A reboot(2) magic number or command by name.
    Reboot,
    /// waitid's `idtype` by name.
    Idtype,

    /// A signal by name.
    Sig,
    /// A pointer to a 64-bit signal set: `[SIGINT ...]`, or `NULL`.
    SigSet,
    /// A pointer to a C string, quoted, or `NULL`.
    Str,
    /// A pointer to bytes, argument 2 their length (write): the first 32,
    /// quoted.
    Bytes,
    /// A pointer to bytes the call filled, as many as it returned, quoted.
    Got,
    /// A buffer not worth showing: `..`.
    Skip,
    /// Always NULL: `NULL`.
    Null,
    /// The `dirfd` of the `*at` calls; always AT_FDCWD here.
    AtFdcwd,
    /// wait4's status out-pointer: `[exited 0]`, or `..` if none came.
    Status,
    /// pipe2's `int[2]` out-pointer: `[3, 4]`.
    Fds,
    /// execve's argv: `["sh", "-c", ..]`, at most four words.
    Argv,
    /// execve's environment: `envp`.
    Envp,
    /// A pointer to an int: `[N]`.
    IntPtr,
    /// A kernel `struct sigaction` pointer: `{SIG_DFL}`, `{SIG_IGN}`, or
    /// `NULL`.
    Action,
    /// A `struct timespec` pointer: `{s, ns}`, or `NULL`.
    Timeout,
    /// The siginfo handed to rt_sigqueueinfo.
    Queued,
    /// capget's data, as it filled it: `{effective, permitted,
    /// inheritable}`, 64-bit masks.
    Caps,
    /// clone3's `struct clone_args`: `{flags=.., exit_signal=SIGCHLD}`
    /// (the pidfd shows in the calls that use it).
    CloneArgs,
    /// uname's struct, as it filled it: `{nodename="..", ..}`.
    Utsname,
    /// waitid's siginfo, as it filled it: `[exited 0]`, as wait4's
    /// status, or `{}` if the child had not changed.
    ChildInfo,
}

/// How `--trace` shows a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Ret {
    /// The value, or `-1 ENAME (text)`.
    Int,
    /// The call does not return on success: its line is printed before,
    /// with `= ?`, and again after if it failed.
    NoReturn,
    /// fork: in the child (0) the trace names it "child of ...".
    Fork,
    /// getpid: the first answer names the process in the trace.
    SelfPid,
    /// rt_sigtimedwait: the signal and who sent it, from the siginfo that
    /// argument 1 points to.
    Signal,
}

/// One way of calling a system call: its row, and how to show it.
#[derive(Debug)]
pub struct Call {
    /// The system call.
    pub sys: Sys,
    /// How to show each argument, [`Arg::End`] after the last one shown.
    pub args: [Arg; 5],
    /// How to show the result.
    pub ret: Ret,
}

/// The argument list of a [`Call`]: up to five kinds, the rest `End`.
macro_rules! args {
    () => {
        [Arg::End; 5]
    };
    ($a:ident) => {
        [Arg::$a, Arg::End, Arg::End, Arg::End, Arg::End]
    };
    ($a:ident, $b:ident) => {
        [Arg::$a, Arg::$b, Arg::End, Arg::End, Arg::End]
    };
    ($a:ident, $b:ident, $c:ident) => {
        [Arg::$a, Arg::$b, Arg::$c, Arg::End, Arg::End]
    };
    ($a:ident, $b:ident, $c:ident, $d:ident) => {
        [Arg::$a, Arg::$b, Arg::$c, Arg::$d, Arg::End]
    };
    ($a:ident, $b:ident, $c:ident, $d:ident, $e:ident) => {
        [Arg::$a, Arg::$b, Arg::$c, Arg::$d, Arg::$e]
    };
}
use args;

/// Make the system call `c` with arguments `a` (unused ones zero), and
/// trace it if `--trace` is on. No call ns-tool makes has a sixth argument.
///
/// # Safety
/// The arguments must be what the kernel expects for this call: pointers
/// valid for what it reads and writes. The trace reads them too, after
/// the call (before it, for a call that does not return).
#[inline(always)]
pub unsafe fn call(c: &'static Call, a: [usize; 6]) -> Result<usize, Errno> {
    debug_assert_eq!(a[5], 0);
    // In registers, not an array each call site fills in memory, and the
    // raw return: a Result would come back through memory (size).
    // SAFETY: as the caller vouches.
    Errno::from_ret(unsafe { call5(c, a[0], a[1], a[2], a[3], a[4]) })
}

/// [`call`], its arguments one by one; returns what the kernel did.
#[inline(never)]
unsafe fn call5(c: &'static Call, a0: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> usize {
    let a = [a0, a1, a2, a3, a4, 0];
    let traced = trace::enabled();
    if traced && c.ret == Ret::NoReturn {
        // SAFETY: the caller vouches for the arguments.
        unsafe { trace::line(c, &a, None) };
    }
    // SAFETY: the caller vouches for the arguments; unused ones are 0.
    let raw = unsafe { syscalls::raw::syscall5(usize::from(c.sys.nr()), a0, a1, a2, a3, a4) };
    let r = Errno::from_ret(raw);
    match (c.ret, r) {
        (Ret::Fork, Ok(0)) => trace::forked_child(),
        (Ret::SelfPid, Ok(pid)) if traced => trace::learned_pid(pid),
        _ => {}
    }
    if traced && (c.ret != Ret::NoReturn || r.is_err()) {
        // SAFETY: as above.
        unsafe { trace::line(c, &a, Some(r)) };
    }
    raw
}

/// An owned file descriptor, closed when dropped.
#[derive(Debug)]
pub struct Fd(i32);

impl Fd {
    /// Own descriptor `fd`, which the kernel handed over (a pidfd).
    pub fn own(fd: i32) -> Fd {
        Fd(fd)
    }

    /// The descriptor number.
    pub fn raw(&self) -> i32 {
        self.0
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        // close(2) says not to retry on error: the descriptor is gone anyway.
        let _ = close(self.0);
    }
}

/// A pointer or NULL, as a system call argument.
fn opt_ptr<T: ?Sized>(p: Option<&T>) -> usize {
    p.map_or(0, |p| p as *const T as *const u8 as usize)
}

/// A signed value as a system call argument (the kernel sign-extends).
const fn int(v: i32) -> usize {
    v as isize as usize
}
