//! Endpoints that misbehave: raw TCP servers on 127.0.0.1 that never answer,
//! reset, speak something other than HTTP, send huge, slow, malformed or
//! mis-shaped answers. Against each, `ctconform run` (and `ctconform fuzz`)
//! must end with exit 1 within the timeout's reach, never panic, name the
//! problem in one line and keep its memory small. All cases run at once.

use crate::harness;

use std::time::Duration;

use harness::Finished;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Peak memory a run may reach against any hostile endpoint.
const MAX_RSS_MIB: f64 = 150.0;
/// A run with `--timeout 1s` must end within this, even on a busy machine.
const MAX_ELAPSED: Duration = Duration::from_secs(20);
/// Any event data store ARN: the N2 scenarios need one, the hostile server
/// would never make one.
const STORE: &str =
    "fixture.eds_integration=arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/hostile";

/// What a hostile server does with each connection.
#[derive(Clone, Copy, Debug)]
enum Hostility {
    NeverAnswers,
    AcceptsAndCloses,
    ResetsMidResponse,
    NotHttp,
    Html200,
    AnnouncesHugeBody,
    StreamsHugeBody,
    Trickles,
    InvalidUtf8Json,
    DeepJson,
    ServerError,
    RedirectsToItself,
    StopsInHeaders,
    WrongTypes200,
}

impl Hostility {
    const ALL: [Hostility; 14] = [
        Hostility::NeverAnswers,
        Hostility::AcceptsAndCloses,
        Hostility::ResetsMidResponse,
        Hostility::NotHttp,
        Hostility::Html200,
        Hostility::AnnouncesHugeBody,
        Hostility::StreamsHugeBody,
        Hostility::Trickles,
        Hostility::InvalidUtf8Json,
        Hostility::DeepJson,
        Hostility::ServerError,
        Hostility::RedirectsToItself,
        Hostility::StopsInHeaders,
        Hostility::WrongTypes200,
    ];

    /// Words the report must use for the affected steps (any of them).
    fn reasons(self) -> &'static [&'static str] {
        match self {
            Hostility::NeverAnswers | Hostility::Trickles => &["timeout"],
            Hostility::AcceptsAndCloses
            | Hostility::ResetsMidResponse
            | Hostility::StopsInHeaders => &["reset"],
            Hostility::NotHttp => &["not HTTP"],
            Hostility::Html200 => &["not JSON"],
            Hostility::AnnouncesHugeBody | Hostility::StreamsHugeBody => &["body too large"],
            Hostility::InvalidUtf8Json => &["not UTF-8"],
            Hostility::DeepJson => &["nests too deep"],
            Hostility::ServerError => &["got 500", "500 InternalFailure"],
            Hostility::RedirectsToItself => &["redirect"],
            Hostility::WrongTypes200 => &["wrong shape"],
        }
    }
}

/// Starts a hostile server; it lives as long as the runtime.
async fn hostile_server(hostility: Hostility) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let own_url = url.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let own_url = own_url.clone();
            tokio::spawn(async move {
                let _ = misbehave(stream, hostility, &own_url).await;
            });
        }
    });
    url
}

async fn misbehave(
    mut stream: TcpStream,
    hostility: Hostility,
    own_url: &str,
) -> std::io::Result<()> {
    if let Hostility::AcceptsAndCloses = hostility {
        return Ok(());
    }
    read_request(&mut stream).await?;
    match hostility {
        Hostility::NeverAnswers => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Hostility::ResetsMidResponse => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"ChannelArn\":\"arn:aws:clou")
                .await?;
            stream.flush().await?;
            stream.set_zero_linger()?;
        }
        Hostility::NotHttp => {
            stream
                .write_all(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02garbage\r\n\r\n")
                .await?;
        }
        Hostility::Html200 => {
            let page = b"<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>";
            stream.write_all(&answer(200, "text/html", page)).await?;
        }
        Hostility::AnnouncesHugeBody => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 209715200\r\n\r\n")
                .await?;
            stream_zeros(&mut stream, 200 << 20, false).await?;
        }
        Hostility::StreamsHugeBody => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
                .await?;
            stream_zeros(&mut stream, 200 << 20, true).await?;
        }
        Hostility::Trickles => {
            for byte in answer(200, "application/x-amz-json-1.1", b"{}") {
                stream.write_all(&[byte]).await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        Hostility::InvalidUtf8Json => {
            let body = b"{\"ChannelArn\":\"\xff\xfe\xc0\x80\",\"Name\":\"x\"}";
            stream
                .write_all(&answer(200, "application/x-amz-json-1.1", body))
                .await?;
        }
        Hostility::DeepJson => {
            let body = "[".repeat(200_000) + &"]".repeat(200_000);
            stream
                .write_all(&answer(200, "application/x-amz-json-1.1", body.as_bytes()))
                .await?;
        }
        Hostility::ServerError => {
            let body = br#"{"__type":"InternalFailure","message":"hostile"}"#;
            stream
                .write_all(&answer(500, "application/x-amz-json-1.1", body))
                .await?;
        }
        Hostility::RedirectsToItself => {
            let head = format!(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: {own_url}/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
        }
        Hostility::StopsInHeaders => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-js")
                .await?;
        }
        Hostility::WrongTypes200 => {
            let body = br#"{"ChannelArn":1,"Name":[],"Source":{},"Destinations":"x","EventDataStoreArn":true,
                "Channels":7,"EventDataStores":"none","NextToken":3,"Status":0}"#;
            stream
                .write_all(&answer(200, "application/x-amz-json-1.1", body))
                .await?;
        }
        Hostility::AcceptsAndCloses => {}
    }
    stream.flush().await
}

/// Reads one request's head and as much body as it announces (capped).
async fn read_request(stream: &mut TcpStream) -> std::io::Result<()> {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 8192];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") && seen.len() < 1 << 20 {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Ok(());
        }
        seen.extend_from_slice(&buffer[..read]);
    }
    let head_end = seen.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
    let head = String::from_utf8_lossy(&seen[..head_end]).to_ascii_lowercase();
    let announced: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    let mut body_read = seen.len() - head_end;
    while body_read < announced.min(1 << 20) {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        body_read += read;
    }
    Ok(())
}

fn answer(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "HTTP/1.1 {status} Whatever\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-RequestId: hostile\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Writes `total` zero bytes, optionally as HTTP chunks, until the peer leaves.
async fn stream_zeros(stream: &mut TcpStream, total: usize, chunked: bool) -> std::io::Result<()> {
    let block = vec![b'0'; 64 * 1024];
    let mut sent = 0;
    while sent < total {
        if chunked {
            stream
                .write_all(format!("{:x}\r\n", block.len()).as_bytes())
                .await?;
        }
        stream.write_all(&block).await?;
        if chunked {
            stream.write_all(b"\r\n").await?;
        }
        sent += block.len();
    }
    if chunked {
        stream.write_all(b"0\r\n\r\n").await?;
    }
    Ok(())
}

/// Runs `args` against every kind of hostile server at once and checks
/// each run.
async fn against_every_hostile_endpoint(args: fn(&str) -> Vec<String>) {
    let mut runs = Vec::new();
    for hostility in Hostility::ALL {
        let url = hostile_server(hostility).await;
        let arguments = args(&url);
        runs.push((
            hostility,
            tokio::task::spawn_blocking(move || {
                let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
                harness::ctconform(&arguments, MAX_ELAPSED + Duration::from_secs(10))
            }),
        ));
    }
    let mut problems = Vec::new();
    for (hostility, run) in runs {
        let finished = run.await.unwrap();
        eprintln!(
            "{hostility:?}: exit {:?} in {:.1} s, peak RSS {:.1} MiB",
            finished.code,
            finished.elapsed.as_secs_f64(),
            finished.max_rss_mib()
        );
        problems.extend(check(hostility, &finished));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// What is wrong with a run against `hostility`, if anything.
fn check(hostility: Hostility, finished: &Finished) -> Vec<String> {
    let text = finished.text();
    let mut problems = Vec::new();
    let mut fail = |what: String| problems.push(format!("{hostility:?}: {what}\n{text}"));
    if finished.killed || finished.elapsed > MAX_ELAPSED {
        fail(format!("took {:?}", finished.elapsed));
    }
    if finished.code != Some(1) {
        fail(format!("exit {:?}, not 1", finished.code));
    }
    if text.contains("panicked") {
        fail("panicked".into());
    }
    if !hostility
        .reasons()
        .iter()
        .any(|reason| text.contains(reason))
    {
        fail(format!("no reason among {:?}", hostility.reasons()));
    }
    if finished.max_rss_mib() > MAX_RSS_MIB {
        fail(format!("peak RSS {:.1} MiB", finished.max_rss_mib()));
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_survives_every_hostile_endpoint() {
    against_every_hostile_endpoint(|url| {
        [
            "run",
            "--endpoint",
            url,
            "--timeout",
            "1s",
            // One attempt each: the SDKs' retries would triple the time of
            // the endpoints that never answer past the bound (retries are
            // tests/chaos.rs's to check).
            "--retries",
            "0",
            "--rule",
            "N2",
            "--var",
            STORE,
        ]
        .map(String::from)
        .to_vec()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fuzz_survives_every_hostile_endpoint() {
    against_every_hostile_endpoint(|url| {
        [
            "fuzz",
            "--endpoint",
            url,
            "--duration",
            "3s",
            "--timeout",
            "1s",
        ]
        .map(String::from)
        .to_vec()
    })
    .await;
}
