//! `ns-tool time`: a time namespace, CLOCK_MONOTONIC and CLOCK_BOOTTIME
//! shifted by offsets of its own. As a PID namespace, it takes only the
//! children of the process that unshares it (CLONE_NEWTIME), and its
//! offsets must be written before the first of them is born: the parent
//! unshares it, writes /proc/self/timens_offsets, reads its clocks, then
//! forks; the child reads its clocks and the differences
//! (docs/cgroup-time.md).

use core::cell::UnsafeCell;

use linux_raw_sys::general::{CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLONE_NEWTIME};

use super::pid::{parse_run, say_link, Recipe};
use crate::cli::{
    Command, Cursor, Opts, Usage, Wrong, EXIT_ZERO, GROUP, HELP_OPT, INIT, MOUNT_PROC, PAUSE,
    PID_NS, REWRITE, TRACE, USER, VALUE0, VALUE1,
};
use crate::engine::{ns, Demo, Spec};
use crate::error::{self, Error};
use crate::rt::argv::Argv;
use crate::rt::out::{out, say};
use crate::sys::{self, Errno, Timespec};
use crate::text::{Buf, Packed};

/// Help for `ns-tool time --help`.
pub const HELP: Packed = t!("Usage: ns-tool time [OPTIONS] [--] [COMMAND [ARGS...]]

A time namespace: CLOCK_MONOTONIC and CLOCK_BOOTTIME (uptime) moved by
SECS, COMMAND run there (docs/cgroup-time.md).

Options:
  --monotonic SECS  default 3600
  --boottime SECS   default 86400
  --pid             also a PID namespace, COMMAND its PID 1
  pid's --user, --init, --mount-proc, -P, -g, -e, --rewrite, --trace
");

/// `time`'s options.
const OPTS: Opts = Opts {
    names: t!("-h --help
--trace
--monotonic
--boottime
--pid
-r --user --map-root-user
--init
--mount-proc
-P --pause
-g --group
-e --exit-zero
--rewrite"),
    ids: &[
        HELP_OPT, TRACE, VALUE0, VALUE1, PID_NS, USER, INIT, MOUNT_PROC, PAUSE, GROUP, EXIT_ZERO,
        REWRITE,
    ],
};

static RECIPE: Recipe = Recipe {
    name: "time",
    opts: &OPTS,
    help: HELP,
    demo: &DEMO,
    outer: CLONE_NEWTIME,
    newpid: false,
    check: offset,
    bad: Wrong::BadOffset,
    ..super::pid::RECIPE
};

/// `time [OPTIONS] [--] [COMMAND [ARGS...]]`.
pub fn parse(args: Cursor<'_>, trace: bool) -> Result<Command, Usage<'_>> {
    parse_run(args, trace, &RECIPE)
}

/// Whether `v` is an offset the kernel could take: a decimal number of
/// seconds, signed, at most KTIME_SEC_MAX / 2 (4611686018) either way,
/// the most a clock in a time namespace may show. Kept as written: the
/// kernel reads the text (and refuses, ERANGE, an offset that takes the
/// clock as it is now below 0 or past that limit).
fn offset(v: &[u8]) -> bool {
    let digits = match v {
        [b'-', rest @ ..] => rest,
        _ => v,
    };
    (1..=10).contains(&digits.len())
        && digits.iter().all(u8::is_ascii_digit)
        && (digits.len() < 10 || digits <= &b"4611686018"[..])
}

static DEMO: Demo = Demo {
    prepare,
    enter: crate::engine::nothing,
    // `prepare` has shown the parent's side, before the fork.
    forked: |_, _, _| {},
    ended: super::pid::parent_done,
    inside,
};

/// The offsets when `--monotonic` and `--boottime` are not given: not 0,
/// so that the shift shows; not equal, so that each clock shows its own;
/// boottime's the larger, as boottime (which counts suspend) is never
/// behind the monotonic clock outside either.
const DEFAULTS: [Packed; 2] = [t!("3600"), t!("86400")];

/// The two clocks, in the order of the options and the offsets file.
const CLOCKS: [u32; 2] = [CLOCK_MONOTONIC, CLOCK_BOOTTIME];

/// The parent's clocks, read once the offsets are written, just before
/// the fork: the child, a copy, subtracts them from its own.
struct Outside(UnsafeCell<[Timespec; 2]>);
// SAFETY: ns-tool is single-threaded, and only `clocks` touches it, once
// in the parent before the fork, once in the child, each in its own copy.
unsafe impl Sync for Outside {}
static OUTSIDE: Outside = Outside(UnsafeCell::new([Timespec { sec: 0, nsec: 0 }; 2]));

/// In the parent, which has unshared CLONE_NEWTIME: its children's
/// offsets, before any process is in the namespace (the kernel refuses
/// them after, EACCES); then its own clocks, shown for the demonstration.
fn prepare(opts: &Spec, argv: &Argv) -> Result<(), Error> {
    let mut text = Buf::new();
    for (n, name) in [t!("monotonic "), t!("boottime ")].into_iter().enumerate() {
        text.p(name);
        match opts.value(argv, n) {
            Some(value) => text.b(value.to_bytes()),
            None => text.p(DEFAULTS[n]),
        }
        .p(t!(" 0\n"));
    }
    ns::write_file(c"/proc/self/timens_offsets", &text).map_err(|e| {
        e.hint_on(
            Errno::ERANGE,
            t!("a clock may not go below 0 nor past 4611686018 s"),
        )
    })?;
    let labels = [
        t!("Parent: CLOCK_MONOTONIC outside: "),
        t!("Parent: CLOCK_BOOTTIME outside: "),
    ];
    if opts.command.is_none() && !opts.pause {
        clocks(labels, false);
        say_link(t!("Parent: time namespace: "), c"/proc/self/ns/time");
        say_link(
            t!("Parent: time namespace for children: "),
            c"/proc/self/ns/time_for_children",
        );
    }
    Ok(())
}

/// Read CLOCK_MONOTONIC and CLOCK_BOOTTIME as this process's time
/// namespace shows them and print each after its label; with `ahead`, by
/// how many seconds, rounded, it is ahead of the value in `OUTSIDE`.
/// Keeps them in `OUTSIDE`.
fn clocks(labels: [Packed; 2], ahead: bool) {
    // SAFETY: see `Outside`.
    let kept = unsafe { &mut *OUTSIDE.0.get() };
    for i in 0..2 {
        // These two clocks fail only where unshare(CLONE_NEWTIME) has
        // failed first (EINVAL: before Linux 5.6); the trace would show it.
        let now = sys::clock_gettime(CLOCKS[i]).unwrap_or_default();
        let was = kept[i];
        kept[i] = now;
        out(|b| {
            // As the kernel's struct timespec has it.
            b.p(labels[i])
                .udec(now.sec as u64)
                .p(t!(" s "))
                .udec(now.nsec as u64)
                .p(t!(" ns"));
            if ahead {
                // Rounded to whole seconds: the nanoseconds differ by less
                // than one second either way.
                let ns = now.nsec - was.nsec;
                let round = i64::from(ns >= 500_000_000) - i64::from(ns < -500_000_000);
                b.p(t!(" (difference: "))
                    .dec(now.sec - was.sec + round)
                    .p(t!(" s)"));
            }
        });
    }
}

fn inside(_: &Spec, _: &Argv) -> Result<i32, Error> {
    say(t!(""));
    say(t!("=== Inside the time namespace ==="));
    let labels = [
        t!("CLOCK_MONOTONIC in namespace: "),
        t!("CLOCK_BOOTTIME in namespace: "),
    ];
    clocks(labels, true);
    say_link(t!("time namespace: "), c"/proc/self/ns/time");
    say(t!("================================="));
    say(t!(""));
    error::stdout_result().map(|()| 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_signed_whole_seconds_within_the_kernels_limit() {
        for good in ["0", "-0", "3600", "-86400", "4611686018", "-4611686018", "0000000001"] {
            assert!(offset(good.as_bytes()), "{good}");
        }
        for bad in [
            "", "-", "+5", "1.5", "1e3", "4611686019", "-4611686019", "99999999999", "12 ", "--1",
            "0x10",
        ] {
            assert!(!offset(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn the_parent_unshares_the_time_namespace() {
        let words: &[&[u8]] = &[b"time", b"--boottime=-5", b"--monotonic", b"7"];
        let Ok(Command::Run(spec)) = crate::cmd::parse(&words) else {
            panic!("time --boottime=-5 --monotonic 7");
        };
        assert_eq!((spec.outer, spec.inner, spec.newpid), (CLONE_NEWTIME, 0, false));
        assert_eq!(ns::outer_flags(&spec), CLONE_NEWTIME);
        let words: &[&[u8]] = &[b"time", b"--boottime", b"1.5"];
        assert_eq!(
            crate::cmd::parse(&words),
            Err(Usage::new(Wrong::BadOffset, "time", b"1.5"))
        );
    }
}
