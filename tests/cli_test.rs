//! Command-line handling: help, version and usage errors.

mod common;

use common::{run, text};

fn usage_error(args: &[&str], expected: &str) {
    let out = run(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    assert_eq!(text(&out.stdout), "", "{args:?}: nothing on stdout");
    assert_eq!(
        text(&out.stderr),
        format!("ns-tool: {expected}\n"),
        "{args:?}"
    );
}

#[test]
fn unknown_command() {
    usage_error(
        &["bogus"],
        "unknown command 'bogus'; run 'ns-tool --help' for the list of commands",
    );
}

#[test]
fn unknown_option() {
    usage_error(
        &["--frob"],
        "unknown option '--frob'; run 'ns-tool --help' for usage",
    );
    usage_error(
        &["pid", "--frob"],
        "pid: unknown option '--frob'; run 'ns-tool pid --help' for usage",
    );
}

#[test]
fn pid_option_errors() {
    usage_error(
        &["pid", "--init"],
        "pid: --init needs a COMMAND to run as PID 2, or --pause; e.g. 'ns-tool pid --init -- sleep 10'",
    );
    usage_error(
        &["pid", "--"],
        "pid: '--' must be followed by a COMMAND; e.g. 'ns-tool pid -- sh'",
    );
    usage_error(
        &["pid", "--nest"],
        "pid: --nest needs a number of levels, 1 to 32; e.g. 'ns-tool pid --nest 3'",
    );
    usage_error(
        &["pid", "--nest", "0"],
        "pid: --nest takes 1 to 32 levels (the kernel nests PID namespaces at most 32 deep), \
         not '0'",
    );
}

#[test]
fn init_option_errors() {
    usage_error(
        &["init"],
        "init: needs a COMMAND to run, or --pause; e.g. 'ns-tool init -- sleep 10'",
    );
    usage_error(
        &["init", "--"],
        "init: '--' must be followed by a COMMAND; e.g. 'ns-tool init -- sh'",
    );
    usage_error(
        &["init", "-P", "--", "true"],
        "init: --pause runs no COMMAND; give one or the other",
    );
    usage_error(
        &["pid", "--pause", "true"],
        "pid: --pause runs no COMMAND; give one or the other",
    );
    for v in ["256", "-1", "x", "", "1x"] {
        usage_error(
            &["init", "-e", v, "--", "true"],
            &format!("init: -e takes an exit status, 0 to 255, not '{v}'"),
        );
    }
    for v in [
        "15", "15:", ":3", "65:1", "15:65", "0:1", "TERM:INT", "1:2:3",
    ] {
        usage_error(
            &["init", &format!("--rewrite={v}"), "--", "true"],
            &format!(
                "init: --rewrite takes SIGNAL:SIGNAL, numbers 1 to 64 (to 0: drop it), not '{v}'"
            ),
        );
    }
    usage_error(
        &["init", "-r"],
        "init: option '-r' needs a value; run 'ns-tool init --help' for usage",
    );
    usage_error(
        &["init", "--nest", "2", "--", "true"],
        "init: unknown option '--nest'; run 'ns-tool init --help' for usage",
    );
}

#[test]
fn missing_command() {
    usage_error(&[], "missing command; run 'ns-tool --help' for usage");
}

#[test]
fn usage_errors_create_no_namespace() {
    // The error comes before anything is done: not even the first line.
    let out = run(&["pid", "--frob"]);
    assert!(!text(&out.stdout).contains("Creating"));
}

#[test]
fn help_lists_commands_and_exit_codes() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let out = run(args);
        assert!(out.status.success(), "{args:?}");
        let s = text(&out.stdout);
        assert!(s.starts_with("ns-tool "), "{s}");
        assert!(
            s.contains("Usage: ns-tool [--trace] COMMAND [ARGS...]"),
            "{s}"
        );
        assert!(s.contains("\n  syscalls "), "{s}");
        assert!(s.contains("\n  pid "), "{s}");
        assert!(s.contains("Exit status:"), "{s}");
        assert!(
            s.contains("3 refused to run setuid, setgid or with file capabilities"),
            "{s}"
        );
        assert!(
            s.ends_with("not for setuid: see docs/security.md.\n"),
            "{s}"
        );
        assert_eq!(text(&out.stderr), "");
    }
}

#[test]
fn pid_help() {
    for args in [&["pid", "--help"][..], &["help", "pid"], &["pid", "-h"]] {
        let out = run(args);
        assert!(out.status.success(), "{args:?}");
        let s = text(&out.stdout);
        assert!(
            s.starts_with("Usage: ns-tool pid [OPTIONS] [--] [COMMAND [ARGS...]]\n"),
            "{s}"
        );
        for opt in [
            "--init",
            "--mount-proc",
            "--user",
            "--map-root-user",
            "--nest N",
        ] {
            assert!(s.contains(opt), "{opt} documented");
        }
        assert!(s.contains("CAP_SYS_ADMIN"), "{s}");
        assert!(
            !s.contains("Creating new PID namespace"),
            "help does not run it"
        );
    }
}

#[test]
fn version() {
    for flag in ["--version", "-V"] {
        let out = run(&[flag]);
        assert!(out.status.success());
        assert_eq!(
            text(&out.stdout),
            format!("ns-tool {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
}
