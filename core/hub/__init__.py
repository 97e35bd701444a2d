"""Base models on the Hugging Face Hub: found in the local caches by their Hub id, downloaded on request."""
