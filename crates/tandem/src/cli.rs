//! The command line.

use crate::app::{self, App, Mode};
use crate::config::Config;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// tandem: self-hosted real-time collaborative documents.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML). Settings in `TANDEM_*` environment variables win over it.
    #[arg(
        long,
        global = true,
        env = "TANDEM_CONFIG",
        default_value = "tandem.toml"
    )]
    pub config: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP and WebSocket: every service on one port, or one service alone.
    Serve {
        /// Run only this service (default: all of them, on port 8080). Single services
        /// default to ports 8081 (users), 8082 (documents) and 8083 (collab).
        #[arg(long, value_enum, default_value = "all")]
        service: Mode,
    },
    /// Apply every service's database migrations, then exit.
    Migrate,
    /// Create the demo accounts (see the README). Running it again changes nothing.
    Seed,
    /// Back up or restore the Document Service's data (see docs/backup.md).
    Backup {
        /// What to do.
        #[command(subcommand)]
        action: BackupAction,
    },
}

/// `tandem backup …`.
#[derive(Debug, Subcommand)]
pub enum BackupAction {
    /// Take a backup now, then delete backups beyond `documents.backup_keep`.
    Create,
    /// List the backups, oldest first.
    List,
    /// Restore a backup (by name, as listed) into the documents schema.
    Restore {
        /// The backup's name, e.g. `tandem-20260101T120000.000Z.tar.gz`.
        name: String,
        /// Replace the documents schema's data if it is not empty.
        #[arg(long)]
        force: bool,
    },
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(Some(&cli.config))?;
    tandem_platform::telemetry::init(&config.platform.log);
    match cli.command {
        Command::Serve { service } => App::build(config, service).await?.run().await,
        Command::Migrate => {
            let platform = tandem_platform::Platform::connect(config.platform)?;
            app::migrate(&platform, Mode::All).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Seed => {
            let platform = tandem_platform::Platform::connect(config.platform)?;
            app::migrate(&platform, Mode::All).await?;
            let created = tandem_users::seed::seed(&platform.db, config.users.bcrypt_cost).await?;
            println!("created {created} demo account(s):");
            for demo in tandem_users::seed::DEMO_USERS {
                println!(
                    "  {:<20} {:<8} password: {}",
                    demo.email, demo.username, demo.password
                );
            }
            Ok(())
        }
        Command::Backup { action } => backup(config, action).await,
    }
}

/// `tandem backup …`: the Document Service's backups, in its object store.
async fn backup(config: Config, action: BackupAction) -> anyhow::Result<()> {
    use tandem_documents::backup;
    let storage = tandem_documents::storage::Storage::open(
        &config.documents.storage,
        &config.platform.server.data_dir,
    )?;
    let platform = tandem_platform::Platform::connect(config.platform)?;
    match action {
        BackupAction::Create => {
            let info = backup::create(&platform.db, &storage, &Bar::new()).await?;
            let pruned =
                backup::prune(&platform.db, &storage, config.documents.backup_keep).await?;
            println!("created {} ({} bytes)", info.name, info.size_bytes);
            for old in pruned {
                println!("deleted {} (beyond backup_keep)", old.name);
            }
        }
        BackupAction::List => {
            for info in backup::list(&storage).await? {
                let rows: u64 = info.counts.values().sum();
                println!(
                    "{}  {}  {} bytes  {} documents  {rows} rows",
                    info.name,
                    info.created_at.to_rfc3339(),
                    info.size_bytes,
                    info.counts.get("documents").copied().unwrap_or(0),
                );
            }
        }
        BackupAction::Restore { name, force } => {
            app::migrate(&platform, Mode::Documents).await?;
            let report = backup::restore(
                &platform.db,
                &storage,
                &platform.redis,
                &name,
                force,
                &Bar::new(),
            )
            .await?;
            println!(
                "restored {name}: {:?}; {} cached keys cleared",
                report.manifest.counts, report.cache_keys_cleared
            );
        }
    }
    Ok(())
}

/// A progress bar on stderr, hidden when stderr is not a terminal.
#[derive(Debug)]
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new() -> Self {
        use std::io::IsTerminal;
        let bar = if std::io::stderr().is_terminal() {
            indicatif::ProgressBar::new(0)
        } else {
            indicatif::ProgressBar::hidden()
        };
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Self(bar)
    }
}

impl tandem_documents::backup::Progress for Bar {
    fn start(&self, phase: &str, total: u64) {
        self.0.set_message(phase.to_owned());
        self.0.set_length(total);
        self.0.set_position(0);
    }
    fn advance(&self, steps: u64) {
        self.0.inc(steps);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
