use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = tandem::cli::Cli::parse();
    match tandem::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // Logging may not be set up yet (bad config), so print the chain too.
            tracing::error!(error = format!("{error:#}"), "tandem failed");
            eprintln!("tandem: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
