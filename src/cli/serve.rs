//! `ctconform serve`: the reference emulator as a standalone server.

use std::net::SocketAddr;

use clap::Args;

use super::Exit;
use crate::contract::Limits;
use crate::emulator::{Emulator, EmulatorConfig};

#[derive(Debug, Args)]
pub struct ServeArgs {
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
    #[arg(long, default_value_t = crate::contract::shapes::CHANNEL_QUOTA)]
    max_channels: usize,
    /// Event data store quota per account and region (contract section 5:
    /// 10, stores pending deletion included); raise it to keep a long-lived
    /// emulator usable, or restart it to start clean.
    #[arg(long, default_value_t = crate::contract::shapes::STORE_QUOTA)]
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
}

fn parse_account(value: &str) -> Result<String, String> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_string())
    } else {
        Err("an account id is 12 digits".into())
    }
}

pub async fn serve(args: ServeArgs) -> Exit {
    let mut signatures = args
        .verify_signatures
        .then(crate::emulator::auth::Verifier::new);
    for key in &args.access_keys {
        let Some((id, secret)) = key
            .split_once(':')
            .filter(|(id, s)| !id.is_empty() && !s.is_empty())
        else {
            return Exit::Usage("--access-key takes ACCESS_KEY_ID:SECRET".into());
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
    let emulator = match Emulator::start(config, args.addr).await {
        Ok(emulator) => emulator,
        Err(error) => return Exit::Usage(format!("cannot listen on {}: {error}", args.addr)),
    };
    println!("ctconform emulator listening on {}", emulator.url());
    // Serve until interrupted; the emulator holds no state worth saving.
    let _ = tokio::signal::ctrl_c().await;
    emulator.stop().await;
    Exit::Conform
}
