//! `ctconform cleanup`: deletes what runs left behind (an interrupted run,
//! a killed CI job): channels, then event data stores, named
//! `ctc-<run id>-...` or `ctf-<run id>-...`, for one run id or every run
//! older than a duration, and any channel delivering into such a store; or,
//! with `--fixtures`, the stable fixture stores that runs reuse.
//! Nothing else is touched.

use std::time::Duration;

use clap::{ArgGroup, Args};

use super::error::Remote;
use super::{args, CommandError, Exit};
use ctconform::runner::{self, SweepTarget};
use ctconform::wire::{self, Client, ClientConfig};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["run_id", "older_than", "fixtures"])))]
pub(super) struct CleanupArgs {
    /// The endpoint to clean.
    #[arg(long, env = "CTCONFORM_ENDPOINT")]
    endpoint: String,
    /// Signing region.
    #[arg(long, default_value_t = args::default_region())]
    region: String,
    /// Delete the resources of this run (`ctc-<ID>-...`, `ctf-<ID>-...`).
    #[arg(long, value_name = "ID")]
    run_id: Option<String>,
    /// Delete the resources of every run started at least this long ago (e.g. 1d).
    #[arg(long, value_name = "DURATION", value_parser = args::duration)]
    older_than: Option<Duration>,
    /// Retire the fixture stores that every run reuses
    /// (`ctconform-fixture-...`) and the lock channel a killed run left
    /// (`ctconform-lock`); the next run makes new stores.
    #[arg(long)]
    fixtures: bool,
    /// Show what would be deleted, delete nothing.
    #[arg(long)]
    dry_run: bool,
    /// Allow an endpoint that is not on this machine (a real account).
    #[arg(long, env = "CTCONFORM_ALLOW_REMOTE", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false)]
    allow_remote: bool,
    /// Whose credentials sign: auto (local identity for loopback, AWS chain otherwise), chain, local.
    #[arg(long, value_enum, default_value_t = args::CredentialsFlag::Auto)]
    credentials: args::CredentialsFlag,
    #[command(flatten)]
    wire: args::WireFlags,
    /// Per-request timeout.
    #[arg(long, default_value = "10s", value_parser = args::duration)]
    timeout: Duration,
}

pub(super) async fn cleanup(args: CleanupArgs) -> Exit {
    let target = match sweep_target(&args) {
        Ok(target) => target,
        Err(error) => return Exit::Usage(error),
    };
    if let Err(error) = wire::validate_endpoint(&args.endpoint) {
        return Exit::Usage(error.into());
    }
    let mut config = ClientConfig::new(args.endpoint.clone(), args.region.clone());
    config.timeout = args.timeout;
    config.credentials = args.credentials.source(&args.endpoint);
    args.wire.apply(&mut config);
    if !wire::is_loopback(&args.endpoint) && !args.allow_remote {
        return Exit::Usage(CommandError::Remote {
            endpoint: args.endpoint.clone(),
            acts: Remote::Cleanup {
                region: args.region.clone(),
                credentials: config.credentials.describe(),
            },
        });
    }
    let client = match Client::new(config).await {
        Ok(client) => client,
        Err(error) => return Exit::Usage(error.into()),
    };
    // A throttled list or delete is sent again past `--retries`: a sweep
    // that gives up leaves resources behind.
    let report = runner::sweep(&client.persistent(), &target, args.dry_run).await;
    print_report(&report, args.dry_run);
    if report.problems.is_empty() {
        Exit::Conform
    } else {
        Exit::Diverged
    }
}

fn sweep_target(args: &CleanupArgs) -> Result<SweepTarget, CommandError> {
    match (&args.run_id, args.older_than) {
        (Some(id), _) => {
            // Only a well-formed id: `hello` would match names that merely
            // look like a run's (`ctc-hello-x`) but no run made.
            if runner::run_id_age(id).is_none() {
                return Err(CommandError::NotRunId(id.clone()));
            }
            Ok(SweepTarget::RunId(id.clone()))
        }
        (None, Some(age)) => Ok(SweepTarget::OlderThan(age)),
        (None, None) if args.fixtures => Ok(SweepTarget::Fixtures),
        (None, None) => Err(CommandError::Flags(
            "name what to clean: --run-id ID, --older-than DURATION or --fixtures",
        )),
    }
}

fn print_report(report: &runner::SweepReport, dry_run: bool) {
    let verb = if dry_run { "would delete" } else { "deleted" };
    for resource in &report.matched {
        println!("{verb} {resource}");
    }
    for problem in &report.problems {
        eprintln!("not cleaned: {problem}");
    }
    println!(
        "{} {verb}, {} not cleaned{}",
        report.matched.len(),
        report.problems.len(),
        if dry_run {
            " (dry run: nothing deleted)"
        } else {
            ""
        }
    );
}
