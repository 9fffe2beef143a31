//! Interop between `SnapshotStore` and insta itself: files the store writes
//! are read and matched by insta (its assertion macro and its file parser),
//! files insta writes are matched by the store, and `cargo insta accept`'s
//! re-serialisation of a pending file is byte-identical to a recording.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ctconform::snapshot::{SnapshotMode, SnapshotOutcome, SnapshotStore};

const CONTENT: &str = r#"status: 400
error: ChannelAlreadyExistsException
message: a channel named "ctc-[run-id]-dup" exists: [channel-arn-1]
body:
{
  "__type": "ChannelAlreadyExistsException",
  "message": "a channel named \"ctc-[run-id]-dup\" exists: [channel-arn-1]"
}
"#;

/// A fresh, empty directory under the system temp dir.
fn temp_dir(tag: &str) -> PathBuf {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ctconform-insta-{tag}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn text_of(snapshot: &insta::Snapshot) -> String {
    snapshot.as_text().expect("a text snapshot").to_string()
}

#[test]
fn insta_assert_accepts_a_recorded_snapshot() {
    let root = temp_dir("assert");
    let store = SnapshotStore::new(&root, "aws");
    // The metadata insta itself would write for the assertion below, so the
    // match holds even under `INSTA_REQUIRE_FULL_MATCH`.
    let outcome = store
        .check(
            "create__duplicate",
            "tests/integration/snapshot_insta.rs",
            "CONTENT",
            CONTENT,
            SnapshotMode::Record,
        )
        .unwrap();
    assert_eq!(outcome, SnapshotOutcome::Recorded);

    // On a match insta writes nothing, whatever INSTA_UPDATE / CI say.
    insta::with_settings!({
        snapshot_path => store.dir(),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("create__duplicate", CONTENT);
    });
    assert!(!store.pending_path("create__duplicate").exists());

    // ...and insta really consulted that file: other content fails.
    let dir = store.dir().to_path_buf();
    let mismatch = std::panic::catch_unwind(|| {
        insta::with_settings!({
            snapshot_path => &dir,
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!("create__duplicate", "status: 200");
        });
    });
    // (Unless the environment tells insta to let mismatches pass.)
    let lenient = std::env::var_os("INSTA_FORCE_PASS").is_some()
        || matches!(
            std::env::var("INSTA_UPDATE").as_deref(),
            Ok("always" | "1" | "force")
        );
    assert!(mismatch.is_err() || lenient);
    fs::remove_dir_all(root).unwrap();
}

#[test]
fn insta_parses_store_files_and_reserialises_them_byte_for_byte() {
    let root = temp_dir("parse");
    let store = SnapshotStore::new(&root, "aws");
    let source = "scenarios/create.toml";
    let expression = "step: duplicate name, #2";
    store
        .check("a", source, expression, CONTENT, SnapshotMode::Record)
        .unwrap();
    store
        .check("b", source, expression, CONTENT, SnapshotMode::Verify)
        .unwrap();

    for path in [store.snap_path("a"), store.pending_path("b")] {
        let snapshot = insta::Snapshot::from_file(&path).unwrap();
        assert_eq!(snapshot.metadata().source(), Some(source));
        assert_eq!(snapshot.metadata().expression(), Some(expression));
        assert_eq!(text_of(&snapshot), CONTENT.trim_end());
    }

    // `cargo insta accept` loads the pending file and `save`s it over the
    // target: the result must be what Record writes, so accepting and
    // re-recording never disagree in git.
    let pending = insta::Snapshot::from_file(&store.pending_path("b")).unwrap();
    let accepted = root.join("accepted.snap");
    pending.save(&accepted).unwrap();
    assert_eq!(
        fs::read(&accepted).unwrap(),
        fs::read(store.snap_path("a")).unwrap()
    );
    fs::remove_dir_all(root).unwrap();
}

/// A file as insta writes it, with metadata the store never writes.
const INSTA_WRITTEN: &str = r#"---
source: tests/other.rs
description: written by insta
expression: "render(&obs, &mut redactor)"
input_file: scenarios/create.toml
---
status: 400
error: ChannelAlreadyExistsException
message: a channel named "ctc-[run-id]-dup" exists: [channel-arn-1]
body:
{
  "__type": "ChannelAlreadyExistsException",
  "message": "a channel named \"ctc-[run-id]-dup\" exists: [channel-arn-1]"
}
"#;

#[test]
fn store_matches_a_file_written_by_insta() {
    let root = temp_dir("reverse");
    let store = SnapshotStore::new(&root, "aws");
    fs::create_dir_all(store.dir()).unwrap();

    // Literal insta format, then insta's own re-serialisation of it.
    fs::write(store.snap_path("literal"), INSTA_WRITTEN).unwrap();
    let parsed = insta::Snapshot::from_file(&store.snap_path("literal")).unwrap();
    assert_eq!(text_of(&parsed), CONTENT.trim_end());
    parsed.save(&store.snap_path("resaved")).unwrap();
    // Legacy (pre-YAML) format, which insta still reads.
    fs::write(
        store.snap_path("legacy"),
        format!("Created: 2019-01-01\nCreator: insta@0.6\nExpression: x\n\n{CONTENT}"),
    )
    .unwrap();

    for name in ["literal", "resaved", "legacy"] {
        let outcome = store
            .check(name, "s", "e", CONTENT, SnapshotMode::Verify)
            .unwrap();
        assert_eq!(outcome, SnapshotOutcome::Matched, "{name}");
        // insta's whitespace normalisation: trailing blanks, CRLF.
        let crlf = format!("{}\n\n   \n", CONTENT.replace('\n', "\r\n"));
        let outcome = store
            .check(name, "s", "e", &crlf, SnapshotMode::Verify)
            .unwrap();
        assert_eq!(outcome, SnapshotOutcome::Matched, "{name} (crlf)");
    }
    assert!(store.stale(&Default::default()).len() == 3);
    fs::remove_dir_all(root).unwrap();
}

#[test]
fn mismatch_gives_a_readable_diff_and_a_reviewable_pending_file() {
    let root = temp_dir("mismatch");
    let store = SnapshotStore::new(&root, "aws");
    store
        .check("s__step", "src", "expr", CONTENT, SnapshotMode::Record)
        .unwrap();
    let actual = CONTENT.replace("status: 400", "status: 409");
    let SnapshotOutcome::Differs { diff, pending } = store
        .check(
            "s__step",
            "scenarios/s.toml",
            "step",
            &actual,
            SnapshotMode::Verify,
        )
        .unwrap()
    else {
        panic!("expected Differs");
    };
    assert_eq!(
        diff,
        "--- stored\n+++ actual\n@@ -1,4 +1,4 @@\n-status: 400\n+status: 409\n error: ChannelAlreadyExistsException\n message: a channel named \"ctc-[run-id]-dup\" exists: [channel-arn-1]\n body:\n"
    );
    assert_eq!(pending, store.pending_path("s__step"));
    assert_eq!(
        pending.file_name().unwrap().to_str().unwrap(),
        "s__step.snap.new"
    );

    let text = fs::read_to_string(&pending).unwrap();
    assert!(
        text.starts_with("---\nsource: scenarios/s.toml\nexpression: step\n---\nstatus: 409\n"),
        "{text}"
    );
    let snapshot = insta::Snapshot::from_file(&pending).unwrap();
    assert_eq!(snapshot.metadata().source(), Some("scenarios/s.toml"));
    assert_eq!(snapshot.metadata().expression(), Some("step"));
    assert_eq!(text_of(&snapshot), actual.trim_end());

    // The stored snapshot is untouched until reviewed.
    let stored = insta::Snapshot::from_file(&store.snap_path("s__step")).unwrap();
    assert_eq!(text_of(&stored), CONTENT.trim_end());
    assert!(Path::new(&pending).exists());
    fs::remove_dir_all(root).unwrap();
}
