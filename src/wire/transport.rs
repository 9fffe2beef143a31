//! How a request reaches the endpoint and its answer comes back: reqwest in
//! general (TLS, proxies), and for a plain-HTTP endpoint on this machine
//! hyper-util's pooled HTTP/1.1 client without reqwest's layers around it.
//! Those layers (redirect and retry policies that never act here, the URL
//! parsed again for every answer) were an eighth of an embedded fuzzing
//! run's CPU. Either way the caller gets an `http::Response` whose body it
//! reads chunk by chunk, and every error is classified as a [`Fault`].

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use reqwest::Url;

use super::config::{is_loopback, WireError};
use super::fault::{chain_message, classify_chain, classify_reqwest, Fault};

/// Idle pooled connections are closed after this, as reqwest does; the
/// rest of the plain client's settings are hyper-util's defaults, which
/// reqwest keeps too (no proxy applies to loopback).
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

type PlainClient = hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>;

/// A connection pool to one endpoint.
#[derive(Clone, Debug)]
pub(crate) enum Transport {
    Reqwest {
        client: reqwest::Client,
        url: Url,
    },
    /// Plain HTTP to this machine, with the endpoint's URI parsed once
    /// (boxed: hyper-util's client is large, reqwest's an `Arc`).
    Plain {
        client: Box<PlainClient>,
        uri: http::Uri,
    },
}

/// A request as a transport sends it: always to the endpoint's URL.
pub(crate) struct Outgoing {
    pub method: http::Method,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// The body of an answer, read with [`AnswerBody::chunk`].
pub(crate) enum AnswerBody {
    Reqwest(reqwest::Body),
    Plain(hyper::body::Incoming),
}

impl Transport {
    /// No redirects, no retries, no proxy for loopback; `connect_timeout`
    /// bounds opening a connection.
    pub(crate) fn new(url: &Url, connect_timeout: Duration) -> Result<Transport, WireError> {
        if url.scheme() == "http" && is_loopback(url.as_str()) {
            let uri = url
                .as_str()
                .parse::<http::Uri>()
                .map_err(|e| WireError::HttpClient(format!("endpoint as a URI: {e}")))?;
            let mut connector = HttpConnector::new();
            connector.set_connect_timeout(Some(connect_timeout));
            connector.set_nodelay(true);
            let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
                .timer(TokioTimer::new())
                .pool_idle_timeout(POOL_IDLE_TIMEOUT)
                .pool_timer(TokioTimer::new())
                .build(connector);
            return Ok(Transport::Plain {
                client: Box::new(client),
                uri,
            });
        }
        Transport::reqwest(url, connect_timeout)
    }

    /// The general transport, whatever the endpoint.
    fn reqwest(url: &Url, connect_timeout: Duration) -> Result<Transport, WireError> {
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            // No reqwest `timeout`: `Client::send` bounds the whole
            // exchange, and dropping it mid-flight drops the connection
            // with it; a second timer per request would only cost time.
            .connect_timeout(connect_timeout);
        let builder = if is_loopback(url.as_str()) {
            builder.no_proxy()
        } else {
            builder
        };
        let client = builder
            .build()
            .map_err(|e| WireError::HttpClient(chain_message(&e)))?;
        Ok(Transport::Reqwest {
            client,
            url: url.clone(),
        })
    }

    /// Sends `outgoing` and returns the answer, its body still to read.
    pub(crate) async fn send(
        &self,
        outgoing: Outgoing,
    ) -> Result<http::Response<AnswerBody>, Fault> {
        let Outgoing {
            method,
            headers,
            body,
        } = outgoing;
        match self {
            Transport::Plain { client, uri } => {
                let mut request = http::Request::new(Full::new(body));
                *request.method_mut() = method;
                *request.uri_mut() = uri.clone();
                *request.headers_mut() = headers;
                let answer = client.request(request).await.map_err(|e| {
                    if e.is_connect() {
                        Fault::Connect(chain_message(&e))
                    } else {
                        classify_chain(&e)
                    }
                })?;
                Ok(answer.map(AnswerBody::Plain))
            }
            Transport::Reqwest { client, url } => {
                // Built directly rather than through `RequestBuilder`, which
                // would copy the header map entry by entry into a fresh one.
                let mut request = reqwest::Request::new(method, url.clone());
                *request.headers_mut() = headers;
                *request.body_mut() = Some(body.into());
                let answer = client
                    .execute(request)
                    .await
                    .map_err(|e| classify_reqwest(&e))?;
                Ok(http::Response::from(answer).map(AnswerBody::Reqwest))
            }
        }
    }
}

impl AnswerBody {
    /// The next chunk of data (trailers are skipped), or `None` at the end.
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, Fault> {
        loop {
            let frame = match self {
                AnswerBody::Plain(body) => body
                    .frame()
                    .await
                    .map(|f| f.map_err(|e| classify_chain(&e))),
                AnswerBody::Reqwest(body) => body
                    .frame()
                    .await
                    .map(|f| f.map_err(|e| classify_reqwest(&e))),
            };
            match frame.transpose()? {
                None => return Ok(None),
                Some(frame) => {
                    if let Ok(data) = frame.into_data() {
                        return Ok(Some(data));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::{Emulator, EmulatorConfig};

    /// Both transports carry a request to the endpoint and its answer back.
    #[tokio::test]
    async fn both_transports_reach_the_endpoint() {
        let emulator = Emulator::start_local(EmulatorConfig::default())
            .await
            .unwrap();
        let url = Url::parse(&emulator.url()).unwrap();
        let plain = Transport::new(&url, Duration::from_secs(5)).unwrap();
        assert!(matches!(plain, Transport::Plain { .. }));
        let general = Transport::reqwest(&url, Duration::from_secs(5)).unwrap();
        for transport in [plain, general] {
            let mut headers = http::HeaderMap::new();
            headers.insert(
                crate::protocol::HEADER_TARGET,
                http::HeaderValue::from_static(
                    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListChannels",
                ),
            );
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(crate::protocol::CONTENT_TYPE),
            );
            let outgoing = Outgoing {
                method: http::Method::POST,
                headers,
                body: Bytes::from_static(b"{}"),
            };
            let answer = transport.send(outgoing).await.unwrap();
            assert_eq!(answer.status(), http::StatusCode::OK, "{transport:?}");
            let mut body = answer.into_body();
            let mut read = Vec::new();
            while let Some(chunk) = body.chunk().await.unwrap() {
                read.extend_from_slice(&chunk);
            }
            let json: serde_json::Value = serde_json::from_slice(&read).unwrap();
            assert!(json["Channels"].is_array(), "{json}");
        }
    }

    #[test]
    fn only_plain_http_to_this_machine_skips_reqwest() {
        let timeout = Duration::from_secs(1);
        for (endpoint, plain) in [
            ("http://127.0.0.1:4566", true),
            ("http://localhost:4566", true),
            ("https://127.0.0.1:4566", false),
            ("http://192.0.2.1:4566", false),
            ("https://cloudtrail.us-east-1.amazonaws.com", false),
        ] {
            let transport = Transport::new(&Url::parse(endpoint).unwrap(), timeout).unwrap();
            assert_eq!(
                matches!(transport, Transport::Plain { .. }),
                plain,
                "{endpoint}"
            );
        }
    }
}
