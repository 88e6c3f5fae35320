//! One row per system call ns-tool can make: its name, its number on
//! x86_64 and on aarch64 (from the `syscalls` crate's per-arch tables,
//! cross-checked against the kernel's headers and the `sc` crate by
//! tests/syscalls_test.rs), and what ns-tool uses it for. `ns-tool
//! syscalls` lists [`ALL`]; `--trace` prints the number from the row.
//!
//! Adding a system call: its row here, then its wrapper with a
//! [`super::Call`] in the family file.
//!
//! A row is a byte ([`Sys`]) indexing two small tables: the numbers, and
//! the names and purposes, which build/pack.rs packs (reading this file:
//! keep one row a line) as it packs `t!` texts. Pointers and `&str`s
//! would be most of the rows' size.

use syscalls::aarch64::Sysno as A64;
use syscalls::x86_64::Sysno as X64;

use super::NONE;
use crate::text::{Packed, Unpack};

/// The rows: `name: "purpose",`, or `name [x86_64 only]: ...` for a call
/// aarch64 lacks. Makes [`Sys`], with a variant per row, [`ALL`], and the
/// numbers.
macro_rules! rows {
    ($($name:ident $([$only:ident only])?: $purpose:literal,)*) => {
        /// A system call ns-tool can make: an index into its tables.
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u8)]
        pub enum Sys {
            $(
                #[doc = concat!("`", stringify!($name), "`: ", $purpose, ".")]
                $name,
            )*
        }
        pub use Sys::*;

        /// Every row, in the order `ns-tool syscalls` lists them.
        pub static ALL: &[Sys] = &[$($name),*];

        /// Each row's numbers: x86_64, aarch64.
        static NR: &[[u16; 2]] = &[$(nr!($name $($only)?)),*];

        /// The names, for the test that the packed text agrees.
        #[cfg(test)]
        static NAMES: &[&str] = &[$(stringify!($name)),*];
    };
}

/// A row's numbers; `x86_64` for a call only x86_64 has.
macro_rules! nr {
    ($name:ident) => {
        [X64::$name as u16, A64::$name as u16]
    };
    ($name:ident x86_64) => {
        [X64::$name as u16, NONE]
    };
}

rows! {
    unshare: "create namespaces: the parent's (PID, user, time), or the child's own",
    fork [x86_64 only]: "create a child; aarch64 has no fork: clone(SIGCHLD) instead",
    clone: "fork on aarch64: clone(SIGCHLD, 0, 0, 0, 0); clone: where clone3 is refused",
    clone3: "clone: child and namespaces in one call",
    getpid: "the child checks it is PID 1",
    getppid: "the child sees parent PID 0",
    getuid: "--user: the ID to map to root",
    getgid: "--user: the group to map to root",
    wait4: "reap the child (and, under --init, orphans)",
    waitid: "clone: wait through the child's pidfd",
    pipe2: "hold the child until the parent is ready",
    read: "wait on that pipe; read /proc/self/status",
    write: "print; release the child; write ID maps",
    openat: "open /proc files (aarch64 has no plain open)",
    close: "close descriptors",
    readlinkat: "read /proc/PID/ns links (aarch64 has no plain readlink)",
    getdents64: "proc: list /proc/PID/ns",
    prctl: "PR_SET_PDEATHSIG: die with the parent; init: be a subreaper",
    mount: "--mount-proc: make / private, mount /proc; init: /proc, /sys, /dev; mount: a tmpfs",
    execve: "run COMMAND",
    kill: "pass signals on to the child",
    rt_sigprocmask: "block the signals the supervisor waits for",
    rt_sigtimedwait: "wait for a signal or a child's end, and see who sent it",
    rt_sigaction: "undo an inherited SIGCHLD ignore (and give it back to COMMAND)",
    rt_sigqueueinfo: "the sentinel passes a signal on, saying who sent it",
    setpgid: "put COMMAND's job in a process group of its own",
    getpgid: "ns-tool's own process group (aarch64 has no getpgrp)",
    ioctl: "TIOCGPGRP/TIOCSPGRP: hand the terminal to COMMAND and back; net: lo up",
    chdir: "init: go to /, so it pins no mount",
    close_range: "init: close what COMMAND inherited",
    mkdirat: "init on a bare machine: a mount point",
    sync: "init on a bare machine: flush disks",
    reboot: "init on a bare machine: power off",
    exit_group: "exit",
    capget: "check-caps: the effective capabilities",
    uname: "uts: the hostname and domain name, from each side",
    sethostname: "uts: the hostname inside",
    setdomainname: "uts: the NIS domain name inside",
    msgget: "ipc: a message queue outside",
    semget: "ipc: a semaphore set outside",
    shmget: "ipc: a shared memory segment outside",
    msgctl: "ipc: remove the queue",
    semctl: "ipc: remove the semaphore set",
    shmctl: "ipc: remove the segment",
    clock_gettime: "time: CLOCK_MONOTONIC and CLOCK_BOOTTIME, from each side",
    socket: "net: for lo's flags and a UDP datagram",
    bind: "net: 127.0.0.1, a port the kernel picks",
    getsockname: "net: the port it picked",
    connect: "net: to it, for write and read",
}

/// Every row's `name\npurpose\n`, in order, packed (build/pack.rs).
const TEXT: Packed = rows_text!();

impl Sys {
    /// Its name, unpacked, then a newline and its purpose.
    pub fn name(self) -> Unpack {
        TEXT.entry(2 * self as usize, b'\n')
    }

    /// What ns-tool uses it for, unpacked, then a newline.
    pub fn purpose(self) -> Unpack {
        TEXT.entry(2 * self as usize + 1, b'\n')
    }

    /// Its number on x86_64, or [`NONE`].
    pub fn x86_64(self) -> u16 {
        NR[self as usize][0]
    }

    /// Its number on aarch64 (the kernel's generic table), or [`NONE`].
    pub fn aarch64(self) -> u16 {
        NR[self as usize][1]
    }

    /// Its number on the architecture ns-tool was built for.
    pub fn nr(self) -> u16 {
        NR[self as usize][usize::from(cfg!(target_arch = "aarch64"))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(it: Unpack) -> std::string::String {
        it.take_while(|&c| c != b'\n').map(char::from).collect()
    }

    #[test]
    fn the_packed_names_are_the_rows() {
        assert_eq!(ALL.len(), NAMES.len());
        for (&row, &name) in ALL.iter().zip(NAMES) {
            assert_eq!(text(row.name()), name);
            assert!(!text(row.purpose()).is_empty(), "{name}");
        }
        assert_eq!(text(exit_group.purpose()), "exit");
        assert_eq!((fork.x86_64(), fork.aarch64()), (57, NONE));
        assert_eq!((unshare.x86_64(), unshare.aarch64()), (272, 97));
    }
}
