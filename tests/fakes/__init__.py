"""Fakes of the boundaries operations talk through - the user (Reporter) and Azure (ContainerAppGateway) - so the
operations' decisions run in-process, in milliseconds, without the emulator."""
