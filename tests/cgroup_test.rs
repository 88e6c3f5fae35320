//! `ns-tool cgroup`: the namespace's first process unshares
//! CLONE_NEWCGROUP and sees its cgroup as `/`; the parent sees the real
//! path, before and after, as this test process does. As root, in a
//! sub-cgroup made for the test (where the outside path is not `/` even on
//! a machine whose processes sit at the root), and as uid 65534 with and
//! without `--user`.

mod common;

use std::process::Command;

use common::{bin, match_lines, run, run_as_nobody, text};

/// This process's /proc/self/cgroup lines: ns-tool, its child, is in the
/// same cgroups.
fn own_cgroups() -> Vec<String> {
    let text = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    text.lines().map(str::to_string).collect()
}

/// A /proc/self/cgroup line as the namespace's first process sees it: the
/// path (after the second ':') is `/`.
fn at_root(line: &str) -> String {
    let mut parts = line.splitn(3, ':');
    format!("{}:{}:/", parts.next().unwrap(), parts.next().unwrap())
}

fn cgroup_ns(link: &str) -> u64 {
    link.strip_prefix("cgroup:[")
        .and_then(|l| l.strip_suffix(']'))
        .unwrap_or_else(|| panic!("not a cgroup namespace: {link}"))
        .parse()
        .unwrap()
}

fn own_cgroup_ns() -> u64 {
    let link = std::fs::read_link("/proc/self/ns/cgroup").unwrap();
    cgroup_ns(link.to_str().unwrap())
}

/// The whole demonstration for a process in cgroups `outside`: the
/// template for `match_lines` (child PID, the two namespaces' inodes).
fn contract(outside: &[String]) -> Vec<String> {
    let mut t: Vec<String> = outside
        .iter()
        .map(|l| format!("Parent: cgroup outside: {l}"))
        .collect();
    t.push("Parent: cgroup namespace: cgroup:[{}]".into());
    t.push(String::new());
    t.push("=== Inside the cgroup namespace ===".into());
    t.extend(
        outside
            .iter()
            .map(|l| format!("cgroup in namespace: {}", at_root(l))),
    );
    t.push("cgroup namespace: cgroup:[{}]".into());
    t.push("===================================".into());
    t.push(String::new());
    t.extend(
        outside
            .iter()
            .map(|l| format!("Parent: cgroup outside, after: {l}")),
    );
    t.push("Parent: child {} exited with status 0".into());
    t
}

/// Check a demonstration's output for a process in cgroups `outside`;
/// returns the inner namespace's inode.
fn check_demo(stdout: &str, outside: &[String]) -> u64 {
    let t = contract(outside);
    let t: Vec<&str> = t.iter().map(String::as_str).collect();
    // The cgroup lines' digits are literal: only the placeholders capture.
    let n = match_lines(&t, stdout).unwrap_or_else(|e| panic!("{e}"));
    let (parent_ns, inner_ns) = (n[0], n[1]);
    assert_eq!(parent_ns, own_cgroup_ns(), "the parent stays in ours");
    assert_ne!(inner_ns, parent_ns, "the child has one of its own");
    inner_ns
}

#[test]
fn the_demonstration_shows_the_real_path_outside_and_the_root_inside() {
    let before = own_cgroups();
    let out = run(&["cgroup"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    check_demo(&stdout, &before);
    // The outside, read from here: untouched.
    assert_eq!(own_cgroups(), before);
}

/// A cgroup v2 directory for one test, under this process's own v2 cgroup,
/// removed on drop (which fails if a process is left in it).
struct SubCgroup {
    dir: std::path::PathBuf,
    /// Its path as /proc/PID/cgroup shows it (`0::/...`).
    path: String,
}

impl SubCgroup {
    fn new(tag: &str) -> SubCgroup {
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        // Field 5 is the mount point, field 4 the root of the mount; after
        // " - " the type.
        let (root, mount) = mountinfo
            .lines()
            .find_map(|l| {
                let (fields, rest) = l.split_once(" - ")?;
                rest.starts_with("cgroup2 ").then(|| {
                    let f: Vec<&str> = fields.split(' ').collect();
                    (f[3].to_string(), f[4].to_string())
                })
            })
            .expect("a cgroup2 mount (the test needs one)");
        let own = own_cgroups()
            .into_iter()
            .find_map(|l| l.strip_prefix("0::").map(str::to_string))
            .expect("a cgroup v2 line");
        let rel = own
            .strip_prefix(&root)
            .unwrap_or(&own)
            .trim_start_matches('/');
        let name = format!("ns-tool-test-{}-{tag}", std::process::id());
        let dir = std::path::Path::new(&mount).join(rel).join(&name);
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        let path = format!("0::{}/{name}", own.trim_end_matches('/'));
        SubCgroup { dir, path }
    }

    /// `ns-tool args` started in this cgroup (by a shell that moves itself
    /// there first).
    fn run(&self, args: &str) -> std::process::Output {
        Command::new("sh")
            .args([
                "-c",
                &format!(
                    "echo $$ > {}/cgroup.procs && exec {} {args}",
                    self.dir.display(),
                    bin().display()
                ),
            ])
            .output()
            .unwrap()
    }
}

impl Drop for SubCgroup {
    fn drop(&mut self) {
        let gone = common::wait_until(5, || std::fs::remove_dir(&self.dir).is_ok());
        if !std::thread::panicking() {
            assert!(
                gone,
                "{} still busy: a process was left in it",
                self.dir.display()
            );
        }
    }
}

#[test]
fn in_a_sub_cgroup_outside_shows_its_path_and_inside_shows_root() {
    let sub = SubCgroup::new("demo");
    let out = sub.run("cgroup");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    // Our own lines, but for the v2 one: the sub-cgroup's path.
    let outside: Vec<String> = own_cgroups()
        .into_iter()
        .map(|l| match l.starts_with("0::") {
            true => sub.path.clone(),
            false => l,
        })
        .collect();
    assert!(
        stdout.contains(&format!("\nParent: cgroup outside: {}\n", sub.path)),
        "{stdout}"
    );
    assert!(stdout.contains("\ncgroup in namespace: 0::/\n"), "{stdout}");
    check_demo(&stdout, &outside);
    // COMMAND too: its own cgroup is the namespace's root, the one it was
    // made in; this test process's cgroup, the sub-cgroup's parent, shows
    // from there as above the root.
    let me = std::process::id();
    let out = sub.run(&format!(
        "cgroup -- cat /proc/self/cgroup /proc/{me}/cgroup"
    ));
    let got = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{got}{}", text(&out.stderr));
    let lines: Vec<&str> = got.lines().filter(|l| l.starts_with("0::")).collect();
    assert_eq!(lines, ["0::/", "0::/.."], "{got}");
}

#[test]
fn command_runs_inside_and_its_status_is_ours() {
    let out = run(&["cgroup", "--", "cat", "/proc/self/cgroup"]);
    let want: String = own_cgroups().iter().map(|l| at_root(l) + "\n").collect();
    assert_eq!(text(&out.stdout), want, "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
    let out = run(&["cgroup", "--", "readlink", "/proc/self/ns/cgroup"]);
    let inner = cgroup_ns(text(&out.stdout).trim_end());
    assert_ne!(inner, own_cgroup_ns());
    assert_eq!(
        run(&["cgroup", "--", "sh", "-c", "exit 7"]).status.code(),
        Some(7)
    );
    assert_eq!(
        run(&["cgroup", "--", "ns-tool-no-such-command"])
            .status
            .code(),
        Some(127)
    );
}

#[test]
fn the_child_unshares_and_the_parent_does_not() {
    let out = run(&["--trace", "cgroup", "--", "true"]);
    assert_eq!(out.status.code(), Some(0));
    let trace = text(&out.stderr);
    let unshares: Vec<&str> = trace.lines().filter(|l| l.contains("] unshare(")).collect();
    assert_eq!(unshares.len(), 1, "{trace}");
    assert!(
        unshares[0].starts_with("[child of host ")
            && unshares[0].contains("] unshare(CLONE_NEWCGROUP) = 0  ("),
        "{trace}"
    );
    // --pid: the parent makes the PID namespace, the child its cgroup one.
    let out = run(&["--trace", "cgroup", "--pid", "--", "sh", "-c", "echo $$"]);
    assert_eq!(text(&out.stdout), "1\n");
    let trace = text(&out.stderr);
    assert!(trace.contains("] unshare(CLONE_NEWPID) = 0"), "{trace}");
    assert!(trace.contains("] unshare(CLONE_NEWCGROUP) = 0"), "{trace}");
}

#[test]
fn as_nobody_user_makes_it_possible_and_without_it_one_line_says_what_to_do() {
    let outside = own_cgroups();
    let out = run_as_nobody(&["cgroup", "--user"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    check_demo(&stdout, &outside);
    let out = run_as_nobody(&["cgroup", "--user", "--", "cat", "/proc/self/cgroup"]);
    let want: String = outside.iter().map(|l| at_root(l) + "\n").collect();
    assert_eq!(text(&out.stdout), want);
    let out = run_as_nobody(&["cgroup", "--", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "ns-tool: unshare(CLONE_NEWCGROUP): Operation not permitted (EPERM): creating \
         namespaces requires root (CAP_SYS_ADMIN); run it with sudo, or add --user to create \
         a user namespace first\n"
    );
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn usage_errors_exit_2() {
    let out = run(&["cgroup", "--hostname", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "ns-tool: cgroup: unknown option '--hostname'; run 'ns-tool cgroup --help' for usage\n"
    );
    let out = run(&["cgroup", "--"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr).lines().count(), 1);
}

#[test]
fn nothing_is_left_behind() {
    // With --pid, a background process dies with the namespace's PID 1;
    // the sub-cgroup's removal (SubCgroup's drop) checks that it is empty.
    let sub = SubCgroup::new("leak");
    let out = sub.run("cgroup --pid -- sh -c 'sleep 3021 >/dev/null 2>&1 & exit 0'");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let gone = common::wait_until(5, || common::sleepers("3021").is_empty());
    for pid in common::sleepers("3021") {
        common::kill(pid, 9);
    }
    assert!(gone, "a sleep outlived the namespace");
}
