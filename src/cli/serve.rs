//! `driftscan serve`: the custom handler (and the local REST server).
//!
//! Listens on `FUNCTIONS_CUSTOMHANDLER_PORT` when the Functions host starts it, or on `--port`;
//! the store comes from `--store` or the `DRIFTSCAN_STORE` app setting. Logs go to stderr
//! (collected by the Functions host); `RUST_LOG=info` adds one line per recorded run.

use anyhow::Context;
use clap::Args;

use super::ExitStatus;
use crate::functions::{self, ApiKey, AppState};

/// Run the HTTP server of the REST API and the Functions custom handler.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Store location: a folder, or az://container[/prefix] (credentials from the environment).
    #[arg(long, env = "DRIFTSCAN_STORE", default_value = "./driftscan-store")]
    pub store: String,
    /// Port to listen on; the Functions host passes it in FUNCTIONS_CUSTOMHANDLER_PORT.
    #[arg(long, env = "FUNCTIONS_CUSTOMHANDLER_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Address to bind. The Functions host connects on 127.0.0.1. Any other address opens the
    /// API to the network and needs an API key.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Key every caller must send (`x-functions-key` or `Authorization: Bearer`), at least 16
    /// characters. Required when `--host` is not a loopback address; optional on loopback (the
    /// Functions host checks its own function keys before forwarding).
    #[arg(long, env = "DRIFTSCAN_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Worker threads (default: one per CPU).
    #[arg(long)]
    pub workers: Option<usize>,
}

/// Serves until interrupted.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitStatus> {
    let loopback = args.host == "localhost"
        || args
            .host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let key = match &args.api_key {
        Some(k) => Some(ApiKey::new(k).map_err(|e| anyhow::anyhow!("--api-key: {e}"))?),
        None if loopback => None,
        None => anyhow::bail!(
            "binding {} opens the API to the network: set DRIFTSCAN_API_KEY (or --api-key) to a key of at least 16 characters that callers send as `x-functions-key` or `Authorization: Bearer`",
            args.host
        ),
    };
    let store = crate::store::open(&args.store)
        .with_context(|| format!("opening store `{}`", args.store))?;
    let state = match key {
        Some(k) => AppState::new(store).with_api_key(k),
        None => AppState::new(store),
    };
    let describe = state.store.describe();
    let stored = state.store.clone();
    actix_web::rt::System::new().block_on(async move {
        // `/metrics` starts from the results already stored, not from nothing.
        actix_web::rt::spawn(async move { crate::pipeline::publish::load_latest(&stored).await });
        // A slow or silent client is cut off (see the constants' docs) instead of holding a
        // connection for as long as it likes.
        let mut server = actix_web::HttpServer::new(move || functions::app(state.clone()))
            .client_request_timeout(functions::REQUEST_HEAD_TIMEOUT)
            .client_disconnect_timeout(functions::DISCONNECT_TIMEOUT)
            .keep_alive(functions::KEEP_ALIVE);
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
