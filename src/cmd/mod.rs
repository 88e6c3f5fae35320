//! The subcommands, one file each.

pub mod init;
pub mod pid;
pub mod syscalls;
