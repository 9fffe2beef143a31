//! `ctconform fuzz`: structured, stateful traffic judged by the contract's
//! oracle; divergences shrunk and exported as scenarios (`ctconform::fuzz`).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::error::Remote;
use super::{args, CommandError, Exit};
use ctconform::fuzz::{fuzz, FuzzOptions, GivenFixtures};
use ctconform::wire;

/// The forms a fuzz report is printed in (`--format`): fewer than a run's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum FuzzReportFormat {
    Pretty,
    Json,
}

/// Fuzz an endpoint (or the embedded emulator) with structured, stateful
/// request sequences judged by the contract's oracle.
#[derive(Debug, Args)]
pub(super) struct FuzzArgs {
    /// The endpoint under test; without it, the embedded emulator.
    #[arg(long, env = "CTCONFORM_ENDPOINT")]
    pub endpoint: Option<String>,
    /// SigV4 signing region.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// How long to fuzz, e.g. 60s, 5m (default 60s unless --cases is given).
    #[arg(long, value_parser = args::duration)]
    pub duration: Option<Duration>,
    /// How many cases (requests judged) to run.
    #[arg(long)]
    pub cases: Option<u64>,
    /// The seed: the same seed sends the same plans [default: a fresh one,
    /// printed first].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Sessions run at once [default: 16 per core for the embedded emulator
    /// or an endpoint on this machine, 2 for a remote endpoint].
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Per-request timeout, e.g. 10s.
    #[arg(long, default_value = "10s", value_parser = args::duration)]
    pub timeout: Duration,
    /// Requests per second, all jobs together.
    #[arg(long)]
    pub rate: Option<f64>,
    #[command(flatten)]
    pub wire: args::WireFlags,
    /// Directory for the findings' scenarios and curl reproducers.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "pretty")]
    pub format: FuzzReportFormat,
    /// Allow an endpoint that is not on this machine (a real account).
    #[arg(long, env = "CTCONFORM_ALLOW_REMOTE", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false)]
    pub allow_remote: bool,
    /// Pre-created fixture stores, as for `ctconform run`:
    /// fixture.eds_integration=ARN, fixture.eds_management=ARN and
    /// fixture.eds_pending=ARN (all three or none). The run then creates and
    /// deletes no fixture stores (for a shared account's 10-store quota).
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = args::key_value)]
    pub vars: Vec<(String, String)>,
    /// Whose credentials sign: auto (local identity for loopback, AWS chain otherwise), chain, local.
    #[arg(long, value_enum, default_value_t = args::CredentialsFlag::Auto)]
    pub credentials: args::CredentialsFlag,
}

pub(super) async fn fuzz_command(args: FuzzArgs) -> Exit {
    match run(args).await {
        Ok(true) => Exit::Diverged,
        Ok(false) => Exit::Conform,
        Err(error) => Exit::Usage(error),
    }
}

/// Whether the sessions' endpoint is on this machine: the embedded
/// emulator (no `--endpoint`, served over loopback) or a loopback URL.
fn local(endpoint: Option<&str>) -> bool {
    endpoint.is_none_or(wire::is_loopback)
}

/// Threads of sessions: one per core for an endpoint on this machine (the
/// client, not the endpoint, was the limit on one thread: 41 us of CPU per
/// request against the server's 25); one for a remote endpoint, which the
/// network and `--rate` hold back long before.
fn default_threads(endpoint: Option<&str>) -> usize {
    if local(endpoint) {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        1
    }
}

/// Sessions at once when `--jobs` is not given: 16 per thread for an
/// endpoint on this machine (a session mostly waits on its own round trip;
/// on 2 cores, 2 threads: 32 gave 27-28k requests/s against 23-24k with 16
/// and 25-26k with 48 or 64), the gentler two for a remote account.
fn default_jobs(endpoint: Option<&str>, threads: usize) -> usize {
    if local(endpoint) {
        16 * threads
    } else {
        2
    }
}

/// On a terminal, a bar of the cases judged (of `--cases`) or of the time
/// (of `--duration`), on standard error, updated a few times a second.
fn progress_display(
    options: &FuzzOptions,
) -> Option<(indicatif::ProgressBar, tokio::task::JoinHandle<()>)> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let started = std::time::Instant::now();
    let (bar, template) = match (options.cases, options.duration) {
        (Some(cases), _) => (
            indicatif::ProgressBar::new(cases),
            "{bar:40} {pos}/{len} cases {elapsed}",
        ),
        (None, Some(duration)) => (
            indicatif::ProgressBar::new(duration.as_secs().max(1)),
            "{bar:40} {pos}/{len} s, {msg} cases",
        ),
        (None, None) => return None,
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    let counted = std::sync::Arc::clone(&options.cases_done);
    let by_cases = options.cases.is_some();
    let shown = bar.clone();
    let ticker = tokio::spawn(async move {
        loop {
            let cases = counted.load(std::sync::atomic::Ordering::Relaxed);
            if by_cases {
                shown.set_position(cases);
            } else {
                shown.set_position(started.elapsed().as_secs());
                shown.set_message(cases.to_string());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    Some((bar, ticker))
}

/// `Ok(true)` when divergences were found, `Err` for a usage error or a
/// run that could not start.
async fn run(args: FuzzArgs) -> Result<bool, CommandError> {
    let threads = default_threads(args.endpoint.as_deref());
    let jobs = args
        .jobs
        .unwrap_or_else(|| default_jobs(args.endpoint.as_deref(), threads));
    if jobs == 0 {
        return Err(CommandError::Flags("--jobs must be at least 1"));
    }
    if args.rate.is_some_and(|r| r <= 0.0 || !r.is_finite()) {
        return Err(CommandError::Flags(
            "--rate must be a positive number of requests per second",
        ));
    }
    if let Some(endpoint) = &args.endpoint {
        wire::validate_endpoint(endpoint)?;
        if !wire::is_loopback(endpoint) && !args.allow_remote {
            return Err(CommandError::Remote {
                endpoint: endpoint.clone(),
                acts: Remote::Fuzz,
            });
        }
    }
    if args.cases == Some(0) {
        return Err(CommandError::Flags("--cases must be at least 1"));
    }
    if args.duration == Some(Duration::ZERO) {
        return Err(CommandError::Flags("--duration must be longer than 0s"));
    }
    let fixtures =
        GivenFixtures::from_vars(&args.vars).map_err(|e| CommandError::Fuzzer(e.to_string()))?;
    // Fresh by default, so that nightly runs explore new plans; printed
    // first, so that even a killed run can be replayed.
    let seed = args.seed.unwrap_or_else(rand::random);
    eprintln!("seed: {seed} (replay with --seed {seed})");
    let credentials = args
        .endpoint
        .as_deref()
        .map(|endpoint| args.credentials.source(endpoint));
    let duration = match (args.duration, args.cases) {
        (None, None) => Some(Duration::from_secs(60)),
        (duration, _) => duration,
    };
    let options = FuzzOptions {
        endpoint: args.endpoint,
        region: args.region,
        duration,
        cases: args.cases,
        seed,
        jobs,
        timeout: args.timeout,
        rate: args.rate,
        retry: args.wire.retry(),
        pace: args.wire.pace,
        out: args.out,
        credentials,
        fixtures,
        threads,
        ..FuzzOptions::default()
    };
    let progress = progress_display(&options);
    let report = fuzz(options).await;
    if let Some((bar, ticker)) = progress {
        ticker.abort();
        bar.finish_and_clear();
    }
    if let Some(error) = &report.error {
        return Err(CommandError::Fuzzer(error.clone()));
    }
    match args.format {
        FuzzReportFormat::Pretty => print!("{}", ctconform::report::fuzz_pretty(&report)),
        FuzzReportFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report)
                .map_err(|e| CommandError::FuzzReport(e.to_string()))?
        ),
    }
    Ok(report.diverged())
}
