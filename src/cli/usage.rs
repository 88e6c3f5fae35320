//! Usage errors: what is wrong with a command line, and the one-line
//! message that says so (exit status 2).

use crate::text::{Buf, Packed};

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
    /// `proc --pid` or `--compare` with a value that is not a PID.
    BadPid,
    /// `uts --hostname` or `--domainname` longer than the kernel takes.
    BadName,
    /// `user --map-user` or `--map-group` with a value that is not an ID.
    BadId,
    /// `mount --target` with an empty value.
    EmptyTarget,
    /// `time --monotonic` or `--boottime` not whole seconds the kernel
    /// could take.
    BadOffset,
    /// Nothing (while parsing; never in a Usage).
    NoError,
}

/// In a usage message: the subcommand's name.
const CMD: u8 = 1;
/// In a usage message: the word at fault, escaped.
const WORD: u8 = 2;

/// Each [`Wrong`]'s message (what was wrong, and what to do), with
/// [`CMD`] and [`WORD`] where those go.
const MESSAGES: [Packed; 20] = [
    t!("missing command; run 'ns-tool --help' for usage"),
    t!("unknown command '\x02'; run 'ns-tool --help' for the list of commands"),
    t!("unknown option '\x02'; run 'ns-tool --help' for usage"),
    t!("\x01: unknown option '\x02'; run 'ns-tool \x01 --help' for usage"),
    t!("\x01: --nest needs a number of levels, 1 to 32; e.g. 'ns-tool \x01 --nest 3'"),
    t!(
        "\x01: --nest takes 1 to 32 levels (the kernel nests PID namespaces at most \
    32 deep), not '\x02'"
    ),
    t!(
        "\x01: --init needs a COMMAND to run as PID 2, or --pause; e.g. 'ns-tool \x01 \
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
    t!("proc: --pid and --compare take a process ID, not '\x02'"),
    t!("\x01: a name is at most 64 bytes (the kernel's limit), not '\x02'"),
    t!("\x01: an ID is a number from 0 to 4294967294, not '\x02'"),
    t!("\x01: --target takes a directory, not an empty word"),
    t!(
        "\x01: an offset is whole seconds, -4611686018 to 4611686018 (the kernel's \
        limit), not '\x02'"
    ),
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
