//! The supervision loop, used by every ns-tool process that has a child to
//! look after: the ns-tool the caller started (the *top*), each outer
//! level of `--nest`, and ns-tool as the namespace's PID 1 under `--init`.
//!
//! One loop, as in tini: with every catchable signal blocked, take the
//! next one with rt_sigtimedwait. SIGCHLD means "reap"; SIGCONT "resume
//! the job"; SIGTSTP, SIGTTIN and SIGTTOU "stop the job"; anything else
//! is passed on to the child, once. Blocking (rather than installing
//! handlers) is what makes this work for a namespace's PID 1 too: the
//! kernel drops signals that PID 1 has no handler for, but it queues
//! blocked ones. docs/signals.md gives each rule with its reason.

use linux_raw_sys::general::{
    __WALL, SIGCHLD, SIGCONT, SIGINT, SIGKILL, SIGSTOP, SIGTSTP, SIG_BLOCK, SIG_SETMASK,
    SIG_UNBLOCK, WNOHANG, WUNTRACED,
};

use crate::engine::jobs::Terminal;
use crate::engine::procfs;
use crate::engine::signals::{self, Inherited, Relay, JOB_STOP, TERMINATING};
use crate::error::Error;
use crate::rt::out;
use crate::sys::names::put_signal;
use crate::sys::{self, Errno, SigInfo, SigSet, WaitStatus};

/// Learn which signals the caller ignored, make SIGCHLD work whatever it
/// was, and block every signal the loop waits for. Call it before
/// forking, so that no signal can arrive between the fork and the loop.
pub fn block() -> Result<Inherited, Error> {
    let ignored = inherited_ignored();
    if ignored.contains(SIGCHLD) {
        // Ignored, the kernel would reap our children itself and send no
        // SIGCHLD at all: the loop would wait forever.
        sys::set_disposition(SIGCHLD, false)
            .map_err(Error::ctx(t!("rt_sigaction(SIGCHLD, SIG_DFL)")))?;
    }
    let mut inherited = Inherited {
        mask: SigSet(0),
        ignored,
    };
    inherited.mask = sys::sigprocmask(SIG_BLOCK, &inherited.waited())
        .map_err(Error::ctx(t!("rt_sigprocmask(SIG_BLOCK)")))?;
    Ok(inherited)
}

/// The signals the caller ignored: `SigIgn` in /proc/self/status (one
/// open, read and close), or, without /proc, rt_sigaction asked for each
/// signal.
fn inherited_ignored() -> SigSet {
    if let Ok(d) = procfs::dispositions(0) {
        return d.ignored;
    }
    let mut ignored = SigSet(0);
    // Signals 1 to 64; `1..=64` would cost an out-of-line step (size).
    for sig in 1..65 {
        if sys::disposition_ignored(sig) == Ok(true) {
            ignored.0 |= 1 << (sig - 1);
        }
    }
    ignored
}

/// Give COMMAND the signal state ns-tool was started with (in a child,
/// before it execs or runs the demonstration).
pub fn restore(inherited: &Inherited) -> Result<(), Error> {
    if inherited.chld_ignored() {
        sys::set_disposition(SIGCHLD, true)
            .map_err(Error::ctx(t!("rt_sigaction(SIGCHLD, SIG_IGN)")))?;
    }
    sys::sigprocmask(SIG_SETMASK, &inherited.mask)
        .map(drop)
        .map_err(Error::ctx(t!("rt_sigprocmask(SIG_SETMASK)")))
}

/// Where a signal came from, which decides whether it is passed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// This process sent it to itself (e.g. SIGPIPE from its own write).
    Own,
    /// The child sent it: passing it back would be a loop.
    Child,
    /// The child's process group got it too (from the terminal, reported
    /// by the sentinel, or sent by the kernel to a group we share).
    Delivered,
    /// Sent to ns-tool alone: the child has not seen it.
    Elsewhere,
}

/// How a supervisor behaves; one instance per supervising process.
#[derive(Debug)]
pub struct Supervisor<'a> {
    /// The process this one looks after: COMMAND, or the next ns-tool.
    pub child: i32,
    /// COMMAND's name, for messages.
    pub what: &'a [u8],
    /// The signals the loop waits for (blocked before forking).
    pub waited: SigSet,
    /// How many ns-tool levels lie between `child` and COMMAND (0: the
    /// child is COMMAND).
    pub depth: u8,
    /// COMMAND is PID 1 of its namespace (no `--init`): the kernel drops
    /// every signal it has no handler for, the job-control stops too.
    pub command_is_init: bool,
    /// The child leads a process group of its own, which gets the
    /// terminal; otherwise it shares ours.
    pub child_leads_group: bool,
    /// Reap every child, not just `child`: a PID 1 inherits orphans.
    pub reap_all: bool,
    /// This is the ns-tool the caller started: it stops and resumes with
    /// the job, and may kill a namespace that cannot be interrupted.
    pub top: bool,
    /// The controlling terminal, when the top ns-tool has one.
    pub terminal: Option<Terminal>,
    /// The sentinel's PID, or 0 (see `jobs`).
    pub sentinel: i32,
    /// This process's PID.
    pub me: i32,
    /// Terminating signals COMMAND dropped so far.
    pub dropped: u32,
    /// The top ns-tool killed the namespace itself.
    pub escalated: bool,
    /// COMMAND, a PID 1, was stopped by us after a Ctrl-Z while its own
    /// SIGTSTP handler may have run (a full-screen program cleaning up):
    /// if it has one, send it SIGTSTP again when it is back in the
    /// foreground, so that it goes through its suspend-and-resume once
    /// more and redraws.
    pub redraw: bool,
    /// `clone`: the child's pidfd, which waits go through; or -1.
    pub pidfd: i32,
    /// `--group`, `--rewrite` (applied by the top ns-tool) and
    /// `--exit-zero` (applied by the caller). A reference: the struct is
    /// large, and copies of it cost code.
    pub relay: &'a Relay,
}

impl<'a> Supervisor<'a> {
    /// A supervisor for `child` with everything else off; set the fields
    /// that apply.
    pub fn new(child: i32, what: &'a [u8], waited: SigSet, me: i32, relay: &'a Relay) -> Self {
        Supervisor {
            child,
            what,
            waited,
            depth: 0,
            command_is_init: false,
            child_leads_group: false,
            reap_all: false,
            top: false,
            terminal: None,
            sentinel: 0,
            me,
            dropped: 0,
            escalated: false,
            redraw: false,
            pidfd: -1,
            relay,
        }
    }

    /// Run the loop until `child` has ended; returns how it ended.
    pub fn run(&mut self) -> Result<WaitStatus, Error> {
        loop {
            let info = match sys::sigwait(&self.waited, None) {
                Ok(info) => info,
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(Error::sys(t!("rt_sigtimedwait"), e)),
            };
            // `--rewrite` of a stop or SIGCONT: plain passing on, as
            // dumb-init does; job control is for the signal as sent.
            let plain = !self.top || self.relay.rewrite.get(info.sig as usize - 1) == Some(&0);
            let ended = match info.sig {
                SIGCHLD => self.reap()?,
                SIGCONT if plain => {
                    // Never passed on: the top ns-tool resumes the job.
                    if self.top {
                        self.resume();
                    }
                    None
                }
                sig if plain && JOB_STOP.contains(sig) => self.job_stop(&info)?,
                _ => {
                    self.pass_on(&info);
                    None
                }
            };
            if let Some(status) = ended {
                return Ok(status);
            }
        }
    }

    fn origin(&self, info: &SigInfo) -> Origin {
        match info.sender() {
            Some(pid) if pid == self.me => Origin::Own,
            Some(pid) if pid != 0 && pid == self.sentinel => Origin::Delivered,
            Some(pid) if pid == self.child => Origin::Child,
            _ if info.from_kernel() && !self.child_leads_group => Origin::Delivered,
            _ => Origin::Elsewhere,
        }
    }

    /// Pass a signal on to the child unless it has it already; then, for
    /// the top ns-tool, see whether COMMAND dropped it.
    fn pass_on(&mut self, info: &SigInfo) {
        let origin = self.origin(info);
        // `--rewrite` where signals come in: the levels below get the
        // rewritten one.
        let sig = if self.top {
            self.relay.signal(info.sig)
        } else {
            Some(info.sig)
        };
        let Some(sig) = sig else {
            return;
        };
        if origin == Origin::Elsewhere {
            // ESRCH: the child is already gone; its SIGCHLD is on the way.
            let _ = sys::kill(self.target(), sig);
        }
        let judged = matches!(origin, Origin::Elsewhere | Origin::Delivered);
        if self.top && self.command_is_init && judged && TERMINATING.contains(sig) {
            self.escalate_if_dropped(sig, origin);
        }
    }

    /// Where passed-on signals go: the child, or with `--group` COMMAND's
    /// whole process group (ours, if COMMAND shares it).
    fn target(&self) -> i32 {
        match (self.relay.group && self.depth == 0, self.child_leads_group) {
            (true, true) => -self.child,
            (true, false) => 0,
            _ => self.child,
        }
    }

    /// COMMAND's PID as this process sees it: the child, or found by
    /// walking down the ns-tool levels.
    fn command(&self) -> Result<i32, Errno> {
        (0..self.depth).try_fold(self.child, |pid, _| procfs::first_child(pid))
    }

    /// A terminating signal reached COMMAND, PID 1 of its namespace: if it
    /// has no handler, the kernel dropped it. At the first such signal,
    /// say so; at the second, kill the namespace, since nothing else can
    /// end it, and say so after.
    fn escalate_if_dropped(&mut self, sig: u32, origin: Origin) {
        // If /proc cannot tell, count it as dropped: better a namespace
        // that Ctrl-C can still end.
        let dropped = self
            .command()
            .and_then(procfs::dispositions)
            .map_or(true, |d| d.default_action(sig));
        if !dropped {
            return;
        }
        self.dropped += 1;
        if self.dropped >= 2 {
            let _ = sys::kill(self.child, SIGKILL);
            self.escalated = true;
            out::err(|b| {
                b.p(t!("ns-tool: "));
                put_signal(b, sig);
                b.p(t!(" again: killed the namespace (SIGKILL to "))
                    .esc(self.what)
                    .p(t!(", its PID 1)"));
            });
            return;
        }
        let again = if sig == SIGINT && origin == Origin::Delivered {
            "press Ctrl-C again"
        } else {
            "send it again"
        };
        out::err(|b| {
            b.p(t!("ns-tool: "))
                .esc(self.what)
                .p(t!(" is PID 1 of its namespace and has no handler for "));
            put_signal(b, sig);
            b.p(t!(", so the kernel dropped it; "))
                .s(again)
                .p(t!(" to kill the namespace"));
        });
    }

    /// SIGTSTP, SIGTTIN or SIGTTOU: stop the job, as the terminal would
    /// stop an ordinary program: COMMAND, and the top ns-tool with it, so
    /// that the caller's shell gets the terminal back.
    fn job_stop(&mut self, info: &SigInfo) -> Result<Option<WaitStatus>, Error> {
        let sig = info.sig;
        let origin = self.origin(info);
        if origin == Origin::Own {
            return Ok(None);
        }
        // If COMMAND ignores it, nothing stops (as with no namespace).
        let d = self.command().and_then(procfs::dispositions).ok();
        if d.is_some_and(|d| d.ignored.contains(sig)) {
            return Ok(None);
        }
        let stops_itself = !self.command_is_init;
        if !self.top {
            // Inner levels only stop a COMMAND that cannot stop itself;
            // the top ns-tool does the rest for the whole group.
            if self.depth == 0 && !stops_itself {
                return self.stop_child();
            }
            return Ok(None);
        }
        if origin == Origin::Elsewhere {
            // Sent to us alone: pass it on to the group, as the terminal
            // would have sent it.
            let _ = sys::kill(self.group_target(), sig);
        }
        if self.depth > 0 {
            // COMMAND is further down: stop only once it has, or a quick
            // `fg` would continue it in the middle of its own SIGTSTP
            // handler (top then fails its tcsetattr with EINTR).
            if !self.command_stops() {
                return Ok(None);
            }
        } else {
            if stops_itself {
                // An ordinary COMMAND stops by itself; its SIGCHLD says
                // when (see `reap`), and we follow.
                return Ok(None);
            }
            // COMMAND, a PID 1, may be in its own SIGTSTP handler: its
            // attempt to stop is dropped, and a full-screen program then
            // puts its terminal modes back. Stopped half-way, it would come
            // back with the shell's modes and miss our second SIGTSTP (see
            // `resume`), so let it finish first, unless that attempt is
            // what we saw (COMMAND signalled its group, as vim does).
            let asked_by_command =
                self.sentinel != 0 && info.sender() == Some(self.sentinel) && info.value == 1;
            if !asked_by_command {
                self.settle();
            }
            if let Some(ended) = self.stop_child()? {
                return Ok(Some(ended));
            }
            self.redraw = sig == SIGTSTP && !asked_by_command;
            // Its own attempts, reported meanwhile, were this stop.
            while sys::sigwait(&JOB_STOP, Some(0)).is_ok() {}
        }
        self.stop_self(sig);
        Ok(None)
    }

    /// Wait until COMMAND, further down and not our child, is stopped:
    /// /proc, every 10 ms, for at most two seconds. False if it never
    /// stops (a handler that does not stop) or is gone.
    fn command_stops(&self) -> bool {
        let Ok(command) = self.command() else {
            return false;
        };
        for _ in 0..200 {
            match procfs::stopped(command) {
                Ok(true) => return true,
                Ok(false) => {}
                Err(_) => return false,
            }
            let _ = sys::sigwait(&SigSet(0), Some(10));
        }
        false
    }

    /// Wait until the child sleeps at three looks in a row, 10 ms apart
    /// (at most 300 ms): a program's signal handler has then run, and it
    /// waits for input again.
    fn settle(&self) {
        let mut asleep = 0;
        for _ in 0..30 {
            let _ = sys::sigwait(&SigSet(0), Some(10));
            asleep = if procfs::state(self.child) == Ok(b'S') {
                asleep + 1
            } else {
                0
            };
            if asleep == 3 {
                return;
            }
        }
    }

    /// Stop the child with SIGSTOP (which the kernel does deliver to a
    /// namespace's PID 1 when it comes from an ancestor namespace) and
    /// wait, at most two seconds, until it has stopped. `Some` if it ended
    /// instead. A shell caught in vfork(2) while Ctrl-Z stopped the vfork
    /// child cannot stop until that child runs again: then the SIGSTOP
    /// stays pending, the job counts as stopped, and the SIGCONT that
    /// resumes the job clears it.
    fn stop_child(&self) -> Result<Option<WaitStatus>, Error> {
        let _ = sys::kill(self.child, SIGSTOP);
        for _ in 0..200 {
            match self.wait(self.child) {
                Ok((0, _)) => {}
                Ok((_, WaitStatus::Stopped(_))) => return Ok(None),
                Ok((_, status)) => return Ok(Some(status)),
                Err(Errno::EINTR) => {}
                Err(e) => return Err(Error::sys(t!("wait4"), e)),
            }
            let _ = sys::sigwait(&SigSet(0), Some(10));
        }
        Ok(None)
    }

    /// Stop this process with `sig`, as the terminal stops a program, so
    /// that the shell sees the job stopped (and why). Once continued (or
    /// at once, where a process cannot stop: an orphaned process group, or
    /// a PID 1), resume the job.
    fn stop_self(&mut self, sig: u32) {
        let one = SigSet::of(&[sig]);
        // Pending while blocked; unblocking delivers it, and its default
        // action stops us until a SIGCONT.
        let _ = sys::kill(self.me, sig);
        let _ = sys::sigprocmask(SIG_UNBLOCK, &one);
        let _ = sys::sigprocmask(SIG_BLOCK, &one);
        self.resume();
        // The SIGCONT that woke us is queued: take it, so the job is not
        // resumed twice.
        let _ = sys::sigwait(&SigSet::of(&[SIGCONT]), Some(0));
    }

    /// Continue the job: give the child's group the terminal back if we
    /// are in the foreground (after `fg`, not `bg`), then SIGCONT it.
    fn resume(&mut self) {
        let foreground = self.terminal.is_some_and(|t| t.foreground());
        if foreground && self.child_leads_group {
            self.terminal.unwrap().hand_to(self.child);
        }
        let _ = sys::kill(self.group_target(), SIGCONT);
        // Judged now, not when it stopped: a program's handler may have
        // been set aside for a moment then (less sets SIGTSTP to default
        // while it stops itself).
        if foreground && self.redraw {
            self.redraw = false;
            // Once it has finished whatever it was doing when stopped.
            self.settle();
            let catches =
                procfs::dispositions(self.child).is_ok_and(|d| d.caught.contains(SIGTSTP));
            if catches {
                let _ = sys::kill(self.child, SIGTSTP);
            }
        }
    }

    /// The child's whole group if it leads one, else the child alone.
    fn group_target(&self) -> i32 {
        if self.child_leads_group {
            -self.child
        } else {
            self.child
        }
    }

    /// wait4(2) for `who`, without blocking, stops too; for `child`
    /// through its pidfd, if there is one (waitid(2), Linux 5.4).
    fn wait(&self, who: i32) -> Result<(i32, WaitStatus), Errno> {
        let options = WNOHANG | WUNTRACED | __WALL;
        if who == self.child && self.pidfd >= 0 {
            match sys::waitid_pidfd(self.pidfd, options) {
                // Before Linux 5.4, which added P_PIDFD.
                Err(Errno::EINVAL) => {}
                r => return r,
            }
        }
        sys::wait4(who, options)
    }

    /// Collect every child that has ended; `Some` once `child` has. A
    /// stopped child makes the top ns-tool stop too.
    fn reap(&mut self) -> Result<Option<WaitStatus>, Error> {
        let who = if self.reap_all { -1 } else { self.child };
        let mut ended = None;
        loop {
            match self.wait(who) {
                // Children remain, none has changed (SIGCHLDs merge).
                Ok((0, _)) => return Ok(ended),
                Ok((pid, WaitStatus::Stopped(sig))) => {
                    // (A stop reported late, after the job was resumed,
                    // is over: the child runs again.) Without a terminal
                    // there is no job to stop with it: someone's SIGSTOP
                    // to COMMAND must not stop its init for good.
                    if pid == self.child
                        && self.top
                        && self.terminal.is_some()
                        && procfs::stopped(pid) == Ok(true)
                    {
                        self.stop_self(u32::from(sig));
                    }
                }
                Ok((pid, status)) if pid == self.child => {
                    ended = Some(status);
                    if !self.reap_all {
                        return Ok(ended);
                    }
                }
                Ok(_) => {}
                Err(Errno::EINTR) => {}
                Err(Errno::ECHILD) if self.reap_all => return Ok(ended),
                Err(e) => return Err(Error::sys(t!("wait4"), e)),
            }
        }
    }
}

/// The exit status that reports `status`, 128+N for a death by signal N,
/// as shells do; and, as shells do, a line on stderr for every such death
/// but SIGINT and SIGPIPE, unless ns-tool caused it and said so already.
pub fn exit_code(status: WaitStatus, what: &[u8], escalated: bool) -> i32 {
    match status {
        WaitStatus::Exited(code) => i32::from(code),
        WaitStatus::Signaled(sig) => {
            let sig = u32::from(sig);
            if !escalated && signals::worth_a_line(sig) {
                out::err(|b| {
                    b.p(t!("ns-tool: "))
                        .esc(what)
                        .p(t!(" was killed by signal "))
                        .udec(sig.into())
                        .p(t!(" ("));
                    put_signal(b, sig);
                    b.byte(b')');
                });
            }
            128 + sig as i32
        }
        WaitStatus::Stopped(_) | WaitStatus::Other(_) => crate::error::EXIT_FAILURE,
    }
}
