output "function_app_name" {
  description = "Name of the Function App."
  value       = azapi_resource.function_app.name
}

output "function_app_url" {
  description = "Base URL of the REST API and the report pages."
  value       = "https://${local.host_name}"
}

output "storage_account_name" {
  description = "driftscan's storage account (host storage, deployment package, `driftscan` state container)."
  value       = azurerm_storage_account.st.name
}

output "deployment_container_url" {
  description = "Blob container the deployment package is uploaded to."
  value       = "${azurerm_storage_account.st.primary_blob_endpoint}${local.deployment_container}"
}

output "model_data_container_url" {
  description = "Container the model data is read from."
  value       = "${local.model_data_endpoint}${var.model_data_container}"
}

output "app_insights_name" {
  description = "Application Insights resource receiving the metrics."
  value       = azurerm_application_insights.ai.name
}

output "workbook_id" {
  description = "Resource id of the driftscan workbook on Application Insights."
  value       = azurerm_application_insights_workbook.driftscan.id
}

output "principal_id" {
  description = "Object id of the Function App's system-assigned identity."
  value       = local.principal_id
}

output "event_grid_topic_endpoint" {
  description = "Endpoint of the Event Grid topic that receives alert events (empty unless event_grid_topic is true)."
  value       = var.event_grid_topic ? azurerm_eventgrid_topic.events[0].endpoint : ""
}
