"""Deploy for inference: sync the code to the share, update or restart the app, wait until it answers."""

from .run import deploy

__all__ = ["deploy"]
