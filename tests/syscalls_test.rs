//! `ns-tool syscalls` and `--trace` against independent sources: the
//! kernel's own syscall tables (the UAPI headers of linux-libc-dev), the `sc`
//! crate, and strace watching the same run.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::{run, text};

/// `#define __NR_name N` lines of a kernel UAPI header.
fn header_numbers(path: &str) -> BTreeMap<String, u32> {
    let header = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e} (install linux-libc-dev)"));
    header
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next()? == "#define").then_some(())?;
            let name = w.next()?.strip_prefix("__NR_")?;
            Some((name.to_string(), w.next()?.parse().ok()?))
        })
        .collect()
}

/// Rows of `ns-tool syscalls`: name, x86_64, aarch64 (None for "-").
fn table() -> Vec<(String, Option<u32>, Option<u32>)> {
    let out = run(&["syscalls"]);
    assert!(out.status.success(), "{out:?}");
    text(&out.stdout)
        .lines()
        .skip(2)
        .map(|l| {
            let cols: Vec<&str> = l.split(" | ").map(|c| c.trim_matches(['|', ' '])).collect();
            let num = |c: &str| (c != "-").then(|| c.parse().expect("a number or -"));
            (cols[0].to_string(), num(cols[1]), num(cols[2]))
        })
        .collect()
}

#[test]
fn table_numbers_match_the_kernel_headers() {
    let x86_64 = header_numbers("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
    // aarch64 uses the kernel's generic table.
    let generic = header_numbers("/usr/include/asm-generic/unistd.h");
    let rows = table();
    assert!(rows.len() >= 20, "{rows:?}");
    for (name, x, a) in &rows {
        assert_eq!(*x, x86_64.get(name).copied(), "{name} on x86_64");
        assert_eq!(*a, generic.get(name).copied(), "{name} on aarch64");
    }
    // The known differences a learner should see.
    assert!(rows.contains(&("fork".into(), Some(57), None)));
    assert!(rows.contains(&("unshare".into(), Some(272), Some(97))));
}

#[cfg(target_arch = "x86_64")]
#[test]
fn host_column_matches_the_sc_crate() {
    let sc: BTreeMap<&str, usize> = [
        ("unshare", sc::nr::UNSHARE),
        ("fork", sc::nr::FORK),
        ("clone", sc::nr::CLONE),
        ("clone3", sc::nr::CLONE3),
        ("getpid", sc::nr::GETPID),
        ("getppid", sc::nr::GETPPID),
        ("getuid", sc::nr::GETUID),
        ("getgid", sc::nr::GETGID),
        ("wait4", sc::nr::WAIT4),
        ("waitid", sc::nr::WAITID),
        ("pipe2", sc::nr::PIPE2),
        ("read", sc::nr::READ),
        ("write", sc::nr::WRITE),
        ("openat", sc::nr::OPENAT),
        ("close", sc::nr::CLOSE),
        ("readlinkat", sc::nr::READLINKAT),
        ("getdents64", sc::nr::GETDENTS64),
        ("prctl", sc::nr::PRCTL),
        ("mount", sc::nr::MOUNT),
        ("execve", sc::nr::EXECVE),
        ("kill", sc::nr::KILL),
        ("rt_sigprocmask", sc::nr::RT_SIGPROCMASK),
        ("rt_sigtimedwait", sc::nr::RT_SIGTIMEDWAIT),
        ("rt_sigaction", sc::nr::RT_SIGACTION),
        ("rt_sigqueueinfo", sc::nr::RT_SIGQUEUEINFO),
        ("setpgid", sc::nr::SETPGID),
        ("getpgid", sc::nr::GETPGID),
        ("ioctl", sc::nr::IOCTL),
        ("exit_group", sc::nr::EXIT_GROUP),
        ("chdir", sc::nr::CHDIR),
        ("close_range", sc::nr::CLOSE_RANGE),
        ("mkdirat", sc::nr::MKDIRAT),
        ("sync", sc::nr::SYNC),
        ("reboot", sc::nr::REBOOT),
        ("capget", sc::nr::CAPGET),
        ("uname", sc::nr::UNAME),
        ("sethostname", sc::nr::SETHOSTNAME),
        ("setdomainname", sc::nr::SETDOMAINNAME),
        ("msgget", sc::nr::MSGGET),
        ("semget", sc::nr::SEMGET),
        ("shmget", sc::nr::SHMGET),
        ("msgctl", sc::nr::MSGCTL),
        ("semctl", sc::nr::SEMCTL),
        ("shmctl", sc::nr::SHMCTL),
        ("clock_gettime", sc::nr::CLOCK_GETTIME),
        ("socket", sc::nr::SOCKET),
        ("bind", sc::nr::BIND),
        ("getsockname", sc::nr::GETSOCKNAME),
        ("connect", sc::nr::CONNECT),
    ]
    .into();
    let rows = table();
    assert_eq!(rows.len(), sc.len(), "every row cross-checked");
    for (name, x, _) in rows {
        assert_eq!(x, Some(sc[name.as_str()] as u32), "{name}");
    }
}

#[test]
fn docs_table_is_the_binarys() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/syscalls.md"))
        .expect("docs/syscalls.md");
    let out = text(&run(&["syscalls"]).stdout);
    assert!(
        doc.contains(&out),
        "docs/syscalls.md is out of date; regenerate the table with `ns-tool syscalls`:\n{out}"
    );
}

/// (call, result) pairs from `--trace` lines: `[..] name(args) = result  (arch #n)`.
fn traced_calls(stderr: &str, names: &[&str]) -> Vec<(String, String)> {
    let mut calls: Vec<(String, String)> = stderr
        .lines()
        .filter_map(|l| {
            let rest = l.split_once("] ")?.1;
            let name = &rest[..rest.find('(')?];
            let result = rest.rsplit_once(" = ")?.1.split("  (").next()?;
            names.contains(&name).then(|| {
                (
                    name.to_string(),
                    result.split(' ').next().unwrap().to_string(),
                )
            })
        })
        .collect();
    calls.sort();
    calls
}

/// The same from strace -f output: `PID name(args) = result ...`.
fn straced_calls(log: &str, names: &[&str]) -> Vec<(String, String)> {
    let mut calls: Vec<(String, String)> = log
        .lines()
        .filter_map(|l| {
            let rest = l.split_once(' ')?.1.trim_start();
            let name = &rest[..rest.find('(')?];
            let result = rest.rsplit_once(" = ")?.1.split(' ').next()?;
            names
                .contains(&name)
                .then(|| (name.to_string(), result.to_string()))
        })
        .collect();
    calls.sort();
    calls
}

#[test]
fn trace_agrees_with_strace() {
    let names = ["unshare", "wait4", "getpid", "getppid"];
    let log = std::env::temp_dir().join(format!("ns-tool-strace-{}", std::process::id()));
    let out = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=unshare,wait4,getpid,getppid",
            "-o",
        ])
        .arg(&log)
        .arg(common::bin())
        .args(["--trace", "pid"])
        .output()
        .expect("run strace (install strace)");
    assert!(out.status.success(), "{out:?}");
    let strace = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    let stderr = text(&out.stderr);
    let ours = traced_calls(&stderr, &names);
    let theirs = straced_calls(&strace, &names);
    assert!(
        ours.len() >= 5,
        "unshare, getpid x2, getppid, wait4: {ours:?}"
    );
    assert_eq!(ours, theirs, "--trace:\n{stderr}\nstrace:\n{strace}");
    // The numbers printed are this architecture's.
    let arch = if cfg!(target_arch = "x86_64") {
        "x86_64"
    } else {
        "aarch64"
    };
    let unshare = if arch == "x86_64" { 272 } else { 97 };
    assert!(
        stderr.contains(&format!("unshare(CLONE_NEWPID) = 0  ({arch} #{unshare})")),
        "{stderr}"
    );
    // Both sides of the fork are named: the host process and PID 1 inside.
    assert!(stderr.contains("] getppid() = 0  ("), "{stderr}");
    assert!(
        stderr.lines().any(|l| l.starts_with("[ns 1 | host ")),
        "{stderr}"
    );
    assert!(stderr.lines().any(|l| l.starts_with("[host ")), "{stderr}");
}

#[test]
fn trace_off_prints_nothing_extra() {
    let out = run(&["pid"]);
    assert_eq!(text(&out.stderr), "");
    let out = run(&["pid", "--trace", "--", "true"]);
    assert!(out.status.success());
    assert!(text(&out.stderr).contains("execve(\""), "{out:?}");
}

/// The numbers in `after` that follow `arch ` in a "Syscall number:" doc
/// line: the first run of digits, or None if the arch "has no" such call.
fn doc_number(text: &str, arch: &str) -> Option<u32> {
    let rest = &text[text.find(arch)? + arch.len()..];
    if rest.trim_start().starts_with("has no") {
        return None;
    }
    let digits: String = rest
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[test]
fn wrapper_docs_give_the_rows_numbers() {
    // Every wrapper's doc names its syscall numbers; they must be the
    // row's (the table the binary prints), so the docs cannot drift.
    let rows = table();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/sys");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let code = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut block = String::new();
        for line in code.lines() {
            let Some(doc) = line.trim_start().strip_prefix("///") else {
                block.clear();
                continue;
            };
            block.push_str(doc);
            block.push(' ');
            if !block.contains("Syscall number:")
                || !line.contains("[")
                || !line.contains("]: https")
            {
                continue;
            }
            // The block is complete at its man page link: name it by the
            // first `[name(2)]`.
            let name = block
                .split('[')
                .nth(1)
                .and_then(|s| s.split("(2)").next())
                .unwrap()
                .to_string();
            let numbers = &block[block.find("Syscall number:").unwrap()..];
            let x86 = doc_number(numbers, "x86_64");
            let arm = doc_number(numbers, "aarch64");
            let row = rows
                .iter()
                .find(|(n, _, _)| *n == name)
                .unwrap_or_else(|| panic!("{name}: documented but not in the table"));
            assert_eq!((x86, arm), (row.1, row.2), "{name}: the doc says {numbers}");
            checked += 1;
            block.clear();
        }
    }
    assert!(checked >= 25, "only {checked} wrappers checked");
}
