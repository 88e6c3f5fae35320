//! Reading a guest's console back into per-step results.
//!
//! The console interleaves three things: the kernel's own messages, the
//! frames of `/init` (see `wire.rs`) and, after an `EXEC` frame, the raw
//! output of the program that replaced `/init`. This module sorts them out
//! and checks that nothing went missing: frames must come numbered without
//! gaps, steps in plan order, each with exactly one final status.

use crate::wire::{self, Frame};

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Exit(i32),
    Signal(i32),
    /// Killed by /init after the step's timeout.
    Timeout,
    /// /init could not carry the step out (e.g. no such program).
    Error(String),
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Status::Exit(c) => write!(f, "exit status {c}"),
            Status::Signal(s) => write!(f, "killed by signal {s}"),
            Status::Timeout => write!(f, "timed out (killed by /init)"),
            Status::Error(e) => write!(f, "not run: {e}"),
        }
    }
}

/// What one step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepResult {
    /// /init began the step (`START`).
    pub started: bool,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// `None`: the guest never reported an end for this step.
    pub status: Option<Status>,
}

/// How the guest's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// /init finished the plan (`BYE`).
    Done,
    /// The program exec'd as PID 1 exited: the kernel's "Attempted to kill
    /// init!" panic, with the raw wait status it printed.
    InitExited { wait_status: u32 },
    /// /init panicked.
    InitPanicked(String),
    /// The plan's deadline passed in the guest.
    Watchdog,
    /// The kernel panicked for another reason (the panic line).
    KernelPanic(String),
    /// The console just stops (QEMU killed, guest hung...).
    Incomplete,
}

/// Everything read from one console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    pub steps: Vec<StepResult>,
    pub end: End,
    /// Guest time (since kernel start) when /init started, and when it gave
    /// its verdict (`BYE`, or the exec'd init's exit).
    pub init_started_ms: Option<u64>,
    pub verdict_ms: Option<u64>,
    /// Offset in the console just past the verdict's line.
    pub verdict_offset: Option<usize>,
}

const INIT_EXIT: &str = "Attempted to kill init! exitcode=0x";
const KERNEL_PANIC: &str = "Kernel panic - not syncing:";

/// Whether a console line is a kernel message: `[    1.234567] ...`.
pub(crate) fn kernel_timestamp(line: &str) -> Option<u64> {
    let rest = line.strip_prefix('[')?;
    let (stamp, _) = rest.split_once("] ")?;
    let (secs, frac) = stamp.trim_start().split_once('.')?;
    let secs: u64 = secs.parse().ok()?;
    let micros: u64 = frac.parse().ok()?;
    (frac.len() == 6).then_some(secs * 1000 + micros / 1000)
}

/// Split `console` into a transcript of a plan with `n_steps` steps.
/// `Err` when the console contradicts the protocol (a garbled or missing
/// frame, steps out of order...): the message says what and where.
pub fn parse(console: &[u8], n_steps: usize) -> Result<Transcript, String> {
    let mut t = Transcript {
        steps: vec![StepResult::default(); n_steps],
        end: End::Incomplete,
        init_started_ms: None,
        verdict_ms: None,
        verdict_offset: None,
    };
    let mut next_seq = 0u64;
    let mut current: Option<usize> = None; // the step under way
    let mut exec_step: Option<usize> = None; // raw output goes here
    let mut offset = 0;

    for raw in console.split_inclusive(|&b| b == b'\n') {
        offset += raw.len();
        let line = String::from_utf8_lossy(raw);
        let line = line.trim_end_matches(['\n', '\r']);

        if let Some(frame) = wire::parse_line(line) {
            let (seq, frame) = frame?;
            if seq != next_seq {
                return Err(format!(
                    "frame {next_seq} is missing from the console (next came {seq})"
                ));
            }
            next_seq += 1;
            if let Some(s) = exec_step {
                return Err(format!("a frame after step {s} exec'd: {line:?}"));
            }
            let step_ok = |s: usize| -> Result<usize, String> {
                if current == Some(s) {
                    Ok(s)
                } else {
                    Err(format!(
                        "frame for step {s} while step {current:?} is under way: {line:?}"
                    ))
                }
            };
            match frame {
                Frame::Hello { uptime_ms, .. } => t.init_started_ms = Some(uptime_ms),
                Frame::Start { step } => {
                    let expected = current.map_or(0, |c| c + 1);
                    if step != expected || step >= n_steps {
                        return Err(format!(
                            "step {step} started, expected step {expected} of {n_steps}"
                        ));
                    }
                    if let Some(c) = current {
                        if t.steps[c].status.is_none() {
                            return Err(format!(
                                "step {c} has no status before step {step} started"
                            ));
                        }
                    }
                    current = Some(step);
                    t.steps[step].started = true;
                }
                Frame::Stdout { step, data } => t.steps[step_ok(step)?].stdout.extend(data),
                Frame::Stderr { step, data } => t.steps[step_ok(step)?].stderr.extend(data),
                Frame::Exit { step, code } => {
                    t.steps[step_ok(step)?].status = Some(Status::Exit(code))
                }
                Frame::Signal { step, signal } => {
                    t.steps[step_ok(step)?].status = Some(Status::Signal(signal))
                }
                Frame::Timeout { step } => t.steps[step_ok(step)?].status = Some(Status::Timeout),
                Frame::Error { step, message } => {
                    t.steps[step_ok(step)?].status = Some(Status::Error(message))
                }
                Frame::Exec { step } => exec_step = Some(step_ok(step)?),
                Frame::Panic { message } => {
                    t.end = End::InitPanicked(message);
                    return Ok(t);
                }
                Frame::Watchdog { .. } => {
                    t.end = End::Watchdog;
                    return Ok(t);
                }
                Frame::Bye { uptime_ms } => {
                    if current.map_or(0, |c| c + 1) != n_steps {
                        return Err(format!("BYE after {current:?} of {n_steps} steps"));
                    }
                    t.verdict_ms = Some(uptime_ms);
                    t.verdict_offset = Some(offset);
                    t.end = End::Done;
                    return Ok(t);
                }
            }
            continue;
        }

        // Not a frame: a kernel message, or the exec'd program's output.
        if let Some(at) = line.find(KERNEL_PANIC) {
            // The program's last line may lack its newline, so the panic
            // message can start in the middle of a line.
            let before = strip_partial_stamp(&line[..at]);
            if let Some(s) = exec_step {
                t.steps[s].stdout.extend_from_slice(before.as_bytes());
            }
            let stamp = line[before.len()..].trim_start();
            if let (Some(s), Some(i)) = (exec_step, line.find(INIT_EXIT)) {
                let hex = &line[i + INIT_EXIT.len()..];
                let hex: String = hex.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
                let wait_status = u32::from_str_radix(&hex, 16)
                    .map_err(|_| format!("cannot read the exit code in {line:?}"))?;
                t.steps[s].status = Some(wait_status_to_status(wait_status));
                t.verdict_ms = kernel_timestamp(stamp);
                t.verdict_offset = Some(offset);
                t.end = End::InitExited { wait_status };
            } else {
                t.end = End::KernelPanic(line[at..].to_string());
            }
            return Ok(t);
        }
        if let Some(s) = exec_step {
            if kernel_timestamp(line).is_none() {
                t.steps[s].stdout.extend_from_slice(line.as_bytes());
                if raw.ends_with(b"\n") {
                    t.steps[s].stdout.push(b'\n');
                }
            }
        }
    }
    Ok(t)
}

/// `text` without a trailing, partly printed `[    1.234567] `.
fn strip_partial_stamp(text: &str) -> &str {
    match text.rfind('[') {
        Some(i)
            if kernel_timestamp(&text[i..]).is_some() || text[i..].trim_end().ends_with(']') =>
        {
            &text[..i]
        }
        _ => text,
    }
}

/// The kernel prints the raw wait status (as from wait4) of the init that
/// exited.
fn wait_status_to_status(w: u32) -> Status {
    if w & 0x7f == 0 {
        Status::Exit(((w >> 8) & 0xff) as i32)
    } else {
        Status::Signal((w & 0x7f) as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::frame_line;

    /// A console as the guest would print it, \r\n and all.
    fn console(parts: &[Result<Frame, &str>]) -> Vec<u8> {
        let mut seq = 0;
        let mut s = String::new();
        for p in parts {
            match p {
                Ok(f) => {
                    s += &frame_line(seq, f);
                    seq += 1;
                }
                Err(text) => s += text,
            }
        }
        s.replace('\n', "\r\n").into_bytes()
    }

    fn out(step: usize, s: &str) -> Result<Frame, &'static str> {
        Ok(Frame::Stdout {
            step,
            data: s.as_bytes().to_vec(),
        })
    }

    #[test]
    fn a_plan_of_two_steps() {
        let c = console(&[
            Err("[    0.000000] Linux version 6.1\n"),
            Ok(Frame::Hello {
                version: 1,
                uptime_ms: 900,
            }),
            Ok(Frame::Start { step: 0 }),
            out(0, "Creating"),
            out(0, " new\n"),
            Err("[    1.000000] random: crng init done\n"),
            Ok(Frame::Exit { step: 0, code: 0 }),
            Ok(Frame::Start { step: 1 }),
            Ok(Frame::Stderr {
                step: 1,
                data: b"EPERM\n".to_vec(),
            }),
            Ok(Frame::Exit { step: 1, code: 1 }),
            Ok(Frame::Bye { uptime_ms: 1200 }),
            Err("[    1.300000] reboot: Power down\n"),
        ]);
        let t = parse(&c, 2).unwrap();
        assert_eq!(t.end, End::Done);
        assert_eq!(t.init_started_ms, Some(900));
        assert_eq!(t.verdict_ms, Some(1200));
        assert_eq!(t.steps[0].stdout, b"Creating new\n");
        assert_eq!(t.steps[0].status, Some(Status::Exit(0)));
        assert_eq!(t.steps[1].stderr, b"EPERM\n");
        assert_eq!(t.steps[1].status, Some(Status::Exit(1)));
        let v = t.verdict_offset.unwrap();
        assert!(
            std::str::from_utf8(&c[..v]).unwrap().ends_with("*\r\n") || c[..v].ends_with(b"\r\n")
        );
        assert!(std::str::from_utf8(&c[v..])
            .unwrap()
            .starts_with("[    1.300000] reboot"));
    }

    #[test]
    fn exec_output_and_the_init_exit_panic() {
        let c = console(&[
            Ok(Frame::Hello { version: 1, uptime_ms: 900 }),
            Ok(Frame::Start { step: 0 }),
            Ok(Frame::Exec { step: 0 }),
            Err("Creating new PID namespace...\nNSpid:\t81\t1\n"),
            Err("[    1.100000] some kernel warning\n"),
            Err("Parent: child 81 exited with status 0\n"),
            Err("[    1.811395] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\n"),
            Err("[    1.812942] CPU: 0 PID: 1 Comm: ns-tool Not tainted\n"),
        ]);
        let t = parse(&c, 1).unwrap();
        assert_eq!(t.end, End::InitExited { wait_status: 0x100 });
        assert_eq!(t.verdict_ms, Some(1811));
        assert_eq!(t.steps[0].status, Some(Status::Exit(1)));
        assert_eq!(
            String::from_utf8_lossy(&t.steps[0].stdout),
            "Creating new PID namespace...\nNSpid:\t81\t1\nParent: child 81 exited with status 0\n"
        );
    }

    #[test]
    fn exec_output_without_final_newline() {
        let c = console(&[
            Ok(Frame::Hello { version: 1, uptime_ms: 1 }),
            Ok(Frame::Start { step: 0 }),
            Ok(Frame::Exec { step: 0 }),
            Err("last words[    2.000000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009\n"),
        ]);
        let t = parse(&c, 1).unwrap();
        assert_eq!(t.steps[0].stdout, b"last words");
        assert_eq!(t.steps[0].status, Some(Status::Signal(9)));
    }

    #[test]
    fn how_runs_end_badly() {
        let hello = || {
            Ok(Frame::Hello {
                version: 1,
                uptime_ms: 1,
            })
        };
        let t = parse(&console(&[hello(), Ok(Frame::Start { step: 0 })]), 1).unwrap();
        assert_eq!(t.end, End::Incomplete);
        assert_eq!(t.steps[0].status, None);
        assert!(t.steps[0].started);

        let t = parse(
            &console(&[
                hello(),
                Ok(Frame::Panic {
                    message: "boom".into(),
                }),
            ]),
            1,
        )
        .unwrap();
        assert_eq!(t.end, End::InitPanicked("boom".into()));

        let t = parse(
            &console(&[hello(), Ok(Frame::Watchdog { uptime_ms: 5 })]),
            1,
        )
        .unwrap();
        assert_eq!(t.end, End::Watchdog);

        let t = parse(
            &console(&[Err(
                "[    0.5] Kernel panic - not syncing: VFS: Unable to mount root fs\n",
            )]),
            1,
        )
        .unwrap();
        assert_eq!(
            t.end,
            End::KernelPanic("Kernel panic - not syncing: VFS: Unable to mount root fs".into())
        );
    }

    #[test]
    fn protocol_violations_are_errors() {
        let hello = || {
            Ok(Frame::Hello {
                version: 1,
                uptime_ms: 1,
            })
        };
        // A lost frame: seq 1 never arrives.
        let mut c = console(&[hello()]);
        c.extend(frame_line(2, &Frame::Start { step: 0 }).as_bytes());
        assert!(parse(&c, 1).unwrap_err().contains("frame 1 is missing"));
        // Steps out of order.
        let c = console(&[hello(), Ok(Frame::Start { step: 1 })]);
        assert!(parse(&c, 2).is_err());
        // Output for a step that is not under way.
        let c = console(&[hello(), Ok(Frame::Start { step: 0 }), out(1, "x")]);
        assert!(parse(&c, 2).is_err());
        // BYE before all steps ran.
        let c = console(&[hello(), Ok(Frame::Bye { uptime_ms: 2 })]);
        assert!(parse(&c, 1).unwrap_err().contains("BYE"));
        // A frame broken by a kernel message.
        let line = frame_line(1, &Frame::Start { step: 0 });
        let mut c = console(&[hello()]);
        c.extend(format!("{}[ 1.0] x\n{}", &line[..12], &line[12..]).as_bytes());
        assert!(parse(&c, 1).unwrap_err().contains("checksum"));
    }

    #[test]
    fn kernel_timestamps() {
        assert_eq!(kernel_timestamp("[    1.811395] Kernel panic"), Some(1811));
        assert_eq!(kernel_timestamp("[12345.000001] x"), Some(12_345_000));
        assert_eq!(kernel_timestamp("[1] x"), None);
        assert_eq!(kernel_timestamp("PID namespace: pid:[4026531836]"), None);
    }
}
