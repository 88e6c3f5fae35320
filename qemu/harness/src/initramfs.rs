//! Building the initramfs: a cpio archive in the "newc" format, which the
//! kernel unpacks into its root file system before it starts `/init`.
//!
//! The archive is left uncompressed: the kernel accepts that as well, and
//! an emulated guest spends no time inflating it.
//!
//! newc, as the kernel reads it (Documentation/driver-api/early-userspace/
//! buffer-format.rst): per entry a 110-byte ASCII header, `070701` and
//! thirteen 8-digit hex fields, then the NUL-terminated name, padded to a
//! multiple of 4, then the data, padded to a multiple of 4. The archive
//! ends with an entry named `TRAILER!!!`.

/// File type bits of `st_mode`.
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFCHR: u32 = 0o020000;
const S_IFLNK: u32 = 0o120000;

/// An archive being built, entries in the order added: add a directory
/// before what it contains.
#[derive(Default)]
pub struct Cpio {
    out: Vec<u8>,
    ino: u32,
}

impl Cpio {
    pub fn new() -> Cpio {
        Cpio::default()
    }

    /// A directory, e.g. `dir("proc", 0o755)`. Paths are relative to `/`.
    pub fn dir(&mut self, path: &str, perm: u32) -> &mut Self {
        self.entry(path, S_IFDIR | perm, (0, 0), &[])
    }

    /// A regular file with these contents.
    pub fn file(&mut self, path: &str, perm: u32, data: &[u8]) -> &mut Self {
        self.entry(path, S_IFREG | perm, (0, 0), data)
    }

    /// A character device node, e.g. `dev/console` (5, 1): the kernel opens
    /// it as /init's stdin, stdout and stderr.
    pub fn char_dev(&mut self, path: &str, perm: u32, major: u32, minor: u32) -> &mut Self {
        self.entry(path, S_IFCHR | perm, (major, minor), &[])
    }

    /// A symbolic link at `path` to `target`, e.g. `symlink("bin/sh",
    /// "busybox")`: newc stores the target as the entry's data.
    pub fn symlink(&mut self, path: &str, target: &str) -> &mut Self {
        self.entry(path, S_IFLNK | 0o777, (0, 0), target.as_bytes())
    }

    fn entry(&mut self, path: &str, mode: u32, rdev: (u32, u32), data: &[u8]) -> &mut Self {
        let path = path.trim_start_matches('/');
        assert!(!path.is_empty(), "cpio entry without a name");
        self.ino += 1;
        let nlink = if mode & S_IFDIR != 0 { 2 } else { 1 };
        self.header(self.ino, mode, nlink, data.len(), rdev, path);
        self.out.extend_from_slice(data);
        self.pad();
        self
    }

    fn header(
        &mut self,
        ino: u32,
        mode: u32,
        nlink: u32,
        size: usize,
        rdev: (u32, u32),
        name: &str,
    ) {
        let size = u32::try_from(size).expect("cpio newc files are < 4 GiB");
        let fields = [
            ino,
            mode,
            0, // uid: root
            0, // gid: root
            nlink,
            0, // mtime
            size,
            0, // dev major
            0, // dev minor
            rdev.0,
            rdev.1,
            name.len() as u32 + 1, // with its NUL
            0,                     // check: unused by newc
        ];
        self.out.extend_from_slice(b"070701");
        for f in fields {
            self.out.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(0);
        self.pad();
    }

    fn pad(&mut self) {
        while !self.out.len().is_multiple_of(4) {
            self.out.push(0);
        }
    }

    /// The finished archive.
    pub fn finish(mut self) -> Vec<u8> {
        self.header(0, 0, 1, 0, (0, 0), "TRAILER!!!");
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(entry: &[u8], i: usize) -> u32 {
        let s = std::str::from_utf8(&entry[6 + 8 * i..14 + 8 * i]).unwrap();
        u32::from_str_radix(s, 16).unwrap()
    }

    #[test]
    fn one_file_byte_for_byte() {
        let mut c = Cpio::new();
        c.file("/init", 0o755, b"hello");
        let a = c.finish();
        let mut want = String::from("070701");
        // ino mode uid gid nlink mtime size devmaj devmin rdevmaj rdevmin namesize check
        for f in [1, 0o100755, 0, 0, 1, 0, 5, 0, 0, 0, 0, 5, 0] {
            want += &format!("{f:08x}");
        }
        let mut want = want.into_bytes();
        want.extend_from_slice(b"init\0"); // 110 + 5 = 115, pad to 116
        want.push(0);
        want.extend_from_slice(b"hello\0\0\0"); // 5 data bytes, pad to 8
        assert_eq!(&a[..want.len()], &want[..]);
        assert_eq!(&a[want.len()..want.len() + 6], b"070701");
        assert!(
            a.ends_with(b"TRAILER!!!\0\0\0\0"),
            "{:?}",
            &a[a.len() - 16..]
        );
        assert_eq!(a.len() % 4, 0);
    }

    #[test]
    fn set_id_bits_and_root_ownership_are_kept() {
        // The kernel chowns, then chmods each file it unpacks, so the
        // set-user-ID and set-group-ID bits survive (tests/vm.rs).
        let mut c = Cpio::new();
        c.file("bin/u", 0o4755, b"x").file("bin/g", 0o2755, b"y");
        let a = c.finish();
        assert_eq!(&a[..6], b"070701");
        assert_eq!((field(&a, 1), field(&a, 2), field(&a, 3)), (0o104755, 0, 0));
        let second = (110 + "bin/u\0".len()).next_multiple_of(4) + 4;
        assert_eq!(&a[second..second + 6], b"070701");
        assert_eq!(field(&a[second..], 1), 0o102755);
    }

    #[test]
    fn every_header_is_aligned_and_typed() {
        let mut c = Cpio::new();
        c.dir("dev", 0o755)
            .char_dev("dev/console", 0o600, 5, 1)
            .file("bin/x", 0o644, &[1, 2, 3])
            .symlink("bin/sh", "busybox");
        let a = c.finish();
        // Walk the archive the way the kernel does.
        let mut at = 0;
        let mut seen = Vec::new();
        loop {
            let e = &a[at..];
            assert_eq!(&e[..6], b"070701", "entry at {at}");
            let namesize = field(e, 11) as usize;
            let name = std::str::from_utf8(&e[110..110 + namesize - 1]).unwrap();
            let size = field(e, 6) as usize;
            seen.push((name.to_string(), field(e, 1), field(e, 9), field(e, 10)));
            let data = (110 + namesize).next_multiple_of(4);
            at += (data + size).next_multiple_of(4);
            if name == "TRAILER!!!" {
                break;
            }
        }
        assert_eq!(at, a.len());
        assert_eq!(
            seen,
            [
                ("dev".into(), 0o040755, 0, 0),
                ("dev/console".into(), 0o020600, 5, 1),
                ("bin/x".into(), 0o100644, 0, 0),
                ("bin/sh".into(), 0o120777, 0, 0),
                ("TRAILER!!!".into(), 0, 0, 0),
            ]
        );
    }
}
