//! ns-tool: create a PID namespace with raw system calls and show, step by
//! step, what happens to process IDs.
//!
//! This library is the whole program except its freestanding runtime
//! (`src/main.rs`), so that everything here can be unit-tested with std.
//! It is `no_std`, needs no allocator and calls no libc.

#![cfg_attr(not(test), no_std)]

#[cfg(test)]
extern crate std;

pub mod args;
pub mod argv;
pub mod error;
pub mod exec;
pub mod jobs;
pub mod ns;
pub mod out;
pub mod pid;
pub mod procfs;
pub mod signals;
pub mod supervise;
pub mod sys;
pub mod table;
pub mod text;

use args::{Command, Topic};
use error::EXIT_USAGE;

/// Help for `ns-tool --help`.
pub const HELP: &str = concat!(
    "ns-tool ",
    env!("CARGO_PKG_VERSION"),
    ": create a PID namespace with raw system calls and watch what happens to process IDs

Usage: ns-tool [--trace] <COMMAND>
       ns-tool --help | --version

Commands:
  pid    create a PID namespace; show from both sides that the child is its
         PID 1, or run a program there (ns-tool pid --help for details)
  syscalls
         the system calls ns-tool makes, with their numbers on x86_64
         and aarch64 (ns-tool syscalls --help)
  help   print this help, or a command's (help pid)

Options:
  --trace        print every system call ns-tool makes, as it happens, on
                 stderr: who made it, decoded arguments, result, number
  -h, --help     print help and exit
  -V, --version  print the version and exit

Exit status:
  0    success
  1    a system call failed (the error line names it)
  2    bad command line
  pid: the child's (or COMMAND's) exit status, 128+N if signal N killed it,
       126 if COMMAND cannot be run, 127 if it is not found
"
);

/// Help for `ns-tool pid --help`.
pub const HELP_PID: &str = "Usage: ns-tool pid [OPTIONS] [--] [COMMAND [ARGS...]]

Without COMMAND, a demonstration of what happens to process IDs:
  1. unshare(CLONE_NEWPID): ns-tool stays where it is, but its next child
     is born into a new PID namespace;
  2. fork: the child is PID 1 there, and its parent PID is 0 because the
     parent lives outside the namespace;
  3. the parent prints the child's PID as seen from outside, both sides
     print their /proc/self/ns/pid link, the child prints its NSpid line
     (its PID in every namespace, outermost first), and the parent reaps
     the child with wait4.

With COMMAND, the child execs it (found as execvp(3) finds it) as PID 1
of the new namespace, in a process group of its own that gets the
terminal, and ns-tool exits with its status. Every signal sent to
ns-tool is passed on once; Ctrl-Z stops COMMAND and ns-tool together, and
fg or bg resumes both. A PID 1 never sees a signal it has no handler for:
at the second such Ctrl-C or SIGTERM, ns-tool kills the namespace. If
ns-tool dies, even by SIGKILL, the kernel kills the namespace's PID 1 and
with it the rest; but a COMMAND that changes credentials (setpriv, su, a
setuid program) loses that, so use --init for it. See docs/signals.md.

Options:
  --init          ns-tool stays PID 1 (like tini): COMMAND runs as PID 2,
                  gets the signals, and orphans are reaped
  --mount-proc    also a new mount namespace with a fresh /proc, so /proc
                  shows only the namespace's processes
  -r, --user, --map-root-user
                  also a user namespace mapping you to root inside, so no
                  root is needed outside
  --nest N        N nested PID namespaces, 1 to 32 (the kernel's limit)
  --trace         print every system call on stderr (also before 'pid')
  -h, --help      print this help

Without --user, needs CAP_SYS_ADMIN: run it as root (sudo ns-tool pid).

Exit status: the child's or COMMAND's exit status (128+N if signal N killed
it; 126 COMMAND not runnable; 127 not found); 1 if a system call failed,
with one line on stderr naming it; 2 for a bad command line.
";

/// Help for `ns-tool syscalls --help`.
pub const HELP_SYSCALLS: &str = "Usage: ns-tool syscalls [--arch x86_64|aarch64|all]

Prints, as a Markdown table, every system call ns-tool can make: its number
on x86_64 and aarch64 (a dash where the architecture lacks the call), what
ns-tool uses it for, and its man page. Numbers differ between the two:
aarch64 uses the kernel's generic table, which also drops legacy calls
such as fork, open and readlink.
";

/// Run ns-tool with this process's command line; returns the exit status.
pub fn main(argv: &argv::Argv) -> i32 {
    let command = match args::parse(argv) {
        Ok(command) => command,
        Err(usage) => {
            out::err(|b| {
                usage.put(b.s("ns-tool: "));
            });
            return EXIT_USAGE;
        }
    };
    let result = match command {
        Command::Help(Topic::General) => print(HELP),
        Command::Help(Topic::Pid) => print(HELP_PID),
        Command::Version => print(concat!("ns-tool ", env!("CARGO_PKG_VERSION"), "\n")),
        Command::Help(Topic::Syscalls) => print(HELP_SYSCALLS),
        Command::Pid(opts) => pid::run(&opts, argv),
        Command::Syscalls(arch) => table::write_table(arch, |b| out::emit(out::STDOUT, b))
            .map(|()| 0)
            .map_err(error::Error::ctx(error::WRITE_STDOUT)),
    };
    result.unwrap_or_else(|e| e.report())
}

fn print(text: &str) -> Result<i32, error::Error> {
    sys::write_all(out::STDOUT, text.as_bytes())
        .map(|()| 0)
        .map_err(error::Error::ctx(error::WRITE_STDOUT))
}
