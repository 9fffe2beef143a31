//! OP1-OP5: the supporting operations the harness relies on (contract §5).
//! Their checks read the account, so they live with the model
//! (`contract::state`, `contract::store_input`).

use super::{Limit, LimitUnit, Rule, RuleId, Section};
use crate::contract::rules::ErrorCode::*;
use crate::contract::shapes;

/// Event data stores per Region, pending deletion included (the CloudTrail
/// quotas page; the user guide's "Delete an event data store").
pub const STORE_QUOTA: Limit = Limit {
    name: "store-quota",
    member: "",
    counts: LimitUnit::Entries,
    min: 0,
    max: shapes::STORE_QUOTA,
};

pub(super) static OP1: Rule = Rule {
    id: RuleId::OP1,
    section: Section::Supporting,
    documented: true,
    open: false,
    limits: &[STORE_QUOTA],
    words: "CreateEventDataStore: ENABLED on success, names unique, at most {store-quota.max} per region",
    errors: &[EventDataStoreAlreadyExistsException, EventDataStoreMaxLimitExceededException],
    cites: "API reference CreateEventDataStore; CloudTrail quotas (event data stores per Region)",
};

pub(super) static OP2: Rule = Rule {
    id: RuleId::OP2,
    section: Section::Supporting,
    documented: true,
    open: false,
    limits: &[],
    words: "an ActivityAuditLog event data store cannot stop ingestion",
    errors: &[InvalidEventDataStoreCategoryException],
    cites: "API reference StopEventDataStoreIngestion, StartEventDataStoreIngestion",
};

pub(super) static OP3: Rule = Rule {
    id: RuleId::OP3,
    section: Section::Supporting,
    documented: true,
    open: false,
    limits: &[],
    words: "DeleteEventDataStore is refused while a channel points at the store; otherwise PENDING_DELETION",
    errors: &[ChannelExistsForEDSException],
    cites: "API reference DeleteEventDataStore (ChannelExistsForEDSException)",
};

pub(super) static OP4: Rule = Rule {
    id: RuleId::OP4,
    section: Section::Supporting,
    documented: true,
    open: true,
    limits: &[],
    words: "channel operations take an ARN or id; a well-formed one naming no channel gives ChannelNotFoundException, a value that is neither ChannelARNInvalidException or ChannelNotFoundException",
    errors: &[ChannelNotFoundException, ChannelARNInvalidException, InvalidParameterException, ValidationException],
    cites: "API reference GetChannel, UpdateChannel, DeleteChannel (Channel: ARN or id); model: ChannelArn pattern",
};

pub(super) static OP5: Rule = Rule {
    id: RuleId::OP5,
    section: Section::Supporting,
    documented: true,
    open: false,
    limits: &[],
    words: "UpdateChannel onto another channel's Name is refused",
    errors: &[ChannelAlreadyExistsException],
    cites:
        "model: UpdateChannel errors (ChannelAlreadyExistsException); API reference UpdateChannel",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op1_states_the_store_quota() {
        assert!(OP1
            .summary()
            .contains(&format!("at most {} per region", STORE_QUOTA.max)));
        assert_eq!(STORE_QUOTA.max, shapes::STORE_QUOTA);
    }

    /// OP4's set: NotFound for a well-formed reference naming nothing,
    /// ARN-invalid or NotFound for one that is neither ARN nor id (§5).
    #[test]
    fn op4_is_open_and_leads_with_not_found() {
        assert!(OP4.open);
        assert_eq!(
            &OP4.errors[..2],
            &[ChannelNotFoundException, ChannelARNInvalidException]
        );
    }
}
