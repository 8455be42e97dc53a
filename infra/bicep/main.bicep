// driftscan on Azure: a Flex Consumption Function App running the driftscan custom handler, its
// storage, Application Insights on a Log Analytics workspace with a workbook over driftscan's telemetry,
// the managed identity's roles, and one Azure Monitor log alert (with its action group) per detector.
//
// Deploy into an existing resource group:
//   az deployment group create -g <rg> -f infra/bicep/main.bicep -p infra/bicep/main.bicepparam
// `driftscan infra params --store <dir> --format bicepparam` writes the `detectors` and
// `alertEmails` parameters from stored detector definitions. See docs/deploy.md.
//
// The Terraform configuration in infra/terraform creates the same resources with the same names.

@description('Name of the Function App (globally unique: it is the host name <appName>.azurewebsites.net). Other resource names derive from it.')
@minLength(2)
@maxLength(40)
param appName string

@description('Azure region of every resource. Flex Consumption is offered in a subset of regions: az functionapp list-flexconsumption-locations.')
param location string = resourceGroup().location

@description('Addresses that receive every detector\'s alert, in addition to the detector\'s own emails.')
param alertEmails array = []

@description('One entry per detector: { name: string, threshold: string (decimal, e.g. \'0.2\'), emails: array }. One alert rule and one action group each.')
param detectors array = []

@description('Storage account that holds the model data (the Azure ML workspace storage). Empty: a `modeldata` container in driftscan\'s own account is used.')
param modelDataStorageAccountName string = ''

@description('Resource group of the model-data storage account. Default: this resource group.')
param modelDataResourceGroup string = resourceGroup().name

@description('Container that model data collection writes to.')
param modelDataContainer string = 'modeldata'

@description('Object ids of the identities Spark jobs run as (a Databricks access connector or service principal, the Synapse workspace identity, an Azure ML compute identity): each may write profiles into (and read baseline profiles from) the driftscan container. See docs/spark.md.')
param sparkPrincipalIds array = []

@description('Kind of the sparkPrincipalIds: ServicePrincipal (managed identities and service principals), User or Group.')
@allowed([
  'ServicePrincipal'
  'User'
  'Group'
])
param sparkPrincipalType string = 'ServicePrincipal'

@description('Memory of each Flex Consumption instance, in MB.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound of instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Severity of the drift alerts (0 critical to 4 verbose).')
@minValue(0)
@maxValue(4)
param alertSeverity int = 2

@description('How often the alert rules look at customMetrics (ISO 8601 duration).')
param alertEvaluationFrequency string = 'PT1H'

@description('How far back each evaluation looks (at most P2D).')
param alertWindowSize string = 'P1D'

@description('Days Log Analytics keeps telemetry.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 90

@description('Create an Event Grid custom topic (CloudEvents 1.0 input schema) that receives one event per alerting run of every detector without a topic of its own; the app\'s identity is its EventGrid Data Sender. See docs/sinks.md.')
param eventGridTopic bool = false

@description('Tags put on every resource.')
param tags object = {}

var storageAccountName = toLower(take('stdrift${uniqueString(resourceGroup().id, appName)}', 24))
var deploymentContainer = 'app-package-${take(toLower(appName), 32)}'
var storeContainer = 'driftscan'
var ownModelData = empty(modelDataStorageAccountName)
var roleStorageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var roleStorageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var roleMonitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
var roleEventGridDataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7'

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${appName}-law'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${appName}-ai'
  location: location
  kind: 'web'
  tags: tags
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    // Ingestion only with Entra ID: driftscan and the Functions host use the managed identity.
    DisableLocalAuth: true
  }
}

// The operators' dashboard over the same telemetry (docs/deploy.md, "Dashboards"): one shared
// workbook on the Application Insights resource. Its content is infra/workbook/driftscan.workbook.json,
// which the Terraform configuration deploys too.
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, appName, 'driftscan-workbook')
  location: location
  kind: 'shared'
  tags: tags
  properties: {
    displayName: 'driftscan: ${appName}'
    category: 'workbook'
    sourceId: appInsights.id
    version: 'Notebook/1.0'
    serializedData: loadTextContent('../workbook/driftscan.workbook.json')
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  kind: 'StorageV2'
  tags: tags
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource packageContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainer
  properties: {
    publicAccess: 'None'
  }
}

resource driftscanContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: storeContainer
  properties: {
    publicAccess: 'None'
  }
}

resource localModelDataContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = if (ownModelData) {
  parent: blobService
  name: modelDataContainer
  properties: {
    publicAccess: 'None'
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${appName}-plan'
  location: location
  kind: 'functionapp'
  tags: tags
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  kind: 'functionapp,linux'
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'custom'
        version: '1.0'
      }
    }
  }
}

// Host storage, the deployment package and driftscan's own state are reached with the identity.
resource hostStorageOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roleStorageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleStorageBlobDataOwner)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource storeContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(driftscanContainer.id, functionApp.id, roleStorageBlobDataContributor)
  scope: driftscanContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleStorageBlobDataContributor)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, functionApp.id, roleMonitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleMonitoringMetricsPublisher)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// Alert events (docs/sinks.md): a custom topic taking CloudEvents 1.0, keys disabled, so only
// Entra ID tokens publish; the app's identity may send to it and nothing else may.
resource eventTopic 'Microsoft.EventGrid/topics@2022-06-15' = if (eventGridTopic) {
  name: '${appName}-events'
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource eventSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (eventGridTopic) {
  name: guid(eventTopic.id, functionApp.id, roleEventGridDataSender)
  scope: eventTopic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleEventGridDataSender)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// Spark jobs write the day's profile into the store (docs/spark.md): blob data access to the
// driftscan container only, nothing else of the account.
resource sparkProfileWriters 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in sparkPrincipalIds: {
  name: guid(driftscanContainer.id, principalId, roleStorageBlobDataContributor)
  scope: driftscanContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleStorageBlobDataContributor)
    principalId: principalId
    principalType: sparkPrincipalType
  }
}]

// Read-only access to the model data, wherever the account lives.
module modelDataReader 'modules/container-reader.bicep' = {
  name: '${appName}-modeldata-reader'
  scope: resourceGroup(ownModelData ? resourceGroup().name : modelDataResourceGroup)
  params: {
    storageAccountName: ownModelData ? storage.name : modelDataStorageAccountName
    containerName: modelDataContainer
    principalId: functionApp.identity.principalId
  }
  dependsOn: [
    localModelDataContainer
  ]
}

// Set after the app exists so that the report links can use its host name.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: {
    AzureWebJobsStorage__accountName: storage.name
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
    // The store is `az://<container>` in the account object_store finds in AZURE_STORAGE_ACCOUNT_NAME,
    // reached with the managed identity.
    AZURE_STORAGE_ACCOUNT_NAME: storage.name
    DRIFTSCAN_STORE: 'az://${storeContainer}'
    DRIFTSCAN_REPORT_BASE_URL: 'https://${functionApp.properties.defaultHostName}'
    // Empty when no topic is created: detectors then send events only to topics they name.
    DRIFTSCAN_EVENTGRID_TOPIC_ENDPOINT: eventGridTopic ? eventTopic.properties.endpoint : ''
  }
  dependsOn: [
    hostStorageOwner
    storeContributor
    metricsPublisher
    modelDataReader
    eventSender
  ]
}

resource actionGroups 'Microsoft.Insights/actionGroups@2023-01-01' = [for d in detectors: {
  name: '${appName}-${d.name}'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: take(d.name, 12)
    enabled: true
    emailReceivers: [for e in union(alertEmails, d.emails): {
      name: 'email-${uniqueString(e)}'
      emailAddress: e
      useCommonAlertSchema: true
    }]
  }
}]

// One stateful log alert per detector: fires once per service and scoring date whose
// datadrift_coefficient is above the detector's threshold; backfills do not page anyone.
resource driftAlerts 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [for (d, i) in detectors: {
  name: '${appName}-drift-${d.name}'
  location: location
  kind: 'LogAlert'
  tags: tags
  properties: {
    displayName: 'Data drift: ${d.name}'
    description: 'datadrift_coefficient of detector ${d.name} above ${d.threshold}'
    severity: alertSeverity
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: alertEvaluationFrequency
    windowSize: alertWindowSize
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "datadrift_coefficient" | where tostring(customDimensions.detector) == "${d.name}" | where tostring(customDimensions.run_type) != "BackFill" | extend service = tostring(customDimensions.service), scoring_date = tostring(customDimensions.scoring_date) | summarize coefficient = max(valueMax) by service, scoring_date'
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'coefficient'
          operator: 'GreaterThan'
          threshold: json(d.threshold)
          dimensions: [
            {
              name: 'service'
              operator: 'Include'
              values: [
                '*'
              ]
            }
            {
              name: 'scoring_date'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    // The customMetrics rows only exist after the first scan has published.
    skipQueryValidation: true
    actions: {
      actionGroups: [
        actionGroups[i].id
      ]
    }
  }
}]

output functionAppName string = functionApp.name
output functionAppUrl string = 'https://${functionApp.properties.defaultHostName}'
output storageAccountName string = storage.name
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
output modelDataContainerUrl string = modelDataReader.outputs.containerUrl
output appInsightsName string = appInsights.name
output workbookId string = workbook.id
output principalId string = functionApp.identity.principalId
output eventGridTopicEndpoint string = eventGridTopic ? eventTopic.properties.endpoint : ''
