//! Packing ns-tool's texts at build time, as busybox packs its usage texts
//! (FEATURE_COMPRESS_USAGE), but small enough to unpack with a dozen lines.
//!
//! Every `t!("...")` in src/ is a text written plainly at its call site. This
//! step finds them all, learns a byte-pair code over them (the commonest
//! pair of symbols becomes a new symbol, as long as one byte can name
//! them: the texts use few distinct bytes, which get the codes 0 to K-1,
//! so 255-K pairs fit, 255 being [`REF`]) and writes `$OUT_DIR/packed.rs`:
//! the bytes, the pair table, one pool of every text packed and ended by
//! a NUL (a run of symbols the pool already holds is stored as a 3-byte
//! reference to it, as LZ77 does), and a `t!` macro with one arm per
//! text, its literal exactly as written, that expands to where the text
//! starts in the pool (a `u16`, where a slice took 16 bytes, in a
//! register pair at every call). `text::Buf::p`
//! unpacks them as it writes. A `t!` on a text this step did not see cannot
//! compile, so nothing is ever left unpacked by mistake.
//!
//! The system-call rows (src/sys/rows.rs, `rows! { name: "purpose", ... }`,
//! one a line) are packed too, with the same pairs, into one text of
//! `name\npurpose\n` per row that `rows_text!()` expands to: a row then
//! needs no pointers, only its index. So are the names of the values a
//! trace names (src/sys/names.rs, `names! { TABLE: a::VALUE, ...; }`):
//! each value's own name and a newline, one after another, `names_text!()`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// The symbol that starts a reference to symbols earlier in the pool.
const REF: u8 = 255;

/// One `t!` text: its literal as written (what the macro arm must match
/// token for token) and its value.
struct Text {
    literal: String,
    value: Vec<u8>,
}

/// Find every `t!("...")` under `src`, pack them, and write the module.
pub fn generate(src: &Path, out: &Path) {
    let mut texts: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut rows = None;
    let mut names = None;
    let mut files = Vec::new();
    collect(src, &mut files);
    files.sort();
    println!("cargo:rerun-if-changed={}", src.display());
    for file in &files {
        let code = std::fs::read_to_string(file).unwrap();
        for t in find_texts(&code) {
            texts.insert(t.literal, t.value);
        }
        if let Some(r) = find_rows(&code) {
            assert!(rows.is_none(), "{}: a second rows! table", file.display());
            rows = Some(r);
        }
        if let Some(n) = find_names(&code) {
            assert!(names.is_none(), "{}: a second names! table", file.display());
            names = Some(n);
        }
    }
    let rows = rows.expect("the rows! table (src/sys/rows.rs)");
    let names = names.expect("the names! table (src/sys/names.rs)");
    let mut values: Vec<Vec<u8>> = texts.values().cloned().collect();
    values.push(rows);
    values.push(names);
    for v in &mut values {
        assert!(!v.contains(&0), "texts cannot hold a NUL: {v:?}");
        // The end: so a text is known by where it starts.
        v.push(0);
    }
    // The bytes the texts use, each coded by its index here (NUL is 0).
    let mut chars: Vec<u8> = values.iter().flatten().copied().collect();
    chars.sort_unstable();
    chars.dedup();
    let coded: Vec<Vec<u8>> = values
        .iter()
        .map(|v| {
            v.iter()
                .map(|b| chars.binary_search(b).unwrap() as u8)
                .collect()
        })
        .collect();
    let (pairs, packed) = learn(&coded, chars.len());
    // One pool, longest texts first. A text already there (as a whole) is
    // not stored again; a run of 4 to 11 symbols already there becomes a
    // reference to it, 3 bytes: REF, then a u16 (little-endian) holding
    // the offset (13 bits) and the length less 4 (3 bits).
    let mut order: Vec<usize> = (0..packed.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(packed[i].len()));
    let mut pool: Vec<u8> = Vec::new();
    // Whether each pool byte is a symbol (not part of a reference).
    let mut plain: Vec<bool> = Vec::new();
    let mut at = vec![0; packed.len()];
    for i in order {
        let p = &packed[i];
        if let Some((k, _)) = longest(&pool, &plain, p, p.len()).filter(|&(_, n)| n == p.len()) {
            at[i] = k;
            continue;
        }
        at[i] = pool.len();
        let mut j = 0;
        while j < p.len() {
            // (Only the first 8 KiB can be referred to.)
            let early = pool.len().min(1 << 13);
            match longest(&pool[..early], &plain, &p[j..], 11).filter(|&(_, n)| n >= 4) {
                Some((k, n)) => {
                    let r = (k as u16 | ((n - 4) as u16) << 13).to_le_bytes();
                    pool.extend_from_slice(&[REF, r[0], r[1]]);
                    plain.extend_from_slice(&[false; 3]);
                    j += n;
                }
                None => {
                    pool.push(p[j]);
                    plain.push(true);
                    j += 1;
                }
            }
        }
    }
    assert!(pool.len() <= usize::from(u16::MAX), "the pool outgrew u16");
    // How deep Unpack's stack gets: the tallest pair, and one.
    let mut height = vec![0; chars.len()];
    for p in &pairs {
        height.push(1 + height[usize::from(p[0])].max(height[usize::from(p[1])]));
    }
    let depth = height.iter().max().unwrap() + 1;
    let mut s = String::from("// Generated by build.rs (build/pack.rs). Do not edit.\n\n");
    s.push_str("/// What each packed symbol under CHARS.len() stands for.\n");
    let _ = writeln!(s, "pub static CHARS: [u8; {}] = {chars:?};\n", chars.len());
    let _ = writeln!(
        s,
        "/// The deepest unpacking.\npub const DEPTH: usize = {depth};\n"
    );
    s.push_str("/// What each packed symbol CHARS.len() + i stands for.\n");
    let _ = writeln!(s, "pub static PAIRS: [[u8; 2]; {}] = [", pairs.len());
    for p in &pairs {
        let _ = writeln!(s, "    [{}, {}],", p[0], p[1]);
    }
    s.push_str("];\n\n");
    let _ = writeln!(
        s,
        "/// The symbol that starts a reference (build/pack.rs).\npub const REF: u8 = {REF};\n"
    );
    s.push_str("/// Every text, packed, each ending in a NUL.\n");
    let _ = writeln!(s, "pub static POOL: [u8; {}] = {pool:?};\n", pool.len());
    s.push_str("/// A text, packed at build time (build/pack.rs).\nmacro_rules! t {\n");
    for ((literal, _), at) in texts.iter().zip(&at) {
        let _ = writeln!(
            s,
            "    ({literal}) => {{\n        $crate::text::Packed({at})\n    }};"
        );
    }
    s.push_str("}\n\n");
    let n = texts.len();
    s.push_str("/// The rows' names and purposes, packed.\nmacro_rules! rows_text {\n");
    let _ = writeln!(
        s,
        "    () => {{\n        $crate::text::Packed({})\n    }};\n}}\n",
        at[n]
    );
    s.push_str("/// The names of the values a trace names, packed.\nmacro_rules! names_text {\n");
    let _ = writeln!(
        s,
        "    () => {{\n        $crate::text::Packed({})\n    }};\n}}\n",
        at[n + 1]
    );
    s.push_str("/// Every text and where it starts, for the round-trip test.\n#[cfg(test)]\n");
    s.push_str("pub static ALL: &[(&[u8], u16)] = &[\n");
    for (value, at) in values.iter().zip(&at) {
        let _ = writeln!(s, "    (&{:?}, {at}),", &value[..value.len() - 1]);
    }
    s.push_str("];\n");
    std::fs::write(out, s).unwrap();
}

fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The `t!("...")` texts in `code` (plain string literals only).
fn find_texts(code: &str) -> Vec<Text> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut at = 0;
    while let Some(i) = code[at..].find("t!(") {
        let start = at + i;
        at = start + 3;
        // A macro call, not the end of another name (`print!(`).
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue;
        }
        let rest = &code[at..];
        let skip = rest.len() - rest.trim_start().len();
        if !rest.trim_start().starts_with('"') {
            continue;
        }
        let lit_start = at + skip;
        let (literal, value) = literal(&code[lit_start..]);
        at = lit_start + literal.len();
        out.push(Text { literal, value });
    }
    out
}

/// The rows of the `rows! {` table in `code`, if it has one, as one
/// text: `name\npurpose\n` each. A row is a line `name: "purpose",` (or
/// `name [x86_64 only]: "purpose",`); the table ends at a line `}`.
fn find_rows(code: &str) -> Option<Vec<u8>> {
    let start = code.find("\nrows! {\n")? + "\nrows! {\n".len();
    let mut out = Vec::new();
    for line in code[start..].lines() {
        let line = line.trim();
        if line == "}" {
            return Some(out);
        }
        let name = line.split([' ', ':']).next().unwrap();
        let at = line
            .find(": \"")
            .unwrap_or_else(|| panic!("rows!: not a row: {line}"));
        let (literal, value) = literal(&line[at + 2..]);
        assert_eq!(
            &line[at + 2 + literal.len()..],
            ",",
            "rows!: one row a line: {line}"
        );
        assert!(!value.contains(&b'\n'), "rows!: no newline: {line}");
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&value);
        out.push(b'\n');
    }
    panic!("rows!: no end");
}

/// The names in the `names! {` table in `code`, if it has one, as one
/// text: each value's last path segment and a newline. Tables are
/// `TABLE: a::VALUE, ...;` (`///` lines between them); the block ends at
/// a line `}`.
fn find_names(code: &str) -> Option<Vec<u8>> {
    let start = code.find("\nnames! {\n")? + "\nnames! {\n".len();
    let end = start + code[start..].find("\n}\n").expect("names!: no end");
    let body: String = code[start..end]
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect();
    let mut out = Vec::new();
    for table in body.split(';').filter(|t| !t.trim().is_empty()) {
        let (_, values) = table.split_once(": ").expect("names!: TABLE: values;");
        for value in values.split(',') {
            let name = value.trim().rsplit("::").next().unwrap();
            assert!(
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "names!: not a constant: {value}"
            );
            out.extend_from_slice(name.as_bytes());
            out.push(b'\n');
        }
    }
    Some(out)
}

/// The string literal `code` starts with: as written, and its value.
fn literal(code: &str) -> (String, Vec<u8>) {
    let b = code.as_bytes();
    assert_eq!(b[0], b'"');
    let mut value = Vec::new();
    let mut i = 1;
    loop {
        match b[i] {
            b'"' => return (code[..=i].to_string(), value),
            b'\\' => {
                i += 1;
                match b[i] {
                    b'n' => value.push(b'\n'),
                    b't' => value.push(b'\t'),
                    b'r' => value.push(b'\r'),
                    b'0' => value.push(0),
                    b'\\' => value.push(b'\\'),
                    b'"' => value.push(b'"'),
                    b'\'' => value.push(b'\''),
                    b'x' => {
                        let hex = &code[i + 1..i + 3];
                        value.push(u8::from_str_radix(hex, 16).unwrap());
                        i += 2;
                    }
                    b'\n' => {
                        // A line continuation: the newline and the next
                        // line's leading whitespace vanish.
                        while b[i + 1].is_ascii_whitespace() {
                            i += 1;
                        }
                    }
                    c => panic!("t!(): unsupported escape \\{}", c as char),
                }
            }
            c => value.push(c),
        }
        i += 1;
    }
}

/// The longest run (at most `max`) of plain symbols in `pool` that `text`
/// starts with: where, and how long.
fn longest(pool: &[u8], plain: &[bool], text: &[u8], max: usize) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for k in 0..pool.len() {
        let n = (0..text.len().min(max))
            .take_while(|&n| k + n < pool.len() && plain[k + n] && pool[k + n] == text[n])
            .count();
        if n > 0 && best.is_none_or(|(_, b)| n > b) {
            best = Some((k, n));
        }
    }
    best
}

/// Learn pairs over `texts`, coded with symbols under `first`, until
/// symbols run out at 256 (never across two texts), greedily, the
/// commonest first (ties: the smallest pair, so builds are reproducible);
/// return the pairs and each text packed.
fn learn(texts: &[Vec<u8>], first: usize) -> (Vec<[u8; 2]>, Vec<Vec<u8>>) {
    let mut seqs: Vec<Vec<u8>> = texts.to_vec();
    let mut pairs = Vec::new();
    while first + pairs.len() < usize::from(REF) {
        let mut count: BTreeMap<[u8; 2], usize> = BTreeMap::new();
        for s in &seqs {
            for w in s.windows(2) {
                *count.entry([w[0], w[1]]).or_default() += 1;
            }
        }
        // A pair must occur three times to pay for its two table bytes.
        let Some((&best, &n)) = count
            .iter()
            .max_by_key(|&(p, &n)| (n, std::cmp::Reverse(*p)))
        else {
            break;
        };
        if n < 3 {
            break;
        }
        let symbol = (first + pairs.len()) as u8;
        pairs.push(best);
        for s in &mut seqs {
            let mut out = Vec::with_capacity(s.len());
            let mut i = 0;
            while i < s.len() {
                if i + 1 < s.len() && [s[i], s[i + 1]] == best {
                    out.push(symbol);
                    i += 2;
                } else {
                    out.push(s[i]);
                    i += 1;
                }
            }
            *s = out;
        }
    }
    (pairs, seqs)
}
