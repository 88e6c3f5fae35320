//! `ns-tool pid`: create a PID namespace and show, from both sides, what
//! happens to process IDs (docs/01-pid-namespace.md); or run a COMMAND as
//! the namespace's PID 1. The namespace, fork and supervision are the
//! engine's (src/engine/); this file holds the demonstration.

use core::ffi::CStr;

use linux_raw_sys::general::{O_CLOEXEC, O_RDONLY};

use crate::cli::{
    Command, Cursor, Next, Opts, Usage, Wrong, EXIT_ZERO, GROUP, HELP_OPT, INIT, MOUNT_PROC, NEST,
    PAUSE, PID_NS, REWRITE, SUBREAPER, TRACE, USER, VALUE0, VALUE1,
};
use crate::engine::{self, Demo, Spec, MAX_NEST};
use crate::error::{self, Error, EXIT_FAILURE};
use crate::rt::argv::Argv;
use crate::rt::out::{self, out, say};
use crate::sys::names::{put_errno_text, put_signal};
use crate::sys::{self, Errno, WaitStatus};
use crate::text::{Buf, Packed};

/// Help for `ns-tool pid --help`.
pub const HELP: Packed = t!("Usage: ns-tool pid [OPTIONS] [--] [COMMAND [ARGS...]]

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

/// `pid`'s options (the ids are src/cli/'s).
pub const OPTS: Opts = Opts {
    names: t!("-h --help
--init
--trace
--mount-proc
-r --user --map-root-user
--nest
-g --group
-e --exit-zero
--rewrite
-P --pause"),
    ids: &[
        HELP_OPT, INIT, TRACE, MOUNT_PROC, USER, NEST, GROUP, EXIT_ZERO, REWRITE, PAUSE,
    ],
};

/// The options of a namespace subcommand without values of its own
/// (`ipc`, `cgroup`): `--pid`, and pid's that make sense there.
pub const NS_OPTS: Opts = Opts {
    names: t!("-h --help
--trace
--pid
-r --user --map-root-user
--init
--mount-proc
-P --pause
-g --group
-e --exit-zero
--rewrite"),
    ids: &[
        HELP_OPT, TRACE, PID_NS, USER, INIT, MOUNT_PROC, PAUSE, GROUP, EXIT_ZERO, REWRITE,
    ],
};

/// `pid [OPTIONS] [--] [COMMAND [ARGS...]]`.
pub fn parse(args: Cursor<'_>, trace: bool) -> Result<Command, Usage<'_>> {
    parse_run(args, trace, &RECIPE)
}

/// What a subcommand that runs on the engine is: its name, options, help
/// and demonstration, and the namespaces it makes. One static each.
pub struct Recipe {
    pub name: &'static str,
    pub opts: &'static Opts,
    pub help: Packed,
    pub demo: &'static Demo,
    /// `Spec::inner`: the namespaces its first process unshares.
    pub inner: u32,
    /// `Spec::outer`: the namespaces the parent unshares for it.
    pub outer: u32,
    /// A PID namespace even without `--pid`.
    pub newpid: bool,
    /// `init`: no namespace at all.
    pub bare_init: bool,
    /// `clone`: by clone3.
    pub clone3: bool,
    /// Whether the values of its VALUE0 and VALUE1 options are good
    /// (`uts`: names of at most 64 bytes), and what is wrong if not.
    pub check: fn(&[u8]) -> bool,
    pub bad: Wrong,
}

/// `pid`; `clone`'s and `init`'s start from it.
pub static RECIPE: Recipe = Recipe {
    name: "pid",
    opts: &OPTS,
    help: HELP,
    demo: &DEMO,
    inner: 0,
    outer: 0,
    newpid: true,
    bare_init: false,
    clone3: false,
    check: |_| true,
    bad: Wrong::NoError,
};


/// `pid [OPTIONS] [--] [COMMAND [ARGS...]]`, `clone` (the same options)
/// and `init`, whose options are a few of the same. Options end at `--` or at the
/// first word that is not an option, which starts COMMAND (as with
/// unshare(1)); everything from there on belongs to COMMAND. The tables
/// are picked here, not passed in by the caller: that measured +96 B.
pub fn parse_run<'a>(
    mut args: Cursor<'a>,
    trace: bool,
    r: &Recipe,
) -> Result<Command, Usage<'a>> {
    let (cmd, table, help) = (r.name, r.opts, r.help);
    let init = r.bare_init;
    let mut opts = Spec {
        trace,
        newpid: r.newpid,
        bare_init: init,
        clone3: r.clone3,
        inner: r.inner,
        outer: r.outer,
        demo: r.demo,
        ..Spec::default()
    };
    // Each option is taken, or says what is wrong and with which word:
    // one return builds every error (size).
    let (what, word) = loop {
        match args.option(table) {
            Next::End => break (Wrong::NoError, &b""[..]),
            Next::DashDash(None) => break (Wrong::EmptyCommand, b""),
            Next::DashDash(Some(at)) | Next::Word(at, _) => {
                opts.command = Some(at);
                break (Wrong::NoError, b"");
            }
            Next::Unknown(a) => break (Wrong::UnknownCommandOption, a),
            Next::Opt(HELP_OPT, _) => return Ok(Command::Help(help)),
            Next::Opt(INIT, _) => opts.init = true,
            Next::Opt(TRACE, _) => opts.trace = true,
            Next::Opt(MOUNT_PROC, _) => opts.mount_proc = true,
            Next::Opt(USER, _) => opts.user = true,
            Next::Opt(NEST, None) => break (Wrong::NestMissing, b""),
            Next::Opt(NEST, Some(v)) => match parse_nest(v) {
                Some(n) => opts.nest = n,
                None => break (Wrong::NestRange, v),
            },
            // `pid --pause`: the namespace's PID 1 pauses, as under --init.
            Next::Opt(PAUSE, _) => (opts.pause, opts.init) = (true, !init),
            Next::Opt(GROUP, _) => opts.relay.group = true,
            // tini's -s: ns-tool is a subreaper whenever it is not PID 1.
            Next::Opt(SUBREAPER, _) => {}
            Next::Opt(PID_NS, _) => opts.newpid = true,
            // The option as written is the last word read.
            Next::Opt(_, None) => break (Wrong::NeedsValue, args.words.word(args.at - 1)),
            Next::Opt(id @ (VALUE0 | VALUE1), Some(v)) => {
                if !(r.check)(v) {
                    break (r.bad, v);
                }
                opts.values[usize::from(id == VALUE1)] = args.place(v);
            }
            Next::Opt(EXIT_ZERO, Some(v)) => {
                if !opts.relay.add_exit_zero(v) {
                    break (Wrong::BadExitCode, v);
                }
            }
            Next::Opt(_, Some(v)) => {
                if !opts.relay.add_rewrite(v) {
                    break (Wrong::BadRewrite, v);
                }
            }
        }
    };
    let what = match (what, opts.pause, opts.command) {
        (Wrong::NoError, true, Some(_)) => Wrong::PauseWithCommand,
        (Wrong::NoError, false, None) if init => Wrong::InitWithoutCommand,
        (Wrong::NoError, false, None) if opts.init => Wrong::PidInitWithoutCommand,
        (Wrong::NoError, ..) => return Ok(Command::Run(opts)),
        (what, ..) => what,
    };
    Err(Usage::new(what, cmd, word))
}

/// `--nest`'s value: 1 to 32.
fn parse_nest(value: &[u8]) -> Option<u8> {
    crate::engine::signals::number(value)
        .filter(|n| (1..=MAX_NEST.into()).contains(n))
        .map(|n| n as u8)
}
/// The demonstration, as the engine calls it; `clone`'s too, which
/// differs in a few words (`Spec::clone3`).
pub static DEMO: Demo = Demo {
    prepare: engine::nothing,
    enter: engine::nothing,
    forked: parent_report,
    ended: parent_done,
    inside: demo,
};


fn parent_report(child: i32, opts: &Spec, _: &Argv) {
    out(|b| {
        b.p(match opts.clone3 {
            true => t!("Parent: created child with PID "),
            false => t!("Parent: spawned child with PID "),
        })
            .dec(child.into())
            .p(t!(" (in parent namespace)"));
    });
    say_link(t!("Parent: PID namespace: "), c"/proc/self/ns/pid");
    say_link(
        t!("Parent: PID namespace for children: "),
        c"/proc/self/ns/pid_for_children",
    );
}

pub fn parent_done(child: i32, status: WaitStatus, opts: &Spec, _: &Argv) -> Result<i32, Error> {
    let (code, what) = match status {
        WaitStatus::Exited(code) => (i32::from(code), None),
        WaitStatus::Signaled(sig) => (128 + i32::from(sig), Some(u32::from(sig))),
        WaitStatus::Stopped(_) | WaitStatus::Other(_) => (EXIT_FAILURE, Some(0)),
    };
    out(|b| {
        // `clone`'s words for an exit are the lesson's.
        if let (true, None) = (opts.clone3, what) {
            b.p(t!("Child exited with code ")).dec(code.into());
            return;
        }
        b.p(t!("Parent: child ")).dec(child.into());
        match what {
            None => {
                b.p(t!(" exited with status ")).dec(code.into());
            }
            Some(0) => {
                b.p(t!(" ended in an unexpected state"));
            }
            Some(sig) => {
                b.p(t!(" was killed by signal "))
                    .udec(sig.into())
                    .p(t!(" ("));
                match sys::names::signal(sig) {
                    Some(_) => put_signal(b, sig),
                    None => {
                        b.p(t!("unknown"));
                    }
                }
                b.byte(b')');
            }
        }
    });
    error::stdout_result().map(|()| code)
}

/// The demonstration, as PID 1 of the innermost namespace.
fn demo(opts: &Spec, _: &Argv) -> Result<i32, Error> {
    let pid = sys::getpid();
    let ppid = sys::getppid();
    say(t!(""));
    say(t!("=== Inside PID Namespace ==="));
    out(|b| {
        if opts.clone3 {
            b.p(t!("Child "));
        }
        b.p(t!("PID inside namespace: ")).dec(pid.into());
    });
    out(|b| {
        b.p(t!("Parent PID inside namespace: ")).dec(ppid.into());
    });
    let ok = pid == 1;
    if ok {
        say(t!("Success! We are PID 1 in the new namespace"));
    } else {
        out::err(|b| {
            b.p(t!(
                "ns-tool: expected PID 1 inside the new namespace, got PID "
            ))
            .dec(pid.into());
        });
    }
    say_link(t!("PID namespace: "), c"/proc/self/ns/pid");
    out(nspid);
    say(t!(""));
    say(t!("You can verify isolation by checking /proc:"));
    say(t!("  - /proc/self/status | grep NSpid"));
    say(t!("  - ls /proc (shows only processes in this namespace)"));
    say(t!("==========================="));
    say(t!(""));
    error::stdout_result().map(|()| if ok { 0 } else { EXIT_FAILURE })
}

/// One line: `label` and a symbolic link's target (a function of its own,
/// for size: three lines are built so).
pub fn say_link(label: Packed, path: &CStr) {
    out(|b| link(b.p(label), path));
}

/// Write a symbolic link's target, or why it could not be read.
fn link(b: &mut Buf, path: &CStr) {
    let mut buf = [0u8; 64];
    match sys::readlink(path, &mut buf) {
        Ok(n) => {
            b.esc(&buf[..n]);
        }
        Err(e) => {
            b.p(t!("unavailable ("));
            put_errno_text(b, e);
            b.byte(b')');
        }
    }
}

/// Write the `NSpid:` line of /proc/self/status: this process's PID in
/// each PID namespace it belongs to, outermost first.
fn nspid(b: &mut Buf) {
    let mut status = [0u8; 4096];
    let got = sys::open(c"/proc/self/status", O_RDONLY | O_CLOEXEC)
        .and_then(|fd| sys::read_full(fd.raw(), &mut status));
    match got.and_then(|n| status_field(&status[..n], b"NSpid:").ok_or(Errno::ENOENT)) {
        Ok(line) => {
            b.esc(line);
        }
        Err(e) => {
            b.p(t!("NSpid: unavailable (/proc/self/status: "));
            put_errno_text(b, e);
            b.byte(b')');
        }
    }
}

/// The whole line of a `/proc/<pid>/status` text that starts with `key`
/// (e.g. `b"NSpid:"`), without its newline.
pub fn status_field<'a>(status: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    status
        .split(|&b| b == b'\n')
        .find(|line| line.starts_with(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &[u8] =
        b"Name:\tns-tool\nTgid:\t4243\nPid:\t4243\nPPid:\t0\nNSpid:\t4243\t1\nNSsid:\t1\n";

    #[test]
    fn finds_nspid_line() {
        assert_eq!(
            status_field(STATUS, b"NSpid:"),
            Some(&b"NSpid:\t4243\t1"[..])
        );
        assert_eq!(status_field(STATUS, b"PPid:"), Some(&b"PPid:\t0"[..]));
    }

    #[test]
    fn missing_field_is_none() {
        assert_eq!(status_field(b"Name:\tx\n", b"NSpid:"), None);
        assert_eq!(status_field(b"", b"NSpid:"), None);
    }

    #[test]
    fn a_link_that_cannot_be_read_says_why() {
        let mut b = Buf::new();
        link(&mut b, c"/nonexistent/ns/pid");
        assert_eq!(
            b.as_bytes(),
            b"unavailable (No such file or directory (ENOENT))"
        );
    }
}
