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
    }
}
