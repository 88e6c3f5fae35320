//! The architecture, held: every module under src/ imports only from its
//! own layer or the layers below it, top to bottom
//!
//! cmd → cli → engine → error → rt → sys → text
//!
//! so the raw system-call layer (src/sys/) uses nothing of ns-tool but the
//! writer (src/text.rs), which itself uses nothing, and the engine never
//! reaches up into a subcommand. lib.rs and main.rs, the roots, may use
//! anything.

/// The layers, bottom first: a `crate::` path's first name, and where its
/// sources are.
const LAYERS: [(&str, &str); 7] = [
    ("text", "src/text.rs"),
    ("sys", "src/sys"),
    ("rt", "src/rt"),
    ("error", "src/error.rs"),
    ("engine", "src/engine"),
    ("cli", "src/cli"),
    ("cmd", "src/cmd"),
];

fn rank(name: &str) -> Option<usize> {
    LAYERS.iter().position(|&(n, _)| n == name)
}

/// The `.rs` files of `path` (a file, or a folder, recursively).
fn sources(path: &str) -> Vec<(String, String)> {
    fn walk(path: &std::path::Path, out: &mut Vec<(String, String)>) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                walk(&entry.unwrap().path(), out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let code = std::fs::read_to_string(path).unwrap();
            out.push((path.display().to_string(), code));
        }
    }
    let mut out = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path),
        &mut out,
    );
    assert!(!out.is_empty(), "{path} has sources");
    out
}

/// The first names of the `crate::` paths in `line`, `crate::{a, b}`
/// included.
fn imports(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in line.match_indices("crate::") {
        // `$crate::` is a macro's own path.
        if line[..i].ends_with('$') {
            continue;
        }
        let rest = &line[i + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group.split('}').next().unwrap_or("").split(',').collect(),
            None => vec![rest],
        };
        for name in names {
            let name: String = name
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

#[test]
fn imports_point_down() {
    let mut checked = 0;
    for (layer, (name, path)) in LAYERS.iter().enumerate() {
        for (file, code) in sources(path) {
            for (n, line) in code.lines().enumerate() {
                for used in imports(line) {
                    let to = rank(&used).unwrap_or_else(|| {
                        panic!("{file}:{}: `crate::{used}` is in no layer", n + 1)
                    });
                    assert!(
                        to <= layer,
                        "{file}:{}: {name} uses `crate::{used}`, a layer above it \
                         ({})",
                        n + 1,
                        LAYERS.map(|(n, _)| n).join(" > ")
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} imports found: is the scan right?"
    );
}

#[test]
fn every_module_is_in_a_layer() {
    let mut all = sources("src");
    all.retain(|(file, _)| !file.ends_with("/src/lib.rs") && !file.ends_with("/src/main.rs"));
    for (file, _) in all {
        assert!(
            LAYERS.iter().any(|(_, path)| {
                let path = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
                file == path || file.starts_with(&format!("{path}/"))
            }),
            "{file} is in no layer: add it to LAYERS"
        );
    }
}

#[test]
fn every_module_says_its_job_first() {
    for (file, code) in sources("src") {
        assert!(
            code.starts_with("//! "),
            "{file}: start with a `//!` line saying its job"
        );
    }
}

#[test]
fn the_raw_layer_uses_nothing_above_it() {
    for (file, code) in sources("src/sys") {
        for (n, line) in code.lines().enumerate() {
            for used in imports(line) {
                assert!(
                    used == "text",
                    "{file}:{}: the raw layer uses `crate::{used}`: only crate::text may be used \
                     from src/sys",
                    n + 1
                );
            }
        }
    }
}

#[test]
fn the_writer_uses_nothing() {
    let code =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/text.rs")).unwrap();
    assert!(
        !code.contains("use crate::"),
        "src/text.rs must stand alone"
    );
}

#[test]
fn the_scan_reads_groups_and_skips_macros() {
    assert_eq!(
        imports("use crate::{engine, cli::Arch};"),
        ["engine", "cli"]
    );
    assert_eq!(imports("$crate::text::Packed(1)"), Vec::<String>::new());
    assert_eq!(imports("let x = crate::sys::getpid();"), ["sys"]);
    assert_eq!(imports("use crate::text::{Buf, Packed};"), ["text"]);
}
