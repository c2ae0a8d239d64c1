"""The integrator REST API's shared parts: auth, permissions, pagination, the error format, the schema, the router."""
