//! The raw bcrypt verify rate on this machine: the ceiling for `POST /auth/login`.
//!
//! Hashes one password at the given cost, then verifies it on N threads (default: the
//! number of cores) for a few seconds, with the same crate and call as the User Service
//! (`bcrypt::verify`, see `src/auth/hashing.rs`), and prints verifications per second.
//!
//! ```sh
//! cargo run --release -p tandem-users --example bcrypt_rate -- [--threads N] [--secs S] [--cost C]
//! ```
//!
//! The last line is machine-readable: `bcrypt_rate cost=12 threads=2 secs=6.01 verifications=48 per_sec=7.99`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery staple";

struct Args {
    threads: usize,
    secs: f64,
    cost: u32,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        threads: std::thread::available_parallelism().map_or(1, usize::from),
        secs: 5.0,
        cost: 12,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--threads" => args.threads = value.parse().map_err(|e| format!("--threads: {e}"))?,
            "--secs" => args.secs = value.parse().map_err(|e| format!("--secs: {e}"))?,
            "--cost" => args.cost = value.parse().map_err(|e| format!("--cost: {e}"))?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.threads == 0 || args.secs.is_nan() || args.secs <= 0.0 {
        return Err("--threads and --secs must be positive".into());
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("bcrypt_rate: {message}");
            std::process::exit(2);
        }
    };
    let hash: Arc<str> = bcrypt::hash(PASSWORD, args.cost)
        .expect("hashing the test password")
        .into();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..args.threads)
        .map(|_| {
            let (hash, stop, done) = (Arc::clone(&hash), Arc::clone(&stop), Arc::clone(&done));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let ok = bcrypt::verify(PASSWORD, &hash).expect("verifying");
                    assert!(ok, "the password must verify");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(args.secs));
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().expect("a worker panicked");
    }
    // Workers finish the verification in flight, so count the time until the last one ends.
    let elapsed = start.elapsed().as_secs_f64();
    let verifications = done.load(Ordering::Relaxed);
    let per_sec = verifications as f64 / elapsed;
    println!(
        "bcrypt_rate cost={} threads={} secs={elapsed:.2} verifications={verifications} per_sec={per_sec:.2}",
        args.cost, args.threads
    );
}
