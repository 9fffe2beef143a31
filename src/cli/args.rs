//! Argument value parsers shared by subcommands.

use std::time::Duration;

use clap::ValueEnum;

use ctconform::wire::{self, CredentialSource, Pace};

use super::{CommandError, Expected};

/// `--credentials`: whose credentials sign.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(super) enum CredentialsFlag {
    /// The fixed local identity for loopback endpoints, the AWS chain otherwise.
    #[default]
    Auto,
    /// The AWS default credential chain, even for loopback endpoints.
    Chain,
    /// The fixed local identity, even for remote endpoints.
    Local,
}

impl CredentialsFlag {
    pub(super) fn source(self, endpoint: &str) -> CredentialSource {
        match self {
            CredentialsFlag::Auto if wire::is_loopback(endpoint) => CredentialSource::Loopback,
            CredentialsFlag::Auto | CredentialsFlag::Chain => CredentialSource::Chain,
            CredentialsFlag::Local => CredentialSource::Loopback,
        }
    }
}

/// `--retries` and `--pace`: how the wire client retries and paces its
/// requests (`run`, `fuzz` and `cleanup` alike; see docs/staging.md).
#[derive(Clone, Debug, clap::Args)]
pub(super) struct WireFlags {
    /// Retries after a throttling answer or a transient fault (5xx, reset,
    /// timeout), with capped exponential backoff and full jitter as the AWS
    /// SDKs' standard mode (2 retries: 3 attempts); 0 sends each request once.
    #[arg(long, default_value_t = wire::DEFAULT_MAX_ATTEMPTS - 1, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub retries: u32,
    /// Per-operation pacing: `auto` (AWS's published CloudTrail rates for an
    /// endpoint off this machine, none on loopback), `aws` (reads 10/s,
    /// writes 1/s), `off`, or READS:WRITES per second, e.g. 20:2.
    #[arg(long, default_value = "auto", value_parser = pace)]
    pub pace: Pace,
}

impl WireFlags {
    pub(super) fn retry(&self) -> wire::RetryPolicy {
        wire::RetryPolicy::with_retries(self.retries)
    }

    /// The flags on `config` (whose endpoint is already set).
    pub(super) fn apply(&self, config: &mut wire::ClientConfig) {
        config.retry = self.retry();
        config.pacing.per_operation = self.pace.per_operation(&config.endpoint);
    }
}

fn pace(text: &str) -> Result<Pace, CommandError> {
    let rate = |part: &str| match part.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(CommandError::value(
            text,
            Expected::PacingRate {
                part: part.to_string(),
            },
        )),
    };
    match text.trim() {
        "auto" => Ok(Pace::Auto),
        "off" => Ok(Pace::Off),
        "aws" => Ok(Pace::Rates(wire::AWS_READ_RATE, wire::AWS_WRITE_RATE)),
        other => match other.split_once(':') {
            Some((reads, writes)) => Ok(Pace::Rates(rate(reads)?, rate(writes)?)),
            None => Err(CommandError::value(text, Expected::Pacing)),
        },
    }
}

/// A rate in requests per second, above 0.
pub(super) fn rate(text: &str) -> Result<f64, CommandError> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(CommandError::value(text, Expected::Rate)),
    }
}

/// `10s`, `500ms`, `2m`, `1h`, `1d`, or plain seconds.
pub(super) fn duration(text: &str) -> Result<Duration, CommandError> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| CommandError::value(text, Expected::Duration))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86400.0,
        _ => {
            return Err(CommandError::value(
                text,
                Expected::DurationUnit {
                    unit: unit.to_string(),
                },
            ))
        }
    };
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 365.0 * 86400.0 {
        return Err(CommandError::value(text, Expected::PositiveDuration));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// A count of at least 1.
pub(super) fn positive(text: &str) -> Result<usize, CommandError> {
    match text.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(CommandError::value(text, Expected::Count)),
    }
}

/// `KEY=VALUE`.
pub(super) fn key_value(text: &str) -> Result<(String, String), CommandError> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(CommandError::value(text, Expected::KeyValue)),
    }
}

/// The default region: `AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1`.
pub(super) fn default_region() -> String {
    std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .ok()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "us-east-1".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacings() {
        assert_eq!(pace("auto").ok(), Some(Pace::Auto));
        assert_eq!(pace("aws").ok(), Some(Pace::Rates(10.0, 1.0)));
        assert_eq!(pace("20:2").ok(), Some(Pace::Rates(20.0, 2.0)));
        assert!(pace("20").is_err());
        assert!(pace("0:1").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(duration("10s").ok(), Some(Duration::from_secs(10)));
        assert_eq!(duration("500ms").ok(), Some(Duration::from_millis(500)));
        assert_eq!(duration("2m").ok(), Some(Duration::from_secs(120)));
        assert_eq!(duration("1d").ok(), Some(Duration::from_secs(86400)));
        assert_eq!(duration("3").ok(), Some(Duration::from_secs(3)));
        assert!(duration("10x").is_err());
        assert!(duration("0s").is_err());
        assert!(duration("").is_err());
    }

    #[test]
    fn key_values() {
        assert_eq!(key_value("a=b=c").ok(), Some(("a".into(), "b=c".into())));
        assert!(key_value("=x").is_err());
        assert!(key_value("novalue").is_err());
    }
}
