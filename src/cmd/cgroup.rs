//! `ns-tool cgroup`: a cgroup namespace, a view of the cgroup tree rooted
//! at the cgroup its first process is in. That process unshares it
//! (CLONE_NEWCGROUP) and reads /proc/self/cgroup, where its own cgroup is
//! now `/`; its parent, outside, reads the real path (docs/cgroup-time.md).

use linux_raw_sys::general::CLONE_NEWCGROUP;

use super::pid::{parse_run, say_link, Recipe};
use crate::cli::{Command, Cursor, Usage};
use crate::engine::{procfs, Demo, Spec};
use crate::error::{self, Error, EXIT_FAILURE};
use crate::rt::argv::Argv;
use crate::rt::out::{self, out, say};
use crate::sys::{self, names::put_errno_text};
use crate::text::Packed;

/// Help for `ns-tool cgroup --help`.
pub const HELP: Packed = t!("Usage: ns-tool cgroup [OPTIONS] [--] [COMMAND [ARGS...]]

A cgroup namespace: /proc/self/cgroup shows the cgroup it was made in as
`/` (those above it as `/..`); COMMAND runs there. The cgroup itself, and
its limits, stay what they were (docs/cgroup-time.md).

Options:
  --pid    also a PID namespace, COMMAND its PID 1
  pid's --user, --init, --mount-proc, -P, -g, -e, --rewrite, --trace
");

/// `--pid` and pid's options, no values.
static RECIPE: Recipe = Recipe {
    name: "cgroup",
    opts: &super::pid::NS_OPTS,
    help: HELP,
    demo: &DEMO,
    inner: CLONE_NEWCGROUP,
    newpid: false,
    ..super::pid::RECIPE
};

/// `cgroup [OPTIONS] [--] [COMMAND [ARGS...]]`.
pub fn parse(args: Cursor<'_>, trace: bool) -> Result<Command, Usage<'_>> {
    parse_run(args, trace, &RECIPE)
}

static DEMO: Demo = Demo {
    prepare: crate::engine::nothing,
    enter: crate::engine::nothing,
    forked,
    ended,
    inside,
};

/// Each line of /proc/self/cgroup after `label` (one line saying why if
/// it cannot be read); whether every line's path is `/`.
fn cgroups(label: Packed) -> bool {
    let mut buf = [0u8; 4096];
    let text = match procfs::read_proc(0, false, t!("/cgroup"), &mut buf) {
        Ok(text) => text,
        Err(e) => {
            out(|b| {
                put_errno_text(b.p(label).p(t!("unavailable (")), e);
                b.byte(b')');
            });
            return false;
        }
    };
    let (mut root, mut start) = (true, 0);
    for (i, &c) in text.iter().enumerate() {
        if c == b'\n' {
            // `ID:CONTROLLERS:PATH`: only the root path ends in `:/`.
            let line = &text[start..i];
            root &= line.ends_with(b":/");
            out(|b| {
                b.p(label).esc(line);
            });
            start = i + 1;
        }
    }
    root
}

fn forked(_: i32, _: &Spec, _: &Argv) {
    cgroups(t!("Parent: cgroup outside: "));
    say_link(t!("Parent: cgroup namespace: "), c"/proc/self/ns/cgroup");
}

fn inside(_: &Spec, _: &Argv) -> Result<i32, Error> {
    say(t!(""));
    say(t!("=== Inside the cgroup namespace ==="));
    let root = cgroups(t!("cgroup in namespace: "));
    say_link(t!("cgroup namespace: "), c"/proc/self/ns/cgroup");
    say(t!("==================================="));
    say(t!(""));
    if !root {
        out::err(|b| {
            b.p(t!("ns-tool: expected every cgroup path inside to be /"));
        });
    }
    error::stdout_result().map(|()| if root { 0 } else { EXIT_FAILURE })
}

fn ended(child: i32, status: sys::WaitStatus, opts: &Spec, argv: &Argv) -> Result<i32, Error> {
    cgroups(t!("Parent: cgroup outside, after: "));
    super::pid::parent_done(child, status, opts, argv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Spec;

    #[test]
    fn the_child_unshares_the_cgroup_namespace_and_the_parent_nothing() {
        let words: &[&[u8]] = &[b"cgroup", b"--pid", b"--", b"sh"];
        let Ok(Command::Run(spec)) = crate::cmd::parse(&words) else {
            panic!("cgroup --pid -- sh");
        };
        assert_eq!(
            spec,
            Spec {
                inner: CLONE_NEWCGROUP,
                newpid: true,
                command: Some(3),
                demo: &DEMO,
                ..Spec::default()
            }
        );
    }
}
