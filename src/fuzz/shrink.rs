//! Shrinking a divergent session while the divergence persists: greedy
//! delta debugging over the plan's structure (drop earlier steps, then
//! simplify each step: plain envelope, members dropped, tags and
//! destinations dropped, values replaced by the canonical valid one),
//! replaying every candidate against the live target. A candidate keeps the
//! divergence when its last step diverges in the same class on a subset of
//! the same contract rules, and no earlier step diverges.

use std::future::Future;

use super::plan::{
    groups, Action, By, Category, ChannelInput, ChannelRef, DestinationKind, Destinations,
    Envelope, Field, Fill, Location, Name, Page, PlannedCall, PlannedDestination, PlannedRegion,
    PlannedStoreInput, Source, StoreRef, StoreTarget, TagKey, TagValue, Tags,
};
use super::session::{CaseVerdict, Deviation};

/// Replays a sequence of steps in a fresh namespace and reports the verdict
/// of the last step (`None` when an earlier step diverged or the replay
/// could not run).
pub trait Replay {
    type Record;
    fn replay(
        &mut self,
        steps: &[PlannedCall],
    ) -> impl Future<Output = Option<(CaseVerdict, Self::Record)>>;
}

/// Whether `found` is still the divergence `target` (see the module doc).
pub fn same_divergence(target: &Deviation, found: &CaseVerdict) -> bool {
    let CaseVerdict::Diverged(found) = found else {
        return false;
    };
    found.class == target.class
        && found.rules.iter().all(|r| target.rules.contains(r))
        && found.rules.is_empty() == target.rules.is_empty()
}

/// The shrunk steps, the record of their last replay (if any replay kept
/// the divergence) and how many replays it took.
pub struct Shrunk<R> {
    pub steps: Vec<PlannedCall>,
    pub record: Option<(Deviation, R)>,
    pub replays: usize,
}

/// Greedy shrinking: the first simpler candidate that keeps the divergence
/// replaces the current steps; stops when none does or after `budget` replays.
pub async fn shrink<R: Replay>(
    replayer: &mut R,
    steps: Vec<PlannedCall>,
    target: &Deviation,
    budget: usize,
) -> Shrunk<R::Record> {
    let mut replays = 1;
    let mut record = match replayer.replay(&steps).await {
        Some((CaseVerdict::Diverged(found), record))
            if same_divergence(target, &CaseVerdict::Diverged(found.clone())) =>
        {
            Some((found, record))
        }
        // Not reproducible: nothing to shrink against.
        _ => {
            return Shrunk {
                steps,
                record: None,
                replays,
            }
        }
    };
    let mut current_cost = cost(&steps, record.as_ref().map_or(0, |(d, _)| d.rules.len()));
    let mut current = steps;
    'outer: while replays < budget {
        for candidate in candidates(&current) {
            if replays >= budget {
                break 'outer;
            }
            replays += 1;
            let Some((CaseVerdict::Diverged(found), replayed)) = replayer.replay(&candidate).await
            else {
                continue;
            };
            let candidate_cost = cost(&candidate, found.rules.len());
            if candidate_cost < current_cost
                && same_divergence(target, &CaseVerdict::Diverged(found.clone()))
            {
                record = Some((found, replayed));
                current = candidate;
                current_cost = candidate_cost;
                continue 'outer;
            }
        }
        break;
    }
    Shrunk {
        steps: current,
        record,
        replays,
    }
}

/// What shrinking minimises, in order: steps, rules broken, plan size. A
/// candidate is kept only when it costs strictly less, so shrinking ends.
fn cost(steps: &[PlannedCall], rules: usize) -> (usize, usize, usize) {
    (steps.len(), rules, format!("{steps:?}").len())
}

/// Simpler versions of a session, most radical first. A group of calls
/// sent at once is kept or dropped whole, or sent one call after another
/// (if the divergence stays, it was no race); never cut apart otherwise.
pub fn candidates(steps: &[PlannedCall]) -> Vec<Vec<PlannedCall>> {
    let mut out = Vec::new();
    let grouped: Vec<Vec<PlannedCall>> = groups(steps)
        .into_iter()
        .map(|range| steps[range].to_vec())
        .collect();
    let last = grouped.len().saturating_sub(1);
    // Everything before the last group at once, then one group at a time.
    if last > 1 {
        out.push(flatten(grouped[last..].to_vec()));
    }
    for index in 0..last {
        let mut fewer = grouped.clone();
        fewer.remove(index);
        out.push(flatten(fewer));
    }
    for index in (0..grouped.len()).rev() {
        if grouped[index].len() > 1 {
            let mut split = grouped.clone();
            let members = split.remove(index);
            for (offset, member) in members.into_iter().enumerate() {
                split.insert(index + offset, vec![member]);
            }
            out.push(flatten(split));
        }
    }
    for index in (0..steps.len()).rev() {
        for simpler in simpler_step(&steps[index]) {
            let mut changed = steps.to_vec();
            changed[index] = simpler;
            out.push(changed);
        }
    }
    out
}

/// Groups back into calls, each group's flags saying where it starts.
fn flatten(grouped: Vec<Vec<PlannedCall>>) -> Vec<PlannedCall> {
    grouped
        .into_iter()
        .flat_map(|group| {
            group
                .into_iter()
                .enumerate()
                .map(|(position, call)| PlannedCall {
                    concurrent: position > 0,
                    ..call
                })
        })
        .collect()
}

fn simpler_step(step: &PlannedCall) -> Vec<PlannedCall> {
    let mut out = Vec::new();
    if step.region != PlannedRegion::Home {
        out.push(PlannedCall {
            region: PlannedRegion::Home,
            ..step.clone()
        });
    }
    if step.envelope != Envelope::plain() {
        for envelope in simpler_envelope(&step.envelope) {
            out.push(PlannedCall {
                action: step.action.clone(),
                envelope,
                ..step.clone()
            });
        }
    }
    for action in simpler_action(&step.action) {
        out.push(PlannedCall {
            action,
            ..step.clone()
        });
    }
    out
}

fn simpler_envelope(envelope: &Envelope) -> Vec<Envelope> {
    let plain = Envelope::plain();
    let mut out = vec![plain.clone()];
    let parts: [(bool, Envelope); 4] = [
        (
            envelope.target != plain.target,
            Envelope {
                target: plain.target,
                ..envelope.clone()
            },
        ),
        (
            envelope.content_type != plain.content_type,
            Envelope {
                content_type: plain.content_type,
                ..envelope.clone()
            },
        ),
        (
            envelope.method != plain.method,
            Envelope {
                method: plain.method,
                ..envelope.clone()
            },
        ),
        (
            envelope.body != plain.body,
            Envelope {
                body: plain.body,
                ..envelope.clone()
            },
        ),
    ];
    out.extend(
        parts
            .into_iter()
            .filter(|(differs, _)| *differs)
            .map(|(_, e)| e),
    );
    out
}

/// `Set(canonical)` for a member that is absent, null or mistyped, and the
/// member's own simplifications otherwise.
fn simpler_field<T: Clone + PartialEq>(
    field: &Field<T>,
    canonical: T,
    simpler: impl Fn(&T) -> Vec<T>,
    droppable: bool,
) -> Vec<Field<T>> {
    let mut out = Vec::new();
    if droppable && *field != Field::Absent {
        out.push(Field::Absent);
    }
    match field {
        Field::Set(value) => out.extend(simpler(value).into_iter().map(Field::Set)),
        _ => out.push(Field::Set(canonical)),
    }
    out
}

fn simpler_name(name: &Name) -> Vec<Name> {
    match name {
        Name::Fresh(0) => Vec::new(),
        Name::Exact { len, fill } if *fill != Fill::Valid => vec![
            Name::Fresh(0),
            Name::Exact {
                len: *len,
                fill: Fill::Valid,
            },
        ],
        _ => vec![Name::Fresh(0)],
    }
}

fn simpler_source(source: &Source) -> Vec<Source> {
    match source {
        Source::Custom => Vec::new(),
        Source::Exact { len, fill } if *fill != Fill::Valid => vec![
            Source::Custom,
            Source::Exact {
                len: *len,
                fill: Fill::Valid,
            },
        ],
        _ => vec![Source::Custom],
    }
}

fn valid_destination() -> PlannedDestination {
    PlannedDestination {
        kind: Field::Set(DestinationKind::EventDataStore),
        location: Field::Set(Location::Store {
            target: StoreTarget::Integration,
            by: By::Arn,
        }),
    }
}

fn simpler_location(location: &Location) -> Vec<Location> {
    let integration = Location::Store {
        target: StoreTarget::Integration,
        by: By::Arn,
    };
    match location {
        l if *l == integration => Vec::new(),
        Location::Store { target, by: By::Id } => vec![
            integration,
            Location::Store {
                target: *target,
                by: By::Arn,
            },
        ],
        _ => vec![integration],
    }
}

fn simpler_destination(destination: &PlannedDestination) -> Vec<PlannedDestination> {
    let mut out = Vec::new();
    for kind in simpler_field(
        &destination.kind,
        DestinationKind::EventDataStore,
        |k| {
            if *k == DestinationKind::EventDataStore {
                Vec::new()
            } else {
                vec![DestinationKind::EventDataStore]
            }
        },
        false,
    ) {
        out.push(PlannedDestination {
            kind,
            location: destination.location.clone(),
        });
    }
    let default_location = Location::Store {
        target: StoreTarget::Integration,
        by: By::Arn,
    };
    for location in simpler_field(
        &destination.location,
        default_location,
        simpler_location,
        false,
    ) {
        out.push(PlannedDestination {
            kind: destination.kind.clone(),
            location,
        });
    }
    out
}

fn simpler_destinations(destinations: &Destinations) -> Vec<Destinations> {
    let mut out = Vec::new();
    if destinations.pad_to.is_some() {
        out.push(Destinations {
            pad_to: None,
            ..destinations.clone()
        });
    }
    if destinations.items.len() > 1 {
        for index in 0..destinations.items.len() {
            let mut fewer = destinations.clone();
            fewer.items.remove(index);
            out.push(fewer);
        }
    }
    if destinations.items.is_empty() {
        out.push(Destinations {
            items: vec![valid_destination()],
            pad_to: destinations.pad_to,
        });
    }
    for (index, item) in destinations.items.iter().enumerate() {
        for simpler in simpler_destination(item) {
            let mut changed = destinations.clone();
            changed.items[index] = simpler;
            out.push(changed);
        }
    }
    out
}

fn simpler_tags(tags: &Tags) -> Vec<Tags> {
    let mut out = Vec::new();
    if tags.pad_to.is_some() {
        out.push(Tags {
            pad_to: None,
            ..tags.clone()
        });
    }
    for index in 0..tags.items.len() {
        let mut fewer = tags.clone();
        fewer.items.remove(index);
        out.push(fewer);
    }
    for (index, tag) in tags.items.iter().enumerate() {
        let plain_key = TagKey::Plain(index as u8);
        let keys = simpler_field(
            &tag.key,
            plain_key.clone(),
            |k| {
                if *k == plain_key {
                    Vec::new()
                } else {
                    vec![plain_key.clone()]
                }
            },
            false,
        );
        for key in keys {
            let mut changed = tags.clone();
            changed.items[index].key = key;
            out.push(changed);
        }
        let values = simpler_field(
            &tag.value,
            TagValue::Plain,
            |v| {
                if *v == TagValue::Plain {
                    Vec::new()
                } else {
                    vec![TagValue::Plain]
                }
            },
            true,
        );
        for value in values {
            let mut changed = tags.clone();
            changed.items[index].value = value;
            out.push(changed);
        }
    }
    out
}

fn simpler_channel_input(input: &ChannelInput) -> Vec<ChannelInput> {
    let mut out = Vec::new();
    let with = |f: &dyn Fn(&mut ChannelInput)| {
        let mut changed = input.clone();
        f(&mut changed);
        changed
    };
    if input.tags != Field::Absent {
        out.push(with(&|c| c.tags = Field::Absent));
    }
    if input.unknown_member {
        out.push(with(&|c| c.unknown_member = false));
    }
    let canonical_destinations = Destinations {
        items: vec![valid_destination()],
        pad_to: None,
    };
    for name in simpler_field(&input.name, Name::Fresh(0), simpler_name, true) {
        out.push(with(&|c| c.name = name.clone()));
    }
    for source in simpler_field(&input.source, Source::Custom, simpler_source, true) {
        out.push(with(&|c| c.source = source.clone()));
    }
    for destinations in simpler_field(
        &input.destinations,
        canonical_destinations,
        simpler_destinations,
        true,
    ) {
        out.push(with(&|c| c.destinations = destinations.clone()));
    }
    if let Field::Set(tags) = &input.tags {
        for tags in simpler_tags(tags) {
            out.push(with(&|c| c.tags = Field::Set(tags.clone())));
        }
    }
    out
}

fn simpler_channel_ref(channel: &ChannelRef) -> Vec<ChannelRef> {
    let first = ChannelRef::Session {
        index: 0,
        by: By::Arn,
    };
    if *channel == first {
        Vec::new()
    } else {
        vec![first]
    }
}

fn simpler_store_ref(store: &StoreRef) -> Vec<StoreRef> {
    let first = StoreRef::Target {
        target: StoreTarget::Session(0),
        by: By::Arn,
    };
    match store {
        s if *s == first => Vec::new(),
        StoreRef::Target { target, by: By::Id } => vec![
            first,
            StoreRef::Target {
                target: *target,
                by: By::Arn,
            },
        ],
        _ => vec![first],
    }
}

fn simpler_page(page: &Page) -> Vec<Page> {
    let mut out = Vec::new();
    if page.max_results != Field::Absent {
        out.push(Page {
            max_results: Field::Absent,
            ..page.clone()
        });
    }
    if page.bogus_token {
        out.push(Page {
            bogus_token: false,
            ..page.clone()
        });
    }
    out
}

fn simpler_store_input(input: &PlannedStoreInput) -> Vec<PlannedStoreInput> {
    let mut out = Vec::new();
    if input.category != Category::ActivityAuditLog {
        out.push(PlannedStoreInput {
            category: Category::ActivityAuditLog,
            ..input.clone()
        });
    }
    if input.start_ingestion.is_some() {
        out.push(PlannedStoreInput {
            start_ingestion: None,
            ..input.clone()
        });
    }
    if input.retention_days.is_some() {
        out.push(PlannedStoreInput {
            retention_days: None,
            ..input.clone()
        });
    }
    for name in simpler_field(&input.name, Name::Fresh(0), simpler_name, false) {
        out.push(PlannedStoreInput {
            name,
            ..input.clone()
        });
    }
    out
}

fn simpler_action(action: &Action) -> Vec<Action> {
    match action {
        Action::CreateChannel(input) => simpler_channel_input(input)
            .into_iter()
            .map(Action::CreateChannel)
            .collect(),
        Action::GetChannel(channel) => simpler_channel_ref(channel)
            .into_iter()
            .map(Action::GetChannel)
            .collect(),
        Action::DeleteChannel(channel) => simpler_channel_ref(channel)
            .into_iter()
            .map(Action::DeleteChannel)
            .collect(),
        Action::ListChannels(page) => simpler_page(page)
            .into_iter()
            .map(Action::ListChannels)
            .collect(),
        Action::ListStores(page) => simpler_page(page)
            .into_iter()
            .map(Action::ListStores)
            .collect(),
        Action::UpdateChannel {
            channel,
            name,
            destinations,
        } => {
            let mut out = Vec::new();
            let update =
                |channel: &ChannelRef, name: &Field<Name>, destinations: &Field<Destinations>| {
                    Action::UpdateChannel {
                        channel: channel.clone(),
                        name: name.clone(),
                        destinations: destinations.clone(),
                    }
                };
            for simpler in simpler_channel_ref(channel) {
                out.push(update(&simpler, name, destinations));
            }
            for simpler in simpler_field(name, Name::Fresh(0), simpler_name, true) {
                out.push(update(channel, &simpler, destinations));
            }
            let canonical = Destinations {
                items: vec![valid_destination()],
                pad_to: None,
            };
            for simpler in simpler_field(destinations, canonical, simpler_destinations, true) {
                out.push(update(channel, name, &simpler));
            }
            out
        }
        Action::CreateStore(input) => simpler_store_input(input)
            .into_iter()
            .map(Action::CreateStore)
            .collect(),
        Action::GetStore(store) => simpler_store_ref(store)
            .into_iter()
            .map(Action::GetStore)
            .collect(),
        Action::StopIngestion(store) => simpler_store_ref(store)
            .into_iter()
            .map(Action::StopIngestion)
            .collect(),
        Action::StartIngestion(store) => simpler_store_ref(store)
            .into_iter()
            .map(Action::StartIngestion)
            .collect(),
        Action::DeleteStore(store) => simpler_store_ref(store)
            .into_iter()
            .map(Action::DeleteStore)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_drop_steps_and_simplify() {
        let create = PlannedCall {
            action: Action::CreateChannel(ChannelInput {
                name: Field::Set(Name::Exact {
                    len: 2,
                    fill: Fill::Valid,
                }),
                source: Field::Null,
                destinations: Field::Absent,
                tags: Field::Absent,
                unknown_member: true,
            }),
            envelope: Envelope::plain(),
            region: PlannedRegion::Home,
            concurrent: false,
        };
        let list = PlannedCall {
            action: Action::ListChannels(Page {
                max_results: Field::Absent,
                bogus_token: false,
            }),
            envelope: Envelope::plain(),
            region: PlannedRegion::Home,
            concurrent: false,
        };
        let found = candidates(&[list.clone(), create.clone()]);
        assert!(found.contains(&vec![create.clone()]));
        assert!(found.iter().all(|c| !c.is_empty()));
        // A group is dropped whole, or sent one call after another.
        let mut second = create.clone();
        second.concurrent = true;
        let raced = [list.clone(), create.clone(), second.clone()];
        let found = candidates(&raced);
        assert!(found.contains(&vec![create.clone(), second.clone()]));
        assert!(found.contains(&vec![list, create.clone(), create]));
        assert!(found
            .iter()
            .all(|c| groups(c).iter().all(|g| g.len() == 1 || g.len() == 2)));
        assert!(found.len() > 5);
    }
}
