"""Documents generated from the code and the template: the OpenAPI
document (`make openapi`) and docs/REFERENCE.md."""
