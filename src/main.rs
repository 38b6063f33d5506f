//! The `carrierx-core` command: `serve` (the default), `migrate`, `reset`, `openapi`, `healthcheck`.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "carrierx-core", version, about = "A self-hostable clone of the CarrierX Core API v2")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (the one GET /core/v2/openapi.json serves) and exit.
    Openapi,
    /// Return the database to its bootstrap state (the root partner and its configured
    /// credentials; every other object gone) and exit.
    Reset,
    /// Ask a running server's GET /health (for container health checks); exit 0 when healthy.
    Healthcheck {
        /// host:port of the server (default: the configured bind address).
        #[arg(long)]
        address: Option<String>,
    },
}

fn main() -> std::process::ExitCode {
    carrierx_core::alloc::tune();
    let cli = Cli::parse();
    let config = match carrierx_core::config::Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("carrierx-core: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    carrierx_core::telemetry::init(config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => carrierx_core::server::serve(config).await,
            Command::Migrate => carrierx_core::server::migrate(config).await,
            Command::Reset => carrierx_core::server::reset(config).await,
            Command::Openapi => carrierx_core::server::print_openapi(config).await,
            Command::Healthcheck { address } => {
                let addr = address.unwrap_or_else(|| config.bind.replace("0.0.0.0", "127.0.0.1"));
                carrierx_core::server::healthcheck(&addr).await
            }
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("carrierx-core: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
