//! Any status, headers and body bytes: `wire::parse_response` never panics
//! and always classifies the body (JSON, or a named problem).

#![no_main]

use arbitrary::Arbitrary;
use ctconform::wire::{parse_response, BodyProblem};
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Answer {
    status: u16,
    headers: Vec<(Name, Vec<u8>)>,
    body: Vec<u8>,
}

/// Mostly the headers that matter, sometimes any name.
#[derive(Arbitrary, Debug)]
enum Name {
    ErrorType,
    RequestId,
    ContentType,
    Other(String),
}

fuzz_target!(|answer: Answer| {
    let mut headers = HeaderMap::new();
    for (name, value) in &answer.headers {
        let name = match name {
            Name::ErrorType => HeaderName::from_static("x-amzn-errortype"),
            Name::RequestId => HeaderName::from_static("x-amzn-requestid"),
            Name::ContentType => HeaderName::from_static("content-type"),
            Name::Other(text) => match HeaderName::from_bytes(text.as_bytes()) {
                Ok(name) => name,
                Err(_) => continue,
            },
        };
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(name, value);
        }
    }
    let response = parse_response(answer.status, &headers, answer.body.clone());
    assert_eq!(response.status, answer.status);
    assert_eq!(response.body, answer.body);
    match &response.json {
        Ok(_) => assert!(std::str::from_utf8(&answer.body).is_ok()),
        Err(BodyProblem::Empty) => assert!(answer.body.is_empty()),
        Err(BodyProblem::NotUtf8) => assert!(std::str::from_utf8(&answer.body).is_err()),
        Err(BodyProblem::NotJson(_) | BodyProblem::TooDeep) => {}
    }
    if let Some(code) = &response.error_code {
        assert!(!code.is_empty() && !code.contains(':'), "{code:?}");
    }
    let _ = format!("{response:?}");
});
