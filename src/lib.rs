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

use cli::Command;
use cmd::{check_caps, init, syscalls, HELP};
use error::EXIT_USAGE;
use rt::{argv, out};
use text::Packed;

/// The line ns-tool prints, and all it does, when the kernel marked its
/// execution as secure (`Argv::secure`); exit status
/// [`error::EXIT_SECURE`].
pub const SECURE_REFUSAL: Packed = t!("ns-tool: refusing to run setuid, setgid or with file \
capabilities (AT_SECURE): it would run anyone's COMMAND with those privileges; use sudo, or \
run it as yourself with --user\n");

/// Run ns-tool with this process's command line; returns the exit status.
pub fn main(argv: &argv::Argv) -> i32 {
    let parsed = cmd::parse(argv);
    let (init, pid, trace) = match parsed {
        Ok(Command::Run(opts)) => (opts.bare_init, opts.newpid, opts.trace),
        Ok(Command::CheckCaps(trace) | Command::Proc(trace, _)) => (false, false, trace),
        _ => (false, false, false),
    };
    if trace {
        sys::trace::enable();
    }
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
        Ok(command @ (Command::Help(HELP) | Command::Version)) => version().and_then(|()| {
            print(match command {
                Command::Version => t!("\n"),
                _ => HELP,
            })
        }),
        Ok(Command::Help(page)) => print(page),
        Ok(Command::Syscalls(arch)) => syscalls::write_table(arch, |b| out::emit(out::STDOUT, b))
            .map(|()| 0)
            .map_err(error::Error::ctx(error::WRITE_STDOUT)),
        Ok(Command::Run(opts)) => engine::run(&opts, argv, me),
        Ok(Command::CheckCaps(_)) => check_caps::run(),
        Ok(Command::Proc(_, pids)) => cmd::proc::run(pids),
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
