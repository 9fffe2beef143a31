//! `ctconform fuzz`: its arguments and the glue from them to [`fuzz`];
//! the CLI module wires `FuzzArgs` in as a subcommand.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::runner::{fuzz, FuzzOptions};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Pretty,
    Json,
}

/// Fuzz an endpoint (or the embedded emulator) with structured, stateful
/// request sequences judged by the contract's oracle.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// The endpoint under test; without it, the embedded emulator.
    #[arg(long, env = "CTCONFORM_ENDPOINT")]
    pub endpoint: Option<String>,
    /// SigV4 signing region.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// How long to fuzz, e.g. 60s, 5m (default 60s unless --cases is given).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// How many cases (requests judged) to run.
    #[arg(long)]
    pub cases: Option<u64>,
    /// The seed: the same seed sends the same plans.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Sessions run at once.
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// Per-request timeout, e.g. 10s.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Requests per second, all jobs together.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Directory for the findings' scenarios and curl reproducers.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "pretty")]
    pub format: Format,
}

/// `30`, `30s`, `500ms`, `5m`, `1h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 30s, 500ms or 5m"))?;
    let seconds = match unit {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {text:?}: use ms, s, m or h"
            ))
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text:?}: {e}"))
}

/// Runs `ctconform fuzz`; `Ok(true)` when divergences were found, `Err`
/// for a usage error or a run that could not start.
pub async fn run(args: FuzzArgs) -> Result<bool, String> {
    if args.jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    if args.rate.is_some_and(|r| r <= 0.0 || !r.is_finite()) {
        return Err("--rate must be a positive number of requests per second".into());
    }
    let duration = match (args.duration, args.cases) {
        (None, None) => Some(Duration::from_secs(60)),
        (duration, _) => duration,
    };
    let options = FuzzOptions {
        endpoint: args.endpoint,
        region: args.region,
        duration,
        cases: args.cases,
        seed: args.seed,
        jobs: args.jobs,
        timeout: args.timeout,
        rate: args.rate,
        out: args.out,
        ..FuzzOptions::default()
    };
    let report = fuzz(options).await;
    if let Some(error) = &report.error {
        return Err(error.clone());
    }
    match args.format {
        Format::Pretty => print!("{}", report.render_pretty()),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        ),
    }
    Ok(report.diverged())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("3d").is_err());
    }
}
