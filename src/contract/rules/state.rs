//! C1-C3: what CreateChannel checks against the account (contract §3). The
//! checks read the account's channels, so they live with the model
//! (`contract::state`); the quota's value is `shapes::CHANNEL_QUOTA`, an account fact.

use super::{Limit, LimitUnit, Rule, RuleId, Section};
use crate::contract::rules::ErrorCode::*;
use crate::contract::shapes;

/// Integration channels per account and Region (the CloudTrail quotas page:
/// 25, not adjustable; per Region is the contract's reading). An endpoint's
/// profile may set another (`state::Limits`).
pub const CHANNEL_QUOTA: Limit = Limit {
    name: "channel-quota",
    member: "",
    counts: LimitUnit::Entries,
    min: 0,
    max: shapes::CHANNEL_QUOTA,
};

pub(super) static C1: Rule = Rule {
    id: RuleId::C1,
    section: Section::State,
    documented: true,
    open: false,
    limits: &[],
    words: "no channel of the same Name exists in the account and region",
    errors: &[ChannelAlreadyExistsException],
    cites: "API reference CreateChannel (ChannelAlreadyExistsException)",
};

pub(super) static C2: Rule = Rule {
    id: RuleId::C2,
    section: Section::State,
    documented: true,
    open: false,
    limits: &[],
    words: "at most one channel per partner Source; Custom may back many",
    errors: &[ChannelAlreadyExistsException],
    cites: "API reference CreateChannel (ChannelAlreadyExistsException: a channel for the source exists); user guide, integrations",
};

pub(super) static C3: Rule = Rule {
    id: RuleId::C3,
    section: Section::State,
    documented: true,
    open: false,
    limits: &[CHANNEL_QUOTA],
    words: "the number of channels stays within the quota ({channel-quota.max})",
    errors: &[ChannelMaxLimitExceededException],
    cites: "CloudTrail quotas (user guide, Quotas in AWS CloudTrail: channels per account)",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c3_states_the_quota() {
        assert_eq!(
            C3.summary(),
            format!(
                "the number of channels stays within the quota ({})",
                CHANNEL_QUOTA.max
            )
        );
    }
}
