variable "resource_group_name" {
  description = "Existing resource group to deploy into (the Bicep deployment targets a resource group the same way)."
  type        = string
}

variable "app_name" {
  description = "Name of the Function App (globally unique: it is the host name <app_name>.azurewebsites.net). Other resource names derive from it."
  type        = string
  validation {
    condition     = length(var.app_name) >= 2 && length(var.app_name) <= 40
    error_message = "app_name must be 2 to 40 characters long."
  }
}

variable "location" {
  description = "Azure region of every resource; empty means the resource group's. Flex Consumption is offered in a subset of regions: az functionapp list-flexconsumption-locations."
  type        = string
  default     = ""
}

variable "alert_emails" {
  description = "Addresses that receive every detector's alert, in addition to the detector's own emails."
  type        = list(string)
  default     = []
}

variable "detectors" {
  description = "Detectors by name: the threshold their datadrift_coefficient is compared with, and who is mailed. One alert rule and one action group each."
  type = map(object({
    threshold = number
    emails    = optional(list(string), [])
  }))
  default = {}
  validation {
    condition     = alltrue([for d in values(var.detectors) : d.threshold >= 0 && d.threshold <= 1])
    error_message = "Each detector threshold must be between 0 and 1."
  }
}

variable "model_data_storage_account_name" {
  description = "Storage account that holds the model data (the Azure ML workspace storage). Empty: a `modeldata` container in driftscan's own account is used."
  type        = string
  default     = ""
}

variable "model_data_resource_group_name" {
  description = "Resource group of the model-data storage account. Empty: resource_group_name."
  type        = string
  default     = ""
}

variable "model_data_container" {
  description = "Container that model data collection writes to."
  type        = string
  default     = "modeldata"
}

variable "spark_principal_ids" {
  description = "Object ids of the identities Spark jobs run as (a Databricks access connector or service principal, the Synapse workspace identity, an Azure ML compute identity): each may write profiles into (and read baseline profiles from) the driftscan container. See docs/spark.md."
  type        = list(string)
  default     = []
}

variable "spark_principal_type" {
  description = "Kind of the spark_principal_ids: ServicePrincipal (managed identities and service principals), User or Group."
  type        = string
  default     = "ServicePrincipal"
  validation {
    condition     = contains(["ServicePrincipal", "User", "Group"], var.spark_principal_type)
    error_message = "spark_principal_type must be ServicePrincipal, User or Group."
  }
}

variable "instance_memory_mb" {
  description = "Memory of each Flex Consumption instance, in MB (2048 or 4096)."
  type        = number
  default     = 2048
  validation {
    condition     = contains([2048, 4096], var.instance_memory_mb)
    error_message = "instance_memory_mb must be 2048 or 4096."
  }
}

variable "maximum_instance_count" {
  description = "Upper bound of instances the app scales out to (40 to 1000)."
  type        = number
  default     = 40
}

variable "alert_severity" {
  description = "Severity of the drift alerts (0 critical to 4 verbose)."
  type        = number
  default     = 2
}

variable "alert_evaluation_frequency" {
  description = "How often the alert rules look at customMetrics (ISO 8601 duration)."
  type        = string
  default     = "PT1H"
}

variable "alert_window_size" {
  description = "How far back each evaluation looks (at most P2D)."
  type        = string
  default     = "P1D"
}

variable "log_retention_days" {
  description = "Days Log Analytics keeps telemetry (30 to 730)."
  type        = number
  default     = 90
}

variable "event_grid_topic" {
  description = "Create an Event Grid custom topic (CloudEvents 1.0 input schema) that receives one event per alerting run of every detector without a topic of its own; the app's identity is its EventGrid Data Sender. See docs/sinks.md."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags put on every resource."
  type        = map(string)
  default     = {}
}
