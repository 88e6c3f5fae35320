//! Processes: fork, wait, signal, exec, exit, process groups.

use core::ffi::{c_char, CStr};

use super::{args, call, int, rows, Arg, Call, Errno, Ret};

/// Which side of a fork this process is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fork {
    /// The new process.
    Child,
    /// The original process; holds the child's PID as seen from here.
    Parent(i32),
}

#[cfg(not(target_arch = "aarch64"))]
static FORK: Call = Call {
    sys: rows::fork,
    args: args!(),
    ret: Ret::Fork,
};
#[cfg(target_arch = "aarch64")]
static FORK: Call = Call {
    sys: rows::clone,
    args: args!(CloneFlags, Null, Null, Null, Null),
    ret: Ret::Fork,
};

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
    // On aarch64, clone's five arguments (flags, stack, parent_tid, tls,
    // child_tid): with a null stack the child runs on a copy of ours.
    let flags = if cfg!(target_arch = "aarch64") {
        linux_raw_sys::general::SIGCHLD as usize
    } else {
        0
    };
    // SAFETY: no pointers; the process is single-threaded.
    forked(unsafe { call(&FORK, [flags, 0, 0, 0, 0, 0]) })
}

static CLONE3: Call = Call {
    sys: rows::clone3,
    args: args!(CloneArgs, Int),
    ret: Ret::Fork,
};

/// [clone3(2)]: create a child in the new namespaces that `flags`
/// (`CLONE_NEW*`) name, in one call, the way fork does it (no stack of
/// its own: the child runs on a copy of ours; SIGCHLD when it ends). The
/// kernel also opens a pidfd for the child (`CLONE_PIDFD`, close-on-exec)
/// and stores it in `pidfd`, on the parent's side only.
///
/// Syscall number: x86_64 435, aarch64 435 (Linux 5.3 on both).
///
/// Errors: `ENOSYS` (before Linux 5.3, or a seccomp policy refused it, as
/// container runtimes' default profiles do: see [`clone`]), `EPERM`,
/// `EINVAL`, `ENOSPC`, `EAGAIN`, `ENOMEM`, as for unshare(2) and fork(2).
///
/// Sound for the reasons [`fork`] is.
///
/// [clone3(2)]: https://man7.org/linux/man-pages/man2/clone3.2.html
pub fn clone3(flags: u32, pidfd: &mut i32) -> Result<Fork, Errno> {
    use linux_raw_sys::general::{clone_args, CLONE_ARGS_SIZE_VER0, CLONE_PIDFD, SIGCHLD};
    let args = clone_args {
        flags: (flags | CLONE_PIDFD).into(),
        pidfd: pidfd as *mut i32 as u64,
        child_tid: 0,
        parent_tid: 0,
        exit_signal: SIGCHLD.into(),
        stack: 0,
        stack_size: 0,
        tls: 0,
        set_tid: 0,
        set_tid_size: 0,
        cgroup: 0,
    };
    // The size of the first version of the struct (Linux 5.3): ns-tool
    // sets none of the fields added later, and every kernel takes it.
    let size = CLONE_ARGS_SIZE_VER0 as usize;
    // SAFETY: `args` is a live clone_args of at least `size` bytes, and
    // its pidfd points to a writable i32.
    forked(unsafe {
        call(
            &CLONE3,
            [&args as *const clone_args as usize, size, 0, 0, 0, 0],
        )
    })
}

static CLONE: Call = Call {
    sys: rows::clone,
    args: args!(CloneFlags, Null, IntPtr, Null, Null),
    ret: Ret::Fork,
};

/// [clone(2)]: what [`clone3`] does, for kernels and seccomp policies
/// that refuse clone3: flags and exit signal in one word, the pidfd
/// stored through the third argument (`CLONE_PIDFD`, Linux 5.2).
///
/// Syscall number: x86_64 56, aarch64 220. The arguments after the third
/// come in a different order: x86_64 `clone(flags, stack, parent_tid,
/// child_tid, tls)`, aarch64 (and most others) `clone(flags, stack,
/// parent_tid, tls, child_tid)`; ns-tool passes 0 for both.
///
/// Errors: as [`clone3`], but for `ENOSYS`.
///
/// [clone(2)]: https://man7.org/linux/man-pages/man2/clone.2.html
pub fn clone(flags: u32, pidfd: &mut i32) -> Result<Fork, Errno> {
    use linux_raw_sys::general::{CLONE_PIDFD, SIGCHLD};
    let word = (flags | CLONE_PIDFD | SIGCHLD) as usize;
    // SAFETY: no new stack (fork-like); `pidfd` is a writable i32.
    forked(unsafe { call(&CLONE, [word, 0, pidfd as *mut i32 as usize, 0, 0, 0]) })
}

/// A fork-like call's result: 0 in the child, the child's PID in the parent.
fn forked(r: Result<usize, Errno>) -> Result<Fork, Errno> {
    Ok(match r? {
        0 => Fork::Child,
        pid => Fork::Parent(pid as i32),
    })
}

static GETPID: Call = Call {
    sys: rows::getpid,
    args: args!(),
    ret: Ret::SelfPid,
};

/// [getpid(2)]: this process's PID in its own PID namespace. Never fails.
///
/// Syscall number: x86_64 39, aarch64 172.
///
/// [getpid(2)]: https://man7.org/linux/man-pages/man2/getpid.2.html
pub fn getpid() -> i32 {
    // SAFETY: no arguments.
    unsafe { call(&GETPID, [0; 6]) }.unwrap_or(0) as i32
}

static GETPPID: Call = Call {
    sys: rows::getppid,
    args: args!(),
    ret: Ret::Int,
};

/// [getppid(2)]: the parent's PID as seen from this process's namespace; 0
/// when the parent lives in an ancestor namespace. Never fails.
///
/// Syscall number: x86_64 110, aarch64 173.
///
/// [getppid(2)]: https://man7.org/linux/man-pages/man2/getppid.2.html
pub fn getppid() -> i32 {
    // SAFETY: no arguments.
    unsafe { call(&GETPPID, [0; 6]) }.unwrap_or(0) as i32
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
        let high = ((status >> 8) & 0xff) as u8;
        if sig == 0 {
            WaitStatus::Exited(high)
        } else if sig != 0x7f {
            // 0x7f in the low bits means stopped, not killed.
            WaitStatus::Signaled(sig as u8)
        } else if status as u32 & 0xffff_0000 == 0 {
            WaitStatus::Stopped(high)
        } else {
            WaitStatus::Other(status)
        }
    }
}

static WAIT4: Call = Call {
    sys: rows::wait4,
    args: args!(Int, Status, WaitFlags, Null),
    ret: Ret::Int,
};

/// [wait4(2)]: wait for child `pid` (-1: any) to change state and collect
/// it, so it does not linger as a zombie. `options` are `W*` flags.
///
/// Syscall number: x86_64 61, aarch64 260.
///
/// Errors: `ECHILD` (no such child), `EINTR` (a signal arrived first; the
/// caller retries), `EINVAL`.
///
/// [wait4(2)]: https://man7.org/linux/man-pages/man2/wait4.2.html
pub fn wait4(pid: i32, options: u32) -> Result<(i32, WaitStatus), Errno> {
    let mut status: i32 = 0;
    // SAFETY: `status` is a live, writable i32; rusage is null.
    let r = unsafe {
        call(
            &WAIT4,
            [
                int(pid),
                &mut status as *mut i32 as usize,
                options as usize,
                0,
                0,
                0,
            ],
        )
    };
    Ok((r? as i32, WaitStatus::from_raw(status)))
}

static WAITID: Call = Call {
    sys: rows::waitid,
    args: args!(Idtype, Int, ChildInfo, WaitFlags, Null),
    ret: Ret::Int,
};

/// [waitid(2)] `P_PIDFD`: [`wait4`] for the child that `pidfd` refers
/// to, which cannot be confused with another process that reuses its PID.
/// `WEXITED` is added to `options`. Returns the child's PID and status,
/// or PID 0 if it has not changed (`WNOHANG`).
///
/// Syscall number: x86_64 247, aarch64 95.
///
/// Errors: `EINVAL` (before Linux 5.4, which added `P_PIDFD`), `ECHILD`,
/// `EINTR`, `EBADF`.
///
/// [waitid(2)]: https://man7.org/linux/man-pages/man2/waitid.2.html
pub fn waitid_pidfd(pidfd: i32, options: u32) -> Result<(i32, WaitStatus), Errno> {
    use linux_raw_sys::general::{P_PIDFD, WEXITED};
    // A siginfo_t: si_code at int 2, si_pid at 4, si_status at 6. Zeroed,
    // so that "no change" reads as PID 0.
    let mut info = [0i32; 32];
    // SAFETY: `info` is a writable 128-byte siginfo; rusage is null.
    let a = [
        P_PIDFD as usize,
        int(pidfd),
        info.as_mut_ptr() as usize,
        (options | WEXITED) as usize,
        0,
        0,
    ];
    unsafe { call(&WAITID, a) }?;
    Ok((info[4], WaitStatus::from_raw(status_word(info[2], info[6]))))
}

/// The wait(2) status word for a waitid siginfo's `si_code` and
/// `si_status`, so one decoder serves both.
pub fn status_word(code: i32, status: i32) -> i32 {
    use linux_raw_sys::general::{CLD_DUMPED, CLD_EXITED, CLD_KILLED};
    match code as u32 {
        CLD_EXITED => (status & 0xff) << 8,
        CLD_KILLED => status & 0x7f,
        CLD_DUMPED => status & 0x7f | 0x80,
        // CLD_TRAPPED, CLD_STOPPED; CLD_CONTINUED (never asked for).
        _ => status << 8 | 0x7f,
    }
}

static KILL: Call = Call {
    sys: rows::kill,
    args: args!(Int, Sig),
    ret: Ret::Int,
};

/// [kill(2)]: send signal `sig` to process `pid` (negative: its group).
///
/// Syscall number: x86_64 62, aarch64 129.
///
/// Errors: `ESRCH` (no such process, e.g. already reaped), `EPERM`,
/// `EINVAL`.
///
/// [kill(2)]: https://man7.org/linux/man-pages/man2/kill.2.html
pub fn kill(pid: i32, sig: u32) -> Result<(), Errno> {
    // SAFETY: plain integers.
    unsafe { call(&KILL, [int(pid), sig as usize, 0, 0, 0, 0]) }.map(drop)
}

static EXIT_GROUP: Call = Call {
    sys: rows::exit_group,
    args: args!(Int),
    ret: Ret::NoReturn,
};

/// [exit_group(2)]: end this process (all its threads) with `code`.
///
/// Syscall number: x86_64 231, aarch64 94.
///
/// [exit_group(2)]: https://man7.org/linux/man-pages/man2/exit_group.2.html
pub fn exit_group(code: i32) -> ! {
    // SAFETY: does not return; no memory involved.
    let _ = unsafe { call(&EXIT_GROUP, [int(code), 0, 0, 0, 0, 0]) };
    // The kernel never returns from exit_group; satisfy the type checker.
    #[allow(clippy::empty_loop)]
    loop {}
}

static EXECVE: Call = Call {
    sys: rows::execve,
    args: args!(Str, Argv, Envp),
    ret: Ret::NoReturn,
};

/// [execve(2)]: replace this program with the one at `path`. `argv` and
/// `envp` are the NULL-terminated pointer arrays the kernel expects. Returns
/// only on failure.
///
/// Syscall number: x86_64 59, aarch64 221.
///
/// Errors: `ENOENT` (no such file, or its interpreter is missing),
/// `EACCES` (not executable, a directory, or a directory on the way is not
/// searchable), `ENOEXEC` (unknown format), `ENOTDIR`, `E2BIG`, `ENOMEM`.
///
/// # Safety
/// `argv` and `envp` must point to NULL-terminated arrays of pointers to
/// NUL-terminated strings.
///
/// [execve(2)]: https://man7.org/linux/man-pages/man2/execve.2.html
pub unsafe fn execve(path: &CStr, argv: *const *const c_char, envp: *const *const c_char) -> Errno {
    // SAFETY: the caller vouches for argv and envp; path is NUL-terminated.
    let r = unsafe {
        call(
            &EXECVE,
            [
                path.as_ptr() as usize,
                argv as usize,
                envp as usize,
                0,
                0,
                0,
            ],
        )
    };
    match r {
        Err(e) => e,
        // execve does not return on success; if it ever did, say so.
        Ok(_) => Errno::EINVAL,
    }
}

static PDEATHSIG: Call = Call {
    sys: rows::prctl,
    args: args!(Prctl, Sig),
    ret: Ret::Int,
};

/// [prctl(2)] `PR_SET_PDEATHSIG`: have the kernel send `sig` to this
/// process when its parent dies. Cleared on a credential change.
///
/// Syscall number: x86_64 157, aarch64 167 (`prctl`).
///
/// Errors: `EINVAL` (not a signal).
///
/// [prctl(2)]: https://man7.org/linux/man-pages/man2/prctl.2.html
pub fn set_pdeathsig(sig: u32) -> Result<(), Errno> {
    let option = linux_raw_sys::prctl::PR_SET_PDEATHSIG as usize;
    // SAFETY: integer arguments; the rest are zero, as the man page asks.
    unsafe { call(&PDEATHSIG, [option, sig as usize, 0, 0, 0, 0]) }.map(drop)
}

static SETPGID: Call = Call {
    sys: rows::setpgid,
    args: args!(Int, Int),
    ret: Ret::Int,
};

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
    // SAFETY: plain integers.
    unsafe { call(&SETPGID, [int(pid), int(pgid), 0, 0, 0, 0]) }.map(drop)
}

static GETPGID: Call = Call {
    sys: rows::getpgid,
    args: args!(Int),
    ret: Ret::Int,
};

/// [getpgid(2)]: the process group of `pid` (0: the caller). aarch64 has
/// no `getpgrp`, so ns-tool asks `getpgid(0)` on both.
///
/// Syscall number: x86_64 121, aarch64 155.
///
/// Errors: `ESRCH` (no such process).
///
/// [getpgid(2)]: https://man7.org/linux/man-pages/man2/getpgid.2.html
pub fn getpgid(pid: i32) -> Result<i32, Errno> {
    // SAFETY: a plain integer.
    unsafe { call(&GETPGID, [int(pid), 0, 0, 0, 0, 0]) }.map(|g| g as i32)
}

static SUBREAPER: Call = Call {
    sys: rows::prctl,
    args: args!(Prctl, Int),
    ret: Ret::Int,
};

/// [prctl(2)] `PR_SET_CHILD_SUBREAPER`: orphaned descendants are
/// reparented to this process rather than to PID 1, so it can reap them.
///
/// Syscall number: x86_64 157, aarch64 167 (`prctl`).
///
/// Errors: `EINVAL` (a kernel before 3.4).
///
/// [prctl(2)]: https://man7.org/linux/man-pages/man2/prctl.2.html
pub fn set_child_subreaper() -> Result<(), Errno> {
    let option = linux_raw_sys::prctl::PR_SET_CHILD_SUBREAPER as usize;
    // SAFETY: integer arguments; the rest are zero, as the man page asks.
    unsafe { call(&SUBREAPER, [option, 1, 0, 0, 0, 0]) }.map(drop)
}

static REBOOT: Call = Call {
    sys: rows::reboot,
    args: args!(Reboot, Reboot, Reboot, Null),
    ret: Ret::Int,
};

/// [reboot(2)] `LINUX_REBOOT_CMD_POWER_OFF`: stop the machine and power
/// it off, at once (call [`super::sync`] first). Returns only on failure.
///
/// Syscall number: x86_64 169, aarch64 142.
///
/// Errors: `EPERM` (no `CAP_SYS_BOOT`); in a PID namespace other than the
/// first, it ends that namespace's PID 1 instead of the machine.
///
/// [reboot(2)]: https://man7.org/linux/man-pages/man2/reboot.2.html
pub fn power_off() -> Errno {
    use linux_raw_sys::general::{
        LINUX_REBOOT_CMD_POWER_OFF, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
    };
    let a = [
        LINUX_REBOOT_MAGIC1 as usize,
        LINUX_REBOOT_MAGIC2 as usize,
        LINUX_REBOOT_CMD_POWER_OFF as usize,
        0,
        0,
        0,
    ];
    // SAFETY: integer arguments; the fourth is unused by this command.
    match unsafe { call(&REBOOT, a) } {
        Err(e) => e,
        Ok(_) => Errno::EINVAL,
    }
}
