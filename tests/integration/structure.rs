//! The library's files import each other without cycles: each file can be
//! read knowing only the files below it. A file depends on another when it
//! names one of its items through `crate::` or `super::` (in a `use` or
//! inline); a name a file re-exports (`pub use`) is followed to the file
//! that defines it. Test modules (`#[cfg(test)] mod ...`) are left out:
//! they may import anything. Read as text, the way rustc resolves paths,
//! without macros or glob imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[test]
fn no_file_of_the_library_imports_itself_through_others() {
    let crate_ = Crate::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path());
    let cycles = crate_.cycles();
    assert!(
        cycles.is_empty(),
        "import cycles between files: {cycles:#?}"
    );
}

#[test]
fn a_cycle_is_found_through_a_re_export() {
    let temp = crate::harness::TempDir::new("structure");
    let dir = &temp.0;
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("lib.rs", "pub mod a;\nmod b;\n");
    write("a/mod.rs", "mod x;\nmod y;\npub use x::X;\n");
    write("a/x.rs", "use super::y::Y;\npub struct X;\n");
    write(
        "a/y.rs",
        "pub struct Y(crate::a::X);\n#[cfg(test)]\nmod tests {\n    use crate::b::B;\n}\n",
    );
    write("b.rs", "use crate::a::X;\npub struct B;\n");
    let cycles = Crate::read(dir).cycles();
    assert_eq!(
        cycles,
        BTreeSet::from([vec!["a/x.rs".to_string(), "a/y.rs".to_string()]])
    );
}

/// The library's files, by module path.
struct Crate {
    /// Module path (`["runner", "result"]`) → file, relative to `src/`.
    files: BTreeMap<Vec<String>, String>,
    /// File → its text, test modules cut.
    texts: BTreeMap<String, String>,
}

impl Crate {
    fn read(src: &Path) -> Crate {
        let mut files = BTreeMap::new();
        let mut texts = BTreeMap::new();
        let mut test_only = BTreeSet::new();
        for path in rust_files(src) {
            let relative = path
                .strip_prefix(src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if relative == "main.rs" {
                continue; // the binary, a crate of its own
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let module = module_path(&relative);
            // `#[cfg(test)] mod tests;`: a file only tests compile.
            for (before, line) in text.lines().zip(text.lines().skip(1)) {
                if before.trim() == "#[cfg(test)]" {
                    if let Some(name) = line
                        .trim()
                        .strip_prefix("mod ")
                        .and_then(|r| r.strip_suffix(';'))
                    {
                        let mut child = module.clone();
                        child.push(name.to_string());
                        test_only.insert(child);
                    }
                }
            }
            texts.insert(relative.clone(), cut_tests(&text));
            files.insert(module, relative);
        }
        files.retain(|module, _| !test_only.iter().any(|t| module.starts_with(t)));
        texts.retain(|file, _| files.values().any(|f| f == file));
        Crate { files, texts }
    }

    /// Each cycle of two or more files, as its sorted files.
    fn cycles(&self) -> BTreeSet<Vec<String>> {
        let edges: BTreeMap<&str, BTreeSet<String>> = self
            .files
            .iter()
            .map(|(module, file)| (file.as_str(), self.dependencies(module, file)))
            .collect();
        let mut cycles = BTreeSet::new();
        for start in edges.keys() {
            // The files that reach `start` and that `start` reaches.
            let from = reachable(&edges, start);
            let mut cycle: Vec<String> = from
                .iter()
                .filter(|file| reachable(&edges, file).contains(*start))
                .cloned()
                .collect();
            if !cycle.is_empty() {
                cycle.push(start.to_string());
                cycle.sort();
                cycle.dedup();
                if cycle.len() > 1 {
                    cycles.insert(cycle);
                }
            }
        }
        cycles
    }

    /// The files `file` (module `module`) names items of.
    fn dependencies(&self, module: &[String], file: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        for path in paths(&self.texts[file]) {
            if let Some(target) = self.resolve(module, &path, 0) {
                if target != file {
                    found.insert(target);
                }
            }
        }
        found
    }

    /// The file defining what `path` (`crate::a::B`, `super::b::C`) names,
    /// seen from `module`, following the re-exports of module roots.
    fn resolve(&self, module: &[String], path: &[String], depth: usize) -> Option<String> {
        let absolute = absolute(module, path)?;
        // The longest prefix that is a module of its own.
        let (length, file) = (0..=absolute.len())
            .rev()
            .find_map(|n| self.files.get(&absolute[..n]).map(|file| (n, file.clone())))?;
        let Some(item) = absolute.get(length) else {
            return Some(file);
        };
        if depth < 8 {
            let here = absolute[..length].to_vec();
            for reexport in reexports(&self.texts[&file]) {
                if reexport.last() == Some(item) {
                    return self.resolve(&here, &reexport, depth + 1);
                }
            }
        }
        Some(file)
    }
}

/// `crate::`/`super::`/`self::` paths made absolute, without `crate`.
fn absolute(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = module.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("super") | Some("self") => {
            while let Some(step) = rest.first().map(String::as_str) {
                match step {
                    "super" => {
                        base.pop()?;
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
        // `use x::y` inside a module root names its child module `x`.
        _ => {}
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// Every `crate::`/`super::`/`self::` path of `text`, use trees expanded.
fn paths(text: &str) -> Vec<Vec<String>> {
    let text = strip_comments(text);
    let (statements, rest) = use_statements(&text);
    let mut found: Vec<Vec<String>> = statements
        .iter()
        .flat_map(|statement| expand(statement))
        .filter(|p| {
            matches!(
                p.first().map(String::as_str),
                Some("crate" | "super" | "self")
            )
        })
        .collect();
    // Inline paths: `crate::account::new_run_id()`.
    for (at, _) in rest
        .match_indices("crate::")
        .chain(rest.match_indices("super::"))
    {
        if rest[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let path: String = rest[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        found.push(
            path.split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        );
    }
    found
}

/// The paths a file re-exports (`pub use x::{A, B}`), relative to it.
fn reexports(text: &str) -> Vec<Vec<String>> {
    let text = strip_comments(text);
    use_statements(&text)
        .0
        .into_iter()
        .filter(|s| s.starts_with("pub"))
        .flat_map(|s| expand(&s))
        .collect()
}

/// The tree of each `use ...;` statement (marked `pub` when it is a
/// re-export), and the text without them.
fn use_statements(text: &str) -> (Vec<String>, String) {
    let mut statements = Vec::new();
    let mut rest_text = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("use ") {
        let before = &rest[..at];
        let line_start = before.rfind('\n').map_or(0, |n| n + 1);
        let prefix = before[line_start..].trim();
        let public = prefix.starts_with("pub");
        if !(prefix.is_empty() || public) {
            rest_text.push_str(&rest[..at + 4]);
            rest = &rest[at + 4..];
            continue;
        }
        let end = rest[at..].find(';').map_or(rest.len(), |n| at + n);
        rest_text.push_str(&rest[..line_start]);
        let body = rest[at + 4..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        statements.push(if public { format!("pub {body}") } else { body });
        rest = &rest[(end + 1).min(rest.len())..];
    }
    rest_text.push_str(rest);
    (statements, rest_text)
}

/// `a::{b, c::{d, e as f}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(statement: &str) -> Vec<Vec<String>> {
    let tree = statement
        .trim_start_matches("pub ")
        .trim_start_matches("pub(crate)")
        .trim();
    let mut out = Vec::new();
    expand_into(&[], tree, &mut out);
    out
}

fn expand_into(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut base = prefix.to_vec();
        base.extend(head);
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand_into(&base, &inner[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand_into(&base, &inner[start..], out);
        return;
    }
    let name = tree.split(" as ").next().unwrap_or(tree).trim();
    if name.is_empty() || name.ends_with('*') {
        return;
    }
    let mut path = prefix.to_vec();
    path.extend(
        name.split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    );
    // `a::{self, B}` names the module `a`.
    if path.len() > 1 && path.last().map(String::as_str) == Some("self") {
        path.pop();
    }
    out.push(path);
}

/// The text without `//` comments (doc comments name paths in prose).
fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text up to its test module.
fn cut_tests(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let end = (0..lines.len())
        .find(|&i| {
            lines[i].trim() == "#[cfg(test)]"
                && lines.get(i + 1).is_some_and(|next| {
                    next.trim_start().starts_with("mod ") && next.trim_end().ends_with('{')
                })
        })
        .unwrap_or(lines.len());
    lines[..end].join("\n")
}

fn module_path(relative: &str) -> Vec<String> {
    let trimmed = relative.trim_end_matches(".rs");
    let mut parts: Vec<String> = trimmed.split('/').map(str::to_string).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn reachable(edges: &BTreeMap<&str, BTreeSet<String>>, start: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = edges.get(start).into_iter().flatten().cloned().collect();
    while let Some(file) = todo.pop() {
        if seen.insert(file.clone()) {
            todo.extend(edges.get(file.as_str()).into_iter().flatten().cloned());
        }
    }
    seen
}
