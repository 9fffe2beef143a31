//! Writes seed corpora for the cargo-fuzz targets into `fuzz/corpus/<target>/`:
//! the scenario files (`scenario_parse`), answers shaped like the
//! emulator's and malformed ones (`wire_parse`), and 64 random byte strings
//! of 1 KiB, each a whole session plan to `Session::arbitrary`
//! (`contract_oracle`, `endpoint`).
//!
//! Run from the repository root: `cargo run --example fuzz_seeds`.

use std::fs;
use std::path::{Path, PathBuf};

use rand::{RngCore, SeedableRng};

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::create_dir_all(dir).expect("create the corpus directory");
    fs::write(dir.join(name), bytes).expect("write a seed");
}

fn scenario_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            scenario_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "toml") {
            found.push(path);
        }
    }
}

/// `wire_parse` reads (status u16, headers, body) with `arbitrary`; a seed
/// is simplest as those fields' raw bytes, which arbitrary takes in order.
fn wire_seed(status: u16, body: &[u8]) -> Vec<u8> {
    let mut bytes = status.to_le_bytes().to_vec();
    bytes.extend_from_slice(body);
    bytes
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("fuzz/corpus");

    let mut files = Vec::new();
    scenario_files(&root.join("scenarios"), &mut files);
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        write(
            &corpus.join("scenario_parse"),
            &name,
            &fs::read(file).unwrap(),
        );
    }
    let doc = fs::read_to_string(root.join("docs/scenario-format.md")).unwrap_or_default();
    for (n, block) in doc.split("```toml\n").skip(1).enumerate() {
        let block = block.split("```").next().unwrap_or("");
        write(
            &corpus.join("scenario_parse"),
            &format!("doc-{n}.toml"),
            block.as_bytes(),
        );
    }

    let answers: &[(u16, &[u8])] = &[
        (200, br#"{"ChannelArn":"arn:aws:cloudtrail:us-east-1:123456789012:channel/x","Name":"n"}"#),
        (400, br#"{"__type":"com.amazonaws.cloudtrail.v20131101#ChannelAlreadyExistsException","message":"m"}"#),
        (404, br#"{"code":"ChannelNotFoundException:http://internal.amazon.com/","Message":"m"}"#),
        (500, b"<html>oops</html>"),
        (200, b""),
        (200, b"\xff\xfe{}"),
        (400, b"[[[[[[[[[[[[[[[[[[[["),
    ];
    for (n, (status, body)) in answers.iter().enumerate() {
        write(
            &corpus.join("wire_parse"),
            &format!("answer-{n}"),
            &wire_seed(*status, body),
        );
    }

    for index in 0..64u64 {
        // Random bytes: `Session::arbitrary` reads any bytes as a session.
        let mut rng = rand::rngs::StdRng::seed_from_u64(index.wrapping_mul(0x9E37_79B9));
        let mut bytes = vec![0u8; 1024];
        rng.fill_bytes(&mut bytes);
        for target in ["contract_oracle", "endpoint"] {
            write(&corpus.join(target), &format!("session-{index}"), &bytes);
        }
    }
    println!("seed corpora written under {}", corpus.display());
}
