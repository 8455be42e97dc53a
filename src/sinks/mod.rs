//! Where a run result goes after it is stored: metrics (Application Insights or a JSON-lines file)
//! and alerts (email, webhook, log).
