//! `ns-tool time`: the parent unshares CLONE_NEWTIME, writes the offsets,
//! forks; the child's CLOCK_MONOTONIC and CLOCK_BOOTTIME are ahead by
//! them, the parent's and this process's are not. The offsets are checked
//! here against clocks this test reads itself (/proc/uptime and
//! clock_gettime), with room for the time between the reads. As root, and
//! as uid 65534 with and without `--user`.

mod common;

use common::{match_lines, run, run_as_nobody, text};

const MONOTONIC: usize = 1;
const BOOTTIME: usize = 7;

/// The demonstration; `{}` are numbers, the differences' signs are filled
/// in by `contract`.
fn contract(mono_sign: &str, boot_sign: &str) -> Vec<String> {
    [
        "Parent: CLOCK_MONOTONIC outside: {} s {} ns",
        "Parent: CLOCK_BOOTTIME outside: {} s {} ns",
        "Parent: time namespace: time:[{}]",
        "Parent: time namespace for children: time:[{}]",
        "",
        "=== Inside the time namespace ===",
        &format!("CLOCK_MONOTONIC in namespace: {{}} s {{}} ns (difference: {mono_sign}{{}} s)"),
        &format!("CLOCK_BOOTTIME in namespace: {{}} s {{}} ns (difference: {boot_sign}{{}} s)"),
        "time namespace: time:[{}]",
        "=================================",
        "",
        "Parent: child {} exited with status 0",
    ]
    .iter()
    .map(|l| l.to_string())
    .collect()
}

/// A clock of this process, by the system call, in nanoseconds.
fn clock_ns(clock: usize) -> i128 {
    let mut ts = [0i64; 2];
    // SAFETY: a live struct timespec.
    unsafe {
        syscalls::syscall2(
            syscalls::Sysno::clock_gettime,
            clock,
            ts.as_mut_ptr() as usize,
        )
    }
    .unwrap();
    i128::from(ts[0]) * 1_000_000_000 + i128::from(ts[1])
}

fn own_time_ns() -> String {
    std::fs::read_link("/proc/self/ns/time")
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn inode(link: &str) -> u64 {
    link["time:[".len()..link.len() - 1].parse().unwrap()
}

/// What a demonstration printed, in nanoseconds where it is a clock.
#[derive(Debug)]
struct Demo {
    outside: [i128; 2],
    inside: [i128; 2],
    /// The printed differences, signed, whole seconds.
    difference: [i64; 2],
    parent_ns: u64,
    children_ns: u64,
    inside_ns: u64,
}

/// Run `time ARGS` (as nobody with `nobody`) and check its output against
/// the contract for offsets `mono` and `boot` seconds.
fn demo(args: &[&str], nobody: bool, mono: i64, boot: i64) -> Demo {
    let before = [clock_ns(MONOTONIC), clock_ns(BOOTTIME)];
    let out = if nobody {
        run_as_nobody(args)
    } else {
        run(args)
    };
    let after = [clock_ns(MONOTONIC), clock_ns(BOOTTIME)];
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let sign = |v: i64| if v < 0 { "-" } else { "" };
    let t = contract(sign(mono), sign(boot));
    let t: Vec<&str> = t.iter().map(String::as_str).collect();
    let n = match_lines(&t, &stdout).unwrap_or_else(|e| panic!("{e}"));
    let ns = |i: usize| i128::from(n[i]) * 1_000_000_000 + i128::from(n[i + 1]);
    let signed = |v: u64, offset: i64| if offset < 0 { -(v as i64) } else { v as i64 };
    let d = Demo {
        outside: [ns(0), ns(2)],
        parent_ns: n[4],
        children_ns: n[5],
        inside: [ns(6), ns(9)],
        difference: [signed(n[8], mono), signed(n[11], boot)],
        inside_ns: n[12],
    };
    // The parent's clocks are this process's: between our two reads.
    for i in 0..2 {
        assert!(
            before[i] <= d.outside[i] && d.outside[i] <= after[i],
            "the parent's clock {i} ({}) is not between this test's reads ({} and {})",
            d.outside[i],
            before[i],
            after[i]
        );
    }
    // Inside: ahead by the offset, plus the little time that passed
    // between the parent's read and the child's (under a second: a second
    // more would be a wrong offset).
    for (i, offset) in [mono, boot].into_iter().enumerate() {
        let ahead = d.inside[i] - d.outside[i] - i128::from(offset) * 1_000_000_000;
        assert!(
            (0..1_000_000_000).contains(&ahead),
            "clock {i}: inside {} outside {}, offset {offset}: {ahead} ns off\n{stdout}",
            d.inside[i],
            d.outside[i]
        );
        // The printed difference is that, rounded: the offset, or one
        // more if half a second passed.
        let over = d.difference[i] - offset;
        assert_eq!(over, i64::from(ahead >= 500_000_000), "{d:?}");
    }
    assert_eq!(
        d.parent_ns,
        inode(&own_time_ns()),
        "the parent stays in ours"
    );
    assert_eq!(d.children_ns, d.inside_ns);
    assert_ne!(d.inside_ns, d.parent_ns);
    d
}

#[test]
fn the_demonstration_shows_the_default_offsets_from_both_sides() {
    let ours = own_time_ns();
    let d = demo(&["time"], false, 3600, 86400);
    assert_eq!(d.difference, [3600, 86400], "rounded exactly: {d:?}");
    // Ours are untouched.
    assert_eq!(own_time_ns(), ours);
    assert_eq!(
        std::fs::read_to_string("/proc/self/timens_offsets").unwrap(),
        "monotonic           0         0\nboottime            0         0\n"
    );
}

#[test]
fn offsets_may_be_negative_and_given_either_way() {
    demo(
        &["time", "--monotonic", "-10", "--boottime=-3600"],
        false,
        -10,
        -3600,
    );
    demo(&["time", "--boottime", "0", "--monotonic=0"], false, 0, 0);
    // Each has its own default.
    demo(&["time", "--monotonic", "5"], false, 5, 86400);
}

/// /proc/uptime's first number, in hundredths of seconds.
fn uptime(text: &str) -> i64 {
    let first = text.split_whitespace().next().unwrap();
    let (s, cs) = first.split_once('.').unwrap();
    s.parse::<i64>().unwrap() * 100 + cs.parse::<i64>().unwrap()
}

fn own_uptime() -> i64 {
    uptime(&std::fs::read_to_string("/proc/uptime").unwrap())
}

/// `time ARGS -- cat /proc/uptime`: its uptime less ours, in hundredths.
fn uptime_ahead(args: &[&str], nobody: bool) -> (i64, i64) {
    let mut all = args.to_vec();
    all.extend(["--", "cat", "/proc/uptime"]);
    let before = own_uptime();
    let out = if nobody {
        run_as_nobody(&all)
    } else {
        run(&all)
    };
    let after = own_uptime();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let inside = uptime(&text(&out.stdout));
    (inside - after, inside - before)
}

/// Whether `time ARGS -- cat /proc/uptime` is `secs` ahead of ours.
fn check_uptime(args: &[&str], nobody: bool, secs: i64) {
    let (low, high) = uptime_ahead(args, nobody);
    // Between our two reads, up to a hundredth of rounding either way.
    assert!(
        low - 1 <= secs * 100 && secs * 100 <= high + 1,
        "{args:?}: ahead by {low}..{high} hundredths, not {secs} s"
    );
}

#[test]
fn command_sees_uptime_moved_by_the_boottime_offset() {
    check_uptime(&["time", "--boottime", "3600"], false, 3600);
    check_uptime(&["time"], false, 86400);
    check_uptime(&["time", "--boottime", "-60"], false, -60);
    // The monotonic offset does not move the uptime.
    check_uptime(&["time", "--monotonic", "500", "--boottime", "0"], false, 0);
    // The namespace's own offsets, as the kernel keeps them.
    let out = run(&[
        "time",
        "--monotonic",
        "7",
        "--boottime",
        "-2",
        "--",
        "cat",
        "/proc/self/timens_offsets",
    ]);
    assert_eq!(
        text(&out.stdout),
        "monotonic           7         0\nboottime           -2         0\n"
    );
    assert_eq!(
        run(&["time", "--", "sh", "-c", "exit 9"]).status.code(),
        Some(9)
    );
}

#[test]
fn bad_offsets_exit_2_with_one_line() {
    for bad in [
        "1.5",
        "abc",
        "",
        "+5",
        "4611686019",
        "-4611686019",
        "99999999999",
        "1e3",
    ] {
        for opt in ["--monotonic", "--boottime"] {
            let out = run(&["time", opt, bad]);
            assert_eq!(out.status.code(), Some(2), "{opt} {bad:?}");
            assert_eq!(
                text(&out.stderr),
                format!(
                    "ns-tool: time: an offset is whole seconds, -4611686018 to 4611686018 \
                     (the kernel's limit), not '{bad}'\n"
                )
            );
            assert!(out.stdout.is_empty());
        }
    }
    let out = run(&["time", "--boottime"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr).lines().count(), 1);
}

#[test]
fn an_offset_past_the_kernels_limits_is_erange_with_a_hint() {
    // Within the usage check, but the boot clock would go below 0 (or,
    // for the second, past the limit, given the uptime already counted).
    for value in ["-4611686018", "4611686018"] {
        let out = run(&["time", "--boottime", value, "--", "true"]);
        assert_eq!(out.status.code(), Some(1), "{value}");
        assert_eq!(
            text(&out.stderr),
            "ns-tool: write(/proc/self/timens_offsets): Math result not representable \
             (ERANGE): a clock may not go below 0 nor past 4611686018 s\n"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn the_parent_unshares_and_writes_the_offsets_before_the_fork() {
    let out = run(&["--trace", "time", "--monotonic", "1", "--boottime", "2"]);
    assert_eq!(out.status.code(), Some(0));
    let trace = text(&out.stderr);
    let lines: Vec<&str> = trace.lines().collect();
    let at = |what: &str| {
        lines
            .iter()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what:?} in\n{trace}"))
    };
    let unshare = at("] unshare(CLONE_NEWTIME) = 0");
    let write = at("] write(3, \"monotonic 1 0\\x0aboottime 2 0\\x0a\", 27) = 27");
    let fork = at("] fork() = ");
    assert!(unshare < write && write < fork, "{trace}");
    for i in [unshare, write] {
        assert!(lines[i].starts_with("[host "), "{}", lines[i]);
    }
    assert!(lines[at("openat(AT_FDCWD, \"/proc/self/timens_offsets\"")].starts_with("[host "));
    // The clocks by the system call, on both sides.
    let reads: Vec<&str> = lines
        .iter()
        .filter(|l| l.contains("] clock_gettime("))
        .copied()
        .collect();
    assert_eq!(reads.len(), 4, "{trace}");
    assert!(
        reads[..2].iter().all(|l| l.starts_with("[host ")),
        "{trace}"
    );
    assert!(
        reads[2..].iter().all(|l| l.starts_with("[child of host ")),
        "{trace}"
    );
    assert!(reads[0].contains("] clock_gettime(1, {") && reads[1].contains("] clock_gettime(7, {"));
    // Only one unshare, the parent's.
    assert_eq!(trace.matches("] unshare(").count(), 1, "{trace}");
}

#[test]
fn as_nobody_user_makes_it_possible_and_without_it_one_line_says_what_to_do() {
    demo(&["time", "--user"], true, 3600, 86400);
    check_uptime(&["time", "--user", "--boottime", "100"], true, 100);
    let out = run_as_nobody(&["time", "--", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "ns-tool: unshare(CLONE_NEWTIME): Operation not permitted (EPERM): creating \
         namespaces requires root (CAP_SYS_ADMIN); run it with sudo, or add --user to create \
         a user namespace first\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn with_pid_nothing_is_left_behind() {
    let out = run(&[
        "time",
        "--pid",
        "--",
        "sh",
        "-c",
        "echo $$; sleep 3023 >/dev/null 2>&1 & exit 0",
    ]);
    assert_eq!(text(&out.stdout), "1\n", "{}", text(&out.stderr));
    let gone = common::wait_until(5, || common::sleepers("3023").is_empty());
    for pid in common::sleepers("3023") {
        common::kill(pid, 9);
    }
    assert!(gone, "a sleep outlived the namespace");
}
