//! `ns-tool syscalls`: every system call ns-tool can make, its number on
//! each supported architecture (from the `syscalls` crate's per-arch
//! tables), what ns-tool uses it for, and its man page. The output is a
//! Markdown table; docs/syscalls.md holds a copy that a test keeps equal.

use core::fmt;

use syscalls::aarch64::Sysno as A64;
use syscalls::x86_64::Sysno as X64;

use crate::args::Arch;

/// One system call: name, numbers (None: the arch has no such call),
/// purpose, man page section 2 name.
struct Row {
    name: &'static str,
    x86_64: Option<X64>,
    aarch64: Option<A64>,
    purpose: &'static str,
}

const ROWS: &[Row] = &[
    Row {
        name: "unshare",
        x86_64: Some(X64::unshare),
        aarch64: Some(A64::unshare),
        purpose: "create the new PID (and user, mount) namespaces",
    },
    Row {
        name: "fork",
        x86_64: Some(X64::fork),
        aarch64: None,
        purpose: "create a child; aarch64 has no fork: clone(SIGCHLD) instead",
    },
    Row {
        name: "clone",
        x86_64: Some(X64::clone),
        aarch64: Some(A64::clone),
        purpose: "fork on aarch64: clone(SIGCHLD, 0, 0, 0, 0); unused on x86_64",
    },
    Row {
        name: "getpid",
        x86_64: Some(X64::getpid),
        aarch64: Some(A64::getpid),
        purpose: "the child checks it is PID 1",
    },
    Row {
        name: "getppid",
        x86_64: Some(X64::getppid),
        aarch64: Some(A64::getppid),
        purpose: "the child sees parent PID 0",
    },
    Row {
        name: "getuid",
        x86_64: Some(X64::getuid),
        aarch64: Some(A64::getuid),
        purpose: "--user: the ID to map to root",
    },
    Row {
        name: "getgid",
        x86_64: Some(X64::getgid),
        aarch64: Some(A64::getgid),
        purpose: "--user: the group to map to root",
    },
    Row {
        name: "wait4",
        x86_64: Some(X64::wait4),
        aarch64: Some(A64::wait4),
        purpose: "reap the child (and, under --init, orphans)",
    },
    Row {
        name: "pipe2",
        x86_64: Some(X64::pipe2),
        aarch64: Some(A64::pipe2),
        purpose: "hold the child until the parent is ready",
    },
    Row {
        name: "read",
        x86_64: Some(X64::read),
        aarch64: Some(A64::read),
        purpose: "wait on that pipe; read /proc/self/status",
    },
    Row {
        name: "write",
        x86_64: Some(X64::write),
        aarch64: Some(A64::write),
        purpose: "print; release the child; write ID maps",
    },
    Row {
        name: "openat",
        x86_64: Some(X64::openat),
        aarch64: Some(A64::openat),
        purpose: "open /proc files (aarch64 has no plain open)",
    },
    Row {
        name: "close",
        x86_64: Some(X64::close),
        aarch64: Some(A64::close),
        purpose: "close descriptors",
    },
    Row {
        name: "readlinkat",
        x86_64: Some(X64::readlinkat),
        aarch64: Some(A64::readlinkat),
        purpose: "read /proc/self/ns/pid (aarch64 has no plain readlink)",
    },
    Row {
        name: "prctl",
        x86_64: Some(X64::prctl),
        aarch64: Some(A64::prctl),
        purpose: "PR_SET_PDEATHSIG: die with the parent",
    },
    Row {
        name: "mount",
        x86_64: Some(X64::mount),
        aarch64: Some(A64::mount),
        purpose: "--mount-proc: make / private, mount /proc",
    },
    Row {
        name: "execve",
        x86_64: Some(X64::execve),
        aarch64: Some(A64::execve),
        purpose: "run COMMAND",
    },
    Row {
        name: "kill",
        x86_64: Some(X64::kill),
        aarch64: Some(A64::kill),
        purpose: "pass signals on to the child",
    },
    Row {
        name: "rt_sigprocmask",
        x86_64: Some(X64::rt_sigprocmask),
        aarch64: Some(A64::rt_sigprocmask),
        purpose: "block the signals the supervisor waits for",
    },
    Row {
        name: "rt_sigtimedwait",
        x86_64: Some(X64::rt_sigtimedwait),
        aarch64: Some(A64::rt_sigtimedwait),
        purpose: "wait for a signal or a child's end, and see who sent it",
    },
    Row {
        name: "rt_sigaction",
        x86_64: Some(X64::rt_sigaction),
        aarch64: Some(A64::rt_sigaction),
        purpose: "undo an inherited SIGCHLD ignore (and give it back to COMMAND)",
    },
    Row {
        name: "setpgid",
        x86_64: Some(X64::setpgid),
        aarch64: Some(A64::setpgid),
        purpose: "put COMMAND's job in a process group of its own",
    },
    Row {
        name: "getpgid",
        x86_64: Some(X64::getpgid),
        aarch64: Some(A64::getpgid),
        purpose: "ns-tool's own process group (aarch64 has no getpgrp)",
    },
    Row {
        name: "ioctl",
        x86_64: Some(X64::ioctl),
        aarch64: Some(A64::ioctl),
        purpose: "TIOCGPGRP/TIOCSPGRP: hand the terminal to COMMAND and back",
    },
    Row {
        name: "exit_group",
        x86_64: Some(X64::exit_group),
        aarch64: Some(A64::exit_group),
        purpose: "exit",
    },
];

/// Number or a dash.
struct Num(Option<u32>);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("-"),
        }
    }
}

/// The table for `arch`, one line per call through `line`.
pub fn write_table(
    arch: Arch,
    mut line: impl FnMut(fmt::Arguments) -> Result<(), crate::sys::Errno>,
) -> Result<(), crate::sys::Errno> {
    let (x, a) = match arch {
        Arch::All => (true, true),
        Arch::X86_64 => (true, false),
        Arch::Aarch64 => (false, true),
    };
    let col = |on: bool, name: &'static str| if on { name } else { "" };
    line(format_args!(
        "| syscall |{}{} ns-tool uses it to | man page |",
        col(x, " x86_64 |"),
        col(a, " aarch64 |")
    ))?;
    line(format_args!(
        "|---|{}{}---|---|",
        col(x, "---:|"),
        col(a, "---:|")
    ))?;
    for row in ROWS {
        let xn = Num(row.x86_64.map(|s| s.id() as u32));
        let an = Num(row.aarch64.map(|s| s.id() as u32));
        match arch {
            Arch::All => line(format_args!(
                "| {} | {xn} | {an} | {} | {}(2) |",
                row.name, row.purpose, row.name
            ))?,
            Arch::X86_64 => line(format_args!(
                "| {} | {xn} | {} | {}(2) |",
                row.name, row.purpose, row.name
            ))?,
            Arch::Aarch64 => line(format_args!(
                "| {} | {an} | {} | {}(2) |",
                row.name, row.purpose, row.name
            ))?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    fn table(arch: Arch) -> String {
        let mut out = String::new();
        write_table(arch, |a| {
            out.push_str(&std::format!("{a}\n"));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn numbers_for_both_arches() {
        let t = table(Arch::All);
        assert!(t.contains("| unshare | 272 | 97 |"), "{t}");
        assert!(t.contains("| fork | 57 | - |"), "{t}");
        assert!(t.contains("| clone | 56 | 220 |"), "{t}");
        assert_eq!(t.lines().count(), ROWS.len() + 2);
    }

    #[test]
    fn one_arch() {
        let t = table(Arch::Aarch64);
        assert!(t.starts_with(
            "| syscall | aarch64 | ns-tool uses it to | man page |\n|---|---:|---|---|\n"
        ));
        assert!(t.contains("| wait4 | 260 |"), "{t}");
        assert!(
            t.lines().skip(2).all(|l| l.matches(" | ").count() == 3),
            "four columns: {t}"
        );
    }
}
