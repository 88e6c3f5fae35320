//! One row per system call ns-tool can make: its name, its number on
//! x86_64 and on aarch64 (from the `syscalls` crate's per-arch tables,
//! cross-checked against the kernel's headers and the `sc` crate by
//! tests/syscalls_test.rs), and what ns-tool uses it for. `ns-tool
//! syscalls` lists [`ALL`]; `--trace` prints the number from the row.
//!
//! Adding a system call: its row here (and in [`ALL`]), then its wrapper
//! with a [`super::Call`] in the family file.

#![allow(non_upper_case_globals)]

use syscalls::aarch64::Sysno as A64;
use syscalls::x86_64::Sysno as X64;

use super::{Sys, NONE};

/// A row for a call both architectures have, under its own name.
macro_rules! row {
    ($name:ident, $purpose:expr) => {
        #[doc = concat!("`", stringify!($name), "`: ", $purpose, ".")]
        pub static $name: Sys = Sys {
            text: concat!(stringify!($name), "\0", $purpose),
            x86_64: X64::$name as u16,
            aarch64: A64::$name as u16,
        };
    };
}

row!(unshare, "create the new PID (and user, mount) namespaces");
/// `fork`: only x86_64 has it.
pub static fork: Sys = Sys {
    text: "fork\0create a child; aarch64 has no fork: clone(SIGCHLD) instead",
    x86_64: X64::fork as u16,
    aarch64: NONE,
};
row!(
    clone,
    "fork on aarch64: clone(SIGCHLD, 0, 0, 0, 0); unused on x86_64"
);
row!(getpid, "the child checks it is PID 1");
row!(getppid, "the child sees parent PID 0");
row!(getuid, "--user: the ID to map to root");
row!(getgid, "--user: the group to map to root");
row!(wait4, "reap the child (and, under --init, orphans)");
row!(pipe2, "hold the child until the parent is ready");
row!(read, "wait on that pipe; read /proc/self/status");
row!(write, "print; release the child; write ID maps");
row!(openat, "open /proc files (aarch64 has no plain open)");
row!(close, "close descriptors");
row!(
    readlinkat,
    "read /proc/self/ns/pid (aarch64 has no plain readlink)"
);
row!(prctl, "PR_SET_PDEATHSIG: die with the parent");
row!(mount, "--mount-proc: make / private, mount /proc");
row!(execve, "run COMMAND");
row!(kill, "pass signals on to the child");
row!(rt_sigprocmask, "block the signals the supervisor waits for");
row!(
    rt_sigtimedwait,
    "wait for a signal or a child's end, and see who sent it"
);
row!(
    rt_sigaction,
    "undo an inherited SIGCHLD ignore (and give it back to COMMAND)"
);
row!(
    rt_sigqueueinfo,
    "the sentinel passes a signal on, saying who sent it"
);
row!(setpgid, "put COMMAND's job in a process group of its own");
row!(
    getpgid,
    "ns-tool's own process group (aarch64 has no getpgrp)"
);
row!(
    ioctl,
    "TIOCGPGRP/TIOCSPGRP: hand the terminal to COMMAND and back"
);
row!(exit_group, "exit");

/// Every row, in the order `ns-tool syscalls` lists them.
pub static ALL: &[&Sys] = &[
    &unshare,
    &fork,
    &clone,
    &getpid,
    &getppid,
    &getuid,
    &getgid,
    &wait4,
    &pipe2,
    &read,
    &write,
    &openat,
    &close,
    &readlinkat,
    &prctl,
    &mount,
    &execve,
    &kill,
    &rt_sigprocmask,
    &rt_sigtimedwait,
    &rt_sigaction,
    &rt_sigqueueinfo,
    &setpgid,
    &getpgid,
    &ioctl,
    &exit_group,
];
