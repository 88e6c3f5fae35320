//! The subcommands, one file each, and `commands!`, the one table of them
//! that dispatch and `help X` read. A subcommand is a file here, its row
//! in that table, its name in `NAMES` and its line in [`HELP`], all
//! below (a test holds the three together).

use crate::cli::{find, Command, Cursor, Opts, Usage, Words, Wrong};
use crate::text::Packed;

/// The one table of subcommands, in `--help`'s order: `N "name" =>
/// module`, where N is its line in `NAMES`. Each module has `HELP` (its help
/// page) and `parse` (its options, into a [`Command`]). The rows expand
/// to the `mod`s and to two `match`es, dispatch and `help X`: a table of
/// function pointers measured +248 B (x86_64) and +280 B (aarch64), a
/// `match` on the names as byte strings +576 B, where these cost nothing.
macro_rules! commands {
    ($($id:literal $name:literal => $cmd:ident,)*) => {
        $(pub mod $cmd;)*

        /// Every row's id and name, for the test that checks them.
        #[cfg(test)]
        const ROWS: &[(u8, &str)] = &[$(($id, $name),)*];

        /// Parse the words after subcommand `id` (its line in NAMES).
        fn parse_command(id: u8, args: Cursor<'_>, trace: bool) -> Result<Command, Usage<'_>> {
            match id {
                $($id => $cmd::parse(args, trace),)*
                // Not reached (the ids are NAMES' own); no panic code.
                _ => Ok(Command::Version),
            }
        }

        /// The help page of the subcommand on line `id` of NAMES, if any.
        fn help_of(id: u8) -> Option<Packed> {
            match id {
                $($id => Some($cmd::HELP),)*
                _ => None,
            }
        }
    };
}

commands! {
    0 "pid" => pid,
    1 "init" => init,
    2 "syscalls" => syscalls,
    3 "check-caps" => check_caps,
    4 "proc" => proc,
    5 "clone" => clone,
    6 "uts" => uts,
    7 "ipc" => ipc,
    8 "mount" => mount,
    9 "user" => user,
    10 "cgroup" => cgroup,
    11 "time" => time,
    12 "net" => net,
}

/// The subcommands' names, one a line (the line is its id above), then
/// the options that come before a subcommand and stand in its place.
const NAMES: Opts = Opts {
    names: t!("pid
init
syscalls
check-caps
proc
clone
uts
ipc
mount
user
cgroup
time
net
-h --help help
-V --version
--trace"),
    ids: &[
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, TOP_HELP, VERSION, TOP_TRACE,
    ],
};
const TOP_HELP: u8 = 0x40;
const VERSION: u8 = 0x41;
const TOP_TRACE: u8 = 0x42;

/// Help for `ns-tool --help`, after "ns-tool VERSION". Short, as util-linux's are: the long
/// explanations are in docs/ (and the README).
pub const HELP: Packed = t!(
    ": Linux namespaces made with raw system calls, shown step by step

Usage: ns-tool [--trace] COMMAND [ARGS...]

Commands:
  pid         a PID namespace: the demonstration, or a program as its PID 1
  init        be the PID 1 of a container or VM (as tini, dumb-init, catatonit)
  syscalls    the system calls ns-tool makes, numbered for x86_64 and aarch64
  check-caps  what this process may do, root or not
  proc        every namespace of a process, or which two share
  clone       pid with one clone3 call instead of unshare and fork
  uts         a hostname and domain name of its own
  ipc         message queues, semaphores, shared memory of its own
  mount       a mount table of its own, a tmpfs mounted in it
  user        a user namespace: root inside, an ordinary user outside
  cgroup      a cgroup namespace: its cgroup is / inside
  time        a time namespace: the monotonic and boot clocks shifted
  net         a network namespace: only lo, brought up
  help CMD    a command's help

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

/// Parse the arguments after the program name (argv[1..]).
pub fn parse(words: &dyn Words) -> Result<Command, Usage<'_>> {
    let mut args = Cursor::new(words);
    // Global options come before the command.
    let mut trace = false;
    let (what, word) = loop {
        let Some((_, word)) = args.take() else {
            break (Wrong::MissingCommand, &b""[..]);
        };
        match find(word, &NAMES).map(|(id, _)| id) {
            Some(TOP_TRACE) => trace = true,
            Some(VERSION) => return Ok(Command::Version),
            Some(TOP_HELP) => {
                let page = args.take().and_then(|(_, w)| find(w, &NAMES));
                return Ok(Command::Help(
                    page.and_then(|(id, _)| help_of(id)).unwrap_or(HELP),
                ));
            }
            Some(id) => return parse_command(id, args, trace),
            None if word.starts_with(b"-") => break (Wrong::UnknownOption, word),
            None => break (Wrong::UnknownCommand, word),
        }
    };
    Err(Usage::new(what, "", word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Arch;
    use crate::engine::{Spec, MAX_NEST};
    use crate::text::Buf;
    use std::vec::Vec;

    fn format(u: Usage) -> std::string::String {
        let mut b = Buf::new();
        u.put(&mut b);
        std::string::String::from_utf8(b.as_bytes().to_vec()).unwrap()
    }

    fn p(args: &[&'static str]) -> Result<Command, Usage<'static>> {
        let v: Vec<&'static [u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let v: &'static [&'static [u8]] = std::boxed::Box::leak(v.into_boxed_slice());
        parse(std::boxed::Box::leak(std::boxed::Box::new(v)))
    }

    fn pid(args: &[&'static str]) -> Spec {
        match p(args) {
            Ok(Command::Run(opts)) => opts,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn check_caps_command() {
        assert_eq!(p(&["check-caps"]), Ok(Command::CheckCaps(false)));
        assert_eq!(p(&["--trace", "check-caps"]), Ok(Command::CheckCaps(true)));
        assert_eq!(p(&["check-caps", "--trace"]), Ok(Command::CheckCaps(true)));
        assert_eq!(
            p(&["check-caps", "-h"]),
            Ok(Command::Help(check_caps::HELP))
        );
        assert_eq!(
            p(&["help", "check-caps"]),
            Ok(Command::Help(check_caps::HELP))
        );
        assert!(p(&["check-caps", "x"]).is_err());
        assert!(p(&["check-caps", "--arch", "x86_64"]).is_err());
    }

    #[test]
    fn proc_command() {
        assert_eq!(p(&["proc"]), Ok(Command::Proc(false, [0, 0])));
        assert_eq!(
            p(&["--trace", "proc", "--pid", "42", "--compare=4194304"]),
            Ok(Command::Proc(true, [42, 4194304]))
        );
        assert_eq!(
            p(&["proc", "--compare", "7"]),
            Ok(Command::Proc(false, [0, 7]))
        );
        assert_eq!(p(&["proc", "-h"]), Ok(Command::Help(proc::HELP)));
        for bad in ["0", "-1", "x", "12345678", "+5"] {
            assert_eq!(
                p(&["proc", "--pid", bad]),
                Err(Usage::new(Wrong::BadPid, "proc", bad.as_bytes()))
            );
        }
        assert!(p(&["proc", "1"]).is_err());
    }

    #[test]
    fn clone_takes_pids_options() {
        let clone3 = Spec {
            clone3: true,
            demo: &pid::DEMO,
            ..Spec::default()
        };
        assert_eq!(pid(&["clone"]), clone3);
        let o = pid(&["--trace", "clone", "--init", "--user", "--", "sh"]);
        assert_eq!(
            o,
            Spec {
                trace: true,
                init: true,
                user: true,
                command: Some(5),
                ..clone3
            }
        );
        assert_eq!(pid(&["clone", "--nest", "4"]).nest, 4);
        assert_eq!(p(&["clone", "-h"]), Ok(Command::Help(clone::HELP)));
        assert_eq!(p(&["help", "clone"]), Ok(Command::Help(clone::HELP)));
        assert_eq!(
            p(&["clone", "--bogus"]),
            Err(Usage::new(Wrong::UnknownCommandOption, "clone", b"--bogus"))
        );
        assert_eq!(
            p(&["clone", "--init"]),
            Err(Usage::new(Wrong::PidInitWithoutCommand, "clone", b""))
        );
        // `pid` stays `pid`.
        assert!(!pid(&["pid", "--init", "x"]).clone3);
    }

    #[test]
    fn pid_demo() {
        assert_eq!(
            pid(&["pid"]),
            Spec {
                demo: &pid::DEMO,
                ..Spec::default()
            }
        );
    }

    #[test]
    fn pid_with_command() {
        let o = pid(&["pid", "--", "sh", "-c", "echo $$"]);
        assert_eq!(o.command, Some(2));
        // Without "--", the first non-option word starts COMMAND, and
        // options after it belong to COMMAND.
        let o = pid(&["pid", "--init", "sleep", "--init"]);
        assert!(o.init);
        assert_eq!(o.command, Some(2));
        // "--" after COMMAND has started is COMMAND's.
        assert_eq!(pid(&["pid", "--", "--", "x"]).command, Some(2));
    }

    #[test]
    fn pid_options() {
        let o = pid(&[
            "pid",
            "--mount-proc",
            "--user",
            "--nest",
            "3",
            "--init",
            "--",
            "true",
        ]);
        assert!(o.mount_proc && o.user && o.init);
        assert_eq!(o.nest, 3);
        assert_eq!(o.command, Some(7));
        assert!(pid(&["pid", "--map-root-user"]).user);
        assert!(pid(&["pid", "-r"]).user);
        assert_eq!(pid(&["pid", "--nest=32"]).nest, 32);
        assert_eq!(pid(&["pid", "--nest", "1"]).nest, 1);
    }

    #[test]
    fn trace_before_or_after_the_subcommand() {
        let o = pid(&["--trace", "pid", "--", "true"]);
        assert!(o.trace);
        assert_eq!(o.command, Some(3));
        let o = pid(&["pid", "--trace", "true"]);
        assert!(o.trace);
        assert_eq!(o.command, Some(2));
        assert!(
            !pid(&["pid", "--", "x", "--trace"]).trace,
            "COMMAND's own option"
        );
        assert_eq!(p(&["--trace"]), Err(Usage::missing_command()));
        assert_eq!(p(&["--trace", "--version"]), Ok(Command::Version));
    }

    #[test]
    fn syscalls_command() {
        assert_eq!(p(&["syscalls"]), Ok(Command::Syscalls(Arch::All)));
        assert_eq!(
            p(&["syscalls", "--arch", "aarch64"]),
            Ok(Command::Syscalls(Arch::Aarch64))
        );
        assert_eq!(
            p(&["syscalls", "--arch=x86_64"]),
            Ok(Command::Syscalls(Arch::X86_64))
        );
        assert_eq!(
            p(&["syscalls", "--arch", "mips"]),
            Err(Usage::bad_arch(b"mips"))
        );
        assert_eq!(p(&["syscalls", "--arch"]), Err(Usage::bad_arch(b"")));
        assert_eq!(
            p(&["syscalls", "x"]),
            Err(Usage::unexpected_argument("syscalls", b"x"))
        );
        assert_eq!(p(&["help", "syscalls"]), Ok(Command::Help(syscalls::HELP)));
    }

    /// Random byte strings never make the parser panic, and whatever it
    /// accepts points inside the arguments.
    #[test]
    fn random_input_never_panics() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let words: [&[u8]; 8] = [
            b"pid",
            b"--nest",
            b"--",
            b"--init",
            b"syscalls",
            b"--arch",
            b"--trace",
            b"help",
        ];
        for _ in 0..20_000 {
            let n = (next() % 6) as usize;
            let argv: Vec<Vec<u8>> = (0..n)
                .map(|_| match next() % 3 {
                    0 => words[(next() % 8) as usize].to_vec(),
                    _ => (0..next() % 6).map(|_| next() as u8).collect(),
                })
                .collect();
            let words: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            if let Ok(Command::Run(opts)) = parse(&words.as_slice()) {
                if let Some(at) = opts.command {
                    assert!(at < argv.len(), "{argv:?}");
                }
                assert!((1..=MAX_NEST).contains(&opts.nest));
            }
        }
    }

    #[test]
    fn nest_limits() {
        assert_eq!(p(&["pid", "--nest", "33"]), Err(Usage::nest_range(b"33")));
        assert_eq!(p(&["pid", "--nest", "0"]), Err(Usage::nest_range(b"0")));
        assert_eq!(p(&["pid", "--nest=-1"]), Err(Usage::nest_range(b"-1")));
        assert_eq!(
            p(&["pid", "--nest", "9999"]),
            Err(Usage::nest_range(b"9999"))
        );
        assert_eq!(p(&["pid", "--nest", "x"]), Err(Usage::nest_range(b"x")));
        assert_eq!(p(&["pid", "--nest="]), Err(Usage::nest_range(b"")));
        assert_eq!(p(&["pid", "--nest"]), Err(Usage::nest_missing()));
    }

    #[test]
    fn help_and_version() {
        assert_eq!(p(&["--help"]), Ok(Command::Help(HELP)));
        assert_eq!(p(&["-h"]), Ok(Command::Help(HELP)));
        assert_eq!(p(&["help"]), Ok(Command::Help(HELP)));
        assert_eq!(p(&["help", "pid"]), Ok(Command::Help(pid::HELP)));
        assert_eq!(p(&["pid", "--help"]), Ok(Command::Help(pid::HELP)));
        assert_eq!(p(&["pid", "--init", "-h"]), Ok(Command::Help(pid::HELP)));
        // After COMMAND has started, --help is COMMAND's.
        assert_eq!(pid(&["pid", "ls", "--help"]).command, Some(1));
        assert_eq!(p(&["--version"]), Ok(Command::Version));
        assert_eq!(p(&["-V"]), Ok(Command::Version));
    }

    #[test]
    fn every_row_is_named_and_listed() {
        let help: std::vec::Vec<u8> = HELP.unpack().collect();
        let help = std::string::String::from_utf8(help).unwrap();
        for &(id, name) in ROWS {
            assert_eq!(find(name.as_bytes(), &NAMES), Some((id, None)), "{name}");
            let line = std::format!("\n  {name} ");
            assert!(help.contains(&line), "{name} in --help");
            let own = std::format!("Usage: ns-tool {name} ");
            assert!(help_of(id)
                .unwrap()
                .unpack()
                .collect::<std::vec::Vec<u8>>()
                .starts_with(own.as_bytes()));
            assert_eq!(p(&["help", name]), Ok(Command::Help(help_of(id).unwrap())));
            assert_eq!(
                p(&[name, "--help"]),
                Ok(Command::Help(help_of(id).unwrap()))
            );
        }
    }

    #[test]
    fn usage_errors() {
        assert_eq!(p(&[]), Err(Usage::missing_command()));
        assert_eq!(p(&["nett"]), Err(Usage::unknown_command(b"nett")));
        assert_eq!(
            p(&["--frobnicate"]),
            Err(Usage::unknown_option(None, b"--frobnicate"))
        );
        assert_eq!(
            p(&["pid", "--frobnicate"]),
            Err(Usage::unknown_option(Some("pid"), b"--frobnicate"))
        );
        assert_eq!(
            p(&["pid", "--init"]),
            Err(Usage::init_without_command("pid"))
        );
        assert_eq!(p(&["pid", "--"]), Err(Usage::empty_command("pid")));
    }

    #[test]
    fn messages_point_at_help_or_an_example() {
        assert_eq!(
            format(Usage::unknown_command(b"n\xffet")),
            "unknown command 'n\\xffet'; run 'ns-tool --help' for the list of commands"
        );
        assert_eq!(
            format(Usage::unknown_option(Some("pid"), b"-x")),
            "pid: unknown option '-x'; run 'ns-tool pid --help' for usage"
        );
        assert_eq!(
            format(Usage::nest_range(b"33")),
            "pid: --nest takes 1 to 32 levels (the kernel nests PID namespaces at most 32 deep), \
             not '33'"
        );
        assert_eq!(
            format(Usage::missing_command()),
            "missing command; run 'ns-tool --help' for usage"
        );
    }
}
