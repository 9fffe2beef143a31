//! `ctconform serve`: the reference emulator as a standalone server.

use std::net::SocketAddr;

use clap::Args;

use std::time::Duration;

use super::error::Start;
use super::{args, CommandError, Exit, Expected};
use ctconform::contract::Limits;
use ctconform::emulator::{parse_rate, ChaosConfig, Emulator, EmulatorConfig};

#[derive(Debug, Args)]
pub(super) struct ServeArgs {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:4566")]
    addr: SocketAddr,
    /// Region of requests that carry no SigV4 credential scope.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Account id in the ARNs it makes.
    #[arg(long, default_value = "123456789012", value_parser = parse_account)]
    account: String,
    /// Channel quota per account and region (contract C3).
    #[arg(long, default_value_t = ctconform::contract::shapes::CHANNEL_QUOTA)]
    max_channels: usize,
    /// Event data store quota per account and region (contract section 5:
    /// 10, stores pending deletion included); raise it to keep a long-lived
    /// emulator usable, or restart it to start clean.
    #[arg(long, default_value_t = ctconform::contract::shapes::STORE_QUOTA)]
    max_stores: usize,
    /// Verify SigV4 signatures as an endpoint that enforces authentication
    /// does (contract section 1): the loopback identity ctconform signs with
    /// and any --access-key are accepted; for the auth scenarios (--tag auth).
    #[arg(long)]
    verify_signatures: bool,
    /// Another key to accept with --verify-signatures: ACCESS_KEY_ID:SECRET (repeatable).
    #[arg(
        long = "access-key",
        value_name = "ID:SECRET",
        requires = "verify_signatures"
    )]
    access_keys: Vec<String>,
    /// Extra partner source names to accept (contract §6), repeatable.
    #[arg(long = "partner-source", value_name = "NAME")]
    partner_sources: Vec<String>,
    /// Chaos: answer ThrottlingException (HTTP 400 and 429 alternately)
    /// past this many requests per second, before doing any work, e.g. 25/s.
    #[arg(long, value_name = "RATE", value_parser = parse_rate, help_heading = "Chaos")]
    throttle: Option<f64>,
    /// Chaos: answer a server fault to every Nth request past the throttle.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Chaos")]
    fail_every: Option<u64>,
    /// Chaos: the fault's status: 503 (ServiceUnavailableException) or 500 (InternalFailure).
    #[arg(long, value_name = "STATUS", default_value_t = 503, value_parser = fail_status, requires = "fail_every", help_heading = "Chaos")]
    fail_status: u16,
    /// Chaos: do the faulted request's work, then lose its answer (as a real
    /// 5xx may); by default the fault comes before any work.
    #[arg(long, requires = "fail_every", help_heading = "Chaos")]
    fail_after_work: bool,
    /// Chaos: delay every answer by this much, e.g. 80ms.
    #[arg(long, value_name = "DURATION", value_parser = args::duration, help_heading = "Chaos")]
    latency: Option<Duration>,
}

fn fail_status(value: &str) -> Result<u16, CommandError> {
    match value.trim() {
        "500" => Ok(500),
        "503" => Ok(503),
        _ => Err(CommandError::value(value, Expected::FaultStatus)),
    }
}

fn parse_account(value: &str) -> Result<String, CommandError> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_string())
    } else {
        Err(CommandError::value(value, Expected::AccountId))
    }
}

pub(super) async fn serve(args: ServeArgs) -> Exit {
    let chaos_text = describe_chaos(&args);
    let mut signatures = args
        .verify_signatures
        .then(ctconform::emulator::auth::Verifier::new);
    for key in &args.access_keys {
        let Some((id, secret)) = key
            .split_once(':')
            .filter(|(id, s)| !id.is_empty() && !s.is_empty())
        else {
            return Exit::Usage(CommandError::Flags(
                "--access-key takes ACCESS_KEY_ID:SECRET",
            ));
        };
        signatures = signatures.map(|verifier| verifier.with_key(id, secret));
    }
    let mut config = EmulatorConfig {
        region: args.region,
        account: args.account,
        limits: Limits {
            channel_quota: args.max_channels,
            extra_sources: args.partner_sources,
            ..Limits::default()
        },
        signatures,
        ..EmulatorConfig::default()
    };
    config.limits.store_quota = args.max_stores;
    let chaos = ChaosConfig {
        throttle: args.throttle,
        fail_every: args.fail_every,
        fail_status: args.fail_status,
        fail_after_work: args.fail_after_work,
        latency: args.latency.unwrap_or_default(),
    };
    let calm = chaos.is_calm();
    let emulator = match Emulator::start_with_chaos(config, Some(chaos), args.addr).await {
        Ok(emulator) => emulator,
        Err(error) => {
            return Exit::Usage(CommandError::Start {
                what: Start::Listener(args.addr.to_string()),
                why: error.to_string(),
            })
        }
    };
    println!("ctconform emulator listening on {}", emulator.url());
    if !calm {
        println!("chaos mode: {}", chaos_text);
    }
    // Serve until interrupted; the emulator holds no state worth saving.
    let _ = tokio::signal::ctrl_c().await;
    if let Some(counts) = emulator.chaos_counts() {
        println!(
            "chaos: {} requests, {} throttled, {} faulted",
            counts.requests, counts.throttled, counts.failed
        );
    }
    emulator.stop().await;
    Exit::Conform
}

fn describe_chaos(args: &ServeArgs) -> String {
    let mut parts = Vec::new();
    if let Some(rate) = args.throttle {
        parts.push(format!("throttling past {rate}/s"));
    }
    if let Some(every) = args.fail_every {
        parts.push(format!(
            "HTTP {} to every {every}th request{}",
            args.fail_status,
            if args.fail_after_work {
                " after doing its work"
            } else {
                ""
            }
        ));
    }
    if let Some(latency) = args.latency {
        parts.push(format!("{} ms latency", latency.as_millis()));
    }
    parts.join(", ")
}
