//! Probing how an endpoint says "not implemented": by its own words
//! (UnknownOperationException, 404, 501, a 5xx that says so), or by
//! answering an operation the same way as one that does not exist. The
//! runner, its positive controls, the fixture stores and the fuzzer ask it
//! before they call a refusal a divergence or a setup failure.

use crate::wire::{Client, Received, Request};

/// Why an answer says "not implemented", if it does: UnknownOperation, a
/// 404 or 501, or a 5xx whose body says so (moto's HTML page does).
pub fn unimplemented(outcome: &Received) -> Option<String> {
    let response = outcome.response()?;
    if response.error_code.as_deref() == Some("UnknownOperationException") {
        return Some("UnknownOperationException".into());
    }
    // A 404 with an error code is an answer: ChannelNotFoundException and
    // EventDataStoreNotFoundException are 404 in the model (contract section 1).
    if response.status == 501 || (response.status == 404 && response.error_code.is_none()) {
        return Some(format!("HTTP {}", response.status));
    }
    let text = String::from_utf8_lossy(&response.body).to_ascii_lowercase();
    let says_so = [
        "not implemented",
        "not yet implemented",
        "has not been implemented",
    ]
    .iter()
    .any(|phrase| text.contains(phrase));
    (response.status >= 500 && says_so)
        .then(|| format!("HTTP {}: not implemented", response.status))
}

/// The operation the runner asks for to learn how the endpoint answers one
/// that does not exist.
const NO_SUCH_OPERATION: &str = "CtconformNoSuchOperation";

/// How the endpoint answers an operation that does not exist. An operation
/// answered the same way is one the endpoint does not implement: moto sends
/// HTTP 500 and a generic HTML page that names no error code; ministack
/// sends `400 InvalidParameterException` "Unknown CloudTrail action:
/// '<operation>'", a code that would pass for a refusal unless its message
/// is compared with the operation's name taken out.
#[derive(Clone, Debug, Default)]
pub struct UnknownAnswer {
    answer: Option<Fingerprint>,
}

/// The parts of an answer that stay the same whichever operation it refuses.
#[derive(Clone, Debug, PartialEq)]
struct Fingerprint {
    status: u16,
    error_code: Option<String>,
    /// The body with the operation's name cut out (`message` for a coded
    /// answer, the whole body otherwise).
    text: Vec<u8>,
}

impl Fingerprint {
    /// `None` for a success, for an UnknownOperationException (already read
    /// as "not implemented" on its own), and for a coded answer whose
    /// message does not name the operation: a generic message would make
    /// every refusal with that code look like a missing operation.
    fn of(outcome: &Received, operation: &str) -> Option<Fingerprint> {
        let response = outcome.response()?;
        if (200..300).contains(&response.status) {
            return None;
        }
        let text = match &response.error_code {
            None => response.body.clone(),
            Some(code) if code == "UnknownOperationException" => return None,
            Some(_) => {
                let message = response.message.as_deref()?;
                if operation.is_empty() || !message.contains(operation) {
                    return None;
                }
                message.replace(operation, "\u{0}").into_bytes()
            }
        };
        Some(Fingerprint {
            status: response.status,
            error_code: response.error_code.clone(),
            text,
        })
    }
}

impl UnknownAnswer {
    pub async fn probe(client: &Client) -> UnknownAnswer {
        let outcome = client
            .send(&Request::json(NO_SUCH_OPERATION, serde_json::json!({})))
            .await;
        UnknownAnswer {
            answer: Fingerprint::of(&outcome, NO_SUCH_OPERATION),
        }
    }

    /// Why `outcome`, the answer to `operation`, says "not implemented", if
    /// it does: by its own words (`unimplemented`), or by being the answer
    /// to an operation that does not exist.
    pub fn why(&self, outcome: &Received, operation: &str) -> Option<String> {
        unimplemented(outcome).or_else(|| {
            let known = self.answer.as_ref()?;
            (Fingerprint::of(outcome, operation).as_ref() == Some(known)).then(|| {
                let answer = match &known.error_code {
                    Some(code) => format!("HTTP {} {code}", known.status),
                    None => format!("HTTP {}", known.status),
                };
                format!(
                    "{answer}: not implemented, the same answer as for an operation that does not exist"
                )
            })
        })
    }
}
