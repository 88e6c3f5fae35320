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
    unsafe { syscall1(Sysno::unshare, flags as usize) }.map(drop)
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
    let ret = unsafe { syscalls::syscall0(Sysno::fork) }?;
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
    }?;
    Ok(match ret {
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
    unsafe { raw::syscall0(Sysno::getpid as usize) as i32 }
}

/// [getppid(2)]: the parent's PID as seen from this process's namespace; 0
/// when the parent lives in an ancestor namespace. Never fails.
///
/// Syscall number: x86_64 110, aarch64 173.
///
/// [getppid(2)]: https://man7.org/linux/man-pages/man2/getppid.2.html
pub fn getppid() -> i32 {
    // SAFETY: no arguments, no memory.
    unsafe { raw::syscall0(Sysno::getppid as usize) as i32 }
}

/// How a child ended, decoded from a wait status word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStatus {
    /// `exit(code)`.
    Exited(u8),
    /// Killed by this signal.
    Signaled(u8),
    /// Anything else (stopped/continued; only with options ns-tool does
    /// not use), kept raw.
    Other(i32),
}

impl WaitStatus {
    /// Decode the status word the way `WIFEXITED`/`WIFSIGNALED` do.
    pub fn from_raw(status: i32) -> Self {
        let sig = status & 0x7f;
        if sig == 0 {
            WaitStatus::Exited(((status >> 8) & 0xff) as u8)
        } else if sig != 0x7f {
            // 0x7f in the low bits means stopped or continued, not killed.
            WaitStatus::Signaled(sig as u8)
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
    }?;
    Ok((ret as i32, WaitStatus::from_raw(status)))
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
    unsafe { syscall3(Sysno::write, fd as usize, buf.as_ptr() as usize, buf.len()) }
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
    unsafe {
        syscall3(
            Sysno::read,
            fd as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    }
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
    unsafe { syscall1(Sysno::close, fd as usize) }.map(drop)
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
    }?;
    Ok(Fd(fd as i32))
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
    unsafe {
        syscall4(
            Sysno::readlinkat,
            linux_raw_sys::general::AT_FDCWD as isize as usize,
            path.as_ptr() as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    }
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
    unsafe { syscall2(Sysno::pipe2, fds.as_mut_ptr() as usize, flags as usize) }?;
    Ok((Fd(fds[0]), Fd(fds[1])))
}

/// [exit_group(2)]: end this process (all its threads) with `code`.
///
/// Syscall number: x86_64 231, aarch64 94.
///
/// [exit_group(2)]: https://man7.org/linux/man-pages/man2/exit_group.2.html
pub fn exit_group(code: i32) -> ! {
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
    unsafe { syscall2(Sysno::kill, pid as isize as usize, sig as usize) }.map(drop)
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
    unsafe { syscalls::syscall5(Sysno::prctl, option as usize, arg, 0, 0, 0) }
}

/// [getuid(2)]: the real user ID. Never fails.
///
/// Syscall number: x86_64 102, aarch64 174.
///
/// [getuid(2)]: https://man7.org/linux/man-pages/man2/getuid.2.html
pub fn getuid() -> u32 {
    // SAFETY: no arguments, no memory.
    unsafe { raw::syscall0(Sysno::getuid as usize) as u32 }
}

/// [getgid(2)]: the real group ID. Never fails.
///
/// Syscall number: x86_64 104, aarch64 176.
///
/// [getgid(2)]: https://man7.org/linux/man-pages/man2/getgid.2.html
pub fn getgid() -> u32 {
    // SAFETY: no arguments, no memory.
    unsafe { raw::syscall0(Sysno::getgid as usize) as u32 }
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
    unsafe {
        syscalls::syscall5(
            Sysno::mount,
            ptr(source),
            target.as_ptr() as usize,
            ptr(fstype),
            flags as usize,
            0,
        )
    }
    .map(drop)
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
    // SAFETY: the caller vouches for argv and envp; path is NUL-terminated.
    let ret = unsafe {
        syscall3(
            Sysno::execve,
            path.as_ptr() as usize,
            argv as usize,
            envp as usize,
        )
    };
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
    unsafe {
        syscall4(
            Sysno::rt_sigprocmask,
            how as usize,
            set as *const SigSet as usize,
            &mut old as *mut SigSet as usize,
            core::mem::size_of::<SigSet>(),
        )
    }?;
    Ok(old)
}

/// [rt_sigtimedwait(2)]: wait, without a timeout, until one of the signals
/// in `set` (which must be blocked) is pending, take it, and return its
/// number. Works for a namespace's PID 1 too: the kernel drops unhandled
/// signals sent to PID 1, but queues blocked ones.
///
/// Syscall number: x86_64 128, aarch64 137.
///
/// Errors: `EINTR` (interrupted by a signal outside `set`; retry).
///
/// [rt_sigtimedwait(2)]: https://man7.org/linux/man-pages/man2/rt_sigtimedwait.2.html
pub fn sigwait(set: &SigSet) -> Result<u32, Errno> {
    // SAFETY: `set` is a live 8-byte sigset; info and timeout are null.
    unsafe {
        syscall4(
            Sysno::rt_sigtimedwait,
            set as *const SigSet as usize,
            0,
            0,
            core::mem::size_of::<SigSet>(),
        )
    }
    .map(|sig| sig as u32)
}
