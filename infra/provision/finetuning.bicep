// Fine-tuning on Azure Container Apps (a GPU job), the template the fine-tuning project deploys:
//   az deployment group create -g <resource group> -f infra/provision/finetuning.bicep \
//     -p infra/provision/finetuning.parameters.json
// Shape of the AI Toolkit templates (microsoft/windows-ai-studio-templates, infra/provision/finetuning.bicep).
// Inference reads this file's parameters file and infra/finetuning.config.json for its defaults: the default
// names below are the same expressions as in inference.bicep, so with the same resource group both templates
// name (and share) the same storage account, file share, environment, environment storage and Log Analytics
// workspace. tests/workspace/test_bicep_drift.py keeps the two in step.

@description('Shell commands the job runs, joined with "; " and run by /bin/bash -c.')
param defaultCommands array

@description('Most GPU nodes of the workload profile (its maximumCount).')
@minValue(1)
param maximumInstanceCount int = 1

@description('Most seconds one job run may take.')
@minValue(1)
param timeout int = 10800

@description('Azure region of every resource. Default: the resource group\'s region.')
param location string = resourceGroup().location

@description('Storage account holding the file share. Default: aistorage + 5 characters of uniqueString(resourceGroup().id).')
@minLength(3)
@maxLength(24)
param storageAccountName string = 'aistorage${substring(uniqueString(resourceGroup().id), 0, 5)}'

@description('Azure Files share mounted at /mount (code, data, model cache, outputs). Default: aifileshare + suffix.')
@minLength(3)
@maxLength(63)
param fileShareName string = 'aifileshare${substring(uniqueString(resourceGroup().id), 0, 5)}'

@description('Container Apps environment (Consumption + GPU workload profiles). Default: aienv + suffix.')
@minLength(2)
@maxLength(60)
param acaEnvironmentName string = 'aienv${substring(uniqueString(resourceGroup().id), 0, 5)}'

@description('Environment storage linking the file share to the environment. Default: aienvstorage + suffix.')
@minLength(2)
@maxLength(32)
param acaEnvironmentStorageName string = 'aienvstorage${substring(uniqueString(resourceGroup().id), 0, 5)}'

@description('Container Apps job running the fine-tuning. Default: aiacajob + suffix.')
@minLength(2)
@maxLength(32)
param acaJobName string = 'aiacajob${substring(uniqueString(resourceGroup().id), 0, 5)}'

@description('Log Analytics workspace receiving the environment\'s logs. Default: ailog + suffix.')
@minLength(4)
@maxLength(63)
param acaLogAnalyticsName string = 'ailog${substring(uniqueString(resourceGroup().id), 0, 5)}'

var workloadProfileName = 'GPU'
var volumeName = 'azurefile'

resource storageAccount 'Microsoft.Storage/storageAccounts@2026-09-01' = {
  name: storageAccountName
  location: location
  sku: {
    name: 'Standard_LRS'
  }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
  }
}

resource fileService 'Microsoft.Storage/storageAccounts/fileServices@2026-09-01' = {
  parent: storageAccount
  name: 'default'
}

resource fileShare 'Microsoft.Storage/storageAccounts/fileServices/shares@2026-09-01' = {
  parent: fileService
  name: fileShareName
  properties: {
    shareQuota: 1024
    enabledProtocols: 'SMB'
  }
}

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-07-01' = {
  name: acaLogAnalyticsName
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource environment 'Microsoft.App/managedEnvironments@2026-07-01' = {
  name: acaEnvironmentName
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logAnalytics.properties.customerId
        sharedKey: logAnalytics.listKeys().primarySharedKey
      }
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
      {
        name: workloadProfileName
        workloadProfileType: 'NC24-A100'
        minimumCount: 0
        maximumCount: maximumInstanceCount
      }
    ]
  }
}

resource environmentStorage 'Microsoft.App/managedEnvironments/storages@2026-07-01' = {
  parent: environment
  name: acaEnvironmentStorageName
  properties: {
    azureFile: {
      accountName: storageAccount.name
      accountKey: storageAccount.listKeys().keys[0].value
      shareName: fileShare.name
      accessMode: 'ReadWrite'
    }
  }
}

resource job 'Microsoft.App/jobs@2026-07-01' = {
  name: acaJobName
  location: location
  properties: {
    environmentId: environment.id
    workloadProfileName: workloadProfileName
    configuration: {
      triggerType: 'Manual'
      replicaTimeout: timeout
      replicaRetryLimit: 0
      manualTriggerConfig: {
        replicaCompletionCount: 1
        parallelism: 1
      }
    }
    template: {
      containers: [
        {
          name: 'finetuning'
          image: 'mcr.microsoft.com/azureml/curated/acft-hf-nlp-gpu:latest'
          command: [
            '/bin/bash'
            '-c'
          ]
          args: [
            join(defaultCommands, '; ')
          ]
          resources: {
            cpu: 24
            memory: '220Gi'
          }
          volumeMounts: [
            {
              volumeName: volumeName
              mountPath: '/mount'
            }
          ]
        }
      ]
      volumes: [
        {
          name: volumeName
          storageType: 'AzureFile'
          storageName: environmentStorage.name
        }
      ]
    }
  }
}

output SUBSCRIPTION_ID string = subscription().subscriptionId
output RESOURCE_GROUP_NAME string = resourceGroup().name
output STORAGE_ACCOUNT_NAME string = storageAccount.name
output FILE_SHARE_NAME string = fileShare.name
output ACA_JOB_NAME string = job.name
output COMMANDS array = defaultCommands
