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
