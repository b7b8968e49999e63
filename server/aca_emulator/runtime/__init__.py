"""Container runtime: the active revisions of each container app run as local processes.

Per app: one local port for its endpoint (persisted, so the endpoint survives restarts and new revisions), served
by the app's ingress (ingress.py), plus one port per active revision for its revision FQDN; one Python venv, a work
dir, console logs. Per active revision: 0 to maxReplicas replicas, as ACA's scaler decides (scaling.py: scale to
zero after the cooldown, out under concurrent requests, a cold start held at the ingress); the app endpoint picks
the revision by the traffic weights (traffic.py), the revision its replicas in turn. Each replica runs each
container as a supervised process (replica.py) in its own network namespace where available (sandbox.py), so every
replica binds its targetPort as in ACA, with its own console log. The container image is not pulled - its command
runs on this machine, and the app log says so. What ARM shows of it all is in report.py.
"""

from .host import RuntimeHost
from .runtime import APP_TYPE, REVISION_TYPE, AppState, Runtime, multiple_mode, revision_port_key

__all__ = ["APP_TYPE", "REVISION_TYPE", "AppState", "Runtime", "RuntimeHost", "multiple_mode", "revision_port_key"]
