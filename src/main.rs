//! The `ctconform` binary: the command line (`cli`) over the `ctconform`
//! library. It reaches the library only through its public API, so whatever
//! the binary needs is deliberately public.

// Items are `pub` only where the binary's modules share them.
#![deny(unreachable_pub)]

mod cli;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
