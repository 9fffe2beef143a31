//! The reference emulator as the official AWS clients see it: the Python
//! scripts of tests/sdk drive `ctconform serve` with boto3 and the AWS CLI
//! (pinned in tests/sdk/requirements.txt), and sweep every constraint of the
//! model against it, checking the table in docs/fidelity.md. The clients
//! live in a virtual environment that `.ci/run` makes with
//! tests/sdk/install.sh: `$CTCONFORM_SDK_VENV`, else
//! `${TMPDIR:-/tmp}/ctconform-sdk-venv`. Without it the tests skip and say so.

use crate::harness;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Far above a run (seconds on a laptop): a hang fails instead of stalling.
const LIMIT: Duration = Duration::from_secs(300);

/// `ctconform serve` on a free port; killed on drop.
struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ctconform"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ctconform serve starts");
    let mut ready = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    let url = ready.trim().rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{ready}");
    Served { child, url }
}

fn venv() -> PathBuf {
    match std::env::var_os("CTCONFORM_SDK_VENV") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::temp_dir().join("ctconform-sdk-venv"),
    }
}

/// The venv's Python when it can import boto3; `None` (and why) otherwise.
fn python() -> Result<PathBuf, String> {
    let python = venv().join("bin/python");
    let works = Command::new(&python)
        .args(["-c", "import boto3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if works {
        Ok(python)
    } else {
        Err(format!(
            "{} cannot import boto3 (tests/sdk/install.sh installs the pinned clients; .ci/run runs it)",
            python.display()
        ))
    }
}

fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

/// Runs a script of tests/sdk with `args`; panics with its output unless it exits 0.
fn run_script(python: &Path, script: &str, args: &[&str]) -> String {
    let mut command = Command::new(python);
    command
        .arg(sdk_dir().join(script))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let finished = harness::run(command, LIMIT);
    assert!(!finished.killed, "{script} hung: {}", finished.text());
    assert_eq!(finished.code, Some(0), "{script}: {}", finished.text());
    eprintln!("{script}: {}", finished.stdout.trim());
    finished.stdout
}

macro_rules! python_or_skip {
    ($test:literal) => {
        match python() {
            Ok(python) => python,
            Err(why) => {
                eprintln!("SKIPPED {}: {why}", $test);
                return;
            }
        }
    };
}

#[test]
fn boto3_creates_reads_lists_updates_and_deletes_and_gets_modelled_errors() {
    let python =
        python_or_skip!("boto3_creates_reads_lists_updates_and_deletes_and_gets_modelled_errors");
    let served = serve();
    let out = run_script(&python, "boto3_lifecycle.py", &[&served.url]);
    assert!(out.contains("across 11 of 11 operations"), "{out}");
}

#[test]
fn the_aws_cli_creates_reads_lists_updates_and_deletes() {
    let python = python_or_skip!("the_aws_cli_creates_reads_lists_updates_and_deletes");
    let aws = venv().join("bin/aws");
    if !aws.is_file() {
        eprintln!(
            "SKIPPED the_aws_cli_creates_reads_lists_updates_and_deletes: no {} (tests/sdk/install.sh)",
            aws.display()
        );
        return;
    }
    let served = serve();
    let out = run_script(
        &python,
        "cli_lifecycle.py",
        &[aws.to_str().unwrap(), &served.url],
    );
    assert!(out.starts_with("aws-cli/"), "{out}");
}

#[test]
fn every_model_constraint_is_enforced_and_docs_fidelity_shows_it() {
    let python = python_or_skip!("every_model_constraint_is_enforced_and_docs_fidelity_shows_it");
    let served = serve();
    let out = run_script(
        &python,
        "sweep.py",
        &[&served.url, "--check-doc", "docs/fidelity.md"],
    );
    assert!(
        out.contains("constraints of 11 operations, 0 problems"),
        "{out}"
    );
}
