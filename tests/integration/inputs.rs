//! Inputs that are wrong: broken scenario files and bad invocations. Each
//! must end with exit 2 and a precise message (`file:line:col: message`
//! for scenario files, one sentence for flags), and send nothing: the
//! endpoint is a TCP server that counts connections, and must count zero.

use crate::harness;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use harness::{counting_server, Finished};

const LIMIT: Duration = Duration::from_secs(30);

/// A scenario that passes `check`, named `name`.
fn good(name: &str) -> String {
    format!(
        "name = \"{name}\"\ndescription = \"d\"\nrules = [\"C1\"]\n\n[[steps]]\nname = \"get\"\nop = \"GetChannel\"\n\
         input = {{ Channel = \"ctc-${{run_id}}-none\" }}\nexpect = {{ status = [400, 404], error = \"ChannelNotFoundException\" }}\n"
    )
}

/// A scenario directory holding one good file and these broken ones.
struct Dir(PathBuf);

impl Dir {
    fn new(case: &str, files: &[(&str, Vec<u8>)]) -> Dir {
        let path =
            std::env::temp_dir().join(format!("ctconform-inputs-{case}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(path.join("good.toml"), good("good")).unwrap();
        for (name, bytes) in files {
            std::fs::write(path.join(name), bytes).unwrap();
        }
        Dir(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Files of a scenario directory: (file name, bytes).
type Files = Vec<(&'static str, Vec<u8>)>;

/// Broken scenario files: (case, files, what the message must say).
fn broken_files() -> Vec<(&'static str, Files, &'static str)> {
    let step = "[[steps]]\nname = \"get\"\nop = \"GetChannel\"\ninput = { Channel = \"x\" }\n";
    let head = "name = \"bad\"\ndescription = \"d\"\nrules = [\"C1\"]\n";
    let text = |s: String| s.into_bytes();
    let mut huge = good("huge").into_bytes();
    huge.extend(std::iter::repeat_n(b'#', (1 << 20) + 10));
    vec![
        ("toml-error", vec![("bad.toml", text(format!("{head}description = \n")))], "bad.toml:4:"),
        ("wrong-type", vec![("bad.toml", text(format!("name = 5\ndescription = \"d\"\nrules = [\"C1\"]\n{step}expect = {{ status = 404 }}\n")))], "bad.toml:1:"),
        ("unknown-key", vec![("bad.toml", text(format!("{head}frobnicate = 1\n{step}expect = {{ status = 404 }}\n")))], "bad.toml:4:1:"),
        ("missing-expectation", vec![("bad.toml", text(format!("{head}{step}")))], "bad.toml:4:"),
        ("undefined-variable", vec![("bad.toml", text(format!("{head}[[steps]]\nname = \"get\"\nop = \"GetChannel\"\ninput = {{ Channel = \"${{nope}}\" }}\nexpect = {{ status = 404 }}\n")))], "nope"),
        ("circular-variables", vec![("bad.toml", text(format!("{head}[vars]\na = \"${{b}}\"\nb = \"${{a}}\"\n{step}expect = {{ status = 404 }}\n")))], "bad.toml:"),
        ("invalid-utf8", vec![("bad.toml", b"name = \"b\xffd\"\ndescription = \"d\"\n".to_vec())], "bad.toml:1:"),
        ("duplicate-names", vec![("bad.toml", text(good("good")))], "duplicate scenario name `good`"),
        ("huge-file", vec![("bad.toml", huge)], "bad.toml:1:1: file is"),
    ]
}

fn assert_refused(what: &str, finished: &Finished, must_say: &str) {
    let stderr = &finished.stderr;
    assert_eq!(finished.code, Some(2), "{what}: {}", finished.text());
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert!(
        stderr.contains(must_say),
        "{what}: `{must_say}` not in:\n{stderr}"
    );
    let located = stderr.lines().any(|line| {
        line.contains(".toml:")
            && line
                .split(':')
                .nth(2)
                .is_some_and(|c| c.trim().parse::<u32>().is_ok())
    });
    assert!(located, "{what}: no file:line:col: in:\n{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_scenario_files_exit_2_with_file_line_col_and_send_nothing() {
    let server = counting_server().await;
    let url = server.url.clone();
    let results = tokio::task::spawn_blocking(move || {
        broken_files()
            .into_iter()
            .map(|(case, files, must_say)| {
                let dir = Dir::new(case, &files);
                let run = harness::ctconform(
                    &["run", "--scenarios", dir.path(), "--endpoint", &url],
                    LIMIT,
                );
                let check = harness::ctconform(&["check", dir.path()], LIMIT);
                (case, must_say, run, check)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for (case, must_say, run, check) in &results {
        assert_refused(&format!("run, {case}"), run, must_say);
        assert_refused(&format!("check, {case}"), check, must_say);
    }
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        0,
        "something was sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_invocations_exit_2_with_one_sentence_and_send_nothing() {
    let server = counting_server().await;
    let url = server.url.clone();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["run", "--endpoint", "127.0.0.1:4566"],
            "a URL without scheme",
        ),
        (
            vec!["run", "--endpoint", "ftp://127.0.0.1"],
            "not supported",
        ),
        (
            vec!["run", "--endpoint", "http://127.0.0.1:9"],
            "cannot reach http://127.0.0.1:9",
        ),
        (
            vec!["run", "--endpoint", &url, "--timeout", "soon"],
            "--timeout",
        ),
        (vec!["run", "--endpoint", &url, "--jobs", "0"], "--jobs"),
        (
            vec!["run", "--endpoint", &url, "--var", "novalue"],
            "KEY=VALUE",
        ),
        (
            vec!["run", "--endpoint", &url, "--format", "xml"],
            "--format",
        ),
        (
            vec!["run", "--endpoint", &url, "--credentials", "root"],
            "--credentials",
        ),
        (
            vec![
                "run",
                "--endpoint",
                &url,
                "--scenarios",
                "/nonexistent/ctconform",
            ],
            "neither a scenario file nor a directory",
        ),
        (
            vec![
                "run",
                "--endpoint",
                &url,
                "--filter",
                "no-scenario-has-this-name",
            ],
            "no scenario matches",
        ),
        (
            vec![
                "call",
                "CreateChannel",
                "--endpoint",
                &url,
                "--body",
                "{nope",
            ],
            "--body is not JSON",
        ),
        (vec!["cleanup", "--endpoint", &url], "--run-id"),
        (
            vec!["cleanup", "--endpoint", &url, "--run-id", "a-b"],
            "not a run id",
        ),
        (
            vec![
                "cleanup",
                "--endpoint",
                "https://cloudtrail.us-east-1.amazonaws.com",
                "--run-id",
                "r00000000",
            ],
            "--allow-remote",
        ),
    ]
    .into_iter()
    .map(|(args, say)| (args.into_iter().map(String::from).collect(), say))
    .collect();
    let results = tokio::task::spawn_blocking(move || {
        cases
            .into_iter()
            .map(|(args, say)| {
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                (args.join(" "), say, harness::ctconform(&refs, LIMIT))
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for (args, say, finished) in &results {
        assert_eq!(finished.code, Some(2), "{args}: {}", finished.text());
        let first = finished.stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with("error: "), "{args}: {}", finished.stderr);
        // clap lists missing arguments on the lines after its sentence.
        let sentence: String = finished.stderr.lines().take(2).collect();
        assert!(sentence.contains(say), "{args}: `{say}` not in `{first}`");
        assert!(!finished.stderr.contains("panicked"), "{args}");
    }
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        0,
        "something was sent"
    );
}
