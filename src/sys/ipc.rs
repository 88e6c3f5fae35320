//! System V IPC objects: message queues, semaphore sets, shared memory
//! segments. Each lives in an IPC namespace, found there by its ID.
//!
//! The three kinds are alike (a `*get` call creates one, a `*ctl` call
//! removes it), so one wrapper does each for every kind, from tables
//! ([`KINDS`] in this order): that measured smaller than a wrapper each.

use super::{args, call, int, rows, Arg, Call, Errno, Ret};

/// The kinds, in the order of every table here: a message queue, a set
/// of one semaphore, a shared memory segment of 4096 bytes.
pub const KINDS: usize = 3;

/// From linux/ipc.h (linux-raw-sys has no ipc module): create the object
/// if its key has none (the key here is always IPC_PRIVATE, 0: a new
/// object, which no other process can look up by key).
pub const IPC_CREAT: usize = 0o1000;

/// [msgget(2)]: the message queue of a key in the caller's IPC namespace
/// (IPC_PRIVATE: always a new one); arguments `key, msgflg` (IPC_CREAT
/// and the permission bits); returns its ID.
///
/// Syscall number: x86_64 68, aarch64 186.
///
/// Errors: `ENOSPC` (the namespace has kernel.msgmni queues already),
/// `EACCES`, `ENOENT` (no queue for the key, no IPC_CREAT), `ENOSYS`
/// (a kernel without System V IPC).
///
/// [msgget(2)]: https://man7.org/linux/man-pages/man2/msgget.2.html
const MSGGET: Call = Call {
    sys: rows::msgget,
    args: args!(Int, Int),
    ret: Ret::Int,
};

/// [semget(2)]: a set of semaphores, as msgget makes a queue; arguments
/// `key, nsems, semflg`.
///
/// Syscall number: x86_64 64, aarch64 190.
///
/// Errors: as msgget; `ENOSPC` at kernel.sem's limits on sets or on
/// semaphores, `EINVAL` (`nsems` out of range).
///
/// [semget(2)]: https://man7.org/linux/man-pages/man2/semget.2.html
const SEMGET: Call = Call {
    sys: rows::semget,
    args: args!(Int, Int, Int),
    ret: Ret::Int,
};

/// [shmget(2)]: a shared memory segment, as msgget makes a queue (not
/// attached: shmat(2) would map it); arguments `key, size, shmflg`.
///
/// Syscall number: x86_64 29, aarch64 194.
///
/// Errors: as msgget; `ENOSPC` (kernel.shmmni segments, or kernel.shmall
/// pages), `EINVAL` (`size` out of range), `ENOMEM`.
///
/// [shmget(2)]: https://man7.org/linux/man-pages/man2/shmget.2.html
const SHMGET: Call = Call {
    sys: rows::shmget,
    args: args!(Int, Int, Int),
    ret: Ret::Int,
};

/// [msgctl(2)]: a command on a queue; arguments `msqid, cmd, buf`. Here
/// only IPC_RMID (0, no buffer): remove the queue, waking its waiters.
///
/// Syscall number: x86_64 71, aarch64 187.
///
/// Errors: `EPERM` (neither its owner or creator nor privileged over its
/// namespace), `EINVAL` (no such queue in the caller's IPC namespace).
///
/// [msgctl(2)]: https://man7.org/linux/man-pages/man2/msgctl.2.html
const MSGCTL: Call = Call {
    sys: rows::msgctl,
    args: args!(Int, Int, Null),
    ret: Ret::Int,
};

/// [semctl(2)]: a command on a semaphore set, as msgctl; arguments
/// `semid, semnum, cmd, arg` (IPC_RMID takes no semnum or arg: 0).
///
/// Syscall number: x86_64 66, aarch64 191.
///
/// Errors: as msgctl.
///
/// [semctl(2)]: https://man7.org/linux/man-pages/man2/semctl.2.html
const SEMCTL: Call = Call {
    sys: rows::semctl,
    args: args!(Int, Int, Int, Null),
    ret: Ret::Int,
};

/// [shmctl(2)]: a command on a segment, as msgctl; arguments `shmid, cmd,
/// buf` (IPC_RMID: removed once no process has it attached).
///
/// Syscall number: x86_64 31, aarch64 195.
///
/// Errors: as msgctl.
///
/// [shmctl(2)]: https://man7.org/linux/man-pages/man2/shmctl.2.html
const SHMCTL: Call = Call {
    sys: rows::shmctl,
    args: args!(Int, Int, Null),
    ret: Ret::Int,
};

/// The descriptors side by side, indexed by kind (not pointers to them:
/// 48 B less).
static GET: [Call; KINDS] = [MSGGET, SEMGET, SHMGET];
static CTL: [Call; KINDS] = [MSGCTL, SEMCTL, SHMCTL];

/// The flags of a new object: IPC_CREAT, read and write for its owner
/// only.
const FLAGS: usize = IPC_CREAT | 0o600;

/// Argument 1 of each `*get`: msgget's flags, semget's count, shmget's
/// size. Argument 2 is the flags of the other two (msgget ignores it, and
/// the trace does not show it).
static ARG1: [u16; KINDS] = [FLAGS as u16, 1, 4096];

/// A new object of kind `kind` (below [`KINDS`]) in the caller's IPC
/// namespace, which only its owner may use: msgget, semget or shmget
/// (see their descriptors above for the errors). Returns its ID.
pub fn ipc_create(kind: usize) -> Result<i32, Errno> {
    // SAFETY: integers (the key is IPC_PRIVATE, 0).
    unsafe { call(&GET[kind], [0, ARG1[kind].into(), FLAGS, 0, 0, 0]) }.map(|id| id as i32)
}

/// Remove object `id` of kind `kind`: msgctl(id, IPC_RMID, NULL),
/// semctl(id, 0, IPC_RMID, NULL) or shmctl(id, IPC_RMID, NULL).
pub fn ipc_remove(kind: usize, id: i32) -> Result<(), Errno> {
    // IPC_RMID is 0: all three calls are (id, 0, 0, 0).
    // SAFETY: integers; no buffer.
    unsafe { call(&CTL[kind], [int(id), 0, 0, 0, 0, 0]) }.map(drop)
}
