//! Snapshot comparison of normalised answers: redaction of volatile values
//! ([`redact`]), rendering of an answer as stable text ([`render`]), and the
//! on-disk store in insta's format under `snapshots/<profile>/` ([`store`]),
//! so recordings can be reviewed with `cargo insta review`.

pub mod redact;
pub mod render;
pub mod store;

pub use redact::Redactor;
pub use render::{render, render_parallel, render_race, Observation};
pub use store::{snapshot_name, SnapshotMode, SnapshotOutcome, SnapshotStore};
