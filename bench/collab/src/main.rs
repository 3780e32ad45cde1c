//! `collab-load`: drives tandem's Collaboration Service like real editors do, on loopback,
//! and reports ack and broadcast latency from each keystroke's scheduled time (open loop),
//! throughput, convergence, and the server's CPU and memory. See bench/collab.sh and
//! docs/performance.md.

mod client;
mod setup;
mod stats;
mod ticker;

use clap::Parser;
use client::{Plan, Record};
use std::collections::HashMap;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
struct Args {
    /// Collaboration instances, comma-separated (clients are spread over them).
    #[arg(long, default_value = "http://127.0.0.1:18090")]
    url: String,
    /// A label for the report.
    #[arg(long, default_value = "run")]
    scenario: String,
    /// Typing clients.
    #[arg(long, default_value_t = 10)]
    clients: usize,
    /// Documents they are spread over.
    #[arg(long, default_value_t = 1)]
    docs: usize,
    /// Keystrokes per second per typing client (0: idle connections).
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// Clients that only watch and apply everything (S5's observers).
    #[arg(long, default_value_t = 0)]
    observers: usize,
    /// Typing clients track only lengths and revisions, not text (S5).
    #[arg(long)]
    authors_track_lengths: bool,
    /// Seconds of measured typing.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Seconds of typing before measuring starts.
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// Seconds allowed for every client to connect before typing starts.
    #[arg(long, default_value_t = 3.0)]
    connect: f64,
    /// Server process ids, comma-separated, for CPU and memory figures.
    #[arg(long, default_value = "")]
    server_pids: String,
    /// Where to append the JSON summary.
    #[arg(long)]
    json: Option<String>,
}

#[derive(Debug, Default, serde::Serialize)]
struct Summary {
    scenario: String,
    clients: usize,
    observers: usize,
    docs: usize,
    instances: usize,
    rate_per_client: f64,
    seconds: f64,
    connected: usize,
    keystrokes_per_sec: f64,
    changes_per_sec: f64,
    delivered_per_sec: f64,
    ack_ms: [f64; 4],
    broadcast_ms: [f64; 4],
    schedule_lag_ms: [f64; 4],
    converged: bool,
    errors: u64,
    server_cpu_cores: f64,
    server_cpu_us_per_change: f64,
    server_cpu_us_per_delivered: f64,
    server_rss_mib: f64,
    server_rss_growth_kib_per_connection: f64,
    tcp_mem_growth_kib_per_connection: f64,
    generator_cpu_cores: f64,
    /// Every process on the machine (server, generator, PostgreSQL, Redis, the rest).
    machine_busy_cores: f64,
    /// The server's own mean time from reading a change to queueing its ack.
    server_ack_mean_ms: f64,
    mean_batch_ops: f64,
    mean_commit_ms: f64,
}

fn total(pids: &[u32]) -> stats::ProcStat {
    pids.iter()
        .map(|p| stats::proc_stat(*p))
        .fold(stats::ProcStat::default(), |a, b| stats::ProcStat {
            cpu_secs: a.cpu_secs + b.cpu_secs,
            rss_kib: a.rss_kib + b.rss_kib,
        })
}

/// Sums over the instances: ops committed, commit batches, commit seconds, commits, and
/// the server's own ack time (a change read → its ack queued), seconds and count.
async fn scrape(http: &reqwest::Client, urls: &[String]) -> (f64, f64, f64, f64, f64, f64) {
    let mut sums = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for url in urls {
        let text = match http.get(format!("{url}/metrics")).send().await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let (ops, batches) = stats::histogram(&text, "tandem_collab_commit_batch_ops");
        let (secs, commits) = stats::histogram(&text, "tandem_collab_commit_seconds");
        let (ack_secs, acks) = stats::histogram(&text, "tandem_collab_ack_seconds");
        sums = (
            sums.0 + ops,
            sums.1 + batches,
            sums.2 + secs,
            sums.3 + commits,
            sums.4 + ack_secs,
            sums.5 + acks,
        );
    }
    sums
}

fn main() -> anyhow::Result<()> {
    // Keystrokes are woken from the ticker thread, which puts their tasks on the runtime's
    // global queue; by default a busy worker looks there only every 61 tasks, which made
    // keystrokes wait milliseconds behind message handling. Look there every time.
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .global_queue_interval(1)
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    let urls: Vec<String> = args.url.split(',').map(str::to_owned).collect();
    let pids: Vec<u32> = args
        .server_pids
        .split(',')
        .filter_map(|p| p.parse().ok())
        .collect();
    let http = reqwest::Client::new();
    let name = format!("bench{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let token = setup::user(&http, &urls[0], &name).await?;
    let docs = setup::documents(
        &http,
        &urls[0],
        &token,
        args.docs,
        "A document being written.\n",
    )
    .await?;

    let rss_idle = total(&pids).rss_kib;
    let tcp_idle = stats::tcp_mem_kib();
    let epoch = Instant::now();
    let start = Duration::from_secs_f64(args.connect);
    let measure_from = start + Duration::from_secs_f64(args.warmup);
    let stop = measure_from + Duration::from_secs_f64(args.duration);
    let everyone = args.clients + args.observers;
    let mut tasks = Vec::with_capacity(everyone);
    let mut schedules = Vec::with_capacity(everyone);
    for i in 0..everyone {
        let observer = i >= args.clients;
        let plan = Plan {
            url: urls[i % urls.len()].clone(),
            doc: docs[i % docs.len()].clone(),
            token: token.clone(),
            seed: i as u64,
            rate: if observer { 0.0 } else { args.rate },
            start,
            stop,
            full: observer || !args.authors_track_lengths,
            epoch,
            ticks: std::sync::Arc::default(),
        };
        schedules.push((plan.schedule(), plan.ticks.clone()));
        tasks.push(tokio::spawn(client::run(plan)));
        // Do not open thousands of sockets in the same millisecond.
        if i % 200 == 199 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    ticker::spawn(schedules);
    tokio::time::sleep_until((epoch + measure_from).into()).await;
    let before = total(&pids);
    let tcp_before = stats::tcp_mem_kib();
    let own_before = stats::proc_stat(std::process::id());
    let machine_before = stats::machine_busy_secs();
    let metrics_before = scrape(&http, &urls).await;
    tokio::time::sleep_until((epoch + stop).into()).await;
    let after = total(&pids);
    let own_after = stats::proc_stat(std::process::id());
    let machine_after = stats::machine_busy_secs();
    let metrics_after = scrape(&http, &urls).await;
    let mut records: Vec<Record> = Vec::with_capacity(everyone);
    for task in tasks {
        records.push(task.await.unwrap_or_default());
    }
    let window = (
        u32::try_from(measure_from.as_micros()).unwrap_or(u32::MAX),
        u32::try_from(stop.as_micros()).unwrap_or(u32::MAX),
    );
    let seconds = args.duration;
    let inside = |t: u32| t >= window.0 && t < window.1;

    let mut summary = Summary {
        scenario: args.scenario.clone(),
        clients: args.clients,
        observers: args.observers,
        docs: args.docs,
        instances: urls.len(),
        rate_per_client: args.rate,
        seconds,
        connected: records.iter().filter(|r| r.connected).count(),
        ..Summary::default()
    };
    let mut acks: Vec<u32> = Vec::new();
    let mut lags: Vec<u32> = Vec::new();
    let mut scheduled: HashMap<(String, u64), Vec<u32>> = HashMap::new();
    let mut keystrokes = 0u64;
    let mut changes = 0u64;
    for r in &records {
        acks.extend(r.ack_us.iter().filter(|(s, _)| inside(*s)).map(|(_, l)| *l));
        lags.extend(r.lag_us.iter().filter(|(s, _)| inside(*s)).map(|(_, l)| *l));
        keystrokes += r.lag_us.iter().filter(|(s, _)| inside(*s)).count() as u64;
        for (revision, keys) in &r.authored {
            if keys.iter().any(|k| inside(*k)) {
                changes += 1;
            }
            scheduled.insert((r.doc.clone(), *revision), keys.clone());
        }
        summary.errors += r.errors;
    }
    // Broadcast latency: measured at the observers when there are any, else everywhere.
    let measuring: Vec<&Record> = if args.observers > 0 {
        records[args.clients..].iter().collect()
    } else {
        records.iter().collect()
    };
    let mut broadcast: Vec<u32> = Vec::new();
    let mut delivered = 0u64;
    for r in &records {
        delivered += r.applied.len() as u64;
    }
    for r in measuring {
        for (revision, at) in &r.applied {
            if let Some(keys) = scheduled.get(&(r.doc.clone(), *revision)) {
                broadcast.extend(
                    keys.iter()
                        .filter(|k| inside(**k))
                        .map(|k| at.saturating_sub(*k)),
                );
            }
        }
    }
    // Convergence: every client of a document ends at one revision, full ones with one text.
    let mut ends: HashMap<&str, (u64, Option<u64>)> = HashMap::new();
    summary.converged = true;
    let mut diverged = 0usize;
    for r in records.iter().filter(|r| r.connected) {
        let entry = ends
            .entry(r.doc.as_str())
            .or_insert((r.revision, r.text_hash));
        if entry.0 != r.revision
            || (r.text_hash.is_some() && entry.1.is_some() && entry.1 != r.text_hash)
        {
            if summary.converged {
                eprintln!(
                    "not converged: document {} ends at revision {} for one client, {} for another{}",
                    r.doc,
                    entry.0,
                    r.revision,
                    if entry.0 == r.revision {
                        " (different texts)"
                    } else {
                        ""
                    }
                );
            }
            summary.converged = false;
            diverged += 1;
        }
        if entry.1.is_none() {
            entry.1 = r.text_hash;
        }
    }
    if diverged > 0 {
        eprintln!("{diverged} clients ended away from their document's first client");
    }
    summary.keystrokes_per_sec = keystrokes as f64 / seconds;
    summary.changes_per_sec = changes as f64 / seconds;
    let window_share = seconds / (stop - start).as_secs_f64();
    summary.delivered_per_sec = delivered as f64 * window_share / seconds;
    summary.ack_ms = stats::percentiles(&mut acks);
    summary.broadcast_ms = stats::percentiles(&mut broadcast);
    summary.schedule_lag_ms = stats::percentiles(&mut lags);
    let cpu = after.cpu_secs - before.cpu_secs;
    summary.server_cpu_cores = cpu / seconds;
    summary.server_cpu_us_per_change = if changes > 0 {
        cpu * 1e6 / changes as f64
    } else {
        0.0
    };
    let delivered_in_window = summary.delivered_per_sec * seconds;
    summary.server_cpu_us_per_delivered = if delivered_in_window > 0.0 {
        cpu * 1e6 / delivered_in_window
    } else {
        0.0
    };
    summary.server_rss_mib = after.rss_kib as f64 / 1024.0;
    let connections = summary.connected.max(1) as f64;
    summary.server_rss_growth_kib_per_connection =
        (before.rss_kib as f64 - rss_idle as f64) / connections;
    summary.tcp_mem_growth_kib_per_connection = (tcp_before as f64 - tcp_idle as f64) / connections;
    summary.generator_cpu_cores = (own_after.cpu_secs - own_before.cpu_secs) / seconds;
    summary.machine_busy_cores = (machine_after - machine_before) / seconds;
    let ops = metrics_after.0 - metrics_before.0;
    let batches = metrics_after.1 - metrics_before.1;
    summary.mean_batch_ops = if batches > 0.0 { ops / batches } else { 0.0 };
    let commit_secs = metrics_after.2 - metrics_before.2;
    let commits = metrics_after.3 - metrics_before.3;
    let acks = metrics_after.5 - metrics_before.5;
    summary.server_ack_mean_ms = if acks > 0.0 {
        (metrics_after.4 - metrics_before.4) * 1000.0 / acks
    } else {
        0.0
    };
    summary.mean_commit_ms = if commits > 0.0 {
        commit_secs * 1000.0 / commits
    } else {
        0.0
    };

    println!(
        "{scenario}: {clients}+{observers} clients, {docs} docs, {instances} instance(s), {rate}/s each, {connected} connected\n  \
         keystrokes {ks:.0}/s, changes {ch:.0}/s, delivered {dl:.0}/s, errors {errors}, converged {converged}\n  \
         ack ms p50/p95/p99/max {a:?}\n  broadcast ms p50/p95/p99/max {b:?}\n  schedule lag ms {l:?}\n  \
         server {cores:.2} cores, {us_ch:.0} us/change, {us_dl:.1} us/delivered, RSS {rss:.0} MiB (+{rss_conn:.1} KiB/conn), TCP mem +{tcp:.1} KiB/conn\n  \
         generator {gen_cores:.2} cores, machine {machine:.2} cores busy; mean batch {batch:.1} ops, mean commit {commit:.2} ms, server-side ack mean {server_ack:.2} ms",
        scenario = summary.scenario,
        clients = summary.clients,
        observers = summary.observers,
        docs = summary.docs,
        instances = summary.instances,
        rate = summary.rate_per_client,
        connected = summary.connected,
        ks = summary.keystrokes_per_sec,
        ch = summary.changes_per_sec,
        dl = summary.delivered_per_sec,
        errors = summary.errors,
        converged = summary.converged,
        a = summary.ack_ms,
        b = summary.broadcast_ms,
        l = summary.schedule_lag_ms,
        cores = summary.server_cpu_cores,
        us_ch = summary.server_cpu_us_per_change,
        us_dl = summary.server_cpu_us_per_delivered,
        rss = summary.server_rss_mib,
        rss_conn = summary.server_rss_growth_kib_per_connection,
        tcp = summary.tcp_mem_growth_kib_per_connection,
        gen_cores = summary.generator_cpu_cores,
        machine = summary.machine_busy_cores,
        batch = summary.mean_batch_ops,
        commit = summary.mean_commit_ms,
        server_ack = summary.server_ack_mean_ms,
    );
    if let Some(path) = args.json {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        writeln!(file, "{}", serde_json::to_string(&summary)?)?;
    }
    Ok(())
}
