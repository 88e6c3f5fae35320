//! `ns-tool uts`: the hostname and domain name set inside a new UTS
//! namespace, the outside's checked from the test itself; COMMAND there;
//! `--pid`, `--user` as uid 65534; names over the kernel's limit.

mod common;

use common::{match_lines, run, run_as_nobody, text};

const DEMO: &[&str] = &[
    "Parent: hostname outside: {*}",
    "Parent: domain name outside: {*}",
    "",
    "=== Inside the UTS namespace ===",
    "Hostname in namespace: container-test",
    "Domain name in namespace: {*}",
    "UTS namespace: uts:[{}]",
    "=================================",
    "",
    "Parent: hostname outside, after: {*}",
    "Parent: domain name outside, after: {*}",
    "Parent: UTS namespace outside: uts:[{}]",
    "Parent: child {} exited with status 0",
];

fn kernel(name: &str) -> String {
    std::fs::read_to_string(format!("/proc/sys/kernel/{name}"))
        .unwrap()
        .trim_end()
        .to_string()
}

/// The value after `label` on the line that starts with it.
fn after<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in\n{out}"))
}

#[test]
fn the_names_change_inside_and_not_outside() {
    let (host, domain) = (kernel("hostname"), kernel("domainname"));
    let own_uts = std::fs::read_link("/proc/self/ns/uts").unwrap();
    let out = run(&["uts"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let n = match_lines(DEMO, &stdout).unwrap();
    for label in [
        "Parent: hostname outside: ",
        "Parent: hostname outside, after: ",
    ] {
        assert_eq!(after(&stdout, label), host, "{label}");
    }
    for label in [
        "Parent: domain name outside: ",
        "Parent: domain name outside, after: ",
        "Domain name in namespace: ",
    ] {
        assert_eq!(after(&stdout, label), domain, "{label}");
    }
    // The inodes: the child's is new, the parent's is ours.
    assert_ne!(n[0], n[1]);
    assert_eq!(
        own_uts.to_str().unwrap(),
        format!("uts:[{}]", n[1]),
        "the parent stayed in our UTS namespace"
    );
    // Checked here, not only by ns-tool.
    assert_eq!((kernel("hostname"), kernel("domainname")), (host, domain));
}

#[test]
fn command_sees_the_names_given() {
    let out = run(&[
        "uts",
        "--hostname=box",
        "--domainname",
        "lan",
        "--",
        "sh",
        "-c",
        "hostname; cat /proc/sys/kernel/domainname",
    ]);
    assert_eq!(text(&out.stdout), "box\nlan\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
    // Without --domainname the outside's is kept; 64 bytes is the limit.
    let name = "n".repeat(64);
    let out = run(&["uts", "--hostname", &name, "--", "hostname"]);
    assert_eq!(text(&out.stdout), format!("{name}\n"));
    let out = run(&["uts", "--", "cat", "/proc/sys/kernel/domainname"]);
    assert_eq!(text(&out.stdout), format!("{}\n", kernel("domainname")));
}

#[test]
fn a_name_over_64_bytes_is_a_usage_error() {
    let name = "n".repeat(65);
    for args in [
        &["uts", "--hostname", &name][..],
        &["uts", &format!("--domainname={name}"), "--", "true"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            text(&out.stderr),
            format!(
                "ns-tool: uts: a name is at most 64 bytes (the kernel's limit), not '{name}'\n"
            )
        );
        assert!(out.stdout.is_empty());
    }
    let out = run(&["uts", "--hostname"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "ns-tool: uts: option '--hostname' needs a value; run 'ns-tool uts --help' for usage\n"
    );
}

#[test]
fn pid_adds_a_pid_namespace() {
    let out = run(&["uts", "--pid", "--", "sh", "-c", "echo $$; hostname"]);
    assert_eq!(text(&out.stdout), "1\ncontainer-test\n");
    // Without it, the child keeps our PID namespace.
    let out = run(&["uts", "--", "sh", "-c", "readlink /proc/self/ns/pid"]);
    let ours = std::fs::read_link("/proc/self/ns/pid").unwrap();
    assert_eq!(text(&out.stdout).trim_end(), ours.to_str().unwrap());
}

#[test]
fn as_nobody_user_is_needed_and_enough() {
    let out = run_as_nobody(&["uts", "--", "hostname"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        "ns-tool: unshare(CLONE_NEWUTS): Operation not permitted (EPERM): creating namespaces \
         requires root (CAP_SYS_ADMIN); run it with sudo, or add --user to create a user \
         namespace first\n"
    );
    let out = run_as_nobody(&["uts", "--user", "--hostname", "mine", "--", "hostname"]);
    assert_eq!(text(&out.stdout), "mine\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn the_trace_shows_the_child_unsharing_and_naming() {
    let out = run(&["--trace", "uts", "--", "true"]);
    assert_eq!(out.status.code(), Some(0));
    let trace = text(&out.stderr);
    for want in [
        "] unshare(CLONE_NEWUTS) = 0  (",
        "] sethostname(\"container-test\", 14) = 0  (",
    ] {
        let line = trace
            .lines()
            .find(|l| l.contains(want))
            .unwrap_or_else(|| panic!("no {want:?} in\n{trace}"));
        // The child does it, not ns-tool's own process.
        assert!(line.starts_with("[child of host "), "{line}");
    }
    let demo = text(&run(&["--trace", "uts"]).stderr);
    assert!(
        demo.contains("] uname({nodename=\"container-test\", ..}) = 0  ("),
        "{demo}"
    );
}
