"""Cloud adapters: credentials, endpoints (real Azure or the local emulator) and the SDK clients.

Everything here imports the Azure SDKs lazily: the daemon must start without loading them.
"""
