//! `ns-tool mount`: a tmpfs in a mount namespace of its own, seen from
//! inside, absent outside, and the outside's mount table unchanged; a
//! COMMAND gets the tmpfs too; the errors; as root and as uid 65534.

mod common;

use common::{match_lines, run, text};

/// common::run_as_nobody, one at a time: its copy's directory is named
/// by the test process alone, and each call removes it.
fn run_as_nobody(args: &[&str]) -> std::process::Output {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    common::run_as_nobody(args)
}

/// The demonstration with the default target, /mnt.
const DEMO: &[&str] = &[
    "=== Inside the mount namespace ===",
    "On /mnt in namespace: {} {} {}:{} / /mnt rw,nosuid,nodev{*}",
    "Mount namespace: mnt:[{}]",
    "==================================",
    "",
    "Parent: on /mnt outside: nothing mounted",
    "Parent: mount namespace outside: mnt:[{}]",
    "Parent: child {} exited with status 0",
    "Parent: mount table outside: byte for byte as before",
];

fn own_mountinfo() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").unwrap()
}

/// Lines of a mount table whose mount point (fifth field) is `dir`.
fn mounts_on<'a>(table: &'a str, dir: &str) -> Vec<&'a str> {
    table
        .lines()
        .filter(|l| l.split(' ').nth(4) == Some(dir))
        .collect()
}

fn own_mnt_ns() -> u64 {
    let link = std::fs::read_link("/proc/self/ns/mnt").unwrap();
    let link = link.to_str().unwrap();
    link["mnt:[".len()..link.len() - 1].parse().unwrap()
}

/// The demonstration's output checked line by line; returns the inside's
/// mount table line.
fn check_demo(stdout: &str) -> String {
    let n = match_lines(DEMO, stdout).unwrap();
    let (inside_ns, outside_ns) = (n[4], n[5]);
    assert_eq!(outside_ns, own_mnt_ns());
    assert_ne!(inside_ns, outside_ns);
    let line = stdout.lines().nth(1).unwrap();
    assert!(line.contains(" - tmpfs tmpfs "), "{line}");
    line.to_string()
}

#[test]
fn the_demonstration_shows_the_tmpfs_inside_only_and_the_outside_unchanged() {
    let before = own_mountinfo();
    assert!(
        mounts_on(&before, "/mnt").is_empty(),
        "the test needs an unmounted /mnt"
    );
    let out = run(&["mount"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    check_demo(&stdout);
    // Nothing left behind: our own table, read by us, is as it was.
    assert_eq!(own_mountinfo(), before);
}

#[test]
fn command_gets_the_tmpfs_nodev_nosuid() {
    let before = own_mountinfo();
    let out = run(&[
        "mount",
        "--target",
        "/mnt",
        "--",
        "sh",
        "-c",
        "grep ' /mnt ' /proc/self/mountinfo",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let fields: Vec<&str> = lines[0].split(' ').collect();
    assert_eq!(fields[4], "/mnt");
    let opts: Vec<&str> = fields[5].split(',').collect();
    assert!(
        opts.contains(&"nodev") && opts.contains(&"nosuid"),
        "{stdout}"
    );
    assert!(lines[0].contains(" - tmpfs tmpfs "), "{stdout}");
    assert_eq!(own_mountinfo(), before);
}

#[test]
fn another_target_is_the_one_mounted() {
    let dir = std::env::temp_dir().join(format!("ns-tool-mount-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();
    let out = run(&["mount", "--target", d]);
    let stdout = text(&out.stdout);
    let _ = std::fs::remove_dir(&dir);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let inside = format!("On {d} in namespace: ");
    let line = stdout.lines().find(|l| l.starts_with(&inside)).unwrap();
    assert_eq!(line[inside.len()..].split(' ').nth(4), Some(d));
    assert!(stdout.contains(&format!("Parent: on {d} outside: nothing mounted\n")));
}

#[test]
fn a_missing_directory_is_one_line_and_mounts_nothing() {
    let before = own_mountinfo();
    let out = run(&["mount", "--target", "/nonexistent-ns-tool-dir"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert_eq!(
        text(&out.stderr),
        "ns-tool: openat(/nonexistent-ns-tool-dir): No such file or directory (ENOENT)\n"
    );
    // A file is no directory either.
    let out = run(&["mount", "--target", "/proc/self/mountinfo"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "ns-tool: openat(/proc/self/mountinfo): Not a directory (ENOTDIR)\n"
    );
    assert_eq!(own_mountinfo(), before);
}

#[test]
fn an_empty_target_is_a_usage_error() {
    let out = run(&["mount", "--target", ""]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "ns-tool: mount: --target takes a directory, not an empty word\n"
    );
    let out = run(&["mount", "--target"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr).lines().count(), 1);
}

#[test]
fn the_trace_shows_the_unshare_and_both_mounts() {
    let out = run(&["--trace", "mount"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    for call in [
        "unshare(CLONE_NEWNS) = 0",
        "mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL) = 0",
        "mount(\"tmpfs\", \"/mnt\", \"tmpfs\", MS_NOSUID|MS_NODEV, NULL) = 0",
    ] {
        let line = stderr.lines().find(|l| l.contains(call));
        assert!(
            line.is_some_and(|l| l.starts_with("[child of host ")),
            "{call}:\n{stderr}"
        );
    }
}

#[test]
fn as_nobody_a_user_namespace_may_mount_a_tmpfs() {
    let before = own_mountinfo();
    let out = run_as_nobody(&["mount", "--user"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let line = check_demo(&stdout);
    // The tmpfs belongs to the user namespace's root, uid 65534 outside.
    assert!(line.contains("uid=65534"), "{line}");
    assert_eq!(own_mountinfo(), before);
}

#[test]
fn as_nobody_without_user_namespace_eperm() {
    let out = run_as_nobody(&["mount", "--", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert_eq!(
        text(&out.stderr),
        "ns-tool: unshare(CLONE_NEWNS): Operation not permitted (EPERM): creating \
         namespaces requires root (CAP_SYS_ADMIN); run it with sudo, or add --user to \
         create a user namespace first\n"
    );
}

/// Where the outside's mounts are shared (as systemd makes /), a tmpfs
/// mounted before the tree is made private would travel back out: the
/// demonstration's own check and the outside's table both say it did not.
#[test]
fn under_a_shared_root_nothing_travels_back_out() {
    if std::process::Command::new("unshare")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no unshare(1)");
        return;
    }
    let script = "a=$(cat /proc/self/mountinfo); \"$0\" mount || exit 9; \
                  [ \"$a\" = \"$(cat /proc/self/mountinfo)\" ] || exit 8";
    let out = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "shared", "sh", "-c", script])
        .arg(common::bin())
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.ends_with("Parent: mount table outside: byte for byte as before\n"));
}

/// Over 16 KiB of mount table (400 tmpfs stacked on a directory, in a
/// mount namespace of unshare(1)'s): the demonstration refuses with one
/// line before forking; a COMMAND, which compares nothing, still runs.
#[test]
fn a_table_too_big_to_compare_is_one_line() {
    if std::process::Command::new("unshare")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no unshare(1)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("ns-tool-mount-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = "i=0; while [ $i -lt 400 ]; do mount -t tmpfs x \"$1\" || exit 9; \
                  i=$((i+1)); done; \"$0\" mount; echo \"rc=$?\"; \"$0\" mount -- true; \
                  echo \"rc=$?\"";
    let out = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", script])
        .arg(common::bin())
        .arg(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir(&dir);
    assert_eq!(text(&out.stdout), "rc=1\nrc=0\n");
    assert_eq!(
        text(&out.stderr),
        "ns-tool: read(/proc/self/mountinfo): File too large (EFBIG)\n"
    );
}
