//! Random command lines, including non-UTF-8 and very long arguments: the
//! binary never panics or dies of a signal, exits 0, 1, 2, 126, 127 or
//! 128+N, and explains every failure on stderr.
//!
//! The generator is a seeded xorshift, so a failure is reproducible:
//! NS_TOOL_PROPTEST_SEED and NS_TOOL_PROPTEST_CASES override the defaults.
//! COMMAND words never contain '/', and PATH points nowhere, so no random
//! program can run.

mod common;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "pid",
    "pid",
    "pid",
    "syscalls",
    "help",
    "--help",
    "-h",
    "-V",
    "--version",
    "--trace",
    "--init",
    "--mount-proc",
    "--user",
    "-r",
    "--map-root-user",
    "--nest",
    "--nest=3",
    "3",
    "33",
    "0",
    "-1",
    "--",
    "--arch",
    "x86_64",
    "aarch64",
    "all",
    "true",
    "sh",
    "",
    "-",
    "--x",
];

fn word(rng: &mut Rng) -> Vec<u8> {
    match rng.below(10) {
        0 => (0..rng.below(8) + 1)
            .map(|_| loop {
                let b = (rng.next() & 0xff) as u8;
                if b != 0 && b != b'/' {
                    break b;
                }
            })
            .collect(),
        1 => vec![b'x'; 1000 + rng.below(20_000)],
        2 => b"\xff\xfe--nest\xc3".to_vec(),
        _ => WORDS[rng.below(WORDS.len())].as_bytes().to_vec(),
    }
}

#[test]
fn random_argv_never_crashes() {
    let seed = std::env::var("NS_TOOL_PROPTEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15u64);
    let cases = std::env::var("NS_TOOL_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let mut rng = Rng(seed);
    let nowhere = std::env::temp_dir().join("ns-tool-proptest-empty-path");
    std::fs::create_dir_all(&nowhere).unwrap();
    for case in 0..cases {
        let argv: Vec<OsString> = (0..rng.below(6))
            .map(|_| OsString::from_vec(word(&mut rng)))
            .collect();
        let child = Command::new(common::bin())
            .args(&argv)
            .env("PATH", &nowhere)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let _dog = common::watchdog(child.id(), 20);
        let out = child.wait_with_output().unwrap();
        let mut shown = format!("{argv:?}");
        shown.truncate(300);
        let what = format!("case {case} (seed {seed}): {shown} -> {:?}", out.status);
        assert_eq!(out.status.signal(), None, "{what}");
        let code = out.status.code().unwrap();
        assert!(
            matches!(code, 0 | 1 | 2 | 126 | 127) || (129..=192).contains(&code),
            "{what}"
        );
        assert_ne!(code, 101, "panic: {what}");
        // stderr holds ns-tool's own lines: errors and, with --trace,
        // whole trace lines (never a line broken by a long argument).
        let stderr = String::from_utf8_lossy(&out.stderr);
        for line in stderr.lines() {
            assert!(
                line.starts_with("ns-tool: ") || line.starts_with('['),
                "{what}: stray stderr line {line:?}"
            );
            assert!(line.len() <= 512, "{what}: overlong line");
        }
        assert!(!stderr.contains("internal error"), "{what}: {stderr}");
        if code != 0 {
            assert!(
                stderr.lines().any(|l| l.starts_with("ns-tool: ")),
                "{what}: failure without a message: {stderr:?}"
            );
        }
    }
}
