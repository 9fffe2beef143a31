//! The suite against a real emulator no one here wrote: localemu 1.3.2
//! (`pip install localemu==1.3.2`, `localemu start --host 127.0.0.1 --port N`,
//! no Docker), which implements channels and event data stores. The report
//! must name the rules it breaks, among them the ones only the lifecycle
//! scenarios see (C1 in a second Region, paging, the store quota), and none
//! that it keeps. Runs when `localemu` is on PATH (`.ci/run` installs it);
//! skips with a message otherwise.

use crate::harness;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use harness::{on_path, Peer};

use serde_json::Value;

/// The version these verdicts were worked out against.
const VERSION: &str = "1.3.2";

/// Why the test cannot run, or the running emulator.
fn start_localemu() -> Result<Peer, String> {
    let program = on_path("localemu").ok_or("localemu is not on PATH")?;
    let version = Command::new(&program)
        .arg("--version")
        .output()
        .map_err(|e| format!("localemu --version: {e}"))?;
    let version = String::from_utf8_lossy(&version.stdout).to_string();
    if !version.contains(VERSION) {
        return Err(format!(
            "localemu {} is installed; these verdicts are for {VERSION}",
            version.trim()
        ));
    }
    // It listens a while before it serves: wait for an HTTP answer.
    let localemu = Peer::start(
        &program,
        &["start", "--host", "127.0.0.1", "--port", "{port}"],
        &[],
        Duration::from_secs(120),
        answers_http,
    );
    Ok(localemu.unwrap_or_else(|why| panic!("{why}")))
}

fn answers_http(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

/// The markdown matrix's row for `rule`: its verdict and diverging scenarios.
fn row<'a>(page: &'a str, rule: &str) -> &'a str {
    page.lines()
        .find(|line| line.starts_with(&format!("| {rule} |")))
        .unwrap_or_else(|| panic!("no row for {rule}:\n{page}"))
}

#[test]
fn localemu_is_reported_rule_by_rule() {
    let localemu = match start_localemu() {
        Ok(localemu) => localemu,
        Err(why) => {
            eprintln!(
                "SKIPPED localemu_is_reported_rule_by_rule: {why} \
                 (pip install localemu=={VERSION}; .ci/run installs it)"
            );
            return;
        }
    };
    let limit = Duration::from_secs(300);
    let json = harness::ctconform(
        // A fresh local endpoint: the scenarios that make their own stores run.
        &[
            "run",
            "--endpoint",
            &localemu.url,
            "--create-stores",
            "--format",
            "json",
        ],
        limit,
    );
    assert!(!json.stderr.contains("panicked"), "{}", json.stderr);
    assert_eq!(json.code, Some(1), "{}", json.stderr);
    let report: Value = serde_json::from_str(&json.stdout).expect("a JSON report");
    assert_eq!(report["counts"]["errored"], 0, "no transport faults");
    assert!(report["counts"]["passed"].as_u64().unwrap() > 50);

    let markdown = harness::ctconform(
        &[
            "run",
            "--endpoint",
            &localemu.url,
            "--create-stores",
            "--format",
            "markdown",
        ],
        limit,
    );
    assert_eq!(markdown.code, Some(1), "{}", markdown.stderr);
    let page = markdown.stdout.as_str();
    eprintln!("{page}");

    // What only the lifecycle scenarios see: channel names account-wide
    // across Regions, MaxResults ignored on ListChannels, no store quota.
    let c1 = row(page, "C1");
    assert!(
        c1.contains("❌ diverges") && c1.contains("`lifecycle-region2-uniqueness`"),
        "{c1}"
    );
    assert!(
        !c1.contains("state-c1-duplicate-name"),
        "C1 holds within a Region: {c1}"
    );
    let ok2 = row(page, "OK2");
    assert!(
        ok2.contains("❌ diverges") && ok2.contains("`lifecycle-paging-channels`"),
        "{ok2}"
    );
    let op1 = row(page, "OP1");
    assert!(
        op1.contains("❌ diverges") && op1.contains("`lifecycle-quota-stores`"),
        "{op1}"
    );
    // And what it keeps is never named.
    for rule in ["P1", "P2", "OK1", "OK3", "OK4"] {
        assert!(
            row(page, rule).contains("✅ enforced"),
            "{}",
            row(page, rule)
        );
    }
}
