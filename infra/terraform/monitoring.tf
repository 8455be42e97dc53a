# One action group and one stateful log alert per detector: the alert fires once per service and
# scoring date whose datadrift_coefficient is above the detector's threshold; backfills do not page.
# At the end, the driftscan workbook on Application Insights.

resource "azurerm_monitor_action_group" "detector" {
  for_each            = var.detectors
  name                = "${var.app_name}-${each.key}"
  resource_group_name = data.azurerm_resource_group.rg.name
  short_name          = substr(each.key, 0, min(12, length(each.key)))
  enabled             = true
  tags                = var.tags

  dynamic "email_receiver" {
    for_each = toset(concat(var.alert_emails, each.value.emails))
    content {
      name                    = "email-${substr(sha1(email_receiver.value), 0, 13)}"
      email_address           = email_receiver.value
      use_common_alert_schema = true
    }
  }
}

resource "azurerm_monitor_scheduled_query_rules_alert_v2" "drift" {
  for_each             = var.detectors
  name                 = "${var.app_name}-drift-${each.key}"
  resource_group_name  = data.azurerm_resource_group.rg.name
  location             = local.location
  display_name         = "Data drift: ${each.key}"
  description          = "datadrift_coefficient of detector ${each.key} above ${each.value.threshold}"
  severity             = var.alert_severity
  enabled              = true
  scopes               = [azurerm_application_insights.ai.id]
  evaluation_frequency = var.alert_evaluation_frequency
  window_duration      = var.alert_window_size
  tags                 = var.tags

  criteria {
    query                   = <<-KQL
      customMetrics
      | where name == "datadrift_coefficient"
      | where tostring(customDimensions.detector) == "${each.key}"
      | where tostring(customDimensions.run_type) != "BackFill"
      | extend service = tostring(customDimensions.service), scoring_date = tostring(customDimensions.scoring_date)
      | summarize coefficient = max(valueMax) by service, scoring_date
    KQL
    time_aggregation_method = "Maximum"
    metric_measure_column   = "coefficient"
    operator                = "GreaterThan"
    threshold               = each.value.threshold

    dimension {
      name     = "service"
      operator = "Include"
      values   = ["*"]
    }
    dimension {
      name     = "scoring_date"
      operator = "Include"
      values   = ["*"]
    }

    failing_periods {
      minimum_failing_periods_to_trigger_alert = 1
      number_of_evaluation_periods             = 1
    }
  }

  auto_mitigation_enabled = true
  # The customMetrics rows only exist after the first scan has published.
  skip_query_validation = true

  action {
    action_groups = [azurerm_monitor_action_group.detector[each.key].id]
  }
}

# The operators' dashboard over the same telemetry (docs/deploy.md, "Dashboards"): one shared
# workbook on the Application Insights resource. Its content is infra/workbook/driftscan.workbook.json,
# which the Bicep template deploys too.
resource "azurerm_application_insights_workbook" "driftscan" {
  name                = uuidv5("url", "${data.azurerm_resource_group.rg.id}/${var.app_name}/driftscan-workbook")
  resource_group_name = data.azurerm_resource_group.rg.name
  location            = local.location
  display_name        = "driftscan: ${var.app_name}"
  category            = "workbook"
  # The provider compares source ids in lower case.
  source_id = lower(azurerm_application_insights.ai.id)
  data_json = file("${path.module}/../workbook/driftscan.workbook.json")
  tags      = var.tags
}
