//! Integration tests: one binary, one module per area.
/// Store contract on the local folder and on Azurite (also hosts the Azurite harness).
mod store;
/// REST API, timer invocations, readiness and the CLI of the service.
mod service;
