//! `/init` of the ns-tool VM tests.
//!
//! The kernel starts this program as PID 1 from the initramfs. It
//!
//! 1. mounts /proc, /dev (devtmpfs) and /tmp (tmpfs);
//! 2. reads the plan the host put at `/vm-plan` (format: `wire.rs`);
//! 3. carries out its steps one by one, reporting each one's stdout, stderr
//!    and exit status as framed lines on the console (its stdout);
//! 4. powers the machine off with reboot(2).
//!
//! It never leaves the VM running: a panic powers off (panic hook), and so
//! does the plan's deadline (a watchdog thread), even while a step hangs.
//! A step that runs past its own timeout is killed and reported as such.
//!
//! Run by hand on a host (not as PID 1), `vm-init PLAN-FILE` carries out
//! the plan the same way, mounts nothing and exits instead of powering off:
//! handy to look at the frames without booting anything.

#[path = "../../harness/src/wire.rs"]
#[allow(dead_code)]
mod wire;

#[path = "../../harness/src/seccomp.rs"]
mod seccomp;

mod run;
mod sys;

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use wire::{Frame, Plan, Step};

/// Frames go out through this, one whole line per write, numbered in order.
struct Console {
    seq: u64,
}

static CONSOLE: Mutex<Console> = Mutex::new(Console { seq: 0 });

fn console() -> MutexGuard<'static, Console> {
    CONSOLE.lock().unwrap_or_else(|p| p.into_inner())
}

impl Console {
    fn send(&mut self, frame: &Frame) {
        sys::write_stdout(wire::frame_line(self.seq, frame).as_bytes());
        self.seq += 1;
    }
}

fn send(frame: Frame) {
    console().send(&frame);
}

/// Whether we are the machine's init (else: a manual run on some host).
fn is_init() -> bool {
    std::process::id() == 1
}

/// The end of every run.
fn finish() -> ! {
    sys::drain_stdout();
    if is_init() {
        sys::power_off();
    }
    std::process::exit(0)
}

/// `/init --enosys NR -- PROGRAM [ARGS...]`, run by a step: PROGRAM with
/// system call NR answered by ENOSYS (a seccomp filter), as a kernel
/// without it, or a container runtime's seccomp profile, would answer.
fn enosys(args: &[String]) -> ! {
    let (Some(nr), Some("--"), Some(program)) = (
        args.get(2).and_then(|n| n.parse().ok()),
        args.get(3).map(String::as_str),
        args.get(4),
    ) else {
        eprintln!("usage: /init --enosys NR -- PROGRAM [ARGS...]");
        std::process::exit(2)
    };
    if let Err(e) = seccomp::refuse_with_enosys(nr) {
        eprintln!("/init --enosys: seccomp: {e}");
        std::process::exit(1)
    }
    use std::os::unix::process::CommandExt;
    let e = std::process::Command::new(program).args(&args[5..]).exec();
    eprintln!("/init --enosys: {program}: {e}");
    std::process::exit(127)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !is_init() && args.get(1).map(String::as_str) == Some("--enosys") {
        enosys(&args);
    }
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        // The panic may have struck while the console lock was held.
        match CONSOLE.try_lock() {
            Ok(mut c) => c.send(&Frame::Panic { message }),
            Err(_) => sys::write_stdout(format!("\nvm-init: panic: {message}\n").as_bytes()),
        }
        finish();
    }));

    send(Frame::Hello {
        version: 1,
        uptime_ms: sys::uptime_ms(),
    });

    let plan_path = if is_init() {
        sys::mount_basics();
        wire::PLAN_PATH.to_string()
    } else {
        std::env::args()
            .nth(1)
            .expect("usage: vm-init PLAN-FILE (when not PID 1)")
    };
    let text = std::fs::read_to_string(&plan_path)
        .unwrap_or_else(|e| panic!("cannot read the plan {plan_path}: {e}"));
    let plan = Plan::decode(&text).unwrap_or_else(|e| panic!("{e}"));

    if plan.deadline_ms > 0 {
        let deadline = Duration::from_millis(plan.deadline_ms);
        std::thread::spawn(move || {
            std::thread::sleep(deadline);
            send(Frame::Watchdog {
                uptime_ms: sys::uptime_ms(),
            });
            finish();
        });
    }

    for (index, step) in plan.steps.iter().enumerate() {
        send(Frame::Start { step: index });
        match step {
            Step::Run {
                uid,
                gid,
                timeout_ms,
                ignored,
                argv,
            } => {
                let timeout = Duration::from_millis(*timeout_ms);
                let out = run::run(argv, *uid, *gid, *ignored, timeout);
                report(index, &out);
            }
            Step::Readlink { path } => match run::readlink(path) {
                Ok(target) => report(
                    index,
                    &run::Outcome {
                        stdout: target,
                        stderr: Vec::new(),
                        status: run::Status::Exit(0),
                    },
                ),
                Err(e) => send(Frame::Error {
                    step: index,
                    message: e,
                }),
            },
            Step::Exec { argv } => {
                send(Frame::Exec { step: index });
                sys::drain_stdout();
                // Only returns on failure.
                let e = run::exec(argv);
                send(Frame::Error {
                    step: index,
                    message: e,
                });
            }
        }
    }
    send(Frame::Bye {
        uptime_ms: sys::uptime_ms(),
    });
    finish();
}

/// Send one finished step: its output in chunks, then its status.
fn report(step: usize, out: &run::Outcome) {
    let mut c = console();
    for chunk in out.stdout.chunks(wire::CHUNK) {
        c.send(&Frame::Stdout {
            step,
            data: chunk.to_vec(),
        });
    }
    for chunk in out.stderr.chunks(wire::CHUNK) {
        c.send(&Frame::Stderr {
            step,
            data: chunk.to_vec(),
        });
    }
    c.send(&match &out.status {
        run::Status::Exit(code) => Frame::Exit { step, code: *code },
        run::Status::Signal(signal) => Frame::Signal {
            step,
            signal: *signal,
        },
        run::Status::Timeout => Frame::Timeout { step },
        run::Status::Error(message) => Frame::Error {
            step,
            message: message.clone(),
        },
    });
}
