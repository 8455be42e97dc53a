// Example parameters. Regenerate the detector part from your stored detectors with
//   driftscan infra params --store <dir> --format bicepparam > infra/bicep/main.bicepparam
// and set appName (and the model-data account) before deploying.
using 'main.bicep'

param appName = 'driftscan-demo'
param alertEmails = [
  'oncall@example.com'
]
param detectors = [
  {
    name: 'credit'
    threshold: '0.2'
    emails: [
      'credit-team@example.com'
    ]
  }
]
param modelDataStorageAccountName = ''
