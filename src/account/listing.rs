//! Reading a whole list operation (ListChannels, ListEventDataStores) by
//! following `NextToken`, for leak checks, quotas and cleanup.

use serde_json::{json, Value};

use super::shape::describe;
use crate::contract::Operation;
use crate::wire::{is_throttled, Client, Request};

/// More pages than this is an endpoint that never stops paging.
const MAX_PAGES: usize = 100;

/// Why a list operation could not be read whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListError {
    pub operation: Operation,
    pub kind: ListErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListErrorKind {
    /// A page was not a success: the answer in a few words.
    Refused(String),
    /// A page was throttled past the retry budget: the answer in a few
    /// words. It says nothing of the endpoint (contract section 8).
    Throttled(String),
    /// More than `MAX_PAGES` pages: `NextToken` never ends.
    Endless,
}

impl std::fmt::Display for ListError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let operation = self.operation;
        match &self.kind {
            ListErrorKind::Refused(answer) => write!(f, "{operation}: {answer}"),
            ListErrorKind::Throttled(answer) => write!(
                f,
                "{operation}: throttled past the retry budget (last {answer})"
            ),
            ListErrorKind::Endless => write!(f, "{operation}: more than {MAX_PAGES} pages"),
        }
    }
}

impl std::error::Error for ListError {}

impl ListError {
    /// The listing was throttled, not refused: it judged nothing.
    pub fn throttled(&self) -> bool {
        matches!(self.kind, ListErrorKind::Throttled(_))
    }
}

/// Every element of `member` over all pages of `operation`.
pub async fn list_all(
    client: &Client,
    operation: Operation,
    member: &str,
) -> Result<Vec<Value>, ListError> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    for _page in 0..MAX_PAGES {
        let mut input = json!({});
        if let Some(token) = &token {
            input["NextToken"] = Value::from(token.clone());
        }
        let outcome = client.send(&Request::json(operation.name(), input)).await;
        let Some(body) = outcome.success_json() else {
            let answer = describe(&outcome);
            let kind = if is_throttled(&outcome) {
                ListErrorKind::Throttled(answer)
            } else {
                ListErrorKind::Refused(answer)
            };
            return Err(ListError { operation, kind });
        };
        items.extend(
            body.get(member)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .cloned(),
        );
        token = body
            .get("NextToken")
            .and_then(Value::as_str)
            .map(str::to_string);
        if token.is_none() {
            return Ok(items);
        }
    }
    Err(ListError {
        operation,
        kind: ListErrorKind::Endless,
    })
}

/// How many channels and event data stores (pending deletion included:
/// they count towards the quota) the region holds; `None` for a list that
/// cannot be read.
pub async fn held(client: &Client) -> (Option<usize>, Option<usize>) {
    let channels = list_all(client, Operation::ListChannels, "Channels").await;
    let stores = list_all(client, Operation::ListEventDataStores, "EventDataStores").await;
    (channels.ok().map(|c| c.len()), stores.ok().map(|s| s.len()))
}

/// A string member of a listed item, or empty.
pub(super) fn text(item: &Value, key: &str) -> String {
    item.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Every channel in the account, by pages: (ARN, Name).
pub async fn list_channels(client: &Client) -> Result<Vec<(String, String)>, ListError> {
    let channels = list_all(client, Operation::ListChannels, "Channels").await?;
    Ok(channels
        .iter()
        .map(|c| (text(c, "ChannelArn"), text(c, "Name")))
        .collect())
}

/// Every event data store in the account, by pages: (ARN, Name).
pub async fn list_stores(client: &Client) -> Result<Vec<(String, String)>, ListError> {
    let stores = list_all(client, Operation::ListEventDataStores, "EventDataStores").await?;
    Ok(stores
        .iter()
        .map(|s| (text(s, "EventDataStoreArn"), text(s, "Name")))
        .collect())
}
