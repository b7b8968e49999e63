"""The daemon: a pygls language server on stdio that runs operations for the VS Code client."""

# The daemon's command ids: acaInference.server.<operation name> (ops/registry.py).
PREFIX = "acaInference.server."
