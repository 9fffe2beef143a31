//! OK1-OK4: what a successful CreateChannel promises (contract §4). The
//! model (`contract::state`) builds the answers and the oracle judges them.

use super::{Rule, RuleId, Section};
use crate::contract::rules::ErrorCode::*;

pub(super) static OK1: Rule = Rule {
    id: RuleId::OK1,
    section: Section::Success,
    documented: true,
    open: false,
    limits: &[],
    words: "success is 200 with a fresh ChannelArn and Name, Source, Destinations (and Tags when sent) echoed as sent",
    errors: &[],
    cites: "API reference CreateChannel (response elements); model: CreateChannelResponse",
};

pub(super) static OK2: Rule = Rule {
    id: RuleId::OK2,
    section: Section::Success,
    documented: true,
    open: false,
    limits: &[],
    words: "read after write: GetChannel (by ARN or id) and ListChannels show the created channel",
    errors: &[],
    cites: "API reference GetChannel, ListChannels",
};

pub(super) static OK3: Rule = Rule {
    id: RuleId::OK3,
    section: Section::Success,
    documented: true,
    open: false,
    limits: &[],
    words: "DeleteChannel frees the Name and the partner Source",
    errors: &[],
    cites: "API reference DeleteChannel",
};

pub(super) static OK4: Rule = Rule {
    id: RuleId::OK4,
    section: Section::Success,
    documented: true,
    open: false,
    limits: &[],
    words: "of N simultaneous creates of one Name exactly one succeeds; nothing is half-created",
    errors: &[ChannelAlreadyExistsException],
    cites: "by C1 (API reference CreateChannel)",
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Success rules describe answers, not refusals, except OK4 whose losers
    /// meet C1.
    #[test]
    fn only_ok4_names_a_refusal_and_it_is_c1s() {
        for rule in [&OK1, &OK2, &OK3] {
            assert!(rule.errors.is_empty(), "{}", rule.id);
        }
        assert_eq!(OK4.errors, crate::contract::rules::RuleId::C1.rule().errors);
    }
}
