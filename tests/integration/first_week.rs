//! A user's first week with the binary (issue 17): repeated and concurrent
//! runs against one long-lived `ctconform serve`, the fixture stores they
//! share, and the edges of each command.

use crate::common;
use crate::harness;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ctconform::wire::{Client, ClientConfig, Request};
use harness::Finished;
use serde_json::json;

/// Far above any run here: a hang fails the test instead of stalling it.
const LIMIT: Duration = Duration::from_secs(180);

fn ctconform(args: &[&str]) -> Finished {
    harness::ctconform(args, LIMIT)
}

/// `ctconform serve` on a free port (with `extra` flags), killed on drop.
struct Served {
    child: Child,
    url: String,
}

impl Served {
    fn start(extra: &[&str]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ctconform"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        let url = ready.trim().rsplit(' ').next().unwrap().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{ready}");
        Served { child, url }
    }

    fn run(&self, extra: &[&str]) -> Finished {
        let mut args = vec![
            "run",
            "--endpoint",
            &self.url,
            "--snapshot-profile",
            "reference",
        ];
        args.extend_from_slice(extra);
        ctconform(&args)
    }

    /// (name, ARN, status) of every event data store the server holds (the
    /// status as GetEventDataStore tells it: a listing need not).
    fn stores(&self) -> Vec<(String, String, String)> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let client = Client::new(ClientConfig::new(self.url.clone(), "us-east-1"))
                .await
                .unwrap();
            let outcome = client
                .send(&Request::json("ListEventDataStores", json!({})))
                .await;
            let body = outcome.success_json().expect("ListEventDataStores").clone();
            let mut stores = Vec::new();
            for store in body["EventDataStores"].as_array().unwrap() {
                let text = |key: &str| store[key].as_str().unwrap_or_default().to_string();
                let arn = text("EventDataStoreArn");
                let described = client
                    .send(&Request::json(
                        "GetEventDataStore",
                        json!({ "EventDataStore": arn }),
                    ))
                    .await;
                let status = described
                    .success_json()
                    .and_then(|body| body["Status"].as_str())
                    .unwrap_or_default()
                    .to_string();
                stores.push((text("Name"), arn, status));
            }
            stores
        })
    }

    fn fixture_stores(&self) -> BTreeSet<(String, String, String)> {
        self.stores()
            .into_iter()
            .filter(|(name, _, _)| name.starts_with("ctconform-fixture-"))
            .collect()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn summary(output: &Finished) -> String {
    output.stdout.lines().last().unwrap_or_default().to_string()
}

#[test]
fn ten_consecutive_runs_against_one_serve_pass_and_make_no_store_after_the_first() {
    let served = Served::start(&[]);
    let first = served.run(&[]);
    assert_eq!(first.code, Some(0), "{}", first.text());
    let after_first = served.stores();
    let fixtures = served.fixture_stores();
    assert_eq!(fixtures.len(), 3, "{fixtures:?}");
    for run in 2..=10 {
        let output = served.run(&[]);
        assert_eq!(output.code, Some(0), "run {run}: {}", output.text());
        assert!(summary(&output).contains(" 0 failed"), "{}", output.text());
        assert_eq!(
            served.stores(),
            after_first,
            "run {run} made or changed stores"
        );
    }
}

#[test]
fn scenarios_that_make_stores_are_skipped_on_a_long_lived_endpoint_unless_asked_for() {
    let served = Served::start(&[]);
    let output = served.run(&["--rule", "OP3", "--rule", "OP2"]);
    assert_eq!(output.code, Some(0), "{}", output.text());
    assert!(
        output
            .stdout
            .contains("SKIP  supporting-op3-delete-store-with-channel")
            && output.stdout.contains("pass --create-stores"),
        "{}",
        output.text()
    );
    let output = served.run(&["--rule", "OP3", "--create-stores"]);
    assert_eq!(output.code, Some(0), "{}", output.text());
    assert!(
        output
            .stdout
            .contains("PASS  supporting-op3-delete-store-with-channel"),
        "{}",
        output.text()
    );
}

#[test]
fn five_concurrent_runs_against_one_serve_all_pass() {
    let served = Served::start(&[]);
    let runs: Vec<_> = (0..5)
        .map(|_| {
            let url = served.url.clone();
            std::thread::spawn(move || {
                ctconform(&["run", "--endpoint", &url, "--snapshot-profile", "reference"])
            })
        })
        .collect();
    for (n, run) in runs.into_iter().enumerate() {
        let output = run.join().unwrap();
        assert_eq!(output.code, Some(0), "run {n}: {}", output.text());
    }
    assert_eq!(served.fixture_stores().len(), 3, "{:?}", served.stores());
}

#[test]
fn the_fuzzer_reuses_the_run_fixture_stores() {
    let served = Served::start(&[]);
    let first = served.run(&["--rule", "E3", "--rule", "E4"]);
    assert_eq!(first.code, Some(0), "{}", first.text());
    let fixtures = served.fixture_stores();
    assert_eq!(fixtures.len(), 3, "{fixtures:?}");
    for seed in ["1", "2"] {
        let fuzzed = ctconform(&[
            "fuzz",
            "--endpoint",
            &served.url,
            "--cases",
            "200",
            "--seed",
            seed,
            "--jobs",
            "2",
        ]);
        assert_eq!(fuzzed.code, Some(0), "{}", fuzzed.text());
        assert_eq!(served.fixture_stores(), fixtures, "{}", fuzzed.text());
    }
}

#[test]
fn cleanup_fixtures_retires_them_and_the_next_run_makes_new_ones() {
    let served = Served::start(&[]);
    let first = served.run(&["--rule", "E4", "--rule", "E3"]);
    assert_eq!(first.code, Some(0), "{}", first.text());
    let retired = ctconform(&["cleanup", "--endpoint", &served.url, "--fixtures"]);
    assert_eq!(retired.code, Some(0), "{}", retired.text());
    assert!(
        retired.stdout.contains("ctconform-fixture-integration")
            && retired.stdout.contains("ctconform-fixture-management"),
        "{}",
        retired.text()
    );
    let fixtures = served.fixture_stores();
    assert!(
        fixtures
            .iter()
            .all(|(_, _, status)| status == "PENDING_DELETION"),
        "{fixtures:?}"
    );
    let next = served.run(&["--rule", "E4", "--rule", "E3"]);
    assert_eq!(next.code, Some(0), "{}", next.text());
    let names: BTreeSet<String> = served
        .fixture_stores()
        .into_iter()
        .filter(|(_, _, status)| status != "PENDING_DELETION")
        .map(|(name, _, _)| name)
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "ctconform-fixture-integration-1".to_string(),
            "ctconform-fixture-management-1".to_string()
        ])
    );
}

#[test]
fn a_full_store_quota_can_be_raised_on_serve() {
    // Stores pending deletion count towards the ten (contract section 5);
    // a local user raises the quota rather than wait.
    let served = Served::start(&["--max-stores", "40"]);
    for _ in 0..5 {
        // The store-quota scenario checks the contract's ten, which this
        // serve deliberately raises.
        let output = served.run(&[
            "--rule",
            "OP1",
            "--rule",
            "OP3",
            "--create-stores",
            "--skip-tag",
            "store-quota",
        ]);
        assert_eq!(output.code, Some(0), "{}", output.text());
    }
    assert!(served.stores().len() > 10, "{:?}", served.stores());
}

#[test]
fn the_account_is_known_whatever_the_selection() {
    for selection in [
        ["--rule", "OP1"],
        ["--filter", "op4-get-unknown-channel-arn"],
    ] {
        let output = ctconform(&["run", selection[0], selection[1]]);
        assert_eq!(output.code, Some(0), "{selection:?}: {}", output.text());
    }
}

/// A lock left by a killed run: the next run waits, then says so (exit 2,
/// not a divergence), and `cleanup --fixtures` removes it.
#[test]
fn a_lock_left_by_a_killed_run_is_reported_and_removed_by_cleanup() {
    let served = Served::start(&[]);
    let first = served.run(&["--rule", "C1"]);
    assert_eq!(first.code, Some(0), "{}", first.text());
    let (_, store, _) = served
        .fixture_stores()
        .into_iter()
        .find(|(name, _, _)| name == "ctconform-fixture-integration")
        .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = Client::new(ClientConfig::new(served.url.clone(), "us-east-1"))
            .await
            .unwrap();
        let made = client
            .send(&Request::json(
                "CreateChannel",
                json!({"Name": "ctconform-lock", "Source": "Custom",
                       "Destinations": [{"Type": "EVENT_DATA_STORE", "Location": store}]}),
            ))
            .await;
        assert!(made.is_success());
    });
    let blocked = served.run(&["--rule", "C1", "--deadline", "1s"]);
    assert_eq!(blocked.code, Some(2), "{}", blocked.text());
    assert!(
        blocked
            .text()
            .contains("another ctconform run is using this endpoint")
            && blocked.text().contains("cleanup --fixtures"),
        "{}",
        blocked.text()
    );
    assert!(!blocked.text().contains("FAIL"), "{}", blocked.text());
    let cleaned = ctconform(&["cleanup", "--endpoint", &served.url, "--fixtures"]);
    assert_eq!(cleaned.code, Some(0), "{}", cleaned.text());
    assert!(
        cleaned.stdout.contains("channel ctconform-lock"),
        "{}",
        cleaned.text()
    );
}

#[test]
fn the_run_id_is_printed_first() {
    let output = ctconform(&["run", "--rule", "C1"]);
    assert_eq!(output.code, Some(0), "{}", output.text());
    let first = output.stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with("run id: r"), "{}", output.text());
    let id = first["run id: ".len()..].split(' ').next().unwrap();
    assert!(ctconform::runner::run_id_age(id).is_some(), "{first}");
}

#[test]
fn an_unknown_rule_id_is_named_as_such() {
    let output = ctconform(&["run", "--rule", "Z9"]);
    assert_eq!(output.code, Some(2), "{}", output.text());
    assert!(
        output.stderr.contains("unknown rule id `Z9`"),
        "{}",
        output.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_report_path_is_refused_before_the_first_request() {
    let server = harness::counting_server().await;
    let url = server.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        ctconform(&[
            "run",
            "--endpoint",
            &url,
            "--report",
            "junit=no-such-dir-ctconform/r.xml",
        ])
    })
    .await
    .unwrap();
    assert_eq!(output.code, Some(2), "{}", output.text());
    assert!(
        output.stderr.contains("no-such-dir-ctconform/r.xml"),
        "{}",
        output.text()
    );
    assert_eq!(
        server.connections.load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

#[test]
fn cleanup_takes_only_well_formed_run_ids() {
    let served = Served::start(&[]);
    for id in ["hello", "r0000", "r0000000A"] {
        let output = ctconform(&["cleanup", "--endpoint", &served.url, "--run-id", id]);
        assert_eq!(output.code, Some(2), "{id}: {}", output.text());
        assert!(
            output.stderr.contains("is not a run id"),
            "{}",
            output.text()
        );
    }
}

#[test]
fn fuzz_seeds_are_fresh_printed_first_and_cases_zero_is_refused() {
    let seed = |output: &Finished| {
        let first = output.stderr.lines().next().unwrap_or_default().to_string();
        assert!(first.starts_with("seed: "), "{}", output.text());
        first
    };
    let one = ctconform(&["fuzz", "--cases", "20", "--jobs", "1"]);
    let two = ctconform(&["fuzz", "--cases", "20", "--jobs", "1"]);
    assert_eq!(one.code, Some(0), "{}", one.text());
    assert_ne!(seed(&one), seed(&two));
    let zero = ctconform(&["fuzz", "--cases", "0"]);
    assert_eq!(zero.code, Some(2), "{}", zero.text());
    assert!(zero.stderr.contains("--cases"), "{}", zero.text());
}

#[test]
fn a_closed_standard_output_ends_the_run_quietly() {
    use std::io::Read;
    let mut child = harness::command(&["run"]).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(status.code(), Some(141), "{stderr}");
}

#[test]
fn call_refuses_a_remote_endpoint_and_honours_ctconform_endpoint() {
    let output = ctconform(&[
        "call",
        "ListChannels",
        "--endpoint",
        "https://cloudtrail.us-east-1.amazonaws.com",
    ]);
    assert_eq!(output.code, Some(2), "{}", output.text());
    assert!(
        output.stderr.contains("--allow-remote"),
        "{}",
        output.text()
    );

    let served = Served::start(&[]);
    let mut command = harness::command(&["call", "ListChannels"]);
    command.env("CTCONFORM_ENDPOINT", &served.url);
    let output = harness::run(command, LIMIT);
    assert_eq!(output.code, Some(0), "{}", output.text());
    // Only the body on standard output: pipeable into jq.
    let body: serde_json::Value = serde_json::from_str(&output.stdout).expect("JSON alone");
    assert!(body["Channels"].is_array(), "{body}");
    assert!(output.stderr.contains("status: 200"), "{}", output.text());
}

/// A scratch directory of scenario files, removed on drop.
struct Scenarios(std::path::PathBuf);

impl Scenarios {
    fn new(files: &[(&str, &str)]) -> Scenarios {
        let dir = std::env::temp_dir().join(format!(
            "ctconform-first-week-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        Scenarios(dir)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Scenarios {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const UNKNOWN_CHANNEL: &str =
    "arn:aws:cloudtrail:us-east-1:123456789012:channel/00000000-0000-4000-8000-000000000000";

#[test]
fn setup_and_cleanup_failures_unrecorded_steps_and_modelled_404s_are_reported_as_they_are() {
    let setup_fails = format!(
        "name = \"setup-fails\"\ndescription = \"d\"\nrules = [\"OP4\"]\n\
         [[setup]]\nop = \"GetChannel\"\ninput = {{ Channel = \"{UNKNOWN_CHANNEL}\" }}\n\
         [[steps]]\nop = \"ListChannels\"\ninput = {{}}\nsnapshot = false\nexpect = {{ status = 200 }}\n"
    );
    let cleanup_fails = "name = \"cleanup-fails\"\ndescription = \"d\"\nrules = [\"OP4\"]\n\
         [[steps]]\nop = \"ListChannels\"\ninput = {}\nsnapshot = false\nexpect = { status = 200 }\n\
         [[cleanup]]\nop = \"DeleteChannel\"\ninput = { Channel = 5 }\n";
    let strict_400 = format!(
        "name = \"strict-400\"\ndescription = \"d\"\nrules = [\"OP4\"]\n\
         [[steps]]\nop = \"GetChannel\"\ninput = {{ Channel = \"{UNKNOWN_CHANNEL}\" }}\n\
         expect = {{ status = 400, error = \"ChannelNotFoundException\" }}\n"
    );
    let scenarios = Scenarios::new(&[
        ("setup-fails.toml", &setup_fails),
        ("cleanup-fails.toml", cleanup_fails),
        ("strict-400.toml", &strict_400),
    ]);
    // A profile with one unrelated recording: verification is on by default.
    let snapshots = Scenarios::new(&[]);
    let profile = snapshots.0.join("reference");
    std::fs::create_dir_all(&profile).unwrap();
    std::fs::write(profile.join("other__x.snap"), "---\n---\n").unwrap();
    let output = ctconform(&[
        "run",
        "--scenarios",
        scenarios.path(),
        "--snapshot-dir",
        snapshots.path(),
    ]);
    let text = output.text();
    assert_eq!(output.code, Some(1), "{text}");
    assert!(
        text.contains("SKIP  setup-fails") && text.contains("cannot test: setup step"),
        "{text}"
    );
    assert!(
        text.contains("PASS  cleanup-fails")
            && text.contains("cleanup step `cleanup-1-DeleteChannel` failed"),
        "{text}"
    );
    assert!(text.contains("FAIL  strict-400"), "{text}");
    assert!(!text.contains("does not implement GetChannel"), "{text}");
    assert!(text.contains("have no recording in"), "{text}");
}

#[tokio::test]
async fn the_library_refuses_a_remote_endpoint_unless_allowed() {
    let suite = ctconform::Suite::load("scenarios", &[])
        .unwrap()
        .with_rules(&["C1"]);
    let refused = suite
        .run(
            "https://cloudtrail.us-east-1.amazonaws.com",
            &ctconform::Options::default(),
        )
        .await
        .expect_err("a real account needs allow_remote");
    assert!(refused.0.contains("allow_remote"), "{refused}");
}

#[test]
fn one_scenario_file_runs_and_checks_and_vars_take_one_form() {
    let file = "scenarios/supporting/op4-get-unknown-channel-arn.toml";
    assert!(std::path::Path::new(file).is_file());
    let run = ctconform(&["run", "--scenarios", file]);
    assert_eq!(run.code, Some(0), "{}", run.text());
    assert!(summary(&run).starts_with("1 passed"), "{}", run.text());
    let check = ctconform(&["check", file, "--var", "fixture.eds_integration=arn:x"]);
    assert_eq!(check.code, Some(0), "{}", check.text());
    assert!(
        check.stdout.contains("1 scenario file(s)"),
        "{}",
        check.text()
    );
}

#[test]
fn an_unclosed_bracket_is_one_clear_error() {
    let scenarios = Scenarios::new(&[(
        "a.toml",
        "name = \"x\"\ndescription = \"d\"\nrules = [\"N1\"\n[[steps]]\nop = \"CreateChannel\"\n\
         input = {}\nexpect = { status = 400 }\n",
    )]);
    let output = ctconform(&["check", scenarios.path()]);
    assert_eq!(output.code, Some(2), "{}", output.text());
    assert!(
        output
            .stderr
            .contains("a.toml:3:9: TOML: unclosed array: this `[` is never closed"),
        "{}",
        output.text()
    );
    assert!(output.stderr.contains("1 problem(s)"), "{}", output.text());
}

#[test]
fn the_auth_scenarios_pass_against_serve_verify_signatures() {
    let served = Served::start(&["--verify-signatures"]);
    let output = served.run(&["--tag", "auth", "--snapshots", "off"]);
    assert_eq!(output.code, Some(0), "{}", output.text());
    assert!(
        summary(&output).starts_with("4 passed, 0 failed"),
        "{}",
        output.text()
    );
    // And everything else still passes: ctconform's own signatures verify.
    let output = served.run(&["--rule", "C1", "--rule", "OP4"]);
    assert_eq!(output.code, Some(0), "{}", output.text());
    // Without the flag, the emulator enforces nothing: the auth rules fail.
    let lax = Served::start(&[]);
    let output = lax.run(&["--tag", "auth", "--snapshots", "off"]);
    assert_eq!(output.code, Some(1), "{}", output.text());
}

#[test]
fn a_fuzz_whose_setup_failed_says_so() {
    // No room for the fixture stores.
    let served = Served::start(&["--max-stores", "0"]);
    let output = ctconform(&["fuzz", "--endpoint", &served.url, "--cases", "10"]);
    assert_eq!(output.code, Some(1), "{}", output.text());
    assert!(
        output
            .stdout
            .contains("nothing was fuzzed: the setup failed")
            && !output.stdout.contains("0 divergences"),
        "{}",
        output.text()
    );
}

#[test]
fn junit_counts_skips_as_skipped() {
    let served = Served::start(&[]);
    let output = served.run(&[
        "--rule",
        "OP3",
        "--rule",
        "OP2",
        "--format",
        "junit",
        "--snapshots",
        "off",
    ]);
    assert_eq!(output.code, Some(0), "{}", output.text());
    let report = quick_junit::Report::deserialize_from_str(&output.stdout).expect("valid JUnit");
    // The store-making scenarios of OP2 and OP3 skip without --create-stores.
    let skipped = report.test_suites[0].disabled;
    assert!(skipped >= 1, "{}", output.stdout);
    assert!(
        output
            .stdout
            .contains(&format!("<testsuite skipped=\"{skipped}\"")),
        "{}",
        output.stdout
    );
}

#[test]
fn reproducers_of_an_embedded_run_say_how_to_recreate_its_port() {
    let scenarios = Scenarios::new(&[(
        "strict.toml",
        "name = \"strict\"\ndescription = \"d\"\nrules = [\"OP4\"]\n[[steps]]\nop = \"GetChannel\"\n\
         input = { Channel = \"arn:aws:cloudtrail:us-east-1:123456789012:channel/00000000-0000-4000-8000-000000000000\" }\n\
         snapshot = false\nexpect = { status = 400, error = \"ChannelNotFoundException\" }\n",
    )]);
    let output = ctconform(&["run", "--scenarios", scenarios.path()]);
    assert_eq!(output.code, Some(1), "{}", output.text());
    assert!(
        output.text().contains(
            "the embedded emulator, gone with this run: `ctconform serve --addr 127.0.0.1:"
        ),
        "{}",
        output.text()
    );
}

/// Runs `ctconform args` with standard output and error on a fresh
/// pseudo-terminal (as in an interactive shell); what the terminal showed.
fn on_a_terminal(args: &[&str]) -> (Option<i32>, String) {
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::fs::OpenOptionsExt;
    // Both ends close on exec: the other tests of this process spawn children
    // too, and one that inherited the terminal would hold it open (the read
    // below would then wait for that child rather than for ours).
    // SAFETY: plain syscall; a non-negative result is a descriptor we own.
    let master = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
    assert!(
        master >= 0,
        "posix_openpt: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: fresh descriptor we own.
    let mut terminal = unsafe { std::fs::File::from_raw_fd(master) };
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: `master` is a pseudo-terminal master; `name` is ours and sized.
    let ready = unsafe {
        libc::grantpt(master) == 0
            && libc::unlockpt(master) == 0
            && libc::ptsname_r(master, name.as_mut_ptr(), name.len()) == 0
    };
    assert!(
        ready,
        "pseudo-terminal: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: ptsname_r wrote a NUL-terminated path into `name`.
    let name = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) };
    // std opens with O_CLOEXEC; the child's stdio gets its own copies.
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(name.to_str().unwrap())
        .expect("the terminal's slave end");
    let (out, err) = (
        OwnedFd::from(slave.try_clone().unwrap()),
        OwnedFd::from(slave.try_clone().unwrap()),
    );
    let mut command = harness::command(args);
    command.stdout(Stdio::from(out)).stderr(Stdio::from(err));
    let mut child = command.spawn().unwrap();
    // Ours closed: the child holds the only copies.
    drop(command);
    drop(slave);
    let mut shown = Vec::new();
    let mut buffer = [0u8; 4096];
    // Reading the master ends with EIO once the child has closed the terminal.
    while let Ok(n) = terminal.read(&mut buffer) {
        if n == 0 {
            break;
        }
        shown.extend_from_slice(&buffer[..n]);
    }
    let status = child.wait().unwrap();
    (status.code(), String::from_utf8_lossy(&shown).into_owned())
}

#[test]
fn no_color_keeps_the_progress_bar_and_fuzz_shows_progress() {
    // harness::command sets NO_COLOR=1.
    let (code, shown) = on_a_terminal(&["run"]);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains(" scenarios "), "a progress bar: {shown}");
    assert!(!shown.contains("\u{1b}[3"), "no colour: {shown:?}");
    let (code, shown) = on_a_terminal(&["fuzz", "--cases", "2000", "--jobs", "2"]);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("/2000 cases"), "a progress bar: {shown}");
}

#[test]
fn call_into_a_closed_pipe_ends_quietly() {
    let served = Served::start(&[]);
    let mut child = harness::command(&["call", "ListChannels", "--endpoint", &served.url])
        .spawn()
        .unwrap();
    // Closed before the answer comes: its printing meets a broken pipe.
    drop(child.stdout.take());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(status.code(), Some(141), "{stderr}");
}

#[test]
fn a_nightly_like_sequence_against_one_endpoint_passes_and_keeps_the_fixtures() {
    let served = Served::start(&[]);
    let first = served.run(&[]);
    assert_eq!(first.code, Some(0), "{}", first.text());
    let fixtures = served.fixture_stores();
    let fuzzed = ctconform(&[
        "fuzz",
        "--endpoint",
        &served.url,
        "--cases",
        "500",
        "--jobs",
        "4",
    ]);
    assert_eq!(fuzzed.code, Some(0), "{}", fuzzed.text());
    let cleaned = ctconform(&["cleanup", "--endpoint", &served.url, "--older-than", "1d"]);
    assert_eq!(cleaned.code, Some(0), "{}", cleaned.text());
    let again = served.run(&[]);
    assert_eq!(again.code, Some(0), "{}", again.text());
    assert_eq!(served.fixture_stores(), fixtures);
}

/// Issue 17 item 7: a resource left behind fails the run, and the closing
/// line counts it as JSON and JUnit do. The endpoint answers DeleteChannel
/// with success but keeps the channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leak_counts_in_the_closing_line() {
    let keeps_channels = common::rewritten(std::sync::Arc::new(|x: &common::Exchange| {
        (x.status == 0 && x.operation() == "DeleteChannel")
            .then(|| common::Reply::json(200, &json!({})))
    }))
    .await;
    let url = keeps_channels.url.clone();
    let json_path =
        std::env::temp_dir().join(format!("ctconform-leak-{}.json", std::process::id()));
    let json_arg = format!("json={}", json_path.display());
    // One run: the endpoint also keeps the run's lock channel, which a
    // second run would wait for.
    let pretty = tokio::task::spawn_blocking(move || {
        harness::ctconform(
            &[
                "run",
                "--endpoint",
                &url,
                "--filter",
                "success-ok2-get-channel-by-arn",
                "--report",
                &json_arg,
            ],
            Duration::from_secs(120),
        )
    })
    .await
    .unwrap();
    assert_eq!(pretty.code, Some(1), "{}", pretty.text());
    let closing = pretty
        .stdout
        .lines()
        .rev()
        .find(|line| line.contains(" passed, "))
        .unwrap_or_else(|| panic!("{}", pretty.text()));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let _ = std::fs::remove_file(&json_path);
    let leaks = report["leaks"].as_array().unwrap().len();
    assert!(leaks >= 1, "{report:#}");
    let failed = report["counts"]["failed"].as_u64().unwrap() as usize
        + report["counts"]["errored"].as_u64().unwrap() as usize;
    assert!(
        closing.contains(&format!(" {} failed,", failed + leaks))
            && closing.contains(&format!("({leaks} of the failed: resources left behind)")),
        "closing line {closing:?}; the report has {failed} failed and {leaks} leaks"
    );
    assert_eq!(report["conforms"], false);
}
