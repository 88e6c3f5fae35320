//! Command-line parsing: argv bytes in, a [`Command`] or a [`Usage`] error
//! out. Arguments are raw bytes (Linux argv need not be UTF-8) and are
//! borrowed, never copied.

use core::fmt;

use crate::out::Escaped;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Print help: general, or for one subcommand.
    Help(Topic),
    /// Print the version.
    Version,
    /// Run the PID namespace demonstration.
    Pid,
}

/// A help page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// `ns-tool --help`.
    General,
    /// `ns-tool pid --help`.
    Pid,
}

/// A command line that does not make sense; reported with exit status 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage<'a> {
    /// No subcommand given.
    MissingCommand,
    /// A word that is not a subcommand.
    UnknownCommand(&'a [u8]),
    /// An option nobody knows, with the subcommand it was given to, if any.
    UnknownOption(Option<&'static str>, &'a [u8]),
    /// A positional argument after a subcommand that takes none.
    UnexpectedArgument(&'static str, &'a [u8]),
}

impl fmt::Display for Usage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Usage::MissingCommand => {
                write!(f, "missing command; run 'ns-tool --help' for usage")
            }
            Usage::UnknownCommand(word) => write!(
                f,
                "unknown command '{}'; run 'ns-tool --help' for the list of commands",
                Escaped(word)
            ),
            Usage::UnknownOption(None, opt) => write!(
                f,
                "unknown option '{}'; run 'ns-tool --help' for usage",
                Escaped(opt)
            ),
            Usage::UnknownOption(Some(cmd), opt) => write!(
                f,
                "{cmd}: unknown option '{}'; run 'ns-tool {cmd} --help' for usage",
                Escaped(opt)
            ),
            Usage::UnexpectedArgument(cmd, arg) => write!(
                f,
                "{cmd}: unexpected argument '{}'; run 'ns-tool {cmd} --help' for usage",
                Escaped(arg)
            ),
        }
    }
}

fn is_help(arg: &[u8]) -> bool {
    arg == b"-h" || arg == b"--help"
}

/// Parse the arguments after the program name (argv[1..]).
pub fn parse<'a, I>(args: I) -> Result<Command, Usage<'a>>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut args = args.into_iter();
    let first = args.next().ok_or(Usage::MissingCommand)?;
    match first {
        a if is_help(a) || a == b"help" => Ok(match args.next() {
            Some(b"pid") => Command::Help(Topic::Pid),
            _ => Command::Help(Topic::General),
        }),
        b"-V" | b"--version" => Ok(Command::Version),
        b"pid" => parse_pid(args),
        a if a.starts_with(b"-") => Err(Usage::UnknownOption(None, a)),
        a => Err(Usage::UnknownCommand(a)),
    }
}

fn parse_pid<'a>(args: impl Iterator<Item = &'a [u8]>) -> Result<Command, Usage<'a>> {
    // Scan every argument first so that `--help` wins wherever it stands.
    let mut verdict = Ok(Command::Pid);
    for arg in args {
        if is_help(arg) {
            return Ok(Command::Help(Topic::Pid));
        }
        if verdict.is_ok() {
            verdict = Err(if arg.starts_with(b"-") {
                Usage::UnknownOption(Some("pid"), arg)
            } else {
                Usage::UnexpectedArgument("pid", arg)
            });
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::vec::Vec;

    fn p(args: &[&'static str]) -> Result<Command, Usage<'static>> {
        let v: Vec<&'static [u8]> = args.iter().map(|a| a.as_bytes()).collect();
        parse(v)
    }

    #[test]
    fn pid() {
        assert_eq!(p(&["pid"]), Ok(Command::Pid));
    }

    #[test]
    fn help_and_version() {
        assert_eq!(p(&["--help"]), Ok(Command::Help(Topic::General)));
        assert_eq!(p(&["-h"]), Ok(Command::Help(Topic::General)));
        assert_eq!(p(&["help"]), Ok(Command::Help(Topic::General)));
        assert_eq!(p(&["help", "pid"]), Ok(Command::Help(Topic::Pid)));
        assert_eq!(p(&["pid", "--help"]), Ok(Command::Help(Topic::Pid)));
        assert_eq!(p(&["pid", "--bogus", "-h"]), Ok(Command::Help(Topic::Pid)));
        assert_eq!(p(&["--version"]), Ok(Command::Version));
        assert_eq!(p(&["-V"]), Ok(Command::Version));
    }

    #[test]
    fn usage_errors() {
        assert_eq!(p(&[]), Err(Usage::MissingCommand));
        assert_eq!(p(&["net"]), Err(Usage::UnknownCommand(b"net")));
        assert_eq!(
            p(&["--frobnicate"]),
            Err(Usage::UnknownOption(None, b"--frobnicate"))
        );
        assert_eq!(
            p(&["pid", "--frobnicate"]),
            Err(Usage::UnknownOption(Some("pid"), b"--frobnicate"))
        );
        assert_eq!(
            p(&["pid", "extra"]),
            Err(Usage::UnexpectedArgument("pid", b"extra"))
        );
    }

    #[test]
    fn first_bad_argument_is_reported() {
        assert_eq!(
            p(&["pid", "one", "--two"]),
            Err(Usage::UnexpectedArgument("pid", b"one"))
        );
    }

    #[test]
    fn messages_point_at_help() {
        assert_eq!(
            format!("{}", Usage::UnknownCommand(b"n\xffet")),
            "unknown command 'n\\xffet'; run 'ns-tool --help' for the list of commands"
        );
        assert_eq!(
            format!("{}", Usage::UnknownOption(Some("pid"), b"-x")),
            "pid: unknown option '-x'; run 'ns-tool pid --help' for usage"
        );
        assert_eq!(
            format!("{}", Usage::MissingCommand),
            "missing command; run 'ns-tool --help' for usage"
        );
    }
}
