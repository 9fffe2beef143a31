//! The behaviour contract in code: operations, shapes, rules and the oracle.
//! It depends on nothing else of ctconform; the emulator and the fuzz oracle
//! both take every rule from here.

mod operation;
mod rules_stub;

pub use operation::Operation;
pub use rules_stub::is_rule_id;
