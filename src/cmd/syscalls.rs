//! `ns-tool syscalls`: every system call ns-tool can make, its number on
//! each supported architecture, what ns-tool uses it for, and its man
//! page, from the rows the raw layer and the trace use (`sys::rows`). The
//! output is a Markdown table; docs/syscalls.md holds a copy that a test
//! keeps equal.

use super::{check_caps, proc};
use crate::cli::{find, Arch, Command, Cursor, Next, Opts, Usage, Wrong, ARCH, HELP_OPT, TRACE};
use crate::engine::signals::number_of;
use crate::sys::rows::ALL;
use crate::sys::{Errno, NONE};
use crate::text::{Buf, Packed};

/// Help for `ns-tool syscalls --help`.
pub const HELP: Packed = t!("Usage: ns-tool syscalls [--arch x86_64|aarch64|all]

Print, as a Markdown table, every system call ns-tool can make: its
number on x86_64 and on aarch64 (a dash where the arch has none), what
ns-tool uses it for, and its man page.
");

const OPTS: Opts = Opts {
    names: t!("-h --help\n--arch"),
    ids: &[HELP_OPT, ARCH],
};

/// `--arch`'s values.
const ARCHES: Opts = Opts {
    names: t!("all\nx86_64\naarch64 arm64"),
    ids: &[0, 1, 2],
};

/// `syscalls [--arch x86_64|aarch64|all]`.
pub fn parse(args: Cursor<'_>, trace: bool) -> Result<Command, Usage<'_>> {
    options(args, trace, 0)
}

/// The loop for a subcommand of options and no other words: `syscalls`
/// (`which` 0), `check-caps [--trace]` (1), `proc [--pid PID] [--compare
/// PID2]` (2). One loop for all: measured 48 B smaller than two.
#[inline(never)]
pub fn options(mut args: Cursor<'_>, mut trace: bool, which: u8) -> Result<Command, Usage<'_>> {
    let (table, cmd, help) = match which {
        0 => (&OPTS, "syscalls", HELP),
        1 => (&check_caps::OPTS, "check-caps", check_caps::HELP),
        _ => (&proc::OPTS, "proc", proc::HELP),
    };
    let mut arch = Arch::All;
    let mut pids = [0u32; 2];
    let (what, word) = loop {
        match args.option(table) {
            Next::End => {
                return Ok(match which {
                    0 => Command::Syscalls(arch),
                    1 => Command::CheckCaps(trace),
                    _ => Command::Proc(trace, pids),
                })
            }
            Next::Opt(HELP_OPT, _) => return Ok(Command::Help(help)),
            Next::Opt(TRACE, _) => trace = true,
            // A PID: its digits, not 0 (that would be ns-tool's own).
            Next::Opt(id, value) if id != ARCH => {
                let value = value.unwrap_or(b"");
                let Some(n @ 1..) = number_of(value, 7) else {
                    break (Wrong::BadPid, value);
                };
                // --pid's id is even, --compare's odd.
                pids[usize::from(id & 1)] = n;
            }
            Next::Opt(_, value) => {
                let value = value.unwrap_or(b"");
                arch = match find(value, &ARCHES).map(|(id, _)| id) {
                    Some(0) => Arch::All,
                    Some(1) => Arch::X86_64,
                    Some(_) => Arch::Aarch64,
                    None => break (Wrong::BadArch, value),
                };
            }
            Next::Unknown(a) => break (Wrong::UnknownCommandOption, a),
            Next::DashDash(_) => break (Wrong::UnknownCommandOption, &b"--"[..]),
            Next::Word(_, a) => break (Wrong::UnexpectedArgument, a),
        }
    };
    Err(Usage::new(what, cmd, word))
}

/// The table for `arch`, one line per row through `line` (which ends it).
pub fn write_table(
    arch: Arch,
    mut line: impl FnMut(&mut Buf) -> Result<(), Errno>,
) -> Result<(), Errno> {
    let (x, a) = match arch {
        Arch::All => (true, true),
        Arch::X86_64 => (true, false),
        Arch::Aarch64 => (false, true),
    };
    let mut b = Buf::new();
    b.p(t!("| syscall |"));
    col(&mut b, x, t!(" x86_64 |"));
    col(&mut b, a, t!(" aarch64 |"));
    line(b.p(t!(" ns-tool uses it to | man page |")))?;
    let mut b = Buf::new();
    b.p(t!("|---|"));
    col(&mut b, x, t!("---:|"));
    col(&mut b, a, t!("---:|"));
    line(b.p(t!("---|---|")))?;
    for row in ALL {
        let mut b = Buf::new();
        b.p(t!("| ")).until(&mut row.name(), b'\n').p(t!(" |"));
        if x {
            num(&mut b, row.x86_64());
        }
        if a {
            num(&mut b, row.aarch64());
        }
        b.byte(b' ').until(&mut row.purpose(), b'\n').p(t!(" | "));
        line(b.until(&mut row.name(), b'\n').p(t!("(2) |")))?;
    }
    Ok(())
}

fn col(b: &mut Buf, on: bool, text: Packed) {
    if on {
        b.p(text);
    }
}

/// ` N |`, or ` - |` where the architecture lacks the call.
fn num(b: &mut Buf, n: u16) {
    b.byte(b' ');
    if n == NONE {
        b.byte(b'-');
    } else {
        b.udec(n.into());
    }
    b.p(t!(" |"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    fn table(arch: Arch) -> String {
        let mut out = String::new();
        write_table(arch, |b| {
            out.push_str(std::str::from_utf8(b.nl().as_bytes()).unwrap());
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
        assert_eq!(t.lines().count(), ALL.len() + 2);
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
