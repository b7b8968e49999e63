// Inference on Azure Container Apps: what "AI Toolkit: Provision Azure Container Apps for inference" deploys
// when the workspace has no inference.bicep of its own, and a template you can deploy by hand:
//   az deployment group create -g <resource group> -f infra/provision/inference.bicep \
//     -p infra/provision/inference.parameters.json
// Shape of the AI Toolkit templates (microsoft/windows-ai-studio-templates, infra/provision/inference.bicep):
// a null/omitted name means "<prefix> + the first 5 characters of uniqueString(resourceGroup().id)", the same
// default the fine-tuning template computes, so inference reuses what fine-tuning created in the same group.
// aca-inference evaluates this file itself (no bicep CLI needed); it supports the language subset listed in
// infra/README.md.

@description('Shell commands the container runs at start, joined with " && " and run by /bin/bash -c. start.py installs requirements.txt only when it changed (a stamp on the share), then starts app.py.')
param defaultCommands array = [
  'cd /mount/inference'
  'python3 start.py'
]

@description('The folder of the share (under /mount) holding the app. The container starts through the release launcher (/mount/.aca-inference/launch.py): each deploy is an immutable release, copied to local disk at start, and paths under /mount/<appFolder> in defaultCommands point at that copy.')
@minLength(1)
param appFolder string = 'inference'

@description('Dedicated GPU profiles only (workloadProfileType NC24-A100, NC48-A100, NC96-A100): most GPU nodes of the profile (its maximumCount). 2 lets a deploy start the new release beside the serving one and switch traffic when it is ready (zero downtime; the second node is billed only while both run). 1 makes deploys restart in place (the endpoint is down during the cold start). Serverless GPU profiles have no node count: each replica is one GPU of the subscription\'s quota.')
@minValue(1)
param maximumInstanceCount int = 2

@description('Azure region of every resource. Default: the resource group\'s region.')
param location string = resourceGroup().location

@description('Storage account holding the file share. Default: aistorage + 5 characters of uniqueString(resourceGroup().id).')
@minLength(3)
@maxLength(24)
param storageAccountName string = 'aistorage${substring(uniqueString(resourceGroup().id), 0, 5)}'

@description('Azure Files share mounted at /mount (code, model cache, adapters). Default: aifileshare + suffix.')
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

@description('Container app serving the model. Default: aiacaapp + suffix.')
@minLength(2)
@maxLength(32)
param acaAppName string = 'aiacaapp${substring(uniqueString(resourceGroup().id), 0, 5)}'

@description('Log Analytics workspace receiving the environment\'s logs. Default: ailog + suffix.')
@minLength(4)
@maxLength(63)
param acaLogAnalyticsName string = 'ailog${substring(uniqueString(resourceGroup().id), 0, 5)}'

// The GPU kind. Serverless GPUs (Consumption-GPU-*: scale to zero, billed per second of use, one GPU per replica)
// are offered in these regions (learn.microsoft.com/azure/container-apps/gpu-serverless-overview, ms.date 2025-06-02):
//   T4 and A100: australiaeast, brazilsouth, eastus, italynorth, swedencentral, westus, westus3;
//   T4 only: centralindia, francecentral, japaneast, northcentralus, southcentralus, southeastasia, southindia,
//            westeurope (a new environment only), westus2.
// Dedicated A100 profiles (NC24/48/96-A100, billed per node-hour): westus3, northeurope (workload-profiles-overview,
// ms.date 2025-11-04). Each kind's per-replica share is documented there: T4 8 vCPU / 56 GiB, A100 24 vCPU / 220 GiB.
@description('The GPU the app runs on: Consumption-GPU-NC8as-T4 (serverless NVIDIA T4 16 GB: scales to zero, billed per second of use; the default), Consumption-GPU-NC24-A100 (serverless NVIDIA A100 80 GB, for models over ~7B parameters), or a dedicated profile NC24-A100 / NC48-A100 / NC96-A100 (GPU nodes billed per node-hour while they run, up to maximumInstanceCount nodes).')
param workloadProfileType string = 'Consumption-GPU-NC8as-T4'

@description('Name of the GPU workload profile in the environment, and the profile the app runs on. Default: gpu-t4 or gpu-a100 for a serverless GPU, GPU for a dedicated one (the fine-tuning template\'s dedicated profile is also GPU: a serverless one beside it needs its own name).')
@minLength(1)
@maxLength(15)
param workloadProfileName string = workloadProfileType =~ 'Consumption-GPU-NC8as-T4' ? 'gpu-t4' : (workloadProfileType =~ 'Consumption-GPU-NC24-A100' ? 'gpu-a100' : 'GPU')

@description('Container image with CUDA and PyTorch; the code itself comes from the share at /mount.')
param containerImage string = 'mcr.microsoft.com/azureml/curated/acft-hf-nlp-gpu:latest'

@description('CPU cores for the container. Default: one GPU\'s share of the profile: 8 for Consumption-GPU-NC8as-T4, 24 for the A100 profiles. A serverless GPU replica cannot ask more than its share.')
@minValue(1)
param containerCpu int = workloadProfileType =~ 'Consumption-GPU-NC8as-T4' ? 8 : 24

@description('Memory for the container, <n>Gi. Default: one GPU\'s share: 56Gi for Consumption-GPU-NC8as-T4, 220Gi for the A100 profiles.')
param containerMemory string = workloadProfileType =~ 'Consumption-GPU-NC8as-T4' ? '56Gi' : '220Gi'

@description('Port the app listens on (PORT in the container); external ingress and the /health probes use it.')
@minValue(1)
@maxValue(65535)
param targetPort int = 7860

@description('Fewest replicas; 0 lets the app scale to zero when idle (the next request waits for a cold start).')
@minValue(0)
param minReplicas int = 0

@description('Most replicas of one revision. Dedicated profile: keep it below maximumInstanceCount so a new release can start beside the serving one. Serverless GPU: each replica is one GPU, and a release needs maxReplicas + 1 GPUs of the region\'s quota for a moment.')
@minValue(1)
param maxReplicas int = 1

@description('Extra environment variables for the container: an array of {name, value}.')
param environmentVariables array = []

@description('Endpoint authentication: apiKey (requests need the key, kept in the app secret inference-api-key and given to the app as INFERENCE_API_KEY) or none (open endpoint).')
@allowed([
  'apiKey'
  'none'
])
param endpointAuth string = 'apiKey'

@description('API key for endpointAuth apiKey. Default: a new random key on every deployment, so pass the existing key when you redeploy by hand.')
@secure()
param apiKey string = newGuid()

var containerName = 'inference'
var volumeName = 'azurefile'
var mountPath = '/mount'
var apiKeySecretName = 'inference-api-key'
var apiKeyEnvName = 'INFERENCE_API_KEY'
// Serverless GPU profiles take no node counts (Azure answers WorkloadProfilePropertyNotSupported to minimumCount).
var serverlessGpu = startsWith(workloadProfileType, 'Consumption-GPU-')
var gpuProfile = serverlessGpu ? {
  name: workloadProfileName
  workloadProfileType: workloadProfileType
} : {
  name: workloadProfileName
  workloadProfileType: workloadProfileType
  minimumCount: 0
  maximumCount: maximumInstanceCount
}
var healthProbe = {
  path: '/health'
  port: targetPort
  scheme: 'HTTP'
}

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
      gpuProfile
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

resource containerApp 'Microsoft.App/containerApps@2026-07-01' = {
  name: acaAppName
  location: location
  properties: {
    environmentId: environment.id
    workloadProfileName: workloadProfileName
    configuration: {
      // Multiple: a deploy runs the new release as a revision beside the serving one, with 0 % of the traffic,
      // and moves the traffic in one step once the new revision answers (the old one is then deactivated).
      activeRevisionsMode: 'Multiple'
      ingress: {
        external: true
        targetPort: targetPort
        transport: 'auto'
        allowInsecure: false
      }
      secrets: endpointAuth == 'apiKey' ? [
        {
          name: apiKeySecretName
          value: apiKey
        }
      ] : []
    }
    template: {
      containers: [
        {
          name: containerName
          image: containerImage
          // The launcher runs the release named by INFERENCE_RELEASE (deploy sets it on each new revision) from
          // local disk; without it, the app folder on the share. Then: /bin/bash -c '<defaultCommands>'.
          command: [
            'python3'
            '${mountPath}/.aca-inference/launch.py'
            '${mountPath}/${appFolder}'
            '/bin/bash'
            '-c'
          ]
          args: [
            join(defaultCommands, ' && ')
          ]
          resources: {
            cpu: containerCpu
            memory: containerMemory
          }
          // INFERENCE_API_KEY comes from the app secret: do not put it in environmentVariables.
          env: concat(environmentVariables, endpointAuth == 'apiKey' ? [
            {
              name: apiKeyEnvName
              secretRef: apiKeySecretName
            }
          ] : [])
          volumeMounts: [
            {
              volumeName: volumeName
              mountPath: mountPath
            }
          ]
          // A GPU cold start takes minutes, and ACA caps the startup probe (initialDelaySeconds <= 60,
          // periodSeconds <= 240, failureThreshold <= 10). Budget, conservatively:
          //   pip install of requirements.txt on the image (wheels for transformers, peft, gradio...): ~180 s
          //   + reading a 7-8 GB model over SMB at 50 MB/s:                                           ~160 s
          //   + weights to the GPU, adapter load and a warm-up token:                                  ~60 s
          //   = ~400 s. The window is 60 + 10 x 60 = 660 s (1.65x that); a ready app is noticed within 60 s.
          // Readiness then gates traffic every 10 s; liveness restarts a hung server.
          probes: [
            {
              type: 'Startup'
              httpGet: healthProbe
              initialDelaySeconds: 60
              periodSeconds: 60
              failureThreshold: 10
              timeoutSeconds: 5
            }
            {
              type: 'Readiness'
              httpGet: healthProbe
              periodSeconds: 10
              failureThreshold: 3
              timeoutSeconds: 5
            }
            {
              type: 'Liveness'
              httpGet: healthProbe
              periodSeconds: 30
              failureThreshold: 3
              timeoutSeconds: 10
            }
          ]
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
      }
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
output ACA_APP_NAME string = containerApp.name
output ACA_APP_ENDPOINT string = containerApp.properties.configuration.ingress.fqdn
