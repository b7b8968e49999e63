"""The daemon: a pygls language server on stdio that runs operations for the VS Code client."""

# The daemon's command ids: acaInference.server.<operation name> (ops/registry.py).
PREFIX = "acaInference.server."

# The app view's messages (app_view.py says what each carries).
APP_STATE = "acaInference/appState"
WATCH_APP = "acaInference/watchApp"
APP_STATE_CHANGED = "acaInference/appStateChanged"
OPEN_ENDPOINT = "acaInference/openEndpoint"
COPY_API_KEY = "acaInference/copyApiKey"
