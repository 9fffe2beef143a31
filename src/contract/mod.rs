//! The behaviour contract in code: operations, shapes, rules, the state
//! model and the oracle. It depends on nothing else of ctconform; the
//! emulator and the fuzz oracle both take every rule from here.

mod input;
mod operation;
pub mod oracle;
pub mod rules;
pub mod shapes;
pub mod state;
mod store_input;
mod violation;

pub use input::{json_type, Member};
pub use operation::Operation;
pub use oracle::{
    acceptable, judge_call, judge_read, read_call, Acceptable, Call, CallBody, Divergence, Judged,
    MediaType, Oracle, ReadCall, RequestedOperation, SuccessCheck,
};
pub use rules::{ErrorCode, Limit, LimitUnit, Rule, RuleId, Section, RULES};
pub use state::{DescribedStoreError, Evaluation, Fresh, Identity, Limits, Plan, Region, Store};
pub use violation::{Strictness, Violation};

#[cfg(test)]
mod tests;
