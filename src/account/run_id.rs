//! Run ids: `r` + the creation minute (since 2024-01-01 UTC, 5 base36
//! digits, good until the year 2138) + 3 random base36 digits, e.g.
//! `r0v2k9x7q`. Short, because every resource name carries one and names
//! stay within 128 characters; dated, so that `ctconform cleanup
//! --older-than` can tell abandoned resources from a run in progress.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;

/// 2024-01-01T00:00:00Z in seconds since the Unix epoch.
const EPOCH_2024: u64 = 1_704_067_200;
const TIME_DIGITS: usize = 5;
const RANDOM_DIGITS: usize = 3;
const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// A fresh run id for a run starting now.
pub fn new_run_id() -> String {
    let mut rng = rand::rng();
    let random: u64 = rng.random_range(0..36u64.pow(RANDOM_DIGITS as u32));
    run_id_at(SystemTime::now(), random)
}

/// The run id of a run started at `time` with this random part.
fn run_id_at(time: SystemTime, random: u64) -> String {
    let minutes = minutes_since_2024(time);
    format!(
        "r{}{}",
        base36(minutes, TIME_DIGITS),
        base36(random, RANDOM_DIGITS)
    )
}

/// How long ago the run `id` started; `None` when `id` is not a run id of
/// this form. A run id from the future (clock skew) is zero old.
pub fn run_id_age(id: &str) -> Option<Duration> {
    run_id_age_at(id, SystemTime::now())
}

fn run_id_age_at(id: &str, now: SystemTime) -> Option<Duration> {
    let digits = id.strip_prefix('r')?;
    if digits.len() != TIME_DIGITS + RANDOM_DIGITS || !digits.bytes().all(|b| DIGITS.contains(&b)) {
        return None;
    }
    let created = u64::from_str_radix(&digits[..TIME_DIGITS], 36).ok()?;
    let age_minutes = minutes_since_2024(now).saturating_sub(created);
    Some(Duration::from_secs(age_minutes * 60))
}

fn minutes_since_2024(time: SystemTime) -> u64 {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    seconds.saturating_sub(EPOCH_2024) / 60
}

/// `value` in lowercase base36, zero-padded to `width` (wider if it must).
fn base36(mut value: u64, width: usize) -> String {
    let mut digits = Vec::new();
    while value > 0 || digits.len() < width {
        digits.push(DIGITS[(value % 36) as usize]);
        value /= 36;
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn ids_are_short_and_lowercase_base36() {
        let id = new_run_id();
        assert_eq!(id.len(), 9, "{id}");
        assert!(id.starts_with('r'));
        assert!(id[1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()));
    }

    #[test]
    fn ids_encode_their_minute() {
        assert_eq!(run_id_at(at(EPOCH_2024), 0), "r00000000");
        assert_eq!(run_id_at(at(EPOCH_2024 + 60 * 37), 35), "r0001100z");
        let id = run_id_at(at(EPOCH_2024 + 86_400 * 400), 7);
        let a_day_later = at(EPOCH_2024 + 86_400 * 401 + 59);
        assert_eq!(
            run_id_age_at(&id, a_day_later),
            Some(Duration::from_secs(86_400))
        );
    }

    #[test]
    fn a_fresh_id_is_young() {
        let age = run_id_age(&new_run_id()).unwrap();
        assert!(age <= Duration::from_secs(60), "{age:?}");
    }

    #[test]
    fn ids_from_the_future_are_zero_old() {
        let id = run_id_at(at(EPOCH_2024 + 86_400), 0);
        assert_eq!(run_id_age_at(&id, at(EPOCH_2024)), Some(Duration::ZERO));
    }

    #[test]
    fn other_texts_are_not_run_ids() {
        for text in [
            "",
            "r",
            "r0000000",
            "r000000000",
            "x00000000",
            "r0000000A",
            "r0000-000",
        ] {
            assert_eq!(run_id_age(text), None, "{text:?}");
        }
    }
}
