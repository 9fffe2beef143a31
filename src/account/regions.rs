//! The Regions a run uses besides its own: state is per account and
//! Region, so the scenarios and the fuzzer check it in a second one.

/// The default `region2`: a second Region for the scenarios that check
/// that state is per Region (us-west-2, or us-east-2 when the run's is us-west-2).
pub fn second_region(region: &str) -> &'static str {
    if region == "us-west-2" {
        "us-east-2"
    } else {
        "us-west-2"
    }
}

/// The default `region3`: a Region other than the run's and `region2`, which
/// only the store-quota scenario fills (a full Region stays full: stores
/// pending deletion count for 7 days).
pub fn third_region(region: &str, region2: &str) -> &'static str {
    ["eu-west-1", "eu-central-1", "ap-southeast-2"]
        .into_iter()
        .find(|candidate| *candidate != region && *candidate != region2)
        .unwrap_or("eu-west-1")
}
