# driftscan on Azure: a Flex Consumption Function App running the driftscan custom handler, its
# storage, Application Insights on a Log Analytics workspace and the managed identity's roles.
# Alert rules and action groups are in monitoring.tf. Same resources as infra/bicep/main.bicep.

data "azurerm_resource_group" "rg" {
  name = var.resource_group_name
}

locals {
  location             = var.location != "" ? var.location : data.azurerm_resource_group.rg.location
  storage_account_name = substr("stdrift${sha1("${data.azurerm_resource_group.rg.id}/${var.app_name}")}", 0, 24)
  deployment_container = "app-package-${substr(lower(var.app_name), 0, min(32, length(var.app_name)))}"
  store_container      = "driftscan"
  own_model_data       = var.model_data_storage_account_name == ""
  model_data_rg        = var.model_data_resource_group_name != "" ? var.model_data_resource_group_name : var.resource_group_name
}

resource "azurerm_log_analytics_workspace" "law" {
  name                = "${var.app_name}-law"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  tags                = var.tags
}

resource "azurerm_application_insights" "ai" {
  name                = "${var.app_name}-ai"
  location            = local.location
  resource_group_name = data.azurerm_resource_group.rg.name
  application_type    = "web"
  workspace_id        = azurerm_log_analytics_workspace.law.id
  # Ingestion only with Entra ID: driftscan and the Functions host use the managed identity.
  local_authentication_disabled = true
  tags                          = var.tags
}

resource "azurerm_storage_account" "st" {
  name                            = local.storage_account_name
  resource_group_name             = data.azurerm_resource_group.rg.name
  location                        = local.location
  account_kind                    = "StorageV2"
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  allow_nested_items_to_be_public = false
  shared_access_key_enabled       = false
  default_to_oauth_authentication = true
  tags                            = var.tags

  blob_properties {
    delete_retention_policy {
      days = 7
    }
  }
}

resource "azurerm_storage_container" "package" {
  name                  = local.deployment_container
  storage_account_id    = azurerm_storage_account.st.id
  container_access_type = "private"
}

resource "azurerm_storage_container" "driftscan" {
  name                  = local.store_container
  storage_account_id    = azurerm_storage_account.st.id
  container_access_type = "private"
}

resource "azurerm_storage_container" "model_data" {
  count                 = local.own_model_data ? 1 : 0
  name                  = var.model_data_container
  storage_account_id    = azurerm_storage_account.st.id
  container_access_type = "private"
}

data "azurerm_storage_account" "model_data" {
  count               = local.own_model_data ? 0 : 1
  name                = var.model_data_storage_account_name
  resource_group_name = local.model_data_rg
}

locals {
  model_data_account_id = local.own_model_data ? azurerm_storage_account.st.id : data.azurerm_storage_account.model_data[0].id
  model_data_endpoint   = local.own_model_data ? azurerm_storage_account.st.primary_blob_endpoint : data.azurerm_storage_account.model_data[0].primary_blob_endpoint
  model_data_scope      = "${local.model_data_account_id}/blobServices/default/containers/${var.model_data_container}"
}

resource "azapi_resource" "plan" {
  type      = "Microsoft.Web/serverfarms@2024-04-01"
  name      = "${var.app_name}-plan"
  parent_id = data.azurerm_resource_group.rg.id
  location  = local.location
  tags      = var.tags
  body = {
    kind = "functionapp"
    sku = {
      tier = "FlexConsumption"
      name = "FC1"
    }
    properties = {
      reserved = true
    }
  }
}

resource "azapi_resource" "function_app" {
  type      = "Microsoft.Web/sites@2024-04-01"
  name      = var.app_name
  parent_id = data.azurerm_resource_group.rg.id
  location  = local.location
  tags      = var.tags

  identity {
    type = "SystemAssigned"
  }

  body = {
    kind = "functionapp,linux"
    properties = {
      serverFarmId = azapi_resource.plan.id
      httpsOnly    = true
      siteConfig = {
        minTlsVersion = "1.2"
        ftpsState     = "Disabled"
      }
      functionAppConfig = {
        deployment = {
          storage = {
            type  = "blobContainer"
            value = "${azurerm_storage_account.st.primary_blob_endpoint}${local.deployment_container}"
            authentication = {
              type = "SystemAssignedIdentity"
            }
          }
        }
        scaleAndConcurrency = {
          maximumInstanceCount = var.maximum_instance_count
          instanceMemoryMB     = var.instance_memory_mb
        }
        runtime = {
          name    = "custom"
          version = "1.0"
        }
      }
    }
  }

  response_export_values = ["properties.defaultHostName"]
}

locals {
  principal_id = azapi_resource.function_app.identity[0].principal_id
  host_name    = azapi_resource.function_app.output.properties.defaultHostName
}

# Host storage, the deployment package and driftscan's own state are reached with the identity.
resource "azurerm_role_assignment" "host_storage_owner" {
  scope                = azurerm_storage_account.st.id
  role_definition_name = "Storage Blob Data Owner"
  principal_id         = local.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "store_contributor" {
  scope                = azurerm_storage_container.driftscan.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = local.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "model_data_reader" {
  scope                = local.model_data_scope
  role_definition_name = "Storage Blob Data Reader"
  principal_id         = local.principal_id
  principal_type       = "ServicePrincipal"
  depends_on           = [azurerm_storage_container.model_data]
}

# Spark jobs write the day's profile into the store (docs/spark.md): blob data access to the
# driftscan container only, nothing else of the account.
resource "azurerm_role_assignment" "spark_profile_writers" {
  for_each             = toset(var.spark_principal_ids)
  scope                = azurerm_storage_container.driftscan.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = each.value
  principal_type       = var.spark_principal_type
}

resource "azurerm_role_assignment" "metrics_publisher" {
  scope                = azurerm_application_insights.ai.id
  role_definition_name = "Monitoring Metrics Publisher"
  principal_id         = local.principal_id
  principal_type       = "ServicePrincipal"
}

# Alert events (docs/sinks.md): a custom topic taking CloudEvents 1.0, keys disabled, so only
# Entra ID tokens publish; the app's identity may send to it and nothing else may.
resource "azurerm_eventgrid_topic" "events" {
  count                         = var.event_grid_topic ? 1 : 0
  name                          = "${var.app_name}-events"
  location                      = local.location
  resource_group_name           = data.azurerm_resource_group.rg.name
  input_schema                  = "CloudEventSchemaV1_0"
  local_auth_enabled            = false
  public_network_access_enabled = true
  tags                          = var.tags
}

resource "azurerm_role_assignment" "event_sender" {
  count                = var.event_grid_topic ? 1 : 0
  scope                = azurerm_eventgrid_topic.events[0].id
  role_definition_name = "EventGrid Data Sender"
  principal_id         = local.principal_id
  principal_type       = "ServicePrincipal"
}

# Set after the app exists so that the report links can use its host name.
resource "azapi_resource" "app_settings" {
  type      = "Microsoft.Web/sites/config@2024-04-01"
  name      = "appsettings"
  parent_id = azapi_resource.function_app.id
  body = {
    properties = {
      AzureWebJobsStorage__accountName          = azurerm_storage_account.st.name
      APPLICATIONINSIGHTS_CONNECTION_STRING     = azurerm_application_insights.ai.connection_string
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING = "Authorization=AAD"
      # The store is `az://<container>` in the account object_store finds in
      # AZURE_STORAGE_ACCOUNT_NAME, reached with the managed identity.
      AZURE_STORAGE_ACCOUNT_NAME = azurerm_storage_account.st.name
      DRIFTSCAN_STORE            = "az://${local.store_container}"
      DRIFTSCAN_REPORT_BASE_URL  = "https://${local.host_name}"
      # Empty when no topic is created: detectors then send events only to topics they name.
      DRIFTSCAN_EVENTGRID_TOPIC_ENDPOINT = var.event_grid_topic ? azurerm_eventgrid_topic.events[0].endpoint : ""
    }
  }
  depends_on = [
    azurerm_role_assignment.host_storage_owner,
    azurerm_role_assignment.store_contributor,
    azurerm_role_assignment.metrics_publisher,
    azurerm_role_assignment.model_data_reader,
    azurerm_role_assignment.event_sender,
  ]
}
