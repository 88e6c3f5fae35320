//! Files, pipes, mounts and the terminal.

use core::ffi::CStr;

use super::{args, call, int, opt_ptr, rows, Arg, Call, Errno, Fd, Ret};

static WRITE: Call = Call {
    sys: rows::write,
    args: args!(Int, Bytes, Int),
    ret: Ret::Int,
};

/// [write(2)]: write some of `buf` to `fd`; returns how much was written.
///
/// Syscall number: x86_64 1, aarch64 64.
///
/// Errors: `EPIPE` (reader gone), `EBADF` (fd closed), `EINTR`, `EAGAIN`.
///
/// [write(2)]: https://man7.org/linux/man-pages/man2/write.2.html
pub fn write(fd: i32, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: the pointer and length describe a live byte slice.
    unsafe { call(&WRITE, [int(fd), buf.as_ptr() as usize, buf.len(), 0, 0, 0]) }
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

static READ: Call = Call {
    sys: rows::read,
    args: args!(Int, Skip, Int),
    ret: Ret::Int,
};

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
        call(
            &READ,
            [int(fd), buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0],
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

static CLOSE: Call = Call {
    sys: rows::close,
    args: args!(Int),
    ret: Ret::Int,
};

/// [close(2)]: release a descriptor. Use [`Fd`], which calls this on drop.
///
/// Syscall number: x86_64 3, aarch64 57.
///
/// [close(2)]: https://man7.org/linux/man-pages/man2/close.2.html
pub(super) fn close(fd: i32) -> Result<(), Errno> {
    // SAFETY: a plain integer.
    unsafe { call(&CLOSE, [int(fd), 0, 0, 0, 0, 0]) }.map(drop)
}

static OPENAT: Call = Call {
    sys: rows::openat,
    args: args!(AtFdcwd, Str, OpenFlags),
    ret: Ret::Int,
};

/// [openat(2)]: open `path` (relative to the working directory) with `O_*`
/// `flags`, read-only use only (no mode argument).
///
/// Syscall number: x86_64 257, aarch64 56 (aarch64 has no plain `open`).
///
/// Errors: `ENOENT` (e.g. /proc not mounted), `EACCES`, `EMFILE`.
///
/// [openat(2)]: https://man7.org/linux/man-pages/man2/openat.2.html
pub fn open(path: &CStr, flags: u32) -> Result<Fd, Errno> {
    let at = linux_raw_sys::general::AT_FDCWD;
    // SAFETY: `path` is NUL-terminated and outlives the call.
    let fd = unsafe {
        call(
            &OPENAT,
            [int(at), path.as_ptr() as usize, flags as usize, 0, 0, 0],
        )
    }?;
    Ok(Fd(fd as i32))
}

static READLINKAT: Call = Call {
    sys: rows::readlinkat,
    args: args!(AtFdcwd, Str, Got, Int),
    ret: Ret::Int,
};

/// [readlinkat(2)]: the target of symbolic link `path`, written into `buf`;
/// returns its length (not NUL-terminated; truncated if `buf` is short).
///
/// Syscall number: x86_64 267, aarch64 78 (aarch64 has no plain `readlink`).
///
/// Errors: `ENOENT`, `EINVAL` (not a link), `EACCES`.
///
/// [readlinkat(2)]: https://man7.org/linux/man-pages/man2/readlinkat.2.html
pub fn readlink(path: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
    let at = linux_raw_sys::general::AT_FDCWD;
    // SAFETY: `path` is NUL-terminated; `buf` is live and writable.
    unsafe {
        call(
            &READLINKAT,
            [
                int(at),
                path.as_ptr() as usize,
                buf.as_mut_ptr() as usize,
                buf.len(),
                0,
                0,
            ],
        )
    }
}

static READLINKAT_IN: Call = Call {
    sys: rows::readlinkat,
    args: args!(Int, Str, Got, Int),
    ret: Ret::Int,
};

/// [readlinkat(2)]: as [`readlink`], for `name` in directory `dir` (the
/// directory stays the one opened, whatever happens to its path).
///
/// Syscall number: x86_64 267, aarch64 78.
///
/// Errors: `ENOENT` (e.g. a /proc/PID/ns link of a process that has
/// exited), `EACCES`.
///
/// [readlinkat(2)]: https://man7.org/linux/man-pages/man2/readlinkat.2.html
pub fn readlink_in(dir: &Fd, name: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `name` is NUL-terminated; `buf` is live and writable.
    unsafe {
        call(
            &READLINKAT_IN,
            [
                int(dir.0),
                name.as_ptr() as usize,
                buf.as_mut_ptr() as usize,
                buf.len(),
                0,
                0,
            ],
        )
    }
}

static GETDENTS64: Call = Call {
    sys: rows::getdents64,
    args: args!(Int, Skip, Int),
    ret: Ret::Int,
};

/// [getdents64(2)]: fill `buf` with the next `struct linux_dirent64`
/// records of directory `dir`; returns how many bytes, 0 at the end.
///
/// Syscall number: x86_64 217, aarch64 61.
///
/// Errors: `ENOTDIR`, `EINVAL` (`buf` too small for the next record),
/// `ENOENT` (the directory was removed).
///
/// [getdents64(2)]: https://man7.org/linux/man-pages/man2/getdents64.2.html
pub fn getdents64(dir: &Fd, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: the pointer and length describe a live, writable byte slice.
    unsafe {
        call(
            &GETDENTS64,
            [int(dir.0), buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0],
        )
    }
}

static PIPE2: Call = Call {
    sys: rows::pipe2,
    args: args!(Fds, OpenFlags),
    ret: Ret::Int,
};

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
    unsafe {
        call(
            &PIPE2,
            [fds.as_mut_ptr() as usize, flags as usize, 0, 0, 0, 0],
        )
    }?;
    Ok((Fd(fds[0]), Fd(fds[1])))
}

static MOUNT: Call = Call {
    sys: rows::mount,
    args: args!(Str, Str, Str, MountFlags, Null),
    ret: Ret::Int,
};

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
    // SAFETY: every string is NUL-terminated and outlives the call; data
    // is null.
    unsafe {
        call(
            &MOUNT,
            [
                opt_ptr(source),
                target.as_ptr() as usize,
                opt_ptr(fstype),
                flags as usize,
                0,
                0,
            ],
        )
    }
    .map(drop)
}

static IOCTL_PGRP: Call = Call {
    sys: rows::ioctl,
    args: args!(Int, Ioctl, IntPtr),
    ret: Ret::Int,
};

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
    let req = linux_raw_sys::ioctl::TIOCGPGRP as usize;
    // SAFETY: TIOCGPGRP writes one pid_t into the live `pgrp`.
    unsafe {
        call(
            &IOCTL_PGRP,
            [int(fd), req, &mut pgrp as *mut i32 as usize, 0, 0, 0],
        )
    }?;
    Ok(pgrp)
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
    let req = linux_raw_sys::ioctl::TIOCSPGRP as usize;
    // SAFETY: TIOCSPGRP reads one pid_t from the live `pgrp`.
    unsafe {
        call(
            &IOCTL_PGRP,
            [int(fd), req, &pgrp as *const i32 as usize, 0, 0, 0],
        )
    }
    .map(drop)
}

static CHDIR: Call = Call {
    sys: rows::chdir,
    args: args!(Str),
    ret: Ret::Int,
};

/// [chdir(2)]: make `path` the working directory.
///
/// Syscall number: x86_64 80, aarch64 49.
///
/// Errors: `ENOENT`, `ENOTDIR`, `EACCES`.
///
/// [chdir(2)]: https://man7.org/linux/man-pages/man2/chdir.2.html
pub fn chdir(path: &CStr) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    unsafe { call(&CHDIR, [path.as_ptr() as usize, 0, 0, 0, 0, 0]) }.map(drop)
}

static CLOSE_RANGE: Call = Call {
    sys: rows::close_range,
    args: args!(Int, Int, Int),
    ret: Ret::Int,
};

/// [close_range(2)]: close every descriptor from `first` on.
///
/// Syscall number: x86_64 436, aarch64 436 (Linux 5.9).
///
/// Errors: `ENOSYS` (an older kernel), `EINVAL`.
///
/// [close_range(2)]: https://man7.org/linux/man-pages/man2/close_range.2.html
pub fn close_from(first: u32) -> Result<(), Errno> {
    // SAFETY: plain integers; ~0 is "the highest descriptor".
    unsafe {
        call(
            &CLOSE_RANGE,
            [first as usize, u32::MAX as usize, 0, 0, 0, 0],
        )
    }
    .map(drop)
}

static MKDIRAT: Call = Call {
    sys: rows::mkdirat,
    args: args!(AtFdcwd, Str, Int),
    ret: Ret::Int,
};

/// [mkdirat(2)]: create directory `path` with mode 0755.
///
/// Syscall number: x86_64 258, aarch64 34 (aarch64 has no plain `mkdir`).
///
/// Errors: `EEXIST`, `ENOENT`, `EROFS`, `EACCES`.
///
/// [mkdirat(2)]: https://man7.org/linux/man-pages/man2/mkdirat.2.html
pub fn mkdir(path: &CStr) -> Result<(), Errno> {
    let at = linux_raw_sys::general::AT_FDCWD;
    // SAFETY: `path` is NUL-terminated and outlives the call.
    unsafe { call(&MKDIRAT, [int(at), path.as_ptr() as usize, 0o755, 0, 0, 0]) }.map(drop)
}

static SYNC: Call = Call {
    sys: rows::sync,
    args: args!(),
    ret: Ret::Int,
};

/// [sync(2)]: write every filesystem's cached data to its disk.
///
/// Syscall number: x86_64 162, aarch64 81.
///
/// [sync(2)]: https://man7.org/linux/man-pages/man2/sync.2.html
pub fn sync() {
    // SAFETY: no arguments; it cannot fail.
    let _ = unsafe { call(&SYNC, [0; 6]) };
}
