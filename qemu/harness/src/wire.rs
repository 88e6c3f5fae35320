//! The two messages that cross between the host and the guest.
//!
//! This file is compiled into both sides: into the harness (as
//! `ns_tool_vm::wire`) and into the guest's `/init` (qemu/vm-init includes it
//! with `#[path]`), so the writer and the reader cannot drift apart. It uses
//! std only.
//!
//! # The plan (host → guest)
//!
//! A text file, `/vm-plan` in the initramfs, one item per line; every
//! argument is hex-encoded (`-` for the empty string) so that any byte
//! string survives:
//!
//! ```text
//! ns-vm-plan 2
//! deadline_ms 30000
//! run 0 0 10000 0 2f62696e2f6e732d746f6f6c 706964
//! readlink 2f70726f632f312f6e732f706964
//! exec 2f62696e2f6e732d746f6f6c 706964
//! ```
//!
//! * `deadline_ms`: the guest powers itself off this long after /init
//!   started, whatever is still running (the guest's own watchdog; the host
//!   has a wall-clock timeout of its own on top).
//! * `run UID GID TIMEOUT_MS IGNORED ARGV...`: fork, switch to UID/GID, set
//!   the signals in the mask IGNORED (decimal, bit N-1 for signal N) to
//!   SIG_IGN, exec ARGV with stdout and stderr captured through pipes; kill
//!   it after TIMEOUT_MS. (A busybox shell cannot ignore SIGCHLD itself.)
//! * `readlink PATH`: a built-in (the initramfs has no shell): the link's
//!   target is reported as the step's stdout, exit status 0.
//! * `exec ARGV...`: /init replaces itself with ARGV (keeping PID 1). Its
//!   output then goes to the console unframed, and when it exits the kernel
//!   panics with "Attempted to kill init! exitcode=0x...": the host reads
//!   the exit status from that line. Must be the last step.
//!
//! # Frames (guest → host)
//!
//! The guest reports over the serial console, which it shares with the
//! kernel's own messages. Every report is one line of its own:
//!
//! ```text
//! @@ns-vm <seq> <kind> <fields...> *<crc32>
//! ```
//!
//! `seq` counts frames from 0 without gaps, so a lost line is noticed;
//! `crc32` (8 hex digits) covers the text between the marker and ` *`, so a
//! line that a kernel message broke in two is noticed instead of misread.
//! Byte payloads are hex. The kinds are those of [`Frame`].

use std::fmt::Write as _;

/// What starts every frame line.
pub const MARKER: &str = "@@ns-vm ";

/// The first line of a plan file.
pub const PLAN_MAGIC: &str = "ns-vm-plan 2";

/// Where the harness puts the plan in the initramfs, and vm-init reads it.
pub const PLAN_PATH: &str = "/vm-plan";

/// Payload bytes per OUT/ERR frame, so that lines stay short.
pub const CHUNK: usize = 192;

/// One thing for the guest to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Run a program as `uid`/`gid` with the signals of the mask `ignored`
    /// set to SIG_IGN, capture its output, kill it after `timeout_ms`.
    Run {
        uid: u32,
        gid: u32,
        timeout_ms: u64,
        ignored: u64,
        argv: Vec<Vec<u8>>,
    },
    /// Report the target of a symbolic link (e.g. `/proc/1/ns/pid`).
    Readlink { path: Vec<u8> },
    /// Replace /init with this program, which thereby becomes PID 1.
    Exec { argv: Vec<Vec<u8>> },
}

/// Everything the guest is asked to do in one boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The guest powers off this long after /init started.
    pub deadline_ms: u64,
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn encode(&self) -> String {
        let mut s = format!("{PLAN_MAGIC}\ndeadline_ms {}\n", self.deadline_ms);
        for step in &self.steps {
            match step {
                Step::Run {
                    uid,
                    gid,
                    timeout_ms,
                    ignored,
                    argv,
                } => {
                    let _ = write!(s, "run {uid} {gid} {timeout_ms} {ignored}");
                    for a in argv {
                        s.push(' ');
                        s.push_str(&plan_arg(a));
                    }
                }
                Step::Readlink { path } => {
                    s.push_str("readlink ");
                    s.push_str(&plan_arg(path));
                }
                Step::Exec { argv } => {
                    s.push_str("exec");
                    for a in argv {
                        s.push(' ');
                        s.push_str(&plan_arg(a));
                    }
                }
            }
            s.push('\n');
        }
        s
    }

    pub fn decode(text: &str) -> Result<Plan, String> {
        let mut lines = text.lines();
        if lines.next() != Some(PLAN_MAGIC) {
            return Err(format!("plan does not start with '{PLAN_MAGIC}'"));
        }
        let mut plan = Plan {
            deadline_ms: 0,
            steps: Vec::new(),
        };
        for (n, line) in lines.enumerate() {
            let bad = |what: &str| format!("plan line {}: {what}: {line:?}", n + 2);
            let mut f = line.split_ascii_whitespace();
            let Some(kind) = f.next() else { continue };
            let num = |x: Option<&str>| -> Result<u64, String> {
                x.ok_or_else(|| bad("missing field"))?
                    .parse()
                    .map_err(|_| bad("bad number"))
            };
            let bytes = |x: &str| {
                if x == "-" {
                    Ok(Vec::new())
                } else {
                    unhex(x).ok_or_else(|| bad("bad hex"))
                }
            };
            match kind {
                "deadline_ms" => plan.deadline_ms = num(f.next())?,
                "run" => {
                    let uid = u32::try_from(num(f.next())?).map_err(|_| bad("bad uid"))?;
                    let gid = u32::try_from(num(f.next())?).map_err(|_| bad("bad gid"))?;
                    let timeout_ms = num(f.next())?;
                    let ignored = num(f.next())?;
                    let argv = f.map(bytes).collect::<Result<Vec<_>, _>>()?;
                    if argv.is_empty() {
                        return Err(bad("empty argv"));
                    }
                    plan.steps.push(Step::Run {
                        uid,
                        gid,
                        timeout_ms,
                        ignored,
                        argv,
                    });
                }
                "readlink" => {
                    let path = bytes(f.next().ok_or_else(|| bad("missing path"))?)?;
                    plan.steps.push(Step::Readlink { path });
                }
                "exec" => {
                    let argv = f.map(bytes).collect::<Result<Vec<_>, _>>()?;
                    if argv.is_empty() {
                        return Err(bad("empty argv"));
                    }
                    plan.steps.push(Step::Exec { argv });
                }
                _ => return Err(bad("unknown item")),
            }
        }
        Ok(plan)
    }
}

/// A plan argument: hex, or `-` for the empty string (which would vanish
/// between two spaces).
fn plan_arg(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "-".into()
    } else {
        hex(bytes)
    }
}

/// One report from the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// /init is running; `uptime_ms` is the guest's CLOCK_BOOTTIME, i.e. time
    /// since the kernel started.
    Hello { version: u32, uptime_ms: u64 },
    /// Step `step` (0-based index into the plan) begins.
    Start { step: usize },
    /// A piece of the step's standard output.
    Stdout { step: usize, data: Vec<u8> },
    /// A piece of the step's standard error.
    Stderr { step: usize, data: Vec<u8> },
    /// The step's program exited with this code.
    Exit { step: usize, code: i32 },
    /// The step's program was killed by this signal.
    Signal { step: usize, signal: i32 },
    /// The step ran past its timeout and was killed with SIGKILL.
    Timeout { step: usize },
    /// The step could not be carried out (e.g. exec failed).
    Error { step: usize, message: String },
    /// /init is about to exec the step's program: from here on the console
    /// carries that program's raw output.
    Exec { step: usize },
    /// /init panicked; it powers off next.
    Panic { message: String },
    /// The plan's deadline passed; /init powers off next.
    Watchdog { uptime_ms: u64 },
    /// All steps done; /init powers off next. `uptime_ms` as in `Hello`.
    Bye { uptime_ms: u64 },
}

impl Frame {
    /// The frame's text without marker, sequence number and checksum.
    pub fn body(&self) -> String {
        match self {
            Frame::Hello { version, uptime_ms } => format!("HELLO {version} {uptime_ms}"),
            Frame::Start { step } => format!("START {step}"),
            Frame::Stdout { step, data } => format!("OUT {step} {}", hex(data)),
            Frame::Stderr { step, data } => format!("ERR {step} {}", hex(data)),
            Frame::Exit { step, code } => format!("EXIT {step} {code}"),
            Frame::Signal { step, signal } => format!("SIGNAL {step} {signal}"),
            Frame::Timeout { step } => format!("TIMEOUT {step}"),
            Frame::Error { step, message } => format!("ERROR {step} {}", hex(message.as_bytes())),
            Frame::Exec { step } => format!("EXEC {step}"),
            Frame::Panic { message } => format!("PANIC {}", hex(message.as_bytes())),
            Frame::Watchdog { uptime_ms } => format!("WATCHDOG {uptime_ms}"),
            Frame::Bye { uptime_ms } => format!("BYE {uptime_ms}"),
        }
    }

    pub fn parse_body(body: &str) -> Result<Frame, String> {
        let bad = || format!("malformed frame body {body:?}");
        let f: Vec<&str> = body.split(' ').collect();
        let n = |i: usize| -> Result<u64, String> {
            f.get(i).ok_or_else(bad)?.parse().map_err(|_| bad())
        };
        let step = || -> Result<usize, String> { Ok(n(1)? as usize) };
        let data = |i: usize| -> Result<Vec<u8>, String> {
            unhex(f.get(i).copied().unwrap_or("")).ok_or_else(bad)
        };
        let text = |i: usize| -> Result<String, String> {
            Ok(String::from_utf8_lossy(&data(i)?).into_owned())
        };
        let arity = |k: usize| if f.len() == k { Ok(()) } else { Err(bad()) };
        let frame = match f[0] {
            "HELLO" => {
                arity(3)?;
                Frame::Hello {
                    version: n(1)? as u32,
                    uptime_ms: n(2)?,
                }
            }
            "START" => {
                arity(2)?;
                Frame::Start { step: step()? }
            }
            "OUT" => {
                arity(3)?;
                Frame::Stdout {
                    step: step()?,
                    data: data(2)?,
                }
            }
            "ERR" => {
                arity(3)?;
                Frame::Stderr {
                    step: step()?,
                    data: data(2)?,
                }
            }
            "EXIT" => {
                arity(3)?;
                let code = f[2].parse().map_err(|_| bad())?;
                Frame::Exit {
                    step: step()?,
                    code,
                }
            }
            "SIGNAL" => {
                arity(3)?;
                let signal = f[2].parse().map_err(|_| bad())?;
                Frame::Signal {
                    step: step()?,
                    signal,
                }
            }
            "TIMEOUT" => {
                arity(2)?;
                Frame::Timeout { step: step()? }
            }
            "ERROR" => {
                arity(3)?;
                Frame::Error {
                    step: step()?,
                    message: text(2)?,
                }
            }
            "EXEC" => {
                arity(2)?;
                Frame::Exec { step: step()? }
            }
            "PANIC" => {
                arity(2)?;
                Frame::Panic { message: text(1)? }
            }
            "WATCHDOG" => {
                arity(2)?;
                Frame::Watchdog { uptime_ms: n(1)? }
            }
            "BYE" => {
                arity(2)?;
                Frame::Bye { uptime_ms: n(1)? }
            }
            _ => return Err(bad()),
        };
        Ok(frame)
    }
}

/// The console line (with its newline) that carries `frame` as number `seq`.
pub fn frame_line(seq: u64, frame: &Frame) -> String {
    let inner = format!("{seq} {}", frame.body());
    format!("{MARKER}{inner} *{:08x}\n", crc32(inner.as_bytes()))
}

/// Read one console line. `None`: no frame on this line (kernel message,
/// program output). `Some(Err)`: a frame marker with a broken frame after it.
pub fn parse_line(line: &str) -> Option<Result<(u64, Frame), String>> {
    let at = line.find(MARKER)?;
    let rest = line[at + MARKER.len()..].trim_end_matches(['\r', '\n']);
    Some(parse_framed(rest).map_err(|e| format!("{e} in console line {line:?}")))
}

fn parse_framed(rest: &str) -> Result<(u64, Frame), String> {
    let (inner, sum) = rest.rsplit_once(" *").ok_or("no checksum")?;
    let sum = u32::from_str_radix(sum, 16).map_err(|_| "bad checksum field")?;
    if sum != crc32(inner.as_bytes()) {
        return Err("checksum mismatch (line garbled)".into());
    }
    let (seq, body) = inner.split_once(' ').ok_or("no sequence number")?;
    let seq = seq.parse().map_err(|_| "bad sequence number")?;
    Ok((seq, Frame::parse_body(body)?))
}

/// Lower-case hex; the empty string for no bytes.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// CRC-32 (IEEE 802.3, as in zlib), bit by bit: frames are short.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_zlib() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn hex_round_trip() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(unhex(&hex(&all)).unwrap(), all);
        assert_eq!(hex(b"\t\n"), "090a");
        assert_eq!(unhex(""), Some(vec![]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }

    #[test]
    fn plan_round_trip() {
        let plan = Plan {
            deadline_ms: 30_000,
            steps: vec![
                Step::Run {
                    uid: 65534,
                    gid: 65534,
                    timeout_ms: 5000,
                    ignored: 1 << 16,
                    argv: vec![b"/bin/ns-tool".to_vec(), b"pid".to_vec(), b"a b\n".to_vec()],
                },
                Step::Readlink {
                    path: b"/proc/1/ns/pid".to_vec(),
                },
                Step::Exec {
                    argv: vec![b"/bin/ns-tool".to_vec(), b"".to_vec()],
                },
            ],
        };
        let text = plan.encode();
        assert!(text.starts_with("ns-vm-plan 2\ndeadline_ms 30000\nrun 65534 65534 5000 65536 "));
        assert_eq!(Plan::decode(&text).unwrap(), plan);
    }

    #[test]
    fn plan_errors_name_the_line() {
        let err = Plan::decode("ns-vm-plan 2\nrun 0 0 x 0 41\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(Plan::decode("something else\n").is_err());
        assert!(Plan::decode("ns-vm-plan 2\nexec\n").is_err());
        assert!(Plan::decode("ns-vm-plan 2\nfly 1\n").is_err());
    }

    #[test]
    fn frames_round_trip() {
        let frames = [
            Frame::Hello {
                version: 1,
                uptime_ms: 812,
            },
            Frame::Start { step: 0 },
            Frame::Stdout {
                step: 0,
                data: b"NSpid:\t7\t1\n".to_vec(),
            },
            Frame::Stdout {
                step: 0,
                data: vec![],
            },
            Frame::Stderr {
                step: 3,
                data: vec![0, 255],
            },
            Frame::Exit { step: 0, code: -1 },
            Frame::Signal { step: 1, signal: 9 },
            Frame::Timeout { step: 2 },
            Frame::Error {
                step: 2,
                message: "exec: No such file".into(),
            },
            Frame::Exec { step: 4 },
            Frame::Panic {
                message: "oops at x.rs:1".into(),
            },
            Frame::Watchdog { uptime_ms: 9 },
            Frame::Bye { uptime_ms: 1500 },
        ];
        for (seq, frame) in frames.iter().enumerate() {
            let line = frame_line(seq as u64, frame);
            assert!(line.starts_with(MARKER) && line.ends_with('\n'), "{line}");
            let (s, back) = parse_line(&line).unwrap().unwrap();
            assert_eq!((s, &back), (seq as u64, frame));
        }
    }

    #[test]
    fn frame_lines_survive_console_noise() {
        let line = frame_line(5, &Frame::Exit { step: 1, code: 1 });
        // The tty turns \n into \r\n; a kernel message may have left a
        // partial line in front.
        let noisy = format!(
            "[    1.234] random: crng init{}",
            line.replace('\n', "\r\n")
        );
        assert_eq!(
            parse_line(&noisy).unwrap().unwrap(),
            (5, Frame::Exit { step: 1, code: 1 })
        );
        assert_eq!(parse_line("Parent PID inside namespace: 0"), None);
    }

    #[test]
    fn garbled_frames_are_errors() {
        let line = frame_line(
            2,
            &Frame::Stdout {
                step: 0,
                data: b"PID inside namespace: 1\n".to_vec(),
            },
        );
        // A kernel message in the middle of the line.
        let (a, b) = line.split_at(30);
        let broken = format!("{a}[    2.5] x{b}");
        let err = parse_line(&broken).unwrap().unwrap_err();
        assert!(err.contains("checksum mismatch"), "{err}");
        // Cut short.
        assert!(parse_line(a).unwrap().is_err());
        // Checksum right, body wrong.
        let inner = "3 EXIT 0";
        let bad = format!("{MARKER}{inner} *{:08x}", crc32(inner.as_bytes()));
        assert!(parse_line(&bad).unwrap().is_err());
    }
}
