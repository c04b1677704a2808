"""HTTP edge: request/response models, problem documents, the resolver."""
