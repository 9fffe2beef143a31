//! `ctconform call`: one signed awsJson1_1 call, its outcome printed (the
//! curl of this world): the body on standard output, the rest on standard
//! error.

use clap::Args;
use serde_json::Value;

use super::error::Remote;
use super::{args, CommandError, Exit};
use ctconform::protocol::TargetForm;
use ctconform::wire::{self, Client, ClientConfig, Request};

#[derive(Debug, Args)]
pub(super) struct CallArgs {
    /// The operation, e.g. CreateChannel (any name: unknown ones are sent as is).
    operation: String,
    /// The endpoint URL.
    #[arg(
        long,
        env = "CTCONFORM_ENDPOINT",
        default_value = "http://127.0.0.1:4566"
    )]
    endpoint: String,
    /// Allow an endpoint that is not on this machine (a real account).
    #[arg(long, env = "CTCONFORM_ALLOW_REMOTE", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false)]
    allow_remote: bool,
    /// Signing region.
    #[arg(long, default_value_t = args::default_region())]
    region: String,
    /// The input as JSON.
    #[arg(long, conflicts_with = "raw_body")]
    body: Option<String>,
    /// The body, sent byte for byte.
    #[arg(long)]
    raw_body: Option<String>,
    /// Send the short `CloudTrail_20131101.<Operation>` target.
    #[arg(long)]
    service_target: bool,
    /// Send no Authorization header.
    #[arg(long)]
    unsigned: bool,
    /// Request timeout.
    #[arg(long, default_value = "10s", value_parser = args::duration)]
    timeout: std::time::Duration,
    /// Print the equivalent curl command (secrets masked) before calling.
    #[arg(long)]
    curl: bool,
    /// Whose credentials sign: auto (local identity for loopback, AWS chain otherwise), chain, local.
    #[arg(long, value_enum, default_value_t = args::CredentialsFlag::Auto)]
    credentials: args::CredentialsFlag,
}

pub(super) async fn call(args: CallArgs) -> Exit {
    let mut request = match (&args.body, &args.raw_body) {
        (Some(json), _) => match serde_json::from_str::<Value>(json) {
            Ok(value) => Request::json(&args.operation, value),
            Err(error) => return Exit::Usage(CommandError::BodyNotJson(error.to_string())),
        },
        (None, Some(raw)) => Request::raw(&args.operation, raw.clone().into_bytes()),
        (None, None) => Request::json(&args.operation, serde_json::json!({})),
    };
    if args.service_target {
        request.target = wire::TargetHeader::Form(TargetForm::ServiceShape);
    }
    if args.unsigned {
        request.signing = wire::Signing::Unsigned;
    }
    if let Err(error) = wire::validate_endpoint(&args.endpoint) {
        return Exit::Usage(error.into());
    }
    if !wire::is_loopback(&args.endpoint) && !args.allow_remote {
        return Exit::Usage(CommandError::Remote {
            endpoint: args.endpoint,
            acts: Remote::Call,
        });
    }
    let mut config = ClientConfig::new(args.endpoint, args.region);
    config.timeout = args.timeout;
    config.credentials = args.credentials.source(&config.endpoint);
    if args.curl {
        println!("{}", wire::curl_command(&config, &request));
    }
    let client = match Client::new(config).await {
        Ok(client) => client,
        Err(error) => return Exit::Usage(error.into()),
    };
    let outcome = client.send(&request).await;
    // The answer's body alone on standard output (pipeable into `jq`);
    // status, codes and latency on standard error.
    match (outcome.response(), outcome.fault()) {
        (Some(response), _) => {
            eprintln!("status: {}", response.status);
            if let Some(id) = &response.request_id {
                eprintln!("request id: {id}");
            }
            if let Some(code) = &response.error_code {
                eprintln!("error: {code}");
            }
            if let Some(message) = &response.message {
                eprintln!("message: {message}");
            }
            match &response.json {
                Ok(body) => println!("{}", serde_json::to_string_pretty(body).unwrap_or_default()),
                Err(problem) => println!("({problem}) {}", String::from_utf8_lossy(&response.body)),
            }
        }
        (None, Some(fault)) => eprintln!("fault: {fault}"),
        (None, None) => {}
    }
    eprintln!("latency: {} ms", outcome.latency.as_millis());
    if outcome.is_success() {
        Exit::Conform
    } else {
        Exit::Diverged
    }
}
