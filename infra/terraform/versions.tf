terraform {
  required_version = ">= 1.5"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
    # Flex Consumption with the `custom` runtime is written with azapi: azurerm's
    # azurerm_function_app_flex_consumption does not offer runtime "custom" (see docs/deploy.md).
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.0"
    }
  }
}

provider "azurerm" {
  features {}
  # The storage account has shared-key access disabled: data-plane calls use Entra ID.
  storage_use_azuread = true
}

provider "azapi" {}
