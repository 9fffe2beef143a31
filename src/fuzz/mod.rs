//! The fuzzer: structured request plans (`plan`), rendered to wire requests
//! (`render`), run in sessions judged by the contract's oracle (`session`),
//! shrunk while the divergence persists (`shrink`), exported as scenarios
//! (`export`), and driven concurrently under a seed, a rate and a budget
//! (`runner`). How to run and measure it: `docs/fuzzing.md`.

pub mod export;
pub mod plan;
pub mod render;
pub mod runner;
pub mod session;
pub mod shrink;

pub use plan::{PlannedCall, Session};
pub use runner::{fuzz, plans, session_plan, Finding, FuzzOptions, FuzzReport, LaneError};
pub use session::{
    CaseVerdict, Class, Deviation, Driver, GivenFixtures, InProcess, InProcessDivergence,
    SessionFixtures, SetupError,
};
