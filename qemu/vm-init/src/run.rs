//! Carrying out the plan's steps.

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

pub enum Status {
    Exit(i32),
    Signal(i32),
    Timeout,
    Error(String),
}

pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub status: Status,
}

/// How long to wait for the output pipes to close after the program ended
/// (a background grandchild could hold them open for ever).
const PIPE_GRACE: Duration = Duration::from_millis(500);

/// The clean environment every program gets.
fn command(argv: &[Vec<u8>]) -> Command {
    let mut cmd = Command::new(OsStr::from_bytes(&argv[0]));
    cmd.args(argv[1..].iter().map(|a| OsStr::from_bytes(a)))
        .env_clear()
        .env("PATH", "/bin:/sbin")
        .env("HOME", "/")
        .current_dir("/");
    cmd
}

/// Run `argv` as `uid`/`gid` (supplementary groups dropped) with the
/// signals of the mask `ignored` set to SIG_IGN, capturing its output;
/// SIGKILL it after `timeout`.
pub fn run(argv: &[Vec<u8>], uid: u32, gid: u32, ignored: u64, timeout: Duration) -> Outcome {
    let mut cmd = command(argv);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if ignored != 0 {
        // SAFETY: signal(2) is async-signal-safe; SIG_IGN survives exec.
        unsafe {
            cmd.pre_exec(move || {
                for sig in 1..=64 {
                    if ignored & 1 << (sig - 1) != 0 {
                        libc::signal(sig, libc::SIG_IGN);
                    }
                }
                Ok(())
            });
        }
    }
    if uid != 0 || gid != 0 {
        // std sets the gid first and, being root, clears the supplementary
        // groups before it sets the uid.
        cmd.uid(uid).gid(gid);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                stdout: Vec::new(),
                stderr: Vec::new(),
                status: Status::Error(format!(
                    "cannot start {}: {e}",
                    String::from_utf8_lossy(&argv[0])
                )),
            }
        }
    };
    let stdout = collect(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());

    let pid = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = match rx.recv_timeout(timeout) {
        Ok(Ok(s)) => match (s.code(), s.signal()) {
            (Some(code), _) => Status::Exit(code),
            (None, Some(sig)) => Status::Signal(sig),
            (None, None) => Status::Error(format!("unknown wait status {s:?}")),
        },
        Ok(Err(e)) => Status::Error(format!("wait: {e}")),
        Err(_) => {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let _ = rx.recv();
            Status::Timeout
        }
    };
    Outcome {
        stdout: stdout.finish(),
        stderr: stderr.finish(),
        status,
    }
}

/// A pipe read to its end by a thread of its own.
struct Collector {
    buf: Arc<Mutex<Vec<u8>>>,
    done: mpsc::Receiver<()>,
}

fn collect(mut pipe: impl Read + Send + 'static) -> Collector {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let (tx, done) = mpsc::channel();
    let b = buf.clone();
    thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut chunk) {
            b.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
        let _ = tx.send(());
    });
    Collector { buf, done }
}

impl Collector {
    /// Everything read so far, once the pipe closed or the grace ran out.
    fn finish(self) -> Vec<u8> {
        let _ = self.done.recv_timeout(PIPE_GRACE);
        let out = std::mem::take(&mut *self.buf.lock().unwrap());
        out
    }
}

/// The target of the symbolic link at `path`.
pub fn readlink(path: &[u8]) -> Result<Vec<u8>, String> {
    std::fs::read_link(OsStr::from_bytes(path))
        .map(|t| t.as_os_str().as_bytes().to_vec())
        .map_err(|e| format!("readlink {}: {e}", String::from_utf8_lossy(path)))
}

/// Replace this process (PID 1) with `argv`, on the same console. Returns
/// only if that failed.
pub fn exec(argv: &[Vec<u8>]) -> String {
    // std resets SIGPIPE (which it ignores in this process) for the new
    // program, as it does for spawned children.
    let e = command(argv).exec();
    format!("exec {}: {e}", String::from_utf8_lossy(&argv[0]))
}
