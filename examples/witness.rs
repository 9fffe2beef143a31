//! The N-version witness of `tests/integration/witness/` as a standalone server, for
//! a long fuzz run against a second implementation of the contract:
//!
//!     cargo run --example witness -- 127.0.0.1:4599 &
//!     ctconform fuzz --endpoint http://127.0.0.1:4599 --duration 5m
//!
//! `docs/witness.md` says what it is and which choices it makes.

#[path = "../tests/integration/witness/mod.rs"]
mod witness;

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4599".into());
    let running = witness::serve_on(&addr).await;
    println!("witness listening on {}", running.url);
    let _ = tokio::signal::ctrl_c().await;
}
