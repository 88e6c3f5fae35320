//! A pseudo-terminal harness: runs a program on a real pty, as if a person
//! sat at an xterm, so that keys, signals, job control and full-screen
//! programs are tested as a person meets them. Keys go in with `send`; the
//! screen (through the `vt100` emulator), the terminal's modes and the
//! processes' states (from /proc) come out.
//!
//! ```ignore
//! let mut pty = Pty::shell(); // bash at its first prompt
//! pty.send(b"sleep 30\r");
//! let pid = pty.wait_foreground(|argv| argv[0] == b"sleep", T)?; // keys now reach sleep
//! pty.send(b"\x1a"); // Ctrl-Z
//! pty.wait_for("Stopped", T)?; // Err: what was awaited, and the screen
//! assert_eq!(proc_state(pid), Some('T'));
//! ```
//!
//! Every wait has a deadline and fails with the screen in its message;
//! dropping a `Pty` SIGKILLs every process of the child's session.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use linux_raw_sys::general::{
    __kernel_timespec, pollfd, termios, winsize, ECHO, ICANON, ISIG, O_NOCTTY, POLLIN, SIGKILL,
};
use linux_raw_sys::ioctl::{TCGETS, TIOCGPGRP, TIOCGPTN, TIOCSCTTY, TIOCSPTLCK, TIOCSWINSZ};
use syscalls::{syscall0, syscall2, syscall3, syscall5, Errno, Sysno};

/// The prompt of `Pty::shell`: distinctive, so that command output is not
/// taken for it.
pub const PROMPT: &str = "pty$ ";

/// A child process on its own pseudo-terminal, and what it has shown.
pub struct Pty {
    master: File,
    child: Child,
    parser: vt100::Parser,
    /// Every byte the child wrote to the terminal.
    raw: Vec<u8>,
    /// Where in `raw` the next `wait_for` starts looking.
    mark: usize,
    /// The master read EIO: no process has the slave open any more.
    closed: bool,
    /// When the child last wrote anything.
    last_output: Instant,
}

fn ioctl(fd: &impl AsRawFd, req: u32, arg: usize) -> Result<usize, Errno> {
    // SAFETY: callers pass a request together with a pointer to the type it
    // reads or writes.
    unsafe { syscall3(Sysno::ioctl, fd.as_raw_fd() as usize, req as usize, arg) }
}

fn set_winsize(fd: &File, rows: u16, cols: u16) {
    let ws = winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    ioctl(fd, TIOCSWINSZ, &ws as *const winsize as usize).expect("TIOCSWINSZ");
}

fn open_tty(path: &str) -> File {
    // O_NOCTTY: the test process must not take the terminal as its own.
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(O_NOCTTY as i32)
        .open(path)
        .unwrap_or_else(|e| panic!("open {path}: {e}"))
}

impl Pty {
    /// Run `cmd` as the leader of a new session whose controlling terminal
    /// is a fresh pty of `rows` x `cols`, on its stdin, stdout and stderr.
    pub fn spawn(cmd: &mut Command, rows: u16, cols: u16) -> Pty {
        let master = open_tty("/dev/ptmx"); // std adds O_CLOEXEC
        let unlock = 0i32;
        ioctl(&master, TIOCSPTLCK, &unlock as *const i32 as usize).expect("TIOCSPTLCK");
        let mut n = 0u32;
        ioctl(&master, TIOCGPTN, &mut n as *mut u32 as usize).expect("TIOCGPTN");
        let slave = open_tty(&format!("/dev/pts/{n}"));
        set_winsize(&master, rows, cols);
        cmd.stdin(slave.try_clone().unwrap())
            .stdout(slave.try_clone().unwrap())
            .stderr(slave);
        // SAFETY: only raw system calls between fork and exec. Stdin is the
        // slave by now: as a new session's leader, take it as the ctty.
        unsafe {
            cmd.pre_exec(|| {
                let err = |e: Errno| io::Error::from_raw_os_error(e.into_raw());
                syscall0(Sysno::setsid).map_err(err)?;
                syscall3(Sysno::ioctl, 0, TIOCSCTTY as usize, 0).map_err(err)?;
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
        // Drop the Command's copies of the slave: once the child's side is
        // all closed, the master reads EIO.
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let size = |n: u16| std::num::NonZeroU16::new(n).expect("a terminal size of 0");
        Pty {
            master,
            child,
            parser: vt100::Parser::new(size(rows), size(cols), 0),
            raw: Vec::new(),
            mark: 0,
            closed: false,
            last_output: Instant::now(),
        }
    }

    /// An interactive bash (job control on, no rc files, readline without
    /// bracketed paste) in a clean environment on a 24x80 xterm, at its
    /// first prompt, `PROMPT`.
    pub fn shell() -> Pty {
        let mut cmd = Command::new("bash");
        cmd.args(["--norc", "--noprofile", "-i"])
            .env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .env("HOME", std::env::var_os("HOME").unwrap_or("/".into()))
            .env("TERM", "xterm")
            .env("PS1", PROMPT)
            // No ~/.inputrc or /etc/inputrc, no history files written.
            .env("INPUTRC", "/dev/null")
            .env("HISTFILE", "/dev/null")
            .env("LESSHISTFILE", "-");
        let mut pty = Pty::spawn(&mut cmd, 24, 80);
        let t = Duration::from_secs(10);
        pty.wait_for(PROMPT, t).expect("bash's first prompt");
        // A nested shell should not inherit the prompt and be taken for this one.
        pty.run("bind 'set enable-bracketed-paste off'; export -n PS1", t);
        pty
    }

    /// Type `bytes` (e.g. b"ls\r", b"\x03" for Ctrl-C, b"\x1a" for Ctrl-Z).
    /// Keys, not files: the kernel holds about 4 KB of unread input, and a
    /// write beyond that blocks until the child reads.
    pub fn send(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("write to the pty");
    }

    /// Wait up to `until` for output; read one chunk of it into `raw` and
    /// the screen.
    fn pump(&mut self, until: Instant) {
        let left = until.saturating_duration_since(Instant::now());
        let ts = __kernel_timespec {
            tv_sec: left.as_secs() as i64,
            tv_nsec: left.subsec_nanos() as i64,
        };
        let mut fds = pollfd {
            fd: self.master.as_raw_fd(),
            events: POLLIN as i16,
            revents: 0,
        };
        let fds_ptr = &mut fds as *mut pollfd as usize;
        // SAFETY: one live pollfd and a timespec; no signal mask.
        match unsafe { syscall5(Sysno::ppoll, fds_ptr, 1, &ts as *const _ as usize, 0, 8) } {
            Ok(0) | Err(Errno::EINTR) => return,
            Ok(_) => {}
            Err(e) => panic!("ppoll on the pty: {e}"),
        }
        let mut buf = [0u8; 4096];
        match self.master.read(&mut buf) {
            Ok(0) => self.closed = true,
            Ok(n) => {
                self.raw.extend_from_slice(&buf[..n]);
                self.parser.process(&buf[..n]);
                self.last_output = Instant::now();
            }
            Err(e) if e.raw_os_error() == Some(Errno::EIO.into_raw()) => self.closed = true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("read from the pty: {e}"),
        }
    }

    /// Read output until `done` holds, or fail after `timeout` (or at once
    /// if the terminal closed and `needs_output`) with `what` and the screen
    /// in the message.
    fn wait_until(
        &mut self,
        what: &str,
        timeout: Duration,
        needs_output: bool,
        mut done: impl FnMut(&mut Self) -> bool,
    ) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if done(self) {
                return Ok(());
            }
            if (self.closed && needs_output) || Instant::now() >= deadline {
                let why = if self.closed && needs_output {
                    "the terminal closed"
                } else {
                    "timed out"
                };
                let tail = String::from_utf8_lossy(&self.raw[self.mark..]);
                return Err(format!(
                    "{what}: {why} after {:?}\n--- screen ---\n{}\n--- output since the mark ---\n{tail:?}",
                    timeout - deadline.saturating_duration_since(Instant::now()),
                    self.screen()
                ));
            }
            // Short slices: some conditions change without any output.
            let slice = deadline.min(Instant::now() + Duration::from_millis(20));
            if self.closed {
                std::thread::sleep(slice.saturating_duration_since(Instant::now()));
            } else {
                self.pump(slice);
            }
        }
    }

    /// Wait until `text` appears in the raw output after the mark, then move
    /// the mark past it: like `expect`, successive calls find successive
    /// occurrences, and the text the child wrote (not what a later redraw
    /// left on the screen) is what counts.
    pub fn wait_for(&mut self, text: &str, timeout: Duration) -> Result<(), String> {
        self.wait_until(&format!("waiting for {text:?}"), timeout, true, |p| {
            let found = p.raw[p.mark..]
                .windows(text.len())
                .position(|w| w == text.as_bytes());
            found.map(|i| p.mark += i + text.len()).is_some()
        })
    }

    /// Wait until a process whose argv satisfies `pred` is in the terminal's
    /// foreground process group, and return its PID. Keys typed before then
    /// would reach the shell, not that process.
    pub fn wait_foreground(
        &mut self,
        pred: impl Fn(&[&[u8]]) -> bool,
        timeout: Duration,
    ) -> Result<u32, String> {
        let mut pid = 0;
        self.wait_until("waiting for a foreground process", timeout, false, |p| {
            let fg = p.foreground_pgrp();
            let found = find_pids(&pred)
                .into_iter()
                .find(|&q| proc_pgrp(q) == Some(fg));
            found.map(|q| pid = q).is_some()
        })?;
        Ok(pid)
    }

    /// Wait until the child has written nothing for `quiet`, as a person
    /// waits for the screen to settle before typing: a full-screen program
    /// may redraw more than once, and keys typed while it is between
    /// terminal modes can be flushed by its tcsetattr(TCSAFLUSH).
    pub fn settle(&mut self, quiet: Duration, timeout: Duration) -> Result<(), String> {
        self.wait_until("waiting for the screen to settle", timeout, false, |p| {
            p.last_output.elapsed() >= quiet
        })
    }

    /// Wait until `pred` holds for the screen's contents.
    pub fn wait_screen(
        &mut self,
        pred: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<(), String> {
        self.wait_until("waiting for the screen", timeout, true, |p| {
            pred(&p.screen())
        })
    }

    /// Wait until the child exits (reading its output meanwhile); its status.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let mut status = None;
        self.wait_until("waiting for the child to exit", timeout, false, |p| {
            status = p.child.try_wait().expect("waitpid");
            status.is_some()
        })?;
        Ok(status.unwrap())
    }

    /// The screen as a person sees it now (text only, rows joined by '\n').
    pub fn screen(&self) -> String {
        self.parser.screen().contents()
    }

    /// All the child wrote so far, escape sequences included (lossy UTF-8).
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// Resize the window, as a terminal emulator does: the kernel sends
    /// SIGWINCH to the terminal's foreground process group.
    pub fn resize(&mut self, rows: u16, cols: u16) {
        set_winsize(&self.master, rows, cols);
        self.parser.screen_mut().set_size(
            std::num::NonZeroU16::new(rows).unwrap(),
            std::num::NonZeroU16::new(cols).unwrap(),
        );
    }

    /// (ICANON, ECHO, ISIG) of the terminal now: on the master, TCGETS
    /// reports the slave's modes. At a readline prompt the first two are
    /// always off; look while a foreground command runs.
    pub fn termios_flags(&self) -> (bool, bool, bool) {
        // SAFETY: termios is plain integers.
        let mut t: termios = unsafe { std::mem::zeroed() };
        ioctl(&self.master, TCGETS, &mut t as *mut termios as usize).expect("TCGETS");
        let on = |flag: u32| t.c_lflag & flag != 0;
        (on(ICANON), on(ECHO), on(ISIG))
    }

    /// The terminal's foreground process group (the one keys signal).
    pub fn foreground_pgrp(&self) -> i32 {
        let mut pgrp = 0i32;
        ioctl(&self.master, TIOCGPGRP, &mut pgrp as *mut i32 as usize).expect("TIOCGPGRP");
        pgrp
    }

    /// The child's PID: also its session's ID and its process group's.
    pub fn child_pid(&self) -> u32 {
        self.child.id()
    }

    /// Type `cmd` and Enter at a `shell` prompt that has been waited for,
    /// wait for the next prompt, and return what was printed in between
    /// (without the echoed command line; "\r\n" as "\n", no final newline).
    /// Keep `cmd` shorter than a screen line: a wrapped echo is not removed.
    /// Panics with the screen on timeout.
    pub fn run(&mut self, cmd: &str, timeout: Duration) -> String {
        self.mark = self.raw.len();
        let start = self.mark;
        self.send(format!("{cmd}\r").as_bytes());
        if let Err(e) = self.wait_for(PROMPT, timeout) {
            panic!("run {cmd:?}: {e}");
        }
        let out = String::from_utf8_lossy(&self.raw[start..self.mark - PROMPT.len()]);
        let out = out.replace("\r\n", "\n");
        // Readline echoes the line unless the terminal's ECHO is off.
        let out = out.strip_prefix(&format!("{cmd}\n")).unwrap_or(&out);
        out.strip_suffix('\n').unwrap_or(out).to_string()
    }
}

impl Drop for Pty {
    /// Kill every process of the child's session (stopped and background
    /// jobs too, each in its own process group), and reap the child.
    fn drop(&mut self) {
        let sid = self.child.id() as i32;
        for _ in 0..500 {
            let left = all_pids()
                .filter(|&p| proc_field(p, 6).and_then(|s| s.parse().ok()) == Some(sid))
                .filter(|&p| proc_state(p) != Some('Z'))
                .collect::<Vec<_>>();
            if left.is_empty() {
                break;
            }
            for p in left {
                // SAFETY: kill takes two integers.
                let _ = unsafe { syscall2(Sysno::kill, p as usize, SIGKILL as usize) };
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn all_pids() -> impl Iterator<Item = u32> {
    std::fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
}

/// Field `n` (1-based, as in proc(5)) of /proc/PID/stat. The command name
/// (field 2) may hold spaces and parentheses: count after its last ')'.
fn proc_field(pid: u32, n: usize) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(n - 3).map(str::to_string)
}

/// 'R' running, 'S' sleeping, 'T' stopped, 'Z' zombie, ...; None if gone.
pub fn proc_state(pid: u32) -> Option<char> {
    proc_field(pid, 3)?.chars().next()
}

/// The process group: a job's PID for the shell, and what
/// `Pty::foreground_pgrp` is compared with.
pub fn proc_pgrp(pid: u32) -> Option<i32> {
    proc_field(pid, 5)?.parse().ok()
}

/// User plus system CPU time in clock ticks: growing means spinning.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    Some(proc_field(pid, 14)?.parse::<u64>().ok()? + proc_field(pid, 15)?.parse::<u64>().ok()?)
}

/// The processes whose argv words satisfy `pred` (zombies have none).
pub fn find_pids(pred: impl Fn(&[&[u8]]) -> bool) -> Vec<u32> {
    all_pids()
        .filter(|pid| {
            let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                return false;
            };
            let argv: Vec<&[u8]> = cmdline
                .strip_suffix(b"\0")
                .unwrap_or(&cmdline)
                .split(|&b| b == 0)
                .collect();
            !cmdline.is_empty() && pred(&argv)
        })
        .collect()
}
