//! Command-line parsing: argv bytes in, a [`Command`] or a [`Usage`] error
//! out. Arguments are raw bytes (Linux argv need not be UTF-8) and are
//! borrowed, never copied.

use crate::engine::{Spec, MAX_NEST};
use crate::rt::argv::Argv;
use crate::text::{Buf, Packed};

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Print help: general, or for one subcommand.
    Help(Topic),
    /// Print the version.
    Version,
    /// Create a PID namespace: the demonstration, or run a COMMAND in it;
    /// or, with `newpid` false (`ns-tool init`), be the init (PID 1, or a
    /// subreaper) of COMMAND in no new namespace: one engine runs both.
    Pid(Spec),
    /// Print the table of system calls ns-tool makes.
    Syscalls(Arch),
}

/// Which architectures `ns-tool syscalls` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// x86_64 and aarch64 side by side.
    All,
    /// x86_64 only.
    X86_64,
    /// aarch64 only.
    Aarch64,
}

/// A help page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// `ns-tool --help`.
    General,
    /// `ns-tool pid --help`.
    Pid,
    /// `ns-tool init --help`.
    Init,
    /// `ns-tool syscalls --help`.
    Syscalls,
}

/// A command line that does not make sense; reported with exit status 2:
/// what is wrong, and the words its message names. One shape for every
/// kind, so that the message is picked from a table (see `put`), where a
/// match over an enum's variants cost a jump table and an arm apiece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage<'a> {
    /// What is wrong.
    pub what: Wrong,
    /// The subcommand, for the messages that name it ("" elsewhere).
    pub cmd: &'static str,
    /// The word at fault, if any.
    pub word: &'a [u8],
}

/// What is wrong with a command line, in the order of [`MESSAGES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrong {
    /// No subcommand given.
    MissingCommand,
    /// A word that is not a subcommand.
    UnknownCommand,
    /// An option nobody knows, before any subcommand.
    UnknownOption,
    /// An option the subcommand does not know.
    UnknownCommandOption,
    /// `--nest` without a value.
    NestMissing,
    /// `--nest` with a value that is not 1 to 32.
    NestRange,
    /// `pid --init` with nothing to run.
    PidInitWithoutCommand,
    /// `init` with nothing to run.
    InitWithoutCommand,
    /// `--` with nothing after it.
    EmptyCommand,
    /// `--arch` with a value that is not an architecture ns-tool knows.
    BadArch,
    /// A stray word after `syscalls`.
    UnexpectedArgument,
    /// An option of this command without its value.
    NeedsValue,
    /// `--exit-zero` with a value that is not an exit status.
    BadExitCode,
    /// `--rewrite` with a value that is not SIGNAL:SIGNAL.
    BadRewrite,
    /// `--pause` and a COMMAND.
    PauseWithCommand,
    /// Nothing (while parsing; never in a Usage).
    NoError,
}

/// In a usage message: the subcommand's name.
const CMD: u8 = 1;
/// In a usage message: the word at fault, escaped.
const WORD: u8 = 2;

/// Each [`Wrong`]'s message (what was wrong, and what to do), with
/// [`CMD`] and [`WORD`] where those go.
const MESSAGES: [Packed; 15] = [
    t!("missing command; run 'ns-tool --help' for usage"),
    t!("unknown command '\x02'; run 'ns-tool --help' for the list of commands"),
    t!("unknown option '\x02'; run 'ns-tool --help' for usage"),
    t!("\x01: unknown option '\x02'; run 'ns-tool \x01 --help' for usage"),
    t!("pid: --nest needs a number of levels, 1 to 32; e.g. 'ns-tool pid --nest 3'"),
    t!(
        "pid: --nest takes 1 to 32 levels (the kernel nests PID namespaces at most \
    32 deep), not '\x02'"
    ),
    t!(
        "pid: --init needs a COMMAND to run as PID 2, or --pause; e.g. 'ns-tool pid \
    --init -- sleep 10'"
    ),
    t!("init: needs a COMMAND to run, or --pause; e.g. 'ns-tool init -- sleep 10'"),
    t!("\x01: '--' must be followed by a COMMAND; e.g. 'ns-tool \x01 -- sh'"),
    t!("syscalls: --arch takes x86_64, aarch64 or all, not '\x02'"),
    t!("\x01: unexpected argument '\x02'; run 'ns-tool \x01 --help' for usage"),
    t!("\x01: option '\x02' needs a value; run 'ns-tool \x01 --help' for usage"),
    t!("\x01: -e takes an exit status, 0 to 255, not '\x02'"),
    t!(
        "\x01: --rewrite takes SIGNAL:SIGNAL, numbers 1 to 64 (to 0: drop it), \
    not '\x02'"
    ),
    t!("\x01: --pause runs no COMMAND; give one or the other"),
];

impl<'a> Usage<'a> {
    /// What is wrong, with subcommand `cmd` and the word at fault.
    pub const fn new(what: Wrong, cmd: &'static str, word: &'a [u8]) -> Self {
        Usage { what, cmd, word }
    }

    pub const fn missing_command() -> Self {
        Self::new(Wrong::MissingCommand, "", b"")
    }

    pub const fn unknown_command(word: &'a [u8]) -> Self {
        Self::new(Wrong::UnknownCommand, "", word)
    }

    /// An unknown option, given to subcommand `cmd`, if any.
    pub const fn unknown_option(cmd: Option<&'static str>, word: &'a [u8]) -> Self {
        match cmd {
            None => Self::new(Wrong::UnknownOption, "", word),
            Some(cmd) => Self::new(Wrong::UnknownCommandOption, cmd, word),
        }
    }

    pub const fn nest_missing() -> Self {
        Self::new(Wrong::NestMissing, "pid", b"")
    }

    pub const fn nest_range(value: &'a [u8]) -> Self {
        Self::new(Wrong::NestRange, "pid", value)
    }

    /// `pid --init` (`cmd` "pid") or `init` with nothing to run.
    pub fn init_without_command(cmd: &'static str) -> Self {
        let what = if cmd == "pid" {
            Wrong::PidInitWithoutCommand
        } else {
            Wrong::InitWithoutCommand
        };
        Self::new(what, cmd, b"")
    }

    pub const fn empty_command(cmd: &'static str) -> Self {
        Self::new(Wrong::EmptyCommand, cmd, b"")
    }

    pub const fn bad_arch(value: &'a [u8]) -> Self {
        Self::new(Wrong::BadArch, "syscalls", value)
    }

    pub const fn unexpected_argument(cmd: &'static str, word: &'a [u8]) -> Self {
        Self::new(Wrong::UnexpectedArgument, cmd, word)
    }

    pub const fn needs_value(cmd: &'static str, word: &'a [u8]) -> Self {
        Self::new(Wrong::NeedsValue, cmd, word)
    }

    pub const fn bad_exit_code(cmd: &'static str, value: &'a [u8]) -> Self {
        Self::new(Wrong::BadExitCode, cmd, value)
    }

    pub const fn bad_rewrite(cmd: &'static str, value: &'a [u8]) -> Self {
        Self::new(Wrong::BadRewrite, cmd, value)
    }

    pub const fn pause_with_command(cmd: &'static str) -> Self {
        Self::new(Wrong::PauseWithCommand, cmd, b"")
    }

    /// Write the message.
    pub fn put<'b>(&self, b: &'b mut Buf) -> &'b mut Buf {
        for c in MESSAGES[self.what as usize].unpack() {
            match c {
                CMD => b.s(self.cmd),
                WORD => b.esc(self.word),
                _ => b.byte(c),
            };
        }
        b
    }
}

/// The words of a command line after the program name, however they are
/// held: the process's own argv, or a test's slice.
pub trait Words {
    /// How many there are.
    fn count(&self) -> usize;
    /// Word `i` (0 is argv[1]).
    fn word(&self, i: usize) -> &[u8];
}

impl Words for Argv {
    fn count(&self) -> usize {
        self.len()
    }
    fn word(&self, i: usize) -> &[u8] {
        self.arg(i).to_bytes()
    }
}

impl Words for &[&[u8]] {
    fn count(&self) -> usize {
        self.len()
    }
    fn word(&self, i: usize) -> &[u8] {
        self[i]
    }
}

/// A table of options: one a line, its spellings separated by spaces,
/// and each line's id, with [`VALUE`] if it takes one (`--nest 3`,
/// `--nest=3`). One table per command, as util-linux keeps one
/// `longopts[]`; packed, as a table of `&str`s would cost 24 bytes a line.
struct Opts {
    names: Packed,
    ids: &'static [u8],
}

/// In an id: the option takes a value.
const VALUE: u8 = 0x80;

const HELP: u8 = 0;
const INIT: u8 = 1;
const TRACE: u8 = 2;
const MOUNT_PROC: u8 = 3;
const USER: u8 = 4;
const NEST: u8 = 5 | VALUE;
const ARCH: u8 = 6 | VALUE;
const GROUP: u8 = 7;
const EXIT_ZERO: u8 = 8 | VALUE;
const REWRITE: u8 = 9 | VALUE;
const PAUSE: u8 = 10;
const SUBREAPER: u8 = 11;

const PID_OPTS: Opts = Opts {
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
        HELP, INIT, TRACE, MOUNT_PROC, USER, NEST, GROUP, EXIT_ZERO, REWRITE, PAUSE,
    ],
};

/// `init`'s options: tini's, dumb-init's and catatonit's, in ns-tool's
/// spelling (HELP_INIT says which is which).
const INIT_OPTS: Opts = Opts {
    names: t!("-h --help
--trace
-g --group
-e --exit-zero
-r --rewrite
-P --pause
-s --subreaper"),
    ids: &[HELP, TRACE, GROUP, EXIT_ZERO, REWRITE, PAUSE, SUBREAPER],
};

const SYSCALLS_OPTS: Opts = Opts {
    names: t!("-h --help\n--arch"),
    ids: &[HELP, ARCH],
};

/// `--arch`'s values.
const ARCHES: Opts = Opts {
    names: t!("all\nx86_64\naarch64 arm64"),
    ids: &[0, 1, 2],
};

/// The words not read yet, and where the next one is.
struct Cursor<'a> {
    words: &'a dyn Words,
    at: usize,
}

/// What the next word of a command's options is.
enum Next<'a> {
    /// No words left.
    End,
    /// `--`: COMMAND starts at this index (if any word follows).
    DashDash(Option<usize>),
    /// An option of the table, with its value if it takes one (`None`:
    /// the value is missing).
    Opt(u8, Option<&'a [u8]>),
    /// A word starting with `-` that is no option here.
    Unknown(&'a [u8]),
    /// The first word that is not an option, at this index.
    Word(usize, &'a [u8]),
}

impl<'a> Cursor<'a> {
    /// The next word and its index.
    fn next(&mut self) -> Option<(usize, &'a [u8])> {
        let at = self.at;
        (at < self.words.count()).then(|| {
            self.at += 1;
            (at, self.words.word(at))
        })
    }

    /// The next word, read against the option table `opts`.
    fn option(&mut self, opts: &Opts) -> Next<'a> {
        let Some((i, arg)) = self.next() else {
            return Next::End;
        };
        if arg == b"--" {
            return Next::DashDash(self.next().map(|(at, _)| at));
        }
        if !arg.starts_with(b"-") {
            return Next::Word(i, arg);
        }
        match find(arg, opts) {
            Some((id, None)) if id & VALUE != 0 => Next::Opt(id, self.next().map(|(_, v)| v)),
            Some((id, value)) => Next::Opt(id, value),
            None => Next::Unknown(arg),
        }
    }
}

/// The commands, and the global options that stand in their place.
const PID: u8 = 0;
const SYSCALLS: u8 = 1;
const TOP_HELP: u8 = 2;
const VERSION: u8 = 3;
const TOP_TRACE: u8 = 4;
const INIT_CMD: u8 = 5;

const COMMANDS: Opts = Opts {
    names: t!("pid\ninit\nsyscalls\n-h --help help\n-V --version\n--trace"),
    ids: &[PID, INIT_CMD, SYSCALLS, TOP_HELP, VERSION, TOP_TRACE],
};

/// Which line of `table` names `word`: its id, and for `--opt=VALUE` (an
/// option that takes one) the value. Compared as the table unpacks.
fn find<'a>(word: &'a [u8], table: &Opts) -> Option<(u8, Option<&'a [u8]>)> {
    // How much of `word` the current spelling has matched; MISS once not.
    const MISS: usize = usize::MAX;
    let (mut line, mut at) = (0, 0);
    for c in table.names.unpack().chain(Some(b'\n')) {
        if c != b' ' && c != b'\n' {
            at = if at != MISS && word.get(at) == Some(&c) {
                at + 1
            } else {
                MISS
            };
            continue;
        }
        let id = table.ids[line];
        if at == word.len() {
            return Some((id, None));
        }
        if at != MISS && id & VALUE != 0 && word[at] == b'=' {
            return Some((id, Some(&word[at + 1..])));
        }
        at = 0;
        line += usize::from(c == b'\n');
    }
    None
}

/// Parse the arguments after the program name (argv[1..]).
pub fn parse(words: &dyn Words) -> Result<Command, Usage<'_>> {
    let mut args = Cursor { words, at: 0 };
    // Global options come before the command.
    let mut trace = false;
    let (what, word) = loop {
        let Some((_, word)) = args.next() else {
            break (Wrong::MissingCommand, &b""[..]);
        };
        match find(word, &COMMANDS).map(|(id, _)| id) {
            Some(TOP_TRACE) => trace = true,
            Some(PID) => return parse_run(args, trace, false),
            Some(INIT_CMD) => return parse_run(args, trace, true),
            Some(SYSCALLS) => return parse_syscalls(args),
            Some(VERSION) => return Ok(Command::Version),
            Some(_) => {
                return Ok(Command::Help(
                    match args.next().and_then(|(_, w)| find(w, &COMMANDS)) {
                        Some((PID, _)) => Topic::Pid,
                        Some((INIT_CMD, _)) => Topic::Init,
                        Some((SYSCALLS, _)) => Topic::Syscalls,
                        _ => Topic::General,
                    },
                ))
            }
            None if word.starts_with(b"-") => break (Wrong::UnknownOption, word),
            None => break (Wrong::UnknownCommand, word),
        }
    };
    Err(Usage::new(what, "", word))
}

/// `pid [OPTIONS] [--] [COMMAND [ARGS...]]`, and `init` (`init` true),
/// whose options are a few of the same. Options end at `--` or at the
/// first word that is not an option, which starts COMMAND (as with
/// unshare(1)); everything from there on belongs to COMMAND.
fn parse_run(mut args: Cursor<'_>, trace: bool, init: bool) -> Result<Command, Usage<'_>> {
    let (cmd, table) = if init {
        ("init", &INIT_OPTS)
    } else {
        ("pid", &PID_OPTS)
    };
    let mut opts = Spec {
        trace,
        newpid: !init,
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
            Next::Opt(HELP, _) => {
                return Ok(Command::Help(if init { Topic::Init } else { Topic::Pid }));
            }
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
            // The option as written is the last word read.
            Next::Opt(_, None) => break (Wrong::NeedsValue, args.words.word(args.at - 1)),
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
        (Wrong::NoError, ..) => return Ok(Command::Pid(opts)),
        (what, ..) => what,
    };
    Err(Usage::new(what, cmd, word))
}

/// `syscalls [--arch x86_64|aarch64|all]`.
fn parse_syscalls(mut args: Cursor<'_>) -> Result<Command, Usage<'_>> {
    let mut arch = Arch::All;
    let (what, word) = loop {
        match args.option(&SYSCALLS_OPTS) {
            Next::End => return Ok(Command::Syscalls(arch)),
            Next::Opt(HELP, _) => return Ok(Command::Help(Topic::Syscalls)),
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
    Err(Usage::new(what, "syscalls", word))
}

/// `--nest`'s value: 1 to 32.
fn parse_nest(value: &[u8]) -> Option<u8> {
    crate::engine::signals::number(value)
        .filter(|n| (1..=MAX_NEST.into()).contains(n))
        .map(|n| n as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
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
            Ok(Command::Pid(opts)) => opts,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn pid_demo() {
        assert_eq!(pid(&["pid"]), Spec::default());
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
        assert_eq!(p(&["help", "syscalls"]), Ok(Command::Help(Topic::Syscalls)));
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
            if let Ok(Command::Pid(opts)) = parse(&words.as_slice()) {
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
        assert_eq!(p(&["--help"]), Ok(Command::Help(Topic::General)));
        assert_eq!(p(&["-h"]), Ok(Command::Help(Topic::General)));
        assert_eq!(p(&["help"]), Ok(Command::Help(Topic::General)));
        assert_eq!(p(&["help", "pid"]), Ok(Command::Help(Topic::Pid)));
        assert_eq!(p(&["pid", "--help"]), Ok(Command::Help(Topic::Pid)));
        assert_eq!(p(&["pid", "--init", "-h"]), Ok(Command::Help(Topic::Pid)));
        // After COMMAND has started, --help is COMMAND's.
        assert_eq!(pid(&["pid", "ls", "--help"]).command, Some(1));
        assert_eq!(p(&["--version"]), Ok(Command::Version));
        assert_eq!(p(&["-V"]), Ok(Command::Version));
    }

    #[test]
    fn usage_errors() {
        assert_eq!(p(&[]), Err(Usage::missing_command()));
        assert_eq!(p(&["net"]), Err(Usage::unknown_command(b"net")));
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
