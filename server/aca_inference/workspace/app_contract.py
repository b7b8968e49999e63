"""What our own inference app (inference/) and its template agree on. Other apps (an AI Toolkit project's
gradio_chat.py) have none of it: no /health, no key - deploy follows their probes instead."""

from __future__ import annotations

API_KEY_SECRET = "inference-api-key"  # the app secret holding the endpoint's API key
HEALTH_PATH = "/health"
