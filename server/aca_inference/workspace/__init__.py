"""The workspace model: infra files, their validation, naming rules and ARM's uniqueString."""
