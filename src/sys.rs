//! The raw system call layer.
//!
//! Every request ns-tool makes of the kernel goes through this module and
//! straight to the `syscall` instruction via the `syscalls` crate: no libc,
//! no wrapper with hidden state. Each wrapper names its man page and its
//! syscall number on x86_64 and aarch64 (the numbers differ; aarch64 uses the
//! generic table and lacks the legacy calls such as `fork` and `readlink`).
//! Flag values and kernel structures come from `linux-raw-sys`.
//!
//! Failures come back as `Err(Errno)`; the caller, which knows what it was
//! trying to do, adds the context.

use core::ffi::CStr;

pub use syscalls::Errno;
use syscalls::{raw, syscall1, syscall2, syscall3, syscall4, Sysno};

use crate::trace::{self, Flags, Quoted, Sig, SigSetText};
use crate::traced;

/// Flag names for traces, from linux-raw-sys.
mod names {
    use linux_raw_sys::general as g;

    pub const CLONE: &[(u64, &str)] = &[
        (g::CLONE_NEWUSER as u64, "CLONE_NEWUSER"),
        (g::CLONE_NEWPID as u64, "CLONE_NEWPID"),
        (g::CLONE_NEWNS as u64, "CLONE_NEWNS"),
        (g::CLONE_NEWUTS as u64, "CLONE_NEWUTS"),
        (g::CLONE_NEWIPC as u64, "CLONE_NEWIPC"),
        (g::CLONE_NEWNET as u64, "CLONE_NEWNET"),
        (g::CLONE_NEWCGROUP as u64, "CLONE_NEWCGROUP"),
    ];
    pub const WAIT: &[(u64, &str)] = &[
        (g::WNOHANG as u64, "WNOHANG"),
        (g::WUNTRACED as u64, "WUNTRACED"),
        (g::WUNTRACED as u64, "WUNTRACED"),
        (g::__WALL as u64, "__WALL"),
    ];
    pub const OPEN: &[(u64, &str)] = &[
        (g::O_WRONLY as u64, "O_WRONLY"),
        (g::O_RDWR as u64, "O_RDWR"),
        (g::O_DIRECTORY as u64, "O_DIRECTORY"),
        (g::O_PATH as u64, "O_PATH"),
        (g::O_CLOEXEC as u64, "O_CLOEXEC"),
    ];
    pub const MOUNT: &[(u64, &str)] = &[
        (g::MS_NOSUID as u64, "MS_NOSUID"),
        (g::MS_NODEV as u64, "MS_NODEV"),
        (g::MS_NOEXEC as u64, "MS_NOEXEC"),
        (g::MS_REC as u64, "MS_REC"),
        (g::MS_PRIVATE as u64, "MS_PRIVATE"),
    ];
}

/// An owned file descriptor, closed when dropped.
#[derive(Debug)]
pub struct Fd(i32);

impl Fd {
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

/// [unshare(2)]: move the caller into new namespaces given by `CLONE_NEW*`
/// flags. For `CLONE_NEWPID` the caller itself stays where it is; only its
/// children made afterwards are born in the new PID namespace.
///
/// Syscall number: x86_64 272, aarch64 97.
///
/// Errors: `EPERM` without `CAP_SYS_ADMIN` in the owning user namespace,
/// `EINVAL` for bad flags, `ENOSPC` when a namespace limit is reached,
/// `ENOMEM`.
///
/// [unshare(2)]: https://man7.org/linux/man-pages/man2/unshare.2.html
pub fn unshare(flags: u32) -> Result<(), Errno> {
    // SAFETY: unshare takes a plain integer and touches no user memory.
    let r = unsafe { syscall1(Sysno::unshare, flags as usize) };
    traced!(
        Sysno::unshare,
        r,
        "unshare({})",
        Flags(flags.into(), names::CLONE)
    );
    r.map(drop)
}

/// Which side of a fork this process is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fork {
    /// The new process.
    Child,
    /// The original process; holds the child's PID as seen from here.
    Parent(i32),
}

/// [fork(2)]: create a child process, a copy of this one.
///
/// Syscall number: x86_64 `fork` 57. aarch64 has no `fork`; there it is
/// [clone(2)] 220 with only `SIGCHLD` as flags, which is what fork means.
///
/// Errors: `EAGAIN` (process limit, `RLIMIT_NPROC`), `ENOMEM` (also when the
/// PID namespace's init has already exited).
///
/// Sound only because ns-tool is single-threaded and has no libc whose state
/// a child could inherit half-updated.
///
/// [fork(2)]: https://man7.org/linux/man-pages/man2/fork.2.html
/// [clone(2)]: https://man7.org/linux/man-pages/man2/clone.2.html
pub fn fork() -> Result<Fork, Errno> {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: fork takes no arguments; the process is single-threaded.
    let ret = unsafe { syscalls::syscall0(Sysno::fork) };
    #[cfg(not(target_arch = "x86_64"))]
    // SAFETY: all five clone arguments are passed (flags, stack, parent_tid,
    // tls, child_tid on aarch64); with a null stack the child runs on a copy
    // of ours, like fork.
    let ret = unsafe {
        syscalls::syscall5(
            Sysno::clone,
            linux_raw_sys::general::SIGCHLD as usize,
            0,
            0,
            0,
            0,
        )
    };
    if ret == Ok(0) {
        trace::forked_child();
    }
    #[cfg(target_arch = "x86_64")]
    traced!(Sysno::fork, ret, "fork()");
    #[cfg(not(target_arch = "x86_64"))]
    traced!(Sysno::clone, ret, "clone(SIGCHLD, NULL, NULL, NULL, NULL)");
    Ok(match ret? {
        0 => Fork::Child,
        pid => Fork::Parent(pid as i32),
    })
}

/// [getpid(2)]: this process's PID in its own PID namespace. Never fails.
///
/// Syscall number: x86_64 39, aarch64 172.
///
/// [getpid(2)]: https://man7.org/linux/man-pages/man2/getpid.2.html
pub fn getpid() -> i32 {
    // SAFETY: no arguments, no memory.
    let pid = unsafe { raw::syscall0(Sysno::getpid as usize) };
    if trace::enabled() {
        trace::learned_pid(pid);
    }
    traced!(Sysno::getpid, Ok::<usize, Errno>(pid), "getpid()");
    pid as i32
}

/// [getppid(2)]: the parent's PID as seen from this process's namespace; 0
/// when the parent lives in an ancestor namespace. Never fails.
///
/// Syscall number: x86_64 110, aarch64 173.
///
/// [getppid(2)]: https://man7.org/linux/man-pages/man2/getppid.2.html
pub fn getppid() -> i32 {
    // SAFETY: no arguments, no memory.
    let pid = unsafe { raw::syscall0(Sysno::getppid as usize) };
    traced!(Sysno::getppid, Ok::<usize, Errno>(pid), "getppid()");
    pid as i32
}

/// How a child ended, decoded from a wait status word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStatus {
    /// `exit(code)`.
    Exited(u8),
    /// Killed by this signal.
    Signaled(u8),
    /// Stopped by this signal (reported only with `WUNTRACED`).
    Stopped(u8),
    /// Anything else (continued: ns-tool never asks), kept raw.
    Other(i32),
}

impl WaitStatus {
    /// Decode the status word the way `WIFEXITED`/`WIFSIGNALED` do.
    pub fn from_raw(status: i32) -> Self {
        let sig = status & 0x7f;
        if sig == 0 {
            WaitStatus::Exited(((status >> 8) & 0xff) as u8)
        } else if sig != 0x7f {
            // 0x7f in the low bits means stopped, not killed.
            WaitStatus::Signaled(sig as u8)
        } else if status & 0xffff0000u32 as i32 == 0 {
            WaitStatus::Stopped(((status >> 8) & 0xff) as u8)
        } else {
            WaitStatus::Other(status)
        }
    }
}

/// [wait4(2)]: wait for child `pid` to change state and collect it, so it
/// does not linger as a zombie. `options` are `W*` flags.
///
/// Syscall number: x86_64 61, aarch64 260.
///
/// Errors: `ECHILD` (no such child), `EINTR` (a signal arrived first; the
/// caller retries), `EINVAL`.
///
/// [wait4(2)]: https://man7.org/linux/man-pages/man2/wait4.2.html
pub fn wait4(pid: i32, options: u32) -> Result<(i32, WaitStatus), Errno> {
    let mut status: i32 = 0;
    // SAFETY: `status` is a live, writable i32; rusage is null (not wanted).
    let ret = unsafe {
        syscall4(
            Sysno::wait4,
            pid as isize as usize,
            &mut status as *mut i32 as usize,
            options as usize,
            0,
        )
    };
    if trace::enabled() {
        let shown = StatusText(ret.is_ok() && ret != Ok(0), WaitStatus::from_raw(status));
        trace::line(
            Sysno::wait4,
            format_args!(
                "wait4({pid}, {shown}, {}, NULL)",
                Flags(options.into(), names::WAIT)
            ),
            &trace::Ret(&ret),
        );
    }
    Ok((ret? as i32, WaitStatus::from_raw(status)))
}

/// [write(2)]: write some of `buf` to `fd`; returns how much was written.
///
/// Syscall number: x86_64 1, aarch64 64.
///
/// Errors: `EPIPE` (reader gone), `EBADF` (fd closed), `EINTR`, `EAGAIN`.
///
/// [write(2)]: https://man7.org/linux/man-pages/man2/write.2.html
pub fn write(fd: i32, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: the pointer and length describe a live byte slice.
    let r = unsafe { syscall3(Sysno::write, fd as usize, buf.as_ptr() as usize, buf.len()) };
    traced!(
        Sysno::write,
        r,
        "write({fd}, {}, {})",
        Quoted(&buf[..buf.len().min(32)]),
        buf.len()
    );
    r
}

/// Write all of `buf`, retrying after short writes and `EINTR`.
pub fn write_all(fd: i32, mut buf: &[u8]) -> Result<(), Errno> {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => buf = &buf[n..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// [read(2)]: read up to `buf.len()` bytes; `Ok(0)` means end of file.
///
/// Syscall number: x86_64 0, aarch64 63.
///
/// Errors: `EINTR`, `EBADF`, `EIO`.
///
/// [read(2)]: https://man7.org/linux/man-pages/man2/read.2.html
pub fn read(fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: the pointer and length describe a live, writable byte slice.
    let r = unsafe {
        syscall3(
            Sysno::read,
            fd as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    };
    traced!(Sysno::read, r, "read({fd}, .., {})", buf.len());
    r
}

/// Read until `buf` is full or end of file, retrying after `EINTR`;
/// returns the number of bytes read.
pub fn read_full(fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut filled = 0;
    while filled < buf.len() {
        match read(fd, &mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// [close(2)]: release a descriptor. Use [`Fd`], which calls this on drop.
///
/// Syscall number: x86_64 3, aarch64 57.
///
/// [close(2)]: https://man7.org/linux/man-pages/man2/close.2.html
fn close(fd: i32) -> Result<(), Errno> {
    // SAFETY: plain integer argument.
    let r = unsafe { syscall1(Sysno::close, fd as usize) };
    traced!(Sysno::close, r, "close({fd})");
    r.map(drop)
}

/// [openat(2)]: open `path` (relative to the working directory) with `O_*`
/// `flags`, read-only use only (no mode argument).
///
/// Syscall number: x86_64 257, aarch64 56 (aarch64 has no plain `open`).
///
/// Errors: `ENOENT` (e.g. /proc not mounted), `EACCES`, `EMFILE`.
///
/// [openat(2)]: https://man7.org/linux/man-pages/man2/openat.2.html
pub fn open(path: &CStr, flags: u32) -> Result<Fd, Errno> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    let fd = unsafe {
        syscall3(
            Sysno::openat,
            linux_raw_sys::general::AT_FDCWD as isize as usize,
            path.as_ptr() as usize,
            flags as usize,
        )
    };
    traced!(
        Sysno::openat,
        fd,
        "openat(AT_FDCWD, {}, {})",
        Quoted(path.to_bytes()),
        Flags(flags.into(), names::OPEN)
    );
    Ok(Fd(fd? as i32))
}

/// [readlinkat(2)]: the target of symbolic link `path`, written into `buf`;
/// returns its length (not NUL-terminated; truncated if `buf` is short).
///
/// Syscall number: x86_64 267, aarch64 78 (aarch64 has no plain `readlink`).
///
/// Errors: `ENOENT`, `EINVAL` (not a link), `EACCES`.
///
/// [readlinkat(2)]: https://man7.org/linux/man-pages/man2/readlinkat.2.html
pub fn readlink(path: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `path` is NUL-terminated; `buf` is live and writable.
    let r = unsafe {
        syscall4(
            Sysno::readlinkat,
            linux_raw_sys::general::AT_FDCWD as isize as usize,
            path.as_ptr() as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    };
    let got = &buf[..*r.as_ref().unwrap_or(&0)];
    traced!(
        Sysno::readlinkat,
        r,
        "readlinkat(AT_FDCWD, {}, {}, {})",
        Quoted(path.to_bytes()),
        Quoted(got),
        buf.len()
    );
    r
}

/// [pipe2(2)]: a new pipe as (read end, write end), with `O_*` `flags`
/// such as `O_CLOEXEC`.
///
/// Syscall number: x86_64 293, aarch64 59.
///
/// Errors: `EMFILE`, `ENFILE`.
///
/// [pipe2(2)]: https://man7.org/linux/man-pages/man2/pipe2.2.html
pub fn pipe(flags: u32) -> Result<(Fd, Fd), Errno> {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a live, writable int[2] as pipe2 expects.
    let r = unsafe { syscall2(Sysno::pipe2, fds.as_mut_ptr() as usize, flags as usize) };
    traced!(
        Sysno::pipe2,
        r,
        "pipe2([{}, {}], {})",
        fds[0],
        fds[1],
        Flags(flags.into(), names::OPEN)
    );
    r?;
    Ok((Fd(fds[0]), Fd(fds[1])))
}

/// [exit_group(2)]: end this process (all its threads) with `code`.
///
/// Syscall number: x86_64 231, aarch64 94.
///
/// [exit_group(2)]: https://man7.org/linux/man-pages/man2/exit_group.2.html
pub fn exit_group(code: i32) -> ! {
    if trace::enabled() {
        trace::entry(Sysno::exit_group, format_args!("exit_group({code})"));
    }
    // SAFETY: does not return; no memory involved.
    unsafe { raw::syscall1(Sysno::exit_group as usize, code as usize) };
    // The kernel never returns from exit_group; satisfy the type checker.
    #[allow(clippy::empty_loop)]
    loop {}
}

/// [kill(2)]: send signal `sig` to process `pid`.
///
/// Syscall number: x86_64 62, aarch64 129.
///
/// Errors: `ESRCH` (no such process, e.g. already reaped), `EPERM`,
/// `EINVAL`.
///
/// [kill(2)]: https://man7.org/linux/man-pages/man2/kill.2.html
pub fn kill(pid: i32, sig: u32) -> Result<(), Errno> {
    // SAFETY: plain integer arguments.
    let r = unsafe { syscall2(Sysno::kill, pid as isize as usize, sig as usize) };
    traced!(Sysno::kill, r, "kill({pid}, {})", Sig(sig));
    r.map(drop)
}

/// [prctl(2)] with one argument, e.g. `PR_SET_PDEATHSIG, SIGKILL`.
///
/// Syscall number: x86_64 157, aarch64 167.
///
/// Errors: `EINVAL` (unknown option or bad value).
///
/// [prctl(2)]: https://man7.org/linux/man-pages/man2/prctl.2.html
pub fn prctl(option: u32, arg: usize) -> Result<usize, Errno> {
    // SAFETY: only integer options are used through this wrapper; the
    // remaining arguments are passed as zero, as the man page asks.
    let r = unsafe { syscalls::syscall5(Sysno::prctl, option as usize, arg, 0, 0, 0) };
    if option == linux_raw_sys::prctl::PR_SET_PDEATHSIG {
        traced!(
            Sysno::prctl,
            r,
            "prctl(PR_SET_PDEATHSIG, {})",
            Sig(arg as u32)
        );
    } else {
        traced!(Sysno::prctl, r, "prctl({option}, {arg})");
    }
    r
}

/// [getuid(2)]: the real user ID. Never fails.
///
/// Syscall number: x86_64 102, aarch64 174.
///
/// [getuid(2)]: https://man7.org/linux/man-pages/man2/getuid.2.html
pub fn getuid() -> u32 {
    // SAFETY: no arguments, no memory.
    let id = unsafe { raw::syscall0(Sysno::getuid as usize) };
    traced!(Sysno::getuid, Ok::<usize, Errno>(id), "getuid()");
    id as u32
}

/// [getgid(2)]: the real group ID. Never fails.
///
/// Syscall number: x86_64 104, aarch64 176.
///
/// [getgid(2)]: https://man7.org/linux/man-pages/man2/getgid.2.html
pub fn getgid() -> u32 {
    // SAFETY: no arguments, no memory.
    let id = unsafe { raw::syscall0(Sysno::getgid as usize) };
    traced!(Sysno::getgid, Ok::<usize, Errno>(id), "getgid()");
    id as u32
}

/// [mount(2)]: attach a filesystem, or (with `MS_PRIVATE`/`MS_REC` and no
/// source) change the propagation of an existing mount. `source`, `fstype`
/// may be absent; no filesystem-specific data is passed.
///
/// Syscall number: x86_64 165, aarch64 40.
///
/// Errors: `EPERM` (no `CAP_SYS_ADMIN` in the mount namespace's owner),
/// `ENOENT` (target missing), `EINVAL`, `ENODEV` (unknown filesystem).
///
/// [mount(2)]: https://man7.org/linux/man-pages/man2/mount.2.html
pub fn mount(
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: u32,
) -> Result<(), Errno> {
    let ptr = |s: Option<&CStr>| s.map_or(0, |s| s.as_ptr() as usize);
    // SAFETY: every string is NUL-terminated and outlives the call; data is
    // null.
    let r = unsafe {
        syscalls::syscall5(
            Sysno::mount,
            ptr(source),
            target.as_ptr() as usize,
            ptr(fstype),
            flags as usize,
            0,
        )
    };
    fn text(s: Option<&CStr>) -> &[u8] {
        s.map_or(b"NULL", CStr::to_bytes)
    }
    traced!(
        Sysno::mount,
        r,
        "mount({}, {}, {}, {}, NULL)",
        Quoted(text(source)),
        Quoted(target.to_bytes()),
        Quoted(text(fstype)),
        Flags(flags.into(), names::MOUNT)
    );
    r.map(drop)
}

/// [execve(2)]: replace this program with the one at `path`. `argv` and
/// `envp` are the NULL-terminated pointer arrays the kernel expects. Returns
/// only on failure.
///
/// Syscall number: x86_64 59, aarch64 221.
///
/// Errors: `ENOENT` (no such file), `EACCES` (not executable, or a
/// directory on the way is not searchable), `ENOEXEC` (unknown format),
/// `ENOTDIR`, `E2BIG`, `ENOMEM`.
///
/// # Safety
/// `argv` and `envp` must point to NULL-terminated arrays of pointers to
/// NUL-terminated strings.
///
/// [execve(2)]: https://man7.org/linux/man-pages/man2/execve.2.html
pub unsafe fn execve(
    path: &CStr,
    argv: *const *const core::ffi::c_char,
    envp: *const *const core::ffi::c_char,
) -> Errno {
    if trace::enabled() {
        let args = ArgvText(argv);
        trace::entry(
            Sysno::execve,
            format_args!("execve({}, {args}, envp)", Quoted(path.to_bytes())),
        );
    }
    // SAFETY: the caller vouches for argv and envp; path is NUL-terminated.
    let ret = unsafe {
        syscall3(
            Sysno::execve,
            path.as_ptr() as usize,
            argv as usize,
            envp as usize,
        )
    };
    traced!(
        Sysno::execve,
        ret,
        "execve({}, ..)",
        Quoted(path.to_bytes())
    );
    match ret {
        Err(e) => e,
        // execve does not return on success; if it ever did, say so.
        Ok(_) => Errno::EINVAL,
    }
}

/// A kernel signal set (`sigset_t` as the rt_sig* calls take it: 64 bits,
/// bit N-1 for signal N).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SigSet(pub u64);

impl SigSet {
    /// The set of the given signals.
    pub const fn of(sigs: &[u32]) -> Self {
        let mut bits = 0u64;
        let mut i = 0;
        while i < sigs.len() {
            bits |= 1 << (sigs[i] - 1);
            i += 1;
        }
        SigSet(bits)
    }

    /// Whether `sig` is in the set.
    pub fn contains(&self, sig: u32) -> bool {
        (1..=64).contains(&sig) && self.0 & (1 << (sig - 1)) != 0
    }
}

/// [rt_sigprocmask(2)]: change the blocked-signal mask (`how` is `SIG_BLOCK`,
/// `SIG_UNBLOCK` or `SIG_SETMASK`); returns the previous mask.
///
/// Syscall number: x86_64 14, aarch64 135.
///
/// Errors: `EINVAL` (bad `how`).
///
/// [rt_sigprocmask(2)]: https://man7.org/linux/man-pages/man2/rt_sigprocmask.2.html
pub fn sigprocmask(how: u32, set: &SigSet) -> Result<SigSet, Errno> {
    let mut old = SigSet(0);
    // SAFETY: both sets are live 8-byte kernel sigsets; size 8 says so.
    let r = unsafe {
        syscall4(
            Sysno::rt_sigprocmask,
            how as usize,
            set as *const SigSet as usize,
            &mut old as *mut SigSet as usize,
            core::mem::size_of::<SigSet>(),
        )
    };
    traced!(
        Sysno::rt_sigprocmask,
        r,
        "rt_sigprocmask({}, {}, {}, 8)",
        match how {
            linux_raw_sys::general::SIG_BLOCK => "SIG_BLOCK",
            linux_raw_sys::general::SIG_UNBLOCK => "SIG_UNBLOCK",
            _ => "SIG_SETMASK",
        },
        SigSetText(set.0),
        SigSetText(old.0)
    );
    r?;
    Ok(old)
}

/// Who sent a signal, from the `siginfo_t` that rt_sigtimedwait fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigInfo {
    /// The signal number.
    pub sig: u32,
    /// `si_code`: `SI_USER` (kill), `SI_QUEUE`, `SI_TKILL`, `SI_KERNEL`
    /// (e.g. the terminal's Ctrl-C), or a `CLD_*` code for SIGCHLD.
    pub code: i32,
    /// `si_pid`: the sender as this process's namespace numbers it (0 when
    /// it lives in an ancestor namespace); valid only for signals sent by
    /// a process (see [`SigInfo::sender`]).
    pub pid: i32,
    /// `si_int`: the value a [`sigqueue`]d signal carries.
    pub value: i32,
}

impl SigInfo {
    /// The process that sent the signal with kill(2), tgkill(2) or
    /// sigqueue(3); `None` for signals the kernel generated itself.
    pub fn sender(&self) -> Option<i32> {
        const SI_USER: i32 = linux_raw_sys::general::SI_USER as i32;
        const SI_QUEUE: i32 = linux_raw_sys::general::SI_QUEUE;
        const SI_TKILL: i32 = linux_raw_sys::general::SI_TKILL;
        matches!(self.code, SI_USER | SI_QUEUE | SI_TKILL).then_some(self.pid)
    }

    /// Generated by the kernel for a process group, as the terminal does
    /// for Ctrl-C, Ctrl-Z, a resize or a background read.
    pub fn from_kernel(&self) -> bool {
        self.code == linux_raw_sys::general::SI_KERNEL as i32
    }
}

/// [rt_sigtimedwait(2)]: wait until one of the signals in `set` (which
/// must be blocked) is pending, take it, and say what it was and who sent
/// it. With a `timeout` in milliseconds, give up after it with `EAGAIN`
/// (`Some(0)`: do not wait at all). Works for a namespace's PID 1 too: the
/// kernel drops unhandled signals sent to PID 1, but queues blocked ones.
/// On an empty `set` it is a sleep that no blocked signal cuts short.
///
/// Syscall number: x86_64 128, aarch64 137.
///
/// Errors: `EINTR` (interrupted by a signal outside `set`; retry),
/// `EAGAIN` (`poll` and nothing pending).
///
/// [rt_sigtimedwait(2)]: https://man7.org/linux/man-pages/man2/rt_sigtimedwait.2.html
pub fn sigwait(set: &SigSet, timeout: Option<u32>) -> Result<SigInfo, Errno> {
    // siginfo_t is 128 bytes; on 64-bit Linux si_code is at byte 8 and the
    // union (si_pid first) at byte 16.
    let mut info = [0i32; 32];
    // struct timespec: seconds, nanoseconds.
    let ts = timeout.map(|ms| [u64::from(ms / 1000), u64::from(ms % 1000) * 1_000_000]);
    let timeout_ptr = ts.as_ref().map_or(0, |t| t.as_ptr() as usize);
    // SAFETY: `set` is a live 8-byte sigset, `info` a writable 128-byte
    // siginfo_t, `timeout` null or a live zero timespec.
    let r = unsafe {
        syscall4(
            Sysno::rt_sigtimedwait,
            set as *const SigSet as usize,
            info.as_mut_ptr() as usize,
            timeout_ptr,
            core::mem::size_of::<SigSet>(),
        )
    };
    let got = SigInfo {
        sig: *r.as_ref().unwrap_or(&0) as u32,
        code: info[2],
        pid: info[4],
        value: info[6],
    };
    if trace::enabled() {
        let shown: &dyn core::fmt::Display = match r {
            Ok(_) => &SigInfoText(got),
            Err(_) => &trace::Ret(&r),
        };
        trace::line(
            Sysno::rt_sigtimedwait,
            format_args!(
                "rt_sigtimedwait({}, .., {}, 8)",
                SigSetText(set.0),
                TimeoutText(timeout)
            ),
            shown,
        );
    }
    r.map(|_| got)
}

/// [rt_sigqueueinfo(2)]: send signal `sig` to process `pid` with an
/// integer `value` (sigqueue(3)); the receiver sees `si_code` SI_QUEUE,
/// `si_pid` `me` (the caller's PID, which the caller vouches for) and
/// `si_int` `value`.
///
/// Syscall number: x86_64 129, aarch64 138.
///
/// Errors: `ESRCH`, `EPERM`, `EAGAIN` (the receiver's queue is full).
///
/// [rt_sigqueueinfo(2)]: https://man7.org/linux/man-pages/man2/rt_sigqueueinfo.2.html
pub fn sigqueue(pid: i32, sig: u32, me: i32, value: i32) -> Result<(), Errno> {
    // siginfo_t: si_signo, si_errno, si_code, then (at byte 16) si_pid,
    // si_uid and si_value.
    let mut info = [0i32; 32];
    info[0] = sig as i32;
    info[2] = linux_raw_sys::general::SI_QUEUE;
    info[4] = me;
    info[6] = value;
    // SAFETY: `info` is a live 128-byte siginfo_t the kernel only reads.
    let r = unsafe {
        syscall3(
            Sysno::rt_sigqueueinfo,
            pid as usize,
            sig as usize,
            info.as_ptr() as usize,
        )
    };
    traced!(
        Sysno::rt_sigqueueinfo,
        r,
        "rt_sigqueueinfo({pid}, {}, {{si_code=SI_QUEUE, si_pid={me}, si_int={value}}})",
        Sig(sig)
    );
    r.map(drop)
}

/// [rt_sigaction(2)], reduced to what ns-tool needs: set signal `sig` to
/// its default action (`ignore` false) or to be ignored. ns-tool installs
/// no handlers; it waits for signals with [`sigwait`] instead.
///
/// Syscall number: x86_64 13, aarch64 134.
///
/// Errors: `EINVAL` (SIGKILL, SIGSTOP, or not a signal).
///
/// [rt_sigaction(2)]: https://man7.org/linux/man-pages/man2/rt_sigaction.2.html
pub fn set_disposition(sig: u32, ignore: bool) -> Result<(), Errno> {
    /// The kernel's `struct sigaction` (the same on x86_64 and aarch64:
    /// handler, flags, restorer, mask).
    #[repr(C)]
    struct KernelSigaction {
        handler: usize,
        flags: usize,
        restorer: usize,
        mask: u64,
    }
    let act = KernelSigaction {
        // SIG_DFL is 0, SIG_IGN is 1.
        handler: usize::from(ignore),
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    // SAFETY: `act` is a live kernel sigaction; no old action is wanted;
    // the sigset size is 8.
    let r = unsafe {
        syscall4(
            Sysno::rt_sigaction,
            sig as usize,
            &act as *const KernelSigaction as usize,
            0,
            core::mem::size_of::<SigSet>(),
        )
    };
    traced!(
        Sysno::rt_sigaction,
        r,
        "rt_sigaction({}, {{{}}}, NULL, 8)",
        Sig(sig),
        if ignore { "SIG_IGN" } else { "SIG_DFL" }
    );
    r.map(drop)
}

/// [rt_sigaction(2)] asked, not told: whether signal `sig` is ignored
/// (SIG_IGN) in this process. Used only where /proc cannot say (its
/// `SigIgn` line answers for all signals at once).
///
/// Syscall number: x86_64 13, aarch64 134.
///
/// Errors: `EINVAL` (not a signal).
///
/// [rt_sigaction(2)]: https://man7.org/linux/man-pages/man2/rt_sigaction.2.html
pub fn disposition_ignored(sig: u32) -> Result<bool, Errno> {
    // handler, flags, restorer, mask: the kernel's struct sigaction.
    let mut old = [0usize; 4];
    // SAFETY: `old` is a live, writable kernel sigaction; no new action.
    let r = unsafe {
        syscall4(
            Sysno::rt_sigaction,
            sig as usize,
            0,
            old.as_mut_ptr() as usize,
            core::mem::size_of::<SigSet>(),
        )
    };
    traced!(
        Sysno::rt_sigaction,
        r,
        "rt_sigaction({}, NULL, {{{}}}, 8)",
        Sig(sig),
        old[0]
    );
    // SIG_IGN is 1.
    r.map(|_| old[0] == 1)
}

/// [setpgid(2)]: move process `pid` (0: the caller) into process group
/// `pgid` (0: a new group that `pid` leads). A parent may do it for a
/// child until the child has exec'd; shells do it on both sides of a fork
/// so neither has to wait for the other.
///
/// Syscall number: x86_64 109, aarch64 154.
///
/// Errors: `EACCES` (the child has already exec'd), `EPERM` (a session
/// leader, or a group in another session), `ESRCH`, `EINVAL`.
///
/// [setpgid(2)]: https://man7.org/linux/man-pages/man2/setpgid.2.html
pub fn setpgid(pid: i32, pgid: i32) -> Result<(), Errno> {
    // SAFETY: plain integer arguments.
    let r = unsafe { syscall2(Sysno::setpgid, pid as usize, pgid as usize) };
    traced!(Sysno::setpgid, r, "setpgid({pid}, {pgid})");
    r.map(drop)
}

/// [getpgid(2)]: the process group of `pid` (0: the caller). aarch64 has
/// no `getpgrp`, so ns-tool asks `getpgid(0)` on both.
///
/// Syscall number: x86_64 121, aarch64 155.
///
/// Errors: `ESRCH` (no such process).
///
/// [getpgid(2)]: https://man7.org/linux/man-pages/man2/getpgid.2.html
pub fn getpgid(pid: i32) -> Result<i32, Errno> {
    // SAFETY: plain integer argument.
    let r = unsafe { syscall1(Sysno::getpgid, pid as usize) };
    traced!(Sysno::getpgid, r, "getpgid({pid})");
    r.map(|g| g as i32)
}

/// [ioctl(2)] `TIOCGPGRP` ([ioctl_tty(2)]): the foreground process group
/// of the terminal on `fd`, as tcgetpgrp(3) asks it.
///
/// Syscall number: x86_64 16, aarch64 29 (`ioctl`).
///
/// Errors: `ENOTTY` (not a terminal, or not this process's controlling
/// terminal), `EBADF`.
///
/// [ioctl(2)]: https://man7.org/linux/man-pages/man2/ioctl.2.html
/// [ioctl_tty(2)]: https://man7.org/linux/man-pages/man2/ioctl_tty.2.html
pub fn tcgetpgrp(fd: i32) -> Result<i32, Errno> {
    let mut pgrp: i32 = 0;
    // SAFETY: TIOCGPGRP writes one pid_t into the live `pgrp`.
    let r = unsafe {
        syscall3(
            Sysno::ioctl,
            fd as usize,
            linux_raw_sys::ioctl::TIOCGPGRP as usize,
            &mut pgrp as *mut i32 as usize,
        )
    };
    traced!(Sysno::ioctl, r, "ioctl({fd}, TIOCGPGRP, [{pgrp}])");
    r.map(|_| pgrp)
}

/// [ioctl(2)] `TIOCSPGRP` ([ioctl_tty(2)]): make process group `pgrp` the
/// foreground of the terminal on `fd` (tcsetpgrp(3)). Allowed from a
/// background group only while SIGTTOU is blocked or ignored, which it
/// always is in a supervising ns-tool.
///
/// Syscall number: x86_64 16, aarch64 29 (`ioctl`).
///
/// Errors: `ENOTTY`, `EPERM` (a group of another session), `EINVAL`.
///
/// [ioctl(2)]: https://man7.org/linux/man-pages/man2/ioctl.2.html
/// [ioctl_tty(2)]: https://man7.org/linux/man-pages/man2/ioctl_tty.2.html
pub fn tcsetpgrp(fd: i32, pgrp: i32) -> Result<(), Errno> {
    // SAFETY: TIOCSPGRP reads one pid_t from the live `pgrp`.
    let r = unsafe {
        syscall3(
            Sysno::ioctl,
            fd as usize,
            linux_raw_sys::ioctl::TIOCSPGRP as usize,
            &pgrp as *const i32 as usize,
        )
    };
    traced!(Sysno::ioctl, r, "ioctl({fd}, TIOCSPGRP, [{pgrp}])");
    r.map(drop)
}

/// Shows an execve argv array as `["sh", "-c", ..]` (at most four words).
/// The pointer must be a NULL-terminated array of C strings (execve's
/// contract, which the caller of [`execve`] vouches for).
struct ArgvText(*const *const core::ffi::c_char);

impl core::fmt::Display for ArgvText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("[")?;
        for i in 0.. {
            // SAFETY: a NULL-terminated array (see the type's contract).
            let p = unsafe { *self.0.add(i) };
            if p.is_null() {
                break;
            }
            if i > 0 {
                f.write_str(", ")?;
            }
            if i == 4 {
                f.write_str("..")?;
                break;
            }
            // SAFETY: a NUL-terminated string.
            write!(f, "{}", Quoted(unsafe { CStr::from_ptr(p) }.to_bytes()))?;
        }
        f.write_str("]")
    }
}

/// Shows a timeout in milliseconds as strace shows a timespec.
struct TimeoutText(Option<u32>);

impl core::fmt::Display for TimeoutText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            None => f.write_str("NULL"),
            Some(ms) => write!(f, "{{{}, {}}}", ms / 1000, (ms % 1000) * 1_000_000),
        }
    }
}

/// Shows a received signal and its sender, as strace does:
/// `SIGINT {si_code=SI_KERNEL}`, `SIGTERM {si_code=SI_USER, si_pid=42}`.
struct SigInfoText(SigInfo);

impl core::fmt::Display for SigInfoText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let i = self.0;
        write!(f, "{} {{si_code=", Sig(i.sig))?;
        match i.code {
            0 => f.write_str("SI_USER")?,
            -1 => f.write_str("SI_QUEUE")?,
            -6 => f.write_str("SI_TKILL")?,
            0x80 => f.write_str("SI_KERNEL")?,
            c => write!(f, "{c}")?,
        }
        if i.sender().is_some() || i.sig == linux_raw_sys::general::SIGCHLD {
            write!(f, ", si_pid={}", i.pid)?;
        }
        f.write_str("}")
    }
}

/// Shows wait4's status word as strace does: `[exited 0]`, or `..` when
/// nothing was collected.
struct StatusText(bool, WaitStatus);

impl core::fmt::Display for StatusText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            StatusText(false, _) => f.write_str(".."),
            StatusText(true, WaitStatus::Exited(c)) => write!(f, "[exited {c}]"),
            StatusText(true, WaitStatus::Signaled(s)) => write!(f, "[killed by {}]", Sig(s.into())),
            StatusText(true, WaitStatus::Stopped(s)) => write!(f, "[stopped by {}]", Sig(s.into())),
            StatusText(true, WaitStatus::Other(raw)) => write!(f, "[{raw:#x}]"),
        }
    }
}
