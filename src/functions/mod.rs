//! The Azure Functions custom handler: an actix-web app serving the host's payloads and the REST API.
