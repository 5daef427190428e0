"""The framework: the node contract and registry, the runner, schemas and OpenAPI, problems,
configuration, auth, metrics and the store. It imports no action package."""
