"""ACA Inference: take a fine-tuned LLM to an inference endpoint on Azure Container Apps."""

__version__ = "0.1.0"
