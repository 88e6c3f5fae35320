//! `ns-tool clone`: `pid`'s job with one system call. clone3(2) creates
//! the child and its PID namespace together, where `pid` calls unshare(2)
//! and then fork(2); the parent's own namespaces never change, and it
//! waits for the child through the pidfd clone3 hands back
//! (docs/02-unshare-vs-clone.md). The engine makes the call (`clone3` in
//! its `Spec`, src/engine/ns.rs); the demonstration is `pid`'s, in the
//! lesson's words where they differ.

use super::pid::{parse_run, Recipe};
use crate::cli::{Command, Cursor, Usage};
use crate::text::Packed;

/// Help for `ns-tool clone --help`.
pub const HELP: Packed = t!("Usage: ns-tool clone [OPTIONS] [--] [COMMAND [ARGS...]]

pid's job with one system call: clone3(2) makes the child and its PID
namespace at once, where pid calls unshare(2), then fork(2); ns-tool
waits through the pidfd clone3 returns. clone(2) stands in where clone3
is refused (ENOSYS). Options: pid's (ns-tool pid --help).
See docs/02-unshare-vs-clone.md.
");

/// `clone [OPTIONS] [--] [COMMAND [ARGS...]]`: `pid`'s options.
pub fn parse(args: Cursor<'_>, trace: bool) -> Result<Command, Usage<'_>> {
    parse_run(args, trace, &RECIPE)
}

/// `pid`'s options and demonstration, one clone3 call.
static RECIPE: Recipe = Recipe {
    name: "clone",
    help: HELP,
    clone3: true,
    ..super::pid::RECIPE
};
