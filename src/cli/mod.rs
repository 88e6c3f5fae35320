//! Command-line parsing, the parts every subcommand shares: argv bytes
//! in, a [`Command`] or a [`Usage`] error out. Arguments are raw bytes
//! (Linux argv need not be UTF-8) and are borrowed, never copied. The
//! subcommands' own tables and parsers are in src/cmd/.

pub mod usage;

use crate::engine::Spec;
use crate::rt::argv::Argv;
use crate::text::Packed;
pub use usage::{Usage, Wrong};

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Print a help page: `cmd::HELP`, or a subcommand's.
    Help(Packed),
    /// Print the version.
    Version,
    /// Run on the engine: create namespaces (`pid`), or be an init in
    /// none (`init`, `newpid` false).
    Run(Spec),
    /// Print the table of system calls ns-tool makes.
    Syscalls(Arch),
    /// `check-caps`: what this process may do; `--trace` if true.
    CheckCaps(bool),
    /// `proc`: `--trace` if true; the PID and `--compare`'s (0: none).
    Proc(bool, [u32; 2]),
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
pub struct Opts {
    pub names: Packed,
    pub ids: &'static [u8],
}

/// In an id: the option takes a value.
pub const VALUE: u8 = 0x80;

pub const HELP_OPT: u8 = 0;
pub const INIT: u8 = 1;
pub const TRACE: u8 = 2;
pub const MOUNT_PROC: u8 = 3;
pub const USER: u8 = 4;
pub const NEST: u8 = 5 | VALUE;
pub const ARCH: u8 = 6 | VALUE;
pub const GROUP: u8 = 7;
pub const EXIT_ZERO: u8 = 8 | VALUE;
pub const REWRITE: u8 = 9 | VALUE;
pub const PAUSE: u8 = 10;
pub const SUBREAPER: u8 = 11;
/// `--pid`: also a PID namespace (the namespace subcommands but pid).
pub const PID_NS: u8 = 12;
/// The subcommand's own two options with values (`uts --hostname`,
/// `--domainname`), kept as [`crate::engine::Value`]s.
pub const VALUE0: u8 = 13 | VALUE;
pub const VALUE1: u8 = 14 | VALUE;

/// The words not read yet, and where the next one is.
#[derive(Clone, Copy)]
pub struct Cursor<'a> {
    pub words: &'a dyn Words,
    pub at: usize,
}

/// What the next word of a command's options is.
pub enum Next<'a> {
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
    /// At the first of `words`.
    pub fn new(words: &'a dyn Words) -> Self {
        Cursor { words, at: 0 }
    }

    /// The next word and its index.
    pub fn take(&mut self) -> Option<(usize, &'a [u8])> {
        let at = self.at;
        (at < self.words.count()).then(|| {
            self.at += 1;
            (at, self.words.word(at))
        })
    }

    /// Where `value`, which the last word read holds or ends with, is.
    pub fn place(&self, value: &[u8]) -> crate::engine::Value {
        let word = self.words.word(self.at - 1);
        crate::engine::Value {
            index: (self.at - 1) as u16,
            offset: (word.len() - value.len()) as u16,
        }
    }

    /// The next word, read against the option table `opts`.
    pub fn option(&mut self, opts: &Opts) -> Next<'a> {
        let Some((i, arg)) = self.take() else {
            return Next::End;
        };
        if arg == b"--" {
            return Next::DashDash(self.take().map(|(at, _)| at));
        }
        if !arg.starts_with(b"-") {
            return Next::Word(i, arg);
        }
        match find(arg, opts) {
            Some((id, None)) if id & VALUE != 0 => Next::Opt(id, self.take().map(|(_, v)| v)),
            Some((id, value)) => Next::Opt(id, value),
            None => Next::Unknown(arg),
        }
    }
}

/// Which line of `table` names `word`: its id, and for `--opt=VALUE` (an
/// option that takes one) the value. Compared as the table unpacks.
pub fn find<'a>(word: &'a [u8], table: &Opts) -> Option<(u8, Option<&'a [u8]>)> {
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
