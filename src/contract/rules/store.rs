//! E1-E4: what an `EVENT_DATA_STORE` destination's `Location` names
//! (contract §2). The lookup reads the account, so the model
//! (`contract::state`) resolves the location and [`check`] judges the answer.

use super::{Rule, RuleId, Section};
use crate::contract::rules::ErrorCode::{self, *};
use crate::contract::shapes::{StoreStatus, ACTIVITY_AUDIT_LOG};
use crate::contract::violation::Violation;

pub(super) static E1: Rule = Rule {
    id: RuleId::E1,
    section: Section::Input,
    documented: true,
    open: true,
    limits: &[],
    words: "an EVENT_DATA_STORE location is an event data store ARN or its bare id",
    errors: &[
        EventDataStoreARNInvalidException,
        EventDataStoreNotFoundException,
    ],
    cites: "API reference CreateChannel (Destinations); user guide, create a channel with the AWS CLI (passes the id)",
};

pub(super) static E2: Rule = Rule {
    id: RuleId::E2,
    section: Section::Input,
    documented: true,
    open: true,
    limits: &[],
    words: "the event data store exists in the caller's account and region",
    errors: &[
        EventDataStoreNotFoundException,
        EventDataStoreARNInvalidException,
    ],
    cites: "model: CreateChannel errors; API reference CreateChannel",
};

pub(super) static E3: Rule = Rule {
    id: RuleId::E3,
    section: Section::Input,
    documented: true,
    open: false,
    limits: &[],
    words: "the event data store collects events from outside AWS (eventCategory ActivityAuditLog)",
    errors: &[InvalidEventDataStoreCategoryException],
    cites: "API reference CreateChannel (InvalidEventDataStoreCategoryException); user guide, integrations with events from outside AWS",
};

pub(super) static E4: Rule = Rule {
    id: RuleId::E4,
    section: Section::Input,
    documented: true,
    open: true,
    limits: &[],
    words: "the event data store is active (ENABLED)",
    errors: &[
        InactiveEventDataStoreException,
        EventDataStoreNotFoundException,
    ],
    cites: "API reference CreateChannel (InactiveEventDataStoreException)",
};

/// How a reference to an event data store (ARN or bare id) resolves in the
/// account; `S` is what the model knows of a store it found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::contract) enum StoreLookup<S> {
    Found(S),
    MalformedArn,
    ForeignArn,
    UnknownArn,
    UnknownId,
}

impl<S> StoreLookup<S> {
    pub(in crate::contract) fn map<T>(self, f: impl FnOnce(S) -> T) -> StoreLookup<T> {
        match self {
            StoreLookup::Found(store) => StoreLookup::Found(f(store)),
            StoreLookup::MalformedArn => StoreLookup::MalformedArn,
            StoreLookup::ForeignArn => StoreLookup::ForeignArn,
            StoreLookup::UnknownArn => StoreLookup::UnknownArn,
            StoreLookup::UnknownId => StoreLookup::UnknownId,
        }
    }
}

/// E1..E4 for one EVENT_DATA_STORE location, given how it resolved and, when
/// it names a store, the store's category and status.
pub(in crate::contract) fn check(
    index: usize,
    lookup: StoreLookup<(&str, StoreStatus)>,
    violations: &mut Vec<Violation>,
) {
    // Written out only when a rule is broken: most locations are fine.
    let at = || format!("Destinations[{index}].Location");
    let (category, status) = match lookup {
        StoreLookup::Found(store) => store,
        StoreLookup::MalformedArn => {
            let codes: &'static [ErrorCode] = &[EventDataStoreARNInvalidException];
            return violations.push(Violation::with_codes(
                RuleId::E1,
                codes,
                format!("{} is not an event data store ARN", at()),
            ));
        }
        StoreLookup::UnknownId => {
            return violations.push(Violation::of(
                RuleId::E1,
                format!(
                    "{} is neither an event data store ARN nor a known store id",
                    at()
                ),
            ));
        }
        StoreLookup::ForeignArn => {
            return violations.push(Violation::of(
                RuleId::E2,
                format!(
                    "{} names an event data store of another account or region",
                    at()
                ),
            ));
        }
        StoreLookup::UnknownArn => {
            let codes: &'static [ErrorCode] = &[EventDataStoreNotFoundException];
            return violations.push(Violation::with_codes(
                RuleId::E2,
                codes,
                format!("{} names no event data store", at()),
            ));
        }
    };
    if category != ACTIVITY_AUDIT_LOG {
        violations.push(Violation::of(
            RuleId::E3,
            format!(
                "{} is a store of category {category}, not ActivityAuditLog",
                at()
            ),
        ));
    }
    match status {
        StoreStatus::Enabled => {}
        StoreStatus::PendingDeletion => violations.push(Violation::of(
            RuleId::E4,
            format!("{} is pending deletion", at()),
        )),
        StoreStatus::StoppedIngestion => {
            let codes: &'static [ErrorCode] = &[InactiveEventDataStoreException];
            violations.push(Violation::with_codes(
                RuleId::E4,
                codes,
                format!("{} has stopped ingestion", at()),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broken(lookup: StoreLookup<(&str, StoreStatus)>) -> Vec<(RuleId, Vec<ErrorCode>)> {
        let mut violations = Vec::new();
        check(0, lookup, &mut violations);
        violations
            .into_iter()
            .map(|v| (v.rule, v.codes.to_vec()))
            .collect()
    }

    #[test]
    fn an_enabled_activity_store_passes() {
        assert!(broken(StoreLookup::Found((
            ACTIVITY_AUDIT_LOG,
            StoreStatus::Enabled
        )))
        .is_empty());
    }

    #[test]
    fn each_lookup_failure_breaks_its_rule_with_its_codes() {
        assert_eq!(
            broken(StoreLookup::MalformedArn),
            [(RuleId::E1, vec![EventDataStoreARNInvalidException])]
        );
        assert_eq!(
            broken(StoreLookup::UnknownId),
            [(RuleId::E1, E1.errors.to_vec())]
        );
        assert_eq!(
            broken(StoreLookup::ForeignArn),
            [(RuleId::E2, E2.errors.to_vec())]
        );
        assert_eq!(
            broken(StoreLookup::UnknownArn),
            [(RuleId::E2, vec![EventDataStoreNotFoundException])]
        );
    }

    #[test]
    fn category_and_status_are_both_judged() {
        let found = broken(StoreLookup::Found((
            "Management",
            StoreStatus::PendingDeletion,
        )));
        let rules: Vec<RuleId> = found.into_iter().map(|(rule, _)| rule).collect();
        assert_eq!(rules, [RuleId::E3, RuleId::E4]);
        assert_eq!(
            broken(StoreLookup::Found((
                ACTIVITY_AUDIT_LOG,
                StoreStatus::StoppedIngestion
            ))),
            [(RuleId::E4, vec![InactiveEventDataStoreException])]
        );
    }
}
