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
    Reqwest(reqwest::Client),
    /// Plain HTTP to this machine, with the endpoint's URI parsed once
    /// (boxed: hyper-util's client is large, reqwest's an `Arc`).
    Plain {
        client: Box<PlainClient>,
        uri: http::Uri,
    },
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
        builder
            .build()
            .map(Transport::Reqwest)
            .map_err(|e| WireError::HttpClient(chain_message(&e)))
    }

    /// Sends `parts` with `body` to the endpoint (the URI of `parts` is
    /// replaced by the endpoint's) and returns the answer's head.
    pub(crate) async fn send(
        &self,
        parts: http::request::Parts,
        body: Bytes,
    ) -> Result<http::Response<AnswerBody>, Fault> {
        match self {
            Transport::Plain { client, uri } => {
                let mut request = http::Request::from_parts(parts, Full::new(body));
                *request.uri_mut() = uri.clone();
                let answer = client.request(request).await.map_err(|e| {
                    if e.is_connect() {
                        Fault::Connect(chain_message(&e))
                    } else {
                        classify_chain(&e)
                    }
                })?;
                Ok(answer.map(AnswerBody::Plain))
            }
            Transport::Reqwest(client) => {
                let request = reqwest::Request::try_from(http::Request::from_parts(parts, body))
                    .map_err(|e| Fault::Client(chain_message(&e)))?;
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
