//! Everything that can go wrong between sending a request and holding a
//! complete HTTP answer, classified so the runner can name it: [`Fault`] and
//! the classification of the transports' error chains (reqwest, hyper-util).

use std::error::Error as StdError;
use std::fmt;
use std::io;

/// Why no complete HTTP answer was read. The client only classifies; whether
/// a fault is a divergence is the runner's call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// No complete answer within the request timeout.
    Timeout,
    /// No connection: refused, DNS, TLS handshake, connect timeout.
    Connect(String),
    /// The connection was reset or closed before the answer was complete.
    Reset(String),
    /// The peer answered with bytes that are not HTTP.
    NotHttp(String),
    /// The body is larger than the configured cap (announced or streamed).
    BodyTooLarge { limit: usize },
    /// A 3xx answer with a `Location`: redirects are never followed, and
    /// awsJson1_1 has none, so one is reported as a fault (see `Client`).
    Redirect(String),
    /// The request could not be built or signed, so it was never sent: an
    /// invalid method or header value, credentials that would not resolve.
    /// Not the server's doing.
    Client(String),
    /// Anything else, with the error chain.
    Other(String),
}

impl Fault {
    /// A short stable name for reports and grouping.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Timeout => "timeout",
            Fault::Connect(_) => "connect",
            Fault::Reset(_) => "reset",
            Fault::NotHttp(_) => "not HTTP",
            Fault::BodyTooLarge { .. } => "body too large",
            Fault::Redirect(_) => "redirect",
            Fault::Client(_) => "client",
            Fault::Other(_) => "other",
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Timeout => f.write_str("timeout: no complete answer in time"),
            Fault::Connect(why) => write!(f, "connect: {why}"),
            Fault::Reset(why) => write!(
                f,
                "reset: connection closed before a complete answer: {why}"
            ),
            Fault::NotHttp(why) => write!(f, "not HTTP: {why}"),
            Fault::BodyTooLarge { limit } => {
                write!(f, "body too large: more than {limit} bytes")
            }
            Fault::Redirect(to) => write!(f, "redirect: {to}"),
            Fault::Client(why) => write!(f, "client: request not sent: {why}"),
            Fault::Other(why) => write!(f, "other: {why}"),
        }
    }
}

impl std::error::Error for Fault {}

/// Classifies an error from reqwest (sending, or reading the body).
pub(crate) fn classify_reqwest(error: &reqwest::Error) -> Fault {
    let chain = chain_message(error);
    // reqwest marks a connect timeout as both; it is a connect problem.
    if error.is_connect() {
        return Fault::Connect(chain);
    }
    if error.is_timeout() {
        return Fault::Timeout;
    }
    if error.is_redirect() {
        return Fault::Redirect(chain);
    }
    if error.is_builder() {
        return Fault::Client(chain);
    }
    classify_chain(error)
}

/// Classifies by what lies in the error's `source()` chain: hyper's parse and
/// early-close errors, and I/O errors of a dropped connection.
pub(crate) fn classify_chain(error: &(dyn StdError + 'static)) -> Fault {
    let chain = chain_message(error);
    let mut reset = false;
    let mut timeout = false;
    for cause in causes(error) {
        if let Some(hyper_error) = cause.downcast_ref::<hyper::Error>() {
            if hyper_error.is_parse() || hyper_error.is_parse_status() {
                return Fault::NotHttp(chain);
            }
            reset |= hyper_error.is_incomplete_message()
                || hyper_error.is_closed()
                || hyper_error.is_canceled()
                || hyper_error.is_body_write_aborted();
            timeout |= hyper_error.is_timeout();
        }
        if let Some(io_error) = cause.downcast_ref::<io::Error>() {
            reset |= is_dropped_connection(io_error.kind());
            timeout |= io_error.kind() == io::ErrorKind::TimedOut;
        }
    }
    if reset {
        Fault::Reset(chain)
    } else if timeout {
        Fault::Timeout
    } else {
        Fault::Other(chain)
    }
}

fn is_dropped_connection(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}

/// The error and its sources, outermost first.
fn causes<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |&e| e.source())
}

/// `outer: inner: innermost` on one line, skipping a cause whose text the
/// previous one already shows (reqwest and hyper often repeat themselves).
pub(crate) fn chain_message(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in causes(error) {
        let text = one_line(&cause.to_string());
        if text.is_empty() || parts.last().is_some_and(|last| last.contains(&text)) {
            continue;
        }
        parts.push(text);
    }
    parts.join(": ")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error wrapping another, like reqwest's and hyper-util's.
    #[derive(Debug)]
    struct Wrapper {
        text: &'static str,
        inner: Box<dyn StdError + Send + Sync + 'static>,
    }

    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.text)
        }
    }

    impl StdError for Wrapper {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&*self.inner)
        }
    }

    fn wrapped(kind: io::ErrorKind, text: &'static str) -> Wrapper {
        Wrapper {
            text: "error sending request",
            inner: Box::new(Wrapper {
                text: "client error",
                inner: Box::new(io::Error::new(kind, text)),
            }),
        }
    }

    #[test]
    fn dropped_connections_are_resets() {
        for kind in [
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::ConnectionAborted,
            io::ErrorKind::BrokenPipe,
            io::ErrorKind::UnexpectedEof,
        ] {
            let fault = classify_chain(&wrapped(kind, "peer went away"));
            assert_eq!(fault.kind(), "reset", "{kind:?}");
        }
    }

    #[test]
    fn io_timeouts_are_timeouts() {
        let fault = classify_chain(&wrapped(io::ErrorKind::TimedOut, "slow"));
        assert_eq!(fault, Fault::Timeout);
    }

    #[test]
    fn other_errors_keep_their_chain() {
        let fault = classify_chain(&wrapped(io::ErrorKind::Other, "strange\nthing"));
        assert_eq!(
            fault,
            Fault::Other("error sending request: client error: strange thing".into())
        );
    }

    #[test]
    fn repeated_causes_are_shown_once() {
        let error = Wrapper {
            text: "connection reset by peer",
            inner: Box::new(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "reset by peer",
            )),
        };
        assert_eq!(chain_message(&error), "connection reset by peer");
    }

    #[test]
    fn kinds_and_one_line_display() {
        let faults = [
            Fault::Timeout,
            Fault::Connect("refused".into()),
            Fault::Reset("closed".into()),
            Fault::NotHttp("invalid HTTP version parsed".into()),
            Fault::BodyTooLarge { limit: 10 },
            Fault::Redirect("HTTP 301 to /".into()),
            Fault::Client("bad header".into()),
            Fault::Other("x".into()),
        ];
        let kinds: Vec<_> = faults.iter().map(Fault::kind).collect();
        assert_eq!(
            kinds,
            [
                "timeout",
                "connect",
                "reset",
                "not HTTP",
                "body too large",
                "redirect",
                "client",
                "other"
            ]
        );
        for fault in &faults {
            let shown = fault.to_string();
            assert!(shown.starts_with(fault.kind()), "{shown}");
            assert!(!shown.contains('\n'));
        }
    }
}
