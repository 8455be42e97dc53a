//! `driftscan serve`: the custom handler (and the local REST server).
//!
//! Listens on `FUNCTIONS_CUSTOMHANDLER_PORT` when the Functions host starts it, or on `--port`;
//! the store comes from `--store` or the `DRIFTSCAN_STORE` app setting. Logs go to stderr
//! (collected by the Functions host); `RUST_LOG=info` adds one line per recorded run.

use anyhow::Context;
use clap::Args;

use super::ExitStatus;
use crate::functions::{self, AppState};

/// Run the HTTP server of the REST API and the Functions custom handler.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Store location: a folder, or az://container[/prefix] (credentials from the environment).
    #[arg(long, env = "DRIFTSCAN_STORE", default_value = "./driftscan-store")]
    pub store: String,
    /// Port to listen on; the Functions host passes it in FUNCTIONS_CUSTOMHANDLER_PORT.
    #[arg(long, env = "FUNCTIONS_CUSTOMHANDLER_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Address to bind. The Functions host connects on 127.0.0.1; keep it on loopback unless the
    /// API is meant to be reachable from other machines (it has no authentication of its own).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Worker threads (default: one per CPU).
    #[arg(long)]
    pub workers: Option<usize>,
}

/// Serves until interrupted.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitStatus> {
    let store = crate::store::open(&args.store)
        .with_context(|| format!("opening store `{}`", args.store))?;
    let state = AppState::new(store);
    let describe = state.store.describe();
    actix_web::rt::System::new().block_on(async move {
        let mut server = actix_web::HttpServer::new(move || functions::app(state.clone()));
        if let Some(w) = args.workers {
            server = server.workers(w.max(1));
        }
        let server = server
            .bind((args.host.as_str(), args.port))
            .with_context(|| format!("binding {}:{}", args.host, args.port))?;
        tracing::info!(message = "Listening.", address = %format!("http://{}:{}", args.host, args.port), store = %describe);
        server.run().await.context("running the HTTP server")
    })?;
    Ok(ExitStatus::Success)
}
