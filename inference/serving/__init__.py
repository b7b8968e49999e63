"""The inference app's modules: settings, model files, loading, engines, OpenAI schema, API, UI, auth."""
