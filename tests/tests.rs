//! Integration tests: one binary, one module per area.

// Metrics to Application Insights (loopback ingestion stand-in), JSON-lines file, alert mail
// (aiosmtpd), webhook.
mod sinks;

// infra/terraform and infra/bicep parsed by checkov and compared; `driftscan infra params`.
mod infra;
