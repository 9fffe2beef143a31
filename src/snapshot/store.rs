//! The snapshot store: `snapshots/<profile>/<name>.snap` files in insta's
//! exact on-disk format, compared the way insta compares them, with pending
//! `<name>.snap.new` files beside them so `cargo insta review` and
//! `cargo insta accept` work on this harness's recordings.
//!
//! Format, as insta 1.x writes it (`Snapshot::save` / `save_new`): a YAML
//! metadata document (`---`, `source: ..`, optional `assertion_line: ..`
//! in pending files only, `expression: ..`), a `---` line, then the content
//! with trailing whitespace trimmed and CRLF turned into LF, then one `\n`.
//! Scalars are quoted exactly as insta's vendored YAML emitter quotes them,
//! so a file accepted by `cargo insta accept` is byte-identical to one
//! recorded here.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What [`SnapshotStore::check`] does with a rendered answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Compare with the stored snapshot; write `.snap.new` when it differs.
    Verify,
    /// Write the stored snapshot (when it changed).
    Record,
    /// Do nothing.
    Off,
}

/// The result of one [`SnapshotStore::check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotOutcome {
    /// The stored snapshot matches (Verify), or is already up to date (Record).
    Matched,
    /// Record mode wrote the `.snap` file.
    Recorded,
    /// Snapshots are off.
    Skipped,
    /// Verify mode found no stored snapshot; the answer is pending review.
    New { pending: PathBuf },
    /// Verify mode found a different stored snapshot: `-` stored, `+` actual.
    Differs { diff: String, pending: PathBuf },
}

/// The snapshots of one profile: `<root>/<profile>/`.
#[derive(Clone, Debug)]
pub struct SnapshotStore {
    dir: PathBuf,
}

/// The longest file stem [`snapshot_name`] produces.
const MAX_NAME_LEN: usize = 120;

const SNAP_EXT: &str = ".snap";
const PENDING_EXT: &str = ".snap.new";

/// A file stem safe on every OS: `<scenario>__<step>`, with characters
/// outside `[A-Za-z0-9._-]` replaced by `_`; a leading dot (hidden file),
/// trailing dots and Windows device names are defused, and overlong names
/// are shortened with a hash of the full name appended.
pub fn snapshot_name(scenario: &str, step: &str) -> String {
    let full = format!("{scenario}__{step}");
    let mut name: String = full
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with('.') {
        name.replace_range(..1, "_");
    }
    if name.len() > MAX_NAME_LEN {
        let hash = format!("{:016x}", fnv1a(full.as_bytes()));
        name.truncate(MAX_NAME_LEN - hash.len() - 1);
        name.push('-');
        name.push_str(&hash);
    }
    while name.ends_with('.') {
        name.pop();
        name.push('_');
    }
    let base = name.split('.').next().unwrap_or_default();
    if is_windows_device_name(base) {
        name.insert(0, '_');
    }
    name
}

fn is_windows_device_name(base: &str) -> bool {
    let upper = base.to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.len() == 4
            && upper.as_bytes()[3].is_ascii_digit())
}

/// FNV-1a, 64 bit: stable across runs, platforms and Rust versions.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// insta's comparison form: trailing whitespace trimmed, CRLF → LF.
pub fn normalize(content: &str) -> String {
    content.trim_end().replace("\r\n", "\n")
}

/// insta's legacy comparison form, which it also accepts as a match.
fn normalize_legacy(content: &str) -> String {
    let out = normalize(content);
    let out = out.trim_start_matches(['\r', '\n']);
    out.strip_prefix("---\n").unwrap_or(out).to_string()
}

/// Whether a stored snapshot matches an actual rendering, as insta decides.
pub fn contents_match(stored: &str, actual: &str) -> bool {
    normalize(stored) == normalize(actual) || normalize_legacy(stored) == normalize_legacy(actual)
}

/// The content of a `.snap` file, read as insta's `Snapshot::from_file`
/// reads it: skip the `---` metadata document (or, in the legacy format,
/// the header lines up to the first blank line), then join the remaining
/// lines with `\n`.
pub fn parse_snap(file: &str) -> String {
    let mut lines = file.split_inclusive('\n');
    let first = lines.next().unwrap_or_default();
    if first.trim_end() == "---" {
        for line in lines.by_ref() {
            if line.trim_end() == "---" {
                break;
            }
        }
    } else {
        for line in lines.by_ref() {
            if line.trim_end().is_empty() {
                break;
            }
        }
    }
    let rest: String = lines.collect();
    rest.lines().collect::<Vec<_>>().join("\n")
}

/// Whether insta's YAML emitter quotes this scalar (its `need_quotes`).
fn yaml_needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.starts_with(' ')
        || s.ends_with(' ')
        || s.starts_with(['&', '*', '?', '|', '-', '<', '>', '=', '!', '%', '@'])
        || s.contains(|c: char| {
            matches!(c, ':' | '{' | '}' | '[' | ']' | ',' | '#' | '`' | '"' | '\'' | '\\'
                | '\0'..='\x06' | '\t' | '\n' | '\r' | '\x0e'..='\x1a' | '\x1c'..='\x1f')
        })
        || [
            "yes", "Yes", "YES", "no", "No", "NO", "True", "TRUE", "true", "False", "FALSE",
            "false", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~",
        ]
        .contains(&s)
        || s.starts_with('.')
        || s.starts_with("0x")
        || s.parse::<i64>().is_ok()
        || s.parse::<f64>().is_ok()
}

/// A YAML scalar exactly as insta's emitter writes it (its `escape_str`).
fn yaml_scalar(s: &str) -> String {
    if !yaml_needs_quotes(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\0'..='\x1f' | '\x7f' => out.push_str(&format!("\\u{:04x}", c as u32)),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A whole snapshot file in insta's format. `assertion_line` appears only
/// in pending files, as in insta; empty `source`/`expression` are omitted,
/// as insta omits absent metadata.
pub fn serialize_snap(
    source: &str,
    expression: &str,
    assertion_line: Option<u32>,
    content: &str,
) -> String {
    let mut out = String::from("---\n");
    if !source.is_empty() {
        out.push_str(&format!("source: {}\n", yaml_scalar(source)));
    }
    if let Some(line) = assertion_line {
        out.push_str(&format!("assertion_line: {line}\n"));
    }
    if !expression.is_empty() {
        out.push_str(&format!("expression: {}\n", yaml_scalar(expression)));
    }
    if source.is_empty() && expression.is_empty() && assertion_line.is_none() {
        // insta's emitter writes an empty mapping as `{}`.
        out.push_str("{}\n");
    }
    out.push_str("---\n");
    out.push_str(&normalize(content));
    out.push('\n');
    out
}

/// A unified diff with 3 lines of context: `-` stored, `+` actual.
pub fn unified_diff(stored: &str, actual: &str) -> String {
    let old = format!("{}\n", normalize(stored));
    let new = format!("{}\n", normalize(actual));
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header("stored", "actual")
        .to_string()
}

/// Writes through a temporary file in the same directory and a rename, so
/// concurrent readers see the old file or the new one, never a torn one.
/// The temporary name is hidden and does not end in `.snap`/`.snap.new`.
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{file_name}.{}.{}.tmp",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

fn read_if_exists(path: &Path) -> io::Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn remove_if_exists(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl SnapshotStore {
    /// The store of `profile` under `root` (e.g. `"snapshots"`).
    pub fn new(root: impl Into<PathBuf>, profile: &str) -> Self {
        SnapshotStore {
            dir: root.into().join(profile),
        }
    }

    /// `<root>/<profile>`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the profile has at least one stored snapshot.
    pub fn exists(&self) -> bool {
        !self.snap_files().is_empty()
    }

    /// The stored snapshot of `name`.
    pub fn snap_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}{SNAP_EXT}"))
    }

    /// The pending (unreviewed) snapshot of `name`.
    pub fn pending_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}{PENDING_EXT}"))
    }

    /// Checks (Verify) or records (Record) one rendered answer.
    /// `source` and `expression` become the file's insta metadata (e.g. the
    /// scenario file and the step); they are not compared.
    pub fn check(
        &self,
        name: &str,
        source: &str,
        expression: &str,
        content: &str,
        mode: SnapshotMode,
    ) -> io::Result<SnapshotOutcome> {
        match mode {
            SnapshotMode::Off => Ok(SnapshotOutcome::Skipped),
            SnapshotMode::Record => self.record(name, source, expression, content),
            SnapshotMode::Verify => self.verify(name, source, expression, content),
        }
    }

    fn record(
        &self,
        name: &str,
        source: &str,
        expression: &str,
        content: &str,
    ) -> io::Result<SnapshotOutcome> {
        let path = self.snap_path(name);
        let wanted = serialize_snap(source, expression, None, content);
        remove_if_exists(&self.pending_path(name))?;
        if read_if_exists(&path)?.as_deref() == Some(wanted.as_str()) {
            return Ok(SnapshotOutcome::Matched);
        }
        write_atomic(&path, wanted.as_bytes())?;
        Ok(SnapshotOutcome::Recorded)
    }

    fn verify(
        &self,
        name: &str,
        source: &str,
        expression: &str,
        content: &str,
    ) -> io::Result<SnapshotOutcome> {
        let pending = self.pending_path(name);
        let stored = read_if_exists(&self.snap_path(name))?.map(|file| parse_snap(&file));
        if let Some(stored) = &stored {
            if contents_match(stored, content) {
                remove_if_exists(&pending)?;
                return Ok(SnapshotOutcome::Matched);
            }
        }
        let file = serialize_snap(source, expression, None, content);
        write_atomic(&pending, file.as_bytes())?;
        Ok(match stored {
            None => SnapshotOutcome::New { pending },
            Some(stored) => SnapshotOutcome::Differs {
                diff: unified_diff(&stored, content),
                pending,
            },
        })
    }

    /// Stored snapshots that no scenario step produces any more.
    pub fn stale(&self, live_names: &HashSet<String>) -> Vec<PathBuf> {
        self.snap_files()
            .into_iter()
            .filter(|path| {
                let file_name = path.file_name().unwrap_or_default().to_string_lossy();
                let stem = file_name.strip_suffix(SNAP_EXT).unwrap_or(&file_name);
                !live_names.contains(stem)
            })
            .collect()
    }

    /// The `.snap` files of the profile, sorted.
    fn snap_files(&self) -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(SNAP_EXT) && !n.starts_with('.'))
            })
            .collect();
        files.sort();
        files
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh, empty directory under the system temp dir.
    fn temp_dir(tag: &str) -> PathBuf {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ctconform-store-{tag}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn names_are_portable() {
        assert_eq!(snapshot_name("create", "dup name"), "create__dup_name");
        assert_eq!(snapshot_name("a/b", "c:d*é"), "a_b__c_d__");
        assert_eq!(snapshot_name(".hidden", "x."), "_hidden__x_");
        assert_eq!(snapshot_name("con.x", "y"), "_con.x__y");
        let long = snapshot_name(&"s".repeat(200), "step");
        assert_eq!(long.len(), MAX_NAME_LEN);
        assert_ne!(long, snapshot_name(&"s".repeat(200), "other"));
    }

    #[test]
    fn yaml_scalars_quote_like_insta() {
        assert_eq!(
            yaml_scalar("scenarios/create.toml"),
            "scenarios/create.toml"
        );
        assert_eq!(yaml_scalar("step: dup"), "\"step: dup\"");
        assert_eq!(yaml_scalar("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
        assert_eq!(yaml_scalar("true"), "\"true\"");
        assert_eq!(yaml_scalar("12"), "\"12\"");
        assert_eq!(yaml_scalar("-x"), "\"-x\"");
        assert_eq!(yaml_scalar(""), "\"\"");
    }

    #[test]
    fn serialises_and_parses() {
        let file = serialize_snap(
            "scenarios/a.toml",
            "create: dup",
            None,
            "status: 200\r\nok\n\n",
        );
        assert_eq!(
            file,
            "---\nsource: scenarios/a.toml\nexpression: \"create: dup\"\n---\nstatus: 200\nok\n"
        );
        assert_eq!(parse_snap(&file), "status: 200\nok");
        let pending = serialize_snap("s", "e", Some(7), "x");
        assert_eq!(
            pending,
            "---\nsource: s\nassertion_line: 7\nexpression: e\n---\nx\n"
        );
    }

    #[test]
    fn parses_legacy_format() {
        assert_eq!(
            parse_snap("Created: 2019\nExpression: x\n\nbody\nline\n"),
            "body\nline"
        );
    }

    #[test]
    fn matching_ignores_trailing_whitespace_and_crlf() {
        assert!(contents_match("a\nb", "a\r\nb\n\n  "));
        assert!(!contents_match("a\nb", "a\nc"));
        assert!(!contents_match(" a", "a"));
    }

    #[test]
    fn verify_new_then_differs_then_matched() {
        let root = temp_dir("verify");
        let store = SnapshotStore::new(&root, "aws");
        assert!(!store.exists());

        let out = store
            .check("s__a", "src", "expr", "one\n", SnapshotMode::Verify)
            .unwrap();
        let pending = store.pending_path("s__a");
        assert_eq!(
            out,
            SnapshotOutcome::New {
                pending: pending.clone()
            }
        );
        assert!(pending.exists());
        assert!(!store.exists());

        store
            .check("s__a", "src", "expr", "one\ntwo\n", SnapshotMode::Record)
            .unwrap();
        assert!(!pending.exists(), "recording clears the pending file");
        assert!(store.exists());

        match store
            .check("s__a", "src", "expr", "one\nthree\n", SnapshotMode::Verify)
            .unwrap()
        {
            SnapshotOutcome::Differs { diff, pending: p } => {
                assert_eq!(p, pending);
                assert!(diff.contains("--- stored\n+++ actual\n"), "{diff}");
                assert!(diff.contains("-two\n+three\n"), "{diff}");
            }
            other => panic!("expected Differs, got {other:?}"),
        }
        assert!(pending.exists());

        let out = store
            .check("s__a", "src", "expr", "one\ntwo", SnapshotMode::Verify)
            .unwrap();
        assert_eq!(out, SnapshotOutcome::Matched);
        assert!(!pending.exists(), "a match removes the stale pending file");
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn record_is_idempotent_and_off_does_nothing() {
        let root = temp_dir("record");
        let store = SnapshotStore::new(&root, "aws");
        let rec = |content: &str| {
            store
                .check("n", "src", "expr", content, SnapshotMode::Record)
                .unwrap()
        };
        assert_eq!(rec("a\n"), SnapshotOutcome::Recorded);
        let bytes = fs::read(store.snap_path("n")).unwrap();
        assert_eq!(rec("a\n"), SnapshotOutcome::Matched);
        assert_eq!(fs::read(store.snap_path("n")).unwrap(), bytes);
        assert_eq!(rec("b\n"), SnapshotOutcome::Recorded);
        assert_eq!(
            store
                .check("m", "src", "expr", "x", SnapshotMode::Off)
                .unwrap(),
            SnapshotOutcome::Skipped
        );
        assert!(!store.snap_path("m").exists());
        let leftovers: Vec<_> = fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("n.snap")]);
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn stale_lists_snapshots_no_longer_produced() {
        let root = temp_dir("stale");
        let store = SnapshotStore::new(&root, "aws");
        for name in ["a", "b", "c"] {
            store
                .check(name, "", "", name, SnapshotMode::Record)
                .unwrap();
        }
        store.check("d", "", "", "d", SnapshotMode::Verify).unwrap();
        let live: HashSet<String> = ["b".to_string()].into_iter().collect();
        assert_eq!(
            store.stale(&live),
            vec![store.snap_path("a"), store.snap_path("c")]
        );
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn concurrent_writes_never_tear() {
        let root = temp_dir("concurrent");
        let store = SnapshotStore::new(&root, "aws");
        std::thread::scope(|scope| {
            for i in 0..8 {
                let store = &store;
                scope.spawn(move || {
                    for j in 0..20 {
                        let content = format!("writer {i} round {j}\n").repeat(50);
                        store
                            .check("shared", "s", "e", &content, SnapshotMode::Record)
                            .unwrap();
                    }
                });
            }
        });
        let text = parse_snap(&fs::read_to_string(store.snap_path("shared")).unwrap());
        let first = text.lines().next().unwrap().to_string();
        assert!(text.lines().all(|l| l == first));
        assert_eq!(text.lines().count(), 50);
        fs::remove_dir_all(root).unwrap();
    }
}
