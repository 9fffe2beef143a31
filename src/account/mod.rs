//! The account as ctconform sees it, one model for the scenario runner and
//! the fuzzer: how the endpoint says "not implemented" (`probe`), reading
//! whole listings (`listing`), the reusable fixture stores
//! `ctconform-fixture-*` (`fixtures`), the cleanup ledger of what a run made
//! (`ledger`), run ids and the names that carry them (`run_id`), the endpoint
//! lock channel (`endpoint_lock`), and sweeping what runs left behind
//! (`sweep`), and the Regions a run uses besides its own (`regions`). It speaks the wire and reads the contract; it knows nothing of
//! scenarios' verdicts or fuzz sessions.

mod endpoint_lock;
mod fixtures;
mod ledger;
mod listing;
mod probe;
mod regions;
mod run_id;
mod shape;
mod sweep;

pub use endpoint_lock::{acquire_lock, busy_message, found_busy, NotLocked, LOCK_CHANNEL_NAME};
pub use fixtures::{
    fixture_store_request, is_fixture_store_name, missing_fixture, prepare_fixtures, stable_stores,
    FixtureError, FixtureRole, FixtureVars,
};
pub use ledger::{delete, Created, Ledger, Resource};
pub use listing::{held, list_all, list_channels, list_stores, ListError};
pub use probe::{unimplemented, UnknownAnswer};
pub use regions::{second_region, third_region};
pub use run_id::{new_run_id, run_id_age};
pub use shape::{describe, success_problem};
pub use sweep::{run_id_of, sweep, SweepReport, SweepTarget};
