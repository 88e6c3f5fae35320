//! ns-tool: create a PID namespace with raw system calls and show, step by
//! step, what happens to process IDs.
//!
//! This library is the whole program except its freestanding runtime
//! (`src/main.rs`), so that everything here can be unit-tested with std.
//! It is `no_std`, needs no allocator and calls no libc.

#![cfg_attr(not(test), no_std)]

#[cfg(test)]
extern crate std;

// First: the `t!` macro it defines is used by every module below.
#[macro_use]
pub mod text;

pub mod cli;
pub mod cmd;
pub mod engine;
pub mod error;
pub mod rt;
pub mod sys;

use cli::{Command, Topic};
use cmd::{init, pid, syscalls as table};
use error::EXIT_USAGE;
use rt::{argv, out};
use text::Packed;

/// Help for `ns-tool --help`, after "ns-tool VERSION". Short, as util-linux's are: the long
/// explanations are in docs/ (and the README).
pub const HELP: Packed = t!(
    ": Linux namespaces made with raw system calls, shown step by step

Usage: ns-tool [--trace] COMMAND [ARGS...]

Commands:
  pid       a PID namespace: the demonstration, or run a program as its PID 1
  init      be the PID 1 of a container or VM (as tini, dumb-init, catatonit)
  syscalls  the system calls ns-tool makes, numbered for x86_64 and aarch64
  help CMD  a command's help

Options:
  --trace        print every system call on stderr as it happens
  -h, --help     print this help
  -V, --version  print the version

Exit status: 0 success, 1 a system call failed (the line names it), 2 bad
command line, 3 refused to run setuid, setgid or with file capabilities;
running a COMMAND, its status (128+N: killed by signal N; 126: found but
not runnable; 127: not found).

Not a sandbox, and not for setuid: see docs/security.md.
"
);

/// The line ns-tool prints, and all it does, when the kernel marked its
/// execution as secure (`Argv::secure`); exit status
/// [`error::EXIT_SECURE`].
pub const SECURE_REFUSAL: Packed = t!("ns-tool: refusing to run setuid, setgid or with file \
capabilities (AT_SECURE): it would run anyone's COMMAND with those privileges; use sudo, or \
run it as yourself with --user\n");

/// Help for `ns-tool pid --help`.
pub const HELP_PID: Packed = t!("Usage: ns-tool pid [OPTIONS] [--] [COMMAND [ARGS...]]

Create a PID namespace. Without COMMAND, show from both sides that its
first process is PID 1 with parent PID 0 (docs/01-pid-namespace.md); with
COMMAND, run it there as PID 1, found as execvp(3) finds it, and exit
with its status.

Options:
  --init        stay PID 1 and run COMMAND as PID 2, as tini does
  --mount-proc  also a mount namespace with a /proc of its own
  -r, --user    also a user namespace mapping you to root inside, so no
                root is needed outside (also --map-root-user)
  --nest N      N nested PID namespaces, 1 to 32
  -P, -g, -e N, --rewrite S:T
                as for init (ns-tool init --help), with -P as PID 1
  --trace       print every system call on stderr

Signals reach COMMAND once, Ctrl-Z stops it with ns-tool, fg resumes
both; a second Ctrl-C or SIGTERM that PID 1 has no handler for kills the
namespace (docs/signals.md). A COMMAND that changes credentials (setpriv,
su) outlives a SIGKILLed ns-tool unless --init is used. Without --user,
needs root (CAP_SYS_ADMIN).
");

/// Help for `ns-tool init --help`.
pub const HELP_INIT: Packed = t!("Usage: ns-tool init [OPTIONS] [--] COMMAND [ARGS...]

Be COMMAND's init without a new namespace: PID 1 of a container or VM,
else a subreaper. Signals are passed on once, orphans reaped; the exit
status is COMMAND's. A machine's PID 1 also mounts /proc, /sys and /dev,
and powers off at the end (docs/init.md).

Options:
  -g, --group        signal COMMAND's process group (tini -g)
  -e, --exit-zero N  exit 0 when COMMAND exits N (tini -e)
  -r, --rewrite S:T  pass signal S on as T; T 0 drops it (dumb-init -r)
  -P, --pause        run nothing; exit 0 on SIGINT/SIGTERM (catatonit -P)
  -s, --subreaper    accepted (tini -s)
  --trace            print every system call on stderr
");

/// Help for `ns-tool syscalls --help`.
pub const HELP_SYSCALLS: Packed = t!("Usage: ns-tool syscalls [--arch x86_64|aarch64|all]

Print, as a Markdown table, every system call ns-tool can make: its
number on x86_64 and on aarch64 (a dash where the arch has none), what
ns-tool uses it for, and its man page.
");

/// Run ns-tool with this process's command line; returns the exit status.
pub fn main(argv: &argv::Argv) -> i32 {
    let parsed = cli::parse(argv);
    let (init, pid) = match &parsed {
        Ok(Command::Pid(opts)) => {
            if opts.trace {
                sys::trace::enable();
            }
            (!opts.newpid, opts.newpid)
        }
        _ => (false, false),
    };
    // Who am I: the trace labels every line with it, and the loop tells
    // its own signals from others by it.
    let me = sys::getpid();
    // `init` prepares its machine or becomes a subreaper. What runs
    // nothing powers off after it as a machine's first process
    // (`rdinit=/ns-tool` with a wrong command line, say), as `init` does,
    // rather than exit and have the kernel panic. `pid` keeps its exit.
    let machine = match (init || me == 1) && !pid {
        true => match init::prepare(me) {
            Ok(machine) => machine,
            Err(e) => return e.report(),
        },
        false => false,
    };
    let result = match parsed {
        Err(usage) => {
            out::err(|b| {
                usage.put(b.s("ns-tool: "));
            });
            Ok(EXIT_USAGE)
        }
        // The general help starts with the version, as --version does.
        Ok(command @ (Command::Help(Topic::General) | Command::Version)) => {
            version().and_then(|()| {
                print(match command {
                    Command::Version => t!("\n"),
                    _ => HELP,
                })
            })
        }
        Ok(Command::Help(topic)) => print(match topic {
            Topic::Pid => HELP_PID,
            Topic::Init => HELP_INIT,
            _ => HELP_SYSCALLS,
        }),
        Ok(Command::Syscalls(arch)) => table::write_table(arch, |b| out::emit(out::STDOUT, b))
            .map(|()| 0)
            .map_err(error::Error::ctx(error::WRITE_STDOUT)),
        Ok(Command::Pid(opts)) => pid::run(&opts, argv, me),
    };
    // Not even on an error.
    let code = result.unwrap_or_else(|e| e.report());
    if machine {
        init::power_off(code)
    } else {
        code
    }
}

fn print(text: Packed) -> Result<i32, error::Error> {
    out::text(out::STDOUT, text)
        .map(|()| 0)
        .map_err(error::Error::ctx(error::WRITE_STDOUT))
}

/// `ns-tool VERSION`, which starts both --version and --help.
fn version() -> Result<(), error::Error> {
    sys::write_all(
        out::STDOUT,
        concat!("ns-tool ", env!("CARGO_PKG_VERSION")).as_bytes(),
    )
    .map_err(error::Error::ctx(error::WRITE_STDOUT))
}
