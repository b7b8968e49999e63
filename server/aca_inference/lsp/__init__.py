"""The daemon: a pygls language server on stdio that runs operations for the VS Code client."""
