//! `ns-tool check-caps`, as root and as uid 65534 (nobody): the mask is
//! the kernel's, and each namespace line says what really happens when
//! that user tries util-linux `unshare`. Runs as root (the nobody cases
//! switch user themselves); never skipped for who runs it.

mod common;

use std::os::unix::process::CommandExt;
use std::process::Command;

use common::{run, text, world_executable_copy};

const NOBODY: u32 = 65534;

/// common::run_as_nobody, one at a time: its copy's directory is named
/// by the test process alone, and each call removes it.
fn run_as_nobody(args: &[&str]) -> std::process::Output {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    common::run_as_nobody(args)
}

/// The namespace types in the order ns-tool prints them, and the
/// `unshare` option that creates each.
const TYPES: [(&str, &str); 8] = [
    ("cgroup", "--cgroup"),
    ("ipc", "--ipc"),
    ("mnt", "--mount"),
    ("net", "--net"),
    ("pid", "--pid"),
    ("time", "--time"),
    ("user", "--user"),
    ("uts", "--uts"),
];

/// The value after `label` on the line that starts with it.
fn field<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} line:\n{out}"))
}

/// The effective mask the output names.
fn mask(out: &str) -> u64 {
    let hex = field(out, "Effective capabilities: 0x");
    u64::from_str_radix(hex, 16).unwrap_or_else(|e| panic!("{hex}: {e}"))
}

/// Each type's answer, `yes` or the reason it is not.
fn answers(out: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = out.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "Namespace creation:")
        .unwrap_or_else(|| panic!("no Namespace creation line:\n{out}"));
    lines[at + 1..at + 9]
        .iter()
        .map(|l| {
            let (name, answer) = l
                .strip_prefix("  ")
                .and_then(|l| l.split_once(": "))
                .unwrap_or_else(|| panic!("{l:?}\n{out}"));
            (name.to_string(), answer.to_string())
        })
        .collect()
}

/// Whether `unshare ARGS true` succeeds as nobody.
fn unshare_as_nobody(args: &[&str]) -> bool {
    Command::new("unshare")
        .args(args)
        .arg("true")
        .uid(NOBODY)
        .gid(NOBODY)
        .output()
        .expect("run unshare (util-linux)")
        .status
        .success()
}

#[test]
fn as_root_everything_is_possible() {
    let out = run(&["check-caps"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let s = text(&out.stdout);
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let cap_eff = u64::from_str_radix(field(&status, "CapEff:\t"), 16).unwrap();
    assert_eq!(mask(&s), cap_eff, "{s}");
    assert_eq!(field(&s, "CAP_SYS_ADMIN: "), "yes", "{s}");
    let got = answers(&s);
    for ((name, answer), (want, _)) in got.iter().zip(TYPES) {
        assert_eq!((name.as_str(), answer.as_str()), (want, "yes"), "{s}");
    }
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn as_nobody_the_lines_match_what_unshare_does() {
    let out = run_as_nobody(&["check-caps"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let s = text(&out.stdout);
    assert_eq!(mask(&s), 0, "{s}");
    assert_eq!(field(&s, "CAP_SYS_ADMIN: "), "no", "{s}");
    let got = answers(&s);
    for ((name, answer), (want, option)) in got.iter().zip(TYPES) {
        assert_eq!(name, want, "{s}");
        let works = unshare_as_nobody(&[option]);
        assert_eq!(
            answer == "yes",
            works,
            "{name}: unshare {option} as nobody: {works}\n{s}"
        );
        if !works && *name != "user" {
            assert_eq!(
                answer,
                "no: Operation not permitted (EPERM): needs CAP_SYS_ADMIN, or a user \
                 namespace first",
                "{s}"
            );
        }
    }
    // The sysctls' verdict is what an unprivileged user meets.
    let userns = unshare_as_nobody(&["--user", "--map-root-user"]);
    let verdict = field(&s, "Unprivileged user namespaces: ");
    assert_eq!(verdict == "yes", userns, "{s}");
    // And a user namespace first does give the others (where it is allowed).
    if userns {
        assert!(unshare_as_nobody(&["--user", "--map-root-user", "--uts"]));
    }
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn sysctls_are_shown_or_said_absent() {
    let s = text(&run_as_nobody(&["check-caps"]).stdout);
    for path in [
        "/proc/sys/user/max_user_namespaces",
        "/proc/sys/kernel/unprivileged_userns_clone",
        "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
    ] {
        let shown = field(&s, &format!("{path}: "));
        match std::fs::read_to_string(path) {
            Ok(v) => assert_eq!(shown, v.trim_end(), "{s}"),
            Err(_) => assert_eq!(shown, "No such file or directory (ENOENT)", "{s}"),
        }
    }
}

/// The verdict follows the sysctl's value: 0 in max_user_namespaces
/// (bind-mounted over it in a mount namespace of the test's own, so the
/// host is untouched) makes it "no".
#[test]
fn max_user_namespaces_0_means_no() {
    let copy = world_executable_copy("sysctl");
    let dir = copy.parent().unwrap();
    let zero = dir.join("zero");
    std::fs::write(&zero, "0\n").unwrap();
    let script = format!(
        "mount --bind {} /proc/sys/user/max_user_namespaces && exec setpriv --reuid={NOBODY} \
         --regid={NOBODY} --clear-groups {} check-caps",
        zero.display(),
        copy.display()
    );
    let out = common::output_of_fresh_copy(Command::new("unshare").args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        &script,
    ]));
    let _ = std::fs::remove_dir_all(dir);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let s = text(&out.stdout);
    assert_eq!(
        field(&s, "/proc/sys/user/max_user_namespaces: "),
        "0",
        "{s}"
    );
    assert_eq!(field(&s, "Unprivileged user namespaces: "), "no", "{s}");
}

#[test]
fn trace_shows_capget_and_each_attempt() {
    let out = run_as_nobody(&["--trace", "check-caps"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let err = text(&out.stderr);
    let nr = if cfg!(target_arch = "x86_64") {
        125
    } else {
        90
    };
    assert!(
        err.lines()
            .any(|l| l.contains("] capget(.., {0x0, 0x0, 0x0}) = 0  (")
                && l.ends_with(&format!(" #{nr})"))),
        "{err}"
    );
    assert!(err.contains("unshare(CLONE_NEWUTS) = -1 EPERM"), "{err}");
    assert!(err.contains("unshare(CLONE_NEWTIME) = "), "{err}");
    // After the subcommand too.
    let out = run(&["check-caps", "--trace"]);
    assert!(text(&out.stderr).contains("] capget(.., {0x"), "{out:?}");
    assert!(
        text(&out.stderr).contains("unshare(CLONE_NEWUSER) = 0"),
        "{out:?}"
    );
}

#[test]
fn help_and_usage() {
    for args in [&["check-caps", "--help"][..], &["help", "check-caps"]] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(text(&out.stdout).starts_with("Usage: ns-tool check-caps [--trace]\n"));
    }
    let out = run(&["check-caps", "--user"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "ns-tool: check-caps: unknown option '--user'; run 'ns-tool check-caps --help' \
         for usage\n"
    );
}
