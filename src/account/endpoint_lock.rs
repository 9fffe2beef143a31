//! One run at a time per endpoint. Scenarios take account-wide locks
//! (a partner source, the channel quota) that the scheduler can only hold
//! within one run; two runs against one account would collide on them and
//! report each other as divergences. So a run holds the endpoint's lock
//! for its scenarios: a channel with a fixed name, which C1 (one channel
//! per name) makes a mutex on any conforming endpoint. A run that finds it
//! taken waits for it. A lock left by a killed run is removed by
//! `ctconform cleanup --fixtures` (the channel delivers into the
//! integration fixture store).

use std::time::{Duration, Instant};

use serde_json::json;

use super::ledger::{delete, Resource};
use super::listing::list_channels;
use super::shape::describe;
use crate::wire::{Client, Request};

/// The lock channel's name: fixed, so that C1 makes creating it a mutex.
pub const LOCK_CHANNEL_NAME: &str = "ctconform-lock";

/// How often a waiting run tries again.
const RETRY: Duration = Duration::from_millis(200);

/// The endpoint's lock, held until released.
#[derive(Debug)]
pub struct EndpointLock {
    arn: String,
}

/// Why no lock is held.
#[derive(Debug, PartialEq, Eq)]
pub enum NotLocked {
    /// Another run held it until `give_up` (or `stop` said so).
    Busy(String),
    /// The endpoint would not make the lock channel: the run goes on
    /// without (a note says so).
    Unavailable(String),
}

/// Takes the lock, a channel delivering into `store` (an existing
/// ActivityAuditLog store), waiting while another run holds it until
/// `give_up` or `stop()`; `waiting` is called once when the wait begins.
pub async fn acquire_lock(
    client: &Client,
    store: &str,
    give_up: Instant,
    stop: impl Fn() -> bool,
    waiting: impl FnOnce(),
) -> Result<EndpointLock, NotLocked> {
    let request = Request::json(
        "CreateChannel",
        json!({
            "Name": LOCK_CHANNEL_NAME,
            "Source": "Custom",
            "Destinations": [{ "Type": "EVENT_DATA_STORE", "Location": store }],
        }),
    );
    let mut waiting = Some(waiting);
    loop {
        let exchange = client.send_recorded(&request).await;
        let outcome = &exchange.outcome;
        if let Some(arn) = outcome
            .success_json()
            .and_then(|body| body.get("ChannelArn"))
            .and_then(|arn| arn.as_str())
        {
            return Ok(EndpointLock {
                arn: arn.to_string(),
            });
        }
        let taken = outcome
            .response()
            .and_then(|r| r.error_code.as_deref())
            .is_some_and(|code| code == "ChannelAlreadyExistsException");
        // A retry after an attempt that may have been processed (its answer
        // lost) meets the channel that attempt made: ours, not another run's.
        if taken && exchange.maybe_processed_before() {
            let listed = list_channels(client).await.unwrap_or_default();
            if let Some((arn, _)) = listed
                .into_iter()
                .find(|(_, name)| name == LOCK_CHANNEL_NAME)
            {
                return Ok(EndpointLock { arn });
            }
        }
        if !taken {
            return Err(NotLocked::Unavailable(format!(
                "CreateChannel {LOCK_CHANNEL_NAME}: {}",
                describe(outcome)
            )));
        }
        if Instant::now() >= give_up || stop() {
            return Err(NotLocked::Busy(busy_message()));
        }
        if let Some(waiting) = waiting.take() {
            waiting();
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// What a run says while, or after, waiting for another one.
pub fn busy_message() -> String {
    format!(
        "another ctconform run is using this endpoint (it holds the lock channel {LOCK_CHANNEL_NAME}); \
         if none is running, `ctconform cleanup --fixtures` removes a lock left by a killed run"
    )
}

/// Whether `notes` say the run found the endpoint busy and ran nothing.
pub fn found_busy(notes: &[String]) -> bool {
    notes.iter().any(|note| *note == busy_message())
}

impl EndpointLock {
    /// Deletes the lock channel; a problem if that failed.
    pub async fn release(self, client: &Client) -> Option<String> {
        delete(client, &Resource::Channel(self.arn)).await
    }
}
